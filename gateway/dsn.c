/* dsn.c: RFC 3464 delivery status notifications as message text.
 *
 * DESIGN: everything is written into one buffer in one pass, after two
 * decisions: how much of the original goes in (whole, or headers only,
 * by RET, the action and the size limit), and a MIME boundary that the
 * included bytes do not contain (tried with a counter until it is
 * absent, so a message quoting our boundary cannot break the report).
 * Text from outside (addresses, replies, ENVID) is written with control
 * bytes as '?', so no header or field can be injected; 8-bit bytes stay
 * (UTF-8 addresses in an SMTPUTF8 report) and make the part 8bit. */
#include "gateway/dsn.h"
#include "lib/log.h"
#include "lib/string_view.h"

#include <time.h>

static const char *const dsn_action_names[] = {
	[DSN_ACTION_FAILED] = "failed",
	[DSN_ACTION_DELAYED] = "delayed",
	[DSN_ACTION_DELIVERED] = "delivered",
	[DSN_ACTION_RELAYED] = "relayed",
};

void
dsn_format_date(int64_t time, char date_r[40])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)time;
	struct tm tm;

	/* Names by hand: strftime's %a and %b follow the locale. */
	gmtime_r(&t, &tm);
	snprintf(date_r, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
dsn_append(struct buffer *out, const void *data, size_t length)
{
	if (buffer_append(out, data, length) < 0)
		log_panic("dsn: buffer full");
}

static void
dsn_printf(struct buffer *out, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void
dsn_printf(struct buffer *out, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ASSERT(n >= 0 && (size_t)n < sizeof(text));
	dsn_append(out, text, (size_t)n);
}

/* Appends outside text on one line: control bytes become '?'. */
static void
dsn_append_text(struct buffer *out, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		dsn_append(out, *p < 0x20 || *p == 0x7f ?
		    (const unsigned char *)"?" : p, 1);
}

static bool
dsn_text_is_8bit(const char *text)
{
	return text != NULL && string_view_has_8bit(
	    string_view_from_cstring(text));
}

/* Length of the original's header block, blank line included (the whole
 * message when it has no body). */
static size_t
dsn_header_length(const unsigned char *data, size_t length)
{
	const unsigned char *end;

	if (length >= 2 && data[0] == '\r' && data[1] == '\n')
		return 2;
	end = memmem(data, length, "\r\n\r\n", 4);
	return end == NULL ? length : (size_t)(end - data) + 4;
}

/* The header block cut to at most limit bytes at a line end. */
static size_t
dsn_cut_headers(const unsigned char *data, size_t length, uint64_t limit)
{
	size_t i;

	if (length <= limit)
		return length;
	for (i = (size_t)limit; i >= 2; i--)
		if (data[i - 2] == '\r' && data[i - 1] == '\n')
			return i;
	return 0;
}

static const char *
dsn_default_status(enum dsn_action action)
{
	switch (action) {
	case DSN_ACTION_FAILED:
		return "5.0.0";
	case DSN_ACTION_DELAYED:
		return "4.0.0";
	case DSN_ACTION_DELIVERED:
	case DSN_ACTION_RELAYED:
		break;
	}
	return "2.0.0";
}

static void
dsn_write_field(struct buffer *out, const char *name, const char *value)
{
	dsn_printf(out, "%s: ", name);
	dsn_append_text(out, value);
	dsn_append(out, "\r\n", 2);
}

static void
dsn_write_date_field(struct buffer *out, const char *name, int64_t time)
{
	char date[40];

	dsn_format_date(time, date);
	dsn_printf(out, "%s: %s\r\n", name, date);
}

/* An address type for Final-Recipient: "utf-8" (RFC 6533) for a UTF-8
 * address, which only a global report may carry. */
static const char *
dsn_address_type(const char *address)
{
	return dsn_text_is_8bit(address) ? "utf-8" : "rfc822";
}

static void
dsn_write_status_part(const struct dsn_report *report, struct buffer *out)
{
	const struct dsn_recipient *r;
	size_t i;

	dsn_printf(out, "Reporting-MTA: dns; ");
	dsn_append_text(out, report->hostname);
	dsn_append(out, "\r\n", 2);
	dsn_write_field(out, "X-Sluice-Queue-ID", report->original_id);
	if (report->envid[0] != '\0')
		dsn_write_field(out, "Original-Envelope-Id", report->envid);
	dsn_write_date_field(out, "Arrival-Date", report->arrival);
	for (i = 0; i < report->recipient_count; i++) {
		r = &report->recipients[i];
		dsn_append(out, "\r\n", 2);
		if (r->orcpt[0] != '\0')
			dsn_write_field(out, "Original-Recipient", r->orcpt);
		dsn_printf(out, "Final-Recipient: %s; ",
		    dsn_address_type(r->address));
		dsn_append_text(out, r->address);
		dsn_printf(out, "\r\nAction: %s\r\n",
		    dsn_action_names[r->action]);
		dsn_write_field(out, "Status", r->status[0] != '\0' ?
		    r->status : dsn_default_status(r->action));
		if (r->remote_mta[0] != '\0') {
			dsn_printf(out, "Remote-MTA: dns; ");
			dsn_append_text(out, r->remote_mta);
			dsn_append(out, "\r\n", 2);
		}
		if (r->diagnostic[0] != '\0') {
			dsn_printf(out, "Diagnostic-Code: %s; ",
			    r->diagnostic_type);
			dsn_append_text(out, r->diagnostic);
			dsn_append(out, "\r\n", 2);
		}
		if (r->last_attempt != 0)
			dsn_write_date_field(out, "Last-Attempt-Date",
			    r->last_attempt);
		if (r->action == DSN_ACTION_DELAYED && r->will_retry_until != 0)
			dsn_write_date_field(out, "Will-Retry-Until",
			    r->will_retry_until);
	}
}

/* The human-readable part: what happened, then one line per recipient. */
static void
dsn_write_notification(const struct dsn_report *report, bool any_failed,
    bool any_delayed, struct buffer *out)
{
	const struct dsn_recipient *r;
	int64_t until = 0;
	char date[40];
	size_t i;

	dsn_printf(out, "This is the mail system at ");
	dsn_append_text(out, report->hostname);
	dsn_printf(out, ".\r\n\r\n");
	for (i = 0; i < report->recipient_count; i++)
		until = MAX(until, report->recipients[i].will_retry_until);
	if (any_failed) {
		dsn_printf(out, "Your message could not be delivered to one "
		    "or more of its recipients.\r\nThe reasons are below. "
		    "The message, or its headers if it is large,\r\nis "
		    "attached.\r\n\r\n");
	} else if (any_delayed) {
		dsn_format_date(until, date);
		dsn_printf(out, "Your message has not been delivered yet to "
		    "the recipients below.\r\nThe mail system keeps trying%s%s;"
		    " you need not send it again.\r\n\r\n",
		    until != 0 ? " until " : "", until != 0 ? date : "");
	} else {
		dsn_printf(out, "Your message was delivered to the recipients "
		    "below, as you asked.\r\n\r\n");
	}
	for (i = 0; i < report->recipient_count; i++) {
		r = &report->recipients[i];
		dsn_append(out, "<", 1);
		dsn_append_text(out, r->address);
		dsn_printf(out, ">: %s", dsn_action_names[r->action]);
		if (r->diagnostic[0] != '\0') {
			dsn_printf(out, "%s", r->remote_mta[0] != '\0' ?
			    ", host " : ", ");
			if (r->remote_mta[0] != '\0') {
				dsn_append_text(out, r->remote_mta);
				dsn_printf(out, " said: ");
			}
			dsn_append_text(out, r->diagnostic);
		}
		dsn_append(out, "\r\n", 2);
	}
}

static void
dsn_choose_boundary(const struct dsn_report *report, const unsigned char *data,
    size_t length, char boundary_r[128])
{
	char delimiter[132];
	unsigned attempt = 0;

	for (;;) {
		snprintf(boundary_r, 128, "=_sluice_%.60s_%u", report->id,
		    attempt++);
		snprintf(delimiter, sizeof(delimiter), "--%s", boundary_r);
		if (memmem(data, length, delimiter, strlen(delimiter)) == NULL)
			return;
	}
}

void
dsn_build(const struct dsn_report *report, struct buffer *out)
{
	bool any_failed = false, any_delayed = false, full = false;
	bool utf8 = report->smtputf8, eight_bit, text_8bit = false;
	const char *subject, *original_type, *status_type;
	size_t i, included, header_length;
	char boundary[128], date[40];

	ASSERT(report->recipient_count > 0);
	for (i = 0; i < report->recipient_count; i++) {
		const struct dsn_recipient *r = &report->recipients[i];
		any_failed |= r->action == DSN_ACTION_FAILED;
		any_delayed |= r->action == DSN_ACTION_DELAYED;
		text_8bit |= dsn_text_is_8bit(r->address) ||
		    dsn_text_is_8bit(r->diagnostic);
	}
	/* The whole original only in a failure report (RFC 3461 RET is
	 * about failures), unless RET=HDRS or it is over the limit. */
	header_length = dsn_header_length(report->message,
	    report->message_length);
	if (any_failed && report->ret != SPOOL_RET_HEADERS &&
	    report->message_length <= report->size_limit) {
		full = true;
		included = report->message_length;
	} else {
		included = dsn_cut_headers(report->message, header_length,
		    report->size_limit);
	}
	eight_bit = string_view_has_8bit(string_view_make(
	    (const char *)report->message, included));
	text_8bit |= dsn_text_is_8bit(report->sender) ||
	    dsn_text_is_8bit(report->envid);
	if (utf8) {
		status_type = "message/global-delivery-status";
		original_type = full ? "message/global" :
		    "message/global-headers";
	} else {
		status_type = "message/delivery-status";
		original_type = full ? "message/rfc822" :
		    "text/rfc822-headers";
	}
	subject = any_failed ? "Delivery Status Notification (Failure)" :
	    any_delayed ? "Delivery Status Notification (Delay)" :
	    "Delivery Status Notification (Success)";
	dsn_choose_boundary(report, report->message, included, boundary);

	dsn_printf(out, "From: Mail Delivery System <MAILER-DAEMON@");
	dsn_append_text(out, report->hostname);
	dsn_printf(out, ">\r\nTo: <");
	dsn_append_text(out, report->sender);
	dsn_printf(out, ">\r\nSubject: %s\r\n", subject);
	dsn_format_date(report->now, date);
	dsn_printf(out, "Date: %s\r\nMessage-ID: <", date);
	dsn_append_text(out, report->id);
	dsn_append(out, "@", 1);
	dsn_append_text(out, report->hostname);
	dsn_printf(out, ">\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=%s;\r\n"
	    "\tboundary=\"%s\"\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n"
	    "This is a delivery status notification in MIME format.\r\n\r\n",
	    status_type + strlen("message/"), boundary,
	    eight_bit || text_8bit ? "8bit" : "7bit");

	dsn_printf(out, "--%s\r\nContent-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=%s\r\n%s\r\n", boundary,
	    text_8bit ? "utf-8" : "us-ascii",
	    text_8bit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	dsn_write_notification(report, any_failed, any_delayed, out);

	dsn_printf(out, "\r\n--%s\r\nContent-Description: Delivery report\r\n"
	    "Content-Type: %s\r\n%s\r\n", boundary, status_type,
	    text_8bit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	dsn_write_status_part(report, out);

	dsn_printf(out, "\r\n--%s\r\nContent-Description: %s\r\n"
	    "Content-Type: %s\r\n%s\r\n", boundary,
	    full ? "Undelivered message" : "Message headers", original_type,
	    eight_bit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	dsn_append(out, report->message, included);
	/* The delimiter must start a line of its own. */
	if (included < 2 || report->message[included - 2] != '\r' ||
	    report->message[included - 1] != '\n')
		dsn_append(out, "\r\n", 2);
	dsn_printf(out, "\r\n--%s--\r\n", boundary);
}
