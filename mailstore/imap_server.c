/* imap_server.c: IMAP sessions: accept, input, command dispatch, jobs,
 * output, IDLE and change notices, timeouts, shutdown.
 *
 * DESIGN: one command at a time per session. Input is parsed only while
 * the session is not busy; bytes that arrive meanwhile (pipelined
 * commands) wait in the connection's buffer, which stops reading at its
 * high-water mark. A command's handler runs on the loop or, flagged
 * IMAP_HANDLER_JOB, on an io worker that owns the session until the job
 * is done (the loop then touches only the connection). Responses collect
 * in session->out and are written when the run() returns; a run() that
 * returns MORE is submitted again once the connection has drained what
 * it wrote, so a FETCH of a whole large mailbox needs memory for one
 * slice, not for the mailbox. The command table is the union of the
 * per-group tables in imap_command_*.c. */
#include "mailstore/imap_session.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

struct imap_server {
	struct loop *loop;
	struct worker_pool *io_workers;
	struct mailbox_notify *notify;
	struct auth_verify *verify;
	struct auth_throttle *throttle;
	struct imap_server_settings settings;
	struct tls_context *tls;
	struct imap_session *sessions;
	size_t session_count;
	bool stopping;
	void (*stopped)(void *context);
	void *stopped_context;
};

static void imap_session_process(struct imap_session *session);
static void imap_session_finish_command(struct imap_session *session);
static void imap_session_job_done(void *context);

static const struct imap_command_handler *const imap_server_tables[] = {
	imap_command_any_handlers,
	imap_command_auth_handlers,
	imap_command_mailbox_handlers,
	imap_command_append_handlers,
	imap_command_message_handlers,
};

/* The handler for name; with uid, one flagged IMAP_HANDLER_UID (EXPUNGE
 * and UID EXPUNGE are different handlers with the same name). */
static const struct imap_command_handler *
imap_server_find_handler(const char *name, bool uid)
{
	const struct imap_command_handler *handler;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(imap_server_tables); i++)
		for (handler = imap_server_tables[i]; handler->name != NULL;
		    handler++)
			if (strcmp(handler->name, name) == 0 && (!uid ||
			    (handler->flags & IMAP_HANDLER_UID) != 0))
				return handler;
	return NULL;
}

const struct imap_server_settings *
imap_server_settings(const struct imap_server *server)
{
	return &server->settings;
}

struct mailbox_notify *
imap_server_notify(const struct imap_server *server)
{
	return server->notify;
}

struct tls_context *
imap_server_tls(const struct imap_server *server)
{
	return server->tls;
}

struct auth_verify *
imap_server_auth_verify(const struct imap_server *server)
{
	return server->verify;
}

struct auth_throttle *
imap_server_auth_throttle(const struct imap_server *server)
{
	return server->throttle;
}

uint64_t
imap_session_now_msec(const struct imap_session *session)
{
	return loop_now_msec(session->server->loop);
}

/* Responses. */

static void
imap_session_vappend(struct imap_session *session, const char *prefix,
    const char *fmt, va_list args)
{
	va_list copy;
	unsigned char *space;
	int length;

	va_copy(copy, args);
	length = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	ASSERT(length >= 0);
	ASSERT(buffer_append_string(&session->out, prefix) == 0);
	space = buffer_reserve(&session->out, (size_t)length + 1);
	ASSERT(space != NULL);
	(void)vsnprintf((char *)space, (size_t)length + 1, fmt, args);
	buffer_commit(&session->out, (size_t)length);
	ASSERT(buffer_append(&session->out, "\r\n", 2) == 0);
}

void
imap_session_untagged(struct imap_session *session, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	imap_session_vappend(session, "* ", fmt, args);
	va_end(args);
}

void
imap_session_tagged(struct imap_session *session, const char *status,
    const char *fmt, ...)
{
	va_list args;

	ASSERT(buffer_append_string(&session->out,
	    session->command != NULL ? session->command->tag : "*") == 0);
	ASSERT(buffer_append(&session->out, " ", 1) == 0);
	va_start(args, fmt);
	imap_session_vappend(session, status, fmt, args);
	va_end(args);
}

void
imap_session_write(struct imap_session *session, const void *data,
    size_t length)
{
	ASSERT(buffer_append(&session->out, data, length) == 0);
}

void
imap_session_bad(struct imap_session *session, const char *text)
{
	session->bad_count++;
	imap_session_tagged(session, "BAD", " %s", text);
}

/* Writes what the command produced so far. Loop. */
static void
imap_session_flush(struct imap_session *session)
{
	if (buffer_length(&session->out) == 0)
		return;
	connection_write(session->connection, buffer_data(&session->out),
	    buffer_length(&session->out));
	buffer_reset(&session->out);
}

const char *
imap_session_folder_path(struct imap_session *session, const char *name,
    struct arena *arena)
{
	if (strcasecmp(name, "INBOX") == 0)
		return arena_strdup(arena, session->maildir_path);
	return arena_printf(arena, "%s/.%s", session->maildir_path, name);
}

/* Session lifetime. */

static void
imap_session_free(struct imap_session *session)
{
	struct imap_server *server = session->server;

	imap_session_unselect(session);
	loop_timer_free(&session->poll_timer);
	loop_timer_free(&session->delay_timer);
	connection_free(&session->connection);
	imap_parser_free(&session->parser);
	mailbox_index_close(&session->index);
	buffer_deinit(&session->out);
	if (session->prev != NULL)
		session->prev->next = session->next;
	else
		server->sessions = session->next;
	if (session->next != NULL)
		session->next->prev = session->prev;
	server->session_count--;
	if (session->closed != NULL)
		session->closed(session->closed_context);
	arena_free(&session->command_arena);
	{
		/* The session lives in its own arena: free through a copy,
		 * not through a field of the memory being freed. */
		struct arena *arena = session->arena;

		arena_free(&arena);
	}
	if (server->stopping && server->sessions == NULL &&
	    server->stopped != NULL) {
		void (*stopped)(void *context) = server->stopped;

		server->stopped = NULL;
		stopped(server->stopped_context);
	}
}

static void
imap_session_on_end(struct connection *connection, enum connection_end end,
    void *context)
{
	struct imap_session *session = context;
	const char *reason = connection_end_reason(connection);

	(void)end;
	log_info("event=imap_disconnect session=%s client=%s user=%s%s%s%s",
	    session->id, session->peer,
	    session->user != NULL ? session->user : "-",
	    reason != NULL ? " reason=\"" : "", reason != NULL ? reason : "",
	    reason != NULL ? "\"" : "");
	if (session->busy) {
		/* The job still owns the session: it is freed when done. */
		session->state = IMAP_STATE_LOGOUT;
		connection_free(&session->connection);
		return;
	}
	imap_session_free(session);
}

/* Says goodbye after the output so far. */
static void
imap_session_close(struct imap_session *session, const char *bye)
{
	if (session->connection == NULL) {
		imap_session_free(session);
		return;
	}
	if (bye != NULL)
		imap_session_untagged(session, "BYE %s", bye);
	imap_session_flush(session);
	session->state = IMAP_STATE_LOGOUT;
	connection_close_after_flush(session->connection);
}

/* Jobs. */

static void
imap_session_job_work(void *context)
{
	struct imap_session *session = context;

	session->job_result = session->handler->run(session);
}

static void
imap_session_submit(struct imap_session *session)
{
	session->busy = true;
	worker_pool_submit(session->server->io_workers, imap_session_job_work,
	    imap_session_job_done, session);
}

static void
imap_session_job_done(void *context)
{
	struct imap_session *session = context;

	session->busy = false;
	if (session->connection == NULL) {
		/* The client went away while the job ran. */
		imap_session_free(session);
		return;
	}
	imap_session_flush(session);
	switch (session->job_result) {
	case IMAP_RESULT_CLOSE:
		imap_session_close(session, session->closing_reason);
		return;
	case IMAP_RESULT_MORE:
		/* The next slice once this one is written (on_drained). */
		session->busy = true;
		if (connection_output_length(session->connection) == 0)
			imap_session_submit(session);
		else
			session->waiting_drain = true;
		return;
	case IMAP_RESULT_DONE:
		break;
	}
	imap_session_finish_command(session);
}

static void
imap_session_on_drained(struct connection *connection, void *context)
{
	struct imap_session *session = context;

	(void)connection;
	if (session->waiting_drain) {
		session->waiting_drain = false;
		imap_session_submit(session);
	}
}

struct loop_timer *
imap_session_timer_new(struct imap_session *session,
    void (*callback)(void *context))
{
	return loop_timer_new(session->server->loop, callback, session);
}

void
imap_session_submit_background(struct imap_session *session,
    void (*work)(void *context), void (*done)(void *context))
{
	ASSERT(session->busy);
	worker_pool_submit(session->server->io_workers, work, done, session);
}

void
imap_session_complete(struct imap_session *session, enum imap_result result)
{
	if (session->connection == NULL) {
		imap_session_finish_command(session);
		return;
	}
	imap_session_flush(session);
	if (result == IMAP_RESULT_CLOSE)
		imap_session_close(session, session->closing_reason);
	else if (result == IMAP_RESULT_DONE)
		imap_session_finish_command(session);
}

/* A waiting loop handler (IDLE, AUTHENTICATE) gets the input. */
static void
imap_session_resume_waiting(struct imap_session *session)
{
	enum imap_result result;

	if (session->busy || session->handler == NULL ||
	    (session->handler->flags & IMAP_HANDLER_JOB) != 0 ||
	    connection_input_length(session->connection) == 0)
		return;
	result = session->handler->run(session);
	imap_session_flush(session);
	if (result == IMAP_RESULT_CLOSE)
		imap_session_close(session, session->closing_reason);
	else if (result == IMAP_RESULT_DONE)
		imap_session_finish_command(session);
}

void
imap_session_after_background_job(struct imap_session *session)
{
	if (session->connection == NULL) {
		imap_session_free(session);
		return;
	}
	imap_session_flush(session);
	if (session->closing_reason != NULL) {
		imap_session_close(session, session->closing_reason);
		return;
	}
	if (session->changed && session->idling) {
		imap_session_changed(session);
		return;
	}
	imap_session_resume_waiting(session);
}

int
imap_session_read_line(struct imap_session *session, const char **line_r,
    const char **error_r)
{
	const unsigned char *data;
	size_t length, consumed;
	int ret;

	data = connection_input_peek(session->connection, &length);
	if (data == NULL)
		return 0;
	ret = imap_parser_read_line(session->parser, data, length, &consumed,
	    session->command_arena, line_r, error_r);
	connection_input_consume(session->connection, consumed);
	return ret;
}

/* Runs the handler of the parsed command, on the loop or as a job. */
static void
imap_session_run_command(struct imap_session *session)
{
	enum imap_result result;

	if ((session->handler->flags & IMAP_HANDLER_JOB) != 0) {
		imap_session_submit(session);
		return;
	}
	result = session->handler->run(session);
	imap_session_flush(session);
	if (result == IMAP_RESULT_CLOSE) {
		imap_session_close(session, session->closing_reason);
		return;
	}
	/* A loop handler that waits (IDLE, AUTHENTICATE, a login delay)
	 * leaves session->command set and returns MORE. */
	if (result == IMAP_RESULT_MORE)
		return;
	imap_session_finish_command(session);
}

static void
imap_session_finish_command(struct imap_session *session)
{
	const struct imap_server_settings *settings = &session->server->settings;

	if (session->handler != NULL && session->handler->finish != NULL)
		session->handler->finish(session);
	session->handler = NULL;
	session->command = NULL;
	session->command_state = NULL;
	arena_free(&session->command_arena);
	if (session->connection == NULL) {
		imap_session_free(session);
		return;
	}
	if (session->state == IMAP_STATE_LOGOUT)
		return;
	if (settings->max_bad_commands > 0 &&
	    session->bad_count >= settings->max_bad_commands) {
		imap_session_close(session, "Too many invalid commands");
		return;
	}
	connection_set_timeout(session->connection,
	    session->state == IMAP_STATE_NOT_AUTHENTICATED ?
	    settings->login_timeout_seconds : settings->idle_timeout_seconds);
	if (session->server->stopping) {
		imap_session_close(session, "Server shutting down");
		return;
	}
	/* Pipelined commands may already be buffered. */
	imap_session_process(session);
}

/* Looks the command up and checks it may run now. */
static void
imap_session_dispatch(struct imap_session *session,
    struct imap_command *command)
{
	const struct imap_command_handler *handler;
	const char *name = command->name;

	session->command = command;
	session->args = command->args;
	session->arg_count = command->arg_count;
	session->uid_command = false;
	if (strcmp(name, "UID") == 0) {
		if (command->arg_count == 0 ||
		    command->args[0].type != IMAP_ARG_ATOM) {
			imap_session_bad(session, "UID needs a command");
			goto done;
		}
		session->uid_command = true;
		name = arena_strdup(session->command_arena,
		    command->args[0].text);
		for (char *p = (char *)name; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		session->args = command->args + 1;
		session->arg_count = command->arg_count - 1;
	}
	handler = imap_server_find_handler(name, session->uid_command);
	if (handler == NULL) {
		imap_session_bad(session, "Unknown command");
		goto done;
	}
	if ((handler->states & session->state) == 0) {
		imap_session_bad(session,
		    session->state == IMAP_STATE_NOT_AUTHENTICATED ?
		    "Log in first" : session->state == IMAP_STATE_SELECTED ||
		    (handler->states & IMAP_STATE_SELECTED) == 0 ?
		    "Not allowed now" : "No mailbox selected");
		goto done;
	}
	session->handler = handler;
	imap_session_run_command(session);
	return;
done:
	imap_session_flush(session);
	imap_session_finish_command(session);
}

/* Parses and runs buffered commands until one has to wait. */
static void
imap_session_process(struct imap_session *session)
{
	const unsigned char *data;
	struct imap_command *command;
	const char *tag, *error;
	size_t length, consumed;
	bool continuation;
	int ret;

	while (!session->busy && session->command == NULL &&
	    session->state != IMAP_STATE_LOGOUT &&
	    session->connection != NULL) {
		data = connection_input_peek(session->connection, &length);
		if (data == NULL)
			return;
		if (session->command_arena == NULL)
			session->command_arena = arena_new("imap command",
			    4096);
		ret = imap_parser_next(session->parser, data, length,
		    &consumed, session->command_arena, &command,
		    &continuation, &tag, &error);
		connection_input_consume(session->connection, consumed);
		if (ret == 0) {
			if (continuation) {
				connection_printf(session->connection,
				    "+ Ready for literal data\r\n");
				imap_parser_continue(session->parser);
				continue;
			}
			if (consumed == 0)
				return;
			continue;
		}
		if (ret < 0) {
			session->bad_count++;
			connection_printf(session->connection, "%s BAD %s\r\n",
			    tag != NULL ? tag : "*", error);
			arena_free(&session->command_arena);
			if (session->server->settings.max_bad_commands > 0 &&
			    session->bad_count >=
			    session->server->settings.max_bad_commands) {
				imap_session_close(session,
				    "Too many invalid commands");
				return;
			}
			continue;
		}
		imap_session_dispatch(session, command);
	}
}

static void
imap_session_on_input(struct connection *connection, void *context)
{
	struct imap_session *session = context;

	(void)connection;
	if (session->command != NULL) {
		/* IDLE's DONE and AUTHENTICATE's lines go to their
		 * handlers; other input waits for the command to end. */
		imap_session_resume_waiting(session);
		return;
	}
	imap_session_process(session);
}

static const struct connection_callbacks imap_session_callbacks = {
	.on_input = imap_session_on_input,
	.on_drained = imap_session_on_drained,
	.on_end = imap_session_on_end,
};

void
imap_server_accept(struct imap_server *server, int fd, const char *peer,
    bool implicit_tls, bool plaintext_auth, void (*closed)(void *context),
    void *context)
{
	static uint64_t next_id;
	struct arena *arena = arena_new("imap session", 2048);
	struct imap_session *session = arena_new_type(arena,
	    struct imap_session);
	const char *error;

	session->arena = arena;
	session->server = server;
	session->closed = closed;
	session->closed_context = context;
	snprintf(session->id, sizeof(session->id), "i%08llx",
	    (unsigned long long)++next_id);
	session->peer = arena_strdup(arena, peer);
	session->plaintext_auth = plaintext_auth;
	session->state = IMAP_STATE_NOT_AUTHENTICATED;
	session->parser = imap_parser_new(&server->settings.limits);
	buffer_init(&session->out, 0);
	session->connection = connection_new(server->loop, fd, peer,
	    &imap_session_callbacks, session);
	session->next = server->sessions;
	if (session->next != NULL)
		session->next->prev = session;
	server->sessions = session;
	server->session_count++;
	log_info("event=imap_connect session=%s client=%s%s", session->id,
	    peer, implicit_tls ? " tls=implicit" : "");
	if (implicit_tls && (server->tls == NULL ||
	    connection_start_tls_implicit(session->connection, server->tls,
	    &error) < 0)) {
		log_warn("event=imap_tls_failed session=%s client=%s",
		    session->id, peer);
		imap_session_free(session);
		return;
	}
	connection_set_timeout(session->connection,
	    server->settings.login_timeout_seconds);
	imap_session_untagged(session, "OK [CAPABILITY %s] %s IMAP ready",
	    imap_session_capabilities(session), server->settings.hostname);
	imap_session_flush(session);
}

/* Server lifetime. */

static void
imap_server_free_settings(struct imap_server_settings *settings)
{
	free((char *)settings->hostname);
	free((char *)settings->mail_root);
	free((char *)settings->accounts_path);
}

void
imap_server_set_settings(struct imap_server *server,
    const struct imap_server_settings *settings)
{
	struct imap_server_settings old = server->settings;

	server->settings = *settings;
	server->settings.hostname = alloc_strdup(settings->hostname);
	server->settings.mail_root = alloc_strdup(settings->mail_root);
	server->settings.accounts_path = alloc_strdup(settings->accounts_path);
	imap_server_free_settings(&old);
}

struct imap_server *
imap_server_new(struct loop *loop, struct worker_pool *io_workers,
    struct mailbox_notify *notify, struct auth_verify *verify,
    struct auth_throttle *throttle,
    const struct imap_server_settings *settings)
{
	struct imap_server *server = alloc_new(struct imap_server);

	server->loop = loop;
	server->io_workers = io_workers;
	server->notify = notify;
	server->verify = verify;
	server->throttle = throttle;
	imap_server_set_settings(server, settings);
	return server;
}

void
imap_server_set_tls(struct imap_server *server, struct tls_context *tls)
{
	if (tls != NULL)
		tls_context_ref(tls);
	tls_context_unref(&server->tls);
	server->tls = tls;
}

size_t
imap_server_session_count(const struct imap_server *server)
{
	return server->session_count;
}

void
imap_server_stop(struct imap_server *server, void (*done)(void *context),
    void *context)
{
	struct imap_session *session, *next;

	server->stopping = true;
	server->stopped = done;
	server->stopped_context = context;
	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (!session->busy && session->state != IMAP_STATE_LOGOUT)
			imap_session_close(session, "Server shutting down");
	}
	if (server->sessions == NULL && server->stopped != NULL) {
		server->stopped = NULL;
		done(context);
	}
}

void
imap_server_abort(struct imap_server *server)
{
	struct imap_session *session, *next;

	server->stopping = true;
	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->busy) {
			/* Freed when its job is done (worker_pool_free). */
			session->state = IMAP_STATE_LOGOUT;
			connection_free(&session->connection);
			continue;
		}
		imap_session_free(session);
	}
}

void
imap_server_free(struct imap_server **server_p)
{
	struct imap_server *server = *server_p;

	if (server == NULL)
		return;
	ASSERT(server->sessions == NULL);
	tls_context_unref(&server->tls);
	imap_server_free_settings(&server->settings);
	free(server);
	*server_p = NULL;
}
