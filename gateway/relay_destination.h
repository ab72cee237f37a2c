/* relay_destination.h: the next-hop syntax of relay.host and
 * relay.transport.DOMAIN, parsed into a struct smtp_client_destination.
 *
 * Accepted forms (Postfix's nexthop syntax, without MX lookups: a name is
 * always connected to directly, so "[host]" and "host" mean the same):
 *   host   host:port   [host]   [host]:port   [IPv6:2001:db8::1]:port
 *   smtp:  in front of any of these (the default protocol, port 25)
 *   lmtp:host:port   lmtp:[host]:port   lmtp:host (port 24)
 *   lmtp:unix:/absolute/path
 * A host is a name of letters, digits, '-', '_' and dots, or an IPv4
 * address; an IPv6 address must be in brackets. Pure functions, any
 * thread. */
#ifndef SLUICE_RELAY_DESTINATION_H
#define SLUICE_RELAY_DESTINATION_H

#include "lib/common.h"
#include "lib/arena.h"
#include "gateway/smtp_client.h"

/* Longest destination text accepted, and a buffer size that holds any
 * relay_destination_format() output. */
#define RELAY_DESTINATION_MAX 300

/* Parses text into *destination_r; its strings live in arena. tls is
 * SMTP_CLIENT_TLS_MAY for TCP (the caller applies relay.tls) and NONE
 * for a unix socket (local: nothing to protect). Returns 0, or -1 with
 * a one-line error_r such as "'mx:0' is not a destination: port must be
 * 1 to 65535". */
int relay_destination_parse(const char *text, struct arena *arena,
    struct smtp_client_destination *destination_r, const char **error_r);

/* Writes destination in the syntax above ("[mx.example.org]:25",
 * "lmtp:unix:/run/lmtp") into buffer; returns buffer. */
const char *relay_destination_format(
    const struct smtp_client_destination *destination, char *buffer,
    size_t size);

/* Whether two destinations are the same connection target (protocol,
 * host case-insensitively, port, socket path; TLS policy ignored). */
bool relay_destination_equal(const struct smtp_client_destination *a,
    const struct smtp_client_destination *b);

#endif
