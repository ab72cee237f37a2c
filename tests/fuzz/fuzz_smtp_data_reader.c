/* fuzz_smtp_data_reader.c: libFuzzer target for lib/smtp_data_reader: the
 * end of data is the first CRLF "." CRLF and nothing else, whatever the
 * input and however it is split.
 *
 * Input layout: octet 0 picks the size cap (0: none), octet 1 seeds the
 * chunk sizes, the rest is what the client sent after DATA. */
#include "lib/smtp_data_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_run {
	int ret;
	size_t consumed;
	unsigned int flags;
	uint64_t size, lines, header_length;
	struct buffer out;
};

/* Feeds input whole (seed 0) or in pseudo-random chunks of 1..64. */
static void
fuzz_feed(const uint8_t *input, size_t length, uint64_t max, uint32_t seed,
    struct fuzz_run *run)
{
	struct smtp_data_reader_limits limits = { .max_message_size = max };
	struct smtp_data_reader *reader;
	size_t offset = 0, chunk, consumed;

	buffer_init(&run->out, 0);
	reader = smtp_data_reader_new(&limits, &run->out);
	run->ret = 0;
	while (offset < length) {
		chunk = length - offset;
		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			chunk = MIN(chunk, 1 + seed % 64);
		}
		run->ret = smtp_data_reader_feed(reader, input + offset, chunk,
		    &consumed);
		if (consumed > chunk || (run->ret == 0 && consumed != chunk))
			abort();
		offset += consumed;
		if (run->ret == 1)
			break;
	}
	run->consumed = offset;
	run->flags = smtp_data_reader_flags(reader);
	run->size = smtp_data_reader_size(reader);
	run->lines = smtp_data_reader_lines(reader);
	run->header_length = smtp_data_reader_header_length(reader);
	smtp_data_reader_free(&reader);
}

/* Where the first terminating line ends, or 0 if there is none. */
static size_t
fuzz_first_end(const uint8_t *input, size_t length)
{
	size_t i;

	for (i = 0; i + 3 <= length; i++)
		if ((i == 0 || (i >= 2 && input[i - 2] == '\r' &&
		    input[i - 1] == '\n')) &&
		    memcmp(input + i, ".\r\n", 3) == 0)
			return i + 3;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run whole, chunked;
	uint64_t max;
	size_t end;

	if (size < 2)
		return 0;
	max = data[0];
	fuzz_feed(data + 2, size - 2, max, 0, &whole);
	fuzz_feed(data + 2, size - 2, max, data[1] | 0x100u, &chunked);

	end = fuzz_first_end(data + 2, size - 2);
	if (whole.ret != (end != 0) ||
	    whole.consumed != (end != 0 ? end : size - 2))
		abort();
	if (max != 0 && buffer_length(&whole.out) > max)
		abort();
	if (buffer_length(&whole.out) > whole.size ||
	    whole.header_length > buffer_length(&whole.out))
		abort();
	if (whole.ret != chunked.ret || whole.consumed != chunked.consumed ||
	    whole.flags != chunked.flags || whole.size != chunked.size ||
	    whole.lines != chunked.lines ||
	    whole.header_length != chunked.header_length ||
	    buffer_length(&whole.out) != buffer_length(&chunked.out) ||
	    memcmp(buffer_string(&whole.out), buffer_string(&chunked.out),
	    buffer_length(&whole.out)) != 0)
		abort();
	buffer_deinit(&whole.out);
	buffer_deinit(&chunked.out);
	return 0;
}
