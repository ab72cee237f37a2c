/* arena.h: allocate-only memory region with cleanup hooks.
 *
 * One arena per connection, transaction or scan: everything with that
 * lifetime is allocated here and released by one arena_free(). Memory is
 * zeroed and aligned for any type. Cleanup hooks release non-memory
 * resources (fds, PCRE2 match data) in reverse order of registration.
 * An arena is not thread-safe: one thread uses it at a time (handing it
 * to a worker job and back is fine). */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include "lib/common.h"

struct arena;

/* Creates an arena whose first chunk holds about initial_size bytes
 * (0 means a default of 4 KiB). name shows up in panics only. */
struct arena *arena_new(const char *name, size_t initial_size);

/* Releases every allocation, after running cleanup hooks newest first.
 * Sets *arena_p to NULL; a NULL *arena_p is a no-op. */
void arena_free(struct arena **arena_p);

/* Returns size zeroed bytes owned by the arena. Never NULL. */
void *arena_alloc(struct arena *arena, size_t size);

/* Returns count * size zeroed bytes; aborts on overflow. */
void *arena_array(struct arena *arena, size_t count, size_t size);

/* NUL-terminated copies owned by the arena. */
char *arena_strdup(struct arena *arena, const char *s);
char *arena_strndup(struct arena *arena, const char *s, size_t length);
char *arena_printf(struct arena *arena, const char *fmt, ...)
    ATTR_PRINTF(2, 3);
char *arena_vprintf(struct arena *arena, const char *fmt, va_list ap)
    ATTR_PRINTF(2, 0);

/* Runs cleanup(context) when the arena is freed. */
void arena_add_cleanup(struct arena *arena, void (*cleanup)(void *context),
    void *context);

/* Bytes handed out so far (for limits and metrics). */
size_t arena_used(const struct arena *arena);

#define arena_new_type(arena, type) ((type *)arena_alloc((arena), sizeof(type)))

#endif
