/* smtp_parameters.h: the ESMTP parameters of MAIL and RCPT and the
 * arguments of BDAT, checked and turned into envelope values.
 *
 * The SMTP server advertises SIZE, 8BITMIME, SMTPUTF8 (RFC 6531), DSN
 * (RFC 3461) and CHUNKING (RFC 3030); these functions decide what each
 * keyword=value the client sent means, or which reply refuses it. They
 * take the parameters smtp_command_parse_path() split (keywords
 * uppercased, values as sent). Pure (no I/O, no session state); any
 * thread may call, each with its own arena. */
#ifndef SLUICE_SMTP_PARAMETERS_H
#define SLUICE_SMTP_PARAMETERS_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/smtp_command_parser.h"
#include "lib/string_view.h"
#include "gateway/spool.h"

/* RFC 3461 limits on the values as sent (xtext, before decoding):
 * section 4.4 for ENVID, section 4.2 for ORCPT (addr-type, ';' and the
 * address). */
#define SMTP_PARAMETERS_ENVID_MAX 100
#define SMTP_PARAMETERS_ORCPT_MAX 500

/* How to refuse a command whose parameters did not check out: 555 5.5.4
 * for a keyword we do not support (RFC 5321 4.1.1.11), 501 5.5.4 for a
 * malformed value, 552 5.3.4 for a SIZE over the limit. text is static
 * or in the arena and names the parameter, never the client's value. */
struct smtp_parameters_reply {
	unsigned code;
	const char *enhanced;
	const char *text;
};

/* What MAIL FROM's parameters said. */
struct smtp_parameters_mail {
	uint64_t size;          /* SIZE=, 0 if absent */
	bool body_8bitmime;     /* BODY=8BITMIME (BODY=7BIT: false) */
	bool smtputf8;          /* SMTPUTF8 */
	enum spool_ret ret;     /* RET=FULL|HDRS */
	const char *envid;      /* ENVID= decoded, "" if absent */
};

/* What RCPT TO's parameters said. */
struct smtp_parameters_rcpt {
	unsigned notify;        /* enum spool_notify bits, 0 if absent */
	const char *orcpt;      /* "addr-type;decoded address", "" if absent */
};

/* Checks the parameters of one MAIL command. esmtp: the client said
 * EHLO (after HELO every parameter is unsupported, 555). max_size is
 * smtp.max_message_size; a larger SIZE= is 552 5.3.4. Each keyword may
 * appear once (the command parser already refused duplicates).
 * SMTPUTF8 takes no value; BODY is 7BIT or 8BITMIME (BINARYMIME is not
 * offered); RET is FULL or HDRS; ENVID is xtext of at most
 * SMTP_PARAMETERS_ENVID_MAX characters that decodes to printable
 * ASCII. Returns 0 and fills *mail_r (strings in arena), or -1 and
 * fills *reply_r. */
int smtp_parameters_parse_mail(struct arena *arena,
    const struct smtp_parameter *parameters, size_t count, bool esmtp,
    uint64_t max_size, struct smtp_parameters_mail *mail_r,
    struct smtp_parameters_reply *reply_r);

/* Checks the parameters of one RCPT command: NOTIFY is NEVER alone or a
 * comma-separated list of SUCCESS, FAILURE and DELAY (any case);
 * ORCPT is addr-type ";" xtext, an atom then an address that decodes to
 * printable ASCII (RFC 6533's utf-8 addr-type writes its non-ASCII
 * characters as "\x{...}", so this holds for it too), at most
 * SMTP_PARAMETERS_ORCPT_MAX characters as sent. Returns 0 and fills
 * *rcpt_r (strings in arena), or -1 and fills *reply_r. */
int smtp_parameters_parse_rcpt(struct arena *arena,
    const struct smtp_parameter *parameters, size_t count, bool esmtp,
    struct smtp_parameters_rcpt *rcpt_r,
    struct smtp_parameters_reply *reply_r);

/* Parses the arguments of BDAT (RFC 3030): a chunk size of digits
 * (fitting in uint64_t, no sign) and an optional "LAST" (any case),
 * separated by one or more spaces. Returns 0 with *size_r and *last_r,
 * or -1 for anything else (the caller cannot know where the chunk ends
 * and must end the session after its 501). */
int smtp_parameters_parse_bdat(struct string_view arguments, uint64_t *size_r,
    bool *last_r);

#endif
