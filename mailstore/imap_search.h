/* imap_search.h: IMAP SEARCH criteria (RFC 3501 6.4.4, plus CONDSTORE's
 * MODSEQ of RFC 7162) parsed into a tree, and matched against one
 * message at a time.
 *
 * imap_search_parse() turns the command's arguments (after "SEARCH" or
 * "UID SEARCH") into a tree in the caller's arena. Sequence sets are
 * parsed once with mailstore/imap_sequence and matched with the
 * context's last sequence number and UID for '*'. imap_search_match()
 * needs the message bytes only for
 * header, body and date-header keys, and asks for them through a
 * callback the first time, so a flag-only search never reads a file.
 *
 * String keys match case-insensitively as substrings of decoded text:
 * header values with RFC 2047 words decoded into UTF-8, bodies of text
 * parts with their transfer encoding undone and converted to UTF-8
 * (lib/message). Case folding covers ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic capitals. Work per message is capped: only the
 * first IMAP_SEARCH_MAX_MESSAGE_BYTES of a message are parsed, each
 * part's decoded text is cut at IMAP_SEARCH_MAX_PART_TEXT, and at most
 * IMAP_SEARCH_MAX_BODY_TEXT bytes of body text are searched, so a 25 MB
 * message costs a bounded few MB of decoding.
 *
 * Pure code (no I/O of its own): any thread, one arena per thread. */
#ifndef SLUICE_IMAP_SEARCH_H
#define SLUICE_IMAP_SEARCH_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"
#include "mailstore/imap_parser.h"
#include "mailstore/imap_sequence.h"

#include <time.h>

#define IMAP_SEARCH_MAX_MESSAGE_BYTES (8u * 1024 * 1024)
#define IMAP_SEARCH_MAX_PART_TEXT (2u * 1024 * 1024)
#define IMAP_SEARCH_MAX_BODY_TEXT (4u * 1024 * 1024)
/* Nesting of parentheses, NOT and OR. */
#define IMAP_SEARCH_MAX_DEPTH 32
/* Error text for an unsupported CHARSET; answer it with a tagged NO. */
#define IMAP_SEARCH_BADCHARSET "[BADCHARSET (UTF-8 US-ASCII)] " \
	"unsupported charset"

enum imap_search_key {
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_AND,	/* children: a parenthesized group or the
				 * top level */
	IMAP_SEARCH_OR,		/* two children */
	IMAP_SEARCH_NOT,	/* one child */
	IMAP_SEARCH_SEQUENCE,	/* text: a sequence set */
	IMAP_SEARCH_UID,	/* text: a UID set */
	IMAP_SEARCH_FLAG,	/* number: IMAP_SEARCH_FLAG_* set */
	IMAP_SEARCH_NOT_FLAG,	/* number: IMAP_SEARCH_FLAG_* not set */
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_NEW,	/* RECENT and not SEEN */
	IMAP_SEARCH_OLD,	/* not RECENT */
	IMAP_SEARCH_KEYWORD,	/* text: the keyword */
	IMAP_SEARCH_UNKEYWORD,
	IMAP_SEARCH_LARGER,	/* number: size in octets */
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_BEFORE,	/* date: internal date, UTC day */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENT_BEFORE,	/* date: Date: header's own day */
	IMAP_SEARCH_SENT_ON,
	IMAP_SEARCH_SENT_SINCE,
	IMAP_SEARCH_HEADER,	/* text: field name; value: needle */
	IMAP_SEARCH_BODY,	/* value: needle */
	IMAP_SEARCH_TEXT,	/* value: needle (header and body) */
	IMAP_SEARCH_MODSEQ,	/* number: modseq at least this */
};

/* Message flags as bits. */
enum imap_search_flag {
	IMAP_SEARCH_FLAG_ANSWERED = 1 << 0,
	IMAP_SEARCH_FLAG_FLAGGED = 1 << 1,
	IMAP_SEARCH_FLAG_DELETED = 1 << 2,
	IMAP_SEARCH_FLAG_SEEN = 1 << 3,
	IMAP_SEARCH_FLAG_DRAFT = 1 << 4,
};

struct imap_search_node {
	enum imap_search_key key;
	struct imap_search_node *children;
	size_t child_count;
	/* Sequence set, UID set, keyword or header field name. */
	const char *text;
	/* Sequence and UID keys: the set, parsed. */
	const struct imap_sequence_set *set;
	/* HEADER, BODY, TEXT: the needle, case-folded UTF-8. */
	struct string_view value;
	/* LARGER/SMALLER size, MODSEQ value, flag bits. */
	uint64_t number;
	/* Date keys: days since 1970-01-01. */
	int64_t day;
};

struct imap_search {
	struct imap_search_node *root;	/* an IMAP_SEARCH_AND */
	/* Some key needs the message bytes (header, body, SENT*). */
	bool needs_message;
	/* MODSEQ was used: the response carries "(MODSEQ n)". */
	bool uses_modseq;
};

/* One message as the matcher sees it. Zero it, then fill it in. */
struct imap_search_message {
	uint32_t sequence;
	uint32_t uid;
	/* '*' in sets: the mailbox's highest sequence number and UID. */
	uint32_t last_sequence;
	uint32_t last_uid;
	unsigned flags;		/* IMAP_SEARCH_FLAG_* */
	bool recent;
	const char *const *keywords;
	size_t keyword_count;
	uint64_t size;		/* RFC822.SIZE */
	time_t internal_date;
	uint64_t modseq;
	/* Supplies the message in wire form (CRLF) on first need; the
	 * bytes must stay valid for the match call. Returns 0, or -1
	 * with *error_r. */
	int (*load)(void *context, const unsigned char **data_r,
	    size_t *length_r, const char **error_r);
	void *load_context;
	/* Private: the parsed message, cached across keys of one match;
	 * allocated in the match arena. */
	struct imap_search_cache *cache;
};

/* Parses args[0..count) (everything after SEARCH) into *search_r in
 * arena. A leading "CHARSET x" accepts UTF-8 and US-ASCII. Returns 0,
 * or -1 with *error_r: IMAP_SEARCH_BADCHARSET for another charset (the
 * caller answers NO), otherwise a syntax error (BAD). */
int imap_search_parse(struct arena *arena, const struct imap_arg *args,
    size_t count, struct imap_search **search_r, const char **error_r);

/* Whether message matches search. Returns 1 (match) or 0, or -1 with
 * *error_r when the message bytes were needed and load failed. Parsed
 * data lives in arena (one per message is the intended use). */
int imap_search_match(const struct imap_search *search,
    struct imap_search_message *message, struct arena *arena,
    const char **error_r);

#endif
