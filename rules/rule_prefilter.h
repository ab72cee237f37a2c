/* rule_prefilter.h: decides cheaply which regex rules can possibly match
 * a text, so the rule engine runs PCRE2 only for those.
 *
 * Each rule's regex is reduced to a set of required literals: any string
 * the regex matches contains at least one of them. All literals go into
 * one Aho-Corasick automaton; one pass over a text marks every rule that
 * has a literal present. A rule whose regex yields no usable literal is
 * "always run". The literal sets are a necessary condition only: a rule
 * marked as a candidate may still not match, but a rule left unmarked
 * cannot match, so skipping it never loses a hit.
 *
 * Matching is ASCII case-insensitive for every rule (a superset of what a
 * case-sensitive rule matches). Soundness holds for PCRE2 in byte mode
 * and in UTF mode (also caseless: the Kelvin sign and the long s, the two
 * non-ASCII characters that fold to ASCII letters, are scanned as k and
 * s), compiled with the default character tables and newline convention
 * (LF); non-ASCII pattern bytes never become literals. Scan the same
 * bytes the regex will run on: a rule run on decoded body text must have
 * that decoded text scanned, not the raw message.
 *
 * Lifetime and threads: a builder belongs to one thread. The prefilter
 * rule_prefilter_build() returns is immutable: any number of threads may
 * scan with it at once, each with its own candidate bitset. */
#ifndef SLUICE_RULE_PREFILTER_H
#define SLUICE_RULE_PREFILTER_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"

/* Literals shorter than this are too common to filter with: a regex whose
 * best literal set has a shorter member yields no literal. */
#define RULE_PREFILTER_LITERAL_MIN 3
/* Literals are cut to this many bytes (any substring of a required
 * literal is itself required). */
#define RULE_PREFILTER_LITERAL_MAX 64
/* Longer patterns are not analysed (rule_prefilter_extract returns -1). */
#define RULE_PREFILTER_PATTERN_MAX 65536
/* Largest rule id; bitsets are sized by the largest id in use. */
#define RULE_PREFILTER_RULE_ID_MAX ((1u << 22) - 1)
/* Default memory for the automaton's dense (256-way) rows; see
 * rule_prefilter_builder_set_dense_budget(). */
#define RULE_PREFILTER_DENSE_BUDGET_DEFAULT (1024 * 1024)

struct rule_prefilter_builder;
struct rule_prefilter;

struct rule_prefilter_stats {
	/* Distinct rule ids given to the builder, and how many of them
	 * always run (no usable literal, or unparseable pattern). */
	size_t rules;
	size_t always_rules;
	/* Distinct (literal, rule) pairs in the automaton. */
	size_t literals;
	/* Automaton states, of which the first dense_states have full
	 * transition rows; byte classes in use (including "other"). */
	size_t states;
	size_t dense_states;
	size_t symbol_classes;
	/* Heap bytes held by the built prefilter. */
	size_t memory_bytes;
};

/* Computes the required literals of one Perl regex. pattern is the text
 * between the delimiters (NUL-terminated, no delimiters); flags are the
 * letters after them (i, m, s, x, xx, n, g, o, u, a, l, d, p; NULL means
 * none). On 1, *literals_r points to *count_r (1..) lowercased literals
 * of RULE_PREFILTER_LITERAL_MIN..RULE_PREFILTER_LITERAL_MAX bytes, owned
 * by arena; every string the regex matches contains one of them (ASCII
 * case-insensitively). Returns 0 when no usable literal set exists, and
 * -1 when the pattern or flags cannot be parsed or use a construct this
 * analysis refuses ((*ACCEPT), Perl code blocks, unknown escapes, nesting
 * deeper than 250, patterns over RULE_PREFILTER_PATTERN_MAX); on 0 and -1
 * the outputs are NULL and 0. Analysis work and memory are bounded: a
 * pattern that would need more yields 0. */
int rule_prefilter_extract(struct arena *arena, const char *pattern,
    const char *flags, struct string_view **literals_r, size_t *count_r);

/* Squeezed text: an ASCII text with every byte but [A-Za-z0-9] removed
 * ("v.i.a-g_r a" becomes "viagra"). Writes it to out (length bytes
 * suffice) and returns true, or returns false when text has a byte above
 * 0x7f (such text is not squeezed). */
bool rule_prefilter_squeeze(const unsigned char *text, size_t length,
    unsigned char *out, size_t *length_r);

/* Like rule_prefilter_extract, for the squeezed form of the texts a
 * regex runs on (byte mode, never UTF): every string the regex matches
 * in an ASCII text, squeezed, contains one of the literals. What needs a
 * byte above 0x7f cannot match, and what matches only bytes squeezing
 * removes (\W, \s, punctuation) matches the empty string there. So
 * patterns that spell a word with junk between letters
 * ("[_\W]{0,3}" and the like) or with look-alikes (ASCII stand-ins and
 * UTF-8 alternatives) still yield literals. Returns 1 with the literals,
 * or with *count_r 0 when the regex cannot match any ASCII text; 0 and -1
 * as rule_prefilter_extract. */
int rule_prefilter_extract_squeezed(struct arena *arena, const char *pattern,
    const char *flags, struct string_view **literals_r, size_t *count_r);

/* Returns an empty builder. Never NULL. */
struct rule_prefilter_builder *rule_prefilter_builder_new(void);

/* Frees a builder that was not built; *builder_p becomes NULL. A NULL
 * *builder_p is a no-op. */
void rule_prefilter_builder_free(struct rule_prefilter_builder **builder_p);

/* Sets how many bytes the built automaton may spend on dense transition
 * rows (one row per shallow state, one 32-bit entry per byte class);
 * deeper states use sparse edges. 0 keeps only the start state dense.
 * Default RULE_PREFILTER_DENSE_BUDGET_DEFAULT. Tuning and tests only. */
void rule_prefilter_builder_set_dense_budget(
    struct rule_prefilter_builder *builder, size_t bytes);

/* Registers rule_id (0..RULE_PREFILTER_RULE_ID_MAX; larger is a caller
 * bug and panics) with the literals of pattern/flags (as for
 * rule_prefilter_extract). Returns 1 when literals were added, 0 when the
 * regex has no usable literal and -1 when it cannot be parsed; on 0 and
 * -1 the rule is recorded as always run. A rule id may be registered more
 * than once (a rule with several regexes): it is a candidate when any of
 * its literals is present, and always runs if any registration said so. */
int rule_prefilter_add_regex(struct rule_prefilter_builder *builder,
    unsigned rule_id, const char *pattern, const char *flags);

/* Registers rule_id with one literal of length bytes. Returns 1 when
 * added; 0 (rule recorded as always run) when length is 0 or over
 * RULE_PREFILTER_LITERAL_MAX or the literal has a byte >= 0x80, which the
 * scanner does not match. The literal is matched ASCII
 * case-insensitively. */
int rule_prefilter_add_literal(struct rule_prefilter_builder *builder,
    unsigned rule_id, const void *literal, size_t length);

/* Registers rule_id as always run. */
void rule_prefilter_add_always(struct rule_prefilter_builder *builder,
    unsigned rule_id);

/* Builds the automaton, frees the builder and sets *builder_p to NULL.
 * Never NULL; an empty builder yields a prefilter that marks nothing. */
struct rule_prefilter *rule_prefilter_build(
    struct rule_prefilter_builder **builder_p);

/* Frees the prefilter; *prefilter_p becomes NULL (NULL is a no-op). */
void rule_prefilter_free(struct rule_prefilter **prefilter_p);

/* Number of uint64_t words a candidate bitset needs: (largest registered
 * rule id + 1) rounded up to 64, or 1 when nothing was registered. Bit
 * (id % 64) of word (id / 64) stands for rule id. */
size_t rule_prefilter_bitset_words(const struct rule_prefilter *prefilter);

/* Starts a candidate bitset of rule_prefilter_bitset_words() words: sets
 * the bits of always-run rules and clears all others. */
void rule_prefilter_reset(const struct rule_prefilter *prefilter,
    uint64_t *candidate_bits);

/* Sets in candidate_bits (rule_prefilter_bitset_words() words, not
 * cleared first) the bit of every rule with a literal present in the
 * length bytes at text. Call once per text to mark rules for several
 * texts; a literal split across two calls is not seen, so scan each text
 * the regex runs on as one piece. Any thread; no allocation. */
void rule_prefilter_scan(const struct rule_prefilter *prefilter,
    const unsigned char *text, size_t length, uint64_t *candidate_bits);

/* True when rule_id was registered as always run. */
bool rule_prefilter_always(const struct rule_prefilter *prefilter,
    unsigned rule_id);

/* True when rule_id's bit is set in candidate_bits; rule_id must be below
 * 64 * rule_prefilter_bitset_words(). */
static inline bool
rule_prefilter_candidate(const uint64_t *candidate_bits, unsigned rule_id)
{
	return (candidate_bits[rule_id / 64] >> (rule_id % 64)) & 1;
}

/* Fills *stats_r with counts and sizes for reports. */
void rule_prefilter_get_stats(const struct rule_prefilter *prefilter,
    struct rule_prefilter_stats *stats_r);

#endif
