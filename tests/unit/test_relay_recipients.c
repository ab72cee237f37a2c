/* test_relay_recipients.c: unit tests for mailstore/relay_recipients. */
#include "mailstore/relay_recipients.h"
#include "lib/arena.h"
#include "tests/unit/harness.h"

struct collected {
	char text[1024];
};

static void
collect_address(const char *address, void *context)
{
	struct collected *collected = context;
	size_t used = strlen(collected->text);

	snprintf(collected->text + used, sizeof(collected->text) - used,
	    "%s ", address);
}

static struct relay_recipients *
open_recipients(const char *name)
{
	struct relay_recipients *recipients = NULL;
	const char *error = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	if (relay_recipients_open(path, &recipients, &error) < 0)
		test_fail(__FILE__, __LINE__, "open: %s", error);
	return recipients;
}

static const char *
listed(struct relay_recipients *recipients, const char *domain)
{
	static struct collected collected;
	const char *error;

	collected.text[0] = '\0';
	if (relay_recipients_list(recipients, domain, collect_address,
	    &collected, &error) < 0)
		return error;
	return collected.text;
}

static void
test_relay_recipients_add_contains_list(void)
{
	struct relay_recipients *recipients = open_recipients("list.db");
	const char *first[] = { "Zed@Relay.test", "amy@relay.test",
		"bob@other.test" };
	const char *again[] = { "amy@relay.test", "cid@relay.test" };
	const char *bad[] = { "dan@relay.test", "no-at-sign" };
	const char *error = NULL;
	size_t added = 99;

	test_require(recipients != NULL);
	test_assert_int(relay_recipients_add(recipients, first, 3, false,
	    &added, &error), 0);
	test_assert_int(added, 3);
	test_assert_int(relay_recipients_contains(recipients,
	    "ZED@relay.TEST", &error), 1);
	test_assert_int(relay_recipients_contains(recipients,
	    "zed+tag@relay.test", &error), 0);
	test_assert_string(listed(recipients, "relay.test"),
	    "amy@relay.test zed@relay.test ");
	test_assert_string(listed(recipients, NULL),
	    "bob@other.test amy@relay.test zed@relay.test ");
	/* A duplicate refuses the batch, unless skipped. */
	test_assert_int(relay_recipients_add(recipients, again, 2, false,
	    &added, &error), -1);
	test_assert(strstr(error, "amy@relay.test already exists") != NULL);
	test_assert_int(relay_recipients_contains(recipients,
	    "cid@relay.test", &error), 0);
	test_assert_int(relay_recipients_add(recipients, again, 2, true,
	    &added, &error), 0);
	test_assert_int(added, 1);
	test_assert_int(relay_recipients_contains(recipients,
	    "cid@relay.test", &error), 1);
	/* A bad address refuses the batch. */
	test_assert_int(relay_recipients_add(recipients, bad, 2, true, &added,
	    &error), -1);
	test_assert(strstr(error, "no-at-sign") != NULL);
	test_assert_int(relay_recipients_contains(recipients,
	    "dan@relay.test", &error), 0);
	relay_recipients_close(&recipients);
	test_assert(recipients == NULL);
}

static void
test_relay_recipients_remove(void)
{
	struct relay_recipients *recipients = open_recipients("remove.db");
	const char *two[] = { "a@relay.test", "b@relay.test" };
	const char *one[] = { "A@relay.test" };
	const char *missing[] = { "b@relay.test", "c@relay.test" };
	const char *error = NULL;

	test_require(recipients != NULL);
	test_require(relay_recipients_add(recipients, two, 2, false, NULL,
	    &error) == 0);
	test_assert_int(relay_recipients_remove(recipients, one, 1, &error),
	    0);
	test_assert_int(relay_recipients_remove(recipients, missing, 2,
	    &error), -1);
	test_assert(strstr(error, "no relay recipient c@relay.test") != NULL);
	test_assert_string(listed(recipients, "relay.test"), "b@relay.test ");
	relay_recipients_close(&recipients);
}

static void
test_relay_recipients_probes(void)
{
	struct relay_recipients *recipients = open_recipients("probes.db");
	struct relay_recipients_probe probe = { true, 1000, "" }, got;
	struct arena *arena = arena_new("test", 0);
	const char *error = NULL;
	char long_reply[2000];

	test_require(recipients != NULL);
	test_assert_int(relay_recipients_probe_get(recipients, "a@relay.test",
	    arena, &got, &error), 0);
	test_assert_int(relay_recipients_probe_put(recipients, "a@relay.test",
	    &probe, &error), 0);
	probe.accepted = false;
	probe.checked = 2000;
	memset(long_reply, 'x', sizeof(long_reply) - 1);
	long_reply[sizeof(long_reply) - 1] = '\0';
	probe.reply = long_reply;
	test_assert_int(relay_recipients_probe_put(recipients, "b@relay.test",
	    &probe, &error), 0);
	test_assert_int(relay_recipients_probe_get(recipients, "A@RELAY.test",
	    arena, &got, &error), 1);
	test_assert(got.accepted);
	test_assert_int(got.checked, 1000);
	test_assert_int(relay_recipients_probe_get(recipients, "b@relay.test",
	    arena, &got, &error), 1);
	test_assert(!got.accepted);
	test_assert_int(strlen(got.reply), RELAY_RECIPIENTS_REPLY_MAX);
	/* A newer answer replaces the old one. */
	probe.accepted = true;
	probe.checked = 3000;
	probe.reply = "";
	test_assert_int(relay_recipients_probe_put(recipients, "b@relay.test",
	    &probe, &error), 0);
	test_assert_int(relay_recipients_probe_get(recipients, "b@relay.test",
	    arena, &got, &error), 1);
	test_assert(got.accepted && got.checked == 3000);
	/* Expiry keeps what is newer than its cut-off. */
	test_assert_int(relay_recipients_probe_expire(recipients, 2000, 0,
	    &error), 0);
	test_assert_int(relay_recipients_probe_get(recipients, "a@relay.test",
	    arena, &got, &error), 0);
	test_assert_int(relay_recipients_probe_get(recipients, "b@relay.test",
	    arena, &got, &error), 1);
	arena_free(&arena);
	relay_recipients_close(&recipients);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_relay_recipients_add_contains_list),
		TEST_CASE(test_relay_recipients_remove),
		TEST_CASE(test_relay_recipients_probes),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
