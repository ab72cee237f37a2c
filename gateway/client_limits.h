/* client_limits.h: per-client connection limits of the SMTP server:
 * connections open at once and new connections per minute, counted per
 * client IPv4 address and per IPv6 /64 (one customer usually holds a
 * whole /64, so counting single IPv6 addresses would limit nothing).
 *
 * One table for the server; sessions report each accepted connection
 * and its end. A client over a limit gets "421 4.7.0" from the session.
 * Clients in the exempt networks (CIDR list, smtp.limits_exempt) and
 * local-socket peers are not counted at all. The rate is a token bucket:
 * a client may open `connections_per_minute` connections in a burst,
 * then one more every 60/connections_per_minute seconds.
 *
 * Memory is bounded: at most CLIENT_LIMITS_ENTRIES_MAX clients are
 * tracked. A client with no open connection is forgotten once its
 * bucket has refilled (a minute), or earlier, oldest first, when the
 * table is full; a client with open connections is never forgotten. If
 * every entry has open connections, a new client is let in untracked
 * (a warning says so): refusing mail because of our own bookkeeping
 * would punish the innocent.
 *
 * Lifetime: client_limits_new()/client_limits_free(), owned by the
 * server. Loop thread only. */
#ifndef SLUICE_CLIENT_LIMITS_H
#define SLUICE_CLIENT_LIMITS_H

#include "lib/common.h"

#define CLIENT_LIMITS_ENTRIES_MAX 65536
/* Longest exempt list item kept ("ffff:...:ffff/128" fits). */
#define CLIENT_LIMITS_NETWORKS_MAX 1024

struct client_limits;

struct client_limits_settings {
	unsigned max_connections;        /* open at once; 0: no limit */
	unsigned connections_per_minute; /* new ones; 0: no limit */
	/* Comma-separated networks ("192.0.2.0/24, 2001:db8::/32,
	 * 198.51.100.7"); "" for none. Copied. */
	const char *exempt;
};

enum client_limits_verdict {
	CLIENT_LIMITS_ALLOW,
	CLIENT_LIMITS_CONCURRENCY, /* too many open connections */
	CLIENT_LIMITS_RATE,        /* too many new connections */
};

/* A new, empty table with settings applied (see _configure; the
 * settings must be valid, as checked by client_limits_check_exempt()). */
struct client_limits *client_limits_new(
    const struct client_limits_settings *settings);
void client_limits_free(struct client_limits **limits_p);

/* Replaces the settings (reload); counts so far are kept. Returns 0, or
 * -1 with error_r (a malformed exempt list) and changes nothing. */
int client_limits_configure(struct client_limits *limits,
    const struct client_limits_settings *settings, const char **error_r);

/* Checks an exempt list: comma-separated IPv4 or IPv6 addresses, each
 * optionally with "/prefix" (0..32, 0..128), at most
 * CLIENT_LIMITS_NETWORKS_MAX. Returns 0, or -1 with error_r naming the
 * bad item. */
int client_limits_check_exempt(const char *list, const char **error_r);

/* A connection from address (text: "192.0.2.1", "2001:db8::1",
 * "::ffff:192.0.2.1"; anything else, such as "unix", is exempt) arrived
 * at now_msec (a monotonic clock). Returns CLIENT_LIMITS_ALLOW and sets
 * *counted_r when it is now counted as open (call
 * client_limits_disconnect() when it ends), or the limit it exceeds
 * (then it is not counted, and a refused attempt costs no rate token:
 * a client hammering away is let in again at the allowed rate). */
enum client_limits_verdict client_limits_connect(struct client_limits *limits,
    const char *address, uint64_t now_msec, bool *counted_r);

/* A counted connection from address ended at now_msec. */
void client_limits_disconnect(struct client_limits *limits,
    const char *address, uint64_t now_msec);

/* Clients tracked now (for tests and metrics). */
size_t client_limits_entries(const struct client_limits *limits);

/* Short name of a refusal for logs: "concurrency", "rate". */
const char *client_limits_verdict_name(enum client_limits_verdict verdict);

#endif
