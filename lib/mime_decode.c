/* mime_decode.c: base64, quoted-printable and Q decoding, charset
 * conversion to UTF-8, UTF-8 validation.
 *
 * DESIGN: every decoder writes into one block of memory reserved up
 * front from an upper bound of its output (base64 3/4 of the input, QP
 * at most the input), so the hot loops are plain byte loops without
 * calls or reallocation. The common charsets (UTF-8, ASCII, latin-1,
 * windows-1252) never reach iconv: valid UTF-8 is checked eight bytes
 * at a time for the ASCII case and windows-1252 is a table. iconv
 * descriptors are costly to open, so each thread keeps the last few in
 * a cache keyed by normalised name (failures included), released by a
 * pthread key destructor when the thread ends. */
#include "lib/mime_decode.h"

#include <iconv.h>
#include <pthread.h>

/* base64_table: digits carry bit 7 (value in the low six bits), so one
 * AND of four lookups tests a whole quad; 0 is junk. */
#define BASE64_DIGIT 0x80
#define BASE64_JUNK 0x00
#define BASE64_PAD 0x01
#define BASE64_SPACE 0x02

static const unsigned char base64_table[256] = {
	['A'] = 0x80 | 0, ['B'] = 0x80 | 1, ['C'] = 0x80 | 2,
	['D'] = 0x80 | 3, ['E'] = 0x80 | 4, ['F'] = 0x80 | 5,
	['G'] = 0x80 | 6, ['H'] = 0x80 | 7, ['I'] = 0x80 | 8,
	['J'] = 0x80 | 9, ['K'] = 0x80 | 10, ['L'] = 0x80 | 11,
	['M'] = 0x80 | 12, ['N'] = 0x80 | 13, ['O'] = 0x80 | 14,
	['P'] = 0x80 | 15, ['Q'] = 0x80 | 16, ['R'] = 0x80 | 17,
	['S'] = 0x80 | 18, ['T'] = 0x80 | 19, ['U'] = 0x80 | 20,
	['V'] = 0x80 | 21, ['W'] = 0x80 | 22, ['X'] = 0x80 | 23,
	['Y'] = 0x80 | 24, ['Z'] = 0x80 | 25, ['a'] = 0x80 | 26,
	['b'] = 0x80 | 27, ['c'] = 0x80 | 28, ['d'] = 0x80 | 29,
	['e'] = 0x80 | 30, ['f'] = 0x80 | 31, ['g'] = 0x80 | 32,
	['h'] = 0x80 | 33, ['i'] = 0x80 | 34, ['j'] = 0x80 | 35,
	['k'] = 0x80 | 36, ['l'] = 0x80 | 37, ['m'] = 0x80 | 38,
	['n'] = 0x80 | 39, ['o'] = 0x80 | 40, ['p'] = 0x80 | 41,
	['q'] = 0x80 | 42, ['r'] = 0x80 | 43, ['s'] = 0x80 | 44,
	['t'] = 0x80 | 45, ['u'] = 0x80 | 46, ['v'] = 0x80 | 47,
	['w'] = 0x80 | 48, ['x'] = 0x80 | 49, ['y'] = 0x80 | 50,
	['z'] = 0x80 | 51, ['0'] = 0x80 | 52, ['1'] = 0x80 | 53,
	['2'] = 0x80 | 54, ['3'] = 0x80 | 55, ['4'] = 0x80 | 56,
	['5'] = 0x80 | 57, ['6'] = 0x80 | 58, ['7'] = 0x80 | 59,
	['8'] = 0x80 | 60, ['9'] = 0x80 | 61, ['+'] = 0x80 | 62,
	['/'] = 0x80 | 63,
	['='] = BASE64_PAD,
	[' '] = BASE64_SPACE, ['\t'] = BASE64_SPACE, ['\r'] = BASE64_SPACE,
	['\n'] = BASE64_SPACE, ['\f'] = BASE64_SPACE, ['\v'] = BASE64_SPACE,
};

/* windows-1252 0x80..0x9f; the five holes map to the C1 controls, as
 * browsers do, so every byte has a character. */
static const uint16_t windows_1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static const unsigned char replacement_character[3] = { 0xef, 0xbf, 0xbd };

static inline int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Bytes that may still be appended to out under max_output. The buffer's
 * own cap is read from the struct: buffer.h has no accessor for it. */
static size_t
output_room(const struct buffer *out, size_t max_output)
{
	size_t room = max_output != 0 ? max_output : SIZE_MAX;

	if (out->max != 0)
		room = MIN(room, out->max > out->length ?
		    out->max - out->length : 0);
	return room;
}

/* Decodes base64 into dst (room for cap bytes); *produced_r is the count
 * written. */
static unsigned
base64_decode_into(const unsigned char *in, size_t length, unsigned char *dst,
    size_t cap, size_t *produced_r)
{
	uint32_t accumulator = 0, value;
	unsigned digits = 0, a, b, c, d, flags = 0;
	size_t i = 0, o = 0;
	bool padded = false;

	while (i < length) {
		if (digits == 0) {
			/* Whole quads between line breaks: the fast path. */
			while (i + 4 <= length && o + 3 <= cap) {
				a = base64_table[in[i]];
				b = base64_table[in[i + 1]];
				c = base64_table[in[i + 2]];
				d = base64_table[in[i + 3]];
				if ((a & b & c & d & BASE64_DIGIT) == 0)
					break;
				value = (a & 0x3f) << 18 | (b & 0x3f) << 12 |
				    (c & 0x3f) << 6 | (d & 0x3f);
				dst[o] = (unsigned char)(value >> 16);
				dst[o + 1] = (unsigned char)(value >> 8);
				dst[o + 2] = (unsigned char)value;
				o += 3;
				i += 4;
			}
			if (i >= length)
				break;
		}
		a = base64_table[in[i++]];
		if ((a & BASE64_DIGIT) != 0) {
			accumulator = accumulator << 6 | (a & 0x3f);
			if (++digits < 4)
				continue;
			digits = 0;
			if (o + 3 > cap) {
				/* Write what fits of the last quad. */
				if (o < cap)
					dst[o++] =
					    (unsigned char)(accumulator >> 16);
				if (o < cap)
					dst[o++] =
					    (unsigned char)(accumulator >> 8);
				flags |= MIME_DECODE_TRUNCATED;
				*produced_r = o;
				return flags;
			}
			dst[o] = (unsigned char)(accumulator >> 16);
			dst[o + 1] = (unsigned char)(accumulator >> 8);
			dst[o + 2] = (unsigned char)accumulator;
			o += 3;
			accumulator = 0;
		} else if (a == BASE64_PAD) {
			padded = true;
			break;
		} else if (a == BASE64_JUNK) {
			flags |= MIME_DECODE_INVALID_INPUT;
		}
	}
	/* A partial quad: two digits make one byte, three make two. */
	if (digits == 1) {
		flags |= MIME_DECODE_INVALID_INPUT;
	} else if (digits >= 2) {
		if (!padded)
			flags |= MIME_DECODE_MISSING_PADDING;
		if (digits == 2)
			accumulator <<= 12;
		else
			accumulator <<= 6;
		if (o < cap)
			dst[o++] = (unsigned char)(accumulator >> 16);
		else
			flags |= MIME_DECODE_TRUNCATED;
		if (digits == 3) {
			if (o < cap)
				dst[o++] = (unsigned char)(accumulator >> 8);
			else
				flags |= MIME_DECODE_TRUNCATED;
		}
	}
	*produced_r = o;
	return flags;
}

/* Quoted-printable (q_encoding false) or RFC 2047 Q (true) into dst. */
static unsigned
qp_decode_into(const unsigned char *in, size_t length, bool q_encoding,
    unsigned char *dst, size_t cap, size_t *produced_r)
{
	size_t i = 0, o = 0, j, run;
	unsigned flags = 0;
	int high, low;
	unsigned char c;

	while (i < length) {
		c = in[i];
		if (c == '=') {
			if (i + 2 < length &&
			    (high = hex_value(in[i + 1])) >= 0 &&
			    (low = hex_value(in[i + 2])) >= 0) {
				if (o >= cap)
					goto truncated;
				dst[o++] = (unsigned char)(high << 4 | low);
				i += 3;
				continue;
			}
			if (!q_encoding) {
				/* A soft break: '=', optional spaces (added
				 * by transports), then the line break. */
				for (j = i + 1; j < length &&
				    (in[j] == ' ' || in[j] == '\t'); j++)
					;
				if (j == length) {
					i = j;
					continue;
				}
				if (in[j] == '\n' || (in[j] == '\r' &&
				    j + 1 < length && in[j + 1] == '\n')) {
					i = j + (in[j] == '\r' ? 2 : 1);
					continue;
				}
			}
			flags |= MIME_DECODE_INVALID_INPUT;
		} else if (c == '_' && q_encoding) {
			c = ' ';
		} else if ((c == ' ' || c == '\t') && !q_encoding) {
			/* Trailing whitespace is transport junk. */
			for (j = i + 1; j < length &&
			    (in[j] == ' ' || in[j] == '\t'); j++)
				;
			if (j == length || in[j] == '\n' || (in[j] == '\r' &&
			    j + 1 < length && in[j + 1] == '\n')) {
				i = j;
				continue;
			}
			run = j - i;
			if (run > cap - o) {
				memcpy(dst + o, in + i, cap - o);
				o = cap;
				goto truncated;
			}
			memcpy(dst + o, in + i, run);
			o += run;
			i = j;
			continue;
		}
		if (o >= cap)
			goto truncated;
		dst[o++] = c;
		i++;
	}
	*produced_r = o;
	return flags;
truncated:
	*produced_r = o;
	return flags | MIME_DECODE_TRUNCATED;
}

static size_t
base64_bound(size_t length)
{
	return length / 4 * 3 + 3;
}

unsigned
mime_decode_base64(const unsigned char *in, size_t length, struct buffer *out,
    size_t max_output)
{
	size_t cap = MIN(base64_bound(length), output_room(out, max_output));
	size_t produced = 0;
	unsigned char *dst, none[1];
	unsigned flags;

	/* Nothing may be written when cap is 0; there may be no storage. */
	dst = cap > 0 ? buffer_reserve(out, cap) : none;
	ASSERT(dst != NULL);
	flags = base64_decode_into(in, length, dst, cap, &produced);
	if (produced > 0)
		buffer_commit(out, produced);
	return flags;
}

static unsigned
qp_decode_buffer(const unsigned char *in, size_t length, bool q_encoding,
    struct buffer *out, size_t max_output)
{
	size_t cap = MIN(length, output_room(out, max_output));
	size_t produced = 0;
	unsigned char *dst, none[1];
	unsigned flags;

	dst = cap > 0 ? buffer_reserve(out, cap) : none;
	ASSERT(dst != NULL);
	flags = qp_decode_into(in, length, q_encoding, dst, cap, &produced);
	if (produced > 0)
		buffer_commit(out, produced);
	return flags;
}

unsigned
mime_decode_quoted_printable(const unsigned char *in, size_t length,
    struct buffer *out, size_t max_output)
{
	return qp_decode_buffer(in, length, false, out, max_output);
}

unsigned
mime_decode_q(const unsigned char *in, size_t length, struct buffer *out,
    size_t max_output)
{
	return qp_decode_buffer(in, length, true, out, max_output);
}

unsigned
mime_decode_base64_arena(struct arena *arena, const unsigned char *in,
    size_t length, size_t max_output, struct string_view *out_r)
{
	size_t cap = base64_bound(length), produced = 0;
	unsigned char *dst;
	unsigned flags;

	if (max_output != 0)
		cap = MIN(cap, max_output);
	dst = arena_alloc(arena, cap + 1);
	flags = base64_decode_into(in, length, dst, cap, &produced);
	*out_r = string_view_make((const char *)dst, produced);
	return flags;
}

unsigned
mime_decode_quoted_printable_arena(struct arena *arena,
    const unsigned char *in, size_t length, size_t max_output,
    struct string_view *out_r)
{
	size_t cap = length, produced = 0;
	unsigned char *dst;
	unsigned flags;

	if (max_output != 0)
		cap = MIN(cap, max_output);
	dst = arena_alloc(arena, cap + 1);
	flags = qp_decode_into(in, length, false, dst, cap, &produced);
	*out_r = string_view_make((const char *)dst, produced);
	return flags;
}

/* UTF-8 */

/* Length of the well-formed sequence at s (1..4), or 0 when there is
 * none; then *skip_r is the length of the maximal ill-formed subpart
 * (Unicode 3.9), which becomes one U+FFFD. */
static inline size_t
utf8_sequence(const unsigned char *s, size_t n, size_t *skip_r)
{
	unsigned char c = s[0], lower = 0x80, upper = 0xbf;
	size_t need, k;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4) {
		*skip_r = 1;
		return 0;
	}
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lower = 0xa0;
		else if (c == 0xed)
			upper = 0x9f;
	} else {
		need = 4;
		if (c == 0xf0)
			lower = 0x90;
		else if (c == 0xf4)
			upper = 0x8f;
	}
	if (n < 2 || s[1] < lower || s[1] > upper) {
		*skip_r = 1;
		return 0;
	}
	for (k = 2; k < need; k++) {
		if (k >= n || (s[k] & 0xc0) != 0x80) {
			*skip_r = k;
			return 0;
		}
	}
	return need;
}

/* Length of the longest well-formed prefix of in. */
static size_t
utf8_valid_prefix(const unsigned char *in, size_t length)
{
	size_t i = 0, sequence, skip;
	uint64_t word;

	while (i < length) {
		if (i + 8 <= length) {
			memcpy(&word, in + i, 8);
			if ((word & UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				continue;
			}
		}
		if (in[i] < 0x80) {
			i++;
			continue;
		}
		sequence = utf8_sequence(in + i, length - i, &skip);
		if (sequence == 0)
			return i;
		i += sequence;
	}
	return length;
}

bool
mime_decode_utf8_valid(const unsigned char *in, size_t length)
{
	return utf8_valid_prefix(in, length) == length;
}

/* Longest prefix of the valid UTF-8 in[0..length) that fits in room
 * bytes without splitting a sequence. */
static size_t
utf8_fit(const unsigned char *in, size_t length, size_t room)
{
	if (length <= room)
		return length;
	while (room > 0 && (in[room] & 0xc0) == 0x80)
		room--;
	return room;
}

/* Appends U+FFFD if it fits in *room; false when it does not. */
static bool
append_replacement(struct buffer *out, size_t *room)
{
	if (*room < sizeof(replacement_character))
		return false;
	ASSERT(buffer_append(out, replacement_character,
	    sizeof(replacement_character)) == 0);
	*room -= sizeof(replacement_character);
	return true;
}

/* Appends in to out, each ill-formed subpart replaced by U+FFFD. */
static unsigned
utf8_sanitize(const unsigned char *in, size_t length, struct buffer *out,
    size_t room)
{
	size_t i = 0, valid, fit, skip = 1;
	unsigned flags = 0;

	while (i < length) {
		valid = utf8_valid_prefix(in + i, length - i);
		fit = utf8_fit(in + i, valid, room);
		ASSERT(buffer_append(out, in + i, fit) == 0);
		room -= fit;
		if (fit < valid)
			return flags | MIME_DECODE_TRUNCATED;
		i += valid;
		if (i == length)
			break;
		(void)utf8_sequence(in + i, length - i, &skip);
		flags |= MIME_DECODE_INVALID_INPUT;
		if (!append_replacement(out, &room))
			return flags | MIME_DECODE_TRUNCATED;
		i += skip;
	}
	return flags;
}

static inline size_t
utf8_encode(uint32_t code_point, unsigned char *dst)
{
	if (code_point < 0x80) {
		dst[0] = (unsigned char)code_point;
		return 1;
	}
	if (code_point < 0x800) {
		dst[0] = (unsigned char)(0xc0 | code_point >> 6);
		dst[1] = (unsigned char)(0x80 | (code_point & 0x3f));
		return 2;
	}
	dst[0] = (unsigned char)(0xe0 | code_point >> 12);
	dst[1] = (unsigned char)(0x80 | ((code_point >> 6) & 0x3f));
	dst[2] = (unsigned char)(0x80 | (code_point & 0x3f));
	return 3;
}

/* UTF-8 length of windows-1252 input. */
static size_t
windows_1252_size(const unsigned char *in, size_t length)
{
	size_t i, size = length;

	for (i = 0; i < length; i++) {
		if (in[i] >= 0x80)
			size += in[i] < 0xa0 &&
			    windows_1252_high[in[i] - 0x80] >= 0x800 ? 2 : 1;
	}
	return size;
}

/* windows-1252 to UTF-8; every byte is a character, so no U+FFFD. */
static unsigned
windows_1252_convert(const unsigned char *in, size_t length,
    struct buffer *out, size_t room)
{
	size_t i, o = 0, n, cap = MIN(room, windows_1252_size(in, length));
	unsigned char encoded[3], none[1];
	unsigned char *dst = cap > 0 ? buffer_reserve(out, cap) : none;
	uint32_t code_point;

	ASSERT(dst != NULL);
	for (i = 0; i < length; i++) {
		if (in[i] < 0x80) {
			if (o >= cap)
				break;
			dst[o++] = in[i];
			continue;
		}
		code_point = in[i] < 0xa0 ? windows_1252_high[in[i] - 0x80] :
		    in[i];
		n = utf8_encode(code_point, encoded);
		if (n > cap - o)
			break;
		memcpy(dst + o, encoded, n);
		o += n;
	}
	if (o > 0)
		buffer_commit(out, o);
	return i < length ? MIME_DECODE_TRUNCATED : 0;
}

/* Charset names */

struct charset_alias {
	const char *key;	/* lowercase letters and digits only */
	const char *name;	/* canonical; NULL: a placeholder label */
};

static const struct charset_alias charset_aliases[] = {
	{ "utf8", "UTF-8" },
	{ "unicode11utf8", "UTF-8" },
	{ "unicode20utf8", "UTF-8" },
	{ "xunicode20utf8", "UTF-8" },
	{ "usascii", "US-ASCII" },
	{ "ascii", "US-ASCII" },
	{ "us", "US-ASCII" },
	{ "ansix341968", "US-ASCII" },
	{ "iso646us", "US-ASCII" },
	{ "csascii", "US-ASCII" },
	{ "cp367", "US-ASCII" },
	{ "ibm367", "US-ASCII" },
	{ "iso88591", "WINDOWS-1252" },
	{ "iso885911987", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" },
	{ "cp819", "WINDOWS-1252" },
	{ "ibm819", "WINDOWS-1252" },
	{ "csisolatin1", "WINDOWS-1252" },
	{ "windows1252", "WINDOWS-1252" },
	{ "cp1252", "WINDOWS-1252" },
	{ "win1252", "WINDOWS-1252" },
	{ "xcp1252", "WINDOWS-1252" },
	{ "gb2312", "GBK" },
	{ "gbk", "GBK" },
	{ "cp936", "GBK" },
	{ "euccn", "GBK" },
	{ "xgbk", "GBK" },
	{ "csgb2312", "GBK" },
	{ "gb231280", "GBK" },
	{ "chinese", "GBK" },
	{ "gb18030", "GB18030" },
	{ "big5", "BIG5-HKSCS" },
	{ "xxbig5", "BIG5-HKSCS" },
	{ "cnbig5", "BIG5-HKSCS" },
	{ "csbig5", "BIG5-HKSCS" },
	{ "big5hkscs", "BIG5-HKSCS" },
	{ "shiftjis", "CP932" },
	{ "sjis", "CP932" },
	{ "xsjis", "CP932" },
	{ "mskanji", "CP932" },
	{ "csshiftjis", "CP932" },
	{ "windows31j", "CP932" },
	{ "cp932", "CP932" },
	{ "euckr", "CP949" },
	{ "ksc56011987", "CP949" },
	{ "ksc5601", "CP949" },
	{ "csksc56011987", "CP949" },
	{ "cp949", "CP949" },
	{ "windows949", "CP949" },
	{ "uhc", "CP949" },
	{ "eucjp", "EUC-JP" },
	{ "xeucjp", "EUC-JP" },
	{ "iso2022jp", "ISO-2022-JP" },
	{ "iso88598i", "ISO-8859-8" },
	{ "iso88596i", "ISO-8859-6" },
	{ "koi8r", "KOI8-R" },
	{ "koi8u", "KOI8-U" },
	{ "macintosh", "MACINTOSH" },
	{ "macroman", "MACINTOSH" },
	{ "xmacroman", "MACINTOSH" },
	{ "tis620", "CP874" },
	{ "windows874", "CP874" },
	{ "iso885911", "CP874" },
	{ "utf7", "UTF-7" },
	{ "utf16", "UTF-16" },
	{ "utf16le", "UTF-16LE" },
	{ "utf16be", "UTF-16BE" },
	{ "xunknown", NULL },
	{ "unknown", NULL },
	{ "unknown8bit", NULL },
	{ "xunknown8bit", NULL },
	{ "xuserdefined", NULL },
	{ "default", NULL },
	{ "none", NULL },
	{ "charset", NULL },
	{ "8bit", NULL },
};

static bool
charset_name_character(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':' || c == '+' || c == '(' || c == ')';
}

const char *
mime_decode_charset_normalize(const char *charset, char *name_buffer)
{
	char key[MIME_DECODE_CHARSET_MAX + 1];
	size_t start, end, i, key_length = 0;
	unsigned number;
	unsigned char c;

	if (charset == NULL)
		return NULL;
	for (start = 0; charset[start] == ' ' || charset[start] == '\t' ||
	    charset[start] == '"' || charset[start] == '\''; start++)
		;
	/* RFC 2231 allows "charset*language" in encoded words. */
	for (end = start; charset[end] != '\0' && charset[end] != '*'; end++)
		;
	while (end > start && (charset[end - 1] == ' ' ||
	    charset[end - 1] == '\t' || charset[end - 1] == '"' ||
	    charset[end - 1] == '\''))
		end--;
	if (end == start || end - start > MIME_DECODE_CHARSET_MAX)
		return NULL;
	for (i = start; i < end; i++) {
		c = (unsigned char)charset[i];
		if (!charset_name_character(c))
			return NULL;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			key[key_length++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			key[key_length++] = (char)(c + ('a' - 'A'));
	}
	key[key_length] = '\0';
	for (i = 0; i < ARRAY_LENGTH(charset_aliases); i++) {
		if (strcmp(key, charset_aliases[i].key) == 0)
			return charset_aliases[i].name;
	}
	if (sscanf(key, "iso8859%u", &number) == 1 && number >= 2 &&
	    number <= 16) {
		snprintf(name_buffer, MIME_DECODE_CHARSET_MAX + 1,
		    "ISO-8859-%u", number);
		return name_buffer;
	}
	if ((sscanf(key, "windows%u", &number) == 1 ||
	    sscanf(key, "cp%u", &number) == 1 ||
	    sscanf(key, "win%u", &number) == 1) &&
	    number >= 1250 && number <= 1258) {
		snprintf(name_buffer, MIME_DECODE_CHARSET_MAX + 1, "CP%u",
		    number);
		return name_buffer;
	}
	memcpy(name_buffer, charset + start, end - start);
	name_buffer[end - start] = '\0';
	return name_buffer;
}

/* Per-thread iconv cache */

#define ICONV_CACHE_SIZE 6

struct iconv_cache_entry {
	char name[MIME_DECODE_CHARSET_MAX + 1];
	iconv_t descriptor;	/* (iconv_t)-1: iconv does not know it */
};

struct iconv_cache {
	struct iconv_cache_entry entries[ICONV_CACHE_SIZE];
	size_t count;
	size_t next;	/* round-robin victim once full */
};

static pthread_key_t iconv_cache_key;
static pthread_once_t iconv_cache_once = PTHREAD_ONCE_INIT;

static void
iconv_cache_destroy(void *context)
{
	struct iconv_cache *cache = context;
	size_t i;

	for (i = 0; i < cache->count; i++) {
		if (cache->entries[i].descriptor != (iconv_t)-1)
			iconv_close(cache->entries[i].descriptor);
	}
	free(cache);
}

/* The main thread never runs key destructors; close its cache at exit
 * so leak checkers see a clean process. */
static void
iconv_cache_exit(void)
{
	struct iconv_cache *cache = pthread_getspecific(iconv_cache_key);

	if (cache != NULL) {
		(void)pthread_setspecific(iconv_cache_key, NULL);
		iconv_cache_destroy(cache);
	}
}

static void
iconv_cache_init(void)
{
	if (pthread_key_create(&iconv_cache_key, iconv_cache_destroy) != 0)
		log_panic("pthread_key_create failed");
	atexit(iconv_cache_exit);
}

/* A reset descriptor converting name to UTF-8, or (iconv_t)-1. */
static iconv_t
iconv_cache_get(const char *name)
{
	struct iconv_cache *cache;
	struct iconv_cache_entry *entry;
	size_t i;

	(void)pthread_once(&iconv_cache_once, iconv_cache_init);
	cache = pthread_getspecific(iconv_cache_key);
	if (cache == NULL) {
		cache = calloc(1, sizeof(*cache));
		if (cache == NULL)
			log_panic("out of memory");
		if (pthread_setspecific(iconv_cache_key, cache) != 0)
			log_panic("pthread_setspecific failed");
	}
	for (i = 0; i < cache->count; i++) {
		entry = &cache->entries[i];
		if (strcmp(entry->name, name) == 0) {
			if (entry->descriptor != (iconv_t)-1)
				(void)iconv(entry->descriptor, NULL, NULL,
				    NULL, NULL);
			return entry->descriptor;
		}
	}
	if (cache->count < ICONV_CACHE_SIZE) {
		entry = &cache->entries[cache->count++];
	} else {
		entry = &cache->entries[cache->next];
		cache->next = (cache->next + 1) % ICONV_CACHE_SIZE;
		if (entry->descriptor != (iconv_t)-1)
			iconv_close(entry->descriptor);
	}
	snprintf(entry->name, sizeof(entry->name), "%s", name);
	entry->descriptor = iconv_open("UTF-8", name);
	return entry->descriptor;
}

/* Converts with iconv; returns MIME_DECODE_* bits. */
static unsigned
iconv_convert(iconv_t descriptor, const unsigned char *in, size_t length,
    struct buffer *out, size_t room)
{
	char *input = (char *)(uintptr_t)in, *output;
	size_t input_left = length, want, output_left, result;
	unsigned flags = 0;
	unsigned char *dst;
	int saved_errno;
	bool limited;

	while (input_left > 0) {
		want = input_left > (SIZE_MAX - 16) / 4 ? SIZE_MAX :
		    input_left * 2 + 16;
		limited = want >= room;
		want = MIN(want, room);
		if (want == 0)
			return flags | MIME_DECODE_TRUNCATED;
		dst = buffer_reserve(out, want);
		ASSERT(dst != NULL);
		output = (char *)dst;
		output_left = want;
		result = iconv(descriptor, &input, &input_left, &output,
		    &output_left);
		saved_errno = errno;
		buffer_commit(out, want - output_left);
		room -= want - output_left;
		if (result != (size_t)-1)
			break;
		if (saved_errno == E2BIG) {
			if (limited)
				return flags | MIME_DECODE_TRUNCATED;
			continue;
		}
		/* EILSEQ (invalid) or EINVAL (incomplete at the end): one
		 * U+FFFD, then go on after the offending byte. */
		flags |= MIME_DECODE_INVALID_INPUT;
		if (!append_replacement(out, &room))
			return flags | MIME_DECODE_TRUNCATED;
		if (saved_errno != EILSEQ)
			break;
		input++;
		input_left--;
	}
	return flags;
}

/* No usable label: UTF-8 if it is valid UTF-8, else windows-1252. */
static unsigned
guess_convert(const unsigned char *in, size_t length, struct buffer *out,
    size_t room)
{
	size_t fit;

	if (mime_decode_utf8_valid(in, length)) {
		fit = utf8_fit(in, length, room);
		ASSERT(buffer_append(out, in, fit) == 0);
		return fit < length ? MIME_DECODE_TRUNCATED : 0;
	}
	return windows_1252_convert(in, length, out, room);
}

unsigned
mime_decode_charset(const char *charset, const unsigned char *in,
    size_t length, struct buffer *out, size_t max_output)
{
	char name_buffer[MIME_DECODE_CHARSET_MAX + 1];
	size_t room = output_room(out, max_output);
	const char *name;
	iconv_t descriptor;
	unsigned flags = 0;

	name = mime_decode_charset_normalize(charset, name_buffer);
	if (name == NULL) {
		if (charset != NULL && charset[0] != '\0')
			flags |= MIME_DECODE_UNKNOWN_CHARSET;
		return flags | guess_convert(in, length, out, room);
	}
	if (strcmp(name, "US-ASCII") == 0)
		return guess_convert(in, length, out, room);
	if (strcmp(name, "UTF-8") == 0)
		return utf8_sanitize(in, length, out, room);
	if (strcmp(name, "WINDOWS-1252") == 0)
		return windows_1252_convert(in, length, out, room);
	descriptor = iconv_cache_get(name);
	if (descriptor == (iconv_t)-1)
		return MIME_DECODE_UNKNOWN_CHARSET |
		    guess_convert(in, length, out, room);
	return iconv_convert(descriptor, in, length, out, room);
}

unsigned
mime_decode_charset_arena(struct arena *arena, const char *charset,
    const unsigned char *in, size_t length, size_t max_output,
    struct string_view *out_r)
{
	char name_buffer[MIME_DECODE_CHARSET_MAX + 1];
	struct buffer scratch;
	const char *name;
	unsigned flags;
	char *copy;

	/* Most text needs no conversion: hand back the input itself. */
	name = mime_decode_charset_normalize(charset, name_buffer);
	if ((name == NULL || strcmp(name, "US-ASCII") == 0 ||
	    strcmp(name, "UTF-8") == 0) &&
	    (max_output == 0 || length <= max_output) &&
	    mime_decode_utf8_valid(in, length)) {
		*out_r = string_view_make((const char *)in, length);
		return name == NULL && charset != NULL && charset[0] != '\0' ?
		    MIME_DECODE_UNKNOWN_CHARSET : 0;
	}
	buffer_init(&scratch, 0);
	flags = mime_decode_charset(charset, in, length, &scratch, max_output);
	copy = arena_strndup(arena, buffer_string(&scratch),
	    buffer_length(&scratch));
	*out_r = string_view_make(copy, buffer_length(&scratch));
	buffer_deinit(&scratch);
	return flags;
}
