/* dsn.h: delivery status notifications (RFC 3464) as whole messages.
 *
 * Builds the text of a bounce, delay notice or success report about one
 * spooled message: a multipart/report; report-type=delivery-status with
 * a human-readable part, the machine-readable message/delivery-status
 * part, and the original message (RFC 3461 RET: whole, or its headers
 * only for RET=HDRS, for a message over the size limit, and in delay
 * and success reports). From MAILER-DAEMON@HOSTNAME, To the original
 * sender, Auto-Submitted: auto-replied (RFC 3834). For an SMTPUTF8
 * envelope the report uses the RFC 6533 types (message/global-delivery-
 * status, message/global, message/global-headers), since the addresses
 * and headers may be UTF-8. The queue writes the result to the spool as
 * a message from <> (gateway/queue.c).
 *
 * Pure: no I/O, no clock; any thread. */
#ifndef SLUICE_DSN_H
#define SLUICE_DSN_H

#include "lib/common.h"
#include "lib/buffer.h"
#include "gateway/spool.h"

enum dsn_action {
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
};

/* One per-recipient block of the report. Strings must not contain CR
 * or LF (anything below 0x20 is written as '?'). */
struct dsn_recipient {
	const char *address;	/* Final-Recipient (as in RCPT TO) */
	const char *orcpt;	/* Original-Recipient "rfc822;a@b", or "" */
	enum dsn_action action;
	const char *status;	/* "5.1.1"; "" picks X.0.0 from the action */
	const char *remote_mta;	/* Remote-MTA host, or "" */
	/* Diagnostic-Code: type ("smtp" for a server's reply, else our
	 * own "X-Sluice") and text ("550 5.1.1 No such user"); "" for
	 * none. */
	const char *diagnostic_type;
	const char *diagnostic;
	int64_t last_attempt;	/* Last-Attempt-Date; 0: none */
	int64_t will_retry_until; /* DELAYED: Will-Retry-Until; 0: none */
};

struct dsn_report {
	const char *id;		/* the DSN's own spool id (Message-ID) */
	const char *original_id; /* the queue id it reports on */
	const char *hostname;	/* Reporting-MTA and the From domain */
	const char *sender;	/* the original envelope sender: To */
	const char *envid;	/* Original-Envelope-Id, or "" */
	int64_t arrival;	/* Arrival-Date */
	int64_t now;		/* Date */
	bool smtputf8;		/* RFC 6533 types */
	enum spool_ret ret;
	/* The whole original goes into a failure report only when it is
	 * at most this many bytes; past it, its headers (cut at a line
	 * end within the limit). */
	uint64_t size_limit;
	const unsigned char *message;	/* the original (CRLF) */
	size_t message_length;
	const struct dsn_recipient *recipients;
	size_t recipient_count;	/* at least one */
};

/* Appends the whole DSN (header and body, CRLF line ends) to out, which
 * must be uncapped. The MIME boundary is chosen so that it does not
 * occur in the included original. */
void dsn_build(const struct dsn_report *report, struct buffer *out);

/* RFC 5322 date in UTC ("Tue, 25 Nov 2025 08:00:00 +0000") into
 * date_r. */
void dsn_format_date(int64_t time, char date_r[40]);

#endif
