/* test_imap_message.c: unit tests for mailstore/imap_message: ENVELOPE,
 * BODY/BODYSTRUCTURE and BODY[section] against RFC 3501 shapes. */
#include "mailstore/imap_message.h"
#include "tests/unit/harness.h"

/* The RFC 3501 7.4.2 FETCH example's header, with a short body. */
static const char simple_message[] =
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    "From: Terry Gray <gray@cac.washington.edu>\r\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
    "To: imap@cac.washington.edu\r\n"
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    "Hello\r\n"
    "world\r\n";

static const char alternative_message[] =
    "From: a@example.org\r\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain\r\n"
    "--b1\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<b>x</b>\r\n"
    "--b1--\r\n";

static const char mixed_message[] =
    "From: \"Doe, John\" <john@example.org>\r\n"
    "To: friends: anne@example.org, <bob@example.net>;, carol\r\n"
    "Reply-To:\r\n"
    "Subject: with \"quotes\"\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "Content-Language: en, de\r\n"
    "\r\n"
    "--outer\r\n"
    "\r\n"
    "body text\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=a.bin\r\n"
    "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-ID: <id1@example.org>\r\n"
    "Content-Description: some data\r\n"
    "Content-Location: http://example.org/a.bin\r\n"
    "\r\n"
    "AAECAw==\r\n"
    "--outer--\r\n";

static const char nested_message[] =
    "From: outer@example.org\r\n"
    "Subject: fwd\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n"
    "\r\n"
    "--x\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "see attached\r\n"
    "--x\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@example.org\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=y\r\n"
    "\r\n"
    "--y\r\n"
    "\r\n"
    "inner one\r\n"
    "--y\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>two</p>\r\n"
    "--y--\r\n"
    "\r\n"
    "--x--\r\n";

static const char malformed_message[] =
    "From: broken\r\n"
    "Content-Type: multipart/mixed\r\n"
    "\r\n"
    "--nothing\r\n"
    "text\r\n";

static struct imap_message *
parse(struct arena *arena, const char *text)
{
	return imap_message_parse(arena, (const unsigned char *)text,
	    strlen(text), NULL);
}

static const char *
envelope(struct arena *arena, const struct imap_message_part *part)
{
	struct buffer out;
	const char *error, *result;

	buffer_init(&out, 0);
	if (imap_message_append_envelope(&out, arena, part, &error) < 0)
		result = "(error)";
	else
		result = arena_strdup(arena, buffer_string(&out));
	buffer_deinit(&out);
	return result;
}

static const char *
bodystructure(struct arena *arena, const struct imap_message *message,
    bool extended)
{
	struct buffer out;
	const char *error, *result;

	buffer_init(&out, 0);
	if (imap_message_append_bodystructure(&out, arena, message, extended,
	    &error) < 0)
		result = "(error)";
	else
		result = arena_strdup(arena, buffer_string(&out));
	buffer_deinit(&out);
	return result;
}

static const char *
section(struct arena *arena, const struct imap_message *message,
    const char *numbers, enum imap_message_section_kind kind)
{
	struct imap_message_section request = { .kind = kind };
	struct imap_message_section_content content;
	uint32_t parts[8];
	const char *error, *s = numbers;

	while (*s != '\0' && request.part_count < 8) {
		parts[request.part_count++] = (uint32_t)strtoul(s, (char **)&s,
		    10);
		if (*s == '.')
			s++;
	}
	request.parts = parts;
	if (imap_message_section_get(message, arena, &request, &content,
	    &error) < 0)
		return "(error)";
	return arena_strndup(arena, content.bytes.data,
	    content.bytes.length);
}

static void
test_imap_message_string_quoting(void)
{
	struct buffer out;

	buffer_init(&out, 0);
	test_assert_int(imap_message_append_string(&out, "a \"b\" \\c", 8),
	    0);
	test_assert_string(buffer_string(&out), "\"a \\\"b\\\" \\\\c\"");
	buffer_reset(&out);
	test_assert_int(imap_message_append_string(&out, "x\r\ny", 4), 0);
	test_assert_string(buffer_string(&out), "{4}\r\nx\r\ny");
	buffer_reset(&out);
	test_assert_int(imap_message_append_string(&out, "caf\xc3\xa9", 5), 0);
	test_assert_string(buffer_string(&out), "{5}\r\ncaf\xc3\xa9");
	buffer_reset(&out);
	test_assert_int(imap_message_append_nstring(&out, NULL, 0), 0);
	test_assert_string(buffer_string(&out), "NIL");
	buffer_deinit(&out);

	/* The cap is reported, not overrun. */
	buffer_init(&out, 4);
	test_assert_int(imap_message_append_string(&out, "abcdef", 6), -1);
	buffer_deinit(&out);
}

static void
test_imap_message_simple(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, simple_message);

	test_assert_string(envelope(arena, m->root),
	    "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	    "\"IMAP4rev1 WG mtg summary and minutes\" "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	    "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
	    "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	    "\"<B27397-0100000@cac.washington.edu>\")");
	test_assert_string(bodystructure(arena, m, true),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	    "14 2 NIL NIL NIL NIL)");
	test_assert_string(bodystructure(arena, m, false),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	    "14 2)");
	/* Part 1 of a non-multipart message is its body. */
	test_assert_string(section(arena, m, "1", IMAP_MESSAGE_SECTION_ALL),
	    "Hello\r\nworld\r\n");
	test_assert_string(section(arena, m, "", IMAP_MESSAGE_SECTION_TEXT),
	    "Hello\r\nworld\r\n");
	test_assert_string(section(arena, m, "2", IMAP_MESSAGE_SECTION_ALL),
	    "");
	test_assert_string(section(arena, m, "1.1", IMAP_MESSAGE_SECTION_ALL),
	    "");
	test_assert_string(section(arena, m, "1",
	    IMAP_MESSAGE_SECTION_HEADER), "");
	test_assert(strncmp(section(arena, m, "", IMAP_MESSAGE_SECTION_ALL),
	    "Date: ", 6) == 0);
	test_assert_string(section(arena, m, "", IMAP_MESSAGE_SECTION_MIME),
	    "(error)");
	arena_free(&arena);
}

static void
test_imap_message_alternative(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, alternative_message);

	test_assert_int(m->part_count, 3);
	/* ENVELOPE keeps encoded words raw; no Date gives NIL. */
	test_assert_string(envelope(arena, m->root),
	    "(NIL \"=?UTF-8?Q?caf=C3=A9?=\" "
	    "((NIL NIL \"a\" \"example.org\")) "
	    "((NIL NIL \"a\" \"example.org\")) "
	    "((NIL NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL)");
	test_assert_string(bodystructure(arena, m, true),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" "
	    "5 1 NIL NIL NIL NIL)"
	    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL "
	    "\"QUOTED-PRINTABLE\" 8 1 NIL NIL NIL NIL) "
	    "\"ALTERNATIVE\" (\"BOUNDARY\" \"b1\") NIL NIL NIL)");
	test_assert_string(bodystructure(arena, m, false),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" "
	    "5 1)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL "
	    "\"QUOTED-PRINTABLE\" 8 1) \"ALTERNATIVE\")");
	test_assert_string(section(arena, m, "2", IMAP_MESSAGE_SECTION_ALL),
	    "<b>x</b>");
	test_assert_string(section(arena, m, "2", IMAP_MESSAGE_SECTION_MIME),
	    "Content-Type: text/html\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	test_assert_string(section(arena, m, "3", IMAP_MESSAGE_SECTION_ALL),
	    "");
	arena_free(&arena);
}

static void
test_imap_message_mixed_attachment(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, mixed_message);

	/* The CRLF before a boundary belongs to the boundary (RFC 2046
	 * 5.1.1), so bodies end without it and an unterminated last line
	 * still counts as a line. Groups: start marker, members, end marker; empty Reply-To
	 * defaults to From; a bare word lacks its domain. */
	test_assert_string(envelope(arena, m->root),
	    "(NIL \"with \\\"quotes\\\"\" "
	    "((\"Doe, John\" NIL \"john\" \"example.org\")) "
	    "((\"Doe, John\" NIL \"john\" \"example.org\")) "
	    "((\"Doe, John\" NIL \"john\" \"example.org\")) "
	    "((NIL NIL \"friends\" NIL)(NIL NIL \"anne\" \"example.org\")"
	    "(NIL NIL \"bob\" \"example.net\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"carol\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)");
	test_assert_string(bodystructure(arena, m, true),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "9 1 NIL NIL NIL NIL)"
	    "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") "
	    "\"<id1@example.org>\" \"some data\" \"BASE64\" 8 NIL "
	    "(\"ATTACHMENT\" (\"FILENAME\" \"a.bin\")) NIL "
	    "\"http://example.org/a.bin\") "
	    "\"MIXED\" (\"BOUNDARY\" \"outer\") NIL (\"en\" \"de\") NIL)");
	test_assert_string(section(arena, m, "2", IMAP_MESSAGE_SECTION_ALL),
	    "AAECAw==");
	test_assert_string(section(arena, m, "1", IMAP_MESSAGE_SECTION_MIME),
	    "\r\n");
	arena_free(&arena);
}

static void
test_imap_message_nested(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, nested_message);
	const struct imap_message_part *part;
	static const uint32_t two[] = { 2 };

	test_assert_string(bodystructure(arena, m, false),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "12 1)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 161 "
	    "(NIL \"inner\" ((NIL NIL \"inner\" \"example.org\")) "
	    "((NIL NIL \"inner\" \"example.org\")) "
	    "((NIL NIL \"inner\" \"example.org\")) NIL NIL NIL NIL NIL) "
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "9 1)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL "
	    "\"7BIT\" 10 1) \"ALTERNATIVE\") 12) \"MIXED\")");
	part = imap_message_find_part(m, two, 1);
	test_require(part != NULL);
	test_assert_int(part->kind, IMAP_MESSAGE_PART_MESSAGE);
	test_assert_string(section(arena, m, "2",
	    IMAP_MESSAGE_SECTION_HEADER),
	    "From: inner@example.org\r\nSubject: inner\r\n"
	    "Content-Type: multipart/alternative; boundary=y\r\n\r\n");
	test_assert_string(section(arena, m, "2.2", IMAP_MESSAGE_SECTION_ALL),
	    "<p>two</p>");
	test_assert_string(section(arena, m, "2.1", IMAP_MESSAGE_SECTION_MIME),
	    "\r\n");
	test_assert(strncmp(section(arena, m, "2", IMAP_MESSAGE_SECTION_TEXT),
	    "--y\r\n", 5) == 0);
	test_assert(strncmp(section(arena, m, "2", IMAP_MESSAGE_SECTION_ALL),
	    "From: inner", 11) == 0);
	/* HEADER of a part that is no message/rfc822: empty. */
	test_assert_string(section(arena, m, "1", IMAP_MESSAGE_SECTION_HEADER),
	    "");
	test_assert_string(section(arena, m, "2.3", IMAP_MESSAGE_SECTION_ALL),
	    "");
	arena_free(&arena);
}

static void
test_imap_message_malformed(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, malformed_message);

	test_assert_string(bodystructure(arena, m, true),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "17 2 NIL NIL NIL NIL)");
	test_assert_string(envelope(arena, m->root),
	    "(NIL NIL ((NIL NIL \"broken\" \"MISSING_DOMAIN\")) "
	    "((NIL NIL \"broken\" \"MISSING_DOMAIN\")) "
	    "((NIL NIL \"broken\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL NIL)");
	/* Empty and header-only input never fail either. */
	m = parse(arena, "");
	test_assert_string(bodystructure(arena, m, false),
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "0 0)");
	m = parse(arena, "Subject: x");
	test_assert_string(section(arena, m, "", IMAP_MESSAGE_SECTION_TEXT),
	    "");
	arena_free(&arena);
}

static void
test_imap_message_header_fields(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, simple_message);
	static const char *const fields[] = { "subject", "CC" };
	struct imap_message_section request = {
		.kind = IMAP_MESSAGE_SECTION_HEADER_FIELDS,
		.fields = fields, .field_count = 2,
	};
	struct imap_message_section_content content;
	const char *error;

	test_require(imap_message_section_get(m, arena, &request, &content,
	    &error) == 0);
	test_assert(!content.in_message);
	test_assert_string(arena_strndup(arena, content.bytes.data,
	    content.bytes.length),
	    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
	    "\r\n");
	request.kind = IMAP_MESSAGE_SECTION_HEADER_FIELDS_NOT;
	test_require(imap_message_section_get(m, arena, &request, &content,
	    &error) == 0);
	test_assert(strncmp(content.bytes.data, "Date: ", 6) == 0);
	test_assert(memmem(content.bytes.data, content.bytes.length,
	    "Subject", 7) == NULL);
	test_assert(memmem(content.bytes.data, content.bytes.length,
	    "Message-Id", 10) != NULL);
	arena_free(&arena);
}

static void
test_imap_message_partial(void)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_message *m = parse(arena, simple_message);
	struct imap_message_section request = {
		.kind = IMAP_MESSAGE_SECTION_TEXT, .has_partial = true,
		.origin = 2, .count = 5,
	};
	struct imap_message_section_content content;
	const char *error;
	size_t body = strlen(simple_message) - 14;

	test_require(imap_message_section_get(m, arena, &request, &content,
	    &error) == 0);
	test_assert(content.in_message);
	test_assert_int(content.offset, body + 2);
	test_assert_int(content.bytes.length, 5);
	test_assert(memcmp(content.bytes.data, "llo\r\n", 5) == 0);
	/* Count past the end is cut; origin past the end is empty. */
	request.count = 1000;
	test_require(imap_message_section_get(m, arena, &request, &content,
	    &error) == 0);
	test_assert_int(content.bytes.length, 12);
	request.origin = 1000;
	test_require(imap_message_section_get(m, arena, &request, &content,
	    &error) == 0);
	test_assert_int(content.bytes.length, 0);
	arena_free(&arena);
}

static void
test_imap_message_limits(void)
{
	struct arena *arena = arena_new("test", 0);
	struct buffer deep;
	struct imap_message *m;
	const char *bs;
	size_t i;

	/* 40 nested multiparts: the parser stops splitting at depth 32,
	 * the rest shows as text. */
	buffer_init(&deep, 0);
	for (i = 0; i < 40; i++)
		test_assert_int(buffer_printf(&deep, "Content-Type: "
		    "multipart/mixed; boundary=b%zu\r\n\r\n--b%zu\r\n", i, i),
		    0);
	test_assert_int(buffer_append_string(&deep, "\r\ntext\r\n"), 0);
	m = imap_message_parse(arena, buffer_data(&deep),
	    buffer_length(&deep), NULL);
	test_assert(m->part_count <= 33);
	bs = bodystructure(arena, m, true);
	test_assert(strstr(bs, "\"TEXT\" \"PLAIN\"") != NULL);
	buffer_deinit(&deep);
	arena_free(&arena);
}

/* Every prefix of every sample (a message cut anywhere) parses, and all
 * views stay inside the bytes: run under ASan this finds offset slips. */
static void
test_imap_message_every_prefix(void)
{
	static const char *const samples[] = {
		simple_message, alternative_message, mixed_message,
		nested_message, malformed_message,
	};
	static const uint32_t paths[][3] = {
		{ 1, 0, 0 }, { 2, 0, 0 }, { 2, 1, 0 }, { 2, 2, 0 },
		{ 2, 2, 1 }, { 3, 0, 0 },
	};
	static const char *const fields[] = { "From" };
	size_t s, length, p, kind;

	for (s = 0; s < ARRAY_LENGTH(samples); s++) {
		size_t total = strlen(samples[s]);

		for (length = 0; length <= total; length++) {
			struct arena *arena = arena_new("test", 0);
			char *copy = arena_strndup(arena, samples[s], length);
			struct imap_message *m = imap_message_parse(arena,
			    (const unsigned char *)copy, length, NULL);
			struct buffer out;
			const char *error;

			buffer_init(&out, 0);
			test_assert_int(imap_message_append_bodystructure(&out,
			    arena, m, true, &error), 0);
			test_assert_int(imap_message_append_envelope(&out,
			    arena, m->root, &error), 0);
			buffer_deinit(&out);
			for (p = 0; p < ARRAY_LENGTH(paths); p++) {
				for (kind = 0; kind <=
				    IMAP_MESSAGE_SECTION_MIME; kind++) {
					struct imap_message_section request = {
						.parts = paths[p],
						.part_count = paths[p][2] ? 3 :
						    paths[p][1] ? 2 : 1,
						.kind = kind,
						.fields = fields,
						.field_count = 1,
					};
					struct imap_message_section_content c;

					test_assert_int(imap_message_section_get(
					    m, arena, &request, &c, &error), 0);
					test_assert(!c.in_message ||
					    c.offset + c.bytes.length <=
					    length);
				}
			}
			arena_free(&arena);
		}
	}
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_message_string_quoting),
		TEST_CASE(test_imap_message_simple),
		TEST_CASE(test_imap_message_alternative),
		TEST_CASE(test_imap_message_mixed_attachment),
		TEST_CASE(test_imap_message_nested),
		TEST_CASE(test_imap_message_malformed),
		TEST_CASE(test_imap_message_header_fields),
		TEST_CASE(test_imap_message_partial),
		TEST_CASE(test_imap_message_limits),
		TEST_CASE(test_imap_message_every_prefix),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
