/* smtp_client.c: the blocking ESMTP/LMTP relay client (smtp_client.h):
 * connect, greet, STARTTLS, transactions with PIPELINING, and a
 * thread-safe cache of idle connections.
 *
 * DESIGN: the socket is non-blocking and every wait is a poll() bounded
 * by the deadline of the current stage, so no peer can hold a worker
 * longer than the stage allows. TLS runs over two memory BIOs: OpenSSL
 * never touches the socket, all socket I/O goes through the same
 * deadline-bounded send/recv (with MSG_NOSIGNAL, so a closed peer is an
 * error, not a signal). Replies go through lib/smtp_reply's resumable
 * parser, whose line length and line count bound what a peer can make
 * us hold. A transaction keeps a state per recipient: a reply is given
 * to a recipient only when it is final (a rejected RCPT, or the outcome
 * after the data), so a connection lost after RCPT gave 250 still ends
 * in a made-up 4.4.2 for that recipient. With PIPELINING, MAIL, the
 * RCPTs and DATA go out in batches of at most 8 KiB, each batch's
 * replies read before the next batch is written: both sides' socket
 * buffers hold a whole batch and its replies, so neither side can block
 * the other (RFC 2920 section 3.2 point 4). */
#include "gateway/smtp_client.h"

#include "gateway/spool.h"
#include "lib/alloc.h"
#include "lib/buffer.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/smtp_reply.h"
#include "lib/string_view.h"
#include "lib/tls_context.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* Default stage times in seconds (RFC 5321 4.5.3.2, TLS and QUIT as
 * Postfix has them). */
#define SMTP_CLIENT_DEFAULT_CONNECT 30
#define SMTP_CLIENT_DEFAULT_COMMAND 300
#define SMTP_CLIENT_DEFAULT_DATA_COMMAND 120
#define SMTP_CLIENT_DEFAULT_TLS 60
#define SMTP_CLIENT_DEFAULT_DATA_BLOCK 180
#define SMTP_CLIENT_DEFAULT_FINAL 600
#define SMTP_CLIENT_DEFAULT_QUIT 60
/* QUIT at close waits at most this long: the transaction is over. */
#define SMTP_CLIENT_QUIT_MAX 5

/* Reply bounds: a reply holds at most LINE_MAX * LINES_MAX bytes. */
#define SMTP_CLIENT_LINE_MAX 2048
#define SMTP_CLIENT_LINES_MAX 100

#define SMTP_CLIENT_INPUT_SIZE 16384
#define SMTP_CLIENT_DATA_BLOCK (64 * 1024)
#define SMTP_CLIENT_BATCH_MAX 8192
#define SMTP_CLIENT_PEER_MAX 320
#define SMTP_CLIENT_DESTINATION_MAX 320
#define SMTP_CLIENT_EXTENSIONS_MAX 1024
#define SMTP_CLIENT_KEYWORD_MAX 32
#define SMTP_CLIENT_DETAIL_MAX 256
/* How much of a peer's reply text goes into a log line. */
#define SMTP_CLIENT_LOG_TEXT_MAX 120

enum smtp_client_extension {
	SMTP_CLIENT_EXTENSION_PIPELINING = 1 << 0,
	SMTP_CLIENT_EXTENSION_SIZE = 1 << 1,
	SMTP_CLIENT_EXTENSION_8BITMIME = 1 << 2,
	SMTP_CLIENT_EXTENSION_SMTPUTF8 = 1 << 3,
	SMTP_CLIENT_EXTENSION_DSN = 1 << 4,
	SMTP_CLIENT_EXTENSION_STARTTLS = 1 << 5,
};

static const struct {
	const char *keyword;
	unsigned flag;
} smtp_client_extension_names[] = {
	{ "PIPELINING", SMTP_CLIENT_EXTENSION_PIPELINING },
	{ "SIZE", SMTP_CLIENT_EXTENSION_SIZE },
	{ "8BITMIME", SMTP_CLIENT_EXTENSION_8BITMIME },
	{ "SMTPUTF8", SMTP_CLIENT_EXTENSION_SMTPUTF8 },
	{ "DSN", SMTP_CLIENT_EXTENSION_DSN },
	{ "STARTTLS", SMTP_CLIENT_EXTENSION_STARTTLS },
};

/* Why the connection became unusable. */
enum smtp_client_failure {
	SMTP_CLIENT_FAILURE_NONE,
	SMTP_CLIENT_FAILURE_TIMEOUT,
	SMTP_CLIENT_FAILURE_LOST,     /* EOF, reset, TLS alert */
	SMTP_CLIENT_FAILURE_PROTOCOL, /* garbled or oversized reply */
	SMTP_CLIENT_FAILURE_CLOSING,  /* the peer said 421 */
};

struct smtp_client {
	int fd;
	SSL *ssl;
	BIO *tls_in, *tls_out;   /* owned by ssl */
	char tls_version[32];
	char tls_cipher[64];

	/* The destination, copied: the cache key and the log's dest=. */
	bool lmtp;
	enum smtp_client_tls tls_policy;
	char *host, *unix_path;
	unsigned port;
	char *helo_name;
	char destination_text[SMTP_CLIENT_DESTINATION_MAX];
	char peer[SMTP_CLIENT_PEER_MAX];  /* "host[addr]:port", "unix:path" */

	/* Stage times, in seconds. */
	unsigned connect_timeout, command_timeout, data_command_timeout,
	    tls_timeout, data_timeout, final_timeout, quit_timeout;

	struct smtp_reply_parser *parser;
	unsigned char input[SMTP_CLIENT_INPUT_SIZE];
	size_t input_start, input_end;
	struct buffer output;

	bool esmtp;
	unsigned extensions;
	uint64_t size_limit;      /* SIZE's value, 0: none announced */
	/* The keywords offered: " PIPELINING SIZE ...". */
	char extension_list[SMTP_CLIENT_EXTENSIONS_MAX];

	/* Between transactions with the peer in its initial state. */
	bool ready;
	enum smtp_client_failure failure;
	const char *stage;        /* "after RCPT": for texts and logs */
	char failure_detail[SMTP_CLIENT_DETAIL_MAX];
	unsigned transactions;

	/* Cache bookkeeping, under the cache's lock. */
	uint64_t idle_since_msec;
	struct smtp_client *cache_next;
};

struct smtp_client_cache {
	pthread_mutex_t lock;
	unsigned max_idle;
	uint64_t idle_msec;
	struct smtp_client *idle;   /* newest first */
	unsigned idle_count;
};

/* A recipient's progress through a transaction. */
enum smtp_client_recipient_state {
	SMTP_CLIENT_RECIPIENT_PENDING,  /* no reply yet */
	SMTP_CLIENT_RECIPIENT_ACCEPTED, /* RCPT said 2xx; outcome after data */
	SMTP_CLIENT_RECIPIENT_FINAL,    /* reply holds the outcome */
};

struct smtp_client_transaction {
	struct smtp_client *client;
	struct smtp_client_envelope *envelope;
	const struct iovec *message;
	size_t part_count;
	unsigned char *states;
	size_t accepted_count;
	uint64_t size;
	bool eight_bit;
	bool mail_accepted;
	bool ended;	/* the final dot was answered: the peer reset */
	struct smtp_client_reply mail_reply;
	struct smtp_client_reply last;  /* the last one handed out (log) */
};

static pthread_once_t smtp_client_tls_once = PTHREAD_ONCE_INIT;
static struct tls_context *smtp_client_tls;
static char smtp_client_tls_init_error[SMTP_CLIENT_DETAIL_MAX];

static uint64_t
smtp_client_now_msec(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static uint64_t
smtp_client_deadline(unsigned seconds)
{
	return smtp_client_now_msec() + (uint64_t)seconds * 1000;
}

static unsigned
smtp_client_timeout(unsigned configured, unsigned fallback)
{
	return configured != 0 ? configured : fallback;
}

/* Copies text into dst (size bytes) with every byte outside printable
 * ASCII replaced by '?', and '\n' (between reply lines) by ' '. */
static void
smtp_client_copy_printable(char *dst, size_t size, const char *text)
{
	size_t i;

	for (i = 0; i + 1 < size && text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n')
			dst[i] = ' ';
		else if (c < 0x20 || c > 0x7e)
			dst[i] = '?';
		else
			dst[i] = (char)c;
	}
	dst[i] = '\0';
}

static void
smtp_client_reply_set(struct smtp_client_reply *reply, unsigned code,
    const char *status, const char *fmt, ...) ATTR_PRINTF(4, 5);

/* Fills a made-up reply. */
static void
smtp_client_reply_set(struct smtp_client_reply *reply, unsigned code,
    const char *status, const char *fmt, ...)
{
	char text[SMTP_CLIENT_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(reply, 0, sizeof(*reply));
	reply->code = code;
	snprintf(reply->status, sizeof(reply->status), "%s", status);
	smtp_client_copy_printable(reply->text, sizeof(reply->text), text);
	reply->made_up = true;
}

/* The TLS client context, made once per process. Not verifying: a
 * policy of MAY or ENCRYPT protects against passive listeners only, as
 * Postfix's "may" and "encrypt" levels do. */
static void
smtp_client_tls_init(void)
{
	const char *error;

	smtp_client_tls = tls_context_new_client(false, &error);
	if (smtp_client_tls == NULL)
		snprintf(smtp_client_tls_init_error,
		    sizeof(smtp_client_tls_init_error),
		    "%s", error);
}

/* Marks the connection failed. Returns -1. */
static int
smtp_client_fail(struct smtp_client *client, enum smtp_client_failure failure,
    const char *detail, const char **error_r)
{
	client->failure = failure;
	client->ready = false;
	snprintf(client->failure_detail, sizeof(client->failure_detail), "%s",
	    detail);
	switch (failure) {
	case SMTP_CLIENT_FAILURE_TIMEOUT:
		*error_r = error_set("%s: timeout %s", client->peer,
		    client->stage);
		break;
	case SMTP_CLIENT_FAILURE_LOST:
		*error_r = error_set("%s: lost connection %s: %s",
		    client->peer, client->stage, detail);
		break;
	default:
		*error_r = error_set("%s: %s %s", client->peer, detail,
		    client->stage);
		break;
	}
	return -1;
}

/* The made-up reply that describes the connection's failure. */
static void
smtp_client_failure_reply(const struct smtp_client *client,
    struct smtp_client_reply *reply_r)
{
	switch (client->failure) {
	case SMTP_CLIENT_FAILURE_TIMEOUT:
		smtp_client_reply_set(reply_r, 421, "4.4.2",
		    "timeout %s (%s)", client->stage, client->peer);
		break;
	case SMTP_CLIENT_FAILURE_PROTOCOL:
		smtp_client_reply_set(reply_r, 421, "4.5.0",
		    "protocol error %s (%s: %s)", client->stage,
		    client->peer, client->failure_detail);
		break;
	default:
		smtp_client_reply_set(reply_r, 421, "4.4.2",
		    "lost connection %s (%s)", client->stage, client->peer);
		break;
	}
}

/* Waits until fd is ready for events or the deadline passes. Returns 1
 * (ready, or an error poll reports), 0 (deadline) or -1 (errno). */
static int
smtp_client_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	int ret;

	for (;;) {
		now = smtp_client_now_msec();
		if (now >= deadline)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		ret = poll(&pfd, 1,
		    (int)MIN(deadline - now, (uint64_t)INT_MAX));
		if (ret > 0)
			return 1;
		if (ret < 0 && errno != EINTR)
			return -1;
	}
}

/* smtp_client_wait() on the client's socket; a timeout or an error
 * fails the connection. Returns 0 or -1. */
static int
smtp_client_wait_ready(struct smtp_client *client, short events,
    uint64_t deadline, const char **error_r)
{
	int ret;

	ret = smtp_client_wait(client->fd, events, deadline);
	if (ret == 0)
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_TIMEOUT,
		    "timeout", error_r);
	if (ret < 0)
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_LOST,
		    strerror(errno), error_r);
	return 0;
}

/* Writes all of data to the socket before the deadline. */
static int
smtp_client_socket_write(struct smtp_client *client, const void *data,
    size_t length, uint64_t deadline, const char **error_r)
{
	const unsigned char *p = data;
	ssize_t n;

	while (length > 0) {
		n = send(client->fd, p, length, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			length -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return smtp_client_fail(client,
			    SMTP_CLIENT_FAILURE_LOST, strerror(errno), error_r);
		if (smtp_client_wait_ready(client, POLLOUT, deadline,
		    error_r) < 0)
			return -1;
	}
	return 0;
}

/* Reads what the socket has (at least one byte) before the deadline.
 * Returns the count, or -1 on EOF, error or timeout. */
static ssize_t
smtp_client_socket_read(struct smtp_client *client, void *data, size_t size,
    uint64_t deadline, const char **error_r)
{
	ssize_t n;

	for (;;) {
		n = recv(client->fd, data, size, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0)
			return smtp_client_fail(client,
			    SMTP_CLIENT_FAILURE_LOST, "connection closed by peer",
			    error_r);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return smtp_client_fail(client,
			    SMTP_CLIENT_FAILURE_LOST, strerror(errno), error_r);
		if (smtp_client_wait_ready(client, POLLIN, deadline,
		    error_r) < 0)
			return -1;
	}
}

/* Sends what OpenSSL has written into its output BIO. */
static int
smtp_client_tls_flush(struct smtp_client *client, uint64_t deadline,
    const char **error_r)
{
	unsigned char block[16384];
	int n;

	while (BIO_ctrl_pending(client->tls_out) > 0) {
		n = BIO_read(client->tls_out, block, sizeof(block));
		if (n <= 0)
			break;
		if (smtp_client_socket_write(client, block, (size_t)n,
		    deadline, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Moves bytes from the socket into OpenSSL's input BIO. */
static int
smtp_client_tls_fill(struct smtp_client *client, uint64_t deadline,
    const char **error_r)
{
	unsigned char block[16384];
	ssize_t n;

	n = smtp_client_socket_read(client, block, sizeof(block), deadline,
	    error_r);
	if (n < 0)
		return -1;
	if (BIO_write(client->tls_in, block, (int)n) != (int)n)
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_LOST,
		    "TLS input buffer", error_r);
	return 0;
}

/* Describes OpenSSL's oldest queued error (or the SSL error code) in
 * detail, and empties the queue. */
static void
smtp_client_tls_error(int ssl_error, char *detail, size_t size)
{
	unsigned long error = ERR_get_error();

	if (error != 0)
		ERR_error_string_n(error, detail, size);
	else
		snprintf(detail, size, "TLS error %d", ssl_error);
	ERR_clear_error();
}

/* Writes all of data (through TLS when active) before the deadline. */
static int
smtp_client_write(struct smtp_client *client, const void *data,
    size_t length, uint64_t deadline, const char **error_r)
{
	char detail[SMTP_CLIENT_DETAIL_MAX];
	size_t written;
	int ret;

	if (client->ssl == NULL)
		return smtp_client_socket_write(client, data, length, deadline,
		    error_r);
	while (length > 0) {
		/* A memory BIO takes everything: one call per record. */
		ERR_clear_error();
		ret = SSL_write_ex(client->ssl, data, length, &written);
		if (ret != 1) {
			smtp_client_tls_error(SSL_get_error(client->ssl, ret),
			    detail, sizeof(detail));
			return smtp_client_fail(client,
			    SMTP_CLIENT_FAILURE_LOST, detail, error_r);
		}
		data = (const unsigned char *)data + written;
		length -= written;
		if (smtp_client_tls_flush(client, deadline, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Reads at least one byte (decrypted when TLS is active) into
 * client->input, which must be empty. */
static int
smtp_client_read_input(struct smtp_client *client, uint64_t deadline,
    const char **error_r)
{
	char detail[SMTP_CLIENT_DETAIL_MAX];
	size_t count;
	ssize_t n;
	int ret, ssl_error;

	client->input_start = client->input_end = 0;
	if (client->ssl == NULL) {
		n = smtp_client_socket_read(client, client->input,
		    sizeof(client->input), deadline, error_r);
		if (n < 0)
			return -1;
		client->input_end = (size_t)n;
		return 0;
	}
	for (;;) {
		ERR_clear_error();
		ret = SSL_read_ex(client->ssl, client->input,
		    sizeof(client->input), &count);
		ssl_error = SSL_get_error(client->ssl, ret);
		/* Reading may produce output (a key update's answer). */
		if (smtp_client_tls_flush(client, deadline, error_r) < 0)
			return -1;
		if (ret == 1) {
			client->input_end = count;
			return 0;
		}
		if (ssl_error == SSL_ERROR_WANT_READ) {
			if (smtp_client_tls_fill(client, deadline, error_r) < 0)
				return -1;
			continue;
		}
		if (ssl_error == SSL_ERROR_ZERO_RETURN)
			snprintf(detail, sizeof(detail), "TLS closed by peer");
		else
			smtp_client_tls_error(ssl_error, detail,
			    sizeof(detail));
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_LOST,
		    detail, error_r);
	}
}

/* Reads one reply within timeout seconds. Returns 0 with the reply
 * (owned by the parser, valid until the next read), or -1 (failed). */
static int
smtp_client_read_raw(struct smtp_client *client, unsigned timeout,
    struct smtp_reply *reply_r, const char **error_r)
{
	uint64_t deadline = smtp_client_deadline(timeout);
	const char *error;
	size_t consumed;
	int ret;

	for (;;) {
		if (client->input_start < client->input_end) {
			ret = smtp_reply_parser_next(client->parser,
			    client->input + client->input_start,
			    client->input_end - client->input_start,
			    &consumed, reply_r, &error);
			client->input_start += consumed;
			if (ret > 0)
				return 0;
			if (ret < 0)
				return smtp_client_fail(client,
				    SMTP_CLIENT_FAILURE_PROTOCOL, error,
				    error_r);
		}
		if (smtp_client_read_input(client, deadline, error_r) < 0)
			return -1;
	}
}

/* A parsed reply as the header describes it. */
static void
smtp_client_reply_convert(const struct smtp_reply *reply,
    struct smtp_client_reply *reply_r)
{
	memset(reply_r, 0, sizeof(*reply_r));
	reply_r->code = reply->code;
	snprintf(reply_r->status, sizeof(reply_r->status), "%s",
	    reply->enhanced);
	smtp_client_copy_printable(reply_r->text, sizeof(reply_r->text),
	    reply->text);
}

/* Reads one reply into reply_r. Returns 0 or -1 (failed). */
static int
smtp_client_read_reply(struct smtp_client *client, unsigned timeout,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct smtp_reply reply;

	if (smtp_client_read_raw(client, timeout, &reply, error_r) < 0)
		return -1;
	smtp_client_reply_convert(&reply, reply_r);
	return 0;
}

/* Appends one whole command line (CRLF added) to client->output, which
 * is unbounded: our commands are short. */
static void
smtp_client_append_line(struct smtp_client *client, const char *line)
{
	ASSERT(buffer_printf(&client->output, "%s\r\n", line) == 0);
}

/* Writes client->output (then empties it) within timeout seconds. */
static int
smtp_client_flush(struct smtp_client *client, unsigned timeout,
    const char **error_r)
{
	int ret;

	ret = smtp_client_write(client, buffer_data(&client->output),
	    buffer_length(&client->output), smtp_client_deadline(timeout),
	    error_r);
	buffer_reset(&client->output);
	return ret;
}

/* Sends the one command in client->output and reads its reply. */
static int
smtp_client_command(struct smtp_client *client, const char *stage,
    unsigned timeout, struct smtp_client_reply *reply_r,
    const char **error_r)
{
	client->stage = stage;
	if (smtp_client_flush(client, timeout, error_r) < 0)
		return -1;
	return smtp_client_read_reply(client, timeout, reply_r, error_r);
}

/* Remembers the extensions of an EHLO/LHLO reply (lines after the
 * first: keyword, then parameters). */
static void
smtp_client_parse_extensions(struct smtp_client *client, const char *text)
{
	const char *line = strchr(text, '\n'), *end, *p;
	char keyword[SMTP_CLIENT_KEYWORD_MAX + 1];
	size_t length, used, i;

	client->extensions = 0;
	client->size_limit = 0;
	client->extension_list[0] = '\0';
	used = 0;
	while (line != NULL) {
		line++;
		end = strchr(line, '\n');
		length = end != NULL ? (size_t)(end - line) : strlen(line);
		for (i = 0; i < length && i < SMTP_CLIENT_KEYWORD_MAX &&
		    line[i] != ' ' && line[i] != '='; i++)
			keyword[i] = (char)toupper((unsigned char)line[i]);
		keyword[i] = '\0';
		if (i > 0 && (i == length || line[i] == ' ' ||
		    line[i] == '=') &&
		    used + i + 2 < sizeof(client->extension_list)) {
			client->extension_list[used++] = ' ';
			memcpy(client->extension_list + used, keyword, i + 1);
			used += i;
		}
		for (i = 0; i < ARRAY_LENGTH(smtp_client_extension_names);
		    i++) {
			if (strcmp(keyword,
			    smtp_client_extension_names[i].keyword) == 0)
				client->extensions |=
				    smtp_client_extension_names[i].flag;
		}
		if (strcmp(keyword, "SIZE") == 0) {
			p = line + 4;
			while (*p == ' ')
				p++;
			if (*p >= '0' && *p <= '9')
				client->size_limit = strtoull(p, NULL, 10);
		}
		line = end;
	}
}

/* EHLO (LHLO), and HELO when EHLO gets a 5xx. Fills reply_r with the
 * last reply. */
static int
smtp_client_hello(struct smtp_client *client,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct smtp_reply reply;
	const char *verb = client->lmtp ? "LHLO" : "EHLO";

	client->extensions = 0;
	client->size_limit = 0;
	client->extension_list[0] = '\0';
	client->esmtp = false;
	ASSERT(buffer_printf(&client->output, "%s %s\r\n", verb,
	    client->helo_name) == 0);
	client->stage = client->lmtp ? "after LHLO" : "after EHLO";
	if (smtp_client_flush(client, client->command_timeout, error_r) < 0 ||
	    smtp_client_read_raw(client, client->command_timeout, &reply,
	    error_r) < 0)
		return -1;
	if (reply.code / 100 == 2) {
		client->esmtp = true;
		smtp_client_parse_extensions(client, reply.text);
	}
	smtp_client_reply_convert(&reply, reply_r);
	if (client->esmtp)
		return 0;
	if (client->lmtp || reply.code / 100 != 5) {
		*error_r = error_set("%s refused %s: %u %s", client->peer,
		    verb, reply_r->code, reply_r->text);
		return -1;
	}
	ASSERT(buffer_printf(&client->output, "HELO %s\r\n",
	    client->helo_name) == 0);
	if (smtp_client_command(client, "after HELO", client->command_timeout,
	    reply_r, error_r) < 0)
		return -1;
	if (reply_r->code / 100 != 2) {
		*error_r = error_set("%s refused HELO: %u %s", client->peer,
		    reply_r->code, reply_r->text);
		return -1;
	}
	return 0;
}

/* The TLS handshake over the memory BIOs. Returns 0 or -1 with detail
 * filled (the connection is then unusable). */
static int
smtp_client_handshake(struct smtp_client *client, char *detail,
    size_t detail_size, const char **error_r)
{
	struct in6_addr address6;
	struct in_addr address4;
	uint64_t deadline;
	int ret, ssl_error;

	pthread_once(&smtp_client_tls_once, smtp_client_tls_init);
	if (smtp_client_tls == NULL) {
		snprintf(detail, detail_size, "%s", smtp_client_tls_init_error);
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_LOST,
		    detail, error_r);
	}
	client->stage = "during the TLS handshake";
	client->ssl = SSL_new(tls_context_ssl_ctx(smtp_client_tls));
	client->tls_in = BIO_new(BIO_s_mem());
	client->tls_out = BIO_new(BIO_s_mem());
	if (client->ssl == NULL || client->tls_in == NULL ||
	    client->tls_out == NULL)
		log_panic("smtp_client: out of memory setting up TLS");
	BIO_set_mem_eof_return(client->tls_in, -1);
	SSL_set_bio(client->ssl, client->tls_in, client->tls_out);
	SSL_set_connect_state(client->ssl);
	/* SNI for names only (RFC 6066 3: literal addresses are not
	 * permitted). */
	if (client->host != NULL && client->host[0] != '[' &&
	    inet_pton(AF_INET, client->host, &address4) != 1 &&
	    inet_pton(AF_INET6, client->host, &address6) != 1)
		SSL_set_tlsext_host_name(client->ssl, client->host);
	deadline = smtp_client_deadline(client->tls_timeout);
	for (;;) {
		ERR_clear_error();
		ret = SSL_do_handshake(client->ssl);
		ssl_error = SSL_get_error(client->ssl, ret);
		if (smtp_client_tls_flush(client, deadline, error_r) < 0)
			goto failed;
		if (ret == 1)
			break;
		if (ssl_error == SSL_ERROR_WANT_READ) {
			if (smtp_client_tls_fill(client, deadline, error_r) < 0)
				goto failed;
			continue;
		}
		smtp_client_tls_error(ssl_error, detail, detail_size);
		return smtp_client_fail(client, SMTP_CLIENT_FAILURE_LOST,
		    detail, error_r);
	}
	snprintf(client->tls_version, sizeof(client->tls_version), "%s",
	    SSL_get_version(client->ssl));
	snprintf(client->tls_cipher, sizeof(client->tls_cipher), "%s",
	    SSL_get_cipher_name(client->ssl));
	return 0;
failed:
	snprintf(detail, detail_size, "%s", client->failure_detail);
	return -1;
}

/* Outcome of smtp_client_greet(). */
enum smtp_client_greeting {
	SMTP_CLIENT_GREETING_OK,
	SMTP_CLIENT_GREETING_FAILED,
	/* MAY: the handshake failed; try again without TLS. */
	SMTP_CLIENT_GREETING_RETRY_PLAIN,
};

/* Reads the banner, greets, and starts TLS as the policy says. */
static enum smtp_client_greeting
smtp_client_greet(struct smtp_client *client, bool try_tls,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	char detail[SMTP_CLIENT_DETAIL_MAX];

	client->stage = "while receiving the initial greeting";
	if (smtp_client_read_reply(client, client->command_timeout, reply_r,
	    error_r) < 0) {
		smtp_client_failure_reply(client, reply_r);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	if (reply_r->code != 220) {
		*error_r = error_set("%s greeted with %u %s", client->peer,
		    reply_r->code, reply_r->text);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	if (smtp_client_hello(client, reply_r, error_r) < 0)
		goto hello_failed;
	if (!try_tls || client->tls_policy == SMTP_CLIENT_TLS_NONE)
		return SMTP_CLIENT_GREETING_OK;
	if ((client->extensions & SMTP_CLIENT_EXTENSION_STARTTLS) == 0) {
		if (client->tls_policy == SMTP_CLIENT_TLS_MAY)
			return SMTP_CLIENT_GREETING_OK;
		smtp_client_reply_set(reply_r, 421, "4.7.4",
		    "TLS is required, but was not offered by %s",
		    client->peer);
		*error_r = error_set("%s", reply_r->text);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	smtp_client_append_line(client, "STARTTLS");
	if (smtp_client_command(client, "after STARTTLS", client->tls_timeout,
	    reply_r, error_r) < 0)
		goto hello_failed;
	if (reply_r->code / 100 != 2) {
		if (client->tls_policy == SMTP_CLIENT_TLS_MAY)
			return SMTP_CLIENT_GREETING_OK;
		smtp_client_reply_set(reply_r, 421, "4.7.4",
		    "TLS is required, but %s refused STARTTLS: %u %s",
		    client->peer, reply_r->code, reply_r->text);
		*error_r = error_set("%s", reply_r->text);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	/* Anything after the 220 came before TLS: a man in the middle may
	 * have put it there (the client side of CVE-2011-0411). */
	if (client->input_start != client->input_end) {
		smtp_client_fail(client, SMTP_CLIENT_FAILURE_PROTOCOL,
		    "data after the STARTTLS reply", error_r);
		smtp_client_failure_reply(client, reply_r);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	if (smtp_client_handshake(client, detail, sizeof(detail), error_r)
	    < 0) {
		if (client->tls_policy == SMTP_CLIENT_TLS_MAY) {
			log_info("event=relay_tls_failed dest=%s peer=%s "
			    "error=\"%s\" action=retry_without_tls",
			    client->destination_text, client->peer, detail);
			return SMTP_CLIENT_GREETING_RETRY_PLAIN;
		}
		smtp_client_reply_set(reply_r, 421, "4.7.5",
		    "TLS handshake with %s failed: %s", client->peer, detail);
		*error_r = error_set("%s", reply_r->text);
		return SMTP_CLIENT_GREETING_FAILED;
	}
	/* RFC 3207 4.2: forget what the peer said before TLS. */
	if (smtp_client_hello(client, reply_r, error_r) < 0)
		goto hello_failed;
	return SMTP_CLIENT_GREETING_OK;
hello_failed:
	if (client->failure != SMTP_CLIENT_FAILURE_NONE)
		smtp_client_failure_reply(client, reply_r);
	return SMTP_CLIENT_GREETING_FAILED;
}

static void
smtp_client_disconnect(struct smtp_client *client)
{
	if (client->ssl != NULL) {
		SSL_free(client->ssl);
		client->ssl = NULL;
		client->tls_in = client->tls_out = NULL;
	}
	if (client->fd >= 0) {
		close(client->fd);
		client->fd = -1;
	}
	client->input_start = client->input_end = 0;
	client->tls_version[0] = client->tls_cipher[0] = '\0';
	client->failure = SMTP_CLIENT_FAILURE_NONE;
	buffer_reset(&client->output);
	smtp_reply_parser_free(&client->parser);
	client->parser = smtp_reply_parser_new(SMTP_CLIENT_LINE_MAX,
	    SMTP_CLIENT_LINES_MAX);
}

/* Connects fd to address within the connect timeout. Returns 0, or -1
 * with detail filled. */
static int
smtp_client_connect_address(struct smtp_client *client,
    const struct sockaddr *address, socklen_t address_length,
    char *detail, size_t detail_size)
{
	socklen_t length = sizeof(int);
	int fd, error = 0, ret;

	fd = socket(address->sa_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(detail, detail_size, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, address, address_length) < 0) {
		if (errno != EINPROGRESS) {
			snprintf(detail, detail_size, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		ret = smtp_client_wait(fd, POLLOUT,
		    smtp_client_deadline(client->connect_timeout));
		if (ret == 0) {
			snprintf(detail, detail_size, "connection timed out");
			close(fd);
			return -1;
		}
		if (ret < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
			error = errno;
		if (error != 0) {
			snprintf(detail, detail_size, "%s", strerror(error));
			close(fd);
			return -1;
		}
	}
	client->fd = fd;
	return 0;
}

/* Opens the TCP connection: each address of the host in turn. */
static int
smtp_client_open_tcp(struct smtp_client *client,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct addrinfo hints, *list, *ai;
	char port[16], address[INET6_ADDRSTRLEN + 1];
	char detail[SMTP_CLIENT_DETAIL_MAX] = "no address";
	char literal[INET6_ADDRSTRLEN + 3];
	const char *host = client->host;
	size_t length = strlen(host);
	int ret, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* "[192.0.2.1]" or "[2001:db8::1]": a literal, as in relay.host. */
	if (length > 2 && host[0] == '[' && host[length - 1] == ']' &&
	    length - 2 < sizeof(literal)) {
		memcpy(literal, host + 1, length - 2);
		literal[length - 2] = '\0';
		host = literal;
		hints.ai_flags |= AI_NUMERICHOST;
	}
	snprintf(port, sizeof(port), "%u", client->port);
	ret = getaddrinfo(host, port, &hints, &list);
	if (ret != 0) {
		smtp_client_reply_set(reply_r, 421, "4.4.3",
		    "host name lookup failed for %s: %s", client->host,
		    gai_strerror(ret));
		*error_r = error_set("%s", reply_r->text);
		return -1;
	}
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, address,
		    sizeof(address), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(address, sizeof(address), "?");
		snprintf(client->peer, sizeof(client->peer), "%s[%s]:%u",
		    host, address, client->port);
		if (smtp_client_connect_address(client, ai->ai_addr,
		    ai->ai_addrlen, detail, sizeof(detail)) == 0)
			break;
		log_debug("event=relay_connect_attempt_failed dest=%s "
		    "peer=%s error=\"%s\"", client->destination_text,
		    client->peer, detail);
	}
	freeaddrinfo(list);
	if (client->fd < 0) {
		smtp_client_reply_set(reply_r, 421, "4.4.1",
		    "connect to %s: %s", client->peer, detail);
		*error_r = error_set("%s", reply_r->text);
		return -1;
	}
	/* We buffer ourselves; Nagle would only delay the last segment. */
	setsockopt(client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int
smtp_client_open_unix(struct smtp_client *client,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct sockaddr_un address;
	char detail[SMTP_CLIENT_DETAIL_MAX];

	snprintf(client->peer, sizeof(client->peer), "unix:%s",
	    client->unix_path);
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	if (strlen(client->unix_path) >= sizeof(address.sun_path)) {
		snprintf(detail, sizeof(detail), "socket path too long");
	} else {
		memcpy(address.sun_path, client->unix_path,
		    strlen(client->unix_path));
		if (smtp_client_connect_address(client,
		    (const struct sockaddr *)&address, sizeof(address),
		    detail, sizeof(detail)) == 0)
			return 0;
	}
	smtp_client_reply_set(reply_r, 421, "4.4.1", "connect to %s: %s",
	    client->peer, detail);
	*error_r = error_set("%s", reply_r->text);
	return -1;
}

static void
smtp_client_free(struct smtp_client **client_p)
{
	struct smtp_client *client = *client_p;

	if (client == NULL)
		return;
	*client_p = NULL;
	if (client->ssl != NULL)
		SSL_free(client->ssl);
	if (client->fd >= 0)
		close(client->fd);
	smtp_reply_parser_free(&client->parser);
	buffer_deinit(&client->output);
	free(client->host);
	free(client->unix_path);
	free(client->helo_name);
	free(client);
}

static struct smtp_client *
smtp_client_new(const struct smtp_client_destination *destination,
    const struct smtp_client_options *options)
{
	struct smtp_client *client;

	ASSERT(options->helo_name != NULL && options->helo_name[0] != '\0');
	ASSERT((destination->unix_path != NULL) !=
	    (destination->host != NULL));
	client = alloc_new(struct smtp_client);
	client->fd = -1;
	client->lmtp = destination->lmtp;
	client->tls_policy = destination->tls;
	client->port = destination->port;
	if (destination->host != NULL) {
		client->host = alloc_strdup(destination->host);
		snprintf(client->destination_text,
		    sizeof(client->destination_text), "%s%s:%u",
		    client->lmtp ? "lmtp:" : "", client->host, client->port);
	} else {
		client->unix_path = alloc_strdup(destination->unix_path);
		snprintf(client->destination_text,
		    sizeof(client->destination_text), "%sunix:%s",
		    client->lmtp ? "lmtp:" : "", client->unix_path);
	}
	client->helo_name = alloc_strdup(options->helo_name);
	client->connect_timeout = smtp_client_timeout(options->connect_timeout,
	    SMTP_CLIENT_DEFAULT_CONNECT);
	client->command_timeout = smtp_client_timeout(options->command_timeout,
	    SMTP_CLIENT_DEFAULT_COMMAND);
	client->data_command_timeout = smtp_client_timeout(
	    options->command_timeout, SMTP_CLIENT_DEFAULT_DATA_COMMAND);
	client->tls_timeout = smtp_client_timeout(options->command_timeout,
	    SMTP_CLIENT_DEFAULT_TLS);
	client->quit_timeout = MIN(smtp_client_timeout(
	    options->command_timeout, SMTP_CLIENT_DEFAULT_QUIT),
	    SMTP_CLIENT_QUIT_MAX);
	client->data_timeout = smtp_client_timeout(options->data_timeout,
	    SMTP_CLIENT_DEFAULT_DATA_BLOCK);
	client->final_timeout = smtp_client_timeout(options->final_timeout,
	    SMTP_CLIENT_DEFAULT_FINAL);
	client->parser = smtp_reply_parser_new(SMTP_CLIENT_LINE_MAX,
	    SMTP_CLIENT_LINES_MAX);
	buffer_init(&client->output, 0);
	client->stage = "while connecting";
	return client;
}

/* Whether a helo name can go on a command line as it is. */
static bool
smtp_client_printable_word(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

int
smtp_client_connect(const struct smtp_client_destination *destination,
    const struct smtp_client_options *options, struct smtp_client **client_r,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct smtp_client *client;
	enum smtp_client_greeting greeting;
	char text[SMTP_CLIENT_LOG_TEXT_MAX];
	bool try_tls = true;
	int ret;

	*client_r = NULL;
	client = smtp_client_new(destination, options);
	if (!smtp_client_printable_word(client->helo_name)) {
		smtp_client_reply_set(reply_r, 421, "4.3.5",
		    "our HELO name is not a valid word");
		*error_r = error_set("%s", reply_r->text);
		smtp_client_free(&client);
		return -1;
	}
	for (;;) {
		if (client->unix_path != NULL)
			ret = smtp_client_open_unix(client, reply_r, error_r);
		else
			ret = smtp_client_open_tcp(client, reply_r, error_r);
		if (ret < 0) {
			greeting = SMTP_CLIENT_GREETING_FAILED;
			break;
		}
		greeting = smtp_client_greet(client, try_tls, reply_r,
		    error_r);
		if (greeting != SMTP_CLIENT_GREETING_RETRY_PLAIN)
			break;
		smtp_client_disconnect(client);
		try_tls = false;
	}
	if (greeting != SMTP_CLIENT_GREETING_OK) {
		smtp_client_copy_printable(text, sizeof(text), reply_r->text);
		log_info("event=relay_connect_failed dest=%s peer=%s code=%u "
		    "status=%s reply=\"%s\"", client->destination_text,
		    client->peer[0] != '\0' ? client->peer : "-",
		    reply_r->code, reply_r->status[0] != '\0' ?
		    reply_r->status : "-", text);
		/* Polite when the peer is still listening. */
		smtp_client_close(&client);
		return -1;
	}
	client->ready = true;
	client->stage = "after EHLO";
	log_info("event=relay_connect dest=%s peer=%s protocol=%s tls=%s%s%s"
	    "%s%s extensions=\"%s\"", client->destination_text, client->peer,
	    client->lmtp ? "LMTP" : client->esmtp ? "ESMTP" : "SMTP",
	    client->ssl != NULL ? "yes" : "no",
	    client->ssl != NULL ? " tls_version=" : "", client->tls_version,
	    client->ssl != NULL ? " tls_cipher=" : "", client->tls_cipher,
	    client->extension_list[0] != '\0' ? client->extension_list + 1 :
	    "");
	*client_r = client;
	return 0;
}

/* Appends the RFC 3461 xtext form of s: printable ASCII except '+' and
 * '=' as is, everything else as "+XX". */
static void
smtp_client_append_xtext(struct buffer *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char escaped[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= '!' && c <= '~' && c != '+' && c != '=') {
			ASSERT(buffer_append(out, s, 1) == 0);
			continue;
		}
		escaped[0] = '+';
		escaped[1] = hex[c >> 4];
		escaped[2] = hex[c & 15];
		ASSERT(buffer_append(out, escaped, 3) == 0);
	}
}

/* Whether an address can go between < and > on a command line: no
 * control characters (CR, LF would end the command). */
static bool
smtp_client_address_sendable(const char *address)
{
	for (; *address != '\0'; address++) {
		unsigned char c = (unsigned char)*address;

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Gives recipient i its final reply. */
static void
smtp_client_transaction_finish(struct smtp_client_transaction *transaction,
    size_t i, const struct smtp_client_reply *reply)
{
	transaction->envelope->recipients[i].reply = *reply;
	transaction->states[i] = SMTP_CLIENT_RECIPIENT_FINAL;
	transaction->last = *reply;
}

/* Gives reply to every recipient that has no final one yet. */
static void
smtp_client_transaction_finish_open(
    struct smtp_client_transaction *transaction,
    const struct smtp_client_reply *reply)
{
	size_t i;

	for (i = 0; i < transaction->envelope->recipient_count; i++) {
		if (transaction->states[i] != SMTP_CLIENT_RECIPIENT_FINAL)
			smtp_client_transaction_finish(transaction, i, reply);
	}
}

/* Reads a reply within a transaction. A failure gives every open
 * recipient the made-up reply; a 421 (the peer is closing) gives them
 * the peer's. Returns 0 or -1 (the connection is gone). */
static int
smtp_client_transaction_read(struct smtp_client_transaction *transaction,
    const char *stage, unsigned timeout, struct smtp_client_reply *reply_r,
    const char **error_r)
{
	struct smtp_client *client = transaction->client;
	struct smtp_client_reply failure;

	client->stage = stage;
	if (smtp_client_read_reply(client, timeout, reply_r, error_r) < 0) {
		smtp_client_failure_reply(client, &failure);
		smtp_client_transaction_finish_open(transaction, &failure);
		return -1;
	}
	if (reply_r->code == 421) {
		smtp_client_fail(client, SMTP_CLIENT_FAILURE_CLOSING,
		    "peer closed the session", error_r);
		smtp_client_transaction_finish_open(transaction, reply_r);
		return -1;
	}
	return 0;
}

/* Writes client->output within the transaction (same failure rule). */
static int
smtp_client_transaction_flush(struct smtp_client_transaction *transaction,
    const char *stage, unsigned timeout, const char **error_r)
{
	struct smtp_client *client = transaction->client;
	struct smtp_client_reply failure;

	client->stage = stage;
	if (smtp_client_flush(client, timeout, error_r) < 0) {
		smtp_client_failure_reply(client, &failure);
		smtp_client_transaction_finish_open(transaction, &failure);
		return -1;
	}
	return 0;
}

static void
smtp_client_append_mail(struct smtp_client_transaction *transaction)
{
	struct smtp_client *client = transaction->client;
	const struct smtp_client_envelope *envelope = transaction->envelope;
	struct buffer *out = &client->output;

	ASSERT(buffer_printf(out, "MAIL FROM:<%s>", envelope->mail_from) == 0);
	if (client->extensions & SMTP_CLIENT_EXTENSION_SIZE)
		ASSERT(buffer_printf(out, " SIZE=%llu",
		    (unsigned long long)transaction->size) == 0);
	if (transaction->eight_bit &&
	    (client->extensions & SMTP_CLIENT_EXTENSION_8BITMIME))
		ASSERT(buffer_append_string(out, " BODY=8BITMIME") == 0);
	if (envelope->smtputf8)
		ASSERT(buffer_append_string(out, " SMTPUTF8") == 0);
	if (client->extensions & SMTP_CLIENT_EXTENSION_DSN) {
		if (envelope->ret == SPOOL_RET_FULL)
			ASSERT(buffer_append_string(out, " RET=FULL") == 0);
		else if (envelope->ret == SPOOL_RET_HEADERS)
			ASSERT(buffer_append_string(out, " RET=HDRS") == 0);
		if (envelope->envid != NULL && envelope->envid[0] != '\0') {
			ASSERT(buffer_append_string(out, " ENVID=") == 0);
			smtp_client_append_xtext(out, envelope->envid);
		}
	}
	ASSERT(buffer_append(out, "\r\n", 2) == 0);
}

static void
smtp_client_append_rcpt(struct smtp_client_transaction *transaction,
    size_t i)
{
	struct smtp_client *client = transaction->client;
	const struct smtp_client_recipient *recipient =
	    &transaction->envelope->recipients[i];
	struct buffer *out = &client->output;
	const char *separator = " NOTIFY=", *type_end;
	static const struct {
		unsigned bit;
		const char *name;
	} notify[] = {
		{ SPOOL_NOTIFY_SUCCESS, "SUCCESS" },
		{ SPOOL_NOTIFY_FAILURE, "FAILURE" },
		{ SPOOL_NOTIFY_DELAY, "DELAY" },
	};
	size_t n;

	ASSERT(buffer_printf(out, "RCPT TO:<%s>", recipient->address) == 0);
	if (client->extensions & SMTP_CLIENT_EXTENSION_DSN) {
		if (recipient->notify & SPOOL_NOTIFY_NEVER) {
			ASSERT(buffer_append_string(out, " NOTIFY=NEVER") == 0);
		} else {
			for (n = 0; n < ARRAY_LENGTH(notify); n++) {
				if ((recipient->notify & notify[n].bit) == 0)
					continue;
				ASSERT(buffer_append_string(out, separator)
				    == 0);
				ASSERT(buffer_append_string(out,
				    notify[n].name) == 0);
				separator = ",";
			}
		}
		/* The spool holds ORCPT decoded: "addr-type;address". */
		type_end = recipient->orcpt != NULL ?
		    strchr(recipient->orcpt, ';') : NULL;
		if (type_end != NULL && type_end != recipient->orcpt) {
			ASSERT(buffer_append_string(out, " ORCPT=") == 0);
			ASSERT(buffer_append(out, recipient->orcpt,
			    (size_t)(type_end - recipient->orcpt) + 1) == 0);
			smtp_client_append_xtext(out, type_end + 1);
		}
	}
	ASSERT(buffer_append(out, "\r\n", 2) == 0);
}

/* Handles the reply to RCPT for recipient i. */
static void
smtp_client_rcpt_reply(struct smtp_client_transaction *transaction,
    size_t i, const struct smtp_client_reply *reply)
{
	if (!transaction->mail_accepted) {
		/* The 503 that follows a refused MAIL says nothing. */
		smtp_client_transaction_finish(transaction, i,
		    &transaction->mail_reply);
	} else if (reply->code / 100 == 2) {
		transaction->states[i] = SMTP_CLIENT_RECIPIENT_ACCEPTED;
		transaction->accepted_count++;
	} else {
		smtp_client_transaction_finish(transaction, i, reply);
	}
}

/* Writes the message dot-stuffed, in blocks, then the final dot. */
static int
smtp_client_send_body(struct smtp_client_transaction *transaction,
    const char **error_r)
{
	struct smtp_client *client = transaction->client;
	struct buffer *out = &client->output;
	struct smtp_client_reply failure;
	unsigned char tail[2] = { '\r', '\n' };
	const unsigned char *data;
	const unsigned char *newline;
	bool line_start = true;
	size_t part, i, length, room, take;

	client->stage = "while sending message data";
	buffer_reset(out);
	for (part = 0; part < transaction->part_count; part++) {
		data = transaction->message[part].iov_base;
		length = transaction->message[part].iov_len;
		i = 0;
		while (i < length) {
			/* After any LF, so that a bare LF before a dot can
			 * never end the data early at a lenient peer. */
			if (line_start && data[i] == '.')
				ASSERT(buffer_append(out, ".", 1) == 0);
			room = buffer_length(out) < SMTP_CLIENT_DATA_BLOCK ?
			    SMTP_CLIENT_DATA_BLOCK - buffer_length(out) : 1;
			take = MIN(length - i, room);
			newline = memchr(data + i, '\n', take);
			if (newline != NULL)
				take = (size_t)(newline - (data + i)) + 1;
			ASSERT(buffer_append(out, data + i, take) == 0);
			line_start = newline != NULL;
			if (take >= 2) {
				tail[0] = data[i + take - 2];
				tail[1] = data[i + take - 1];
			} else {
				tail[0] = tail[1];
				tail[1] = data[i];
			}
			i += take;
			if (buffer_length(out) >= SMTP_CLIENT_DATA_BLOCK &&
			    smtp_client_flush(client, client->data_timeout,
			    error_r) < 0)
				goto failed;
		}
	}
	if (tail[0] != '\r' || tail[1] != '\n')
		ASSERT(buffer_append(out, "\r\n", 2) == 0);
	ASSERT(buffer_append(out, ".\r\n", 3) == 0);
	if (smtp_client_flush(client, client->data_timeout, error_r) < 0)
		goto failed;
	return 0;
failed:
	smtp_client_failure_reply(client, &failure);
	smtp_client_transaction_finish_open(transaction, &failure);
	return -1;
}

/* After DATA's reply: the message and the replies to the final dot, or
 * the failure of DATA for the accepted recipients. */
static int
smtp_client_data(struct smtp_client_transaction *transaction,
    const struct smtp_client_reply *data_reply, const char **error_r)
{
	struct smtp_client *client = transaction->client;
	struct smtp_client_reply reply;
	size_t i;

	if (data_reply->code != 354) {
		for (i = 0; i < transaction->envelope->recipient_count; i++) {
			if (transaction->states[i] ==
			    SMTP_CLIENT_RECIPIENT_ACCEPTED)
				smtp_client_transaction_finish(transaction, i,
				    data_reply);
		}
		return 0;
	}
	if (transaction->accepted_count == 0) {
		/* Pipelined DATA went through with no recipient (RFC 2920
		 * 3.1): end it with nothing in it. */
		ASSERT(buffer_append(&client->output, ".\r\n", 3) == 0);
		if (smtp_client_transaction_flush(transaction,
		    "after end of data", client->command_timeout,
		    error_r) < 0 ||
		    smtp_client_transaction_read(transaction,
		    "after end of data", client->final_timeout, &reply,
		    error_r) < 0)
			return -1;
		transaction->ended = true;
		return 0;
	}
	if (smtp_client_send_body(transaction, error_r) < 0)
		return -1;
	if (!client->lmtp) {
		if (smtp_client_transaction_read(transaction,
		    "after end of data", client->final_timeout, &reply,
		    error_r) < 0)
			return -1;
		smtp_client_transaction_finish_open(transaction, &reply);
		transaction->ended = true;
		return 0;
	}
	/* LMTP: one reply per accepted recipient, in RCPT order. */
	for (i = 0; i < transaction->envelope->recipient_count; i++) {
		if (transaction->states[i] != SMTP_CLIENT_RECIPIENT_ACCEPTED)
			continue;
		if (smtp_client_transaction_read(transaction,
		    "after end of data", client->final_timeout, &reply,
		    error_r) < 0)
			return -1;
		smtp_client_transaction_finish(transaction, i, &reply);
	}
	transaction->ended = true;
	return 0;
}

/* MAIL, RCPT..., DATA one at a time. */
static int
smtp_client_lockstep(struct smtp_client_transaction *transaction,
    const char **error_r)
{
	struct smtp_client *client = transaction->client;
	struct smtp_client_reply reply;
	size_t i;

	smtp_client_append_mail(transaction);
	if (smtp_client_transaction_flush(transaction, "after MAIL",
	    client->command_timeout, error_r) < 0 ||
	    smtp_client_transaction_read(transaction, "after MAIL",
	    client->command_timeout, &transaction->mail_reply, error_r) < 0)
		return -1;
	if (transaction->mail_reply.code / 100 != 2) {
		smtp_client_transaction_finish_open(transaction,
		    &transaction->mail_reply);
		return 0;
	}
	transaction->mail_accepted = true;
	for (i = 0; i < transaction->envelope->recipient_count; i++) {
		if (transaction->states[i] != SMTP_CLIENT_RECIPIENT_PENDING)
			continue;
		smtp_client_append_rcpt(transaction, i);
		if (smtp_client_transaction_flush(transaction, "after RCPT",
		    client->command_timeout, error_r) < 0 ||
		    smtp_client_transaction_read(transaction, "after RCPT",
		    client->command_timeout, &reply, error_r) < 0)
			return -1;
		smtp_client_rcpt_reply(transaction, i, &reply);
	}
	if (transaction->accepted_count == 0)
		return 0;
	smtp_client_append_line(client, "DATA");
	if (smtp_client_transaction_flush(transaction, "after DATA",
	    client->data_command_timeout, error_r) < 0 ||
	    smtp_client_transaction_read(transaction, "after DATA",
	    client->data_command_timeout, &reply, error_r) < 0)
		return -1;
	return smtp_client_data(transaction, &reply, error_r);
}

/* MAIL, RCPT... and DATA in batches (see DESIGN). */
static int
smtp_client_pipelined(struct smtp_client_transaction *transaction,
    const char **error_r)
{
	struct smtp_client *client = transaction->client;
	size_t count = transaction->envelope->recipient_count;
	struct smtp_client_reply reply;
	/* Commands: MAIL is SIZE_MAX, a recipient its index, DATA count. */
	size_t *batch, batch_length, next = 0, i;
	bool mail_sent = false, data_sent = false;
	int ret = 0;

	batch = alloc_array(count + 2, sizeof(*batch));
	while (!data_sent) {
		batch_length = 0;
		if (!mail_sent) {
			smtp_client_append_mail(transaction);
			batch[batch_length++] = SIZE_MAX;
			mail_sent = true;
		}
		while (buffer_length(&client->output) < SMTP_CLIENT_BATCH_MAX) {
			while (next < count && transaction->states[next] !=
			    SMTP_CLIENT_RECIPIENT_PENDING)
				next++;
			if (next == count) {
				smtp_client_append_line(client, "DATA");
				batch[batch_length++] = count;
				data_sent = true;
				break;
			}
			smtp_client_append_rcpt(transaction, next);
			batch[batch_length++] = next++;
		}
		if (smtp_client_transaction_flush(transaction,
		    batch[0] == SIZE_MAX ? "after MAIL" : "after RCPT",
		    client->command_timeout, error_r) < 0) {
			ret = -1;
			goto done;
		}
		for (i = 0; i < batch_length; i++) {
			if (batch[i] == SIZE_MAX) {
				if (smtp_client_transaction_read(transaction,
				    "after MAIL", client->command_timeout,
				    &transaction->mail_reply, error_r) < 0) {
					ret = -1;
					goto done;
				}
				transaction->mail_accepted =
				    transaction->mail_reply.code / 100 == 2;
			} else if (batch[i] < count) {
				if (smtp_client_transaction_read(transaction,
				    "after RCPT", client->command_timeout,
				    &reply, error_r) < 0) {
					ret = -1;
					goto done;
				}
				smtp_client_rcpt_reply(transaction, batch[i],
				    &reply);
			} else {
				if (smtp_client_transaction_read(transaction,
				    "after DATA",
				    client->data_command_timeout, &reply,
				    error_r) < 0) {
					ret = -1;
					goto done;
				}
				ret = smtp_client_data(transaction, &reply,
				    error_r);
				goto done;
			}
		}
		if (!transaction->mail_accepted) {
			/* Later batches could only fail: stop here. */
			smtp_client_transaction_finish_open(transaction,
			    &transaction->mail_reply);
			break;
		}
	}
done:
	free(batch);
	return ret;
}

/* Gives every recipient the same made-up reply (nothing was sent). */
static void
smtp_client_refuse_all(struct smtp_client_transaction *transaction,
    unsigned code, const char *status, const char *text)
{
	struct smtp_client_reply reply;

	smtp_client_reply_set(&reply, code, status, "%s", text);
	smtp_client_transaction_finish_open(transaction, &reply);
}

/* Checks what makes the transaction impossible before anything is
 * sent; recipients that can never be sent get their reply here. */
static void
smtp_client_precheck(struct smtp_client_transaction *transaction)
{
	struct smtp_client *client = transaction->client;
	struct smtp_client_envelope *envelope = transaction->envelope;
	struct smtp_client_reply reply;
	char text[SMTP_CLIENT_REPLY_MAX];
	size_t i;

	if (envelope->smtputf8 &&
	    (client->extensions & SMTP_CLIENT_EXTENSION_SMTPUTF8) == 0) {
		snprintf(text, sizeof(text), "SMTPUTF8 is required, but was "
		    "not offered by %s", client->peer);
		smtp_client_refuse_all(transaction, 550, "5.6.7", text);
		return;
	}
	if (client->size_limit > 0 && transaction->size > client->size_limit) {
		snprintf(text, sizeof(text), "message size %llu exceeds size "
		    "limit %llu of %s", (unsigned long long)transaction->size,
		    (unsigned long long)client->size_limit, client->peer);
		smtp_client_refuse_all(transaction, 552, "5.3.4", text);
		return;
	}
	if (!smtp_client_address_sendable(envelope->mail_from)) {
		smtp_client_refuse_all(transaction, 553, "5.1.7",
		    "bad sender address syntax");
		return;
	}
	for (i = 0; i < envelope->recipient_count; i++) {
		if (smtp_client_address_sendable(
		    envelope->recipients[i].address))
			continue;
		smtp_client_reply_set(&reply, 553, "5.1.3",
		    "bad recipient address syntax");
		smtp_client_transaction_finish(transaction, i, &reply);
	}
}

static void
smtp_client_log_transaction(const struct smtp_client_transaction *transaction,
    int ret)
{
	const struct smtp_client *client = transaction->client;
	const struct smtp_client_envelope *envelope = transaction->envelope;
	unsigned delivered = 0, deferred = 0, bounced = 0, code;
	char text[SMTP_CLIENT_LOG_TEXT_MAX];
	size_t i;

	for (i = 0; i < envelope->recipient_count; i++) {
		code = envelope->recipients[i].reply.code;
		if (code / 100 == 2)
			delivered++;
		else if (code / 100 == 5)
			bounced++;
		else
			deferred++;
	}
	smtp_client_copy_printable(text, sizeof(text), transaction->last.text);
	log_info("event=%s dest=%s peer=%s recipients=%zu delivered=%u "
	    "deferred=%u bounced=%u size=%llu code=%u status=%s tls=%s "
	    "pipelining=%s transaction=%u reply=\"%s\"",
	    ret == 0 ? "relay_sent" : "relay_failed",
	    client->destination_text, client->peer, envelope->recipient_count,
	    delivered, deferred, bounced,
	    (unsigned long long)transaction->size, transaction->last.code,
	    transaction->last.status[0] != '\0' ? transaction->last.status :
	    "-", client->ssl != NULL ? "yes" : "no",
	    (client->extensions & SMTP_CLIENT_EXTENSION_PIPELINING) ? "yes" :
	    "no", client->transactions, text);
}

int
smtp_client_send(struct smtp_client *client,
    struct smtp_client_envelope *envelope, const struct iovec *message,
    size_t part_count, const char **error_r)
{
	struct smtp_client_transaction transaction;
	struct smtp_client_reply reply;
	const unsigned char *data;
	size_t i, pending = 0;
	int ret;

	ASSERT(client->ready);
	client->ready = false;
	client->transactions++;
	memset(&transaction, 0, sizeof(transaction));
	transaction.client = client;
	transaction.envelope = envelope;
	transaction.message = message;
	transaction.part_count = part_count;
	transaction.states = alloc_zero(envelope->recipient_count);
	for (i = 0; i < envelope->recipient_count; i++)
		memset(&envelope->recipients[i].reply, 0,
		    sizeof(envelope->recipients[i].reply));
	for (i = 0; i < part_count; i++) {
		data = message[i].iov_base;
		transaction.size += message[i].iov_len;
		transaction.eight_bit = transaction.eight_bit ||
		    string_view_has_8bit(string_view_make(
		    (const char *)data, message[i].iov_len));
	}
	smtp_client_precheck(&transaction);
	for (i = 0; i < envelope->recipient_count; i++) {
		if (transaction.states[i] == SMTP_CLIENT_RECIPIENT_PENDING)
			pending++;
	}
	ret = 0;
	if (pending > 0) {
		if (client->extensions & SMTP_CLIENT_EXTENSION_PIPELINING)
			ret = smtp_client_pipelined(&transaction, error_r);
		else
			ret = smtp_client_lockstep(&transaction, error_r);
	}
	/* Every path above ends with each recipient answered. */
	for (i = 0; i < envelope->recipient_count; i++)
		ASSERT(transaction.states[i] == SMTP_CLIENT_RECIPIENT_FINAL);
	smtp_client_log_transaction(&transaction, ret);
	free(transaction.states);
	if (ret < 0)
		return -1;
	if (pending == 0) {
		/* Nothing was sent: the peer is as it was. */
		client->ready = true;
		return 0;
	}
	/* A transaction that ran to its final dot left the peer reset
	 * (RFC 5321 4.1.1.4); any other needs RSET now (see the header):
	 * reusable means it answered. */
	if (transaction.ended) {
		client->ready = true;
		return 0;
	}
	smtp_client_append_line(client, "RSET");
	if (smtp_client_command(client, "after RSET", client->command_timeout,
	    &reply, error_r) == 0 && reply.code / 100 == 2)
		client->ready = true;
	return 0;
}

int
smtp_client_verify(struct smtp_client *client, const char *address,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	struct smtp_client_reply rset;
	bool utf8 = string_view_has_8bit(string_view_from_cstring(address));
	int ret;

	ASSERT(client->ready);
	/* What could never be sent is answered here, like a send's. */
	if (!smtp_client_address_sendable(address)) {
		smtp_client_reply_set(reply_r, 553, "5.1.3",
		    "control characters in the address");
		return 1;
	}
	if (utf8 && (client->extensions & SMTP_CLIENT_EXTENSION_SMTPUTF8) ==
	    0) {
		smtp_client_reply_set(reply_r, 550, "5.6.7",
		    "%s does not support SMTPUTF8", client->peer);
		return 1;
	}
	client->ready = false;
	ASSERT(buffer_printf(&client->output, "MAIL FROM:<>%s\r\n",
	    utf8 ? " SMTPUTF8" : "") == 0);
	if (smtp_client_command(client, "after MAIL", client->command_timeout,
	    reply_r, error_r) < 0) {
		smtp_client_failure_reply(client, reply_r);
		return -1;
	}
	ret = 0;
	if (reply_r->code / 100 == 2) {
		ASSERT(buffer_printf(&client->output, "RCPT TO:<%s>\r\n",
		    address) == 0);
		if (smtp_client_command(client, "after RCPT",
		    client->command_timeout, reply_r, error_r) < 0) {
			smtp_client_failure_reply(client, reply_r);
			return -1;
		}
		ret = 1;
	}
	/* RSET keeps the connection usable for the next question; a
	 * refused RSET only makes it not reusable. */
	smtp_client_append_line(client, "RSET");
	if (smtp_client_command(client, "after RSET", client->command_timeout,
	    &rset, error_r) == 0 && rset.code / 100 == 2)
		client->ready = true;
	return ret;
}

bool
smtp_client_reusable(struct smtp_client *client)
{
	return client->ready && client->failure == SMTP_CLIENT_FAILURE_NONE;
}

void
smtp_client_close(struct smtp_client **client_p)
{
	struct smtp_client *client = *client_p;
	struct smtp_client_reply reply;
	const char *error;

	if (client == NULL)
		return;
	if (client->fd >= 0 && client->failure == SMTP_CLIENT_FAILURE_NONE) {
		buffer_reset(&client->output);
		smtp_client_append_line(client, "QUIT");
		if (smtp_client_command(client, "after QUIT",
		    client->quit_timeout, &reply, &error) == 0 &&
		    client->ssl != NULL) {
			/* close_notify, best effort. */
			ERR_clear_error();
			if (SSL_shutdown(client->ssl) >= 0)
				(void)smtp_client_tls_flush(client,
				    smtp_client_deadline(1), &error);
			ERR_clear_error();
		}
	}
	if (client->transactions > 0 || client->ready)
		log_debug("event=relay_close dest=%s peer=%s transactions=%u",
		    client->destination_text, client->peer,
		    client->transactions);
	smtp_client_free(client_p);
}

bool
smtp_client_has_extension(const struct smtp_client *client,
    const char *keyword)
{
	const char *p = client->extension_list;
	size_t length = strlen(keyword);

	while (*p == ' ') {
		p++;
		if (strncasecmp(p, keyword, length) == 0 &&
		    (p[length] == ' ' || p[length] == '\0'))
			return true;
		p += strcspn(p, " ");
	}
	return false;
}

bool
smtp_client_is_encrypted(const struct smtp_client *client)
{
	return client->ssl != NULL;
}

/* Connection cache. */

static bool
smtp_client_string_equal(const char *a, const char *b, bool ignore_case)
{
	if (a == NULL || b == NULL)
		return a == b;
	return ignore_case ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static bool
smtp_client_matches(const struct smtp_client *client,
    const struct smtp_client_destination *destination)
{
	return client->lmtp == destination->lmtp &&
	    client->tls_policy == destination->tls &&
	    client->port == destination->port &&
	    smtp_client_string_equal(client->host, destination->host, true) &&
	    smtp_client_string_equal(client->unix_path,
	    destination->unix_path, false);
}

/* Whether an idle connection is still quiet: a peer that closed it (or
 * sent anything, such as a 421 on its idle timeout) makes it readable. */
static bool
smtp_client_alive(const struct smtp_client *client)
{
	struct pollfd pfd = { .fd = client->fd, .events = POLLIN };

	if (client->input_start != client->input_end)
		return false;
	return poll(&pfd, 1, 0) == 0;
}

/* Closes every client of a list (linked through cache_next). */
static void
smtp_client_close_list(struct smtp_client *list)
{
	struct smtp_client *next;

	while (list != NULL) {
		next = list->cache_next;
		list->cache_next = NULL;
		smtp_client_close(&list);
		list = next;
	}
}

/* Moves the expired entries (and, with all, every entry) from the
 * cache to the returned list. Called with the lock held. */
static struct smtp_client *
smtp_client_cache_unlink_expired(struct smtp_client_cache *cache, bool all)
{
	struct smtp_client **link = &cache->idle, *client, *expired = NULL;
	uint64_t now = smtp_client_now_msec();

	while ((client = *link) != NULL) {
		if (!all && now - client->idle_since_msec <= cache->idle_msec) {
			link = &client->cache_next;
			continue;
		}
		*link = client->cache_next;
		client->cache_next = expired;
		expired = client;
		cache->idle_count--;
	}
	return expired;
}

struct smtp_client_cache *
smtp_client_cache_new(unsigned max_idle, unsigned idle_seconds)
{
	struct smtp_client_cache *cache;

	cache = alloc_new(struct smtp_client_cache);
	if (pthread_mutex_init(&cache->lock, NULL) != 0)
		log_panic("smtp_client_cache: pthread_mutex_init failed");
	cache->max_idle = max_idle;
	cache->idle_msec = (uint64_t)idle_seconds * 1000;
	return cache;
}

struct smtp_client *
smtp_client_cache_take(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination)
{
	struct smtp_client **link, *client, *expired;

	for (;;) {
		pthread_mutex_lock(&cache->lock);
		expired = smtp_client_cache_unlink_expired(cache, false);
		for (link = &cache->idle; (client = *link) != NULL;
		    link = &client->cache_next) {
			if (smtp_client_matches(client, destination)) {
				*link = client->cache_next;
				client->cache_next = NULL;
				cache->idle_count--;
				break;
			}
		}
		pthread_mutex_unlock(&cache->lock);
		smtp_client_close_list(expired);
		if (client == NULL || smtp_client_alive(client))
			return client;
		/* The peer went away: no QUIT to a closed connection. */
		client->failure = SMTP_CLIENT_FAILURE_LOST;
		smtp_client_close(&client);
	}
}

void
smtp_client_cache_put(struct smtp_client_cache *cache,
    const struct smtp_client_destination *destination,
    struct smtp_client **client_p)
{
	struct smtp_client *client = *client_p, **link, *evicted = NULL;

	*client_p = NULL;
	if (client == NULL)
		return;
	ASSERT(smtp_client_matches(client, destination));
	if (!smtp_client_reusable(client) || cache->max_idle == 0) {
		smtp_client_close(&client);
		return;
	}
	client->idle_since_msec = smtp_client_now_msec();
	pthread_mutex_lock(&cache->lock);
	client->cache_next = cache->idle;
	cache->idle = client;
	cache->idle_count++;
	if (cache->idle_count > cache->max_idle) {
		/* Evict the oldest (the list's end). */
		for (link = &cache->idle; (*link)->cache_next != NULL;
		    link = &(*link)->cache_next)
			;
		evicted = *link;
		*link = NULL;
		cache->idle_count--;
	}
	pthread_mutex_unlock(&cache->lock);
	smtp_client_close_list(evicted);
}

void
smtp_client_cache_expire(struct smtp_client_cache *cache)
{
	struct smtp_client *expired;

	pthread_mutex_lock(&cache->lock);
	expired = smtp_client_cache_unlink_expired(cache, false);
	pthread_mutex_unlock(&cache->lock);
	smtp_client_close_list(expired);
}

void
smtp_client_cache_free(struct smtp_client_cache **cache_p)
{
	struct smtp_client_cache *cache = *cache_p;
	struct smtp_client *all;

	if (cache == NULL)
		return;
	*cache_p = NULL;
	pthread_mutex_lock(&cache->lock);
	all = smtp_client_cache_unlink_expired(cache, true);
	pthread_mutex_unlock(&cache->lock);
	smtp_client_close_list(all);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}
