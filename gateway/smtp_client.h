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
 * peer said or for what can never work, such as SMTPUTF8). */
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
	 * each block of data 180, final dot 600, QUIT 60, TLS 60). */
	unsigned connect_timeout, command_timeout, data_timeout,
	    final_timeout;
};

/* One reply: code (250), enhanced status ("2.1.5", "" if none) and text
 * (the last line's text, or all lines joined by " "). */
struct smtp_client_reply {
	unsigned code;
	char status[16];
	char text[SMTP_CLIENT_REPLY_MAX];
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
 * Returns 0, or -1 with *reply_r saying why in SMTP terms (the peer's
 * banner or EHLO reply, or a made-up 4.4.1 "connection refused" and the
 * like) and error_r in words. */
int smtp_client_connect(const struct smtp_client_destination *destination,
    const struct smtp_client_options *options, struct smtp_client **client_r,
    struct smtp_client_reply *reply_r, const char **error_r);

/* Sends one message to the envelope's recipients. message is the whole
 * message as stored (CRLF line ends, not dot-stuffed), in parts.
 * Returns 0 when the transaction ran to its end (each recipient has its
 * reply, which may be a rejection), or -1 when the connection failed
 * part-way (the recipients still without a reply got a made-up 4.4.2;
 * the client must be freed). */
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

/* Whether the connection may carry another transaction (it answered
 * RSET, nothing failed). */
bool smtp_client_reusable(struct smtp_client *client);

/* Sends QUIT (briefly, ignoring the answer) and frees; NULL is a
 * no-op. */
void smtp_client_close(struct smtp_client **client_p);

/* Whether the peer offered an extension after the greeting ("DSN",
 * "PIPELINING", "STARTTLS", "SMTPUTF8", "SIZE"...); and whether the
 * session is encrypted. */
bool smtp_client_has_extension(const struct smtp_client *client,
    const char *keyword);
bool smtp_client_is_encrypted(const struct smtp_client *client);

/* Idle connections kept for reuse, keyed by destination. Thread-safe. */
struct smtp_client_cache;

struct smtp_client_cache *smtp_client_cache_new(unsigned max_idle,
    unsigned idle_seconds);
/* A cached connection to destination that is still usable, or NULL. */
struct smtp_client *smtp_client_cache_take(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination);
/* Keeps a reusable client (others are closed); *client_p becomes NULL. */
void smtp_client_cache_put(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination,
    struct smtp_client **client_p);
/* Closes idle connections older than the idle time (call now and then). */
void smtp_client_cache_expire(struct smtp_client_cache *cache);
void smtp_client_cache_free(struct smtp_client_cache **cache_p);

#endif
