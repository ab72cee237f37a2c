/* imap_server.h: the IMAP4rev1 server (RFC 3501 with IDLE, NAMESPACE,
 * UIDPLUS, MOVE, UNSELECT, ID, ENABLE, CHILDREN, SPECIAL-USE, CONDSTORE,
 * QUOTA, LITERAL+) over the users' Maildirs (mailstore/mailbox_index.h).
 *
 * sluiced creates one server and hands it every connection accepted on
 * imap.listen (STARTTLS offered when a TLS context is set) and
 * imaps.listen (implicit TLS). Sessions parse on the loop; everything
 * that touches a Maildir, the index or a password hash runs as a job on
 * the io worker pool, one job at a time per session, and its output is
 * written when it completes (a large FETCH in bounded slices). Changes
 * made by one session or by a delivery reach the other sessions on the
 * same folder through mailbox_notify (at once during IDLE, else with the
 * next command).
 *
 * Loop thread only. */
#ifndef SLUICE_IMAP_SERVER_H
#define SLUICE_IMAP_SERVER_H

#include "lib/common.h"
#include "lib/loop.h"
#include "lib/tls_context.h"
#include "lib/worker_pool.h"
#include "mailstore/auth_throttle.h"
#include "mailstore/auth_verify.h"
#include "mailstore/imap_parser.h"
#include "mailstore/mailbox_notify.h"

struct imap_server_settings {
	const char *hostname;
	const char *mail_root;		/* STATE_DIR/mail */
	const char *accounts_path;	/* sluice.db */
	struct imap_parser_limits limits;
	/* Autologout when idle, authenticated (RFC 3501 5.4: at least 30
	 * minutes) and before authentication. */
	unsigned idle_timeout_seconds;
	unsigned login_timeout_seconds;
	/* BAD answers before the session is closed with "* BYE". */
	unsigned max_bad_commands;
	/* How often an IDLE session looks for changes other programs made
	 * to its Maildir (sluice's own deliveries are reported at once). */
	unsigned idle_poll_seconds;
};

struct imap_server;

/* Copies settings (strings included). verify (thread-safe) checks
 * passwords on the io workers; throttle (loop) slows down and bans
 * password guessing; both are shared with POP3 and outlive the server.
 * Never NULL. */
struct imap_server *imap_server_new(struct loop *loop,
    struct worker_pool *io_workers, struct mailbox_notify *notify,
    struct auth_verify *verify, struct auth_throttle *throttle,
    const struct imap_server_settings *settings);

/* New settings for new sessions (reload); strings are copied. */
void imap_server_set_settings(struct imap_server *server,
    const struct imap_server_settings *settings);

/* The TLS context for STARTTLS and implicit TLS (NULL: none; STARTTLS is
 * then not offered and implicit-TLS connections are refused). Sessions
 * keep the context they started with (reload-safe). */
void imap_server_set_tls(struct imap_server *server,
    struct tls_context *tls);

/* Starts a session on an accepted, non-blocking fd. peer is the client
 * address as text ("unix" for a local socket). plaintext_auth: the peer
 * may log in without TLS (sluiced says so for the networks in
 * auth.plaintext_networks, loopback by default, as Dovecot does).
 * closed(context) is called when the session has gone (the listener's
 * connection count). */
void imap_server_accept(struct imap_server *server, int fd, const char *peer,
    bool implicit_tls, bool plaintext_auth, void (*closed)(void *context),
    void *context);

/* Live sessions. */
size_t imap_server_session_count(const struct imap_server *server);

/* Says "* BYE" to every session and closes each once its running job,
 * if any, has finished. done(context) runs when none is left (maybe at
 * once). */
void imap_server_stop(struct imap_server *server, void (*done)(void *context),
    void *context);

/* Cuts every session off at once (shutdown deadline); a session whose
 * job still runs goes when the job is done: free the io worker pool
 * before imap_server_free. */
void imap_server_abort(struct imap_server *server);

/* Frees the server; every session must be gone (after stop's done, or
 * abort and the io workers' end). */
void imap_server_free(struct imap_server **server_p);

#endif
