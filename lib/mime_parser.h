/* mime_parser.h: streaming MIME structure parser: nested multiparts,
 * message/rfc822 bodies as nested messages, part boundaries as offsets.
 *
 * DESIGN: a push parser with line_reader's shape rather than an
 * init/next/deinit pull over an input stream: the caller hands over
 * whatever bytes it has (a whole message in memory for message_parse,
 * SMTP DATA chunks for a future in-flight scanner) and gets events back
 * one at a time, each naming a part and the offsets now known about it.
 * Offsets count from the first byte fed, so a caller with the whole
 * message slices it without copies, and the parser keeps no message
 * bytes: only the first MIME_PARSER_LINE_KEEP bytes of a line split
 * across two inputs and the Content-Type and Content-Transfer-Encoding
 * fields of the header being read. Memory is bounded by the limits
 * whatever the input; the nesting is an explicit stack, never C
 * recursion.
 *
 * Structure rules: a part's header ends as mail_header.h describes (an
 * empty line, or a line that is no field), or at a line that is a
 * boundary of an enclosing multipart. A boundary line starts with "--"
 * and the boundary; "--" right after it makes it a close delimiter.
 * Junk after the boundary is accepted, as mail readers do
 * ("--b--</HTML>", "--b;x"), unless it could make a longer boundary (a
 * letter, digit, '-', '_', '.' or '=' right after a delimiter: "--b1"
 * is no delimiter of "b"); and a line that is exactly "--" boundary
 * ["--"] plus spaces and tabs (transport padding) wins over a prefix
 * match. Boundaries are recognised for every enclosing multipart
 * whose close delimiter has not been seen, innermost first, so an outer
 * boundary also ends unfinished inner multiparts (flagged
 * MISSING_BOUNDARY). The line break before a boundary line belongs to
 * the boundary. Preambles and epilogues are part of the multipart's body
 * and otherwise ignored. message/rfc822 (and message/global) bodies in
 * 7bit, 8bit or binary are parsed as nested messages; in base64 or QP
 * they are leaves. Children of multipart/digest default to
 * message/rfc822, every other part to text/plain. Only the first
 * MIME_PARSER_LINE_KEEP bytes of a line are examined (a header line
 * must have its colon within them).
 *
 * Limits never make the parser fail: a part deeper than max_depth or
 * past max_parts is not split further and the rest of its body is one
 * opaque body (flags TOO_DEEP / TOO_MANY_PARTS).
 *
 * Lifetime: mime_parser_new()/mime_parser_free(); parts live in the
 * caller's arena and outlive the parser. One parser per message, one
 * thread at a time. */
#ifndef SLUICE_MIME_PARSER_H
#define SLUICE_MIME_PARSER_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/mail_header.h"

#define MIME_PARSER_DEFAULT_MAX_DEPTH 100
#define MIME_PARSER_DEFAULT_MAX_PARTS 10000
/* Boundaries longer than this (RFC 2046 allows 70) are not used. */
#define MIME_PARSER_BOUNDARY_MAX 256
/* Bytes of each line the parser looks at. */
#define MIME_PARSER_LINE_KEEP 4096
/* parent of the message itself (part 0). */
#define MIME_PARSER_NO_PARENT SIZE_MAX

/* 0 in any member means its default. */
struct mime_parser_limits {
	/* Parts at this depth are not split (the message is depth 0, its
	 * children depth 1), so no part is deeper than max_depth. */
	size_t max_depth;
	/* Parts in all, the message included. */
	size_t max_parts;
};

/* Per-part flags; mime_parser_flags() ORs them over all parts. */
enum mime_parser_flag {
	/* A multipart ended (end of input, or an enclosing boundary)
	 * before its close delimiter. */
	MIME_PARSER_FLAG_MISSING_BOUNDARY = 1 << 0,
	/* A multipart without a usable boundary parameter (missing, empty
	 * or longer than MIME_PARSER_BOUNDARY_MAX): a leaf. */
	MIME_PARSER_FLAG_NO_BOUNDARY = 1 << 1,
	/* Not split: it is at max_depth. */
	MIME_PARSER_FLAG_TOO_DEEP = 1 << 2,
	/* max_parts was reached inside this part: the rest of its body
	 * is opaque. */
	MIME_PARSER_FLAG_TOO_MANY_PARTS = 1 << 3,
	/* A Content-Type that does not parse as type/subtype; the default
	 * type was used. */
	MIME_PARSER_FLAG_BAD_CONTENT_TYPE = 1 << 4,
	/* The header ended at a line that is not a field (or a boundary)
	 * instead of an empty line. */
	MIME_PARSER_FLAG_NO_BLANK_LINE = 1 << 5,
	/* The input ended inside the header. */
	MIME_PARSER_FLAG_HEADER_NO_END = 1 << 6,
	/* A multipart whose body had no delimiter line at all. */
	MIME_PARSER_FLAG_NO_PARTS = 1 << 7,
};

enum mime_parser_kind {
	MIME_PARSER_LEAF,	/* a body of its own */
	MIME_PARSER_MULTIPART,	/* children split by boundary */
	MIME_PARSER_MESSAGE,	/* one child: the enclosed message */
};

struct mime_parser_part {
	/* Position in document order; the message itself is 0. */
	size_t index;
	size_t parent;	/* index, or MIME_PARSER_NO_PARENT */
	size_t depth;
	/* Known from MIME_PARSER_EVENT_BEGIN: the header starts here. */
	size_t header_offset;
	/* Known from MIME_PARSER_EVENT_HEADER_END: the header is
	 * [header_offset, body_offset), blank line included; the fields
	 * below are set. */
	size_t body_offset;
	/* Lowercased; defaults applied (text/plain, or message/rfc822 in
	 * a digest) when Content-Type is missing or bad. */
	const char *type;
	const char *subtype;
	/* The parsed first Content-Type field, or NULL when there is none
	 * (its parameters give charset and name). */
	const struct mail_header_content *content_type;
	/* First Content-Transfer-Encoding token, lowercased; "" if none. */
	const char *transfer_encoding;
	/* The boundary of a split multipart, else NULL. */
	const char *boundary;
	enum mime_parser_kind kind;
	/* Known from MIME_PARSER_EVENT_END: the body is
	 * [body_offset, body_end). */
	size_t body_end;
	unsigned flags;	/* MIME_PARSER_FLAG_*, final at END */
};

enum mime_parser_event_type {
	MIME_PARSER_EVENT_BEGIN,
	MIME_PARSER_EVENT_HEADER_END,
	MIME_PARSER_EVENT_END,
};

struct mime_parser_event {
	enum mime_parser_event_type type;
	/* Owned by the parser's arena; fields fill in as the events come
	 * (see struct mime_parser_part). */
	const struct mime_parser_part *part;
};

struct mime_parser;

/* Creates a parser whose parts and strings are allocated in arena.
 * limits may be NULL (defaults). */
struct mime_parser *mime_parser_new(struct arena *arena,
    const struct mime_parser_limits *limits);

/* Frees the parser (not the parts) and sets *parser_p to NULL. */
void mime_parser_free(struct mime_parser **parser_p);

/* Takes the next bytes of the message, input[0..length).
 *
 * Returns 1 with *event_r set when an event is ready: *consumed_r bytes
 * of input were used (0 when the event was already pending). Call again
 * with the rest of the input. Returns 0 when all of the input was
 * consumed without another event: feed more, or call mime_parser_end().
 * Events come in document order: BEGIN of a part, its HEADER_END, the
 * events of its children, its END. The parser keeps no pointer into
 * input after the call. Never fails. */
int mime_parser_next(struct mime_parser *parser, const unsigned char *input,
    size_t length, size_t *consumed_r, struct mime_parser_event *event_r);

/* Signals the end of input (no mime_parser_next() after it). Returns 1
 * with *event_r for each remaining event, pending ones first, closing
 * every open part at the total length; then 0 on every later call. */
int mime_parser_end(struct mime_parser *parser,
    struct mime_parser_event *event_r);

/* Parts begun so far, and the part with that index (index < count). */
size_t mime_parser_part_count(const struct mime_parser *parser);
const struct mime_parser_part *mime_parser_part(
    const struct mime_parser *parser, size_t index);

/* MIME_PARSER_FLAG_* of all parts so far. */
unsigned mime_parser_flags(const struct mime_parser *parser);

#endif
