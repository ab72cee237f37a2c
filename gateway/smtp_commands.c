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
	    "SMTPUTF8",
	    config->hostname,
	    (unsigned long long)config->smtp->max_message_size,
	    session->server->tls != NULL && !session->tls ? "STARTTLS\n" : "");
	smtp_session_reply(session, 250, NULL, "%s", text);
}

static int
smtp_commands_check_mail(struct smtp_session *session,
    struct string_view arguments)
{
	struct smtp_parameter *parameters;
	struct smtp_path path;
	size_t count, i;
	const char *error;
	uint64_t size = 0;
	bool eight_bit = false, utf8 = false;

	if (session->state != SMTP_STATE_READY) {
		smtp_session_reply_error(session, 503, "5.5.1",
		    "Error: nested MAIL command");
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
	for (i = 0; i < count; i++) {
		const struct smtp_parameter *p = &parameters[i];
		if (strcmp(p->keyword, "SIZE") == 0 && session->esmtp) {
			if (p->value == NULL ||
			    smtp_parameter_parse_size(p->value, &size) < 0) {
				smtp_session_reset_transaction(session);
				smtp_session_reply_error(session, 501, "5.5.4",
				    "Bad SIZE parameter");
				return -1;
			}
		} else if (strcmp(p->keyword, "BODY") == 0 && session->esmtp &&
		    p->value != NULL && (strcasecmp(p->value, "8BITMIME") == 0 ||
		    strcasecmp(p->value, "7BIT") == 0)) {
			eight_bit = strcasecmp(p->value, "8BITMIME") == 0;
		} else if (strcmp(p->keyword, "SMTPUTF8") == 0 &&
		    session->esmtp && p->value == NULL) {
			utf8 = true;
		} else {
			smtp_session_reset_transaction(session);
			smtp_session_reply_error(session, 555, "5.5.4",
			    "Unsupported option: %s", p->keyword);
			return -1;
		}
	}
	if (path.is_utf8 && !utf8) {
		smtp_session_reset_transaction(session);
		smtp_session_reply_error(session, 553, "5.6.7",
		    "Error: non-ASCII address requires SMTPUTF8");
		return -1;
	}
	if (size > session->config->smtp->max_message_size) {
		smtp_session_reset_transaction(session);
		smtp_session_reply(session, 552, "5.3.4",
		    "Message size exceeds fixed limit");
		return -1;
	}
	session->transaction->mail_from = path.address;
	session->transaction->declared_size = size;
	session->transaction->body_8bitmime = eight_bit;
	session->transaction->smtputf8 = utf8;
	return 0;
}

static void
smtp_commands_proceed_mail(struct smtp_session *session)
{
	spool_new_id(session->transaction->id);
	session->state = SMTP_STATE_MAIL;
	smtp_session_reply(session, 250, "2.1.0", "Ok");
}

static int
smtp_commands_check_rcpt(struct smtp_session *session,
    struct string_view arguments)
{
	struct smtp_transaction *transaction = session->transaction;
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
	    transaction->smtputf8, &path, &parameters, &count, &error) < 0) {
		smtp_session_reply_error(session, 501, "5.1.3",
		    "Bad recipient address syntax (%s)", error);
		return -1;
	}
	if (count > 0) {
		smtp_session_reply_error(session, 555, "5.5.4",
		    "Unsupported option: %s", parameters[0].keyword);
		return -1;
	}
	session->pending_address = path.address;
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
smtp_commands_add_target(struct smtp_transaction *transaction,
    const struct routing_target *target, const char *original)
{
	const struct spool_recipient *recipient;
	struct spool_recipient *added;
	const char *mailbox = target->kind == ROUTING_LOCAL ?
	    target->mailbox : "";
	size_t i;

	for (i = 0; i < transaction->recipient_count; i++) {
		recipient = &transaction->recipients[i];
		if (mailbox[0] != '\0' ? strcmp(recipient->mailbox,
		    mailbox) == 0 : recipient->mailbox[0] == '\0' &&
		    strcasecmp(recipient->address, target->address) == 0)
			return;
	}
	smtp_transaction_add_recipient(transaction, target->address, mailbox);
	/* An alias rewrote it: DSNs name what the client asked for. */
	if (original != NULL) {
		added = &transaction->recipients[transaction->recipient_count - 1];
		added->orcpt = arena_printf(transaction->arena, "rfc822;%s",
		    original);
	}
}

static void
smtp_commands_proceed_rcpt(struct smtp_session *session)
{
	struct smtp_transaction *transaction = session->transaction;
	const struct routing_result *result = session->pending_routing;
	size_t i;

	session->pending_routing = NULL;
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
		smtp_commands_add_target(transaction, &result->targets[i],
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
	    "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY STARTTLS");
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
