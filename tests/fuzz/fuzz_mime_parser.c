/* fuzz_mime_parser.c: libFuzzer target for lib/mime_parser and
 * lib/message. The same input fed whole and in fuzzer-chosen chunks must
 * give the same events and parts; every part must lie inside the input
 * and nest properly; message_parse must hold its contract (slices inside
 * the message, text valid UTF-8). */
#include "lib/buffer.h"
#include "lib/message.h"
#include "lib/mime_decode.h"
#include "lib/mime_parser.h"
#include "tests/unit/trickle_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
record_event(struct buffer *events, const struct mime_parser_event *event)
{
	const struct mime_parser_part *part = event->part;

	ASSERT(buffer_printf(events, "%d:%zu;", (int)event->type,
	    part->index) == 0);
}

static void
run(const unsigned char *input, size_t length,
    const struct mime_parser_limits *limits, uint32_t seed,
    struct buffer *events)
{
	struct arena *arena = arena_new("fuzz", 0);
	struct mime_parser *parser = mime_parser_new(arena, limits);
	struct mime_parser_event event;
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	const struct mime_parser_part *part, *parent;
	size_t offset = 0, chunk, position, consumed, i;
	uint32_t state = seed;

	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		for (position = 0; position < chunk; position += consumed) {
			if (mime_parser_next(parser, input + offset + position,
			    chunk - position, &consumed, &event) == 0) {
				ASSERT(consumed == chunk - position);
				break;
			}
			ASSERT(consumed <= chunk - position);
			record_event(events, &event);
		}
		offset += chunk;
	}
	while (mime_parser_end(parser, &event) == 1)
		record_event(events, &event);
	for (i = 0; i < mime_parser_part_count(parser); i++) {
		part = mime_parser_part(parser, i);
		ASSERT(part->index == i);
		ASSERT(part->header_offset <= part->body_offset);
		ASSERT(part->body_offset <= part->body_end);
		ASSERT(part->body_end <= length);
		ASSERT(part->depth <= (limits->max_depth != 0 ?
		    limits->max_depth : MIME_PARSER_DEFAULT_MAX_DEPTH));
		if (i == 0) {
			ASSERT(part->parent == MIME_PARSER_NO_PARENT);
			continue;
		}
		ASSERT(part->parent < i);
		parent = mime_parser_part(parser, part->parent);
		ASSERT(part->depth == parent->depth + 1);
		ASSERT(parent->kind != MIME_PARSER_LEAF);
		ASSERT(part->header_offset >= parent->body_offset);
		ASSERT(part->body_end <= parent->body_end);
		ASSERT(buffer_printf(events, "%zu:%zu:%zu:%zu:%s/%s:%u;",
		    part->header_offset, part->body_offset, part->body_end,
		    part->parent, part->type, part->subtype, part->flags) ==
		    0);
	}
	mime_parser_free(&parser);
	arena_free(&arena);
}

static void
check_message(const unsigned char *input, size_t length,
    const struct mime_parser_limits *mime_limits)
{
	struct arena *arena = arena_new("fuzz", 0);
	struct message_limits limits;
	const struct message_part *part;
	struct message *message;
	const char *start, *end;
	size_t i;

	memset(&limits, 0, sizeof(limits));
	limits.mime = *mime_limits;
	limits.max_decoded_size = 1 + length % 4096;
	message = message_parse(arena, input, length, &limits);
	ASSERT(message->part_count >= 1);
	start = message->raw.data;
	end = start + message->raw.length;
	for (i = 0; i < message->part_count; i++) {
		part = &message->parts[i];
		ASSERT(part->raw_header.data >= start &&
		    part->raw_header.data + part->raw_header.length <= end);
		ASSERT(part->raw_body.data >= start &&
		    part->raw_body.data + part->raw_body.length <= end);
		ASSERT(part->subtree_end > i &&
		    part->subtree_end <= message->part_count);
		ASSERT(part->decoded.length <= limits.max_decoded_size);
		if (part->is_text)
			ASSERT(mime_decode_utf8_valid(
			    (const unsigned char *)part->text.data,
			    part->text.length));
		ASSERT((part->flags & ~message->flags) == 0);
	}
	arena_free(&arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_parser_limits limits = { 0, 0 };
	struct buffer whole, pieces;

	if (size < 2)
		return 0;
	/* Small limits reach the limit paths often; 0 tests defaults. */
	limits.max_depth = data[0] % 8;
	limits.max_parts = data[1] % 16;
	buffer_init(&whole, 0);
	buffer_init(&pieces, 0);
	run(data + 2, size - 2, &limits, 0, &whole);
	run(data + 2, size - 2, &limits, 1 + data[1], &pieces);
	ASSERT(buffer_length(&whole) == buffer_length(&pieces) &&
	    memcmp(buffer_data(&whole), buffer_data(&pieces),
	    buffer_length(&whole)) == 0);
	check_message(data + 2, size - 2, &limits);
	buffer_deinit(&whole);
	buffer_deinit(&pieces);
	return 0;
}
