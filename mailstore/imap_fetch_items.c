/* imap_fetch_items.c: FETCH item list and BODY[section]<partial> parsing. */
#include "mailstore/imap_fetch_items.h"
#include "lib/error.h"

#include <strings.h>

/* Field names one HEADER.FIELDS list may name. */
#define IMAP_FETCH_ITEMS_FIELDS_MAX 256

/* Bits of the simple items and macros, for one table. */
enum fetch_bit {
	BIT_FLAGS = 1 << 0,
	BIT_INTERNALDATE = 1 << 1,
	BIT_RFC822_SIZE = 1 << 2,
	BIT_ENVELOPE = 1 << 3,
	BIT_BODY = 1 << 4,
	BIT_BODYSTRUCTURE = 1 << 5,
	BIT_UID = 1 << 6,
	BIT_MODSEQ = 1 << 7,
	BIT_RFC822 = 1 << 8,
	BIT_RFC822_HEADER = 1 << 9,
	BIT_RFC822_TEXT = 1 << 10,
};

static const struct {
	const char *name;
	unsigned bits;
	bool macro;
} fetch_names[] = {
	{ "FLAGS", BIT_FLAGS, false },
	{ "INTERNALDATE", BIT_INTERNALDATE, false },
	{ "RFC822.SIZE", BIT_RFC822_SIZE, false },
	{ "ENVELOPE", BIT_ENVELOPE, false },
	{ "BODY", BIT_BODY, false },
	{ "BODYSTRUCTURE", BIT_BODYSTRUCTURE, false },
	{ "UID", BIT_UID, false },
	{ "MODSEQ", BIT_MODSEQ, false },
	{ "RFC822", BIT_RFC822, false },
	{ "RFC822.HEADER", BIT_RFC822_HEADER, false },
	{ "RFC822.TEXT", BIT_RFC822_TEXT, false },
	{ "ALL", BIT_FLAGS | BIT_INTERNALDATE | BIT_RFC822_SIZE |
	    BIT_ENVELOPE, true },
	{ "FAST", BIT_FLAGS | BIT_INTERNALDATE | BIT_RFC822_SIZE, true },
	{ "FULL", BIT_FLAGS | BIT_INTERNALDATE | BIT_RFC822_SIZE |
	    BIT_ENVELOPE | BIT_BODY, true },
};

/* A read position in an atom's text. */
struct cursor {
	const char *p;
	const char *end;
};

static bool
cursor_skip_case(struct cursor *c, const char *word)
{
	size_t length = strlen(word);

	if ((size_t)(c->end - c->p) < length ||
	    strncasecmp(c->p, word, length) != 0)
		return false;
	c->p += length;
	return true;
}

/* Reads 1..10 digits into a uint32. */
static bool
cursor_number(struct cursor *c, uint32_t *number_r)
{
	uint64_t number = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		number = number * 10 + (uint64_t)(*c->p - '0');
		if (number > UINT32_MAX)
			return false;
		c->p++;
	}
	*number_r = (uint32_t)number;
	return c->p > start;
}

/* Reads one header field name: a quoted string or printable characters
 * other than ':', space, parentheses and '"'. */
static bool
cursor_field_name(struct cursor *c, struct arena *arena, const char **name_r)
{
	const char *start;
	char *name;
	size_t n = 0, i;

	if (c->p < c->end && *c->p == '"') {
		start = ++c->p;
		name = arena_alloc(arena, (size_t)(c->end - start) + 1);
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\' && c->p + 1 < c->end &&
			    (c->p[1] == '\\' || c->p[1] == '"'))
				c->p++;
			else if (*c->p == '\\')
				return false;
			name[n++] = *c->p++;
		}
		if (c->p == c->end || n == 0)
			return false;
		c->p++;
	} else {
		start = c->p;
		while (c->p < c->end && *c->p > ' ' && *c->p < 0x7f &&
		    *c->p != ':' && *c->p != '(' && *c->p != ')' &&
		    *c->p != '"')
			c->p++;
		if (c->p == start)
			return false;
		name = arena_strndup(arena, start, (size_t)(c->p - start));
		n = (size_t)(c->p - start);
	}
	/* Field names are printable ASCII without ':' either way. */
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f || name[i] == ':')
			return false;
	*name_r = name;
	return true;
}

/* " (name name ...)" up to the end of the section. */
static bool
parse_header_list(struct cursor *c, struct arena *arena,
    struct imap_fetch_body *body)
{
	const char *names[IMAP_FETCH_ITEMS_FIELDS_MAX];
	size_t count = 0;

	if (!cursor_skip_case(c, " ("))
		return false;
	for (;;) {
		if (count == ARRAY_LENGTH(names) ||
		    !cursor_field_name(c, arena, &names[count]))
			return false;
		count++;
		if (c->p < c->end && *c->p == ')')
			break;
		if (!cursor_skip_case(c, " "))
			return false;
	}
	c->p++;
	if (c->p != c->end)
		return false;
	body->fields = arena_array(arena, count, sizeof(*body->fields));
	memcpy(body->fields, names, count * sizeof(*names));
	body->field_count = count;
	return true;
}

/* The text between the brackets. */
static bool
parse_section(struct cursor *c, struct arena *arena,
    struct imap_fetch_body *body)
{
	uint32_t parts[IMAP_FETCH_ITEMS_PARTS_MAX];
	size_t count = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (count == ARRAY_LENGTH(parts) ||
		    !cursor_number(c, &parts[count]) || parts[count] == 0)
			return false;
		count++;
		if (c->p == c->end)
			break;
		if (*c->p++ != '.' || c->p == c->end)
			return false;
	}
	if (count > 0) {
		body->parts = arena_array(arena, count, sizeof(*parts));
		memcpy((uint32_t *)body->parts, parts, count * sizeof(*parts));
		body->part_count = count;
	}
	if (c->p == c->end) {
		body->text = IMAP_FETCH_SECTION_WHOLE;
		return true;
	}
	if (cursor_skip_case(c, "HEADER.FIELDS.NOT")) {
		body->text = IMAP_FETCH_SECTION_HEADER_FIELDS_NOT;
		return parse_header_list(c, arena, body);
	}
	if (cursor_skip_case(c, "HEADER.FIELDS")) {
		body->text = IMAP_FETCH_SECTION_HEADER_FIELDS;
		return parse_header_list(c, arena, body);
	}
	if (cursor_skip_case(c, "HEADER"))
		body->text = IMAP_FETCH_SECTION_HEADER;
	else if (cursor_skip_case(c, "TEXT"))
		body->text = IMAP_FETCH_SECTION_TEXT;
	else if (count > 0 && cursor_skip_case(c, "MIME"))
		body->text = IMAP_FETCH_SECTION_MIME;
	else
		return false;
	return c->p == c->end;
}

/* "BODY[...]" or "BODY.PEEK[...]", optionally "<origin.count>". */
static int
parse_body(const struct imap_arg *arg, struct arena *arena,
    struct imap_fetch_items *items, const char **error_r)
{
	struct imap_fetch_body *body;
	struct cursor c = { arg->text, arg->text + arg->length }, section;
	const char *close;

	/* The array has room for one body per item. */
	body = &items->bodies[items->body_count];
	if (cursor_skip_case(&c, "BODY.PEEK["))
		body->peek = true;
	else if (!cursor_skip_case(&c, "BODY["))
		return 1;
	close = memchr(c.p, ']', (size_t)(c.end - c.p));
	if (close == NULL) {
		*error_r = error_set("invalid FETCH section");
		return -1;
	}
	section.p = c.p;
	section.end = close;
	body->section = arena_strndup(arena, c.p, (size_t)(close - c.p));
	if (!parse_section(&section, arena, body)) {
		*error_r = error_set("invalid FETCH section");
		return -1;
	}
	c.p = close + 1;
	if (c.p < c.end) {
		if (!cursor_skip_case(&c, "<") ||
		    !cursor_number(&c, &body->origin) ||
		    !cursor_skip_case(&c, ".") ||
		    !cursor_number(&c, &body->count) || body->count == 0 ||
		    !cursor_skip_case(&c, ">") || c.p != c.end) {
			*error_r = error_set("invalid FETCH partial");
			return -1;
		}
		body->partial = true;
	}
	items->body_count++;
	if (!body->peek)
		items->sets_seen = true;
	return 0;
}

/* One item atom; macros only when allowed (not inside a list). */
static int
parse_item(const struct imap_arg *arg, bool allow_macro, struct arena *arena,
    struct imap_fetch_items *items, unsigned *bits, const char **error_r)
{
	size_t i;
	int ret;

	if (arg->type != IMAP_ARG_ATOM) {
		*error_r = error_set("invalid FETCH item");
		return -1;
	}
	for (i = 0; i < ARRAY_LENGTH(fetch_names); i++) {
		if (strcasecmp(arg->text, fetch_names[i].name) != 0)
			continue;
		if (fetch_names[i].macro && !allow_macro) {
			*error_r = error_set("FETCH macro inside a list");
			return -1;
		}
		*bits |= fetch_names[i].bits;
		return 0;
	}
	ret = parse_body(arg, arena, items, error_r);
	if (ret > 0)
		*error_r = error_set("unknown FETCH item");
	return ret == 0 ? 0 : -1;
}

int
imap_fetch_items_parse(const struct imap_arg *arg, struct arena *arena,
    struct imap_fetch_items **items_r, const char **error_r)
{
	struct imap_fetch_items *items;
	unsigned bits = 0;
	size_t i;

	items = arena_new_type(arena, struct imap_fetch_items);
	items->bodies = arena_array(arena, arg->type == IMAP_ARG_LIST ?
	    MAX(arg->list_count, 1) : 1, sizeof(*items->bodies));
	if (arg->type == IMAP_ARG_LIST) {
		if (arg->list_count == 0) {
			*error_r = error_set("empty FETCH item list");
			return -1;
		}
		for (i = 0; i < arg->list_count; i++)
			if (parse_item(&arg->list[i], false, arena, items,
			    &bits, error_r) < 0)
				return -1;
	} else if (parse_item(arg, true, arena, items, &bits, error_r) < 0) {
		return -1;
	}
	items->flags = (bits & BIT_FLAGS) != 0;
	items->internaldate = (bits & BIT_INTERNALDATE) != 0;
	items->rfc822_size = (bits & BIT_RFC822_SIZE) != 0;
	items->envelope = (bits & BIT_ENVELOPE) != 0;
	items->body = (bits & BIT_BODY) != 0;
	items->bodystructure = (bits & BIT_BODYSTRUCTURE) != 0;
	items->uid = (bits & BIT_UID) != 0;
	items->modseq = (bits & BIT_MODSEQ) != 0;
	items->rfc822 = (bits & BIT_RFC822) != 0;
	items->rfc822_header = (bits & BIT_RFC822_HEADER) != 0;
	items->rfc822_text = (bits & BIT_RFC822_TEXT) != 0;
	if (items->rfc822 || items->rfc822_text)
		items->sets_seen = true;
	if (items->body_count == 0)
		items->bodies = NULL;
	*items_r = items;
	return 0;
}
