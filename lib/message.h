/* message.h: the parsed message the rules engine, Bayes and the scan
 * pipeline consume: the raw bytes, the top-level header, and every MIME
 * part in document order with its header, type, raw and decoded body and,
 * for text parts, UTF-8 text.
 *
 * message_parse() builds it in one call, in one pass of mime_parser over
 * the bytes, and never fails: broken structure and limits show up as
 * MESSAGE_FLAG_* bits (per part and OR-ed for the message) that rules
 * can test. Raw slices are views into the caller's bytes, which must
 * outlive the message; everything else lives in the caller's arena.
 * Bodies in 7bit/8bit/binary (or an unknown encoding) are not copied:
 * their decoded view is the raw slice, and text that is already valid
 * UTF-8 is a view of the decoded bytes. HTML is not rendered and URIs
 * are not extracted here.
 *
 * A message is immutable once built; any thread may read it. Building
 * one needs only its arena (one thread at a time). */
#ifndef SLUICE_MESSAGE_H
#define SLUICE_MESSAGE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/mail_header.h"
#include "lib/mime_parser.h"
#include "lib/string_view.h"

/* Per part, for the decoded body and again for its text. */
#define MESSAGE_DEFAULT_MAX_DECODED_SIZE (16 * 1024 * 1024)
#define MESSAGE_NO_PARENT SIZE_MAX

/* 0 in any member means its default. */
struct message_limits {
	/* Nesting depth (default 100) and part count (default 10000). */
	struct mime_parser_limits mime;
	/* Applied to every header block, the message's and each part's. */
	struct mail_header_limits header;
	/* Bytes kept of one part's decoded body, and of its UTF-8 text. */
	size_t max_decoded_size;
};

/* What the parser ran into. Each part has the bits that concern it;
 * message->flags is the OR over all parts plus the message-level bits. */
enum message_flag {
	/* A multipart ended before its close delimiter. */
	MESSAGE_FLAG_MISSING_BOUNDARY = 1 << 0,
	/* A multipart without a usable boundary parameter (a leaf). */
	MESSAGE_FLAG_NO_BOUNDARY = 1 << 1,
	/* A multipart with no delimiter line at all. */
	MESSAGE_FLAG_NO_PARTS = 1 << 2,
	/* Nesting deeper than max_depth: that part was not split. */
	MESSAGE_FLAG_TOO_DEEP = 1 << 3,
	/* More than max_parts parts: the rest is one opaque body. */
	MESSAGE_FLAG_TOO_MANY_PARTS = 1 << 4,
	/* A header hit a mail_header limit (fields, bytes, field size). */
	MESSAGE_FLAG_HEADER_LIMIT = 1 << 5,
	/* A decoded body or text was cut at max_decoded_size. */
	MESSAGE_FLAG_DECODED_LIMIT = 1 << 6,
	/* A NUL byte in a header (any part's). */
	MESSAGE_FLAG_NUL_IN_HEADER = 1 << 7,
	/* A raw byte >= 0x80 in a header (any part's). */
	MESSAGE_FLAG_8BIT_HEADER = 1 << 8,
	/* Message level: the top header has Content-Type or
	 * Content-Transfer-Encoding but no MIME-Version. */
	MESSAGE_FLAG_MISSING_MIME_VERSION = 1 << 9,
	/* Base64 body with bytes outside the alphabet, a dangling
	 * character or missing padding. */
	MESSAGE_FLAG_BAD_BASE64 = 1 << 10,
	/* Quoted-printable body with an '=' that is no escape. */
	MESSAGE_FLAG_BAD_QP = 1 << 11,
	/* Content-Type present but not type/subtype (default used). */
	MESSAGE_FLAG_BAD_CONTENT_TYPE = 1 << 12,
	/* Content-Transfer-Encoding other than 7bit, 8bit, binary,
	 * base64, quoted-printable: the body is kept undecoded. */
	MESSAGE_FLAG_UNKNOWN_ENCODING = 1 << 13,
	/* A text part's charset is unknown (read as windows-1252). */
	MESSAGE_FLAG_UNKNOWN_CHARSET = 1 << 14,
	/* A text part had bytes invalid in its charset (now U+FFFD). */
	MESSAGE_FLAG_BAD_TEXT = 1 << 15,
	/* A header ended at a line without a colon, not an empty line. */
	MESSAGE_FLAG_HEADER_NO_BLANK_LINE = 1 << 16,
	/* The input ended inside a header (truncated message). */
	MESSAGE_FLAG_HEADER_NO_END = 1 << 17,
	/* A header field name with spaces or control characters. */
	MESSAGE_FLAG_BAD_HEADER_NAME = 1 << 18,
	/* Header lines ending in a bare LF (Unix line ends). */
	MESSAGE_FLAG_BARE_LF = 1 << 19,
	/* Message level: an mbox "From " line at the start was skipped. */
	MESSAGE_FLAG_MBOX_FROM = 1 << 20,
	/* A NUL byte in a text part's decoded text. */
	MESSAGE_FLAG_NUL_IN_TEXT = 1 << 21,
};

enum message_encoding {
	MESSAGE_ENCODING_NONE,	/* no Content-Transfer-Encoding field */
	MESSAGE_ENCODING_7BIT,
	MESSAGE_ENCODING_8BIT,
	MESSAGE_ENCODING_BINARY,
	MESSAGE_ENCODING_BASE64,
	MESSAGE_ENCODING_QUOTED_PRINTABLE,
	MESSAGE_ENCODING_OTHER,	/* unknown token: body not decoded */
};

struct message_part {
	/* Position in document order; the message itself is part 0. */
	size_t index;
	size_t parent;		/* index, or MESSAGE_NO_PARENT */
	size_t depth;		/* 0 for the message, 1 for its children */
	/* Index just past this part's last descendant, so its subtree
	 * is [index, subtree_end). */
	size_t subtree_end;
	enum mime_parser_kind kind;	/* leaf, multipart, message/rfc822 */

	const struct mail_header *header;
	/* The header block as sent, blank line included. */
	struct string_view raw_header;

	/* Lowercased; text/plain (message/rfc822 in a digest) when
	 * missing or bad. */
	const char *type;
	const char *subtype;
	/* Content-Type charset parameter as sent, or NULL. */
	const char *charset;
	/* Decoded file name (Content-Disposition filename, else
	 * Content-Type name; RFC 2231 and 2047 undone), or NULL. */
	const char *filename;
	/* Content-Disposition token lowercased ("attachment",
	 * "inline"), or NULL without the field. */
	const char *disposition;
	enum message_encoding encoding;
	/* The Content-Transfer-Encoding token lowercased ("" if none). */
	const char *encoding_name;

	/* The body as sent (for a multipart: preamble, parts, epilogue). */
	struct string_view raw_body;
	/* Leaf parts: the body with base64/QP undone, at most
	 * max_decoded_size bytes; the raw body itself for identity
	 * encodings. Empty for multipart and message parts. */
	struct string_view decoded;
	/* Leaf text/... parts: decoded converted to valid UTF-8 from
	 * the charset. {NULL, 0} for other parts. */
	struct string_view text;
	bool is_text;
	bool is_html;	/* text/html */

	unsigned flags;	/* MESSAGE_FLAG_* about this part */
};

struct message {
	/* The message as given, without a leading mbox "From " line;
	 * every part offset and slice is inside it. */
	struct string_view raw;
	/* That "From " line without its line break, or empty. */
	struct string_view mbox_from;
	/* The top-level header (parts[0].header). */
	const struct mail_header *header;
	/* Every part in document order; parts[0] is the message. */
	const struct message_part *parts;
	size_t part_count;
	unsigned flags;	/* MESSAGE_FLAG_* */
};

/* Parses data[0..length) (a whole message; an mbox "From " line at the
 * start is skipped) into a message in arena. limits may be NULL
 * (defaults). Never fails and never returns NULL; data must outlive the
 * message. */
struct message *message_parse(struct arena *arena, const unsigned char *data,
    size_t length, const struct message_limits *limits);

/* The parent of part, or NULL for the message itself. */
const struct message_part *message_part_parent(const struct message *message,
    const struct message_part *part);

/* The first child of part, or NULL (a leaf, or an empty multipart). */
const struct message_part *message_part_first_child(
    const struct message *message, const struct message_part *part);

/* The next part with the same parent, or NULL. */
const struct message_part *message_part_next_sibling(
    const struct message *message, const struct message_part *part);

/* The next text leaf after previous in document order (NULL: the first
 * one), or NULL when there is no more. This is what body rules and
 * Bayes read: for (p = message_next_text_part(m, NULL); p != NULL;
 * p = message_next_text_part(m, p)). */
const struct message_part *message_next_text_part(
    const struct message *message, const struct message_part *previous);

#endif
