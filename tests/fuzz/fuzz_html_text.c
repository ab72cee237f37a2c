/* fuzz_html_text.c: libFuzzer target for lib/html_text (and the
 * uri_extract_html hand-over): any input renders within its limits,
 * never reads outside it, and gives NUL-terminated outputs without NUL
 * bytes inside, valid UTF-8 when the input was.
 *
 * Input layout: octet 0 picks small limits (odd) or the defaults; the
 * rest is the document. */
#include "lib/arena.h"
#include "lib/html_text.h"
#include "lib/uri_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether [p, p + length) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
static bool
valid_utf8(const unsigned char *p, size_t length)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < length) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		if (length - i <= n)
			return false;
		c &= 0x3f >> n;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static void
check_output(struct string_view view, size_t max, bool utf8)
{
	ASSERT(view.length <= max);
	ASSERT(view.data[view.length] == '\0');
	ASSERT(memchr(view.data, '\0', view.length) == NULL);
	ASSERT(!utf8 || valid_utf8((const unsigned char *)view.data,
	    view.length));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_text_limits limits = { 0 }, effective;
	const struct uri_extract_uri *uris;
	struct uri_extract *extract;
	struct html_text *result;
	struct arena *arena;
	size_t i, count;
	bool utf8;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		limits.max_input = 64 + (size_t)(data[0] >> 1) * 64;
		limits.max_text = 1 + data[0] % 37;
		limits.max_invisible_text = 1 + data[0] % 29;
		limits.max_title = 1 + data[0] % 7;
		limits.max_uris = 1 + data[0] % 5;
		limits.max_attribute_value = 1 + data[0] % 41;
		limits.max_depth = 1 + data[0] % 9;
	}
	effective = (struct html_text_limits){
		.max_input = limits.max_input ? limits.max_input :
		    HTML_TEXT_DEFAULT_MAX_INPUT,
		.max_text = limits.max_text ? limits.max_text :
		    HTML_TEXT_DEFAULT_MAX_TEXT,
		.max_invisible_text = limits.max_invisible_text ?
		    limits.max_invisible_text :
		    HTML_TEXT_DEFAULT_MAX_INVISIBLE_TEXT,
		.max_title = limits.max_title ? limits.max_title :
		    HTML_TEXT_DEFAULT_MAX_TITLE,
		.max_uris = limits.max_uris ? limits.max_uris :
		    HTML_TEXT_DEFAULT_MAX_URIS,
		.max_attribute_value = MAX(limits.max_attribute_value ?
		    limits.max_attribute_value :
		    HTML_TEXT_DEFAULT_MAX_ATTRIBUTE_VALUE, 8),
	};
	data++;
	size--;
	utf8 = valid_utf8(data, MIN(size, effective.max_input));
	arena = arena_new("fuzz", 0);
	result = html_text_render(arena, (const char *)data, size, &limits);
	ASSERT(result->input_bytes == MIN(size, effective.max_input));
	check_output(result->text, effective.max_text, utf8);
	check_output(result->invisible_text, effective.max_invisible_text,
	    utf8);
	check_output(result->title, effective.max_title, utf8);
	check_output(result->base_href, effective.max_attribute_value, utf8);
	ASSERT(result->text_bytes >= result->text.length);
	ASSERT(result->invisible_text_bytes >= result->invisible_text.length);
	if (!(result->flags & HTML_TEXT_TRUNCATED)) {
		ASSERT(result->text_bytes == result->text.length);
		ASSERT(result->invisible_text_bytes ==
		    result->invisible_text.length);
	}
	ASSERT(result->low_contrast_text_bytes <= result->text_bytes);
	ASSERT(result->unknown_tag_count <= result->tag_count);
	ASSERT(result->comments_in_words <= result->comment_count);
	ASSERT(result->uri_count <= effective.max_uris);
	for (i = 0; i < result->uri_count; i++) {
		ASSERT(result->uris[i].tag != NULL);
		ASSERT(result->uris[i].attribute != NULL);
		check_output(result->uris[i].value,
		    effective.max_attribute_value, utf8);
	}

	extract = uri_extract_new(arena, NULL);
	uri_extract_html(extract, result);
	uris = uri_extract_uris(extract, &count);
	for (i = 0; i < count; i++) {
		ASSERT(uris[i].host[0] != '\0');
		ASSERT(strlen(uris[i].uri) == uris[i].uri_length);
	}
	arena_free(&arena);
	return 0;
}
