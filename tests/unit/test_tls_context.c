/* test_tls_context.c: unit tests for lib/tls_context: loading a chain and
 * key, clear errors for bad files, refcounting, client verification. */
#include "lib/tls_context.h"
#include "tests/unit/harness.h"
#include "tests/unit/self_signed.h"

static bool
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	if (file == NULL)
		return;
	fputs(text, file);
	fclose(file);
}

static void
test_tls_context_server_loads(void)
{
	struct self_signed_files files;
	struct tls_context *context, *second;
	const char *error = NULL;
	SSL_CTX *ssl_ctx;

	test_require(self_signed_write("good", "localhost", &files) == 0);
	context = tls_context_new_server(files.cert, files.key, &error);
	test_require(context != NULL);
	ssl_ctx = tls_context_ssl_ctx(context);
	test_require(ssl_ctx != NULL);
	test_assert_int(SSL_CTX_get_min_proto_version(ssl_ctx),
	    TLS1_2_VERSION);
	test_assert(SSL_CTX_get0_certificate(ssl_ctx) != NULL);
	test_assert((SSL_CTX_get_options(ssl_ctx) & SSL_OP_NO_RENEGOTIATION)
	    != 0);

	/* Two references: the first unref leaves it usable. */
	second = context;
	tls_context_ref(second);
	tls_context_unref(&context);
	test_assert(context == NULL);
	test_assert(tls_context_ssl_ctx(second) == ssl_ctx);
	tls_context_unref(&second);
	test_assert(second == NULL);
	tls_context_unref(&second);
}

static void
test_tls_context_missing_cert(void)
{
	struct self_signed_files files;
	const char *error = NULL;
	char missing[600];

	test_require(self_signed_write("missing", "localhost", &files) == 0);
	snprintf(missing, sizeof(missing), "%s/no-such.crt", test_temp_dir());
	test_assert(tls_context_new_server(missing, files.key, &error) ==
	    NULL);
	test_assert(starts_with(error, "tls.cert "));
	test_assert(strstr(error, missing) != NULL);
	test_assert(strstr(error, "No such file") != NULL);
}

static void
test_tls_context_bad_key_file(void)
{
	struct self_signed_files files;
	const char *error = NULL;
	char bad_key[600];

	test_require(self_signed_write("badkey", "localhost", &files) == 0);
	snprintf(bad_key, sizeof(bad_key), "%s/garbage.key", test_temp_dir());
	write_file(bad_key, "this is not a PEM private key\n");
	test_assert(tls_context_new_server(files.cert, bad_key, &error) ==
	    NULL);
	test_assert(starts_with(error, "tls.key "));
	test_assert(strstr(error, bad_key) != NULL);
	/* OpenSSL's reason is passed on, not swallowed. */
	test_assert(strstr(error, "error:") != NULL);

	/* A certificate file that holds no certificate. */
	test_assert(tls_context_new_server(bad_key, files.key, &error) ==
	    NULL);
	test_assert(starts_with(error, "tls.cert "));
	test_assert(strstr(error, "no start line") != NULL);
}

static void
test_tls_context_key_mismatch(void)
{
	struct self_signed_files first, second;
	const char *error = NULL;

	test_require(self_signed_write("first", "localhost", &first) == 0);
	test_require(self_signed_write("second", "localhost", &second) == 0);
	test_assert(tls_context_new_server(first.cert, second.key, &error) ==
	    NULL);
	test_assert(starts_with(error, "tls.key "));
	test_assert(strstr(error, "does not match tls.cert") != NULL);
	test_assert(strstr(error, first.cert) != NULL);
}

static void
test_tls_context_client(void)
{
	struct tls_context *verifying, *lenient;
	const char *error = NULL;

	verifying = tls_context_new_client(true, &error);
	lenient = tls_context_new_client(false, &error);
	test_require(verifying != NULL && lenient != NULL);
	test_assert_int(SSL_CTX_get_verify_mode(tls_context_ssl_ctx(verifying)),
	    SSL_VERIFY_PEER);
	test_assert_int(SSL_CTX_get_verify_mode(tls_context_ssl_ctx(lenient)),
	    SSL_VERIFY_NONE);
	test_assert_int(SSL_CTX_get_min_proto_version(
	    tls_context_ssl_ctx(lenient)), TLS1_2_VERSION);
	tls_context_unref(&verifying);
	tls_context_unref(&lenient);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_tls_context_server_loads),
		TEST_CASE(test_tls_context_missing_cert),
		TEST_CASE(test_tls_context_bad_key_file),
		TEST_CASE(test_tls_context_key_mismatch),
		TEST_CASE(test_tls_context_client),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
