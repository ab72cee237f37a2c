/* queue_relay_pending.c: a stand-in for gateway/queue_relay.c until
 * routing (part D of #12) and the relay client (part A) are merged.
 *
 * MERGE NOTE: delete this file when routing.c and smtp_client.c land,
 * and build gateway/queue_relay.c in its place (gateway/local.mk).
 *
 * It routes like the spine did: an address of a local user goes to that
 * user's Maildir (a bounce to a local sender), an unknown user of a
 * local domain fails with 5.1.1, and anything else fails with 5.4.4
 * (no relaying on this branch). One sluice.db connection, serialised by
 * a mutex, since io workers call this in parallel. */
#include "gateway/queue_relay.h"
#include "lib/alloc.h"
#include "gateway/server_config.h"
#include "gateway/state_dir.h"
#include "mailstore/user_accounts.h"

#include <pthread.h>

struct queue_relay {
	pthread_mutex_t lock;
	struct user_accounts *accounts;
};

int
queue_relay_new(const struct server_config *config,
    struct queue_relay **relay_r, const char **error_r)
{
	struct queue_relay *relay = alloc_new(struct queue_relay);
	char *path = state_dir_accounts_path(config);
	int ret;

	ret = user_accounts_open(path, &relay->accounts, error_r);
	free(path);
	if (ret < 0) {
		free(relay);
		return -1;
	}
	pthread_mutex_init(&relay->lock, NULL);
	*relay_r = relay;
	return 0;
}

void
queue_relay_free(struct queue_relay **relay_p)
{
	struct queue_relay *relay = *relay_p;

	if (relay == NULL)
		return;
	user_accounts_close(&relay->accounts);
	pthread_mutex_destroy(&relay->lock);
	free(relay);
	*relay_p = NULL;
}

void
queue_relay_route(struct queue_relay *relay, const char *address,
    struct arena *arena, struct queue_relay_route **routes_r,
    size_t *route_count_r)
{
	struct queue_relay_route *route = arena_new_type(arena,
	    struct queue_relay_route);
	enum user_accounts_recipient kind;
	const char *mailbox, *error;
	int ret;

	pthread_mutex_lock(&relay->lock);
	ret = user_accounts_lookup_recipient(relay->accounts, address, arena,
	    &kind, &mailbox, &error);
	pthread_mutex_unlock(&relay->lock);
	route->address = address;
	route->reply.status = route->reply.text = "";
	route->reply.remote_mta = "";
	if (ret < 0) {
		route->kind = QUEUE_RELAY_DEFER;
		route->reply.code = 451;
		route->reply.status = "4.3.0";
		route->reply.text = arena_strdup(arena, error);
	} else if (kind == USER_ACCOUNTS_LOCAL_USER) {
		route->kind = QUEUE_RELAY_LOCAL;
		route->mailbox = mailbox;
	} else {
		route->kind = QUEUE_RELAY_FAIL;
		route->reply.code = 550;
		route->reply.status = kind == USER_ACCOUNTS_UNKNOWN_USER ?
		    "5.1.1" : "5.4.4";
		route->reply.text = kind == USER_ACCOUNTS_UNKNOWN_USER ?
		    "no such user here" :
		    "no route to the recipient's domain (relaying not built)";
	}
	*routes_r = route;
	*route_count_r = 1;
}

void
queue_relay_send(struct queue_relay *relay,
    const struct smtp_client_destination *destination,
    struct smtp_client_envelope *envelope, const struct iovec *message,
    size_t part_count, struct arena *arena, bool *dsn_passed_r,
    bool *final_r, const char **remote_mta_r)
{
	size_t i;

	(void)relay;
	(void)destination;
	(void)message;
	(void)part_count;
	(void)arena;
	/* Never reached: this router makes no SEND routes. */
	for (i = 0; i < envelope->recipient_count; i++) {
		struct smtp_client_reply *reply =
		    &envelope->recipients[i].reply;
		reply->code = 554;
		snprintf(reply->status, sizeof(reply->status), "5.4.4");
		snprintf(reply->text, sizeof(reply->text),
		    "relaying not built");
	}
	*dsn_passed_r = false;
	*final_r = false;
	*remote_mta_r = "";
}
