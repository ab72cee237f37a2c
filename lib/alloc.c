/* alloc.c: zeroing allocation wrappers that abort on exhaustion. */
#include "lib/alloc.h"
#include "lib/log.h"

static ATTR_NORETURN void
alloc_exhausted(size_t size)
{
	log_panic("out of memory allocating %zu bytes", size);
}

void *
alloc_zero(size_t size)
{
	void *p = calloc(1, size == 0 ? 1 : size);

	if (p == NULL)
		alloc_exhausted(size);
	return p;
}

void *
alloc_array(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		log_panic("allocation overflow: %zu * %zu", count, size);
	return alloc_zero(count * size);
}

void *
alloc_resize(void *ptr, size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > SIZE_MAX / size)
		log_panic("allocation overflow: %zu * %zu", count, size);
	p = realloc(ptr, count * size == 0 ? 1 : count * size);
	if (p == NULL)
		alloc_exhausted(count * size);
	return p;
}

char *
alloc_strndup(const char *s, size_t length)
{
	char *p = alloc_zero(length + 1);

	memcpy(p, s, length);
	return p;
}

char *
alloc_strdup(const char *s)
{
	return alloc_strndup(s, strlen(s));
}

char *
alloc_printf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("alloc_printf: bad format %s", fmt);
	p = alloc_zero((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
