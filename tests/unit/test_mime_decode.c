/* test_mime_decode.c: unit tests for lib/mime_decode: base64, QP and Q
 * tables, charset conversion, caps, UTF-8 validity, name normalisation. */
#include "lib/buffer.h"
#include "lib/mime_decode.h"
#include "tests/unit/harness.h"

struct decode_case {
	const char *input;
	size_t length;		/* 0: strlen(input) */
	size_t max_output;	/* 0: no cap */
	const char *expected;
	size_t expected_length;	/* 0: strlen(expected) */
	unsigned flags;
};

#define BIN(s) s, sizeof(s) - 1

static const struct decode_case base64_cases[] = {
	{ "", 0, 0, "", 0, 0 },
	{ "aGVsbG8=", 0, 0, "hello", 0, 0 },
	{ "aGVsbG8gd29ybGQ=", 0, 0, "hello world", 0, 0 },
	{ "YQ==", 0, 0, "a", 0, 0 },
	{ "YWI=", 0, 0, "ab", 0, 0 },
	{ "YWJj", 0, 0, "abc", 0, 0 },
	/* Line breaks and spaces anywhere are fine. */
	{ "aGVs\r\nbG8g\nd29y bGQ=", 0, 0, "hello world", 0, 0 },
	{ "a G V s b G 8 =", 0, 0, "hello", 0, 0 },
	/* Missing padding is tolerated but reported. */
	{ "aGVsbG8", 0, 0, "hello", 0, MIME_DECODE_MISSING_PADDING },
	{ "YQ", 0, 0, "a", 0, MIME_DECODE_MISSING_PADDING },
	/* A dangling single character cannot make a byte. */
	{ "YWJjZ", 0, 0, "abc", 0, MIME_DECODE_INVALID_INPUT },
	/* Junk is skipped and reported. */
	{ "aGV!sb*G8=", 0, 0, "hello", 0, MIME_DECODE_INVALID_INPUT },
	{ "\x80\xffYWJj", 0, 0, "abc", 0, MIME_DECODE_INVALID_INPUT },
	/* Decoding stops at the first '='. */
	{ "YQ==YWJj", 0, 0, "a", 0, 0 },
	{ "YWJj=YWJj", 0, 0, "abc", 0, 0 },
	{ "=YWJj", 0, 0, "", 0, 0 },
	/* Binary output with NULs. */
	{ "AAEC/w==", 0, 0, BIN("\0\1\2\xff"), 0 },
	{ "+/+/", 0, 0, "\xfb\xff\xbf", 0, 0 },
	/* The cap cuts, mid-quad too. */
	{ "aGVsbG8gd29ybGQ=", 0, 5, "hello", 0, MIME_DECODE_TRUNCATED },
	{ "aGVsbG8gd29ybGQ=", 0, 4, "hell", 0, MIME_DECODE_TRUNCATED },
	{ "aGVsbG8gd29ybGQ=", 0, 1, "h", 0, MIME_DECODE_TRUNCATED },
	{ "aGVsbG8gd29ybGQ=", 0, 11, "hello world", 0, 0 },
	{ "YWI", 0, 1, "a", 0,
	    MIME_DECODE_TRUNCATED | MIME_DECODE_MISSING_PADDING },
};

static const struct decode_case qp_cases[] = {
	{ "", 0, 0, "", 0, 0 },
	{ "plain text", 0, 0, "plain text", 0, 0 },
	{ "caf=C3=A9", 0, 0, "caf\xc3\xa9", 0, 0 },
	{ "caf=c3=a9", 0, 0, "caf\xc3\xa9", 0, 0 },
	{ "a=3Db", 0, 0, "a=b", 0, 0 },
	/* Soft line breaks, CRLF and LF, with padding before the break. */
	{ "soft=\r\nbreak", 0, 0, "softbreak", 0, 0 },
	{ "soft=\nbreak", 0, 0, "softbreak", 0, 0 },
	{ "soft= \t\r\nbreak", 0, 0, "softbreak", 0, 0 },
	{ "end=", 0, 0, "end", 0, 0 },
	/* Hard breaks stay as they are. */
	{ "a\r\nb\nc", 0, 0, "a\r\nb\nc", 0, 0 },
	/* Trailing whitespace is dropped, inner whitespace kept. */
	{ "a  \r\nb \t\nc  ", 0, 0, "a\r\nb\nc", 0, 0 },
	{ "a  b", 0, 0, "a  b", 0, 0 },
	/* Bad escapes are kept literally. */
	{ "a=ZZb", 0, 0, "a=ZZb", 0, MIME_DECODE_INVALID_INPUT },
	{ "a=4", 0, 0, "a=4", 0, MIME_DECODE_INVALID_INPUT },
	{ "100=% off", 0, 0, "100=% off", 0, MIME_DECODE_INVALID_INPUT },
	{ "=\xff", 0, 0, "=\xff", 0, MIME_DECODE_INVALID_INPUT },
	{ "under_score", 0, 0, "under_score", 0, 0 },
	{ BIN("nul=00byte"), 0, BIN("nul\0byte"), 0 },
	{ "=41=42=43", 0, 2, "AB", 0, MIME_DECODE_TRUNCATED },
	{ "abc   def", 0, 4, "abc ", 0, MIME_DECODE_TRUNCATED },
};

static const struct decode_case q_cases[] = {
	{ "hello_world", 0, 0, "hello world", 0, 0 },
	{ "caf=E9", 0, 0, "caf\xe9", 0, 0 },
	{ "a=5Fb", 0, 0, "a_b", 0, 0 },
	{ "a=\r\nb", 0, 0, "a=\r\nb", 0, MIME_DECODE_INVALID_INPUT },
	{ "trailing  ", 0, 0, "trailing  ", 0, 0 },
	{ "=XY", 0, 0, "=XY", 0, MIME_DECODE_INVALID_INPUT },
};

static void
check_output(const char *what, size_t index, const struct decode_case *c,
    const unsigned char *got, size_t got_length, unsigned flags)
{
	size_t expected_length = c->expected_length != 0 ?
	    c->expected_length : strlen(c->expected);

	if (got_length != expected_length ||
	    memcmp(got, c->expected, expected_length) != 0)
		test_fail(__FILE__, __LINE__, "%s case %zu: got %zu bytes "
		    "\"%.*s\", want \"%s\"", what, index, got_length,
		    (int)got_length, (const char *)got, c->expected);
	if (flags != c->flags)
		test_fail(__FILE__, __LINE__, "%s case %zu: flags %#x, want "
		    "%#x", what, index, flags, c->flags);
}

static void
run_decode_table(const char *what, const struct decode_case *cases,
    size_t count, unsigned (*decode)(const unsigned char *, size_t,
    struct buffer *, size_t))
{
	struct buffer out;
	size_t i, length;
	unsigned flags;

	buffer_init(&out, 0);
	for (i = 0; i < count; i++) {
		length = cases[i].length != 0 ? cases[i].length :
		    strlen(cases[i].input);
		/* Output is appended after what the buffer holds. */
		buffer_reset(&out);
		ASSERT(buffer_append(&out, "PRE", 3) == 0);
		flags = decode((const unsigned char *)cases[i].input, length,
		    &out, cases[i].max_output);
		test_assert(memcmp(buffer_data(&out), "PRE", 3) == 0);
		check_output(what, i, &cases[i], buffer_data(&out) + 3,
		    buffer_length(&out) - 3, flags);
	}
	buffer_deinit(&out);
}

/* The arena variant of a decoder over the same table. */
static void
run_arena_table(const char *what, const struct decode_case *cases,
    size_t count, unsigned (*decode)(struct arena *, const unsigned char *,
    size_t, size_t, struct string_view *))
{
	struct arena *arena = arena_new("test", 0);
	struct string_view view;
	size_t i, length;
	unsigned flags;

	for (i = 0; i < count; i++) {
		length = cases[i].length != 0 ? cases[i].length :
		    strlen(cases[i].input);
		flags = decode(arena, (const unsigned char *)cases[i].input,
		    length, cases[i].max_output, &view);
		check_output(what, i, &cases[i],
		    (const unsigned char *)view.data, view.length, flags);
	}
	arena_free(&arena);
}

static void
test_mime_decode_base64(void)
{
	run_decode_table("base64", base64_cases, ARRAY_LENGTH(base64_cases),
	    mime_decode_base64);
	run_arena_table("base64 arena", base64_cases,
	    ARRAY_LENGTH(base64_cases), mime_decode_base64_arena);
}

static void
test_mime_decode_quoted_printable(void)
{
	run_decode_table("qp", qp_cases, ARRAY_LENGTH(qp_cases),
	    mime_decode_quoted_printable);
	run_arena_table("qp arena", qp_cases, ARRAY_LENGTH(qp_cases),
	    mime_decode_quoted_printable_arena);
}

static void
test_mime_decode_q(void)
{
	run_decode_table("q", q_cases, ARRAY_LENGTH(q_cases), mime_decode_q);
}

/* The buffer's own cap also bounds the output. */
static void
test_mime_decode_buffer_cap(void)
{
	struct buffer out;
	unsigned flags;

	buffer_init(&out, 4);
	flags = mime_decode_base64((const unsigned char *)"aGVsbG8=", 8, &out,
	    0);
	test_assert_int(flags, MIME_DECODE_TRUNCATED);
	test_assert_int(buffer_length(&out), 4);
	test_assert(memcmp(buffer_data(&out), "hell", 4) == 0);
	flags = mime_decode_charset("utf-8", (const unsigned char *)"x", 1,
	    &out, 0);
	test_assert_int(flags, MIME_DECODE_TRUNCATED);
	test_assert_int(buffer_length(&out), 4);
	buffer_deinit(&out);
}

struct charset_case {
	const char *charset;
	const char *input;
	size_t length;		/* 0: strlen */
	size_t max_output;
	const char *expected;
	unsigned flags;
};

static const struct charset_case charset_cases[] = {
	{ "utf-8", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9", 0 },
	{ "UTF8", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9", 0 },
	{ "\"utf-8\"", "x", 0, 0, "x", 0 },
	/* Invalid UTF-8: one U+FFFD per maximal ill-formed subpart. */
	{ "utf-8", "a\xffz", 0, 0, "a\xef\xbf\xbdz",
	    MIME_DECODE_INVALID_INPUT },
	{ "utf-8", "a\xe2\x82z", 0, 0, "a\xef\xbf\xbdz",
	    MIME_DECODE_INVALID_INPUT },
	{ "utf-8", "\xc0\xaf", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd",
	    MIME_DECODE_INVALID_INPUT },
	{ "utf-8", "\xed\xa0\x80", 0, 0,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", MIME_DECODE_INVALID_INPUT },
	{ "utf-8", "end\xe2\x82", 0, 0, "end\xef\xbf\xbd",
	    MIME_DECODE_INVALID_INPUT },
	/* latin-1 is read as windows-1252, like browsers. */
	{ "iso-8859-1", "caf\xe9", 0, 0, "caf\xc3\xa9", 0 },
	{ "latin1", "\x80uro", 0, 0, "\xe2\x82\xacuro", 0 },
	{ "ISO_8859-1", "\xa0", 0, 0, "\xc2\xa0", 0 },
	{ "windows-1252", "\x93q\x94 \x81", 0, 0,
	    "\xe2\x80\x9cq\xe2\x80\x9d \xc2\x81", 0 },
	{ "cp1252", "\x9f", 0, 0, "\xc5\xb8", 0 },
	/* Through iconv. */
	{ "iso-8859-2", "\xb1", 0, 0, "\xc4\x85", 0 },
	{ "ISO8859-15", "\xa4", 0, 0, "\xe2\x82\xac", 0 },
	{ "koi8-r", "\xc1", 0, 0, "\xd0\xb0", 0 },
	{ "windows-1251", "\xc0", 0, 0, "\xd0\x90", 0 },
	{ "shift_jis", "\x82\xa0", 0, 0, "\xe3\x81\x82", 0 },
	{ "gb2312", "\xc4\xe3", 0, 0, "\xe4\xbd\xa0", 0 },
	{ "big5", "\xa4\xa4", 0, 0, "\xe4\xb8\xad", 0 },
	{ "euc-kr", "\xc7\xd1", 0, 0, "\xed\x95\x9c", 0 },
	{ "iso-2022-jp", "\x1b$B$\"\x1b(B", 0, 0, "\xe3\x81\x82", 0 },
	{ "utf-16le", "a\0b\0", 4, 0, "ab", 0 },
	/* Invalid in the charset: U+FFFD, conversion goes on. */
	{ "shift_jis", "a\x82z", 0, 0, "a\xef\xbf\xbdz",
	    MIME_DECODE_INVALID_INPUT },
	{ "euc-kr", "x\xc7", 0, 0, "x\xef\xbf\xbd", MIME_DECODE_INVALID_INPUT },
	/* ASCII labels and no label: UTF-8 if valid, else windows-1252. */
	{ "us-ascii", "plain", 0, 0, "plain", 0 },
	{ "us-ascii", "caf\xe9", 0, 0, "caf\xc3\xa9", 0 },
	{ "us-ascii", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9", 0 },
	{ NULL, "caf\xe9", 0, 0, "caf\xc3\xa9", 0 },
	{ "", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9", 0 },
	/* Unknown and placeholder labels: the same, flagged. */
	{ "x-unknown", "caf\xe9", 0, 0, "caf\xc3\xa9",
	    MIME_DECODE_UNKNOWN_CHARSET },
	{ "klingon", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9",
	    MIME_DECODE_UNKNOWN_CHARSET },
	{ "../../etc/passwd", "a\xe9", 0, 0, "a\xc3\xa9",
	    MIME_DECODE_UNKNOWN_CHARSET },
	{ "utf-8//TRANSLIT", "a", 0, 0, "a", MIME_DECODE_UNKNOWN_CHARSET },
	{ "a-very-long-charset-name-that-goes-on-and-on-and-on", "a", 0, 0,
	    "a", MIME_DECODE_UNKNOWN_CHARSET },
	/* The cap never splits a sequence. */
	{ "utf-8", "ab\xc3\xa9", 0, 3, "ab", MIME_DECODE_TRUNCATED },
	{ "iso-8859-1", "ab\xe9", 0, 3, "ab", MIME_DECODE_TRUNCATED },
	{ "iso-8859-2", "ab\xb1\xb1", 0, 5, "ab\xc4\x85",
	    MIME_DECODE_TRUNCATED },
	{ NULL, "ab\xc3\xa9z", 0, 3, "ab", MIME_DECODE_TRUNCATED },
	{ "utf-8", "a\xff", 0, 3, "a", MIME_DECODE_TRUNCATED |
	    MIME_DECODE_INVALID_INPUT },
};

static void
test_mime_decode_charset(void)
{
	struct arena *arena = arena_new("test", 0);
	const struct charset_case *c;
	struct string_view view;
	struct buffer out;
	size_t i, length;
	unsigned flags;
	int round;

	buffer_init(&out, 0);
	/* Twice, so the second round runs on cached iconv descriptors. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < ARRAY_LENGTH(charset_cases); i++) {
			c = &charset_cases[i];
			length = c->length != 0 ? c->length : strlen(c->input);
			buffer_reset(&out);
			flags = mime_decode_charset(c->charset,
			    (const unsigned char *)c->input, length, &out,
			    c->max_output);
			if (strcmp(buffer_string(&out), c->expected) != 0 ||
			    flags != c->flags)
				test_fail(__FILE__, __LINE__, "charset case "
				    "%zu (%s): got \"%s\" %#x, want \"%s\" "
				    "%#x", i, c->charset ? c->charset : "NULL",
				    buffer_string(&out), flags, c->expected,
				    c->flags);
			test_assert(mime_decode_utf8_valid(buffer_data(&out),
			    buffer_length(&out)));
			flags = mime_decode_charset_arena(arena, c->charset,
			    (const unsigned char *)c->input, length,
			    c->max_output, &view);
			if (view.length != strlen(c->expected) ||
			    memcmp(view.data, c->expected, view.length) != 0 ||
			    flags != c->flags)
				test_fail(__FILE__, __LINE__, "charset arena "
				    "case %zu: got \"%.*s\" %#x", i,
				    (int)view.length, view.data, flags);
		}
	}
	buffer_deinit(&out);
	arena_free(&arena);
}

/* Valid UTF-8 under a UTF-8 or ASCII label is handed back in place. */
static void
test_mime_decode_charset_arena_view(void)
{
	static const unsigned char text[] = "d\xc3\xa9j\xc3\xa0 vu";
	static const unsigned char latin[] = "d\xe9j\xe0";
	struct arena *arena = arena_new("test", 0);
	struct string_view view;

	test_assert_int(mime_decode_charset_arena(arena, "UTF-8", text,
	    sizeof(text) - 1, 0, &view), 0);
	test_assert(view.data == (const char *)text);
	test_assert_int(mime_decode_charset_arena(arena, NULL, text,
	    sizeof(text) - 1, 0, &view), 0);
	test_assert(view.data == (const char *)text);
	test_assert_int(mime_decode_charset_arena(arena, "latin1", latin,
	    sizeof(latin) - 1, 0, &view), 0);
	test_assert(view.data != (const char *)latin);
	test_assert_string(view.data, "d\xc3\xa9j\xc3\xa0");
	arena_free(&arena);
}

struct utf8_case {
	const char *input;
	size_t length;
	bool valid;
};

static const struct utf8_case utf8_cases[] = {
	{ "", 0, true },
	{ "plain ascii that is longer than eight bytes", 0, true },
	{ "\xc3\xa9", 0, true },
	{ "\xe2\x82\xac", 0, true },
	{ "\xf0\x9f\x98\x80", 0, true },
	{ "\xf4\x8f\xbf\xbf", 0, true },
	{ BIN("nul\0inside"), true },
	{ "\x80", 0, false },
	{ "\xc3", 0, false },
	{ "\xc0\x80", 0, false },		/* overlong NUL */
	{ "\xe0\x80\xaf", 0, false },	/* overlong */
	{ "\xed\xa0\x80", 0, false },	/* surrogate */
	{ "\xf4\x90\x80\x80", 0, false },	/* above U+10FFFF */
	{ "\xf5\x80\x80\x80", 0, false },
	{ "\xff", 0, false },
	{ "abcdefgh\xe2\x82", 0, false },
	{ "abcdefghij\xc3\xa9klmnopq", 0, true },
};

static void
test_mime_decode_utf8_valid(void)
{
	size_t i, length;

	for (i = 0; i < ARRAY_LENGTH(utf8_cases); i++) {
		length = utf8_cases[i].length != 0 ? utf8_cases[i].length :
		    strlen(utf8_cases[i].input);
		if (mime_decode_utf8_valid(
		    (const unsigned char *)utf8_cases[i].input, length) !=
		    utf8_cases[i].valid)
			test_fail(__FILE__, __LINE__, "utf8 case %zu", i);
	}
}

static void
test_mime_decode_charset_normalize(void)
{
	static const struct {
		const char *label;
		const char *expected;	/* NULL: no charset */
	} cases[] = {
		{ "utf-8", "UTF-8" },
		{ "UTF8", "UTF-8" },
		{ " \"utf-8\" ", "UTF-8" },
		{ "utf-8*en", "UTF-8" },
		{ "us-ascii", "US-ASCII" },
		{ "ANSI_X3.4-1968", "US-ASCII" },
		{ "latin1", "WINDOWS-1252" },
		{ "ISO-8859-1", "WINDOWS-1252" },
		{ "iso8859-1", "WINDOWS-1252" },
		{ "cp-1252", "WINDOWS-1252" },
		{ "iso-8859-2", "ISO-8859-2" },
		{ "ISO_8859-15", "ISO-8859-15" },
		{ "windows-1251", "CP1251" },
		{ "win-1250", "CP1250" },
		{ "ks_c_5601-1987", "CP949" },
		{ "gb2312", "GBK" },
		{ "Shift_JIS", "CP932" },
		{ "x-unknown", NULL },
		{ "unknown-8bit", NULL },
		{ "default", NULL },
		{ "", NULL },
		{ "   ", NULL },
		{ "bad name", NULL },
		{ "a/b", NULL },
		{ "x-mac-cyrillic", "x-mac-cyrillic" },
	};
	char name[MIME_DECODE_CHARSET_MAX + 1];
	const char *got;
	size_t i;

	test_assert(mime_decode_charset_normalize(NULL, name) == NULL);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		got = mime_decode_charset_normalize(cases[i].label, name);
		if (cases[i].expected == NULL ? got != NULL :
		    got == NULL || strcmp(got, cases[i].expected) != 0)
			test_fail(__FILE__, __LINE__, "normalize \"%s\": got "
			    "%s", cases[i].label, got ? got : "NULL");
	}
}

/* A large body goes through the fast paths and comes back whole. */
static void
test_mime_decode_large(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buffer encoded, decoded;
	size_t i, n = 300000;
	unsigned char bytes[3];
	uint32_t v;

	buffer_init(&encoded, 0);
	buffer_init(&decoded, 0);
	for (i = 0; i < n; i += 3) {
		bytes[0] = (unsigned char)i;
		bytes[1] = (unsigned char)(i >> 8);
		bytes[2] = (unsigned char)(i * 7);
		v = (uint32_t)bytes[0] << 16 | (uint32_t)bytes[1] << 8 |
		    bytes[2];
		ASSERT(buffer_printf(&encoded, "%c%c%c%c",
		    alphabet[v >> 18], alphabet[(v >> 12) & 63],
		    alphabet[(v >> 6) & 63], alphabet[v & 63]) == 0);
		if (i % 57 == 54)
			ASSERT(buffer_append(&encoded, "\r\n", 2) == 0);
	}
	test_assert_int(mime_decode_base64(buffer_data(&encoded),
	    buffer_length(&encoded), &decoded, 0), 0);
	test_require(buffer_length(&decoded) == n);
	for (i = 0; i < n; i += 3) {
		test_require(buffer_data(&decoded)[i] == (unsigned char)i);
		test_require(buffer_data(&decoded)[i + 2] ==
		    (unsigned char)(i * 7));
	}
	buffer_deinit(&encoded);
	buffer_deinit(&decoded);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_mime_decode_base64),
		TEST_CASE(test_mime_decode_quoted_printable),
		TEST_CASE(test_mime_decode_q),
		TEST_CASE(test_mime_decode_buffer_cap),
		TEST_CASE(test_mime_decode_charset),
		TEST_CASE(test_mime_decode_charset_arena_view),
		TEST_CASE(test_mime_decode_utf8_valid),
		TEST_CASE(test_mime_decode_charset_normalize),
		TEST_CASE(test_mime_decode_large),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
