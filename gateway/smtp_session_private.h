/* smtp_session_private.h: session internals shared by smtp_session.c and
 * the command handlers in smtp_commands.c. Nothing else includes it. */
#ifndef SLUICE_SMTP_SESSION_PRIVATE_H
#define SLUICE_SMTP_SESSION_PRIVATE_H

#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/connection.h"
#include "lib/line_reader.h"
#include "lib/string_view.h"
#include "gateway/routing.h"
#include "gateway/smtp_session.h"
#include "gateway/smtp_transaction.h"

enum smtp_session_state {
	SMTP_STATE_GREETING, /* banner sent, no HELO/EHLO yet */
	SMTP_STATE_READY,    /* HELO/EHLO done, no transaction */
	SMTP_STATE_MAIL,     /* MAIL accepted */
	SMTP_STATE_RCPT,     /* at least one RCPT accepted */
	SMTP_STATE_DATA,     /* reading DATA content (BDAT: see chunk_*) */
	SMTP_STATE_CLOSING,  /* QUIT or fatal error: flushing, then gone */
};

struct smtp_session {
	struct smtp_session *next, *prev;   /* server->sessions */
	struct server *server;
	struct server_config *config;       /* ref held for the session */
	struct listener *listener;
	struct arena *arena;                /* connection lifetime */
	struct connection *connection;
	struct line_reader *line_reader;
	struct loop_timer *idle_timer;
	struct loop_timer *session_timer;   /* smtp.session_max_seconds */
	struct buffer output;               /* replies not yet written */
	char *line;                         /* copy of the current command */
	char id[24];
	const char *client_address;
	char *helo;                         /* heap; replaced by each HELO */
	char *pending_helo;                 /* checked, not yet accepted */
	enum smtp_session_state state;
	struct smtp_transaction *transaction;
	/* what check() parsed, for stage() and proceed() */
	const char *pending_address;        /* transaction arena */
	struct routing_result *pending_routing; /* RCPT stage's answer */
	const char *pending_trick;          /* RCPT address routes inside */
	unsigned pending_notify;            /* RCPT NOTIFY= */
	const char *pending_orcpt;          /* RCPT ORCPT=, transaction arena */
	uint64_t pending_chunk_size;        /* BDAT */
	bool pending_chunk_last;
	/* BDAT (RFC 3030): while chunk_active, input is chunk bytes, not
	 * commands, until chunk_remaining reaches 0. A refused chunk is
	 * still read (chunk_discard) so the session stays in sync. */
	uint64_t chunk_remaining;
	bool chunk_active;
	bool chunk_discard;
	bool chunk_last;
	unsigned errors;
	unsigned messages;                  /* accepted (queued) */
	unsigned transactions;              /* MAIL commands accepted */
	bool limits_counted;   /* counted in server->client_limits */
	bool expired;          /* session cap passed while waiting */
	bool esmtp;
	bool tls;
	bool waiting;          /* a stage or job is in flight: input paused */
	bool connection_gone;  /* freed while waiting; free the rest later */
	bool stop_requested;   /* server stopping: 421 after this transaction */
	bool output_blocked;   /* client not reading our replies */
};

/* One row of the command table. check parses and validates the
 * arguments (replying itself on error, returning -1); stage, when set,
 * starts asynchronous policy work and later calls smtp_session_resume(),
 * unless check returned 1: it did that work itself, at once, so the
 * command goes straight to proceed. proceed does the work and replies. */
struct smtp_command_entry {
	const char *verb;
	int (*check)(struct smtp_session *session, struct string_view arguments);
	void (*stage)(struct smtp_session *session);
	void (*proceed)(struct smtp_session *session);
	unsigned flags;
};

#define SMTP_COMMAND_FLAG_BEFORE_HELO 0x1 /* allowed before HELO/EHLO */
#define SMTP_COMMAND_FLAG_IN_DATA_ERROR 0x2 /* reserved */

const struct smtp_command_entry *smtp_commands_find(struct string_view verb);

/* Queues a reply (formatted by smtp_reply). */
void smtp_session_reply(struct smtp_session *session, unsigned code,
    const char *enhanced, const char *fmt, ...) ATTR_PRINTF(4, 5);

/* Queues a reply to a client mistake and counts it; past smtp.max_errors
 * the session ends with 421. */
void smtp_session_reply_error(struct smtp_session *session, unsigned code,
    const char *enhanced, const char *fmt, ...) ATTR_PRINTF(4, 5);

/* Ends the session after the queued output (QUIT, 421). */
void smtp_session_close(struct smtp_session *session);

/* Finishes an asynchronous stage: runs proceed and picks up input. */
void smtp_session_resume(struct smtp_session *session,
    void (*proceed)(struct smtp_session *session));

/* Drops the current transaction (RSET, HELO, after DATA). */
void smtp_session_reset_transaction(struct smtp_session *session);

/* Switches to DATA: input now goes to the data reader. */
void smtp_session_begin_data(struct smtp_session *session);

/* Starts reading a BDAT chunk of size bytes: into the transaction, or
 * (discard) into the void after a refusal already replied to. After an
 * accepted chunk the session replies 250, or for the last one spools
 * the message and replies like the end of DATA. */
void smtp_session_begin_chunk(struct smtp_session *session, uint64_t size,
    bool last, bool discard);

/* True from DATA or the first BDAT until the message is done with: a
 * server stop lets such a session finish its message. */
bool smtp_session_in_message(const struct smtp_session *session);

/* Logs a client over a per-client limit, replies 421 4.7.0 and closes. */
void smtp_session_refuse_limit(struct smtp_session *session, const char *kind,
    const char *text);

/* Starts TLS after the queued 220 (STARTTLS). */
void smtp_session_start_tls(struct smtp_session *session);

#endif
