/* account_database.h: sluice.db, the accounts database: its schema,
 * opening it, and the name rules its tables share.
 *
 * The file has one PRAGMA user_version, so its migrations form one list
 * here, while the tables belong to the modules that use them: domains
 * and users (user_accounts.h), aliases (aliases.h), relay recipients
 * and recipient probe results (relay_recipients.h). Each module opens
 * its own connection through account_database_open(); whichever opens
 * the file first creates or upgrades all of it. The functions are
 * thread-safe; a connection belongs to one thread at a time
 * (lib/database.h). */
#ifndef SLUICE_ACCOUNT_DATABASE_H
#define SLUICE_ACCOUNT_DATABASE_H

#include "lib/common.h"
#include "lib/database.h"

#define ACCOUNT_DATABASE_DOMAIN_MAX 253
#define ACCOUNT_DATABASE_LOCAL_PART_MAX 64
/* "local@domain" plus its NUL. */
#define ACCOUNT_DATABASE_ADDRESS_SIZE \
	(ACCOUNT_DATABASE_LOCAL_PART_MAX + 1 + ACCOUNT_DATABASE_DOMAIN_MAX + 1)
/* Names in error messages are rendered printable and this long at most. */
#define ACCOUNT_DATABASE_PRINTABLE_SIZE 96

/* Opens (creating with mode 0600 and migrating as needed) the database
 * at path, with durable (synchronous=FULL) commits. Returns 0 and
 * *database_r (close with database_close), or -1 with error_r. */
int account_database_open(const char *path, struct database **database_r,
    const char **error_r);

/* error_set("PATH: WHAT: SQLite's message") for database, opened from
 * path; returns the text. */
const char *account_database_error(struct database *database,
    const char *path, const char *what);

/* Steps statement, which returns no rows. Returns 0 on SQLITE_DONE;
 * otherwise resets the statement, sets *code_r to SQLite's (extended)
 * result code and error_r as account_database_error() does. */
int account_database_step_done(struct database *database, const char *path,
    sqlite3_stmt *statement, const char *what, int *code_r,
    const char **error_r);

/* Lowercases domain into dst (size > ACCOUNT_DATABASE_DOMAIN_MAX) and
 * checks it: LDH labels (1..63 of [a-z0-9-], no leading or trailing
 * '-') joined by single dots, at most 253 bytes, with at least one dot
 * unless it is "localhost"; IDNs in their xn-- form. Returns 0, or -1
 * with error_r ("invalid domain \"x\": empty label"). */
int account_database_domain_normalize(const char *domain, char *dst,
    size_t size, const char **error_r);

/* Lowercases "local@domain" into dst (ACCOUNT_DATABASE_ADDRESS_SIZE)
 * and checks it: the local part is an RFC 5321 dot-string of 1..64
 * octets (letters, digits, !#$%&'*+-/=?^_`{|}~ and bytes >= 0x80 for
 * SMTPUTF8, dots only between them; quoted local parts are not
 * supported), the domain as in account_database_domain_normalize.
 * stricter (may be NULL) then says why a lowercased local part that
 * passed is still not acceptable to the caller, or NULL. *at_r is the
 * index of the '@' in dst. Returns 0, or -1 with error_r naming the
 * address and the problem. */
int account_database_address_normalize(const char *address,
    const char *(*stricter)(const char *local, size_t length), char *dst,
    size_t size, size_t *at_r, const char **error_r);

/* Copies s lowercased (ASCII letters) into dst of size bytes. Returns
 * 0, or -1 when it does not fit. */
int account_database_lowercase(const char *s, char *dst, size_t size);

/* A bounded, printable rendering of s for error messages, in buf
 * (ACCOUNT_DATABASE_PRINTABLE_SIZE). */
const char *account_database_printable(const char *s, char *buf,
    size_t size);

#endif
