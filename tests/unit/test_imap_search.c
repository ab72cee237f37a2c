/* test_imap_search.c: unit tests for mailstore/imap_search: criteria
 * parsing (arguments built by hand) and matching. */
#include "mailstore/imap_search.h"
#include "lib/error.h"
#include "tests/unit/harness.h"

#define ATOM(s) { IMAP_ARG_ATOM, (s), sizeof(s) - 1, NULL, 0 }
#define STRING(s) { IMAP_ARG_STRING, (s), sizeof(s) - 1, NULL, 0 }
#define LIST(a) { IMAP_ARG_LIST, NULL, 0, (a), ARRAY_LENGTH(a) }

static const char sample_message[] =
    "Date: Mon, 7 Feb 1994 23:52:25 -0800\r\n"
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: Quarterly REPORT\r\n"
    "X-Tag: blue\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Grand total: 42 =C3=89URO\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IHdvcmQ=\r\n"
    "--b--\r\n";

static int load_count;

static int
load(void *context, const unsigned char **data_r, size_t *length_r,
    const char **error_r)
{
	(void)context;
	(void)error_r;
	load_count++;
	*data_r = (const unsigned char *)sample_message;
	*length_r = strlen(sample_message);
	return 0;
}

static int
load_fails(void *context, const unsigned char **data_r, size_t *length_r,
    const char **error_r)
{
	(void)context;
	(void)data_r;
	(void)length_r;
	*error_r = error_set("gone");
	return -1;
}

static const char *const keywords[] = { "$Important" };

static void
init_message(struct imap_search_message *m)
{
	memset(m, 0, sizeof(*m));
	m->sequence = 3;
	m->uid = 103;
	m->last_sequence = 10;
	m->last_uid = 110;
	m->flags = IMAP_SEARCH_FLAG_SEEN | IMAP_SEARCH_FLAG_FLAGGED;
	m->keywords = keywords;
	m->keyword_count = 1;
	m->size = 5000;
	m->internal_date = 760665600 + 3600;	/* 8-Feb-1994 01:00 UTC */
	m->modseq = 77;
	m->load = load;
}

/* Parses args and matches the standard message: 1, 0, or -1 (parse
 * error), -2 (match error). */
static int
run(const struct imap_arg *args, size_t count, bool *loaded_r)
{
	struct arena *arena = arena_new("test", 0);
	struct imap_search *search;
	struct imap_search_message m;
	const char *error;
	int r;

	init_message(&m);
	load_count = 0;
	if (imap_search_parse(arena, args, count, &search, &error) < 0) {
		arena_free(&arena);
		return -1;
	}
	r = imap_search_match(search, &m, arena, &error);
	if (loaded_r != NULL)
		*loaded_r = load_count > 0;
	arena_free(&arena);
	return r < 0 ? -2 : r;
}

#define RUN(...) \
	({ static const struct imap_arg args_[] = { __VA_ARGS__ }; \
	    run(args_, ARRAY_LENGTH(args_), NULL); })

static void
test_imap_search_flags_stay_lazy(void)
{
	static const struct imap_arg args[] = {
		ATOM("SEEN"), ATOM("FLAGGED"), ATOM("UNDELETED"),
		ATOM("KEYWORD"), ATOM("$important"), ATOM("LARGER"),
		ATOM("4999"), ATOM("SMALLER"), ATOM("5001"), ATOM("OLD"),
	};
	bool loaded = true;

	test_assert_int(run(args, ARRAY_LENGTH(args), &loaded), 1);
	test_assert(!loaded);
	test_assert_int(RUN(ATOM("UNSEEN")), 0);
	test_assert_int(RUN(ATOM("ANSWERED")), 0);
	test_assert_int(RUN(ATOM("UNANSWERED")), 1);
	test_assert_int(RUN(ATOM("DRAFT")), 0);
	test_assert_int(RUN(ATOM("UNDRAFT")), 1);
	test_assert_int(RUN(ATOM("DELETED")), 0);
	test_assert_int(RUN(ATOM("UNFLAGGED")), 0);
	test_assert_int(RUN(ATOM("RECENT")), 0);
	test_assert_int(RUN(ATOM("NEW")), 0);
	test_assert_int(RUN(ATOM("UNKEYWORD"), ATOM("$Junk")), 1);
	test_assert_int(RUN(ATOM("all")), 1);
	test_assert_int(RUN(ATOM("MODSEQ"), ATOM("77")), 1);
	test_assert_int(RUN(ATOM("MODSEQ"), ATOM("78")), 0);
	test_assert_int(RUN(ATOM("MODSEQ"), STRING("/flags/\\Seen"),
	    ATOM("all"), ATOM("70")), 1);
}

static void
test_imap_search_sets_and_logic(void)
{
	static struct imap_arg group[] = { ATOM("UNSEEN"),
		ATOM("ALL") };
	static struct imap_arg nested[] = { ATOM("SEEN"),
		ATOM("2:4") };

	test_assert_int(RUN(ATOM("1:2,3")), 1);
	test_assert_int(RUN(ATOM("4:*")), 0);
	test_assert_int(RUN(ATOM("*:3")), 1);
	test_assert_int(RUN(ATOM("UID"), ATOM("100:105")), 1);
	test_assert_int(RUN(ATOM("UID"), ATOM("*")), 0);
	test_assert_int(RUN(ATOM("NOT"), ATOM("3")), 0);
	test_assert_int(RUN(ATOM("OR"), LIST(group), ATOM("DELETED")), 0);
	test_assert_int(RUN(ATOM("OR"), ATOM("DELETED"), LIST(nested)), 1);
	test_assert_int(RUN(ATOM("NOT"), ATOM("NOT"), ATOM("SEEN")), 1);
	/* Sets are valid search keys; malformed ones are refused. */
	test_assert(RUN(ATOM("1,2:5,7:*")) >= 0);
	test_assert_int(RUN(ATOM("0")), -1);
	test_assert_int(RUN(ATOM("1,")), -1);
	test_assert_int(RUN(ATOM("1::2")), -1);
}

static void
test_imap_search_dates(void)
{
	/* Internal date is 8-Feb-1994 (UTC); the Date: header says
	 * 7-Feb-1994 in its own zone although that is 8-Feb in UTC. */
	test_assert_int(RUN(ATOM("ON"), ATOM("8-Feb-1994")), 1);
	test_assert_int(RUN(ATOM("BEFORE"), ATOM("8-Feb-1994")), 0);
	test_assert_int(RUN(ATOM("SINCE"), STRING("8-Feb-1994")), 1);
	test_assert_int(RUN(ATOM("SINCE"), ATOM("9-feb-1994")), 0);
	test_assert_int(RUN(ATOM("SENTON"), ATOM("7-Feb-1994")), 1);
	test_assert_int(RUN(ATOM("SENTBEFORE"), ATOM("8-Feb-1994")), 1);
	test_assert_int(RUN(ATOM("SENTSINCE"), ATOM("8-Feb-1994")), 0);
	test_assert_int(RUN(ATOM("ON"), ATOM("32-Feb-1994")), -1);
	test_assert_int(RUN(ATOM("ON"), ATOM("1-Foo-1994")), -1);
	test_assert_int(RUN(ATOM("ON"), ATOM("1-Feb-94")), -1);
}

static void
test_imap_search_strings(void)
{
	/* Header values are RFC 2047 decoded; matching ignores case,
	 * Latin-1 letters included. */
	test_assert_int(RUN(ATOM("FROM"), STRING("ANDR\xc3\x89")), 1);
	test_assert_int(RUN(ATOM("SUBJECT"), ATOM("report")), 1);
	test_assert_int(RUN(ATOM("TO"), STRING("bob@")), 1);
	test_assert_int(RUN(ATOM("CC"), STRING("")), 0);
	test_assert_int(RUN(ATOM("HEADER"), ATOM("x-tag"), STRING("")), 1);
	test_assert_int(RUN(ATOM("HEADER"), ATOM("X-Tag"), ATOM("BLUE")), 1);
	test_assert_int(RUN(ATOM("HEADER"), ATOM("X-Tag"), ATOM("red")), 0);
	/* Bodies are decoded (QP with UTF-8, base64). */
	test_assert_int(RUN(ATOM("BODY"), STRING("\xc3\xa9uro")), 1);
	test_assert_int(RUN(ATOM("BODY"), ATOM("SECRET")), 1);
	test_assert_int(RUN(ATOM("BODY"), ATOM("quarterly")), 0);
	test_assert_int(RUN(ATOM("TEXT"), ATOM("quarterly")), 1);
	test_assert_int(RUN(ATOM("TEXT"), ATOM("word")), 1);
	test_assert_int(RUN(ATOM("TEXT"), ATOM("absent")), 0);
	test_assert_int(RUN(ATOM("CHARSET"), ATOM("utf-8"), ATOM("BODY"),
	    ATOM("total")), 1);
}

static void
test_imap_search_errors(void)
{
	static struct imap_arg empty[1] = { ATOM("X") };
	static const struct imap_arg charset[] = { ATOM("CHARSET"),
		ATOM("KOI8-R"), ATOM("ALL") };
	struct arena *arena = arena_new("test", 0);
	struct imap_search *search;
	struct imap_search_message m;
	const char *error;
	static const struct imap_arg body[] = { ATOM("BODY"), ATOM("x") };

	test_assert_int(imap_search_parse(arena, charset, 3, &search, &error),
	    -1);
	test_assert(strncmp(error, "[BADCHARSET (UTF-8 US-ASCII)]", 29) == 0);
	test_assert_int(imap_search_parse(arena, empty, 0, &search, &error),
	    -1);
	test_assert_int(RUN(ATOM("BOGUS")), -1);
	test_assert_int(RUN(ATOM("FROM")), -1);
	test_assert_int(RUN(ATOM("OR"), ATOM("SEEN")), -1);
	test_assert_int(RUN(ATOM("LARGER"), ATOM("x1")), -1);
	test_assert_int(RUN(ATOM("UID"), ATOM("1:")), -1);
	test_assert_int(RUN(ATOM("KEYWORD"), LIST(empty)), -1);

	/* A failing load is reported, not taken as no match. */
	test_require(imap_search_parse(arena, body, 2, &search, &error) == 0);
	test_assert(search->needs_message);
	init_message(&m);
	m.load = load_fails;
	test_assert_int(imap_search_match(search, &m, arena, &error), -1);
	test_assert_string(error, "gone");
	arena_free(&arena);
}

static void
test_imap_search_depth_capped(void)
{
	struct imap_arg args[IMAP_SEARCH_MAX_DEPTH + 2];
	struct arena *arena = arena_new("test", 0);
	struct imap_search *search;
	const char *error;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(args) - 1; i++)
		args[i] = (struct imap_arg)ATOM("NOT");
	args[i] = (struct imap_arg)ATOM("SEEN");
	test_assert_int(imap_search_parse(arena, args, ARRAY_LENGTH(args),
	    &search, &error), -1);
	test_assert_int(imap_search_parse(arena, args + 4,
	    ARRAY_LENGTH(args) - 4, &search, &error), 0);
	arena_free(&arena);
}

static const unsigned char *big_data;
static size_t big_length;

static int
load_big(void *context, const unsigned char **data_r, size_t *length_r,
    const char **error_r)
{
	(void)context;
	(void)error_r;
	*data_r = big_data;
	*length_r = big_length;
	return 0;
}

/* A message past the caps: text early in it is found, text past the
 * first IMAP_SEARCH_MAX_BODY_TEXT bytes is not looked at. */
static void
test_imap_search_big_message_bounded(void)
{
	static const char head[] = "Subject: big\r\n\r\nearly bird\r\n";
	static struct imap_arg early[] = { ATOM("BODY"), ATOM("BIRD") };
	static struct imap_arg late[] = { ATOM("BODY"), ATOM("late") };
	struct arena *arena = arena_new("test", 0);
	struct imap_search *search;
	struct imap_search_message m;
	const char *error;
	unsigned char *data;
	size_t length = 10u * 1024 * 1024, i;

	data = malloc(length);
	test_require(data != NULL);
	memcpy(data, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < length; i++)
		data[i] = (i % 64) == 63 ? '\n' : 'a';
	memcpy(data + length - 6, "late\r\n", 6);
	big_data = data;
	big_length = length;

	test_require(imap_search_parse(arena, early, 2, &search, &error) == 0);
	init_message(&m);
	m.load = load_big;
	test_assert_int(imap_search_match(search, &m, arena, &error), 1);
	test_require(imap_search_parse(arena, late, 2, &search, &error) == 0);
	init_message(&m);
	m.load = load_big;
	test_assert_int(imap_search_match(search, &m, arena, &error), 0);
	arena_free(&arena);
	free(data);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_search_flags_stay_lazy),
		TEST_CASE(test_imap_search_sets_and_logic),
		TEST_CASE(test_imap_search_dates),
		TEST_CASE(test_imap_search_strings),
		TEST_CASE(test_imap_search_errors),
		TEST_CASE(test_imap_search_depth_capped),
		TEST_CASE(test_imap_search_big_message_bounded),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
