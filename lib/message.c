/* message.c: builds struct message from raw bytes: one mime_parser pass
 * for the structure, then per part the header fields, the MIME
 * parameters, the transfer decoding and the charset conversion. */
#include "lib/message.h"
#include "lib/mime_decode.h"

/* Skips an mbox "From " line at the very start. */
static size_t
mbox_from_length(const unsigned char *data, size_t length,
    struct string_view *line_r)
{
	const unsigned char *newline;
	size_t end;

	*line_r = string_view_make((const char *)data, 0);
	if (length < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	newline = memchr(data, '\n', length);
	if (newline == NULL)
		return 0;
	end = (size_t)(newline - data);
	*line_r = string_view_make((const char *)data,
	    end > 0 && data[end - 1] == '\r' ? end - 1 : end);
	return end + 1;
}

static enum message_encoding
encoding_from_name(const char *name)
{
	static const struct {
		const char *name;
		enum message_encoding encoding;
	} names[] = {
		{ "", MESSAGE_ENCODING_NONE },
		{ "7bit", MESSAGE_ENCODING_7BIT },
		{ "8bit", MESSAGE_ENCODING_8BIT },
		{ "binary", MESSAGE_ENCODING_BINARY },
		{ "base64", MESSAGE_ENCODING_BASE64 },
		{ "quoted-printable", MESSAGE_ENCODING_QUOTED_PRINTABLE },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(names); i++) {
		if (strcmp(name, names[i].name) == 0)
			return names[i].encoding;
	}
	return MESSAGE_ENCODING_OTHER;
}

static unsigned
flags_from_parser(unsigned parser_flags)
{
	static const unsigned map[][2] = {
		{ MIME_PARSER_FLAG_MISSING_BOUNDARY,
		    MESSAGE_FLAG_MISSING_BOUNDARY },
		{ MIME_PARSER_FLAG_NO_BOUNDARY, MESSAGE_FLAG_NO_BOUNDARY },
		{ MIME_PARSER_FLAG_TOO_DEEP, MESSAGE_FLAG_TOO_DEEP },
		{ MIME_PARSER_FLAG_TOO_MANY_PARTS,
		    MESSAGE_FLAG_TOO_MANY_PARTS },
		{ MIME_PARSER_FLAG_BAD_CONTENT_TYPE,
		    MESSAGE_FLAG_BAD_CONTENT_TYPE },
		{ MIME_PARSER_FLAG_NO_BLANK_LINE,
		    MESSAGE_FLAG_HEADER_NO_BLANK_LINE },
		{ MIME_PARSER_FLAG_HEADER_NO_END, MESSAGE_FLAG_HEADER_NO_END },
		{ MIME_PARSER_FLAG_NO_PARTS, MESSAGE_FLAG_NO_PARTS },
	};
	unsigned flags = 0;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(map); i++) {
		if ((parser_flags & map[i][0]) != 0)
			flags |= map[i][1];
	}
	return flags;
}

static unsigned
flags_from_header(unsigned header_flags)
{
	unsigned flags = 0;

	if ((header_flags & MAIL_HEADER_FLAGS_LIMITS) != 0)
		flags |= MESSAGE_FLAG_HEADER_LIMIT;
	if ((header_flags & MAIL_HEADER_FLAG_NUL) != 0)
		flags |= MESSAGE_FLAG_NUL_IN_HEADER;
	if ((header_flags & MAIL_HEADER_FLAG_8BIT) != 0)
		flags |= MESSAGE_FLAG_8BIT_HEADER;
	if ((header_flags & MAIL_HEADER_FLAG_BAD_NAME) != 0)
		flags |= MESSAGE_FLAG_BAD_HEADER_NAME;
	if ((header_flags & MAIL_HEADER_FLAG_BARE_LF) != 0)
		flags |= MESSAGE_FLAG_BARE_LF;
	return flags;
}

/* Undoes the transfer encoding of a leaf part. */
static void
part_decode(struct arena *arena, struct message_part *part, size_t max)
{
	const unsigned char *body = (const unsigned char *)part->raw_body.data;
	size_t length = part->raw_body.length;
	unsigned decode_flags;

	switch (part->encoding) {
	case MESSAGE_ENCODING_BASE64:
		decode_flags = mime_decode_base64_arena(arena, body, length,
		    max, &part->decoded);
		if ((decode_flags & (MIME_DECODE_INVALID_INPUT |
		    MIME_DECODE_MISSING_PADDING)) != 0)
			part->flags |= MESSAGE_FLAG_BAD_BASE64;
		break;
	case MESSAGE_ENCODING_QUOTED_PRINTABLE:
		decode_flags = mime_decode_quoted_printable_arena(arena, body,
		    length, max, &part->decoded);
		if ((decode_flags & MIME_DECODE_INVALID_INPUT) != 0)
			part->flags |= MESSAGE_FLAG_BAD_QP;
		break;
	default:
		if (part->encoding == MESSAGE_ENCODING_OTHER)
			part->flags |= MESSAGE_FLAG_UNKNOWN_ENCODING;
		decode_flags = length > max ? MIME_DECODE_TRUNCATED : 0;
		part->decoded = string_view_make(part->raw_body.data,
		    MIN(length, max));
		break;
	}
	if ((decode_flags & MIME_DECODE_TRUNCATED) != 0)
		part->flags |= MESSAGE_FLAG_DECODED_LIMIT;
	if (!part->is_text)
		return;
	decode_flags = mime_decode_charset_arena(arena, part->charset,
	    (const unsigned char *)part->decoded.data, part->decoded.length,
	    max, &part->text);
	if ((decode_flags & MIME_DECODE_TRUNCATED) != 0)
		part->flags |= MESSAGE_FLAG_DECODED_LIMIT;
	if ((decode_flags & MIME_DECODE_UNKNOWN_CHARSET) != 0)
		part->flags |= MESSAGE_FLAG_UNKNOWN_CHARSET;
	if ((decode_flags & MIME_DECODE_INVALID_INPUT) != 0)
		part->flags |= MESSAGE_FLAG_BAD_TEXT;
	if (memchr(part->text.data, '\0', part->text.length) != NULL)
		part->flags |= MESSAGE_FLAG_NUL_IN_TEXT;
}

/* Fills part from the parser's view of it. */
static void
part_build(struct arena *arena, const struct message *message,
    struct message_part *part, const struct mime_parser_part *source,
    const struct message_limits *limits)
{
	const unsigned char *raw = (const unsigned char *)message->raw.data;
	const struct mail_header_field *field;
	struct mail_header_content disposition;
	const char *name;
	struct mail_header *header;

	part->index = source->index;
	part->parent = source->parent;
	part->depth = source->depth;
	part->kind = source->kind;
	part->raw_header = string_view_make((const char *)raw +
	    source->header_offset, source->body_offset - source->header_offset);
	header = mail_header_parse(arena, raw + source->header_offset,
	    part->raw_header.length, &limits->header);
	/* Where the header ends is the parser's call (it also knows the
	 * boundaries); mail_header sees only the slice. */
	header->flags &= ~(unsigned)(MAIL_HEADER_FLAG_NO_END |
	    MAIL_HEADER_FLAG_NO_BLANK_LINE);
	part->header = header;
	part->raw_body = string_view_make((const char *)raw +
	    source->body_offset, source->body_end - source->body_offset);
	part->type = source->type;
	part->subtype = source->subtype;
	part->encoding_name = source->transfer_encoding;
	part->encoding = encoding_from_name(source->transfer_encoding);
	part->flags = flags_from_parser(source->flags) |
	    flags_from_header(header->flags);
	if (source->content_type != NULL) {
		part->charset = mail_header_content_parameter(
		    source->content_type, "charset");
		part->filename = mail_header_content_parameter(
		    source->content_type, "name");
	}
	field = mail_header_get(header, "Content-Disposition");
	if (field != NULL) {
		mail_header_parse_content_disposition(arena, field->value,
		    &disposition);
		part->disposition = disposition.type;
		name = mail_header_content_parameter(&disposition, "filename");
		if (name != NULL)
			part->filename = name;
	}
	if (part->kind == MIME_PARSER_LEAF) {
		part->is_text = strcmp(part->type, "text") == 0;
		part->is_html = part->is_text &&
		    strcmp(part->subtype, "html") == 0;
		part_decode(arena, part, limits->max_decoded_size);
	} else {
		part->decoded = string_view_make(part->raw_body.data, 0);
	}
}

struct message *
message_parse(struct arena *arena, const unsigned char *data, size_t length,
    const struct message_limits *limits)
{
	struct message *message = arena_new_type(arena, struct message);
	struct message_limits effective;
	struct mime_parser *parser;
	struct mime_parser_event event;
	struct message_part *parts;
	const unsigned char *input;
	size_t skip, consumed, remaining, i, j;

	memset(&effective, 0, sizeof(effective));
	if (limits != NULL)
		effective = *limits;
	if (effective.max_decoded_size == 0)
		effective.max_decoded_size = MESSAGE_DEFAULT_MAX_DECODED_SIZE;

	skip = mbox_from_length(data, length, &message->mbox_from);
	if (skip > 0)
		message->flags |= MESSAGE_FLAG_MBOX_FROM;
	input = data + skip;
	remaining = length - skip;
	message->raw = string_view_make((const char *)input, remaining);

	/* Structure: one pass; the events carry nothing we need before
	 * the end, the parser's part table has it all. */
	parser = mime_parser_new(arena, &effective.mime);
	while (mime_parser_next(parser, input, remaining, &consumed,
	    &event) == 1) {
		input += consumed;
		remaining -= consumed;
	}
	while (mime_parser_end(parser, &event) == 1)
		;

	message->part_count = mime_parser_part_count(parser);
	parts = arena_array(arena, message->part_count, sizeof(*parts));
	for (i = 0; i < message->part_count; i++) {
		part_build(arena, message, &parts[i],
		    mime_parser_part(parser, i), &effective);
		message->flags |= parts[i].flags;
	}
	mime_parser_free(&parser);
	/* Subtrees: a part's descendants follow it, deeper than it. */
	for (i = 0; i < message->part_count; i++) {
		for (j = i + 1; j < message->part_count &&
		    parts[j].depth > parts[i].depth; j++)
			;
		parts[i].subtree_end = j;
	}
	message->parts = parts;
	message->header = parts[0].header;
	if (mail_header_get(message->header, "MIME-Version") == NULL &&
	    (mail_header_get(message->header, "Content-Type") != NULL ||
	    mail_header_get(message->header,
	    "Content-Transfer-Encoding") != NULL))
		message->flags |= MESSAGE_FLAG_MISSING_MIME_VERSION;
	return message;
}

const struct message_part *
message_part_parent(const struct message *message,
    const struct message_part *part)
{
	return part->parent == MESSAGE_NO_PARENT ? NULL :
	    &message->parts[part->parent];
}

const struct message_part *
message_part_first_child(const struct message *message,
    const struct message_part *part)
{
	return part->index + 1 < part->subtree_end ?
	    &message->parts[part->index + 1] : NULL;
}

const struct message_part *
message_part_next_sibling(const struct message *message,
    const struct message_part *part)
{
	const struct message_part *parent = message_part_parent(message, part);

	if (parent == NULL || part->subtree_end >= parent->subtree_end)
		return NULL;
	return &message->parts[part->subtree_end];
}

const struct message_part *
message_next_text_part(const struct message *message,
    const struct message_part *previous)
{
	size_t i = previous == NULL ? 0 : previous->index + 1;

	for (; i < message->part_count; i++) {
		if (message->parts[i].is_text)
			return &message->parts[i];
	}
	return NULL;
}
