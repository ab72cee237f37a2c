/* listener.c: bind listen addresses, accept, count connections. */
#include "gateway/listener.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/settings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct listener {
	struct listener *next;
	struct loop_listener *loop_listener;
	char *address;      /* as configured, for logs */
	char *unix_path;    /* unlinked at free */
	const char *protocol;
	unsigned connections;
	unsigned max_connections;
	bool paused;
	bool stopped;
	listener_accept_callback *callback;
	void *context;
};

static void
listener_update_pause(struct listener *listener)
{
	bool full = listener->connections >= listener->max_connections;

	if (listener->stopped)
		return;
	if (full && !listener->paused) {
		loop_listener_pause(listener->loop_listener);
		listener->paused = true;
		log_warn("event=listener_full protocol=%s address=%s "
		    "connections=%u", listener->protocol, listener->address,
		    listener->connections);
	} else if (!full && listener->paused) {
		loop_listener_resume(listener->loop_listener);
		listener->paused = false;
	}
}

static void
listener_peer_text(const struct sockaddr *address, char *text, size_t size)
{
	if (address->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    address)->sin_addr, text, (socklen_t)size);
	} else if (address->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)
		    (const void *)address)->sin6_addr;
		/* Show IPv4-mapped peers as plain IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, &a6->s6_addr[12], text,
			    (socklen_t)size);
		else
			inet_ntop(AF_INET6, a6, text, (socklen_t)size);
	} else {
		snprintf(text, size, "unix");
	}
}

static void
listener_accepted(int fd, const struct sockaddr *address,
    socklen_t address_length, void *context)
{
	struct listener *listener = context;
	char peer[INET6_ADDRSTRLEN];

	(void)address_length;
	listener_peer_text(address, peer, sizeof(peer));
	listener->connections++;
	listener_update_pause(listener);
	listener->callback(listener, fd, peer, listener->context);
}

void
listener_connection_closed(struct listener *listener)
{
	ASSERT(listener->connections > 0);
	listener->connections--;
	listener_update_pause(listener);
}

static int
listener_bind_unix(const char *path, uid_t uid, gid_t gid, int *fd_r,
    const char **error_r)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*error_r = error_set("unix:%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = error_set_errno("unix:%s: socket", path);
		return -1;
	}
	/* A stale socket from a previous run would make bind fail. */
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 128) < 0) {
		*error_r = error_set_errno("unix:%s: bind", path);
		close(fd);
		return -1;
	}
	if (chmod(path, 0660) < 0 ||
	    (uid != (uid_t)-1 && chown(path, uid, gid) < 0)) {
		*error_r = error_set_errno("unix:%s: chmod/chown", path);
		close(fd);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

static int
listener_bind_inet(const char *item, const char *host, const char *port,
    int *fd_r, const char **error_r)
{
	struct addrinfo hints, *result;
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &result);
	if (rc != 0) {
		*error_r = error_set("%s: %s", item, gai_strerror(rc));
		return -1;
	}
	fd = socket(result->ai_family, result->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = error_set_errno("%s: socket", item);
		freeaddrinfo(result);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (result->ai_family == AF_INET6 && host != NULL)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, result->ai_addr, result->ai_addrlen) < 0 ||
	    listen(fd, 511) < 0) {
		*error_r = error_set_errno("%s: bind", item);
		close(fd);
		freeaddrinfo(result);
		return -1;
	}
	freeaddrinfo(result);
	*fd_r = fd;
	return 0;
}

/* Splits "HOST:PORT", "[V6]:PORT" or "*:PORT" into heap copies. */
static int
listener_split(const char *item, char **host_r, char **port_r,
    const char **error_r)
{
	const char *colon, *close_bracket;

	if (item[0] == '[') {
		close_bracket = strchr(item, ']');
		if (close_bracket == NULL || close_bracket[1] != ':') {
			*error_r = error_set("%s: expected [IPv6]:PORT", item);
			return -1;
		}
		*host_r = alloc_strndup(item + 1,
		    (size_t)(close_bracket - item - 1));
		*port_r = alloc_strdup(close_bracket + 2);
	} else {
		colon = strrchr(item, ':');
		if (colon == NULL || strchr(item, ':') != colon) {
			*error_r = error_set("%s: expected HOST:PORT", item);
			return -1;
		}
		*host_r = colon == item || (colon == item + 1 && *item == '*') ?
		    NULL : alloc_strndup(item, (size_t)(colon - item));
		*port_r = alloc_strdup(colon + 1);
	}
	if (**port_r == '\0' || strspn(*port_r, "0123456789") !=
	    strlen(*port_r) || atoi(*port_r) <= 0 || atoi(*port_r) > 65535) {
		*error_r = error_set("%s: bad port", item);
		free(*host_r);
		free(*port_r);
		return -1;
	}
	return 0;
}

int
listener_open(struct loop *loop, const char *spec, const char *protocol,
    unsigned max_connections, uid_t owner_uid, gid_t owner_gid,
    listener_accept_callback *callback, void *context,
    struct listener **list_p, const char **error_r)
{
	char **items = settings_split_list(spec), *item, *host, *port;
	struct listener *listener;
	int fd, ret = 0;

	for (size_t i = 0; (item = items[i]) != NULL; i++) {
		listener = alloc_new(struct listener);
		if (strncmp(item, "unix:", 5) == 0) {
			if (item[5] != '/') {
				*error_r = error_set("%s: unix socket path must be absolute",
				    item);
				free(listener);
				ret = -1;
				break;
			}
			if (listener_bind_unix(item + 5, owner_uid, owner_gid,
			    &fd, error_r) < 0) {
				free(listener);
				ret = -1;
				break;
			}
			listener->unix_path = alloc_strdup(item + 5);
		} else {
			if (listener_split(item, &host, &port, error_r) < 0) {
				free(listener);
				ret = -1;
				break;
			}
			ret = listener_bind_inet(item, host, port, &fd, error_r);
			free(host);
			free(port);
			if (ret < 0) {
				free(listener);
				break;
			}
		}
		listener->address = alloc_strdup(item);
		listener->protocol = protocol;
		listener->max_connections = max_connections;
		listener->callback = callback;
		listener->context = context;
		listener->loop_listener = loop_listener_new(loop, fd,
		    listener_accepted, listener);
		listener->next = *list_p;
		*list_p = listener;
		log_info("event=listen protocol=%s address=%s", protocol,
		    listener->address);
	}
	settings_list_free(&items);
	return ret;
}

void
listener_stop_all(struct listener *list)
{
	for (; list != NULL; list = list->next) {
		if (!list->stopped && !list->paused)
			loop_listener_pause(list->loop_listener);
		list->stopped = true;
	}
}

void
listener_set_max_connections(struct listener *list, const char *protocol,
    unsigned max_connections)
{
	for (; list != NULL; list = list->next) {
		if (strcmp(list->protocol, protocol) != 0)
			continue;
		list->max_connections = max_connections;
		listener_update_pause(list);
	}
}

void
listener_free_all(struct listener **list_p)
{
	struct listener *listener = *list_p, *next;

	for (; listener != NULL; listener = next) {
		next = listener->next;
		loop_listener_free(&listener->loop_listener);
		if (listener->unix_path != NULL) {
			(void)unlink(listener->unix_path);
			free(listener->unix_path);
		}
		free(listener->address);
		free(listener);
	}
	*list_p = NULL;
}

const char *
listener_protocol(const struct listener *listener)
{
	return listener->protocol;
}
