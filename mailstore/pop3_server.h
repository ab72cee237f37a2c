/* pop3_server.h: the POP3 server (RFC 1939 with RFC 2449 CAPA and
 * response codes, RFC 2595 STLS, RFC 5034 AUTH PLAIN) over each user's
 * INBOX (mailstore/mailbox_index.h).
 *
 * sluiced creates one server and hands it every connection accepted on
 * pop3.listen (STLS offered when a TLS context is set) and pop3s.listen
 * (implicit TLS). A login takes a snapshot of the user's INBOX: messages
 * numbered 1..n in UID order, sizes with CRLF line ends, UIDL
 * "UIDVALIDITY-UID" (stable across sessions while UIDVALIDITY holds).
 * The maildrop is locked while the session holds it: a second POP3 login
 * for the same user, in this process or another sluiced (an flock on
 * MAILDIR/sluice-pop3.lock), gets "-ERR [IN-USE]". DELE only marks; QUIT
 * expunges the marked messages; a session that ends any other way
 * deletes nothing. RETR sets \Seen.
 *
 * Sessions parse on the loop; the password check, opening the index,
 * reading messages (in bounded slices, so a large message is never held
 * in memory) and the QUIT update run as jobs on the io worker pool, one
 * at a time per session.
 *
 * Loop thread only. */
#ifndef SLUICE_POP3_SERVER_H
#define SLUICE_POP3_SERVER_H

#include "lib/common.h"
#include "lib/loop.h"
#include "lib/tls_context.h"
#include "lib/worker_pool.h"
#include "mailstore/auth_throttle.h"
#include "mailstore/auth_verify.h"
#include "mailstore/mailbox_notify.h"

/* Bad commands (unknown, malformed, overlong) before the session is
 * closed, when settings say 0. */
#define POP3_SERVER_MAX_BAD_COMMANDS 10
/* Bytes of a RETR or TOP answer one job produces before it waits for
 * the client to take them. */
#define POP3_SERVER_OUTPUT_SLICE (256 * 1024)
/* The lock file in each Maildir. */
#define POP3_SERVER_LOCK_FILE "sluice-pop3.lock"

struct pop3_server_settings {
	const char *mail_root;	/* STATE_DIR/mail */
	/* Idle timeout (RFC 1939 section 3: at least 10 minutes). */
	unsigned timeout_seconds;
	/* 0: POP3_SERVER_MAX_BAD_COMMANDS. */
	unsigned max_bad_commands;
};

struct pop3_server;

/* Copies settings (strings included). verify (thread-safe) checks
 * passwords on the io workers; throttle (loop) slows down and bans
 * password guessing; notify tells IMAP sessions about RETR's \Seen and
 * QUIT's expunges. All three are shared with IMAP and outlive the
 * server. Never NULL. */
struct pop3_server *pop3_server_new(struct loop *loop,
    struct worker_pool *io_workers, struct mailbox_notify *notify,
    struct auth_verify *verify, struct auth_throttle *throttle,
    const struct pop3_server_settings *settings);

/* New settings for new sessions (reload); strings are copied. */
void pop3_server_set_settings(struct pop3_server *server,
    const struct pop3_server_settings *settings);

/* The TLS context for STLS and implicit TLS (NULL: none; STLS is then
 * not offered and implicit-TLS connections are refused). Sessions keep
 * the context they started with. */
void pop3_server_set_tls(struct pop3_server *server,
    struct tls_context *tls);

/* Starts a session on an accepted, non-blocking fd. peer is the client
 * address as text ("unix" for a local socket). plaintext_auth: the peer
 * may log in without TLS (auth.plaintext_networks); otherwise USER, PASS
 * and AUTH answer "-ERR [AUTH]" until STLS and CAPA lists neither USER
 * nor SASL. closed(context) is called when the session has gone. */
void pop3_server_accept(struct pop3_server *server, int fd, const char *peer,
    bool implicit_tls, bool plaintext_auth, void (*closed)(void *context),
    void *context);

/* Live sessions. */
size_t pop3_server_session_count(const struct pop3_server *server);

/* Closes every session once its running job, if any, has finished
 * (nothing is deleted: only QUIT does that). done(context) runs when
 * none is left (maybe at once). */
void pop3_server_stop(struct pop3_server *server, void (*done)(void *context),
    void *context);

/* Cuts every session off at once (shutdown deadline); a session whose
 * job still runs goes when the job is done: free the io worker pool
 * before pop3_server_free. */
void pop3_server_abort(struct pop3_server *server);

/* Frees the server; every session must be gone. Sets *server_p to
 * NULL; NULL is a no-op. */
void pop3_server_free(struct pop3_server **server_p);

#endif
