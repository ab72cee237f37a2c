/* test_bayes_tokenize.c: unit tests for bayes/bayes_tokenize: exact token
 * strings for small fixed messages, stable hashes, the cap, HTML. */
#include "bayes/bayes_tokenize.h"
#include "lib/buffer.h"
#include "tests/unit/harness.h"

struct collected {
	struct buffer text;	/* tokens joined by one space */
	size_t count;
	bool hash_mismatch;
};

static void
collect(void *context, const char *token, uint64_t hash)
{
	struct collected *c = context;

	if ((c->count > 0 && buffer_append(&c->text, " ", 1) < 0) ||
	    buffer_append(&c->text, token, strlen(token)) < 0)
		test_fail(__FILE__, __LINE__, "buffer_append");
	c->count++;
	if (hash != bayes_tokenize_hash(token, strlen(token)))
		c->hash_mismatch = true;
}

/* Tokenizes text and returns its tokens joined by spaces, in arena. */
static const char *
tokens_of(struct arena *arena, const char *text, size_t max_tokens,
    struct bayes_tokenize_result *result_r)
{
	struct bayes_tokenize_options options = {
		.max_tokens = max_tokens,
		.token_callback = collect,
	};
	struct bayes_tokenize_result result;
	struct collected c;
	struct message *message;
	const char *joined;

	memset(&c, 0, sizeof(c));
	buffer_init(&c.text, 0);
	options.context = &c;
	message = message_parse(arena, (const unsigned char *)text,
	    strlen(text), NULL);
	bayes_tokenize(arena, message, &options, &result);
	test_assert_int(c.count, result.count);
	test_assert(!c.hash_mismatch);
	joined = arena_strdup(arena, buffer_string(&c.text));
	buffer_deinit(&c.text);
	if (result_r != NULL)
		*result_r = result;
	return joined;
}

static void
test_bayes_tokenize_hash_fixed(void)
{
	/* The stored format: these values must never change (checked
	 * against an independent FNV-1a + fmix64 implementation). */
	test_assert(bayes_tokenize_hash("", 0) == 0xefd01f60ba992926ULL);
	test_assert(bayes_tokenize_hash("viagra", 6) ==
	    0x133f6799f5817800ULL);
	test_assert(bayes_tokenize_hash("viagra", 6) ==
	    bayes_tokenize_hash("viagra", 6));
	test_assert(bayes_tokenize_hash("viagra", 6) !=
	    bayes_tokenize_hash("Viagra", 6));
}

static void
test_bayes_tokenize_plain(void)
{
	static const char text[] =
	    "From: \"John Smith\" <John.Smith@Example.COM>\r\n"
	    "To: you@example.org\r\n"
	    "Subject: Cheap =?utf-8?q?caf=C3=A9?= offer\r\n"
	    "Message-ID: <abc.123@mail.Example.com>\r\n"
	    "X-Spam-Status: Yes, score=99\r\n"
	    "\r\n"
	    "Hello there, it's a  e-mail: price 12.50 or 1234567890123456\r\n"
	    "supercalifragilisticexpialidocious ok no. Hello again\r\n";
	struct arena *arena = arena_new("test", 0);

	test_assert_string(tokens_of(arena, text, 0, NULL),
	    "H*From:john.smith@example.com H*From:@example.com "
	    "H*From:john H*From:smith H*To:you@example.org "
	    "H*To:@example.org H*Subject:cheap H*Subject:caf\xc3\xa9 "
	    "H*Subject:offer H*Message-ID:@mail.example.com "
	    "hello there it's e-mail price N:99.99 N:long "
	    "sk:superca again");
	arena_free(&arena);
}

static void
test_bayes_tokenize_html_and_uris(void)
{
	static const char text[] =
	    "From: shop@spam.test\r\n"
	    "Content-Type: multipart/alternative; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "\r\n"
	    "Visit www.shop.example.co.uk today\r\n"
	    "--b\r\n"
	    "Content-Type: text/html; charset=ISO-8859-1\r\n"
	    "\r\n"
	    "<html><head><title>titleword</title>"
	    "<style>.x{color:red}</style></head>"
	    "<body bgcolor=white><p class=\"promo\">Buy <b>now</b>"
	    "&nbsp;cheap</p><a href=\"http://Click.Tracker.test/x\">here"
	    "</a><span style=\"display:none\">hiddenword</span>"
	    "</body></html>\r\n"
	    "--b--\r\n";
	struct arena *arena = arena_new("test", 0);

	test_assert_string(tokens_of(arena, text, 0, NULL),
	    "H*From:shop@spam.test H*From:@spam.test "
	    "H*Message-ID:missing "
	    "H*Content-Type:charset=utf-8 "
	    "H*Content-Type:charset=iso-8859-1 "
	    "url:example.co.uk url:www.shop.example.co.uk "
	    "url:tracker.test url:click.tracker.test "
	    "visit sk:www.sho today buy now cheap here");
	arena_free(&arena);
}

static void
test_bayes_tokenize_received(void)
{
	static const char text[] =
	    "Received: from mx.example.net (mx.example.net [10.0.0.2])\r\n"
	    "\tby inside.example.net with ESMTP id AAA; "
	    "Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "Received: from helo.spam.test (unknown [192.0.2.55])\r\n"
	    "\tby mx.example.net (Postfix) with ESMTP id BBB; "
	    "Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "Message-ID: <nodomain>\r\n"
	    "\r\n"
	    "body\r\n";
	struct arena *arena = arena_new("test", 0);

	test_assert_string(tokens_of(arena, text, 0, NULL),
	    "H*Message-ID:no-domain "
	    "R*ip:192.0.2.55 R*ip:192.0.2 R*ip:192.0 R*rdns:none "
	    "R*helo:helo.spam.test body");
	arena_free(&arena);
}

static void
test_bayes_tokenize_words(void)
{
	/* Joiners, 8-bit words, punctuation, long 8-bit words. */
	static const char text[] =
	    "Message-ID: <a@b.test>\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "...Stra\xc3\x9f""e--ab \xe2\x80\x9cQuoted\xe2\x80\x9d "
	    "\xc2\xa9" "ABC x.y.z 'tis 3.14 $100 "
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
	    "\xd0\xb8\xd0\xba\xd0\xb8\xd0\xbf\xd1\x80\xd0\xb8"
	    "\xd0\xb2\xd0\xb5\xd1\x82\xd0\xb8\xd0\xba "
	    "HeLLo-World.\r\n";
	struct arena *arena = arena_new("test", 0);

	test_assert_string(tokens_of(arena, text, 0, NULL),
	    "H*Message-ID:@b.test H*Content-Type:charset=utf-8 "
	    "stra\xc3\x9f""e quoted abc x.y.z tis N:9.99 N:999 "
	    "sk:\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
	    "\xd0\xb8 hello-world");
	arena_free(&arena);
}

static void
test_bayes_tokenize_stable_and_capped(void)
{
	static const char text[] =
	    "From: a@b.test\r\n"
	    "Subject: one two three four five\r\n"
	    "\r\n"
	    "alpha beta gamma delta alpha beta epsilon\r\n";
	struct arena *arena = arena_new("test", 0);
	struct bayes_tokenize_result first, second, capped;
	const char *all;
	size_t i;

	all = tokens_of(arena, text, 0, &first);
	(void)tokens_of(arena, text, 0, &second);
	test_require(first.count == 13);
	test_assert(!first.truncated);
	test_assert_int(second.count, first.count);
	for (i = 0; i < first.count; i++) {
		test_assert(first.hashes[i] == second.hashes[i]);
		/* Deduplicated: "alpha" and "beta" appear twice. */
		if (i > 0)
			test_assert(first.hashes[i] != first.hashes[0]);
	}
	test_assert(strstr(all, "alpha beta gamma delta epsilon") != NULL);

	test_assert_string(tokens_of(arena, text, 4, &capped),
	    "H*From:a@b.test H*From:@b.test H*Subject:one H*Subject:two");
	test_assert_int(capped.count, 4);
	test_assert(capped.truncated);
	for (i = 0; i < capped.count; i++)
		test_assert(capped.hashes[i] == first.hashes[i]);

	/* No options at all: the default cap and no callback. */
	bayes_tokenize(arena, message_parse(arena,
	    (const unsigned char *)text, strlen(text), NULL), NULL, &second);
	test_assert_int(second.count, first.count);
	arena_free(&arena);
}

static void
test_bayes_tokenize_default_cap(void)
{
	struct arena *arena = arena_new("test", 0);
	struct bayes_tokenize_result result;
	struct buffer b;
	size_t i;

	buffer_init(&b, 0);
	test_assert_int(buffer_append(&b, "Subject: x\r\n\r\n", 14), 0);
	for (i = 0; i < BAYES_TOKENIZE_DEFAULT_MAX_TOKENS + 500; i++)
		test_assert_int(buffer_printf(&b, "w%zux ", i), 0);
	bayes_tokenize(arena, message_parse(arena,
	    (const unsigned char *)buffer_string(&b), buffer_length(&b),
	    NULL), NULL, &result);
	test_assert_int(result.count, BAYES_TOKENIZE_DEFAULT_MAX_TOKENS);
	test_assert(result.truncated);
	buffer_deinit(&b);
	arena_free(&arena);
}

static void
test_bayes_tokenize_long_token_cut(void)
{
	struct arena *arena = arena_new("test", 0);
	struct buffer b;
	const char *tokens;
	size_t i;

	/* An address longer than the token limit, 2-byte characters in the
	 * name part so the cut must land on a character boundary. */
	buffer_init(&b, 0);
	test_assert_int(buffer_append(&b, "From: ", 6), 0);
	for (i = 0; i < 100; i++)
		test_assert_int(buffer_append(&b, "\xc3\xa9", 2), 0);
	test_assert_int(buffer_append(&b, "@x.test\r\n\r\n", 11), 0);
	tokens = tokens_of(arena, buffer_string(&b), 0, NULL);
	test_assert(strncmp(tokens, "H*From:\xc3\xa9", 9) == 0);
	/* 7 prefix bytes + 60 whole characters = 127 bytes. */
	test_assert_int(strcspn(tokens, " "), 127);
	buffer_deinit(&b);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_bayes_tokenize_hash_fixed),
		TEST_CASE(test_bayes_tokenize_plain),
		TEST_CASE(test_bayes_tokenize_html_and_uris),
		TEST_CASE(test_bayes_tokenize_received),
		TEST_CASE(test_bayes_tokenize_words),
		TEST_CASE(test_bayes_tokenize_stable_and_capped),
		TEST_CASE(test_bayes_tokenize_default_cap),
		TEST_CASE(test_bayes_tokenize_long_token_cut),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
