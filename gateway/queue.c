/* queue.c: the queue manager: which message is due, delivery jobs on io
 * workers, their records, DSNs, rescans.
 *
 * DESIGN: the loop thread owns the schedule: one entry per queued
 * message (an id hash for lookups), each in exactly one list: ready
 * (due, waiting for a delivery slot), deferred (next attempt in the
 * future; one timer for the earliest), held, waiting (a destination it
 * needs was at queue.max_per_destination) or running. A delivery job
 * owns one message while it runs and does all the disk and network
 * work: it reads the spool file and the state under the message's
 * spool lock, lets go of the lock while delivering (so `sluice queue`
 * never waits for a slow server), then takes it again, re-reads the
 * state (for a hold set meanwhile, or a delete), records the results,
 * writes the DSNs first and the state after, and removes the message
 * when nothing is pending. The loop only learns the outcome: next
 * attempt, held, busy, DSN ids to queue.
 *
 * The per-destination limit is a counter per destination key shared by
 * the workers (a mutex): a worker that finds the destination full skips
 * those recipients, and the message waits until a job to that
 * destination finishes, without counting an attempt. Local Maildir
 * delivery has no such limit (disk, bounded by max_deliveries).
 *
 * Limitations: an address that routing expands at delivery time into
 * several targets is retried as a whole, so on a retry the relay
 * targets that had succeeded get a second copy (local ones do not);
 * and the retry time is per message, so a message whose recipients
 * waited for a busy destination also retries its deferred ones early. */
#include "gateway/queue.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string_set.h"
#include "lib/string_view.h"
#include "gateway/dsn.h"
#include "gateway/queue_relay.h"
#include "gateway/queue_state.h"
#include "gateway/spool.h"
#include "mailstore/local_delivery.h"
#include "mailstore/mailbox_quota.h"

#include <pthread.h>
#include <time.h>

/* Largest spool file the queue will read (message cap plus envelope). */
#define QUEUE_MAX_FILE ((size_t)1 << 33)
/* Recipients per relay transaction (more make another transaction). */
#define QUEUE_TRANSACTION_RECIPIENTS 50
/* DSN kinds one attempt may produce: failure, delay, success. */
#define QUEUE_DSN_KINDS 3

enum queue_where {
	QUEUE_READY,
	QUEUE_DEFERRED,
	QUEUE_HELD,
	QUEUE_WAITING,
	QUEUE_RUNNING,
	QUEUE_WHERE_COUNT,
};

struct queue_entry {
	struct queue_entry *prev, *next;  /* in lists[where] */
	struct queue_entry *hash_next;
	enum queue_where where;
	char id[SPOOL_ID_MAX];
	bool recovering;
	bool held;
	int64_t next_attempt;
	char *waiting_key;      /* WAITING: the destination it needs */
	uint64_t created;       /* queue->generation when created */
	uint64_t seen;          /* the last rescan that listed it */
};

struct queue_list {
	struct queue_entry *head, *tail;
	size_t count;
};

/* One router generation; jobs hold a reference, a reload makes a new
 * one. Loop thread only. */
struct queue_router {
	struct queue_relay *relay;
	unsigned refs;
};

/* Transactions running to one destination (shared by workers). */
struct queue_destination {
	struct queue_destination *next;
	char *key;
	unsigned active;
};

struct queue {
	struct server *server;
	struct queue_list lists[QUEUE_WHERE_COUNT];
	struct queue_entry **buckets;
	size_t bucket_count, entry_count;
	struct loop_timer *retry_timer;
	int64_t timer_due;      /* unix time the timer is set for; 0: none */
	struct queue_router *router;
	pthread_mutex_t destinations_lock;
	struct queue_destination *destinations;
	uint64_t generation;
	bool scanning, scan_again;
	bool stopped;
};

enum queue_outcome {
	QUEUE_OUTCOME_DONE,     /* nothing pending: removed or in failed/ */
	QUEUE_OUTCOME_PENDING,  /* recorded; next_attempt says when */
	QUEUE_OUTCOME_HELD,
	QUEUE_OUTCOME_GONE,     /* no spool file (delivered, deleted) */
	QUEUE_OUTCOME_BROKEN,   /* unreadable: moved to failed/ */
	QUEUE_OUTCOME_ERROR,    /* could not read or record: retry */
};

struct queue_job {
	struct queue *queue;
	struct queue_entry *entry;
	struct queue_router *router;
	struct spool *spool;
	const char *mail_root;
	struct mailbox_notify *notify;
	struct mailbox_quota *quota;
	char *hostname;
	struct queue_state_policy policy;
	uint64_t bounce_size_limit;
	unsigned max_per_destination;
	bool recovering;
	char id[SPOOL_ID_MAX];
	/* Results, read by queue_job_done. */
	enum queue_outcome outcome;
	int64_t next_attempt;
	bool held;
	char *busy_key;         /* a destination that was full (heap) */
	char **released_keys;   /* destinations this job used (heap) */
	size_t released_count;
	char dsn_ids[QUEUE_DSN_KINDS][SPOOL_ID_MAX];
	size_t dsn_count;
	char error[512];
};

/* Where one recipient's targets got in this attempt. */
struct queue_target {
	size_t recipient;
	struct queue_relay_route *route;
	const char *relay;      /* for logs: "local" or the key */
};

/* Recipients logged together: one transaction, or one local mailbox. */
struct queue_log_group {
	struct queue_log_group *next;
	const char *relay;
	size_t *recipients;
	size_t count;
};

/* What a delivery job works on, in its arena. */
struct queue_attempt {
	struct queue_job *job;
	struct arena *arena;
	struct spool_envelope envelope;
	const unsigned char *data;
	size_t length;
	bool smtputf8;
	struct queue_state state;
	int lock;		/* spool_lock's descriptor, kept throughout */
	struct queue_state_attempt *results;
	/* Rank of each recipient's result so far (see queue_merge). */
	int *ranks;
	struct queue_log_group *log_groups;
	int64_t now;
};

static void queue_start_jobs(struct queue *queue);
static void queue_place(struct queue *queue, struct queue_entry *entry);

/* Lists and the id hash. */

static void
queue_list_append(struct queue *queue, struct queue_entry *entry,
    enum queue_where where)
{
	struct queue_list *list = &queue->lists[where];

	entry->where = where;
	entry->prev = list->tail;
	entry->next = NULL;
	if (list->tail != NULL)
		list->tail->next = entry;
	else
		list->head = entry;
	list->tail = entry;
	list->count++;
}

static void
queue_list_remove(struct queue *queue, struct queue_entry *entry)
{
	struct queue_list *list = &queue->lists[entry->where];

	if (entry->prev != NULL)
		entry->prev->next = entry->next;
	else
		list->head = entry->next;
	if (entry->next != NULL)
		entry->next->prev = entry->prev;
	else
		list->tail = entry->prev;
	entry->prev = entry->next = NULL;
	list->count--;
}

static size_t
queue_bucket(const struct queue *queue, const char *id)
{
	return (size_t)(string_hash(id, strlen(id)) % queue->bucket_count);
}

static struct queue_entry *
queue_lookup(const struct queue *queue, const char *id)
{
	struct queue_entry *entry;

	for (entry = queue->buckets[queue_bucket(queue, id)]; entry != NULL;
	    entry = entry->hash_next)
		if (strcmp(entry->id, id) == 0)
			return entry;
	return NULL;
}

static void
queue_hash_grow(struct queue *queue)
{
	struct queue_entry **old = queue->buckets, *entry, *next;
	size_t old_count = queue->bucket_count, i, bucket;

	queue->bucket_count *= 2;
	queue->buckets = alloc_array(queue->bucket_count,
	    sizeof(*queue->buckets));
	for (i = 0; i < old_count; i++) {
		for (entry = old[i]; entry != NULL; entry = next) {
			next = entry->hash_next;
			bucket = queue_bucket(queue, entry->id);
			entry->hash_next = queue->buckets[bucket];
			queue->buckets[bucket] = entry;
		}
	}
	free(old);
}

static struct queue_entry *
queue_entry_new(struct queue *queue, const char *id, bool recovering)
{
	struct queue_entry *entry = alloc_new(struct queue_entry);
	size_t bucket;

	snprintf(entry->id, sizeof(entry->id), "%s", id);
	entry->recovering = recovering;
	entry->created = queue->generation;
	if (queue->entry_count >= queue->bucket_count)
		queue_hash_grow(queue);
	bucket = queue_bucket(queue, id);
	entry->hash_next = queue->buckets[bucket];
	queue->buckets[bucket] = entry;
	queue->entry_count++;
	return entry;
}

/* Unlinks entry from its list and the hash, and frees it. */
static void
queue_entry_free(struct queue *queue, struct queue_entry *entry)
{
	struct queue_entry **link = &queue->buckets[queue_bucket(queue,
	    entry->id)];

	while (*link != entry)
		link = &(*link)->hash_next;
	*link = entry->hash_next;
	queue->entry_count--;
	queue_list_remove(queue, entry);
	free(entry->waiting_key);
	free(entry);
}

/* The retry timer. */

static void
queue_arm_timer(struct queue *queue, int64_t when)
{
	int64_t now = (int64_t)time(NULL);

	if (queue->stopped || (queue->timer_due != 0 &&
	    queue->timer_due <= when))
		return;
	queue->timer_due = when;
	loop_timer_start(queue->retry_timer,
	    (uint64_t)(when > now ? when - now : 0) * 1000);
}

static void
queue_retry_due(void *context)
{
	struct queue *queue = context;
	struct queue_entry *entry, *next;
	int64_t now = (int64_t)time(NULL), earliest = 0;

	queue->timer_due = 0;
	for (entry = queue->lists[QUEUE_DEFERRED].head; entry != NULL;
	    entry = next) {
		next = entry->next;
		if (entry->next_attempt <= now) {
			queue_list_remove(queue, entry);
			queue_list_append(queue, entry, QUEUE_READY);
		} else if (earliest == 0 || entry->next_attempt < earliest) {
			earliest = entry->next_attempt;
		}
	}
	if (earliest != 0)
		queue_arm_timer(queue, earliest);
	queue_start_jobs(queue);
}

/* Puts an entry that is in no list (or is being moved) where its held
 * flag and next attempt say. */
static void
queue_place(struct queue *queue, struct queue_entry *entry)
{
	int64_t when = 0;

	switch (queue_state_schedule(entry->held, entry->next_attempt,
	    (int64_t)time(NULL), &when)) {
	case QUEUE_STATE_ACTION_HOLD:
		queue_list_append(queue, entry, QUEUE_HELD);
		break;
	case QUEUE_STATE_ACTION_WAIT:
		queue_list_append(queue, entry, QUEUE_DEFERRED);
		queue_arm_timer(queue, when);
		break;
	case QUEUE_STATE_ACTION_DELIVER:
		queue_list_append(queue, entry, QUEUE_READY);
		break;
	}
}

/* The router. */

static struct queue_router *
queue_router_new(struct server *server)
{
	struct queue_router *router = alloc_new(struct queue_router);

	router->relay = queue_relay_new(server->routing,
	    server->config->hostname);
	router->refs = 1;
	return router;
}

static void
queue_router_unref(struct queue_router **router_p)
{
	struct queue_router *router = *router_p;

	*router_p = NULL;
	if (router == NULL || --router->refs > 0)
		return;
	queue_relay_free(&router->relay);
	free(router);
}

/* Per-destination slots (any thread). */

static bool
queue_destination_acquire(struct queue *queue, const char *key, unsigned max)
{
	struct queue_destination *destination;
	bool acquired = false;

	pthread_mutex_lock(&queue->destinations_lock);
	for (destination = queue->destinations; destination != NULL;
	    destination = destination->next)
		if (strcmp(destination->key, key) == 0)
			break;
	if (destination == NULL) {
		destination = alloc_new(struct queue_destination);
		destination->key = alloc_strdup(key);
		destination->next = queue->destinations;
		queue->destinations = destination;
	}
	if (destination->active < max) {
		destination->active++;
		acquired = true;
	}
	pthread_mutex_unlock(&queue->destinations_lock);
	return acquired;
}

static void
queue_destination_release(struct queue *queue, const char *key)
{
	struct queue_destination **link, *destination;

	pthread_mutex_lock(&queue->destinations_lock);
	for (link = &queue->destinations; (destination = *link) != NULL;
	    link = &destination->next) {
		if (strcmp(destination->key, key) != 0)
			continue;
		ASSERT(destination->active > 0);
		if (--destination->active == 0) {
			*link = destination->next;
			free(destination->key);
			free(destination);
		}
		break;
	}
	pthread_mutex_unlock(&queue->destinations_lock);
}

static bool
queue_destination_available(struct queue *queue, const char *key,
    unsigned max)
{
	struct queue_destination *destination;
	bool available = true;

	pthread_mutex_lock(&queue->destinations_lock);
	for (destination = queue->destinations; destination != NULL;
	    destination = destination->next)
		if (strcmp(destination->key, key) == 0)
			available = destination->active < max;
	pthread_mutex_unlock(&queue->destinations_lock);
	return available;
}

/* Delivery: everything below up to queue_job_done runs on a worker. */

/* Whether delivery needs SMTPUTF8 from the next hop: an address or the
 * header block is UTF-8. The client's SMTPUTF8 at MAIL alone does not
 * count: an all-ASCII message may go to a server without it (RFC 6531
 * leaves that to us; Postfix does the same), while 8-bit bytes in the
 * body need only 8BITMIME. */
static bool
queue_needs_smtputf8(const struct spool_envelope *envelope,
    const unsigned char *data, size_t length)
{
	const unsigned char *end;
	size_t i;

	if (string_view_has_8bit(string_view_from_cstring(
	    envelope->mail_from)))
		return true;
	for (i = 0; i < envelope->recipient_count; i++)
		if (string_view_has_8bit(string_view_from_cstring(
		    envelope->recipients[i].address)))
			return true;
	if (!envelope->smtputf8)
		return false;
	/* The header block ends at the first empty line. */
	end = memmem(data, length, "\r\n\r\n", 4);
	return string_view_has_8bit(string_view_make((const char *)data,
	    end != NULL ? (size_t)(end - data) : length));
}

static void
queue_set_reply(struct queue_state_reply *reply, unsigned code,
    const char *status, const char *text, const char *remote_mta, bool smtp)
{
	reply->code = code;
	reply->status = status;
	reply->text = text;
	reply->remote_mta = remote_mta;
	reply->smtp = smtp;
}

/* Merges one target's result into its recipient's: the worst wins
 * (deferred, then not tried for lack of a slot, then failed, then the
 * successes), so a recipient is done only when all its targets are. */
static int
queue_result_rank(enum queue_state_result result)
{
	switch (result) {
	case QUEUE_STATE_RESULT_DEFERRED:
		return 5;
	case QUEUE_STATE_RESULT_SKIPPED:
		return 4;
	case QUEUE_STATE_RESULT_FAILED:
		return 3;
	case QUEUE_STATE_RESULT_RELAYED:
		return 2;
	case QUEUE_STATE_RESULT_PASSED:
		return 1;
	case QUEUE_STATE_RESULT_DELIVERED:
		break;
	}
	return 0;
}

static void
queue_merge(struct queue_attempt *attempt, size_t recipient,
    enum queue_state_result result, const struct queue_state_reply *reply)
{
	int rank = queue_result_rank(result);

	if (attempt->ranks[recipient] >= rank)
		return;
	attempt->ranks[recipient] = rank;
	attempt->results[recipient].result = result;
	attempt->results[recipient].reply = *reply;
}

static void
queue_log_group_add(struct queue_attempt *attempt, const char *relay,
    const size_t *recipients, size_t count)
{
	struct queue_log_group *group = arena_new_type(attempt->arena,
	    struct queue_log_group);

	group->relay = relay;
	group->recipients = arena_array(attempt->arena, MAX(count, 1),
	    sizeof(*group->recipients));
	memcpy(group->recipients, recipients, count * sizeof(*recipients));
	group->count = count;
	group->next = attempt->log_groups;
	attempt->log_groups = group;
}

/* The error text without our mail root ("mkdir example.test/u/Maildir:
 * Permission denied"): it goes into bounces, which need not show where
 * the server keeps its files. */
static const char *
queue_strip_path(struct arena *arena, const char *text, const char *root)
{
	size_t root_length = strlen(root);
	struct buffer out;
	const char *p, *found;
	char *result;

	buffer_init(&out, 0);
	for (p = text; (found = strstr(p, root)) != NULL &&
	    found[root_length] == '/'; p = found + root_length + 1)
		if (buffer_append(&out, p, (size_t)(found - p)) < 0)
			log_panic("queue: buffer full");
	if (buffer_append_string(&out, p) < 0)
		log_panic("queue: buffer full");
	result = arena_strdup(arena, buffer_string(&out));
	buffer_deinit(&out);
	return result;
}

static void
queue_deliver_local(struct queue_attempt *attempt, size_t recipient,
    const char *mailbox, const char *unique)
{
	struct queue_job *job = attempt->job;
	struct local_delivery_message message = {
		.return_path = attempt->envelope.mail_from,
		.recipient = mailbox,
		.unique_name = unique,
		.data = attempt->data,
		.length = attempt->length,
		.recovering = job->recovering,
		.notify = job->notify,
	};
	struct queue_state_reply reply;
	const char *error;
	int quota;

	quota = job->quota == NULL ? 1 : mailbox_quota_check(job->quota,
	    mailbox, attempt->length, &error);
	if (quota == 0) {
		/* Waits (RFC 3463 4.2.2) until the user makes room or the
		 * message's lifetime is over. */
		queue_set_reply(&reply, 452, "4.2.2", arena_printf(
		    attempt->arena, "mailbox %s is full", mailbox), "", false);
		queue_merge(attempt, recipient, QUEUE_STATE_RESULT_DEFERRED,
		    &reply);
	} else if (quota < 0 || local_delivery_deliver(job->mail_root,
	    &message, attempt->envelope.hostname, &error) < 0) {
		queue_set_reply(&reply, 451, "4.3.0", arena_printf(
		    attempt->arena, "cannot deliver to %s: %s", mailbox,
		    queue_strip_path(attempt->arena, error, job->mail_root)),
		    "", false);
		queue_merge(attempt, recipient, QUEUE_STATE_RESULT_DEFERRED,
		    &reply);
	} else {
		queue_set_reply(&reply, 250, "2.0.0", arena_printf(
		    attempt->arena, "delivered to %s", mailbox), "", false);
		queue_merge(attempt, recipient, QUEUE_STATE_RESULT_DELIVERED,
		    &reply);
	}
	queue_log_group_add(attempt, "local", &recipient, 1);
}

/* Sends up to QUEUE_TRANSACTION_RECIPIENTS targets (same key) in one
 * transaction, if the destination has a free slot. */
static void
queue_send_transaction(struct queue_attempt *attempt,
    struct queue_target *targets, size_t count)
{
	struct queue_job *job = attempt->job;
	const struct queue_relay_route *route = targets[0].route;
	struct smtp_client_envelope envelope = {
		.mail_from = attempt->envelope.mail_from,
		.smtputf8 = attempt->smtputf8,
		.ret = attempt->envelope.ret,
		.envid = attempt->envelope.envid,
		.recipient_count = count,
	};
	struct iovec part = { (void *)attempt->data, attempt->length };
	struct queue_state_reply reply;
	enum queue_state_result result;
	const char *remote_mta;
	bool dsn_passed, final;
	size_t *indexes, i;

	indexes = arena_array(attempt->arena, count, sizeof(*indexes));
	for (i = 0; i < count; i++)
		indexes[i] = targets[i].recipient;
	if (!queue_destination_acquire(job->queue, route->key,
	    job->max_per_destination)) {
		queue_set_reply(&reply, 0, "", "", "", false);
		for (i = 0; i < count; i++)
			queue_merge(attempt, indexes[i],
			    QUEUE_STATE_RESULT_SKIPPED, &reply);
		if (job->busy_key == NULL)
			job->busy_key = alloc_strdup(route->key);
		return;
	}
	envelope.recipients = arena_array(attempt->arena, count,
	    sizeof(*envelope.recipients));
	for (i = 0; i < count; i++) {
		const struct spool_recipient *original =
		    &attempt->envelope.recipients[indexes[i]];
		struct smtp_client_recipient *r = &envelope.recipients[i];
		r->address = targets[i].route->address;
		r->notify = original->notify;
		r->orcpt = original->orcpt;
		/* An alias rewrote it: the next hop learns the original
		 * (RFC 3461 4.2). */
		if (r->orcpt[0] == '\0' &&
		    strcmp(r->address, original->address) != 0)
			r->orcpt = arena_printf(attempt->arena, "rfc822;%s",
			    original->address);
	}
	queue_relay_send(job->router->relay, &route->destination, &envelope,
	    &part, 1, attempt->arena, &dsn_passed, &final, &remote_mta);
	queue_destination_release(job->queue, route->key);
	job->released_keys = alloc_resize(job->released_keys,
	    job->released_count + 1, sizeof(*job->released_keys));
	job->released_keys[job->released_count++] = alloc_strdup(route->key);
	for (i = 0; i < count; i++) {
		const struct smtp_client_reply *peer =
		    &envelope.recipients[i].reply;
		/* A reply the client made up (no connection, no STARTTLS,
		 * no SMTPUTF8 there) is our own words: a DSN must not
		 * show it as the host's SMTP reply (RFC 3464 2.3.6). */
		queue_set_reply(&reply, peer->code,
		    arena_strdup(attempt->arena, peer->status),
		    arena_strdup(attempt->arena, peer->text),
		    peer->made_up ? "" : remote_mta, !peer->made_up);
		if (peer->code >= 200 && peer->code < 300)
			result = final ? QUEUE_STATE_RESULT_DELIVERED :
			    dsn_passed ? QUEUE_STATE_RESULT_PASSED :
			    QUEUE_STATE_RESULT_RELAYED;
		else if (peer->code >= 500 && peer->code < 600)
			result = QUEUE_STATE_RESULT_FAILED;
		else
			result = QUEUE_STATE_RESULT_DEFERRED;
		queue_merge(attempt, indexes[i], result, &reply);
	}
	queue_log_group_add(attempt, route->key, indexes, count);
}

static int
queue_compare_targets(const void *a, const void *b)
{
	const struct queue_target *x = a, *y = b;
	int c = strcmp(x->route->key, y->route->key);

	if (c != 0)
		return c;
	return x->recipient < y->recipient ? -1 : x->recipient > y->recipient;
}

/* Routes every pending recipient and delivers: local ones one by one,
 * relayed ones grouped by destination. */
static void
queue_deliver(struct queue_attempt *attempt)
{
	const struct spool_envelope *envelope = &attempt->envelope;
	struct queue_job *job = attempt->job;
	struct queue_target *targets = NULL;
	size_t target_count = 0, target_capacity = 0, i, j, start;
	struct queue_relay_route *routes;
	size_t route_count;
	char *unique;

	for (i = 0; i < envelope->recipient_count; i++) {
		const struct spool_recipient *r = &envelope->recipients[i];
		if (attempt->state.recipients[i].status != QUEUE_STATE_PENDING)
			continue;
		if (r->mailbox[0] != '\0') {
			unique = arena_printf(attempt->arena, "%sR%zu",
			    envelope->id, i);
			queue_deliver_local(attempt, i, r->mailbox, unique);
			continue;
		}
		queue_relay_route(job->router->relay, r->address,
		    attempt->arena, &routes, &route_count);
		for (j = 0; j < route_count; j++) {
			struct queue_relay_route *route = &routes[j];
			switch (route->kind) {
			case QUEUE_RELAY_LOCAL:
				unique = route_count == 1 ?
				    arena_printf(attempt->arena, "%sR%zu",
				    envelope->id, i) :
				    arena_printf(attempt->arena, "%sR%zuX%zu",
				    envelope->id, i, j);
				queue_deliver_local(attempt, i, route->mailbox,
				    unique);
				break;
			case QUEUE_RELAY_FAIL:
			case QUEUE_RELAY_DEFER:
				queue_merge(attempt, i,
				    route->kind == QUEUE_RELAY_FAIL ?
				    QUEUE_STATE_RESULT_FAILED :
				    QUEUE_STATE_RESULT_DEFERRED, &route->reply);
				queue_log_group_add(attempt, "none", &i, 1);
				break;
			case QUEUE_RELAY_SEND:
				if (target_count == target_capacity) {
					target_capacity = MAX(16,
					    target_capacity * 2);
					targets = alloc_resize(targets,
					    target_capacity, sizeof(*targets));
				}
				targets[target_count].recipient = i;
				targets[target_count].route = route;
				targets[target_count].relay = route->key;
				target_count++;
				break;
			}
		}
	}
	if (target_count > 0)
		qsort(targets, target_count, sizeof(*targets),
		    queue_compare_targets);
	for (start = 0; start < target_count; start = i) {
		for (i = start + 1; i < target_count &&
		    i - start < QUEUE_TRANSACTION_RECIPIENTS &&
		    strcmp(targets[i].route->key,
		    targets[start].route->key) == 0; i++)
			;
		queue_send_transaction(attempt, targets + start, i - start);
	}
	free(targets);
}

static const char *
queue_log_event(enum queue_state_status status)
{
	switch (status) {
	case QUEUE_STATE_PENDING:
		return "deferred";
	case QUEUE_STATE_DELIVERED:
	case QUEUE_STATE_RELAYED:
		return "delivered";
	case QUEUE_STATE_FAILED:
	case QUEUE_STATE_EXPIRED:
		break;
	}
	return "bounced";
}

static bool
queue_same_log_line(const struct queue_state_recipient *a,
    const struct queue_state_recipient *b)
{
	return strcmp(queue_log_event(a->status),
	    queue_log_event(b->status)) == 0 &&
	    (a->status == QUEUE_STATE_EXPIRED) ==
	    (b->status == QUEUE_STATE_EXPIRED) &&
	    a->reply.code == b->reply.code &&
	    strcmp(a->reply.status, b->reply.status) == 0 &&
	    strcmp(a->reply.text, b->reply.text) == 0;
}

/* One line per group and outcome, after the outcome is recorded (a
 * deferral past the lifetime is a bounce):
 * event=delivered|deferred|bounced id=... to=<a>,<b> relay=... code=...
 * status=... delay=SECONDS attempts=N [reason=expired] reply="..." */
static void
queue_log_attempt(struct queue_attempt *attempt, const char *dsn_text)
{
	const struct queue_state *state = &attempt->state;
	struct queue_log_group *group;
	struct buffer to;
	char text[256];
	bool *logged;
	size_t i, j;

	buffer_init(&to, 0);
	for (group = attempt->log_groups; group != NULL; group = group->next) {
		logged = arena_array(attempt->arena, MAX(group->count, 1),
		    sizeof(*logged));
		for (i = 0; i < group->count; i++) {
			const struct queue_state_recipient *first =
			    &state->recipients[group->recipients[i]];
			if (logged[i] ||
			    attempt->results[group->recipients[i]].result ==
			    QUEUE_STATE_RESULT_SKIPPED)
				continue;
			buffer_reset(&to);
			for (j = i; j < group->count; j++) {
				size_t index = group->recipients[j];
				if (logged[j] || !queue_same_log_line(first,
				    &state->recipients[index]))
					continue;
				logged[j] = true;
				if (buffer_printf(&to, "%s<%s>", j == i ? "" :
				    ",", attempt->envelope.recipients[index]
				    .address) < 0)
					log_panic("queue log overflow");
			}
			string_view_printable(string_view_from_cstring(
			    first->reply.text), text, sizeof(text));
			log_info("event=%s id=%s to=%s relay=%s code=%u "
			    "status=%s delay=%lld attempts=%u%s%s reply=\"%s\"",
			    queue_log_event(first->status),
			    attempt->envelope.id, buffer_string(&to),
			    group->relay, first->reply.code,
			    first->reply.status[0] != '\0' ?
			    first->reply.status : "-",
			    (long long)(attempt->now -
			    attempt->envelope.received), state->attempts,
			    first->status == QUEUE_STATE_EXPIRED ?
			    " reason=expired" : "",
			    strcmp(queue_log_event(first->status), "bounced") ==
			    0 ? dsn_text : "", text);
		}
	}
	buffer_deinit(&to);
}

static const char *
queue_reply_status(const struct queue_state_reply *reply, char class)
{
	return reply->status[0] == class ? reply->status : "";
}

/* Writes one DSN of kind for the recipients whose notice is kind. */
static int
queue_write_dsn(struct queue_attempt *attempt,
    const enum queue_state_notice *notices, enum queue_state_notice kind,
    const char **error_r)
{
	const struct spool_envelope *envelope = &attempt->envelope;
	struct queue_job *job = attempt->job;
	struct dsn_recipient *recipients;
	struct dsn_report report;
	struct spool_recipient to;
	struct spool_envelope dsn_envelope;
	struct buffer text;
	struct iovec part;
	size_t i, count = 0;
	char *id;
	int ret;

	recipients = arena_array(attempt->arena, envelope->recipient_count,
	    sizeof(*recipients));
	for (i = 0; i < envelope->recipient_count; i++) {
		const struct queue_state_recipient *r =
		    &attempt->state.recipients[i];
		struct dsn_recipient *d = &recipients[count];
		if (notices[i] != kind)
			continue;
		count++;
		d->address = envelope->recipients[i].address;
		d->orcpt = envelope->recipients[i].orcpt;
		d->remote_mta = r->reply.remote_mta;
		d->last_attempt = r->last_attempt;
		d->diagnostic_type = r->reply.smtp ? "smtp" : "X-Sluice";
		d->diagnostic = r->reply.code == 0 ? "" : r->reply.smtp ?
		    arena_printf(attempt->arena, "%u%s%s %s", r->reply.code,
		    r->reply.status[0] != '\0' ? " " : "", r->reply.status,
		    r->reply.text) : r->reply.text;
		switch (kind) {
		case QUEUE_STATE_NOTICE_FAILURE:
			d->action = DSN_ACTION_FAILED;
			d->status = r->status == QUEUE_STATE_EXPIRED ?
			    "4.4.7" : queue_reply_status(&r->reply, '5');
			break;
		case QUEUE_STATE_NOTICE_DELAY:
			d->action = DSN_ACTION_DELAYED;
			d->status = queue_reply_status(&r->reply, '4');
			d->will_retry_until = envelope->received +
			    job->policy.lifetime;
			break;
		case QUEUE_STATE_NOTICE_SUCCESS:
		case QUEUE_STATE_NOTICE_NONE:
			d->action = r->status == QUEUE_STATE_RELAYED ?
			    DSN_ACTION_RELAYED : DSN_ACTION_DELIVERED;
			d->status = queue_reply_status(&r->reply, '2');
			break;
		}
	}
	if (count == 0)
		return 0;
	/* The id follows from the message's id and DSN count, so an
	 * attempt repeated after a crash rewrites the same DSN. */
	attempt->state.dsn_count++;
	id = arena_printf(attempt->arena, "%s-D%u", envelope->id,
	    attempt->state.dsn_count);
	memset(&report, 0, sizeof(report));
	report.id = id;
	report.original_id = envelope->id;
	report.hostname = job->hostname;
	report.sender = envelope->mail_from;
	report.envid = envelope->envid;
	report.arrival = envelope->received;
	report.now = attempt->now;
	report.smtputf8 = attempt->smtputf8;
	report.ret = envelope->ret;
	report.size_limit = job->bounce_size_limit;
	report.message = attempt->data;
	report.message_length = attempt->length;
	report.recipients = recipients;
	report.recipient_count = count;
	buffer_init(&text, 0);
	dsn_build(&report, &text);

	memset(&to, 0, sizeof(to));
	to.address = envelope->mail_from;
	to.mailbox = "";  /* routed at delivery: local sender or not */
	to.orcpt = "";
	memset(&dsn_envelope, 0, sizeof(dsn_envelope));
	dsn_envelope.id = id;
	dsn_envelope.received = attempt->now;
	dsn_envelope.hostname = job->hostname;
	dsn_envelope.client_address = "local";
	dsn_envelope.helo = "";
	dsn_envelope.mail_from = "";
	dsn_envelope.envid = "";
	dsn_envelope.recipients = &to;
	dsn_envelope.recipient_count = 1;
	part.iov_base = (void *)buffer_data(&text);
	part.iov_len = buffer_length(&text);
	ret = spool_write(job->spool, &dsn_envelope, &part, 1, error_r);
	buffer_deinit(&text);
	if (ret < 0)
		return -1;
	ASSERT(job->dsn_count < QUEUE_DSN_KINDS);
	snprintf(job->dsn_ids[job->dsn_count++], SPOOL_ID_MAX, "%s", id);
	log_info("event=dsn id=%s original=%s kind=%s to=<%s> recipients=%zu",
	    id, envelope->id, kind == QUEUE_STATE_NOTICE_FAILURE ? "failure" :
	    kind == QUEUE_STATE_NOTICE_DELAY ? "delay" : "success",
	    envelope->mail_from, count);
	return 0;
}

/* Records the attempt under the spool lock (taken again) and writes what
 * follows from it: DSNs, then the state, or the message's removal. */
static void
queue_record(struct queue_attempt *attempt)
{
	struct queue_job *job = attempt->job;
	const struct spool_envelope *envelope = &attempt->envelope;
	enum queue_state_notice *notices, kind;
	struct queue_state fresh;
	const char *error, *dsn_text = " dsn=none";
	bool pending, tried = false;
	size_t i;

	for (i = 0; i < envelope->recipient_count; i++)
		tried |= attempt->results[i].result !=
		    QUEUE_STATE_RESULT_SKIPPED;
	if (spool_lock_again(job->spool, job->id, attempt->lock, &error) < 0) {
		if (errno == ENOENT) {
			/* `sluice queue delete` while we delivered. */
			log_info("event=deleted_during_delivery id=%s",
			    job->id);
			job->outcome = QUEUE_OUTCOME_GONE;
			return;
		}
		goto error;
	}
	if (queue_state_read(job->spool, job->id, envelope->recipient_count,
	    attempt->arena, &fresh, &error) < 0)
		goto error;
	/* Only `sluice queue` writes meanwhile: keep its hold. */
	attempt->state.held = fresh.held;
	notices = arena_array(attempt->arena, envelope->recipient_count,
	    sizeof(*notices));
	pending = queue_state_record(&attempt->state, envelope,
	    attempt->results, &job->policy, attempt->now, attempt->arena,
	    notices);
	for (kind = QUEUE_STATE_NOTICE_FAILURE;
	    kind <= QUEUE_STATE_NOTICE_SUCCESS; kind++) {
		if (queue_write_dsn(attempt, notices, kind, &error) < 0)
			goto error;
		if (kind == QUEUE_STATE_NOTICE_FAILURE && job->dsn_count > 0)
			dsn_text = arena_printf(attempt->arena, " dsn=%s",
			    job->dsn_ids[0]);
	}
	if (tried)
		queue_log_attempt(attempt, dsn_text);
	if (pending) {
		if (queue_state_write(job->spool, job->id, &attempt->state,
		    &error) < 0)
			goto error;
		job->outcome = QUEUE_OUTCOME_PENDING;
		job->next_attempt = attempt->state.next_attempt;
		job->held = attempt->state.held;
	} else if (queue_state_unreported_failure(&attempt->state, envelope)) {
		/* Nobody was told (mail from <>, NOTIFY=NEVER): keep it. */
		if (spool_move_to_failed(job->spool, job->id, &error) < 0 ||
		    queue_state_move_to_failed(job->spool, job->id,
		    &attempt->state, &error) < 0)
			goto error;
		log_info("event=moved_to_failed id=%s from=<%s> reason=%s",
		    job->id, envelope->mail_from, envelope->mail_from[0] ==
		    '\0' ? "null_sender" : "notify_never");
		job->outcome = QUEUE_OUTCOME_DONE;
	} else {
		if (spool_remove(job->spool, job->id, &error) < 0 ||
		    queue_state_remove(job->spool, job->id, &error) < 0)
			goto error;
		log_info("event=removed id=%s", job->id);
		job->outcome = QUEUE_OUTCOME_DONE;
	}
	return;
error:
	snprintf(job->error, sizeof(job->error), "%s", error);
	job->outcome = QUEUE_OUTCOME_ERROR;
}

static void
queue_job_work(void *context)
{
	struct queue_job *job = context;
	struct queue_attempt attempt;
	const char *error;
	size_t i;

	memset(&attempt, 0, sizeof(attempt));
	attempt.job = job;
	attempt.lock = -1;
	attempt.arena = arena_new("queue job", 0);
	if (spool_lock(job->spool, job->id, true, &attempt.lock, &error) < 0) {
		job->outcome = errno == ENOENT ? QUEUE_OUTCOME_GONE :
		    QUEUE_OUTCOME_ERROR;
		snprintf(job->error, sizeof(job->error), "%s", error);
		goto out;
	}
	if (spool_read_locked(job->spool, job->id, attempt.lock,
	    QUEUE_MAX_FILE, attempt.arena, &attempt.envelope, &attempt.data,
	    &attempt.length, &error) < 0 ||
	    queue_state_read(job->spool, job->id,
	    attempt.envelope.recipient_count, attempt.arena, &attempt.state,
	    &error) < 0) {
		int saved_errno = errno;
		snprintf(job->error, sizeof(job->error), "%s", error);
		if (saved_errno == ENOENT) {
			job->outcome = QUEUE_OUTCOME_GONE;
		} else if (saved_errno == ESTALE) {
			/* A name a crash brought back for a reused file. */
			log_warn("event=stale_spool_file id=%s error=\"%s\"",
			    job->id, job->error);
			job->outcome = spool_remove_durable(job->spool,
			    job->id, &error) < 0 ? QUEUE_OUTCOME_ERROR :
			    QUEUE_OUTCOME_GONE;
		} else if (saved_errno == EBADMSG) {
			/* Retrying cannot mend it: keep it for the admin. */
			job->outcome = spool_move_to_failed(job->spool,
			    job->id, &error) < 0 ? QUEUE_OUTCOME_ERROR :
			    QUEUE_OUTCOME_BROKEN;
		} else {
			job->outcome = QUEUE_OUTCOME_ERROR;
		}
		goto out;
	}
	if (attempt.state.held) {
		job->outcome = QUEUE_OUTCOME_HELD;
		goto out;
	}
	/* Deliver without the lock: `sluice queue` must not wait for a
	 * slow server. */
	spool_lock_release(attempt.lock);
	attempt.now = (int64_t)time(NULL);
	attempt.smtputf8 = queue_needs_smtputf8(&attempt.envelope,
	    attempt.data, attempt.length);
	attempt.results = arena_array(attempt.arena,
	    attempt.envelope.recipient_count, sizeof(*attempt.results));
	attempt.ranks = arena_array(attempt.arena,
	    attempt.envelope.recipient_count, sizeof(*attempt.ranks));
	for (i = 0; i < attempt.envelope.recipient_count; i++)
		attempt.ranks[i] = -1;
	queue_deliver(&attempt);
	for (i = 0; i < attempt.envelope.recipient_count; i++)
		if (attempt.ranks[i] < 0)
			attempt.results[i].result = QUEUE_STATE_RESULT_SKIPPED;
	queue_record(&attempt);
out:
	spool_unlock(&attempt.lock);
	arena_free(&attempt.arena);
}

/* Back on the loop. */

static void
queue_job_free(struct queue_job *job)
{
	size_t i;

	queue_router_unref(&job->router);
	for (i = 0; i < job->released_count; i++)
		free(job->released_keys[i]);
	free(job->released_keys);
	free(job->busy_key);
	free(job->hostname);
	free(job);
}

/* A job used these destinations: one message waiting for each may go. */
static void
queue_wake_waiting(struct queue *queue, char **keys, size_t count)
{
	struct queue_entry *entry, *next;
	size_t i;

	for (i = 0; i < count; i++) {
		for (entry = queue->lists[QUEUE_WAITING].head; entry != NULL;
		    entry = next) {
			next = entry->next;
			if (strcmp(entry->waiting_key, keys[i]) != 0)
				continue;
			queue_list_remove(queue, entry);
			queue_list_append(queue, entry, QUEUE_READY);
			break;
		}
	}
}

static void
queue_job_done(void *context)
{
	struct queue_job *job = context;
	struct queue *queue = job->queue;
	struct queue_entry *entry = job->entry;
	const struct queue_settings *settings = queue->server->config->queue;
	size_t i;

	entry->recovering = true;
	switch (job->outcome) {
	case QUEUE_OUTCOME_DONE:
		queue_entry_free(queue, entry);
		break;
	case QUEUE_OUTCOME_GONE:
		log_info("event=spool_file_gone id=%s action=dropped",
		    entry->id);
		queue_entry_free(queue, entry);
		break;
	case QUEUE_OUTCOME_BROKEN:
		log_error("event=delivery_failed id=%s error=%s "
		    "action=moved_to_spool_failed", entry->id, job->error);
		queue_entry_free(queue, entry);
		break;
	case QUEUE_OUTCOME_HELD:
		queue_list_remove(queue, entry);
		entry->held = true;
		queue_place(queue, entry);
		break;
	case QUEUE_OUTCOME_ERROR:
		log_warn("event=queue_error id=%s error=%s action=retry",
		    entry->id, job->error);
		queue_list_remove(queue, entry);
		entry->next_attempt = (int64_t)time(NULL) +
		    settings->retry_min;
		queue_place(queue, entry);
		break;
	case QUEUE_OUTCOME_PENDING:
		queue_list_remove(queue, entry);
		entry->held = job->held;
		entry->next_attempt = job->next_attempt;
		free(entry->waiting_key);
		entry->waiting_key = NULL;
		if (job->busy_key != NULL && !entry->held &&
		    !queue_destination_available(queue, job->busy_key,
		    (unsigned)settings->max_per_destination)) {
			/* Until a job to that destination finishes. */
			entry->waiting_key = job->busy_key;
			job->busy_key = NULL;
			queue_list_append(queue, entry, QUEUE_WAITING);
		} else if (job->busy_key != NULL && !entry->held) {
			queue_list_append(queue, entry, QUEUE_READY);
		} else {
			queue_place(queue, entry);
		}
		break;
	}
	for (i = 0; i < job->dsn_count; i++)
		queue_submit(queue, job->dsn_ids[i], true);
	queue_wake_waiting(queue, job->released_keys, job->released_count);
	queue_job_free(job);
	queue_start_jobs(queue);
}

static void
queue_start_jobs(struct queue *queue)
{
	struct server *server = queue->server;
	const struct queue_settings *settings = server->config->queue;
	struct queue_entry *entry;
	struct queue_job *job;

	while (!queue->stopped && queue->lists[QUEUE_READY].head != NULL &&
	    queue->lists[QUEUE_RUNNING].count <
	    (size_t)settings->max_deliveries) {
		entry = queue->lists[QUEUE_READY].head;
		queue_list_remove(queue, entry);
		queue_list_append(queue, entry, QUEUE_RUNNING);
		job = alloc_new(struct queue_job);
		job->queue = queue;
		job->entry = entry;
		job->router = queue->router;
		job->router->refs++;
		job->spool = server->spool;
		job->mail_root = server->mail_root;
		job->notify = server->notify;
		job->quota = server->quota;
		job->hostname = alloc_strdup(server->config->hostname);
		job->policy.retry_min = settings->retry_min;
		job->policy.retry_max = settings->retry_max;
		job->policy.lifetime = settings->lifetime;
		job->policy.delay_warning = settings->delay_warning;
		job->bounce_size_limit = settings->bounce_size_limit;
		job->max_per_destination =
		    (unsigned)settings->max_per_destination;
		job->recovering = entry->recovering;
		snprintf(job->id, sizeof(job->id), "%s", entry->id);
		worker_pool_submit(server->io_workers, queue_job_work,
		    queue_job_done, job);
	}
}

/* Scans: at start-up and on SIGUSR1. */

struct queue_scan_item {
	char id[SPOOL_ID_MAX];
	bool held;
	int64_t next_attempt;
};

struct queue_scan {
	struct queue *queue;
	struct spool *spool;
	uint64_t generation;
	struct queue_scan_item *items;
	size_t count, capacity;
	int status;
	char error[512];
};

static void
queue_scan_add(const char *id, void *context)
{
	struct queue_scan *scan = context;

	if (!spool_id_is_valid(id))
		return;
	if (scan->count == scan->capacity) {
		scan->capacity = MAX(64, scan->capacity * 2);
		scan->items = alloc_resize(scan->items, scan->capacity,
		    sizeof(*scan->items));
	}
	memset(&scan->items[scan->count], 0, sizeof(*scan->items));
	snprintf(scan->items[scan->count].id, SPOOL_ID_MAX, "%s", id);
	scan->count++;
}

/* Reads each listed message's hold flag and next attempt. An unreadable
 * state is left to the delivery job (which moves a broken one to
 * failed/): the message is due. */
static void
queue_scan_read_states(struct queue_scan *scan)
{
	struct arena *arena;
	struct queue_state state;
	const char *error;
	size_t i;

	for (i = 0; i < scan->count; i++) {
		arena = arena_new("queue scan", 0);
		if (queue_state_read_summary(scan->spool, scan->items[i].id,
		    arena, &state, &error) < 0) {
			log_warn("event=queue_scan id=%s error=%s",
			    scan->items[i].id, error);
		} else {
			scan->items[i].held = state.held;
			scan->items[i].next_attempt = state.next_attempt;
		}
		arena_free(&arena);
	}
}

static void
queue_scan_work(void *context)
{
	struct queue_scan *scan = context;
	const char *error;

	scan->status = spool_list(scan->spool, queue_scan_add, scan, &error);
	if (scan->status < 0) {
		snprintf(scan->error, sizeof(scan->error), "%s", error);
		return;
	}
	queue_scan_read_states(scan);
}

/* Applies a scan on the loop: new ids become entries, known ones that
 * are not running take the listed flags, and the ones that existed
 * before the scan began but were not listed are gone. */
static size_t
queue_scan_apply(struct queue *queue, struct queue_scan *scan)
{
	struct queue_entry *entry, *next;
	int64_t now = (int64_t)time(NULL);
	size_t i, added = 0;
	int where;

	for (i = 0; i < scan->count; i++) {
		const struct queue_scan_item *item = &scan->items[i];
		entry = queue_lookup(queue, item->id);
		if (entry == NULL) {
			entry = queue_entry_new(queue, item->id, true);
			added++;
		} else if (entry->where == QUEUE_RUNNING) {
			entry->seen = scan->generation;
			continue;
		} else if (!item->held && item->next_attempt <= now &&
		    entry->where == QUEUE_READY) {
			entry->seen = scan->generation;
			continue; /* keeps its place in line */
		} else {
			queue_list_remove(queue, entry);
		}
		entry->seen = scan->generation;
		entry->held = item->held;
		entry->next_attempt = item->next_attempt;
		queue_place(queue, entry);
	}
	for (where = 0; where < QUEUE_WHERE_COUNT; where++) {
		if (where == QUEUE_RUNNING)
			continue;
		for (entry = queue->lists[where].head; entry != NULL;
		    entry = next) {
			next = entry->next;
			if (entry->created < scan->generation &&
			    entry->seen != scan->generation) {
				log_info("event=queue_removed id=%s "
				    "reason=not_in_spool", entry->id);
				queue_entry_free(queue, entry);
			}
		}
	}
	return added;
}

static void queue_scan_start(struct queue *queue);

static void
queue_scan_done(void *context)
{
	struct queue_scan *scan = context;
	struct queue *queue = scan->queue;
	size_t added;

	queue->scanning = false;
	if (scan->status < 0) {
		log_warn("event=queue_rescan_failed error=%s", scan->error);
	} else if (!queue->stopped) {
		added = queue_scan_apply(queue, scan);
		log_info("event=queue_rescanned messages=%zu new=%zu "
		    "held=%zu deferred=%zu", scan->count, added,
		    queue->lists[QUEUE_HELD].count,
		    queue->lists[QUEUE_DEFERRED].count);
		queue_start_jobs(queue);
	}
	free(scan->items);
	free(scan);
	if (queue->scan_again && !queue->stopped) {
		queue->scan_again = false;
		queue_scan_start(queue);
	}
}

static struct queue_scan *
queue_scan_new(struct queue *queue)
{
	struct queue_scan *scan = alloc_new(struct queue_scan);

	scan->queue = queue;
	scan->spool = queue->server->spool;
	scan->generation = ++queue->generation;
	return scan;
}

static void
queue_scan_start(struct queue *queue)
{
	queue->scanning = true;
	worker_pool_submit(queue->server->io_workers, queue_scan_work,
	    queue_scan_done, queue_scan_new(queue));
}

void
queue_rescan(struct queue *queue)
{
	struct queue_entry *entry;

	if (queue->stopped)
		return;
	/* Whatever waited for a busy destination tries again too. */
	while ((entry = queue->lists[QUEUE_WAITING].head) != NULL) {
		queue_list_remove(queue, entry);
		queue_list_append(queue, entry, QUEUE_READY);
	}
	if (queue->scanning) {
		queue->scan_again = true;
		return;
	}
	log_info("event=queue_rescan");
	queue_scan_start(queue);
}

static bool
queue_scan_lists(const char *id, void *context)
{
	return string_set_contains(context, id);
}

int
queue_recover(struct queue *queue, const char **error_r)
{
	struct queue_scan *scan = queue_scan_new(queue);
	struct string_set *ids;
	size_t i;
	int ret;

	ret = spool_recover(queue->server->spool, queue_scan_add, scan,
	    error_r);
	if (ret == 0) {
		/* A state file without its message: the message went and
		 * a crash kept the state. */
		ids = string_set_new(scan->count);
		for (i = 0; i < scan->count; i++)
			string_set_add(ids, scan->items[i].id);
		ret = queue_state_cleanup(queue->server->spool,
		    queue_scan_lists, ids, error_r);
		string_set_free(&ids);
	}
	if (ret == 0) {
		queue_scan_read_states(scan);
		queue_scan_apply(queue, scan);
		log_info("event=queue_recovered messages=%zu due=%zu "
		    "deferred=%zu held=%zu", scan->count,
		    queue->lists[QUEUE_READY].count,
		    queue->lists[QUEUE_DEFERRED].count,
		    queue->lists[QUEUE_HELD].count);
		queue_start_jobs(queue);
	}
	free(scan->items);
	free(scan);
	return ret;
}

/* Life cycle. */

struct queue *
queue_new(struct server *server)
{
	struct queue *queue = alloc_new(struct queue);

	queue->server = server;
	queue->router = queue_router_new(server);
	queue->bucket_count = 64;
	queue->buckets = alloc_array(queue->bucket_count,
	    sizeof(*queue->buckets));
	queue->retry_timer = loop_timer_new(server->loop, queue_retry_due,
	    queue);
	pthread_mutex_init(&queue->destinations_lock, NULL);
	return queue;
}

void
queue_submit(struct queue *queue, const char *id, bool recovering)
{
	struct queue_entry *entry;

	if (queue->stopped)
		return; /* it stays in the spool for the next start */
	entry = queue_lookup(queue, id);
	if (entry == NULL) {
		entry = queue_entry_new(queue, id, recovering);
		queue_list_append(queue, entry, QUEUE_READY);
	} else if (entry->where == QUEUE_DEFERRED) {
		queue_list_remove(queue, entry);
		queue_list_append(queue, entry, QUEUE_READY);
	}
	queue_start_jobs(queue);
}

void
queue_reload(struct queue *queue)
{
	struct queue_router *router = queue_router_new(queue->server);

	/* The server's routing is the new one already (main.c). */
	queue_router_unref(&queue->router);
	queue->router = router;
}

void
queue_stop(struct queue *queue)
{
	queue->stopped = true;
	queue->timer_due = 0;
	loop_timer_stop(queue->retry_timer);
}

size_t
queue_length(const struct queue *queue)
{
	return queue->entry_count;
}

void
queue_free(struct queue **queue_p)
{
	struct queue *queue = *queue_p;
	struct queue_destination *destination, *next;
	int where;

	if (queue == NULL)
		return;
	ASSERT(queue->lists[QUEUE_RUNNING].count == 0 && !queue->scanning);
	for (where = 0; where < QUEUE_WHERE_COUNT; where++)
		while (queue->lists[where].head != NULL)
			queue_entry_free(queue, queue->lists[where].head);
	for (destination = queue->destinations; destination != NULL;
	    destination = next) {
		next = destination->next;
		free(destination->key);
		free(destination);
	}
	pthread_mutex_destroy(&queue->destinations_lock);
	queue_router_unref(&queue->router);
	loop_timer_free(&queue->retry_timer);
	free(queue->buckets);
	free(queue);
	*queue_p = NULL;
}
