/* queue.c: FIFO of spool ids, delivery jobs on io workers, retries.
 *
 * DESIGN: the loop thread owns all queue state (pending FIFO, deferred
 * list, counters); a delivery job only reads the spool file and writes
 * mailboxes, then reports an outcome that the loop applies. Each
 * recipient's Maildir file is named after the spool id and the
 * recipient's index, so a retry or a post-crash recovery can tell what
 * was already delivered. */
#include "gateway/queue.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/error.h"
#include "lib/log.h"
#include "gateway/spool.h"
#include "mailstore/local_delivery.h"

#include <time.h>

/* Largest spool file the queue will read (message cap plus envelope). */
#define QUEUE_MAX_FILE ((size_t)1 << 33)

enum queue_outcome {
	QUEUE_OUTCOME_DELIVERED,
	QUEUE_OUTCOME_DEFERRED, /* temporary failure: retry later */
	QUEUE_OUTCOME_FAILED,   /* permanent: moved to spool/failed */
	QUEUE_OUTCOME_GONE,     /* no spool file: nothing to do */
};

struct queue_entry {
	struct queue_entry *next;
	char id[SPOOL_ID_MAX];
	bool recovering;
	unsigned attempts;
	int64_t next_attempt; /* unix time, for deferred entries */
};

struct queue_job {
	struct queue *queue;
	struct queue_entry *entry;
	struct spool *spool;
	const char *mail_root;
	enum queue_outcome outcome;
	unsigned delivered;
	unsigned duplicates;
	char error[256];
};

struct queue {
	struct server *server;
	struct queue_entry *pending_head, *pending_tail;
	struct queue_entry *deferred;
	struct loop_timer *retry_timer;
	size_t running;
	size_t pending_count;
	size_t deferred_count;
	bool stopped;
};

static void queue_start_jobs(struct queue *queue);

static void
queue_append_pending(struct queue *queue, struct queue_entry *entry)
{
	entry->next = NULL;
	if (queue->pending_tail != NULL)
		queue->pending_tail->next = entry;
	else
		queue->pending_head = entry;
	queue->pending_tail = entry;
	queue->pending_count++;
}

static void
queue_job_work(void *context)
{
	struct queue_job *job = context;
	struct arena *arena = arena_new("queue job", 0);
	struct spool_envelope envelope;
	struct local_delivery_message message;
	const unsigned char *data;
	const char *error;
	char unique[SPOOL_ID_MAX + 16];
	size_t length, i;
	bool deferred = false, failed = false;
	int ret;

	if (spool_read(job->spool, job->entry->id, QUEUE_MAX_FILE, arena,
	    &envelope, &data, &length, &error) < 0) {
		snprintf(job->error, sizeof(job->error), "%s", error);
		if (errno == ENOENT) {
			job->outcome = QUEUE_OUTCOME_GONE;
		} else if (errno == EBADMSG) {
			/* Retrying cannot mend it: keep it for the admin. */
			job->outcome = spool_move_to_failed(job->spool,
			    job->entry->id, &error) < 0 ?
			    QUEUE_OUTCOME_DEFERRED : QUEUE_OUTCOME_FAILED;
		} else {
			job->outcome = QUEUE_OUTCOME_DEFERRED;
		}
		goto out;
	}
	for (i = 0; i < envelope.recipient_count; i++) {
		const struct spool_recipient *recipient =
		    &envelope.recipients[i];
		if (recipient->mailbox[0] == '\0') {
			/* Relaying comes with the gateway; nothing local. */
			snprintf(job->error, sizeof(job->error),
			    "<%s>: no local mailbox", recipient->address);
			failed = true;
			continue;
		}
		snprintf(unique, sizeof(unique), "%sR%zu", envelope.id, i);
		memset(&message, 0, sizeof(message));
		message.return_path = envelope.mail_from;
		message.recipient = recipient->mailbox;
		message.unique_name = unique;
		message.data = data;
		message.length = length;
		message.recovering = job->entry->recovering;
		ret = local_delivery_deliver(job->mail_root, &message,
		    envelope.hostname, &error);
		if (ret < 0) {
			snprintf(job->error, sizeof(job->error), "<%s>: %s",
			    recipient->mailbox, error);
			deferred = true;
		} else if (ret == 0) {
			job->duplicates++;
		} else {
			job->delivered++;
		}
	}
	if (deferred) {
		job->outcome = QUEUE_OUTCOME_DEFERRED;
	} else if (failed) {
		job->outcome = QUEUE_OUTCOME_FAILED;
		if (spool_move_to_failed(job->spool, envelope.id, &error) < 0) {
			snprintf(job->error, sizeof(job->error), "%s", error);
			job->outcome = QUEUE_OUTCOME_DEFERRED;
		}
	} else if (spool_remove(job->spool, envelope.id, &error) < 0) {
		/* Delivered, but a retry would find the Maildir copies. */
		snprintf(job->error, sizeof(job->error), "%s", error);
		job->outcome = QUEUE_OUTCOME_DEFERRED;
	} else {
		job->outcome = QUEUE_OUTCOME_DELIVERED;
	}
out:
	arena_free(&arena);
}

static void
queue_schedule_retry_timer(struct queue *queue)
{
	struct queue_entry *entry;
	int64_t earliest = INT64_MAX, now = (int64_t)time(NULL);

	for (entry = queue->deferred; entry != NULL; entry = entry->next)
		earliest = MIN(earliest, entry->next_attempt);
	if (earliest == INT64_MAX || queue->stopped) {
		loop_timer_stop(queue->retry_timer);
		return;
	}
	loop_timer_start(queue->retry_timer,
	    (uint64_t)(earliest > now ? earliest - now : 0) * 1000);
}

static void
queue_defer(struct queue *queue, struct queue_entry *entry)
{
	const struct queue_settings *settings = queue->server->config->queue;
	int64_t delay = settings->retry_min;
	unsigned i;

	for (i = 1; i < entry->attempts && delay < settings->retry_max; i++)
		delay *= 2;
	delay = MIN(delay, settings->retry_max);
	entry->next_attempt = (int64_t)time(NULL) + delay;
	entry->recovering = true;
	entry->next = queue->deferred;
	queue->deferred = entry;
	queue->deferred_count++;
	queue_schedule_retry_timer(queue);
}

static void
queue_job_done(void *context)
{
	struct queue_job *job = context;
	struct queue *queue = job->queue;
	struct queue_entry *entry = job->entry;

	queue->running--;
	entry->attempts++;
	switch (job->outcome) {
	case QUEUE_OUTCOME_DELIVERED:
		log_info("event=delivered id=%s recipients=%u duplicates=%u",
		    entry->id, job->delivered, job->duplicates);
		free(entry);
		break;
	case QUEUE_OUTCOME_GONE:
		log_warn("event=spool_file_missing id=%s action=dropped",
		    entry->id);
		free(entry);
		break;
	case QUEUE_OUTCOME_FAILED:
		log_error("event=delivery_failed id=%s error=%s "
		    "action=moved_to_spool_failed", entry->id, job->error);
		free(entry);
		break;
	case QUEUE_OUTCOME_DEFERRED:
		log_warn("event=deferred id=%s attempts=%u error=%s", entry->id,
		    entry->attempts, job->error);
		queue_defer(queue, entry);
		break;
	}
	free(job);
	queue_start_jobs(queue);
}

static void
queue_start_jobs(struct queue *queue)
{
	struct server *server = queue->server;
	struct queue_entry *entry;
	struct queue_job *job;

	while (!queue->stopped && queue->pending_head != NULL &&
	    queue->running < (size_t)server->config->queue->max_deliveries) {
		entry = queue->pending_head;
		queue->pending_head = entry->next;
		if (queue->pending_head == NULL)
			queue->pending_tail = NULL;
		queue->pending_count--;
		entry->next = NULL;
		job = alloc_new(struct queue_job);
		job->queue = queue;
		job->entry = entry;
		job->spool = server->spool;
		job->mail_root = server->mail_root;
		queue->running++;
		worker_pool_submit(server->io_workers, queue_job_work,
		    queue_job_done, job);
	}
}

static void
queue_retry_due(void *context)
{
	struct queue *queue = context;
	struct queue_entry **link = &queue->deferred, *entry;
	int64_t now = (int64_t)time(NULL);

	while ((entry = *link) != NULL) {
		if (entry->next_attempt > now) {
			link = &entry->next;
			continue;
		}
		*link = entry->next;
		queue->deferred_count--;
		queue_append_pending(queue, entry);
	}
	queue_start_jobs(queue);
	queue_schedule_retry_timer(queue);
}

struct queue *
queue_new(struct server *server)
{
	struct queue *queue = alloc_new(struct queue);

	queue->server = server;
	queue->retry_timer = loop_timer_new(server->loop, queue_retry_due,
	    queue);
	return queue;
}

void
queue_submit(struct queue *queue, const char *id, bool recovering)
{
	struct queue_entry *entry;

	if (queue->stopped)
		return; /* it stays in the spool for the next start */
	entry = alloc_new(struct queue_entry);
	snprintf(entry->id, sizeof(entry->id), "%s", id);
	entry->recovering = recovering;
	queue_append_pending(queue, entry);
	queue_start_jobs(queue);
}

static void
queue_recover_one(const char *id, void *context)
{
	queue_submit(context, id, true);
}

int
queue_recover(struct queue *queue, const char **error_r)
{
	size_t before = queue->pending_count + queue->running;

	if (spool_recover(queue->server->spool, queue_recover_one, queue,
	    error_r) < 0)
		return -1;
	log_info("event=queue_recovered messages=%zu",
	    queue->pending_count + queue->running - before);
	return 0;
}

void
queue_stop(struct queue *queue)
{
	queue->stopped = true;
	loop_timer_stop(queue->retry_timer);
}

size_t
queue_length(const struct queue *queue)
{
	return queue->pending_count + queue->running + queue->deferred_count;
}

static void
queue_free_list(struct queue_entry *entry)
{
	struct queue_entry *next;

	for (; entry != NULL; entry = next) {
		next = entry->next;
		free(entry);
	}
}

void
queue_free(struct queue **queue_p)
{
	struct queue *queue = *queue_p;

	if (queue == NULL)
		return;
	ASSERT(queue->running == 0);
	queue_free_list(queue->pending_head);
	queue_free_list(queue->deferred);
	loop_timer_free(&queue->retry_timer);
	free(queue);
	*queue_p = NULL;
}
