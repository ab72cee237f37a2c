/* bayes_classify.c: Robinson's f(w) and Fisher's chi-square combination
 * of token probabilities into P(spam), and the BAYES_xx rule table.
 *
 * DESIGN. This follows SpamAssassin's Bayes classifier (Robinson's
 * "chi-squared" variant) so that thresholds and scores tuned for it carry
 * over:
 *   1. A token's raw probability p(w) compares how often it appears in
 *      spam and in ham, each normalised by the number of messages of that
 *      class learned, so an unbalanced corpus does not bias it.
 *   2. Robinson's f(w) = (s * x + n * p(w)) / (s + n) pulls rarely seen
 *      tokens (small n) towards the prior x; s says how many
 *      observations the prior is worth.
 *   3. Tokens with f(w) close to 0.5 carry little information and are
 *      dropped; of the rest, only the strongest max_tokens are kept, so a
 *      long message cannot drown its telling tokens in noise.
 *   4. Fisher's method turns the kept f(w) into two chi-square tests
 *      (spamminess and hamminess, 2N degrees of freedom) and P(spam) is
 *      the average of one and the complement of the other. Both tests
 *      agreeing pushes P towards 0 or 1; disagreement leaves it near 0.5.
 * The constants are SpamAssassin's defaults:
 *   s = 0.030 (FW_S_CONSTANT): the prior weighs 3% of one observation,
 *     so a token seen once is already mostly its own evidence;
 *   x = 0.538 (FW_X_CONSTANT): unseen-ish tokens lean slightly to spam;
 *   min_prob_strength = 0.346 (MIN_PROB_STRENGTH): keep f <= 0.154 or
 *     f >= 0.846;
 *   max_tokens = 150 (N_SIGNIFICANT_TOKENS);
 *   min_spam = min_ham = 200 (bayes_min_spam_num / bayes_min_ham_num):
 *     below that the counts are too noisy and Bayes abstains.
 * The chi-square upper tail for even degrees of freedom 2N is the
 * Poisson sum e^-m * sum_{i<N} m^i / i! with m = chi / 2, evaluated as
 * SpamAssassin's chi2q() does (running product), clamped to 1. When e^-m
 * would underflow (m > 700, only reachable with very many or very
 * extreme tokens) the same sum is taken in logarithms instead, so the
 * result stays correct rather than collapsing to 0. We sum logarithms
 * where SpamAssassin multiplies and renormalises with frexp(); the two
 * agree to rounding. Tokens with both counts 0 are not in the store and
 * are skipped, as are all tokens when a total is 0 (no ratio exists). */
#include "bayes/bayes_classify.h"

#include <math.h>

#include "lib/alloc.h"
#include "lib/error.h"

/* exp(-m) is a normal double for m up to about 708; stay below that. */
#define CHI_SQUARE_SERIES_LIMIT 700.0

/* SpamAssassin's boundaries; scores are its score set 3 (Bayes and
 * network tests). SpamAssassin's BAYES_99 spans [0.99, 1] and BAYES_999
 * [0.999, 1], so both fire at the top (3.5 + 0.2). Our intervals are
 * disjoint and one rule fires, so BAYES_999 carries the sum. */
static const struct bayes_classify_rule bayes_classify_rules[] = {
	{ "BAYES_00", 0.0, 0.01, -1.9 },
	{ "BAYES_05", 0.01, 0.05, -0.5 },
	{ "BAYES_20", 0.05, 0.20, -0.001 },
	{ "BAYES_40", 0.20, 0.40, -0.001 },
	{ "BAYES_50", 0.40, 0.60, 0.8 },
	{ "BAYES_60", 0.60, 0.80, 1.5 },
	{ "BAYES_80", 0.80, 0.95, 2.0 },
	{ "BAYES_95", 0.95, 0.99, 3.0 },
	{ "BAYES_99", 0.99, 0.999, 3.5 },
	{ "BAYES_999", 0.999, 1.0, 3.7 },
};

/* A token considered for combination, with its distance from 0.5. */
struct bayes_classify_candidate {
	struct bayes_classify_used_token token;
	double strength;
};

void
bayes_classify_settings_default(struct bayes_classify_settings *settings_r)
{
	memset(settings_r, 0, sizeof(*settings_r));
	settings_r->s = BAYES_CLASSIFY_DEFAULT_S;
	settings_r->x = BAYES_CLASSIFY_DEFAULT_X;
	settings_r->min_prob_strength =
	    BAYES_CLASSIFY_DEFAULT_MIN_PROB_STRENGTH;
	settings_r->max_tokens = BAYES_CLASSIFY_DEFAULT_MAX_TOKENS;
	settings_r->min_spam = BAYES_CLASSIFY_DEFAULT_MIN_SPAM;
	settings_r->min_ham = BAYES_CLASSIFY_DEFAULT_MIN_HAM;
}

int
bayes_classify_settings_check(const struct bayes_classify_settings *settings,
    const char **error_r)
{
	/* Written as negated ranges so that NaN fails too. */
	if (!(settings->s > 0.0 && isfinite(settings->s))) {
		*error_r = error_set("bayes: s must be a positive number");
		return -1;
	}
	if (!(settings->x > 0.0 && settings->x < 1.0)) {
		*error_r = error_set("bayes: x must lie strictly between "
		    "0 and 1");
		return -1;
	}
	if (!(settings->min_prob_strength >= 0.0 &&
	    settings->min_prob_strength < 0.5)) {
		*error_r = error_set("bayes: min_prob_strength must lie in "
		    "[0, 0.5)");
		return -1;
	}
	if (settings->max_tokens < 1 ||
	    settings->max_tokens > BAYES_CLASSIFY_MAX_TOKENS_LIMIT) {
		*error_r = error_set("bayes: max_tokens must lie in [1, %d]",
		    BAYES_CLASSIFY_MAX_TOKENS_LIMIT);
		return -1;
	}
	return 0;
}

bool
bayes_classify_token_probability(
    const struct bayes_classify_settings *settings, uint64_t spam_count,
    uint64_t ham_count, uint64_t spam_learned, uint64_t ham_learned,
    double *probability_r)
{
	double spam_ratio, ham_ratio, p, n;

	if (spam_count == 0 && ham_count == 0)
		return false;
	if (spam_learned == 0 || ham_learned == 0)
		return false;
	spam_ratio = (double)spam_count / (double)spam_learned;
	ham_ratio = (double)ham_count / (double)ham_learned;
	p = spam_ratio / (spam_ratio + ham_ratio);
	n = (double)spam_count + (double)ham_count;
	*probability_r = (settings->s * settings->x + n * p) /
	    (settings->s + n);
	return true;
}

/* The chi-square upper tail Q(chi, 2 * half_degrees), half_degrees >= 1. */
static double
chi_square_upper(double chi, size_t half_degrees)
{
	double m = chi / 2.0, term, sum, log_term;
	size_t i;

	if (m <= CHI_SQUARE_SERIES_LIMIT) {
		sum = term = exp(-m);
		for (i = 1; i < half_degrees; i++) {
			term *= m / (double)i;
			sum += term;
		}
	} else {
		/* Terms rise until i is about m, so with m > 700 the early
		 * ones underflow while later ones may not. */
		log_term = -m;
		sum = exp(log_term);
		for (i = 1; i < half_degrees; i++) {
			log_term += log(m / (double)i);
			sum += exp(log_term);
		}
	}
	return sum < 1.0 ? sum : 1.0;
}

double
bayes_classify_combine(const double *probabilities, size_t count)
{
	double log_spam = 0.0, log_ham = 0.0, h, s;
	size_t i;

	ASSERT(count <= BAYES_CLASSIFY_MAX_TOKENS_LIMIT);
	if (count == 0)
		return 0.5;
	for (i = 0; i < count; i++) {
		ASSERT(probabilities[i] > 0.0 && probabilities[i] < 1.0);
		log_spam += log(probabilities[i]);
		log_ham += log1p(-probabilities[i]);
	}
	h = chi_square_upper(-2.0 * log_spam, count);
	s = chi_square_upper(-2.0 * log_ham, count);
	return (1.0 + h - s) / 2.0;
}

/* Strongest first; equal strength by hash so the result never depends
 * on input order; then by counts so exact duplicates end up adjacent. */
static int
candidate_compare(const void *a, const void *b)
{
	const struct bayes_classify_candidate *x = a, *y = b;

	if (x->strength != y->strength)
		return x->strength > y->strength ? -1 : 1;
	if (x->token.hash != y->token.hash)
		return x->token.hash < y->token.hash ? -1 : 1;
	if (x->token.spam_count != y->token.spam_count)
		return x->token.spam_count < y->token.spam_count ? -1 : 1;
	if (x->token.ham_count != y->token.ham_count)
		return x->token.ham_count < y->token.ham_count ? -1 : 1;
	return 0;
}

static void
result_abstain(struct bayes_classify_result *result_r,
    enum bayes_classify_status status)
{
	memset(result_r, 0, sizeof(*result_r));
	result_r->status = status;
	result_r->probability = 0.5;
}

int
bayes_classify_message(const struct bayes_classify_settings *settings,
    uint64_t spam_learned, uint64_t ham_learned,
    const struct bayes_classify_token *tokens, size_t token_count,
    struct arena *arena, struct bayes_classify_result *result_r,
    const char **error_r)
{
	struct bayes_classify_candidate *candidates;
	struct bayes_classify_used_token *used;
	double *probabilities, f;
	size_t i, candidate_count = 0, used_count = 0;

	if (bayes_classify_settings_check(settings, error_r) < 0)
		return -1;
	if (spam_learned < settings->min_spam) {
		result_abstain(result_r, BAYES_CLASSIFY_TOO_FEW_SPAM);
		return 0;
	}
	if (ham_learned < settings->min_ham) {
		result_abstain(result_r, BAYES_CLASSIFY_TOO_FEW_HAM);
		return 0;
	}

	candidates = alloc_array(token_count, sizeof(*candidates));
	for (i = 0; i < token_count; i++) {
		if (!bayes_classify_token_probability(settings,
		    tokens[i].spam_count, tokens[i].ham_count, spam_learned,
		    ham_learned, &f))
			continue;
		if (!(fabs(f - 0.5) >= settings->min_prob_strength))
			continue;
		candidates[candidate_count].token.hash = tokens[i].hash;
		candidates[candidate_count].token.spam_count =
		    tokens[i].spam_count;
		candidates[candidate_count].token.ham_count =
		    tokens[i].ham_count;
		candidates[candidate_count].token.probability = f;
		candidates[candidate_count].strength = fabs(f - 0.5);
		candidate_count++;
	}
	if (candidate_count == 0) {
		alloc_free(&candidates);
		result_abstain(result_r, BAYES_CLASSIFY_NO_TOKENS);
		return 0;
	}
	qsort(candidates, candidate_count, sizeof(*candidates),
	    candidate_compare);

	used = arena_array(arena, MIN(candidate_count, settings->max_tokens),
	    sizeof(*used));
	probabilities = alloc_array(MIN(candidate_count, settings->max_tokens),
	    sizeof(*probabilities));
	for (i = 0; i < candidate_count && used_count < settings->max_tokens;
	    i++) {
		if (i > 0 && candidate_compare(&candidates[i],
		    &candidates[i - 1]) == 0)
			continue;
		used[used_count] = candidates[i].token;
		probabilities[used_count] = candidates[i].token.probability;
		used_count++;
	}

	memset(result_r, 0, sizeof(*result_r));
	result_r->status = BAYES_CLASSIFY_SCORED;
	result_r->probability = bayes_classify_combine(probabilities,
	    used_count);
	result_r->used = used;
	result_r->used_count = used_count;
	alloc_free(&probabilities);
	alloc_free(&candidates);
	return 0;
}

const struct bayes_classify_rule *
bayes_classify_rule_for(double probability)
{
	size_t i;

	ASSERT(!isnan(probability));
	/* The last rule is closed at 1 and takes everything above. */
	for (i = 0; i + 1 < ARRAY_LENGTH(bayes_classify_rules); i++) {
		if (probability < bayes_classify_rules[i].upper)
			return &bayes_classify_rules[i];
	}
	return &bayes_classify_rules[ARRAY_LENGTH(bayes_classify_rules) - 1];
}

const char *
bayes_classify_status_name(enum bayes_classify_status status)
{
	switch (status) {
	case BAYES_CLASSIFY_SCORED:
		return "scored";
	case BAYES_CLASSIFY_TOO_FEW_SPAM:
		return "too few spam learned";
	case BAYES_CLASSIFY_TOO_FEW_HAM:
		return "too few ham learned";
	case BAYES_CLASSIFY_NO_TOKENS:
		return "no significant tokens";
	}
	return "unknown";
}
