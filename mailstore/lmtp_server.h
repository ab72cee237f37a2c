/* lmtp_server.h: the LMTP server (RFC 2033) that delivers into local
 * Maildirs, one session per connection.
 *
 * An MTA in front of sluice (Postfix's lmtp client, sluice's own relay)
 * hands mail for local users over LMTP. A session answers LHLO (HELO and
 * EHLO are refused), MAIL, RCPT (local users only, resolved through
 * user_accounts; "user+tag@domain" is "user@domain"), DATA, RSET, NOOP,
 * VRFY, QUIT and, with a TLS context, STARTTLS. After DATA one io worker
 * job checks each accepted recipient's quota (the optional callback)
 * and delivers into its Maildir (local_delivery, fsynced); then the
 * client gets one reply per accepted recipient in RCPT order. No 250 is
 * sent before the message is on disk.
 *
 * Access: peers on a unix socket (peer "unix") are always served; TCP
 * peers must be in the configured networks, others get 421 4.7.0.
 *
 * Lifetime: lmtp_server_new() opens the server's own user_accounts
 * handle (used on the loop thread for RCPT lookups). Sessions hold a
 * reference to the settings they started with, so lmtp_server_reload()
 * changes only new sessions. lmtp_server_stop() lets sessions finish
 * their transaction; lmtp_server_abort() cuts them off; lmtp_server_free()
 * comes last, after the io worker pool has completed its jobs. All
 * functions are loop-thread calls. */
#ifndef SLUICE_LMTP_SERVER_H
#define SLUICE_LMTP_SERVER_H

#include "lib/common.h"
#include "mailstore/mailbox_notify.h"
#include "lib/loop.h"
#include "lib/tls_context.h"
#include "lib/worker_pool.h"

struct lmtp_server;

/* Defaults for limits given as 0. */
#define LMTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE ((uint64_t)25 * 1024 * 1024)
#define LMTP_SERVER_DEFAULT_MAX_RECIPIENTS 100
#define LMTP_SERVER_DEFAULT_MAX_ERRORS 10
#define LMTP_SERVER_DEFAULT_TIMEOUT 300
#define LMTP_SERVER_DEFAULT_TIMEOUT_DATA_BLOCK 180
#define LMTP_SERVER_DEFAULT_LINE_LIMIT 2048
/* TCP peers served when networks is NULL or "". */
#define LMTP_SERVER_DEFAULT_NETWORKS "127.0.0.0/8, ::1/128"

/* Every member may be 0 for its default. */
struct lmtp_server_limits {
	uint64_t max_message_size;  /* SIZE; bigger messages get 552 5.3.4 */
	unsigned max_recipients;    /* RCPTs per transaction; then 452 4.5.3 */
	unsigned max_errors;        /* client errors; then 421 4.7.0 */
	unsigned timeout;           /* seconds waiting for a command */
	unsigned timeout_data_block; /* seconds waiting for DATA bytes */
	size_t line_limit;          /* command line cap, CRLF included */
};

struct lmtp_server_settings {
	/* Used by lmtp_server_new() only; lmtp_server_reload() ignores
	 * them. They must outlive the server (loop, io_workers) or are
	 * copied (strings). */
	struct loop *loop;
	struct worker_pool *io_workers;
	const char *mail_root;      /* STATE_DIR/mail */
	const char *database_path;  /* sluice.db */
	struct mailbox_notify *notify; /* told of deliveries; may be NULL */
	/* The session-visible part, copied; reload replaces it. */
	const char *hostname;       /* banner and Received */
	/* Comma-separated ADDRESS[/PREFIX] list (IPv4 or IPv6); NULL or ""
	 * means LMTP_SERVER_DEFAULT_NETWORKS. */
	const char *networks;
	struct lmtp_server_limits limits;
	/* NULL: no STARTTLS. A reference is taken. */
	struct tls_context *tls;
	/* Whether mailbox may take size more bytes: returns 1 (it fits),
	 * 0 (over quota: 452 4.2.2) or -1 with error_r (451 4.3.0). Runs
	 * on an io worker thread with quota_context, once with the SIZE
	 * declared at RCPT (when there is one) and once per recipient
	 * with the real size before delivery. NULL: no quotas. */
	int (*quota_check)(void *context, const char *mailbox, uint64_t size,
	    const char **error_r);
	void *quota_context;
	/* Called on the loop thread when a session accepted with tag has
	 * ended (for the caller's connection counts); may be NULL. */
	void (*session_closed)(void *tag, void *context);
	void *context;
};

/* Checks a networks value as lmtp_server_new() would parse it. Returns
 * 0, or -1 with error_r naming the bad entry (for config checks). */
int lmtp_server_check_networks(const char *networks, const char **error_r);

/* Creates the server. Returns 0 and *server_r, or -1 with error_r (bad
 * networks, the accounts database cannot be opened). */
int lmtp_server_new(const struct lmtp_server_settings *settings,
    struct lmtp_server **server_r, const char **error_r);

/* Replaces hostname, networks, limits, TLS context and the quota
 * callback for sessions accepted from now on (SIGHUP). Returns 0, or -1
 * with error_r and nothing changed. */
int lmtp_server_reload(struct lmtp_server *server,
    const struct lmtp_server_settings *settings, const char **error_r);

/* Starts a session on a connected non-blocking fd (owned from now on).
 * peer is the address as text, or "unix" for a unix socket; tag is
 * handed back to session_closed. A peer outside the networks, or any
 * peer after lmtp_server_stop(), gets 421 and is disconnected. */
void lmtp_server_accept(struct lmtp_server *server, int fd, const char *peer,
    void *tag);

/* Live sessions (including ones waiting for a delivery job). */
size_t lmtp_server_session_count(const struct lmtp_server *server);

/* Graceful stop: idle sessions get 421 4.3.2 now; sessions in a
 * transaction finish it (DATA, delivery, replies) and then get 421. */
void lmtp_server_stop(struct lmtp_server *server);

/* Closes every session's connection at once (shutdown deadline). A
 * session whose delivery job runs is freed when that job completes. */
void lmtp_server_abort(struct lmtp_server *server);

/* Frees the server, aborting sessions that are left. No delivery job
 * may be in flight (free the io worker pool first, or wait until
 * lmtp_server_session_count() is 0). Sets *server_p to NULL. */
void lmtp_server_free(struct lmtp_server **server_p);

#endif
