/* mailbox_index.h: one user's mailboxes: Maildir++ folders and the index
 * that gives their messages IMAP UIDs, flags, keywords and modseqs.
 *
 * Layout under MAILDIR (MAIL_ROOT/DOMAIN/USER/Maildir): INBOX is the
 * Maildir itself; folder "A.B" is the directory ".A.B" (Maildir++, '.'
 * is the hierarchy separator). Drafts, Sent, Junk and Trash exist from
 * the first open, with their RFC 6154 special-use attributes. The index
 * is MAILDIR/sluice-index.db (SQLite, WAL): per folder UIDVALIDITY,
 * UIDNEXT, HIGHESTMODSEQ, subscription; per message UID, file name,
 * flags, keywords, sizes, internal date, MODSEQ; the UIDs expunged (with
 * their modseq) so a session can catch up.
 *
 * The Maildir stays the truth. A sync (every call below that reads a
 * folder starts with one, except mailbox_index_messages; it scans only
 * when new/ or cur/ changed since the last scan other than by sluice's own
 * write calls, or changed less than a safety window before it: 100 ms
 * for nanosecond mtimes, 2 s for whole-second ones) moves files
 * from new/ to cur/, naming them "BASE,U=UID:2,FLAGS" (BASE as delivered,
 * e.g. "1764057531.M1P2Q3R0.host,S=1234"), takes in files that appeared
 * or vanished and flag letters other Maildir tools changed, and keeps
 * every file's flags mirrored in its name (D draft, F flagged, R
 * answered, S seen, T deleted). UIDVALIDITY is also kept in
 * FOLDER/sluice-uidvalidity, so a lost index is rebuilt with the UIDs
 * that file names still carry; files without one get new UIDs above
 * them. Keywords live only in the index.
 *
 * Sizes: a message file has LF line ends; IMAP and POP3 count octets with
 * CRLF. The index keeps both (size = file bytes, size_crlf = what the
 * wire sees), computed once when a file is first taken in.
 *
 * Threads: every call blocks on disk and SQLite: run it on a worker. One
 * handle is used by one thread at a time (a session runs its jobs one
 * after another); any number of handles, in this process or others (the
 * CLI, a second sluiced), may work on the same Maildir at once: writers
 * serialise on an immediate SQLite transaction, and a file renamed by
 * another writer meanwhile is found again by the next sync.
 *
 * Errors: 0 or -1 with error_r; errno is ENOENT for a folder that does
 * not exist, EEXIST for one that does (create, rename), EINVAL for an
 * invalid name or a refused operation (deleting INBOX), and something
 * else for a disk or database failure. */
#ifndef SLUICE_MAILBOX_INDEX_H
#define SLUICE_MAILBOX_INDEX_H

#include "lib/common.h"
#include "lib/arena.h"

/* Longest folder name in bytes (UTF-8; its directory ".NAME" must fit
 * NAME_MAX), and deepest hierarchy. */
#define MAILBOX_INDEX_NAME_MAX 254
#define MAILBOX_INDEX_DEPTH_MAX 16
/* Most keywords one folder may define (RFC 3501 PERMANENTFLAGS \*);
 * past it STORE of a new keyword fails with EDQUOT. */
#define MAILBOX_INDEX_KEYWORDS_MAX 64

/* System flags, as bits. \Recent is not here: it belongs to the session
 * whose sync took the message in (mailbox_index_changes.first_recent_uid). */
enum mailbox_flag {
	MAILBOX_FLAG_SEEN = 1 << 0,     /* S */
	MAILBOX_FLAG_ANSWERED = 1 << 1, /* R */
	MAILBOX_FLAG_FLAGGED = 1 << 2,  /* F */
	MAILBOX_FLAG_DELETED = 1 << 3,  /* T */
	MAILBOX_FLAG_DRAFT = 1 << 4,    /* D */
};

/* RFC 6154 attributes of a folder, as bits. */
enum mailbox_special_use {
	MAILBOX_SPECIAL_DRAFTS = 1 << 0,
	MAILBOX_SPECIAL_SENT = 1 << 1,
	MAILBOX_SPECIAL_JUNK = 1 << 2,
	MAILBOX_SPECIAL_TRASH = 1 << 3,
};

struct mailbox_index;

/* One message as the index knows it. Strings live in the arena the call
 * was given. */
struct mailbox_message {
	uint32_t uid;
	unsigned flags;          /* enum mailbox_flag bits */
	const char *keywords;    /* space-separated, sorted, "" for none */
	uint64_t size;           /* bytes of the file */
	uint64_t size_crlf;      /* octets with CRLF line ends (RFC822.SIZE) */
	int64_t internal_date;   /* unix seconds (APPEND's, else arrival) */
	uint64_t modseq;
	const char *file_name;   /* current name in cur/, for opening */
};

struct mailbox_index_folder {
	const char *name;        /* "INBOX", "Sent", "Work.2026" */
	unsigned special_use;    /* enum mailbox_special_use bits */
	bool subscribed;
	bool has_children;       /* another folder is below it */
};

struct mailbox_status {
	uint32_t messages;
	uint32_t recent;         /* files still in new/ before this status */
	uint32_t unseen;         /* messages without \Seen */
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t highest_modseq;
	uint64_t size_crlf;      /* sum over messages (STATUS SIZE) */
};

/* What changed in a folder since a modseq the caller saw: messages with
 * a greater modseq (new ones and flag changes), in UID order, and the
 * UIDs expunged since, ascending. With since_modseq 0 the messages are
 * the whole folder and expunged is empty. The last 10,000 expunges per
 * folder are kept; for an older since_modseq, expunged lists every UID
 * below uidnext the folder lacks (a superset: ignore UIDs not known). */
struct mailbox_changes {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highest_modseq;
	struct mailbox_message *messages;
	size_t message_count;
	uint32_t *expunged;
	size_t expunged_count;
	/* Messages with uid >= first_recent_uid were moved out of new/ by
	 * this call's sync: \Recent for the caller. uidnext when none. */
	uint32_t first_recent_uid;
};

/* Opens the index of the Maildir at maildir_path, creating the Maildir,
 * the default folders and the index when missing (a lost index is
 * rebuilt from the files, see above). Returns 0 or -1 with error_r. */
int mailbox_index_open(const char *maildir_path, struct mailbox_index **index_r,
    const char **error_r);
/* Closes; NULL is a no-op. Sets *index_p to NULL. */
void mailbox_index_close(struct mailbox_index **index_p);

/* Whether name may name a folder: 1..MAILBOX_INDEX_NAME_MAX bytes of
 * valid UTF-8 without control characters, '/', '\\', '*', '%', a leading
 * or trailing '.', "..", or more than MAILBOX_INDEX_DEPTH_MAX levels.
 * "INBOX" in any case is valid. */
bool mailbox_index_name_is_valid(const char *name);

/* Every folder, INBOX first, then by name; into arena. */
int mailbox_index_list(struct mailbox_index *index, struct arena *arena,
    struct mailbox_index_folder **folders_r, size_t *count_r,
    const char **error_r);
/* Creates folder name (and any missing parents). EEXIST if it exists. */
int mailbox_index_create(struct mailbox_index *index, const char *name,
    const char **error_r);
/* Deletes folder name with its messages. A folder with children is
 * refused (EINVAL, "has children": clients delete the children first),
 * and so is INBOX. */
int mailbox_index_delete(struct mailbox_index *index, const char *name,
    const char **error_r);
/* Renames folder old_name (and its children) to new_name, keeping UIDs
 * and UIDVALIDITY. Renaming INBOX moves its messages into a new folder
 * new_name and leaves INBOX empty (RFC 3501 6.3.5). */
int mailbox_index_rename(struct mailbox_index *index, const char *old_name,
    const char *new_name, const char **error_r);
/* Sets or clears name's subscription (the folder must exist). */
int mailbox_index_subscribe(struct mailbox_index *index, const char *name,
    bool subscribed, const char **error_r);

/* Syncs folder name and counts it. */
int mailbox_index_status(struct mailbox_index *index, const char *name,
    struct mailbox_status *status_r, const char **error_r);

/* Syncs folder name and reports what changed since since_modseq (see
 * struct mailbox_changes); into arena. A SELECT is since_modseq 0; a
 * session's later NOOP, IDLE check or command passes the
 * highest_modseq it last saw. */
int mailbox_index_changes(struct mailbox_index *index, const char *name,
    uint64_t since_modseq, struct arena *arena,
    struct mailbox_changes *changes_r, const char **error_r);

/* The index data of the messages with the given UIDs (strictly
 * ascending, else EINVAL) as the index holds them now: no sync, so call
 * it right after one (the same command's mailbox_index_changes).
 * *messages_r (into arena) gets the *count_r messages found, ascending;
 * UIDs the index lacks are skipped. Costs one range query per run of
 * consecutive UIDs, or one over the span first..last UID when that span
 * is dense (at most 3 UIDs per run): O(requested), not O(folder). */
int mailbox_index_messages(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, struct arena *arena,
    struct mailbox_message **messages_r, size_t *count_r,
    const char **error_r);

/* How many full scans of a folder's directories this handle has made
 * (for tests and diagnostics). */
uint64_t mailbox_index_scan_count(const struct mailbox_index *index);

/* Appends a message given in wire form (CRLF; stored with LF) to folder
 * name with flags, keywords (space-separated, may be NULL) and
 * internal_date (0: now): written to tmp/, fsynced, linked into cur/
 * with its UID, then indexed. Returns the UID and the folder's
 * UIDVALIDITY (UIDPLUS APPENDUID). */
int mailbox_index_append(struct mailbox_index *index, const char *name,
    const unsigned char *data, size_t length, unsigned flags,
    const char *keywords, int64_t internal_date, uint32_t *uid_r,
    uint32_t *uidvalidity_r, const char **error_r);

enum mailbox_store_mode {
	MAILBOX_STORE_REPLACE,	/* FLAGS */
	MAILBOX_STORE_ADD,	/* +FLAGS */
	MAILBOX_STORE_REMOVE,	/* -FLAGS */
};

/* Changes flags and keywords of the messages with the given UIDs
 * (ascending; UIDs no longer present are skipped). With unchanged_since
 * non-zero (CONDSTORE), a message whose modseq is greater is left alone
 * and reported in *modified_r. Messages whose flags changed get a new
 * modseq and are returned in *changed_r (their new state), renamed to
 * mirror the flags. Into arena. */
int mailbox_index_store(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, enum mailbox_store_mode mode,
    unsigned flags, const char *keywords, uint64_t unchanged_since,
    struct arena *arena, struct mailbox_message **changed_r,
    size_t *changed_count_r, uint32_t **modified_r,
    size_t *modified_count_r, const char **error_r);

/* Removes the messages flagged \Deleted (only those among uids when uids
 * is not NULL: UID EXPUNGE) from disk and index; returns their UIDs,
 * ascending, into arena. */
int mailbox_index_expunge(struct mailbox_index *index, const char *name,
    const uint32_t *uids, size_t uid_count, struct arena *arena,
    uint32_t **expunged_r, size_t *expunged_count_r, const char **error_r);

/* Copies the messages with the given UIDs (ascending) from source to
 * destination (a hard link where possible) with their flags and
 * keywords; returns destination's UIDVALIDITY and the new UIDs in the
 * order of uids (UIDPLUS COPYUID; UIDs no longer present are skipped and
 * *copied_count_r says how many were copied, *source_uids_r which).
 * With move, the sources are expunged in the same step (RFC 6851). */
int mailbox_index_copy(struct mailbox_index *index, const char *source,
    const uint32_t *uids, size_t uid_count, const char *destination,
    bool move, struct arena *arena, uint32_t *uidvalidity_r,
    uint32_t **source_uids_r, uint32_t **destination_uids_r,
    size_t *copied_count_r, const char **error_r);

/* Opens message (from this folder's changes or store results) for
 * reading; returns the descriptor (the caller closes it). ENOENT when it
 * was expunged or its file vanished meanwhile. */
int mailbox_index_open_message(struct mailbox_index *index, const char *name,
    const struct mailbox_message *message, int *fd_r, const char **error_r);

/* Bytes (size_crlf) and messages in all folders together, for quota. */
int mailbox_index_usage(struct mailbox_index *index, uint64_t *bytes_r,
    uint64_t *messages_r, const char **error_r);

#endif
