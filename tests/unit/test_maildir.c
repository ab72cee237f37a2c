/* test_maildir.c: unit tests for mailstore/maildir. */
#include "mailstore/maildir.h"
#include "lib/durable_file.h"
#include "tests/unit/harness.h"

#include <dirent.h>
#include <sys/stat.h>

/* Makes a fresh Maildir named name in the scratch directory. */
static const char *
new_maildir(const char *name, char *dst, size_t size)
{
	const char *error = NULL;

	snprintf(dst, size, "%s/%s/Maildir", test_temp_dir(), name);
	if (maildir_create(dst, &error) < 0)
		test_fail(__FILE__, __LINE__, "maildir_create: %s", error);
	return dst;
}

static bool
file_has(const char *path, const char *content)
{
	unsigned char *data;
	size_t length;
	const char *error;
	bool equal;

	if (durable_file_read_whole(path, 1 << 20, &data, &length,
	    &error) < 0)
		return false;
	equal = length == strlen(content) &&
	    memcmp(data, content, length) == 0;
	free(data);
	return equal;
}

static size_t
count_entries(const char *maildir, const char *sub)
{
	char path[1024];
	struct dirent *entry;
	size_t count = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", maildir, sub);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.')
			count++;
	}
	closedir(dir);
	return count;
}

static void
put_file(const char *maildir, const char *sub, const char *name,
    const char *content)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", maildir, sub, name);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(content, f);
	fclose(f);
}

static void
test_maildir_create(void)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char maildir[512], path[1024];
	const char *error;
	struct stat st;
	size_t i;

	new_maildir("create/deep", maildir, sizeof(maildir));
	for (i = 0; i < ARRAY_LENGTH(subs); i++) {
		snprintf(path, sizeof(path), "%s/%s", maildir, subs[i]);
		test_require(stat(path, &st) == 0);
		test_assert(S_ISDIR(st.st_mode));
		test_assert_int(st.st_mode & 0777, 0700);
	}
	test_assert_int(maildir_create(maildir, &error), 0);
}

static void
test_maildir_deliver_exact_bytes(void)
{
	static const char *const pieces[] = { "Subject: x\n", "", "\nbody\n" };
	struct iovec parts[3];
	char maildir[512], path[1024];
	const char *error = NULL;
	struct stat st;
	size_t i;

	new_maildir("exact", maildir, sizeof(maildir));
	for (i = 0; i < 3; i++) {
		parts[i].iov_base = (void *)(uintptr_t)pieces[i];
		parts[i].iov_len = strlen(pieces[i]);
	}
	test_assert_int(maildir_deliver(maildir, "100.M1P2.host,S=18", parts,
	    3, false, &error), 1);
	snprintf(path, sizeof(path), "%s/new/100.M1P2.host,S=18", maildir);
	test_assert(file_has(path, "Subject: x\n\nbody\n"));
	test_require(stat(path, &st) == 0);
	test_assert_int(st.st_mode & 0777, 0600);
	test_assert_int(count_entries(maildir, "tmp"), 0);
	test_assert_int(count_entries(maildir, "new"), 1);
}

static void
test_maildir_duplicate_base_name(void)
{
	struct iovec part;
	char maildir[512], path[1024];
	const char *error = NULL;

	new_maildir("duplicate", maildir, sizeof(maildir));
	part.iov_base = (void *)(uintptr_t)"first\n";
	part.iov_len = 6;
	test_assert_int(maildir_deliver(maildir, "m1", &part, 1, false,
	    &error), 1);
	part.iov_base = (void *)(uintptr_t)"second\n";
	part.iov_len = 7;
	test_assert_int(maildir_deliver(maildir, "m1", &part, 1, false,
	    &error), 0);
	test_assert_int(maildir_deliver(maildir, "m1", &part, 1, true,
	    &error), 0);
	snprintf(path, sizeof(path), "%s/new/m1", maildir);
	test_assert(file_has(path, "first\n"));
	test_assert_int(count_entries(maildir, "tmp"), 0);
	test_assert_int(count_entries(maildir, "new"), 1);
}

static void
test_maildir_check_existing_looks_in_cur(void)
{
	struct iovec part;
	char maildir[512];
	const char *error = NULL;

	new_maildir("cur", maildir, sizeof(maildir));
	part.iov_base = (void *)(uintptr_t)"again\n";
	part.iov_len = 6;

	/* A reader moved it to cur/ and flagged it seen. */
	put_file(maildir, "cur", "m2:2,S", "original\n");
	test_assert_int(maildir_deliver(maildir, "m2", &part, 1, true,
	    &error), 0);
	test_assert_int(count_entries(maildir, "new"), 0);
	test_assert_int(count_entries(maildir, "tmp"), 0);

	/* Moved without an info suffix. */
	put_file(maildir, "cur", "m3", "original\n");
	test_assert_int(maildir_deliver(maildir, "m3", &part, 1, true,
	    &error), 0);

	/* Renamed by the mailbox index, with its UID. */
	put_file(maildir, "cur", "m5,U=17:2,FS", "original\n");
	test_assert_int(maildir_deliver(maildir, "m5", &part, 1, true,
	    &error), 0);

	/* A name that only starts the same is someone else's message. */
	put_file(maildir, "cur", "m4x:2,S", "other\n");
	put_file(maildir, "cur", "m4,S=9", "other\n");
	test_assert_int(maildir_deliver(maildir, "m4", &part, 1, true,
	    &error), 1);

	/* Without check_existing cur/ is not consulted. */
	test_assert_int(maildir_deliver(maildir, "m2", &part, 1, false,
	    &error), 1);
	test_assert_int(count_entries(maildir, "new"), 2);
}

static void
test_maildir_stale_tmp(void)
{
	struct iovec part;
	char maildir[512], path[1024];
	const char *error = NULL;

	new_maildir("stale", maildir, sizeof(maildir));
	part.iov_base = (void *)(uintptr_t)"complete\n";
	part.iov_len = 9;
	/* A crashed attempt's half-written tmp file (from the named way)
	 * neither blocks delivery nor leaks into new/. */
	put_file(maildir, "tmp", "m5", "half a mess");
	test_assert_int(maildir_deliver(maildir, "m5", &part, 1, false,
	    &error), 1);
	snprintf(path, sizeof(path), "%s/new/m5", maildir);
	test_assert(file_has(path, "complete\n"));
	test_assert_int(maildir_deliver(maildir, "m5", &part, 1, true,
	    &error), 0);
	test_assert(file_has(path, "complete\n"));
}

static void
test_maildir_invalid_base_names(void)
{
	static const char *const names[] = { "", ".hidden", "a/b", "a:2,S" };
	struct iovec part;
	char maildir[512];
	const char *error;
	size_t i;

	new_maildir("invalid", maildir, sizeof(maildir));
	part.iov_base = (void *)(uintptr_t)"x";
	part.iov_len = 1;
	for (i = 0; i < ARRAY_LENGTH(names); i++) {
		error = NULL;
		test_assert_int(maildir_deliver(maildir, names[i], &part, 1,
		    true, &error), -1);
		test_assert(error != NULL);
	}
	test_assert_int(count_entries(maildir, "new"), 0);
	test_assert_int(maildir_deliver("/nonexistent/Maildir", "m", &part, 1,
	    false, &error), -1);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_maildir_create),
		TEST_CASE(test_maildir_deliver_exact_bytes),
		TEST_CASE(test_maildir_duplicate_base_name),
		TEST_CASE(test_maildir_check_existing_looks_in_cur),
		TEST_CASE(test_maildir_stale_tmp),
		TEST_CASE(test_maildir_invalid_base_names),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
