/* server_config.c: sluiced's settings tables, loading and cross-checks.
 *
 * CONFIGURATION: every key is documented in the tables below; `sluice
 * config check --help-keys` prints them with defaults. */
#include "gateway/server_config.h"
#include "gateway/client_limits.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "gateway/relay_destination.h"
#include "mailstore/account_database.h"
#include "mailstore/auth_throttle.h"
#include "mailstore/lmtp_server.h"
#include "lib/network_list.h"

#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const log_level_choices[] = { "debug", "info", "warn",
	"error", NULL };
static const char *const bare_newline_choices[] = { "reject", "accept",
	NULL };

#define CORE(field) offsetof(struct core_settings, field)
static const struct setting core_table[] = {
	{ "hostname", SETTING_STRING, CORE(hostname), 0, 0, "",
	    "Name in the SMTP banner and Received headers; empty means the system's host name.", NULL },
	{ "state_dir", SETTING_STRING, CORE(state_dir), 0, 0,
	    "/var/lib/sluice",
	    "Directory holding the spool, databases and mailboxes.", NULL },
	{ "user", SETTING_STRING, CORE(user), 0, 0, "sluice",
	    "Unprivileged user sluiced switches to after binding its ports when started as root.", NULL },
	{ "pid_file", SETTING_STRING, CORE(pid_file), 0, 0, "",
	    "PID file; empty means STATE_DIR/sluiced.pid.", NULL },
	{ "log_level", SETTING_ENUM, CORE(log_level), 0, 0, "info",
	    "Least severe log level written.", log_level_choices },
	{ "workers", SETTING_INT, CORE(workers), 0, 256, "0",
	    "Worker threads for scanning and other CPU work; 0 means one per core.", NULL },
	{ "io_workers", SETTING_INT, CORE(io_workers), 1, 256, "16",
	    "Threads for blocking disk work (fsync); more overlap more disk flushes.", NULL },
	{ "shutdown_timeout", SETTING_DURATION, CORE(shutdown_timeout), 1,
	    3600, "30s",
	    "How long a stop waits for sessions in DATA before cutting them off.", NULL },
};
static const struct settings_section core_section = {
	"core", core_table, ARRAY_LENGTH(core_table),
	sizeof(struct core_settings),
};

#define SMTP(field) offsetof(struct smtp_settings, field)
static const struct setting smtp_table[] = {
	{ "smtp.listen", SETTING_STRING, SMTP(listen), 0, 0, "",
	    "Inbound SMTP (MX) addresses: HOST:PORT, [IPv6]:PORT, comma-separated; empty disables.", NULL },
	{ "smtp.max_message_size", SETTING_SIZE, SMTP(max_message_size), 1024,
	    (int64_t)1 << 32, "25M",
	    "Largest message accepted, as advertised in SIZE.", NULL },
	{ "smtp.max_connections", SETTING_INT, SMTP(max_connections), 1,
	    100000, "200", "Simultaneous SMTP connections per listener.", NULL },
	{ "smtp.max_recipients", SETTING_INT, SMTP(max_recipients), 1, 100000,
	    "100", "Recipients per message; more get 452 4.5.3.", NULL },
	{ "smtp.max_errors", SETTING_INT, SMTP(max_errors), 1, 1000, "10",
	    "Client errors before the session is ended with 421.", NULL },
	{ "smtp.line_limit", SETTING_INT, SMTP(line_limit), 512, 65536, "2048",
	    "Longest command line in octets, CRLF included; longer ones get 500 5.5.2.", NULL },
	{ "smtp.timeout", SETTING_DURATION, SMTP(timeout), 1, 86400, "300s",
	    "How long to wait for the client's next command (RFC 5321 4.5.3.2 asks for at least 5 minutes); then 421 4.4.2.", NULL },
	{ "smtp.timeout_data_block", SETTING_DURATION,
	    SMTP(timeout_data_block), 1, 86400, "180s",
	    "How long to wait for more message data inside DATA or a BDAT chunk (RFC 5321 4.5.3.2: 3 minutes per data block); then 421 4.4.2.", NULL },
	{ "smtp.session_max_seconds", SETTING_DURATION,
	    SMTP(session_max_seconds), 1, 7 * 86400, "1h",
	    "Longest SMTP session, however busy; then 421 4.4.2 and the connection is closed (a message being spooled is answered first).", NULL },
	{ "smtp.max_connections_per_ip", SETTING_INT,
	    SMTP(max_connections_per_ip), 0, 100000, "20",
	    "Connections one client may hold open at once (an IPv6 client counts per /64); more get 421 4.7.0. 0: no limit.", NULL },
	{ "smtp.connection_rate_per_ip", SETTING_INT,
	    SMTP(connection_rate_per_ip), 0, 1000000, "300",
	    "New connections one client may open per minute (an IPv6 client counts per /64; a burst of this many, then evenly spread); more get 421 4.7.0. 0: no limit.", NULL },
	{ "smtp.max_messages_per_connection", SETTING_INT,
	    SMTP(max_messages_per_connection), 0, 1000000, "100",
	    "Mail transactions (MAIL commands) one connection may start; the next MAIL gets 421 4.7.0. 0: no limit.", NULL },
	{ "smtp.limits_exempt", SETTING_STRING, SMTP(limits_exempt), 0, 0, "",
	    "Networks exempt from the per-client limits, comma-separated ADDRESS or ADDRESS/PREFIX (IPv4 or IPv6), e.g. your own relays; loopback is not exempt unless listed.", NULL },
	{ "smtp.bare_newline", SETTING_ENUM, SMTP(bare_newline), 0, 0,
	    "reject",
	    "A bare LF or CR in DATA: reject the message with 550 5.5.2, or accept it.", bare_newline_choices },
	{ "smtp.banner", SETTING_STRING, SMTP(banner), 0, 0, "ESMTP",
	    "Text after the host name in the 220 greeting.", NULL },
};
static const struct settings_section smtp_section = {
	"smtp", smtp_table, ARRAY_LENGTH(smtp_table),
	sizeof(struct smtp_settings),
};

#define LMTP(field) offsetof(struct lmtp_settings, field)
static const struct setting lmtp_table[] = {
	{ "lmtp.listen", SETTING_STRING, LMTP(listen), 0, 0, "",
	    "LMTP (RFC 2033) addresses for an MTA in front of sluice to deliver into the local mailboxes: HOST:PORT, [IPv6]:PORT or unix:PATH, comma-separated; empty disables. Message size, recipient, error and timeout limits are smtp.*'s.", NULL },
	{ "lmtp.max_connections", SETTING_INT, LMTP(max_connections), 1,
	    100000, "50", "Simultaneous LMTP connections per listener.", NULL },
	{ "lmtp.networks", SETTING_STRING, LMTP(networks), 0, 0,
	    LMTP_SERVER_DEFAULT_NETWORKS,
	    "Clients allowed to use LMTP over TCP, comma-separated ADDRESS or ADDRESS/PREFIX (IPv4 or IPv6); others get 421 4.7.0. Unix-socket clients are always allowed.", NULL },
};
static const struct settings_section lmtp_section = {
	"lmtp", lmtp_table, ARRAY_LENGTH(lmtp_table),
	sizeof(struct lmtp_settings),
};

#define IMAP(field) offsetof(struct imap_settings, field)
static const struct setting imap_table[] = {
	{ "imap.listen", SETTING_STRING, IMAP(listen), 0, 0, "",
	    "IMAP addresses (STARTTLS offered when tls.cert is set): HOST:PORT, [IPv6]:PORT or unix:PATH, comma-separated; empty disables.", NULL },
	{ "imaps.listen", SETTING_STRING, IMAP(imaps_listen), 0, 0, "",
	    "IMAP addresses with implicit TLS (port 993 in production); needs tls.cert. Empty disables.", NULL },
	{ "imap.max_connections", SETTING_INT, IMAP(max_connections), 1,
	    100000, "1000", "Simultaneous IMAP connections per listener.",
	    NULL },
	{ "imap.idle_timeout", SETTING_DURATION, IMAP(idle_timeout), 60,
	    86400, "30m",
	    "Autologout of an authenticated session that sends nothing (RFC 3501 asks for at least 30 minutes; IDLE clients renew every 29).", NULL },
	{ "imap.login_timeout", SETTING_DURATION, IMAP(login_timeout), 1,
	    3600, "60s", "How long a client may take to log in.", NULL },
	{ "imap.idle_poll", SETTING_DURATION, IMAP(idle_poll), 1, 3600, "5s",
	    "How often a session in IDLE looks for changes other programs made to its Maildir (mail delivered by sluice is reported at once).", NULL },
	{ "imap.max_literal_size", SETTING_SIZE, IMAP(max_literal_size), 1024,
	    (int64_t)1 << 32, "64M",
	    "Largest literal a client may send (the size of an APPENDed message); larger ones are refused before they are sent.", NULL },
	{ "imap.max_bad_commands", SETTING_INT, IMAP(max_bad_commands), 1,
	    1000, "20", "Invalid commands before the session is closed with BYE.", NULL },
	{ "auth.plaintext_networks", SETTING_STRING, IMAP(plaintext_networks),
	    0, 0, "127.0.0.0/8, ::1/128",
	    "Clients that may log in to IMAP and POP3 without TLS, comma-separated ADDRESS or ADDRESS/PREFIX; everyone else must use STARTTLS or implicit TLS first (LOGINDISABLED). Unix-socket clients always may.", NULL },
};
static const struct settings_section imap_section = {
	"imap", imap_table, ARRAY_LENGTH(imap_table),
	sizeof(struct imap_settings),
};

#define POP3(field) offsetof(struct pop3_settings, field)
static const struct setting pop3_table[] = {
	{ "pop3.listen", SETTING_STRING, POP3(listen), 0, 0, "",
	    "POP3 addresses (STLS offered when tls.cert is set): HOST:PORT, [IPv6]:PORT or unix:PATH, comma-separated; empty disables.", NULL },
	{ "pop3s.listen", SETTING_STRING, POP3(pop3s_listen), 0, 0, "",
	    "POP3 addresses with implicit TLS (port 995 in production); needs tls.cert. Empty disables.", NULL },
	{ "pop3.max_connections", SETTING_INT, POP3(max_connections), 1,
	    100000, "1000", "Simultaneous POP3 connections per listener.",
	    NULL },
	{ "pop3.timeout", SETTING_DURATION, POP3(timeout), 60, 86400, "10m",
	    "Closes a POP3 session that sends nothing for this long (RFC 1939 asks for at least 10 minutes); nothing it marked with DELE is deleted.", NULL },
};
static const struct settings_section pop3_section = {
	"pop3", pop3_table, ARRAY_LENGTH(pop3_table),
	sizeof(struct pop3_settings),
};

#define TLS(field) offsetof(struct tls_settings, field)
static const struct setting tls_table[] = {
	{ "tls.cert", SETTING_STRING, TLS(cert), 0, 0, "",
	    "PEM certificate chain for STARTTLS and implicit TLS; empty disables TLS.", NULL },
	{ "tls.key", SETTING_STRING, TLS(key), 0, 0, "",
	    "PEM private key matching tls.cert.", NULL },
};
static const struct settings_section tls_section = {
	"tls", tls_table, ARRAY_LENGTH(tls_table), sizeof(struct tls_settings),
};

#define QUEUE(field) offsetof(struct queue_settings, field)
static const struct setting queue_table[] = {
	{ "queue.retry_min", SETTING_DURATION, QUEUE(retry_min), 1, 86400,
	    "5m", "First retry delay after a temporary delivery failure.", NULL },
	{ "queue.retry_max", SETTING_DURATION, QUEUE(retry_max), 1, 86400,
	    "1h", "Longest delay between retries (the delay doubles up to this).", NULL },
	{ "queue.lifetime", SETTING_DURATION, QUEUE(lifetime), 0,
	    100 * 86400, "5d",
	    "How long a recipient that keeps failing temporarily is retried before it bounces (0: one attempt).", NULL },
	{ "queue.delay_warning", SETTING_DURATION, QUEUE(delay_warning), 0,
	    100 * 86400, "4h",
	    "After this long undelivered, the sender gets one delay notice (for recipients without NOTIFY, or with NOTIFY=DELAY); 0 disables.", NULL },
	{ "queue.max_deliveries", SETTING_INT, QUEUE(max_deliveries), 1, 10000,
	    "32", "Messages being delivered at the same time.", NULL },
	{ "queue.max_per_destination", SETTING_INT,
	    QUEUE(max_per_destination), 1, 10000, "10",
	    "Transactions to one downstream server (relay destination) at the same time; local Maildir delivery is limited only by queue.max_deliveries.", NULL },
	{ "queue.bounce_size_limit", SETTING_SIZE, QUEUE(bounce_size_limit), 0,
	    (int64_t)1 << 30, "50000",
	    "Largest original message returned whole in a bounce; larger ones are returned as headers only.", NULL },
	{ "queue.direct_delivery", SETTING_BOOL, QUEUE(direct_delivery), 0, 0,
	    "yes", "Write a message for one local user straight into the Maildir before the 250, without a spool copy; the spool stays the path for several recipients and the fallback.", NULL },
};
static const struct settings_section queue_section = {
	"queue", queue_table, ARRAY_LENGTH(queue_table),
	sizeof(struct queue_settings),
};

#define RULES(field) offsetof(struct rules_settings, field)
static const struct setting rules_table[] = {
	{ "rules.dirs", SETTING_STRING, RULES(dirs), 0, 0,
	    SLUICE_PKGDATADIR "/rules, " SLUICE_SYSCONFDIR "/sluice/rules.d",
	    "Directories of SpamAssassin-style .cf rule files, read in this order (a later definition of a rule wins); missing ones are skipped.", NULL },
	{ "rules.score_set", SETTING_INT, RULES(score_set), 0, 3, "0",
	    "Which of a rule's four scores applies: 0 local tests only, 1 with network tests, 2 with Bayes, 3 both (as in SpamAssassin).", NULL },
};
static const struct settings_section rules_section = {
	"rules", rules_table, ARRAY_LENGTH(rules_table),
	sizeof(struct rules_settings),
};

/* In the order of enum smtp_client_tls and enum relay_verify. */
static const char *const relay_tls_choices[] = { "none", "may", "encrypt",
	NULL };
static const char *const relay_verify_choices[] = { "accept", "list",
	"probe", NULL };

#define RELAY(field) offsetof(struct relay_settings, field)
static const struct setting relay_table[] = {
	{ "relay.domains", SETTING_STRING, RELAY(domains), 0, 0, "",
	    "Domains whose mail goes to a downstream mailbox server (relay.host, or relay.transport.DOMAIN) instead of the local mailstore; comma-separated.", NULL },
	{ "relay.host", SETTING_STRING, RELAY(host), 0, 0, "",
	    "Downstream server for relay.domains: [host]:port, host:port, lmtp:host:port or lmtp:unix:/path; empty means none, and then every relay domain needs relay.transport.DOMAIN.", NULL },
	{ "relay.transport.DOMAIN", SETTING_MAP, RELAY(transport), 0, 0, NULL,
	    "The downstream server of one relay domain, in relay.host's syntax (like Postfix's transport table), e.g. relay.transport.example.org = lmtp:unix:/run/dovecot/lmtp.", NULL },
	{ "relay.tls", SETTING_ENUM, RELAY(tls), 0, 0, "may",
	    "STARTTLS to downstream servers: never, when offered, or required (without it delivery fails temporarily).", relay_tls_choices },
	{ "relay.verify", SETTING_ENUM, RELAY(verify), 0, 0, "probe",
	    "How RCPT checks addresses in relay domains: accept all; only those in `sluice relay-recipient list`; or probe the downstream server with RCPT TO (like Postfix's reject_unverified_recipient), remembering its answers, and answer 4xx while it cannot tell, so nothing is accepted that would bounce later.", relay_verify_choices },
	{ "relay.verify.DOMAIN", SETTING_MAP, RELAY(verify_domain), 0, 0, NULL,
	    "relay.verify for one relay domain.", relay_verify_choices },
	{ "relay.verify_positive_ttl", SETTING_DURATION,
	    RELAY(verify_positive_ttl), 60, 90 * 86400, "7d",
	    "How long a probe's yes is trusted before the address is probed again; while the downstream server cannot answer, a yes up to four times this old still counts.", NULL },
	{ "relay.verify_negative_ttl", SETTING_DURATION,
	    RELAY(verify_negative_ttl), 60, 30 * 86400, "1h",
	    "How long a probe's no is remembered before the address is probed again (a mailbox created downstream is reachable after at most this long).", NULL },
};
static const struct settings_section relay_section = {
	"relay", relay_table, ARRAY_LENGTH(relay_table),
	sizeof(struct relay_settings),
};

static const struct settings_section *const server_sections[] = {
	&core_section, &smtp_section, &lmtp_section, &imap_section,
	&pop3_section,
	&auth_throttle_settings_section, &tls_section,
	&queue_section, &rules_section, &relay_section,
};

static struct server_config *
server_config_new(void)
{
	struct server_config *config = alloc_new(struct server_config);

	config->settings = settings_new(server_sections,
	    ARRAY_LENGTH(server_sections));
	config->core = settings_section_values(config->settings, &core_section);
	config->smtp = settings_section_values(config->settings, &smtp_section);
	config->lmtp = settings_section_values(config->settings, &lmtp_section);
	config->imap = settings_section_values(config->settings, &imap_section);
	config->pop3 = settings_section_values(config->settings, &pop3_section);
	config->auth = settings_section_values(config->settings,
	    &auth_throttle_settings_section);
	config->tls = settings_section_values(config->settings, &tls_section);
	config->queue = settings_section_values(config->settings,
	    &queue_section);
	config->rules = settings_section_values(config->settings,
	    &rules_section);
	config->relay = settings_section_values(config->settings,
	    &relay_section);
	config->arena = arena_new("server config", 0);
	config->refcount = 1;
	return config;
}

static int
server_config_route_compare(const void *a, const void *b)
{
	return strcmp(((const struct relay_route *)a)->domain,
	    ((const struct relay_route *)b)->domain);
}

const struct relay_route *
server_config_relay_route(const struct server_config *config,
    const char *domain)
{
	struct relay_route key = { .domain = domain };
	char lower[ACCOUNT_DATABASE_DOMAIN_MAX + 1];

	if (config->relay_route_count == 0 || account_database_lowercase(domain,
	    lower, sizeof(lower)) < 0)
		return NULL;
	key.domain = lower;
	return bsearch(&key, config->relay_routes, config->relay_route_count,
	    sizeof(key), server_config_route_compare);
}

/* "PATH:LINE" for a map entry from the file, else "PATH". */
static const char *
server_config_where(const struct server_config *config,
    const struct settings_map_entry *entry, char *buffer, size_t size)
{
	if (entry->line != 0)
		snprintf(buffer, size, "%s:%u", config->path, entry->line);
	else
		snprintf(buffer, size, "%s", config->path);
	return buffer;
}

/* Checks that every name in map is a relay domain. */
static int
server_config_check_map_names(struct server_config *config,
    const struct settings_map *map, const char *prefix, const char **error_r)
{
	char where[512];
	size_t i;

	for (i = 0; i < map->count; i++) {
		if (server_config_relay_route(config,
		    map->entries[i].name) == NULL) {
			*error_r = error_set("%s: %s%s: %s is not in "
			    "relay.domains", server_config_where(config,
				&map->entries[i], where, sizeof(where)),
			    prefix, map->entries[i].name, map->entries[i].name);
			return -1;
		}
	}
	return 0;
}

/* Fills one route: the destination and verification of its domain. */
static int
server_config_relay_route_fill(struct server_config *config,
    struct relay_route *route, const char **error_r)
{
	const struct relay_settings *relay = config->relay;
	const struct settings_map_entry *transport, *verify;
	const char *text;
	char where[512];

	transport = settings_map_find(&relay->transport, route->domain);
	text = transport != NULL ? transport->value : relay->host;
	if (*text == '\0') {
		*error_r = error_set("%s: relay.domains: %s has no destination "
		    "(set relay.host or relay.transport.%s)", config->path,
		    route->domain, route->domain);
		return -1;
	}
	if (relay_destination_parse(text, config->arena, &route->destination,
	    error_r) < 0) {
		*error_r = transport != NULL ?
		    error_set("%s: relay.transport.%s: %s",
			server_config_where(config, transport, where,
			    sizeof(where)), transport->name, *error_r) :
		    error_set("%s: relay.host: %s", config->path, *error_r);
		return -1;
	}
	if (route->destination.unix_path == NULL)
		route->destination.tls = (enum smtp_client_tls)relay->tls;
	verify = settings_map_find(&relay->verify_domain, route->domain);
	route->verify = (enum relay_verify)(verify != NULL ? verify->choice :
	    relay->verify);
	return 0;
}

/* Builds config->relay_routes from relay.*, checking every part. */
static int
server_config_relay_routes(struct server_config *config, const char **error_r)
{
	const struct relay_settings *relay = config->relay;
	struct smtp_client_destination destination;
	char **domains = settings_split_list(relay->domains), *name;
	size_t count, i;
	int ret = -1;

	if (relay->host[0] != '\0' && relay_destination_parse(relay->host,
	    config->arena, &destination, error_r) < 0) {
		*error_r = error_set("%s: relay.host: %s", config->path,
		    *error_r);
		goto out;
	}
	for (count = 0; domains[count] != NULL; count++)
		;
	config->relay_routes = arena_array(config->arena, MAX(count, 1),
	    sizeof(*config->relay_routes));
	for (i = 0; i < count; i++) {
		name = arena_alloc(config->arena,
		    ACCOUNT_DATABASE_DOMAIN_MAX + 1);
		if (account_database_domain_normalize(domains[i], name,
		    ACCOUNT_DATABASE_DOMAIN_MAX + 1, error_r) < 0) {
			*error_r = error_set("%s: relay.domains: %s",
			    config->path, *error_r);
			goto out;
		}
		if (server_config_relay_route(config, name) != NULL) {
			*error_r = error_set("%s: relay.domains: %s is listed "
			    "twice", config->path, name);
			goto out;
		}
		config->relay_routes[config->relay_route_count].domain = name;
		if (server_config_relay_route_fill(config,
		    &config->relay_routes[config->relay_route_count],
		    error_r) < 0)
			goto out;
		config->relay_route_count++;
		qsort(config->relay_routes, config->relay_route_count,
		    sizeof(*config->relay_routes), server_config_route_compare);
	}
	if (server_config_check_map_names(config, &relay->transport,
	    "relay.transport.", error_r) < 0 ||
	    server_config_check_map_names(config, &relay->verify_domain,
	    "relay.verify.", error_r) < 0)
		goto out;
	ret = 0;
out:
	settings_list_free(&domains);
	return ret;
}

static int
server_config_finish(struct server_config *config, const char **error_r)
{
	char name[256];

	if (config->core->hostname[0] != '\0') {
		config->hostname = alloc_strdup(config->core->hostname);
	} else {
		if (gethostname(name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		config->hostname = alloc_strdup(name);
	}
	config->pid_file = config->core->pid_file[0] != '\0' ?
	    alloc_strdup(config->core->pid_file) :
	    server_config_state_path(config, "sluiced.pid");
	if (config->core->state_dir[0] != '/') {
		*error_r = error_set("%s: state_dir must be an absolute path",
		    config->path);
		return -1;
	}
	if ((config->tls->cert[0] == '\0') != (config->tls->key[0] == '\0')) {
		*error_r = error_set("%s: tls.cert and tls.key must be set together",
		    config->path);
		return -1;
	}
	if (client_limits_check_exempt(config->smtp->limits_exempt,
	    error_r) < 0) {
		*error_r = error_set("%s: %s", config->path, *error_r);
		return -1;
	}
	{
		struct network_list *list;

		if (network_list_parse(config->imap->plaintext_networks,
		    &list, error_r) < 0) {
			*error_r = error_set("%s: auth.plaintext_networks: %s",
			    config->path, *error_r);
			return -1;
		}
		network_list_free(&list);
	}
	if ((config->imap->imaps_listen[0] != '\0') &&
	    config->tls->cert[0] == '\0') {
		*error_r = error_set("%s: imaps.listen needs tls.cert and "
		    "tls.key", config->path);
		return -1;
	}
	if ((config->pop3->pop3s_listen[0] != '\0') &&
	    config->tls->cert[0] == '\0') {
		*error_r = error_set("%s: pop3s.listen needs tls.cert and "
		    "tls.key", config->path);
		return -1;
	}
	if (lmtp_server_check_networks(config->lmtp->networks, error_r) < 0) {
		*error_r = error_set("%s: lmtp.networks: %s", config->path,
		    *error_r);
		return -1;
	}
	if (config->queue->retry_min > config->queue->retry_max) {
		*error_r = error_set("%s: queue.retry_min is larger than queue.retry_max",
		    config->path);
		return -1;
	}
	if (server_config_relay_routes(config, error_r) < 0)
		return -1;
	return 0;
}

struct server_config *
server_config_load(const char *path, const char **error_r)
{
	struct server_config *config = server_config_new();

	config->path = alloc_strdup(path);
	if (settings_load_file(config->settings, path, error_r) < 0 ||
	    server_config_finish(config, error_r) < 0) {
		server_config_unref(&config);
		return NULL;
	}
	return config;
}

struct server_config *
server_config_defaults(void)
{
	struct server_config *config = server_config_new();
	const char *error;

	config->path = alloc_strdup("(defaults)");
	if (server_config_finish(config, &error) < 0)
		log_panic("default configuration invalid: %s", error);
	return config;
}

void
server_config_ref(struct server_config *config)
{
	__atomic_add_fetch(&config->refcount, 1, __ATOMIC_RELAXED);
}

void
server_config_unref(struct server_config **config_p)
{
	struct server_config *config = *config_p;

	if (config == NULL)
		return;
	*config_p = NULL;
	if (__atomic_sub_fetch(&config->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	settings_free(&config->settings);
	arena_free(&config->arena);
	free(config->path);
	free(config->hostname);
	free(config->pid_file);
	free(config);
}

char *
server_config_state_path(const struct server_config *config,
    const char *relative)
{
	return alloc_printf("%s/%s", config->core->state_dir, relative);
}

static bool
server_config_is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char **
server_config_rule_dirs(const struct server_config *config, const char *argv0)
{
	char **items = settings_split_list(config->rules->dirs), *slash;
	char **list = alloc_array(16, sizeof(char *)), *fallback;
	size_t count = 0, capacity = 16, i;

	for (i = 0; items[i] != NULL; i++) {
		char *item = items[i];

		if (!server_config_is_directory(item)) {
			if (strcmp(item, SLUICE_PKGDATADIR "/rules") != 0 ||
			    argv0 == NULL || (slash = strrchr(argv0, '/')) ==
			    NULL)
				continue;
			/* A build tree: BUILD/cli/sluice or BUILD/gateway/
			 * sluiced next to BUILD/share/rules. */
			fallback = alloc_printf("%.*s/../share/rules",
			    (int)(slash - argv0), argv0);
			if (!server_config_is_directory(fallback)) {
				free(fallback);
				continue;
			}
			item = fallback;
		} else {
			item = alloc_strdup(item);
		}
		if (count + 1 >= capacity) {
			capacity *= 2;
			list = alloc_resize(list, capacity, sizeof(char *));
		}
		list[count++] = item;
	}
	list[count] = NULL;
	settings_list_free(&items);
	return list;
}

void
server_config_free_list(char ***list_p)
{
	settings_list_free(list_p);
}

const char *
server_config_default_path(void)
{
	const char *path = getenv("SLUICE_CONFIG");

	return path != NULL && *path != '\0' ? path :
	    SLUICE_SYSCONFDIR "/sluice/sluice.conf";
}
