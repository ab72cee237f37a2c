/* fuzz_rule_html.c: libFuzzer target for rules/rule_html: any input
 * scans within its limits, never reads outside it, and gives counts
 * that agree with each other and NUL-terminated strings.
 *
 * Input layout: octet 0 picks small limits (odd) or the defaults; the
 * rest is the HTML part. */
#include "lib/arena.h"
#include "rules/rule_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const struct string_view *items, size_t count, size_t max_count,
    size_t max_length)
{
	size_t i;

	ASSERT(count <= max_count);
	for (i = 0; i < count; i++) {
		ASSERT(items[i].length <= max_length);
		ASSERT(items[i].data[items[i].length] == '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_html_limits limits = { 0 };
	size_t max_text = RULE_HTML_DEFAULT_MAX_TEXT;
	size_t max_strings = RULE_HTML_DEFAULT_MAX_STRINGS;
	size_t max_string = RULE_HTML_DEFAULT_MAX_STRING, i;
	const struct rule_html *html;
	struct arena *arena;
	double value;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		limits.max_input = 16 + (size_t)(data[0] >> 1) * 16;
		limits.max_text = max_text = 1 + data[0] % 37;
		limits.max_strings = max_strings = 1 + data[0] % 5;
		limits.max_string = max_string = 1 + data[0] % 11;
	}
	data++;
	size--;
	arena = arena_new("fuzz", 0);
	html = rule_html_scan(arena, (const char *)data, size, &limits);
	ASSERT(html->length <= size);
	ASSERT(html->text.length <= max_text);
	ASSERT(html->text.data[html->text.length] == '\0');
	ASSERT(html->non_space_length <= html->text_length);
	ASSERT(html->elements <= html->tags);
	ASSERT(html->tags_seen <= html->tags);
	ASSERT(html->elements_seen <= html->elements);
	ASSERT(html->closed_extra <= html->tags);
	ASSERT(html->min_size <= 3 && html->max_size >= 3);
	ASSERT(html->image_area >= 0);
	for (i = 0; i < html->inside_count; i++)
		ASSERT(html->inside[i].count >= 0);
	check_list(html->comments, html->comment_count, max_strings,
	    max_string);
	check_list(html->titles, html->title_count, max_strings, max_string);
	check_list(html->scripts, html->script_count, max_strings,
	    max_string);
	ASSERT(html->anchor_count <= max_strings);
	for (i = 0; i < html->anchor_count; i++)
		ASSERT(html->anchors[i].text.length <= max_string);
	if (rule_html_value(html, "bad_tag_ratio", &value))
		ASSERT(value >= 0 && value <= 1);
	if (rule_html_value(html, "closed_extra_ratio", &value))
		ASSERT(value >= 0 && value <= 1);
	arena_free(&arena);
	return 0;
}
