/* rule_eval_mime.c: SpamAssassin's MIMEEval tests (check_for_mime and
 * its counters, check_for_mime_html(_only), check_mime_multipart_ratio,
 * check_ma_non_text, check_base64_length, check_qp_ratio,
 * check_abundant_unicode_ratio, check_for_ascii_text_illegal,
 * check_for_faraway_charset, check_for_uppercase) and ImageInfo's
 * (image_count, pixel_coverage, image_to_text_ratio, image_size_*,
 * image_named).
 *
 * DESIGN: MIMEEval looks at every part once and keeps counters
 * (_check_attachments); so do we, cached per message. It reads types
 * the way Util::parse_content_type() does (every text/ type other than
 * html, calendar and x-vcard is text/plain; no type is text/plain) from
 * the last Content-Type field of each part, and walks the raw body lines
 * of each leaf as SpamAssassin stores them. The part tree itself is our
 * parser's (lib/message). */
#include "rules/rule_eval_builtin.h"
#include "lib/buffer.h"
#include "lib/log.h"
#include "lib/mail_header.h"
#include "lib/message.h"

#include <ctype.h>

/* SpamAssassin's MAX_BODY_LINE_LENGTH: longer lines of a MIME part are
 * stored as pieces of this size. */
#define MIME_LINE_MAX 2048

/* Appends to a buffer without a cap, which cannot fail. */
static void
put(struct buffer *buffer, const char *text)
{
	if (buffer_append_string(buffer, text) < 0)
		log_panic("rule_eval_mime: unbounded buffer refused text");
}

struct mime_type {
	const char *type;	/* lowercased, normalised */
	const char *charset;	/* as written, or NULL */
	bool missing;		/* no Content-Type */
};

/* The last field called name of part, decoded and trimmed (what
 * Node::get_header() returns in scalar context), or NULL. */
static const char *
part_header(struct rule_eval_context *context, const struct message_part *part,
    const char *name)
{
	struct arena *arena = rule_eval_arena(context);
	const struct mail_header_field **fields;
	struct string_view value;
	size_t count;

	fields = mail_header_get_all(part->header, arena, name, &count);
	if (count == 0)
		return NULL;
	value = string_view_trim(mail_header_decode(arena,
	    fields[count - 1]->value, NULL));
	while (value.length > 0 && isspace((unsigned char)value.data[0]))
		value = string_view_skip(value, 1);
	while (value.length > 0 &&
	    isspace((unsigned char)value.data[value.length - 1]))
		value.length--;
	return arena_strndup(arena, value.data, value.length);
}

/* m/\bcharset\s*=\s*["']?(.*?)["']?(?:;|$)/i */
static const char *
content_type_charset(struct arena *arena, const char *value)
{
	const char *p, *q, *start;

	for (p = value; (p = strcasestr(p, "charset")) != NULL; p++) {
		if (p > value &&
		    (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			continue;
		q = p + 7;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '=')
			continue;
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q == '"' || *q == '\'')
			q++;
		start = q;
		for (;; q++) {
			if (*q == '\0' || *q == ';')
				break;
			if ((*q == '"' || *q == '\'') &&
			    (q[1] == '\0' || q[1] == ';'))
				break;
		}
		return arena_strndup(arena, start, (size_t)(q - start));
	}
	return NULL;
}

/* Util::parse_content_type() on a field value (NULL: none). */
static struct mime_type
parse_content_type(struct arena *arena, const char *value)
{
	struct mime_type result = { "text/plain", NULL, value == NULL };
	const char *p, *slash;
	char *type, *o;
	size_t length;

	if (value == NULL || *value == '\0') {
		result.missing = true;
		value = "text/plain; charset=us-ascii";
	}
	result.charset = content_type_charset(arena, value);
	p = value;
	while (isspace((unsigned char)*p))
		p++;
	length = strcspn(p, ";");
	/* s@^([^/]+(?:/[^/\s]*)?).*$@$1@s */
	slash = memchr(p, '/', length);
	if (slash != NULL) {
		const char *end = slash + 1;
		while (end < p + length && *end != '/' &&
		    !isspace((unsigned char)*end))
			end++;
		length = (size_t)(end - p);
	}
	type = arena_strndup(arena, p, length);
	for (o = type; *o != '\0'; o++)
		*o = (char)tolower((unsigned char)*o);
	if (*type == '\0')
		result.missing = true;
	if (*type == '\0' || (strncmp(type, "text", 4) == 0 &&
	    !isalnum((unsigned char)type[4]) && type[4] != '_' &&
	    strcmp(type, "text/x-vcard") != 0 &&
	    strcmp(type, "text/calendar") != 0 &&
	    strcmp(type, "text/html") != 0))
		type = arena_strdup(arena, "text/plain");
	/* tr/\000-\040\177-\377\042\050\051\054\072-\077\100\133-\135//d */
	for (p = type, o = type; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<=>?@[\\]", c))
			continue;
		*o++ = (char)c;
	}
	*o = '\0';
	result.type = type;
	return result;
}

static struct mime_type
part_content_type(struct rule_eval_context *context,
    const struct message_part *part)
{
	return parse_content_type(rule_eval_arena(context),
	    part_header(context, part, "Content-Type"));
}

/* $part->{type} as SpamAssassin's parser sets it: the Content-Type,
 * message/rfc822 for an untyped child of a digest, text/plain for a
 * multipart that was not split. */
const char *
rule_eval_mime_part_type(struct rule_eval_context *context,
    const struct message_part *part)
{
	const struct message *message = rule_eval_message(context);

	struct mime_type type = part_content_type(context, part);
	const struct message_part *parent = message_part_parent(message, part);

	if (type.missing && parent != NULL &&
	    strcmp(part_content_type(context, parent).type,
	    "multipart/digest") == 0)
		return "message/rfc822";
	if (part->kind == MIME_PARSER_LEAF &&
	    strncmp(type.type, "multipart/", 10) == 0)
		return "text/plain";
	return type.type;
}

static char *
lowercase_or_empty(struct arena *arena, const char *value)
{
	return rule_eval_builtin_lowercase(arena, value != NULL ? value : "");
}

/* Calls line(context, state, text, length) for each raw body line of a
 * leaf as SpamAssassin keeps them: with their line end, long ones in
 * pieces of MIME_LINE_MAX bytes plus a line end. */
static void
part_lines(const struct message_part *part, bool split,
    void (*line)(void *state, const char *text, size_t length), void *state)
{
	const char *p = part->raw_body.data, *end = p + part->raw_body.length;
	const char *newline;
	char piece[MIME_LINE_MAX + 1];
	size_t length;

	while (p < end) {
		newline = memchr(p, '\n', (size_t)(end - p));
		length = newline != NULL ? (size_t)(newline - p) + 1 :
		    (size_t)(end - p);
		while (split && length > MIME_LINE_MAX) {
			memcpy(piece, p, MIME_LINE_MAX);
			piece[MIME_LINE_MAX] = '\n';
			line(state, piece, MIME_LINE_MAX + 1);
			p += MIME_LINE_MAX;
			length -= MIME_LINE_MAX;
		}
		line(state, p, length);
		p += length;
	}
}

/* _check_attachments() */

struct mime_facts {
	unsigned base64_count;
	bool base64_encoded_text;
	unsigned body_html_count;
	unsigned body_text_count;
	bool faraway_charset;
	bool missing_boundary;
	bool multipart_alternative;
	double multipart_ratio;
	double qp_count;
	bool qp_long_line;
	double qp_ratio;
	double qp_bytes;
	unsigned ascii_text_illegal;
	double text_unicode_ratio;
	unsigned attachment;
	bool bad_iso_charset;
	const char *html_charsets;	/* space-separated, or NULL */
};

struct mime_line_state {
	struct mime_facts *facts;
	const char *type;
	const char *encoding;
	const char *charset;
	bool attachment;
	double *part_bytes;	/* NULL: not counted */
	double qp_bytes;
	double qp_count;
	double normal_chars;
	double unicode_chars;
};

/* m/=(?:09|3[0-9ABCEF]|[2456][0-9A-F]|7[0-9A-E])/g */
static unsigned
count_qp_escapes(const char *text, size_t length)
{
	unsigned count = 0;
	size_t i;

	for (i = 0; i + 2 < length; i++) {
		char a = text[i + 1], b = text[i + 2];
		bool upper_hex = isdigit((unsigned char)b) ||
		    (b >= 'A' && b <= 'F');
		if (text[i] != '=')
			continue;
		if ((a == '0' && b == '9') ||
		    (a == '3' && upper_hex && b != 'D') ||
		    ((a == '2' || a == '4' || a == '5' || a == '6') &&
		    upper_hex) || (a == '7' && upper_hex && b != 'F')) {
			count++;
			i += 2;
		}
	}
	return count;
}

static void
mime_line(void *opaque, const char *text, size_t length)
{
	struct mime_line_state *state = opaque;
	size_t i, end;

	if (state->part_bytes != NULL)
		*state->part_bytes += (double)length;
	if (strcmp(state->encoding, "quoted-printable") == 0 &&
	    !(length >= 6 && memcmp(text, "SPAM: ", 6) == 0)) {
		if (length > 79)
			state->facts->qp_long_line = true;
		state->qp_bytes += (double)length;
		if (memchr(text, '=', length) != NULL) {
			unsigned qp = count_qp_escapes(text, length);
			if (qp > 0) {
				/* Less trailing "=09"/"=20" escapes (which
				 * are just encoded white space at the line
				 * end). */
				state->qp_count += qp;
				end = length;
				while (end > 0 &&
				    isspace((unsigned char)text[end - 1]))
					end--;
				for (i = end; i >= 3 && text[i - 3] == '=' &&
				    ((text[i - 2] == '0' &&
				    text[i - 1] == '9') ||
				    (text[i - 2] == '2' && text[i - 1] == '0'));
				    i -= 3)
					state->qp_count -= 1;
			}
		}
	}
	if (strcmp(state->type, "text/plain") == 0 &&
	    (state->charset == NULL ||
	    strcmp(state->charset, "us-ascii") == 0)) {
		for (i = 0; i < length; i++) {
			unsigned char c = (unsigned char)text[i];
			if (c == 0 || c == '\r' || c >= 0x80) {
				state->facts->ascii_text_illegal++;
				break;
			}
		}
	}
	if (strcmp(state->type, "text/plain") == 0 &&
	    (*state->encoding == '\0' || strcmp(state->encoding, "7bit") == 0 ||
	    strcmp(state->encoding, "8bit") == 0)) {
		/* s/&#x[0-9A-F]{4};//g, counting */
		size_t removed = 0, subs = 0;
		for (i = 0; i + 8 <= length; i++) {
			size_t k;
			if (memcmp(text + i, "&#x", 3) != 0)
				continue;
			for (k = 3; k < 7; k++)
				if (!isdigit((unsigned char)text[i + k]) &&
				    !(text[i + k] >= 'A' && text[i + k] <= 'F'))
					break;
			if (k == 7 && text[i + 7] == ';') {
				subs++;
				removed += 8;
				i += 7;
			}
		}
		state->normal_chars += (double)(length - removed);
		state->unicode_chars += (double)subs;
	}
}

/* m/iso-\S+-\S+\b/i && !m/iso-(?:8859-\d{1,2}|2022-(?:jp|kr))\b/ */
static bool
bad_iso_charset(const char *charset)
{
	const char *p, *q;
	bool odd = false;

	for (p = charset; (p = strcasestr(p, "iso-")) != NULL; p++) {
		q = p + 4;
		/* \S+-\S+ : some non-space, a dash, some non-space. */
		while (*q != '\0' && !isspace((unsigned char)*q) && *q != '-')
			q++;
		if (q == p + 4)
			continue;
		while (*q != '\0' && !isspace((unsigned char)*q)) {
			if (*q == '-' && q[1] != '\0' &&
			    !isspace((unsigned char)q[1]))
				odd = true;
			q++;
		}
		if (odd)
			break;
	}
	if (!odd)
		return false;
	for (p = charset; (p = strstr(p, "iso-")) != NULL; p++) {
		q = p + 4;
		if (strncmp(q, "8859-", 5) == 0 &&
		    isdigit((unsigned char)q[5])) {
			size_t digits = isdigit((unsigned char)q[6]) ? 2 : 1;
			char after = q[5 + digits];
			if (!(isalnum((unsigned char)after) || after == '_'))
				return false;
			if (digits == 2 || !isdigit((unsigned char)after))
				return false;
		}
		if ((strncmp(q, "2022-jp", 7) == 0 ||
		    strncmp(q, "2022-kr", 7) == 0) &&
		    !(isalnum((unsigned char)q[7]) || q[7] == '_'))
			return false;
	}
	return true;
}

/* _check_mime_header() */
static void
mime_header_facts(struct rule_eval_context *context, struct mime_facts *facts,
    struct buffer *charsets, const char *type, const char *encoding,
    const char *disposition, const char *charset)
{
	const char *locales =
	    ruleset_settings(rule_eval_ruleset(context))->ok_locales;
	static const char *const ascii_names[] = { "us-ascii",
		"ansi_x3.4-1968", "iso-ir-6", "ansi_x3.4-1986",
		"iso_646.irv:1991", "ascii", "iso646-us", "us", "ibm367",
		"cp367", "csascii" };
	bool ascii = false, letter = false;
	const char *p;
	size_t i;

	if (strcmp(type, "text/html") == 0)
		facts->body_html_count++;
	else if (strncasecmp(type, "text", 4) == 0)
		facts->body_text_count++;
	if (strstr(encoding, "base64") != NULL)
		facts->base64_count++;
	else if (strstr(encoding, "quoted-printable") != NULL)
		facts->qp_count++;
	if (*disposition != '\0' && strstr(disposition, "attachment") != NULL)
		facts->attachment++;
	for (i = 0; i < ARRAY_LENGTH(ascii_names); i++)
		if (strstr(charset, ascii_names[i]) != NULL)
			ascii = true;
	if (strncmp(type, "text", 4) == 0 &&
	    strstr(encoding, "base64") != NULL &&
	    (*charset == '\0' || ascii) &&
	    !(strncmp(disposition, "attachment", 10) == 0 ||
	    strncmp(disposition, "inline", 6) == 0))
		facts->base64_encoded_text = true;
	if (bad_iso_charset(charset))
		facts->bad_iso_charset = true;
	for (p = charset; *p != '\0'; p++)
		if (isalpha((unsigned char)*p))
			letter = true;
	if (letter) {
		if (buffer_length(charsets) > 0)
			put(charsets, " ");
		put(charsets, charset);
		if (!facts->faraway_charset &&
		    !rule_eval_builtin_charset_ok(charset, locales))
			facts->faraway_charset = true;
	}
}

static const struct mime_facts *
mime_facts(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_MIME);
	const struct message *message = rule_eval_message(context);
	struct arena *arena = rule_eval_arena(context);
	struct mime_facts *facts;
	struct mime_line_state state;
	struct buffer charsets;
	double *part_bytes, qp_bytes = 0, qp_count = 0;
	double normal_chars = 0, unicode_chars = 0;
	const char **part_types;
	size_t i, leaves = 0;
	long k;

	if (*slot != NULL)
		return *slot;
	facts = arena_new_type(arena, struct mime_facts);
	*slot = facts;
	facts->multipart_ratio = 1.0;
	buffer_init(&charsets, 0);
	part_bytes = arena_array(arena, message->part_count + 1,
	    sizeof(*part_bytes));
	part_types = arena_array(arena, message->part_count + 1,
	    sizeof(*part_types));
	for (i = 0; i < message->part_count; i++) {
		const struct message_part *part = &message->parts[i];
		struct mime_type type = part_content_type(context, part);
		const char *encoding = lowercase_or_empty(arena,
		    part_header(context, part,
		    "Content-Transfer-Encoding"));
		const char *disposition = lowercase_or_empty(arena,
		    part_header(context, part, "Content-Disposition"));
		const char *charset = lowercase_or_empty(arena, type.charset);
		bool counted;

		if (strcmp(type.type, "multipart/alternative") == 0)
			facts->multipart_alternative = true;
		mime_header_facts(context, facts, &charsets, type.type,
		    encoding, disposition, charset);
		if (part->kind != MIME_PARSER_LEAF)
			continue;
		/* -1: an attachment, whose bytes never count. */
		part_types[leaves] = type.type;
		part_bytes[leaves] = strstr(disposition, "attachment") ==
		    NULL ? 0 : -1;
		counted = part_bytes[leaves] >= 0 &&
		    facts->multipart_alternative &&
		    (strcmp(type.type, "text/plain") == 0 ||
		    strcmp(type.type, "text/html") == 0);
		memset(&state, 0, sizeof(state));
		state.facts = facts;
		state.type = type.type;
		state.encoding = encoding;
		state.charset = type.charset != NULL ? charset : NULL;
		state.part_bytes = counted ? &part_bytes[leaves] : NULL;
		part_lines(part, part->depth > 0, mime_line, &state);
		qp_bytes += state.qp_bytes;
		qp_count += state.qp_count;
		normal_chars += state.normal_chars;
		unicode_chars += state.unicode_chars;
		leaves++;
	}
	if (qp_bytes > 0) {
		facts->qp_ratio = qp_count / qp_bytes;
		facts->qp_count = qp_count;
		facts->qp_bytes = qp_bytes;
	}
	if (normal_chars > 0)
		facts->text_unicode_ratio = unicode_chars / normal_chars;
	if (facts->multipart_alternative) {
		double text = -1, html = -1;
		for (k = (long)leaves - 1; k >= 0; k--) {
			if (part_bytes[k] < 0)
				continue;
			if (html < 0 && strcmp(part_types[k], "text/html") == 0)
				html = part_bytes[k];
			else if (text < 0 &&
			    strcmp(part_types[k], "text/plain") == 0)
				text = part_bytes[k];
			if (html >= 0 && text >= 0)
				break;
		}
		if (text >= 0 && html > 0)
			facts->multipart_ratio = text / html;
	}
	facts->missing_boundary =
	    (message->flags & MESSAGE_FLAG_MISSING_BOUNDARY) != 0;
	if (buffer_length(&charsets) > 0)
		facts->html_charsets = arena_strndup(arena,
		    buffer_string(&charsets), buffer_length(&charsets));
	buffer_deinit(&charsets);
	return facts;
}

/* check_for_mime(NAME): one of _check_attachments' results is true. */
static unsigned
rule_eval_check_for_mime(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0);
	const struct mime_facts *facts = mime_facts(context);
	static const char prefix[] = "mime_";

	if (name == NULL || strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	name += sizeof(prefix) - 1;
	if (strcmp(name, "base64_count") == 0)
		return facts->base64_count > 0;
	if (strcmp(name, "base64_encoded_text") == 0)
		return facts->base64_encoded_text;
	if (strcmp(name, "body_html_count") == 0)
		return facts->body_html_count > 0;
	if (strcmp(name, "body_text_count") == 0)
		return facts->body_text_count > 0;
	if (strcmp(name, "faraway_charset") == 0)
		return facts->faraway_charset;
	if (strcmp(name, "missing_boundary") == 0)
		return facts->missing_boundary;
	if (strcmp(name, "multipart_alternative") == 0)
		return facts->multipart_alternative;
	if (strcmp(name, "multipart_ratio") == 0)
		return facts->multipart_ratio != 0;
	if (strcmp(name, "qp_count") == 0)
		return facts->qp_count != 0;
	if (strcmp(name, "qp_long_line") == 0)
		return facts->qp_long_line;
	if (strcmp(name, "qp_ratio") == 0)
		return facts->qp_ratio != 0;
	if (strcmp(name, "qp_bytes") == 0)
		return facts->qp_bytes != 0;
	if (strcmp(name, "ascii_text_illegal") == 0)
		return facts->ascii_text_illegal > 0;
	if (strcmp(name, "text_unicode_ratio") == 0)
		return facts->text_unicode_ratio != 0;
	if (strcmp(name, "attachment") == 0)
		return facts->attachment > 0;
	if (strcmp(name, "bad_iso_charset") == 0)
		return facts->bad_iso_charset;
	return 0;
}

static bool
top_type_is_html(struct rule_eval_context *context)
{
	return strncasecmp(rule_eval_builtin_get(context, "Content-Type"),
	    "text/html", 9) == 0;
}

/* check_for_mime_html(): the message is text/html or has an HTML part. */
static unsigned
rule_eval_check_for_mime_html(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	if (top_type_is_html(context))
		return 1;
	return mime_facts(context)->body_html_count > 0;
}

/* check_for_mime_html_only(): HTML parts and no other text parts. */
static unsigned
rule_eval_check_for_mime_html_only(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct mime_facts *facts;

	(void)rule;
	if (top_type_is_html(context))
		return 1;
	facts = mime_facts(context);
	return facts->body_html_count > 0 && facts->body_text_count == 0;
}

/* check_mime_multipart_ratio(MIN, MAX): text/plain bytes per text/html
 * byte of the last alternative pair, in [MIN, MAX). */
static unsigned
rule_eval_check_mime_multipart_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double ratio = mime_facts(context)->multipart_ratio;

	return ratio >= rule_eval_builtin_number(rule, 0, 0) &&
	    ratio < rule_eval_builtin_number(rule, 1, 0);
}

/* check_qp_ratio(MIN) */
static unsigned
rule_eval_check_qp_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	return mime_facts(context)->qp_ratio >=
	    rule_eval_builtin_number(rule, 0, 0);
}

/* check_for_ascii_text_illegal(): 8-bit, NUL or CR bytes in a
 * us-ascii text/plain part. */
static unsigned
rule_eval_check_for_ascii_text_illegal(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return mime_facts(context)->ascii_text_illegal > 0;
}

/* check_abundant_unicode_ratio(RATIO): "&#xHHHH;" references per byte
 * of unencoded text/plain, at least RATIO (written \d{0,3}\.\d{1,3}). */
static unsigned
rule_eval_check_abundant_unicode_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *ratio = rule_eval_builtin_argument(rule, 0), *p;
	size_t before = 0, after = 0;

	if (ratio == NULL)
		return 0;
	for (p = ratio; isdigit((unsigned char)*p); p++)
		before++;
	if (before > 3 || *p != '.')
		return 0;
	for (p++; isdigit((unsigned char)*p); p++)
		after++;
	if (after == 0 || after > 3 || *p != '\0')
		return 0;
	return mime_facts(context)->text_unicode_ratio >=
	    rule_eval_builtin_perl_number(ratio);
}

/* check_ma_non_text(): a multipart/alternative with a leaf child that
 * is not text (nor application/rtf). */
static unsigned
rule_eval_check_ma_non_text(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	const struct message_part *child;
	const char *type;
	size_t i;

	(void)rule;
	for (i = 0; i < message->part_count; i++) {
		const struct message_part *part = &message->parts[i];
		if (strcmp(rule_eval_mime_part_type(context, part),
		    "multipart/alternative") != 0)
			continue;
		for (child = message_part_first_child(message, part);
		    child != NULL;
		    child = message_part_next_sibling(message, child)) {
			if (child->kind != MIME_PARSER_LEAF)
				continue;
			type = rule_eval_mime_part_type(context, child);
			if (strcmp(type, "multipart/related") == 0 ||
			    strcmp(type, "application/rtf") == 0 ||
			    strncmp(type, "text/", 5) == 0)
				continue;
			return 1;
		}
	}
	return 0;
}

struct base64_state {
	size_t longest;
};

static void
base64_line(void *opaque, const char *text, size_t length)
{
	struct base64_state *state = opaque;

	(void)text;
	if (length > state->longest)
		state->longest = length;
}

/* check_base64_length(MIN, MAX): the longest raw line of a base64 leaf
 * (application/ics aside), at least MIN and at most MAX. */
static unsigned
rule_eval_check_base64_length(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct message *message = rule_eval_message(context);
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_BASE64);
	struct base64_state state = { 0 };
	size_t *longest = *slot;
	size_t i;

	if (longest == NULL) {
		for (i = 0; i < message->part_count; i++) {
			const struct message_part *part = &message->parts[i];
			const char *encoding;
			if (part->kind != MIME_PARSER_LEAF ||
			    strcmp(part_content_type(context, part).type,
			    "application/ics") == 0)
				continue;
			encoding = lowercase_or_empty(rule_eval_arena(context),
			    part_header(context, part,
			    "Content-Transfer-Encoding"));
			if (strcmp(encoding, "base64") == 0)
				part_lines(part, part->depth > 0, base64_line,
				    &state);
		}
		longest = arena_new_type(rule_eval_arena(context), size_t);
		*longest = state.longest;
		*slot = longest;
	}
	if (!rule_eval_builtin_unbounded(rule, 1) &&
	    (double)*longest > rule_eval_builtin_number(rule, 1, 0))
		return 0;
	return (double)*longest >= rule_eval_builtin_number(rule, 0, 0);
}

/* get_charset_from_ct_line() on the message's Content-Type. */
static const char *
top_charset(struct rule_eval_context *context)
{
	const char *value = rule_eval_header(context, "Content-Type"), *p, *q;

	if (value == NULL)
		return NULL;
	if ((p = strcasestr(value, "charset=\"")) != NULL &&
	    (q = strchr(p + 9, '"')) != NULL && q > p + 9)
		return arena_strndup(rule_eval_arena(context), p + 9,
		    (size_t)(q - p - 9));
	if ((p = strcasestr(value, "charset='")) != NULL &&
	    (q = strchr(p + 9, '\'')) != NULL && q > p + 9)
		return arena_strndup(rule_eval_arena(context), p + 9,
		    (size_t)(q - p - 9));
	if ((p = strcasestr(value, "charset=")) != NULL &&
	    p[8] != '\0' && !isspace((unsigned char)p[8])) {
		for (q = p + 8; *q != '\0' && !isspace((unsigned char)*q); q++)
			;
		return arena_strndup(rule_eval_arena(context), p + 8,
		    (size_t)(q - p - 8));
	}
	return NULL;
}

/* check_for_faraway_charset(): the message's charset does not suit
 * ok_locales and most of the body is 8-bit. */
static unsigned
rule_eval_check_for_faraway_charset(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *locales =
	    ruleset_settings(rule_eval_ruleset(context))->ok_locales;
	const struct string_view *lines;
	const char *charset;
	size_t count, i, j, high = 0, total = 0;

	(void)rule;
	if (rule_eval_builtin_all_locales(locales))
		return 0;
	charset = top_charset(context);
	if (charset == NULL || rule_eval_builtin_charset_ok(charset, locales))
		return 0;
	/* are_more_high_bits_set() over the lines joined by "\n". */
	lines = rule_eval_body(context, &count);
	for (i = 0; i < count; i++) {
		for (j = 0; j < lines[i].length; j++)
			if ((unsigned char)lines[i].data[j] >= 0x80)
				high++;
		total += lines[i].length + (i + 1 < count ? 1 : 0);
	}
	return total - high <= high && high > 3;
}

/* CHARSETS_LIKELY_TO_FP_AS_CAPS, matched against the whole charset:
 * [-_a-z0-9]* around one of the names, any case. */
static bool
charset_caps_prone(const char *charset)
{
	static const char *const names[] = { "koi", "jp", "jis", "euc", "gb",
		"big5", "isoir", "cp1251", "windows-1251", "georgianps",
		"pt154", "tis" };
	const char *p;
	size_t i;

	for (p = charset; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	for (i = 0; i < ARRAY_LENGTH(names); i++)
		if (strcasestr(charset, names[i]) != NULL)
			return true;
	return false;
}

/* body_charset_is_likely_to_fp(): the message's charset or a part's
 * is one where capitals are no sign of shouting. */
static bool
body_charset_caps_prone(struct rule_eval_context *context)
{
	const char *charset = top_charset(context), *list, *end;
	char word[128];
	size_t length;

	if (charset != NULL && charset_caps_prone(charset))
		return true;
	list = mime_facts(context)->html_charsets;
	while (list != NULL && *list != '\0') {
		while (*list == ' ')
			list++;
		end = strchr(list, ' ');
		length = end != NULL ? (size_t)(end - list) : strlen(list);
		if (length > 0 && length < sizeof(word)) {
			memcpy(word, list, length);
			word[length] = '\0';
			if (charset_caps_prone(word))
				return true;
		}
		list += length;
	}
	return false;
}

/* m/^(?:[A-Za-z0-9+\/=]{60,76} ){2}/: two base64-looking words. */
static bool
looks_like_base64_words(const char *text, size_t length)
{
	size_t i = 0, word, run;

	for (word = 0; word < 2; word++) {
		for (run = 0; i < length && (isalnum((unsigned char)text[i]) ||
		    text[i] == '+' || text[i] == '/' || text[i] == '='); i++)
			run++;
		if (run < 60 || run > 76 || i >= length || text[i] != ' ')
			return false;
		i++;
	}
	return true;
}

/* The share of capitals (percent), computed once per message. */
static double
uppercase_share(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_UPPERCASE);
	const struct string_view *lines;
	double *share = *slot, length = 0, lower = 0, upper = 0;
	size_t count, i, j;

	if (share != NULL)
		return *share;
	share = arena_new_type(rule_eval_arena(context), double);
	*slot = share;
	if (body_charset_caps_prone(context))
		return *share = 0;
	lines = rule_eval_body(context, &count);
	for (i = 0; i < count; i++) {
		const char *text = lines[i].data, *escape, *close = NULL;
		size_t n = lines[i].length, k;
		bool two_words = false;
		/* m/\S\s+\S/ */
		for (j = 0; j + 2 < n + 0 && !two_words; j++) {
			if (isspace((unsigned char)text[j]))
				continue;
			for (k = j + 1; k < n &&
			    isspace((unsigned char)text[k]); k++)
				;
			if (k > j + 1 && k < n)
				two_words = true;
		}
		if (!two_words || looks_like_base64_words(text, n))
			continue;
		/* s/\x1b\$B.*\x1b\(B//gs: from the first ESC $ B to the
		 * last ESC ( B. */
		escape = memmem(text, n, "\x1b$B", 3);
		if (escape != NULL) {
			const char *p;
			for (p = escape + 3; (p = memmem(p, (size_t)(text + n -
			    p), "\x1b(B", 3)) != NULL; p++)
				close = p;
		}
		for (j = 0; j < n; j++) {
			if (escape != NULL && close != NULL &&
			    text + j >= escape && text + j < close + 3)
				continue;
			length++;
			if ((text[j] >= 'a' && text[j] <= 'z') ||
			    isdigit((unsigned char)text[j]))
				lower++;
			else if (text[j] >= 'A' && text[j] <= 'Z')
				upper++;
		}
	}
	if (length < 200 || upper + lower == 0)
		return *share = 0;
	return *share = upper / (upper + lower) * 100;
}

/* check_for_uppercase(MIN, MAX): the share of capitals among letters
 * and digits of the body lines that hold two words, if there are 200
 * bytes of such lines, in (MIN, MAX]. */
static unsigned
rule_eval_check_for_uppercase(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double share = uppercase_share(context);

	return share > rule_eval_builtin_number(rule, 0, 0) &&
	    share <= rule_eval_builtin_number(rule, 1, 0);
}

/* ImageInfo */

struct image_facts {
	/* all, gif, png, jpeg */
	double count[4];
	double pixels[4];
	/* "HxW\n" of each image, and names, newline-separated. */
	const char *dimensions[4];
	const char *names;
};

static const char *const image_types[] = { "all", "gif", "png", "jpeg" };

static uint32_t
read_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Width and height from an image's first bytes, as ImageInfo's decoders
 * read them; false when they are not found or zero. */
static bool
image_size(int type, const unsigned char *data, size_t length,
    uint32_t *width_r, uint32_t *height_r)
{
	size_t position;

	*width_r = *height_r = 0;
	if (type == 1) {
		if (length < 10 || (memcmp(data, "GIF87a", 6) != 0 &&
		    memcmp(data, "GIF89a", 6) != 0))
			return false;
		*width_r = (uint32_t)data[6] | (uint32_t)data[7] << 8;
		*height_r = (uint32_t)data[8] | (uint32_t)data[9] << 8;
	} else if (type == 2) {
		if (length < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)
			return false;
		/* Chunk headers are read every 8 bytes: a chunk other than
		 * IHDR is not skipped over, as in the Perl. */
		for (position = 8; position < length; position += 8) {
			if (length - position >= 8 &&
			    memcmp(data + position + 4, "IEND", 4) == 0)
				break;
			if (length - position >= 8 &&
			    memcmp(data + position + 4, "IHDR", 4) == 0 &&
			    read_be32(data + position) == 13) {
				const unsigned char *header = data + position;
				if (length - position >= 16)
					*width_r = read_be32(header + 8);
				if (length - position >= 20)
					*height_r = read_be32(header + 12);
				break;
			}
		}
	} else if (type == 3) {
		if (length < 2 || data[0] != 0xff || data[1] != 0xd8)
			return false;
		for (position = 2; position + 4 <= length;) {
			unsigned mark = data[position + 1];
			size_t block = (size_t)data[position + 2] << 8 |
			    data[position + 3];
			if (data[position] != 0xff || mark == 0xda ||
			    mark == 0xd9 || block < 2)
				break;
			position += 4;
			if ((mark >= 0xc0 && mark <= 0xc3) ||
			    (mark >= 0xc5 && mark <= 0xc7) ||
			    (mark >= 0xc9 && mark <= 0xcb) ||
			    (mark >= 0xcd && mark <= 0xcf)) {
				if (position + 5 <= length) {
					*height_r = (uint32_t)data[position + 1]
					    << 8 | data[position + 2];
					*width_r = (uint32_t)data[position + 3]
					    << 8 | data[position + 4];
				}
				break;
			}
			position += MIN(block - 2, length - position);
		}
	}
	return *width_r != 0 && *height_r != 0;
}

static const struct image_facts *
image_facts(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_IMAGES);
	const struct message *message = rule_eval_message(context);
	struct arena *arena = rule_eval_arena(context);
	struct image_facts *facts;
	struct buffer names, dimensions[4];
	uint32_t width, height;
	size_t i;
	int type, t;

	if (*slot != NULL)
		return *slot;
	facts = arena_new_type(arena, struct image_facts);
	*slot = facts;
	buffer_init(&names, 0);
	for (t = 0; t < 4; t++)
		buffer_init(&dimensions[t], 0);
	for (i = 0; i < message->part_count; i++) {
		const struct message_part *part = &message->parts[i];
		const char *ptype, *encoding;
		if (part->kind != MIME_PARSER_LEAF)
			continue;
		ptype = rule_eval_mime_part_type(context, part);
		if (strcmp(ptype, "image/gif") == 0)
			type = 1;
		else if (strcmp(ptype, "image/png") == 0)
			type = 2;
		else if (strcmp(ptype, "image/jpeg") == 0 ||
		    strcmp(ptype, "image/jpg") == 0)
			type = 3;
		else
			continue;
		encoding = lowercase_or_empty(arena, part_header(context, part,
		    "Content-Transfer-Encoding"));
		if (strcmp(encoding, "base64") != 0)
			continue;
		if (image_size(type, (const unsigned char *)part->decoded.data,
		    part->decoded.length, &width, &height)) {
			facts->pixels[type] += (double)width * height;
			char size[32];
			snprintf(size, sizeof(size), "%ux%u\n", height, width);
			put(&dimensions[type], size);
			put(&dimensions[0], size);
			if (part->filename != NULL &&
			    *part->filename != '\0') {
				put(&names, part->filename);
				put(&names, "\n");
			}
		}
		facts->count[type]++;
	}
	for (t = 1; t < 4; t++) {
		facts->pixels[0] += facts->pixels[t];
		facts->count[0] += facts->count[t];
	}
	facts->names = arena_strndup(arena, buffer_length(&names) > 0 ?
	    buffer_string(&names) : "", buffer_length(&names));
	buffer_deinit(&names);
	for (t = 0; t < 4; t++) {
		facts->dimensions[t] = arena_strndup(arena,
		    buffer_length(&dimensions[t]) > 0 ?
		    buffer_string(&dimensions[t]) : "",
		    buffer_length(&dimensions[t]));
		buffer_deinit(&dimensions[t]);
	}
	return facts;
}

static int
image_type_index(const char *name)
{
	int t;

	for (t = 0; t < 4; t++)
		if (name != NULL && strcmp(name, image_types[t]) == 0)
			return t;
	return -1;
}

/* result_check(): value >= MIN and (no MAX or value <= MAX), and not
 * value == MAX when the upper bound is exclusive. */
static bool
image_result_check(const struct ruleset_rule *rule, size_t first,
    double value, bool exclusive)
{
	double high;

	if (value < rule_eval_builtin_number(rule, first, 0))
		return false;
	if (rule_eval_builtin_argument(rule, first + 1) == NULL)
		return true;
	high = rule_eval_builtin_number(rule, first + 1, 0);
	return value <= high && !(exclusive && value == high);
}

/* image_count(TYPE, MIN, MAX): base64 images of TYPE (gif, png, jpeg,
 * all). */
static unsigned
rule_eval_image_count(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	int t = image_type_index(rule_eval_builtin_argument(rule, 0));

	if (t < 0 || rule_eval_builtin_argument(rule, 1) == NULL)
		return 0;
	return image_result_check(rule, 1, image_facts(context)->count[t],
	    false);
}

/* pixel_coverage(TYPE, MIN, MAX): their total area. */
static unsigned
rule_eval_pixel_coverage(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	int t = image_type_index(rule_eval_builtin_argument(rule, 0));

	if (t < 0 || rule_eval_builtin_argument(rule, 1) == NULL)
		return 0;
	return image_result_check(rule, 1, image_facts(context)->pixels[t],
	    false);
}

/* image_to_text_ratio(TYPE, MIN, MAX): bytes of body text (or rawbody
 * for a rawbody rule) per pixel, in [MIN, MAX). */
static unsigned
rule_eval_image_to_text_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	int t = image_type_index(rule_eval_builtin_argument(rule, 0));
	const struct string_view *lines;
	double pixels, text = 0;
	size_t count, i;

	if (t < 0 || rule_eval_builtin_argument(rule, 2) == NULL)
		return 0;
	if (rule->type == RULESET_RAWBODY)
		lines = rule_eval_rawbody(context, &count);
	else
		lines = rule_eval_body(context, &count);
	for (i = 0; i < count; i++)
		text += (double)lines[i].length;
	pixels = image_facts(context)->pixels[t];
	if (text <= 0 || pixels <= 0)
		return 0;
	return image_result_check(rule, 1, text / pixels, true);
}

static bool
dimension_listed(const struct image_facts *facts, int t, uint32_t height,
    uint32_t width)
{
	const char *list = facts->dimensions[t], *p;
	char key[48];

	snprintf(key, sizeof(key), "%ux%u\n", height, width);
	for (p = list; (p = strstr(p, key)) != NULL; p++)
		if (p == list || p[-1] == '\n')
			return true;
	return false;
}

/* image_size_exact(TYPE, HEIGHT, WIDTH) */
static unsigned
rule_eval_image_size_exact(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	int t = image_type_index(rule_eval_builtin_argument(rule, 0));

	if (t < 0 || rule_eval_builtin_argument(rule, 2) == NULL)
		return 0;
	return dimension_listed(image_facts(context), t,
	    (uint32_t)rule_eval_builtin_number(rule, 1, 0),
	    (uint32_t)rule_eval_builtin_number(rule, 2, 0));
}

/* image_size_range(TYPE, MINH, MINW, MAXH, MAXW) */
static unsigned
rule_eval_image_size_range(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	int t = image_type_index(rule_eval_builtin_argument(rule, 0));
	const struct image_facts *facts;
	const char *p;
	unsigned height, width;

	if (t < 0 || rule_eval_builtin_argument(rule, 2) == NULL)
		return 0;
	facts = image_facts(context);
	for (p = facts->dimensions[t]; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (sscanf(p, "%ux%u", &height, &width) != 2)
			break;
		if (height >= rule_eval_builtin_number(rule, 1, 0) &&
		    width >= rule_eval_builtin_number(rule, 2, 0) &&
		    (rule_eval_builtin_argument(rule, 3) == NULL ||
		    height <= rule_eval_builtin_number(rule, 3, 0)) &&
		    (rule_eval_builtin_argument(rule, 4) == NULL ||
		    width <= rule_eval_builtin_number(rule, 4, 0)))
			return 1;
	}
	return 0;
}

/* image_named(NAME) */
static unsigned
rule_eval_image_named(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0), *p;
	const char *names;
	size_t length;

	if (name == NULL)
		return 0;
	names = image_facts(context)->names;
	length = strlen(name);
	for (p = names; *p != '\0'; p = strchr(p, '\n') + 1)
		if (strncmp(p, name, length) == 0 && p[length] == '\n')
			return 1;
	return 0;
}

const struct ruleset_eval rule_eval_mime_evals[] = {
	{ "check_abundant_unicode_ratio",
	    rule_eval_check_abundant_unicode_ratio },
	{ "check_base64_length", rule_eval_check_base64_length },
	{ "check_for_ascii_text_illegal",
	    rule_eval_check_for_ascii_text_illegal },
	{ "check_for_faraway_charset", rule_eval_check_for_faraway_charset },
	{ "check_for_mime", rule_eval_check_for_mime },
	{ "check_for_mime_html", rule_eval_check_for_mime_html },
	{ "check_for_mime_html_only", rule_eval_check_for_mime_html_only },
	{ "check_for_uppercase", rule_eval_check_for_uppercase },
	{ "check_ma_non_text", rule_eval_check_ma_non_text },
	{ "check_mime_multipart_ratio",
	    rule_eval_check_mime_multipart_ratio },
	{ "check_qp_ratio", rule_eval_check_qp_ratio },
	{ "image_count", rule_eval_image_count },
	{ "image_named", rule_eval_image_named },
	{ "image_size_exact", rule_eval_image_size_exact },
	{ "image_size_range", rule_eval_image_size_range },
	{ "image_to_text_ratio", rule_eval_image_to_text_ratio },
	{ "pixel_coverage", rule_eval_pixel_coverage },
};
const size_t rule_eval_mime_eval_count = ARRAY_LENGTH(rule_eval_mime_evals);
