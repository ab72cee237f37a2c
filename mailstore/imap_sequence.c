/* imap_sequence.c: IMAP sequence-set parsing, matching and formatting. */
#include "mailstore/imap_sequence.h"
#include "lib/buffer.h"
#include "lib/error.h"

#include <inttypes.h>

/* Reads "*" (as 0) or an nz-number at *p, advancing it. */
static bool
parse_number(const char **p, uint32_t *number_r)
{
	const char *s = *p;
	uint64_t number = 0;

	if (*s == '*') {
		*number_r = 0;
		*p = s + 1;
		return true;
	}
	if (*s < '1' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		number = number * 10 + (uint64_t)(*s - '0');
		if (number > UINT32_MAX)
			return false;
		s++;
	}
	*number_r = (uint32_t)number;
	*p = s;
	return true;
}

static int
range_compare(const void *a, const void *b)
{
	const struct imap_sequence_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

int
imap_sequence_parse(const char *text, struct arena *arena,
    struct imap_sequence_set **set_r, const char **error_r)
{
	struct imap_sequence_set *set;
	struct imap_sequence_range *ranges;
	const char *p;
	size_t count = 1, n = 0, i;
	uint32_t a, b;

	for (p = text; *p != '\0'; p++) {
		if (*p == ',' && ++count > IMAP_SEQUENCE_RANGES_MAX) {
			*error_r = error_set("too many ranges in sequence set");
			return -1;
		}
	}
	set = arena_new_type(arena, struct imap_sequence_set);
	ranges = arena_array(arena, count, sizeof(*ranges));
	p = text;
	for (;;) {
		if (!parse_number(&p, &a))
			goto invalid;
		b = a;
		if (*p == ':') {
			p++;
			if (!parse_number(&p, &b))
				goto invalid;
		}
		if (a == 0 || b == 0) {
			/* One end is "*": fold it into the star range. */
			a = a == 0 ? b : a;
			set->has_star = true;
			if (a != 0) {
				if (set->star_low == 0 || a < set->star_low)
					set->star_low = a;
				if (a > set->star_high)
					set->star_high = a;
			}
		} else {
			ranges[n].first = MIN(a, b);
			ranges[n].last = MAX(a, b);
			n++;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto invalid;
	}
	qsort(ranges, n, sizeof(*ranges), range_compare);
	/* Merge overlapping and adjacent ranges in place. */
	count = 0;
	for (i = 0; i < n; i++) {
		if (count > 0 && (ranges[count - 1].last == UINT32_MAX ||
		    ranges[i].first <= ranges[count - 1].last + 1)) {
			ranges[count - 1].last = MAX(ranges[count - 1].last,
			    ranges[i].last);
			continue;
		}
		ranges[count++] = ranges[i];
	}
	set->ranges = count > 0 ? ranges : NULL;
	set->range_count = count;
	*set_r = set;
	return 0;
invalid:
	*error_r = error_set("invalid sequence set");
	return -1;
}

bool
imap_sequence_contains(const struct imap_sequence_set *set, uint32_t number,
    uint32_t star_value)
{
	size_t low = 0, high = set->range_count, middle;
	uint32_t star_low, star_high;

	if (set->has_star) {
		star_low = set->star_low == 0 ? star_value :
		    MIN(set->star_low, star_value);
		star_high = MAX(set->star_high, star_value);
		if (number >= star_low && number <= star_high)
			return true;
	}
	while (low < high) {
		middle = low + (high - low) / 2;
		if (number < set->ranges[middle].first)
			high = middle;
		else if (number > set->ranges[middle].last)
			low = middle + 1;
		else
			return true;
	}
	return false;
}

void
imap_sequence_select(const struct imap_sequence_set *set,
    const uint32_t *existing, size_t existing_count, uint32_t star_value,
    struct arena *arena, uint32_t **numbers_r, size_t *count_r)
{
	uint32_t *numbers = NULL, number;
	size_t count = 0, i;

	*numbers_r = NULL;
	*count_r = 0;
	if (existing_count == 0)
		return;
	if (existing == NULL)
		ASSERT(existing_count <= UINT32_MAX);
	if (star_value == 0)
		star_value = existing != NULL ? existing[existing_count - 1] :
		    (uint32_t)existing_count;
	for (i = 0; i < existing_count; i++) {
		number = existing != NULL ? existing[i] : (uint32_t)(i + 1);
		if (!imap_sequence_contains(set, number, star_value))
			continue;
		if (numbers == NULL)
			numbers = arena_array(arena, existing_count - i,
			    sizeof(*numbers));
		numbers[count++] = number;
	}
	*numbers_r = numbers;
	*count_r = count;
}

char *
imap_sequence_format(struct arena *arena, const uint32_t *numbers,
    size_t count)
{
	struct buffer text;
	size_t i = 0, j;
	char *result;

	/* At most 22 bytes ("4294967295:4294967295,") per number. */
	ASSERT(count < SIZE_MAX / 22);
	buffer_init(&text, count * 22 + 1);
	while (i < count) {
		for (j = i; j + 1 < count && (numbers[j + 1] == numbers[j] ||
		    numbers[j + 1] == numbers[j] + 1); j++)
			ASSERT(numbers[j + 1] >= numbers[j]);
		if (j + 1 < count)
			ASSERT(numbers[j + 1] > numbers[j]);
		if (numbers[j] == numbers[i])
			ASSERT(buffer_printf(&text, "%s%" PRIu32,
			    i > 0 ? "," : "", numbers[i]) == 0);
		else
			ASSERT(buffer_printf(&text, "%s%" PRIu32 ":%" PRIu32,
			    i > 0 ? "," : "", numbers[i], numbers[j]) == 0);
		i = j + 1;
	}
	result = arena_strndup(arena, buffer_string(&text),
	    buffer_length(&text));
	buffer_deinit(&text);
	return result;
}
