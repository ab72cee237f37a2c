/* spool.h: accepted messages on disk, one file per message.
 *
 * A spool file holds the envelope and the message as it will be
 * delivered (Received header included). It is written through
 * durable_file (tmp, fsync, rename, directory fsync) before the client
 * gets its 250, and removed only after every recipient's delivery is
 * durable. Layout under STATE_DIR/spool: tmp/ (writes in progress,
 * discarded at start-up: never acknowledged), free/ (files of delivered
 * messages, rewritten in place by the next writes: spool.c), queue/ (accepted,
 * awaiting delivery), failed/ (permanently undeliverable, kept for the
 * admin), state/ (the queue's per-recipient delivery state, one small
 * file per message beside the immutable message: gateway/queue_state.h).
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
#include "lib/buffer.h"

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

/* STATE_DIR/spool/state and STATE_DIR/spool/failed; valid while the
 * spool is open. */
const char *spool_state_dir(const struct spool *spool);
const char *spool_failed_dir(const struct spool *spool);

/* Whether id could name a spool file: 1..SPOOL_ID_MAX-1 bytes of
 * [A-Za-z0-9._-], not starting with '.'. For ids that come from outside
 * (the command line). */
bool spool_id_is_valid(const char *id);

/* Writes a fresh unique id ("1764057531.M123456P99Q7") into id_r. */
void spool_new_id(char id_r[SPOOL_ID_MAX]);

/* Writes envelope + message parts durably into queue/ID. */
int spool_write(struct spool *spool, const struct spool_envelope *envelope,
    const struct iovec *parts, size_t part_count, const char **error_r);

/* Reads queue/ID. Envelope strings and the message live in arena. The
 * file must be well formed (strict parse; error_r says what is wrong).
 * max_size bounds the file read. On -1, errno is ENOENT for a missing
 * file (also one whose header names another message: a reused file
 * reached by its old name, see spool.c) and EBADMSG for a malformed
 * one. */
int spool_read(struct spool *spool, const char *id, size_t max_size,
    struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r);

/* Reads only the envelope of queue/ID (the header up to its blank line,
 * at most max_size bytes of it) into arena, and the file's size in
 * bytes. Same errors as spool_read. For listings: a large message is
 * not read. */
int spool_read_envelope(struct spool *spool, const char *id, size_t max_size,
    struct arena *arena, struct spool_envelope *envelope_r,
    uint64_t *file_size_r, const char **error_r);

/* Like spool_read, through the descriptor of a spool_lock (read from
 * its start), which spares opening the file again. A header that names
 * another message is errno ESTALE here: under the lock it can only be
 * the leftover of a crash (spool.c), which the caller removes. */
int spool_read_locked(struct spool *spool, const char *id, int lock,
    size_t max_size, struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r);

/* Takes delivered queue/ID out of the queue: its file moves to free/ for
 * reuse, or is unlinked when free/ is full. No directory sync (see
 * spool.c). A missing file is not an error. */
int spool_remove(struct spool *spool, const char *id, const char **error_r);

/* Removes queue/ID and syncs the directory: for a message whose
 * recipients are not all in local Maildirs (a relayed copy cannot be
 * recognised on a second attempt), and for `sluice queue delete`. A
 * missing file is not an error. */
int spool_remove_durable(struct spool *spool, const char *id,
    const char **error_r);

/* Moves queue/ID to failed/ID. */
int spool_move_to_failed(struct spool *spool, const char *id,
    const char **error_r);

/* Deletes leftovers in tmp/ and calls each(id) for every file in queue/
 * in name order (oldest first, since ids start with the time). */
int spool_recover(struct spool *spool, void (*each)(const char *id,
    void *context), void *context, const char **error_r);

/* Like spool_recover without touching tmp/: for readers that may run
 * beside a live sluiced (the CLI, a rescan). */
int spool_list(struct spool *spool, void (*each)(const char *id,
    void *context), void *context, const char **error_r);

/* An exclusive advisory lock (flock) on queue/ID, which serialises the
 * queue's read-modify-write of a message's state with `sluice queue`
 * (hold, release, delete) across processes. The message file itself
 * never changes, so the lock outlives state rewrites. wait: block until
 * the lock is free; otherwise fail at once with errno EWOULDBLOCK.
 * Returns 0 and *lock_r (a descriptor), or -1 with error_r and errno
 * ENOENT when there is no such message (also when it was removed while
 * we waited). */
int spool_lock(struct spool *spool, const char *id, bool wait, int *lock_r,
    const char **error_r);
/* Lets go of the lock but keeps the descriptor, for spool_lock_again
 * (a delivery that must not hold the lock while it talks to a server). */
void spool_lock_release(int lock);
/* Takes a released lock again (waiting) and checks the descriptor is
 * still queue/ID. Same errors as spool_lock (ENOENT: removed meanwhile);
 * on -1 the descriptor stays open: spool_unlock it. */
int spool_lock_again(struct spool *spool, const char *id, int lock,
    const char **error_r);
/* Releases the lock and closes the descriptor; sets *lock_p to -1. */
void spool_unlock(int *lock_p);

/* Envelope values as single header tokens: bytes outside 0x21..0x7e
 * and '+' become "+HH" (RFC 3461 xtext); empty values are written as
 * the token empty ("-" or "<>"). The queue's state file uses the same
 * encoding. _append panics past the buffer's cap (use an uncapped
 * buffer); _decode decodes in place and returns -1 on bad xtext. */
void spool_token_append(struct buffer *out, const char *value,
    const char *empty);
int spool_token_decode(char *token, const char *empty, const char **value_r);

#endif
