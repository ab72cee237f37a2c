/* string_set.h: a set of NUL-terminated strings for exact membership
 * tests (freemail domains, list entries), open addressing with FNV-1a.
 *
 * The set stores the caller's pointers, never copies: each key must stay
 * valid and unchanged while the set holds it. Comparison is byte-exact;
 * callers wanting case-insensitive sets add lowercased keys and look up
 * lowercased strings. One writer; after the last add any number of
 * threads may look up at once. */
#ifndef SLUICE_STRING_SET_H
#define SLUICE_STRING_SET_H

#include "lib/common.h"

struct string_set;

/* An empty set; expected is a sizing hint (0 is fine). Never NULL. */
struct string_set *string_set_new(size_t expected);
/* Frees the set (not the keys) and sets *set_p to NULL. */
void string_set_free(struct string_set **set_p);

/* Adds key. Returns true when it was added, false when an equal key was
 * already there (the set keeps the first). */
bool string_set_add(struct string_set *set, const char *key);

/* Whether the set holds key, or the bytes key[0..length) (which need
 * not be NUL-terminated). A NULL set holds nothing. */
bool string_set_contains(const struct string_set *set, const char *key);
bool string_set_contains_bytes(const struct string_set *set,
    const char *key, size_t length);

size_t string_set_count(const struct string_set *set);

/* The set's hash (64-bit FNV-1a) of data[0..length), for other tables
 * keyed by strings. */
uint64_t string_hash(const char *data, size_t length);

#endif
