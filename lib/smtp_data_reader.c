/* smtp_data_reader.c: the DATA phase reader: strict CRLF.CRLF end,
 * dot-unstuffing, bare CR/LF and content flags, size cap.
 *
 * DESIGN: a state machine over the few octets that matter: CR, LF and a
 * "." at the start of a line. The octets between them are found with
 * memchr and appended in runs, so a long body costs a few memchr and
 * memcpy calls per line. Only two input octets are ever held back between
 * calls, and both are implied by the state rather than stored: a "." at
 * the start of a line (never appended: it is either stuffing or part of
 * the terminator) and a CR right after it (content unless an LF follows).
 * So nothing is buffered inside the reader and where the input is split
 * cannot change the result. */
#include "lib/smtp_data_reader.h"
#include "lib/alloc.h"

enum reader_state {
	/* Right after CR LF, or at the very start. */
	READER_LINE_START,
	/* After a "." at the start of a line; the "." was dropped. */
	READER_DOT,
	/* After "." CR at the start of a line; the CR is held back. */
	READER_DOT_CR,
	/* Inside a line. */
	READER_IN_LINE,
	/* After a CR inside a line; the CR was appended (as content or as
	 * the first half of CR LF, either way it is part of the message). */
	READER_CR,
	/* The terminating line has been consumed. */
	READER_DONE,
};

struct smtp_data_reader {
	struct buffer *out;
	uint64_t max_message_size;
	enum reader_state state;
	unsigned int flags;
	uint64_t size;          /* message octets seen, past the cap too */
	uint64_t stored;        /* message octets appended to out */
	uint64_t lines;
	uint64_t line_length;   /* octets of the current line so far */
	uint64_t header_length; /* offset after the first empty line */
	bool header_seen;
};

struct smtp_data_reader *
smtp_data_reader_new(const struct smtp_data_reader_limits *limits,
    struct buffer *out)
{
	struct smtp_data_reader *reader;

	ASSERT(out != NULL);
	reader = alloc_new(struct smtp_data_reader);
	reader->out = out;
	if (limits != NULL)
		reader->max_message_size = limits->max_message_size;
	reader->state = READER_LINE_START;
	return reader;
}

void
smtp_data_reader_free(struct smtp_data_reader **reader)
{
	alloc_free(reader);
}

/* Sets the NUL and 8BIT flags for data; once both are set, costs nothing. */
static void
reader_scan_content(struct smtp_data_reader *reader,
    const unsigned char *data, size_t length)
{
	uint64_t word, any = 0;
	size_t i;

	if ((reader->flags & SMTP_DATA_READER_NUL) == 0 &&
	    memchr(data, '\0', length) != NULL)
		reader->flags |= SMTP_DATA_READER_NUL;
	if ((reader->flags & SMTP_DATA_READER_8BIT) == 0) {
		/* OR the run together eight octets at a time; any octet's
		 * top bit survives into one of the eight 0x80 bits. */
		for (i = 0; i + sizeof(word) <= length; i += sizeof(word)) {
			memcpy(&word, data + i, sizeof(word));
			any |= word;
		}
		for (; i < length; i++)
			any |= data[i];
		if ((any & UINT64_C(0x8080808080808080)) != 0)
			reader->flags |= SMTP_DATA_READER_8BIT;
	}
}

/* Adds message octets: counts them and appends what fits under the cap. */
static void
reader_emit(struct smtp_data_reader *reader, const unsigned char *data,
    size_t length)
{
	size_t append = length;
	bool over = false;

	if (length == 0)
		return;
	reader_scan_content(reader, data, length);
	reader->size += length;
	if ((reader->flags & SMTP_DATA_READER_TOO_BIG) != 0)
		return;
	if (reader->max_message_size != 0 &&
	    length > reader->max_message_size - reader->stored) {
		append = (size_t)(reader->max_message_size - reader->stored);
		over = true;
	}
	if (buffer_append(reader->out, data, append) < 0) {
		/* out has a smaller cap of its own; see the header. */
		reader->flags |= SMTP_DATA_READER_TOO_BIG;
		return;
	}
	reader->stored += append;
	if (over)
		reader->flags |= SMTP_DATA_READER_TOO_BIG;
}

static void
reader_line_grow(struct smtp_data_reader *reader, size_t count)
{
	reader->line_length += count;
	if (reader->line_length > SMTP_DATA_READER_LINE_MAX)
		reader->flags |= SMTP_DATA_READER_LONG_LINE;
}

/* A CR LF ended a line. pending is how many input octets up to and
 * including that LF are still waiting to be appended. */
static void
reader_line_end(struct smtp_data_reader *reader, size_t pending)
{
	reader->lines++;
	if (reader->line_length == 0 && !reader->header_seen) {
		reader->header_seen = true;
		reader->header_length = reader->size + pending;
	}
	reader->line_length = 0;
}

/* Where the next c is in [p, end), or end if there is none. */
static const unsigned char *
reader_find(const unsigned char *p, const unsigned char *end, int c)
{
	const unsigned char *found;

	found = memchr(p, c, (size_t)(end - p));
	return found != NULL ? found : end;
}

int
smtp_data_reader_feed(struct smtp_data_reader *reader,
    const unsigned char *input, size_t length, size_t *consumed_r)
{
	const unsigned char *p = input, *end = input + length;
	const unsigned char *run = input; /* first octet not yet appended */
	const unsigned char *next_cr = NULL, *next_lf = NULL, *stop;

	if (reader->state == READER_DONE) {
		*consumed_r = 0;
		return 1;
	}
	while (p < end) {
		switch (reader->state) {
		case READER_LINE_START:
			if (*p != '.') {
				reader->state = READER_IN_LINE;
				break;
			}
			reader_emit(reader, run, (size_t)(p - run));
			run = ++p;
			reader->state = READER_DOT;
			break;
		case READER_DOT:
			if (*p != '\r') {
				/* The dot was stuffing and stays dropped. */
				reader->state = READER_IN_LINE;
				break;
			}
			run = ++p;
			reader->state = READER_DOT_CR;
			break;
		case READER_DOT_CR:
			if (*p == '\n') {
				/* Nothing of ".\r\n" was appended, and run
				 * cannot have moved since the dot. */
				ASSERT(run == p);
				reader->state = READER_DONE;
				*consumed_r = (size_t)(p + 1 - input);
				return 1;
			}
			/* "." CR then not LF: stuffing and a bare CR. */
			reader_emit(reader, (const unsigned char *)"\r", 1);
			reader->flags |= SMTP_DATA_READER_BARE_CR;
			reader_line_grow(reader, 1);
			reader->state = READER_IN_LINE;
			break;
		case READER_CR:
			if (*p == '\n') {
				p++;
				reader_line_end(reader, (size_t)(p - run));
				reader->state = READER_LINE_START;
				break;
			}
			reader->flags |= SMTP_DATA_READER_BARE_CR;
			reader_line_grow(reader, 1);
			reader->state = READER_IN_LINE;
			break;
		case READER_IN_LINE:
			/* Both positions are remembered for the rest of this
			 * call, so runs of bare CRs or bare LFs stay linear. */
			if (next_cr == NULL || next_cr < p)
				next_cr = reader_find(p, end, '\r');
			if (next_lf == NULL || next_lf < p)
				next_lf = reader_find(p, end, '\n');
			stop = MIN(next_cr, next_lf);
			reader_line_grow(reader, (size_t)(stop - p));
			p = stop;
			if (p == end)
				break;
			if (*p++ == '\r') {
				reader->state = READER_CR;
				break;
			}
			reader->flags |= SMTP_DATA_READER_BARE_LF;
			reader_line_grow(reader, 1);
			break;
		case READER_DONE:
			log_panic("smtp_data_reader_feed: past the end");
		}
	}
	reader_emit(reader, run, (size_t)(end - run));
	*consumed_r = length;
	return 0;
}

unsigned int
smtp_data_reader_flags(const struct smtp_data_reader *reader)
{
	return reader->flags;
}

uint64_t
smtp_data_reader_size(const struct smtp_data_reader *reader)
{
	return reader->size;
}

uint64_t
smtp_data_reader_lines(const struct smtp_data_reader *reader)
{
	return reader->lines;
}

uint64_t
smtp_data_reader_header_length(const struct smtp_data_reader *reader)
{
	/* Between calls every octet seen has been appended or dropped, so
	 * comparing with stored is exact. */
	return reader->header_length <= reader->stored ?
	    reader->header_length : 0;
}
