/* sasl_plain.h: decoding the SASL PLAIN mechanism's response (RFC 4616)
 * as IMAP AUTHENTICATE and POP3 AUTH carry it, in base64.
 *
 * Pure and stateless: any thread may call it. The caller handles the
 * protocol's framing, including "=" for an empty initial response (which
 * is not valid here: a PLAIN message is never empty). The decoded
 * password sits in the caller's struct: wipe it (explicit_bzero) once it
 * has been checked. */
#ifndef SLUICE_SASL_PLAIN_H
#define SLUICE_SASL_PLAIN_H

#include "lib/common.h"

/* Limits on the decoded fields, in bytes. The password maximum is what
 * user_accounts can check (USER_ACCOUNTS_PASSWORD_MAX). */
#define SASL_PLAIN_AUTHCID_MAX 255
#define SASL_PLAIN_PASSWORD_MAX 511
/* The longest decoded message: authzid (at most as long as authcid),
 * authcid, password and the two NUL separators. */
#define SASL_PLAIN_MESSAGE_MAX \
	(2 * SASL_PLAIN_AUTHCID_MAX + SASL_PLAIN_PASSWORD_MAX + 2)
/* Its base64 form: 4 characters per 3 bytes, rounded up. */
#define SASL_PLAIN_BASE64_MAX (((SASL_PLAIN_MESSAGE_MAX + 2) / 3) * 4)

/* The two identities of a decoded PLAIN message, NUL-terminated. */
struct sasl_plain_credentials {
	/* The login name (authentication identity), 1..255 bytes. */
	char authcid[SASL_PLAIN_AUTHCID_MAX + 1];
	/* 1..511 bytes. */
	char password[SASL_PLAIN_PASSWORD_MAX + 1];
};

/* Decodes base64[0..length), a PLAIN response
 * "[authzid] NUL authcid NUL password", into *credentials_r.
 *
 * The base64 is strict (RFC 4648 without line breaks): only the
 * standard alphabet, a length that is a multiple of 4, '=' padding only
 * at the end, and zero unused bits. authcid and password must be
 * non-empty and within the limits above, without NUL bytes (so exactly
 * two NULs separate the fields). authzid must be empty or equal to
 * authcid (byte for byte): acting as another user is refused.
 *
 * Returns 0, or -1 with error_r a short reason fit for a log line (it
 * never contains the password) and *credentials_r wiped. Input longer
 * than SASL_PLAIN_BASE64_MAX is refused before decoding. */
int sasl_plain_decode(const char *base64, size_t length,
    struct sasl_plain_credentials *credentials_r, const char **error_r);

#endif
