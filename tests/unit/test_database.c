/* test_database.c: unit tests for lib/database. */
#include "lib/database.h"
#include "tests/unit/harness.h"

#include <pthread.h>
#include <sys/stat.h>

static const struct database_migration migrations_v3[] = {
	{ 1, "CREATE TABLE log (step INTEGER NOT NULL);"
	     "INSERT INTO log VALUES (1);" },
	{ 2, "INSERT INTO log VALUES (2);" },
	{ 3, "INSERT INTO log VALUES (3);" },
};

static const struct database_migration migrations_failing[] = {
	{ 1, "CREATE TABLE log (step INTEGER NOT NULL);"
	     "INSERT INTO log VALUES (1);" },
	{ 2, "INSERT INTO log VALUES (2);" },
	{ 3, "INSERT INTO log VALUES (3); INSERT INTO missing VALUES (1);" },
};

static const char *
database_path(char *dst, size_t size, const char *name)
{
	snprintf(dst, size, "%s/%s", test_temp_dir(), name);
	return dst;
}

/* The log table's steps as digits ("12" for rows 1 and 2). */
static void
log_steps(struct database *database, char *dst, size_t size)
{
	sqlite3_stmt *statement;
	const char *error;
	size_t used = 0;

	dst[0] = '\0';
	statement = database_statement(database,
	    "SELECT step FROM log ORDER BY rowid", &error);
	if (statement == NULL)
		return;
	while (sqlite3_step(statement) == SQLITE_ROW && used + 2 < size) {
		dst[used++] = (char)('0' + sqlite3_column_int(statement, 0));
		dst[used] = '\0';
	}
}

static int
user_version(struct database *database)
{
	sqlite3_stmt *statement;
	const char *error;
	int version = -1;

	statement = database_statement(database, "PRAGMA user_version",
	    &error);
	if (statement != NULL && sqlite3_step(statement) == SQLITE_ROW)
		version = sqlite3_column_int(statement, 0);
	if (statement != NULL)
		sqlite3_reset(statement);
	return version;
}

static void
test_database_migrations_apply_once_in_order(void)
{
	char path[512], steps[16];
	struct database *database = NULL;
	const char *error = NULL;

	database_path(path, sizeof(path), "migrate.db");
	test_require(database_open(path, migrations_v3, 2, false, &database,
	    &error) == 0);
	log_steps(database, steps, sizeof(steps));
	test_assert_string(steps, "12");
	test_assert_int(user_version(database), 2);
	database_close(&database);
	test_assert(database == NULL);

	/* Reopening runs nothing again; a newer list runs only step 3. */
	test_require(database_open(path, migrations_v3, 2, false, &database,
	    &error) == 0);
	log_steps(database, steps, sizeof(steps));
	test_assert_string(steps, "12");
	database_close(&database);
	test_require(database_open(path, migrations_v3, 3, false, &database,
	    &error) == 0);
	log_steps(database, steps, sizeof(steps));
	test_assert_string(steps, "123");
	test_assert_int(user_version(database), 3);
	database_close(&database);
}

static void
test_database_failing_migration_rolls_back(void)
{
	char path[512], steps[16];
	struct database *database = NULL;
	const char *error = NULL;

	database_path(path, sizeof(path), "failing.db");
	test_require(database_open(path, migrations_failing, 1, false,
	    &database, &error) == 0);
	database_close(&database);

	/* Migrations 2 and 3 share one transaction: 3 fails, so 2 is gone
	 * as well. */
	test_assert_int(database_open(path, migrations_failing, 3, false,
	    &database, &error), -1);
	test_assert(database == NULL);
	test_assert(error != NULL && strstr(error, "migration 3") != NULL);
	test_assert(error != NULL && strstr(error, "missing") != NULL);
	test_assert(error != NULL && strstr(error, path) != NULL);

	test_require(database_open(path, migrations_failing, 1, false,
	    &database, &error) == 0);
	log_steps(database, steps, sizeof(steps));
	test_assert_string(steps, "1");
	test_assert_int(user_version(database), 1);
	database_close(&database);
}

static void
test_database_downgrade_refused(void)
{
	char path[512];
	struct database *database = NULL;
	const char *error = NULL;

	database_path(path, sizeof(path), "downgrade.db");
	test_require(database_open(path, migrations_v3, 3, false, &database,
	    &error) == 0);
	database_close(&database);
	test_assert_int(database_open(path, migrations_v3, 2, false, &database,
	    &error), -1);
	test_assert(database == NULL);
	test_assert(error != NULL && strstr(error, "downgrade") != NULL);
	test_assert_int(database_open(path, migrations_v3, 3, false, &database,
	    &error), 0);
	database_close(&database);
}

static void
test_database_pragmas(void)
{
	char path[512];
	struct database *database = NULL;
	sqlite3_stmt *statement;
	const char *error = NULL;
	struct stat st;

	database_path(path, sizeof(path), "pragmas.db");
	test_require(database_open(path, migrations_v3, 1, true, &database,
	    &error) == 0);
	statement = database_statement(database, "PRAGMA journal_mode",
	    &error);
	test_require(statement != NULL);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_string((const char *)sqlite3_column_text(statement, 0),
	    "wal");
	statement = database_statement(database, "PRAGMA foreign_keys",
	    &error);
	test_require(statement != NULL);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(statement, 0), 1);
	statement = database_statement(database, "PRAGMA synchronous",
	    &error);
	test_require(statement != NULL);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(statement, 0), 2); /* FULL */
	sqlite3_reset(statement);
	test_require(stat(path, &st) == 0);
	test_assert_int(st.st_mode & 0777, 0600);
	database_close(&database);
}

static void
test_database_statement_cache(void)
{
	static const char *const many[] = {
		"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5",
		"SELECT 6", "SELECT 7", "SELECT 8", "SELECT 9", "SELECT 10",
		"SELECT 11", "SELECT 12", "SELECT 13", "SELECT 14",
		"SELECT 15", "SELECT 16", "SELECT 17", "SELECT 18",
		"SELECT 19", "SELECT 20", "SELECT 21", "SELECT 22",
	};
	sqlite3_stmt *first[ARRAY_LENGTH(many)];
	char path[512];
	struct database *database = NULL;
	sqlite3_stmt *statement, *again;
	const char *error = NULL;
	size_t i;

	database_path(path, sizeof(path), "cache.db");
	test_require(database_open(path, migrations_v3, 3, false, &database,
	    &error) == 0);

	/* A statement left mid-result comes back reset. */
	statement = database_statement(database,
	    "SELECT step FROM log ORDER BY step", &error);
	test_require(statement != NULL);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(statement, 0), 2);
	again = database_statement(database,
	    "SELECT step FROM log ORDER BY step", &error);
	test_assert(again == statement);
	test_require(sqlite3_step(again) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(again, 0), 1);

	/* Bindings are cleared. */
	statement = database_statement(database, "SELECT ?1", &error);
	test_require(statement != NULL);
	sqlite3_bind_int(statement, 1, 5);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(statement, 0), 5);
	statement = database_statement(database, "SELECT ?1", &error);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_type(statement, 0), SQLITE_NULL);

	/* Enough entries to grow the table; every lookup still hits. */
	for (i = 0; i < ARRAY_LENGTH(many); i++) {
		first[i] = database_statement(database, many[i], &error);
		test_assert(first[i] != NULL);
	}
	for (i = 0; i < ARRAY_LENGTH(many); i++)
		test_assert(database_statement(database, many[i], &error) ==
		    first[i]);

	/* A bad statement is an error naming the file. */
	test_assert(database_statement(database, "SELECT FROM absent_table",
	    &error) == NULL);
	test_assert(strstr(error, path) != NULL);
	test_assert_int(database_exec(database, "INSERT INTO absent_table "
	    "VALUES (1)", &error), -1);
	test_assert(strstr(error, "no such table") != NULL);
	database_close(&database);
}

static void
test_database_transactions(void)
{
	char path[512], steps[16];
	struct database *database = NULL;
	const char *error = NULL;

	database_path(path, sizeof(path), "transactions.db");
	test_require(database_open(path, migrations_v3, 1, false, &database,
	    &error) == 0);
	test_assert_int(database_begin(database, &error), 0);
	test_assert_int(database_exec(database, "INSERT INTO log VALUES (7)",
	    &error), 0);
	test_assert_int(database_changes(database), 1);
	database_rollback(database);
	database_rollback(database);
	test_assert_int(database_begin(database, &error), 0);
	test_assert_int(database_exec(database, "INSERT INTO log VALUES (8)",
	    &error), 0);
	test_assert_int(database_commit(database, &error), 0);
	log_steps(database, steps, sizeof(steps));
	test_assert_string(steps, "18");
	test_assert(database_handle(database) != NULL);
	database_close(&database);
}

#define WRITER_ROWS 200

struct writer {
	const char *path;
	int id;
	int written;
	char error[256];
};

static void *
writer_run(void *context)
{
	struct writer *writer = context;
	struct database *database;
	sqlite3_stmt *statement;
	const char *error;
	int i;

	if (database_open(writer->path, migrations_v3, 1, false, &database,
	    &error) < 0) {
		snprintf(writer->error, sizeof(writer->error), "%s", error);
		return NULL;
	}
	for (i = 0; i < WRITER_ROWS; i++) {
		if (database_begin(database, &error) < 0)
			break;
		statement = database_statement(database,
		    "INSERT INTO log VALUES (?1)", &error);
		if (statement == NULL)
			break;
		sqlite3_bind_int(statement, 1, writer->id);
		if (sqlite3_step(statement) != SQLITE_DONE) {
			error = sqlite3_errmsg(database_handle(database));
			break;
		}
		if (database_commit(database, &error) < 0)
			break;
		writer->written++;
	}
	if (writer->written != WRITER_ROWS) {
		snprintf(writer->error, sizeof(writer->error), "%s", error);
		database_rollback(database);
	}
	database_close(&database);
	return NULL;
}

static void
test_database_two_threads_write(void)
{
	char path[512];
	struct writer writers[2];
	pthread_t threads[2];
	struct database *database = NULL;
	sqlite3_stmt *statement;
	const char *error;
	size_t i;

	database_path(path, sizeof(path), "threads.db");
	test_require(database_open(path, migrations_v3, 1, false, &database,
	    &error) == 0);
	for (i = 0; i < 2; i++) {
		memset(&writers[i], 0, sizeof(writers[i]));
		writers[i].path = path;
		writers[i].id = (int)i + 5;
		test_require(pthread_create(&threads[i], NULL, writer_run,
		    &writers[i]) == 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		test_assert_int(writers[i].written, WRITER_ROWS);
		test_assert_string(writers[i].error, "");
	}
	statement = database_statement(database,
	    "SELECT count(*) FROM log WHERE step IN (5, 6)", &error);
	test_require(statement != NULL);
	test_require(sqlite3_step(statement) == SQLITE_ROW);
	test_assert_int(sqlite3_column_int(statement, 0), 2 * WRITER_ROWS);
	database_close(&database);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_database_migrations_apply_once_in_order),
		TEST_CASE(test_database_failing_migration_rolls_back),
		TEST_CASE(test_database_downgrade_refused),
		TEST_CASE(test_database_pragmas),
		TEST_CASE(test_database_statement_cache),
		TEST_CASE(test_database_transactions),
		TEST_CASE(test_database_two_threads_write),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
