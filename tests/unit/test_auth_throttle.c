/* test_auth_throttle.c: unit tests for mailstore/auth_throttle, with
 * the clock driven through now_msec. */
#include "mailstore/auth_throttle.h"
#include "lib/settings.h"
#include "tests/unit/harness.h"

#define SECOND 1000
#define MINUTE (60 * SECOND)

/* The defaults of the settings table, with max_entries. */
static struct auth_throttle *
throttle_new(int64_t max_entries)
{
	struct auth_throttle_settings settings = {
		.failure_delay_max = 15,
		.ban_failures_per_ip = 10,
		.ban_failures_per_user = 20,
		.ban_window = 600,
		.ban_time = 900,
		.max_entries = max_entries,
	};

	return auth_throttle_new(&settings);
}

/* The delay check asks for, or -1 when banned. */
static int64_t
delay(struct auth_throttle *throttle, const char *ip, const char *user,
    int64_t now)
{
	int64_t delay_msec = -2;

	if (auth_throttle_check(throttle, ip, user, now, &delay_msec) ==
	    AUTH_THROTTLE_BANNED) {
		test_assert_int(delay_msec, 15 * SECOND);
		return -1;
	}
	return delay_msec;
}

static void
test_auth_throttle_delays(void)
{
	static const int64_t expected[] = { 0, 0, 1, 2, 4, 8, 15, 15, 15 };
	struct auth_throttle_settings settings = {
		.failure_delay_max = 15, .ban_window = 600, .ban_time = 900,
	};
	struct auth_throttle *throttle = auth_throttle_new(&settings);
	int64_t now = 5 * MINUTE;
	size_t i;

	/* No bans configured: only the delay grows. */
	for (i = 0; i < ARRAY_LENGTH(expected); i++) {
		test_assert_int(delay(throttle, "192.0.2.1", "alice", now),
		    expected[i] * SECOND);
		auth_throttle_failure(throttle, "192.0.2.1", "alice", now);
		now += SECOND;
	}
	/* Another IP trying the same user is not slowed by these. */
	test_assert_int(delay(throttle, "192.0.2.2", "alice", now), 0);
	/* The window ends: the count starts again. */
	test_assert_int(delay(throttle, "192.0.2.1", "alice", 15 * MINUTE),
	    0);
	auth_throttle_free(&throttle);
	test_assert(throttle == NULL);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_ip_ban(void)
{
	struct auth_throttle *throttle = throttle_new(0);
	char user[32];
	int64_t now = 0;
	int i;

	/* A guesser going through user names from one IP. */
	for (i = 0; i < 9; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		test_assert(delay(throttle, "192.0.2.7", user, now) >= 0);
		auth_throttle_failure(throttle, "192.0.2.7", user, now);
		now += SECOND;
	}
	/* The IP's count slows it even for a user it has not tried. */
	test_assert_int(delay(throttle, "192.0.2.7", "fresh", now),
	    15 * SECOND);
	auth_throttle_failure(throttle, "192.0.2.7", "user9", now);
	test_assert_int(delay(throttle, "192.0.2.7", "fresh", now), -1);
	test_assert_int(delay(throttle, "192.0.2.7", "", now), -1);
	test_assert_int(delay(throttle, "2001:db8::7", "user1", now), 0);
	/* The ban lasts 15 minutes from the tenth failure. */
	test_assert_int(delay(throttle, "192.0.2.7", "fresh",
	    now + 15 * MINUTE - 1), -1);
	test_assert_int(delay(throttle, "192.0.2.7", "fresh",
	    now + 15 * MINUTE), 0);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_user_ban(void)
{
	struct auth_throttle *throttle = throttle_new(0);
	char ip[32];
	int64_t now = 1000 * MINUTE;
	int i;

	/* Twenty IPs, one failure each, against one user. */
	for (i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		test_assert_int(delay(throttle, ip, "victim", now), 0);
		auth_throttle_failure(throttle, ip, i % 2 ? "VICTIM" : "victim",
		    now);
		now += 10 * SECOND;
	}
	/* The user is refused from anywhere, in any case; others not. */
	test_assert_int(delay(throttle, "203.0.113.1", "victim", now), -1);
	test_assert_int(delay(throttle, "203.0.113.1", "Victim", now), -1);
	test_assert_int(delay(throttle, "203.0.113.1", "other", now), 0);
	/* The ban expires: the real user gets back in. */
	now += 15 * MINUTE;
	test_assert_int(delay(throttle, "203.0.113.1", "victim", now), 0);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_window(void)
{
	struct auth_throttle *throttle = throttle_new(0);
	int64_t now = 0;
	int i;

	/* Nine failures, then a pause longer than the window: the tenth
	 * does not ban. */
	for (i = 0; i < 9; i++)
		auth_throttle_failure(throttle, "192.0.2.9", "", now++);
	now = 10 * MINUTE;
	auth_throttle_failure(throttle, "192.0.2.9", "", now);
	test_assert_int(delay(throttle, "192.0.2.9", "", now), 0);
	/* Ten within it do, counted from the window's first failure. */
	for (i = 0; i < 9; i++)
		auth_throttle_failure(throttle, "192.0.2.9", "",
		    now + 9 * MINUTE);
	test_assert_int(delay(throttle, "192.0.2.9", "", now + 9 * MINUTE),
	    -1);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_success(void)
{
	struct auth_throttle *throttle = throttle_new(0);
	int64_t now = 0;
	int i;

	for (i = 0; i < 3; i++)
		auth_throttle_failure(throttle, "192.0.2.3", "Alice", now);
	auth_throttle_failure(throttle, "192.0.2.3", "bob", now);
	auth_throttle_failure(throttle, "192.0.2.4", "alice", now);
	test_assert_int(delay(throttle, "192.0.2.3", "alice", now),
	    4 * SECOND);
	auth_throttle_success(throttle, "192.0.2.3", "alice", now);
	/* alice's three typos are forgiven; bob's failure still counts
	 * for the IP but one failure costs no wait. */
	test_assert_int(delay(throttle, "192.0.2.3", "alice", now), 0);
	test_assert_int(delay(throttle, "192.0.2.3", "carol", now), 0);
	auth_throttle_failure(throttle, "192.0.2.3", "carol", now);
	test_assert_int(delay(throttle, "192.0.2.3", "carol", now),
	    1 * SECOND);
	/* The other IP's failure for alice stays. */
	auth_throttle_failure(throttle, "192.0.2.4", "alice", now);
	test_assert_int(delay(throttle, "192.0.2.4", "alice", now),
	    1 * SECOND);
	/* Nothing to clear is fine. */
	auth_throttle_success(throttle, "192.0.2.5", "dave", now);
	auth_throttle_success(throttle, "192.0.2.5", "", now);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_memory_bound(void)
{
	struct auth_throttle *throttle = throttle_new(100);
	char ip[32], user[AUTH_THROTTLE_USER_MAX + 100];
	int64_t now = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		auth_throttle_failure(throttle, ip, i % 3 ? "" : "x", now);
		test_assert(auth_throttle_entry_count(throttle) <= 100);
	}
	/* The newest entries survive, the oldest were evicted. */
	auth_throttle_failure(throttle, "10.0.3.231", "", now);
	test_assert_int(delay(throttle, "10.0.3.231", "", now), 1 * SECOND);
	test_assert_int(delay(throttle, "10.0.0.1", "", now), 0);
	/* Expired entries (windows passed, "x"'s ban over) go as calls
	 * pass. */
	now += 16 * MINUTE;
	for (i = 0; i < 100; i++)
		test_assert_int(delay(throttle, "192.0.2.1", "", now), 0);
	test_assert_int(auth_throttle_entry_count(throttle), 0);
	/* Over-long names are keyed on their prefix, not overflowed. */
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(ip, '1', sizeof(ip) - 1);
	ip[sizeof(ip) - 1] = '\0';
	for (i = 0; i < 3; i++)
		auth_throttle_failure(throttle, ip, user, now);
	test_assert_int(auth_throttle_entry_count(throttle), 3);
	test_assert_int(delay(throttle, ip, user, now), 2 * SECOND);
	auth_throttle_free(&throttle);
}

static void
test_auth_throttle_settings_table(void)
{
	const struct settings_section *sections[] = {
		&auth_throttle_settings_section,
	};
	const struct auth_throttle_settings *values;
	struct settings *settings;
	const char *error = NULL;

	settings = settings_new(sections, ARRAY_LENGTH(sections));
	values = settings_section_values(settings,
	    &auth_throttle_settings_section);
	test_assert_int(values->failure_delay_max, 15);
	test_assert_int(values->ban_failures_per_ip, 10);
	test_assert_int(values->ban_failures_per_user, 20);
	test_assert_int(values->ban_window, 600);
	test_assert_int(values->ban_time, 900);
	test_assert_int(values->max_entries, 0);
	test_assert_int(settings_set(settings, "auth.ban_time", "1h", "test",
	    &error), 0);
	test_assert_int(values->ban_time, 3600);
	test_assert_int(settings_set(settings, "auth.ban_failures_per_ip",
	    "0", "test", &error), 0);
	test_assert_int(settings_set(settings, "auth.ban_window", "0",
	    "test", &error), -1);
	test_assert_int(settings_set(settings, "auth.failure_delay_max",
	    "2h", "test", &error), -1);
	settings_free(&settings);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_auth_throttle_delays),
		TEST_CASE(test_auth_throttle_ip_ban),
		TEST_CASE(test_auth_throttle_user_ban),
		TEST_CASE(test_auth_throttle_window),
		TEST_CASE(test_auth_throttle_success),
		TEST_CASE(test_auth_throttle_memory_bound),
		TEST_CASE(test_auth_throttle_settings_table),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
