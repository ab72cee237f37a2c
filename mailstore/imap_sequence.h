/* imap_sequence.h: IMAP sequence sets (RFC 3501 sequence-set, such as
 * "1:3,5,7:*") parsed into sorted ranges, matched against numbers, and
 * formatted back from number lists (COPYUID, APPENDUID).
 *
 * The same sets serve message sequence numbers and UIDs: "*" stands for
 * the largest number in use, which only the caller knows, so it stays
 * unresolved in a parsed set and is supplied at each use ("5:*" with
 * "*" = 3 means 3:5). Sets live in the arena given to the parser and are
 * read-only afterwards; any thread may read a set it was handed. */
#ifndef SLUICE_IMAP_SEQUENCE_H
#define SLUICE_IMAP_SEQUENCE_H

#include "lib/common.h"
#include "lib/arena.h"

/* Ranges a client may write in one set; more is refused, so a set costs
 * the server a bounded amount of memory and time. */
#define IMAP_SEQUENCE_RANGES_MAX 10000

/* first <= last, both nonzero. */
struct imap_sequence_range {
	uint32_t first;
	uint32_t last;
};

/* Public so that commands can walk the ranges without a copy; the
 * parser is the only writer. The ranges without "*" are sorted,
 * disjoint and not adjacent (merged). Ranges with "*" are folded into
 * one: as every "n:*" contains "*", their union is
 * min(star_low, *) .. max(star_high, *), star_low and star_high being
 * the smallest and largest n; both are 0 when the set has only a bare
 * "*" (which is just *). */
struct imap_sequence_set {
	const struct imap_sequence_range *ranges;
	size_t range_count;
	bool has_star;
	uint32_t star_low;
	uint32_t star_high;
};

/* Parses text (NUL-terminated; an atom's text) into *set_r in arena.
 * Numbers are nz-numbers (1..4294967295, no leading zero); "a:b" may run
 * either way ("3:1" is "1:3"). Returns 0, or -1 with a short error_r
 * (for "BAD") on a syntax error or more than IMAP_SEQUENCE_RANGES_MAX
 * ranges. */
int imap_sequence_parse(const char *text, struct arena *arena,
    struct imap_sequence_set **set_r, const char **error_r);

/* Whether number is in set when "*" means star_value. */
bool imap_sequence_contains(const struct imap_sequence_set *set,
    uint32_t number, uint32_t star_value);

/* The numbers of existing (existing_count of them, strictly ascending)
 * that set selects, ascending, in *numbers_r (arena; NULL when none)
 * and *count_r. existing NULL means the numbers 1..existing_count
 * (message sequence numbers). "*" is star_value, or when that is 0 the
 * largest existing number. Numbers of the set that do not exist are
 * ignored. Cannot fail. */
void imap_sequence_select(const struct imap_sequence_set *set,
    const uint32_t *existing, size_t existing_count, uint32_t star_value,
    struct arena *arena, uint32_t **numbers_r, size_t *count_r);

/* Formats count ascending numbers (duplicates allowed) as a compact set,
 * runs of consecutive numbers as ranges: {1,2,3,7} gives "1:3,7", none
 * gives "". Returns a NUL-terminated string in arena. */
char *imap_sequence_format(struct arena *arena, const uint32_t *numbers,
    size_t count);

#endif
