/* imap_parser.c: resumable IMAP command parser (RFC 3501 section 9,
 * RFC 7888 LITERAL+) feeding tokens into an argument tree.
 *
 * DESIGN: a byte-at-a-time state machine, so a read may split anywhere.
 * While a command arrives its tokens are kept as (kind, offset, length)
 * records over one parser-owned buffer holding their bytes, each followed
 * by a NUL; only when the last line ends is the tree built in the
 * caller's arena. Small commands are copied there; a large one (an
 * APPEND literal) hands its buffer over to the arena instead of copying
 * it. Errors are reported at the byte that shows them; the parser then
 * skips through the line's LF, and through the bytes of any
 * non-synchronizing literal announced at a line end while skipping, so
 * the next command starts in sync. A synchronizing literal announced
 * while skipping needs no skipping: the client waits for a "+" that
 * never comes. */
#include "mailstore/imap_parser.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/error.h"
#include "lib/line_reader.h"
#include "lib/log.h"

#include <strings.h>

/* Longest command name we accept ("GETQUOTAROOT" and friends fit). */
#define IMAP_PARSER_NAME_MAX 32
/* Commands whose bytes are at most this large are copied into the arena;
 * larger ones give it the parser's buffer. */
#define IMAP_PARSER_COPY_MAX (64 * 1024)

enum imap_parser_state {
	STATE_TAG,		/* reading the tag (or an empty line) */
	STATE_NAME,		/* reading the command name */
	STATE_ARGS,		/* before an argument, ')' or the line end */
	STATE_ATOM,
	STATE_ATOM_BRACKET,	/* inside '[...]' of an atom */
	STATE_QUOTED,
	STATE_QUOTED_ESCAPE,
	STATE_LITERAL_SIZE,	/* after '{' */
	STATE_LITERAL_PLUS,	/* after "{N+" */
	STATE_LITERAL_CLOSE,	/* after '}': the line must end */
	STATE_WAIT_CONTINUE,	/* synchronizing literal: server's turn */
	STATE_LITERAL_DATA,
	STATE_AFTER_ARG,	/* after a string, literal or ')' */
	STATE_SKIP,		/* after an error: through the line's LF */
	STATE_SKIP_LITERAL,	/* after an error: a literal's bytes */
};

/* While skipping, recognises "{N+}" right before the line end. */
enum imap_parser_tail {
	TAIL_NONE,
	TAIL_SIZE,		/* "{" and digits */
	TAIL_PLUS,		/* "{N+" */
	TAIL_CLOSED,		/* "{N+}" */
	TAIL_CLOSED_CR,		/* "{N+}\r" */
};

enum imap_parser_token_kind {
	TOKEN_ATOM,
	TOKEN_STRING,
	TOKEN_LITERAL,
	TOKEN_NIL,
	TOKEN_LIST_START,
	TOKEN_LIST_END,
};

struct imap_parser_token {
	enum imap_parser_token_kind kind;
	size_t offset;		/* into parser->data */
	size_t length;
};

struct imap_parser {
	struct imap_parser_limits limits;
	enum imap_parser_state state;

	char tag[IMAP_PARSER_TAG_MAX + 1];
	size_t tag_length;
	char name[IMAP_PARSER_NAME_MAX + 1];
	size_t name_length;
	bool saw_cr;		/* a CR that must be followed by LF */

	size_t line_bytes;	/* bytes outside literals, this command */
	uint64_t literal_total;	/* literal bytes of this command */

	/* Token bytes (each followed by a NUL) and their records. */
	struct buffer data;
	struct imap_parser_token *tokens;
	size_t token_count, token_capacity;

	/* Arguments in each open list; counts[0] is the top level. */
	size_t *counts;
	unsigned depth;
	unsigned bracket_depth;

	/* The literal being announced or read. */
	uint64_t literal_size;
	unsigned literal_digits;
	bool literal_overflow;
	bool literal_nonsync;
	uint64_t literal_remaining;

	/* Skipping after an error. */
	enum imap_parser_tail tail;
	uint64_t tail_size;
	unsigned tail_digits;
	uint64_t skip_remaining;

	const char *error;	/* a static text, for STEP_ERROR */
	struct line_reader *line_reader;	/* imap_parser_read_line */
};

/* Outcome of one byte. */
enum step {
	STEP_MORE,		/* keep going */
	STEP_DONE,		/* a command is complete */
	STEP_ERROR,		/* a bad command: parser->error */
	STEP_CONTINUE,		/* a synchronizing literal waits */
};

struct imap_parser *
imap_parser_new(const struct imap_parser_limits *limits)
{
	struct imap_parser *parser = alloc_new(struct imap_parser);
	struct imap_parser_limits *l = &parser->limits;

	if (limits != NULL)
		*l = *limits;
	if (l->line_max == 0)
		l->line_max = IMAP_PARSER_LINE_MAX_DEFAULT;
	if (l->literal_max == 0)
		l->literal_max = IMAP_PARSER_LITERAL_MAX_DEFAULT;
	if (l->command_max == 0)
		l->command_max = l->literal_max;
	if (l->depth_max == 0)
		l->depth_max = IMAP_PARSER_DEPTH_MAX_DEFAULT;
	if (l->list_max == 0)
		l->list_max = IMAP_PARSER_LIST_MAX_DEFAULT;
	ASSERT(l->line_max <= SIZE_MAX / 4 &&
	    l->command_max <= SIZE_MAX / 4);
	/* Stored bytes: at most line_max outside literals, one NUL per
	 * token (a token takes at least one byte of the line) and the
	 * literals. */
	buffer_init(&parser->data, 2 * l->line_max + l->command_max + 1);
	parser->counts = alloc_array((size_t)l->depth_max + 1,
	    sizeof(*parser->counts));
	parser->line_reader = line_reader_new(l->line_max);
	parser->state = STATE_TAG;
	return parser;
}

void
imap_parser_free(struct imap_parser **parser_p)
{
	struct imap_parser *parser = *parser_p;

	if (parser == NULL)
		return;
	buffer_deinit(&parser->data);
	free(parser->tokens);
	free(parser->counts);
	line_reader_free(&parser->line_reader);
	free(parser);
	*parser_p = NULL;
}

/* Forgets the command in progress (the state, which may be skipping,
 * is the caller's business). */
static void
command_reset(struct imap_parser *parser)
{
	if (parser->data.capacity > IMAP_PARSER_COPY_MAX)
		buffer_deinit(&parser->data);
	else
		buffer_reset(&parser->data);
	parser->token_count = 0;
	parser->tag_length = 0;
	parser->name_length = 0;
	parser->saw_cr = false;
	parser->line_bytes = 0;
	parser->literal_total = 0;
	parser->depth = 0;
	parser->counts[0] = 0;
}

/* Reports an error at byte c and starts skipping to the line end; an
 * error at the LF itself has already reached it. */
static enum step
fail(struct imap_parser *parser, unsigned char c, const char *error)
{
	parser->error = error;
	parser->state = c == '\n' ? STATE_TAG : STATE_SKIP;
	parser->tail = TAIL_NONE;
	return STEP_ERROR;
}

static void
token_begin(struct imap_parser *parser, enum imap_parser_token_kind kind)
{
	struct imap_parser_token *token;

	if (parser->token_count == parser->token_capacity) {
		parser->token_capacity = parser->token_capacity == 0 ? 16 :
		    parser->token_capacity * 2;
		parser->tokens = alloc_resize(parser->tokens,
		    parser->token_capacity, sizeof(*parser->tokens));
	}
	token = &parser->tokens[parser->token_count++];
	token->kind = kind;
	token->offset = buffer_length(&parser->data);
	token->length = 0;
}

static void
data_append(struct imap_parser *parser, const void *bytes, size_t length)
{
	/* The cap is sized from the limits, which are checked first. */
	if (buffer_append(&parser->data, bytes, length) < 0)
		log_panic("imap_parser: token bytes over their bound");
	parser->tokens[parser->token_count - 1].length += length;
}

/* Ends the current token with its NUL. */
static void
token_end(struct imap_parser *parser)
{
	struct imap_parser_token *token =
	    &parser->tokens[parser->token_count - 1];
	const char *text;

	if (buffer_append(&parser->data, "", 1) < 0)
		log_panic("imap_parser: token bytes over their bound");
	/* After the append, which may move the bytes. */
	text = (const char *)buffer_data(&parser->data) + token->offset;
	if (token->kind == TOKEN_ATOM && token->length == 3 &&
	    strncasecmp(text, "NIL", 3) == 0)
		token->kind = TOKEN_NIL;
}

/* Counts one more argument in the innermost open list. */
static bool
argument_add(struct imap_parser *parser)
{
	if (parser->counts[parser->depth] >= parser->limits.list_max)
		return false;
	parser->counts[parser->depth]++;
	return true;
}

static bool
is_atom_char(unsigned char c)
{
	/* ATOM-CHAR plus ']' (ASTRING-CHAR) and the list wildcards '%' and
	 * '*', and '\' for flags; '[' starts the bracket rule. */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '"';
}

static bool
is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c != '%' && c != '*' && c != '\\' &&
	    c != '+';
}

/* Counts the bytes of the line budget. */
static bool
line_byte(struct imap_parser *parser)
{
	return ++parser->line_bytes <= parser->limits.line_max;
}

/* Builds the argument list starting at tokens[*index] up to the end of
 * its list (or of all tokens), advancing *index past the LIST_END. */
static void
build_list(const struct imap_parser *parser, const char *bytes,
    struct arena *arena, size_t *index, struct imap_arg **args_r,
    size_t *count_r)
{
	const struct imap_parser_token *tokens = parser->tokens;
	size_t i, count = 0, depth = 0, n;
	struct imap_arg *args, *arg;

	for (i = *index; i < parser->token_count; i++) {
		if (tokens[i].kind == TOKEN_LIST_END) {
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		if (depth == 0)
			count++;
		if (tokens[i].kind == TOKEN_LIST_START)
			depth++;
	}
	*count_r = count;
	*args_r = NULL;
	if (count == 0) {
		if (*index < parser->token_count)
			(*index)++;	/* the LIST_END of an empty list */
		return;
	}
	args = arena_array(arena, count, sizeof(*args));
	i = *index;
	for (n = 0; n < count; n++) {
		arg = &args[n];
		switch (tokens[i].kind) {
		case TOKEN_ATOM:
			arg->type = IMAP_ARG_ATOM;
			break;
		case TOKEN_STRING:
			arg->type = IMAP_ARG_STRING;
			break;
		case TOKEN_LITERAL:
			arg->type = IMAP_ARG_LITERAL;
			break;
		case TOKEN_NIL:
			arg->type = IMAP_ARG_NIL;
			break;
		case TOKEN_LIST_START:
			arg->type = IMAP_ARG_LIST;
			i++;
			build_list(parser, bytes, arena, &i, &arg->list,
			    &arg->list_count);
			continue;
		case TOKEN_LIST_END:
			log_panic("imap_parser: unbalanced token list");
		}
		if (arg->type != IMAP_ARG_NIL) {
			arg->text = bytes + tokens[i].offset;
			arg->length = tokens[i].length;
		}
		i++;
	}
	if (i < parser->token_count) {
		ASSERT(tokens[i].kind == TOKEN_LIST_END);
		i++;
	}
	*index = i;
	*args_r = args;
}

/* The line ended on a complete command: builds it in arena. */
static enum step
command_finish(struct imap_parser *parser, struct arena *arena,
    struct imap_command **command_r)
{
	struct imap_command *command;
	const char *bytes = NULL;
	size_t length = buffer_length(&parser->data), index = 0, i;
	char *copy, *p;

	if (length > 0 && length <= IMAP_PARSER_COPY_MAX) {
		copy = arena_alloc(arena, length);
		memcpy(copy, buffer_data(&parser->data), length);
		bytes = copy;
	} else if (length > 0) {
		/* Hand the storage over: no second copy of a literal. */
		bytes = (const char *)parser->data.data;
		arena_add_cleanup(arena, free, parser->data.data);
		parser->data.data = NULL;
		buffer_deinit(&parser->data);
	}
	command = arena_new_type(arena, struct imap_command);
	command->tag = arena_strndup(arena, parser->tag, parser->tag_length);
	command->name = arena_strndup(arena, parser->name,
	    parser->name_length);
	build_list(parser, bytes, arena, &index, &command->args,
	    &command->arg_count);
	ASSERT(index == parser->token_count);
	if (strcmp(command->name, "UID") == 0) {
		/* The sub-command is an atom of letters, uppercased like a
		 * command name. */
		if (command->arg_count == 0 ||
		    command->args[0].type != IMAP_ARG_ATOM) {
			parser->error = "missing UID command";
			return STEP_ERROR;
		}
		p = (char *)command->args[0].text;
		for (i = 0; p[i] != '\0'; i++) {
			if (!((p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= 'A' && p[i] <= 'Z'))) {
				parser->error = "invalid UID command";
				return STEP_ERROR;
			}
			if (p[i] >= 'a')
				p[i] = (char)(p[i] - ('a' - 'A'));
		}
	}
	*command_r = command;
	return STEP_DONE;
}

/* The LF of a line that may end here. */
static enum step
line_end(struct imap_parser *parser, struct arena *arena,
    struct imap_command **command_r)
{
	switch (parser->state) {
	case STATE_TAG:
	case STATE_NAME:
		if (parser->name_length == 0)
			return fail(parser, '\n', "missing command");
		break;
	case STATE_ATOM:
		token_end(parser);
		break;
	case STATE_LITERAL_CLOSE:
		parser->literal_remaining = parser->literal_size;
		parser->literal_total += parser->literal_size;
		token_begin(parser, TOKEN_LITERAL);
		if (!parser->literal_nonsync) {
			parser->state = STATE_WAIT_CONTINUE;
			return STEP_CONTINUE;
		}
		if (parser->literal_size == 0) {
			token_end(parser);
			parser->state = STATE_AFTER_ARG;
		} else {
			parser->state = STATE_LITERAL_DATA;
		}
		return STEP_MORE;
	default:
		break;
	}
	if (parser->depth > 0)
		return fail(parser, '\n', "missing )");
	parser->state = STATE_TAG;
	return command_finish(parser, arena, command_r);
}

/* "{N}" or "{N+}" is complete: checks the size against the limits. */
static enum step
literal_announced(struct imap_parser *parser, unsigned char c)
{
	const struct imap_parser_limits *l = &parser->limits;

	if (parser->literal_overflow || parser->literal_size > l->literal_max ||
	    parser->literal_size > l->command_max - parser->literal_total) {
		fail(parser, c, parser->literal_overflow ||
		    parser->literal_size > l->literal_max ?
		    "literal too large" : "command too large");
		if (parser->literal_nonsync && !parser->literal_overflow) {
			/* Its bytes follow the line end at once. */
			parser->tail = TAIL_CLOSED;
			parser->tail_size = parser->literal_size;
		}
		return STEP_ERROR;
	}
	parser->state = STATE_LITERAL_CLOSE;
	return STEP_MORE;
}

/* Starts a list, or one of the arguments that begin with c. */
static enum step
argument_start(struct imap_parser *parser, unsigned char c)
{
	if (c == ')') {
		if (parser->depth == 0)
			return fail(parser, c, "unexpected )");
		token_begin(parser, TOKEN_LIST_END);
		parser->depth--;
		parser->state = STATE_AFTER_ARG;
		return STEP_MORE;
	}
	if (!argument_add(parser))
		return fail(parser, c, "too many arguments");
	switch (c) {
	case '(':
		if (parser->depth >= parser->limits.depth_max)
			return fail(parser, c, "lists nested too deeply");
		token_begin(parser, TOKEN_LIST_START);
		parser->counts[++parser->depth] = 0;
		return STEP_MORE;
	case '"':
		token_begin(parser, TOKEN_STRING);
		parser->state = STATE_QUOTED;
		return STEP_MORE;
	case '{':
		parser->literal_size = 0;
		parser->literal_digits = 0;
		parser->literal_overflow = false;
		parser->literal_nonsync = false;
		parser->state = STATE_LITERAL_SIZE;
		return STEP_MORE;
	default:
		if (!is_atom_char(c))
			return fail(parser, c, "invalid character");
		token_begin(parser, TOKEN_ATOM);
		data_append(parser, &c, 1);
		if (c == '[') {
			parser->bracket_depth = 1;
			parser->state = STATE_ATOM_BRACKET;
		} else {
			parser->state = STATE_ATOM;
		}
		return STEP_MORE;
	}
}

/* One byte outside a literal's data. */
static enum step
parse_byte(struct imap_parser *parser, unsigned char c, struct arena *arena,
    struct imap_command **command_r)
{
	enum imap_parser_state state = parser->state;

	if (!line_byte(parser))
		return fail(parser, c, "line too long");
	if (parser->saw_cr) {
		parser->saw_cr = false;
		if (c != '\n')
			return fail(parser, c, "CR without LF");
		return line_end(parser, arena, command_r);
	}
	if ((c == '\r' || c == '\n') && state != STATE_QUOTED &&
	    state != STATE_QUOTED_ESCAPE && state != STATE_ATOM_BRACKET &&
	    state != STATE_LITERAL_SIZE && state != STATE_LITERAL_PLUS) {
		if (c == '\r') {
			parser->saw_cr = true;
			return STEP_MORE;
		}
		return line_end(parser, arena, command_r);
	}

	switch (state) {
	case STATE_TAG:
		if (c == ' ' && parser->tag_length > 0) {
			parser->state = STATE_NAME;
			return STEP_MORE;
		}
		if (!is_tag_char(c) || parser->tag_length == IMAP_PARSER_TAG_MAX) {
			parser->tag_length = 0;
			return fail(parser, c, "invalid tag");
		}
		parser->tag[parser->tag_length++] = (char)c;
		return STEP_MORE;
	case STATE_NAME:
		if (c == ' ' && parser->name_length > 0) {
			parser->state = STATE_ARGS;
			return STEP_MORE;
		}
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - ('a' - 'A'));
		if (c < 'A' || c > 'Z' ||
		    parser->name_length == IMAP_PARSER_NAME_MAX)
			return fail(parser, c, "invalid command name");
		parser->name[parser->name_length++] = (char)c;
		return STEP_MORE;
	case STATE_ARGS:
		if (c == ' ')
			return STEP_MORE;
		return argument_start(parser, c);
	case STATE_ATOM:
		if (c == ' ' || c == ')') {
			token_end(parser);
			parser->state = STATE_ARGS;
			return c == ' ' ? STEP_MORE : argument_start(parser, c);
		}
		if (!is_atom_char(c))
			return fail(parser, c, "invalid character in atom");
		data_append(parser, &c, 1);
		if (c == '[') {
			parser->bracket_depth = 1;
			parser->state = STATE_ATOM_BRACKET;
		}
		return STEP_MORE;
	case STATE_ATOM_BRACKET:
		if (c == '\r' || c == '\n' || c == '\0')
			return fail(parser, c, "missing ]");
		data_append(parser, &c, 1);
		if (c == '[')
			parser->bracket_depth++;
		else if (c == ']' && --parser->bracket_depth == 0)
			parser->state = STATE_ATOM;
		return STEP_MORE;
	case STATE_QUOTED:
		if (c == '"') {
			token_end(parser);
			parser->state = STATE_AFTER_ARG;
			return STEP_MORE;
		}
		if (c == '\\') {
			parser->state = STATE_QUOTED_ESCAPE;
			return STEP_MORE;
		}
		if (c == '\r' || c == '\n' || c == '\0')
			return fail(parser, c, "invalid quoted string");
		data_append(parser, &c, 1);
		return STEP_MORE;
	case STATE_QUOTED_ESCAPE:
		if (c != '"' && c != '\\')
			return fail(parser, c, "invalid quoted string");
		data_append(parser, &c, 1);
		parser->state = STATE_QUOTED;
		return STEP_MORE;
	case STATE_LITERAL_SIZE:
		if (c >= '0' && c <= '9') {
			if (parser->literal_size > (UINT64_MAX - 9) / 10)
				parser->literal_overflow = true;
			else
				parser->literal_size =
				    parser->literal_size * 10 + (c - '0');
			parser->literal_digits++;
			return STEP_MORE;
		}
		if (parser->literal_digits == 0 || (c != '+' && c != '}'))
			return fail(parser, c, "invalid literal");
		if (c == '+') {
			parser->literal_nonsync = true;
			parser->state = STATE_LITERAL_PLUS;
			return STEP_MORE;
		}
		return literal_announced(parser, c);
	case STATE_LITERAL_PLUS:
		if (c != '}')
			return fail(parser, c, "invalid literal");
		return literal_announced(parser, c);
	case STATE_LITERAL_CLOSE:
		return fail(parser, c, "invalid literal");
	case STATE_AFTER_ARG:
		if (c == ' ') {
			parser->state = STATE_ARGS;
			return STEP_MORE;
		}
		if (c == ')')
			return argument_start(parser, c);
		return fail(parser, c, "missing space after argument");
	case STATE_WAIT_CONTINUE:
	case STATE_LITERAL_DATA:
	case STATE_SKIP:
	case STATE_SKIP_LITERAL:
		break;
	}
	log_panic("imap_parser: byte in state %d", (int)state);
}

/* One skipped byte: ends the skip at the LF unless "{N+}" came just
 * before it. */
static void
skip_byte(struct imap_parser *parser, unsigned char c)
{
	switch (c) {
	case '\n':
		if (parser->tail == TAIL_CLOSED ||
		    parser->tail == TAIL_CLOSED_CR) {
			parser->skip_remaining = parser->tail_size;
			parser->state = parser->skip_remaining > 0 ?
			    STATE_SKIP_LITERAL : STATE_SKIP;
		} else {
			parser->state = STATE_TAG;
		}
		parser->tail = TAIL_NONE;
		return;
	case '\r':
		parser->tail = parser->tail == TAIL_CLOSED ? TAIL_CLOSED_CR :
		    TAIL_NONE;
		return;
	case '{':
		parser->tail = TAIL_SIZE;
		parser->tail_size = 0;
		parser->tail_digits = 0;
		return;
	case '+':
		parser->tail = parser->tail == TAIL_SIZE &&
		    parser->tail_digits > 0 ? TAIL_PLUS : TAIL_NONE;
		return;
	case '}':
		parser->tail = parser->tail == TAIL_PLUS ? TAIL_CLOSED :
		    TAIL_NONE;
		return;
	default:
		if (c >= '0' && c <= '9' && parser->tail == TAIL_SIZE) {
			/* A size we cannot count cannot be skipped: take
			 * the line end as the end. */
			if (parser->tail_size > (UINT64_MAX - 9) / 10) {
				parser->tail = TAIL_NONE;
				return;
			}
			parser->tail_size = parser->tail_size * 10 + (c - '0');
			parser->tail_digits++;
			return;
		}
		parser->tail = TAIL_NONE;
		return;
	}
}

int
imap_parser_next(struct imap_parser *parser, const unsigned char *data,
    size_t length, size_t *consumed_r, struct arena *arena,
    struct imap_command **command_r, bool *continuation_r,
    const char **tag_r, const char **error_r)
{
	size_t position = 0, n;
	enum step step = STEP_MORE;

	*consumed_r = 0;
	*command_r = NULL;
	*continuation_r = false;
	*tag_r = NULL;
	if (parser->state == STATE_WAIT_CONTINUE) {
		*continuation_r = true;
		return 0;
	}
	while (position < length && step == STEP_MORE) {
		switch (parser->state) {
		case STATE_SKIP:
			skip_byte(parser, data[position++]);
			break;
		case STATE_SKIP_LITERAL:
			n = (size_t)MIN((uint64_t)(length - position),
			    parser->skip_remaining);
			position += n;
			parser->skip_remaining -= n;
			if (parser->skip_remaining == 0)
				parser->state = STATE_SKIP;
			break;
		case STATE_LITERAL_DATA:
			n = (size_t)MIN((uint64_t)(length - position),
			    parser->literal_remaining);
			data_append(parser, data + position, n);
			position += n;
			parser->literal_remaining -= n;
			if (parser->literal_remaining == 0) {
				token_end(parser);
				parser->state = STATE_AFTER_ARG;
			}
			break;
		default:
			step = parse_byte(parser, data[position++], arena,
			    command_r);
			break;
		}
	}
	*consumed_r = position;
	switch (step) {
	case STEP_MORE:
		return 0;
	case STEP_CONTINUE:
		*continuation_r = true;
		return 0;
	case STEP_DONE:
		command_reset(parser);
		return 1;
	case STEP_ERROR:
		break;
	}
	*error_r = error_set("%s", parser->error);
	if (parser->tag_length > 0)
		*tag_r = arena_strndup(arena, parser->tag, parser->tag_length);
	*command_r = NULL;
	command_reset(parser);
	return -1;
}

void
imap_parser_continue(struct imap_parser *parser)
{
	ASSERT(parser->state == STATE_WAIT_CONTINUE);
	if (parser->literal_remaining == 0) {
		token_end(parser);
		parser->state = STATE_AFTER_ARG;
	} else {
		parser->state = STATE_LITERAL_DATA;
	}
}

void
imap_parser_refuse_literal(struct imap_parser *parser)
{
	ASSERT(parser->state == STATE_WAIT_CONTINUE);
	command_reset(parser);
	parser->state = STATE_TAG;
}

int
imap_parser_read_line(struct imap_parser *parser, const unsigned char *data,
    size_t length, size_t *consumed_r, struct arena *arena,
    const char **line_r, const char **error_r)
{
	struct string_view line;
	unsigned flags;
	int ret;

	ASSERT(parser->state == STATE_TAG && parser->tag_length == 0);
	*line_r = NULL;
	ret = line_reader_next(parser->line_reader, data, length, consumed_r,
	    &line, &flags);
	if (ret < 0) {
		*error_r = error_set("line too long");
		return -1;
	}
	if (ret == 0)
		return 0;
	if ((flags & LINE_READER_HAS_NUL) != 0) {
		*error_r = error_set("NUL in line");
		return -1;
	}
	*line_r = arena_strndup(arena, line.data, line.length);
	return 1;
}

bool
imap_arg_is_atom(const struct imap_arg *arg, const char *name)
{
	return arg->type == IMAP_ARG_ATOM && strcasecmp(arg->text, name) == 0;
}

const char *
imap_arg_string(const struct imap_arg *arg)
{
	switch (arg->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_STRING:
		return arg->text;
	case IMAP_ARG_LITERAL:
		return memchr(arg->text, '\0', arg->length) == NULL ?
		    arg->text : NULL;
	case IMAP_ARG_NIL:
	case IMAP_ARG_LIST:
		break;
	}
	return NULL;
}

bool
imap_arg_number(const struct imap_arg *arg, uint32_t *number_r)
{
	uint64_t number = 0;
	size_t i;

	if (arg->type != IMAP_ARG_ATOM || arg->length == 0 ||
	    arg->length > 10)
		return false;
	for (i = 0; i < arg->length; i++) {
		if (arg->text[i] < '0' || arg->text[i] > '9')
			return false;
		number = number * 10 + (uint64_t)(arg->text[i] - '0');
	}
	if (number > UINT32_MAX)
		return false;
	*number_r = (uint32_t)number;
	return true;
}
