/*
 * NAME
 *	sluice queue - inspect and manage the mail queue
 *
 * SYNOPSIS
 *	sluice [-c FILE] queue list
 *	sluice [-c FILE] queue show ID
 *	sluice [-c FILE] queue flush
 *	sluice [-c FILE] queue delete|hold|release ID
 *
 * DESCRIPTION
 *	list prints one line per queued message: id, arrival time (UTC),
 *	size in bytes, sender, pending/all recipients, next attempt, held,
 *	and the last error (code, enhanced status or "-", text); then the
 *	pending recipients counted by destination domain. show prints a
 *	message's envelope, each recipient's delivery state and last
 *	reply, and the message headers.
 *
 *	hold keeps a message from being delivered until release, which
 *	also makes it due now; flush makes every message that is not held
 *	due now; delete removes a message without delivering it or telling
 *	its sender.
 *
 *	The command works on the spool files (STATE_DIR/spool), as root or
 *	as the sluice user (root switches to `user` first, so the files it
 *	writes stay the daemon's), under the same per-message lock the
 *	queue takes; then it sends SIGUSR1 to the sluiced named in the pid
 *	file, which rescans the queue at once. With sluiced stopped the
 *	change applies at its next start.
 */
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/error.h"
#include "lib/string_view.h"
#include "cli/cli.h"
#include "gateway/queue_state.h"
#include "gateway/spool.h"
#include "gateway/state_dir.h"

#include <grp.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Largest envelope read for a listing, and whole spool file for show. */
#define SLUICE_QUEUE_ENVELOPE_MAX ((size_t)64 << 20)
#define SLUICE_QUEUE_FILE_MAX ((size_t)1 << 33)
/* How long hold/release/delete wait for a delivery in progress to let
 * go of the message, in 50 ms steps. */
#define SLUICE_QUEUE_LOCK_TRIES 200

static const char sluice_queue_usage[] =
    "sluice [-c FILE] queue list|flush | queue show|delete|hold|release ID";

/* One queued message's id, kept while listing. */
struct sluice_queue_ids {
	char **ids;
	size_t count, capacity;
};

/* A destination domain and its pending recipients. */
struct sluice_queue_domain {
	char *name;
	size_t count;
};

static void
sluice_queue_collect(const char *id, void *context)
{
	struct sluice_queue_ids *list = context;

	if (list->count == list->capacity) {
		list->capacity = MAX(64, list->capacity * 2);
		list->ids = alloc_resize(list->ids, list->capacity,
		    sizeof(*list->ids));
	}
	list->ids[list->count++] = alloc_strdup(id);
}

static void
sluice_queue_ids_free(struct sluice_queue_ids *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->ids[i]);
	free(list->ids);
}

static void
sluice_queue_time(int64_t time, char text_r[32])
{
	time_t t = (time_t)time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(text_r, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Prints text with control bytes as '?' (replies, addresses). */
static void
sluice_queue_print_text(const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		putchar(*p < 0x20 || *p == 0x7f || *p == '"' ? '?' : *p);
}

/* As root: become the configured user, so that state files we write
 * are the daemon's and SIGUSR1 reaches it. */
static int
sluice_queue_drop_root(struct server_config *config)
{
	const char *error;
	uid_t uid;
	gid_t gid;

	if (state_dir_owner(config, &uid, &gid, &error) < 0)
		return cli_error("%s", error);
	if (uid == (uid_t)-1)
		return 0;
	if (initgroups(config->core->user, gid) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return cli_error("cannot switch to user %s: %s",
		    config->core->user, strerror(errno));
	return 0;
}

/* Tells sluiced to rescan. Not running is fine (a note on stderr). */
static void
sluice_queue_signal(struct server_config *config)
{
	char text[32];
	long pid = 0;
	FILE *file;

	file = fopen(config->pid_file, "r");
	if (file != NULL) {
		if (fgets(text, sizeof(text), file) != NULL)
			pid = strtol(text, NULL, 10);
		fclose(file);
	}
	if (pid <= 1 || kill((pid_t)pid, SIGUSR1) < 0) {
		if (pid > 1 && errno == EPERM)
			cli_error("warning: cannot signal sluiced "
			    "(pid %ld): %s", pid, strerror(errno));
		else
			fprintf(stderr, "sluice: note: sluiced is not running; "
			    "the change applies when it starts\n");
	}
}

/* Recipients still pending, and the most recent error among them (NULL
 * when none has one). */
static size_t
sluice_queue_summary(const struct queue_state *state,
    const struct queue_state_reply **error_r)
{
	const struct queue_state_recipient *latest = NULL;
	size_t i, pending = 0;

	for (i = 0; i < state->recipient_count; i++) {
		const struct queue_state_recipient *r = &state->recipients[i];
		if (r->status != QUEUE_STATE_PENDING)
			continue;
		pending++;
		if (r->reply.code >= 400 && (latest == NULL ||
		    r->last_attempt >= latest->last_attempt))
			latest = r;
	}
	*error_r = latest != NULL ? &latest->reply : NULL;
	return pending;
}

static void
sluice_queue_count_domain(struct sluice_queue_domain **domains,
    size_t *count, const char *address)
{
	const char *at = strrchr(address, '@');
	char *name = alloc_strdup(at != NULL ? at + 1 : address), *p;
	size_t i;

	for (p = name; *p != '\0'; p++)
		*p = (char)string_ascii_lower((unsigned char)*p);
	for (i = 0; i < *count; i++) {
		if (strcmp((*domains)[i].name, name) == 0) {
			(*domains)[i].count++;
			free(name);
			return;
		}
	}
	*domains = alloc_resize(*domains, *count + 1, sizeof(**domains));
	(*domains)[*count].name = name;
	(*domains)[*count].count = 1;
	(*count)++;
}

static int
sluice_queue_list(struct spool *spool)
{
	struct sluice_queue_ids list = { 0 };
	struct sluice_queue_domain *domains = NULL;
	size_t domain_count = 0, i, j, held = 0, pending;
	int64_t now = (int64_t)time(NULL);
	const struct queue_state_reply *last_error;
	const char *error;
	struct spool_envelope envelope;
	struct queue_state state;
	char arrival[32], next[32];
	struct arena *arena;
	uint64_t size;

	if (spool_list(spool, sluice_queue_collect, &list, &error) < 0)
		return cli_error("queue list: %s", error);
	for (i = 0; i < list.count; i++) {
		arena = arena_new("queue list", 0);
		/* A message delivered meanwhile is simply not listed. */
		if (spool_read_envelope(spool, list.ids[i],
		    SLUICE_QUEUE_ENVELOPE_MAX, arena, &envelope, &size,
		    &error) < 0 ||
		    queue_state_read(spool, list.ids[i],
		    envelope.recipient_count, arena, &state, &error) < 0) {
			if (errno != ENOENT)
				cli_error("warning: %s", error);
			arena_free(&arena);
			continue;
		}
		pending = sluice_queue_summary(&state, &last_error);
		held += state.held;
		sluice_queue_time(envelope.received, arrival);
		if (state.next_attempt <= now)
			snprintf(next, sizeof(next), "now");
		else
			sluice_queue_time(state.next_attempt, next);
		printf("%s %s %llu <", list.ids[i], arrival,
		    (unsigned long long)size);
		sluice_queue_print_text(envelope.mail_from);
		printf("> pending=%zu/%zu next=%s held=%s error=\"", pending,
		    envelope.recipient_count, next, state.held ? "yes" : "no");
		/* With its code and status, as `show` prints a reply: the
		 * text alone ("Error: command failed") does not say whether
		 * it was a refusal, a timeout or a missing STARTTLS. */
		if (last_error != NULL) {
			printf("%u %s ", last_error->code,
			    last_error->status[0] != '\0' ?
			    last_error->status : "-");
			sluice_queue_print_text(last_error->text);
		}
		printf("\"\n");
		for (j = 0; j < envelope.recipient_count; j++)
			if (state.recipients[j].status == QUEUE_STATE_PENDING)
				sluice_queue_count_domain(&domains,
				    &domain_count,
				    envelope.recipients[j].address);
		arena_free(&arena);
	}
	if (list.count == 0)
		printf("queue is empty\n");
	else
		printf("-- %zu messages, %zu held; pending recipients by "
		    "domain:\n", list.count, held);
	for (i = 0; i < domain_count; i++) {
		printf("  %s %zu\n", domains[i].name, domains[i].count);
		free(domains[i].name);
	}
	free(domains);
	sluice_queue_ids_free(&list);
	return 0;
}

static const char *
sluice_queue_notify_text(unsigned notify, char text_r[48])
{
	text_r[0] = '\0';
	if (notify == 0)
		return "-";
	if ((notify & SPOOL_NOTIFY_NEVER) != 0)
		strcat(text_r, ",NEVER");
	if ((notify & SPOOL_NOTIFY_SUCCESS) != 0)
		strcat(text_r, ",SUCCESS");
	if ((notify & SPOOL_NOTIFY_FAILURE) != 0)
		strcat(text_r, ",FAILURE");
	if ((notify & SPOOL_NOTIFY_DELAY) != 0)
		strcat(text_r, ",DELAY");
	return text_r + 1;
}

static void
sluice_queue_print_time(const char *label, int64_t time)
{
	char text[32];

	if (time == 0) {
		printf("%s: -\n", label);
		return;
	}
	sluice_queue_time(time, text);
	printf("%s: %s\n", label, text);
}

static int
sluice_queue_show(struct spool *spool, const char *id)
{
	struct arena *arena = arena_new("queue show", 0);
	const unsigned char *message, *p, *end;
	struct spool_envelope envelope;
	struct queue_state state;
	const char *error;
	char notify[48];
	size_t length, i;
	int ret = 0;

	if (spool_read(spool, id, SLUICE_QUEUE_FILE_MAX, arena, &envelope,
	    &message, &length, &error) < 0 ||
	    queue_state_read(spool, id, envelope.recipient_count, arena,
	    &state, &error) < 0) {
		ret = errno == ENOENT ?
		    cli_error("queue show: no message %s in the queue", id) :
		    cli_error("queue show: %s", error);
		arena_free(&arena);
		return ret;
	}
	printf("id: %s\n", envelope.id);
	sluice_queue_print_time("arrival", envelope.received);
	printf("size: %zu\nclient: %s (helo ", length,
	    envelope.client_address);
	sluice_queue_print_text(envelope.helo);
	printf(")\nsender: <");
	sluice_queue_print_text(envelope.mail_from);
	printf(">\nret: %s\nenvid: ", envelope.ret == SPOOL_RET_FULL ? "FULL" :
	    envelope.ret == SPOOL_RET_HEADERS ? "HDRS" : "-");
	sluice_queue_print_text(envelope.envid[0] != '\0' ? envelope.envid :
	    "-");
	printf("\nattempts: %u\n", state.attempts);
	sluice_queue_print_time("first attempt", state.first_attempt);
	sluice_queue_print_time("last attempt", state.last_attempt);
	sluice_queue_print_time("next attempt", state.next_attempt);
	printf("held: %s\ndelay notice sent: %s\nrecipients:\n",
	    state.held ? "yes" : "no", state.delay_warned ? "yes" : "no");
	for (i = 0; i < envelope.recipient_count; i++) {
		const struct spool_recipient *r = &envelope.recipients[i];
		const struct queue_state_recipient *s = &state.recipients[i];
		printf("  <");
		sluice_queue_print_text(r->address);
		printf("> %s mailbox=%s notify=%s orcpt=",
		    queue_state_status_name(s->status),
		    r->mailbox[0] != '\0' ? r->mailbox : "-",
		    sluice_queue_notify_text(r->notify, notify));
		sluice_queue_print_text(r->orcpt[0] != '\0' ? r->orcpt : "-");
		if (s->reply.code != 0) {
			printf(" reply=\"%u %s ", s->reply.code,
			    s->reply.status[0] != '\0' ? s->reply.status :
			    "-");
			sluice_queue_print_text(s->reply.text);
			printf("\"%s%s", s->reply.remote_mta[0] != '\0' ?
			    " remote=" : "", s->reply.remote_mta);
		}
		printf("\n");
	}
	printf("headers:\n");
	/* The header block, one line at a time without the CR. */
	for (p = message, end = message + length; p < end;) {
		const unsigned char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t line = (size_t)((eol != NULL ? eol : end) - p);
		if (line > 0 && p[line - 1] == '\r')
			line--;
		if (line == 0)
			break;
		printf("  %.*s\n", (int)line, (const char *)p);
		p = eol != NULL ? eol + 1 : end;
	}
	arena_free(&arena);
	return 0;
}

enum sluice_queue_change {
	SLUICE_QUEUE_HOLD,
	SLUICE_QUEUE_RELEASE,
	SLUICE_QUEUE_FLUSH,
	SLUICE_QUEUE_DELETE,
};

/* Takes the message's lock, waiting a while for a delivery in progress
 * (which holds it only to read and record). */
static int
sluice_queue_lock(struct spool *spool, const char *id, int *lock_r,
    const char **error_r)
{
	unsigned tries;

	for (tries = 0;; tries++) {
		if (spool_lock(spool, id, false, lock_r, error_r) == 0)
			return 0;
		if (errno != EWOULDBLOCK || tries == SLUICE_QUEUE_LOCK_TRIES)
			return -1;
		usleep(50000);
	}
}

/* Applies one change to one message under its lock. Returns 1 when it
 * changed something, 0 when nothing needed changing, -1 (errno ENOENT:
 * no such message). */
static int
sluice_queue_change(struct spool *spool, const char *id,
    enum sluice_queue_change change, const char **error_r)
{
	struct arena *arena = arena_new("queue change", 0);
	struct spool_envelope envelope;
	struct queue_state state;
	uint64_t size;
	int lock = -1, ret = -1;

	if (sluice_queue_lock(spool, id, &lock, error_r) < 0)
		goto out;
	if (change == SLUICE_QUEUE_DELETE) {
		if (spool_remove_durable(spool, id, error_r) == 0 &&
		    queue_state_remove(spool, id, error_r) == 0)
			ret = 1;
		goto out;
	}
	if (spool_read_envelope(spool, id, SLUICE_QUEUE_ENVELOPE_MAX, arena,
	    &envelope, &size, error_r) < 0 ||
	    queue_state_read(spool, id, envelope.recipient_count, arena,
	    &state, error_r) < 0)
		goto out;
	ret = 1;
	switch (change) {
	case SLUICE_QUEUE_HOLD:
		ret = !state.held;
		state.held = true;
		break;
	case SLUICE_QUEUE_RELEASE:
		ret = state.held || state.next_attempt != 0;
		state.held = false;
		state.next_attempt = 0;
		break;
	case SLUICE_QUEUE_FLUSH:
		ret = !state.held && state.next_attempt != 0;
		state.next_attempt = 0;
		break;
	case SLUICE_QUEUE_DELETE:
		break;
	}
	if (ret == 1 && queue_state_write(spool, id, &state, error_r) < 0)
		ret = -1;
out:
	{
		int saved = errno;
		spool_unlock(&lock);
		arena_free(&arena);
		errno = saved;
	}
	return ret;
}

static int
sluice_queue_flush(struct server_config *config, struct spool *spool)
{
	struct sluice_queue_ids list = { 0 };
	size_t i, flushed = 0;
	const char *error;
	int ret;

	if (spool_list(spool, sluice_queue_collect, &list, &error) < 0)
		return cli_error("queue flush: %s", error);
	for (i = 0; i < list.count; i++) {
		ret = sluice_queue_change(spool, list.ids[i],
		    SLUICE_QUEUE_FLUSH, &error);
		if (ret < 0 && errno != ENOENT)
			cli_error("warning: queue flush: %s", error);
		flushed += ret == 1;
	}
	printf("flushed: %zu of %zu messages made due now\n", flushed,
	    list.count);
	sluice_queue_ids_free(&list);
	sluice_queue_signal(config);
	return 0;
}

int
sluice_queue_main(struct cli_context *context, int argc, char **argv)
{
	static const char *const done_words[] = {
		[SLUICE_QUEUE_HOLD] = "held",
		[SLUICE_QUEUE_RELEASE] = "released",
		[SLUICE_QUEUE_DELETE] = "deleted",
	};
	enum sluice_queue_change change = SLUICE_QUEUE_HOLD;
	struct server_config *config;
	struct spool *spool;
	const char *action, *error;
	int ret;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_queue_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_queue_usage);
	action = argv[1];
	if (strcmp(action, "list") == 0 || strcmp(action, "flush") == 0) {
		if (argc != 2)
			return cli_usage(sluice_queue_usage);
	} else if (strcmp(action, "show") == 0 ||
	    strcmp(action, "delete") == 0 || strcmp(action, "hold") == 0 ||
	    strcmp(action, "release") == 0) {
		if (argc != 3)
			return cli_usage(sluice_queue_usage);
		if (!spool_id_is_valid(argv[2]))
			return cli_usage_error(sluice_queue_usage,
			    "queue %s: '%.80s' is not a queue id", action,
			    argv[2]);
		change = strcmp(action, "delete") == 0 ? SLUICE_QUEUE_DELETE :
		    strcmp(action, "hold") == 0 ? SLUICE_QUEUE_HOLD :
		    SLUICE_QUEUE_RELEASE;
	} else {
		return cli_usage_error(sluice_queue_usage,
		    "queue: unknown action '%s'", action);
	}
	config = cli_config(context);
	if (config == NULL || sluice_queue_drop_root(config) != 0)
		return 1;
	if (spool_open(config->core->state_dir, &spool, &error) < 0)
		return cli_error("queue %s: %s", action, error);
	if (strcmp(action, "list") == 0) {
		ret = sluice_queue_list(spool);
	} else if (strcmp(action, "show") == 0) {
		ret = sluice_queue_show(spool, argv[2]);
	} else if (strcmp(action, "flush") == 0) {
		ret = sluice_queue_flush(config, spool);
	} else if (sluice_queue_change(spool, argv[2], change, &error) < 0) {
		ret = errno == ENOENT ?
		    cli_error("queue %s: no message %s in the queue", action,
		    argv[2]) : errno == EWOULDBLOCK ?
		    cli_error("queue %s: %s is busy (being delivered); try "
		    "again", action, argv[2]) :
		    cli_error("queue %s: %s", action, error);
	} else {
		printf("%s: %s\n", argv[2], done_words[change]);
		sluice_queue_signal(config);
		ret = 0;
	}
	spool_close(&spool);
	return ret;
}
