/* test_spool.c: spool files round-trip, recover and fail cleanly. */
#include "lib/alloc.h"
#include "lib/arena.h"
#include "gateway/spool.h"
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

static void
test_spool_round_trip(void)
{
	struct spool *spool = open_spool("roundtrip");
	struct spool_recipient recipients[] = {
		{ .address = "\"john doe\"@example.test",
		    .mailbox = "john@example.test" },
		{ .address = "j\xc3\xb6rg+tag@example.test",
		    .mailbox = "jorg@example.test" },
		{ "a+b=c@example.test", "", SPOOL_NOTIFY_FAILURE |
		    SPOOL_NOTIFY_DELAY, "rfc822;a+b=c@example.test" },
	};
	struct spool_envelope envelope = {
		.received = 1764057531, .hostname = "mx.example.test",
		.client_address = "192.0.2.7",
		.helo = "client.example", .mail_from = "",
		.ret = SPOOL_RET_HEADERS, .envid = "QQ 314159",
		.smtputf8 = true,
		.recipients = recipients, .recipient_count = 3,
	};
	struct spool_envelope back;
	struct iovec parts[2] = {
		{ (void *)"Received: x\r\n", 13 },
		{ (void *)"Subject: hi\r\n\r\nbody\r\n", 21 },
	};
	struct arena *arena = arena_new("test", 0);
	const unsigned char *message;
	const char *error;
	char id[SPOOL_ID_MAX];
	size_t length;

	test_require(spool != NULL);
	spool_new_id(id);
	envelope.id = id;
	test_require(spool_write(spool, &envelope, parts, 2, &error) == 0);
	test_require(spool_read(spool, id, 1 << 20, arena, &back, &message,
	    &length, &error) == 0);
	test_assert_string(back.id, id);
	test_assert_int(back.received, 1764057531);
	test_assert_string(back.hostname, "mx.example.test");
	test_assert_string(back.client_address, "192.0.2.7");
	test_assert_string(back.helo, "client.example");
	test_assert_string(back.mail_from, "");
	test_require(back.recipient_count == 3);
	test_assert_string(back.recipients[0].address, "\"john doe\"@example.test");
	test_assert_string(back.recipients[1].address, "j\xc3\xb6rg+tag@example.test");
	test_assert_string(back.recipients[1].mailbox, "jorg@example.test");
	test_assert_string(back.recipients[2].address, "a+b=c@example.test");
	test_assert_string(back.recipients[2].mailbox, "");
	/* DSN parameters (RFC 3461) survive, absent ones stay absent. */
	test_assert_int(back.ret, SPOOL_RET_HEADERS);
	test_assert_string(back.envid, "QQ 314159");
	test_assert_int(back.recipients[0].notify, 0);
	test_assert_string(back.recipients[0].orcpt, "");
	test_assert_int(back.recipients[2].notify,
	    SPOOL_NOTIFY_FAILURE | SPOOL_NOTIFY_DELAY);
	test_assert_string(back.recipients[2].orcpt,
	    "rfc822;a+b=c@example.test");
	test_assert(back.smtputf8);
	test_assert_int(length, 34);
	test_assert(memcmp(message, "Received: x\r\nSubject: hi\r\n\r\nbody\r\n",
	    34) == 0);
	test_assert_int(spool_remove(spool, id, &error), 0);
	test_assert_int(spool_read(spool, id, 1 << 20, arena, &back, &message,
	    &length, &error), -1);
	arena_free(&arena);
	spool_close(&spool);
}

static char recovered[4][SPOOL_ID_MAX];
static size_t recovered_count;

static void
collect(const char *id, void *context)
{
	(void)context;
	if (recovered_count < 4)
		snprintf(recovered[recovered_count], SPOOL_ID_MAX, "%s", id);
	recovered_count++;
}

static void
test_spool_recover_order_and_tmp_cleanup(void)
{
	struct spool *spool = open_spool("recover");
	struct spool_recipient recipient = { .address = "a@example.test",
		.mailbox = "a@example.test" };
	struct spool_envelope envelope = {
		.client_address = "192.0.2.1", .helo = "", .mail_from = "s@x.test",
		.hostname = "h",
		.recipients = &recipient, .recipient_count = 1,
	};
	struct iovec part = { (void *)"x\r\n", 3 };
	const char *error;
	char path[600];
	struct stat st;
	FILE *f;

	test_require(spool != NULL);
	envelope.id = "1700000002.M1P1Q2";
	test_require(spool_write(spool, &envelope, &part, 1, &error) == 0);
	envelope.id = "1700000001.M1P1Q1";
	test_require(spool_write(spool, &envelope, &part, 1, &error) == 0);
	snprintf(path, sizeof(path), "%s/recover/spool/tmp/partial",
	    test_temp_dir());
	f = fopen(path, "w");
	fputs("half a message", f);
	fclose(f);
	recovered_count = 0;
	test_require(spool_recover(spool, collect, NULL, &error) == 0);
	test_assert_int(recovered_count, 2);
	test_assert_string(recovered[0], "1700000001.M1P1Q1");
	test_assert_string(recovered[1], "1700000002.M1P1Q2");
	test_assert(stat(path, &st) < 0 && errno == ENOENT);
	test_assert_int(spool_move_to_failed(spool, "1700000001.M1P1Q1",
	    &error), 0);
	recovered_count = 0;
	test_require(spool_recover(spool, collect, NULL, &error) == 0);
	test_assert_int(recovered_count, 1);
	spool_close(&spool);
}

static void
test_spool_rejects_corrupt_files(void)
{
	static const char *const bodies[] = {
		"garbage\n",
		"SLUICE-SPOOL 1\nid x\nfrom <>\n",
		"SLUICE-SPOOL 1\nid x\nreceived 1\nclient 1.2.3.4 -\nfrom <>\n\nbody",
		"SLUICE-SPOOL 1\nid x\nreceived 1\nclient 1.2.3.4 -\nfrom a+ZZ\nrcpt a b\n\nbody",
		"SLUICE-SPOOL 1\nid x\nreceived 1\nbogus field\nrcpt a b\n\nbody",
		"SLUICE-SPOOL 1\nid x\nreceived 1\nhost h\nclient 1.2.3.4 -\n"
		    "from <>\nutf8 yes\nrcpt a b\n\nbody",
	};
	struct spool *spool = open_spool("corrupt");
	struct arena *arena = arena_new("test", 0);
	struct spool_envelope envelope;
	const unsigned char *message;
	const char *error;
	char path[600];
	size_t i, length;
	FILE *f;

	test_require(spool != NULL);
	for (i = 0; i < ARRAY_LENGTH(bodies); i++) {
		snprintf(path, sizeof(path), "%s/corrupt/spool/queue/bad%zu",
		    test_temp_dir(), i);
		f = fopen(path, "w");
		fputs(bodies[i], f);
		fclose(f);
		snprintf(path, sizeof(path), "bad%zu", i);
		error = NULL;
		test_assert_int(spool_read(spool, path, 1 << 20, arena, &envelope,
		    &message, &length, &error), -1);
		test_assert(error != NULL && strstr(error, path) != NULL);
	}
	arena_free(&arena);
	spool_close(&spool);
}

/* A file written before the utf8 line existed still reads, as a
 * transaction without SMTPUTF8. */
static void
test_spool_reads_files_without_utf8_line(void)
{
	static const char body[] = "SLUICE-SPOOL 1\nid old\nreceived 1\n"
	    "host h\nclient 1.2.3.4 -\nfrom a@b.test\nrcpt c@d.test -\n\n"
	    "body\r\n";
	struct spool *spool = open_spool("old");
	struct arena *arena = arena_new("test", 0);
	struct spool_envelope envelope;
	const unsigned char *message;
	const char *error;
	char path[600];
	size_t length;
	FILE *f;

	test_require(spool != NULL);
	snprintf(path, sizeof(path), "%s/old/spool/queue/old", test_temp_dir());
	f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	test_require(spool_read(spool, "old", 1 << 20, arena, &envelope,
	    &message, &length, &error) == 0);
	test_assert(!envelope.smtputf8);
	test_assert_string(envelope.mail_from, "a@b.test");
	test_assert_int(length, 6);
	arena_free(&arena);
	spool_close(&spool);
}

static void
test_spool_envelope_only_list_and_ids(void)
{
	struct spool *spool = open_spool("envelope");
	struct spool_recipient recipient = { .address = "a@example.test",
		.mailbox = "", .notify = SPOOL_NOTIFY_NEVER, .orcpt = "" };
	struct spool_envelope envelope = {
		.id = "1700000003.M1P1Q3", .received = 1700000003,
		.client_address = "192.0.2.1", .helo = "h",
		.mail_from = "s@x.test", .hostname = "mx", .recipients = &recipient, .recipient_count = 1,
	};
	static char body[100000];
	struct iovec part = { body, sizeof(body) };
	struct arena *arena = arena_new("test", 0);
	struct spool_envelope back;
	const char *error;
	uint64_t size;

	test_require(spool != NULL);
	memset(body, 'x', sizeof(body));
	test_require(spool_write(spool, &envelope, &part, 1, &error) == 0);
	test_require(spool_read_envelope(spool, envelope.id, 1 << 20, arena,
	    &back, &size, &error) == 0);
	test_assert_string(back.mail_from, "s@x.test");
	test_assert_int(back.recipient_count, 1);
	test_assert_int(back.recipients[0].notify, SPOOL_NOTIFY_NEVER);
	test_assert(size > sizeof(body));
	/* The envelope alone must fit max_size; the message need not. */
	test_assert_int(spool_read_envelope(spool, envelope.id, 16, arena,
	    &back, &size, &error), -1);
	test_assert_int(spool_read_envelope(spool, "nosuch", 1 << 20, arena,
	    &back, &size, &error), -1);
	test_assert_int(errno, ENOENT);

	/* Listing leaves tmp/ alone (a live daemon may be writing). */
	{
		char path[600];
		struct stat st;
		FILE *f;
		snprintf(path, sizeof(path), "%s/envelope/spool/tmp/busy",
		    test_temp_dir());
		f = fopen(path, "w");
		fclose(f);
		recovered_count = 0;
		test_require(spool_list(spool, collect, NULL, &error) == 0);
		test_assert_int(recovered_count, 1);
		test_assert_string(recovered[0], "1700000003.M1P1Q3");
		test_assert(stat(path, &st) == 0);
	}
	test_assert_string(spool_state_dir(spool) + strlen(test_temp_dir()),
	    "/envelope/spool/state");
	test_assert_int(spool_remove_durable(spool, envelope.id, &error), 0);
	test_assert_int(spool_remove_durable(spool, envelope.id, &error), 0);

	test_assert(spool_id_is_valid("1700000003.M1P1Q3"));
	test_assert(spool_id_is_valid("1700000003.M1P1Q3-D2"));
	test_assert(!spool_id_is_valid(""));
	test_assert(!spool_id_is_valid(".hidden"));
	test_assert(!spool_id_is_valid("a/b"));
	test_assert(!spool_id_is_valid("../x"));
	test_assert(!spool_id_is_valid("a b"));
	test_assert(!spool_id_is_valid("0123456789012345678901234567890123"
	    "456789012345678901234567890123"));
	arena_free(&arena);
	spool_close(&spool);
}

static void
test_spool_lock_excludes_and_sees_removal(void)
{
	struct spool *spool = open_spool("lock");
	struct spool_recipient recipient = { .address = "a@example.test",
		.mailbox = "a@example.test" };
	struct spool_envelope envelope = {
		.id = "1700000004.M1P1Q4", .client_address = "192.0.2.1",
		.helo = "", .mail_from = "", .hostname = "h",
		.recipients = &recipient, .recipient_count = 1,
	};
	struct iovec part = { (void *)"x\r\n", 3 };
	const char *error;
	int first = -1, second = -1;

	test_require(spool != NULL);
	test_require(spool_write(spool, &envelope, &part, 1, &error) == 0);
	test_require(spool_lock(spool, envelope.id, false, &first,
	    &error) == 0);
	/* A second lock (another open file: the CLI's) must wait. */
	test_assert_int(spool_lock(spool, envelope.id, false, &second,
	    &error), -1);
	test_assert_int(errno, EWOULDBLOCK);
	spool_unlock(&first);
	test_assert_int(first, -1);
	test_require(spool_lock(spool, envelope.id, false, &second,
	    &error) == 0);
	/* Removed while locked: the next locker learns it is gone. */
	test_require(spool_remove(spool, envelope.id, &error) == 0);
	spool_unlock(&second);
	test_assert_int(spool_lock(spool, envelope.id, true, &first, &error),
	    -1);
	test_assert_int(errno, ENOENT);
	spool_unlock(&first);
	spool_close(&spool);
}

/* Writes a one-recipient message id with body into spool. */
static int
write_message(struct spool *spool, const char *id, const char *body)
{
	struct spool_recipient recipient = { .address = "a@example.test",
		.mailbox = "a@example.test" };
	struct spool_envelope envelope = {
		.id = id, .client_address = "192.0.2.1", .helo = "",
		.mail_from = "", .hostname = "h",
		.recipients = &recipient, .recipient_count = 1,
	};
	struct iovec part = { (void *)body, strlen(body) };
	const char *error;

	if (spool_write(spool, &envelope, &part, 1, &error) < 0) {
		test_fail(__FILE__, __LINE__, "spool_write: %s", error);
		return -1;
	}
	return 0;
}

static ino_t
queue_inode(const char *spool_name, const char *id)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/spool/queue/%s", test_temp_dir(),
	    spool_name, id);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* A delivered message's file is rewritten for the next one: the same
 * inode, exactly the new contents (the longer old tail cut off), and
 * the old name is gone for readers and lockers. */
static void
test_spool_reuses_removed_files(void)
{
	static const char long_body[] = "a long first message body, "
	    "longer than the second\r\n";
	struct spool *spool = open_spool("reuse");
	struct arena *arena = arena_new("test", 0);
	struct spool_envelope back;
	const unsigned char *message;
	const char *error;
	size_t length;
	ino_t first;
	int lock = -1;

	test_require(spool != NULL);
	test_require(write_message(spool, "1700000010.M1P1Q1", long_body) == 0);
	first = queue_inode("reuse", "1700000010.M1P1Q1");
	test_require(first != 0);
	test_require(spool_lock(spool, "1700000010.M1P1Q1", true, &lock,
	    &error) == 0);
	spool_lock_release(lock);
	test_require(spool_remove(spool, "1700000010.M1P1Q1", &error) == 0);
	test_assert(queue_inode("reuse", "1700000010.M1P1Q1") == 0);
	/* A lock taken again after the removal sees the message gone. */
	test_assert_int(spool_lock_again(spool, "1700000010.M1P1Q1", lock,
	    &error), -1);
	test_assert_int(errno, ENOENT);
	spool_unlock(&lock);

	test_require(write_message(spool, "1700000011.M1P1Q2", "short\r\n")
	    == 0);
	test_assert(queue_inode("reuse", "1700000011.M1P1Q2") == first);
	test_require(spool_read(spool, "1700000011.M1P1Q2", 1 << 20, arena,
	    &back, &message, &length, &error) == 0);
	test_assert_int(length, 7);
	test_assert(memcmp(message, "short\r\n", 7) == 0);
	test_assert_int(spool_read(spool, "1700000010.M1P1Q1", 1 << 20, arena,
	    &back, &message, &length, &error), -1);
	test_assert_int(errno, ENOENT);
	arena_free(&arena);
	spool_close(&spool);
}

/* A crash can bring back a removed name whose file was since rewritten
 * for another message: readers see no message, the lock holder sees a
 * stale file (ESTALE) to remove. */
static void
test_spool_stale_name_after_reuse(void)
{
	struct spool *spool = open_spool("stale");
	struct arena *arena = arena_new("test", 0);
	struct spool_envelope back;
	const unsigned char *message;
	const char *error;
	char old_path[600], new_path[600];
	size_t length;
	uint64_t size;
	int lock = -1;

	test_require(spool != NULL);
	test_require(write_message(spool, "1700000020.M1P1Q1", "one\r\n") == 0);
	test_require(spool_remove(spool, "1700000020.M1P1Q1", &error) == 0);
	test_require(write_message(spool, "1700000021.M1P1Q2", "two\r\n") == 0);
	snprintf(old_path, sizeof(old_path), "%s/stale/spool/queue/%s",
	    test_temp_dir(), "1700000020.M1P1Q1");
	snprintf(new_path, sizeof(new_path), "%s/stale/spool/queue/%s",
	    test_temp_dir(), "1700000021.M1P1Q2");
	test_require(link(new_path, old_path) == 0);

	test_assert_int(spool_read(spool, "1700000020.M1P1Q1", 1 << 20, arena,
	    &back, &message, &length, &error), -1);
	test_assert_int(errno, ENOENT);
	test_assert_int(spool_read_envelope(spool, "1700000020.M1P1Q1", 1 << 20,
	    arena, &back, &size, &error), -1);
	test_assert_int(errno, ENOENT);
	test_require(spool_lock(spool, "1700000020.M1P1Q1", true, &lock,
	    &error) == 0);
	test_assert_int(spool_read_locked(spool, "1700000020.M1P1Q1", lock,
	    1 << 20, arena, &back, &message, &length, &error), -1);
	test_assert_int(errno, ESTALE);
	spool_unlock(&lock);
	/* The message the file now holds reads through its lock. */
	test_require(spool_lock(spool, "1700000021.M1P1Q2", true, &lock,
	    &error) == 0);
	test_assert_int(spool_read_locked(spool, "1700000021.M1P1Q2", lock,
	    1 << 20, arena, &back, &message, &length, &error), 0);
	test_assert_int(length, 5);
	spool_unlock(&lock);
	arena_free(&arena);
	spool_close(&spool);
}

/* free/ outlives a restart: recovery offers its files for reuse, and
 * drops one that still has another name. */
static void
test_spool_recover_loads_free_files(void)
{
	struct spool *spool = open_spool("freeload");
	const char *error;
	char free_path[600], other[600];
	ino_t first;

	test_require(spool != NULL);
	test_require(write_message(spool, "1700000030.M1P1Q1", "one\r\n") == 0);
	first = queue_inode("freeload", "1700000030.M1P1Q1");
	test_require(write_message(spool, "1700000031.M1P1Q2", "two\r\n") == 0);
	test_require(spool_remove(spool, "1700000030.M1P1Q1", &error) == 0);
	test_require(spool_remove(spool, "1700000031.M1P1Q2", &error) == 0);
	/* The second free file keeps another name: not reusable. */
	snprintf(free_path, sizeof(free_path), "%s/freeload/spool/free/%s",
	    test_temp_dir(), "1700000031.M1P1Q2");
	snprintf(other, sizeof(other), "%s/freeload/elsewhere",
	    test_temp_dir());
	test_require(link(free_path, other) == 0);
	spool_close(&spool);

	spool = open_spool("freeload");
	test_require(spool != NULL);
	test_require(spool_recover(spool, collect, NULL, &error) == 0);
	test_assert(access(free_path, F_OK) < 0 && errno == ENOENT);
	test_require(write_message(spool, "1700000032.M1P1Q3", "three\r\n")
	    == 0);
	test_assert(queue_inode("freeload", "1700000032.M1P1Q3") == first);
	spool_close(&spool);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_spool_round_trip),
		TEST_CASE(test_spool_recover_order_and_tmp_cleanup),
		TEST_CASE(test_spool_rejects_corrupt_files),
		TEST_CASE(test_spool_reads_files_without_utf8_line),
		TEST_CASE(test_spool_envelope_only_list_and_ids),
		TEST_CASE(test_spool_lock_excludes_and_sees_removal),
		TEST_CASE(test_spool_reuses_removed_files),
		TEST_CASE(test_spool_stale_name_after_reuse),
		TEST_CASE(test_spool_recover_loads_free_files),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
