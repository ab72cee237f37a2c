/* test_server_config.c: sluiced's settings tables load and cross-check. */
#include "gateway/server_config.h"
#include "tests/unit/harness.h"

static const char *
write_config(const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sluice.conf", test_temp_dir());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_server_config_defaults_are_valid(void)
{
	struct server_config *config = server_config_defaults();

	test_assert_int(config->smtp->line_limit, 2048);
	test_assert_int(config->smtp->max_errors, 10);
	test_assert_int(config->smtp->max_message_size, 25 * 1024 * 1024);
	test_assert_string(config->smtp->listen, "");
	test_assert(config->hostname[0] != '\0');
	server_config_unref(&config);
	test_assert(config == NULL);
}

static void
test_server_config_load(void)
{
	const char *error = NULL;
	struct server_config *config = server_config_load(write_config(
	    "hostname = mx.example.test\nstate_dir = /var/tmp/s\n"
	    "smtp.listen = 127.0.0.1:2525\nsmtp.max_message_size = 1M\n"
	    "smtp.max_recipients = 3\nsmtp.timeout = 2m\n"), &error);

	test_require(config != NULL);
	test_assert_string(config->hostname, "mx.example.test");
	test_assert_string(config->pid_file, "/var/tmp/s/sluiced.pid");
	test_assert_int(config->smtp->max_message_size, 1048576);
	test_assert_int(config->smtp->max_recipients, 3);
	test_assert_int(config->smtp->timeout, 120);
	server_config_unref(&config);
}

static void
test_server_config_cross_checks(void)
{
	static const char *const bad[] = {
		"state_dir = relative/dir\n",
		"tls.cert = /x/cert.pem\n",
		"queue.retry_min = 2h\nqueue.retry_max = 1h\n",
		"smtp.line_limit = 100\n",
		"smtp.lisen = 127.0.0.1:25\n",
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(bad); i++) {
		const char *error = NULL;
		struct server_config *config = server_config_load(
		    write_config(bad[i]), &error);
		test_assert(config == NULL);
		test_assert(error != NULL && strstr(error, "sluice.conf") != NULL);
		server_config_unref(&config);
	}
}

static void
test_server_config_relay_routes(void)
{
	const struct relay_route *route;
	const char *error = NULL;
	struct server_config *config = server_config_load(write_config(
	    "state_dir = /var/tmp/s\n"
	    "relay.domains = Zeta.example, alpha.example, mid.example\n"
	    "relay.host = [10.0.0.1]:2525\n"
	    "relay.transport.alpha.example = lmtp:unix:/run/lmtp\n"
	    "relay.transport.MID.example = lmtp:mailhub:2424\n"
	    "relay.tls = encrypt\n"
	    "relay.verify = list\n"
	    "relay.verify.zeta.example = accept\n"), &error);

	test_require(config != NULL);
	test_assert_int(config->relay_route_count, 3);
	test_assert_string(config->relay_routes[0].domain, "alpha.example");
	test_assert_string(config->relay_routes[2].domain, "zeta.example");
	route = server_config_relay_route(config, "ZETA.example");
	test_require(route != NULL);
	test_assert_string(route->destination.host, "10.0.0.1");
	test_assert_int(route->destination.port, 2525);
	test_assert_int(route->destination.tls, SMTP_CLIENT_TLS_ENCRYPT);
	test_assert_int(route->verify, RELAY_VERIFY_ACCEPT);
	route = server_config_relay_route(config, "alpha.example");
	test_require(route != NULL);
	test_assert_string(route->destination.unix_path, "/run/lmtp");
	test_assert_int(route->destination.tls, SMTP_CLIENT_TLS_NONE);
	test_assert_int(route->verify, RELAY_VERIFY_LIST);
	route = server_config_relay_route(config, "mid.example");
	test_require(route != NULL);
	test_assert(route->destination.lmtp);
	test_assert_int(route->destination.port, 2424);
	test_assert(server_config_relay_route(config, "other.example") ==
	    NULL);
	test_assert(server_config_relay_route(config, "example") == NULL);
	server_config_unref(&config);

	/* The defaults: no relay domains, probe verification, may TLS. */
	config = server_config_defaults();
	test_assert_int(config->relay_route_count, 0);
	test_assert_int(config->relay->verify, RELAY_VERIFY_PROBE);
	test_assert_int(config->relay->tls, SMTP_CLIENT_TLS_MAY);
	test_assert_int(config->relay->verify_positive_ttl, 7 * 86400);
	test_assert_int(config->relay->verify_negative_ttl, 3600);
	test_assert(server_config_relay_route(config, "x.example") == NULL);
	server_config_unref(&config);
}

static void
test_server_config_relay_errors(void)
{
	static const struct {
		const char *text;
		const char *message;
	} bad[] = {
		{ "relay.domains = a.example, not_a domain\n"
		    "relay.host = mx:25\n", "relay.domains: invalid domain" },
		{ "relay.domains = a.example, A.example\nrelay.host = mx\n",
		    "a.example is listed twice" },
		{ "relay.domains = a.example\n",
		    "a.example has no destination (set relay.host or "
		    "relay.transport.a.example)" },
		{ "relay.domains = a.example\nrelay.host = mx:0\n",
		    "relay.host: 'mx:0' is not a destination" },
		{ "relay.host = lmtp:unix:relative\n",
		    "relay.host: 'lmtp:unix:relative'" },
		{ "relay.domains = a.example\nrelay.host = mx\n"
		    "relay.transport.b.example = mx2\n",
		    "sluice.conf:3: relay.transport.b.example: b.example is "
		    "not in relay.domains" },
		{ "relay.domains = a.example\n"
		    "relay.transport.a.example = [mx\n",
		    "sluice.conf:2: relay.transport.a.example: '[mx' is not a "
		    "destination" },
		{ "relay.domains = a.example\nrelay.host = mx\n"
		    "relay.verify.c.example = accept\n",
		    "relay.verify.c.example: c.example is not in" },
		{ "relay.verify.a.example = sometimes\n",
		    "sluice.conf:1: relay.verify.a.example: 'sometimes' is not "
		    "one of the choices" },
		{ "relay.verify_negative_ttl = 10s\n", "below the minimum" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(bad); i++) {
		const char *error = NULL;
		struct server_config *config = server_config_load(
		    write_config(bad[i].text), &error);

		test_assert(config == NULL);
		if (error == NULL || strstr(error, bad[i].message) == NULL ||
		    strchr(error, '\n') != NULL)
			test_fail(__FILE__, __LINE__, "case %zu: '%s' lacks "
			    "'%s'", i, error != NULL ? error : "(null)",
			    bad[i].message);
		server_config_unref(&config);
	}
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_server_config_defaults_are_valid),
		TEST_CASE(test_server_config_load),
		TEST_CASE(test_server_config_cross_checks),
		TEST_CASE(test_server_config_relay_routes),
		TEST_CASE(test_server_config_relay_errors),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
