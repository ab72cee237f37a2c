/* maildir_name.h: parsing and formatting Maildir file names of the form
 * "BASE,U=UID:2,FLAGS" (BASE as delivered, U= our IMAP UID tag).
 *
 * Pure string work, no I/O; any thread may call these. Names longer than
 * MAILDIR_NAME_MAX bytes are refused (no filesystem we use allows them).
 * Flag letters D F R S T map to enum mailbox_flag bits; every other
 * letter (keyword letters of other tools) is kept as given. */
#ifndef SLUICE_MAILDIR_NAME_H
#define SLUICE_MAILDIR_NAME_H

#include "lib/common.h"

#define MAILDIR_NAME_MAX 255

/* One parsed name. key is the name without its ":2,FLAGS" info: it
 * stays the same while flags change, so it identifies the file. base is
 * key without the ",U=UID" tag. extra holds the flag letters that are
 * not system flags, in their original order. */
struct maildir_name {
	char key[MAILDIR_NAME_MAX + 1];
	char base[MAILDIR_NAME_MAX + 1];
	char extra[MAILDIR_NAME_MAX + 1];
	uint32_t uid;     /* 0: no U= tag */
	unsigned flags;   /* enum mailbox_flag bits */
};

/* Parses name. Returns 1 and fills *parsed_r, or 0 for a name we do not
 * take (empty, starting with '.', longer than MAILDIR_NAME_MAX, with a
 * '/'). A U= tag of 0 or over UINT32_MAX is not a tag (uid 0). */
int maildir_name_parse(const char *name, struct maildir_name *parsed_r);

/* Writes "BASE,U=UID:2,LETTERS" into dst (size bytes): LETTERS are the
 * letters of flags plus extra, sorted by ASCII value as Maildir wants.
 * Returns 0, or -1 when the result would exceed MAILDIR_NAME_MAX or
 * size (errno ENAMETOOLONG). */
int maildir_name_format(char *dst, size_t size, const char *base,
    uint32_t uid, unsigned flags, const char *extra);

/* The enum mailbox_flag bit of a flag letter, or 0 for other letters. */
unsigned maildir_name_flag_bit(char letter);

#endif
