/* fuzz_pop3_command.c: libFuzzer target for mailstore/pop3_command: the
 * line reader fed whole and in chunks must give the same lines and
 * errors, lines respect the limit and hold no NUL or LF, and every line
 * splits within the contract (keyword upper-case printable ASCII, at
 * most POP3_COMMAND_ARGUMENTS_MAX arguments kept). */
#include "lib/buffer.h"
#include "mailstore/pop3_command.h"
#include "tests/unit/trickle_input.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_split(const char *line, struct buffer *events)
{
	char copy[POP3_COMMAND_BUFFER_MAX + 1], rest[POP3_COMMAND_BUFFER_MAX + 1];
	struct pop3_command command;
	const char *error;
	unsigned number;
	size_t i;

	snprintf(copy, sizeof(copy), "%s", line);
	if (pop3_command_split(copy, rest, sizeof(rest), &command,
	    &error) < 0) {
		ASSERT(error != NULL && error[0] != '\0');
		ASSERT(buffer_printf(events, "?%s;", error) == 0);
		return;
	}
	ASSERT(command.keyword[0] != '\0');
	ASSERT(strlen(command.keyword) <= POP3_COMMAND_KEYWORD_MAX);
	for (i = 0; command.keyword[i] != '\0'; i++)
		ASSERT(command.keyword[i] > ' ' && command.keyword[i] < 0x7f &&
		    !islower((unsigned char)command.keyword[i]));
	ASSERT(strlen(command.rest) < strlen(line));
	for (i = 0; i < command.argument_count &&
	    i < POP3_COMMAND_ARGUMENTS_MAX; i++) {
		ASSERT(command.arguments[i][0] != '\0');
		ASSERT(strchr(command.arguments[i], ' ') == NULL);
		if (pop3_command_number(command.arguments[i], &number))
			ASSERT(number <= 999999999u);
	}
	ASSERT(buffer_printf(events, "{%s %zu}", command.keyword,
	    command.argument_count) == 0);
}

static void
run(const unsigned char *input, size_t length, size_t line_max,
    uint32_t seed, struct buffer *events)
{
	struct pop3_command_reader *reader = pop3_command_reader_new();
	size_t offset = 0, available = 0, consumed;
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	uint32_t state = seed;
	const char *line, *error;
	int ret;

	while (offset < length) {
		if (available == offset)
			available += trickle_next_chunk(mode, length - offset,
			    &state);
		ret = pop3_command_reader_next(reader, input + offset,
		    available - offset, line_max, &consumed, &line, &error);
		ASSERT(consumed <= available - offset);
		offset += consumed;
		if (ret == 0) {
			ASSERT(offset == available);
			continue;
		}
		ASSERT(input[offset - 1] == '\n');
		if (ret < 0) {
			ASSERT(error != NULL);
			ASSERT(buffer_printf(events, "!%s;", error) == 0);
			continue;
		}
		ASSERT(strlen(line) + 1 <= line_max);
		ASSERT(strchr(line, '\n') == NULL);
		ASSERT(buffer_printf(events, "<%s>", line) == 0);
		check_split(line, events);
	}
	pop3_command_reader_free(&reader);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole, chunked;
	size_t line_max;
	uint32_t seed;

	if (size < 1)
		return 0;
	/* A small limit from the first byte, so the fuzzer reaches it;
	 * 255 means the real one. */
	line_max = data[0] == 255 ? POP3_COMMAND_LINE_MAX : 2 + data[0] % 64;
	seed = (uint32_t)size * 2654435761u | 1;
	buffer_init(&whole, 0);
	buffer_init(&chunked, 0);
	run(data + 1, size - 1, line_max, 0, &whole);
	run(data + 1, size - 1, line_max, seed, &chunked);
	ASSERT(buffer_length(&whole) == buffer_length(&chunked));
	ASSERT(buffer_length(&whole) == 0 || memcmp(buffer_data(&whole),
	    buffer_data(&chunked), buffer_length(&whole)) == 0);
	buffer_deinit(&whole);
	buffer_deinit(&chunked);
	return 0;
}
