/* test_alloc.c: unit tests for lib/alloc. */
#include "lib/alloc.h"
#include "tests/unit/harness.h"

static void
test_alloc_zeroes(void)
{
	unsigned char *p = alloc_array(64, 4);
	size_t i;
	bool zero = true;

	for (i = 0; i < 256; i++)
		zero = zero && p[i] == 0;
	test_assert(zero);
	alloc_free(&p);
	test_assert(p == NULL);
}

static void
test_alloc_strings(void)
{
	char *s = alloc_strndup("hello world", 5);
	char *t = alloc_printf("%s-%d", s, 42);

	test_assert_string(s, "hello");
	test_assert_string(t, "hello-42");
	free(s);
	free(t);
}

static void
test_alloc_resize_keeps_prefix(void)
{
	char *p = alloc_strdup("abc");

	p = alloc_resize(p, 1000, 1);
	test_assert(memcmp(p, "abc", 4) == 0);
	free(p);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_alloc_zeroes),
		TEST_CASE(test_alloc_strings),
		TEST_CASE(test_alloc_resize_keeps_prefix),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
