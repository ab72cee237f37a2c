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
 * Resolution order for a recipient at RCPT time:
 *  1. an alias of the address as given, then of the address without its
 *     +tag (in local and relay domains): its destinations are resolved
 *     in turn (the same steps, without verification: the admin
 *     configured them), an address aliased to itself stops there;
 *  2. a local domain (sluice.db): the user (case-insensitive, +tag
 *     stripped) → LOCAL; else the domain's catch-all (@domain) → its
 *     destinations ("@other" keeps the local part); else 550 5.1.1;
 *  3. a relay domain: verification (accept, list or probe); refused →
 *     the domain's catch-all if it has one, else 550 5.1.1; unknown
 *     (probe failed) → 450 4.1.1; local parts with routing in them
 *     (% ! and quoted @) are refused as relaying (554 5.7.1);
 *  4. any other domain: REMOTE if the client may relay, else 554 5.7.1.
 * A domain in sluice.db and relay.domains at once is treated as local.
 * Expansion is bounded (ROUTING_ALIAS_DEPTH_MAX, ROUTING_EXPANSION_MAX);
 * a loop or a bound hit is an admin's mistake and answers 451 4.6.0
 * (mail waits at the sender while the admin fixes it) with a warning.
 * An alias destination that resolves to nothing (a deleted local user)
 * is dropped with a warning; the recipient is refused only when no
 * destination is left. Identical targets (the same mailbox, the same
 * address) appear once.
 *
 * A router is built from a server_config (rebuilt on reload; it holds a
 * reference to the config) and is refcounted, so a job can keep the one
 * it started with across a reload. It opens its own connections to
 * sluice.db, one set per concurrent caller (kept for reuse), and is
 * thread-safe. Lookups block on the database and on probes: call them
 * from a worker thread (sluiced: the io workers). */
#ifndef SLUICE_ROUTING_H
#define SLUICE_ROUTING_H

#include "lib/common.h"
#include "lib/arena.h"
#include "gateway/smtp_client.h"

/* Most addresses one recipient may expand to through aliases, and the
 * deepest alias chain followed. */
#define ROUTING_EXPANSION_MAX 1000
#define ROUTING_ALIAS_DEPTH_MAX 10

/* A relay destination that did not answer a probe is not asked again
 * for this long (answers meanwhile: 4xx, or a cached yes). */
#define ROUTING_PROBE_RETRY_SECONDS 60

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
	/* REJECT / DEFER: the whole address is refused (no targets).
	 * Otherwise the kind of targets[0], with 250 2.1.5 "Ok". */
	enum routing_kind verdict;
	unsigned code;           /* 550, 450, 554... */
	const char *status;      /* "5.1.1" */
	const char *text;        /* "<a@b>: Recipient address rejected:
				  * User unknown" */
	/* An alias or catch-all rewrote the address: the targets are not
	 * what the client gave (callers record the original as ORCPT). */
	bool expanded;
};

struct routing;
struct server_config;

/* Builds a router for config (a reference is kept) and opens a first
 * set of database connections, so a state directory that cannot be
 * used fails here. Returns 0, or -1 with error_r. */
int routing_new(struct server_config *config, struct routing **routing_r,
    const char **error_r);
void routing_ref(struct routing *routing);
/* Drops a reference; the last one closes the connections and frees.
 * Sets *routing_p to NULL; NULL is a no-op. */
void routing_unref(struct routing **routing_p);

/* Resolves one recipient at RCPT time, as described above. may_relay:
 * the client may send to any domain (authenticated or trusted).
 * Strings and targets live in arena. Blocks on the database and, for
 * probe verification, on the downstream server. */
void routing_resolve(struct routing *routing, const char *address,
    bool may_relay, struct arena *arena, struct routing_result *result_r);

/* Where an address accepted earlier goes now, for delivery (the queue,
 * for a spool recipient without a local mailbox): one target, RELAY with
 * the current destination of a relay domain, LOCAL for a local user,
 * REMOTE for any other domain. No alias expansion (the spool holds the
 * expanded targets), no verification, no relay check: those ran at RCPT
 * time. REJECT 550 5.1.1 for a local domain's unknown user (deleted
 * since), DEFER 451 4.3.0 on a database error. Blocks on the database
 * only. */
/* Whether resolving address may wait on a downstream server (its domain
 * is a relay domain verified by probe). Every other answer only reads
 * sluice.db, which takes microseconds, so sluiced resolves those on the
 * loop thread and sends only these to a worker. */
bool routing_may_block(const struct routing *routing, const char *address);

void routing_resolve_accepted(struct routing *routing, const char *address,
    struct arena *arena, struct routing_result *result_r);

/* The probe behind probe verification: asks destination whether it
 * takes mail for address, as smtp_client_verify() answers (1: *reply_r
 * is the RCPT reply; 0: no answer about the address; -1: unreachable).
 * The default connects with the relay client; tests replace it. Call
 * before the router is shared between threads. */
void routing_set_probe(struct routing *routing,
    int (*probe)(const struct smtp_client_destination *destination,
	const char *helo_name, const char *address,
	struct smtp_client_reply *reply_r, void *context),
    void *context);

#endif
