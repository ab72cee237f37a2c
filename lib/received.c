/* received.c: Received header fields parsed into relays, and the
 * X-Spam-Relays-* pseudo-headers, compatible with SpamAssassin 4.0.
 *
 * DESIGN: a Received line is first normalised as SpamAssassin does
 * (whitespace runs become one space, trailing ';' and a trailing RFC 5322
 * date are cut), then a few fields are picked from anywhere in it (queue
 * id, HELO, receiving host, authentication). The "from" part is matched
 * against a catalogue of known MTA formats, tried in order; the first
 * format that matches sets the fields it names and ends the search, or
 * marks the hop as one to skip. Fields a format does not name keep what
 * earlier steps found, which is what makes the output agree with
 * SpamAssassin's on the odd lines. Formats are written in a small
 * pattern language (see pattern_match()) rather than as hand-written
 * scanners, so each MTA's shape reads as one line next to an example.
 * The matcher backtracks like a regular expression engine but works on
 * one short line and has a step budget, so hostile input costs bounded
 * time. */
#include "lib/received.h"

#include "lib/error.h"
#include "lib/log.h"
#include "lib/mime_decode.h"

#include <arpa/inet.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* Characters. */

static bool
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Perl's \s on bytes. */
static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ------------------------------------------------------------------ */
/* IP addresses as SpamAssassin's IP_ADDRESS recognises them: a dotted
 * quad with word boundaries, or an IPv6 address (optionally "IPv6:"
 * prefixed, an IPv4 tail allowed) not inside a longer hex/colon run. */

#define IP_ENDS_MAX 8

/* Length of a strict dotted quad at s[0..n) (octets 0..255 without
 * leading zeros), or 0. When whole is set the quad must fill s[0..n). */
static size_t
ipv4_length(const char *s, size_t n)
{
	size_t i = 0, octet, start;
	unsigned value;

	for (octet = 0; octet < 4; octet++) {
		if (octet > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		start = i;
		value = 0;
		while (i < n && is_digit(s[i]) && i - start < 3) {
			value = value * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start || value > 255 ||
		    (i - start > 1 && s[start] == '0'))
			return 0;
		if (i < n && is_digit(s[i]))
			return 0;
	}
	return i;
}

/* Whether s[0..n) is an IPv6 address in one of the forms SpamAssassin
 * accepts: groups of 1-4 hex digits, at most one "::", and an optional
 * dotted-quad tail counting as two groups. */
static bool
ipv6_valid(const char *s, size_t n)
{
	size_t i = 0, groups_left = 0, groups_right = 0, digits;
	bool compressed = false, v4_tail = false;
	size_t *groups = &groups_left;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = true;
		groups = &groups_right;
		i = 2;
	} else if (n > 0 && s[0] == ':')
		return false;
	while (i < n) {
		/* A dotted quad ends the address. */
		if (ipv4_length(s + i, n - i) == n - i) {
			if (i > 0 && s[i - 1] != ':')
				return false;
			v4_tail = true;
			break;
		}
		digits = 0;
		while (i < n && is_hex(s[i]) && digits < 5) {
			digits++;
			i++;
		}
		if (digits == 0 || digits > 4)
			return false;
		(*groups)++;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (compressed)
				return false;
			compressed = true;
			groups = &groups_right;
			i++;
		} else if (i == n)
			return false;
	}
	if (v4_tail) {
		if (!compressed)
			return groups_left == 6;
		return groups_left + groups_right <= 5;
	}
	if (!compressed)
		return groups_left == 8;
	return groups_left + groups_right <= 7;
}

/* Every end offset (longest first, at most IP_ENDS_MAX) at which an IP
 * address starting at text[at] may end; text[0..length) is the whole
 * subject, for the look-behind checks. */
static size_t
ip_match_ends(const char *text, size_t length, size_t at, size_t *ends)
{
	size_t count = 0, start = at, run, i, quad;
	char previous = at > 0 ? text[at - 1] : '\0';

	/* IPv4: \b(?<!:) quad \b. */
	if (at < length && is_digit(text[at]) && !is_word(previous) &&
	    previous != ':') {
		quad = ipv4_length(text + at, length - at);
		if (quad > 0 && (at + quad == length ||
		    !is_word(text[at + quad])))
			ends[count++] = at + quad;
	}
	/* IPv6, "IPv6:" prefixed or not preceded by hex or ':'. */
	if (length - at >= 5 && strncasecmp(text + at, "ipv6:", 5) == 0)
		start = at + 5;
	else if (is_hex(previous) || previous == ':')
		return count;
	run = start;
	while (run < length && (is_hex(text[run]) || text[run] == ':' ||
	    text[run] == '.'))
		run++;
	/* The address may stop at the run's end or before any '.', as
	 * long as what follows is no hex digit or ':'. */
	for (i = run; i > start && count < IP_ENDS_MAX; i--) {
		if (i < run && text[i] != '.')
			continue;
		if (i < length && (is_hex(text[i]) || text[i] == ':'))
			continue;
		if (memchr(text + start, ':', i - start) == NULL)
			continue;
		if (ipv6_valid(text + start, i - start))
			ends[count++] = i;
	}
	return count;
}

/* Whether text[at..end) is a loopback address as SpamAssassin's
 * LOCALHOST pattern spells it in IPv6 (::1, ::ffff:127.0.0.1). */
static bool
ipv6_is_loopback(const char *s, size_t n)
{
	char buffer[64];
	unsigned char address[16];
	static const unsigned char loopback[16] = { [15] = 1 };
	static const unsigned char mapped[16] = { [10] = 0xff, [11] = 0xff,
		[12] = 127, [15] = 1 };

	if (n >= sizeof(buffer))
		return false;
	memcpy(buffer, s, n);
	buffer[n] = '\0';
	if (inet_pton(AF_INET6, buffer, address) != 1)
		return false;
	return memcmp(address, loopback, 16) == 0 ||
	    memcmp(address, mapped, 16) == 0;
}

/* End offsets of SpamAssassin's LOCALHOST at text[at]: "localhost",
 * "localhost.localdomain" (any case), 127.0.0.1, or IPv6 loopback. */
static size_t
localhost_match_ends(const char *text, size_t length, size_t at,
    size_t *ends)
{
	size_t count = 0, ip_ends[IP_ENDS_MAX], ip_count, i, start;

	if (length - at >= 9 && strncasecmp(text + at, "localhost", 9) == 0) {
		if (length - at >= 21 &&
		    strncasecmp(text + at + 9, ".localdomain", 12) == 0)
			ends[count++] = at + 21;
		ends[count++] = at + 9;
		return count;
	}
	ip_count = ip_match_ends(text, length, at, ip_ends);
	for (i = 0; i < ip_count && count < IP_ENDS_MAX - 2; i++) {
		start = at;
		if (ip_ends[i] - at == 9 && memcmp(text + at, "127.0.0.1", 9) ==
		    0) {
			ends[count++] = ip_ends[i];
			continue;
		}
		if (length - at >= 5 && strncasecmp(text + at, "ipv6:", 5) == 0)
			start += 5;
		if (memchr(text + start, ':', ip_ends[i] - start) != NULL &&
		    ipv6_is_loopback(text + start, ip_ends[i] - start))
			ends[count++] = ip_ends[i];
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* The pattern language. A pattern is matched at one offset of a subject
 * (or, with PATTERN_ANYWHERE, at the first offset where it matches).
 * Bytes stand for themselves; '%' introduces:
 *   %S \S+   %s \S*   %T \S+ (shortest first)   %d \d+   %0 \d*
 *   %I an IP address        %L "localhost" or a loopback address
 *   %* any run, shortest first    %. any run, longest first
 *   %+ any non-empty run, longest first
 *   %~ 10 to 80 bytes, longest first   %^ 0 to 100 bytes
 *   %P [^)]*   %Q [^)]+   %R [^)]{0,40}   %N [^ ()]*   %E [^.]+
 *   %@ [^\s@]+   %z [A-Z0-9._~-]*   %A one letter   %D one non-digit
 *   %? any one byte
 *   %H "HELO" or "EHLO"
 *   %b word boundary   %$ end   %Z end or a space
 *   %! not followed by " id "   %X not followed by '.' or '-'
 *   %{ ... %} optional (taken if possible)
 *   %< ... %> capture (numbered in order of %<; no nesting)
 *   %% a '%'
 * Greedy elements give back what the rest needs, as in a regular
 * expression; captures are views into the subject. */

#define PATTERN_GROUPS_MAX 6
#define PATTERN_STEP_BUDGET 50000

enum pattern_flag {
	PATTERN_ANYWHERE = 1 << 0,
	PATTERN_FOLD_CASE = 1 << 1,
};

struct pattern_state {
	const char *pattern;
	const char *text;
	size_t length;
	bool fold_case;
	unsigned steps;
	struct string_view groups[PATTERN_GROUPS_MAX];
	size_t open[PATTERN_GROUPS_MAX];
};

static bool pattern_at(struct pattern_state *state, const char *p,
    size_t at);

/* Index of the capture a "%<" or "%>" at p belongs to. */
static size_t
pattern_group_index(const char *pattern_start, const char *p, bool closing)
{
	size_t count = 0;
	const char *q;

	for (q = pattern_start; q < p; q++) {
		if (*q != '%')
			continue;
		q++;
		if (*q == '<')
			count++;
	}
	return closing ? count - 1 : count;
}

/* The pattern after an optional group starting at p (just past "%{"). */
static const char *
pattern_skip_group(const char *p)
{
	int depth = 1;

	while (*p != '\0') {
		if (p[0] == '%' && p[1] == '{')
			depth++;
		else if (p[0] == '%' && p[1] == '}' && --depth == 0)
			return p + 2;
		if (*p == '%' && p[1] != '\0')
			p++;
		p++;
	}
	return p;
}

/* Tries the rest p after each end in ends[0..count). */
static bool
pattern_try_ends(struct pattern_state *state, const char *p,
    const size_t *ends, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (pattern_at(state, p, ends[i]))
			return true;
	return false;
}

/* A run of bytes accepted by class, between min and max long, tried
 * longest first (lazy: shortest first). */
static bool
pattern_run(struct pattern_state *state, const char *p, size_t at,
    bool (*class)(int), size_t min, size_t max, bool lazy)
{
	size_t n = 0, i;

	while (n < max && at + n < state->length && class(state->text[at + n]))
		n++;
	if (n < min)
		return false;
	if (lazy) {
		for (i = min; i <= n; i++)
			if (pattern_at(state, p, at + i))
				return true;
		return false;
	}
	for (i = n + 1; i-- > min;)
		if (pattern_at(state, p, at + i))
			return true;
	return false;
}

static bool class_not_space(int c) { return !is_space(c); }
static bool class_any(int c) { (void)c; return true; }
static bool class_digit(int c) { return is_digit(c); }
static bool class_not_paren(int c) { return c != ')'; }
static bool class_helo(int c) { return c != ' ' && c != '(' && c != ')'; }
static bool class_not_dot(int c) { return c != '.'; }
static bool class_not_space_at(int c) { return !is_space(c) && c != '@'; }
static bool
class_scope(int c)
{
	return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' ||
	    c == '~' || c == '-';
}

static bool
pattern_literal_equal(const struct pattern_state *state, char a, char b)
{
	if (state->fold_case)
		return string_ascii_lower((unsigned char)a) ==
		    string_ascii_lower((unsigned char)b);
	return a == b;
}

static bool
pattern_at(struct pattern_state *state, const char *p, size_t at)
{
	size_t ends[IP_ENDS_MAX], count, index;
	struct string_view saved;
	const char *text = state->text;
	char c;

	if (++state->steps > PATTERN_STEP_BUDGET)
		return false;
	for (;;) {
		if (*p == '\0')
			return true;
		if (*p != '%' || p[1] == '%') {
			if (at >= state->length ||
			    !pattern_literal_equal(state, text[at], *p))
				return false;
			p += *p == '%' ? 2 : 1;
			at++;
			continue;
		}
		c = p[1];
		p += 2;
		switch (c) {
		case 'S':
			return pattern_run(state, p, at, class_not_space, 1,
			    SIZE_MAX, false);
		case 's':
			return pattern_run(state, p, at, class_not_space, 0,
			    SIZE_MAX, false);
		case 'T':
			return pattern_run(state, p, at, class_not_space, 1,
			    SIZE_MAX, true);
		case 'd':
			return pattern_run(state, p, at, class_digit, 1,
			    SIZE_MAX, false);
		case '0':
			return pattern_run(state, p, at, class_digit, 0,
			    SIZE_MAX, true);
		case '*':
			return pattern_run(state, p, at, class_any, 0,
			    SIZE_MAX, true);
		case '.':
			return pattern_run(state, p, at, class_any, 0,
			    SIZE_MAX, false);
		case '+':
			return pattern_run(state, p, at, class_any, 1,
			    SIZE_MAX, false);
		case '~':
			return pattern_run(state, p, at, class_any, 10, 80,
			    false);
		case '^':
			return pattern_run(state, p, at, class_any, 0, 100,
			    false);
		case 'P':
			return pattern_run(state, p, at, class_not_paren, 0,
			    SIZE_MAX, false);
		case 'Q':
			return pattern_run(state, p, at, class_not_paren, 1,
			    SIZE_MAX, false);
		case 'R':
			return pattern_run(state, p, at, class_not_paren, 0,
			    40, false);
		case 'N':
			return pattern_run(state, p, at, class_helo, 0,
			    SIZE_MAX, false);
		case 'E':
			return pattern_run(state, p, at, class_not_dot, 1,
			    SIZE_MAX, false);
		case '@':
			return pattern_run(state, p, at, class_not_space_at, 1,
			    SIZE_MAX, false);
		case 'z':
			return pattern_run(state, p, at, class_scope, 0,
			    SIZE_MAX, false);
		case 'A':
			if (at >= state->length || !is_alpha(text[at]))
				return false;
			at++;
			continue;
		case 'D':
			if (at >= state->length || is_digit(text[at]))
				return false;
			at++;
			continue;
		case '?':
			if (at >= state->length)
				return false;
			at++;
			continue;
		case 'I':
			count = ip_match_ends(text, state->length, at, ends);
			return pattern_try_ends(state, p, ends, count);
		case 'L':
			count = localhost_match_ends(text, state->length, at,
			    ends);
			return pattern_try_ends(state, p, ends, count);
		case 'H':
			if (state->length - at < 4 ||
			    (strncmp(text + at, "HELO", 4) != 0 &&
			    strncmp(text + at, "EHLO", 4) != 0))
				return false;
			at += 4;
			continue;
		case 'b':
			if ((at > 0 && is_word(text[at - 1])) ==
			    (at < state->length && is_word(text[at])))
				return false;
			continue;
		case '$':
			if (at != state->length)
				return false;
			continue;
		case 'Z':
			if (at != state->length && text[at] != ' ')
				return false;
			continue;
		case '!':
			if (state->length - at >= 4 &&
			    memcmp(text + at, " id ", 4) == 0)
				return false;
			continue;
		case 'X':
			if (at < state->length &&
			    (text[at] == '.' || text[at] == '-'))
				return false;
			continue;
		case '{':
			if (pattern_at(state, p, at))
				return true;
			p = pattern_skip_group(p);
			continue;
		case '}':
			continue;
		case '<':
			index = pattern_group_index(state->pattern,
			    p - 2, false);
			ASSERT(index < PATTERN_GROUPS_MAX);
			state->open[index] = at;
			continue;
		case '>':
			index = pattern_group_index(state->pattern,
			    p - 2, true);
			ASSERT(index < PATTERN_GROUPS_MAX);
			saved = state->groups[index];
			state->groups[index] = string_view_make(
			    text + state->open[index], at - state->open[index]);
			if (pattern_at(state, p, at))
				return true;
			state->groups[index] = saved;
			return false;
		default:
			log_panic("received: bad pattern element %%%c", c);
		}
	}
}

/* Matches pattern against subject (at its start, or anywhere with
 * PATTERN_ANYWHERE). On success groups_r (may be NULL) gets the captures
 * ({NULL, 0} for one in an optional part not taken). */
static bool
pattern_match(struct string_view subject, const char *pattern,
    unsigned flags, struct string_view *groups_r)
{
	struct pattern_state state;
	size_t at, last;
	char first;

	memset(&state, 0, sizeof(state));
	state.text = subject.data;
	state.length = subject.length;
	state.fold_case = (flags & PATTERN_FOLD_CASE) != 0;
	state.pattern = pattern;
	last = (flags & PATTERN_ANYWHERE) != 0 ? subject.length : 0;
	/* A pattern that starts with a literal byte can only match where
	 * that byte is: skip to those places (most searches are for words
	 * that are not there). */
	first = pattern[0] != '%' ? pattern[0] :
	    pattern[1] == '%' ? '%' : '\0';
	for (at = 0; at <= last; at++) {
		if (first != '\0' && last > 0) {
			if (state.fold_case) {
				while (at < last && string_ascii_lower(
				    (unsigned char)subject.data[at]) !=
				    string_ascii_lower((unsigned char)first))
					at++;
			} else {
				const char *next = at < last ? memchr(
				    subject.data + at, first, last - at) : NULL;
				at = next != NULL ?
				    (size_t)(next - subject.data) : last;
			}
			if (at == last)
				break;
		}
		if (pattern_at(&state, pattern, at)) {
			if (groups_r != NULL)
				memcpy(groups_r, state.groups,
				    sizeof(state.groups));
			return true;
		}
		if (state.steps > PATTERN_STEP_BUDGET)
			return false;
	}
	return false;
}

static bool
contains(struct string_view subject, const char *pattern)
{
	return pattern_match(subject, pattern, PATTERN_ANYWHERE, NULL);
}

/* ------------------------------------------------------------------ */
/* One Received line being parsed. Fields are views into the normalised
 * line (or into static text and arena strings for synthesised ones). */

struct received_parse {
	struct arena *arena;
	/* The normalised line, and the part after "from ". */
	struct string_view line;
	struct string_view rest;
	struct string_view ip, rdns, helo, by, ident, envfrom, id, auth;
	bool envfrom_set;
	/* The MTA does reverse lookups (SpamAssassin's
	 * mta_looked_up_dns). */
	bool dns;
	/* A mail fetcher (fetchmail, getmail) handover was seen. */
	bool fetcher;
	/* A qmail-scanner line: its envelope sender belongs to the next
	 * (older) relay. */
	bool qmail_scanner;
};

enum received_result {
	RECEIVED_NONE,		/* format did not match: go on */
	RECEIVED_ENOUGH,	/* a relay */
	RECEIVED_SKIP,		/* a hop skipped on purpose */
};

static struct string_view
view_cut(struct string_view view, size_t start, size_t end)
{
	return string_view_make(view.data + start, end - start);
}

static bool
view_is(struct string_view view, const char *s)
{
	return view.length == strlen(s) && memcmp(view.data, s, view.length) ==
	    0;
}

static bool
view_has_prefix(struct string_view view, const char *prefix)
{
	size_t n = strlen(prefix);

	return view.length >= n && memcmp(view.data, prefix, n) == 0;
}

/* The value with whitespace runs turned into one space and trimmed, then
 * trailing ";" (and one space before each) removed, in arena. */
static struct string_view
normalise_line(struct arena *arena, struct string_view value)
{
	char *out;
	size_t i, n = 0, length = MIN(value.length, (size_t)RECEIVED_MAX_LINE);
	bool space = false;

	out = arena_alloc(arena, length + 1);
	for (i = 0; i < length; i++) {
		if (is_space((unsigned char)value.data[i])) {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = value.data[i];
	}
	while (n > 0 && out[n - 1] == ';') {
		n--;
		if (n > 0 && out[n - 1] == ' ')
			n--;
	}
	out[n] = '\0';
	return string_view_make(out, n);
}

static bool
is_day_name(const char *s)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
		"Sat", "Sun" };
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(days); i++)
		if (memcmp(s, days[i], 3) == 0)
			return true;
	return false;
}

static bool
is_month_name(const char *s)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(months); i++)
		if (memcmp(s, months[i], 3) == 0)
			return true;
	return false;
}

/* Start of the word ending just before end in s (after a space, or 0). */
static size_t
word_start(const char *s, size_t end)
{
	while (end > 0 && s[end - 1] != ' ')
		end--;
	return end;
}

static bool
all_digits(const char *s, size_t start, size_t end)
{
	size_t i;

	if (start == end)
		return false;
	for (i = start; i < end; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* "H:M" or "H:M:S", digits only. */
static bool
is_time(const char *s, size_t start, size_t end)
{
	size_t i, colons = 0;

	if (start == end || !is_digit(s[start]) || !is_digit(s[end - 1]))
		return false;
	for (i = start; i < end; i++) {
		if (s[i] == ':') {
			if (!is_digit(s[i - 1]))
				return false;
			colons++;
		} else if (!is_digit(s[i]))
			return false;
	}
	return colons == 1 || colons == 2;
}

/* Cuts a trailing "; [Day, ]D Mon YYYY HH:MM[:SS] ZONE" (the zone a single
 * word) together with the spaces and semicolons before it. */
static struct string_view
cut_date(struct string_view line)
{
	const char *s = line.data;
	size_t zone, time, year, month, day, cut;

	zone = word_start(s, line.length);
	if (zone == line.length || zone == 0)
		return line;
	time = word_start(s, zone - 1);
	if (time == 0 || !is_time(s, time, zone - 1))
		return line;
	year = word_start(s, time - 1);
	if (year == 0 || !all_digits(s, year, time - 1))
		return line;
	month = year - 4;
	if (year < 5 || word_start(s, year - 1) != month ||
	    !is_month_name(s + month))
		return line;
	/* The day: digits right after [\s;] or after "Day, ". */
	day = month - 1;
	while (day > 0 && is_digit(s[day - 1]))
		day--;
	if (day == month - 1)
		return line;
	if (day >= 6 && s[day - 1] == ' ' && s[day - 2] == ',' &&
	    is_day_name(s + day - 5) &&
	    (s[day - 6] == ' ' || s[day - 6] == ';'))
		cut = day - 5;
	else if (day >= 1 && (s[day - 1] == ' ' || s[day - 1] == ';'))
		cut = day;
	else
		return line;
	if (cut == 0 || (s[cut - 1] != ' ' && s[cut - 1] != ';'))
		return line;
	while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == ';'))
		cut--;
	return view_cut(line, 0, cut);
}

/* ------------------------------------------------------------------ */
/* Fields found anywhere in the line. */

/* HELO names: letters, digits and the punctuation MTAs let through. */
static bool
is_helo_char(int c)
{
	return is_word(c) || (c != '\0' && strchr("-.^+&:=?!@%*$\\/", c) !=
	    NULL);
}

/* The queue id: the first " id " followed by 3 or more bytes other than
 * whitespace, '<', '>' and ';' (one '<' skipped). */
static void
find_id(struct received_parse *parse)
{
	struct string_view line = parse->line;
	size_t at, start, end;

	for (at = 0; at + 4 <= line.length; at++) {
		if (memcmp(line.data + at, " id ", 4) != 0)
			continue;
		start = at + 4;
		if (start < line.length && line.data[start] == '<')
			start++;
		end = start;
		while (end < line.length && strchr(" <>;", line.data[end]) ==
		    NULL)
			end++;
		if (end - start >= 3) {
			parse->id = view_cut(line, start, end);
			return;
		}
	}
}

/* The HELO name of "helo=NAME" (preferred) or "HELO NAME"/"EHLO NAME",
 * each starting at a word boundary. */
static void
find_helo(struct received_parse *parse)
{
	struct string_view line = parse->line;
	size_t at, start, end;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (at = 0; at + 5 <= line.length; at++) {
			if (at > 0 && is_word(line.data[at - 1]))
				continue;
			if (pass == 0 && memcmp(line.data + at, "helo=", 5) ==
			    0)
				start = at + 5;
			else if (pass == 1 &&
			    (memcmp(line.data + at, "HELO ", 5) == 0 ||
			    memcmp(line.data + at, "EHLO ", 5) == 0))
				start = at + 5;
			else
				continue;
			end = start;
			while (end < line.length &&
			    is_helo_char((unsigned char)line.data[end]))
				end++;
			if (end > start) {
				parse->helo = view_cut(line, start, end);
				return;
			}
		}
	}
}

/* The word after the first " by ". */
static void
find_by(struct received_parse *parse)
{
	struct string_view groups[PATTERN_GROUPS_MAX];

	if (pattern_match(parse->line, " by %<%S%>", PATTERN_ANYWHERE, groups))
		parse->by = groups[0];
}

static const char *const auth_protocols[] = {
	"ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "UTF8SMTPA", "UTF8SMTPSA",
	"UTF8LMTPA", "UTF8LMTPSA", "ASMTP", "HTTP", "HTTPS", "HTTPU",
};

/* "with PROTOCOL" naming an authenticated protocol (RFC 3848 and kin),
 * any case, followed by a space, ';' or the end. */
static bool
find_auth_protocol(struct received_parse *parse)
{
	struct string_view line = parse->line, word;
	size_t at, end, i;

	for (at = 0; at + 6 <= line.length; at++) {
		if (strncasecmp(line.data + at, " with ", 6) != 0)
			continue;
		end = at + 6;
		while (end < line.length && line.data[end] != ' ' &&
		    line.data[end] != ';')
			end++;
		word = view_cut(line, at + 6, end);
		for (i = 0; i < ARRAY_LENGTH(auth_protocols); i++) {
			if (string_view_equal_cstring_case(word,
			    auth_protocols[i])) {
				parse->auth = word;
				return true;
			}
		}
	}
	return false;
}

/* Counts bytes of s[at..] in class, up to max; 0 if fewer than min. */
static size_t
count_class(struct string_view s, size_t at, bool (*class)(int),
    size_t min, size_t max)
{
	size_t n = 0;

	while (n < max && at + n < s.length && class(s.data[at + n]))
		n++;
	return n >= min ? n : 0;
}

static bool class_lower_digit(int c) { return is_digit(c) ||
    (c >= 'a' && c <= 'z'); }
static bool class_lower(int c) { return c >= 'a' && c <= 'z'; }

/* Gmail submission ids: 1-4 of [a-z0-9], "sm", 2-9 digits, 3 letters,
 * ".N.YYYY", then five two-digit fields below 70 ("...17.07"). */
static bool
is_gmail_submission_id(struct string_view id)
{
	size_t prefix, at, n, i;

	for (prefix = 1; prefix <= 4 && prefix < id.length; prefix++) {
		if (count_class(id, 0, class_lower_digit, prefix,
		    prefix) == 0 || id.length - prefix < 2 ||
		    memcmp(id.data + prefix, "sm", 2) != 0)
			continue;
		at = prefix + 2;
		/* The digit run is maximal: letters must follow it. */
		if ((n = count_class(id, at, class_digit, 2, 9)) == 0)
			continue;
		at += n;
		if (count_class(id, at, class_lower, 3, 3) == 0)
			continue;
		at += 3;
		if (at >= id.length || id.data[at++] != '.' ||
		    (n = count_class(id, at, class_digit, 1, 3)) == 0)
			continue;
		at += n;
		if (at >= id.length || id.data[at++] != '.' ||
		    count_class(id, at, class_digit, 4, 4) == 0)
			continue;
		at += 4;
		for (i = 0; i < 5; i++) {
			if (at >= id.length || id.data[at++] != '.' ||
			    id.length - at < 2 || id.data[at] < '0' ||
			    id.data[at] > '6' || !is_digit(id.data[at + 1]))
				break;
			at += 2;
		}
		if (i == 5)
			return true;
	}
	return false;
}

static bool
is_sasl_mechanism(struct string_view word)
{
	return view_is(word, "LOGIN") || view_is(word, "PLAIN") ||
	    view_is(word, "DIGEST-MD5") || view_is(word, "CRAM-MD5");
}

static void
set_auth(struct received_parse *parse, const char *text)
{
	parse->auth = string_view_from_cstring(text);
}

/* Signs of an authenticated submission, by MTA. */
static void
find_auth(struct received_parse *parse)
{
	struct string_view line = parse->line, g[PATTERN_GROUPS_MAX];
	char *text;

	if (contains(line, " by ") && find_auth_protocol(parse))
		return;
	/* Gmail's submission servers say ESMTPS, with a telltale id. */
	if (pattern_match(line, " by mx.google.com with ESMTPS id %<%S%>",
	    PATTERN_ANYWHERE, g) && is_gmail_submission_id(g[0]) &&
	    pattern_match(line,
	    "(version=%<%S%> cipher=%<%Q%>)", PATTERN_ANYWHERE, g)) {
		text = arena_printf(parse->arena,
		    "GMail - transport=%.*s cipher=%.*s", (int)g[0].length,
		    g[0].data, (int)g[1].length, g[1].data);
		set_auth(parse, text);
		return;
	}
	/* Courier. */
	if ((pattern_match(line, "from %*]) (AUTH: %<%S%> %S%{, %*%}) by ",
	    0, g) || pattern_match(line,
	    "from %*)] (AUTH: %<%S%> %S%{, %*%}) by ", 0, g)) &&
	    is_sasl_mechanism(g[0])) {
		parse->auth = g[0];
		return;
	}
	/* Sendmail, MDaemon and others. */
	if (contains(line, "authenticated") &&
	    (pattern_match(line, "from %*]) %*(%*authenticated%*)%* by", 0,
	    NULL) || pattern_match(line,
	    "from %*] (%P)) %*(%*authenticated%*)%* by", 0, NULL) ||
	    pattern_match(line, "from %*)] %*(%*authenticated%*)%* by", 0,
	    NULL))) {
		set_auth(parse, "Sendmail");
		return;
	}
	/* GMX authenticates users without saying so. */
	if (pattern_match(line, "from %s (%H %<%s%>) [%I] by %<%S%> (%Q) with "
	    "%<%S%>", PATTERN_ANYWHERE, g) && (view_is(g[1], "mail.gmx.net") ||
	    view_is(g[1], "mail.gmx.com")) && (view_has_prefix(g[2], "ESMTP") ||
	    view_has_prefix(g[2], "SMTP"))) {
		text = arena_printf(parse->arena, "GMX (%s / %.*s)",
		    view_has_prefix(g[2], "ESMTP") ? "ESMTP" : "SMTP",
		    (int)g[1].length, g[1].data);
		set_auth(parse, text);
		return;
	}
	/* Critical Path. */
	if (contains(line, " (authenticated as ") && pattern_match(line,
	    ") by %+ (%d.%d.%d%{.%d%}) (authenticated as %+) id ",
	    PATTERN_ANYWHERE, NULL)) {
		set_auth(parse, "CriticalPath");
		return;
	}
	/* Postfix with smtpd_sasl_authenticated_header. */
	if (pattern_match(line, ") (Authenticated sender: %S) by %S (%<%Q%>) "
	    "with ", PATTERN_ANYWHERE, g)) {
		if (view_is(g[0], "Postfix"))
			set_auth(parse, "Postfix");
		else
			set_auth(parse, arena_printf(parse->arena,
			    "Postfix (%.*s)", (int)g[0].length, g[0].data));
		return;
	}
	if ((contains(line, "CommuniGate Pro HTTP") ||
	    contains(line, "CommuniGate Pro SMTP") ||
	    contains(line, "CommuniGate Pro XIMSS") ||
	    contains(line, "CommuniGate Pro IMAP")) &&
	    contains(line, " (account ")) {
		set_auth(parse, "Communigate");
		return;
	}
	if (contains(line, " with Microsoft Exchange Server HTTP-DAV%b")) {
		set_auth(parse, "HTTP-DAV");
		return;
	}
	/* "(via HTTP)" comments of webmail front ends. */
	if (contains(line, " by ") && (pattern_match(line,
	    " (via %<HTTP%?%>)%Z", PATTERN_ANYWHERE | PATTERN_FOLD_CASE, g) ||
	    pattern_match(line, " (via %<HTTP%?%>);",
	    PATTERN_ANYWHERE | PATTERN_FOLD_CASE, g) || pattern_match(line,
	    " (via %<HTTP%>)%Z", PATTERN_ANYWHERE | PATTERN_FOLD_CASE, g) ||
	    pattern_match(line, " (via %<HTTP%>);",
	    PATTERN_ANYWHERE | PATTERN_FOLD_CASE, g)))
		parse->auth = g[0];
}

/* The envelope sender of "return-path:", "envelope-from" and
 * "envelope-sender", any case: the next word up to its last word
 * boundary. */
static void
find_envfrom(struct received_parse *parse)
{
	static const char *const keys[] = { "return-path: ", "return-path ",
		"envelope-sender ", "envelope-sender=", "envelope-from ",
		"envelope-from=" };
	struct string_view rest = parse->rest;
	size_t at, i, n, start, end, k;

	for (at = 0; at < rest.length; at++) {
		for (i = 0; i < ARRAY_LENGTH(keys); i++) {
			n = strlen(keys[i]);
			if (rest.length - at < n ||
			    strncasecmp(rest.data + at, keys[i], n) != 0)
				continue;
			start = at + n;
			end = start;
			while (end < rest.length && !is_space(rest.data[end]))
				end++;
			/* \S+\b: the longest prefix ending at a boundary. */
			for (k = end; k > start; k--) {
				bool before = is_word(rest.data[k - 1]);
				bool after = k < rest.length &&
				    is_word(rest.data[k]);

				if (before != after) {
					parse->envfrom = view_cut(rest, start,
					    k);
					parse->envfrom_set = true;
					return;
				}
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* The catalogue of "from" formats. */

enum format_flag {
	/* The MTA looks up reverse DNS, so an empty rdns means none. */
	FORMAT_DNS = 1 << 0,
	/* A hop to skip (local submission, internal handover). */
	FORMAT_SKIP = 1 << 1,
	/* A mail fetcher handover: skip it and restart the chain. */
	FORMAT_FETCHER = 1 << 2,
	/* Match the pattern anywhere, not at the start. */
	FORMAT_ANYWHERE = 1 << 3,
	/* Forget the queue id found earlier. */
	FORMAT_NO_ID = 1 << 4,
	/* The line names no receiving host. */
	FORMAT_NO_BY = 1 << 5,
	/* Sendmail's "IDENT:user@host" in the rdns slot. */
	FORMAT_IDENT_IN_RDNS = 1 << 6,
	/* couriertcpd's "softdnserr" in the rdns slot means no lookup. */
	FORMAT_SOFTDNSERR = 1 << 7,
	/* FORMAT_DNS unless the rdns slot says "unknown". */
	FORMAT_DNS_KNOWN = 1 << 8,
	/* qmail-scanner: skip, keeping the envelope sender. */
	FORMAT_QMAIL_SCANNER = 1 << 9,
};

/* guard (searched anywhere, may be NULL) and pattern must both match.
 * fields has one letter per capture: h helo, r rdns, i ip, b by, d ident,
 * D ident only when captured, a ident without a trailing '@', R rdns and
 * helo, x id, s Exim's "helo=... ident=..." list, - ignored. A capture in
 * an optional part that was not taken sets its field to "". */
struct received_format {
	const char *guard;
	const char *pattern;
	const char *fields;
	unsigned flags;
};

/* The first in the if/else chain of MTA families whose guard matches is
 * the only family tried. */
struct received_family {
	const char *guard;
	const struct received_format *formats;
	size_t count;
};

/* Received: from SENDER-HELO ([192.0.2.1] unverified) by mx.example.com
 * with Microsoft SMTPSVC(6.0.3790.0); (IIS SMTP never writes rDNS) */
static const struct received_format formats_smtpsvc[] = {
	{ NULL, "%<%s%> ([%<%I%>]%R) by %<%S%> with Microsoft SMTPSVC",
	    "hib", 0 },
	{ NULL, "mail pickup service by %S with Microsoft SMTPSVC%$", "",
	    FORMAT_SKIP },
};

/* Exchange 2007 and later, Office 365:
 * from host.example.com (192.0.2.1) by ex.example.com (192.0.2.2) with
 * Microsoft SMTP Server (version=TLS1_2, cipher=...) id 15.1.1261.35 */
static const struct received_format formats_exchange[] = {
	{ NULL, "%<%S%> (%{[%}%<%I%>%{%%%z%}%{]%}) by %<%S%> ", "hib",
	    FORMAT_NO_ID },
};

/* from list.example.com (192.0.2.1:23198) by mx.example.net with
 * [XMail 1.20 ESMTP Server] id <S72E> for <a@b> from <c@d> */
static const struct received_format formats_xmail[] = {
	{ NULL, "%<%S%> (%<%{[%}%I%{]%}%>:%d) by %<%S%>%{ (%S)%} with [XMail",
	    "hib", 0 },
};

/* from ([192.0.2.1:49601] helo=host.example.com) by m12.example.com
 * (ecelerity 2.1.1.3 r(11743)) with ESMTP id 52/92-02454-89FBA054 */
static const struct received_format formats_ecelerity[] = {
	{ NULL, "([%<%I%>:%d] helo=%<%S%>) by %<%S%> ", "ihb", 0 },
	{ NULL, "%S ([%<%I%>:%d]) by %<%S%> ", "ib", 0 },
};

/* Exim: from host.example.com ([192.0.2.1] helo=example.com) by
 * mx.example.net with esmtp (Exim 4.50) id 1GzVLs-0002Oz-7b */
static const struct received_format formats_exim[] = {
	{ NULL, "%bwith local%{-%S%} ", "", FORMAT_SKIP | FORMAT_ANYWHERE },
	{ NULL, "[%<%I%>] (%<%*%>) by %<%S%> ", "isb", 0 },
	{ NULL, "%<%S%> ([%<%I%>]%<%*%>) by %<%S%> ", "Risb", 0 },
	{ NULL, "%<%S%> [%<%I%>]%{:%d%} by %<%S%> ", "Rib", 0 },
};

/* from localhost (unknown [127.0.0.1]) by mx.example.com (Postfix)
 * with ESMTP id A96E18BD97 */
static const struct received_format formats_postfix[] = {
	{ NULL, "%<%S%> (%<%S%> [%<%I%>]) by %<%S%> ", "hrib", FORMAT_DNS },
	{ NULL, "%<%S%> (%<%S%>[%<%I%>]) by %<%S%> ", "hrib", FORMAT_DNS },
};

/* from DPLAPTOP ( 192.0.2.1) by mail.example.com (Scalix SMTP Relay
 * 10.0.1.3) via ESMTP */
static const struct received_format formats_scalix[] = {
	{ NULL, "%<%S%> (%{ %}%<%I%>) by %<%S%>", "hib", 0 },
};

/* from host.example.com ([192.0.2.1]) by domino.example.com (Lotus
 * Domino Release 5.0.8) with ESMTP id 2002... (Domino writes no rDNS) */
static const struct received_format formats_domino[] = {
	{ NULL, "%<%S%> ([%<%I%>]) by %<%S%> (Lotus", "hib", 0 },
};

static const struct received_family families[] = {
	{ " SMTPSVC", formats_smtpsvc, ARRAY_LENGTH(formats_smtpsvc) },
	{ " with Microsoft SMTP Server %{(%Q) %}%d.%d.%d.%d%Z",
	    formats_exchange, ARRAY_LENGTH(formats_exchange) },
	{ " with mapi id %{(%Q) %}%d.%d.%d.%d%Z", formats_exchange,
	    ARRAY_LENGTH(formats_exchange) },
	{ "[XMail ", formats_xmail, ARRAY_LENGTH(formats_xmail) },
	{ "(ecelerity%b", formats_ecelerity, ARRAY_LENGTH(formats_ecelerity) },
	{ "Exim", formats_exim, ARRAY_LENGTH(formats_exim) },
	{ " (Postfix) with", formats_postfix, ARRAY_LENGTH(formats_postfix) },
	{ "(Scalix SMTP Relay", formats_scalix, ARRAY_LENGTH(formats_scalix) },
	{ " (Lotus Domino ", formats_domino, ARRAY_LENGTH(formats_domino) },
};

/* Webmail front ends, tried before the families. */
static const struct received_format formats_webmail[] = {
	/* from 192.0.2.1 (SquirrelMail authenticated user bob) by
	 * mail.example.org with HTTP */
	{ " (SquirrelMail authenticated user ",
	    "%<%I%>%b%X%~by %<%S%> with HTTP", "ib", FORMAT_ANYWHERE },
	{ " (NaSMail authenticated user ",
	    "%<%I%>%b%X%~by %<%S%> with HTTP", "ib", FORMAT_ANYWHERE },
	/* from 192.0.2.1 by FWM-M18.sysops.aol.com (192.0.2.2) with HTTP
	 * (WebMailUI) */
	{ "aol.com", "%<%I%> by %<%S%> (%I) with HTTP (WebMailUI)", "ib",
	    FORMAT_ANYWHERE },
};

/* After the families: webmail with a numeric HELO, then Sendmail. */
static const struct received_format formats_http_numeric[] = {
	/* from 192.0.2.1 ([192.0.2.1]) by webmail.example.net (IMP) with
	 * HTTP */
	{ "%bwith HTTP%b", "%<%I%> ([%I]) by %<%S%>", "ib", 0 },
};

/* from mail.example.com (host.example.com [192.0.2.1] (may be forged))
 * by mx.example.net (8.11.6/8.11.6) with ESMTP id h2F0c2x31856 */
static const struct received_format formats_sendmail[] = {
	{ NULL, "%<%S%> (%<%S%> [%<%I%>]%.) by %<%S%> (", "hrib",
	    FORMAT_DNS | FORMAT_IDENT_IN_RDNS },
};

static const struct received_format formats_early[] = {
	/* from ns.example.kr (192.0.2.1 [192.0.2.1]) by mail.example.pe
	 * with SMTP (Microsoft Exchange Internet Mail Service 5.5) */
	{ NULL, "%<%S%> (%<%S%> [%<%I%>]) by %<%S%> with %S (", "hrib",
	    FORMAT_DNS },
	/* from mail2.example.uk ([192.0.2.1] helo=gw.example.uk) by
	 * mail4.example.uk with smtp id 190K1R-0000me-00 */
	{ NULL, "%<%S%> ([%<%I%>] helo=%<%S%>) by %<%S%> with ", "rihb", 0 },
	/* from host.attbi.com (<unknown.domain>[192.0.2.1]) by
	 * rwcrmhc53.attbi.com (rwcrmhc53) with SMTP */
	{ NULL, "%<%S%> (<unknown%s>[%<%I%>]) by %<%S%> ", "hib", 0 },
	{ NULL, "%<%S%> (%<%S.%S%>[%<%I%>]) by %<%S%> ", "hrib", FORMAT_DNS },
	/* from 4wtgRl (kgbxn@[192.0.2.1]) by mx.example.org (8.11.6) */
	{ NULL, "%<%S%> (%<%s%>@[%<%I%>]%.) by %<%S%> (", "hdib",
	    FORMAT_DNS },
};

static const struct received_format formats_middle[] = {
	/* from host.example.dk (HELO niels) (192.0.2.1) by
	 * la.mx.develooper.com (qpsmtpd/0.27-dev) with SMTP */
	{ NULL, "%<%S%> (%H %<%s%>) (%<%I%>) by %<%S%> (qpsmtpd/%S) with "
	    "%{E%}SMTP", "rhib", 0 },
	/* from backend.example.com (LHLO backend.example.com) (192.0.2.1)
	 * by backend.example.com with LMTP */
	{ NULL, "%<%S%> (LHLO %<%s%>) (%<%I%>) by %<%S%> with LMTP", "rhib",
	    0 },
	/* from host.arcor-ip.net (EHLO homepc) [192.0.2.1] by mail.gmx.net
	 * (mp010) with SMTP */
	{ NULL, "%<%S%> (%H %<%s%>) [%<%I%>] by %<%S%> (%Q) with %{E%}SMTP",
	    "rhib", 0 },
	/* from imo-m01.mx.aol.com ([192.0.2.1]) by mail.example.com via
	 * smtpd (for [192.0.2.2]) with SMTP( */
	{ NULL, "%<%S%> ([%<%I%>]) by %<%S%> via smtpd (for %S) with SMTP(",
	    "hib", 0 },
};

static const struct received_format formats_qmail[] = {
	{ NULL, "%<%S%> (%H %<%N%>) (%<%s%>@%{[%}%<%I%>%{]%})%{ "
	    "(envelope-sender <%S>)%} by %<%S%>", "rhdib", 0 },
	{ NULL, "%<%S%> (%H %<%N%>) (%{[%}%<%I%>%{]%})%{ "
	    "(envelope-sender <%S>)%} by %<%S%>", "rhib", 0 },
	{ NULL, "%<%S%> (%<%s%>@%{[%}%<%I%>%{]%})%{ (envelope-sender <%S>)%} "
	    "by %<%S%>", "Rdib", 0 },
	{ NULL, "%<%S%> (%{[%}%<%I%>%{]%})%{ (envelope-sender <%S>)%} "
	    "by %<%S%>", "Rib", 0 },
};

static const struct received_format formats_late[] = {
	/* from [192.0.2.1] by web40310.mail.yahoo.com via HTTP */
	{ NULL, "[%<%I%>] by %<%S%> via HTTP%$", "ib", 0 },
	/* from 192.168.5.158 ( [192.168.5.158]) as user jason@localhost by
	 * mail.example.net with HTTP */
	{ NULL, "%S ( [%<%I%>])%* by %<%S%> ", "ib", 0 },
	/* from (64.52.135.194 [192.0.2.1]) by mail.example.com with ESMTP */
	{ NULL, "(%<%S%> [%<%I%>]) by %<%S%> ", "hib", 0 },
	/* from [192.0.2.1] by relent.example.com (MessageWall 1.1.0) */
	{ NULL, "[%<%I%>] by %<%S%> ", "ib", 0 },
	/* from ([192.0.2.1]) by mail.example.com with ESMTP id 4420961 */
	{ NULL, "(%{[%}%<%I%>%{]%}) by %<%S%> ", "ib", 0 },
	/* MDaemon: from acecomms [192.0.2.1] by mailscan.example.au
	 * [192.0.2.2] with SMTP (MDaemon.PRO.v5.0.6.R) */
	{ NULL, "%<%S%> [%<%I%>] by %<%S%> [%I] with ", "hib", FORMAT_DNS },
	/* MDaemon 19: smtp510.example.de [(192.0.2.1)] by mail.example.de
	 * (192.0.2.2) (MDaemon PRO v19.0.2) */
	{ NULL, "%<%S%> [(%<%I%>)] by %<%S%> (%I) ", "hib", 0 },
	/* Sendmail without rDNS: from mail.example.cn ([192.0.2.1]) by
	 * mx.example.org (8.11.6/8.11.6) with ESMTP id h2FH0Zx11330 */
	{ NULL, "%<%S%> ([%<%I%>]) by %<%S%> (", "hib", FORMAT_DNS },
	/* from mx.example.edu (mx.example.edu [192.0.2.1]) via ESMTP by
	 * mrelay1.example.edu (8.12.1/) id h06GHYLZ022481 */
	{ NULL, "%<%S%> (%<%S%> [%<%I%>])%* by %<%S%>%b", "hrib",
	    FORMAT_DNS | FORMAT_SOFTDNSERR },
	/* from host.example.com ([192.0.2.1.63559]) by mailhost.example.com
	 * with esmtp (v3.35.1) */
	{ NULL, "%<%S%> ([%<%I%>%{.%d%}])%* by %<%S%> ", "hib", FORMAT_DNS },
	{ NULL, "%<%S%> ([%<%I%>%{:%d%}])%* by %<%S%> ", "hib", FORMAT_DNS },
	/* from roissy (p573.example.net [192.0.2.1]) (authenticated
	 * bits=0) by slate.example.com (8.12.6/8.12.6) */
	{ NULL, "%<%S%> (%<%S%> [%<%I%>])%{ (authenticated bits=%d)%} by "
	    "%<%S%> (", "hrib", FORMAT_DNS },
	/* Fetchmail and getmail: from pop.example.com [127.0.0.1] by
	 * localhost with IMAP (fetchmail-5.9.0) */
	{ NULL, "with POP3", "", FORMAT_FETCHER | FORMAT_ANYWHERE },
	{ NULL, "with IMAP", "", FORMAT_FETCHER | FORMAT_ANYWHERE },
	/* qmail variants: from unknown (HELO feux01a-isp) (192.0.2.1) by
	 * mx.example.net with SMTP */
	{ NULL, "%<%S%> (%H %<%P%>) (%<%{%s@%}%>%{[%}%<%I%>%{]%})%. by %<%S%> ",
	    "rhaib", FORMAT_DNS },
	/* from host.webspeed.dk (benelli@192.0.2.1) by mx.example.net with
	 * SMTP */
	{ NULL, "%<%S%> (%<%{%s@%}%>%{[%}%<%I%>%{]%})%. by %<%S%> ", "Raib",
	    FORMAT_DNS },
	/* from [192.0.2.1] by ws1-7.us4.outblaze.com with http for x@y */
	{ NULL, "[%<%I%>] by %<%S%> with http for ", "ib", 0 },
	/* from snake.corp.yahoo.com(192.0.2.1) by x.x.org via smap (V1.3) */
	{ NULL, "%<%S%>(%<%I%>) by %<%S%> via smap ", "rib", FORMAT_DNS },
	{ NULL, "%<%S%>(%<%I%>, %H %<%s%>) by %<%S%> via smap ", "rihb",
	    FORMAT_DNS },
	/* from [192.168.0.71] by web01.example.com (Post.Office MTA v3.5.3) */
	{ NULL, "[%<%I%>] by %<%S%> (Post", "ib", 0 },
	/* from [127.0.0.1] by euphoria (ArGoSoft Mail Server Freeware) */
	{ NULL, "[%<%I%>] by %<%S%> (ArGoSoft", "ib", 0 },
	/* from 192.0.2.1 by inet-vrs-05.example.com (InterScan E-Mail
	 * VirusWall NT) */
	{ NULL, "%<%I%> by %<%S%> (SMTPL%b", "ib", 0 },
	{ NULL, "%<%I%> by %<%S%> (InterScan%b", "ib", 0 },
	/* from faerber.muc.de by slarti.muc.de with BSMTP (rsmtp-qm-ot 0.4)
	 * (batch SMTP is no TCP/IP handover) */
	{ NULL, "%S by %S with BSMTP", "", FORMAT_SKIP },
	/* from spike (spike.example.uk [192.0.2.1]) by mail.example.uk with
	 * SMTP id h27CrCD03362 */
	{ NULL, "%<%S%> (%<%S%> [%<%I%>]) by %<%S%> with ", "hrib",
	    FORMAT_DNS },
	/* Yahoo: from host.example.net (HELO AGAMENON) (bob@192.0.2.1 with
	 * plain) by smtp.mail.vip.sc5.yahoo.com with SMTP */
	{ NULL, "%<%S%> (%H %<%s%>) (%{%<%S%>@%}%<%I%>%*) by %<%S%> with ",
	    "rhDib", FORMAT_DNS },
	/* CommuniGate Pro: from [192.168.1.104] (account nazgul HELO
	 * [192.168.1.104]) by somewhere.com (CommuniGate Pro SMTP 3.5.7) */
	{ NULL, "[%<%I%>] (%{account %S %}%H %<%s%>) by %<%S%> (", "ihb", 0 },
	{ " (CommuniGate Pro", "%<%S%> ([%<%I%>] verified) by %<%S%> (",
	    "Rib", FORMAT_DNS },
	/* from ([192.0.2.1]) by mail0.ciphertrust.com with ESMTP */
	{ NULL, "([%<%I%>]) by %<%S%> with ", "ib", 0 },
	/* from ironport.com (192.0.2.1) by a50.ironport.com with ESMTP */
	{ NULL, "%<%D%S%> (%<%I%>) by %<%S%> ", "hib", 0 },
	/* from scv3.apple.com (scv3.apple.com) by mailgate2.apple.com
	 * (Content Technologies SMTPRS 4.2.1) (no IP address) */
	{ NULL, "%S (%S) by %S (Content Technologies ", "", FORMAT_SKIP },
	/* from host.bls.com ([192.0.2.1] [192.0.2.1]) by aismtp3g.bls.com
	 * with ESMTP */
	{ NULL, "%<%S%> ([%<%I%>] [%S]) by %<%S%> with ", "hib", 0 },
	/* from 192.0.2.1 by dm3cn8.bell.ca with ESMTP (Tumbleweed MMS) */
	{ NULL, "%<%I%> by %<%S%> with ", "ib", 0 },
	/* from pobox.com (h005018086b3b.example.com[192.0.2.1]) by
	 * rwcrmhc53.attbi.com (rwcrmhc53) with SMTP */
	{ NULL, "%<%S%> (%<%S%>[%<%I%>]) by %<%S%> ", "hrib", FORMAT_DNS },
	/* F-Secure: from [10.128.128.81]:50999 (HELO dfintra.f-secure.com)
	 * by fsav4im2 ([10.128.128.74]:25) */
	{ NULL, "[%<%I%>]%S (%H %<%s%>) by %<%S%> ", "ihb", 0 },
	/* from 192.0.2.1 (HELO daisy) by smtp.altavista.de (192.0.2.2) */
	{ NULL, "%<%I%> (%H %<%s%>) by %<%S%> ", "ihb", 0 },
	/* from oemcomputer [192.0.2.1] by highstream.net (SMTPD32-7.07) */
	{ NULL, "%<%S%> [%<%I%>] by %<%S%> ", "hib", 0 },
	/* from nodnsquery(192.0.2.1) by herbivore.monmouth.edu via csmap */
	{ NULL, "%<%S%>(%<%I%>) by %<%S%> ", "rib", 0 },
	{ NULL, "[%<%I%>] by %<%S%> (MailGate ", "ib", 0 },
	/* from jmason.org (unverified [192.0.2.1]) by ni-mail1.example.net */
	{ NULL, "%<%S%> (unverified [%<%I%>]) by %<%S%> ", "hib", 0 },
	{ NULL, "%<%I%> (%A%Q) by %<%S%> with ", "ib", 0 },
	/* from [192.0.2.1] (helo=t-online.de) by mxeu2.kundenserver.de with
	 * ESMTP (Nemesis) */
	{ NULL, "[%<%I%>] (%<%Q%>) by %<%S%> ", "isb", 0 },
	/* from mtsbp606.email-info.net (?dXqp...?@192.0.2.1) by
	 * kde.informatik.uni-kl.de with SMTP */
	{ NULL, "%<%S%> (%{%S@%}%<%I%>) by %<%S%> with ", "rib", 0 },
	/* Obtuse smtpd: from host.bta.net.cn(192.0.2.1), claiming to be
	 * "foo.woas.net" via SMTP by st.tahina.priv.at, id smtpdEDUB8h */
	{ NULL, "%<%S%>(%<%I%>)%{, claiming to be \"%<%S%>\"%} via %S by "
	    "%<%S%>,", "rihb", FORMAT_DNS_KNOWN },
	/* Yahoo authenticated SMTP: from itrqtnlnq (bob@192.0.2.1 with
	 * login) by smtp111.mail.ne1.yahoo.com with SMTP */
	{ NULL, "%<%S%> (%<%S%>@%<%I%> with login) by %<%S.yahoo.com%> with "
	    "SMTP", "h-ib", 0 },
	/* The synthetic line made of an X-Originating-IP field. */
	{ NULL, "X-Originating-IP: %<%I%>%$", "i", FORMAT_NO_BY },

	/* Hops to ignore: local handovers without an IP address. */
	{ NULL, "%S (%@@%L) by %S (", "", FORMAT_SKIP },
	{ NULL, "%S %S by %S with local-%{e%}smtp ", "", FORMAT_SKIP },
	{ NULL, "127.0.0.1 (AVG SMTP %S [%S])", "", FORMAT_SKIP },
	{ NULL, "%S@%S by %S by uid %S ", "", FORMAT_SKIP },
	{ NULL, "%S@%S by %S ", "", FORMAT_SKIP },
	{ NULL, "Unknown/Local (", "", FORMAT_SKIP },
	{ NULL, "%L (%{%S@%}%L)", "", FORMAT_SKIP },
	{ NULL, "%L (%{%S@%}%L[", "", FORMAT_SKIP },
	{ NULL, "%S (%{%S@%}%L) ", "", FORMAT_SKIP },
	{ NULL, "%S (%S@%S [%L]) ", "", FORMAT_SKIP },
	{ NULL, "(AUTH: %S) by %S with ", "", FORMAT_SKIP },
	{ NULL, "localhost (localhost [[UNIX: localhost]]) by ", "",
	    FORMAT_SKIP },
	{ NULL, "%S.amazon.com by %S.amazon.com with ESMTP (peer crosscheck: ",
	    "", FORMAT_SKIP },
	{ NULL, "%E by %S with Novell_GroupWise", "", FORMAT_SKIP },
	{ NULL, "no.name.available by %S via smtpd (for ", "", FORMAT_SKIP },
	{ NULL, "%S by %S (%^) with qmail-scanner", "",
	    FORMAT_SKIP | FORMAT_QMAIL_SCANNER },
	{ NULL, "%S by %S with local", "", FORMAT_SKIP },
	{ NULL, "%S ([unix socket]) by %S (Cyrus v%0.%0.%0) with LMTPA", "",
	    FORMAT_SKIP },
	/* TCP handovers whose MTA logs no IP address. */
	{ NULL, "%S by %S with", "", FORMAT_SKIP },
	{ NULL, "%S by %S via", "", FORMAT_SKIP },
	{ NULL, "%S by %S for", "", FORMAT_SKIP },
	{ NULL, "%S by %S (", "", FORMAT_SKIP },
	{ NULL, "%S with %S by%b", "", FORMAT_SKIP },
	{ NULL, "%S via %S by%b", "", FORMAT_SKIP },
	{ NULL, "%S for %S by%b", "", FORMAT_SKIP },
	{ NULL, "%S (unverified) by%b", "", FORMAT_SKIP },
	{ NULL, "%S (unknown) by %S (SG) with %b", "", FORMAT_SKIP },
	{ NULL, "%S (%S [local]) by %S (OpenSMTPD) with %b", "", FORMAT_SKIP },
	{ NULL, "(LSMTP for", "", FORMAT_SKIP | FORMAT_ANYWHERE },
	{ NULL, "([%L]) with MailEnable ", "", FORMAT_SKIP },
	{ NULL, "facebook.com (%Q) by facebook.com with Thrift id %S%$", "",
	    FORMAT_SKIP },
	{ NULL, "%S named %S by gmailapi.google.com with HTTPREST%$", "",
	    FORMAT_SKIP },
	{ NULL, "%S id %S%$", "", FORMAT_SKIP },
	{ NULL, "[<%* (Jetsend", "", FORMAT_SKIP },
};

/* simta and Rockliffe write upper-case keywords:
 * FROM helo (rdns [192.0.2.1]) BY host ID 434B508E.174A6.13932 */
static const struct received_format formats_upper[] = {
	{ NULL, "%<%S%> (%<%S%> [%<%I%>]) BY %<%S%> %{(%Q) WITH SMTP %}ID "
	    "%{<%}%<%T%>%{>%}%{ FOR <%S>%}%$", "hribx", FORMAT_DNS },
};

/* "(from ..." lines. */
static const struct received_format formats_paren[] = {
	/* Norton AntiVirus Gateway: (from localhost [192.0.2.1]) by
	 * host.name (NAVGW 2.5.2.12) with SMTP */
	{ NULL, "%<%s%> [%<%I%>]) by %<%S%> (NAVGW %*) with ", "hib", 0 },
	/* sendmail -t: (from username@localhost) by home.example.com */
	{ NULL, "%S@localhost) by %S ", "", FORMAT_SKIP },
	{ NULL, "%@@%Q) by %S(jqueuemail) id %S", "", FORMAT_SKIP },
};

/* ------------------------------------------------------------------ */
/* Applying formats. */

/* Exim's "(helo=NAME ident=USER)" list: the first "helo=" with a
 * non-empty word, then the first "ident=" in what is left. */
static void
apply_exim_list(struct received_parse *parse, struct string_view list)
{
	struct string_view g[PATTERN_GROUPS_MAX];
	char *left;
	size_t before;

	if (pattern_match(list, "helo=%<%S%>", PATTERN_ANYWHERE, g)) {
		parse->helo = g[0];
		/* Look for ident= in the list with "helo=NAME" cut out. */
		before = (size_t)(g[0].data - 5 - list.data);
		left = arena_alloc(parse->arena, list.length + 1);
		memcpy(left, list.data, before);
		memcpy(left + before, g[0].data + g[0].length,
		    list.length - before - 5 - g[0].length);
		list = string_view_make(left, list.length - 5 - g[0].length);
	}
	if (pattern_match(list, "ident=%<%s%>", PATTERN_ANYWHERE, g))
		parse->ident = g[0];
}

static struct string_view
set_or_empty(struct string_view group)
{
	return group.data == NULL ? string_view_make("", 0) : group;
}

/* Sets the fields a matched format names. */
static void
apply_fields(struct received_parse *parse, const struct received_format *f,
    const struct string_view *groups)
{
	struct string_view g;
	size_t i;

	for (i = 0; f->fields[i] != '\0'; i++) {
		g = set_or_empty(groups[i]);
		switch (f->fields[i]) {
		case 'h':
			parse->helo = g;
			break;
		case 'r':
			if ((f->flags & FORMAT_SOFTDNSERR) != 0 &&
			    view_is(g, "softdnserr")) {
				parse->dns = false;
				break;
			}
			parse->rdns = g;
			break;
		case 'R':
			parse->rdns = g;
			parse->helo = g;
			break;
		case 'i':
			parse->ip = g;
			break;
		case 'b':
			parse->by = g;
			break;
		case 'd':
			parse->ident = g;
			break;
		case 'D':
			if (groups[i].data != NULL)
				parse->ident = g;
			break;
		case 'a':
			if (g.length > 0 && g.data[g.length - 1] == '@')
				g.length--;
			parse->ident = g;
			break;
		case 'x':
			parse->id = g;
			break;
		case 's':
			apply_exim_list(parse, g);
			break;
		case '-':
			break;
		default:
			log_panic("received: bad field letter %c",
			    f->fields[i]);
		}
	}
}

/* Sendmail's "IDENT:user@host" or "user@host" in the rdns slot. */
static void
split_ident_from_rdns(struct received_parse *parse)
{
	const char *at;

	if (view_has_prefix(parse->rdns, "IDENT:")) {
		at = memchr(parse->rdns.data + 6, '@', parse->rdns.length - 6);
		if (at != NULL) {
			parse->ident = string_view_make(parse->rdns.data + 6,
			    (size_t)(at - parse->rdns.data) - 6);
			parse->rdns = string_view_skip(parse->rdns,
			    (size_t)(at - parse->rdns.data) + 1);
		}
	}
	at = memchr(parse->rdns.data, '@', parse->rdns.length);
	if (at != NULL) {
		parse->ident = string_view_make(parse->rdns.data,
		    (size_t)(at - parse->rdns.data));
		parse->rdns = string_view_skip(parse->rdns,
		    (size_t)(at - parse->rdns.data) + 1);
	}
}

static enum received_result
apply_format(struct received_parse *parse, struct string_view subject,
    const struct received_format *f)
{
	struct string_view groups[PATTERN_GROUPS_MAX];
	unsigned flags = 0;

	if (f->guard != NULL && !contains(subject, f->guard))
		return RECEIVED_NONE;
	if ((f->flags & FORMAT_ANYWHERE) != 0)
		flags |= PATTERN_ANYWHERE;
	if (!pattern_match(subject, f->pattern, flags, groups))
		return RECEIVED_NONE;
	if ((f->flags & FORMAT_FETCHER) != 0) {
		parse->fetcher = true;
		return RECEIVED_SKIP;
	}
	if ((f->flags & FORMAT_QMAIL_SCANNER) != 0)
		parse->qmail_scanner = true;
	if ((f->flags & FORMAT_SKIP) != 0)
		return RECEIVED_SKIP;
	if ((f->flags & FORMAT_DNS) != 0)
		parse->dns = true;
	apply_fields(parse, f, groups);
	if ((f->flags & FORMAT_DNS_KNOWN) != 0 &&
	    !string_view_equal_cstring_case(parse->rdns, "unknown"))
		parse->dns = true;
	if ((f->flags & FORMAT_IDENT_IN_RDNS) != 0)
		split_ident_from_rdns(parse);
	if ((f->flags & FORMAT_NO_ID) != 0)
		parse->id = string_view_make("", 0);
	if ((f->flags & FORMAT_NO_BY) != 0)
		parse->by = string_view_make("", 0);
	return RECEIVED_ENOUGH;
}

static enum received_result
apply_formats(struct received_parse *parse, struct string_view subject,
    const struct received_format *formats, size_t count)
{
	enum received_result result;
	size_t i;

	for (i = 0; i < count; i++) {
		result = apply_format(parse, subject, &formats[i]);
		if (result != RECEIVED_NONE)
			return result;
	}
	return RECEIVED_NONE;
}

/* Exim lines none of the Exim formats fit: take what can be found. */
static enum received_result
apply_exim_fallback(struct received_parse *parse)
{
	struct string_view rest = parse->rest, g[PATTERN_GROUPS_MAX];

	if (pattern_match(rest, "%<%S%> ", 0, g))
		parse->rdns = g[0];
	if (pattern_match(rest, " (%<%S%>) ", PATTERN_ANYWHERE, g))
		parse->helo = g[0];
	if (pattern_match(rest, " [%<%I%>%{.%d%}] ", PATTERN_ANYWHERE, g))
		parse->ip = g[0];
	if (pattern_match(rest, "by %<%S%> ", PATTERN_ANYWHERE, g)) {
		parse->by = g[0];
		if (parse->ip.length > 0)
			return RECEIVED_ENOUGH;
	}
	return RECEIVED_NONE;
}

/* The XMail format carries the id and envelope sender in <>. */
static void
apply_xmail_extras(struct received_parse *parse)
{
	struct string_view g[PATTERN_GROUPS_MAX];

	if (pattern_match(parse->rest, " id <%<%S%>>", PATTERN_ANYWHERE, g))
		parse->id = g[0];
	if (pattern_match(parse->rest, " from <%<%S%>>", PATTERN_ANYWHERE,
	    g)) {
		parse->envfrom = g[0];
		parse->envfrom_set = true;
	}
}

static enum received_result
apply_families(struct received_parse *parse)
{
	enum received_result result;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(families); i++) {
		if (!contains(parse->rest, families[i].guard))
			continue;
		result = apply_formats(parse, parse->rest,
		    families[i].formats, families[i].count);
		if (result == RECEIVED_ENOUGH &&
		    families[i].formats == formats_xmail)
			apply_xmail_extras(parse);
		if (result == RECEIVED_NONE &&
		    families[i].formats == formats_exim)
			result = apply_exim_fallback(parse);
		return result;
	}
	return RECEIVED_NONE;
}

/* qmail and its many patches:
 * from rdns (HELO name) (ident@192.0.2.1) by host with SMTP */
static enum received_result
apply_qmail(struct received_parse *parse)
{
	static const char *const guards[] = {
		"%S%{ (%H %s)%} (%{%S@%}%{[%}%I%{]%})"
		    "%{ (envelope-sender <%S>)%} by %S%{ (%+)%} with "
		    "%{%. %}SMTP%!",
		"%S%{ (%H %s)%} (%{%S@%}%{[%}%I%{]%})"
		    "%{ (envelope-sender <%S>)%} by %S%{ (%+)%} with "
		    "%{%. %}QMQP%!",
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(guards); i++)
		if (pattern_match(parse->rest, guards[i], 0, NULL))
			break;
	if (i == ARRAY_LENGTH(guards))
		return RECEIVED_NONE;
	(void)apply_formats(parse, parse->rest, formats_qmail,
	    ARRAY_LENGTH(formats_qmail));
	/* qmail does no lookups itself; a name other than "unknown" came
	 * from tcpserver, which does. */
	if (!view_is(parse->rdns, "unknown"))
		parse->dns = true;
	else
		parse->rdns = string_view_make("", 0);
	return RECEIVED_ENOUGH;
}

/* The line after "from ". */
static enum received_result
parse_from(struct received_parse *parse)
{
	struct string_view rest = parse->rest, g[PATTERN_GROUPS_MAX];
	enum received_result result;
	size_t i;

	find_envfrom(parse);
	result = apply_formats(parse, rest, formats_webmail,
	    ARRAY_LENGTH(formats_webmail));
	if (result == RECEIVED_NONE)
		result = apply_families(parse);
	if (result == RECEIVED_NONE)
		result = apply_formats(parse, rest, formats_http_numeric,
		    ARRAY_LENGTH(formats_http_numeric));
	/* qmail-ldap writes lines that look like Sendmail's. */
	if (result == RECEIVED_NONE &&
	    !contains(rest, " by %S (qmail-%S) with "))
		result = apply_formats(parse, rest, formats_sendmail,
		    ARRAY_LENGTH(formats_sendmail));
	if (result == RECEIVED_NONE)
		result = apply_formats(parse, rest, formats_early,
		    ARRAY_LENGTH(formats_early));
	if (result == RECEIVED_NONE &&
	    pattern_match(rest, "by %<%S.hotmail.msn.com%> ", PATTERN_ANYWHERE,
	    g)) {
		/* from 192.0.2.1 by lw11fd.law11.hotmail.msn.com with HTTP */
		parse->by = g[0];
		if (pattern_match(rest, "%<%I%> ", 0, g))
			parse->ip = g[0];
		result = RECEIVED_ENOUGH;
	}
	if (result == RECEIVED_NONE)
		result = apply_formats(parse, rest, formats_middle,
		    ARRAY_LENGTH(formats_middle));
	if (result == RECEIVED_NONE)
		result = apply_qmail(parse);
	if (result == RECEIVED_NONE)
		result = apply_formats(parse, rest, formats_late,
		    ARRAY_LENGTH(formats_late));
	if (result != RECEIVED_NONE)
		return result;
	/* Guess the HELO: the first word, up to a byte that cannot be in
	 * a host name. */
	if (parse->helo.length == 0) {
		for (i = 0; i < rest.length && rest.data[i] != ' '; i++)
			;
		for (; i > 0; i--) {
			if (i < rest.length && !is_alpha(rest.data[i]) &&
			    !is_digit(rest.data[i]) && rest.data[i] != '-' &&
			    rest.data[i] != '.') {
				parse->helo = view_cut(rest, 0, i);
				break;
			}
		}
	}
	return RECEIVED_NONE;
}

/* ------------------------------------------------------------------ */
/* From the parsed views to a relay. */

static bool
is_strip_char(int c)
{
	return is_space(c) || c == '\0' || c == '#' || c == '[' || c == ']' ||
	    c == '(' || c == ')' || c == '<' || c == '>' || c == '|';
}

/* An arena copy of view with the characters that would break the
 * textual form replaced by '!'. */
static const char *
clean_copy(struct arena *arena, struct string_view view)
{
	char *s = arena_strndup(arena, view.data, view.length);
	size_t i;

	for (i = 0; i < view.length; i++)
		if (is_strip_char((unsigned char)s[i]))
			s[i] = '!';
	return s;
}

/* "::ffff:192.0.2.1" (zeros in any spelling before ffff) becomes
 * "192.0.2.1". */
static struct string_view
unmap_ipv4(struct string_view ip)
{
	size_t i = 0, colons = 0, dots = 0, start;

	for (;;) {
		while (i < ip.length && ip.data[i] == '0')
			i++;
		if (i < ip.length && ip.data[i] == ':') {
			i++;
			colons++;
			continue;
		}
		break;
	}
	if (colons < 2 || ip.length - i < 5 ||
	    strncasecmp(ip.data + i, "ffff:", 5) != 0)
		return ip;
	start = i + 5;
	for (i = start; i < ip.length; i++) {
		if (ip.data[i] == '.') {
			if (i == start || ip.data[i - 1] == '.')
				return ip;
			dots++;
		} else if (!is_digit(ip.data[i]))
			return ip;
	}
	if (dots != 3 || ip.data[ip.length - 1] == '.')
		return ip;
	return string_view_skip(ip, start);
}

static struct string_view
clean_ip(struct string_view ip)
{
	const char *percent;
	size_t i;

	if (ip.length >= 5 && strncasecmp(ip.data, "ipv6:", 5) == 0)
		ip = string_view_skip(ip, 5);
	if (ip.length > 0 && ip.data[0] == '[')
		ip = string_view_skip(ip, 1);
	if (ip.length > 0 && ip.data[ip.length - 1] == ']')
		ip.length--;
	/* A scoped IPv6 address: drop the zone. */
	percent = NULL;
	for (i = 0; i < ip.length; i++)
		if (ip.data[i] == '%')
			percent = ip.data + i;
	if (percent != NULL) {
		for (i = (size_t)(percent - ip.data) + 1; i < ip.length; i++)
			if (!is_alpha(ip.data[i]) && !is_digit(ip.data[i]) &&
			    strchr("._~-", ip.data[i]) == NULL)
				break;
		if (i == ip.length)
			ip.length = (size_t)(percent - ip.data);
	}
	return unmap_ipv4(ip);
}

/* SpamAssassin's IP_PRIVATE: 10/8, 127/8, 169.254/16, 172.16/12,
 * 192.168/16, 100.64/10, fe80::/10, ::1, and those IPv4 ranges mapped
 * into IPv6. */
static bool
ip_is_private(const char *ip)
{
	unsigned char address[16];
	unsigned a, b;
	const unsigned char *v4;
	static const unsigned char loopback[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	char tail;

	if (sscanf(ip, "%u.%u%c", &a, &b, &tail) == 3 && tail == '.') {
		if (strchr(ip, ':') != NULL)
			return false;
		return a == 10 || a == 127 || (a == 169 && b == 254) ||
		    (a == 172 && b >= 16 && b <= 31) ||
		    (a == 192 && b == 168) ||
		    (a == 100 && b >= 64 && b <= 127);
	}
	if (strncasecmp(ip, "fe8", 3) == 0 || strncasecmp(ip, "fe9", 3) == 0 ||
	    strncasecmp(ip, "fea", 3) == 0 || strncasecmp(ip, "feb", 3) == 0) {
		return strlen(ip) >= 5 && is_hex(ip[3]) && ip[4] == ':';
	}
	if (inet_pton(AF_INET6, ip, address) != 1)
		return false;
	if (memcmp(address, loopback, 16) == 0)
		return true;
	if (memcmp(address, mapped, 12) != 0)
		return false;
	v4 = address + 12;
	return v4[0] == 10 || v4[0] == 127 || (v4[0] == 169 && v4[1] == 254) ||
	    (v4[0] == 172 && v4[1] >= 16 && v4[1] <= 31) ||
	    (v4[0] == 192 && v4[1] == 168) ||
	    (v4[0] == 100 && v4[1] >= 64 && v4[1] <= 127);
}

/* The relay of a parsed line (SpamAssassin's "enough:" step). */
static void
finish_relay(struct received_parse *parse, struct received_relay *relay)
{
	struct arena *arena = parse->arena;
	struct string_view rdns = parse->rdns, by = parse->by;
	struct string_view envfrom = parse->envfrom;

	while (rdns.length > 0 && rdns.data[rdns.length - 1] == '.')
		rdns.length--;
	if (string_view_equal_cstring_case(rdns, "unknown") ||
	    (rdns.length > 0 && rdns.data[0] == '['))
		rdns.length = 0;
	if (by.length > 0 && by.data[by.length - 1] == ';')
		by.length--;
	while (envfrom.length > 0 && is_space((unsigned char)envfrom.data[0]))
		envfrom = string_view_skip(envfrom, 1);
	while (envfrom.length > 0 && envfrom.data[0] == '<')
		envfrom = string_view_skip(envfrom, 1);
	while (envfrom.length > 0 &&
	    is_space((unsigned char)envfrom.data[envfrom.length - 1]))
		envfrom.length--;
	while (envfrom.length > 0 && envfrom.data[envfrom.length - 1] == '>')
		envfrom.length--;

	memset(relay, 0, sizeof(*relay));
	relay->ip = clean_copy(arena, clean_ip(parse->ip));
	relay->rdns = clean_copy(arena, rdns);
	relay->helo = clean_copy(arena, parse->helo);
	relay->by = clean_copy(arena, by);
	relay->ident = clean_copy(arena, parse->ident);
	relay->envfrom = parse->envfrom_set ? clean_copy(arena, envfrom) : "";
	relay->id = arena_strndup(arena, parse->id.data, parse->id.length);
	relay->auth = arena_strndup(arena, parse->auth.data,
	    parse->auth.length);
	relay->no_reverse_dns = rdns.length == 0 && parse->dns;
	relay->ip_private = ip_is_private(relay->ip);
}

/* "from host by host;" alone (any case): nothing to go on, unless the
 * from part is an IP literal such as "[192.0.2.1]". */
static bool
is_bare_by_line(struct string_view line)
{
	struct string_view g[PATTERN_GROUPS_MAX], after;
	size_t end = 0, i;

	if (!pattern_match(line, "from %<%S%> by %<%S%>", PATTERN_FOLD_CASE,
	    g))
		return false;
	while (end < g[1].length && g[1].data[end] != ';')
		end++;
	if (end == 0)
		return false;
	after = string_view_skip(line, (size_t)(g[1].data - line.data) + end);
	if (!view_has_prefix(after, ";") && !view_has_prefix(after, " ;"))
		return false;
	if (g[0].length < 3 || g[0].data[0] != '[' ||
	    g[0].data[g[0].length - 1] != ']')
		return true;
	for (i = 1; i + 1 < g[0].length; i++)
		if (!is_digit(g[0].data[i]) && g[0].data[i] != '.')
			return true;
	return false;
}

static const struct string_view empty_view = { "", 0 };

/* Parses one Received value. Returns 1 with *relay_r set, 0 for a hop to
 * skip, -1 when unparseable; *parse_r keeps the side signals (fetcher,
 * qmail-scanner). */
static int
parse_line(struct arena *arena, struct string_view value,
    struct received_parse *parse, struct received_relay *relay_r)
{
	struct string_view line, g[PATTERN_GROUPS_MAX];
	enum received_result result = RECEIVED_NONE;
	char *fixed;
	size_t i;

	memset(parse, 0, sizeof(*parse));
	memset(relay_r, 0, sizeof(*relay_r));
	parse->arena = arena;
	parse->ip = parse->rdns = parse->helo = parse->by = empty_view;
	parse->ident = parse->envfrom = parse->id = parse->auth = empty_view;

	/* 8-bit bytes: kept when valid UTF-8, else read as windows-1252,
	 * as SpamAssassin makes every header value UTF-8. */
	(void)mime_decode_charset_arena(arena, NULL,
	    (const unsigned char *)value.data,
	    MIN(value.length, (size_t)RECEIVED_MAX_LINE), 0, &value);
	line = normalise_line(arena, value);
	if (!pattern_match(line, "%{(%}from ", PATTERN_FOLD_CASE, NULL))
		return 0;
	if (contains(line, "%bwith local for%b"))
		return 0;
	if (is_bare_by_line(line))
		return 0;
	line = cut_date(line);
	/* "(...)by host": give the "by" its space. */
	for (i = 0; i + 4 <= line.length; i++) {
		if (memcmp(line.data + i, ")by ", 4) == 0) {
			fixed = arena_alloc(arena, line.length + 2);
			memcpy(fixed, line.data, i + 1);
			fixed[i + 1] = ' ';
			memcpy(fixed + i + 2, line.data + i + 1,
			    line.length - i - 1);
			line = string_view_make(fixed, line.length + 1);
			break;
		}
	}
	parse->line = line;
	find_id(parse);
	find_helo(parse);
	find_by(parse);
	find_auth(parse);

	if (view_has_prefix(line, "from ")) {
		parse->rest = string_view_skip(line, 5);
		result = parse_from(parse);
	} else if (view_has_prefix(line, "FROM ")) {
		parse->rest = string_view_skip(line, 5);
		result = apply_formats(parse, parse->rest, formats_upper,
		    ARRAY_LENGTH(formats_upper));
		if (result == RECEIVED_ENOUGH &&
		    view_is(parse->rdns, "unverified"))
			parse->rdns = empty_view;
	} else if (view_has_prefix(line, "(from ")) {
		parse->rest = string_view_skip(line, 6);
		result = apply_formats(parse, parse->rest, formats_paren,
		    ARRAY_LENGTH(formats_paren));
	} else
		parse->rest = line;
	if (result == RECEIVED_SKIP)
		return 0;
	if (result == RECEIVED_NONE) {
		/* Last resort: any [IP] and the "by" host. */
		if (parse->ip.length == 0 &&
		    pattern_match(parse->rest, "[%<%I%>]", PATTERN_ANYWHERE, g))
			parse->ip = g[0];
		if (parse->ip.length == 0 || parse->by.length == 0)
			return -1;
	}
	finish_relay(parse, relay_r);
	return 1;
}

int
received_parse_line(struct arena *arena, struct string_view value,
    struct received_relay *relay_r)
{
	struct received_parse parse;

	return parse_line(arena, value, &parse, relay_r);
}

/* ------------------------------------------------------------------ */
/* Networks. */

int
received_network_parse(const char *text, struct received_network *net_r,
    const char **error_r)
{
	char buffer[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long prefix;
	size_t length, dots = 0, i;
	bool implied = false;

	memset(net_r, 0, sizeof(*net_r));
	if (*text == '!') {
		net_r->exclude = true;
		text++;
	}
	length = strlen(text);
	if (length == 0 || length >= sizeof(buffer) - 8) {
		*error_r = error_set("bad network \"%.64s\"", text);
		return -1;
	}
	memcpy(buffer, text, length + 1);
	slash = strchr(buffer, '/');
	if (slash != NULL)
		*slash++ = '\0';
	/* "[::1]" */
	if (buffer[0] == '[' && buffer[strlen(buffer) - 1] == ']') {
		buffer[strlen(buffer) - 1] = '\0';
		memmove(buffer, buffer + 1, strlen(buffer));
	}
	/* "10.1." means 10.1.0.0/16. */
	length = strlen(buffer);
	if (strchr(buffer, ':') == NULL && length > 0 &&
	    buffer[length - 1] == '.') {
		for (i = 0; i < length; i++)
			dots += buffer[i] == '.';
		if (dots > 3) {
			*error_r = error_set("bad network \"%.64s\"", text);
			return -1;
		}
		buffer[length - 1] = '\0';
		for (i = dots; i < 4; i++)
			strcat(buffer, ".0");
		prefix = 8 * dots;
		implied = true;
	}
	if (inet_pton(AF_INET, buffer, net_r->address) == 1) {
		net_r->family = AF_INET;
		net_r->prefix = 32;
	} else if (inet_pton(AF_INET6, buffer, net_r->address) == 1) {
		net_r->family = AF_INET6;
		net_r->prefix = 128;
	} else {
		*error_r = error_set("bad network address \"%.64s\"", text);
		return -1;
	}
	if (implied)
		net_r->prefix = (unsigned)prefix;
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 ||
		    prefix > net_r->prefix) {
			*error_r = error_set("bad network mask \"%.64s\"",
			    text);
			return -1;
		}
		net_r->prefix = (unsigned)prefix;
	}
	return 0;
}

static bool
network_matches(const struct received_network *net, int family,
    const unsigned char *address)
{
	unsigned full, rest;

	if (net->family != family)
		return false;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(net->address, address, full) != 0)
		return false;
	return rest == 0 || ((net->address[full] ^ address[full]) &
	    (0xff << (8 - rest)) & 0xff) == 0;
}

/* Whether ip is in the set (first matching entry decides; loopback is
 * always in when with_loopback is set). */
static bool
network_contains(const struct received_network *nets, size_t count,
    bool with_loopback, const char *ip)
{
	unsigned char address[16];
	int family;
	size_t i;

	if (inet_pton(AF_INET, ip, address) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, address) == 1) {
		family = AF_INET6;
		/* An IPv4-mapped address is its IPv4 address. */
		if (memcmp(address, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(address, address + 12, 4);
			family = AF_INET;
		}
	} else
		return false;
	if (with_loopback) {
		static const unsigned char loopback6[16] = { [15] = 1 };

		if (family == AF_INET && address[0] == 127)
			return true;
		if (family == AF_INET6 && memcmp(address, loopback6, 16) == 0)
			return true;
	}
	for (i = 0; i < count; i++)
		if (network_matches(&nets[i], family, address))
			return !nets[i].exclude;
	return false;
}

/* ------------------------------------------------------------------ */
/* The chain. */

static const char *const default_originating_headers[] = {
	"X-Yahoo-Post-IP", "X-Originating-IP", "X-Apparently-From",
	"X-SenderIP", "X-AOL-IP",
	"X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp",
};

/* The synthetic "from X-Originating-IP: IP" lines, in arena. */
static size_t
originating_lines(struct arena *arena, const struct mail_header *header,
    const struct received_options *options, struct string_view *lines,
    size_t max)
{
	const char *const *names = default_originating_headers;
	size_t name_count = ARRAY_LENGTH(default_originating_headers);
	const struct mail_header_field *field;
	struct string_view value, g[PATTERN_GROUPS_MAX];
	size_t i, index, count = 0;
	char *text;

	if (options != NULL && options->originating_headers != NULL) {
		names = options->originating_headers;
		name_count = options->originating_header_count;
	}
	for (i = 0; i < name_count && count < max; i++) {
		index = mail_header_count(header, names[i]);
		if (index == 0)
			continue;
		field = mail_header_get_nth(header, names[i], index - 1);
		value = mail_header_unfold(arena, field->value);
		if (!pattern_match(value, "%<%I%>", PATTERN_ANYWHERE, g))
			continue;
		text = arena_printf(arena, "from X-Originating-IP: %.*s",
		    (int)g[0].length, g[0].data);
		lines[count++] = string_view_from_cstring(text);
	}
	return count;
}

/* The envelope sender a qmail-scanner line hands to the next relay. */
static const char *
qmail_scanner_envfrom(struct arena *arena, const struct received_parse *parse)
{
	struct received_parse copy = *parse;
	struct received_relay relay;

	if (!parse->envfrom_set)
		return NULL;
	copy.ip = copy.rdns = copy.helo = copy.by = empty_view;
	copy.ident = copy.id = copy.auth = empty_view;
	finish_relay(&copy, &relay);
	return relay.envfrom;
}

size_t
received_parse_all(struct arena *arena, const struct mail_header *header,
    const struct received_options *options, struct received_relay **relays_r)
{
	static const struct received_options no_options;
	const struct received_options *o = options != NULL ? options :
	    &no_options;
	const struct received_network *trusted = o->trusted;
	const struct received_network *internal = o->internal;
	size_t trusted_count = o->trusted_count;
	size_t internal_count = o->internal_count;
	bool configured = trusted_count > 0 || internal_count > 0;
	bool in_trusted = true, in_internal = true, found_msa = false;
	bool allow_fetch_restart = true;
	const struct mail_header_field **fields;
	struct string_view *lines;
	struct received_relay *relays, relay;
	struct received_parse parse;
	const char *pending_envfrom = NULL, *envfrom;
	size_t field_count, line_count, i, count = 0;
	int ret;

	if (trusted_count == 0) {
		trusted = internal;
		trusted_count = internal_count;
	} else if (internal_count == 0) {
		internal = trusted;
		internal_count = trusted_count;
	}

	fields = mail_header_get_all(header, arena, "Received", &field_count);
	field_count = MIN(field_count, (size_t)RECEIVED_MAX_FIELDS);
	lines = arena_array(arena, RECEIVED_MAX_FIELDS +
	    ARRAY_LENGTH(default_originating_headers) + 1, sizeof(*lines));
	for (i = 0; i < field_count; i++)
		lines[i] = fields[i]->value;
	line_count = field_count + originating_lines(arena, header, o,
	    lines + field_count, RECEIVED_MAX_FIELDS - field_count);
	relays = arena_array(arena, line_count + 1, sizeof(*relays));

	for (i = 0; i < line_count; i++) {
		envfrom = pending_envfrom;
		pending_envfrom = NULL;
		ret = parse_line(arena, lines[i], &parse, &relay);
		if (parse.fetcher && allow_fetch_restart) {
			/* Everything so far was trusted: start over. */
			count = 0;
		}
		if (parse.qmail_scanner)
			pending_envfrom = qmail_scanner_envfrom(arena, &parse);
		if (ret != 1)
			continue;
		if (envfrom != NULL && envfrom[0] != '\0' &&
		    strcmp(envfrom, "0") != 0)
			relay.envfrom = envfrom;

		if (in_trusted && !found_msa) {
			bool authenticated = relay.auth[0] != '\0';

			if (!configured) {
				if (!relay.ip_private && !authenticated) {
					in_trusted = false;
					in_internal = false;
				}
			} else if (!authenticated &&
			    !network_contains(trusted, trusted_count, true,
			    relay.ip)) {
				if (o->originating)
					found_msa = true;
				else
					in_trusted = false;
				in_internal = false;
			} else {
				if (in_internal && !authenticated &&
				    !network_contains(internal, internal_count,
				    true, relay.ip))
					in_internal = false;
				if (network_contains(o->msa, o->msa_count,
				    false, relay.ip)) {
					found_msa = true;
					relay.msa = true;
				}
			}
		}
		relay.trusted = in_trusted;
		relay.internal = in_internal;
		allow_fetch_restart = in_trusted;
		relays[count++] = relay;
	}
	*relays_r = count > 0 ? relays : NULL;
	return count;
}

/* ------------------------------------------------------------------ */
/* Text. */

const char *
received_relay_format(struct arena *arena, const struct received_relay *relay)
{
	/* SpamAssassin prints an envelope sender of "0" as empty. */
	const char *envfrom = strcmp(relay->envfrom, "0") == 0 ? "" :
	    relay->envfrom;

	return arena_printf(arena, "[ ip=%s rdns=%s helo=%s by=%s ident=%s "
	    "envfrom=%s intl=%d id=%s auth=%s msa=%d ]", relay->ip, relay->rdns,
	    relay->helo, relay->by, relay->ident, envfrom,
	    relay->internal ? 1 : 0, relay->id, relay->auth,
	    relay->msa ? 1 : 0);
}

/* Joins the formatted relays whose trusted (or internal) flag equals
 * want, with one space. */
static const char *
join_relays(struct arena *arena, const char *const *texts,
    const struct received_relay *relays, size_t count, bool by_internal,
    bool want)
{
	size_t i, length = 0;
	char *out, *p;
	bool flag;

	for (i = 0; i < count; i++) {
		flag = by_internal ? relays[i].internal : relays[i].trusted;
		if (flag == want)
			length += strlen(texts[i]) + 1;
	}
	out = arena_alloc(arena, length + 1);
	p = out;
	for (i = 0; i < count; i++) {
		flag = by_internal ? relays[i].internal : relays[i].trusted;
		if (flag != want)
			continue;
		if (p != out)
			*p++ = ' ';
		length = strlen(texts[i]);
		memcpy(p, texts[i], length);
		p += length;
	}
	*p = '\0';
	return out;
}

void
received_format(struct arena *arena, const struct received_relay *relays,
    size_t count, struct received_text *text_r)
{
	const char **texts;
	size_t i;

	texts = arena_array(arena, count + 1, sizeof(*texts));
	for (i = 0; i < count; i++)
		texts[i] = received_relay_format(arena, &relays[i]);
	text_r->trusted = join_relays(arena, texts, relays, count, false, true);
	text_r->untrusted = join_relays(arena, texts, relays, count, false,
	    false);
	text_r->internal = join_relays(arena, texts, relays, count, true,
	    true);
	text_r->external = join_relays(arena, texts, relays, count, true,
	    false);
}
