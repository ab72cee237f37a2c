/* test_ruleset.c: rule set building as a reload sees it: which rules are
 * skipped as invalid, and which problems of a rebuilt set are new. */
#include "rules/ruleset.h"
#include "tests/unit/harness.h"
#include "tests/unit/rules_fixture.h"

/* Builds a rule set from cf written to name.cf in the temp directory
 * (the same name overwrites, as an admin edits a file in place). */

static const struct ruleset_skip *
find_skip(const struct ruleset *ruleset, const char *rule)
{
	const struct ruleset_skip *skipped;
	size_t count, i;

	skipped = ruleset_skipped(ruleset, &count);
	for (i = 0; i < count; i++)
		if (strcmp(skipped[i].rule, rule) == 0)
			return &skipped[i];
	return NULL;
}

static bool
ends_with(const char *text, const char *suffix)
{
	size_t length = strlen(text), suffix_length = strlen(suffix);

	return length >= suffix_length &&
	    strcmp(text + length - suffix_length, suffix) == 0;
}

static void
test_ruleset_skips_marked_invalid(void)
{
	struct ruleset *ruleset = rules_fixture_build("invalid",
	    "body GOOD /hello/\n"
	    "body BAD_REGEX /(/\n"
	    "meta BAD_META GOOD &\n"
	    "meta GOOD_META GOOD && !BAD_REGEX\n"
	    "body OFF /x/\n"
	    "score OFF 0\n"
	    "body NO_EVAL eval:no_such_function()\n");
	const struct ruleset_skip *skip;
	size_t count;

	test_require(ruleset != NULL);
	skip = find_skip(ruleset, "BAD_REGEX");
	test_assert(skip != NULL && skip->invalid &&
	    strncmp(skip->reason, "regex:", 6) == 0 && skip->line == 2);
	skip = find_skip(ruleset, "BAD_META");
	test_assert(skip != NULL && skip->invalid &&
	    strncmp(skip->reason, "meta:", 5) == 0);
	test_assert(ruleset_find(ruleset, "BAD_META", NULL) == NULL);
	/* Skipped, but not for an error in its own text. */
	skip = find_skip(ruleset, "GOOD_META");
	test_assert(skip != NULL && !skip->invalid);
	skip = find_skip(ruleset, "OFF");
	test_assert(skip != NULL && !skip->invalid);
	skip = find_skip(ruleset, "NO_EVAL");
	test_assert(skip != NULL && !skip->invalid);
	(void)ruleset_rules(ruleset, &count);
	test_assert_int(count, 1);
	ruleset_unref(&ruleset);
}

static void
test_ruleset_new_problems_none(void)
{
	struct ruleset *current = rules_fixture_build("none",
	    "body ONE /hello/\nscore ONE 1\n");
	struct ruleset *candidate = rules_fixture_build("none",
	    "body ONE /hello/\nscore ONE 1\nbody TWO /world/\n"
	    "unknown_directive whatever\n"
	    "body NO_EVAL eval:no_such_function()\n");
	const char *first = "unset";

	test_require(current != NULL && candidate != NULL);
	/* Unknown directives and unimplemented evals are not problems. */
	test_assert_int(ruleset_new_problems(current, candidate, &first), 0);
	test_assert(first == NULL);
	test_assert_int(ruleset_new_problems(current, current, &first), 0);
	test_assert_int(ruleset_new_problems(NULL, candidate, &first), 0);
	ruleset_unref(&current);
	ruleset_unref(&candidate);
}

static void
test_ruleset_new_problems_regex(void)
{
	struct ruleset *current = rules_fixture_build("regex",
	    "body ONE /hello/\n");
	struct ruleset *candidate = rules_fixture_build("regex",
	    "body ONE /hello/\nbody BROKEN /(/\n");
	const char *first = NULL;

	test_require(current != NULL && candidate != NULL);
	test_assert_int(ruleset_new_problems(current, candidate, &first), 1);
	test_require(first != NULL);
	test_assert(strstr(first, "/regex.cf:2: BROKEN: regex:") != NULL);
	/* Nothing running: every problem counts. */
	test_assert_int(ruleset_new_problems(NULL, candidate, &first), 1);
	/* The other way round nothing is new. */
	test_assert_int(ruleset_new_problems(candidate, current, &first), 0);
	test_assert(first == NULL);
	ruleset_unref(&current);
	ruleset_unref(&candidate);
}

static void
test_ruleset_new_problems_known_ones_excused(void)
{
	/* A broken rule the running set has already is not new, even when
	 * lines above it moved; a second broken copy elsewhere is. */
	struct ruleset *current = rules_fixture_build("known",
	    "body BROKEN /(/\n"
	    "score ONE 1 2\n"
	    "body ONE /x/\n");
	struct ruleset *moved = rules_fixture_build("known",
	    "body ADDED /fine/\n\n"
	    "body BROKEN /(/\n"
	    "body ONE /x/\n"
	    "score ONE 1 2\n");
	struct ruleset *more = rules_fixture_build("known",
	    "body BROKEN /(/\n"
	    "score ONE 1 2\n"
	    "body ONE /x/\n"
	    "score TWO 1 2\n"
	    "body ALSO_BROKEN /[/\n");
	const char *first = NULL;

	test_require(current != NULL && moved != NULL && more != NULL);
	test_assert_int(ruleset_new_problems(current, moved, &first), 0);
	test_assert_int(ruleset_new_problems(current, more, &first), 2);
	test_require(first != NULL);
	/* Diagnostics come first: the bad score line. */
	test_assert(strstr(first, "/known.cf:4: ") != NULL);
	ruleset_unref(&current);
	ruleset_unref(&moved);
	ruleset_unref(&more);
}

static void
test_ruleset_new_problems_diagnostics(void)
{
	struct ruleset *current = rules_fixture_build("diagnostics",
	    "body ONE /x/\n");
	struct ruleset *unterminated = rules_fixture_build("diagnostics",
	    "body ONE /x/\nif (1)\nbody TWO /y/\n");
	struct ruleset *invalid = rules_fixture_build("diagnostics",
	    "body ONE /x/\nscore ONE lots\n");
	struct ruleset *twice_current = rules_fixture_build("diagnostics",
	    "body ONE /x/\nscore ONE lots\n");
	struct ruleset *twice = rules_fixture_build("diagnostics",
	    "body ONE /x/\nscore ONE lots\nscore ONE lots\n");
	const char *first = NULL;

	test_require(current != NULL && unterminated != NULL &&
	    invalid != NULL && twice_current != NULL && twice != NULL);
	test_assert_int(ruleset_new_problems(current, unterminated, &first),
	    1);
	test_require(first != NULL);
	test_assert(ends_with(first, "/diagnostics.cf:3: 'if' on line 2 not "
	    "closed by 'endif' at end of file"));
	test_assert_int(ruleset_new_problems(current, invalid, &first), 1);
	test_require(first != NULL);
	test_assert(ends_with(first, "/diagnostics.cf:2: invalid 'score' "
	    "line: 'lots' is not a number (skipped)"));
	/* Each known problem excuses one equal problem, not every copy. */
	test_assert_int(ruleset_new_problems(twice_current, twice, &first),
	    1);
	test_require(first != NULL);
	test_assert(strstr(first, "/diagnostics.cf:3: ") != NULL);
	ruleset_unref(&current);
	ruleset_unref(&unterminated);
	ruleset_unref(&invalid);
	ruleset_unref(&twice_current);
	ruleset_unref(&twice);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_ruleset_skips_marked_invalid),
		TEST_CASE(test_ruleset_new_problems_none),
		TEST_CASE(test_ruleset_new_problems_regex),
		TEST_CASE(test_ruleset_new_problems_known_ones_excused),
		TEST_CASE(test_ruleset_new_problems_diagnostics),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
