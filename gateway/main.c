/*
 * NAME
 *	sluiced - the sluice mail gateway daemon
 *
 * SYNOPSIS
 *	sluiced [-f] [-t] [-c FILE]
 *
 * DESCRIPTION
 *	sluiced accepts mail over SMTP for the domains in its users
 *	database and for relay.domains, resolving each recipient through
 *	aliases, catch-alls and relay verification (gateway/routing.h),
 *	writes each accepted message durably to its spool before
 *	answering 250, and delivers it into the recipients' Maildirs or on
 *	to the next hop, retrying temporary failures and returning DSNs
 *	(gateway/queue.h). With lmtp.listen set it also takes mail for
 *	local users over LMTP (mailstore/lmtp_server.h), delivering into
 *	their Maildirs before it answers each recipient. With imap.listen
 *	or imaps.listen set it serves those Maildirs over IMAP4rev1
 *	(mailstore/imap_server.h), and with pop3.listen or pop3s.listen
 *	their INBOX over POP3 (mailstore/pop3_server.h); logins are slowed
 *	down and banned after failures (auth.*), and need TLS outside
 *	auth.plaintext_networks. Deliveries respect each user's quota
 *	(`sluice user quota`).
 *
 *	-c FILE	configuration file (default $SLUICE_CONFIG, else
 *		SYSCONFDIR/sluice/sluice.conf)
 *	-f	stay in the foreground and log to stderr (default: detach
 *		once listening, log to syslog with facility mail)
 *	-t	check the configuration and exit
 *
 *	Started as root, sluiced binds its listeners, loads its TLS key,
 *	writes its pid file, then switches to `user` before it opens any
 *	store, compiles its rules (rules.dirs) or accepts any connection.
 *	Rules that cannot be read leave it running without them (a
 *	warning says so).
 *
 * SIGNALS
 *	TERM, INT	stop accepting; idle sessions get 421 4.3.2; sessions
 *			in DATA (LMTP: in a transaction) finish their message
 *			(up to shutdown_timeout);
 *			running deliveries finish; exit 0.
 *	HUP		reload sluice.conf: limits, log level, TLS certificate,
 *			relay domains and their destinations, lmtp.networks
 *			(for new LMTP sessions), imap.*, pop3.* and
 *			auth.plaintext_networks (for new IMAP and POP3
 *			sessions).
 *			Listener addresses need a restart (a warning says so).
 *			Then rebuild the rule set in the background; it
 *			replaces the running one only if it brings no new
 *			error (a broken rule file keeps the working set).
 *			Routing for queued mail follows the new settings.
 *	USR1		rescan the queue now: pick up what `sluice queue`
 *			changed (held, released, deleted, flushed messages)
 *			and messages put into the spool from outside.
 *
 * CONFIGURATION
 *	All keys, defaults and bounds are in gateway/server_config.c;
 *	`sluice config defaults` prints them with their help.
 */
#include "lib/alloc.h"
#include "lib/durable_file.h"
#include "lib/error.h"
#include "lib/log.h"
#include "gateway/client_limits.h"
#include "gateway/listener.h"
#include "gateway/queue.h"
#include "gateway/routing.h"
#include "gateway/rules_loader.h"
#include "gateway/scan.h"
#include "gateway/server.h"
#include "gateway/smtp_session.h"
#include "gateway/spool.h"
#include "gateway/state_dir.h"
#include "mailstore/auth_throttle.h"
#include "mailstore/auth_verify.h"
#include "mailstore/imap_server.h"
#include "mailstore/pop3_server.h"
#include "mailstore/lmtp_server.h"
#include "mailstore/mailbox_notify.h"
#include "mailstore/mailbox_quota.h"
#include "mailstore/user_accounts.h"
#include "lib/network_list.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static struct server server;
static struct loop_timer *shutdown_timer;
static struct loop_signal *signal_term, *signal_int, *signal_hup;
static struct loop_signal *signal_usr1;
static struct rules_loader *rules_loader;
static struct lmtp_server *lmtp_server;
/* IMAP and POP3, and what their logins share. */
static struct imap_server *imap_server;
static struct pop3_server *pop3_server;
static struct auth_verify *auth_verify;
static struct auth_throttle *auth_throttle;
static struct network_list *plaintext_networks;
static int ready_fd = -1;

static ATTR_NORETURN void
usage(FILE *out, int status)
{
	fprintf(out, "usage: sluiced [-f] [-t] [-c FILE]\n"
	    "  -c FILE  configuration (default %s)\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -t       check the configuration and exit\n",
	    server_config_default_path());
	exit(status);
}

/* Detaches, keeping the parent until the child reports readiness, so a
 * start-up failure still reaches the terminal and the exit code. */
static void
daemonize(void)
{
	int pipe_fds[2], devnull;
	char status;
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		log_fatal("pipe");
	pid = fork();
	if (pid < 0)
		log_fatal("fork");
	if (pid > 0) {
		close(pipe_fds[1]);
		if (read(pipe_fds[0], &status, 1) != 1)
			exit(1); /* the child logged why */
		exit(0);
	}
	close(pipe_fds[0]);
	ready_fd = pipe_fds[1];
	if (setsid() < 0)
		log_fatal("setsid");
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
}

static void
report_ready(void)
{
	if (ready_fd >= 0) {
		if (write(ready_fd, "1", 1) != 1)
			log_warn("event=ready_report_failed");
		close(ready_fd);
		ready_fd = -1;
	}
}

/* Sessions, listeners, spool and Maildir files all take descriptors:
 * use every one the hard limit allows (the usual soft limit of 1024 is
 * far below smtp.max_connections). */
static void
raise_file_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) < 0 ||
	    limit.rlim_cur == limit.rlim_max)
		return;
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
		log_warn("event=file_limit_not_raised error=%s",
		    strerror(errno));
}

static void
check_not_running(const char *pid_file)
{
	char text[32];
	ssize_t n;
	long pid;
	int fd;

	fd = open(pid_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	pid = strtol(text, NULL, 10);
	if (pid > 1 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
		log_fatalx("event=start_failed reason=already_running pid=%ld "
		    "pid_file=%s", pid, pid_file);
}

/* Writes the pid file through a descriptor we created (O_EXCL,
 * O_NOFOLLOW), so its owner and mode are set on that very file, never on
 * whatever a symlink planted in a user-writable directory points to. */
static void
write_pid_file(const char *pid_file, uid_t uid, gid_t gid)
{
	char text[32], *tmp = alloc_printf("%s.tmp", pid_file);
	int length = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	int fd;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		log_fatal("event=start_failed pid_file=%s", tmp);
	if (write(fd, text, (size_t)length) != length ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) ||
	    fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0)
		log_fatal("event=start_failed pid_file=%s", tmp);
	/* No directory sync: after a crash a stale pid file is harmless
	 * (check_not_running looks for a live process). */
	if (rename(tmp, pid_file) < 0)
		log_fatal("event=start_failed pid_file=%s", pid_file);
	free(tmp);
}

static void
drop_privileges(uid_t uid, gid_t gid, const char *user)
{
	if (uid == (uid_t)-1)
		return;
	if (initgroups(user, gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		log_fatal("event=start_failed reason=drop_privileges user=%s",
		    user);
	if (setuid(0) == 0)
		log_fatalx("event=start_failed reason=could_regain_root");
	log_info("event=privileges_dropped user=%s uid=%ld", user, (long)uid);
}

/* No SMTP, LMTP, IMAP or POP3 session is left. */
static bool
server_idle(const struct server *s)
{
	return s->sessions == NULL && (lmtp_server == NULL ||
	    lmtp_server_session_count(lmtp_server) == 0) &&
	    (imap_server == NULL ||
	    imap_server_session_count(imap_server) == 0) &&
	    (pop3_server == NULL ||
	    pop3_server_session_count(pop3_server) == 0);
}

void
server_session_gone(struct server *s)
{
	if (s->stopping && server_idle(s))
		loop_stop(s->loop);
}

/* An LMTP session has ended: free its listener slot. */
static void
lmtp_session_closed(void *tag, void *context)
{
	listener_connection_closed(tag);
	server_session_gone(context);
}

static void
lmtp_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	(void)context;
	lmtp_server_accept(lmtp_server, fd, peer, listener);
}

/* An IMAP or POP3 session has ended: free its listener slot. */
static void
mail_session_closed(void *context)
{
	listener_connection_closed(context);
	server_session_gone(&server);
}

/* Whether peer may send a password without TLS (auth.plaintext_networks;
 * a unix socket always may). */
static bool
plaintext_auth_allowed(const char *peer)
{
	return strcmp(peer, "unix") == 0 ||
	    network_list_contains(plaintext_networks, peer);
}

static void
imap_accept_any(struct listener *listener, int fd, const char *peer,
    bool implicit_tls)
{
	imap_server_accept(imap_server, fd, peer, implicit_tls,
	    plaintext_auth_allowed(peer), mail_session_closed, listener);
}

static void
imap_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	(void)context;
	imap_accept_any(listener, fd, peer, false);
}

static void
imaps_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	(void)context;
	imap_accept_any(listener, fd, peer, true);
}

static void
pop3_accept_any(struct listener *listener, int fd, const char *peer,
    bool implicit_tls)
{
	pop3_server_accept(pop3_server, fd, peer, implicit_tls,
	    plaintext_auth_allowed(peer), mail_session_closed, listener);
}

static void
pop3_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	(void)context;
	pop3_accept_any(listener, fd, peer, false);
}

static void
pop3s_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	(void)context;
	pop3_accept_any(listener, fd, peer, true);
}

static struct pop3_server_settings
pop3_settings_of(const struct server_config *config)
{
	struct pop3_server_settings settings = {
		.mail_root = server.mail_root,
		.timeout_seconds = (unsigned)config->pop3->timeout,
		.max_bad_commands = POP3_SERVER_MAX_BAD_COMMANDS,
	};

	return settings;
}

static bool
pop3_enabled(const struct server_config *config)
{
	return config->pop3->listen[0] != '\0' ||
	    config->pop3->pop3s_listen[0] != '\0';
}

static bool
imap_enabled(const struct server_config *config)
{
	return config->imap->listen[0] != '\0' ||
	    config->imap->imaps_listen[0] != '\0';
}

static struct imap_server_settings
imap_settings_of(const struct server_config *config, const char *accounts)
{
	struct imap_server_settings settings = {
		.hostname = config->hostname,
		.mail_root = server.mail_root,
		.accounts_path = accounts,
		.limits = {
			.literal_max = (size_t)config->imap->max_literal_size,
		},
		.idle_timeout_seconds = (unsigned)config->imap->idle_timeout,
		.login_timeout_seconds = (unsigned)config->imap->login_timeout,
		.max_bad_commands = (unsigned)config->imap->max_bad_commands,
		.idle_poll_seconds = (unsigned)config->imap->idle_poll,
	};

	return settings;
}

static void
mail_server_stopped(void *context)
{
	server_session_gone(context);
}

static int
lmtp_quota_check(void *context, const char *mailbox, uint64_t size,
    const char **error_r)
{
	return mailbox_quota_check(context, mailbox, size, error_r);
}

/* LMTP takes smtp.*'s limits: both are doors into the same mailstore. */
static struct lmtp_server_settings
lmtp_settings_of(const struct server_config *config)
{
	struct lmtp_server_settings settings = {
		.loop = server.loop,
		.io_workers = server.io_workers,
		.mail_root = server.mail_root,
		.notify = server.notify,
		.hostname = config->hostname,
		.networks = config->lmtp->networks,
		.limits = {
			.max_message_size = config->smtp->max_message_size,
			.max_recipients = (unsigned)config->smtp->max_recipients,
			.max_errors = (unsigned)config->smtp->max_errors,
			.timeout = (unsigned)config->smtp->timeout,
			.timeout_data_block =
			    (unsigned)config->smtp->timeout_data_block,
			.line_limit = (size_t)config->smtp->line_limit,
		},
		.tls = server.tls,
		.quota_check = lmtp_quota_check,
		.quota_context = server.quota,
		.session_closed = lmtp_session_closed,
		.context = &server,
	};

	return settings;
}

static void
shutdown_deadline(void *context)
{
	(void)context;
	log_warn("event=shutdown_deadline sessions_cut=yes");
	smtp_session_abort_all(&server);
	if (lmtp_server != NULL)
		lmtp_server_abort(lmtp_server);
	if (imap_server != NULL)
		imap_server_abort(imap_server);
	if (pop3_server != NULL)
		pop3_server_abort(pop3_server);
	loop_stop(server.loop);
}

static void
server_stop(int signo, void *context)
{
	(void)context;
	if (server.stopping) {
		log_info("event=stop_again signal=%d action=abort", signo);
		shutdown_deadline(NULL);
		return;
	}
	log_info("event=stopping signal=%d", signo);
	server.stopping = true;
	listener_stop_all(server.listeners);
	queue_stop(server.queue);
	smtp_session_shutdown_all(&server);
	if (lmtp_server != NULL)
		lmtp_server_stop(lmtp_server);
	if (imap_server != NULL)
		imap_server_stop(imap_server, mail_server_stopped, &server);
	if (pop3_server != NULL)
		pop3_server_stop(pop3_server, mail_server_stopped, &server);
	if (server_idle(&server)) {
		loop_stop(server.loop);
		return;
	}
	loop_timer_start(shutdown_timer,
	    (uint64_t)server.config->core->shutdown_timeout * 1000);
}

static struct client_limits_settings
client_limits_settings_of(const struct server_config *config)
{
	struct client_limits_settings settings = {
		.max_connections =
		    (unsigned)config->smtp->max_connections_per_ip,
		.connections_per_minute =
		    (unsigned)config->smtp->connection_rate_per_ip,
		.exempt = config->smtp->limits_exempt,
	};

	return settings;
}

static struct tls_context *
load_tls(const struct server_config *config)
{
	struct tls_context *tls;
	const char *error;

	if (config->tls->cert[0] == '\0')
		return NULL;
	tls = tls_context_new_server(config->tls->cert, config->tls->key,
	    &error);
	if (tls == NULL)
		log_fatalx("event=start_failed error=%s", error);
	return tls;
}

/* Reloads sluice.conf. A config that does not load changes nothing. A
 * certificate that cannot be read (after the privilege drop the key must
 * be readable by `user`) keeps the current one; the rest still applies. */
static void
server_reload_config(void)
{
	struct server_config *config;
	struct client_limits_settings limits;
	struct tls_context *tls = NULL;
	struct routing *routing;
	const char *error;
	bool keep_tls = false;

	config = server_config_load(server.config->path, &error);
	if (config == NULL) {
		log_error("event=reload_failed error=%s", error);
		return;
	}
	if (routing_new(config, &routing, &error) < 0) {
		log_error("event=reload_failed error=%s", error);
		server_config_unref(&config);
		return;
	}
	/* Jobs in flight keep the router they started with. */
	routing_unref(&server.routing);
	server.routing = routing;
	if (config->tls->cert[0] != '\0') {
		tls = tls_context_new_server(config->tls->cert, config->tls->key,
		    &error);
		if (tls == NULL) {
			log_warn("event=reload_partial key=tls.cert "
			    "reason=keeping_current_certificate error=%s",
			    error);
			keep_tls = server.tls != NULL;
		}
	}
	if (strcmp(config->smtp->listen, server.config->smtp->listen) != 0)
		log_warn("event=reload_partial key=smtp.listen "
		    "reason=restart_needed");
	if (strcmp(config->lmtp->listen, server.config->lmtp->listen) != 0)
		log_warn("event=reload_partial key=lmtp.listen "
		    "reason=restart_needed");
	if (strcmp(config->imap->listen, server.config->imap->listen) != 0 ||
	    strcmp(config->imap->imaps_listen,
	    server.config->imap->imaps_listen) != 0)
		log_warn("event=reload_partial key=imap.listen "
		    "reason=restart_needed");
	if (strcmp(config->pop3->listen, server.config->pop3->listen) != 0 ||
	    strcmp(config->pop3->pop3s_listen,
	    server.config->pop3->pop3s_listen) != 0)
		log_warn("event=reload_partial key=pop3.listen "
		    "reason=restart_needed");
	if (strcmp(config->core->state_dir, server.config->core->state_dir) != 0)
		log_warn("event=reload_partial key=state_dir "
		    "reason=restart_needed");
	if (!keep_tls) {
		tls_context_unref(&server.tls);
		server.tls = tls;
	}
	server_config_unref(&server.config);
	server.config = config;
	log_set_level((enum log_level)config->core->log_level);
	listener_set_max_connections(server.listeners, "smtp",
	    (unsigned)config->smtp->max_connections);
	listener_set_max_connections(server.listeners, "lmtp",
	    (unsigned)config->lmtp->max_connections);
	listener_set_max_connections(server.listeners, "pop3",
	    (unsigned)config->pop3->max_connections);
	listener_set_max_connections(server.listeners, "pop3s",
	    (unsigned)config->pop3->max_connections);
	if (lmtp_server != NULL) {
		struct lmtp_server_settings settings = lmtp_settings_of(config);

		/* The config checked lmtp.networks already. */
		if (lmtp_server_reload(lmtp_server, &settings, &error) < 0)
			log_warn("event=reload_partial key=lmtp error=%s",
			    error);
	}
	if (imap_server != NULL) {
		char *accounts = state_dir_accounts_path(config);
		struct imap_server_settings settings =
		    imap_settings_of(config, accounts);

		imap_server_set_settings(imap_server, &settings);
		imap_server_set_tls(imap_server, server.tls);
		free(accounts);
	}
	if (pop3_server != NULL) {
		struct pop3_server_settings settings = pop3_settings_of(config);

		pop3_server_set_settings(pop3_server, &settings);
		pop3_server_set_tls(pop3_server, server.tls);
	}
	if (auth_verify != NULL) {
		struct network_list *networks;

		/* The config checked the list already. */
		if (network_list_parse(config->imap->plaintext_networks,
		    &networks, &error) == 0) {
			network_list_free(&plaintext_networks);
			plaintext_networks = networks;
		}
	}
	limits = client_limits_settings_of(config);
	if (client_limits_configure(server.client_limits, &limits, &error) < 0)
		log_warn("event=reload_partial key=smtp.limits_exempt error=%s",
		    error);
	queue_reload(server.queue);
	log_info("event=reloaded config=%s", config->path);
}

/* SIGUSR1 (`sluice queue` changed the spool): rescan the queue. */
static void
server_queue_rescan(int signo, void *context)
{
	(void)signo;
	(void)context;
	queue_rescan(server.queue);
}

/* SIGHUP: the config, then the rules (with the config now in force, the
 * old one if the new one did not load: edited rules still apply). */
static void
server_reload(int signo, void *context)
{
	(void)signo;
	(void)context;
	server_reload_config();
	rules_loader_reload(rules_loader);
}

int
main(int argc, char **argv)
{
	const char *config_path = server_config_default_path(), *error;
	bool foreground = false, check_only = false;
	struct server_config *config;
	uid_t uid;
	gid_t gid;
	int opt;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	while ((opt = getopt(argc, argv, "c:fth")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			check_only = true;
			break;
		case 'h':
			usage(stdout, 0);
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);

	log_open("sluiced", LOG_TARGET_STDERR);
	config = server_config_load(config_path, &error);
	if (config == NULL)
		log_fatalx("event=start_failed error=%s", error);
	if (check_only) {
		printf("%s: ok\n", config_path);
		return 0;
	}
	log_set_level((enum log_level)config->core->log_level);
	if (state_dir_owner(config, &uid, &gid, &error) < 0 ||
	    state_dir_prepare(config, uid, gid, &error) < 0)
		log_fatalx("event=start_failed error=%s", error);
	check_not_running(config->pid_file);
	if (!foreground) {
		daemonize();
		log_open("sluiced", LOG_TARGET_SYSLOG);
	}
	signal(SIGPIPE, SIG_IGN);
	raise_file_limit();

	server.config = config;
	server.loop = loop_new();
	{
		struct client_limits_settings limits =
		    client_limits_settings_of(config);
		server.client_limits = client_limits_new(&limits);
	}
	server.tls = load_tls(config);
	if (config->smtp->listen[0] != '\0' &&
	    listener_open(server.loop, config->smtp->listen, "smtp",
	    (unsigned)config->smtp->max_connections, uid, gid,
	    smtp_session_accept, &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=smtp.listen %s", error);
	if (config->lmtp->listen[0] != '\0' &&
	    listener_open(server.loop, config->lmtp->listen, "lmtp",
	    (unsigned)config->lmtp->max_connections, uid, gid, lmtp_accept,
	    &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=lmtp.listen %s", error);
	if (config->imap->listen[0] != '\0' &&
	    listener_open(server.loop, config->imap->listen, "imap",
	    (unsigned)config->imap->max_connections, uid, gid, imap_accept,
	    &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=imap.listen %s", error);
	if (config->imap->imaps_listen[0] != '\0' &&
	    listener_open(server.loop, config->imap->imaps_listen, "imaps",
	    (unsigned)config->imap->max_connections, uid, gid, imaps_accept,
	    &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=imaps.listen %s", error);
	if (config->pop3->listen[0] != '\0' &&
	    listener_open(server.loop, config->pop3->listen, "pop3",
	    (unsigned)config->pop3->max_connections, uid, gid, pop3_accept,
	    &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=pop3.listen %s", error);
	if (config->pop3->pop3s_listen[0] != '\0' &&
	    listener_open(server.loop, config->pop3->pop3s_listen, "pop3s",
	    (unsigned)config->pop3->max_connections, uid, gid, pop3s_accept,
	    &server, &server.listeners, &error) < 0)
		log_fatalx("event=start_failed error=pop3s.listen %s", error);
	if (server.listeners == NULL)
		log_warn("event=no_listeners hint=set smtp.listen");
	write_pid_file(config->pid_file, uid, gid);
	drop_privileges(uid, gid, config->core->user);

	/* From here on we never run as root. */
	{
		char *accounts_path = state_dir_accounts_path(config);
		if (user_accounts_open(accounts_path, &server.accounts,
		    &error) < 0)
			log_fatalx("event=start_failed error=%s", error);
		free(accounts_path);
	}
	if (routing_new(config, &server.routing, &error) < 0)
		log_fatalx("event=start_failed error=%s", error);
	if (spool_open(config->core->state_dir, &server.spool, &error) < 0)
		log_fatalx("event=start_failed error=%s", error);
	server.mail_root = server_config_state_path(config, "mail");
	server.notify = mailbox_notify_new(server.loop);
	{
		char *accounts = state_dir_accounts_path(config);

		if (mailbox_quota_new(accounts, server.mail_root, &server.quota,
		    &error) < 0)
			log_fatalx("event=start_failed error=%s", error);
		free(accounts);
	}
	server.workers = worker_pool_new(server.loop,
	    (unsigned)config->core->workers);
	server.io_workers = worker_pool_new(server.loop,
	    (unsigned)config->core->io_workers);
	server.queue = queue_new(&server);
	if (queue_recover(server.queue, &error) < 0)
		log_fatalx("event=start_failed error=%s", error);
	rules_loader = rules_loader_new(&server, argv[0]);
	if (config->lmtp->listen[0] != '\0') {
		struct lmtp_server_settings settings = lmtp_settings_of(config);
		char *accounts_path = state_dir_accounts_path(config);

		settings.database_path = accounts_path;
		if (lmtp_server_new(&settings, &lmtp_server, &error) < 0)
			log_fatalx("event=start_failed error=%s", error);
		free(accounts_path);
	}

	if (imap_enabled(config) || pop3_enabled(config)) {
		char *accounts = state_dir_accounts_path(config);

		if (auth_verify_new(accounts, &auth_verify, &error) < 0 ||
		    network_list_parse(config->imap->plaintext_networks,
		    &plaintext_networks, &error) < 0)
			log_fatalx("event=start_failed error=%s", error);
		auth_throttle = auth_throttle_new(config->auth);
		free(accounts);
	}
	if (imap_enabled(config)) {
		char *accounts = state_dir_accounts_path(config);
		struct imap_server_settings settings =
		    imap_settings_of(config, accounts);

		imap_server = imap_server_new(server.loop, server.io_workers,
		    server.notify, auth_verify, auth_throttle, &settings);
		imap_server_set_tls(imap_server, server.tls);
		free(accounts);
	}
	if (pop3_enabled(config)) {
		struct pop3_server_settings settings = pop3_settings_of(config);

		pop3_server = pop3_server_new(server.loop, server.io_workers,
		    server.notify, auth_verify, auth_throttle, &settings);
		pop3_server_set_tls(pop3_server, server.tls);
	}

	shutdown_timer = loop_timer_new(server.loop, shutdown_deadline, NULL);
	signal_term = loop_signal_new(server.loop, SIGTERM, server_stop, NULL);
	signal_int = loop_signal_new(server.loop, SIGINT, server_stop, NULL);
	signal_hup = loop_signal_new(server.loop, SIGHUP, server_reload, NULL);
	signal_usr1 = loop_signal_new(server.loop, SIGUSR1, server_queue_rescan,
	    NULL);

	log_info("event=started version=%s hostname=%s state_dir=%s "
	    "workers=%u io_workers=%u", PACKAGE_VERSION,
	    server.config->hostname, server.config->core->state_dir,
	    worker_pool_threads(server.workers),
	    worker_pool_threads(server.io_workers));
	report_ready();
	if (loop_run(server.loop) < 0)
		log_error("event=loop_failed");

	/* Finish what is in flight: scans, then disk jobs (spool writes
	 * answer their sessions, deliveries complete). */
	smtp_session_abort_all(&server);
	if (lmtp_server != NULL)
		lmtp_server_abort(lmtp_server);
	if (imap_server != NULL)
		imap_server_abort(imap_server);
	if (pop3_server != NULL)
		pop3_server_abort(pop3_server);
	rules_loader_free(&rules_loader); /* a build in flight is dropped */
	worker_pool_free(&server.workers);
	worker_pool_free(&server.io_workers);
	/* After the io workers (no delivery job left), before the
	 * listeners its sessions report to. */
	lmtp_server_free(&lmtp_server);
	imap_server_free(&imap_server);
	pop3_server_free(&pop3_server);
	auth_verify_free(&auth_verify);
	auth_throttle_free(&auth_throttle);
	network_list_free(&plaintext_networks);
	queue_free(&server.queue);
	listener_free_all(&server.listeners);
	loop_timer_free(&shutdown_timer);
	loop_signal_free(&signal_term);
	loop_signal_free(&signal_int);
	loop_signal_free(&signal_hup);
	loop_signal_free(&signal_usr1);
	user_accounts_close(&server.accounts);
	routing_unref(&server.routing);
	spool_close(&server.spool);
	client_limits_free(&server.client_limits);
	tls_context_unref(&server.tls);
	scan_engine_unref(&server.scan_engine);
	if (unlink(server.config->pid_file) < 0 && errno != ENOENT)
		log_warn("event=pid_file_remove_failed error=%s",
		    strerror(errno));
	mailbox_notify_free(&server.notify);
	mailbox_quota_free(&server.quota);
	free(server.mail_root);
	log_info("event=stopped");
	server_config_unref(&server.config);
	loop_free(&server.loop);
	return 0;
}
