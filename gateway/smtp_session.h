/* smtp_session.h: the inbound SMTP server, one session per connection.
 *
 * A session is a state machine on the loop thread: it reads commands
 * through line_reader/smtp_command_parser, runs each through the command
 * table in smtp_commands.c (check, optional asynchronous stage, proceed),
 * reads DATA through smtp_data_reader or BDAT chunks as raw octets and
 * hands the finished transaction to worker jobs; the client gets its 250
 * only after the spool file is fsynced. A new connection is first
 * counted in server->client_limits (421 4.7.0 over a per-client limit). Sessions are owned by the server's session list and free
 * themselves when the connection ends (deferred while a job runs). */
#ifndef SLUICE_SMTP_SESSION_H
#define SLUICE_SMTP_SESSION_H

#include "lib/common.h"
#include "gateway/listener.h"
#include "gateway/server.h"

/* Accepts a new SMTP client on fd (listener callback). */
void smtp_session_accept(struct listener *listener, int fd, const char *peer,
    void *context);

/* Begins a graceful stop of every session: idle ones get 421 now; ones
 * in DATA or with a job in flight finish their transaction first. */
void smtp_session_shutdown_all(struct server *server);

/* Cuts off every remaining session (shutdown deadline). */
void smtp_session_abort_all(struct server *server);

#endif
