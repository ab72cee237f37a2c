/* rule_html.c: HTML facts as SpamAssassin's HTML.pm collects them (see
 * rule_html.h).
 *
 * DESIGN: two layers, one pass. The tokenizer follows HTML::Parser's
 * parse loop: text up to a '<', then a start tag, an end tag, a
 * declaration (comment, marked section, doctype) or a processing
 * instruction; literal mode for script, style and the like; and its
 * rules for what is left over at the end of the document, which it
 * reads again with comments ending at the first '>' and finally reports
 * as a comment or as text. Each event goes to a handler that keeps
 * HTML.pm's state: the flat tag counters, the text-style stack (colours
 * kept as the strings HTML.pm's name_to_rgb() makes, because its tests
 * compare those strings), the lists, and the rendered pieces of text,
 * of which only the tail matters for the next event. The input is
 * copied once (HTML.pm rewrites it before parsing), NUL-terminated like
 * a Perl string, because HTML::Parser looks one byte past a token in
 * places and relies on that terminator. */
#include "rules/rule_html.h"
#include "lib/buffer.h"
#include "lib/html_text.h"
#include "lib/log.h"

#include <ctype.h>

/* Bounds on structures HTML.pm lets grow without limit. */
#define STYLE_DEPTH_MAX 1024
#define TAG_NAMES_MAX 4096
#define ATTRIBUTES_MAX 64
#define MARKED_SECTIONS_MAX 64
/* Times the end of an unclosed style or script is supplied. */
#define CLOSE_RETRIES_MAX 16

enum marked_section {
	MARKED_NONE,
	MARKED_INCLUDE,
	MARKED_RCDATA,
	MARKED_CDATA,
	MARKED_IGNORE,
};

enum event {
	EVENT_TEXT,
	EVENT_COMMENT,
	EVENT_OTHER, /* anything that reports a pending end tag first */
};

/* A colour as name_to_rgb() writes it: "#rrggbb", "#" or "invalid". */
struct color {
	char text[8];
};

struct style {
	const char *tag;
	struct color foreground;
	struct color background;
	long size;
	bool display_none;
	bool visibility_hidden;
};

struct attribute {
	const char *name;	/* lowercased */
	size_t name_length;
	const char *value;	/* decoded, NUL-terminated */
	size_t value_length;
};

struct string_list {
	struct string_view *items;
	size_t count, capacity;
	bool dropped;		/* the last add did not fit */
};

struct tag_slot {
	struct rule_html_tag *tag;
	uint32_t hash;
};

struct scan {
	struct arena *arena;
	struct rule_html *result;
	struct rule_html_limits limits;

	/* HTML::Parser */
	const char *literal;	/* literal-mode element, or NULL */
	bool is_cdata;
	bool no_dash_dash_comment_end;
	const char *pending_end_tag;
	unsigned char marked[MARKED_SECTIONS_MAX];
	size_t marked_depth;
	enum marked_section marked_state;

	/* HTML.pm */
	long basefont;
	struct style *styles;
	size_t style_count;
	struct rule_html_tag *tags;
	struct tag_slot *tag_slots;
	size_t tag_slot_count;	/* power of two */
	struct string_list comments, titles, scripts, anchor_texts;
	struct string_view *anchor_hrefs;
	size_t anchor_href_capacity;
	long title_index;

	/* The rendered pieces: the text so far, and about the last piece
	 * whether it exists, is white space or invisible, and its last
	 * character (0 when empty). */
	struct buffer text;
	bool text_full;
	bool have_piece;
	bool last_whitespace;
	bool last_invisible;
	uint32_t last_char;
	size_t text_length;
	size_t non_space_length;

	struct attribute attributes[ATTRIBUTES_MAX];
	size_t attribute_count;
};

/* Character classes of HTML::Parser's hctype table (ASCII rules). */
static bool
is_h_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v' || c == 0xa0;
}

static bool
is_ascii_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_name_first(unsigned char c)
{
	return is_ascii_alpha(c) || c == '_' || c == ':';
}

static bool
is_name_char(unsigned char c)
{
	return is_name_first(c) || is_ascii_digit(c) || c == '.' || c == '-';
}

static bool
is_not_space_gt(unsigned char c)
{
	return !is_h_space(c) && c != '>';
}

static bool
is_not_space_eq_gt(unsigned char c)
{
	return is_not_space_gt(c) && c != '=';
}

/* Perl's \w on a decoded string, approximated on UTF-8 bytes: every
 * byte of a multi-byte character counts as a word character. */
static bool
is_perl_word(unsigned char c)
{
	return is_ascii_alpha(c) || is_ascii_digit(c) || c == '_' || c >= 0x80;
}

/* Perl's \s with Unicode rules. */
static bool
is_unicode_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* Decodes one UTF-8 character at p (p < end); invalid bytes read as
 * themselves, one at a time. */
static uint32_t
utf8_next(const char **p_io, const char *end)
{
	const unsigned char *p = (const unsigned char *)*p_io;
	uint32_t c = *p;
	size_t n = 0, i;

	if (c >= 0xf0 && c < 0xf8)
		n = 3, c &= 0x07;
	else if (c >= 0xe0)
		n = c < 0xf0 ? 2 : 0, c &= 0x0f;
	else if (c >= 0xc0)
		n = 1, c &= 0x1f;
	if (n == 0 || (size_t)(end - *p_io) <= n) {
		(*p_io)++;
		return *p;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			(*p_io)++;
			return *p;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*p_io += n + 1;
	return c;
}

/* The character ending at end (end > start). */
static uint32_t
utf8_last(const char *start, const char *end)
{
	const char *p = end - 1;

	while (p > start && end - p < 4 && ((unsigned char)*p & 0xc0) == 0x80)
		p--;
	return utf8_next(&p, end);
}

static size_t
utf8_length(const char *p, size_t length)
{
	size_t count = 0, i;

	for (i = 0; i < length; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			count++;
	return count;
}

static void
put(struct buffer *buffer, const void *data, size_t length)
{
	if (buffer_append(buffer, data, length) < 0)
		log_panic("rule_html: unbounded buffer refused %zu bytes",
		    length);
}

static bool
equal_case(const char *a, size_t length, const char *b)
{
	return strlen(b) == length && strncasecmp(a, b, length) == 0;
}

/* Entities decoded as HTML::Parser does for dtext (attribute false) or
 * attribute values; a NUL-terminated arena copy. */
static char *
decode_entities(struct scan *scan, const char *p, const char *end,
    bool attribute, size_t *length_r)
{
	return html_text_decode_references(scan->arena, p, (size_t)(end - p),
	    attribute, length_r);
}

/* Lists */

static void
list_add(struct scan *scan, struct string_list *list, const char *data,
    size_t length)
{
	struct string_view *grown;

	if (list->count == scan->limits.max_strings) {
		list->dropped = true;
		return;
	}
	list->dropped = false;
	if (list->count == list->capacity) {
		list->capacity = list->capacity == 0 ? 8 : list->capacity * 2;
		grown = arena_array(scan->arena, list->capacity,
		    sizeof(*grown));
		if (list->count > 0)
			memcpy(grown, list->items,
			    list->count * sizeof(*grown));
		list->items = grown;
	}
	length = MIN(length, scan->limits.max_string);
	list->items[list->count++] = string_view_make(
	    arena_strndup(scan->arena, data, length), length);
}

/* Appends to the entry at index (strings are rebuilt in the arena;
 * lists are short and entries are capped). */
static void
list_append(struct scan *scan, struct string_list *list, size_t index,
    const char *data, size_t length)
{
	struct string_view *item;
	char *joined;
	size_t room;

	if (index >= list->count)
		return;
	item = &list->items[index];
	room = scan->limits.max_string - MIN(item->length,
	    scan->limits.max_string);
	length = MIN(length, room);
	if (length == 0)
		return;
	joined = arena_alloc(scan->arena, item->length + length + 1);
	memcpy(joined, item->data, item->length);
	memcpy(joined + item->length, data, length);
	*item = string_view_make(joined, item->length + length);
}

/* Tag counters ("inside") */

static uint32_t
name_hash(const char *name, size_t length)
{
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < length; i++)
		hash = (hash ^ (unsigned char)name[i]) * 16777619u;
	return hash;
}

/* The counter of name, created (count 0) when create is set and there
 * is room; *existed_r (may be NULL) says whether it was there. */
static struct rule_html_tag *
tag_get(struct scan *scan, const char *name, size_t length, bool create,
    bool *existed_r)
{
	uint32_t hash = name_hash(name, length);
	size_t mask = scan->tag_slot_count - 1, i = hash & mask;
	struct rule_html_tag *tag;

	if (existed_r != NULL)
		*existed_r = false;
	for (; scan->tag_slots[i].tag != NULL; i = (i + 1) & mask) {
		tag = scan->tag_slots[i].tag;
		if (scan->tag_slots[i].hash == hash &&
		    strlen(tag->name) == length &&
		    memcmp(tag->name, name, length) == 0) {
			if (existed_r != NULL)
				*existed_r = true;
			return tag;
		}
	}
	if (!create || scan->result->inside_count == TAG_NAMES_MAX)
		return NULL;
	tag = &scan->tags[scan->result->inside_count++];
	tag->name = arena_strndup(scan->arena, name, length);
	tag->count = 0;
	scan->tag_slots[i].tag = tag;
	scan->tag_slots[i].hash = hash;
	return tag;
}

static long
inside(struct scan *scan, const char *name)
{
	struct rule_html_tag *tag = tag_get(scan, name, strlen(name), false,
	    NULL);

	return tag != NULL ? tag->count : 0;
}

/* Element tables of HTML.pm. */

static bool
in_word_list(const char *list, const char *name, size_t length)
{
	const char *p = list, *space;

	while (*p != '\0') {
		space = strchr(p, ' ');
		if (space == NULL)
			space = p + strlen(p);
		if ((size_t)(space - p) == length &&
		    memcmp(p, name, length) == 0)
			return true;
		p = *space == ' ' ? space + 1 : space;
	}
	return false;
}

static bool
is_element(const char *name, size_t length)
{
	static const char elements[] =
	    "a abbr acronym address area b base bdo big blockquote body br "
	    "button caption cite code col colgroup dd del dfn div dl dt em "
	    "fieldset form h1 h2 h3 h4 h5 h6 head hr html i img input ins "
	    "kbd label legend li link map meta noscript object ol optgroup "
	    "option p param pre q samp script select small span strong "
	    "style sub sup table tbody td textarea tfoot th thead title tr "
	    "tt ul var applet basefont center dir font frame frameset "
	    "iframe isindex menu noframes s strike u nobr x-sigsep x-tab";

	return length <= 10 && in_word_list(elements, name, length);
}

static bool
is_trick(const char *name, size_t length)
{
	return length <= 9 &&
	    in_word_list("bgsound embed listing plaintext xmp", name, length);
}

static bool
is_text_style_tag(const char *name, size_t length)
{
	return length <= 8 && in_word_list("body font table tr th td big "
	    "small basefont marquee span p div a", name, length);
}

static bool
is_whitespace_tag(const char *name, size_t length)
{
	return length <= 10 && in_word_list("br div li th td dt dd p hr "
	    "blockquote pre embed listing plaintext xmp title h1 h2 h3 h4 "
	    "h5 h6", name, length);
}

/* m@^(?:o|st\d):[\w-]+/?$@ (Office namespaces). */
static bool
is_namespace_tag(const char *name, size_t length)
{
	size_t i;

	if (length >= 2 && name[0] == 'o' && name[1] == ':')
		i = 2;
	else if (length >= 4 && memcmp(name, "st", 2) == 0 &&
	    is_ascii_digit((unsigned char)name[2]) && name[3] == ':')
		i = 4;
	else
		return false;
	if (i < length && name[length - 1] == '/')
		length--;
	if (i == length)
		return false;
	for (; i < length; i++)
		if (!is_perl_word((unsigned char)name[i]) && name[i] != '-')
			return false;
	return true;
}

/* Attributes */

static const struct attribute *
attribute_get(const struct scan *scan, const char *name)
{
	size_t i;

	for (i = 0; i < scan->attribute_count; i++)
		if (strcmp(scan->attributes[i].name, name) == 0)
			return &scan->attributes[i];
	return NULL;
}

static void
lowercase_ascii(char *s, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++)
		s[i] = (char)string_ascii_lower((unsigned char)s[i]);
}

/* Colours: HTML.pm's name_to_rgb() */

struct named_color {
	const char *name;
	uint32_t rgb;
};

/* The CSS colour keywords, sorted for bsearch. */
static const struct named_color named_colors[] = {
	{ "aliceblue", 0xf0f8ff }, { "antiquewhite", 0xfaebd7 },
	{ "aqua", 0x00ffff }, { "aquamarine", 0x7fffd4 },
	{ "azure", 0xf0ffff }, { "beige", 0xf5f5dc },
	{ "bisque", 0xffe4c4 }, { "black", 0x000000 },
	{ "blanchedalmond", 0xffebcd }, { "blue", 0x0000ff },
	{ "blueviolet", 0x8a2be2 }, { "brown", 0xa52a2a },
	{ "burlywood", 0xdeb887 }, { "cadetblue", 0x5f9ea0 },
	{ "chartreuse", 0x7fff00 }, { "chocolate", 0xd2691e },
	{ "coral", 0xff7f50 }, { "cornflowerblue", 0x6495ed },
	{ "cornsilk", 0xfff8dc }, { "crimson", 0xdc143c },
	{ "cyan", 0x00ffff }, { "darkblue", 0x00008b },
	{ "darkcyan", 0x008b8b }, { "darkgoldenrod", 0xb8860b },
	{ "darkgray", 0xa9a9a9 }, { "darkgreen", 0x006400 },
	{ "darkgrey", 0xa9a9a9 }, { "darkkhaki", 0xbdb76b },
	{ "darkmagenta", 0x8b008b }, { "darkolivegreen", 0x556b2f },
	{ "darkorange", 0xff8c00 }, { "darkorchid", 0x9932cc },
	{ "darkred", 0x8b0000 }, { "darksalmon", 0xe9967a },
	{ "darkseagreen", 0x8fbc8f }, { "darkslateblue", 0x483d8b },
	{ "darkslategray", 0x2f4f4f }, { "darkslategrey", 0x2f4f4f },
	{ "darkturquoise", 0x00ced1 }, { "darkviolet", 0x9400d3 },
	{ "deeppink", 0xff1493 }, { "deepskyblue", 0x00bfff },
	{ "dimgray", 0x696969 }, { "dimgrey", 0x696969 },
	{ "dodgerblue", 0x1e90ff }, { "firebrick", 0xb22222 },
	{ "floralwhite", 0xfffaf0 }, { "forestgreen", 0x228b22 },
	{ "fuchsia", 0xff00ff }, { "gainsboro", 0xdcdcdc },
	{ "ghostwhite", 0xf8f8ff }, { "gold", 0xffd700 },
	{ "goldenrod", 0xdaa520 }, { "gray", 0x808080 },
	{ "green", 0x008000 }, { "greenyellow", 0xadff2f },
	{ "grey", 0x808080 }, { "honeydew", 0xf0fff0 },
	{ "hotpink", 0xff69b4 }, { "indianred", 0xcd5c5c },
	{ "indigo", 0x4b0082 }, { "ivory", 0xfffff0 },
	{ "khaki", 0xf0e68c }, { "lavender", 0xe6e6fa },
	{ "lavenderblush", 0xfff0f5 }, { "lawngreen", 0x7cfc00 },
	{ "lemonchiffon", 0xfffacd }, { "lightblue", 0xadd8e6 },
	{ "lightcoral", 0xf08080 }, { "lightcyan", 0xe0ffff },
	{ "lightgoldenrodyellow", 0xfafad2 }, { "lightgray", 0xd3d3d3 },
	{ "lightgreen", 0x90ee90 }, { "lightgrey", 0xd3d3d3 },
	{ "lightpink", 0xffb6c1 }, { "lightsalmon", 0xffa07a },
	{ "lightseagreen", 0x20b2aa }, { "lightskyblue", 0x87cefa },
	{ "lightslategray", 0x778899 }, { "lightslategrey", 0x778899 },
	{ "lightsteelblue", 0xb0c4de }, { "lightyellow", 0xffffe0 },
	{ "lime", 0x00ff00 }, { "limegreen", 0x32cd32 },
	{ "linen", 0xfaf0e6 }, { "magenta", 0xff00ff },
	{ "maroon", 0x800000 }, { "mediumaquamarine", 0x66cdaa },
	{ "mediumblue", 0x0000cd }, { "mediumorchid", 0xba55d3 },
	{ "mediumpurple", 0x9370db }, { "mediumseagreen", 0x3cb371 },
	{ "mediumslateblue", 0x7b68ee }, { "mediumspringgreen", 0x00fa9a },
	{ "mediumturquoise", 0x48d1cc }, { "mediumvioletred", 0xc71585 },
	{ "midnightblue", 0x191970 }, { "mintcream", 0xf5fffa },
	{ "mistyrose", 0xffe4e1 }, { "moccasin", 0xffe4b5 },
	{ "navajowhite", 0xffdead }, { "navy", 0x000080 },
	{ "oldlace", 0xfdf5e6 }, { "olive", 0x808000 },
	{ "olivedrab", 0x6b8e23 }, { "orange", 0xffa500 },
	{ "orangered", 0xff4500 }, { "orchid", 0xda70d6 },
	{ "palegoldenrod", 0xeee8aa }, { "palegreen", 0x98fb98 },
	{ "paleturquoise", 0xafeeee }, { "palevioletred", 0xdb7093 },
	{ "papayawhip", 0xffefd5 }, { "peachpuff", 0xffdab9 },
	{ "peru", 0xcd853f }, { "pink", 0xffc0cb },
	{ "plum", 0xdda0dd }, { "powderblue", 0xb0e0e6 },
	{ "purple", 0x800080 }, { "red", 0xff0000 },
	{ "rosybrown", 0xbc8f8f }, { "royalblue", 0x4169e1 },
	{ "saddlebrown", 0x8b4513 }, { "salmon", 0xfa8072 },
	{ "sandybrown", 0xf4a460 }, { "seagreen", 0x2e8b57 },
	{ "seashell", 0xfff5ee }, { "sienna", 0xa0522d },
	{ "silver", 0xc0c0c0 }, { "skyblue", 0x87ceeb },
	{ "slateblue", 0x6a5acd }, { "slategray", 0x708090 },
	{ "slategrey", 0x708090 }, { "snow", 0xfffafa },
	{ "springgreen", 0x00ff7f }, { "steelblue", 0x4682b4 },
	{ "tan", 0xd2b48c }, { "teal", 0x008080 },
	{ "thistle", 0xd8bfd8 }, { "tomato", 0xff6347 },
	{ "turquoise", 0x40e0d0 }, { "violet", 0xee82ee },
	{ "wheat", 0xf5deb3 }, { "white", 0xffffff },
	{ "whitesmoke", 0xf5f5f5 }, { "yellow", 0xffff00 },
	{ "yellowgreen", 0x9acd32 },
};

static int
named_color_compare(const void *key, const void *item)
{
	return strcmp(key, ((const struct named_color *)item)->name);
}

static bool
is_hex_digit(unsigned char c)
{
	return is_ascii_digit(c) || (c >= 'a' && c <= 'f');
}

static void
color_set(struct color *color, const char *text)
{
	snprintf(color->text, sizeof(color->text), "%s", text);
}

static void
color_set_rgb(struct color *color, uint32_t rgb)
{
	snprintf(color->text, sizeof(color->text), "#%06x",
	    (unsigned)(rgb & 0xffffff));
}

/* Reads "N", "N%" components of rgb(...) as name_to_rgb's patterns
 * do: three numbers separated by ",\s*", all with '%' or none.
 * Returns true with the hex digits dec2hex() would write. */
static bool
parse_rgb_call(const char *s, bool percent, char *hex, size_t size)
{
	const char *p = strstr(s, "rgb(");
	unsigned long long value[3];
	size_t i, used = 0;
	char *end;

	for (; p != NULL; p = strstr(p + 1, "rgb(")) {
		const char *q = p + 4;
		for (i = 0; i < 3; i++) {
			if (!is_ascii_digit((unsigned char)*q))
				break;
			value[i] = strtoull(q, &end, 10);
			q = end;
			if (percent) {
				if (*q != '%')
					break;
				q++;
			}
			if (i < 2) {
				if (*q != ',')
					break;
				q++;
				while (*q == ' ' || (*q >= '\t' && *q <= '\r'))
					q++;
			}
		}
		if (i < 3)
			continue;
		while (*q == ' ' || (*q >= '\t' && *q <= '\r'))
			q++;
		if (*q != ')')
			continue;
		for (i = 0; i < 3; i++) {
			unsigned long long v = value[i];
			if (percent)
				v = (unsigned long long)((double)v / 100 * 255);
			used += (size_t)snprintf(hex + used, size - used,
			    "%s%llx", v < 16 ? "0" : "", v);
			if (used >= size)
				return false;
		}
		return true;
	}
	return false;
}

/* name_to_rgb(value): a colour name, "#" with hex digits (three or six,
 * cut or padded as HTML.pm does), or rgb(r,g,b) in numbers or percents;
 * anything else is "invalid". */
static void
name_to_rgb(struct arena *arena, const char *value, size_t length,
    struct color *color_r)
{
	char *s = arena_strndup(arena, value, length), *start, *end;
	const struct named_color *named;
	char hex[96], digits[8];
	size_t n, i;
	bool plain = true;

	lowercase_ascii(s, length);
	start = s;
	while (*start == ' ' || (*start >= '\t' && *start <= '\r'))
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' ||
	    (end[-1] >= '\t' && end[-1] <= '\r')))
		end--;
	*end = '\0';
	named = bsearch(start, named_colors, ARRAY_LENGTH(named_colors),
	    sizeof(named_colors[0]), named_color_compare);
	if (named != NULL) {
		color_set_rgb(color_r, named->rgb);
		return;
	}
	for (i = 0; start[i] != '\0'; i++)
		if (start[i] != '#' && !is_hex_digit((unsigned char)start[i]))
			plain = false;
	if (!plain && strstr(start, "rgb(") == NULL) {
		color_set(color_r, "invalid");
		return;
	}
	if (!plain) {
		/* A call that is not one of the two forms leaves the
		 * string as it is, which has no '#' in front. */
		hex[0] = '#';
		if (parse_rgb_call(start, true, hex + 1, sizeof(hex) - 1) ||
		    parse_rgb_call(start, false, hex + 1, sizeof(hex) - 1))
			start = arena_strdup(arena, hex);
	}
	if (start[0] != '#') {
		color_set(color_r, "invalid");
		return;
	}
	n = 0;
	for (i = 0; start[i] != '\0' && n < 7; i++)
		if (is_hex_digit((unsigned char)start[i]))
			digits[n++] = start[i];
	if (n > 6)
		n = 6;
	if (n > 3 && n < 6)
		n = 3;
	while (n % 3 != 0)
		digits[n++] = '0';
	digits[n] = '\0';
	if (n == 3)
		snprintf(color_r->text, sizeof(color_r->text),
		    "#%c%c%c%c%c%c", digits[0], digits[0], digits[1],
		    digits[1], digits[2], digits[2]);
	else
		snprintf(color_r->text, sizeof(color_r->text), "#%.6s",
		    digits);
}

/* /^\#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/ */
static bool
color_rgb(const struct color *color, int rgb_r[3])
{
	const char *s = color->text + (color->text[0] == '#');
	int i;

	if (strlen(s) != 6)
		return false;
	for (i = 0; i < 6; i++)
		if (!is_hex_digit((unsigned char)s[i]))
			return false;
	for (i = 0; i < 3; i++) {
		char pair[3] = { s[2 * i], s[2 * i + 1], '\0' };
		rgb_r[i] = (int)strtol(pair, NULL, 16);
	}
	return true;
}

/* The text-style stack */

static struct style *
style_top(struct scan *scan)
{
	return &scan->styles[scan->style_count - 1];
}

static bool
style_has(const struct scan *scan, const char *tag)
{
	size_t i;

	for (i = 0; i < scan->style_count; i++)
		if (strcmp(scan->styles[i].tag, tag) == 0)
			return true;
	return false;
}

static void
style_push(struct scan *scan, const struct style *style)
{
	if (scan->style_count < STYLE_DEPTH_MAX)
		scan->styles[scan->style_count++] = *style;
}

/* close_table_tag(): a new td closes open font and td styles, a new tr
 * also tr ones. */
static void
style_close_table(struct scan *scan, const char *tag)
{
	const char *top;

	if (!style_has(scan, tag))
		return;
	while (scan->style_count > 0) {
		top = style_top(scan)->tag;
		if ((strcmp(tag, "td") == 0 && (strcmp(top, "font") == 0 ||
		    strcmp(top, "td") == 0)) || (strcmp(tag, "tr") == 0 &&
		    (strcmp(top, "font") == 0 || strcmp(top, "td") == 0 ||
		    strcmp(top, "tr") == 0)))
			scan->style_count--;
		else
			break;
	}
}

/* close_tag(): pops through the newest style of tag. */
static void
style_close(struct scan *scan, const char *tag)
{
	if (!style_has(scan, tag))
		return;
	while (scan->style_count > 0) {
		bool match = strcmp(style_top(scan)->tag, tag) == 0;
		scan->style_count--;
		if (match)
			break;
	}
}

static bool
is_css_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The tokens of a CSS background value as parse_css_background() splits
 * it: spaces separate tokens and commas layers, brackets and quotes
 * (nested through a stack) keep their contents in one token, and a
 * closing bracket ends a token. */
struct css_tokens {
	struct arena *arena;
	const char **items;	/* of the current layer */
	size_t count;
	char *token;
	size_t length;
};

static void
css_token_end(struct css_tokens *tokens, bool even_empty)
{
	if (tokens->length > 0 || even_empty)
		tokens->items[tokens->count++] = arena_strndup(tokens->arena,
		    tokens->token, tokens->length);
	tokens->length = 0;
}

/* Sets *background_io to the first token of the last layer that is a
 * colour; returns whether there was one. */
static bool
css_background_color(struct arena *arena, const char *value,
    struct color *background_io)
{
	size_t length = strlen(value), i, depth = 0;
	struct css_tokens tokens = { arena, NULL, 0, NULL, 0 };
	/* 0 plain, 1 in brackets, 2 in "", 3 in '' */
	char states[64], state = 0;
	struct color color;

	tokens.items = arena_array(arena, length + 1, sizeof(*tokens.items));
	tokens.token = arena_alloc(arena, length + 1);
	for (i = 0; i < length; i++) {
		char c = value[i];
		if (state == 0 && (c == ' ' || c == ',')) {
			css_token_end(&tokens, false);
			if (c == ',')
				tokens.count = 0; /* a new layer */
			continue;
		}
		tokens.token[tokens.length++] = c;
		if ((state == 2 && c == '"') || (state == 3 && c == '\'') ||
		    (state == 1 && c == ')')) {
			if (state == 1)
				css_token_end(&tokens, true);
			state = depth > 0 ? states[--depth] : 0;
		} else if (state < 2 && (c == '(' || c == '"' || c == '\'')) {
			if (c == '(' && state == 1)
				continue; /* nothing opens inside brackets */
			if (depth < sizeof(states))
				states[depth++] = state;
			state = c == '(' ? 1 : c == '"' ? 2 : 3;
		}
	}
	css_token_end(&tokens, false);
	for (i = 0; i < tokens.count; i++) {
		name_to_rgb(arena, tokens.items[i], strlen(tokens.items[i]),
		    &color);
		if (strcmp(color.text, "invalid") != 0) {
			*background_io = color;
			return true;
		}
	}
	return false;
}

/* s/\s*!\s*important$// */
static void
strip_important(char *value)
{
	size_t n = strlen(value), k;

	if (n < 9 || strcmp(value + n - 9, "important") != 0)
		return;
	for (k = n - 9; k > 0 && is_css_space(value[k - 1]); k--)
		;
	if (k == 0 || value[k - 1] != '!')
		return;
	for (k--; k > 0 && is_css_space(value[k - 1]); k--)
		;
	value[k] = '\0';
}

/* A color or background-color value (lowercased). Returns true for
 * "transparent", which the caller resolves once the whole style is
 * read; "inherit" leaves the colour as it is. */
static bool
css_color(struct arena *arena, const char *value, struct color *color_r)
{
	unsigned long rgb[3] = { 0, 0, 0 };
	size_t component = 0;
	const char *q;

	if (strstr(value, "rgb") != NULL) {
		/* tr/0-9,//cd, then the first three numbers, at most 255. */
		for (q = value; *q != '\0' && component < 3; q++) {
			if (*q == ',')
				component++;
			else if (*q >= '0' && *q <= '9')
				rgb[component] = MIN(rgb[component] * 10 +
				    (unsigned long)(*q - '0'), 100000UL);
		}
		snprintf(color_r->text, sizeof(color_r->text),
		    "#%02lx%02lx%02lx", MIN(rgb[0], 255UL),
		    MIN(rgb[1], 255UL), MIN(rgb[2], 255UL));
		return false;
	}
	if (strcmp(value, "transparent") == 0)
		return true;
	if (strcmp(value, "inherit") != 0)
		name_to_rgb(arena, value, strlen(value), color_r);
	return false;
}

/* The value of a declaration after its prefix: trimmed, lowercased;
 * NULL when empty (the Perl patterns need a character). */
static char *
css_value(struct arena *arena, const char *value, const char *end)
{
	char *copy;

	while (value < end && is_css_space(*value))
		value++;
	if (value == end)
		return NULL;
	copy = arena_strndup(arena, value, (size_t)(end - value));
	lowercase_ascii(copy, strlen(copy));
	return copy;
}

/* Applies a style attribute the way text_style() reads it: color,
 * background-color and background set colours, display:none and
 * visibility:hidden hide text; other declarations are kept by HTML.pm
 * but never read. */
static void
style_apply_css(struct scan *scan, struct style *style, const char *css)
{
	const char *part, *semicolon, *p, *end, *colon;
	bool foreground_transparent = false, background_transparent = false;
	bool background;
	char *value;
	size_t length;

	for (part = css; part != NULL;
	    part = semicolon != NULL ? semicolon + 1 : NULL) {
		semicolon = strchr(part, ';');
		end = semicolon != NULL ? semicolon : part + strlen(part);
		for (p = part; p < end && is_css_space(*p); p++)
			;
		while (end > p && is_css_space(end[-1]))
			end--;
		length = (size_t)(end - p);
		background = length >= 17 &&
		    strncasecmp(p, "background-color:", 17) == 0;
		if (background || (length >= 6 &&
		    strncasecmp(p, "color:", 6) == 0)) {
			/* (background-)?color: value, the value not empty. */
			value = css_value(scan->arena,
			    p + (background ? 17 : 6), end);
			if (value == NULL)
				continue;
			strip_important(value);
			if (background)
				background_transparent = css_color(scan->arena,
				    value, &style->background);
			else
				foreground_transparent = css_color(scan->arena,
				    value, &style->foreground);
		} else if (length >= 11 && strncmp(p, "background:", 11) == 0) {
			if ((value = css_value(scan->arena, p + 11, end)) !=
			    NULL && css_background_color(scan->arena, value,
			    &style->background))
				background_transparent = false;
		} else {
			/* /^\s*([a-z_-]+)\s*:\s*(\S.*?)\s*$/i, the name
			 * as written. */
			for (colon = p; colon < end &&
			    (isalpha((unsigned char)*colon) || *colon == '_' ||
			    *colon == '-'); colon++)
				;
			length = (size_t)(colon - p);
			while (colon < end && is_css_space(*colon))
				colon++;
			if (length == 0 || colon == end || *colon != ':' ||
			    (value = css_value(scan->arena, colon + 1, end)) ==
			    NULL)
				continue;
			if (length == 7 && strncmp(p, "display", 7) == 0)
				style->display_none =
				    strcmp(value, "none") == 0;
			else if (length == 10 &&
			    strncmp(p, "visibility", 10) == 0)
				style->visibility_hidden =
				    strcmp(value, "hidden") == 0;
		}
	}
	if (background_transparent)
		style->background = style_top(scan)->background;
	if (foreground_transparent)
		style->foreground = style->background;
}

static void
size_seen(struct scan *scan, long size)
{
	if (size > scan->result->max_size)
		scan->result->max_size = size;
	else if (size < scan->result->min_size)
		scan->result->min_size = size;
}

/* Leading decimal digits after white space, optionally signed. */
static bool
leading_number(const char *s, bool signed_only, long *value_r)
{
	char *end;
	long value;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (signed_only != (*s == '+' || *s == '-'))
		return false;
	if (!is_ascii_digit((unsigned char)s[signed_only ? 1 : 0]))
		return false;
	errno = 0;
	value = strtol(s, &end, 10);
	if (errno == ERANGE)
		value = value < 0 ? -1000000 : 1000000;
	*value_r = MAX(MIN(value, 1000000), -1000000);
	return true;
}

/* text_style(): which attributes of which tags change the style. */
static bool
style_attribute_ok(const char *tag, const char *name)
{
	if (strcmp(tag, "basefont") == 0 || strcmp(tag, "font") == 0)
		return strcmp(name, "color") == 0 ||
		    strcmp(name, "face") == 0 || strcmp(name, "size") == 0;
	if (strcmp(tag, "body") == 0)
		return in_word_list("text bgcolor link alink vlink background",
		    name, strlen(name));
	if (strcmp(tag, "marquee") == 0)
		return strcmp(name, "bgcolor") == 0 ||
		    strcmp(name, "background") == 0;
	if (strcmp(tag, "table") == 0 || strcmp(tag, "td") == 0 ||
	    strcmp(tag, "tr") == 0)
		return strcmp(name, "bgcolor") == 0 ||
		    strcmp(name, "style") == 0;
	if (strcmp(tag, "span") == 0 || strcmp(tag, "p") == 0 ||
	    strcmp(tag, "div") == 0 || strcmp(tag, "a") == 0)
		return strcmp(name, "style") == 0;
	return false;
}

static void
text_style(struct scan *scan, const char *tag, int direction)
{
	struct style style;
	const struct attribute *size;
	long value;
	size_t i;

	if (strcmp(tag, "th") == 0)
		tag = "td";
	if (direction < 0) {
		if (strcmp(tag, "body") != 0)
			style_close(scan, tag);
		return;
	}
	if (strcmp(tag, "basefont") == 0 &&
	    (size = attribute_get(scan, "size")) != NULL &&
	    leading_number(size->value, false, &value)) {
		scan->basefont = value;
		return;
	}
	if (strcmp(tag, "td") == 0 || strcmp(tag, "tr") == 0)
		style_close_table(scan, tag);
	if (scan->style_count == 0)
		return;
	style = *style_top(scan);
	style.tag = tag;
	if (strcmp(tag, "big") == 0 || strcmp(tag, "small") == 0) {
		style.size += strcmp(tag, "big") == 0 ? 1 : -1;
		style_push(scan, &style);
		return;
	}
	for (i = 0; i < scan->attribute_count; i++) {
		const struct attribute *attribute = &scan->attributes[i];
		const char *name = attribute->name;
		if (!style_attribute_ok(tag, name))
			continue;
		if (strcmp(name, "text") == 0 || strcmp(name, "color") == 0) {
			name_to_rgb(scan->arena, attribute->value,
			    attribute->value_length, &style.foreground);
		} else if (strcmp(name, "size") == 0) {
			if (leading_number(attribute->value, true, &value))
				style.size = scan->basefont + value;
			else if (leading_number(attribute->value, false,
			    &value))
				style.size = value;
		} else if (strcmp(name, "style") == 0) {
			style_apply_css(scan, &style, attribute->value);
		}
		/* bgcolor only rewrites the attribute in HTML.pm; the
		 * other names are stored and never read. */
		size_seen(scan, style.size);
	}
	style_push(scan, &style);
}

/* Rendered pieces: display_text() */

static void
text_put(struct scan *scan, const char *data, size_t length)
{
	const char *p, *end = data + length;
	size_t room;

	for (p = data; p < end;) {
		uint32_t c = utf8_next(&p, end);
		scan->text_length++;
		if (!is_unicode_space(c))
			scan->non_space_length++;
	}
	if (scan->text_full)
		return;
	room = scan->limits.max_text - buffer_length(&scan->text);
	if (length > room) {
		scan->text_full = true;
		length = room;
		while (length > 0 &&
		    ((unsigned char)data[length] & 0xc0) == 0x80)
			length--;
	}
	put(&scan->text, data, length);
}

static void
display_whitespace(struct scan *scan, const char *text)
{
	if (scan->have_piece && !scan->last_whitespace &&
	    !scan->last_invisible && scan->last_char == ' ') {
		/* s/ $// on the previous piece. */
		scan->text_length--;
		if (!scan->text_full && buffer_length(&scan->text) > 0)
			buffer_truncate(&scan->text,
			    buffer_length(&scan->text) - 1);
	}
	text_put(scan, text, strlen(text));
	scan->have_piece = true;
	scan->last_whitespace = true;
	scan->last_invisible = false;
	scan->last_char = (unsigned char)text[strlen(text) - 1];
}

static void
display_text(struct scan *scan, const char *text, size_t length,
    bool invisible)
{
	char *collapsed = arena_alloc(scan->arena, length + 1), *o = collapsed;
	const char *p = text, *end = text + length;
	size_t n;

	/* s/[ \t\n\r\f\x0b]+/ /gs */
	while (p < end) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
			while (p < end && (*p == ' ' ||
			    (*p >= '\t' && *p <= '\r')))
				p++;
			*o++ = ' ';
		} else {
			*o++ = *p++;
		}
	}
	n = (size_t)(o - collapsed);
	p = collapsed;
	if (scan->have_piece && !invisible && scan->last_whitespace &&
	    n > 0 && p[0] == ' ') {
		p++;
		n--;
	}
	text_put(scan, p, n);
	scan->have_piece = true;
	scan->last_whitespace = false;
	scan->last_invisible = invisible;
	scan->last_char = n > 0 ? utf8_last(p, p + n) : 0;
}

/* [^\s\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e] */
static bool
is_glue(uint32_t c)
{
	if (is_unicode_space(c))
		return false;
	return !((c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) ||
	    (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e));
}

/* html_font_invisible(): whether text in the current style cannot be
 * seen, noting low contrast and invalid colours. */
static bool
font_invisible(struct scan *scan)
{
	const struct style *style = style_top(scan);
	const char *fg = style->foreground.text, *bg = style->background.text;
	size_t fg_length = strlen(fg), bg_length = strlen(bg);
	int a[3], b[3];

	if (strcmp(fg + fg_length - MIN(fg_length, 6),
	    bg + bg_length - MIN(bg_length, 6)) == 0) {
		scan->result->flags |= RULE_HTML_FONT_LOW_CONTRAST;
		return true;
	}
	if (color_rgb(&style->foreground, a) &&
	    color_rgb(&style->background, b)) {
		double r = 0.2126 * (a[0] - b[0]), g = 0.7152 * (a[1] - b[1]),
		    bl = 0.0722 * (a[2] - b[2]);
		/* A distance under 12, squared to spare a square root. */
		if (r * r + g * g + bl * bl < 144) {
			scan->result->flags |= RULE_HTML_FONT_LOW_CONTRAST;
			return true;
		}
	}
	if (strcmp(fg, "invalid") == 0 || strcmp(bg, "invalid") == 0) {
		scan->result->flags |= RULE_HTML_FONT_INVALID_COLOR;
		return true;
	}
	return style->size <= 1 || style->display_none ||
	    style->visibility_hidden;
}

/* HTML.pm's handlers */

static void
on_text(struct scan *scan, const char *text, size_t length)
{
	bool invisible = false;
	size_t i;

	if (inside(scan, "script") > 0) {
		list_add(scan, &scan->scripts, text, length);
		return;
	}
	if (inside(scan, "style") > 0)
		return;
	if (inside(scan, "a") > 0 && !scan->anchor_texts.dropped)
		list_append(scan, &scan->anchor_texts,
		    scan->anchor_texts.count - 1, text, length);
	if (inside(scan, "title") > 0 && scan->title_index >= 0)
		list_append(scan, &scan->titles, (size_t)scan->title_index,
		    text, length);
	for (i = 0; i < length; i++)
		if (!(text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
			break;
	if (i < length)
		invisible = font_invisible(scan);
	if (scan->have_piece && length > 0) {
		const char *p = text;
		if (is_glue(utf8_next(&p, text + length)) &&
		    scan->last_char != 0 && is_glue(scan->last_char))
			scan->result->obfuscation++;
	}
	display_text(scan, text, length, invisible);
}

/* The tail of m{^\s*["'.]?[a-z ][a-z -]*[a-z]\d?["']?
 * (?:,\s*["']?[a-z][a-z -]*[a-z]\d?["']?)*;?$}i from *p: one name. */
static bool
font_face_name(const char **p_io, bool first, bool space_before)
{
	const char *p = *p_io, *start = p;

	while (is_ascii_alpha((unsigned char)*p) || *p == ' ' || *p == '-')
		p++;
	/* The run must end in a letter; what may follow a name (a digit,
	 * a quote, ',' or ';') can never be part of the run, so the
	 * longest run is the only candidate. */
	if (p == start || !is_ascii_alpha((unsigned char)p[-1]))
		return false;
	if (p - start == 1) {
		/* One letter: the space \s* gave up must be its first
		 * character, which only the first name allows. */
		if (!first || !space_before)
			return false;
	} else if (!first && !is_ascii_alpha((unsigned char)*start)) {
		return false;
	} else if (first && *start == '-') {
		return false;
	}
	if (is_ascii_digit((unsigned char)*p))
		p++;
	if (*p == '"' || *p == '\'')
		p++;
	*p_io = p;
	return true;
}

static bool
font_face_good(const char *face)
{
	const char *p = face;
	bool space_before = false, quoted;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
		space_before = *p == ' ';
		p++;
	}
	quoted = *p == '"' || *p == '\'' || *p == '.';
	if (quoted)
		p++;
	if (!font_face_name(&p, true, space_before && !quoted))
		return false;
	while (*p == ',') {
		p++;
		while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			p++;
		if (*p == '"' || *p == '\'')
			p++;
		if (!font_face_name(&p, false, false))
			return false;
	}
	if (*p == ';')
		p++;
	return *p == '\0' || (p[0] == '\n' && p[1] == '\0');
}

/* m/^(\d+)(\%)?$/ */
static double
image_dimension(const char *value, double percent_factor)
{
	const char *p = value;
	double number = 0;

	while (is_ascii_digit((unsigned char)*p))
		number = number * 10 + (*p++ - '0');
	if (p == value)
		return 0;
	if (*p == '%') {
		number *= percent_factor;
		p++;
	}
	if (!(*p == '\0' || (p[0] == '\n' && p[1] == '\0')))
		return 0;
	return number;
}

/* canon_uri(): trims white space and no-break spaces; notes a URI
 * longer than SpamAssassin keeps. */
static struct string_view
canonical_uri(struct scan *scan, const char *value)
{
	struct string_view uri = string_view_from_cstring(value);
	const unsigned char *u;

	/* s/^[\s\xA0]+//; s/[\s\xA0]+$// on characters. */
	for (;;) {
		u = (const unsigned char *)uri.data;
		if (uri.length > 0 && u[0] < 0x80 && is_unicode_space(u[0]))
			uri = string_view_skip(uri, 1);
		else if (uri.length > 1 && u[0] == 0xc2 && u[1] == 0xa0)
			uri = string_view_skip(uri, 2);
		else
			break;
	}
	for (;;) {
		u = (const unsigned char *)uri.data + uri.length;
		if (uri.length > 0 && u[-1] < 0x80 && is_unicode_space(u[-1]))
			uri.length--;
		else if (uri.length > 1 && u[-1] == 0xa0 && u[-2] == 0xc2)
			uri.length -= 2;
		else
			break;
	}
	if (utf8_length(uri.data, uri.length) > RULE_HTML_URI_LENGTH_MAX)
		scan->result->flags |= RULE_HTML_URI_TRUNCATED;
	return uri;
}

/* html_uri() only matters here for the length of the links it takes
 * (uri_truncated). */
static void
check_uri_lengths(struct scan *scan)
{
	static const char *const names[] = { "background", "href",
		"data-saferedirecturl", "src", "action" };
	const struct attribute *attribute;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(names); i++)
		if ((attribute = attribute_get(scan, names[i])) != NULL &&
		    attribute->value_length > RULE_HTML_URI_LENGTH_MAX)
			(void)canonical_uri(scan, attribute->value);
}

static void
html_tests(struct scan *scan, const char *tag)
{
	const struct attribute *a, *b;
	struct rule_html *result = scan->result;

	if (strcmp(tag, "font") == 0 && (a = attribute_get(scan, "face")) !=
	    NULL && !font_face_good(a->value))
		result->flags |= RULE_HTML_FONT_FACE_BAD;
	if (strcmp(tag, "img") == 0 && inside(scan, "a") > 0 &&
	    !scan->anchor_texts.dropped)
		list_append(scan, &scan->anchor_texts,
		    scan->anchor_texts.count - 1, "<img>\n", 6);
	if (strcmp(tag, "img") == 0 && (a = attribute_get(scan, "width")) !=
	    NULL && (b = attribute_get(scan, "height")) != NULL) {
		double width = image_dimension(a->value, 8);
		double height = image_dimension(b->value, 6);
		if (width <= 0)
			width = 200;
		if (height <= 0)
			height = 200;
		result->image_area += width * height;
	}
	if (strcmp(tag, "form") == 0 && (a = attribute_get(scan, "action")) !=
	    NULL && strcasestr(a->value, "mailto:") != NULL)
		result->flags |= RULE_HTML_FORM_ACTION_MAILTO;
	if (strcmp(tag, "object") == 0 || strcmp(tag, "embed") == 0)
		result->flags |= RULE_HTML_EMBEDS;
	if (strcmp(tag, "a") == 0) {
		struct string_view href = string_view_make("", 0);
		if ((a = attribute_get(scan, "href")) != NULL)
			href = canonical_uri(scan, a->value);
		list_add(scan, &scan->anchor_texts, "", 0);
		if (!scan->anchor_texts.dropped) {
			if (scan->anchor_texts.count >
			    scan->anchor_href_capacity) {
				struct string_view *grown;
				scan->anchor_href_capacity =
				    scan->anchor_texts.capacity;
				grown = arena_array(scan->arena,
				    scan->anchor_href_capacity,
				    sizeof(*grown));
				if (scan->anchor_texts.count > 1)
					memcpy(grown, scan->anchor_hrefs,
					    (scan->anchor_texts.count - 1) *
					    sizeof(*grown));
				scan->anchor_hrefs = grown;
			}
			scan->anchor_hrefs[scan->anchor_texts.count - 1] =
			    href;
		}
	}
	if (strcmp(tag, "title") == 0) {
		list_add(scan, &scan->titles, "", 0);
		if (!scan->titles.dropped)
			scan->title_index = (long)scan->titles.count - 1;
		else
			scan->title_index = -1;
	}
}

static void
on_tag(struct scan *scan, const char *name, size_t length, int direction)
{
	struct rule_html *result = scan->result;
	struct rule_html_tag *tag;
	bool existed, element = is_element(name, length);
	bool namespace = is_namespace_tag(name, length);
	const char *static_name;

	tag = tag_get(scan, name, length, true, &existed);
	if (element || namespace) {
		result->elements++;
		if (!existed)
			result->elements_seen++;
	}
	result->tags++;
	if (!existed)
		result->tags_seen++;
	if (tag != NULL) {
		tag->count += direction;
		if (tag->count < 0) {
			tag->count = 0;
			result->closed_extra++;
		}
	}
	if (namespace || !(element || is_trick(name, length)))
		return;
	/* Past TAG_NAMES_MAX names a tag has no counter but still acts. */
	static_name = tag != NULL ? tag->name :
	    arena_strndup(scan->arena, name, length);
	if (is_text_style_tag(name, length))
		text_style(scan, static_name, direction);
	if (is_whitespace_tag(name, length)) {
		if (strcmp(static_name, "br") == 0 ||
		    strcmp(static_name, "div") == 0)
			display_whitespace(scan, "\n");
		else if (in_word_list("li th td dt dd embed h1 h2 h3 h4 h5 h6",
		    name, length))
			display_whitespace(scan, " ");
		else
			display_whitespace(scan, "\n\n");
	}
	if (direction > 0) {
		check_uri_lengths(scan);
		html_tests(scan, static_name);
	}
}

static void
on_comment(struct scan *scan, const char *text, size_t length)
{
	list_add(scan, &scan->comments, text, length);
}

static void
on_declaration(struct scan *scan, const char *text, size_t length)
{
	struct rule_html_tag *tag;

	if (length >= 9 && strncasecmp(text, "<!doctype", 9) == 0) {
		scan->result->elements++;
		scan->result->tags++;
		tag = tag_get(scan, "!doctype", 8, true, NULL);
		if (tag != NULL)
			tag->count = 0;
	}
}

/* Event dispatch: a pending end tag goes first; marked sections to be
 * ignored swallow everything. */
static bool
event_begin(struct scan *scan, enum event event)
{
	if (scan->pending_end_tag != NULL && event == EVENT_OTHER) {
		const char *name = scan->pending_end_tag;
		scan->pending_end_tag = NULL;
		if (scan->marked_state != MARKED_IGNORE)
			on_tag(scan, name, strlen(name), -1);
	}
	return scan->marked_state != MARKED_IGNORE;
}

static void
report_text(struct scan *scan, const char *start, const char *end)
{
	size_t length;
	char *text;

	if (!event_begin(scan, EVENT_TEXT))
		return;
	if (scan->is_cdata) {
		on_text(scan, start, (size_t)(end - start));
		return;
	}
	text = decode_entities(scan, start, end, false, &length);
	on_text(scan, text, length);
}

static void
report_comment(struct scan *scan, const char *start, const char *end)
{
	if (event_begin(scan, EVENT_COMMENT))
		on_comment(scan, start, (size_t)(end - start));
}

static void
report_end_tag(struct scan *scan, const char *name, size_t length)
{
	char *lower;

	if (!event_begin(scan, EVENT_OTHER))
		return;
	lower = arena_strndup(scan->arena, name, length);
	lowercase_ascii(lower, length);
	on_tag(scan, lower, length, -1);
}

/* The tokenizer: HTML::Parser's parse functions. Each returns the
 * position after what it recognised, start when it needs more input,
 * or NULL when the '<' is not markup after all. */

static void
marked_update(struct scan *scan)
{
	enum marked_section state = MARKED_NONE;
	size_t i;

	for (i = 0; i < scan->marked_depth; i++)
		if (scan->marked[i] > state)
			state = scan->marked[i];
	scan->marked_state = state;
	scan->is_cdata = state == MARKED_CDATA;
}

static const char *
skip_until_gt(const char *s, const char *end)
{
	char quote = '\0', previous = ' ';

	for (; s < end; previous = *s++) {
		if (quote == '\0' && *s == '>')
			return s;
		if (*s == '"' || *s == '\'') {
			if (*s == quote)
				quote = '\0';
			else if (quote == '\0' &&
			    (previous == ' ' || previous == '='))
				quote = *s;
		}
	}
	return end;
}

/* A comment from start through the first '>' at or after s; start when
 * there is none yet. */
static const char *
comment_to_gt(struct scan *scan, const char *start, const char *s,
    const char *end)
{
	const char *gt = memchr(s, '>', (size_t)(end - s));

	if (gt == NULL)
		return start;
	report_comment(scan, start, gt + 1);
	return gt + 1;
}

static const char *
parse_comment(struct scan *scan, const char *start, const char *s,
    const char *end)
{
	const char *dash;

	if (scan->no_dash_dash_comment_end)
		return comment_to_gt(scan, start, s, end);
	for (;;) {
		while (s < end && *s != '-')
			s++;
		if (s == end)
			return start;
		dash = s++;
		if (*s == '-') {
			s++;
			while (is_h_space((unsigned char)*s))
				s++;
			if (*s == '>') {
				report_comment(scan, start, s + 1);
				return s + 1;
			}
		}
		if (s >= end)
			return start;
		s = dash + 1;
	}
}

/* Skips a "--...--" comment inside a declaration or a marked section,
 * from just past its opening "--". Returns the position after the
 * closing "--", or NULL when the input ends first. */
static const char *
skip_dashes_comment(const char *s, const char *end)
{
	for (;;) {
		while (s < end && *s != '-')
			s++;
		if (s == end)
			return NULL;
		s++;
		if (s < end && *s == '-')
			return s + 1;
	}
}

static const char *
parse_marked_section(struct scan *scan, const char *start, const char *end)
{
	const char *s = start + 3, *name;
	enum marked_section section = MARKED_NONE;
	bool named = false;

	for (;;) {
		while (is_h_space((unsigned char)*s))
			s++;
		while (is_name_first((unsigned char)*s)) {
			enum marked_section this = MARKED_NONE;
			name = s++;
			while (is_name_char((unsigned char)*s))
				s++;
			if (equal_case(name, (size_t)(s - name), "include"))
				this = MARKED_INCLUDE;
			else if (equal_case(name, (size_t)(s - name), "rcdata"))
				this = MARKED_RCDATA;
			else if (equal_case(name, (size_t)(s - name), "cdata"))
				this = MARKED_CDATA;
			else if (equal_case(name, (size_t)(s - name), "ignore"))
				this = MARKED_IGNORE;
			if (this > section)
				section = this;
			named = true;
			while (is_h_space((unsigned char)*s))
				s++;
			if (s == end)
				return start;
		}
		if (*s != '-')
			break;
		s++;
		if (*s != '-')
			return NULL;
		s = skip_dashes_comment(s + 1, end);
		if (s == NULL)
			return start;
	}
	if (*s != '[')
		return NULL;
	s++;
	if (!named)
		section = MARKED_INCLUDE;
	if (scan->marked_depth < MARKED_SECTIONS_MAX)
		scan->marked[scan->marked_depth++] = (unsigned char)section;
	marked_update(scan);
	(void)event_begin(scan, EVENT_OTHER);
	return s;
}

static const char *
parse_declaration(struct scan *scan, const char *start, const char *end)
{
	const char *s = start + 2, *name, *after;

	if (*s == '-') {
		s++;
		if (s == end)
			return start;
		if (*s == '-') {
			s++;
			after = parse_comment(scan, start, s, end);
			return after == start ? start : after;
		}
		goto declaration_fail;
	}
	if (*s == '[') {
		after = parse_marked_section(scan, start, end);
		if (after != NULL)
			return after;
		goto declaration_fail;
	}
	if (*s == '>') {
		report_comment(scan, start, s + 1);
		return s + 1;
	}
	if (is_ascii_alpha((unsigned char)*s)) {
		name = s++;
		while (s < end && is_name_char((unsigned char)*s))
			s++;
		if (s == end)
			return start;
		if (!equal_case(name, (size_t)(s - name), "doctype") &&
		    !equal_case(name, (size_t)(s - name), "entity"))
			goto declaration_fail;
		for (;;) {
			while (s < end && is_h_space((unsigned char)*s))
				s++;
			if (s == end)
				return start;
			if (*s == '"' || *s == '\'') {
				char quote = *s++;
				while (s < end && *s != quote)
					s++;
				if (s == end)
					return start;
				s++;
			} else if (*s == '-') {
				s++;
				if (s == end)
					return start;
				if (*s != '-')
					goto declaration_fail;
				s = skip_dashes_comment(s + 1, end);
				if (s == NULL)
					return start;
			} else if (*s != '>') {
				s++;
				while (s < end && is_not_space_gt(
				    (unsigned char)*s))
					s++;
				if (s == end)
					return start;
			} else {
				break;
			}
		}
		s++;
		if (event_begin(scan, EVENT_OTHER))
			on_declaration(scan, start, (size_t)(s - start));
		return s;
	}
declaration_fail:
	return comment_to_gt(scan, start, s, end);
}

/* Literal-mode elements and whether their text is CDATA. */
static const struct {
	const char *name;
	bool cdata;
} literal_elements[] = {
	{ "script", true }, { "style", true }, { "xmp", true },
	{ "iframe", true }, { "plaintext", true }, { "title", false },
	{ "textarea", false },
};

static const char *
parse_start_tag(struct scan *scan, const char *start, const char *end)
{
	const char *s = start + 2, *name = start + 1, *attribute, *value;
	size_t name_length, value_length, i;
	char *lower;

	while (s < end && is_not_space_gt((unsigned char)*s))
		s++;
	name_length = (size_t)(s - name);
	while (is_h_space((unsigned char)*s))
		s++;
	if (s == end)
		return start;
	scan->attribute_count = 0;
	while (is_not_space_gt((unsigned char)*s)) {
		attribute = s++;
		while (s < end && is_not_space_eq_gt((unsigned char)*s))
			s++;
		if (s == end)
			return start;
		i = (size_t)(s - attribute);
		value = attribute;
		value_length = i;
		while (is_h_space((unsigned char)*s))
			s++;
		if (s == end)
			return start;
		if (*s == '=') {
			s++;
			while (is_h_space((unsigned char)*s))
				s++;
			if (s == end)
				return start;
			if (*s == '>') {
				value = s;
				value_length = 0;
			} else if (*s == '"' || *s == '\'') {
				char quote = *s++;
				value = s;
				while (s < end && *s != quote)
					s++;
				if (s == end)
					return start;
				value_length = (size_t)(s - value);
				s++;
			} else {
				value = s;
				while (s < end && is_not_space_gt(
				    (unsigned char)*s))
					s++;
				if (s == end)
					return start;
				value_length = (size_t)(s - value);
			}
			if (*s != '>') {
				while (is_h_space((unsigned char)*s))
					s++;
				if (s == end)
					return start;
			}
		}
		/* The first of several same-named attributes counts. */
		lower = arena_strndup(scan->arena, attribute, i);
		lowercase_ascii(lower, i);
		if (attribute_get(scan, lower) == NULL &&
		    scan->attribute_count < ATTRIBUTES_MAX) {
			struct attribute *slot =
			    &scan->attributes[scan->attribute_count++];
			slot->name = lower;
			slot->name_length = i;
			slot->value = decode_entities(scan, value,
			    value + value_length, true, &slot->value_length);
		}
		if (*s == '>')
			break;
	}
	if (*s != '>')
		return NULL;
	s++;
	if (event_begin(scan, EVENT_OTHER)) {
		lower = arena_strndup(scan->arena, name, name_length);
		lowercase_ascii(lower, name_length);
		on_tag(scan, lower, name_length, 1);
	}
	for (i = 0; i < ARRAY_LENGTH(literal_elements); i++) {
		if (equal_case(name, name_length, literal_elements[i].name)) {
			scan->literal = literal_elements[i].name;
			scan->is_cdata = literal_elements[i].cdata;
			break;
		}
	}
	return s;
}

static const char *
parse_end_tag(struct scan *scan, const char *start, const char *end)
{
	const char *s = start + 2, *name, *name_end;

	if (is_not_space_gt((unsigned char)*s)) {
		name = s++;
		while (s < end && is_not_space_gt((unsigned char)*s))
			s++;
		name_end = s;
		s = skip_until_gt(s, end);
		if (s == end)
			return start;
		report_end_tag(scan, name, (size_t)(name_end - name));
		return s + 1;
	}
	/* "</ x>" and "</>" are comments. */
	s = skip_until_gt(s, end);
	if (s == end)
		return start;
	report_comment(scan, start, s + 1);
	return s + 1;
}

/* <?...>: reported to nobody, but a pending end tag goes out first. */
static const char *
parse_process(struct scan *scan, const char *start, const char *end)
{
	const char *s = memchr(start + 2, '>', (size_t)(end - start - 2));

	if (s == NULL)
		return start;
	(void)event_begin(scan, EVENT_OTHER);
	return s + 1;
}

static void
marked_pop(struct scan *scan)
{
	if (scan->marked_depth > 0)
		scan->marked_depth--;
	marked_update(scan);
}

/* HTML::Parser's parse_buf(): consumes what it can of [s, end) and
 * returns where the unconsumed rest starts. */
static const char *
parse_buf(struct scan *scan, const char *s, const char *end)
{
	const char *t = s, *end_text, *after, *literal;

	for (;;) {
		while (scan->literal != NULL) {
			while (s < end && *s != '<')
				s++;
			if (s == end)
				return t;
			end_text = s++;
			if (*s != '/')
				continue;
			s++;
			for (literal = scan->literal; *literal != '\0' &&
			    string_ascii_lower((unsigned char)*s) == *literal;
			    literal++)
				s++;
			if (*literal != '\0' ||
			    strcmp(scan->literal, "plaintext") == 0)
				continue;
			while (is_h_space((unsigned char)*s))
				s++;
			if (*s != '>')
				continue;
			s++;
			if (t != end_text)
				report_text(scan, t, end_text);
			report_end_tag(scan, end_text + 2,
			    strlen(scan->literal));
			scan->literal = NULL;
			scan->is_cdata = false;
			t = s;
		}
		while (scan->marked_state == MARKED_CDATA ||
		    scan->marked_state == MARKED_RCDATA) {
			while (s < end && *s != ']')
				s++;
			if (s < end) {
				end_text = s++;
				if (s[0] == ']' && s[1] == '>') {
					s += 2;
					if (t != end_text)
						report_text(scan, t, end_text);
					(void)event_begin(scan, EVENT_OTHER);
					t = s;
					marked_pop(scan);
					continue;
				}
			}
			if (s == end)
				return t;
		}
		while (s < end && *s != '<') {
			if (scan->marked_state != MARKED_NONE && *s == ']') {
				end_text = s++;
				if (*s == ']') {
					s++;
					if (*s == '>') {
						s++;
						report_text(scan, t, end_text);
						(void)event_begin(scan,
						    EVENT_OTHER);
						t = s;
						marked_pop(scan);
						continue;
					}
				}
			}
			s++;
		}
		if (s != t) {
			if (s < end) {
				report_text(scan, t, s);
				t = s;
			} else {
				/* Trailing white space, or a word that may
				 * continue in the next chunk, waits. */
				const char *q = s;
				if (is_h_space((unsigned char)q[-1])) {
					while (q > t && is_h_space(
					    (unsigned char)q[-1]))
						q--;
				} else {
					while (q > t && !is_h_space(
					    (unsigned char)q[-1]))
						q--;
					while (q > t && is_h_space(
					    (unsigned char)q[-1]))
						q--;
				}
				if (q != t)
					report_text(scan, t, q);
				return q;
			}
		}
		if (end - s < 3)
			return s;
		s++;
		if (is_name_first((unsigned char)*s))
			after = parse_start_tag(scan, t, end);
		else if (*s == '/')
			after = parse_end_tag(scan, t, end);
		else if (*s == '!')
			after = parse_declaration(scan, t, end);
		else if (*s == '?')
			after = parse_process(scan, t, end);
		else
			after = NULL;
		if (after != NULL) {
			if (after == t)
				return t;
			t = s = after;
		}
		/* Otherwise the '<' is text: carry on after it. */
	}
}

/* HTML::Parser's eof(): what is left is parsed again with comments
 * ending at the first '>', then reported as a comment (unfinished
 * markup) or as text. */
static void
parse_eof(struct scan *scan, const char *s, const char *end)
{
	const char *literal;

	while (s < end) {
		if (scan->literal != NULL) {
			literal = scan->literal;
			if (strcmp(literal, "plaintext") == 0 ||
			    strcmp(literal, "xmp") == 0 ||
			    strcmp(literal, "iframe") == 0 ||
			    strcmp(literal, "textarea") == 0)
				break;
			if (strcmp(literal, "script") == 0 ||
			    strcmp(literal, "style") == 0)
				report_end_tag(scan, literal, strlen(literal));
			else
				scan->pending_end_tag = literal;
			scan->literal = NULL;
			s = parse_buf(scan, s, end);
			continue;
		}
		if (!scan->no_dash_dash_comment_end && *s == '<') {
			scan->no_dash_dash_comment_end = true;
			s = parse_buf(scan, s, end);
			continue;
		}
		if (*s == '<' && (s + 1 == end ||
		    is_name_first((unsigned char)s[1]) || s[1] == '/' ||
		    s[1] == '!' || s[1] == '?')) {
			report_comment(scan, s, end);
			s = end;
		}
		break;
	}
	if (s < end)
		report_text(scan, s, end);
	(void)event_begin(scan, EVENT_OTHER);
}

/* HTML.pm's rewrites before parsing, each over the result of the one
 * before: "&nbsp;" to a space, "<tag />" to "<tag>", curly double
 * quotes to '"'. Writes into out (room for length bytes); returns the
 * new length. */
static size_t
preprocess(const char *in, size_t length, char *out)
{
	size_t i, n = 0, j, k;

	for (i = 0; i < length; i++) {
		if (in[i] == '&' && length - i >= 6 &&
		    memcmp(in + i, "&nbsp;", 6) == 0) {
			out[n++] = ' ';
			i += 5;
		} else {
			out[n++] = in[i];
		}
	}
	length = n;
	n = 0;
	for (i = 0; i < length; i++) {
		out[n++] = out[i];
		if (out[i] != '<')
			continue;
		/* <(\w+)\s*\/> */
		for (j = i + 1; j < length &&
		    is_perl_word((unsigned char)out[j]); j++)
			;
		for (k = j; k < length && is_css_space(out[k]); k++)
			;
		if (j > i + 1 && k + 1 < length && out[k] == '/' &&
		    out[k + 1] == '>') {
			memmove(out + n, out + i + 1, j - i - 1);
			n += j - i - 1;
			out[n++] = '>';
			i = k + 1;
		}
	}
	length = n;
	n = 0;
	for (i = 0; i < length; i++) {
		if ((unsigned char)out[i] == 0xe2 && i + 2 < length &&
		    (unsigned char)out[i + 1] == 0x80 &&
		    ((unsigned char)out[i + 2] == 0x9c ||
		    (unsigned char)out[i + 2] == 0x9d)) {
			out[n++] = '"';
			i += 2;
		} else {
			out[n++] = out[i];
		}
	}
	return n;
}

static const struct string_view *
list_finish(const struct string_list *list, size_t *count_r)
{
	*count_r = list->count;
	return list->items;
}

struct rule_html *
rule_html_scan(struct arena *arena, const char *html, size_t length,
    const struct rule_html_limits *limits)
{
	static const char *const closers[] = { "style", "script" };
	struct scan scan;
	struct rule_html *result;
	struct style initial;
	struct rule_html_anchor *anchors;
	char *buffer, *end;
	const char *rest;
	size_t capacity, i, retries, href_count;

	memset(&scan, 0, sizeof(scan));
	if (limits != NULL)
		scan.limits = *limits;
	if (scan.limits.max_input == 0)
		scan.limits.max_input = RULE_HTML_DEFAULT_MAX_INPUT;
	if (scan.limits.max_text == 0)
		scan.limits.max_text = RULE_HTML_DEFAULT_MAX_TEXT;
	if (scan.limits.max_strings == 0)
		scan.limits.max_strings = RULE_HTML_DEFAULT_MAX_STRINGS;
	if (scan.limits.max_string == 0)
		scan.limits.max_string = RULE_HTML_DEFAULT_MAX_STRING;
	length = MIN(length, scan.limits.max_input);

	result = arena_new_type(arena, struct rule_html);
	scan.arena = arena;
	scan.result = result;
	result->length = utf8_length(html, length);
	result->max_size = 3;
	result->min_size = 3;
	scan.basefont = 3;
	scan.title_index = -1;
	scan.styles = arena_array(arena, STYLE_DEPTH_MAX, sizeof(*scan.styles));
	memset(&initial, 0, sizeof(initial));
	initial.tag = "default";
	color_set(&initial.foreground, "#000000");
	color_set(&initial.background, "#ffffff");
	initial.size = 3;
	style_push(&scan, &initial);
	scan.tags = arena_array(arena, TAG_NAMES_MAX, sizeof(*scan.tags));
	scan.tag_slot_count = 2 * TAG_NAMES_MAX;
	scan.tag_slots = arena_array(arena, scan.tag_slot_count,
	    sizeof(*scan.tag_slots));
	buffer_init(&scan.text, 0);

	/* Room for the end tags supplied below, and the terminator. */
	capacity = length + ARRAY_LENGTH(closers) * CLOSE_RETRIES_MAX *
	    sizeof("</script>") + 1;
	buffer = arena_alloc(arena, capacity);
	end = buffer + preprocess(html, length, buffer);
	*end = '\0';

	rest = parse_buf(&scan, buffer, end);
	for (i = 0; i < ARRAY_LENGTH(closers); i++) {
		for (retries = 0; retries < CLOSE_RETRIES_MAX &&
		    inside(&scan, closers[i]) > 0; retries++) {
			end += snprintf(end, (size_t)(buffer + capacity - end),
			    "</%s>", closers[i]);
			rest = parse_buf(&scan, rest, end);
		}
	}
	parse_eof(&scan, rest, end);

	result->comments = list_finish(&scan.comments, &result->comment_count);
	result->titles = list_finish(&scan.titles, &result->title_count);
	result->scripts = list_finish(&scan.scripts, &result->script_count);
	result->anchor_count = scan.anchor_texts.count;
	href_count = scan.anchor_texts.count;
	anchors = arena_array(arena, href_count + 1, sizeof(*anchors));
	for (i = 0; i < href_count; i++) {
		anchors[i].text = scan.anchor_texts.items[i];
		anchors[i].href = scan.anchor_hrefs != NULL ?
		    scan.anchor_hrefs[i] : string_view_make("", 0);
	}
	result->anchors = anchors;
	result->inside = scan.tags;
	result->text = string_view_make(arena_strndup(arena,
	    buffer_length(&scan.text) > 0 ? buffer_string(&scan.text) : "",
	    buffer_length(&scan.text)), buffer_length(&scan.text));
	result->text_length = scan.text_length;
	result->non_space_length = scan.non_space_length;
	buffer_deinit(&scan.text);
	return result;
}

bool
rule_html_inside(const struct rule_html *html, const char *tag,
    long *count_r)
{
	size_t i;

	for (i = 0; i < html->inside_count; i++) {
		if (strcmp(html->inside[i].name, tag) == 0) {
			if (count_r != NULL)
				*count_r = html->inside[i].count;
			return true;
		}
	}
	return false;
}

static const struct {
	const char *name;
	unsigned flag;
} rule_html_flags[] = {
	{ "font_low_contrast", RULE_HTML_FONT_LOW_CONTRAST },
	{ "font_invalid_color", RULE_HTML_FONT_INVALID_COLOR },
	{ "font_face_bad", RULE_HTML_FONT_FACE_BAD },
	{ "form_action_mailto", RULE_HTML_FORM_ACTION_MAILTO },
	{ "embeds", RULE_HTML_EMBEDS },
	{ "uri_truncated", RULE_HTML_URI_TRUNCATED },
};

bool
rule_html_value(const struct rule_html *html, const char *name,
    double *value_r)
{
	size_t i;

	if (strcmp(name, "length") == 0)
		*value_r = (double)html->length;
	else if (strcmp(name, "html_length") == 0)
		*value_r = (double)html->text_length;
	else if (strcmp(name, "non_space_len") == 0)
		*value_r = (double)html->non_space_length;
	else if (strcmp(name, "max_size") == 0)
		*value_r = (double)html->max_size;
	else if (strcmp(name, "min_size") == 0)
		*value_r = (double)html->min_size;
	else if (strcmp(name, "image_area") == 0)
		*value_r = html->image_area;
	else if (strcmp(name, "closed_extra_ratio") == 0 && html->tags > 0)
		*value_r = (double)html->closed_extra / (double)html->tags;
	else if (strcmp(name, "bad_tag_ratio") == 0 && html->elements > 0 &&
	    html->tags > 0)
		*value_r = ((double)html->tags - (double)html->elements) /
		    (double)html->tags;
	else if (strcmp(name, "non_element_ratio") == 0 &&
	    html->elements_seen > 0 && html->tags_seen > 0)
		*value_r = ((double)html->tags_seen -
		    (double)html->elements_seen) / (double)html->tags_seen;
	else if (strcmp(name, "obfuscation_ratio") == 0 && html->tags > 0 &&
	    html->obfuscation > 0)
		*value_r = (double)html->obfuscation / (double)html->tags;
	else {
		for (i = 0; i < ARRAY_LENGTH(rule_html_flags); i++) {
			if (strcmp(name, rule_html_flags[i].name) == 0 &&
			    (html->flags & rule_html_flags[i].flag) != 0) {
				*value_r = 1;
				return true;
			}
		}
		return false;
	}
	return true;
}

bool
rule_html_test(const struct rule_html *html, const char *name)
{
	double value;

	if (strcmp(name, "html") == 0)
		return true;
	return rule_html_value(html, name, &value) && value != 0;
}

const struct string_view *
rule_html_strings(struct arena *arena, const struct rule_html *html,
    const char *name, size_t *count_r)
{
	struct string_view *texts;
	size_t i;

	*count_r = 0;
	if (strcmp(name, "comment") == 0) {
		*count_r = html->comment_count;
		return html->comments;
	}
	if (strcmp(name, "title") == 0) {
		*count_r = html->title_count;
		return html->titles;
	}
	if (strcmp(name, "script") == 0) {
		*count_r = html->script_count;
		return html->scripts;
	}
	if (strcmp(name, "anchor") == 0) {
		texts = arena_array(arena, html->anchor_count + 1,
		    sizeof(*texts));
		for (i = 0; i < html->anchor_count; i++)
			texts[i] = html->anchors[i].text;
		*count_r = html->anchor_count;
		return texts;
	}
	return NULL;
}

bool
rule_html_file_name(const char *name)
{
	size_t length = name != NULL ? strlen(name) : 0;

	if (length >= 1 && (name[length - 1] == 'l' || name[length - 1] == 'L'))
		length--;
	return length >= 4 && strncasecmp(name + length - 3, "htm", 3) == 0 &&
	    (name[length - 4] == '.' || (length >= 5 &&
	    (name[length - 4] == 's' || name[length - 4] == 'S') &&
	    name[length - 5] == '.'));
}
