/* string_view.h: (pointer, length) slices into someone else's bytes.
 *
 * A view owns nothing; it is valid while the bytes it points into are.
 * The struct is public because views are passed and returned by value. */
#ifndef SLUICE_STRING_VIEW_H
#define SLUICE_STRING_VIEW_H

#include "lib/common.h"

struct string_view {
	const char *data;
	size_t length;
};

#define STRING_VIEW_LITERAL(s) ((struct string_view){ (s), sizeof(s) - 1 })

static inline struct string_view
string_view_make(const char *data, size_t length)
{
	return (struct string_view){ data, length };
}

static inline struct string_view
string_view_from_cstring(const char *s)
{
	return (struct string_view){ s, strlen(s) };
}

bool string_view_equal(struct string_view a, struct string_view b);
bool string_view_equal_case(struct string_view a, struct string_view b);
bool string_view_equal_cstring_case(struct string_view a, const char *s);
bool string_view_starts_with_case(struct string_view view, const char *prefix);

/* Drops leading and trailing spaces and tabs. */
struct string_view string_view_trim(struct string_view view);

/* The part after the first count bytes (count clamped to the length). */
struct string_view string_view_skip(struct string_view view, size_t count);

/* ASCII-only case folding helpers (locale-independent). */
static inline int
string_ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether the view holds a byte >= 0x80 (8-bit or UTF-8 text). */
bool string_view_has_8bit(struct string_view view);

/* Writes a printable, bounded rendering of view into dst (size >= 4):
 * bytes outside 0x20..0x7e become '?', and a view longer than fits ends
 * in "...". For logging client-supplied text. Returns dst. */
char *string_view_printable(struct string_view view, char *dst, size_t size);

#endif
