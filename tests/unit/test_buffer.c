/* test_buffer.c: unit tests for lib/buffer. */
#include "lib/buffer.h"
#include "tests/unit/harness.h"

static void
test_buffer_append_and_string(void)
{
	struct buffer b;

	buffer_init(&b, 0);
	test_assert_string(buffer_string(&b), "");
	test_assert_int(buffer_append(&b, "abc", 3), 0);
	test_assert_int(buffer_printf(&b, "-%d", 12), 0);
	test_assert_string(buffer_string(&b), "abc-12");
	test_assert_int(buffer_length(&b), 6);
	buffer_consume(&b, 2);
	test_assert_string(buffer_string(&b), "c-12");
	buffer_truncate(&b, 1);
	test_assert_string(buffer_string(&b), "c");
	buffer_deinit(&b);
}

static void
test_buffer_cap_is_hard(void)
{
	struct buffer b;
	char block[100];

	memset(block, 'x', sizeof(block));
	buffer_init(&b, 250);
	test_assert_int(buffer_append(&b, block, 100), 0);
	test_assert_int(buffer_append(&b, block, 100), 0);
	test_assert_int(buffer_append(&b, block, 100), -1);
	test_assert_int(buffer_length(&b), 200);
	test_assert_int(buffer_append(&b, block, 50), 0);
	test_assert_int(buffer_append(&b, block, 1), -1);
	test_assert_int(buffer_printf(&b, "%s", "y"), -1);
	test_assert(buffer_reserve(&b, 1) == NULL);
	buffer_deinit(&b);
}

static void
test_buffer_reserve_zero_on_empty(void)
{
	struct buffer b;
	unsigned char *p;

	/* A fuzzer found this: reserving 0 bytes of a fresh buffer must not
	 * look like hitting the cap. */
	buffer_init(&b, 0);
	p = buffer_reserve(&b, 0);
	test_assert(p != NULL);
	buffer_commit(&b, 0);
	test_assert_string(buffer_string(&b), "");
	buffer_deinit(&b);
}

static void
test_buffer_binary_safe(void)
{
	struct buffer b;
	static const unsigned char bytes[] = { 0, 1, 0, 255 };

	buffer_init(&b, 0);
	test_assert_int(buffer_append(&b, bytes, sizeof(bytes)), 0);
	test_assert(memcmp(buffer_data(&b), bytes, 4) == 0);
	test_assert(buffer_data(&b)[4] == 0);
	buffer_reset(&b);
	test_assert_int(buffer_length(&b), 0);
	buffer_deinit(&b);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_buffer_append_and_string),
		TEST_CASE(test_buffer_cap_is_hard),
		TEST_CASE(test_buffer_reserve_zero_on_empty),
		TEST_CASE(test_buffer_binary_safe),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
