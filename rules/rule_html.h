/* rule_html.h: the facts SpamAssassin's HTML.pm records about an HTML
 * part, computed the way HTML.pm computes them, for the HTMLEval,
 * BodyEval and HTTPSMismatch eval tests.
 *
 * HTML.pm does not render like a browser (that is lib/html_text): it
 * counts what HTML::Parser reports, token by token. Tag counts are per
 * name and flat ("inside": start tags add one, end tags take one away,
 * never below zero, and each such underflow is an "extra close"), font
 * sizes and colours follow a stack of text styles that only some tags
 * push and pop, and obfuscation is a text piece glued to the previous
 * one. rule_html_scan() tokenizes like HTML::Parser 3 with the options
 * SpamAssassin sets (no strict comments or names, marked sections on,
 * literal content in script, style, xmp, iframe, plaintext, title and
 * textarea) and applies HTML.pm's bookkeeping to every event, including
 * its preprocessing ("&nbsp;" to a space, "<x/>" to "<x>", curly double
 * quotes to '"') and its end of document (unclosed style and script
 * elements are closed, an unfinished tag becomes a comment).
 *
 * Counts and lengths are in characters of the UTF-8 input, as Perl
 * counts a decoded string. Everything lives in the caller's arena; the
 * scan is pure and linear in the input (marked sections and the style
 * stack are bounded), so any thread may call it with its own arena. */
#ifndef SLUICE_RULE_HTML_H
#define SLUICE_RULE_HTML_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"

#define RULE_HTML_DEFAULT_MAX_INPUT (16 * 1024 * 1024)
#define RULE_HTML_DEFAULT_MAX_TEXT (4 * 1024 * 1024)
#define RULE_HTML_DEFAULT_MAX_STRINGS 1000
#define RULE_HTML_DEFAULT_MAX_STRING 65536
/* SpamAssassin's MAX_URI_LENGTH: a longer link is "truncated". */
#define RULE_HTML_URI_LENGTH_MAX 8192

/* Every field 0 means its default. */
struct rule_html_limits {
	/* Bytes of the part scanned; the rest is ignored. */
	size_t max_input;
	/* Bytes of rendered text kept (its lengths count everything). */
	size_t max_text;
	/* Entries kept per list (comments, anchors, titles, scripts) and
	 * bytes kept of one entry. */
	size_t max_strings;
	size_t max_string;
};

/* HTML.pm's boolean results (html_test names in comments). */
enum rule_html_flag {
	RULE_HTML_FONT_LOW_CONTRAST = 1 << 0,  /* font_low_contrast */
	RULE_HTML_FONT_INVALID_COLOR = 1 << 1, /* font_invalid_color */
	RULE_HTML_FONT_FACE_BAD = 1 << 2,      /* font_face_bad */
	RULE_HTML_FORM_ACTION_MAILTO = 1 << 3, /* form_action_mailto */
	RULE_HTML_EMBEDS = 1 << 4,             /* embeds: object or embed */
	RULE_HTML_URI_TRUNCATED = 1 << 5,      /* uri_truncated */
};

/* One tag name and its "inside" count. */
struct rule_html_tag {
	const char *name;	/* lowercased as HTML::Parser reports it */
	long count;		/* open minus closed, never below 0 */
};

/* A link and the text inside it (HTML.pm's anchor_text). */
struct rule_html_anchor {
	/* The href, white space trimmed, entities decoded; "" without
	 * one. */
	struct string_view href;
	/* Text inside the element, "<img>\n" for each image in it. */
	struct string_view text;
};

struct rule_html {
	/* Characters of the part (HTML.pm's "length"). */
	size_t length;
	/* The rendered text (all of it, visible or not, as HTML.pm joins
	 * its pieces), at most max_text bytes, and its length in
	 * characters ("html_length") and without white space
	 * ("non_space_len"), both over the whole text. */
	struct string_view text;
	size_t text_length;
	size_t non_space_length;

	/* Tag statistics: every start and end tag and <!DOCTYPE> ("tags"),
	 * those naming a known element ("elements"), and the same counted
	 * once per name ("tags_seen", "elements_seen"); end tags that
	 * closed nothing ("closed_extra"); text pieces glued to a word
	 * ("obfuscation"). */
	size_t tags;
	size_t elements;
	size_t tags_seen;
	size_t elements_seen;
	size_t closed_extra;
	size_t obfuscation;

	/* Font sizes seen (3 is the default), image area from img width
	 * and height attributes. */
	long max_size;
	long min_size;
	double image_area;

	unsigned flags; /* enum rule_html_flag */

	/* Every tag name seen, in order of first sight. */
	const struct rule_html_tag *inside;
	size_t inside_count;

	/* Comments as written ("<!-- x -->", "<!foo>"), links, the text of
	 * each <title>, the text of each script element. */
	const struct string_view *comments;
	size_t comment_count;
	const struct rule_html_anchor *anchors;
	size_t anchor_count;
	const struct string_view *titles;
	size_t title_count;
	const struct string_view *scripts;
	size_t script_count;
};

/* Scans the first min(length, max_input) bytes of html (UTF-8, need not
 * be NUL-terminated). limits may be NULL. Never fails; the result and
 * everything in it live in arena. */
struct rule_html *rule_html_scan(struct arena *arena, const char *html,
    size_t length, const struct rule_html_limits *limits);

/* Whether tag (lowercase) was seen; *count_r (may be NULL) gets its
 * "inside" count. */
bool rule_html_inside(const struct rule_html *html, const char *tag,
    long *count_r);

/* A numeric result by HTML.pm's name ("length", "max_size",
 * "closed_extra_ratio", "bad_tag_ratio", "non_element_ratio",
 * "obfuscation_ratio", "image_area", "html_length", "non_space_len",
 * "min_size"...). Returns false when HTML.pm leaves it undefined (a
 * ratio without tags) or the name is unknown. */
bool rule_html_value(const struct rule_html *html, const char *name,
    double *value_r);

/* Whether the result called name is true in Perl's sense: a flag above,
 * "html" (always), or a defined numeric result that is not 0. */
bool rule_html_test(const struct rule_html *html, const char *name);

/* The strings of a list result by name ("comment", "anchor", "title",
 * "script"); NULL and 0 for other names. Anchors give their texts. */
const struct string_view *rule_html_strings(struct arena *arena,
    const struct rule_html *html, const char *name, size_t *count_r);

/* Whether a part's file name makes SpamAssassin render it as HTML
 * whatever its type (Node::effective_type(): m/\.s?html?$/i). NULL is
 * no name. */
bool rule_html_file_name(const char *name);

#endif
