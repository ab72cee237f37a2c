/* user_accounts.c: domains and users in sluice.db, name validation and
 * password hashing with libxcrypt.
 *
 * DESIGN: names are validated and lowercased on the way in (the rules
 * shared with the other tables of sluice.db are in account_database.c),
 * and the columns are COLLATE NOCASE, so lookups need no folding. RCPT
 * classification is a single LEFT JOIN through a cached statement: one
 * row means the domain is ours, and the joined column says whether the
 * user exists. Password checks on unknown users
 * hash against a dummy hash so they cost as much as real ones. */
#include "mailstore/user_accounts.h"
#include "mailstore/account_database.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/database.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string_view.h"

#include <crypt.h>
#include <pthread.h>
#include <time.h>

/* "local@domain" plus its NUL. */
#define USER_ACCOUNTS_ADDRESS_SIZE \
	(USER_ACCOUNTS_LOCAL_PART_MAX + 1 + USER_ACCOUNTS_DOMAIN_MAX + 1)
#define USER_ACCOUNTS_PRINTABLE_SIZE ACCOUNT_DATABASE_PRINTABLE_SIZE

_Static_assert(USER_ACCOUNTS_DOMAIN_MAX == ACCOUNT_DATABASE_DOMAIN_MAX,
    "one domain length rule for sluice.db");

_Static_assert(USER_ACCOUNTS_PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
    "libxcrypt cannot hash passwords that long");

struct user_accounts {
	struct database *database;
	char *path;
};

/* A hash of a fixed string, made on first use and shared by every
 * connection in the process (one per connection would make the first
 * unknown user on each new connection cost two hashes: a timing tell).
 * Unknown users are checked against it. Empty until then. */
static pthread_mutex_t user_accounts_dummy_mutex = PTHREAD_MUTEX_INITIALIZER;
static char user_accounts_dummy[CRYPT_OUTPUT_SIZE];

static const char *
user_accounts_database_error(struct user_accounts *accounts, const char *what)
{
	return account_database_error(accounts->database, accounts->path,
	    what);
}

/* Why a lowercased local part, already a valid dot-string, cannot be
 * a user's (it names the user's mail directory), or NULL. */
static const char *
user_accounts_local_part_problem(const char *local, size_t length)
{
	size_t i;
	char c;

	for (i = 0; i < length; i++) {
		c = local[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return "local part allows only letters, digits, "
			    "'.', '_' and '-'";
	}
	return NULL;
}

/* Lowercases and validates "local@domain" into dst
 * (USER_ACCOUNTS_ADDRESS_SIZE); *at_r is the index of the '@'. */
static int
user_accounts_address_normalize(const char *address, char *dst, size_t size,
    size_t *at_r, const char **error_r)
{
	return account_database_address_normalize(address,
	    user_accounts_local_part_problem, dst, size, at_r, error_r);
}

/* Hashes password with a fresh salt: yescrypt, or SHA-512 crypt where
 * this libxcrypt lacks yescrypt. */
static int
user_accounts_hash(const char *password, char *dst, size_t size,
    const char **error_r)
{
	char *setting, *hashed;
	void *data = NULL;
	int data_size = 0, ret = -1;

	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL)
		setting = crypt_gensalt_ra("$6$", 0, NULL, 0);
	if (setting == NULL) {
		*error_r = error_set_errno("crypt_gensalt");
		return -1;
	}
	hashed = crypt_ra(password, setting, &data, &data_size);
	if (hashed == NULL || hashed[0] == '*')
		*error_r = error_set_errno("crypt");
	else if (strlen(hashed) >= size)
		*error_r = error_set("crypt: hash too long");
	else {
		memcpy(dst, hashed, strlen(hashed) + 1);
		ret = 0;
	}
	if (data != NULL) {
		explicit_bzero(data, (size_t)data_size);
		free(data);
	}
	free(setting);
	return ret;
}

/* Compares two NUL-terminated strings in time that depends only on
 * their lengths. */
static bool
user_accounts_equal_constant_time(const char *a, const char *b)
{
	size_t a_length = strlen(a), b_length = strlen(b), i;
	unsigned char diff = a_length != b_length;

	for (i = 0; i < a_length; i++)
		diff |= (unsigned char)(a[i] ^ (i < b_length ? b[i] : 0));
	return diff == 0;
}

static int
user_accounts_check_password(const char *password, const char **error_r)
{
	size_t length = strlen(password);

	if (length < USER_ACCOUNTS_PASSWORD_MIN) {
		*error_r = error_set("password shorter than %d bytes",
		    USER_ACCOUNTS_PASSWORD_MIN);
		return -1;
	}
	if (length > USER_ACCOUNTS_PASSWORD_MAX) {
		*error_r = error_set("password longer than %d bytes",
		    USER_ACCOUNTS_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

int
user_accounts_open(const char *database_path,
    struct user_accounts **accounts_r, const char **error_r)
{
	struct database *database;

	if (account_database_open(database_path, &database, error_r) < 0)
		return -1;
	*accounts_r = alloc_new(struct user_accounts);
	(*accounts_r)->database = database;
	(*accounts_r)->path = alloc_strdup(database_path);
	return 0;
}

void
user_accounts_close(struct user_accounts **accounts_p)
{
	struct user_accounts *accounts = *accounts_p;

	if (accounts == NULL)
		return;
	database_close(&accounts->database);
	free(accounts->path);
	free(accounts);
	*accounts_p = NULL;
}

/* Steps a statement that returns no rows; 0 on SQLITE_DONE. On failure
 * *code_r is SQLite's extended result code. */
static int
user_accounts_step_done(struct user_accounts *accounts,
    sqlite3_stmt *statement, const char *what, int *code_r,
    const char **error_r)
{
	return account_database_step_done(accounts->database, accounts->path,
	    statement, what, code_r, error_r);
}

int
user_accounts_domain_add(struct user_accounts *accounts, const char *domain,
    const char **error_r)
{
	char name[USER_ACCOUNTS_DOMAIN_MAX + 1];
	sqlite3_stmt *statement;
	int code;

	if (account_database_domain_normalize(domain, name, sizeof(name),
	    error_r) < 0)
		return -1;
	statement = database_statement(accounts->database,
	    "INSERT INTO domains (name, created) VALUES (?1, ?2)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 2, (sqlite3_int64)time(NULL));
	if (user_accounts_step_done(accounts, statement, "add domain", &code,
	    error_r) < 0) {
		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			*error_r = error_set("domain %s already exists", name);
		return -1;
	}
	return 0;
}

int
user_accounts_domain_delete(struct user_accounts *accounts,
    const char *domain, const char **error_r)
{
	char name[USER_ACCOUNTS_DOMAIN_MAX + 1];
	char shown[USER_ACCOUNTS_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	sqlite3_int64 users;
	int code;

	if (account_database_lowercase(domain, name, sizeof(name)) < 0) {
		*error_r = error_set("no such domain %s",
		    account_database_printable(domain, shown, sizeof(shown)));
		return -1;
	}
	/* Count and delete under one write lock, so no user can be added
	 * in between. */
	if (database_begin(accounts->database, error_r) < 0)
		return -1;
	statement = database_statement(accounts->database,
	    "SELECT count(*) FROM users WHERE domain = ?1", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(statement) != SQLITE_ROW) {
		*error_r = user_accounts_database_error(accounts,
		    "count users");
		goto fail;
	}
	users = sqlite3_column_int64(statement, 0);
	(void)sqlite3_reset(statement);
	if (users > 0) {
		*error_r = error_set("domain %s still has %lld user%s",
		    account_database_printable(name, shown, sizeof(shown)),
		    (long long)users, users == 1 ? "" : "s");
		goto fail;
	}
	statement = database_statement(accounts->database,
	    "DELETE FROM domains WHERE name = ?1", error_r);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
	if (user_accounts_step_done(accounts, statement, "delete domain",
	    &code, error_r) < 0)
		goto fail;
	if (database_changes(accounts->database) == 0) {
		*error_r = error_set("no such domain %s",
		    account_database_printable(name, shown, sizeof(shown)));
		goto fail;
	}
	if (database_commit(accounts->database, error_r) < 0)
		goto fail;
	return 0;
fail:
	database_rollback(accounts->database);
	return -1;
}

int
user_accounts_domain_list(struct user_accounts *accounts,
    void (*each)(const char *domain, unsigned user_count, void *context),
    void *context, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(accounts->database,
	    "SELECT d.name, (SELECT count(*) FROM users u"
	    " WHERE u.domain = d.name) FROM domains d ORDER BY d.name",
	    error_r);
	if (statement == NULL)
		return -1;
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
		each((const char *)sqlite3_column_text(statement, 0),
		    (unsigned)sqlite3_column_int64(statement, 1), context);
	if (rc != SQLITE_DONE) {
		*error_r = user_accounts_database_error(accounts,
		    "list domains");
		(void)sqlite3_reset(statement);
		return -1;
	}
	return 0;
}

/* 1 when domain exists, 0 when not, -1 with error_r. */
static int
user_accounts_domain_exists(struct user_accounts *accounts,
    const char *domain, const char **error_r)
{
	sqlite3_stmt *statement;
	int rc;

	statement = database_statement(accounts->database,
	    "SELECT 1 FROM domains WHERE name = ?1", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	(void)sqlite3_reset(statement);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	*error_r = user_accounts_database_error(accounts, "find domain");
	return -1;
}

int
user_accounts_domain_is_local(struct user_accounts *accounts,
    const char *domain)
{
	const char *error;
	int ret;

	ret = user_accounts_domain_exists(accounts, domain, &error);
	if (ret < 0)
		log_warn("event=user_accounts_error error=\"%s\"", error);
	return ret;
}

int
user_accounts_user_add(struct user_accounts *accounts, const char *address,
    const char *password, const char **error_r)
{
	char canonical[USER_ACCOUNTS_ADDRESS_SIZE];
	char hash[CRYPT_OUTPUT_SIZE];
	sqlite3_stmt *statement;
	size_t at;
	int code;

	if (user_accounts_address_normalize(address, canonical,
	    sizeof(canonical), &at, error_r) < 0 ||
	    user_accounts_check_password(password, error_r) < 0 ||
	    user_accounts_hash(password, hash, sizeof(hash), error_r) < 0)
		return -1;
	statement = database_statement(accounts->database,
	    "INSERT INTO users (address, local_part, domain, password_hash,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5)", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, canonical, -1, SQLITE_STATIC);
	sqlite3_bind_text(statement, 2, canonical, (int)at, SQLITE_STATIC);
	sqlite3_bind_text(statement, 3, canonical + at + 1, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(statement, 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(statement, 5, (sqlite3_int64)time(NULL));
	if (user_accounts_step_done(accounts, statement, "add user", &code,
	    error_r) < 0) {
		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			*error_r = error_set("user %s already exists",
			    canonical);
		else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
			*error_r = error_set("no such domain %s",
			    canonical + at + 1);
		return -1;
	}
	return 0;
}

/* Runs a one-address UPDATE or DELETE and turns "no row changed" into
 * "no such user". ?1 is the address; ?2, if the statement has it, is
 * hash when that is not NULL, else number. */
static int
user_accounts_change_user(struct user_accounts *accounts, const char *sql,
    const char *address, const char *hash, sqlite3_int64 number,
    const char *what, const char **error_r)
{
	char canonical[USER_ACCOUNTS_ADDRESS_SIZE];
	char shown[USER_ACCOUNTS_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	int code;

	if (account_database_lowercase(address, canonical,
	    sizeof(canonical)) < 0) {
		*error_r = error_set("no such user %s",
		    account_database_printable(address, shown, sizeof(shown)));
		return -1;
	}
	statement = database_statement(accounts->database, sql, error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, canonical, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(statement) >= 2) {
		if (hash != NULL)
			sqlite3_bind_text(statement, 2, hash, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_int64(statement, 2, number);
	}
	if (user_accounts_step_done(accounts, statement, what, &code,
	    error_r) < 0)
		return -1;
	if (database_changes(accounts->database) == 0) {
		*error_r = error_set("no such user %s",
		    account_database_printable(canonical, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

int
user_accounts_user_set_password(struct user_accounts *accounts,
    const char *address, const char *password, const char **error_r)
{
	char hash[CRYPT_OUTPUT_SIZE];

	if (user_accounts_check_password(password, error_r) < 0 ||
	    user_accounts_hash(password, hash, sizeof(hash), error_r) < 0)
		return -1;
	return user_accounts_change_user(accounts,
	    "UPDATE users SET password_hash = ?2 WHERE address = ?1",
	    address, hash, 0, "set password", error_r);
}

int
user_accounts_user_delete(struct user_accounts *accounts,
    const char *address, const char **error_r)
{
	return user_accounts_change_user(accounts,
	    "DELETE FROM users WHERE address = ?1", address, NULL, 0,
	    "delete user", error_r);
}

/* A quota column as stored: 0 (unlimited) for anything negative, which
 * only a hand-edited database holds. */
static uint64_t
user_accounts_quota_column(sqlite3_stmt *statement, int column)
{
	sqlite3_int64 quota = sqlite3_column_int64(statement, column);

	return quota > 0 ? (uint64_t)quota : 0;
}

int
user_accounts_set_quota(struct user_accounts *accounts, const char *address,
    uint64_t quota_bytes, const char **error_r)
{
	if (quota_bytes > USER_ACCOUNTS_QUOTA_MAX) {
		*error_r = error_set("quota too large");
		return -1;
	}
	return user_accounts_change_user(accounts,
	    "UPDATE users SET quota_bytes = ?2 WHERE address = ?1", address,
	    NULL, (sqlite3_int64)quota_bytes, "set quota", error_r);
}

int
user_accounts_get_quota(struct user_accounts *accounts, const char *address,
    uint64_t *quota_bytes_r, const char **error_r)
{
	char canonical[USER_ACCOUNTS_ADDRESS_SIZE];
	char shown[USER_ACCOUNTS_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	int rc;

	if (account_database_lowercase(address, canonical,
	    sizeof(canonical)) < 0)
		goto no_such_user;
	statement = database_statement(accounts->database,
	    "SELECT quota_bytes FROM users WHERE address = ?1", error_r);
	if (statement == NULL)
		return -1;
	sqlite3_bind_text(statement, 1, canonical, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		*quota_bytes_r = user_accounts_quota_column(statement, 0);
	else if (rc != SQLITE_DONE)
		*error_r = user_accounts_database_error(accounts, "get quota");
	(void)sqlite3_reset(statement);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -1;
no_such_user:
	*error_r = error_set("no such user %s",
	    account_database_printable(address, shown, sizeof(shown)));
	return -1;
}

int
user_accounts_user_list(struct user_accounts *accounts, const char *domain,
    void (*each)(const char *address, uint64_t quota_bytes, void *context),
    void *context, const char **error_r)
{
	char shown[USER_ACCOUNTS_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	int rc;

	if (domain == NULL) {
		statement = database_statement(accounts->database,
		    "SELECT address, quota_bytes FROM users"
		    " ORDER BY domain, local_part",
		    error_r);
		if (statement == NULL)
			return -1;
	} else {
		rc = user_accounts_domain_exists(accounts, domain, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			*error_r = error_set("no such domain %s",
			    account_database_printable(domain, shown,
			    sizeof(shown)));
			return -1;
		}
		statement = database_statement(accounts->database,
		    "SELECT address, quota_bytes FROM users WHERE domain = ?1"
		    " ORDER BY local_part", error_r);
		if (statement == NULL)
			return -1;
		sqlite3_bind_text(statement, 1, domain, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
		each((const char *)sqlite3_column_text(statement, 0),
		    user_accounts_quota_column(statement, 1), context);
	if (rc != SQLITE_DONE) {
		*error_r = user_accounts_database_error(accounts,
		    "list users");
		(void)sqlite3_reset(statement);
		return -1;
	}
	return 0;
}

int
user_accounts_lookup_recipient(struct user_accounts *accounts,
    const char *address, struct arena *arena,
    enum user_accounts_recipient *kind_r, const char **mailbox_r,
    const char **error_r)
{
	char key[USER_ACCOUNTS_ADDRESS_SIZE];
	const char *at = strrchr(address, '@'), *domain, *delimiter;
	sqlite3_stmt *statement;
	size_t local_length;
	int rc;

	*kind_r = USER_ACCOUNTS_NOT_LOCAL;
	*mailbox_r = NULL;
	if (at == NULL || at[1] == '\0' ||
	    strlen(at + 1) > USER_ACCOUNTS_DOMAIN_MAX)
		return 0;
	domain = at + 1;
	local_length = (size_t)(at - address);
	delimiter = memchr(address, USER_ACCOUNTS_RECIPIENT_DELIMITER,
	    local_length);
	if (delimiter != NULL)
		local_length = (size_t)(delimiter - address);

	statement = database_statement(accounts->database,
	    "SELECT d.name, u.address FROM domains d"
	    " LEFT JOIN users u ON u.address = ?1 WHERE d.name = ?2",
	    error_r);
	if (statement == NULL)
		return -1;
	/* An impossible local part still needs the domain answer; a NULL
	 * key matches no user. The columns fold case themselves. */
	if (local_length > 0 && local_length <= USER_ACCOUNTS_LOCAL_PART_MAX) {
		snprintf(key, sizeof(key), "%.*s@%s", (int)local_length,
		    address, domain);
		sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(statement, 2, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(statement, 1) == SQLITE_NULL)
			*kind_r = USER_ACCOUNTS_UNKNOWN_USER;
		else {
			*kind_r = USER_ACCOUNTS_LOCAL_USER;
			*mailbox_r = arena_strdup(arena,
			    (const char *)sqlite3_column_text(statement, 1));
		}
	}
	(void)sqlite3_reset(statement);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*error_r = user_accounts_database_error(accounts,
		    "look up recipient");
		return -1;
	}
	return 0;
}

/* Copies the dummy hash into dst (CRYPT_OUTPUT_SIZE), making it on
 * first use. */
static int
user_accounts_dummy_hash(char *dst, size_t size, const char **error_r)
{
	int ret = 0;

	pthread_mutex_lock(&user_accounts_dummy_mutex);
	if (user_accounts_dummy[0] == '\0')
		ret = user_accounts_hash("sluice timing equaliser",
		    user_accounts_dummy, sizeof(user_accounts_dummy), error_r);
	if (ret == 0)
		snprintf(dst, size, "%s", user_accounts_dummy);
	pthread_mutex_unlock(&user_accounts_dummy_mutex);
	return ret;
}

int
user_accounts_verify_password(struct user_accounts *accounts,
    const char *address, const char *password)
{
	char canonical[USER_ACCOUNTS_ADDRESS_SIZE], stored[CRYPT_OUTPUT_SIZE];
	char shown[USER_ACCOUNTS_PRINTABLE_SIZE];
	sqlite3_stmt *statement;
	const char *error = NULL, *hashed;
	bool found = false;
	void *data = NULL;
	int data_size = 0, rc, ret = -1;

	/* Too long to hash (libxcrypt's limit), so it matches nothing;
	 * answering fast says nothing about the user. */
	if (strlen(password) > USER_ACCOUNTS_PASSWORD_MAX)
		return 0;
	if (account_database_lowercase(address, canonical,
	    sizeof(canonical)) == 0) {
		statement = database_statement(accounts->database,
		    "SELECT password_hash FROM users WHERE address = ?1",
		    &error);
		if (statement == NULL)
			goto out;
		sqlite3_bind_text(statement, 1, canonical, -1, SQLITE_STATIC);
		rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW) {
			snprintf(stored, sizeof(stored), "%s",
			    (const char *)sqlite3_column_text(statement, 0));
			found = true;
		}
		(void)sqlite3_reset(statement);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			error = user_accounts_database_error(accounts,
			    "look up password");
			goto out;
		}
	}
	if (!found) {
		if (user_accounts_dummy_hash(stored, sizeof(stored),
		    &error) < 0)
			goto out;
	}
	hashed = crypt_ra(password, stored, &data, &data_size);
	if (hashed == NULL || hashed[0] == '*') {
		error = error_set("unusable password hash for %s",
		    account_database_printable(address, shown, sizeof(shown)));
		goto out;
	}
	ret = found && user_accounts_equal_constant_time(hashed, stored) ?
	    1 : 0;
out:
	if (data != NULL) {
		explicit_bzero(data, (size_t)data_size);
		free(data);
	}
	if (ret < 0)
		log_warn("event=user_accounts_error error=\"%s\"", error);
	return ret;
}
