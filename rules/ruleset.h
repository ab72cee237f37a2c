/* ruleset.h: a compiled, immutable SpamAssassin-style rule set.
 *
 * ruleset_build() reads the rule files (rule_file), compiles every regex
 * (rule_regex), resolves eval: functions against the built-in table and
 * any the caller adds, and compiles the meta rules (rule_meta). The
 * result is read-only and refcounted: worker threads share one, and a
 * reload builds a new one in the background and swaps it only when it
 * built (a broken file never replaces a working set). Rules that cannot
 * be used (a regex that does not compile, an unknown eval, a meta over a
 * cycle) are skipped with a reason and counted; that is what `sluice
 * rules lint` prints. */
#ifndef SLUICE_RULESET_H
#define SLUICE_RULESET_H

#include "lib/common.h"
#include "rules/rule_file.h"
#include "rules/rule_meta.h"
#include "rules/rule_regex.h"

enum ruleset_type {
	RULESET_HEADER,
	RULESET_BODY,
	RULESET_RAWBODY,
	RULESET_FULL,
	RULESET_URI,
	RULESET_META,
	RULESET_TYPE_COUNT,
};

struct rule_eval_context;
struct ruleset_rule;

/* An eval: test. Returns how many times the rule hit (0: no hit). */
typedef unsigned ruleset_eval_function(struct rule_eval_context *context,
    const struct ruleset_rule *rule);

struct ruleset_eval {
	const char *name;        /* "check_for_mime" */
	ruleset_eval_function *run;
};

/* One usable rule. Public so rule_eval can run it; read-only. */
struct ruleset_rule {
	const char *name;
	enum ruleset_type type;
	enum rule_file_test_form form;   /* regex, eval, exists, meta */
	struct rule_regex *regex;        /* form REGEX */
	bool negated;                    /* header !~ */
	const char *header;              /* header tests */
	unsigned header_modifiers;       /* RULE_FILE_HEADER_* */
	const char *header_request;      /* header with modifiers, "From:addr" */
	const char *if_unset;            /* NULL: no default */
	const struct ruleset_eval *eval; /* form EVAL */
	const char *const *eval_arguments; /* unquoted */
	size_t eval_argument_count;
	double score;                    /* in the chosen score set */
	const char *description;         /* "" when none */
	unsigned tflags;                 /* RULE_FILE_TFLAG_* */
	unsigned maxhits;
	int priority;
	bool subrule;                    /* "__NAME": no score, never shown */
	/* Whether the result can matter: a rule that is shown, or one a
	 * needed meta reads. A sub-rule no such meta reads is not run
	 * (SpamAssassin runs it and ignores the result). */
	bool needed;
	/* A body regex rule with no literal the prefilter can use, whose
	 * literals in squeezed ASCII lines are in
	 * ruleset_squeezed_prefilter(). */
	bool squeezed_prefiltered;
	struct rule_file_action action;
	const char *file;                /* where it was defined */
	unsigned line;
};

struct ruleset_options {
	const char *const *paths;   /* directories (*.cf) or files, in order */
	size_t path_count;
	unsigned score_set;         /* 0 plain, 1 net, 2 Bayes, 3 both */
	/* Evals beyond the built-in ones (Bayes, DNS lists), by name. */
	const struct ruleset_eval *evals;
	size_t eval_count;
	/* Plugin names treated as loaded by ifplugin (NULL: sluice's
	 * default set of plugins whose tests it implements). */
	const char *const *plugins;
	size_t plugin_count;
};

/* The plugins sluice treats as loaded by default (the set Debian's
 * SpamAssassin loads), for ifplugin blocks. */
const char *const *ruleset_default_plugins(size_t *count_r);

/* Why rules were not compiled, for lint. */
struct ruleset_skip {
	const char *rule;
	enum rule_file_test_form form; /* regex, eval, exists or meta */
	const char *reason;
	const char *file;
	unsigned line;
	/* The rule's text is wrong: a regex PCRE2 refuses ("regex: ...")
	 * or a meta expression that does not parse ("meta: ..."). False
	 * for rules merely switched off (score 0), needing what sluice
	 * lacks, or depending on such rules. */
	bool invalid;
};

struct ruleset;

/* Builds a rule set. Fails (-1, error_r) only when a path cannot be read
 * at all; bad rules are skipped and reported. */
int ruleset_build(const struct ruleset_options *options,
    struct ruleset **ruleset_r, const char **error_r);

void ruleset_ref(struct ruleset *ruleset);
void ruleset_unref(struct ruleset **ruleset_p);

/* The usable rules, in an order where all non-meta rules come first;
 * rule_eval keeps one value per rule at the same index. */
const struct ruleset_rule *ruleset_rules(const struct ruleset *ruleset,
    size_t *count_r);
const struct ruleset_rule *ruleset_find(const struct ruleset *ruleset,
    const char *name, size_t *index_r);
const struct rule_meta_set *ruleset_metas(const struct ruleset *ruleset);

/* Indices of the rules of one type, in definition order. */
const size_t *ruleset_of_type(const struct ruleset *ruleset,
    enum ruleset_type type, size_t *count_r);

/* The literal prefilter over the regex rules of type (body, rawbody,
 * uri; NULL for other types): rules whose required literals are absent
 * from the text cannot match and need not run. Rule ids are indices. */
struct rule_prefilter;
const struct rule_prefilter *ruleset_prefilter(const struct ruleset *ruleset,
    enum ruleset_type type);

/* The prefilter for squeezed body lines (rule_prefilter_squeeze), over
 * the squeezed_prefiltered rules only (rule_prefilter_extract_squeezed);
 * NULL when there are none. */
const struct rule_prefilter *ruleset_squeezed_prefilter(
    const struct ruleset *ruleset);
/* The squeezed_prefiltered rules as a candidate bitset of the body
 * prefilter's size (rule_prefilter_bitset_words), or NULL with none. */
const uint64_t *ruleset_squeezed_rules(const struct ruleset *ruleset);

/* trusted_networks / internal_networks of the rule files, for the
 * Received trail (lib/received.h). */
struct received_options;
const struct received_options *ruleset_received_options(
    const struct ruleset *ruleset);

double ruleset_required_score(const struct ruleset *ruleset);
const struct rule_file_settings *ruleset_settings(
    const struct ruleset *ruleset);

/* Lint: skipped rules, file diagnostics, and evals named by rules that
 * sluice does not implement (each name once). */
const struct ruleset_skip *ruleset_skipped(const struct ruleset *ruleset,
    size_t *count_r);
const struct rule_file_diagnostic *const *ruleset_diagnostics(
    const struct ruleset *ruleset, size_t *count_r);
const char *const *ruleset_unimplemented_evals(const struct ruleset *ruleset,
    size_t *count_r);
/* Usable sub-rules that no shown rule depends on, so never run. */
size_t ruleset_unneeded_count(const struct ruleset *ruleset);

/* Rules defined in the files (before skipping), for lint's totals. */
size_t ruleset_defined_count(const struct ruleset *ruleset);

/* Problems of candidate that current does not have, for deciding
 * whether a reloaded rule set may replace the running one. A problem is
 * a file diagnostic of kind INVALID or STRUCTURE (unknown directives are
 * not problems: the stock SpamAssassin rules have many) or an invalid
 * skipped rule (struct ruleset_skip.invalid). Diagnostics compare by
 * file and text without the line, so edits above a known problem do not
 * make it new; skips compare by rule name and reason. Each problem of
 * current excuses one equal problem of candidate. current may be NULL
 * (every problem of candidate is new).
 *
 * Returns the number of new problems. When there are any, *first_r is
 * the first one (diagnostics in file order, then skips) as "FILE:LINE:
 * text" or "FILE:LINE: RULE: reason", in the thread's error buffer
 * (lib/error.h); else *first_r is NULL. Pure: reads both sets only, so
 * any thread may call it on sets it holds references to. */
size_t ruleset_new_problems(const struct ruleset *current,
    const struct ruleset *candidate, const char **first_r);

#endif
