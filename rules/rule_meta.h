/* rule_meta.h: SpamAssassin `meta` rules: expressions over the values of
 * other rules, compiled once per rule set and evaluated per message.
 *
 * A meta set collects meta rules with rule_meta_add() (each expression is
 * parsed there, so a malformed one is refused on the spot), then
 * rule_meta_compile() resolves rule names to the caller's value indices,
 * orders the metas so each one runs after the metas it uses, and
 * disables the ones caught in a dependency cycle. From then on the set
 * is immutable: rule_meta_evaluate() and the accessors may be called by
 * any number of threads at once, and evaluation allocates nothing.
 * Building (new, add, compile) is single-threaded.
 *
 * Values. The caller owns one array of doubles per message, indexed by
 * its own rule numbering, holding each rule's hit count: 0 when it did
 * not hit, 1 when it did, more for a rule with "tflags multiple". Metas
 * read that array and write their own results into it, so a meta used
 * by another meta is just another value.
 *
 * Expression language (Perl's, as SpamAssassin evaluates it):
 *   operands   rule names [A-Za-z_][A-Za-z0-9_]* (at most
 *              RULE_META_NAME_MAX bytes), literals 12, 1.5, .5, 3.
 *   operators  by falling precedence:
 *                ! - +    unary (not, negate, plus), right to left
 *                * /      left to right
 *                + -      left to right
 *                < <= > >=  non-associative
 *                == !=    non-associative
 *                &&       left to right
 *                ||       left to right
 *              and parentheses.
 * Comparisons and ! yield 1 or 0. As in Perl, `a && b` yields a when a
 * is 0 and b otherwise, and `a || b` yields a when a is non-zero and b
 * otherwise, so `(__A + __B) || __C` keeps a count. A meta hits when
 * its result is non-zero; the value it stores is the result when
 * positive, 1 when negative or not a number (SpamAssassin's got_hit()
 * only ever increases a rule's value) and 0 when it did not hit. The
 * expression `()` alone is SpamAssassin's declaration-only meta and
 * always yields 0.
 *
 * Division by zero: like SpamAssassin, rule_meta_add() refuses an
 * expression that divides by zero when every rule is 0 (`A / B`; both
 * sides of && and || count, where Perl would skip the right one); one
 * that still divides by zero on some message (`A / (B - 1)`) gets 0
 * for the quotient there, where Perl would die.
 *
 * Refused, with a reason in error_r: characters or operators outside
 * the list above (`&`, `|`, `=`, `^`, `?:`, `**`, `--`, `++`, `#`,
 * function calls such as rules_matching(...)), chained comparisons
 * (`a < b < c`, which only Perl 5.32+ accepts), unbalanced or empty
 * parentheses, missing operands or operators, division by zero as
 * above, and anything over the limits below. */
#ifndef SLUICE_RULE_META_H
#define SLUICE_RULE_META_H

#include "lib/common.h"

/* Longest rule name, SpamAssassin's own limit. */
#define RULE_META_NAME_MAX 128
/* Longest number literal, in bytes. */
#define RULE_META_NUMBER_MAX 24
/* Default longest expression, in bytes (stock rules stay under 2 KiB). */
#define RULE_META_DEFAULT_EXPRESSION_MAX 8192
/* Default deepest parenthesis nesting (stock rules use 3). */
#define RULE_META_DEFAULT_NESTING_MAX 32
/* Deepest evaluation stack any one expression may need; evaluation keeps
 * its stack in a local array of this many doubles. Nesting N needs at
 * most 6 * (N + 1) + 1 slots, so the default nesting always fits. */
#define RULE_META_STACK_MAX 256

/* Limits for one set; a 0 field means the default above. */
struct rule_meta_limits {
	size_t max_expression_length; /* bytes of one expression */
	unsigned max_nesting;         /* parentheses open at once */
};

struct rule_meta_set;

enum rule_meta_severity {
	/* The meta still runs (an unknown rule read as 0, a redefinition). */
	RULE_META_SEVERITY_WARNING,
	/* The meta is disabled: it never hits and its value is written 0. */
	RULE_META_SEVERITY_ERROR,
};

/* What rule_meta_compile() needs from the caller. */
struct rule_meta_callbacks {
	/* Maps a rule name (any rule, metas included) to its index in the
	 * value array. Returns true and sets *index_r, or false when no such
	 * rule exists. Every meta's own name must be known. */
	bool (*lookup)(void *context, const char *name, size_t *index_r);
	/* Receives one problem with one meta; message is a full sentence
	 * fragment without the meta's name, valid during the call only. May
	 * be NULL to drop diagnostics. */
	void (*diagnostic)(void *context, enum rule_meta_severity severity,
	    const char *meta_name, const char *message);
	void *context;
};

/* Creates an empty set. limits may be NULL (all defaults); it is
 * copied. Never NULL. */
struct rule_meta_set *rule_meta_set_new(const struct rule_meta_limits *limits);

/* Frees the set and sets *set_p to NULL; a NULL *set_p is a no-op. No
 * evaluation may be running. */
void rule_meta_set_free(struct rule_meta_set **set_p);

/* Parses expression (NUL-terminated) as the meta rule name and adds it
 * to a set that is not compiled yet. Both strings are copied. Defining a
 * name again is allowed: after compilation the definition added last
 * wins (with a warning), as in SpamAssassin. Returns 0, or -1 with
 * *error_r saying what is wrong and where ("unexpected ')' at offset
 * 7"); the set is then unchanged, so an earlier valid definition of the
 * same name stays. */
int rule_meta_add(struct rule_meta_set *set, const char *name,
    const char *expression, const char **error_r);

/* Resolves names, orders and freezes the set; call once, after the last
 * rule_meta_add(). value_count is the length of the value arrays that
 * rule_meta_evaluate() will get; every index the lookup returns must be
 * below it and below UINT32_MAX.
 *
 * Per-meta problems go to callbacks->diagnostic and do not fail the
 * call: a name the lookup does not know reads as 0 (warning, as
 * SpamAssassin does); metas in a dependency cycle, a meta naming itself
 * included, are disabled (error, naming the cycle's members); so is a
 * meta that uses a disabled meta (error naming it), since SpamAssassin
 * cannot order it either.
 *
 * Returns 0, or -1 with *error_r when the lookup is inconsistent with
 * the set (a meta's own name unknown, an index out of range, or two
 * different meta names sharing an index); the set is then unusable
 * except for rule_meta_set_free(). */
int rule_meta_compile(struct rule_meta_set *set, size_t value_count,
    const struct rule_meta_callbacks *callbacks, const char **error_r);

/* Evaluates every meta of a set whose rule_meta_compile() succeeded, in
 * dependency order, reading and writing values (value_count entries, as
 * given to compile): each meta's result goes to its own index, disabled
 * metas get 0, whatever was there before. The other entries are only
 * read. Thread-safe on a shared set; allocates nothing. */
void rule_meta_evaluate(const struct rule_meta_set *set, double *values);

/* Number of metas added (redefinitions count separately); the
 * accessors below take an index below it, in the order of addition. */
size_t rule_meta_count(const struct rule_meta_set *set);

/* The meta's name; valid as long as the set. */
const char *rule_meta_name(const struct rule_meta_set *set, size_t meta);

/* Whether a compiled set evaluates this meta (false when it is disabled
 * or was replaced by a later definition of the same name). */
bool rule_meta_enabled(const struct rule_meta_set *set, size_t meta);

/* The value index a compiled set writes this meta's result to. */
size_t rule_meta_value_index(const struct rule_meta_set *set, size_t meta);

/* Calls visit(index, context) for each value index a compiled meta
 * reads (a rule named twice is visited twice; unknown names not at
 * all). For working out which rules a result depends on. */
void rule_meta_visit_operands(const struct rule_meta_set *set, size_t meta,
    void (*visit)(size_t index, void *context), void *context);

#endif
