/* uri_extract.h: finds the URIs in a message's text and HTML attributes
 * and normalises them the way SpamAssassin's uri rules and URIBL lookups
 * need them.
 *
 * One extractor per message: create it in the scan's arena, feed it the
 * text of each part (uri_extract_text) and the output of html_text
 * (uri_extract_html, or attribute by attribute), then read the list.
 * Everything lives in the arena. Pure (no I/O, no DNS); any thread may
 * use its own extractor.
 *
 * What is found:
 * - http, https and ftp URLs, and mailto: addresses; also written as
 *   "hxxp://" (x, X, t or * for each t), "ttp://", "h t t p ://" (spaced
 *   letters), "http:\\", "http:/" or "http:///";
 * - in text only: bare host names, "www.example.com/path" (http),
 *   "ftp.example.com" (ftp) and "example.com" when the top-level
 *   domain is in the embedded list (all country codes and the common
 *   generic ones). Two-label names whose TLD is also a common file
 *   extension ("setup.py", "readme.md", "Makefile.am") need "www.", a
 *   path or a port. Dotted-quad IPs need a path or a port ("192.0.2.1/x");
 * - in text only: e-mail addresses, as "mailto:local@domain" (their
 *   domain is not also reported as a bare host name).
 *
 * Normalised form: "scheme://host[:port]path" where the scheme is
 * lowercase, the host is %-decoded, lowercased and without a trailing
 * dot, credentials ("http://bank.com@evil.test/") are dropped, an IPv4
 * host in any form inet_aton(3) accepts (3232235777, 0xC0A80101,
 * 0300.0250.1.1, 192.168.257) becomes a dotted quad, a default port is
 * dropped, an empty path becomes "/", backslashes before the query
 * become '/', spaces become %20, and the rest of the path, query and
 * fragment is kept as written. Punycode (xn--) and UTF-8 hosts are kept
 * as they are. In text a URL ends at white space or a control
 * character, '<', '>', '"', a no-break space or a CJK space or
 * punctuation mark (U+3000-U+303F), and trailing punctuation (.,;:!?'"*)
 * and unbalanced closing brackets are not part of it. A mailto becomes "mailto:local@domain" (query
 * dropped, domain lowercased). URIs are deduplicated on this form. */
#ifndef SLUICE_URI_EXTRACT_H
#define SLUICE_URI_EXTRACT_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/html_text.h"
#include "lib/string_view.h"

#define URI_EXTRACT_DEFAULT_MAX_URIS 1000
#define URI_EXTRACT_DEFAULT_MAX_URI_LENGTH 4096

/* Every field 0 means its default. */
struct uri_extract_limits {
	/* Distinct URIs kept per extractor; more are counted as dropped. */
	size_t max_uris;
	/* Bytes of a normalised URI (and of its raw form) kept; a longer
	 * one is cut (URI_EXTRACT_TRUNCATED). Hosts must lie within it. */
	size_t max_uri_length;
};

/* Bits in uri_extract_uri.flags. */
enum uri_extract_flag {
	URI_EXTRACT_FROM_TEXT = 1 << 0,  /* seen in text */
	URI_EXTRACT_FROM_HTML = 1 << 1,  /* seen in an HTML attribute */
	URI_EXTRACT_BARE = 1 << 2,       /* written without a scheme */
	URI_EXTRACT_EMAIL = 1 << 3,      /* a bare e-mail address */
	/* hxxp://, ttp://, h t t p://, http:\\, http:/ and the like. */
	URI_EXTRACT_OBFUSCATED_SCHEME = 1 << 4,
	URI_EXTRACT_CREDENTIALS = 1 << 5, /* user info before '@' dropped */
	URI_EXTRACT_ESCAPED_HOST = 1 << 6, /* %-escapes in the host */
	/* An IPv4 host not written as a plain dotted quad. */
	URI_EXTRACT_ENCODED_IP = 1 << 7,
	URI_EXTRACT_PORT = 1 << 8,       /* a port that is not the default */
	URI_EXTRACT_TRUNCATED = 1 << 9,  /* cut at max_uri_length */
	URI_EXTRACT_RELATIVE = 1 << 10,  /* resolved against a base */
};

struct uri_extract_uri {
	/* The normalised URI (see above), NUL-terminated. */
	const char *uri;
	size_t uri_length;
	/* As written (white space and, in text, trailing punctuation
	 * removed; in HTML, after entity decoding), at most
	 * max_uri_length bytes; the same pointer as uri when equal. */
	const char *raw;
	/* "http", "https", "ftp" or "mailto" (static). */
	const char *scheme;
	/* Lowercase host; a dotted quad for IPv4; "[...]" for IPv6; the
	 * domain of a mailto address. Never empty. */
	const char *host;
	/* The registrable domain of host (uri_extract_registrable_domain),
	 * a suffix of host: what URIBL lookups use. */
	const char *domain;
	/* Where it was first seen in HTML ("a", "href"); NULL from text. */
	const char *tag;
	const char *attribute;
	bool host_is_ip;
	unsigned int flags; /* enum uri_extract_flag; FROM_* accumulate */
};

struct uri_extract;

/* Creates an extractor in arena; limits is copied (NULL: defaults).
 * Freed with the arena. Never NULL. */
struct uri_extract *uri_extract_new(struct arena *arena,
    const struct uri_extract_limits *limits);

/* Finds URIs in plain text (UTF-8, need not be NUL-terminated). Linear
 * in length. */
void uri_extract_text(struct uri_extract *extract, const char *text,
    size_t length);

/* Adds the URI in one HTML attribute value (entities already decoded,
 * as html_text gives it). tag and attribute are recorded as given and
 * must outlive the extractor (static strings, or the html_text's).
 * Surrounding white space and control characters (tabs and line ends,
 * as browsers do, and NUL) are removed from value and base. Schemes
 * other than the four above (javascript:, data:, cid:...) are ignored;
 * "//host/x" takes the base's scheme (http without one); a relative
 * value is resolved against base when base is an absolute http, https
 * or ftp URL (base may be empty), and otherwise accepted only if it
 * starts with a host name as in text ("www.example.com/x"). */
void uri_extract_attribute(struct uri_extract *extract, const char *tag,
    const char *attribute, struct string_view value,
    struct string_view base);

/* Adds everything html_text found: each URI attribute (resolved against
 * the document's <base href>), then the URIs in its visible text. The
 * invisible text is not searched; pass it to uri_extract_text too if
 * hidden links should count. */
void uri_extract_html(struct uri_extract *extract,
    const struct html_text *html);

/* The URIs so far in order of first sighting, and how many; valid
 * until the next call that adds URIs. */
const struct uri_extract_uri *uri_extract_uris(
    const struct uri_extract *extract, size_t *count_r);

/* Distinct URIs not kept because max_uris was reached. */
size_t uri_extract_dropped(const struct uri_extract *extract);

/* The registrable domain of a host name: one label more than its public
 * suffix. The suffix is the longest of the top-level label and the
 * two-label suffixes in the embedded list (co.uk, com.au, co.jp,
 * com.br, ... and a few hosting ones such as blogspot.com, github.io;
 * every second-level name under bd, ck, er, fk, kh, mm, np and pg).
 * "www.example.co.uk" gives "example.co.uk", "a.b.example.com" gives
 * "example.com". A name that is no longer than its suffix, an IP
 * address ("192.0.2.1", "[2001:db8::1]") or a single label is returned
 * whole. A trailing dot is ignored. Comparison ignores ASCII case; the
 * result is a view into host. */
struct string_view uri_extract_registrable_domain(struct string_view host);

/* Whether a top-level domain ("com", "uk", without dot; any case) is in
 * the embedded list. */
bool uri_extract_tld_known(struct string_view tld);

#endif
