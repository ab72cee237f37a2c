/* html_text.h: renders an HTML document to the plain text a reader sees
 * (what SpamAssassin's "body" rules match) and collects facts about it.
 *
 * The input is one whole HTML part, already decoded from its transfer
 * encoding and converted to UTF-8; it may be broken in every way. The
 * renderer follows what a browser or mail client would show:
 * - tags are stripped; block elements end lines ("\n"), paragraph-like
 *   ones (p, h1-h6, hr, blockquote, pre, ul, ol, dl, table) end
 *   paragraphs ("\n\n"), table cells and form controls give a space;
 *   runs of white space collapse to one space, the text has no leading
 *   or trailing white space, and <pre> keeps its line ends;
 * - the contents of script, style, iframe, noembed, noframes and of the
 *   head are dropped; title text goes to `title`, never to the text;
 *   textarea and xmp contents are text; img alt text is text;
 * - character references are decoded to UTF-8: the HTML 4 named set
 *   plus &apos; (case-sensitive, with the legacy names also accepted
 *   without ';' where HTML 5 allows it), decimal and hex numeric ones
 *   (128-159 read as Windows-1252 like browsers do). A reference that
 *   is unknown or names no valid character (0, a surrogate, past
 *   U+10FFFF) stays as literal text. A no-break space is a space;
 *   zero-width characters (soft hyphen, U+200B-U+200D, U+2060, U+FEFF),
 *   whether written raw or as references, are dropped and counted;
 * - comments, doctypes and processing instructions are removed; an
 *   unclosed comment hides the rest of the document, as in a browser;
 * - text a reader cannot see goes to `invisible_text` instead of
 *   `text`: inside an element with display:none, visibility:hidden or
 *   collapse, opacity:0, mso-hide:all, a zero width, height or
 *   max-height together with overflow:hidden, the hidden attribute or
 *   <template>, a font size under 4px or 4pt (0.25em, 25%; also via
 *   the font shorthand, "font:0/0 a"), a transparent colour, or a
 *   foreground colour within HTML_TEXT_INVISIBLE_DISTANCE of the
 *   background. Colours come from font color, body text/bgcolor/link
 *   (links get the link colour, #0000ee by default), bgcolor on table,
 *   tr, td and th, and inline style color, background and
 *   background-color; a background image makes the background unknown
 *   (no colour test below it). Only inline styles count: style sheets
 *   in <style> are not applied.
 *
 * Attribute values that carry URIs (a/area/link/base href, img/frame/
 * iframe/embed/script/input/audio/video/source src, img lowsrc, form
 * action, button formaction, object data/codebase, background, cite,
 * video poster, and the URL of a meta refresh) are collected with their
 * tag and attribute names, entities decoded, for uri_extract_html().
 *
 * Work is linear in the input and memory is bounded by the limits: the
 * element stack is an array of at most max_depth entries (deeper
 * elements are not tracked), and there is no recursion. Everything
 * returned lives in the caller's arena. Pure (no I/O, no global state):
 * any thread may call it with its own arena. */
#ifndef SLUICE_HTML_TEXT_H
#define SLUICE_HTML_TEXT_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"

#define HTML_TEXT_DEFAULT_MAX_INPUT (16 * 1024 * 1024)
#define HTML_TEXT_DEFAULT_MAX_TEXT (4 * 1024 * 1024)
#define HTML_TEXT_DEFAULT_MAX_INVISIBLE_TEXT (1024 * 1024)
#define HTML_TEXT_DEFAULT_MAX_TITLE 1024
#define HTML_TEXT_DEFAULT_MAX_URIS 1000
#define HTML_TEXT_DEFAULT_MAX_ATTRIBUTE_VALUE (16 * 1024)
#define HTML_TEXT_DEFAULT_MAX_DEPTH 256

/* Colour distance (0..255, weighted RGB, see html_text.c) under which
 * text counts as invisible, and under which it counts as low contrast. */
#define HTML_TEXT_INVISIBLE_DISTANCE 12
#define HTML_TEXT_LOW_CONTRAST_DISTANCE 48

/* Every field 0 means its default. */
struct html_text_limits {
	/* Bytes of input examined; the rest is ignored (and the flag
	 * HTML_TEXT_TRUNCATED set). */
	size_t max_input;
	/* Bytes kept of text, invisible_text and title; what does not
	 * fit is counted in the *_bytes fields but not kept. */
	size_t max_text;
	size_t max_invisible_text;
	size_t max_title;
	/* URI-bearing attribute values kept; more are counted in
	 * uris_dropped. */
	size_t max_uris;
	/* Bytes of one attribute value examined (after entity decoding);
	 * a longer value is cut there (flag HTML_TEXT_LONG_ATTRIBUTE). */
	size_t max_attribute_value;
	/* Open elements tracked for styles and nesting. */
	size_t max_depth;
};

/* Facts for rules; bits in html_text.flags. */
enum html_text_flag {
	HTML_TEXT_FORM = 1 << 0,           /* <form> */
	HTML_TEXT_SCRIPT = 1 << 1,         /* <script> */
	HTML_TEXT_IFRAME = 1 << 2,         /* <iframe> */
	HTML_TEXT_OBJECT = 1 << 3,         /* <object> or <applet> */
	HTML_TEXT_EMBED = 1 << 4,          /* <embed> */
	HTML_TEXT_FRAME = 1 << 5,          /* <frame> or <frameset> */
	HTML_TEXT_PASSWORD_INPUT = 1 << 6, /* <input type=password> */
	HTML_TEXT_EVENT_HANDLER = 1 << 7,  /* an on* attribute (onclick...) */
	HTML_TEXT_META_REFRESH = 1 << 8,   /* <meta http-equiv=refresh> */
	HTML_TEXT_BASE = 1 << 9,           /* <base href> */
	/* An unclosed comment hid the end of the document. */
	HTML_TEXT_UNCLOSED_COMMENT = 1 << 10,
	/* The document ended inside a tag (which was dropped). */
	HTML_TEXT_UNCLOSED_TAG = 1 << 11,
	/* Elements nested deeper than max_depth. */
	HTML_TEXT_DEEP_NESTING = 1 << 12,
	/* An attribute value was longer than max_attribute_value. */
	HTML_TEXT_LONG_ATTRIBUTE = 1 << 13,
	/* Input past max_input was ignored, or text, invisible text or
	 * title did not fit its limit. */
	HTML_TEXT_TRUNCATED = 1 << 14,
};

/* One URI-bearing attribute value. */
struct html_text_uri {
	/* Static lowercase names: "a" and "href", "meta" and "content"
	 * (only the URL part of a refresh is kept) and so on. */
	const char *tag;
	const char *attribute;
	/* Entities decoded, leading and trailing white space removed, at
	 * most max_attribute_value bytes; NUL-terminated, in the arena.
	 * Not validated: may be relative, javascript: or empty. */
	struct string_view value;
};

struct html_text {
	/* Visible text, NUL-terminated (no NUL bytes inside), in the
	 * arena; at most max_text bytes, cut at a UTF-8 boundary. */
	struct string_view text;
	/* Text a reader cannot see (see the top of this file), rendered
	 * the same way; at most max_invisible_text bytes. */
	struct string_view invisible_text;
	/* The text of the <title> elements, white space collapsed; at most
	 * max_title bytes. */
	struct string_view title;
	/* The first <base href>, decoded and trimmed; empty if none. */
	struct string_view base_href;

	/* URI-bearing attribute values, in document order. */
	const struct html_text_uri *uris;
	size_t uri_count;
	size_t uris_dropped; /* past max_uris */

	unsigned int flags; /* enum html_text_flag */

	/* Sizes, for ratio tests. text_bytes and invisible_text_bytes
	 * count everything rendered, also what did not fit the limits
	 * (they equal text.length and invisible_text.length otherwise).
	 * low_contrast_text_bytes counts visible text whose colour is
	 * within HTML_TEXT_LOW_CONTRAST_DISTANCE of its background. */
	size_t input_bytes; /* bytes examined: min(length, max_input) */
	size_t text_bytes;
	size_t invisible_text_bytes;
	size_t low_contrast_text_bytes;

	/* Markup. tag_count counts start and end tags, known or not;
	 * unknown_tag_count those whose name is no HTML element;
	 * unmatched_end_tag_count end tags with no open element to close. */
	size_t tag_count;
	size_t unknown_tag_count;
	size_t unmatched_end_tag_count;
	size_t comment_count;

	/* Obfuscation signals: comments between two letters or digits
	 * ("vi<!-- -->agra"), numeric references that encode an ASCII
	 * letter or digit ("&#86;iagra"), and dropped zero-width
	 * characters. */
	size_t comments_in_words;
	size_t numeric_entity_alnum_count;
	size_t zero_width_count;

	/* <img> elements, and the sum of width * height (pixels, from the
	 * attributes or an inline style) of those that give both. */
	size_t image_count;
	uint64_t image_area;
};

/* Renders the first min(length, max_input) bytes of html (need not be
 * NUL-terminated; may contain NUL bytes, which are dropped). limits may
 * be NULL for all defaults. Everything returned, including the struct,
 * is allocated in arena and lives as long as it. Never fails; never
 * returns NULL. */
struct html_text *html_text_render(struct arena *arena, const char *html,
    size_t length, const struct html_text_limits *limits);

/* Decodes the character references in text[0..length) the way
 * rendering does: named references of the HTML 4 set plus &apos; (with
 * ';', or the legacy names without it; in an attribute not when '=' or
 * a letter or digit follows), decimal and hex numeric ones (128-159
 * read as Windows-1252); a reference that names nothing stays as it is.
 * Nothing else changes (no white space folding, zero-width characters
 * kept). Returns a NUL-terminated copy in arena, never longer than the
 * input, and its length in *length_r. For callers that tokenize HTML
 * themselves (rules/rule_html). */
char *html_text_decode_references(struct arena *arena, const char *text,
    size_t length, bool in_attribute, size_t *length_r);

#endif
