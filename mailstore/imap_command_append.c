/* imap_command_append.c: APPEND (RFC 3501 6.3.11 with UIDPLUS's
 * APPENDUID), EXPUNGE, CLOSE and UNSELECT: the commands that add or
 * remove messages as a whole. */
#include "mailstore/imap_session.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <time.h>

/* Parses a flag list argument into bits and a keyword string (space-
 * separated, in arena). \Recent and unknown system flags are refused.
 * Returns false with *error_r. */
bool
imap_parse_flags(const struct imap_arg *arg, struct arena *arena,
    unsigned *flags_r, const char **keywords_r, const char **error_r)
{
	static const struct {
		const char *name;
		unsigned flag;
	} system_flags[] = {
		{ "\\Seen", MAILBOX_FLAG_SEEN },
		{ "\\Answered", MAILBOX_FLAG_ANSWERED },
		{ "\\Flagged", MAILBOX_FLAG_FLAGGED },
		{ "\\Deleted", MAILBOX_FLAG_DELETED },
		{ "\\Draft", MAILBOX_FLAG_DRAFT },
	};
	const struct imap_arg *items = arg->type == IMAP_ARG_LIST ?
	    arg->list : arg;
	size_t count = arg->type == IMAP_ARG_LIST ? arg->list_count : 1;
	char *keywords = arena_strdup(arena, "");
	size_t i, j;

	*flags_r = 0;
	for (i = 0; i < count; i++) {
		const char *name = items[i].text;
		const unsigned char *p;

		if (items[i].type != IMAP_ARG_ATOM) {
			*error_r = "Flags are atoms";
			return false;
		}
		if (name[0] == '\\') {
			for (j = 0; j < ARRAY_LENGTH(system_flags); j++)
				if (strcasecmp(name, system_flags[j].name) == 0)
					break;
			if (j == ARRAY_LENGTH(system_flags)) {
				*error_r = "Unknown system flag";
				return false;
			}
			*flags_r |= system_flags[j].flag;
			continue;
		}
		/* A keyword is an atom without resp-specials. */
		for (p = (const unsigned char *)name; *p != '\0'; p++)
			if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]",
			    *p) != NULL) {
				*error_r = "Invalid keyword";
				return false;
			}
		keywords = arena_printf(arena, "%s%s%s", keywords,
		    keywords[0] != '\0' ? " " : "", name);
	}
	*keywords_r = keywords;
	return true;
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 date-time; the day may have a
 * leading space) into unix seconds. */
static bool
imap_parse_date_time(const char *text, int64_t *time_r)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char month[4], sign;
	int day, year, hour, minute, second, zone, consumed = 0;
	const char *found;
	struct tm tm;
	time_t seconds;

	if (sscanf(text, "%2d-%3s-%4d %2d:%2d:%2d %c%4d%n", &day, month,
	    &year, &hour, &minute, &second, &sign, &zone, &consumed) != 8 ||
	    text[consumed] != '\0' || (sign != '+' && sign != '-'))
		return false;
	month[0] = (char)toupper((unsigned char)month[0]);
	month[1] = (char)tolower((unsigned char)month[1]);
	month[2] = (char)tolower((unsigned char)month[2]);
	found = strstr(months, month);
	if (found == NULL || (found - months) % 3 != 0 || day < 1 ||
	    day > 31 || hour > 23 || minute > 59 || second > 60 ||
	    zone % 100 > 59 || year < 1970)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = (int)((found - months) / 3);
	tm.tm_year = year - 1900;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	seconds = timegm(&tm);
	zone = (zone / 100) * 3600 + (zone % 100) * 60;
	*time_r = (int64_t)seconds - (sign == '+' ? zone : -zone);
	return true;
}

static enum imap_result
imap_command_append(struct imap_session *session)
{
	const struct imap_arg *args = session->args, *message;
	const char *mailbox, *keywords = "", *error, *date;
	unsigned flags = 0;
	int64_t internal_date = 0;
	uint64_t used, messages;
	uint32_t uid, uidvalidity;
	size_t next = 1;

	if (session->arg_count < 2 || session->arg_count > 4) {
		imap_session_bad(session, "APPEND needs a mailbox and a "
		    "message");
		return IMAP_RESULT_DONE;
	}
	if (args[next].type == IMAP_ARG_LIST) {
		if (!imap_parse_flags(&args[next], session->command_arena,
		    &flags, &keywords, &error)) {
			imap_session_bad(session, error);
			return IMAP_RESULT_DONE;
		}
		next++;
	}
	if (next < session->arg_count - 1) {
		date = imap_arg_string(&args[next]);
		if (args[next].type != IMAP_ARG_STRING || date == NULL ||
		    !imap_parse_date_time(date, &internal_date)) {
			imap_session_bad(session, "Invalid date-time");
			return IMAP_RESULT_DONE;
		}
		next++;
	}
	message = &args[next];
	if (next != session->arg_count - 1 ||
	    (message->type != IMAP_ARG_LITERAL &&
	    message->type != IMAP_ARG_STRING)) {
		imap_session_bad(session, "APPEND needs the message as a "
		    "literal");
		return IMAP_RESULT_DONE;
	}
	mailbox = imap_session_mailbox_argument(session, &args[0]);
	if (mailbox == NULL)
		return IMAP_RESULT_DONE;
	if (session->quota_bytes > 0) {
		if (mailbox_index_usage(session->index, &used, &messages,
		    &error) < 0)
			goto failed;
		if (used + message->length > session->quota_bytes) {
			imap_session_tagged(session, "NO", " [OVERQUOTA] Quota "
			    "exceeded");
			return IMAP_RESULT_DONE;
		}
	}
	if (mailbox_index_append(session->index, mailbox,
	    (const unsigned char *)message->text, message->length, flags,
	    keywords, internal_date, &uid, &uidvalidity, &error) < 0) {
		if (errno == ENOENT) {
			imap_session_tagged(session, "NO", " [TRYCREATE] No "
			    "such mailbox");
			return IMAP_RESULT_DONE;
		}
		goto failed;
	}
	mailbox_notify_changed(imap_server_notify(session->server),
	    imap_session_folder_path(session, mailbox,
	    session->command_arena));
	if (session->view != NULL && strcmp(session->view->name, mailbox) == 0
	    && imap_session_sync_view(session, true, &error) < 0)
		goto failed;
	imap_session_tagged(session, "OK", " [APPENDUID %u %u] APPEND "
	    "completed", uidvalidity, uid);
	return IMAP_RESULT_DONE;
failed:
	log_warn("event=imap_append_failed session=%s user=%s error=\"%s\"",
	    session->id, session->user, error);
	imap_session_tagged(session, "NO", " [SERVERBUG] APPEND failed, try "
	    "again later");
	return IMAP_RESULT_DONE;
}

/* EXPUNGE, and CLOSE's silent one. */
static int
imap_expunge(struct imap_session *session, const uint32_t *uids,
    size_t uid_count, const char **error_r)
{
	uint32_t *expunged;
	size_t count;

	if (mailbox_index_expunge(session->index, session->view->name, uids,
	    uid_count, session->command_arena, &expunged, &count,
	    error_r) < 0)
		return -1;
	if (count > 0)
		mailbox_notify_changed(imap_server_notify(session->server),
		    session->view->folder_path);
	return 0;
}

static enum imap_result
imap_command_expunge(struct imap_session *session)
{
	const char *error;

	if (session->view->read_only) {
		imap_session_tagged(session, "NO", " [READ-ONLY] Mailbox is "
		    "read-only");
		return IMAP_RESULT_DONE;
	}
	if (session->arg_count != 0) {
		imap_session_bad(session, "EXPUNGE takes no arguments");
		return IMAP_RESULT_DONE;
	}
	if (imap_expunge(session, NULL, 0, &error) < 0 ||
	    imap_session_sync_view(session, true, &error) < 0) {
		log_warn("event=imap_expunge_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] EXPUNGE "
		    "failed");
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " EXPUNGE completed");
	return IMAP_RESULT_DONE;
}

static enum imap_result
imap_command_close(struct imap_session *session)
{
	const char *error;

	/* RFC 3501 6.4.2: expunge without telling, then deselect. */
	if (strcmp(session->command->name, "CLOSE") == 0 &&
	    !session->view->read_only &&
	    imap_expunge(session, NULL, 0, &error) < 0)
		log_warn("event=imap_expunge_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
	imap_session_tagged(session, "OK", " %s completed",
	    session->command->name);
	return IMAP_RESULT_DONE;
}

static void
imap_command_close_finish(struct imap_session *session)
{
	imap_session_unselect(session);
}

const struct imap_command_handler imap_command_append_handlers[] = {
	{ "APPEND", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB |
	    IMAP_HANDLER_EXPUNGE_OK, imap_command_append, NULL },
	{ "EXPUNGE", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB |
	    IMAP_HANDLER_EXPUNGE_OK, imap_command_expunge, NULL },
	{ "CLOSE", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB, imap_command_close,
	    imap_command_close_finish },
	{ "UNSELECT", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB,
	    imap_command_close, imap_command_close_finish },
	{ NULL, 0, 0, NULL, NULL },
};
