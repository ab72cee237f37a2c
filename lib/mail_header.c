/* mail_header.c: header block parsing, field lookup, unfolding, RFC 2047
 * decoding, Content-Type/Disposition parameters (RFC 2231) and address
 * lists.
 *
 * DESIGN: the block is walked line by line with memchr, and fields are
 * views into it, so parsing copies nothing. The value helpers work on
 * one unfolded value at a time; their output is assembled in a heap
 * scratch buffer (bounded by the value, which the field limit bounds)
 * and copied into the arena once, so the arena holds no growth garbage.
 * Nothing here recurses: nested comments are a depth counter. */
#include "lib/mail_header.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/mime_decode.h"

#include <strings.h>

#define FIELDS_INITIAL 32

static inline bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool
view_equal_case(const char *a, const char *b, size_t length)
{
	return string_view_equal_case(string_view_make(a, length),
	    string_view_make(b, length));
}

/* Header block parsing */

struct field_builder {
	struct mail_header_field *fields;
	size_t count;
	size_t capacity;
};

/* Completes the field that starts at start (colon at colon) and whose
 * last line's content ends at end, with next the offset after its last
 * line break, and appends it unless a limit says no. */
static void
field_finish(struct arena *arena, struct mail_header *header,
    struct field_builder *builder, const unsigned char *data, size_t start,
    size_t colon, size_t end, size_t next,
    const struct mail_header_limits *limits)
{
	struct mail_header_field *field, *grown;
	size_t name_end = colon, value_start = colon + 1, i;
	unsigned flags = 0;
	unsigned char bits = 0;

	if (start >= limits->max_bytes) {
		header->flags |= MAIL_HEADER_FLAG_TOO_LONG;
		return;
	}
	if (builder->count >= limits->max_fields) {
		header->flags |= MAIL_HEADER_FLAG_TOO_MANY_FIELDS;
		return;
	}
	while (name_end > start && is_wsp(data[name_end - 1])) {
		name_end--;
		flags |= MAIL_HEADER_FLAG_BAD_NAME;
	}
	for (i = start; i < name_end; i++) {
		if (data[i] <= ' ' || data[i] >= 0x7f)
			flags |= MAIL_HEADER_FLAG_BAD_NAME;
	}
	while (value_start < end && is_wsp(data[value_start]))
		value_start++;
	if (end - start > limits->max_field_bytes) {
		flags |= MAIL_HEADER_FLAG_FIELD_TOO_LONG;
		end = MAX(value_start, start + limits->max_field_bytes);
	}
	for (i = start; i < end; i++)
		bits |= data[i];
	if ((bits & 0x80) != 0)
		flags |= MAIL_HEADER_FLAG_8BIT;
	if (memchr(data + start, '\0', end - start) != NULL)
		flags |= MAIL_HEADER_FLAG_NUL;
	if (builder->count == builder->capacity) {
		builder->capacity = builder->capacity == 0 ? FIELDS_INITIAL :
		    builder->capacity * 2;
		grown = arena_array(arena, builder->capacity, sizeof(*grown));
		if (builder->count > 0)
			memcpy(grown, builder->fields,
			    builder->count * sizeof(*grown));
		builder->fields = grown;
	}
	field = &builder->fields[builder->count++];
	field->name = string_view_make((const char *)data + start,
	    name_end - start);
	field->value = string_view_make((const char *)data + value_start,
	    end - value_start);
	field->offset = start;
	field->length = next - start;
	field->flags = flags;
	header->flags |= flags;
}

struct mail_header *
mail_header_parse(struct arena *arena, const unsigned char *data,
    size_t length, const struct mail_header_limits *limits)
{
	struct mail_header *header = arena_new_type(arena, struct mail_header);
	struct mail_header_limits effective = { 0, 0, 0 };
	struct field_builder builder = { NULL, 0, 0 };
	const unsigned char *newline;
	size_t position = 0, line_end, content_end, next;
	size_t field_start = 0, field_colon = 0, field_end = 0, field_next = 0;
	bool in_field = false, ended = false;
	const unsigned char *colon;

	if (limits != NULL)
		effective = *limits;
	if (effective.max_fields == 0)
		effective.max_fields = MAIL_HEADER_DEFAULT_MAX_FIELDS;
	if (effective.max_bytes == 0)
		effective.max_bytes = MAIL_HEADER_DEFAULT_MAX_BYTES;
	if (effective.max_field_bytes == 0)
		effective.max_field_bytes =
		    MAIL_HEADER_DEFAULT_MAX_FIELD_BYTES;

	while (position < length) {
		newline = memchr(data + position, '\n', length - position);
		line_end = newline != NULL ? (size_t)(newline - data) : length;
		next = newline != NULL ? line_end + 1 : length;
		content_end = line_end;
		if (newline != NULL) {
			if (content_end > position &&
			    data[content_end - 1] == '\r')
				content_end--;
			else
				header->flags |= MAIL_HEADER_FLAG_BARE_LF;
		}
		if (content_end == position && newline != NULL) {
			/* The empty line: end of the block. */
			header->fields_end = position;
			header->length = next;
			ended = true;
			break;
		}
		if (is_wsp(data[position]) && in_field) {
			field_end = content_end;
			field_next = next;
			position = next;
			continue;
		}
		colon = is_wsp(data[position]) ? NULL :
		    memchr(data + position, ':', content_end - position);
		if (colon == NULL || colon == data + position) {
			/* Neither a field nor a continuation: the body
			 * starts here. */
			header->flags |= MAIL_HEADER_FLAG_NO_BLANK_LINE;
			header->fields_end = position;
			header->length = position;
			ended = true;
			break;
		}
		if (in_field)
			field_finish(arena, header, &builder, data,
			    field_start, field_colon, field_end, field_next,
			    &effective);
		in_field = true;
		field_start = position;
		field_colon = (size_t)(colon - data);
		field_end = content_end;
		field_next = next;
		position = next;
	}
	if (in_field)
		field_finish(arena, header, &builder, data, field_start,
		    field_colon, field_end, field_next, &effective);
	if (!ended) {
		header->flags |= MAIL_HEADER_FLAG_NO_END;
		header->fields_end = length;
		header->length = length;
	}
	header->fields = builder.fields;
	header->field_count = builder.count;
	return header;
}

/* Lookups */

const struct mail_header_field *
mail_header_get_nth(const struct mail_header *header, const char *name,
    size_t index)
{
	size_t i, length = strlen(name);
	const struct mail_header_field *field;

	for (i = 0; i < header->field_count; i++) {
		field = &header->fields[i];
		if (field->name.length == length &&
		    view_equal_case(field->name.data, name, length)) {
			if (index == 0)
				return field;
			index--;
		}
	}
	return NULL;
}

const struct mail_header_field *
mail_header_get(const struct mail_header *header, const char *name)
{
	return mail_header_get_nth(header, name, 0);
}

size_t
mail_header_count(const struct mail_header *header, const char *name)
{
	size_t i, length = strlen(name), count = 0;

	for (i = 0; i < header->field_count; i++) {
		if (header->fields[i].name.length == length &&
		    view_equal_case(header->fields[i].name.data, name, length))
			count++;
	}
	return count;
}

const struct mail_header_field **
mail_header_get_all(const struct mail_header *header, struct arena *arena,
    const char *name, size_t *count_r)
{
	size_t i, length = strlen(name), count, n = 0;
	const struct mail_header_field **result;

	count = mail_header_count(header, name);
	*count_r = count;
	if (count == 0)
		return NULL;
	result = arena_array(arena, count, sizeof(*result));
	for (i = 0; i < header->field_count && n < count; i++) {
		if (header->fields[i].name.length == length &&
		    view_equal_case(header->fields[i].name.data, name, length))
			result[n++] = &header->fields[i];
	}
	return result;
}

/* Unfolding */

struct string_view
mail_header_unfold(struct arena *arena, struct string_view value)
{
	const char *newline;
	char *copy;
	size_t i, o = 0;

	if (value.length == 0)
		return value;
	newline = memchr(value.data, '\n', value.length);
	if (newline == NULL)
		return value;
	copy = arena_alloc(arena, value.length + 1);
	for (i = 0; i < value.length; i++) {
		if (value.data[i] == '\r' && i + 2 < value.length &&
		    value.data[i + 1] == '\n' &&
		    is_wsp((unsigned char)value.data[i + 2])) {
			i++;
			continue;
		}
		if (value.data[i] == '\n' && i + 1 < value.length &&
		    is_wsp((unsigned char)value.data[i + 1]))
			continue;
		copy[o++] = value.data[i];
	}
	return string_view_make(copy, o);
}

/* RFC 2047 */

struct encoded_word {
	size_t start, end;	/* "=?" .. after "?=" */
	struct string_view charset;
	struct string_view text;
	bool base64;
};

/* Parses an encoded word starting at s[start] == "=?". Returns false
 * for a malformed one. */
static bool
encoded_word_parse(const char *s, size_t length, size_t start,
    struct encoded_word *word_r)
{
	size_t i = start + 2, charset_start = i, text_start;
	unsigned char c;

	for (; i < length && s[i] != '?'; i++) {
		c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || i - charset_start > 64)
			return false;
	}
	if (i == charset_start || i + 2 >= length || s[i + 2] != '?')
		return false;
	c = ascii_lower((unsigned char)s[i + 1]);
	if (c != 'b' && c != 'q')
		return false;
	word_r->charset = string_view_make(s + charset_start,
	    i - charset_start);
	word_r->base64 = c == 'b';
	text_start = i + 3;
	for (i = text_start; i < length && s[i] != '?'; i++) {
		c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return false;
	}
	if (i + 1 >= length || s[i + 1] != '=')
		return false;
	word_r->text = string_view_make(s + text_start, i - text_start);
	word_r->start = start;
	word_r->end = i + 2;
	return true;
}

/* A run of adjacent encoded words in one charset, decoded but not yet
 * converted. */
struct word_run {
	char charset[72];
	struct buffer bytes;
	bool active;
};

static unsigned
word_run_flush(struct word_run *run, struct buffer *out)
{
	unsigned flags;

	if (!run->active)
		return 0;
	flags = mime_decode_charset(run->charset,
	    (const unsigned char *)buffer_string(&run->bytes),
	    buffer_length(&run->bytes), out, 0);
	buffer_reset(&run->bytes);
	run->active = false;
	return flags;
}

static bool
only_whitespace(const char *s, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++) {
		if (!is_wsp((unsigned char)s[i]) && s[i] != '\r' &&
		    s[i] != '\n')
			return false;
	}
	return true;
}

struct string_view
mail_header_decode(struct arena *arena, struct string_view value,
    unsigned *flags_r)
{
	struct string_view unfolded = mail_header_unfold(arena, value);
	const char *s = unfolded.data, *found;
	size_t length = unfolded.length, position = 0, text_start = 0;
	struct encoded_word word;
	struct word_run run;
	struct buffer out;
	bool after_word = false;
	unsigned flags = 0;
	char *copy;

	if (flags_r != NULL)
		*flags_r = 0;
	found = length >= 2 ? memmem(s, length, "=?", 2) : NULL;
	if (found == NULL && mime_decode_utf8_valid((const unsigned char *)s,
	    length))
		return unfolded;
	buffer_init(&out, 0);
	buffer_init(&run.bytes, 0);
	run.active = false;
	while (found != NULL) {
		position = (size_t)(found - s);
		if (!encoded_word_parse(s, length, position, &word)) {
			found = position + 2 < length ? memmem(s + position + 1,
			    length - position - 1, "=?", 2) : NULL;
			continue;
		}
		/* Whitespace between two encoded words vanishes. */
		if (!(after_word && only_whitespace(s + text_start,
		    position - text_start))) {
			flags |= word_run_flush(&run, &out);
			flags |= mime_decode_charset(NULL,
			    (const unsigned char *)s + text_start,
			    position - text_start, &out, 0);
		}
		if (run.active && (strlen(run.charset) != word.charset.length ||
		    !view_equal_case(run.charset, word.charset.data,
		    word.charset.length)))
			flags |= word_run_flush(&run, &out);
		if (!run.active) {
			memcpy(run.charset, word.charset.data,
			    word.charset.length);
			run.charset[word.charset.length] = '\0';
			run.active = true;
		}
		if (word.base64)
			flags |= mime_decode_base64(
			    (const unsigned char *)word.text.data,
			    word.text.length, &run.bytes, 0);
		else
			flags |= mime_decode_q(
			    (const unsigned char *)word.text.data,
			    word.text.length, &run.bytes, 0);
		text_start = word.end;
		after_word = true;
		found = word.end + 1 < length ? memmem(s + word.end,
		    length - word.end, "=?", 2) : NULL;
	}
	flags |= word_run_flush(&run, &out);
	flags |= mime_decode_charset(NULL,
	    (const unsigned char *)s + text_start, length - text_start, &out,
	    0);
	copy = arena_strndup(arena, buffer_string(&out),
	    buffer_length(&out));
	unfolded = string_view_make(copy, buffer_length(&out));
	buffer_deinit(&out);
	buffer_deinit(&run.bytes);
	if (flags_r != NULL)
		*flags_r = flags;
	return unfolded;
}

/* A NUL-terminated arena string for a decoded view (which may point
 * into its input rather than into a fresh copy). */
static const char *
decode_to_string(struct arena *arena, const char *s, size_t length)
{
	struct string_view input = string_view_make(s, length);
	struct string_view decoded = mail_header_decode(arena, input, NULL);

	if (decoded.data == input.data)
		return arena_strndup(arena, decoded.data, decoded.length);
	return decoded.data;
}

/* Content-Type and Content-Disposition */

/* Skips spaces, line breaks and (nested) comments from *i; sets *bad on
 * an unterminated comment. */
static void
skip_cfws(const char *s, size_t length, size_t *i, bool *bad)
{
	size_t depth;

	while (*i < length) {
		if (is_wsp((unsigned char)s[*i]) || s[*i] == '\r' ||
		    s[*i] == '\n') {
			(*i)++;
			continue;
		}
		if (s[*i] != '(')
			return;
		depth = 0;
		for (; *i < length; (*i)++) {
			if (s[*i] == '\\' && *i + 1 < length) {
				(*i)++;
			} else if (s[*i] == '(') {
				depth++;
			} else if (s[*i] == ')') {
				if (--depth == 0) {
					(*i)++;
					break;
				}
			}
		}
		if (depth != 0)
			*bad = true;
	}
}

static bool
is_token_end(unsigned char c)
{
	return c <= ' ' || c == ';' || c == '/' || c == '(' || c == '=' ||
	    c == '"' || c == 0x7f;
}

static const char *
lowercase_copy(struct arena *arena, const char *s, size_t length)
{
	char *copy = arena_strndup(arena, s, length);
	size_t i;

	for (i = 0; i < length; i++)
		copy[i] = (char)ascii_lower((unsigned char)copy[i]);
	return copy;
}

/* One parameter as written, before RFC 2231 assembly. */
struct raw_parameter {
	struct string_view name;	/* without "*N" and "*" */
	const char *value;		/* unquoted, NUL-terminated */
	size_t value_length;
	long section;			/* -1: not a section */
	bool extended;			/* "name*" or "name*N*" */
	bool used;
};

/* Reads a quoted string at s[*i] == '"' into out, unescaping; sets *bad
 * when it is unterminated. */
static void
read_quoted(const char *s, size_t length, size_t *i, struct buffer *out,
    bool *bad)
{
	size_t start;

	(*i)++;
	while (*i < length) {
		start = *i;
		while (*i < length && s[*i] != '"' && s[*i] != '\\')
			(*i)++;
		ASSERT(buffer_append(out, s + start, *i - start) == 0);
		if (*i >= length)
			break;
		if (s[*i] == '"') {
			(*i)++;
			return;
		}
		if (*i + 1 < length)
			ASSERT(buffer_append(out, s + *i + 1, 1) == 0);
		*i += 2;
	}
	*i = MIN(*i, length);
	*bad = true;
}

static inline int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends s with "%XX" escapes decoded; a bad escape stays literal. */
static void
percent_decode(const char *s, size_t length, struct buffer *out)
{
	unsigned char *dst = buffer_reserve(out, length);
	size_t i, o = 0;
	int high, low;

	ASSERT(dst != NULL);
	for (i = 0; i < length; i++) {
		if (s[i] == '%' && i + 2 < length &&
		    (high = hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (low = hex_digit((unsigned char)s[i + 2])) >= 0) {
			dst[o++] = (unsigned char)(high << 4 | low);
			i += 2;
		} else {
			dst[o++] = (unsigned char)s[i];
		}
	}
	buffer_commit(out, o);
}

/* Splits "charset'language'rest": *charset_r gets the charset (may be
 * empty) and the return value is the offset of rest. */
static size_t
rfc2231_prefix(const char *s, size_t length, char *charset_r,
    size_t charset_size)
{
	const char *first, *second;
	size_t n;

	charset_r[0] = '\0';
	first = memchr(s, '\'', length);
	if (first == NULL)
		return 0;
	second = memchr(first + 1, '\'', length - (size_t)(first + 1 - s));
	if (second == NULL)
		return 0;
	n = MIN((size_t)(first - s), charset_size - 1);
	memcpy(charset_r, s, n);
	charset_r[n] = '\0';
	return (size_t)(second + 1 - s);
}

static int
compare_sections(const void *a, const void *b)
{
	const struct raw_parameter *const *x = a, *const *y = b;

	return (*x)->section < (*y)->section ? -1 :
	    (*x)->section > (*y)->section;
}

/* Builds the final value of parameter raw[index] (first of its name),
 * marking every raw entry it consumed. */
static const char *
parameter_assemble(struct arena *arena, struct raw_parameter *raw,
    size_t count, size_t index)
{
	struct raw_parameter *sections[MAIL_HEADER_PARAMETERS_MAX];
	struct raw_parameter *plain = NULL, *extended_single = NULL, *p;
	char charset[MIME_DECODE_CHARSET_MAX + 1];
	struct string_view converted;
	struct buffer bytes;
	size_t i, n = 0, offset;
	const char *result;
	bool have_charset = false;

	charset[0] = '\0';
	for (i = index; i < count; i++) {
		p = &raw[i];
		if (p->used || p->name.length != raw[index].name.length ||
		    !view_equal_case(p->name.data, raw[index].name.data,
		    p->name.length))
			continue;
		p->used = true;
		if (p->section >= 0)
			sections[n++] = p;
		else if (p->extended && extended_single == NULL)
			extended_single = p;
		else if (!p->extended && plain == NULL)
			plain = p;
	}
	buffer_init(&bytes, 0);
	if (extended_single != NULL || n > 0) {
		if (n == 0)
			sections[n++] = extended_single;
		qsort(sections, n, sizeof(sections[0]), compare_sections);
		for (i = 0; i < n; i++) {
			p = sections[i];
			if (!p->extended) {
				ASSERT(buffer_append(&bytes, p->value,
				    p->value_length) == 0);
				continue;
			}
			offset = 0;
			if (i == 0) {
				offset = rfc2231_prefix(p->value,
				    p->value_length, charset, sizeof(charset));
				have_charset = true;
			}
			percent_decode(p->value + offset,
			    p->value_length - offset, &bytes);
		}
		(void)mime_decode_charset_arena(arena,
		    have_charset ? charset : NULL,
		    (const unsigned char *)buffer_string(&bytes),
		    buffer_length(&bytes), 0, &converted);
		result = converted.data == buffer_string(&bytes) ?
		    arena_strndup(arena, converted.data, converted.length) :
		    converted.data;
		buffer_deinit(&bytes);
		return result;
	}
	buffer_deinit(&bytes);
	ASSERT(plain != NULL);
	if ((plain->name.length == 4 &&
	    view_equal_case(plain->name.data, "name", 4)) ||
	    (plain->name.length == 8 &&
	    view_equal_case(plain->name.data, "filename", 8)))
		return decode_to_string(arena, plain->value,
		    plain->value_length);
	return plain->value;
}

/* Parses "name[*N][*]" from s[start..end): fills the name parts. */
static void
parameter_name_split(const char *s, size_t start, size_t end,
    struct raw_parameter *p)
{
	size_t star, i;
	long section = 0;

	p->extended = false;
	p->section = -1;
	if (end > start && s[end - 1] == '*') {
		p->extended = true;
		end--;
	}
	star = end;
	while (star > start && s[star - 1] >= '0' && s[star - 1] <= '9')
		star--;
	if (star < end && star > start + 1 && s[star - 1] == '*' &&
	    end - star <= 4) {
		for (i = star; i < end; i++)
			section = section * 10 + (s[i] - '0');
		p->section = section;
		end = star - 1;
	} else if (p->extended) {
		/* "name*" alone: one extended value, no sections. */
	}
	p->name = string_view_make(s + start, end - start);
}

static void
content_parse(struct arena *arena, struct string_view raw_value,
    bool want_subtype, struct mail_header_content *content_r)
{
	struct string_view value = mail_header_unfold(arena, raw_value);
	const char *s = value.data;
	size_t length = value.length, i = 0, start, count = 0, n = 0;
	struct raw_parameter raw[MAIL_HEADER_PARAMETERS_MAX];
	struct mail_header_parameter *parameters;
	struct raw_parameter *p;
	struct buffer unquoted;
	bool bad = false;

	memset(content_r, 0, sizeof(*content_r));
	content_r->type = "";
	content_r->subtype = "";
	skip_cfws(s, length, &i, &bad);
	start = i;
	while (i < length && !is_token_end((unsigned char)s[i]))
		i++;
	content_r->type = lowercase_copy(arena, s + start, i - start);
	skip_cfws(s, length, &i, &bad);
	if (want_subtype) {
		if (i < length && s[i] == '/') {
			i++;
			skip_cfws(s, length, &i, &bad);
			start = i;
			while (i < length && !is_token_end((unsigned char)s[i]))
				i++;
			content_r->subtype = lowercase_copy(arena, s + start,
			    i - start);
		}
		if (content_r->subtype[0] == '\0')
			content_r->flags |= MAIL_HEADER_CONTENT_BAD_TYPE;
	}
	if (content_r->type[0] == '\0')
		content_r->flags |= MAIL_HEADER_CONTENT_BAD_TYPE;

	buffer_init(&unquoted, 0);
	while (i < length) {
		/* Find the next ';', complaining about anything else. */
		skip_cfws(s, length, &i, &bad);
		if (i >= length)
			break;
		if (s[i] != ';') {
			bad = true;
			while (i < length && s[i] != ';')
				i++;
			continue;
		}
		i++;
		skip_cfws(s, length, &i, &bad);
		start = i;
		while (i < length && s[i] != '=' && s[i] != ';' &&
		    !is_wsp((unsigned char)s[i]) && s[i] != '(')
			i++;
		if (i == start) {
			if (i < length && s[i] != ';')
				bad = true;
			continue;
		}
		if (count == MAIL_HEADER_PARAMETERS_MAX) {
			content_r->flags |=
			    MAIL_HEADER_CONTENT_TOO_MANY_PARAMETERS;
			break;
		}
		p = &raw[count];
		memset(p, 0, sizeof(*p));
		parameter_name_split(s, start, i, p);
		skip_cfws(s, length, &i, &bad);
		if (i >= length || s[i] != '=') {
			bad = true;
			continue;
		}
		i++;
		skip_cfws(s, length, &i, &bad);
		buffer_reset(&unquoted);
		if (i < length && s[i] == '"') {
			read_quoted(s, length, &i, &unquoted, &bad);
		} else {
			/* Lenient token: up to ';' or a comment, trailing
			 * whitespace dropped (unquoted file names with
			 * spaces are common). */
			start = i;
			while (i < length && s[i] != ';' && !(s[i] == '(' &&
			    i > start && is_wsp((unsigned char)s[i - 1])))
				i++;
			n = i;
			while (n > start && is_wsp((unsigned char)s[n - 1]))
				n--;
			ASSERT(buffer_append(&unquoted, s + start,
			    n - start) == 0);
		}
		p->value = arena_strndup(arena,
		    buffer_string(&unquoted),
		    buffer_length(&unquoted));
		p->value_length = buffer_length(&unquoted);
		if (p->name.length > 0)
			count++;
	}
	buffer_deinit(&unquoted);
	if (bad)
		content_r->flags |= MAIL_HEADER_CONTENT_BAD_PARAMETER;
	if (count == 0)
		return;
	parameters = arena_array(arena, count, sizeof(*parameters));
	for (i = 0, n = 0; i < count; i++) {
		if (raw[i].used)
			continue;
		parameters[n].name = lowercase_copy(arena, raw[i].name.data,
		    raw[i].name.length);
		parameters[n].value = parameter_assemble(arena, raw, count, i);
		n++;
	}
	content_r->parameters = parameters;
	content_r->parameter_count = n;
}

void
mail_header_parse_content_type(struct arena *arena, struct string_view value,
    struct mail_header_content *content_r)
{
	content_parse(arena, value, true, content_r);
}

void
mail_header_parse_content_disposition(struct arena *arena,
    struct string_view value, struct mail_header_content *content_r)
{
	content_parse(arena, value, false, content_r);
}

const char *
mail_header_content_parameter(const struct mail_header_content *content,
    const char *name)
{
	size_t i;

	for (i = 0; i < content->parameter_count; i++) {
		if (strcasecmp(content->parameters[i].name, name) == 0)
			return content->parameters[i].value;
	}
	return NULL;
}

/* Address lists */

enum address_token_kind {
	ADDRESS_TOKEN_ATOM,
	ADDRESS_TOKEN_QUOTED,
	ADDRESS_TOKEN_COMMENT,
	ADDRESS_TOKEN_ANGLE,
	ADDRESS_TOKEN_COMMA,
	ADDRESS_TOKEN_COLON,
	ADDRESS_TOKEN_SEMICOLON,
};

struct address_token {
	enum address_token_kind kind;
	/* Raw slice (quotes, parentheses and brackets included). */
	size_t start, end;
	/* Inner slice (without delimiters). */
	size_t inner_start, inner_end;
	bool space_before;
};

static inline bool
is_address_special(unsigned char c)
{
	return c == '"' || c == '(' || c == '<' || c == '>' || c == ',' ||
	    c == ':' || c == ';';
}

/* Offset of the closing quote of the quoted string opening at s[start],
 * or length. */
static size_t
quoted_end(const char *s, size_t length, size_t start)
{
	size_t i;

	for (i = start + 1; i < length && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < length)
			i++;
	}
	return i;
}

/* Does the quoted string opening at s[start] have its closing quote? */
static bool
quote_closes(const char *s, size_t length, size_t start)
{
	return quoted_end(s, length, start) < length;
}

/* Splits s into tokens (heap array in *tokens_r). */
static size_t
address_tokenize(const char *s, size_t length, struct address_token **tokens_r)
{
	struct address_token *tokens = NULL, *t;
	size_t count = 0, capacity = 0, i = 0, depth;
	bool space = false;
	unsigned char c;

	while (i < length) {
		c = (unsigned char)s[i];
		if (is_wsp(c) || c == '\r' || c == '\n') {
			space = true;
			i++;
			continue;
		}
		if (count == capacity) {
			capacity = capacity == 0 ? 16 : capacity * 2;
			tokens = alloc_resize(tokens, capacity,
			    sizeof(*tokens));
		}
		if (c == '"' && !quote_closes(s, length, i)) {
			/* A stray quote: ignore it, read on as if it were
			 * not there (keeps "<a@b>" after it usable). */
			space = true;
			i++;
			continue;
		}
		t = &tokens[count++];
		t->space_before = space;
		space = false;
		t->start = i;
		if (c == '"') {
			t->kind = ADDRESS_TOKEN_QUOTED;
			t->inner_start = ++i;
			while (s[i] != '"') {
				if (s[i] == '\\')
					i++;
				i++;
			}
			t->inner_end = i++;
		} else if (c == '(') {
			t->kind = ADDRESS_TOKEN_COMMENT;
			t->inner_start = i + 1;
			depth = 0;
			for (; i < length; i++) {
				if (s[i] == '\\' && i + 1 < length)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0)
					break;
			}
			t->inner_end = MIN(i, length);
			if (i < length)
				i++;
		} else if (c == '<') {
			t->kind = ADDRESS_TOKEN_ANGLE;
			t->inner_start = ++i;
			while (i < length && s[i] != '>') {
				if (s[i] == '"') {
					/* A quoted local part may hold '>'. */
					i = quoted_end(s, length, i);
				}
				if (i < length)
					i++;
			}
			t->inner_end = MIN(i, length);
			if (i < length)
				i++;
		} else if (c == ',' || c == ':' || c == ';' || c == '>') {
			t->kind = c == ',' ? ADDRESS_TOKEN_COMMA :
			    c == ':' ? ADDRESS_TOKEN_COLON :
			    c == ';' ? ADDRESS_TOKEN_SEMICOLON :
			    ADDRESS_TOKEN_ATOM;
			t->inner_start = i;
			t->inner_end = ++i;
		} else {
			t->kind = ADDRESS_TOKEN_ATOM;
			t->inner_start = i;
			while (i < length && !is_wsp((unsigned char)s[i]) &&
			    s[i] != '\r' && s[i] != '\n' &&
			    !is_address_special((unsigned char)s[i]))
				i++;
			t->inner_end = i;
		}
		t->end = i;
	}
	*tokens_r = tokens;
	return count;
}

struct address_builder {
	struct arena *arena;
	const char *s;
	struct mail_header_address *addresses;
	size_t count, capacity;
	const char *group;
	size_t group_members;
	struct buffer scratch;
};

/* Appends the unescaped inner text of a quoted string or comment. */
static void
append_unescaped(struct buffer *out, const char *s, size_t start, size_t end)
{
	size_t i, run = start;

	for (i = start; i < end; i++) {
		if (s[i] == '\\' && i + 1 < end) {
			ASSERT(buffer_append(out, s + run, i - run) == 0);
			run = ++i;
		}
	}
	ASSERT(buffer_append(out, s + run, end - run) == 0);
}

/* The decoded, space-collapsed display text of tokens (atoms and quoted
 * strings, or comments when comments is set). */
static const char *
address_phrase(struct address_builder *b, const struct address_token *tokens,
    size_t first, size_t last, bool comments, const bool *skip)
{
	const struct address_token *t;
	const unsigned char *data;
	const char *decoded;
	size_t i, o = 0, length;
	char *collapsed;
	bool space = false;

	buffer_reset(&b->scratch);
	for (i = first; i < last; i++) {
		t = &tokens[i];
		if (skip != NULL && skip[i - first])
			continue;
		if (comments != (t->kind == ADDRESS_TOKEN_COMMENT))
			continue;
		if (!comments && t->kind != ADDRESS_TOKEN_ATOM &&
		    t->kind != ADDRESS_TOKEN_QUOTED)
			continue;
		if (buffer_length(&b->scratch) > 0 &&
		    (t->space_before || comments))
			ASSERT(buffer_append(&b->scratch, " ", 1) == 0);
		if (t->kind == ADDRESS_TOKEN_ATOM)
			ASSERT(buffer_append(&b->scratch, b->s + t->inner_start,
			    t->inner_end - t->inner_start) == 0);
		else
			append_unescaped(&b->scratch, b->s, t->inner_start,
			    t->inner_end);
	}
	decoded = decode_to_string(b->arena,
	    buffer_string(&b->scratch),
	    buffer_length(&b->scratch));
	/* Collapse whitespace runs and trim, in place (arena copy). */
	length = strlen(decoded);
	data = (const unsigned char *)decoded;
	collapsed = arena_alloc(b->arena, length + 1);
	for (i = 0; i < length; i++) {
		if (is_wsp(data[i]) || data[i] == '\r' || data[i] == '\n') {
			space = o > 0;
			continue;
		}
		if (space)
			collapsed[o++] = ' ';
		space = false;
		collapsed[o++] = (char)data[i];
	}
	collapsed[o] = '\0';
	return collapsed;
}

/* The addr-spec text of s[start..end): whitespace and comments
 * removed, a source route ("@a,@b:") dropped. */
static const char *
address_spec(struct address_builder *b, size_t start, size_t end)
{
	const char *s = b->s, *colon;
	size_t i, depth = 0;
	bool quoted = false;

	buffer_reset(&b->scratch);
	for (i = start; i < end; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < end) {
				ASSERT(buffer_append(&b->scratch, s + i, 2) ==
				    0);
				i++;
				continue;
			}
			if (s[i] == '"')
				quoted = false;
		} else if (depth > 0) {
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
			continue;
		} else if (s[i] == '(') {
			depth++;
			continue;
		} else if (s[i] == '"') {
			quoted = true;
		} else if (is_wsp((unsigned char)s[i]) || s[i] == '\r' ||
		    s[i] == '\n') {
			continue;
		}
		ASSERT(buffer_append(&b->scratch, s + i, 1) == 0);
	}
	s = buffer_string(&b->scratch);
	end = buffer_length(&b->scratch);
	start = 0;
	if (end > 0 && s[0] == '@') {
		colon = memchr(s, ':', end);
		if (colon != NULL)
			start = (size_t)(colon + 1 - s);
	}
	return arena_strndup(b->arena, s + start, end - start);
}

static void
address_add(struct address_builder *b, const char *name, const char *address)
{
	struct mail_header_address *grown;

	if (b->count >= MAIL_HEADER_ADDRESSES_MAX)
		return;
	if (b->count == b->capacity) {
		b->capacity = b->capacity == 0 ? 4 : b->capacity * 2;
		grown = arena_array(b->arena, b->capacity, sizeof(*grown));
		if (b->count > 0)
			memcpy(grown, b->addresses, b->count * sizeof(*grown));
		b->addresses = grown;
	}
	b->addresses[b->count].name = name;
	b->addresses[b->count].address = address;
	b->addresses[b->count].group = b->group;
	b->count++;
	if (b->group != NULL)
		b->group_members++;
}

/* Does token t end or start with '@' or '.', joining it to a neighbour
 * across whitespace ("john @ example.org")? */
static bool
address_token_joins(const char *s, const struct address_token *t, bool at_end)
{
	char c;

	if (t->kind != ADDRESS_TOKEN_ATOM)
		return false;
	c = at_end ? s[t->end - 1] : s[t->start];
	return c == '@' || c == '.';
}

/* Emits the mailbox made of tokens[first..last). */
static void
address_mailbox(struct address_builder *b, const struct address_token *tokens,
    size_t first, size_t last)
{
	bool skip[MAIL_HEADER_ADDRESSES_MAX];
	const char *name, *address = "";
	size_t i, angle = SIZE_MAX, run_start, best_start = SIZE_MAX;
	size_t best_end = 0, runs = 0, words = 0;

	for (i = first; i < last; i++) {
		if (tokens[i].kind == ADDRESS_TOKEN_ANGLE && angle == SIZE_MAX)
			angle = i;
		if (tokens[i].kind == ADDRESS_TOKEN_ATOM ||
		    tokens[i].kind == ADDRESS_TOKEN_QUOTED)
			words++;
	}
	if (angle != SIZE_MAX) {
		address = address_spec(b, tokens[angle].inner_start,
		    tokens[angle].inner_end);
		name = address_phrase(b, tokens, first, angle, false, NULL);
		if (name[0] == '\0')
			name = address_phrase(b, tokens, first, last, true,
			    NULL);
		if (name[0] != '\0' || address[0] != '\0' ||
		    tokens[angle].inner_end == tokens[angle].inner_start)
			address_add(b, name, address);
		return;
	}
	if (words == 0) {
		name = address_phrase(b, tokens, first, last, true, NULL);
		if (name[0] != '\0')
			address_add(b, name, "");
		return;
	}
	/* No angle brackets: split the words into whitespace-separated
	 * runs; the last run with an '@' (or the only run) is the
	 * address, the other words the name. */
	run_start = SIZE_MAX;
	for (i = first; i <= last; i++) {
		bool word = i < last && (tokens[i].kind == ADDRESS_TOKEN_ATOM ||
		    tokens[i].kind == ADDRESS_TOKEN_QUOTED);
		bool breaks = i == last || !word || (run_start != SIZE_MAX &&
		    tokens[i].space_before &&
		    !address_token_joins(b->s, &tokens[i - 1], true) &&
		    !address_token_joins(b->s, &tokens[i], false));

		if (breaks && run_start != SIZE_MAX) {
			runs++;
			if (memchr(b->s + tokens[run_start].start, '@',
			    tokens[i - 1].end - tokens[run_start].start) !=
			    NULL || best_start == SIZE_MAX) {
				best_start = run_start;
				best_end = i;
			}
			run_start = SIZE_MAX;
		}
		if (word && run_start == SIZE_MAX)
			run_start = i;
	}
	if (runs > 1 && memchr(b->s + tokens[best_start].start, '@',
	    tokens[best_end - 1].end - tokens[best_start].start) == NULL) {
		/* Several words, none an address: a name only. */
		name = address_phrase(b, tokens, first, last, false, NULL);
		address_add(b, name, "");
		return;
	}
	address = address_spec(b, tokens[best_start].start,
	    tokens[best_end - 1].end);
	if (runs > 1 && last - first <= ARRAY_LENGTH(skip)) {
		for (i = first; i < last; i++)
			skip[i - first] = i >= best_start && i < best_end;
		name = address_phrase(b, tokens, first, last, false, skip);
	} else {
		name = address_phrase(b, tokens, first, last, true, NULL);
	}
	address_add(b, name, address);
}

size_t
mail_header_parse_addresses(struct arena *arena, struct string_view value,
    struct mail_header_address **addresses_r)
{
	struct string_view unfolded = mail_header_unfold(arena, value);
	struct address_builder b;
	struct address_token *tokens;
	size_t count, i, start = 0;
	bool seen_angle = false;

	memset(&b, 0, sizeof(b));
	b.arena = arena;
	b.s = unfolded.data;
	buffer_init(&b.scratch, 0);
	count = address_tokenize(unfolded.data, unfolded.length, &tokens);
	for (i = 0; i <= count; i++) {
		if (i < count && tokens[i].kind == ADDRESS_TOKEN_ANGLE)
			seen_angle = true;
		if (i < count && tokens[i].kind == ADDRESS_TOKEN_COLON &&
		    b.group == NULL && !seen_angle) {
			b.group = address_phrase(&b, tokens, start, i, false,
			    NULL);
			b.group_members = 0;
			start = i + 1;
			continue;
		}
		if (i < count && tokens[i].kind != ADDRESS_TOKEN_COMMA &&
		    tokens[i].kind != ADDRESS_TOKEN_SEMICOLON)
			continue;
		if (i > start)
			address_mailbox(&b, tokens, start, i);
		if (i < count && tokens[i].kind == ADDRESS_TOKEN_SEMICOLON &&
		    b.group != NULL) {
			if (b.group_members == 0)
				address_add(&b, "", "");
			b.group = NULL;
		}
		start = i + 1;
		seen_angle = false;
	}
	if (b.group != NULL && b.group_members == 0)
		address_add(&b, "", "");
	free(tokens);
	buffer_deinit(&b.scratch);
	*addresses_r = b.addresses;
	return b.count;
}
