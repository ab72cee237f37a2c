/* test_bayes_classify.c: unit tests for bayes/bayes_classify. Expected
 * probabilities were computed independently in Python (the chi-square
 * tail as a Poisson sum via lgamma) and are hard-coded here. */
#include "bayes/bayes_classify.h"

#include <math.h>

#include "lib/alloc.h"
#include "tests/unit/harness.h"

/* Both computations are double precision; they differ only in rounding. */
#define TOLERANCE 1e-12

#define test_assert_near(a, b)                                            \
	do {                                                              \
		double test_x_ = (a), test_y_ = (b);                      \
		if (!(fabs(test_x_ - test_y_) <= TOLERANCE))              \
			test_fail(__FILE__, __LINE__,                     \
			    "%s ~= %s (%.17g != %.17g)", #a, #b,          \
			    test_x_, test_y_);                            \
	} while (0)

/* A small message: totals 250 spam / 300 ham. Token 4 is unknown, 3
 * and 6 are too weak (f about 0.545). */
static const struct bayes_classify_token message_tokens[] = {
	{ 1, 40, 2 },
	{ 2, 0, 30 },
	{ 3, 5, 5 },
	{ 4, 0, 0 },
	{ 5, 12, 0 },
	{ 6, 1, 1 },
	{ 7, 3, 60 },
	{ 8, 100, 1 },
};
#define MESSAGE_SPAM 250
#define MESSAGE_HAM 300
#define MESSAGE_PROBABILITY 0.51043057514023249

static int
classify(const struct bayes_classify_settings *settings,
    uint64_t spam_learned, uint64_t ham_learned,
    const struct bayes_classify_token *tokens, size_t count,
    struct arena *arena, struct bayes_classify_result *result_r)
{
	const char *error = NULL;
	int ret;

	ret = bayes_classify_message(settings, spam_learned, ham_learned,
	    tokens, count, arena, result_r, &error);
	if (ret < 0)
		test_fail(__FILE__, __LINE__, "classify: %s", error);
	return ret;
}

static void
test_bayes_classify_settings(void)
{
	struct bayes_classify_settings settings, bad;
	const char *error = NULL;

	bayes_classify_settings_default(&settings);
	test_assert(settings.s == 0.030);
	test_assert(settings.x == 0.538);
	test_assert(settings.min_prob_strength == 0.346);
	test_assert_int(settings.max_tokens, 150);
	test_assert_int(settings.min_spam, 200);
	test_assert_int(settings.min_ham, 200);
	test_assert_int(bayes_classify_settings_check(&settings, &error), 0);

	bad = settings;
	bad.s = 0.0;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	test_assert(error != NULL && strstr(error, "s must") != NULL);
	bad = settings;
	bad.x = 1.0;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	bad = settings;
	bad.x = NAN;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	bad = settings;
	bad.min_prob_strength = 0.5;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	bad = settings;
	bad.max_tokens = 0;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	bad.max_tokens = BAYES_CLASSIFY_MAX_TOKENS_LIMIT + 1;
	test_assert_int(bayes_classify_settings_check(&bad, &error), -1);
	bad.max_tokens = BAYES_CLASSIFY_MAX_TOKENS_LIMIT;
	test_assert_int(bayes_classify_settings_check(&bad, &error), 0);
}

static void
test_bayes_classify_token_probability(void)
{
	struct bayes_classify_settings settings;
	double f = -1.0;

	bayes_classify_settings_default(&settings);
	test_assert(bayes_classify_token_probability(&settings, 10, 1, 200,
	    400, &f));
	test_assert_near(f, 0.95125389630013391);
	test_assert(bayes_classify_token_probability(&settings, 1, 0, 250,
	    300, &f));
	test_assert_near(f, 0.98654368932038838);
	test_assert(bayes_classify_token_probability(&settings, 0, 3, 250,
	    300, &f));
	test_assert_near(f, 0.005326732673267328);

	/* Unknown tokens and empty totals have no probability. */
	f = -1.0;
	test_assert(!bayes_classify_token_probability(&settings, 0, 0, 250,
	    300, &f));
	test_assert(!bayes_classify_token_probability(&settings, 3, 1, 0,
	    300, &f));
	test_assert(!bayes_classify_token_probability(&settings, 3, 1, 250,
	    0, &f));
	test_assert(f == -1.0);
}

static void
test_bayes_classify_combine(void)
{
	static const double four[] = { 0.99, 0.95, 0.1, 0.9 };
	static const double two[] = { 0.2, 0.3 };
	static const double seven[] = { 0.9, 0.9, 0.9, 0.9, 0.9, 0.05, 0.05 };
	double *many;
	size_t i;

	test_assert_near(bayes_classify_combine(four, 4), 0.8769255174141023);
	test_assert_near(bayes_classify_combine(two, 2), 0.17205314283197726);
	test_assert_near(bayes_classify_combine(seven, 7),
	    0.73351803331982002);
	test_assert(bayes_classify_combine(NULL, 0) == 0.5);

	/* -2 sum ln f is about 1466 here, past the plain series: the tail
	 * must come out near 0.99, not underflow to 0. */
	many = alloc_array(800, sizeof(*many));
	for (i = 0; i < 800; i++)
		many[i] = 0.4;
	test_assert_near(bayes_classify_combine(many, 800),
	    0.49617582436578522);
	alloc_free(&many);
}

static void
test_bayes_classify_message_exact(void)
{
	static const uint64_t expected_order[] = { 2, 5, 8, 1, 7 };
	struct bayes_classify_token reversed[ARRAY_LENGTH(message_tokens)];
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);
	size_t i, n = ARRAY_LENGTH(message_tokens);

	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    message_tokens, n, arena, &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_SCORED);
	test_assert_near(result.probability, MESSAGE_PROBABILITY);
	test_require(result.used_count == ARRAY_LENGTH(expected_order));
	for (i = 0; i < result.used_count; i++)
		test_assert_int(result.used[i].hash, expected_order[i]);
	test_assert_near(result.used[0].probability, 0.00053746253746253753);
	test_assert_int(result.used[0].spam_count, 0);
	test_assert_int(result.used[0].ham_count, 30);
	test_assert_near(result.used[4].probability, 0.056832900775012789);

	/* Input order does not matter. */
	for (i = 0; i < n; i++)
		reversed[i] = message_tokens[n - 1 - i];
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM, reversed,
	    n, arena, &result) == 0);
	test_assert_near(result.probability, MESSAGE_PROBABILITY);
	test_assert_int(result.used[0].hash, 2);
	arena_free(&arena);
}

static void
test_bayes_classify_message_spam(void)
{
	static const struct bayes_classify_token tokens[] = {
		{ 1, 40, 2 },
		{ 5, 12, 0 },
		{ 8, 100, 1 },
		{ 9, 30, 3 },
		{ 10, 2, 40 },
	};
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);

	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM, tokens,
	    ARRAY_LENGTH(tokens), arena, &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_SCORED);
	test_assert_near(result.probability, 0.90783383151957286);
	test_assert_int(result.used_count, 5);
	test_assert_string(bayes_classify_rule_for(result.probability)->name,
	    "BAYES_80");
	arena_free(&arena);
}

static void
test_bayes_classify_symmetry(void)
{
	struct bayes_classify_token swapped[ARRAY_LENGTH(message_tokens)];
	struct bayes_classify_settings settings;
	struct bayes_classify_result result, mirror;
	struct arena *arena = arena_new("test", 0);
	size_t i, n = ARRAY_LENGTH(message_tokens);

	/* Swapping spam and ham mirrors f(w) around x, so P becomes 1 - P
	 * exactly only with the neutral prior x = 0.5. */
	bayes_classify_settings_default(&settings);
	settings.x = 0.5;
	for (i = 0; i < n; i++) {
		swapped[i].hash = message_tokens[i].hash;
		swapped[i].spam_count = message_tokens[i].ham_count;
		swapped[i].ham_count = message_tokens[i].spam_count;
	}
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    message_tokens, n, arena, &result) == 0);
	test_require(classify(&settings, MESSAGE_HAM, MESSAGE_SPAM, swapped,
	    n, arena, &mirror) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_SCORED);
	test_assert_int(mirror.status, BAYES_CLASSIFY_SCORED);
	test_assert(result.probability != 0.5);
	test_assert_near(mirror.probability, 1.0 - result.probability);
	test_require(result.used_count == mirror.used_count);
	for (i = 0; i < result.used_count; i++) {
		test_assert_int(mirror.used[i].hash, result.used[i].hash);
		test_assert_near(mirror.used[i].probability,
		    1.0 - result.used[i].probability);
	}
	arena_free(&arena);
}

static void
test_bayes_classify_weak_tokens_ignored(void)
{
	/* f is about 0.545 for both: well inside 0.5 +- 0.346. */
	static const struct bayes_classify_token weak[] = {
		{ 3, 5, 5 },
		{ 6, 1, 1 },
		{ 4, 0, 0 },
	};
	struct bayes_classify_token with_weak[ARRAY_LENGTH(weak) + 2];
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);
	double strong_only;

	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM, weak,
	    ARRAY_LENGTH(weak), arena, &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_NO_TOKENS);
	test_assert(result.probability == 0.5);
	test_assert(result.used == NULL);
	test_assert_int(result.used_count, 0);

	/* Adding weak tokens to strong ones changes nothing. */
	with_weak[0] = message_tokens[0];
	with_weak[1] = message_tokens[1];
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    with_weak, 2, arena, &result) == 0);
	strong_only = result.probability;
	memcpy(&with_weak[2], weak, sizeof(weak));
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    with_weak, ARRAY_LENGTH(with_weak), arena, &result) == 0);
	test_assert_int(result.used_count, 2);
	test_assert(result.probability == strong_only);

	/* With no threshold they count. */
	settings.min_prob_strength = 0.0;
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    with_weak, ARRAY_LENGTH(with_weak), arena, &result) == 0);
	test_assert_int(result.used_count, 4);
	test_assert(result.probability != strong_only);
	arena_free(&arena);
}

static void
test_bayes_classify_most_significant_only(void)
{
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct bayes_classify_token *tokens;
	struct arena *arena = arena_new("test", 0);
	size_t i, count = 1000;

	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    message_tokens, ARRAY_LENGTH(message_tokens), arena,
	    &result) == 0);
	settings.max_tokens = 2;
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM,
	    message_tokens, ARRAY_LENGTH(message_tokens), arena,
	    &result) == 0);
	test_require(result.used_count == 2);
	test_assert_int(result.used[0].hash, 2);
	test_assert_int(result.used[1].hash, 5);
	test_assert_near(result.probability, 0.49781791091182914);

	/* 1000 strong tokens, spam counts rising with the hash: the 150
	 * kept are the most extreme ones, i.e. the highest hashes. */
	bayes_classify_settings_default(&settings);
	tokens = alloc_array(count, sizeof(*tokens));
	for (i = 0; i < count; i++) {
		tokens[i].hash = i;
		tokens[i].spam_count = 10 + i;
		tokens[i].ham_count = 0;
	}
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM, tokens,
	    count, arena, &result) == 0);
	test_require(result.used_count == 150);
	for (i = 0; i < result.used_count; i++)
		test_assert_int(result.used[i].hash, count - 1 - i);
	test_assert(result.probability > 0.999);
	alloc_free(&tokens);
	arena_free(&arena);
}

static void
test_bayes_classify_duplicates_once(void)
{
	struct bayes_classify_token doubled[2 * ARRAY_LENGTH(message_tokens)];
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);
	size_t n = ARRAY_LENGTH(message_tokens);

	memcpy(doubled, message_tokens, sizeof(message_tokens));
	memcpy(doubled + n, message_tokens, sizeof(message_tokens));
	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, MESSAGE_SPAM, MESSAGE_HAM, doubled,
	    2 * n, arena, &result) == 0);
	test_assert_int(result.used_count, 5);
	test_assert_near(result.probability, MESSAGE_PROBABILITY);
	arena_free(&arena);
}

static void
test_bayes_classify_abstain(void)
{
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);
	size_t n = ARRAY_LENGTH(message_tokens);

	bayes_classify_settings_default(&settings);
	test_require(classify(&settings, 199, 300, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_TOO_FEW_SPAM);
	test_assert(result.probability == 0.5);
	test_assert(result.used == NULL);
	test_require(classify(&settings, 250, 199, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_TOO_FEW_HAM);
	test_require(classify(&settings, 0, 0, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_TOO_FEW_SPAM);
	test_require(classify(&settings, 200, 200, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_SCORED);

	settings.min_spam = 1000;
	test_require(classify(&settings, 999, 5000, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_TOO_FEW_SPAM);

	/* Minimums of 0 with an empty class: nothing has a ratio. */
	settings.min_spam = 0;
	settings.min_ham = 0;
	test_require(classify(&settings, 0, 300, message_tokens, n, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_NO_TOKENS);
	test_require(classify(&settings, 250, 300, NULL, 0, arena,
	    &result) == 0);
	test_assert_int(result.status, BAYES_CLASSIFY_NO_TOKENS);

	test_assert_string(bayes_classify_status_name(
	    BAYES_CLASSIFY_TOO_FEW_HAM), "too few ham learned");
	arena_free(&arena);
}

static void
test_bayes_classify_invalid_settings(void)
{
	struct bayes_classify_settings settings;
	struct bayes_classify_result result;
	struct arena *arena = arena_new("test", 0);
	const char *error = NULL;

	bayes_classify_settings_default(&settings);
	settings.s = -1.0;
	test_assert_int(bayes_classify_message(&settings, 250, 300,
	    message_tokens, ARRAY_LENGTH(message_tokens), arena, &result,
	    &error), -1);
	test_assert(error != NULL);
	arena_free(&arena);
}

static void
test_bayes_classify_rule_boundaries(void)
{
	static const struct {
		double probability;
		const char *name;
	} cases[] = {
		{ -0.5, "BAYES_00" },
		{ 0.0, "BAYES_00" },
		{ 0.00999, "BAYES_00" },
		{ 0.01, "BAYES_05" },
		{ 0.04999, "BAYES_05" },
		{ 0.05, "BAYES_20" },
		{ 0.19999, "BAYES_20" },
		{ 0.20, "BAYES_40" },
		{ 0.39999, "BAYES_40" },
		{ 0.40, "BAYES_50" },
		{ 0.5, "BAYES_50" },
		{ 0.59999, "BAYES_50" },
		{ 0.60, "BAYES_60" },
		{ 0.79999, "BAYES_60" },
		{ 0.80, "BAYES_80" },
		{ 0.94999, "BAYES_80" },
		{ 0.95, "BAYES_95" },
		{ 0.98999, "BAYES_95" },
		{ 0.99, "BAYES_99" },
		{ 0.99899, "BAYES_99" },
		{ 0.999, "BAYES_999" },
		{ 1.0, "BAYES_999" },
		{ 1.5, "BAYES_999" },
	};
	const struct bayes_classify_rule *rule;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		rule = bayes_classify_rule_for(cases[i].probability);
		test_assert_string(rule->name, cases[i].name);
		if (cases[i].probability >= 0.0 &&
		    cases[i].probability < 1.0) {
			test_assert(rule->lower <= cases[i].probability);
			test_assert(cases[i].probability < rule->upper);
		}
	}
	test_assert(bayes_classify_rule_for(0.0)->score == -1.9);
	test_assert(bayes_classify_rule_for(0.02)->score == -0.5);
	test_assert(bayes_classify_rule_for(0.5)->score == 0.8);
	test_assert(bayes_classify_rule_for(0.97)->score == 3.0);
	test_assert(bayes_classify_rule_for(0.995)->score == 3.5);
	test_assert(bayes_classify_rule_for(1.0)->score == 3.7);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_bayes_classify_settings),
		TEST_CASE(test_bayes_classify_token_probability),
		TEST_CASE(test_bayes_classify_combine),
		TEST_CASE(test_bayes_classify_message_exact),
		TEST_CASE(test_bayes_classify_message_spam),
		TEST_CASE(test_bayes_classify_symmetry),
		TEST_CASE(test_bayes_classify_weak_tokens_ignored),
		TEST_CASE(test_bayes_classify_most_significant_only),
		TEST_CASE(test_bayes_classify_duplicates_once),
		TEST_CASE(test_bayes_classify_abstain),
		TEST_CASE(test_bayes_classify_invalid_settings),
		TEST_CASE(test_bayes_classify_rule_boundaries),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
