/* aliases.c: the aliases table of sluice.db: add, remove, list, look up.
 *
 * DESIGN: one row per (source, destination) pair, in the order added
 * (rowid), with the source's domain in a column of its own so a domain's
 * aliases list through an index. Adding and removing several pairs runs
 * in one transaction, so a failing pair leaves the table as it was. */
#include "mailstore/aliases.h"
#include "mailstore/account_database.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/error.h"

#include <strings.h>
#include <time.h>

struct aliases {
	struct database *database;
	char *path;
};

/* A normalized source or destination: the text as stored, and where its
 * domain starts ("" for postmaster). */
struct aliases_name {
	char text[ACCOUNT_DATABASE_ADDRESS_SIZE];
	const char *domain;
	bool catch_all;
};

int
aliases_open(const char *database_path, struct aliases **aliases_r,
    const char **error_r)
{
	struct database *database;

	if (account_database_open(database_path, &database, error_r) < 0)
		return -1;
	*aliases_r = alloc_new(struct aliases);
	(*aliases_r)->database = database;
	(*aliases_r)->path = alloc_strdup(database_path);
	return 0;
}

void
aliases_close(struct aliases **aliases_p)
{
	struct aliases *aliases = *aliases_p;

	if (aliases == NULL)
		return;
	database_close(&aliases->database);
	free(aliases->path);
	free(aliases);
	*aliases_p = NULL;
}

/* Normalizes "local@domain" or "@domain" (catch-all) into *name. */
static int
aliases_name_normalize(const char *text, struct aliases_name *name,
    const char **error_r)
{
	size_t at;

	name->catch_all = text[0] == '@';
	if (name->catch_all) {
		name->text[0] = '@';
		if (account_database_domain_normalize(text + 1, name->text + 1,
		    sizeof(name->text) - 1, error_r) < 0)
			return -1;
		name->domain = name->text + 1;
		return 0;
	}
	if (account_database_address_normalize(text, NULL, name->text,
	    sizeof(name->text), &at, error_r) < 0)
		return -1;
	name->domain = name->text + at + 1;
	return 0;
}

static int
aliases_source_normalize(const char *source, struct aliases_name *name,
    const char **error_r)
{
	if (strcasecmp(source, ALIASES_POSTMASTER) == 0) {
		snprintf(name->text, sizeof(name->text), "%s",
		    ALIASES_POSTMASTER);
		name->domain = "";
		name->catch_all = false;
		return 0;
	}
	return aliases_name_normalize(source, name, error_r);
}

static int
aliases_destination_normalize(const struct aliases_name *source,
    const char *destination, struct aliases_name *name,
    const char **error_r)
{
	char shown[ACCOUNT_DATABASE_PRINTABLE_SIZE];

	if (aliases_name_normalize(destination, name, error_r) < 0)
		return -1;
	if (name->catch_all && !source->catch_all) {
		*error_r = error_set("destination %s: a domain destination "
		    "needs a catch-all source (@domain)",
		    account_database_printable(destination, shown,
			sizeof(shown)));
		return -1;
	}
	if (name->catch_all && strcmp(name->text, source->text) == 0) {
		*error_r = error_set("alias %s to itself", source->text);
		return -1;
	}
	return 0;
}

/* The number of destinations source has now; -1 with error_r. */
static int64_t
aliases_count(struct aliases *aliases, const char *source,
    const char **error_r)
{
	sqlite3_stmt *statement;
	int64_t count;

	statement = database_statement(aliases->database,
	    "SELECT count(*) FROM aliases WHERE source = ?1", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, source, -1, SQLITE_STATIC);
	if (sqlite3_step(statement) != SQLITE_ROW) {
		*error_r = account_database_error(aliases->database,
		    aliases->path, "count aliases");
		(void)sqlite3_reset(statement);
		return -1;
	}
	count = sqlite3_column_int64(statement, 0);
	(void)sqlite3_reset(statement);
	return count;
}

static int
aliases_insert(struct aliases *aliases, const struct aliases_name *source,
    const struct aliases_name *destination, const char **error_r)
{
	sqlite3_stmt *statement;
	int code;

	statement = database_statement(aliases->database,
	    "INSERT INTO aliases (source, destination, domain, created)"
	    " VALUES (?1, ?2, ?3, ?4)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, source->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(statement, 2, destination->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(statement, 3, source->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 4, (sqlite3_int64)time(NULL));
	if (account_database_step_done(aliases->database, aliases->path,
	    statement, "add alias", &code, error_r) < 0) {
		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			*error_r = error_set("alias %s -> %s already exists",
			    source->text, destination->text);
		return -1;
	}
	return 0;
}

int
aliases_add(struct aliases *aliases, const char *source,
    const char *const *destinations, size_t count, const char **error_r)
{
	struct aliases_name name, *targets;
	int64_t existing;
	size_t i, j;
	int ret = -1;

	if (aliases_source_normalize(source, &name, error_r) < 0)
		return -1;
	if (count == 0 || count > ALIASES_DESTINATIONS_MAX) {
		*error_r = error_set("alias %s: give 1 to %d destinations",
		    name.text, ALIASES_DESTINATIONS_MAX);
		return -1;
	}
	targets = alloc_array(count, sizeof(*targets));
	for (i = 0; i < count; i++) {
		if (aliases_destination_normalize(&name, destinations[i],
		    &targets[i], error_r) < 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (strcmp(targets[j].text, targets[i].text) == 0) {
				*error_r = error_set("destination %s given "
				    "twice", targets[i].text);
				goto out;
			}
		}
	}
	if (database_begin(aliases->database, error_r) < 0)
		goto out;
	existing = aliases_count(aliases, name.text, error_r);
	if (existing < 0)
		goto rollback;
	if ((uint64_t)existing + count > ALIASES_DESTINATIONS_MAX) {
		*error_r = error_set("alias %s would have more than %d "
		    "destinations", name.text, ALIASES_DESTINATIONS_MAX);
		goto rollback;
	}
	for (i = 0; i < count; i++)
		if (aliases_insert(aliases, &name, &targets[i], error_r) < 0)
			goto rollback;
	if (database_commit(aliases->database, error_r) < 0)
		goto rollback;
	ret = 0;
	goto out;
rollback:
	database_rollback(aliases->database);
out:
	free(targets);
	return ret;
}

/* Deletes source's pair with destination, or all its pairs (destination
 * NULL). Returns the number of rows deleted, or -1. */
static int
aliases_delete(struct aliases *aliases, const char *source,
    const char *destination, const char **error_r)
{
	sqlite3_stmt *statement;
	int code;

	statement = destination == NULL ?
	    database_statement(aliases->database,
		"DELETE FROM aliases WHERE source = ?1", error_r) :
	    database_statement(aliases->database,
		"DELETE FROM aliases WHERE source = ?1 AND destination = ?2",
		error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, source, -1, SQLITE_STATIC);
	if (destination != NULL)
		sqlite3_bind_text(statement, 2, destination, -1,
		    SQLITE_STATIC);
	if (account_database_step_done(aliases->database, aliases->path,
	    statement, "remove alias", &code, error_r) < 0)
		return -1;
	return database_changes(aliases->database);
}

int
aliases_remove(struct aliases *aliases, const char *source,
    const char *const *destinations, size_t count, const char **error_r)
{
	char shown[ACCOUNT_DATABASE_PRINTABLE_SIZE];
	char source_key[ACCOUNT_DATABASE_ADDRESS_SIZE];
	char key[ACCOUNT_DATABASE_ADDRESS_SIZE];
	int deleted;
	size_t i;

	/* No validation: whatever is not stored is simply not there. */
	if (account_database_lowercase(source, source_key,
	    sizeof(source_key)) < 0)
		goto no_source;
	if (count == 0) {
		deleted = aliases_delete(aliases, source_key, NULL, error_r);
		if (deleted < 0)
			return -1;
		if (deleted == 0)
			goto no_source;
		return 0;
	}
	if (database_begin(aliases->database, error_r) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		deleted = 0;
		if (account_database_lowercase(destinations[i], key,
		    sizeof(key)) == 0 && (deleted = aliases_delete(aliases,
		    source_key, key, error_r)) < 0)
			goto rollback;
		if (deleted == 0) {
			*error_r = error_set("no alias %s -> %s",
			    account_database_printable(source_key, shown,
				sizeof(shown)),
			    account_database_printable(destinations[i], key,
				sizeof(key)));
			goto rollback;
		}
	}
	if (database_commit(aliases->database, error_r) < 0)
		goto rollback;
	return 0;
rollback:
	database_rollback(aliases->database);
	return -1;
no_source:
	*error_r = error_set("no alias %s",
	    account_database_printable(source, shown, sizeof(shown)));
	return -1;
}

int
aliases_list(struct aliases *aliases, const char *domain,
    void (*each)(const char *source, const char *destination, void *context),
    void *context, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	if (domain == NULL)
		statement = database_statement(aliases->database,
		    "SELECT source, destination FROM aliases"
		    " ORDER BY domain, source, rowid", error_r);
	else
		statement = database_statement(aliases->database,
		    "SELECT source, destination FROM aliases WHERE domain = ?1"
		    " ORDER BY source, rowid", error_r);
	if (statement == NULL)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(statement, 1, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
		each((const char *)sqlite3_column_text(statement, 0),
		    (const char *)sqlite3_column_text(statement, 1), context);
	if (rc != SQLITE_DONE) {
		*error_r = account_database_error(aliases->database,
		    aliases->path, "list aliases");
		(void)sqlite3_reset(statement);
		return -1;
	}
	return 0;
}

int
aliases_lookup(struct aliases *aliases, const char *source,
    struct arena *arena, const char ***destinations_r, size_t *count_r,
    const char **error_r)
{
	const char **destinations = NULL, **grown;
	size_t count = 0, capacity = 0;
	sqlite3_stmt *statement;
	int rc;

	*destinations_r = NULL;
	*count_r = 0;
	statement = database_statement(aliases->database,
	    "SELECT destination FROM aliases WHERE source = ?1 ORDER BY rowid",
	    error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, source, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		if (count == ALIASES_DESTINATIONS_MAX) {
			(void)sqlite3_reset(statement);
			*error_r = error_set("%s: alias %s has more than %d "
			    "destinations", aliases->path, source,
			    ALIASES_DESTINATIONS_MAX);
			return -1;
		}
		if (count == capacity) {
			capacity = capacity == 0 ? 4 : capacity * 2;
			grown = arena_array(arena, capacity, sizeof(*grown));
			if (count > 0)
				memcpy(grown, destinations,
				    count * sizeof(*grown));
			destinations = grown;
		}
		destinations[count++] = arena_strdup(arena,
		    (const char *)sqlite3_column_text(statement, 0));
	}
	if (rc != SQLITE_DONE) {
		*error_r = account_database_error(aliases->database,
		    aliases->path, "look up alias");
		(void)sqlite3_reset(statement);
		return -1;
	}
	*destinations_r = destinations;
	*count_r = count;
	return count > 0 ? 1 : 0;
}
