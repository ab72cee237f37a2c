/* rule_eval.c: evaluate a rule set over one message, SpamAssassin-style.
 *
 * DESIGN: one value per rule index (its hit count), filled type by type;
 * each view of the message is built on first use and kept for the rest
 * of the message, so a message without body rules never renders HTML.
 * The rule set is shared and read-only; all per-message state is here. */
#include "rules/rule_eval.h"
#include "rules/rule_html.h"
#include "lib/buffer.h"
#include "lib/html_text.h"
#include "lib/log.h"
#include "lib/mail_header.h"
#include "lib/message.h"
#include "lib/string_set.h"
#include "lib/received.h"
#include "lib/uri_extract.h"
#include "rules/rule_prefilter.h"

#include <ctype.h>

/* SpamAssassin's MAX_BODY_LINE_LENGTH. */
#define RULE_EVAL_LINE_MAX 2048
/* Above this many body lines the per-line prefilter rows (a bitset of
 * all rules per line) cost more memory than they save: the whole text is
 * scanned once instead. */
#define RULE_EVAL_LINE_ROWS_MAX 4096

struct rule_eval_header_cache {
	const char *request;
	const char *value;   /* NULL: absent */
};

struct rule_eval_context {
	const struct ruleset *ruleset;
	const struct rule_eval_input *input;
	struct arena *arena;
	double *values;
	/* views, built on demand */
	struct rule_eval_header_cache *headers;
	size_t header_count, header_capacity;
	/* Open addressing over headers[]: index + 1, 0 for empty; twice
	 * header_capacity slots. */
	uint32_t *header_slots;
	struct string_view *body;
	size_t body_count;
	bool body_ready;
	struct string_view *rawbody;
	size_t rawbody_count;
	bool rawbody_ready;
	const struct html_text *html;
	bool html_ready;
	struct uri_extract *uris;
	bool uris_ready;
	struct string_view body_text;   /* the text body lines slice */
	/* Per body line, the prefilter's candidates for that line alone
	 * (line_words words a line), or NULL: a rule's required literal
	 * must be in the line it matches, so other lines need no PCRE2. */
	uint64_t *body_line_bits;
	size_t line_words;
	struct string_view *uri_subjects;	/* what uri rules test */
	size_t uri_subject_count;
	unsigned char *squeeze_buffer;	/* one squeezed body line */
	const struct html_text **rendered; /* per part index, on demand */
	struct received_text relays;    /* X-Spam-Relays-* */
	struct received_relay *relay_list; /* parsed, newest first */
	size_t relay_count;
	bool relays_ready;
	uint64_t *candidates[RULESET_TYPE_COUNT]; /* prefilter results */
	const struct rule_html **html_parts;
	const struct message_part **html_part_sources;
	size_t html_part_count;
	bool html_parts_ready;
	void *slots[RULE_EVAL_SLOT_COUNT];
};

/* Our buffers here have no cap; a refusal is a bug. */
static void
rule_eval_put(struct buffer *out, const void *data, size_t length)
{
	if (buffer_append(out, data, length) < 0)
		log_panic("rule_eval: unbounded buffer refused %zu bytes",
		    length);
}

static void
rule_eval_put_string(struct buffer *out, const char *text)
{
	rule_eval_put(out, text, strlen(text));
}

struct arena *
rule_eval_arena(struct rule_eval_context *context)
{
	return context->arena;
}

const struct message *
rule_eval_message(struct rule_eval_context *context)
{
	return context->input->message;
}

/* A growable list of string views in the arena. */
struct rule_eval_views {
	struct string_view *items;
	size_t count, capacity;
};

static void
rule_eval_views_add(struct arena *arena, struct rule_eval_views *views,
    const char *data, size_t length)
{
	struct string_view *grown;

	if (views->count == views->capacity) {
		views->capacity = views->capacity == 0 ? 16 :
		    views->capacity * 2;
		grown = arena_array(arena, views->capacity, sizeof(*grown));
		if (views->count > 0)
			memcpy(grown, views->items,
			    views->count * sizeof(*grown));
		views->items = grown;
	}
	views->items[views->count++] = string_view_make(data, length);
}

/* "value\n" per header instance: decoded and unfolded, or (raw) with
 * folds turned into single spaces. */
static void
rule_eval_append_values(struct rule_eval_context *context,
    struct buffer *out, const char *name, bool raw)
{
	const struct mail_header_field **fields;
	struct string_view value;
	size_t count, i, j;

	fields = mail_header_get_all(context->input->message->header,
	    context->arena, name, &count);
	for (i = 0; i < count; i++) {
		if (raw) {
			/* CR? LF followed by whitespace becomes one space. */
			value = fields[i]->value;
			for (j = 0; j < value.length; j++) {
				char c = value.data[j];
				if (c == '\r' && j + 1 < value.length &&
				    value.data[j + 1] == '\n')
					continue;
				if (c == '\n') {
					while (j + 1 < value.length &&
					    (value.data[j + 1] == ' ' ||
					    value.data[j + 1] == '\t'))
						j++;
					c = ' ';
				}
				rule_eval_put(out, &c, 1);
			}
		} else {
			value = mail_header_decode(context->arena,
			    fields[i]->value, NULL);
			rule_eval_put(out, value.data, value.length);
		}
		rule_eval_put(out, "\n", 1);
	}
}

static bool
rule_eval_has_header(struct rule_eval_context *context, const char *name)
{
	return mail_header_get(context->input->message->header, name) != NULL;
}

/* The Received trail, parsed once per message. */
static void
rule_eval_relays(struct rule_eval_context *context)
{
	if (context->relays_ready)
		return;
	context->relay_count = received_parse_all(context->arena,
	    context->input->message->header, ruleset_received_options(
	    context->ruleset), &context->relay_list);
	received_format(context->arena, context->relay_list,
	    context->relay_count, &context->relays);
	context->relays_ready = true;
}

/* The address of the first (topmost) field called name, or NULL; with
 * *after_received_r set when a Received field comes before it. */
static const char *
rule_eval_first_address(struct rule_eval_context *context, const char *name,
    bool *after_received_r)
{
	const struct mail_header *header = context->input->message->header;
	struct mail_header_address *addresses;
	bool received = false;
	size_t i, count;

	for (i = 0; i < header->field_count; i++) {
		const struct mail_header_field *field = &header->fields[i];
		if (string_view_equal_cstring_case(field->name, "Received"))
			received = true;
		if (!string_view_equal_cstring_case(field->name, name))
			continue;
		*after_received_r = received;
		count = mail_header_parse_addresses(context->arena,
		    mail_header_decode(context->arena, field->value, NULL),
		    &addresses);
		return count > 0 && addresses[0].address != NULL ?
		    addresses[0].address : NULL;
	}
	return NULL;
}

/* SpamAssassin's get_envelope_from() when the caller does not know MAIL
 * FROM: the envelope sender the last untrusted relay (or, with none, the
 * first trusted one) recorded; else X-Envelope-From, Envelope-Sender or
 * Return-Path, each only when no Received field is above it (a list may
 * have re-sent the message with a new sender since); nothing when an
 * X-Sender meets a fetchmail Received line. */
static const char *
rule_eval_guess_envelope_from(struct rule_eval_context *context)
{
	static const char *const headers[] = { "Envelope-Sender",
		"Return-Path" };
	const struct received_relay *hop = NULL;
	const char *found;
	bool after_received;
	size_t i;

	rule_eval_relays(context);
	for (i = 0; i < context->relay_count && hop == NULL; i++)
		if (!context->relay_list[i].trusted)
			hop = &context->relay_list[i];
	if (hop == NULL && context->relay_count > 0)
		hop = &context->relay_list[context->relay_count - 1];
	if (hop != NULL && strchr(hop->envfrom, '@') != NULL &&
	    hop->envfrom[0] != '@')
		return hop->envfrom;
	found = rule_eval_first_address(context, "X-Sender", &after_received);
	if (found != NULL && strchr(found, '@') != NULL) {
		const struct mail_header *header =
		    context->input->message->header;
		for (i = 0; i < header->field_count; i++)
			if (string_view_equal_cstring_case(
			    header->fields[i].name, "Received") &&
			    memmem(header->fields[i].value.data,
			    header->fields[i].value.length, "(fetchmail",
			    10) != NULL)
				return NULL;
	}
	found = rule_eval_first_address(context, "X-Envelope-From",
	    &after_received);
	if (found != NULL)
		return after_received ? NULL : found;
	for (i = 0; i < ARRAY_LENGTH(headers); i++) {
		found = rule_eval_first_address(context, headers[i],
		    &after_received);
		if (found != NULL && !after_received)
			return found;
	}
	return NULL;
}

/* Applies :addr / :name to the joined raw values in text. */
static const char *
rule_eval_addresses(struct rule_eval_context *context, const char *text,
    bool want_name)
{
	struct mail_header_address *addresses;
	struct buffer out;
	const char *line = text, *end, *result;
	size_t count, i;

	buffer_init(&out, 0);
	while (*line != '\0') {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		count = mail_header_parse_addresses(context->arena,
		    string_view_make(line, (size_t)(end - line)), &addresses);
		for (i = 0; i < count; i++) {
			const char *item = want_name ? addresses[i].name :
			    addresses[i].address;
			if (item == NULL || (!want_name && *item == '\0'))
				continue;
			if (buffer_length(&out) > 0)
				rule_eval_put(&out, "\n", 1);
			rule_eval_put_string(&out, item);
		}
		line = *end == '\0' ? end : end + 1;
	}
	result = buffer_length(&out) > 0 ?
	    arena_strndup(context->arena, buffer_string(&out),
		buffer_length(&out)) : NULL;
	buffer_deinit(&out);
	return result;
}

static const char *
rule_eval_compute_header(struct rule_eval_context *context,
    const char *request)
{
	const struct message *message = context->input->message;
	char name[256];
	const char *colon, *modifiers = "";
	bool raw = false, addr = false, want_name = false, found = false;
	struct buffer out;
	const char *result;
	size_t i;

	colon = strchr(request, ':');
	if (colon != NULL) {
		modifiers = colon;
		snprintf(name, sizeof(name), "%.*s", (int)(colon - request),
		    request);
	} else {
		snprintf(name, sizeof(name), "%s", request);
	}
	raw = strstr(modifiers, ":raw") != NULL;
	addr = strstr(modifiers, ":addr") != NULL;
	want_name = strstr(modifiers, ":name") != NULL;
	buffer_init(&out, 0);
	if (strcmp(name, "ALL") == 0 || strncmp(name, "ALL-", 4) == 0) {
		/* No trust path is configured for content scans: every
		 * relay counts as external and untrusted. */
		if (strcmp(name, "ALL-TRUSTED") == 0 ||
		    strcmp(name, "ALL-INTERNAL") == 0) {
			buffer_deinit(&out);
			return NULL;
		}
		if (raw) {
			rule_eval_put(&out, message->raw.data,
			    message->header->fields_end);
		} else {
			for (i = 0; i < message->header->field_count; i++) {
				const struct mail_header_field *field =
				    &message->header->fields[i];
				struct string_view value = mail_header_decode(
				    context->arena, field->value, NULL);
				rule_eval_put(&out, field->name.data,
				    field->name.length);
				rule_eval_put(&out, ": ", 2);
				rule_eval_put(&out, value.data,
				    value.length);
				rule_eval_put(&out, "\n", 1);
			}
		}
		found = buffer_length(&out) > 0;
	} else if (strcasecmp(name, "ToCc") == 0) {
		found = rule_eval_has_header(context, "To") ||
		    rule_eval_has_header(context, "Cc");
		rule_eval_append_values(context, &out, "To", raw || addr ||
		    want_name);
		rule_eval_append_values(context, &out, "Cc", raw || addr ||
		    want_name);
	} else if (strcasecmp(name, "EnvelopeFrom") == 0) {
		const char *sender = context->input->envelope_from != NULL ?
		    context->input->envelope_from :
		    rule_eval_guess_envelope_from(context);
		if (sender != NULL) {
			rule_eval_put_string(&out, sender);
			found = true;
		}
		addr = want_name = false;
	} else if (strcmp(name, "MESSAGEID") == 0) {
		static const char *const ids[] = { "X-Message-Id",
			"Resent-Message-Id", "X-Original-Message-ID",
			"Message-Id" };
		for (i = 0; i < ARRAY_LENGTH(ids); i++) {
			if (!rule_eval_has_header(context, ids[i]))
				continue;
			found = true;
			rule_eval_append_values(context, &out, ids[i], raw);
		}
	} else if (strncasecmp(name, "X-Spam-Relays-", 14) == 0) {
		const char *kind = name + 14, *text = NULL;

		rule_eval_relays(context);
		if (strcasecmp(kind, "Untrusted") == 0)
			text = context->relays.untrusted;
		else if (strcasecmp(kind, "Trusted") == 0)
			text = context->relays.trusted;
		else if (strcasecmp(kind, "Internal") == 0)
			text = context->relays.internal;
		else if (strcasecmp(kind, "External") == 0)
			text = context->relays.external;
		/* SpamAssassin defines these even when empty. */
		if (text != NULL) {
			rule_eval_put_string(&out, text);
			found = true;
		}
	} else {
		found = rule_eval_has_header(context, name);
		rule_eval_append_values(context, &out, name,
		    raw || addr || want_name);
	}
	if (!found) {
		buffer_deinit(&out);
		return NULL;
	}
	result = arena_strndup(context->arena, buffer_string(&out),
	    buffer_length(&out));
	buffer_deinit(&out);
	if (addr || want_name)
		result = rule_eval_addresses(context, result, want_name);
	return result;
}

/* Where request is in header_slots, or the empty slot for it. */
static size_t
rule_eval_header_slot(const struct rule_eval_context *context,
    const char *request)
{
	size_t mask = context->header_capacity * 2 - 1;
	size_t slot = (size_t)string_hash(request, strlen(request)) & mask;
	uint32_t index;

	while ((index = context->header_slots[slot]) != 0) {
		const char *known = context->headers[index - 1].request;
		/* Rules share interned request strings (ruleset.c). */
		if (known == request || strcmp(known, request) == 0)
			break;
		slot = (slot + 1) & mask;
	}
	return slot;
}

const char *
rule_eval_header(struct rule_eval_context *context, const char *request)
{
	struct rule_eval_header_cache *grown;
	const char *value;
	size_t slot, i;

	if (context->header_capacity > 0) {
		slot = rule_eval_header_slot(context, request);
		if (context->header_slots[slot] != 0)
			return context->headers[
			    context->header_slots[slot] - 1].value;
	}
	value = rule_eval_compute_header(context, request);
	if (context->header_count == context->header_capacity) {
		context->header_capacity = context->header_capacity == 0 ? 64 :
		    context->header_capacity * 2;
		grown = arena_array(context->arena, context->header_capacity,
		    sizeof(*grown));
		if (context->header_count > 0)
			memcpy(grown, context->headers,
			    context->header_count * sizeof(*grown));
		context->headers = grown;
		context->header_slots = arena_array(context->arena,
		    context->header_capacity * 2, sizeof(uint32_t));
		for (i = 0; i < context->header_count; i++)
			context->header_slots[rule_eval_header_slot(context,
			    context->headers[i].request)] = (uint32_t)i + 1;
	}
	context->headers[context->header_count].request = request;
	context->headers[context->header_count].value = value;
	context->header_count++;
	context->header_slots[rule_eval_header_slot(context, request)] =
	    (uint32_t)context->header_count;
	return value;
}

/* An HTML part rendered once per message, whoever asks first. */
static const struct html_text *
rule_eval_render(struct rule_eval_context *context,
    const struct message_part *part)
{
	const struct message *message = context->input->message;

	if (context->rendered == NULL)
		context->rendered = arena_array(context->arena,
		    message->part_count + 1, sizeof(*context->rendered));
	if (context->rendered[part->index] == NULL)
		context->rendered[part->index] = html_text_render(
		    context->arena, part->text.data, part->text.length, NULL);
	return context->rendered[part->index];
}

const struct html_text *
rule_eval_html(struct rule_eval_context *context)
{
	const struct message *message = context->input->message;
	const struct message_part *part;

	if (context->html_ready)
		return context->html;
	context->html_ready = true;
	for (part = message_next_text_part(message, NULL); part != NULL;
	    part = message_next_text_part(message, part)) {
		if (part->is_html) {
			context->html = rule_eval_render(
			    context, part);
			break;
		}
	}
	return context->html;
}

/* SpamAssassin renders text parts other than text/calendar. */
static bool
rule_eval_renderable(const struct message_part *part)
{
	return part->is_text && strcmp(part->subtype, "calendar") != 0;
}

static bool
rule_eval_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Appends text with SpamAssassin's whitespace rules: a run containing
 * two or more newlines ends a paragraph (one "\n"), any other run of
 * whitespace becomes one space. *pending carries a run across calls. */
static void
rule_eval_normalise(struct buffer *out, const char *text, size_t length)
{
	size_t i = 0, newlines;

	while (i < length) {
		unsigned char c = (unsigned char)text[i];
		if (!rule_eval_is_space(c)) {
			size_t start = i;
			while (i < length &&
			    !rule_eval_is_space((unsigned char)text[i]))
				i++;
			rule_eval_put(out, text + start, i - start);
			continue;
		}
		newlines = 0;
		while (i < length && rule_eval_is_space((unsigned char)text[i])) {
			if (text[i] == '\n')
				newlines++;
			i++;
		}
		rule_eval_put(out, newlines >= 2 ? "\n" : " ", 1);
	}
}

static void
rule_eval_build_body(struct rule_eval_context *context)
{
	const struct message *message = context->input->message;
	const struct message_part *part;
	struct rule_eval_views views = { 0 };
	struct buffer text;
	const char *subject, *p, *end, *line_end, *data;
	bool first = true;
	size_t length, cut;

	context->body_ready = true;
	buffer_init(&text, 0);
	for (part = message_next_text_part(message, NULL); part != NULL;
	    part = message_next_text_part(message, part)) {
		if (!rule_eval_renderable(part))
			continue;
		if (!first)
			rule_eval_put(&text, "\n", 1);
		first = false;
		if (part->is_html) {
			const struct html_text *html = rule_eval_render(context,
			    part);
			rule_eval_put(&text, html->text.data,
			    html->text.length);
		} else {
			rule_eval_put(&text, part->text.data,
			    part->text.length);
		}
	}
	/* The normalised text, behind the Subject line. */
	{
		struct buffer normal;
		buffer_init(&normal, 0);
		subject = rule_eval_header(context, "Subject");
		rule_eval_put_string(&normal,
		    subject != NULL ? subject : "\n");
		rule_eval_normalise(&normal, buffer_string(&text),
		    buffer_length(&text));
		length = buffer_length(&normal);
		data = arena_strndup(context->arena, buffer_string(&normal),
		    length);
		buffer_deinit(&normal);
	}
	buffer_deinit(&text);
	/* Lines keep their "\n"; long ones split after a space. */
	for (p = data, end = data + length; p < end; p = line_end) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		line_end = newline != NULL ? newline + 1 : end;
		while ((size_t)(line_end - p) > RULE_EVAL_LINE_MAX) {
			cut = RULE_EVAL_LINE_MAX;
			while (cut > 0 && p[cut - 1] != ' ')
				cut--;
			if (cut == 0)
				cut = RULE_EVAL_LINE_MAX;
			rule_eval_views_add(context->arena, &views, p, cut);
			p += cut;
		}
		rule_eval_views_add(context->arena, &views, p,
		    (size_t)(line_end - p));
	}
	context->body = views.items;
	context->body_count = views.count;
	context->body_text = string_view_make(data, length);
}

const struct string_view *
rule_eval_body(struct rule_eval_context *context, size_t *count_r)
{
	if (!context->body_ready)
		rule_eval_build_body(context);
	*count_r = context->body_count;
	return context->body;
}

/* Decoded text parts in SpamAssassin's 2-4 KiB paragraphs. */
static void
rule_eval_build_rawbody(struct rule_eval_context *context)
{
	const struct message *message = context->input->message;
	const struct message_part *part;
	struct rule_eval_views views = { 0 };
	const char *text, *cut;
	size_t length, offset, j;

	context->rawbody_ready = true;
	for (part = message_next_text_part(message, NULL); part != NULL;
	    part = message_next_text_part(message, part)) {
		if (strcmp(part->subtype, "calendar") == 0)
			continue;
		text = part->decoded.data;
		length = part->decoded.length;
		if (length <= RULE_EVAL_LINE_MAX) {
			rule_eval_views_add(context->arena, &views, text,
			    length);
			continue;
		}
		for (offset = 0; length - offset > 2 * RULE_EVAL_LINE_MAX;
		    offset = j + 1) {
			static const char separators[] = "\n> ";
			size_t s;
			j = offset + RULE_EVAL_LINE_MAX;
			for (s = 0; s < 3; s++) {
				cut = memchr(text + offset + RULE_EVAL_LINE_MAX,
				    separators[s],
				    length - offset - RULE_EVAL_LINE_MAX);
				if (cut != NULL && (size_t)(cut - text) - offset +
				    1 <= 2 * RULE_EVAL_LINE_MAX) {
					j = (size_t)(cut - text);
					break;
				}
			}
			rule_eval_views_add(context->arena, &views,
			    text + offset, j - offset + 1);
		}
		if (offset < length)
			rule_eval_views_add(context->arena, &views,
			    text + offset, length - offset);
	}
	context->rawbody = views.items;
	context->rawbody_count = views.count;
}

const struct ruleset *
rule_eval_ruleset(struct rule_eval_context *context)
{
	return context->ruleset;
}

const struct string_view *
rule_eval_rawbody(struct rule_eval_context *context, size_t *count_r)
{
	if (!context->rawbody_ready)
		rule_eval_build_rawbody(context);
	*count_r = context->rawbody_count;
	return context->rawbody;
}

/* SpamAssassin keeps the HTML facts of every part it renders as HTML:
 * text/html leaves, and any leaf whose file name ends in .htm(l),
 * that have a non-empty body. */
static bool
rule_eval_renders_html(const struct message_part *part)
{
	return part->kind == MIME_PARSER_LEAF && part->decoded.length > 0 &&
	    (part->is_html || rule_html_file_name(part->filename));
}

const struct rule_html *const *
rule_eval_html_parts(struct rule_eval_context *context, size_t *count_r)
{
	const struct message *message = context->input->message;
	const struct message_part *part;
	size_t count = 0, i;

	if (!context->html_parts_ready) {
		context->html_parts_ready = true;
		for (i = 0; i < message->part_count; i++)
			if (rule_eval_renders_html(&message->parts[i]))
				count++;
		if (count > 0) {
			context->html_parts = arena_array(context->arena, count,
			    sizeof(*context->html_parts));
			context->html_part_sources = arena_array(
			    context->arena, count,
			    sizeof(*context->html_part_sources));
		}
		for (i = 0; i < message->part_count; i++) {
			struct string_view text;
			part = &message->parts[i];
			if (!rule_eval_renders_html(part))
				continue;
			/* A part that is not text has no charset to convert
			 * from: its bytes are read as they are. */
			text = part->is_text ? part->text : part->decoded;
			context->html_part_sources[context->html_part_count] =
			    part;
			context->html_parts[context->html_part_count++] =
			    rule_html_scan(context->arena, text.data,
			    text.length, NULL);
		}
	}
	*count_r = context->html_part_count;
	return context->html_parts;
}

const struct rule_html *
rule_eval_html_part(struct rule_eval_context *context,
    const struct message_part *part)
{
	size_t count, i;

	(void)rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (context->html_part_sources[i] == part)
			return context->html_parts[i];
	return NULL;
}

void **
rule_eval_slot(struct rule_eval_context *context, enum rule_eval_slot slot)
{
	ASSERT(slot < RULE_EVAL_SLOT_COUNT);
	return &context->slots[slot];
}

const struct uri_extract_uri *
rule_eval_uris(struct rule_eval_context *context, size_t *count_r)
{
	const struct message *message = context->input->message;
	const struct message_part *part;

	if (!context->uris_ready) {
		context->uris_ready = true;
		context->uris = uri_extract_new(context->arena, NULL);
		for (part = message_next_text_part(message, NULL);
		    part != NULL; part = message_next_text_part(message, part)) {
			if (part->is_html)
				uri_extract_html(context->uris,
				    rule_eval_render(context, part));
			else
				uri_extract_text(context->uris, part->text.data,
				    part->text.length);
		}
	}
	return uri_extract_uris(context->uris, count_r);
}

/* Adds to a body line's row the squeezed_prefiltered rules that may
 * match it: by their literals in the squeezed line for an ASCII line,
 * all of them for another. */
static void
rule_eval_squeezed_candidates(struct rule_eval_context *context,
    struct string_view line, uint64_t *row)
{
	const struct rule_prefilter *squeezed = ruleset_squeezed_prefilter(
	    context->ruleset);
	const uint64_t *mask;
	size_t w, length;

	if (squeezed == NULL)
		return;
	if (context->squeeze_buffer == NULL)
		context->squeeze_buffer = arena_alloc(context->arena,
		    RULE_EVAL_LINE_MAX + 1);
	/* Body lines are at most RULE_EVAL_LINE_MAX long (split above). */
	if (line.length <= RULE_EVAL_LINE_MAX &&
	    rule_prefilter_squeeze((const unsigned char *)line.data,
	    line.length, context->squeeze_buffer, &length)) {
		rule_prefilter_scan(squeezed, context->squeeze_buffer, length,
		    row);
		return;
	}
	mask = ruleset_squeezed_rules(context->ruleset);
	for (w = 0; w < context->line_words; w++)
		row[w] |= mask[w];
}

/* What uri rules run over: every link normalised and, where it differs,
 * as written, as SpamAssassin tests both forms ("http://%77%77%77.x"
 * must still show its escapes to HTTP_ESCAPED_HOST). */
static const struct string_view *
rule_eval_uri_subjects(struct rule_eval_context *context, size_t *count_r)
{
	const struct uri_extract_uri *uris;
	size_t count, i, n = 0;

	if (context->uri_subjects == NULL) {
		uris = rule_eval_uris(context, &count);
		context->uri_subjects = arena_array(context->arena,
		    2 * count + 1, sizeof(struct string_view));
		for (i = 0; i < count; i++) {
			context->uri_subjects[n++] = string_view_make(
			    uris[i].uri, uris[i].uri_length);
			if (uris[i].raw != uris[i].uri &&
			    strcmp(uris[i].raw, uris[i].uri) != 0)
				context->uri_subjects[n++] =
				    string_view_from_cstring(uris[i].raw);
		}
		context->uri_subject_count = n;
	}
	*count_r = context->uri_subject_count;
	return context->uri_subjects;
}

/* Which rules of type can match this message at all (see
 * rule_prefilter.h); computed once per type, on first need. */
static const uint64_t *
rule_eval_candidates(struct rule_eval_context *context,
    enum ruleset_type type)
{
	const struct rule_prefilter *prefilter = ruleset_prefilter(
	    context->ruleset, type);
	const struct string_view *views;
	uint64_t *bits;
	size_t count, i, w, words;

	if (prefilter == NULL)
		return NULL;
	if (context->candidates[type] != NULL)
		return context->candidates[type];
	bits = arena_array(context->arena,
	    rule_prefilter_bitset_words(prefilter) + 1, sizeof(uint64_t));
	rule_prefilter_reset(prefilter, bits);
	switch (type) {
	case RULESET_BODY:
		views = rule_eval_body(context, &count);
		if (count > RULE_EVAL_LINE_ROWS_MAX) {
			rule_prefilter_scan(prefilter,
			    (const unsigned char *)context->body_text.data,
			    context->body_text.length, bits);
			break;
		}
		/* One row of candidates per line, and their union. */
		words = rule_prefilter_bitset_words(prefilter);
		context->line_words = words;
		context->body_line_bits = arena_array(context->arena,
		    count * words + 1, sizeof(uint64_t));
		for (i = 0; i < count; i++) {
			uint64_t *row = context->body_line_bits + i * words;
			rule_prefilter_scan(prefilter,
			    (const unsigned char *)views[i].data,
			    views[i].length, row);
			rule_eval_squeezed_candidates(context, views[i], row);
			for (w = 0; w < words; w++)
				bits[w] |= row[w];
		}
		break;
	case RULESET_RAWBODY:
		if (!context->rawbody_ready)
			rule_eval_build_rawbody(context);
		views = context->rawbody;
		for (i = 0; i < context->rawbody_count; i++)
			rule_prefilter_scan(prefilter,
			    (const unsigned char *)views[i].data,
			    views[i].length, bits);
		break;
	case RULESET_URI:
		views = rule_eval_uri_subjects(context, &count);
		for (i = 0; i < count; i++)
			rule_prefilter_scan(prefilter,
			    (const unsigned char *)views[i].data,
			    views[i].length, bits);
		break;
	case RULESET_HEADER: {
		/* Every header value a prefiltered rule can see is part of
		 * the block as sent or of its decoded form (ALL). */
		const char *all = rule_eval_header(context, "ALL");
		const struct message *message = context->input->message;

		rule_prefilter_scan(prefilter,
		    (const unsigned char *)message->raw.data,
		    message->header->fields_end, bits);
		if (all != NULL)
			rule_prefilter_scan(prefilter,
			    (const unsigned char *)all, strlen(all), bits);
		break;
	}
	default:
		break;
	}
	context->candidates[type] = bits;
	return bits;
}

/* Counts matches of rule in one subject, within tflags limits. */
static unsigned
rule_eval_match(const struct ruleset_rule *rule, const char *data,
    size_t length)
{
	if ((rule->tflags & RULE_FILE_TFLAG_MULTIPLE) != 0)
		return rule_regex_match_count(rule->regex, data, length,
		    rule->maxhits);
	return rule_regex_match(rule->regex, data, length) ? 1 : 0;
}

/* Runs a regex rule over a list of subjects (lines, chunks, URIs). With
 * rows (a candidate bitset of words words per subject), only over the
 * subjects whose row has the rule (index) in it. */
static unsigned
rule_eval_match_views(const struct ruleset_rule *rule,
    const struct string_view *views, size_t count, const uint64_t *rows,
    size_t words, size_t index)
{
	unsigned total = 0, cap = rule->maxhits;
	size_t i;

	for (i = 0; i < count; i++) {
		if (rows != NULL && !rule_prefilter_candidate(rows + i * words,
		    (unsigned)index))
			continue;
		total += rule_eval_match(rule, views[i].data, views[i].length);
		if (total > 0 && (rule->tflags & RULE_FILE_TFLAG_MULTIPLE) == 0)
			return 1;
		if (cap > 0 && total >= cap)
			return cap;
	}
	return total;
}

static unsigned
rule_eval_header_rule(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *value;
	size_t length;

	value = rule_eval_header(context, rule->header_request);
	if (rule->form == RULE_FILE_FORM_EXISTS)
		return (value != NULL) != rule->negated ? 1 : 0;
	if (value == NULL) {
		if (rule->if_unset == NULL)
			return 0; /* undef never matches, not even !~ */
		value = rule->if_unset;
	}
	length = strlen(value);
	if (rule->negated)
		return rule_regex_match(rule->regex, value, length) ? 0 : 1;
	return rule_eval_match(rule, value, length);
}

static unsigned
rule_eval_one(struct rule_eval_context *context,
    const struct ruleset_rule *rule, size_t index)
{
	const struct string_view *views;
	const uint64_t *candidates;
	size_t count;

	if (rule->form == RULE_FILE_FORM_EVAL)
		return rule->eval->run(context, rule);
	if (rule->type == RULESET_BODY || rule->type == RULESET_RAWBODY ||
	    rule->type == RULESET_URI || (rule->type == RULESET_HEADER &&
	    rule->form == RULE_FILE_FORM_REGEX)) {
		candidates = rule_eval_candidates(context, rule->type);
		if (candidates != NULL &&
		    !rule_prefilter_candidate(candidates, (unsigned)index))
			return 0;
	}
	switch (rule->type) {
	case RULESET_HEADER:
		return rule_eval_header_rule(context, rule);
	case RULESET_BODY:
		views = rule_eval_body(context, &count);
		if (context->body_line_bits != NULL &&
		    (rule->squeezed_prefiltered ||
		    !rule_prefilter_always(ruleset_prefilter(context->ruleset,
		    RULESET_BODY), (unsigned)index)))
			return rule_eval_match_views(rule, views, count,
			    context->body_line_bits, context->line_words,
			    index);
		return rule_eval_match_views(rule, views, count, NULL, 0, 0);
	case RULESET_RAWBODY:
		if (!context->rawbody_ready)
			rule_eval_build_rawbody(context);
		return rule_eval_match_views(rule, context->rawbody,
		    context->rawbody_count, NULL, 0, 0);
	case RULESET_FULL:
		return rule_eval_match(rule, context->input->message->raw.data,
		    context->input->message->raw.length);
	case RULESET_URI:
		views = rule_eval_uri_subjects(context, &count);
		return rule_eval_match_views(rule, views, count, NULL, 0, 0);
	case RULESET_META:
	case RULESET_TYPE_COUNT:
		break;
	}
	return 0;
}

void
rule_eval_run(const struct ruleset *ruleset, struct arena *arena,
    const struct rule_eval_input *input, struct rule_eval_result *result_r)
{
	struct rule_eval_context context;
	const struct ruleset_rule *rules;
	size_t count, i, hits = 0;

	memset(&context, 0, sizeof(context));
	context.ruleset = ruleset;
	context.input = input;
	context.arena = arena;
	rules = ruleset_rules(ruleset, &count);
	context.values = arena_array(arena, count + 1, sizeof(double));
	for (i = 0; i < count; i++)
		if (rules[i].type != RULESET_META && rules[i].needed)
			context.values[i] = rule_eval_one(&context, &rules[i],
			    i);
	rule_meta_evaluate(ruleset_metas(ruleset), context.values);

	memset(result_r, 0, sizeof(*result_r));
	result_r->required = ruleset_required_score(ruleset);
	for (i = 0; i < count; i++)
		if (context.values[i] > 0 && !rules[i].subrule)
			hits++;
	result_r->hits = arena_array(arena, hits + 1, sizeof(*result_r->hits));
	for (i = 0; i < count; i++) {
		struct rule_eval_hit *hit;
		if (context.values[i] <= 0 || rules[i].subrule)
			continue;
		hit = &result_r->hits[result_r->hit_count++];
		hit->rule = &rules[i];
		hit->count = (unsigned)context.values[i];
		if (hit->count == 0)
			hit->count = 1;
		/* SpamAssassin scores a rule once, however often it hit. */
		hit->score = rules[i].score;
		result_r->score += hit->score;
	}
}
