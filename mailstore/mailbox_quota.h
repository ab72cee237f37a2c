/* mailbox_quota.h: whether a user's mailboxes can take one more message:
 * the per-user quota of sluice.db (`sluice user quota`) against what
 * the user's folders hold (mailbox_index_usage).
 *
 * Used before every delivery: by LMTP (452 4.2.2 for that recipient)
 * and by the queue (the message waits, and bounces only when its
 * lifetime is over). Users without a quota cost one indexed query.
 * Thread-safe: user_accounts handles come from a small locked free
 * list; calls block on SQLite, so run them on a worker. */
#ifndef SLUICE_MAILBOX_QUOTA_H
#define SLUICE_MAILBOX_QUOTA_H

#include "lib/common.h"

struct mailbox_quota;

/* accounts_path: sluice.db; mail_root: where Maildirs live
 * (MAIL_ROOT/DOMAIN/USER/Maildir). Returns 0 or -1 with error_r (the
 * database cannot be opened). */
int mailbox_quota_new(const char *accounts_path, const char *mail_root,
    struct mailbox_quota **quota_r, const char **error_r);
/* NULL is a no-op; sets *quota_p to NULL. */
void mailbox_quota_free(struct mailbox_quota **quota_p);

/* Whether mailbox ("user@domain", canonical) can take size more bytes:
 * 1 it fits (or the user has no quota), 0 over quota, -1 with error_r
 * (database or disk trouble: a temporary failure). */
int mailbox_quota_check(struct mailbox_quota *quota, const char *mailbox,
    uint64_t size, const char **error_r);

#endif
