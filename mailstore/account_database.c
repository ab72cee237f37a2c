/* account_database.c: the migrations of sluice.db and the domain and
 * address rules shared by its tables.
 *
 * DESIGN: names are validated and lowercased on the way in, and the
 * columns are COLLATE NOCASE as well, so lookups need no folding and an
 * index serves them. A migration is never edited once released: a
 * change is a new one at the end of the list. */
#include "mailstore/account_database.h"
#include "lib/database.h"
#include "lib/error.h"
#include "lib/string_view.h"

#define ACCOUNT_DATABASE_LABEL_MAX 63

static const struct database_migration account_database_migrations[] = {
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
	/* Aliases: source is "local@domain", "@domain" (catch-all) or
	 * "postmaster"; domain is the source's domain ("" for postmaster),
	 * for listing. Relay recipients: the addresses a relay domain in
	 * list mode accepts. Probes: what the downstream server answered
	 * when asked about an address (reply is its text for a refusal). */
	{ 2,
	    "CREATE TABLE aliases ("
	    " source TEXT NOT NULL COLLATE NOCASE,"
	    " destination TEXT NOT NULL COLLATE NOCASE,"
	    " domain TEXT NOT NULL COLLATE NOCASE,"
	    " created INTEGER NOT NULL,"
	    " PRIMARY KEY (source, destination));"
	    "CREATE INDEX aliases_domain ON aliases (domain, source);"
	    "CREATE TABLE relay_recipients ("
	    " address TEXT PRIMARY KEY COLLATE NOCASE,"
	    " domain TEXT NOT NULL COLLATE NOCASE,"
	    " created INTEGER NOT NULL);"
	    "CREATE INDEX relay_recipients_domain"
	    " ON relay_recipients (domain, address);"
	    "CREATE TABLE recipient_probes ("
	    " address TEXT PRIMARY KEY COLLATE NOCASE,"
	    " accepted INTEGER NOT NULL,"
	    " checked INTEGER NOT NULL,"
	    " reply TEXT NOT NULL);"
	    "CREATE INDEX recipient_probes_checked"
	    " ON recipient_probes (checked);" },
	/* Per-user mailbox quota in bytes; 0 is unlimited. */
	{ 3,
	    "ALTER TABLE users ADD COLUMN quota_bytes INTEGER NOT NULL"
	    " DEFAULT 0;" },
};

int
account_database_open(const char *path, struct database **database_r,
    const char **error_r)
{
	return database_open(path, account_database_migrations,
	    ARRAY_LENGTH(account_database_migrations), true, database_r,
	    error_r);
}

const char *
account_database_error(struct database *database, const char *path,
    const char *what)
{
	return error_set("%s: %s: %s", path, what,
	    sqlite3_errmsg(database_handle(database)));
}

int
account_database_step_done(struct database *database, const char *path,
    sqlite3_stmt *statement, const char *what, int *code_r,
    const char **error_r)
{
	int rc = sqlite3_step(statement);

	*code_r = rc;
	if (rc == SQLITE_DONE)
		return 0;
	*error_r = account_database_error(database, path, what);
	(void)sqlite3_reset(statement);
	return -1;
}

const char *
account_database_printable(const char *s, char *buf, size_t size)
{
	return string_view_printable(string_view_from_cstring(s), buf, size);
}

int
account_database_lowercase(const char *s, char *dst, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= size)
			return -1;
		dst[i] = (char)string_ascii_lower((unsigned char)s[i]);
	}
	dst[i] = '\0';
	return 0;
}

/* Why a lowercased domain name is not acceptable, or NULL when it is. */
static const char *
account_database_domain_problem(const char *name)
{
	size_t i, label_length = 0;
	bool dotted = false;
	unsigned char c;

	if (name[0] == '\0')
		return "empty name";
	if (strlen(name) > ACCOUNT_DATABASE_DOMAIN_MAX)
		return "longer than 253 bytes";
	for (i = 0;; i++) {
		c = (unsigned char)name[i];
		if (c == '.' || c == '\0') {
			if (label_length == 0)
				return "empty label";
			if (name[i - 1] == '-')
				return "label ends with '-'";
			if (c == '\0')
				break;
			dotted = true;
			label_length = 0;
			continue;
		}
		if (c >= 0x80)
			return "non-ASCII (use the xn-- form)";
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return "only letters, digits, '-' and '.' are allowed";
		if (c == '-' && label_length == 0)
			return "label starts with '-'";
		if (++label_length > ACCOUNT_DATABASE_LABEL_MAX)
			return "label longer than 63 bytes";
	}
	if (!dotted && strcmp(name, "localhost") != 0)
		return "needs at least one dot";
	return NULL;
}

int
account_database_domain_normalize(const char *domain, char *dst, size_t size,
    const char **error_r)
{
	char shown[ACCOUNT_DATABASE_PRINTABLE_SIZE];
	const char *problem;

	if (account_database_lowercase(domain, dst, size) < 0)
		problem = "longer than 253 bytes";
	else
		problem = account_database_domain_problem(dst);
	if (problem != NULL) {
		*error_r = error_set("invalid domain \"%s\": %s",
		    account_database_printable(domain, shown, sizeof(shown)),
		    problem);
		return -1;
	}
	return 0;
}

/* Whether c may appear in an RFC 5321 dot-string (atext, or UTF-8). */
static bool
account_database_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Why a local part is not a dot-string we store, or NULL. */
static const char *
account_database_local_part_problem(const char *local, size_t length)
{
	size_t i;

	if (length == 0)
		return "empty local part";
	if (length > ACCOUNT_DATABASE_LOCAL_PART_MAX)
		return "local part longer than 64 octets";
	if (local[0] == '"')
		return "quoted local parts are not supported";
	if (local[0] == '.' || local[length - 1] == '.')
		return "local part starts or ends with '.'";
	for (i = 0; i < length; i++) {
		if (local[i] == '.') {
			if (local[i + 1] == '.')
				return "local part has '..'";
			continue;
		}
		if (!account_database_is_atext((unsigned char)local[i]))
			return "local part has a character addresses cannot "
			    "have unquoted";
	}
	return NULL;
}

int
account_database_address_normalize(const char *address,
    const char *(*stricter)(const char *local, size_t length), char *dst,
    size_t size, size_t *at_r, const char **error_r)
{
	char shown[ACCOUNT_DATABASE_PRINTABLE_SIZE];
	char domain[ACCOUNT_DATABASE_DOMAIN_MAX + 1];
	const char *at = strrchr(address, '@'), *problem;
	size_t local_length;

	account_database_printable(address, shown, sizeof(shown));
	if (at == NULL) {
		*error_r = error_set("invalid address \"%s\": no '@'", shown);
		return -1;
	}
	local_length = (size_t)(at - address);
	if (account_database_lowercase(address, dst, size) < 0)
		problem = "too long";
	else
		problem = account_database_local_part_problem(dst,
		    local_length);
	if (problem == NULL && stricter != NULL)
		problem = stricter(dst, local_length);
	if (problem != NULL) {
		*error_r = error_set("invalid address \"%s\": %s", shown,
		    problem);
		return -1;
	}
	if (account_database_domain_normalize(at + 1, domain, sizeof(domain),
	    error_r) < 0)
		return -1;
	*at_r = local_length;
	return 0;
}
