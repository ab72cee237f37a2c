/* imap_utf7.h: IMAP mailbox names between UTF-8 (how sluice stores them)
 * and modified UTF-7 (RFC 3501 5.1.3, how IMAP4rev1 clients send them).
 *
 * Pure functions; any thread. Results are NUL-terminated strings in the
 * caller's arena. */
#ifndef SLUICE_IMAP_UTF7_H
#define SLUICE_IMAP_UTF7_H

#include "lib/common.h"
#include "lib/arena.h"

/* Encodes valid UTF-8 text as modified UTF-7. Returns NULL when text is
 * not valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF are invalid). */
const char *imap_utf7_encode(const char *text, struct arena *arena);

/* Decodes modified UTF-7 into UTF-8. Strict, as RFC 3501 asks: bytes
 * outside 0x20..0x7e, an unterminated or empty "&...-" run (other than
 * "&-"), a printable ASCII character encoded in base64, non-zero padding
 * bits, two adjacent encoded runs, and unpaired surrogates are errors
 * (NULL). */
const char *imap_utf7_decode(const char *text, struct arena *arena);

#endif
