/* imap_message.c: part tree with offsets, ENVELOPE, BODYSTRUCTURE and
 * BODY[section] contents for IMAP FETCH.
 *
 * DESIGN: lib/mime_parser finds the structure in one pass over the
 * whole message; its parts (document order, parent indexes, offsets)
 * become a linked tree here, and each part's header block is parsed
 * with lib/mail_header for the fields IMAP reports raw. ENVELOPE needs
 * the addresses with their display names undecoded and split into
 * local part and domain, which lib/mail_header's address parser does not
 * give, so a small lenient RFC 5322 address-list parser lives here. */
#include "mailstore/imap_message.h"
#include "lib/error.h"
#include "lib/mime_parser.h"

/* Addresses written per ENVELOPE list. */
#define ADDRESSES_MAX 1000

struct imap_message *
imap_message_parse(struct arena *arena, const unsigned char *data,
    size_t length, const struct imap_message_limits *limits)
{
	struct imap_message *message = arena_new_type(arena,
	    struct imap_message);
	struct mime_parser_limits parser_limits = {
		IMAP_MESSAGE_DEFAULT_MAX_DEPTH, IMAP_MESSAGE_DEFAULT_MAX_PARTS
	};
	struct mime_parser *parser;
	struct mime_parser_event event;
	struct imap_message_part *nodes;
	size_t consumed, offset = 0, count, i;

	if (limits != NULL && limits->max_depth != 0)
		parser_limits.max_depth = limits->max_depth;
	if (limits != NULL && limits->max_parts != 0)
		parser_limits.max_parts = limits->max_parts;
	message->data = data;
	message->length = length;

	parser = mime_parser_new(arena, &parser_limits);
	while (offset < length &&
	    mime_parser_next(parser, data + offset, length - offset,
	    &consumed, &event) == 1)
		offset += consumed;
	while (mime_parser_end(parser, &event) == 1)
		;
	count = mime_parser_part_count(parser);
	ASSERT(count >= 1);
	nodes = arena_array(arena, count, sizeof(*nodes));
	for (i = 0; i < count; i++) {
		const struct mime_parser_part *p = mime_parser_part(parser, i);
		struct imap_message_part *node = &nodes[i];

		node->header_start = p->header_offset;
		node->body_start = p->body_offset;
		node->body_end = p->body_end;
		node->type = p->type;
		node->subtype = p->subtype;
		node->content_type = p->content_type;
		node->encoding = p->transfer_encoding;
		node->kind = p->kind == MIME_PARSER_MULTIPART ?
		    IMAP_MESSAGE_PART_MULTIPART : p->kind == MIME_PARSER_MESSAGE ?
		    IMAP_MESSAGE_PART_MESSAGE : IMAP_MESSAGE_PART_LEAF;
		node->header = mail_header_parse(arena,
		    data + node->header_start,
		    node->body_start - node->header_start, NULL);
		if (p->parent != MIME_PARSER_NO_PARENT) {
			ASSERT(p->parent < i);
			node->parent = &nodes[p->parent];
			node->parent->child_count++;
		}
	}
	mime_parser_free(&parser);
	/* Second pass: child arrays, then degrade what IMAP cannot show. */
	for (i = 0; i < count; i++) {
		if (nodes[i].child_count != 0) {
			nodes[i].children = arena_array(arena,
			    nodes[i].child_count, sizeof(*nodes[i].children));
			nodes[i].child_count = 0;
		}
	}
	for (i = 1; i < count; i++) {
		struct imap_message_part *parent = nodes[i].parent;

		parent->children[parent->child_count++] = &nodes[i];
	}
	for (i = 0; i < count; i++) {
		struct imap_message_part *node = &nodes[i];

		if (node->kind != IMAP_MESSAGE_PART_LEAF &&
		    node->child_count == 0)
			node->kind = IMAP_MESSAGE_PART_LEAF;
		if (node->kind != IMAP_MESSAGE_PART_LEAF)
			continue;
		/* A multipart that could not be split (no boundary, no
		 * delimiter, limits) is shown as the text it is. */
		if (strcmp(node->type, "multipart") == 0) {
			node->type = "text";
			node->subtype = "plain";
			node->content_type = NULL;
		} else if (strcmp(node->type, "message") == 0 &&
		    (strcmp(node->subtype, "rfc822") == 0 ||
		    strcmp(node->subtype, "global") == 0)) {
			/* An encoded message/rfc822 has no envelope to show:
			 * an opaque attachment. */
			node->type = "application";
			node->subtype = "octet-stream";
			node->content_type = NULL;
		}
	}
	message->root = &nodes[0];
	message->part_count = count;
	return message;
}

/* Writing IMAP syntax. */

int
imap_message_append_string(struct buffer *buffer, const void *data,
    size_t length)
{
	const unsigned char *p = data;
	bool quoted = length <= IMAP_MESSAGE_QUOTED_MAX;
	size_t i;

	for (i = 0; quoted && i < length; i++) {
		if (p[i] == 0 || p[i] >= 0x80 || p[i] == '\r' || p[i] == '\n')
			quoted = false;
	}
	if (!quoted) {
		if (buffer_printf(buffer, "{%zu}\r\n", length) < 0 ||
		    buffer_append(buffer, data, length) < 0)
			return -1;
		return 0;
	}
	if (buffer_append(buffer, "\"", 1) < 0)
		return -1;
	for (i = 0; i < length; i++) {
		if ((p[i] == '"' || p[i] == '\\') &&
		    buffer_append(buffer, "\\", 1) < 0)
			return -1;
		if (buffer_append(buffer, &p[i], 1) < 0)
			return -1;
	}
	return buffer_append(buffer, "\"", 1);
}

int
imap_message_append_nstring(struct buffer *buffer, const void *data,
    size_t length)
{
	if (data == NULL)
		return buffer_append(buffer, "NIL", 3);
	return imap_message_append_string(buffer, data, length);
}

static int
append_cstring(struct buffer *buffer, const char *s)
{
	return imap_message_append_nstring(buffer, s, s == NULL ? 0 :
	    strlen(s));
}

static int
append_upper(struct buffer *buffer, const char *s)
{
	char upper[128];
	size_t i, length = strlen(s);

	if (length >= sizeof(upper))
		return imap_message_append_string(buffer, s, length);
	for (i = 0; i < length; i++)
		upper[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i];
	return imap_message_append_string(buffer, upper, length);
}

/* The first field named name, unfolded and with trailing whitespace
 * dropped, or NULL when absent. */
static const char *
header_value(struct arena *arena, const struct mail_header *header,
    const char *name, size_t *length_r)
{
	const struct mail_header_field *field = mail_header_get(header, name);
	struct string_view value;

	if (field == NULL)
		return NULL;
	value = string_view_trim(mail_header_unfold(arena, field->value));
	*length_r = value.length;
	return value.data == NULL ? "" : value.data;
}

static int
append_field(struct buffer *buffer, struct arena *arena,
    const struct mail_header *header, const char *name)
{
	size_t length = 0;
	const char *value = header_value(arena, header, name, &length);

	return imap_message_append_nstring(buffer, value, length);
}

/* ENVELOPE addresses. */

enum token_type {
	TOKEN_WORD,	/* atom or domain literal */
	TOKEN_QUOTED,	/* quoted string, unescaped */
	TOKEN_SPECIAL,	/* one of < > , : ; @ . */
};

struct token {
	enum token_type type;
	char special;
	const char *text;
	size_t length;
};

struct envelope_address {
	const char *name, *route, *mailbox, *host;
};

struct address_list {
	struct envelope_address *items;
	size_t count;
};

static bool
is_dot(const struct token *token)
{
	return token->type == TOKEN_SPECIAL && token->special == '.';
}

static bool
is_address_special(char c)
{
	return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' ||
	    c == '@' || c == '.' || c == '"' || c == '(' || c == '[' ||
	    c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits value into tokens in arena, skipping comments and whitespace.
 * Unterminated quotes, comments and literals run to the end. */
static size_t
tokenize(struct arena *arena, struct string_view value, struct token **r)
{
	struct token *tokens = arena_array(arena, value.length + 1,
	    sizeof(*tokens));
	size_t count = 0, i = 0;
	const char *s = value.data;

	while (i < value.length) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (c == '(') {
			int depth = 0;

			for (; i < value.length; i++) {
				if (s[i] == '\\')
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
		} else if (c == '"') {
			char *text = arena_alloc(arena, value.length - i);
			size_t length = 0;

			for (i++; i < value.length && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < value.length)
					i++;
				if (s[i] != '\r' && s[i] != '\n')
					text[length++] = s[i];
			}
			i++;
			tokens[count++] = (struct token){ TOKEN_QUOTED, 0, text,
			    length };
		} else if (c == '[') {
			size_t start = i;

			while (i < value.length && s[i] != ']')
				i++;
			if (i < value.length)
				i++;
			tokens[count++] = (struct token){ TOKEN_WORD, 0,
			    s + start, i - start };
		} else if (is_address_special(c)) {
			tokens[count++] = (struct token){ TOKEN_SPECIAL, c,
			    s + i, 1 };
			i++;
		} else {
			size_t start = i;

			while (i < value.length && !is_address_special(s[i]) &&
			    s[i] != ')')
				i++;
			if (i == start)
				i++;
			tokens[count++] = (struct token){ TOKEN_WORD, 0,
			    s + start, i - start };
		}
	}
	*r = tokens;
	return count;
}

/* Joins tokens [from, to) as a phrase (words separated by one space, a
 * '.' glued to what precedes it) or, when phrase is false, tightly as an
 * addr-spec piece. Returns NULL for an empty range. */
static const char *
join_tokens(struct arena *arena, const struct token *tokens, size_t from,
    size_t to, bool phrase)
{
	size_t i, total = 0, length = 0;
	char *joined;

	if (from >= to)
		return NULL;
	for (i = from; i < to; i++)
		total += tokens[i].length + 1;
	joined = arena_alloc(arena, total + 1);
	for (i = from; i < to; i++) {
		if (phrase && i > from && !is_dot(&tokens[i]))
			joined[length++] = ' ';
		memcpy(joined + length, tokens[i].text, tokens[i].length);
		length += tokens[i].length;
	}
	joined[length] = '\0';
	return joined;
}

static void
add_address(struct address_list *list, struct envelope_address address)
{
	if (list->count < ADDRESSES_MAX)
		list->items[list->count++] = address;
}

/* Splits addr-spec tokens [from, to) at the last '@' into mailbox and
 * host, filling in the RFC 3501 placeholders for missing pieces. */
static void
add_mailbox(struct arena *arena, struct address_list *list,
    const struct token *tokens, size_t from, size_t to, const char *name,
    const char *route)
{
	struct envelope_address address = { name, route, NULL, NULL };
	size_t at = to, i;

	for (i = from; i < to; i++) {
		if (tokens[i].type == TOKEN_SPECIAL && tokens[i].special == '@')
			at = i;
	}
	address.mailbox = join_tokens(arena, tokens, from, at, false);
	address.host = at < to ? join_tokens(arena, tokens, at + 1, to,
	    false) : NULL;
	if (address.mailbox == NULL)
		address.mailbox = "MISSING_MAILBOX";
	if (address.host == NULL)
		address.host = "MISSING_DOMAIN";
	add_address(list, address);
}

static bool
is_special(const struct token *token, char c)
{
	return token->type == TOKEN_SPECIAL && token->special == c;
}

/* Parses an address list leniently into ENVELOPE entries: mailboxes,
 * and groups as a start marker (mailbox = group name, host NULL), their
 * members and an end marker (all NULL). */
static void
parse_addresses(struct arena *arena, struct string_view value,
    struct address_list *list)
{
	struct token *tokens;
	size_t count = tokenize(arena, value, &tokens);
	size_t i = 0, start;
	bool in_group = false;

	list->items = arena_array(arena, MIN(count, ADDRESSES_MAX) + 2,
	    sizeof(*list->items));
	list->count = 0;
	while (i < count) {
		start = i;
		while (i < count && !is_special(&tokens[i], ':') &&
		    !is_special(&tokens[i], '<') &&
		    !is_special(&tokens[i], ',') &&
		    !is_special(&tokens[i], ';'))
			i++;
		if (i < count && is_special(&tokens[i], ':') && !in_group) {
			struct envelope_address group = { NULL, NULL, NULL,
			    NULL };

			group.mailbox = join_tokens(arena, tokens, start, i,
			    true);
			if (group.mailbox == NULL)
				group.mailbox = "";
			add_address(list, group);
			in_group = true;
			i++;
			continue;
		}
		if (i < count && is_special(&tokens[i], '<')) {
			const char *name = join_tokens(arena, tokens, start, i,
			    true);
			const char *route = NULL;
			size_t spec;

			i++;
			spec = i;
			if (i < count && is_special(&tokens[i], '@')) {
				while (i < count && !is_special(&tokens[i], ':')
				    && !is_special(&tokens[i], '>'))
					i++;
				if (i < count && is_special(&tokens[i], ':')) {
					route = join_tokens(arena, tokens,
					    spec, i, false);
					spec = ++i;
				} else {
					i = spec;
				}
			}
			while (i < count && !is_special(&tokens[i], '>'))
				i++;
			add_mailbox(arena, list, tokens, spec, i, name, route);
			/* Skip anything up to the next separator. */
			while (i < count && !is_special(&tokens[i], ',') &&
			    !is_special(&tokens[i], ';'))
				i++;
		} else if (i > start) {
			add_mailbox(arena, list, tokens, start, i, NULL, NULL);
		}
		if (i < count && is_special(&tokens[i], ';') && in_group) {
			add_address(list, (struct envelope_address){ NULL,
			    NULL, NULL, NULL });
			in_group = false;
		}
		i++;
	}
	if (in_group)
		add_address(list, (struct envelope_address){ NULL, NULL, NULL,
		    NULL });
}

/* The addresses of every field named name (Cc may be given twice). */
static void
header_addresses(struct arena *arena, const struct mail_header *header,
    const char *name, struct address_list *list)
{
	size_t count, i;
	const struct mail_header_field **fields = mail_header_get_all(header,
	    arena, name, &count);
	struct address_list one;

	list->items = NULL;
	list->count = 0;
	for (i = 0; i < count; i++) {
		parse_addresses(arena, mail_header_unfold(arena,
		    fields[i]->value), &one);
		if (list->count == 0) {
			*list = one;
			continue;
		}
		/* Rare: append into a fresh array. */
		struct envelope_address *items = arena_array(arena,
		    list->count + one.count, sizeof(*items));
		memcpy(items, list->items, list->count * sizeof(*items));
		if (one.count != 0)
			memcpy(items + list->count, one.items,
			    one.count * sizeof(*items));
		list->items = items;
		list->count = MIN(list->count + one.count, ADDRESSES_MAX);
	}
}

static int
append_address_list(struct buffer *buffer, const struct address_list *list)
{
	size_t i;

	if (list->count == 0)
		return buffer_append(buffer, "NIL", 3);
	if (buffer_append(buffer, "(", 1) < 0)
		return -1;
	for (i = 0; i < list->count; i++) {
		const struct envelope_address *a = &list->items[i];

		if (buffer_append(buffer, "(", 1) < 0 ||
		    append_cstring(buffer, a->name) < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_cstring(buffer, a->route) < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_cstring(buffer, a->mailbox) < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_cstring(buffer, a->host) < 0 ||
		    buffer_append(buffer, ")", 1) < 0)
			return -1;
	}
	return buffer_append(buffer, ")", 1);
}

static int
append_envelope(struct buffer *buffer, struct arena *arena,
    const struct mail_header *header)
{
	static const char *const lists[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Bcc"
	};
	struct address_list from, list;
	size_t i;

	if (buffer_append(buffer, "(", 1) < 0 ||
	    append_field(buffer, arena, header, "Date") < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_field(buffer, arena, header, "Subject") < 0)
		return -1;
	header_addresses(arena, header, "From", &from);
	for (i = 0; i < ARRAY_LENGTH(lists); i++) {
		if (i == 0)
			list = from;
		else
			header_addresses(arena, header, lists[i], &list);
		if ((i == 1 || i == 2) && list.count == 0)
			list = from;
		if (buffer_append(buffer, " ", 1) < 0 ||
		    append_address_list(buffer, &list) < 0)
			return -1;
	}
	if (buffer_append(buffer, " ", 1) < 0 ||
	    append_field(buffer, arena, header, "In-Reply-To") < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_field(buffer, arena, header, "Message-ID") < 0)
		return -1;
	return buffer_append(buffer, ")", 1);
}

int
imap_message_append_envelope(struct buffer *buffer, struct arena *arena,
    const struct imap_message_part *part, const char **error_r)
{
	if (append_envelope(buffer, arena, part->header) < 0) {
		*error_r = error_set("ENVELOPE exceeds the output buffer");
		return -1;
	}
	return 0;
}

/* BODY and BODYSTRUCTURE. */

static size_t
count_lines(const unsigned char *data, size_t length)
{
	const unsigned char *p = data, *end = data + length;
	size_t lines = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	if (length > 0 && data[length - 1] != '\n')
		lines++;
	return lines;
}

static int
append_parameters(struct buffer *buffer,
    const struct mail_header_content *content, const char *default_charset)
{
	size_t i, written = 0;

	if ((content == NULL || content->parameter_count == 0) &&
	    default_charset == NULL)
		return buffer_append(buffer, "NIL", 3);
	if (buffer_append(buffer, "(", 1) < 0)
		return -1;
	for (i = 0; content != NULL && i < content->parameter_count; i++) {
		const struct mail_header_parameter *p = &content->parameters[i];

		if ((written++ > 0 && buffer_append(buffer, " ", 1) < 0) ||
		    append_upper(buffer, p->name) < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_cstring(buffer, p->value) < 0)
			return -1;
	}
	if (default_charset != NULL) {
		if ((written > 0 && buffer_append(buffer, " ", 1) < 0) ||
		    buffer_append_string(buffer, "\"CHARSET\" ") < 0 ||
		    append_cstring(buffer, default_charset) < 0)
			return -1;
	}
	return buffer_append(buffer, ")", 1);
}

/* disposition, language and location, each preceded by a space. */
static int
append_extension_tail(struct buffer *buffer, struct arena *arena,
    const struct imap_message_part *part)
{
	const struct mail_header_field *field;
	struct mail_header_content disposition;
	const char *value;
	size_t length = 0;

	if (buffer_append(buffer, " ", 1) < 0)
		return -1;
	field = mail_header_get(part->header, "Content-Disposition");
	if (field == NULL) {
		if (buffer_append(buffer, "NIL", 3) < 0)
			return -1;
	} else {
		mail_header_parse_content_disposition(arena, field->value,
		    &disposition);
		if (buffer_append(buffer, "(", 1) < 0 ||
		    append_upper(buffer, disposition.type[0] != '\0' ?
		    disposition.type : "attachment") < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_parameters(buffer, &disposition, NULL) < 0 ||
		    buffer_append(buffer, ")", 1) < 0)
			return -1;
	}
	if (buffer_append(buffer, " ", 1) < 0)
		return -1;
	value = header_value(arena, part->header, "Content-Language", &length);
	if (value == NULL || length == 0) {
		if (buffer_append(buffer, "NIL", 3) < 0)
			return -1;
	} else {
		/* A comma-separated list: one tag as a string, several as
		 * a parenthesized list. */
		const char *tags[16];
		size_t tag_lengths[16], tag_count = 0, i = 0, start;

		while (i < length && tag_count < ARRAY_LENGTH(tags)) {
			while (i < length && (value[i] == ',' ||
			    value[i] == ' ' || value[i] == '\t'))
				i++;
			start = i;
			while (i < length && value[i] != ',' &&
			    value[i] != ' ' && value[i] != '\t')
				i++;
			if (i > start) {
				tags[tag_count] = value + start;
				tag_lengths[tag_count++] = i - start;
			}
		}
		if (tag_count == 1) {
			if (imap_message_append_string(buffer, tags[0],
			    tag_lengths[0]) < 0)
				return -1;
		} else {
			if (buffer_append(buffer, "(", 1) < 0)
				return -1;
			for (i = 0; i < tag_count; i++) {
				if ((i > 0 && buffer_append(buffer, " ", 1) <
				    0) || imap_message_append_string(buffer,
				    tags[i], tag_lengths[i]) < 0)
					return -1;
			}
			if (buffer_append(buffer, ")", 1) < 0)
				return -1;
		}
	}
	return buffer_append(buffer, " ", 1) < 0 ? -1 :
	    append_field(buffer, arena, part->header, "Content-Location");
}

static int
append_body(struct buffer *buffer, struct arena *arena,
    const struct imap_message *message,
    const struct imap_message_part *part, bool extended)
{
	bool text = strcmp(part->type, "text") == 0;
	const char *charset = NULL;
	size_t i, octets = part->body_end - part->body_start;

	if (buffer_append(buffer, "(", 1) < 0)
		return -1;
	if (part->kind == IMAP_MESSAGE_PART_MULTIPART) {
		for (i = 0; i < part->child_count; i++) {
			if (append_body(buffer, arena, message,
			    part->children[i], extended) < 0)
				return -1;
		}
		if (buffer_append(buffer, " ", 1) < 0 ||
		    append_upper(buffer, part->subtype) < 0)
			return -1;
		if (extended && (buffer_append(buffer, " ", 1) < 0 ||
		    append_parameters(buffer, part->content_type, NULL) < 0 ||
		    append_extension_tail(buffer, arena, part) < 0))
			return -1;
		return buffer_append(buffer, ")", 1);
	}
	if (text && (part->content_type == NULL ||
	    mail_header_content_parameter(part->content_type, "charset") ==
	    NULL))
		charset = "us-ascii";
	if (append_upper(buffer, part->type) < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_upper(buffer, part->subtype) < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_parameters(buffer, part->content_type, charset) < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_field(buffer, arena, part->header, "Content-ID") < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_field(buffer, arena, part->header,
	    "Content-Description") < 0 ||
	    buffer_append(buffer, " ", 1) < 0 ||
	    append_upper(buffer, part->encoding[0] != '\0' ? part->encoding :
	    "7bit") < 0 ||
	    buffer_printf(buffer, " %zu", octets) < 0)
		return -1;
	if (part->kind == IMAP_MESSAGE_PART_MESSAGE) {
		const struct imap_message_part *inner = part->children[0];

		if (buffer_append(buffer, " ", 1) < 0 ||
		    append_envelope(buffer, arena, inner->header) < 0 ||
		    buffer_append(buffer, " ", 1) < 0 ||
		    append_body(buffer, arena, message, inner, extended) < 0)
			return -1;
	}
	if ((text || part->kind == IMAP_MESSAGE_PART_MESSAGE) &&
	    buffer_printf(buffer, " %zu", count_lines(message->data +
	    part->body_start, octets)) < 0)
		return -1;
	if (extended && (buffer_append(buffer, " NIL", 4) < 0 ||
	    append_extension_tail(buffer, arena, part) < 0))
		return -1;
	return buffer_append(buffer, ")", 1);
}

int
imap_message_append_bodystructure(struct buffer *buffer,
    struct arena *arena, const struct imap_message *message, bool extended,
    const char **error_r)
{
	if (append_body(buffer, arena, message, message->root, extended) < 0) {
		*error_r = error_set("BODYSTRUCTURE exceeds the output buffer");
		return -1;
	}
	return 0;
}

/* Sections. */

const struct imap_message_part *
imap_message_find_part(const struct imap_message *message,
    const uint32_t *parts, size_t part_count)
{
	const struct imap_message_part *node = message->root;
	bool is_message = true;
	size_t i;

	for (i = 0; i < part_count; i++) {
		uint32_t number = parts[i];

		if (number == 0)
			return NULL;
		if (!is_message) {
			if (node->kind == IMAP_MESSAGE_PART_MESSAGE) {
				node = node->children[0];
				is_message = true;
			} else if (node->kind ==
			    IMAP_MESSAGE_PART_MULTIPART) {
				if (number > node->child_count)
					return NULL;
				node = node->children[number - 1];
				continue;
			} else {
				return NULL;
			}
		}
		/* Numbers inside a message name its body parts; a
		 * non-multipart message has one, its body. */
		if (node->kind == IMAP_MESSAGE_PART_MULTIPART) {
			if (number > node->child_count)
				return NULL;
			node = node->children[number - 1];
		} else if (number != 1) {
			return NULL;
		}
		is_message = false;
	}
	return node;
}

static void
set_range(struct imap_message_section_content *content,
    const struct imap_message *message, size_t start, size_t end)
{
	content->in_message = true;
	content->offset = start;
	content->bytes = string_view_make((const char *)message->data + start,
	    end - start);
}

static bool
field_listed(const struct imap_message_section *section,
    struct string_view name)
{
	size_t i;

	for (i = 0; i < section->field_count; i++) {
		if (string_view_equal_cstring_case(name, section->fields[i]))
			return true;
	}
	return false;
}

/* HEADER.FIELDS (.NOT) of the message node: the chosen fields as sent,
 * in order, and the blank line. */
static void
header_fields(const struct imap_message *message, struct arena *arena,
    const struct imap_message_part *node,
    const struct imap_message_section *section,
    struct imap_message_section_content *content)
{
	const struct mail_header *header = node->header;
	bool negate = section->kind == IMAP_MESSAGE_SECTION_HEADER_FIELDS_NOT;
	size_t i, total = 2;
	char *out;

	for (i = 0; i < header->field_count; i++)
		total += header->fields[i].length + 2;
	out = arena_alloc(arena, total);
	total = 0;
	for (i = 0; i < header->field_count; i++) {
		const struct mail_header_field *field = &header->fields[i];
		const unsigned char *bytes = message->data + node->header_start +
		    field->offset;

		if (field_listed(section, field->name) == negate)
			continue;
		memcpy(out + total, bytes, field->length);
		total += field->length;
		if (field->length == 0 || bytes[field->length - 1] != '\n') {
			memcpy(out + total, "\r\n", 2);
			total += 2;
		}
	}
	memcpy(out + total, "\r\n", 2);
	content->in_message = false;
	content->bytes = string_view_make(out, total + 2);
}

int
imap_message_section_get(const struct imap_message *message,
    struct arena *arena, const struct imap_message_section *section,
    struct imap_message_section_content *content_r, const char **error_r)
{
	const struct imap_message_part *node;
	size_t i;

	memset(content_r, 0, sizeof(*content_r));
	content_r->bytes = string_view_make("", 0);
	if (section->part_count > IMAP_MESSAGE_SECTION_MAX_PARTS) {
		*error_r = error_set("too many section part numbers");
		return -1;
	}
	for (i = 0; i < section->part_count; i++) {
		if (section->parts[i] == 0) {
			*error_r = error_set("section part number 0");
			return -1;
		}
	}
	if (section->kind == IMAP_MESSAGE_SECTION_MIME &&
	    section->part_count == 0) {
		*error_r = error_set("MIME needs a part number");
		return -1;
	}
	node = imap_message_find_part(message, section->parts,
	    section->part_count);
	if (node == NULL)
		return 0;
	if (section->part_count > 0) {
		switch (section->kind) {
		case IMAP_MESSAGE_SECTION_ALL:
			set_range(content_r, message, node->body_start,
			    node->body_end);
			goto partial;
		case IMAP_MESSAGE_SECTION_MIME:
			set_range(content_r, message, node->header_start,
			    node->body_start);
			goto partial;
		default:
			break;
		}
		/* HEADER, TEXT and the field lists need a message. */
		if (node->kind != IMAP_MESSAGE_PART_MESSAGE)
			return 0;
		node = node->children[0];
	}
	switch (section->kind) {
	case IMAP_MESSAGE_SECTION_ALL:
		set_range(content_r, message, 0, message->length);
		break;
	case IMAP_MESSAGE_SECTION_HEADER:
	case IMAP_MESSAGE_SECTION_MIME:
		set_range(content_r, message, node->header_start,
		    node->body_start);
		break;
	case IMAP_MESSAGE_SECTION_TEXT:
		set_range(content_r, message, node->body_start,
		    node->body_end);
		break;
	case IMAP_MESSAGE_SECTION_HEADER_FIELDS:
	case IMAP_MESSAGE_SECTION_HEADER_FIELDS_NOT:
		header_fields(message, arena, node, section, content_r);
		break;
	}
partial:
	if (section->has_partial) {
		uint64_t length = content_r->bytes.length;
		uint64_t origin = MIN(section->origin, length);
		uint64_t count = MIN(section->count, length - origin);

		content_r->bytes.data += origin;
		content_r->bytes.length = (size_t)count;
		content_r->offset += (size_t)origin;
	}
	return 0;
}
