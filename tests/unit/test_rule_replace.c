/* test_rule_replace.c: ReplaceTags expansion matches SpamAssassin's. */
#include "lib/arena.h"
#include "rules/rule_replace.h"
#include "tests/unit/harness.h"

static void
test_rule_replace_expands(void)
{
	static const struct rule_file_replace_tag tags[] = {
		{ RULE_FILE_REPLACE_TAG, "A", "[a\\@4]" },
		{ RULE_FILE_REPLACE_TAG, "B", "b" },
		{ RULE_FILE_REPLACE_TAG, "AB", "<A><B>" },
		{ RULE_FILE_REPLACE_INTER, "W1", "\\W?" },
		{ RULE_FILE_REPLACE_POST, "P2", "{1,2}" },
		{ RULE_FILE_REPLACE_PRE, "L", "\\b" },
		{ RULE_FILE_REPLACE_TAG, "B", "[bB]" }, /* later wins */
	};
	const struct rule_file_replace_tag *pointers[ARRAY_LENGTH(tags)];
	static const char *const rules[] = { "R" };
	struct rule_file_settings settings = {
		.replace_tags = pointers, .replace_tag_count = ARRAY_LENGTH(tags),
		.replace_rules = rules, .replace_rule_count = 1,
		.replace_start = "<", .replace_end = ">",
	};
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/x<A>y/i", "/x[a\\@4]y/i" },
		{ "/<A><B>/", "/[a\\@4][bB]/" },
		{ "/<inter W1><A><B>/", "/\\W?[a\\@4]\\W?[bB]/" },
		{ "/<post P2><A>c<B>/", "/[a\\@4]{1,2}c[bB]{1,2}/" },
		{ "/<pre L>q<A>/", "/q\\b[a\\@4]/" },
		{ "/<AB>/", "/[a\\@4][bB]/" },
		{ "m{<A>}i", "m{[a\\@4]}i" },
		{ "/(?<=x)<UNKNOWN>/", "/(?<=x)<UNKNOWN>/" },
		{ "/no tags/", "/no tags/" },
	};
	struct arena *arena = arena_new("test", 0);
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(tags); i++)
		pointers[i] = &tags[i];
	test_assert(rule_replace_applies(&settings, "R"));
	test_assert(!rule_replace_applies(&settings, "S"));
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		const char *out = rule_replace_expand(arena, &settings,
		    cases[i].in);
		if (strcmp(out, cases[i].out) != 0)
			test_fail(__FILE__, __LINE__, "%s -> %s, want %s",
			    cases[i].in, out, cases[i].out);
	}
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_replace_expands),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
