/* imap_session.c: what the command groups share: the capability list,
 * the selected folder's view and how it catches up with the index. */
#include "mailstore/imap_session.h"
#include "mailstore/imap_utf7.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <strings.h>

bool
imap_session_may_login(const struct imap_session *session)
{
	return session->plaintext_auth ||
	    connection_is_tls(session->connection);
}

const char *
imap_session_capabilities(struct imap_session *session)
{
	static const char common[] = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE "
	    "IDLE NAMESPACE";

	if (session->state == IMAP_STATE_NOT_AUTHENTICATED) {
		bool starttls = imap_server_tls(session->server) != NULL &&
		    !connection_is_tls(session->connection);

		return arena_printf(session->arena, "%s%s%s", common,
		    starttls ? " STARTTLS" : "",
		    imap_session_may_login(session) ? " AUTH=PLAIN" :
		    " LOGINDISABLED");
	}
	return "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UIDPLUS "
	    "MOVE UNSELECT CHILDREN SPECIAL-USE CONDSTORE QUOTA";
}

void
imap_view_free(struct imap_view **view_p)
{
	struct imap_view *view = *view_p;

	if (view == NULL)
		return;
	free(view->name);
	free(view->folder_path);
	free(view->uids);
	free(view->pending_expunges);
	free(view);
	*view_p = NULL;
}

void
imap_session_unselect(struct imap_session *session)
{
	mailbox_notify_watch_remove(&session->watch);
	imap_view_free(&session->view);
	if (session->state == IMAP_STATE_SELECTED)
		session->state = IMAP_STATE_AUTHENTICATED;
}

/* The position (0-based) of uid in the view, or -1. */
ssize_t
imap_view_find(const struct imap_view *view, uint32_t uid)
{
	size_t low = 0, high = view->count, middle;

	while (low < high) {
		middle = low + (high - low) / 2;
		if (view->uids[middle] < uid)
			low = middle + 1;
		else
			high = middle;
	}
	return low < view->count && view->uids[low] == uid ?
	    (ssize_t)low : -1;
}

void
imap_view_append(struct imap_view *view, uint32_t uid)
{
	if (view->count == view->capacity) {
		view->capacity = view->capacity == 0 ? 64 : view->capacity * 2;
		view->uids = alloc_resize(view->uids, view->capacity,
		    sizeof(*view->uids));
	}
	view->uids[view->count++] = uid;
}

/* Appends "(\Seen ... keyword)" for flags and keywords. */
void
imap_session_append_flags(struct buffer *out, unsigned flags,
    const char *keywords, bool recent)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
		{ MAILBOX_FLAG_SEEN, "\\Seen" },
		{ MAILBOX_FLAG_ANSWERED, "\\Answered" },
		{ MAILBOX_FLAG_FLAGGED, "\\Flagged" },
		{ MAILBOX_FLAG_DELETED, "\\Deleted" },
		{ MAILBOX_FLAG_DRAFT, "\\Draft" },
	};
	bool first = true;
	size_t i;

	ASSERT(buffer_append(out, "(", 1) == 0);
	for (i = 0; i < ARRAY_LENGTH(names); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		if (!first)
			ASSERT(buffer_append(out, " ", 1) == 0);
		ASSERT(buffer_append_string(out, names[i].name) == 0);
		first = false;
	}
	if (recent) {
		if (!first)
			ASSERT(buffer_append(out, " ", 1) == 0);
		ASSERT(buffer_append_string(out, "\\Recent") == 0);
		first = false;
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if (!first)
			ASSERT(buffer_append(out, " ", 1) == 0);
		ASSERT(buffer_append_string(out, keywords) == 0);
	}
	ASSERT(buffer_append(out, ")", 1) == 0);
}

/* Reports the expunges waiting in the view, renumbering as it goes. */
static void
imap_session_report_expunges(struct imap_session *session)
{
	struct imap_view *view = session->view;
	ssize_t position;
	size_t i;

	for (i = 0; i < view->pending_expunge_count; i++) {
		position = imap_view_find(view, view->pending_expunges[i]);
		if (position < 0)
			continue;
		memmove(view->uids + position, view->uids + position + 1,
		    (view->count - (size_t)position - 1) *
		    sizeof(*view->uids));
		view->count--;
		imap_session_untagged(session, "%zu EXPUNGE",
		    (size_t)position + 1);
	}
	view->pending_expunge_count = 0;
}

int
imap_session_sync_view(struct imap_session *session, bool expunge_ok,
    const char **error_r)
{
	struct imap_view *view = session->view;
	struct arena *arena = arena_new("imap sync", 0);
	struct mailbox_changes changes;
	struct mailbox_message *message;
	size_t i, old_count, recent = 0;
	ssize_t position;
	uint32_t last;

	if (mailbox_index_changes(session->index, view->name,
	    view->highest_modseq, arena, &changes, error_r) < 0) {
		arena_free(&arena);
		return -1;
	}
	if (changes.uidvalidity != view->uidvalidity) {
		/* Deleted and created again: nothing this session knows
		 * holds any more (RFC 3501 2.3.1.1). */
		session->closing_reason = "Mailbox UIDVALIDITY changed";
		arena_free(&arena);
		return 0;
	}
	for (i = 0; i < changes.expunged_count; i++) {
		if (imap_view_find(view, changes.expunged[i]) < 0)
			continue;
		view->pending_expunges = alloc_resize(view->pending_expunges,
		    view->pending_expunge_count + 1,
		    sizeof(*view->pending_expunges));
		view->pending_expunges[view->pending_expunge_count++] =
		    changes.expunged[i];
	}
	if (expunge_ok)
		imap_session_report_expunges(session);

	old_count = view->count;
	last = view->count > 0 ? view->uids[view->count - 1] : 0;
	for (i = 0; i < changes.message_count; i++) {
		message = &changes.messages[i];
		if (message->uid > last) {
			imap_view_append(view, message->uid);
			last = message->uid;
			continue;
		}
		position = imap_view_find(view, message->uid);
		if (position < 0)
			continue;
		/* A flag change somebody else made (or our own STORE,
		 * reported again: harmless). */
		struct buffer line;

		buffer_init(&line, 0);
		ASSERT(buffer_printf(&line, "* %zu FETCH (", (size_t)position +
		    1) == 0);
		if (session->uid_command)
			ASSERT(buffer_printf(&line, "UID %u ",
			    message->uid) == 0);
		ASSERT(buffer_append_string(&line, "FLAGS ") == 0);
		imap_session_append_flags(&line, message->flags,
		    message->keywords, message->uid >= view->first_recent_uid);
		if (session->condstore)
			ASSERT(buffer_printf(&line, " MODSEQ (%llu)",
			    (unsigned long long)message->modseq) == 0);
		ASSERT(buffer_append(&line, ")\r\n", 3) == 0);
		imap_session_write(session, buffer_data(&line),
		    buffer_length(&line));
		buffer_deinit(&line);
	}
	if (view->count != old_count) {
		imap_session_untagged(session, "%zu EXISTS", view->count);
		for (i = 0; i < view->count; i++)
			recent += view->uids[i] >= view->first_recent_uid;
		imap_session_untagged(session, "%zu RECENT", recent);
	}
	view->highest_modseq = changes.highest_modseq;
	view->uidnext = changes.uidnext;
	arena_free(&arena);
	return 0;
}

const char *
imap_session_mailbox_argument(struct imap_session *session,
    const struct imap_arg *arg)
{
	const char *text = imap_arg_string(arg), *name;

	if (text == NULL) {
		imap_session_bad(session, "Mailbox name expected");
		return NULL;
	}
	if (strcasecmp(text, "INBOX") == 0)
		return "INBOX";
	name = imap_utf7_decode(text, session->command_arena);
	if (name == NULL || !mailbox_index_name_is_valid(name)) {
		imap_session_tagged(session, "NO", " [CANNOT] Invalid mailbox "
		    "name");
		return NULL;
	}
	return name;
}

size_t
imap_session_split_keywords(const char *keywords, struct arena *arena,
    const char ***words_r)
{
	char *copy = arena_strdup(arena, keywords), *word, *next;
	const char **words;
	size_t count = 0;

	words = arena_array(arena, strlen(keywords) / 2 + 1, sizeof(*words));
	for (word = copy; word != NULL && *word != '\0'; word = next) {
		next = strchr(word, ' ');
		if (next != NULL)
			*next++ = '\0';
		words[count++] = word;
	}
	*words_r = words;
	return count;
}
