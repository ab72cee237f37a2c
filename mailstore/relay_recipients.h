/* relay_recipients.h: what sluice knows about the addresses of relay
 * domains, in sluice.db: the list of valid recipients (for relay
 * domains verified by list) and the answers of recipient probes (for
 * relay domains verified by asking the downstream server).
 *
 * Which domains are relay domains is configuration (relay.domains);
 * this module stores addresses of any domain and leaves that check to
 * its callers. A struct relay_recipients is one SQLite connection
 * (account_database.h) and belongs to one thread at a time. Addresses
 * are stored lowercased and compared without regard to ASCII case.
 * Callbacks of relay_recipients_list run while a statement is active:
 * they must not call back into the same struct relay_recipients. */
#ifndef SLUICE_RELAY_RECIPIENTS_H
#define SLUICE_RELAY_RECIPIENTS_H

#include "lib/common.h"

struct arena;
struct relay_recipients;

/* Longest probe reply text stored. */
#define RELAY_RECIPIENTS_REPLY_MAX 512

/* Opens (creating and migrating as needed) sluice.db at database_path.
 * Returns 0 and *recipients_r, or -1 with error_r. */
int relay_recipients_open(const char *database_path,
    struct relay_recipients **recipients_r, const char **error_r);

/* Closes the connection; sets *recipients_p to NULL (NULL is a no-op). */
void relay_recipients_close(struct relay_recipients **recipients_p);

/* Adds addresses ("local@domain", rules as in
 * account_database_address_normalize), all or none, in one
 * transaction. An address already listed is an error ("relay recipient
 * x already exists") unless skip_existing; *added_r (may be NULL) is the
 * number of new rows. Errors name the first bad address. */
int relay_recipients_add(struct relay_recipients *recipients,
    const char *const *addresses, size_t count, bool skip_existing,
    size_t *added_r, const char **error_r);

/* Removes addresses, all or none. Errors: "no relay recipient x",
 * database. */
int relay_recipients_remove(struct relay_recipients *recipients,
    const char *const *addresses, size_t count, const char **error_r);

/* Calls each(address, context) for every listed address of domain (any
 * case), or of all domains when domain is NULL, by domain and address.
 * Returns 0 or -1. */
int relay_recipients_list(struct relay_recipients *recipients,
    const char *domain, void (*each)(const char *address, void *context),
    void *context, const char **error_r);

/* Whether address (exactly, any case) is listed: 1 yes, 0 no, -1 with
 * error_r. One indexed query through a cached statement. */
int relay_recipients_contains(struct relay_recipients *recipients,
    const char *address, const char **error_r);

/* A remembered probe answer. */
struct relay_recipients_probe {
	bool accepted;     /* the downstream server took RCPT TO (2xx) */
	int64_t checked;   /* unix time of the answer */
	const char *reply; /* its reply ("550 5.1.1 unknown"), "" if taken */
};

/* Looks up the last probe answer for address. Returns 1 and *probe_r
 * (reply in arena), 0 when there is none, -1 with error_r. */
int relay_recipients_probe_get(struct relay_recipients *recipients,
    const char *address, struct arena *arena,
    struct relay_recipients_probe *probe_r, const char **error_r);

/* Records (replacing any earlier) a probe answer for address; reply is
 * cut to RELAY_RECIPIENTS_REPLY_MAX bytes. Returns 0 or -1. */
int relay_recipients_probe_put(struct relay_recipients *recipients,
    const char *address, const struct relay_recipients_probe *probe,
    const char **error_r);

/* Deletes the accepted answers checked before accepted_before and the
 * refusals checked before refused_before. Returns 0 or -1. */
int relay_recipients_probe_expire(struct relay_recipients *recipients,
    int64_t accepted_before, int64_t refused_before, const char **error_r);

#endif
