/* test_durable_file.c: unit tests for lib/durable_file. */
#include "lib/durable_file.h"
#include "tests/unit/harness.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *
path_in_temp(char *dst, size_t size, const char *name)
{
	snprintf(dst, size, "%s/%s", test_temp_dir(), name);
	return dst;
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Writes content to path directly (not durably) for test setup. */
static void
put_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	fputs(content, f);
	fclose(f);
}

/* True when path holds exactly the given bytes. */
static bool
file_equals(const char *path, const void *data, size_t length)
{
	unsigned char *content;
	size_t content_length;
	const char *error;
	bool equal;

	if (durable_file_read_whole(path, 1 << 20, &content, &content_length,
	    &error) < 0)
		return false;
	equal = content_length == length && memcmp(content, data, length) == 0;
	free(content);
	return equal;
}

static void
test_durable_file_create_is_exclusive(void)
{
	char tmp[512];
	struct durable_file *file = NULL;
	const char *error = NULL;

	path_in_temp(tmp, sizeof(tmp), "exclusive.tmp");
	put_file(tmp, "old");
	test_assert_int(durable_file_create(tmp, &file, &error), -1);
	test_assert_int(errno, EEXIST);
	test_assert(file == NULL);
	test_assert(error != NULL && strstr(error, "exclusive.tmp") != NULL);
	test_assert(file_equals(tmp, "old", 3));
	unlink(tmp);
}

static void
test_durable_file_create_refuses_symlink(void)
{
	char tmp[512], target[512];
	struct durable_file *file = NULL;
	const char *error;

	path_in_temp(tmp, sizeof(tmp), "link.tmp");
	path_in_temp(target, sizeof(target), "link-target");
	test_require(symlink(target, tmp) == 0);
	test_assert_int(durable_file_create(tmp, &file, &error), -1);
	test_assert(!file_exists(target));
	unlink(tmp);
}

static void
test_durable_file_commit_exact_content(void)
{
	char tmp[512], final[512], expected[4096];
	struct iovec iov[600];
	struct durable_file *file;
	const char *error = NULL;
	struct stat st;
	size_t i, length = 0;

	path_in_temp(tmp, sizeof(tmp), "commit.tmp");
	path_in_temp(final, sizeof(final), "commit.final");
	test_require(durable_file_create(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "head:", 5, &error), 0);
	memcpy(expected, "head:", 5);
	length = 5;
	/* More iovecs than one writev batch, some of them empty. */
	for (i = 0; i < ARRAY_LENGTH(iov); i++) {
		iov[i].iov_base = (void *)(uintptr_t)("abcdefg" + i % 7);
		iov[i].iov_len = i % 3 == 0 ? 0 : 7 - i % 7;
		memcpy(expected + length, iov[i].iov_base, iov[i].iov_len);
		length += iov[i].iov_len;
	}
	test_assert_int(durable_file_writev(file, iov, ARRAY_LENGTH(iov),
	    &error), 0);
	test_assert_int(durable_file_write(file, "", 0, &error), 0);
	test_assert_int(durable_file_size(file), length);
	test_assert(!file_exists(final));
	test_assert_int(durable_file_commit(&file, final, &error), 0);
	test_assert(file == NULL);
	test_assert(file_equals(final, expected, length));
	test_assert(!file_exists(tmp));
	test_require(stat(final, &st) == 0);
	test_assert_int(st.st_mode & 0777, 0600);
}

static void
test_durable_file_abort_removes_tmp(void)
{
	char tmp[512];
	struct durable_file *file;
	const char *error;

	path_in_temp(tmp, sizeof(tmp), "abort.tmp");
	test_require(durable_file_create(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "x", 1, &error), 0);
	test_assert(file_exists(tmp));
	durable_file_abort(&file);
	test_assert(file == NULL);
	test_assert(!file_exists(tmp));
	durable_file_abort(&file);
}

static void
test_durable_file_commit_exclusive(void)
{
	char tmp[512], final[512];
	struct durable_file *file;
	const char *error;

	path_in_temp(tmp, sizeof(tmp), "exclusive2.tmp");
	path_in_temp(final, sizeof(final), "exclusive2.final");

	/* A new final name: committed (1), tmp gone. */
	test_require(durable_file_create(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "first", 5, &error), 0);
	test_assert_int(durable_file_commit_exclusive(&file, final, &error),
	    1);
	test_assert(file == NULL);
	test_assert(file_equals(final, "first", 5));
	test_assert(!file_exists(tmp));

	/* The final name exists: 0, original untouched, tmp gone. */
	test_require(durable_file_create(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "second", 6, &error), 0);
	test_assert_int(durable_file_commit_exclusive(&file, final, &error),
	    0);
	test_assert(file == NULL);
	test_assert(file_equals(final, "first", 5));
	test_assert(!file_exists(tmp));
}

static void
test_durable_file_unnamed(void)
{
	char tmp[512], final[512];
	struct durable_file *file;
	const char *error;

	path_in_temp(tmp, sizeof(tmp), "unnamed.tmp");
	path_in_temp(final, sizeof(final), "unnamed.final");

	/* No name appears until the commit; then exactly the bytes. */
	test_require(durable_file_create_unnamed(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "first", 5, &error), 0);
	test_assert(!file_exists(tmp));
	test_assert_int(durable_file_commit_exclusive(&file, final, &error),
	    1);
	test_assert(file_equals(final, "first", 5));
	test_assert(!file_exists(tmp));

	/* Taken final name: 0 and the original stays. */
	test_require(durable_file_create_unnamed(tmp, &file, &error) == 0);
	test_assert_int(durable_file_write(file, "second", 6, &error), 0);
	test_assert_int(durable_file_commit_exclusive(&file, final, &error),
	    0);
	test_assert(file_equals(final, "first", 5));

	/* Abort leaves nothing, and never touches a file named tmp. */
	put_file(tmp, "someone else's");
	test_require(durable_file_create_unnamed(tmp, &file, &error) == 0);
	durable_file_abort(&file);
	test_assert(file == NULL);
	test_assert(file_equals(tmp, "someone else's", 14));
}

/* A reused file is rewritten from its start and cut to the new length
 * at commit; a file with a second name is refused. */
static void
test_durable_file_reuse(void)
{
	char old_path[512], final_path[512], extra[512];
	struct durable_file *file;
	const char *error;

	path_in_temp(old_path, sizeof(old_path), "reuse-old");
	path_in_temp(final_path, sizeof(final_path), "reuse-final");
	path_in_temp(extra, sizeof(extra), "reuse-extra");
	put_file(old_path, "0123456789 old contents");
	test_require(durable_file_reuse(old_path, &file, &error) == 0);
	test_require(durable_file_write(file, "new", 3, &error) == 0);
	test_require(durable_file_commit(&file, final_path, &error) == 0);
	test_assert(!file_exists(old_path));
	test_assert(file_equals(final_path, "new", 3));

	test_require(link(final_path, extra) == 0);
	test_assert_int(durable_file_reuse(final_path, &file, &error), -1);
	test_assert_int(errno, ESTALE);
	test_assert(file_equals(final_path, "new", 3));
	path_in_temp(extra, sizeof(extra), "reuse-missing");
	test_assert_int(durable_file_reuse(extra, &file, &error), -1);
	test_assert_int(errno, ENOENT);
}

static void
test_durable_file_write_whole_replaces(void)
{
	char tmp[512], final[512];
	const char *error;

	path_in_temp(tmp, sizeof(tmp), "whole.tmp");
	path_in_temp(final, sizeof(final), "whole");
	put_file(final, "previous content");
	test_assert_int(durable_file_write_whole(tmp, final, "new", 3, &error),
	    0);
	test_assert(file_equals(final, "new", 3));
	test_assert(!file_exists(tmp));

	/* A leftover tmp makes it fail and leaves final alone. */
	put_file(tmp, "stale");
	test_assert_int(durable_file_write_whole(tmp, final, "z", 1, &error),
	    -1);
	test_assert(file_equals(final, "new", 3));
	unlink(tmp);
}

static void
test_durable_file_read_whole_limit(void)
{
	char path[512], tmp[512], content[100];
	unsigned char *data = NULL;
	size_t length = 0;
	const char *error = NULL;

	path_in_temp(path, sizeof(path), "read");
	memset(content, 'r', sizeof(content));
	path_in_temp(tmp, sizeof(tmp), "read.tmp");
	test_require(durable_file_write_whole(tmp, path, content,
	    sizeof(content), &error) == 0);

	test_assert_int(durable_file_read_whole(path, 100, &data, &length,
	    &error), 0);
	test_assert_int(length, 100);
	test_assert(data != NULL && memcmp(data, content, 100) == 0);
	test_assert(data != NULL && data[100] == '\0');
	free(data);

	data = NULL;
	test_assert_int(durable_file_read_whole(path, 99, &data, &length,
	    &error), -1);
	test_assert(data == NULL);
	test_assert(strstr(error, "too large") != NULL);

	test_assert_int(durable_file_read_whole(test_temp_dir(), 100, &data,
	    &length, &error), -1);
	path_in_temp(path, sizeof(path), "no-such-file");
	test_assert_int(durable_file_read_whole(path, 100, &data, &length,
	    &error), -1);
	test_assert(strstr(error, "no-such-file") != NULL);

	/* An empty file reads as "" (and still gets its NUL). */
	path_in_temp(path, sizeof(path), "empty");
	put_file(path, "");
	test_assert_int(durable_file_read_whole(path, 0, &data, &length,
	    &error), 0);
	test_assert_int(length, 0);
	test_assert(data != NULL && data[0] == '\0');
	free(data);
}

static void
test_durable_mkdir_all(void)
{
	char path[512], file_path[512];
	const char *error;
	struct stat st;

	path_in_temp(path, sizeof(path), "m1//m2/m3/");
	test_assert_int(durable_mkdir_all(path, 0700, &error), 0);
	test_require(stat(path, &st) == 0);
	test_assert(S_ISDIR(st.st_mode));
	test_assert_int(st.st_mode & 0077, 0);
	/* Existing: fine, and a sibling under an existing parent too. */
	test_assert_int(durable_mkdir_all(path, 0700, &error), 0);
	path_in_temp(path, sizeof(path), "m1/m2/other");
	test_assert_int(durable_mkdir_all(path, 0700, &error), 0);
	test_assert(file_exists(path));

	/* A file in the way is ENOTDIR. */
	path_in_temp(file_path, sizeof(file_path), "m1/plain");
	put_file(file_path, "x");
	test_assert_int(durable_mkdir_all(file_path, 0700, &error), -1);
	path_in_temp(path, sizeof(path), "m1/plain/below");
	test_assert_int(durable_mkdir_all(path, 0700, &error), -1);
	test_assert(strstr(error, "plain") != NULL);
	test_assert_int(durable_mkdir_all("", 0700, &error), -1);
}

static void
test_durable_unlink(void)
{
	char path[512];
	const char *error;

	path_in_temp(path, sizeof(path), "to-unlink");
	put_file(path, "x");
	test_assert_int(durable_unlink(path, &error), 0);
	test_assert(!file_exists(path));
	test_assert_int(durable_unlink(path, &error), 0);
	test_assert_int(durable_directory_sync(test_temp_dir(), &error), 0);
	test_assert_int(durable_directory_sync(path, &error), -1);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_durable_file_create_is_exclusive),
		TEST_CASE(test_durable_file_create_refuses_symlink),
		TEST_CASE(test_durable_file_commit_exact_content),
		TEST_CASE(test_durable_file_abort_removes_tmp),
		TEST_CASE(test_durable_file_commit_exclusive),
		TEST_CASE(test_durable_file_unnamed),
		TEST_CASE(test_durable_file_reuse),
		TEST_CASE(test_durable_file_write_whole_replaces),
		TEST_CASE(test_durable_file_read_whole_limit),
		TEST_CASE(test_durable_mkdir_all),
		TEST_CASE(test_durable_unlink),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
