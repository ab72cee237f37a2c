/* smtp_commands.c: the SMTP command table and its handlers.
 *
 * Each command is {verb, check, stage, proceed, flags}: check parses the
 * arguments and answers syntax errors; stage runs asynchronous work
 * (RCPT's routing lookup; DNSBL, SPF and greylisting hang here later);
 * proceed acts and replies. Reply texts and codes follow Postfix where a
 * client or an admin might recognise them. */
#include "gateway/smtp_session_private.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/smtp_command_parser.h"
#include "gateway/routing.h"
#include "gateway/smtp_address.h"
#include "gateway/smtp_parameters.h"

#include <strings.h>

/* HELO and EHLO take one word: a domain or an address literal. It is
 * kept as a printable copy for Received headers and logs. */
static int
smtp_commands_check_hello(struct smtp_session *session,
    struct string_view arguments, const char *verb)
{
	char name[256];

	arguments = string_view_trim(arguments);
	if (arguments.length == 0 || memchr(arguments.data, ' ',
	    arguments.length) != NULL) {
		smtp_session_reply_error(session, 501, "5.5.4",
		    "Syntax: %s hostname", verb);
		return -1;
	}
	string_view_printable(arguments, name, sizeof(name));
	free(session->pending_helo);
	session->pending_helo = alloc_strdup(name);
	return 0;
}

static void
smtp_commands_accept_hello(struct smtp_session *session, bool esmtp)
{
	free(session->helo);
	session->helo = session->pending_helo;
	session->pending_helo = NULL;
	session->esmtp = esmtp;
	smtp_session_reset_transaction(session);
	session->state = SMTP_STATE_READY;
}

static int
smtp_commands_check_helo(struct smtp_session *session,
    struct string_view arguments)
{
	return smtp_commands_check_hello(session, arguments, "HELO");
}

static void
smtp_commands_proceed_helo(struct smtp_session *session)
{
	smtp_commands_accept_hello(session, false);
	smtp_session_reply(session, 250, NULL, "%s",
	    session->config->hostname);
}

static int
smtp_commands_check_ehlo(struct smtp_session *session,
    struct string_view arguments)
{
	return smtp_commands_check_hello(session, arguments, "EHLO");
}

static void
smtp_commands_proceed_ehlo(struct smtp_session *session)
{
	const struct server_config *config = session->config;
	char text[512];

	smtp_commands_accept_hello(session, true);
	snprintf(text, sizeof(text),
	    "%s\nPIPELINING\nSIZE %llu\n%s8BITMIME\nENHANCEDSTATUSCODES\n"
	    "SMTPUTF8\nDSN\nCHUNKING",
	    config->hostname,
	    (unsigned long long)config->smtp->max_message_size,
	    session->server->tls != NULL && !session->tls ? "STARTTLS\n" : "");
	smtp_session_reply(session, 250, NULL, "%s", text);
}

/* Refuses a MAIL or RCPT whose parameters did not check out. A SIZE
 * over the limit is a fact about the message, not a client mistake. */
static void
smtp_commands_refuse_parameters(struct smtp_session *session,
    const struct smtp_parameters_reply *reply)
{
	if (reply->code == 552)
		smtp_session_reply(session, reply->code, reply->enhanced, "%s",
		    reply->text);
	else
		smtp_session_reply_error(session, reply->code,
		    reply->enhanced, "%s", reply->text);
}

static int
smtp_commands_check_mail(struct smtp_session *session,
    struct string_view arguments)
{
	const struct smtp_settings *smtp = session->config->smtp;
	struct smtp_parameters_reply reply;
	struct smtp_parameters_mail mail;
	struct smtp_parameter *parameters;
	struct smtp_path path;
	const char *error;
	size_t count;

	if (session->state != SMTP_STATE_READY) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: nested MAIL command");
		return -1;
	}
	if (smtp->max_messages_per_connection != 0 &&
	    session->transactions >=
	    (uint64_t)smtp->max_messages_per_connection) {
		smtp_session_refuse_limit(session, "messages",
		    "too many messages in one connection");
		return -1;
	}
	session->transaction = smtp_transaction_new();
	if (smtp_command_parse_path(session->transaction->arena, arguments,
	    "FROM", true, &path, &parameters, &count, &error) < 0) {
		smtp_session_reset_transaction(session);
		smtp_session_reply_error(session, 501, "5.1.7",
		    "Bad sender address syntax (%s)", error);
		return -1;
	}
	if (smtp_parameters_parse_mail(session->transaction->arena,
	    parameters, count, session->esmtp, smtp->max_message_size, &mail,
	    &reply) < 0) {
		/* The reply text lives in the transaction's arena. */
		smtp_commands_refuse_parameters(session, &reply);
		smtp_session_reset_transaction(session);
		return -1;
	}
	/* RFC 6531 3.4: a UTF-8 address only in an SMTPUTF8 transaction. */
	if (path.is_utf8 && !mail.smtputf8) {
		smtp_session_reset_transaction(session);
		smtp_session_reply_error(session, 553, "5.6.7",
		    "Error: non-ASCII address requires SMTPUTF8");
		return -1;
	}
	session->transaction->mail_from = path.address;
	session->transaction->declared_size = mail.size;
	session->transaction->body_8bitmime = mail.body_8bitmime;
	session->transaction->smtputf8 = mail.smtputf8;
	session->transaction->ret = mail.ret;
	session->transaction->envid = mail.envid;
	return 0;
}

static void
smtp_commands_proceed_mail(struct smtp_session *session)
{
	spool_new_id(session->transaction->id);
	session->transactions++;
	session->state = SMTP_STATE_MAIL;
	smtp_session_reply(session, 250, "2.1.0", "Ok");
}

static int
smtp_commands_check_rcpt(struct smtp_session *session,
    struct string_view arguments)
{
	struct smtp_transaction *transaction = session->transaction;
	struct smtp_parameters_reply reply;
	struct smtp_parameters_rcpt rcpt;
	struct smtp_parameter *parameters;
	struct smtp_path path;
	const char *error;
	size_t count;

	if (session->state != SMTP_STATE_MAIL &&
	    session->state != SMTP_STATE_RCPT) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: need MAIL command");
		return -1;
	}
	/* Before parsing: every accepted RCPT, duplicates included, counts,
	 * so a client cannot grow the transaction without bound. */
	if (transaction->rcpt_commands >=
	    (size_t)session->config->smtp->max_recipients) {
		smtp_session_reply_error(session, 452, "4.5.3",
		    "Error: too many recipients");
		return -1;
	}
	if (smtp_command_parse_path(transaction->arena, arguments, "TO",
	    true, &path, &parameters, &count, &error) < 0) {
		smtp_session_reply_error(session, 501, "5.1.3",
		    "Bad recipient address syntax (%s)", error);
		return -1;
	}
	if (path.is_utf8 && !transaction->smtputf8) {
		smtp_session_reply_error(session, 553, "5.6.7",
		    "Error: non-ASCII address requires SMTPUTF8");
		return -1;
	}
	if (smtp_parameters_parse_rcpt(transaction->arena, parameters, count,
	    session->esmtp, &rcpt, &reply) < 0) {
		smtp_commands_refuse_parameters(session, &reply);
		return -1;
	}
	session->pending_address = path.address;
	session->pending_notify = rcpt.notify;
	session->pending_orcpt = rcpt.orcpt;
	/* An address that routes inside its local part (or names a host by
	 * its IP address) is taken only as the literal address of a local
	 * user, never judged by its domain (smtp_address.h): routing says
	 * which it is. */
	session->pending_trick = NULL;
	(void)smtp_address_check_recipient(path.address,
	    &session->pending_trick);
	/* Only a probe waits on another server: every other answer is a
	 * read of sluice.db, done here rather than through a worker. */
	if (!routing_may_block(session->server->routing, path.address)) {
		session->pending_routing = arena_new_type(transaction->arena,
		    struct routing_result);
		routing_resolve(session->server->routing, path.address, false,
		    transaction->arena, session->pending_routing);
		return 1;
	}
	return 0;
}

/* A routing lookup for one RCPT, on an io worker (it reads sluice.db
 * and may probe a downstream server). The session waits, so the
 * transaction's arena is the job's until done() runs. */
struct smtp_commands_rcpt_job {
	struct smtp_session *session;
	struct routing *routing;
	const char *address;
	struct arena *arena;
	struct routing_result result;
};

static void
smtp_commands_rcpt_work(void *context)
{
	struct smtp_commands_rcpt_job *job = context;

	routing_resolve(job->routing, job->address, false, job->arena,
	    &job->result);
}

static void smtp_commands_proceed_rcpt(struct smtp_session *session);

static void
smtp_commands_rcpt_done(void *context)
{
	struct smtp_commands_rcpt_job *job = context;

	routing_unref(&job->routing);
	job->session->pending_routing = &job->result;
	smtp_session_resume(job->session, smtp_commands_proceed_rcpt);
}

static void
smtp_commands_stage_rcpt(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	struct smtp_commands_rcpt_job *job;

	job = arena_new_type(transaction->arena, struct smtp_commands_rcpt_job);
	job->session = session;
	job->address = session->pending_address;
	job->arena = transaction->arena;
	job->routing = session->server->routing;
	routing_ref(job->routing);
	worker_pool_submit(session->server->io_workers, smtp_commands_rcpt_work,
	    smtp_commands_rcpt_done, job);
}

/* Adds one routing target as a spool recipient, unless the transaction
 * has it already (the same mailbox, the same remote address). */
static void
smtp_commands_add_target(struct smtp_session *session,
    const struct routing_target *target, const char *original)
{
	struct smtp_transaction *transaction = session->transaction;
	const struct spool_recipient *recipient;
	const char *mailbox = target->kind == ROUTING_LOCAL ?
	    target->mailbox : "";
	const char *orcpt = session->pending_orcpt;
	size_t i;

	for (i = 0; i < transaction->recipient_count; i++) {
		recipient = &transaction->recipients[i];
		if (mailbox[0] != '\0' ? strcmp(recipient->mailbox,
		    mailbox) == 0 : recipient->mailbox[0] == '\0' &&
		    strcasecmp(recipient->address, target->address) == 0)
			return;
	}
	/* An alias rewrote it: DSNs name what the client asked for. */
	if (original != NULL && (orcpt == NULL || orcpt[0] == '\0'))
		orcpt = arena_printf(transaction->arena, "rfc822;%s",
		    original);
	smtp_transaction_add_recipient(transaction, target->address, mailbox,
	    session->pending_notify, orcpt);
}

static void
smtp_commands_proceed_rcpt(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	const struct routing_result *result = session->pending_routing;
	size_t i;

	session->pending_routing = NULL;
	if (session->pending_trick != NULL && (result->target_count != 1 ||
	    result->targets[0].kind != ROUTING_LOCAL ||
	    strcasecmp(result->targets[0].mailbox,
	    session->pending_address) != 0)) {
		log_info("session=%s event=reject reason=relay trick=\"%s\" "
		    "client=%s rcpt=<%s>", session->id, session->pending_trick,
		    session->client_address, session->pending_address);
		smtp_session_reply_error(session, 554, "5.7.1",
		    "<%s>: Relay access denied", session->pending_address);
		return;
	}
	if (result->verdict == ROUTING_REJECT ||
	    result->verdict == ROUTING_DEFER) {
		log_info("session=%s event=%s client=%s rcpt=<%s> reply=\"%u "
		    "%s\"", session->id, result->verdict == ROUTING_REJECT ?
		    "reject" : "defer", session->client_address,
		    session->pending_address, result->code, result->status);
		if (result->verdict == ROUTING_REJECT)
			smtp_session_reply_error(session, result->code,
			    result->status, "%s", result->text);
		else
			smtp_session_reply(session, result->code,
			    result->status, "%s", result->text);
		return;
	}
	/* Aliases multiply recipients; the spool file has its own cap. */
	if (transaction->recipient_count + result->target_count >
	    SPOOL_MAX_RECIPIENTS) {
		smtp_session_reply_error(session, 452, "4.5.3",
		    "Error: too many recipients");
		return;
	}
	transaction->rcpt_commands++;
	for (i = 0; i < result->target_count; i++)
		smtp_commands_add_target(session, &result->targets[i],
		    result->expanded ? session->pending_address : NULL);
	session->state = SMTP_STATE_RCPT;
	smtp_session_reply(session, 250, "2.1.5", "Ok");
}

static int
smtp_commands_check_no_arguments(struct smtp_session *session,
    struct string_view arguments, const char *verb)
{
	if (arguments.length > 0) {
		smtp_session_reply_error(session, 501, "5.5.4", "Syntax: %s",
		    verb);
		return -1;
	}
	return 0;
}

static int
smtp_commands_check_data(struct smtp_session *session,
    struct string_view arguments)
{
	if (smtp_commands_check_no_arguments(session, arguments, "DATA") < 0)
		return -1;
	if (session->transaction != NULL && session->transaction->chunking) {
		/* RFC 3030 2: one message is sent with BDAT or DATA. */
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: DATA after BDAT");
		return -1;
	}
	if (session->state != SMTP_STATE_RCPT) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    session->state == SMTP_STATE_MAIL ?
		    "Error: need RCPT command" : "Error: need MAIL command");
		return -1;
	}
	return 0;
}

static void
smtp_commands_proceed_data(struct smtp_session *session)
{
	smtp_session_begin_data(session);
}

/* BDAT n [LAST] (RFC 3030). Whatever the verdict, the n octets after
 * the command line are the chunk and are read: a refused chunk is
 * answered at once and then discarded, so the session stays in sync. */
static int
smtp_commands_check_bdat(struct smtp_session *session,
    struct string_view arguments)
{
	struct smtp_transaction *transaction = session->transaction;
	uint64_t size, room, max = session->config->smtp->max_message_size;
	bool last;

	if (smtp_parameters_parse_bdat(arguments, &size, &last) < 0) {
		/* Without a size there is no telling where the chunk ends
		 * and the next command begins. */
		log_info("session=%s event=bad_bdat", session->id);
		smtp_session_reply(session, 501, "5.5.4",
		    "Syntax: BDAT count [LAST]");
		smtp_session_close(session);
		return -1;
	}
	if (!session->esmtp || session->state == SMTP_STATE_GREETING) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: send EHLO first");
		smtp_session_begin_chunk(session, size, last, true);
		return -1;
	}
	if (transaction != NULL && transaction->declined) {
		/* RFC 3030 2: once a chunk was refused, the rest of the
		 * message is refused too, up to its last chunk. */
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: message already refused");
		if (last)
			smtp_session_reset_transaction(session);
		smtp_session_begin_chunk(session, size, last, true);
		return -1;
	}
	if (session->state != SMTP_STATE_RCPT) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    session->state == SMTP_STATE_MAIL ?
		    "Error: need RCPT command" : "Error: need MAIL command");
		smtp_session_begin_chunk(session, size, last, true);
		return -1;
	}
	room = max - MIN(max, transaction->content_size);
	if (size > room) {
		log_info("session=%s event=reject reason=size size=%llu",
		    session->id, (unsigned long long)
		    (transaction->content_size + MIN(size, max)));
		smtp_session_reply(session, 552, "5.3.4",
		    "Error: message file too big");
		if (last)
			smtp_session_reset_transaction(session);
		else
			transaction->declined = true;
		smtp_session_begin_chunk(session, size, last, true);
		return -1;
	}
	session->pending_chunk_size = size;
	session->pending_chunk_last = last;
	return 0;
}

static void
smtp_commands_proceed_bdat(struct smtp_session *session)
{
	smtp_session_begin_chunk(session, session->pending_chunk_size,
	    session->pending_chunk_last, false);
}

static int
smtp_commands_check_rset(struct smtp_session *session,
    struct string_view arguments)
{
	return smtp_commands_check_no_arguments(session, arguments, "RSET");
}

static void
smtp_commands_proceed_rset(struct smtp_session *session)
{
	smtp_session_reset_transaction(session);
	smtp_session_reply(session, 250, "2.0.0", "Ok");
}

static void
smtp_commands_proceed_noop(struct smtp_session *session)
{
	smtp_session_reply(session, 250, "2.0.0", "Ok");
}

static int
smtp_commands_check_quit(struct smtp_session *session,
    struct string_view arguments)
{
	return smtp_commands_check_no_arguments(session, arguments, "QUIT");
}

static void
smtp_commands_proceed_quit(struct smtp_session *session)
{
	smtp_session_reply(session, 221, "2.0.0", "Bye");
	smtp_session_close(session);
}

static void
smtp_commands_proceed_vrfy(struct smtp_session *session)
{
	/* RFC 5321 3.5.3: no address harvesting, but no refusal either. */
	smtp_session_reply(session, 252, "2.0.0",
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
smtp_commands_proceed_expn(struct smtp_session *session)
{
	smtp_session_reply(session, 502, "5.5.1", "Error: EXPN not supported");
}

static void
smtp_commands_proceed_help(struct smtp_session *session)
{
	smtp_session_reply(session, 214, "2.0.0",
	    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY "
	    "STARTTLS");
}

static int
smtp_commands_check_starttls(struct smtp_session *session,
    struct string_view arguments)
{
	if (smtp_commands_check_no_arguments(session, arguments,
	    "STARTTLS") < 0)
		return -1;
	if (session->tls) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: TLS already active");
		return -1;
	}
	if (session->server->tls == NULL) {
		smtp_session_reply_error(session, 502, "5.5.1",
		    "Error: command not implemented");
		return -1;
	}
	if (session->state == SMTP_STATE_MAIL ||
	    session->state == SMTP_STATE_RCPT) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: STARTTLS in a mail transaction");
		return -1;
	}
	return 0;
}

static void
smtp_commands_proceed_starttls(struct smtp_session *session)
{
	smtp_session_reply(session, 220, "2.0.0", "Ready to start TLS");
	smtp_session_start_tls(session);
}

static const struct smtp_command_entry smtp_command_table[] = {
	{ "EHLO", smtp_commands_check_ehlo, NULL, smtp_commands_proceed_ehlo,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "HELO", smtp_commands_check_helo, NULL, smtp_commands_proceed_helo,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "MAIL", smtp_commands_check_mail, NULL, smtp_commands_proceed_mail,
	    0 },
	{ "RCPT", smtp_commands_check_rcpt, smtp_commands_stage_rcpt,
	    smtp_commands_proceed_rcpt, 0 },
	{ "DATA", smtp_commands_check_data, NULL, smtp_commands_proceed_data,
	    0 },
	/* BEFORE_HELO: even refused, its chunk must be read (check). */
	{ "BDAT", smtp_commands_check_bdat, NULL, smtp_commands_proceed_bdat,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "RSET", smtp_commands_check_rset, NULL, smtp_commands_proceed_rset,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "NOOP", NULL, NULL, smtp_commands_proceed_noop,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "QUIT", smtp_commands_check_quit, NULL, smtp_commands_proceed_quit,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "VRFY", NULL, NULL, smtp_commands_proceed_vrfy,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "EXPN", NULL, NULL, smtp_commands_proceed_expn,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "HELP", NULL, NULL, smtp_commands_proceed_help,
	    SMTP_COMMAND_FLAG_BEFORE_HELO },
	{ "STARTTLS", smtp_commands_check_starttls, NULL,
	    smtp_commands_proceed_starttls, SMTP_COMMAND_FLAG_BEFORE_HELO },
};

const struct smtp_command_entry *
smtp_commands_find(struct string_view verb)
{
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(smtp_command_table); i++)
		if (string_view_equal_cstring_case(verb,
		    smtp_command_table[i].verb))
			return &smtp_command_table[i];
	return NULL;
}
