/* string_set.c: open-addressing string set (see string_set.h). */
#include "lib/string_set.h"
#include "lib/alloc.h"

struct string_set {
	const char **slots;	/* NULL: empty */
	size_t size;		/* a power of two */
	size_t count;
};

uint64_t
string_hash(const char *key, size_t length)
{
	uint64_t hash = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < length; i++) {
		hash ^= (unsigned char)key[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

struct string_set *
string_set_new(size_t expected)
{
	struct string_set *set = alloc_new(struct string_set);

	set->size = 16;
	while (set->size < expected * 2)
		set->size *= 2;
	set->slots = alloc_array(set->size, sizeof(*set->slots));
	return set;
}

void
string_set_free(struct string_set **set_p)
{
	struct string_set *set = *set_p;

	if (set == NULL)
		return;
	free(set->slots);
	free(set);
	*set_p = NULL;
}

/* The slot holding key[0..length), or the empty slot where it belongs. */
static size_t
string_set_find(const struct string_set *set, const char *key, size_t length)
{
	size_t mask = set->size - 1;
	size_t slot = (size_t)string_hash(key, length) & mask;
	const char *entry;

	while ((entry = set->slots[slot]) != NULL) {
		if (strncmp(entry, key, length) == 0 && entry[length] == '\0')
			return slot;
		slot = (slot + 1) & mask;
	}
	return slot;
}

static void
string_set_grow(struct string_set *set)
{
	const char **old = set->slots;
	size_t old_size = set->size, i;

	set->size *= 2;
	set->slots = alloc_array(set->size, sizeof(*set->slots));
	for (i = 0; i < old_size; i++)
		if (old[i] != NULL)
			set->slots[string_set_find(set, old[i],
			    strlen(old[i]))] = old[i];
	free(old);
}

bool
string_set_add(struct string_set *set, const char *key)
{
	size_t slot;

	/* At most half full keeps probe runs short. */
	if ((set->count + 1) * 2 > set->size)
		string_set_grow(set);
	slot = string_set_find(set, key, strlen(key));
	if (set->slots[slot] != NULL)
		return false;
	set->slots[slot] = key;
	set->count++;
	return true;
}

bool
string_set_contains_bytes(const struct string_set *set, const char *key,
    size_t length)
{
	if (set == NULL || set->count == 0)
		return false;
	return set->slots[string_set_find(set, key, length)] != NULL;
}

bool
string_set_contains(const struct string_set *set, const char *key)
{
	return string_set_contains_bytes(set, key, strlen(key));
}

size_t
string_set_count(const struct string_set *set)
{
	return set != NULL ? set->count : 0;
}
