/* rule_eval.h: run a compiled rule set over one parsed message.
 *
 * rule_eval_run() prepares the views SpamAssassin's rule types test,
 * each once per message and only when a rule needs it:
 *   header   the named header's values, RFC 2047 decoded and unfolded,
 *            each ending in "\n" (":raw" keeps the encoding; ":addr" and
 *            ":name" give the addresses or display names), plus the
 *            pseudo-headers ALL, ToCc, EnvelopeFrom, MESSAGEID;
 *   body     the Subject, then every text part (HTML rendered to text),
 *            whitespace-normalised into one line per paragraph, lines
 *            over 2 KiB split;
 *   rawbody  every text part decoded but not rendered, in 2-4 KiB
 *            chunks;
 *   full     the message as received;
 *   uri      every link in the text and HTML parts.
 * Then eval: tests, then metas in dependency order. Hits are returned in
 * rule order with their scores; the score is the sum over rules that
 * are not sub-rules. Everything per message lives in the caller's arena;
 * the rule set is only read, so any number of threads may evaluate with
 * the same rule set at once. */
#ifndef SLUICE_RULE_EVAL_H
#define SLUICE_RULE_EVAL_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"
#include "rules/ruleset.h"

struct message;
struct message_part;
struct html_text;
struct uri_extract_uri;
struct rule_html;

struct rule_eval_input {
	const struct message *message;
	/* MAIL FROM of the transaction; NULL when unknown (sluice check):
	 * EnvelopeFrom then falls back to Return-Path. */
	const char *envelope_from;
};

struct rule_eval_hit {
	const struct ruleset_rule *rule;
	unsigned count;
	double score;
};

struct rule_eval_result {
	struct rule_eval_hit *hits;  /* non-sub-rules that hit, in order */
	size_t hit_count;
	double score;
	double required;             /* required_score of the rule set */
};

/* Evaluates every rule. Never fails: a rule that cannot run (a regex
 * over its match limit) simply does not hit. */
void rule_eval_run(const struct ruleset *ruleset, struct arena *arena,
    const struct rule_eval_input *input, struct rule_eval_result *result_r);

/* For eval: functions (rule_eval_builtin.c and other modules'). */
struct arena *rule_eval_arena(struct rule_eval_context *context);
const struct message *rule_eval_message(struct rule_eval_context *context);
/* SpamAssassin's get(): the joined values of a header or pseudo-header
 * with modifiers ("From:addr"), or NULL when absent. The result is
 * cached under request, which must outlive the message (a literal or a
 * rule's header_request). */
const char *rule_eval_header(struct rule_eval_context *context,
    const char *request);
/* The body lines (see above) and the rendered HTML of the message's
 * first text/html part (NULL when there is none). */
const struct string_view *rule_eval_body(struct rule_eval_context *context,
    size_t *count_r);
const struct html_text *rule_eval_html(struct rule_eval_context *context);
const struct uri_extract_uri *rule_eval_uris(
    struct rule_eval_context *context, size_t *count_r);

/* The rule set being evaluated (its settings: ruleset_settings()). */
const struct ruleset *rule_eval_ruleset(struct rule_eval_context *context);
/* The rawbody chunks (see above), what rawbody evals are given. */
const struct string_view *rule_eval_rawbody(struct rule_eval_context *context,
    size_t *count_r);
/* SpamAssassin's HTML.pm facts (rules/rule_html.h) of every HTML part
 * the body renders, in document order; *count_r is 0 (and the result
 * NULL) for a message without HTML. Scanned once per message. */
const struct rule_html *const *rule_eval_html_parts(
    struct rule_eval_context *context, size_t *count_r);
/* The facts of one of those parts, or NULL for a part that is not one
 * of them. */
const struct rule_html *rule_eval_html_part(struct rule_eval_context *context,
    const struct message_part *part);

/* Per-message state of the eval families (rule_eval_*.c), which compute
 * something once and test it in several rules. Each slot starts NULL;
 * the family stores an arena pointer in it. */
enum rule_eval_slot {
	RULE_EVAL_SLOT_MIME,		/* rule_eval_mime.c */
	RULE_EVAL_SLOT_BASE64,
	RULE_EVAL_SLOT_UPPERCASE,
	RULE_EVAL_SLOT_IMAGES,
	RULE_EVAL_SLOT_DATES,		/* rule_eval_header.c */
	RULE_EVAL_SLOT_RECIPIENTS,
	RULE_EVAL_SLOT_FROM_ADDRESSES,
	RULE_EVAL_SLOT_FREEMAIL_BODY,
	RULE_EVAL_SLOT_ALTERNATIVE,	/* rule_eval_body.c */
	RULE_EVAL_SLOT_VERTICAL_WORDS,
	RULE_EVAL_SLOT_COUNT,
};
void **rule_eval_slot(struct rule_eval_context *context,
    enum rule_eval_slot slot);

/* The built-in eval: functions, by name; NULL when not implemented. */
const struct ruleset_eval *rule_eval_builtin_find(const char *name);

/* The capabilities the built-in evals provide, as SpamAssassin's rules
 * test them with "if can(NAME)" before using an eval
 * ("Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length"): for
 * rule_file_options.features. A static array of *count_r names. */
const char *const *rule_eval_builtin_features(size_t *count_r);

#endif
