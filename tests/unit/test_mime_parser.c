/* test_mime_parser.c: unit tests for lib/mime_parser: structure cases fed
 * whole, byte by byte and in random chunks must give identical events
 * and parts; nesting and part limits; long lines. */
#include "lib/buffer.h"
#include "lib/mime_parser.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct structure_case {
	const char *input;
	/* Events ("b0" begin, "h0" header end, "e0" end), then " | ",
	 * then per part "(depth)type/subtype" and its body: "[bytes]"
	 * for a leaf (CR as \r, LF as \n), "#length" for a container,
	 * then flag letters: M missing boundary, N no boundary, D too
	 * deep, T too many parts, C bad Content-Type, L no blank line, E
	 * header without end, P no parts; parts separated by spaces. */
	const char *expected;
};

static const struct structure_case structure_cases[] = {
	{ "", "b0h0e0 | (0)text/plain[]E" },
	{ "Subject: x\r\n\r\nhello\r\n",
	    "b0h0e0 | (0)text/plain[hello\\r\\n]" },
	{ "Subject: x\n\nhello", "b0h0e0 | (0)text/plain[hello]" },
	{ "Subject: x\r\n", "b0h0e0 | (0)text/plain[]E" },
	{ "no header at all\r\n",
	    "b0h0e0 | (0)text/plain[no header at all\\r\\n]L" },
	{ "Content-Type: text\r\n\r\nx", "b0h0e0 | (0)text/plain[x]C" },
	{ "Content-Type: TEXT/HTML; charset=utf-8\r\n\r\n<b>x</b>",
	    "b0h0e0 | (0)text/html[<b>x</b>]" },
	/* A basic multipart, CRLF. */
	{ "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "one\r\n"
	    "--b\r\n"
	    "\r\n"
	    "two\r\n"
	    "--b--\r\n"
	    "epilogue\r\n",
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#77 (1)text/plain[one] "
	    "(1)text/plain[two]" },
	/* The same with LF line ends and an empty body line kept. */
	{ "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "\n"
	    "one\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "two\n"
	    "--b--\n",
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#49 (1)text/plain[one\\n] "
	    "(1)text/html[two]" },
	/* Missing final boundary: the last part runs to the end. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n",
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#24M (1)text/plain[one] "
	    "(1)text/plain[two\\r\\n]" },
	/* No delimiter at all. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\njust text\r\n",
	    "b0h0e0 | (0)multipart/mixed#11MP" },
	/* Junk after the boundary, and transport padding. */
	{ "Content-Type: multipart/alternative; boundary=b\n\n"
	    "--b  \t\n\none\n--b--</BODY></HTML>\nafter\n",
	    "b0h0b1h1e1e0 | (0)multipart/alternative#38 (1)text/plain[one]" },
	{ "Content-Type: multipart/alternative; boundary=b\n\n"
	    "--bogus\n\none\n--b\n\ntwo\n--b--\n",
	    "b0h0b1h1e1e0 | (0)multipart/alternative#28 (1)text/plain[two]" },
	/* A strict match beats a prefix match: inner "b-1" inside "b". */
	{ "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: multipart/alternative; boundary=b-1\n\n"
	    "--b-1\n\ninner\n--b-1--\n--b\n\nouter\n--b--\n",
	    "b0h0b1h1b2h2e2e1b3h3e3e0 | (0)multipart/mixed#93 "
	    "(1)multipart/alternative#20 (2)text/plain[inner] "
	    "(1)text/plain[outer]" },
	/* An outer boundary ends an unfinished inner multipart. */
	{ "Content-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: multipart/alternative; boundary=i\n\n"
	    "--i\n\ninner1\n--o\n\nafter\n--o--\n",
	    "b0h0b1h1b2h2e2e1b3h3e3e0 | (0)multipart/mixed#82 "
	    "(1)multipart/alternative#11M (2)text/plain[inner1] "
	    "(1)text/plain[after]" },
	/* Parts without a header, and an empty part. */
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nno header line\r\n--b\r\n--b--\r\n",
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#33 "
	    "(1)text/plain[no header line]L (1)text/plain[]L" },
	/* A boundary with a colon where a header line is expected. */
	{ "Content-Type: multipart/mixed; boundary=\"a:b\"\n\n"
	    "--a:b\n--a:b\nX: 1\n\nbody\n--a:b--\n",
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#31 (1)text/plain[]L "
	    "(1)text/plain[body]" },
	/* The header of a part ends with the input. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/html",
	    "b0h0b1h1e1e0 | (0)multipart/mixed#27M (1)text/html[]E" },
	/* Multipart without a usable boundary: a leaf. */
	{ "Content-Type: multipart/mixed\n\n--b\n\nx\n",
	    "b0h0e0 | (0)multipart/mixed[--b\\n\\nx\\n]N" },
	{ "Content-Type: multipart/mixed; boundary=\"\"\n\nx",
	    "b0h0e0 | (0)multipart/mixed[x]N" },
	/* message/rfc822 inside multipart/mixed, itself multipart. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\n"
	    "Content-Type: multipart/alternative; boundary=c\n\n"
	    "--c\n\nplain\n--c--\n"
	    "--b\n\nlast\n--b--\n",
	    "b0h0b1h1b2h2b3h3e3e2e1b4h4e4e0 | (0)multipart/mixed#131 "
	    "(1)message/rfc822#80 (2)multipart/alternative#16 "
	    "(3)text/plain[plain] (1)text/plain[last]" },
	/* A nested message with a plain body, as the whole message. */
	{ "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n",
	    "b0h0b1h1e1e0 | (0)message/rfc822#21 (1)text/plain[body\\r\\n]" },
	/* Encoded message/rfc822 is a leaf. */
	{ "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n"
	    "\nU3ViamVjdDogeAoKeQo=\n",
	    "b0h0e0 | (0)message/rfc822[U3ViamVjdDogeAoKeQo=\\n]" },
	/* Digest children default to message/rfc822. */
	{ "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: a\n\nA\n--d\nContent-Type: text/plain\n\nB\n"
	    "--d--\n",
	    "b0h0b1h1b2h2e2e1b3h3e3e0 | (0)multipart/digest#57 "
	    "(1)message/rfc822#13 (2)text/plain[A] (1)text/plain[B]" },
	/* Content-Type folded over lines, first one wins. */
	{ "Content-Type: multipart/mixed;\n\tboundary=\"x y\"\n"
	    "Content-Type: text/plain\n\n--x y\n\nz\n--x y--\n",
	    "b0h0b1h1e1e0 | (0)multipart/mixed#17 (1)text/plain[z]" },
	/* Bare CR inside a boundary line's padding. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\r\r\n\nx\n--b--",
	    "b0h0b1h1e1e0 | (0)multipart/mixed#14 (1)text/plain[x]" },
	/* Boundary lines of a closed multipart in its epilogue are
	 * content. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nx\n--b--\n--b\n\ny\n",
	    "b0h0b1h1e1e0 | (0)multipart/mixed#20 (1)text/plain[x]" },
};

static void
render_bytes(struct buffer *out, const unsigned char *bytes, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++) {
		if (bytes[i] == '\r')
			ASSERT(buffer_append_string(out, "\\r") == 0);
		else if (bytes[i] == '\n')
			ASSERT(buffer_append_string(out, "\\n") == 0);
		else
			ASSERT(buffer_append(out, bytes + i, 1) == 0);
	}
}

static void
render_parts(struct buffer *out, const struct mime_parser *parser,
    const unsigned char *input)
{
	static const struct {
		unsigned flag;
		char letter;
	} letters[] = {
		{ MIME_PARSER_FLAG_MISSING_BOUNDARY, 'M' },
		{ MIME_PARSER_FLAG_NO_BOUNDARY, 'N' },
		{ MIME_PARSER_FLAG_TOO_DEEP, 'D' },
		{ MIME_PARSER_FLAG_TOO_MANY_PARTS, 'T' },
		{ MIME_PARSER_FLAG_BAD_CONTENT_TYPE, 'C' },
		{ MIME_PARSER_FLAG_NO_BLANK_LINE, 'L' },
		{ MIME_PARSER_FLAG_HEADER_NO_END, 'E' },
		{ MIME_PARSER_FLAG_NO_PARTS, 'P' },
	};
	const struct mime_parser_part *part;
	size_t i, l;

	ASSERT(buffer_append_string(out, " |") == 0);
	for (i = 0; i < mime_parser_part_count(parser); i++) {
		part = mime_parser_part(parser, i);
		ASSERT(buffer_printf(out, " (%zu)%s/%s", part->depth,
		    part->type, part->subtype) == 0);
		if (part->kind == MIME_PARSER_LEAF) {
			ASSERT(buffer_append(out, "[", 1) == 0);
			render_bytes(out, input + part->body_offset,
			    part->body_end - part->body_offset);
			ASSERT(buffer_append(out, "]", 1) == 0);
		} else {
			ASSERT(buffer_printf(out, "#%zu",
			    part->body_end - part->body_offset) == 0);
		}
		for (l = 0; l < ARRAY_LENGTH(letters); l++) {
			if ((part->flags & letters[l].flag) != 0)
				ASSERT(buffer_append(out, &letters[l].letter,
				    1) == 0);
		}
	}
}

/* Checks one event against what must already be known. */
static void
check_event(const struct mime_parser_event *event, size_t *next_begin)
{
	const struct mime_parser_part *part = event->part;

	switch (event->type) {
	case MIME_PARSER_EVENT_BEGIN:
		/* Parts begin in index order. */
		test_assert_int(part->index, *next_begin);
		(*next_begin)++;
		break;
	case MIME_PARSER_EVENT_HEADER_END:
		test_assert(part->type[0] != '\0');
		test_assert(part->body_offset >= part->header_offset);
		break;
	case MIME_PARSER_EVENT_END:
		test_assert(part->body_end >= part->body_offset);
		break;
	}
}

static void
render_event(struct buffer *out, const struct mime_parser_event *event)
{
	static const char kinds[] = "bhe";

	ASSERT(buffer_printf(out, "%c%zu", kinds[event->type],
	    event->part->index) == 0);
}

/* Feeds input in chunks of the given mode and renders events and
 * parts into out. */
static void
run_structure(const unsigned char *input, size_t length,
    const struct mime_parser_limits *limits, enum trickle_mode mode,
    uint32_t seed, struct buffer *out)
{
	struct arena *arena = arena_new("test", 0);
	struct mime_parser *parser = mime_parser_new(arena, limits);
	struct mime_parser_event event;
	size_t offset = 0, chunk, position, consumed, next_begin = 0;
	uint32_t state = seed;

	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		for (position = 0; position < chunk; position += consumed) {
			if (mime_parser_next(parser, input + offset + position,
			    chunk - position, &consumed, &event) == 0) {
				test_assert(consumed == chunk - position);
				break;
			}
			test_assert(consumed <= chunk - position);
			check_event(&event, &next_begin);
			render_event(out, &event);
		}
		offset += chunk;
	}
	while (mime_parser_end(parser, &event) == 1) {
		check_event(&event, &next_begin);
		render_event(out, &event);
	}
	test_assert_int(next_begin, mime_parser_part_count(parser));
	render_parts(out, parser, input);
	mime_parser_free(&parser);
	test_assert(parser == NULL);
	arena_free(&arena);
}

static void
test_mime_parser_structure_cases(void)
{
	struct buffer out;
	size_t i;
	int mode;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(structure_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			buffer_reset(&out);
			run_structure(
			    (const unsigned char *)structure_cases[i].input,
			    strlen(structure_cases[i].input), NULL,
			    (enum trickle_mode)mode, (uint32_t)(i + 1) * 7919u,
			    &out);
			if (strcmp(buffer_string(&out),
			    structure_cases[i].expected) != 0)
				test_fail(__FILE__, __LINE__,
				    "case %zu (%s): got \"%s\", want \"%s\"", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out),
				    structure_cases[i].expected);
		}
	}
	buffer_deinit(&out);
}

/* Runs input whole and in both trickle modes and requires the same
 * result; returns the whole-input rendering in out. */
static void
run_all_modes(const struct buffer *input,
    const struct mime_parser_limits *limits, struct buffer *out)
{
	struct buffer other;
	int mode;

	buffer_init(&other, 0);
	buffer_reset(out);
	run_structure(buffer_data(input), buffer_length(input), limits,
	    TRICKLE_WHOLE, 1, out);
	for (mode = 1; mode < TRICKLE_MODES; mode++) {
		buffer_reset(&other);
		run_structure(buffer_data(input), buffer_length(input), limits,
		    (enum trickle_mode)mode, 77, &other);
		test_assert(strcmp(buffer_string(&other),
		    buffer_string(out)) == 0);
	}
	buffer_deinit(&other);
}

/* 150 nested multiparts: parts stop splitting at depth 100, and the
 * parser uses its own stack, not C recursion. */
static void
test_mime_parser_deep_nesting(void)
{
	struct arena *arena = arena_new("test", 0);
	struct mime_parser *parser;
	struct mime_parser_event event;
	const struct mime_parser_part *part;
	struct buffer input;
	size_t i, consumed, levels = 150, deepest = 0;

	buffer_init(&input, 0);
	for (i = 0; i < levels; i++)
		ASSERT(buffer_printf(&input, "Content-Type: multipart/mixed; "
		    "boundary=\"b%zu\"\r\n\r\n--b%zu\r\n", i, i) == 0);
	ASSERT(buffer_append_string(&input, "\r\ninnermost\r\n") == 0);
	for (i = levels; i-- > 0;)
		ASSERT(buffer_printf(&input, "--b%zu--\r\n", i) == 0);

	parser = mime_parser_new(arena, NULL);
	while (mime_parser_next(parser, buffer_data(&input),
	    buffer_length(&input), &consumed, &event) == 1) {
		ASSERT(buffer_length(&input) >= consumed);
		buffer_consume(&input, consumed);
	}
	while (mime_parser_end(parser, &event) == 1)
		;
	test_assert_int(mime_parser_part_count(parser),
	    MIME_PARSER_DEFAULT_MAX_DEPTH + 1);
	for (i = 0; i < mime_parser_part_count(parser); i++) {
		part = mime_parser_part(parser, i);
		deepest = MAX(deepest, part->depth);
	}
	test_assert_int(deepest, MIME_PARSER_DEFAULT_MAX_DEPTH);
	part = mime_parser_part(parser, MIME_PARSER_DEFAULT_MAX_DEPTH);
	test_assert(part->kind == MIME_PARSER_LEAF);
	test_assert(part->flags & MIME_PARSER_FLAG_TOO_DEEP);
	test_assert(mime_parser_flags(parser) & MIME_PARSER_FLAG_TOO_DEEP);
	/* The outer 100 close properly. */
	test_assert(!(mime_parser_flags(parser) &
	    MIME_PARSER_FLAG_MISSING_BOUNDARY));
	mime_parser_free(&parser);
	buffer_deinit(&input);
	arena_free(&arena);
}

/* A small depth limit, checked in all three feeding modes. */
static void
test_mime_parser_depth_limit(void)
{
	struct mime_parser_limits limits = { 2, 0 };
	struct buffer input, out;

	buffer_init(&input, 0);
	buffer_init(&out, 0);
	ASSERT(buffer_append_string(&input,
	    "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n--c--\n"
	    "--b--\n--a--\n") == 0);
	run_all_modes(&input, &limits, &out);
	test_assert_string(buffer_string(&out),
	    "b0h0b1h1b2h2e2e1e0 | (0)multipart/mixed#119 "
	    "(1)multipart/mixed#65 (2)multipart/mixed"
	    "[--c\\n\\nx\\n--c--]D");
	buffer_deinit(&input);
	buffer_deinit(&out);
}

static void
test_mime_parser_part_limit(void)
{
	struct mime_parser_limits limits = { 0, 3 };
	struct buffer input, out;
	size_t i;

	buffer_init(&input, 0);
	buffer_init(&out, 0);
	ASSERT(buffer_append_string(&input,
	    "Content-Type: multipart/mixed; boundary=b\n\n") == 0);
	for (i = 0; i < 5; i++)
		ASSERT(buffer_printf(&input, "--b\n\npart%zu\n", i) == 0);
	ASSERT(buffer_append_string(&input, "--b--\n") == 0);
	run_all_modes(&input, &limits, &out);
	/* Parts 0..2; the rest is the multipart's opaque body. */
	test_assert_string(buffer_string(&out),
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#61T "
	    "(1)text/plain[part0] (1)text/plain[part1]");

	/* The default is 10000 parts. */
	buffer_reset(&input);
	ASSERT(buffer_append_string(&input,
	    "Content-Type: multipart/mixed; boundary=b\n\n") == 0);
	for (i = 0; i < 10005; i++)
		ASSERT(buffer_append_string(&input, "--b\n\nx\n") == 0);
	{
		struct arena *arena = arena_new("test", 0);
		struct mime_parser *parser = mime_parser_new(arena, NULL);
		struct mime_parser_event event;
		size_t consumed;

		while (mime_parser_next(parser, buffer_data(&input),
		    buffer_length(&input), &consumed, &event) == 1)
			buffer_consume(&input, consumed);
		while (mime_parser_end(parser, &event) == 1)
			;
		test_assert_int(mime_parser_part_count(parser),
		    MIME_PARSER_DEFAULT_MAX_PARTS);
		test_assert(mime_parser_flags(parser) ==
		    MIME_PARSER_FLAG_TOO_MANY_PARTS);
		mime_parser_free(&parser);
		arena_free(&arena);
	}
	buffer_deinit(&input);
	buffer_deinit(&out);
}

/* Lines longer than MIME_PARSER_LINE_KEEP give the same structure
 * however they are split: a long header line before Content-Type, a
 * long body line, a long boundary line with junk after it. */
static void
test_mime_parser_long_lines(void)
{
	struct buffer input, out;

	buffer_init(&input, 0);
	buffer_init(&out, 0);
	ASSERT(buffer_append_string(&input, "X-Long: ") == 0);
	memset(buffer_reserve(&input, 6000), 'a', 6000);
	buffer_commit(&input, 6000);
	ASSERT(buffer_append_string(&input,
	    "\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n") == 0);
	memset(buffer_reserve(&input, 9000), '-', 9000);
	buffer_commit(&input, 9000);
	ASSERT(buffer_append_string(&input, "\n--b;") == 0);
	memset(buffer_reserve(&input, 5000), 'z', 5000);
	buffer_commit(&input, 5000);
	ASSERT(buffer_append_string(&input, "\n\nlast\n--b--\n") == 0);
	run_all_modes(&input, NULL, &out);
	test_assert(strncmp(buffer_string(&out),
	    "b0h0b1h1e1b2h2e2e0 | (0)multipart/mixed#14023 (1)text/plain[",
	    60) == 0);
	test_assert(strstr(buffer_string(&out), " (1)text/plain[last]") !=
	    NULL);

	/* A header line whose colon comes after the kept bytes is no
	 * field: the body starts there. */
	buffer_reset(&input);
	memset(buffer_reserve(&input, 5000), 'n', 5000);
	buffer_commit(&input, 5000);
	ASSERT(buffer_append_string(&input, ": v\n\nbody") == 0);
	run_all_modes(&input, NULL, &out);
	test_assert(strncmp(buffer_string(&out), "b0h0e0 | (0)text/plain[nnn",
	    26) == 0);
	test_assert(buffer_string(&out)[buffer_length(&out) - 1] == 'L');
	buffer_deinit(&input);
	buffer_deinit(&out);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_mime_parser_structure_cases),
		TEST_CASE(test_mime_parser_deep_nesting),
		TEST_CASE(test_mime_parser_depth_limit),
		TEST_CASE(test_mime_parser_part_limit),
		TEST_CASE(test_mime_parser_long_lines),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
