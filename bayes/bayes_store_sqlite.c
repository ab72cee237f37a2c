/* bayes_store_sqlite.c: the SQLite backend of bayes_store (bayes.db).
 *
 * DESIGN: tokens live in one rowid table keyed by the 64-bit hash (stored
 * as the same bits in SQLite's signed INTEGER), with an index on atime for
 * expiry. Totals, including the token count, sit in a one-row table kept
 * exact by triggers, so totals never scan the token table. Reads for a
 * message go through a cached statement with an IN list of 500
 * parameters; the last partial batch binds NULL to the spare slots (NULL
 * matches nothing). Learning upserts each distinct token once; one upsert
 * shape serves learn and relearn (subtract from the old class, add to the
 * new). Everything for one message runs in one BEGIN IMMEDIATE
 * transaction, or in a savepoint inside a caller's batch transaction. */
#include "bayes/bayes_store_private.h"

#include "lib/alloc.h"
#include "lib/database.h"
#include "lib/error.h"

#include <inttypes.h>

#define BATCH 500
#define BACKUP_LINE_MAX 2048

#define Q10 "?,?,?,?,?,?,?,?,?,?"
#define Q50 Q10 "," Q10 "," Q10 "," Q10 "," Q10
#define Q250 Q50 "," Q50 "," Q50 "," Q50 "," Q50
#define Q500 Q250 "," Q250

static const char sql_select_batch[] =
    "SELECT token, spam, ham FROM bayes_token WHERE token IN (" Q500 ")";
static const char sql_touch_batch[] =
    "UPDATE bayes_token SET atime = ?1 WHERE atime < ?1 AND token IN ("
    Q500 ")";
static const char sql_upsert[] =
    "INSERT INTO bayes_token (token, spam, ham, atime) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token) DO UPDATE SET "
    "spam = MAX(spam - ?5, 0) + excluded.spam, "
    "ham = MAX(ham - ?6, 0) + excluded.ham, "
    "atime = MAX(atime, excluded.atime)";
static const char sql_decrement[] =
    "UPDATE bayes_token SET spam = MAX(spam - ?2, 0), "
    "ham = MAX(ham - ?3, 0) WHERE token = ?1";
static const char sql_delete_empty[] =
    "DELETE FROM bayes_token WHERE token = ?1 AND spam = 0 AND ham = 0";
static const char sql_seen_get[] =
    "SELECT is_spam FROM bayes_seen WHERE message_key = ?1";
static const char sql_seen_put[] =
    "INSERT OR REPLACE INTO bayes_seen (message_key, is_spam, learned) "
    "VALUES (?1, ?2, ?3)";
static const char sql_seen_delete[] =
    "DELETE FROM bayes_seen WHERE message_key = ?1";
static const char sql_totals_add[] =
    "UPDATE bayes_total SET spam_messages = MAX(spam_messages + ?1, 0), "
    "ham_messages = MAX(ham_messages + ?2, 0)";
static const char sql_totals_set[] =
    "UPDATE bayes_total SET spam_messages = ?1, ham_messages = ?2";
static const char sql_totals_get[] =
    "SELECT spam_messages, ham_messages, token_count FROM bayes_total";
static const char sql_expire[] =
    "DELETE FROM bayes_token WHERE token IN (SELECT token FROM bayes_token "
    "ORDER BY atime, token LIMIT ?1)";
static const char sql_backup_tokens[] =
    "SELECT token, spam, ham, atime FROM bayes_token ORDER BY token";
static const char sql_backup_seen[] =
    "SELECT message_key, is_spam, learned FROM bayes_seen "
    "ORDER BY message_key";
static const char sql_restore_token[] =
    "INSERT INTO bayes_token (token, spam, ham, atime) "
    "VALUES (?1, ?2, ?3, ?4)";

static const struct database_migration migrations[] = {
	{ 1,
	    "CREATE TABLE bayes_token (token INTEGER PRIMARY KEY,"
	    " spam INTEGER NOT NULL, ham INTEGER NOT NULL,"
	    " atime INTEGER NOT NULL);"
	    "CREATE INDEX bayes_token_atime ON bayes_token (atime);"
	    "CREATE TABLE bayes_total (id INTEGER PRIMARY KEY CHECK (id = 1),"
	    " spam_messages INTEGER NOT NULL, ham_messages INTEGER NOT NULL,"
	    " token_count INTEGER NOT NULL);"
	    "INSERT INTO bayes_total VALUES (1, 0, 0, 0);"
	    "CREATE TABLE bayes_seen (message_key TEXT PRIMARY KEY,"
	    " is_spam INTEGER NOT NULL, learned INTEGER NOT NULL)"
	    " WITHOUT ROWID;"
	    "CREATE TRIGGER bayes_token_insert AFTER INSERT ON bayes_token"
	    " BEGIN UPDATE bayes_total SET token_count = token_count + 1; END;"
	    "CREATE TRIGGER bayes_token_delete AFTER DELETE ON bayes_token"
	    " BEGIN UPDATE bayes_total SET token_count = token_count - 1;"
	    " END;" },
};

struct bayes_store_sqlite {
	struct bayes_store store;
	struct database *database;
	char *path;
	bool batch; /* inside bayes_store_batch_begin/end */
};

static struct bayes_store_sqlite *
sqlite_store(struct bayes_store *store)
{
	return (struct bayes_store_sqlite *)store;
}

static int
database_failed(struct bayes_store_sqlite *s, const char *what,
    const char **error_r)
{
	*error_r = error_set("%s: %s: %s", s->path, what,
	    sqlite3_errmsg(database_handle(s->database)));
	return -1;
}

static sqlite3_stmt *
statement(struct bayes_store_sqlite *s, const char *sql,
    const char **error_r)
{
	sqlite3_stmt *stmt = database_statement(s->database, sql, error_r);

	if (stmt == NULL)
		*error_r = error_set("%s: %s", s->path, *error_r);
	return stmt;
}

/* Every change runs in write_begin/write_end: its own BEGIN IMMEDIATE
 * transaction, or inside a batch a savepoint, so a failed message rolls
 * back alone and the batch carries on. */
static int
write_begin(struct bayes_store_sqlite *s, const char **error_r)
{
	if (s->batch)
		return database_exec(s->database, "SAVEPOINT bayes_change",
		    error_r);
	return database_begin(s->database, error_r);
}

/* Commits the change when result is 0, else rolls it back; returns 0 when
 * committed, -1 otherwise (error_r is kept from the failure). */
static int
write_end(struct bayes_store_sqlite *s, int result, const char **error_r)
{
	const char *ignored;

	if (s->batch) {
		if (result == 0 && database_exec(s->database,
		    "RELEASE bayes_change", error_r) == 0)
			return 0;
		(void)database_exec(s->database, "ROLLBACK TO bayes_change;"
		    "RELEASE bayes_change", &ignored);
		return -1;
	}
	if (result == 0 && database_commit(s->database, error_r) == 0)
		return 0;
	database_rollback(s->database);
	return -1;
}

/* Reads of several statements share one snapshot: a read transaction of
 * their own, or the batch's. */
static int
read_begin(struct bayes_store_sqlite *s, const char **error_r)
{
	return s->batch ? 0 : database_exec(s->database, "BEGIN", error_r);
}

static void
read_end(struct bayes_store_sqlite *s)
{
	if (!s->batch)
		database_rollback(s->database);
}

/* Runs a statement without result rows; the statement is reset after. */
static int
step_done(struct bayes_store_sqlite *s, sqlite3_stmt *stmt, const char *what,
    const char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return database_failed(s, what, error_r);
	return 0;
}

static int
compare_token(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A sorted copy of tokens without duplicates; *unique_count_r entries. */
static uint64_t *
unique_tokens(const uint64_t *tokens, size_t count, size_t *unique_count_r)
{
	uint64_t *copy = alloc_array(count > 0 ? count : 1, sizeof(*copy));
	size_t i, used = 0;

	if (count > 0)
		memcpy(copy, tokens, count * sizeof(*copy));
	qsort(copy, count, sizeof(*copy), compare_token);
	for (i = 0; i < count; i++) {
		if (used == 0 || copy[used - 1] != copy[i])
			copy[used++] = copy[i];
	}
	*unique_count_r = used;
	return copy;
}

static void
sqlite_close(struct bayes_store *store)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	database_close(&s->database);
	alloc_free(&s->path);
	free(s);
}

/* Binds tokens[0..n) to parameters first.. and NULL to the rest of a
 * BATCH-sized IN list. */
static void
bind_batch(sqlite3_stmt *stmt, int first, const uint64_t *tokens, size_t n)
{
	size_t i;

	for (i = 0; i < BATCH; i++) {
		if (i < n)
			sqlite3_bind_int64(stmt, first + (int)i,
			    (sqlite3_int64)tokens[i]);
		else
			sqlite3_bind_null(stmt, first + (int)i);
	}
}

static int
sqlite_get_counts(struct bayes_store *store, const uint64_t *tokens,
    size_t count, struct bayes_store_counts *counts_r, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	uint64_t *sorted;
	size_t unique_count, done, i;
	struct bayes_store_counts *sorted_counts;
	sqlite3_stmt *stmt;
	int rc, ret = -1;

	sorted = unique_tokens(tokens, count, &unique_count);
	sorted_counts = alloc_array(unique_count, sizeof(*sorted_counts));
	/* One read transaction for all batches: a consistent snapshot. */
	if (read_begin(s, error_r) < 0)
		goto out_free;
	for (done = 0; done < unique_count; done += BATCH) {
		size_t n = MIN(unique_count - done, (size_t)BATCH);

		if ((stmt = statement(s, sql_select_batch, error_r)) == NULL)
			goto out;
		bind_batch(stmt, 1, sorted + done, n);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			uint64_t token, *found;

			token = (uint64_t)sqlite3_column_int64(stmt, 0);
			found = bsearch(&token, sorted + done, n,
			    sizeof(*sorted), compare_token);

			ASSERT(found != NULL);
			sorted_counts[found - sorted].spam =
			    (uint64_t)sqlite3_column_int64(stmt, 1);
			sorted_counts[found - sorted].ham =
			    (uint64_t)sqlite3_column_int64(stmt, 2);
		}
		sqlite3_reset(stmt);
		if (rc != SQLITE_DONE) {
			database_failed(s, "read tokens", error_r);
			goto out;
		}
	}
	for (i = 0; i < count; i++) {
		uint64_t *found = bsearch(&tokens[i], sorted, unique_count,
		    sizeof(*sorted), compare_token);

		counts_r[i] = sorted_counts[found - sorted];
	}
	ret = 0;
out:
	read_end(s);
out_free:
	free(sorted_counts);
	free(sorted);
	return ret;
}

static int
sqlite_get_totals(struct bayes_store *store,
    struct bayes_store_totals *totals_r, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	sqlite3_stmt *stmt;

	if ((stmt = statement(s, sql_totals_get, error_r)) == NULL)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_reset(stmt);
		return database_failed(s, "read totals", error_r);
	}
	totals_r->spam_messages = (uint64_t)sqlite3_column_int64(stmt, 0);
	totals_r->ham_messages = (uint64_t)sqlite3_column_int64(stmt, 1);
	totals_r->token_count = (uint64_t)sqlite3_column_int64(stmt, 2);
	sqlite3_reset(stmt);
	return 0;
}

/* Looks key up in the seen table: 1 with *is_spam_r when found, 0 when
 * not, -1 on error. */
static int
seen_get(struct bayes_store_sqlite *s, const char *key, bool *is_spam_r,
    const char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = statement(s, sql_seen_get, error_r)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*is_spam_r = sqlite3_column_int(stmt, 0) != 0;
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return database_failed(s, "read seen", error_r);
}

static int
totals_add(struct bayes_store_sqlite *s, int spam, int ham,
    const char **error_r)
{
	sqlite3_stmt *stmt;

	if ((stmt = statement(s, sql_totals_add, error_r)) == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, spam);
	sqlite3_bind_int(stmt, 2, ham);
	return step_done(s, stmt, "update totals", error_r);
}

static int
learn_locked(struct bayes_store_sqlite *s, const char *key,
    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
    enum bayes_store_learn_result *result_r, const char **error_r)
{
	bool was_spam = false;
	int seen, add_spam = is_spam ? 1 : 0, add_ham = is_spam ? 0 : 1;
	int sub_spam = 0, sub_ham = 0;
	sqlite3_stmt *stmt;
	size_t i;

	if ((seen = seen_get(s, key, &was_spam, error_r)) < 0)
		return -1;
	if (seen == 1 && was_spam == is_spam) {
		*result_r = BAYES_STORE_UNCHANGED;
		return 0;
	}
	if (seen == 1) {
		sub_spam = add_ham;
		sub_ham = add_spam;
	}
	for (i = 0; i < count; i++) {
		if ((stmt = statement(s, sql_upsert, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)tokens[i]);
		sqlite3_bind_int(stmt, 2, add_spam);
		sqlite3_bind_int(stmt, 3, add_ham);
		sqlite3_bind_int64(stmt, 4, (sqlite3_int64)now);
		sqlite3_bind_int(stmt, 5, sub_spam);
		sqlite3_bind_int(stmt, 6, sub_ham);
		if (step_done(s, stmt, "learn token", error_r) < 0)
			return -1;
	}
	if (totals_add(s, add_spam - sub_spam, add_ham - sub_ham,
	    error_r) < 0)
		return -1;
	if ((stmt = statement(s, sql_seen_put, error_r)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, is_spam ? 1 : 0);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)now);
	if (step_done(s, stmt, "record seen", error_r) < 0)
		return -1;
	*result_r = seen == 1 ? BAYES_STORE_RELEARNED : BAYES_STORE_LEARNED;
	return 0;
}

static int
sqlite_learn(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
    enum bayes_store_learn_result *result_r, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	uint64_t *unique;
	size_t unique_count;
	int ret = -1;

	unique = unique_tokens(tokens, count, &unique_count);
	if (write_begin(s, error_r) == 0)
		ret = write_end(s, learn_locked(s, key, unique, unique_count,
		    is_spam, now, result_r, error_r), error_r);
	free(unique);
	return ret;
}

static int
forget_locked(struct bayes_store_sqlite *s, const char *key,
    const uint64_t *tokens, size_t count, bool *found_r,
    const char **error_r)
{
	bool was_spam = false;
	sqlite3_stmt *stmt;
	size_t i;
	int seen;

	if ((seen = seen_get(s, key, &was_spam, error_r)) < 0)
		return -1;
	*found_r = seen == 1;
	if (seen == 0)
		return 0;
	for (i = 0; i < count; i++) {
		if ((stmt = statement(s, sql_decrement, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)tokens[i]);
		sqlite3_bind_int(stmt, 2, was_spam ? 1 : 0);
		sqlite3_bind_int(stmt, 3, was_spam ? 0 : 1);
		if (step_done(s, stmt, "forget token", error_r) < 0)
			return -1;
		if ((stmt = statement(s, sql_delete_empty, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)tokens[i]);
		if (step_done(s, stmt, "delete token", error_r) < 0)
			return -1;
	}
	if (totals_add(s, was_spam ? -1 : 0, was_spam ? 0 : -1, error_r) < 0)
		return -1;
	if ((stmt = statement(s, sql_seen_delete, error_r)) == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	return step_done(s, stmt, "delete seen", error_r);
}

static int
sqlite_forget(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool *found_r,
    const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	uint64_t *unique;
	size_t unique_count;
	int ret = -1;

	unique = unique_tokens(tokens, count, &unique_count);
	if (write_begin(s, error_r) == 0)
		ret = write_end(s, forget_locked(s, key, unique, unique_count,
		    found_r, error_r), error_r);
	free(unique);
	return ret;
}

static int
touch_locked(struct bayes_store_sqlite *s, const uint64_t *tokens,
    size_t count, time_t now, const char **error_r)
{
	sqlite3_stmt *stmt;
	size_t done;

	for (done = 0; done < count; done += BATCH) {
		if ((stmt = statement(s, sql_touch_batch, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
		bind_batch(stmt, 2, tokens + done,
		    MIN(count - done, (size_t)BATCH));
		if (step_done(s, stmt, "touch tokens", error_r) < 0)
			return -1;
	}
	return 0;
}

static int
sqlite_touch(struct bayes_store *store, const uint64_t *tokens,
    size_t count, time_t now, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	uint64_t *unique;
	size_t unique_count;
	int ret = -1;

	unique = unique_tokens(tokens, count, &unique_count);
	if (write_begin(s, error_r) == 0)
		ret = write_end(s, touch_locked(s, unique, unique_count, now,
		    error_r), error_r);
	free(unique);
	return ret;
}

static int
expire_locked(struct bayes_store_sqlite *s, uint64_t max_tokens,
    uint64_t *removed_r, const char **error_r)
{
	struct bayes_store_totals totals;
	sqlite3_stmt *stmt;

	if (sqlite_get_totals(&s->store, &totals, error_r) < 0)
		return -1;
	if (totals.token_count <= max_tokens)
		return 0;
	if ((stmt = statement(s, sql_expire, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1,
	    (sqlite3_int64)(totals.token_count - max_tokens));
	if (step_done(s, stmt, "expire tokens", error_r) < 0)
		return -1;
	*removed_r = (uint64_t)database_changes(s->database);
	return 0;
}

static int
sqlite_expire(struct bayes_store *store, uint64_t max_tokens,
    uint64_t *removed_r, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	*removed_r = 0;
	if (write_begin(s, error_r) < 0)
		return -1;
	if (write_end(s, expire_locked(s, max_tokens, removed_r, error_r),
	    error_r) < 0) {
		*removed_r = 0;
		return -1;
	}
	return 0;
}

/* Writes key with bytes <= 0x20, '%' and >= 0x7f as %XX. */
static void
write_escaped(FILE *out, const unsigned char *key)
{
	for (; *key != '\0'; key++) {
		if (*key <= 0x20 || *key == '%' || *key >= 0x7f)
			fprintf(out, "%%%02X", *key);
		else
			fputc(*key, out);
	}
}

static int
backup_locked(struct bayes_store_sqlite *s, FILE *out, const char **error_r)
{
	struct bayes_store_totals totals;
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite_get_totals(&s->store, &totals, error_r) < 0)
		return -1;
	fprintf(out, "sluice-bayes-backup 1\ntotals %" PRIu64 " %" PRIu64
	    "\n", totals.spam_messages, totals.ham_messages);
	if ((stmt = statement(s, sql_backup_tokens, error_r)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		fprintf(out, "token %016" PRIx64 " %" PRId64 " %" PRId64
		    " %" PRId64 "\n", (uint64_t)sqlite3_column_int64(stmt, 0),
		    (int64_t)sqlite3_column_int64(stmt, 1),
		    (int64_t)sqlite3_column_int64(stmt, 2),
		    (int64_t)sqlite3_column_int64(stmt, 3));
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return database_failed(s, "read tokens", error_r);
	if ((stmt = statement(s, sql_backup_seen, error_r)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		fprintf(out, "seen %s %" PRId64 " ",
		    sqlite3_column_int(stmt, 1) != 0 ? "spam" : "ham",
		    (int64_t)sqlite3_column_int64(stmt, 2));
		write_escaped(out, sqlite3_column_text(stmt, 0));
		fputc('\n', out);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return database_failed(s, "read seen", error_r);
	return 0;
}

static int
sqlite_backup(struct bayes_store *store, FILE *out, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);
	int ret;

	if (read_begin(s, error_r) < 0)
		return -1;
	ret = backup_locked(s, out, error_r);
	read_end(s);
	if (ret == 0 && (fflush(out) != 0 || ferror(out))) {
		*error_r = error_set_errno("bayes backup: write");
		ret = -1;
	}
	return ret;
}

static int
clear_locked(struct bayes_store_sqlite *s, const char **error_r)
{
	return database_exec(s->database,
	    "DELETE FROM bayes_token; DELETE FROM bayes_seen;"
	    "UPDATE bayes_total SET spam_messages = 0, ham_messages = 0,"
	    " token_count = 0;", error_r);
}

/* Parses a decimal or (base 16) hex number that ends at a space or the
 * end of the string; advances *p past it and one space. */
static bool
parse_number(char **p, int base, uint64_t max, uint64_t *value_r)
{
	char *end;

	if (**p < '0' || (**p > '9' && base == 10) || **p == '+')
		return false;
	errno = 0;
	*value_r = strtoull(*p, &end, base);
	if (errno != 0 || end == *p || *value_r > max ||
	    (*end != ' ' && *end != '\0'))
		return false;
	*p = *end == ' ' ? end + 1 : end;
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes in place; false on a bad escape, a raw byte that
 * should have been escaped, NUL, or a key outside 1..KEY_MAX bytes. */
static bool
unescape_key(char *key)
{
	char *in = key, *out = key;

	while (*in != '\0') {
		unsigned char c = (unsigned char)*in;

		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (c == '%') {
			int high = hex_value(in[1]), low;

			if (high < 0 || (low = hex_value(in[2])) < 0 ||
			    (high == 0 && low == 0))
				return false;
			*out++ = (char)(high * 16 + low);
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return out != key && (size_t)(out - key) <= BAYES_STORE_KEY_MAX;
}

static int
restore_line(struct bayes_store_sqlite *s, char *line, bool *totals_seen,
    const char **error_r)
{
	uint64_t a, b, c, d;
	sqlite3_stmt *stmt;
	char *p;

	if (strncmp(line, "totals ", 7) == 0 && !*totals_seen) {
		p = line + 7;
		if (!parse_number(&p, 10, INT64_MAX, &a) ||
		    !parse_number(&p, 10, INT64_MAX, &b) || *p != '\0')
			goto syntax;
		if ((stmt = statement(s, sql_totals_set, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)a);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)b);
		*totals_seen = true;
		return step_done(s, stmt, "restore totals", error_r);
	}
	if (strncmp(line, "token ", 6) == 0) {
		p = line + 6;
		if (strspn(p, "0123456789abcdef") != 16 ||
		    !parse_number(&p, 16, UINT64_MAX, &a) ||
		    !parse_number(&p, 10, INT64_MAX, &b) ||
		    !parse_number(&p, 10, INT64_MAX, &c) ||
		    !parse_number(&p, 10, INT64_MAX, &d) || *p != '\0' ||
		    (b == 0 && c == 0))
			goto syntax;
		if ((stmt = statement(s, sql_restore_token, error_r)) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, (sqlite3_int64)a);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)b);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)c);
		sqlite3_bind_int64(stmt, 4, (sqlite3_int64)d);
		return step_done(s, stmt, "restore token", error_r);
	}
	if (strncmp(line, "seen ", 5) == 0) {
		bool is_spam;

		p = line + 5;
		if (strncmp(p, "spam ", 5) == 0) {
			is_spam = true;
			p += 5;
		} else if (strncmp(p, "ham ", 4) == 0) {
			is_spam = false;
			p += 4;
		} else {
			goto syntax;
		}
		if (!parse_number(&p, 10, INT64_MAX, &a) || !unescape_key(p))
			goto syntax;
		if ((stmt = statement(s, sql_seen_put, error_r)) == NULL)
			return -1;
		sqlite3_bind_text(stmt, 1, p, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 2, is_spam ? 1 : 0);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)a);
		return step_done(s, stmt, "restore seen", error_r);
	}
syntax:
	*error_r = error_set("syntax error");
	return -1;
}

static int
restore_locked(struct bayes_store_sqlite *s, FILE *in, const char **error_r)
{
	char line[BACKUP_LINE_MAX + 2];
	bool totals_seen = false;
	unsigned long number = 0;

	if (clear_locked(s, error_r) < 0)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL) {
		size_t length = strlen(line);

		number++;
		if (length == 0 || line[length - 1] != '\n') {
			*error_r = error_set("bayes restore: line %lu: too "
			    "long or unterminated", number);
			return -1;
		}
		line[length - 1] = '\0';
		if (number == 1) {
			if (strcmp(line, "sluice-bayes-backup 1") != 0) {
				*error_r = error_set("bayes restore: line 1: "
				    "not a sluice-bayes-backup 1 file");
				return -1;
			}
			continue;
		}
		if (restore_line(s, line, &totals_seen, error_r) < 0) {
			*error_r = error_set("bayes restore: line %lu: %s",
			    number, *error_r);
			return -1;
		}
	}
	if (ferror(in)) {
		*error_r = error_set_errno("bayes restore: read");
		return -1;
	}
	if (!totals_seen) {
		*error_r = error_set("bayes restore: no totals line");
		return -1;
	}
	return 0;
}

static int
sqlite_restore(struct bayes_store *store, FILE *in, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	if (write_begin(s, error_r) < 0)
		return -1;
	return write_end(s, restore_locked(s, in, error_r), error_r);
}

static int
sqlite_clear(struct bayes_store *store, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	if (write_begin(s, error_r) < 0)
		return -1;
	return write_end(s, clear_locked(s, error_r), error_r);
}

static int
sqlite_batch_begin(struct bayes_store *store, const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	ASSERT(!s->batch);
	if (database_begin(s->database, error_r) < 0)
		return -1;
	s->batch = true;
	return 0;
}

static int
sqlite_batch_end(struct bayes_store *store, bool commit,
    const char **error_r)
{
	struct bayes_store_sqlite *s = sqlite_store(store);

	ASSERT(s->batch);
	s->batch = false;
	if (commit && database_commit(s->database, error_r) == 0)
		return 0;
	database_rollback(s->database);
	if (!commit)
		return 0;
	return -1;
}

static const struct bayes_store_backend sqlite_backend = {
	.name = "sqlite",
	.close = sqlite_close,
	.get_counts = sqlite_get_counts,
	.get_totals = sqlite_get_totals,
	.learn = sqlite_learn,
	.forget = sqlite_forget,
	.touch = sqlite_touch,
	.expire = sqlite_expire,
	.backup = sqlite_backup,
	.restore = sqlite_restore,
	.clear = sqlite_clear,
	.batch_begin = sqlite_batch_begin,
	.batch_end = sqlite_batch_end,
};

int
bayes_store_sqlite_open(const char *path, struct bayes_store **store_r,
    const char **error_r)
{
	struct bayes_store_sqlite *s;
	struct database *database;

	/* Not durable: losing the last learned messages after a power cut
	 * costs little, and synchronous=NORMAL keeps learning fast. */
	if (database_open(path, migrations, ARRAY_LENGTH(migrations), false,
	    &database, error_r) < 0)
		return -1;
	s = alloc_new(struct bayes_store_sqlite);
	s->store.backend = &sqlite_backend;
	s->database = database;
	s->path = alloc_strdup(path);
	*store_r = &s->store;
	return 0;
}
