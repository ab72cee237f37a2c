/* sasl_plain.c: strict base64 and the RFC 4616 PLAIN message layout.
 *
 * DESIGN: the decoder is written here rather than reusing
 * lib/mime_decode, because MIME base64 is deliberately lenient (it skips
 * whitespace and junk) while an authentication exchange must reject
 * anything but the canonical encoding. The decoded bytes pass through a
 * stack buffer that is wiped before returning, since it holds the
 * password. */
#include "mailstore/sasl_plain.h"
#include "lib/error.h"

#include <sys/types.h>

/* The value of base64 character c, or -1 outside the alphabet. */
static int
sasl_plain_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes strict base64 into dst (room for length / 4 * 3 bytes).
 * Returns the decoded length, or -1. */
static ssize_t
sasl_plain_base64_decode(const char *in, size_t length, unsigned char *dst)
{
	size_t i, used = 0, padding = 0;
	uint32_t group;
	int j, value;

	if (length == 0 || length % 4 != 0)
		return -1;
	if (in[length - 1] == '=')
		padding = in[length - 2] == '=' ? 2 : 1;
	for (i = 0; i < length; i += 4) {
		group = 0;
		for (j = 0; j < 4; j++) {
			if (i + (size_t)j >= length - padding)
				value = 0;
			else if ((value = sasl_plain_base64_value(
			    (unsigned char)in[i + (size_t)j])) < 0)
				return -1;
			group = group << 6 | (uint32_t)value;
		}
		dst[used++] = (unsigned char)(group >> 16);
		dst[used++] = (unsigned char)(group >> 8);
		dst[used++] = (unsigned char)group;
	}
	/* The bits the padding leaves unused must be zero, so each
	 * message has exactly one encoding. */
	if ((padding == 1 && dst[used - 1] != 0) ||
	    (padding == 2 && (dst[used - 1] != 0 || dst[used - 2] != 0)))
		return -1;
	return (ssize_t)(used - padding);
}

/* Checks the three fields of message[0..length) and copies the two we
 * keep. Returns 0, or -1 with error_r. */
static int
sasl_plain_split(const unsigned char *message, size_t length,
    struct sasl_plain_credentials *credentials_r, const char **error_r)
{
	const unsigned char *first, *second;
	size_t authzid_length, authcid_length, password_length;

	first = memchr(message, '\0', length);
	second = first == NULL ? NULL :
	    memchr(first + 1, '\0', length - (size_t)(first + 1 - message));
	if (second == NULL ||
	    memchr(second + 1, '\0', length - (size_t)(second + 1 - message))
	    != NULL) {
		*error_r = error_set("PLAIN message needs exactly two NUL "
		    "separators");
		return -1;
	}
	authzid_length = (size_t)(first - message);
	authcid_length = (size_t)(second - first - 1);
	password_length = length - (size_t)(second + 1 - message);
	if (authcid_length == 0) {
		*error_r = error_set("empty login name");
		return -1;
	}
	if (authcid_length > SASL_PLAIN_AUTHCID_MAX) {
		*error_r = error_set("login name longer than %d bytes",
		    SASL_PLAIN_AUTHCID_MAX);
		return -1;
	}
	if (password_length == 0) {
		*error_r = error_set("empty password");
		return -1;
	}
	if (password_length > SASL_PLAIN_PASSWORD_MAX) {
		*error_r = error_set("password longer than %d bytes",
		    SASL_PLAIN_PASSWORD_MAX);
		return -1;
	}
	if (authzid_length != 0 && (authzid_length != authcid_length ||
	    memcmp(message, first + 1, authcid_length) != 0)) {
		*error_r = error_set("authorization identity differs from "
		    "the login name");
		return -1;
	}
	memcpy(credentials_r->authcid, first + 1, authcid_length);
	credentials_r->authcid[authcid_length] = '\0';
	memcpy(credentials_r->password, second + 1, password_length);
	credentials_r->password[password_length] = '\0';
	return 0;
}

int
sasl_plain_decode(const char *base64, size_t length,
    struct sasl_plain_credentials *credentials_r, const char **error_r)
{
	/* SASL_PLAIN_MESSAGE_MAX bytes, all the allowed length can hold. */
	unsigned char message[SASL_PLAIN_BASE64_MAX / 4 * 3];
	ssize_t decoded;
	int ret = -1;

	explicit_bzero(credentials_r, sizeof(*credentials_r));
	if (length > SASL_PLAIN_BASE64_MAX) {
		*error_r = error_set("PLAIN response longer than %d bytes",
		    SASL_PLAIN_BASE64_MAX);
		return -1;
	}
	decoded = sasl_plain_base64_decode(base64, length, message);
	if (decoded < 0)
		*error_r = error_set("invalid base64");
	else
		ret = sasl_plain_split(message, (size_t)decoded,
		    credentials_r, error_r);
	explicit_bzero(message, sizeof(message));
	if (ret < 0)
		explicit_bzero(credentials_r, sizeof(*credentials_r));
	return ret;
}
