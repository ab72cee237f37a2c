/* test_smtp_client.c: the relay client against a real Postfix smtp-sink
 * (started per case on a free 127.0.0.1 port or a unix socket, dumping
 * what it receives), and against plain sockets that never answer or
 * never stop answering. STARTTLS is covered by tests/e2e/
 * test_relay_client.py against sluiced. */
#include "gateway/smtp_client.h"
#include "gateway/spool.h"
#include "lib/buffer.h"
#include "tests/unit/harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SMTP_SINK "/usr/sbin/smtp-sink"
#define SINK_ARGS_MAX 16
#define START_WAIT_MSEC 3000

/* One smtp-sink process and where it keeps its dumps and log. */
struct sink {
	pid_t pid;
	unsigned port;           /* 0 with a unix socket */
	char unix_path[100];
	char dump_dir[256];
	char log_path[256];
	unsigned probes;         /* connections made to see it is up */
};

static unsigned sink_serial;

static uint64_t
now_msec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static int listening_socket(unsigned *port_r);

/* A loopback port nobody listens on. */
static unsigned
free_port(void)
{
	unsigned port;

	close(listening_socket(&port));
	return port;
}

/* A socket listening on 127.0.0.1 that nobody accepts from (until a
 * test does); *port_r is its port. */
static int
listening_socket(unsigned *port_r)
{
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT(bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0);
	ASSERT(listen(fd, 4) == 0);
	ASSERT(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
	*port_r = ntohs(address.sin_port);
	return fd;
}

/* Connects once to the sink; true when it accepted. */
static bool
sink_probe(struct sink *sink)
{
	struct sockaddr_storage storage;
	struct sockaddr_in *in = (struct sockaddr_in *)&storage;
	struct sockaddr_un *un = (struct sockaddr_un *)&storage;
	socklen_t length;
	int fd, ret;

	memset(&storage, 0, sizeof(storage));
	if (sink->port != 0) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)sink->port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		length = sizeof(*in);
	} else {
		un->sun_family = AF_UNIX;
		ASSERT(strlen(sink->unix_path) < sizeof(un->sun_path));
		memcpy(un->sun_path, sink->unix_path,
		    strlen(sink->unix_path));
		length = sizeof(*un);
	}
	fd = socket(storage.ss_family, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	ret = connect(fd, (struct sockaddr *)&storage, length);
	close(fd);
	if (ret == 0)
		sink->probes++;
	return ret == 0;
}

/* Starts smtp-sink with the given options (NULL-terminated), on TCP or
 * (use_unix) a unix socket, dumping each transaction into dump_dir and
 * logging the conversation (-v) into log_path. */
static bool
sink_start(struct sink *sink, bool use_unix, const char *const *options)
{
	const char *argv[SINK_ARGS_MAX + 12];
	char dump_template[300], address[300];
	size_t argc = 0, i;
	uint64_t deadline;
	int fd;

	memset(sink, 0, sizeof(*sink));
	sink_serial++;
	/* As root, smtp-sink must drop to a user (-u); let it write. */
	if (geteuid() == 0)
		chmod(test_temp_dir(), 0711);
	snprintf(sink->dump_dir, sizeof(sink->dump_dir), "%s/dump%u",
	    test_temp_dir(), sink_serial);
	ASSERT(mkdir(sink->dump_dir, 0777) == 0);
	chmod(sink->dump_dir, 0777);
	snprintf(sink->log_path, sizeof(sink->log_path), "%s/sink%u.log",
	    test_temp_dir(), sink_serial);
	snprintf(dump_template, sizeof(dump_template), "%s/m.",
	    sink->dump_dir);
	if (use_unix) {
		snprintf(sink->unix_path, sizeof(sink->unix_path),
		    "%s/sink%u.sock", test_temp_dir(), sink_serial);
		snprintf(address, sizeof(address), "unix:%s", sink->unix_path);
	} else {
		sink->port = free_port();
		snprintf(address, sizeof(address), "127.0.0.1:%u", sink->port);
	}
	argv[argc++] = SMTP_SINK;
	if (geteuid() == 0) {
		argv[argc++] = "-u";
		argv[argc++] = "nobody";
	}
	argv[argc++] = "-v";
	argv[argc++] = "-d";
	argv[argc++] = dump_template;
	for (i = 0; options[i] != NULL && i < SINK_ARGS_MAX; i++)
		argv[argc++] = options[i];
	argv[argc++] = address;
	argv[argc++] = "16";
	argv[argc] = NULL;
	sink->pid = fork();
	ASSERT(sink->pid >= 0);
	if (sink->pid == 0) {
		fd = open(sink->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(SMTP_SINK, (char *const *)argv);
		_exit(127);
	}
	deadline = now_msec() + START_WAIT_MSEC;
	while (now_msec() < deadline) {
		if (sink_probe(sink))
			return true;
		usleep(10000);
	}
	test_fail(__FILE__, __LINE__, "smtp-sink did not start");
	return false;
}

static void
sink_stop(struct sink *sink)
{
	if (sink->pid <= 0)
		return;
	kill(sink->pid, SIGTERM);
	waitpid(sink->pid, NULL, 0);
	sink->pid = 0;
}

static struct smtp_client_destination
sink_destination(const struct sink *sink, bool lmtp,
    enum smtp_client_tls tls)
{
	struct smtp_client_destination destination = {
		.lmtp = lmtp,
		.tls = tls,
	};

	if (sink->port != 0) {
		destination.host = "127.0.0.1";
		destination.port = sink->port;
	} else {
		destination.unix_path = sink->unix_path;
	}
	return destination;
}

static const struct smtp_client_options test_options = {
	.helo_name = "client.test",
	.connect_timeout = 2,
	.command_timeout = 2,
	.data_timeout = 2,
	.final_timeout = 2,
};

/* Reads a whole small file into out (NUL-terminated). */
static bool
read_file(const char *path, struct buffer *out)
{
	char block[4096];
	ssize_t n;
	int fd;

	buffer_reset(out);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	while ((n = read(fd, block, sizeof(block))) > 0)
		ASSERT(buffer_append(out, block, (size_t)n) == 0);
	close(fd);
	return n == 0;
}

/* The number of dump files and, into out, the last one's content. */
static unsigned
sink_dumps(const struct sink *sink, struct buffer *out)
{
	char path[600];
	struct dirent *entry;
	unsigned count = 0;
	DIR *dir;

	dir = opendir(sink->dump_dir);
	ASSERT(dir != NULL);
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		count++;
		snprintf(path, sizeof(path), "%s/%s", sink->dump_dir,
		    entry->d_name);
		if (out != NULL)
			test_assert(read_file(path, out));
	}
	closedir(dir);
	return count;
}

/* Occurrences of needle in the sink's log (-v: "connect (AF_...)"). */
static unsigned
sink_log_count(const struct sink *sink, const char *needle)
{
	struct buffer log;
	const char *p;
	unsigned count = 0;

	buffer_init(&log, 0);
	test_assert(read_file(sink->log_path, &log));
	for (p = buffer_string(&log); (p = strstr(p, needle)) != NULL; p++)
		count++;
	buffer_deinit(&log);
	return count;
}

/* The message part of a dump: after the three-line Received: header
 * that ends smtp-sink's own lines. */
static const char *
dump_message(const struct buffer *dump)
{
	const char *p = strstr(buffer_string(dump), "\nReceived: from ");
	int lines;

	if (p == NULL)
		return "";
	for (lines = 0; lines < 3 && p != NULL; lines++)
		p = strchr(p + 1, '\n');
	return p != NULL ? p + 1 : "";
}

/* The message as smtp-sink writes it: LF line ends, one empty line
 * after it. */
static void
expected_dump(const struct buffer *message, struct buffer *out)
{
	const char *p = buffer_string(message);

	buffer_reset(out);
	for (; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			continue;
		ASSERT(buffer_append(out, p, 1) == 0);
	}
	ASSERT(buffer_append(out, "\n", 1) == 0);
}

/* A header-and-body message with lines that need dot-stuffing, one
 * 8-bit byte when eight_bit, and extra_lines of filler (for size). */
static void
make_message(struct buffer *out, bool eight_bit, size_t extra_lines)
{
	size_t i;

	buffer_reset(out);
	ASSERT(buffer_printf(out, "From: <sender@example.org>\r\n"
	    "To: <a@example.net>\r\nSubject: relay test\r\n\r\n"
	    ".starts with a dot\r\n.\r\n..\r\nmiddle . line\r\n"
	    "%s\r\n", eight_bit ? "caf\xc3\xa9" : "plain") == 0);
	for (i = 0; i < extra_lines; i++)
		ASSERT(buffer_printf(out, "%s%06zu filler line to make the "
		    "message span several blocks of data\r\n",
		    i % 7 == 0 ? "." : "", i) == 0);
	ASSERT(buffer_append_string(out, "last line\r\n") == 0);
}

static struct smtp_client_recipient test_recipients[3];

static struct smtp_client_envelope
make_envelope(size_t count)
{
	static const char *const addresses[] = {
		"one@example.net", "two@example.net", "three@example.net",
	};
	struct smtp_client_envelope envelope = {
		.mail_from = "sender@example.org",
		.ret = SPOOL_RET_DEFAULT,
		.envid = "",
		.recipients = test_recipients,
		.recipient_count = count,
	};
	size_t i;

	memset(test_recipients, 0, sizeof(test_recipients));
	for (i = 0; i < count; i++) {
		test_recipients[i].address = addresses[i];
		test_recipients[i].orcpt = "";
	}
	return envelope;
}

/* Sends message in one part per line boundary chosen by split (0: one
 * part), so that parts start with dots and end mid-line. */
static int
send_message(struct smtp_client *client, struct smtp_client_envelope *envelope,
    const struct buffer *message, size_t split)
{
	struct iovec parts[64];
	const unsigned char *data = buffer_data(message);
	size_t length = buffer_length(message), count = 0, offset = 0;
	const char *error;
	int ret;

	while (offset < length && count + 1 < ARRAY_LENGTH(parts)) {
		size_t take = split == 0 ? length - offset :
		    MIN(split, length - offset);

		parts[count].iov_base = (void *)(data + offset);
		parts[count].iov_len = take;
		count++;
		offset += take;
	}
	if (offset < length) {
		parts[count].iov_base = (void *)(data + offset);
		parts[count].iov_len = length - offset;
		count++;
	}
	ret = smtp_client_send(client, envelope, parts, count, &error);
	if (ret < 0)
		printf("# send: %s\n", error);
	return ret;
}

static struct smtp_client *
connect_ok(const struct smtp_client_destination *destination)
{
	struct smtp_client_reply reply;
	struct smtp_client *client = NULL;
	const char *error;

	if (smtp_client_connect(destination, &test_options, &client, &reply,
	    &error) < 0) {
		test_fail(__FILE__, __LINE__, "connect: %s", error);
		return NULL;
	}
	return client;
}

/* One case's smtp-sink, connected client and buffers. */
struct fixture {
	struct sink sink;
	struct smtp_client_destination destination;
	struct smtp_client *client;
	struct smtp_client_envelope envelope;
	struct buffer message, dump, expected;
};

/* Starts smtp-sink with options (TCP, or LMTP on a unix socket) and
 * connects to it, with command_timeout when not 0. Returns false, the
 * case failed, when either does not work; fixture_finish() anyway. */
static bool
fixture_start(struct fixture *fixture, const char *const *options,
    bool lmtp_unix, unsigned command_timeout)
{
	struct smtp_client_options client_options = test_options;
	struct smtp_client_reply reply;
	const char *error;

	memset(fixture, 0, sizeof(*fixture));
	buffer_init(&fixture->message, 0);
	buffer_init(&fixture->dump, 0);
	buffer_init(&fixture->expected, 0);
	if (!sink_start(&fixture->sink, lmtp_unix, options))
		return false;
	fixture->destination = sink_destination(&fixture->sink, lmtp_unix,
	    SMTP_CLIENT_TLS_NONE);
	if (command_timeout != 0)
		client_options.command_timeout = command_timeout;
	if (smtp_client_connect(&fixture->destination, &client_options,
	    &fixture->client, &reply, &error) < 0) {
		test_fail(__FILE__, __LINE__, "connect: %s", error);
		return false;
	}
	return true;
}

static void
fixture_finish(struct fixture *fixture)
{
	smtp_client_close(&fixture->client);
	sink_stop(&fixture->sink);
	buffer_deinit(&fixture->message);
	buffer_deinit(&fixture->dump);
	buffer_deinit(&fixture->expected);
}

/* Sends fixture->message to its first recipient_count recipients, in
 * parts of split bytes (0: one part). */
static int
fixture_send(struct fixture *fixture, size_t recipient_count, size_t split)
{
	fixture->envelope = make_envelope(recipient_count);
	return send_message(fixture->client, &fixture->envelope,
	    &fixture->message, split);
}

/* Closes the client and checks that smtp-sink got exactly one message,
 * byte for byte; the dump stays in fixture->dump. */
static void
fixture_check_dump(struct fixture *fixture)
{
	smtp_client_close(&fixture->client);
	test_assert_int(sink_dumps(&fixture->sink, &fixture->dump), 1);
	expected_dump(&fixture->message, &fixture->expected);
	test_assert_string(dump_message(&fixture->dump),
	    buffer_string(&fixture->expected));
}

static bool
dump_has(const struct fixture *fixture, const char *text)
{
	return strstr(buffer_string(&fixture->dump), text) != NULL;
}

/* Delivers one message to two recipients and checks the dump. */
static void
deliver_and_check(const char *const *sink_options, bool expect_pipelining)
{
	struct fixture fixture;
	size_t i;

	if (!fixture_start(&fixture, sink_options, false, 0))
		goto out;
	test_assert(smtp_client_has_extension(fixture.client, "PIPELINING") ==
	    expect_pipelining);
	test_assert(smtp_client_has_extension(fixture.client, "8bitmime"));
	test_assert(!smtp_client_has_extension(fixture.client, "8BIT"));
	test_assert(!smtp_client_is_encrypted(fixture.client));
	make_message(&fixture.message, true, 0);
	test_assert_int(fixture_send(&fixture, 2, 0), 0);
	for (i = 0; i < 2; i++) {
		test_assert_int(test_recipients[i].reply.code, 250);
		test_assert_string(test_recipients[i].reply.status, "2.0.0");
		test_assert(!test_recipients[i].reply.made_up);
	}
	test_assert(smtp_client_reusable(fixture.client));
	fixture_check_dump(&fixture);
	test_assert(fixture.client == NULL);
	test_assert(dump_has(&fixture,
	    "X-Mail-Args: <sender@example.org> BODY=8BITMIME\n"));
	test_assert(dump_has(&fixture, "X-Rcpt-Args: <one@example.net>\n"
	    "X-Rcpt-Args: <two@example.net>\n"));
out:
	fixture_finish(&fixture);
}

static void
test_smtp_client_pipelined_delivery(void)
{
	static const char *const options[] = { NULL };

	deliver_and_check(options, true);
}

static void
test_smtp_client_lockstep_delivery(void)
{
	static const char *const options[] = { "-p", NULL };

	deliver_and_check(options, false);
}

/* A large message in parts that split lines (and a part that starts
 * with a dot) arrives byte for byte: dot-stuffing across part
 * boundaries and block writes. */
static void
test_smtp_client_dot_stuffing_large_message(void)
{
	static const char *const options[] = { NULL };
	struct fixture fixture;

	if (!fixture_start(&fixture, options, false, 0))
		goto out;
	make_message(&fixture.message, false, 4000);
	test_assert(buffer_length(&fixture.message) > 3 * 64 * 1024);
	/* 62-byte lines, 13-byte parts: some parts start with the dot. */
	test_assert_int(fixture_send(&fixture, 1, 13), 0);
	test_assert_int(test_recipients[0].reply.code, 250);
	fixture_check_dump(&fixture);
	test_assert(!dump_has(&fixture, "BODY=8BITMIME"));
out:
	fixture_finish(&fixture);
}

/* A message that does not end in CRLF gets one before the dot. */
static void
test_smtp_client_adds_final_crlf(void)
{
	static const char *const options[] = { NULL };
	struct fixture fixture;

	if (!fixture_start(&fixture, options, false, 0))
		goto out;
	ASSERT(buffer_append_string(&fixture.message,
	    "Subject: x\r\n\r\nno line end") == 0);
	test_assert_int(fixture_send(&fixture, 1, 0), 0);
	test_assert_int(test_recipients[0].reply.code, 250);
	smtp_client_close(&fixture.client);
	test_assert_int(sink_dumps(&fixture.sink, &fixture.dump), 1);
	test_assert_string(dump_message(&fixture.dump),
	    "Subject: x\n\nno line end\n\n");
out:
	fixture_finish(&fixture);
}

/* Sends a small message and expects every recipient to get code and
 * status from the peer, and the client to have sent rsets RSETs;
 * returns whether the client stayed reusable. */
static bool
send_expecting(const char *const *sink_options, bool lmtp_unix,
    size_t recipient_count, unsigned code, const char *status, int rsets)
{
	struct fixture fixture;
	bool reusable = false;
	size_t i;

	if (!fixture_start(&fixture, sink_options, lmtp_unix, 0))
		goto out;
	make_message(&fixture.message, false, 0);
	test_assert_int(fixture_send(&fixture, recipient_count, 0), 0);
	for (i = 0; i < recipient_count; i++) {
		test_assert_int(test_recipients[i].reply.code, code);
		test_assert_string(test_recipients[i].reply.status, status);
		test_assert(!test_recipients[i].reply.made_up);
	}
	reusable = smtp_client_reusable(fixture.client);
	/* The client waited for each RSET's reply: the sink logged it. */
	test_assert_int(sink_log_count(&fixture.sink, "RSET"), rsets);
out:
	fixture_finish(&fixture);
	return reusable;
}

/* 4xx to MAIL: every recipient gets it; RSET (the transaction stopped
 * before its dot) leaves the connection reusable. */
static void
test_smtp_client_mail_soft_rejected(void)
{
	static const char *const options[] = { "-r", "MAIL", NULL };

	test_assert(send_expecting(options, false, 2, 450, "4.3.0", 1));
}

/* Every RCPT refused: no DATA, each recipient has its reply. */
static void
test_smtp_client_all_recipients_rejected(void)
{
	static const char *const options[] = { "-f", "RCPT", NULL };

	test_assert(send_expecting(options, false, 3, 500, "5.3.0", 1));
}

/* LMTP over a unix socket: one reply per recipient after the dot, which
 * ends the transaction (no RSET). */
static void
test_smtp_client_lmtp_unix(void)
{
	static const char *const options[] = { "-L", NULL };

	test_assert(send_expecting(options, true, 3, 250, "2.2.0", 0));
}

/* LMTP, the peer refusing the data for each recipient (and, with -f,
 * without PIPELINING: the lockstep path). */
static void
test_smtp_client_lmtp_data_rejected(void)
{
	static const char *const options[] = { "-L", "-f", ".", NULL };

	test_assert(send_expecting(options, true, 2, 500, "5.3.0", 0));
}

/* EHLO refused with 5xx: HELO, plain SMTP, still delivers. */
static void
test_smtp_client_helo_fallback(void)
{
	static const char *const options[] = { "-f", "EHLO", NULL };
	struct fixture fixture;

	if (!fixture_start(&fixture, options, false, 0))
		goto out;
	test_assert(!smtp_client_has_extension(fixture.client, "PIPELINING"));
	test_assert(!smtp_client_has_extension(fixture.client, "8BITMIME"));
	make_message(&fixture.message, true, 0);
	test_assert_int(fixture_send(&fixture, 1, 0), 0);
	test_assert_int(test_recipients[0].reply.code, 250);
	fixture_check_dump(&fixture);
	test_assert(dump_has(&fixture, "X-Client-Proto: SMTP\n"));
	test_assert(dump_has(&fixture, "X-Mail-Args: <sender@example.org>\n"));
out:
	fixture_finish(&fixture);
}

/* DSN parameters go out xtext-encoded when the peer offers DSN. */
static void
test_smtp_client_dsn_parameters(void)
{
	static const char *const options[] = { NULL };
	struct fixture fixture;

	if (!fixture_start(&fixture, options, false, 0))
		goto out;
	test_assert(smtp_client_has_extension(fixture.client, "DSN"));
	make_message(&fixture.message, false, 0);
	fixture.envelope = make_envelope(3);
	fixture.envelope.ret = SPOOL_RET_HEADERS;
	fixture.envelope.envid = "id+1=x y";
	test_recipients[0].notify = SPOOL_NOTIFY_SUCCESS |
	    SPOOL_NOTIFY_FAILURE;
	test_recipients[0].orcpt = "rfc822;a+b@example.net";
	test_recipients[1].notify = SPOOL_NOTIFY_NEVER;
	test_assert_int(send_message(fixture.client, &fixture.envelope,
	    &fixture.message, 0), 0);
	test_assert_int(test_recipients[2].reply.code, 250);
	fixture_check_dump(&fixture);
	test_assert(dump_has(&fixture, "X-Mail-Args: <sender@example.org> "
	    "RET=HDRS ENVID=id+2B1+3Dx+20y\n"));
	test_assert(dump_has(&fixture, "X-Rcpt-Args: <one@example.net> "
	    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@example.net\n"));
	test_assert(dump_has(&fixture,
	    "X-Rcpt-Args: <two@example.net> NOTIFY=NEVER\n"));
	test_assert(dump_has(&fixture, "X-Rcpt-Args: <three@example.net>\n"));
out:
	fixture_finish(&fixture);
}

/* SMTPUTF8 needed, not offered (smtp-sink never does): 550 5.6.7 made
 * up for everyone, nothing sent, the connection still good. */
static void
test_smtp_client_smtputf8_not_offered(void)
{
	static const char *const options[] = { NULL };
	struct fixture fixture;
	size_t i;

	if (!fixture_start(&fixture, options, false, 0))
		goto out;
	make_message(&fixture.message, true, 0);
	fixture.envelope = make_envelope(2);
	fixture.envelope.smtputf8 = true;
	test_assert_int(send_message(fixture.client, &fixture.envelope,
	    &fixture.message, 0), 0);
	for (i = 0; i < 2; i++) {
		test_assert_int(test_recipients[i].reply.code, 550);
		test_assert_string(test_recipients[i].reply.status, "5.6.7");
		test_assert(test_recipients[i].reply.made_up);
	}
	test_assert(smtp_client_reusable(fixture.client));
	smtp_client_close(&fixture.client);
	test_assert_int(sink_log_count(&fixture.sink, "MAIL FROM"), 0);
	test_assert_int(sink_dumps(&fixture.sink, NULL), 0);
out:
	fixture_finish(&fixture);
}

/* Nothing listens: 4.4.1, made up, naming the refusal. */
static void
test_smtp_client_connection_refused(void)
{
	struct smtp_client_destination destination = {
		.host = "127.0.0.1",
		.port = free_port(),
		.tls = SMTP_CLIENT_TLS_NONE,
	};
	struct smtp_client_reply reply;
	struct smtp_client *client = NULL;
	const char *error;

	test_assert_int(smtp_client_connect(&destination, &test_options,
	    &client, &reply, &error), -1);
	test_assert(client == NULL);
	test_assert_int(reply.code, 421);
	test_assert_string(reply.status, "4.4.1");
	test_assert(reply.made_up);
	test_assert(strstr(reply.text, "Connection refused") != NULL);
	test_assert(strstr(error, "Connection refused") != NULL);
}

/* A socket that listens but never accepts: the banner never comes;
 * 4.4.2 after the command timeout, not later. */
static void
test_smtp_client_greeting_timeout(void)
{
	struct smtp_client_options options = test_options;
	struct smtp_client_destination destination = {
		.host = "127.0.0.1",
		.tls = SMTP_CLIENT_TLS_NONE,
	};
	struct smtp_client_reply reply;
	struct smtp_client *client = NULL;
	const char *error;
	uint64_t started;
	int fd;

	fd = listening_socket(&destination.port);
	options.command_timeout = 1;
	started = now_msec();
	test_assert_int(smtp_client_connect(&destination, &options, &client,
	    &reply, &error), -1);
	test_assert(now_msec() - started >= 900);
	test_assert(now_msec() - started < 1900);
	test_assert_int(reply.code, 421);
	test_assert_string(reply.status, "4.4.2");
	test_assert(reply.made_up);
	test_assert(strstr(reply.text,
	    "timeout while receiving the initial greeting") != NULL);
	close(fd);
}

/* Sends and expects the connection to fail with a made-up 4.4.2 whose
 * text holds expected_text, within the 1 s command timeout. */
static void
send_failing(const char *const *sink_options, const char *expected_text)
{
	struct fixture fixture;
	uint64_t started;
	size_t i;

	if (!fixture_start(&fixture, sink_options, false, 1))
		goto out;
	make_message(&fixture.message, false, 0);
	started = now_msec();
	test_assert_int(fixture_send(&fixture, 2, 0), -1);
	test_assert(now_msec() - started < 1900);
	for (i = 0; i < 2; i++) {
		test_assert_int(test_recipients[i].reply.code, 421);
		test_assert_string(test_recipients[i].reply.status, "4.4.2");
		test_assert(test_recipients[i].reply.made_up);
		if (strstr(test_recipients[i].reply.text, expected_text) ==
		    NULL)
			test_fail(__FILE__, __LINE__, "reply \"%s\" lacks "
			    "\"%s\"", test_recipients[i].reply.text,
			    expected_text);
	}
	test_assert(!smtp_client_reusable(fixture.client));
out:
	fixture_finish(&fixture);
}

/* The peer waits 3 s before answering DATA; we wait 1 s. Without
 * PIPELINING (-p): smtp-sink holds the replies to pipelined commands
 * until it answers the group's last one, so the wait would be for
 * MAIL's reply. */
static void
test_smtp_client_timeout_after_data(void)
{
	static const char *const options[] = { "-p", "-w", "3", NULL };

	send_failing(options, "timeout after DATA (127.0.0.1[127.0.0.1]:");
}

/* The peer hangs up on RCPT: the recipients accepted so far do not keep
 * a 250. */
static void
test_smtp_client_lost_after_rcpt(void)
{
	static const char *const options[] = { "-q", "RCPT", NULL };

	send_failing(options, "lost connection after RCPT");
}

/* ENCRYPT with a peer that has no STARTTLS: 4.7.4; MAY: plaintext. */
static void
test_smtp_client_tls_policy_without_starttls(void)
{
	static const char *const options[] = { NULL };
	struct smtp_client_destination destination;
	struct smtp_client_reply reply;
	struct smtp_client *client = NULL;
	struct sink sink;
	const char *error;

	if (!sink_start(&sink, false, options))
		return;
	destination = sink_destination(&sink, false, SMTP_CLIENT_TLS_ENCRYPT);
	test_assert_int(smtp_client_connect(&destination, &test_options,
	    &client, &reply, &error), -1);
	test_assert_int(reply.code, 421);
	test_assert_string(reply.status, "4.7.4");
	test_assert(reply.made_up);
	test_assert(strstr(reply.text, "not offered") != NULL);
	destination.tls = SMTP_CLIENT_TLS_MAY;
	client = connect_ok(&destination);
	if (client != NULL) {
		test_assert(!smtp_client_is_encrypted(client));
		smtp_client_close(&client);
	}
	sink_stop(&sink);
}

/* Two transactions on one connection through the cache: smtp-sink sees
 * one connection (besides the start-up probe). */
static void
test_smtp_client_cache_reuse(void)
{
	static const char *const options[] = { NULL };
	struct smtp_client_destination destination, other;
	struct smtp_client_envelope envelope;
	struct smtp_client_cache *cache;
	struct smtp_client *client, *first;
	struct buffer message;
	struct sink sink;

	if (!sink_start(&sink, false, options))
		return;
	buffer_init(&message, 0);
	make_message(&message, false, 0);
	cache = smtp_client_cache_new(4, 60);
	destination = sink_destination(&sink, false, SMTP_CLIENT_TLS_NONE);
	test_assert(smtp_client_cache_take(cache, &destination) == NULL);
	client = first = connect_ok(&destination);
	if (client == NULL)
		goto out;
	envelope = make_envelope(1);
	test_assert_int(send_message(client, &envelope, &message, 0), 0);
	test_assert(smtp_client_reusable(client));
	smtp_client_cache_put(cache, &destination, &client);
	test_assert(client == NULL);
	/* Another key (LMTP, same address) does not match. */
	other = destination;
	other.lmtp = true;
	test_assert(smtp_client_cache_take(cache, &other) == NULL);
	client = smtp_client_cache_take(cache, &destination);
	test_assert(client == first);
	test_require(client != NULL);
	envelope = make_envelope(2);
	test_assert_int(send_message(client, &envelope, &message, 0), 0);
	test_assert_int(test_recipients[1].reply.code, 250);
	smtp_client_cache_put(cache, &destination, &client);
	smtp_client_cache_free(&cache);
	test_assert(cache == NULL);
	test_assert_int(sink_dumps(&sink, NULL), 2);
	test_assert_int(sink_log_count(&sink, "connect (AF_INET"),
	    sink.probes + 1);
	/* Both transactions ended at their dot: no RSET needed. */
	test_assert_int(sink_log_count(&sink, "RSET"), 0);
	test_assert_int(sink_log_count(&sink, "QUIT"), 1);
out:
	smtp_client_cache_free(&cache);
	sink_stop(&sink);
	buffer_deinit(&message);
}

/* A cached connection the peer closed is dropped at take; the bound
 * evicts the oldest; idle ones expire. */
static void
test_smtp_client_cache_drop_evict_expire(void)
{
	static const char *const options[] = { NULL };
	struct smtp_client_destination destination;
	struct smtp_client_cache *cache;
	struct smtp_client *a, *b;
	struct sink sink;

	if (!sink_start(&sink, false, options))
		return;
	destination = sink_destination(&sink, false, SMTP_CLIENT_TLS_NONE);
	cache = smtp_client_cache_new(1, 1);
	a = connect_ok(&destination);
	b = connect_ok(&destination);
	test_require(a != NULL && b != NULL);
	smtp_client_cache_put(cache, &destination, &a);
	smtp_client_cache_put(cache, &destination, &b);
	/* b evicted a (max 1): one take, then none. */
	b = smtp_client_cache_take(cache, &destination);
	test_assert(b != NULL);
	test_assert(smtp_client_cache_take(cache, &destination) == NULL);
	smtp_client_cache_put(cache, &destination, &b);
	usleep(1200 * 1000);
	smtp_client_cache_expire(cache);
	test_assert(smtp_client_cache_take(cache, &destination) == NULL);
	/* Closed by the peer while idle. */
	a = connect_ok(&destination);
	test_require(a != NULL);
	smtp_client_cache_put(cache, &destination, &a);
	sink_stop(&sink);
	test_assert(smtp_client_cache_take(cache, &destination) == NULL);
	smtp_client_cache_free(&cache);
}

/* A peer whose greeting never ends. */
static void *
endless_greeting(void *context)
{
	static const char line[] = "220-and more and more and more\r\n";
	int listener = *(int *)context, fd;

	fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	while (send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL) > 0)
		;
	close(fd);
	return NULL;
}

/* An endless reply is a failure, not unbounded memory or time. */
static void
test_smtp_client_endless_reply(void)
{
	struct smtp_client_destination destination = {
		.host = "127.0.0.1",
		.tls = SMTP_CLIENT_TLS_NONE,
	};
	struct smtp_client_reply reply;
	struct smtp_client *client = NULL;
	pthread_t thread;
	const char *error;
	int fd;

	fd = listening_socket(&destination.port);
	test_require(pthread_create(&thread, NULL, endless_greeting, &fd)
	    == 0);
	test_assert_int(smtp_client_connect(&destination, &test_options,
	    &client, &reply, &error), -1);
	test_assert_int(reply.code, 421);
	test_assert_string(reply.status, "4.5.0");
	test_assert(strstr(reply.text, "too many reply lines") != NULL);
	pthread_join(thread, NULL);
	close(fd);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_client_pipelined_delivery),
		TEST_CASE(test_smtp_client_lockstep_delivery),
		TEST_CASE(test_smtp_client_dot_stuffing_large_message),
		TEST_CASE(test_smtp_client_adds_final_crlf),
		TEST_CASE(test_smtp_client_mail_soft_rejected),
		TEST_CASE(test_smtp_client_all_recipients_rejected),
		TEST_CASE(test_smtp_client_lmtp_unix),
		TEST_CASE(test_smtp_client_lmtp_data_rejected),
		TEST_CASE(test_smtp_client_helo_fallback),
		TEST_CASE(test_smtp_client_dsn_parameters),
		TEST_CASE(test_smtp_client_smtputf8_not_offered),
		TEST_CASE(test_smtp_client_connection_refused),
		TEST_CASE(test_smtp_client_greeting_timeout),
		TEST_CASE(test_smtp_client_timeout_after_data),
		TEST_CASE(test_smtp_client_lost_after_rcpt),
		TEST_CASE(test_smtp_client_tls_policy_without_starttls),
		TEST_CASE(test_smtp_client_cache_reuse),
		TEST_CASE(test_smtp_client_cache_drop_evict_expire),
		TEST_CASE(test_smtp_client_endless_reply),
	};

	signal(SIGPIPE, SIG_IGN);
	return test_main(cases, ARRAY_LENGTH(cases));
}
