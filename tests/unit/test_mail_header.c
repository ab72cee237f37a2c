/* test_mail_header.c: unit tests for lib/mail_header: block parsing and
 * limits, lookups, unfolding, RFC 2047, Content-Type/Disposition with
 * RFC 2231, address lists. */
#include "lib/buffer.h"
#include "lib/mail_header.h"
#include "lib/mime_decode.h"
#include "tests/unit/harness.h"

#define BIN(s) s, sizeof(s) - 1

struct parse_case {
	const char *input;
	size_t length;		/* 0: strlen */
	/* Fields as "[name=value]" (CR shown as \r, LF as \n, NUL as \0),
	 * then " len=N end=N flags=X". */
	const char *expected;
};

static const struct parse_case parse_cases[] = {
	{ "", 0, " len=0 end=0 flags=0x2" },
	{ "\r\n", 0, " len=2 end=0 flags=0" },
	{ "\n", 0, " len=1 end=0 flags=0x100" },
	{ "Subject: hi\r\n\r\nbody", 0,
	    "[Subject=hi] len=15 end=13 flags=0" },
	{ "Subject: hi\n\nbody", 0, "[Subject=hi] len=13 end=12 flags=0x100" },
	/* Folding is kept in the raw value; the offsets are the block's. */
	{ "A: 1\r\nSubject: a\r\n b\r\n\tc\r\nZ:\r\n\r\n", 0,
	    "[A=1][Subject=a\\r\\n b\\r\\n\\tc][Z=] len=32 end=30 flags=0" },
	{ "Subject:no-space\r\n\r\n", 0,
	    "[Subject=no-space] len=20 end=18 flags=0" },
	{ "Subject: \t  spaced  \r\n\r\n", 0,
	    "[Subject=spaced  ] len=24 end=22 flags=0" },
	/* No blank line: the header runs to the end. */
	{ "A: 1\r\nB: 2", 0, "[A=1][B=2] len=10 end=10 flags=0x2" },
	/* A line without a colon starts the body. */
	{ "A: 1\r\nnot a header\r\nB: 2\r\n\r\n", 0,
	    "[A=1] len=6 end=6 flags=0x1" },
	{ "A: 1\r\n:colon first\r\n", 0, "[A=1] len=6 end=6 flags=0x1" },
	/* A continuation line with no field before it, too. */
	{ " folded: first\r\nA: 1\r\n\r\n", 0, " len=0 end=0 flags=0x1" },
	/* Names: whitespace before the colon and spaces inside are kept
	 * but flagged. */
	{ "Subject : x\r\n\r\n", 0, "[Subject=x] len=15 end=13 flags=0x80" },
	{ "Bad Name: x\r\n\r\n", 0, "[Bad Name=x] len=15 end=13 flags=0x80" },
	/* NUL and 8-bit bytes survive. */
	{ BIN("X: a\0b\r\n\r\n"), "[X=a\\0b] len=10 end=8 flags=0x20" },
	{ "X: caf\xe9\r\n\r\n", 0, "[X=caf\xe9] len=11 end=9 flags=0x40" },
	{ "X\xff: y\r\n\r\n", 0, "[X\xff=y] len=9 end=7 flags=0xc0" },
	/* A bare CR inside a line is content. */
	{ "X: a\rb\r\n\r\n", 0, "[X=a\\rb] len=10 end=8 flags=0" },
	/* Mixed line ends. */
	{ "A: 1\nB: 2\r\n c\n\r\n", 0,
	    "[A=1][B=2\\r\\n c] len=16 end=14 flags=0x100" },
};

static void
render_view(struct buffer *out, struct string_view view)
{
	size_t i;

	for (i = 0; i < view.length; i++) {
		if (view.data[i] == '\r')
			ASSERT(buffer_append_string(out, "\\r") == 0);
		else if (view.data[i] == '\n')
			ASSERT(buffer_append_string(out, "\\n") == 0);
		else if (view.data[i] == '\t')
			ASSERT(buffer_append_string(out, "\\t") == 0);
		else if (view.data[i] == '\0')
			ASSERT(buffer_append_string(out, "\\0") == 0);
		else
			ASSERT(buffer_append(out, view.data + i, 1) == 0);
	}
}

static void
render_header(struct buffer *out, const struct mail_header *header)
{
	size_t i;

	for (i = 0; i < header->field_count; i++) {
		ASSERT(buffer_append(out, "[", 1) == 0);
		render_view(out, header->fields[i].name);
		ASSERT(buffer_append(out, "=", 1) == 0);
		render_view(out, header->fields[i].value);
		ASSERT(buffer_append(out, "]", 1) == 0);
	}
	ASSERT(buffer_printf(out, " len=%zu end=%zu flags=%#x",
	    header->length, header->fields_end, header->flags) == 0);
}

static void
test_mail_header_parse_cases(void)
{
	struct arena *arena = arena_new("test", 0);
	const struct mail_header *header;
	struct buffer out;
	size_t i, length, f;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(parse_cases); i++) {
		length = parse_cases[i].length != 0 ? parse_cases[i].length :
		    strlen(parse_cases[i].input);
		header = mail_header_parse(arena,
		    (const unsigned char *)parse_cases[i].input, length, NULL);
		buffer_reset(&out);
		render_header(&out, header);
		if (strcmp(buffer_string(&out), parse_cases[i].expected) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: got \"%s\", "
			    "want \"%s\"", i, buffer_string(&out),
			    parse_cases[i].expected);
		/* Offsets and lengths tile the fields. */
		for (f = 0; f < header->field_count; f++) {
			test_assert(header->fields[f].name.data ==
			    parse_cases[i].input + header->fields[f].offset);
			if (f + 1 < header->field_count)
				test_assert_int(header->fields[f].offset +
				    header->fields[f].length,
				    header->fields[f + 1].offset);
		}
	}
	buffer_deinit(&out);
	arena_free(&arena);
}

static void
test_mail_header_limits(void)
{
	struct arena *arena = arena_new("test", 0);
	struct mail_header_limits limits = { 2, 0, 0 };
	const struct mail_header *header;
	const char *input = "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody";
	const char *long_input = "A: 1\r\nLong: 0123456789\r\n abc\r\n"
	    "Next: x\r\n\r\n";
	struct buffer big;
	size_t i;

	header = mail_header_parse(arena, (const unsigned char *)input,
	    strlen(input), &limits);
	test_assert_int(header->field_count, 2);
	test_assert_int(header->flags, MAIL_HEADER_FLAG_TOO_MANY_FIELDS);
	/* The end of the block is still found. */
	test_assert_int(header->length, 20);

	limits = (struct mail_header_limits){ 0, 12, 0 };
	header = mail_header_parse(arena, (const unsigned char *)input,
	    strlen(input), &limits);
	test_assert_int(header->field_count, 2);
	test_assert_int(header->flags, MAIL_HEADER_FLAG_TOO_LONG);
	test_assert_int(header->length, 20);

	/* A field over the limit is cut, the next one is intact. */
	limits = (struct mail_header_limits){ 0, 0, 12 };
	header = mail_header_parse(arena, (const unsigned char *)long_input,
	    strlen(long_input), &limits);
	test_require(header->field_count == 3);
	test_assert_int(header->flags, MAIL_HEADER_FLAG_FIELD_TOO_LONG);
	/* 12 bytes from the name: "Long: 012345". */
	test_assert(string_view_equal(header->fields[1].value,
	    STRING_VIEW_LITERAL("012345")));
	test_assert_int(header->fields[1].flags,
	    MAIL_HEADER_FLAG_FIELD_TOO_LONG);
	test_assert(string_view_equal(header->fields[2].value,
	    STRING_VIEW_LITERAL("x")));

	/* Defaults: 1000 fields. */
	buffer_init(&big, 0);
	for (i = 0; i < 1005; i++)
		ASSERT(buffer_printf(&big, "X-%zu: v\r\n", i) == 0);
	ASSERT(buffer_append_string(&big, "\r\n") == 0);
	header = mail_header_parse(arena, buffer_data(&big),
	    buffer_length(&big), NULL);
	test_assert_int(header->field_count, MAIL_HEADER_DEFAULT_MAX_FIELDS);
	test_assert_int(header->flags, MAIL_HEADER_FLAG_TOO_MANY_FIELDS);
	test_assert_int(header->length, buffer_length(&big));
	buffer_deinit(&big);
	arena_free(&arena);
}

static void
test_mail_header_lookup(void)
{
	static const char input[] = "Received: one\r\nSubject: s\r\n"
	    "received: two\r\nRECEIVED: three\r\n\r\n";
	struct arena *arena = arena_new("test", 0);
	const struct mail_header *header;
	const struct mail_header_field **all;
	const struct mail_header_field *field;
	size_t count;

	header = mail_header_parse(arena, (const unsigned char *)input,
	    sizeof(input) - 1, NULL);
	field = mail_header_get(header, "RECEIVED");
	test_require(field != NULL);
	test_assert(string_view_equal(field->value,
	    STRING_VIEW_LITERAL("one")));
	field = mail_header_get_nth(header, "Received", 2);
	test_require(field != NULL);
	test_assert(string_view_equal(field->value,
	    STRING_VIEW_LITERAL("three")));
	test_assert(mail_header_get_nth(header, "Received", 3) == NULL);
	test_assert(mail_header_get(header, "Receive") == NULL);
	test_assert(mail_header_get(header, "From") == NULL);
	test_assert_int(mail_header_count(header, "received"), 3);
	all = mail_header_get_all(header, arena, "Received", &count);
	test_require(count == 3 && all != NULL);
	test_assert(string_view_equal(all[1]->value,
	    STRING_VIEW_LITERAL("two")));
	test_assert(mail_header_get_all(header, arena, "X", &count) == NULL);
	test_assert_int(count, 0);
	arena_free(&arena);
}

static void
test_mail_header_unfold(void)
{
	struct arena *arena = arena_new("test", 0);
	struct string_view in = STRING_VIEW_LITERAL("a\r\n b\n\tc\r\nd");
	struct string_view plain = STRING_VIEW_LITERAL("no folding");
	struct string_view out;

	out = mail_header_unfold(arena, in);
	test_assert(string_view_equal(out, STRING_VIEW_LITERAL(
	    "a b\tc\r\nd")));
	out = mail_header_unfold(arena, plain);
	test_assert(out.data == plain.data && out.length == plain.length);
	arena_free(&arena);
}

struct decode_case {
	const char *input;
	const char *expected;
	unsigned flags;
};

static const struct decode_case decode_cases[] = {
	{ "plain", "plain", 0 },
	{ "=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9", 0 },
	{ "=?UTF-8?Q?caf=c3=a9?=", "caf\xc3\xa9", 0 },
	{ "=?iso-8859-1?q?caf=E9?=", "caf\xc3\xa9", 0 },
	{ "=?utf-8?b?w6k=?=", "\xc3\xa9", 0 },
	{ "=?utf-8?B?aGVsbG8gd29ybGQ=?=", "hello world", 0 },
	/* Underscores are spaces in Q only. */
	{ "=?us-ascii?q?a_b_c?=", "a b c", 0 },
	{ "a_b", "a_b", 0 },
	/* Adjacent words: whitespace (also folding) between them goes. */
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab", 0 },
	{ "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab", 0 },
	{ "=?utf-8?q?a?=  \t =?iso-8859-1?q?=E9?=", "a\xc3\xa9", 0 },
	/* ... but not between a word and text. */
	{ "=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c", 0 },
	{ "x =?utf-8?q?a?= y", "x a y", 0 },
	/* A UTF-8 character split over two words survives. */
	{ "=?utf-8?b?w6w=?= =?utf-8?b?4oI=?= =?utf-8?b?rA==?=",
	    "\xc3\xac\xe2\x82\xac", 0 },
	{ "=?utf-8?q?=E2=82?= =?utf-8?q?=AC?=", "\xe2\x82\xac", 0 },
	/* Words inside words are decoded (as SpamAssassin does). */
	{ "Vi=?utf-8?q?agr?=a", "Viagra", 0 },
	/* Language suffix (RFC 2231). */
	{ "=?utf-8*en?q?hi?=", "hi", 0 },
	/* Unknown charset: windows-1252. */
	{ "=?x-klingon?q?caf=E9?=", "caf\xc3\xa9",
	    MIME_DECODE_UNKNOWN_CHARSET },
	/* Malformed words stay as they are. */
	{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=", 0 },
	{ "=?utf-8?q?no end", "=?utf-8?q?no end", 0 },
	{ "=?utf-8?q?a b?=", "=?utf-8?q?a b?=", 0 },
	{ "=?" "?q?abc?=", "=?" "?q?abc?=", 0 },
	{ "=?utf-8?q?", "=?utf-8?q?", 0 },
	{ "=?", "=?", 0 },
	{ "a =?bad =?utf-8?q?ok?=", "a =?bad ok", 0 },
	/* Empty word. */
	{ "x=?utf-8?q?" "?=y", "xy", 0 },
	/* Bad Q escape and junk base64 inside a word. */
	{ "=?utf-8?q?100=%?=", "100=%", MIME_DECODE_INVALID_INPUT },
	{ "=?utf-8?b?aGV!sbG8=?=", "hello", MIME_DECODE_INVALID_INPUT },
	/* Invalid UTF-8 from a word becomes U+FFFD. */
	{ "=?utf-8?q?=FF?=", "\xef\xbf\xbd", MIME_DECODE_INVALID_INPUT },
	/* Raw 8-bit text: UTF-8 kept, anything else read as cp1252. */
	{ "caf\xc3\xa9", "caf\xc3\xa9", 0 },
	{ "caf\xe9 =?utf-8?q?x?=", "caf\xc3\xa9 x", 0 },
	{ "caf\xe9", "caf\xc3\xa9", 0 },
	/* Folding without words. */
	{ "a\r\n b", "a b", 0 },
};

static void
test_mail_header_decode(void)
{
	struct arena *arena = arena_new("test", 0);
	struct string_view out;
	unsigned flags;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(decode_cases); i++) {
		out = mail_header_decode(arena,
		    string_view_from_cstring(decode_cases[i].input), &flags);
		if (!string_view_equal(out,
		    string_view_from_cstring(decode_cases[i].expected)) ||
		    flags != decode_cases[i].flags)
			test_fail(__FILE__, __LINE__, "decode case %zu: got "
			    "\"%.*s\" %#x, want \"%s\" %#x", i,
			    (int)out.length, out.data, flags,
			    decode_cases[i].expected, decode_cases[i].flags);
		test_assert(mime_decode_utf8_valid(
		    (const unsigned char *)out.data, out.length));
	}
	arena_free(&arena);
}

struct content_case {
	const char *input;
	bool disposition;
	/* "type/subtype;name=value;..." then " flags=X". */
	const char *expected;
};

static const struct content_case content_cases[] = {
	{ "text/plain", false, "text/plain flags=0" },
	{ "TEXT/Plain; Charset=\"UTF-8\"", false,
	    "text/plain;charset=UTF-8 flags=0" },
	{ " text / html ; charset = iso-8859-1 ", false,
	    "text/html;charset=iso-8859-1 flags=0" },
	{ "multipart/mixed;\r\n\tboundary=\"----=_NextPart_000_0001\"", false,
	    "multipart/mixed;boundary=----=_NextPart_000_0001 flags=0" },
	{ "multipart/alternative; boundary=----=_NextPart_ABC", false,
	    "multipart/alternative;boundary=----=_NextPart_ABC flags=0" },
	/* Comments anywhere. */
	{ "text/plain (comment (nested)); charset=us-ascii (Plain text)",
	    false, "text/plain;charset=us-ascii flags=0" },
	/* Quoted strings with escapes and semicolons. */
	{ "application/x-foo; name=\"a \\\"b\\\"; c.txt\"", false,
	    "application/x-foo;name=a \"b\"; c.txt flags=0" },
	/* Bad types. */
	{ "text", false, "text/ flags=0x1" },
	{ "", false, "/ flags=0x1" },
	{ "/html", false, "/html flags=0x1" },
	/* Junk and parameters without values. */
	{ "text/plain; junk; charset=utf-8", false,
	    "text/plain;charset=utf-8 flags=0x2" },
	{ "text/plain charset=utf-8", false, "text/plain flags=0x2" },
	{ "text/plain; charset=\"utf-8", false,
	    "text/plain;charset=utf-8 flags=0x2" },
	{ "text/plain;;; charset=x;", false, "text/plain;charset=x flags=0" },
	/* The first of a name given twice wins. */
	{ "text/plain; charset=a; CHARSET=b", false,
	    "text/plain;charset=a flags=0" },
	/* RFC 2231: extended value, continuations, mixes. */
	{ "application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A"
	    "fun%2A%2A", false,
	    "application/x-stuff;title=This is **fun** flags=0" },
	{ "message/external-body; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub\"",
	    false, "message/external-body;url=ftp://cs.utk.edu/pub flags=0" },
	{ "application/x-stuff; title*1*=%2A%2A; title*0*=us-ascii'en'This"
	    "%20is%20; title*2=\"fun\"", false,
	    "application/x-stuff;title=This is **fun flags=0" },
	{ "attachment; filename*=UTF-8''na%C3%AFve.txt", true,
	    "attachment/;filename=na\xc3\xafve.txt flags=0" },
	{ "attachment; filename*=iso-8859-1''caf%E9.doc", true,
	    "attachment/;filename=caf\xc3\xa9.doc flags=0" },
	{ "attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC.txt", true,
	    "attachment/;filename=\xe2\x82\xac.txt flags=0" },
	/* The RFC 2231 form beats a plain one. */
	{ "attachment; filename=\"plain.txt\"; filename*=utf-8''better.txt",
	    true, "attachment/;filename=better.txt flags=0" },
	/* Bad percent escapes stay. */
	{ "attachment; filename*=utf-8''100%zz", true,
	    "attachment/;filename=100%zz flags=0" },
	/* RFC 2047 inside quotes (what MUAs send) for names only. */
	{ "application/pdf; name=\"=?utf-8?b?w6l0w6kucGRm?=\"", false,
	    "application/pdf;name=\xc3\xa9t\xc3\xa9.pdf flags=0" },
	{ "multipart/mixed; boundary=\"=?utf-8?q?x?=\"", false,
	    "multipart/mixed;boundary==?utf-8?q?x?= flags=0" },
	/* Unquoted file names with spaces. */
	{ "attachment; filename=my file.exe; size=3", true,
	    "attachment/;filename=my file.exe;size=3 flags=0" },
	{ "INLINE", true, "inline/ flags=0" },
	{ "; filename=x", true, "/;filename=x flags=0x1" },
};

static void
test_mail_header_content(void)
{
	struct arena *arena = arena_new("test", 0);
	struct mail_header_content content;
	struct buffer out;
	size_t i, p;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(content_cases); i++) {
		if (content_cases[i].disposition)
			mail_header_parse_content_disposition(arena,
			    string_view_from_cstring(content_cases[i].input),
			    &content);
		else
			mail_header_parse_content_type(arena,
			    string_view_from_cstring(content_cases[i].input),
			    &content);
		buffer_reset(&out);
		ASSERT(buffer_printf(&out, "%s/%s", content.type,
		    content.subtype) == 0);
		for (p = 0; p < content.parameter_count; p++)
			ASSERT(buffer_printf(&out, ";%s=%s",
			    content.parameters[p].name,
			    content.parameters[p].value) == 0);
		ASSERT(buffer_printf(&out, " flags=%#x", content.flags) == 0);
		if (strcmp(buffer_string(&out), content_cases[i].expected) != 0)
			test_fail(__FILE__, __LINE__, "content case %zu: got "
			    "\"%s\", want \"%s\"", i, buffer_string(&out),
			    content_cases[i].expected);
	}
	mail_header_parse_content_type(arena,
	    STRING_VIEW_LITERAL("text/plain; Charset=x"), &content);
	test_assert_string(mail_header_content_parameter(&content, "CHARSET"),
	    "x");
	test_assert(mail_header_content_parameter(&content, "name") == NULL);
	buffer_deinit(&out);
	arena_free(&arena);
}

/* More parameters than the cap: the rest is ignored and flagged. */
static void
test_mail_header_content_many(void)
{
	struct arena *arena = arena_new("test", 0);
	struct mail_header_content content;
	struct buffer in;
	size_t i;

	buffer_init(&in, 0);
	ASSERT(buffer_append_string(&in, "text/plain") == 0);
	for (i = 0; i < 100; i++)
		ASSERT(buffer_printf(&in, "; p%zu=v", i) == 0);
	mail_header_parse_content_type(arena, string_view_make(
	    buffer_string(&in), buffer_length(&in)), &content);
	test_assert_int(content.parameter_count, MAIL_HEADER_PARAMETERS_MAX);
	test_assert(content.flags & MAIL_HEADER_CONTENT_TOO_MANY_PARAMETERS);
	buffer_deinit(&in);
	arena_free(&arena);
}

struct address_case {
	const char *input;
	/* "[name|address|group]" per entry ('-' for a NULL group). */
	const char *expected;
};

static const struct address_case address_cases[] = {
	{ "user@example.org", "[|user@example.org|-]" },
	{ "<user@example.org>", "[|user@example.org|-]" },
	{ "John Doe <john@example.org>", "[John Doe|john@example.org|-]" },
	{ "\"Doe, John\" <john@example.org>",
	    "[Doe, John|john@example.org|-]" },
	{ "\"John \\\"JD\\\" Doe\" <jd@example.org>",
	    "[John \"JD\" Doe|jd@example.org|-]" },
	{ "john@example.org (John Doe)", "[John Doe|john@example.org|-]" },
	{ "a@b.c, \"X\" <x@y.z>,c@d.e",
	    "[|a@b.c|-][X|x@y.z|-][|c@d.e|-]" },
	/* Encoded display names. */
	{ "=?utf-8?q?Jos=C3=A9?= <jose@example.org>",
	    "[Jos\xc3\xa9|jose@example.org|-]" },
	{ "\"=?iso-8859-1?q?Ren=E9?=\" <r@example.org>",
	    "[Ren\xc3\xa9|r@example.org|-]" },
	/* Groups. */
	{ "undisclosed-recipients:;", "[||undisclosed-recipients]" },
	{ "Friends: a@b.c, Bob <bob@d.e>; c@f.g",
	    "[|a@b.c|Friends][Bob|bob@d.e|Friends][|c@f.g|-]" },
	/* Comments and whitespace inside the address go. */
	{ "< john (comment) @ example.org >", "[|john@example.org|-]" },
	{ "Name <@route1,@route2:user@example.org>",
	    "[Name|user@example.org|-]" },
	/* Missing angle brackets. */
	{ "John Doe john@example.org", "[John Doe|john@example.org|-]" },
	{ "john @ example.org", "[|john@example.org|-]" },
	{ "Just A Name", "[Just A Name||-]" },
	{ "postmaster", "[|postmaster|-]" },
	/* Broken input. */
	{ "\"unterminated <a@b.c>", "[unterminated|a@b.c|-]" },
	{ "\"a\\\" <x@y>", "[a\\|x@y|-]" },
	{ "Name <a@b.c", "[Name|a@b.c|-]" },
	{ "<>", "[||-]" },
	{ ", , a@b.c,", "[|a@b.c|-]" },
	{ "", "" },
	{ "\"quoted local\"@example.org",
	    "[|\"quoted local\"@example.org|-]" },
	{ "Name\r\n <folded@example.org>", "[Name|folded@example.org|-]" },
	{ "  Lots   of   space   <s@e.org>", "[Lots of space|s@e.org|-]" },
	{ "A <a@x>, B <b@x> (comment)", "[A|a@x|-][B|b@x|-]" },
};

static void
test_mail_header_addresses(void)
{
	struct arena *arena = arena_new("test", 0);
	struct mail_header_address *addresses;
	struct buffer out;
	size_t i, a, count;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(address_cases); i++) {
		count = mail_header_parse_addresses(arena,
		    string_view_from_cstring(address_cases[i].input),
		    &addresses);
		buffer_reset(&out);
		for (a = 0; a < count; a++)
			ASSERT(buffer_printf(&out, "[%s|%s|%s]",
			    addresses[a].name, addresses[a].address,
			    addresses[a].group ? addresses[a].group : "-") ==
			    0);
		if (strcmp(buffer_string(&out), address_cases[i].expected) != 0)
			test_fail(__FILE__, __LINE__, "address case %zu: got "
			    "\"%s\", want \"%s\"", i, buffer_string(&out),
			    address_cases[i].expected);
	}
	buffer_deinit(&out);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_mail_header_parse_cases),
		TEST_CASE(test_mail_header_limits),
		TEST_CASE(test_mail_header_lookup),
		TEST_CASE(test_mail_header_unfold),
		TEST_CASE(test_mail_header_decode),
		TEST_CASE(test_mail_header_content),
		TEST_CASE(test_mail_header_content_many),
		TEST_CASE(test_mail_header_addresses),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
