/* tls_context.c: refcounted OpenSSL SSL_CTX wrappers for our TLS servers
 * (certificate chain + key) and for the outbound relay client. */
#include "lib/tls_context.h"

#include "lib/alloc.h"
#include "lib/error.h"

#include <stdatomic.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#define TLS_CONTEXT_ERROR_MAX 256

struct tls_context {
	SSL_CTX *ssl_ctx;
	atomic_uint references;
};

/* Sets error_r to "prefix: <oldest OpenSSL error>" (the oldest entry is
 * the most specific one, e.g. "No such file or directory"), empties the
 * thread's OpenSSL error queue and frees ssl_ctx. Returns NULL. */
static struct tls_context *
tls_context_fail(SSL_CTX *ssl_ctx, const char **error_r, const char *fmt,
    ...) ATTR_PRINTF(3, 4);

static struct tls_context *
tls_context_fail(SSL_CTX *ssl_ctx, const char **error_r, const char *fmt,
    ...)
{
	char prefix[ERROR_MAX], reason[TLS_CONTEXT_ERROR_MAX];
	unsigned long error = ERR_get_error();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (error != 0) {
		ERR_error_string_n(error, reason, sizeof(reason));
		*error_r = error_set("%s: %s", prefix, reason);
	} else {
		*error_r = error_set("%s", prefix);
	}
	ERR_clear_error();
	SSL_CTX_free(ssl_ctx);
	return NULL;
}

static struct tls_context *
tls_context_wrap(SSL_CTX *ssl_ctx)
{
	struct tls_context *context;

	context = alloc_new(struct tls_context);
	context->ssl_ctx = ssl_ctx;
	atomic_init(&context->references, 1);
	return context;
}

/* Settings shared by both directions: TLS 1.2 or later, no
 * renegotiation (a CPU-exhaustion vector with nothing to gain for mail),
 * smaller idle buffers for many mostly idle sessions. */
static int
tls_context_common(SSL_CTX *ssl_ctx)
{
	if (SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION) != 1)
		return -1;
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

struct tls_context *
tls_context_new_server(const char *cert_file, const char *key_file,
    const char **error_r)
{
	SSL_CTX *ssl_ctx;
	unsigned long error;

	ERR_clear_error();
	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (ssl_ctx == NULL)
		return tls_context_fail(NULL, error_r, "SSL_CTX_new");
	if (tls_context_common(ssl_ctx) < 0)
		return tls_context_fail(ssl_ctx, error_r,
		    "TLS protocol version setup");
	SSL_CTX_set_options(ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ssl_ctx, cert_file) != 1)
		return tls_context_fail(ssl_ctx, error_r, "tls.cert %s",
		    cert_file);
	if (SSL_CTX_use_PrivateKey_file(ssl_ctx, key_file,
	    SSL_FILETYPE_PEM) != 1) {
		/* Loading already compares the key with the certificate. */
		error = ERR_peek_last_error();
		if (ERR_GET_LIB(error) == ERR_LIB_X509 &&
		    ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH)
			return tls_context_fail(ssl_ctx, error_r,
			    "tls.key %s does not match tls.cert %s", key_file,
			    cert_file);
		return tls_context_fail(ssl_ctx, error_r, "tls.key %s",
		    key_file);
	}
	if (SSL_CTX_check_private_key(ssl_ctx) != 1)
		return tls_context_fail(ssl_ctx, error_r,
		    "tls.key %s does not match tls.cert %s", key_file,
		    cert_file);
	return tls_context_wrap(ssl_ctx);
}

struct tls_context *
tls_context_new_client(bool verify, const char **error_r)
{
	SSL_CTX *ssl_ctx;

	ERR_clear_error();
	ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (ssl_ctx == NULL)
		return tls_context_fail(NULL, error_r, "SSL_CTX_new");
	if (tls_context_common(ssl_ctx) < 0)
		return tls_context_fail(ssl_ctx, error_r,
		    "TLS protocol version setup");
	if (verify) {
		if (SSL_CTX_set_default_verify_paths(ssl_ctx) != 1)
			return tls_context_fail(ssl_ctx, error_r,
			    "loading the system CA store");
		SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
	}
	return tls_context_wrap(ssl_ctx);
}

void
tls_context_ref(struct tls_context *context)
{
	atomic_fetch_add(&context->references, 1);
}

void
tls_context_unref(struct tls_context **context_p)
{
	struct tls_context *context = *context_p;

	if (context == NULL)
		return;
	*context_p = NULL;
	if (atomic_fetch_sub(&context->references, 1) != 1)
		return;
	SSL_CTX_free(context->ssl_ctx);
	free(context);
}

SSL_CTX *
tls_context_ssl_ctx(struct tls_context *context)
{
	return context->ssl_ctx;
}
