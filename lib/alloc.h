/* alloc.h: heap allocation that either succeeds or aborts the process.
 *
 * For long-lived objects only; connection, transaction and scan data
 * belong in an arena (arena.h). Every allocation is zeroed. Sizes are
 * overflow-checked. Any thread may call these. */
#ifndef SLUICE_ALLOC_H
#define SLUICE_ALLOC_H

#include "lib/common.h"

/* Returns size zeroed bytes (at least one byte for size 0). Never NULL. */
void *alloc_zero(size_t size);

/* Returns count * size zeroed bytes; aborts on multiplication overflow. */
void *alloc_array(size_t count, size_t size);

/* Resizes ptr (may be NULL) to count * size bytes; bytes past the old
 * size are NOT zeroed. Never NULL. */
void *alloc_resize(void *ptr, size_t count, size_t size);

/* Returns a heap copy of the NUL-terminated string s. */
char *alloc_strdup(const char *s);

/* Returns a NUL-terminated heap copy of the first length bytes of s. */
char *alloc_strndup(const char *s, size_t length);

/* Returns a heap string formatted like printf. */
char *alloc_printf(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Frees what *ptr points to and sets *ptr to NULL. */
#define alloc_free(pp)                 \
	do {                           \
		free(*(pp));           \
		*(pp) = NULL;          \
	} while (0)

#define alloc_new(type) ((type *)alloc_zero(sizeof(type)))

#endif
