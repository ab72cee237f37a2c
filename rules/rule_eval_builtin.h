/* rule_eval_builtin.h: what the built-in eval: families share: their
 * tables, which rule_eval_builtin_find() searches, and helpers for the
 * things SpamAssassin's Perl does implicitly (reading an argument as a
 * number, taking the first address of a header, compiling a pattern
 * argument once, locale checks, address globs).
 *
 * Families: rule_eval_mime.c (MIMEEval, ImageInfo), rule_eval_html.c
 * (HTMLEval, HTTPSMismatch, URIEval's check_uri_truncated),
 * rule_eval_header.c (HeaderEval, FreeMail, WLBLEval) and
 * rule_eval_body.c (BodyEval). Every function runs on the evaluating
 * thread with the message's context; the helpers are thread-safe. */
#ifndef SLUICE_RULE_EVAL_BUILTIN_H
#define SLUICE_RULE_EVAL_BUILTIN_H

#include "lib/common.h"
#include "rules/rule_eval.h"
#include "rules/rule_regex.h"

extern const struct ruleset_eval rule_eval_mime_evals[];
extern const size_t rule_eval_mime_eval_count;
extern const struct ruleset_eval rule_eval_html_evals[];
extern const size_t rule_eval_html_eval_count;
extern const struct ruleset_eval rule_eval_header_evals[];
extern const size_t rule_eval_header_eval_count;
extern const struct ruleset_eval rule_eval_body_evals[];
extern const size_t rule_eval_body_eval_count;

/* A part's type as SpamAssassin's parser records it ($part->{type}):
 * Util::parse_content_type() of its last Content-Type field (text/
 * types other than html, calendar and x-vcard read as text/plain),
 * message/rfc822 for an untyped child of a digest, text/plain for a
 * multipart that was not split. In rule_eval_mime.c. */
struct message_part;
const char *rule_eval_mime_part_type(struct rule_eval_context *context,
    const struct message_part *part);

/* The index-th argument (unquoted), or NULL when there are fewer. */
const char *rule_eval_builtin_argument(const struct ruleset_rule *rule,
    size_t index);

/* The argument as Perl reads a string as a number (leading white space,
 * the longest decimal prefix, "inf"; 0 when there is none), or fallback
 * when the argument is absent. */
double rule_eval_builtin_number(const struct ruleset_rule *rule,
    size_t index, double fallback);
double rule_eval_builtin_perl_number(const char *text);

/* Whether the argument is absent or the string "undef" (which several
 * evals take to mean "no bound"). */
bool rule_eval_builtin_unbounded(const struct ruleset_rule *rule,
    size_t index);

/* SpamAssassin's $pms->get(REQUEST) in scalar context: for ":addr" and
 * ":name" requests and EnvelopeFrom the first value without its line
 * end, else all values joined; "" when absent. Arena string. */
const char *rule_eval_builtin_get(struct rule_eval_context *context,
    const char *request);

/* The values of REQUEST in list context: *count_r strings (line ends
 * removed), NULL when absent. */
const char **rule_eval_builtin_get_all(struct rule_eval_context *context,
    const char *request, size_t *count_r);

/* A Perl regex given as a bare pattern argument (no delimiters),
 * compiled once per process and shared; NULL when it does not compile.
 * caseless adds /i. */
const struct rule_regex *rule_eval_builtin_regex(const char *pattern,
    bool caseless);

/* Whether ok_locales allows everything ("all", or NULL), in which case
 * the faraway-charset tests never hit. */
bool rule_eval_builtin_all_locales(const char *ok_locales);

/* Locales::is_charset_ok_for_locales(): whether charset suits one of
 * the locales in ok_locales ("all" or NULL: every charset does). */
bool rule_eval_builtin_charset_ok(const char *charset,
    const char *ok_locales);

/* Whether address matches one of the file-glob patterns (* and ?,
 * case-insensitive, the whole address), as SpamAssassin's address
 * lists (welcomelist_from, enlist_addrlist) match. */
bool rule_eval_builtin_address_listed(const char *const *patterns,
    size_t count, const char *address);

/* Perl's lc() for ASCII, as an arena copy. */
char *rule_eval_builtin_lowercase(struct arena *arena, const char *text);

#endif
