/* rule_eval_builtin.c: SpamAssassin's eval: tests that need no network,
 * reimplemented on our message model. Each keeps the meaning of the
 * Perl original its name comes from; arguments arrive unquoted. */
#include "rules/rule_eval.h"
#include "lib/mail_header.h"
#include "lib/message.h"

#include <ctype.h>

static double
rule_eval_argument_number(const struct ruleset_rule *rule, size_t index,
    double fallback)
{
	char *end;
	double value;

	if (index >= rule->eval_argument_count)
		return fallback;
	value = strtod(rule->eval_arguments[index], &end);
	return end == rule->eval_arguments[index] ? fallback : value;
}

/* subject_is_all_caps (HeaderEval): a Subject of two or more words and
 * at least 10 characters, after dropping reply prefixes, whose letters
 * are all capitals; not for charsets whose letters read as capitals. */
static unsigned
rule_eval_subject_is_all_caps(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	static const char *const prefixes[] = { "re", "fwd", "fw", "aw",
		"antwort", "wg", "sv", "vb", "vs", "vl" };
	const char *subject = rule_eval_header(context, "Subject"), *raw;
	const char *start, *end, *p;
	bool letter = false, space = false, stripped;
	size_t i, n;

	(void)rule;
	if (subject == NULL)
		return 0;
	start = subject;
	end = subject + strlen(subject);
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	do {
		stripped = false;
		for (i = 0; i < ARRAY_LENGTH(prefixes); i++) {
			n = strlen(prefixes[i]);
			if ((size_t)(end - start) > n &&
			    strncasecmp(start, prefixes[i], n) == 0 &&
			    start[n] == ':') {
				start += n + 1;
				while (start < end &&
				    isspace((unsigned char)*start))
					start++;
				stripped = true;
			}
		}
	} while (stripped);
	for (p = start; p < end; p++)
		if (isspace((unsigned char)*p))
			space = true;
	if (!space || end - start < 10)
		return 0;
	raw = rule_eval_header(context, "Subject:raw");
	/* CHARSETS_LIKELY_TO_FP_AS_CAPS in SpamAssassin's Constants: an
	 * encoded word in one of these charsets. */
	for (p = raw; p != NULL && (p = strstr(p, "=?")) != NULL; p += 2) {
		static const char *const fp_charsets[] = { "koi", "jp", "jis",
			"euc", "gb", "big5", "isoir", "cp1251",
			"windows-1251", "georgianps", "pt154", "tis" };
		const char *q = p + 2, *close = strchr(q, '?');
		char charset[64];
		size_t length;

		if (close == NULL)
			break;
		length = MIN((size_t)(close - q), sizeof(charset) - 1);
		for (i = 0; i < length; i++)
			charset[i] = (char)tolower((unsigned char)q[i]);
		charset[length] = '\0';
		for (i = 0; i < ARRAY_LENGTH(fp_charsets); i++)
			if (strstr(charset, fp_charsets[i]) != NULL)
				return 0;
	}
	for (p = start; p < end; p++) {
		if (*p >= 'a' && *p <= 'z')
			return 0;
		if (*p >= 'A' && *p <= 'Z')
			letter = true;
	}
	return letter ? 1 : 0;
}

/* check_body_length(N) (BodyEval): the body as received, after the
 * header, is at most N bytes. */
static unsigned
rule_eval_check_body_length(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	double limit = rule_eval_argument_number(rule, 0, 0);
	size_t body = message->raw.length - MIN(message->raw.length,
	    message->header->length);

	return (double)body <= limit ? 1 : 0;
}

/* check_header_count_range(Header, min, max). */
static unsigned
rule_eval_check_header_count_range(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	double low = rule_eval_argument_number(rule, 1, 0);
	double high = rule_eval_argument_number(rule, 2, 1e9);
	size_t count;

	if (rule->eval_argument_count == 0)
		return 0;
	count = mail_header_count(message->header, rule->eval_arguments[0]);
	return (double)count >= low && (double)count <= high ? 1 : 0;
}

/* check_msg_parse_flags(name): a parser observation SpamAssassin
 * records; we map the ones our parser reports. */
static unsigned
rule_eval_check_msg_parse_flags(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	const char *name;

	if (rule->eval_argument_count == 0)
		return 0;
	name = rule->eval_arguments[0];
	if (strcmp(name, "missing_head_body_separator") == 0)
		return (message->flags & (MESSAGE_FLAG_HEADER_NO_BLANK_LINE |
		    MESSAGE_FLAG_HEADER_NO_END)) != 0;
	if (strcmp(name, "missing_mime_head_body_separator") == 0) {
		size_t i;
		for (i = 1; i < message->part_count; i++)
			if ((message->parts[i].flags &
			    MESSAGE_FLAG_HEADER_NO_BLANK_LINE) != 0)
				return 1;
		return 0;
	}
	if (strcmp(name, "truncated_header") == 0)
		return (message->flags & MESSAGE_FLAG_HEADER_LIMIT) != 0;
	if (strcmp(name, "mime_missing_boundary") == 0)
		return (message->flags & MESSAGE_FLAG_MISSING_BOUNDARY) != 0;
	return 0;
}

/* sluice_message_limits (ours): the parser stopped at a limit (nesting,
 * part count, header size, decoded size); what it parsed was scanned,
 * the rest was not, which is itself a sign of a crafted message. */
static unsigned
rule_eval_sluice_message_limits(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);

	(void)rule;
	return (message->flags & (MESSAGE_FLAG_TOO_DEEP |
	    MESSAGE_FLAG_TOO_MANY_PARTS | MESSAGE_FLAG_HEADER_LIMIT |
	    MESSAGE_FLAG_DECODED_LIMIT)) != 0 ? 1 : 0;
}

static const struct ruleset_eval rule_eval_builtins[] = {
	{ "check_body_length", rule_eval_check_body_length },
	{ "check_header_count_range", rule_eval_check_header_count_range },
	{ "check_msg_parse_flags", rule_eval_check_msg_parse_flags },
	{ "sluice_message_limits", rule_eval_sluice_message_limits },
	{ "subject_is_all_caps", rule_eval_subject_is_all_caps },
};

const struct ruleset_eval *
rule_eval_builtin_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(rule_eval_builtins); i++)
		if (strcmp(rule_eval_builtins[i].name, name) == 0)
			return &rule_eval_builtins[i];
	return NULL;
}
