/* test_connection.c: unit tests for lib/connection over socketpairs and
 * loopback TCP: raw input, trickled input, high-water pausing, EOF,
 * timeouts, close_after_flush, freeing from callbacks, and TLS (STARTTLS
 * with injected plaintext, implicit TLS, verification failures). */
#include "lib/connection.h"
#include "lib/buffer.h"
#include "tests/unit/harness.h"
#include "tests/unit/loop_guard.h"
#include "tests/unit/self_signed.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define GUARD_MSEC 4000
#define RECEIVED_MAX (4 * 1024 * 1024)

/* One side of a test conversation, driven by the callbacks below. */
struct endpoint {
	struct loop *loop;
	struct connection *connection;
	struct buffer received;
	int input_calls;
	int drained_calls;
	int end_calls;
	enum connection_end end;
	char end_reason[256];
	size_t received_at_end;
	bool consume;       /* move all input into received */
	bool free_on_input;
	bool stop_on_end;
	size_t stop_at;     /* loop_stop once received reaches this */
	/* Replaces the default input handling when set. */
	void (*input_hook)(struct endpoint *endpoint);
	struct endpoint *forward_to; /* proxy: copy input there */
	struct buffer *wire;         /* proxy: and record it here */
	int state;                   /* for scripted hooks */
	struct tls_context *tls;
};

/* Moves everything buffered into endpoint->received. */
static void
endpoint_take_all(struct endpoint *endpoint)
{
	const unsigned char *data;
	size_t length;

	while ((data = connection_input_peek(endpoint->connection, &length))
	    != NULL) {
		test_assert(length > 0 && length <= CONNECTION_PEEK_MAX);
		test_assert(buffer_append(&endpoint->received, data, length)
		    == 0);
		connection_input_consume(endpoint->connection, length);
	}
	test_assert_int(connection_input_length(endpoint->connection), 0);
}

static void
endpoint_input(struct connection *connection, void *context)
{
	struct endpoint *endpoint = context;

	test_assert(connection == endpoint->connection);
	endpoint->input_calls++;
	if (endpoint->free_on_input) {
		connection_free(&endpoint->connection);
		return;
	}
	if (endpoint->input_hook != NULL) {
		endpoint->input_hook(endpoint);
		return;
	}
	if (!endpoint->consume)
		return;
	endpoint_take_all(endpoint);
	if (endpoint->stop_at > 0 &&
	    buffer_length(&endpoint->received) >= endpoint->stop_at)
		loop_stop(endpoint->loop);
}

static void
endpoint_drained(struct connection *connection, void *context)
{
	struct endpoint *endpoint = context;

	endpoint->drained_calls++;
	test_assert_int(connection_output_length(connection), 0);
}

static void
endpoint_end(struct connection *connection, enum connection_end end,
    void *context)
{
	struct endpoint *endpoint = context;
	const char *reason = connection_end_reason(connection);

	endpoint->end_calls++;
	endpoint->end = end;
	endpoint->received_at_end = buffer_length(&endpoint->received);
	snprintf(endpoint->end_reason, sizeof(endpoint->end_reason), "%s",
	    reason != NULL ? reason : "");
	/* The owner frees from inside on_end, as sessions do. */
	connection_free(&endpoint->connection);
	if (endpoint->stop_on_end)
		loop_stop(endpoint->loop);
}

static const struct connection_callbacks endpoint_callbacks = {
	.on_input = endpoint_input,
	.on_drained = endpoint_drained,
	.on_end = endpoint_end,
};

static void
endpoint_init(struct endpoint *endpoint, struct loop *loop, int fd,
    const char *peer)
{
	memset(endpoint, 0, sizeof(*endpoint));
	endpoint->loop = loop;
	buffer_init(&endpoint->received, RECEIVED_MAX);
	if (fd >= 0)
		endpoint->connection = connection_new(loop, fd, peer,
		    &endpoint_callbacks, endpoint);
}

static void
endpoint_deinit(struct endpoint *endpoint)
{
	connection_free(&endpoint->connection);
	buffer_deinit(&endpoint->received);
}

static bool
endpoint_received(const struct endpoint *endpoint, const char *text)
{
	size_t length = strlen(text);

	/* An empty buffer may have no storage at all. */
	return buffer_length(&endpoint->received) == length &&
	    (length == 0 ||
	    memcmp(buffer_data(&endpoint->received), text, length) == 0);
}

static bool
contains(const struct buffer *buffer, const char *text)
{
	return memmem(buffer_data(buffer), buffer_length(buffer), text,
	    strlen(text)) != NULL;
}

static int
socket_pair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, fds);
}

/* A connected pair of non-blocking loopback TCP sockets. */
static int
tcp_pair(int fds[2])
{
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int listen_fd, client_fd, server_fd = -1;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	client_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listen_fd >= 0 && client_fd >= 0 &&
	    bind(listen_fd, (struct sockaddr *)&address,
	    sizeof(address)) == 0 &&
	    listen(listen_fd, 1) == 0 &&
	    getsockname(listen_fd, (struct sockaddr *)&address, &length) == 0 &&
	    connect(client_fd, (struct sockaddr *)&address,
	    sizeof(address)) == 0)
		server_fd = accept4(listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (listen_fd >= 0)
		close(listen_fd);
	if (server_fd < 0 || fcntl(client_fd, F_SETFL, O_NONBLOCK) < 0) {
		if (client_fd >= 0)
			close(client_fd);
		if (server_fd >= 0)
			close(server_fd);
		return -1;
	}
	fds[0] = client_fd;
	fds[1] = server_fd;
	return 0;
}

/* A loop, a watchdog and a connected socket pair: the server endpoint
 * on fds[0]; fds[1] is either the client endpoint or, without one, a raw
 * socket the test writes to itself. */
struct fixture {
	struct loop *loop;
	struct loop_guard guard;
	int fds[2];
	struct endpoint server;
	struct endpoint client;
};

static bool
fixture_open(struct fixture *fixture, bool with_client, bool tcp)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->fds[0] = fixture->fds[1] = -1;
	if ((tcp ? tcp_pair(fixture->fds) : socket_pair(fixture->fds)) < 0)
		return false;
	fixture->loop = loop_new();
	loop_guard_start(&fixture->guard, fixture->loop, GUARD_MSEC);
	endpoint_init(&fixture->server, fixture->loop, fixture->fds[0],
	    tcp ? "127.0.0.1" : "unix");
	endpoint_init(&fixture->client, fixture->loop,
	    with_client ? fixture->fds[1] : -1, tcp ? "127.0.0.1" : "unix");
	if (with_client)
		fixture->fds[1] = -1;
	return true;
}

/* Closes the raw peer socket (the server then sees EOF). */
static void
fixture_close_peer(struct fixture *fixture)
{
	if (fixture->fds[1] >= 0)
		close(fixture->fds[1]);
	fixture->fds[1] = -1;
}

static void
fixture_close(struct fixture *fixture)
{
	test_assert(!fixture->guard.fired);
	fixture_close_peer(fixture);
	endpoint_deinit(&fixture->server);
	endpoint_deinit(&fixture->client);
	tls_context_unref(&fixture->server.tls);
	tls_context_unref(&fixture->client.tls);
	loop_guard_stop(&fixture->guard);
	loop_free(&fixture->loop);
}

static void
stop_loop(void *context)
{
	loop_stop(context);
}

/* Runs the loop for msec milliseconds (or until stopped earlier). */
static void
run_for(struct loop *loop, uint64_t msec)
{
	struct loop_timer *timer = loop_timer_new(loop, stop_loop, loop);

	loop_timer_start(timer, msec);
	loop_run(loop);
	loop_timer_free(&timer);
}

/* Plain connections. */

static void
peek_consume_hook(struct endpoint *endpoint)
{
	struct connection *connection = endpoint->connection;
	const unsigned char *data;
	size_t length;

	/* Leave a partial message unread; on_input comes again. */
	if (connection_input_length(connection) < 13)
		return;
	data = connection_input_peek(connection, &length);
	test_require(data != NULL && length == 13);
	test_assert(memcmp(data, "hello world\r\n", 13) == 0);
	connection_input_consume(connection, 6);
	test_assert_int(connection_input_length(connection), 7);
	data = connection_input_peek(connection, &length);
	test_require(data != NULL && length == 7);
	test_assert(memcmp(data, "world\r\n", 7) == 0);
	connection_input_consume(connection, 7);
	test_assert(connection_input_peek(connection, &length) == NULL);
	test_assert_int(length, 0);
	connection_printf(connection, "250 %s %d\r\n", "ok", 42);
	connection_write(connection, "done\r\n", 6);
}

static void
test_connection_write_peek_consume(void)
{
	struct fixture f;

	test_require(fixture_open(&f, true, false));
	test_assert_string(connection_peer(f.server.connection), "unix");
	test_assert(!connection_is_tls(f.server.connection));
	test_assert(connection_tls_description(f.server.connection) == NULL);
	test_assert(connection_end_reason(f.server.connection) == NULL);
	f.server.input_hook = peek_consume_hook;
	f.client.consume = true;
	f.client.stop_at = strlen("250 ok 42\r\ndone\r\n");
	connection_write(f.client.connection, "hello ", 6);
	/* Plaintext with nothing queued goes to the kernel at once. */
	test_assert_int(connection_output_length(f.client.connection), 0);
	connection_write(f.client.connection, "world\r\n", 7);
	test_assert_int(loop_run(f.loop), 0);
	test_assert(endpoint_received(&f.client, "250 ok 42\r\ndone\r\n"));
	test_assert(f.server.input_calls >= 1);
	/* Both wrote, and both heard that their output reached the kernel. */
	test_assert(f.server.drained_calls >= 1);
	test_assert(f.client.drained_calls >= 1);
	test_assert_int(f.server.end_calls + f.client.end_calls, 0);
	fixture_close(&f);
}

struct trickle {
	int fd;
	const char *text;
	size_t sent;
	struct loop_timer *timer;
};

static void
trickle_next_byte(void *context)
{
	struct trickle *trickle = context;

	if (trickle->text[trickle->sent] == '\0')
		return;
	if (write(trickle->fd, trickle->text + trickle->sent, 1) == 1)
		trickle->sent++;
	loop_timer_start(trickle->timer, 1);
}

/* Takes complete lines only, as a command parser would. */
static void
line_hook(struct endpoint *endpoint)
{
	const unsigned char *data, *newline;
	size_t length;

	data = connection_input_peek(endpoint->connection, &length);
	if (data == NULL)
		return;
	newline = memchr(data, '\n', length);
	if (newline == NULL)
		return;
	length = (size_t)(newline - data) + 1;
	test_assert(buffer_append(&endpoint->received, data, length) == 0);
	connection_input_consume(endpoint->connection, length);
	if (endpoint->stop_at > 0 &&
	    buffer_length(&endpoint->received) >= endpoint->stop_at)
		loop_stop(endpoint->loop);
}

static void
test_connection_input_one_byte_at_a_time(void)
{
	static const char text[] = "MAIL FROM:<a@example.org>\r\nRSET\r\n";
	struct fixture f;
	struct trickle trickle = { .text = text };

	test_require(fixture_open(&f, false, false));
	f.server.input_hook = line_hook;
	f.server.stop_at = strlen(text);
	trickle.fd = f.fds[1];
	trickle.timer = loop_timer_new(f.loop, trickle_next_byte, &trickle);
	loop_timer_start(trickle.timer, 1);
	test_assert_int(loop_run(f.loop), 0);
	test_assert(endpoint_received(&f.server, text));
	/* Every byte arrived on its own and was offered on its own. */
	test_assert(f.server.input_calls >= (int)strlen(text) - 2);
	loop_timer_free(&trickle.timer);
	fixture_close(&f);
}

#define FLOOD_SIZE (1024 * 1024)

struct flood {
	int fd;
	unsigned char *data;
	size_t sent;
	struct loop_timer *timer;
	bool blocked; /* the kernel refused more at least once */
};

static void
flood_write(void *context)
{
	struct flood *flood = context;
	ssize_t n;

	while (flood->sent < FLOOD_SIZE) {
		n = write(flood->fd, flood->data + flood->sent,
		    FLOOD_SIZE - flood->sent);
		if (n <= 0) {
			flood->blocked = true;
			break;
		}
		flood->sent += (size_t)n;
	}
	if (flood->sent < FLOOD_SIZE)
		loop_timer_start(flood->timer, 1);
}

static void
test_connection_high_water_pauses_reading(void)
{
	struct fixture f;
	struct flood flood = { 0 };
	size_t i;

	test_require(fixture_open(&f, false, false));
	flood.fd = f.fds[1];
	flood.data = malloc(FLOOD_SIZE);
	test_require(flood.data != NULL);
	for (i = 0; i < FLOOD_SIZE; i++)
		flood.data[i] = (unsigned char)(i % 251);
	flood.timer = loop_timer_new(f.loop, flood_write, &flood);
	loop_timer_start(flood.timer, 0);

	/* The owner reads nothing: buffering stops at the mark, and the
	 * sender is pushed back by the kernel. */
	run_for(f.loop, 150);
	test_assert_int(connection_input_length(f.server.connection),
	    CONNECTION_INPUT_HIGH_WATER);
	test_assert(flood.blocked);
	test_assert(flood.sent < FLOOD_SIZE);
	test_assert(f.server.input_calls >= 1);

	/* Consuming resumes reading; everything arrives intact. */
	f.server.consume = true;
	f.server.stop_at = FLOOD_SIZE;
	endpoint_take_all(&f.server);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(buffer_length(&f.server.received), FLOOD_SIZE);
	test_assert(memcmp(buffer_data(&f.server.received), flood.data,
	    FLOOD_SIZE) == 0);
	loop_timer_free(&flood.timer);
	free(flood.data);
	fixture_close(&f);
}

static void
test_connection_close_after_flush(void)
{
	struct fixture f;
	unsigned char *data;
	size_t size = 300 * 1024, i;

	test_require(fixture_open(&f, true, false));
	f.client.consume = true;
	f.client.stop_on_end = true;
	data = malloc(size);
	test_require(data != NULL);
	for (i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7);
	/* Input that arrives while closing is discarded unseen. */
	connection_write(f.client.connection, "QUIT\r\n", 6);
	connection_write(f.server.connection, data, size);
	connection_close_after_flush(f.server.connection);
	connection_close_after_flush(f.server.connection);
	test_assert_int(f.server.end_calls, 0);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_CLOSED);
	test_assert_int(f.server.input_calls, 0);
	test_assert_int(f.client.end_calls, 1);
	test_assert_int(f.client.end, CONNECTION_END_EOF);
	test_assert_int(buffer_length(&f.client.received), size);
	test_assert(memcmp(buffer_data(&f.client.received), data, size) == 0);
	free(data);
	fixture_close(&f);
}

static void
test_connection_close_with_nothing_queued(void)
{
	struct fixture f;

	test_require(fixture_open(&f, false, false));
	f.server.stop_on_end = true;
	connection_close_after_flush(f.server.connection);
	test_assert_int(f.server.end_calls, 0);
	test_assert(f.server.connection != NULL);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_CLOSED);
	test_assert_int(f.server.drained_calls, 0);
	fixture_close(&f);
}

/* The peer sends some bytes and closes: the owner sees every complete
 * line before on_end(EOF), and an unconsumable tail does not hang. */
static void
test_connection_eof_after_last_input(void)
{
	static const struct {
		const char *sent;
		bool by_line; /* one line per on_input call, else take all */
		const char *received;
	} cases[] = {
		{ "QUIT\r\n", false, "QUIT\r\n" },
		{ "partial", true, "" },
		{ "CMD1\r\nCMD2\r\nCMD3", true, "CMD1\r\nCMD2\r\n" },
	};
	struct fixture f;
	size_t i, length;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		test_require(fixture_open(&f, false, false));
		f.server.consume = !cases[i].by_line;
		f.server.input_hook = cases[i].by_line ? line_hook : NULL;
		f.server.stop_on_end = true;
		length = strlen(cases[i].sent);
		test_require(write(f.fds[1], cases[i].sent, length) ==
		    (ssize_t)length);
		fixture_close_peer(&f);
		test_assert_int(loop_run(f.loop), 0);
		test_assert_int(f.server.end_calls, 1);
		test_assert_int(f.server.end, CONNECTION_END_EOF);
		test_assert(endpoint_received(&f.server, cases[i].received));
		test_assert_int(f.server.received_at_end,
		    strlen(cases[i].received));
		test_assert_string(f.server.end_reason,
		    "connection closed by peer");
		fixture_close(&f);
	}
}

/* Takes one line per call and pauses, as a session does while a worker
 * job runs; a timer resumes it. */
static void
pause_per_line_hook(struct endpoint *endpoint)
{
	const unsigned char *data, *newline;
	size_t length;

	data = connection_input_peek(endpoint->connection, &length);
	test_require(data != NULL);
	newline = memchr(data, '\n', length);
	if (newline == NULL)
		return;
	length = (size_t)(newline - data) + 1;
	test_assert(buffer_append(&endpoint->received, data, length) == 0);
	connection_input_consume(endpoint->connection, length);
	connection_pause_input(endpoint->connection);
	endpoint->state++;
}

static void
test_connection_eof_waits_for_paused_input(void)
{
	struct fixture f;

	test_require(fixture_open(&f, false, false));
	f.server.input_hook = pause_per_line_hook;
	f.server.stop_on_end = true;
	test_require(write(f.fds[1], "CMD1\r\nCMD2\r\n", 12) == 12);
	fixture_close_peer(&f);

	run_for(f.loop, 50);
	test_assert_int(f.server.state, 1);
	test_assert_int(f.server.end_calls, 0);
	connection_resume_input(f.server.connection);
	run_for(f.loop, 50);
	test_assert_int(f.server.state, 2);
	test_assert_int(f.server.end_calls, 0);
	connection_resume_input(f.server.connection);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_EOF);
	test_assert(endpoint_received(&f.server, "CMD1\r\nCMD2\r\n"));
	fixture_close(&f);
}

static void
test_connection_timeout(void)
{
	struct fixture f;
	uint64_t start;

	test_require(fixture_open(&f, false, false));
	f.server.stop_on_end = true;
	f.server.consume = true;
	connection_set_timeout(f.server.connection, 1);
	start = loop_now_msec(f.loop);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_TIMEOUT);
	test_assert_string(f.server.end_reason, "timeout after 1 seconds");
	test_assert(loop_now_msec(f.loop) - start >= 900);
	fixture_close(&f);
}

static void
test_connection_pause_and_resume(void)
{
	struct fixture f;

	test_require(fixture_open(&f, false, false));
	f.server.consume = true;
	f.server.stop_at = 3;
	connection_pause_input(f.server.connection);
	test_require(write(f.fds[1], "abc", 3) == 3);
	run_for(f.loop, 50);
	test_assert_int(f.server.input_calls, 0);
	connection_resume_input(f.server.connection);
	test_assert_int(f.server.input_calls, 0);
	test_assert_int(loop_run(f.loop), 0);
	test_assert(endpoint_received(&f.server, "abc"));
	fixture_close(&f);
}

static void
test_connection_free_inside_on_input(void)
{
	struct fixture f;
	char block[8192];

	test_require(fixture_open(&f, true, false));
	f.server.free_on_input = true;
	f.client.stop_on_end = true;
	memset(block, 'x', sizeof(block));
	connection_write(f.client.connection, block, sizeof(block));
	connection_write(f.server.connection, "bye\r\n", 5);
	/* The free closes the socket at once: the client sees EOF, and the
	 * freed server gets no further callback (ASan would notice). */
	test_assert_int(loop_run(f.loop), 0);
	test_assert(f.server.connection == NULL);
	test_assert_int(f.server.input_calls, 1);
	test_assert_int(f.server.end_calls, 0);
	test_assert_int(f.client.end_calls, 1);
	test_assert(f.client.end == CONNECTION_END_EOF ||
	    f.client.end == CONNECTION_END_ERROR);
	fixture_close(&f);
}

/* TLS. */

static struct self_signed_files tls_files;
static bool tls_files_ready;

static struct tls_context *
server_tls(void)
{
	const char *error = NULL;
	struct tls_context *context;

	if (!tls_files_ready) {
		if (self_signed_write("server", "localhost", &tls_files) < 0)
			return NULL;
		tls_files_ready = true;
	}
	context = tls_context_new_server(tls_files.cert, tls_files.key,
	    &error);
	if (context == NULL)
		printf("  server_tls: %s\n", error);
	return context;
}

/* A client context that trusts only our self-signed certificate. */
static struct tls_context *
client_tls_trusting_test_cert(void)
{
	const char *error = NULL;
	struct tls_context *context = tls_context_new_client(true, &error);

	if (context != NULL && SSL_CTX_load_verify_locations(
	    tls_context_ssl_ctx(context), tls_files.cert, NULL) != 1)
		tls_context_unref(&context);
	return context;
}

/* Gives the fixture's server our certificate and its client a context
 * that trusts it. Returns false if either could not be made. */
static bool
fixture_load_tls(struct fixture *fixture)
{
	fixture->server.tls = server_tls();
	fixture->client.tls = client_tls_trusting_test_cert();
	return fixture->server.tls != NULL && fixture->client.tls != NULL;
}

static bool
description_looks_right(const char *description)
{
	return description != NULL &&
	    strncmp(description, "TLSv1.", 6) == 0 &&
	    strstr(description, " with cipher ") != NULL &&
	    strstr(description, " bits)") != NULL;
}

/* Relays bytes between the client and server and records them, so the
 * test can see what an observer on the wire would see. */
static void
proxy_hook(struct endpoint *endpoint)
{
	const unsigned char *data;
	size_t length;

	while ((data = connection_input_peek(endpoint->connection, &length))
	    != NULL) {
		test_assert(buffer_append(endpoint->wire, data, length) == 0);
		if (endpoint->forward_to->connection != NULL)
			connection_write(endpoint->forward_to->connection, data,
			    length);
		connection_input_consume(endpoint->connection, length);
	}
}

#define STARTTLS_READY "220 2.0.0 Ready to start TLS\r\n"

/* Server side of a STARTTLS exchange. */
static void
starttls_server_hook(struct endpoint *endpoint)
{
	struct connection *connection = endpoint->connection;
	const unsigned char *data;
	const char *error = NULL;
	size_t length;

	if (endpoint->state == 0) {
		data = connection_input_peek(connection, &length);
		if (length < 10)
			return;
		test_assert(memcmp(data, "STARTTLS\r\n", 10) == 0);
		connection_input_consume(connection, 10);
		/* The injected command is still buffered here. */
		test_assert(connection_input_length(connection) > 0);
		connection_write(connection, STARTTLS_READY,
		    strlen(STARTTLS_READY));
		test_assert_int(connection_start_tls(connection,
		    endpoint->tls, &error), 0);
		test_assert_int(connection_input_length(connection), 0);
		test_assert(connection_is_tls(connection));
		test_assert(connection_start_tls(connection, endpoint->tls,
		    &error) < 0);
		test_assert_string(error, "TLS is already active");
		endpoint->state = 1;
		return;
	}
	endpoint_take_all(endpoint);
	if (endpoint->state == 1 && contains(&endpoint->received,
	    "SECRET-PAYLOAD\r\n")) {
		test_assert(description_looks_right(
		    connection_tls_description(connection)));
		connection_printf(connection, "250 SECRET-REPLY\r\n");
		endpoint->state = 2;
	}
}

/* Client side: STARTTLS (with an injected command behind it), then the
 * payload over TLS. */
static void
starttls_client_hook(struct endpoint *endpoint)
{
	struct connection *connection = endpoint->connection;
	const char *error = NULL;
	size_t ready = strlen(STARTTLS_READY);

	if (endpoint->state == 0) {
		if (connection_input_length(connection) < ready)
			return;
		endpoint_take_all(endpoint);
		test_assert(endpoint_received(endpoint, STARTTLS_READY));
		buffer_reset(&endpoint->received);
		test_assert_int(connection_start_tls_client(connection,
		    endpoint->tls, "localhost", &error), 0);
		/* Queued now, sent encrypted after the handshake. */
		connection_write(connection, "SECRET-PAYLOAD\r\n", 16);
		endpoint->state = 1;
		return;
	}
	endpoint_take_all(endpoint);
	if (contains(&endpoint->received, "250 SECRET-REPLY\r\n"))
		loop_stop(endpoint->loop);
}

static void
test_connection_starttls(void)
{
	struct fixture f;
	struct endpoint proxy_client, proxy_server;
	struct buffer wire;
	int client_pair[2];

	/* client <-> proxy over a socketpair; proxy <-> server over TCP. */
	test_require(fixture_open(&f, false, true));
	test_require(socket_pair(client_pair) == 0);
	buffer_init(&wire, RECEIVED_MAX);
	endpoint_deinit(&f.client);
	endpoint_init(&f.client, f.loop, client_pair[0], "unix");
	endpoint_init(&proxy_client, f.loop, client_pair[1], "unix");
	endpoint_init(&proxy_server, f.loop, f.fds[1], "127.0.0.1");
	f.fds[1] = -1;
	proxy_client.input_hook = proxy_hook;
	proxy_client.forward_to = &proxy_server;
	proxy_client.wire = &wire;
	proxy_server.input_hook = proxy_hook;
	proxy_server.forward_to = &proxy_client;
	proxy_server.wire = &wire;
	f.server.input_hook = starttls_server_hook;
	f.client.input_hook = starttls_client_hook;
	test_require(fixture_load_tls(&f));

	/* A command injected behind STARTTLS in the same packet. */
	connection_write(f.client.connection,
	    "STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n", 44);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.state, 2);
	test_assert_int(f.client.state, 1);
	/* The server saw only what came over TLS: no injected command. */
	test_assert(endpoint_received(&f.server, "SECRET-PAYLOAD\r\n"));
	test_assert(endpoint_received(&f.client, "250 SECRET-REPLY\r\n"));
	test_assert(connection_is_tls(f.server.connection));
	test_assert(connection_is_tls(f.client.connection));
	test_assert(description_looks_right(
	    connection_tls_description(f.server.connection)));
	test_assert(description_looks_right(
	    connection_tls_description(f.client.connection)));
	/* On the wire: the plaintext part in clear, the rest encrypted. */
	test_assert(contains(&wire, "STARTTLS\r\n"));
	test_assert(contains(&wire, STARTTLS_READY));
	test_assert(contains(&wire, "injected@example.org"));
	test_assert(!contains(&wire, "SECRET"));
	test_assert_int(f.server.end_calls + f.client.end_calls, 0);

	endpoint_deinit(&proxy_client);
	endpoint_deinit(&proxy_server);
	buffer_deinit(&wire);
	fixture_close(&f);
}

#define ECHO_SIZE (200 * 1024)

/* Echoes everything; closes politely once ECHO_SIZE bytes went back. */
static void
echo_then_close_hook(struct endpoint *endpoint)
{
	const unsigned char *data;
	size_t length;

	while ((data = connection_input_peek(endpoint->connection, &length))
	    != NULL) {
		connection_write(endpoint->connection, data, length);
		test_assert(buffer_append(&endpoint->received, data, length)
		    == 0);
		connection_input_consume(endpoint->connection, length);
	}
	if (buffer_length(&endpoint->received) >= ECHO_SIZE)
		connection_close_after_flush(endpoint->connection);
}

static void
test_connection_implicit_tls_echo_and_close(void)
{
	struct fixture f;
	const char *error = NULL;
	unsigned char *data;
	size_t i;

	test_require(fixture_open(&f, true, true));
	test_require(fixture_load_tls(&f));
	f.server.input_hook = echo_then_close_hook;
	f.client.consume = true;
	f.client.stop_on_end = true;
	test_assert_int(connection_start_tls_implicit(f.server.connection,
	    f.server.tls, &error), 0);
	test_assert_int(connection_start_tls_client(f.client.connection,
	    f.client.tls, "localhost", &error), 0);
	/* The context may go; each SSL keeps what it needs. */
	tls_context_unref(&f.server.tls);
	tls_context_unref(&f.client.tls);
	data = malloc(ECHO_SIZE);
	test_require(data != NULL);
	for (i = 0; i < ECHO_SIZE; i++)
		data[i] = (unsigned char)(i % 253);
	connection_write(f.client.connection, data, ECHO_SIZE);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_CLOSED);
	test_assert_int(f.client.end_calls, 1);
	test_assert_int(f.client.end, CONNECTION_END_EOF);
	test_assert_int(buffer_length(&f.client.received), ECHO_SIZE);
	test_assert(memcmp(buffer_data(&f.client.received), data, ECHO_SIZE)
	    == 0);
	free(data);
	fixture_close(&f);
}

static void
test_connection_tls_verification_failure(void)
{
	struct fixture f;
	const char *error = NULL;

	test_require(fixture_open(&f, true, false));
	test_require(fixture_load_tls(&f));
	f.server.consume = true;
	f.client.consume = true;
	f.client.stop_on_end = true;
	test_assert_int(connection_start_tls(f.server.connection, f.server.tls,
	    &error), 0);
	/* The certificate is trusted but names localhost, not this host. */
	test_assert_int(connection_start_tls_client(f.client.connection,
	    f.client.tls, "mx.example.org", &error), 0);
	connection_write(f.client.connection, "never sent\r\n", 12);
	test_assert_int(loop_run(f.loop), 0);
	run_for(f.loop, 50);
	test_assert_int(f.client.end_calls, 1);
	test_assert_int(f.client.end, CONNECTION_END_ERROR);
	test_assert(strstr(f.client.end_reason, "TLS handshake failed") !=
	    NULL);
	test_assert(strstr(f.client.end_reason, "certificate verify failed")
	    != NULL);
	test_assert(strstr(f.client.end_reason, "hostname mismatch") != NULL);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_ERROR);
	test_assert_int(buffer_length(&f.server.received), 0);
	fixture_close(&f);
}

static void
test_connection_tls_plaintext_client_fails(void)
{
	struct fixture f;
	const char *error = NULL;

	test_require(fixture_open(&f, false, false));
	test_require(fixture_load_tls(&f));
	f.server.consume = true;
	f.server.stop_on_end = true;
	test_assert_int(connection_start_tls_implicit(f.server.connection,
	    f.server.tls, &error), 0);
	test_require(write(f.fds[1], "EHLO plaintext.example\r\n", 24) == 24);
	test_assert_int(loop_run(f.loop), 0);
	test_assert_int(f.server.end_calls, 1);
	test_assert_int(f.server.end, CONNECTION_END_ERROR);
	test_assert(strncmp(f.server.end_reason, "TLS handshake failed: ",
	    22) == 0);
	test_assert(strstr(f.server.end_reason, "wrong version number") !=
	    NULL);
	test_assert_int(f.server.input_calls, 0);
	fixture_close(&f);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_connection_write_peek_consume),
		TEST_CASE(test_connection_input_one_byte_at_a_time),
		TEST_CASE(test_connection_high_water_pauses_reading),
		TEST_CASE(test_connection_close_after_flush),
		TEST_CASE(test_connection_close_with_nothing_queued),
		TEST_CASE(test_connection_eof_after_last_input),
		TEST_CASE(test_connection_eof_waits_for_paused_input),
		TEST_CASE(test_connection_timeout),
		TEST_CASE(test_connection_pause_and_resume),
		TEST_CASE(test_connection_free_inside_on_input),
		TEST_CASE(test_connection_starttls),
		TEST_CASE(test_connection_implicit_tls_echo_and_close),
		TEST_CASE(test_connection_tls_verification_failure),
		TEST_CASE(test_connection_tls_plaintext_client_fails),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
