/* fuzz_smtp_reply.c: libFuzzer target for lib/smtp_reply. Parsing the
 * same stream whole and in chunks must agree; formatting any text must
 * yield exactly one reply that parses back with the same code. */
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/smtp_reply.h"
#include "tests/unit/trickle_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses input in random chunks drawn from seed (0: all at once) and
 * records the replies and any error in events. */
static void
parse(const unsigned char *input, size_t length, size_t max_line,
    size_t max_lines, uint32_t seed, struct buffer *events)
{
	struct smtp_reply_parser *parser;
	struct smtp_reply reply;
	size_t offset = 0, available = 0, consumed;
	const char *error;
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	uint32_t state = seed;
	int ret;

	parser = smtp_reply_parser_new(max_line, max_lines);
	while (offset < length) {
		if (available == offset)
			available += trickle_next_chunk(mode, length - offset,
			    &state);
		ret = smtp_reply_parser_next(parser, input + offset,
		    available - offset, &consumed, &reply, &error);
		ASSERT(consumed <= available - offset);
		if (ret < 0) {
			ASSERT(buffer_printf(events, "error:%s", error) == 0);
			break;
		}
		if (ret == 0)
			ASSERT(consumed == available - offset);
		else {
			ASSERT(consumed > 0 &&
			    input[offset + consumed - 1] == '\n');
			ASSERT(reply.code >= 200 && reply.code <= 599);
			ASSERT(reply.line_count >= 1 &&
			    (max_lines == 0 || reply.line_count <= max_lines));
			ASSERT(buffer_printf(events, "%u|%s|%zu|%s\n",
			    reply.code, reply.enhanced, reply.line_count,
			    reply.text) == 0);
		}
		offset += consumed;
	}
	smtp_reply_parser_free(&parser);
}

/* Formats data as the text of a reply and parses it back. */
static void
round_trip(const uint8_t *data, size_t size)
{
	static const char *const enhanced[] = { NULL, "2.0.0", "4.7.1",
		"5.1.1" };
	struct smtp_reply_parser *parser;
	struct smtp_reply reply;
	struct buffer out;
	const char *error, *e;
	char *text;
	size_t consumed;
	unsigned code;

	code = 200 + (unsigned)(data[0] % 4) * 100 + data[1] % 100;
	if (code >= 300 && code < 400)
		e = NULL;
	else
		e = enhanced[code / 100 == 2 ? 1 : code / 100 == 4 ? 2 : 3];
	if (data[2] % 2 == 0)
		e = NULL;
	text = alloc_strndup((const char *)data + 3, size - 3);
	buffer_init(&out, 0);
	smtp_reply_append(&out, code, e, text);
	parser = smtp_reply_parser_new(0, buffer_length(&out));
	ASSERT(smtp_reply_parser_next(parser, buffer_data(&out),
	    buffer_length(&out), &consumed, &reply, &error) == 1);
	ASSERT(consumed == buffer_length(&out));
	ASSERT(reply.code == code);
	ASSERT(e == NULL || strcmp(reply.enhanced, e) == 0);
	ASSERT(strchr(reply.text, '\r') == NULL);
	smtp_reply_parser_free(&parser);
	buffer_deinit(&out);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole, pieces;
	size_t max_line, max_lines;

	if (size < 3)
		return 0;
	round_trip(data, size);
	max_line = data[0] % 4 == 0 ? 0 : 4 + data[0] % 60;
	max_lines = data[1] % 8;
	buffer_init(&whole, 0);
	buffer_init(&pieces, 0);
	parse(data + 3, size - 3, max_line, max_lines, 0, &whole);
	parse(data + 3, size - 3, max_line, max_lines, 1u + data[2], &pieces);
	ASSERT(buffer_length(&whole) == buffer_length(&pieces) &&
	    memcmp(buffer_data(&whole), buffer_data(&pieces),
	    buffer_length(&whole)) == 0);
	buffer_deinit(&whole);
	buffer_deinit(&pieces);
	return 0;
}
