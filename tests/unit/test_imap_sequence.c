/* test_imap_sequence.c: unit tests for mailstore/imap_sequence: parsing
 * and normalising sets, "*" resolved late, selecting existing numbers
 * and formatting number lists. */
#include "lib/arena.h"
#include "mailstore/imap_sequence.h"
#include "tests/unit/harness.h"

#include <inttypes.h>

struct parse_case {
	const char *text;
	/* Ranges as "a:b,c:d" plus "|*" and "|low:high" for the star part;
	 * NULL: expect the error. */
	const char *ranges;
	const char *error;
};

static const struct parse_case parse_cases[] = {
	{ "1", "1:1", NULL },
	{ "1:3,5,7:9", "1:3,5:5,7:9", NULL },
	{ "3:1", "1:3", NULL },
	{ "5,1:2,3", "1:3,5:5", NULL },
	{ "1:10,2:3,9:12,14", "1:12,14:14", NULL },
	{ "4294967295,1:4294967294", "1:4294967295", NULL },
	{ "4294967295:4294967294,4294967295", "4294967294:4294967295", NULL },
	{ "*", "|*", NULL },
	{ "*:*", "|*", NULL },
	{ "5:*", "|5:5", NULL },
	{ "*:5,2:*,9:*,1", "1:1|2:9", NULL },
	{ "", NULL, "invalid sequence set" },
	{ "0", NULL, "invalid sequence set" },
	{ "01", NULL, "invalid sequence set" },
	{ "1:0", NULL, "invalid sequence set" },
	{ "4294967296", NULL, "invalid sequence set" },
	{ "1,", NULL, "invalid sequence set" },
	{ ",1", NULL, "invalid sequence set" },
	{ "1::2", NULL, "invalid sequence set" },
	{ "1:2:3", NULL, "invalid sequence set" },
	{ "1 2", NULL, "invalid sequence set" },
	{ "$", NULL, "invalid sequence set" },
	{ "**", NULL, "invalid sequence set" },
	{ "-1", NULL, "invalid sequence set" },
};

static void
render_set(char *out, size_t size, const struct imap_sequence_set *set)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < set->range_count; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%" PRIu32 ":%"
		    PRIu32, i > 0 ? "," : "", set->ranges[i].first,
		    set->ranges[i].last);
	if (!set->has_star)
		return;
	if (set->star_low == 0)
		snprintf(out + n, size - n, "|*");
	else
		snprintf(out + n, size - n, "|%" PRIu32 ":%" PRIu32,
		    set->star_low, set->star_high);
}

static void
test_imap_sequence_parse_cases(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_sequence_set *set;
	const char *error;
	char out[256];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(parse_cases); i++) {
		ret = imap_sequence_parse(parse_cases[i].text, arena, &set,
		    &error);
		if (parse_cases[i].ranges == NULL) {
			if (ret != -1 || strcmp(error, parse_cases[i].error))
				test_fail(__FILE__, __LINE__, "case %zu (%s) "
				    "accepted", i, parse_cases[i].text);
			continue;
		}
		if (ret != 0) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i, error);
			continue;
		}
		render_set(out, sizeof(out), set);
		if (strcmp(out, parse_cases[i].ranges) != 0)
			test_fail(__FILE__, __LINE__, "case %zu (%s): got %s",
			    i, parse_cases[i].text, out);
	}
	arena_free(&arena);
}

static void
test_imap_sequence_limit(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_sequence_set *set;
	char *text = malloc(IMAP_SEQUENCE_RANGES_MAX * 12 + 16);
	const char *error;
	size_t i, n = 0;

	for (i = 0; i < IMAP_SEQUENCE_RANGES_MAX; i++)
		n += (size_t)sprintf(text + n, "%s%zu", i > 0 ? "," : "",
		    i * 2 + 1);
	test_assert_int(imap_sequence_parse(text, arena, &set, &error), 0);
	test_assert(set->range_count == IMAP_SEQUENCE_RANGES_MAX);
	test_assert(imap_sequence_contains(set, 19999, 1));
	test_assert(!imap_sequence_contains(set, 19998, 1));
	strcpy(text + n, ",99999");
	test_assert_int(imap_sequence_parse(text, arena, &set, &error), -1);
	test_assert_string(error, "too many ranges in sequence set");
	free(text);
	arena_free(&arena);
}

static void
test_imap_sequence_contains(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_sequence_set *set;
	const char *error;

	test_require(imap_sequence_parse("2:4,8,10:*", arena, &set,
	    &error) == 0);
	test_assert(!imap_sequence_contains(set, 1, 20));
	test_assert(imap_sequence_contains(set, 2, 20));
	test_assert(imap_sequence_contains(set, 4, 20));
	test_assert(!imap_sequence_contains(set, 5, 20));
	test_assert(imap_sequence_contains(set, 8, 20));
	test_assert(!imap_sequence_contains(set, 9, 20));
	test_assert(imap_sequence_contains(set, 10, 20));
	test_assert(imap_sequence_contains(set, 20, 20));
	test_assert(!imap_sequence_contains(set, 21, 20));
	/* "10:*" with "*" = 6 is 6:10. */
	test_assert(imap_sequence_contains(set, 6, 6));
	test_assert(imap_sequence_contains(set, 10, 6));
	test_assert(!imap_sequence_contains(set, 11, 6));
	test_require(imap_sequence_parse("*", arena, &set, &error) == 0);
	test_assert(imap_sequence_contains(set, 7, 7));
	test_assert(!imap_sequence_contains(set, 6, 7));
	arena_free(&arena);
}

static void
test_imap_sequence_select(void)
{
	static const uint32_t uids[] = { 3, 5, 9, 10, 40 };
	struct arena *arena = arena_new("test", 0);
	struct imap_sequence_set *set;
	uint32_t *numbers;
	const char *error;
	size_t count;

	test_require(imap_sequence_parse("1:5,41:*", arena, &set,
	    &error) == 0);
	imap_sequence_select(set, uids, ARRAY_LENGTH(uids), 0, arena,
	    &numbers, &count);
	/* "41:*" with * = 40 is 40:41. */
	test_require(count == 3);
	test_assert(numbers[0] == 3 && numbers[1] == 5 && numbers[2] == 40);
	imap_sequence_select(set, uids, ARRAY_LENGTH(uids), 50, arena,
	    &numbers, &count);
	test_assert(count == 2);
	imap_sequence_select(set, uids, 0, 0, arena, &numbers, &count);
	test_assert(count == 0 && numbers == NULL);
	test_require(imap_sequence_parse("6,2:3", arena, &set, &error) == 0);
	imap_sequence_select(set, uids, ARRAY_LENGTH(uids), 0, arena,
	    &numbers, &count);
	test_assert(count == 1 && numbers[0] == 3);
	imap_sequence_select(set, NULL, 4, 0, arena, &numbers, &count);
	test_require(count == 2);
	test_assert(numbers[0] == 2 && numbers[1] == 3);
	test_require(imap_sequence_parse("*:3", arena, &set, &error) == 0);
	imap_sequence_select(set, NULL, 5, 0, arena, &numbers, &count);
	test_require(count == 3);
	test_assert(numbers[0] == 3 && numbers[2] == 5);
	test_require(imap_sequence_parse("7", arena, &set, &error) == 0);
	imap_sequence_select(set, NULL, 5, 0, arena, &numbers, &count);
	test_assert(count == 0 && numbers == NULL);
	arena_free(&arena);
}

static void
test_imap_sequence_format(void)
{
	static const uint32_t a[] = { 1, 2, 3, 7 };
	static const uint32_t b[] = { 5, 5, 6, 8, 10, 11, 4294967295u };
	static const uint32_t c[] = { 4294967294u, 4294967295u };
	struct arena *arena = arena_new("test", 0);
	struct imap_sequence_set *set;
	const char *error;

	test_assert_string(imap_sequence_format(arena, a, 4), "1:3,7");
	test_assert_string(imap_sequence_format(arena, b, 7),
	    "5:6,8,10:11,4294967295");
	test_assert_string(imap_sequence_format(arena, c, 2),
	    "4294967294:4294967295");
	test_assert_string(imap_sequence_format(arena, a, 1), "1");
	test_assert_string(imap_sequence_format(arena, NULL, 0), "");
	/* What is formatted parses back to the same numbers. */
	test_require(imap_sequence_parse(imap_sequence_format(arena, b, 7),
	    arena, &set, &error) == 0);
	test_assert(set->range_count == 4);
	test_assert(imap_sequence_contains(set, 11, 1));
	test_assert(!imap_sequence_contains(set, 9, 1));
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_sequence_parse_cases),
		TEST_CASE(test_imap_sequence_limit),
		TEST_CASE(test_imap_sequence_contains),
		TEST_CASE(test_imap_sequence_select),
		TEST_CASE(test_imap_sequence_format),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
