/* pop3_server.c: POP3 sessions: accept, command dispatch, login with
 * throttling and the maildrop lock, the INBOX snapshot, RETR/TOP
 * streaming, the QUIT update, timeouts and shutdown.
 *
 * DESIGN: one command at a time per session, as in imap_server.c. Input
 * is read only while the session is not busy; pipelined commands wait in
 * the connection's buffer. A busy session belongs to a worker job (a
 * login, a slice of a RETR or TOP, the QUIT update), to the login delay
 * timer, or to a long answer waiting for the client to read the previous
 * slice (the loop then touches only the connection). Answers collect in
 * session->out and are written when the step ends. The maildrop is the
 * snapshot taken at login: numbers, sizes and UIDs never change during
 * the session, whatever IMAP sessions or deliveries do meanwhile (RFC
 * 1939 section 8); a message expunged meanwhile answers RETR with -ERR. */
#include "mailstore/pop3_server.h"
#include "mailstore/local_delivery.h"
#include "mailstore/mailbox_index.h"
#include "mailstore/pop3_command.h"
#include "mailstore/sasl_plain.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/connection.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

/* Lines of LIST or UIDL written before waiting for the client. */
#define POP3_LISTING_SLICE 2048
/* Bytes read from a message file at once. */
#define POP3_READ_CHUNK (64 * 1024)

enum pop3_state {
	POP3_STATE_AUTHORIZATION,
	POP3_STATE_TRANSACTION,
	POP3_STATE_CLOSING,	/* output flushing, then closed */
};

struct pop3_server {
	struct loop *loop;
	struct worker_pool *io_workers;
	struct mailbox_notify *notify;
	struct auth_verify *verify;
	struct auth_throttle *throttle;
	struct pop3_server_settings settings;
	struct tls_context *tls;
	struct pop3_session *sessions;
	size_t session_count;
	bool stopping;
	void (*stopped)(void *context);
	void *stopped_context;
};

/* A RETR or TOP answer in progress. */
struct pop3_send {
	size_t position;	/* 0-based message */
	int fd;			/* -1 until the first slice opened it */
	bool top;
	unsigned lines_left;	/* TOP: body lines still to send */
	bool in_body;
	bool line_start;
	bool pending_cr;	/* a CR read, not yet known to end a line */
	bool finished;
};

/* A login in progress, written by the job and read by its done(). */
struct pop3_login {
	struct auth_verify_job job;
	struct mailbox_index *index;
	char *maildir_path;	/* alloc */
	int lock_fd;
	bool in_use;
	char error[256];
	struct arena *maildrop_arena;
	struct mailbox_message *messages;
	size_t message_count;
	uint32_t uidvalidity;
};

struct pop3_session {
	struct pop3_server *server;
	struct pop3_session *prev, *next;
	struct connection *connection;
	struct pop3_command_reader *reader;
	struct arena *arena;
	char id[24];
	char *peer;
	bool plaintext_auth;
	enum pop3_state state;
	unsigned bad_count;
	struct buffer out;

	/* AUTHORIZATION. */
	char login_name[SASL_PLAIN_AUTHCID_MAX + 1];	/* USER; "" none */
	bool auth_continuation;	/* the next line answers AUTH's "+ " */
	struct pop3_login login;
	struct loop_timer *delay_timer;

	/* TRANSACTION: the maildrop. */
	char *user;
	char *maildir_path;		/* alloc */
	struct mailbox_index *index;	/* used by jobs only */
	int lock_fd;
	struct arena *maildrop_arena;
	struct mailbox_message *messages;
	bool *deleted;
	size_t message_count;
	uint32_t uidvalidity;

	/* The step that owns the session. */
	bool busy;
	void (*job)(struct pop3_session *session);	/* on a worker */
	void (*after_job)(struct pop3_session *session);	/* then loop */
	void (*resume)(struct pop3_session *session);	/* after a drain */
	bool waiting_drain;
	struct pop3_send send;
	bool listing_uidl;
	size_t listing_next;
	const char *closing_reason;

	void (*closed)(void *context);
	void *closed_context;
};

static void pop3_session_process(struct pop3_session *session);
static void pop3_session_step_done(struct pop3_session *session);
static bool pop3_session_after_command(struct pop3_session *session);

/* Output. */

static void ATTR_PRINTF(2, 3)
pop3_session_reply(struct pop3_session *session, const char *fmt, ...)
{
	va_list args, copy;
	unsigned char *space;
	int length;

	va_start(args, fmt);
	va_copy(copy, args);
	length = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	ASSERT(length >= 0);
	space = buffer_reserve(&session->out, (size_t)length + 1);
	ASSERT(space != NULL);
	(void)vsnprintf((char *)space, (size_t)length + 1, fmt, args);
	va_end(args);
	buffer_commit(&session->out, (size_t)length);
	ASSERT(buffer_append(&session->out, "\r\n", 2) == 0);
}

/* A -ERR for a command the client got wrong: counts towards
 * max_bad_commands. */
static void
pop3_session_bad(struct pop3_session *session, const char *text)
{
	session->bad_count++;
	pop3_session_reply(session, "-ERR %s", text);
}

static void
pop3_session_flush(struct pop3_session *session)
{
	if (buffer_length(&session->out) == 0 || session->connection == NULL) {
		buffer_reset(&session->out);
		return;
	}
	connection_write(session->connection, buffer_data(&session->out),
	    buffer_length(&session->out));
	buffer_reset(&session->out);
}

static bool
pop3_session_may_login(const struct pop3_session *session)
{
	return session->plaintext_auth ||
	    connection_is_tls(session->connection);
}

/* Session lifetime. */

static void
pop3_login_clear(struct pop3_login *login)
{
	explicit_bzero(&login->job.request, sizeof(login->job.request));
	mailbox_index_close(&login->index);
	free(login->maildir_path);
	login->maildir_path = NULL;
	if (login->lock_fd >= 0)
		(void)close(login->lock_fd);
	login->lock_fd = -1;
	arena_free(&login->maildrop_arena);
	login->messages = NULL;
	login->message_count = 0;
	login->in_use = false;
	login->error[0] = '\0';
}

static void
pop3_session_free(struct pop3_session *session)
{
	struct pop3_server *server = session->server;
	struct arena *arena;

	loop_timer_free(&session->delay_timer);
	connection_free(&session->connection);
	pop3_command_reader_free(&session->reader);
	if (session->send.fd >= 0)
		(void)close(session->send.fd);
	pop3_login_clear(&session->login);
	mailbox_index_close(&session->index);
	/* Closing the descriptor releases the flock. */
	if (session->lock_fd >= 0)
		(void)close(session->lock_fd);
	free(session->maildir_path);
	free(session->deleted);
	arena_free(&session->maildrop_arena);
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
	/* The session lives in its arena: free through a copy. */
	arena = session->arena;
	arena_free(&arena);
	if (server->stopping && server->sessions == NULL &&
	    server->stopped != NULL) {
		void (*stopped)(void *context) = server->stopped;

		server->stopped = NULL;
		stopped(server->stopped_context);
	}
}

static void
pop3_session_on_end(struct connection *connection, enum connection_end end,
    void *context)
{
	struct pop3_session *session = context;
	const char *reason = connection_end_reason(connection);

	(void)end;
	log_info("event=pop3_disconnect session=%s client=%s user=%s%s%s%s",
	    session->id, session->peer,
	    session->user != NULL ? session->user : "-",
	    reason != NULL ? " reason=\"" : "", reason != NULL ? reason : "",
	    reason != NULL ? "\"" : "");
	if (session->busy) {
		/* A job or timer still owns the session: it is freed when
		 * that step ends. */
		session->state = POP3_STATE_CLOSING;
		connection_free(&session->connection);
		if (session->job == NULL && (session->delay_timer == NULL ||
		    !loop_timer_pending(session->delay_timer)))
			pop3_session_free(session);
		return;
	}
	pop3_session_free(session);
}

/* Writes what is pending, then closes. */
static void
pop3_session_close(struct pop3_session *session)
{
	if (session->connection == NULL) {
		pop3_session_free(session);
		return;
	}
	pop3_session_flush(session);
	session->state = POP3_STATE_CLOSING;
	connection_close_after_flush(session->connection);
}

/* Jobs and drains. */

static void
pop3_session_job_work(void *context)
{
	struct pop3_session *session = context;

	session->job(session);
}

static void
pop3_session_job_done(void *context)
{
	struct pop3_session *session = context;
	void (*after_job)(struct pop3_session *session) = session->after_job;

	session->job = NULL;
	session->after_job = NULL;
	after_job(session);
}

/* Runs job on an io worker, then after_job on the loop (which must see
 * to session->connection being NULL: the client left meanwhile). */
static void
pop3_session_submit(struct pop3_session *session,
    void (*job)(struct pop3_session *session),
    void (*after_job)(struct pop3_session *session))
{
	session->busy = true;
	session->job = job;
	session->after_job = after_job;
	worker_pool_submit(session->server->io_workers, pop3_session_job_work,
	    pop3_session_job_done, session);
}

/* Continues with resume() once the output so far has been written. */
static void
pop3_session_after_drain(struct pop3_session *session,
    void (*resume)(struct pop3_session *session))
{
	session->busy = true;
	session->resume = resume;
	pop3_session_flush(session);
	if (connection_output_length(session->connection) == 0) {
		session->resume = NULL;
		resume(session);
	} else {
		session->waiting_drain = true;
	}
}

static void
pop3_session_on_drained(struct connection *connection, void *context)
{
	struct pop3_session *session = context;
	void (*resume)(struct pop3_session *session) = session->resume;

	(void)connection;
	if (!session->waiting_drain)
		return;
	session->waiting_drain = false;
	session->resume = NULL;
	resume(session);
}

/* After a command or a step: writes the answers, closes if the command
 * or the bad count says so. Returns whether to read the next command. */
static bool
pop3_session_after_command(struct pop3_session *session)
{
	const struct pop3_server_settings *settings = &session->server->settings;
	unsigned max_bad = settings->max_bad_commands > 0 ?
	    settings->max_bad_commands : POP3_SERVER_MAX_BAD_COMMANDS;

	if (session->closing_reason != NULL) {
		pop3_session_close(session);
		return false;
	}
	if (session->bad_count >= max_bad) {
		pop3_session_reply(session, "-ERR Too many bad commands");
		pop3_session_close(session);
		return false;
	}
	pop3_session_flush(session);
	if (session->server->stopping) {
		pop3_session_close(session);
		return false;
	}
	return true;
}

/* A step (job, timer, long answer) has ended: the session takes input
 * again. */
static void
pop3_session_step_done(struct pop3_session *session)
{
	session->busy = false;
	if (session->connection == NULL) {
		pop3_session_free(session);
		return;
	}
	if (pop3_session_after_command(session))
		pop3_session_process(session);
}

/* The maildrop. */

/* The message numbered by text (1-based, not deleted), or NULL after
 * writing the -ERR. */
static struct mailbox_message *
pop3_session_message(struct pop3_session *session, const char *text,
    size_t *position_r)
{
	unsigned number;

	if (!pop3_command_number(text, &number) || number == 0) {
		pop3_session_bad(session, "Invalid message number");
		return NULL;
	}
	if (number > session->message_count) {
		pop3_session_reply(session, "-ERR No such message");
		return NULL;
	}
	if (session->deleted[number - 1]) {
		pop3_session_reply(session, "-ERR Message %u already deleted",
		    number);
		return NULL;
	}
	*position_r = number - 1;
	return &session->messages[number - 1];
}

/* Sends one slice of a RETR or TOP answer: converts the file's LF line
 * ends to CRLF, dot-stuffs, and ends with ".\r\n" at the end of the file
 * (or of TOP's lines). Job. */
static void
pop3_send_convert(struct pop3_session *session, const unsigned char *data,
    size_t length)
{
	struct pop3_send *send = &session->send;
	unsigned char *space;
	size_t i, used = 0;

	/* Each byte becomes at most two ("\r\n", "..", or a held-back
	 * "\r" and itself), plus a "\r" held back by the last chunk. */
	space = buffer_reserve(&session->out, length * 2 + 2);
	ASSERT(space != NULL);
	for (i = 0; i < length && !send->finished; i++) {
		unsigned char c = data[i];

		if (c == '\r') {
			if (send->pending_cr)
				space[used++] = '\r';
			send->pending_cr = true;
			continue;
		}
		if (c == '\n') {
			space[used++] = '\r';
			space[used++] = '\n';
			send->pending_cr = false;
			if (send->top) {
				if (send->in_body) {
					if (--send->lines_left == 0)
						send->finished = true;
				} else if (send->line_start) {
					/* The empty line after the header. */
					send->in_body = true;
					if (send->lines_left == 0)
						send->finished = true;
				}
			}
			send->line_start = true;
			continue;
		}
		if (send->pending_cr) {
			space[used++] = '\r';
			send->pending_cr = false;
			send->line_start = false;
		}
		if (send->line_start && c == '.')
			space[used++] = '.';
		space[used++] = c;
		send->line_start = false;
	}
	buffer_commit(&session->out, used);
}

static void
pop3_send_job(struct pop3_session *session)
{
	struct pop3_send *send = &session->send;
	struct mailbox_message *message = &session->messages[send->position];
	unsigned char chunk[POP3_READ_CHUNK];
	const char *error;
	ssize_t got;

	if (send->fd < 0) {
		if (mailbox_index_open_message(session->index, "INBOX",
		    message, &send->fd, &error) < 0) {
			if (errno == ENOENT) {
				pop3_session_reply(session, "-ERR Message was "
				    "removed by another client");
			} else {
				log_warn("event=pop3_read_failed session=%s "
				    "user=%s error=\"%s\"", session->id,
				    session->user, error);
				pop3_session_reply(session, "-ERR [SYS/TEMP] "
				    "Cannot read the message");
			}
			send->fd = -1;
			return;
		}
		if (send->top)
			pop3_session_reply(session, "+OK Top of message "
			    "follows");
		else
			pop3_session_reply(session, "+OK %llu octets",
			    (unsigned long long)message->size_crlf);
	}
	while (!send->finished &&
	    buffer_length(&session->out) < POP3_SERVER_OUTPUT_SLICE) {
		got = read(send->fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* The "+OK" is out: nothing sensible can follow. */
			log_warn("event=pop3_read_failed session=%s user=%s "
			    "error=\"%s\"", session->id, session->user,
			    strerror(errno));
			session->closing_reason = "read error";
			break;
		}
		if (got == 0)
			send->finished = true;
		else
			pop3_send_convert(session, chunk, (size_t)got);
	}
	if (!send->finished || session->closing_reason != NULL)
		return;
	if (send->pending_cr)
		ASSERT(buffer_append(&session->out, "\r", 1) == 0);
	if (!send->line_start)
		ASSERT(buffer_append(&session->out, "\r\n", 2) == 0);
	ASSERT(buffer_append(&session->out, ".\r\n", 3) == 0);
	(void)close(send->fd);
	send->fd = -1;
	if (!send->top && (message->flags & MAILBOX_FLAG_SEEN) == 0) {
		struct mailbox_message *changed;
		uint32_t *modified;
		size_t changed_count, modified_count;

		/* RETR reads the message: \Seen, as IMAP clients expect. */
		if (mailbox_index_store(session->index, "INBOX", &message->uid,
		    1, MAILBOX_STORE_ADD, MAILBOX_FLAG_SEEN, NULL, 0,
		    session->maildrop_arena, &changed, &changed_count,
		    &modified, &modified_count, &error) < 0) {
			log_warn("event=pop3_seen_failed session=%s user=%s "
			    "error=\"%s\"", session->id, session->user, error);
		} else {
			message->flags |= MAILBOX_FLAG_SEEN;
			if (changed_count == 1)
				message->file_name = changed[0].file_name;
			mailbox_notify_changed(session->server->notify,
			    session->maildir_path);
		}
	}
}

static void pop3_send_step(struct pop3_session *session);

static void
pop3_send_resume(struct pop3_session *session)
{
	pop3_session_submit(session, pop3_send_job, pop3_send_step);
}

/* RETR's and TOP's jobs come back here: another slice, or done. */
static void
pop3_send_step(struct pop3_session *session)
{
	if (session->connection == NULL || session->send.fd < 0 ||
	    session->closing_reason != NULL) {
		if (session->send.fd >= 0)
			(void)close(session->send.fd);
		session->send.fd = -1;
		/* Give back the slice's memory: idle sessions stay small. */
		pop3_session_flush(session);
		buffer_deinit(&session->out);
		buffer_init(&session->out, 0);
		pop3_session_step_done(session);
		return;
	}
	pop3_session_after_drain(session, pop3_send_resume);
}

static void
pop3_send_start(struct pop3_session *session, size_t position, bool top,
    unsigned lines)
{
	memset(&session->send, 0, sizeof(session->send));
	session->send.fd = -1;
	session->send.position = position;
	session->send.top = top;
	session->send.lines_left = lines;
	session->send.line_start = true;
	pop3_session_submit(session, pop3_send_job, pop3_send_step);
}

/* Writes the next slice of LIST or UIDL lines; returns true once the
 * terminating "." is written. */
static bool
pop3_listing_slice(struct pop3_session *session)
{
	size_t written = 0, i;

	for (i = session->listing_next; i < session->message_count &&
	    written < POP3_LISTING_SLICE; i++) {
		if (session->deleted[i])
			continue;
		if (session->listing_uidl)
			pop3_session_reply(session, "%zu %u-%u", i + 1,
			    session->uidvalidity, session->messages[i].uid);
		else
			pop3_session_reply(session, "%zu %llu", i + 1,
			    (unsigned long long)
			    session->messages[i].size_crlf);
		written++;
	}
	session->listing_next = i;
	if (i < session->message_count)
		return false;
	pop3_session_reply(session, ".");
	return true;
}

static void
pop3_listing_continue(struct pop3_session *session)
{
	if (session->connection == NULL || pop3_listing_slice(session)) {
		pop3_session_step_done(session);
		return;
	}
	pop3_session_after_drain(session, pop3_listing_continue);
}

/* Login. */

static void
pop3_login_job(struct pop3_session *session)
{
	struct pop3_login *login = &session->login;
	struct mailbox_changes changes;
	const char *error;
	char path[PATH_MAX], *lock_path;

	auth_verify_run(session->server->verify, &login->job.request,
	    &login->job.result);
	explicit_bzero(login->job.request.password,
	    sizeof(login->job.request.password));
	if (login->job.result.status != AUTH_VERIFY_OK)
		return;
	if (local_delivery_maildir_path(session->server->settings.mail_root,
	    login->job.result.user, path, sizeof(path), &error) < 0)
		goto unavailable;
	login->maildir_path = alloc_strdup(path);
	if (mailbox_index_open(login->maildir_path, &login->index,
	    &error) < 0)
		goto unavailable;
	lock_path = alloc_printf("%s/%s", login->maildir_path,
	    POP3_SERVER_LOCK_FILE);
	login->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	free(lock_path);
	if (login->lock_fd < 0) {
		error = strerror(errno);
		goto unavailable;
	}
	/* flock locks belong to the open file description: a second
	 * session, here or in another process, opens its own and fails. */
	if (flock(login->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			login->in_use = true;
			return;
		}
		error = strerror(errno);
		goto unavailable;
	}
	login->maildrop_arena = arena_new("pop3 maildrop", 0);
	if (mailbox_index_changes(login->index, "INBOX", 0,
	    login->maildrop_arena, &changes, &error) < 0)
		goto unavailable;
	login->messages = changes.messages;
	login->message_count = changes.message_count;
	login->uidvalidity = changes.uidvalidity;
	return;
unavailable:
	snprintf(login->error, sizeof(login->error), "%s", error);
	login->job.result.status = AUTH_VERIFY_UNAVAILABLE;
}

/* Is another session of this process holding maildir_path? flock
 * already says so; this also covers file systems without it. */
static bool
pop3_server_holds(const struct pop3_server *server, const char *maildir_path)
{
	const struct pop3_session *session;

	for (session = server->sessions; session != NULL;
	    session = session->next)
		if (session->maildir_path != NULL &&
		    strcmp(session->maildir_path, maildir_path) == 0)
			return true;
	return false;
}

static void
pop3_login_done(struct pop3_session *session)
{
	struct pop3_login *login = &session->login;
	struct auth_throttle *throttle = session->server->throttle;
	int64_t now = (int64_t)loop_now_msec(session->server->loop);
	uint64_t octets = 0;
	size_t i;

	if (session->connection == NULL) {
		pop3_login_clear(login);
		pop3_session_step_done(session);
		return;
	}
	switch (login->job.result.status) {
	case AUTH_VERIFY_OK:
		auth_throttle_success(throttle, session->peer,
		    login->job.request.login, now);
		if (login->in_use ||
		    pop3_server_holds(session->server, login->maildir_path)) {
			log_info("event=pop3_login_in_use session=%s "
			    "client=%s user=%s", session->id, session->peer,
			    login->job.result.user);
			pop3_session_reply(session, "-ERR [IN-USE] Mailbox is "
			    "locked by another POP3 session");
			break;
		}
		session->user = arena_strdup(session->arena,
		    login->job.result.user);
		session->maildir_path = login->maildir_path;
		login->maildir_path = NULL;
		session->index = login->index;
		login->index = NULL;
		session->lock_fd = login->lock_fd;
		login->lock_fd = -1;
		session->maildrop_arena = login->maildrop_arena;
		login->maildrop_arena = NULL;
		session->messages = login->messages;
		session->message_count = login->message_count;
		session->uidvalidity = login->uidvalidity;
		session->deleted = alloc_array(session->message_count + 1,
		    sizeof(*session->deleted));
		for (i = 0; i < session->message_count; i++)
			octets += session->messages[i].size_crlf;
		session->state = POP3_STATE_TRANSACTION;
		log_info("event=pop3_login session=%s client=%s user=%s "
		    "messages=%zu%s", session->id, session->peer,
		    session->user, session->message_count,
		    connection_is_tls(session->connection) ? " tls=yes" : "");
		pop3_session_reply(session, "+OK Logged in, %zu messages "
		    "(%llu octets)", session->message_count,
		    (unsigned long long)octets);
		break;
	case AUTH_VERIFY_FAILED:
		auth_throttle_failure(throttle, session->peer,
		    login->job.request.login, now);
		log_info("event=pop3_login_failed session=%s client=%s "
		    "login=\"%.64s\"", session->id, session->peer,
		    login->job.request.login);
		pop3_session_reply(session, "-ERR [AUTH] Authentication "
		    "failed");
		break;
	case AUTH_VERIFY_UNAVAILABLE:
		log_warn("event=pop3_login_unavailable session=%s user=%s "
		    "error=\"%s\"", session->id, login->job.request.login,
		    login->error[0] != '\0' ? login->error : "accounts database");
		pop3_session_reply(session, "-ERR [SYS/TEMP] Try again later");
		break;
	}
	pop3_login_clear(login);
	pop3_session_step_done(session);
}

static void
pop3_login_start(void *context)
{
	struct pop3_session *session = context;

	if (session->connection == NULL) {
		pop3_login_clear(&session->login);
		pop3_session_step_done(session);
		return;
	}
	pop3_session_submit(session, pop3_login_job, pop3_login_done);
}

/* Checks the throttle and starts the password check (after any delay);
 * the answer comes from pop3_login_done. */
static void
pop3_login_begin(struct pop3_session *session, const char *name,
    const char *password)
{
	struct pop3_login *login = &session->login;
	int64_t delay = 0;

	session->login_name[0] = '\0';
	if (strlen(name) >= sizeof(login->job.request.login) ||
	    strlen(password) >= sizeof(login->job.request.password) ||
	    password[0] == '\0') {
		pop3_session_reply(session, "-ERR [AUTH] Authentication "
		    "failed");
		return;
	}
	if (auth_throttle_check(session->server->throttle, session->peer,
	    name, (int64_t)loop_now_msec(session->server->loop), &delay) ==
	    AUTH_THROTTLE_BANNED) {
		pop3_session_reply(session, "-ERR [SYS/TEMP] Too many failed "
		    "logins, try again later");
		return;
	}
	snprintf(login->job.request.login, sizeof(login->job.request.login),
	    "%s", name);
	snprintf(login->job.request.password,
	    sizeof(login->job.request.password), "%s", password);
	session->busy = true;
	if (delay > 0) {
		if (session->delay_timer == NULL)
			session->delay_timer = loop_timer_new(
			    session->server->loop, pop3_login_start, session);
		loop_timer_start(session->delay_timer, (uint64_t)delay);
	} else {
		pop3_login_start(session);
	}
}

/* Commands. */

struct pop3_handler {
	const char *keyword;
	enum pop3_state state;
	void (*run)(struct pop3_session *session,
	    const struct pop3_command *command);
};

static void
pop3_command_capa(struct pop3_session *session,
    const struct pop3_command *command)
{
	bool authorization = session->state == POP3_STATE_AUTHORIZATION;

	(void)command;
	pop3_session_reply(session, "+OK Capability list follows");
	pop3_session_reply(session, "TOP");
	pop3_session_reply(session, "UIDL");
	pop3_session_reply(session, "RESP-CODES");
	pop3_session_reply(session, "AUTH-RESP-CODE");
	pop3_session_reply(session, "PIPELINING");
	if (authorization && pop3_session_may_login(session)) {
		pop3_session_reply(session, "USER");
		pop3_session_reply(session, "SASL PLAIN");
	}
	if (authorization && session->server->tls != NULL &&
	    !connection_is_tls(session->connection))
		pop3_session_reply(session, "STLS");
	pop3_session_reply(session, "IMPLEMENTATION sluice");
	pop3_session_reply(session, ".");
}

static void
pop3_command_stls(struct pop3_session *session,
    const struct pop3_command *command)
{
	const char *error;

	(void)command;
	if (connection_is_tls(session->connection) ||
	    session->server->tls == NULL) {
		pop3_session_reply(session, "-ERR TLS %s",
		    connection_is_tls(session->connection) ?
		    "is already active" : "is not available");
		return;
	}
	pop3_session_reply(session, "+OK Begin TLS negotiation");
	/* The +OK goes out in the clear, then the handshake; anything
	 * pipelined after STLS is dropped by the connection. */
	pop3_session_flush(session);
	session->login_name[0] = '\0';
	if (connection_start_tls(session->connection, session->server->tls,
	    &error) < 0) {
		log_warn("event=pop3_tls_failed session=%s error=\"%s\"",
		    session->id, error);
		session->closing_reason = "TLS failed";
	}
}

static bool
pop3_session_check_login_allowed(struct pop3_session *session)
{
	if (pop3_session_may_login(session))
		return true;
	pop3_session_reply(session, "-ERR [AUTH] Plaintext authentication "
	    "disallowed, use STLS first");
	return false;
}

static void
pop3_command_user(struct pop3_session *session,
    const struct pop3_command *command)
{
	if (!pop3_session_check_login_allowed(session))
		return;
	if (command->argument_count != 1) {
		pop3_session_bad(session, "USER needs one name");
		return;
	}
	if (strlen(command->arguments[0]) >= sizeof(session->login_name)) {
		pop3_session_reply(session, "-ERR [AUTH] Name too long");
		return;
	}
	snprintf(session->login_name, sizeof(session->login_name), "%s",
	    command->arguments[0]);
	pop3_session_reply(session, "+OK Send the password");
}

static void
pop3_command_pass(struct pop3_session *session,
    const struct pop3_command *command)
{
	char name[sizeof(session->login_name)];

	if (!pop3_session_check_login_allowed(session))
		return;
	if (session->login_name[0] == '\0') {
		pop3_session_bad(session, "USER first");
		return;
	}
	snprintf(name, sizeof(name), "%s", session->login_name);
	pop3_login_begin(session, name, command->rest);
}

/* The PLAIN response (initial or after "+ "). */
static void
pop3_auth_response(struct pop3_session *session, const char *response)
{
	struct sasl_plain_credentials credentials;
	const char *error;

	if (strcmp(response, "*") == 0) {
		pop3_session_reply(session, "-ERR AUTH cancelled");
		return;
	}
	/* RFC 5034 section 4: "=" is an empty initial response. */
	if (strcmp(response, "=") == 0)
		response = "";
	if (sasl_plain_decode(response, strlen(response), &credentials,
	    &error) < 0) {
		pop3_session_bad(session, error);
		return;
	}
	pop3_login_begin(session, credentials.authcid, credentials.password);
	explicit_bzero(&credentials, sizeof(credentials));
}

static void
pop3_command_auth(struct pop3_session *session,
    const struct pop3_command *command)
{
	if (command->argument_count == 0) {
		/* A listing some clients ask for (RFC 1734 style). */
		pop3_session_reply(session, "+OK Mechanisms follow");
		if (pop3_session_may_login(session))
			pop3_session_reply(session, "PLAIN");
		pop3_session_reply(session, ".");
		return;
	}
	if (command->argument_count > 2) {
		pop3_session_bad(session, "AUTH needs a mechanism and at most "
		    "an initial response");
		return;
	}
	if (strcasecmp(command->arguments[0], "PLAIN") != 0) {
		pop3_session_reply(session, "-ERR Unsupported mechanism");
		return;
	}
	if (!pop3_session_check_login_allowed(session))
		return;
	if (command->argument_count == 2) {
		pop3_auth_response(session, command->arguments[1]);
		return;
	}
	session->auth_continuation = true;
	pop3_session_reply(session, "+ ");
}

static void
pop3_command_noop(struct pop3_session *session,
    const struct pop3_command *command)
{
	(void)command;
	pop3_session_reply(session, "+OK");
}

static void
pop3_command_stat(struct pop3_session *session,
    const struct pop3_command *command)
{
	uint64_t octets = 0;
	size_t i, count = 0;

	(void)command;
	for (i = 0; i < session->message_count; i++) {
		if (session->deleted[i])
			continue;
		count++;
		octets += session->messages[i].size_crlf;
	}
	pop3_session_reply(session, "+OK %zu %llu", count,
	    (unsigned long long)octets);
}

static void
pop3_command_listing(struct pop3_session *session,
    const struct pop3_command *command, bool uidl)
{
	struct mailbox_message *message;
	size_t position;

	if (command->argument_count > 1) {
		pop3_session_bad(session, "Too many arguments");
		return;
	}
	if (command->argument_count == 1) {
		message = pop3_session_message(session, command->arguments[0],
		    &position);
		if (message == NULL)
			return;
		if (uidl)
			pop3_session_reply(session, "+OK %zu %u-%u",
			    position + 1, session->uidvalidity, message->uid);
		else
			pop3_session_reply(session, "+OK %zu %llu",
			    position + 1,
			    (unsigned long long)message->size_crlf);
		return;
	}
	pop3_session_reply(session, "+OK %s", uidl ? "Unique-ID listing "
	    "follows" : "Scan listing follows");
	session->listing_uidl = uidl;
	session->listing_next = 0;
	if (!pop3_listing_slice(session))
		pop3_session_after_drain(session, pop3_listing_continue);
}

static void
pop3_command_list(struct pop3_session *session,
    const struct pop3_command *command)
{
	pop3_command_listing(session, command, false);
}

static void
pop3_command_uidl(struct pop3_session *session,
    const struct pop3_command *command)
{
	pop3_command_listing(session, command, true);
}

static void
pop3_command_retr(struct pop3_session *session,
    const struct pop3_command *command)
{
	size_t position;

	if (command->argument_count != 1) {
		pop3_session_bad(session, "RETR needs a message number");
		return;
	}
	if (pop3_session_message(session, command->arguments[0],
	    &position) == NULL)
		return;
	pop3_send_start(session, position, false, 0);
}

static void
pop3_command_top(struct pop3_session *session,
    const struct pop3_command *command)
{
	size_t position;
	unsigned lines;

	if (command->argument_count != 2 ||
	    !pop3_command_number(command->arguments[1], &lines)) {
		pop3_session_bad(session, "TOP needs a message number and a "
		    "line count");
		return;
	}
	if (pop3_session_message(session, command->arguments[0],
	    &position) == NULL)
		return;
	pop3_send_start(session, position, true, lines);
}

static void
pop3_command_dele(struct pop3_session *session,
    const struct pop3_command *command)
{
	size_t position;

	if (command->argument_count != 1) {
		pop3_session_bad(session, "DELE needs a message number");
		return;
	}
	if (pop3_session_message(session, command->arguments[0],
	    &position) == NULL)
		return;
	session->deleted[position] = true;
	pop3_session_reply(session, "+OK Message %zu deleted", position + 1);
}

static void
pop3_command_rset(struct pop3_session *session,
    const struct pop3_command *command)
{
	(void)command;
	memset(session->deleted, 0, session->message_count *
	    sizeof(*session->deleted));
	pop3_session_reply(session, "+OK %zu messages", session->message_count);
}

/* The UPDATE state (RFC 1939 section 6): expunges what DELE marked. */
static void
pop3_quit_job(struct pop3_session *session)
{
	struct arena *arena = arena_new("pop3 quit", 0);
	struct mailbox_message *changed;
	uint32_t *uids, *modified, *expunged;
	size_t i, count = 0, changed_count, modified_count, expunged_count = 0;
	const char *error;

	uids = arena_array(arena, session->message_count + 1, sizeof(*uids));
	for (i = 0; i < session->message_count; i++)
		if (session->deleted[i])
			uids[count++] = session->messages[i].uid;
	if (count > 0 && (mailbox_index_store(session->index, "INBOX", uids,
	    count, MAILBOX_STORE_ADD, MAILBOX_FLAG_DELETED, NULL, 0, arena,
	    &changed, &changed_count, &modified, &modified_count,
	    &error) < 0 || mailbox_index_expunge(session->index, "INBOX",
	    uids, count, arena, &expunged, &expunged_count, &error) < 0)) {
		log_warn("event=pop3_update_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
		pop3_session_reply(session, "-ERR [SYS/TEMP] Some deleted "
		    "messages not removed");
	} else {
		pop3_session_reply(session, "+OK sluice POP3 signing off "
		    "(%zu messages deleted)", expunged_count);
	}
	if (count > 0)
		mailbox_notify_changed(session->server->notify,
		    session->maildir_path);
	log_info("event=pop3_quit session=%s user=%s deleted=%zu",
	    session->id, session->user, expunged_count);
	session->closing_reason = "quit";
	arena_free(&arena);
}

static void
pop3_command_quit(struct pop3_session *session,
    const struct pop3_command *command)
{
	(void)command;
	if (session->state == POP3_STATE_AUTHORIZATION) {
		pop3_session_reply(session, "+OK sluice POP3 signing off");
		session->closing_reason = "quit";
		return;
	}
	pop3_session_submit(session, pop3_quit_job, pop3_session_step_done);
}

static const struct pop3_handler pop3_handlers[] = {
	{ "CAPA", POP3_STATE_AUTHORIZATION, pop3_command_capa },
	{ "CAPA", POP3_STATE_TRANSACTION, pop3_command_capa },
	{ "QUIT", POP3_STATE_AUTHORIZATION, pop3_command_quit },
	{ "QUIT", POP3_STATE_TRANSACTION, pop3_command_quit },
	{ "STLS", POP3_STATE_AUTHORIZATION, pop3_command_stls },
	{ "USER", POP3_STATE_AUTHORIZATION, pop3_command_user },
	{ "PASS", POP3_STATE_AUTHORIZATION, pop3_command_pass },
	{ "AUTH", POP3_STATE_AUTHORIZATION, pop3_command_auth },
	{ "NOOP", POP3_STATE_TRANSACTION, pop3_command_noop },
	{ "STAT", POP3_STATE_TRANSACTION, pop3_command_stat },
	{ "LIST", POP3_STATE_TRANSACTION, pop3_command_list },
	{ "UIDL", POP3_STATE_TRANSACTION, pop3_command_uidl },
	{ "RETR", POP3_STATE_TRANSACTION, pop3_command_retr },
	{ "TOP", POP3_STATE_TRANSACTION, pop3_command_top },
	{ "DELE", POP3_STATE_TRANSACTION, pop3_command_dele },
	{ "RSET", POP3_STATE_TRANSACTION, pop3_command_rset },
};

static void
pop3_session_command(struct pop3_session *session, char *line)
{
	struct pop3_command command;
	const char *error;
	bool known = false;
	size_t i, length = strlen(line);
	char rest[POP3_COMMAND_BUFFER_MAX + 1];

	if (session->auth_continuation) {
		session->auth_continuation = false;
		pop3_auth_response(session, line);
		explicit_bzero(line, strlen(line));
		return;
	}
	if (pop3_command_split(line, rest, sizeof(rest), &command,
	    &error) < 0) {
		pop3_session_bad(session, error);
		return;
	}
	for (i = 0; i < ARRAY_LENGTH(pop3_handlers); i++) {
		if (strcmp(pop3_handlers[i].keyword, command.keyword) != 0)
			continue;
		known = true;
		if (pop3_handlers[i].state == session->state)
			break;
	}
	if (i < ARRAY_LENGTH(pop3_handlers))
		pop3_handlers[i].run(session, &command);
	/* PASS's password was in both. */
	explicit_bzero(rest, sizeof(rest));
	explicit_bzero(line, length);
	if (i < ARRAY_LENGTH(pop3_handlers))
		return;
	if (known)
		pop3_session_reply(session, "-ERR Not allowed %s",
		    session->state == POP3_STATE_AUTHORIZATION ?
		    "before login" : "after login");
	else
		pop3_session_bad(session, "Unknown command");
}

/* Reads and runs buffered commands until one has to wait. */
static void
pop3_session_process(struct pop3_session *session)
{
	const unsigned char *data;
	const char *line, *error;
	size_t length, consumed;
	int ret;

	while (!session->busy && session->state != POP3_STATE_CLOSING &&
	    session->connection != NULL) {
		data = connection_input_peek(session->connection, &length);
		if (data == NULL)
			return;
		ret = pop3_command_reader_next(session->reader, data, length,
		    session->auth_continuation ? POP3_COMMAND_BUFFER_MAX :
		    POP3_COMMAND_LINE_MAX, &consumed, &line, &error);
		connection_input_consume(session->connection, consumed);
		if (ret == 0)
			continue;
		if (ret < 0) {
			session->auth_continuation = false;
			pop3_session_bad(session, error);
		} else {
			pop3_session_command(session, (char *)line);
		}
		if (session->busy || !pop3_session_after_command(session))
			return;
	}
}

static void
pop3_session_on_input(struct connection *connection, void *context)
{
	(void)connection;
	pop3_session_process(context);
}

static const struct connection_callbacks pop3_session_callbacks = {
	.on_input = pop3_session_on_input,
	.on_drained = pop3_session_on_drained,
	.on_end = pop3_session_on_end,
};

void
pop3_server_accept(struct pop3_server *server, int fd, const char *peer,
    bool implicit_tls, bool plaintext_auth, void (*closed)(void *context),
    void *context)
{
	static uint64_t next_id;
	struct arena *arena = arena_new("pop3 session", 2048);
	struct pop3_session *session = arena_new_type(arena,
	    struct pop3_session);
	const char *error;

	session->arena = arena;
	session->server = server;
	session->closed = closed;
	session->closed_context = context;
	snprintf(session->id, sizeof(session->id), "p%08llx",
	    (unsigned long long)++next_id);
	session->peer = arena_strdup(arena, peer);
	session->plaintext_auth = plaintext_auth;
	session->state = POP3_STATE_AUTHORIZATION;
	session->reader = pop3_command_reader_new();
	session->lock_fd = -1;
	session->login.lock_fd = -1;
	session->send.fd = -1;
	buffer_init(&session->out, 0);
	session->connection = connection_new(server->loop, fd, peer,
	    &pop3_session_callbacks, session);
	session->next = server->sessions;
	if (session->next != NULL)
		session->next->prev = session;
	server->sessions = session;
	server->session_count++;
	log_info("event=pop3_connect session=%s client=%s%s", session->id,
	    peer, implicit_tls ? " tls=implicit" : "");
	if (implicit_tls && (server->tls == NULL ||
	    connection_start_tls_implicit(session->connection, server->tls,
	    &error) < 0)) {
		log_warn("event=pop3_tls_failed session=%s client=%s",
		    session->id, peer);
		pop3_session_free(session);
		return;
	}
	connection_set_timeout(session->connection,
	    server->settings.timeout_seconds);
	pop3_session_reply(session, "+OK sluice POP3 ready");
	pop3_session_flush(session);
}

/* Server lifetime. */

void
pop3_server_set_settings(struct pop3_server *server,
    const struct pop3_server_settings *settings)
{
	char *old = (char *)server->settings.mail_root;

	server->settings = *settings;
	server->settings.mail_root = alloc_strdup(settings->mail_root);
	free(old);
}

struct pop3_server *
pop3_server_new(struct loop *loop, struct worker_pool *io_workers,
    struct mailbox_notify *notify, struct auth_verify *verify,
    struct auth_throttle *throttle,
    const struct pop3_server_settings *settings)
{
	struct pop3_server *server = alloc_new(struct pop3_server);

	server->loop = loop;
	server->io_workers = io_workers;
	server->notify = notify;
	server->verify = verify;
	server->throttle = throttle;
	pop3_server_set_settings(server, settings);
	return server;
}

void
pop3_server_set_tls(struct pop3_server *server, struct tls_context *tls)
{
	if (tls != NULL)
		tls_context_ref(tls);
	tls_context_unref(&server->tls);
	server->tls = tls;
}

size_t
pop3_server_session_count(const struct pop3_server *server)
{
	return server->session_count;
}

void
pop3_server_stop(struct pop3_server *server, void (*done)(void *context),
    void *context)
{
	struct pop3_session *session, *next;

	server->stopping = true;
	server->stopped = done;
	server->stopped_context = context;
	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (!session->busy && session->state != POP3_STATE_CLOSING) {
			pop3_session_reply(session, "-ERR [SYS/TEMP] Server "
			    "shutting down");
			pop3_session_close(session);
		}
	}
	if (server->sessions == NULL && server->stopped != NULL) {
		server->stopped = NULL;
		done(context);
	}
}

void
pop3_server_abort(struct pop3_server *server)
{
	struct pop3_session *session, *next;

	server->stopping = true;
	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->busy && session->job != NULL) {
			/* Freed when its job is done (worker_pool_free). */
			session->state = POP3_STATE_CLOSING;
			connection_free(&session->connection);
			continue;
		}
		pop3_session_free(session);
	}
}

void
pop3_server_free(struct pop3_server **server_p)
{
	struct pop3_server *server = *server_p;

	if (server == NULL)
		return;
	ASSERT(server->sessions == NULL);
	tls_context_unref(&server->tls);
	free((char *)server->settings.mail_root);
	free(server);
	*server_p = NULL;
}
