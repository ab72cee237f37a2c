/* mailbox_notify.h: tells the sessions on the loop that a mailbox folder
 * changed (a delivery, another session's APPEND, STORE or EXPUNGE), so
 * IMAP IDLE and NOOP report it at once instead of at the next poll.
 *
 * A folder is named by its directory ("MAILDIR" for INBOX, "MAILDIR/.Sent"
 * for a folder). mailbox_notify_changed() may be called from any thread
 * (delivery runs on workers); watchers are added, removed and called on
 * the loop thread only. Changes coalesce: a watcher is called once for
 * any number of changes since its last call. A change nobody watches
 * costs one mutex and one small copy. */
#ifndef SLUICE_MAILBOX_NOTIFY_H
#define SLUICE_MAILBOX_NOTIFY_H

#include "lib/common.h"
#include "lib/loop.h"

/* Changes waiting for the loop beyond this are merged into "everything
 * changed" (every watcher is called), so memory stays bounded. */
#define MAILBOX_NOTIFY_PENDING_MAX 1024

struct mailbox_notify;
struct mailbox_notify_watch;

/* Loop thread. Never NULL. */
struct mailbox_notify *mailbox_notify_new(struct loop *loop);
/* Loop thread; remove every watch first. Sets *notify_p to NULL. */
void mailbox_notify_free(struct mailbox_notify **notify_p);

/* Any thread: the folder at folder_path changed. NULL notify: no-op. */
void mailbox_notify_changed(struct mailbox_notify *notify,
    const char *folder_path);

/* Loop thread: calls callback(context) on the loop after changes of
 * folder_path (copied). */
struct mailbox_notify_watch *mailbox_notify_watch_add(
    struct mailbox_notify *notify, const char *folder_path,
    void (*callback)(void *context), void *context);
/* Loop thread; NULL is a no-op. Sets *watch_p to NULL. Safe from inside
 * a watcher's callback (its own or another's). */
void mailbox_notify_watch_remove(struct mailbox_notify_watch **watch_p);

#endif
