/* database.h: SQLite with our defaults: WAL, busy timeout, migrations.
 *
 * Each database file has an ordered list of migrations; opening applies
 * those newer than PRAGMA user_version inside one transaction. A
 * struct database is one SQLite connection and belongs to one thread at
 * a time (open one per thread that needs it; WAL lets them share the
 * file). Prepared statements are cached per connection, keyed by the
 * SQL text pointer, so pass string literals. */
#ifndef SLUICE_DATABASE_H
#define SLUICE_DATABASE_H

#include "lib/common.h"

#include <sqlite3.h>

struct database;

struct database_migration {
	int version;     /* 1, 2, 3 ... in order */
	const char *sql; /* one or more statements */
};

#define DATABASE_BUSY_TIMEOUT_MSEC 5000

/* Opens (creating if needed, mode 0600) path with SQLITE_OPEN_NOMUTEX,
 * sets journal_mode=WAL, synchronous=NORMAL in WAL (FULL when durable
 * is true), foreign_keys=ON and the busy timeout, and applies pending
 * migrations: all of them, and the PRAGMA user_version bump, in one
 * BEGIN IMMEDIATE transaction, so a failing migration leaves the file
 * as it was. Migration SQL must not contain BEGIN/COMMIT, and cannot
 * switch foreign_keys (a no-op inside a transaction). Versions must
 * strictly increase (checked with ASSERT). Fails if the file's
 * user_version is newer than the last migration (downgrade). Returns
 * 0, or -1 with error_r ("PATH: reason"). */
int database_open(const char *path, const struct database_migration *migrations,
    size_t migration_count, bool durable, struct database **database_r,
    const char **error_r);

/* Finalizes cached statements and closes. Sets *database_p to NULL. */
void database_close(struct database **database_p);

sqlite3 *database_handle(struct database *database);

/* Returns a cached statement for sql, already reset and with bindings
 * cleared, or NULL with error_r. The cache is keyed by the pointer, so
 * sql must outlive the connection (a string literal). The caller steps
 * it and must not finalize it. A statement left after SQLITE_ROW keeps
 * its read transaction open until the next database_statement() for the
 * same sql, so callers sqlite3_reset() it when they stop early. Getting
 * the same sql again resets it: do not nest uses of one statement. */
sqlite3_stmt *database_statement(struct database *database, const char *sql,
    const char **error_r);

/* Runs one or more statements without results. */
int database_exec(struct database *database, const char *sql,
    const char **error_r);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. When commit fails the
 * transaction may still be open: call rollback. rollback never fails
 * visibly and is a no-op outside a transaction. */
int database_begin(struct database *database, const char **error_r);
int database_commit(struct database *database, const char **error_r);
void database_rollback(struct database *database);

/* sqlite3_changes() of the last statement. */
int database_changes(struct database *database);

#endif
