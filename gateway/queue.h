/* queue.h: delivery scheduling for spooled messages.
 *
 * Every message the SMTP server acknowledged is in the spool; the queue
 * delivers it to each recipient's mailbox on an io worker, then removes
 * the spool file. A temporary failure is retried with exponential
 * back-off (queue.retry_min doubling to queue.retry_max); a message that
 * can never be delivered locally is moved to spool/failed. At start-up
 * queue_recover() re-submits what a previous run left, in "recovering"
 * mode, which makes Maildir delivery skip recipients that already have
 * the message: after a crash, each acknowledged message arrives exactly
 * once. At most queue.max_deliveries run at the same time; the rest
 * wait in FIFO order. Loop thread only. */
#ifndef SLUICE_QUEUE_H
#define SLUICE_QUEUE_H

#include "lib/common.h"
#include "gateway/server.h"

struct queue;

struct queue *queue_new(struct server *server);

/* Schedules spool id for delivery now. recovering: the message may have
 * been partly delivered before (crash, retry). */
void queue_submit(struct queue *queue, const char *id, bool recovering);

/* Submits every message found in the spool. */
int queue_recover(struct queue *queue, const char **error_r);

/* Starts no new deliveries; running ones finish (worker_pool_free). */
void queue_stop(struct queue *queue);

/* Messages waiting, running or deferred. */
size_t queue_length(const struct queue *queue);

void queue_free(struct queue **queue_p);

#endif
