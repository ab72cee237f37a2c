/* smtp_client.h: the ESMTP and LMTP client that hands mail to the next
 * hop (the organization's mailbox server, a DSN's remote recipient).
 *
 * Blocking, for io worker threads (like Postfix's smtp(8) processes):
 * every read and write waits at most the timeout of its stage, so a
 * stuck peer costs one worker for a bounded time. One client is one
 * connection; it is used by one thread at a time, and may be handed to
 * another through the connection cache (smtp_client_cache_*), which is
 * thread-safe.
 *
 * What it speaks: EHLO (LHLO for LMTP; HELO when EHLO is refused, without
 * any extension), STARTTLS when offered (policy MAY) or required
 * (ENCRYPT: no STARTTLS, or a failed handshake, is a temporary failure),
 * PIPELINING of MAIL, RCPT and DATA when offered, SIZE, 8BITMIME
 * (BODY=8BITMIME when the message has 8-bit bytes), SMTPUTF8 (when the
 * envelope needs it: an unsupporting peer is a permanent failure, 5.6.7),
 * DSN (RET, ENVID, NOTIFY, ORCPT passed on when offered), and the
 * message with dot-stuffing and CRLF line ends. LMTP gives one reply
 * per accepted recipient after the data.
 *
 * Results are per recipient: every recipient of a transaction ends with
 * a reply (the peer's, or one the client made up for a connection or
 * protocol failure: 4.4.1 / 4.4.2 temporary, 5.x.x only for what the
 * peer said or for what can never work, such as SMTPUTF8).
 *
 * Made-up replies (smtp_client_reply.made_up) use code 421 with 4.4.1
 * (no connection), 4.4.2 (timeout or lost connection; the stage is in
 * the text: "timeout after RCPT (host[addr]:port)"), 4.4.3 (host name
 * lookup failed), 4.5.0 (garbled or oversized reply), 4.7.4 (ENCRYPT and
 * no STARTTLS) or 4.7.5 (TLS handshake failed); 550 5.6.7 (SMTPUTF8
 * needed, not offered), 552 5.3.4 (larger than the peer's SIZE), 553
 * 5.1.7 / 5.1.3 (a sender or recipient with control characters, which
 * can never be sent). A reply is bounded: a peer's reply over 100 lines
 * or a line over 2048 bytes is a 4.5.0 failure of the connection.
 *
 * Connection reuse: a transaction answered at its final dot leaves the
 * peer reset (RFC 5321 4.1.1.4); one that stopped earlier (MAIL or
 * every RCPT refused, DATA refused) is followed at once by RSET, so
 * smtp_client_reusable() is true right after smtp_client_send() exactly
 * when the next transaction can start; smtp_client_cache_take() also
 * drops a cached connection the peer has closed or written to
 * meanwhile.
 *
 * Logs (lib/log.h, info): one line per connection, event=relay_connect
 * (or relay_connect_failed), and one per transaction, event=relay_sent
 * (or relay_failed) with dest=, peer=, recipients=, delivered=,
 * deferred=, bounced=, code=, status=, tls=yes|no; never message
 * content. */
#ifndef SLUICE_SMTP_CLIENT_H
#define SLUICE_SMTP_CLIENT_H

#include "lib/common.h"
#include "lib/arena.h"

#include <sys/uio.h>

/* Longest reply text kept per recipient (the rest is cut). */
#define SMTP_CLIENT_REPLY_MAX 512

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,     /* never STARTTLS */
	SMTP_CLIENT_TLS_MAY,      /* when offered; plaintext otherwise */
	SMTP_CLIENT_TLS_ENCRYPT,  /* required: refuse to send in the clear */
};

/* Where to connect: a TCP host and port, or a unix socket. */
struct smtp_client_destination {
	bool lmtp;
	const char *host;        /* name or address; NULL for unix */
	unsigned port;
	const char *unix_path;   /* NULL for TCP */
	enum smtp_client_tls tls;
};

struct smtp_client_options {
	const char *helo_name;   /* our name for EHLO/LHLO */
	/* Seconds per stage, RFC 5321 4.5.3.2 style; 0: the defaults
	 * (connect 30, banner 300, EHLO 300, MAIL 300, RCPT 300, DATA 120,
	 * each block of data 180, final dot 600, QUIT 60, TLS 60). A
	 * stage's time bounds one whole reply or one block written, not
	 * each system call. connect_timeout applies to each address tried;
	 * command_timeout, when set, to every command, the banner and the
	 * TLS handshake; data_timeout to each block of message data (64 KiB);
	 * final_timeout to the reply (LMTP: each reply) after the dot. */
	unsigned connect_timeout, command_timeout, data_timeout,
	    final_timeout;
};

/* One reply: code (250), enhanced status ("2.1.5", "" if none) and text
 * (all lines joined by " ", bytes outside printable ASCII replaced with
 * '?', cut to fit). made_up: the client wrote it (see above), the peer
 * never said it; a DSN shows such a text without an SMTP code. */
struct smtp_client_reply {
	unsigned code;
	char status[16];
	char text[SMTP_CLIENT_REPLY_MAX];
	bool made_up;
};

/* One recipient of a transaction, and its outcome. */
struct smtp_client_recipient {
	const char *address;
	unsigned notify;          /* enum spool_notify bits, 0: none given */
	const char *orcpt;        /* "rfc822;x@y" or "" */
	struct smtp_client_reply reply; /* filled by smtp_client_send */
};

struct smtp_client_envelope {
	const char *mail_from;    /* "" for <> */
	bool smtputf8;            /* addresses or headers need SMTPUTF8 */
	unsigned ret;             /* enum spool_ret */
	const char *envid;        /* "" if none */
	struct smtp_client_recipient *recipients;
	size_t recipient_count;
};

struct smtp_client;

/* Connects, reads the banner, greets (and STARTTLS as the policy says).
 * A host name is resolved with getaddrinfo() and each address tried in
 * turn until one accepts the TCP connection; "[192.0.2.1]" is taken as
 * a literal. With policy MAY a failed handshake makes the client connect
 * once more without TLS (the session is unusable after it). The
 * destination's strings are copied. helo_name must be set. Returns 0,
 * or -1 with *reply_r saying why in SMTP terms (the peer's banner or
 * EHLO reply, or a made-up 4.4.1 "connection refused" and the like) and
 * error_r in words. */
int smtp_client_connect(const struct smtp_client_destination *destination,
    const struct smtp_client_options *options, struct smtp_client **client_r,
    struct smtp_client_reply *reply_r, const char **error_r);

/* Sends one message to the envelope's recipients. message is the whole
 * message as stored (CRLF line ends, not dot-stuffed), in parts; a dot
 * after any LF is doubled, and CRLF is added when the message does not
 * end with one. The client must be fresh from smtp_client_connect() or
 * reusable (panics otherwise). Every recipient's reply is set, a 2xx
 * only when the peer took the message for it. Returns 0 when the
 * transaction ran to its end (each recipient has its reply, which may be
 * a rejection), or -1 when the connection failed part-way (the
 * recipients still without a reply got a made-up 4.4.2, or the peer's
 * 421; the client must be closed). */
int smtp_client_send(struct smtp_client *client,
    struct smtp_client_envelope *envelope, const struct iovec *message,
    size_t part_count, const char **error_r);

/* Asks the peer whether it would take mail for address, without
 * sending any (a recipient verification probe, like Postfix's verify
 * service): MAIL FROM:<> (with SMTPUTF8 when address has non-ASCII
 * bytes), RCPT TO:<address>, then RSET, so the connection stays usable.
 * Returns 1 when RCPT was answered (*reply_r is its reply, whatever the
 * code), 0 when MAIL FROM:<> was refused (*reply_r is that reply: it
 * says nothing about the address), -1 when the connection failed
 * (*reply_r is a made-up 4.4.2; the client must be closed). */
int smtp_client_verify(struct smtp_client *client, const char *address,
    struct smtp_client_reply *reply_r, const char **error_r);

/* Whether the connection may carry another transaction (the last one
 * ended at its final dot or with an answered RSET, or none ran yet;
 * nothing failed). */
bool smtp_client_reusable(struct smtp_client *client);

/* Sends QUIT unless the connection failed, waits for the answer at
 * most 5 seconds (ignoring it), and frees; NULL is a no-op. */
void smtp_client_close(struct smtp_client **client_p);

/* Whether the peer offered an extension after the greeting ("DSN",
 * "PIPELINING", "STARTTLS", "SMTPUTF8", "SIZE"...); and whether the
 * session is encrypted. */
bool smtp_client_has_extension(const struct smtp_client *client,
    const char *keyword);
bool smtp_client_is_encrypted(const struct smtp_client *client);

/* Idle connections kept for reuse, keyed by destination (lmtp, host
 * without regard to case, port, unix path, TLS policy). Thread-safe; the
 * closing of connections (QUIT) happens outside the lock. */
struct smtp_client_cache;

/* Keeps at most max_idle connections in all (0: none), each at most
 * idle_seconds. */
struct smtp_client_cache *smtp_client_cache_new(unsigned max_idle,
    unsigned idle_seconds);
/* The most recently put connection to destination that is still
 * usable, or NULL. Connections found expired, or closed by the peer (or
 * with anything unread from it) meanwhile, are closed on the way. */
struct smtp_client *smtp_client_cache_take(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination);
/* Keeps a reusable client (others are closed), evicting the oldest idle
 * one beyond max_idle; *client_p becomes NULL. destination must be the
 * client's own (panics otherwise). */
void smtp_client_cache_put(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination,
    struct smtp_client **client_p);
/* Closes idle connections older than the idle time (call now and then). */
void smtp_client_cache_expire(struct smtp_client_cache *cache);
/* Closes every idle connection and frees; NULL *cache_p is a no-op. */
void smtp_client_cache_free(struct smtp_client_cache **cache_p);

#endif
