/* rule_eval_builtin.c: SpamAssassin's eval: tests that need no network,
 * reimplemented on our message model: the table of every family
 * (rule_eval_builtin.h), the helpers they share, and a few evals of
 * HeaderEval, BodyEval and MIMEEval that came first. Each keeps the
 * meaning of the Perl original its name comes from; arguments arrive
 * unquoted. */
#include "rules/rule_eval_builtin.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/log.h"
#include "lib/mail_header.h"
#include "lib/message.h"

#include <ctype.h>
#include <math.h> /* INFINITY */
#include <pthread.h>

const char *
rule_eval_builtin_argument(const struct ruleset_rule *rule, size_t index)
{
	return index < rule->eval_argument_count ?
	    rule->eval_arguments[index] : NULL;
}

double
rule_eval_builtin_perl_number(const char *text)
{
	const char *p = text, *digits;
	char *end;
	double value;

	while (isspace((unsigned char)*p))
		p++;
	digits = p + (*p == '+' || *p == '-');
	if (strncasecmp(digits, "inf", 3) == 0)
		return *p == '-' ? -INFINITY : INFINITY;
	/* Decimal only: Perl reads "0x10" as 0 and "nan" as no number. */
	if (strncasecmp(digits, "0x", 2) == 0 ||
	    strncasecmp(digits, "nan", 3) == 0)
		return 0;
	value = strtod(p, &end);
	return end == p ? 0 : value;
}

double
rule_eval_builtin_number(const struct ruleset_rule *rule, size_t index,
    double fallback)
{
	const char *argument = rule_eval_builtin_argument(rule, index);

	return argument == NULL ? fallback :
	    rule_eval_builtin_perl_number(argument);
}

bool
rule_eval_builtin_unbounded(const struct ruleset_rule *rule, size_t index)
{
	const char *argument = rule_eval_builtin_argument(rule, index);

	return argument == NULL || strcmp(argument, "undef") == 0;
}

const char *
rule_eval_builtin_get(struct rule_eval_context *context, const char *request)
{
	const char *value = rule_eval_header(context, request), *newline;

	if (value == NULL)
		return "";
	if (strstr(request, ":addr") != NULL ||
	    strstr(request, ":name") != NULL ||
	    strcmp(request, "EnvelopeFrom") == 0) {
		newline = strchr(value, '\n');
		if (newline != NULL)
			return arena_strndup(rule_eval_arena(context), value,
			    (size_t)(newline - value));
	}
	return value;
}

const char **
rule_eval_builtin_get_all(struct rule_eval_context *context,
    const char *request, size_t *count_r)
{
	const char *value = rule_eval_header(context, request), *p, *newline;
	const char **values;
	size_t count = 0;

	*count_r = 0;
	if (value == NULL)
		return NULL;
	for (p = value; *p != '\0'; p = newline + 1) {
		newline = strchr(p, '\n');
		count++;
		if (newline == NULL)
			break;
	}
	values = arena_array(rule_eval_arena(context), count + 1,
	    sizeof(*values));
	for (p = value; *p != '\0' && *count_r < count; p = newline + 1) {
		newline = strchr(p, '\n');
		if (newline == NULL)
			newline = p + strlen(p);
		values[(*count_r)++] = arena_strndup(rule_eval_arena(context),
		    p, (size_t)(newline - p));
		if (*newline == '\0')
			break;
	}
	return values;
}

char *
rule_eval_builtin_lowercase(struct arena *arena, const char *text)
{
	char *copy = arena_strdup(arena, text), *p;

	for (p = copy; *p != '\0'; p++)
		*p = (char)string_ascii_lower((unsigned char)*p);
	return copy;
}

/* Pattern arguments compiled once per process: a list under a lock.
 * Rule sets come and go on reload but bring the same few patterns, so
 * the list stays small; it lives until exit. */
struct rule_eval_builtin_pattern {
	struct rule_eval_builtin_pattern *next;
	char *pattern;
	bool caseless;
	struct rule_regex *regex; /* NULL: does not compile */
};

static pthread_mutex_t rule_eval_builtin_patterns_lock =
    PTHREAD_MUTEX_INITIALIZER;
static struct rule_eval_builtin_pattern *rule_eval_builtin_patterns;

const struct rule_regex *
rule_eval_builtin_regex(const char *pattern, bool caseless)
{
	static const char delimiters[] = "/!#%,;~|@^";
	struct rule_eval_builtin_pattern *entry;
	const struct rule_regex *regex = NULL;
	const char *error;
	char *source;
	size_t i;

	pthread_mutex_lock(&rule_eval_builtin_patterns_lock);
	for (entry = rule_eval_builtin_patterns; entry != NULL;
	    entry = entry->next) {
		if (entry->caseless == caseless &&
		    strcmp(entry->pattern, pattern) == 0) {
			regex = entry->regex;
			pthread_mutex_unlock(&rule_eval_builtin_patterns_lock);
			return regex;
		}
	}
	entry = alloc_zero(sizeof(*entry));
	entry->pattern = alloc_strdup(pattern);
	entry->caseless = caseless;
	for (i = 0; delimiters[i] != '\0'; i++)
		if (strchr(pattern, delimiters[i]) == NULL)
			break;
	source = delimiters[i] != '\0' ?
	    alloc_printf("m%c%s%c%s", delimiters[i], pattern, delimiters[i],
		caseless ? "i" : "") :
	    alloc_printf("m{%s}%s", pattern, caseless ? "i" : "");
	if (rule_regex_compile(source, strlen(source), NULL, &entry->regex,
	    &error) < 0) {
		log_warn("rules: eval pattern '%s' does not compile: %s",
		    pattern, error);
		entry->regex = NULL;
	}
	free(source);
	entry->next = rule_eval_builtin_patterns;
	rule_eval_builtin_patterns = entry;
	regex = entry->regex;
	pthread_mutex_unlock(&rule_eval_builtin_patterns_lock);
	return regex;
}

/* Mail::SpamAssassin::Locales' table: charsets that suit a locale
 * beyond the ones that suit every locale. */
static const struct {
	const char *locale;
	const char *charsets;
} rule_eval_builtin_locales[] = {
	{ "ja", " EUCJP JISX020119760 JISX020819830 JISX020819900 "
	    "JISX020819970 JISX021219900 JISX021320001 JISX021320002 "
	    "SHIFT_JIS SHIFTJIS ISO2022JP SJIS JIS7 JISX0201 JISX0208 "
	    "JISX0212 " },
	{ "ko", " EUCKR KSC56011987 " },
	{ "ru", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "ka", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "tg", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "be", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "uk", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "bg", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 "
	    "CP866 " },
	{ "th", " TIS620 " },
	{ "zh", " GB1988 GB2312 GB231219800 GB18030 GBK BIG5HKSCS BIG5 "
	    "EUCTW ISO2022CN " },
};

bool
rule_eval_builtin_all_locales(const char *ok_locales)
{
	const char *p;

	if (ok_locales == NULL)
		return true;
	for (p = ok_locales; *p != '\0';) {
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "all", 3) == 0 &&
		    (p[3] == '\0' || isspace((unsigned char)p[3])))
			return true;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
	}
	return false;
}

bool
rule_eval_builtin_charset_ok(const char *charset, const char *ok_locales)
{
	static const char *const universal_prefixes[] = { "ISO8859",
		"ISO10646", "UTF", "UCS", "CP125", "WINDOWS",
		"UNICODE11UTF7", "UNICODE11UTF8" };
	static const char *const universal[] = { "USASCII", "ASCII",
		"IBM852", "XUNKNOWN", "ISO" };
	char normal[128], word[16], needle[132];
	const char *p;
	size_t n = 0, i;

	if (rule_eval_builtin_all_locales(ok_locales))
		return true;
	/* uc, keep [A-Z0-9], drop a leading "3D" (QP damage), keep what
	 * is before a ':'. */
	for (p = charset; *p != '\0' && *p != ':' && n < sizeof(normal) - 1;
	    p++)
		if (isalnum((unsigned char)*p))
			normal[n++] = (char)toupper((unsigned char)*p);
	normal[n] = '\0';
	p = normal;
	while (strncmp(p, "3D", 2) == 0)
		p += 2;
	for (i = 0; i < ARRAY_LENGTH(universal); i++)
		if (strcmp(p, universal[i]) == 0)
			return true;
	for (i = 0; i < ARRAY_LENGTH(universal_prefixes); i++)
		if (strncmp(p, universal_prefixes[i],
		    strlen(universal_prefixes[i])) == 0)
			return true;
	snprintf(needle, sizeof(needle), " %s ", p);
	for (p = ok_locales; *p != '\0';) {
		while (isspace((unsigned char)*p))
			p++;
		for (n = 0; *p != '\0' && !isspace((unsigned char)*p); p++)
			if (n < sizeof(word) - 1)
				word[n++] = *p;
		word[n] = '\0';
		if (n == 0)
			break;
		if (strcmp(word, "C") == 0)
			strcpy(word, "en");
		word[2] = '\0';
		for (i = 0; i < ARRAY_LENGTH(rule_eval_builtin_locales); i++)
			if (strcmp(word, rule_eval_builtin_locales[i].locale) ==
			    0 && strstr(rule_eval_builtin_locales[i].charsets,
			    needle) != NULL)
				return true;
	}
	return false;
}

/* One glob against one address, both compared lowercased; NUL,
 * backslash and '(' in a pattern only match '_' (SpamAssassin's
 * "paranoia" rewrite). */
static bool
rule_eval_builtin_glob(const char *pattern, const char *address)
{
	const char *star = NULL, *resume = NULL;
	int p, a;

	while (*address != '\0') {
		p = string_ascii_lower((unsigned char)*pattern);
		a = string_ascii_lower((unsigned char)*address);
		if (p == '\\' || p == '(')
			p = '_';
		if (p == '*') {
			while (*pattern == '*')
				pattern++;
			star = pattern;
			resume = address;
			continue;
		}
		if (p != '\0' && (p == '?' ? a != '\n' : p == a)) {
			pattern++;
			address++;
			continue;
		}
		if (star == NULL)
			return false;
		pattern = star;
		address = ++resume;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

bool
rule_eval_builtin_address_listed(const char *const *patterns, size_t count,
    const char *address)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcasecmp(patterns[i], address) == 0 ||
		    rule_eval_builtin_glob(patterns[i], address))
			return true;
	return false;
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
	double limit = rule_eval_builtin_number(rule, 0, 0);
	size_t body = message->raw.length - MIN(message->raw.length,
	    message->header->length);

	return (double)body <= limit ? 1 : 0;
}

/* check_header_count_range(Header, min, max): how many different
 * values (decoded) the header has, within [min, max]. */
static unsigned
rule_eval_check_header_count_range(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	double low = rule_eval_builtin_number(rule, 1, 0);
	double high = rule_eval_builtin_number(rule, 2, 0);
	const struct mail_header_field **fields;
	struct string_view *values;
	size_t count, unique = 0, i, j;

	if (rule->eval_argument_count == 0)
		return 0;
	fields = mail_header_get_all(message->header, rule_eval_arena(context),
	    rule->eval_arguments[0], &count);
	values = arena_array(rule_eval_arena(context), count + 1,
	    sizeof(*values));
	for (i = 0; i < count; i++) {
		struct string_view value = mail_header_decode(
		    rule_eval_arena(context), fields[i]->value, NULL);
		for (j = 0; j < unique; j++)
			if (string_view_equal(values[j], value))
				break;
		if (j == unique)
			values[unique++] = value;
	}
	return (double)unique >= low && (double)unique <= high ? 1 : 0;
}

/* What SpamAssassin's multipart parser notes while splitting a body:
 * whether a line other than a header follows a delimiter (bit 0), and
 * whether text other than dots and white space follows the close
 * delimiter (bit 1). Delimiters are matched as SpamAssassin matches
 * them: "--BOUNDARY" or "--BOUNDARY--" and nothing but white space. */
static unsigned
rule_eval_multipart_observations(struct rule_eval_context *context,
    const struct message_part *part)
{
	struct mail_header_content content;
	const struct mail_header_field **fields;
	const char *boundary, *p, *end, *line, *next, *q;
	size_t count, length, n;
	unsigned result = 0;
	bool closed = false, after_delimiter = false;

	fields = mail_header_get_all(part->header, rule_eval_arena(context),
	    "Content-Type", &count);
	if (count == 0)
		return 0;
	mail_header_parse_content_type(rule_eval_arena(context),
	    fields[count - 1]->value, &content);
	boundary = mail_header_content_parameter(&content, "boundary");
	if (boundary == NULL || *boundary == '\0')
		return 0;
	length = strlen(boundary);
	p = part->raw_body.data;
	end = p + part->raw_body.length;
	for (line = p; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end - line));
		next = next != NULL ? next + 1 : end;
		n = (size_t)(next - line);
		if (closed) {
			for (q = line; q < next; q++)
				if (!isspace((unsigned char)*q) && *q != '.')
					return result | 2;
			continue;
		}
		if (after_delimiter) {
			/* /^[\041-\071\073-\176]+:/ */
			for (q = line; q < next && *q >= 0x21 && *q <= 0x7e &&
			    *q != ':'; q++)
				;
			if (q == line || q == next || *q != ':')
				result |= 1;
			after_delimiter = false;
		}
		if (n < length + 2 || line[0] != '-' || line[1] != '-' ||
		    memcmp(line + 2, boundary, length) != 0)
			continue;
		q = line + 2 + length;
		if (next - q >= 2 && q[0] == '-' && q[1] == '-') {
			const char *rest = q + 2;
			while (rest < next && isspace((unsigned char)*rest))
				rest++;
			if (rest == next) {
				closed = true;
				continue;
			}
		}
		while (q < next && isspace((unsigned char)*q))
			q++;
		if (q == next)
			after_delimiter = true;
	}
	return result;
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
	if (strcmp(name, "missing_mime_headers") == 0 ||
	    strcmp(name, "mime_epilogue_exists") == 0) {
		unsigned bit = strcmp(name, "missing_mime_headers") == 0 ?
		    1 : 2;
		size_t i;
		for (i = 0; i < message->part_count; i++)
			if (message->parts[i].kind == MIME_PARSER_MULTIPART &&
			    (rule_eval_multipart_observations(context,
			    &message->parts[i]) & bit) != 0)
				return 1;
		return 0;
	}
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
	static const struct {
		const struct ruleset_eval *evals;
		const size_t *count;
	} families[] = {
		{ rule_eval_mime_evals, &rule_eval_mime_eval_count },
		{ rule_eval_html_evals, &rule_eval_html_eval_count },
		{ rule_eval_header_evals, &rule_eval_header_eval_count },
		{ rule_eval_body_evals, &rule_eval_body_eval_count },
	};
	size_t i, j;

	for (i = 0; i < ARRAY_LENGTH(rule_eval_builtins); i++)
		if (strcmp(rule_eval_builtins[i].name, name) == 0)
			return &rule_eval_builtins[i];
	for (i = 0; i < ARRAY_LENGTH(families); i++)
		for (j = 0; j < *families[i].count; j++)
			if (strcmp(families[i].evals[j].name, name) == 0)
				return &families[i].evals[j];
	return NULL;
}

const char *const *
rule_eval_builtin_features(size_t *count_r)
{
	static const char *const features[] = {
		"Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length",
		"Mail::SpamAssassin::Plugin::MIMEEval::"
		    "has_check_abundant_unicode_ratio",
		"Mail::SpamAssassin::Plugin::MIMEEval::"
		    "has_check_for_ascii_text_illegal",
		"Mail::SpamAssassin::Plugin::MIMEEval::has_check_qp_ratio",
	};

	*count_r = ARRAY_LENGTH(features);
	return features;
}
