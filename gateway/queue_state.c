/* queue_state.c: the per-message delivery state file and the rules that
 * update it after an attempt.
 *
 * DESIGN: why a side file and not a rewritten spool header. The spool
 * file holds the whole message (up to smtp.max_message_size); rewriting
 * it after every attempt would copy megabytes to record a few bytes,
 * and a message that is never rewritten can never be half rewritten.
 * The side file is small, rewritten whole through tmp + fsync + rename,
 * so a crash leaves the previous version or the new one. Crash safety
 * follows from the order of writes: a delivery happens first, its
 * record after, so a crash in between leaves the recipient pending (the
 * next attempt delivers again: local Maildir delivery recognises its
 * own file by name and skips it, a downstream server may get a
 * duplicate, as with every MTA). A DSN is written to the spool before
 * the state that records the bounce, under an id derived from the
 * message id and dsn_count, so a repeated attempt rewrites the same DSN
 * file instead of queueing a second one.
 *
 * File format (text, one field per line, tokens xtext as in the spool):
 *   SLUICE-QUEUE-STATE 1
 *   attempts N\n first T\n last T\n next T\n held 0|1\n warned 0|1\n
 *   dsns N\n
 *   rcpt INDEX STATUS LAST_ATTEMPT CODE ESTATUS smtp|local REMOTE TEXT\n
 *   (one line per envelope recipient, in envelope order) */
#include "gateway/queue_state.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/durable_file.h"
#include "lib/error.h"
#include "lib/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE_STATE_MAGIC "SLUICE-QUEUE-STATE 1\n"

static const char *const queue_state_status_names[] = {
	[QUEUE_STATE_PENDING] = "pending",
	[QUEUE_STATE_DELIVERED] = "delivered",
	[QUEUE_STATE_RELAYED] = "relayed",
	[QUEUE_STATE_FAILED] = "failed",
	[QUEUE_STATE_EXPIRED] = "expired",
};

const char *
queue_state_status_name(enum queue_state_status status)
{
	ASSERT((size_t)status < ARRAY_LENGTH(queue_state_status_names));
	return queue_state_status_names[status];
}

void
queue_state_init(struct queue_state *state, size_t recipient_count,
    struct arena *arena)
{
	size_t i;

	memset(state, 0, sizeof(*state));
	state->recipients = arena_array(arena, MAX(recipient_count, 1),
	    sizeof(*state->recipients));
	state->recipient_count = recipient_count;
	for (i = 0; i < recipient_count; i++) {
		state->recipients[i].reply.status = "";
		state->recipients[i].reply.text = "";
		state->recipients[i].reply.remote_mta = "";
	}
}

static char *
queue_state_path(struct spool *spool, const char *id, const char *suffix)
{
	return alloc_printf("%s/%s%s", spool_state_dir(spool), id, suffix);
}

/* Parses a decimal number that must fill the whole token. */
static int
queue_state_number(const char *text, int64_t max, int64_t *value_r)
{
	long long value;
	char *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0 || value > max)
		return -1;
	*value_r = value;
	return 0;
}

/* Splits line into at most max space-separated tokens; returns count. */
static size_t
queue_state_split(char *line, char **tokens, size_t max)
{
	size_t count = 0;
	char *p = line;

	while (count < max && p != NULL) {
		tokens[count++] = p;
		p = strchr(p, ' ');
		if (p != NULL)
			*p++ = '\0';
	}
	return p == NULL ? count : max + 1;
}

static int
queue_state_parse_recipient(char *value, struct queue_state *state,
    size_t *next_index)
{
	struct queue_state_recipient *r;
	char *tokens[8];
	int64_t number;
	size_t i;

	if (queue_state_split(value, tokens, 8) != 8 ||
	    queue_state_number(tokens[0], SPOOL_MAX_RECIPIENTS, &number) < 0 ||
	    (size_t)number != *next_index ||
	    (size_t)number >= state->recipient_count)
		return -1;
	r = &state->recipients[*next_index];
	(*next_index)++;
	for (i = 0; i < ARRAY_LENGTH(queue_state_status_names); i++)
		if (strcmp(tokens[1], queue_state_status_names[i]) == 0)
			break;
	if (i == ARRAY_LENGTH(queue_state_status_names))
		return -1;
	r->status = (enum queue_state_status)i;
	if (queue_state_number(tokens[2], INT64_MAX, &r->last_attempt) < 0 ||
	    queue_state_number(tokens[3], 999, &number) < 0)
		return -1;
	r->reply.code = (unsigned)number;
	if (strcmp(tokens[5], "smtp") == 0)
		r->reply.smtp = true;
	else if (strcmp(tokens[5], "local") != 0)
		return -1;
	if (spool_token_decode(tokens[4], "-", &r->reply.status) < 0 ||
	    spool_token_decode(tokens[6], "-", &r->reply.remote_mta) < 0 ||
	    spool_token_decode(tokens[7], "-", &r->reply.text) < 0)
		return -1;
	return 0;
}

/* summary: the message fields only; rcpt lines are skipped. */
static int
queue_state_parse(char *data, struct queue_state *state, bool summary,
    const char **error_r)
{
	char *line = data + strlen(QUEUE_STATE_MAGIC), *end, *value;
	size_t next_index = 0;
	int64_t number;
	int ret;

	if (strncmp(data, QUEUE_STATE_MAGIC, strlen(QUEUE_STATE_MAGIC)) != 0) {
		*error_r = error_set("not a queue state file");
		return -1;
	}
	for (; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		if (end == NULL) {
			*error_r = error_set("truncated");
			return -1;
		}
		*end = '\0';
		value = strchr(line, ' ');
		if (value == NULL) {
			*error_r = error_set("malformed line");
			return -1;
		}
		*value++ = '\0';
		if (strcmp(line, "rcpt") == 0) {
			if (summary)
				continue;
			if (queue_state_parse_recipient(value, state,
			    &next_index) < 0) {
				*error_r = error_set("bad rcpt line %zu",
				    next_index);
				return -1;
			}
			continue;
		}
		ret = queue_state_number(value, INT64_MAX, &number);
		if (ret == 0 && strcmp(line, "attempts") == 0 &&
		    number <= UINT32_MAX)
			state->attempts = (unsigned)number;
		else if (ret == 0 && strcmp(line, "first") == 0)
			state->first_attempt = number;
		else if (ret == 0 && strcmp(line, "last") == 0)
			state->last_attempt = number;
		else if (ret == 0 && strcmp(line, "next") == 0)
			state->next_attempt = number;
		else if (ret == 0 && strcmp(line, "held") == 0 && number <= 1)
			state->held = number == 1;
		else if (ret == 0 && strcmp(line, "warned") == 0 && number <= 1)
			state->delay_warned = number == 1;
		else if (ret == 0 && strcmp(line, "dsns") == 0 &&
		    number <= UINT32_MAX)
			state->dsn_count = (unsigned)number;
		else {
			*error_r = error_set("bad field '%.20s'", line);
			return -1;
		}
	}
	if (!summary && next_index != state->recipient_count) {
		*error_r = error_set("%zu recipients, the message has %zu",
		    next_index, state->recipient_count);
		return -1;
	}
	return 0;
}

static int
queue_state_load(struct spool *spool, const char *id, size_t recipient_count,
    bool summary, struct arena *arena, struct queue_state *state_r,
    const char **error_r)
{
	char *path = queue_state_path(spool, id, ""), *copy;
	unsigned char *data;
	size_t length;
	int fd, ret;

	queue_state_init(state_r, recipient_count, arena);
	/* No file is the common case (a first attempt): no error text. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	ret = fd < 0 ? -1 : durable_file_read_descriptor(fd, path,
	    QUEUE_STATE_MAX_FILE, &data, &length, error_r);
	if (fd < 0) {
		*error_r = error_set_errno("open %s", path);
	} else {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	if (ret < 0) {
		free(path);
		return -1;
	}
	/* Strings of the state point into the arena copy. */
	copy = arena_strndup(arena, (const char *)data, length);
	free(data);
	if (strlen(copy) != length) {
		*error_r = error_set("NUL byte");
		ret = -1;
	} else {
		ret = queue_state_parse(copy, state_r, summary, error_r);
	}
	if (ret < 0) {
		*error_r = error_set("state file %s: %s", path, *error_r);
		errno = EBADMSG;
	}
	free(path);
	return ret;
}

int
queue_state_read(struct spool *spool, const char *id, size_t recipient_count,
    struct arena *arena, struct queue_state *state_r, const char **error_r)
{
	return queue_state_load(spool, id, recipient_count, false, arena,
	    state_r, error_r);
}

int
queue_state_read_summary(struct spool *spool, const char *id,
    struct arena *arena, struct queue_state *state_r, const char **error_r)
{
	return queue_state_load(spool, id, 0, true, arena, state_r, error_r);
}

static void
queue_state_format(const struct queue_state *state, struct buffer *out)
{
	const struct queue_state_recipient *r;
	size_t i;

	if (buffer_printf(out, QUEUE_STATE_MAGIC "attempts %u\nfirst %lld\n"
	    "last %lld\nnext %lld\nheld %d\nwarned %d\ndsns %u\n",
	    state->attempts, (long long)state->first_attempt,
	    (long long)state->last_attempt, (long long)state->next_attempt,
	    state->held, state->delay_warned, state->dsn_count) < 0)
		log_panic("queue state overflow");
	for (i = 0; i < state->recipient_count; i++) {
		r = &state->recipients[i];
		if (buffer_printf(out, "rcpt %zu %s %lld %u ", i,
		    queue_state_status_name(r->status),
		    (long long)r->last_attempt, r->reply.code) < 0)
			log_panic("queue state overflow");
		spool_token_append(out, r->reply.status, "-");
		if (buffer_append_string(out, r->reply.smtp ? " smtp " :
		    " local ") < 0)
			log_panic("queue state overflow");
		spool_token_append(out, r->reply.remote_mta, "-");
		if (buffer_append(out, " ", 1) < 0)
			log_panic("queue state overflow");
		spool_token_append(out, r->reply.text, "-");
		if (buffer_append(out, "\n", 1) < 0)
			log_panic("queue state overflow");
	}
}

/* Writes state as final_path through final_path.tmp. The writer holds
 * the message's spool lock, so nobody else uses the tmp name; one left
 * by a crash is removed first. */
static int
queue_state_write_path(const char *final_path, const struct queue_state *state,
    const char **error_r)
{
	char *tmp_path = alloc_printf("%s.tmp", final_path);
	struct buffer out;
	int ret;

	buffer_init(&out, 0);
	queue_state_format(state, &out);
	ret = durable_file_write_whole(tmp_path, final_path, buffer_data(&out),
	    buffer_length(&out), error_r);
	if (ret < 0 && errno == EEXIST && unlink(tmp_path) == 0)
		ret = durable_file_write_whole(tmp_path, final_path,
		    buffer_data(&out), buffer_length(&out), error_r);
	buffer_deinit(&out);
	free(tmp_path);
	return ret;
}

int
queue_state_write(struct spool *spool, const char *id,
    const struct queue_state *state, const char **error_r)
{
	char *path = queue_state_path(spool, id, "");
	int ret = queue_state_write_path(path, state, error_r);

	free(path);
	return ret;
}

int
queue_state_remove(struct spool *spool, const char *id, const char **error_r)
{
	char *path = queue_state_path(spool, id, "");
	int ret = 0;

	if (unlink(path) < 0 && errno != ENOENT) {
		*error_r = error_set_errno("unlink %s", path);
		ret = -1;
	}
	free(path);
	return ret;
}

int
queue_state_move_to_failed(struct spool *spool, const char *id,
    const struct queue_state *state, const char **error_r)
{
	char *path = alloc_printf("%s/%s.state", spool_failed_dir(spool), id);
	int ret = queue_state_write_path(path, state, error_r);

	free(path);
	if (ret == 0)
		ret = queue_state_remove(spool, id, error_r);
	return ret;
}

static bool
queue_state_has_suffix(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);

	return length >= suffix_length &&
	    strcmp(name + length - suffix_length, suffix) == 0;
}

int
queue_state_cleanup(struct spool *spool,
    bool (*exists)(const char *id, void *context), void *context,
    const char **error_r)
{
	const char *dir_path = spool_state_dir(spool);
	struct dirent *entry;
	char *path;
	DIR *dir;

	dir = opendir(dir_path);
	if (dir == NULL) {
		*error_r = error_set_errno("opendir %s", dir_path);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (!queue_state_has_suffix(entry->d_name, ".tmp") &&
		    exists(entry->d_name, context))
			continue;
		path = alloc_printf("%s/%s", dir_path, entry->d_name);
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("event=queue_state_cleanup path=%s error=%s",
			    path, strerror(errno));
		free(path);
	}
	closedir(dir);
	return 0;
}

int64_t
queue_state_retry_delay(const struct queue_state_policy *policy,
    unsigned attempts)
{
	int64_t delay = policy->retry_min;
	unsigned i;

	for (i = 1; i < attempts && delay < policy->retry_max; i++)
		delay *= 2;
	return MIN(delay, policy->retry_max);
}

enum queue_state_action
queue_state_schedule(bool held, int64_t next_attempt, int64_t now,
    int64_t *when_r)
{
	if (held)
		return QUEUE_STATE_ACTION_HOLD;
	if (next_attempt > now) {
		*when_r = next_attempt;
		return QUEUE_STATE_ACTION_WAIT;
	}
	return QUEUE_STATE_ACTION_DELIVER;
}

/* Whether NOTIFY bits ask for kind; 0 (not given) means FAILURE and,
 * by our choice, DELAY (RFC 3461 4.1 leaves DELAY to the MTA). */
static bool
queue_state_notify_wants(unsigned notify, enum spool_notify kind)
{
	if (notify == 0)
		return kind != SPOOL_NOTIFY_SUCCESS;
	if ((notify & SPOOL_NOTIFY_NEVER) != 0)
		return false;
	return (notify & kind) != 0;
}

static void
queue_state_copy_reply(struct queue_state_reply *to,
    const struct queue_state_reply *from, struct arena *arena)
{
	to->code = from->code;
	to->smtp = from->smtp;
	to->status = arena_strdup(arena, from->status != NULL ?
	    from->status : "");
	to->text = arena_strdup(arena, from->text != NULL ? from->text : "");
	to->remote_mta = arena_strdup(arena, from->remote_mta != NULL ?
	    from->remote_mta : "");
}

bool
queue_state_record(struct queue_state *state,
    const struct spool_envelope *envelope,
    const struct queue_state_attempt *attempts,
    const struct queue_state_policy *policy, int64_t now,
    struct arena *arena, enum queue_state_notice *notices_r)
{
	bool tried = false, pending = false, warn;
	bool null_sender = envelope->mail_from[0] == '\0';
	size_t i;

	ASSERT(state->recipient_count == envelope->recipient_count);
	for (i = 0; i < state->recipient_count; i++) {
		struct queue_state_recipient *r = &state->recipients[i];
		const struct queue_state_attempt *a = &attempts[i];
		unsigned notify = envelope->recipients[i].notify;
		enum spool_notify wanted = 0;

		notices_r[i] = QUEUE_STATE_NOTICE_NONE;
		if (r->status != QUEUE_STATE_PENDING ||
		    a->result == QUEUE_STATE_RESULT_SKIPPED) {
			pending |= r->status == QUEUE_STATE_PENDING;
			continue;
		}
		tried = true;
		r->last_attempt = now;
		queue_state_copy_reply(&r->reply, &a->reply, arena);
		switch (a->result) {
		case QUEUE_STATE_RESULT_DELIVERED:
			r->status = QUEUE_STATE_DELIVERED;
			wanted = SPOOL_NOTIFY_SUCCESS;
			break;
		case QUEUE_STATE_RESULT_RELAYED:
			r->status = QUEUE_STATE_RELAYED;
			wanted = SPOOL_NOTIFY_SUCCESS;
			break;
		case QUEUE_STATE_RESULT_PASSED:
			r->status = QUEUE_STATE_RELAYED;
			break;
		case QUEUE_STATE_RESULT_FAILED:
			r->status = QUEUE_STATE_FAILED;
			wanted = SPOOL_NOTIFY_FAILURE;
			break;
		case QUEUE_STATE_RESULT_DEFERRED:
			if (now - envelope->received >= policy->lifetime) {
				r->status = QUEUE_STATE_EXPIRED;
				wanted = SPOOL_NOTIFY_FAILURE;
			} else {
				pending = true;
			}
			break;
		case QUEUE_STATE_RESULT_SKIPPED:
			break;
		}
		if (wanted != 0 && !null_sender &&
		    queue_state_notify_wants(notify, wanted))
			notices_r[i] = wanted == SPOOL_NOTIFY_SUCCESS ?
			    QUEUE_STATE_NOTICE_SUCCESS :
			    QUEUE_STATE_NOTICE_FAILURE;
	}
	if (tried) {
		state->attempts++;
		if (state->first_attempt == 0)
			state->first_attempt = now;
		state->last_attempt = now;
		state->next_attempt = now + queue_state_retry_delay(policy,
		    state->attempts);
	}
	/* One delay notice per message, once it is old enough. */
	warn = pending && !state->delay_warned && policy->delay_warning > 0 &&
	    now - envelope->received >= policy->delay_warning;
	if (warn) {
		state->delay_warned = true;
		for (i = 0; i < state->recipient_count && !null_sender; i++)
			if (state->recipients[i].status ==
			    QUEUE_STATE_PENDING && queue_state_notify_wants(
			    envelope->recipients[i].notify, SPOOL_NOTIFY_DELAY))
				notices_r[i] = QUEUE_STATE_NOTICE_DELAY;
	}
	return pending;
}

bool
queue_state_unreported_failure(const struct queue_state *state,
    const struct spool_envelope *envelope)
{
	size_t i;

	for (i = 0; i < state->recipient_count; i++) {
		enum queue_state_status status = state->recipients[i].status;
		if ((status == QUEUE_STATE_FAILED ||
		    status == QUEUE_STATE_EXPIRED) &&
		    (envelope->mail_from[0] == '\0' ||
		    !queue_state_notify_wants(envelope->recipients[i].notify,
		    SPOOL_NOTIFY_FAILURE)))
			return true;
	}
	return false;
}

size_t
queue_state_pending(const struct queue_state *state)
{
	size_t i, count = 0;

	for (i = 0; i < state->recipient_count; i++)
		count += state->recipients[i].status == QUEUE_STATE_PENDING;
	return count;
}
