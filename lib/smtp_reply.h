/* smtp_reply.h: SMTP/LMTP replies: formatting them on the server side and
 * parsing them, possibly multiline, on the client side.
 *
 * Formatting sanitises the text so that nothing interpolated into a
 * reply (an address, a HELO name, a remote server's words) can end the
 * reply early or inject another one. Parsing is resumable across any
 * split of the input and bounded in line length and line count.
 *
 * Lifetime: the formatting functions are stateless; a reply parser is
 * created per connection with smtp_reply_parser_new() and released with
 * smtp_reply_parser_free(). Pure (no I/O); not thread-safe per parser. */
#ifndef SLUICE_SMTP_REPLY_H
#define SLUICE_SMTP_REPLY_H

#include "lib/common.h"
#include "lib/buffer.h"

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. */
#define SMTP_REPLY_LINE_MAX 512
#define SMTP_REPLY_PARSER_DEFAULT_MAX_LINE 2048
#define SMTP_REPLY_PARSER_DEFAULT_MAX_LINES 100

/* Appends a complete reply to out. code is 200..599 and enhanced, when
 * not NULL, an RFC 3463 code ("2.1.0") whose class matches code's first
 * digit (both are our own constants: violations panic). text may hold
 * several lines separated by '\n' (one trailing '\n' is ignored); each
 * becomes "CODE-ENHANCED text\r\n", the last with ' ' for '-'. Within
 * text, CR, other control characters except tab, DEL and bytes >= 0x80
 * are replaced with '?', so interpolated data can never split or forge a
 * reply; a line that would exceed SMTP_REPLY_LINE_MAX is cut and ends in
 * "...". out should be unbounded: a full buffer panics. */
void smtp_reply_append(struct buffer *out, unsigned code, const char *enhanced,
    const char *text);

/* smtp_reply_append() with text formatted like printf. */
void smtp_reply_appendf(struct buffer *out, unsigned code,
    const char *enhanced, const char *fmt, ...) ATTR_PRINTF(4, 5);

/* A complete reply as parsed. */
struct smtp_reply {
	unsigned code;
	/* "2.1.0" when the first line's text starts with an enhanced
	 * code of the reply's class; "" otherwise. */
	char enhanced[16];
	/* The lines' texts joined with '\n', the enhanced code and the
	 * space after it removed from each line that has it. Owned by
	 * the parser, valid until its next call. */
	const char *text;
	/* Number of lines, 1..max_lines. */
	size_t line_count;
};

struct smtp_reply_parser;

/* Creates a parser. max_line bounds a line including its CRLF (0:
 * SMTP_REPLY_PARSER_DEFAULT_MAX_LINE); max_lines the lines of one reply
 * (0: SMTP_REPLY_PARSER_DEFAULT_MAX_LINES). */
struct smtp_reply_parser *smtp_reply_parser_new(size_t max_line,
    size_t max_lines);

/* Frees the parser and sets *parser_p to NULL (NULL *parser_p: no-op). */
void smtp_reply_parser_free(struct smtp_reply_parser **parser_p);

/* Feeds input[0..length) and sets *consumed_r to the bytes used. Returns
 * 1 with *reply_r filled when a reply is complete; bytes after its last
 * line are not consumed (they are the next reply). Returns 0 when all
 * input was consumed without completing a reply. Returns -1 with
 * *error_r on a malformed reply: a code that is not three digits 2xx-5xx
 * followed by ' ', '-' or the end of the line; lines with different
 * codes; a NUL; a line over max_line (reported as soon as it is seen to
 * be too long); more than max_lines lines. After -1 the stream is out of
 * sync: every later call returns -1 too; drop the connection. Bare LF
 * line ends are tolerated. */
int smtp_reply_parser_next(struct smtp_reply_parser *parser,
    const unsigned char *input, size_t length, size_t *consumed_r,
    struct smtp_reply *reply_r, const char **error_r);

#endif
