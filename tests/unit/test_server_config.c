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

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_server_config_defaults_are_valid),
		TEST_CASE(test_server_config_load),
		TEST_CASE(test_server_config_cross_checks),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
