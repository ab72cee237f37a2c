/* server_config.h: the settings tables of sluiced and their loading.
 *
 * One struct server_config is one loaded sluice.conf: the generic
 * struct settings plus typed views of each section. It is immutable once
 * loaded, refcounted, and read from any thread; SIGHUP loads a new one
 * and swaps it (sessions keep the one they started with). The CLI loads
 * the same tables, so `sluice config check` sees exactly what sluiced
 * sees. */
#ifndef SLUICE_SERVER_CONFIG_H
#define SLUICE_SERVER_CONFIG_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/settings.h"
#include "gateway/smtp_client.h"

struct core_settings {
	char *hostname;
	char *state_dir;
	char *user;
	char *pid_file;
	int log_level;
	int64_t workers;
	int64_t io_workers;
	int64_t shutdown_timeout;
};

enum smtp_bare_newline {
	SMTP_BARE_NEWLINE_REJECT,
	SMTP_BARE_NEWLINE_ACCEPT,
};

struct smtp_settings {
	char *listen;
	uint64_t max_message_size;
	int64_t max_connections;
	int64_t max_recipients;
	int64_t max_errors;
	int64_t line_limit;
	int64_t timeout;
	int64_t timeout_data_block;
	int64_t session_max_seconds;
	int64_t max_connections_per_ip;
	int64_t connection_rate_per_ip;
	int64_t max_messages_per_connection;
	char *limits_exempt;
	int bare_newline;
	char *banner;
};

/* The LMTP server (mailstore/lmtp_server.h); its limits are smtp.*'s. */
struct lmtp_settings {
	char *listen;
	int64_t max_connections;
	char *networks;
};

/* The IMAP server (mailstore/imap_server.h). */
struct imap_settings {
	char *listen;
	char *imaps_listen;
	int64_t max_connections;
	int64_t idle_timeout;
	int64_t login_timeout;
	int64_t idle_poll;
	uint64_t max_literal_size;
	int64_t max_bad_commands;
	/* auth.plaintext_networks: peers that may send passwords without
	 * TLS (IMAP, POP3). */
	char *plaintext_networks;
};

/* The POP3 server (mailstore/pop3_server.h); logins share auth.* and
 * auth.plaintext_networks with IMAP. */
struct pop3_settings {
	char *listen;
	char *pop3s_listen;
	int64_t max_connections;
	int64_t timeout;
};

struct tls_settings {
	char *cert;
	char *key;
};

struct queue_settings {
	int64_t retry_min;
	int64_t retry_max;
	int64_t lifetime;
	int64_t delay_warning;
	int64_t max_deliveries;
	int64_t max_per_destination;
	uint64_t bounce_size_limit;
	bool direct_delivery;
};

struct rules_settings {
	char *dirs;
	int64_t score_set;
};

/* How recipients in a relay domain are checked at RCPT time. */
enum relay_verify {
	RELAY_VERIFY_ACCEPT, /* every address */
	RELAY_VERIFY_LIST,   /* the relay recipients list only */
	RELAY_VERIFY_PROBE,  /* ask the downstream server, cache answers */
};

struct relay_settings {
	char *domains;
	char *host;
	struct settings_map transport;     /* relay.transport.DOMAIN */
	int tls;                           /* enum smtp_client_tls */
	int verify;                        /* enum relay_verify */
	struct settings_map verify_domain; /* relay.verify.DOMAIN */
	int64_t verify_positive_ttl;
	int64_t verify_negative_ttl;
};

/* One relay domain with everything relay.* says about it. */
struct relay_route {
	const char *domain;                /* lowercased */
	struct smtp_client_destination destination; /* tls from relay.tls */
	enum relay_verify verify;
};

struct server_config {
	struct settings *settings;
	const struct core_settings *core;
	const struct smtp_settings *smtp;
	const struct lmtp_settings *lmtp;
	const struct imap_settings *imap;
	const struct pop3_settings *pop3;
	const struct auth_throttle_settings *auth;
	const struct tls_settings *tls;
	const struct queue_settings *queue;
	const struct rules_settings *rules;
	const struct relay_settings *relay;
	/* relay.domains with their destinations and verification, sorted
	 * by domain; strings in arena. */
	struct relay_route *relay_routes;
	size_t relay_route_count;
	struct arena *arena;  /* what the config derives from the settings */
	char *path;         /* the file it came from */
	char *hostname;     /* core.hostname, or the system's name */
	char *pid_file;     /* core.pid_file or STATE_DIR/sluiced.pid */
	int refcount;
};

/* Loads and cross-checks path. Returns NULL with error_r (one line). */
struct server_config *server_config_load(const char *path,
    const char **error_r);

/* Defaults only, for `sluice init` and documentation. */
struct server_config *server_config_defaults(void);

void server_config_ref(struct server_config *config);
void server_config_unref(struct server_config **config_p);

/* The route of relay domain domain (any case), or NULL when domain is
 * not in relay.domains. Binary search; any thread. */
const struct relay_route *server_config_relay_route(
    const struct server_config *config, const char *domain);

/* STATE_DIR/relative as a new heap string. */
char *server_config_state_path(const struct server_config *config,
    const char *relative);

/* rules.dirs as a list of existing directories (heap array of heap
 * strings, NULL-terminated; free with server_config_free_list). A
 * directory that does not exist is skipped, except that the shipped
 * rules directory falls back to share/rules next to the running binary's
 * source tree (running from a build tree without `make install`). */
char **server_config_rule_dirs(const struct server_config *config,
    const char *argv0);
void server_config_free_list(char ***list_p);

/* The default config file: $SLUICE_CONFIG or SYSCONFDIR/sluice/sluice.conf. */
const char *server_config_default_path(void);

#endif
