/* local_delivery.h: deliver one message to one local mailbox's Maildir.
 *
 * Used by the queue and by LMTP once a recipient has been resolved to a
 * canonical "user@domain" (user_accounts_lookup_recipient). The message
 * lands in MAIL_ROOT/DOMAIN/LOCALPART/Maildir/new/ (created on demand)
 * with Return-Path and Delivered-To prepended and CRLF turned into LF,
 * the Maildir convention. Blocks on disk: run it on a worker thread.
 * Thread-safe (no shared state). */
#ifndef SLUICE_LOCAL_DELIVERY_H
#define SLUICE_LOCAL_DELIVERY_H

#include "lib/common.h"
#include "mailstore/mailbox_notify.h"

struct local_delivery_message {
	const char *return_path; /* envelope sender; "" for <> */
	const char *recipient;   /* canonical user@domain */
	/* Unique per message and recipient, chosen by the caller and the
	 * same on every attempt, e.g. "1764057531.M123456P99Q3R0". No '/'
	 * or ':', and not starting with '.'. */
	const char *unique_name;
	const unsigned char *data; /* the message in wire format (CRLF) */
	size_t length;
	/* True when retrying after a restart: look for an earlier copy in
	 * new/ and cur/ first (maildir_deliver's check_existing). */
	bool recovering;
	/* Told about the Maildir after a delivery (IMAP IDLE); may be
	 * NULL. */
	struct mailbox_notify *notify;
};

/* Writes the Maildir of mailbox ("user@domain", canonical) into dst:
 * MAIL_ROOT/DOMAIN/LOCALPART/Maildir, the one place that layout is
 * spelled out (delivery, IMAP, POP3, quotas). Returns 0, or -1 with
 * error_r when a part could not be a directory name or dst is too
 * small. */
int local_delivery_maildir_path(const char *mail_root, const char *mailbox,
    char *dst, size_t size, const char **error_r);

/* Delivers message into mail_root's Maildir for message->recipient as
 * "UNIQUE.HOSTNAME,S=SIZE", where SIZE is the final file size in bytes
 * and '/' and ':' in hostname are written as \057 and \072. The file
 * starts with "Return-Path: <...>" (control characters shown as '?')
 * and "Delivered-To: user@domain" lines; every CRLF in data becomes LF,
 * a lone CR or LF is kept. data is not copied: the conversion costs one
 * iovec (16 bytes) per line. A recipient whose parts could not be
 * directory names is an error.
 *
 * Returns 1 delivered, 0 when the message was already there (a
 * suppressed duplicate; treat as delivered), -1 with error_r on any
 * failure, which is temporary: retry later. */
int local_delivery_deliver(const char *mail_root,
    const struct local_delivery_message *message, const char *hostname,
    const char **error_r);

#endif
