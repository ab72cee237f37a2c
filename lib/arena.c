/* arena.c: chunked bump allocator with reverse-order cleanup hooks.
 *
 * DESIGN: chunks double in size up to 1 MiB; an allocation larger than a
 * quarter of the current chunk size gets a chunk of its own, so a big
 * message body does not waste the tail of a small chunk. */
#include "lib/arena.h"
#include "lib/alloc.h"

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_SIZE 4096
#define ARENA_MAX_CHUNK (1024 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*cleanup)(void *context);
	void *context;
};

struct arena {
	const char *name;
	struct arena_chunk *chunks; /* newest first; head has free space */
	struct arena_cleanup *cleanups;
	size_t next_chunk_size;
	size_t used;
};

static struct arena_chunk *
arena_chunk_new(size_t size)
{
	struct arena_chunk *chunk;

	if (size > SIZE_MAX - sizeof(*chunk))
		log_panic("arena chunk overflow: %zu", size);
	chunk = alloc_zero(sizeof(*chunk) + size);
	chunk->size = size;
	return chunk;
}

struct arena *
arena_new(const char *name, size_t initial_size)
{
	struct arena *arena = alloc_new(struct arena);

	arena->name = name;
	if (initial_size == 0)
		initial_size = ARENA_DEFAULT_SIZE;
	arena->chunks = arena_chunk_new(initial_size);
	arena->next_chunk_size = MIN(initial_size * 2, ARENA_MAX_CHUNK);
	return arena;
}

void
arena_free(struct arena **arena_p)
{
	struct arena *arena = *arena_p;
	struct arena_chunk *chunk, *next_chunk;
	struct arena_cleanup *cleanup;

	if (arena == NULL)
		return;
	/* Hooks may allocate from the arena; they live in it, so walk first. */
	for (cleanup = arena->cleanups; cleanup != NULL; cleanup = cleanup->next)
		cleanup->cleanup(cleanup->context);
	for (chunk = arena->chunks; chunk != NULL; chunk = next_chunk) {
		next_chunk = chunk->next;
		free(chunk);
	}
	free(arena);
	*arena_p = NULL;
}

void *
arena_alloc(struct arena *arena, size_t size)
{
	struct arena_chunk *chunk = arena->chunks, *big;
	size_t aligned;
	void *p;

	if (size > SIZE_MAX - ARENA_ALIGN)
		log_panic("arena %s: allocation overflow %zu", arena->name, size);
	aligned = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (aligned == 0)
		aligned = ARENA_ALIGN;
	arena->used += aligned;
	if (chunk->size - chunk->used >= aligned) {
		p = chunk->data + chunk->used;
		chunk->used += aligned;
		return p;
	}
	if (aligned > arena->next_chunk_size / 4) {
		/* A dedicated chunk, linked behind the head so the head keeps
		 * serving small allocations. Its memory is already zeroed. */
		big = arena_chunk_new(aligned);
		big->used = aligned;
		big->next = chunk->next;
		chunk->next = big;
		return big->data;
	}
	chunk = arena_chunk_new(arena->next_chunk_size);
	chunk->next = arena->chunks;
	arena->chunks = chunk;
	arena->next_chunk_size = MIN(arena->next_chunk_size * 2, ARENA_MAX_CHUNK);
	chunk->used = aligned;
	return chunk->data;
}

void *
arena_array(struct arena *arena, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		log_panic("arena %s: array overflow %zu * %zu", arena->name,
		    count, size);
	return arena_alloc(arena, count * size);
}

char *
arena_strndup(struct arena *arena, const char *s, size_t length)
{
	char *p = arena_alloc(arena, length + 1);

	/* s may be NULL for an empty string (an empty buffer's data). */
	if (length > 0)
		memcpy(p, s, length);
	return p;
}

char *
arena_strdup(struct arena *arena, const char *s)
{
	return arena_strndup(arena, s, strlen(s));
}

char *
arena_vprintf(struct arena *arena, const char *fmt, va_list ap)
{
	va_list ap2;
	char *p;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		log_panic("arena_vprintf: bad format %s", fmt);
	p = arena_alloc(arena, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *arena, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_add_cleanup(struct arena *arena, void (*cleanup)(void *context),
    void *context)
{
	struct arena_cleanup *entry = arena_new_type(arena, struct arena_cleanup);

	entry->cleanup = cleanup;
	entry->context = context;
	entry->next = arena->cleanups;
	arena->cleanups = entry;
}

size_t
arena_used(const struct arena *arena)
{
	return arena->used;
}
