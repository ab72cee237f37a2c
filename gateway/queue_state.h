/* queue_state.h: what the queue knows about each spooled message between
 * attempts, on disk beside it, and the pure scheduling rules over it.
 *
 * A spool file (gateway/spool.h) never changes after the 250. Everything
 * the queue learns while delivering it lives in a small side file,
 * STATE_DIR/spool/state/ID: per recipient whether it is still pending
 * or done (delivered, relayed, failed, expired), when it was last tried
 * and the last reply; per message the attempt count, first, last and
 * next attempt, the hold flag, whether the delay notice went out, and
 * how many DSNs were made from it (their ids derive from that count).
 * A message without a state file has never been tried: all recipients
 * pending, due now.
 *
 * The file is rewritten whole after each attempt (tmp, fsync, rename,
 * directory fsync), under the spool lock of the message (spool_lock),
 * which `sluice queue` takes too; so each writer sees the other's
 * changes and a crash leaves the old or the new version, never a mix.
 *
 * The read/write functions block on disk and are thread-safe (no shared
 * state); call them on a worker or from the CLI. The rest is pure. */
#ifndef SLUICE_QUEUE_STATE_H
#define SLUICE_QUEUE_STATE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "gateway/spool.h"

/* Largest state file read (about 5 KB per recipient at most). */
#define QUEUE_STATE_MAX_FILE ((size_t)1 << 29)

enum queue_state_status {
	QUEUE_STATE_PENDING,
	QUEUE_STATE_DELIVERED,	/* into a mailbox (Maildir, LMTP) */
	QUEUE_STATE_RELAYED,	/* accepted by the next SMTP hop */
	QUEUE_STATE_FAILED,	/* permanent failure (5xx, no route) */
	QUEUE_STATE_EXPIRED,	/* temporary failures past queue.lifetime */
};

/* The last reply for a recipient. code 0: not tried yet. */
struct queue_state_reply {
	unsigned code;		/* 250, 451, 550 */
	const char *status;	/* enhanced status "5.1.1", or "" */
	const char *text;	/* reply text (one line), or "" */
	const char *remote_mta;	/* host that answered, "" when local */
	bool smtp;		/* an SMTP/LMTP reply (else our own words) */
};

struct queue_state_recipient {
	enum queue_state_status status;
	int64_t last_attempt;	/* unix time, 0: never */
	struct queue_state_reply reply;
};

struct queue_state {
	unsigned attempts;	/* attempts that tried a recipient */
	int64_t first_attempt, last_attempt;
	int64_t next_attempt;	/* 0: due now */
	bool held;		/* `sluice queue hold`: not delivered */
	bool delay_warned;	/* the delay notice was sent (or skipped) */
	unsigned dsn_count;	/* DSNs made from this message so far */
	struct queue_state_recipient *recipients;
	size_t recipient_count;	/* equals the envelope's */
};

/* Scheduling settings (queue.*), in seconds. */
struct queue_state_policy {
	int64_t retry_min, retry_max;
	int64_t lifetime;	/* 0: a temporary failure bounces at once */
	int64_t delay_warning;	/* 0: no delay notices */
};

/* A fresh state for recipient_count pending recipients, in arena. */
void queue_state_init(struct queue_state *state, size_t recipient_count,
    struct arena *arena);

/* Reads state/ID into arena. No file: a fresh state (returns 0).
 * recipient_count must match the file's recipients. Returns 0, or -1
 * with error_r (errno EBADMSG for a malformed file). */
int queue_state_read(struct spool *spool, const char *id,
    size_t recipient_count, struct arena *arena, struct queue_state *state_r,
    const char **error_r);

/* Reads only the message fields of state/ID (attempts, times, held,
 * warned, dsns; no recipients), for listings and rescans. Same returns
 * as queue_state_read. */
int queue_state_read_summary(struct spool *spool, const char *id,
    struct arena *arena, struct queue_state *state_r, const char **error_r);

/* Writes state/ID durably (tmp, fsync, rename, directory fsync). */
int queue_state_write(struct spool *spool, const char *id,
    const struct queue_state *state, const char **error_r);

/* Removes state/ID (no directory sync: a resurrected state file without
 * its message is removed by queue_state_cleanup). Missing is fine. */
int queue_state_remove(struct spool *spool, const char *id,
    const char **error_r);

/* Writes the final state as failed/ID.state next to a message moved to
 * failed/, and removes state/ID: the admin sees why it failed. */
int queue_state_move_to_failed(struct spool *spool, const char *id,
    const struct queue_state *state, const char **error_r);

/* Removes state files whose message is gone (exists(id) false) and
 * leftover temporary files. For start-up, before deliveries begin. */
int queue_state_cleanup(struct spool *spool,
    bool (*exists)(const char *id, void *context), void *context,
    const char **error_r);

/* The text written to state/ID, for tests and `sluice queue show`
 * ("pending", "delivered", ...). */
const char *queue_state_status_name(enum queue_state_status status);

/* Seconds to wait after the attempts-th failed attempt (1 = the first):
 * retry_min, doubling each time, never above retry_max. */
int64_t queue_state_retry_delay(const struct queue_state_policy *policy,
    unsigned attempts);

enum queue_state_action {
	QUEUE_STATE_ACTION_HOLD,	/* held: never, until released */
	QUEUE_STATE_ACTION_WAIT,	/* not before *when_r */
	QUEUE_STATE_ACTION_DELIVER,	/* due now */
};

/* What to do with a message now, from its held flag and next attempt.
 * *when_r is set for WAIT. */
enum queue_state_action queue_state_schedule(bool held, int64_t next_attempt,
    int64_t now, int64_t *when_r);

/* One recipient's outcome in an attempt. */
enum queue_state_result {
	QUEUE_STATE_RESULT_SKIPPED,	/* not tried (done, no free slot) */
	QUEUE_STATE_RESULT_DELIVERED,	/* final delivery: we notify */
	QUEUE_STATE_RESULT_RELAYED,	/* next hop has no DSN: "relayed" */
	QUEUE_STATE_RESULT_PASSED,	/* next hop took DSN duty (RFC 3461
					 * 5.2.2): we send no success DSN */
	QUEUE_STATE_RESULT_FAILED,	/* permanent */
	QUEUE_STATE_RESULT_DEFERRED,	/* temporary */
};

struct queue_state_attempt {
	enum queue_state_result result;
	struct queue_state_reply reply;	/* unless SKIPPED */
};

/* Which DSN a recipient goes into after an attempt. */
enum queue_state_notice {
	QUEUE_STATE_NOTICE_NONE,
	QUEUE_STATE_NOTICE_FAILURE,	/* failed or expired */
	QUEUE_STATE_NOTICE_DELAY,
	QUEUE_STATE_NOTICE_SUCCESS,
};

/* Applies one attempt (attempts[i] for envelope recipient i) at time now
 * to state, and says per recipient which DSN it belongs in (notices_r,
 * recipient_count entries). Rules:
 * - DELIVERED, RELAYED, PASSED: done; SUCCESS notice when the
 *   recipient's NOTIFY has SUCCESS, except PASSED.
 * - FAILED: done; DEFERRED past envelope->received + lifetime: EXPIRED.
 *   Both get a FAILURE notice unless NOTIFY was given without FAILURE
 *   (NEVER included).
 * - DEFERRED within the lifetime: pending; once the message is
 *   delay_warning old (and delay_warning > 0), the first time only, a
 *   DELAY notice for the recipients still pending whose NOTIFY has
 *   DELAY or was not given (the default: FAILURE, and DELAY at our
 *   discretion, RFC 3461 4.1).
 * - Null-sender mail never gets a notice.
 * The attempt counts (attempts, first/last attempt, next attempt by the
 * back-off) unless every recipient was SKIPPED. String fields of replies
 * are copied into arena. Returns whether any recipient is still
 * pending. */
bool queue_state_record(struct queue_state *state,
    const struct spool_envelope *envelope,
    const struct queue_state_attempt *attempts,
    const struct queue_state_policy *policy, int64_t now,
    struct arena *arena, enum queue_state_notice *notices_r);

/* Whether a recipient failed (or expired) without a DSN going to the
 * sender: null-sender mail, or NOTIFY without FAILURE. Such a message
 * is kept in failed/ rather than removed. */
bool queue_state_unreported_failure(const struct queue_state *state,
    const struct spool_envelope *envelope);

/* Recipients still pending. */
size_t queue_state_pending(const struct queue_state *state);

#endif
