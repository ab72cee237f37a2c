/* test_imap_fetch_items.c: unit tests for mailstore/imap_fetch_items:
 * items and macros, body sections and partials, \Seen, and errors, on
 * arguments produced by the real parser. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "mailstore/imap_fetch_items.h"
#include "mailstore/imap_parser.h"
#include "tests/unit/harness.h"

#include <inttypes.h>

struct fetch_case {
	const char *items;	/* FETCH's argument as sent */
	/* Simple items set, in table order, then one "[...]" per body:
	 * "P" for PEEK, parts "1.2", ":H" header, ":F(a,b)" fields,
	 * ":N(a)" fields not, ":T" text, ":M" mime, "<o.c>" partial; then
	 * " S" if it sets \Seen. NULL: the error. */
	const char *expected;
	const char *error;
};

static const struct fetch_case fetch_cases[] = {
	{ "FLAGS", "flags", NULL },
	{ "all", "flags internaldate rfc822.size envelope", NULL },
	{ "FAST", "flags internaldate rfc822.size", NULL },
	{ "Full", "flags internaldate rfc822.size envelope body", NULL },
	{ "(UID MODSEQ BODYSTRUCTURE body rfc822.size)",
	    "rfc822.size body bodystructure uid modseq", NULL },
	{ "(RFC822.HEADER)", "rfc822.header", NULL },
	{ "RFC822", "rfc822 S", NULL },
	{ "(RFC822.TEXT UID)", "uid rfc822.text S", NULL },
	{ "BODY[]", "[] S", NULL },
	{ "BODY.PEEK[]", "[P] ", NULL },
	{ "(BODY.PEEK[HEADER] body.peek[1.2.text] BODY.PEEK[3.MIME])",
	    "[P:H] [P1.2:T] [P3:M] ", NULL },
	{ "(FLAGS BODY.PEEK[HEADER.FIELDS (From To \"X-A\")]<0.2048>)",
	    "flags [P:F(From,To,X-A)<0.2048>] ", NULL },
	{ "BODY[1.HEADER.FIELDS.NOT (Received)]<10.1>",
	    "[1:N(Received)<10.1>] S", NULL },
	{ "(BODY[2] BODY.PEEK[2.1])", "[2] [P2.1] S", NULL },
	{ "BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22."
	    "23.24.25.26.27.28.29.30.31.32]",
	    "[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24."
	    "25.26.27.28.29.30.31.32] S", NULL },
	{ "BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22."
	    "23.24.25.26.27.28.29.30.31.32.33]", NULL, "invalid FETCH section" },
	{ "BODY[MIME]", NULL, "invalid FETCH section" },
	{ "BODY[0]", NULL, "invalid FETCH section" },
	{ "BODY[1.]", NULL, "invalid FETCH section" },
	{ "BODY[.1]", NULL, "invalid FETCH section" },
	{ "BODY[1..2]", NULL, "invalid FETCH section" },
	{ "BODY[HEADERS]", NULL, "invalid FETCH section" },
	{ "BODY[TEXT ]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS ()]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS (A:B)]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS (A)x]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS (A  B)]", NULL, "invalid FETCH section" },
	{ "BODY[HEADER.FIELDS (\"A\\x\")]", NULL, "invalid FETCH section" },
	{ "BODY[]<0>", NULL, "invalid FETCH partial" },
	{ "BODY[]<0.0>", NULL, "invalid FETCH partial" },
	{ "BODY[]<1.2>x", NULL, "invalid FETCH partial" },
	{ "BODY[]<4294967296.1>", NULL, "invalid FETCH partial" },
	{ "BODY[]x", NULL, "invalid FETCH partial" },
	{ "BODY.PEEK", NULL, "unknown FETCH item" },
	{ "BINARY[]", NULL, "unknown FETCH item" },
	{ "FLAG", NULL, "unknown FETCH item" },
	{ "(FLAGS ALL)", NULL, "FETCH macro inside a list" },
	{ "()", NULL, "empty FETCH item list" },
	{ "(FLAGS (UID))", NULL, "invalid FETCH item" },
	{ "\"FLAGS\"", NULL, "invalid FETCH item" },
	{ "NIL", NULL, "invalid FETCH item" },
};

static void
render_items(struct buffer *out, const struct imap_fetch_items *items)
{
	const struct imap_fetch_body *body;
	size_t i, j;

	ASSERT(buffer_printf(out, "%s%s%s%s%s%s%s%s%s%s%s",
	    items->flags ? "flags " : "",
	    items->internaldate ? "internaldate " : "",
	    items->rfc822_size ? "rfc822.size " : "",
	    items->envelope ? "envelope " : "", items->body ? "body " : "",
	    items->bodystructure ? "bodystructure " : "",
	    items->uid ? "uid " : "", items->modseq ? "modseq " : "",
	    items->rfc822 ? "rfc822 " : "",
	    items->rfc822_header ? "rfc822.header " : "",
	    items->rfc822_text ? "rfc822.text " : "") == 0);
	for (i = 0; i < items->body_count; i++) {
		body = &items->bodies[i];
		ASSERT(buffer_printf(out, "[%s", body->peek ? "P" : "") == 0);
		for (j = 0; j < body->part_count; j++)
			ASSERT(buffer_printf(out, "%s%" PRIu32, j > 0 ? "." : "",
			    body->parts[j]) == 0);
		switch (body->text) {
		case IMAP_FETCH_SECTION_WHOLE:
			break;
		case IMAP_FETCH_SECTION_HEADER:
			ASSERT(buffer_append_string(out, ":H") == 0);
			break;
		case IMAP_FETCH_SECTION_HEADER_FIELDS:
			ASSERT(buffer_append_string(out, ":F") == 0);
			break;
		case IMAP_FETCH_SECTION_HEADER_FIELDS_NOT:
			ASSERT(buffer_append_string(out, ":N") == 0);
			break;
		case IMAP_FETCH_SECTION_TEXT:
			ASSERT(buffer_append_string(out, ":T") == 0);
			break;
		case IMAP_FETCH_SECTION_MIME:
			ASSERT(buffer_append_string(out, ":M") == 0);
			break;
		}
		for (j = 0; j < body->field_count; j++)
			ASSERT(buffer_printf(out, "%s%s", j > 0 ? "," : "(",
			    body->fields[j]) == 0);
		if (body->field_count > 0)
			ASSERT(buffer_append_string(out, ")") == 0);
		if (body->partial)
			ASSERT(buffer_printf(out, "<%" PRIu32 ".%" PRIu32 ">",
			    body->origin, body->count) == 0);
		ASSERT(buffer_append_string(out, "] ") == 0);
	}
	buffer_truncate(out, buffer_length(out) > 0 &&
	    items->body_count == 0 ? buffer_length(out) - 1 :
	    buffer_length(out));
	if (items->sets_seen)
		ASSERT(buffer_append_string(out, items->body_count > 0 ? "S" :
		    " S") == 0);
}

/* Parses "t FETCH 1 <items>" and returns its third argument. */
static const struct imap_arg *
parse_argument(struct imap_parser *parser, struct arena *arena,
    const char *items)
{
	struct imap_command *command;
	const char *tag, *error;
	char *line = arena_printf(arena, "t FETCH 1 %s\r\n", items);
	size_t consumed;
	bool continuation;

	if (imap_parser_next(parser, (const unsigned char *)line,
	    strlen(line), &consumed, arena, &command, &continuation, &tag,
	    &error) != 1 || command->arg_count != 2) {
		test_fail(__FILE__, __LINE__, "%s does not parse", items);
		return NULL;
	}
	return &command->args[1];
}

static void
test_imap_fetch_items_cases(void)
{
	struct imap_parser *parser = imap_parser_new(NULL);
	struct arena *arena = arena_new("test", 0);
	const struct fetch_case *c;
	const struct imap_arg *arg;
	struct imap_fetch_items *items;
	const char *error;
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(fetch_cases); i++) {
		c = &fetch_cases[i];
		arg = parse_argument(parser, arena, c->items);
		if (arg == NULL)
			continue;
		error = NULL;
		if (imap_fetch_items_parse(arg, arena, &items, &error) < 0) {
			if (c->expected != NULL || strcmp(error, c->error) != 0)
				test_fail(__FILE__, __LINE__, "case %zu (%s): "
				    "%s", i, c->items, error);
			continue;
		}
		if (c->expected == NULL) {
			test_fail(__FILE__, __LINE__, "case %zu (%s) accepted",
			    i, c->items);
			continue;
		}
		buffer_reset(&out);
		render_items(&out, items);
		if (strcmp(buffer_string(&out), c->expected) != 0)
			test_fail(__FILE__, __LINE__, "case %zu (%s): got "
			    "\"%s\"", i, c->items, buffer_string(&out));
	}
	buffer_deinit(&out);
	arena_free(&arena);
	imap_parser_free(&parser);
}

/* The section text is kept as sent, for the response. */
static void
test_imap_fetch_items_section_text(void)
{
	struct imap_parser *parser = imap_parser_new(NULL);
	struct arena *arena = arena_new("test", 0);
	const struct imap_arg *arg;
	struct imap_fetch_items *items;
	const char *error;

	arg = parse_argument(parser, arena,
	    "(body.peek[1.header.fields (from)]<5.6> BODY[])");
	test_require(arg != NULL);
	test_require(imap_fetch_items_parse(arg, arena, &items, &error) == 0);
	test_require(items->body_count == 2);
	test_assert_string(items->bodies[0].section,
	    "1.header.fields (from)");
	test_assert_string(items->bodies[1].section, "");
	test_assert(items->bodies[1].parts == NULL);
	test_assert(items->bodies[1].fields == NULL);
	test_assert(items->sets_seen);
	arg = parse_argument(parser, arena, "FLAGS");
	test_require(arg != NULL);
	test_require(imap_fetch_items_parse(arg, arena, &items, &error) == 0);
	test_assert(items->bodies == NULL && items->body_count == 0);
	test_assert(!items->sets_seen);
	arena_free(&arena);
	imap_parser_free(&parser);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_fetch_items_cases),
		TEST_CASE(test_imap_fetch_items_section_text),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
