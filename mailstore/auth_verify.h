/* auth_verify.h: the password check of an IMAP or POP3 login, as a
 * worker job with plain structs in and out.
 *
 * The request and the result are fixed-size structs without pointers,
 * so the job could move to a helper process unchanged. struct
 * auth_verify holds the accounts database path and a small free list of
 * user_accounts connections (which are not thread-safe: each job takes
 * one for its duration, and a busy moment opens more, of which at most
 * AUTH_VERIFY_IDLE_MAX are kept). auth_verify_new and _free are
 * loop-thread calls; auth_verify_run and auth_verify_work may run on
 * any number of worker threads at once. */
#ifndef SLUICE_AUTH_VERIFY_H
#define SLUICE_AUTH_VERIFY_H

#include "lib/common.h"
#include "mailstore/account_database.h"
#include "mailstore/sasl_plain.h"

/* Connections kept open between jobs. */
#define AUTH_VERIFY_IDLE_MAX 8

struct auth_verify;

struct auth_verify_request {
	/* "user@domain" in any case, as the client sent it (sasl_plain's
	 * authcid, or the USER/LOGIN argument). */
	char login[SASL_PLAIN_AUTHCID_MAX + 1];
	char password[SASL_PLAIN_PASSWORD_MAX + 1];
};

enum auth_verify_status {
	AUTH_VERIFY_OK,          /* the password matches */
	AUTH_VERIFY_FAILED,      /* wrong password, unknown user, bad login */
	AUTH_VERIFY_UNAVAILABLE, /* database trouble: try again later */
};

struct auth_verify_result {
	enum auth_verify_status status;
	/* For AUTH_VERIFY_OK: the canonical lowercase "user@domain" and
	 * the mailbox quota in bytes (0: unlimited). Empty and 0
	 * otherwise. */
	char user[ACCOUNT_DATABASE_ADDRESS_SIZE];
	uint64_t quota_bytes;
};

/* One job for worker_pool_submit(pool, auth_verify_work, done, job):
 * the submitter fills verify and request, reads result in done(). */
struct auth_verify_job {
	struct auth_verify *verify;
	struct auth_verify_request request;
	struct auth_verify_result result;
};

/* Opens the accounts database at database_path (creating and migrating
 * it as needed) and keeps that connection for the first job. It also
 * makes the dummy hash unknown users are checked against, so even the
 * first failed login costs what later ones do: this takes tens of
 * milliseconds, once, at start-up. Returns 0 and *verify_r, or -1 with
 * error_r. */
int auth_verify_new(const char *database_path, struct auth_verify **verify_r,
    const char **error_r);

/* Closes the kept connections; no job may be running. Sets *verify_p to
 * NULL (NULL is a no-op). */
void auth_verify_free(struct auth_verify **verify_p);

/* Checks request's password, filling *result_r. The login must be
 * "local@domain" with no recipient delimiter ('+'): a "+tag" login
 * fails (addresses with tags are for mail, not for logging in). A
 * failed check costs about as much time for an unknown user as for a
 * wrong password (user_accounts_verify_password hashes against a dummy
 * hash), so answers do not reveal which users exist; only a malformed
 * login (no '@', a '+', too long) fails at once. Database errors give
 * AUTH_VERIFY_UNAVAILABLE and a warning in the log. Slow by design:
 * worker threads only. */
void auth_verify_run(struct auth_verify *verify,
    const struct auth_verify_request *request,
    struct auth_verify_result *result_r);

/* worker_pool work function: auth_verify_run on a struct
 * auth_verify_job, then wipes its request's password. */
void auth_verify_work(void *context);

#endif
