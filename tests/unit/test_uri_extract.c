/* test_uri_extract.c: unit tests for lib/uri_extract: URLs, bare host
 * names and e-mail addresses in text, obfuscations, IP and host
 * normalisation, false positives, HTML attributes with base resolution,
 * registrable domains, TLDs, deduplication and limits. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/html_text.h"
#include "lib/uri_extract.h"
#include "tests/unit/harness.h"

/* The normalised URIs found, space-separated, in order. */
static void
list_uris(const struct uri_extract *extract, struct buffer *out)
{
	const struct uri_extract_uri *uris;
	size_t count, i;

	buffer_reset(out);
	uris = uri_extract_uris(extract, &count);
	for (i = 0; i < count; i++)
		ASSERT(buffer_printf(out, "%s%s", i > 0 ? " " : "",
		    uris[i].uri) == 0);
}

struct text_case {
	const char *text;
	const char *uris;
};

static const struct text_case text_cases[] = {
	{ "Visit http://example.com. Now", "http://example.com/" },
	{ "HTTPS://Example.COM/Path?Q=1#F", "https://example.com/Path?Q=1#F" },
	/* Obfuscated schemes */
	{ "hxxp://evil.test/x hXXps://evil2.test h**p://star.test "
	    "ttp://2ch.test.jp/ htxp://mixed.test",
	    "http://evil.test/x https://evil2.test/ http://star.test/ "
	    "http://2ch.test.jp/ http://mixed.test/" },
	{ "http:\\\\back.test\\a\\b?c\\d http:/one.test http:///three.test",
	    "http://back.test/a/b?c\\d http://one.test/ http://three.test/" },
	{ "h t t p://spaced.example.org/a and H  T  T  P  S : / / "
	    "www.x.example.com", "http://spaced.example.org/a "
	    "https://www.x.example.com/" },
	{ "h t t p is not a url, h t t p : / /", "" },
	{ "http://http://example.com/x", "http://example.com/x" },
	/* Credentials, escapes, ports */
	{ "http://bank.com@evil.test/login http://user:pw@host.example.net"
	    ":8080/", "http://evil.test/login http://host.example.net:8080/" },
	{ "http://%77%77%77.example.com/%41 http://example%2Ecom/",
	    "http://www.example.com/%41 http://example.com/" },
	{ "http://example.com:80/ https://example.com:443/a ftp://f.test:21/",
	    "http://example.com/ https://example.com/a ftp://f.test/" },
	/* IPv4 in every form, IPv6 */
	{ "http://3232235777/ http://0xC0A80102/ http://0300.0250.01.03/ "
	    "http://192.168.260/ http://0x7f.1/ http://192.0.2.1:80/x",
	    "http://192.168.1.1/ http://192.168.1.2/ http://192.168.1.3/ "
	    "http://192.168.1.4/ http://127.0.0.1/ http://192.0.2.1/x" },
	{ "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x" },
	/* Not URLs */
	{ "http://256.1.1.1/ http://1.2.3.4.5/ http:// http://exa_mple..com/ "
	    "http://[::1 http://a.b:99x/", "" },
	/* Where a URL ends */
	{ "(see https://en.wikipedia.org/wiki/Foo_(bar)) and "
	    "<http://angle.example.com/>, \"http://quoted.example.com/x\"; "
	    "'http://single.example.com/it's'.",
	    "https://en.wikipedia.org/wiki/Foo_(bar) http://angle.example.com/ "
	    "http://quoted.example.com/x http://single.example.com/it's" },
	{ "[http://b.example.com/x] {http://c.example.com/}*",
	    "http://b.example.com/x http://c.example.com/" },
	{ "http://a.example.com\xc2\xa0next", "http://a.example.com/" },
	{ "\xe8\xa6\x8b\xe3\x81\xa6http://example.jp/\xe3\x83\x91\xe3\x82\xb9"
	    "\xe3\x80\x82\xe6\xac\xa1\xe3\x80\x80www.example.jp",
	    "http://example.jp/\xe3\x83\x91\xe3\x82\xb9 "
	    "http://www.example.jp/" },
	{ "url:http://a.example.com/ foo.example.com/http://b.example.com",
	    "http://a.example.com/ http://foo.example.com/ "
	    "http://b.example.com/" },
	{ "http://xn--bcher-kva.example/ http://b\xc3\xbc" "cher.example/",
	    "http://xn--bcher-kva.example/ http://b\xc3\xbc" "cher.example/" },
	/* Bare host names */
	{ "www.example.co.uk/path?x=1) ftp.example.org example.com, "
	    "Example.NET: sub.example.info! foo.sh/x www.setup.py "
	    "192.0.2.1/admin 10.0.0.1:8080 example.org:8000/p",
	    "http://www.example.co.uk/path?x=1 ftp://ftp.example.org/ "
	    "http://example.com/ http://example.net/ "
	    "http://sub.example.info/ http://foo.sh/x http://www.setup.py/ "
	    "http://192.0.2.1/admin http://10.0.0.1:8080/ "
	    "http://example.org:8000/p" },
	{ "wait...example.com ...and foo.example.com... -x.example.org",
	    "http://example.com/ http://foo.example.com/ "
	    "http://x.example.org/" },
	{ "www.example.zzz www.x", "http://www.example.zzz/" },
	{ "010.1.1.1/x 0192.168.1.1/y 1.2.3.256/z", "http://8.1.1.1/x" },
	/* False positives */
	{ "file.txt v1.2 e.g. i.e. 3.14 1.000.000 setup.py readme.md "
	    "Makefile.am node.js index.html Mr.Smith U.S.A. a.b 192.0.2.1 "
	    "version 2.0.1 foo_bar.com report.pdf photo.JPG lib.so x.y.z "
	    "example.-com -.com", "" },
	/* E-mail addresses */
	{ "mail john.doe+tag@Example.COM. or <info@example.co.uk>, x@y, "
	    "foo@localhost, a@b.c, @handle",
	    "mailto:john.doe+tag@example.com mailto:info@example.co.uk" },
	{ "contact sales@example.com or visit example.com",
	    "mailto:sales@example.com http://example.com/" },
	{ "first.last@sub.example.org.", "mailto:first.last@sub.example.org" },
	{ "mailto:Foo@Bar.COM?subject=hi, MAILTO:x@example.org mailto:",
	    "mailto:Foo@bar.com mailto:x@example.org" },
	/* Deduplication */
	{ "http://example.com http://EXAMPLE.com/ example.com "
	    "http://example.com:80 http://example.com./",
	    "http://example.com/" },
};

static void
test_uri_extract_text_cases(void)
{
	const struct text_case *c;
	struct uri_extract *extract;
	struct arena *arena;
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(text_cases); i++) {
		c = &text_cases[i];
		arena = arena_new("test", 0);
		extract = uri_extract_new(arena, NULL);
		uri_extract_text(extract, c->text, strlen(c->text));
		list_uris(extract, &out);
		if (strcmp(buffer_string(&out), c->uris) != 0)
			test_fail(__FILE__, __LINE__, "case %zu \"%s\": got "
			    "\"%s\"", i, c->text, buffer_string(&out));
		arena_free(&arena);
	}
	buffer_deinit(&out);
}

struct attribute_case {
	const char *value;
	const char *base;
	const char *uris;
};

static const struct attribute_case attribute_cases[] = {
	{ "http://example.com/a b", "", "http://example.com/a%20b" },
	{ " \n http://exa\tmple.com/\r\n ", "", "http://example.com/" },
	{ "http://example.com/trailing.", "", "http://example.com/trailing." },
	{ "HTTP://Example.COM", "", "http://example.com/" },
	{ "hxxp://evil.example/", "", "http://evil.example/" },
	{ "mailto:Sales@Example.COM?subject=Hi", "",
	    "mailto:Sales@example.com" },
	{ "/path/page.html?x=1", "http://base.example.com/dir/index.html",
	    "http://base.example.com/path/page.html?x=1" },
	{ "page2.html", "https://base.example.com/dir/index.html?q",
	    "https://base.example.com/dir/page2.html" },
	{ "?q=1", "http://b.example.com/p/x?old#f",
	    "http://b.example.com/p/x?q=1" },
	{ "#frag", "http://b.example.com/p/x?old#f",
	    "http://b.example.com/p/x?old#frag" },
	{ "x.html", "http://b.example.com", "http://b.example.com/x.html" },
	{ "//cdn.example.com/x.js", "https://x.example/",
	    "https://cdn.example.com/x.js" },
	{ "//cdn.example.com/x.js", "", "http://cdn.example.com/x.js" },
	{ "www.example.com/x", "", "http://www.example.com/x" },
	{ "example.com", "", "http://example.com/" },
	{ "images/logo.png", "", "" },
	{ "relative.html", "javascript:x", "" },
	{ "javascript:alert('http://x.example.com')", "", "" },
	{ "data:text/html,hello", "", "" },
	{ "cid:part1@example.com", "", "" },
	{ "", "http://b.example.com/", "" },
};

static void
test_uri_extract_attribute_cases(void)
{
	const struct attribute_case *c;
	struct uri_extract *extract;
	struct arena *arena;
	struct buffer out;
	size_t i;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(attribute_cases); i++) {
		c = &attribute_cases[i];
		arena = arena_new("test", 0);
		extract = uri_extract_new(arena, NULL);
		uri_extract_attribute(extract, "a", "href",
		    string_view_from_cstring(c->value),
		    string_view_from_cstring(c->base));
		list_uris(extract, &out);
		if (strcmp(buffer_string(&out), c->uris) != 0)
			test_fail(__FILE__, __LINE__, "case %zu \"%s\" base "
			    "\"%s\": got \"%s\"", i, c->value, c->base,
			    buffer_string(&out));
		arena_free(&arena);
	}
	buffer_deinit(&out);
}

struct detail_case {
	const char *text;
	const char *scheme;
	const char *host;
	const char *domain;
	bool host_is_ip;
	unsigned int flags; /* besides URI_EXTRACT_FROM_TEXT */
	const char *raw;
};

static const struct detail_case detail_cases[] = {
	{ "http://www.Example.co.UK/x", "http", "www.example.co.uk",
	    "example.co.uk", false, 0, "http://www.Example.co.UK/x" },
	{ "hxxps://a.b.evil.com.br/", "https", "a.b.evil.com.br",
	    "evil.com.br", false, URI_EXTRACT_OBFUSCATED_SCHEME,
	    "hxxps://a.b.evil.com.br/" },
	{ "http://bank.com@0x7f000001:8080/", "http", "127.0.0.1",
	    "127.0.0.1", true, URI_EXTRACT_CREDENTIALS |
	    URI_EXTRACT_ENCODED_IP | URI_EXTRACT_PORT,
	    "http://bank.com@0x7f000001:8080/" },
	{ "http://010.0.0.1/", "http", "8.0.0.1", "8.0.0.1", true,
	    URI_EXTRACT_ENCODED_IP, "http://010.0.0.1/" },
	{ "http://10.0.0.1/", "http", "10.0.0.1", "10.0.0.1", true, 0,
	    "http://10.0.0.1/" },
	{ "http://%65vil.example.org/", "http", "evil.example.org",
	    "example.org", false, URI_EXTRACT_ESCAPED_HOST,
	    "http://%65vil.example.org/" },
	{ "ftp.Example.org/pub.", "ftp", "ftp.example.org", "example.org",
	    false, URI_EXTRACT_BARE, "ftp.Example.org/pub" },
	{ "Me@Mail.Example.com", "mailto", "mail.example.com", "example.com",
	    false, URI_EXTRACT_EMAIL, "Me@Mail.Example.com" },
	{ "http:/x.example.net", "http", "x.example.net", "example.net",
	    false, URI_EXTRACT_OBFUSCATED_SCHEME, "http:/x.example.net" },
};

static void
test_uri_extract_details(void)
{
	const struct detail_case *c;
	const struct uri_extract_uri *uri;
	struct uri_extract *extract;
	struct arena *arena;
	size_t i, count;

	for (i = 0; i < ARRAY_LENGTH(detail_cases); i++) {
		c = &detail_cases[i];
		arena = arena_new("test", 0);
		extract = uri_extract_new(arena, NULL);
		uri_extract_text(extract, c->text, strlen(c->text));
		uri = uri_extract_uris(extract, &count);
		if (count != 1) {
			test_fail(__FILE__, __LINE__, "case %zu: %zu URIs", i,
			    count);
			arena_free(&arena);
			continue;
		}
		test_assert_string(uri->scheme, c->scheme);
		test_assert_string(uri->host, c->host);
		test_assert_string(uri->domain, c->domain);
		test_assert(uri->host_is_ip == c->host_is_ip);
		test_assert_int(uri->flags, c->flags | URI_EXTRACT_FROM_TEXT);
		test_assert_string(uri->raw, c->raw);
		test_assert(uri->tag == NULL && uri->attribute == NULL);
		test_assert(strlen(uri->uri) == uri->uri_length);
		/* domain is a suffix of host */
		test_assert(uri->domain >= uri->host && uri->domain <=
		    uri->host + strlen(uri->host));
		arena_free(&arena);
	}
}

struct domain_case {
	const char *host;
	const char *domain;
};

static const struct domain_case domain_cases[] = {
	{ "www.example.co.uk", "example.co.uk" },
	{ "example.co.uk", "example.co.uk" },
	{ "co.uk", "co.uk" },
	{ "a.b.example.com", "example.com" },
	{ "example.com", "example.com" },
	{ "com", "com" },
	{ "WWW.EXAMPLE.COM.AU.", "EXAMPLE.COM.AU" },
	{ "foo.blogspot.com", "foo.blogspot.com" },
	{ "x.foo.github.io", "foo.github.io" },
	{ "shop.example.co.jp", "example.co.jp" },
	{ "www.example.com.br", "example.com.br" },
	{ "www.example.de", "example.de" },
	{ "a.b.example.bd", "b.example.bd" },
	{ "example.bd", "example.bd" },
	{ "192.0.2.1", "192.0.2.1" },
	{ "[2001:db8::1]", "[2001:db8::1]" },
	{ "localhost", "localhost" },
	{ "www.example.unknowntld", "example.unknowntld" },
	{ ".", "" },
	{ "", "" },
};

static void
test_uri_extract_registrable_domains(void)
{
	struct string_view domain;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(domain_cases); i++) {
		domain = uri_extract_registrable_domain(
		    string_view_from_cstring(domain_cases[i].host));
		if (!string_view_equal(domain,
		    string_view_from_cstring(domain_cases[i].domain)))
			test_fail(__FILE__, __LINE__, "%s: got \"%.*s\"",
			    domain_cases[i].host, (int)domain.length,
			    domain.data);
	}
}

static void
test_uri_extract_tlds(void)
{
	static const char *const known[] = { "com", "COM", "uk", "io", "xyz",
		"museum", "zw", "ac", "top", "online" };
	static const char *const unknown[] = { "", "zz", "txt", "exe", "js",
		"html", "zip", "c", "comm" };
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(known); i++)
		if (!uri_extract_tld_known(string_view_from_cstring(known[i])))
			test_fail(__FILE__, __LINE__, "%s unknown", known[i]);
	for (i = 0; i < ARRAY_LENGTH(unknown); i++)
		if (uri_extract_tld_known(string_view_from_cstring(unknown[i])))
			test_fail(__FILE__, __LINE__, "%s known", unknown[i]);
}

static void
test_uri_extract_sources_accumulate(void)
{
	struct arena *arena = arena_new("test", 0);
	struct uri_extract *extract = uri_extract_new(arena, NULL);
	const struct uri_extract_uri *uris;
	size_t count;

	uri_extract_attribute(extract, "a", "href",
	    string_view_from_cstring("http://Example.com"),
	    string_view_from_cstring(""));
	uri_extract_text(extract, "see example.com and b.example.org", 33);
	uris = uri_extract_uris(extract, &count);
	test_require(count == 2);
	test_assert_string(uris[0].tag, "a");
	test_assert_string(uris[0].attribute, "href");
	test_assert_int(uris[0].flags, URI_EXTRACT_FROM_HTML |
	    URI_EXTRACT_FROM_TEXT);
	test_assert_string(uris[0].raw, "http://Example.com");
	test_assert(uris[1].tag == NULL);
	test_assert_int(uris[1].flags, URI_EXTRACT_FROM_TEXT |
	    URI_EXTRACT_BARE);
	arena_free(&arena);
}

static void
test_uri_extract_limits(void)
{
	struct uri_extract_limits limits = { .max_uris = 3 };
	struct arena *arena = arena_new("test", 0);
	struct uri_extract *extract = uri_extract_new(arena, &limits);
	const struct uri_extract_uri *uris;
	static const char text[] = "a.example.com b.example.com a.example.com "
	    "c.example.com d.example.com e.example.com a.example.com";
	char *long_text;
	size_t count, length = 5000;

	uri_extract_text(extract, text, sizeof(text) - 1);
	uris = uri_extract_uris(extract, &count);
	test_assert_int(count, 3);
	test_assert_int(uri_extract_dropped(extract), 2);
	test_assert_string(uris[2].uri, "http://c.example.com/");
	arena_free(&arena);

	limits = (struct uri_extract_limits){ .max_uri_length = 300 };
	arena = arena_new("test", 0);
	extract = uri_extract_new(arena, &limits);
	long_text = malloc(length + 32);
	test_require(long_text != NULL);
	strcpy(long_text, "http://long.example.com/");
	memset(long_text + 24, 'p', length);
	long_text[24 + length] = '\0';
	uri_extract_text(extract, long_text, strlen(long_text));
	uris = uri_extract_uris(extract, &count);
	test_require(count == 1);
	test_assert_int(uris[0].uri_length, 300);
	test_assert_int(strlen(uris[0].raw), 300);
	test_assert(uris[0].flags & URI_EXTRACT_TRUNCATED);
	test_assert_string(uris[0].host, "long.example.com");
	free(long_text);
	arena_free(&arena);
}

/* Many distinct URIs: the table grows, and lookups stay exact. */
static void
test_uri_extract_many(void)
{
	struct uri_extract_limits limits = { .max_uris = 5000 };
	struct arena *arena = arena_new("test", 0);
	struct uri_extract *extract = uri_extract_new(arena, &limits);
	const struct uri_extract_uri *uris;
	struct buffer text;
	size_t count, i;

	buffer_init(&text, 0);
	for (i = 0; i < 6000; i++)
		ASSERT(buffer_printf(&text, "http://h%zu.example.com/ "
		    "h%zu.example.com ", i % 4000, i % 4000) == 0);
	uri_extract_text(extract, buffer_string(&text), buffer_length(&text));
	uris = uri_extract_uris(extract, &count);
	test_assert_int(count, 4000);
	test_assert_int(uri_extract_dropped(extract), 0);
	test_assert_string(uris[3999].uri, "http://h3999.example.com/");
	buffer_deinit(&text);
	arena_free(&arena);
}

/* Runs of failing candidates: each must cost about its own length (a
 * quadratic scan would take minutes here). */
static void
test_uri_extract_hostile(void)
{
	static const char *const patterns[] = { "http:///", "mailto:", "a@",
		"h t t p ", "x.", "((((", "a.b@", "@a.com", "http://[",
		"http://x.com:", "hxxp:/", "1.2.3.4." };
	size_t size = 1024 * 1024, length, n, i;
	struct uri_extract *extract;
	struct arena *arena;
	char *text = malloc(size);

	test_require(text != NULL);
	for (i = 0; i < ARRAY_LENGTH(patterns); i++) {
		n = strlen(patterns[i]);
		for (length = 0; length + n <= size; length += n)
			memcpy(text + length, patterns[i], n);
		arena = arena_new("test", 0);
		extract = uri_extract_new(arena, NULL);
		uri_extract_text(extract, text, length);
		uri_extract_attribute(extract, "a", "href",
		    string_view_make(text, length),
		    string_view_make(text, length));
		(void)uri_extract_uris(extract, &n);
		test_assert(n <= 3);
		arena_free(&arena);
	}
	free(text);
}

static void
test_uri_extract_html(void)
{
	static const char html[] = "<base href=\"http://base.example.com/d/\">"
	    "<a href=\"page.html\">Go to www.visible.example.net</a>"
	    "<img src=\"//img.example.org/i.gif\">"
	    "<div style=\"display:none\">hidden.example.biz</div>"
	    "<a href=\"mailto:x@example.info\">mail</a>";
	struct arena *arena = arena_new("test", 0);
	struct uri_extract *extract = uri_extract_new(arena, NULL);
	struct html_text *rendered;
	struct buffer out;

	rendered = html_text_render(arena, html, sizeof(html) - 1, NULL);
	uri_extract_html(extract, rendered);
	buffer_init(&out, 0);
	list_uris(extract, &out);
	test_assert_string(buffer_string(&out), "http://base.example.com/d/ "
	    "http://base.example.com/d/page.html http://img.example.org/i.gif "
	    "mailto:x@example.info http://www.visible.example.net/");
	buffer_deinit(&out);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_uri_extract_text_cases),
		TEST_CASE(test_uri_extract_attribute_cases),
		TEST_CASE(test_uri_extract_details),
		TEST_CASE(test_uri_extract_registrable_domains),
		TEST_CASE(test_uri_extract_tlds),
		TEST_CASE(test_uri_extract_sources_accumulate),
		TEST_CASE(test_uri_extract_limits),
		TEST_CASE(test_uri_extract_many),
		TEST_CASE(test_uri_extract_hostile),
		TEST_CASE(test_uri_extract_html),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
