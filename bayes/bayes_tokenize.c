/* bayes_tokenize.c: message to Bayes token hashes; the rules are in
 * bayes_tokenize.h.
 *
 * DESIGN: every token is built in one fixed buffer (prefix + text, cut at
 * BAYES_TOKENIZE_MAX_TOKEN_BYTES), hashed, and checked against an
 * open-addressing set of hashes sized for max_tokens, so the work is
 * linear in the text read and memory is bounded by the cap. Once the cap
 * is reached every emitter returns at once. */
#include "bayes/bayes_tokenize.h"
#include "lib/html_text.h"
#include "lib/mail_header.h"
#include "lib/received.h"
#include "lib/uri_extract.h"

struct tokenizer {
	const struct bayes_tokenize_options *options;
	uint64_t *hashes;
	size_t count;
	size_t max_tokens;
	/* Open addressing; 0 marks a free slot, so hash 0 is tracked
	 * apart in zero_seen. */
	uint64_t *set;
	size_t set_mask;
	bool zero_seen;
	bool full;
	char token[BAYES_TOKENIZE_MAX_TOKEN_BYTES + 1];
	size_t token_length;
};

uint64_t
bayes_tokenize_hash(const char *token, size_t length)
{
	const unsigned char *p = (const unsigned char *)token;
	uint64_t hash = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < length; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ULL;
	}
	/* FNV-1a alone mixes the last bytes poorly into the high bits; the
	 * 64-bit finaliser of MurmurHash3 (public constants) spreads them,
	 * which matters when the store shards or indexes by hash. */
	hash ^= hash >> 33;
	hash *= 0xff51afd7ed558ccdULL;
	hash ^= hash >> 33;
	hash *= 0xc4ceb9fe1a85ec53ULL;
	hash ^= hash >> 33;
	return hash;
}

/* Whether hash was new; adds it. */
static bool
tokenizer_insert(struct tokenizer *t, uint64_t hash)
{
	size_t i;

	if (hash == 0) {
		if (t->zero_seen)
			return false;
		t->zero_seen = true;
		return true;
	}
	for (i = hash & t->set_mask; t->set[i] != 0;
	    i = (i + 1) & t->set_mask) {
		if (t->set[i] == hash)
			return false;
	}
	t->set[i] = hash;
	return true;
}

static void
token_start(struct tokenizer *t, const char *prefix)
{
	t->token_length = 0;
	while (*prefix != '\0' &&
	    t->token_length < BAYES_TOKENIZE_MAX_TOKEN_BYTES)
		t->token[t->token_length++] = *prefix++;
}

/* Appends bytes, ASCII-lowercased when lower; stops at the cap without
 * splitting a UTF-8 sequence. */
static void
token_append(struct tokenizer *t, const char *data, size_t length,
    bool lower)
{
	size_t i, keep = length;

	if (keep > BAYES_TOKENIZE_MAX_TOKEN_BYTES - t->token_length) {
		keep = BAYES_TOKENIZE_MAX_TOKEN_BYTES - t->token_length;
		/* Back up over continuation bytes to a character start. */
		while (keep > 0 && ((unsigned char)data[keep] & 0xc0) == 0x80)
			keep--;
	}
	for (i = 0; i < keep; i++) {
		t->token[t->token_length++] = lower ?
		    (char)string_ascii_lower((unsigned char)data[i]) : data[i];
	}
}

static void
token_finish(struct tokenizer *t)
{
	uint64_t hash;

	if (t->full)
		return;
	t->token[t->token_length] = '\0';
	hash = bayes_tokenize_hash(t->token, t->token_length);
	if (!tokenizer_insert(t, hash))
		return;
	t->hashes[t->count++] = hash;
	if (t->options->token_callback != NULL)
		t->options->token_callback(t->options->context, t->token, hash);
	if (t->count == t->max_tokens)
		t->full = true;
}

static void
add_token(struct tokenizer *t, const char *prefix, const char *data,
    size_t length, bool lower)
{
	if (t->full)
		return;
	token_start(t, prefix);
	token_append(t, data, length, lower);
	token_finish(t);
}

static void
add_cstring(struct tokenizer *t, const char *prefix, const char *text)
{
	add_token(t, prefix, text, strlen(text), true);
}

/* Decodes one UTF-8 character at s[0..length), length > 0; an invalid
 * byte reads as U+FFFD and takes one byte. Returns its byte length. */
static size_t
utf8_decode(const unsigned char *s, size_t length, uint32_t *cp_r)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		*cp_r = 0xfffd;
		return 1;
	}
	if (need >= length) {
		*cp_r = 0xfffd;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp_r = 0xfffd;
			return 1;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*cp_r = cp;
	return need + 1;
}

static bool
is_word_character(uint32_t cp)
{
	if (cp < 0x80) {
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	}
	if (cp <= 0xbf || cp == 0xd7 || cp == 0xf7)
		return false;
	if ((cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3000 && cp <= 0x303f))
		return false;
	return cp != 0xfffd;
}

static bool
is_joiner(uint32_t cp)
{
	return cp == '\'' || cp == '.' || cp == '-';
}

/* Emits the token for one word w[0..length) (word characters and inner
 * joiners) of characters code points. */
static void
add_word(struct tokenizer *t, const char *prefix, const char *w,
    size_t length, size_t characters)
{
	size_t i, n;
	bool number = true;
	char shape[BAYES_TOKENIZE_MAX_WORD + 1];

	if (characters < BAYES_TOKENIZE_MIN_WORD)
		return;
	for (i = 0; i < length && number; i++) {
		number = (w[i] >= '0' && w[i] <= '9') ||
		    is_joiner((unsigned char)w[i]);
	}
	token_start(t, prefix);
	if (number) {
		token_append(t, "N:", 2, false);
		if (length > BAYES_TOKENIZE_MAX_WORD) {
			token_append(t, "long", 4, false);
		} else {
			for (i = 0; i < length; i++)
				shape[i] = w[i] >= '0' && w[i] <= '9' ?
				    '9' : w[i];
			token_append(t, shape, length, false);
		}
	} else if (characters > BAYES_TOKENIZE_MAX_WORD) {
		token_append(t, "sk:", 3, false);
		/* The byte length of the first SKIP_PREFIX characters. */
		for (i = 0, n = 0; n < BAYES_TOKENIZE_SKIP_PREFIX; n++) {
			i++;
			while (i < length && ((unsigned char)w[i] & 0xc0) ==
			    0x80)
				i++;
		}
		token_append(t, w, i, true);
	} else {
		token_append(t, w, length, true);
	}
	token_finish(t);
}

/* Splits text into words (see the header) and emits each with prefix. */
static void
add_words(struct tokenizer *t, const char *prefix, const char *text,
    size_t length)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, start, end, characters, step, next_step;
	uint32_t cp, next;

	while (i < length && !t->full) {
		step = utf8_decode(s + i, length - i, &cp);
		if (!is_word_character(cp)) {
			i += step;
			continue;
		}
		start = i;
		characters = 0;
		for (;;) {
			i += step;
			characters++;
			end = i;
			if (i >= length)
				break;
			step = utf8_decode(s + i, length - i, &cp);
			if (is_word_character(cp))
				continue;
			/* A joiner counts only between word characters. */
			if (!is_joiner(cp) || i + 1 >= length)
				break;
			next_step = utf8_decode(s + i + 1, length - i - 1,
			    &next);
			if (!is_word_character(next))
				break;
			i += step;
			characters++;
			step = next_step;
		}
		add_word(t, prefix, text + start, end - start, characters);
		i = end;
	}
}

static void
add_address_field(struct tokenizer *t, const char *prefix,
    struct arena *arena, struct string_view value)
{
	struct mail_header_address *addresses;
	const char *at;
	size_t count, i;

	count = mail_header_parse_addresses(arena, value, &addresses);
	if (count > BAYES_TOKENIZE_MAX_ADDRESSES)
		count = BAYES_TOKENIZE_MAX_ADDRESSES;
	for (i = 0; i < count && !t->full; i++) {
		if (addresses[i].address[0] != '\0') {
			add_cstring(t, prefix, addresses[i].address);
			at = strrchr(addresses[i].address, '@');
			if (at != NULL && at[1] != '\0')
				add_cstring(t, prefix, at);
		}
		add_words(t, prefix, addresses[i].name,
		    strlen(addresses[i].name));
	}
}

static void
add_headers(struct tokenizer *t, struct arena *arena,
    const struct mail_header *header)
{
	static const char *const address_fields[] = {
		"From", "Reply-To", "To", "Cc", "Return-Path",
	};
	static const char *const word_fields[] = {
		"Subject", "X-Mailer", "User-Agent",
	};
	const struct mail_header_field *field;
	struct string_view value;
	char prefix[32];
	const char *at, *end;
	size_t i, n;

	for (i = 0; i < ARRAY_LENGTH(address_fields); i++) {
		snprintf(prefix, sizeof(prefix), "H*%s:", address_fields[i]);
		for (n = 0; (field = mail_header_get_nth(header,
		    address_fields[i], n)) != NULL; n++)
			add_address_field(t, prefix, arena, field->value);
	}
	for (i = 0; i < ARRAY_LENGTH(word_fields); i++) {
		snprintf(prefix, sizeof(prefix), "H*%s:", word_fields[i]);
		for (n = 0; (field = mail_header_get_nth(header,
		    word_fields[i], n)) != NULL; n++) {
			value = mail_header_decode(arena, field->value, NULL);
			add_words(t, prefix, value.data, value.length);
		}
	}
	field = mail_header_get(header, "Message-ID");
	if (field == NULL) {
		add_cstring(t, "H*Message-ID:", "missing");
		return;
	}
	value = mail_header_unfold(arena, string_view_trim(field->value));
	at = memchr(value.data, '@', value.length);
	if (at == NULL) {
		add_cstring(t, "H*Message-ID:", "no-domain");
		return;
	}
	end = memchr(at, '>', value.length - (size_t)(at - value.data));
	if (end == NULL)
		end = value.data + value.length;
	add_token(t, "H*Message-ID:", at, (size_t)(end - at), true);
}

static void
add_relays(struct tokenizer *t, struct arena *arena,
    const struct mail_header *header)
{
	struct received_relay *relays;
	const char *dot;
	size_t count, i, kept = 0;

	count = received_parse_all(arena, header, NULL, &relays);
	for (i = 0; i < count && kept < BAYES_TOKENIZE_MAX_RELAYS; i++) {
		if (relays[i].trusted)
			continue;
		kept++;
		if (relays[i].ip[0] != '\0') {
			add_cstring(t, "R*ip:", relays[i].ip);
			/* The /24 and /16 of an IPv4 address: spam comes
			 * from neighbourhoods as much as from hosts. */
			dot = strrchr(relays[i].ip, '.');
			if (dot != NULL && strchr(relays[i].ip, ':') == NULL) {
				add_token(t, "R*ip:", relays[i].ip,
				    (size_t)(dot - relays[i].ip), true);
				dot = memrchr(relays[i].ip, '.',
				    (size_t)(dot - relays[i].ip));
				if (dot != NULL)
					add_token(t, "R*ip:", relays[i].ip,
					    (size_t)(dot - relays[i].ip),
					    true);
			}
		}
		add_cstring(t, "R*rdns:",
		    relays[i].rdns[0] != '\0' ? relays[i].rdns : "none");
		if (relays[i].helo[0] != '\0')
			add_cstring(t, "R*helo:", relays[i].helo);
	}
}

void
bayes_tokenize(struct arena *arena, const struct message *message,
    const struct bayes_tokenize_options *options,
    struct bayes_tokenize_result *result_r)
{
	static const struct bayes_tokenize_options no_options;
	struct tokenizer t;
	const struct message_part *part;
	struct string_view *bodies;
	struct uri_extract *extract;
	const struct uri_extract_uri *uris;
	struct html_text *html;
	size_t set_size, body_count = 0, uri_count, i;

	memset(&t, 0, sizeof(t));
	t.options = options != NULL ? options : &no_options;
	t.max_tokens = t.options->max_tokens != 0 ? t.options->max_tokens :
	    BAYES_TOKENIZE_DEFAULT_MAX_TOKENS;
	/* A power of two at least twice the cap keeps probes short. */
	for (set_size = 16; set_size < 2 * t.max_tokens; set_size *= 2)
		;
	t.set = arena_array(arena, set_size, sizeof(*t.set));
	t.set_mask = set_size - 1;
	t.hashes = arena_array(arena, t.max_tokens, sizeof(*t.hashes));

	add_headers(&t, arena, message->header);
	for (i = 0; i < message->part_count && !t.full; i++) {
		if (message->parts[i].charset != NULL)
			add_cstring(&t, "H*Content-Type:charset=",
			    message->parts[i].charset);
	}
	add_relays(&t, arena, message->header);

	/* Render once; the URI pass and the word pass both need it. */
	bodies = arena_array(arena, message->part_count + 1, sizeof(*bodies));
	extract = uri_extract_new(arena, NULL);
	for (part = message_next_text_part(message, NULL); part != NULL;
	    part = message_next_text_part(message, part)) {
		if (part->is_html) {
			html = html_text_render(arena, part->text.data,
			    part->text.length, NULL);
			uri_extract_html(extract, html);
			bodies[body_count++] = html->text;
		} else {
			uri_extract_text(extract, part->text.data,
			    part->text.length);
			bodies[body_count++] = part->text;
		}
	}
	uris = uri_extract_uris(extract, &uri_count);
	for (i = 0; i < uri_count && !t.full; i++) {
		add_cstring(&t, "url:", uris[i].domain);
		if (strcmp(uris[i].domain, uris[i].host) != 0)
			add_cstring(&t, "url:", uris[i].host);
	}
	for (i = 0; i < body_count && !t.full; i++)
		add_words(&t, "", bodies[i].data, bodies[i].length);

	result_r->hashes = t.count > 0 ? t.hashes : NULL;
	result_r->count = t.count;
	result_r->truncated = t.full;
}
