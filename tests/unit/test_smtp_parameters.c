/* test_smtp_parameters.c: MAIL/RCPT ESMTP parameters (SIZE, BODY,
 * SMTPUTF8, RET, ENVID, NOTIFY, ORCPT) and BDAT arguments. The inputs
 * are whole command lines (line_reader has assembled them), so there is
 * nothing to trickle; every case goes through the real path parser. */
#include "lib/arena.h"
#include "gateway/smtp_parameters.h"
#include "tests/unit/harness.h"

/* Parses "FROM:<...> PARAMS" or "TO:<...> PARAMS" into parameters. */
static bool
split(struct arena *arena, const char *keyword, const char *parameters,
    struct smtp_parameter **list_r, size_t *count_r)
{
	struct smtp_path path;
	const char *error, *line;

	line = arena_printf(arena, "%s:<a@example.test>%s%s", keyword,
	    *parameters != '\0' ? " " : "", parameters);
	if (smtp_command_parse_path(arena, string_view_from_cstring(line),
	    keyword, false, &path, list_r, count_r, &error) < 0) {
		test_fail(__FILE__, __LINE__, "'%s': %s", line, error);
		return false;
	}
	return true;
}

#define E100 "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" \
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"

static void
test_smtp_parameters_mail(void)
{
	static const struct {
		const char *parameters;
		bool esmtp;
		unsigned code;          /* 0: accepted */
		uint64_t size;
		bool eight_bit, utf8;
		enum spool_ret ret;
		const char *envid;
	} cases[] = {
		{ "", true, 0, 0, false, false, SPOOL_RET_DEFAULT, "" },
		{ "", false, 0, 0, false, false, SPOOL_RET_DEFAULT, "" },
		{ "SIZE=1000", true, 0, 1000, false, false, SPOOL_RET_DEFAULT,
		    "" },
		{ "size=0", true, 0, 0, false, false, SPOOL_RET_DEFAULT, "" },
		{ "SIZE=1001", true, 552, 0, false, false, 0, NULL },
		{ "SIZE=99999999999999999999999", true, 501, 0, false, false, 0,
		    NULL },
		{ "SIZE=x", true, 501, 0, false, false, 0, NULL },
		{ "SIZE", true, 501, 0, false, false, 0, NULL },
		{ "BODY=8bitmime", true, 0, 0, true, false, SPOOL_RET_DEFAULT,
		    "" },
		{ "BODY=7BIT", true, 0, 0, false, false, SPOOL_RET_DEFAULT, "" },
		{ "BODY=BINARYMIME", true, 501, 0, false, false, 0, NULL },
		{ "BODY", true, 501, 0, false, false, 0, NULL },
		{ "SMTPUTF8", true, 0, 0, false, true, SPOOL_RET_DEFAULT, "" },
		{ "SMTPUTF8=yes", true, 501, 0, false, false, 0, NULL },
		{ "RET=hdrs ENVID=abc+2Bdef", true, 0, 0, false, false,
		    SPOOL_RET_HEADERS, "abc+def" },
		{ "RET=FULL", true, 0, 0, false, false, SPOOL_RET_FULL, "" },
		{ "RET=NONE", true, 501, 0, false, false, 0, NULL },
		{ "RET", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=" E100, true, 0, 0, false, false, SPOOL_RET_DEFAULT,
		    E100 },
		{ "ENVID=" E100 "E", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=+41+20+42", true, 0, 0, false, false, SPOOL_RET_DEFAULT,
		    "A B" },
		{ "ENVID=+7F", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=+0A", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=+C3+A9", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=a+2", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=a+g0", true, 501, 0, false, false, 0, NULL },
		{ "ENVID=+00", true, 501, 0, false, false, 0, NULL },
		{ "ENVID", true, 501, 0, false, false, 0, NULL },
		{ "SIZE=10 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=x", true, 0, 10,
		    true, true, SPOOL_RET_FULL, "x" },
		{ "FOO=1", true, 555, 0, false, false, 0, NULL },
		{ "AUTH=<>", true, 555, 0, false, false, 0, NULL },
		{ "SIZE=10", false, 555, 0, false, false, 0, NULL },
		{ "RET=FULL", false, 555, 0, false, false, 0, NULL },
	};
	struct arena *arena = arena_new("test", 0);
	struct smtp_parameters_reply reply;
	struct smtp_parameters_mail mail;
	struct smtp_parameter *list;
	size_t count, i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		if (!split(arena, "FROM", cases[i].parameters, &list, &count))
			continue;
		memset(&reply, 0, sizeof(reply));
		ret = smtp_parameters_parse_mail(arena, list, count,
		    cases[i].esmtp, 1000, &mail, &reply);
		if (cases[i].code != 0) {
			if (ret != -1 || reply.code != cases[i].code ||
			    reply.text == NULL ||
			    strcmp(reply.enhanced, cases[i].code == 552 ?
			    "5.3.4" : "5.5.4") != 0)
				test_fail(__FILE__, __LINE__,
				    "'%s': ret %d code %u, want %u",
				    cases[i].parameters, ret, reply.code,
				    cases[i].code);
			continue;
		}
		if (ret != 0 || mail.size != cases[i].size ||
		    mail.body_8bitmime != cases[i].eight_bit ||
		    mail.smtputf8 != cases[i].utf8 ||
		    mail.ret != cases[i].ret ||
		    strcmp(mail.envid, cases[i].envid) != 0)
			test_fail(__FILE__, __LINE__,
			    "'%s': ret %d code %u envid '%s'",
			    cases[i].parameters, ret, reply.code,
			    ret == 0 ? mail.envid : "");
	}
	/* The unsupported keyword is named, uppercased. */
	test_require(split(arena, "FROM", "x-foo=1", &list, &count));
	test_assert_int(smtp_parameters_parse_mail(arena, list, count, true,
	    1000, &mail, &reply), -1);
	test_assert_string(reply.text, "Unsupported option: X-FOO");
	arena_free(&arena);
}

#define O480 "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo" \
	"oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
/* "rfc822;" (7) + 480 + "@x.test" (7) + 6 = 500 */
#define ORCPT500 "rfc822;" O480 "oooooo@x.test"

static void
test_smtp_parameters_rcpt(void)
{
	static const struct {
		const char *parameters;
		bool esmtp;
		unsigned code;
		unsigned notify;
		const char *orcpt;
	} cases[] = {
		{ "", true, 0, 0, "" },
		{ "NOTIFY=NEVER", true, 0, SPOOL_NOTIFY_NEVER, "" },
		{ "NOTIFY=never", true, 0, SPOOL_NOTIFY_NEVER, "" },
		{ "NOTIFY=success,DELAY", true, 0,
		    SPOOL_NOTIFY_SUCCESS | SPOOL_NOTIFY_DELAY, "" },
		{ "NOTIFY=SUCCESS,FAILURE,DELAY", true, 0,
		    SPOOL_NOTIFY_SUCCESS | SPOOL_NOTIFY_FAILURE |
		    SPOOL_NOTIFY_DELAY, "" },
		{ "NOTIFY=FAILURE,FAILURE", true, 0, SPOOL_NOTIFY_FAILURE, "" },
		{ "NOTIFY=NEVER,DELAY", true, 501, 0, NULL },
		{ "NOTIFY=DELAY,NEVER", true, 501, 0, NULL },
		{ "NOTIFY=NEVER,NEVER", true, 0, SPOOL_NOTIFY_NEVER, "" },
		{ "NOTIFY=SUCCESS,,DELAY", true, 501, 0, NULL },
		{ "NOTIFY=,", true, 501, 0, NULL },
		{ "NOTIFY=SUCCESS,", true, 501, 0, NULL },
		{ "NOTIFY=SOMETIMES", true, 501, 0, NULL },
		{ "NOTIFY=SUCCES", true, 501, 0, NULL },
		{ "NOTIFY", true, 501, 0, NULL },
		{ "ORCPT=rfc822;a+2Bb@c.test", true, 0, 0, "rfc822;a+b@c.test" },
		{ "ORCPT=RFC822;x", true, 0, 0, "RFC822;x" },
		{ "ORCPT=utf-8;j\\x{F6}rg@c.test", true, 0, 0,
		    "utf-8;j\\x{F6}rg@c.test" },
		{ "ORCPT=rfc822;a+20b", true, 0, 0, "rfc822;a b" },
		{ "ORCPT=" ORCPT500, true, 0, 0, ORCPT500 },
		{ "ORCPT=" ORCPT500 "o", true, 501, 0, NULL },
		{ "ORCPT=rfc822", true, 501, 0, NULL },
		{ "ORCPT=;x", true, 501, 0, NULL },
		{ "ORCPT=rfc822;", true, 501, 0, NULL },
		{ "ORCPT=rfc(822;x", true, 501, 0, NULL },
		{ "ORCPT=rfc822;a+0D", true, 501, 0, NULL },
		{ "ORCPT=rfc822;a+zz", true, 501, 0, NULL },
		{ "ORCPT", true, 501, 0, NULL },
		{ "NOTIFY=DELAY ORCPT=rfc822;q@r.test", true, 0,
		    SPOOL_NOTIFY_DELAY, "rfc822;q@r.test" },
		{ "X=1", true, 555, 0, NULL },
		{ "NOTIFY=NEVER", false, 555, 0, NULL },
	};
	struct arena *arena = arena_new("test", 0);
	struct smtp_parameters_reply reply;
	struct smtp_parameters_rcpt rcpt;
	struct smtp_parameter *list;
	size_t count, i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		if (!split(arena, "TO", cases[i].parameters, &list, &count))
			continue;
		memset(&reply, 0, sizeof(reply));
		ret = smtp_parameters_parse_rcpt(arena, list, count,
		    cases[i].esmtp, &rcpt, &reply);
		if (cases[i].code != 0) {
			if (ret != -1 || reply.code != cases[i].code ||
			    strcmp(reply.enhanced, "5.5.4") != 0)
				test_fail(__FILE__, __LINE__,
				    "'%s': ret %d code %u, want %u",
				    cases[i].parameters, ret, reply.code,
				    cases[i].code);
			continue;
		}
		if (ret != 0 || rcpt.notify != cases[i].notify ||
		    strcmp(rcpt.orcpt, cases[i].orcpt) != 0)
			test_fail(__FILE__, __LINE__,
			    "'%s': ret %d code %u notify %u orcpt '%s'",
			    cases[i].parameters, ret, reply.code, rcpt.notify,
			    ret == 0 ? rcpt.orcpt : "");
	}
	arena_free(&arena);
}

static void
test_smtp_parameters_bdat(void)
{
	static const struct {
		const char *arguments;
		int ret;
		uint64_t size;
		bool last;
	} cases[] = {
		{ "0", 0, 0, false },
		{ "0 LAST", 0, 0, true },
		{ "10 last", 0, 10, true },
		{ "10   LaSt", 0, 10, true },
		{ "0000000000000000000042", 0, 42, false },
		{ "18446744073709551615", 0, UINT64_MAX, false },
		{ "18446744073709551616", -1, 0, false },
		{ "000000000000000000000001", -1, 0, false },
		{ "", -1, 0, false },
		{ "LAST", -1, 0, false },
		{ "x", -1, 0, false },
		{ "-1", -1, 0, false },
		{ "+5", -1, 0, false },
		{ "10x", -1, 0, false },
		{ "10 LASTX", -1, 0, false },
		{ "10 LAS", -1, 0, false },
		{ "10 LAST 1", -1, 0, false },
		{ "10\tLAST", -1, 0, false },
		{ "1 0", -1, 0, false },
	};
	uint64_t size;
	bool last;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		size = 99;
		last = false;
		ret = smtp_parameters_parse_bdat(string_view_from_cstring(
		    cases[i].arguments), &size, &last);
		if (ret != cases[i].ret || (ret == 0 &&
		    (size != cases[i].size || last != cases[i].last)))
			test_fail(__FILE__, __LINE__, "'%s': ret %d size %llu "
			    "last %d", cases[i].arguments, ret,
			    (unsigned long long)size, (int)last);
	}
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_parameters_mail),
		TEST_CASE(test_smtp_parameters_rcpt),
		TEST_CASE(test_smtp_parameters_bdat),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
