/* tls_context.h: OpenSSL contexts for our servers and clients.
 *
 * A server context holds one certificate chain and key, TLS 1.2+ with
 * the OpenSSL default ciphers, no renegotiation. It is refcounted so a
 * SIGHUP reload can swap in a new certificate while existing sessions
 * keep the old one (each SSL made from it also holds OpenSSL's own
 * reference). Create on the loop thread; the count is atomic, so any
 * thread may ref and unref. */
#ifndef SLUICE_TLS_CONTEXT_H
#define SLUICE_TLS_CONTEXT_H

#include "lib/common.h"

#include <openssl/ssl.h>

struct tls_context;

/* Loads a PEM certificate chain (leaf first) and its private key and
 * checks that they belong together. Returns a context with one
 * reference, or NULL and sets error_r to "tls.cert FILE: reason",
 * "tls.key FILE: reason" or "tls.key FILE does not match tls.cert FILE:
 * reason", the reason being OpenSSL's error string. */
struct tls_context *tls_context_new_server(const char *cert_file,
    const char *key_file, const char **error_r);

/* A client context for outbound relay; verify selects certificate and
 * host name verification against the system CA store (the name is given
 * per connection, see connection_start_tls_client()). Returns NULL with
 * error_r only if OpenSSL fails. */
struct tls_context *tls_context_new_client(bool verify, const char **error_r);

void tls_context_ref(struct tls_context *context);
/* Drops a reference; frees at zero. Sets *context_p to NULL. */
void tls_context_unref(struct tls_context **context_p);

/* The OpenSSL context, owned by context (for lib/connection.c). */
SSL_CTX *tls_context_ssl_ctx(struct tls_context *context);

#endif
