/* test_imap_utf7.c: modified UTF-7 mailbox names both ways, and the
 * strictness RFC 3501 asks of decoders. */
#include "mailstore/imap_utf7.h"
#include "tests/unit/harness.h"

static const struct {
	const char *utf8;
	const char *utf7;
} imap_utf7_pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "Tom & Jerry", "Tom &- Jerry" },
	{ "&&", "&-&-" },
	{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
	/* RFC 3501 5.1.3's example. */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	/* Outside the BMP: a surrogate pair in one run. */
	{ "smile \xf0\x9f\x98\x80", "smile &2D3eAA-" },
	{ "\xc3\x84\xe6\x97\xa5", "&AMRl5Q-" },
	/* Controls are encoded too. */
	{ "a\tb", "a&AAk-b" },
};

static void
test_imap_utf7_round_trips(void)
{
	struct arena *arena = arena_new("test", 0);
	const char *got;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(imap_utf7_pairs); i++) {
		got = imap_utf7_encode(imap_utf7_pairs[i].utf8, arena);
		test_assert_string(got, imap_utf7_pairs[i].utf7);
		got = imap_utf7_decode(imap_utf7_pairs[i].utf7, arena);
		test_assert_string(got, imap_utf7_pairs[i].utf8);
	}
	arena_free(&arena);
}

static void
test_imap_utf7_refuses_bad_input(void)
{
	static const char *const bad_utf7[] = {
		"&", "&U,BTFw", "&-&", "caf\xc3\xa9", "a\tb",
		"&AGE-",        /* "a" encoded */
		"&APw-&APw-",   /* two adjacent runs */
		"&2D0-",        /* lone high surrogate */
		"&3gA-",        /* lone low surrogate */
		"&APx-",        /* non-zero padding bits */
		"&A-",          /* too short for a unit */
		"&AP/-",        /* '/' is not in the alphabet */
	};
	static const char *const bad_utf8[] = {
		"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
	};
	struct arena *arena = arena_new("test", 0);
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(bad_utf7); i++)
		if (imap_utf7_decode(bad_utf7[i], arena) != NULL)
			test_fail(__FILE__, __LINE__, "decoded \"%s\"",
			    bad_utf7[i]);
	for (i = 0; i < ARRAY_LENGTH(bad_utf8); i++)
		test_assert(imap_utf7_encode(bad_utf8[i], arena) == NULL);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_imap_utf7_round_trips),
		TEST_CASE(test_imap_utf7_refuses_bad_input),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
