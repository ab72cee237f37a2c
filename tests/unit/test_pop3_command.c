/* test_pop3_command.c: unit tests for mailstore/pop3_command: line
 * streams in all trickle modes (line ends, the 512-octet cap and resync,
 * NUL bytes, AUTH's longer limit), command splitting and numbers. */
#include "lib/buffer.h"
#include "mailstore/pop3_command.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct stream_case {
	const char *input;
	size_t length;		/* 0: strlen(input) */
	size_t line_max;	/* 0: POP3_COMMAND_LINE_MAX */
	/* "<line>" per line, "!error;" per refused line, "~" if input
	 * ended inside a line. */
	const char *expected;
};

static char long_line[600];
static char exact_line[POP3_COMMAND_LINE_MAX + 1];

static void
run_stream(const struct stream_case *test, const char *input, size_t length)
{
	size_t line_max = test->line_max != 0 ? test->line_max :
	    POP3_COMMAND_LINE_MAX;

	for (int mode = 0; mode < TRICKLE_MODES; mode++) {
		struct pop3_command_reader *reader = pop3_command_reader_new();
		struct buffer events;
		size_t offset = 0, available = 0, consumed;
		uint32_t state = 12345;
		const char *line, *error;
		int ret = 0;

		buffer_init(&events, 0);
		while (offset < length) {
			if (available == offset)
				available += trickle_next_chunk(mode,
				    length - offset, &state);
			ret = pop3_command_reader_next(reader,
			    (const unsigned char *)input + offset,
			    available - offset, line_max, &consumed, &line,
			    &error);
			test_require(consumed <= available - offset);
			offset += consumed;
			if (ret > 0)
				test_assert(buffer_printf(&events, "<%s>",
				    line) == 0);
			else if (ret < 0)
				test_assert(buffer_printf(&events, "!%s;",
				    error) == 0);
			else
				test_assert(offset == available);
		}
		if (ret == 0 && length > 0)
			test_assert(buffer_append(&events, "~", 1) == 0);
		if (strcmp(buffer_string(&events), test->expected) != 0)
			test_fail(__FILE__, __LINE__, "mode %s input \"%.40s\": "
			    "got \"%.80s\" want \"%.80s\"",
			    trickle_mode_name(mode), input,
			    buffer_string(&events), test->expected);
		buffer_deinit(&events);
		pop3_command_reader_free(&reader);
	}
}

static void
test_streams(void)
{
	static const struct stream_case cases[] = {
		{ "USER a\r\n", 0, 0, "<USER a>" },
		{ "noop\n", 0, 0, "<noop>" },
		{ "STAT", 0, 0, "~" },
		{ "\r\n", 0, 0, "<>" },
		{ "LIST\r\nUIDL 1\r\nQUIT\r\n", 0, 0, "<LIST><UIDL 1><QUIT>" },
		{ "a\rb\r\n", 0, 0, "<a\rb>" },
		{ "NO\0OP\r\nSTAT\r\n", 13, 0, "!NUL in line;<STAT>" },
		{ "0123456789\r\nSTAT\r\n", 0, 8, "!line too long;<STAT>" },
		{ "123456\r\nSTAT\r\n", 0, 8, "<123456><STAT>" },
		{ "1234567\r\nSTAT\r\n", 0, 8, "!line too long;<STAT>" },
		{ "0123456789", 0, 8, "~" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++)
		run_stream(&cases[i], cases[i].input, cases[i].length != 0 ?
		    cases[i].length : strlen(cases[i].input));
}

static void
test_rfc_line_cap(void)
{
	struct stream_case test = { NULL, 0, 0, NULL };
	char input[2048];

	/* 510 characters and CRLF: exactly 512 octets, accepted. */
	memset(exact_line, 'x', POP3_COMMAND_LINE_MAX - 2);
	snprintf(input, sizeof(input), "%s\r\nNOOP\r\n", exact_line);
	{
		char expected[1024];

		snprintf(expected, sizeof(expected), "<%s><NOOP>", exact_line);
		test.expected = expected;
		run_stream(&test, input, strlen(input));
	}
	/* 599 characters: refused once, then in step again. */
	memset(long_line, 'y', sizeof(long_line) - 1);
	snprintf(input, sizeof(input), "%s\r\nNOOP\r\n", long_line);
	test.expected = "!line too long;<NOOP>";
	run_stream(&test, input, strlen(input));
	/* The same line passes the AUTH response limit. */
	test.line_max = POP3_COMMAND_BUFFER_MAX;
	{
		char expected[1024];

		snprintf(expected, sizeof(expected), "<%s><NOOP>", long_line);
		test.expected = expected;
		run_stream(&test, input, strlen(input));
	}
}

static void
test_split(void)
{
	static const struct {
		const char *line;
		int ret;
		const char *keyword, *rest;
		size_t count;
		const char *first, *second;
	} cases[] = {
		{ "user alice@example.org", 1, "USER", "alice@example.org", 1,
		    "alice@example.org", NULL },
		{ "PASS pass with  spaces ", 1, "PASS", "pass with  spaces ", 3,
		    "pass", "with" },
		{ "TOP 1 10", 1, "TOP", "1 10", 2, "1", "10" },
		{ "STAT", 1, "STAT", "", 0, NULL, NULL },
		{ "LIST  2", 1, "LIST", " 2", 1, "2", NULL },
		{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", 1, "AUTH",
		    "PLAIN AGFsaWNlAHNlY3JldA==", 2, "PLAIN",
		    "AGFsaWNlAHNlY3JldA==" },
		{ "A B C D E", 1, "A", "B C D E", 4, "B", "C" },
		{ "", -1, NULL, NULL, 0, NULL, NULL },
		{ " STAT", -1, NULL, NULL, 0, NULL, NULL },
		{ "ST\x01T", -1, NULL, NULL, 0, NULL, NULL },
		{ "caf\xc3\xa9", -1, NULL, NULL, 0, NULL, NULL },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", -1, NULL, NULL,
		    0, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		struct pop3_command command;
		char line[128], rest[128];
		const char *error = NULL;
		int ret;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		ret = pop3_command_split(line, rest, sizeof(rest), &command,
		    &error);
		test_assert_int(ret, cases[i].ret);
		if (ret < 0) {
			test_assert(error != NULL && error[0] != '\0');
			continue;
		}
		test_assert_string(command.keyword, cases[i].keyword);
		test_assert_string(command.rest, cases[i].rest);
		test_assert_int(command.argument_count, cases[i].count);
		if (cases[i].first != NULL)
			test_assert_string(command.arguments[0],
			    cases[i].first);
		if (cases[i].second != NULL)
			test_assert_string(command.arguments[1],
			    cases[i].second);
	}
}

static void
test_number(void)
{
	unsigned number = 7;

	test_assert(pop3_command_number("1", &number) && number == 1);
	test_assert(pop3_command_number("0", &number) && number == 0);
	test_assert(pop3_command_number("123456789", &number) &&
	    number == 123456789);
	test_assert(!pop3_command_number("1234567890", &number));
	test_assert(!pop3_command_number("", &number));
	test_assert(!pop3_command_number("-1", &number));
	test_assert(!pop3_command_number("+1", &number));
	test_assert(!pop3_command_number("1a", &number));
	test_assert(!pop3_command_number(" 1", &number));
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_streams),
		TEST_CASE(test_rfc_line_cap),
		TEST_CASE(test_split),
		TEST_CASE(test_number),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
