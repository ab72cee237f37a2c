/* mime_decode.h: content-transfer decoders (base64, quoted-printable and
 * RFC 2047 Q), charset conversion to UTF-8, and a UTF-8 validity check.
 *
 * Every decoder is lenient the way mail readers are, because spam is
 * written to break strict ones: it never fails, it reports what it had
 * to repair as MIME_DECODE_* bits in its return value, and it stops at an
 * output cap instead of growing without bound. Output goes either to the
 * end of a caller's struct buffer or into a caller's arena as a view.
 *
 * Charset conversion handles UTF-8, US-ASCII, ISO-8859-1 and
 * windows-1252 itself (the bulk of real mail, no iconv call) and every
 * other charset through glibc iconv. Names are normalised first ("utf8",
 * "latin1", "cp-1252", "x-unknown" ...); a charset iconv does not know
 * is read as windows-1252 (MIME_DECODE_UNKNOWN_CHARSET), and undecodable
 * input sequences become U+FFFD (MIME_DECODE_INVALID_INPUT), so the
 * output is always valid UTF-8.
 *
 * Pure functions; any thread may call them. iconv descriptors are kept
 * in a small per-thread cache, closed when the thread exits. */
#ifndef SLUICE_MIME_DECODE_H
#define SLUICE_MIME_DECODE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/string_view.h"

/* What a decoder had to repair; OR-ed into its return value. */
enum mime_decode_flag {
	/* The output cap was reached; the output is a prefix. */
	MIME_DECODE_TRUNCATED = 1 << 0,
	/* Base64: bytes outside the alphabet other than whitespace, or a
	 * dangling single character. QP and Q: an '=' not followed by two
	 * hex digits or a line break (kept literally). Charsets: an input
	 * sequence that could not be converted (became U+FFFD). */
	MIME_DECODE_INVALID_INPUT = 1 << 1,
	/* Base64 ended without the '=' padding its length needed. */
	MIME_DECODE_MISSING_PADDING = 1 << 2,
	/* The charset was unknown, empty or unsupported; the input was
	 * read as windows-1252 (or as UTF-8 if it is valid UTF-8). */
	MIME_DECODE_UNKNOWN_CHARSET = 1 << 3,
};

/* Longest charset name we accept; longer ones count as unknown. */
#define MIME_DECODE_CHARSET_MAX 40

/* Base64 (RFC 2045 6.8): whitespace and bytes outside the alphabet are
 * skipped (the latter flagged), a missing padding is tolerated, and
 * decoding stops at the first '='. Appends at most max_output bytes to
 * out (0: no cap beyond the buffer's own). Returns MIME_DECODE_* bits. */
unsigned mime_decode_base64(const unsigned char *in, size_t length,
    struct buffer *out, size_t max_output);

/* Quoted-printable (RFC 2045 6.7): "=XX" in either case is byte XX, '='
 * before a line break (CRLF or LF, after optional spaces) is a soft
 * break and vanishes, spaces and tabs at the end of a line are dropped,
 * and an '=' that starts neither is kept literally. Line breaks are kept
 * as they are. Output cap and return as mime_decode_base64. */
unsigned mime_decode_quoted_printable(const unsigned char *in, size_t length,
    struct buffer *out, size_t max_output);

/* RFC 2047 "Q" encoding of encoded words: as quoted-printable without
 * soft breaks, and '_' stands for a space. Output cap and return as
 * mime_decode_base64. */
unsigned mime_decode_q(const unsigned char *in, size_t length,
    struct buffer *out, size_t max_output);

/* The same three decoders into arena memory: *out_r gets a view of the
 * decoded bytes (NUL-terminated for convenience), at most max_output
 * bytes (0: no cap). Memory is allocated once, sized from the input. */
unsigned mime_decode_base64_arena(struct arena *arena,
    const unsigned char *in, size_t length, size_t max_output,
    struct string_view *out_r);
unsigned mime_decode_quoted_printable_arena(struct arena *arena,
    const unsigned char *in, size_t length, size_t max_output,
    struct string_view *out_r);

/* Converts in from charset (a MIME charset name as sent; NULL or "" for
 * none) to UTF-8, appending at most max_output bytes to out (0: no cap
 * beyond the buffer's own); the cap never splits a UTF-8 sequence.
 * US-ASCII, unknown and missing charsets: valid UTF-8 input is kept as
 * it is, anything else is read as windows-1252 (what mislabelled mail
 * almost always is). ISO-8859-1 is read as windows-1252, as browsers
 * do. Returns MIME_DECODE_* bits. */
unsigned mime_decode_charset(const char *charset, const unsigned char *in,
    size_t length, struct buffer *out, size_t max_output);

/* The same into the arena. When no conversion is needed (the input is
 * already valid UTF-8 under a UTF-8, ASCII or unknown label and fits the
 * cap) *out_r points into in itself and nothing is copied, so it is
 * valid as long as in is; otherwise it is a NUL-terminated arena copy. */
unsigned mime_decode_charset_arena(struct arena *arena, const char *charset,
    const unsigned char *in, size_t length, size_t max_output,
    struct string_view *out_r);

/* The canonical name sluice uses for a MIME charset label: "UTF-8",
 * "US-ASCII", "WINDOWS-1252" (also for ISO-8859-1), an iconv name such
 * as "ISO-8859-2", "CP949" or "GBK", or NULL when the label is empty,
 * too long, holds characters no charset name has, or names a
 * placeholder ("x-unknown", "unknown-8bit", "default"). Does not ask
 * iconv whether it knows the name. The result is static or written into
 * name_buffer (at least MIME_DECODE_CHARSET_MAX + 1 bytes). */
const char *mime_decode_charset_normalize(const char *charset,
    char *name_buffer);

/* True when in[0..length) is well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
bool mime_decode_utf8_valid(const unsigned char *in, size_t length);

#endif
