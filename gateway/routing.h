/* routing.h: where mail for an address goes, and whether to accept it.
 *
 * The one place that turns a recipient address into a decision, used at
 * RCPT time (accept or refuse, with the reply) and at delivery time
 * (which transport): the local mailstore for the domains in sluice.db,
 * the organization's mailbox server for relay.domains (relay.host, or a
 * per-domain relay.transport.DOMAIN), aliases and forwards (which expand
 * into more addresses), a domain's catch-all, and plus-addressing
 * (user+tag@ goes to user@). Anything else is not ours: relaying it is
 * refused unless the client may relay (authenticated, trusted network).
 *
 * Recipient verification for relay domains, per domain
 * (relay.verify.DOMAIN = accept | list | probe): accept everything; only
 * the addresses in the relay recipients list (`sluice relay-recipient`);
 * or ask the downstream server with an RCPT probe, caching positive and
 * negative answers (relay.verify_positive_ttl / _negative_ttl), so that
 * sluice never accepts what it would have to bounce later.
 *
 * A router is built from a server_config (rebuilt on reload) and opens
 * its own handles on sluice.db; it is thread-safe. Lookups block on the
 * database and on probes: call them from a worker thread. */
#ifndef SLUICE_ROUTING_H
#define SLUICE_ROUTING_H

#include "lib/common.h"
#include "lib/arena.h"
#include "gateway/smtp_client.h"

/* Most addresses one recipient may expand to through aliases, and the
 * deepest alias chain followed. */
#define ROUTING_EXPANSION_MAX 1000
#define ROUTING_ALIAS_DEPTH_MAX 10

enum routing_kind {
	ROUTING_LOCAL,   /* the local mailstore: mailbox */
	ROUTING_RELAY,   /* a downstream server: destination */
	ROUTING_REMOTE,  /* not ours (outbound, from a client allowed to
			  * relay; DSNs to remote senders) */
	ROUTING_REJECT,  /* refuse: reply says how */
	ROUTING_DEFER,   /* cannot tell now (probe failed): 4xx */
};

/* One final destination of an address. */
struct routing_target {
	enum routing_kind kind;
	const char *address;     /* after alias expansion and +tag rules */
	const char *mailbox;     /* LOCAL: canonical "user@domain" */
	struct smtp_client_destination destination; /* RELAY */
	const char *domain;      /* the recipient's domain, lowercased */
};

struct routing_result {
	struct routing_target *targets;  /* one unless aliases expanded */
	size_t target_count;
	/* REJECT / DEFER: the whole address is refused. */
	enum routing_kind verdict;
	unsigned code;           /* 550, 450, 554... */
	const char *status;      /* "5.1.1" */
	const char *text;        /* "no such user here" */
};

struct routing;
struct server_config;

/* Everything from config (relay.*, the state directory) is copied. */
int routing_new(const struct server_config *config,
    struct routing **routing_r, const char **error_r);
void routing_free(struct routing **routing_p);

/* Resolves one recipient. may_relay: the client may send to any domain
 * (authenticated or trusted). Strings live in arena. Blocks on the
 * database and, for probe verification, on the downstream server. */
void routing_resolve(struct routing *routing, const char *address,
    bool may_relay, struct arena *arena, struct routing_result *result_r);

#endif
