/* imap_fetch_items.h: the data items of an IMAP FETCH (RFC 3501 6.4.5,
 * MODSEQ of RFC 7162) parsed from the command's argument into flags and
 * body section requests.
 *
 * Input is one argument from imap_parser: an atom (one item or one of
 * the macros ALL, FAST, FULL) or a list of item atoms. A section such as
 * "BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.2048>" arrives as one atom
 * (imap_parser's '[...]' rule). The result lives in the arena given and
 * is read-only afterwards; any thread may read it. */
#ifndef SLUICE_IMAP_FETCH_ITEMS_H
#define SLUICE_IMAP_FETCH_ITEMS_H

#include "lib/common.h"
#include "lib/arena.h"
#include "mailstore/imap_parser.h"

/* Part numbers in one section ("1.2.3"): deeper is refused. */
#define IMAP_FETCH_ITEMS_PARTS_MAX 32

/* What of the (part of the) message a section asks for. */
enum imap_fetch_section_text {
	IMAP_FETCH_SECTION_WHOLE,	/* "" or "1.2": the whole part */
	IMAP_FETCH_SECTION_HEADER,
	IMAP_FETCH_SECTION_HEADER_FIELDS,
	IMAP_FETCH_SECTION_HEADER_FIELDS_NOT,
	IMAP_FETCH_SECTION_TEXT,
	IMAP_FETCH_SECTION_MIME,	/* only after part numbers */
};

/* BODY[section]<origin.count> or BODY.PEEK[...]. */
struct imap_fetch_body {
	bool peek;
	/* The section as the client wrote it between the brackets, for the
	 * response's "BODY[section]". */
	const char *section;
	const uint32_t *parts;		/* nonzero part numbers */
	size_t part_count;
	enum imap_fetch_section_text text;
	/* HEADER.FIELDS (.NOT): the field names as sent (unquoted). */
	const char **fields;
	size_t field_count;
	bool partial;			/* "<origin.count>" was given */
	uint32_t origin;
	uint32_t count;			/* nonzero */
};

struct imap_fetch_items {
	bool flags;
	bool internaldate;
	bool rfc822_size;
	bool envelope;
	bool body;			/* BODY without a section */
	bool bodystructure;
	bool uid;
	bool modseq;
	bool rfc822;
	bool rfc822_header;
	bool rfc822_text;
	struct imap_fetch_body *bodies;	/* in the order asked */
	size_t body_count;
	/* A non-PEEK body section, RFC822 or RFC822.TEXT was asked for:
	 * fetching sets \Seen (unless the mailbox is read-only). */
	bool sets_seen;
};

/* Parses arg into *items_r (arena). Item names ignore ASCII case.
 * Returns 0, or -1 with a short error_r for "TAG BAD" on an unknown
 * item, a macro inside a list, an empty list, or a malformed section or
 * partial. Never reads past the argument's text. */
int imap_fetch_items_parse(const struct imap_arg *arg, struct arena *arena,
    struct imap_fetch_items **items_r, const char **error_r);

#endif
