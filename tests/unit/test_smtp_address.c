/* test_smtp_address.c: relay tricks in recipient addresses. */
#include "gateway/smtp_address.h"
#include "tests/unit/harness.h"

static void
test_smtp_address_check_recipient(void)
{
	static const struct {
		const char *address;   /* as smtp_command_parse_path returns */
		const char *reason;    /* NULL: judged by its domain */
	} cases[] = {
		{ "user@example.test", NULL },
		{ "user+tag@example.test", NULL },
		{ "postmaster", NULL },
		{ "\"john doe\"@example.test", NULL },
		{ "first.last@sub.example.test", NULL },
		{ "j\xc3\xb6rg@example.test", NULL },
		{ "user%other.test@example.test", "percent hack" },
		{ "%@example.test", "percent hack" },
		{ "other.test!user@example.test", "bang path" },
		{ "\"user@other.test\"@example.test", "quoted at sign" },
		{ "\"user\\@other.test\"@example.test", "quoted at sign" },
		{ "\"a%b\"@example.test", "percent hack" },
		{ "user@[192.0.2.1]", "address literal" },
		{ "user@[IPv6:2001:db8::1]", "address literal" },
		/* Only the local part counts: a '!' or '%' cannot be in a
		 * parsed domain, and a literal is judged as a literal. */
		{ "user@example-1.test", NULL },
	};
	const char *reason;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		reason = NULL;
		ret = smtp_address_check_recipient(cases[i].address, &reason);
		if (cases[i].reason == NULL ? ret != 0 :
		    ret != -1 || reason == NULL ||
		    strcmp(reason, cases[i].reason) != 0)
			test_fail(__FILE__, __LINE__, "'%s': ret %d reason %s",
			    cases[i].address, ret,
			    reason != NULL ? reason : "(none)");
	}
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_address_check_recipient),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
