/* test_sasl_plain.c: unit tests for mailstore/sasl_plain: the PLAIN
 * layout, strict base64 and the field limits. The decoder takes a whole
 * response at once (the protocol's line reader has already framed it),
 * so there is no resumable state for a trickle pass to exercise. */
#include "mailstore/sasl_plain.h"
#include "tests/unit/harness.h"

/* Encodes in[0..length) as base64 into dst (size > 4 * length / 3 + 4). */
static void
encode(const unsigned char *in, size_t length, char *dst)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, used = 0;
	uint32_t group;

	for (i = 0; i < length; i += 3) {
		group = (uint32_t)in[i] << 16;
		if (i + 1 < length)
			group |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < length)
			group |= in[i + 2];
		dst[used++] = alphabet[group >> 18 & 63];
		dst[used++] = alphabet[group >> 12 & 63];
		dst[used++] = i + 1 < length ? alphabet[group >> 6 & 63] : '=';
		dst[used++] = i + 2 < length ? alphabet[group & 63] : '=';
	}
	dst[used] = '\0';
}

/* Decodes the PLAIN message given as text with '|' standing for NUL. */
static int
decode_message(const char *layout, struct sasl_plain_credentials *credentials,
    const char **error)
{
	unsigned char message[2048];
	char base64[4096];
	size_t i, length = strlen(layout);

	for (i = 0; i < length; i++)
		message[i] = layout[i] == '|' ? '\0' : (unsigned char)layout[i];
	encode(message, length, base64);
	return sasl_plain_decode(base64, strlen(base64), credentials, error);
}

static void
test_sasl_plain_messages(void)
{
	static const struct {
		const char *layout, *authcid, *password, *error;
	} cases[] = {
		{ "|alice@example.test|s3cret pw", "alice@example.test",
		    "s3cret pw", NULL },
		{ "alice|alice|pw", "alice", "pw", NULL },
		{ "|a|p", "a", "p", NULL },
		{ "|Alice|pässwörd", "Alice", "pässwörd", NULL },
		{ "bob|alice|pw", NULL, NULL,
		    "authorization identity differs from the login name" },
		{ "Alice|alice|pw", NULL, NULL,
		    "authorization identity differs from the login name" },
		{ "alicex|alice|pw", NULL, NULL,
		    "authorization identity differs from the login name" },
		{ "||pw", NULL, NULL, "empty login name" },
		{ "|alice|", NULL, NULL, "empty password" },
		{ "|alice", NULL, NULL,
		    "PLAIN message needs exactly two NUL separators" },
		{ "alice pw", NULL, NULL,
		    "PLAIN message needs exactly two NUL separators" },
		{ "|alice|p|w", NULL, NULL,
		    "PLAIN message needs exactly two NUL separators" },
		{ "|alice||", NULL, NULL,
		    "PLAIN message needs exactly two NUL separators" },
	};
	struct sasl_plain_credentials credentials;
	const char *error;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		error = NULL;
		ret = decode_message(cases[i].layout, &credentials, &error);
		if (cases[i].error == NULL) {
			test_assert_int(ret, 0);
			test_assert_string(credentials.authcid,
			    cases[i].authcid);
			test_assert_string(credentials.password,
			    cases[i].password);
		} else {
			test_assert_int(ret, -1);
			test_assert_string(error, cases[i].error);
			test_assert_int(credentials.authcid[0], '\0');
			test_assert_int(credentials.password[0], '\0');
		}
		if (test_case_failed()) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i,
			    cases[i].layout);
			return;
		}
	}
}

static void
test_sasl_plain_strict_base64(void)
{
	static const struct {
		const char *base64;
		bool ok;
	} cases[] = {
		/* "\0a\0bc": 5 bytes, one '=' of padding. */
		{ "AGEAYmM=", true },
		/* "\0ab\0c": 5 bytes. */
		{ "AGFiAGM=", true },
		/* "\0a\0b": 4 bytes, two '='. */
		{ "AGEAYg==", true },
		{ "AGEAYmM", false },      /* missing padding */
		{ "AGEAYmM==", false },    /* too much padding */
		{ "AGEAYmN=", false },     /* unused bits set */
		{ "AGEAYh==", false },     /* unused bits set */
		{ "AGEA YmM=", false },    /* whitespace */
		{ "AGEAYmM=\r\n", false }, /* line end */
		{ "AGE=AYmM", false },     /* '=' inside */
		{ "AGEAY-M=", false },     /* URL-safe alphabet */
		{ "AGEAY_M=", false },
		{ "====", false },
		{ "A===", false },
		{ "", false },             /* "=" is the caller's */
		{ "=", false },
	};
	struct sasl_plain_credentials credentials;
	const char *error;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		error = NULL;
		ret = sasl_plain_decode(cases[i].base64,
		    strlen(cases[i].base64), &credentials, &error);
		test_assert_int(ret, cases[i].ok ? 0 : -1);
		if (!cases[i].ok)
			test_assert_string(error, "invalid base64");
		if (test_case_failed()) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i,
			    cases[i].base64);
			return;
		}
	}
	/* The length is the caller's: bytes after it are not read. */
	test_assert_int(sasl_plain_decode("AGEAYmM=junk", 8, &credentials,
	    &error), 0);
	test_assert_string(credentials.authcid, "a");
	test_assert_string(credentials.password, "bc");
}

static void
test_sasl_plain_limits(void)
{
	char layout[2048], name[SASL_PLAIN_AUTHCID_MAX + 2];
	char password[SASL_PLAIN_PASSWORD_MAX + 2], base64[4096];
	struct sasl_plain_credentials credentials;
	const char *error = NULL;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(password, 'p', sizeof(password) - 1);
	password[sizeof(password) - 1] = '\0';

	/* At the limits, with an authzid: the longest message there is. */
	snprintf(layout, sizeof(layout), "%.255s|%.255s|%.511s", name, name,
	    password);
	test_assert_int(strlen(layout), SASL_PLAIN_MESSAGE_MAX);
	test_assert_int(decode_message(layout, &credentials, &error), 0);
	test_assert_int(strlen(credentials.authcid), SASL_PLAIN_AUTHCID_MAX);
	test_assert_int(strlen(credentials.password),
	    SASL_PLAIN_PASSWORD_MAX);

	snprintf(layout, sizeof(layout), "|%s|pw", name);
	test_assert_int(decode_message(layout, &credentials, &error), -1);
	test_assert_string(error, "login name longer than 255 bytes");
	snprintf(layout, sizeof(layout), "|alice|%s", password);
	test_assert_int(decode_message(layout, &credentials, &error), -1);
	test_assert_string(error, "password longer than 511 bytes");

	/* One byte over the whole message is refused on the encoded
	 * length, before decoding. */
	memset(base64, 'A', sizeof(base64));
	test_assert_int(sasl_plain_decode(base64, SASL_PLAIN_BASE64_MAX + 4,
	    &credentials, &error), -1);
	test_assert_string(error, "PLAIN response longer than 1364 bytes");
	test_assert_int(sasl_plain_decode(base64, sizeof(base64),
	    &credentials, &error), -1);
	/* All 'A' decodes to NULs: within the length, wrong layout. */
	test_assert_int(sasl_plain_decode(base64, SASL_PLAIN_BASE64_MAX,
	    &credentials, &error), -1);
	test_assert_string(error,
	    "PLAIN message needs exactly two NUL separators");
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_sasl_plain_messages),
		TEST_CASE(test_sasl_plain_strict_base64),
		TEST_CASE(test_sasl_plain_limits),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
