/* listener.h: the sockets sluiced accepts connections on.
 *
 * A listen value is a comma-separated list of HOST:PORT, [IPv6]:PORT,
 * *:PORT (every address) or unix:PATH. listener_open() binds all of
 * them (as root, before privileges are dropped) and starts accepting on
 * the loop. Each listener counts its live connections and stops
 * accepting at max_connections until one closes. Loop thread only. */
#ifndef SLUICE_LISTENER_H
#define SLUICE_LISTENER_H

#include "lib/common.h"
#include "lib/loop.h"

#include <sys/types.h>

struct listener;

typedef void listener_accept_callback(struct listener *listener, int fd,
    const char *peer, void *context);

/* Binds every address in spec and appends the listeners to *list_p.
 * protocol names them in logs ("smtp"). Unix sockets are made owned by
 * owner_uid/owner_gid when those are not -1. Returns 0 or -1 with
 * error_r naming the address. */
int listener_open(struct loop *loop, const char *spec, const char *protocol,
    unsigned max_connections, uid_t owner_uid, gid_t owner_gid,
    listener_accept_callback *callback, void *context,
    struct listener **list_p, const char **error_r);

/* A connection accepted on listener has closed. */
void listener_connection_closed(struct listener *listener);

/* Stops accepting on every listener in the list (shutdown). */
void listener_stop_all(struct listener *list);

/* Closes and frees the whole list; unlinks unix socket files. */
void listener_free_all(struct listener **list_p);

const char *listener_protocol(const struct listener *listener);

/* Changes the connection cap (reload). */
void listener_set_max_connections(struct listener *list, const char *protocol,
    unsigned max_connections);

#endif
