/* test_account_database.c: unit tests for mailstore/account_database:
 * the upgrade of a first-version sluice.db and the shared name rules. */
#include "mailstore/account_database.h"
#include "mailstore/user_accounts.h"
#include "lib/arena.h"
#include "tests/unit/harness.h"

/* The schema sluice.db had before aliases existed (migration 1). */
static const struct database_migration version_one[] = {
	{ 1,
	    "CREATE TABLE domains ("
	    " name TEXT PRIMARY KEY COLLATE NOCASE,"
	    " created INTEGER NOT NULL);"
	    "CREATE TABLE users ("
	    " address TEXT PRIMARY KEY COLLATE NOCASE,"
	    " local_part TEXT NOT NULL COLLATE NOCASE,"
	    " domain TEXT NOT NULL COLLATE NOCASE REFERENCES domains (name),"
	    " password_hash TEXT NOT NULL,"
	    " created INTEGER NOT NULL);"
	    "CREATE INDEX users_domain ON users (domain, local_part);" },
};

static int
user_version(struct database *database)
{
	const char *error;
	sqlite3_stmt *statement = database_statement(database,
	    "PRAGMA user_version", &error);
	int version = -1;

	if (statement != NULL && sqlite3_step(statement) == SQLITE_ROW)
		version = sqlite3_column_int(statement, 0);
	if (statement != NULL)
		sqlite3_reset(statement);
	return version;
}

static void
test_account_database_upgrades_version_one(void)
{
	struct user_accounts *accounts = NULL;
	struct database *database = NULL;
	enum user_accounts_recipient kind;
	struct arena *arena = arena_new("test", 0);
	const char *error = NULL, *mailbox;
	char path[512];

	snprintf(path, sizeof(path), "%s/old.db", test_temp_dir());
	test_require(database_open(path, version_one, 1, true, &database,
	    &error) == 0);
	test_require(database_exec(database,
	    "INSERT INTO domains VALUES ('example.test', 1);"
	    "INSERT INTO users VALUES ('bob@example.test', 'bob',"
	    " 'example.test', 'x', 1);", &error) == 0);
	database_close(&database);

	test_require(account_database_open(path, &database, &error) == 0);
	test_assert_int(user_version(database), 3);
	test_assert_int(database_exec(database,
	    "INSERT INTO aliases VALUES ('a@example.test', 'bob@example.test',"
	    " 'example.test', 1);"
	    "INSERT INTO relay_recipients VALUES ('x@relay.test',"
	    " 'relay.test', 1);"
	    "INSERT INTO recipient_probes VALUES ('y@relay.test', 1, 1, '');",
	    &error), 0);
	database_close(&database);

	/* The users of version one are still there. */
	test_require(user_accounts_open(path, &accounts, &error) == 0);
	test_assert_int(user_accounts_lookup_recipient(accounts,
	    "BOB@example.test", arena, &kind, &mailbox, &error), 0);
	test_assert_int(kind, USER_ACCOUNTS_LOCAL_USER);
	test_assert_string(mailbox, "bob@example.test");
	user_accounts_close(&accounts);
	arena_free(&arena);
}

struct normalize_case {
	const char *address;
	const char *normalized;  /* NULL: refused */
	const char *problem;     /* part of the error */
};

static const struct normalize_case normalize_cases[] = {
	{ "Bob@Example.ORG", "bob@example.org", NULL },
	{ "first.last+tag@example.org", "first.last+tag@example.org", NULL },
	{ "o'neil!x#y@example.org", "o'neil!x#y@example.org", NULL },
	{ "j\xc3\xb6rg@example.org", "j\xc3\xb6rg@example.org", NULL },
	{ "nobody", NULL, "no '@'" },
	{ "@example.org", NULL, "empty local part" },
	{ ".a@example.org", NULL, "starts or ends" },
	{ "a..b@example.org", NULL, "'..'" },
	{ "\"a b\"@example.org", NULL, "quoted" },
	{ "a b@example.org", NULL, "character" },
	{ "a@b@example.org", NULL, "character" },
	{ "a@example", NULL, "needs at least one dot" },
	{ "a@-x.example.org", NULL, "starts with '-'" },
	{ "a@ex_ample.org", NULL, "only letters" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@example.org", NULL, "longer than 64" },
};

static void
test_account_database_address_rules(void)
{
	char normalized[ACCOUNT_DATABASE_ADDRESS_SIZE];
	const char *error = NULL;
	size_t i, at;

	for (i = 0; i < ARRAY_LENGTH(normalize_cases); i++) {
		const struct normalize_case *c = &normalize_cases[i];
		int ret = account_database_address_normalize(c->address,
		    NULL, normalized, sizeof(normalized), &at, &error);

		if (c->normalized != NULL) {
			if (ret != 0) {
				test_fail(__FILE__, __LINE__, "%s: %s",
				    c->address, error);
				continue;
			}
			test_assert_string(normalized, c->normalized);
			test_assert_int(normalized[at], '@');
		} else if (ret == 0) {
			test_fail(__FILE__, __LINE__, "%s accepted",
			    c->address);
		} else if (strstr(error, c->problem) == NULL) {
			test_fail(__FILE__, __LINE__, "%s: '%s' lacks '%s'",
			    c->address, error, c->problem);
		}
	}
}

static void
test_account_database_domain_rules(void)
{
	char name[ACCOUNT_DATABASE_DOMAIN_MAX + 1];
	const char *error = NULL;

	test_assert_int(account_database_domain_normalize("Mail.Example.ORG",
	    name, sizeof(name), &error), 0);
	test_assert_string(name, "mail.example.org");
	test_assert_int(account_database_domain_normalize("localhost", name,
	    sizeof(name), &error), 0);
	test_assert_int(account_database_domain_normalize("a..b", name,
	    sizeof(name), &error), -1);
	test_assert(strstr(error, "empty label") != NULL);
	test_assert_int(account_database_lowercase("ABC", name, 3), -1);
	test_assert_int(account_database_lowercase("ABC", name, 4), 0);
	test_assert_string(name, "abc");
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_account_database_upgrades_version_one),
		TEST_CASE(test_account_database_address_rules),
		TEST_CASE(test_account_database_domain_rules),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
