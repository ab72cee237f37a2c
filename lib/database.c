/* database.c: one SQLite connection with our pragmas, schema migrations
 * and a prepared-statement cache.
 *
 * DESIGN: connections are opened with SQLITE_OPEN_NOMUTEX because each
 * belongs to one thread; WAL lets those per-thread connections read
 * while one writes, and the busy timeout makes writers queue instead of
 * failing. The statement cache is an open-addressing hash table keyed
 * by the SQL text's address: callers pass string literals, so a pointer
 * comparison replaces hashing the text on every lookup. */
#include "lib/database.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"

#include <fcntl.h>
#include <unistd.h>

#define DATABASE_CACHE_INITIAL 16

struct database_cached_statement {
	const char *sql; /* NULL: free slot */
	sqlite3_stmt *statement;
};

struct database {
	sqlite3 *handle;
	char *path;
	struct database_cached_statement *cache;
	size_t cache_capacity; /* a power of two */
	size_t cache_used;
};

/* Sets error_r to "PATH: what: SQLite's last message". */
static const char *
database_error(struct database *database, const char *what)
{
	return error_set("%s: %s: %s", database->path, what,
	    sqlite3_errmsg(database->handle));
}

static size_t
database_cache_slot(const char *sql, size_t capacity)
{
	uint64_t hash = (uint64_t)(uintptr_t)sql * 0x9e3779b97f4a7c15ULL;

	return (size_t)(hash >> 32) & (capacity - 1);
}

/* Finds sql's slot: the one holding it, or the free slot it would go. */
static struct database_cached_statement *
database_cache_find(struct database_cached_statement *cache, size_t capacity,
    const char *sql)
{
	size_t i = database_cache_slot(sql, capacity);

	while (cache[i].sql != NULL && cache[i].sql != sql)
		i = (i + 1) & (capacity - 1);
	return &cache[i];
}

static void
database_cache_grow(struct database *database)
{
	struct database_cached_statement *old = database->cache, *slot;
	size_t old_capacity = database->cache_capacity, i;

	database->cache_capacity = old_capacity == 0 ?
	    DATABASE_CACHE_INITIAL : old_capacity * 2;
	database->cache = alloc_array(database->cache_capacity,
	    sizeof(*database->cache));
	for (i = 0; i < old_capacity; i++) {
		if (old[i].sql == NULL)
			continue;
		slot = database_cache_find(database->cache,
		    database->cache_capacity, old[i].sql);
		*slot = old[i];
	}
	free(old);
}

sqlite3_stmt *
database_statement(struct database *database, const char *sql,
    const char **error_r)
{
	struct database_cached_statement *slot;
	sqlite3_stmt *statement;
	char what[80];

	slot = database_cache_find(database->cache, database->cache_capacity,
	    sql);
	if (slot->sql != NULL) {
		/* reset() repeats the previous run's error, if any; that
		 * run's caller has dealt with it already. */
		(void)sqlite3_reset(slot->statement);
		sqlite3_clear_bindings(slot->statement);
		return slot->statement;
	}
	if (sqlite3_prepare_v3(database->handle, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
		snprintf(what, sizeof(what), "prepare \"%.60s\"", sql);
		*error_r = database_error(database, what);
		return NULL;
	}
	if (statement == NULL) {
		*error_r = error_set("%s: prepare: no statement in \"%.60s\"",
		    database->path, sql);
		return NULL;
	}
	if ((database->cache_used + 1) * 4 > database->cache_capacity * 3) {
		database_cache_grow(database);
		slot = database_cache_find(database->cache,
		    database->cache_capacity, sql);
	}
	slot->sql = sql;
	slot->statement = statement;
	database->cache_used++;
	return statement;
}

int
database_exec(struct database *database, const char *sql,
    const char **error_r)
{
	char what[80];

	if (sqlite3_exec(database->handle, sql, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(what, sizeof(what), "\"%.60s\"", sql);
		*error_r = database_error(database, what);
		return -1;
	}
	return 0;
}

int
database_begin(struct database *database, const char **error_r)
{
	return database_exec(database, "BEGIN IMMEDIATE", error_r);
}

int
database_commit(struct database *database, const char **error_r)
{
	return database_exec(database, "COMMIT", error_r);
}

void
database_rollback(struct database *database)
{
	/* SQLite rolls back by itself after some errors (SQLITE_FULL,
	 * SQLITE_IOERR ...), so there may be nothing left to undo. */
	if (!sqlite3_get_autocommit(database->handle))
		(void)sqlite3_exec(database->handle, "ROLLBACK", NULL, NULL,
		    NULL);
}

int
database_changes(struct database *database)
{
	return sqlite3_changes(database->handle);
}

sqlite3 *
database_handle(struct database *database)
{
	return database->handle;
}

/* Runs a one-row query (a PRAGMA) and copies its first column as text
 * into value (size bytes). */
static int
database_query_text(struct database *database, const char *sql, char *value,
    size_t size, const char **error_r)
{
	sqlite3_stmt *statement;
	const unsigned char *text;
	int rc;

	if (sqlite3_prepare_v2(database->handle, sql, -1, &statement,
	    NULL) != SQLITE_OK) {
		*error_r = database_error(database, sql);
		return -1;
	}
	rc = sqlite3_step(statement);
	if (rc != SQLITE_ROW) {
		*error_r = rc == SQLITE_DONE ?
		    error_set("%s: %s: no result", database->path, sql) :
		    database_error(database, sql);
		sqlite3_finalize(statement);
		return -1;
	}
	text = sqlite3_column_text(statement, 0);
	snprintf(value, size, "%s", text != NULL ? (const char *)text : "");
	sqlite3_finalize(statement);
	return 0;
}

static int
database_user_version(struct database *database, int *version_r,
    const char **error_r)
{
	char text[32];

	if (database_query_text(database, "PRAGMA user_version", text,
	    sizeof(text), error_r) < 0)
		return -1;
	*version_r = atoi(text);
	return 0;
}

/* Applies the migrations newer than the file's user_version. */
static int
database_migrate(struct database *database,
    const struct database_migration *migrations, size_t migration_count,
    const char **error_r)
{
	int current, latest;
	char sql[64], what[32];
	size_t i;

	latest = migration_count == 0 ? 0 :
	    migrations[migration_count - 1].version;
	if (database_user_version(database, &current, error_r) < 0)
		return -1;
	if (current == latest)
		return 0;
	if (current < latest) {
		/* Another process may be migrating too: decide again under
		 * the write lock. */
		if (database_begin(database, error_r) < 0)
			return -1;
		if (database_user_version(database, &current, error_r) < 0) {
			database_rollback(database);
			return -1;
		}
	}
	if (current == latest) {
		database_rollback(database);
		return 0;
	}
	if (current > latest) {
		database_rollback(database);
		*error_r = error_set("%s: schema version %d is newer than this "
		    "program's %d; refusing to downgrade", database->path,
		    current, latest);
		return -1;
	}
	for (i = 0; i < migration_count; i++) {
		if (migrations[i].version <= current)
			continue;
		if (sqlite3_exec(database->handle, migrations[i].sql, NULL,
		    NULL, NULL) != SQLITE_OK) {
			snprintf(what, sizeof(what), "migration %d",
			    migrations[i].version);
			*error_r = database_error(database, what);
			database_rollback(database);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", latest);
	if (database_exec(database, sql, error_r) < 0) {
		database_rollback(database);
		return -1;
	}
	if (database_commit(database, error_r) < 0) {
		database_rollback(database);
		return -1;
	}
	log_info("event=database_migrated path=%s from=%d to=%d",
	    database->path, current, latest);
	return 0;
}

/* SQLite creates files 0644 (less the umask); make a new file 0600
 * first. An empty file is a valid empty database. */
static int
database_create_private(const char *path, const char **error_r)
{
	int fd;

	if (path[0] == '\0' || path[0] == ':' ||
	    strncmp(path, "file:", 5) == 0)
		return 0; /* temporary, in-memory or URI: leave to SQLite */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		*error_r = error_set_errno("%s: create", path);
		return -1;
	}
	close(fd);
	return 0;
}

/* The per-connection settings; see database_open() in the header. */
static int
database_configure(struct database *database, bool durable,
    const char **error_r)
{
	char mode[32];

	sqlite3_extended_result_codes(database->handle, 1);
	/* Refuse schema-corrupting statements, and make "text" an error
	 * instead of a string literal: it is always a typo in our SQL. */
	sqlite3_db_config(database->handle, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    NULL);
	sqlite3_db_config(database->handle, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(database->handle, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_busy_timeout(database->handle, DATABASE_BUSY_TIMEOUT_MSEC);

	if (database_query_text(database, "PRAGMA journal_mode = WAL", mode,
	    sizeof(mode), error_r) < 0)
		return -1;
	/* An in-memory database reports "memory" and cannot do WAL. */
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		*error_r = error_set("%s: cannot enable WAL (journal mode "
		    "stays %s)", database->path, mode);
		return -1;
	}
	if (database_exec(database, durable ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", error_r) < 0)
		return -1;
	return database_exec(database, "PRAGMA foreign_keys = ON", error_r);
}

int
database_open(const char *path, const struct database_migration *migrations,
    size_t migration_count, bool durable, struct database **database_r,
    const char **error_r)
{
	struct database *database;
	size_t i;
	int rc;

	for (i = 0; i < migration_count; i++)
		ASSERT(migrations[i].version > (i == 0 ? 0 :
		    migrations[i - 1].version));
	if (sqlite3_threadsafe() == 0) {
		*error_r = error_set("%s: SQLite was built without thread "
		    "support", path);
		return -1;
	}
	if (database_create_private(path, error_r) < 0)
		return -1;

	database = alloc_new(struct database);
	database->path = alloc_strdup(path);
	database_cache_grow(database);
	rc = sqlite3_open_v2(path, &database->handle,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		*error_r = database->handle != NULL ?
		    database_error(database, "open") :
		    error_set("%s: open: %s", path, sqlite3_errstr(rc));
		database_close(&database);
		return -1;
	}
	if (database_configure(database, durable, error_r) < 0 ||
	    database_migrate(database, migrations, migration_count,
	    error_r) < 0) {
		database_close(&database);
		return -1;
	}
	*database_r = database;
	return 0;
}

void
database_close(struct database **database_p)
{
	struct database *database = *database_p;
	size_t i;

	if (database == NULL)
		return;
	for (i = 0; i < database->cache_capacity; i++) {
		if (database->cache[i].sql != NULL)
			sqlite3_finalize(database->cache[i].statement);
	}
	if (database->handle != NULL &&
	    sqlite3_close(database->handle) != SQLITE_OK) {
		/* A statement prepared outside the cache is still open:
		 * our bug, but not worth losing the process over. */
		log_error("event=database_close_busy path=%s error=\"%s\"",
		    database->path, sqlite3_errmsg(database->handle));
		sqlite3_close_v2(database->handle);
	}
	free(database->cache);
	free(database->path);
	free(database);
	*database_p = NULL;
}
