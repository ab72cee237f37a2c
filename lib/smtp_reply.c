/* smtp_reply.c: SMTP reply formatting and resumable reply parsing (see
 * smtp_reply.h). The parser assembles lines with line_reader and joins
 * the lines of one reply in its own bounded buffer. */
#include "lib/smtp_reply.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/line_reader.h"

struct smtp_reply_parser {
	struct line_reader *reader;
	size_t max_lines;
	/* Texts of the reply's lines so far, joined with '\n'. */
	struct buffer text;
	unsigned code;
	size_t line_count;
	char enhanced[16];
	/* The previous call returned a reply; start afresh. */
	bool returned;
	/* Sticky reason once the stream is out of sync. */
	const char *failure;
};

/* Length of an RFC 3463 status code "class.subject.detail" (class 2, 4 or
 * 5; subject and detail 1..3 digits) at the start of text, if it is
 * followed by the end or a space; otherwise 0. */
static size_t
enhanced_code_length(const char *text, size_t length)
{
	size_t i, part, digits;

	if (length < 5 || (text[0] != '2' && text[0] != '4' &&
	    text[0] != '5') || text[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		if (part > 0) {
			if (i >= length || text[i] != '.')
				return 0;
			i++;
		}
		for (digits = 0; i < length && text[i] >= '0' &&
		    text[i] <= '9'; digits++)
			i++;
		if (digits == 0 || digits > 3)
			return 0;
	}
	return i == length || text[i] == ' ' ? i : 0;
}

/* Appends text[0..length) with every byte that could break the reply
 * syntax replaced by '?'. */
static void
reply_append_sanitized(struct buffer *out, const char *text, size_t length)
{
	unsigned char *p, c;
	size_t i;

	p = buffer_reserve(out, length);
	ASSERT(p != NULL);
	for (i = 0; i < length; i++) {
		c = (unsigned char)text[i];
		p[i] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
	}
	buffer_commit(out, length);
}

static void
reply_append_line(struct buffer *out, unsigned code, const char *enhanced,
    const char *text, size_t length, bool last)
{
	size_t start = buffer_length(out), room;
	bool cut = false;

	ASSERT(buffer_printf(out, "%u", code) == 0);
	if (!last || enhanced != NULL || length > 0)
		ASSERT(buffer_append(out, last ? " " : "-", 1) == 0);
	if (enhanced != NULL) {
		ASSERT(buffer_append_string(out, enhanced) == 0);
		if (length > 0)
			ASSERT(buffer_append(out, " ", 1) == 0);
	}
	/* Room left for text in SMTP_REPLY_LINE_MAX after CRLF. */
	room = SMTP_REPLY_LINE_MAX - 2 - (buffer_length(out) - start);
	if (length > room) {
		length = room - 3;
		cut = true;
	}
	reply_append_sanitized(out, text, length);
	if (cut)
		ASSERT(buffer_append(out, "...", 3) == 0);
	ASSERT(buffer_append(out, "\r\n", 2) == 0);
}

void
smtp_reply_append(struct buffer *out, unsigned code, const char *enhanced,
    const char *text)
{
	const char *line, *newline;
	size_t length;

	ASSERT(code >= 200 && code <= 599);
	ASSERT(enhanced == NULL ||
	    (enhanced_code_length(enhanced, strlen(enhanced)) ==
	    strlen(enhanced) && (unsigned)(enhanced[0] - '0') == code / 100));
	ASSERT(text != NULL);
	line = text;
	for (;;) {
		newline = strchr(line, '\n');
		length = newline != NULL ? (size_t)(newline - line) :
		    strlen(line);
		if (newline == NULL || newline[1] == '\0') {
			reply_append_line(out, code, enhanced, line, length,
			    true);
			return;
		}
		reply_append_line(out, code, enhanced, line, length, false);
		line = newline + 1;
	}
}

void
smtp_reply_appendf(struct buffer *out, unsigned code, const char *enhanced,
    const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ASSERT(n >= 0);
	text = alloc_zero((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	smtp_reply_append(out, code, enhanced, text);
	free(text);
}

struct smtp_reply_parser *
smtp_reply_parser_new(size_t max_line, size_t max_lines)
{
	struct smtp_reply_parser *parser;

	if (max_line == 0)
		max_line = SMTP_REPLY_PARSER_DEFAULT_MAX_LINE;
	if (max_lines == 0)
		max_lines = SMTP_REPLY_PARSER_DEFAULT_MAX_LINES;
	ASSERT(max_lines <= SIZE_MAX / max_line);
	parser = alloc_new(struct smtp_reply_parser);
	parser->reader = line_reader_new(max_line);
	parser->max_lines = max_lines;
	/* Each line adds at most max_line - 1 bytes (its text plus the
	 * joining '\n'), so this cap is never hit; it is the safety net. */
	buffer_init(&parser->text, max_line * max_lines);
	return parser;
}

void
smtp_reply_parser_free(struct smtp_reply_parser **parser_p)
{
	struct smtp_reply_parser *parser = *parser_p;

	if (parser == NULL)
		return;
	line_reader_free(&parser->reader);
	buffer_deinit(&parser->text);
	free(parser);
	*parser_p = NULL;
}

/* Adds one line to the reply. Returns 1 if it was the last line, 0 if
 * more follow, -1 (parser->failure set) if it is malformed. */
static int
reply_parser_line(struct smtp_reply_parser *parser, struct string_view line)
{
	struct string_view text;
	unsigned code;
	size_t i, enhanced_length;
	bool last;

	if (line.length < 3)
		goto bad_code;
	for (i = 0; i < 3; i++) {
		if (line.data[i] < '0' || line.data[i] > '9')
			goto bad_code;
	}
	if (line.data[0] < '2' || line.data[0] > '5' ||
	    (line.length > 3 && line.data[3] != ' ' && line.data[3] != '-'))
		goto bad_code;
	code = (unsigned)((line.data[0] - '0') * 100 +
	    (line.data[1] - '0') * 10 + (line.data[2] - '0'));
	last = line.length == 3 || line.data[3] == ' ';
	if (parser->line_count > 0 && code != parser->code) {
		parser->failure = "inconsistent reply codes";
		return -1;
	}
	if (memchr(line.data, '\0', line.length) != NULL) {
		parser->failure = "NUL in reply";
		return -1;
	}
	if (parser->line_count == parser->max_lines) {
		parser->failure = "too many reply lines";
		return -1;
	}
	text = string_view_skip(line, 4);
	if (parser->line_count == 0) {
		parser->code = code;
		enhanced_length = enhanced_code_length(text.data, text.length);
		if (enhanced_length > 0 &&
		    (unsigned)(text.data[0] - '0') == code / 100) {
			memcpy(parser->enhanced, text.data, enhanced_length);
			parser->enhanced[enhanced_length] = '\0';
		}
	} else
		ASSERT(buffer_append(&parser->text, "\n", 1) == 0);
	parser->line_count++;
	enhanced_length = strlen(parser->enhanced);
	if (enhanced_length > 0 &&
	    enhanced_code_length(text.data, text.length) == enhanced_length &&
	    memcmp(text.data, parser->enhanced, enhanced_length) == 0)
		text = string_view_skip(text, enhanced_length + 1);
	ASSERT(buffer_append(&parser->text, text.data, text.length) == 0);
	return last ? 1 : 0;
bad_code:
	parser->failure = "malformed reply code";
	return -1;
}

int
smtp_reply_parser_next(struct smtp_reply_parser *parser,
    const unsigned char *input, size_t length, size_t *consumed_r,
    struct smtp_reply *reply_r, const char **error_r)
{
	struct string_view line;
	size_t offset = 0, used;
	int ret;

	*consumed_r = 0;
	if (parser->failure != NULL) {
		*error_r = error_set("%s", parser->failure);
		return -1;
	}
	if (parser->returned) {
		buffer_reset(&parser->text);
		parser->line_count = 0;
		parser->enhanced[0] = '\0';
		parser->returned = false;
	}
	if (length == 0)
		return 0;
	for (;;) {
		ret = line_reader_next(parser->reader, input + offset,
		    length - offset, &used, &line, NULL);
		offset += used;
		*consumed_r = offset;
		if (ret == 0 && !line_reader_discarding(parser->reader))
			return 0;
		if (ret <= 0) {
			parser->failure = "reply line too long";
			break;
		}
		ret = reply_parser_line(parser, line);
		if (ret < 0)
			break;
		if (ret > 0) {
			parser->returned = true;
			reply_r->code = parser->code;
			memcpy(reply_r->enhanced, parser->enhanced,
			    sizeof(reply_r->enhanced));
			reply_r->text = buffer_string(&parser->text);
			reply_r->line_count = parser->line_count;
			return 1;
		}
	}
	*error_r = error_set("%s", parser->failure);
	return -1;
}
