/* test_smtp_command_parser.c: unit tests for lib/smtp_command_parser:
 * command lines, MAIL/RCPT paths and parameters, SIZE, xtext, and
 * pipelined command streams through line_reader in all trickle modes. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/line_reader.h"
#include "lib/smtp_command_parser.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

struct command_case {
	const char *line;
	size_t length;		/* 0: strlen(line) */
	const char *verb;	/* NULL: expect "syntax error" */
	const char *arguments;
};

static const struct command_case command_cases[] = {
	{ "HELO example.org", 0, "HELO", "example.org" },
	{ "QUIT", 0, "QUIT", "" },
	{ "quit   ", 0, "quit", "" },
	{ "MAIL FROM:<a@b>  \t", 0, "MAIL", "FROM:<a@b>" },
	{ "NOOP    x  y ", 0, "NOOP", "x  y" },
	{ "ABCDEFGHIJKLMNOP x", 0, "ABCDEFGHIJKLMNOP", "x" },
	{ "ABCDEFGHIJKLMNOPQ x", 0, NULL, NULL },
	{ "", 0, NULL, NULL },
	{ " HELO x", 0, NULL, NULL },
	{ "HEL0 x", 0, NULL, NULL },
	{ "HELO\tx", 0, NULL, NULL },
	{ "HELO:x", 0, NULL, NULL },
	{ "MAIL\0FROM", 9, NULL, NULL },
	{ "\xc3\xa9HLO", 0, NULL, NULL },
	{ "DATA\0", 5, NULL, NULL },
	{ "DATA x\0y", 8, "DATA", NULL },
};

static void
test_smtp_command_parse_cases(void)
{
	const struct command_case *c;
	struct smtp_command command;
	const char *error;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(command_cases); i++) {
		c = &command_cases[i];
		error = NULL;
		ret = smtp_command_parse(string_view_make(c->line,
		    c->length != 0 ? c->length : strlen(c->line)), &command,
		    &error);
		if (c->verb == NULL) {
			if (ret != -1)
				test_fail(__FILE__, __LINE__, "case %zu: "
				    "accepted", i);
			else
				test_assert_string(error, "syntax error");
			continue;
		}
		if (ret != 0) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i, error);
			continue;
		}
		test_assert(string_view_equal(command.verb,
		    string_view_from_cstring(c->verb)));
		if (c->arguments != NULL)
			test_assert(string_view_equal(command.arguments,
			    string_view_from_cstring(c->arguments)));
		else /* arguments are not validated: the NUL is there */
			test_assert(command.arguments.length == 3 &&
			    command.arguments.data[1] == '\0');
	}
}

struct path_case {
	const char *arguments;
	const char *keyword;
	bool allow_utf8;
	/* On success: address, local part, domain, flags ("N" null,
	 * "U" UTF-8), parameters as "KEY=VALUE KEY". On failure: address
	 * is NULL and error the expected reason. */
	const char *address;
	const char *local_part;
	const char *domain;
	const char *flags;
	const char *parameters;
	const char *error;
};

#define OK(args, kw, utf8, address, local, domain, flags, parameters) \
	{ args, kw, utf8, address, local, domain, flags, parameters, NULL }
#define BAD(args, kw, utf8, error) \
	{ args, kw, utf8, NULL, NULL, NULL, NULL, NULL, error }

static const struct path_case path_cases[] = {
	OK("FROM:<a@b.example>", "FROM", false,
	    "a@b.example", "a", "b.example", "", ""),
	OK("from:<Joe@Mail.EXAMPLE.org>", "FROM", false,
	    "Joe@mail.example.org", "Joe", "mail.example.org", "", ""),
	OK("FROM: <a@b>", "FROM", false, "a@b", "a", "b", "", ""),
	OK("FROM:   <a@b>", "FROM", false, "a@b", "a", "b", "", ""),
	OK("To:<a@b>", "TO", false, "a@b", "a", "b", "", ""),
	OK("FROM:<>", "FROM", false, "", "", "", "N", ""),
	OK("FROM:<> BODY=8BITMIME", "FROM", false, "", "", "", "N",
	    "BODY=8BITMIME"),
	BAD("TO:<>", "TO", false, "null path not allowed"),
	/* Source routes are checked and dropped. */
	OK("FROM:<@a.example,@b.example:user@c.example>", "FROM", false,
	    "user@c.example", "user", "c.example", "", ""),
	OK("TO:<@relay.example:u@d.example>", "TO", false,
	    "u@d.example", "u", "d.example", "", ""),
	BAD("FROM:<@a.example>", "FROM", false, "invalid source route"),
	BAD("FROM:<@a.example,b.example:u@d>", "FROM", false,
	    "invalid source route"),
	BAD("FROM:<@a.example:>", "FROM", false, "empty local part"),
	BAD("FROM:<@-a:u@d>", "FROM", false, "invalid domain"),
	/* Quoted local parts: unquoted only when the quotes are useless. */
	OK("FROM:<\"john doe\"@example.org>", "FROM", false,
	    "\"john doe\"@example.org", "\"john doe\"", "example.org", "",
	    ""),
	OK("FROM:<\"john\"@example.org>", "FROM", false,
	    "john@example.org", "john", "example.org", "", ""),
	OK("FROM:<\"jo\\hn.x\"@example.org>", "FROM", false,
	    "john.x@example.org", "john.x", "example.org", "", ""),
	OK("FROM:<\"a\\\"b\"@x>", "FROM", false,
	    "\"a\\\"b\"@x", "\"a\\\"b\"", "x", "", ""),
	OK("FROM:<\"a..b\"@x>", "FROM", false,
	    "\"a..b\"@x", "\"a..b\"", "x", "", ""),
	OK("FROM:<\"\"@x>", "FROM", false, "\"\"@x", "\"\"", "x", "", ""),
	OK("FROM:<\"a@b\"@x>", "FROM", false,
	    "\"a@b\"@x", "\"a@b\"", "x", "", ""),
	BAD("FROM:<\"a\x01\"@b>", "FROM", false,
	    "invalid character in address"),
	BAD("FROM:<\"a\\\x01\"@b>", "FROM", false,
	    "invalid character in address"),
	BAD("FROM:<\"abc@b>", "FROM", false, "unterminated quoted string"),
	/* Unquoted oddities that real senders use. */
	OK("FROM:<a..b@c>", "FROM", false, "a..b@c", "a..b", "c", "", ""),
	OK("FROM:<.a.@c>", "FROM", false, ".a.@c", ".a.", "c", "", ""),
	OK("FROM:<a+tag=x/y@b_c.d>", "FROM", false,
	    "a+tag=x/y@b_c.d", "a+tag=x/y", "b_c.d", "", ""),
	/* Address literals. */
	OK("FROM:<a@[192.0.2.1]>", "FROM", false,
	    "a@[192.0.2.1]", "a", "[192.0.2.1]", "", ""),
	OK("FROM:<a@[IPv6:2001:DB8::1]>", "FROM", false,
	    "a@[IPv6:2001:db8::1]", "a", "[IPv6:2001:db8::1]", "", ""),
	OK("FROM:<a@[ipv6:::ffff:192.0.2.1]>", "FROM", false,
	    "a@[IPv6:::ffff:192.0.2.1]", "a", "[IPv6:::ffff:192.0.2.1]",
	    "", ""),
	BAD("FROM:<a@[192.0.2.256]>", "FROM", false,
	    "invalid address literal"),
	BAD("FROM:<a@[192.0.2]>", "FROM", false, "invalid address literal"),
	BAD("FROM:<a@[1.2.3.4.5]>", "FROM", false, "invalid address literal"),
	BAD("FROM:<a@[IPv6:zz::1]>", "FROM", false,
	    "invalid IPv6 address literal"),
	BAD("FROM:<a@[x-tag:foo]>", "FROM", false, "invalid address literal"),
	BAD("FROM:<a@[192.0.2.1>", "FROM", false,
	    "unterminated address literal"),
	BAD("FROM:<a@[192.0.2.1]x>", "FROM", false,
	    "invalid character in address"),
	/* Postmaster without a domain, in RCPT only. */
	OK("TO:<postmaster>", "TO", false,
	    "postmaster", "postmaster", "", "", ""),
	OK("TO:<PostMaster> NOTIFY=NEVER", "TO", false,
	    "PostMaster", "PostMaster", "", "", "NOTIFY=NEVER"),
	BAD("FROM:<postmaster>", "FROM", false, "missing domain"),
	BAD("TO:<@r.example:postmaster>", "TO", false, "missing domain"),
	BAD("TO:<user>", "TO", false, "missing domain"),
	/* Framing. */
	BAD("FROM:a@b", "FROM", false, "missing <>"),
	BAD("FROM:", "FROM", false, "missing <>"),
	BAD("FROM: a@b", "FROM", false, "missing <>"),
	BAD("FROM:<a@b", "FROM", false, "missing >"),
	BAD("FROM <a@b>", "FROM", false, "expected FROM:"),
	BAD("FROM", "FROM", false, "expected FROM:"),
	BAD("TO:<a@b>", "FROM", false, "expected FROM:"),
	BAD("FROMX:<a@b>", "FROM", false, "expected FROM:"),
	BAD("FROM:<a@b>SIZE=10", "FROM", false, "junk after address"),
	BAD("FROM:<a@b>>", "FROM", false, "junk after address"),
	BAD("FROM:<a b@c>", "FROM", false, "invalid character in address"),
	BAD("FROM:< a@b>", "FROM", false, "invalid character in address"),
	BAD("FROM:<a@b c>", "FROM", false, "invalid character in address"),
	BAD("FROM:<a\x01@b>", "FROM", false, "invalid character in address"),
	BAD("FROM:<a(x)@b>", "FROM", false, "invalid character in address"),
	BAD("FROM:<@>", "FROM", false, "invalid domain"),
	BAD("FROM:<a@>", "FROM", false, "invalid domain"),
	BAD("FROM:<@b>", "FROM", false, "invalid source route"),
	BAD("FROM:<a@-b.c>", "FROM", false, "invalid domain"),
	BAD("FROM:<a@b-.c>", "FROM", false, "invalid domain"),
	BAD("FROM:<a@b..c>", "FROM", false, "invalid domain"),
	BAD("FROM:<a@b.c.>", "FROM", false, "invalid domain"),
	/* 8-bit: only with SMTPUTF8, only valid UTF-8. */
	BAD("FROM:<j\xc3\xb6@b>", "FROM", false,
	    "8-bit address without SMTPUTF8"),
	BAD("FROM:<a@\xc3\xa9.example>", "FROM", false,
	    "8-bit address without SMTPUTF8"),
	OK("FROM:<j\xc3\xb6@Ex\xc3\x84mple.ORG>", "FROM", true,
	    "j\xc3\xb6@ex\xc3\x84mple.org", "j\xc3\xb6",
	    "ex\xc3\x84mple.org", "U", ""),
	OK("FROM:<\"\xe2\x82\xac x\"@b>", "FROM", true,
	    "\"\xe2\x82\xac x\"@b", "\"\xe2\x82\xac x\"", "b", "U", ""),
	OK("FROM:<\"\xf0\x9f\x98\x80\"@b>", "FROM", true,
	    "\xf0\x9f\x98\x80@b", "\xf0\x9f\x98\x80", "b", "U", ""),
	OK("FROM:<@\xc3\xa9.example:a@b>", "FROM", true, "a@b", "a", "b",
	    "", ""),
	OK("FROM:<a@b> SMTPUTF8", "FROM", true, "a@b", "a", "b", "",
	    "SMTPUTF8"),
	BAD("FROM:<a\xc3@b>", "FROM", true, "invalid UTF-8 in address"),
	BAD("FROM:<a\xc0\xaf@b>", "FROM", true, "invalid UTF-8 in address"),
	BAD("FROM:<a\xe0\x80\xaf@b>", "FROM", true,
	    "invalid UTF-8 in address"),
	BAD("FROM:<a\xed\xa0\x80@b>", "FROM", true,
	    "invalid UTF-8 in address"),
	BAD("FROM:<a\xf4\x90\x80\x80@b>", "FROM", true,
	    "invalid UTF-8 in address"),
	BAD("FROM:<a\xff@b>", "FROM", true, "invalid UTF-8 in address"),
	BAD("FROM:<a@b\x80>", "FROM", true, "invalid UTF-8 in address"),
	/* Parameters. */
	OK("FROM:<a@b> SIZE=1000 BODY=8BITMIME", "FROM", false,
	    "a@b", "a", "b", "", "SIZE=1000 BODY=8BITMIME"),
	OK("FROM:<a@b> size=10 smtputf8 x-y-1=z", "FROM", false,
	    "a@b", "a", "b", "", "SIZE=10 SMTPUTF8 X-Y-1=z"),
	OK("FROM:<a@b>   SIZE=10   AUTH=<>   ", "FROM", false,
	    "a@b", "a", "b", "", "SIZE=10 AUTH=<>"),
	OK("TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@c", "TO",
	    false, "a@b", "a", "b", "",
	    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@c"),
	BAD("FROM:<a@b> SIZE=", "FROM", false, "invalid parameter value"),
	BAD("FROM:<a@b> SIZE=1=2", "FROM", false, "invalid parameter value"),
	BAD("FROM:<a@b> X=\xc3\xa9", "FROM", true,
	    "invalid parameter value"),
	BAD("FROM:<a@b> X=a\x01", "FROM", false, "invalid parameter value"),
	BAD("FROM:<a@b> X=a\tb", "FROM", false, "invalid parameter value"),
	BAD("FROM:<a@b> -X", "FROM", false, "invalid parameter"),
	BAD("FROM:<a@b> =1", "FROM", false, "invalid parameter"),
	BAD("FROM:<a@b> X_Y", "FROM", false, "invalid parameter"),
	BAD("FROM:<a@b> SIZE=1 size=2", "FROM", false,
	    "duplicate parameter"),
	BAD("FROM:<a@b> BODY BODY", "FROM", false, "duplicate parameter"),
	OK("FROM:<a@b> A B C D E F G H I J K L M N O P", "FROM", false,
	    "a@b", "a", "b", "", "A B C D E F G H I J K L M N O P"),
	BAD("FROM:<a@b> A B C D E F G H I J K L M N O P Q", "FROM", false,
	    "too many parameters"),
};

static void
render_parameters(struct buffer *out, const struct smtp_parameter *parameters,
    size_t count)
{
	size_t i;

	buffer_reset(out);
	for (i = 0; i < count; i++) {
		ASSERT(buffer_printf(out, "%s%s%s%s", i > 0 ? " " : "",
		    parameters[i].keyword,
		    parameters[i].value != NULL ? "=" : "",
		    parameters[i].value != NULL ? parameters[i].value : "") ==
		    0);
	}
}

static void
check_path_case(size_t i, const struct path_case *c, struct arena *arena,
    struct buffer *scratch)
{
	struct smtp_path path;
	struct smtp_parameter *parameters;
	size_t count;
	const char *error = NULL;
	char flags[3];
	int ret;

	ret = smtp_command_parse_path(arena,
	    string_view_from_cstring(c->arguments), c->keyword,
	    c->allow_utf8, &path, &parameters, &count, &error);
	if (c->address == NULL) {
		if (ret != -1 || strcmp(error, c->error) != 0)
			test_fail(__FILE__, __LINE__, "case %zu (%s): got "
			    "%d \"%s\", want \"%s\"", i, c->arguments, ret,
			    ret == 0 ? path.address : error, c->error);
		return;
	}
	if (ret != 0) {
		test_fail(__FILE__, __LINE__, "case %zu (%s): %s", i,
		    c->arguments, error);
		return;
	}
	snprintf(flags, sizeof(flags), "%s%s", path.is_null ? "N" : "",
	    path.is_utf8 ? "U" : "");
	render_parameters(scratch, parameters, count);
	test_assert(count > 0 || parameters == NULL);
	if (strcmp(path.address, c->address) != 0 ||
	    strcmp(path.local_part, c->local_part) != 0 ||
	    strcmp(path.domain, c->domain) != 0 ||
	    strcmp(flags, c->flags) != 0 ||
	    strcmp(buffer_string(scratch), c->parameters) != 0)
		test_fail(__FILE__, __LINE__, "case %zu (%s): got [%s] [%s] "
		    "[%s] [%s] [%s]", i, c->arguments, path.address,
		    path.local_part, path.domain, flags,
		    buffer_string(scratch));
}

static void
test_smtp_command_parse_path_cases(void)
{
	struct arena *arena = arena_new("test", 0);
	struct buffer scratch;
	size_t i;

	buffer_init(&scratch, 0);
	for (i = 0; i < ARRAY_LENGTH(path_cases); i++)
		check_path_case(i, &path_cases[i], arena, &scratch);
	buffer_deinit(&scratch);
	arena_free(&arena);
}

/* Builds "FROM:<" local "@" domain ">" from runs of 'a' and of 63-byte
 * labels, and parses it. */
static int
parse_sized_path(size_t local_length, size_t domain_length,
    struct arena *arena, struct smtp_path *path_r, const char **error_r)
{
	struct buffer text;
	struct smtp_parameter *parameters;
	size_t count, i;
	int ret;

	buffer_init(&text, 0);
	ASSERT(buffer_append_string(&text, "FROM:<") == 0);
	for (i = 0; i < local_length; i++)
		ASSERT(buffer_append(&text, "l", 1) == 0);
	ASSERT(buffer_append(&text, "@", 1) == 0);
	for (i = 0; i < domain_length; i++)
		ASSERT(buffer_append(&text, i % 64 == 63 ? "." : "D", 1) == 0);
	ASSERT(buffer_append(&text, ">", 1) == 0);
	ret = smtp_command_parse_path(arena,
	    string_view_make(buffer_string(&text), buffer_length(&text)),
	    "FROM", false, path_r, &parameters, &count, error_r);
	buffer_deinit(&text);
	return ret;
}

static void
test_smtp_command_parse_path_limits(void)
{
	struct arena *arena = arena_new("test", 0);
	struct smtp_path path;
	const char *error = NULL;

	test_require(parse_sized_path(64, 10, arena, &path, &error) == 0);
	test_assert_int(strlen(path.local_part), 64);
	test_assert_int(parse_sized_path(65, 10, arena, &path, &error), -1);
	test_assert_string(error, "local part too long");
	/* Path = '<' + local + '@' + domain + '>': 256 fits, 257 not. */
	test_require(parse_sized_path(1, 252, arena, &path, &error) == 0);
	test_assert_int(strlen(path.domain), 252);
	test_assert_string(path.domain, path.address + 2);
	test_assert_int(parse_sized_path(2, 252, arena, &path, &error), -1);
	test_assert_string(error, "path too long");
	test_assert_int(parse_sized_path(1, 253, arena, &path, &error), -1);
	test_assert_string(error, "path too long");
	test_assert_int(parse_sized_path(1, 255, arena, &path, &error), -1);
	test_assert_string(error, "path too long");
	test_assert_int(parse_sized_path(1, 257, arena, &path, &error), -1);
	test_assert_string(error, "domain too long");
	/* 64 'D's make one label over the 63-octet limit. */
	test_assert_int(parse_sized_path(1, 63, arena, &path, &error), 0);
	error = NULL;
	test_assert_int(smtp_command_parse_path(arena,
	    STRING_VIEW_LITERAL("FROM:<a@"
	    "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
	    ">"), "FROM", false, &path, &(struct smtp_parameter *){ NULL },
	    &(size_t){ 0 }, &error), -1);
	test_assert_string(error, "domain label too long");
	/* A NUL inside the arguments is never accepted. */
	test_assert_int(smtp_command_parse_path(arena,
	    STRING_VIEW_LITERAL("FROM:<a\0b@c>"), "FROM", false, &path,
	    &(struct smtp_parameter *){ NULL }, &(size_t){ 0 }, &error), -1);
	test_assert_int(smtp_command_parse_path(arena,
	    STRING_VIEW_LITERAL("FROM:<\"a\0b\"@c>"), "FROM", false, &path,
	    &(struct smtp_parameter *){ NULL }, &(size_t){ 0 }, &error), -1);
	test_assert_int(smtp_command_parse_path(arena,
	    STRING_VIEW_LITERAL("FROM:<a@[1.2.3.4\0]>"), "FROM", false,
	    &path, &(struct smtp_parameter *){ NULL }, &(size_t){ 0 },
	    &error), -1);
	arena_free(&arena);
}

static void
test_smtp_parameter_helpers(void)
{
	static const struct smtp_parameter parameters[] = {
		{ "SIZE", "12345" },
		{ "BODY", "8BITMIME" },
		{ "SMTPUTF8", NULL },
	};
	const struct smtp_parameter *found;
	uint64_t size = 7;

	found = smtp_parameter_find(parameters, 3, "size");
	test_require(found != NULL);
	test_assert_string(found->value, "12345");
	test_assert(smtp_parameter_find(parameters, 3, "SMTPUTF8") ==
	    &parameters[2]);
	test_assert(smtp_parameter_find(parameters, 3, "AUTH") == NULL);
	test_assert(smtp_parameter_find(NULL, 0, "SIZE") == NULL);

	test_assert_int(smtp_parameter_parse_size("0", &size), 0);
	test_assert(size == 0);
	test_assert_int(smtp_parameter_parse_size("10485760", &size), 0);
	test_assert(size == 10485760);
	test_assert_int(smtp_parameter_parse_size("18446744073709551615",
	    &size), 0);
	test_assert(size == UINT64_MAX);
	size = 7;
	test_assert_int(smtp_parameter_parse_size("18446744073709551616",
	    &size), -1);
	test_assert_int(smtp_parameter_parse_size("99999999999999999999999",
	    &size), -1);
	test_assert_int(smtp_parameter_parse_size("", &size), -1);
	test_assert_int(smtp_parameter_parse_size("-1", &size), -1);
	test_assert_int(smtp_parameter_parse_size("+1", &size), -1);
	test_assert_int(smtp_parameter_parse_size("1 ", &size), -1);
	test_assert_int(smtp_parameter_parse_size("12a", &size), -1);
	test_assert_int(smtp_parameter_parse_size(NULL, &size), -1);
	test_assert(size == 7);
}

static void
test_smtp_xtext_decode(void)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: error */
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a+2Bb", "a+b" },
		{ "rfc822;user+40example.org", "rfc822;user@example.org" },
		{ "+41+42", "AB" },
		{ "+2b", "+" },
		{ "+E2+82+AC", "\xe2\x82\xac" },
		{ "+4", NULL },
		{ "+", NULL },
		{ "+4G", NULL },
		{ "+G4", NULL },
		{ "+00", NULL },
		{ "a=b", NULL },
		{ "a b", NULL },
		{ "a\x7f", NULL },
		{ "\xc3\xa9", NULL },
	};
	struct arena *arena = arena_new("test", 0);
	const char *out, *error;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		out = NULL;
		error = NULL;
		ret = smtp_xtext_decode(arena, cases[i].in, &out, &error);
		if (cases[i].out == NULL) {
			if (ret != -1 || error == NULL)
				test_fail(__FILE__, __LINE__, "case %zu: "
				    "accepted", i);
		} else if (ret != 0 || strcmp(out, cases[i].out) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: %d %s", i,
			    ret, ret == 0 ? out : error);
	}
	arena_free(&arena);
}

struct pipeline_case {
	const char *input;
	/* "VERB|arguments" per command, ';'-separated; "!" for a line too
	 * long, "?" for a syntax error. */
	const char *expected;
	/* Bytes consumed when the reader stops after DATA/BDAT/QUIT. */
	size_t consumed;
};

static const struct pipeline_case pipeline_cases[] = {
	{ "EHLO client.example\r\nMAIL FROM:<a@b> SIZE=10\r\n"
	    "RCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
	    "EHLO|client.example;MAIL|FROM:<a@b> SIZE=10;RCPT|TO:<c@d>;"
	    "DATA|", 67 },
	{ "NOOP\nRSET\r\nQUIT\r\nEHLO after.quit\r\n",
	    "NOOP|;RSET|;QUIT|", 17 },
	{ "HELO x\r\n  \r\n1234\r\nQUIT\r\n", "HELO|x;?;?;QUIT|", 24 },
	{ "HELO xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\r\nNOOP\r\nDATA\r\nQUIT\r\n", "!;NOOP|;DATA|", 78 },
};

/* Reads commands until DATA or QUIT as a session would; what follows
 * belongs to someone else and must stay unconsumed. */
static void
run_pipeline(const struct pipeline_case *c, enum trickle_mode mode,
    struct buffer *out, size_t *consumed_r)
{
	const unsigned char *input = (const unsigned char *)c->input;
	size_t length = strlen(c->input), offset = 0, chunk, used;
	size_t available = 0;
	struct line_reader *reader = line_reader_new(64);
	struct smtp_command command;
	struct string_view line;
	const char *error;
	uint32_t state = 4242;
	bool done = false;
	int ret;

	while (!done && offset < length) {
		if (available == offset) {
			chunk = trickle_next_chunk(mode, length - available,
			    &state);
			available += chunk;
		}
		ret = line_reader_next(reader, input + offset,
		    available - offset, &used, &line, NULL);
		offset += used;
		if (ret == 0)
			continue;
		if (buffer_length(out) > 0)
			ASSERT(buffer_append(out, ";", 1) == 0);
		if (ret < 0) {
			ASSERT(buffer_append(out, "!", 1) == 0);
			continue;
		}
		if (smtp_command_parse(line, &command, &error) < 0) {
			ASSERT(buffer_append(out, "?", 1) == 0);
			continue;
		}
		ASSERT(buffer_printf(out, "%.*s|%.*s",
		    (int)command.verb.length, command.verb.data,
		    (int)command.arguments.length,
		    command.arguments.data) == 0);
		done = string_view_equal_cstring_case(command.verb, "DATA") ||
		    string_view_equal_cstring_case(command.verb, "QUIT");
	}
	*consumed_r = offset;
	line_reader_free(&reader);
}

static void
test_smtp_command_pipelining(void)
{
	struct buffer out;
	size_t i, consumed;
	int mode;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(pipeline_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			buffer_reset(&out);
			run_pipeline(&pipeline_cases[i],
			    (enum trickle_mode)mode, &out, &consumed);
			if (strcmp(buffer_string(&out),
			    pipeline_cases[i].expected) != 0 ||
			    consumed != pipeline_cases[i].consumed)
				test_fail(__FILE__, __LINE__, "case %zu (%s): "
				    "got \"%s\" consumed %zu", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out), consumed);
		}
	}
	buffer_deinit(&out);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_command_parse_cases),
		TEST_CASE(test_smtp_command_parse_path_cases),
		TEST_CASE(test_smtp_command_parse_path_limits),
		TEST_CASE(test_smtp_parameter_helpers),
		TEST_CASE(test_smtp_xtext_decode),
		TEST_CASE(test_smtp_command_pipelining),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
