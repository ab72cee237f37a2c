/* rule_eval_body.c: SpamAssassin's BodyEval tests on rendered text:
 * multipart_alternative_difference(_count) (how many words of the HTML
 * alternative the text alternative lacks) and tvd_vertical_words (lines
 * mostly made of spaces). Rendered HTML is HTML.pm's rendering
 * (rules/rule_html), which is what BodyEval compares. */
#include "rules/rule_eval_builtin.h"
#include "rules/rule_html.h"
#include "lib/message.h"

#include <ctype.h>

/* A set of words with counts, in the arena. */
struct word_slot {
	const char *word;
	size_t length;
	unsigned count;
};

struct word_set {
	struct word_slot *slots;
	size_t capacity;	/* power of two */
	size_t count;
};

static uint32_t
word_hash(const char *word, size_t length)
{
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < length; i++)
		hash = (hash ^ (unsigned char)word[i]) * 16777619u;
	return hash;
}

static struct word_slot *
word_find(const struct word_set *set, const char *word, size_t length)
{
	size_t mask, i;

	if (set->capacity == 0)
		return NULL;
	mask = set->capacity - 1;
	for (i = word_hash(word, length) & mask; set->slots[i].word != NULL;
	    i = (i + 1) & mask)
		if (set->slots[i].length == length &&
		    memcmp(set->slots[i].word, word, length) == 0)
			return &set->slots[i];
	return &set->slots[i];
}

static void
word_add(struct arena *arena, struct word_set *set, const char *word,
    size_t length)
{
	struct word_slot *slot;
	size_t i;

	if (2 * (set->count + 1) > set->capacity) {
		struct word_set grown = { NULL, set->capacity == 0 ? 64 :
		    set->capacity * 2, 0 };
		grown.slots = arena_array(arena, grown.capacity,
		    sizeof(*grown.slots));
		for (i = 0; i < set->capacity; i++) {
			if (set->slots[i].word == NULL)
				continue;
			slot = word_find(&grown, set->slots[i].word,
			    set->slots[i].length);
			*slot = set->slots[i];
			grown.count++;
		}
		*set = grown;
	}
	slot = word_find(set, word, length);
	if (slot->word == NULL) {
		slot->word = word;
		slot->length = length;
		set->count++;
	}
	slot->count++;
}

/* Perl's \s on a decoded string, for one UTF-8 character at p. */
static size_t
unicode_space_at(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;

	if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
		return 1;
	if (end - p >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (end - p >= 3 && u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
		return 3;
	if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (end - p >= 3 && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

/* /\w/ on a word: an ASCII letter, digit or '_', or a character past
 * ASCII that is not punctuation of Latin-1 or General Punctuation. */
static bool
has_word_character(const char *word, size_t length)
{
	const unsigned char *u = (const unsigned char *)word;
	size_t i;

	for (i = 0; i < length; i++) {
		if (isalnum(u[i]) || u[i] == '_')
			return true;
		if (u[i] >= 0xc3 && u[i] != 0xe2)
			return true;
		if (u[i] == 0xc2 && i + 1 < length &&
		    (u[i + 1] == 0xaa || u[i + 1] == 0xb5 || u[i + 1] == 0xba))
			return true;
	}
	return false;
}

/* split(/\s+/, $text), keeping words with a word character. */
static void
collect_words(struct arena *arena, struct word_set *set, const char *text,
    size_t length)
{
	const char *p = text, *end, *start;
	size_t n;

	if (length == 0)
		return; /* the text of an empty part may be NULL */
	end = text + length;
	while (p < end) {
		while (p < end && (n = unicode_space_at(p, end)) > 0)
			p += n;
		start = p;
		while (p < end && unicode_space_at(p, end) == 0)
			p++;
		if (p > start && has_word_character(start, (size_t)(p - start)))
			word_add(arena, set, start, (size_t)(p - start));
	}
}

struct alternative_difference {
	double difference;	/* percent of HTML words missing */
	double html_words;
	double text_words;
};

static bool
type_has_prefix_word(const char *type, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(type, prefix, n) == 0 &&
	    !(isalnum((unsigned char)type[n]) || type[n] == '_');
}

/* Message::content_summary() is multipart/alternative, text/html and
 * text/calendar: an invitation, not compared. */
static bool
is_invitation(struct rule_eval_context *context)
{
	const struct message *message = rule_eval_message(context);
	const struct message_part *root = &message->parts[0], *first, *second;

	if (strcmp(rule_eval_mime_part_type(context, root),
	    "multipart/alternative") != 0)
		return false;
	first = message_part_first_child(message, root);
	second = first != NULL ? message_part_next_sibling(message, first) :
	    NULL;
	return first != NULL && second != NULL &&
	    message_part_next_sibling(message, second) == NULL &&
	    first->subtree_end == first->index + 1 &&
	    second->subtree_end == second->index + 1 &&
	    strcmp(rule_eval_mime_part_type(context, first), "text/html") ==
	    0 && strcmp(rule_eval_mime_part_type(context, second),
	    "text/calendar") == 0;
}

/* _multipart_alternative_difference() */
static const struct alternative_difference *
alternative_difference(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_ALTERNATIVE);
	const struct message *message = rule_eval_message(context);
	struct arena *arena = rule_eval_arena(context);
	struct alternative_difference *result = *slot;
	size_t i, j, k, left;

	if (result != NULL)
		return result;
	result = arena_new_type(arena, struct alternative_difference);
	*slot = result;
	if (is_invitation(context))
		return result;
	for (i = 0; i < message->part_count; i++) {
		const struct message_part *alternative = &message->parts[i];
		struct word_set html = { NULL, 0, 0 }, text = { NULL, 0, 0 };
		double original, difference;

		if (!type_has_prefix_word(rule_eval_mime_part_type(context,
		    alternative), "multipart/alternative"))
			continue;
		for (j = alternative->index + 1; j < alternative->subtree_end;
		    j++) {
			const struct message_part *part = &message->parts[j];
			const char *type = rule_eval_mime_part_type(context,
			    part);
			const struct rule_html *rendered;
			if (!type_has_prefix_word(type, "text"))
				continue;
			if (rule_html_file_name(part->filename))
				type = "text/html";
			if (strcmp(type, "text/html") != 0 &&
			    strcmp(type, "text/plain") != 0)
				continue;
			if (strcmp(type, "text/html") == 0) {
				rendered = rule_eval_html_part(context, part);
				if (rendered == NULL)
					continue;
				collect_words(arena, &html, rendered->text.data,
				    rendered->text.length);
				if (html.count == 0 &&
				    rule_html_inside(rendered, "img", NULL))
					word_add(arena, &html, "\n", 1);
			} else {
				collect_words(arena, &text, part->text.data,
				    part->text.length);
			}
		}
		if (html.count == 0)
			continue;
		original = (double)html.count;
		result->html_words = original;
		result->text_words = (double)text.count;
		left = html.count;
		for (k = 0; k < html.capacity; k++) {
			struct word_slot *word = &html.slots[k], *other;
			if (word->word == NULL)
				continue;
			other = word_find(&text, word->word, word->length);
			if (other != NULL && other->word != NULL &&
			    (double)word->count - other->count < 1)
				left--;
		}
		difference = (double)left / original * 100;
		if (difference > result->difference)
			result->difference = difference;
	}
	return result;
}

/* multipart_alternative_difference(MIN, MAX): the share in (MIN, MAX]
 * (MIN 0 includes 0; MAX "undef" is open). */
static unsigned
rule_eval_multipart_alternative_difference(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double difference = alternative_difference(context)->difference;
	double minimum = rule_eval_builtin_number(rule, 0, 0);

	return (minimum == 0 || difference > minimum) &&
	    (rule_eval_builtin_unbounded(rule, 1) ||
	    difference <= rule_eval_builtin_number(rule, 1, 0));
}

/* multipart_alternative_difference_count(RATIO, MINHTML): more than
 * MINHTML HTML words and text words per HTML word above RATIO. */
static unsigned
rule_eval_multipart_alternative_difference_count(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const struct alternative_difference *result =
	    alternative_difference(context);

	if (!(result->html_words > rule_eval_builtin_number(rule, 1, 0)))
		return 0;
	return result->text_words / result->html_words >
	    rule_eval_builtin_number(rule, 0, 0);
}

/* tvd_vertical_words(MIN, MAX): the largest share of spaces in a body
 * line over five bytes long (100 when spaces outnumber the rest), in
 * [MIN, MAX) (a MAX of 100 or more includes 100). */
static unsigned
rule_eval_tvd_vertical_words(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_VERTICAL_WORDS);
	double *value = *slot, maximum = rule_eval_builtin_number(rule, 1, 0);
	const struct string_view *lines;
	size_t count, i, j, spaces;

	if (value == NULL) {
		value = arena_new_type(rule_eval_arena(context), double);
		*value = -1;
		*slot = value;
		lines = rule_eval_body(context, &count);
		for (i = 0; i < count; i++) {
			double share;
			if (lines[i].length <= 5)
				continue;
			for (j = 0, spaces = 0; j < lines[i].length; j++)
				if (lines[i].data[j] == ' ')
					spaces++;
			if (spaces > lines[i].length - spaces ||
			    spaces == lines[i].length)
				share = 100;
			else
				share = (double)(100 * spaces /
				    (lines[i].length - spaces));
			if (share > *value)
				*value = share;
		}
	}
	if (maximum >= 100)
		maximum = 101;
	return *value >= rule_eval_builtin_number(rule, 0, 0) &&
	    *value < maximum;
}

const struct ruleset_eval rule_eval_body_evals[] = {
	{ "multipart_alternative_difference",
	    rule_eval_multipart_alternative_difference },
	{ "multipart_alternative_difference_count",
	    rule_eval_multipart_alternative_difference_count },
	{ "tvd_vertical_words", rule_eval_tvd_vertical_words },
};
const size_t rule_eval_body_eval_count = ARRAY_LENGTH(rule_eval_body_evals);
