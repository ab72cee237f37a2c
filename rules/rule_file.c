/* rule_file.c: SpamAssassin .cf reader: lines, preprocessor, directives
 * and the merged rule table (see rule_file.h).
 *
 * DESIGN: every file being read (the fed one and each include under it)
 * is an input on a stack, with its own line_reader, line counter and
 * if/else stack, so a block never leaks from an include into its
 * includer (SpamAssassin resets its stack at file boundaries instead; a
 * per-file stack is the same for well-formed files and saner for the
 * rest). An include line reads the whole included file from disk
 * before the including file's next line, which keeps the directive
 * order SpamAssassin has. A line is cleaned (comment removed, "\#"
 * unescaped, white space trimmed) into a scratch buffer, split into
 * keyword and value, and dispatched through a table; the handlers
 * validate and only then allocate a directive in the arena. Rules are
 * merged by name in an open-addressing hash table as directives arrive,
 * so a score before its rule's definition is kept too. */
#include "rules/rule_file.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/error.h"
#include "lib/line_reader.h"
#include "lib/string_set.h"
#include "lib/string_view.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/* Total bytes read through one rule_file (all files and includes): an
 * include graph with shared files can otherwise read a file 2^depth
 * times. */
#define RULE_FILE_BYTES_MAX ((uint64_t)1024 * 1024 * 1024)
#define RULE_FILE_READ_BLOCK 65536
/* Parenthesis nesting and length of an "if" expression. */
#define RULE_FILE_EXPRESSION_DEPTH_MAX 32
/* Printable widths of file names and keywords in diagnostics. */
#define RULE_FILE_PRINT_NAME 200
#define RULE_FILE_PRINT_WORD 64

struct pointer_array {
	void **items;
	size_t count;
	size_t capacity;
};

struct condition_frame {
	unsigned line;
	bool active;       /* lines in the current branch are read */
	bool outer_active; /* lines around the block are read */
	bool condition;
	bool seen_else;
};

struct input {
	const char *name;
	const char *real_path; /* NULL when it does not resolve */
	unsigned depth;
	unsigned line;
	struct line_reader *reader;
	struct condition_frame *frames; /* limits.nesting_max of them */
	unsigned frame_count;
	/* Blocks opened beyond limits.nesting_max: skipped, no frame. */
	unsigned overflow_count;
	bool version_skip; /* require_version did not match */
};

struct rule_entry {
	struct rule_file_rule rule;
	bool listed; /* in rule_file->rules */
};

struct rule_file {
	struct arena *arena;
	struct rule_file_limits limits;
	double version;
	const char *language;
	bool local_tests_only;
	const char **plugins;
	size_t plugin_count;
	const char **features;
	size_t feature_count;

	struct pointer_array inputs;
	struct buffer scratch;
	uint64_t bytes_read;
	bool bytes_exhausted;
	bool directives_exhausted;

	struct pointer_array directives;
	struct pointer_array rules;
	struct pointer_array diagnostics;
	size_t diagnostic_total;

	struct rule_entry **table;
	size_t table_size; /* power of two */
	size_t table_count;

	struct rule_file_settings settings;
	struct pointer_array add_headers;
	struct pointer_array welcomelist_from;
	struct pointer_array replace_tags;
	struct pointer_array replace_rules;
	struct pointer_array blocklist_from;
	struct pointer_array trusted_networks;
	struct pointer_array internal_networks;
	struct pointer_array freemail_domains;
	struct pointer_array freemail_welcomelist;
	/* The same entries as sets (NULL until the first), and the
	 * domain entries with wildcards. */
	struct string_set *freemail_domain_set;
	struct string_set *freemail_welcome_set;
	struct pointer_array freemail_wildcards;
	/* struct named_list, in order of first use, and their public
	 * views (struct rule_file_named_list) in the same order. */
	struct pointer_array named_lists;
	struct pointer_array named_list_views;
	/* struct uri_host_list and their views, likewise. */
	struct pointer_array uri_host_lists;
	struct pointer_array uri_host_list_views;
};

/* A URI host list while it is being read: entries in an array that
 * grows, each host once. */
struct uri_host_list {
	struct rule_file_uri_host_list view;
	struct rule_file_uri_host *hosts;
	size_t count, capacity;
};

/* An enlist_addrlist list while it is being read. */
struct named_list {
	struct rule_file_named_list view;
	struct pointer_array addresses;
};

/* A directive line on its way to a handler. */
struct line_context {
	struct rule_file *rule_file;
	struct input *input;
	const char *keyword; /* as in directive_table */
	int variant;         /* directive_table's, for shared handlers */
	char *value;         /* scratch, NUL-terminated, trimmed */
};

/* Added to a variant for the un* and clear_* forms. */
#define VARIANT_UNDO 0x100

static void pointer_array_push(struct pointer_array *array, void *item);
static int input_feed(struct rule_file *rule_file, struct input *input,
    const unsigned char *data, size_t length);
static void input_finish(struct rule_file *rule_file, struct input *input);
static int read_path(struct rule_file *rule_file, const char *path,
    unsigned depth, const char **error_r);

/* Small helpers. */

static void
pointer_array_push(struct pointer_array *array, void *item)
{
	if (array->count == array->capacity) {
		array->capacity = array->capacity == 0 ? 16 :
		    array->capacity * 2;
		array->items = alloc_resize(array->items, array->capacity,
		    sizeof(*array->items));
	}
	array->items[array->count++] = item;
}

static void
pointer_array_free(struct pointer_array *array)
{
	alloc_free(&array->items);
	array->count = array->capacity = 0;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

static bool
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static char *
skip_space(char *p)
{
	while (is_space((unsigned char)*p))
		p++;
	return p;
}

/* Cuts the next white-space separated word off *cursor: returns it
 * NUL-terminated in place (or NULL at the end) and leaves *cursor at
 * the start of the following word. */
static char *
next_word(char **cursor)
{
	char *start = skip_space(*cursor), *end = start;

	if (*start == '\0')
		return NULL;
	while (*end != '\0' && !is_space((unsigned char)*end))
		end++;
	if (*end != '\0')
		*end++ = '\0';
	*cursor = skip_space(end);
	return start;
}

static bool
strcase_equal(const char *a, const char *b)
{
	return string_view_equal_case(string_view_from_cstring(a),
	    string_view_from_cstring(b));
}

/* SpamAssassin's rule names: [_a-zA-Z][_a-zA-Z0-9]{0,127}. */
static bool
valid_rule_name(const char *name)
{
	size_t i;

	if (name == NULL || (!is_word((unsigned char)name[0]) ||
	    is_digit((unsigned char)name[0])))
		return false;
	for (i = 1; name[i] != '\0'; i++) {
		if (!is_word((unsigned char)name[i]) ||
		    i >= RULE_FILE_NAME_MAX)
			return false;
	}
	return true;
}

/* SpamAssassin's number syntax: -?\d+(\.\d+)? */
static bool
parse_number(const char *text, double *value_r)
{
	const char *p = text;

	if (*p == '-')
		p++;
	if (!is_digit((unsigned char)*p))
		return false;
	while (is_digit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_digit((unsigned char)*p))
			return false;
		while (is_digit((unsigned char)*p))
			p++;
	}
	if (*p != '\0' || p - text > 64)
		return false;
	*value_r = strtod(text, NULL);
	return true;
}

static bool
parse_int(const char *text, long min, long max, long *value_r)
{
	const char *p = text;
	long value = 0;
	bool negative = *p == '-';

	if (negative)
		p++;
	if (!is_digit((unsigned char)*p))
		return false;
	for (; is_digit((unsigned char)*p); p++) {
		if (value > (LONG_MAX - 9) / 10)
			return false;
		value = value * 10 + (*p - '0');
	}
	if (*p != '\0')
		return false;
	if (negative)
		value = -value;
	if (value < min || value > max)
		return false;
	*value_r = value;
	return true;
}

static const char *
printable(const char *text, char *dst, size_t size)
{
	return string_view_printable(string_view_from_cstring(text), dst,
	    size);
}

/* Diagnostics. */

static void diagnose(struct rule_file *rule_file, const char *file,
    unsigned line, enum rule_file_diagnostic_kind kind, const char *fmt,
    ...) ATTR_PRINTF(5, 6);

static void
diagnose(struct rule_file *rule_file, const char *file, unsigned line,
    enum rule_file_diagnostic_kind kind, const char *fmt, ...)
{
	struct rule_file_diagnostic *diagnostic;
	char name[RULE_FILE_PRINT_NAME];
	char *text;
	va_list ap;

	rule_file->diagnostic_total++;
	if (rule_file->diagnostics.count >= rule_file->limits.diagnostics_max)
		return;
	va_start(ap, fmt);
	text = arena_vprintf(rule_file->arena, fmt, ap);
	va_end(ap);
	diagnostic = arena_new_type(rule_file->arena,
	    struct rule_file_diagnostic);
	diagnostic->kind = kind;
	diagnostic->file = file;
	diagnostic->line = line;
	diagnostic->text = text;
	printable(file, name, sizeof(name));
	if (line != 0)
		diagnostic->message = arena_printf(rule_file->arena,
		    "%s:%u: %s", name, line, text);
	else
		diagnostic->message = arena_printf(rule_file->arena, "%s: %s",
		    name, text);
	pointer_array_push(&rule_file->diagnostics, diagnostic);
}

static void line_invalid(const struct line_context *context, const char *fmt,
    ...) ATTR_PRINTF(2, 3);

/* "FILE:LINE: invalid 'score' line: <why> (skipped)" */
static void
line_invalid(const struct line_context *context, const char *fmt, ...)
{
	char reason[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	diagnose(context->rule_file, context->input->name,
	    context->input->line, RULE_FILE_DIAGNOSTIC_INVALID,
	    "invalid '%s' line: %s (skipped)", context->keyword, reason);
}

/* Rule table. */

static uint64_t
name_hash(const char *name)
{
	return string_hash(name, strlen(name));
}

static void
table_grow(struct rule_file *rule_file)
{
	struct rule_entry **old = rule_file->table;
	size_t old_size = rule_file->table_size, i, slot;

	rule_file->table_size = old_size == 0 ? 1024 : old_size * 2;
	rule_file->table = alloc_array(rule_file->table_size,
	    sizeof(*rule_file->table));
	for (i = 0; i < old_size; i++) {
		if (old[i] == NULL)
			continue;
		slot = name_hash(old[i]->rule.name) &
		    (rule_file->table_size - 1);
		while (rule_file->table[slot] != NULL)
			slot = (slot + 1) & (rule_file->table_size - 1);
		rule_file->table[slot] = old[i];
	}
	free(old);
}

static struct rule_entry *
entry_lookup(const struct rule_file *rule_file, const char *name)
{
	size_t slot;

	if (rule_file->table_size == 0)
		return NULL;
	slot = name_hash(name) & (rule_file->table_size - 1);
	while (rule_file->table[slot] != NULL) {
		if (strcmp(rule_file->table[slot]->rule.name, name) == 0)
			return rule_file->table[slot];
		slot = (slot + 1) & (rule_file->table_size - 1);
	}
	return NULL;
}

static struct rule_entry *
entry_get(struct rule_file *rule_file, const char *name)
{
	struct rule_entry *entry = entry_lookup(rule_file, name);
	size_t slot;

	if (entry != NULL)
		return entry;
	/* Keep the load factor at or below one half. */
	if ((rule_file->table_count + 1) * 2 > rule_file->table_size)
		table_grow(rule_file);
	entry = arena_new_type(rule_file->arena, struct rule_entry);
	entry->rule.name = arena_strdup(rule_file->arena, name);
	slot = name_hash(name) & (rule_file->table_size - 1);
	while (rule_file->table[slot] != NULL)
		slot = (slot + 1) & (rule_file->table_size - 1);
	rule_file->table[slot] = entry;
	rule_file->table_count++;
	return entry;
}

/* Directives. */

static struct rule_file_directive *
directive_add(const struct line_context *context,
    enum rule_file_directive_kind kind, const char *rule_name)
{
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_directive *directive;

	directive = arena_new_type(rule_file->arena,
	    struct rule_file_directive);
	directive->kind = kind;
	directive->file = context->input->name;
	directive->line = context->input->line;
	directive->keyword = context->keyword;
	if (rule_name != NULL)
		directive->rule_name = arena_strdup(rule_file->arena,
		    rule_name);
	pointer_array_push(&rule_file->directives, directive);
	return directive;
}

/* Takes the rule name off the value; reports and returns NULL when it
 * is missing or malformed, or when nothing follows it. */
static char *
take_rule_name(const struct line_context *context, char **rest_r)
{
	char *cursor = context->value, *name;
	char shown[RULE_FILE_PRINT_WORD];

	name = next_word(&cursor);
	if (name == NULL) {
		line_invalid(context, "missing rule name");
		return NULL;
	}
	if (!valid_rule_name(name)) {
		line_invalid(context, "invalid rule name '%s'",
		    printable(name, shown, sizeof(shown)));
		return NULL;
	}
	if (*cursor == '\0') {
		line_invalid(context, "missing value after rule name");
		return NULL;
	}
	*rest_r = cursor;
	return name;
}

/* "function(arguments)" with a word for the function name. */
static bool
parse_eval(struct arena *arena, const char *text, struct rule_file_test *test)
{
	const char *open, *close;
	size_t length = strlen(text);

	open = text;
	while (is_word((unsigned char)*open))
		open++;
	if (open == text || *open != '(' || length == 0 ||
	    text[length - 1] != ')')
		return false;
	close = text + length - 1;
	test->form = RULE_FILE_FORM_EVAL;
	test->eval_function = arena_strndup(arena, text, (size_t)(open - text));
	test->eval_arguments = arena_strndup(arena, open + 1,
	    (size_t)(close - open - 1));
	return true;
}

static const struct {
	const char *name;
	unsigned bit;
} header_modifiers[] = {
	{ "raw", RULE_FILE_HEADER_RAW },
	{ "addr", RULE_FILE_HEADER_ADDR },
	{ "name", RULE_FILE_HEADER_NAME },
	{ "host", RULE_FILE_HEADER_HOST },
	{ "domain", RULE_FILE_HEADER_DOMAIN },
	{ "ip", RULE_FILE_HEADER_IP },
	{ "revip", RULE_FILE_HEADER_REVIP },
	{ "first", RULE_FILE_HEADER_FIRST },
	{ "last", RULE_FILE_HEADER_LAST },
};

static bool
is_header_name_byte(unsigned char c)
{
	return is_word(c) || c == '.' || c == '-';
}

/* "Name[:mod[:mod]] =~ /re/flags [if-unset: STRING]" and the "!~"
 * form, as SpamAssassin's add_test accepts them. */
static bool
parse_header_regex(const struct line_context *context, char *text,
    struct rule_file_test *test)
{
	struct arena *arena = context->rule_file->arena;
	char *p = text, *pattern, *end, *unset;
	char shown[RULE_FILE_PRINT_WORD];
	size_t name_length, i, modifier_count = 0;

	while (is_header_name_byte((unsigned char)*p))
		p++;
	name_length = (size_t)(p - text);
	if (name_length == 0) {
		line_invalid(context, "missing header name");
		return false;
	}
	while (*p == ':') {
		char *word = ++p;

		while (*p >= 'a' && *p <= 'z')
			p++;
		if (p == word)
			break; /* "Subject:" is allowed, meaning "Subject" */
		for (i = 0; i < ARRAY_LENGTH(header_modifiers); i++) {
			if (strlen(header_modifiers[i].name) ==
			    (size_t)(p - word) &&
			    memcmp(header_modifiers[i].name, word,
			    (size_t)(p - word)) == 0)
				break;
		}
		if (i == ARRAY_LENGTH(header_modifiers) ||
		    ++modifier_count > 2) {
			*p = '\0';
			line_invalid(context, "invalid header modifier '%s'",
			    printable(word, shown, sizeof(shown)));
			return false;
		}
		test->header_modifiers |= header_modifiers[i].bit;
	}
	p = skip_space(p);
	if ((p[0] != '=' && p[0] != '!') || p[1] != '~') {
		line_invalid(context, "expected '=~' or '!~' after the header "
		    "name");
		return false;
	}
	test->negated = p[0] == '!';
	pattern = skip_space(p + 2);
	/* "[if-unset: STRING]" closes the line, after white space. */
	end = pattern + strlen(pattern);
	unset = strstr(pattern, "[if-unset:");
	if (unset != NULL && unset > pattern &&
	    is_space((unsigned char)unset[-1]) && end[-1] == ']' &&
	    is_space((unsigned char)unset[10])) {
		char *value = skip_space(unset + 10);

		if (value < end - 1) {
			test->if_unset = arena_strndup(arena, value,
			    (size_t)(end - 1 - value));
			while (unset > pattern &&
			    is_space((unsigned char)unset[-1]))
				unset--;
			*unset = '\0';
		}
	}
	if (*pattern == '\0') {
		line_invalid(context, "missing regex");
		return false;
	}
	test->form = RULE_FILE_FORM_REGEX;
	test->header = arena_strndup(arena, text, name_length);
	test->pattern = arena_strdup(arena, pattern);
	return true;
}

/* A test directive for rule name with the given definition text. */
static void
define_test(const struct line_context *context, const char *name,
    const struct rule_file_test *test)
{
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_directive *directive;
	struct rule_entry *entry;

	directive = directive_add(context, RULE_FILE_DIRECTIVE_TEST, name);
	directive->test = *test;
	entry = entry_get(rule_file, name);
	entry->rule.definition = directive;
	if (!entry->listed) {
		entry->listed = true;
		pointer_array_push(&rule_file->rules, &entry->rule);
	}
}

static void
handle_header(const struct line_context *context)
{
	struct arena *arena = context->rule_file->arena;
	struct rule_file_test test = { .type = RULE_FILE_TEST_HEADER };
	char shown[RULE_FILE_PRINT_WORD];
	char *rest, *name, *header;
	size_t length;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	if (strncmp(rest, "eval:", 5) == 0 ||
	    strncmp(rest, "rbleval:", 8) == 0) {
		if (!parse_eval(arena, strchr(rest, ':') + 1, &test)) {
			line_invalid(context, "expected eval:function(...)");
			return;
		}
	} else if (strncmp(rest, "exists:", 7) == 0) {
		header = rest + 7;
		length = strlen(header);
		if (length > 0 && header[length - 1] == ':')
			header[--length] = '\0';
		if (length == 0 || strspn(header, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != length) {
			line_invalid(context, "invalid header name '%s'",
			    printable(header, shown, sizeof(shown)));
			return;
		}
		test.form = RULE_FILE_FORM_EXISTS;
		test.header = arena_strdup(arena, header);
	} else if (!parse_header_regex(context, rest, &test)) {
		return;
	}
	define_test(context, name, &test);
}

/* body, rawbody, full and uri: the variant is the test type. */
static void
handle_pattern_test(const struct line_context *context)
{
	struct arena *arena = context->rule_file->arena;
	struct rule_file_test test = {
		.type = (enum rule_file_test_type)context->variant,
	};
	char *rest, *name;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	if (strncmp(rest, "eval:", 5) == 0) {
		if (!parse_eval(arena, rest + 5, &test)) {
			line_invalid(context, "expected eval:function(...)");
			return;
		}
	} else {
		test.form = RULE_FILE_FORM_REGEX;
		test.pattern = arena_strdup(arena, rest);
	}
	define_test(context, name, &test);
}

static void
handle_meta(const struct line_context *context)
{
	struct rule_file_test test = {
		.type = RULE_FILE_TEST_META,
		.form = RULE_FILE_FORM_META,
	};
	char *rest, *name;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	test.expression = arena_strdup(context->rule_file->arena, rest);
	define_test(context, name, &test);
}

static void
handle_score(const struct line_context *context)
{
	struct rule_file_score score = { .relative = false };
	struct rule_entry *entry;
	struct rule_file_directive *directive;
	char *rest, *name, *word, *words[5];
	char shown[RULE_FILE_PRINT_WORD];
	size_t count = 0, i, length;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	while (count < ARRAY_LENGTH(words) &&
	    (word = next_word(&rest)) != NULL)
		words[count++] = word;
	if (count != 1 && count != 4) {
		line_invalid(context, "expected 1 or 4 scores");
		return;
	}
	for (i = 0; i < count; i++) {
		word = words[i];
		length = strlen(word);
		if (length > 2 && word[0] == '(' && word[length - 1] == ')') {
			score.relative = true;
			word[length - 1] = '\0';
			word++;
		}
		if (!parse_number(word, &score.scores[i])) {
			line_invalid(context, "'%s' is not a number",
			    printable(words[i], shown, sizeof(shown)));
			return;
		}
	}
	for (i = count; i < 4; i++)
		score.scores[i] = score.scores[0];
	entry = entry_lookup(context->rule_file, name);
	if (score.relative && (entry == NULL || !entry->rule.score_set)) {
		line_invalid(context, "relative score without an earlier "
		    "score");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_SCORE, name);
	directive->score = score;
	entry = entry_get(context->rule_file, name);
	for (i = 0; i < 4; i++)
		entry->rule.scores[i] = score.scores[i] +
		    (score.relative ? entry->rule.scores[i] : 0.0);
	entry->rule.score_set = true;
}

static void
handle_describe(const struct line_context *context)
{
	struct rule_file_directive *directive;
	char *rest, *name;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	directive = directive_add(context, RULE_FILE_DIRECTIVE_DESCRIBE, name);
	directive->description = arena_strdup(context->rule_file->arena, rest);
	entry_get(context->rule_file, name)->rule.description =
	    directive->description;
}

static const struct {
	const char *word;
	unsigned bit;
} tflag_words[] = {
	{ "nice", RULE_FILE_TFLAG_NICE },
	{ "multiple", RULE_FILE_TFLAG_MULTIPLE },
	{ "net", RULE_FILE_TFLAG_NET },
	{ "learn", RULE_FILE_TFLAG_LEARN },
	{ "noautolearn", RULE_FILE_TFLAG_NOAUTOLEARN },
	{ "userconf", RULE_FILE_TFLAG_USERCONF },
	{ "autolearn_force", RULE_FILE_TFLAG_AUTOLEARN_FORCE },
	{ "nosubject", RULE_FILE_TFLAG_NOSUBJECT },
};

static void
handle_tflags(const struct line_context *context)
{
	struct arena *arena = context->rule_file->arena;
	struct rule_file_tflags tflags = { .flags = 0 };
	struct rule_file_directive *directive;
	struct pointer_array others = { NULL, 0, 0 };
	char shown[RULE_FILE_PRINT_WORD];
	char *rest, *name, *word;
	long maxhits;
	size_t i;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	while ((word = next_word(&rest)) != NULL) {
		for (i = 0; i < ARRAY_LENGTH(tflag_words); i++) {
			if (strcmp(word, tflag_words[i].word) == 0)
				break;
		}
		if (i < ARRAY_LENGTH(tflag_words)) {
			tflags.flags |= tflag_words[i].bit;
		} else if (strncmp(word, "maxhits=", 8) == 0) {
			if (!parse_int(word + 8, 1, INT_MAX, &maxhits)) {
				line_invalid(context, "bad '%s'",
				    printable(word, shown, sizeof(shown)));
				pointer_array_free(&others);
				return;
			}
			tflags.maxhits = (unsigned)maxhits;
		} else {
			pointer_array_push(&others, arena_strdup(arena, word));
		}
	}
	if (others.count > 0) {
		const char **copy = arena_array(arena, others.count,
		    sizeof(*copy));

		memcpy(copy, others.items, others.count * sizeof(*copy));
		tflags.others = copy;
		tflags.other_count = others.count;
	}
	pointer_array_free(&others);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_TFLAGS, name);
	directive->tflags = tflags;
	entry_get(context->rule_file, name)->rule.tflags = tflags;
}

static void
handle_priority(const struct line_context *context)
{
	struct rule_file_directive *directive;
	char *rest, *name;
	long priority;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	if (!parse_int(rest, INT_MIN, INT_MAX, &priority)) {
		line_invalid(context, "priority is not an integer");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_PRIORITY, name);
	directive->priority = (int)priority;
	entry_get(context->rule_file, name)->rule.priority = (int)priority;
}

static void
handle_action(const struct line_context *context)
{
	struct rule_file_action action = { .kind = RULE_FILE_ACTION_NONE };
	struct rule_file_directive *directive;
	char shown[RULE_FILE_PRINT_WORD];
	char *rest, *name, *word;

	if ((name = take_rule_name(context, &rest)) == NULL)
		return;
	word = next_word(&rest);
	if (strcase_equal(word, "reject"))
		action.kind = RULE_FILE_ACTION_REJECT;
	else if (strcase_equal(word, "quarantine"))
		action.kind = RULE_FILE_ACTION_QUARANTINE;
	else if (strcase_equal(word, "discard"))
		action.kind = RULE_FILE_ACTION_DISCARD;
	else {
		line_invalid(context, "unknown action '%s' (expected reject, "
		    "quarantine or discard)",
		    printable(word, shown, sizeof(shown)));
		return;
	}
	if (*rest != '\0')
		action.reply = arena_strdup(context->rule_file->arena, rest);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ACTION, name);
	directive->action = action;
	entry_get(context->rule_file, name)->rule.action = action;
}

/* Settings. */

static void
settings_sync(struct rule_file *rule_file)
{
	struct rule_file_settings *settings = &rule_file->settings;
	size_t i;

	settings->add_headers = (const struct rule_file_add_header *const *)
	    rule_file->add_headers.items;
	settings->add_header_count = rule_file->add_headers.count;
	settings->welcomelist_from =
	    (const char *const *)rule_file->welcomelist_from.items;
	settings->welcomelist_from_count = rule_file->welcomelist_from.count;
	settings->blocklist_from =
	    (const char *const *)rule_file->blocklist_from.items;
	settings->blocklist_from_count = rule_file->blocklist_from.count;
	settings->trusted_networks =
	    (const char *const *)rule_file->trusted_networks.items;
	settings->trusted_network_count = rule_file->trusted_networks.count;
	settings->internal_networks =
	    (const char *const *)rule_file->internal_networks.items;
	settings->internal_network_count = rule_file->internal_networks.count;
	settings->replace_tags = (const struct rule_file_replace_tag *const *)
	    rule_file->replace_tags.items;
	settings->replace_tag_count = rule_file->replace_tags.count;
	settings->replace_rules =
	    (const char *const *)rule_file->replace_rules.items;
	settings->replace_rule_count = rule_file->replace_rules.count;
	settings->freemail_domains =
	    (const char *const *)rule_file->freemail_domains.items;
	settings->freemail_domain_count = rule_file->freemail_domains.count;
	settings->freemail_welcomelist =
	    (const char *const *)rule_file->freemail_welcomelist.items;
	settings->freemail_welcomelist_count =
	    rule_file->freemail_welcomelist.count;
	settings->freemail_domain_set = rule_file->freemail_domain_set;
	settings->freemail_welcome_set = rule_file->freemail_welcome_set;
	settings->freemail_wildcards =
	    (const char *const *)rule_file->freemail_wildcards.items;
	settings->freemail_wildcard_count = rule_file->freemail_wildcards.count;
	for (i = 0; i < rule_file->named_lists.count; i++) {
		struct named_list *list = rule_file->named_lists.items[i];
		list->view.addresses =
		    (const char *const *)list->addresses.items;
		list->view.address_count = list->addresses.count;
	}
	settings->address_lists = (const struct rule_file_named_list *const *)
	    rule_file->named_list_views.items;
	settings->address_list_count = rule_file->named_list_views.count;
	for (i = 0; i < rule_file->uri_host_lists.count; i++) {
		struct uri_host_list *list = rule_file->uri_host_lists.items[i];
		list->view.hosts = list->hosts;
		list->view.host_count = list->count;
	}
	settings->uri_host_lists =
	    (const struct rule_file_uri_host_list *const *)
	    rule_file->uri_host_list_views.items;
	settings->uri_host_list_count = rule_file->uri_host_list_views.count;
}

/* replace_tag, replace_pre, replace_post, replace_inter NAME VALUE; the
 * value is the rest of the line. */
static void
handle_replace_tag(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_replace_tag *tag;
	char *rest = context->value, *name;

	name = next_word(&rest);
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (name == NULL || *rest == '\0') {
		line_invalid(context, "expected NAME VALUE");
		return;
	}
	tag = arena_new_type(rule_file->arena, struct rule_file_replace_tag);
	tag->kind = (enum rule_file_replace_kind)context->variant;
	tag->name = arena_strdup(rule_file->arena, name);
	tag->value = arena_strdup(rule_file->arena, rest);
	pointer_array_push(&rule_file->replace_tags, tag);
	settings_sync(rule_file);
}

static void
handle_replace_rules(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	char *rest = context->value, *word;

	while ((word = next_word(&rest)) != NULL)
		pointer_array_push(&rule_file->replace_rules,
		    arena_strdup(rule_file->arena, word));
	settings_sync(rule_file);
}

/* replace_start (variant 0) and replace_end (1). */
static void
handle_replace_delimiter(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	char *rest = context->value, *word = next_word(&rest);

	if (word == NULL) {
		line_invalid(context, "expected a delimiter");
		return;
	}
	word = arena_strdup(rule_file->arena, word);
	if (context->variant == 0)
		rule_file->settings.replace_start = word;
	else
		rule_file->settings.replace_end = word;
}

static void
handle_required_score(const struct line_context *context)
{
	struct rule_file_directive *directive;
	double value;

	if (!parse_number(context->value, &value)) {
		line_invalid(context, "expected a number");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_REQUIRED_SCORE,
	    NULL);
	directive->required_score = value;
	context->rule_file->settings.required_score = value;
}

static void
handle_report_safe(const struct line_context *context)
{
	struct rule_file_directive *directive;
	long value;

	if (!parse_int(context->value, 0, 2, &value)) {
		line_invalid(context, "expected 0, 1 or 2");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_REPORT_SAFE,
	    NULL);
	directive->report_safe = (int)value;
	context->rule_file->settings.report_safe = (int)value;
}

static void
handle_add_header(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_add_header header;
	struct rule_file_directive *directive;
	char *rest = context->value, *when, *name;
	size_t i;

	when = next_word(&rest);
	name = next_word(&rest);
	if (when != NULL && strcmp(when, "spam") == 0)
		header.when = RULE_FILE_WHEN_SPAM;
	else if (when != NULL && strcmp(when, "ham") == 0)
		header.when = RULE_FILE_WHEN_HAM;
	else if (when != NULL && strcmp(when, "all") == 0)
		header.when = RULE_FILE_WHEN_ALL;
	else {
		line_invalid(context, "expected spam, ham or all");
		return;
	}
	if (name == NULL || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name)) {
		line_invalid(context, "missing or invalid header name");
		return;
	}
	header.name = arena_strdup(rule_file->arena, name);
	header.value = arena_strdup(rule_file->arena, rest);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ADD_HEADER,
	    NULL);
	directive->add_header = header;
	for (i = 0; i < rule_file->add_headers.count; i++) {
		const struct rule_file_add_header *old =
		    rule_file->add_headers.items[i];

		if (old->when == header.when &&
		    strcase_equal(old->name, header.name)) {
			rule_file->add_headers.items[i] =
			    &directive->add_header;
			break;
		}
	}
	if (i == rule_file->add_headers.count)
		pointer_array_push(&rule_file->add_headers,
		    &directive->add_header);
	settings_sync(rule_file);
}

static void
handle_rewrite_header(const struct line_context *context)
{
	struct rule_file_settings *settings = &context->rule_file->settings;
	struct rule_file_rewrite_header rewrite;
	struct rule_file_directive *directive;
	char *rest = context->value, *field;
	const char *text;

	field = next_word(&rest);
	if (field != NULL && strcase_equal(field, "subject"))
		rewrite.field = RULE_FILE_REWRITE_SUBJECT;
	else if (field != NULL && strcase_equal(field, "from"))
		rewrite.field = RULE_FILE_REWRITE_FROM;
	else if (field != NULL && strcase_equal(field, "to"))
		rewrite.field = RULE_FILE_REWRITE_TO;
	else {
		line_invalid(context, "expected subject, from or to");
		return;
	}
	if (*rest == '\0') {
		line_invalid(context, "missing text");
		return;
	}
	text = arena_strdup(context->rule_file->arena, rest);
	rewrite.text = text;
	directive = directive_add(context, RULE_FILE_DIRECTIVE_REWRITE_HEADER,
	    NULL);
	directive->rewrite_header = rewrite;
	if (rewrite.field == RULE_FILE_REWRITE_SUBJECT)
		settings->rewrite_subject = text;
	else if (rewrite.field == RULE_FILE_REWRITE_FROM)
		settings->rewrite_from = text;
	else
		settings->rewrite_to = text;
}

/* Splits the value into words copied to the arena. Returns the count
 * (0: none, reported as invalid when required). */
static size_t
take_words(const struct line_context *context, const char *const **words_r)
{
	struct arena *arena = context->rule_file->arena;
	struct pointer_array words = { NULL, 0, 0 };
	char *rest = context->value, *word;
	const char **copy;
	size_t count;

	while ((word = next_word(&rest)) != NULL)
		pointer_array_push(&words, arena_strdup(arena, word));
	count = words.count;
	copy = arena_array(arena, count + 1, sizeof(*copy));
	if (count > 0)
		memcpy(copy, words.items, count * sizeof(*copy));
	pointer_array_free(&words);
	*words_r = copy;
	return count;
}

static void
address_list_apply(struct pointer_array *list, const char *address,
    bool remove)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		if (strcase_equal(list->items[i], address))
			break;
	}
	if (remove && i < list->count) {
		memmove(&list->items[i], &list->items[i + 1],
		    (list->count - i - 1) * sizeof(*list->items));
		list->count--;
	} else if (!remove && i == list->count) {
		pointer_array_push(list, (void *)address);
	}
}

/* The variant is the list, with VARIANT_UNDO for the un* forms. */
static void
handle_address_list(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	int kind = context->variant & ~VARIANT_UNDO;
	bool remove = (context->variant & VARIANT_UNDO) != 0;
	struct rule_file_address_list list = {
		.list = (enum rule_file_address_list_kind)kind,
		.remove = remove,
	};
	struct rule_file_directive *directive;
	struct pointer_array *target;
	size_t i;

	list.address_count = take_words(context, &list.addresses);
	if (list.address_count == 0) {
		line_invalid(context, "missing address");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ADDRESS_LIST,
	    NULL);
	directive->address_list = list;
	target = kind == RULE_FILE_LIST_WELCOMELIST_FROM ?
	    &rule_file->welcomelist_from : &rule_file->blocklist_from;
	for (i = 0; i < list.address_count; i++)
		address_list_apply(target, list.addresses[i], remove);
	settings_sync(rule_file);
}

static struct named_list *
named_list_get(struct rule_file *rule_file, const char *name)
{
	struct named_list *list;
	size_t i;

	for (i = 0; i < rule_file->named_lists.count; i++) {
		list = rule_file->named_lists.items[i];
		if (strcmp(list->view.name, name) == 0)
			return list;
	}
	list = arena_new_type(rule_file->arena, struct named_list);
	list->view.name = arena_strdup(rule_file->arena, name);
	pointer_array_push(&rule_file->named_lists, list);
	pointer_array_push(&rule_file->named_list_views, &list->view);
	return list;
}

static void
lowercase_words(const char *const *words, size_t count)
{
	size_t i;
	char *p;

	for (i = 0; i < count; i++)
		for (p = (char *)words[i]; *p != '\0'; p++)
			*p = (char)string_ascii_lower((unsigned char)*p);
}

/* freemail_domains: words of [A-Za-z0-9.*?-] only (FreeMail drops
 * others with a warning). */
static bool
freemail_domain_valid(const char *word)
{
	for (; *word != '\0'; word++)
		if (!isalnum((unsigned char)*word) && strchr(".*?-", *word) ==
		    NULL)
			return false;
	return true;
}

/* freemail_welcomelist: /\w[.@]\w/. */
static bool
freemail_welcome_valid(const char *word)
{
	size_t i;

	for (i = 0; word[i] != '\0' && word[i + 1] != '\0' &&
	    word[i + 2] != '\0'; i++)
		if ((isalnum((unsigned char)word[i]) || word[i] == '_') &&
		    (word[i + 1] == '.' || word[i + 1] == '@') &&
		    (isalnum((unsigned char)word[i + 2]) || word[i + 2] == '_'))
			return true;
	return false;
}

/* freemail_domains, freemail_welcomelist / freemail_whitelist. */
static void
handle_freemail(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	int kind = context->variant;
	struct rule_file_address_list list = {
		.list = (enum rule_file_address_list_kind)kind,
	};
	struct rule_file_directive *directive;
	struct pointer_array *target;
	struct string_set **set;
	char shown[RULE_FILE_PRINT_WORD];
	bool valid;
	size_t i;

	list.address_count = take_words(context, &list.addresses);
	if (list.address_count == 0) {
		line_invalid(context, "missing %s", kind ==
		    RULE_FILE_LIST_FREEMAIL_DOMAINS ? "domain" : "address");
		return;
	}
	lowercase_words(list.addresses, list.address_count);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ADDRESS_LIST,
	    NULL);
	directive->address_list = list;
	target = kind == RULE_FILE_LIST_FREEMAIL_DOMAINS ?
	    &rule_file->freemail_domains : &rule_file->freemail_welcomelist;
	/* The stock lists hold thousands of domains: a set keeps adding
	 * and, later, looking up linear. */
	set = kind == RULE_FILE_LIST_FREEMAIL_DOMAINS ?
	    &rule_file->freemail_domain_set : &rule_file->freemail_welcome_set;
	if (*set == NULL)
		*set = string_set_new(list.address_count);
	for (i = 0; i < list.address_count; i++) {
		valid = kind == RULE_FILE_LIST_FREEMAIL_DOMAINS ?
		    freemail_domain_valid(list.addresses[i]) :
		    freemail_welcome_valid(list.addresses[i]);
		if (!valid) {
			line_invalid(context, "'%s' is not a valid entry",
			    printable(list.addresses[i], shown,
			    sizeof(shown)));
			continue;
		}
		if (!string_set_add(*set, list.addresses[i]))
			continue;
		pointer_array_push(target, (void *)list.addresses[i]);
		if (kind == RULE_FILE_LIST_FREEMAIL_DOMAINS &&
		    strpbrk(list.addresses[i], "*?") != NULL)
			pointer_array_push(&rule_file->freemail_wildcards,
			    (void *)list.addresses[i]);
	}
	settings_sync(rule_file);
}

/* enlist_addrlist (NAME) address ... */
static void
handle_enlist_addrlist(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_address_list list = { .list = RULE_FILE_LIST_NAMED };
	struct rule_file_directive *directive;
	struct line_context rest = *context;
	struct pointer_array *target;
	char *value = context->value, *close;
	size_t i;

	close = value[0] == '(' ? strchr(value + 1, ')') : NULL;
	if (close == NULL || close == value + 1 ||
	    (close[1] != ' ' && close[1] != '\t')) {
		line_invalid(context, "expected (LISTNAME) and addresses");
		return;
	}
	*close = '\0';
	list.name = arena_strdup(rule_file->arena, value + 1);
	rest.value = close + 1;
	list.address_count = take_words(&rest, &list.addresses);
	if (list.address_count == 0) {
		line_invalid(context, "missing address");
		return;
	}
	lowercase_words(list.addresses, list.address_count);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ADDRESS_LIST,
	    NULL);
	directive->address_list = list;
	if (strcmp(list.name, "welcomelist_from") == 0)
		target = &rule_file->welcomelist_from;
	else if (strcmp(list.name, "blocklist_from") == 0)
		target = &rule_file->blocklist_from;
	else
		target = &named_list_get(rule_file, list.name)->addresses;
	for (i = 0; i < list.address_count; i++)
		address_list_apply(target, list.addresses[i], false);
	settings_sync(rule_file);
}

static struct uri_host_list *
uri_host_list_get(struct rule_file *rule_file, const char *name)
{
	struct uri_host_list *list;
	size_t i;

	for (i = 0; i < rule_file->uri_host_lists.count; i++) {
		list = rule_file->uri_host_lists.items[i];
		if (strcmp(list->view.name, name) == 0)
			return list;
	}
	list = arena_new_type(rule_file->arena, struct uri_host_list);
	list->view.name = arena_strdup(rule_file->arena, name);
	pointer_array_push(&rule_file->uri_host_lists, list);
	pointer_array_push(&rule_file->uri_host_list_views, &list->view);
	return list;
}

/* Sets (or with remove, deletes) the entry for host ("!host": not
 * listed). */
static void
uri_host_list_apply(struct rule_file *rule_file, struct uri_host_list *list,
    const char *host, bool remove)
{
	bool listed = host[0] != '!';
	size_t i;

	if (!listed)
		host++;
	for (i = 0; i < list->count; i++)
		if (strcmp(list->hosts[i].host, host) == 0)
			break;
	if (remove) {
		if (i < list->count) {
			memmove(&list->hosts[i], &list->hosts[i + 1],
			    (list->count - i - 1) * sizeof(*list->hosts));
			list->count--;
		}
		return;
	}
	if (i == list->count) {
		if (list->count == list->capacity) {
			struct rule_file_uri_host *grown;
			list->capacity = list->capacity == 0 ? 16 :
			    list->capacity * 2;
			grown = arena_array(rule_file->arena, list->capacity,
			    sizeof(*grown));
			if (list->count > 0)
				memcpy(grown, list->hosts,
				    list->count * sizeof(*grown));
			list->hosts = grown;
		}
		list->hosts[list->count++].host = host;
	}
	list->hosts[i].listed = listed;
}

/* enlist_uri_host (NAME) hosts, delist_uri_host [(NAME)] hosts, and
 * the BLOCK / WELCOME shorthands; the variant names the list for the
 * shorthands (NULL: given in the line). */
static void
handle_uri_hosts(const struct line_context *context)
{
	static const char *const shorthand[] = { NULL, "BLOCK", "WELCOME" };
	struct rule_file *rule_file = context->rule_file;
	int kind = context->variant & ~VARIANT_UNDO;
	struct rule_file_uri_host_line line = {
		.name = shorthand[kind],
		.remove = (context->variant & VARIANT_UNDO) != 0,
	};
	struct rule_file_directive *directive;
	struct line_context rest = *context;
	char *value = context->value, *close;
	size_t i, j;

	if (kind == 0 && value[0] == '(') {
		close = strchr(value + 1, ')');
		if (close == NULL || close == value + 1 ||
		    (close[1] != ' ' && close[1] != '\t')) {
			line_invalid(context, "expected (LISTNAME) and hosts");
			return;
		}
		*close = '\0';
		line.name = arena_strdup(rule_file->arena, value + 1);
		rest.value = close + 1;
	} else if (kind == 0 && !line.remove) {
		line_invalid(context, "expected (LISTNAME) and hosts");
		return;
	}
	line.host_count = take_words(&rest, &line.hosts);
	if (line.host_count == 0) {
		line_invalid(context, "missing host");
		return;
	}
	lowercase_words(line.hosts, line.host_count);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_URI_HOSTS,
	    NULL);
	directive->uri_hosts = line;
	if (line.name != NULL) {
		struct uri_host_list *list = line.remove ?
		    NULL : uri_host_list_get(rule_file, line.name);
		for (i = 0; list == NULL && i < rule_file->uri_host_lists.count;
		    i++) {
			struct uri_host_list *candidate =
			    rule_file->uri_host_lists.items[i];
			if (strcmp(candidate->view.name, line.name) == 0)
				list = candidate;
		}
		for (j = 0; list != NULL && j < line.host_count; j++)
			uri_host_list_apply(rule_file, list, line.hosts[j],
			    line.remove);
	} else {
		for (i = 0; i < rule_file->uri_host_lists.count; i++)
			for (j = 0; j < line.host_count; j++)
				uri_host_list_apply(rule_file,
				    rule_file->uri_host_lists.items[i],
				    line.hosts[j], true);
	}
	settings_sync(rule_file);
}

/* welcomelist_subject / whitelist_subject and blocklist_subject /
 * blacklist_subject: the whole value, lowercased, is one pattern, kept
 * in the named list of the variant's name. */
static void
handle_subject_list(const struct line_context *context)
{
	static const char *const names[] = { "welcomelist_subject",
		"blocklist_subject" };
	struct rule_file *rule_file = context->rule_file;
	struct rule_file_address_list list = { .list = RULE_FILE_LIST_NAMED };
	struct rule_file_directive *directive;
	const char **pattern;

	if (context->value[0] == '\0') {
		line_invalid(context, "missing subject");
		return;
	}
	pattern = arena_array(rule_file->arena, 2, sizeof(*pattern));
	pattern[0] = arena_strdup(rule_file->arena, context->value);
	list.name = names[context->variant];
	list.addresses = pattern;
	list.address_count = 1;
	lowercase_words(list.addresses, 1);
	directive = directive_add(context, RULE_FILE_DIRECTIVE_ADDRESS_LIST,
	    NULL);
	directive->address_list = list;
	address_list_apply(&named_list_get(rule_file, list.name)->addresses,
	    pattern[0], false);
	settings_sync(rule_file);
}

/* ok_locales: the last line wins. */
static void
handle_ok_locales(const struct line_context *context)
{
	struct rule_file_directive *directive;

	if (context->value[0] == '\0') {
		line_invalid(context, "missing locale");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_OK_LOCALES,
	    NULL);
	directive->ok_locales = arena_strdup(context->rule_file->arena,
	    context->value);
	context->rule_file->settings.ok_locales = directive->ok_locales;
}

/* The variant is the set, with VARIANT_UNDO for the clear_* forms. */
static void
handle_networks(const struct line_context *context)
{
	struct rule_file *rule_file = context->rule_file;
	int kind = context->variant & ~VARIANT_UNDO;
	bool clear = (context->variant & VARIANT_UNDO) != 0;
	struct rule_file_networks networks = {
		.networks = (enum rule_file_networks_kind)kind,
		.clear = clear,
	};
	struct rule_file_directive *directive;
	struct pointer_array *target;
	size_t i;

	networks.entry_count = take_words(context, &networks.entries);
	if (clear && networks.entry_count > 0) {
		line_invalid(context, "takes no value");
		return;
	}
	if (!clear && networks.entry_count == 0) {
		line_invalid(context, "missing network");
		return;
	}
	directive = directive_add(context, RULE_FILE_DIRECTIVE_NETWORKS, NULL);
	directive->networks = networks;
	target = kind == RULE_FILE_NETWORKS_TRUSTED ?
	    &rule_file->trusted_networks : &rule_file->internal_networks;
	if (clear)
		target->count = 0;
	for (i = 0; i < networks.entry_count; i++)
		pointer_array_push(target, (void *)networks.entries[i]);
	settings_sync(rule_file);
}

/* loadplugin and tryplugin: which plugins count as loaded is the
 * caller's choice (options), since sluice runs no Perl. */
static void
handle_ignored(const struct line_context *context)
{
	(void)context;
}

#define WELCOME RULE_FILE_LIST_WELCOMELIST_FROM
#define BLOCK RULE_FILE_LIST_BLOCKLIST_FROM
#define TRUSTED RULE_FILE_NETWORKS_TRUSTED
#define INTERNAL RULE_FILE_NETWORKS_INTERNAL

static const struct {
	const char *keyword;
	void (*handle)(const struct line_context *context);
	int variant;
} directive_table[] = {
	{ "header", handle_header, 0 },
	{ "body", handle_pattern_test, RULE_FILE_TEST_BODY },
	{ "rawbody", handle_pattern_test, RULE_FILE_TEST_RAWBODY },
	{ "full", handle_pattern_test, RULE_FILE_TEST_FULL },
	{ "uri", handle_pattern_test, RULE_FILE_TEST_URI },
	{ "meta", handle_meta, 0 },
	{ "score", handle_score, 0 },
	{ "describe", handle_describe, 0 },
	{ "tflags", handle_tflags, 0 },
	{ "priority", handle_priority, 0 },
	{ "action", handle_action, 0 },
	{ "required_score", handle_required_score, 0 },
	{ "required_hits", handle_required_score, 0 },
	{ "add_header", handle_add_header, 0 },
	{ "rewrite_header", handle_rewrite_header, 0 },
	{ "report_safe", handle_report_safe, 0 },
	{ "welcomelist_from", handle_address_list, WELCOME },
	{ "whitelist_from", handle_address_list, WELCOME },
	{ "unwelcomelist_from", handle_address_list, WELCOME | VARIANT_UNDO },
	{ "unwhitelist_from", handle_address_list, WELCOME | VARIANT_UNDO },
	{ "blocklist_from", handle_address_list, BLOCK },
	{ "blacklist_from", handle_address_list, BLOCK },
	{ "unblocklist_from", handle_address_list, BLOCK | VARIANT_UNDO },
	{ "unblacklist_from", handle_address_list, BLOCK | VARIANT_UNDO },
	{ "trusted_networks", handle_networks, TRUSTED },
	{ "clear_trusted_networks", handle_networks, TRUSTED | VARIANT_UNDO },
	{ "internal_networks", handle_networks, INTERNAL },
	{ "clear_internal_networks", handle_networks,
	    INTERNAL | VARIANT_UNDO },
	{ "replace_tag", handle_replace_tag, RULE_FILE_REPLACE_TAG },
	{ "replace_pre", handle_replace_tag, RULE_FILE_REPLACE_PRE },
	{ "replace_post", handle_replace_tag, RULE_FILE_REPLACE_POST },
	{ "replace_inter", handle_replace_tag, RULE_FILE_REPLACE_INTER },
	{ "replace_rules", handle_replace_rules, 0 },
	{ "replace_start", handle_replace_delimiter, 0 },
	{ "replace_end", handle_replace_delimiter, 1 },
	{ "freemail_domains", handle_freemail,
	    RULE_FILE_LIST_FREEMAIL_DOMAINS },
	{ "freemail_welcomelist", handle_freemail,
	    RULE_FILE_LIST_FREEMAIL_WELCOMELIST },
	{ "freemail_whitelist", handle_freemail,
	    RULE_FILE_LIST_FREEMAIL_WELCOMELIST },
	{ "enlist_addrlist", handle_enlist_addrlist, 0 },
	{ "ok_locales", handle_ok_locales, 0 },
	{ "welcomelist_subject", handle_subject_list, 0 },
	{ "whitelist_subject", handle_subject_list, 0 },
	{ "blocklist_subject", handle_subject_list, 1 },
	{ "blacklist_subject", handle_subject_list, 1 },
	{ "enlist_uri_host", handle_uri_hosts, 0 },
	{ "delist_uri_host", handle_uri_hosts, VARIANT_UNDO },
	{ "blocklist_uri_host", handle_uri_hosts, 1 },
	{ "blacklist_uri_host", handle_uri_hosts, 1 },
	{ "welcomelist_uri_host", handle_uri_hosts, 2 },
	{ "whitelist_uri_host", handle_uri_hosts, 2 },
	{ "loadplugin", handle_ignored, 0 },
	{ "tryplugin", handle_ignored, 0 },
};

#undef WELCOME
#undef BLOCK
#undef TRUSTED
#undef INTERNAL

/* "if" expressions: a small evaluator for the subset SpamAssassin's
 * conditionals use. Grammar, loosest first (Perl's precedence):
 *   or := and ('||' and)*      and := eq ('&&' eq)*
 *   eq := rel (('=='|'!=') rel)*    rel := add (('<'|'<='|'>'|'>=') add)*
 *   add := mul (('+'|'-') mul)*     mul := unary (('*'|'/') unary)*
 *   unary := ('!'|'-'|'+') unary | primary
 *   primary := number | version | perl_version | local_tests_only
 *            | (plugin|can|has) '(' Name ')' | '(' or ')'
 * Values are numbers; true is non-zero. */

struct expression {
	const struct rule_file *rule_file;
	const char *p;
	unsigned depth;
	const char *error;
	char error_text[160];
};

static void expression_fail(struct expression *e, const char *fmt, ...)
    ATTR_PRINTF(2, 3);

static void
expression_fail(struct expression *e, const char *fmt, ...)
{
	va_list ap;

	if (e->error != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->error_text, sizeof(e->error_text), fmt, ap);
	va_end(ap);
	e->error = e->error_text;
}

static void
expression_skip_space(struct expression *e)
{
	while (is_space((unsigned char)*e->p))
		e->p++;
}

/* Consumes token if the input continues with it. */
static bool
expression_accept(struct expression *e, const char *token)
{
	size_t length = strlen(token);

	expression_skip_space(e);
	if (strncmp(e->p, token, length) != 0)
		return false;
	/* Do not take "<" from "<=", "!" from "!=", "=" never alone. */
	if (length == 1 && (token[0] == '<' || token[0] == '>' ||
	    token[0] == '!') && e->p[1] == '=')
		return false;
	e->p += length;
	return true;
}

static double expression_or(struct expression *e);

static const char *
plugin_alias(const char *name)
{
	/* Renamed plugins SpamAssassin still answers to. */
	if (strcmp(name, "Mail::SpamAssassin::Plugin::Dmarc") == 0)
		return "Mail::SpamAssassin::Plugin::DMARC";
	if (strcmp(name, "Mail::SpamAssassin::Plugin::WhiteListSubject") == 0)
		return "Mail::SpamAssassin::Plugin::WelcomeListSubject";
	return name;
}

static bool
name_in(const char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

static bool
plugin_loaded(const struct rule_file *rule_file, const char *name)
{
	return name_in(rule_file->plugins, rule_file->plugin_count,
	    plugin_alias(name));
}

/* "(Name::Of::Thing)" after plugin/can/has. */
static double
expression_call(struct expression *e, const char *function)
{
	char name[256];
	size_t length = 0;
	bool found;

	if (!expression_accept(e, "(")) {
		expression_fail(e, "expected '(' after %s", function);
		return 0;
	}
	expression_skip_space(e);
	while (is_word((unsigned char)e->p[length]) || e->p[length] == ':')
		length++;
	if (length == 0 || length >= sizeof(name)) {
		expression_fail(e, "expected a name in %s()", function);
		return 0;
	}
	memcpy(name, e->p, length);
	name[length] = '\0';
	e->p += length;
	if (!expression_accept(e, ")")) {
		expression_fail(e, "expected ')' after %s(%.60s", function,
		    name);
		return 0;
	}
	if (strcmp(function, "plugin") == 0)
		found = plugin_loaded(e->rule_file, name);
	else
		found = name_in(e->rule_file->features,
		    e->rule_file->feature_count, name);
	return found ? 1 : 0;
}

static double
expression_primary(struct expression *e)
{
	char word[32];
	size_t length = 0;
	double value;

	expression_skip_space(e);
	if (expression_accept(e, "(")) {
		if (++e->depth > RULE_FILE_EXPRESSION_DEPTH_MAX) {
			expression_fail(e, "nested too deeply");
			return 0;
		}
		value = expression_or(e);
		e->depth--;
		if (!expression_accept(e, ")"))
			expression_fail(e, "missing ')'");
		return value;
	}
	if (is_digit((unsigned char)*e->p) || *e->p == '.') {
		char *end;

		while (is_digit((unsigned char)e->p[length]) ||
		    e->p[length] == '.')
			length++;
		if (length >= sizeof(word)) {
			expression_fail(e, "number too long");
			return 0;
		}
		memcpy(word, e->p, length);
		word[length] = '\0';
		value = strtod(word, &end);
		if (*end != '\0') {
			expression_fail(e, "bad number '%s'", word);
			return 0;
		}
		e->p += length;
		return value;
	}
	while (is_word((unsigned char)e->p[length]) || e->p[length] == ':')
		length++;
	if (length == 0) {
		expression_fail(e, "unexpected '%.20s'", e->p);
		return 0;
	}
	if (length >= sizeof(word)) {
		expression_fail(e, "unknown word '%.*s'", (int)MIN(length, 60),
		    e->p);
		return 0;
	}
	memcpy(word, e->p, length);
	word[length] = '\0';
	e->p += length;
	if (strcmp(word, "version") == 0)
		return e->rule_file->version;
	if (strcmp(word, "perl_version") == 0)
		return 5.036000; /* Debian 12's perl; rules only compare */
	if (strcmp(word, "local_tests_only") == 0)
		return e->rule_file->local_tests_only ? 1 : 0;
	if (strcmp(word, "plugin") == 0 || strcmp(word, "can") == 0 ||
	    strcmp(word, "has") == 0)
		return expression_call(e, word);
	expression_fail(e, "unknown word '%s'", word);
	return 0;
}

static double
expression_unary(struct expression *e)
{
	double value;

	if (++e->depth > RULE_FILE_EXPRESSION_DEPTH_MAX) {
		expression_fail(e, "nested too deeply");
		return 0;
	}
	if (expression_accept(e, "!"))
		value = expression_unary(e) == 0 ? 1 : 0;
	else if (expression_accept(e, "-"))
		value = -expression_unary(e);
	else if (expression_accept(e, "+"))
		value = expression_unary(e);
	else
		value = expression_primary(e);
	e->depth--;
	return value;
}

static double
expression_multiply(struct expression *e)
{
	double value = expression_unary(e), right;

	for (;;) {
		if (expression_accept(e, "*")) {
			value *= expression_unary(e);
		} else if (expression_accept(e, "/")) {
			right = expression_unary(e);
			if (right == 0) {
				expression_fail(e, "division by zero");
				return 0;
			}
			value /= right;
		} else {
			return value;
		}
	}
}

static double
expression_add(struct expression *e)
{
	double value = expression_multiply(e);

	for (;;) {
		if (expression_accept(e, "+"))
			value += expression_multiply(e);
		else if (expression_accept(e, "-"))
			value -= expression_multiply(e);
		else
			return value;
	}
}

static double
expression_relation(struct expression *e)
{
	double value = expression_add(e), right;

	for (;;) {
		if (expression_accept(e, "<=")) {
			right = expression_add(e);
			value = value <= right;
		} else if (expression_accept(e, ">=")) {
			right = expression_add(e);
			value = value >= right;
		} else if (expression_accept(e, "<")) {
			right = expression_add(e);
			value = value < right;
		} else if (expression_accept(e, ">")) {
			right = expression_add(e);
			value = value > right;
		} else {
			return value;
		}
	}
}

static double
expression_equality(struct expression *e)
{
	double value = expression_relation(e), right;

	for (;;) {
		if (expression_accept(e, "==")) {
			right = expression_relation(e);
			value = value == right;
		} else if (expression_accept(e, "!=")) {
			right = expression_relation(e);
			value = value != right;
		} else {
			return value;
		}
	}
}

static double
expression_and(struct expression *e)
{
	double value = expression_equality(e), right;

	while (expression_accept(e, "&&")) {
		right = expression_equality(e);
		value = value != 0 && right != 0;
	}
	return value;
}

static double
expression_or(struct expression *e)
{
	double value = expression_and(e), right;

	while (expression_accept(e, "||")) {
		right = expression_and(e);
		value = value != 0 || right != 0;
	}
	return value;
}

/* Evaluates text; returns 1 (true), 0 (false) or -1 with *error_r. */
static int
expression_evaluate(const struct rule_file *rule_file, const char *text,
    const char **error_r)
{
	struct expression e = { .rule_file = rule_file, .p = text };
	double value;

	value = expression_or(&e);
	expression_skip_space(&e);
	if (e.error == NULL && *e.p != '\0')
		expression_fail(&e, "unexpected '%.20s'", e.p);
	if (e.error != NULL) {
		*error_r = error_set("%s", e.error);
		return -1;
	}
	return value != 0;
}

/* Preprocessor. */

static bool
input_active(const struct input *input)
{
	return !input->version_skip && input->overflow_count == 0 &&
	    (input->frame_count == 0 ||
	    input->frames[input->frame_count - 1].active);
}

static void
condition_push(struct rule_file *rule_file, struct input *input,
    const char *keyword, const char *text)
{
	struct condition_frame *frame;
	bool outer = input_active(input), condition = false;
	const char *error;
	char shown[80], reason[120];
	int ret;

	if (input->frame_count >= rule_file->limits.nesting_max) {
		if (input->overflow_count++ == 0)
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "'%s' nested "
			    "deeper than %u: the block is skipped", keyword,
			    rule_file->limits.nesting_max);
		return;
	}
	if (outer) {
		ret = expression_evaluate(rule_file, text, &error);
		if (ret < 0)
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "invalid '%s' "
			    "condition '%s': %s (taken as false)", keyword,
			    printable(text, shown, sizeof(shown)),
			    printable(error, reason, sizeof(reason)));
		condition = ret == 1;
	}
	if (input->frames == NULL)
		input->frames = alloc_array(rule_file->limits.nesting_max,
		    sizeof(*input->frames));
	frame = &input->frames[input->frame_count++];
	frame->line = input->line;
	frame->outer_active = outer;
	frame->condition = condition;
	frame->active = outer && condition;
	frame->seen_else = false;
}

/* Handles if/ifplugin/else/endif/include/require_version. Returns true
 * when keyword was one of them. */
static bool
preprocess(struct rule_file *rule_file, struct input *input,
    const char *keyword, char *value)
{
	struct condition_frame *frame;
	char *text;

	if (strcmp(keyword, "if") == 0 || strcmp(keyword, "ifplugin") == 0) {
		if (*value == '\0') {
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "missing '%s' "
			    "condition (block skipped)", keyword);
			condition_push(rule_file, input, keyword, "0");
			return true;
		}
		if (strcmp(keyword, "ifplugin") == 0) {
			text = arena_printf(rule_file->arena, "plugin(%s)",
			    value);
			condition_push(rule_file, input, keyword, text);
		} else {
			condition_push(rule_file, input, keyword, value);
		}
		return true;
	}
	if (strcmp(keyword, "else") == 0 || strcmp(keyword, "endif") == 0) {
		if (*value != '\0') {
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "'%s' must stand "
			    "alone (ignored)", keyword);
			return true;
		}
		if (input->overflow_count > 0) {
			if (strcmp(keyword, "endif") == 0)
				input->overflow_count--;
			return true;
		}
		if (input->frame_count == 0) {
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "'%s' without 'if'"
			    " (ignored)", keyword);
			return true;
		}
		frame = &input->frames[input->frame_count - 1];
		if (strcmp(keyword, "endif") == 0) {
			input->frame_count--;
		} else if (frame->seen_else) {
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "second 'else' "
			    "for the 'if' on line %u (ignored)", frame->line);
		} else {
			frame->seen_else = true;
			frame->active = frame->outer_active &&
			    !frame->condition;
		}
		return true;
	}
	if (!input_active(input))
		return strcmp(keyword, "include") == 0 ||
		    strcmp(keyword, "require_version") == 0;
	if (strcmp(keyword, "require_version") == 0) {
		double wanted;

		if (strcmp(value, "@@VERSION@@") == 0)
			return true; /* not substituted at install: current */
		if (!parse_number(value, &wanted) ||
		    wanted != rule_file->version) {
			char shown[40];

			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "file requires "
			    "version %s, this is %.6f: rest of file skipped",
			    printable(value, shown, sizeof(shown)),
			    rule_file->version);
			input->version_skip = true;
		}
		return true;
	}
	if (strcmp(keyword, "include") == 0) {
		char *path;
		const char *slash, *error;

		if (*value == '\0') {
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_INVALID, "invalid 'include' "
			    "line: missing file name (skipped)");
			return true;
		}
		slash = strrchr(input->name, '/');
		if (value[0] == '/' || slash == NULL)
			path = arena_strdup(rule_file->arena, value);
		else
			path = arena_printf(rule_file->arena, "%.*s/%s",
			    (int)(slash - input->name), input->name, value);
		if (read_path(rule_file, path, input->depth + 1, &error) < 0)
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "include: %s "
			    "(skipped)", error);
		return true;
	}
	return false;
}

/* Lines. */

/* Copies line into the scratch buffer without its comment, with "\#"
 * unescaped and white space trimmed. Returns the text (in scratch). */
static char *
clean_line(struct rule_file *rule_file, struct string_view line)
{
	struct buffer *scratch = &rule_file->scratch;
	size_t i, end = line.length;
	char *text, *start;

	for (i = 0; i < line.length; i++) {
		if (line.data[i] == '#' &&
		    (i == 0 || line.data[i - 1] != '\\')) {
			end = i;
			break;
		}
	}
	buffer_reset(scratch);
	for (i = 0; i < end; i++) {
		if (line.data[i] == '\\' && i + 1 < end &&
		    line.data[i + 1] == '#')
			continue;
		/* The scratch buffer is uncapped; lines are bounded by the
		 * line reader. */
		if (buffer_append(scratch, &line.data[i], 1) != 0)
			log_panic("rule_file: scratch buffer is capped");
	}
	text = (char *)buffer_data(scratch);
	if (text == NULL)
		return (char *)"";
	end = buffer_length(scratch);
	while (end > 0 && is_space((unsigned char)text[end - 1]))
		end--;
	text[end] = '\0';
	start = skip_space(text);
	return start;
}

/* "lang xx rest": true with *line_r at rest when the line applies. */
static bool
language_applies(const struct rule_file *rule_file, char **line_r)
{
	char *cursor = *line_r + 4, *language;
	size_t length;

	if (!is_space((unsigned char)*cursor))
		return true; /* a keyword such as "language", not "lang" */
	language = next_word(&cursor);
	if (language == NULL || *cursor == '\0')
		return true; /* "lang xx" with nothing after it: unknown */
	length = strlen(language);
	if (strlen(rule_file->language) < length ||
	    !string_view_equal_case(string_view_make(rule_file->language,
	    length), string_view_make(language, length)))
		return false;
	*line_r = cursor;
	return true;
}

static void
process_line(struct rule_file *rule_file, struct input *input,
    struct string_view line, unsigned flags)
{
	struct line_context context;
	char shown[RULE_FILE_PRINT_WORD];
	char *text, *keyword, *p;
	size_t i;

	if ((flags & LINE_READER_HAS_NUL) != 0) {
		diagnose(rule_file, input->name, input->line,
		    RULE_FILE_DIAGNOSTIC_STRUCTURE, "NUL byte in line "
		    "(skipped)");
		return;
	}
	text = clean_line(rule_file, line);
	if (*text == '\0')
		return;
	if (strncmp(text, "lang", 4) == 0 &&
	    !language_applies(rule_file, &text))
		return;
	keyword = next_word(&text);
	for (p = keyword; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)string_ascii_lower(*p);
	if (preprocess(rule_file, input, keyword, text))
		return;
	if (!input_active(input))
		return;
	for (i = 0; i < ARRAY_LENGTH(directive_table); i++) {
		if (strcmp(directive_table[i].keyword, keyword) == 0)
			break;
	}
	if (i == ARRAY_LENGTH(directive_table)) {
		diagnose(rule_file, input->name, input->line,
		    RULE_FILE_DIAGNOSTIC_UNKNOWN,
		    "unknown directive '%s' (skipped)",
		    printable(keyword, shown, sizeof(shown)));
		return;
	}
	if (rule_file->directives.count >= rule_file->limits.directives_max) {
		if (!rule_file->directives_exhausted)
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "more than %zu "
			    "directives: this and later ones are dropped",
			    rule_file->limits.directives_max);
		rule_file->directives_exhausted = true;
		return;
	}
	context.rule_file = rule_file;
	context.input = input;
	context.keyword = directive_table[i].keyword;
	context.variant = directive_table[i].variant;
	context.value = text;
	directive_table[i].handle(&context);
}

static int
input_feed(struct rule_file *rule_file, struct input *input,
    const unsigned char *data, size_t length)
{
	struct string_view line;
	size_t consumed;
	unsigned flags;
	int ret;

	if (rule_file->bytes_exhausted)
		return 0;
	if (length > RULE_FILE_BYTES_MAX - rule_file->bytes_read) {
		rule_file->bytes_exhausted = true;
		diagnose(rule_file, input->name, input->line,
		    RULE_FILE_DIAGNOSTIC_STRUCTURE, "more than %llu bytes "
		    "read in all: the rest is ignored",
		    (unsigned long long)RULE_FILE_BYTES_MAX);
		return 0;
	}
	rule_file->bytes_read += length;
	while (length > 0) {
		ret = line_reader_next(input->reader, data, length, &consumed,
		    &line, &flags);
		data += consumed;
		length -= consumed;
		if (ret == 0)
			break;
		input->line++;
		if (ret < 0)
			diagnose(rule_file, input->name, input->line,
			    RULE_FILE_DIAGNOSTIC_STRUCTURE, "line longer than "
			    "%zu bytes (skipped)", rule_file->limits.line_max);
		else
			process_line(rule_file, input, line, flags);
	}
	return 0;
}

static struct input *
input_push(struct rule_file *rule_file, const char *name, unsigned depth)
{
	struct input *input = alloc_new(struct input);
	char resolved[PATH_MAX];

	input->name = arena_strdup(rule_file->arena, name);
	if (realpath(name, resolved) != NULL)
		input->real_path = arena_strdup(rule_file->arena, resolved);
	input->depth = depth;
	input->reader = line_reader_new(rule_file->limits.line_max);
	pointer_array_push(&rule_file->inputs, input);
	return input;
}

/* Pops input, the innermost file, without reading anything more. */
static void
input_drop(struct rule_file *rule_file, struct input *input)
{
	ASSERT(rule_file->inputs.count > 0 &&
	    rule_file->inputs.items[rule_file->inputs.count - 1] == input);
	rule_file->inputs.count--;
	line_reader_free(&input->reader);
	free(input->frames);
	free(input);
}

static void
input_finish(struct rule_file *rule_file, struct input *input)
{
	unsigned i;

	if (line_reader_pending(input->reader) > 0 ||
	    line_reader_discarding(input->reader))
		(void)input_feed(rule_file, input, (const unsigned char *)"\n",
		    1);
	if (input->overflow_count > 0)
		diagnose(rule_file, input->name, input->line,
		    RULE_FILE_DIAGNOSTIC_STRUCTURE, "%u over-nested 'if' "
		    "blocks not closed at end of file", input->overflow_count);
	for (i = input->frame_count; i > 0; i--) {
		diagnose(rule_file, input->name, input->line,
		    RULE_FILE_DIAGNOSTIC_STRUCTURE, "'if' on line %u not "
		    "closed by 'endif' at end of file",
		    input->frames[i - 1].line);
	}
	input_drop(rule_file, input);
}

/* Reads the file at path as an input at depth. Returns -1 with *error_r
 * when it could not be read (the depth and cycle checks included). */
static int
read_path(struct rule_file *rule_file, const char *path, unsigned depth,
    const char **error_r)
{
	char resolved[PATH_MAX], shown[RULE_FILE_PRINT_NAME];
	struct input *input;
	unsigned char *block;
	struct stat st;
	ssize_t got;
	size_t i;
	int fd, ret = 0;

	printable(path, shown, sizeof(shown));
	if (depth > rule_file->limits.include_depth_max) {
		*error_r = error_set("'%s': includes nested deeper than %u",
		    shown, rule_file->limits.include_depth_max);
		return -1;
	}
	if (realpath(path, resolved) != NULL) {
		for (i = 0; i < rule_file->inputs.count; i++) {
			const struct input *open = rule_file->inputs.items[i];

			if (open->real_path != NULL &&
			    strcmp(open->real_path, resolved) == 0) {
				*error_r = error_set("'%s': include cycle",
				    shown);
				return -1;
			}
		}
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*error_r = error_set_errno("cannot open '%s'", shown);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = error_set("'%s' is not a regular file", shown);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > rule_file->limits.file_max) {
		*error_r = error_set("'%s' is larger than %zu bytes", shown,
		    rule_file->limits.file_max);
		close(fd);
		return -1;
	}
	input = input_push(rule_file, path, depth);
	block = alloc_zero(RULE_FILE_READ_BLOCK);
	for (;;) {
		got = read(fd, block, RULE_FILE_READ_BLOCK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*error_r = error_set_errno("read '%s'", shown);
			ret = -1;
			break;
		}
		if (got == 0)
			break;
		(void)input_feed(rule_file, input, block, (size_t)got);
	}
	free(block);
	close(fd);
	input_finish(rule_file, input);
	return ret;
}

/* Public interface. */

static const char **
copy_names(struct arena *arena, const char *const *names, size_t count)
{
	const char **copy = arena_array(arena, count + 1, sizeof(*copy));
	size_t i;

	for (i = 0; i < count; i++)
		copy[i] = arena_strdup(arena, names[i]);
	return copy;
}

struct rule_file *
rule_file_new(const struct rule_file_options *options)
{
	static const struct rule_file_options defaults;
	struct rule_file *rule_file = alloc_new(struct rule_file);
	struct rule_file_limits *limits = &rule_file->limits;

	if (options == NULL)
		options = &defaults;
	rule_file->arena = arena_new("rule_file", 65536);
	*limits = options->limits;
	if (limits->line_max == 0)
		limits->line_max = RULE_FILE_DEFAULT_LINE_MAX;
	if (limits->file_max == 0)
		limits->file_max = RULE_FILE_DEFAULT_FILE_MAX;
	if (limits->include_depth_max == 0)
		limits->include_depth_max = RULE_FILE_DEFAULT_INCLUDE_DEPTH_MAX;
	if (limits->nesting_max == 0)
		limits->nesting_max = RULE_FILE_DEFAULT_NESTING_MAX;
	if (limits->directives_max == 0)
		limits->directives_max = RULE_FILE_DEFAULT_DIRECTIVES_MAX;
	if (limits->diagnostics_max == 0)
		limits->diagnostics_max = RULE_FILE_DEFAULT_DIAGNOSTICS_MAX;
	rule_file->version = options->version != 0 ? options->version :
	    RULE_FILE_DEFAULT_VERSION;
	rule_file->language = arena_strdup(rule_file->arena,
	    options->language != NULL ? options->language :
	    RULE_FILE_DEFAULT_LANGUAGE);
	rule_file->local_tests_only = options->local_tests_only;
	rule_file->plugins = copy_names(rule_file->arena, options->plugins,
	    options->plugin_count);
	rule_file->plugin_count = options->plugin_count;
	rule_file->features = copy_names(rule_file->arena, options->features,
	    options->feature_count);
	rule_file->feature_count = options->feature_count;
	buffer_init(&rule_file->scratch, 0);
	rule_file->settings.required_score = 5.0;
	rule_file->settings.replace_start = "<";
	rule_file->settings.replace_end = ">";
	rule_file->settings.report_safe = 1;
	rule_file->settings.ok_locales = "all";
	settings_sync(rule_file);
	return rule_file;
}

void
rule_file_free(struct rule_file **rule_file_p)
{
	struct rule_file *rule_file = *rule_file_p;
	size_t i;

	if (rule_file == NULL)
		return;
	while (rule_file->inputs.count > 0)
		input_drop(rule_file,
		    rule_file->inputs.items[rule_file->inputs.count - 1]);
	pointer_array_free(&rule_file->inputs);
	pointer_array_free(&rule_file->directives);
	pointer_array_free(&rule_file->rules);
	pointer_array_free(&rule_file->diagnostics);
	pointer_array_free(&rule_file->add_headers);
	pointer_array_free(&rule_file->welcomelist_from);
	pointer_array_free(&rule_file->replace_tags);
	pointer_array_free(&rule_file->replace_rules);
	pointer_array_free(&rule_file->blocklist_from);
	pointer_array_free(&rule_file->trusted_networks);
	pointer_array_free(&rule_file->internal_networks);
	pointer_array_free(&rule_file->freemail_domains);
	pointer_array_free(&rule_file->freemail_welcomelist);
	pointer_array_free(&rule_file->freemail_wildcards);
	string_set_free(&rule_file->freemail_domain_set);
	string_set_free(&rule_file->freemail_welcome_set);
	for (i = 0; i < rule_file->named_lists.count; i++)
		pointer_array_free(&((struct named_list *)
		    rule_file->named_lists.items[i])->addresses);
	pointer_array_free(&rule_file->named_lists);
	pointer_array_free(&rule_file->named_list_views);
	pointer_array_free(&rule_file->uri_host_lists);
	pointer_array_free(&rule_file->uri_host_list_views);
	free(rule_file->table);
	buffer_deinit(&rule_file->scratch);
	arena_free(&rule_file->arena);
	free(rule_file);
	*rule_file_p = NULL;
}

void
rule_file_begin(struct rule_file *rule_file, const char *name)
{
	/* Two open files at once is the caller's bug. */
	ASSERT(rule_file->inputs.count == 0);
	(void)input_push(rule_file, name, 0);
}

int
rule_file_feed(struct rule_file *rule_file, const void *data, size_t length,
    const char **error_r)
{
	if (rule_file->inputs.count != 1) {
		*error_r = error_set("rule_file_feed: no file begun");
		return -1;
	}
	return input_feed(rule_file, rule_file->inputs.items[0], data, length);
}

int
rule_file_end(struct rule_file *rule_file, const char **error_r)
{
	if (rule_file->inputs.count != 1) {
		*error_r = error_set("rule_file_end: no file begun");
		return -1;
	}
	input_finish(rule_file, rule_file->inputs.items[0]);
	return 0;
}

int
rule_file_load(struct rule_file *rule_file, const char *path,
    const char **error_r)
{
	if (rule_file->inputs.count != 0) {
		*error_r = error_set("rule_file_load: a fed file is open");
		return -1;
	}
	return read_path(rule_file, path, 0, error_r);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
rule_file_load_directory(struct rule_file *rule_file, const char *path,
    const char **error_r)
{
	struct pointer_array names = { NULL, 0, 0 };
	struct dirent *entry;
	struct stat st;
	size_t i, length;
	char *file;
	DIR *dir;
	int ret = 0;

	dir = opendir(path);
	if (dir == NULL) {
		*error_r = error_set_errno("cannot open directory '%s'", path);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		length = strlen(entry->d_name);
		if (entry->d_name[0] == '.' || length < 4 ||
		    strcmp(entry->d_name + length - 3, ".cf") != 0)
			continue;
		pointer_array_push(&names, alloc_strdup(entry->d_name));
	}
	closedir(dir);
	if (names.count > 0)
		qsort(names.items, names.count, sizeof(*names.items),
		    compare_names);
	for (i = 0; i < names.count && ret == 0; i++) {
		file = alloc_printf("%s/%s", path, (char *)names.items[i]);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
			ret = rule_file_load(rule_file, file, error_r);
		free(file);
	}
	for (i = 0; i < names.count; i++)
		free(names.items[i]);
	pointer_array_free(&names);
	return ret;
}

const struct rule_file_directive *const *
rule_file_directives(const struct rule_file *rule_file, size_t *count_r)
{
	*count_r = rule_file->directives.count;
	return (const struct rule_file_directive *const *)
	    rule_file->directives.items;
}

const struct rule_file_rule *const *
rule_file_rules(const struct rule_file *rule_file, size_t *count_r)
{
	*count_r = rule_file->rules.count;
	return (const struct rule_file_rule *const *)rule_file->rules.items;
}

const struct rule_file_rule *
rule_file_rule_find(const struct rule_file *rule_file, const char *name)
{
	const struct rule_entry *entry = entry_lookup(rule_file, name);

	return entry != NULL && entry->listed ? &entry->rule : NULL;
}

double
rule_file_rule_score(const struct rule_file_rule *rule, unsigned score_set)
{
	double score;

	ASSERT(score_set < 4);
	if (rule->score_set)
		return rule->scores[score_set];
	if (strncmp(rule->name, "__", 2) == 0)
		return 0;
	score = strncmp(rule->name, "T_", 2) == 0 ? 0.01 : 1.0;
	return (rule->tflags.flags & RULE_FILE_TFLAG_NICE) != 0 ? -score :
	    score;
}

const struct rule_file_settings *
rule_file_settings(const struct rule_file *rule_file)
{
	return &rule_file->settings;
}

const struct rule_file_named_list *
rule_file_settings_address_list(const struct rule_file_settings *settings,
    const char *name)
{
	size_t i;

	for (i = 0; i < settings->address_list_count; i++)
		if (strcmp(settings->address_lists[i]->name, name) == 0)
			return settings->address_lists[i];
	return NULL;
}

const struct rule_file_diagnostic *const *
rule_file_diagnostics(const struct rule_file *rule_file, size_t *count_r)
{
	*count_r = rule_file->diagnostics.count;
	return (const struct rule_file_diagnostic *const *)
	    rule_file->diagnostics.items;
}

size_t
rule_file_diagnostic_total(const struct rule_file *rule_file)
{
	return rule_file->diagnostic_total;
}

const struct rule_file_uri_host_list *
rule_file_settings_uri_host_list(const struct rule_file_settings *settings,
    const char *name)
{
	size_t i;

	for (i = 0; i < settings->uri_host_list_count; i++)
		if (strcmp(settings->uri_host_lists[i]->name, name) == 0)
			return settings->uri_host_lists[i];
	return NULL;
}
