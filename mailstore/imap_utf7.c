/* imap_utf7.c: modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8.
 *
 * DESIGN: both directions go through UTF-16 code units, since the base64
 * runs carry UTF-16 (big-endian) and a character past U+FFFF becomes a
 * surrogate pair inside one run. The base64 alphabet is the standard one
 * with ',' in place of '/'. */
#include "mailstore/imap_utf7.h"
#include "lib/buffer.h"

static const char imap_utf7_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Decodes one UTF-8 character at *p (advancing it); -1 when invalid. */
static int32_t
imap_utf7_next_utf8(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t code;
	int extra, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		code = s[0] & 0x1f;
		extra = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		code = s[0] & 0x0f;
		extra = 2;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		code = s[0] & 0x07;
		extra = 3;
	} else {
		return -1;
	}
	for (i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		code = (code << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, and past the last code point. */
	if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000) ||
	    (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
		return -1;
	*p = s + extra + 1;
	return (int32_t)code;
}

/* Appends the pending UTF-16 units as one "&...-" run. */
static void
imap_utf7_flush(struct buffer *out, const uint16_t *units, size_t count)
{
	uint32_t bits = 0;
	unsigned bit_count = 0;
	size_t i;
	char c;

	ASSERT(buffer_append(out, "&", 1) == 0);
	for (i = 0; i < count; i++) {
		bits = (bits << 16) | units[i];
		bit_count += 16;
		while (bit_count >= 6) {
			bit_count -= 6;
			c = imap_utf7_alphabet[(bits >> bit_count) & 0x3f];
			ASSERT(buffer_append(out, &c, 1) == 0);
		}
	}
	if (bit_count > 0) {
		c = imap_utf7_alphabet[(bits << (6 - bit_count)) & 0x3f];
		ASSERT(buffer_append(out, &c, 1) == 0);
	}
	ASSERT(buffer_append(out, "-", 1) == 0);
}

static const char *
imap_utf7_finish(struct buffer *out, struct arena *arena)
{
	const char *result = arena_strndup(arena,
	    (const char *)buffer_data(out), buffer_length(out));

	buffer_deinit(out);
	return result;
}

const char *
imap_utf7_encode(const char *text, struct arena *arena)
{
	const unsigned char *p = (const unsigned char *)text;
	struct buffer out;
	uint16_t *units;
	size_t count = 0;
	int32_t code;

	/* At most two UTF-16 units per input byte pair: one per byte bounds
	 * it. */
	units = arena_array(arena, strlen(text) + 1, sizeof(*units));
	buffer_init(&out, 0);
	while (*p != '\0') {
		code = imap_utf7_next_utf8(&p);
		if (code < 0) {
			buffer_deinit(&out);
			return NULL;
		}
		if (code >= 0x20 && code <= 0x7e) {
			if (count > 0) {
				imap_utf7_flush(&out, units, count);
				count = 0;
			}
			ASSERT(buffer_append(&out, code == '&' ? "&-" :
			    (const char *)(p - 1), code == '&' ? 2 : 1) == 0);
			continue;
		}
		if (code >= 0x10000) {
			code -= 0x10000;
			units[count++] = (uint16_t)(0xd800 + (code >> 10));
			units[count++] = (uint16_t)(0xdc00 + (code & 0x3ff));
		} else {
			units[count++] = (uint16_t)code;
		}
	}
	if (count > 0)
		imap_utf7_flush(&out, units, count);
	return imap_utf7_finish(&out, arena);
}

static int
imap_utf7_value(char c)
{
	const char *found = c == '\0' ? NULL : strchr(imap_utf7_alphabet, c);

	return found == NULL ? -1 : (int)(found - imap_utf7_alphabet);
}

/* Appends code point code as UTF-8. */
static void
imap_utf7_append_utf8(struct buffer *out, uint32_t code)
{
	unsigned char bytes[4];
	size_t length;

	if (code < 0x80) {
		bytes[0] = (unsigned char)code;
		length = 1;
	} else if (code < 0x800) {
		bytes[0] = (unsigned char)(0xc0 | (code >> 6));
		bytes[1] = (unsigned char)(0x80 | (code & 0x3f));
		length = 2;
	} else if (code < 0x10000) {
		bytes[0] = (unsigned char)(0xe0 | (code >> 12));
		bytes[1] = (unsigned char)(0x80 | ((code >> 6) & 0x3f));
		bytes[2] = (unsigned char)(0x80 | (code & 0x3f));
		length = 3;
	} else {
		bytes[0] = (unsigned char)(0xf0 | (code >> 18));
		bytes[1] = (unsigned char)(0x80 | ((code >> 12) & 0x3f));
		bytes[2] = (unsigned char)(0x80 | ((code >> 6) & 0x3f));
		bytes[3] = (unsigned char)(0x80 | (code & 0x3f));
		length = 4;
	}
	ASSERT(buffer_append(out, bytes, length) == 0);
}

/* Decodes the base64 run starting at *p (after '&') up to its '-'. */
static int
imap_utf7_decode_run(const char **p, struct buffer *out)
{
	const char *s = *p;
	uint32_t bits = 0, high = 0;
	unsigned bit_count = 0;
	size_t units = 0;
	int value;

	for (; *s != '-'; s++) {
		value = imap_utf7_value(*s);
		if (value < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)value;
		bit_count += 6;
		if (bit_count < 16)
			continue;
		bit_count -= 16;
		uint32_t unit = (bits >> bit_count) & 0xffff;
		units++;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;
			imap_utf7_append_utf8(out, 0x10000 +
			    ((high - 0xd800) << 10) + (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			return -1;
		} else if (unit >= 0x20 && unit <= 0x7e) {
			/* Printable ASCII must stand for itself. */
			return -1;
		} else {
			imap_utf7_append_utf8(out, unit);
		}
	}
	/* Leftover bits are padding: fewer than 6, all zero; and no
	 * unpaired high surrogate or empty run. */
	if (units == 0 || high != 0 || bit_count >= 6 ||
	    (bits & ((1u << bit_count) - 1)) != 0)
		return -1;
	*p = s + 1;
	return 0;
}

const char *
imap_utf7_decode(const char *text, struct arena *arena)
{
	const char *p = text;
	struct buffer out;
	bool after_run = false;

	buffer_init(&out, 0);
	while (*p != '\0') {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			goto fail;
		if (*p != '&') {
			ASSERT(buffer_append(&out, p, 1) == 0);
			p++;
			after_run = false;
			continue;
		}
		p++;
		if (*p == '-') {
			ASSERT(buffer_append(&out, "&", 1) == 0);
			p++;
			after_run = false;
			continue;
		}
		/* "&AKM-&AKM-" should have been one run. */
		if (after_run || imap_utf7_decode_run(&p, &out) < 0)
			goto fail;
		after_run = true;
	}
	return imap_utf7_finish(&out, arena);
fail:
	buffer_deinit(&out);
	return NULL;
}
