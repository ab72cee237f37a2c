/* imap_search.c: SEARCH criteria parser and per-message matcher.
 *
 * DESIGN: the parser is a recursive descent over the argument array
 * (depth capped) producing an AND/OR/NOT tree with leaves that carry
 * already-converted operands (folded needles, day numbers, flag bits),
 * so matching does no string work on the criteria. The matcher
 * short-circuits left to right and loads and parses the message through
 * lib/message only when a key needs it; decoded header and body text
 * are folded once per message and cached in the match arena. */
#include "mailstore/imap_search.h"
#include "mailstore/imap_sequence.h"
#include "lib/buffer.h"
#include "lib/error.h"
#include "lib/mail_header.h"
#include "lib/message.h"

#include <strings.h>

struct imap_search_cache {
	struct message *message;
	struct string_view header_text;	/* folded, lazily built */
	struct string_view body_text;
	bool header_done, body_done;
};

struct parse_state {
	struct arena *arena;
	const struct imap_arg *args;
	size_t count;
	size_t position;
	struct imap_search *search;
	const char *error;
};

/* Case folding (one code point at a time, UTF-8 in and out). */

static uint32_t
fold_code_point(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		/* Latin Extended-A pairs: even capital, odd small, except
		 * the block 0x139..0x148 and 0x179..0x17e (odd capital). */
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 ||
		    c == 0x17f)
			return c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

static size_t
utf8_decode(const unsigned char *s, size_t length, uint32_t *c_r)
{
	if (s[0] < 0x80 || length < 2) {
		*c_r = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*c_r = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	/* Longer sequences are copied byte by byte unchanged: nothing
	 * above U+07FF is folded. */
	*c_r = s[0];
	return 1;
}

/* A folded copy of text[0..length) in arena (never longer: the folded
 * ranges keep their UTF-8 length). */
static struct string_view
fold(struct arena *arena, const char *text, size_t length)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out = arena_alloc(arena, length + 1);
	size_t i = 0, o = 0;
	uint32_t c;

	while (i < length) {
		size_t n = utf8_decode(s + i, length - i, &c);

		if (n == 1) {
			out[o++] = (char)(c < 0x80 ? fold_code_point(c) : c);
		} else {
			c = fold_code_point(c);
			out[o++] = (char)(0xc0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
		i += n;
	}
	return string_view_make(out, o);
}

static bool
contains(struct string_view haystack, struct string_view needle)
{
	if (needle.length == 0)
		return true;
	if (haystack.length < needle.length || haystack.data == NULL)
		return false;
	return memmem(haystack.data, haystack.length, needle.data,
	    needle.length) != NULL;
}

/* Dates. */

static int64_t
days_from_civil(int64_t year, unsigned month, unsigned day)
{
	/* Howard Hinnant's well-known days-from-civil formula. */
	int64_t era;
	unsigned year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = (unsigned)(year - era * 400);
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;
	return era * 146097 + (int64_t)day_of_era - 719468;
}

static int
month_number(const char *s)
{
	static const char *const months[] = {
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
		"sep", "oct", "nov", "dec"
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(months); i++) {
		if (string_view_equal_cstring_case(string_view_make(s, 3),
		    months[i]))
			return (int)i + 1;
	}
	return 0;
}

/* "1-Feb-1994" (day 1 or 2 digits, year 4). */
static bool
parse_search_date(const char *s, int64_t *day_r)
{
	unsigned day = 0, year = 0;
	size_t i = 0, digits;
	int month;

	for (digits = 0; s[i] >= '0' && s[i] <= '9' && digits < 2; digits++)
		day = day * 10 + (unsigned)(s[i++] - '0');
	if (digits == 0 || day < 1 || day > 31 || s[i++] != '-')
		return false;
	if (strlen(s + i) < 4 || (month = month_number(s + i)) == 0 ||
	    s[i + 3] != '-')
		return false;
	i += 4;
	for (digits = 0; s[i] >= '0' && s[i] <= '9'; digits++)
		year = year * 10 + (unsigned)(s[i++] - '0');
	if (digits != 4 || s[i] != '\0')
		return false;
	*day_r = days_from_civil(year, (unsigned)month, day);
	return true;
}

/* The calendar day an RFC 5322 Date: value names in its own zone:
 * "[Day,] d Mon yyyy ..." (two-digit years as RFC 5322 4.3 says). */
static bool
parse_header_date(struct string_view value, int64_t *day_r)
{
	const char *s = value.data, *end = value.data + value.length;
	unsigned day = 0, year = 0;
	size_t digits = 0;
	int month;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n'))
		s++;
	if (s < end && !(*s >= '0' && *s <= '9')) {
		while (s < end && *s != ',')
			s++;
		if (s < end)
			s++;
	}
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n'))
		s++;
	for (; s < end && *s >= '0' && *s <= '9' && digits < 2; digits++)
		day = day * 10 + (unsigned)(*s++ - '0');
	if (digits == 0 || day < 1 || day > 31)
		return false;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '-'))
		s++;
	if (end - s < 3 || (month = month_number(s)) == 0)
		return false;
	s += 3;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '-'))
		s++;
	for (digits = 0; s < end && *s >= '0' && *s <= '9' && digits < 4;
	    digits++)
		year = year * 10 + (unsigned)(*s++ - '0');
	if (digits == 2)
		year += year < 50 ? 2000 : 1900;
	else if (digits == 3)
		year += 1900;
	else if (digits != 4)
		return false;
	*day_r = days_from_civil(year, (unsigned)month, day);
	return true;
}

/* Parsing. */

struct simple_key {
	const char *name;
	enum imap_search_key key;
	unsigned flag;
};

static const struct simple_key simple_keys[] = {
	{ "ALL", IMAP_SEARCH_ALL, 0 },
	{ "ANSWERED", IMAP_SEARCH_FLAG, IMAP_SEARCH_FLAG_ANSWERED },
	{ "DELETED", IMAP_SEARCH_FLAG, IMAP_SEARCH_FLAG_DELETED },
	{ "DRAFT", IMAP_SEARCH_FLAG, IMAP_SEARCH_FLAG_DRAFT },
	{ "FLAGGED", IMAP_SEARCH_FLAG, IMAP_SEARCH_FLAG_FLAGGED },
	{ "SEEN", IMAP_SEARCH_FLAG, IMAP_SEARCH_FLAG_SEEN },
	{ "UNANSWERED", IMAP_SEARCH_NOT_FLAG, IMAP_SEARCH_FLAG_ANSWERED },
	{ "UNDELETED", IMAP_SEARCH_NOT_FLAG, IMAP_SEARCH_FLAG_DELETED },
	{ "UNDRAFT", IMAP_SEARCH_NOT_FLAG, IMAP_SEARCH_FLAG_DRAFT },
	{ "UNFLAGGED", IMAP_SEARCH_NOT_FLAG, IMAP_SEARCH_FLAG_FLAGGED },
	{ "UNSEEN", IMAP_SEARCH_NOT_FLAG, IMAP_SEARCH_FLAG_SEEN },
	{ "RECENT", IMAP_SEARCH_RECENT, 0 },
	{ "NEW", IMAP_SEARCH_NEW, 0 },
	{ "OLD", IMAP_SEARCH_OLD, 0 },
};

/* Keys taking one string operand that is a header search. */
static const struct {
	const char *name;
	const char *field;
} header_keys[] = {
	{ "BCC", "Bcc" }, { "CC", "Cc" }, { "FROM", "From" },
	{ "SUBJECT", "Subject" }, { "TO", "To" },
};

static const struct {
	const char *name;
	enum imap_search_key key;
} date_keys[] = {
	{ "BEFORE", IMAP_SEARCH_BEFORE }, { "ON", IMAP_SEARCH_ON },
	{ "SINCE", IMAP_SEARCH_SINCE },
	{ "SENTBEFORE", IMAP_SEARCH_SENT_BEFORE },
	{ "SENTON", IMAP_SEARCH_SENT_ON },
	{ "SENTSINCE", IMAP_SEARCH_SENT_SINCE },
};

/* Whether arg is the atom name, ignoring ASCII case. (imap_parser's
 * helper is not used so that this file links without the parser.) */
static bool
is_atom(const struct imap_arg *arg, const char *name)
{
	return arg->type == IMAP_ARG_ATOM && arg->text != NULL &&
	    strcasecmp(arg->text, name) == 0;
}

static int parse_key(struct parse_state *state, unsigned depth,
    struct imap_search_node *node);

static int
fail(struct parse_state *state, const char *error)
{
	state->error = error;
	return -1;
}

/* The next argument as an astring (atom, quoted or literal). */
static const struct imap_arg *
next_string(struct parse_state *state)
{
	const struct imap_arg *arg;

	if (state->position >= state->count)
		return NULL;
	arg = &state->args[state->position];
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_STRING &&
	    arg->type != IMAP_ARG_LITERAL)
		return NULL;
	state->position++;
	return arg;
}

static bool
parse_number(const char *text, uint64_t *number_r)
{
	uint64_t number = 0;
	size_t i;

	if (text == NULL || text[0] == '\0')
		return false;
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || i >= 19)
			return false;
		number = number * 10 + (uint64_t)(text[i] - '0');
	}
	*number_r = number;
	return true;
}

static int
parse_needle(struct parse_state *state, struct imap_search_node *node,
    const char *what)
{
	const struct imap_arg *arg = next_string(state);

	if (arg == NULL)
		return fail(state, what);
	node->value = fold(state->arena, arg->text, arg->length);
	state->search->needs_message = true;
	return 0;
}

/* Parses keys up to a closing point (end of the list) into an AND. */
static int
parse_list(struct parse_state *state, unsigned depth,
    const struct imap_arg *args, size_t count, struct imap_search_node *node)
{
	const struct imap_arg *saved_args = state->args;
	size_t saved_count = state->count, saved_position = state->position;
	size_t i = 0;

	if (count == 0)
		return fail(state, "empty search key list");
	node->key = IMAP_SEARCH_AND;
	node->children = arena_array(state->arena, count,
	    sizeof(*node->children));
	state->args = args;
	state->count = count;
	state->position = 0;
	while (state->position < count) {
		if (parse_key(state, depth, &node->children[i++]) < 0)
			return -1;
	}
	node->child_count = i;
	state->args = saved_args;
	state->count = saved_count;
	state->position = saved_position;
	return 0;
}

static int
parse_key(struct parse_state *state, unsigned depth,
    struct imap_search_node *node)
{
	const struct imap_arg *arg;
	struct imap_sequence_set *set;
	const char *name, *set_error;
	size_t i;

	if (depth >= IMAP_SEARCH_MAX_DEPTH)
		return fail(state, "search keys nested too deeply");
	if (state->position >= state->count)
		return fail(state, "missing search key");
	arg = &state->args[state->position++];
	if (arg->type == IMAP_ARG_LIST)
		return parse_list(state, depth + 1, arg->list, arg->list_count,
		    node);
	if (arg->type != IMAP_ARG_ATOM)
		return fail(state, "search key expected");
	name = arg->text;
	for (i = 0; i < ARRAY_LENGTH(simple_keys); i++) {
		if (is_atom(arg, simple_keys[i].name)) {
			node->key = simple_keys[i].key;
			node->number = simple_keys[i].flag;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_LENGTH(header_keys); i++) {
		if (is_atom(arg, header_keys[i].name)) {
			node->key = IMAP_SEARCH_HEADER;
			node->text = header_keys[i].field;
			return parse_needle(state, node,
			    "search string expected");
		}
	}
	for (i = 0; i < ARRAY_LENGTH(date_keys); i++) {
		if (is_atom(arg, date_keys[i].name)) {
			const struct imap_arg *date = next_string(state);

			node->key = date_keys[i].key;
			if (date == NULL || !parse_search_date(date->text,
			    &node->day))
				return fail(state, "invalid search date");
			if (node->key >= IMAP_SEARCH_SENT_BEFORE)
				state->search->needs_message = true;
			return 0;
		}
	}
	if (is_atom(arg, "BODY") || is_atom(arg, "TEXT")) {
		node->key = is_atom(arg, "BODY") ? IMAP_SEARCH_BODY :
		    IMAP_SEARCH_TEXT;
		return parse_needle(state, node, "search string expected");
	}
	if (is_atom(arg, "HEADER")) {
		const struct imap_arg *field = next_string(state);

		if (field == NULL || field->length == 0 ||
		    strlen(field->text) != field->length)
			return fail(state, "header field name expected");
		node->key = IMAP_SEARCH_HEADER;
		node->text = field->text;
		return parse_needle(state, node, "search string expected");
	}
	if (is_atom(arg, "KEYWORD") ||
	    is_atom(arg, "UNKEYWORD")) {
		const struct imap_arg *keyword = next_string(state);

		if (keyword == NULL || keyword->type != IMAP_ARG_ATOM)
			return fail(state, "keyword expected");
		node->key = is_atom(arg, "KEYWORD") ?
		    IMAP_SEARCH_KEYWORD : IMAP_SEARCH_UNKEYWORD;
		node->text = keyword->text;
		return 0;
	}
	if (is_atom(arg, "LARGER") ||
	    is_atom(arg, "SMALLER")) {
		const struct imap_arg *size = next_string(state);

		node->key = is_atom(arg, "LARGER") ?
		    IMAP_SEARCH_LARGER : IMAP_SEARCH_SMALLER;
		if (size == NULL || size->type != IMAP_ARG_ATOM ||
		    !parse_number(size->text, &node->number) ||
		    node->number > UINT32_MAX)
			return fail(state, "size expected");
		return 0;
	}
	if (is_atom(arg, "MODSEQ")) {
		const struct imap_arg *value = next_string(state);

		/* Optional entry name and type (RFC 7162 3.1.5): the
		 * per-flag modseq is not kept, the message's is used. */
		if (value != NULL && value->type != IMAP_ARG_ATOM) {
			const struct imap_arg *type = next_string(state);

			if (type == NULL || !(is_atom(type, "priv") ||
			    is_atom(type, "shared") ||
			    is_atom(type, "all")))
				return fail(state, "MODSEQ entry type expected");
			value = next_string(state);
		}
		node->key = IMAP_SEARCH_MODSEQ;
		if (value == NULL || value->type != IMAP_ARG_ATOM ||
		    !parse_number(value->text, &node->number))
			return fail(state, "mod-sequence value expected");
		state->search->uses_modseq = true;
		return 0;
	}
	if (is_atom(arg, "NOT")) {
		node->key = IMAP_SEARCH_NOT;
		node->child_count = 1;
		node->children = arena_array(state->arena, 1,
		    sizeof(*node->children));
		return parse_key(state, depth + 1, &node->children[0]);
	}
	if (is_atom(arg, "OR")) {
		node->key = IMAP_SEARCH_OR;
		node->child_count = 2;
		node->children = arena_array(state->arena, 2,
		    sizeof(*node->children));
		if (parse_key(state, depth + 1, &node->children[0]) < 0)
			return -1;
		return parse_key(state, depth + 1, &node->children[1]);
	}
	if (is_atom(arg, "UID")) {
		const struct imap_arg *uids = next_string(state);

		if (uids == NULL || uids->type != IMAP_ARG_ATOM ||
		    imap_sequence_parse(uids->text, state->arena, &set,
		    &set_error) < 0)
			return fail(state, "UID set expected");
		node->key = IMAP_SEARCH_UID;
		node->text = uids->text;
		node->set = set;
		return 0;
	}
	if (imap_sequence_parse(name, state->arena, &set, &set_error) == 0) {
		node->key = IMAP_SEARCH_SEQUENCE;
		node->text = name;
		node->set = set;
		return 0;
	}
	return fail(state, "unknown search key");
}

int
imap_search_parse(struct arena *arena, const struct imap_arg *args,
    size_t count, struct imap_search **search_r, const char **error_r)
{
	struct imap_search *search = arena_new_type(arena, struct imap_search);
	struct parse_state state = { arena, args, count, 0, search, NULL };

	if (count >= 1 && is_atom(&args[0], "CHARSET")) {
		const struct imap_arg *charset;

		state.position = 1;
		charset = next_string(&state);
		if (charset == NULL) {
			*error_r = error_set("charset expected");
			return -1;
		}
		if (strcasecmp(charset->text, "UTF-8") != 0 &&
		    strcasecmp(charset->text, "US-ASCII") != 0) {
			*error_r = error_set("%s", IMAP_SEARCH_BADCHARSET);
			return -1;
		}
	}
	search->root = arena_new_type(arena, struct imap_search_node);
	if (parse_list(&state, 0, args + state.position,
	    count - state.position, search->root) < 0) {
		*error_r = error_set("%s", state.error);
		return -1;
	}
	*search_r = search;
	return 0;
}

/* Matching. */

static int
load_message(struct imap_search_message *message, struct arena *arena,
    const char **error_r)
{
	struct message_limits limits = { .max_decoded_size =
	    IMAP_SEARCH_MAX_PART_TEXT };
	const unsigned char *data;
	size_t length;

	if (message->cache != NULL)
		return 0;
	if (message->load == NULL) {
		*error_r = error_set("message bytes unavailable");
		return -1;
	}
	if (message->load(message->load_context, &data, &length, error_r) < 0)
		return -1;
	message->cache = arena_new_type(arena, struct imap_search_cache);
	message->cache->message = message_parse(arena, data,
	    MIN(length, IMAP_SEARCH_MAX_MESSAGE_BYTES), &limits);
	return 0;
}

static struct string_view
header_text(struct imap_search_cache *cache, struct arena *arena)
{
	const struct mail_header *header = cache->message->header;
	struct buffer text;
	size_t i;

	if (cache->header_done)
		return cache->header_text;
	buffer_init(&text, IMAP_SEARCH_MAX_BODY_TEXT);
	for (i = 0; i < header->field_count; i++) {
		struct string_view value = mail_header_decode(arena,
		    header->fields[i].value, NULL);

		if (buffer_append(&text, header->fields[i].name.data,
		    header->fields[i].name.length) < 0 ||
		    buffer_append(&text, ": ", 2) < 0 ||
		    buffer_append(&text, value.data, value.length) < 0 ||
		    buffer_append(&text, "\n", 1) < 0)
			break;
	}
	cache->header_text = fold(arena, (const char *)buffer_data(&text),
	    buffer_length(&text));
	buffer_deinit(&text);
	cache->header_done = true;
	return cache->header_text;
}

static struct string_view
body_text(struct imap_search_cache *cache, struct arena *arena)
{
	const struct message_part *part = NULL;
	struct buffer text;

	if (cache->body_done)
		return cache->body_text;
	buffer_init(&text, IMAP_SEARCH_MAX_BODY_TEXT);
	while ((part = message_next_text_part(cache->message, part)) != NULL) {
		size_t room = IMAP_SEARCH_MAX_BODY_TEXT - buffer_length(&text);

		/* Parts are joined by a newline, so no match spans two. */
		if (room <= 1 || buffer_append(&text, part->text.data,
		    MIN(part->text.length, room - 1)) < 0 ||
		    buffer_append(&text, "\n", 1) < 0)
			break;
	}
	cache->body_text = fold(arena, (const char *)buffer_data(&text),
	    buffer_length(&text));
	buffer_deinit(&text);
	cache->body_done = true;
	return cache->body_text;
}

static bool
header_matches(struct imap_search_cache *cache, struct arena *arena,
    const struct imap_search_node *node)
{
	const struct mail_header *header = cache->message->header;
	size_t i;

	for (i = 0; i < header->field_count; i++) {
		struct string_view value;

		if (!string_view_equal_cstring_case(header->fields[i].name,
		    node->text))
			continue;
		if (node->value.length == 0)
			return true;
		value = mail_header_decode(arena, header->fields[i].value,
		    NULL);
		if (contains(fold(arena, value.data, value.length),
		    node->value))
			return true;
	}
	return false;
}

static bool
has_keyword(const struct imap_search_message *message, const char *keyword)
{
	size_t i;

	for (i = 0; i < message->keyword_count; i++) {
		if (strcasecmp(message->keywords[i], keyword) == 0)
			return true;
	}
	return false;
}

static bool
in_set(const struct imap_search_message *message,
    const struct imap_search_node *node, bool uid)
{
	return imap_sequence_contains(node->set,
	    uid ? message->uid : message->sequence,
	    uid ? message->last_uid : message->last_sequence);
}

static int
match_node(const struct imap_search_node *node,
    struct imap_search_message *message, struct arena *arena,
    const char **error_r)
{
	int64_t day;
	size_t i;
	int r;

	switch (node->key) {
	case IMAP_SEARCH_ALL:
		return 1;
	case IMAP_SEARCH_AND:
		for (i = 0; i < node->child_count; i++) {
			if ((r = match_node(&node->children[i], message, arena,
			    error_r)) != 1)
				return r;
		}
		return 1;
	case IMAP_SEARCH_OR:
		if ((r = match_node(&node->children[0], message, arena,
		    error_r)) != 0)
			return r;
		return match_node(&node->children[1], message, arena, error_r);
	case IMAP_SEARCH_NOT:
		r = match_node(&node->children[0], message, arena, error_r);
		return r < 0 ? r : !r;
	case IMAP_SEARCH_SEQUENCE:
		return in_set(message, node, false);
	case IMAP_SEARCH_UID:
		return in_set(message, node, true);
	case IMAP_SEARCH_FLAG:
		return (message->flags & node->number) != 0;
	case IMAP_SEARCH_NOT_FLAG:
		return (message->flags & node->number) == 0;
	case IMAP_SEARCH_RECENT:
		return message->recent;
	case IMAP_SEARCH_NEW:
		return message->recent &&
		    (message->flags & IMAP_SEARCH_FLAG_SEEN) == 0;
	case IMAP_SEARCH_OLD:
		return !message->recent;
	case IMAP_SEARCH_KEYWORD:
		return has_keyword(message, node->text);
	case IMAP_SEARCH_UNKEYWORD:
		return !has_keyword(message, node->text);
	case IMAP_SEARCH_LARGER:
		return message->size > node->number;
	case IMAP_SEARCH_SMALLER:
		return message->size < node->number;
	case IMAP_SEARCH_MODSEQ:
		return message->modseq >= node->number;
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
		day = (int64_t)message->internal_date / 86400;
		if ((int64_t)message->internal_date < 0 &&
		    (int64_t)message->internal_date % 86400 != 0)
			day--;
		goto compare_day;
	case IMAP_SEARCH_SENT_BEFORE:
	case IMAP_SEARCH_SENT_ON:
	case IMAP_SEARCH_SENT_SINCE: {
		const struct mail_header_field *date;

		if (load_message(message, arena, error_r) < 0)
			return -1;
		date = mail_header_get(message->cache->message->header,
		    "Date");
		/* No usable Date: matches no SENT* key. */
		if (date == NULL || !parse_header_date(date->value, &day))
			return 0;
		goto compare_day;
	}
	case IMAP_SEARCH_HEADER:
		if (load_message(message, arena, error_r) < 0)
			return -1;
		return header_matches(message->cache, arena, node);
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		if (load_message(message, arena, error_r) < 0)
			return -1;
		if (node->key == IMAP_SEARCH_TEXT &&
		    contains(header_text(message->cache, arena), node->value))
			return 1;
		return contains(body_text(message->cache, arena), node->value);
	}
	return 0;

compare_day:
	switch (node->key) {
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_SENT_BEFORE:
		return day < node->day;
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SENT_ON:
		return day == node->day;
	default:
		return day >= node->day;
	}
}

int
imap_search_match(const struct imap_search *search,
    struct imap_search_message *message, struct arena *arena,
    const char **error_r)
{
	return match_node(search->root, message, arena, error_r);
}
