/* line_reader.h: resumable, capped assembly of CRLF- or LF-terminated
 * lines from a byte stream, shared by SMTP, LMTP, POP3 and the SMTP
 * reply parser.
 *
 * The caller hands over whatever bytes it has; the reader takes at most
 * one line per call and never consumes a byte after that line's LF,
 * because what follows may be message data that another parser owns.
 * A line longer than the limit is discarded through its LF and reported
 * once, after that LF, so the session replies once and stays in sync.
 * Memory is bounded by max_length whatever the peer sends.
 *
 * Lifetime: line_reader_new()/line_reader_free(); one reader per
 * connection. Pure (no I/O), not thread-safe: one thread at a time. */
#ifndef SLUICE_LINE_READER_H
#define SLUICE_LINE_READER_H

#include "lib/common.h"
#include "lib/string_view.h"

/* Default cap, as Postfix's line_length_limit: generous for real clients,
 * bounded for hostile ones. */
#define LINE_READER_DEFAULT_MAX_LENGTH 2048

/* Flags describing a returned line (bit set in *flags_r). */
enum line_reader_flag {
	/* The line ended in LF without a CR before it. */
	LINE_READER_BARE_LF = 1 << 0,
	/* The line contains a NUL byte. */
	LINE_READER_HAS_NUL = 1 << 1,
	/* The line contains a CR not followed by LF (the CR of the
	 * terminating CRLF does not count). */
	LINE_READER_BARE_CR = 1 << 2,
};

struct line_reader;

/* Creates a reader for lines of at most max_length bytes, counting the
 * CRLF (or the bare LF); 0 means LINE_READER_DEFAULT_MAX_LENGTH. So with
 * 2048 a line of 2046 bytes plus CRLF fits and 2047 plus CRLF does not. */
struct line_reader *line_reader_new(size_t max_length);

/* Frees the reader and sets *reader_p to NULL (NULL *reader_p: no-op). */
void line_reader_free(struct line_reader **reader_p);

/* Drops any partial line and any discarding state, as after a
 * connection reset or a switch into another parser's mode. Views
 * returned earlier become invalid. */
void line_reader_reset(struct line_reader *reader);

/* Takes at most one line from input[0..length).
 *
 * Returns 1 when a line is complete: *consumed_r is the number of bytes
 * used, up to and including the LF; *line_r is the line without its CRLF
 * or LF, and *flags_r (may be NULL) holds LINE_READER_* bits. line_r
 * points into input when the whole line lay in this input and nothing
 * was buffered before; otherwise into the reader's own storage. Either
 * way it is valid until the next call on this reader (and, when it
 * points into input, as long as input is).
 *
 * Returns 0 when input ran out before an LF: all of it was consumed and
 * kept (or discarded, see below); *line_r is empty and *flags_r 0.
 *
 * Returns -1 when a line exceeded max_length: its bytes are dropped as
 * they arrive (calls meanwhile return 0) and -1 comes exactly once, in
 * the call that consumes its LF; *consumed_r counts this input's bytes
 * up to and including that LF, *line_r is empty, *flags_r 0. The next call starts
 * a fresh line. -1 is a protocol condition to reply to ("500 5.5.2 line
 * too long"), not a failure of the reader. */
int line_reader_next(struct line_reader *reader, const unsigned char *input,
    size_t length, size_t *consumed_r, struct string_view *line_r,
    unsigned *flags_r);

/* True while an overlong line is being dropped (the -1 for it has not
 * been returned yet). Lets a client give up on a peer early instead of
 * waiting for an LF that may never come. */
bool line_reader_discarding(const struct line_reader *reader);

/* Bytes of an unfinished line held in the reader (0 when discarding). */
size_t line_reader_pending(const struct line_reader *reader);

#endif
