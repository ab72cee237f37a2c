/* test_message.c: unit tests for lib/message: torture messages (broken
 * boundaries, deep nesting, charsets, NULs, 8-bit headers, bad base64,
 * QP, RFC 2047/2231 names, message/rfc822), limits, iteration, and a
 * smoke run over the development corpus when it is extracted
 * (SLUICE_CORPUS_DIR=<dir containing ham/ and spam/>). */
#include "lib/buffer.h"
#include "lib/message.h"
#include "lib/mime_decode.h"
#include "tests/unit/harness.h"

#include <dirent.h>

static struct message *
parse(struct arena *arena, const char *text,
    const struct message_limits *limits)
{
	return message_parse(arena, (const unsigned char *)text, strlen(text),
	    limits);
}

static bool
view_is(struct string_view view, const char *s)
{
	return string_view_equal(view, string_view_from_cstring(s));
}

static void
test_message_simple_mbox(void)
{
	static const char text[] =
	    "From sender@example.org Mon Jan  1 00:00:00 2003\n"
	    "Subject: =?iso-8859-1?q?caf=E9?=\n"
	    "From: Jos\xc3\xa9 <jose@example.org>\n"
	    "\n"
	    "Hello\nworld\n";
	struct arena *arena = arena_new("test", 0);
	const struct mail_header_field *subject;
	struct message *message = parse(arena, text, NULL);
	const struct message_part *part;

	test_assert_int(message->flags, MESSAGE_FLAG_MBOX_FROM |
	    MESSAGE_FLAG_BARE_LF | MESSAGE_FLAG_8BIT_HEADER);
	test_assert(view_is(message->mbox_from,
	    "From sender@example.org Mon Jan  1 00:00:00 2003"));
	test_assert(message->raw.data == text + 49);
	test_require(message->part_count == 1);
	part = &message->parts[0];
	test_assert(part->header == message->header);
	test_assert_int(message->header->field_count, 2);
	subject = mail_header_get(message->header, "subject");
	test_require(subject != NULL);
	test_assert(view_is(mail_header_decode(arena, subject->value, NULL),
	    "caf\xc3\xa9"));
	test_assert_string(part->type, "text");
	test_assert_string(part->subtype, "plain");
	test_assert(part->is_text && !part->is_html);
	test_assert(part->encoding == MESSAGE_ENCODING_NONE);
	test_assert(view_is(part->raw_body, "Hello\nworld\n"));
	/* Identity encoding, valid UTF-8: no copies at all. */
	test_assert(part->decoded.data == part->raw_body.data);
	test_assert(part->text.data == part->raw_body.data);
	test_assert(part->parent == MESSAGE_NO_PARENT);
	test_assert(message_part_parent(message, part) == NULL);
	test_assert(message_part_first_child(message, part) == NULL);
	test_assert(message_next_text_part(message, NULL) == part);
	test_assert(message_next_text_part(message, part) == NULL);
	arena_free(&arena);
}

/* The same multipart/alternative with CRLF and with LF line ends. */
static void
test_message_alternative(void)
{
	static const char *const lines[] = {
		"MIME-Version: 1.0",
		"Content-Type: multipart/alternative;",
		" boundary=\"=_alt\"",
		"",
		"This is a multi-part message.",
		"--=_alt",
		"Content-Type: text/plain; charset=iso-8859-1",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		"Caf=E9 cr=E8me, a long line that is =",
		"soft broken.",
		"--=_alt",
		"Content-Type: text/html; charset=utf-8",
		"Content-Transfer-Encoding: base64",
		"",
		"PGI+Q2Fmw6k8L2I+",
		"--=_alt--",
		"",
	};
	static const char *const breaks[] = { "\r\n", "\n" };
	struct arena *arena = arena_new("test", 0);
	const struct message_part *part, *html;
	struct message *message;
	struct buffer text;
	size_t i, b;

	buffer_init(&text, 0);
	for (b = 0; b < ARRAY_LENGTH(breaks); b++) {
		buffer_reset(&text);
		for (i = 0; i < ARRAY_LENGTH(lines); i++)
			ASSERT(buffer_printf(&text, "%s%s", lines[i],
			    breaks[b]) == 0);
		message = message_parse(arena, buffer_data(&text),
		    buffer_length(&text), NULL);
		test_assert_int(message->flags,
		    b == 0 ? 0 : MESSAGE_FLAG_BARE_LF);
		test_require(message->part_count == 3);
		test_assert(message->parts[0].kind == MIME_PARSER_MULTIPART);
		test_assert(!message->parts[0].is_text);
		test_assert_int(message->parts[0].decoded.length, 0);
		part = message_next_text_part(message, NULL);
		test_require(part == &message->parts[1]);
		test_assert_int(part->depth, 1);
		test_assert_int(part->parent, 0);
		test_assert_string(part->charset, "iso-8859-1");
		test_assert(part->encoding ==
		    MESSAGE_ENCODING_QUOTED_PRINTABLE);
		test_assert(view_is(part->decoded, "Caf\xe9 cr\xe8me, a long "
		    "line that is soft broken."));
		test_assert(view_is(part->text, "Caf\xc3\xa9 cr\xc3\xa8me, a "
		    "long line that is soft broken."));
		html = message_next_text_part(message, part);
		test_require(html == &message->parts[2]);
		test_assert(html->is_html);
		test_assert(html->encoding == MESSAGE_ENCODING_BASE64);
		test_assert(view_is(html->decoded, "<b>Caf\xc3\xa9</b>"));
		test_assert(html->text.data == html->decoded.data);
		test_assert(message_part_first_child(message,
		    &message->parts[0]) == part);
		test_assert(message_part_next_sibling(message, part) == html);
		test_assert(message_part_next_sibling(message, html) == NULL);
		test_assert(message_part_parent(message, html) ==
		    &message->parts[0]);
	}
	buffer_deinit(&text);
	arena_free(&arena);
}

static void
test_message_rfc822_in_mixed(void)
{
	static const char text[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=outer\r\n"
	    "\r\n"
	    "--outer\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "see attached\r\n"
	    "--outer\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "Content-Disposition: attachment; filename=\"fwd.eml\"\r\n"
	    "\r\n"
	    "Subject: inner\r\n"
	    "From: a@b.c\r\n"
	    "Content-Type: multipart/mixed; boundary=inner\r\n"
	    "\r\n"
	    "--inner\r\n"
	    "\r\n"
	    "inner text\r\n"
	    "--inner\r\n"
	    "Content-Type: application/octet-stream;\r\n"
	    "\tname*=utf-8''%E2%82%AC.bin\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "AAEC\r\n"
	    "--inner--\r\n"
	    "--outer\r\n"
	    "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9"
	    ".pdf?=\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "JVBERg==\r\n"
	    "--outer--\r\n";
	struct arena *arena = arena_new("test", 0);
	struct message *message = parse(arena, text, NULL);
	const struct message_part *p, *attached;
	static const size_t depths[] = { 0, 1, 1, 2, 3, 3, 1 };
	static const size_t parents[] = { MESSAGE_NO_PARENT, 0, 0, 2, 3, 3,
	    0 };
	size_t i, texts = 0;

	test_assert_int(message->flags, 0);
	test_require(message->part_count == 7);
	for (i = 0; i < message->part_count; i++) {
		test_assert_int(message->parts[i].index, i);
		test_assert_int(message->parts[i].depth, depths[i]);
		test_assert_int(message->parts[i].parent, parents[i]);
	}
	attached = &message->parts[2];
	test_assert(attached->kind == MIME_PARSER_MESSAGE);
	test_assert_string(attached->disposition, "attachment");
	test_assert_string(attached->filename, "fwd.eml");
	test_assert_int(attached->subtree_end, 6);
	/* The nested message's header is a header of its own. */
	p = message_part_first_child(message, attached);
	test_require(p == &message->parts[3]);
	test_assert(view_is(mail_header_get(p->header, "Subject")->value,
	    "inner"));
	test_assert(mail_header_get(message->header, "Subject") == NULL);
	test_assert(view_is(message->parts[4].text, "inner text"));
	test_assert_string(message->parts[5].filename, "\xe2\x82\xac.bin");
	test_assert(message->parts[5].decoded.length == 3 &&
	    memcmp(message->parts[5].decoded.data, "\0\1\2", 3) == 0);
	test_assert(message->parts[5].text.data == NULL);
	test_assert_string(message->parts[6].filename,
	    "r\xc3\xa9sum\xc3\xa9.pdf");
	test_assert(view_is(message->parts[6].decoded, "%PDF"));
	/* Siblings skip subtrees. */
	test_assert(message_part_next_sibling(message, &message->parts[1]) ==
	    attached);
	test_assert(message_part_next_sibling(message, attached) ==
	    &message->parts[6]);
	for (p = message_next_text_part(message, NULL); p != NULL;
	    p = message_next_text_part(message, p))
		texts++;
	test_assert_int(texts, 2);
	arena_free(&arena);
}

struct torture_case {
	const char *name;
	const char *input;
	unsigned flags;		/* message->flags exactly */
	size_t parts;
	/* The UTF-8 text of the first text part, or NULL to skip. */
	const char *text;
};

static const struct torture_case torture_cases[] = {
	{ "empty", "", MESSAGE_FLAG_HEADER_NO_END, 1, "" },
	{ "missing final boundary",
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nfirst\n--b\n\nsecond\n",
	    MESSAGE_FLAG_MISSING_BOUNDARY | MESSAGE_FLAG_BARE_LF, 3, "first" },
	{ "boundary never used",
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "just text\n",
	    MESSAGE_FLAG_MISSING_BOUNDARY | MESSAGE_FLAG_NO_PARTS |
	    MESSAGE_FLAG_BARE_LF, 1, NULL },
	{ "multipart without boundary",
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--x\n\ny\n",
	    MESSAGE_FLAG_NO_BOUNDARY | MESSAGE_FLAG_BARE_LF, 1, NULL },
	{ "missing MIME-Version",
	    "Content-Type: text/plain; charset=utf-8\n\nhi",
	    MESSAGE_FLAG_MISSING_MIME_VERSION | MESSAGE_FLAG_BARE_LF, 1, "hi" },
	{ "unknown charset",
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-bogus\r\n"
	    "\r\ncaf\xe9",
	    MESSAGE_FLAG_UNKNOWN_CHARSET, 1, "caf\xc3\xa9" },
	{ "wrong charset: utf-8 label on latin-1 bytes",
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "\r\ncaf\xe9!",
	    MESSAGE_FLAG_BAD_TEXT, 1, "caf\xef\xbf\xbd!" },
	{ "iconv charset",
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=koi8-r\r\n"
	    "\r\n\xf0\xd2\xc9\xd7\xc5\xd4",
	    0, 1, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	{ "NUL in header and body",
	    "Subject: a\0b\r\n\r\nx\0y",
	    MESSAGE_FLAG_NUL_IN_HEADER | MESSAGE_FLAG_NUL_IN_TEXT, 1, NULL },
	{ "8-bit header",
	    "Subject: caf\xe9\r\n\r\nbody",
	    MESSAGE_FLAG_8BIT_HEADER, 1, "body" },
	{ "bad header name",
	    "Bad Name: x\r\n\r\nbody",
	    MESSAGE_FLAG_BAD_HEADER_NAME, 1, "body" },
	{ "header without blank line",
	    "Subject: x\r\nthis is body\r\n",
	    MESSAGE_FLAG_HEADER_NO_BLANK_LINE, 1, "this is body\r\n" },
	{ "base64 with junk",
	    "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "aGVs!bG8g\r\n*d29y bGQ=\r\n",
	    MESSAGE_FLAG_BAD_BASE64, 1, "hello world" },
	{ "base64 without padding",
	    "MIME-Version: 1.0\r\nContent-Transfer-Encoding: Base64\r\n\r\n"
	    "aGVsbG8",
	    MESSAGE_FLAG_BAD_BASE64, 1, "hello" },
	{ "qp soft breaks and bad escapes",
	    "MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable"
	    "\r\n\r\nsoft=\r\nbreak =3D 100=% off=\r\n",
	    MESSAGE_FLAG_BAD_QP, 1, "softbreak = 100=% off" },
	{ "unknown transfer encoding",
	    "MIME-Version: 1.0\r\nContent-Transfer-Encoding: x-uuencode\r\n"
	    "\r\nbegin 644 x\r\n",
	    MESSAGE_FLAG_UNKNOWN_ENCODING, 1, "begin 644 x\r\n" },
	{ "bad content type",
	    "MIME-Version: 1.0\r\nContent-Type: garbage\r\n\r\nx",
	    MESSAGE_FLAG_BAD_CONTENT_TYPE, 1, "x" },
	{ "truncated in a part header",
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain",
	    MESSAGE_FLAG_MISSING_BOUNDARY | MESSAGE_FLAG_HEADER_NO_END |
	    MESSAGE_FLAG_BARE_LF, 2, "" },
	{ "boundary inside a nested part closes it",
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: multipart/related; boundary=i\n\n--i\n\nin\n"
	    "--o\n\nout\n--o--\n",
	    MESSAGE_FLAG_MISSING_BOUNDARY | MESSAGE_FLAG_BARE_LF, 4, "in" },
	{ "mbox From line only",
	    "From x\n", MESSAGE_FLAG_MBOX_FROM | MESSAGE_FLAG_HEADER_NO_END, 1,
	    "" },
};

static void
test_message_torture(void)
{
	struct arena *arena = arena_new("test", 0);
	const struct torture_case *c;
	const struct message_part *text;
	struct message *message;
	size_t i, length;

	for (i = 0; i < ARRAY_LENGTH(torture_cases); i++) {
		c = &torture_cases[i];
		length = strlen(c->input);
		if (strcmp(c->name, "NUL in header and body") == 0)
			length = sizeof("Subject: a\0b\r\n\r\nx\0y") - 1;
		message = message_parse(arena,
		    (const unsigned char *)c->input, length, NULL);
		if (message->flags != c->flags ||
		    message->part_count != c->parts)
			test_fail(__FILE__, __LINE__, "%s: flags %#x parts "
			    "%zu, want %#x %zu", c->name, message->flags,
			    message->part_count, c->flags, c->parts);
		text = message_next_text_part(message, NULL);
		if (c->text != NULL && (text == NULL ||
		    !view_is(text->text, c->text)))
			test_fail(__FILE__, __LINE__, "%s: text \"%.*s\"",
			    c->name, text ? (int)text->text.length : 0,
			    text ? text->text.data : "");
		/* Every text is valid UTF-8, whatever came in. */
		for (text = message_next_text_part(message, NULL);
		    text != NULL; text = message_next_text_part(message, text))
			test_assert(mime_decode_utf8_valid(
			    (const unsigned char *)text->text.data,
			    text->text.length));
	}
	arena_free(&arena);
}

/* 120 levels of multipart: the limit engages at 100 without recursion,
 * and every part's slices lie inside the message. */
static void
test_message_deep_nesting(void)
{
	struct arena *arena = arena_new("test", 0);
	struct message *message;
	struct buffer text;
	size_t i, levels = 120;

	buffer_init(&text, 0);
	ASSERT(buffer_append_string(&text, "MIME-Version: 1.0\r\n") == 0);
	for (i = 0; i < levels; i++)
		ASSERT(buffer_printf(&text, "Content-Type: multipart/mixed; "
		    "boundary=\"level%zu\"\r\n\r\n--level%zu\r\n", i, i) == 0);
	ASSERT(buffer_append_string(&text, "\r\ndeep\r\n") == 0);
	message = message_parse(arena, buffer_data(&text),
	    buffer_length(&text), NULL);
	test_assert_int(message->part_count, 101);
	test_assert(message->flags & MESSAGE_FLAG_TOO_DEEP);
	test_assert(message->flags & MESSAGE_FLAG_MISSING_BOUNDARY);
	test_assert_int(message->parts[100].depth, 100);
	test_assert(message->parts[100].kind == MIME_PARSER_LEAF);
	for (i = 0; i < message->part_count; i++) {
		test_assert(message->parts[i].raw_body.data >=
		    message->raw.data);
		test_assert(message->parts[i].raw_body.data +
		    message->parts[i].raw_body.length <=
		    message->raw.data + message->raw.length);
		test_assert_int(message->parts[i].subtree_end, 101);
	}
	buffer_deinit(&text);
	arena_free(&arena);
}

static void
test_message_limits(void)
{
	struct arena *arena = arena_new("test", 0);
	struct message_limits limits;
	struct message *message;
	const char *text =
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n"
	    "--b\nX-1: a\nX-2: b\nX-3: c\n\nplain text here\n--b\n\nthird\n"
	    "--b--\n";

	memset(&limits, 0, sizeof(limits));
	limits.max_decoded_size = 5;
	limits.header.max_fields = 2;
	message = parse(arena, text, &limits);
	test_require(message->part_count == 4);
	test_assert(view_is(message->parts[1].decoded, "hello"));
	test_assert(message->parts[1].flags & MESSAGE_FLAG_DECODED_LIMIT);
	test_assert(view_is(message->parts[2].decoded, "plain"));
	test_assert(view_is(message->parts[2].text, "plain"));
	test_assert(message->parts[2].flags & MESSAGE_FLAG_HEADER_LIMIT);
	test_assert_int(message->parts[2].header->field_count, 2);
	test_assert(!(message->parts[3].flags & MESSAGE_FLAG_DECODED_LIMIT));
	test_assert(message->flags & MESSAGE_FLAG_DECODED_LIMIT);
	test_assert(message->flags & MESSAGE_FLAG_HEADER_LIMIT);

	memset(&limits, 0, sizeof(limits));
	limits.mime.max_parts = 2;
	message = parse(arena, text, &limits);
	test_assert_int(message->part_count, 2);
	test_assert(message->flags & MESSAGE_FLAG_TOO_MANY_PARTS);
	test_assert(!(message->flags & MESSAGE_FLAG_MISSING_BOUNDARY));
	arena_free(&arena);
}

/* Parses every file of the corpus once if it is extracted. */
static void
test_message_corpus(void)
{
	static const char *const folders[] = { "ham", "spam" };
	const char *root = getenv("SLUICE_CORPUS_DIR");
	char path[4096];
	struct arena *arena;
	struct message *message;
	struct dirent *entry;
	struct buffer data;
	size_t f, files = 0, parts = 0, n;
	FILE *file;
	DIR *dir;

	if (root == NULL || root[0] == '\0') {
		printf("# note: corpus smoke test skipped (set "
		    "SLUICE_CORPUS_DIR to an extracted dev-corpus)\n");
		return;
	}
	buffer_init(&data, 0);
	for (f = 0; f < ARRAY_LENGTH(folders); f++) {
		snprintf(path, sizeof(path), "%s/%s", root, folders[f]);
		dir = opendir(path);
		test_require(dir != NULL);
		while ((entry = readdir(dir)) != NULL) {
			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", root,
			    folders[f], entry->d_name);
			file = fopen(path, "rb");
			test_require(file != NULL);
			buffer_reset(&data);
			do {
				n = fread(buffer_reserve(&data, 65536), 1,
				    65536, file);
				buffer_commit(&data, n);
			} while (n > 0);
			fclose(file);
			arena = arena_new("corpus", 0);
			message = message_parse(arena, buffer_data(&data),
			    buffer_length(&data), NULL);
			test_assert(message->part_count >= 1);
			test_assert(message->header->field_count > 0);
			parts += message->part_count;
			files++;
			arena_free(&arena);
		}
		closedir(dir);
	}
	buffer_deinit(&data);
	test_assert(files > 6000);
	printf("# corpus: %zu messages, %zu parts\n", files, parts);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_message_simple_mbox),
		TEST_CASE(test_message_alternative),
		TEST_CASE(test_message_rfc822_in_mixed),
		TEST_CASE(test_message_torture),
		TEST_CASE(test_message_deep_nesting),
		TEST_CASE(test_message_limits),
		TEST_CASE(test_message_corpus),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
