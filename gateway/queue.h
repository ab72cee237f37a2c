/* queue.h: the queue manager: delivery of spooled messages, retries,
 * expiry, DSNs.
 *
 * Every message the SMTP server acknowledged is in the spool. The queue
 * delivers it on io workers, recipient by recipient: a recipient with a
 * local mailbox in the spool goes into that Maildir; any other is
 * routed at delivery time (gateway/queue_relay.h: local, a downstream
 * server, or no route) and recipients for one destination share one
 * SMTP/LMTP transaction. What each attempt achieved is recorded per
 * recipient in the message's state file (gateway/queue_state.h); the
 * spool file goes when no recipient is pending.
 *
 * Scheduling: a temporary failure (4xx, connection failure, Maildir
 * error) is retried after queue.retry_min, doubling up to
 * queue.retry_max; after queue.lifetime it bounces. A 5xx bounces at
 * once. One delay notice goes out after queue.delay_warning. Bounces,
 * delay notices and NOTIFY=SUCCESS reports are DSNs (gateway/dsn.h)
 * written into the spool from <> and queued like any message; mail from
 * <> never gets one (a failed DSN stays in failed/). At most
 * queue.max_deliveries messages are delivered at once, and at most
 * queue.max_per_destination transactions run to one downstream server.
 *
 * Held messages (`sluice queue hold`) are not delivered. The CLI edits
 * state files and sends SIGUSR1; queue_rescan() then re-reads the spool
 * and every state (new, deleted, held, released, due-now messages).
 * After a crash, queue_recover() picks up every message with its
 * schedule; each recipient is either delivered and recorded or still
 * pending (local delivery recognises its own earlier copy). Loop thread
 * only. */
#ifndef SLUICE_QUEUE_H
#define SLUICE_QUEUE_H

#include "lib/common.h"
#include "gateway/server.h"

struct queue;

/* Builds the queue over server->routing (which must exist). Never
 * fails. */
struct queue *queue_new(struct server *server);

/* Schedules spool id for delivery now. recovering: the message may have
 * been partly delivered before (crash, direct delivery fallback). An id
 * already queued is only made due. */
void queue_submit(struct queue *queue, const char *id, bool recovering);

/* At start-up: removes spool leftovers, reads every message's state and
 * queues it by its schedule (held ones stay held). Blocks on disk. */
int queue_recover(struct queue *queue, const char **error_r);

/* Re-reads the spool directory and the state files in the background,
 * then adds new messages, drops deleted ones and applies held flags and
 * next attempt times (SIGUSR1 from `sluice queue`). */
void queue_rescan(struct queue *queue);

/* After a configuration reload: routing follows the new settings
 * (deliveries in flight finish with the old ones). */
void queue_reload(struct queue *queue);

/* Starts no new deliveries; running ones finish (worker_pool_free). */
void queue_stop(struct queue *queue);

/* Messages known to the queue: due, running, deferred, held. */
size_t queue_length(const struct queue *queue);

void queue_free(struct queue **queue_p);

#endif
