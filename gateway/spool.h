/* spool.h: accepted messages on disk, one file per message.
 *
 * A spool file holds the envelope and the message as it will be
 * delivered (Received header included). It is written through
 * durable_file (tmp, fsync, rename, directory fsync) before the client
 * gets its 250, and removed only after every recipient's delivery is
 * durable. Layout under STATE_DIR/spool: tmp/ (writes in progress,
 * discarded at start-up: never acknowledged), queue/ (accepted,
 * awaiting delivery), failed/ (permanently undeliverable, kept for the
 * admin).
 *
 * File format (text header, then the raw message):
 *   SLUICE-SPOOL 1\n
 *   id ID\n  received UNIXTIME\n  host NAME\n  client IP HELO\n  from ADDRESS\n
 *   [dsn RET ENVID\n]                     (RFC 3461 MAIL parameters)
 *   [utf8 1\n]                            (MAIL ... SMTPUTF8)
 *   rcpt ADDRESS MAILBOX [NOTIFY ORCPT]\n  (one line per recipient)
 *   \n
 *   message bytes (CRLF line endings)
 *
 * All functions are thread-safe and block on disk: call them from a
 * worker thread in sluiced. */
#ifndef SLUICE_SPOOL_H
#define SLUICE_SPOOL_H

#include "lib/common.h"
#include "lib/arena.h"

#include <sys/uio.h>

#define SPOOL_ID_MAX 64
#define SPOOL_MAX_RECIPIENTS 100000

struct spool;

/* RFC 3461 NOTIFY, as bits; 0 means the client gave none (the default:
 * failure and, at the relay's discretion, delay). */
enum spool_notify {
	SPOOL_NOTIFY_NEVER = 1 << 0,
	SPOOL_NOTIFY_SUCCESS = 1 << 1,
	SPOOL_NOTIFY_FAILURE = 1 << 2,
	SPOOL_NOTIFY_DELAY = 1 << 3,
};

/* RFC 3461 RET: what a bounce carries of the message. */
enum spool_ret {
	SPOOL_RET_DEFAULT,	/* none given: the relay's choice */
	SPOOL_RET_FULL,
	SPOOL_RET_HEADERS,
};

struct spool_recipient {
	const char *address; /* as given in RCPT TO */
	const char *mailbox; /* canonical local mailbox, "" if not local */
	unsigned notify;     /* enum spool_notify bits, 0: not given */
	const char *orcpt;   /* ORCPT decoded ("rfc822;a@b"), "" if none */
};

struct spool_envelope {
	const char *id;
	int64_t received;    /* unix time */
	const char *hostname; /* ours when accepted: names the Maildir files,
			       * so it must not change between attempts */
	const char *client_address;
	const char *helo;
	const char *mail_from; /* "" for the null sender */
	enum spool_ret ret;    /* MAIL FROM RET= */
	const char *envid;     /* MAIL FROM ENVID= decoded, "" if none */
	bool smtputf8;         /* MAIL FROM SMTPUTF8: downstream must offer
				* SMTPUTF8 (RFC 6531 3.4) */
	struct spool_recipient *recipients;
	size_t recipient_count;
};

/* Creates the spool directories under state_dir if needed. */
int spool_open(const char *state_dir, struct spool **spool_r,
    const char **error_r);
void spool_close(struct spool **spool_p);

/* Writes a fresh unique id ("1764057531.M123456P99Q7") into id_r. */
void spool_new_id(char id_r[SPOOL_ID_MAX]);

/* Writes envelope + message parts durably into queue/ID. */
int spool_write(struct spool *spool, const struct spool_envelope *envelope,
    const struct iovec *parts, size_t part_count, const char **error_r);

/* Reads queue/ID. Envelope strings and the message live in arena. The
 * file must be well formed (strict parse; error_r says what is wrong).
 * max_size bounds the file read. On -1, errno is ENOENT for a missing
 * file and EBADMSG for a malformed one. */
int spool_read(struct spool *spool, const char *id, size_t max_size,
    struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r);

/* Removes queue/ID (without a directory sync: see spool.c). */
int spool_remove(struct spool *spool, const char *id, const char **error_r);

/* Moves queue/ID to failed/ID. */
int spool_move_to_failed(struct spool *spool, const char *id,
    const char **error_r);

/* Deletes leftovers in tmp/ and calls each(id) for every file in queue/
 * in name order (oldest first, since ids start with the time). */
int spool_recover(struct spool *spool, void (*each)(const char *id,
    void *context), void *context, const char **error_r);

#endif
