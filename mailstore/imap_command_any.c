/* imap_command_any.c: commands of every state and the session-level ones:
 * CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE, IDLE. */
#include "mailstore/imap_session.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <strings.h>

static enum imap_result
imap_command_capability(struct imap_session *session)
{
	imap_session_untagged(session, "CAPABILITY %s",
	    imap_session_capabilities(session));
	imap_session_tagged(session, "OK", " CAPABILITY completed");
	return IMAP_RESULT_DONE;
}

/* NOOP and CHECK: in the SELECTED state a chance to report changes. */
static enum imap_result
imap_command_noop(struct imap_session *session)
{
	const char *error;

	if (session->state == IMAP_STATE_SELECTED &&
	    imap_session_sync_view(session, true, &error) < 0) {
		log_warn("event=imap_sync_failed session=%s user=%s error=\"%s\"",
		    session->id, session->user, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] %s failed",
		    session->command->name);
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " %s completed",
	    session->command->name);
	return session->closing_reason != NULL ? IMAP_RESULT_CLOSE :
	    IMAP_RESULT_DONE;
}

static enum imap_result
imap_command_logout(struct imap_session *session)
{
	imap_session_untagged(session, "BYE Logging out");
	imap_session_tagged(session, "OK", " LOGOUT completed");
	session->closing_reason = NULL;
	return IMAP_RESULT_CLOSE;
}

/* RFC 2971: the client's list is logged (bounded), ours is fixed. */
static enum imap_result
imap_command_id(struct imap_session *session)
{
	const struct imap_arg *arg = session->arg_count == 1 ?
	    &session->args[0] : NULL;
	const char *name = NULL, *version = NULL;
	size_t i;

	if (arg == NULL || (arg->type != IMAP_ARG_NIL &&
	    (arg->type != IMAP_ARG_LIST || arg->list_count % 2 != 0 ||
	    arg->list_count > 60))) {
		imap_session_bad(session, "ID needs NIL or a list of pairs");
		return IMAP_RESULT_DONE;
	}
	for (i = 0; arg->type == IMAP_ARG_LIST && i < arg->list_count;
	    i += 2) {
		const char *key = imap_arg_string(&arg->list[i]);
		const char *value = imap_arg_string(&arg->list[i + 1]);

		if (key == NULL) {
			imap_session_bad(session, "ID field names are strings");
			return IMAP_RESULT_DONE;
		}
		if (strcasecmp(key, "name") == 0)
			name = value;
		else if (strcasecmp(key, "version") == 0)
			version = value;
	}
	if (name != NULL)
		log_info("event=imap_client_id session=%s name=\"%.64s\" "
		    "version=\"%.32s\"", session->id, name,
		    version != NULL ? version : "");
	imap_session_untagged(session, "ID (\"name\" \"sluice\")");
	imap_session_tagged(session, "OK", " ID completed");
	return IMAP_RESULT_DONE;
}

/* RFC 5161: CONDSTORE is the one extension that needs enabling. */
static enum imap_result
imap_command_enable(struct imap_session *session)
{
	bool condstore = false;
	size_t i;

	if (session->arg_count == 0) {
		imap_session_bad(session, "ENABLE needs capability names");
		return IMAP_RESULT_DONE;
	}
	for (i = 0; i < session->arg_count; i++) {
		if (session->args[i].type != IMAP_ARG_ATOM) {
			imap_session_bad(session, "ENABLE takes atoms");
			return IMAP_RESULT_DONE;
		}
		if (imap_arg_is_atom(&session->args[i], "CONDSTORE"))
			condstore = true;
	}
	if (condstore && !session->condstore) {
		session->condstore = true;
		imap_session_untagged(session, "ENABLED CONDSTORE");
	} else {
		imap_session_untagged(session, "ENABLED");
	}
	imap_session_tagged(session, "OK", " ENABLE completed");
	return IMAP_RESULT_DONE;
}

static enum imap_result
imap_command_namespace(struct imap_session *session)
{
	/* One personal namespace, '.' as Maildir++ separates levels. */
	imap_session_untagged(session, "NAMESPACE ((\"\" \".\")) NIL NIL");
	imap_session_tagged(session, "OK", " NAMESPACE completed");
	return IMAP_RESULT_DONE;
}

/* IDLE (RFC 2177). */

static void imap_idle_check(struct imap_session *session);

static void
imap_idle_check_work(void *context)
{
	struct imap_session *session = context;
	const char *error;

	if (imap_session_sync_view(session, true, &error) < 0)
		log_warn("event=imap_sync_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
}

static void
imap_idle_check_done(void *context)
{
	struct imap_session *session = context;

	session->busy = false;
	imap_session_after_background_job(session);
}

static void
imap_idle_check(struct imap_session *session)
{
	if (!session->idling || session->state != IMAP_STATE_SELECTED)
		return;
	if (session->busy) {
		session->changed = true;
		return;
	}
	session->changed = false;
	session->busy = true;
	imap_session_submit_background(session, imap_idle_check_work,
	    imap_idle_check_done);
}

static void
imap_idle_poll(void *context)
{
	struct imap_session *session = context;
	unsigned seconds = imap_server_settings(session->server)->
	    idle_poll_seconds;

	imap_idle_check(session);
	if (session->idling && seconds > 0)
		loop_timer_start(session->poll_timer, seconds * 1000ULL);
}

void
imap_session_changed(void *context)
{
	struct imap_session *session = context;

	if (session->idling)
		imap_idle_check(session);
	else
		session->changed = true;
}

static enum imap_result
imap_command_idle(struct imap_session *session)
{
	unsigned seconds = imap_server_settings(session->server)->
	    idle_poll_seconds;
	const char *line, *error;
	int ret;

	if (!session->idling) {
		session->idling = true;
		imap_session_write(session, "+ idling\r\n", 10);
		if (session->state == IMAP_STATE_SELECTED) {
			if (session->poll_timer == NULL)
				session->poll_timer = imap_session_timer_new(
				    session, imap_idle_poll);
			if (seconds > 0)
				loop_timer_start(session->poll_timer,
				    seconds * 1000ULL);
			/* Whatever changed since the last command. */
			if (session->changed)
				imap_idle_check(session);
		}
		return IMAP_RESULT_MORE;
	}
	ret = imap_session_read_line(session, &line, &error);
	if (ret == 0)
		return IMAP_RESULT_MORE;
	session->idling = false;
	if (session->poll_timer != NULL)
		loop_timer_stop(session->poll_timer);
	if (ret < 0) {
		imap_session_bad(session, error);
		return IMAP_RESULT_DONE;
	}
	if (strcasecmp(line, "DONE") != 0) {
		imap_session_bad(session, "Expected DONE");
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " IDLE terminated");
	return IMAP_RESULT_DONE;
}

const struct imap_command_handler imap_command_any_handlers[] = {
	{ "CAPABILITY", IMAP_STATE_ANY, 0, imap_command_capability, NULL },
	{ "NOOP", IMAP_STATE_ANY, IMAP_HANDLER_JOB | IMAP_HANDLER_EXPUNGE_OK,
	    imap_command_noop, NULL },
	{ "CHECK", IMAP_STATE_SELECTED,
	    IMAP_HANDLER_JOB | IMAP_HANDLER_EXPUNGE_OK, imap_command_noop,
	    NULL },
	{ "LOGOUT", IMAP_STATE_ANY, 0, imap_command_logout, NULL },
	{ "ID", IMAP_STATE_ANY, 0, imap_command_id, NULL },
	{ "ENABLE", IMAP_STATE_AUTHENTICATED_ANY, 0, imap_command_enable,
	    NULL },
	{ "NAMESPACE", IMAP_STATE_AUTHENTICATED_ANY, 0,
	    imap_command_namespace, NULL },
	{ "IDLE", IMAP_STATE_AUTHENTICATED_ANY, 0, imap_command_idle, NULL },
	{ NULL, 0, 0, NULL, NULL },
};
