/* imap_command_message.c: the commands on messages of the selected
 * folder: FETCH, STORE, SEARCH, COPY, MOVE (RFC 6851) and UID EXPUNGE
 * (UIDPLUS), with CONDSTORE's CHANGEDSINCE, UNCHANGEDSINCE and MODSEQ.
 *
 * DESIGN: a command resolves its sequence set against the session's
 * view (sequence numbers are view positions), syncs the view once and
 * reads the index data of just the messages it names
 * (mailbox_index_messages, no second sync; SEARCH reads every message of
 * the view that way), and for FETCH reads
 * each file only when an item needs its bytes, converting the stored LF
 * line ends to the CRLF the client counts in. FETCH writes at most
 * IMAP_SESSION_OUTPUT_SLICE bytes per run and continues where it
 * stopped (IMAP_RESULT_MORE). */
#include "mailstore/imap_session.h"
#include "mailstore/imap_fetch_items.h"
#include "mailstore/imap_message.h"
#include "mailstore/imap_search.h"
#include "mailstore/imap_sequence.h"
#include "lib/alloc.h"
#include "lib/log.h"

#include <errno.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Files larger than this are not read for FETCH or SEARCH. */
#define IMAP_MESSAGE_FILE_MAX ((uint64_t)256 * 1024 * 1024)

/* The selected messages of a command. */
struct imap_targets {
	struct mailbox_message **messages;	/* index data, in view order */
	uint32_t *sequences;			/* their sequence numbers */
	size_t count;
};

/* Finds the index data of the messages at the count ascending view
 * positions (NULL for one the index no longer has), without a sync: the
 * command synced the view just before. */
static int
imap_view_messages(struct imap_session *session, const uint32_t *positions,
    size_t count, struct arena *arena, struct mailbox_message ***messages_r,
    const char **error_r)
{
	struct imap_view *view = session->view;
	struct mailbox_message **messages, *found;
	uint32_t *uids;
	size_t found_count, i, j = 0;

	uids = arena_array(arena, MAX(count, 1), sizeof(*uids));
	for (i = 0; i < count; i++)
		uids[i] = view->uids[positions[i]];
	if (mailbox_index_messages(session->index, view->name, uids, count,
	    arena, &found, &found_count, error_r) < 0)
		return -1;
	messages = arena_array(arena, MAX(count, 1), sizeof(*messages));
	/* Both are ascending by UID: one merge. */
	for (i = 0; i < count; i++) {
		while (j < found_count && found[j].uid < uids[i])
			j++;
		messages[i] = j < found_count && found[j].uid == uids[i] ?
		    &found[j] : NULL;
	}
	*messages_r = messages;
	return 0;
}

/* Resolves set_text (sequence numbers, or UIDs for a UID command)
 * against the view. Returns 0, or -1 after a BAD or NO answer. */
static int
imap_resolve_targets(struct imap_session *session, const char *set_text,
    struct imap_targets *targets_r)
{
	struct imap_view *view = session->view;
	struct imap_sequence_set *set;
	struct mailbox_message **found;
	uint32_t *numbers, *positions;
	const char *error;
	size_t count, position_count = 0, i;
	ssize_t position;

	memset(targets_r, 0, sizeof(*targets_r));
	if (set_text == NULL || imap_sequence_parse(set_text,
	    session->command_arena, &set, &error) < 0) {
		imap_session_bad(session, set_text == NULL ?
		    "Sequence set expected" : error);
		return -1;
	}
	if (session->uid_command) {
		/* "*" is the highest UID in use, or UIDNEXT-1 if empty. */
		imap_sequence_select(set, view->uids, view->count,
		    view->count > 0 ? 0 : view->uidnext - 1,
		    session->command_arena, &numbers, &count);
	} else {
		if (view->count == 0 || (!set->has_star &&
		    set->ranges[set->range_count - 1].last > view->count)) {
			imap_session_bad(session, "Invalid message sequence "
			    "number");
			return -1;
		}
		imap_sequence_select(set, NULL, view->count, 0,
		    session->command_arena, &numbers, &count);
	}
	/* The view positions, ascending as the numbers are. */
	positions = arena_array(session->command_arena, MAX(count, 1),
	    sizeof(*positions));
	for (i = 0; i < count; i++) {
		position = session->uid_command ?
		    imap_view_find(view, numbers[i]) : (ssize_t)numbers[i] - 1;
		if (position >= 0)
			positions[position_count++] = (uint32_t)position;
	}
	if (imap_view_messages(session, positions, position_count,
	    session->command_arena, &found, &error) < 0) {
		log_warn("event=imap_index_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] Internal "
		    "error, try again later");
		return -1;
	}
	targets_r->messages = arena_array(session->command_arena,
	    MAX(position_count, 1), sizeof(*targets_r->messages));
	targets_r->sequences = arena_array(session->command_arena,
	    MAX(position_count, 1), sizeof(*targets_r->sequences));
	for (i = 0; i < position_count; i++) {
		if (found[i] == NULL)
			continue; /* expunged meanwhile */
		targets_r->messages[targets_r->count] = found[i];
		targets_r->sequences[targets_r->count] = positions[i] + 1;
		targets_r->count++;
	}
	return 0;
}

/* Reads a message file and converts it to wire form (CRLF) in arena. */
static int
imap_load_message(struct imap_session *session,
    const struct mailbox_message *message, struct arena *arena,
    const unsigned char **data_r, size_t *length_r, const char **error_r)
{
	unsigned char *file, *wire;
	size_t have = 0, out = 0, i;
	ssize_t n;
	int fd;

	if (message->size > IMAP_MESSAGE_FILE_MAX) {
		*error_r = "message file too large";
		return -1;
	}
	if (mailbox_index_open_message(session->index, session->view->name,
	    message, &fd, error_r) < 0)
		return -1;
	file = arena_alloc(arena, (size_t)message->size + 1);
	while (have < message->size) {
		n = read(fd, file + have, (size_t)message->size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	wire = arena_alloc(arena, have * 2 + 1);
	for (i = 0; i < have; i++) {
		if (file[i] == '\n' && (i == 0 || file[i - 1] != '\r'))
			wire[out++] = '\r';
		wire[out++] = file[i];
	}
	*data_r = wire;
	*length_r = out;
	return 0;
}

static void
imap_append_internal_date(struct buffer *out, int64_t when)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t seconds = (time_t)when;
	struct tm tm;

	gmtime_r(&seconds, &tm);
	ASSERT(buffer_printf(out, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d "
	    "+0000\"", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec) == 0);
}

/* FETCH. */

struct imap_fetch_state {
	struct imap_targets targets;
	struct imap_fetch_items *items;
	uint64_t changed_since;		/* CHANGEDSINCE, 0: none */
	size_t next;			/* the next target to write */
	uint32_t *seen_uids;		/* to get \Seen at the end */
	size_t seen_count;
};

/* Appends one body section ("BODY[1.TEXT]<0> {n}\r\n..."). */
static int
imap_fetch_append_body(struct buffer *out, const struct imap_message *parsed,
    const struct imap_fetch_body *body, struct arena *arena,
    const char **error_r)
{
	struct imap_message_section section = {
		.parts = body->parts,
		.part_count = body->part_count,
		.fields = (const char *const *)body->fields,
		.field_count = body->field_count,
		.has_partial = body->partial,
		.origin = body->origin,
		.count = body->count,
	};
	struct imap_message_section_content content;

	switch (body->text) {
	case IMAP_FETCH_SECTION_WHOLE:
		section.kind = IMAP_MESSAGE_SECTION_ALL;
		break;
	case IMAP_FETCH_SECTION_HEADER:
		section.kind = IMAP_MESSAGE_SECTION_HEADER;
		break;
	case IMAP_FETCH_SECTION_HEADER_FIELDS:
		section.kind = IMAP_MESSAGE_SECTION_HEADER_FIELDS;
		break;
	case IMAP_FETCH_SECTION_HEADER_FIELDS_NOT:
		section.kind = IMAP_MESSAGE_SECTION_HEADER_FIELDS_NOT;
		break;
	case IMAP_FETCH_SECTION_TEXT:
		section.kind = IMAP_MESSAGE_SECTION_TEXT;
		break;
	case IMAP_FETCH_SECTION_MIME:
		section.kind = IMAP_MESSAGE_SECTION_MIME;
		break;
	}
	if (imap_message_section_get(parsed, arena, &section, &content,
	    error_r) < 0)
		return -1;
	ASSERT(buffer_printf(out, "BODY[%s]", body->section) == 0);
	if (body->partial)
		ASSERT(buffer_printf(out, "<%u>", body->origin) == 0);
	ASSERT(buffer_printf(out, " {%zu}\r\n", content.bytes.length) == 0);
	ASSERT(buffer_append(out, content.bytes.data,
	    content.bytes.length) == 0);
	return 0;
}

/* Appends the RFC822, RFC822.HEADER or RFC822.TEXT item. */
static void
imap_fetch_append_rfc822(struct buffer *out, const char *name,
    const struct imap_message *parsed, enum imap_message_section_kind kind)
{
	struct imap_message_section section = { .kind = kind };
	struct imap_message_section_content content;
	const char *error;

	if (imap_message_section_get(parsed, NULL, &section, &content,
	    &error) < 0)
		content.bytes = string_view_make("", 0);
	ASSERT(buffer_printf(out, "%s {%zu}\r\n", name,
	    content.bytes.length) == 0);
	ASSERT(buffer_append(out, content.bytes.data,
	    content.bytes.length) == 0);
}

/* Writes one "* n FETCH (...)" response. Returns 0, or -1 when the
 * message could not be read (it is skipped). */
static int
imap_fetch_one(struct imap_session *session, struct imap_fetch_state *state,
    const struct mailbox_message *message, uint32_t sequence)
{
	const struct imap_fetch_items *items = state->items;
	struct arena *arena = arena_new("imap fetch message", 0);
	const struct imap_message *parsed = NULL;
	const unsigned char *data;
	unsigned flags = message->flags;
	bool show_flags = items->flags, first = true;
	struct buffer out;
	const char *error;
	size_t length, i;
	int ret = 0;

	if (items->sets_seen && !session->view->read_only &&
	    (flags & MAILBOX_FLAG_SEEN) == 0) {
		flags |= MAILBOX_FLAG_SEEN;
		show_flags = true; /* RFC 3501 6.4.5: the change is shown */
		state->seen_uids[state->seen_count++] = message->uid;
	}
	if (items->envelope || items->body || items->bodystructure ||
	    items->body_count > 0 || items->rfc822 || items->rfc822_header ||
	    items->rfc822_text) {
		if (imap_load_message(session, message, arena, &data, &length,
		    &error) < 0) {
			log_info("event=imap_fetch_skipped session=%s uid=%u "
			    "error=\"%s\"", session->id, message->uid, error);
			arena_free(&arena);
			return -1;
		}
		parsed = imap_message_parse(arena, data, length, NULL);
	}
	buffer_init(&out, 0);
	ASSERT(buffer_printf(&out, "* %u FETCH (", sequence) == 0);
#define IMAP_FETCH_SEPARATE() do { \
	if (!first) \
		ASSERT(buffer_append(&out, " ", 1) == 0); \
	first = false; \
} while (0)
	if (items->uid || session->uid_command) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_printf(&out, "UID %u", message->uid) == 0);
	}
	if (show_flags) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_append_string(&out, "FLAGS ") == 0);
		imap_session_append_flags(&out, flags, message->keywords,
		    message->uid >= session->view->first_recent_uid);
	}
	if (items->modseq || state->changed_since > 0 ||
	    (session->condstore && show_flags)) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_printf(&out, "MODSEQ (%llu)",
		    (unsigned long long)message->modseq) == 0);
	}
	if (items->internaldate) {
		IMAP_FETCH_SEPARATE();
		imap_append_internal_date(&out, message->internal_date);
	}
	if (items->rfc822_size) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_printf(&out, "RFC822.SIZE %llu",
		    (unsigned long long)message->size_crlf) == 0);
	}
	if (items->envelope) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_append_string(&out, "ENVELOPE ") == 0);
		if (imap_message_append_envelope(&out, arena, parsed->root,
		    &error) < 0)
			ret = -1;
	}
	if (items->body || items->bodystructure) {
		IMAP_FETCH_SEPARATE();
		ASSERT(buffer_append_string(&out, items->bodystructure ?
		    "BODYSTRUCTURE " : "BODY ") == 0);
		if (imap_message_append_bodystructure(&out, arena, parsed,
		    items->bodystructure, &error) < 0)
			ret = -1;
	}
	if (items->rfc822_header) {
		IMAP_FETCH_SEPARATE();
		imap_fetch_append_rfc822(&out, "RFC822.HEADER", parsed,
		    IMAP_MESSAGE_SECTION_HEADER);
	}
	if (items->rfc822_text) {
		IMAP_FETCH_SEPARATE();
		imap_fetch_append_rfc822(&out, "RFC822.TEXT", parsed,
		    IMAP_MESSAGE_SECTION_TEXT);
	}
	if (items->rfc822) {
		IMAP_FETCH_SEPARATE();
		imap_fetch_append_rfc822(&out, "RFC822", parsed,
		    IMAP_MESSAGE_SECTION_ALL);
	}
	for (i = 0; i < items->body_count && ret == 0; i++) {
		IMAP_FETCH_SEPARATE();
		if (imap_fetch_append_body(&out, parsed, &items->bodies[i],
		    arena, &error) < 0)
			ret = -1;
	}
#undef IMAP_FETCH_SEPARATE
	ASSERT(buffer_append(&out, ")\r\n", 3) == 0);
	if (ret == 0)
		imap_session_write(session, buffer_data(&out),
		    buffer_length(&out));
	else
		log_warn("event=imap_fetch_failed session=%s uid=%u "
		    "error=\"%s\"", session->id, message->uid, error);
	buffer_deinit(&out);
	arena_free(&arena);
	return ret;
}

/* A mod-sequence-value (RFC 7162): 1..2^63-1 in decimal digits. */
static bool
imap_arg_modseq(const struct imap_arg *arg, uint64_t *modseq_r)
{
	const char *p;
	uint64_t value = 0;

	if (arg->type != IMAP_ARG_ATOM || arg->text[0] == '\0' ||
	    arg->text[0] == '0' || strlen(arg->text) > 19)
		return false;
	for (p = arg->text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		value = value * 10 + (uint64_t)(*p - '0');
	}
	if (value > (uint64_t)INT64_MAX)
		return false;
	*modseq_r = value;
	return true;
}

/* "(CHANGEDSINCE n)" after the items. */
static int
imap_fetch_modifiers(struct imap_session *session,
    struct imap_fetch_state *state)
{
	const struct imap_arg *modifiers;

	if (session->arg_count == 2)
		return 0;
	modifiers = &session->args[2];
	if (session->arg_count != 3 || modifiers->type != IMAP_ARG_LIST ||
	    modifiers->list_count != 2 ||
	    !imap_arg_is_atom(&modifiers->list[0], "CHANGEDSINCE") ||
	    modifiers->list[1].type != IMAP_ARG_ATOM) {
		imap_session_bad(session, "Unknown FETCH modifier");
		return -1;
	}
	if (!imap_arg_modseq(&modifiers->list[1], &state->changed_since)) {
		imap_session_bad(session, "Invalid CHANGEDSINCE value");
		return -1;
	}
	session->condstore = true;
	return 0;
}

static enum imap_result
imap_command_fetch(struct imap_session *session)
{
	struct imap_fetch_state *state = session->command_state;
	const struct mailbox_message *message;
	const char *error;
	size_t changed, modified;
	struct mailbox_message *changed_messages;
	uint32_t *modified_uids;

	if (state == NULL) {
		state = arena_new_type(session->command_arena,
		    struct imap_fetch_state);
		session->command_state = state;
		if (session->arg_count < 2) {
			imap_session_bad(session, "FETCH needs a sequence set "
			    "and items");
			return IMAP_RESULT_DONE;
		}
		if (imap_fetch_items_parse(&session->args[1],
		    session->command_arena, &state->items, &error) < 0) {
			imap_session_bad(session, error);
			return IMAP_RESULT_DONE;
		}
		if (imap_fetch_modifiers(session, state) < 0)
			return IMAP_RESULT_DONE;
		if (imap_session_sync_view(session, session->uid_command,
		    &error) < 0) {
			imap_session_tagged(session, "NO", " [SERVERBUG] "
			    "FETCH failed");
			return IMAP_RESULT_DONE;
		}
		if (imap_resolve_targets(session,
		    imap_arg_string(&session->args[0]), &state->targets) < 0)
			return IMAP_RESULT_DONE;
		state->seen_uids = arena_array(session->command_arena,
		    MAX(state->targets.count, 1), sizeof(*state->seen_uids));
	}
	while (state->next < state->targets.count) {
		message = state->targets.messages[state->next];
		if (state->changed_since == 0 ||
		    message->modseq > state->changed_since)
			(void)imap_fetch_one(session, state, message,
			    state->targets.sequences[state->next]);
		state->next++;
		if (buffer_length(&session->out) >= IMAP_SESSION_OUTPUT_SLICE &&
		    state->next < state->targets.count)
			return IMAP_RESULT_MORE;
	}
	if (state->seen_count > 0) {
		if (mailbox_index_store(session->index, session->view->name,
		    state->seen_uids, state->seen_count, MAILBOX_STORE_ADD,
		    MAILBOX_FLAG_SEEN, NULL, 0, session->command_arena,
		    &changed_messages, &changed, &modified_uids, &modified,
		    &error) < 0)
			log_warn("event=imap_seen_failed session=%s error=\"%s\"",
			    session->id, error);
		else
			mailbox_notify_changed(imap_server_notify(
			    session->server), session->view->folder_path);
	}
	imap_session_tagged(session, "OK", " %sFETCH completed",
	    session->uid_command ? "UID " : "");
	return IMAP_RESULT_DONE;
}

/* STORE. */

static enum imap_result
imap_command_store(struct imap_session *session)
{
	const struct imap_arg *args = session->args;
	struct mailbox_message *changed;
	struct imap_targets targets;
	enum mailbox_store_mode mode;
	const char *item, *keywords, *error;
	uint64_t unchanged_since = 0;
	bool unchanged_zero = false;
	uint32_t *uids, *modified;
	size_t next = 1, changed_count, modified_count, i;
	unsigned flags;
	bool silent;
	ssize_t position;

	if (session->view->read_only) {
		imap_session_tagged(session, "NO", " [READ-ONLY] Mailbox is "
		    "read-only");
		return IMAP_RESULT_DONE;
	}
	if (session->arg_count >= 2 && args[1].type == IMAP_ARG_LIST) {
		/* (UNCHANGEDSINCE n), RFC 7162 3.1.3. */
		/* UNCHANGEDSINCE 0 is allowed: no message is unchanged. */
		if (args[1].list_count != 2 ||
		    !imap_arg_is_atom(&args[1].list[0], "UNCHANGEDSINCE") ||
		    (!imap_arg_modseq(&args[1].list[1], &unchanged_since) &&
		    !(unchanged_zero = imap_arg_is_atom(&args[1].list[1],
		    "0")))) {
			imap_session_bad(session, "Unknown STORE modifier");
			return IMAP_RESULT_DONE;
		}
		session->condstore = true;
		next = 2;
	}
	if (session->arg_count != next + 2 || args[next].type !=
	    IMAP_ARG_ATOM) {
		imap_session_bad(session, "STORE needs a set, an item and "
		    "flags");
		return IMAP_RESULT_DONE;
	}
	item = args[next].text;
	mode = item[0] == '+' ? MAILBOX_STORE_ADD : item[0] == '-' ?
	    MAILBOX_STORE_REMOVE : MAILBOX_STORE_REPLACE;
	if (mode != MAILBOX_STORE_REPLACE)
		item++;
	silent = strcasecmp(item, "FLAGS.SILENT") == 0;
	if (!silent && strcasecmp(item, "FLAGS") != 0) {
		imap_session_bad(session, "Unknown STORE item");
		return IMAP_RESULT_DONE;
	}
	if (!imap_parse_flags(&args[next + 1], session->command_arena, &flags,
	    &keywords, &error)) {
		imap_session_bad(session, error);
		return IMAP_RESULT_DONE;
	}
	if (imap_session_sync_view(session, session->uid_command,
	    &error) < 0 ||
	    imap_resolve_targets(session, imap_arg_string(&args[0]),
	    &targets) < 0) {
		if (buffer_length(&session->out) == 0)
			imap_session_tagged(session, "NO", " [SERVERBUG] STORE "
			    "failed");
		return IMAP_RESULT_DONE;
	}
	uids = arena_array(session->command_arena, MAX(targets.count, 1),
	    sizeof(*uids));
	for (i = 0; i < targets.count; i++)
		uids[i] = targets.messages[i]->uid;
	if (unchanged_zero) {
		/* Every message has a modseq above 0: all fail the test. */
		changed = NULL;
		changed_count = 0;
		modified = uids;
		modified_count = targets.count;
	} else if (mailbox_index_store(session->index, session->view->name,
	    uids, targets.count, mode, flags, keywords, unchanged_since,
	    session->command_arena, &changed, &changed_count, &modified,
	    &modified_count, &error) < 0) {
		log_warn("event=imap_store_failed session=%s user=%s "
		    "error=\"%s\"", session->id, session->user, error);
		imap_session_tagged(session, "NO", errno == EDQUOT ?
		    " [LIMIT] Too many keywords" : " [SERVERBUG] STORE failed");
		return IMAP_RESULT_DONE;
	}
	if (changed_count > 0)
		mailbox_notify_changed(imap_server_notify(session->server),
		    session->view->folder_path);
	/* The view was synced just before the store: when the store's
	 * modseqs follow the view's without a gap nobody else changed the
	 * folder meanwhile, so the view is current and the next sync must
	 * not report this session's own changes back to it (a .SILENT
	 * STORE followed by NOOP would otherwise get a FETCH per message). */
	if (changed_count > 0 && changed[0].modseq ==
	    session->view->highest_modseq + 1 &&
	    changed[changed_count - 1].modseq ==
	    session->view->highest_modseq + changed_count)
		session->view->highest_modseq =
		    changed[changed_count - 1].modseq;
	for (i = 0; i < changed_count; i++) {
		struct buffer line;

		if (silent && !session->condstore)
			break;
		position = imap_view_find(session->view, changed[i].uid);
		if (position < 0)
			continue;
		buffer_init(&line, 0);
		ASSERT(buffer_printf(&line, "* %zd FETCH (", position + 1)
		    == 0);
		if (session->uid_command)
			ASSERT(buffer_printf(&line, "UID %u ", changed[i].uid)
			    == 0);
		if (!silent) {
			ASSERT(buffer_append_string(&line, "FLAGS ") == 0);
			imap_session_append_flags(&line, changed[i].flags,
			    changed[i].keywords, changed[i].uid >=
			    session->view->first_recent_uid);
		}
		if (session->condstore)
			ASSERT(buffer_printf(&line, "%sMODSEQ (%llu)",
			    silent ? "" : " ",
			    (unsigned long long)changed[i].modseq) == 0);
		ASSERT(buffer_append(&line, ")\r\n", 3) == 0);
		imap_session_write(session, buffer_data(&line),
		    buffer_length(&line));
		buffer_deinit(&line);
	}
	if (modified_count > 0) {
		/* MODIFIED lists UIDs for UID STORE, else sequence numbers. */
		for (i = 0; !session->uid_command && i < modified_count; i++)
			modified[i] = (uint32_t)(imap_view_find(session->view,
			    modified[i]) + 1);
		imap_session_tagged(session, "OK", " [MODIFIED %s] Conditional "
		    "STORE failed for some messages",
		    imap_sequence_format(session->command_arena, modified,
		    modified_count));
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " %sSTORE completed",
	    session->uid_command ? "UID " : "");
	return IMAP_RESULT_DONE;
}

/* SEARCH. */

struct imap_search_load {
	struct imap_session *session;
	const struct mailbox_message *message;
	struct arena *arena;
};

static int
imap_search_load_message(void *context, const unsigned char **data_r,
    size_t *length_r, const char **error_r)
{
	struct imap_search_load *load = context;

	return imap_load_message(load->session, load->message, load->arena,
	    data_r, length_r, error_r);
}

static unsigned
imap_search_flags(unsigned flags)
{
	return ((flags & MAILBOX_FLAG_ANSWERED) != 0 ?
	    IMAP_SEARCH_FLAG_ANSWERED : 0) |
	    ((flags & MAILBOX_FLAG_FLAGGED) != 0 ? IMAP_SEARCH_FLAG_FLAGGED : 0) |
	    ((flags & MAILBOX_FLAG_DELETED) != 0 ? IMAP_SEARCH_FLAG_DELETED : 0) |
	    ((flags & MAILBOX_FLAG_SEEN) != 0 ? IMAP_SEARCH_FLAG_SEEN : 0) |
	    ((flags & MAILBOX_FLAG_DRAFT) != 0 ? IMAP_SEARCH_FLAG_DRAFT : 0);
}

static enum imap_result
imap_command_search(struct imap_session *session)
{
	struct imap_view *view = session->view;
	struct mailbox_message **all;
	struct imap_search *search;
	struct buffer line;
	uint32_t *positions;
	const char *error;
	uint64_t highest = 0;
	size_t i;
	int ret;

	if (imap_search_parse(session->command_arena, session->args,
	    session->arg_count, &search, &error) < 0) {
		if (strncmp(error, "[BADCHARSET", 11) == 0)
			imap_session_tagged(session, "NO", " %s", error);
		else
			imap_session_bad(session, error);
		return IMAP_RESULT_DONE;
	}
	ret = imap_session_sync_view(session, session->uid_command, &error);
	if (ret == 0) {
		/* SEARCH needs every message of the view. */
		positions = arena_array(session->command_arena,
		    MAX(view->count, 1), sizeof(*positions));
		for (i = 0; i < view->count; i++)
			positions[i] = (uint32_t)i;
		ret = imap_view_messages(session, positions, view->count,
		    session->command_arena, &all, &error);
	}
	if (ret < 0) {
		log_warn("event=imap_search_failed session=%s error=\"%s\"",
		    session->id, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] SEARCH "
		    "failed");
		return IMAP_RESULT_DONE;
	}
	buffer_init(&line, 0);
	ASSERT(buffer_append_string(&line, "* SEARCH") == 0);
	for (i = 0; i < view->count; i++) {
		struct arena *arena;
		struct imap_search_load load;
		struct imap_search_message candidate;
		const char **keywords;

		if (all[i] == NULL)
			continue;
		arena = arena_new("imap search message", 0);
		load.session = session;
		load.message = all[i];
		load.arena = arena;
		memset(&candidate, 0, sizeof(candidate));
		candidate.sequence = (uint32_t)i + 1;
		candidate.uid = all[i]->uid;
		candidate.last_sequence = (uint32_t)view->count;
		candidate.last_uid = view->uids[view->count - 1];
		candidate.flags = imap_search_flags(all[i]->flags);
		candidate.recent = all[i]->uid >= view->first_recent_uid;
		candidate.keyword_count = imap_session_split_keywords(all[i]->keywords,
		    arena, &keywords);
		candidate.keywords = keywords;
		candidate.size = all[i]->size_crlf;
		candidate.internal_date = (time_t)all[i]->internal_date;
		candidate.modseq = all[i]->modseq;
		candidate.load = imap_search_load_message;
		candidate.load_context = &load;
		ret = imap_search_match(search, &candidate, arena, &error);
		if (ret > 0) {
			ASSERT(buffer_printf(&line, " %u", session->uid_command ?
			    all[i]->uid : (uint32_t)i + 1) == 0);
			highest = MAX(highest, all[i]->modseq);
		}
		arena_free(&arena);
	}
	if (search->uses_modseq && highest > 0)
		ASSERT(buffer_printf(&line, " (MODSEQ %llu)",
		    (unsigned long long)highest) == 0);
	ASSERT(buffer_append(&line, "\r\n", 2) == 0);
	imap_session_write(session, buffer_data(&line), buffer_length(&line));
	buffer_deinit(&line);
	imap_session_tagged(session, "OK", " %sSEARCH completed",
	    session->uid_command ? "UID " : "");
	return IMAP_RESULT_DONE;
}

/* COPY and MOVE. */

static enum imap_result
imap_command_copy(struct imap_session *session)
{
	bool move = strcmp(session->handler->name, "MOVE") == 0;
	struct imap_targets targets;
	const char *destination, *error;
	uint32_t uidvalidity, *uids, *source_uids, *destination_uids;
	size_t copied, i;

	if (session->arg_count != 2 ||
	    (destination = imap_arg_string(&session->args[1])) == NULL) {
		imap_session_bad(session, "COPY needs a set and a mailbox");
		return IMAP_RESULT_DONE;
	}
	if (move && session->view->read_only) {
		imap_session_tagged(session, "NO", " [READ-ONLY] Mailbox is "
		    "read-only");
		return IMAP_RESULT_DONE;
	}
	destination = imap_session_mailbox_argument(session,
	    &session->args[1]);
	if (destination == NULL)
		return IMAP_RESULT_DONE;
	if (imap_session_sync_view(session, move || session->uid_command,
	    &error) < 0 ||
	    imap_resolve_targets(session, imap_arg_string(&session->args[0]),
	    &targets) < 0) {
		if (buffer_length(&session->out) == 0)
			imap_session_tagged(session, "NO", " [SERVERBUG] %s "
			    "failed", session->handler->name);
		return IMAP_RESULT_DONE;
	}
	uids = arena_array(session->command_arena, MAX(targets.count, 1),
	    sizeof(*uids));
	for (i = 0; i < targets.count; i++)
		uids[i] = targets.messages[i]->uid;
	if (mailbox_index_copy(session->index, session->view->name, uids,
	    targets.count, destination, move, session->command_arena,
	    &uidvalidity, &source_uids, &destination_uids, &copied,
	    &error) < 0) {
		if (errno == ENOENT) {
			imap_session_tagged(session, "NO", " [TRYCREATE] No "
			    "such mailbox");
		} else {
			log_warn("event=imap_copy_failed session=%s user=%s "
			    "error=\"%s\"", session->id, session->user, error);
			imap_session_tagged(session, "NO", " [SERVERBUG] %s "
			    "failed", session->handler->name);
		}
		return IMAP_RESULT_DONE;
	}
	mailbox_notify_changed(imap_server_notify(session->server),
	    imap_session_folder_path(session, destination,
	    session->command_arena));
	if (copied == 0) {
		imap_session_tagged(session, "OK", " %s completed (nothing to "
		    "copy)", session->handler->name);
		return IMAP_RESULT_DONE;
	}
	/* imap_sequence_format wants ascending numbers: the sources are,
	 * and the destination UIDs were assigned in the same order. */
	if (move) {
		imap_session_untagged(session, "OK [COPYUID %u %s %s] Moved",
		    uidvalidity, imap_sequence_format(session->command_arena,
		    source_uids, copied),
		    imap_sequence_format(session->command_arena,
		    destination_uids, copied));
		mailbox_notify_changed(imap_server_notify(session->server),
		    session->view->folder_path);
		if (imap_session_sync_view(session, true, &error) < 0)
			log_warn("event=imap_sync_failed session=%s error=\"%s\"",
			    session->id, error);
		imap_session_tagged(session, "OK", " %sMOVE completed",
		    session->uid_command ? "UID " : "");
		return IMAP_RESULT_DONE;
	}
	imap_session_tagged(session, "OK", " [COPYUID %u %s %s] %sCOPY "
	    "completed", uidvalidity, imap_sequence_format(
	    session->command_arena, source_uids, copied),
	    imap_sequence_format(session->command_arena, destination_uids,
	    copied), session->uid_command ? "UID " : "");
	return IMAP_RESULT_DONE;
}

/* UID EXPUNGE set (RFC 4315). */
static enum imap_result
imap_command_uid_expunge(struct imap_session *session)
{
	struct imap_targets targets;
	uint32_t *uids, *expunged;
	size_t count, i;
	const char *error;

	if (!session->uid_command) {
		imap_session_bad(session, "Use UID EXPUNGE with a set");
		return IMAP_RESULT_DONE;
	}
	if (session->view->read_only) {
		imap_session_tagged(session, "NO", " [READ-ONLY] Mailbox is "
		    "read-only");
		return IMAP_RESULT_DONE;
	}
	if (session->arg_count != 1 ||
	    imap_session_sync_view(session, true, &error) < 0 ||
	    imap_resolve_targets(session, imap_arg_string(&session->args[0]),
	    &targets) < 0) {
		if (buffer_length(&session->out) == 0)
			imap_session_bad(session, "UID EXPUNGE needs a UID "
			    "set");
		return IMAP_RESULT_DONE;
	}
	uids = arena_array(session->command_arena, MAX(targets.count, 1),
	    sizeof(*uids));
	for (i = 0; i < targets.count; i++)
		uids[i] = targets.messages[i]->uid;
	if (mailbox_index_expunge(session->index, session->view->name, uids,
	    targets.count, session->command_arena, &expunged, &count,
	    &error) < 0 ||
	    imap_session_sync_view(session, true, &error) < 0) {
		log_warn("event=imap_expunge_failed session=%s error=\"%s\"",
		    session->id, error);
		imap_session_tagged(session, "NO", " [SERVERBUG] EXPUNGE "
		    "failed");
		return IMAP_RESULT_DONE;
	}
	if (count > 0)
		mailbox_notify_changed(imap_server_notify(session->server),
		    session->view->folder_path);
	imap_session_tagged(session, "OK", " UID EXPUNGE completed");
	return IMAP_RESULT_DONE;
}

const struct imap_command_handler imap_command_message_handlers[] = {
	{ "FETCH", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID,
	    imap_command_fetch, NULL },
	{ "STORE", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID,
	    imap_command_store, NULL },
	{ "SEARCH", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID,
	    imap_command_search, NULL },
	{ "COPY", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID,
	    imap_command_copy, NULL },
	{ "MOVE", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID |
	    IMAP_HANDLER_EXPUNGE_OK, imap_command_copy, NULL },
	{ "EXPUNGE", IMAP_STATE_SELECTED, IMAP_HANDLER_JOB | IMAP_HANDLER_UID |
	    IMAP_HANDLER_EXPUNGE_OK, imap_command_uid_expunge, NULL },
	{ NULL, 0, 0, NULL, NULL },
};
