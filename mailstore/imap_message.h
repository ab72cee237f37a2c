/* imap_message.h: the IMAP views of one message: its part tree with raw
 * byte offsets, ENVELOPE, BODY and BODYSTRUCTURE, and BODY[section]
 * contents (RFC 3501 sections 6.4.5 and 7.4.2).
 *
 * The input is the message in wire form (CRLF line ends); a caller with
 * LF-only stored files converts them first, so that every offset and
 * octet count here is what the client sees. The structure comes from
 * lib/mime_parser (one pass, bounded by depth and part limits); parsing
 * never fails: broken MIME degrades to text/plain leaves. Header values
 * are given raw in ENVELOPE and BODYSTRUCTURE (RFC 2047 words are not
 * decoded), unfolded.
 *
 * Lifetime: everything lives in the caller's arena and points into the
 * caller's bytes, which must outlive the message. Pure code: any thread
 * may call it, one thread per arena at a time. */
#ifndef SLUICE_IMAP_MESSAGE_H
#define SLUICE_IMAP_MESSAGE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/mail_header.h"
#include "lib/string_view.h"

#define IMAP_MESSAGE_DEFAULT_MAX_DEPTH 32
#define IMAP_MESSAGE_DEFAULT_MAX_PARTS 5000
/* Section part numbers accepted ("1.2.3" has three). */
#define IMAP_MESSAGE_SECTION_MAX_PARTS 32
/* Longest string written as a quoted string; longer ones are literals. */
#define IMAP_MESSAGE_QUOTED_MAX 1024

/* 0 in any member means its default. */
struct imap_message_limits {
	size_t max_depth;	/* nesting of multiparts and messages */
	size_t max_parts;	/* parts in all, the message included */
};

enum imap_message_part_kind {
	IMAP_MESSAGE_PART_LEAF,		/* a body of its own */
	IMAP_MESSAGE_PART_MULTIPART,	/* children: its body parts */
	IMAP_MESSAGE_PART_MESSAGE,	/* message/rfc822: child is the
					 * enclosed message */
};

/* One node of the part tree. The message itself is the root; the child
 * of a message/rfc822 part is the enclosed message (header and body),
 * whose children are its body parts when it is a multipart. Offsets
 * count from the start of the message bytes. */
struct imap_message_part {
	enum imap_message_part_kind kind;
	struct imap_message_part *parent;	/* NULL for the root */
	struct imap_message_part **children;
	size_t child_count;
	/* The header is [header_start, body_start), its blank line
	 * included; the body is [body_start, body_end). */
	size_t header_start;
	size_t body_start;
	size_t body_end;
	/* Lowercased; "text"/"plain" when missing, bad or degraded. */
	const char *type;
	const char *subtype;
	/* The parsed Content-Type (parameters), or NULL: none or
	 * degraded to text/plain. */
	const struct mail_header_content *content_type;
	/* Content-Transfer-Encoding token lowercased, "" when none. */
	const char *encoding;
	/* The part's header fields (views into the message bytes). */
	const struct mail_header *header;
	/* Lines of the body: LF count, plus one for an unterminated last
	 * line. */
	size_t lines;
};

struct imap_message {
	const unsigned char *data;
	size_t length;
	struct imap_message_part *root;
	size_t part_count;
};

/* Parses data[0..length) into a part tree in arena. limits may be NULL.
 * Never fails, never returns NULL. */
struct imap_message *imap_message_parse(struct arena *arena,
    const unsigned char *data, size_t length,
    const struct imap_message_limits *limits);

/* Appends data[0..length) as an IMAP string: a quoted string when every
 * byte is 7-bit, not NUL, CR or LF and it is at most
 * IMAP_MESSAGE_QUOTED_MAX bytes ('"' and '\' escaped), else a literal
 * "{N}\r\n" followed by the bytes. Returns 0, or -1 when the buffer's
 * cap was hit (its contents are then undefined). */
int imap_message_append_string(struct buffer *buffer, const void *data,
    size_t length) ATTR_NODISCARD;

/* The same, but NIL for a NULL data. */
int imap_message_append_nstring(struct buffer *buffer, const void *data,
    size_t length) ATTR_NODISCARD;

/* Appends the ENVELOPE of the message part (the root, or the child of a
 * message/rfc822 part) as "(date subject from sender reply-to to cc bcc
 * in-reply-to message-id)". Sender and Reply-To default to From when
 * absent or empty. Groups are written as RFC 3501 says (a start marker
 * with the group name as mailbox, its members, an end marker of four
 * NILs); an address without a domain gets host "MISSING_DOMAIN", one
 * without a local part mailbox "MISSING_MAILBOX". Returns 0, or -1 on
 * the buffer cap with *error_r set. */
int imap_message_append_envelope(struct buffer *buffer, struct arena *arena,
    const struct imap_message_part *part, const char **error_r);

/* Appends BODYSTRUCTURE (extended true: with the extension data, md5
 * always NIL) or BODY (extended false) of the message. Types, subtypes,
 * encodings and parameter names are written uppercase; parameter values
 * as lib/mail_header parses them (unquoted, RFC 2231 joined). A text
 * part without a charset gets ("CHARSET" "us-ascii"). Returns 0, or -1
 * on the buffer cap with *error_r set. */
int imap_message_append_bodystructure(struct buffer *buffer,
    struct arena *arena, const struct imap_message *message, bool extended,
    const char **error_r);

enum imap_message_section_kind {
	IMAP_MESSAGE_SECTION_ALL,	/* BODY[] or BODY[n] */
	IMAP_MESSAGE_SECTION_HEADER,
	IMAP_MESSAGE_SECTION_HEADER_FIELDS,
	IMAP_MESSAGE_SECTION_HEADER_FIELDS_NOT,
	IMAP_MESSAGE_SECTION_TEXT,
	IMAP_MESSAGE_SECTION_MIME,	/* needs part numbers */
};

/* A BODY[section]<origin.count> request. */
struct imap_message_section {
	/* "1.2" is {1, 2}; none for the message itself. Each nonzero. */
	const uint32_t *parts;
	size_t part_count;
	enum imap_message_section_kind kind;
	/* HEADER.FIELDS (.NOT): the field names (ASCII case ignored). */
	const char *const *fields;
	size_t field_count;
	/* <origin.count>: has_partial false means the whole section. */
	bool has_partial;
	uint64_t origin;
	uint64_t count;
};

/* What a section resolved to. */
struct imap_message_section_content {
	/* The bytes: a view into the message (in_message true, starting
	 * at offset) or into arena memory (HEADER.FIELDS). Empty for a
	 * part that does not exist and for an origin past the end. */
	struct string_view bytes;
	bool in_message;
	size_t offset;
};

/* Resolves section against the message. Nonexistent parts (a number
 * past the children, [n.m] inside a leaf, HEADER or TEXT of a part that
 * is no message/rfc822) give empty contents, as RFC 3501 wants; part 1
 * of a non-multipart message is its body. Partials cut the result.
 * Returns 0, or -1 with *error_r for a malformed request (MIME without
 * part numbers, a zero part number, too many part numbers). */
int imap_message_section_get(const struct imap_message *message,
    struct arena *arena, const struct imap_message_section *section,
    struct imap_message_section_content *content_r, const char **error_r);

/* The part a section's numbers name (the root for none): the node whose
 * body [n] returns, or NULL when it does not exist. */
const struct imap_message_part *imap_message_find_part(
    const struct imap_message *message, const uint32_t *parts,
    size_t part_count);

#endif
