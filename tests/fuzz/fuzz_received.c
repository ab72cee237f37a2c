/* fuzz_received.c: libFuzzer target for lib/received: one Received value
 * through received_parse_line(), and the input as a header block through
 * received_parse_all() and received_format() with and without configured
 * networks. Relays must be well-formed (no NULL field, no separator
 * characters in the cleaned ones) and the texts must be one bracket per
 * relay. */
#include "lib/mail_header.h"
#include "lib/received.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_clean(const char *s)
{
	ASSERT(s != NULL);
	ASSERT(strpbrk(s, " \t\r\n#[]()<>|") == NULL);
}

static void
check_relay(struct arena *arena, const struct received_relay *relay)
{
	const char *text;

	check_clean(relay->ip);
	check_clean(relay->rdns);
	check_clean(relay->helo);
	check_clean(relay->by);
	check_clean(relay->ident);
	check_clean(relay->envfrom);
	ASSERT(relay->id != NULL && relay->auth != NULL);
	text = received_relay_format(arena, relay);
	ASSERT(strncmp(text, "[ ip=", 5) == 0);
	ASSERT(strcmp(text + strlen(text) - 2, " ]") == 0);
}

static size_t
count_relays_in(const char *text)
{
	size_t count = 0;

	for (; (text = strstr(text, "[ ip=")) != NULL; text++)
		count++;
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct received_network networks[2];
	struct received_options options;
	struct received_relay relay, *relays;
	struct received_text text;
	const struct mail_header *header;
	struct arena *arena;
	const char *error;
	size_t count, i;
	int ret;

	arena = arena_new("fuzz", 0);
	ret = received_parse_line(arena, string_view_make((const char *)data,
	    size), &relay);
	ASSERT(ret >= -1 && ret <= 1);
	if (ret == 1)
		check_relay(arena, &relay);

	memset(&options, 0, sizeof(options));
	if (size > 0 && (data[0] & 1) != 0) {
		ASSERT(received_network_parse("10.0.0.0/8", &networks[0],
		    &error) == 0);
		ASSERT(received_network_parse("2001:db8::/32", &networks[1],
		    &error) == 0);
		options.trusted = networks;
		options.trusted_count = 2;
		options.msa = networks + 1;
		options.msa_count = (data[0] & 2) != 0 ? 1 : 0;
	}
	header = mail_header_parse(arena, data, size, NULL);
	count = received_parse_all(arena, header, &options, &relays);
	ASSERT((count == 0) == (relays == NULL));
	for (i = 0; i < count; i++) {
		check_relay(arena, &relays[i]);
		ASSERT(!relays[i].internal || relays[i].trusted);
	}
	received_format(arena, relays, count, &text);
	/* Relay texts may hold "[ ip=" only inside id or auth, which are
	 * not cleaned, so count at least, not exactly. */
	ASSERT(count_relays_in(text.trusted) + count_relays_in(text.untrusted)
	    >= count);
	ASSERT(count_relays_in(text.internal) + count_relays_in(text.external)
	    >= count);
	arena_free(&arena);
	return 0;
}
