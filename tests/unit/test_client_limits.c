/* test_client_limits.c: per-client connection counts, token-bucket
 * rates, IPv6 /64 grouping, exempt networks and the bounded table. */
#include "gateway/client_limits.h"
#include "tests/unit/harness.h"

#include <arpa/inet.h>

#define MINUTE 60000

static struct client_limits *
limits_with(unsigned max_connections, unsigned per_minute, const char *exempt)
{
	struct client_limits_settings settings = {
		.max_connections = max_connections,
		.connections_per_minute = per_minute,
		.exempt = exempt,
	};

	return client_limits_new(&settings);
}

static enum client_limits_verdict
connect_at(struct client_limits *limits, const char *address, uint64_t now)
{
	bool counted;
	enum client_limits_verdict verdict;

	verdict = client_limits_connect(limits, address, now, &counted);
	/* A refused connection is never counted as open. */
	test_assert(verdict == CLIENT_LIMITS_ALLOW || !counted);
	return verdict;
}

static void
test_client_limits_concurrency(void)
{
	struct client_limits *limits = limits_with(2, 0, "");

	test_assert_int(connect_at(limits, "192.0.2.1", 0), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.1", 1), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.1", 2),
	    CLIENT_LIMITS_CONCURRENCY);
	/* Another client is not affected. */
	test_assert_int(connect_at(limits, "192.0.2.2", 3), CLIENT_LIMITS_ALLOW);
	client_limits_disconnect(limits, "192.0.2.1", 4);
	test_assert_int(connect_at(limits, "192.0.2.1", 5), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.1", 6),
	    CLIENT_LIMITS_CONCURRENCY);
	test_assert_string(client_limits_verdict_name(
	    CLIENT_LIMITS_CONCURRENCY), "concurrency");
	client_limits_free(&limits);
	test_assert(limits == NULL);
}

static void
test_client_limits_rate(void)
{
	struct client_limits *limits = limits_with(0, 3, "");
	uint64_t now = 1000000;
	int i;

	/* A burst of three, then one every 20 s. */
	for (i = 0; i < 3; i++) {
		test_assert_int(connect_at(limits, "198.51.100.7", now),
		    CLIENT_LIMITS_ALLOW);
		client_limits_disconnect(limits, "198.51.100.7", now);
	}
	test_assert_int(connect_at(limits, "198.51.100.7", now),
	    CLIENT_LIMITS_RATE);
	/* Refused attempts cost nothing and earn nothing. */
	test_assert_int(connect_at(limits, "198.51.100.7", now + 19999),
	    CLIENT_LIMITS_RATE);
	test_assert_int(connect_at(limits, "198.51.100.7", now + 20000),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "198.51.100.7", now + 20001),
	    CLIENT_LIMITS_RATE);
	test_assert_string(client_limits_verdict_name(CLIENT_LIMITS_RATE),
	    "rate");
	/* After a quiet minute the full burst is back. */
	now += 20000 + MINUTE;
	for (i = 0; i < 3; i++)
		test_assert_int(connect_at(limits, "198.51.100.7", now),
		    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "198.51.100.7", now),
	    CLIENT_LIMITS_RATE);
	client_limits_free(&limits);
}

static void
test_client_limits_ipv6_per_64(void)
{
	struct client_limits *limits = limits_with(1, 0, "");

	test_assert_int(connect_at(limits, "2001:db8:1:2::1", 0),
	    CLIENT_LIMITS_ALLOW);
	/* Same /64, another address: the same client. */
	test_assert_int(connect_at(limits, "2001:db8:1:2:ffff::9", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	/* The next /64 is another client. */
	test_assert_int(connect_at(limits, "2001:db8:1:3::1", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(client_limits_entries(limits), 2);
	client_limits_disconnect(limits, "2001:db8:1:2::abcd", 1);
	test_assert_int(connect_at(limits, "2001:db8:1:2::1", 2),
	    CLIENT_LIMITS_ALLOW);
	/* IPv4 stays per address, IPv4-mapped or not. */
	test_assert_int(connect_at(limits, "192.0.2.1", 3), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "::ffff:192.0.2.1", 3),
	    CLIENT_LIMITS_CONCURRENCY);
	test_assert_int(connect_at(limits, "192.0.2.2", 3), CLIENT_LIMITS_ALLOW);
	client_limits_free(&limits);
}

static void
test_client_limits_exempt_and_unix(void)
{
	struct client_limits *limits = limits_with(1, 1,
	    "192.0.2.0/24, 2001:db8::/32,198.51.100.7");
	struct client_limits_settings settings = {
		.max_connections = 1, .connections_per_minute = 1,
		.exempt = "",
	};
	const char *error;
	bool counted = true;
	int i;

	for (i = 0; i < 5; i++) {
		test_assert_int(client_limits_connect(limits, "192.0.2.200", 0,
		    &counted), CLIENT_LIMITS_ALLOW);
		test_assert(!counted);
		test_assert_int(connect_at(limits, "2001:db8:ffff::1", 0),
		    CLIENT_LIMITS_ALLOW);
		test_assert_int(connect_at(limits, "198.51.100.7", 0),
		    CLIENT_LIMITS_ALLOW);
		test_assert_int(connect_at(limits, "unix", 0),
		    CLIENT_LIMITS_ALLOW);
	}
	test_assert_int(client_limits_entries(limits), 0);
	/* Just outside the networks. */
	test_assert_int(connect_at(limits, "192.0.3.1", 0), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.3.1", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	test_assert_int(connect_at(limits, "198.51.100.8", 0),
	    CLIENT_LIMITS_ALLOW);
	/* A reload drops the exemption; later connections count. */
	test_assert_int(client_limits_configure(limits, &settings, &error), 0);
	test_assert_int(connect_at(limits, "192.0.2.200", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.200", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	/* A bad list changes nothing. */
	settings.exempt = "192.0.2.0/33";
	test_assert_int(client_limits_configure(limits, &settings, &error), -1);
	test_assert(strstr(error, "192.0.2.0/33") != NULL);
	test_assert_int(connect_at(limits, "192.0.2.200", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	client_limits_free(&limits);
}

static void
test_client_limits_check_exempt(void)
{
	static const char *const good[] = {
		"", "10.0.0.0/8", "::1", " 10.0.0.1 , ::/0 ,", "0.0.0.0/0",
		"2001:db8::/128", "192.0.2.1/32", "::ffff:192.0.2.0/120",
	};
	static const char *const bad[] = {
		"1.2.3.4/33", "::/129", "junk", "1.2.3.4/", "1.2.3.4/-1",
		"10.0.0.0/8, example.org", "1.2.3", "1.2.3.4/8x",
		"[::1]", "10.0.0.0 /8",
	};
	const char *error;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(good); i++) {
		error = NULL;
		if (client_limits_check_exempt(good[i], &error) != 0)
			test_fail(__FILE__, __LINE__, "'%s' refused: %s",
			    good[i], error);
	}
	for (i = 0; i < ARRAY_LENGTH(bad); i++) {
		error = NULL;
		if (client_limits_check_exempt(bad[i], &error) != -1 ||
		    error == NULL || strstr(error, "smtp.limits_exempt") == NULL)
			test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
	}
}

static void
test_client_limits_prefix_edges(void)
{
	struct client_limits *limits = limits_with(1, 0,
	    "192.0.2.128/25, 2001:db8:8000::/33");

	/* /25: .128-.255 exempt, .127 not. */
	test_assert_int(connect_at(limits, "192.0.2.255", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.255", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.127", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.127", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	test_assert_int(connect_at(limits, "2001:db8:ffff::1", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "2001:db8:ffff::1", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "2001:db8:7fff::1", 0),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "2001:db8:7fff::1", 0),
	    CLIENT_LIMITS_CONCURRENCY);
	client_limits_free(&limits);
}

static void
test_client_limits_expiry(void)
{
	struct client_limits *limits = limits_with(5, 10, "");
	char address[64];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(address, sizeof(address), "10.0.%d.%d", i / 250,
		    i % 250);
		test_assert_int(connect_at(limits, address, 1000),
		    CLIENT_LIMITS_ALLOW);
		client_limits_disconnect(limits, address, 1000);
	}
	test_assert_int(connect_at(limits, "10.9.9.9", 1000),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(client_limits_entries(limits), 101);
	/* Idle for a minute: forgotten; the open one stays. */
	test_assert_int(connect_at(limits, "10.9.9.8", 1000 + MINUTE),
	    CLIENT_LIMITS_ALLOW);
	test_assert_int(client_limits_entries(limits), 2);
	/* Without a rate limit, idle clients carry nothing at all. */
	client_limits_free(&limits);
	limits = limits_with(5, 0, "");
	test_assert_int(connect_at(limits, "10.0.0.1", 0), CLIENT_LIMITS_ALLOW);
	client_limits_disconnect(limits, "10.0.0.1", 0);
	test_assert_int(connect_at(limits, "10.0.0.2", 0), CLIENT_LIMITS_ALLOW);
	test_assert_int(client_limits_entries(limits), 1);
	client_limits_free(&limits);
}

static void
test_client_limits_table_is_bounded(void)
{
	struct client_limits *limits = limits_with(1, 1, "");
	char address[64];
	bool counted;
	uint32_t i;

	/* Idle clients beyond the cap push out the oldest. Each used its
	 * one connection a minute, so a known one is refused again. */
	for (i = 0; i < CLIENT_LIMITS_ENTRIES_MAX + 1000; i++) {
		struct in_addr a = { htonl(0x0a000000u + i) };
		inet_ntop(AF_INET, &a, address, sizeof(address));
		test_require(connect_at(limits, address, i / 1000) ==
		    CLIENT_LIMITS_ALLOW);
		client_limits_disconnect(limits, address, i / 1000);
	}
	test_assert_int(client_limits_entries(limits),
	    CLIENT_LIMITS_ENTRIES_MAX);
	/* The newest is still known, the oldest was forgotten. */
	test_assert_int(connect_at(limits, address, 66), CLIENT_LIMITS_RATE);
	test_assert_int(connect_at(limits, "10.0.0.0", 66), CLIENT_LIMITS_ALLOW);
	client_limits_free(&limits);

	/* Every entry busy: a new client gets in, untracked. */
	limits = limits_with(1, 0, "");
	for (i = 0; i < CLIENT_LIMITS_ENTRIES_MAX; i++) {
		struct in_addr a = { htonl(0x0b000000u + i) };
		inet_ntop(AF_INET, &a, address, sizeof(address));
		test_require(connect_at(limits, address, 0) ==
		    CLIENT_LIMITS_ALLOW);
	}
	test_assert_int(client_limits_connect(limits, "192.0.2.1", 0,
	    &counted), CLIENT_LIMITS_ALLOW);
	test_assert(!counted);
	test_assert_int(client_limits_entries(limits),
	    CLIENT_LIMITS_ENTRIES_MAX);
	/* A busy client is still refused. */
	test_assert_int(connect_at(limits, address, 0),
	    CLIENT_LIMITS_CONCURRENCY);
	client_limits_free(&limits);
}

static void
test_client_limits_reconfigure_rate(void)
{
	struct client_limits *limits = limits_with(0, 60, "");
	struct client_limits_settings settings = {
		.max_connections = 0, .connections_per_minute = 2, .exempt = "",
	};
	const char *error;
	bool counted;

	test_assert_int(connect_at(limits, "192.0.2.9", 0), CLIENT_LIMITS_ALLOW);
	/* 59 tokens left, but the new capacity is 2: one more, then no. */
	test_assert_int(client_limits_configure(limits, &settings, &error), 0);
	test_assert_int(connect_at(limits, "192.0.2.9", 0), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.9", 0), CLIENT_LIMITS_ALLOW);
	test_assert_int(connect_at(limits, "192.0.2.9", 0), CLIENT_LIMITS_RATE);
	/* Both limits off: nothing is counted. */
	settings.connections_per_minute = 0;
	test_assert_int(client_limits_configure(limits, &settings, &error), 0);
	test_assert_int(client_limits_connect(limits, "192.0.2.9", 0, &counted),
	    CLIENT_LIMITS_ALLOW);
	test_assert(!counted);
	client_limits_free(&limits);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_client_limits_concurrency),
		TEST_CASE(test_client_limits_rate),
		TEST_CASE(test_client_limits_ipv6_per_64),
		TEST_CASE(test_client_limits_exempt_and_unix),
		TEST_CASE(test_client_limits_check_exempt),
		TEST_CASE(test_client_limits_prefix_edges),
		TEST_CASE(test_client_limits_expiry),
		TEST_CASE(test_client_limits_table_is_bounded),
		TEST_CASE(test_client_limits_reconfigure_rate),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
