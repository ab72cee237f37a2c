/* pop3_command.h: the POP3 command line reader and splitter (RFC 1939,
 * RFC 2449 line limits, RFC 5034 AUTH continuation lines).
 *
 * A struct pop3_command_reader cuts a byte stream into lines, resumably:
 * feed it whatever has arrived, it keeps a partial line between calls
 * (at most POP3_COMMAND_BUFFER_MAX bytes), and a line over the caller's
 * limit is skipped up to its LF and reported once, so the session stays
 * in step with the client. pop3_command_split() then splits one command
 * line into its keyword and arguments. One reader per session; the
 * caller serialises calls (any thread, one at a time). */
#ifndef SLUICE_POP3_COMMAND_H
#define SLUICE_POP3_COMMAND_H

#include "lib/common.h"

/* A command line, CRLF included (RFC 2449 section 4 allows 512 octets
 * for responses; we grant commands the same). */
#define POP3_COMMAND_LINE_MAX 512
/* Room the reader keeps for one line: an AUTH PLAIN response line (base64
 * of the longest PLAIN message, sasl_plain.h) plus CRLF fits. */
#define POP3_COMMAND_BUFFER_MAX 1400
/* Arguments pop3_command_split() separates; more are counted only. */
#define POP3_COMMAND_ARGUMENTS_MAX 3
/* The longest keyword (RFC 2449: at most 40 characters; the ones we
 * know have 3 or 4). */
#define POP3_COMMAND_KEYWORD_MAX 40

struct pop3_command_reader;

/* Never NULL. */
struct pop3_command_reader *pop3_command_reader_new(void);
/* NULL is a no-op; sets *reader_p to NULL. */
void pop3_command_reader_free(struct pop3_command_reader **reader_p);

/* Reads from data[0..length) up to the end of one line; *consumed_r says
 * how many bytes were used (the caller drops them from its input).
 * line_max is the longest line allowed, CRLF (or bare LF) included,
 * at most POP3_COMMAND_BUFFER_MAX.
 *
 * Returns 1 with *line_r the line without its line end, NUL-terminated
 * (valid until the next call; a CR before the LF is dropped, a bare LF
 * ends a line too); 0 when all of data was used and the line is not
 * complete yet; -1 with error_r when a line ended that was too long
 * ("line too long") or held a NUL byte ("NUL in line"): its bytes
 * have been consumed, and the next call starts on the following line. */
int pop3_command_reader_next(struct pop3_command_reader *reader,
    const unsigned char *data, size_t length, size_t line_max,
    size_t *consumed_r, const char **line_r, const char **error_r);

/* One command line, split. Pointers refer into the buffer given to
 * pop3_command_split(). */
struct pop3_command {
	/* Upper-cased keyword. */
	char keyword[POP3_COMMAND_KEYWORD_MAX + 1];
	/* Everything after the keyword and its single space ("" if none):
	 * PASS takes this, since a password may hold spaces. */
	const char *rest;
	/* The space-separated arguments (empty ones from repeated spaces
	 * are kept out), the first POP3_COMMAND_ARGUMENTS_MAX of them, and
	 * how many there were in all. */
	const char *arguments[POP3_COMMAND_ARGUMENTS_MAX];
	size_t argument_count;
};

/* Splits line (modified in place: NULs end the arguments; rest is copied
 * out first into rest_buffer of rest_size bytes, which must be at least
 * strlen(line) + 1). Returns 1 with *command_r, or -1 with error_r when
 * there is no keyword or it is longer than POP3_COMMAND_KEYWORD_MAX or
 * holds anything but printable ASCII. */
int pop3_command_split(char *line, char *rest_buffer, size_t rest_size,
    struct pop3_command *command_r, const char **error_r);

/* Parses a message number or TOP line count: decimal digits only, no
 * sign, at most 9 digits (so it fits an int; POP3 numbers are small).
 * Returns true with *number_r. */
bool pop3_command_number(const char *text, unsigned *number_r);

#endif
