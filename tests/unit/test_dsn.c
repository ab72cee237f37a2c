/* test_dsn.c: generated delivery status notifications parse back (with
 * lib/message) into the RFC 3464 structure with the right fields. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/mail_header.h"
#include "lib/message.h"
#include "gateway/dsn.h"
#include "tests/unit/harness.h"

static const char original[] =
    "Received: from client.test ([192.0.2.7])\r\n"
    "\tby mx.sluice.test (sluice) with ESMTP id 1764057600.M1P1Q1;\r\n"
    "\tTue, 25 Nov 2025 08:00:00 +0000\r\n"
    "From: <sender@remote.test>\r\n"
    "To: <demo@example.test>\r\n"
    "Subject: hello there\r\n"
    "\r\n"
    "The body.\r\n"
    "Second line.\r\n";

static struct dsn_recipient failed_recipient = {
	.address = "demo@example.test",
	.orcpt = "rfc822;Demo@Example.test",
	.action = DSN_ACTION_FAILED,
	.status = "5.1.1",
	.remote_mta = "mail.example.test",
	.diagnostic_type = "smtp",
	.diagnostic = "550 5.1.1 <demo@example.test>: no such user",
	.last_attempt = 1764057660,
};

static void
init_report(struct dsn_report *report, const struct dsn_recipient *r,
    size_t count)
{
	memset(report, 0, sizeof(*report));
	report->id = "1764057600.M1P1Q1-D1";
	report->original_id = "1764057600.M1P1Q1";
	report->hostname = "mx.sluice.test";
	report->sender = "sender@remote.test";
	report->envid = "QQ314159";
	report->arrival = 1764057600;
	report->now = 1764057700;
	report->ret = SPOOL_RET_DEFAULT;
	report->size_limit = 50000;
	report->message = (const unsigned char *)original;
	report->message_length = strlen(original);
	report->recipients = r;
	report->recipient_count = count;
}

/* A field's value as a NUL-terminated arena string, or NULL. */
static const char *
field(struct arena *arena, const struct mail_header *header,
    const char *name)
{
	const struct mail_header_field *f = mail_header_get(header, name);
	struct string_view value;

	if (f == NULL)
		return NULL;
	value = mail_header_unfold(arena, f->value);
	return arena_strndup(arena, value.data, value.length);
}

/* The index-th block (blank-line separated) of a delivery-status body,
 * parsed as a header. */
static const struct mail_header *
status_block(struct arena *arena, struct string_view body, size_t index)
{
	const char *p = body.data, *end = body.data + body.length, *next;

	while (index-- > 0) {
		next = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (next == NULL)
			return NULL;
		p = next + 4;
	}
	return mail_header_parse(arena, (const unsigned char *)p,
	    (size_t)(end - p), NULL);
}

struct parsed_dsn {
	struct buffer text;
	const struct message *message;
	const struct message_part *parts[3];
	size_t part_count;
	struct arena *arena;
};

static void
parse_dsn(const struct dsn_report *report, struct parsed_dsn *parsed)
{
	const struct message_part *part;

	memset(parsed, 0, sizeof(*parsed));
	parsed->arena = arena_new("test", 0);
	buffer_init(&parsed->text, 0);
	dsn_build(report, &parsed->text);
	parsed->message = message_parse(parsed->arena,
	    buffer_data(&parsed->text), buffer_length(&parsed->text), NULL);
	for (part = message_part_first_child(parsed->message,
	    &parsed->message->parts[0]); part != NULL;
	    part = message_part_next_sibling(parsed->message, part)) {
		if (parsed->part_count < 3)
			parsed->parts[parsed->part_count] = part;
		parsed->part_count++;
	}
}

static void
free_dsn(struct parsed_dsn *parsed)
{
	buffer_deinit(&parsed->text);
	arena_free(&parsed->arena);
}

static bool
has_type(const struct message_part *part, const char *type,
    const char *subtype)
{
	return part != NULL && strcmp(part->type, type) == 0 &&
	    strcmp(part->subtype, subtype) == 0;
}

static bool
body_is(const struct message_part *part, const char *text, size_t length)
{
	return part->raw_body.length == length &&
	    memcmp(part->raw_body.data, text, length) == 0;
}

static void
test_dsn_failure_report(void)
{
	struct dsn_recipient recipients[2];
	struct dsn_report report;
	struct parsed_dsn dsn;
	const struct mail_header *top, *block;
	struct mail_header_content content;
	struct arena *arena;
	const char *text;

	recipients[0] = failed_recipient;
	recipients[1] = failed_recipient;
	recipients[1].address = "alice@example.test";
	recipients[1].orcpt = "";
	recipients[1].status = "4.4.7";
	recipients[1].remote_mta = "";
	recipients[1].diagnostic_type = "X-Sluice";
	recipients[1].diagnostic = "cannot deliver: Permission denied";
	init_report(&report, recipients, 2);
	parse_dsn(&report, &dsn);
	arena = dsn.arena;
	top = dsn.message->header;

	test_assert_string(field(arena, top, "From"),
	    "Mail Delivery System <MAILER-DAEMON@mx.sluice.test>");
	test_assert_string(field(arena, top, "To"), "<sender@remote.test>");
	test_assert_string(field(arena, top, "Subject"),
	    "Delivery Status Notification (Failure)");
	test_assert_string(field(arena, top, "Date"),
	    "Tue, 25 Nov 2025 08:01:40 +0000");
	test_assert_string(field(arena, top, "Message-ID"),
	    "<1764057600.M1P1Q1-D1@mx.sluice.test>");
	test_assert_string(field(arena, top, "Auto-Submitted"), "auto-replied");
	test_assert_string(field(arena, top, "MIME-Version"), "1.0");
	test_assert(has_type(&dsn.message->parts[0], "multipart", "report"));
	mail_header_parse_content_type(arena, mail_header_get(top,
	    "Content-Type")->value, &content);
	test_assert_string(mail_header_content_parameter(&content,
	    "report-type"), "delivery-status");
	test_assert(dsn.message->flags == 0);

	test_require(dsn.part_count == 3);
	test_assert(has_type(dsn.parts[0], "text", "plain"));
	test_assert(memmem(dsn.parts[0]->raw_body.data,
	    dsn.parts[0]->raw_body.length, "<demo@example.test>: failed, "
	    "host mail.example.test said: 550 5.1.1", 61) != NULL);
	test_assert(has_type(dsn.parts[1], "message", "delivery-status"));
	test_assert(has_type(dsn.parts[2], "message", "rfc822"));
	/* The whole original, byte for byte. */
	test_assert(body_is(dsn.parts[2], original, strlen(original)));

	block = status_block(arena, dsn.parts[1]->raw_body, 0);
	test_require(block != NULL);
	test_assert_string(field(arena, block, "Reporting-MTA"),
	    "dns; mx.sluice.test");
	test_assert_string(field(arena, block, "Original-Envelope-Id"),
	    "QQ314159");
	test_assert_string(field(arena, block, "Arrival-Date"),
	    "Tue, 25 Nov 2025 08:00:00 +0000");
	test_assert_string(field(arena, block, "X-Sluice-Queue-ID"),
	    "1764057600.M1P1Q1");
	block = status_block(arena, dsn.parts[1]->raw_body, 1);
	test_require(block != NULL);
	test_assert_string(field(arena, block, "Original-Recipient"),
	    "rfc822;Demo@Example.test");
	test_assert_string(field(arena, block, "Final-Recipient"),
	    "rfc822; demo@example.test");
	test_assert_string(field(arena, block, "Action"), "failed");
	test_assert_string(field(arena, block, "Status"), "5.1.1");
	test_assert_string(field(arena, block, "Remote-MTA"),
	    "dns; mail.example.test");
	test_assert_string(field(arena, block, "Diagnostic-Code"),
	    "smtp; 550 5.1.1 <demo@example.test>: no such user");
	test_assert_string(field(arena, block, "Last-Attempt-Date"),
	    "Tue, 25 Nov 2025 08:01:00 +0000");
	test_assert(field(arena, block, "Will-Retry-Until") == NULL);
	block = status_block(arena, dsn.parts[1]->raw_body, 2);
	test_require(block != NULL);
	test_assert(field(arena, block, "Original-Recipient") == NULL);
	test_assert(field(arena, block, "Remote-MTA") == NULL);
	test_assert_string(field(arena, block, "Status"), "4.4.7");
	text = field(arena, block, "Diagnostic-Code");
	test_assert_string(text,
	    "X-Sluice; cannot deliver: Permission denied");
	free_dsn(&dsn);
}

static void
test_dsn_returns_headers_only_when_asked_or_large(void)
{
	size_t header_length = strstr(original, "\r\n\r\n") + 4 - original;
	struct dsn_report report;
	struct parsed_dsn dsn;

	/* RET=HDRS. */
	init_report(&report, &failed_recipient, 1);
	report.ret = SPOOL_RET_HEADERS;
	parse_dsn(&report, &dsn);
	test_require(dsn.part_count == 3);
	test_assert(has_type(dsn.parts[2], "text", "rfc822-headers"));
	test_assert(body_is(dsn.parts[2], original, header_length));
	free_dsn(&dsn);

	/* Over the size limit (RET=FULL included). */
	init_report(&report, &failed_recipient, 1);
	report.ret = SPOOL_RET_FULL;
	report.size_limit = strlen(original) - 1;
	parse_dsn(&report, &dsn);
	test_require(dsn.part_count == 3);
	test_assert(has_type(dsn.parts[2], "text", "rfc822-headers"));
	test_assert(body_is(dsn.parts[2], original, header_length));
	test_assert(strstr(buffer_string(&dsn.text), "The body.") == NULL);
	free_dsn(&dsn);

	/* A limit inside the header block cuts at a line end. */
	init_report(&report, &failed_recipient, 1);
	report.size_limit = 50;
	parse_dsn(&report, &dsn);
	test_require(dsn.part_count == 3);
	test_assert(dsn.parts[2]->raw_body.length <= 50);
	test_assert(body_is(dsn.parts[2], original,
	    strstr(original, "\tby") - original));
	free_dsn(&dsn);
}

static void
test_dsn_delay_and_success_reports(void)
{
	struct dsn_recipient recipients[2];
	struct dsn_report report;
	struct parsed_dsn dsn;
	const struct mail_header *block;

	recipients[0] = failed_recipient;
	recipients[0].action = DSN_ACTION_DELAYED;
	recipients[0].status = "";
	recipients[0].diagnostic = "451 4.4.1 connection refused";
	recipients[0].will_retry_until = 1764057600 + 5 * 86400;
	init_report(&report, recipients, 1);
	parse_dsn(&report, &dsn);
	test_assert_string(field(dsn.arena, dsn.message->header, "Subject"),
	    "Delivery Status Notification (Delay)");
	test_require(dsn.part_count == 3);
	/* Delay reports carry the headers only, whatever RET says. */
	test_assert(has_type(dsn.parts[2], "text", "rfc822-headers"));
	block = status_block(dsn.arena, dsn.parts[1]->raw_body, 1);
	test_assert_string(field(dsn.arena, block, "Action"), "delayed");
	test_assert_string(field(dsn.arena, block, "Status"), "4.0.0");
	test_assert_string(field(dsn.arena, block, "Will-Retry-Until"),
	    "Sun, 30 Nov 2025 08:00:00 +0000");
	test_assert(memmem(dsn.parts[0]->raw_body.data,
	    dsn.parts[0]->raw_body.length, "until Sun, 30 Nov 2025", 22) !=
	    NULL);
	free_dsn(&dsn);

	recipients[0] = failed_recipient;
	recipients[0].action = DSN_ACTION_DELIVERED;
	recipients[0].status = "";
	recipients[0].remote_mta = "";
	recipients[0].diagnostic = "";
	recipients[1] = recipients[0];
	recipients[1].action = DSN_ACTION_RELAYED;
	init_report(&report, recipients, 2);
	parse_dsn(&report, &dsn);
	test_assert_string(field(dsn.arena, dsn.message->header, "Subject"),
	    "Delivery Status Notification (Success)");
	block = status_block(dsn.arena, dsn.parts[1]->raw_body, 1);
	test_assert_string(field(dsn.arena, block, "Action"), "delivered");
	test_assert_string(field(dsn.arena, block, "Status"), "2.0.0");
	test_assert(field(dsn.arena, block, "Diagnostic-Code") == NULL);
	block = status_block(dsn.arena, dsn.parts[1]->raw_body, 2);
	test_assert_string(field(dsn.arena, block, "Action"), "relayed");
	free_dsn(&dsn);
}

static void
test_dsn_smtputf8_uses_global_types(void)
{
	static const char utf8_original[] =
	    "From: <j\xc3\xb6rg@remote.test>\r\nSubject: Gr\xc3\xbc\xc3\x9f"
	    "e\r\n\r\nK\xc3\xa4se.\r\n";
	struct dsn_recipient recipient = failed_recipient;
	struct mail_header_content content;
	struct dsn_report report;
	struct parsed_dsn dsn;
	const struct mail_header *block;

	recipient.address = "r\xc3\xa9my@example.test";
	init_report(&report, &recipient, 1);
	report.sender = "j\xc3\xb6rg@remote.test";
	report.smtputf8 = true;
	report.message = (const unsigned char *)utf8_original;
	report.message_length = strlen(utf8_original);
	parse_dsn(&report, &dsn);
	mail_header_parse_content_type(dsn.arena, mail_header_get(
	    dsn.message->header, "Content-Type")->value, &content);
	test_assert_string(mail_header_content_parameter(&content,
	    "report-type"), "global-delivery-status");
	test_assert_string(field(dsn.arena, dsn.message->header,
	    "Content-Transfer-Encoding"), "8bit");
	test_assert_string(field(dsn.arena, dsn.message->header, "To"),
	    "<j\xc3\xb6rg@remote.test>");
	test_require(dsn.part_count == 3);
	test_assert(has_type(dsn.parts[0], "text", "plain"));
	test_assert_string(dsn.parts[0]->charset, "utf-8");
	test_assert(has_type(dsn.parts[1], "message",
	    "global-delivery-status"));
	test_assert(has_type(dsn.parts[2], "message", "global"));
	test_assert(body_is(dsn.parts[2], utf8_original,
	    strlen(utf8_original)));
	block = status_block(dsn.arena, dsn.parts[1]->raw_body, 1);
	test_assert_string(field(dsn.arena, block, "Final-Recipient"),
	    "utf-8; r\xc3\xa9my@example.test");
	free_dsn(&dsn);
}

static void
test_dsn_boundary_and_injection(void)
{
	static const char tricky[] =
	    "Subject: tricky\r\n\r\n--=_sluice_1764057600.M1P1Q1-D1_0\r\n"
	    "Content-Type: text/plain\r\n\r\nnot a part\r\n"
	    "--=_sluice_1764057600.M1P1Q1-D1_0--\r\n";
	struct dsn_recipient recipient = failed_recipient;
	struct dsn_report report;
	struct parsed_dsn dsn;
	const struct mail_header *block;

	recipient.diagnostic = "550 bad\r\nAction: delivered";
	init_report(&report, &recipient, 1);
	report.message = (const unsigned char *)tricky;
	report.message_length = strlen(tricky);
	parse_dsn(&report, &dsn);
	/* The quoted delimiter does not split the report. */
	test_require(dsn.part_count == 3);
	test_assert(body_is(dsn.parts[2], tricky, strlen(tricky)));
	test_assert(strstr(buffer_string(&dsn.text),
	    "boundary=\"=_sluice_1764057600.M1P1Q1-D1_1\"") != NULL);
	/* A reply cannot add fields to the report. */
	block = status_block(dsn.arena, dsn.parts[1]->raw_body, 1);
	test_assert_int(mail_header_count(block, "Action"), 1);
	test_assert_string(field(dsn.arena, block, "Action"), "failed");
	test_assert_string(field(dsn.arena, block, "Diagnostic-Code"),
	    "smtp; 550 bad??Action: delivered");
	free_dsn(&dsn);
}

static void
test_dsn_message_without_body(void)
{
	static const char bare[] = "Subject: only headers\r\n";
	struct dsn_report report;
	struct parsed_dsn dsn;

	init_report(&report, &failed_recipient, 1);
	report.message = (const unsigned char *)bare;
	report.message_length = strlen(bare);
	report.envid = "";
	parse_dsn(&report, &dsn);
	test_require(dsn.part_count == 3);
	test_assert(strstr(buffer_string(&dsn.text), "Original-Envelope-Id") ==
	    NULL);
	test_assert(memmem(dsn.parts[2]->raw_body.data,
	    dsn.parts[2]->raw_body.length, "Subject: only headers", 21) !=
	    NULL);
	free_dsn(&dsn);
}

static void
test_dsn_format_date(void)
{
	char date[40];

	dsn_format_date(0, date);
	test_assert_string(date, "Thu, 01 Jan 1970 00:00:00 +0000");
	dsn_format_date(1764057531, date);
	test_assert_string(date, "Tue, 25 Nov 2025 07:58:51 +0000");
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_dsn_failure_report),
		TEST_CASE(test_dsn_returns_headers_only_when_asked_or_large),
		TEST_CASE(test_dsn_delay_and_success_reports),
		TEST_CASE(test_dsn_smtputf8_uses_global_types),
		TEST_CASE(test_dsn_boundary_and_injection),
		TEST_CASE(test_dsn_message_without_body),
		TEST_CASE(test_dsn_format_date),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
