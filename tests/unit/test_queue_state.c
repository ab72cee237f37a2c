/* test_queue_state.c: the queue's state file round-trips and rejects
 * damage, and the scheduling rules decide retries, expiry and notices. */
#include "lib/alloc.h"
#include "lib/arena.h"
#include "gateway/queue_state.h"
#include "tests/unit/harness.h"

#include <sys/stat.h>
#include <unistd.h>

static struct spool *
open_spool(const char *name)
{
	char dir[512];
	const char *error;
	struct spool *spool;

	snprintf(dir, sizeof(dir), "%s/%s", test_temp_dir(), name);
	if (spool_open(dir, &spool, &error) < 0) {
		test_fail(__FILE__, __LINE__, "spool_open: %s", error);
		return NULL;
	}
	return spool;
}

/* Whether TEMP/name/spool/sub/file exists. */
static bool
file_exists(const char *name, const char *sub, const char *file)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/spool/%s/%s", test_temp_dir(),
	    name, sub, file);
	return stat(path, &st) == 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
test_queue_state_round_trip(void)
{
	struct spool *spool = open_spool("roundtrip");
	struct arena *arena = arena_new("test", 0);
	struct queue_state state, back;
	const char *error;

	test_require(spool != NULL);
	queue_state_init(&state, 3, arena);
	state.attempts = 4;
	state.first_attempt = 1764057000;
	state.last_attempt = 1764058000;
	state.next_attempt = 1764059000;
	state.held = true;
	state.delay_warned = true;
	state.dsn_count = 2;
	state.recipients[0].status = QUEUE_STATE_DELIVERED;
	state.recipients[0].last_attempt = 1764057000;
	state.recipients[0].reply = (struct queue_state_reply){ 250, "2.0.0",
		"delivered to a@example.test", "", false };
	state.recipients[1].status = QUEUE_STATE_PENDING;
	state.recipients[1].last_attempt = 1764058000;
	state.recipients[1].reply = (struct queue_state_reply){ 451, "4.4.1",
		"connect to mx.example.test: Connection refused (+ \xc3\xa9)",
		"mx.example.test", true };
	/* Recipient 2 was never tried: empty strings survive as "". */
	test_require(queue_state_write(spool, "1764057000.M1P1Q1", &state,
	    &error) == 0);
	test_require(queue_state_read(spool, "1764057000.M1P1Q1", 3, arena,
	    &back, &error) == 0);
	test_assert_int(back.attempts, 4);
	test_assert_int(back.first_attempt, 1764057000);
	test_assert_int(back.last_attempt, 1764058000);
	test_assert_int(back.next_attempt, 1764059000);
	test_assert(back.held);
	test_assert(back.delay_warned);
	test_assert_int(back.dsn_count, 2);
	test_assert_int(back.recipients[0].status, QUEUE_STATE_DELIVERED);
	test_assert_string(back.recipients[0].reply.text,
	    "delivered to a@example.test");
	test_assert(!back.recipients[0].reply.smtp);
	test_assert_int(back.recipients[1].status, QUEUE_STATE_PENDING);
	test_assert_int(back.recipients[1].reply.code, 451);
	test_assert_string(back.recipients[1].reply.status, "4.4.1");
	test_assert_string(back.recipients[1].reply.text,
	    "connect to mx.example.test: Connection refused (+ \xc3\xa9)");
	test_assert_string(back.recipients[1].reply.remote_mta,
	    "mx.example.test");
	test_assert(back.recipients[1].reply.smtp);
	test_assert_int(back.recipients[2].reply.code, 0);
	test_assert_string(back.recipients[2].reply.status, "");
	test_assert_string(back.recipients[2].reply.text, "");
	test_assert_int(queue_state_pending(&back), 2);

	/* The summary has the message fields only. */
	test_require(queue_state_read_summary(spool, "1764057000.M1P1Q1",
	    arena, &back, &error) == 0);
	test_assert(back.held);
	test_assert_int(back.next_attempt, 1764059000);
	test_assert_int(back.recipient_count, 0);

	/* No temporary file is left behind. */
	test_assert(!file_exists("roundtrip", "state",
	    "1764057000.M1P1Q1.tmp"));
	test_assert_int(queue_state_remove(spool, "1764057000.M1P1Q1",
	    &error), 0);
	test_assert_int(queue_state_remove(spool, "1764057000.M1P1Q1",
	    &error), 0);
	arena_free(&arena);
	spool_close(&spool);
}

static void
test_queue_state_missing_file_is_fresh(void)
{
	struct spool *spool = open_spool("fresh");
	struct arena *arena = arena_new("test", 0);
	struct queue_state state;
	const char *error;

	test_require(spool != NULL);
	test_require(queue_state_read(spool, "nothing", 2, arena, &state,
	    &error) == 0);
	test_assert_int(state.attempts, 0);
	test_assert_int(state.next_attempt, 0);
	test_assert(!state.held);
	test_assert_int(state.recipient_count, 2);
	test_assert_int(queue_state_pending(&state), 2);
	arena_free(&arena);
	spool_close(&spool);
}

static void
test_queue_state_rejects_damage(void)
{
	static const char *const bodies[] = {
		"garbage\n",
		"SLUICE-QUEUE-STATE 1\nattempts x\n",
		"SLUICE-QUEUE-STATE 1\nattempts 1\nheld 2\n",
		"SLUICE-QUEUE-STATE 1\nbogus 1\n",
		"SLUICE-QUEUE-STATE 1\nattempts 1", /* no line end */
		/* Wrong recipient count, index, status and xtext. */
		"SLUICE-QUEUE-STATE 1\nrcpt 0 pending 0 0 - local - -\n",
		"SLUICE-QUEUE-STATE 1\nrcpt 1 pending 0 0 - local - -\n"
		"rcpt 0 pending 0 0 - local - -\n",
		"SLUICE-QUEUE-STATE 1\nrcpt 0 waiting 0 0 - local - -\n"
		"rcpt 1 pending 0 0 - local - -\n",
		"SLUICE-QUEUE-STATE 1\nrcpt 0 pending 0 0 - local - a+ZZ\n"
		"rcpt 1 pending 0 0 - local - -\n",
		"SLUICE-QUEUE-STATE 1\nrcpt 0 pending 0 0 - other - -\n"
		"rcpt 1 pending 0 0 - local - -\n",
		"SLUICE-QUEUE-STATE 1\nrcpt 0 pending 0 0 - local -\n"
		"rcpt 1 pending 0 0 - local - -\n",
	};
	struct spool *spool = open_spool("damage");
	struct arena *arena = arena_new("test", 0);
	struct queue_state state;
	const char *error;
	char path[600];
	size_t i;

	test_require(spool != NULL);
	snprintf(path, sizeof(path), "%s/damage/spool/state/ok",
	    test_temp_dir());
	write_file(path, "SLUICE-QUEUE-STATE 1\n"
	    "rcpt 0 pending 0 0 - local - -\n"
	    "rcpt 1 failed 5 550 5.1.1 smtp mx no+20such+20user\n");
	test_require(queue_state_read(spool, "ok", 2, arena, &state,
	    &error) == 0);
	test_assert_string(state.recipients[1].reply.text, "no such user");
	test_assert_int(state.recipients[1].status, QUEUE_STATE_FAILED);
	for (i = 0; i < ARRAY_LENGTH(bodies); i++) {
		write_file(path, bodies[i]);
		error = NULL;
		errno = 0;
		test_assert_int(queue_state_read(spool, "ok", 2, arena, &state,
		    &error), -1);
		test_assert_int(errno, EBADMSG);
		test_assert(error != NULL && strstr(error, "ok") != NULL);
	}
	arena_free(&arena);
	spool_close(&spool);
}

static bool
keep_only_a(const char *id, void *context)
{
	(void)context;
	return strcmp(id, "a") == 0;
}

static void
test_queue_state_move_and_cleanup(void)
{
	struct spool *spool = open_spool("cleanup");
	struct arena *arena = arena_new("test", 0);
	struct queue_state state;
	const char *error, *base;
	char path[600];

	test_require(spool != NULL);
	base = test_temp_dir();
	queue_state_init(&state, 1, arena);
	test_require(queue_state_write(spool, "a", &state, &error) == 0);
	test_require(queue_state_write(spool, "b", &state, &error) == 0);
	test_require(queue_state_write(spool, "c", &state, &error) == 0);
	snprintf(path, sizeof(path), "%s/cleanup/spool/state/a.tmp", base);
	write_file(path, "half");
	test_require(queue_state_move_to_failed(spool, "c", &state,
	    &error) == 0);
	test_assert(file_exists("cleanup", "failed", "c.state"));
	test_assert(!file_exists("cleanup", "state", "c"));
	test_require(queue_state_cleanup(spool, keep_only_a, NULL,
	    &error) == 0);
	test_assert(file_exists("cleanup", "state", "a"));
	test_assert(!file_exists("cleanup", "state", "b"));
	test_assert(!file_exists("cleanup", "state", "a.tmp"));
	/* A stale tmp file from a crashed write does not block the next. */
	write_file(path, "half");
	test_assert_int(queue_state_write(spool, "a", &state, &error), 0);
	arena_free(&arena);
	spool_close(&spool);
}

static const struct queue_state_policy policy = {
	.retry_min = 300, .retry_max = 3600, .lifetime = 5 * 86400,
	.delay_warning = 4 * 3600,
};

static void
test_queue_state_retry_back_off(void)
{
	static const int64_t expected[] = { 300, 300, 600, 1200, 2400, 3600,
		3600, 3600 };
	struct queue_state_policy odd = { .retry_min = 7, .retry_max = 20 };
	size_t i;

	for (i = 1; i < ARRAY_LENGTH(expected); i++)
		test_assert_int(queue_state_retry_delay(&policy, (unsigned)i),
		    expected[i]);
	test_assert_int(queue_state_retry_delay(&policy, 1000000), 3600);
	test_assert_int(queue_state_retry_delay(&odd, 1), 7);
	test_assert_int(queue_state_retry_delay(&odd, 2), 14);
	test_assert_int(queue_state_retry_delay(&odd, 3), 20);
}

static void
test_queue_state_schedule(void)
{
	int64_t when = 0;

	test_assert_int(queue_state_schedule(true, 0, 1000, &when),
	    QUEUE_STATE_ACTION_HOLD);
	test_assert_int(queue_state_schedule(true, 5000, 1000, &when),
	    QUEUE_STATE_ACTION_HOLD);
	test_assert_int(queue_state_schedule(false, 0, 1000, &when),
	    QUEUE_STATE_ACTION_DELIVER);
	test_assert_int(queue_state_schedule(false, 1000, 1000, &when),
	    QUEUE_STATE_ACTION_DELIVER);
	test_assert_int(queue_state_schedule(false, 1001, 1000, &when),
	    QUEUE_STATE_ACTION_WAIT);
	test_assert_int(when, 1001);
}

/* An envelope of count recipients with the given NOTIFY bits. */
static void
make_envelope(struct spool_envelope *envelope, struct spool_recipient *r,
    const unsigned *notify, size_t count, const char *sender)
{
	static const char *const addresses[] = { "a@example.test",
		"b@example.test", "c@example.test", "d@example.test" };
	size_t i;

	memset(envelope, 0, sizeof(*envelope));
	envelope->id = "1764057000.M1P1Q1";
	envelope->received = 1000000;
	envelope->mail_from = sender;
	envelope->recipients = r;
	envelope->recipient_count = count;
	for (i = 0; i < count; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].address = addresses[i];
		r[i].mailbox = "";
		r[i].orcpt = "";
		r[i].notify = notify[i];
	}
}

static struct queue_state_attempt
result(enum queue_state_result kind, unsigned code, const char *status)
{
	struct queue_state_attempt a = { kind, { code, status, "text",
		"mx.example.test", true } };

	return a;
}

static void
test_queue_state_record_outcomes(void)
{
	static const unsigned notify[4] = { 0, SPOOL_NOTIFY_SUCCESS,
		SPOOL_NOTIFY_NEVER, SPOOL_NOTIFY_SUCCESS };
	struct arena *arena = arena_new("test", 0);
	struct spool_recipient r[4];
	struct spool_envelope envelope;
	struct queue_state state;
	struct queue_state_attempt attempts[4];
	enum queue_state_notice notices[4];
	bool pending;

	make_envelope(&envelope, r, notify, 4, "s@remote.test");
	queue_state_init(&state, 4, arena);
	attempts[0] = result(QUEUE_STATE_RESULT_FAILED, 550, "5.1.1");
	attempts[1] = result(QUEUE_STATE_RESULT_DELIVERED, 250, "2.0.0");
	attempts[2] = result(QUEUE_STATE_RESULT_FAILED, 550, "5.1.1");
	attempts[3] = result(QUEUE_STATE_RESULT_PASSED, 250, "2.0.0");
	pending = queue_state_record(&state, &envelope, attempts, &policy,
	    1000010, arena, notices);
	test_assert(!pending);
	test_assert_int(state.recipients[0].status, QUEUE_STATE_FAILED);
	test_assert_int(state.recipients[1].status, QUEUE_STATE_DELIVERED);
	test_assert_int(state.recipients[2].status, QUEUE_STATE_FAILED);
	test_assert_int(state.recipients[3].status, QUEUE_STATE_RELAYED);
	/* Default NOTIFY: failure; SUCCESS asked: success; NEVER: none;
	 * the next hop took the DSN duty: none from us. */
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_FAILURE);
	test_assert_int(notices[1], QUEUE_STATE_NOTICE_SUCCESS);
	test_assert_int(notices[2], QUEUE_STATE_NOTICE_NONE);
	test_assert_int(notices[3], QUEUE_STATE_NOTICE_NONE);
	test_assert_int(state.attempts, 1);
	test_assert_int(state.first_attempt, 1000010);
	test_assert_int(state.recipients[0].last_attempt, 1000010);
	test_assert_string(state.recipients[0].reply.remote_mta,
	    "mx.example.test");
	/* NOTIFY=NEVER's failure is unreported: the message is kept. */
	test_assert(queue_state_unreported_failure(&state, &envelope));
	arena_free(&arena);
}

static void
test_queue_state_record_retries_and_expiry(void)
{
	static const unsigned notify[2] = { 0, SPOOL_NOTIFY_FAILURE };
	struct arena *arena = arena_new("test", 0);
	struct spool_recipient r[2];
	struct spool_envelope envelope;
	struct queue_state state;
	struct queue_state_attempt attempts[2];
	enum queue_state_notice notices[2];
	int64_t now = 1000000;
	bool pending;

	make_envelope(&envelope, r, notify, 2, "s@remote.test");
	queue_state_init(&state, 2, arena);
	attempts[0] = result(QUEUE_STATE_RESULT_DEFERRED, 451, "4.4.1");
	attempts[1] = result(QUEUE_STATE_RESULT_DEFERRED, 451, "4.4.1");
	pending = queue_state_record(&state, &envelope, attempts, &policy,
	    now, arena, notices);
	test_assert(pending);
	test_assert_int(state.next_attempt, now + 300);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_NONE);
	now += 300;
	queue_state_record(&state, &envelope, attempts, &policy, now, arena,
	    notices);
	test_assert_int(state.attempts, 2);
	test_assert_int(state.next_attempt, now + 600);
	test_assert_int(state.first_attempt, 1000000);

	/* Four hours in: one delay notice, only where NOTIFY allows. */
	now = envelope.received + 4 * 3600;
	queue_state_record(&state, &envelope, attempts, &policy, now, arena,
	    notices);
	test_assert(state.delay_warned);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_DELAY);
	test_assert_int(notices[1], QUEUE_STATE_NOTICE_NONE);
	now += 3600;
	queue_state_record(&state, &envelope, attempts, &policy, now, arena,
	    notices);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_NONE);

	/* Past the lifetime a deferral is a bounce. */
	now = envelope.received + policy.lifetime;
	pending = queue_state_record(&state, &envelope, attempts, &policy,
	    now, arena, notices);
	test_assert(!pending);
	test_assert_int(state.recipients[0].status, QUEUE_STATE_EXPIRED);
	test_assert_int(state.recipients[1].status, QUEUE_STATE_EXPIRED);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_FAILURE);
	test_assert_int(notices[1], QUEUE_STATE_NOTICE_FAILURE);
	test_assert_string(state.recipients[0].reply.status, "4.4.1");
	test_assert(!queue_state_unreported_failure(&state, &envelope));
	arena_free(&arena);
}

static void
test_queue_state_record_null_sender_and_skips(void)
{
	static const unsigned notify[2] = { SPOOL_NOTIFY_SUCCESS |
		SPOOL_NOTIFY_FAILURE, 0 };
	struct queue_state_policy no_warning = policy;
	struct arena *arena = arena_new("test", 0);
	struct spool_recipient r[2];
	struct spool_envelope envelope;
	struct queue_state state;
	struct queue_state_attempt attempts[2];
	enum queue_state_notice notices[2];
	bool pending;

	/* Mail from <> never gets a notice, whatever NOTIFY says. */
	make_envelope(&envelope, r, notify, 2, "");
	queue_state_init(&state, 2, arena);
	attempts[0] = result(QUEUE_STATE_RESULT_DELIVERED, 250, "2.0.0");
	attempts[1] = result(QUEUE_STATE_RESULT_FAILED, 550, "5.1.1");
	pending = queue_state_record(&state, &envelope, attempts, &policy,
	    1000001, arena, notices);
	test_assert(!pending);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_NONE);
	test_assert_int(notices[1], QUEUE_STATE_NOTICE_NONE);
	test_assert(queue_state_unreported_failure(&state, &envelope));

	/* Recipients skipped for a busy destination: no attempt counted,
	 * nothing recorded, still pending; no delay notice when off. */
	make_envelope(&envelope, r, notify, 2, "s@remote.test");
	queue_state_init(&state, 2, arena);
	attempts[0] = result(QUEUE_STATE_RESULT_SKIPPED, 0, "");
	attempts[1] = result(QUEUE_STATE_RESULT_SKIPPED, 0, "");
	no_warning.delay_warning = 0;
	pending = queue_state_record(&state, &envelope, attempts, &no_warning,
	    envelope.received + 86400, arena, notices);
	test_assert(pending);
	test_assert_int(state.attempts, 0);
	test_assert_int(state.next_attempt, 0);
	test_assert_int(state.recipients[0].last_attempt, 0);
	test_assert(!state.delay_warned);

	/* Done recipients are not touched by later results. */
	state.recipients[0].status = QUEUE_STATE_DELIVERED;
	attempts[0] = result(QUEUE_STATE_RESULT_FAILED, 550, "5.1.1");
	attempts[1] = result(QUEUE_STATE_RESULT_DELIVERED, 250, "2.0.0");
	pending = queue_state_record(&state, &envelope, attempts, &policy,
	    envelope.received + 10, arena, notices);
	test_assert(!pending);
	test_assert_int(state.recipients[0].status, QUEUE_STATE_DELIVERED);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_NONE);
	arena_free(&arena);
}

static void
test_queue_state_lifetime_zero_bounces_first_deferral(void)
{
	static const unsigned notify[1] = { 0 };
	struct queue_state_policy once = policy;
	struct arena *arena = arena_new("test", 0);
	struct spool_recipient r[1];
	struct spool_envelope envelope;
	struct queue_state state;
	struct queue_state_attempt attempts[1];
	enum queue_state_notice notices[1];

	once.lifetime = 0;
	make_envelope(&envelope, r, notify, 1, "s@remote.test");
	queue_state_init(&state, 1, arena);
	attempts[0] = result(QUEUE_STATE_RESULT_DEFERRED, 451, "4.3.0");
	test_assert(!queue_state_record(&state, &envelope, attempts, &once,
	    envelope.received, arena, notices));
	test_assert_int(state.recipients[0].status, QUEUE_STATE_EXPIRED);
	test_assert_int(notices[0], QUEUE_STATE_NOTICE_FAILURE);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_queue_state_round_trip),
		TEST_CASE(test_queue_state_missing_file_is_fresh),
		TEST_CASE(test_queue_state_rejects_damage),
		TEST_CASE(test_queue_state_move_and_cleanup),
		TEST_CASE(test_queue_state_retry_back_off),
		TEST_CASE(test_queue_state_schedule),
		TEST_CASE(test_queue_state_record_outcomes),
		TEST_CASE(test_queue_state_record_retries_and_expiry),
		TEST_CASE(test_queue_state_record_null_sender_and_skips),
		TEST_CASE(
		    test_queue_state_lifetime_zero_bounces_first_deferral),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
