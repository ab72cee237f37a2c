/* imap_parser.h: IMAP4rev1 command input (RFC 3501 section 9) into a tag,
 * a command name and a tree of arguments, resumable across reads.
 *
 * The parser is fed bytes as they arrive and hands out one command at a
 * time. Arguments are atoms, quoted strings, literals ({N} and the
 * non-synchronizing {N+} of RFC 7888), NIL and parenthesized lists,
 * nested up to a limit. An atom that contains '[' runs to the matching
 * ']' whatever is inside (spaces, parentheses), so that
 * "BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>" is one atom, as FETCH
 * needs. A synchronizing literal makes the parser stop and ask for a
 * continuation ("+ ..."): the server sends it, then calls
 * imap_parser_continue and feeds the literal.
 *
 * Limits (0 in the limits struct means the default): line bytes outside
 * literals, one literal's size, all literals of a command, nesting
 * depth, arguments per list. A violation is reported at once (the
 * caller answers "TAG BAD ..."), and the parser then skips the rest of
 * that command (through a non-synchronizing literal's bytes too) and
 * resumes at the next line, so the session stays in sync. A
 * synchronizing literal over the limit is refused before the client
 * sends it. Never allocates a size the peer declared before checking it.
 *
 * Memory: commands and their arguments live in the arena given to
 * imap_parser_next (one per command is the intended use). One parser per
 * connection; not thread-safe. */
#ifndef SLUICE_IMAP_PARSER_H
#define SLUICE_IMAP_PARSER_H

#include "lib/common.h"
#include "lib/arena.h"

#define IMAP_PARSER_LINE_MAX_DEFAULT 8192
#define IMAP_PARSER_LITERAL_MAX_DEFAULT (64u * 1024 * 1024)
#define IMAP_PARSER_DEPTH_MAX_DEFAULT 16
#define IMAP_PARSER_LIST_MAX_DEFAULT 1024
#define IMAP_PARSER_TAG_MAX 64

struct imap_parser_limits {
	/* Bytes of one command outside its literals, over all its lines,
	 * CRLFs included (so {0} literals cannot stretch it). */
	size_t line_max;
	size_t literal_max;	/* one literal (APPEND's message) */
	size_t command_max;	/* all literals of one command; 0: literal_max */
	unsigned depth_max;	/* list nesting */
	size_t list_max;	/* arguments in one list, and at top level */
};

enum imap_arg_type {
	IMAP_ARG_ATOM,		/* also numbers, sequence sets, BODY[...] */
	IMAP_ARG_STRING,	/* a quoted string, unescaped */
	IMAP_ARG_LITERAL,	/* {N} or {N+}: may hold any byte, even NUL */
	IMAP_ARG_NIL,
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	/* Atom, string, literal: the bytes, NUL-terminated (a literal may
	 * also contain NULs: use length). NIL and list: NULL. */
	const char *text;
	size_t length;
	/* List: its elements. */
	struct imap_arg *list;
	size_t list_count;
};

struct imap_command {
	const char *tag;	/* 1..IMAP_PARSER_TAG_MAX tag characters */
	const char *name;	/* uppercased: "FETCH", "UID" */
	struct imap_arg *args;	/* after the name; "UID FETCH" has FETCH
				 * as its first atom */
	size_t arg_count;
};

struct imap_parser;

struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits);
void imap_parser_free(struct imap_parser **parser_p);

/* Parses from data (length bytes). Sets *consumed_r to the bytes used
 * (the caller drops them and calls again with the rest and new data).
 * Returns:
 *   1  a command is complete: *command_r (in arena);
 *   0  more input is needed; when *continuation_r is true the parser
 *      waits for a synchronizing literal: send "+ Ready" (or refuse the
 *      command) and call imap_parser_continue before feeding more;
 *  -1  the command is bad: *error_r says why for "BAD" (short, no CRLF),
 *      *tag_r is its tag or NULL when none was read ("* BAD"). The
 *      parser has already started skipping to the next command. */
int imap_parser_next(struct imap_parser *parser, const unsigned char *data,
    size_t length, size_t *consumed_r, struct arena *arena,
    struct imap_command **command_r, bool *continuation_r,
    const char **tag_r, const char **error_r);

/* The server sent the continuation request: read the literal. */
void imap_parser_continue(struct imap_parser *parser);

/* The server refuses the pending synchronizing literal (answered "TAG NO"
 * or "BAD" itself): skip to the next line without reading it. */
void imap_parser_refuse_literal(struct imap_parser *parser);

/* Reads one plain line (an AUTHENTICATE response, IDLE's "DONE"), which
 * the server reads itself between commands, never in the middle of one.
 * Returns:
 *   1  a line: *line_r (in arena, NUL-terminated) without its CRLF or
 *      bare LF; *consumed_r counts through the LF;
 *   0  more input is needed: all of data was consumed and kept;
 *  -1  the line is longer than the line limit (counting its CRLF), or
 *      holds a NUL byte: *error_r says which. Returned once the bytes
 *      through its LF have been dropped, so the next call starts a
 *      fresh line. */
int imap_parser_read_line(struct imap_parser *parser,
    const unsigned char *data, size_t length, size_t *consumed_r,
    struct arena *arena, const char **line_r, const char **error_r);

/* Helpers for command handlers. */

/* Whether arg is an atom equal to name, ignoring ASCII case. */
bool imap_arg_is_atom(const struct imap_arg *arg, const char *name);
/* The text of an atom, string or literal ("astring"/"string"), or NULL
 * for NIL and lists; a literal with a NUL byte also gives NULL. */
const char *imap_arg_string(const struct imap_arg *arg);
/* Parses an atom of 1..10 digits into a uint32 (nz-number when
 * nonzero). Returns true on success. */
bool imap_arg_number(const struct imap_arg *arg, uint32_t *number_r);

#endif
