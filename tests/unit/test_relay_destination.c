/* test_relay_destination.c: unit tests for gateway/relay_destination. */
#include "gateway/relay_destination.h"
#include "tests/unit/harness.h"

struct destination_case {
	const char *text;
	int ret;
	bool lmtp;
	const char *host;        /* NULL for unix */
	unsigned port;
	const char *unix_path;
	const char *formatted;   /* relay_destination_format's output */
};

static const struct destination_case destination_cases[] = {
	{ "[mx.example.org]:2525", 0, false, "mx.example.org", 2525, NULL,
	    "[mx.example.org]:2525" },
	{ "mx.example.org:25", 0, false, "mx.example.org", 25, NULL,
	    "[mx.example.org]:25" },
	{ "mx.example.org", 0, false, "mx.example.org", 25, NULL,
	    "[mx.example.org]:25" },
	{ "[10.0.0.1]", 0, false, "10.0.0.1", 25, NULL, "[10.0.0.1]:25" },
	{ "smtp:[127.0.0.1]:10025", 0, false, "127.0.0.1", 10025, NULL,
	    "[127.0.0.1]:10025" },
	{ "[2001:db8::1]:587", 0, false, "2001:db8::1", 587, NULL,
	    "[2001:db8::1]:587" },
	{ "[IPv6:2001:db8::2]", 0, false, "2001:db8::2", 25, NULL,
	    "[2001:db8::2]:25" },
	{ "lmtp:mailhub:2424", 0, true, "mailhub", 2424, NULL,
	    "lmtp:[mailhub]:2424" },
	{ "LMTP:[192.0.2.7]", 0, true, "192.0.2.7", 24, NULL,
	    "lmtp:[192.0.2.7]:24" },
	{ "lmtp:unix:/run/dovecot/lmtp", 0, true, NULL, 0,
	    "/run/dovecot/lmtp", "lmtp:unix:/run/dovecot/lmtp" },
	{ "", -1, false, NULL, 0, NULL, NULL },
	{ "mx:0", -1, false, NULL, 0, NULL, NULL },
	{ "mx:65536", -1, false, NULL, 0, NULL, NULL },
	{ "mx:", -1, false, NULL, 0, NULL, NULL },
	{ "mx:25x", -1, false, NULL, 0, NULL, NULL },
	{ "[mx.example.org", -1, false, NULL, 0, NULL, NULL },
	{ "[mx]junk", -1, false, NULL, 0, NULL, NULL },
	{ "2001:db8::1", -1, false, NULL, 0, NULL, NULL },
	{ "[2001:db8::zz]", -1, false, NULL, 0, NULL, NULL },
	{ "mx..example.org", -1, false, NULL, 0, NULL, NULL },
	{ "mail hub:25", -1, false, NULL, 0, NULL, NULL },
	{ "lmtp:unix:run/lmtp", -1, false, NULL, 0, NULL, NULL },
	{ "unix:/run/lmtp", -1, false, NULL, 0, NULL, NULL },
	{ "[]:25", -1, false, NULL, 0, NULL, NULL },
};

static void
test_relay_destination_parse_table(void)
{
	struct arena *arena = arena_new("test", 0);
	struct smtp_client_destination destination;
	char formatted[RELAY_DESTINATION_MAX];
	const char *error = NULL;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(destination_cases); i++) {
		const struct destination_case *c = &destination_cases[i];
		int ret = relay_destination_parse(c->text, arena, &destination,
		    &error);

		if (ret != c->ret) {
			test_fail(__FILE__, __LINE__, "'%s': %d, want %d (%s)",
			    c->text, ret, c->ret, ret < 0 ? error : "");
			continue;
		}
		if (ret < 0) {
			test_assert(strstr(error, "is not a destination") !=
			    NULL);
			test_assert(strchr(error, '\n') == NULL);
			continue;
		}
		test_assert_int(destination.lmtp, c->lmtp);
		test_assert_int(destination.port, c->port);
		if (c->host != NULL)
			test_assert_string(destination.host, c->host);
		else
			test_assert(destination.host == NULL);
		if (c->unix_path != NULL) {
			test_assert_string(destination.unix_path,
			    c->unix_path);
			test_assert_int(destination.tls, SMTP_CLIENT_TLS_NONE);
		} else {
			test_assert(destination.unix_path == NULL);
			test_assert_int(destination.tls, SMTP_CLIENT_TLS_MAY);
		}
		test_assert_string(relay_destination_format(&destination,
		    formatted, sizeof(formatted)), c->formatted);
	}
	arena_free(&arena);
}

static void
test_relay_destination_errors_say_why(void)
{
	struct arena *arena = arena_new("test", 0);
	struct smtp_client_destination destination;
	const char *error = NULL;
	char long_text[400];

	test_assert_int(relay_destination_parse("mx:99999", arena,
	    &destination, &error), -1);
	test_assert(strstr(error, "port must be 1 to 65535") != NULL);
	test_assert(strstr(error, "'mx:99999'") != NULL);
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	test_assert_int(relay_destination_parse(long_text, arena,
	    &destination, &error), -1);
	test_assert(strstr(error, "longer than 300 bytes") != NULL);
	test_assert(strlen(error) < 200);
	arena_free(&arena);
}

static void
test_relay_destination_equal(void)
{
	struct arena *arena = arena_new("test", 0);
	struct smtp_client_destination a, b, c, d;
	const char *error;

	test_require(relay_destination_parse("[MX.example.org]:25", arena, &a,
	    &error) == 0);
	test_require(relay_destination_parse("mx.example.org", arena, &b,
	    &error) == 0);
	test_require(relay_destination_parse("lmtp:mx.example.org:25", arena,
	    &c, &error) == 0);
	test_require(relay_destination_parse("lmtp:unix:/run/lmtp", arena, &d,
	    &error) == 0);
	test_assert(relay_destination_equal(&a, &b));
	test_assert(!relay_destination_equal(&a, &c));
	test_assert(!relay_destination_equal(&c, &d));
	test_assert(relay_destination_equal(&d, &d));
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_relay_destination_parse_table),
		TEST_CASE(test_relay_destination_errors_say_why),
		TEST_CASE(test_relay_destination_equal),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
