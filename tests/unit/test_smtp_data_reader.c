/* test_smtp_data_reader.c: unit tests for lib/smtp_data_reader: the end of
 * data (smuggling cases), unstuffing, flags, counts and the size cap. */
#include "lib/smtp_data_reader.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

#define BYTES(s) (const unsigned char *)(s), sizeof(s) - 1

#define TOO_BIG SMTP_DATA_READER_TOO_BIG
#define BARE_LF SMTP_DATA_READER_BARE_LF
#define BARE_CR SMTP_DATA_READER_BARE_CR
#define NUL SMTP_DATA_READER_NUL
#define EIGHT_BIT SMTP_DATA_READER_8BIT
#define LONG_LINE SMTP_DATA_READER_LONG_LINE

/* What one run of the reader over an input produced. */
struct reader_result {
	int ret;
	size_t consumed;
	unsigned int flags;
	uint64_t size;
	uint64_t lines;
	uint64_t header_length;
};

struct reader_case {
	const char *name;
	const unsigned char *input;
	size_t input_length;
	uint64_t max_message_size;
	const unsigned char *output;
	size_t output_length;
	struct reader_result expect; /* consumed 0 means all of the input */
};

/* Feeds input in chunks chosen by mode; out receives the message. */
static struct reader_result
run_reader(const unsigned char *input, size_t length, uint64_t max,
    enum trickle_mode mode, size_t chunk_max, struct buffer *out)
{
	struct smtp_data_reader_limits limits = { .max_message_size = max };
	struct smtp_data_reader *reader;
	struct reader_result result = { 0 };
	uint32_t seed = 12345;
	size_t offset = 0, chunk, consumed;

	reader = smtp_data_reader_new(&limits, out);
	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &seed);
		if (mode == TRICKLE_WHOLE && chunk_max != 0)
			chunk = MIN(length - offset, chunk_max);
		result.ret = smtp_data_reader_feed(reader, input + offset,
		    chunk, &consumed);
		test_assert(consumed <= chunk);
		offset += consumed;
		if (result.ret == 1)
			break;
		test_assert_int(consumed, chunk);
	}
	if (result.ret == 1) {
		/* Done is sticky and takes nothing more. */
		test_assert_int(smtp_data_reader_feed(reader, BYTES("QUIT\r\n"),
		    &consumed), 1);
		test_assert_int(consumed, 0);
	}
	result.consumed = offset;
	result.flags = smtp_data_reader_flags(reader);
	result.size = smtp_data_reader_size(reader);
	result.lines = smtp_data_reader_lines(reader);
	result.header_length = smtp_data_reader_header_length(reader);
	smtp_data_reader_free(&reader);
	test_assert(reader == NULL);
	return result;
}

static void
check_result(const char *name, enum trickle_mode mode,
    const struct reader_result *got, const struct reader_result *want,
    const struct buffer *out, const unsigned char *output,
    size_t output_length)
{
	bool same_output = buffer_length(out) == output_length &&
	    (output_length == 0 ||
	    memcmp(buffer_data(out), output, output_length) == 0);

	if (got->ret == want->ret && got->consumed == want->consumed &&
	    got->flags == want->flags && got->size == want->size &&
	    got->lines == want->lines &&
	    got->header_length == want->header_length && same_output)
		return;
	test_fail(__FILE__, __LINE__,
	    "%s (%s): ret %d/%d consumed %zu/%zu flags %#x/%#x size "
	    "%llu/%llu lines %llu/%llu header %llu/%llu output %s",
	    name, trickle_mode_name(mode), got->ret, want->ret, got->consumed,
	    want->consumed, got->flags, want->flags,
	    (unsigned long long)got->size, (unsigned long long)want->size,
	    (unsigned long long)got->lines, (unsigned long long)want->lines,
	    (unsigned long long)got->header_length,
	    (unsigned long long)want->header_length,
	    same_output ? "same" : "differs");
}

/* Runs one expectation through all three trickle modes. */
static void
check_all_modes(const char *name, const unsigned char *input, size_t length,
    uint64_t max, const unsigned char *output, size_t output_length,
    const struct reader_result *want)
{
	struct reader_result got;
	struct buffer out;
	int mode;

	for (mode = 0; mode < TRICKLE_MODES; mode++) {
		buffer_init(&out, 0);
		got = run_reader(input, length, max, (enum trickle_mode)mode, 0,
		    &out);
		check_result(name, (enum trickle_mode)mode, &got, want, &out,
		    output, output_length);
		buffer_deinit(&out);
	}
}

static const struct reader_case reader_cases[] = {
	{ "empty message", BYTES(".\r\n"), 0, BYTES(""),
	    { 1, 3, 0, 0, 0, 0 } },
	{ "empty line only", BYTES("\r\n.\r\n"), 0, BYTES("\r\n"),
	    { 1, 5, 0, 2, 1, 2 } },
	{ "simple", BYTES("Subject: hi\r\n\r\nbody\r\n.\r\n"), 0,
	    BYTES("Subject: hi\r\n\r\nbody\r\n"), { 1, 24, 0, 21, 3, 15 } },
	{ "dot-stuffed", BYTES("..x\r\n..\r\n...\r\n.\r\n"), 0,
	    BYTES(".x\r\n.\r\n..\r\n"), { 1, 17, 0, 11, 3, 0 } },
	{ "lone leading dot is dropped", BYTES(".x\r\n.\r\n"), 0,
	    BYTES("x\r\n"), { 1, 7, 0, 3, 1, 0 } },
	{ "dot inside a line stays", BYTES("a.\r\n. .\r\n.\r\n"), 0,
	    BYTES("a.\r\n .\r\n"), { 1, 12, 0, 8, 2, 0 } },
	{ "smuggling LF dot CRLF", BYTES("a\n.\r\nMAIL FROM:<x@y>\r\n"), 0,
	    BYTES("a\n.\r\nMAIL FROM:<x@y>\r\n"),
	    { 0, 0, BARE_LF, 22, 2, 0 } },
	{ "smuggling LF dot CRLF then real end",
	    BYTES("a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n"), 0,
	    BYTES("a\n.\r\nMAIL FROM:<x@y>\r\n"),
	    { 1, 25, BARE_LF, 22, 2, 0 } },
	{ "smuggling CRLF dot LF", BYTES("a\r\n.\nMAIL FROM:<x@y>\r\n"), 0,
	    BYTES("a\r\n\nMAIL FROM:<x@y>\r\n"),
	    { 0, 0, BARE_LF, 21, 2, 0 } },
	{ "smuggling LF dot LF", BYTES("a\n.\nRCPT TO:<x@y>\r\n"), 0,
	    BYTES("a\n.\nRCPT TO:<x@y>\r\n"), { 0, 0, BARE_LF, 19, 1, 0 } },
	{ "smuggling CR dot CRLF", BYTES("a\r.\r\nDATA\r\n"), 0,
	    BYTES("a\r.\r\nDATA\r\n"), { 0, 0, BARE_CR, 11, 2, 0 } },
	{ "smuggling dot CR CR LF", BYTES("a\r\n.\r\r\nQUIT\r\n"), 0,
	    BYTES("a\r\n\r\r\nQUIT\r\n"), { 0, 0, BARE_CR, 12, 3, 0 } },
	{ "smuggling LF dot CRLF at the start", BYTES("\n.\r\nQUIT\r\n"), 0,
	    BYTES("\n.\r\nQUIT\r\n"), { 0, 0, BARE_LF, 10, 2, 0 } },
	{ "end after bare-LF lines", BYTES("x\ny\n\r\n.\r\nQUIT\r\n"), 0,
	    BYTES("x\ny\n\r\n"), { 1, 9, BARE_LF, 6, 1, 0 } },
	{ "pipelined commands stay unconsumed",
	    BYTES("hi\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"), 0,
	    BYTES("hi\r\n"), { 1, 7, 0, 4, 1, 0 } },
	{ "pipelined dot line stays unconsumed", BYTES("hi\r\n.\r\n.\r\n"), 0,
	    BYTES("hi\r\n"), { 1, 7, 0, 4, 1, 0 } },
	{ "incomplete: held dot", BYTES("a\r\n."), 0, BYTES("a\r\n"),
	    { 0, 0, 0, 3, 1, 0 } },
	{ "incomplete: held dot CR", BYTES("a\r\n.\r"), 0, BYTES("a\r\n"),
	    { 0, 0, 0, 3, 1, 0 } },
	{ "incomplete: trailing CR", BYTES("a\r\nb\r"), 0, BYTES("a\r\nb\r"),
	    { 0, 0, 0, 5, 1, 0 } },
	{ "size one below the cap", BYTES("1234567\r\n.\r\n"), 10,
	    BYTES("1234567\r\n"), { 1, 12, 0, 9, 1, 0 } },
	{ "size exactly at the cap", BYTES("12345678\r\n.\r\n"), 10,
	    BYTES("12345678\r\n"), { 1, 13, 0, 10, 1, 0 } },
	{ "size one above the cap", BYTES("123456789\r\n.\r\n"), 10,
	    BYTES("123456789\r"), { 1, 14, TOO_BIG, 11, 1, 0 } },
	{ "cap counts unstuffed octets", BYTES("..2345678\r\n.\r\n"), 10,
	    BYTES(".2345678\r\n"), { 1, 14, 0, 10, 1, 0 } },
	{ "far past the cap still finds the end",
	    BYTES("ab\r\n\r\ncdefgh\r\nij\r\n..\r\n.\r\nQUIT\r\n"), 8,
	    BYTES("ab\r\n\r\ncd"), { 1, 25, TOO_BIG, 21, 5, 6 } },
	{ "header end past the cap", BYTES("ab\r\ncd\r\n\r\nx\r\n.\r\n"), 5,
	    BYTES("ab\r\nc"), { 1, 16, TOO_BIG, 13, 4, 0 } },
	{ "bare CR", BYTES("a\rb\r\n.\r\n"), 0, BYTES("a\rb\r\n"),
	    { 1, 8, BARE_CR, 5, 1, 0 } },
	{ "bare CR before CRLF", BYTES("a\r\r\n.\r\n"), 0, BYTES("a\r\r\n"),
	    { 1, 7, BARE_CR, 4, 1, 0 } },
	{ "bare LF", BYTES("a\nb\r\n.\r\n"), 0, BYTES("a\nb\r\n"),
	    { 1, 8, BARE_LF, 5, 1, 0 } },
	{ "NUL", BYTES("a\0b\r\n.\r\n"), 0, BYTES("a\0b\r\n"),
	    { 1, 8, NUL, 5, 1, 0 } },
	{ "8-bit", BYTES("caf\xc3\xa9\r\n.\r\n"), 0, BYTES("caf\xc3\xa9\r\n"),
	    { 1, 10, EIGHT_BIT, 7, 1, 0 } },
	{ "header only", BYTES("A: b\r\n\r\n.\r\n"), 0, BYTES("A: b\r\n\r\n"),
	    { 1, 11, 0, 8, 2, 8 } },
	{ "header and body", BYTES("A: b\r\nC: d\r\n\r\nx\r\n\r\ny\r\n.\r\n"),
	    0, BYTES("A: b\r\nC: d\r\n\r\nx\r\n\r\ny\r\n"),
	    { 1, 25, 0, 22, 6, 14 } },
	{ "no header", BYTES("\r\nbody\r\n.\r\n"), 0, BYTES("\r\nbody\r\n"),
	    { 1, 11, 0, 8, 2, 2 } },
	{ "no empty line", BYTES("A: b\r\nbody\r\n.\r\n"), 0,
	    BYTES("A: b\r\nbody\r\n"), { 1, 15, 0, 12, 2, 0 } },
	{ "bare LF does not end the header", BYTES("A: b\n\nx\r\n.\r\n"), 0,
	    BYTES("A: b\n\nx\r\n"), { 1, 12, BARE_LF, 9, 1, 0 } },
	{ "stuffed dot line is not empty", BYTES("A: b\r\n..\r\n\r\n.\r\n"),
	    0, BYTES("A: b\r\n.\r\n\r\n"), { 1, 15, 0, 11, 3, 11 } },
};

static void
test_smtp_data_reader_table(void)
{
	const struct reader_case *c;
	struct reader_result want;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(reader_cases); i++) {
		c = &reader_cases[i];
		want = c->expect;
		if (want.consumed == 0)
			want.consumed = c->input_length;
		check_all_modes(c->name, c->input, c->input_length,
		    c->max_message_size, c->output, c->output_length, &want);
	}
}

/* A line of length octets of 'x', optionally dot-stuffed, then the end. */
static void
check_line_length(size_t length, bool stuffed, unsigned int flags)
{
	struct buffer input, output;
	struct reader_result want = { 1, 0, flags, length + 2, 1, 0 };
	size_t i;

	buffer_init(&input, 0);
	buffer_init(&output, 0);
	if (stuffed)
		test_assert_int(buffer_append(&input, "..", 2), 0);
	for (i = stuffed ? 1 : 0; i < length; i++)
		test_assert_int(buffer_append(&input, "x", 1), 0);
	test_assert_int(buffer_append_string(&input, "\r\n.\r\n"), 0);
	test_assert_int(buffer_append(&output, buffer_data(&input) +
	    (stuffed ? 1 : 0), length + 2), 0);
	want.consumed = buffer_length(&input);
	check_all_modes("long line", buffer_data(&input),
	    buffer_length(&input), 0, buffer_data(&output),
	    buffer_length(&output), &want);
	buffer_deinit(&input);
	buffer_deinit(&output);
}

static void
test_smtp_data_reader_long_line(void)
{
	check_line_length(998, false, 0);
	check_line_length(999, false, LONG_LINE);
	/* 999 octets on the wire, 998 in the message. */
	check_line_length(998, true, 0);
	check_line_length(999, true, LONG_LINE);
	check_line_length(5000, false, LONG_LINE);
}

/* The reader appends; it never looks at what out held before, and the
 * caller may drain out between feeds. */
static void
test_smtp_data_reader_drained_output(void)
{
	struct smtp_data_reader_limits limits = { .max_message_size = 12 };
	struct smtp_data_reader *reader;
	struct buffer out;
	size_t consumed;

	buffer_init(&out, 0);
	test_assert_int(buffer_append_string(&out, "Received: x\r\n"), 0);
	reader = smtp_data_reader_new(&limits, &out);
	test_assert_int(smtp_data_reader_feed(reader, BYTES("A: b\r\n\r\n"),
	    &consumed), 0);
	test_assert_string(buffer_string(&out), "Received: x\r\nA: b\r\n\r\n");
	buffer_reset(&out);
	test_assert_int(smtp_data_reader_feed(reader,
	    BYTES("body\r\n.\r\nQUIT"), &consumed), 1);
	test_assert_int(consumed, 9);
	test_assert_string(buffer_string(&out), "body");
	test_assert_int(smtp_data_reader_flags(reader), TOO_BIG);
	test_assert_int(smtp_data_reader_size(reader), 14);
	test_assert_int(smtp_data_reader_header_length(reader), 8);
	smtp_data_reader_free(&reader);
	smtp_data_reader_free(&reader);
	buffer_deinit(&out);
}

/* An out with a smaller cap of its own reads as too big, never as a
 * failure, and the end is still found. */
static void
test_smtp_data_reader_output_cap(void)
{
	struct smtp_data_reader *reader;
	struct buffer out;
	size_t consumed;

	buffer_init(&out, 4);
	reader = smtp_data_reader_new(NULL, &out);
	test_assert_int(smtp_data_reader_feed(reader, BYTES("ab\r\n"),
	    &consumed), 0);
	test_assert_int(smtp_data_reader_feed(reader, BYTES("cd\r\n.\r\n"),
	    &consumed), 1);
	test_assert_int(consumed, 7);
	test_assert_string(buffer_string(&out), "ab\r\n");
	test_assert_int(smtp_data_reader_flags(reader), TOO_BIG);
	test_assert_int(smtp_data_reader_size(reader), 8);
	test_assert_int(smtp_data_reader_lines(reader), 2);
	smtp_data_reader_free(&reader);
	buffer_deinit(&out);
}

/* The reference: the end, unstuffing, flags and counts computed from the
 * whole input at once, the way the RFC words them, with none of the
 * reader's state machine. */
static void
reference_reader(const unsigned char *in, size_t n, uint64_t max,
    struct buffer *out, struct reader_result *result)
{
	struct buffer message;
	const unsigned char *m;
	size_t end = n, i, line_length = 0;
	bool line_start;

	memset(result, 0, sizeof(*result));
	result->consumed = n;
	for (i = 0; i + 3 <= n; i++) {
		if ((i == 0 || (i >= 2 && in[i - 2] == '\r' &&
		    in[i - 1] == '\n')) && memcmp(in + i, ".\r\n", 3) == 0) {
			end = i;
			result->ret = 1;
			result->consumed = i + 3;
			break;
		}
	}
	buffer_init(&message, 0);
	for (i = 0; i < end; i++) {
		line_start = i == 0 || (i >= 2 && in[i - 2] == '\r' &&
		    in[i - 1] == '\n');
		if (line_start && in[i] == '.') {
			/* An unfinished ".\r" may still be the end. */
			if (result->ret == 0 && i + 2 == end &&
			    in[i + 1] == '\r')
				break;
			continue;
		}
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			result->flags |= BARE_LF;
		if (in[i] == '\r' && i + 1 < end && in[i + 1] != '\n')
			result->flags |= BARE_CR;
		if (in[i] == '\0')
			result->flags |= NUL;
		if (in[i] >= 0x80)
			result->flags |= EIGHT_BIT;
		test_assert_int(buffer_append(&message, in + i, 1), 0);
	}
	m = buffer_data(&message);
	for (i = 0; i < buffer_length(&message); i++) {
		if (i + 1 < buffer_length(&message) && m[i] == '\r' &&
		    m[i + 1] == '\n') {
			result->lines++;
			if (line_length == 0 && result->header_length == 0 &&
			    (i == 0 || m[i - 1] == '\n'))
				result->header_length = i + 2;
			line_length = 0;
			i++;
			continue;
		}
		if (++line_length > SMTP_DATA_READER_LINE_MAX)
			result->flags |= LONG_LINE;
	}
	result->size = buffer_length(&message);
	if (max != 0 && result->size > max)
		result->flags |= TOO_BIG;
	if (max != 0 && result->header_length > max)
		result->header_length = 0;
	test_assert_int(buffer_append(out, m, max != 0 &&
	    result->size > max ? max : result->size), 0);
	buffer_deinit(&message);
}

/* xorshift32, so the inputs are the same on every run. */
static uint32_t
next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Short inputs over the octets that matter, checked against the
 * reference in every trickle mode. */
static void
test_smtp_data_reader_against_reference(void)
{
	static const unsigned char alphabet[] = {
		'\r', '\n', '.', '\r', '\n', '.', 'a', '\0', 0xe9,
	};
	unsigned char input[48];
	char name[64];
	struct buffer expected;
	struct reader_result want;
	uint32_t seed = 99;
	size_t length, i;
	uint64_t max;
	int round;

	for (round = 0; round < 3000 && !test_case_failed(); round++) {
		length = next_random(&seed) % (sizeof(input) + 1);
		for (i = 0; i < length; i++)
			input[i] = alphabet[next_random(&seed) %
			    ARRAY_LENGTH(alphabet)];
		max = round % 3 == 0 ? 0 : 1 + next_random(&seed) % 16;
		buffer_init(&expected, 0);
		reference_reader(input, length, max, &expected, &want);
		snprintf(name, sizeof(name), "random round %d", round);
		check_all_modes(name, input, length, max,
		    buffer_data(&expected), buffer_length(&expected), &want);
		buffer_deinit(&expected);
	}
}

/* Dot-stuffs message (whole CR LF lines) into wire. */
static void
stuff_lines(const struct buffer *message, struct buffer *wire)
{
	const unsigned char *p = buffer_data(message);
	const unsigned char *end = p + buffer_length(message);
	const unsigned char *eol;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end - 1;
		if (*p == '.')
			test_assert_int(buffer_append(wire, ".", 1), 0);
		test_assert_int(buffer_append(wire, p, (size_t)(eol + 1 - p)),
		    0);
		p = eol + 1;
	}
}

/* 4 MiB of mixed lines in 64 KiB reads comes back exactly. */
static void
test_smtp_data_reader_bulk(void)
{
	struct buffer input, expected, out;
	struct reader_result got, want = { 0 };
	size_t line_number;

	buffer_init(&input, 0);
	buffer_init(&expected, 0);
	buffer_init(&out, 0);
	test_assert_int(buffer_append_string(&expected,
	    "Subject: bulk\r\n\r\n"), 0);
	want.lines = 2;
	for (line_number = 0; buffer_length(&expected) < 4u << 20;
	    line_number++) {
		if (line_number % 13 == 0)
			test_assert_int(buffer_append(&expected, ".", 1), 0);
		test_assert_int(buffer_printf(&expected, "%0*zu\r\n",
		    (int)(line_number % 97) + 1, line_number), 0);
		want.lines++;
	}
	stuff_lines(&expected, &input);
	test_assert_int(buffer_append_string(&input, ".\r\nQUIT\r\n"), 0);
	want.ret = 1;
	want.consumed = buffer_length(&input) - 6;
	want.size = buffer_length(&expected);
	want.header_length = 17;
	got = run_reader(buffer_data(&input), buffer_length(&input), 0,
	    TRICKLE_WHOLE, 64 << 10, &out);
	check_result("bulk", TRICKLE_WHOLE, &got, &want, &out,
	    buffer_data(&expected), buffer_length(&expected));
	buffer_deinit(&out);
	buffer_deinit(&input);
	buffer_deinit(&expected);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_data_reader_table),
		TEST_CASE(test_smtp_data_reader_long_line),
		TEST_CASE(test_smtp_data_reader_drained_output),
		TEST_CASE(test_smtp_data_reader_output_cap),
		TEST_CASE(test_smtp_data_reader_against_reference),
		TEST_CASE(test_smtp_data_reader_bulk),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
