/* string_view.c: comparisons and log-safe rendering of byte slices. */
#include "lib/string_view.h"

bool
string_view_equal(struct string_view a, struct string_view b)
{
	return a.length == b.length && memcmp(a.data, b.data, a.length) == 0;
}

bool
string_view_equal_case(struct string_view a, struct string_view b)
{
	size_t i;

	if (a.length != b.length)
		return false;
	for (i = 0; i < a.length; i++) {
		if (string_ascii_lower((unsigned char)a.data[i]) !=
		    string_ascii_lower((unsigned char)b.data[i]))
			return false;
	}
	return true;
}

bool
string_view_equal_cstring_case(struct string_view a, const char *s)
{
	return string_view_equal_case(a, string_view_from_cstring(s));
}

bool
string_view_starts_with_case(struct string_view view, const char *prefix)
{
	size_t length = strlen(prefix);

	return view.length >= length &&
	    string_view_equal_case(string_view_make(view.data, length),
		string_view_make(prefix, length));
}

struct string_view
string_view_trim(struct string_view view)
{
	while (view.length > 0 && (view.data[0] == ' ' || view.data[0] == '\t')) {
		view.data++;
		view.length--;
	}
	while (view.length > 0 && (view.data[view.length - 1] == ' ' ||
	    view.data[view.length - 1] == '\t'))
		view.length--;
	return view;
}

struct string_view
string_view_skip(struct string_view view, size_t count)
{
	if (count > view.length)
		count = view.length;
	return string_view_make(view.data + count, view.length - count);
}

bool
string_view_has_8bit(struct string_view view)
{
	size_t i;

	for (i = 0; i < view.length; i++)
		if ((unsigned char)view.data[i] >= 0x80)
			return true;
	return false;
}

char *
string_view_printable(struct string_view view, char *dst, size_t size)
{
	size_t i, room;
	bool truncated;
	unsigned char c;

	ASSERT(size >= 4);
	truncated = view.length > size - 1;
	room = truncated ? size - 4 : view.length;
	for (i = 0; i < room; i++) {
		c = (unsigned char)view.data[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (truncated) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
	return dst;
}
