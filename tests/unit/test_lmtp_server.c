/* test_lmtp_server.c: unit tests for mailstore/lmtp_server: real
 * sessions over socketpairs on a real loop and worker pool, each
 * conversation written in one go (so every case also tests pipelining),
 * checking the reply codes in order and the delivered Maildir files. */
#include "mailstore/lmtp_server.h"
#include "mailstore/user_accounts.h"
#include "lib/buffer.h"
#include "lib/connection.h"
#include "lib/durable_file.h"
#include "tests/unit/harness.h"
#include "tests/unit/loop_guard.h"

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#define GUARD_MSEC 4000

static char database_path[512];

/* One server with its loop, workers and a fresh mail root. */
struct fixture {
	struct loop *loop;
	struct worker_pool *workers;
	struct lmtp_server *server;
	char mail_root[512];
	unsigned closed;       /* session_closed calls */
	unsigned quota_calls;
};

/* The client end of a conversation. */
struct client {
	struct loop *loop;
	struct connection *connection;
	struct buffer received;
	size_t replies;        /* complete replies seen */
	size_t expected;
	bool ended;
};

/* bob has room for 100 bytes, carol's quota lookup fails, others fit. */
static int
quota_check(void *context, const char *mailbox, uint64_t size,
    const char **error_r)
{
	struct fixture *fixture = context;

	__atomic_add_fetch(&fixture->quota_calls, 1, __ATOMIC_RELAXED);
	if (strcmp(mailbox, "carol@example.test") == 0) {
		*error_r = "quota database unavailable";
		return -1;
	}
	if (strcmp(mailbox, "bob@example.test") == 0)
		return size <= 100 ? 1 : 0;
	return 1;
}

static void
session_closed(void *tag, void *context)
{
	struct fixture *fixture = context;

	test_assert(tag == fixture);
	fixture->closed++;
}

static void
prepare_database(void)
{
	static const char *const users[] = { "alice@example.test",
		"bob@example.test", "carol@example.test" };
	struct user_accounts *accounts = NULL;
	const char *error = NULL;
	size_t i;

	if (database_path[0] != '\0')
		return;
	snprintf(database_path, sizeof(database_path), "%s/sluice.db",
	    test_temp_dir());
	if (user_accounts_open(database_path, &accounts, &error) < 0 ||
	    user_accounts_domain_add(accounts, "example.test", &error) < 0) {
		test_fail(__FILE__, __LINE__, "setup: %s", error);
		return;
	}
	for (i = 0; i < ARRAY_LENGTH(users); i++)
		if (user_accounts_user_add(accounts, users[i], "password-123",
		    &error) < 0)
			test_fail(__FILE__, __LINE__, "setup: %s", error);
	user_accounts_close(&accounts);
}

static bool
fixture_init(struct fixture *fixture, const struct lmtp_server_limits *limits,
    bool quota, const char *networks)
{
	static unsigned counter;
	struct lmtp_server_settings settings = { 0 };
	const char *error = NULL;

	memset(fixture, 0, sizeof(*fixture));
	prepare_database();
	snprintf(fixture->mail_root, sizeof(fixture->mail_root), "%s/mail%u",
	    test_temp_dir(), ++counter);
	fixture->loop = loop_new();
	fixture->workers = worker_pool_new(fixture->loop, 2);
	settings.loop = fixture->loop;
	settings.io_workers = fixture->workers;
	settings.mail_root = fixture->mail_root;
	settings.database_path = database_path;
	settings.hostname = "mx.example.test";
	settings.networks = networks;
	if (limits != NULL)
		settings.limits = *limits;
	if (quota) {
		settings.quota_check = quota_check;
		settings.quota_context = fixture;
	}
	settings.session_closed = session_closed;
	settings.context = fixture;
	if (lmtp_server_new(&settings, &fixture->server, &error) < 0) {
		test_fail(__FILE__, __LINE__, "lmtp_server_new: %s", error);
		return false;
	}
	return true;
}

static void
fixture_deinit(struct fixture *fixture)
{
	worker_pool_free(&fixture->workers);
	lmtp_server_free(&fixture->server);
	loop_free(&fixture->loop);
}

/* Counts the complete replies in received (a final line is "NNN " or
 * "NNN" followed by CRLF). */
static size_t
count_replies(const struct buffer *received)
{
	const char *text = buffer_string(received), *line = text, *end;
	size_t count = 0;

	while ((end = strstr(line, "\r\n")) != NULL) {
		if (end - line >= 3 && (end - line == 3 || line[3] == ' '))
			count++;
		line = end + 2;
	}
	return count;
}

static void
client_on_input(struct connection *connection, void *context)
{
	struct client *client = context;
	const unsigned char *data;
	size_t length;

	while ((data = connection_input_peek(connection, &length)) != NULL) {
		test_assert(buffer_append(&client->received, data, length) ==
		    0);
		connection_input_consume(connection, length);
	}
	client->replies = count_replies(&client->received);
	if (client->replies >= client->expected)
		loop_stop(client->loop);
}

static void
client_on_end(struct connection *connection, enum connection_end end,
    void *context)
{
	struct client *client = context;

	(void)end;
	(void)connection;
	client->ended = true;
	connection_free(&client->connection);
	loop_stop(client->loop);
}

static const struct connection_callbacks client_callbacks = {
	.on_input = client_on_input,
	.on_end = client_on_end,
};

/* Writes script to a new session from peer and runs the loop until
 * expected replies came (or the server hung up); *codes_r gets the codes
 * of the complete replies, space-separated. Returns the client, whose
 * received buffer the caller deinits. */
static void
converse(struct fixture *fixture, const char *peer, const char *script,
    size_t expected, struct client *client, char *codes, size_t size)
{
	struct loop_guard guard;
	const char *text, *line, *end;
	size_t used = 0, i;
	int fds[2];

	memset(client, 0, sizeof(*client));
	buffer_init(&client->received, 1 << 20);
	codes[0] = '\0';
	client->loop = fixture->loop;
	client->expected = expected;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    fds) < 0) {
		test_fail(__FILE__, __LINE__, "socketpair");
		return;
	}
	client->connection = connection_new(fixture->loop, fds[1], "unix",
	    &client_callbacks, client);
	lmtp_server_accept(fixture->server, fds[0], peer, fixture);
	connection_write(client->connection, script, strlen(script));
	loop_guard_start(&guard, fixture->loop, GUARD_MSEC);
	loop_run(fixture->loop);
	test_assert(!guard.fired);
	loop_guard_stop(&guard);
	connection_free(&client->connection);
	/* Let the server see the close and free its session. */
	for (i = 0; i < 80 && lmtp_server_session_count(fixture->server) > 0;
	    i++) {
		loop_guard_start(&guard, fixture->loop, 25);
		loop_run(fixture->loop);
		loop_guard_stop(&guard);
	}
	test_assert_int(lmtp_server_session_count(fixture->server), 0);
	text = buffer_string(&client->received);
	for (line = text; (end = strstr(line, "\r\n")) != NULL;
	    line = end + 2) {
		if (end - line >= 3 && (end - line == 3 || line[3] == ' ') &&
		    used + 5 < size)
			used += (size_t)snprintf(codes + used, size - used,
			    "%s%.3s", used > 0 ? " " : "", line);
	}
}

static bool
received_has(const struct client *client, const char *text)
{
	return strstr(buffer_string(&client->received), text) != NULL;
}

/* Reads the messages delivered to mailbox (local part) into out,
 * concatenated; returns how many there are. */
static size_t
maildir_read(const struct fixture *fixture, const char *local,
    struct buffer *out)
{
	char dir[1024], path[2048];
	struct dirent *entry;
	unsigned char *data;
	size_t length, count = 0;
	const char *error;
	DIR *handle;

	snprintf(dir, sizeof(dir), "%s/example.test/%s/Maildir/new",
	    fixture->mail_root, local);
	handle = opendir(dir);
	if (handle == NULL)
		return 0;
	while ((entry = readdir(handle)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (durable_file_read_whole(path, 1 << 20, &data, &length,
		    &error) == 0) {
			test_assert(buffer_append(out, data, length) == 0);
			free(data);
		}
		count++;
	}
	closedir(handle);
	return count;
}

static void
test_lmtp_server_delivers_per_recipient(void)
{
	static const char prefix[] =
	    "Return-Path: <sender@remote.test>\n"
	    "Delivered-To: alice@example.test\n"
	    "Received: from client.test (unix)\n"
	    "\tby mx.example.test (sluice) with LMTP id ";
	struct fixture fixture;
	struct client client;
	struct buffer alice, bob;
	char codes[256];

	test_require(fixture_init(&fixture, NULL, false, NULL));
	converse(&fixture, "unix",
	    "LHLO client.test\r\n"
	    "MAIL FROM:<sender@remote.test> SIZE=100 BODY=8BITMIME\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<nobody@example.test>\r\n"
	    "RCPT TO:<Bob+lists@Example.TEST>\r\n"
	    "RCPT TO:<someone@elsewhere.test>\r\n"
	    "DATA\r\n"
	    "Subject: hello\r\n\r\nline one\r\n..dotted\r\n.\r\n"
	    "QUIT\r\n", 11, &client, codes, sizeof(codes));
	test_assert_string(codes,
	    "220 250 250 250 550 250 550 354 250 250 221");
	test_assert(received_has(&client, "250-PIPELINING\r\n"));
	test_assert(received_has(&client, "250-ENHANCEDSTATUSCODES\r\n"));
	test_assert(received_has(&client, "250-SIZE 26214400\r\n"));
	test_assert(received_has(&client, "250 SMTPUTF8\r\n"));
	test_assert(received_has(&client, "550 5.1.1 <nobody@example.test>"));
	test_assert(received_has(&client,
	    "250 2.0.0 <alice@example.test> Ok"));
	test_assert(received_has(&client,
	    "250 2.0.0 <Bob+lists@example.test> Ok"));
	buffer_init(&alice, 0);
	buffer_init(&bob, 0);
	test_assert_int(maildir_read(&fixture, "alice", &alice), 1);
	test_assert_int(maildir_read(&fixture, "bob", &bob), 1);
	test_assert(strncmp(buffer_string(&alice), prefix, strlen(prefix)) ==
	    0);
	test_assert(strstr(buffer_string(&alice),
	    "Subject: hello\n\nline one\n.dotted\n") != NULL);
	test_assert(strstr(buffer_string(&bob),
	    "Delivered-To: bob@example.test\n") != NULL);
	test_assert_int(fixture.closed, 1);
	buffer_deinit(&alice);
	buffer_deinit(&bob);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_duplicate_recipient_one_copy(void)
{
	struct fixture fixture;
	struct client client;
	struct buffer alice;
	char codes[256];

	test_require(fixture_init(&fixture, NULL, false, NULL));
	converse(&fixture, "127.0.0.1",
	    "LHLO client.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<alice+x@example.test>\r\n"
	    "DATA\r\nSubject: dup\r\n\r\nbody\r\n.\r\nQUIT\r\n", 9, &client,
	    codes, sizeof(codes));
	test_assert_string(codes, "220 250 250 250 250 354 250 250 221");
	buffer_init(&alice, 0);
	test_assert_int(maildir_read(&fixture, "alice", &alice), 1);
	test_assert(strncmp(buffer_string(&alice), "Return-Path: <>\n", 16)
	    == 0);
	buffer_deinit(&alice);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_bad_sequences(void)
{
	struct lmtp_server_limits limits = { .max_errors = 50 };
	struct fixture fixture;
	struct client client;
	char codes[256];

	test_require(fixture_init(&fixture, &limits, false, NULL));
	converse(&fixture, "unix",
	    "MAIL FROM:<a@b.test>\r\n"
	    "HELO client.test\r\n"
	    "EHLO client.test\r\n"
	    "NOOP\r\n"
	    "LHLO\r\n"
	    "LHLO client.test\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<a@b.test> FOO=1\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test> NOTIFY=NEVER\r\n"
	    "VRFY alice\r\n"
	    "FROB\r\n"
	    "QUIT\r\n", 19, &client, codes, sizeof(codes));
	test_assert_string(codes, "220 503 500 500 250 501 250 503 503 250 "
	    "503 503 250 555 250 555 252 502 221");
	test_assert(received_has(&client, "500 5.5.1 Error: this is LMTP"));
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_too_many_errors(void)
{
	struct lmtp_server_limits limits = { .max_errors = 3 };
	struct fixture fixture;
	struct client client;
	char codes[256];

	test_require(fixture_init(&fixture, &limits, false, NULL));
	converse(&fixture, "unix", "FROB\r\nFROB\r\nFROB\r\nNOOP\r\n", 10,
	    &client, codes, sizeof(codes));
	test_assert_string(codes, "220 502 502 502 421");
	test_assert(client.ended);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_size_cap(void)
{
	struct lmtp_server_limits limits = { .max_message_size = 1024 };
	struct fixture fixture;
	struct client client;
	struct buffer script, alice;
	char codes[256];
	size_t i;

	test_require(fixture_init(&fixture, &limits, false, NULL));
	buffer_init(&script, 0);
	test_assert(buffer_append_string(&script,
	    "LHLO client.test\r\n"
	    "MAIL FROM:<a@b.test> SIZE=5000\r\n"
	    "MAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "DATA\r\nSubject: big\r\n\r\n") == 0);
	for (i = 0; i < 40; i++)
		test_assert(buffer_append_string(&script,
		    "0123456789012345678901234567890123456789\r\n") == 0);
	test_assert(buffer_append_string(&script, ".\r\nNOOP\r\nQUIT\r\n")
	    == 0);
	converse(&fixture, "unix", buffer_string(&script), 11, &client, codes,
	    sizeof(codes));
	test_assert_string(codes,
	    "220 250 552 250 250 250 354 552 552 250 221");
	test_assert(received_has(&client,
	    "552 5.3.4 <bob@example.test> Error: message file too big"));
	buffer_init(&alice, 0);
	test_assert_int(maildir_read(&fixture, "alice", &alice), 0);
	buffer_deinit(&alice);
	buffer_deinit(&script);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_max_recipients(void)
{
	struct lmtp_server_limits limits = { .max_recipients = 2 };
	struct fixture fixture;
	struct client client;
	struct buffer carol;
	char codes[256];

	test_require(fixture_init(&fixture, &limits, false, NULL));
	converse(&fixture, "unix",
	    "LHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "RCPT TO:<carol@example.test>\r\n"
	    "DATA\r\nSubject: two\r\n\r\n.\r\nQUIT\r\n", 10, &client,
	    codes, sizeof(codes));
	test_assert_string(codes, "220 250 250 250 250 452 354 250 250 221");
	test_assert(received_has(&client, "452 4.5.3 "));
	buffer_init(&carol, 0);
	test_assert_int(maildir_read(&fixture, "carol", &carol), 0);
	buffer_deinit(&carol);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_quota(void)
{
	struct fixture fixture;
	struct client client;
	struct buffer alice, bob;
	char codes[256];

	test_require(fixture_init(&fixture, NULL, true, NULL));
	converse(&fixture, "unix",
	    "LHLO client.test\r\n"
	    /* Declared size: bob is refused at RCPT. */
	    "MAIL FROM:<a@b.test> SIZE=500\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "RCPT TO:<carol@example.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RSET\r\n"
	    /* No size: bob is refused after DATA, alice delivered. */
	    "MAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "RCPT TO:<carol@example.test>\r\n"
	    "DATA\r\nSubject: quota\r\n\r\n"
	    "a body well over one hundred bytes once the Received header "
	    "is counted too\r\n.\r\n"
	    /* Small enough for bob. */
	    "MAIL FROM:<a@b.test> SIZE=10\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "QUIT\r\n", 18, &client, codes, sizeof(codes));
	test_assert_string(codes, "220 250 250 452 451 250 250 250 250 250 "
	    "250 354 250 452 451 250 250 221");
	test_assert(received_has(&client,
	    "452 4.2.2 <bob@example.test>: Mailbox full"));
	test_assert(received_has(&client,
	    "452 4.2.2 <bob@example.test> Mailbox full"));
	test_assert(received_has(&client,
	    "451 4.3.0 <carol@example.test> Error"));
	buffer_init(&alice, 0);
	buffer_init(&bob, 0);
	test_assert_int(maildir_read(&fixture, "alice", &alice), 1);
	test_assert_int(maildir_read(&fixture, "bob", &bob), 0);
	/* RCPT: bob, carol, alice, bob; DATA: alice, bob, carol. */
	test_assert_int(fixture.quota_calls, 7);
	buffer_deinit(&alice);
	buffer_deinit(&bob);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_networks(void)
{
	struct fixture fixture;
	struct client client;
	const char *error = NULL;
	char codes[256];

	test_assert_int(lmtp_server_check_networks("10.0.0.0/8, ::1/128",
	    &error), 0);
	test_assert_int(lmtp_server_check_networks("10.0.0.0/33", &error),
	    -1);
	test_assert_int(lmtp_server_check_networks("!10.0.0.0/8", &error),
	    -1);
	test_assert_int(lmtp_server_check_networks("nonsense", &error), -1);
	test_require(fixture_init(&fixture, NULL, false,
	    "192.0.2.0/25, 2001:db8::/32"));
	converse(&fixture, "192.0.2.200", "NOOP\r\n", 5, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "421");
	test_assert(received_has(&client, "421 4.7.0 "));
	test_assert(client.ended);
	buffer_deinit(&client.received);
	converse(&fixture, "127.0.0.1", "NOOP\r\n", 5, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "421");
	buffer_deinit(&client.received);
	converse(&fixture, "192.0.2.100", "NOOP\r\nQUIT\r\n", 3, &client,
	    codes, sizeof(codes));
	test_assert_string(codes, "220 250 221");
	buffer_deinit(&client.received);
	converse(&fixture, "2001:db8::1", "QUIT\r\n", 2, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "220 221");
	buffer_deinit(&client.received);
	/* Unix-socket peers are always served. */
	converse(&fixture, "unix", "QUIT\r\n", 2, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "220 221");
	buffer_deinit(&client.received);
	test_assert_int(fixture.closed, 5);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_long_line_keeps_sync(void)
{
	struct fixture fixture;
	struct client client;
	struct buffer script;
	char codes[256];
	size_t i;

	test_require(fixture_init(&fixture, NULL, false, NULL));
	buffer_init(&script, 0);
	test_assert(buffer_append_string(&script, "NOOP ") == 0);
	for (i = 0; i < 3000; i++)
		test_assert(buffer_append_string(&script, "x") == 0);
	test_assert(buffer_append_string(&script,
	    "\r\nNOOP\r\nQUIT\r\n") == 0);
	converse(&fixture, "unix", buffer_string(&script), 4, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "220 500 250 221");
	buffer_deinit(&script);
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static void
test_lmtp_server_stop(void)
{
	struct fixture fixture;
	struct client client;
	char codes[256];

	test_require(fixture_init(&fixture, NULL, false, NULL));
	lmtp_server_stop(fixture.server);
	converse(&fixture, "unix", "NOOP\r\n", 3, &client, codes,
	    sizeof(codes));
	test_assert_string(codes, "421");
	test_assert(received_has(&client, "421 4.3.2 "));
	buffer_deinit(&client.received);
	fixture_deinit(&fixture);
}

static const struct test_case cases[] = {
	TEST_CASE(test_lmtp_server_delivers_per_recipient),
	TEST_CASE(test_lmtp_server_duplicate_recipient_one_copy),
	TEST_CASE(test_lmtp_server_bad_sequences),
	TEST_CASE(test_lmtp_server_too_many_errors),
	TEST_CASE(test_lmtp_server_size_cap),
	TEST_CASE(test_lmtp_server_max_recipients),
	TEST_CASE(test_lmtp_server_quota),
	TEST_CASE(test_lmtp_server_networks),
	TEST_CASE(test_lmtp_server_long_line_keeps_sync),
	TEST_CASE(test_lmtp_server_stop),
};

int
main(void)
{
	return test_main(cases, ARRAY_LENGTH(cases));
}
