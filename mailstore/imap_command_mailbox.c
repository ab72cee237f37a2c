/* imap_command_mailbox.c: folder commands: SELECT, EXAMINE, CREATE,
 * DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, and the
 * QUOTA extension's GETQUOTAROOT, GETQUOTA, SETQUOTA (RFC 2087). */
#include "mailstore/imap_session.h"
#include "mailstore/imap_utf7.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/string_set.h"

#include <errno.h>
#include <strings.h>

/* Appends name as a quoted string in modified UTF-7. */
static void
imap_append_mailbox_name(struct buffer *out, const char *name,
    struct arena *arena)
{
	const char *encoded = imap_utf7_encode(name, arena), *p;

	ASSERT(buffer_append(out, "\"", 1) == 0);
	for (p = encoded != NULL ? encoded : ""; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			ASSERT(buffer_append(out, "\\", 1) == 0);
		ASSERT(buffer_append(out, p, 1) == 0);
	}
	ASSERT(buffer_append(out, "\"", 1) == 0);
}

/* The NO answer for a failed index call on a folder. */
static void
imap_mailbox_failed(struct imap_session *session, const char *error)
{
	switch (errno) {
	case ENOENT:
		imap_session_tagged(session, "NO", " [NONEXISTENT] No such "
		    "mailbox");
		break;
	case EEXIST:
		imap_session_tagged(session, "NO", " [ALREADYEXISTS] Mailbox "
		    "already exists");
		break;
	case EINVAL:
		imap_session_tagged(session, "NO", " [CANNOT] %s", error);
		break;
	case EDQUOT:
		imap_session_tagged(session, "NO", " [OVERQUOTA] %s", error);
		break;
	default:
		log_warn("event=imap_mailbox_failed session=%s user=%s "
		    "command=%s error=\"%s\"", session->id, session->user,
		    session->command->name, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] Internal "
		    "error, try again later");
		break;
	}
}

/* SELECT and EXAMINE. */

struct imap_select_state {
	struct imap_view *view;		/* the new view, or NULL */
};

static enum imap_result
imap_command_select(struct imap_session *session)
{
	bool examine = strcmp(session->command->name, "EXAMINE") == 0;
	struct imap_select_state *state = arena_new_type(session->command_arena,
	    struct imap_select_state);
	struct mailbox_changes changes;
	struct imap_view *view;
	struct buffer flags;
	struct string_set *keywords;
	const char *name, *error, **keyword_list;
	size_t i, j, words, recent = 0, first_unseen = 0;

	session->command_state = state;
	if (session->arg_count < 1 || session->arg_count > 2) {
		imap_session_bad(session, "SELECT needs a mailbox name");
		return IMAP_RESULT_DONE;
	}
	if (session->arg_count == 2) {
		const struct imap_arg *options = &session->args[1];

		/* RFC 7162: SELECT name (CONDSTORE) enables CONDSTORE. */
		if (options->type != IMAP_ARG_LIST ||
		    options->list_count != 1 ||
		    !imap_arg_is_atom(&options->list[0], "CONDSTORE")) {
			imap_session_bad(session, "Unknown SELECT parameter");
			return IMAP_RESULT_DONE;
		}
		session->condstore = true;
	}
	name = imap_session_mailbox_argument(session, &session->args[0]);
	if (name == NULL)
		return IMAP_RESULT_DONE;
	if (mailbox_index_changes(session->index, name, 0,
	    session->command_arena, &changes, &error) < 0) {
		imap_mailbox_failed(session, error);
		return IMAP_RESULT_DONE;
	}
	view = alloc_new(struct imap_view);
	view->name = alloc_strdup(name);
	view->folder_path = alloc_strdup(imap_session_folder_path(session,
	    name, session->command_arena));
	view->read_only = examine;
	view->uidvalidity = changes.uidvalidity;
	view->uidnext = changes.uidnext;
	view->highest_modseq = changes.highest_modseq;
	view->first_recent_uid = changes.first_recent_uid;
	keywords = string_set_new(0);
	buffer_init(&flags, 0);
	for (i = 0; i < changes.message_count; i++) {
		const struct mailbox_message *message = &changes.messages[i];

		imap_view_append(view, message->uid);
		if (message->uid >= view->first_recent_uid)
			recent++;
		if (first_unseen == 0 &&
		    (message->flags & MAILBOX_FLAG_SEEN) == 0)
			first_unseen = i + 1;
		words = imap_session_split_keywords(message->keywords,
		    session->command_arena, &keyword_list);
		for (j = 0; j < words; j++) {
			if (string_set_add(keywords, keyword_list[j])) {
				ASSERT(buffer_append(&flags, " ", 1) == 0);
				ASSERT(buffer_append_string(&flags,
				    keyword_list[j]) == 0);
			}
		}
	}
	ASSERT(buffer_append(&flags, "", 1) == 0);
	imap_session_untagged(session, "FLAGS (\\Answered \\Flagged "
	    "\\Deleted \\Seen \\Draft%s)", (const char *)buffer_data(&flags));
	imap_session_untagged(session, "OK [PERMANENTFLAGS (%s%s)] Flags "
	    "permitted", examine ? "" : "\\Answered \\Flagged \\Deleted "
	    "\\Seen \\Draft \\*", examine ? "" :
	    (const char *)buffer_data(&flags));
	buffer_deinit(&flags);
	string_set_free(&keywords);
	imap_session_untagged(session, "%zu EXISTS", view->count);
	imap_session_untagged(session, "%zu RECENT", recent);
	if (first_unseen > 0)
		imap_session_untagged(session, "OK [UNSEEN %zu] First unseen",
		    first_unseen);
	imap_session_untagged(session, "OK [UIDVALIDITY %u] UIDs valid",
	    view->uidvalidity);
	imap_session_untagged(session, "OK [UIDNEXT %u] Predicted next UID",
	    view->uidnext);
	imap_session_untagged(session, "OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)view->highest_modseq);
	imap_session_tagged(session, "OK", " [%s] %s completed",
	    examine ? "READ-ONLY" : "READ-WRITE", session->command->name);
	state->view = view;
	return IMAP_RESULT_DONE;
}

/* On the loop: the old selection ends whatever happened (RFC 3501
 * 6.3.1), the new one starts if the job built it. */
static void
imap_command_select_finish(struct imap_session *session)
{
	struct imap_select_state *state = session->command_state;

	imap_session_unselect(session);
	if (state == NULL || state->view == NULL)
		return;
	session->view = state->view;
	state->view = NULL;
	session->state = IMAP_STATE_SELECTED;
	session->changed = false;
	session->watch = mailbox_notify_watch_add(
	    imap_server_notify(session->server), session->view->folder_path,
	    imap_session_changed, session);
}

/* CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE. */

static enum imap_result
imap_command_folder_change(struct imap_session *session)
{
	const char *verb = session->command->name, *name, *other = NULL;
	const char *error;
	size_t wanted = strcmp(verb, "RENAME") == 0 ? 2 : 1;
	int ret;

	if (session->arg_count != wanted) {
		imap_session_bad(session, wanted == 2 ? "RENAME needs two "
		    "mailbox names" : "Mailbox name expected");
		return IMAP_RESULT_DONE;
	}
	name = imap_session_mailbox_argument(session, &session->args[0]);
	if (name == NULL)
		return IMAP_RESULT_DONE;
	if (wanted == 2) {
		other = imap_session_mailbox_argument(session, &session->args[1]);
		if (other == NULL)
			return IMAP_RESULT_DONE;
	}
	if (strcmp(verb, "CREATE") == 0) {
		/* RFC 3501 6.3.3: a trailing separator only says the client
		 * wants children later; our names cannot end in one. */
		ret = mailbox_index_create(session->index, name, &error);
	} else if (strcmp(verb, "DELETE") == 0) {
		if (session->view != NULL &&
		    strcmp(session->view->name, name) == 0) {
			imap_session_tagged(session, "NO", " [INUSE] Mailbox "
			    "is selected");
			return IMAP_RESULT_DONE;
		}
		ret = mailbox_index_delete(session->index, name, &error);
	} else if (strcmp(verb, "RENAME") == 0) {
		ret = mailbox_index_rename(session->index, name, other,
		    &error);
	} else {
		ret = mailbox_index_subscribe(session->index, name,
		    strcmp(verb, "SUBSCRIBE") == 0, &error);
	}
	if (ret < 0) {
		imap_mailbox_failed(session, error);
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " %s completed", verb);
	return IMAP_RESULT_DONE;
}

/* LIST and LSUB. */

/* Whether name matches pattern ('*' anything, '%' anything but the
 * '.' separator); INBOX matches case-insensitively. */
static bool
imap_list_match(const char *pattern, const char *name)
{
	for (; *pattern != '\0'; pattern++, name++) {
		if (*pattern == '*' || *pattern == '%') {
			do {
				if (imap_list_match(pattern + 1, name))
					return true;
				if (*pattern == '%' && *name == '.')
					return false;
			} while (*name++ != '\0');
			return false;
		}
		if (*name == '\0' || *pattern != *name)
			return false;
	}
	return *name == '\0';
}

static bool
imap_list_matches(const char *pattern, const char *name)
{
	if (strcasecmp(name, "INBOX") == 0 &&
	    strncasecmp(pattern, "INBOX", 5) == 0)
		return imap_list_match(pattern + 5, "");
	return imap_list_match(pattern, name);
}

static enum imap_result
imap_command_list(struct imap_session *session)
{
	bool lsub = strcmp(session->command->name, "LSUB") == 0;
	const char *reference, *pattern_text, *pattern, *error;
	struct mailbox_index_folder *folders;
	struct buffer line;
	size_t count, i;

	if (session->arg_count != 2 ||
	    (reference = imap_arg_string(&session->args[0])) == NULL ||
	    (pattern_text = imap_arg_string(&session->args[1])) == NULL) {
		imap_session_bad(session, "LIST needs a reference and a "
		    "pattern");
		return IMAP_RESULT_DONE;
	}
	if (pattern_text[0] == '\0') {
		/* RFC 3501 6.3.8: the hierarchy delimiter and root. */
		imap_session_untagged(session, "%s (\\Noselect) \".\" \"\"",
		    session->command->name);
		imap_session_tagged(session, "OK", " %s completed",
		    session->command->name);
		return IMAP_RESULT_DONE;
	}
	pattern = imap_utf7_decode(arena_printf(session->command_arena,
	    "%s%s", reference, pattern_text), session->command_arena);
	if (pattern == NULL) {
		imap_session_tagged(session, "OK", " %s completed (no "
		    "mailbox has that name)", session->command->name);
		return IMAP_RESULT_DONE;
	}
	if (mailbox_index_list(session->index, session->command_arena,
	    &folders, &count, &error) < 0) {
		imap_mailbox_failed(session, error);
		return IMAP_RESULT_DONE;
	}
	buffer_init(&line, 0);
	for (i = 0; i < count; i++) {
		const struct mailbox_index_folder *folder = &folders[i];

		if ((lsub && !folder->subscribed) ||
		    !imap_list_matches(pattern, folder->name))
			continue;
		buffer_reset(&line);
		ASSERT(buffer_printf(&line, "* %s (%s", session->command->name,
		    folder->has_children ? "\\HasChildren" :
		    "\\HasNoChildren") == 0);
		if (!lsub && folder->subscribed)
			ASSERT(buffer_append_string(&line, " \\Subscribed")
			    == 0);
		if ((folder->special_use & MAILBOX_SPECIAL_DRAFTS) != 0)
			ASSERT(buffer_append_string(&line, " \\Drafts") == 0);
		if ((folder->special_use & MAILBOX_SPECIAL_SENT) != 0)
			ASSERT(buffer_append_string(&line, " \\Sent") == 0);
		if ((folder->special_use & MAILBOX_SPECIAL_JUNK) != 0)
			ASSERT(buffer_append_string(&line, " \\Junk") == 0);
		if ((folder->special_use & MAILBOX_SPECIAL_TRASH) != 0)
			ASSERT(buffer_append_string(&line, " \\Trash") == 0);
		ASSERT(buffer_append_string(&line, ") \".\" ") == 0);
		imap_append_mailbox_name(&line, folder->name,
		    session->command_arena);
		ASSERT(buffer_append(&line, "\r\n", 2) == 0);
		imap_session_write(session, buffer_data(&line),
		    buffer_length(&line));
	}
	buffer_deinit(&line);
	imap_session_tagged(session, "OK", " %s completed",
	    session->command->name);
	return IMAP_RESULT_DONE;
}

/* STATUS. */

static enum imap_result
imap_command_status(struct imap_session *session)
{
	const struct imap_arg *items;
	struct mailbox_status status;
	struct buffer line;
	const char *name, *error;
	size_t i;

	if (session->arg_count != 2 || session->args[1].type != IMAP_ARG_LIST ||
	    session->args[1].list_count == 0) {
		imap_session_bad(session, "STATUS needs a mailbox and items");
		return IMAP_RESULT_DONE;
	}
	name = imap_session_mailbox_argument(session, &session->args[0]);
	if (name == NULL)
		return IMAP_RESULT_DONE;
	items = &session->args[1];
	if (mailbox_index_status(session->index, name, &status, &error) < 0) {
		imap_mailbox_failed(session, error);
		return IMAP_RESULT_DONE;
	}
	buffer_init(&line, 0);
	ASSERT(buffer_append_string(&line, "* STATUS ") == 0);
	imap_append_mailbox_name(&line, name, session->command_arena);
	ASSERT(buffer_append_string(&line, " (") == 0);
	for (i = 0; i < items->list_count; i++) {
		const struct imap_arg *item = &items->list[i];
		unsigned long long value;
		const char *label;

		if (imap_arg_is_atom(item, "MESSAGES"))
			label = "MESSAGES", value = status.messages;
		else if (imap_arg_is_atom(item, "RECENT"))
			label = "RECENT", value = status.recent;
		else if (imap_arg_is_atom(item, "UIDNEXT"))
			label = "UIDNEXT", value = status.uidnext;
		else if (imap_arg_is_atom(item, "UIDVALIDITY"))
			label = "UIDVALIDITY", value = status.uidvalidity;
		else if (imap_arg_is_atom(item, "UNSEEN"))
			label = "UNSEEN", value = status.unseen;
		else if (imap_arg_is_atom(item, "HIGHESTMODSEQ"))
			label = "HIGHESTMODSEQ", value = status.highest_modseq;
		else if (imap_arg_is_atom(item, "SIZE"))
			label = "SIZE", value = status.size_crlf;
		else {
			buffer_deinit(&line);
			imap_session_bad(session, "Unknown STATUS item");
			return IMAP_RESULT_DONE;
		}
		ASSERT(buffer_printf(&line, "%s%s %llu", i > 0 ? " " : "",
		    label, value) == 0);
	}
	ASSERT(buffer_append(&line, ")\r\n", 3) == 0);
	imap_session_write(session, buffer_data(&line), buffer_length(&line));
	buffer_deinit(&line);
	imap_session_tagged(session, "OK", " STATUS completed");
	return IMAP_RESULT_DONE;
}

/* QUOTA (RFC 2087): one root, "", holding every folder of the user. */

static void
imap_quota_response(struct imap_session *session, uint64_t used_bytes)
{
	if (session->quota_bytes == 0) {
		imap_session_untagged(session, "QUOTA \"\" ()");
		return;
	}
	/* STORAGE is counted in units of 1024 octets. */
	imap_session_untagged(session, "QUOTA \"\" (STORAGE %llu %llu)",
	    (unsigned long long)((used_bytes + 1023) / 1024),
	    (unsigned long long)(session->quota_bytes / 1024));
}

static enum imap_result
imap_command_quota(struct imap_session *session)
{
	bool root = strcmp(session->command->name, "GETQUOTAROOT") == 0;
	uint64_t bytes, messages;
	const char *name, *error;

	if (session->arg_count != 1 ||
	    imap_arg_string(&session->args[0]) == NULL) {
		imap_session_bad(session, root ? "GETQUOTAROOT needs a mailbox"
		    : "GETQUOTA needs a quota root");
		return IMAP_RESULT_DONE;
	}
	if (root) {
		name = imap_session_mailbox_argument(session, &session->args[0]);
		if (name == NULL)
			return IMAP_RESULT_DONE;
		struct mailbox_status status;

		if (mailbox_index_status(session->index, name, &status,
		    &error) < 0) {
			imap_mailbox_failed(session, error);
			return IMAP_RESULT_DONE;
		}
		struct buffer line;

		buffer_init(&line, 0);
		ASSERT(buffer_append_string(&line, "* QUOTAROOT ") == 0);
		imap_append_mailbox_name(&line, name, session->command_arena);
		ASSERT(buffer_append_string(&line, " \"\"\r\n") == 0);
		imap_session_write(session, buffer_data(&line),
		    buffer_length(&line));
		buffer_deinit(&line);
	} else if (imap_arg_string(&session->args[0])[0] != '\0') {
		imap_session_tagged(session, "NO", " [NONEXISTENT] No such "
		    "quota root");
		return IMAP_RESULT_DONE;
	}
	if (mailbox_index_usage(session->index, &bytes, &messages,
	    &error) < 0) {
		imap_mailbox_failed(session, error);
		return IMAP_RESULT_DONE;
	}
	imap_quota_response(session, bytes);
	imap_session_tagged(session, "OK", " %s completed",
	    session->command->name);
	return IMAP_RESULT_DONE;
}

static enum imap_result
imap_command_setquota(struct imap_session *session)
{
	imap_session_tagged(session, "NO", " [NOPERM] Quotas are set by the "
	    "administrator (sluice user quota)");
	return IMAP_RESULT_DONE;
}

const struct imap_command_handler imap_command_mailbox_handlers[] = {
	{ "SELECT", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_select, imap_command_select_finish },
	{ "EXAMINE", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_select, imap_command_select_finish },
	{ "CREATE", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_folder_change, NULL },
	{ "DELETE", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_folder_change, NULL },
	{ "RENAME", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_folder_change, NULL },
	{ "SUBSCRIBE", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_folder_change, NULL },
	{ "UNSUBSCRIBE", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_folder_change, NULL },
	{ "LIST", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_list, NULL },
	{ "LSUB", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_list, NULL },
	{ "STATUS", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_status, NULL },
	{ "GETQUOTAROOT", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_quota, NULL },
	{ "GETQUOTA", IMAP_STATE_AUTHENTICATED_ANY, IMAP_HANDLER_JOB,
	    imap_command_quota, NULL },
	{ "SETQUOTA", IMAP_STATE_AUTHENTICATED_ANY, 0, imap_command_setquota,
	    NULL },
	{ NULL, 0, 0, NULL, NULL },
};
