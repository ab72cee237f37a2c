/* smtp_data_reader.h: the resumable reader for the SMTP and LMTP DATA
 * phase: strict CRLF.CRLF end, dot-unstuffing, bare CR/LF flags, size cap.
 *
 * One reader per DATA command. The caller feeds whatever bytes arrived;
 * the reader appends the unstuffed message to the caller's buffer and says
 * when the terminating line has been consumed. It starts at the beginning
 * of a line (right after the CRLF of the DATA command).
 *
 * This is our defence against SMTP smuggling: the only end of data is
 * CR LF "." CR LF, or "." CR LF as the very first line. A line is a run
 * of octets ended by CR LF and nothing else; "\n.\r\n", "\r\n.\n",
 * "\r.\r\n" and the like are message content, flagged as bare LF or bare
 * CR. A line that starts with "." and is not the terminator loses that
 * first "." (RFC 5321 4.5.2); a "." after a bare LF is not at the start
 * of a line and is kept.
 *
 * The reader never fails and never rejects: it reports what it saw
 * (flags and counts) and the caller decides (552 for size, 5.5.2 for
 * bare LF). Past the size cap it keeps consuming and counting but stops
 * appending, so the session stays in sync and can answer at the end.
 *
 * The reader lives on the heap (smtp_data_reader_new/_free) and is used
 * by one thread at a time. */
#ifndef SLUICE_SMTP_DATA_READER_H
#define SLUICE_SMTP_DATA_READER_H

#include "lib/common.h"
#include "lib/buffer.h"

/* Longest line RFC 5322 allows, in octets, not counting the CR LF. */
#define SMTP_DATA_READER_LINE_MAX 998

/* What the reader saw; a bit set, see smtp_data_reader_flags(). */
enum smtp_data_reader_flag {
	/* The message is longer than max_message_size; what was appended
	 * is its first max_message_size bytes. */
	SMTP_DATA_READER_TOO_BIG = 1 << 0,
	/* An LF not preceded by CR. */
	SMTP_DATA_READER_BARE_LF = 1 << 1,
	/* A CR not followed by LF. */
	SMTP_DATA_READER_BARE_CR = 1 << 2,
	/* A NUL octet. */
	SMTP_DATA_READER_NUL = 1 << 3,
	/* An octet >= 0x80. */
	SMTP_DATA_READER_8BIT = 1 << 4,
	/* A line longer than SMTP_DATA_READER_LINE_MAX octets after
	 * unstuffing. Informational: long lines are never rejected. */
	SMTP_DATA_READER_LONG_LINE = 1 << 5,
};

struct smtp_data_reader_limits {
	/* Most message bytes appended to the output; 0 means no cap. */
	uint64_t max_message_size;
};

struct smtp_data_reader;

/* Creates a reader that appends the message to out. limits is copied
 * (NULL: no cap). out stays the caller's and must outlive the reader;
 * the caller may read and drain it (buffer_consume) between feeds, for
 * example to stream to the spool. Give out no cap of its own, or one of
 * at least max_message_size: if out refuses an append, the reader treats
 * it as the size cap (sets SMTP_DATA_READER_TOO_BIG and appends no more,
 * so what out holds is then cut short at a chunk boundary). Never NULL. */
struct smtp_data_reader *smtp_data_reader_new(
    const struct smtp_data_reader_limits *limits, struct buffer *out);

/* Frees *reader (NULL is fine) and sets *reader to NULL. out is untouched. */
void smtp_data_reader_free(struct smtp_data_reader **reader);

/* Consumes length bytes of client input, appending the unstuffed message
 * to out (up to the cap) and updating flags and counts.
 *
 * Returns 1 when the terminating line has been consumed: *consumed_r is
 * then the number of input bytes up to and including its LF, and any
 * bytes after that are the client's next (pipelined) command, left for
 * the caller. Returns 0 when all input was consumed (*consumed_r ==
 * length) and the terminator has not been seen yet. Never returns -1.
 *
 * The CR LF before the final "." ends the message's last line and is
 * part of the message; the ".\r\n" is not. Once 1 has been returned,
 * further calls return 1 and consume nothing. Where the input is split
 * between calls makes no difference to anything the reader reports. */
int smtp_data_reader_feed(struct smtp_data_reader *reader,
    const unsigned char *input, size_t length, size_t *consumed_r);

/* The enum smtp_data_reader_flag bits seen so far; valid at any time. */
unsigned int smtp_data_reader_flags(const struct smtp_data_reader *reader);

/* Message bytes after unstuffing seen so far, including those past the
 * cap and the final CR LF, excluding the terminating ".\r\n". */
uint64_t smtp_data_reader_size(const struct smtp_data_reader *reader);

/* Lines (each ended by CR LF) in the message so far; 0 for an empty one. */
uint64_t smtp_data_reader_lines(const struct smtp_data_reader *reader);

/* Length of the header: the message offset just past the CR LF of the
 * first empty line, where the body starts (so 2 when the message starts
 * with an empty line). 0 while no empty line has been seen, and also
 * when the first empty line lies past the cap, so the value never exceeds
 * the bytes appended. Offsets count from the message's first byte, not
 * from the start of out. */
uint64_t smtp_data_reader_header_length(
    const struct smtp_data_reader *reader);

#endif
