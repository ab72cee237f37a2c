/* queue_relay.c: the queue's routing and sending over gateway/routing.h
 * (part D of #12) and gateway/smtp_client.h (part A of #12).
 *
 * DESIGN: ROUTING_REMOTE (an address that is not ours, typically the
 * sender of a bounce) has no DNS-based delivery in #12: it is sent
 * through the smarthost when routing fills the target's destination
 * with relay.host, and otherwise fails with 5.4.4 "no route". */
#include "gateway/queue_relay.h"
#include "lib/alloc.h"
#include "gateway/routing.h"
#include "gateway/server_config.h"

/* Idle connections kept for reuse, and for how long. */
#define QUEUE_RELAY_CACHE_MAX 32
#define QUEUE_RELAY_CACHE_IDLE 30

struct queue_relay {
	struct routing *routing;
	struct smtp_client_cache *cache;
	char *hostname;
};

struct queue_relay *
queue_relay_new(struct routing *routing, const char *hostname)
{
	struct queue_relay *relay = alloc_new(struct queue_relay);

	routing_ref(routing);
	relay->routing = routing;
	relay->cache = smtp_client_cache_new(QUEUE_RELAY_CACHE_MAX,
	    QUEUE_RELAY_CACHE_IDLE);
	relay->hostname = alloc_strdup(hostname);
	return relay;
}

void
queue_relay_free(struct queue_relay **relay_p)
{
	struct queue_relay *relay = *relay_p;

	if (relay == NULL)
		return;
	smtp_client_cache_free(&relay->cache);
	routing_unref(&relay->routing);
	free(relay->hostname);
	free(relay);
	*relay_p = NULL;
}

static const char *
queue_relay_key(const struct smtp_client_destination *destination,
    struct arena *arena)
{
	if (destination->unix_path != NULL)
		return arena_printf(arena, "lmtp:unix:%s",
		    destination->unix_path);
	return arena_printf(arena, "%s:[%s]:%u", destination->lmtp ? "lmtp" :
	    "smtp", destination->host, destination->port);
}

static void
queue_relay_set_reply(struct queue_relay_route *route,
    enum queue_relay_kind kind, unsigned code, const char *status,
    const char *text)
{
	route->kind = kind;
	route->reply.code = code;
	route->reply.status = status;
	route->reply.text = text;
	route->reply.remote_mta = "";
	route->reply.smtp = false;
}

void
queue_relay_route(struct queue_relay *relay, const char *address,
    struct arena *arena, struct queue_relay_route **routes_r,
    size_t *route_count_r)
{
	struct routing_result result;
	struct queue_relay_route *routes, *route;
	size_t i;

	memset(&result, 0, sizeof(result));
	/* Accepted at RCPT time already: no alias expansion or
	 * verification again (routing.h). */
	routing_resolve_accepted(relay->routing, address, arena, &result);
	if (result.verdict == ROUTING_REJECT ||
	    result.verdict == ROUTING_DEFER || result.target_count == 0) {
		route = arena_new_type(arena, struct queue_relay_route);
		route->address = address;
		queue_relay_set_reply(route, result.verdict == ROUTING_REJECT ?
		    QUEUE_RELAY_FAIL : QUEUE_RELAY_DEFER,
		    result.code != 0 ? result.code :
		    result.verdict == ROUTING_REJECT ? 550 : 451,
		    result.status != NULL ? result.status :
		    result.verdict == ROUTING_REJECT ? "5.1.1" : "4.3.0",
		    result.text != NULL ? result.text : "no route");
		*routes_r = route;
		*route_count_r = 1;
		return;
	}
	routes = arena_array(arena, result.target_count, sizeof(*routes));
	for (i = 0; i < result.target_count; i++) {
		const struct routing_target *target = &result.targets[i];
		route = &routes[i];
		route->address = target->address != NULL ? target->address :
		    address;
		switch (target->kind) {
		case ROUTING_LOCAL:
			route->kind = QUEUE_RELAY_LOCAL;
			route->mailbox = target->mailbox;
			break;
		case ROUTING_RELAY:
		case ROUTING_REMOTE:
			if (target->destination.host == NULL &&
			    target->destination.unix_path == NULL) {
				queue_relay_set_reply(route, QUEUE_RELAY_FAIL,
				    550, "5.4.4", "no route to the "
				    "recipient's domain (no relay.host)");
				break;
			}
			route->kind = QUEUE_RELAY_SEND;
			route->destination = target->destination;
			route->key = queue_relay_key(&target->destination,
			    arena);
			break;
		case ROUTING_REJECT:
			queue_relay_set_reply(route, QUEUE_RELAY_FAIL, 550,
			    "5.1.1", "recipient rejected by routing");
			break;
		case ROUTING_DEFER:
			queue_relay_set_reply(route, QUEUE_RELAY_DEFER, 451,
			    "4.3.0", "routing lookup failed");
			break;
		}
	}
	*routes_r = routes;
	*route_count_r = result.target_count;
}

/* A reply for every recipient when no transaction could run. */
static void
queue_relay_fail_all(struct smtp_client_envelope *envelope,
    const struct smtp_client_reply *reply)
{
	size_t i;

	for (i = 0; i < envelope->recipient_count; i++)
		envelope->recipients[i].reply = *reply;
}

void
queue_relay_send(struct queue_relay *relay,
    const struct smtp_client_destination *destination,
    struct smtp_client_envelope *envelope, const struct iovec *message,
    size_t part_count, struct arena *arena, bool *dsn_passed_r,
    bool *final_r, const char **remote_mta_r)
{
	struct smtp_client_options options = {
		.helo_name = relay->hostname,
	};
	struct smtp_client_reply reply;
	struct smtp_client *client;
	const char *error;

	*dsn_passed_r = false;
	*final_r = destination->lmtp;
	*remote_mta_r = destination->host != NULL ?
	    arena_strdup(arena, destination->host) : "";
	smtp_client_cache_expire(relay->cache);
	client = smtp_client_cache_take(relay->cache, destination);
	if (client == NULL) {
		memset(&reply, 0, sizeof(reply));
		if (smtp_client_connect(destination, &options, &client, &reply,
		    &error) < 0) {
			if (reply.code == 0) {
				reply.code = 451;
				snprintf(reply.status, sizeof(reply.status),
				    "4.4.1");
				snprintf(reply.text, sizeof(reply.text), "%s",
				    error);
			}
			queue_relay_fail_all(envelope, &reply);
			return;
		}
	}
	*dsn_passed_r = smtp_client_has_extension(client, "DSN");
	if (smtp_client_send(client, envelope, message, part_count,
	    &error) < 0) {
		smtp_client_close(&client);
		return;
	}
	if (smtp_client_reusable(client))
		smtp_client_cache_put(relay->cache, destination, &client);
	else
		smtp_client_close(&client);
}
