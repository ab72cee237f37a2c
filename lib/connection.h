/* connection.h: one network connection on the loop, plain or TLS.
 *
 * Wraps a libevent bufferevent. The owner (a protocol session) gets
 * callbacks on the loop thread when input arrives, when all output has
 * been written, and when the connection ends. Input is handed over as
 * raw bytes (peek, then consume what was used); the protocol's own
 * resumable parsers (line_reader, smtp_command_parser, smtp_data_reader)
 * split it, so pipelined bytes past the current command stay buffered.
 * The owner bounds what it lets accumulate: the connection stops reading
 * from the socket once CONNECTION_INPUT_HIGH_WATER bytes are buffered.
 *
 * Lifetime: the owner frees the connection with connection_free(), which
 * closes the socket at once (pending output is dropped). To say goodbye
 * politely, write the reply and call connection_close_after_flush(); the
 * on_closed callback fires once the output is gone. No callback fires
 * after connection_free() or after on_closed has been called.
 * All calls are loop-thread only. */
#ifndef SLUICE_CONNECTION_H
#define SLUICE_CONNECTION_H

#include "lib/common.h"
#include "lib/loop.h"
#include "lib/string_view.h"
#include "lib/tls_context.h"

struct connection;

#define CONNECTION_INPUT_HIGH_WATER (256 * 1024)

enum connection_end {
	CONNECTION_END_EOF,       /* peer closed its side */
	CONNECTION_END_ERROR,     /* socket or TLS error */
	CONNECTION_END_TIMEOUT,   /* idle read timeout */
	CONNECTION_END_CLOSED,    /* close_after_flush completed */
};

struct connection_callbacks {
	/* New input is buffered; read it with read_line/input_*. May be
	 * called with nothing new if the owner left input unread. */
	void (*on_input)(struct connection *connection, void *context);
	/* All pending output has been handed to the kernel (optional). */
	void (*on_drained)(struct connection *connection, void *context);
	/* The connection is over; the owner should free it now. */
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

/* Raw input access: look at what is buffered, then consume a prefix. */
size_t connection_input_length(const struct connection *connection);
/* Returns a pointer to up to *length_r contiguous buffered bytes (may be
 * fewer than connection_input_length(); loop until consumed). */
const unsigned char *connection_input_peek(struct connection *connection,
    size_t *length_r);
void connection_input_consume(struct connection *connection, size_t count);

/* Stops reading from the socket (e.g. while a worker job runs or output
 * is backed up) and restarts it; buffered input is kept. Resuming calls
 * on_input soon if input is buffered. */
void connection_pause_input(struct connection *connection);
void connection_resume_input(struct connection *connection);

/* Queues output; never blocks. */
void connection_write(struct connection *connection, const void *data,
    size_t length);
void connection_printf(struct connection *connection, const char *fmt, ...)
    ATTR_PRINTF(2, 3);
size_t connection_output_length(const struct connection *connection);

/* Idle timeout for reads; 0 disables. Re-armed by each read. */
void connection_set_timeout(struct connection *connection,
    unsigned int seconds);

/* Flushes queued output, then ends the connection (on_end with
 * CONNECTION_END_CLOSED). Further input is discarded. */
void connection_close_after_flush(struct connection *connection);

/* Starts server-side TLS after any queued output (the "220 ready"
 * reply) has been written in the clear. Discards already buffered
 * plaintext input (no command injection across STARTTLS). Returns 0, or
 * -1 with error_r. */
int connection_start_tls(struct connection *connection,
    struct tls_context *context, const char **error_r);

/* Client-side TLS for outbound connections (SNI = server_name). */
int connection_start_tls_client(struct connection *connection,
    struct tls_context *context, const char *server_name,
    const char **error_r);

/* Immediately wraps a fresh connection in server TLS (implicit-TLS
 * ports such as 465, 993, 995). Same contract as connection_start_tls. */
#define connection_start_tls_implicit connection_start_tls

bool connection_is_tls(const struct connection *connection);

/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" once the
 * handshake completed, else NULL. Valid while the connection lives. */
const char *connection_tls_description(struct connection *connection);

#endif
