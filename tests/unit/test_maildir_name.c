/* test_maildir_name.c: unit tests for mailstore/maildir_name. */
#include "mailstore/maildir_name.h"
#include "mailstore/mailbox_index.h"
#include "tests/unit/harness.h"

static void
test_parse_cases(void)
{
	static const struct {
		const char *name;
		int ret;
		const char *key, *base, *extra;
		uint32_t uid;
		unsigned flags;
	} cases[] = {
		{ "1.M1P2.host,S=12", 1, "1.M1P2.host,S=12",
		  "1.M1P2.host,S=12", "", 0, 0 },
		{ "1.M1P2.host,S=12,U=7:2,FS", 1, "1.M1P2.host,S=12,U=7",
		  "1.M1P2.host,S=12", "", 7, MAILBOX_FLAG_FLAGGED |
		  MAILBOX_FLAG_SEEN },
		{ "1.h,U=7,W=30:2,DRTab", 1, "1.h,U=7,W=30", "1.h,W=30",
		  "ab", 7, MAILBOX_FLAG_DRAFT | MAILBOX_FLAG_ANSWERED |
		  MAILBOX_FLAG_DELETED },
		{ "1.h,U=0:2,", 1, "1.h,U=0", "1.h,U=0", "", 0, 0 },
		{ "1.h,U=99999999999:2,S", 1, "1.h,U=99999999999",
		  "1.h,U=99999999999", "", 0, MAILBOX_FLAG_SEEN },
		{ "1.h,U=5x:2,S", 1, "1.h,U=5x", "1.h,U=5x", "", 0,
		  MAILBOX_FLAG_SEEN },
		{ "1.h:1,S", 1, "1.h", "1.h", "", 0, 0 },
		{ ".hidden", 0, NULL, NULL, NULL, 0, 0 },
		{ "", 0, NULL, NULL, NULL, 0, 0 },
		{ ":2,S", 0, NULL, NULL, NULL, 0, 0 },
	};
	struct maildir_name parsed;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		test_assert_int(maildir_name_parse(cases[i].name, &parsed),
		    cases[i].ret);
		if (cases[i].ret != 1)
			continue;
		test_assert_string(parsed.key, cases[i].key);
		test_assert_string(parsed.base, cases[i].base);
		test_assert_string(parsed.extra, cases[i].extra);
		test_assert_int(parsed.uid, cases[i].uid);
		test_assert_int(parsed.flags, cases[i].flags);
	}
}

static void
test_parse_too_long(void)
{
	char name[300];
	struct maildir_name parsed;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	test_assert_int(maildir_name_parse(name, &parsed), 0);
	name[255] = '\0';
	test_assert_int(maildir_name_parse(name, &parsed), 1);
}

static void
test_format(void)
{
	char name[256], base[260];

	test_assert_int(maildir_name_format(name, sizeof(name), "1.h,S=3",
	    12, MAILBOX_FLAG_SEEN | MAILBOX_FLAG_DRAFT |
	    MAILBOX_FLAG_FLAGGED, "ba"), 0);
	test_assert_string(name, "1.h,S=3,U=12:2,DFSab");
	test_assert_int(maildir_name_format(name, sizeof(name), "x", 1,
	    MAILBOX_FLAG_DELETED | MAILBOX_FLAG_ANSWERED, NULL), 0);
	test_assert_string(name, "x,U=1:2,RT");
	test_assert_int(maildir_name_format(name, sizeof(name), "x", 0, 0,
	    ""), 0);
	test_assert_string(name, "x:2,");
	memset(base, 'b', 250);
	base[250] = '\0';
	test_assert_int(maildir_name_format(name, sizeof(name), base, 1, 0,
	    NULL), -1);
	test_assert_int(errno, ENAMETOOLONG);
	test_assert_int(maildir_name_flag_bit('S'), MAILBOX_FLAG_SEEN);
	test_assert_int(maildir_name_flag_bit('a'), 0);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_parse_cases),
		TEST_CASE(test_parse_too_long),
		TEST_CASE(test_format),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
