/* rule_regex.h: SpamAssassin (Perl) regular expressions compiled with
 * PCRE2, matched with match and depth limits.
 *
 * A rule writes its regex as Perl source with delimiters and flags
 * ("/viagra/i", "m{^From:}m"). rule_regex_translate() turns that into a
 * PCRE2 pattern plus PCRE2 options; rule_regex_compile() compiles it
 * (with JIT when the library has it, falling back to the interpreter
 * silently). Matching is on bytes, never UTF-8 (a pattern cannot switch
 * to UTF or UCP mode), so arbitrary bytes (Latin-1, broken UTF-8, NUL)
 * can never make a match fail. The semantics are those of Perl's /aa,
 * which SpamAssassin compiles every rule with: \w, \d, \s and the
 * POSIX classes are ASCII-only, and /i folds ASCII letters and the
 * Latin-1 letters (0xC0-0xDE with 0xE0-0xFE) but never across the two,
 * so "ss" does not match 0xDF.
 *
 * Lifetime and threads: a compiled struct rule_regex is immutable after
 * rule_regex_compile() apart from its limit counter (atomic), so one
 * regex may be shared read-only by every worker thread and matched
 * concurrently. The per-match PCRE2 state (match data with a single
 * ovector pair, a match context carrying the limits, a JIT stack) lives
 * in a small per-thread cache created on a thread's first match and
 * freed when the thread exits, or earlier by rule_regex_thread_release().
 * Matching never allocates after that first call. */
#ifndef SLUICE_RULE_REGEX_H
#define SLUICE_RULE_REGEX_H

#include "lib/common.h"
#include "lib/buffer.h"

/* Defaults for struct rule_regex_limits (0 selects them). The match
 * limit caps the backtracking steps of one pcre2_match() call (PCRE2's
 * own default is 10 million, far too many for a gateway running
 * thousands of rules per message); the depth limit caps the
 * interpreter's backtracking depth (JIT ignores it, and is bounded by
 * its stack of RULE_REGEX_JIT_STACK_MAX bytes instead). */
#define RULE_REGEX_DEFAULT_MATCH_LIMIT 500000
#define RULE_REGEX_DEFAULT_DEPTH_LIMIT 10000
#define RULE_REGEX_JIT_STACK_MAX (1024 * 1024)
/* Longest regex source accepted, delimiters and flags included. */
#define RULE_REGEX_SOURCE_MAX 65536

/* Perl flags that change matching, as returned by rule_regex_translate. */
enum rule_regex_flag {
	RULE_REGEX_CASELESS = 1 << 0,  /* i */
	RULE_REGEX_MULTILINE = 1 << 1, /* m */
	RULE_REGEX_DOTALL = 1 << 2,    /* s */
	RULE_REGEX_EXTENDED = 1 << 3,  /* x */
};

struct rule_regex_limits {
	uint32_t match_limit; /* 0: RULE_REGEX_DEFAULT_MATCH_LIMIT */
	uint32_t depth_limit; /* 0: RULE_REGEX_DEFAULT_DEPTH_LIMIT */
};

struct rule_regex;

/* Translates Perl regex source source[0..length) into a PCRE2 pattern.
 *
 * Delimiters: "/re/flags", or "m" or "qr" followed by any non-word
 * character other than a backslash ("m!re!", "m,re,", "m'e'") or by an
 * opening bracket closed by its partner ("m{re}", "m(re)", "m<re>",
 * "m[re]"). As in SpamAssassin, the end delimiter is the last one
 * followed only by flag letters, and with a non-bracket delimiter an
 * unescaped copy of it inside the pattern is an error.
 *
 * Flags: i m s x set the enum rule_regex_flag bits in *flags_r; g and o
 * are accepted and ignored (they mean nothing for a rule); a is accepted
 * and ignored because it is already how bytes are matched; any other
 * letter is an error ("unsupported regex flag 'e'").
 *
 * The pattern is rewritten where Perl and PCRE2 differ: Perl's charset
 * and preserve modifiers (a, aa, d, l, u, p) are dropped from inline
 * flag groups such as "(?^aa:...)"; "{,n}" becomes "{0,n}" (Perl 5.34
 * and later); "\x{HHHH}" and "\N{U+HHHH}" above 0xFF outside a character
 * class become their UTF-8 bytes, which is what such a rule can match
 * in a byte string; a '-' next to a class escape inside brackets
 * ("[\w-.]") is made literal, as Perl reads it. Everything else is
 * passed through: PCRE2 handles the rest of Perl's syntax (\A \z \Z \b
 * \Q..\E, possessive and atomic groups, lookaround, named groups,
 * inline flags, POSIX classes, \h \v \R \K).
 *
 * Returns 0 with the pattern appended to *pattern_r (the caller's
 * buffer, NUL-terminated) and the flags in *flags_r; or -1 with *error_r
 * ("missing regex delimiter", "unescaped delimiter '/' in regex",
 * "code execution (?{...}) not allowed", ...). On -1 *pattern_r may hold
 * a partial pattern. */
int rule_regex_translate(const char *source, size_t length,
    struct buffer *pattern_r, unsigned *flags_r, const char **error_r);

/* Translates and compiles source[0..length) (see rule_regex_translate).
 * limits may be NULL (defaults). Returns 0 with a new regex in *regex_r,
 * owned by the caller (free with rule_regex_free); or -1 with *error_r
 * saying why: a translation error, or "offset N: <PCRE2 message>" for a
 * pattern PCRE2 rejects (N counts bytes of the translated pattern). */
int rule_regex_compile(const char *source, size_t length,
    const struct rule_regex_limits *limits, struct rule_regex **regex_r,
    const char **error_r);

/* Like rule_regex_compile, without JIT: for a regex built for one
 * message and matched once or twice, where the JIT compile would cost
 * more than it saves. */
int rule_regex_compile_interpreted(const char *source, size_t length,
    const struct rule_regex_limits *limits, struct rule_regex **regex_r,
    const char **error_r);

/* With lazy set, regexes compiled from now on are JIT-compiled on their
 * first match instead of at once: a short-lived program that scans a
 * few messages then pays only for the regexes its messages reach (most
 * rules never get past the prefilter). (Interpreting the first few
 * matches instead was measured slower: the costly rules are the ones
 * the JIT speeds up most.) Only for a program where a single thread
 * matches: the first match changes the compiled code. */
void rule_regex_set_lazy_jit(bool lazy);

/* Frees *regex_p and sets it to NULL (NULL *regex_p: no-op). No other
 * thread may be matching with it. */
void rule_regex_free(struct rule_regex **regex_p);

/* Whether the regex matches anywhere in subject[0..length). A match
 * that exceeds a limit, or fails inside PCRE2 for any other reason, is
 * no match and adds one to the regex's limit counter. Any thread. */
bool rule_regex_match(const struct rule_regex *regex, const void *subject,
    size_t length);

/* Finds the first (leftmost) match. Returns true with the byte offsets
 * of the matched text in *start_r and *end_r (end exclusive; equal for
 * an empty match); false when there is none (limits as above). */
bool rule_regex_find(const struct rule_regex *regex, const void *subject,
    size_t length, size_t *start_r, size_t *end_r);

/* Counts non-overlapping matches from left to right, as Perl's m//g
 * does (after an empty match the next one may not be empty at the same
 * place), stopping at max matches (0: no cap). For tflags multiple and
 * maxhits=N. A match attempt that hits a limit ends the count (the
 * matches found before it are returned) and adds to the counter. */
unsigned rule_regex_match_count(const struct rule_regex *regex,
    const void *subject, size_t length, unsigned max);

/* The translated PCRE2 pattern and the flags it was compiled with. */
const char *rule_regex_pattern(const struct rule_regex *regex);
unsigned rule_regex_flags(const struct rule_regex *regex);

/* Whether the regex runs JIT-compiled code. */
bool rule_regex_is_jit(const struct rule_regex *regex);

/* Match attempts of this regex, and of all regexes in the process,
 * that ended on a limit (or another PCRE2 match error) instead of a
 * result. Relaxed atomics: exact once matching has stopped. */
uint64_t rule_regex_limit_hits(const struct rule_regex *regex);
uint64_t rule_regex_limit_hits_total(void);

/* Frees the calling thread's match state now instead of at thread exit
 * (the next match recreates it). For the main thread before exit, and
 * for leak checkers. */
void rule_regex_thread_release(void);

#endif
