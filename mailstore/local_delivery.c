/* local_delivery.c: one message, one local recipient, into Maildir with
 * trace headers and LF line endings.
 *
 * DESIGN: the message is not copied to convert CRLF to LF. One pass
 * counts the CRLF pairs (the file size goes into the file name, so it
 * must be known before writing), then an iovec list points at the runs
 * between them, skipping each CR; maildir_deliver hands that list to
 * writev in batches. The memory cost is 16 bytes per line instead of a
 * second copy of the message. */
#include "mailstore/local_delivery.h"
#include "mailstore/maildir.h"
#include "lib/alloc.h"
#include "lib/error.h"

#include <limits.h>
#include <sys/uio.h>

/* The two trace header lines; a return path is at most 256 octets
 * (RFC 5321), so this leaves plenty of room. */
#define LOCAL_DELIVERY_HEADER_MAX 2048

/* Longest file name most filesystems accept. */
#define LOCAL_DELIVERY_NAME_MAX 255

/* A recipient part usable as one directory name. */
static bool
local_delivery_part_valid(const char *part, size_t length)
{
	size_t i;

	if (length == 0 || part[0] == '.')
		return false;
	for (i = 0; i < length; i++) {
		if (part[i] == '/' || (unsigned char)part[i] < 0x20 ||
		    part[i] == 0x7f)
			return false;
	}
	return true;
}

int
local_delivery_maildir_path(const char *mail_root, const char *recipient,
    char *dst, size_t size, const char **error_r)
{
	const char *at = strrchr(recipient, '@');
	size_t local_length = at != NULL ? (size_t)(at - recipient) : 0;
	int n;

	if (at == NULL || !local_delivery_part_valid(recipient, local_length) ||
	    !local_delivery_part_valid(at + 1, strlen(at + 1))) {
		*error_r = error_set("invalid local recipient \"%.64s\"",
		    recipient);
		return -1;
	}
	n = snprintf(dst, size, "%s/%s/%.*s/Maildir", mail_root, at + 1,
	    (int)local_length, recipient);
	if (n < 0 || (size_t)n >= size) {
		*error_r = error_set("Maildir path for %.64s too long",
		    recipient);
		return -1;
	}
	return 0;
}

/* Writes "Return-Path: <...>\nDelivered-To: ...\n" into dst. */
static int
local_delivery_trace_headers(const struct local_delivery_message *message,
    char *dst, size_t size, size_t *length_r, const char **error_r)
{
	size_t i, first_newline, length;
	int n;

	n = snprintf(dst, size, "Return-Path: <%s>\nDelivered-To: %s\n",
	    message->return_path, message->recipient);
	if (n < 0 || (size_t)n >= size) {
		*error_r = error_set("return path or recipient too long");
		return -1;
	}
	/* The envelope must not be able to inject header lines: control
	 * characters other than our two line ends become '?'. */
	length = (size_t)n;
	first_newline = strlen("Return-Path: <>") +
	    strlen(message->return_path);
	for (i = 0; i < length; i++) {
		if (i == first_newline || i == length - 1)
			continue;
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
	}
	*length_r = length;
	return 0;
}

/* Writes "UNIQUE.HOSTNAME,S=SIZE" with '/' and ':' in hostname escaped
 * as \057 and \072. */
static int
local_delivery_base_name(const char *unique_name, const char *hostname,
    uint64_t size, char *dst, size_t dst_size, const char **error_r)
{
	size_t used;
	int n;

	n = snprintf(dst, dst_size, "%s.", unique_name);
	if (n < 0 || (size_t)n >= dst_size)
		goto too_long;
	used = (size_t)n;
	for (; *hostname != '\0'; hostname++) {
		if (used + 5 >= dst_size)
			goto too_long;
		if (*hostname == '/')
			used += (size_t)snprintf(dst + used, 5, "\\057");
		else if (*hostname == ':')
			used += (size_t)snprintf(dst + used, 5, "\\072");
		else
			dst[used++] = *hostname;
	}
	n = snprintf(dst + used, dst_size - used, ",S=%llu",
	    (unsigned long long)size);
	if (n < 0 || (size_t)n >= dst_size - used)
		goto too_long;
	return 0;
too_long:
	*error_r = error_set("Maildir file name for %.64s too long",
	    unique_name);
	return -1;
}

/* Counts the CRLF pairs in data. */
static size_t
local_delivery_count_crlf(const unsigned char *data, size_t length)
{
	const unsigned char *p = data, *end = data + length, *cr;
	size_t count = 0;

	while (p < end && (cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (cr + 1 < end && cr[1] == '\n')
			count++;
		p = cr + 1;
	}
	return count;
}

/* Largest run of converted bytes handed to one write. */
#define LOCAL_DELIVERY_CHUNK (64 * 1024)

/* Writes data with each CRLF turned into LF, through a bounded buffer,
 * so a message of many short lines costs no per-line memory. */
struct local_delivery_chunk {
	struct maildir_delivery *delivery;
	unsigned char *data;
	size_t used;
};

static int
local_delivery_chunk_flush(struct local_delivery_chunk *chunk,
    const char **error_r)
{
	struct iovec part = { chunk->data, chunk->used };

	chunk->used = 0;
	return part.iov_len == 0 ? 0 :
	    maildir_delivery_write(chunk->delivery, &part, 1, error_r);
}

static int
local_delivery_chunk_add(struct local_delivery_chunk *chunk,
    const unsigned char *data, size_t length, const char **error_r)
{
	size_t room;

	while (length > 0) {
		room = MIN(length, LOCAL_DELIVERY_CHUNK - chunk->used);
		memcpy(chunk->data + chunk->used, data, room);
		chunk->used += room;
		data += room;
		length -= room;
		if (chunk->used == LOCAL_DELIVERY_CHUNK &&
		    local_delivery_chunk_flush(chunk, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Writes data with each CRLF turned into LF (a lone CR stays), through
 * a bounded buffer, so a message of many short lines costs no per-line
 * memory. */
static int
local_delivery_write_lf(struct maildir_delivery *delivery,
    const unsigned char *data, size_t length, const char **error_r)
{
	struct local_delivery_chunk chunk = { delivery,
		alloc_zero(LOCAL_DELIVERY_CHUNK), 0 };
	const unsigned char *p = data, *end = data + length, *cr;
	size_t run;
	int ret = 0;

	while (p < end && ret == 0) {
		cr = memchr(p, '\r', (size_t)(end - p));
		run = cr == NULL ? (size_t)(end - p) : (size_t)(cr - p);
		/* A lone CR is kept: include it in the run. */
		if (cr != NULL && !(cr + 1 < end && cr[1] == '\n'))
			run++;
		ret = local_delivery_chunk_add(&chunk, p, run, error_r);
		p += run;
		if (cr != NULL && p == cr)
			p++; /* the CR of a CRLF */
	}
	if (ret == 0)
		ret = local_delivery_chunk_flush(&chunk, error_r);
	free(chunk.data);
	return ret;
}

int
local_delivery_deliver(const char *mail_root,
    const struct local_delivery_message *message, const char *hostname,
    const char **error_r)
{
	char maildir[PATH_MAX], headers[LOCAL_DELIVERY_HEADER_MAX];
	char base_name[LOCAL_DELIVERY_NAME_MAX + 1];
	struct maildir_delivery *delivery;
	size_t header_length, crlf_count;
	struct iovec part;
	uint64_t size;
	int ret;

	if (local_delivery_maildir_path(mail_root, message->recipient,
	    maildir, sizeof(maildir), error_r) < 0 ||
	    local_delivery_trace_headers(message, headers, sizeof(headers),
	    &header_length, error_r) < 0)
		return -1;
	crlf_count = local_delivery_count_crlf(message->data,
	    message->length);
	size = (uint64_t)header_length + message->length - crlf_count;
	if (local_delivery_base_name(message->unique_name, hostname, size,
	    base_name, sizeof(base_name), error_r) < 0)
		return -1;
	if (maildir_create(maildir, error_r) < 0)
		return -1;
	ret = maildir_delivery_begin(maildir, base_name, message->recovering,
	    &delivery, error_r);
	if (ret <= 0)
		return ret;
	part.iov_base = headers;
	part.iov_len = header_length;
	if (maildir_delivery_write(delivery, &part, 1, error_r) < 0 ||
	    local_delivery_write_lf(delivery, message->data, message->length,
	    error_r) < 0) {
		maildir_delivery_abort(&delivery);
		return -1;
	}
	ret = maildir_delivery_commit(&delivery, error_r);
	if (ret > 0)
		mailbox_notify_changed(message->notify, maildir);
	return ret;
}
