/* mime_parser.c: line-driven MIME structure parser with an explicit
 * container stack and an event queue.
 *
 * DESIGN: input is cut into lines with memchr. A line that lies whole in
 * the current input is looked at in place; one split across inputs has
 * its first MIME_PARSER_LINE_KEEP bytes copied into a small buffer. Body
 * lines that cannot be boundaries (they do not start with '-') are
 * skipped without being looked at, and once no boundary is active (a
 * single-part message, a closed outermost multipart, an opaque rest) the
 * remaining input is consumed in one step. One line can end several
 * parts at once, so events go through a queue that next() drains before
 * it reads on. */
#include "lib/mime_parser.h"
#include "lib/alloc.h"
#include "lib/buffer.h"

enum parser_state {
	STATE_HEADER,
	STATE_BODY,
};

enum field_kind {
	FIELD_NONE,		/* no field, or one we do not collect */
	FIELD_CONTENT_TYPE,
	FIELD_TRANSFER_ENCODING,
};

struct container {
	struct mime_parser_part *part;
	size_t boundary_length;
	bool closed;	/* close delimiter seen (multipart) */
	bool seen_delimiter;
};

struct mime_parser {
	struct arena *arena;
	struct mime_parser_limits limits;

	/* Absolute offset of the next byte to be fed. */
	size_t offset;

	/* The unfinished line: where it starts, how long it is so far,
	 * its first bytes (unless skipped) and whether its last byte so
	 * far was CR. */
	bool in_line;
	bool line_skip;
	bool last_cr;
	size_t line_start;
	size_t line_length;
	struct buffer line;
	/* Line break length (0, 1 or 2) of the last completed line. */
	size_t previous_eol;

	enum parser_state state;
	/* Once set, the rest of the input is body of the current part. */
	bool inert;
	bool opaque;
	struct mime_parser_part *current;

	struct container *stack;
	size_t stack_depth;
	size_t stack_capacity;
	size_t active_boundaries;

	struct mime_parser_part **parts;
	size_t part_count;
	size_t part_capacity;

	/* Header fields being collected for the current part. */
	enum field_kind field;
	bool have_content_type;
	bool have_transfer_encoding;
	struct buffer content_type;
	struct buffer transfer_encoding;

	struct mime_parser_event *queue;
	size_t queue_head;
	size_t queue_count;
	size_t queue_capacity;

	bool started;
	bool ended;
	unsigned flags;
};

static void
queue_push(struct mime_parser *parser, enum mime_parser_event_type type,
    const struct mime_parser_part *part)
{
	if (parser->queue_head + parser->queue_count ==
	    parser->queue_capacity) {
		if (parser->queue_head > 0) {
			memmove(parser->queue, parser->queue +
			    parser->queue_head,
			    parser->queue_count * sizeof(*parser->queue));
			parser->queue_head = 0;
		} else {
			parser->queue_capacity = parser->queue_capacity == 0 ?
			    8 : parser->queue_capacity * 2;
			parser->queue = alloc_resize(parser->queue,
			    parser->queue_capacity, sizeof(*parser->queue));
		}
	}
	parser->queue[parser->queue_head + parser->queue_count].type = type;
	parser->queue[parser->queue_head + parser->queue_count].part = part;
	parser->queue_count++;
}

static bool
queue_pop(struct mime_parser *parser, struct mime_parser_event *event_r)
{
	if (parser->queue_count == 0)
		return false;
	*event_r = parser->queue[parser->queue_head++];
	if (--parser->queue_count == 0)
		parser->queue_head = 0;
	return true;
}

static void
part_flag(struct mime_parser *parser, struct mime_parser_part *part,
    unsigned flag)
{
	part->flags |= flag;
	parser->flags |= flag;
}

/* Starts a part whose header begins at offset. */
static void
part_begin(struct mime_parser *parser, struct mime_parser_part *parent,
    size_t offset)
{
	struct mime_parser_part *part;

	part = arena_new_type(parser->arena, struct mime_parser_part);
	part->index = parser->part_count;
	part->parent = parent != NULL ? parent->index : MIME_PARSER_NO_PARENT;
	part->depth = parent != NULL ? parent->depth + 1 : 0;
	part->header_offset = offset;
	part->body_offset = offset;
	part->body_end = offset;
	part->type = "";
	part->subtype = "";
	part->transfer_encoding = "";
	if (parser->part_count == parser->part_capacity) {
		parser->part_capacity = parser->part_capacity == 0 ? 16 :
		    parser->part_capacity * 2;
		parser->parts = alloc_resize(parser->parts,
		    parser->part_capacity, sizeof(*parser->parts));
	}
	parser->parts[parser->part_count++] = part;
	parser->current = part;
	parser->state = STATE_HEADER;
	parser->field = FIELD_NONE;
	parser->have_content_type = false;
	parser->have_transfer_encoding = false;
	buffer_reset(&parser->content_type);
	buffer_reset(&parser->transfer_encoding);
	queue_push(parser, MIME_PARSER_EVENT_BEGIN, part);
}

static void
part_end(struct mime_parser *parser, struct mime_parser_part *part,
    size_t end)
{
	part->body_end = MAX(end, part->body_offset);
	queue_push(parser, MIME_PARSER_EVENT_END, part);
}

static void
container_push(struct mime_parser *parser, struct mime_parser_part *part)
{
	struct container *container;

	if (parser->stack_depth == parser->stack_capacity) {
		parser->stack_capacity = parser->stack_capacity == 0 ? 8 :
		    parser->stack_capacity * 2;
		parser->stack = alloc_resize(parser->stack,
		    parser->stack_capacity, sizeof(*parser->stack));
	}
	container = &parser->stack[parser->stack_depth++];
	memset(container, 0, sizeof(*container));
	container->part = part;
	if (part->kind == MIME_PARSER_MULTIPART) {
		container->boundary_length = strlen(part->boundary);
		parser->active_boundaries++;
	}
}

/* Is the current part the innermost container (in its preamble or
 * epilogue) rather than a leaf inside it? */
static bool
current_is_container(const struct mime_parser *parser)
{
	return parser->stack_depth > 0 &&
	    parser->current == parser->stack[parser->stack_depth - 1].part;
}

/* Pops the innermost container, ending its part at end. */
static void
container_pop(struct mime_parser *parser, size_t end)
{
	struct container *container = &parser->stack[--parser->stack_depth];

	if (container->part->kind == MIME_PARSER_MULTIPART) {
		if (!container->closed) {
			/* Opaque after TOO_MANY_PARTS: not its fault. */
			if (!parser->opaque)
				part_flag(parser, container->part,
				    MIME_PARSER_FLAG_MISSING_BOUNDARY);
			parser->active_boundaries--;
		}
		if (!container->seen_delimiter)
			part_flag(parser, container->part,
			    MIME_PARSER_FLAG_NO_PARTS);
	}
	part_end(parser, container->part, end);
}

static bool
is_identity_encoding(const char *encoding)
{
	return encoding[0] == '\0' || strcmp(encoding, "7bit") == 0 ||
	    strcmp(encoding, "8bit") == 0 || strcmp(encoding, "binary") == 0;
}

/* The first token of a Content-Transfer-Encoding value, lowercased. */
static const char *
transfer_encoding_token(struct arena *arena, const unsigned char *s,
    size_t length)
{
	size_t start = 0, end, i;
	char *token;

	while (start < length && (s[start] == ' ' || s[start] == '\t' ||
	    s[start] == '\r' || s[start] == '\n'))
		start++;
	for (end = start; end < length && s[end] > ' ' && s[end] != ';' &&
	    s[end] != '(' && s[end] < 0x7f; end++)
		;
	token = arena_strndup(arena, (const char *)s + start, end - start);
	for (i = 0; token[i] != '\0'; i++)
		token[i] = (char)string_ascii_lower((unsigned char)token[i]);
	return token;
}

/* The header of the current part ended: its body starts at body_offset.
 * Decides the part's kind and what comes next. */
static void
header_end(struct mime_parser *parser, size_t body_offset, unsigned flags)
{
	struct mime_parser_part *part = parser->current, *parent = NULL;
	struct mail_header_content *content;
	const char *boundary;
	bool digest_child = false;

	if (part->parent != MIME_PARSER_NO_PARENT) {
		parent = parser->parts[part->parent];
		digest_child = parent->kind == MIME_PARSER_MULTIPART &&
		    strcmp(parent->subtype, "digest") == 0;
	}
	part->body_offset = body_offset;
	part->body_end = body_offset;
	if (flags != 0)
		part_flag(parser, part, flags);
	part->type = digest_child ? "message" : "text";
	part->subtype = digest_child ? "rfc822" : "plain";
	if (parser->have_content_type) {
		content = arena_new_type(parser->arena,
		    struct mail_header_content);
		mail_header_parse_content_type(parser->arena,
		    string_view_make(
		    buffer_string(&parser->content_type),
		    buffer_length(&parser->content_type)), content);
		part->content_type = content;
		if ((content->flags & MAIL_HEADER_CONTENT_BAD_TYPE) != 0) {
			part_flag(parser, part,
			    MIME_PARSER_FLAG_BAD_CONTENT_TYPE);
		} else {
			part->type = content->type;
			part->subtype = content->subtype;
		}
	}
	if (parser->have_transfer_encoding)
		part->transfer_encoding = transfer_encoding_token(parser->arena,
		    (const unsigned char *)
		    buffer_string(&parser->transfer_encoding),
		    buffer_length(&parser->transfer_encoding));
	parser->field = FIELD_NONE;
	parser->state = STATE_BODY;
	queue_push(parser, MIME_PARSER_EVENT_HEADER_END, part);

	if (strcmp(part->type, "multipart") == 0) {
		boundary = part->content_type == NULL ? NULL :
		    mail_header_content_parameter(part->content_type,
		    "boundary");
		if (boundary == NULL || boundary[0] == '\0' ||
		    strlen(boundary) > MIME_PARSER_BOUNDARY_MAX) {
			part_flag(parser, part, MIME_PARSER_FLAG_NO_BOUNDARY);
		} else if (part->depth >= parser->limits.max_depth) {
			part_flag(parser, part, MIME_PARSER_FLAG_TOO_DEEP);
		} else {
			part->boundary = boundary;
			part->kind = MIME_PARSER_MULTIPART;
			container_push(parser, part);
		}
	} else if (strcmp(part->type, "message") == 0 &&
	    (strcmp(part->subtype, "rfc822") == 0 ||
	    strcmp(part->subtype, "global") == 0) &&
	    is_identity_encoding(part->transfer_encoding)) {
		if (part->depth >= parser->limits.max_depth) {
			part_flag(parser, part, MIME_PARSER_FLAG_TOO_DEEP);
		} else if (parser->part_count >= parser->limits.max_parts) {
			part_flag(parser, part,
			    MIME_PARSER_FLAG_TOO_MANY_PARTS);
		} else {
			part->kind = MIME_PARSER_MESSAGE;
			container_push(parser, part);
			part_begin(parser, part, body_offset);
		}
	}
	if (parser->state == STATE_BODY && parser->active_boundaries == 0)
		parser->inert = true;
}

/* Could c continue a longer boundary ("--b" vs "--b1", "--b_x")? Then
 * a prefix match is no match. */
static inline bool
is_boundary_continuation(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.' ||
	    c == '=';
}

/* Is content (a line without its break, cut at MIME_PARSER_LINE_KEEP
 * bytes when truncated) a boundary line of an active multipart? Returns
 * the stack index, or SIZE_MAX; *close_r tells a close delimiter.
 *
 * A strict match ("--" boundary ["--"] padding) at any level wins over a
 * prefix match, innermost level first each time, and a prefix match
 * must not go on like a longer boundary: that keeps boundaries that are
 * prefixes of each other apart, and still accepts the
 * "--boundary--</HTML>" lines real mailers write. */
static size_t
boundary_match(const struct mime_parser *parser, const unsigned char *content,
    size_t length, bool truncated, bool *close_r)
{
	const struct container *container;
	size_t level, n, i;
	int pass;

	if (length < 3 || content[0] != '-' || content[1] != '-')
		return SIZE_MAX;
	content += 2;
	length -= 2;
	for (pass = truncated ? 1 : 0; pass < 2; pass++) {
		for (level = parser->stack_depth; level-- > 0;) {
			container = &parser->stack[level];
			if (container->part->kind != MIME_PARSER_MULTIPART ||
			    container->closed)
				continue;
			n = container->boundary_length;
			if (length < n || memcmp(content,
			    container->part->boundary, n) != 0)
				continue;
			*close_r = length >= n + 2 && content[n] == '-' &&
			    content[n + 1] == '-';
			if (pass == 1) {
				if (*close_r || length == n ||
				    !is_boundary_continuation(content[n]))
					return level;
				continue;
			}
			i = *close_r ? n + 2 : n;
			while (i < length && (content[i] == ' ' ||
			    content[i] == '\t' || content[i] == '\r'))
				i++;
			if (i == length)
				return level;
		}
	}
	return SIZE_MAX;
}

/* A boundary line of the multipart at stack level `level` starts at
 * line_start and the next line at next. */
static void
boundary_hit(struct mime_parser *parser, size_t level, bool close,
    size_t line_start, size_t next)
{
	struct container *container = &parser->stack[level];
	size_t end = line_start >= parser->previous_eol ?
	    line_start - parser->previous_eol : line_start;

	/* A header that ended at this line owns its last line break, so
	 * every part closed here ends at the same offset and children
	 * never end after their parents. */
	end = MAX(end, parser->current->body_offset);
	/* End the current leaf, then every container inside this one. */
	if (!current_is_container(parser))
		part_end(parser, parser->current, end);
	while (parser->stack_depth > level + 1)
		container_pop(parser, end);
	parser->current = container->part;
	parser->state = STATE_BODY;
	parser->field = FIELD_NONE;
	container->seen_delimiter = true;
	if (close) {
		container->closed = true;
		parser->active_boundaries--;
		if (parser->active_boundaries == 0)
			parser->inert = true;
		return;
	}
	if (parser->part_count >= parser->limits.max_parts) {
		/* The rest is one opaque body of this multipart. */
		part_flag(parser, container->part,
		    MIME_PARSER_FLAG_TOO_MANY_PARTS);
		parser->inert = true;
		parser->opaque = true;
		return;
	}
	part_begin(parser, container->part, next);
}

/* A line starting a field: collect it if it is the first Content-Type
 * or Content-Transfer-Encoding of this header. */
static void
header_field_start(struct mime_parser *parser, const unsigned char *content,
    size_t length, size_t colon)
{
	size_t name_end = colon, value_start = colon + 1;
	struct buffer *target = NULL;

	while (name_end > 0 && (content[name_end - 1] == ' ' ||
	    content[name_end - 1] == '\t'))
		name_end--;
	parser->field = FIELD_NONE;
	if (name_end == 12 && !parser->have_content_type &&
	    string_view_equal_cstring_case(string_view_make(
	    (const char *)content, 12), "content-type")) {
		parser->field = FIELD_CONTENT_TYPE;
		parser->have_content_type = true;
		target = &parser->content_type;
	} else if (name_end == 25 && !parser->have_transfer_encoding &&
	    string_view_equal_cstring_case(string_view_make(
	    (const char *)content, 25), "content-transfer-encoding")) {
		parser->field = FIELD_TRANSFER_ENCODING;
		parser->have_transfer_encoding = true;
		target = &parser->transfer_encoding;
	}
	if (target != NULL && buffer_append(target, content + value_start,
	    length - value_start) != 0)
		parser->field = FIELD_NONE;
}

/* A continuation line of the field being collected (with the break
 * before it, so the value can be unfolded). */
static void
header_field_continue(struct mime_parser *parser,
    const unsigned char *content, size_t length)
{
	struct buffer *target = parser->field == FIELD_CONTENT_TYPE ?
	    &parser->content_type : &parser->transfer_encoding;
	size_t mark = buffer_length(target);

	/* Past the cap the field is cut at a line, never mid-line. */
	if (buffer_append(target, "\r\n", 2) != 0 ||
	    buffer_append(target, content, length) != 0) {
		buffer_truncate(target, mark);
		parser->field = FIELD_NONE;
	}
}

/* One line: content[0..length) are its first bytes without the line
 * break (at most MIME_PARSER_LINE_KEEP), full its whole length with the
 * break, eol the break's length (0 at the end of input). */
static void
process_line(struct mime_parser *parser, const unsigned char *content,
    size_t length, size_t full, size_t eol, size_t line_start)
{
	size_t next = line_start + full, level;
	const unsigned char *colon;
	bool close, truncated = full - eol > length;

	for (;;) {
		if (parser->state == STATE_BODY) {
			if (parser->inert)
				break;
			level = boundary_match(parser, content, length,
			    truncated, &close);
			if (level != SIZE_MAX)
				boundary_hit(parser, level, close, line_start,
				    next);
			break;
		}
		/* Header lines. */
		if (full == eol && eol > 0) {
			header_end(parser, next, 0);
			break;
		}
		if (length > 0 && (content[0] == ' ' || content[0] == '\t') &&
		    parser->current->header_offset < line_start) {
			if (parser->field != FIELD_NONE)
				header_field_continue(parser, content, length);
			break;
		}
		colon = length > 0 && content[0] != ' ' && content[0] != '\t' ?
		    memchr(content, ':', length) : NULL;
		if (colon != NULL && colon != content &&
		    parser->stack_depth > 0 && boundary_match(parser, content,
		    length, truncated, &close) != SIZE_MAX)
			colon = NULL;
		if (colon == NULL || colon == content) {
			/* No field: the body starts with this line, which
			 * is looked at again as body (it may be a boundary
			 * or the header of a nested message). */
			header_end(parser, line_start,
			    MIME_PARSER_FLAG_NO_BLANK_LINE);
			continue;
		}
		header_field_start(parser, content, length,
		    (size_t)(colon - content));
		break;
	}
	parser->previous_eol = eol;
}

struct mime_parser *
mime_parser_new(struct arena *arena, const struct mime_parser_limits *limits)
{
	struct mime_parser *parser = alloc_new(struct mime_parser);

	parser->arena = arena;
	if (limits != NULL)
		parser->limits = *limits;
	if (parser->limits.max_depth == 0)
		parser->limits.max_depth = MIME_PARSER_DEFAULT_MAX_DEPTH;
	if (parser->limits.max_parts == 0)
		parser->limits.max_parts = MIME_PARSER_DEFAULT_MAX_PARTS;
	buffer_init(&parser->line, MIME_PARSER_LINE_KEEP);
	buffer_init(&parser->content_type, MAIL_HEADER_DEFAULT_MAX_FIELD_BYTES);
	buffer_init(&parser->transfer_encoding, MIME_PARSER_LINE_KEEP);
	return parser;
}

void
mime_parser_free(struct mime_parser **parser_p)
{
	struct mime_parser *parser = *parser_p;

	if (parser == NULL)
		return;
	buffer_deinit(&parser->line);
	buffer_deinit(&parser->content_type);
	buffer_deinit(&parser->transfer_encoding);
	free(parser->stack);
	free(parser->parts);
	free(parser->queue);
	free(parser);
	*parser_p = NULL;
}

/* Keeps the first bytes of a line split across inputs. */
static void
line_keep(struct mime_parser *parser, const unsigned char *bytes,
    size_t count)
{
	size_t room = MIME_PARSER_LINE_KEEP - buffer_length(&parser->line);

	if (count > room)
		count = room;
	if (count > 0)
		ASSERT(buffer_append(&parser->line, bytes, count) == 0);
}

/* Completes the buffered line, whose last byte is input[newline]. */
static void
line_complete(struct mime_parser *parser, const unsigned char *input,
    size_t position, size_t newline)
{
	bool cr = newline > position ? input[newline - 1] == '\r' :
	    parser->last_cr;
	size_t eol = cr ? 2 : 1, full, content_length;

	full = parser->line_length + (newline + 1 - position);
	parser->in_line = false;
	if (parser->line_skip) {
		parser->previous_eol = eol;
		return;
	}
	line_keep(parser, input + position, newline + 1 - position);
	content_length = MIN(full - eol, buffer_length(&parser->line));
	process_line(parser,
	    (const unsigned char *)buffer_string(&parser->line),
	    content_length, full, eol, parser->line_start);
	buffer_reset(&parser->line);
}

int
mime_parser_next(struct mime_parser *parser, const unsigned char *input,
    size_t length, size_t *consumed_r, struct mime_parser_event *event_r)
{
	const unsigned char *newline;
	size_t position = 0, nl, full, eol, content_length;

	ASSERT(!parser->ended);
	if (!parser->started) {
		parser->started = true;
		part_begin(parser, NULL, 0);
	}
	while (parser->queue_count == 0 && position < length) {
		if (parser->inert) {
			/* Nothing in the rest can change the structure. */
			position = length;
			break;
		}
		newline = memchr(input + position, '\n', length - position);
		if (parser->in_line) {
			if (newline == NULL) {
				if (!parser->line_skip)
					line_keep(parser, input + position,
					    length - position);
				parser->line_length += length - position;
				parser->last_cr = input[length - 1] == '\r';
				position = length;
				break;
			}
			nl = (size_t)(newline - input);
			line_complete(parser, input, position, nl);
			position = nl + 1;
			continue;
		}
		/* At the start of a line. */
		if (parser->state == STATE_BODY && input[position] != '-') {
			/* Cannot be a boundary: find its end only. */
			if (newline == NULL) {
				parser->in_line = true;
				parser->line_skip = true;
				parser->line_start = parser->offset + position;
				parser->line_length = length - position;
				parser->last_cr = input[length - 1] == '\r';
				position = length;
				break;
			}
			nl = (size_t)(newline - input);
			parser->previous_eol = nl > position &&
			    input[nl - 1] == '\r' ? 2 : 1;
			position = nl + 1;
			continue;
		}
		if (newline == NULL) {
			parser->in_line = true;
			parser->line_skip = false;
			parser->line_start = parser->offset + position;
			parser->line_length = length - position;
			parser->last_cr = input[length - 1] == '\r';
			buffer_reset(&parser->line);
			line_keep(parser, input + position, length - position);
			position = length;
			break;
		}
		nl = (size_t)(newline - input);
		full = nl + 1 - position;
		eol = nl > position && input[nl - 1] == '\r' ? 2 : 1;
		content_length = MIN(full - eol, MIME_PARSER_LINE_KEEP);
		process_line(parser, input + position, content_length, full,
		    eol, parser->offset + position);
		position = nl + 1;
	}
	parser->offset += position;
	*consumed_r = position;
	if (queue_pop(parser, event_r))
		return 1;
	return 0;
}

int
mime_parser_end(struct mime_parser *parser, struct mime_parser_event *event_r)
{
	size_t total = parser->offset, content_length;

	if (!parser->started) {
		parser->started = true;
		part_begin(parser, NULL, 0);
	}
	if (!parser->ended) {
		parser->ended = true;
		if (parser->in_line && !parser->line_skip && !parser->inert) {
			/* The last line has no line break. */
			parser->in_line = false;
			content_length = MIN(parser->line_length,
			    buffer_length(&parser->line));
			process_line(parser, (const unsigned char *)
			    buffer_string(&parser->line),
			    content_length, parser->line_length, 0,
			    parser->line_start);
		}
		/* A header open at the end (perhaps of a nested message
		 * that begins right there) ends with the input. */
		while (parser->state == STATE_HEADER)
			header_end(parser, total,
			    MIME_PARSER_FLAG_HEADER_NO_END);
		if (!current_is_container(parser))
			part_end(parser, parser->current, total);
		while (parser->stack_depth > 0)
			container_pop(parser, total);
	}
	return queue_pop(parser, event_r) ? 1 : 0;
}

size_t
mime_parser_part_count(const struct mime_parser *parser)
{
	return parser->part_count;
}

const struct mime_parser_part *
mime_parser_part(const struct mime_parser *parser, size_t index)
{
	ASSERT(index < parser->part_count);
	return parser->parts[index];
}

unsigned
mime_parser_flags(const struct mime_parser *parser)
{
	return parser->flags;
}
