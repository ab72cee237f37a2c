/* fuzz_line_reader.c: libFuzzer target for lib/line_reader. The same
 * stream fed whole and in fuzzer-chosen chunks must give the same lines,
 * and every result must respect the reader's contract. */
#include "lib/buffer.h"
#include "lib/line_reader.h"
#include "tests/unit/trickle_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds input to a fresh reader in random chunks drawn from seed (0:
 * all at once) and records every result in events. */
static void
run(const unsigned char *input, size_t length, size_t max_length,
    uint32_t seed, struct buffer *events)
{
	struct line_reader *reader = line_reader_new(max_length);
	size_t effective_max = max_length != 0 ? max_length :
	    LINE_READER_DEFAULT_MAX_LENGTH;
	size_t offset = 0, available = 0, consumed;
	struct string_view line;
	unsigned flags;
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	uint32_t state = seed;
	int ret;

	while (offset < length) {
		if (available == offset)
			available += trickle_next_chunk(mode, length - offset,
			    &state);
		ret = line_reader_next(reader, input + offset,
		    available - offset, &consumed, &line, &flags);
		ASSERT(consumed <= available - offset);
		if (ret == 0) {
			ASSERT(consumed == available - offset);
			ASSERT(line.length == 0 && flags == 0);
		} else {
			ASSERT(consumed > 0 && input[offset + consumed - 1] ==
			    '\n');
			ASSERT(ret == 1 || (ret == -1 && line.length == 0));
			ASSERT(line.length == 0 ||
			    memchr(line.data, '\n', line.length) == NULL);
			ASSERT(ret == -1 || line.length + 1 +
			    ((flags & LINE_READER_BARE_LF) == 0) <=
			    effective_max);
			ASSERT(buffer_printf(events, "%d:%u:%zu:", ret, flags,
			    line.length) == 0);
			ASSERT(buffer_append(events, line.data,
			    line.length) == 0);
		}
		offset += consumed;
	}
	ASSERT(buffer_printf(events, "end:%d:%zu",
	    line_reader_discarding(reader),
	    line_reader_pending(reader)) == 0);
	line_reader_free(&reader);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole, pieces;
	size_t max_length;
	uint32_t seed;

	if (size < 2)
		return 0;
	/* Small limits reach the overlong paths often; 0 tests the
	 * default. */
	max_length = data[0] == 255 ? 0 : 1 + data[0] % 48;
	seed = 1 + data[1];
	buffer_init(&whole, 0);
	buffer_init(&pieces, 0);
	run(data + 2, size - 2, max_length, 0, &whole);
	run(data + 2, size - 2, max_length, seed, &pieces);
	ASSERT(buffer_length(&whole) == buffer_length(&pieces) &&
	    memcmp(buffer_data(&whole), buffer_data(&pieces),
	    buffer_length(&whole)) == 0);
	buffer_deinit(&whole);
	buffer_deinit(&pieces);
	return 0;
}
