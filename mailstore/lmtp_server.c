/* lmtp_server.c: LMTP sessions: access check, command table, DATA,
 * per-recipient delivery on an io worker and per-recipient replies.
 *
 * DESIGN: the session follows gateway/smtp_session.c. Input is consumed
 * one command at a time, so pipelined bytes stay in the connection
 * buffer while a command waits for a worker job (`waiting` stops the
 * input loop; lmtp_server_session_resume() restarts it). Replies collect
 * in `output` and go out once per input batch. The transaction (envelope,
 * recipients, message) lives in its own arena, freed at RSET, at the end
 * of DATA and with the session. The end of DATA hands the transaction
 * to one io worker job that, for each distinct mailbox in RCPT order,
 * asks the quota callback and then delivers with local_delivery (which
 * fsyncs); only its completion on the loop writes the replies, one per
 * accepted RCPT (a repeated mailbox shares the first one's outcome, so
 * the message lands once). Sessions hold a reference on the config they
 * started with, so a reload never changes a session under its feet. */
#include "mailstore/lmtp_server.h"
#include "mailstore/local_delivery.h"
#include "mailstore/user_accounts.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/connection.h"
#include "lib/error.h"
#include "lib/line_reader.h"
#include "lib/log.h"
#include "lib/network_list.h"
#include "lib/settings.h"
#include "lib/smtp_command_parser.h"
#include "lib/smtp_data_reader.h"
#include "lib/smtp_reply.h"

#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Stop parsing pipelined commands while this much output is unread. */
#define LMTP_SERVER_OUTPUT_HIGH_WATER (128 * 1024)
/* A client that does not read our last reply is cut off after this. */
#define LMTP_SERVER_CLOSE_DEADLINE_MSEC (10 * 1000)

/* What sessions see; immutable and refcounted (reload swaps it). */
struct lmtp_server_config {
	int refcount;
	char *hostname;
	struct network_list *networks;
	struct lmtp_server_limits limits; /* defaults filled in */
	struct tls_context *tls;
	int (*quota_check)(void *context, const char *mailbox, uint64_t size,
	    const char **error_r);
	void *quota_context;
};

struct lmtp_server {
	struct loop *loop;
	struct worker_pool *io_workers;
	struct user_accounts *accounts;
	char *mail_root;
	struct mailbox_notify *notify;
	struct lmtp_server_config *config;
	void (*session_closed)(void *tag, void *context);
	void *context;
	struct lmtp_server_session *sessions;
	size_t session_count;
	bool stopping;
};

enum lmtp_server_state {
	LMTP_SERVER_STATE_GREETING, /* banner sent, no LHLO yet */
	LMTP_SERVER_STATE_READY,    /* LHLO done, no transaction */
	LMTP_SERVER_STATE_MAIL,     /* MAIL accepted */
	LMTP_SERVER_STATE_RCPT,     /* at least one RCPT accepted */
	LMTP_SERVER_STATE_DATA,     /* reading the message */
	LMTP_SERVER_STATE_CLOSING,  /* QUIT or 421: flushing, then gone */
};

enum lmtp_server_outcome {
	LMTP_SERVER_DELIVERED,
	LMTP_SERVER_OVER_QUOTA,
	LMTP_SERVER_FAILED,
};

struct lmtp_server_recipient {
	const char *address;   /* as the client sent it */
	const char *mailbox;   /* canonical user@domain */
	size_t first;          /* index of the first RCPT of this mailbox */
	enum lmtp_server_outcome outcome;
	const char *error;     /* transaction arena; FAILED, OVER_QUOTA */
};

struct lmtp_server_transaction {
	struct arena *arena;
	char id[64];
	const char *mail_from;
	uint64_t declared_size;   /* MAIL SIZE=, 0 when not given */
	bool smtputf8;
	struct lmtp_server_recipient *recipients;
	size_t recipient_count;
	size_t recipient_capacity;
	struct buffer message;    /* Received header + the client's bytes */
	struct smtp_data_reader *data_reader;
	uint64_t size;            /* the client's bytes (DATA) */
	unsigned flags;           /* smtp_data_reader flags */
};

struct lmtp_server_session {
	struct lmtp_server_session *next, *prev;
	struct lmtp_server *server;
	struct lmtp_server_config *config; /* ref held */
	struct arena *arena;               /* connection lifetime */
	struct connection *connection;
	struct line_reader *line_reader;
	struct loop_timer *idle_timer;
	struct buffer output;
	char *line;                        /* copy of the current command */
	char id[24];
	const char *peer;
	void *tag;
	char *lhlo;                        /* heap; replaced by each LHLO */
	enum lmtp_server_state state;
	struct lmtp_server_transaction *transaction;
	unsigned errors;
	unsigned messages;
	bool tls;
	bool waiting;         /* a job is in flight: input paused */
	bool connection_gone; /* dropped while waiting: free in done() */
	bool stop_requested;  /* server stopping: 421 after this transaction */
	bool output_blocked;  /* client not reading our replies */
};

struct lmtp_server_command {
	const char *verb;
	void (*run)(struct lmtp_server_session *session,
	    struct string_view arguments);
	bool before_lhlo;
};

static void lmtp_server_session_process_input(
    struct lmtp_server_session *session);
static void lmtp_server_session_free(struct lmtp_server_session *session);

/* Configuration. */

/* An empty lmtp.networks means the default list. */
static int
lmtp_server_parse_networks(const char *text, struct network_list **list_r,
    const char **error_r)
{
	return network_list_parse(text == NULL || *text == '\0' ?
	    LMTP_SERVER_DEFAULT_NETWORKS : text, list_r, error_r);
}

int
lmtp_server_check_networks(const char *networks, const char **error_r)
{
	struct network_list *parsed;

	if (lmtp_server_parse_networks(networks, &parsed, error_r) < 0)
		return -1;
	network_list_free(&parsed);
	return 0;
}

static struct lmtp_server_config *
lmtp_server_config_new(const struct lmtp_server_settings *settings,
    const char **error_r)
{
	struct lmtp_server_config *config;
	struct network_list *networks;
	struct lmtp_server_limits *limits;

	if (lmtp_server_parse_networks(settings->networks, &networks,
	    error_r) < 0)
		return NULL;
	config = alloc_new(struct lmtp_server_config);
	config->refcount = 1;
	config->hostname = alloc_strdup(settings->hostname != NULL &&
	    settings->hostname[0] != '\0' ? settings->hostname : "localhost");
	config->networks = networks;
	config->limits = settings->limits;
	limits = &config->limits;
	if (limits->max_message_size == 0)
		limits->max_message_size = LMTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE;
	if (limits->max_recipients == 0)
		limits->max_recipients = LMTP_SERVER_DEFAULT_MAX_RECIPIENTS;
	if (limits->max_errors == 0)
		limits->max_errors = LMTP_SERVER_DEFAULT_MAX_ERRORS;
	if (limits->timeout == 0)
		limits->timeout = LMTP_SERVER_DEFAULT_TIMEOUT;
	if (limits->timeout_data_block == 0)
		limits->timeout_data_block =
		    LMTP_SERVER_DEFAULT_TIMEOUT_DATA_BLOCK;
	if (limits->line_limit == 0)
		limits->line_limit = LMTP_SERVER_DEFAULT_LINE_LIMIT;
	/* line_reader counts the CRLF: leave room for a real command. */
	limits->line_limit = MAX(limits->line_limit, (size_t)512);
	config->tls = settings->tls;
	if (config->tls != NULL)
		tls_context_ref(config->tls);
	config->quota_check = settings->quota_check;
	config->quota_context = settings->quota_context;
	return config;
}

static void
lmtp_server_config_unref(struct lmtp_server_config **config_p)
{
	struct lmtp_server_config *config = *config_p;

	*config_p = NULL;
	if (config == NULL || --config->refcount > 0)
		return;
	tls_context_unref(&config->tls);
	network_list_free(&config->networks);
	free(config->hostname);
	free(config);
}

static bool
lmtp_server_config_allows(const struct lmtp_server_config *config,
    const char *peer)
{
	return strcmp(peer, "unix") == 0 ||
	    network_list_contains(config->networks, peer);
}

/* Transactions. */

static void
lmtp_server_transaction_cleanup(void *context)
{
	struct lmtp_server_transaction *transaction = context;

	smtp_data_reader_free(&transaction->data_reader);
	buffer_deinit(&transaction->message);
}

static struct lmtp_server_transaction *
lmtp_server_transaction_new(void)
{
	static unsigned long long counter;
	struct arena *arena = arena_new("lmtp transaction", 0);
	struct lmtp_server_transaction *transaction = arena_new_type(arena,
	    struct lmtp_server_transaction);
	struct timeval now;

	transaction->arena = arena;
	buffer_init(&transaction->message, 0);
	arena_add_cleanup(arena, lmtp_server_transaction_cleanup, transaction);
	/* Maildir-style: unique per host, and per recipient with "R<n>". */
	gettimeofday(&now, NULL);
	snprintf(transaction->id, sizeof(transaction->id),
	    "%lld.M%06ldP%ldQ%llu", (long long)now.tv_sec,
	    (long)now.tv_usec, (long)getpid(), ++counter);
	return transaction;
}

static void
lmtp_server_transaction_free(struct lmtp_server_transaction **transaction_p)
{
	struct lmtp_server_transaction *transaction = *transaction_p;
	struct arena *arena;

	*transaction_p = NULL;
	if (transaction == NULL)
		return;
	arena = transaction->arena;
	arena_free(&arena);
}

/* Replies and session plumbing. */

static void
lmtp_server_session_flush(struct lmtp_server_session *session)
{
	if (session->connection == NULL ||
	    buffer_length(&session->output) == 0)
		return;
	connection_write(session->connection, buffer_data(&session->output),
	    buffer_length(&session->output));
	buffer_reset(&session->output);
}

static void lmtp_server_session_reply(struct lmtp_server_session *session,
    unsigned code, const char *enhanced, const char *fmt, ...)
    ATTR_PRINTF(4, 5);

static void
lmtp_server_session_vreply(struct lmtp_server_session *session,
    unsigned code, const char *enhanced, const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	smtp_reply_append(&session->output, code, enhanced, text);
	if (code >= 400)
		log_debug("session=%s event=reply code=%u text=%s", session->id,
		    code, text);
}

static void
lmtp_server_session_reply(struct lmtp_server_session *session, unsigned code,
    const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lmtp_server_session_vreply(session, code, enhanced, fmt, ap);
	va_end(ap);
}

static void
lmtp_server_session_close(struct lmtp_server_session *session)
{
	if (session->state == LMTP_SERVER_STATE_CLOSING)
		return;
	session->state = LMTP_SERVER_STATE_CLOSING;
	lmtp_server_session_flush(session);
	if (session->connection != NULL) {
		connection_close_after_flush(session->connection);
		loop_timer_start(session->idle_timer,
		    MIN(LMTP_SERVER_CLOSE_DEADLINE_MSEC,
		    (uint64_t)session->config->limits.timeout * 1000));
	} else {
		loop_timer_stop(session->idle_timer);
	}
}

static void lmtp_server_session_reply_error(
    struct lmtp_server_session *session, unsigned code, const char *enhanced,
    const char *fmt, ...) ATTR_PRINTF(4, 5);

/* A reply to a client mistake; too many of them end the session. */
static void
lmtp_server_session_reply_error(struct lmtp_server_session *session,
    unsigned code, const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lmtp_server_session_vreply(session, code, enhanced, fmt, ap);
	va_end(ap);
	if (++session->errors >= session->config->limits.max_errors) {
		log_info("session=%s event=too_many_errors errors=%u",
		    session->id, session->errors);
		lmtp_server_session_reply(session, 421, "4.7.0",
		    "%s Error: too many errors", session->config->hostname);
		lmtp_server_session_close(session);
	}
}

static void
lmtp_server_session_reset_transaction(struct lmtp_server_session *session)
{
	lmtp_server_transaction_free(&session->transaction);
	if (session->state != LMTP_SERVER_STATE_CLOSING &&
	    session->state != LMTP_SERVER_STATE_GREETING)
		session->state = LMTP_SERVER_STATE_READY;
}

/* From MAIL to the last per-recipient reply: a server stop lets the
 * transaction finish (the shutdown deadline bounds a client that
 * dawdles). */
static bool
lmtp_server_session_in_message(const struct lmtp_server_session *session)
{
	return session->state == LMTP_SERVER_STATE_MAIL ||
	    session->state == LMTP_SERVER_STATE_RCPT ||
	    session->state == LMTP_SERVER_STATE_DATA || session->waiting;
}

static void
lmtp_server_session_arm_timer(struct lmtp_server_session *session)
{
	const struct lmtp_server_limits *limits = &session->config->limits;
	unsigned seconds = session->state == LMTP_SERVER_STATE_DATA ?
	    limits->timeout_data_block : limits->timeout;

	loop_timer_start(session->idle_timer, (uint64_t)seconds * 1000);
}

/* The connection is finished with: free it, and the session too unless
 * a worker job still holds the transaction (its done() frees it). */
static void
lmtp_server_session_drop(struct lmtp_server_session *session)
{
	connection_free(&session->connection);
	loop_timer_stop(session->idle_timer);
	if (session->waiting)
		session->connection_gone = true;
	else
		lmtp_server_session_free(session);
}

static void
lmtp_server_session_idle_timeout(void *context)
{
	struct lmtp_server_session *session = context;

	if (session->state == LMTP_SERVER_STATE_CLOSING) {
		log_info("session=%s event=disconnect reason=close_timeout "
		    "messages=%u", session->id, session->messages);
		lmtp_server_session_drop(session);
		return;
	}
	log_info("session=%s event=timeout kind=%s state=%d", session->id,
	    session->state == LMTP_SERVER_STATE_DATA ? "data" : "command",
	    (int)session->state);
	lmtp_server_session_reply(session, 421, "4.4.2",
	    "%s Error: timeout exceeded", session->config->hostname);
	lmtp_server_session_close(session);
}

static void
lmtp_server_session_shutting_down(struct lmtp_server_session *session)
{
	lmtp_server_session_reply(session, 421, "4.3.2",
	    "%s Service shutting down", session->config->hostname);
	lmtp_server_session_close(session);
}

/* Stops reading while a worker job runs for this session. */
static void
lmtp_server_session_wait(struct lmtp_server_session *session)
{
	session->waiting = true;
	connection_pause_input(session->connection);
	loop_timer_stop(session->idle_timer);
	lmtp_server_session_flush(session);
}

/* A job finished: returns false when the session is gone (freed). */
static bool
lmtp_server_session_wake(struct lmtp_server_session *session)
{
	if (session->connection_gone) {
		lmtp_server_session_free(session);
		return false;
	}
	session->waiting = false;
	return true;
}

/* Picks up input again after a job's replies are queued. */
static void
lmtp_server_session_resume(struct lmtp_server_session *session)
{
	if (session->stop_requested &&
	    !lmtp_server_session_in_message(session) &&
	    session->state != LMTP_SERVER_STATE_CLOSING)
		lmtp_server_session_shutting_down(session);
	lmtp_server_session_flush(session);
	if (session->connection != NULL &&
	    session->state != LMTP_SERVER_STATE_CLOSING) {
		if (!session->output_blocked)
			connection_resume_input(session->connection);
		lmtp_server_session_arm_timer(session);
		lmtp_server_session_process_input(session);
	}
}

/* Commands. */

static bool
lmtp_server_no_arguments(struct lmtp_server_session *session,
    struct string_view arguments, const char *verb)
{
	if (arguments.length == 0)
		return true;
	lmtp_server_session_reply_error(session, 501, "5.5.4", "Syntax: %s",
	    verb);
	return false;
}

static void
lmtp_server_command_lhlo(struct lmtp_server_session *session,
    struct string_view arguments)
{
	const struct lmtp_server_config *config = session->config;
	char name[256];

	arguments = string_view_trim(arguments);
	if (arguments.length == 0 || memchr(arguments.data, ' ',
	    arguments.length) != NULL) {
		lmtp_server_session_reply_error(session, 501, "5.5.4",
		    "Syntax: LHLO hostname");
		return;
	}
	string_view_printable(arguments, name, sizeof(name));
	free(session->lhlo);
	session->lhlo = alloc_strdup(name);
	lmtp_server_session_reset_transaction(session);
	session->state = LMTP_SERVER_STATE_READY;
	lmtp_server_session_reply(session, 250, NULL,
	    "%s\nPIPELINING\nENHANCEDSTATUSCODES\n8BITMIME\nSIZE %llu\n"
	    "SMTPUTF8%s", config->hostname,
	    (unsigned long long)config->limits.max_message_size,
	    config->tls != NULL && !session->tls ? "\nSTARTTLS" : "");
}

static void
lmtp_server_command_hello(struct lmtp_server_session *session,
    struct string_view arguments)
{
	(void)arguments;
	lmtp_server_session_reply_error(session, 500, "5.5.1",
	    "Error: this is LMTP, send LHLO");
}

/* MAIL FROM parameters: SIZE, BODY and SMTPUTF8 (RFC 1870, 6152,
 * 6531). Returns 0, or -1 after replying. */
static int
lmtp_server_mail_parameters(struct lmtp_server_session *session,
    const struct smtp_parameter *parameters, size_t count)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	const struct smtp_parameter *parameter;
	size_t i;

	for (i = 0; i < count; i++) {
		parameter = &parameters[i];
		if (strcmp(parameter->keyword, "SIZE") == 0) {
			if (smtp_parameter_parse_size(parameter->value,
			    &transaction->declared_size) < 0) {
				lmtp_server_session_reply_error(session, 501,
				    "5.5.4", "Bad SIZE parameter");
				return -1;
			}
			if (transaction->declared_size >
			    session->config->limits.max_message_size) {
				lmtp_server_session_reply(session, 552,
				    "5.3.4", "Error: message file too big");
				return -1;
			}
		} else if (strcmp(parameter->keyword, "BODY") == 0) {
			if (parameter->value == NULL ||
			    (strcasecmp(parameter->value, "7BIT") != 0 &&
			    strcasecmp(parameter->value, "8BITMIME") != 0)) {
				lmtp_server_session_reply_error(session, 501,
				    "5.5.4", "Bad BODY parameter");
				return -1;
			}
		} else if (strcmp(parameter->keyword, "SMTPUTF8") == 0) {
			if (parameter->value != NULL) {
				lmtp_server_session_reply_error(session, 501,
				    "5.5.4", "Bad SMTPUTF8 parameter");
				return -1;
			}
			transaction->smtputf8 = true;
		} else {
			lmtp_server_session_reply_error(session, 555, "5.5.4",
			    "Unsupported option: %s", parameter->keyword);
			return -1;
		}
	}
	return 0;
}

static void
lmtp_server_command_mail(struct lmtp_server_session *session,
    struct string_view arguments)
{
	struct lmtp_server_transaction *transaction;
	struct smtp_parameter *parameters;
	struct smtp_path path;
	const char *error;
	size_t count;

	if (session->state != LMTP_SERVER_STATE_READY) {
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    "Error: nested MAIL command");
		return;
	}
	session->transaction = lmtp_server_transaction_new();
	transaction = session->transaction;
	if (smtp_command_parse_path(transaction->arena, arguments, "FROM",
	    true, &path, &parameters, &count, &error) < 0) {
		lmtp_server_session_reset_transaction(session);
		lmtp_server_session_reply_error(session, 501, "5.1.7",
		    "Bad sender address syntax (%s)", error);
		return;
	}
	if (lmtp_server_mail_parameters(session, parameters, count) < 0) {
		lmtp_server_session_reset_transaction(session);
		return;
	}
	if (path.is_utf8 && !transaction->smtputf8) {
		lmtp_server_session_reset_transaction(session);
		lmtp_server_session_reply_error(session, 553, "5.6.7",
		    "Error: non-ASCII address requires SMTPUTF8");
		return;
	}
	transaction->mail_from = path.address;
	session->state = LMTP_SERVER_STATE_MAIL;
	lmtp_server_session_reply(session, 250, "2.1.0", "Ok");
}

static void
lmtp_server_add_recipient(struct lmtp_server_session *session,
    const char *address, const char *mailbox)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	struct lmtp_server_recipient *recipients, *recipient;
	size_t i, capacity;

	if (transaction->recipient_count == transaction->recipient_capacity) {
		/* Bounded by max_recipients; doubling in the arena wastes at
		 * most as much as it keeps. */
		capacity = MAX(transaction->recipient_capacity * 2, (size_t)8);
		recipients = arena_array(transaction->arena, capacity,
		    sizeof(*recipients));
		if (transaction->recipient_count > 0)
			memcpy(recipients, transaction->recipients,
			    transaction->recipient_count *
			    sizeof(*recipients));
		transaction->recipients = recipients;
		transaction->recipient_capacity = capacity;
	}
	recipient = &transaction->recipients[transaction->recipient_count];
	recipient->address = address;
	recipient->mailbox = mailbox;
	recipient->first = transaction->recipient_count;
	for (i = 0; i < transaction->recipient_count; i++) {
		if (strcmp(transaction->recipients[i].mailbox, mailbox) == 0) {
			recipient->first = i;
			break;
		}
	}
	transaction->recipient_count++;
	session->state = LMTP_SERVER_STATE_RCPT;
	lmtp_server_session_reply(session, 250, "2.1.5", "Ok");
}

/* RCPT with MAIL SIZE=: the quota callback on an io worker. */
struct lmtp_server_quota_job {
	struct lmtp_server_session *session;
	struct lmtp_server_config *config;
	const char *address;
	const char *mailbox;
	uint64_t size;
	int status;
	char error[256];
};

static void
lmtp_server_quota_work(void *context)
{
	struct lmtp_server_quota_job *job = context;
	const char *error = "quota check failed";

	job->status = job->config->quota_check(job->config->quota_context,
	    job->mailbox, job->size, &error);
	if (job->status < 0)
		snprintf(job->error, sizeof(job->error), "%s", error);
}

static void
lmtp_server_quota_done(void *context)
{
	struct lmtp_server_quota_job *job = context;
	struct lmtp_server_session *session = job->session;

	if (!lmtp_server_session_wake(session))
		return;
	if (job->status > 0) {
		lmtp_server_add_recipient(session, job->address, job->mailbox);
	} else if (job->status == 0) {
		log_info("session=%s event=reject reason=quota rcpt=<%s> "
		    "size=%llu", session->id, job->mailbox,
		    (unsigned long long)job->size);
		lmtp_server_session_reply(session, 452, "4.2.2",
		    "<%s>: Mailbox full", job->address);
	} else {
		log_warn("session=%s event=quota_check_failed rcpt=<%s> "
		    "error=%s", session->id, job->mailbox, job->error);
		lmtp_server_session_reply(session, 451, "4.3.0",
		    "<%s>: Temporary failure checking quota", job->address);
	}
	lmtp_server_session_resume(session);
}

static void
lmtp_server_command_rcpt(struct lmtp_server_session *session,
    struct string_view arguments)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	enum user_accounts_recipient kind;
	struct lmtp_server_quota_job *job;
	struct smtp_parameter *parameters;
	struct smtp_path path;
	const char *error, *mailbox;
	size_t count;

	if (session->state != LMTP_SERVER_STATE_MAIL &&
	    session->state != LMTP_SERVER_STATE_RCPT) {
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    "Error: need MAIL command");
		return;
	}
	if (transaction->recipient_count >=
	    session->config->limits.max_recipients) {
		lmtp_server_session_reply(session, 452, "4.5.3",
		    "Error: too many recipients");
		return;
	}
	if (smtp_command_parse_path(transaction->arena, arguments, "TO", true,
	    &path, &parameters, &count, &error) < 0) {
		lmtp_server_session_reply_error(session, 501, "5.1.3",
		    "Bad recipient address syntax (%s)", error);
		return;
	}
	if (count > 0) {
		lmtp_server_session_reply_error(session, 555, "5.5.4",
		    "Unsupported option: %s", parameters[0].keyword);
		return;
	}
	if (path.is_utf8 && !transaction->smtputf8) {
		lmtp_server_session_reply_error(session, 553, "5.6.7",
		    "Error: non-ASCII address requires SMTPUTF8");
		return;
	}
	if (user_accounts_lookup_recipient(session->server->accounts,
	    path.address, transaction->arena, &kind, &mailbox, &error) < 0) {
		log_warn("session=%s event=lookup_failed rcpt=<%s> error=%s",
		    session->id, path.address, error);
		lmtp_server_session_reply(session, 451, "4.3.0",
		    "<%s>: Temporary lookup failure", path.address);
		return;
	}
	if (kind != USER_ACCOUNTS_LOCAL_USER) {
		/* A fact about the address, not a client mistake: an MTA
		 * may hand over many such recipients in one session. */
		log_info("session=%s event=reject reason=%s rcpt=<%s>",
		    session->id, kind == USER_ACCOUNTS_NOT_LOCAL ?
		    "not_local" : "unknown_user", path.address);
		lmtp_server_session_reply(session, 550, "5.1.1",
		    "<%s>: Recipient address rejected: User unknown",
		    path.address);
		return;
	}
	if (session->config->quota_check == NULL ||
	    transaction->declared_size == 0) {
		lmtp_server_add_recipient(session, path.address, mailbox);
		return;
	}
	job = arena_new_type(transaction->arena, struct lmtp_server_quota_job);
	job->session = session;
	job->config = session->config;
	job->address = path.address;
	job->mailbox = mailbox;
	job->size = transaction->declared_size;
	lmtp_server_session_wait(session);
	worker_pool_submit(session->server->io_workers, lmtp_server_quota_work,
	    lmtp_server_quota_done, job);
}

/* The Received header for the message (RFC 5321 4.4, RFC 3848). */
static const char *
lmtp_server_received_header(struct lmtp_server_session *session)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	const char *protocol;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	protocol = session->tls ? "LMTPS" : "LMTP";
	return arena_printf(transaction->arena,
	    "Received: from %s (%s)\r\n\tby %s (sluice) with %s id %s;\r\n"
	    "\t%s\r\n", session->lhlo, session->peer,
	    session->config->hostname, protocol, transaction->id, date);
}

static void
lmtp_server_command_data(struct lmtp_server_session *session,
    struct string_view arguments)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	struct smtp_data_reader_limits limits = {
		.max_message_size = session->config->limits.max_message_size,
	};

	if (!lmtp_server_no_arguments(session, arguments, "DATA"))
		return;
	if (session->state != LMTP_SERVER_STATE_RCPT) {
		/* RFC 2033 4.2: no successful RCPT, no DATA. */
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    session->state == LMTP_SERVER_STATE_MAIL ?
		    "Error: need RCPT command" : "Error: need MAIL command");
		return;
	}
	/* Our Received header goes first; only the client's bytes count
	 * against the size limit. */
	if (buffer_append_string(&transaction->message,
	    lmtp_server_received_header(session)) < 0)
		log_panic("unbounded buffer refused an append");
	transaction->data_reader = smtp_data_reader_new(&limits,
	    &transaction->message);
	session->state = LMTP_SERVER_STATE_DATA;
	lmtp_server_session_reply(session, 354, NULL,
	    "End data with <CR><LF>.<CR><LF>");
}

static void
lmtp_server_command_rset(struct lmtp_server_session *session,
    struct string_view arguments)
{
	if (!lmtp_server_no_arguments(session, arguments, "RSET"))
		return;
	lmtp_server_session_reset_transaction(session);
	lmtp_server_session_reply(session, 250, "2.0.0", "Ok");
}

static void
lmtp_server_command_noop(struct lmtp_server_session *session,
    struct string_view arguments)
{
	(void)arguments;
	lmtp_server_session_reply(session, 250, "2.0.0", "Ok");
}

static void
lmtp_server_command_vrfy(struct lmtp_server_session *session,
    struct string_view arguments)
{
	(void)arguments;
	lmtp_server_session_reply(session, 252, "2.0.0",
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
lmtp_server_command_quit(struct lmtp_server_session *session,
    struct string_view arguments)
{
	if (!lmtp_server_no_arguments(session, arguments, "QUIT"))
		return;
	lmtp_server_session_reply(session, 221, "2.0.0", "Bye");
	lmtp_server_session_close(session);
}

static void
lmtp_server_command_starttls(struct lmtp_server_session *session,
    struct string_view arguments)
{
	const char *error;

	if (!lmtp_server_no_arguments(session, arguments, "STARTTLS"))
		return;
	if (session->config->tls == NULL) {
		lmtp_server_session_reply_error(session, 502, "5.5.1",
		    "Error: command not implemented");
		return;
	}
	if (session->tls) {
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    "Error: TLS already active");
		return;
	}
	if (session->state == LMTP_SERVER_STATE_MAIL ||
	    session->state == LMTP_SERVER_STATE_RCPT) {
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    "Error: STARTTLS in a mail transaction");
		return;
	}
	lmtp_server_session_reply(session, 220, "2.0.0", "Ready to start TLS");
	lmtp_server_session_flush(session);
	if (connection_start_tls(session->connection, session->config->tls,
	    &error) < 0) {
		log_warn("session=%s event=starttls_failed error=%s",
		    session->id, error);
		lmtp_server_session_close(session);
		return;
	}
	/* RFC 3207 4.2: forget everything learned before TLS. */
	line_reader_reset(session->line_reader);
	session->tls = true;
	free(session->lhlo);
	session->lhlo = NULL;
	lmtp_server_session_reset_transaction(session);
	session->state = LMTP_SERVER_STATE_GREETING;
}

static const struct lmtp_server_command lmtp_server_commands[] = {
	{ "LHLO", lmtp_server_command_lhlo, true },
	{ "HELO", lmtp_server_command_hello, true },
	{ "EHLO", lmtp_server_command_hello, true },
	{ "MAIL", lmtp_server_command_mail, false },
	{ "RCPT", lmtp_server_command_rcpt, false },
	{ "DATA", lmtp_server_command_data, false },
	{ "RSET", lmtp_server_command_rset, true },
	{ "NOOP", lmtp_server_command_noop, true },
	{ "VRFY", lmtp_server_command_vrfy, true },
	{ "QUIT", lmtp_server_command_quit, true },
	{ "STARTTLS", lmtp_server_command_starttls, true },
};

static void
lmtp_server_session_handle_line(struct lmtp_server_session *session,
    size_t length, unsigned flags)
{
	const struct lmtp_server_command *command = NULL;
	struct smtp_command parsed;
	const char *error;
	char sample[64];
	size_t i;

	if ((flags & LINE_READER_HAS_NUL) != 0) {
		lmtp_server_session_reply_error(session, 500, "5.5.2",
		    "Error: NUL character in command");
		return;
	}
	if (smtp_command_parse(string_view_make(session->line, length),
	    &parsed, &error) < 0) {
		log_info("session=%s event=bad_command text=%s", session->id,
		    string_view_printable(string_view_make(session->line,
			length), sample, sizeof(sample)));
		lmtp_server_session_reply_error(session, 500, "5.5.2",
		    "Error: bad syntax");
		return;
	}
	for (i = 0; i < ARRAY_LENGTH(lmtp_server_commands); i++) {
		if (string_view_equal_cstring_case(parsed.verb,
		    lmtp_server_commands[i].verb)) {
			command = &lmtp_server_commands[i];
			break;
		}
	}
	if (command == NULL) {
		log_info("session=%s event=unknown_command verb=%s",
		    session->id, string_view_printable(parsed.verb, sample,
			sizeof(sample)));
		lmtp_server_session_reply_error(session, 502, "5.5.2",
		    "Error: command not recognized");
		return;
	}
	if (session->state == LMTP_SERVER_STATE_GREETING &&
	    !command->before_lhlo) {
		lmtp_server_session_reply_error(session, 503, "5.5.1",
		    "Error: send LHLO first");
		return;
	}
	command->run(session, parsed.arguments);
}

/* Delivery. */

struct lmtp_server_delivery_job {
	struct lmtp_server_session *session;
	struct lmtp_server_transaction *transaction;
	struct lmtp_server_config *config;
	const char *mail_root;
	struct mailbox_notify *notify;
};

/* Runs on an io worker; the session waits, so the transaction (and its
 * arena) belongs to this job until done() runs. */
static void
lmtp_server_delivery_work(void *context)
{
	struct lmtp_server_delivery_job *job = context;
	struct lmtp_server_transaction *transaction = job->transaction;
	struct lmtp_server_config *config = job->config;
	struct local_delivery_message message;
	struct lmtp_server_recipient *recipient;
	char unique[sizeof(transaction->id) + 24];
	const char *error;
	size_t i;
	int ret;

	for (i = 0; i < transaction->recipient_count; i++) {
		recipient = &transaction->recipients[i];
		if (recipient->first != i) {
			recipient->outcome =
			    transaction->recipients[recipient->first].outcome;
			recipient->error =
			    transaction->recipients[recipient->first].error;
			continue;
		}
		if (config->quota_check != NULL) {
			error = "quota check failed";
			ret = config->quota_check(config->quota_context,
			    recipient->mailbox,
			    buffer_length(&transaction->message), &error);
			if (ret <= 0) {
				recipient->outcome = ret == 0 ?
				    LMTP_SERVER_OVER_QUOTA : LMTP_SERVER_FAILED;
				recipient->error = arena_strdup(
				    transaction->arena, ret == 0 ?
				    "over quota" : error);
				continue;
			}
		}
		memset(&message, 0, sizeof(message));
		snprintf(unique, sizeof(unique), "%sR%zu", transaction->id, i);
		message.return_path = transaction->mail_from;
		message.recipient = recipient->mailbox;
		message.unique_name = unique;
		message.data = buffer_data(&transaction->message);
		message.length = buffer_length(&transaction->message);
		message.notify = job->notify;
		if (local_delivery_deliver(job->mail_root, &message,
		    config->hostname, &error) < 0) {
			recipient->outcome = LMTP_SERVER_FAILED;
			recipient->error = arena_strdup(transaction->arena,
			    error);
			continue;
		}
		recipient->outcome = LMTP_SERVER_DELIVERED;
	}
}

static void
lmtp_server_delivery_done(void *context)
{
	struct lmtp_server_delivery_job *job = context;
	struct lmtp_server_session *session = job->session;
	struct lmtp_server_transaction *transaction = job->transaction;
	struct lmtp_server_recipient *recipient;
	size_t i, size = buffer_length(&transaction->message);

	/* Logged whether or not the client is still there: the files are
	 * on disk either way. */
	for (i = 0; i < transaction->recipient_count; i++) {
		recipient = &transaction->recipients[i];
		if (recipient->first != i)
			continue;
		if (recipient->outcome == LMTP_SERVER_DELIVERED)
			log_info("session=%s event=lmtp_delivered id=%s "
			    "from=<%s> to=<%s> size=%zu", session->id,
			    transaction->id, transaction->mail_from,
			    recipient->mailbox, size);
		else
			log_warn("session=%s event=lmtp_deferred id=%s "
			    "from=<%s> to=<%s> size=%zu reason=%s",
			    session->id, transaction->id,
			    transaction->mail_from, recipient->mailbox, size,
			    recipient->error);
	}
	if (!lmtp_server_session_wake(session))
		return;
	for (i = 0; i < transaction->recipient_count; i++) {
		recipient = &transaction->recipients[i];
		switch (recipient->outcome) {
		case LMTP_SERVER_DELIVERED:
			lmtp_server_session_reply(session, 250, "2.0.0",
			    "<%s> Ok: delivered as %s", recipient->address,
			    transaction->id);
			break;
		case LMTP_SERVER_OVER_QUOTA:
			lmtp_server_session_reply(session, 452, "4.2.2",
			    "<%s> Mailbox full", recipient->address);
			break;
		case LMTP_SERVER_FAILED:
			lmtp_server_session_reply(session, 451, "4.3.0",
			    "<%s> Error: local delivery failed",
			    recipient->address);
			break;
		}
	}
	session->messages++;
	lmtp_server_session_reset_transaction(session);
	lmtp_server_session_resume(session);
}

/* The terminating dot has been read. */
static void
lmtp_server_session_data_end(struct lmtp_server_session *session)
{
	struct lmtp_server_transaction *transaction = session->transaction;
	struct lmtp_server_delivery_job *job;
	size_t i;

	transaction->flags = smtp_data_reader_flags(transaction->data_reader);
	transaction->size = smtp_data_reader_size(transaction->data_reader);
	smtp_data_reader_free(&transaction->data_reader);
	session->state = LMTP_SERVER_STATE_READY;
	if ((transaction->flags & SMTP_DATA_READER_TOO_BIG) != 0) {
		log_info("session=%s event=reject reason=size size=%llu",
		    session->id, (unsigned long long)transaction->size);
		/* RFC 2033 4.2: one reply per successful RCPT. */
		for (i = 0; i < transaction->recipient_count; i++)
			lmtp_server_session_reply(session, 552, "5.3.4",
			    "<%s> Error: message file too big",
			    transaction->recipients[i].address);
		lmtp_server_session_reset_transaction(session);
		return;
	}
	/* Bare CR or LF is not refused here: the client is an MTA that
	 * accepted the message already; local_delivery keeps them. */
	job = arena_new_type(transaction->arena,
	    struct lmtp_server_delivery_job);
	job->session = session;
	job->transaction = transaction;
	job->config = session->config;
	job->mail_root = session->server->mail_root;
	job->notify = session->server->notify;
	lmtp_server_session_wait(session);
	worker_pool_submit(session->server->io_workers,
	    lmtp_server_delivery_work, lmtp_server_delivery_done, job);
}

/* Input. */

static void
lmtp_server_session_process_input(struct lmtp_server_session *session)
{
	const unsigned char *data;
	struct string_view line;
	size_t length, consumed;
	unsigned flags;
	int ret;

	while (!session->waiting &&
	    session->state != LMTP_SERVER_STATE_CLOSING &&
	    session->connection != NULL) {
		if (session->stop_requested &&
		    !lmtp_server_session_in_message(session)) {
			lmtp_server_session_shutting_down(session);
			break;
		}
		if (connection_output_length(session->connection) +
		    buffer_length(&session->output) >
		    LMTP_SERVER_OUTPUT_HIGH_WATER) {
			/* Pipelining without reading: wait for the replies
			 * to drain; the idle timer still runs. */
			session->output_blocked = true;
			connection_pause_input(session->connection);
			break;
		}
		data = connection_input_peek(session->connection, &length);
		if (length == 0)
			break;
		if (session->state == LMTP_SERVER_STATE_DATA) {
			ret = smtp_data_reader_feed(
			    session->transaction->data_reader, data, length,
			    &consumed);
			connection_input_consume(session->connection, consumed);
			if (ret == 1)
				lmtp_server_session_data_end(session);
			continue;
		}
		ret = line_reader_next(session->line_reader, data, length,
		    &consumed, &line, &flags);
		if (ret == 1) {
			/* The view may point into the connection's buffer. */
			ASSERT(line.length < session->config->limits.line_limit);
			memcpy(session->line, line.data, line.length);
			session->line[line.length] = '\0';
			connection_input_consume(session->connection, consumed);
			lmtp_server_session_handle_line(session, line.length,
			    flags);
		} else {
			connection_input_consume(session->connection, consumed);
			if (ret < 0) {
				log_info("session=%s event=line_too_long",
				    session->id);
				lmtp_server_session_reply_error(session, 500,
				    "5.5.2", "Error: line too long");
			}
		}
	}
	if (!session->waiting && session->state != LMTP_SERVER_STATE_CLOSING &&
	    session->connection != NULL)
		lmtp_server_session_arm_timer(session);
	lmtp_server_session_flush(session);
}

static void
lmtp_server_session_on_input(struct connection *connection, void *context)
{
	struct lmtp_server_session *session = context;

	(void)connection;
	if (session->waiting || session->output_blocked ||
	    session->state == LMTP_SERVER_STATE_CLOSING)
		return;
	lmtp_server_session_process_input(session);
}

static void
lmtp_server_session_on_drained(struct connection *connection, void *context)
{
	struct lmtp_server_session *session = context;

	(void)connection;
	if (!session->output_blocked)
		return;
	session->output_blocked = false;
	if (!session->waiting && session->state != LMTP_SERVER_STATE_CLOSING) {
		connection_resume_input(session->connection);
		lmtp_server_session_process_input(session);
	}
}

static void
lmtp_server_session_on_end(struct connection *connection,
    enum connection_end end, void *context)
{
	static const char *const reasons[] = {
		[CONNECTION_END_EOF] = "eof",
		[CONNECTION_END_ERROR] = "error",
		[CONNECTION_END_TIMEOUT] = "timeout",
		[CONNECTION_END_CLOSED] = "closed",
	};
	struct lmtp_server_session *session = context;

	(void)connection;
	log_info("session=%s event=disconnect reason=%s messages=%u",
	    session->id, reasons[end], session->messages);
	lmtp_server_session_drop(session);
}

static const struct connection_callbacks lmtp_server_session_callbacks = {
	.on_input = lmtp_server_session_on_input,
	.on_drained = lmtp_server_session_on_drained,
	.on_end = lmtp_server_session_on_end,
};

/* Sessions. */

static void
lmtp_server_session_free(struct lmtp_server_session *session)
{
	struct lmtp_server *server = session->server;
	struct arena *arena = session->arena;
	void *tag = session->tag;

	if (session->prev != NULL)
		session->prev->next = session->next;
	else
		server->sessions = session->next;
	if (session->next != NULL)
		session->next->prev = session->prev;
	server->session_count--;
	connection_free(&session->connection);
	lmtp_server_transaction_free(&session->transaction);
	loop_timer_free(&session->idle_timer);
	line_reader_free(&session->line_reader);
	buffer_deinit(&session->output);
	free(session->lhlo);
	lmtp_server_config_unref(&session->config);
	arena_free(&arena);
	if (server->session_closed != NULL)
		server->session_closed(tag, server->context);
}

void
lmtp_server_accept(struct lmtp_server *server, int fd, const char *peer,
    void *tag)
{
	static uint64_t next_id;
	struct arena *arena = arena_new("lmtp session", 2048);
	struct lmtp_server_session *session = arena_new_type(arena,
	    struct lmtp_server_session);

	session->arena = arena;
	session->server = server;
	session->tag = tag;
	session->config = server->config;
	session->config->refcount++;
	snprintf(session->id, sizeof(session->id), "%08llx%04x",
	    (unsigned long long)++next_id, (unsigned)(getpid() & 0xffff));
	session->peer = arena_strdup(arena, peer);
	session->line = arena_alloc(arena,
	    session->config->limits.line_limit + 1);
	session->line_reader = line_reader_new(
	    session->config->limits.line_limit);
	buffer_init(&session->output, 0);
	session->idle_timer = loop_timer_new(server->loop,
	    lmtp_server_session_idle_timeout, session);
	session->connection = connection_new(server->loop, fd, peer,
	    &lmtp_server_session_callbacks, session);
	session->next = server->sessions;
	if (server->sessions != NULL)
		server->sessions->prev = session;
	server->sessions = session;
	server->session_count++;

	log_info("session=%s event=connect client=%s listener=lmtp",
	    session->id, session->peer);
	if (server->stopping) {
		lmtp_server_session_shutting_down(session);
		return;
	}
	if (!lmtp_server_config_allows(session->config, peer)) {
		log_info("session=%s event=reject reason=network client=%s",
		    session->id, session->peer);
		lmtp_server_session_reply(session, 421, "4.7.0",
		    "%s Error: access denied for %s",
		    session->config->hostname, session->peer);
		lmtp_server_session_close(session);
		return;
	}
	lmtp_server_session_reply(session, 220, NULL, "%s LMTP",
	    session->config->hostname);
	lmtp_server_session_flush(session);
	lmtp_server_session_arm_timer(session);
}

/* The server. */

int
lmtp_server_new(const struct lmtp_server_settings *settings,
    struct lmtp_server **server_r, const char **error_r)
{
	struct lmtp_server *server;
	struct lmtp_server_config *config;
	struct user_accounts *accounts;

	ASSERT(settings->loop != NULL && settings->io_workers != NULL &&
	    settings->mail_root != NULL && settings->database_path != NULL);
	config = lmtp_server_config_new(settings, error_r);
	if (config == NULL) {
		*error_r = error_set("lmtp.networks: %s", *error_r);
		return -1;
	}
	if (user_accounts_open(settings->database_path, &accounts,
	    error_r) < 0) {
		lmtp_server_config_unref(&config);
		return -1;
	}
	server = alloc_new(struct lmtp_server);
	server->loop = settings->loop;
	server->io_workers = settings->io_workers;
	server->accounts = accounts;
	server->mail_root = alloc_strdup(settings->mail_root);
	server->notify = settings->notify;
	server->config = config;
	server->session_closed = settings->session_closed;
	server->context = settings->context;
	*server_r = server;
	return 0;
}

int
lmtp_server_reload(struct lmtp_server *server,
    const struct lmtp_server_settings *settings, const char **error_r)
{
	struct lmtp_server_config *config;

	config = lmtp_server_config_new(settings, error_r);
	if (config == NULL) {
		*error_r = error_set("lmtp.networks: %s", *error_r);
		return -1;
	}
	lmtp_server_config_unref(&server->config);
	server->config = config;
	return 0;
}

size_t
lmtp_server_session_count(const struct lmtp_server *server)
{
	return server->session_count;
}

void
lmtp_server_stop(struct lmtp_server *server)
{
	struct lmtp_server_session *session, *next;

	server->stopping = true;
	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->state == LMTP_SERVER_STATE_CLOSING)
			continue;
		if (lmtp_server_session_in_message(session)) {
			session->stop_requested = true;
			continue;
		}
		lmtp_server_session_shutting_down(session);
	}
}

void
lmtp_server_abort(struct lmtp_server *server)
{
	struct lmtp_server_session *session, *next;

	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->connection_gone)
			continue;
		log_info("session=%s event=abort reason=shutdown", session->id);
		lmtp_server_session_drop(session);
	}
}

void
lmtp_server_free(struct lmtp_server **server_p)
{
	struct lmtp_server *server = *server_p;

	if (server == NULL)
		return;
	*server_p = NULL;
	lmtp_server_abort(server);
	/* A session still waiting would have its job's done() call into
	 * freed memory. */
	ASSERT(server->sessions == NULL);
	user_accounts_close(&server->accounts);
	lmtp_server_config_unref(&server->config);
	free(server->mail_root);
	free(server);
}
