/* rule_replace.c: expand ReplaceTags placeholders in rule patterns. */
#include "rules/rule_replace.h"
#include "lib/buffer.h"
#include "lib/log.h"

#define RULE_REPLACE_PASSES 6

bool
rule_replace_applies(const struct rule_file_settings *settings,
    const char *rule)
{
	size_t i;

	for (i = 0; i < settings->replace_rule_count; i++)
		if (strcmp(settings->replace_rules[i], rule) == 0)
			return true;
	return false;
}

static const char *
rule_replace_lookup(const struct rule_file_settings *settings,
    enum rule_file_replace_kind kind, const char *name, size_t length)
{
	size_t i = settings->replace_tag_count;

	/* The last definition wins. */
	while (i-- > 0) {
		const struct rule_file_replace_tag *tag =
		    settings->replace_tags[i];
		if (tag->kind == kind && strlen(tag->name) == length &&
		    memcmp(tag->name, name, length) == 0)
			return tag->value;
	}
	return NULL;
}

static void
rule_replace_put(struct buffer *out, const char *data, size_t length)
{
	if (buffer_append(out, data, length) < 0)
		log_panic("rule_replace: unbounded buffer refused");
}

/* Removes the first "<KEY NAME>" marker from body; returns NAME's
 * value for kind (NULL when absent or undefined). */
static const char *
rule_replace_take_marker(const struct rule_file_settings *settings,
    struct buffer *body, const char *key, enum rule_file_replace_kind kind)
{
	const char *start = settings->replace_start, *end = settings->replace_end;
	char marker[64];
	const char *text = buffer_string(body), *found, *name, *close;
	size_t marker_length, offset, total;
	const char *value;

	snprintf(marker, sizeof(marker), "%s%s ", start, key);
	marker_length = strlen(marker);
	found = strstr(text, marker);
	if (found == NULL)
		return NULL;
	name = found + marker_length;
	close = strstr(name + 1, end);
	if (close == NULL || close == name)
		return NULL;
	value = rule_replace_lookup(settings, kind, name,
	    (size_t)(close - name));
	/* Cut the marker out of the body. */
	offset = (size_t)(found - text);
	total = (size_t)(close - found) + strlen(end);
	memmove(body->data + offset, body->data + offset + total,
	    body->length - offset - total + 1);
	body->length -= total;
	return value;
}

/* One SpamAssassin pass over body; returns whether to go again. */
static bool
rule_replace_pass(const struct rule_file_settings *settings,
    struct buffer *body)
{
	const char *pre, *post, *inter, *p, *end_of, *tag_end;
	const char *start = settings->replace_start, *end = settings->replace_end;
	struct buffer out;
	bool again = false, previous_was_tag = false, first = true;
	size_t start_length = strlen(start), end_length = strlen(end);

	pre = rule_replace_take_marker(settings, body, "pre",
	    RULE_FILE_REPLACE_PRE);
	post = rule_replace_take_marker(settings, body, "post",
	    RULE_FILE_REPLACE_POST);
	inter = rule_replace_take_marker(settings, body, "inter",
	    RULE_FILE_REPLACE_INTER);
	buffer_init(&out, 0);
	p = buffer_string(body);
	end_of = p + buffer_length(body);
	/* The pieces of Perl's split /(<[^<>]+>)/: text runs and tags. An
	 * empty run (between two tags, or before a leading tag) gets the
	 * inter fragment. */
	while (p < end_of) {
		const char *open = memchr(p, '<', (size_t)(end_of - p));
		const char *close = NULL;

		while (open != NULL) {
			close = open + 1;
			while (close < end_of && *close != '<' && *close != '>')
				close++;
			if (close < end_of && *close == '>' && close > open + 1)
				break;
			open = close < end_of && *close == '<' ?
			    close : NULL;
		}
		if (open == NULL) {
			rule_replace_put(&out, p, (size_t)(end_of - p));
			break;
		}
		if (open > p)
			rule_replace_put(&out, p, (size_t)(open - p));
		else if ((first || previous_was_tag) && inter != NULL)
			rule_replace_put(&out, inter, strlen(inter));
		/* The tag piece [open, close]. */
		tag_end = close + 1;
		if (pre != NULL)
			rule_replace_put(&out, pre, strlen(pre));
		{
			const char *name = open + start_length;
			size_t name_length = (size_t)(tag_end - open) -
			    start_length - end_length;
			const char *value = NULL;

			if (strncmp(open, start, start_length) == 0 &&
			    tag_end - end_length >= name &&
			    strncmp(tag_end - end_length, end, end_length) == 0)
				value = rule_replace_lookup(settings,
				    RULE_FILE_REPLACE_TAG, name, name_length);
			if (value != NULL) {
				rule_replace_put(&out, value, strlen(value));
				if (strchr(value, '<') != NULL &&
				    strchr(value, '>') != NULL)
					again = true;
			} else {
				rule_replace_put(&out, open,
				    (size_t)(tag_end - open));
			}
		}
		if (post != NULL)
			rule_replace_put(&out, post, strlen(post));
		p = tag_end;
		previous_was_tag = true;
		first = false;
		if (p < end_of && *p != '<')
			previous_was_tag = false;
	}
	buffer_reset(body);
	rule_replace_put(body, buffer_string(&out), buffer_length(&out));
	buffer_deinit(&out);
	return again;
}

/* Finds the pattern inside "/.../flags", "m{...}flags", "qr!...!". */
static bool
rule_replace_split(const char *source, size_t *open_r, size_t *close_r)
{
	size_t length = strlen(source), i = 0, close;
	char delimiter, closing;

	if (source[0] == 'm')
		i = 1;
	else if (source[0] == 'q' && source[1] == 'r')
		i = 2;
	if (i >= length)
		return false;
	delimiter = source[i];
	switch (delimiter) {
	case '{':
		closing = '}';
		break;
	case '(':
		closing = ')';
		break;
	case '<':
		closing = '>';
		break;
	case '[':
		closing = ']';
		break;
	default:
		closing = delimiter;
	}
	close = length;
	while (close > i + 1 && source[close - 1] != closing)
		close--;
	if (close <= i + 1)
		return false;
	*open_r = i + 1;
	*close_r = close - 1;
	return true;
}

const char *
rule_replace_expand(struct arena *arena,
    const struct rule_file_settings *settings, const char *source)
{
	struct buffer body;
	size_t open, close, passes = 0;
	const char *result;

	if (!rule_replace_split(source, &open, &close))
		return source;
	buffer_init(&body, 0);
	rule_replace_put(&body, source + open, close - open);
	while (rule_replace_pass(settings, &body) &&
	    ++passes < RULE_REPLACE_PASSES)
		;
	result = arena_printf(arena, "%.*s%s%s", (int)open, source,
	    buffer_string(&body), source + close);
	buffer_deinit(&body);
	return strcmp(result, source) == 0 ? source : result;
}
