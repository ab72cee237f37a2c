/* mail_header.h: RFC 5322 header blocks as mail really arrives: the
 * fields in order, case-insensitive lookup, and the value helpers rules
 * need (unfolding, RFC 2047 encoded words, Content-Type and
 * Content-Disposition with RFC 2231 parameters, address lists).
 *
 * Parsing never fails. A header block ends at the first empty line (CRLF
 * or bare LF), or at the first line that neither starts a field nor
 * continues one: a line without a ':' (or starting with one), or a
 * continuation line with no field before it. Such a line is the first
 * line of the body, as SpamAssassin treats it, and the header is flagged
 * MAIL_HEADER_FLAG_NO_BLANK_LINE. Field names may hold any byte but ':'
 * (spaces inside one set MAIL_HEADER_FLAG_BAD_NAME); NULs and 8-bit
 * bytes survive in names and values and are flagged. Past a limit the
 * parser stops collecting fields but still finds the end of the block.
 *
 * Fields are views into the parsed bytes, so those must outlive the
 * header; the header itself and every helper result live in the
 * caller's arena. Pure functions: any thread may call them, each with
 * its own arena. */
#ifndef SLUICE_MAIL_HEADER_H
#define SLUICE_MAIL_HEADER_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"

#define MAIL_HEADER_DEFAULT_MAX_FIELDS 1000
#define MAIL_HEADER_DEFAULT_MAX_BYTES (1024 * 1024)
#define MAIL_HEADER_DEFAULT_MAX_FIELD_BYTES (64 * 1024)

/* 0 in any member means its default. */
struct mail_header_limits {
	/* Fields collected; later ones are skipped. */
	size_t max_fields;
	/* Bytes of the block scanned for fields; fields starting past
	 * this offset are skipped (the end of the block is still found). */
	size_t max_bytes;
	/* Bytes of one field (name, colon and value with folding); a
	 * longer field is collected with its value cut at this size. */
	size_t max_field_bytes;
};

/* Properties of a header block or of one field (bit set). */
enum mail_header_flag {
	/* A line without a colon, or a stray continuation line, ended the
	 * header instead of an empty line. */
	MAIL_HEADER_FLAG_NO_BLANK_LINE = 1 << 0,
	/* The input ended inside the header (no empty line, no body). */
	MAIL_HEADER_FLAG_NO_END = 1 << 1,
	/* More than max_fields fields: the rest were skipped. */
	MAIL_HEADER_FLAG_TOO_MANY_FIELDS = 1 << 2,
	/* The block is longer than max_bytes: later fields skipped. */
	MAIL_HEADER_FLAG_TOO_LONG = 1 << 3,
	/* A field longer than max_field_bytes was cut. */
	MAIL_HEADER_FLAG_FIELD_TOO_LONG = 1 << 4,
	/* A NUL byte in a name or value. */
	MAIL_HEADER_FLAG_NUL = 1 << 5,
	/* A byte >= 0x80 in a name or value (raw, unencoded). */
	MAIL_HEADER_FLAG_8BIT = 1 << 6,
	/* A field name with a space, tab, control or 8-bit byte in it,
	 * or with whitespace before the colon. */
	MAIL_HEADER_FLAG_BAD_NAME = 1 << 7,
	/* Lines ended in a bare LF (at least one). */
	MAIL_HEADER_FLAG_BARE_LF = 1 << 8,
};

/* The limits bits, for callers that fold them into one flag. */
#define MAIL_HEADER_FLAGS_LIMITS                                      \
	(MAIL_HEADER_FLAG_TOO_MANY_FIELDS | MAIL_HEADER_FLAG_TOO_LONG | \
	    MAIL_HEADER_FLAG_FIELD_TOO_LONG)

struct mail_header_field {
	/* As sent, without the colon and without whitespace before it. */
	struct string_view name;
	/* As sent: after the colon and the spaces and tabs that follow
	 * it, through the end of the field's last line, without that
	 * line's CRLF or LF; folding line breaks inside are kept. */
	struct string_view value;
	/* Offset of the name's first byte from the start of the block. */
	size_t offset;
	/* Bytes of the whole field, from the name through its last line
	 * break (what the block would lose without it). */
	size_t length;
	/* MAIL_HEADER_FLAG_NUL, _8BIT, _BAD_NAME, _FIELD_TOO_LONG. */
	unsigned flags;
};

struct mail_header {
	/* Collected fields in order of appearance (NULL when none). */
	const struct mail_header_field *fields;
	size_t field_count;
	/* Bytes of the block: the fields plus the empty line that ended
	 * it, so the body starts at this offset. With NO_BLANK_LINE the
	 * offending line is not counted; with NO_END it is the input's
	 * length. */
	size_t length;
	/* Offset of the empty line ending the block (== length when there
	 * is none): the fields span [0, fields_end). */
	size_t fields_end;
	/* MAIL_HEADER_FLAG_* for the block and all its fields. */
	unsigned flags;
};

/* Parses the header block at the start of data[0..length). Limits may
 * be NULL (defaults). Never fails; the result and its field array live
 * in arena, field views point into data. */
struct mail_header *mail_header_parse(struct arena *arena,
    const unsigned char *data, size_t length,
    const struct mail_header_limits *limits);

/* The first field named name (ASCII case-insensitive), or NULL. */
const struct mail_header_field *mail_header_get(
    const struct mail_header *header, const char *name);

/* The index-th field named name (0 is the first), or NULL. */
const struct mail_header_field *mail_header_get_nth(
    const struct mail_header *header, const char *name, size_t index);

/* Number of fields named name. */
size_t mail_header_count(const struct mail_header *header, const char *name);

/* Every field named name, in order, as an arena array of *count_r
 * pointers; NULL (and 0) when there is none. */
const struct mail_header_field **mail_header_get_all(
    const struct mail_header *header, struct arena *arena, const char *name,
    size_t *count_r);

/* The value with its folding undone: every CRLF or LF followed by a
 * space or tab is removed (the whitespace stays). Returns value itself
 * when there is nothing to unfold, else an arena copy (NUL-terminated). */
struct string_view mail_header_unfold(struct arena *arena,
    struct string_view value);

/* The value unfolded and with RFC 2047 encoded words decoded, as valid
 * UTF-8 (may contain NULs from the input). The result is value itself
 * when nothing needed changing, else a NUL-terminated arena copy.
 *
 * "=?charset?B?...?=" and "=?charset?Q?...?=" (any case, an RFC 2231
 * "*language" after the charset ignored) are decoded wherever they
 * appear, also inside words, as SpamAssassin does. Whitespace between
 * two encoded words is dropped; adjacent words in one charset are joined
 * before conversion, so a character split across them survives. Q
 * decodes '_' to a space. An unknown or invalid charset reads the bytes
 * as windows-1252. A word that is malformed (unknown encoding letter,
 * missing "?=", a space inside) is left as it is. Unencoded bytes that
 * are not valid UTF-8 are read as windows-1252. *flags_r (may be NULL)
 * gets MIME_DECODE_* bits from lib/mime_decode.h. */
struct string_view mail_header_decode(struct arena *arena,
    struct string_view value, unsigned *flags_r);

struct mail_header_parameter {
	/* ASCII-lowercased, without RFC 2231 "*N" / "*" suffixes. */
	const char *name;
	/* Quotes and backslash escapes removed; otherwise the bytes as
	 * sent (a boundary must match byte for byte), except that RFC
	 * 2231 values are joined from their sections, percent-decoded and
	 * converted to UTF-8 from their charset, and "name" and
	 * "filename" are decoded as mail_header_decode() does (MUAs put
	 * RFC 2047 words inside the quotes). NUL-terminated; may hold
	 * NULs from the input. */
	const char *value;
};

/* Flags of a parsed Content-Type or Content-Disposition. */
enum mail_header_content_flag {
	/* Type missing or not "token/token" (Content-Type), or no
	 * disposition token. */
	MAIL_HEADER_CONTENT_BAD_TYPE = 1 << 0,
	/* Junk between parameters, a parameter without '=', or an
	 * unterminated quoted string or comment. */
	MAIL_HEADER_CONTENT_BAD_PARAMETER = 1 << 1,
	/* More than MAIL_HEADER_PARAMETERS_MAX parameters (or RFC 2231
	 * sections): the rest were ignored. */
	MAIL_HEADER_CONTENT_TOO_MANY_PARAMETERS = 1 << 2,
};

#define MAIL_HEADER_PARAMETERS_MAX 64

/* A parsed Content-Type ("type/subtype; a=b") or Content-Disposition
 * ("attachment; filename=x", with an empty subtype). */
struct mail_header_content {
	/* ASCII-lowercased tokens, "" when missing. */
	const char *type;
	const char *subtype;
	/* Parameters in order of first appearance. For a name given twice
	 * in the same form the first wins; an RFC 2231 form ("name*=" or
	 * "name*0=") beats a plain one. NULL when there is none. */
	const struct mail_header_parameter *parameters;
	size_t parameter_count;
	unsigned flags;	/* MAIL_HEADER_CONTENT_* */
};

/* Parses a Content-Type value (raw, folding allowed) into *content_r;
 * everything lives in arena. Comments "(...)" are skipped anywhere,
 * quoted strings honoured, junk skipped up to the next ';'. Never
 * fails: a broken value gives empty strings and flags. */
void mail_header_parse_content_type(struct arena *arena,
    struct string_view value, struct mail_header_content *content_r);

/* The same for Content-Disposition: type is the disposition
 * ("attachment", "inline"), subtype is always "". */
void mail_header_parse_content_disposition(struct arena *arena,
    struct string_view value, struct mail_header_content *content_r);

/* The value of parameter name (ASCII case-insensitive), or NULL. */
const char *mail_header_content_parameter(
    const struct mail_header_content *content, const char *name);

struct mail_header_address {
	/* Display name, decoded (RFC 2047, quotes and escapes removed,
	 * whitespace runs collapsed to one space, UTF-8); for a bare
	 * "addr (Comment)" the comment's text, as SpamAssassin's :name
	 * gives it. "" when there is none. */
	const char *name;
	/* The addr-spec "local@domain" as sent, without angle brackets,
	 * comments, whitespace and any source route; "" for "<>" and for
	 * a group with no members. */
	const char *address;
	/* Name of the group this address belongs to (decoded), or NULL. */
	const char *group;
};

/* Parses an address list (From, To, Cc, Reply-To ...) leniently: groups
 * ("name: a, b;" and empty "undisclosed-recipients:;"), comments,
 * quoted names with commas, missing angle brackets ("John
 * john@example.org" takes the word with '@' as the address), unclosed
 * brackets and quotes. Entries with neither name nor address are
 * dropped; an empty group yields one entry with its group name and an
 * empty address. Returns the number of entries and sets *addresses_r to
 * an arena array of them (NULL for none). At most
 * MAIL_HEADER_ADDRESSES_MAX entries. */
#define MAIL_HEADER_ADDRESSES_MAX 1000
size_t mail_header_parse_addresses(struct arena *arena,
    struct string_view value, struct mail_header_address **addresses_r);

#endif
