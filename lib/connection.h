/* connection.h: one network connection on the loop, plain or TLS.
 *
 * Wraps a libevent bufferevent. The owner (a protocol session) gets
 * callbacks on the loop thread when input arrives, when all output has
 * been written, and when the connection ends. Input is handed over as
 * raw bytes (peek, then consume what was used); the protocol's own
 * resumable parsers (line_reader, smtp_command_parser, smtp_data_reader)
 * split it, so pipelined bytes past the current command stay buffered.
 * The owner bounds what it lets accumulate: the connection stops reading
 * from the socket once CONNECTION_INPUT_HIGH_WATER bytes are buffered
 * (under TLS, plus at most the rest of one TLS record).
 *
 * Lifetime: the owner frees the connection with connection_free(), which
 * closes the socket at once (pending output is dropped). To say goodbye
 * politely, write the reply and call connection_close_after_flush();
 * on_end(CONNECTION_END_CLOSED) fires once the output is gone. No
 * callback fires after connection_free() or after on_end has been
 * called. Callbacks only ever run from the loop, never from inside one
 * of these calls, and the owner may call connection_free() from inside
 * any callback. All calls are loop-thread only. */
#ifndef SLUICE_CONNECTION_H
#define SLUICE_CONNECTION_H

#include "lib/common.h"
#include "lib/loop.h"
#include "lib/string_view.h"
#include "lib/tls_context.h"

struct connection;

#define CONNECTION_INPUT_HIGH_WATER (256 * 1024)
/* connection_input_peek() returns at most this many bytes at once. */
#define CONNECTION_PEEK_MAX (64 * 1024)

enum connection_end {
	CONNECTION_END_EOF,       /* peer closed its side */
	CONNECTION_END_ERROR,     /* socket or TLS error */
	CONNECTION_END_TIMEOUT,   /* idle read timeout */
	CONNECTION_END_CLOSED,    /* close_after_flush completed */
};

struct connection_callbacks {
	/* New input is buffered; read it with connection_input_peek() and
	 * connection_input_consume(). May be called with nothing new if the
	 * owner left input unread. Not called while input is paused. */
	void (*on_input)(struct connection *connection, void *context);
	/* All pending output has been handed to the kernel (optional). */
	void (*on_drained)(struct connection *connection, void *context);
	/* The connection is over; the owner should free it now. Called
	 * once. EOF is reported only after the owner consumed the input
	 * that came before it (or an unpaused on_input call consumed
	 * nothing more), so pipelined commands before a half-close are not
	 * lost. A failed TLS handshake is CONNECTION_END_ERROR. */
	void (*on_end)(struct connection *connection, enum connection_end end,
	    void *context);
};

/* Takes ownership of a connected, non-blocking fd. peer is the remote
 * address as text ("192.0.2.1", "2001:db8::1", or "unix" for a local
 * socket). */
struct connection *connection_new(struct loop *loop, int fd,
    const char *peer, const struct connection_callbacks *callbacks,
    void *context);
void connection_free(struct connection **connection_p);

const char *connection_peer(const struct connection *connection);

/* Why the connection ended ("connection closed by peer", "TLS handshake
 * failed: error:...:certificate verify failed (self-signed
 * certificate)", "timeout after 300 seconds"), for the owner's log line;
 * NULL if nothing went wrong. Valid while the connection lives. */
const char *connection_end_reason(const struct connection *connection);

/* Raw input access: look at what is buffered, then consume a prefix. */
size_t connection_input_length(const struct connection *connection);
/* Returns the first contiguous run of buffered bytes and sets *length_r
 * to its length: at least min(connection_input_length(), 4096) and at
 * most CONNECTION_PEEK_MAX bytes, so it may be fewer than everything
 * buffered (consume and peek again). Returns NULL with *length_r = 0
 * when nothing is buffered. Valid until the next consume or return to
 * the loop. */
const unsigned char *connection_input_peek(struct connection *connection,
    size_t *length_r);
void connection_input_consume(struct connection *connection, size_t count);

/* Stops reading from the socket (e.g. while a worker job runs or output
 * is backed up) and restarts it; buffered input is kept. Resuming calls
 * on_input soon if input is buffered. */
void connection_pause_input(struct connection *connection);
void connection_resume_input(struct connection *connection);

/* Queues output; never blocks. Ignored after on_end. */
void connection_write(struct connection *connection, const void *data,
    size_t length);
void connection_printf(struct connection *connection, const char *fmt, ...)
    ATTR_PRINTF(2, 3);
size_t connection_output_length(const struct connection *connection);

/* Idle timeout; 0 disables. Ends the connection with
 * CONNECTION_END_TIMEOUT when reading is enabled and nothing arrives, or
 * output is pending and none of it can be written, for that long. Each
 * read or write re-arms it; paused input does not time out. */
void connection_set_timeout(struct connection *connection,
    unsigned int seconds);

/* Discards buffered and further input (on_input is not called again;
 * the socket is still read and emptied so that the close sends FIN, not
 * an RST that could destroy the last reply), flushes queued output and
 * a TLS close_notify, then reports on_end with CONNECTION_END_CLOSED,
 * always later from the loop, never from inside this call. The read
 * timeout is off meanwhile; a write error or write timeout ends it with
 * CONNECTION_END_ERROR or _TIMEOUT instead. */
void connection_close_after_flush(struct connection *connection);

/* Starts server-side TLS. Output queued before the call (the "220
 * ready" reply) is still written in the clear, ahead of the handshake;
 * output queued after it goes out encrypted once the handshake is done.
 * Discards already buffered plaintext input (no command injection across
 * STARTTLS). Returns 0, or -1 with error_r (TLS already active, closing,
 * or OpenSSL setup failure; the connection is unchanged then). */
int connection_start_tls(struct connection *connection,
    struct tls_context *context, const char **error_r);

/* Client-side TLS for outbound connections: SNI = server_name (NULL for
 * none), and if context verifies, the certificate must match
 * server_name. Same buffering rules and returns as
 * connection_start_tls(). */
int connection_start_tls_client(struct connection *connection,
    struct tls_context *context, const char *server_name,
    const char **error_r);

/* Immediately wraps a fresh connection in server TLS (implicit-TLS
 * ports such as 465, 993, 995). Same contract as connection_start_tls. */
#define connection_start_tls_implicit connection_start_tls

/* True once connection_start_tls*() succeeded: from then on no
 * plaintext input can reach the owner. */
bool connection_is_tls(const struct connection *connection);

/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" once the
 * handshake completed, else NULL. Valid while the connection lives. */
const char *connection_tls_description(struct connection *connection);

#endif
