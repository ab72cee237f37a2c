/* test_line_reader.c: unit tests for lib/line_reader: table cases fed
 * whole, byte by byte and in random chunks must give identical events. */
#include "lib/buffer.h"
#include "lib/line_reader.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct stream_case {
	const char *input;
	size_t length;		/* 0: strlen(input) */
	size_t max_length;	/* 0: default */
	/* Events: "<line>" plus flag letters (L bare LF, N NUL, R bare CR)
	 * per line, "!" per overlong line; then "~N" if N bytes are left
	 * pending, "~D" if an overlong line is still being discarded.
	 * Inside <>, CR is "\r", NUL "\0" and '\' "\\". */
	const char *expected;
};

#define BIN(s) s, sizeof(s) - 1

static const struct stream_case stream_cases[] = {
	{ "", 0, 0, "" },
	{ "HELO a\r\n", 0, 0, "<HELO a>" },
	{ "HELO a\n", 0, 0, "<HELO a>L" },
	{ "\r\n", 0, 0, "<>" },
	{ "\n", 0, 0, "<>L" },
	{ "\r\n\n\r\n", 0, 0, "<><>L<>" },
	{ "partial", 0, 0, "~7" },
	{ "abc\r", 0, 0, "~4" },
	{ "done\r\nrest", 0, 0, "<done>~4" },
	/* Pipelined commands: one line per call, in order. */
	{ "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 0, 0,
	    "<MAIL FROM:<a@b>><RCPT TO:<c@d>><DATA>" },
	{ BIN("a\0b\r\n"), 0, "<a\\0b>N" },
	{ BIN("\0\n"), 0, "<\\0>LN" },
	{ "a\rb\r\n", 0, 0, "<a\\rb>R" },
	{ "a\r\r\n", 0, 0, "<a\\r>R" },
	{ "\r\r\n", 0, 0, "<\\r>R" },
	{ "a\rb\n", 0, 0, "<a\\rb>LR" },
	{ "a\\b\r\n", 0, 0, "<a\\\\b>" },
	/* max_length 10 counts the terminator. */
	{ "12345678\r\n", 0, 10, "<12345678>" },
	{ "123456789\r\n", 0, 10, "!" },
	{ "123456789\n", 0, 10, "<123456789>L" },
	{ "1234567890\n", 0, 10, "!" },
	{ "12345678\r\n123456789\r\n12345678\r\n", 0, 10,
	    "<12345678>!<12345678>" },
	/* An overlong line followed by a good one in the same input. */
	{ "123456789012345\r\nQUIT\r\n", 0, 10, "!<QUIT>" },
	{ "123456789012345\r\n\r\n", 0, 10, "!<>" },
	{ "1234567890abcdefghij\r\n1234567890abcdefghij\nok\n", 0, 10,
	    "!!<ok>L" },
	{ "123456789012345", 0, 10, "~D" },
	{ "123456789", 0, 10, "~9" },
	{ "1234567890", 0, 10, "~D" },
	{ "12345678901\r\npart", 0, 10, "!~4" },
	{ "\n", 0, 1, "<>L" },
	{ "a\n", 0, 1, "!" },
	{ "\r\n", 0, 1, "!" },
	{ "\r\n", 0, 2, "<>" },
};

static void
render_line(struct buffer *out, struct string_view line, unsigned flags)
{
	size_t i;
	char c;

	ASSERT(buffer_append(out, "<", 1) == 0);
	for (i = 0; i < line.length; i++) {
		c = line.data[i];
		if (c == '\r')
			ASSERT(buffer_append_string(out, "\\r") == 0);
		else if (c == '\0')
			ASSERT(buffer_append_string(out, "\\0") == 0);
		else if (c == '\\')
			ASSERT(buffer_append_string(out, "\\\\") == 0);
		else
			ASSERT(buffer_append(out, &c, 1) == 0);
	}
	ASSERT(buffer_append(out, ">", 1) == 0);
	if ((flags & LINE_READER_BARE_LF) != 0)
		ASSERT(buffer_append(out, "L", 1) == 0);
	if ((flags & LINE_READER_HAS_NUL) != 0)
		ASSERT(buffer_append(out, "N", 1) == 0);
	if ((flags & LINE_READER_BARE_CR) != 0)
		ASSERT(buffer_append(out, "R", 1) == 0);
}

/* Feeds input in chunks of the given mode, calling line_reader_next until
 * each chunk is used up, and renders the events into out. */
static void
run_stream(const struct stream_case *c, enum trickle_mode mode,
    uint32_t seed, struct buffer *out)
{
	const unsigned char *input = (const unsigned char *)c->input;
	size_t length = c->length != 0 ? c->length : strlen(c->input);
	size_t offset = 0, chunk, position, consumed;
	struct line_reader *reader = line_reader_new(c->max_length);
	struct string_view line;
	unsigned flags;
	uint32_t state = seed;
	int ret;

	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		for (position = 0; position < chunk; position += consumed) {
			ret = line_reader_next(reader, input + offset +
			    position, chunk - position, &consumed, &line,
			    &flags);
			test_assert(consumed <= chunk - position);
			if (ret == 0) {
				test_assert(consumed == chunk - position);
				test_assert(line.length == 0 && flags == 0);
				continue;
			}
			/* A line's last consumed byte is its LF: nothing
			 * after it is touched. */
			test_require(consumed > 0);
			test_assert(input[offset + position + consumed - 1] ==
			    '\n');
			if (ret > 0) {
				test_assert(memchr(line.data, '\n',
				    line.length) == NULL);
				render_line(out, line, flags);
			} else {
				test_assert_int(ret, -1);
				test_assert(line.length == 0 && flags == 0);
				ASSERT(buffer_append(out, "!", 1) == 0);
			}
		}
		offset += chunk;
	}
	if (line_reader_discarding(reader))
		ASSERT(buffer_append_string(out, "~D") == 0);
	else if (line_reader_pending(reader) > 0)
		ASSERT(buffer_printf(out, "~%zu",
		    line_reader_pending(reader)) == 0);
	line_reader_free(&reader);
	test_assert(reader == NULL);
}

static void
test_line_reader_stream_cases(void)
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
				    "case %zu (%s): got \"%s\", want \"%s\"", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out),
				    stream_cases[i].expected);
		}
	}
	buffer_deinit(&out);
}

/* The default limit is 2048 bytes including CRLF: exactly at it passes,
 * one past it fails, and the session is in sync afterwards. */
static void
test_line_reader_default_limit(void)
{
	struct stream_case c;
	struct buffer input, out;
	int mode;

	buffer_init(&input, 0);
	buffer_init(&out, 0);
	memset(buffer_reserve(&input, 2046), 'a', 2046);
	buffer_commit(&input, 2046);
	ASSERT(buffer_append_string(&input, "\r\n") == 0);
	memset(buffer_reserve(&input, 2047), 'b', 2047);
	buffer_commit(&input, 2047);
	ASSERT(buffer_append_string(&input, "\r\nNOOP\r\n") == 0);
	c.input = buffer_string(&input);
	c.length = 0;
	c.max_length = 0;
	for (mode = 0; mode < TRICKLE_MODES; mode++) {
		buffer_reset(&out);
		run_stream(&c, (enum trickle_mode)mode, 99, &out);
		test_assert_int(buffer_length(&out), 2046 + 2 + 1 + 6);
		test_assert(memcmp(buffer_string(&out) + 2048, "!<NOOP>",
		    7) == 0);
	}
	buffer_deinit(&input);
	buffer_deinit(&out);
}

/* A line inside one input comes back in place; one assembled from
 * several inputs comes from the reader and survives the input. */
static void
test_line_reader_views(void)
{
	static const unsigned char whole[] = "EHLO x\r\nDATA\r\nSubject: y\r\n";
	unsigned char first[4] = { 'E', 'H', 'L', 'O' };
	unsigned char second[4] = { ' ', 'y', '\r', '\n' };
	struct line_reader *reader = line_reader_new(0);
	struct string_view line;
	size_t consumed;
	unsigned flags;

	test_assert_int(line_reader_next(reader, whole, sizeof(whole) - 1,
	    &consumed, &line, &flags), 1);
	test_assert_int(consumed, 8);
	test_assert(line.data == (const char *)whole && line.length == 6);
	test_assert_int(line_reader_next(reader, whole + 8,
	    sizeof(whole) - 9, &consumed, &line, NULL), 1);
	/* Bytes after DATA's LF belong to the message: untouched. */
	test_assert_int(consumed, 6);
	test_assert(string_view_equal(line, STRING_VIEW_LITERAL("DATA")));

	test_assert_int(line_reader_next(reader, first, 4, &consumed, &line,
	    &flags), 0);
	test_assert_int(line_reader_pending(reader), 4);
	memset(first, 'X', sizeof(first));
	test_assert_int(line_reader_next(reader, second, 4, &consumed, &line,
	    &flags), 1);
	memset(second, 'X', sizeof(second));
	test_assert(string_view_equal(line, STRING_VIEW_LITERAL("EHLO y")));
	test_assert_int(flags, 0);
	test_assert_int(line_reader_pending(reader), 0);
	line_reader_free(&reader);
	line_reader_free(&reader);
}

static void
test_line_reader_reset(void)
{
	static const unsigned char partial[] = "junk before TLS";
	static const unsigned char overlong[] = "0123456789";
	static const unsigned char line_bytes[] = "EHLO z\r\n";
	struct line_reader *reader = line_reader_new(8);
	struct string_view line;
	size_t consumed;

	test_assert_int(line_reader_next(reader, partial, 4, &consumed,
	    &line, NULL), 0);
	line_reader_reset(reader);
	test_assert_int(line_reader_pending(reader), 0);
	test_assert_int(line_reader_next(reader, overlong,
	    sizeof(overlong) - 1, &consumed, &line, NULL), 0);
	test_assert(line_reader_discarding(reader));
	line_reader_reset(reader);
	test_assert(!line_reader_discarding(reader));
	test_assert_int(line_reader_next(reader, line_bytes,
	    sizeof(line_bytes) - 1, &consumed, &line, NULL), 1);
	test_assert(string_view_equal(line, STRING_VIEW_LITERAL("EHLO z")));
	test_assert_int(line_reader_next(reader, NULL, 0, &consumed, &line,
	    NULL), 0);
	test_assert_int(consumed, 0);
	line_reader_free(&reader);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_line_reader_stream_cases),
		TEST_CASE(test_line_reader_default_limit),
		TEST_CASE(test_line_reader_views),
		TEST_CASE(test_line_reader_reset),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
