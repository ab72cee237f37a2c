/* maildir.h: Maildir creation and exactly-once delivery into new/.
 *
 * A delivery writes tmp/NAME through lib/durable_file and link()s it to
 * new/NAME, so an existing message is never replaced and a crash leaves
 * either no message or a complete one. Readers (IMAP, POP3, other MUAs)
 * move messages to cur/NAME:2,FLAGS; maildir_deliver can look there
 * too, which lets a restarted queue deliver each message exactly once
 * as long as the reader has not expunged it. These calls block on disk:
 * run them on a worker thread in the daemon. Thread-safe (no shared
 * state). */
#ifndef SLUICE_MAILDIR_H
#define SLUICE_MAILDIR_H

#include "lib/common.h"

#include <sys/uio.h>

/* Creates maildir_path and its cur/, new/ and tmp/ (mode 0700, parents
 * included, existing ones fine). Returns 0 or -1 with error_r. */
int maildir_create(const char *maildir_path, const char **error_r);

/* Delivers the concatenation of parts (part_count iovecs) as
 * new/base_name in the existing Maildir at maildir_path. base_name must
 * be a single path component without ':' (the flag separator) and not
 * start with '.'; the caller makes it unique per message and recipient.
 *
 * When check_existing is true (recovering after a restart) it first
 * looks for new/base_name, cur/base_name and cur/base_name:2,* and
 * delivers nothing if one exists; a stale tmp/base_name from a crashed
 * attempt is replaced. Without it, tmp/base_name existing is an error.
 *
 * Returns 1 delivered, 0 already present (nothing written), -1 with
 * error_r (a temporary failure: retry later). */
int maildir_deliver(const char *maildir_path, const char *base_name,
    const struct iovec *parts, size_t part_count, bool check_existing,
    const char **error_r);

/* The same delivery in steps, for writers that produce the message in
 * pieces (bounded memory for large messages): begin (1 begun, 0 already
 * present: nothing to do, -1 error), write any number of times, then
 * commit (1 delivered, 0 present after all, -1 error) or abort. */
struct maildir_delivery;
int maildir_delivery_begin(const char *maildir_path, const char *base_name,
    bool check_existing, struct maildir_delivery **delivery_r,
    const char **error_r);
int maildir_delivery_write(struct maildir_delivery *delivery,
    const struct iovec *parts, size_t part_count, const char **error_r);
int maildir_delivery_commit(struct maildir_delivery **delivery_p,
    const char **error_r);
void maildir_delivery_abort(struct maildir_delivery **delivery_p);

#endif
