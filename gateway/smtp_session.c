/* smtp_session.c: SMTP session lifecycle, input dispatch, DATA and BDAT,
 * spooling, per-client limits and timeouts.
 *
 * DESIGN: input is consumed one command at a time so pipelined bytes stay
 * in the connection buffer until the previous command is done: a
 * command whose stage or job is in flight sets `waiting`, which stops
 * the input loop; smtp_session_resume() restarts it. Replies go into
 * `output` and are written once per input batch, so a pipelined group of
 * commands gets its replies in one segment. Input is routed three ways:
 * command lines, DATA (through the data reader) and BDAT chunks (exactly
 * chunk_remaining raw octets, kept or, if refused, dropped). The end of
 * DATA or of the last chunk hands the transaction to an io worker that
 * writes and fsyncs the spool file; the 250 is sent from that job's
 * completion, never before. Two timers: idle (the command or data-block
 * timeout, whichever the session waits for) and the session cap. */
#include "gateway/smtp_session_private.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/smtp_command_parser.h"
#include "lib/smtp_data_reader.h"
#include "lib/smtp_reply.h"
#include "gateway/client_limits.h"
#include "gateway/queue.h"
#include "mailstore/local_delivery.h"
#include "mailstore/mailbox_quota.h"

#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Stop parsing pipelined commands while this much output is unread. */
#define SMTP_OUTPUT_HIGH_WATER (128 * 1024)

static void smtp_session_process_input(struct smtp_session *session);
static void smtp_session_free(struct smtp_session *session);

/* The connection is finished with: free it now, and the session too
 * unless a worker job still holds the transaction (its completion frees
 * the session then). */
static void
smtp_session_drop(struct smtp_session *session)
{
	connection_free(&session->connection);
	loop_timer_stop(session->idle_timer);
	loop_timer_stop(session->session_timer);
	if (session->waiting)
		session->connection_gone = true;
	else
		smtp_session_free(session);
}

static void
smtp_session_flush(struct smtp_session *session)
{
	if (session->connection == NULL || buffer_length(&session->output) == 0)
		return;
	connection_write(session->connection, buffer_data(&session->output),
	    buffer_length(&session->output));
	buffer_reset(&session->output);
}

static void
smtp_session_vreply(struct smtp_session *session, unsigned code,
    const char *enhanced, const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	smtp_reply_append(&session->output, code, enhanced, text);
	if (code >= 400)
		log_debug("session=%s event=reply code=%u text=%s", session->id,
		    code, text);
}

void
smtp_session_reply(struct smtp_session *session, unsigned code,
    const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtp_session_vreply(session, code, enhanced, fmt, ap);
	va_end(ap);
}

void
smtp_session_reply_error(struct smtp_session *session, unsigned code,
    const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtp_session_vreply(session, code, enhanced, fmt, ap);
	va_end(ap);
	session->errors++;
	if (session->errors >= (unsigned)session->config->smtp->max_errors) {
		log_info("session=%s event=too_many_errors errors=%u",
		    session->id, session->errors);
		smtp_session_reply(session, 421, "4.7.0",
		    "%s Error: too many errors", session->config->hostname);
		smtp_session_close(session);
	}
}

/* A client that stops reading never lets our last reply drain; cut it
 * off after this long (or smtp.timeout, if shorter) so it cannot hold a
 * connection slot. */
#define SMTP_CLOSE_DEADLINE_MSEC (10 * 1000)

void
smtp_session_close(struct smtp_session *session)
{
	if (session->state == SMTP_STATE_CLOSING)
		return;
	session->state = SMTP_STATE_CLOSING;
	smtp_session_flush(session);
	if (session->connection != NULL) {
		connection_close_after_flush(session->connection);
		loop_timer_start(session->idle_timer, MIN(SMTP_CLOSE_DEADLINE_MSEC,
		    (uint64_t)session->config->smtp->timeout * 1000));
	} else {
		loop_timer_stop(session->idle_timer);
	}
}

void
smtp_session_reset_transaction(struct smtp_session *session)
{
	smtp_transaction_free(&session->transaction);
	session->pending_address = NULL;
	if (session->state != SMTP_STATE_CLOSING &&
	    session->state != SMTP_STATE_GREETING)
		session->state = SMTP_STATE_READY;
}

bool
smtp_session_in_message(const struct smtp_session *session)
{
	return session->state == SMTP_STATE_DATA || session->chunk_active ||
	    (session->transaction != NULL && session->transaction->chunking &&
	    !session->transaction->declined);
}

/* RFC 5321 4.5.3.2: the server waits for the next command (smtp.timeout,
 * at least the RFC's 5 minutes by default) and for the next block of
 * message data (smtp.timeout_data_block, the client's 3 minutes). */
static void
smtp_session_arm_timer(struct smtp_session *session)
{
	const struct smtp_settings *smtp = session->config->smtp;
	int64_t seconds = session->state == SMTP_STATE_DATA ||
	    session->chunk_active ? smtp->timeout_data_block : smtp->timeout;

	loop_timer_start(session->idle_timer, (uint64_t)seconds * 1000);
}

void
smtp_session_refuse_limit(struct smtp_session *session, const char *kind,
    const char *text)
{
	log_info("session=%s event=client_limit kind=%s client=%s",
	    session->id, kind, session->client_address);
	smtp_session_reply(session, 421, "4.7.0", "%s Error: %s",
	    session->config->hostname, text);
	smtp_session_close(session);
}

/* smtp.session_max_seconds: the whole session, however busy. */
static void
smtp_session_expire(struct smtp_session *session)
{
	log_info("session=%s event=timeout kind=session state=%d messages=%u",
	    session->id, (int)session->state, session->messages);
	smtp_session_reply(session, 421, "4.4.2",
	    "%s Error: session time limit exceeded",
	    session->config->hostname);
	smtp_session_close(session);
}

static void
smtp_session_cap_timeout(void *context)
{
	struct smtp_session *session = context;

	if (session->state == SMTP_STATE_CLOSING)
		return;
	if (session->waiting) {
		/* A job's reply must come first; resume ends the session. */
		session->expired = true;
		return;
	}
	smtp_session_expire(session);
	smtp_session_flush(session);
}

static void
smtp_session_idle_timeout(void *context)
{
	struct smtp_session *session = context;

	if (session->state == SMTP_STATE_CLOSING) {
		log_info("session=%s event=disconnect reason=close_timeout "
		    "messages=%u", session->id, session->messages);
		smtp_session_drop(session);
		return;
	}
	log_info("session=%s event=timeout kind=%s state=%d", session->id,
	    session->state == SMTP_STATE_DATA || session->chunk_active ?
	    "data" : "command", (int)session->state);
	smtp_session_reply(session, 421, "4.4.2",
	    "%s Error: timeout exceeded", session->config->hostname);
	smtp_session_close(session);
}

/* Called when a stage or job finished and the session may read again. */
void
smtp_session_resume(struct smtp_session *session,
    void (*proceed)(struct smtp_session *session))
{
	if (session->connection_gone) {
		/* The client left while the stage ran: nobody to answer. */
		smtp_session_free(session);
		return;
	}
	session->waiting = false;
	if (proceed != NULL)
		proceed(session);
	if (session->expired && session->state != SMTP_STATE_CLOSING)
		smtp_session_expire(session);
	if (session->stop_requested && !smtp_session_in_message(session) &&
	    session->state != SMTP_STATE_CLOSING) {
		smtp_session_reply(session, 421, "4.3.2",
		    "%s Service shutting down", session->config->hostname);
		smtp_session_close(session);
	}
	smtp_session_flush(session);
	if (session->connection != NULL && session->state != SMTP_STATE_CLOSING) {
		if (!session->output_blocked)
			connection_resume_input(session->connection);
		smtp_session_arm_timer(session);
		smtp_session_process_input(session);
	}
}

static void
smtp_session_handle_line(struct smtp_session *session, size_t length,
    unsigned flags)
{
	const struct smtp_command_entry *entry;
	struct smtp_command command;
	const char *error;
	char sample[64];
	int checked;

	if ((flags & LINE_READER_HAS_NUL) != 0) {
		smtp_session_reply_error(session, 500, "5.5.2",
		    "Error: NUL character in command");
		return;
	}
	if (smtp_command_parse(string_view_make(session->line, length),
	    &command, &error) < 0) {
		log_info("session=%s event=bad_command text=%s", session->id,
		    string_view_printable(string_view_make(session->line,
			length), sample, sizeof(sample)));
		smtp_session_reply_error(session, 500, "5.5.2",
		    "Error: bad syntax");
		return;
	}
	entry = smtp_commands_find(command.verb);
	if (entry == NULL) {
		log_info("session=%s event=unknown_command verb=%s", session->id,
		    string_view_printable(command.verb, sample, sizeof(sample)));
		smtp_session_reply_error(session, 502, "5.5.2",
		    "Error: command not recognized");
		return;
	}
	if (session->state == SMTP_STATE_GREETING &&
	    (entry->flags & SMTP_COMMAND_FLAG_BEFORE_HELO) == 0) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: send HELO/EHLO first");
		return;
	}
	checked = entry->check != NULL ?
	    entry->check(session, command.arguments) : 0;
	if (checked < 0)
		return;
	if (entry->stage != NULL && checked == 0) {
		session->waiting = true;
		connection_pause_input(session->connection);
		loop_timer_stop(session->idle_timer);
		entry->stage(session);
		return;
	}
	if (entry->proceed != NULL)
		entry->proceed(session);
}

/* Builds the Received header for the transaction (RFC 5321 4.4). */
static const char *
smtp_session_received_header(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	const char *tls_text, *protocol;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (transaction->smtputf8)
		protocol = session->tls ? "UTF8SMTPS" : "UTF8SMTP";
	else if (session->esmtp)
		protocol = session->tls ? "ESMTPS" : "ESMTP";
	else
		protocol = "SMTP";
	tls_text = session->tls && session->connection != NULL ?
	    connection_tls_description(session->connection) : NULL;
	return arena_printf(transaction->arena,
	    "Received: from %s (unknown %s%s])\r\n"
	    "%s%s%s"
	    "\tby %s (sluice) with %s id %s%s%s%s;\r\n\t%s\r\n",
	    session->helo != NULL ? session->helo : "unknown",
	    strchr(session->client_address, ':') != NULL ? "[IPv6:" : "[",
	    session->client_address,
	    tls_text != NULL ? "\t(using " : "", tls_text != NULL ? tls_text : "",
	    tls_text != NULL ? ")\r\n" : "",
	    session->config->hostname, protocol, transaction->id,
	    transaction->recipient_count == 1 ? "\r\n\tfor <" : "",
	    transaction->recipient_count == 1 ?
		transaction->recipients[0].address : "",
	    transaction->recipient_count == 1 ? ">" : "", date);
}

struct smtp_commit_job {
	struct smtp_session *session;
	struct smtp_transaction *transaction;
	struct spool *spool;
	const char *mail_root;
	struct mailbox_notify *notify;
	struct mailbox_quota *quota;
	const char *hostname;
	bool direct;           /* try the recipients' Maildirs first */
	struct spool_envelope envelope;
	struct iovec part;
	int status;
	bool delivered;        /* in every Maildir: nothing to queue */
	const char *error;
};

/* Delivers the message into every recipient's Maildir. Any failure and
 * the caller spools the message instead: the per-recipient file names
 * make the queue skip the recipients already served. */
static bool
smtp_session_deliver_direct(struct smtp_commit_job *job)
{
	struct local_delivery_message message;
	char unique[SPOOL_ID_MAX + 16];
	const char *error;
	size_t i;

	for (i = 0; i < job->envelope.recipient_count; i++) {
		memset(&message, 0, sizeof(message));
		snprintf(unique, sizeof(unique), "%sR%zu", job->envelope.id, i);
		message.return_path = job->envelope.mail_from;
		message.recipient = job->envelope.recipients[i].mailbox;
		message.unique_name = unique;
		message.data = job->part.iov_base;
		message.length = job->part.iov_len;
		message.notify = job->notify;
		/* Over quota: the spool keeps it and the queue retries. */
		if (job->quota != NULL && mailbox_quota_check(job->quota,
		    message.recipient, message.length, &error) != 1) {
			log_info("event=direct_delivery_deferred id=%s "
			    "rcpt=<%s> reason=quota_or_error action=spool",
			    job->envelope.id, message.recipient);
			return false;
		}
		if (local_delivery_deliver(job->mail_root, &message,
		    job->hostname, &error) < 0) {
			log_warn("event=direct_delivery_failed id=%s rcpt=<%s> "
			    "error=%s action=spool", job->envelope.id,
			    message.recipient, error);
			return false;
		}
	}
	return true;
}

/* Runs on an io worker: makes the message durable before the 250. */
static void
smtp_session_commit_work(void *context)
{
	struct smtp_commit_job *job = context;
	const char *error;

	if (job->direct && smtp_session_deliver_direct(job)) {
		job->delivered = true;
		job->status = 0;
		return;
	}
	job->status = spool_write(job->spool, &job->envelope, &job->part, 1,
	    &error);
	if (job->status < 0)
		job->error = arena_strdup(job->transaction->arena, error);
}

static void
smtp_session_commit_done(void *context)
{
	struct smtp_commit_job *job = context;
	struct smtp_session *session = job->session;
	struct smtp_transaction *transaction = job->transaction;

	if (job->status == 0) {
		/* On disk: it will be delivered even if the client is gone. */
		if (!job->delivered)
			queue_submit(session->server->queue, transaction->id,
			    job->direct);
		log_info("session=%s event=%s id=%s from=<%s> recipients=%zu "
		    "size=%zu", session->id, job->delivered ? "delivered" :
		    "queued", transaction->id, transaction->mail_from,
		    transaction->recipient_count, job->part.iov_len);
		session->messages++;
	} else {
		log_warn("session=%s event=spool_failed id=%s error=%s",
		    session->id, transaction->id, job->error);
	}
	if (session->connection_gone) {
		smtp_transaction_free(&session->transaction);
		smtp_session_free(session);
		return;
	}
	if (job->status == 0)
		smtp_session_reply(session, 250, "2.0.0", "Ok: queued as %s",
		    transaction->id);
	else
		smtp_session_reply(session, 451, "4.3.0",
		    "Error: queue file write error");
	smtp_session_reset_transaction(session);
	smtp_session_resume(session, NULL);
}

/* The message is complete (end of DATA or BDAT LAST): refuse it, or
 * hand it to an io worker that makes it durable before the 250. */
static void
smtp_session_message_end(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	unsigned flags = transaction->content_flags;
	struct smtp_commit_job *job;

	session->state = SMTP_STATE_READY;
	if ((flags & SMTP_DATA_READER_TOO_BIG) != 0) {
		log_info("session=%s event=reject reason=size size=%llu",
		    session->id,
		    (unsigned long long)transaction->content_size);
		smtp_session_reply(session, 552, "5.3.4",
		    "Error: message file too big");
		smtp_session_reset_transaction(session);
		return;
	}
	if ((flags & (SMTP_DATA_READER_BARE_LF | SMTP_DATA_READER_BARE_CR)) != 0 &&
	    session->config->smtp->bare_newline == SMTP_BARE_NEWLINE_REJECT) {
		log_info("session=%s event=reject reason=bare_newline",
		    session->id);
		smtp_session_reply(session, 550, "5.5.2",
		    "Error: bare <CR> or <LF> received in message content");
		smtp_session_reset_transaction(session);
		return;
	}
	job = arena_new_type(transaction->arena, struct smtp_commit_job);
	job->session = session;
	job->transaction = transaction;
	job->spool = session->server->spool;
	job->mail_root = session->server->mail_root;
	job->notify = session->server->notify;
	job->quota = session->server->quota;
	job->hostname = session->config->hostname;
	job->direct = session->config->queue->direct_delivery;
	job->envelope.id = transaction->id;
	job->envelope.received = (int64_t)time(NULL);
	job->envelope.hostname = job->hostname;
	job->envelope.client_address = session->client_address;
	job->envelope.helo = session->helo != NULL ?
	    arena_strdup(transaction->arena, session->helo) : "";
	job->envelope.mail_from = transaction->mail_from;
	job->envelope.ret = transaction->ret;
	job->envelope.envid = transaction->envid;
	job->envelope.smtputf8 = transaction->smtputf8;
	job->envelope.recipients = transaction->recipients;
	job->envelope.recipient_count = transaction->recipient_count;
	/* One local recipient only: with several, a failure after some
	 * were served could leave the client with a 451 for a message
	 * partly delivered, and its retry would duplicate those copies. */
	if (transaction->recipient_count != 1 ||
	    transaction->recipients[0].mailbox[0] == '\0')
		job->direct = false;
	job->part.iov_base = (void *)buffer_data(&transaction->message);
	job->part.iov_len = buffer_length(&transaction->message);

	session->waiting = true;
	connection_pause_input(session->connection);
	loop_timer_stop(session->idle_timer);
	smtp_session_flush(session);
	worker_pool_submit(session->server->io_workers, smtp_session_commit_work,
	    smtp_session_commit_done, job);
}

/* The current BDAT chunk has been read in full. */
static void
smtp_session_chunk_end(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;

	session->chunk_active = false;
	if (session->chunk_discard)
		return; /* refused when it began; the reply is out */
	if (!session->chunk_last) {
		smtp_session_reply(session, 250, "2.0.0",
		    "Ok: %llu octets received",
		    (unsigned long long)transaction->content_size);
		return;
	}
	smtp_transaction_end_chunks(transaction);
	smtp_session_message_end(session);
}

static void
smtp_session_data_end(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;

	transaction->content_flags =
	    smtp_data_reader_flags(transaction->data_reader);
	transaction->content_size =
	    smtp_data_reader_size(transaction->data_reader);
	smtp_session_message_end(session);
}

void
smtp_session_begin_data(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	struct smtp_data_reader_limits limits = {
		.max_message_size = session->config->smtp->max_message_size,
	};

	/* Our Received header goes first; the reader appends the message
	 * after it and counts only the client's bytes against the limit. */
	if (buffer_append_string(&transaction->message,
	    smtp_session_received_header(session)) < 0)
		log_panic("unbounded buffer refused an append");
	transaction->data_reader = smtp_data_reader_new(&limits,
	    &transaction->message);
	session->state = SMTP_STATE_DATA;
	smtp_session_reply(session, 354, NULL,
	    "End data with <CR><LF>.<CR><LF>");
}

void
smtp_session_begin_chunk(struct smtp_session *session, uint64_t size,
    bool last, bool discard)
{
	struct smtp_transaction *transaction = session->transaction;

	session->chunk_active = true;
	session->chunk_discard = discard;
	session->chunk_last = last;
	session->chunk_remaining = size;
	if (!discard && !transaction->chunking) {
		/* The first chunk: our Received header goes first, as for
		 * DATA; only the client's octets count against the limit. */
		transaction->chunking = true;
		if (buffer_append_string(&transaction->message,
		    smtp_session_received_header(session)) < 0)
			log_panic("unbounded buffer refused an append");
	}
	if (size == 0)
		smtp_session_chunk_end(session);
}

void
smtp_session_start_tls(struct smtp_session *session)
{
	const char *error;

	smtp_session_flush(session);
	if (connection_start_tls(session->connection, session->server->tls,
	    &error) < 0) {
		log_warn("session=%s event=starttls_failed error=%s",
		    session->id, error);
		smtp_session_close(session);
		return;
	}
	/* RFC 3207 4.2: forget everything learned before TLS. */
	line_reader_reset(session->line_reader);
	session->tls = true;
	session->esmtp = false;
	free(session->helo);
	session->helo = NULL;
	smtp_session_reset_transaction(session);
	session->state = SMTP_STATE_GREETING;
}

static void
smtp_session_process_input(struct smtp_session *session)
{
	const unsigned char *data;
	struct string_view line;
	size_t length, consumed;
	unsigned flags;
	int ret;

	while (!session->waiting && session->state != SMTP_STATE_CLOSING &&
	    session->connection != NULL) {
		if (session->stop_requested &&
		    !smtp_session_in_message(session)) {
			/* The transaction that held the stop back is over. */
			smtp_session_reply(session, 421, "4.3.2",
			    "%s Service shutting down",
			    session->config->hostname);
			smtp_session_close(session);
			break;
		}
		if (connection_output_length(session->connection) +
		    buffer_length(&session->output) > SMTP_OUTPUT_HIGH_WATER) {
			/* The client pipelines without reading: stop reading
			 * until our replies drain. The idle timer keeps
			 * running, so a client that never reads times out. */
			session->output_blocked = true;
			connection_pause_input(session->connection);
			break;
		}
		data = connection_input_peek(session->connection, &length);
		if (length == 0)
			break;
		if (session->chunk_active) {
			consumed = (size_t)MIN((uint64_t)length,
			    session->chunk_remaining);
			if (!session->chunk_discard)
				smtp_transaction_append_chunk(
				    session->transaction, data, consumed);
			connection_input_consume(session->connection, consumed);
			session->chunk_remaining -= consumed;
			if (session->chunk_remaining == 0)
				smtp_session_chunk_end(session);
			continue;
		}
		if (session->state == SMTP_STATE_DATA) {
			ret = smtp_data_reader_feed(
			    session->transaction->data_reader, data, length,
			    &consumed);
			connection_input_consume(session->connection, consumed);
			if (ret == 1)
				smtp_session_data_end(session);
			continue;
		}
		ret = line_reader_next(session->line_reader, data, length,
		    &consumed, &line, &flags);
		if (ret == 1) {
			/* The view may point into the connection's buffer. */
			ASSERT(line.length <
			    (size_t)session->config->smtp->line_limit);
			memcpy(session->line, line.data, line.length);
			session->line[line.length] = '\0';
			connection_input_consume(session->connection, consumed);
			smtp_session_handle_line(session, line.length, flags);
		} else {
			connection_input_consume(session->connection, consumed);
			if (ret < 0) {
				log_info("session=%s event=line_too_long",
				    session->id);
				smtp_session_reply_error(session, 500, "5.5.2",
				    "Error: line too long");
			}
		}
	}
	/* DATA or a BDAT chunk may have begun in this batch: the next wait
	 * is for message data, with its own timeout. */
	if (!session->waiting && session->state != SMTP_STATE_CLOSING &&
	    session->connection != NULL)
		smtp_session_arm_timer(session);
	smtp_session_flush(session);
}

static void
smtp_session_on_input(struct connection *connection, void *context)
{
	struct smtp_session *session = context;

	(void)connection;
	if (session->waiting || session->output_blocked ||
	    session->state == SMTP_STATE_CLOSING)
		return;
	smtp_session_arm_timer(session);
	smtp_session_process_input(session);
}

static void
smtp_session_on_drained(struct connection *connection, void *context)
{
	struct smtp_session *session = context;

	(void)connection;
	if (session->output_blocked) {
		session->output_blocked = false;
		if (!session->waiting && session->state != SMTP_STATE_CLOSING) {
			connection_resume_input(session->connection);
			smtp_session_arm_timer(session);
			smtp_session_process_input(session);
		}
	}
}

static void
smtp_session_on_end(struct connection *connection, enum connection_end end,
    void *context)
{
	struct smtp_session *session = context;
	static const char *const reasons[] = {
		[CONNECTION_END_EOF] = "eof",
		[CONNECTION_END_ERROR] = "error",
		[CONNECTION_END_TIMEOUT] = "timeout",
		[CONNECTION_END_CLOSED] = "closed",
	};

	(void)connection;
	log_info("session=%s event=disconnect reason=%s messages=%u",
	    session->id, reasons[end], session->messages);
	smtp_session_drop(session);
}

static const struct connection_callbacks smtp_session_callbacks = {
	.on_input = smtp_session_on_input,
	.on_drained = smtp_session_on_drained,
	.on_end = smtp_session_on_end,
};

static void
smtp_session_free(struct smtp_session *session)
{
	struct server *server = session->server;
	struct arena *arena = session->arena;

	if (session->prev != NULL)
		session->prev->next = session->next;
	else
		server->sessions = session->next;
	if (session->next != NULL)
		session->next->prev = session->prev;
	connection_free(&session->connection);
	smtp_transaction_free(&session->transaction);
	loop_timer_free(&session->idle_timer);
	loop_timer_free(&session->session_timer);
	if (session->limits_counted)
		client_limits_disconnect(server->client_limits,
		    session->client_address, loop_now_msec(server->loop));
	line_reader_free(&session->line_reader);
	buffer_deinit(&session->output);
	free(session->helo);
	free(session->pending_helo);
	listener_connection_closed(session->listener);
	server_config_unref(&session->config);
	arena_free(&arena);
	server_session_gone(server);
}

void
smtp_session_accept(struct listener *listener, int fd, const char *peer,
    void *context)
{
	static uint64_t next_id;
	struct server *server = context;
	struct arena *arena = arena_new("smtp session", 2048);
	struct smtp_session *session = arena_new_type(arena,
	    struct smtp_session);
	enum client_limits_verdict verdict;

	session->arena = arena;
	session->server = server;
	session->listener = listener;
	session->config = server->config;
	server_config_ref(session->config);
	snprintf(session->id, sizeof(session->id), "%08llx%04x",
	    (unsigned long long)++next_id, (unsigned)(getpid() & 0xffff));
	session->client_address = arena_strdup(arena, peer);
	session->line = arena_alloc(arena,
	    (size_t)session->config->smtp->line_limit + 1);
	session->line_reader = line_reader_new(
	    (size_t)session->config->smtp->line_limit);
	buffer_init(&session->output, 0);
	session->idle_timer = loop_timer_new(server->loop,
	    smtp_session_idle_timeout, session);
	session->session_timer = loop_timer_new(server->loop,
	    smtp_session_cap_timeout, session);
	session->connection = connection_new(server->loop, fd, peer,
	    &smtp_session_callbacks, session);
	session->next = server->sessions;
	if (server->sessions != NULL)
		server->sessions->prev = session;
	server->sessions = session;

	log_info("session=%s event=connect client=%s listener=%s", session->id,
	    session->client_address, listener_protocol(listener));
	if (server->stopping) {
		smtp_session_reply(session, 421, "4.3.2",
		    "%s Service shutting down", session->config->hostname);
		smtp_session_close(session);
		return;
	}
	verdict = client_limits_connect(server->client_limits,
	    session->client_address, loop_now_msec(server->loop),
	    &session->limits_counted);
	if (verdict != CLIENT_LIMITS_ALLOW) {
		smtp_session_refuse_limit(session,
		    client_limits_verdict_name(verdict),
		    verdict == CLIENT_LIMITS_RATE ?
		    "too many connections from your address, try later" :
		    "too many open connections from your address");
		return;
	}
	smtp_session_reply(session, 220, NULL, "%s %s",
	    session->config->hostname, session->config->smtp->banner);
	smtp_session_flush(session);
	smtp_session_arm_timer(session);
	loop_timer_start(session->session_timer,
	    (uint64_t)session->config->smtp->session_max_seconds * 1000);
}

void
smtp_session_shutdown_all(struct server *server)
{
	struct smtp_session *session, *next;

	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->state == SMTP_STATE_CLOSING)
			continue;
		if (session->waiting || smtp_session_in_message(session)) {
			session->stop_requested = true;
			continue;
		}
		smtp_session_reply(session, 421, "4.3.2",
		    "%s Service shutting down", session->config->hostname);
		smtp_session_close(session);
	}
}

void
smtp_session_abort_all(struct server *server)
{
	struct smtp_session *session, *next;

	for (session = server->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->connection_gone)
			continue;
		log_info("session=%s event=abort reason=shutdown", session->id);
		smtp_session_drop(session);
	}
}
