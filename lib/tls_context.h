/* tls_context.h: OpenSSL contexts for our servers and clients.
 *
 * A server context holds one certificate chain and key, TLS 1.2+ with
 * the OpenSSL default ciphers. It is refcounted so a SIGHUP reload can
 * swap in a new certificate while existing sessions keep the old one.
 * Create and free on the loop thread; OpenSSL handles the sharing. */
#ifndef SLUICE_TLS_CONTEXT_H
#define SLUICE_TLS_CONTEXT_H

#include "lib/common.h"

#include <openssl/ssl.h>

struct tls_context;

/* Loads a PEM certificate chain and key. Returns NULL and sets error_r
 * ("tls.cert FILE: reason") on failure. */
struct tls_context *tls_context_new_server(const char *cert_file,
    const char *key_file, const char **error_r);

/* A client context for outbound relay; verify selects certificate and
 * host name verification against the system CA store. */
struct tls_context *tls_context_new_client(bool verify, const char **error_r);

void tls_context_ref(struct tls_context *context);
/* Drops a reference; frees at zero. Sets *context_p to NULL. */
void tls_context_unref(struct tls_context **context_p);

SSL_CTX *tls_context_ssl_ctx(struct tls_context *context);

#endif
