/* queue_relay.h: what the queue needs from recipient routing
 * (gateway/routing.h) and the relay client (gateway/smtp_client.h), in
 * the queue's own terms.
 *
 * The queue calls only these functions for recipients without a local
 * mailbox in the spool: where does the address go now, and send one
 * transaction to one destination. gateway/queue_relay.c implements them
 * over routing_resolve() and smtp_client_*; until those are merged,
 * gateway/queue_relay_pending.c stands in (local addresses only).
 *
 * A struct queue_relay is built from a server_config and is
 * thread-safe: io workers call route and send in parallel. Both block
 * (database, network): workers only. */
#ifndef SLUICE_QUEUE_RELAY_H
#define SLUICE_QUEUE_RELAY_H

#include "lib/common.h"
#include "lib/arena.h"
#include "gateway/queue_state.h"
#include "gateway/smtp_client.h"

struct server_config;
struct queue_relay;

enum queue_relay_kind {
	QUEUE_RELAY_LOCAL,	/* deliver into mailbox's Maildir */
	QUEUE_RELAY_SEND,	/* send to destination */
	QUEUE_RELAY_FAIL,	/* permanent: reply says why */
	QUEUE_RELAY_DEFER,	/* temporary: reply says why */
};

/* One place an address goes (aliases may give several). */
struct queue_relay_route {
	enum queue_relay_kind kind;
	const char *address;	/* the address to give the next hop */
	const char *mailbox;	/* LOCAL: canonical user@domain */
	struct smtp_client_destination destination; /* SEND */
	/* SEND: names the destination for grouping recipients into one
	 * transaction, the per-destination limit and logs
	 * ("smtp:[host]:25", "lmtp:unix:/path"). */
	const char *key;
	struct queue_state_reply reply;	/* FAIL, DEFER */
};

/* Builds the client state over routing (a reference is taken: jobs in
 * flight keep the routing they started with across a reload); hostname
 * is copied. Never fails. */
struct routing;
struct queue_relay *queue_relay_new(struct routing *routing,
    const char *hostname);
void queue_relay_free(struct queue_relay **relay_p);

/* Where address goes now: at least one route, strings in arena. */
void queue_relay_route(struct queue_relay *relay, const char *address,
    struct arena *arena, struct queue_relay_route **routes_r,
    size_t *route_count_r);

/* Sends message to envelope's recipients at destination (one
 * transaction, a cached connection when there is one). Every recipient
 * ends with a reply in envelope->recipients[i].reply. *dsn_passed_r:
 * the next hop offered DSN, so the NOTIFY duty went with the message
 * (RFC 3461 5.2.2); *final_r: it was a final delivery (LMTP), not a
 * relay. *remote_mta_r: the host that answered, in arena, "" for a
 * unix socket. */
void queue_relay_send(struct queue_relay *relay,
    const struct smtp_client_destination *destination,
    struct smtp_client_envelope *envelope, const struct iovec *message,
    size_t part_count, struct arena *arena, bool *dsn_passed_r,
    bool *final_r, const char **remote_mta_r);

#endif
