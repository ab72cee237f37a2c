/* test_network_list.c: network lists from settings and peer lookups. */
#include "lib/network_list.h"
#include "tests/unit/harness.h"

static void
test_network_list_contains(void)
{
	struct network_list *list;
	const char *error;

	test_require(network_list_parse("127.0.0.0/8, ::1/128, 192.0.2.7, "
	    "2001:db8::/32, 10.1.2.0/23", &list, &error) == 0);
	test_assert(network_list_contains(list, "127.0.0.1"));
	test_assert(network_list_contains(list, "127.255.1.2"));
	test_assert(network_list_contains(list, "::1"));
	test_assert(network_list_contains(list, "::ffff:127.0.0.9"));
	test_assert(network_list_contains(list, "192.0.2.7"));
	test_assert(!network_list_contains(list, "192.0.2.8"));
	test_assert(network_list_contains(list, "2001:db8:1::5"));
	test_assert(!network_list_contains(list, "2001:db9::5"));
	test_assert(network_list_contains(list, "10.1.3.255"));
	test_assert(!network_list_contains(list, "10.1.4.0"));
	test_assert(!network_list_contains(list, "unix"));
	test_assert(!network_list_contains(list, "128.0.0.1"));
	network_list_free(&list);
	test_assert(list == NULL);
	test_assert(!network_list_contains(NULL, "127.0.0.1"));
}

static void
test_network_list_refuses_bad_entries(void)
{
	static const char *const bad[] = {
		"127.0.0.0/33", "::1/129", "example.org", "!10.0.0.0/8",
		"10.1.", "1.2.3.4/x",
	};
	struct network_list *list;
	const char *error;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(bad); i++) {
		error = NULL;
		test_assert_int(network_list_parse(bad[i], &list, &error), -1);
		test_assert(error != NULL && strstr(error, bad[i]) != NULL);
	}
	test_require(network_list_parse("", &list, &error) == 0);
	test_assert(!network_list_contains(list, "127.0.0.1"));
	network_list_free(&list);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_network_list_contains),
		TEST_CASE(test_network_list_refuses_bad_entries),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
