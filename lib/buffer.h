/* buffer.h: growable binary-safe byte buffer with an optional hard cap.
 *
 * The struct is public so a buffer can be embedded in a session or
 * parser without a separate allocation; read it only through the
 * accessors. The storage is heap memory owned by the buffer and always
 * has a spare NUL after the data, so text can be used as a C string.
 * Growing may move the data: pointers from buffer_data() are valid only
 * until the next append. Not thread-safe. */
#ifndef SLUICE_BUFFER_H
#define SLUICE_BUFFER_H

#include "lib/common.h"

struct buffer {
	unsigned char *data;
	size_t length;
	size_t capacity; /* allocated bytes, not counting the spare NUL */
	size_t max;      /* hard cap on length; 0 means unbounded */
};

/* Prepares an empty buffer that may hold at most max bytes (0: no cap). */
void buffer_init(struct buffer *buffer, size_t max);

/* Releases the storage; the buffer may be initialised again. */
void buffer_deinit(struct buffer *buffer);

/* Appends length bytes. Returns 0, or -1 without appending anything if
 * the result would exceed the cap. */
int buffer_append(struct buffer *buffer, const void *data, size_t length)
    ATTR_NODISCARD;

/* Appends a NUL-terminated string; same return as buffer_append. */
int buffer_append_string(struct buffer *buffer, const char *s) ATTR_NODISCARD;

/* Appends printf output; same return as buffer_append. */
int buffer_printf(struct buffer *buffer, const char *fmt, ...)
    ATTR_PRINTF(2, 3) ATTR_NODISCARD;

/* Drops the first count bytes (count <= length). */
void buffer_consume(struct buffer *buffer, size_t count);

/* Shortens the buffer to length bytes (length <= current length). */
void buffer_truncate(struct buffer *buffer, size_t length);

/* Empties the buffer, keeping its storage. */
void buffer_reset(struct buffer *buffer);

/* Makes room for at least count more bytes and returns where they go;
 * commit what was written with buffer_commit(). Returns NULL if count
 * more bytes would exceed the cap. */
unsigned char *buffer_reserve(struct buffer *buffer, size_t count);
void buffer_commit(struct buffer *buffer, size_t count);

static inline const unsigned char *
buffer_data(const struct buffer *buffer)
{
	return buffer->data;
}

static inline size_t
buffer_length(const struct buffer *buffer)
{
	return buffer->length;
}

/* The contents as a NUL-terminated string ("" when empty). */
static inline const char *
buffer_string(const struct buffer *buffer)
{
	return buffer->data == NULL ? "" : (const char *)buffer->data;
}

#endif
