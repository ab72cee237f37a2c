/* buffer.c: growable byte buffer with a spare NUL and a hard cap. */
#include "lib/buffer.h"
#include "lib/alloc.h"

void
buffer_init(struct buffer *buffer, size_t max)
{
	memset(buffer, 0, sizeof(*buffer));
	buffer->max = max;
}

void
buffer_deinit(struct buffer *buffer)
{
	size_t max = buffer->max;

	free(buffer->data);
	buffer_init(buffer, max);
}

unsigned char *
buffer_reserve(struct buffer *buffer, size_t count)
{
	size_t need, capacity;

	if (count > SIZE_MAX - buffer->length - 1)
		return NULL;
	need = buffer->length + count;
	if (buffer->max != 0 && need > buffer->max)
		return NULL;
	/* Even a zero-byte reservation gets real storage: callers treat
	 * NULL as "over the cap". */
	if (need > buffer->capacity || buffer->data == NULL) {
		capacity = buffer->capacity < 64 ? 64 : buffer->capacity;
		while (capacity < need)
			capacity = capacity > SIZE_MAX / 2 ? need : capacity * 2;
		if (buffer->max != 0 && capacity > buffer->max)
			capacity = buffer->max;
		buffer->data = alloc_resize(buffer->data, capacity + 1, 1);
		buffer->capacity = capacity;
		buffer->data[buffer->length] = '\0';
	}
	return buffer->data + buffer->length;
}

void
buffer_commit(struct buffer *buffer, size_t count)
{
	ASSERT(buffer->length + count <= buffer->capacity);
	buffer->length += count;
	buffer->data[buffer->length] = '\0';
}

int
buffer_append(struct buffer *buffer, const void *data, size_t length)
{
	unsigned char *p;

	if (length == 0)
		return 0;
	p = buffer_reserve(buffer, length);
	if (p == NULL)
		return -1;
	memcpy(p, data, length);
	buffer_commit(buffer, length);
	return 0;
}

int
buffer_append_string(struct buffer *buffer, const char *s)
{
	return buffer_append(buffer, s, strlen(s));
}

int
buffer_printf(struct buffer *buffer, const char *fmt, ...)
{
	va_list ap;
	unsigned char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("buffer_printf: bad format %s", fmt);
	p = buffer_reserve(buffer, (size_t)n);
	if (p == NULL)
		return -1;
	va_start(ap, fmt);
	/* reserve left room for the spare NUL vsnprintf writes */
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buffer_commit(buffer, (size_t)n);
	return 0;
}

void
buffer_consume(struct buffer *buffer, size_t count)
{
	ASSERT(count <= buffer->length);
	if (count == 0)
		return;
	memmove(buffer->data, buffer->data + count, buffer->length - count);
	buffer->length -= count;
	buffer->data[buffer->length] = '\0';
}

void
buffer_truncate(struct buffer *buffer, size_t length)
{
	ASSERT(length <= buffer->length);
	buffer->length = length;
	if (buffer->data != NULL)
		buffer->data[length] = '\0';
}

void
buffer_reset(struct buffer *buffer)
{
	buffer_truncate(buffer, 0);
}
