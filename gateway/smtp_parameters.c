/* smtp_parameters.c: MAIL/RCPT ESMTP parameters (SIZE, BODY, SMTPUTF8,
 * RET, ENVID, NOTIFY, ORCPT) and BDAT arguments (see smtp_parameters.h). */
#include "gateway/smtp_parameters.h"
#include "lib/error.h"

#include <strings.h>

static int
smtp_parameters_refuse(struct smtp_parameters_reply *reply_r, unsigned code,
    const char *enhanced, const char *text)
{
	reply_r->code = code;
	reply_r->enhanced = enhanced;
	reply_r->text = text;
	return -1;
}

static int
smtp_parameters_unsupported(struct arena *arena,
    const struct smtp_parameter *parameter,
    struct smtp_parameters_reply *reply_r)
{
	/* The keyword passed the parser's [A-Za-z0-9-] check, so it is
	 * safe to echo. */
	return smtp_parameters_refuse(reply_r, 555, "5.5.4",
	    arena_printf(arena, "Unsupported option: %s", parameter->keyword));
}

/* Decodes an xtext value and checks that the result is printable ASCII
 * (RFC 3461 4.2 and 4.4: both ENVID and ORCPT carry printable text). */
static int
smtp_parameters_decode_printable(struct arena *arena, const char *value,
    const char **decoded_r)
{
	const char *error;
	const unsigned char *p;

	if (smtp_xtext_decode(arena, value, decoded_r, &error) < 0)
		return -1;
	for (p = (const unsigned char *)*decoded_r; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return -1;
	}
	return 0;
}

int
smtp_parameters_parse_mail(struct arena *arena,
    const struct smtp_parameter *parameters, size_t count, bool esmtp,
    uint64_t max_size, struct smtp_parameters_mail *mail_r,
    struct smtp_parameters_reply *reply_r)
{
	const struct smtp_parameter *p;
	size_t i;

	memset(mail_r, 0, sizeof(*mail_r));
	mail_r->ret = SPOOL_RET_DEFAULT;
	mail_r->envid = "";
	for (i = 0; i < count; i++) {
		p = &parameters[i];
		if (!esmtp)
			return smtp_parameters_unsupported(arena, p, reply_r);
		if (strcmp(p->keyword, "SIZE") == 0) {
			if (smtp_parameter_parse_size(p->value,
			    &mail_r->size) < 0)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad SIZE parameter");
		} else if (strcmp(p->keyword, "BODY") == 0) {
			if (p->value != NULL &&
			    strcasecmp(p->value, "8BITMIME") == 0)
				mail_r->body_8bitmime = true;
			else if (p->value == NULL ||
			    strcasecmp(p->value, "7BIT") != 0)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad BODY parameter");
		} else if (strcmp(p->keyword, "SMTPUTF8") == 0) {
			if (p->value != NULL)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad SMTPUTF8 parameter");
			mail_r->smtputf8 = true;
		} else if (strcmp(p->keyword, "RET") == 0) {
			if (p->value != NULL && strcasecmp(p->value, "FULL") == 0)
				mail_r->ret = SPOOL_RET_FULL;
			else if (p->value != NULL &&
			    strcasecmp(p->value, "HDRS") == 0)
				mail_r->ret = SPOOL_RET_HEADERS;
			else
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad RET parameter");
		} else if (strcmp(p->keyword, "ENVID") == 0) {
			if (p->value == NULL ||
			    strlen(p->value) > SMTP_PARAMETERS_ENVID_MAX ||
			    smtp_parameters_decode_printable(arena, p->value,
			    &mail_r->envid) < 0)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad ENVID parameter");
		} else {
			return smtp_parameters_unsupported(arena, p, reply_r);
		}
	}
	if (mail_r->size > max_size)
		return smtp_parameters_refuse(reply_r, 552, "5.3.4",
		    "Message size exceeds fixed limit");
	return 0;
}

/* NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY (any subset, any order,
 * any case). Returns the enum spool_notify bits, or 0 if malformed. */
static unsigned
smtp_parameters_parse_notify(const char *value)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "NEVER", SPOOL_NOTIFY_NEVER },
		{ "SUCCESS", SPOOL_NOTIFY_SUCCESS },
		{ "FAILURE", SPOOL_NOTIFY_FAILURE },
		{ "DELAY", SPOOL_NOTIFY_DELAY },
	};
	const char *item = value, *comma;
	unsigned bits = 0, bit;
	size_t length, i;

	if (value == NULL)
		return 0;
	for (;;) {
		comma = strchr(item, ',');
		length = comma != NULL ? (size_t)(comma - item) : strlen(item);
		bit = 0;
		for (i = 0; i < ARRAY_LENGTH(names); i++) {
			if (strlen(names[i].name) == length &&
			    strncasecmp(item, names[i].name, length) == 0)
				bit = names[i].bit;
		}
		if (bit == 0)
			return 0;
		bits |= bit;
		if (comma == NULL)
			break;
		item = comma + 1;
	}
	/* RFC 3461 4.1: NEVER must not be combined with the others. */
	if ((bits & SPOOL_NOTIFY_NEVER) != 0 && bits != SPOOL_NOTIFY_NEVER)
		return 0;
	return bits;
}

/* ORCPT=addr-type;xtext: addr-type is an RFC 5322 atom (in practice
 * "rfc822" or "utf-8"). The result keeps the type as sent and the
 * address decoded: "rfc822;user@example.org". */
static int
smtp_parameters_parse_orcpt(struct arena *arena, const char *value,
    const char **orcpt_r)
{
	const char *semicolon, *address, *p;

	if (value == NULL || strlen(value) > SMTP_PARAMETERS_ORCPT_MAX)
		return -1;
	semicolon = strchr(value, ';');
	if (semicolon == NULL || semicolon == value || semicolon[1] == '\0')
		return -1;
	for (p = value; p < semicolon; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) != NULL))
			return -1;
	}
	if (smtp_parameters_decode_printable(arena, semicolon + 1,
	    &address) < 0 || *address == '\0')
		return -1;
	*orcpt_r = arena_printf(arena, "%.*s;%s", (int)(semicolon - value),
	    value, address);
	return 0;
}

int
smtp_parameters_parse_rcpt(struct arena *arena,
    const struct smtp_parameter *parameters, size_t count, bool esmtp,
    struct smtp_parameters_rcpt *rcpt_r,
    struct smtp_parameters_reply *reply_r)
{
	const struct smtp_parameter *p;
	size_t i;

	memset(rcpt_r, 0, sizeof(*rcpt_r));
	rcpt_r->orcpt = "";
	for (i = 0; i < count; i++) {
		p = &parameters[i];
		if (!esmtp)
			return smtp_parameters_unsupported(arena, p, reply_r);
		if (strcmp(p->keyword, "NOTIFY") == 0) {
			rcpt_r->notify = smtp_parameters_parse_notify(p->value);
			if (rcpt_r->notify == 0)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad NOTIFY parameter");
		} else if (strcmp(p->keyword, "ORCPT") == 0) {
			if (smtp_parameters_parse_orcpt(arena, p->value,
			    &rcpt_r->orcpt) < 0)
				return smtp_parameters_refuse(reply_r, 501,
				    "5.5.4", "Bad ORCPT parameter");
		} else {
			return smtp_parameters_unsupported(arena, p, reply_r);
		}
	}
	return 0;
}

int
smtp_parameters_parse_bdat(struct string_view arguments, uint64_t *size_r,
    bool *last_r)
{
	char digits[24];
	size_t i = 0, length;

	while (i < arguments.length && arguments.data[i] >= '0' &&
	    arguments.data[i] <= '9')
		i++;
	if (i == 0 || i >= sizeof(digits))
		return -1;
	memcpy(digits, arguments.data, i);
	digits[i] = '\0';
	if (smtp_parameter_parse_size(digits, size_r) < 0)
		return -1;
	*last_r = false;
	if (i == arguments.length)
		return 0;
	if (arguments.data[i] != ' ')
		return -1;
	while (i < arguments.length && arguments.data[i] == ' ')
		i++;
	length = arguments.length - i;
	if (length != 4 || strncasecmp(arguments.data + i, "LAST", 4) != 0)
		return -1;
	*last_r = true;
	return 0;
}
