/* test_smtp_reply.c: unit tests for lib/smtp_reply: formatting (with the
 * CR/LF injection cases) and the reply parser in all trickle modes. */
#include "lib/buffer.h"
#include "lib/smtp_reply.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct format_case {
	unsigned code;
	const char *enhanced;
	const char *text;
	const char *expected;
};

static const struct format_case format_cases[] = {
	{ 250, NULL, "OK", "250 OK\r\n" },
	{ 250, "2.1.0", "Sender OK", "250 2.1.0 Sender OK\r\n" },
	{ 250, NULL, "a\nb\nc", "250-a\r\n250-b\r\n250 c\r\n" },
	{ 250, "2.0.0", "a\nb", "250-2.0.0 a\r\n250 2.0.0 b\r\n" },
	{ 250, NULL, "a\n", "250 a\r\n" },
	{ 250, NULL, "", "250\r\n" },
	{ 250, NULL, "\n", "250\r\n" },
	{ 250, "2.0.0", "", "250 2.0.0\r\n" },
	{ 250, NULL, "a\n\nb", "250-a\r\n250-\r\n250 b\r\n" },
	{ 250, "2.0.0", "a\n\nb",
	    "250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b\r\n" },
	{ 250, NULL, "a\n\n", "250-a\r\n250\r\n" },
	{ 421, "4.7.0", "too many errors", "421 4.7.0 too many errors\r\n" },
	{ 554, "5.7.1", "tab\tkept", "554 5.7.1 tab\tkept\r\n" },
	/* Nothing but '\n' separates lines, and a line is always ours. */
	{ 550, NULL, "a\rb", "550 a?b\r\n" },
	{ 550, NULL, "a\r\n250 OK", "550-a?\r\n550 250 OK\r\n" },
	{ 550, NULL, "\x01\x1b[2J\x7f", "550 ??[2J?\r\n" },
	{ 550, NULL, "caf\xc3\xa9", "550 caf??\r\n" },
};

static void
test_smtp_reply_format_cases(void)
{
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(format_cases); i++) {
		buffer_reset(&out);
		smtp_reply_append(&out, format_cases[i].code,
		    format_cases[i].enhanced, format_cases[i].text);
		if (strcmp(buffer_string(&out), format_cases[i].expected) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: got \"%s\"",
			    i, buffer_string(&out));
	}
	/* Appending adds to what is there. */
	smtp_reply_appendf(&out, 250, "2.1.5", "<%s> %s %d", "rcpt@example",
	    "ok", 7);
	test_assert_string(buffer_string(&out),
	    "550 caf??\r\n250 2.1.5 <rcpt@example> ok 7\r\n");
	buffer_deinit(&out);
}

/* Checks that out holds exactly one well-formed reply with this code,
 * that every line starts with the code and has no CR except in its
 * CRLF, and returns the parsed text through *reply_r. */
static void
check_single_reply(const struct buffer *out, unsigned code,
    struct smtp_reply_parser *parser, struct smtp_reply *reply_r)
{
	const char *s = buffer_string(out), *line, *crlf;
	const char *error = NULL;
	char code_text[4];
	size_t consumed;

	snprintf(code_text, sizeof(code_text), "%u", code);
	for (line = s; *line != '\0'; line = crlf + 2) {
		crlf = strstr(line, "\r\n");
		test_require(crlf != NULL);
		test_assert(strncmp(line, code_text, 3) == 0);
		test_assert(memchr(line, '\r', (size_t)(crlf - line)) == NULL);
		test_assert(memchr(line, '\n', (size_t)(crlf - line)) == NULL);
		test_assert(crlf - line + 2 <= SMTP_REPLY_LINE_MAX);
	}
	test_assert_int(smtp_reply_parser_next(parser,
	    (const unsigned char *)s, buffer_length(out), &consumed, reply_r,
	    &error), 1);
	test_assert_int(consumed, buffer_length(out));
	test_assert_int(reply_r->code, code);
}

/* Data interpolated into a reply (here a hostile "address") must not be
 * able to end the reply and start another: a client pipelining DATA
 * would otherwise see our forged "354". */
static void
test_smtp_reply_injection(void)
{
	static const char *const hostile[] = {
		"x>\r\n250 2.1.0 OK\r\n354 go ahead",
		"x\r250 forged",
		"x\n250 forged",
		"\r\n\r\n",
		"x\r\n.\r\n",
		"\n",
	};
	struct smtp_reply_parser *parser = smtp_reply_parser_new(0, 0);
	struct smtp_reply reply;
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(hostile); i++) {
		buffer_reset(&out);
		smtp_reply_appendf(&out, 550, "5.1.1", "<%s> unknown",
		    hostile[i]);
		check_single_reply(&out, 550, parser, &reply);
		test_assert_string(reply.enhanced, "5.1.1");
		test_assert(strchr(reply.text, '\r') == NULL);
	}
	buffer_reset(&out);
	smtp_reply_appendf(&out, 550, "5.1.1", "<%s> unknown", hostile[0]);
	test_assert_string(buffer_string(&out),
	    "550-5.1.1 <x>?\r\n550-5.1.1 250 2.1.0 OK?\r\n"
	    "550 5.1.1 354 go ahead> unknown\r\n");
	buffer_deinit(&out);
	smtp_reply_parser_free(&parser);
	test_assert(parser == NULL);
}

static void
test_smtp_reply_long_line(void)
{
	struct smtp_reply_parser *parser = smtp_reply_parser_new(0, 0);
	struct smtp_reply reply;
	struct buffer out;
	char text[700];

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	buffer_init(&out, 0);
	smtp_reply_append(&out, 250, "2.0.0", text);
	test_assert_int(buffer_length(&out), SMTP_REPLY_LINE_MAX);
	test_assert(memcmp(buffer_string(&out) + SMTP_REPLY_LINE_MAX - 5,
	    "...\r\n", 5) == 0);
	check_single_reply(&out, 250, parser, &reply);
	/* A line that just fits is left alone. */
	buffer_reset(&out);
	text[SMTP_REPLY_LINE_MAX - 2 - 4] = '\0';
	smtp_reply_append(&out, 250, NULL, text);
	test_assert_int(buffer_length(&out), SMTP_REPLY_LINE_MAX);
	test_assert(strstr(buffer_string(&out), "...") == NULL);
	buffer_deinit(&out);
	smtp_reply_parser_free(&parser);
}

struct parse_case {
	const char *input;
	size_t length;		/* 0: strlen(input) */
	size_t max_line;
	size_t max_lines;
	/* "[code|enhanced|text|lines]" per reply, '\n' in text shown as
	 * "/"; "E:reason" for an error (the stream then stops). */
	const char *expected;
};

static const struct parse_case parse_cases[] = {
	{ "", 0, 0, 0, "" },
	{ "250 OK\r\n", 0, 0, 0, "[250||OK|1]" },
	{ "250 OK\n", 0, 0, 0, "[250||OK|1]" },
	{ "250-a\r\n250-b\r\n250 c\r\n", 0, 0, 0, "[250||a/b/c|3]" },
	{ "250-2.0.0 a\r\n250 2.0.0 b\r\n", 0, 0, 0, "[250|2.0.0|a/b|2]" },
	{ "250-2.1.0 a\r\n250 b\r\n", 0, 0, 0, "[250|2.1.0|a/b|2]" },
	{ "250 2.0.0\r\n", 0, 0, 0, "[250|2.0.0||1]" },
	{ "250 2.1.0  two\r\n", 0, 0, 0, "[250|2.1.0| two|1]" },
	{ "250\r\n", 0, 0, 0, "[250|||1]" },
	{ "250-\r\n250 x\r\n", 0, 0, 0, "[250||/x|2]" },
	{ "550 2.0.0 odd\r\n", 0, 0, 0, "[550||2.0.0 odd|1]" },
	{ "550 5.1.10x\r\n", 0, 0, 0, "[550||5.1.10x|1]" },
	{ "451 4.3.0 try later\r\n", 0, 0, 0, "[451|4.3.0|try later|1]" },
	{ "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
	    "354 go\r\n", 0, 0, 0,
	    "[220||mx ESMTP|1][250||mx/PIPELINING/SIZE 100|3][354||go|1]" },
	{ "250 a\r\n250 b", 0, 0, 0, "[250||a|1]" },
	{ "250-a\r\n250 b", 0, 0, 0, "" },
	{ "25O OK\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "250_x\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "2500\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "650 x\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "150 x\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "25\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "\r\n", 0, 0, 0, "E:malformed reply code" },
	{ "250-a\r\n251 b\r\n", 0, 0, 0, "E:inconsistent reply codes" },
	{ "250 a\0b\r\n", 9, 0, 0, "E:NUL in reply" },
	{ "250 OK\r\n250 a\0b\r\n250 c\r\n", 24, 0, 0,
	    "[250||OK|1]E:NUL in reply" },
	/* max_line 20 counts the CRLF. */
	{ "250 456789012345678\r\n", 0, 20, 0, "E:reply line too long" },
	{ "250 45678901234567\r\n", 0, 20, 0, "[250||45678901234567|1]" },
	{ "250 4567890123456789012345", 0, 20, 0, "E:reply line too long" },
	{ "250 456789012345678", 0, 20, 0, "" },
	{ "250-a\r\n250-b\r\n250 c\r\n", 0, 0, 3, "[250||a/b/c|3]" },
	{ "250-a\r\n250-b\r\n250-c\r\n250 d\r\n", 0, 0, 3,
	    "E:too many reply lines" },
};

static void
render_reply(struct buffer *out, const struct smtp_reply *reply)
{
	const char *p;

	ASSERT(buffer_printf(out, "[%u|%s|", reply->code,
	    reply->enhanced) == 0);
	for (p = reply->text; *p != '\0'; p++)
		ASSERT(buffer_append(out, *p == '\n' ? "/" : p, 1) == 0);
	ASSERT(buffer_printf(out, "|%zu]", reply->line_count) == 0);
}

/* Feeds a case in chunks; returns true if the parser failed. */
static bool
run_parse(const struct parse_case *c, enum trickle_mode mode,
    struct smtp_reply_parser *parser, struct buffer *out)
{
	const unsigned char *input = (const unsigned char *)c->input;
	size_t length = c->length != 0 ? c->length : strlen(c->input);
	size_t offset = 0, position, chunk, consumed;
	struct smtp_reply reply;
	const char *error;
	uint32_t state = (uint32_t)length * 31u + 1;
	int ret;

	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		for (position = 0; position < chunk; position += consumed) {
			ret = smtp_reply_parser_next(parser, input + offset +
			    position, chunk - position, &consumed, &reply,
			    &error);
			test_assert(consumed <= chunk - position);
			if (ret < 0) {
				ASSERT(buffer_printf(out, "E:%s", error) == 0);
				return true;
			}
			if (ret == 0)
				test_assert(consumed == chunk - position);
			else {
				test_assert(input[offset + position +
				    consumed - 1] == '\n');
				render_reply(out, &reply);
			}
		}
		offset += chunk;
	}
	return false;
}

static void
test_smtp_reply_parse_cases(void)
{
	struct smtp_reply_parser *parser;
	struct smtp_reply reply;
	struct buffer out;
	const char *error;
	size_t i, consumed;
	int mode;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(parse_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			parser = smtp_reply_parser_new(parse_cases[i].max_line,
			    parse_cases[i].max_lines);
			buffer_reset(&out);
			if (run_parse(&parse_cases[i], (enum trickle_mode)mode,
			    parser, &out)) {
				/* Out of sync for good. */
				error = NULL;
				test_assert_int(smtp_reply_parser_next(parser,
				    (const unsigned char *)"250 OK\r\n", 8,
				    &consumed, &reply, &error), -1);
				test_assert(error != NULL && consumed == 0);
			}
			if (strcmp(buffer_string(&out),
			    parse_cases[i].expected) != 0)
				test_fail(__FILE__, __LINE__,
				    "case %zu (%s): got \"%s\"", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out));
			smtp_reply_parser_free(&parser);
		}
	}
	buffer_deinit(&out);
}

/* Whatever we format, the parser reads back as the same reply. */
static void
test_smtp_reply_round_trip(void)
{
	static const struct format_case cases[] = {
		{ 250, "2.0.0", "one\ntwo\nthree", "one\ntwo\nthree" },
		{ 220, NULL, "mx.example ESMTP", "mx.example ESMTP" },
		{ 552, "5.3.4", "too big\n", "too big" },
		{ 250, NULL, "x\n\ny", "x\n\ny" },
	};
	struct smtp_reply_parser *parser = smtp_reply_parser_new(0, 0);
	struct smtp_reply reply;
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		buffer_reset(&out);
		smtp_reply_append(&out, cases[i].code, cases[i].enhanced,
		    cases[i].text);
		check_single_reply(&out, cases[i].code, parser, &reply);
		test_assert_string(reply.enhanced, cases[i].enhanced != NULL ?
		    cases[i].enhanced : "");
		test_assert_string(reply.text, cases[i].expected);
	}
	buffer_deinit(&out);
	smtp_reply_parser_free(&parser);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_reply_format_cases),
		TEST_CASE(test_smtp_reply_injection),
		TEST_CASE(test_smtp_reply_long_line),
		TEST_CASE(test_smtp_reply_parse_cases),
		TEST_CASE(test_smtp_reply_round_trip),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
