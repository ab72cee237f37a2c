/* test_imap_parser.c: unit tests for mailstore/imap_parser: command
 * streams in all trickle modes (literals, limits and resync, lists,
 * quoting, BODY[...] atoms, tags, line ends), plain lines and helpers. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "mailstore/imap_parser.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct stream_case {
	const char *input;
	size_t length;		/* 0: strlen(input) */
	/* Limits: 0 means the default. */
	size_t line_max, literal_max, command_max;
	unsigned depth_max;
	size_t list_max;
	bool refuse;		/* refuse synchronizing literals */
	/* Events: "<tag NAME args>" per command (atoms as is, strings in
	 * quotes, literals as {N}bytes with NUL as "\0", NIL, lists in
	 * parentheses), "!tag:error;" per bad command (tag "*" for none),
	 * "+" per continuation request; "~" if the last call returned 0
	 * (input ended inside a command, or while skipping one). */
	const char *expected;
};

#define BIN(s) s, sizeof(s) - 1
#define TEXT(s) s, 0
#define LIMITS(line, literal, command, depth, list) \
	line, literal, command, depth, list

static const struct stream_case stream_cases[] = {
	{ TEXT("a NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false, "<a NOOP>" },
	{ TEXT("a noop\n"), LIMITS(0, 0, 0, 0, 0), false, "<a NOOP>" },
	{ TEXT("a NOOP"), LIMITS(0, 0, 0, 0, 0), false, "~" },
	{ TEXT("x.1] capability\r\nb LOGOUT\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<x.1] CAPABILITY><b LOGOUT>" },
	/* Quoted strings: only \" and \\ escapes, 8-bit allowed. */
	{ TEXT("A1 LOGIN \"user\" \"p\\\"w\\\\d\"\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false, "<A1 LOGIN \"user\" \"p\"w\\d\">" },
	{ TEXT("a X \"caf\xc3\xa9\" \"\"\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a X \"caf\xc3\xa9\" \"\">" },
	{ TEXT("a X \"\\a\"\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid quoted string;<b NOOP>" },
	{ TEXT("a X \"abc\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid quoted string;<b NOOP>" },
	{ TEXT("a X \"abc\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid quoted string;<b NOOP>" },
	{ TEXT("a X \"a\"b\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:missing space after argument;<b NOOP>" },
	/* Atoms, NIL, wildcards, flags, UID. */
	{ TEXT("a X NIL nil \"NIL\" NILS\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a X NIL NIL \"NIL\" NILS>" },
	{ TEXT("a LIST \"\" %/*\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a LIST \"\" %/*>" },
	{ TEXT("a STORE 1:3,5 +FLAGS.SILENT (\\Seen \\Deleted)\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false,
	    "<a STORE 1:3,5 +FLAGS.SILENT (\\Seen \\Deleted)>" },
	{ TEXT("a uid fetch 1:* flags\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a UID FETCH 1:* flags>" },
	{ TEXT("a UID\r\na UID 1\r\na UID \"X\"\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "!a:missing UID command;!a:invalid UID command;"
	    "!a:missing UID command;" },
	{ TEXT("a X a(b)\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid character in atom;<b NOOP>" },
	{ TEXT("a X a\x01\r\nb X \xc3\xa9\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid character in atom;!b:invalid character;~" },
	{ TEXT("a X  a   b \r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a X a b>" },
	/* BODY[...]: one atom whatever is inside the brackets. */
	{ TEXT("b FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>)"
	    "\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<b FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>)>" },
	{ TEXT("b FETCH 1 BODY[]\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<b FETCH 1 BODY[]>" },
	{ TEXT("b X a[b[c] (d]e]f\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<b X a[b[c] (d]e]f>" },
	{ TEXT("b FETCH 1 BODY[HEADER\r\nc NOOP\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "!b:missing ];<c NOOP>" },
	{ TEXT("b FETCH 1 BODY[HEADER \"x\r\nc NOOP\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false, "!b:missing ];<c NOOP>" },
	/* Lists. */
	{ TEXT("a X () (a (b \"c\") NIL) ((()))\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "<a X () (a (b \"c\") NIL) ((()))>" },
	{ TEXT("a X (a\r\nb X a)\r\nc NOOP\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "!a:missing );!b:unexpected );<c NOOP>" },
	{ TEXT("a X ((a))\r\n"), LIMITS(0, 0, 0, 2, 0), false,
	    "<a X ((a))>" },
	{ TEXT("a X (((a)))\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 2, 0), false,
	    "!a:lists nested too deeply;<b NOOP>" },
	{ TEXT("a X 1 2 (3 4 5) 6\r\n"), LIMITS(0, 0, 0, 0, 4), false,
	    "<a X 1 2 (3 4 5) 6>" },
	{ TEXT("a X 1 2 3 4 5\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 4), false,
	    "!a:too many arguments;<b NOOP>" },
	{ TEXT("a X (1 2 3 4 5)\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 4), false,
	    "!a:too many arguments;<b NOOP>" },
	/* Literals: synchronizing wait for "+", non-synchronizing not. */
	{ TEXT("a LOGIN {4}\r\nuser {2}\r\npw\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "++<a LOGIN {4}user {2}pw>" },
	{ TEXT("a LOGIN {4+}\r\nuser {2+}\n\"w\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "<a LOGIN {4}user {2}\"w>" },
	{ BIN("a APPEND x (\\Seen) {7+}\r\na\r\n\0b\r\n\r\nb NOOP\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false,
	    "<a APPEND x (\\Seen) {7}a\r\n\\0b\r\n><b NOOP>" },
	{ TEXT("a X {0}\r\n {0+}\r\n\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "+<a X {0} {0}>" },
	{ TEXT("a X ({1}\r\n))\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "+<a X ({1}))>" },
	{ TEXT("a X {1}x\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid literal;<b NOOP>" },
	{ TEXT("a X {}\r\na X {+}\r\na X {1-}\r\na X {1+-\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false,
	    "!a:invalid literal;!a:invalid literal;!a:invalid literal;"
	    "!a:invalid literal;~" },
	{ TEXT("a X {2}\r\nab"), LIMITS(0, 0, 0, 0, 0), false, "+~" },
	/* Refused: the literal never comes. */
	{ TEXT("a APPEND x {3}\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), true,
	    "+<b NOOP>" },
	/* Over the limits: refused before the data (synchronizing) or
	 * skipped with it (non-synchronizing), then in sync again. */
	{ TEXT("a APPEND x {10}\r\n0123456789\r\n"), LIMITS(0, 10, 0, 0, 0),
	    false, "+<a APPEND x {10}0123456789>" },
	{ TEXT("a APPEND x {11}\r\nb NOOP\r\n"), LIMITS(0, 10, 0, 0, 0),
	    false, "!a:literal too large;<b NOOP>" },
	{ TEXT("a APPEND x {11+}\r\n01234\r\n789A\r\nb NOOP\r\n"),
	    LIMITS(0, 10, 0, 0, 0), false, "!a:literal too large;<b NOOP>" },
	{ TEXT("a APPEND x {11+}\r\n0123456789A {3+}\r\nabc (\r\nb NOOP\r\n"),
	    LIMITS(0, 10, 0, 0, 0), false, "!a:literal too large;<b NOOP>" },
	{ TEXT("a APPEND x {11+}\r\n0123456789A {3}\r\nb NOOP\r\n"),
	    LIMITS(0, 10, 0, 0, 0), false, "!a:literal too large;<b NOOP>" },
	{ TEXT("a X {99999999999999999999999+}\r\nb NOOP\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false, "!a:literal too large;<b NOOP>" },
	{ TEXT("a X {8+}\r\n12345678 {8+}\r\n12345678\r\nb NOOP\r\n"),
	    LIMITS(0, 10, 15, 0, 0), false, "!a:command too large;<b NOOP>" },
	{ TEXT("a X {8+}\r\n12345678 {7}\r\n1234567\r\n"),
	    LIMITS(0, 10, 15, 0, 0), false, "+<a X {8}12345678 {7}1234567>" },
	/* Errors skip the rest of the line, and a non-synchronizing
	 * literal announced on it. */
	{ TEXT("a X ) {3+}\r\na\r\n\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "!a:unexpected );<b NOOP>" },
	{ TEXT("a X ) {3}\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:unexpected );<b NOOP>" },
	{ TEXT("a X ) {3+} x\r\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:unexpected );<b NOOP>" },
	/* Line limit: bytes outside literals, CRLF included. */
	{ TEXT("a X 0123456789\r\nb X 01234567890\r\nc NOOP\r\n"),
	    LIMITS(16, 0, 0, 0, 0), false,
	    "<a X 0123456789>!b:line too long;<c NOOP>" },
	{ TEXT("a X {20+}\r\n01234567890123456789\r\n"),
	    LIMITS(16, 0, 0, 0, 0), false,
	    "<a X {20}01234567890123456789>" },
	{ TEXT("a X {2+}\r\nab abcdef\r\nb NOOP\r\n"),
	    LIMITS(16, 0, 0, 0, 0), false, "!a:line too long;<b NOOP>" },
	/* Tags and command names. */
	{ TEXT("\r\n\nb NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!*:missing command;!*:missing command;<b NOOP>" },
	{ TEXT("a\r\nb \r\nc NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:missing command;!b:missing command;<c NOOP>" },
	{ TEXT("+ NOOP\r\na+ NOOP\r\n* NOOP\r\n NOOP\r\n(a NOOP\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false,
	    "!*:invalid tag;!*:invalid tag;!*:invalid tag;!*:invalid tag;"
	    "!*:invalid tag;~" },
	{ TEXT("a\\b NOOP\r\na\"b NOOP\r\na{1} NOOP\r\n\xc3\xa9 NOOP\r\n"),
	    LIMITS(0, 0, 0, 0, 0), false,
	    "!*:invalid tag;!*:invalid tag;!*:invalid tag;!*:invalid tag;~" },
	{ TEXT("0123456789012345678901234567890123456789012345678901234567890"
	    "123 NOOP\r\n"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234 NOOP\r\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<0123456789012345678901234567890123456789012345678901234567890"
	    "123 NOOP>!*:invalid tag;~" },
	{ TEXT("a 1NOOP\r\na NO-OP\r\na  NOOP\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "!a:invalid command name;!a:invalid command name;"
	    "!a:invalid command name;~" },
	{ TEXT("a ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF\r\n"
	    "a ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG\r\n"), LIMITS(0, 0, 0, 0, 0),
	    false, "<a ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF>"
	    "!a:invalid command name;~" },
	/* Line ends: CRLF or a bare LF; a bare CR is an error. */
	{ TEXT("a NOOP\rb\r\nc NOOP\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:CR without LF;<c NOOP>" },
	{ TEXT("a NOOP\r\r\nc NOOP\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "!a:CR without LF;<c NOOP>" },
	{ TEXT("a X (b \"c\")\nd X {1}\n)\n"), LIMITS(0, 0, 0, 0, 0), false,
	    "<a X (b \"c\")>+<d X {1})>" },
};

static void
render_text(struct buffer *out, const char *text, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++) {
		if (text[i] == '\0')
			ASSERT(buffer_append_string(out, "\\0") == 0);
		else
			ASSERT(buffer_append(out, &text[i], 1) == 0);
	}
}

static void
render_args(struct buffer *out, const struct imap_arg *args, size_t count)
{
	const struct imap_arg *arg;
	size_t i;

	for (i = 0; i < count; i++) {
		arg = &args[i];
		if (i > 0)
			ASSERT(buffer_append(out, " ", 1) == 0);
		switch (arg->type) {
		case IMAP_ARG_ATOM:
			test_assert(strlen(arg->text) == arg->length);
			render_text(out, arg->text, arg->length);
			break;
		case IMAP_ARG_STRING:
			ASSERT(buffer_append(out, "\"", 1) == 0);
			render_text(out, arg->text, arg->length);
			ASSERT(buffer_append(out, "\"", 1) == 0);
			break;
		case IMAP_ARG_LITERAL:
			test_assert(arg->text[arg->length] == '\0');
			ASSERT(buffer_printf(out, "{%zu}", arg->length) == 0);
			render_text(out, arg->text, arg->length);
			break;
		case IMAP_ARG_NIL:
			test_assert(arg->text == NULL);
			ASSERT(buffer_append_string(out, "NIL") == 0);
			break;
		case IMAP_ARG_LIST:
			test_assert((arg->list == NULL) ==
			    (arg->list_count == 0));
			ASSERT(buffer_append(out, "(", 1) == 0);
			render_args(out, arg->list, arg->list_count);
			ASSERT(buffer_append(out, ")", 1) == 0);
			break;
		}
	}
}

static void
run_stream(const struct stream_case *c, enum trickle_mode mode,
    uint32_t seed, struct buffer *out)
{
	const unsigned char *input = (const unsigned char *)c->input;
	size_t length = c->length != 0 ? c->length : strlen(c->input);
	size_t offset = 0, chunk, position, consumed;
	struct imap_parser_limits limits = {
		c->line_max, c->literal_max, c->command_max, c->depth_max,
		c->list_max,
	};
	struct imap_parser *parser = imap_parser_new(&limits);
	struct imap_command *command;
	struct arena *arena = arena_new("test", 0);
	const char *tag, *error;
	bool continuation, pending = false;
	uint32_t state = seed;
	int ret;

	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		for (position = 0; position < chunk; position += consumed) {
			ret = imap_parser_next(parser, input + offset +
			    position, chunk - position, &consumed, arena,
			    &command, &continuation, &tag, &error);
			test_require(consumed <= chunk - position);
			pending = false;
			if (ret == 0 && continuation) {
				size_t again;

				ASSERT(buffer_append(out, "+", 1) == 0);
				/* The "+" comes at the literal's line end. */
				test_assert(consumed > 0 && input[offset +
				    position + consumed - 1] == '\n');
				/* Until answered, nothing is taken. */
				ret = imap_parser_next(parser, input + offset +
				    position + consumed, chunk - position -
				    consumed, &again, arena, &command,
				    &continuation, &tag, &error);
				test_assert(ret == 0 && continuation &&
				    again == 0);
				if (c->refuse)
					imap_parser_refuse_literal(parser);
				else
					imap_parser_continue(parser);
				pending = !c->refuse;
				continue;
			}
			if (ret == 0) {
				test_assert(consumed == chunk - position);
				pending = true;
				continue;
			}
			if (ret > 0) {
				ASSERT(buffer_printf(out, "<%s %s",
				    command->tag, command->name) == 0);
				if (command->arg_count > 0)
					ASSERT(buffer_append(out, " ", 1) == 0);
				render_args(out, command->args,
				    command->arg_count);
				ASSERT(buffer_append(out, ">", 1) == 0);
			} else {
				test_assert_int(ret, -1);
				test_assert(command == NULL);
				ASSERT(buffer_printf(out, "!%s:%s;",
				    tag != NULL ? tag : "*", error) == 0);
			}
			arena_free(&arena);
			arena = arena_new("test", 0);
		}
		offset += chunk;
	}
	if (pending)
		ASSERT(buffer_append(out, "~", 1) == 0);
	arena_free(&arena);
	imap_parser_free(&parser);
	test_assert(parser == NULL);
}

static void
test_imap_parser_streams(void)
{
	struct buffer out;
	size_t i;
	int mode;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(stream_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			buffer_reset(&out);
			run_stream(&stream_cases[i], (enum trickle_mode)mode,
			    (uint32_t)(i + 1) * 7919u, &out);
			if (strcmp(buffer_string(&out),
			    stream_cases[i].expected) != 0)
				test_fail(__FILE__, __LINE__,
				    "case %zu (%s): got \"%s\", want \"%s\"",
				    i, trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out),
				    stream_cases[i].expected);
		}
	}
	buffer_deinit(&out);
}

/* A large literal arrives intact (it is handed to the arena, not
 * copied) and a large command line does too. */
static void
test_imap_parser_large_literal(void)
{
	struct imap_parser *parser = imap_parser_new(NULL);
	struct arena *arena = arena_new("test", 0);
	struct imap_command *command;
	struct buffer input;
	const char *tag, *error;
	size_t consumed, size = 300000, i, offset = 0;
	bool continuation;
	int ret, round;

	buffer_init(&input, 0);
	for (round = 0; round < 2; round++) {
		buffer_reset(&input);
		ASSERT(buffer_printf(&input, "a%d APPEND INBOX {%zu+}\r\n",
		    round, size) == 0);
		for (i = 0; i < size; i++)
			ASSERT(buffer_append(&input, &"0123456789"[i % 10], 1)
			    == 0);
		ASSERT(buffer_append_string(&input, "\r\n") == 0);
		offset = 0;
		do {
			ret = imap_parser_next(parser,
			    buffer_data(&input) + offset,
			    MIN(buffer_length(&input) - offset, 4096),
			    &consumed, arena, &command, &continuation, &tag,
			    &error);
			offset += consumed;
		} while (ret == 0 && offset < buffer_length(&input));
		test_require(ret == 1);
		test_assert(offset == buffer_length(&input));
		test_require(command->arg_count == 2);
		test_assert(command->args[1].type == IMAP_ARG_LITERAL);
		test_assert(command->args[1].length == size);
		test_assert(memcmp(command->args[1].text,
		    buffer_data(&input) + buffer_length(&input) - size - 2,
		    size) == 0);
		test_assert_string(command->tag, round == 0 ? "a0" : "a1");
		arena_free(&arena);
		arena = arena_new("test", 0);
	}
	buffer_deinit(&input);
	arena_free(&arena);
	imap_parser_free(&parser);
}

/* Plain lines between commands (AUTHENTICATE, IDLE's DONE). */
static void
test_imap_parser_read_line(void)
{
	struct imap_parser_limits limits = { .line_max = 12 };
	struct imap_parser *parser = imap_parser_new(&limits);
	struct arena *arena = arena_new("test", 0);
	struct imap_command *command;
	const unsigned char *input = (const unsigned char *)
	    "DO" "NE\r\nAGVsbG8=\n0123456789ABC\r\nx\0y\r\nb NOOP\r\n";
	size_t length = 43, offset = 0, consumed;
	const char *line, *error, *tag;
	bool continuation;

	test_assert_int(imap_parser_read_line(parser, input, 2, &consumed,
	    arena, &line, &error), 0);
	test_assert(consumed == 2 && line == NULL);
	offset = 2;
	test_assert_int(imap_parser_read_line(parser, input + offset,
	    length - offset, &consumed, arena, &line, &error), 1);
	test_assert_string(line, "DONE");
	offset += consumed;
	test_assert_int(imap_parser_read_line(parser, input + offset,
	    length - offset, &consumed, arena, &line, &error), 1);
	test_assert_string(line, "AGVsbG8=");
	offset += consumed;
	test_assert_int(imap_parser_read_line(parser, input + offset,
	    length - offset, &consumed, arena, &line, &error), -1);
	test_assert_string(error, "line too long");
	offset += consumed;
	test_assert(input[offset - 1] == '\n');
	test_assert_int(imap_parser_read_line(parser, input + offset,
	    length - offset, &consumed, arena, &line, &error), -1);
	test_assert_string(error, "NUL in line");
	offset += consumed;
	/* Commands carry on after the lines. */
	test_assert_int(imap_parser_next(parser, input + offset,
	    length - offset, &consumed, arena, &command, &continuation, &tag,
	    &error), 1);
	test_assert(offset + consumed == length);
	test_assert_string(command->name, "NOOP");
	arena_free(&arena);
	imap_parser_free(&parser);
}

static struct imap_arg
make_arg(enum imap_arg_type type, const char *text, size_t length)
{
	struct imap_arg arg = { type, text, length, NULL, 0 };

	return arg;
}

static void
test_imap_parser_helpers(void)
{
	struct imap_arg arg;
	uint32_t number = 7;

	arg = make_arg(IMAP_ARG_ATOM, "Fetch", 5);
	test_assert(imap_arg_is_atom(&arg, "FETCH"));
	test_assert(!imap_arg_is_atom(&arg, "FETC"));
	test_assert_string(imap_arg_string(&arg), "Fetch");
	test_assert(!imap_arg_number(&arg, &number) && number == 7);
	arg = make_arg(IMAP_ARG_STRING, "Fetch", 5);
	test_assert(!imap_arg_is_atom(&arg, "FETCH"));
	test_assert_string(imap_arg_string(&arg), "Fetch");
	arg = make_arg(IMAP_ARG_LITERAL, "a\0b", 3);
	test_assert(imap_arg_string(&arg) == NULL);
	arg = make_arg(IMAP_ARG_LITERAL, "ab", 2);
	test_assert_string(imap_arg_string(&arg), "ab");
	arg = make_arg(IMAP_ARG_NIL, NULL, 0);
	test_assert(imap_arg_string(&arg) == NULL);
	test_assert(!imap_arg_is_atom(&arg, "NIL"));
	arg = make_arg(IMAP_ARG_LIST, NULL, 0);
	test_assert(imap_arg_string(&arg) == NULL);
	arg = make_arg(IMAP_ARG_ATOM, "4294967295", 10);
	test_assert(imap_arg_number(&arg, &number) && number == 4294967295u);
	arg = make_arg(IMAP_ARG_ATOM, "4294967296", 10);
	test_assert(!imap_arg_number(&arg, &number));
	arg = make_arg(IMAP_ARG_ATOM, "04294967295", 11);
	test_assert(!imap_arg_number(&arg, &number));
	arg = make_arg(IMAP_ARG_ATOM, "0", 1);
	test_assert(imap_arg_number(&arg, &number) && number == 0);
	arg = make_arg(IMAP_ARG_ATOM, "1:2", 3);
	test_assert(!imap_arg_number(&arg, &number));
	arg = make_arg(IMAP_ARG_STRING, "12", 2);
	test_assert(!imap_arg_number(&arg, &number));
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_parser_streams),
		TEST_CASE(test_imap_parser_large_literal),
		TEST_CASE(test_imap_parser_read_line),
		TEST_CASE(test_imap_parser_helpers),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
