/* test_user_accounts.c: unit tests for mailstore/user_accounts. */
#include "mailstore/user_accounts.h"
#include "lib/arena.h"
#include "tests/unit/harness.h"

#include <sqlite3.h>

struct collected {
	char text[1024];
};

static void
collect_domain(const char *domain, unsigned user_count, void *context)
{
	struct collected *collected = context;
	size_t used = strlen(collected->text);

	snprintf(collected->text + used, sizeof(collected->text) - used,
	    "%s=%u ", domain, user_count);
}

/* "address " per user, "address=QUOTA " for one with a quota. */
static void
collect_user(const char *address, uint64_t quota_bytes, void *context)
{
	struct collected *collected = context;
	size_t used = strlen(collected->text);

	if (quota_bytes == 0)
		snprintf(collected->text + used,
		    sizeof(collected->text) - used, "%s ", address);
	else
		snprintf(collected->text + used,
		    sizeof(collected->text) - used, "%s=%llu ", address,
		    (unsigned long long)quota_bytes);
}

/* Opens a fresh database named name in the scratch directory. */
static struct user_accounts *
open_accounts(const char *name, char *path, size_t size)
{
	struct user_accounts *accounts = NULL;
	const char *error = NULL;

	snprintf(path, size, "%s/%s", test_temp_dir(), name);
	if (user_accounts_open(path, &accounts, &error) < 0)
		test_fail(__FILE__, __LINE__, "open: %s", error);
	return accounts;
}

/* A fresh database holding example.test and alice@example.test. */
static struct user_accounts *
open_with_alice(const char *name, char *path, size_t size,
    const char *password)
{
	struct user_accounts *accounts = open_accounts(name, path, size);
	const char *error = NULL;

	if (accounts == NULL)
		return NULL;
	if (user_accounts_domain_add(accounts, "example.test", &error) < 0 ||
	    user_accounts_user_add(accounts, "alice@example.test", password,
	    &error) < 0) {
		test_fail(__FILE__, __LINE__, "setup: %s", error);
		user_accounts_close(&accounts);
	}
	return accounts;
}

static const char *
domain_list(struct user_accounts *accounts)
{
	static struct collected collected;
	const char *error;

	collected.text[0] = '\0';
	if (user_accounts_domain_list(accounts, collect_domain, &collected,
	    &error) < 0)
		return error;
	return collected.text;
}

static const char *
user_list(struct user_accounts *accounts, const char *domain)
{
	static struct collected collected;
	const char *error;

	collected.text[0] = '\0';
	if (user_accounts_user_list(accounts, domain, collect_user,
	    &collected, &error) < 0)
		return error;
	return collected.text;
}

static void
test_user_accounts_domains(void)
{
	char path[512];
	struct user_accounts *accounts;
	const char *error = NULL;

	accounts = open_accounts("domains.db", path, sizeof(path));
	test_require(accounts != NULL);
	test_assert_int(user_accounts_domain_add(accounts, "Example.TEST",
	    &error), 0);
	test_assert_int(user_accounts_domain_add(accounts, "localhost",
	    &error), 0);
	test_assert_int(user_accounts_domain_add(accounts, "xn--bcher-kva.test",
	    &error), 0);
	test_assert_string(domain_list(accounts),
	    "example.test=0 localhost=0 xn--bcher-kva.test=0 ");

	test_assert_int(user_accounts_domain_add(accounts, "example.TEST",
	    &error), -1);
	test_assert_string(error, "domain example.test already exists");

	test_assert_int(user_accounts_domain_is_local(accounts,
	    "EXAMPLE.test"), 1);
	test_assert_int(user_accounts_domain_is_local(accounts, "other.test"),
	    0);

	test_assert_int(user_accounts_domain_delete(accounts, "LOCALHOST",
	    &error), 0);
	test_assert_int(user_accounts_domain_delete(accounts, "localhost",
	    &error), -1);
	test_assert_string(error, "no such domain localhost");
	test_assert_string(domain_list(accounts),
	    "example.test=0 xn--bcher-kva.test=0 ");
	user_accounts_close(&accounts);
	test_assert(accounts == NULL);
	user_accounts_close(&accounts);
}

static void
test_user_accounts_invalid_domains(void)
{
	static const struct {
		const char *domain;
		const char *reason;
	} cases[] = {
		{ "", "empty name" },
		{ "example", "needs at least one dot" },
		{ "-bad.test", "label starts with '-'" },
		{ "bad-.test", "label ends with '-'" },
		{ "a..test", "empty label" },
		{ ".a.test", "empty label" },
		{ "trailing.test.", "empty label" },
		{ "under_score.test", "only letters, digits" },
		{ "sp ace.test", "only letters, digits" },
		{ "b\xc3\xbc" "cher.test", "non-ASCII" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  ".test", "label longer than 63" },
	};
	char path[512], longest[300];
	struct user_accounts *accounts;
	const char *error;
	size_t i;

	accounts = open_accounts("invalid.db", path, sizeof(path));
	test_require(accounts != NULL);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		error = NULL;
		test_assert_int(user_accounts_domain_add(accounts,
		    cases[i].domain, &error), -1);
		if (error == NULL || strstr(error, cases[i].reason) == NULL ||
		    strncmp(error, "invalid domain", 14) != 0)
			test_fail(__FILE__, __LINE__, "%s: got \"%s\"",
			    cases[i].domain, error ? error : "(null)");
	}
	/* Labels of 61, 63, 63 and 63 bytes make exactly 253 bytes;
	 * moving the first dot one place right makes 254. */
	memset(longest, 'a', sizeof(longest));
	longest[61] = longest[125] = longest[189] = '.';
	longest[253] = '\0';
	test_assert_int(user_accounts_domain_add(accounts, longest, &error),
	    0);
	longest[61] = 'a';
	longest[62] = '.';
	longest[253] = 'a';
	longest[254] = '\0';
	test_assert_int(user_accounts_domain_add(accounts, longest, &error),
	    -1);
	test_assert(strstr(error, "longer than 253") != NULL);
	test_assert_string(domain_list(accounts) + 253, "=0 ");
	user_accounts_close(&accounts);
}

static void
test_user_accounts_users(void)
{
	static const char *const invalid[] = {
		"no-at-sign", "@example.test", ".alice@example.test",
		"alice.@example.test", "al..ice@example.test",
		"al+ice@example.test", "al/ice@example.test",
		"al ice@example.test",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"@example.test",
		"alice@bad_domain.test",
	};
	char path[512], long_password[600];
	struct user_accounts *accounts;
	const char *error = NULL;
	size_t i;

	accounts = open_accounts("users.db", path, sizeof(path));
	test_require(accounts != NULL);
	test_require(user_accounts_domain_add(accounts, "example.test",
	    &error) == 0);
	test_require(user_accounts_domain_add(accounts, "b.test", &error) ==
	    0);
	test_assert_int(user_accounts_user_add(accounts, "Alice@Example.Test",
	    "correct horse", &error), 0);
	test_assert_int(user_accounts_user_add(accounts, "bob.b-2_x@b.test",
	    "battery staple", &error), 0);
	test_assert_int(user_accounts_user_add(accounts, "carol@example.test",
	    "battery staple", &error), 0);

	test_assert_int(user_accounts_user_add(accounts, "ALICE@example.test",
	    "another one", &error), -1);
	test_assert_string(error, "user alice@example.test already exists");
	test_assert_int(user_accounts_user_add(accounts, "dave@other.test",
	    "long enough", &error), -1);
	test_assert_string(error, "no such domain other.test");
	for (i = 0; i < ARRAY_LENGTH(invalid); i++) {
		error = NULL;
		test_assert_int(user_accounts_user_add(accounts, invalid[i],
		    "long enough", &error), -1);
		if (error == NULL || strncmp(error, "invalid ", 8) != 0)
			test_fail(__FILE__, __LINE__, "%s: got \"%s\"",
			    invalid[i], error ? error : "(null)");
	}
	test_assert_int(user_accounts_user_add(accounts, "eve@example.test",
	    "short", &error), -1);
	test_assert_string(error, "password shorter than 8 bytes");
	memset(long_password, 'p', sizeof(long_password));
	long_password[USER_ACCOUNTS_PASSWORD_MAX + 1] = '\0';
	test_assert_int(user_accounts_user_add(accounts, "eve@example.test",
	    long_password, &error), -1);
	test_assert_string(error, "password longer than 511 bytes");

	test_assert_string(user_list(accounts, NULL),
	    "bob.b-2_x@b.test alice@example.test carol@example.test ");
	test_assert_string(user_list(accounts, "EXAMPLE.TEST"),
	    "alice@example.test carol@example.test ");
	test_assert_string(user_list(accounts, "other.test"),
	    "no such domain other.test");
	test_assert_string(domain_list(accounts),
	    "b.test=1 example.test=2 ");

	test_assert_int(user_accounts_domain_delete(accounts, "example.test",
	    &error), -1);
	test_assert_string(error, "domain example.test still has 2 users");
	test_assert_int(user_accounts_domain_delete(accounts, "b.test",
	    &error), -1);
	test_assert_string(error, "domain b.test still has 1 user");

	test_assert_int(user_accounts_user_delete(accounts, "Carol@Example.test",
	    &error), 0);
	test_assert_int(user_accounts_user_delete(accounts, "carol@example.test",
	    &error), -1);
	test_assert_string(error, "no such user carol@example.test");
	test_assert_int(user_accounts_user_delete(accounts, "alice@example.test",
	    &error), 0);
	test_assert_int(user_accounts_domain_delete(accounts, "example.test",
	    &error), 0);
	user_accounts_close(&accounts);

	/* Everything persisted. */
	accounts = open_accounts("users.db", path, sizeof(path));
	test_require(accounts != NULL);
	test_assert_string(user_list(accounts, NULL), "bob.b-2_x@b.test ");
	test_assert_string(domain_list(accounts), "b.test=1 ");
	user_accounts_close(&accounts);
}

static void
test_user_accounts_lookup_recipient(void)
{
	static const struct {
		const char *address;
		enum user_accounts_recipient kind;
		const char *mailbox;
	} cases[] = {
		{ "alice@example.test", USER_ACCOUNTS_LOCAL_USER,
		  "alice@example.test" },
		{ "ALICE@Example.TEST", USER_ACCOUNTS_LOCAL_USER,
		  "alice@example.test" },
		{ "alice+lists@example.test", USER_ACCOUNTS_LOCAL_USER,
		  "alice@example.test" },
		{ "Alice+a+b@EXAMPLE.test", USER_ACCOUNTS_LOCAL_USER,
		  "alice@example.test" },
		{ "bob@example.test", USER_ACCOUNTS_UNKNOWN_USER, NULL },
		{ "+tag@example.test", USER_ACCOUNTS_UNKNOWN_USER, NULL },
		{ "@example.test", USER_ACCOUNTS_UNKNOWN_USER, NULL },
		{ "\"alice\"@example.test", USER_ACCOUNTS_UNKNOWN_USER, NULL },
		{ "alice@other.test", USER_ACCOUNTS_NOT_LOCAL, NULL },
		{ "alice@example.test.other", USER_ACCOUNTS_NOT_LOCAL, NULL },
		{ "alice", USER_ACCOUNTS_NOT_LOCAL, NULL },
		{ "alice@", USER_ACCOUNTS_NOT_LOCAL, NULL },
	};
	char path[512];
	struct user_accounts *accounts;
	struct arena *arena;
	enum user_accounts_recipient kind;
	const char *error = NULL, *mailbox;
	size_t i;

	accounts = open_with_alice("lookup.db", path, sizeof(path),
	    "password1");
	test_require(accounts != NULL);
	arena = arena_new("test", 0);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		mailbox = "unset";
		test_assert_int(user_accounts_lookup_recipient(accounts,
		    cases[i].address, arena, &kind, &mailbox, &error), 0);
		if (kind != cases[i].kind ||
		    (cases[i].mailbox == NULL ? mailbox != NULL :
		    mailbox == NULL || strcmp(mailbox, cases[i].mailbox) != 0))
			test_fail(__FILE__, __LINE__, "%s: kind %d mailbox %s",
			    cases[i].address, (int)kind,
			    mailbox ? mailbox : "(null)");
	}
	arena_free(&arena);
	user_accounts_close(&accounts);
}

/* The stored hash, read behind the module's back. */
static void
stored_hash(const char *path, const char *address, char *dst, size_t size)
{
	sqlite3 *handle;
	sqlite3_stmt *statement;

	dst[0] = '\0';
	if (sqlite3_open(path, &handle) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(handle, "SELECT password_hash FROM users "
	    "WHERE address = ?1", -1, &statement, NULL) == SQLITE_OK) {
		sqlite3_bind_text(statement, 1, address, -1, SQLITE_STATIC);
		if (sqlite3_step(statement) == SQLITE_ROW)
			snprintf(dst, size, "%s",
			    (const char *)sqlite3_column_text(statement, 0));
		sqlite3_finalize(statement);
	}
	sqlite3_close(handle);
}

static void
test_user_accounts_passwords(void)
{
	char path[512], hash[256], old_hash[256], long_password[600];
	struct user_accounts *accounts;
	const char *error = NULL;

	accounts = open_with_alice("passwords.db", path, sizeof(path),
	    "s3cret password");
	test_require(accounts != NULL);
	stored_hash(path, "alice@example.test", hash, sizeof(hash));
	test_assert(strncmp(hash, "$y$", 3) == 0);
	test_assert(strstr(hash, "s3cret") == NULL);

	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", "s3cret password"), 1);
	test_assert_int(user_accounts_verify_password(accounts,
	    "ALICE@example.TEST", "s3cret password"), 1);
	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", "s3cret passwore"), 0);
	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", ""), 0);
	test_assert_int(user_accounts_verify_password(accounts,
	    "nobody@example.test", "s3cret password"), 0);
	test_assert_int(user_accounts_verify_password(accounts,
	    "nobody@example.test", "s3cret password"), 0);
	memset(long_password, 'p', sizeof(long_password) - 1);
	long_password[sizeof(long_password) - 1] = '\0';
	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", long_password), 0);

	snprintf(old_hash, sizeof(old_hash), "%s", hash);
	test_assert_int(user_accounts_user_set_password(accounts,
	    "Alice@Example.test", "new password", &error), 0);
	stored_hash(path, "alice@example.test", hash, sizeof(hash));
	test_assert(strncmp(hash, "$y$", 3) == 0);
	test_assert(strcmp(hash, old_hash) != 0);
	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", "s3cret password"), 0);
	test_assert_int(user_accounts_verify_password(accounts,
	    "alice@example.test", "new password"), 1);
	test_assert_int(user_accounts_user_set_password(accounts,
	    "alice@example.test", "tiny", &error), -1);
	test_assert_string(error, "password shorter than 8 bytes");
	test_assert_int(user_accounts_user_set_password(accounts,
	    "bob@example.test", "new password", &error), -1);
	test_assert_string(error, "no such user bob@example.test");
	user_accounts_close(&accounts);
}

static void
test_user_accounts_quotas(void)
{
	char path[512];
	struct user_accounts *accounts;
	const char *error = NULL;
	uint64_t quota = 99;

	accounts = open_with_alice("quotas.db", path, sizeof(path),
	    "s3cret password");
	test_require(accounts != NULL);
	test_require(user_accounts_user_add(accounts, "bob@example.test",
	    "bob password", &error) == 0);
	/* New users are unlimited. */
	test_assert_int(user_accounts_get_quota(accounts, "alice@example.test",
	    &quota, &error), 0);
	test_assert_int(quota, 0);

	test_assert_int(user_accounts_set_quota(accounts, "ALICE@example.test",
	    (uint64_t)5 << 30, &error), 0);
	test_assert_int(user_accounts_get_quota(accounts, "Alice@Example.Test",
	    &quota, &error), 0);
	test_assert_int(quota, (uint64_t)5 << 30);
	test_assert_string(user_list(accounts, NULL),
	    "alice@example.test=5368709120 bob@example.test ");
	test_assert_int(user_accounts_set_quota(accounts, "bob@example.test",
	    USER_ACCOUNTS_QUOTA_MAX, &error), 0);
	test_assert_int(user_accounts_get_quota(accounts, "bob@example.test",
	    &quota, &error), 0);
	test_assert(quota == USER_ACCOUNTS_QUOTA_MAX);
	test_assert_int(user_accounts_set_quota(accounts, "bob@example.test",
	    USER_ACCOUNTS_QUOTA_MAX + 1, &error), -1);
	test_assert_string(error, "quota too large");

	/* Back to unlimited. */
	test_assert_int(user_accounts_set_quota(accounts, "alice@example.test",
	    0, &error), 0);
	test_assert_string(user_list(accounts, "example.test"),
	    "alice@example.test bob@example.test=9223372036854775807 ");

	test_assert_int(user_accounts_set_quota(accounts, "carol@example.test",
	    1024, &error), -1);
	test_assert_string(error, "no such user carol@example.test");
	test_assert_int(user_accounts_get_quota(accounts, "carol@example.test",
	    &quota, &error), -1);
	test_assert_string(error, "no such user carol@example.test");
	user_accounts_close(&accounts);
}

/* A database made before quotas (schema version 2) gains the column
 * with every user unlimited. */
static void
test_user_accounts_quota_migration(void)
{
	char path[512];
	struct user_accounts *accounts;
	const char *error = NULL;
	uint64_t quota = 99;
	sqlite3 *handle;

	snprintf(path, sizeof(path), "%s/old.db", test_temp_dir());
	test_require(sqlite3_open(path, &handle) == SQLITE_OK);
	test_require(sqlite3_exec(handle,
	    "CREATE TABLE domains (name TEXT PRIMARY KEY COLLATE NOCASE,"
	    " created INTEGER NOT NULL);"
	    "CREATE TABLE users (address TEXT PRIMARY KEY COLLATE NOCASE,"
	    " local_part TEXT NOT NULL COLLATE NOCASE,"
	    " domain TEXT NOT NULL COLLATE NOCASE REFERENCES domains (name),"
	    " password_hash TEXT NOT NULL, created INTEGER NOT NULL);"
	    "INSERT INTO domains VALUES ('example.test', 0);"
	    "INSERT INTO users VALUES ('old@example.test', 'old',"
	    " 'example.test', '$6$x$y', 0);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(handle);

	test_require(user_accounts_open(path, &accounts, &error) == 0);
	test_assert_int(user_accounts_get_quota(accounts, "old@example.test",
	    &quota, &error), 0);
	test_assert_int(quota, 0);
	test_assert_string(user_list(accounts, NULL), "old@example.test ");
	user_accounts_close(&accounts);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_user_accounts_domains),
		TEST_CASE(test_user_accounts_invalid_domains),
		TEST_CASE(test_user_accounts_users),
		TEST_CASE(test_user_accounts_lookup_recipient),
		TEST_CASE(test_user_accounts_passwords),
		TEST_CASE(test_user_accounts_quotas),
		TEST_CASE(test_user_accounts_quota_migration),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
