/* line_reader.c: resumable, capped line assembly (see line_reader.h).
 *
 * DESIGN: a line of total length n (terminator included) fits when
 * n <= max_length, so the bytes before its LF must number at most
 * max_length - 1. The reader therefore buffers at most max_length - 1
 * bytes of an unfinished line; reaching max_length without an LF means
 * the line is already too long, and the reader switches to discarding
 * until the LF. Lines wholly inside one input are returned in place, so
 * the common case copies nothing. */
#include "lib/line_reader.h"
#include "lib/alloc.h"
#include "lib/buffer.h"

struct line_reader {
	size_t max_length;
	/* Bytes of the unfinished line (at most max_length - 1). */
	struct buffer partial;
	/* The previous call returned a line from partial, which must
	 * stay intact until this call. */
	bool partial_returned;
	/* An overlong line is being dropped through its LF. */
	bool discarding;
};

struct line_reader *
line_reader_new(size_t max_length)
{
	struct line_reader *reader;

	reader = alloc_new(struct line_reader);
	reader->max_length = max_length != 0 ? max_length :
	    LINE_READER_DEFAULT_MAX_LENGTH;
	buffer_init(&reader->partial, reader->max_length);
	return reader;
}

void
line_reader_free(struct line_reader **reader_p)
{
	struct line_reader *reader = *reader_p;

	if (reader == NULL)
		return;
	buffer_deinit(&reader->partial);
	free(reader);
	*reader_p = NULL;
}

void
line_reader_reset(struct line_reader *reader)
{
	buffer_reset(&reader->partial);
	reader->partial_returned = false;
	reader->discarding = false;
}

bool
line_reader_discarding(const struct line_reader *reader)
{
	return reader->discarding;
}

size_t
line_reader_pending(const struct line_reader *reader)
{
	return reader->partial_returned ? 0 : buffer_length(&reader->partial);
}

/* Strips the terminator from a line given without its LF and works out
 * its flags. */
static struct string_view
line_finish(const char *data, size_t length, unsigned *flags_r)
{
	unsigned flags = 0;

	if (length > 0 && data[length - 1] == '\r')
		length--;
	else
		flags |= LINE_READER_BARE_LF;
	if (length > 0 && memchr(data, '\0', length) != NULL)
		flags |= LINE_READER_HAS_NUL;
	if (length > 0 && memchr(data, '\r', length) != NULL)
		flags |= LINE_READER_BARE_CR;
	if (flags_r != NULL)
		*flags_r = flags;
	return string_view_make(data, length);
}

int
line_reader_next(struct line_reader *reader, const unsigned char *input,
    size_t length, size_t *consumed_r, struct string_view *line_r,
    unsigned *flags_r)
{
	const unsigned char *lf;
	size_t before, held;

	*line_r = string_view_make("", 0);
	if (flags_r != NULL)
		*flags_r = 0;
	if (reader->partial_returned) {
		buffer_reset(&reader->partial);
		reader->partial_returned = false;
	}
	lf = length > 0 ? memchr(input, '\n', length) : NULL;

	if (reader->discarding) {
		if (lf == NULL) {
			*consumed_r = length;
			return 0;
		}
		*consumed_r = (size_t)(lf - input) + 1;
		reader->discarding = false;
		return -1;
	}

	held = buffer_length(&reader->partial);
	before = lf != NULL ? (size_t)(lf - input) : length;
	/* held <= max_length - 1 always, so this cannot overflow. */
	if (held + before >= reader->max_length) {
		buffer_reset(&reader->partial);
		if (lf == NULL) {
			reader->discarding = true;
			*consumed_r = length;
			return 0;
		}
		*consumed_r = before + 1;
		return -1;
	}
	if (lf == NULL) {
		ASSERT(buffer_append(&reader->partial, input, length) == 0);
		*consumed_r = length;
		return 0;
	}
	*consumed_r = before + 1;
	if (held == 0) {
		*line_r = line_finish((const char *)input, before, flags_r);
		return 1;
	}
	ASSERT(buffer_append(&reader->partial, input, before) == 0);
	reader->partial_returned = true;
	*line_r = line_finish((const char *)buffer_data(&reader->partial),
	    buffer_length(&reader->partial), flags_r);
	return 1;
}
