/* state_dir.h: the layout and ownership of STATE_DIR.
 *
 * sluiced and the CLI both create STATE_DIR and its fixed subdirectories
 * (spool/, mail/) and, when running as root, hand them and the database
 * files to the unprivileged `user`, so a database created by
 * `sluice user add` as root stays writable by the daemon. Blocking;
 * start-up and CLI only. */
#ifndef SLUICE_STATE_DIR_H
#define SLUICE_STATE_DIR_H

#include "lib/common.h"
#include "gateway/server_config.h"

#include <sys/types.h>

/* Looks up config->core->user when running as root. Sets *uid_r and
 * *gid_r to (uid_t)-1/(gid_t)-1 when not root. Fails when root and the
 * user is missing or empty. */
int state_dir_owner(const struct server_config *config, uid_t *uid_r,
    gid_t *gid_r, const char **error_r);

/* Creates STATE_DIR, spool/ and mail/ (mode 0750) and, with uid !=
 * (uid_t)-1, chowns them and the database files that exist. */
int state_dir_prepare(const struct server_config *config, uid_t uid,
    gid_t gid, const char **error_r);

/* STATE_DIR/sluice.db as a heap string. */
char *state_dir_accounts_path(const struct server_config *config);

#endif
