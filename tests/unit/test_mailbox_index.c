/* test_mailbox_index.c: unit tests for mailstore/mailbox_index. */
#include "mailstore/mailbox_index.h"
#include "lib/arena.h"
#include "lib/durable_file.h"
#include "tests/unit/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *
new_maildir(const char *name, char *dst, size_t size)
{
	snprintf(dst, size, "%s/%s/Maildir", test_temp_dir(), name);
	return dst;
}

static struct mailbox_index *
open_index(const char *path)
{
	struct mailbox_index *index = NULL;
	const char *error = NULL;

	if (mailbox_index_open(path, &index, &error) < 0)
		test_fail(__FILE__, __LINE__, "open: %s", error);
	return index;
}

static uint32_t
append(struct mailbox_index *index, const char *folder, const char *text,
    unsigned flags, const char *keywords)
{
	uint32_t uid = 0, uidvalidity = 0;
	const char *error = NULL;

	if (mailbox_index_append(index, folder, (const unsigned char *)text,
	    strlen(text), flags, keywords, 0, &uid, &uidvalidity,
	    &error) < 0)
		test_fail(__FILE__, __LINE__, "append: %s", error);
	return uid;
}

static void
put_file(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL) {
		test_fail(__FILE__, __LINE__, "fopen %s", path);
		return;
	}
	fputs(content, fp);
	fclose(fp);
}

/* The one name in dir starting with prefix, into dst. */
static bool
find_name(const char *dir, const char *prefix, char *dst, size_t size)
{
	struct dirent *entry;
	bool found = false;
	DIR *d = opendir(dir);

	if (d == NULL)
		return false;
	while ((entry = readdir(d)) != NULL) {
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(dst, size, "%s", entry->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static size_t
count_files(const char *dir)
{
	struct dirent *entry;
	size_t count = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((entry = readdir(d)) != NULL)
		count += entry->d_name[0] != '.';
	closedir(d);
	return count;
}

static bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
test_open_creates_defaults(void)
{
	struct mailbox_index *index;
	struct mailbox_index_folder *folders;
	struct arena *arena = arena_new("test", 0);
	const char *error;
	char maildir[PATH_MAX], path[PATH_MAX + 64];
	size_t count;

	new_maildir("defaults", maildir, sizeof(maildir));
	index = open_index(maildir);
	test_require(index != NULL);
	snprintf(path, sizeof(path), "%s/cur", maildir);
	test_assert(is_directory(path));
	snprintf(path, sizeof(path), "%s/.Trash/new", maildir);
	test_assert(is_directory(path));
	snprintf(path, sizeof(path), "%s/sluice-index.db", maildir);
	test_assert(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/.Sent/sluice-uidvalidity", maildir);
	test_assert(access(path, F_OK) == 0);
	test_require(mailbox_index_list(index, arena, &folders, &count,
	    &error) == 0);
	test_require(count == 5);
	test_assert_string(folders[0].name, "INBOX");
	test_assert_string(folders[1].name, "Drafts");
	test_assert_int(folders[1].special_use, MAILBOX_SPECIAL_DRAFTS);
	test_assert_string(folders[2].name, "Junk");
	test_assert_int(folders[2].special_use, MAILBOX_SPECIAL_JUNK);
	test_assert_string(folders[3].name, "Sent");
	test_assert_string(folders[4].name, "Trash");
	test_assert_int(folders[4].special_use, MAILBOX_SPECIAL_TRASH);
	test_assert(folders[4].subscribed);
	test_assert(!folders[4].has_children);
	mailbox_index_close(&index);
	test_assert(index == NULL);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_append_changes_crlf(void)
{
	struct mailbox_index *index;
	struct mailbox_changes changes;
	struct mailbox_status status;
	struct arena *arena = arena_new("test", 0);
	const char *error, *text = "Subject: a\r\n\r\nbody\rx\ny\r\n";
	char maildir[PATH_MAX], buffer[64];
	uint32_t uid, uidvalidity, uid2;
	ssize_t n;
	int fd;

	index = open_index(new_maildir("append", maildir, sizeof(maildir)));
	test_require(index != NULL);
	test_require(mailbox_index_append(index, "inbox",
	    (const unsigned char *)text, strlen(text),
	    MAILBOX_FLAG_SEEN | MAILBOX_FLAG_FLAGGED, "$Junk alpha", 1700000000,
	    &uid, &uidvalidity, &error) == 0);
	test_assert_int(uid, 1);
	test_assert(uidvalidity != 0);
	uid2 = append(index, "INBOX", "second\n", 0, NULL);
	test_assert_int(uid2, 2);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	test_assert_int(changes.uidvalidity, uidvalidity);
	test_assert_int(changes.uidnext, 3);
	test_require(changes.message_count == 2);
	test_assert_int(changes.expunged_count, 0);
	test_assert_int(changes.first_recent_uid, 3);
	test_assert_int(changes.messages[0].flags,
	    MAILBOX_FLAG_SEEN | MAILBOX_FLAG_FLAGGED);
	test_assert_string(changes.messages[0].keywords, "$Junk alpha");
	/* "Subject: a\n\nbody\rx\ny\n": CR-LF pairs become LF only. */
	test_assert_int(changes.messages[0].size, strlen(text) - 3);
	/* The bare LF after "x" counts as CRLF on the wire too. */
	test_assert_int(changes.messages[0].size_crlf, strlen(text) + 1);
	test_assert_int(changes.messages[0].internal_date, 1700000000);
	test_assert(strstr(changes.messages[0].file_name, ",U=1:2,FS") !=
	    NULL);
	test_assert_int(changes.messages[1].size, 7);
	test_assert_int(changes.messages[1].size_crlf, 8);
	test_assert(changes.highest_modseq >= changes.messages[1].modseq);
	test_require(mailbox_index_open_message(index, "INBOX",
	    &changes.messages[0], &fd, &error) == 0);
	n = read(fd, buffer, sizeof(buffer));
	close(fd);
	test_assert_int(n, (ssize_t)strlen(text) - 3);
	test_assert(n > 0 && memcmp(buffer, "Subject: a\n\nbody\rx\ny\n",
	    (size_t)n) == 0);
	test_require(mailbox_index_status(index, "INBOX", &status,
	    &error) == 0);
	test_assert_int(status.messages, 2);
	test_assert_int(status.unseen, 1);
	test_assert_int(status.uidnext, 3);
	test_assert_int(status.size_crlf, strlen(text) + 1 + 8);
	/* Nothing changed since: empty. */
	test_require(mailbox_index_changes(index, "INBOX",
	    changes.highest_modseq, arena, &changes, &error) == 0);
	test_assert_int(changes.message_count, 0);
	test_assert_int(changes.expunged_count, 0);
	test_assert(mailbox_index_append(index, "NoSuch",
	    (const unsigned char *)"x", 1, 0, NULL, 0, &uid, &uidvalidity,
	    &error) < 0);
	test_assert_int(errno, ENOENT);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_store_modes(void)
{
	struct mailbox_index *index;
	struct mailbox_message *changed;
	struct arena *arena = arena_new("test", 0);
	uint32_t uids[3], *modified, u;
	size_t changed_count, modified_count;
	char maildir[PATH_MAX], cur[PATH_MAX + 8], name[300];
	const char *error;
	uint64_t modseq;

	index = open_index(new_maildir("store", maildir, sizeof(maildir)));
	test_require(index != NULL);
	uids[0] = append(index, "INBOX", "a\n", 0, NULL);
	uids[1] = append(index, "INBOX", "b\n", MAILBOX_FLAG_SEEN, "k1");
	uids[2] = append(index, "INBOX", "c\n", 0, NULL);
	snprintf(cur, sizeof(cur), "%s/cur", maildir);

	test_require(mailbox_index_store(index, "INBOX", uids, 3,
	    MAILBOX_STORE_ADD, MAILBOX_FLAG_FLAGGED, "k2", 0, arena, &changed,
	    &changed_count, &modified, &modified_count, &error) == 0);
	test_require(changed_count == 3);
	test_assert_int(changed[1].flags, MAILBOX_FLAG_SEEN |
	    MAILBOX_FLAG_FLAGGED);
	test_assert_string(changed[1].keywords, "k1 k2");
	test_assert_string(changed[0].keywords, "k2");
	test_assert(changed[2].modseq > changed[0].modseq);
	snprintf(name, sizeof(name), ",U=%u:2,FS", uids[1]);
	test_assert(strstr(changed[1].file_name, name) != NULL);
	test_assert(find_name(cur, changed[1].file_name, name, sizeof(name)));

	test_require(mailbox_index_store(index, "INBOX", uids, 3,
	    MAILBOX_STORE_REMOVE, MAILBOX_FLAG_SEEN, "k1", 0, arena, &changed,
	    &changed_count, &modified, &modified_count, &error) == 0);
	test_require(changed_count == 1); /* only b had S or k1 */
	test_assert_int(changed[0].uid, uids[1]);
	test_assert_int(changed[0].flags, MAILBOX_FLAG_FLAGGED);
	test_assert_string(changed[0].keywords, "k2");
	modseq = changed[0].modseq;

	/* CONDSTORE: b changed after modseq - 1, so it is left alone. */
	u = uids[1];
	test_require(mailbox_index_store(index, "INBOX", &u, 1,
	    MAILBOX_STORE_REPLACE, MAILBOX_FLAG_DRAFT, "", modseq - 1, arena,
	    &changed, &changed_count, &modified, &modified_count,
	    &error) == 0);
	test_assert_int(changed_count, 0);
	test_require(modified_count == 1);
	test_assert_int(modified[0], uids[1]);
	test_require(mailbox_index_store(index, "INBOX", &u, 1,
	    MAILBOX_STORE_REPLACE, MAILBOX_FLAG_DRAFT, "", modseq, arena,
	    &changed, &changed_count, &modified, &modified_count,
	    &error) == 0);
	test_require(changed_count == 1);
	test_assert_int(modified_count, 0);
	test_assert_int(changed[0].flags, MAILBOX_FLAG_DRAFT);
	test_assert_string(changed[0].keywords, "");
	test_assert(strstr(changed[0].file_name, ":2,D") != NULL);
	/* A UID that does not exist is skipped. */
	u = 99;
	test_require(mailbox_index_store(index, "INBOX", &u, 1,
	    MAILBOX_STORE_ADD, MAILBOX_FLAG_SEEN, NULL, 0, arena, &changed,
	    &changed_count, &modified, &modified_count, &error) == 0);
	test_assert_int(changed_count, 0);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_keyword_limit(void)
{
	struct mailbox_index *index;
	struct mailbox_message *changed;
	struct arena *arena = arena_new("test", 0);
	char maildir[PATH_MAX], words[1024];
	uint32_t uid, *modified;
	size_t changed_count, modified_count, used = 0;
	const char *error;
	int i;

	index = open_index(new_maildir("keywords", maildir, sizeof(maildir)));
	test_require(index != NULL);
	uid = append(index, "INBOX", "a\n", 0, NULL);
	for (i = 0; i < MAILBOX_INDEX_KEYWORDS_MAX; i++)
		used += (size_t)snprintf(words + used, sizeof(words) - used,
		    "k%d ", i);
	test_require(mailbox_index_store(index, "INBOX", &uid, 1,
	    MAILBOX_STORE_ADD, 0, words, 0, arena, &changed, &changed_count,
	    &modified, &modified_count, &error) == 0);
	test_assert(mailbox_index_store(index, "INBOX", &uid, 1,
	    MAILBOX_STORE_ADD, 0, "one-more", 0, arena, &changed,
	    &changed_count, &modified, &modified_count, &error) < 0);
	test_assert_int(errno, EDQUOT);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_expunge(void)
{
	struct mailbox_index *index;
	struct mailbox_message *changed;
	struct mailbox_changes changes;
	struct arena *arena = arena_new("test", 0);
	uint32_t uids[4], *expunged, *modified, subset[2];
	size_t changed_count, modified_count, expunged_count, i;
	char maildir[PATH_MAX], cur[PATH_MAX + 8];
	const char *error;
	uint64_t seen;

	index = open_index(new_maildir("expunge", maildir, sizeof(maildir)));
	test_require(index != NULL);
	snprintf(cur, sizeof(cur), "%s/cur", maildir);
	for (i = 0; i < 4; i++)
		uids[i] = append(index, "INBOX", "m\n", MAILBOX_FLAG_DELETED,
		    NULL);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	seen = changes.highest_modseq;
	/* UID EXPUNGE 1,3 (4 is not \Deleted-listed, 2 not asked). */
	subset[0] = uids[0];
	subset[1] = uids[2];
	test_require(mailbox_index_expunge(index, "INBOX", subset, 2, arena,
	    &expunged, &expunged_count, &error) == 0);
	test_require(expunged_count == 2);
	test_assert_int(expunged[0], uids[0]);
	test_assert_int(expunged[1], uids[2]);
	test_assert_int(count_files(cur), 2);
	/* Clear \Deleted on 4, then EXPUNGE all: only 2 goes. */
	test_require(mailbox_index_store(index, "INBOX", &uids[3], 1,
	    MAILBOX_STORE_REMOVE, MAILBOX_FLAG_DELETED, NULL, 0, arena,
	    &changed, &changed_count, &modified, &modified_count,
	    &error) == 0);
	test_require(mailbox_index_expunge(index, "INBOX", NULL, 0, arena,
	    &expunged, &expunged_count, &error) == 0);
	test_require(expunged_count == 1);
	test_assert_int(expunged[0], uids[1]);
	test_assert_int(count_files(cur), 1);
	test_require(mailbox_index_changes(index, "INBOX", seen, arena,
	    &changes, &error) == 0);
	test_require(changes.expunged_count == 3);
	test_assert_int(changes.expunged[0], uids[0]);
	test_assert_int(changes.expunged[1], uids[1]);
	test_assert_int(changes.expunged[2], uids[2]);
	test_require(changes.message_count == 1);
	test_assert_int(changes.messages[0].uid, uids[3]);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_copy_move(void)
{
	struct mailbox_index *index;
	struct mailbox_changes changes;
	struct mailbox_status status;
	struct arena *arena = arena_new("test", 0);
	uint32_t uids[3], *from, *to, uidvalidity;
	size_t copied;
	const char *error;
	char maildir[PATH_MAX];

	index = open_index(new_maildir("copy", maildir, sizeof(maildir)));
	test_require(index != NULL);
	uids[0] = append(index, "INBOX", "one\n", MAILBOX_FLAG_SEEN, "tag");
	uids[1] = append(index, "INBOX", "two\n", 0, NULL);
	uids[2] = 77; /* not present: skipped */
	test_require(mailbox_index_create(index, "Work", &error) == 0);
	test_require(mailbox_index_copy(index, "INBOX", uids, 3, "Work",
	    false, arena, &uidvalidity, &from, &to, &copied, &error) == 0);
	test_require(copied == 2);
	test_assert_int(from[0], uids[0]);
	test_assert_int(from[1], uids[1]);
	test_assert_int(to[0], 1);
	test_assert_int(to[1], 2);
	test_require(mailbox_index_status(index, "Work", &status,
	    &error) == 0);
	test_assert_int(status.uidvalidity, uidvalidity);
	test_assert_int(status.messages, 2);
	test_assert_int(status.size_crlf, 5 + 5);
	test_require(mailbox_index_changes(index, "Work", 0, arena, &changes,
	    &error) == 0);
	test_require(changes.message_count == 2);
	test_assert_int(changes.messages[0].flags, MAILBOX_FLAG_SEEN);
	test_assert_string(changes.messages[0].keywords, "tag");
	/* MOVE: gone from INBOX, in Trash. */
	test_require(mailbox_index_copy(index, "INBOX", uids, 2, "Trash",
	    true, arena, &uidvalidity, &from, &to, &copied, &error) == 0);
	test_assert_int(copied, 2);
	test_require(mailbox_index_status(index, "INBOX", &status,
	    &error) == 0);
	test_assert_int(status.messages, 0);
	test_require(mailbox_index_status(index, "Trash", &status,
	    &error) == 0);
	test_assert_int(status.messages, 2);
	/* COPY within one folder. */
	test_require(mailbox_index_copy(index, "Trash", to, 1, "Trash",
	    false, arena, &uidvalidity, &from, &to, &copied, &error) == 0);
	test_assert_int(copied, 1);
	test_assert_int(to[0], 3);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_external_changes(void)
{
	struct mailbox_index *index;
	struct mailbox_changes changes;
	struct arena *arena = arena_new("test", 0);
	char maildir[PATH_MAX], dir[PATH_MAX + 8], old_path[PATH_MAX * 2];
	char new_path[PATH_MAX * 2], name[300];
	const char *error;
	uint64_t seen;
	uint32_t uid;

	index = open_index(new_maildir("external", maildir, sizeof(maildir)));
	test_require(index != NULL);
	uid = append(index, "INBOX", "mine\n", 0, NULL);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	seen = changes.highest_modseq;
	/* Local delivery drops two files into new/. */
	snprintf(dir, sizeof(dir), "%s/new", maildir);
	put_file(dir, "1764057531.M2P1Q1.host,S=6", "drop1\n");
	put_file(dir, "1764057531.M1P1Q1.host,S=6", "drop2\n");
	test_require(mailbox_index_changes(index, "INBOX", seen, arena,
	    &changes, &error) == 0);
	test_require(changes.message_count == 2);
	test_assert_int(changes.first_recent_uid, uid + 1);
	test_assert_int(changes.uidnext, uid + 3);
	/* Filename order: M1 before M2. */
	test_assert(strncmp(changes.messages[0].file_name,
	    "1764057531.M1P1Q1.host,S=6,U=2:2,", 33) == 0);
	test_assert_int(changes.messages[0].size_crlf, 7);
	test_assert_int(count_files(dir), 0);
	seen = changes.highest_modseq;
	/* mutt marks the first one seen and replied. */
	snprintf(dir, sizeof(dir), "%s/cur", maildir);
	snprintf(old_path, sizeof(old_path), "%s/%s", dir,
	    changes.messages[0].file_name);
	snprintf(new_path, sizeof(new_path), "%s/%s", dir,
	    "1764057531.M1P1Q1.host,S=6,U=2:2,RSa");
	test_require(rename(old_path, new_path) == 0);
	/* and deletes the other. */
	snprintf(old_path, sizeof(old_path), "%s/%s", dir,
	    changes.messages[1].file_name);
	test_require(unlink(old_path) == 0);
	/* and drops a file into cur/ without a UID. */
	put_file(dir, "1764057532.M3P1Q1.host:2,S", "z\n");
	test_require(mailbox_index_changes(index, "INBOX", seen, arena,
	    &changes, &error) == 0);
	test_require(changes.message_count == 2);
	test_assert_int(changes.messages[0].uid, 2);
	test_assert_int(changes.messages[0].flags, MAILBOX_FLAG_SEEN |
	    MAILBOX_FLAG_ANSWERED);
	test_assert_int(changes.messages[1].uid, 4);
	test_assert_int(changes.messages[1].flags, MAILBOX_FLAG_SEEN);
	test_assert_int(changes.first_recent_uid, 5);
	test_require(changes.expunged_count == 1);
	test_assert_int(changes.expunged[0], 3);
	test_assert(find_name(dir, "1764057532.M3P1Q1.host,U=4:2,S", name,
	    sizeof(name)));
	/* Our STORE keeps the other tool's letter "a". */
	{
		struct mailbox_message *changed;
		uint32_t *modified, u = 2;
		size_t changed_count, modified_count;

		test_require(mailbox_index_store(index, "INBOX", &u, 1,
		    MAILBOX_STORE_ADD, MAILBOX_FLAG_FLAGGED, NULL, 0, arena,
		    &changed, &changed_count, &modified, &modified_count,
		    &error) == 0);
		test_require(changed_count == 1);
		test_assert(strstr(changed[0].file_name, ",U=2:2,FRSa") !=
		    NULL);
	}
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_rebuild(void)
{
	struct mailbox_index *index;
	struct mailbox_changes changes, before;
	struct mailbox_status status_before, status;
	struct arena *arena = arena_new("test", 0);
	char maildir[PATH_MAX], path[PATH_MAX + 64];
	const char *error;
	size_t i;

	index = open_index(new_maildir("rebuild", maildir, sizeof(maildir)));
	test_require(index != NULL);
	for (i = 0; i < 5; i++)
		(void)append(index, "Sent", "m\n", MAILBOX_FLAG_SEEN, NULL);
	test_require(mailbox_index_create(index, "Old.Child", &error) == 0);
	(void)append(index, "Old.Child", "c\n", 0, NULL);
	test_require(mailbox_index_changes(index, "Sent", 0, arena, &before,
	    &error) == 0);
	test_require(mailbox_index_status(index, "Old.Child", &status_before,
	    &error) == 0);
	mailbox_index_close(&index);
	snprintf(path, sizeof(path), "%s/sluice-index.db", maildir);
	test_require(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/sluice-index.db-wal", maildir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/sluice-index.db-shm", maildir);
	(void)unlink(path);
	index = open_index(maildir);
	test_require(index != NULL);
	test_require(mailbox_index_changes(index, "Sent", 0, arena, &changes,
	    &error) == 0);
	test_assert_int(changes.uidvalidity, before.uidvalidity);
	test_assert_int(changes.uidnext, before.uidnext);
	test_require(changes.message_count == before.message_count);
	for (i = 0; i < changes.message_count; i++) {
		test_assert_int(changes.messages[i].uid,
		    before.messages[i].uid);
		test_assert_int(changes.messages[i].flags, MAILBOX_FLAG_SEEN);
	}
	test_require(mailbox_index_status(index, "Old.Child", &status,
	    &error) == 0);
	test_assert_int(status.uidvalidity, status_before.uidvalidity);
	test_assert_int(status.messages, 1);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_two_handles(void)
{
	struct mailbox_index *a, *b;
	struct mailbox_changes changes;
	struct arena *arena = arena_new("test", 0);
	char maildir[PATH_MAX], dir[PATH_MAX + 8], name[64];
	const char *error;
	uint32_t seen[64] = { 0 };
	size_t i;
	bool duplicate = false;

	new_maildir("two", maildir, sizeof(maildir));
	a = open_index(maildir);
	b = open_index(maildir);
	test_require(a != NULL && b != NULL);
	snprintf(dir, sizeof(dir), "%s/new", maildir);
	for (i = 0; i < 20; i++) {
		(void)append(i % 2 == 0 ? a : b, "INBOX", "x\n", 0, NULL);
		snprintf(name, sizeof(name), "17000000%02zu.M1P1.h,S=2", i);
		put_file(dir, name, "y\n");
		test_require(mailbox_index_changes(i % 3 == 0 ? a : b,
		    "INBOX", 0, arena, &changes, &error) == 0);
	}
	test_require(mailbox_index_changes(a, "INBOX", 0, arena, &changes,
	    &error) == 0);
	test_assert_int(changes.message_count, 40);
	for (i = 0; i < changes.message_count; i++) {
		if (changes.messages[i].uid >= 64 ||
		    seen[changes.messages[i].uid]++ != 0)
			duplicate = true;
	}
	test_assert(!duplicate);
	test_assert_int(changes.uidnext, 41);
	mailbox_index_close(&a);
	mailbox_index_close(&b);
	arena_free(&arena);
}

static void
test_folders(void)
{
	struct mailbox_index *index;
	struct mailbox_index_folder *folders;
	struct mailbox_status status, status2;
	struct arena *arena = arena_new("test", 0);
	char maildir[PATH_MAX], path[PATH_MAX + 64];
	const char *error;
	size_t count, i;
	bool found_child = false;
	uint32_t uid;

	index = open_index(new_maildir("folders", maildir, sizeof(maildir)));
	test_require(index != NULL);
	test_require(mailbox_index_create(index, "A.B.C", &error) == 0);
	test_assert(mailbox_index_create(index, "A.B", &error) < 0);
	test_assert_int(errno, EEXIST);
	test_assert(mailbox_index_create(index, "inbox", &error) < 0);
	test_assert_int(errno, EEXIST);
	test_assert(mailbox_index_create(index, "bad/name", &error) < 0);
	test_assert_int(errno, EINVAL);
	(void)append(index, "A.B", "x\n", 0, NULL);
	test_require(mailbox_index_status(index, "A.B", &status,
	    &error) == 0);
	/* Children block DELETE, INBOX is refused. */
	test_assert(mailbox_index_delete(index, "A.B", &error) < 0);
	test_assert_int(errno, EINVAL);
	test_assert(mailbox_index_delete(index, "Inbox", &error) < 0);
	test_assert_int(errno, EINVAL);
	test_assert(mailbox_index_delete(index, "Nope", &error) < 0);
	test_assert_int(errno, ENOENT);
	/* RENAME A.B -> X.Y moves the child along, keeping UIDVALIDITY. */
	test_require(mailbox_index_rename(index, "A.B", "X.Y", &error) == 0);
	test_require(mailbox_index_status(index, "X.Y", &status2,
	    &error) == 0);
	test_assert_int(status2.uidvalidity, status.uidvalidity);
	test_assert_int(status2.messages, 1);
	test_assert(mailbox_index_status(index, "A.B", &status2, &error) < 0);
	test_assert_int(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/.X.Y.C/cur", maildir);
	test_assert(is_directory(path));
	test_assert(mailbox_index_rename(index, "X", "Trash", &error) < 0);
	test_assert_int(errno, EEXIST);
	test_assert(mailbox_index_rename(index, "X", "X.Z", &error) < 0);
	test_assert_int(errno, EINVAL);
	test_require(mailbox_index_subscribe(index, "X.Y.C", true,
	    &error) == 0);
	test_assert(mailbox_index_subscribe(index, "Q", true, &error) < 0);
	test_assert_int(errno, ENOENT);
	test_require(mailbox_index_list(index, arena, &folders, &count,
	    &error) == 0);
	for (i = 0; i < count; i++) {
		if (strcmp(folders[i].name, "X.Y") == 0)
			test_assert(folders[i].has_children);
		if (strcmp(folders[i].name, "X.Y.C") == 0) {
			found_child = true;
			test_assert(folders[i].subscribed);
			test_assert(!folders[i].has_children);
		}
		if (strcmp(folders[i].name, "Sent") == 0)
			test_assert(!folders[i].has_children);
		test_assert(strncmp(folders[i].name, "A.", 2) != 0);
	}
	test_assert(found_child);
	/* DELETE then CREATE: a greater UIDVALIDITY. */
	test_require(mailbox_index_delete(index, "X.Y.C", &error) == 0);
	test_require(mailbox_index_delete(index, "X.Y", &error) == 0);
	snprintf(path, sizeof(path), "%s/.X.Y", maildir);
	test_assert(access(path, F_OK) < 0);
	test_require(mailbox_index_create(index, "X.Y", &error) == 0);
	test_require(mailbox_index_status(index, "X.Y", &status2,
	    &error) == 0);
	test_assert(status2.uidvalidity > status.uidvalidity);
	test_assert_int(status2.messages, 0);
	/* RENAME INBOX: messages move, INBOX stays, empty. */
	uid = append(index, "INBOX", "i\n", 0, NULL);
	test_assert_int(uid, 1);
	test_require(mailbox_index_rename(index, "INBOX", "Old", &error) == 0);
	test_require(mailbox_index_status(index, "INBOX", &status,
	    &error) == 0);
	test_assert_int(status.messages, 0);
	test_require(mailbox_index_status(index, "Old", &status,
	    &error) == 0);
	test_assert_int(status.messages, 1);
	/* A folder another tool made is found. */
	snprintf(path, sizeof(path), "%s/.Other", maildir);
	test_require(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/.Other/cur", maildir);
	test_require(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/.Other/new", maildir);
	test_require(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/.Other/tmp", maildir);
	test_require(mkdir(path, 0700) == 0);
	test_require(mailbox_index_status(index, "Other", &status,
	    &error) == 0);
	test_assert(status.uidvalidity != 0);
	mailbox_index_close(&index);
	arena_free(&arena);
}

static void
test_names(void)
{
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
		{ "INBOX", true }, { "inbox", true }, { "Work.2026", true },
		{ "Ünïcödé", true }, { "", false }, { ".a", false },
		{ "a.", false }, { "a..b", false }, { "a/b", false },
		{ "a\\b", false }, { "a*", false }, { "a%", false },
		{ "a\tb", false }, { "\xff", false }, { "\xc0\xaf", false },
		{ "\xed\xa0\x80", false },
		{ "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", true },
		{ "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", false },
	};
	char long_name[300];
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		if (mailbox_index_name_is_valid(cases[i].name) !=
		    cases[i].valid)
			test_fail(__FILE__, __LINE__, "name \"%s\"",
			    cases[i].name);
	}
	memset(long_name, 'a', sizeof(long_name));
	long_name[MAILBOX_INDEX_NAME_MAX] = '\0';
	test_assert(mailbox_index_name_is_valid(long_name));
	long_name[MAILBOX_INDEX_NAME_MAX] = 'a';
	long_name[MAILBOX_INDEX_NAME_MAX + 1] = '\0';
	test_assert(!mailbox_index_name_is_valid(long_name));
}

static void
test_usage(void)
{
	struct mailbox_index *index;
	char maildir[PATH_MAX];
	uint64_t bytes, messages;
	const char *error;

	index = open_index(new_maildir("usage", maildir, sizeof(maildir)));
	test_require(index != NULL);
	(void)append(index, "INBOX", "12345\r\n", 0, NULL);
	(void)append(index, "Sent", "ab\r\ncd\r\n", 0, NULL);
	(void)append(index, "Trash", "x", 0, NULL);
	test_require(mailbox_index_usage(index, &bytes, &messages,
	    &error) == 0);
	test_assert_int(messages, 3);
	test_assert_int(bytes, 7 + 8 + 1);
	mailbox_index_close(&index);
}

/* Drops count small files into maildir's new/, as a delivery would. */
static void
fill_new(const char *maildir, size_t count)
{
	char dir[PATH_MAX + 8], name[64];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/new", maildir);
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "17%08zu.M1P1.h,S=4", i);
		put_file(dir, name, "abc\n");
	}
}

static double
elapsed_msec(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* 10,000 messages: an unchanged changes() must not scan. */
static void
test_timing_10k(void)
{
	struct mailbox_index *index;
	struct mailbox_changes changes;
	struct arena *arena;
	char maildir[PATH_MAX], dir[PATH_MAX + 8];
	struct timespec start, old[2];
	const char *error;
	double unchanged, full, first;
	uint64_t seen;

	index = open_index(new_maildir("timing", maildir, sizeof(maildir)));
	test_require(index != NULL);
	fill_new(maildir, 10000);
	snprintf(dir, sizeof(dir), "%s/new", maildir);
	arena = arena_new("timing", 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	first = elapsed_msec(&start);
	test_require(changes.message_count == 10000);
	test_assert_int(changes.first_recent_uid, 1);
	/* Age the directories past the two-second window, then one scan
	 * records the mtimes. */
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 60;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	test_require(utimensat(AT_FDCWD, dir, old, 0) == 0);
	snprintf(dir, sizeof(dir), "%s/cur", maildir);
	test_require(utimensat(AT_FDCWD, dir, old, 0) == 0);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	seen = changes.highest_modseq;
	arena_free(&arena);

	arena = arena_new("timing", 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	test_require(mailbox_index_changes(index, "INBOX", seen, arena,
	    &changes, &error) == 0);
	unchanged = elapsed_msec(&start);
	test_assert_int(changes.message_count, 0);
	arena_free(&arena);

	arena = arena_new("timing", 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	test_require(mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) == 0);
	full = elapsed_msec(&start);
	test_assert_int(changes.message_count, 10000);
	arena_free(&arena);
	printf("# timing 10k: first sync %.1f ms, unchanged %.3f ms, "
	    "since 0 %.1f ms\n", first, unchanged, full);
	test_assert(unchanged < 5.0);
	test_assert(full < 50.0);
	mailbox_index_close(&index);
}

/* Sets the mtimes of maildir's new/ and cur/ a minute back, with
 * tv_nsec as given (0 looks like a whole-second filesystem). */
static void
age_directories(const char *maildir, long nsec)
{
	char dir[PATH_MAX + 8];
	struct timespec old[2];

	old[0].tv_sec = old[1].tv_sec = time(NULL) - 60;
	old[0].tv_nsec = old[1].tv_nsec = nsec;
	snprintf(dir, sizeof(dir), "%s/new", maildir);
	test_require(utimensat(AT_FDCWD, dir, old, 0) == 0);
	snprintf(dir, sizeof(dir), "%s/cur", maildir);
	test_require(utimensat(AT_FDCWD, dir, old, 0) == 0);
}

/* Syncs INBOX through mailbox_index_changes; returns its message count. */
static size_t
sync_inbox(struct mailbox_index *index)
{
	struct mailbox_changes changes;
	struct arena *arena = arena_new("sync", 0);
	const char *error = NULL;
	size_t count;

	if (mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    &error) < 0)
		test_fail(__FILE__, __LINE__, "changes: %s", error);
	count = changes.message_count;
	arena_free(&arena);
	return count;
}

/* sluice's own STOREs, APPENDs, EXPUNGEs and MOVEs on a large settled
 * folder do not rescan it; other programs' changes still do. */
static void
test_own_changes_no_rescan(void)
{
	struct mailbox_index *index;
	struct mailbox_message *changed;
	struct arena *arena;
	char maildir[PATH_MAX], dir[PATH_MAX + 8];
	uint32_t *modified, *expunged, *from, *to, uid, uidvalidity;
	size_t changed_count, modified_count, count, i;
	const char *error;
	uint64_t scans;

	index = open_index(new_maildir("own", maildir, sizeof(maildir)));
	test_require(index != NULL);
	fill_new(maildir, 2000);
	test_assert_int(sync_inbox(index), 2000);
	/* Nanosecond mtimes older than the window: one scan settles. */
	age_directories(maildir, 123456789);
	test_assert_int(sync_inbox(index), 2000);
	scans = mailbox_index_scan_count(index);
	test_assert_int(sync_inbox(index), 2000);
	test_assert_int(mailbox_index_scan_count(index), scans);

	arena = arena_new("own", 0);
	for (i = 0; i < 100; i++) {
		uid = (uint32_t)(i % 50) + 1;
		test_require(mailbox_index_store(index, "INBOX", &uid, 1,
		    i < 50 ? MAILBOX_STORE_ADD : MAILBOX_STORE_REMOVE,
		    MAILBOX_FLAG_FLAGGED, NULL, 0, arena, &changed,
		    &changed_count, &modified, &modified_count, &error) == 0);
		test_assert_int(changed_count, 1);
		test_assert_int(sync_inbox(index), 2000);
	}
	test_assert_int(mailbox_index_scan_count(index), scans);
	for (i = 0; i < 5; i++) {
		uid = append(index, "INBOX", "appended\n",
		    MAILBOX_FLAG_DELETED, NULL);
		test_assert_int(sync_inbox(index), 2001 + i);
	}
	test_require(mailbox_index_expunge(index, "INBOX", NULL, 0, arena,
	    &expunged, &count, &error) == 0);
	test_assert_int(count, 5);
	test_assert_int(sync_inbox(index), 2000);
	uid = 7;
	test_require(mailbox_index_copy(index, "INBOX", &uid, 1, "Trash",
	    true, arena, &uidvalidity, &from, &to, &count, &error) == 0);
	test_assert_int(count, 1);
	test_assert_int(sync_inbox(index), 1999);
	test_assert_int(mailbox_index_scan_count(index), scans);

	/* Another program's change to cur/ is still found: it gets a
	 * later timestamp than the one stored after our last change. */
	snprintf(dir, sizeof(dir), "%s/cur", maildir);
	put_file(dir, "1800000000.M9P9.h:2,S", "other\n");
	test_assert_int(sync_inbox(index), 2000);
	test_assert(mailbox_index_scan_count(index) > scans);

	/* Whole-second mtimes: own changes keep the old rule and cause one
	 * more scan. */
	age_directories(maildir, 0);
	(void)sync_inbox(index);
	scans = mailbox_index_scan_count(index);
	uid = 1;
	test_require(mailbox_index_store(index, "INBOX", &uid, 1,
	    MAILBOX_STORE_ADD, MAILBOX_FLAG_SEEN, NULL, 0, arena, &changed,
	    &changed_count, &modified, &modified_count, &error) == 0);
	(void)sync_inbox(index);
	test_assert(mailbox_index_scan_count(index) > scans);
	arena_free(&arena);
	mailbox_index_close(&index);
}

/* mailbox_index_messages: runs, gaps, missing UIDs, the span fallback. */
static void
test_messages_lookup(void)
{
	struct mailbox_index *index;
	struct mailbox_message *messages;
	struct arena *arena;
	char maildir[PATH_MAX], text[32];
	uint32_t uids[400];
	const char *error;
	size_t count, i;

	index = open_index(new_maildir("lookup", maildir, sizeof(maildir)));
	test_require(index != NULL);
	for (i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "message %zu\n", i + 1);
		(void)append(index, "INBOX", text, i % 2 == 0 ?
		    MAILBOX_FLAG_SEEN : 0, i == 4 ? "$Junk" : NULL);
	}
	arena = arena_new("lookup", 0);
	/* Two runs and a single UID, one missing (400). */
	uids[0] = 3; uids[1] = 4; uids[2] = 5; uids[3] = 9; uids[4] = 10;
	uids[5] = 400;
	test_require(mailbox_index_messages(index, "INBOX", uids, 6, arena,
	    &messages, &count, &error) == 0);
	test_require(count == 5);
	test_assert_int(messages[0].uid, 3);
	test_assert_int(messages[0].flags, MAILBOX_FLAG_SEEN);
	test_assert_int(messages[2].uid, 5);
	test_assert_string(messages[2].keywords, "$Junk");
	test_assert_int(messages[2].size_crlf, strlen("message 5\r\n"));
	test_assert_int(messages[4].uid, 10);
	test_assert_int(messages[4].flags, 0);
	test_assert(messages[4].file_name != NULL &&
	    strstr(messages[4].file_name, ",U=10:2,") != NULL);
	/* Every other UID: past the run limit, one query over the span. */
	for (i = 0; i < 150; i++)
		uids[i] = (uint32_t)(2 * i + 2);
	test_require(mailbox_index_messages(index, "INBOX", uids, 150, arena,
	    &messages, &count, &error) == 0);
	test_require(count == 150);
	for (i = 0; i < 150; i++)
		test_assert_int(messages[i].uid, 2 * i + 2);
	/* Nothing asked, nothing found; bad input refused. */
	test_require(mailbox_index_messages(index, "INBOX", uids, 0, arena,
	    &messages, &count, &error) == 0);
	test_assert_int(count, 0);
	uids[0] = 5; uids[1] = 5;
	test_assert_int(mailbox_index_messages(index, "INBOX", uids, 2,
	    arena, &messages, &count, &error), -1);
	test_assert_int(errno, EINVAL);
	test_assert_int(mailbox_index_messages(index, "Nowhere", uids, 1,
	    arena, &messages, &count, &error), -1);
	test_assert_int(errno, ENOENT);
	arena_free(&arena);
	mailbox_index_close(&index);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_open_creates_defaults),
		TEST_CASE(test_append_changes_crlf),
		TEST_CASE(test_store_modes),
		TEST_CASE(test_keyword_limit),
		TEST_CASE(test_expunge),
		TEST_CASE(test_copy_move),
		TEST_CASE(test_external_changes),
		TEST_CASE(test_rebuild),
		TEST_CASE(test_two_handles),
		TEST_CASE(test_folders),
		TEST_CASE(test_names),
		TEST_CASE(test_usage),
		TEST_CASE(test_timing_10k),
		TEST_CASE(test_own_changes_no_rescan),
		TEST_CASE(test_messages_lookup),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
