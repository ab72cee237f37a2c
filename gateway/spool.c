/* spool.c: durable message files between the 250 and the delivery.
 *
 * DESIGN: a delivered message's file is not unlinked but renamed into
 * free/, and the next spool_write rewrites it in place (at most
 * SPOOL_FREE_MAX wait there). Creating and deleting an inode per
 * message was the largest cost of the relay path: ext4 allocates and
 * frees the inode and its blocks, and without a journal it scans past
 * every recently freed inode on each create. A rewritten file is only
 * ever reached under its new name: the header's id must equal the
 * file's name (spool_parse), so a reader that opened the old name just
 * before the rename finds "no such message", and a crash that undoes a
 * removal but keeps the rewrite leaves a file that says it is stale. */
#include "gateway/spool.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/durable_file.h"
#include "lib/error.h"
#include "lib/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define SPOOL_MAGIC "SLUICE-SPOOL 1\n"
/* Delivered files kept in free/ for reuse: enough for the messages of
 * a busy second, few enough that an idle spool holds little. */
#define SPOOL_FREE_MAX 256

struct spool {
	char *tmp_dir;
	char *queue_dir;
	char *failed_dir;
	char *state_dir;
	char *free_dir;
	pthread_mutex_t free_mutex;
	char *free_names[SPOOL_FREE_MAX]; /* files in free/ to reuse */
	size_t free_count;
};

int
spool_open(const char *state_dir, struct spool **spool_r, const char **error_r)
{
	struct spool *spool = alloc_new(struct spool);

	spool->tmp_dir = alloc_printf("%s/spool/tmp", state_dir);
	spool->queue_dir = alloc_printf("%s/spool/queue", state_dir);
	spool->failed_dir = alloc_printf("%s/spool/failed", state_dir);
	spool->state_dir = alloc_printf("%s/spool/state", state_dir);
	spool->free_dir = alloc_printf("%s/spool/free", state_dir);
	pthread_mutex_init(&spool->free_mutex, NULL);
	if (durable_mkdir_all(spool->tmp_dir, 0700, error_r) < 0 ||
	    durable_mkdir_all(spool->free_dir, 0700, error_r) < 0 ||
	    durable_mkdir_all(spool->queue_dir, 0700, error_r) < 0 ||
	    durable_mkdir_all(spool->failed_dir, 0700, error_r) < 0 ||
	    durable_mkdir_all(spool->state_dir, 0700, error_r) < 0) {
		spool_close(&spool);
		return -1;
	}
	*spool_r = spool;
	return 0;
}

void
spool_close(struct spool **spool_p)
{
	struct spool *spool = *spool_p;

	if (spool == NULL)
		return;
	free(spool->tmp_dir);
	free(spool->queue_dir);
	free(spool->failed_dir);
	free(spool->state_dir);
	free(spool->free_dir);
	while (spool->free_count > 0)
		free(spool->free_names[--spool->free_count]);
	pthread_mutex_destroy(&spool->free_mutex);
	free(spool);
	*spool_p = NULL;
}

const char *
spool_state_dir(const struct spool *spool)
{
	return spool->state_dir;
}

const char *
spool_failed_dir(const struct spool *spool)
{
	return spool->failed_dir;
}

bool
spool_id_is_valid(const char *id)
{
	size_t length = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-");

	return length > 0 && id[length] == '\0' && length < SPOOL_ID_MAX &&
	    id[0] != '.';
}

void
spool_new_id(char id_r[SPOOL_ID_MAX])
{
	static unsigned long counter;
	unsigned long sequence = __atomic_add_fetch(&counter, 1,
	    __ATOMIC_RELAXED);
	struct timeval now;

	gettimeofday(&now, NULL);
	snprintf(id_r, SPOOL_ID_MAX, "%lld.M%06ldP%ldQ%lu",
	    (long long)now.tv_sec, (long)now.tv_usec, (long)getpid(), sequence);
}

/* Envelope values are written as single tokens: bytes outside 0x21-0x7e
 * and '+' become "+HH" (RFC 3461 xtext), so quoted local parts with
 * spaces or UTF-8 addresses survive the line format. "-" and "<>" stand
 * for empty values and cannot collide: an encoded value never is "-"
 * alone unless the value was "-", which is no valid address or HELO. */
void
spool_token_append(struct buffer *out, const char *value, const char *empty)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)value;
	char encoded[3] = { '+', 0, 0 };

	if (*p == '\0') {
		if (buffer_append_string(out, empty) < 0)
			log_panic("spool header overflow");
		return;
	}
	for (; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '+') {
			if (buffer_append(out, p, 1) < 0)
				log_panic("spool header overflow");
			continue;
		}
		encoded[1] = hex[*p >> 4];
		encoded[2] = hex[*p & 0xf];
		if (buffer_append(out, encoded, 3) < 0)
			log_panic("spool header overflow");
	}
}

static int
spool_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a token in place; "empty" maps to "". Returns -1 on bad xtext. */
int
spool_token_decode(char *token, const char *empty, const char **value_r)
{
	char *in = token, *out = token;
	int high, low;

	if (strcmp(token, empty) == 0) {
		*value_r = "";
		return 0;
	}
	while (*in != '\0') {
		if (*in != '+') {
			*out++ = *in++;
			continue;
		}
		high = spool_hex_value(in[1]);
		low = high < 0 ? -1 : spool_hex_value(in[2]);
		if (low < 0 || (high == 0 && low == 0))
			return -1;
		*out++ = (char)(high << 4 | low);
		in += 3;
	}
	*out = '\0';
	*value_r = token;
	return 0;
}

/* Opens a file from free/ for rewriting; returns its path (free() it),
 * or NULL when none is left. A file that cannot be reused is removed. */
static char *
spool_free_take(struct spool *spool, struct durable_file **file_r)
{
	const char *error;
	char *name, *path;

	for (;;) {
		pthread_mutex_lock(&spool->free_mutex);
		name = spool->free_count > 0 ?
		    spool->free_names[--spool->free_count] : NULL;
		pthread_mutex_unlock(&spool->free_mutex);
		if (name == NULL)
			return NULL;
		path = alloc_printf("%s/%s", spool->free_dir, name);
		free(name);
		if (durable_file_reuse(path, file_r, &error) == 0)
			return path;
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("event=spool_cleanup path=%s error=%s", path,
			    strerror(errno));
		free(path);
	}
}

/* Remembers free/NAME for reuse; false when the pool is full. */
static bool
spool_free_put(struct spool *spool, const char *name)
{
	bool kept = false;

	pthread_mutex_lock(&spool->free_mutex);
	if (spool->free_count < SPOOL_FREE_MAX) {
		spool->free_names[spool->free_count++] = alloc_strdup(name);
		kept = true;
	}
	pthread_mutex_unlock(&spool->free_mutex);
	return kept;
}

static bool
spool_free_full(struct spool *spool)
{
	bool full;

	pthread_mutex_lock(&spool->free_mutex);
	full = spool->free_count >= SPOOL_FREE_MAX;
	pthread_mutex_unlock(&spool->free_mutex);
	return full;
}

int
spool_write(struct spool *spool, const struct spool_envelope *envelope,
    const struct iovec *parts, size_t part_count, const char **error_r)
{
	struct durable_file *file;
	struct buffer header;
	struct iovec *iov = NULL;
	char *tmp_path = NULL, *final_path;
	size_t i;
	int ret = -1;

	buffer_init(&header, 0);
	if (buffer_printf(&header, SPOOL_MAGIC "id %s\nreceived %lld\nhost ",
	    envelope->id, (long long)envelope->received) < 0)
		log_panic("spool header overflow");
	spool_token_append(&header, envelope->hostname, "-");
	if (buffer_printf(&header, "\nclient %s ",
	    envelope->client_address) < 0)
		log_panic("spool header overflow");
	spool_token_append(&header, envelope->helo, "-");
	if (buffer_append_string(&header, "\nfrom ") < 0)
		log_panic("spool header overflow");
	spool_token_append(&header, envelope->mail_from, "<>");
	if (envelope->ret != SPOOL_RET_DEFAULT ||
	    (envelope->envid != NULL && envelope->envid[0] != '\0')) {
		if (buffer_printf(&header, "\ndsn %s ",
		    envelope->ret == SPOOL_RET_FULL ? "full" :
		    envelope->ret == SPOOL_RET_HEADERS ? "hdrs" : "-") < 0)
			log_panic("spool header overflow");
		spool_token_append(&header, envelope->envid != NULL ?
		    envelope->envid : "", "-");
	}
	if (envelope->smtputf8 && buffer_append_string(&header, "\nutf8 1") < 0)
		log_panic("spool header overflow");
	for (i = 0; i < envelope->recipient_count; i++) {
		const struct spool_recipient *r = &envelope->recipients[i];
		if (buffer_append_string(&header, "\nrcpt ") < 0)
			log_panic("spool header overflow");
		spool_token_append(&header, r->address, "<>");
		if (buffer_append(&header, " ", 1) < 0)
			log_panic("spool header overflow");
		spool_token_append(&header, r->mailbox, "-");
		if (r->notify == 0 && (r->orcpt == NULL || r->orcpt[0] == '\0'))
			continue;
		if (buffer_printf(&header, " %u ", r->notify) < 0)
			log_panic("spool header overflow");
		spool_token_append(&header, r->orcpt != NULL ? r->orcpt : "",
		    "-");
	}
	if (buffer_append(&header, "\n\n", 2) < 0)
		log_panic("spool header overflow");

	final_path = alloc_printf("%s/%s", spool->queue_dir, envelope->id);
	tmp_path = spool_free_take(spool, &file);
	if (tmp_path == NULL) {
		tmp_path = alloc_printf("%s/%s", spool->tmp_dir, envelope->id);
		if (durable_file_create(tmp_path, &file, error_r) < 0)
			goto out;
	}
	/* The envelope and the message in one writev. */
	iov = alloc_array(part_count + 1, sizeof(*iov));
	iov[0].iov_base = (void *)(uintptr_t)buffer_data(&header);
	iov[0].iov_len = buffer_length(&header);
	memcpy(iov + 1, parts, part_count * sizeof(*iov));
	if (durable_file_writev(file, iov, part_count + 1, error_r) < 0)
		goto abort;
	ret = durable_file_commit(&file, final_path, error_r);
	goto out;
abort:
	durable_file_abort(&file);
out:
	free(iov);
	free(tmp_path);
	free(final_path);
	buffer_deinit(&header);
	return ret;
}

/* Reads one "\n"-terminated header line starting at *pos. */
static int
spool_next_line(const unsigned char *data, size_t length, size_t *pos,
    char **line_r, struct arena *arena)
{
	const unsigned char *start = data + *pos, *end;

	if (*pos >= length)
		return -1;
	end = memchr(start, '\n', length - *pos);
	if (end == NULL)
		return -1;
	*line_r = arena_strndup(arena, (const char *)start,
	    (size_t)(end - start));
	*pos += (size_t)(end - start) + 1;
	return 0;
}

static int
spool_parse(const unsigned char *data, size_t length, struct arena *arena,
    struct spool_envelope *envelope, size_t *body_offset_r,
    const char **error_r)
{
	size_t pos = strlen(SPOOL_MAGIC), capacity = 8;
	char *line, *value, *space;
	long long number;
	char *end;

	memset(envelope, 0, sizeof(*envelope));
	if (length < pos || memcmp(data, SPOOL_MAGIC, pos) != 0) {
		*error_r = error_set("not a spool file");
		return -1;
	}
	envelope->recipients = arena_array(arena, capacity,
	    sizeof(*envelope->recipients));
	for (;;) {
		if (spool_next_line(data, length, &pos, &line, arena) < 0) {
			*error_r = error_set("truncated envelope");
			return -1;
		}
		if (*line == '\0')
			break;
		value = strchr(line, ' ');
		if (value == NULL) {
			*error_r = error_set("malformed envelope line");
			return -1;
		}
		*value++ = '\0';
		if (strcmp(line, "id") == 0) {
			envelope->id = value;
		} else if (strcmp(line, "received") == 0) {
			number = strtoll(value, &end, 10);
			if (*end != '\0') {
				*error_r = error_set("bad received time");
				return -1;
			}
			envelope->received = number;
		} else if (strcmp(line, "host") == 0) {
			if (spool_token_decode(value, "-",
			    &envelope->hostname) < 0) {
				*error_r = error_set("bad host line");
				return -1;
			}
		} else if (strcmp(line, "client") == 0) {
			space = strchr(value, ' ');
			if (space == NULL) {
				*error_r = error_set("bad client line");
				return -1;
			}
			*space = '\0';
			envelope->client_address = value;
			if (spool_token_decode(space + 1, "-",
			    &envelope->helo) < 0) {
				*error_r = error_set("bad client line");
				return -1;
			}
		} else if (strcmp(line, "from") == 0) {
			if (spool_token_decode(value, "<>",
			    &envelope->mail_from) < 0) {
				*error_r = error_set("bad from line");
				return -1;
			}
		} else if (strcmp(line, "dsn") == 0) {
			space = strchr(value, ' ');
			if (space == NULL) {
				*error_r = error_set("bad dsn line");
				return -1;
			}
			*space = '\0';
			if (strcmp(value, "full") == 0)
				envelope->ret = SPOOL_RET_FULL;
			else if (strcmp(value, "hdrs") == 0)
				envelope->ret = SPOOL_RET_HEADERS;
			else if (strcmp(value, "-") != 0) {
				*error_r = error_set("bad dsn line");
				return -1;
			}
			if (spool_token_decode(space + 1, "-",
			    &envelope->envid) < 0) {
				*error_r = error_set("bad dsn line");
				return -1;
			}
		} else if (strcmp(line, "utf8") == 0) {
			if (strcmp(value, "1") != 0) {
				*error_r = error_set("bad utf8 line");
				return -1;
			}
			envelope->smtputf8 = true;
		} else if (strcmp(line, "rcpt") == 0) {
			struct spool_recipient *r;
			char *extra;
			space = strchr(value, ' ');
			if (space == NULL ||
			    envelope->recipient_count >= SPOOL_MAX_RECIPIENTS) {
				*error_r = error_set("bad rcpt line");
				return -1;
			}
			*space = '\0';
			if (envelope->recipient_count == capacity) {
				struct spool_recipient *grown = arena_array(arena,
				    capacity * 2, sizeof(*grown));
				memcpy(grown, envelope->recipients,
				    capacity * sizeof(*grown));
				envelope->recipients = grown;
				capacity *= 2;
			}
			r = &envelope->recipients[envelope->recipient_count++];
			/* Optional DSN fields: NOTIFY bits and ORCPT. */
			extra = strchr(space + 1, ' ');
			r->orcpt = "";
			if (extra != NULL) {
				char *orcpt = strchr(extra + 1, ' ');
				unsigned long notify;
				*extra = '\0';
				if (orcpt == NULL) {
					*error_r = error_set("bad rcpt line");
					return -1;
				}
				*orcpt++ = '\0';
				notify = strtoul(extra + 1, &end, 10);
				if (*end != '\0' || notify > 15 ||
				    spool_token_decode(orcpt, "-",
				    &r->orcpt) < 0) {
					*error_r = error_set("bad rcpt line");
					return -1;
				}
				r->notify = (unsigned)notify;
			}
			if (spool_token_decode(value, "<>", &r->address) < 0 ||
			    spool_token_decode(space + 1, "-", &r->mailbox) < 0) {
				*error_r = error_set("bad rcpt line");
				return -1;
			}
		} else {
			*error_r = error_set("unknown envelope field '%.20s'",
			    line);
			return -1;
		}
	}
	if (envelope->envid == NULL)
		envelope->envid = "";
	if (envelope->id == NULL || envelope->mail_from == NULL ||
	    envelope->hostname == NULL ||
	    envelope->client_address == NULL ||
	    envelope->recipient_count == 0) {
		*error_r = error_set("incomplete envelope");
		return -1;
	}
	*body_offset_r = pos;
	return 0;
}

/* A file whose header names another message is a reused one that a
 * reader reached by its old name: that message is gone. */
static int
spool_check_id(const struct spool_envelope *envelope, const char *id,
    const char **error_r)
{
	if (strcmp(envelope->id, id) == 0)
		return 0;
	*error_r = error_set("spool file %s: now holds message %s", id,
	    envelope->id);
	errno = ESTALE;
	return -1;
}

/* Parses the whole file read into data (heap, freed here). */
static int
spool_read_finish(unsigned char *data, size_t length, const char *id,
    struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r)
{
	unsigned char *copy;
	size_t offset;

	/* The arena owns the bytes so the envelope views stay valid. */
	copy = arena_alloc(arena, length + 1);
	memcpy(copy, data, length);
	free(data);
	if (spool_parse(copy, length, arena, envelope_r, &offset, error_r) < 0) {
		*error_r = error_set("spool file %s: %s", id, *error_r);
		errno = EBADMSG;
		return -1;
	}
	if (spool_check_id(envelope_r, id, error_r) < 0)
		return -1;
	*message_r = copy + offset;
	*message_length_r = length - offset;
	return 0;
}

/* Reads the spool file open at fd (from its offset) as message id. */
static int
spool_read_descriptor(struct spool *spool, const char *id, int fd,
    size_t max_size, struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r)
{
	unsigned char *data;
	size_t length;
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	int ret;

	ret = durable_file_read_descriptor(fd, path, max_size, &data,
	    &length, error_r);
	free(path);
	if (ret < 0)
		return -1;
	return spool_read_finish(data, length, id, arena, envelope_r,
	    message_r, message_length_r, error_r);
}

int
spool_read(struct spool *spool, const char *id, size_t max_size,
    struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	int fd, ret, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*error_r = error_set_errno("open %s", path);
		free(path);
		return -1;
	}
	free(path);
	ret = spool_read_descriptor(spool, id, fd, max_size, arena,
	    envelope_r, message_r, message_length_r, error_r);
	saved = errno;
	close(fd);
	/* Without the lock a reused file just means the message is gone. */
	errno = ret < 0 && saved == ESTALE ? ENOENT : saved;
	return ret;
}

int
spool_read_locked(struct spool *spool, const char *id, int lock,
    size_t max_size, struct arena *arena, struct spool_envelope *envelope_r,
    const unsigned char **message_r, size_t *message_length_r,
    const char **error_r)
{
	if (lseek(lock, 0, SEEK_SET) < 0) {
		*error_r = error_set_errno("seek spool file %s", id);
		return -1;
	}
	return spool_read_descriptor(spool, id, lock, max_size, arena,
	    envelope_r, message_r, message_length_r, error_r);
}

int
spool_read_envelope(struct spool *spool, const char *id, size_t max_size,
    struct arena *arena, struct spool_envelope *envelope_r,
    uint64_t *file_size_r, const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	struct buffer header;
	unsigned char *chunk;
	size_t offset, scanned = 0;
	struct stat st;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = error_set_errno("open %s", path);
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	/* Read until the blank line that ends the envelope; the message
	 * after it stays on disk. */
	buffer_init(&header, max_size);
	for (;;) {
		chunk = buffer_reserve(&header, 8192);
		if (chunk == NULL) {
			*error_r = error_set("spool file %s: envelope larger "
			    "than %zu bytes", id, max_size);
			errno = EBADMSG;
			goto out;
		}
		n = read(fd, chunk, 8192);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = error_set_errno("read %s", path);
			goto out;
		}
		buffer_commit(&header, (size_t)n);
		if (scanned > 0)
			scanned--; /* a "\n\n" may straddle two reads */
		if (memmem(buffer_data(&header) + scanned,
		    buffer_length(&header) - scanned, "\n\n", 2) != NULL ||
		    n == 0)
			break;
		scanned = buffer_length(&header);
	}
	{
		unsigned char *copy = arena_alloc(arena,
		    buffer_length(&header) + 1);
		memcpy(copy, buffer_data(&header), buffer_length(&header));
		if (spool_parse(copy, buffer_length(&header), arena, envelope_r,
		    &offset, error_r) < 0) {
			*error_r = error_set("spool file %s: %s", id, *error_r);
			errno = EBADMSG;
			goto out;
		}
		if (spool_check_id(envelope_r, id, error_r) < 0) {
			errno = ENOENT; /* as in spool_read */
			goto out;
		}
	}
	*file_size_r = (uint64_t)st.st_size;
	ret = 0;
out:
	buffer_deinit(&header);
	close(fd);
	free(path);
	return ret;
}

int
spool_remove(struct spool *spool, const char *id, const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	char *free_path = NULL;
	int ret = 0;

	/* No directory sync: only a kernel crash or power loss can undo a
	 * rename or unlink that returned (kill -9 cannot), and then the
	 * queue delivers again: the local Maildir copies are recognised,
	 * a relayed one is sent twice, as when a downstream's ack is lost.
	 * The next spool_write's directory sync usually covers it anyway. */
	if (!spool_free_full(spool)) {
		free_path = alloc_printf("%s/%s", spool->free_dir, id);
		if (rename(path, free_path) == 0) {
			if (!spool_free_put(spool, id) && unlink(free_path) < 0)
				log_warn("event=spool_cleanup path=%s "
				    "error=%s", free_path, strerror(errno));
			goto out;
		}
		if (errno == ENOENT)
			goto out;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		*error_r = error_set_errno("unlink %s", path);
		ret = -1;
	}
out:
	free(free_path);
	free(path);
	return ret;
}

int
spool_remove_durable(struct spool *spool, const char *id,
    const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	int ret = durable_unlink(path, error_r);

	free(path);
	return ret;
}

int
spool_move_to_failed(struct spool *spool, const char *id,
    const char **error_r)
{
	char *from = alloc_printf("%s/%s", spool->queue_dir, id);
	char *to = alloc_printf("%s/%s", spool->failed_dir, id);
	int ret = 0;

	if (rename(from, to) < 0) {
		*error_r = error_set_errno("rename %s", from);
		ret = -1;
	} else if (durable_directory_sync(spool->failed_dir, error_r) < 0 ||
	    durable_directory_sync(spool->queue_dir, error_r) < 0) {
		ret = -1;
	}
	free(from);
	free(to);
	return ret;
}

static int
spool_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills the reuse pool from free/ (start-up): a file there that has a
 * second name (a crash kept both sides of a rename) is not free, and
 * files past the pool's size are removed. */
static void
spool_free_load(struct spool *spool)
{
	struct dirent *entry;
	struct stat st;
	char *path;
	DIR *dir;

	dir = opendir(spool->free_dir);
	if (dir == NULL) {
		log_warn("event=spool_cleanup path=%s error=%s",
		    spool->free_dir, strerror(errno));
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		path = alloc_printf("%s/%s", spool->free_dir, entry->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1 || !spool_free_put(spool, entry->d_name)) {
			if (unlink(path) < 0 && errno != ENOENT)
				log_warn("event=spool_cleanup path=%s "
				    "error=%s", path, strerror(errno));
		}
		free(path);
	}
	closedir(dir);
}

int
spool_recover(struct spool *spool, void (*each)(const char *id, void *context),
    void *context, const char **error_r)
{
	struct dirent *entry;
	char *path;
	DIR *dir;

	dir = opendir(spool->tmp_dir);
	if (dir == NULL) {
		*error_r = error_set_errno("opendir %s", spool->tmp_dir);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		path = alloc_printf("%s/%s", spool->tmp_dir, entry->d_name);
		/* Never acknowledged: the client was not told 250. */
		if (unlink(path) < 0)
			log_warn("event=spool_cleanup path=%s error=%s", path,
			    strerror(errno));
		free(path);
	}
	closedir(dir);
	spool_free_load(spool);
	return spool_list(spool, each, context, error_r);
}

int
spool_list(struct spool *spool, void (*each)(const char *id, void *context),
    void *context, const char **error_r)
{
	char **names = NULL;
	size_t count = 0, capacity = 0, i;
	struct dirent *entry;
	DIR *dir;

	dir = opendir(spool->queue_dir);
	if (dir == NULL) {
		*error_r = error_set_errno("opendir %s", spool->queue_dir);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (count == capacity) {
			capacity = capacity == 0 ? 64 : capacity * 2;
			names = alloc_resize(names, capacity, sizeof(*names));
		}
		names[count++] = alloc_strdup(entry->d_name);
	}
	closedir(dir);
	if (count > 0)
		qsort(names, count, sizeof(*names), spool_compare_names);
	for (i = 0; i < count; i++) {
		each(names[i], context);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* After the flock: the descriptor is still the file named queue/ID (not
 * removed, renamed to free/ or replaced while we waited). */
static int
spool_lock_verify(int fd, const char *path, const char **error_r)
{
	struct stat held, named;

	if (fstat(fd, &held) < 0) {
		*error_r = error_set_errno("lock %s", path);
		return -1;
	}
	if (held.st_nlink == 0 || stat(path, &named) < 0 ||
	    named.st_ino != held.st_ino || named.st_dev != held.st_dev) {
		errno = ENOENT;
		*error_r = error_set_errno("lock %s", path);
		return -1;
	}
	return 0;
}

static int
spool_flock(int fd, bool wait, const char *path, const char **error_r)
{
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		*error_r = error_set_errno("lock %s", path);
		return -1;
	}
	return spool_lock_verify(fd, path, error_r);
}

int
spool_lock(struct spool *spool, const char *id, bool wait, int *lock_r,
    const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*error_r = error_set_errno("open %s", path);
		free(path);
		return -1;
	}
	if (spool_flock(fd, wait, path, error_r) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		free(path);
		return -1;
	}
	free(path);
	*lock_r = fd;
	return 0;
}

void
spool_lock_release(int lock)
{
	if (lock >= 0)
		(void)flock(lock, LOCK_UN);
}

int
spool_lock_again(struct spool *spool, const char *id, int lock,
    const char **error_r)
{
	char *path = alloc_printf("%s/%s", spool->queue_dir, id);
	int ret = spool_flock(lock, true, path, error_r);

	free(path);
	return ret;
}

void
spool_unlock(int *lock_p)
{
	if (*lock_p < 0)
		return;
	/* close() drops the flock with the last descriptor. */
	close(*lock_p);
	*lock_p = -1;
}
