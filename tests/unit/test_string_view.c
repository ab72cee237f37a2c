/* test_string_view.c: unit tests for lib/string_view. */
#include "lib/string_view.h"
#include "tests/unit/harness.h"

static void
test_string_view_compare(void)
{
	struct string_view a = STRING_VIEW_LITERAL("MAIL FROM");

	test_assert(string_view_equal_cstring_case(a, "mail from"));
	test_assert(!string_view_equal(a, STRING_VIEW_LITERAL("mail from")));
	test_assert(string_view_starts_with_case(a, "mail"));
	test_assert(!string_view_starts_with_case(a, "mail from:x"));
}

static void
test_string_view_trim_skip(void)
{
	struct string_view v = string_view_trim(STRING_VIEW_LITERAL(" \tab c \t"));

	test_assert(string_view_equal(v, STRING_VIEW_LITERAL("ab c")));
	test_assert(string_view_equal(string_view_skip(v, 3),
	    STRING_VIEW_LITERAL("c")));
	test_assert_int(string_view_skip(v, 99).length, 0);
}

static void
test_string_view_printable(void)
{
	char out[8];

	test_assert_string(string_view_printable(
	    STRING_VIEW_LITERAL("a\r\nb"), out, sizeof(out)), "a??b");
	test_assert_string(string_view_printable(
	    STRING_VIEW_LITERAL("abcdefghij"), out, sizeof(out)), "abcd...");
	test_assert_string(string_view_printable(
	    STRING_VIEW_LITERAL("abcdefg"), out, sizeof(out)), "abcdefg");
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_string_view_compare),
		TEST_CASE(test_string_view_trim_skip),
		TEST_CASE(test_string_view_printable),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
