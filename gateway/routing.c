/* routing.c: recipient resolution: aliases, local users, catch-alls,
 * relay domains with their verification, and relay control.
 *
 * DESIGN: one resolution is a walk: a depth-first expansion of the
 * address through the aliases table, carrying the chain of addresses
 * that led to the current one (a repeat of the immediate parent is an
 * address aliased to itself, which ends there; any other repeat is a
 * loop). Targets collect in the caller's arena, deduplicated as they
 * come. A walk stops early only for a verdict on the whole address
 * (refusal of the client's own address, a loop, a bound, a database
 * error); an alias destination that leads nowhere is dropped instead.
 *
 * Database connections come from a free list: a caller takes a set (or
 * opens one when none is idle) and gives it back, so each thread that
 * resolves concurrently has its own without thread-local storage, and a
 * slow probe never holds a lock. Probes ask the downstream server
 * through the relay client; their answers go to the probe table of
 * sluice.db, and a destination that did not answer is left alone for
 * ROUTING_PROBE_RETRY_SECONDS, so a dead downstream costs one timeout a
 * minute instead of one per RCPT. */
#include "gateway/routing.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string_view.h"
#include "gateway/relay_destination.h"
#include "gateway/server_config.h"
#include "gateway/state_dir.h"
#include "mailstore/aliases.h"
#include "mailstore/relay_recipients.h"
#include "mailstore/user_accounts.h"

#include <ctype.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

/* Addresses examined while expanding one recipient (targets and the
 * aliases between them): bounds the work of wide, deduplicated trees. */
#define ROUTING_EXAMINED_MAX (4 * ROUTING_EXPANSION_MAX)
/* Probe timeouts in seconds: the client waits for the RCPT reply. */
#define ROUTING_PROBE_CONNECT_TIMEOUT 10
#define ROUTING_PROBE_COMMAND_TIMEOUT 30
/* While the downstream cannot answer, a yes this many positive TTLs old
 * still counts (and is kept that long). */
#define ROUTING_PROBE_STALE_FACTOR 4
#define ROUTING_PROBE_EXPIRE_SECONDS 3600
/* Addresses in log lines are printable and at most this long. */
#define ROUTING_SHOWN_SIZE 160

struct routing_handles {
	struct routing_handles *next;
	struct user_accounts *accounts;
	struct aliases *aliases;
	struct relay_recipients *recipients;
};

struct routing {
	int refcount;
	struct server_config *config;
	char *database_path;
	int (*probe)(const struct smtp_client_destination *destination,
	    const char *helo_name, const char *address,
	    struct smtp_client_reply *reply_r, void *context);
	void *probe_context;
	pthread_mutex_t mutex;
	/* Guarded by mutex. */
	struct routing_handles *idle;
	int64_t *down_until;     /* per relay route: no probe before */
	int64_t probes_expired;  /* last deletion of old probe answers */
};

/* One address being resolved, in pieces (arena copies). */
struct routing_address {
	const char *text;        /* as given */
	const char *local;       /* the local part */
	size_t untagged;         /* length of local before any +tag */
	const char *domain;      /* lowercased; "" for bare postmaster */
};

/* The addresses that led to the one being resolved. */
struct routing_chain {
	const char *address;
	const struct routing_chain *parent;
};

/* Why verification refused an address. */
struct routing_refusal {
	unsigned code;
	const char *status;
	const char *text;
};

struct routing_walk {
	struct routing *routing;
	struct routing_handles *handles;
	struct arena *arena;
	struct routing_result *result;
	const char *original;
	bool may_relay;
	bool accepted;           /* routing_resolve_accepted: no expansion */
	bool stopped;            /* result holds a verdict for the whole */
	bool dropped;            /* an alias destination led nowhere */
	size_t capacity;
	size_t examined;
};

static void routing_address(struct routing_walk *walk, const char *text,
    unsigned depth, const struct routing_chain *chain);

static const char *
routing_shown(const char *text, char *buffer)
{
	return string_view_printable(string_view_from_cstring(text), buffer,
	    ROUTING_SHOWN_SIZE);
}

static void
routing_handles_close(struct routing_handles *handles)
{
	user_accounts_close(&handles->accounts);
	aliases_close(&handles->aliases);
	relay_recipients_close(&handles->recipients);
	free(handles);
}

static struct routing_handles *
routing_handles_open(const char *path, const char **error_r)
{
	struct routing_handles *handles = alloc_new(struct routing_handles);

	if (user_accounts_open(path, &handles->accounts, error_r) < 0 ||
	    aliases_open(path, &handles->aliases, error_r) < 0 ||
	    relay_recipients_open(path, &handles->recipients, error_r) < 0) {
		routing_handles_close(handles);
		return NULL;
	}
	return handles;
}

static struct routing_handles *
routing_handles_take(struct routing *routing, const char **error_r)
{
	struct routing_handles *handles;

	pthread_mutex_lock(&routing->mutex);
	handles = routing->idle;
	if (handles != NULL)
		routing->idle = handles->next;
	pthread_mutex_unlock(&routing->mutex);
	if (handles != NULL)
		return handles;
	return routing_handles_open(routing->database_path, error_r);
}

static void
routing_handles_put(struct routing *routing, struct routing_handles *handles)
{
	pthread_mutex_lock(&routing->mutex);
	handles->next = routing->idle;
	routing->idle = handles;
	pthread_mutex_unlock(&routing->mutex);
}

/* The default probe: one connection per question, closed after it. */
static int
routing_probe_smtp(const struct smtp_client_destination *destination,
    const char *helo_name, const char *address,
    struct smtp_client_reply *reply_r, void *context)
{
	struct smtp_client_options options = {
		.helo_name = helo_name,
		.connect_timeout = ROUTING_PROBE_CONNECT_TIMEOUT,
		.command_timeout = ROUTING_PROBE_COMMAND_TIMEOUT,
	};
	struct smtp_client *client;
	const char *error;
	int ret;

	(void)context;
	if (smtp_client_connect(destination, &options, &client, reply_r,
	    &error) < 0)
		return -1;
	ret = smtp_client_verify(client, address, reply_r, &error);
	smtp_client_close(&client);
	return ret;
}

/* A domain both local and in relay.domains is relayed (as Postfix
 * would refuse to have it in both mydestination and relay_domains, the
 * admin should pick one): say so at start and on reload. */
static void
routing_warn_local_relay_domains(const struct server_config *config,
    struct routing_handles *handles)
{
	size_t i;

	for (i = 0; i < config->relay_route_count; i++) {
		if (user_accounts_domain_is_local(handles->accounts,
		    config->relay_routes[i].domain) == 1)
			log_warn("event=relay_domain_is_local domain=%s "
			    "reason=\"in relay.domains and a local domain: "
			    "mail for it is relayed\"",
			    config->relay_routes[i].domain);
	}
}

int
routing_new(struct server_config *config, struct routing **routing_r,
    const char **error_r)
{
	struct routing *routing = alloc_new(struct routing);
	struct routing_handles *handles;

	routing->refcount = 1;
	routing->database_path = state_dir_accounts_path(config);
	handles = routing_handles_open(routing->database_path, error_r);
	if (handles == NULL) {
		free(routing->database_path);
		free(routing);
		return -1;
	}
	routing_warn_local_relay_domains(config, handles);
	server_config_ref(config);
	routing->config = config;
	routing->idle = handles;
	routing->down_until = alloc_array(MAX(config->relay_route_count, 1),
	    sizeof(*routing->down_until));
	routing->probe = routing_probe_smtp;
	routing->probes_expired = (int64_t)time(NULL);
	pthread_mutex_init(&routing->mutex, NULL);
	*routing_r = routing;
	return 0;
}

void
routing_ref(struct routing *routing)
{
	__atomic_add_fetch(&routing->refcount, 1, __ATOMIC_RELAXED);
}

void
routing_unref(struct routing **routing_p)
{
	struct routing *routing = *routing_p;
	struct routing_handles *handles;

	if (routing == NULL)
		return;
	*routing_p = NULL;
	if (__atomic_sub_fetch(&routing->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	while ((handles = routing->idle) != NULL) {
		routing->idle = handles->next;
		routing_handles_close(handles);
	}
	pthread_mutex_destroy(&routing->mutex);
	server_config_unref(&routing->config);
	free(routing->down_until);
	free(routing->database_path);
	free(routing);
}

void
routing_set_probe(struct routing *routing,
    int (*probe)(const struct smtp_client_destination *destination,
	const char *helo_name, const char *address,
	struct smtp_client_reply *reply_r, void *context),
    void *context)
{
	routing->probe = probe;
	routing->probe_context = context;
}

/* Sets the verdict for the whole address (the first one wins). */
static void ATTR_PRINTF(5, 6)
routing_stop(struct routing_walk *walk, enum routing_kind verdict,
    unsigned code, const char *status, const char *fmt, ...)
{
	struct routing_result *result = walk->result;
	const char *text;
	va_list ap;

	if (walk->stopped)
		return;
	walk->stopped = true;
	va_start(ap, fmt);
	text = arena_vprintf(walk->arena, fmt, ap);
	va_end(ap);
	result->verdict = verdict;
	result->code = code;
	result->status = status;
	result->text = arena_printf(walk->arena, "<%s>: %s", walk->original,
	    text);
	result->targets = NULL;
	result->target_count = 0;
}

static void
routing_database_error(struct routing_walk *walk, const char *error)
{
	char shown[ROUTING_SHOWN_SIZE];

	log_warn("event=routing_lookup_failed rcpt=<%s> error=\"%s\"",
	    routing_shown(walk->original, shown), error);
	routing_stop(walk, ROUTING_DEFER, 451, "4.3.0",
	    "Temporary lookup failure");
}

/* An admin's mistake in the aliases: the mail waits at the sender. */
static void
routing_expansion_error(struct routing_walk *walk, const char *reason,
    const char *address)
{
	char shown[ROUTING_SHOWN_SIZE], at[ROUTING_SHOWN_SIZE];

	if (!walk->stopped)
		log_warn("event=alias_expansion_error rcpt=<%s> reason=%s "
		    "at=<%s>", routing_shown(walk->original, shown), reason,
		    routing_shown(address, at));
	routing_stop(walk, ROUTING_DEFER, 451, "4.6.0",
	    "Alias expansion error");
}

/* Refuses address: the verdict when it is the client's own, a dropped
 * destination when an alias led to it. */
static void
routing_refuse(struct routing_walk *walk, unsigned depth, const char *address,
    unsigned code, const char *status, const char *text)
{
	char shown[ROUTING_SHOWN_SIZE], destination[ROUTING_SHOWN_SIZE];

	if (depth == 0) {
		routing_stop(walk, code >= 500 ? ROUTING_REJECT :
		    ROUTING_DEFER, code, status, "%s", text);
		return;
	}
	log_warn("event=alias_destination_dropped rcpt=<%s> destination=<%s> "
	    "reason=\"%u %s %s\"", routing_shown(walk->original, shown),
	    routing_shown(address, destination), code, status, text);
	walk->dropped = true;
}

static bool
routing_same_target(const struct routing_target *target,
    enum routing_kind kind, const char *address, const char *mailbox)
{
	if (target->kind != kind)
		return false;
	if (kind == ROUTING_LOCAL)
		return strcmp(target->mailbox, mailbox) == 0;
	return strcasecmp(target->address, address) == 0;
}

static void
routing_add_target(struct routing_walk *walk, enum routing_kind kind,
    const struct routing_address *address, const char *mailbox,
    const struct relay_route *route)
{
	struct routing_result *result = walk->result;
	struct routing_target *target, *grown;
	const struct smtp_client_destination *from;
	size_t i;

	for (i = 0; i < result->target_count; i++)
		if (routing_same_target(&result->targets[i], kind,
		    address->text, mailbox))
			return;
	if (result->target_count == ROUTING_EXPANSION_MAX) {
		routing_expansion_error(walk, "too_many_targets",
		    address->text);
		return;
	}
	if (result->target_count == walk->capacity) {
		walk->capacity = walk->capacity == 0 ? 4 : walk->capacity * 2;
		grown = arena_array(walk->arena, walk->capacity,
		    sizeof(*grown));
		if (result->target_count > 0)
			memcpy(grown, result->targets,
			    result->target_count * sizeof(*grown));
		result->targets = grown;
	}
	target = &result->targets[result->target_count++];
	target->kind = kind;
	target->address = address->text;
	target->mailbox = mailbox;
	target->domain = address->domain;
	if (route != NULL) {
		/* Copied: the result may outlive a reload's router. */
		from = &route->destination;
		target->destination = *from;
		if (from->host != NULL)
			target->destination.host = arena_strdup(walk->arena,
			    from->host);
		if (from->unix_path != NULL)
			target->destination.unix_path = arena_strdup(
			    walk->arena, from->unix_path);
	}
}

/* Splits text at its last '@'; false when a side is empty. */
static bool
routing_split(struct arena *arena, const char *text,
    struct routing_address *address_r)
{
	const char *at = strrchr(text, '@'), *delimiter;
	char *domain;
	size_t i, length;

	if (at == NULL || at == text || at[1] == '\0')
		return false;
	length = (size_t)(at - text);
	address_r->text = arena_strdup(arena, text);
	address_r->local = arena_strndup(arena, text, length);
	delimiter = memchr(address_r->local, USER_ACCOUNTS_RECIPIENT_DELIMITER,
	    length);
	address_r->untagged = delimiter != NULL && delimiter !=
	    address_r->local ? (size_t)(delimiter - address_r->local) : length;
	domain = arena_strdup(arena, at + 1);
	for (i = 0; domain[i] != '\0'; i++)
		domain[i] = (char)string_ascii_lower((unsigned char)domain[i]);
	address_r->domain = domain;
	return true;
}

/* Expands the alias of source (a key of the aliases table) on behalf of
 * address. Returns 1 when source has an alias (its destinations were
 * resolved), 0 when it has none, -1 when the walk stopped. */
static int
routing_alias(struct routing_walk *walk, const char *source,
    const struct routing_address *address, unsigned depth,
    const struct routing_chain *chain)
{
	struct routing_chain link = { address->text, chain };
	const char **destinations, *destination, *error;
	size_t count, i;
	int rc;

	rc = aliases_lookup(walk->handles->aliases, source, walk->arena,
	    &destinations, &count, &error);
	if (rc < 0) {
		routing_database_error(walk, error);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (depth >= ROUTING_ALIAS_DEPTH_MAX) {
		routing_expansion_error(walk, "too_deep", address->text);
		return -1;
	}
	walk->result->expanded = true;
	for (i = 0; i < count && !walk->stopped; i++) {
		destination = destinations[i];
		/* A catch-all to a domain keeps the local part. */
		if (destination[0] == '@')
			destination = arena_printf(walk->arena, "%s%s",
			    address->local, destination);
		routing_address(walk, destination, depth + 1, &link);
	}
	return walk->stopped ? -1 : 1;
}

/* The alias of address as given, then without its +tag. */
static int
routing_alias_address(struct routing_walk *walk,
    const struct routing_address *address, unsigned depth,
    const struct routing_chain *chain)
{
	int rc;

	rc = routing_alias(walk, address->text, address, depth, chain);
	if (rc != 0 || address->untagged == strlen(address->local))
		return rc;
	return routing_alias(walk, arena_printf(walk->arena, "%.*s@%s",
	    (int)address->untagged, address->local, address->domain),
	    address, depth, chain);
}

static int
routing_catch_all(struct routing_walk *walk,
    const struct routing_address *address, unsigned depth,
    const struct routing_chain *chain)
{
	return routing_alias(walk, arena_printf(walk->arena, "@%s",
	    address->domain), address, depth, chain);
}

/* Whether a local part routes onwards by itself (user%host, host!user,
 * "user@host"): relaying in disguise, refused for relay domains. */
static bool
routing_has_routing(const char *local)
{
	return strpbrk(local, "%!@") != NULL;
}

static void
routing_refusal_set(struct routing_walk *walk, struct routing_refusal *refusal,
    unsigned code, const char *status, const char *text)
{
	refusal->code = code;
	refusal->status = status;
	refusal->text = arena_strdup(walk->arena, text);
}

/* List verification: 1 listed (as given, or without the +tag), 0 not,
 * -1 stopped. */
static int
routing_verify_list(struct routing_walk *walk,
    const struct routing_address *address, struct routing_refusal *refusal)
{
	struct relay_recipients *recipients = walk->handles->recipients;
	const char *error;
	int rc;

	rc = relay_recipients_contains(recipients, address->text, &error);
	if (rc == 0 && address->untagged < strlen(address->local))
		rc = relay_recipients_contains(recipients,
		    arena_printf(walk->arena, "%.*s@%s",
			(int)address->untagged, address->local,
			address->domain), &error);
	if (rc < 0) {
		routing_database_error(walk, error);
		return -1;
	}
	if (rc == 0)
		routing_refusal_set(walk, refusal, 550, "5.1.1",
		    "Recipient address rejected: User unknown in relay "
		    "recipient table");
	return rc;
}

/* Whether the route's destination is resting after a failed probe. */
static bool
routing_destination_resting(struct routing *routing, size_t route_index,
    int64_t now)
{
	bool resting;

	pthread_mutex_lock(&routing->mutex);
	resting = routing->down_until[route_index] > now;
	pthread_mutex_unlock(&routing->mutex);
	return resting;
}

static void
routing_destination_rest(struct routing *routing, size_t route_index,
    int64_t now)
{
	pthread_mutex_lock(&routing->mutex);
	routing->down_until[route_index] = now + ROUTING_PROBE_RETRY_SECONDS;
	pthread_mutex_unlock(&routing->mutex);
}

/* Records a probe answer, and now and then deletes old ones. Failures
 * cost only the caching: logged, not passed on. */
static void
routing_probe_remember(struct routing_walk *walk, const char *address,
    bool accepted, const char *reply, int64_t now)
{
	struct routing *routing = walk->routing;
	const struct relay_settings *relay = routing->config->relay;
	struct relay_recipients_probe probe = {
		.accepted = accepted, .checked = now, .reply = reply,
	};
	const char *error;
	bool due;

	if (relay_recipients_probe_put(walk->handles->recipients, address,
	    &probe, &error) < 0)
		log_warn("event=probe_cache_failed error=\"%s\"", error);
	pthread_mutex_lock(&routing->mutex);
	due = now - routing->probes_expired >= ROUTING_PROBE_EXPIRE_SECONDS;
	if (due)
		routing->probes_expired = now;
	pthread_mutex_unlock(&routing->mutex);
	if (due && relay_recipients_probe_expire(walk->handles->recipients,
	    now - ROUTING_PROBE_STALE_FACTOR * relay->verify_positive_ttl,
	    now - relay->verify_negative_ttl, &error) < 0)
		log_warn("event=probe_cache_failed error=\"%s\"", error);
}

/* Probe verification: 1 the downstream takes it, 0 it refuses (cached
 * or asked now), -1 stopped (no answer and nothing usable cached). */
static int
routing_verify_probe(struct routing_walk *walk,
    const struct routing_address *address, const struct relay_route *route,
    struct routing_refusal *refusal)
{
	struct routing *routing = walk->routing;
	const struct relay_settings *relay = routing->config->relay;
	size_t route_index = (size_t)(route - routing->config->relay_routes);
	char where[RELAY_DESTINATION_MAX], shown[ROUTING_SHOWN_SIZE];
	struct relay_recipients_probe cached;
	struct smtp_client_reply reply;
	const char *error, *answer, *why;
	int64_t now = (int64_t)time(NULL), age = 0;
	bool stale_yes;
	int found, rc;

	found = relay_recipients_probe_get(walk->handles->recipients,
	    address->text, walk->arena, &cached, &error);
	if (found < 0) {
		routing_database_error(walk, error);
		return -1;
	}
	if (found > 0) {
		age = now - cached.checked;
		if (cached.accepted && age < relay->verify_positive_ttl)
			return 1;
		if (!cached.accepted && age < relay->verify_negative_ttl) {
			routing_refusal_set(walk, refusal, 550, "5.1.1",
			    arena_printf(walk->arena, "Recipient address "
				"rejected: undeliverable address: %s",
				cached.reply));
			return 0;
		}
	}
	stale_yes = found > 0 && cached.accepted &&
	    age < ROUTING_PROBE_STALE_FACTOR * relay->verify_positive_ttl;
	relay_destination_format(&route->destination, where, sizeof(where));
	if (routing_destination_resting(routing, route_index, now)) {
		rc = -1;
		why = "not answering probes, retrying later";
	} else {
		memset(&reply, 0, sizeof(reply));
		rc = routing->probe(&route->destination,
		    routing->config->hostname, address->text, &reply,
		    routing->probe_context);
		answer = arena_printf(walk->arena, "%u %s%s%s", reply.code,
		    reply.status, reply.status[0] != '\0' ? " " : "",
		    reply.text);
		log_info("event=recipient_probe rcpt=<%s> destination=%s "
		    "answered=%s reply=\"%s\"", routing_shown(address->text,
			shown), where, rc == 1 ? "yes" : "no", answer);
		if (rc == 1 && reply.code >= 200 && reply.code < 300) {
			routing_probe_remember(walk, address->text, true, "",
			    now);
			return 1;
		}
		if (rc == 1 && reply.code >= 500 && reply.code < 600) {
			answer = arena_printf(walk->arena, "host %s said: %s",
			    where, answer);
			routing_probe_remember(walk, address->text, false,
			    answer, now);
			routing_refusal_set(walk, refusal, 550, "5.1.1",
			    arena_printf(walk->arena, "Recipient address "
				"rejected: undeliverable address: %s",
				answer));
			return 0;
		}
		if (rc < 0)
			routing_destination_rest(routing, route_index, now);
		why = arena_printf(walk->arena, "%s: %s", rc < 0 ?
		    "connection failed" : "no answer", answer);
	}
	if (stale_yes)
		return 1;
	routing_stop(walk, ROUTING_DEFER, 450, "4.1.1",
	    "Recipient address rejected: unverified address: host %s %s",
	    where, why);
	return -1;
}

/* A relay domain's address: verified when it is the client's own. */
static void
routing_relay(struct routing_walk *walk, const struct routing_address *address,
    const struct relay_route *route, unsigned depth,
    const struct routing_chain *chain, bool expand)
{
	struct routing_refusal refusal = { 0, NULL, NULL };
	int rc = 1;

	if (depth > 0 || walk->accepted) {
		routing_add_target(walk, ROUTING_RELAY, address, NULL, route);
		return;
	}
	if (routing_has_routing(address->local)) {
		routing_stop(walk, ROUTING_REJECT, 554, "5.7.1",
		    "Relay access denied");
		return;
	}
	switch (route->verify) {
	case RELAY_VERIFY_ACCEPT:
		break;
	case RELAY_VERIFY_LIST:
		rc = routing_verify_list(walk, address, &refusal);
		break;
	case RELAY_VERIFY_PROBE:
		rc = routing_verify_probe(walk, address, route, &refusal);
		break;
	}
	if (rc < 0)
		return;
	if (rc == 1) {
		routing_add_target(walk, ROUTING_RELAY, address, NULL, route);
		return;
	}
	if (expand && routing_catch_all(walk, address, depth, chain) != 0)
		return;
	routing_stop(walk, ROUTING_REJECT, refusal.code, refusal.status, "%s",
	    refusal.text);
}

/* RCPT TO:<postmaster> without a domain: its alias, if there is one. */
static void
routing_postmaster(struct routing_walk *walk, const char *text)
{
	struct routing_address address = {
		.text = text, .local = text, .untagged = strlen(text),
		.domain = "",
	};

	if (routing_alias(walk, ALIASES_POSTMASTER, &address, 0, NULL) == 0)
		routing_refuse(walk, 0, text, 550, "5.1.1",
		    "Recipient address rejected: User unknown");
}

/* Whether text repeats an address of the chain: returns false for a
 * loop (the walk stops), and sets *self_r when text is the address
 * whose alias led here (aliased to itself: no further expansion). */
static bool
routing_check_chain(struct routing_walk *walk, const char *text,
    const struct routing_chain *chain, bool *self_r)
{
	const struct routing_chain *link;

	*self_r = false;
	for (link = chain; link != NULL; link = link->parent) {
		if (strcasecmp(link->address, text) != 0)
			continue;
		if (link != chain) {
			routing_expansion_error(walk, "loop", text);
			return false;
		}
		*self_r = true;
	}
	return true;
}

static void
routing_address(struct routing_walk *walk, const char *text, unsigned depth,
    const struct routing_chain *chain)
{
	struct routing_address address;
	enum user_accounts_recipient kind;
	const struct relay_route *route = NULL;
	const char *mailbox, *error;
	bool self, expand;

	if (walk->stopped)
		return;
	if (depth > 0 && ++walk->examined > ROUTING_EXAMINED_MAX) {
		routing_expansion_error(walk, "too_many_addresses", text);
		return;
	}
	if (!routing_check_chain(walk, text, chain, &self))
		return;
	expand = !self && !walk->accepted;
	if (!routing_split(walk->arena, text, &address)) {
		if (depth == 0 && expand &&
		    strcasecmp(text, ALIASES_POSTMASTER) == 0)
			routing_postmaster(walk, text);
		else
			routing_refuse(walk, depth, text, 501, "5.1.3",
			    "Bad recipient address syntax");
		return;
	}
	/* A relay domain is never local (routing_new warns when it is also
	 * in the accounts): no account lookup for it. */
	route = server_config_relay_route(walk->routing->config,
	    address.domain);
	kind = USER_ACCOUNTS_NOT_LOCAL;
	mailbox = NULL;
	if (route == NULL && user_accounts_lookup_recipient(
	    walk->handles->accounts, text, walk->arena, &kind, &mailbox,
	    &error) < 0) {
		routing_database_error(walk, error);
		return;
	}
	if (expand && (kind != USER_ACCOUNTS_NOT_LOCAL || route != NULL) &&
	    routing_alias_address(walk, &address, depth, chain) != 0)
		return;
	switch (kind) {
	case USER_ACCOUNTS_LOCAL_USER:
		routing_add_target(walk, ROUTING_LOCAL, &address, mailbox,
		    NULL);
		return;
	case USER_ACCOUNTS_UNKNOWN_USER:
		if (expand && routing_catch_all(walk, &address, depth,
		    chain) != 0)
			return;
		routing_refuse(walk, depth, text, 550, "5.1.1",
		    "Recipient address rejected: User unknown");
		return;
	case USER_ACCOUNTS_NOT_LOCAL:
		break;
	}
	if (route != NULL) {
		routing_relay(walk, &address, route, depth, chain, expand);
		return;
	}
	if (depth == 0 && !walk->may_relay && !walk->accepted) {
		routing_stop(walk, ROUTING_REJECT, 554, "5.7.1",
		    "Relay access denied");
		return;
	}
	routing_add_target(walk, ROUTING_REMOTE, &address, NULL, NULL);
}

static void
routing_walk(struct routing *routing, const char *address, bool may_relay,
    bool accepted, struct arena *arena, struct routing_result *result_r)
{
	struct routing_walk walk = {
		.routing = routing, .arena = arena, .result = result_r,
		.original = address, .may_relay = may_relay,
		.accepted = accepted,
	};
	const char *error;

	memset(result_r, 0, sizeof(*result_r));
	walk.handles = routing_handles_take(routing, &error);
	if (walk.handles == NULL) {
		routing_database_error(&walk, error);
		return;
	}
	routing_address(&walk, address, 0, NULL);
	routing_handles_put(routing, walk.handles);
	if (walk.stopped)
		return;
	if (result_r->target_count == 0) {
		/* Every destination of the alias led nowhere. */
		ASSERT(walk.dropped);
		routing_stop(&walk, ROUTING_REJECT, 550, "5.1.1",
		    "Recipient address rejected: User unknown");
		return;
	}
	result_r->verdict = result_r->targets[0].kind;
	result_r->code = 250;
	result_r->status = "2.1.5";
	result_r->text = "Ok";
}

void
routing_resolve(struct routing *routing, const char *address,
    bool may_relay, struct arena *arena, struct routing_result *result_r)
{
	routing_walk(routing, address, may_relay, false, arena, result_r);
}

bool
routing_may_block(const struct routing *routing, const char *address)
{
	const struct relay_route *route;
	const char *at = strrchr(address, '@');

	if (at == NULL)
		return false;
	route = server_config_relay_route(routing->config, at + 1);
	return route != NULL && route->verify == RELAY_VERIFY_PROBE;
}

void
routing_resolve_accepted(struct routing *routing, const char *address,
    struct arena *arena, struct routing_result *result_r)
{
	routing_walk(routing, address, true, true, arena, result_r);
}
