/* relay_destination.c: parse and print relay next hops
 * ([host]:port, lmtp:host:port, lmtp:unix:/path). */
#include "gateway/relay_destination.h"
#include "lib/error.h"
#include "lib/string_view.h"

#include <arpa/inet.h>
#include <strings.h>
#include <sys/un.h>

#define RELAY_DESTINATION_HOST_MAX 253
#define RELAY_DESTINATION_SMTP_PORT 25
#define RELAY_DESTINATION_LMTP_PORT 24

/* Why name is not a usable host name, or NULL. */
static const char *
relay_destination_name_problem(const char *name, size_t length)
{
	size_t i, label = 0;
	char c;

	if (length == 0)
		return "empty host";
	if (length > RELAY_DESTINATION_HOST_MAX)
		return "host name longer than 253 bytes";
	for (i = 0; i < length; i++) {
		c = name[i];
		if (c == '.') {
			if (label == 0)
				return "empty label in host name";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "host name allows only letters, digits, '-', "
			    "'_' and '.' (IPv6 addresses go in brackets)";
		label++;
	}
	return NULL;
}

/* Parses ":PORT" at text (or nothing, for the default). Returns the
 * port, or 0 when malformed. */
static unsigned
relay_destination_port(const char *text, unsigned default_port)
{
	unsigned long value = 0;
	size_t i;

	if (*text == '\0')
		return default_port;
	if (text[0] != ':' || text[1] == '\0')
		return 0;
	for (i = 1; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || value > 65535)
			return 0;
		value = value * 10 + (unsigned long)(text[i] - '0');
	}
	return value >= 1 && value <= 65535 ? (unsigned)value : 0;
}

/* Parses the host and port part (after any protocol prefix). */
static const char *
relay_destination_host(const char *text, struct arena *arena,
    struct smtp_client_destination *destination)
{
	const char *host = text, *rest, *close, *problem;
	unsigned char address[sizeof(struct in6_addr)];
	size_t length;
	char *copy;

	if (*text == '[') {
		close = strchr(text, ']');
		if (close == NULL)
			return "missing ']'";
		host = text + 1;
		length = (size_t)(close - host);
		if (length > 5 && strncasecmp(host, "IPv6:", 5) == 0) {
			host += 5;
			length -= 5;
		}
		rest = close + 1;
	} else {
		rest = strchr(text, ':');
		if (rest == NULL)
			rest = text + strlen(text);
		length = (size_t)(rest - text);
	}
	destination->port = relay_destination_port(rest,
	    destination->lmtp ? RELAY_DESTINATION_LMTP_PORT :
	    RELAY_DESTINATION_SMTP_PORT);
	if (destination->port == 0)
		return *rest == ':' ? "port must be 1 to 65535" :
		    "unexpected text after the host";
	copy = arena_strndup(arena, host, length);
	if (strchr(copy, ':') != NULL) {
		if (*text != '[' || inet_pton(AF_INET6, copy, address) != 1)
			return "not an IPv6 address";
	} else if ((problem = relay_destination_name_problem(copy,
	    length)) != NULL) {
		return problem;
	}
	destination->host = copy;
	return NULL;
}

int
relay_destination_parse(const char *text, struct arena *arena,
    struct smtp_client_destination *destination_r, const char **error_r)
{
	struct sockaddr_un unix_address;
	char shown[64];
	const char *rest = text, *problem = NULL;

	memset(destination_r, 0, sizeof(*destination_r));
	destination_r->tls = SMTP_CLIENT_TLS_MAY;
	if (strlen(text) > RELAY_DESTINATION_MAX)
		problem = "longer than 300 bytes";
	else if (*text == '\0')
		problem = "empty";
	else if (strncasecmp(text, "smtp:", 5) == 0)
		rest = text + 5;
	else if (strncasecmp(text, "lmtp:", 5) == 0) {
		destination_r->lmtp = true;
		rest = text + 5;
	}
	if (problem == NULL && destination_r->lmtp &&
	    strncasecmp(rest, "unix:", 5) == 0) {
		rest += 5;
		destination_r->tls = SMTP_CLIENT_TLS_NONE;
		if (rest[0] != '/')
			problem = "a unix socket path must be absolute";
		else if (strlen(rest) >= sizeof(unix_address.sun_path))
			problem = "unix socket path too long";
		else
			destination_r->unix_path = arena_strdup(arena, rest);
	} else if (problem == NULL) {
		problem = relay_destination_host(rest, arena, destination_r);
	}
	if (problem != NULL) {
		*error_r = error_set("'%s' is not a destination ([host]:port, "
		    "host:port, lmtp:host:port or lmtp:unix:/path): %s",
		    string_view_printable(string_view_from_cstring(text),
			shown, sizeof(shown)), problem);
		return -1;
	}
	return 0;
}

const char *
relay_destination_format(const struct smtp_client_destination *destination,
    char *buffer, size_t size)
{
	const char *protocol = destination->lmtp ? "lmtp:" : "";

	if (destination->unix_path != NULL)
		snprintf(buffer, size, "%sunix:%s", protocol,
		    destination->unix_path);
	else
		snprintf(buffer, size, "%s[%s]:%u", protocol,
		    destination->host, destination->port);
	return buffer;
}

bool
relay_destination_equal(const struct smtp_client_destination *a,
    const struct smtp_client_destination *b)
{
	if (a->lmtp != b->lmtp || (a->host == NULL) != (b->host == NULL) ||
	    (a->unix_path == NULL) != (b->unix_path == NULL))
		return false;
	if (a->unix_path != NULL)
		return strcmp(a->unix_path, b->unix_path) == 0;
	return a->port == b->port && strcasecmp(a->host, b->host) == 0;
}
