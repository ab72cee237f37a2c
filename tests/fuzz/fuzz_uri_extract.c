/* fuzz_uri_extract.c: libFuzzer target for lib/uri_extract: whatever the
 * text or attribute value, every URI kept is within its limits, has a
 * lowercase host whose registrable domain is a suffix of it, starts
 * with its scheme, and appears once; the same input gives the same
 * list again.
 *
 * Input layout: octet 0 picks small limits (odd) or the defaults; the
 * rest is text, and also, split at its first 0x01 octet, an attribute
 * value and a base URL. */
#include "lib/arena.h"
#include "lib/uri_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_dotted_quad(const char *s)
{
	unsigned int a, b, c, d;
	char tail;

	return sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) == 4 &&
	    a < 256 && b < 256 && c < 256 && d < 256;
}

static void
check(const struct uri_extract *extract,
    const struct uri_extract_limits *limits)
{
	const struct uri_extract_uri *uris, *uri;
	size_t count, i, j, host_length, domain_length, scheme_length;

	uris = uri_extract_uris(extract, &count);
	ASSERT(count <= limits->max_uris);
	for (i = 0; i < count; i++) {
		uri = &uris[i];
		ASSERT(strlen(uri->uri) == uri->uri_length);
		ASSERT(uri->uri_length <= limits->max_uri_length);
		ASSERT(strlen(uri->raw) <= limits->max_uri_length);
		scheme_length = strlen(uri->scheme);
		ASSERT(strncmp(uri->uri, uri->scheme, scheme_length) == 0 &&
		    uri->uri[scheme_length] == ':');
		host_length = strlen(uri->host);
		ASSERT(host_length > 0);
		for (j = 0; j < host_length; j++)
			ASSERT(uri->host[j] < 'A' || uri->host[j] > 'Z');
		domain_length = strlen(uri->domain);
		ASSERT(domain_length <= host_length && uri->domain ==
		    uri->host + host_length - domain_length);
		if (uri->host_is_ip && uri->host[0] != '[')
			ASSERT(is_dotted_quad(uri->host));
		ASSERT((uri->flags & (URI_EXTRACT_FROM_TEXT |
		    URI_EXTRACT_FROM_HTML)) != 0);
		for (j = 0; j < i; j++)
			ASSERT(strcmp(uris[j].uri, uri->uri) != 0);
	}
}

static struct uri_extract *
extract_all(struct arena *arena, const struct uri_extract_limits *limits,
    const char *input, size_t size)
{
	struct uri_extract *extract = uri_extract_new(arena, limits);
	const char *split = memchr(input, 1, size);
	struct string_view value, base;

	uri_extract_text(extract, input, size);
	if (split != NULL) {
		value = string_view_make(input, (size_t)(split - input));
		base = string_view_make(split + 1,
		    size - (size_t)(split - input) - 1);
	} else {
		value = string_view_make(input, size);
		base = string_view_make("", 0);
	}
	uri_extract_attribute(extract, "a", "href", value, base);
	return extract;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uri_extract_limits limits = { 0 }, effective;
	const struct uri_extract_uri *first, *second;
	struct uri_extract *a, *b;
	struct arena *arena;
	size_t count_a, count_b, i;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		limits.max_uris = 1 + data[0] % 7;
		limits.max_uri_length = 200 + data[0];
	}
	effective.max_uris = limits.max_uris ? limits.max_uris :
	    URI_EXTRACT_DEFAULT_MAX_URIS;
	effective.max_uri_length = MAX(limits.max_uri_length ?
	    limits.max_uri_length : URI_EXTRACT_DEFAULT_MAX_URI_LENGTH, 271);
	arena = arena_new("fuzz", 0);
	a = extract_all(arena, &limits, (const char *)data + 1, size - 1);
	b = extract_all(arena, &limits, (const char *)data + 1, size - 1);
	check(a, &effective);
	first = uri_extract_uris(a, &count_a);
	second = uri_extract_uris(b, &count_b);
	ASSERT(count_a == count_b);
	ASSERT(uri_extract_dropped(a) == uri_extract_dropped(b));
	for (i = 0; i < count_a; i++) {
		ASSERT(strcmp(first[i].uri, second[i].uri) == 0);
		ASSERT(first[i].flags == second[i].flags);
	}
	arena_free(&arena);
	return 0;
}
