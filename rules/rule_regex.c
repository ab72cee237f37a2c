/* rule_regex.c: Perl-to-PCRE2 regex translation, compilation and
 * limited matching for SpamAssassin rules (see rule_regex.h).
 *
 * DESIGN: translation is a single left-to-right pass that knows just
 * enough of the regex grammar to tell a character class, a \Q..\E
 * quote, a comment and an escape apart; it rewrites only the handful of
 * constructs where Perl and PCRE2 disagree and copies everything else,
 * so PCRE2 itself reports any real syntax error. Match state is per
 * thread (a pthread key's destructor frees it at thread exit), which
 * keeps compiled regexes free of mutable state except an atomic
 * counter. */
#include "rules/rule_regex.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/string_view.h"

#include <pthread.h>
#include <stdatomic.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct rule_regex {
	pcre2_code *code;
	char *pattern;
	unsigned flags;
	bool jit;
	bool jit_pending;	/* lazy JIT: compile on the first match */
	uint32_t match_limit;
	uint32_t depth_limit;
	/* Separate so that matching through a const regex can count. */
	_Atomic uint64_t *limit_hits;
};

struct rule_regex_thread {
	pcre2_match_data *match_data;
	pcre2_match_context *context;
	pcre2_jit_stack *jit_stack;
};

static _Atomic uint64_t rule_regex_total_limit_hits;
static _Atomic bool rule_regex_lazy_jit;
static pthread_once_t rule_regex_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t rule_regex_key;
static _Thread_local struct rule_regex_thread *rule_regex_thread_state;

/* Translation. */

struct translation {
	const char *p;
	size_t length;
	size_t i;
	struct buffer *out;
	const char *error;
	/* The character class being copied, if any. */
	bool in_class;
	bool class_negated;
	size_t class_start; /* where its '[' is in out */
	unsigned class_items;  /* members written to out */
	/* Members above 0xFF, as "|" + UTF-8 bytes each (see
	 * translate_close_class). */
	struct buffer class_wide;
};

static bool
is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
is_hex_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static unsigned
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (unsigned)(string_ascii_lower(c) - 'a' + 10);
}

static void
append(struct buffer *buffer, const char *data, size_t length)
{
	/* Translation buffers are unbounded; the source is capped. */
	if (buffer_append(buffer, data, length) != 0)
		log_panic("rule_regex: translation buffer is capped");
}

static void
emit(struct translation *t, const char *data, size_t length)
{
	append(t->out, data, length);
}

static void
emit_copy(struct translation *t, size_t count)
{
	count = MIN(count, t->length - t->i);
	emit(t, t->p + t->i, count);
	t->i += count;
}

/* Escape letters that stand for a set of characters inside a class. */
static bool
is_class_escape_letter(unsigned char c)
{
	return c != '\0' && strchr("dDwWsShHvVpP", c) != NULL;
}

/* Length of the escape at t->i ("\w", "\pL", "\p{Greek}"). */
static size_t
class_escape_length(const struct translation *t)
{
	size_t j = t->i + 2;

	if (t->p[t->i + 1] != 'p' && t->p[t->i + 1] != 'P')
		return 2;
	if (j < t->length && t->p[j] == '{') {
		while (j < t->length && t->p[j] != '}')
			j++;
		return j < t->length ? j + 1 - t->i : t->length - t->i;
	}
	return j < t->length ? 3 : t->length - t->i;
}

/* Parses "HHHH}" at p[*index] (one to eight hex digits and the closing
 * brace) and moves *index past it; false when it is not exactly that. */
static bool
parse_hex_digits(const char *p, size_t length, size_t *index,
    uint32_t *value_r)
{
	size_t j = *index, digits = 0;
	uint32_t value = 0;

	for (; j < length && is_hex_byte((unsigned char)p[j]); j++) {
		if (++digits > 8)
			return false;
		value = value << 4 | hex_value((unsigned char)p[j]);
	}
	if (digits == 0 || j >= length || p[j] != '}')
		return false;
	*index = j + 1;
	*value_r = value;
	return true;
}

/* Appends code point value to buffer as UTF-8 bytes in \xHH form. */
static int
append_utf8(struct translation *t, struct buffer *buffer, uint32_t value)
{
	unsigned char bytes[4];
	size_t count, k;
	char text[8];

	if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
		t->error = error_set("invalid code point U+%X in regex",
		    (unsigned)value);
		return -1;
	}
	if (value < 0x800) {
		bytes[0] = (unsigned char)(0xc0 | value >> 6);
		bytes[1] = (unsigned char)(0x80 | (value & 0x3f));
		count = 2;
	} else if (value < 0x10000) {
		bytes[0] = (unsigned char)(0xe0 | value >> 12);
		bytes[1] = (unsigned char)(0x80 | ((value >> 6) & 0x3f));
		bytes[2] = (unsigned char)(0x80 | (value & 0x3f));
		count = 3;
	} else {
		bytes[0] = (unsigned char)(0xf0 | value >> 18);
		bytes[1] = (unsigned char)(0x80 | ((value >> 12) & 0x3f));
		bytes[2] = (unsigned char)(0x80 | ((value >> 6) & 0x3f));
		bytes[3] = (unsigned char)(0x80 | (value & 0x3f));
		count = 4;
	}
	for (k = 0; k < count; k++) {
		snprintf(text, sizeof(text), "\\x%02X", bytes[k]);
		append(buffer, text, 4);
	}
	return 0;
}

/* Whether the class member just written to out is the start of a
 * range ("a-"): a code point above 0xFF cannot end it. */
static bool
class_range_open(const struct translation *t)
{
	size_t length = buffer_length(t->out);
	const unsigned char *data = buffer_data(t->out);

	return t->class_items > 0 && length >= 2 && data[length - 1] == '-' &&
	    data[length - 2] != '\\';
}

/* Handles "\x{...}" and "\N{U+...}" at t->i. Returns 1 when it wrote
 * a replacement, 0 when the escape is to be copied as it is, -1 on
 * error. */
static int
translate_code_point(struct translation *t)
{
	size_t j = t->i + 2;
	uint32_t value;
	char text[16];
	bool named = t->p[t->i + 1] == 'N';

	if (named) {
		/* "\N{U+HHHH}"; other \N forms go to PCRE2 as they are. */
		if (j + 2 >= t->length || t->p[j] != '{' ||
		    t->p[j + 1] != 'U' || t->p[j + 2] != '+')
			return 0;
		j += 3;
	} else {
		if (j >= t->length || t->p[j] != '{')
			return 0;
		j++;
	}
	if (!parse_hex_digits(t->p, t->length, &j, &value))
		return 0;
	if (value <= 0xff) {
		if (!named)
			return 0;
		snprintf(text, sizeof(text), "\\x{%02X}", (unsigned)value);
		emit(t, text, strlen(text));
		t->class_items += t->in_class;
	} else if (t->in_class) {
		if (class_range_open(t) ||
		    (j < t->length && t->p[j] == '-' && j + 1 < t->length &&
		    t->p[j + 1] != ']')) {
			t->error = error_set("range with code point U+%X above "
			    "0xFF in a character class", (unsigned)value);
			return -1;
		}
		append(&t->class_wide, "|", 1);
		if (append_utf8(t, &t->class_wide, value) < 0)
			return -1;
	} else {
		emit(t, "(?:", 3);
		if (append_utf8(t, t->out, value) < 0)
			return -1;
		emit(t, ")", 1);
	}
	t->i = j;
	return 1;
}

/* "(?flags)" or "(?flags:" at t->i: drops Perl's charset and preserve
 * modifiers, which PCRE2 does not know. Returns true when it handled
 * the group opening. */
static bool
translate_flag_group(struct translation *t)
{
	size_t j = t->i + 2, k;

	for (k = j; k < t->length; k++) {
		unsigned char c = (unsigned char)t->p[k];

		if (c == '^' || c == '-')
			continue;
		if (c == '\0' || strchr("adlupimnsx", c) == NULL)
			break;
	}
	if (k == j || k >= t->length || (t->p[k] != ')' && t->p[k] != ':'))
		return false;
	emit(t, "(?", 2);
	for (; j < k; j++) {
		if (strchr("adlup", t->p[j]) == NULL)
			emit(t, &t->p[j], 1);
	}
	emit(t, &t->p[k], 1);
	t->i = k + 1;
	return true;
}

/* Copies "\Q...\E" (or to the end) without looking inside. */
static void
copy_quoted(struct translation *t)
{
	size_t j;

	for (j = t->i + 2; j + 1 < t->length; j++) {
		if (t->p[j] == '\\' && t->p[j + 1] == 'E') {
			emit_copy(t, j + 2 - t->i);
			return;
		}
	}
	emit_copy(t, t->length - t->i);
}

/* After a class escape or POSIX class: Perl reads "[\w-.]" as \w, '-'
 * and '.', PCRE2 as a bad range. */
static void
escape_dash_after_set(struct translation *t)
{
	if (t->i + 1 < t->length && t->p[t->i] == '-' &&
	    t->p[t->i + 1] != ']') {
		emit(t, "\\-", 2);
		t->i++;
		t->class_items++;
	}
}

static int
translate_escape(struct translation *t)
{
	unsigned char d;
	int ret;

	if (t->i + 1 >= t->length) {
		emit_copy(t, 1); /* PCRE2 reports the trailing backslash */
		return 0;
	}
	d = (unsigned char)t->p[t->i + 1];
	if (d == 'Q') {
		copy_quoted(t);
		t->class_items += t->in_class;
		return 0;
	}
	if (d == 'x' || d == 'N') {
		ret = translate_code_point(t);
		if (ret != 0)
			return ret < 0 ? -1 : 0;
	}
	if (t->in_class && is_class_escape_letter(d)) {
		emit_copy(t, class_escape_length(t));
		t->class_items++;
		escape_dash_after_set(t);
		return 0;
	}
	emit_copy(t, 2);
	t->class_items += t->in_class;
	return 0;
}

static void
translate_open_class(struct translation *t)
{
	t->in_class = true;
	t->class_start = buffer_length(t->out);
	t->class_items = 0;
	t->class_negated = false;
	buffer_reset(&t->class_wide);
	emit_copy(t, 1);
	if (t->i < t->length && t->p[t->i] == '^') {
		t->class_negated = true;
		emit_copy(t, 1);
	}
	if (t->i < t->length && t->p[t->i] == ']') {
		/* A ']' first in the class is a literal. */
		emit_copy(t, 1);
		t->class_items = 1;
	}
}

/* At the class's ']'. Members above 0xFF cannot be one byte: a class
 * that has them becomes an alternation of the byte class and their
 * UTF-8 sequences ("[a\x{436}]" -> "(?:[a]|\xD0\xB6)"); in a negated
 * class they are dropped, since every byte already differs from them. */
static void
translate_close_class(struct translation *t)
{
	char *class_text;
	size_t class_length;

	t->in_class = false;
	if (buffer_length(&t->class_wide) == 0) {
		emit_copy(t, 1);
		return;
	}
	t->i++;
	class_length = buffer_length(t->out) - t->class_start;
	class_text = alloc_strndup((const char *)buffer_data(t->out) +
	    t->class_start, class_length);
	buffer_truncate(t->out, t->class_start);
	if (t->class_negated) {
		if (t->class_items == 0)
			emit(t, "[\\x00-\\xFF]", 11);
		else {
			emit(t, class_text, class_length);
			emit(t, "]", 1);
		}
	} else {
		emit(t, "(?:", 3);
		if (t->class_items == 0)
			emit(t, "(?!)", 4);
		else {
			emit(t, class_text, class_length);
			emit(t, "]", 1);
		}
		emit(t, (const char *)buffer_data(&t->class_wide),
		    buffer_length(&t->class_wide));
		emit(t, ")", 1);
	}
	free(class_text);
}

static void
translate_class_byte(struct translation *t)
{
	char c = t->p[t->i];
	size_t j;

	if (c == '[' && t->i + 1 < t->length &&
	    (t->p[t->i + 1] == ':' || t->p[t->i + 1] == '.' ||
	    t->p[t->i + 1] == '=')) {
		/* A POSIX class such as [:alpha:]: copy it whole. */
		for (j = t->i + 2; j + 1 < t->length; j++) {
			if (t->p[j] == t->p[t->i + 1] && t->p[j + 1] == ']')
				break;
		}
		if (j + 1 < t->length) {
			emit_copy(t, j + 2 - t->i);
			t->class_items++;
			escape_dash_after_set(t);
			return;
		}
	}
	if (c == ']') {
		translate_close_class(t);
		return;
	}
	if (c == '-' && t->class_items > 0 && t->i + 2 < t->length &&
	    t->p[t->i + 1] == '\\' &&
	    is_class_escape_letter((unsigned char)t->p[t->i + 2])) {
		/* "[a-\d]" is 'a', '-' and \d to Perl, an error to PCRE2. */
		emit(t, "\\-", 2);
		t->i++;
		t->class_items++;
		return;
	}
	emit_copy(t, 1);
	t->class_items++;
}

/* "{,n}" at t->i: Perl 5.34 reads it as {0,n}, PCRE2 10.42 as text. */
static bool
translate_open_brace(struct translation *t)
{
	size_t j = t->i + 2;

	if (j >= t->length || t->p[t->i + 1] != ',')
		return false;
	while (j < t->length && t->p[j] >= '0' && t->p[j] <= '9')
		j++;
	if (j == t->i + 2 || j >= t->length || t->p[j] != '}')
		return false;
	emit(t, "{0", 2);
	t->i++;
	emit_copy(t, j + 1 - t->i);
	return true;
}

static int
translate_body(struct translation *t, bool extended)
{
	size_t j;
	char c;

	while (t->i < t->length) {
		c = t->p[t->i];
		if (c == '\\') {
			if (translate_escape(t) < 0)
				return -1;
			continue;
		}
		if (t->in_class) {
			translate_class_byte(t);
			continue;
		}
		if (c == '[') {
			translate_open_class(t);
			continue;
		}
		if (c == '#' && extended) {
			/* A comment runs to the end of the line. */
			for (j = t->i; j < t->length && t->p[j] != '\n'; j++)
				;
			emit_copy(t, j - t->i);
			continue;
		}
		if (c == '(' && t->i + 2 < t->length && t->p[t->i + 1] == '?') {
			if (t->p[t->i + 2] == '#') {
				for (j = t->i; j < t->length && t->p[j] != ')';
				    j++)
					;
				emit_copy(t, j + 1 - t->i);
				continue;
			}
			if (translate_flag_group(t))
				continue;
		}
		if (c == '{' && translate_open_brace(t))
			continue;
		emit_copy(t, 1);
	}
	return 0;
}

/* Splits source into the pattern body and the flag letters. */
static int
split_delimiters(const char *source, size_t length, size_t *body_start_r,
    size_t *body_end_r, const char **error_r)
{
	size_t start, end;
	char open, close;

	if (length > 0 && source[0] == '/') {
		open = close = '/';
		start = 1;
	} else {
		if (length > 0 && source[0] == 'm')
			start = 1;
		else if (length > 1 && source[0] == 'q' && source[1] == 'r')
			start = 2;
		else {
			*error_r = error_set("missing regex delimiter");
			return -1;
		}
		if (start >= length ||
		    is_word_byte((unsigned char)source[start])) {
			*error_r = error_set("missing regex delimiter");
			return -1;
		}
		open = source[start++];
		switch (open) {
		case '{': close = '}'; break;
		case '(': close = ')'; break;
		case '<': close = '>'; break;
		case '[': close = ']'; break;
		case '\\':
			*error_r = error_set("backslash regex delimiter not "
			    "allowed");
			return -1;
		default: close = open; break;
		}
	}
	/* The end delimiter is followed only by flag letters; 'e' is
	 * excluded up front as SpamAssassin does, so "/x/e" is "missing
	 * end delimiter" rather than an unknown flag. */
	end = length;
	while (end > start && source[end - 1] >= 'a' &&
	    source[end - 1] <= 'z' && source[end - 1] != 'e')
		end--;
	if (end <= start || source[end - 1] != close) {
		*error_r = error_set("missing end delimiter '%c' (or bad "
		    "flags) in regex", close);
		return -1;
	}
	*body_start_r = start;
	*body_end_r = end - 1;
	return 0;
}

static int
parse_flags(const char *flags, size_t length, unsigned *flags_r,
    const char **error_r)
{
	unsigned result = 0;
	size_t i;

	for (i = 0; i < length; i++) {
		switch (flags[i]) {
		case 'i': result |= RULE_REGEX_CASELESS; break;
		case 'm': result |= RULE_REGEX_MULTILINE; break;
		case 's': result |= RULE_REGEX_DOTALL; break;
		case 'x': result |= RULE_REGEX_EXTENDED; break;
		case 'g': case 'o': case 'a': break;
		default:
			*error_r = error_set("unsupported regex flag '%c'",
			    flags[i]);
			return -1;
		}
	}
	*flags_r = result;
	return 0;
}

static bool
has_code_block(const char *body, size_t length)
{
	size_t i;

	for (i = 0; i + 2 < length; i++) {
		if (body[i] == '\\') {
			i++;
			continue;
		}
		if (body[i] == '(' && body[i + 1] == '?' &&
		    (body[i + 2] == '{' || (body[i + 2] == '?' &&
		    i + 3 < length && body[i + 3] == '{')))
			return true;
	}
	return false;
}

static bool
has_unescaped(const char *body, size_t length, char delimiter)
{
	size_t i;

	for (i = 0; i < length; i++) {
		if (body[i] == '\\')
			i++;
		else if (body[i] == delimiter)
			return true;
	}
	return false;
}

int
rule_regex_translate(const char *source, size_t length,
    struct buffer *pattern_r, unsigned *flags_r, const char **error_r)
{
	struct translation t;
	size_t start, end;
	unsigned flags;
	char close;
	int ret;

	if (length > RULE_REGEX_SOURCE_MAX) {
		*error_r = error_set("regex longer than %d bytes",
		    RULE_REGEX_SOURCE_MAX);
		return -1;
	}
	if (split_delimiters(source, length, &start, &end, error_r) < 0)
		return -1;
	if (parse_flags(source + end + 1, length - end - 1, &flags,
	    error_r) < 0)
		return -1;
	if (has_code_block(source + start, end - start)) {
		*error_r = error_set("code execution (?{...}) not allowed");
		return -1;
	}
	close = source[end];
	if (close != '}' && close != ')' && close != ']' &&
	    has_unescaped(source + start, end - start, close)) {
		*error_r = error_set("unescaped delimiter '%c' in regex",
		    close);
		return -1;
	}
	memset(&t, 0, sizeof(t));
	t.p = source + start;
	t.length = end - start;
	t.out = pattern_r;
	buffer_init(&t.class_wide, 0);
	ret = translate_body(&t, (flags & RULE_REGEX_EXTENDED) != 0);
	buffer_deinit(&t.class_wide);
	if (ret < 0) {
		*error_r = t.error;
		return -1;
	}
	*flags_r = flags;
	return 0;
}

/* Compilation. */

/* Character tables with Perl's /aai case folding for bytes. Perl
 * compiles SpamAssassin's rules with /aa: \w, \d, \s and the POSIX
 * classes are ASCII-only, but /i still folds the Latin-1 letters
 * (0xC0-0xDE with 0xE0-0xFE, except 0xD7 and 0xF7) into each other,
 * where PCRE2's default tables fold ASCII only. pcre2_maketables() in
 * the C locale gives ASCII classes; we then rewrite its two case
 * tables, the lower-case and flip-case maps that open the table block
 * (their layout has been stable since PCRE 1). If the library's tables
 * do not look as expected, the defaults are used and only ASCII folds. */
static pthread_once_t rule_regex_tables_once = PTHREAD_ONCE_INIT;
static const uint8_t *rule_regex_tables;

static bool
tables_ascii_classes(const uint8_t *tables)
{
	pcre2_compile_context *context;
	pcre2_code *code;
	pcre2_match_data *match_data;
	PCRE2_SIZE offset;
	bool ascii;
	int error;

	/* \w must not match 0xE9, whatever locale made the tables. */
	context = pcre2_compile_context_create(NULL);
	match_data = pcre2_match_data_create(1, NULL);
	if (context == NULL || match_data == NULL)
		log_panic("rule_regex: out of memory");
	pcre2_set_character_tables(context, tables);
	code = pcre2_compile((PCRE2_SPTR)"[\\w\\s[:alpha:]]",
	    PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &error, &offset, context);
	ascii = code != NULL && pcre2_match(code, (PCRE2_SPTR)"\xe9\xa0", 2,
	    0, 0, match_data, NULL) == PCRE2_ERROR_NOMATCH;
	pcre2_code_free(code);
	pcre2_match_data_free(match_data);
	pcre2_compile_context_free(context);
	return ascii;
}

static void
tables_create(void)
{
	const uint8_t *made = pcre2_maketables(NULL);
	uint8_t *tables = (uint8_t *)made;
	unsigned c;

	if (made == NULL)
		log_panic("rule_regex: out of memory");
	/* lcc (bytes 0-255) lowercases, fcc (256-511) flips case. */
	if (tables['A'] != 'a' || tables[256 + 'a'] != 'A' ||
	    tables[256 + 'A'] != 'a' || !tables_ascii_classes(made)) {
		pcre2_maketables_free(NULL, made);
		return;
	}
	for (c = 0xc0; c <= 0xde; c++) {
		if (c == 0xd7)
			continue;
		tables[c] = (uint8_t)(c + 0x20);
		tables[c + 0x20] = (uint8_t)(c + 0x20);
		tables[256 + c] = (uint8_t)(c + 0x20);
		tables[256 + c + 0x20] = (uint8_t)c;
	}
	rule_regex_tables = made;
}

void
rule_regex_set_lazy_jit(bool lazy)
{
	atomic_store_explicit(&rule_regex_lazy_jit, lazy, memory_order_relaxed);
}

static int
compile(const char *source, size_t length,
    const struct rule_regex_limits *limits, bool jit,
    struct rule_regex **regex_r, const char **error_r)
{
	struct rule_regex *regex;
	struct buffer pattern;
	pcre2_compile_context *context;
	unsigned char message[256];
	uint32_t options = PCRE2_DUPNAMES | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
	unsigned flags;
	PCRE2_SIZE offset;
	int code;

	buffer_init(&pattern, 0);
	if (rule_regex_translate(source, length, &pattern, &flags,
	    error_r) < 0) {
		buffer_deinit(&pattern);
		return -1;
	}
	if ((flags & RULE_REGEX_CASELESS) != 0)
		options |= PCRE2_CASELESS;
	if ((flags & RULE_REGEX_MULTILINE) != 0)
		options |= PCRE2_MULTILINE;
	if ((flags & RULE_REGEX_DOTALL) != 0)
		options |= PCRE2_DOTALL;
	if ((flags & RULE_REGEX_EXTENDED) != 0)
		options |= PCRE2_EXTENDED;

	pthread_once(&rule_regex_tables_once, tables_create);
	context = pcre2_compile_context_create(NULL);
	if (context == NULL)
		log_panic("rule_regex: out of memory");
	if (rule_regex_tables != NULL)
		pcre2_set_character_tables(context, rule_regex_tables);
	/* Perl's line end is LF whatever PCRE2 was built with. */
	pcre2_set_newline(context, PCRE2_NEWLINE_LF);
	pcre2_set_bsr(context, PCRE2_BSR_UNICODE);
#ifdef PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK
	/* Perl allows \K inside lookarounds; PCRE2 10.38+ needs asking. */
	pcre2_set_compile_extra_options(context,
	    PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK);
#endif
	regex = alloc_new(struct rule_regex);
	regex->code = pcre2_compile((PCRE2_SPTR)buffer_string(&pattern),
	    buffer_length(&pattern), options, &code, &offset, context);
	pcre2_compile_context_free(context);
	if (regex->code == NULL) {
		if (pcre2_get_error_message(code, message, sizeof(message)) < 0)
			snprintf((char *)message, sizeof(message),
			    "PCRE2 error %d", code);
		*error_r = error_set("offset %zu: %s", (size_t)offset,
		    (const char *)message);
		buffer_deinit(&pattern);
		free(regex);
		return -1;
	}
	/* No JIT in this build or for this pattern: the interpreter will
	 * do, with the same results. */
	if (!jit)
		regex->jit = false;
	else if (atomic_load_explicit(&rule_regex_lazy_jit,
	    memory_order_relaxed))
		regex->jit_pending = true;
	else
		regex->jit = pcre2_jit_compile(regex->code,
		    PCRE2_JIT_COMPLETE) == 0;
	regex->pattern = alloc_strndup(buffer_string(&pattern),
	    buffer_length(&pattern));
	buffer_deinit(&pattern);
	regex->flags = flags;
	regex->match_limit = limits != NULL && limits->match_limit != 0 ?
	    limits->match_limit : RULE_REGEX_DEFAULT_MATCH_LIMIT;
	regex->depth_limit = limits != NULL && limits->depth_limit != 0 ?
	    limits->depth_limit : RULE_REGEX_DEFAULT_DEPTH_LIMIT;
	regex->limit_hits = alloc_new(_Atomic uint64_t);
	atomic_init(regex->limit_hits, 0);
	*regex_r = regex;
	return 0;
}

int
rule_regex_compile(const char *source, size_t length,
    const struct rule_regex_limits *limits, struct rule_regex **regex_r,
    const char **error_r)
{
	return compile(source, length, limits, true, regex_r, error_r);
}

int
rule_regex_compile_interpreted(const char *source, size_t length,
    const struct rule_regex_limits *limits, struct rule_regex **regex_r,
    const char **error_r)
{
	return compile(source, length, limits, false, regex_r, error_r);
}

void
rule_regex_free(struct rule_regex **regex_p)
{
	struct rule_regex *regex = *regex_p;

	if (regex == NULL)
		return;
	pcre2_code_free(regex->code);
	free(regex->pattern);
	free((void *)regex->limit_hits);
	free(regex);
	*regex_p = NULL;
}

const char *
rule_regex_pattern(const struct rule_regex *regex)
{
	return regex->pattern;
}

unsigned
rule_regex_flags(const struct rule_regex *regex)
{
	return regex->flags;
}

bool
rule_regex_is_jit(const struct rule_regex *regex)
{
	return regex->jit;
}

uint64_t
rule_regex_limit_hits(const struct rule_regex *regex)
{
	return atomic_load_explicit(regex->limit_hits, memory_order_relaxed);
}

uint64_t
rule_regex_limit_hits_total(void)
{
	return atomic_load_explicit(&rule_regex_total_limit_hits,
	    memory_order_relaxed);
}

/* Per-thread match state. */

static void
thread_state_destroy(void *context)
{
	struct rule_regex_thread *state = context;

	if (state == NULL)
		return;
	pcre2_match_data_free(state->match_data);
	pcre2_match_context_free(state->context);
	if (state->jit_stack != NULL)
		pcre2_jit_stack_free(state->jit_stack);
	free(state);
	if (rule_regex_thread_state == state)
		rule_regex_thread_state = NULL;
}

static void
thread_key_create(void)
{
	if (pthread_key_create(&rule_regex_key, thread_state_destroy) != 0)
		log_panic("rule_regex: pthread_key_create failed");
}

static struct rule_regex_thread *
thread_state_get(void)
{
	struct rule_regex_thread *state = rule_regex_thread_state;

	if (likely(state != NULL))
		return state;
	pthread_once(&rule_regex_key_once, thread_key_create);
	state = alloc_new(struct rule_regex_thread);
	/* One ovector pair: the rules need the whole match, never the
	 * groups, and a short ovector makes PCRE2 return 0 (still a
	 * match) rather than fail. */
	state->match_data = pcre2_match_data_create(1, NULL);
	state->context = pcre2_match_context_create(NULL);
	if (state->match_data == NULL || state->context == NULL)
		log_panic("rule_regex: out of memory");
	state->jit_stack = pcre2_jit_stack_create(32 * 1024,
	    RULE_REGEX_JIT_STACK_MAX, NULL);
	if (state->jit_stack != NULL)
		pcre2_jit_stack_assign(state->context, NULL, state->jit_stack);
	if (pthread_setspecific(rule_regex_key, state) != 0)
		log_panic("rule_regex: pthread_setspecific failed");
	rule_regex_thread_state = state;
	return state;
}

void
rule_regex_thread_release(void)
{
	struct rule_regex_thread *state = rule_regex_thread_state;

	if (state == NULL)
		return;
	(void)pthread_setspecific(rule_regex_key, NULL);
	thread_state_destroy(state);
}

/* Matching. */

static void
count_limit_hit(const struct rule_regex *regex)
{
	atomic_fetch_add_explicit(regex->limit_hits, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&rule_regex_total_limit_hits, 1,
	    memory_order_relaxed);
}

/* One pcre2_match() call. Returns 1 with the match in *start_r and *end_r,
 * 0 for no match, -1 when a limit (or another error) ended it. */
static int
match_at(const struct rule_regex *regex, struct rule_regex_thread *state,
    const void *subject, size_t length, size_t offset, uint32_t options,
    size_t *start_r, size_t *end_r)
{
	PCRE2_SIZE *ovector;
	int rc;

	if (unlikely(regex->jit_pending)) {
		/* Lazy JIT is for one matching thread only (see
		 * rule_regex_set_lazy_jit), so nothing else reads the code
		 * while it changes. */
		struct rule_regex *mutable = (struct rule_regex *)regex;
		mutable->jit_pending = false;
		mutable->jit = pcre2_jit_compile(mutable->code,
		    PCRE2_JIT_COMPLETE) == 0;
	}
	pcre2_set_match_limit(state->context, regex->match_limit);
	pcre2_set_depth_limit(state->context, regex->depth_limit);
	rc = pcre2_match(regex->code, subject, length, offset, options,
	    state->match_data, state->context);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		count_limit_hit(regex);
		return -1;
	}
	ovector = pcre2_get_ovector_pointer(state->match_data);
	*start_r = ovector[0];
	*end_r = ovector[1];
	/* \K in a lookahead can put the start after the end. */
	if (*start_r > *end_r)
		*start_r = *end_r;
	return 1;
}

bool
rule_regex_match(const struct rule_regex *regex, const void *subject,
    size_t length)
{
	size_t start, end;

	return match_at(regex, thread_state_get(), subject, length, 0, 0,
	    &start, &end) == 1;
}

bool
rule_regex_find(const struct rule_regex *regex, const void *subject,
    size_t length, size_t *start_r, size_t *end_r)
{
	return match_at(regex, thread_state_get(), subject, length, 0, 0,
	    start_r, end_r) == 1;
}

unsigned
rule_regex_match_count(const struct rule_regex *regex, const void *subject,
    size_t length, unsigned max)
{
	struct rule_regex_thread *state = thread_state_get();
	size_t offset = 0, start, end;
	unsigned count = 0;
	uint32_t options = 0;
	int ret;

	while (offset <= length && (max == 0 || count < max)) {
		ret = match_at(regex, state, subject, length, offset, options,
		    &start, &end);
		if (ret < 0)
			break;
		if (ret == 0) {
			if (options == 0)
				break;
			/* No non-empty match where the empty one was:
			 * move on one byte, as Perl's m//g does. */
			offset++;
			options = 0;
			continue;
		}
		count++;
		offset = end;
		options = start == end ?
		    PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
	}
	return count;
}
