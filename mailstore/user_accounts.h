/* user_accounts.h: local domains and users (with password hashes) in
 * sluice.db.
 *
 * A struct user_accounts is one SQLite connection (lib/database.h) and
 * belongs to one thread: open one per thread that needs it (the event
 * loop for RCPT lookups, each worker for password checks, the CLI). WAL
 * lets them share the file. Names are stored lowercased and compared
 * case-insensitively. Domain and user changes are immediate; other
 * connections see them on their next statement.
 *
 * Callbacks (the _list functions) run while a statement is active: they
 * must not call back into the same struct user_accounts. */
#ifndef SLUICE_USER_ACCOUNTS_H
#define SLUICE_USER_ACCOUNTS_H

#include "lib/common.h"

struct arena;
struct user_accounts;

/* Limits on what user_accounts_user_add accepts. The password maximum
 * is what libxcrypt can hash (CRYPT_MAX_PASSPHRASE_SIZE - 1). */
#define USER_ACCOUNTS_DOMAIN_MAX 253
#define USER_ACCOUNTS_LOCAL_PART_MAX 64
#define USER_ACCOUNTS_PASSWORD_MIN 8
#define USER_ACCOUNTS_PASSWORD_MAX 511

/* The recipient delimiter: "user+tag@domain" is delivered to
 * "user@domain". */
#define USER_ACCOUNTS_RECIPIENT_DELIMITER '+'

/* Opens (creating and migrating as needed) the accounts database at
 * database_path, with durable (synchronous=FULL) commits. Returns 0 and
 * *accounts_r, or -1 with error_r. */
int user_accounts_open(const char *database_path,
    struct user_accounts **accounts_r, const char **error_r);

/* Closes the connection; sets *accounts_p to NULL (NULL is a no-op). */
void user_accounts_close(struct user_accounts **accounts_p);

/* Adds a local domain. The name is lowercased and must be LDH labels
 * (1..63 of [a-z0-9-], no leading or trailing '-') joined by single
 * dots, at most 253 bytes, with at least one dot unless it is
 * "localhost". IDNs are given in their xn-- form. Errors: invalid name
 * (the reason), "domain example.test already exists", database. */
int user_accounts_domain_add(struct user_accounts *accounts,
    const char *domain, const char **error_r);

/* Deletes a domain that has no users. Errors: "domain example.test
 * still has 2 users", "no such domain example.test", database. */
int user_accounts_domain_delete(struct user_accounts *accounts,
    const char *domain, const char **error_r);

/* Calls each(domain, user_count, context) for every domain in name
 * order. domain is valid during the call only. Returns 0 or -1. */
int user_accounts_domain_list(struct user_accounts *accounts,
    void (*each)(const char *domain, unsigned user_count, void *context),
    void *context, const char **error_r);

/* Returns 1 when domain (any case) is local, 0 when not, -1 on a
 * database error (logged as a warning). Uses a cached statement. */
int user_accounts_domain_is_local(struct user_accounts *accounts,
    const char *domain);

/* Adds user address ("local@domain", any case; stored lowercased) with
 * a yescrypt hash of password (SHA-512 crypt where libxcrypt lacks
 * yescrypt). The local part, after lowercasing, is 1..64 characters of
 * [a-z0-9._-] without a leading, trailing or doubled dot, because it
 * names the user's mail directory. password is 8..511 bytes. The
 * domain must exist. Errors: the invalid part, "no such domain ...",
 * "user ... already exists", hashing, database. */
int user_accounts_user_add(struct user_accounts *accounts,
    const char *address, const char *password, const char **error_r);

/* Replaces address's password hash (same password rules as _add).
 * Errors: "no such user ...", invalid password, hashing, database. */
int user_accounts_user_set_password(struct user_accounts *accounts,
    const char *address, const char *password, const char **error_r);

/* Deletes address from the database. Its Maildir and mail files are
 * left on disk untouched: removing mail is an administrator's call.
 * Errors: "no such user ...", database. */
int user_accounts_user_delete(struct user_accounts *accounts,
    const char *address, const char **error_r);

/* Calls each(address, quota_bytes, context) for every user of domain
 * (any case), or of all domains when domain is NULL, in domain then
 * local-part order. address is valid during the call only; quota_bytes
 * is as user_accounts_get_quota gives it. Errors: "no such domain ..."
 * (only when domain is given), database. */
int user_accounts_user_list(struct user_accounts *accounts,
    const char *domain,
    void (*each)(const char *address, uint64_t quota_bytes, void *context),
    void *context, const char **error_r);

/* The largest quota: what SQLite's integer holds. */
#define USER_ACCOUNTS_QUOTA_MAX ((uint64_t)INT64_MAX)

/* Sets address's (any case) mailbox quota to quota_bytes, 0 meaning
 * unlimited. Errors: "quota too large" (over USER_ACCOUNTS_QUOTA_MAX),
 * "no such user ...", database. */
int user_accounts_set_quota(struct user_accounts *accounts,
    const char *address, uint64_t quota_bytes, const char **error_r);

/* Reads address's (any case) quota into *quota_bytes_r (0: unlimited).
 * One indexed query. Errors: "no such user ...", database. */
int user_accounts_get_quota(struct user_accounts *accounts,
    const char *address, uint64_t *quota_bytes_r, const char **error_r);

enum user_accounts_recipient {
	USER_ACCOUNTS_NOT_LOCAL,    /* the domain is not ours: relay or deny */
	USER_ACCOUNTS_UNKNOWN_USER, /* our domain, no such user: 550 */
	USER_ACCOUNTS_LOCAL_USER,   /* deliver to *mailbox_r */
};

/* Classifies an envelope recipient address ("local@domain", without
 * angle brackets; the domain is the part after the last '@').
 * Case-insensitive, and "user+tag@domain" resolves to "user@domain".
 * For USER_ACCOUNTS_LOCAL_USER, *mailbox_r is the canonical lowercase
 * "user@domain", allocated in arena; otherwise it is set to NULL. A
 * malformed address is UNKNOWN_USER or NOT_LOCAL, not an error. One
 * indexed query through a cached statement, fast enough for the event
 * loop on every RCPT. Returns 0, or -1 with error_r (database). */
int user_accounts_lookup_recipient(struct user_accounts *accounts,
    const char *address, struct arena *arena,
    enum user_accounts_recipient *kind_r, const char **mailbox_r,
    const char **error_r);

/* Checks password against address's stored hash. Returns 1 on a match,
 * 0 on a mismatch, an unknown user or an over-long password, and -1 on
 * a database error or an unusable stored hash (logged as a warning).
 * An unknown user still costs one hash (against a dummy hash made once
 * per process, on the first check of an unknown user, which therefore
 * costs two), so timing does not tell which users exist. Slow by design (tens of milliseconds): call it on a
 * worker thread, never on the event loop. */
int user_accounts_verify_password(struct user_accounts *accounts,
    const char *address, const char *password);

#endif
