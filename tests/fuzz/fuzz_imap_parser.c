/* fuzz_imap_parser.c: libFuzzer target for mailstore/imap_parser, with
 * imap_sequence and imap_fetch_items on every argument it returns. The
 * same stream fed whole and in chunks must give the same events, and
 * results must respect the contracts (limits, tree shape, sorted sets). */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "mailstore/imap_fetch_items.h"
#include "mailstore/imap_parser.h"
#include "mailstore/imap_sequence.h"
#include "tests/unit/trickle_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_sequence(struct arena *arena, const char *text)
{
	static const uint32_t existing[] = { 1, 2, 5, 9, 4294967295u };
	struct imap_sequence_set *set, *again;
	uint32_t *numbers;
	const char *error, *formatted;
	size_t i, count;

	if (imap_sequence_parse(text, arena, &set, &error) < 0) {
		ASSERT(error != NULL && error[0] != '\0');
		return;
	}
	ASSERT(set->range_count <= IMAP_SEQUENCE_RANGES_MAX);
	for (i = 0; i < set->range_count; i++) {
		ASSERT(set->ranges[i].first != 0);
		ASSERT(set->ranges[i].first <= set->ranges[i].last);
		ASSERT(i == 0 || set->ranges[i].first >
		    set->ranges[i - 1].last + 1);
	}
	ASSERT(set->star_low <= set->star_high);
	imap_sequence_select(set, existing, ARRAY_LENGTH(existing), 0, arena,
	    &numbers, &count);
	for (i = 0; i < count; i++)
		ASSERT(imap_sequence_contains(set, numbers[i], 4294967295u));
	/* Formatting the selection parses back to the same selection. */
	formatted = imap_sequence_format(arena, numbers, count);
	if (count == 0)
		return;
	ASSERT(imap_sequence_parse(formatted, arena, &again, &error) == 0);
	ASSERT(!again->has_star);
	for (i = 0; i < ARRAY_LENGTH(existing); i++)
		ASSERT(imap_sequence_contains(again, existing[i], 1) ==
		    imap_sequence_contains(set, existing[i], 4294967295u));
}

static void
check_arg(struct arena *arena, const struct imap_arg *arg, unsigned depth,
    const struct imap_parser_limits *limits, struct buffer *events)
{
	struct imap_fetch_items *items;
	const char *error;
	size_t i;

	ASSERT(depth <= limits->depth_max);
	if (imap_fetch_items_parse(arg, arena, &items, &error) == 0) {
		ASSERT(items->body_count == 0 || items->bodies != NULL);
		for (i = 0; i < items->body_count; i++)
			ASSERT(items->bodies[i].section != NULL &&
			    (!items->bodies[i].partial ||
			    items->bodies[i].count > 0));
	}
	switch (arg->type) {
	case IMAP_ARG_ATOM:
		ASSERT(arg->length > 0 && strlen(arg->text) == arg->length);
		check_sequence(arena, arg->text);
		break;
	case IMAP_ARG_STRING:
		ASSERT(strlen(arg->text) == arg->length);
		check_sequence(arena, arg->text);
		break;
	case IMAP_ARG_LITERAL:
		ASSERT(arg->length <= limits->literal_max);
		ASSERT(arg->text[arg->length] == '\0');
		break;
	case IMAP_ARG_NIL:
		ASSERT(arg->text == NULL);
		break;
	case IMAP_ARG_LIST:
		ASSERT(arg->list_count <= limits->list_max);
		ASSERT((arg->list == NULL) == (arg->list_count == 0));
		ASSERT(buffer_printf(events, "(%zu", arg->list_count) == 0);
		for (i = 0; i < arg->list_count; i++)
			check_arg(arena, &arg->list[i], depth + 1, limits,
			    events);
		ASSERT(buffer_append(events, ")", 1) == 0);
		return;
	}
	ASSERT(buffer_printf(events, "%d:%zu:", (int)arg->type, arg->length)
	    == 0);
	if (arg->text != NULL)
		ASSERT(buffer_append(events, arg->text, arg->length) == 0);
}

/* Feeds input in chunks drawn from seed (0: all at once), answering
 * literals as refuse says, and records every result in events. */
static void
run(const unsigned char *input, size_t length,
    const struct imap_parser_limits *limits, bool refuse, uint32_t seed,
    struct buffer *events)
{
	struct imap_parser *parser = imap_parser_new(limits);
	struct imap_command *command;
	struct arena *arena;
	const char *tag, *error;
	size_t offset = 0, available = 0, consumed, i;
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	uint32_t state = seed;
	bool continuation;
	int ret;

	arena = arena_new("fuzz", 0);
	while (offset < length) {
		if (available == offset)
			available += trickle_next_chunk(mode, length - offset,
			    &state);
		ret = imap_parser_next(parser, input + offset,
		    available - offset, &consumed, arena, &command,
		    &continuation, &tag, &error);
		ASSERT(consumed <= available - offset);
		offset += consumed;
		if (ret == 0 && continuation) {
			ASSERT(input[offset - 1] == '\n');
			ASSERT(buffer_append(events, "+", 1) == 0);
			if (refuse)
				imap_parser_refuse_literal(parser);
			else
				imap_parser_continue(parser);
			continue;
		}
		if (ret == 0) {
			ASSERT(offset == available);
			continue;
		}
		if (ret < 0) {
			ASSERT(error != NULL && error[0] != '\0');
			ASSERT(tag == NULL || (strlen(tag) > 0 &&
			    strlen(tag) <= IMAP_PARSER_TAG_MAX));
			ASSERT(buffer_printf(events, "!%s:%s;",
			    tag != NULL ? tag : "*", error) == 0);
		} else {
			ASSERT(input[offset - 1] == '\n');
			ASSERT(strlen(command->tag) > 0 &&
			    strlen(command->tag) <= IMAP_PARSER_TAG_MAX);
			ASSERT(command->arg_count <= limits->list_max);
			ASSERT(buffer_printf(events, "<%s %s", command->tag,
			    command->name) == 0);
			for (i = 0; i < command->arg_count; i++)
				check_arg(arena, &command->args[i], 0, limits,
				    events);
			ASSERT(buffer_append(events, ">", 1) == 0);
		}
		arena_free(&arena);
		arena = arena_new("fuzz", 0);
	}
	arena_free(&arena);
	imap_parser_free(&parser);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits limits = { 0 };
	struct buffer whole, chunked;
	bool refuse;
	uint32_t seed;

	if (size < 2)
		return 0;
	/* Small limits from the first bytes, so the fuzzer reaches them. */
	limits.line_max = 16 + (data[0] & 0x3f) * 4;
	limits.literal_max = 1 + (data[0] >> 6) * 20;
	limits.command_max = limits.literal_max + (data[1] & 0x0f);
	limits.depth_max = 1 + ((data[1] >> 4) & 0x03);
	limits.list_max = 1 + (data[1] >> 6) * 3;
	refuse = (data[1] & 0x80) != 0 && (data[0] & 1) != 0;
	seed = (uint32_t)size * 2654435761u | 1;
	buffer_init(&whole, 0);
	buffer_init(&chunked, 0);
	run(data + 2, size - 2, &limits, refuse, 0, &whole);
	run(data + 2, size - 2, &limits, refuse, seed, &chunked);
	ASSERT(buffer_length(&whole) == buffer_length(&chunked));
	ASSERT(buffer_length(&whole) == 0 || memcmp(buffer_data(&whole), buffer_data(&chunked),
	    buffer_length(&whole)) == 0);
	buffer_deinit(&whole);
	buffer_deinit(&chunked);
	return 0;
}
