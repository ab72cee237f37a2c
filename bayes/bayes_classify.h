/* bayes_classify.h: Bayes classification maths: Robinson's f(w) per token,
 * Fisher's chi-square combination to P(spam), and the BAYES_xx rules.
 *
 * Pure computation, no I/O: the caller (bayes_learn / the scan check)
 * looks the message's token hashes up in the store and hands over each
 * token's spam and ham counts plus the numbers of spam and ham messages
 * learned. The result is either an abstention with its reason or P(spam)
 * in [0, 1] together with the tokens that decided it, most significant
 * first, for `sluice check` explanations. Nothing here keeps state; every
 * function may be called from any thread at once. Output arrays live in
 * the caller's arena and die with it. */
#ifndef SLUICE_BAYES_CLASSIFY_H
#define SLUICE_BAYES_CLASSIFY_H

#include "lib/common.h"

#include "lib/arena.h"

/* SpamAssassin's defaults (Mail::SpamAssassin::Bayes), see the .c file
 * for what each one means. */
#define BAYES_CLASSIFY_DEFAULT_S 0.030
#define BAYES_CLASSIFY_DEFAULT_X 0.538
#define BAYES_CLASSIFY_DEFAULT_MIN_PROB_STRENGTH 0.346
#define BAYES_CLASSIFY_DEFAULT_MAX_TOKENS 150
#define BAYES_CLASSIFY_DEFAULT_MIN_SPAM 200
#define BAYES_CLASSIFY_DEFAULT_MIN_HAM 200
/* Upper bound for max_tokens: keeps the chi-square series short. */
#define BAYES_CLASSIFY_MAX_TOKENS_LIMIT 10000

/* Tuning. Fill with bayes_classify_settings_default() and override;
 * every field is used as given (no "0 means default"), because 0 is a
 * meaningful min_spam or min_prob_strength in tests and experiments.
 * Valid ranges: s > 0, 0 < x < 1, 0 <= min_prob_strength < 0.5,
 * 1 <= max_tokens <= BAYES_CLASSIFY_MAX_TOKENS_LIMIT. */
struct bayes_classify_settings {
	double s;			/* strength of the prior x */
	double x;			/* assumed f(w) of an unseen token */
	double min_prob_strength;	/* ignore tokens with |f - 0.5| below */
	unsigned int max_tokens;	/* combine at most this many tokens */
	uint64_t min_spam;		/* abstain below this many spam */
	uint64_t min_ham;		/* abstain below this many ham */
};

/* One token of the message as read from the store: its 64-bit hash and
 * the numbers of learned spam and ham messages that contained it. Tokens
 * the store does not know have both counts 0 (and are ignored). */
struct bayes_classify_token {
	uint64_t hash;
	uint64_t spam_count;
	uint64_t ham_count;
};

/* A token that took part in the combination, with its f(w). */
struct bayes_classify_used_token {
	uint64_t hash;
	uint64_t spam_count;
	uint64_t ham_count;
	double probability;
};

enum bayes_classify_status {
	BAYES_CLASSIFY_SCORED,		/* probability is valid */
	BAYES_CLASSIFY_TOO_FEW_SPAM,	/* spam_learned < min_spam */
	BAYES_CLASSIFY_TOO_FEW_HAM,	/* ham_learned < min_ham */
	BAYES_CLASSIFY_NO_TOKENS,	/* no token known and significant */
};

struct bayes_classify_result {
	enum bayes_classify_status status;
	/* P(spam) in [0, 1] when status is BAYES_CLASSIFY_SCORED, else 0.5. */
	double probability;
	/* The combined tokens, by decreasing |f - 0.5| (ties by increasing
	 * hash); NULL and 0 when not scored. In the caller's arena. */
	const struct bayes_classify_used_token *used;
	size_t used_count;
};

/* One BAYES_xx rule: fires for lower <= P < upper (BAYES_999 also for
 * P == 1). score is the SpamAssassin default with Bayes and network
 * tests enabled (score set 3). */
struct bayes_classify_rule {
	const char *name;
	double lower;
	double upper;
	double score;
};

/* Fills *settings_r with the BAYES_CLASSIFY_DEFAULT_* values. */
void bayes_classify_settings_default(
    struct bayes_classify_settings *settings_r);

/* Checks the ranges listed at struct bayes_classify_settings. Returns 0,
 * or -1 with *error_r naming the first bad field. */
int bayes_classify_settings_check(
    const struct bayes_classify_settings *settings, const char **error_r);

/* Robinson's f(w) for one token: p = (spam_count / spam_learned) /
 * (spam_count / spam_learned + ham_count / ham_learned), then
 * f = (s * x + n * p) / (s + n) with n = spam_count + ham_count.
 * Returns true and sets *probability_r (strictly inside (0, 1)); returns
 * false for a token without counts or when either total is 0, which has
 * no probability. settings must pass bayes_classify_settings_check(). */
bool bayes_classify_token_probability(
    const struct bayes_classify_settings *settings, uint64_t spam_count,
    uint64_t ham_count, uint64_t spam_learned, uint64_t ham_learned,
    double *probability_r);

/* Fisher's combination of count probabilities, each strictly inside
 * (0, 1): H = Q(-2 sum ln f, 2N), S = Q(-2 sum ln(1 - f), 2N) with Q the
 * chi-square upper tail, and P = (1 + H - S) / 2. Returns 0.5 for
 * count 0. count must not exceed BAYES_CLASSIFY_MAX_TOKENS_LIMIT. */
double bayes_classify_combine(const double *probabilities, size_t count);

/* Classifies one message. tokens[0..token_count) are its tokens with
 * their store counts (hashes should be unique; exact duplicates, same
 * hash and counts, are counted once); spam_learned and ham_learned are the
 * store's totals. Abstains first on too few spam, then too few ham, then
 * no usable token. Otherwise keeps tokens with |f - 0.5| >=
 * min_prob_strength, takes the max_tokens strongest and combines them.
 * The used-token array is allocated in arena (at most max_tokens
 * entries); scratch memory is freed before returning. Returns 0 and
 * fills *result_r, or -1 with *error_r when settings are invalid. */
int bayes_classify_message(const struct bayes_classify_settings *settings,
    uint64_t spam_learned, uint64_t ham_learned,
    const struct bayes_classify_token *tokens, size_t token_count,
    struct arena *arena, struct bayes_classify_result *result_r,
    const char **error_r);

/* The rule whose interval holds probability (values outside [0, 1] go
 * to BAYES_00 or BAYES_999). Never NULL; points into a static table.
 * A NaN probability is a bug and panics. */
const struct bayes_classify_rule *bayes_classify_rule_for(double probability);

/* A short name for status for logs and explanations ("scored",
 * "too few spam learned", ...). Never NULL. */
const char *bayes_classify_status_name(enum bayes_classify_status status);

#endif
