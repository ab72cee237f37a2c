/* imap_session.h: the IMAP session and command contract shared by
 * imap_server.c and the imap_command_*.c files (private to them).
 *
 * A command is parsed on the loop and looked up in the command table.
 * Its handler's run() writes untagged and tagged responses into
 * session->out through the imap_session_* helpers; handlers flagged
 * IMAP_HANDLER_JOB run on an io worker (they may block on disk and on
 * the session's mailbox_index), the others on the loop. While a job runs
 * the session is busy: the loop only buffers input and never touches
 * the session's mailbox state. run() may return IMAP_RESULT_MORE to be
 * called again (as a new job) once the output so far has been written:
 * that is how a large FETCH keeps memory bounded. finish(), when set,
 * runs on the loop after the last run() (state changes that involve the
 * loop: watches, timers, TLS). */
#ifndef SLUICE_IMAP_SESSION_H
#define SLUICE_IMAP_SESSION_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/connection.h"
#include "mailstore/imap_parser.h"
#include "mailstore/imap_server.h"
#include "mailstore/mailbox_index.h"

/* Bytes of responses a run() should produce before it returns MORE. */
#define IMAP_SESSION_OUTPUT_SLICE (1024 * 1024)

enum imap_state {
	IMAP_STATE_NOT_AUTHENTICATED = 1 << 0,
	IMAP_STATE_AUTHENTICATED = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
};
#define IMAP_STATE_ANY (IMAP_STATE_NOT_AUTHENTICATED | \
    IMAP_STATE_AUTHENTICATED | IMAP_STATE_SELECTED)
#define IMAP_STATE_AUTHENTICATED_ANY (IMAP_STATE_AUTHENTICATED | \
    IMAP_STATE_SELECTED)

enum imap_result {
	IMAP_RESULT_DONE,	/* the tagged response is in out */
	IMAP_RESULT_MORE,	/* call run() again after out is written */
	IMAP_RESULT_CLOSE,	/* write out, then close (LOGOUT, BYE) */
};

enum imap_handler_flags {
	IMAP_HANDLER_JOB = 1 << 0,	/* run() on an io worker */
	IMAP_HANDLER_UID = 1 << 1,	/* also as "UID name" */
	/* Untagged EXPUNGE may precede the tagged reply (RFC 3501 7.4.1
	 * forbids it during FETCH, STORE and SEARCH). */
	IMAP_HANDLER_EXPUNGE_OK = 1 << 2,
};

struct imap_session;

struct imap_command_handler {
	const char *name;
	unsigned states;	/* enum imap_state bits where allowed */
	unsigned flags;		/* enum imap_handler_flags */
	enum imap_result (*run)(struct imap_session *session);
	void (*finish)(struct imap_session *session);
};

/* The selected folder as this session sees it: sequence numbers are
 * positions in uids[]; they change only when this session reports an
 * EXPUNGE. */
struct imap_view {
	char *name;		/* UTF-8 */
	char *folder_path;	/* directory, for mailbox_notify */
	bool read_only;		/* EXAMINE */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highest_modseq;
	uint32_t *uids;		/* ascending */
	size_t count;
	size_t capacity;
	uint32_t first_recent_uid;
	/* Expunged by others while EXPUNGE could not be reported: their
	 * sequence numbers stay until the next command that may. */
	uint32_t *pending_expunges;
	size_t pending_expunge_count;
};

struct imap_session {
	struct imap_server *server;
	struct imap_session *prev, *next;
	struct connection *connection;
	struct imap_parser *parser;
	struct arena *arena;		/* the session's lifetime */
	struct arena *command_arena;	/* the current command */
	char id[24];
	char *peer;
	bool plaintext_auth;		/* may log in without TLS */
	enum imap_state state;

	/* Authenticated. */
	char *user;			/* canonical user@domain */
	char *maildir_path;
	uint64_t quota_bytes;		/* 0: unlimited */
	struct mailbox_index *index;	/* used by jobs only */
	bool condstore;			/* ENABLE CONDSTORE or implied */
	struct imap_view *view;		/* SELECTED */

	/* The command being run. */
	struct imap_command *command;
	const struct imap_command_handler *handler;
	bool uid_command;		/* "UID FETCH" */
	const struct imap_arg *args;	/* after the name (and UID's) */
	size_t arg_count;
	bool busy;			/* a job owns the session */
	bool waiting_drain;		/* MORE: resubmit once written */
	enum imap_result job_result;	/* the job's run() returned */
	struct buffer out;		/* responses not yet written */
	void *command_state;		/* the handler's own, in command_arena */
	const char *closing_reason;	/* set: close after out */

	/* IDLE and notifications. */
	bool idling;
	bool changed;			/* a notice came while busy */
	struct mailbox_notify_watch *watch;
	struct loop_timer *poll_timer;
	struct loop_timer *delay_timer;	/* failed-login delay */

	unsigned bad_count;
	void (*closed)(void *context);
	void *closed_context;
};

/* Response helpers (any thread that owns the session). */
void imap_session_untagged(struct imap_session *session, const char *fmt,
    ...) ATTR_PRINTF(2, 3);
void imap_session_tagged(struct imap_session *session, const char *status,
    const char *fmt, ...) ATTR_PRINTF(3, 4);
/* Appends raw bytes (already IMAP syntax, CRLF included). */
void imap_session_write(struct imap_session *session, const void *data,
    size_t length);
/* "TAG BAD text" and counts it towards max_bad_commands. */
void imap_session_bad(struct imap_session *session, const char *text);

/* Brings the view up to date with the index and writes the untagged
 * EXISTS, RECENT, FETCH FLAGS and (when expunge_ok) EXPUNGE responses
 * for what changed. Job only, SELECTED state. Returns 0 or -1 with
 * error_r (the index failed). */
int imap_session_sync_view(struct imap_session *session, bool expunge_ok,
    const char **error_r);

/* The folder directory of name under the session's Maildir (INBOX is
 * the Maildir itself), in arena. */
const char *imap_session_folder_path(struct imap_session *session,
    const char *name, struct arena *arena);

/* Whether LOGIN and AUTHENTICATE may be used now: over TLS or from a
 * network trusted with plaintext passwords. */
bool imap_session_may_login(const struct imap_session *session);

/* The 0-based position of uid in view (binary search), or -1. */
ssize_t imap_view_find(const struct imap_view *view, uint32_t uid);
/* Frees a view (NULL is a no-op); sets *view_p to NULL. */
void imap_view_free(struct imap_view **view_p);
/* Appends uid (greater than every uid in the view). */
void imap_view_append(struct imap_view *view, uint32_t uid);

/* Appends "(\Seen \Answered ... \Recent keyword ...)" to out. */
void imap_session_append_flags(struct buffer *out, unsigned flags,
    const char *keywords, bool recent);

/* Loop helpers for handlers that wait on the loop (IDLE, AUTHENTICATE):
 * a timer whose callback gets the session; a background job while the
 * handler waits (set session->busy first; done() must clear it and then
 * call imap_session_after_background_job); one line of input (1 line in
 * *line_r, 0 none yet, -1 too long: error_r). */
struct loop_timer *imap_session_timer_new(struct imap_session *session,
    void (*callback)(void *context));
void imap_session_submit_background(struct imap_session *session,
    void (*work)(void *context), void (*done)(void *context));
void imap_session_after_background_job(struct imap_session *session);
int imap_session_read_line(struct imap_session *session, const char **line_r,
    const char **error_r);

/* Ends a command that waited on the loop (a login check, a delay):
 * writes its output and goes on with the next command. Loop. */
void imap_session_complete(struct imap_session *session,
    enum imap_result result);
uint64_t imap_session_now_msec(const struct imap_session *session);

/* mailbox_notify callback of a SELECTED session (context: the session). */
void imap_session_changed(void *context);

/* Leaves the SELECTED state (CLOSE, UNSELECT, a new SELECT). Loop. */
void imap_session_unselect(struct imap_session *session);

/* Command tables of each group, ended by a { NULL } entry. */
extern const struct imap_command_handler imap_command_any_handlers[];
extern const struct imap_command_handler imap_command_auth_handlers[];
extern const struct imap_command_handler imap_command_mailbox_handlers[];
extern const struct imap_command_handler imap_command_append_handlers[];
extern const struct imap_command_handler imap_command_message_handlers[];

/* A mailbox argument as UTF-8 (modified UTF-7 decoded, INBOX in any
 * case made "INBOX", the name checked with mailbox_index_name_is_valid),
 * or NULL after a BAD (not a string) or NO [CANNOT] answer. In the
 * command arena. */
const char *imap_session_mailbox_argument(struct imap_session *session,
    const struct imap_arg *arg);

/* Splits a space-separated keyword string (as the index keeps them)
 * into an array of words in arena; returns how many. */
size_t imap_session_split_keywords(const char *keywords, struct arena *arena,
    const char ***words_r);

/* A flag list argument (or one flag atom) as enum mailbox_flag bits and
 * a space-separated keyword string in arena; \Recent and unknown system
 * flags are refused (false, *error_r for a BAD answer). */
bool imap_parse_flags(const struct imap_arg *arg, struct arena *arena,
    unsigned *flags_r, const char **keywords_r, const char **error_r);

/* The CAPABILITY list for the session's state (no leading "* "). */
const char *imap_session_capabilities(struct imap_session *session);

/* The server's settings, notify and TLS, for handlers. */
const struct imap_server_settings *imap_server_settings(
    const struct imap_server *server);
struct mailbox_notify *imap_server_notify(const struct imap_server *server);
struct tls_context *imap_server_tls(const struct imap_server *server);
struct auth_verify *imap_server_auth_verify(const struct imap_server *server);
struct auth_throttle *imap_server_auth_throttle(
    const struct imap_server *server);

#endif
