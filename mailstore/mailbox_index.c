/* mailbox_index.c: one user's Maildir++ folders and the SQLite index that
 * gives their messages UIDs, flags, keywords and modseqs.
 *
 * DESIGN: the Maildir is the truth and the index a cache that also holds
 * what file names cannot (keywords, modseqs, expunge history). Every
 * write path runs in one BEGIN IMMEDIATE transaction, so handles in any
 * process serialise on the SQLite write lock; file renames happen inside
 * it too, so two handles never give one new/ file two UIDs. A sync
 * stats new/ and cur/ and rescans only when their mtimes differ from the
 * ones stored at the last scan, or when those were within a safety window
 * of the scan (a change in the same timestamp tick would not show). The
 * window matches the timestamp granularity: nanosecond mtimes (ext4, xfs,
 * btrfs, tmpfs) come from the kernel's coarse clock and advance every
 * tick, a few ms at most, so 100 ms is plenty; when both mtimes are whole
 * seconds (tv_nsec 0: a filesystem that keeps seconds, or FAT's 2 s) the
 * window is 2 s. The stored mtimes are the ones taken before the scan read
 * the directories, so a change made while the scan ran (ours included)
 * causes one more scan rather than none.
 *
 * sluice's own changes to cur/ (STORE renames, APPEND and COPY links,
 * EXPUNGE and MOVE unlinks) do not cause a scan: they run inside the
 * write transaction, which every other sluice handle needs to change a
 * folder, and they update the index themselves. So the write path stats
 * cur/ before its first change; when that matches the stored mtime and
 * the folder was settled (stored mtimes older than the window before the
 * scan that vouched for them), nothing changed behind the index, and
 * after its last change the write path stores cur/'s mtime as it is then
 * and keeps the folder settled. Changes by other programs are still
 * found: one made before our first stat shows as a different mtime at
 * that stat (the folder is then left to the next sync's scan), one made
 * after our last stat gets a later timestamp (a later tick; on kernels
 * with multigrain timestamps, also within the tick, as our stat queried
 * the mtime). What can hide is another program's change to cur/ in the
 * same tick while our own changes run (between the two stats, which are
 * microseconds to a few ms apart); a file renamed away under us is seen
 * (ENOENT) and also leaves the folder to the next scan. new/, where
 * deliveries land, is never changed by these paths, so its stored mtime
 * stays the scan's. With whole-second mtimes the hidden window would be a
 * second, so there own changes keep the old behaviour (one more scan).
 * A scan reads each directory once, sorts the
 * entries and the index rows by key (the name without ":2,FLAGS") and
 * merges them: rows without a file are expunged, files without a row are
 * taken in. Files from other tools carrying a U= tag keep it only when
 * it is at or above UIDNEXT (so a rebuilt index keeps every UID); a
 * lower one (a file moved in from another folder) gets a new UID, as
 * IMAP forbids new messages below UIDNEXT. */
#include "mailstore/mailbox_index.h"
#include "mailstore/maildir.h"
#include "mailstore/maildir_name.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/database.h"
#include "lib/durable_file.h"
#include "lib/error.h"
#include "lib/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAILBOX_INDEX_FILE "sluice-index.db"
#define MAILBOX_INDEX_UIDVALIDITY_FILE "sluice-uidvalidity"
#define MAILBOX_INDEX_MESSAGE_MAX (256ULL * 1024 * 1024)
#define MAILBOX_INDEX_EXPUNGED_KEEP 10000
#define MAILBOX_INDEX_RESCAN_NSEC (2LL * 1000000000LL)
#define MAILBOX_INDEX_RESCAN_FINE_NSEC (100LL * 1000000LL)
/* A lookup reads the whole span of its UIDs in one query when the span
 * is at most this many times its runs of consecutive UIDs: measured
 * with 2,000 messages, a query costs about 0.65 us and a row of the span
 * it skips about 0.2 us. */
#define MAILBOX_INDEX_LOOKUP_SPAN_PER_RUN 3
#define MAILBOX_INDEX_SCAN_ATTEMPTS 4
#define MAILBOX_INDEX_DIRECTORY_MODE 0700
#define MAILBOX_INDEX_ALL_FLAGS 0x1fu

struct mailbox_index {
	char *path;
	struct database *database;
	unsigned counter;
	uint64_t scan_count;
};

/* A folder row plus its directory. */
struct mailbox_index_row {
	int64_t id;
	char name[MAILBOX_INDEX_NAME_MAX + 1];
	char path[PATH_MAX];
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highest_modseq;
	uint64_t expunged_floor;
	int64_t new_mtime;
	int64_t cur_mtime;
	int64_t scanned_at;
};

static const struct database_migration mailbox_index_migrations[] = {
	{ 1,
	  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)"
	  " WITHOUT ROWID;"
	  "CREATE TABLE folders (id INTEGER PRIMARY KEY,"
	  " name TEXT NOT NULL UNIQUE, uidvalidity INTEGER NOT NULL,"
	  " uidnext INTEGER NOT NULL DEFAULT 1,"
	  " highest_modseq INTEGER NOT NULL DEFAULT 1,"
	  " special_use INTEGER NOT NULL DEFAULT 0,"
	  " subscribed INTEGER NOT NULL DEFAULT 0,"
	  " new_mtime INTEGER NOT NULL DEFAULT -1,"
	  " cur_mtime INTEGER NOT NULL DEFAULT -1,"
	  " scanned_at INTEGER NOT NULL DEFAULT 0,"
	  " expunged_floor INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE messages (folder_id INTEGER NOT NULL"
	  " REFERENCES folders(id) ON DELETE CASCADE,"
	  " uid INTEGER NOT NULL, file_name TEXT NOT NULL,"
	  " flags INTEGER NOT NULL, keywords TEXT NOT NULL DEFAULT '',"
	  " size INTEGER NOT NULL, size_crlf INTEGER NOT NULL,"
	  " internal_date INTEGER NOT NULL, modseq INTEGER NOT NULL,"
	  " PRIMARY KEY (folder_id, uid)) WITHOUT ROWID;"
	  "CREATE INDEX messages_modseq ON messages (folder_id, modseq);"
	  "CREATE TABLE expunged (folder_id INTEGER NOT NULL"
	  " REFERENCES folders(id) ON DELETE CASCADE,"
	  " uid INTEGER NOT NULL, modseq INTEGER NOT NULL,"
	  " PRIMARY KEY (folder_id, uid)) WITHOUT ROWID;"
	  "CREATE INDEX expunged_modseq ON expunged (folder_id, modseq);"
	  "CREATE TABLE keywords (folder_id INTEGER NOT NULL"
	  " REFERENCES folders(id) ON DELETE CASCADE,"
	  " keyword TEXT NOT NULL, PRIMARY KEY (folder_id, keyword))"
	  " WITHOUT ROWID;" },
};

static const struct {
	const char *name;
	unsigned special_use;
} mailbox_index_defaults[] = {
	{ "Drafts", MAILBOX_SPECIAL_DRAFTS },
	{ "Sent", MAILBOX_SPECIAL_SENT },
	{ "Junk", MAILBOX_SPECIAL_JUNK },
	{ "Trash", MAILBOX_SPECIAL_TRASH },
};

static const char mailbox_index_sql_folder[] =
    "SELECT id, name, uidvalidity, uidnext, highest_modseq, new_mtime,"
    " cur_mtime, scanned_at, expunged_floor FROM folders WHERE name = ?";
static const char mailbox_index_sql_folder_by_id[] =
    "SELECT id, name, uidvalidity, uidnext, highest_modseq, new_mtime,"
    " cur_mtime, scanned_at, expunged_floor FROM folders WHERE id = ?";
static const char mailbox_index_sql_folder_update[] =
    "UPDATE folders SET uidnext = ?, highest_modseq = ?, new_mtime = ?,"
    " cur_mtime = ?, scanned_at = ? WHERE id = ?";
static const char mailbox_index_sql_insert_message[] =
    "INSERT OR REPLACE INTO messages (folder_id, uid, file_name, flags,"
    " keywords, size, size_crlf, internal_date, modseq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char mailbox_index_sql_delete_message[] =
    "DELETE FROM messages WHERE folder_id = ? AND uid = ?";
static const char mailbox_index_sql_insert_expunged[] =
    "INSERT OR REPLACE INTO expunged (folder_id, uid, modseq)"
    " VALUES (?, ?, ?)";
static const char mailbox_index_sql_message[] =
    "SELECT flags, keywords, size, size_crlf, internal_date, modseq,"
    " file_name FROM messages WHERE folder_id = ? AND uid = ?";

/* Sets error_r from the connection's last SQLite error; errno EIO. */
static int
mailbox_index_database_error(struct mailbox_index *index, const char *what,
    const char **error_r)
{
	*error_r = error_set("%s/%s: %s: %s", index->path, MAILBOX_INDEX_FILE,
	    what, sqlite3_errmsg(database_handle(index->database)));
	errno = EIO;
	return -1;
}

/* Fails with error text and errno code (kept past error_set). */
static int
mailbox_index_fail(int code, const char **error_r, const char *fmt, ...)
    ATTR_PRINTF(3, 4);
static int
mailbox_index_fail(int code, const char **error_r, const char *fmt, ...)
{
	char text[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	*error_r = error_set("%s", text);
	errno = code;
	return -1;
}

/* Steps a statement that returns no rows. */
static int
mailbox_index_step_done(struct mailbox_index *index, sqlite3_stmt *statement,
    const char *what, const char **error_r)
{
	int rc = sqlite3_step(statement);

	sqlite3_reset(statement);
	if (rc != SQLITE_DONE)
		return mailbox_index_database_error(index, what, error_r);
	return 0;
}

static int64_t
mailbox_index_now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
mailbox_index_read_begin(struct mailbox_index *index, const char **error_r)
{
	return database_exec(index->database, "BEGIN", error_r);
}

/* Ends a read snapshot (never fails visibly). */
static void
mailbox_index_read_end(struct mailbox_index *index)
{
	database_rollback(index->database);
}

/* Folder names */

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t
mailbox_index_utf8_length(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

bool
mailbox_index_name_is_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t length = strlen(name), depth = 1, n;

	if (length == 0 || length > MAILBOX_INDEX_NAME_MAX ||
	    name[0] == '.' || name[length - 1] == '.' ||
	    strstr(name, "..") != NULL)
		return false;
	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' ||
		    *p == '*' || *p == '%')
			return false;
		if (*p == '.' && ++depth > MAILBOX_INDEX_DEPTH_MAX)
			return false;
		n = mailbox_index_utf8_length(p);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

/* Copies name with a leading INBOX component in canonical case into dst
 * (MAILBOX_INDEX_NAME_MAX + 1 bytes); false for an invalid name. */
static bool
mailbox_index_canonical(const char *name, char *dst)
{
	if (!mailbox_index_name_is_valid(name))
		return false;
	strcpy(dst, name);
	if (strncasecmp(name, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == '.'))
		memcpy(dst, "INBOX", 5);
	return true;
}

static int
mailbox_index_folder_path(struct mailbox_index *index, const char *name,
    char *dst, size_t size, const char **error_r)
{
	int n;

	if (strcmp(name, "INBOX") == 0)
		n = snprintf(dst, size, "%s", index->path);
	else
		n = snprintf(dst, size, "%s/.%s", index->path, name);
	if (n < 0 || (size_t)n >= size)
		return mailbox_index_fail(ENAMETOOLONG, error_r,
		    "%s: folder path too long", name);
	return 0;
}

/* dst = folder/sub/name (name may be NULL). */
static int
mailbox_index_file_path(char *dst, size_t size, const char *folder,
    const char *sub, const char *name, const char **error_r)
{
	int n = name == NULL ? snprintf(dst, size, "%s/%s", folder, sub) :
	    snprintf(dst, size, "%s/%s/%s", folder, sub, name);

	if (n < 0 || (size_t)n >= size)
		return mailbox_index_fail(ENAMETOOLONG, error_r,
		    "%s/%s: path too long", folder, sub);
	return 0;
}

static unsigned
mailbox_index_default_special_use(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(mailbox_index_defaults); i++) {
		if (strcmp(mailbox_index_defaults[i].name, name) == 0)
			return mailbox_index_defaults[i].special_use;
	}
	return 0;
}

/* Folder rows */

static void
mailbox_index_row_read(struct mailbox_index *index, sqlite3_stmt *statement,
    struct mailbox_index_row *row)
{
	const char *error;

	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(statement, 0);
	snprintf(row->name, sizeof(row->name), "%s",
	    (const char *)sqlite3_column_text(statement, 1));
	row->uidvalidity = (uint32_t)sqlite3_column_int64(statement, 2);
	row->uidnext = (uint32_t)sqlite3_column_int64(statement, 3);
	row->highest_modseq = (uint64_t)sqlite3_column_int64(statement, 4);
	row->new_mtime = sqlite3_column_int64(statement, 5);
	row->cur_mtime = sqlite3_column_int64(statement, 6);
	row->scanned_at = sqlite3_column_int64(statement, 7);
	row->expunged_floor = (uint64_t)sqlite3_column_int64(statement, 8);
	/* Checked when the folder was registered. */
	if (mailbox_index_folder_path(index, row->name, row->path,
	    sizeof(row->path), &error) < 0)
		row->path[0] = '\0';
}

/* Loads the row of canonical name: 1 found, 0 not, -1 error. */
static int
mailbox_index_row_load(struct mailbox_index *index, const char *name,
    struct mailbox_index_row *row, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(index->database,
	    mailbox_index_sql_folder, error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		mailbox_index_row_read(index, statement, row);
	sqlite3_reset(statement);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mailbox_index_database_error(index, "load folder", error_r);
}

/* Reloads row by id inside a transaction; ENOENT when it went away. */
static int
mailbox_index_row_reload(struct mailbox_index *index,
    struct mailbox_index_row *row, const char **error_r)
{
	sqlite3_stmt *statement;
	char name[MAILBOX_INDEX_NAME_MAX + 1];
	int rc;

	statement = database_statement(index->database,
	    mailbox_index_sql_folder_by_id, error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	snprintf(name, sizeof(name), "%s", row->name);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		mailbox_index_row_read(index, statement, row);
	sqlite3_reset(statement);
	if (rc == SQLITE_DONE)
		return mailbox_index_fail(ENOENT, error_r,
		    "%s: folder was deleted", name);
	if (rc != SQLITE_ROW)
		return mailbox_index_database_error(index, "load folder",
		    error_r);
	return 0;
}

static int
mailbox_index_row_save(struct mailbox_index *index,
    const struct mailbox_index_row *row, const char **error_r)
{
	sqlite3_stmt *statement;

	statement = database_statement(index->database,
	    mailbox_index_sql_folder_update, error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->uidnext);
	sqlite3_bind_int64(statement, 2, (int64_t)row->highest_modseq);
	sqlite3_bind_int64(statement, 3, row->new_mtime);
	sqlite3_bind_int64(statement, 4, row->cur_mtime);
	sqlite3_bind_int64(statement, 5, row->scanned_at);
	sqlite3_bind_int64(statement, 6, row->id);
	return mailbox_index_step_done(index, statement, "update folder",
	    error_r);
}

/* UIDVALIDITY */

static int
mailbox_index_meta_get(struct mailbox_index *index, const char *key,
    int64_t *value_r, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(index->database,
	    "SELECT value FROM meta WHERE key = ?", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	*value_r = rc == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
	sqlite3_reset(statement);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mailbox_index_database_error(index, "read meta",
		    error_r);
	return 0;
}

/* Raises meta key to at least value. */
static int
mailbox_index_meta_raise(struct mailbox_index *index, const char *key,
    int64_t value, const char **error_r)
{
	sqlite3_stmt *statement;

	statement = database_statement(index->database,
	    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key)"
	    " DO UPDATE SET value = max(value, excluded.value)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 2, value);
	return mailbox_index_step_done(index, statement, "write meta",
	    error_r);
}

/* Reads FOLDER/sluice-uidvalidity: 1 read, 0 missing or unusable. */
static int
mailbox_index_uidvalidity_read(const char *folder_path, uint32_t *value_r,
    const char **error_r)
{
	char path[PATH_MAX];
	unsigned char *data;
	unsigned long value;
	size_t length;
	char *end;

	if (mailbox_index_file_path(path, sizeof(path), folder_path,
	    MAILBOX_INDEX_UIDVALIDITY_FILE, NULL, error_r) < 0)
		return -1;
	if (durable_file_read_whole(path, 64, &data, &length, error_r) < 0)
		return errno == ENOENT ? 0 : -1;
	errno = 0;
	value = strtoul((const char *)data, &end, 10);
	if (errno != 0 || end == (char *)data || value == 0 ||
	    value > UINT32_MAX) {
		log_warn("event=mailbox_uidvalidity_invalid path=%s", path);
		free(data);
		return 0;
	}
	free(data);
	*value_r = (uint32_t)value;
	return 1;
}

/* The folder's UIDVALIDITY: the one its file holds, else a new one
 * (time-based, above any this user had) written to the file once. Runs
 * inside a write transaction, which serialises the choice. */
static int
mailbox_index_uidvalidity(struct mailbox_index *index,
    const char *folder_path, uint32_t *uidvalidity_r, const char **error_r)
{
	char path[PATH_MAX], tmp_path[PATH_MAX], text[32];
	struct durable_file *file;
	int64_t last, value;
	int ret;

	ret = mailbox_index_uidvalidity_read(folder_path, uidvalidity_r,
	    error_r);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		if (mailbox_index_meta_get(index, "last_uidvalidity", &last,
		    error_r) < 0)
			return -1;
		value = MAX((int64_t)time(NULL), last + 1);
		if (value > UINT32_MAX)
			value = last + 1;
		if (value > UINT32_MAX)
			return mailbox_index_fail(EOVERFLOW, error_r,
			    "%s: UIDVALIDITY exhausted", folder_path);
		snprintf(text, sizeof(text), "%lld\n", (long long)value);
		if (mailbox_index_file_path(path, sizeof(path), folder_path,
		    MAILBOX_INDEX_UIDVALIDITY_FILE, NULL, error_r) < 0 ||
		    mailbox_index_file_path(tmp_path, sizeof(tmp_path),
		    folder_path, "tmp", "sluice-uidvalidity.tmp", error_r) < 0)
			return -1;
		(void)unlink(tmp_path); /* a crashed attempt's leftover */
		if (durable_file_create(tmp_path, &file, error_r) < 0)
			return -1;
		if (durable_file_write(file, text, strlen(text),
		    error_r) < 0) {
			durable_file_abort(&file);
			return -1;
		}
		ret = durable_file_commit_exclusive(&file, path, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0) {
			/* Someone without our lock (an invalid file we
			 * refused, or a race with another tool) got there
			 * first: the file wins. */
			if (mailbox_index_uidvalidity_read(folder_path,
			    uidvalidity_r, error_r) <= 0) {
				if (durable_file_write_whole(tmp_path, path,
				    text, strlen(text), error_r) < 0)
					return -1;
				*uidvalidity_r = (uint32_t)value;
			}
		} else {
			*uidvalidity_r = (uint32_t)value;
		}
	}
	return mailbox_index_meta_raise(index, "last_uidvalidity",
	    *uidvalidity_r, error_r);
}

/* Adds the row of an existing folder directory (inside a transaction). */
static int
mailbox_index_register(struct mailbox_index *index, const char *name,
    const char **error_r)
{
	char path[PATH_MAX];
	sqlite3_stmt *statement;
	uint32_t uidvalidity;
	unsigned special_use = mailbox_index_default_special_use(name);

	if (mailbox_index_folder_path(index, name, path, sizeof(path),
	    error_r) < 0 ||
	    mailbox_index_uidvalidity(index, path, &uidvalidity, error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    "INSERT INTO folders (name, uidvalidity, special_use, subscribed)"
	    " VALUES (?, ?, ?, ?)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 2, uidvalidity);
	sqlite3_bind_int(statement, 3, (int)special_use);
	sqlite3_bind_int(statement, 4, special_use != 0 ||
	    strcmp(name, "INBOX") == 0);
	return mailbox_index_step_done(index, statement, "insert folder",
	    error_r);
}

/* Whether path/cur is a directory (a folder exists there). */
static bool
mailbox_index_directory_exists(const char *folder_path)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/cur", folder_path) >=
	    sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* nftw() callback removing a directory tree depth first. */
static int
mailbox_index_remove_entry(const char *path, const struct stat *st ATTR_UNUSED,
    int type ATTR_UNUSED, struct FTW *ftw ATTR_UNUSED)
{
	(void)remove(path);
	return 0;
}

/* Creates the folder directory ".name" atomically (built in tmp/, then
 * renamed without replacing) and registers it. Inside a transaction. */
static int
mailbox_index_make_folder(struct mailbox_index *index, const char *name,
    const char **error_r)
{
	char path[PATH_MAX], build[PATH_MAX], file[PATH_MAX];
	int fd;

	if (mailbox_index_folder_path(index, name, path, sizeof(path),
	    error_r) < 0)
		return -1;
	if ((size_t)snprintf(build, sizeof(build), "%s/tmp/sluice-folder.%ld.%u",
	    index->path, (long)getpid(), index->counter++) >= sizeof(build))
		return mailbox_index_fail(ENAMETOOLONG, error_r,
		    "%s: path too long", index->path);
	if (maildir_create(build, error_r) < 0)
		return -1;
	if (mailbox_index_file_path(file, sizeof(file), build,
	    "maildirfolder", NULL, error_r) < 0)
		return -1;
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (renameat2(AT_FDCWD, build, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		int saved = errno;

		(void)nftw(build, mailbox_index_remove_entry, 4, FTW_DEPTH | FTW_PHYS);
		errno = saved;
		return mailbox_index_fail(errno == ENOTEMPTY ? EEXIST : errno,
		    error_r, "rename %s: %s", path, strerror(saved));
	}
	if (durable_directory_sync(index->path, error_r) < 0)
		return -1;
	return mailbox_index_register(index, name, error_r);
}

/* Creates the missing parents of canonical name ("A" and "A.B" for
 * "A.B.C"). Inside a transaction. */
static int
mailbox_index_make_parents(struct mailbox_index *index, const char *name,
    const char **error_r)
{
	char parent[MAILBOX_INDEX_NAME_MAX + 1], path[PATH_MAX];
	struct mailbox_index_row row;
	const char *dot;
	int ret;

	for (dot = strchr(name, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		memcpy(parent, name, (size_t)(dot - name));
		parent[dot - name] = '\0';
		if (strcmp(parent, "INBOX") == 0)
			continue;
		ret = mailbox_index_row_load(index, parent, &row, error_r);
		if (ret < 0)
			return -1;
		if (ret > 0)
			continue;
		if (mailbox_index_folder_path(index, parent, path,
		    sizeof(path), error_r) < 0)
			return -1;
		if (mailbox_index_directory_exists(path))
			ret = mailbox_index_register(index, parent, error_r);
		else
			ret = mailbox_index_make_folder(index, parent,
			    error_r);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Takes in folder directories other tools created, and drops rows whose
 * directory went away (not INBOX's). */
static int
mailbox_index_discover(struct mailbox_index *index, const char **error_r)
{
	struct mailbox_index_row row;
	struct dirent *entry;
	sqlite3_stmt *statement;
	char path[PATH_MAX];
	DIR *dir;
	int ret = 0, rc;

	if (database_begin(index->database, error_r) < 0)
		return -1;
	dir = opendir(index->path);
	if (dir == NULL) {
		database_rollback(index->database);
		return mailbox_index_fail(errno, error_r, "opendir %s: %s",
		    index->path, strerror(errno));
	}
	while (ret == 0 && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.' ||
		    !mailbox_index_name_is_valid(entry->d_name + 1) ||
		    (strncasecmp(entry->d_name + 1, "INBOX", 5) == 0 &&
		    entry->d_name[6] == '\0'))
			continue;
		ret = mailbox_index_row_load(index, entry->d_name + 1, &row,
		    error_r);
		if (ret != 0) {
			ret = ret < 0 ? -1 : 0;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", index->path,
		    entry->d_name);
		if (mailbox_index_directory_exists(path))
			ret = mailbox_index_register(index, entry->d_name + 1,
			    error_r);
	}
	closedir(dir);
	statement = ret < 0 ? NULL : database_statement(index->database,
	    "SELECT id, name, uidvalidity, uidnext, highest_modseq, new_mtime,"
	    " cur_mtime, scanned_at, expunged_floor FROM folders"
	    " WHERE name <> 'INBOX'", error_r);
	if (statement == NULL) {
		database_rollback(index->database);
		return -1;
	}
	/* Rows are deleted after the loop, so collect ids first. */
	{
		int64_t *gone = NULL;
		size_t gone_count = 0, i;

		while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
			mailbox_index_row_read(index, statement, &row);
			if (!mailbox_index_directory_exists(row.path)) {
				gone = alloc_resize(gone, gone_count + 1,
				    sizeof(*gone));
				gone[gone_count++] = row.id;
			}
		}
		sqlite3_reset(statement);
		for (i = 0; rc == SQLITE_DONE && i < gone_count; i++) {
			statement = database_statement(index->database,
			    "DELETE FROM folders WHERE id = ?", error_r);
			if (statement == NULL) {
				rc = SQLITE_ERROR;
				break;
			}
			sqlite3_bind_int64(statement, 1, gone[i]);
			if (mailbox_index_step_done(index, statement,
			    "delete folder", error_r) < 0)
				rc = SQLITE_ERROR;
		}
		free(gone);
	}
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_ERROR)
			(void)mailbox_index_database_error(index,
			    "list folders", error_r);
		database_rollback(index->database);
		return -1;
	}
	if (database_commit(index->database, error_r) < 0) {
		database_rollback(index->database);
		return -1;
	}
	return 0;
}

/* Finds folder name (registering a directory another tool made).
 * ENOENT when there is none, EINVAL for an invalid name. */
static int
mailbox_index_folder_find(struct mailbox_index *index, const char *name,
    struct mailbox_index_row *row, const char **error_r)
{
	char canonical[MAILBOX_INDEX_NAME_MAX + 1], path[PATH_MAX];
	int ret;

	if (!mailbox_index_canonical(name, canonical))
		return mailbox_index_fail(EINVAL, error_r,
		    "invalid folder name");
	ret = mailbox_index_row_load(index, canonical, row, error_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (mailbox_index_folder_path(index, canonical, path, sizeof(path),
	    error_r) < 0)
		return -1;
	if (!mailbox_index_directory_exists(path))
		return mailbox_index_fail(ENOENT, error_r,
		    "%s: no such folder", canonical);
	if (database_begin(index->database, error_r) < 0)
		return -1;
	ret = mailbox_index_row_load(index, canonical, row, error_r);
	if (ret == 0)
		ret = mailbox_index_register(index, canonical, error_r);
	if (ret < 0 || database_commit(index->database, error_r) < 0) {
		database_rollback(index->database);
		return -1;
	}
	ret = mailbox_index_row_load(index, canonical, row, error_r);
	if (ret == 0)
		return mailbox_index_fail(ENOENT, error_r,
		    "%s: no such folder", canonical);
	return ret < 0 ? -1 : 0;
}

/* Sync */

/* An index row during a scan. */
struct mailbox_index_known {
	uint32_t uid;
	unsigned flags;
	const char *key;
	const char *file_name;
	bool seen;
};

/* A directory entry during a scan. */
struct mailbox_index_entry {
	const char *name;
	const char *key;
	uint32_t uid;
};

/* Whether a write path may record its own changes to cur/. */
struct mailbox_index_own {
	bool settled;
};

/* Results of one sync for the caller. */
struct mailbox_index_sync_result {
	uint32_t first_recent_uid; /* 0: nothing left new/ */
	uint32_t recent;
};

static int
mailbox_index_known_compare(const void *a, const void *b)
{
	return strcmp(((const struct mailbox_index_known *)a)->key,
	    ((const struct mailbox_index_known *)b)->key);
}

static int
mailbox_index_entry_compare_name(const void *a, const void *b)
{
	return strcmp(((const struct mailbox_index_entry *)a)->name,
	    ((const struct mailbox_index_entry *)b)->name);
}

/* Files with a U= tag first, by UID; then the rest by name. */
static int
mailbox_index_entry_compare_uid(const void *a, const void *b)
{
	const struct mailbox_index_entry *x = a, *y = b;

	if ((x->uid == 0) != (y->uid == 0))
		return x->uid == 0 ? 1 : -1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int64_t
mailbox_index_mtime(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
}

/* Reads the names in folder/sub (skipping dot files and overlong
 * names) into arena. */
static int
mailbox_index_read_directory(struct arena *arena, const char *folder,
    const char *sub, struct mailbox_index_entry **entries_r,
    size_t *count_r, const char **error_r)
{
	struct mailbox_index_entry *entries = NULL, *bigger;
	size_t count = 0, capacity = 0, length;
	char path[PATH_MAX];
	struct dirent *entry;
	const char *colon;
	DIR *dir;

	if (mailbox_index_file_path(path, sizeof(path), folder, sub, NULL,
	    error_r) < 0)
		return -1;
	dir = opendir(path);
	if (dir == NULL)
		return mailbox_index_fail(errno, error_r, "opendir %s: %s",
		    path, strerror(errno));
	errno = 0;
	while ((entry = readdir(dir)) != NULL) {
		length = strlen(entry->d_name);
		if (entry->d_name[0] == '.' || length > MAILDIR_NAME_MAX ||
		    entry->d_type == DT_DIR) {
			errno = 0;
			continue;
		}
		if (count == capacity) {
			capacity = capacity == 0 ? 256 : capacity * 2;
			bigger = arena_array(arena, capacity,
			    sizeof(*entries));
			if (count > 0)
				memcpy(bigger, entries,
				    count * sizeof(*entries));
			entries = bigger;
		}
		entries[count].name = arena_strndup(arena, entry->d_name,
		    length);
		colon = strchr(entries[count].name, ':');
		entries[count].key = colon == NULL ? entries[count].name :
		    arena_strndup(arena, entries[count].name,
		    (size_t)(colon - entries[count].name));
		entries[count].uid = 0;
		count++;
		errno = 0;
	}
	if (errno != 0) {
		int saved = errno;

		closedir(dir);
		return mailbox_index_fail(saved, error_r, "readdir %s: %s",
		    path, strerror(saved));
	}
	closedir(dir);
	*entries_r = entries;
	*count_r = count;
	return 0;
}

/* Size, CRLF size and mtime of folder/cur/name, reading it once.
 * Returns 1, 0 when it vanished (*vanished_r) or is skipped (not a
 * file, too large), -1 on error. */
static int
mailbox_index_measure(const char *folder, const char *name,
    uint64_t *size_r, uint64_t *size_crlf_r, int64_t *mtime_r,
    bool *vanished_r, const char **error_r)
{
	unsigned char buffer[65536];
	char path[PATH_MAX];
	uint64_t extra = 0;
	bool after_cr = false;
	struct stat st;
	ssize_t n, i;
	int fd;

	if (mailbox_index_file_path(path, sizeof(path), folder, "cur", name,
	    error_r) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			*vanished_r = true;
			return 0;
		}
		if (errno == ELOOP)
			return 0;
		return mailbox_index_fail(errno, error_r, "open %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((uint64_t)st.st_size > MAILBOX_INDEX_MESSAGE_MAX) {
		log_warn("event=mailbox_message_skipped path=%s size=%lld "
		    "reason=too_large", path, (long long)st.st_size);
		close(fd);
		return 0;
	}
	while ((n = read(fd, buffer, sizeof(buffer))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return mailbox_index_fail(errno, error_r,
			    "read %s: %s", path, strerror(errno));
		}
		for (i = 0; i < n; i++) {
			if (buffer[i] == '\n' && !after_cr)
				extra++;
			after_cr = buffer[i] == '\r';
		}
	}
	close(fd);
	*size_r = (uint64_t)st.st_size;
	*size_crlf_r = (uint64_t)st.st_size + extra;
	*mtime_r = (int64_t)st.st_mtim.tv_sec;
	return 1;
}

/* Inserts message uid (file cur/name) into the index with the next
 * modseq. Returns 1, 0 when the file vanished or is skipped. */
static int
mailbox_index_take_in(struct mailbox_index *index,
    struct mailbox_index_row *row, const char *name, uint32_t uid,
    unsigned flags, bool *vanished_r, const char **error_r)
{
	uint64_t size, size_crlf;
	sqlite3_stmt *statement;
	int64_t mtime;
	int ret;

	ret = mailbox_index_measure(row->path, name, &size, &size_crlf,
	    &mtime, vanished_r, error_r);
	if (ret <= 0)
		return ret;
	statement = database_statement(index->database,
	    mailbox_index_sql_insert_message, error_r);
	if (statement == NULL)
		return -1;
	row->highest_modseq++;
	sqlite3_bind_int64(statement, 1, row->id);
	sqlite3_bind_int64(statement, 2, uid);
	sqlite3_bind_text(statement, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(statement, 4, (int)flags);
	sqlite3_bind_text(statement, 5, "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 6, (int64_t)size);
	sqlite3_bind_int64(statement, 7, (int64_t)size_crlf);
	sqlite3_bind_int64(statement, 8, mtime);
	sqlite3_bind_int64(statement, 9, (int64_t)row->highest_modseq);
	if (mailbox_index_step_done(index, statement, "insert message",
	    error_r) < 0)
		return -1;
	return 1;
}

/* Removes uid from the index and records its expunge. */
static int
mailbox_index_forget(struct mailbox_index *index,
    struct mailbox_index_row *row, uint32_t uid, const char **error_r)
{
	sqlite3_stmt *statement;

	statement = database_statement(index->database,
	    mailbox_index_sql_delete_message, error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	sqlite3_bind_int64(statement, 2, uid);
	if (mailbox_index_step_done(index, statement, "delete message",
	    error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    mailbox_index_sql_insert_expunged, error_r);
	if (statement == NULL)
		return -1;
	row->highest_modseq++;
	sqlite3_bind_int64(statement, 1, row->id);
	sqlite3_bind_int64(statement, 2, uid);
	sqlite3_bind_int64(statement, 3, (int64_t)row->highest_modseq);
	return mailbox_index_step_done(index, statement, "insert expunged",
	    error_r);
}

/* Keeps the last MAILBOX_INDEX_EXPUNGED_KEEP expunges of the folder and
 * remembers the newest modseq dropped (changes() falls back then). */
static int
mailbox_index_prune(struct mailbox_index *index,
    struct mailbox_index_row *row, const char **error_r)
{
	sqlite3_stmt *statement;
	int64_t floor;
	int rc;

	statement = database_statement(index->database,
	    "SELECT modseq FROM expunged WHERE folder_id = ?"
	    " ORDER BY modseq DESC LIMIT 1 OFFSET ?", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	sqlite3_bind_int(statement, 2, MAILBOX_INDEX_EXPUNGED_KEEP);
	rc = sqlite3_step(statement);
	floor = rc == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
	sqlite3_reset(statement);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return mailbox_index_database_error(index, "prune", error_r);
	statement = database_statement(index->database,
	    "DELETE FROM expunged WHERE folder_id = ? AND modseq <= ?",
	    error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	sqlite3_bind_int64(statement, 2, floor);
	if (mailbox_index_step_done(index, statement, "prune", error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    "UPDATE folders SET expunged_floor = max(expunged_floor, ?)"
	    " WHERE id = ?", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, floor);
	sqlite3_bind_int64(statement, 2, row->id);
	if (mailbox_index_step_done(index, statement, "prune", error_r) < 0)
		return -1;
	row->expunged_floor = (uint64_t)floor;
	return 0;
}

/* Renames folder/from_sub/from to cur/ under a new UID and takes it in.
 * Returns 1, 0 when the file vanished (*vanished_r) or was skipped. */
static int
mailbox_index_adopt(struct mailbox_index *index,
    struct mailbox_index_row *row, const char *from_sub, const char *from,
    uint32_t *uid_r, bool *vanished_r, const char **error_r)
{
	char old_path[PATH_MAX], new_path[PATH_MAX];
	char name[MAILDIR_NAME_MAX + 1];
	struct maildir_name parsed;
	uint32_t uid = row->uidnext;

	if (maildir_name_parse(from, &parsed) == 0)
		return 0;
	if (uid == UINT32_MAX)
		return mailbox_index_fail(EOVERFLOW, error_r,
		    "%s: UIDs exhausted", row->name);
	if (maildir_name_format(name, sizeof(name), parsed.base, uid,
	    parsed.flags, parsed.extra) < 0) {
		log_warn("event=mailbox_message_skipped folder=%s name=%s "
		    "reason=name_too_long", row->path, from);
		return 0;
	}
	if (mailbox_index_file_path(old_path, sizeof(old_path), row->path,
	    from_sub, from, error_r) < 0 ||
	    mailbox_index_file_path(new_path, sizeof(new_path), row->path,
	    "cur", name, error_r) < 0)
		return -1;
	if (rename(old_path, new_path) < 0) {
		if (errno == ENOENT) {
			*vanished_r = true;
			return 0;
		}
		return mailbox_index_fail(errno, error_r, "rename %s: %s",
		    old_path, strerror(errno));
	}
	row->uidnext = uid + 1;
	*uid_r = uid;
	return mailbox_index_take_in(index, row, name, uid, parsed.flags,
	    vanished_r, error_r);
}

/* Loads the folder's index rows (uid, file name, flags) into arena. */
static int
mailbox_index_load_known(struct mailbox_index *index,
    const struct mailbox_index_row *row, struct arena *arena,
    struct mailbox_index_known **known_r, size_t *count_r,
    const char **error_r)
{
	struct mailbox_index_known *known = NULL, *bigger;
	size_t count = 0, capacity = 0;
	sqlite3_stmt *statement;
	const char *name, *colon;
	int rc;

	statement = database_statement(index->database,
	    "SELECT uid, file_name, flags FROM messages WHERE folder_id = ?",
	    error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		if (count == capacity) {
			capacity = capacity == 0 ? 256 : capacity * 2;
			bigger = arena_array(arena, capacity, sizeof(*known));
			if (count > 0)
				memcpy(bigger, known, count * sizeof(*known));
			known = bigger;
		}
		name = arena_strdup(arena,
		    (const char *)sqlite3_column_text(statement, 1));
		colon = strchr(name, ':');
		known[count].uid = (uint32_t)sqlite3_column_int64(statement,
		    0);
		known[count].file_name = name;
		known[count].key = colon == NULL ? name :
		    arena_strndup(arena, name, (size_t)(colon - name));
		known[count].flags = (unsigned)sqlite3_column_int(statement,
		    2);
		known[count].seen = false;
		count++;
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE)
		return mailbox_index_database_error(index, "load messages",
		    error_r);
	if (count > 0)
		qsort(known, count, sizeof(*known),
		    mailbox_index_known_compare);
	*known_r = known;
	*count_r = count;
	return 0;
}

/* A file we know under a new name: mirror its flags into the index. */
static int
mailbox_index_renamed(struct mailbox_index *index,
    struct mailbox_index_row *row, struct mailbox_index_known *known,
    const char *name, const char **error_r)
{
	struct maildir_name parsed;
	sqlite3_stmt *statement;

	if (maildir_name_parse(name, &parsed) == 0)
		return 0;
	statement = database_statement(index->database,
	    "UPDATE messages SET file_name = ?, flags = ?,"
	    " modseq = CASE WHEN flags = ? THEN modseq ELSE ? END"
	    " WHERE folder_id = ? AND uid = ?", error_r);
	if (statement == NULL)
		return -1;
	if (parsed.flags != known->flags)
		row->highest_modseq++;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(statement, 2, (int)parsed.flags);
	sqlite3_bind_int(statement, 3, (int)parsed.flags);
	sqlite3_bind_int64(statement, 4, (int64_t)row->highest_modseq);
	sqlite3_bind_int64(statement, 5, row->id);
	sqlite3_bind_int64(statement, 6, known->uid);
	return mailbox_index_step_done(index, statement, "update message",
	    error_r);
}

/* One scan of new/ and cur/, inside a write transaction. Sets *retry_r
 * when a file moved under it (another writer): the caller scans again. */
static int
mailbox_index_scan(struct mailbox_index *index, struct mailbox_index_row *row,
    struct mailbox_index_sync_result *result, bool *retry_r,
    const char **error_r)
{
	struct mailbox_index_entry *cur, *new_entries, *pending;
	struct mailbox_index_known *known, *found, probe;
	size_t cur_count, new_count, known_count, pending_count = 0, i;
	struct maildir_name parsed;
	struct arena *arena;
	bool vanished;
	uint32_t uid;
	int ret = -1, taken;

	index->scan_count++;
	arena = arena_new("mailbox scan", 65536);
	if (mailbox_index_load_known(index, row, arena, &known, &known_count,
	    error_r) < 0 ||
	    mailbox_index_read_directory(arena, row->path, "cur", &cur,
	    &cur_count, error_r) < 0 ||
	    mailbox_index_read_directory(arena, row->path, "new",
	    &new_entries, &new_count, error_r) < 0)
		goto out;

	pending = arena_array(arena, cur_count + 1, sizeof(*pending));
	for (i = 0; i < cur_count; i++) {
		probe.key = cur[i].key;
		found = known_count == 0 ? NULL : bsearch(&probe, known,
		    known_count, sizeof(*known), mailbox_index_known_compare);
		if (found != NULL && !found->seen) {
			found->seen = true;
			if (strcmp(found->file_name, cur[i].name) != 0 &&
			    mailbox_index_renamed(index, row, found,
			    cur[i].name, error_r) < 0)
				goto out;
			continue;
		}
		if (maildir_name_parse(cur[i].name, &parsed) == 0)
			continue;
		pending[pending_count] = cur[i];
		pending[pending_count].uid = parsed.uid;
		pending_count++;
	}
	/* Vanished files first: their UIDs are below UIDNEXT anyway. */
	for (i = 0; i < known_count; i++) {
		if (!known[i].seen && mailbox_index_forget(index, row,
		    known[i].uid, error_r) < 0)
			goto out;
	}
	if (pending_count > 0)
		qsort(pending, pending_count, sizeof(*pending),
		    mailbox_index_entry_compare_uid);
	for (i = 0; i < pending_count; i++) {
		vanished = false;
		if (pending[i].uid != 0 && pending[i].uid >= row->uidnext) {
			if (maildir_name_parse(pending[i].name, &parsed) == 0)
				continue;
			taken = mailbox_index_take_in(index, row,
			    pending[i].name, pending[i].uid, parsed.flags,
			    &vanished, error_r);
			if (taken > 0)
				row->uidnext = pending[i].uid + 1;
		} else {
			taken = mailbox_index_adopt(index, row, "cur",
			    pending[i].name, &uid, &vanished, error_r);
		}
		if (taken < 0)
			goto out;
		if (vanished)
			*retry_r = true;
	}
	if (new_count > 0)
		qsort(new_entries, new_count, sizeof(*new_entries),
		    mailbox_index_entry_compare_name);
	for (i = 0; i < new_count; i++) {
		vanished = false;
		uid = 0;
		taken = mailbox_index_adopt(index, row, "new",
		    new_entries[i].name, &uid, &vanished, error_r);
		if (taken < 0)
			goto out;
		if (vanished)
			*retry_r = true;
		if (uid != 0) {
			if (result->first_recent_uid == 0)
				result->first_recent_uid = uid;
			result->recent++;
		}
	}
	if (mailbox_index_row_save(index, row, error_r) < 0 ||
	    mailbox_index_prune(index, row, error_r) < 0)
		goto out;
	ret = 0;
out:
	arena_free(&arena);
	return ret;
}

/* The safety window for these mtimes (see DESIGN): 2 s when both look
 * like whole seconds, else 100 ms. */
static int64_t
mailbox_index_window(int64_t new_mtime, int64_t cur_mtime)
{
	if (new_mtime % 1000000000LL == 0 && cur_mtime % 1000000000LL == 0)
		return MAILBOX_INDEX_RESCAN_NSEC;
	return MAILBOX_INDEX_RESCAN_FINE_NSEC;
}

/* Whether the stored directory mtimes still vouch for the index. */
static bool
mailbox_index_scan_needed(const struct mailbox_index_row *row,
    int64_t new_mtime, int64_t cur_mtime)
{
	return new_mtime != row->new_mtime || cur_mtime != row->cur_mtime ||
	    MAX(new_mtime, cur_mtime) + mailbox_index_window(new_mtime,
	    cur_mtime) >= row->scanned_at;
}

/* The mtime of folder/sub in *mtime_r. */
static int
mailbox_index_directory_mtime(const char *folder, const char *sub,
    int64_t *mtime_r, const char **error_r)
{
	char path[PATH_MAX];
	struct stat st;

	if (mailbox_index_file_path(path, sizeof(path), folder, sub, NULL,
	    error_r) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return mailbox_index_fail(errno, error_r, "stat %s: %s", path,
		    strerror(errno));
	*mtime_r = mailbox_index_mtime(&st);
	return 0;
}

/* Inside a write transaction, after the row's reload and before the
 * first change to its cur/: whether the folder is settled and cur/
 * unchanged since, so our own changes may be recorded (see DESIGN). */
static void
mailbox_index_own_begin(struct mailbox_index_row *row,
    struct mailbox_index_own *own)
{
	int64_t new_mtime, cur_mtime;
	const char *error;

	own->settled = mailbox_index_directory_mtime(row->path, "new",
	    &new_mtime, &error) == 0 &&
	    mailbox_index_directory_mtime(row->path, "cur", &cur_mtime,
	    &error) == 0 &&
	    !mailbox_index_scan_needed(row, new_mtime, cur_mtime) &&
	    mailbox_index_window(new_mtime, cur_mtime) ==
	    MAILBOX_INDEX_RESCAN_FINE_NSEC;
}

/* After the last change to row's cur/, before the row is saved: when
 * own_begin found the folder settled, stores cur/'s mtime as it is now
 * and keeps the folder settled; otherwise leaves the row as it was, so
 * the next sync scans. */
static void
mailbox_index_own_end(struct mailbox_index_row *row,
    const struct mailbox_index_own *own)
{
	int64_t cur_mtime;
	const char *error;

	if (!own->settled || mailbox_index_directory_mtime(row->path, "cur",
	    &cur_mtime, &error) < 0)
		return;
	row->cur_mtime = cur_mtime;
	/* scanned_at is where the stored mtimes count as vouched for: just
	 * past the window, as a scan that late would have found nothing
	 * but our own change. */
	row->scanned_at = MAX(row->scanned_at, MAX(row->new_mtime,
	    cur_mtime) + MAILBOX_INDEX_RESCAN_FINE_NSEC + 1);
}

/* Brings the index of row's folder up to date with its directories. */
static int
mailbox_index_sync(struct mailbox_index *index, struct mailbox_index_row *row,
    struct mailbox_index_sync_result *result, const char **error_r)
{
	char path[PATH_MAX];
	struct stat st;
	int64_t new_mtime, cur_mtime, now;
	bool retry;
	int attempt;

	memset(result, 0, sizeof(*result));
	for (attempt = 0; attempt < MAILBOX_INDEX_SCAN_ATTEMPTS; attempt++) {
		now = mailbox_index_now_nsec();
		if (mailbox_index_file_path(path, sizeof(path), row->path,
		    "new", NULL, error_r) < 0)
			return -1;
		if (stat(path, &st) < 0)
			return mailbox_index_fail(errno, error_r,
			    "stat %s: %s", path, strerror(errno));
		new_mtime = mailbox_index_mtime(&st);
		if (mailbox_index_file_path(path, sizeof(path), row->path,
		    "cur", NULL, error_r) < 0)
			return -1;
		if (stat(path, &st) < 0)
			return mailbox_index_fail(errno, error_r,
			    "stat %s: %s", path, strerror(errno));
		cur_mtime = mailbox_index_mtime(&st);
		if (!mailbox_index_scan_needed(row, new_mtime, cur_mtime))
			return 0;
		if (database_begin(index->database, error_r) < 0)
			return -1;
		if (mailbox_index_row_reload(index, row, error_r) < 0)
			goto fail;
		if (!mailbox_index_scan_needed(row, new_mtime, cur_mtime)) {
			/* Another handle scanned meanwhile. */
			database_rollback(index->database);
			return 0;
		}
		retry = false;
		row->new_mtime = new_mtime;
		row->cur_mtime = cur_mtime;
		row->scanned_at = now;
		if (mailbox_index_scan(index, row, result, &retry,
		    error_r) < 0 ||
		    database_commit(index->database, error_r) < 0)
			goto fail;
		if (!retry)
			return 0;
	}
	return 0;
fail:
	database_rollback(index->database);
	return -1;
}

/* mailbox_index_folder_find and sync. */
static int
mailbox_index_folder_sync(struct mailbox_index *index, const char *name,
    struct mailbox_index_row *row, struct mailbox_index_sync_result *result,
    const char **error_r)
{
	struct mailbox_index_sync_result ignored;

	if (mailbox_index_folder_find(index, name, row, error_r) < 0)
		return -1;
	return mailbox_index_sync(index, row, result != NULL ? result :
	    &ignored, error_r);
}

/* Keywords */

static int
mailbox_index_string_compare(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Splits space-separated words into a sorted, duplicate-free array. */
static size_t
mailbox_index_words(struct arena *arena, const char *text, const char ***r)
{
	const char **words;
	size_t count = 0, capacity = 1, i, out;
	const char *p, *end;

	for (p = text != NULL ? text : ""; *p != '\0'; p++) {
		if (*p == ' ')
			capacity++;
	}
	words = arena_array(arena, capacity, sizeof(*words));
	for (p = text != NULL ? text : ""; *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		end = p;
		while (*end != '\0' && *end != ' ')
			end++;
		if (end > p)
			words[count++] = arena_strndup(arena, p,
			    (size_t)(end - p));
	}
	qsort(words, count, sizeof(*words), mailbox_index_string_compare);
	for (i = 0, out = 0; i < count; i++) {
		if (out == 0 || strcmp(words[out - 1], words[i]) != 0)
			words[out++] = words[i];
	}
	*r = words;
	return out;
}

static const char *
mailbox_index_join(struct arena *arena, const char **words, size_t count)
{
	size_t length = 1, i;
	char *text, *p;

	for (i = 0; i < count; i++)
		length += strlen(words[i]) + 1;
	p = text = arena_alloc(arena, length);
	for (i = 0; i < count; i++) {
		if (i > 0)
			*p++ = ' ';
		p = stpcpy(p, words[i]);
	}
	return text;
}

static bool
mailbox_index_has_word(const char **words, size_t count, const char *word)
{
	return count > 0 && bsearch(&word, words, count, sizeof(*words),
	    mailbox_index_string_compare) != NULL;
}

/* The keywords of a message after a store in mode. */
static const char *
mailbox_index_keywords_apply(struct arena *arena, const char *old,
    const char *given, enum mailbox_store_mode mode)
{
	const char **a, **b, **out;
	size_t a_count, b_count, count = 0, i;

	a_count = mailbox_index_words(arena, old, &a);
	b_count = mailbox_index_words(arena, given, &b);
	if (mode == MAILBOX_STORE_REPLACE)
		return mailbox_index_join(arena, b, b_count);
	out = arena_array(arena, a_count + b_count + 1, sizeof(*out));
	for (i = 0; i < a_count; i++) {
		if (mode == MAILBOX_STORE_ADD ||
		    !mailbox_index_has_word(b, b_count, a[i]))
			out[count++] = a[i];
	}
	if (mode == MAILBOX_STORE_ADD) {
		for (i = 0; i < b_count; i++) {
			if (!mailbox_index_has_word(a, a_count, b[i]))
				out[count++] = b[i];
		}
		qsort(out, count, sizeof(*out), mailbox_index_string_compare);
	}
	return mailbox_index_join(arena, out, count);
}

/* Records keywords as defined in the folder; EDQUOT past the limit. */
static int
mailbox_index_keywords_define(struct mailbox_index *index,
    const struct mailbox_index_row *row, struct arena *arena,
    const char *keywords, const char **error_r)
{
	sqlite3_stmt *statement;
	const char **words;
	size_t count, i;
	int64_t defined = 0;
	int rc;

	count = mailbox_index_words(arena, keywords, &words);
	if (count == 0)
		return 0;
	statement = database_statement(index->database,
	    "SELECT count(*) FROM keywords WHERE folder_id = ?", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		defined = sqlite3_column_int64(statement, 0);
	sqlite3_reset(statement);
	if (rc != SQLITE_ROW)
		return mailbox_index_database_error(index, "count keywords",
		    error_r);
	for (i = 0; i < count; i++) {
		statement = database_statement(index->database,
		    "INSERT OR IGNORE INTO keywords (folder_id, keyword)"
		    " VALUES (?, ?)", error_r);
		if (statement == NULL)
			return -1;
		sqlite3_bind_int64(statement, 1, row->id);
		sqlite3_bind_text(statement, 2, words[i], -1, SQLITE_STATIC);
		if (mailbox_index_step_done(index, statement,
		    "insert keyword", error_r) < 0)
			return -1;
		defined += database_changes(index->database);
		if (defined > MAILBOX_INDEX_KEYWORDS_MAX)
			return mailbox_index_fail(EDQUOT, error_r,
			    "%s: too many keywords (at most %d)", row->name,
			    MAILBOX_INDEX_KEYWORDS_MAX);
	}
	return 0;
}

/* Open and close */

int
mailbox_index_open(const char *maildir_path, struct mailbox_index **index_r,
    const char **error_r)
{
	struct mailbox_index *index;
	struct mailbox_index_row row;
	char path[PATH_MAX];
	int64_t initialized = 0;
	size_t i;
	int ret;

	*index_r = NULL;
	if (maildir_create(maildir_path, error_r) < 0)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", maildir_path,
	    MAILBOX_INDEX_FILE) >= sizeof(path))
		return mailbox_index_fail(ENAMETOOLONG, error_r,
		    "%s: path too long", maildir_path);
	index = alloc_new(struct mailbox_index);
	index->path = alloc_strdup(maildir_path);
	if (database_open(path, mailbox_index_migrations,
	    ARRAY_LENGTH(mailbox_index_migrations), false, &index->database,
	    error_r) < 0) {
		mailbox_index_close(&index);
		errno = EIO;
		return -1;
	}
	if (database_begin(index->database, error_r) < 0)
		goto fail;
	ret = mailbox_index_row_load(index, "INBOX", &row, error_r);
	if (ret == 0)
		ret = mailbox_index_register(index, "INBOX", error_r);
	if (ret < 0 || mailbox_index_meta_get(index, "initialized",
	    &initialized, error_r) < 0)
		goto fail;
	for (i = 0; initialized == 0 && i < ARRAY_LENGTH(mailbox_index_defaults);
	    i++) {
		ret = mailbox_index_row_load(index,
		    mailbox_index_defaults[i].name, &row, error_r);
		if (ret < 0 || mailbox_index_folder_path(index,
		    mailbox_index_defaults[i].name, path, sizeof(path),
		    error_r) < 0)
			goto fail;
		if (ret > 0)
			continue;
		ret = mailbox_index_directory_exists(path) ?
		    mailbox_index_register(index,
		    mailbox_index_defaults[i].name, error_r) :
		    mailbox_index_make_folder(index,
		    mailbox_index_defaults[i].name, error_r);
		if (ret < 0)
			goto fail;
	}
	if (mailbox_index_meta_raise(index, "initialized", 1, error_r) < 0 ||
	    database_commit(index->database, error_r) < 0)
		goto fail;
	/* A new index (first open, or rebuilding a lost one) takes in the
	 * folders other tools or an earlier index left. */
	if (initialized == 0 && mailbox_index_discover(index, error_r) < 0)
		goto fail_closed;
	*index_r = index;
	return 0;
fail:
	database_rollback(index->database);
fail_closed:
	{
		int saved = errno;

		mailbox_index_close(&index);
		errno = saved;
	}
	return -1;
}

void
mailbox_index_close(struct mailbox_index **index_p)
{
	struct mailbox_index *index = *index_p;

	if (index == NULL)
		return;
	database_close(&index->database);
	free(index->path);
	free(index);
	*index_p = NULL;
}

/* Folders */

int
mailbox_index_list(struct mailbox_index *index, struct arena *arena,
    struct mailbox_index_folder **folders_r, size_t *count_r,
    const char **error_r)
{
	struct mailbox_index_folder *folders = NULL, *bigger;
	size_t count = 0, capacity = 0;
	sqlite3_stmt *statement;
	int rc;

	if (mailbox_index_discover(index, error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    "SELECT f.name, f.special_use, f.subscribed, EXISTS (SELECT 1"
	    " FROM folders c WHERE c.name > f.name || '.'"
	    " AND c.name < f.name || '/') FROM folders f"
	    " ORDER BY f.name <> 'INBOX', f.name", error_r);
	if (statement == NULL)
		return -1;
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		if (count == capacity) {
			capacity = capacity == 0 ? 16 : capacity * 2;
			bigger = arena_array(arena, capacity,
			    sizeof(*folders));
			if (count > 0)
				memcpy(bigger, folders,
				    count * sizeof(*folders));
			folders = bigger;
		}
		folders[count].name = arena_strdup(arena,
		    (const char *)sqlite3_column_text(statement, 0));
		folders[count].special_use =
		    (unsigned)sqlite3_column_int(statement, 1);
		folders[count].subscribed = sqlite3_column_int(statement,
		    2) != 0;
		folders[count].has_children = sqlite3_column_int(statement,
		    3) != 0;
		count++;
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE)
		return mailbox_index_database_error(index, "list folders",
		    error_r);
	*folders_r = folders;
	*count_r = count;
	return 0;
}

/* Whether canonical name has rows below it. */
static int
mailbox_index_children(struct mailbox_index *index, const char *name,
    bool *has_r, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(index->database,
	    "SELECT EXISTS (SELECT 1 FROM folders WHERE name > ?1 || '.'"
	    " AND name < ?1 || '/')", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	*has_r = rc == SQLITE_ROW && sqlite3_column_int(statement, 0) != 0;
	sqlite3_reset(statement);
	if (rc != SQLITE_ROW)
		return mailbox_index_database_error(index, "children",
		    error_r);
	return 0;
}

int
mailbox_index_create(struct mailbox_index *index, const char *name,
    const char **error_r)
{
	char canonical[MAILBOX_INDEX_NAME_MAX + 1], path[PATH_MAX];
	struct mailbox_index_row row;
	int ret;

	if (!mailbox_index_canonical(name, canonical))
		return mailbox_index_fail(EINVAL, error_r,
		    "invalid folder name");
	if (mailbox_index_folder_path(index, canonical, path, sizeof(path),
	    error_r) < 0)
		return -1;
	if (database_begin(index->database, error_r) < 0)
		return -1;
	ret = mailbox_index_row_load(index, canonical, &row, error_r);
	if (ret == 0 && mailbox_index_directory_exists(path)) {
		/* Another tool made it: take it in, but it existed. */
		ret = mailbox_index_register(index, canonical, error_r);
		if (ret == 0)
			ret = 1;
	}
	if (ret > 0) {
		if (database_commit(index->database, error_r) < 0)
			goto fail;
		return mailbox_index_fail(EEXIST, error_r,
		    "%s: folder exists", canonical);
	}
	if (ret < 0 || mailbox_index_make_parents(index, canonical,
	    error_r) < 0 ||
	    mailbox_index_make_folder(index, canonical, error_r) < 0 ||
	    database_commit(index->database, error_r) < 0)
		goto fail;
	return 0;
fail:
	{
		int saved = errno;

		database_rollback(index->database);
		errno = saved;
	}
	return -1;
}

int
mailbox_index_delete(struct mailbox_index *index, const char *name,
    const char **error_r)
{
	struct mailbox_index_row row;
	char trash[PATH_MAX];
	sqlite3_stmt *statement;
	bool children;

	if (mailbox_index_folder_find(index, name, &row, error_r) < 0)
		return -1;
	if (strcmp(row.name, "INBOX") == 0)
		return mailbox_index_fail(EINVAL, error_r,
		    "INBOX cannot be deleted");
	if (database_begin(index->database, error_r) < 0)
		return -1;
	if (mailbox_index_row_reload(index, &row, error_r) < 0 ||
	    mailbox_index_children(index, row.name, &children, error_r) < 0)
		goto fail;
	if (children) {
		(void)mailbox_index_fail(EINVAL, error_r,
		    "%s: has children", row.name);
		goto fail;
	}
	/* Out of sight in one step, then removed at leisure. */
	snprintf(trash, sizeof(trash), "%s/tmp/sluice-deleted.%ld.%u.%lld",
	    index->path, (long)getpid(), index->counter++,
	    (long long)mailbox_index_now_nsec());
	if (rename(row.path, trash) < 0 && errno != ENOENT) {
		(void)mailbox_index_fail(errno, error_r, "rename %s: %s",
		    row.path, strerror(errno));
		goto fail;
	}
	statement = database_statement(index->database,
	    "DELETE FROM folders WHERE id = ?", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_int64(statement, 1, row.id);
	if (mailbox_index_step_done(index, statement, "delete folder",
	    error_r) < 0 || database_commit(index->database, error_r) < 0)
		goto fail;
	(void)durable_directory_sync(index->path, error_r);
	(void)nftw(trash, mailbox_index_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
fail:
	{
		int saved = errno;

		database_rollback(index->database);
		errno = saved;
	}
	return -1;
}

int
mailbox_index_subscribe(struct mailbox_index *index, const char *name,
    bool subscribed, const char **error_r)
{
	struct mailbox_index_row row;
	sqlite3_stmt *statement;

	if (mailbox_index_folder_find(index, name, &row, error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    "UPDATE folders SET subscribed = ? WHERE id = ?", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int(statement, 1, subscribed);
	sqlite3_bind_int64(statement, 2, row.id);
	return mailbox_index_step_done(index, statement, "subscribe",
	    error_r);
}

/* Messages */

int
mailbox_index_status(struct mailbox_index *index, const char *name,
    struct mailbox_status *status_r, const char **error_r)
{
	struct mailbox_index_sync_result result;
	struct mailbox_index_row row;
	sqlite3_stmt *statement;
	int rc;

	memset(status_r, 0, sizeof(*status_r));
	if (mailbox_index_folder_sync(index, name, &row, &result,
	    error_r) < 0 ||
	    mailbox_index_read_begin(index, error_r) < 0)
		return -1;
	if (mailbox_index_row_reload(index, &row, error_r) < 0)
		goto fail;
	statement = database_statement(index->database,
	    "SELECT count(*), coalesce(sum((flags & 1) = 0), 0),"
	    " coalesce(sum(size_crlf), 0) FROM messages WHERE folder_id = ?",
	    error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_int64(statement, 1, row.id);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW) {
		status_r->messages = (uint32_t)sqlite3_column_int64(statement,
		    0);
		status_r->unseen = (uint32_t)sqlite3_column_int64(statement,
		    1);
		status_r->size_crlf = (uint64_t)sqlite3_column_int64(statement,
		    2);
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_ROW) {
		(void)mailbox_index_database_error(index, "status", error_r);
		goto fail;
	}
	mailbox_index_read_end(index);
	status_r->recent = result.recent;
	status_r->uidnext = row.uidnext;
	status_r->uidvalidity = row.uidvalidity;
	status_r->highest_modseq = row.highest_modseq;
	return 0;
fail:
	mailbox_index_read_end(index);
	return -1;
}

static void
mailbox_index_message_read(struct arena *arena, sqlite3_stmt *statement,
    int first, struct mailbox_message *message)
{
	message->flags = (unsigned)sqlite3_column_int(statement, first);
	message->keywords = arena_strdup(arena,
	    (const char *)sqlite3_column_text(statement, first + 1));
	message->size = (uint64_t)sqlite3_column_int64(statement, first + 2);
	message->size_crlf = (uint64_t)sqlite3_column_int64(statement,
	    first + 3);
	message->internal_date = sqlite3_column_int64(statement, first + 4);
	message->modseq = (uint64_t)sqlite3_column_int64(statement, first + 5);
	message->file_name = arena_strdup(arena,
	    (const char *)sqlite3_column_text(statement, first + 6));
}

/* Appends uid to a growing arena array. */
static void
mailbox_index_push_uid(struct arena *arena, uint32_t **uids, size_t *count,
    size_t *capacity, uint32_t uid)
{
	uint32_t *bigger;

	if (*count == *capacity) {
		*capacity = *capacity == 0 ? 64 : *capacity * 2;
		bigger = arena_array(arena, *capacity, sizeof(*bigger));
		if (*count > 0)
			memcpy(bigger, *uids, *count * sizeof(*bigger));
		*uids = bigger;
	}
	(*uids)[(*count)++] = uid;
}

/* Expunged UIDs since since_modseq. When that is older than the kept
 * history, every UID below uidnext the folder lacks (a superset the
 * caller filters by the UIDs it knows). */
static int
mailbox_index_changes_expunged(struct mailbox_index *index,
    const struct mailbox_index_row *row, uint64_t since_modseq,
    struct arena *arena, struct mailbox_changes *changes,
    const char **error_r)
{
	size_t capacity = 0, i;
	sqlite3_stmt *statement;
	uint32_t next = 1;
	int rc;

	if (since_modseq >= row->expunged_floor) {
		statement = database_statement(index->database,
		    "SELECT uid FROM expunged WHERE folder_id = ?"
		    " AND modseq > ? ORDER BY uid", error_r);
		if (statement == NULL)
			return -1;
		sqlite3_bind_int64(statement, 1, row->id);
		sqlite3_bind_int64(statement, 2, (int64_t)since_modseq);
		while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
			mailbox_index_push_uid(arena, &changes->expunged,
			    &changes->expunged_count, &capacity,
			    (uint32_t)sqlite3_column_int64(statement, 0));
		sqlite3_reset(statement);
		if (rc != SQLITE_DONE)
			return mailbox_index_database_error(index,
			    "read expunged", error_r);
		return 0;
	}
	statement = database_statement(index->database,
	    "SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid",
	    error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, row->id);
	for (;;) {
		uint32_t present = row->uidnext;

		rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			present = (uint32_t)sqlite3_column_int64(statement, 0);
		else if (rc != SQLITE_DONE)
			break;
		for (i = next; i < present; i++)
			mailbox_index_push_uid(arena, &changes->expunged,
			    &changes->expunged_count, &capacity, (uint32_t)i);
		next = present + 1;
		if (rc == SQLITE_DONE)
			break;
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE)
		return mailbox_index_database_error(index, "read uids",
		    error_r);
	return 0;
}

int
mailbox_index_changes(struct mailbox_index *index, const char *name,
    uint64_t since_modseq, struct arena *arena,
    struct mailbox_changes *changes_r, const char **error_r)
{
	struct mailbox_index_sync_result result;
	struct mailbox_index_row row;
	struct mailbox_message *messages = NULL, *bigger;
	size_t count = 0, capacity = 0;
	sqlite3_stmt *statement;
	int rc;

	memset(changes_r, 0, sizeof(*changes_r));
	if (mailbox_index_folder_sync(index, name, &row, &result,
	    error_r) < 0 ||
	    mailbox_index_read_begin(index, error_r) < 0)
		return -1;
	if (mailbox_index_row_reload(index, &row, error_r) < 0)
		goto fail;
	statement = database_statement(index->database,
	    "SELECT uid, flags, keywords, size, size_crlf, internal_date,"
	    " modseq, file_name FROM messages WHERE folder_id = ?"
	    " AND modseq > ? ORDER BY uid", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_int64(statement, 1, row.id);
	sqlite3_bind_int64(statement, 2, (int64_t)since_modseq);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		if (count == capacity) {
			capacity = capacity == 0 ? 64 : capacity * 2;
			bigger = arena_array(arena, capacity,
			    sizeof(*messages));
			if (count > 0)
				memcpy(bigger, messages,
				    count * sizeof(*messages));
			messages = bigger;
		}
		messages[count].uid = (uint32_t)sqlite3_column_int64(statement,
		    0);
		mailbox_index_message_read(arena, statement, 1,
		    &messages[count]);
		count++;
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE) {
		(void)mailbox_index_database_error(index, "read changes",
		    error_r);
		goto fail;
	}
	if (since_modseq != 0 && mailbox_index_changes_expunged(index, &row,
	    since_modseq, arena, changes_r, error_r) < 0)
		goto fail;
	mailbox_index_read_end(index);
	changes_r->uidvalidity = row.uidvalidity;
	changes_r->uidnext = row.uidnext;
	changes_r->highest_modseq = row.highest_modseq;
	changes_r->messages = messages;
	changes_r->message_count = count;
	changes_r->first_recent_uid = result.first_recent_uid != 0 ?
	    result.first_recent_uid : row.uidnext;
	return 0;
fail:
	mailbox_index_read_end(index);
	return -1;
}

/* Whether uid is among the count ascending uids. */
static bool
mailbox_index_uid_listed(const uint32_t *uids, size_t count, uint32_t uid)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (uids[middle] == uid)
			return true;
		if (uids[middle] < uid)
			low = middle + 1;
		else
			high = middle;
	}
	return false;
}

/* Appends the messages with uid in [first, last] that uids lists to
 * messages (room for capacity), counting them in *count. */
static int
mailbox_index_messages_range(struct mailbox_index *index, int64_t folder_id,
    uint32_t first, uint32_t last, const uint32_t *uids, size_t uid_count,
    struct arena *arena, struct mailbox_message *messages, size_t capacity,
    size_t *count, const char **error_r)
{
	/* uids lists every UID of the range: no need to look each up. */
	bool dense = (uint64_t)last - first + 1 == uid_count;
	sqlite3_stmt *statement;
	uint32_t uid;
	int rc;

	statement = database_statement(index->database,
	    "SELECT uid, flags, keywords, size, size_crlf, internal_date,"
	    " modseq, file_name FROM messages WHERE folder_id = ?"
	    " AND uid BETWEEN ? AND ? ORDER BY uid", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, folder_id);
	sqlite3_bind_int64(statement, 2, first);
	sqlite3_bind_int64(statement, 3, last);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		uid = (uint32_t)sqlite3_column_int64(statement, 0);
		if (*count == capacity || (dense ? false :
		    !mailbox_index_uid_listed(uids, uid_count, uid)))
			continue;
		messages[*count].uid = uid;
		mailbox_index_message_read(arena, statement, 1,
		    &messages[*count]);
		(*count)++;
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE)
		return mailbox_index_database_error(index, "read messages",
		    error_r);
	return 0;
}

int
mailbox_index_messages(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, struct arena *arena,
    struct mailbox_message **messages_r, size_t *count_r,
    const char **error_r)
{
	char canonical[MAILBOX_INDEX_NAME_MAX + 1];
	struct mailbox_index_row row;
	struct mailbox_message *messages;
	size_t count = 0, runs = 1, start, i;
	int ret;

	*messages_r = NULL;
	*count_r = 0;
	if (!mailbox_index_canonical(name, canonical))
		return mailbox_index_fail(EINVAL, error_r,
		    "invalid folder name");
	for (i = 1; i < uid_count; i++) {
		if (uids[i] <= uids[i - 1])
			return mailbox_index_fail(EINVAL, error_r,
			    "UIDs not ascending");
		runs += uids[i] != uids[i - 1] + 1;
	}
	if (uid_count == 0)
		return 0;
	if (mailbox_index_read_begin(index, error_r) < 0)
		return -1;
	ret = mailbox_index_row_load(index, canonical, &row, error_r);
	if (ret <= 0) {
		mailbox_index_read_end(index);
		return ret < 0 ? -1 : mailbox_index_fail(ENOENT, error_r,
		    "%s: no such folder", canonical);
	}
	messages = arena_array(arena, uid_count, sizeof(*messages));
	if (runs > 1 && (uint64_t)uids[uid_count - 1] - uids[0] + 1 <=
	    (uint64_t)runs * MAILBOX_INDEX_LOOKUP_SPAN_PER_RUN) {
		/* One pass over the span beats many small queries. */
		if (mailbox_index_messages_range(index, row.id, uids[0],
		    uids[uid_count - 1], uids, uid_count, arena, messages,
		    uid_count, &count, error_r) < 0)
			goto fail;
	} else {
		for (start = 0, i = 1; i <= uid_count; i++) {
			if (i < uid_count && uids[i] == uids[i - 1] + 1)
				continue;
			if (mailbox_index_messages_range(index, row.id,
			    uids[start], uids[i - 1], uids + start,
			    i - start, arena, messages, uid_count, &count,
			    error_r) < 0)
				goto fail;
			start = i;
		}
	}
	mailbox_index_read_end(index);
	*messages_r = messages;
	*count_r = count;
	return 0;
fail:
	mailbox_index_read_end(index);
	return -1;
}

uint64_t
mailbox_index_scan_count(const struct mailbox_index *index)
{
	return index->scan_count;
}

/* Writes data to file with CRLF turned into LF (a lone CR or LF stays);
 * sets *size_crlf_r to the wire size of what was stored. */
static int
mailbox_index_write_lf(struct durable_file *file, const unsigned char *data,
    size_t length, uint64_t *size_crlf_r, const char **error_r)
{
	unsigned char buffer[65536];
	size_t used = 0, i;
	uint64_t extra = 0;
	unsigned char last = 0;

	for (i = 0; i < length; i++) {
		if (data[i] == '\r' && i + 1 < length && data[i + 1] == '\n')
			continue;
		if (data[i] == '\n' && last != '\r')
			extra++;
		last = data[i];
		buffer[used++] = data[i];
		if (used == sizeof(buffer)) {
			if (durable_file_write(file, buffer, used, error_r) < 0)
				return -1;
			used = 0;
		}
	}
	if (used > 0 && durable_file_write(file, buffer, used, error_r) < 0)
		return -1;
	*size_crlf_r = durable_file_size(file) + extra;
	return 0;
}

/* A unique base name "SECONDS.MUSECPPIDQN.HOST,S=SIZE". */
static void
mailbox_index_base_name(struct mailbox_index *index, uint64_t size,
    char *dst, size_t dst_size)
{
	char host[64], *p;
	struct timespec ts;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (p = host; *p != '\0'; p++) {
		if (*p == '/' || *p == ':' || *p == ',')
			*p = '_';
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(dst, dst_size, "%lld.M%ldP%ldQ%u.%s,S=%llu",
	    (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000), (long)getpid(),
	    index->counter++, host, (unsigned long long)size);
}

int
mailbox_index_append(struct mailbox_index *index, const char *name,
    const unsigned char *data, size_t length, unsigned flags,
    const char *keywords, int64_t internal_date, uint32_t *uid_r,
    uint32_t *uidvalidity_r, const char **error_r)
{
	char base[MAILDIR_NAME_MAX + 1], file_name[MAILDIR_NAME_MAX + 1];
	char tmp_path[PATH_MAX], final_path[PATH_MAX], tmp_name[64];
	struct mailbox_index_own own;
	struct mailbox_index_row row;
	struct durable_file *file = NULL;
	struct timespec times[2];
	sqlite3_stmt *statement;
	struct arena *arena;
	uint64_t size, size_crlf;
	const char **words;
	size_t word_count;
	bool linked = false;
	int ret, saved;

	flags &= MAILBOX_INDEX_ALL_FLAGS;
	if (length > MAILBOX_INDEX_MESSAGE_MAX)
		return mailbox_index_fail(EFBIG, error_r,
		    "message too large (%zu bytes)", length);
	if (mailbox_index_folder_find(index, name, &row, error_r) < 0)
		return -1;
	snprintf(tmp_name, sizeof(tmp_name), "sluice-append.%ld.%u",
	    (long)getpid(), index->counter++);
	if (mailbox_index_file_path(tmp_path, sizeof(tmp_path), row.path,
	    "tmp", tmp_name, error_r) < 0)
		return -1;
	if (durable_file_create_unnamed(tmp_path, &file, error_r) < 0)
		return -1;
	if (mailbox_index_write_lf(file, data, length, &size_crlf,
	    error_r) < 0) {
		durable_file_abort(&file);
		return -1;
	}
	size = durable_file_size(file);
	mailbox_index_base_name(index, size, base, sizeof(base));
	arena = arena_new("mailbox append", 0);
	word_count = mailbox_index_words(arena, keywords, &words);
	if (database_begin(index->database, error_r) < 0)
		goto fail;
	if (mailbox_index_row_reload(index, &row, error_r) < 0 ||
	    mailbox_index_keywords_define(index, &row, arena, keywords,
	    error_r) < 0)
		goto fail;
	if (maildir_name_format(file_name, sizeof(file_name), base,
	    row.uidnext, flags, NULL) < 0 ||
	    mailbox_index_file_path(final_path, sizeof(final_path), row.path,
	    "cur", file_name, error_r) < 0) {
		(void)mailbox_index_fail(ENAMETOOLONG, error_r,
		    "%s: file name too long", row.path);
		goto fail;
	}
	mailbox_index_own_begin(&row, &own);
	ret = durable_file_commit_exclusive(&file, final_path, error_r);
	if (ret <= 0) {
		if (ret == 0)
			(void)mailbox_index_fail(EEXIST, error_r,
			    "%s: exists", final_path);
		goto fail;
	}
	linked = true;
	times[0].tv_sec = times[1].tv_sec = internal_date != 0 ?
	    (time_t)internal_date : time(NULL);
	times[0].tv_nsec = times[1].tv_nsec = 0;
	(void)utimensat(AT_FDCWD, final_path, times, 0);
	statement = database_statement(index->database,
	    mailbox_index_sql_insert_message, error_r);
	if (statement == NULL)
		goto fail;
	row.highest_modseq++;
	sqlite3_bind_int64(statement, 1, row.id);
	sqlite3_bind_int64(statement, 2, row.uidnext);
	sqlite3_bind_text(statement, 3, file_name, -1, SQLITE_STATIC);
	sqlite3_bind_int(statement, 4, (int)flags);
	sqlite3_bind_text(statement, 5, mailbox_index_join(arena, words,
	    word_count), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(statement, 6, (int64_t)size);
	sqlite3_bind_int64(statement, 7, (int64_t)size_crlf);
	sqlite3_bind_int64(statement, 8, (int64_t)times[1].tv_sec);
	sqlite3_bind_int64(statement, 9, (int64_t)row.highest_modseq);
	*uid_r = row.uidnext;
	row.uidnext++;
	mailbox_index_own_end(&row, &own);
	if (mailbox_index_step_done(index, statement, "insert message",
	    error_r) < 0 ||
	    mailbox_index_row_save(index, &row, error_r) < 0 ||
	    database_commit(index->database, error_r) < 0)
		goto fail;
	*uidvalidity_r = row.uidvalidity;
	arena_free(&arena);
	return 0;
fail:
	saved = errno;
	database_rollback(index->database);
	if (linked)
		(void)unlink(final_path);
	durable_file_abort(&file);
	arena_free(&arena);
	errno = saved;
	return -1;
}

/* Finds the file of key in folder/cur (another tool renamed it after
 * our scan): copies its name into dst; 1 found, 0 not, -1 error. */
static int
mailbox_index_find_key(const char *folder, const char *file_name, char *dst,
    size_t size, const char **error_r)
{
	char path[PATH_MAX];
	const char *colon = strchr(file_name, ':');
	size_t key_length = colon != NULL ? (size_t)(colon - file_name) :
	    strlen(file_name);
	struct dirent *entry;
	int found = 0;
	DIR *dir;

	if (mailbox_index_file_path(path, sizeof(path), folder, "cur", NULL,
	    error_r) < 0)
		return -1;
	dir = opendir(path);
	if (dir == NULL)
		return mailbox_index_fail(errno, error_r, "opendir %s: %s",
		    path, strerror(errno));
	while (found == 0 && (entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, file_name, key_length) == 0 &&
		    (entry->d_name[key_length] == ':' ||
		    entry->d_name[key_length] == '\0') &&
		    strlen(entry->d_name) < size) {
			strcpy(dst, entry->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}

/* Runs operation(folder/cur/name, argument) and, when the file was
 * renamed by someone else (ENOENT), once more on its current name; that
 * other program changed cur/, so own (when not NULL) may no longer
 * record our changes alone. Returns 1 done (current name in name), 0 the
 * file is gone, -1. */
static int
mailbox_index_on_file(const char *folder, char *name, size_t name_size,
    int (*operation)(const char *path, void *context), void *context,
    struct mailbox_index_own *own, const char **error_r)
{
	char path[PATH_MAX];
	int attempt, ret;

	for (attempt = 0; attempt < 2; attempt++) {
		if (mailbox_index_file_path(path, sizeof(path), folder, "cur",
		    name, error_r) < 0)
			return -1;
		if (operation(path, context) == 0)
			return 1;
		if (errno != ENOENT)
			return mailbox_index_fail(errno, error_r, "%s: %s",
			    path, strerror(errno));
		if (own != NULL)
			own->settled = false;
		if (attempt > 0)
			break;
		ret = mailbox_index_find_key(folder, name, name, name_size,
		    error_r);
		if (ret <= 0)
			return ret;
	}
	return 0;
}

static int
mailbox_index_rename_to(const char *path, void *context)
{
	return rename(path, context);
}

static int
mailbox_index_unlink(const char *path, void *context ATTR_UNUSED)
{
	return unlink(path);
}

int
mailbox_index_store(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, enum mailbox_store_mode mode,
    unsigned flags, const char *keywords, uint64_t unchanged_since,
    struct arena *arena, struct mailbox_message **changed_r,
    size_t *changed_count_r, uint32_t **modified_r,
    size_t *modified_count_r, const char **error_r)
{
	char file_name[MAILDIR_NAME_MAX + 1], new_name[MAILDIR_NAME_MAX + 1];
	char new_path[PATH_MAX];
	struct mailbox_message *changed, message;
	struct mailbox_index_own own;
	struct mailbox_index_row row;
	struct maildir_name parsed;
	sqlite3_stmt *statement;
	const char *new_keywords;
	size_t changed_count = 0, modified_capacity = 0, i;
	unsigned new_flags;
	int rc, ret;

	*changed_r = NULL;
	*changed_count_r = 0;
	*modified_r = NULL;
	*modified_count_r = 0;
	flags &= MAILBOX_INDEX_ALL_FLAGS;
	changed = arena_array(arena, uid_count + 1, sizeof(*changed));
	if (mailbox_index_folder_sync(index, name, &row, NULL, error_r) < 0 ||
	    database_begin(index->database, error_r) < 0)
		return -1;
	if (mailbox_index_row_reload(index, &row, error_r) < 0)
		goto fail;
	if (mode != MAILBOX_STORE_REMOVE && mailbox_index_keywords_define(
	    index, &row, arena, keywords, error_r) < 0)
		goto fail;
	mailbox_index_own_begin(&row, &own);
	for (i = 0; i < uid_count; i++) {
		statement = database_statement(index->database,
		    mailbox_index_sql_message, error_r);
		if (statement == NULL)
			goto fail;
		sqlite3_bind_int64(statement, 1, row.id);
		sqlite3_bind_int64(statement, 2, uids[i]);
		rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			mailbox_index_message_read(arena, statement, 0,
			    &message);
		sqlite3_reset(statement);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW) {
			(void)mailbox_index_database_error(index,
			    "read message", error_r);
			goto fail;
		}
		message.uid = uids[i];
		if (unchanged_since != 0 && message.modseq > unchanged_since) {
			mailbox_index_push_uid(arena, modified_r,
			    modified_count_r, &modified_capacity, uids[i]);
			continue;
		}
		new_flags = mode == MAILBOX_STORE_REPLACE ? flags :
		    mode == MAILBOX_STORE_ADD ? message.flags | flags :
		    message.flags & ~flags;
		new_keywords = mailbox_index_keywords_apply(arena,
		    message.keywords, keywords, mode);
		if (new_flags == message.flags &&
		    strcmp(new_keywords, message.keywords) == 0)
			continue;
		snprintf(file_name, sizeof(file_name), "%s",
		    message.file_name);
		if (new_flags != message.flags) {
			if (maildir_name_parse(file_name, &parsed) == 0 ||
			    maildir_name_format(new_name, sizeof(new_name),
			    parsed.base, parsed.uid != 0 ? parsed.uid :
			    uids[i], new_flags, parsed.extra) < 0 ||
			    mailbox_index_file_path(new_path,
			    sizeof(new_path), row.path, "cur", new_name,
			    error_r) < 0) {
				(void)mailbox_index_fail(EINVAL, error_r,
				    "%s: bad file name", message.file_name);
				goto fail;
			}
			ret = mailbox_index_on_file(row.path, file_name,
			    sizeof(file_name), mailbox_index_rename_to,
			    new_path, &own, error_r);
			if (ret < 0)
				goto fail;
			if (ret == 0)
				continue; /* gone: the next sync expunges it */
			snprintf(file_name, sizeof(file_name), "%s", new_name);
		}
		statement = database_statement(index->database,
		    "UPDATE messages SET flags = ?, keywords = ?,"
		    " file_name = ?, modseq = ? WHERE folder_id = ?"
		    " AND uid = ?", error_r);
		if (statement == NULL)
			goto fail;
		row.highest_modseq++;
		sqlite3_bind_int(statement, 1, (int)new_flags);
		sqlite3_bind_text(statement, 2, new_keywords, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(statement, 3, file_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(statement, 4, (int64_t)row.highest_modseq);
		sqlite3_bind_int64(statement, 5, row.id);
		sqlite3_bind_int64(statement, 6, uids[i]);
		if (mailbox_index_step_done(index, statement,
		    "update message", error_r) < 0)
			goto fail;
		message.flags = new_flags;
		message.keywords = new_keywords;
		message.file_name = arena_strdup(arena, file_name);
		message.modseq = row.highest_modseq;
		changed[changed_count++] = message;
	}
	mailbox_index_own_end(&row, &own);
	if (mailbox_index_row_save(index, &row, error_r) < 0 ||
	    database_commit(index->database, error_r) < 0)
		goto fail;
	*changed_r = changed;
	*changed_count_r = changed_count;
	return 0;
fail:
	{
		int saved = errno;

		database_rollback(index->database);
		errno = saved;
	}
	*modified_count_r = 0;
	return -1;
}


int
mailbox_index_expunge(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, struct arena *arena,
    uint32_t **expunged_r, size_t *expunged_count_r, const char **error_r)
{
	char file_name[MAILDIR_NAME_MAX + 1], cur_path[PATH_MAX];
	struct mailbox_index_own own;
	struct mailbox_index_row row;
	sqlite3_stmt *statement;
	uint32_t *found = NULL;
	const char **names = NULL;
	size_t found_count = 0, capacity = 0, names_capacity = 0, i;
	uint32_t uid;
	int rc;

	*expunged_r = NULL;
	*expunged_count_r = 0;
	if (mailbox_index_folder_sync(index, name, &row, NULL, error_r) < 0 ||
	    database_begin(index->database, error_r) < 0)
		return -1;
	if (mailbox_index_row_reload(index, &row, error_r) < 0)
		goto fail;
	statement = database_statement(index->database,
	    "SELECT uid, file_name FROM messages WHERE folder_id = ?"
	    " AND (flags & 8) <> 0 ORDER BY uid", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_int64(statement, 1, row.id);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		uid = (uint32_t)sqlite3_column_int64(statement, 0);
		if (uids != NULL && !mailbox_index_uid_listed(uids, uid_count,
		    uid))
			continue;
		if (found_count == names_capacity) {
			const char **bigger;

			names_capacity = names_capacity == 0 ? 64 :
			    names_capacity * 2;
			bigger = arena_array(arena, names_capacity,
			    sizeof(*bigger));
			if (found_count > 0)
				memcpy(bigger, names,
				    found_count * sizeof(*bigger));
			names = bigger;
		}
		names[found_count] = arena_strdup(arena,
		    (const char *)sqlite3_column_text(statement, 1));
		mailbox_index_push_uid(arena, &found, &found_count, &capacity,
		    uid);
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE) {
		(void)mailbox_index_database_error(index, "read deleted",
		    error_r);
		goto fail;
	}
	mailbox_index_own_begin(&row, &own);
	for (i = 0; i < found_count; i++) {
		snprintf(file_name, sizeof(file_name), "%s", names[i]);
		if (mailbox_index_on_file(row.path, file_name,
		    sizeof(file_name), mailbox_index_unlink, NULL, &own,
		    error_r) < 0 ||
		    mailbox_index_forget(index, &row, found[i], error_r) < 0)
			goto fail;
	}
	mailbox_index_own_end(&row, &own);
	if (found_count > 0 && (mailbox_index_row_save(index, &row,
	    error_r) < 0 || mailbox_index_prune(index, &row, error_r) < 0))
		goto fail;
	if (database_commit(index->database, error_r) < 0)
		goto fail;
	if (found_count > 0 && mailbox_index_file_path(cur_path,
	    sizeof(cur_path), row.path, "cur", NULL, error_r) == 0)
		(void)durable_directory_sync(cur_path, error_r);
	*expunged_r = found;
	*expunged_count_r = found_count;
	return 0;
fail:
	{
		int saved = errno;

		database_rollback(index->database);
		errno = saved;
	}
	return -1;
}

/* Copies the file at source to destination through destination's tmp/
 * (for a destination on another filesystem). */
static int
mailbox_index_copy_file(const char *source, const char *tmp_path,
    const char *destination, const char **error_r)
{
	struct durable_file *file;
	unsigned char *data;
	size_t length;
	int ret;

	if (durable_file_read_whole(source, MAILBOX_INDEX_MESSAGE_MAX, &data,
	    &length, error_r) < 0)
		return -1;
	if (durable_file_create_unnamed(tmp_path, &file, error_r) < 0) {
		free(data);
		return -1;
	}
	ret = durable_file_write(file, data, length, error_r);
	free(data);
	if (ret < 0) {
		durable_file_abort(&file);
		return -1;
	}
	ret = durable_file_commit_exclusive(&file, destination, error_r);
	if (ret == 0)
		return mailbox_index_fail(EEXIST, error_r, "%s: exists",
		    destination);
	return ret < 0 ? -1 : 0;
}

struct mailbox_index_link {
	const char *destination;
	const char *tmp_path;
	const char *error;
};

static int
mailbox_index_link_to(const char *path, void *context)
{
	struct mailbox_index_link *link_context = context;

	if (link(path, link_context->destination) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
	    errno != ENOTSUP)
		return -1;
	return mailbox_index_copy_file(path, link_context->tmp_path,
	    link_context->destination, &link_context->error);
}

int
mailbox_index_copy(struct mailbox_index *index, const char *source,
    const uint32_t *uids, size_t uid_count, const char *destination,
    bool move, struct arena *arena, uint32_t *uidvalidity_r,
    uint32_t **source_uids_r, uint32_t **destination_uids_r,
    size_t *copied_count_r, const char **error_r)
{
	char file_name[MAILDIR_NAME_MAX + 1], new_name[MAILDIR_NAME_MAX + 1];
	char new_path[PATH_MAX], tmp_path[PATH_MAX], cur_path[PATH_MAX];
	char tmp_name[64];
	struct mailbox_index_row source_row, destination_storage, *target;
	struct mailbox_index_own source_own, target_own = { false };
	struct mailbox_index_link link_context;
	struct mailbox_message message;
	struct maildir_name parsed;
	sqlite3_stmt *statement;
	uint32_t *from, *to;
	size_t copied = 0, i;
	int rc, ret;

	*source_uids_r = *destination_uids_r = NULL;
	*copied_count_r = 0;
	from = arena_array(arena, uid_count + 1, sizeof(*from));
	to = arena_array(arena, uid_count + 1, sizeof(*to));
	if (mailbox_index_folder_sync(index, source, &source_row, NULL,
	    error_r) < 0 ||
	    mailbox_index_folder_find(index, destination,
	    &destination_storage, error_r) < 0 ||
	    database_begin(index->database, error_r) < 0)
		return -1;
	/* COPY into the same folder works on one row. */
	target = destination_storage.id == source_row.id ? &source_row :
	    &destination_storage;
	if (mailbox_index_row_reload(index, &source_row, error_r) < 0 ||
	    (target != &source_row && mailbox_index_row_reload(index, target,
	    error_r) < 0))
		goto fail;
	snprintf(tmp_name, sizeof(tmp_name), "sluice-copy.%ld.%u",
	    (long)getpid(), index->counter++);
	if (mailbox_index_file_path(tmp_path, sizeof(tmp_path), target->path,
	    "tmp", tmp_name, error_r) < 0 ||
	    mailbox_index_file_path(cur_path, sizeof(cur_path), target->path,
	    "cur", NULL, error_r) < 0)
		goto fail;
	mailbox_index_own_begin(&source_row, &source_own);
	if (target != &source_row)
		mailbox_index_own_begin(target, &target_own);
	for (i = 0; i < uid_count; i++) {
		statement = database_statement(index->database,
		    mailbox_index_sql_message, error_r);
		if (statement == NULL)
			goto fail;
		sqlite3_bind_int64(statement, 1, source_row.id);
		sqlite3_bind_int64(statement, 2, uids[i]);
		rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			mailbox_index_message_read(arena, statement, 0,
			    &message);
		sqlite3_reset(statement);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW) {
			(void)mailbox_index_database_error(index,
			    "read message", error_r);
			goto fail;
		}
		if (target->uidnext == UINT32_MAX) {
			(void)mailbox_index_fail(EOVERFLOW, error_r,
			    "%s: UIDs exhausted", target->name);
			goto fail;
		}
		snprintf(file_name, sizeof(file_name), "%s",
		    message.file_name);
		if (maildir_name_parse(file_name, &parsed) == 0 ||
		    maildir_name_format(new_name, sizeof(new_name),
		    parsed.base, target->uidnext, message.flags,
		    parsed.extra) < 0 ||
		    mailbox_index_file_path(new_path, sizeof(new_path),
		    target->path, "cur", new_name, error_r) < 0) {
			(void)mailbox_index_fail(ENAMETOOLONG, error_r,
			    "%s: bad file name", message.file_name);
			goto fail;
		}
		link_context.destination = new_path;
		link_context.tmp_path = tmp_path;
		link_context.error = NULL;
		ret = mailbox_index_on_file(source_row.path, file_name,
		    sizeof(file_name), mailbox_index_link_to, &link_context,
		    &source_own, error_r);
		if (ret < 0) {
			if (link_context.error != NULL)
				*error_r = link_context.error;
			goto fail;
		}
		if (ret == 0)
			continue; /* vanished: the next sync expunges it */
		if (mailbox_index_keywords_define(index, target, arena,
		    message.keywords, error_r) < 0)
			goto fail;
		statement = database_statement(index->database,
		    mailbox_index_sql_insert_message, error_r);
		if (statement == NULL)
			goto fail;
		target->highest_modseq++;
		sqlite3_bind_int64(statement, 1, target->id);
		sqlite3_bind_int64(statement, 2, target->uidnext);
		sqlite3_bind_text(statement, 3, new_name, -1, SQLITE_STATIC);
		sqlite3_bind_int(statement, 4, (int)message.flags);
		sqlite3_bind_text(statement, 5, message.keywords, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(statement, 6, (int64_t)message.size);
		sqlite3_bind_int64(statement, 7, (int64_t)message.size_crlf);
		sqlite3_bind_int64(statement, 8, message.internal_date);
		sqlite3_bind_int64(statement, 9,
		    (int64_t)target->highest_modseq);
		if (mailbox_index_step_done(index, statement,
		    "insert message", error_r) < 0)
			goto fail;
		from[copied] = uids[i];
		to[copied] = target->uidnext++;
		copied++;
		if (move && (mailbox_index_on_file(source_row.path,
		    file_name, sizeof(file_name), mailbox_index_unlink, NULL,
		    &source_own, error_r) < 0 ||
		    mailbox_index_forget(index, &source_row,
		    uids[i], error_r) < 0))
			goto fail;
	}
	if (copied > 0 && durable_directory_sync(cur_path, error_r) < 0)
		goto fail;
	mailbox_index_own_end(&source_row, &source_own);
	if (target != &source_row)
		mailbox_index_own_end(target, &target_own);
	if (mailbox_index_row_save(index, &source_row, error_r) < 0 ||
	    (target != &source_row && mailbox_index_row_save(index, target,
	    error_r) < 0) ||
	    (move && mailbox_index_prune(index, &source_row, error_r) < 0) ||
	    database_commit(index->database, error_r) < 0)
		goto fail;
	*uidvalidity_r = target->uidvalidity;
	*source_uids_r = from;
	*destination_uids_r = to;
	*copied_count_r = copied;
	return 0;
fail:
	{
		int saved = errno;

		database_rollback(index->database);
		errno = saved;
	}
	return -1;
}

/* RENAME INBOX: its messages move to a new folder new_name. */
static int
mailbox_index_rename_inbox(struct mailbox_index *index, const char *new_name,
    const char **error_r)
{
	struct mailbox_changes changes;
	uint32_t *uids, *from, *to, uidvalidity;
	struct arena *arena;
	size_t count, i;
	int ret;

	if (mailbox_index_create(index, new_name, error_r) < 0)
		return -1;
	arena = arena_new("mailbox rename", 0);
	ret = mailbox_index_changes(index, "INBOX", 0, arena, &changes,
	    error_r);
	if (ret == 0) {
		uids = arena_array(arena, changes.message_count + 1,
		    sizeof(*uids));
		for (i = 0; i < changes.message_count; i++)
			uids[i] = changes.messages[i].uid;
		ret = mailbox_index_copy(index, "INBOX", uids,
		    changes.message_count, new_name, true, arena,
		    &uidvalidity, &from, &to, &count, error_r);
	}
	arena_free(&arena);
	return ret;
}

int
mailbox_index_rename(struct mailbox_index *index, const char *old_name,
    const char *new_name, const char **error_r)
{
	char old_canonical[MAILBOX_INDEX_NAME_MAX + 1];
	char new_canonical[MAILBOX_INDEX_NAME_MAX + 1];
	char target[MAILBOX_INDEX_NAME_MAX + 1], target_path[PATH_MAX];
	struct mailbox_index_row row, *rows = NULL;
	size_t old_length, count = 0, i, done = 0;
	sqlite3_stmt *statement;
	int rc, saved;

	if (!mailbox_index_canonical(old_name, old_canonical) ||
	    !mailbox_index_canonical(new_name, new_canonical))
		return mailbox_index_fail(EINVAL, error_r,
		    "invalid folder name");
	if (mailbox_index_folder_find(index, old_canonical, &row,
	    error_r) < 0)
		return -1;
	if (strcmp(new_canonical, "INBOX") == 0 ||
	    mailbox_index_folder_find(index, new_canonical, &row,
	    error_r) == 0)
		return mailbox_index_fail(EEXIST, error_r,
		    "%s: folder exists", new_canonical);
	if (errno != ENOENT)
		return -1;
	old_length = strlen(old_canonical);
	if (strncmp(new_canonical, old_canonical, old_length) == 0 &&
	    new_canonical[old_length] == '.')
		return mailbox_index_fail(EINVAL, error_r,
		    "cannot move %s below itself", old_canonical);
	if (strcmp(old_canonical, "INBOX") == 0)
		return mailbox_index_rename_inbox(index, new_canonical,
		    error_r);
	if (database_begin(index->database, error_r) < 0)
		return -1;
	statement = database_statement(index->database,
	    "SELECT id, name, uidvalidity, uidnext, highest_modseq, new_mtime,"
	    " cur_mtime, scanned_at, expunged_floor FROM folders"
	    " WHERE name = ?1 OR (name > ?1 || '.' AND name < ?1 || '/')"
	    " ORDER BY name", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_text(statement, 1, old_canonical, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		rows = alloc_resize(rows, count + 1, sizeof(*rows));
		mailbox_index_row_read(index, statement, &rows[count++]);
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_DONE) {
		(void)mailbox_index_database_error(index, "rename", error_r);
		goto fail;
	}
	if (mailbox_index_make_parents(index, new_canonical, error_r) < 0)
		goto fail;
	for (i = 0; i < count; i++) {
		if ((size_t)snprintf(target, sizeof(target), "%s%s",
		    new_canonical, rows[i].name + old_length) >=
		    sizeof(target) || !mailbox_index_name_is_valid(target)) {
			(void)mailbox_index_fail(EINVAL, error_r,
			    "%s: new name too long", rows[i].name);
			goto undo;
		}
		if (mailbox_index_folder_path(index, target, target_path,
		    sizeof(target_path), error_r) < 0)
			goto undo;
		if (renameat2(AT_FDCWD, rows[i].path, AT_FDCWD, target_path,
		    RENAME_NOREPLACE) < 0) {
			(void)mailbox_index_fail(errno == ENOTEMPTY ? EEXIST :
			    errno, error_r, "rename %s: %s", rows[i].path,
			    strerror(errno));
			goto undo;
		}
		done = i + 1;
		statement = database_statement(index->database,
		    "UPDATE folders SET name = ? WHERE id = ?", error_r);
		if (statement == NULL)
			goto undo;
		sqlite3_bind_text(statement, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_int64(statement, 2, rows[i].id);
		if (mailbox_index_step_done(index, statement, "rename",
		    error_r) < 0)
			goto undo;
	}
	if (database_commit(index->database, error_r) < 0)
		goto undo;
	free(rows);
	(void)durable_directory_sync(index->path, error_r);
	return 0;
undo:
	saved = errno;
	for (i = done; i > 0; i--) {
		snprintf(target, sizeof(target), "%s%s", new_canonical,
		    rows[i - 1].name + old_length);
		if (mailbox_index_folder_path(index, target, target_path,
		    sizeof(target_path), error_r) == 0)
			(void)rename(target_path, rows[i - 1].path);
	}
	errno = saved;
fail:
	saved = errno;
	free(rows);
	database_rollback(index->database);
	errno = saved;
	return -1;
}

int
mailbox_index_open_message(struct mailbox_index *index, const char *name,
    const struct mailbox_message *message, int *fd_r, const char **error_r)
{
	char file_name[MAILDIR_NAME_MAX + 1], path[PATH_MAX];
	struct mailbox_index_row row;
	sqlite3_stmt *statement;
	int attempt, fd, rc;

	*fd_r = -1;
	if (mailbox_index_folder_find(index, name, &row, error_r) < 0)
		return -1;
	snprintf(file_name, sizeof(file_name), "%s", message->file_name);
	for (attempt = 0; attempt < 3; attempt++) {
		if (mailbox_index_file_path(path, sizeof(path), row.path,
		    "cur", file_name, error_r) < 0)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			*fd_r = fd;
			return 0;
		}
		if (errno != ENOENT)
			return mailbox_index_fail(errno, error_r,
			    "open %s: %s", path, strerror(errno));
		/* Renamed by a flag change (ours after a sync, or another
		 * tool's): ask the index, then the directory. */
		if (attempt == 1 && mailbox_index_sync(index, &row,
		    &(struct mailbox_index_sync_result){ 0 }, error_r) < 0)
			return -1;
		statement = database_statement(index->database,
		    "SELECT file_name FROM messages WHERE folder_id = ?"
		    " AND uid = ?", error_r);
		if (statement == NULL)
			return -1;
		sqlite3_bind_int64(statement, 1, row.id);
		sqlite3_bind_int64(statement, 2, message->uid);
		rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			snprintf(file_name, sizeof(file_name), "%s",
			    (const char *)sqlite3_column_text(statement, 0));
		sqlite3_reset(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			return mailbox_index_database_error(index,
			    "read message", error_r);
	}
	return mailbox_index_fail(ENOENT, error_r, "UID %u: expunged",
	    message->uid);
}

int
mailbox_index_usage(struct mailbox_index *index, uint64_t *bytes_r,
    uint64_t *messages_r, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	*bytes_r = *messages_r = 0;
	statement = database_statement(index->database,
	    "SELECT coalesce(sum(size_crlf), 0), count(*) FROM messages",
	    error_r);
	if (statement == NULL)
		return -1;
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW) {
		*bytes_r = (uint64_t)sqlite3_column_int64(statement, 0);
		*messages_r = (uint64_t)sqlite3_column_int64(statement, 1);
	}
	sqlite3_reset(statement);
	if (rc != SQLITE_ROW)
		return mailbox_index_database_error(index, "usage", error_r);
	return 0;
}
