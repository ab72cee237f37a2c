/* smtp_command_parser.h: SMTP/LMTP command lines into verb and arguments,
 * MAIL FROM / RCPT TO paths with their ESMTP parameters, and the xtext
 * encoding (RFC 3461) of ORCPT and ENVID values.
 *
 * Input is one complete line as line_reader returns it (no CRLF); line
 * assembly and the length cap are line_reader's job. Paths follow RFC
 * 5321 section 4.1.2 with the leniency real clients need (a space after
 * "FROM:", case-insensitive keywords, source routes, RCPT TO:<postmaster>)
 * and its size limits (section 4.5.3.1). Results are views into the
 * line or strings in the caller's arena. Pure (no I/O); any thread may
 * call, each with its own arena. */
#ifndef SLUICE_SMTP_COMMAND_PARSER_H
#define SLUICE_SMTP_COMMAND_PARSER_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/string_view.h"

/* RFC 5321 4.5.3.1: local part, domain, and whole path (including the
 * angle brackets and any source route). */
#define SMTP_COMMAND_LOCAL_PART_MAX 64
#define SMTP_COMMAND_DOMAIN_MAX 255
#define SMTP_COMMAND_PATH_MAX 256
/* Longest verb we accept; the longest real one is 8 ("STARTTLS"). */
#define SMTP_COMMAND_VERB_MAX 16
/* ESMTP parameters accepted on one MAIL or RCPT command. */
#define SMTP_COMMAND_PARAMETERS_MAX 16

struct smtp_command {
	/* 1..SMTP_COMMAND_VERB_MAX ASCII letters, as sent (compare with
	 * string_view_equal_cstring_case). */
	struct string_view verb;
	/* Everything after the spaces following the verb, trailing spaces
	 * and tabs removed; empty when there is none. Not validated. */
	struct string_view arguments;
};

/* Splits a command line into verb and arguments; both are views into
 * line. The verb is followed by the end of the line or by one or more
 * spaces. Returns 0, or -1 with *error_r "syntax error" for an empty
 * line or a verb that is not 1..16 letters. */
int smtp_command_parse(struct string_view line, struct smtp_command *command_r,
    const char **error_r);

struct smtp_path {
	/* "local@domain": the local part as below, '@', the domain;
	 * "" for the null path; "postmaster" (as sent) for a bare
	 * RCPT TO:<postmaster>. */
	const char *address;
	/* As sent, except that a quoted local part that needs no quotes
	 * (it is a plain dot-string) is returned without them: "\"john\""
	 * becomes "john" but "\"john doe\"" stays quoted. */
	const char *local_part;
	/* ASCII letters lowercased; an address literal keeps its brackets
	 * ("[192.0.2.1]", "[IPv6:2001:db8::1]"); "" for the null path and
	 * for bare postmaster. */
	const char *domain;
	/* MAIL FROM:<> */
	bool is_null;
	/* address holds bytes >= 0x80 (valid UTF-8, only with
	 * allow_utf8); a dropped source route does not count. */
	bool is_utf8;
};

struct smtp_parameter {
	/* ASCII-uppercased keyword ("SIZE", "BODY", "X-FOO"). */
	const char *keyword;
	/* The value as sent; NULL when the parameter had no '='. */
	const char *value;
};

/* Parses the arguments of MAIL (keyword "FROM") or RCPT (keyword "TO"):
 * the keyword and ':' (any case), optional spaces, "<path>", then
 * space-separated ESMTP parameters KEYWORD[=VALUE].
 *
 * Source routes ("<@a,@b:user@example.org>") are checked and ignored.
 * The null path "<>" is accepted for FROM only; "<postmaster>" without a
 * domain for TO only. Bytes >= 0x80 are accepted only when allow_utf8
 * (the client said SMTPUTF8) and only as valid UTF-8. Control
 * characters, and spaces outside a quoted local part, are rejected.
 * Parameter keywords are [A-Za-z0-9][A-Za-z0-9-]*, values one or more
 * printable ASCII characters other than '='; at most
 * SMTP_COMMAND_PARAMETERS_MAX, each keyword once (case-insensitively).
 *
 * On success returns 0 and fills *path_r, *parameters_r (an arena array,
 * NULL when there are none) and *parameter_count_r; every string lives
 * in arena. On failure returns -1 with a short reason in *error_r, such
 * as "missing <>" (the caller replies "501 5.5.2 ..." or "553 5.1.3 ..."
 * as it sees fit); the outputs are then unspecified. */
int smtp_command_parse_path(struct arena *arena, struct string_view arguments,
    const char *keyword, bool allow_utf8, struct smtp_path *path_r,
    struct smtp_parameter **parameters_r, size_t *parameter_count_r,
    const char **error_r);

/* Returns the parameter whose keyword matches keyword case-insensitively,
 * or NULL. parameters may be NULL when count is 0. */
const struct smtp_parameter *smtp_parameter_find(
    const struct smtp_parameter *parameters, size_t count,
    const char *keyword);

/* Parses a SIZE value: one or more ASCII digits (no sign, no spaces)
 * that fit in uint64_t. Returns 0 and sets *size_r, or -1 (also for a
 * NULL value). The caller compares the size with its own limit before
 * acting on it. */
int smtp_parameter_parse_size(const char *value, uint64_t *size_r);

/* Decodes RFC 3461 xtext (ORCPT, ENVID): printable ASCII other than '+'
 * and '=' stands for itself, "+XX" (two hex digits; lowercase accepted)
 * for the byte XX. Returns 0 with a NUL-terminated arena copy in *out_r,
 * or -1 with *error_r for other characters, a bad "+XX" or a decoded NUL.
 * The output is never longer than the input. */
int smtp_xtext_decode(struct arena *arena, const char *in, const char **out_r,
    const char **error_r);

#endif
