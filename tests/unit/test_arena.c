/* test_arena.c: unit tests for lib/arena. */
#include "lib/arena.h"
#include "tests/unit/harness.h"

static int cleanup_order[4];
static int cleanup_count;

static void
record_cleanup(void *context)
{
	cleanup_order[cleanup_count++] = *(int *)context;
}

static void
test_arena_alignment_and_zero(void)
{
	struct arena *arena = arena_new("test", 64);
	size_t i;

	for (i = 1; i < 200; i++) {
		unsigned char *p = arena_alloc(arena, i);
		test_assert(((uintptr_t)p % 16) == 0);
		test_assert(p[i - 1] == 0);
		memset(p, 0xaa, i);
	}
	arena_free(&arena);
	test_assert(arena == NULL);
	arena_free(&arena); /* NULL is a no-op */
}

static void
test_arena_large_allocation(void)
{
	struct arena *arena = arena_new("test", 0);
	char *small = arena_strdup(arena, "small");
	unsigned char *big = arena_alloc(arena, 5 * 1024 * 1024);
	char *after = arena_strdup(arena, "after");

	big[5 * 1024 * 1024 - 1] = 1;
	test_assert_string(small, "small");
	test_assert_string(after, "after");
	test_assert(arena_used(arena) >= 5 * 1024 * 1024);
	arena_free(&arena);
}

static void
test_arena_cleanups_run_newest_first(void)
{
	struct arena *arena = arena_new("test", 0);
	int *a = arena_alloc(arena, sizeof(int));
	int *b = arena_alloc(arena, sizeof(int));

	*a = 1;
	*b = 2;
	cleanup_count = 0;
	arena_add_cleanup(arena, record_cleanup, a);
	arena_add_cleanup(arena, record_cleanup, b);
	arena_free(&arena);
	test_assert_int(cleanup_count, 2);
	test_assert_int(cleanup_order[0], 2);
	test_assert_int(cleanup_order[1], 1);
}

static void
test_arena_printf(void)
{
	struct arena *arena = arena_new("test", 0);

	test_assert_string(arena_printf(arena, "%s=%u", "rcpt", 7u), "rcpt=7");
	test_assert_string(arena_strndup(arena, "abcdef", 3), "abc");
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_arena_alignment_and_zero),
		TEST_CASE(test_arena_large_allocation),
		TEST_CASE(test_arena_cleanups_run_newest_first),
		TEST_CASE(test_arena_printf),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
