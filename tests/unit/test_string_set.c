/* test_string_set.c: unit tests for lib/string_set. */
#include "lib/string_set.h"
#include "tests/unit/harness.h"

#include <stdio.h>

static void
test_string_set_membership(void)
{
	struct string_set *set = string_set_new(0);

	test_assert(!string_set_contains(set, "gmail.com"));
	test_assert(string_set_add(set, "gmail.com"));
	test_assert(!string_set_add(set, "gmail.com"));
	test_assert(string_set_add(set, ""));
	test_assert(string_set_contains(set, "gmail.com"));
	test_assert(string_set_contains(set, ""));
	test_assert(!string_set_contains(set, "GMAIL.COM"));
	test_assert(!string_set_contains(set, "gmail.co"));
	test_assert(!string_set_contains(set, "gmail.comx"));
	/* A prefix of a longer string, not NUL-terminated. */
	test_assert(string_set_contains_bytes(set, "gmail.com.evil", 9));
	test_assert(!string_set_contains_bytes(set, "gmail.com.evil", 10));
	test_assert_int(string_set_count(set), 2);
	string_set_free(&set);
	test_assert(set == NULL);
	test_assert(!string_set_contains(NULL, "x"));
	test_assert_int(string_set_count(NULL), 0);
}

static void
test_string_set_growth(void)
{
	static char keys[5000][16];
	struct string_set *set = string_set_new(4);
	size_t i;

	for (i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "d%zu.example", i);
		test_assert(string_set_add(set, keys[i]));
	}
	test_assert_int(string_set_count(set), 5000);
	for (i = 0; i < 5000; i++)
		test_assert(string_set_contains(set, keys[i]));
	test_assert(!string_set_contains(set, "d5000.example"));
	test_assert(!string_set_add(set, "d4999.example"));
	string_set_free(&set);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_string_set_membership),
		TEST_CASE(test_string_set_growth),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
