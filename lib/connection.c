/* connection.c: a network connection on the loop, plain or TLS, over a
 * libevent bufferevent.
 *
 * DESIGN: the owner reads and writes `bev`, which is the socket
 * bufferevent or, after STARTTLS, an OpenSSL filter stacked on it. The
 * filter is made without BEV_OPT_CLOSE_ON_FREE so that ownership stays
 * explicit: we free the filter, then the socket bufferevent (which
 * closes the fd), then the SSL, and a failed filter_new leaves the plain
 * connection intact. Libevent's writecb only says the top buffer moved
 * on, which under TLS means "handed to OpenSSL", so "drained" is decided
 * by evbuffer callbacks on both output buffers, and close_after_flush
 * waits until the socket's own buffer is empty. Every owner callback
 * runs either from a deferred bufferevent callback or from our own
 * `deferred` event, never from inside an API call, and a depth counter
 * lets the owner free the connection from inside any of them. EOF is
 * held back while unconsumed input remains so that pipelined commands
 * sent just before a half-close are still processed. */
#include "lib/connection.h"

#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

/* connection_input_peek() pulls up at least this much if it is buffered,
 * so parsers see reasonable slices even after many tiny reads. */
#define CONNECTION_PEEK_MIN 4096

#define CONNECTION_REASON_MAX 256

/* Work for the deferred event. */
#define CONNECTION_DEFER_INPUT 0x01  /* offer buffered input, check EOF */
#define CONNECTION_DEFER_OUTPUT 0x02 /* output emptied: drained/closed */

struct connection {
	struct loop *loop;
	/* What the owner reads and writes: socket_bev or the TLS filter. */
	struct bufferevent *bev;
	struct bufferevent *socket_bev;
	struct evbuffer_cb_entry *socket_output_watch;
	struct evbuffer_cb_entry *tls_output_watch;
	struct event *deferred;
	unsigned int deferred_work;
	SSL *ssl;

	char *peer;
	char *tls_description;
	struct connection_callbacks callbacks;
	void *context;
	unsigned int timeout_seconds;

	/* Owner callbacks on the stack; a free inside one waits for it. */
	unsigned int callback_depth;
	bool freed;
	bool ended;
	bool closing;
	bool input_paused;
	bool eof_seen;
	bool tls_established;
	bool tls_shutdown_sent;
	char end_reason[CONNECTION_REASON_MAX];
};

static void connection_dispatch_input(struct connection *connection);

static void
connection_destroy(struct connection *connection)
{
	alloc_free(&connection->peer);
	alloc_free(&connection->tls_description);
	free(connection);
}

/* Call after each owner callback. Returns false when the owner freed the
 * connection inside it; the caller must then return without touching
 * the connection. */
static bool
connection_callback_done(struct connection *connection)
{
	ASSERT(connection->callback_depth > 0);
	connection->callback_depth--;
	if (!connection->freed)
		return true;
	if (connection->callback_depth == 0)
		connection_destroy(connection);
	return false;
}

static void
connection_schedule(struct connection *connection, unsigned int work)
{
	connection->deferred_work |= work;
	event_active(connection->deferred, EV_TIMEOUT, 0);
}

static size_t
connection_evbuffer_length(struct bufferevent *bev, bool output)
{
	return evbuffer_get_length(output ? bufferevent_get_output(bev) :
	    bufferevent_get_input(bev));
}

/* Output not yet handed to the kernel. While closing, bytes waiting for
 * an unfinished handshake are not counted: a peer that never completes
 * it would otherwise hold the connection open with no timer running. */
static size_t
connection_unsent(const struct connection *connection, bool closing)
{
	size_t length;

	length = connection_evbuffer_length(connection->socket_bev, true);
	if (connection->bev != connection->socket_bev &&
	    (!closing || connection->tls_established))
		length += connection_evbuffer_length(connection->bev, true);
	return length;
}

static void
connection_end(struct connection *connection, enum connection_end end)
{
	if (connection->ended)
		return;
	connection->ended = true;
	bufferevent_disable(connection->bev, EV_READ | EV_WRITE);
	connection->callback_depth++;
	connection->callbacks.on_end(connection, end, connection->context);
	(void)connection_callback_done(connection);
}

/* Records why a bufferevent reported an error, for the owner's log. */
static void
connection_note_error(struct connection *connection, const char *what)
{
	/* Half the reason, leaving room for what and the verify result. */
	char text[CONNECTION_REASON_MAX / 2];
	unsigned long tls_error = 0, next;
	long verify_result;
	int socket_error = EVUTIL_SOCKET_ERROR();

	if (connection->ssl != NULL) {
		/* The filter hands its saved errors back newest first. Take
		 * the oldest with a library: it is the most specific, and
		 * libevent also saves bare SSL_get_error() codes (library
		 * 0) among them. */
		while ((next = bufferevent_get_openssl_error(connection->bev))
		    != 0) {
			if (ERR_GET_LIB(next) != 0)
				tls_error = next;
		}
		ERR_clear_error();
	}
	if (tls_error != 0) {
		ERR_error_string_n(tls_error, text, sizeof(text));
		verify_result = SSL_get_verify_result(connection->ssl);
		if ((SSL_get_verify_mode(connection->ssl) & SSL_VERIFY_PEER)
		    != 0 && verify_result != X509_V_OK)
			snprintf(connection->end_reason,
			    sizeof(connection->end_reason), "%s: %s (%s)", what,
			    text, X509_verify_cert_error_string(verify_result));
		else
			snprintf(connection->end_reason,
			    sizeof(connection->end_reason), "%s: %s", what,
			    text);
	} else if (socket_error != 0) {
		snprintf(connection->end_reason, sizeof(connection->end_reason),
		    "%s: %s", what,
		    evutil_socket_error_to_string(socket_error));
	} else {
		snprintf(connection->end_reason, sizeof(connection->end_reason),
		    "%s", what);
	}
}

/* Ends with EOF once the owner has had every chance at the input that
 * came before it: nothing is left, or the last on_input call (not
 * paused) consumed nothing. before is the input length before that
 * call, or 0 when there was none. */
static void
connection_check_eof(struct connection *connection, size_t before)
{
	size_t length;

	if (!connection->eof_seen || connection->ended || connection->closing)
		return;
	length = connection_evbuffer_length(connection->bev, false);
	if (length == 0 || (!connection->input_paused && length == before))
		connection_end(connection, CONNECTION_END_EOF);
	else if (!connection->input_paused)
		connection_schedule(connection, CONNECTION_DEFER_INPUT);
}

static void
connection_dispatch_input(struct connection *connection)
{
	struct evbuffer *input = bufferevent_get_input(connection->bev);
	size_t before;

	if (connection->ended)
		return;
	if (connection->closing) {
		evbuffer_drain(input, evbuffer_get_length(input));
		return;
	}
	if (connection->input_paused)
		return;
	before = evbuffer_get_length(input);
	if (before > 0) {
		connection->callback_depth++;
		connection->callbacks.on_input(connection, connection->context);
		if (!connection_callback_done(connection))
			return;
	}
	connection_check_eof(connection, before);
}

/* Output is empty: finish a close, or tell the owner. */
static void
connection_output_flushed(struct connection *connection)
{
	if (connection->closing) {
		if (connection_unsent(connection, true) > 0)
			return;
		if (connection->tls_established &&
		    !connection->tls_shutdown_sent) {
			/* Say goodbye with close_notify; it goes through the
			 * socket buffer, whose draining brings us back. */
			connection->tls_shutdown_sent = true;
			(void)SSL_shutdown(connection->ssl);
			ERR_clear_error();
			bufferevent_enable(connection->socket_bev, EV_WRITE);
			if (connection_unsent(connection, true) > 0)
				return;
		}
		connection_end(connection, CONNECTION_END_CLOSED);
		return;
	}
	if (connection->callbacks.on_drained == NULL ||
	    connection_unsent(connection, false) > 0)
		return;
	connection->callback_depth++;
	connection->callbacks.on_drained(connection, connection->context);
	(void)connection_callback_done(connection);
}

static void
connection_deferred_run(evutil_socket_t fd, short what, void *arg)
{
	struct connection *connection = arg;
	unsigned int work = connection->deferred_work;

	(void)fd;
	(void)what;
	connection->deferred_work = 0;
	if (connection->ended)
		return;
	if ((work & CONNECTION_DEFER_OUTPUT) != 0) {
		connection->callback_depth++;
		connection_output_flushed(connection);
		if (!connection_callback_done(connection) || connection->ended)
			return;
	}
	if ((work & CONNECTION_DEFER_INPUT) != 0)
		connection_dispatch_input(connection);
}

/* Runs synchronously inside libevent whenever an output buffer changes;
 * it only schedules, so the owner is never called from inside a write. */
static void
connection_output_changed(struct evbuffer *buffer,
    const struct evbuffer_cb_info *info, void *arg)
{
	struct connection *connection = arg;

	(void)buffer;
	if (info->n_deleted > 0 && connection_unsent(connection, false) == 0)
		connection_schedule(connection, CONNECTION_DEFER_OUTPUT);
}

static void
connection_readable(struct bufferevent *bev, void *arg)
{
	(void)bev;
	connection_dispatch_input(arg);
}

static void
connection_tls_established(struct connection *connection)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(connection->ssl);
	int secret_bits, algorithm_bits = 0;

	connection->tls_established = true;
	if (cipher == NULL)
		return;
	secret_bits = SSL_CIPHER_get_bits(cipher, &algorithm_bits);
	connection->tls_description = alloc_printf(
	    "%s with cipher %s (%d/%d bits)", SSL_get_version(connection->ssl),
	    SSL_CIPHER_get_name(cipher), secret_bits, algorithm_bits);
}

static void
connection_event(struct bufferevent *bev, short what, void *arg)
{
	struct connection *connection = arg;

	(void)bev;
	if (connection->ended)
		return;
	/* Deferred callbacks merge events, so CONNECTED may come with EOF
	 * or ERROR in one call: record it and go on. */
	if ((what & BEV_EVENT_CONNECTED) != 0 && connection->ssl != NULL &&
	    !connection->tls_established)
		connection_tls_established(connection);
	if ((what & BEV_EVENT_TIMEOUT) != 0) {
		snprintf(connection->end_reason, sizeof(connection->end_reason),
		    "timeout after %u seconds", connection->timeout_seconds);
		connection_end(connection, CONNECTION_END_TIMEOUT);
		return;
	}
	/* Errors before EOF: the two can also arrive together. */
	if ((what & BEV_EVENT_ERROR) != 0) {
		connection_note_error(connection,
		    connection->ssl == NULL ? "socket error" :
		    connection->tls_established ? "TLS error" :
		    "TLS handshake failed");
		connection_end(connection, CONNECTION_END_ERROR);
		return;
	}
	/* While closing, input is thrown away anyway; the flush goes on. */
	if ((what & BEV_EVENT_EOF) == 0 || connection->closing)
		return;
	if (connection->ssl != NULL && !connection->tls_established) {
		snprintf(connection->end_reason, sizeof(connection->end_reason),
		    "TLS handshake failed: connection closed by peer");
		connection_end(connection, CONNECTION_END_ERROR);
		return;
	}
	connection->eof_seen = true;
	snprintf(connection->end_reason, sizeof(connection->end_reason),
	    "connection closed by peer");
	connection_check_eof(connection, 0);
}

static void
connection_apply_timeouts(struct connection *connection)
{
	struct timeval tv = { (time_t)connection->timeout_seconds, 0 };
	const struct timeval *timeout, *read_timeout;

	/* Reads time out while reading is enabled; writes while output is
	 * stuck. Under TLS the socket's own timeouts catch a peer that
	 * stopped reading, which the filter (whose output always moves on
	 * into the socket buffer) cannot see. While closing, reads are only
	 * discarded, so a quiet peer is no reason to give up the flush. */
	timeout = connection->timeout_seconds > 0 ? &tv : NULL;
	read_timeout = connection->closing ? NULL : timeout;
	bufferevent_set_timeouts(connection->bev, read_timeout, timeout);
	if (connection->bev != connection->socket_bev)
		bufferevent_set_timeouts(connection->socket_bev, read_timeout,
		    timeout);
}

/* Points the top bufferevent's callbacks at us and restores our read
 * bound and enabled directions. */
static void
connection_setup_top(struct connection *connection)
{
	short events = EV_WRITE;

	bufferevent_setcb(connection->bev, connection_readable, NULL,
	    connection_event, connection);
	bufferevent_setwatermark(connection->bev, EV_READ, 0,
	    CONNECTION_INPUT_HIGH_WATER);
	if (!connection->input_paused && !connection->eof_seen)
		events |= EV_READ;
	bufferevent_enable(connection->bev, events);
}

struct connection *
connection_new(struct loop *loop, int fd, const char *peer,
    const struct connection_callbacks *callbacks, void *context)
{
	struct connection *connection;
	struct event_base *base = loop_event_base(loop);

	ASSERT(callbacks->on_input != NULL && callbacks->on_end != NULL);
	connection = alloc_new(struct connection);
	connection->loop = loop;
	connection->peer = alloc_strdup(peer);
	connection->callbacks = *callbacks;
	connection->context = context;
	connection->socket_bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	connection->deferred = event_new(base, -1, 0, connection_deferred_run,
	    connection);
	if (connection->socket_bev == NULL || connection->deferred == NULL)
		log_panic("bufferevent_socket_new/event_new failed");
	connection->bev = connection->socket_bev;
	connection->socket_output_watch = evbuffer_add_cb(
	    bufferevent_get_output(connection->socket_bev),
	    connection_output_changed, connection);
	if (connection->socket_output_watch == NULL)
		log_panic("evbuffer_add_cb failed");
	connection_setup_top(connection);
	return connection;
}

void
connection_free(struct connection **connection_p)
{
	struct connection *connection = *connection_p;

	if (connection == NULL)
		return;
	*connection_p = NULL;
	evbuffer_remove_cb_entry(bufferevent_get_output(connection->socket_bev),
	    connection->socket_output_watch);
	if (connection->bev != connection->socket_bev) {
		evbuffer_remove_cb_entry(
		    bufferevent_get_output(connection->bev),
		    connection->tls_output_watch);
		/* Disabled first so that the filter's delayed unlink cannot
		 * re-enable reading on the freed socket bufferevent. */
		bufferevent_disable(connection->bev, EV_READ | EV_WRITE);
		bufferevent_free(connection->bev);
	}
	bufferevent_disable(connection->socket_bev, EV_READ | EV_WRITE);
	bufferevent_free(connection->socket_bev);
	if (connection->ssl != NULL)
		SSL_free(connection->ssl);
	event_free(connection->deferred);
	connection->bev = NULL;
	connection->socket_bev = NULL;
	connection->ssl = NULL;
	connection->deferred = NULL;
	if (connection->callback_depth > 0)
		connection->freed = true;
	else
		connection_destroy(connection);
}

const char *
connection_peer(const struct connection *connection)
{
	return connection->peer;
}

const char *
connection_end_reason(const struct connection *connection)
{
	return connection->end_reason[0] != '\0' ? connection->end_reason :
	    NULL;
}

size_t
connection_input_length(const struct connection *connection)
{
	return connection_evbuffer_length(connection->bev, false);
}

const unsigned char *
connection_input_peek(struct connection *connection, size_t *length_r)
{
	struct evbuffer *input = bufferevent_get_input(connection->bev);
	struct evbuffer_iovec first;
	size_t total = evbuffer_get_length(input), want;
	unsigned char *data;

	if (total == 0) {
		*length_r = 0;
		return NULL;
	}
	if (evbuffer_peek(input, -1, NULL, &first, 1) < 1)
		log_panic("evbuffer_peek found no chunk in %zu bytes", total);
	/* The first chunk is used as it is unless it is small; pulling up
	 * only then keeps the copying linear in the bytes received. */
	if (first.iov_len >= MIN(total, CONNECTION_PEEK_MIN)) {
		*length_r = MIN(first.iov_len, CONNECTION_PEEK_MAX);
		return first.iov_base;
	}
	want = MIN(total, CONNECTION_PEEK_MAX);
	data = evbuffer_pullup(input, (ev_ssize_t)want);
	if (data == NULL)
		log_panic("evbuffer_pullup(%zu) failed", want);
	*length_r = want;
	return data;
}

void
connection_input_consume(struct connection *connection, size_t count)
{
	struct evbuffer *input = bufferevent_get_input(connection->bev);

	ASSERT(count <= evbuffer_get_length(input));
	evbuffer_drain(input, count);
	if (connection->eof_seen && evbuffer_get_length(input) == 0)
		connection_schedule(connection, CONNECTION_DEFER_INPUT);
}

void
connection_pause_input(struct connection *connection)
{
	connection->input_paused = true;
	if (!connection->ended && !connection->closing)
		bufferevent_disable(connection->bev, EV_READ);
}

void
connection_resume_input(struct connection *connection)
{
	if (!connection->input_paused)
		return;
	connection->input_paused = false;
	if (connection->ended || connection->closing)
		return;
	if (!connection->eof_seen)
		bufferevent_enable(connection->bev, EV_READ);
	if (connection->eof_seen || connection_input_length(connection) > 0)
		connection_schedule(connection, CONNECTION_DEFER_INPUT);
}

void
connection_write(struct connection *connection, const void *data,
    size_t length)
{
	struct evbuffer *output;
	ssize_t sent;

	if (connection->ended || length == 0)
		return;
	/* Plaintext with nothing queued: send at once. Buffering would
	 * cost two epoll_ctl calls (enable, then disable, the write event)
	 * for what is nearly always one small reply the socket takes
	 * whole. What the socket does not take is queued as before; an
	 * error is left for the buffered write to find and report. */
	output = bufferevent_get_output(connection->bev);
	if (connection->bev == connection->socket_bev &&
	    connection->ssl == NULL && !connection->closing &&
	    evbuffer_get_length(output) == 0) {
		sent = send(bufferevent_getfd(connection->bev), data, length,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0) {
			data = (const char *)data + sent;
			length -= (size_t)sent;
			if (length == 0) {
				/* As a drained buffer would have said. */
				connection_schedule(connection,
				    CONNECTION_DEFER_OUTPUT);
				return;
			}
		}
	}
	if (bufferevent_write(connection->bev, data, length) < 0)
		log_panic("bufferevent_write(%zu) failed", length);
}

void
connection_printf(struct connection *connection, const char *fmt, ...)
{
	va_list ap;
	int written;

	if (connection->ended)
		return;
	va_start(ap, fmt);
	written = evbuffer_add_vprintf(bufferevent_get_output(connection->bev),
	    fmt, ap);
	va_end(ap);
	if (written < 0)
		log_panic("evbuffer_add_vprintf failed");
}

size_t
connection_output_length(const struct connection *connection)
{
	return connection_unsent(connection, false);
}

void
connection_set_timeout(struct connection *connection, unsigned int seconds)
{
	connection->timeout_seconds = seconds;
	connection_apply_timeouts(connection);
}

void
connection_close_after_flush(struct connection *connection)
{
	struct evbuffer *input = bufferevent_get_input(connection->bev);

	if (connection->closing || connection->ended)
		return;
	connection->closing = true;
	evbuffer_drain(input, evbuffer_get_length(input));
	/* Keep reading, and throw it away: closing a TCP socket with unread
	 * input makes the kernel send RST instead of FIN, and an RST can
	 * destroy our last reply before the client reads it. */
	connection_apply_timeouts(connection);
	if (!connection->eof_seen)
		bufferevent_enable(connection->bev, EV_READ);
	/* Even with nothing queued, the end is reported from the loop, not
	 * from inside this call. */
	connection_schedule(connection, CONNECTION_DEFER_OUTPUT);
}

static int
connection_tls_failed(SSL *ssl, const char *what, const char **error_r)
{
	char text[CONNECTION_REASON_MAX];
	unsigned long error = ERR_get_error();

	if (error != 0) {
		ERR_error_string_n(error, text, sizeof(text));
		*error_r = error_set("%s: %s", what, text);
	} else {
		*error_r = error_set("%s", what);
	}
	ERR_clear_error();
	if (ssl != NULL)
		SSL_free(ssl);
	return -1;
}

static int
connection_wrap_tls(struct connection *connection,
    struct tls_context *context, enum bufferevent_ssl_state state,
    const char *server_name, const char **error_r)
{
	SSL_CTX *ssl_ctx = tls_context_ssl_ctx(context);
	struct evbuffer *input;
	struct bufferevent *filter;
	SSL *ssl;

	if (connection->ssl != NULL) {
		*error_r = error_set("TLS is already active");
		return -1;
	}
	if (connection->ended || connection->closing) {
		*error_r = error_set("connection is closing");
		return -1;
	}
	ssl = SSL_new(ssl_ctx);
	if (ssl == NULL)
		return connection_tls_failed(NULL, "SSL_new", error_r);
	if (server_name != NULL) {
		if (SSL_set_tlsext_host_name(ssl, server_name) != 1)
			return connection_tls_failed(ssl, "TLS server name",
			    error_r);
		if ((SSL_CTX_get_verify_mode(ssl_ctx) & SSL_VERIFY_PEER) != 0) {
			SSL_set_hostflags(ssl,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(ssl, server_name) != 1)
				return connection_tls_failed(ssl,
				    "TLS host name check", error_r);
		}
	}

	/* Plaintext that is already buffered was sent before the handshake,
	 * where anyone on the path could have injected it (CVE-2011-0411):
	 * it must never be read as if it had come over TLS. Queued output
	 * (the "220 ready" reply) stays ahead of the handshake bytes in the
	 * socket's output buffer and so leaves in the clear. */
	input = bufferevent_get_input(connection->socket_bev);
	evbuffer_drain(input, evbuffer_get_length(input));

	filter = bufferevent_openssl_filter_new(
	    loop_event_base(connection->loop), connection->socket_bev, ssl,
	    state, BEV_OPT_DEFER_CALLBACKS);
	if (filter == NULL) {
		/* The plain connection is still whole; take it back. */
		connection_setup_top(connection);
		return connection_tls_failed(ssl, "TLS setup failed", error_r);
	}
	/* Many SMTP peers close TCP without close_notify; SMTP frames its
	 * own data, so that is an ordinary EOF rather than an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	connection->ssl = ssl;
	connection->bev = filter;
	connection->tls_output_watch = evbuffer_add_cb(
	    bufferevent_get_output(filter), connection_output_changed,
	    connection);
	if (connection->tls_output_watch == NULL)
		log_panic("evbuffer_add_cb failed");
	connection_setup_top(connection);
	connection_apply_timeouts(connection);
	return 0;
}

int
connection_start_tls(struct connection *connection,
    struct tls_context *context, const char **error_r)
{
	return connection_wrap_tls(connection, context,
	    BUFFEREVENT_SSL_ACCEPTING, NULL, error_r);
}

int
connection_start_tls_client(struct connection *connection,
    struct tls_context *context, const char *server_name,
    const char **error_r)
{
	return connection_wrap_tls(connection, context,
	    BUFFEREVENT_SSL_CONNECTING, server_name, error_r);
}

bool
connection_is_tls(const struct connection *connection)
{
	return connection->ssl != NULL;
}

const char *
connection_tls_description(struct connection *connection)
{
	return connection->tls_description;
}
