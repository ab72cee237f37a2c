/* smtp_command_parser.c: SMTP command lines, MAIL/RCPT paths, ESMTP
 * parameters and xtext (see smtp_command_parser.h).
 *
 * DESIGN: the path parser is a hand-written scanner over the bytes of the
 * arguments (which may hold anything, NULs included) following the RFC
 * 5321 grammar, with each leniency named where it is taken. It validates
 * in place and copies into the arena only what it returns, so rejected
 * input costs no memory. Lengths are checked on the bytes as sent. */
#include "lib/smtp_command_parser.h"
#include "lib/error.h"

#include <arpa/inet.h>
#include <strings.h>

/* Longest DNS label (RFC 1035); checked for ASCII labels only, since a
 * UTF-8 label's octet count says nothing about its A-label length. */
#define DOMAIN_LABEL_MAX 63

static bool
char_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
char_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
char_is_alnum(unsigned char c)
{
	return char_is_alpha(c) || char_is_digit(c);
}

/* RFC 5322 atext. */
static bool
char_is_atext(unsigned char c)
{
	return char_is_alnum(c) || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
char_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Returns the length of the valid UTF-8 sequence (2..4 bytes) starting
 * at p, or 0 if there is none: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
static size_t
utf8_sequence_length(const unsigned char *p, const unsigned char *end)
{
	size_t length, i;
	unsigned char low = 0x80, high = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		length = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		length = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		length = 4;
	else
		return 0;
	if ((size_t)(end - p) < length)
		return 0;
	/* The second byte carries the overlong, surrogate and range
	 * restrictions; the others are plain continuation bytes. */
	if (p[0] == 0xe0)
		low = 0xa0;
	else if (p[0] == 0xed)
		high = 0x9f;
	else if (p[0] == 0xf0)
		low = 0x90;
	else if (p[0] == 0xf4)
		high = 0x8f;
	if (p[1] < low || p[1] > high)
		return 0;
	for (i = 2; i < length; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return length;
}

int
smtp_command_parse(struct string_view line, struct smtp_command *command_r,
    const char **error_r)
{
	size_t i = 0;

	while (i < line.length && char_is_alpha((unsigned char)line.data[i]))
		i++;
	if (i == 0 || i > SMTP_COMMAND_VERB_MAX ||
	    (i < line.length && line.data[i] != ' ')) {
		*error_r = error_set("syntax error");
		return -1;
	}
	command_r->verb = string_view_make(line.data, i);
	while (i < line.length && line.data[i] == ' ')
		i++;
	command_r->arguments = string_view_trim(string_view_skip(line, i));
	return 0;
}

/* A scan over the path and parameters of one MAIL or RCPT command. */
struct path_scan {
	const unsigned char *p;
	const unsigned char *end;
	bool allow_utf8;
	const char *error;
};

static bool
scan_at(const struct path_scan *scan, unsigned char c)
{
	return scan->p < scan->end && *scan->p == c;
}

static bool
scan_fail(struct path_scan *scan, const char *error)
{
	if (scan->error == NULL)
		scan->error = error;
	return false;
}

/* Consumes one byte >= 0x80 that starts valid UTF-8, if allowed. */
static bool
scan_utf8(struct path_scan *scan)
{
	size_t length;

	if (!scan->allow_utf8)
		return scan_fail(scan, "8-bit address without SMTPUTF8");
	length = utf8_sequence_length(scan->p, scan->end);
	if (length == 0)
		return scan_fail(scan, "invalid UTF-8 in address");
	scan->p += length;
	return true;
}

/* Domain name: labels of letters, digits, '-' and (leniently, as real
 * hostnames have them) '_', separated by single dots, not starting or
 * ending with '-'; UTF-8 labels when allowed. Stops at the first byte
 * that cannot continue the name. */
static bool
scan_domain_name(struct path_scan *scan)
{
	const unsigned char *label;
	bool ascii;

	for (;;) {
		label = scan->p;
		ascii = true;
		while (scan->p < scan->end) {
			if (char_is_alnum(*scan->p) || *scan->p == '-' ||
			    *scan->p == '_')
				scan->p++;
			else if (*scan->p >= 0x80) {
				if (!scan_utf8(scan))
					return false;
				ascii = false;
			} else
				break;
		}
		if (scan->p == label)
			return scan_fail(scan, "invalid domain");
		if (label[0] == '-' || scan->p[-1] == '-')
			return scan_fail(scan, "invalid domain");
		if (ascii && (size_t)(scan->p - label) > DOMAIN_LABEL_MAX)
			return scan_fail(scan, "domain label too long");
		if (!scan_at(scan, '.'))
			return true;
		scan->p++;
	}
}

/* Dotted quad, each part 1..3 digits worth 0..255 (RFC 5321 IPv4
 * address literal). */
static bool
ipv4_literal_valid(const char *text)
{
	unsigned part, value, digits;

	for (part = 0; part < 4; part++) {
		if (part > 0 && *text++ != '.')
			return false;
		value = 0;
		for (digits = 0; char_is_digit((unsigned char)*text); digits++)
			value = value * 10 + (unsigned)(*text++ - '0');
		if (digits == 0 || digits > 3 || value > 255)
			return false;
	}
	return *text == '\0';
}

/* Address literal "[...]": IPv4 or "IPv6:" plus an IPv6 address. On
 * success *literal_r is the arena copy, "[IPv6:" tag normalised and hex
 * digits lowercased. */
static bool
scan_address_literal(struct path_scan *scan, struct arena *arena,
    char **literal_r)
{
	const unsigned char *start = scan->p + 1, *close;
	struct in6_addr address6;
	char *text, *s;
	size_t length;

	close = memchr(start, ']', (size_t)(scan->end - start));
	if (close == NULL)
		return scan_fail(scan, "unterminated address literal");
	length = (size_t)(close - start);
	if (length + 2 > SMTP_COMMAND_DOMAIN_MAX)
		return scan_fail(scan, "domain too long");
	text = arena_strndup(arena, (const char *)start, length);
	if (strlen(text) != length)
		return scan_fail(scan, "invalid address literal");
	if (string_view_starts_with_case(string_view_make(text, length),
	    "IPv6:")) {
		if (inet_pton(AF_INET6, text + 5, &address6) != 1)
			return scan_fail(scan, "invalid IPv6 address literal");
		for (s = text + 5; *s != '\0'; s++)
			*s = (char)string_ascii_lower((unsigned char)*s);
		*literal_r = arena_printf(arena, "[IPv6:%s]", text + 5);
	} else if (ipv4_literal_valid(text))
		*literal_r = arena_printf(arena, "[%s]", text);
	else
		return scan_fail(scan, "invalid address literal");
	scan->p = close + 1;
	return true;
}

/* Domain or address literal after the '@'; *domain_r is the lowercased
 * arena copy. */
static bool
scan_domain(struct path_scan *scan, struct arena *arena, char **domain_r)
{
	const unsigned char *start = scan->p;
	char *domain;
	size_t i, length;

	if (scan_at(scan, '['))
		return scan_address_literal(scan, arena, domain_r);
	if (!scan_domain_name(scan))
		return false;
	length = (size_t)(scan->p - start);
	if (length > SMTP_COMMAND_DOMAIN_MAX)
		return scan_fail(scan, "domain too long");
	domain = arena_strndup(arena, (const char *)start, length);
	for (i = 0; i < length; i++)
		domain[i] = (char)string_ascii_lower((unsigned char)domain[i]);
	*domain_r = domain;
	return true;
}

/* Source route "@one,@two:" (RFC 5321 A-d-l): checked, then ignored as
 * section 4.1.2 asks. */
static bool
scan_source_route(struct path_scan *scan)
{
	for (;;) {
		if (!scan_at(scan, '@'))
			return scan_fail(scan, "invalid source route");
		scan->p++;
		if (!scan_domain_name(scan))
			return false;
		if (scan_at(scan, ':')) {
			scan->p++;
			return true;
		}
		if (!scan_at(scan, ','))
			return scan_fail(scan, "invalid source route");
		scan->p++;
	}
}

/* Unquoted local part. Leniency: dots may lead, trail or repeat ("a..b"),
 * as some large mail systems hand out such addresses. */
static bool
scan_dot_string(struct path_scan *scan)
{
	const unsigned char *start = scan->p;

	while (scan->p < scan->end) {
		if (char_is_atext(*scan->p) || *scan->p == '.')
			scan->p++;
		else if (*scan->p >= 0x80) {
			if (!scan_utf8(scan))
				return false;
		} else
			break;
	}
	if (scan->p == start) {
		if (scan->p < scan->end && *scan->p != '@' && *scan->p != '>')
			return scan_fail(scan, "invalid character in address");
		return scan_fail(scan, "empty local part");
	}
	return true;
}

/* True when text is a strict RFC 5321 Dot-string (atoms of atext or
 * UTF-8 joined by single dots), i.e. needs no quotes. */
static bool
dot_string_strict(const unsigned char *text, size_t length)
{
	size_t i;

	if (length == 0 || text[0] == '.' || text[length - 1] == '.')
		return false;
	for (i = 0; i < length; i++) {
		if (text[i] == '.') {
			if (text[i + 1] == '.')
				return false;
		} else if (!char_is_atext(text[i]) && text[i] < 0x80)
			return false;
	}
	return true;
}

/* Quoted local part: qtextSMTP, quoted-pairs, UTF-8 when allowed. The
 * unescaped content goes to unquoted (room for the whole local part) and
 * its length to *unquoted_length_r. */
static bool
scan_quoted_string(struct path_scan *scan, unsigned char *unquoted,
    size_t room, size_t *unquoted_length_r)
{
	const unsigned char *start;
	size_t n = 0;

	scan->p++;
	for (;;) {
		start = scan->p;
		if (scan->p >= scan->end)
			return scan_fail(scan, "unterminated quoted string");
		if (*scan->p == '"')
			break;
		if (*scan->p == '\\') {
			scan->p++;
			if (scan->p >= scan->end || *scan->p < 0x20 ||
			    *scan->p > 0x7e)
				return scan_fail(scan,
				    "invalid character in address");
			start = scan->p;
			scan->p++;
		} else if (*scan->p >= 0x80) {
			if (!scan_utf8(scan))
				return false;
		} else if (*scan->p >= 0x20 && *scan->p != 0x7f)
			scan->p++;
		else
			return scan_fail(scan, "invalid character in address");
		if (n + (size_t)(scan->p - start) > room)
			return scan_fail(scan, "local part too long");
		memcpy(unquoted + n, start, (size_t)(scan->p - start));
		n += (size_t)(scan->p - start);
	}
	scan->p++;
	*unquoted_length_r = n;
	return true;
}

/* Local part as returned: a quoted one that needs no quotes loses them. */
static bool
scan_local_part(struct path_scan *scan, struct arena *arena, char **local_r)
{
	const unsigned char *start = scan->p;
	unsigned char unquoted[SMTP_COMMAND_LOCAL_PART_MAX];
	size_t length, unquoted_length = 0;

	if (scan_at(scan, '"')) {
		if (!scan_quoted_string(scan, unquoted, sizeof(unquoted),
		    &unquoted_length))
			return false;
	} else if (!scan_dot_string(scan))
		return false;
	length = (size_t)(scan->p - start);
	if (length > SMTP_COMMAND_LOCAL_PART_MAX)
		return scan_fail(scan, "local part too long");
	if (*start == '"' && dot_string_strict(unquoted, unquoted_length))
		*local_r = arena_strndup(arena, (const char *)unquoted,
		    unquoted_length);
	else
		*local_r = arena_strndup(arena, (const char *)start, length);
	return true;
}

/* "<...>" with scan->p at the '<'. */
static bool
scan_path(struct path_scan *scan, struct arena *arena, bool from,
    struct smtp_path *path_r)
{
	const unsigned char *open = scan->p;
	char *local = NULL, *domain = NULL;
	bool routed = false;

	scan->p++;
	if (scan_at(scan, '>')) {
		if (!from)
			return scan_fail(scan, "null path not allowed");
		scan->p++;
		path_r->address = path_r->local_part = path_r->domain = "";
		path_r->is_null = true;
		return true;
	}
	if (scan_at(scan, '@')) {
		if (!scan_source_route(scan))
			return false;
		routed = true;
	}
	if (!scan_local_part(scan, arena, &local))
		return false;
	if (scan_at(scan, '@')) {
		scan->p++;
		if (!scan_domain(scan, arena, &domain))
			return false;
	} else if (!from && !routed && scan_at(scan, '>') &&
	    strcasecmp(local, "postmaster") == 0)
		domain = NULL;
	else if (scan_at(scan, '>') || scan->p >= scan->end)
		return scan_fail(scan, "missing domain");
	else
		return scan_fail(scan, "invalid character in address");
	if (!scan_at(scan, '>')) {
		if (scan->p >= scan->end)
			return scan_fail(scan, "missing >");
		return scan_fail(scan, "invalid character in address");
	}
	scan->p++;
	if ((size_t)(scan->p - open) > SMTP_COMMAND_PATH_MAX)
		return scan_fail(scan, "path too long");
	path_r->local_part = local;
	if (domain == NULL) {
		path_r->domain = "";
		path_r->address = local;
	} else {
		path_r->domain = domain;
		path_r->address = arena_printf(arena, "%s@%s", local, domain);
	}
	path_r->is_null = false;
	return true;
}

/* One KEYWORD[=VALUE] token, scan->p at its first byte. */
static bool
scan_parameter(struct path_scan *scan, struct arena *arena,
    struct smtp_parameter *parameter_r)
{
	const unsigned char *start = scan->p, *value;
	char *keyword;
	size_t i, length;

	if (!char_is_alnum(*scan->p))
		return scan_fail(scan, "invalid parameter");
	while (scan->p < scan->end &&
	    (char_is_alnum(*scan->p) || *scan->p == '-'))
		scan->p++;
	length = (size_t)(scan->p - start);
	keyword = arena_strndup(arena, (const char *)start, length);
	for (i = 0; i < length; i++) {
		if (keyword[i] >= 'a' && keyword[i] <= 'z')
			keyword[i] = (char)(keyword[i] - 'a' + 'A');
	}
	parameter_r->keyword = keyword;
	parameter_r->value = NULL;
	if (scan->p >= scan->end || *scan->p == ' ')
		return true;
	if (*scan->p != '=')
		return scan_fail(scan, "invalid parameter");
	value = ++scan->p;
	while (scan->p < scan->end && *scan->p > 0x20 && *scan->p < 0x7f &&
	    *scan->p != '=')
		scan->p++;
	if (scan->p == value ||
	    (scan->p < scan->end && *scan->p != ' '))
		return scan_fail(scan, "invalid parameter value");
	parameter_r->value = arena_strndup(arena, (const char *)value,
	    (size_t)(scan->p - value));
	return true;
}

static bool
scan_parameters(struct path_scan *scan, struct arena *arena,
    struct smtp_parameter **parameters_r, size_t *count_r)
{
	struct smtp_parameter found[SMTP_COMMAND_PARAMETERS_MAX];
	struct smtp_parameter parameter;
	size_t count = 0;

	for (;;) {
		while (scan_at(scan, ' '))
			scan->p++;
		if (scan->p >= scan->end)
			break;
		if (!scan_parameter(scan, arena, &parameter))
			return false;
		if (smtp_parameter_find(found, count,
		    parameter.keyword) != NULL)
			return scan_fail(scan, "duplicate parameter");
		if (count == SMTP_COMMAND_PARAMETERS_MAX)
			return scan_fail(scan, "too many parameters");
		found[count++] = parameter;
	}
	*parameters_r = NULL;
	if (count > 0) {
		*parameters_r = arena_array(arena, count, sizeof(found[0]));
		memcpy(*parameters_r, found, count * sizeof(found[0]));
	}
	*count_r = count;
	return true;
}

int
smtp_command_parse_path(struct arena *arena, struct string_view arguments,
    const char *keyword, bool allow_utf8, struct smtp_path *path_r,
    struct smtp_parameter **parameters_r, size_t *parameter_count_r,
    const char **error_r)
{
	struct path_scan scan;
	const char *p;
	size_t keyword_length = strlen(keyword);
	bool from = strcasecmp(keyword, "FROM") == 0;

	memset(path_r, 0, sizeof(*path_r));
	*parameters_r = NULL;
	*parameter_count_r = 0;
	memset(&scan, 0, sizeof(scan));
	scan.p = (const unsigned char *)arguments.data;
	scan.end = scan.p + arguments.length;
	scan.allow_utf8 = allow_utf8;

	if (!string_view_starts_with_case(arguments, keyword) ||
	    arguments.length == keyword_length ||
	    arguments.data[keyword_length] != ':') {
		*error_r = error_set("expected %s:", keyword);
		return -1;
	}
	scan.p += keyword_length + 1;
	/* Leniency: "MAIL FROM: <a@b>" is common. */
	while (scan_at(&scan, ' '))
		scan.p++;
	if (!scan_at(&scan, '<')) {
		*error_r = error_set("missing <>");
		return -1;
	}
	if (!scan_path(&scan, arena, from, path_r))
		goto failed;
	for (p = path_r->address; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			path_r->is_utf8 = true;
	}
	if (scan.p < scan.end && *scan.p != ' ') {
		scan_fail(&scan, "junk after address");
		goto failed;
	}
	if (!scan_parameters(&scan, arena, parameters_r, parameter_count_r))
		goto failed;
	return 0;
failed:
	*error_r = error_set("%s",
	    scan.error != NULL ? scan.error : "syntax error");
	return -1;
}

const struct smtp_parameter *
smtp_parameter_find(const struct smtp_parameter *parameters, size_t count,
    const char *keyword)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcasecmp(parameters[i].keyword, keyword) == 0)
			return &parameters[i];
	}
	return NULL;
}

int
smtp_parameter_parse_size(const char *value, uint64_t *size_r)
{
	uint64_t size = 0;
	unsigned digit;

	if (value == NULL || *value == '\0')
		return -1;
	for (; *value != '\0'; value++) {
		if (!char_is_digit((unsigned char)*value))
			return -1;
		digit = (unsigned)(*value - '0');
		if (size > (UINT64_MAX - digit) / 10)
			return -1;
		size = size * 10 + digit;
	}
	*size_r = size;
	return 0;
}

int
smtp_xtext_decode(struct arena *arena, const char *in, const char **out_r,
    const char **error_r)
{
	const unsigned char *p = (const unsigned char *)in;
	char *out, *o;
	int high, low;

	out = o = arena_alloc(arena, strlen(in) + 1);
	for (; *p != '\0'; p++) {
		if (*p == '+') {
			high = char_hex_value(p[1]);
			low = high < 0 ? -1 : char_hex_value(p[2]);
			if (low < 0) {
				*error_r = error_set("invalid xtext escape");
				return -1;
			}
			if (high == 0 && low == 0) {
				*error_r = error_set("NUL in xtext");
				return -1;
			}
			*o++ = (char)(high * 16 + low);
			p += 2;
		} else if (*p >= 0x21 && *p <= 0x7e && *p != '=')
			*o++ = (char)*p;
		else {
			*error_r = error_set("invalid character in xtext");
			return -1;
		}
	}
	*o = '\0';
	*out_r = out;
	return 0;
}
