/* relay_recipients.c: the relay recipient list and the probe answers in
 * sluice.db.
 *
 * DESIGN: bulk changes (an import of a directory export) run in one
 * transaction, validating each address just before its insert, so a bad
 * line leaves the table as it was without a copy of the whole input. */
#include "mailstore/relay_recipients.h"
#include "mailstore/account_database.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/error.h"

#include <time.h>

struct relay_recipients {
	struct database *database;
	char *path;
};

int
relay_recipients_open(const char *database_path,
    struct relay_recipients **recipients_r, const char **error_r)
{
	struct database *database;

	if (account_database_open(database_path, &database, error_r) < 0)
		return -1;
	*recipients_r = alloc_new(struct relay_recipients);
	(*recipients_r)->database = database;
	(*recipients_r)->path = alloc_strdup(database_path);
	return 0;
}

void
relay_recipients_close(struct relay_recipients **recipients_p)
{
	struct relay_recipients *recipients = *recipients_p;

	if (recipients == NULL)
		return;
	database_close(&recipients->database);
	free(recipients->path);
	free(recipients);
	*recipients_p = NULL;
}

static int
relay_recipients_insert(struct relay_recipients *recipients,
    const char *address, bool skip_existing, size_t *added_r,
    const char **error_r)
{
	char canonical[ACCOUNT_DATABASE_ADDRESS_SIZE];
	sqlite3_stmt *statement;
	size_t at;
	int code;

	if (account_database_address_normalize(address, NULL, canonical,
	    sizeof(canonical), &at, error_r) < 0)
		return -1;
	statement = skip_existing ?
	    database_statement(recipients->database,
		"INSERT OR IGNORE INTO relay_recipients (address, domain,"
		" created) VALUES (?1, ?2, ?3)", error_r) :
	    database_statement(recipients->database,
		"INSERT INTO relay_recipients (address, domain, created)"
		" VALUES (?1, ?2, ?3)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, canonical, -1, SQLITE_STATIC);
	sqlite3_bind_text(statement, 2, canonical + at + 1, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 3, (sqlite3_int64)time(NULL));
	if (account_database_step_done(recipients->database, recipients->path,
	    statement, "add relay recipient", &code, error_r) < 0) {
		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			*error_r = error_set("relay recipient %s already "
			    "exists", canonical);
		return -1;
	}
	*added_r += (size_t)database_changes(recipients->database);
	return 0;
}

int
relay_recipients_add(struct relay_recipients *recipients,
    const char *const *addresses, size_t count, bool skip_existing,
    size_t *added_r, const char **error_r)
{
	size_t added = 0, i;

	if (database_begin(recipients->database, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++)
		if (relay_recipients_insert(recipients, addresses[i],
		    skip_existing, &added, error_r) < 0)
			goto rollback;
	if (database_commit(recipients->database, error_r) < 0)
		goto rollback;
	if (added_r != NULL)
		*added_r = added;
	return 0;
rollback:
	database_rollback(recipients->database);
	return -1;
}

int
relay_recipients_remove(struct relay_recipients *recipients,
    const char *const *addresses, size_t count, const char **error_r)
{
	char key[ACCOUNT_DATABASE_ADDRESS_SIZE];
	char shown[ACCOUNT_DATABASE_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	size_t i;
	int code;

	if (database_begin(recipients->database, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (account_database_lowercase(addresses[i], key,
		    sizeof(key)) < 0)
			goto missing;
		statement = database_statement(recipients->database,
		    "DELETE FROM relay_recipients WHERE address = ?1", error_r);
		if (statement == NULL)
			goto rollback;
		sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
		if (account_database_step_done(recipients->database,
		    recipients->path, statement, "remove relay recipient",
		    &code, error_r) < 0)
			goto rollback;
		if (database_changes(recipients->database) == 0)
			goto missing;
	}
	if (database_commit(recipients->database, error_r) < 0)
		goto rollback;
	return 0;
missing:
	*error_r = error_set("no relay recipient %s",
	    account_database_printable(addresses[i], shown, sizeof(shown)));
rollback:
	database_rollback(recipients->database);
	return -1;
}

int
relay_recipients_list(struct relay_recipients *recipients,
    const char *domain, void (*each)(const char *address, void *context),
    void *context, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	if (domain == NULL)
		statement = database_statement(recipients->database,
		    "SELECT address FROM relay_recipients"
		    " ORDER BY domain, address", error_r);
	else
		statement = database_statement(recipients->database,
		    "SELECT address FROM relay_recipients WHERE domain = ?1"
		    " ORDER BY address", error_r);
	if (statement == NULL)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(statement, 1, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
		each((const char *)sqlite3_column_text(statement, 0), context);
	if (rc != SQLITE_DONE) {
		*error_r = account_database_error(recipients->database,
		    recipients->path, "list relay recipients");
		(void)sqlite3_reset(statement);
		return -1;
	}
	return 0;
}

int
relay_recipients_contains(struct relay_recipients *recipients,
    const char *address, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(recipients->database,
	    "SELECT 1 FROM relay_recipients WHERE address = ?1", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	(void)sqlite3_reset(statement);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	*error_r = account_database_error(recipients->database,
	    recipients->path, "look up relay recipient");
	return -1;
}

int
relay_recipients_probe_get(struct relay_recipients *recipients,
    const char *address, struct arena *arena,
    struct relay_recipients_probe *probe_r, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	memset(probe_r, 0, sizeof(*probe_r));
	statement = database_statement(recipients->database,
	    "SELECT accepted, checked, reply FROM recipient_probes"
	    " WHERE address = ?1", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW) {
		probe_r->accepted = sqlite3_column_int(statement, 0) != 0;
		probe_r->checked = sqlite3_column_int64(statement, 1);
		probe_r->reply = arena_strdup(arena,
		    (const char *)sqlite3_column_text(statement, 2));
	}
	(void)sqlite3_reset(statement);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	*error_r = account_database_error(recipients->database,
	    recipients->path, "look up probe");
	return -1;
}

int
relay_recipients_probe_put(struct relay_recipients *recipients,
    const char *address, const struct relay_recipients_probe *probe,
    const char **error_r)
{
	sqlite3_stmt *statement;
	int code;

	statement = database_statement(recipients->database,
	    "INSERT OR REPLACE INTO recipient_probes"
	    " (address, accepted, checked, reply) VALUES (?1, ?2, ?3, ?4)",
	    error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int(statement, 2, probe->accepted ? 1 : 0);
	sqlite3_bind_int64(statement, 3, (sqlite3_int64)probe->checked);
	sqlite3_bind_text(statement, 4, probe->reply,
	    (int)strnlen(probe->reply, RELAY_RECIPIENTS_REPLY_MAX),
	    SQLITE_STATIC);
	return account_database_step_done(recipients->database,
	    recipients->path, statement, "record probe", &code, error_r);
}

int
relay_recipients_probe_expire(struct relay_recipients *recipients,
    int64_t accepted_before, int64_t refused_before, const char **error_r)
{
	sqlite3_stmt *statement;
	int code;

	statement = database_statement(recipients->database,
	    "DELETE FROM recipient_probes WHERE (accepted AND checked < ?1)"
	    " OR (NOT accepted AND checked < ?2)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_int64(statement, 1, (sqlite3_int64)accepted_before);
	sqlite3_bind_int64(statement, 2, (sqlite3_int64)refused_before);
	return account_database_step_done(recipients->database,
	    recipients->path, statement, "expire probes", &code, error_r);
}
