/* aliases.h: aliases and forwards in sluice.db: a source address that
 * stands for a list of destination addresses, local or remote.
 *
 * A source is "local@domain", "@domain" (the domain's catch-all, used
 * for addresses of the domain that match nothing else) or "postmaster"
 * (RCPT TO:<postmaster> without a domain, which RFC 5321 requires us to
 * take). A destination is "local@domain", or, for a catch-all source
 * only, "@domain" (the same local part at another domain). What the
 * sources and destinations mean (recursion, loops, which domains are
 * ours) is gateway/routing.c's business; this module stores them.
 *
 * A struct aliases is one SQLite connection (account_database.h) and
 * belongs to one thread at a time. Names are stored lowercased and
 * compared without regard to ASCII case. Callbacks of aliases_list run
 * while a statement is active: they must not call back into the same
 * struct aliases. */
#ifndef SLUICE_ALIASES_H
#define SLUICE_ALIASES_H

#include "lib/common.h"

struct arena;
struct aliases;

/* Most destinations one source may have. */
#define ALIASES_DESTINATIONS_MAX 1000

/* The source that RCPT TO:<postmaster> without a domain looks up. */
#define ALIASES_POSTMASTER "postmaster"

/* Opens (creating and migrating as needed) sluice.db at database_path.
 * Returns 0 and *aliases_r, or -1 with error_r. */
int aliases_open(const char *database_path, struct aliases **aliases_r,
    const char **error_r);

/* Closes the connection; sets *aliases_p to NULL (NULL is a no-op). */
void aliases_close(struct aliases **aliases_p);

/* Adds destinations (count >= 1) to source, all or none. An address
 * may alias to itself (to keep a copy while forwarding). Errors: an
 * invalid source or destination (the reason), "@domain" as the
 * destination of an address source, a catch-all to itself, a
 * destination given twice, "alias S -> D already exists", more than
 * ALIASES_DESTINATIONS_MAX destinations in all, database. */
int aliases_add(struct aliases *aliases, const char *source,
    const char *const *destinations, size_t count, const char **error_r);

/* Removes the given destinations of source (all or none), or every
 * destination when count is 0. Errors: "no alias S" (nothing to
 * remove), "no alias S -> D", database. */
int aliases_remove(struct aliases *aliases, const char *source,
    const char *const *destinations, size_t count, const char **error_r);

/* Calls each(source, destination, context) for every pair whose source
 * is in domain (any case; its catch-all included), or for all pairs
 * when domain is NULL, by source and then in the order added. The
 * strings are valid during the call only. Returns 0 or -1. */
int aliases_list(struct aliases *aliases, const char *domain,
    void (*each)(const char *source, const char *destination,
	void *context),
    void *context, const char **error_r);

/* Looks up source exactly as given (any case; "local@domain",
 * "@domain" or "postmaster"; no +tag or other rewriting). Returns 1 with
 * *destinations_r (an array in arena of *count_r strings in arena, in
 * the order added), 0 when source has no alias, -1 with error_r on a
 * database error or a source with more than ALIASES_DESTINATIONS_MAX
 * destinations (only possible by editing the file by hand). One indexed
 * query through a cached statement. */
int aliases_lookup(struct aliases *aliases, const char *source,
    struct arena *arena, const char ***destinations_r, size_t *count_r,
    const char **error_r);

#endif
