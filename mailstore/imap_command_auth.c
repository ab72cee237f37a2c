/* imap_command_auth.c: STARTTLS, LOGIN and AUTHENTICATE PLAIN (with
 * SASL-IR): TLS first unless the peer may send passwords in the clear,
 * failed logins slowed down and banned by auth_throttle, the password
 * check and the opening of the user's mailbox index on an io worker. */
#include "mailstore/imap_session.h"
#include "mailstore/auth_throttle.h"
#include "mailstore/auth_verify.h"
#include "mailstore/local_delivery.h"
#include "mailstore/sasl_plain.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <limits.h>
#include <strings.h>

/* One login in progress, in the command arena. */
struct imap_login {
	struct auth_verify_job job;
	bool started;		/* AUTHENTICATE: the exchange began */
	bool waiting;		/* a delay timer or the job runs */
	struct mailbox_index *index;
	char *maildir_path;
	const char *error;
};

static enum imap_result
imap_command_starttls(struct imap_session *session)
{
	const char *error;

	if (connection_is_tls(session->connection) ||
	    imap_server_tls(session->server) == NULL) {
		imap_session_tagged(session, "BAD", " TLS %s",
		    connection_is_tls(session->connection) ?
		    "is already active" : "is not available");
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " Begin TLS negotiation now");
	/* The OK goes out in the clear, then the handshake; anything the
	 * client pipelined after STARTTLS is dropped by the connection. */
	connection_write(session->connection, buffer_data(&session->out),
	    buffer_length(&session->out));
	buffer_reset(&session->out);
	if (connection_start_tls(session->connection,
	    imap_server_tls(session->server), &error) < 0) {
		log_warn("event=imap_tls_failed session=%s error=\"%s\"",
		    session->id, error);
		session->closing_reason = "TLS failed";
		return IMAP_RESULT_CLOSE;
	}
	return IMAP_RESULT_DONE;
}

static void
imap_login_work(void *context)
{
	struct imap_session *session = context;
	struct imap_login *login = session->command_state;
	char path[PATH_MAX];

	auth_verify_run(imap_server_auth_verify(session->server),
	    &login->job.request, &login->job.result);
	explicit_bzero(login->job.request.password,
	    sizeof(login->job.request.password));
	if (login->job.result.status != AUTH_VERIFY_OK)
		return;
	if (local_delivery_maildir_path(imap_server_settings(
	    session->server)->mail_root, login->job.result.user, path,
	    sizeof(path), &login->error) == 0) {
		login->maildir_path = alloc_strdup(path);
		if (mailbox_index_open(login->maildir_path, &login->index,
		    &login->error) == 0)
			return;
	}
	login->error = arena_strdup(session->command_arena, login->error);
	login->job.result.status = AUTH_VERIFY_UNAVAILABLE;
}

static void
imap_login_done(void *context)
{
	struct imap_session *session = context;
	struct imap_login *login = session->command_state;
	struct auth_throttle *throttle =
	    imap_server_auth_throttle(session->server);
	uint64_t now;

	session->busy = false;
	login->waiting = false;
	if (session->connection == NULL) {
		/* The client left meanwhile. */
		free(login->maildir_path);
		login->maildir_path = NULL;
		mailbox_index_close(&login->index);
		imap_session_complete(session, IMAP_RESULT_DONE);
		return;
	}
	now = imap_session_now_msec(session);
	switch (login->job.result.status) {
	case AUTH_VERIFY_OK:
		auth_throttle_success(throttle, session->peer,
		    login->job.request.login, (int64_t)now);
		session->user = arena_strdup(session->arena,
		    login->job.result.user);
		session->maildir_path = arena_strdup(session->arena,
		    login->maildir_path);
		session->quota_bytes = login->job.result.quota_bytes;
		session->index = login->index;
		login->index = NULL;
		session->state = IMAP_STATE_AUTHENTICATED;
		log_info("event=imap_login session=%s client=%s user=%s%s",
		    session->id, session->peer, session->user,
		    connection_is_tls(session->connection) ? " tls=yes" : "");
		imap_session_tagged(session, "OK", " [CAPABILITY %s] Logged in",
		    imap_session_capabilities(session));
		break;
	case AUTH_VERIFY_FAILED:
		auth_throttle_failure(throttle, session->peer,
		    login->job.request.login, (int64_t)now);
		log_info("event=imap_login_failed session=%s client=%s "
		    "login=\"%.64s\"", session->id, session->peer,
		    login->job.request.login);
		imap_session_tagged(session, "NO", " [AUTHENTICATIONFAILED] "
		    "Authentication failed");
		break;
	case AUTH_VERIFY_UNAVAILABLE:
		log_warn("event=imap_login_unavailable session=%s user=%s "
		    "error=\"%s\"", session->id, login->job.request.login,
		    login->error != NULL ? login->error : "accounts database");
		imap_session_tagged(session, "NO", " [UNAVAILABLE] Try again "
		    "later");
		break;
	}
	free(login->maildir_path);
	login->maildir_path = NULL;
	mailbox_index_close(&login->index);
	imap_session_complete(session, IMAP_RESULT_DONE);
}

static void
imap_login_start_job(void *context)
{
	struct imap_session *session = context;

	session->busy = true;
	imap_session_submit_background(session, imap_login_work,
	    imap_login_done);
}

/* Checks the throttle and starts the check (after any delay). Returns
 * MORE while it runs, DONE when refused at once. */
static enum imap_result
imap_login_begin(struct imap_session *session, struct imap_login *login,
    const char *user, const char *password)
{
	int64_t delay = 0;

	if (strlen(user) >= sizeof(login->job.request.login) ||
	    strlen(password) >= sizeof(login->job.request.password)) {
		imap_session_tagged(session, "NO", " [AUTHENTICATIONFAILED] "
		    "Authentication failed");
		return IMAP_RESULT_DONE;
	}
	if (auth_throttle_check(imap_server_auth_throttle(session->server),
	    session->peer, user, (int64_t)imap_session_now_msec(session),
	    &delay) == AUTH_THROTTLE_BANNED) {
		imap_session_tagged(session, "NO", " [UNAVAILABLE] Too many "
		    "failed logins, try again later");
		return IMAP_RESULT_DONE;
	}
	snprintf(login->job.request.login, sizeof(login->job.request.login),
	    "%s", user);
	snprintf(login->job.request.password,
	    sizeof(login->job.request.password), "%s", password);
	login->waiting = true;
	if (delay > 0) {
		if (session->delay_timer == NULL)
			session->delay_timer = imap_session_timer_new(session,
			    imap_login_start_job);
		loop_timer_start(session->delay_timer, (uint64_t)delay);
	} else {
		imap_login_start_job(session);
	}
	return IMAP_RESULT_MORE;
}

static struct imap_login *
imap_login_state(struct imap_session *session)
{
	if (session->command_state == NULL)
		session->command_state = arena_new_type(session->command_arena,
		    struct imap_login);
	return session->command_state;
}

static enum imap_result
imap_command_login(struct imap_session *session)
{
	struct imap_login *login = imap_login_state(session);
	const char *user, *password;

	if (login->waiting)
		return IMAP_RESULT_MORE; /* input while the check runs */
	if (session->arg_count != 2 ||
	    (user = imap_arg_string(&session->args[0])) == NULL ||
	    (password = imap_arg_string(&session->args[1])) == NULL) {
		imap_session_bad(session, "LOGIN needs a user name and a "
		    "password");
		return IMAP_RESULT_DONE;
	}
	if (!imap_session_may_login(session)) {
		imap_session_tagged(session, "NO", " [PRIVACYREQUIRED] Use "
		    "STARTTLS first");
		return IMAP_RESULT_DONE;
	}
	return imap_login_begin(session, login, user, password);
}

static enum imap_result
imap_command_authenticate_response(struct imap_session *session,
    struct imap_login *login, const char *response)
{
	struct sasl_plain_credentials credentials;
	enum imap_result result;
	const char *error;

	if (strcmp(response, "*") == 0) {
		imap_session_bad(session, "AUTHENTICATE cancelled");
		return IMAP_RESULT_DONE;
	}
	/* SASL-IR: "=" is an empty initial response. */
	if (strcmp(response, "=") == 0)
		response = "";
	if (sasl_plain_decode(response, strlen(response), &credentials,
	    &error) < 0) {
		imap_session_bad(session, error);
		return IMAP_RESULT_DONE;
	}
	result = imap_login_begin(session, login, credentials.authcid,
	    credentials.password);
	explicit_bzero(&credentials, sizeof(credentials));
	return result;
}

static enum imap_result
imap_command_authenticate(struct imap_session *session)
{
	struct imap_login *login = imap_login_state(session);
	const char *line, *error;
	int ret;

	if (login->waiting)
		return IMAP_RESULT_MORE;
	if (login->started) {
		/* The client's answer to our "+ ". */
		ret = imap_session_read_line(session, &line, &error);
		if (ret == 0)
			return IMAP_RESULT_MORE;
		if (ret < 0) {
			imap_session_bad(session, error);
			return IMAP_RESULT_DONE;
		}
		return imap_command_authenticate_response(session, login,
		    line);
	}
	if (session->arg_count < 1 || session->arg_count > 2 ||
	    session->args[0].type != IMAP_ARG_ATOM) {
		imap_session_bad(session, "AUTHENTICATE needs a mechanism");
		return IMAP_RESULT_DONE;
	}
	if (!imap_arg_is_atom(&session->args[0], "PLAIN")) {
		imap_session_tagged(session, "NO", " [CANNOT] Only PLAIN is "
		    "supported");
		return IMAP_RESULT_DONE;
	}
	if (!imap_session_may_login(session)) {
		imap_session_tagged(session, "NO", " [PRIVACYREQUIRED] Use "
		    "STARTTLS first");
		return IMAP_RESULT_DONE;
	}
	if (session->arg_count == 2) {
		const char *initial = imap_arg_string(&session->args[1]);

		if (initial == NULL) {
			imap_session_bad(session, "Bad initial response");
			return IMAP_RESULT_DONE;
		}
		return imap_command_authenticate_response(session, login,
		    initial);
	}
	login->started = true;
	imap_session_write(session, "+ \r\n", 4);
	return IMAP_RESULT_MORE;
}

const struct imap_command_handler imap_command_auth_handlers[] = {
	{ "STARTTLS", IMAP_STATE_NOT_AUTHENTICATED, 0, imap_command_starttls,
	    NULL },
	{ "LOGIN", IMAP_STATE_NOT_AUTHENTICATED, 0, imap_command_login, NULL },
	{ "AUTHENTICATE", IMAP_STATE_NOT_AUTHENTICATED, 0,
	    imap_command_authenticate, NULL },
	{ NULL, 0, 0, NULL, NULL },
};
