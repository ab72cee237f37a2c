/* rule_eval_header.c: SpamAssassin's header eval tests: HeaderEval
 * (dates, recipients, forged webmail Received trails, ratware,
 * illegal characters, templates), FreeMail (freemail_domains) and
 * WLBLEval's address lists (welcomelist_from, blocklist_from,
 * enlist_addrlist).
 *
 * DESIGN: the Perl reads headers through $pms->get(), and many tests
 * run regexes over the joined Received fields; we do the same with the
 * rule_eval header views and PCRE2 patterns compiled once (patterns
 * keep Perl's syntax, so they read like the originals). Dates are
 * parsed with Util::parse_rfc822_date()'s rules, which are lenient in
 * their own way (first "D Mon YYYY" anywhere, first time, first zone),
 * not RFC 5322's. Relay-based parts (trusted relays, rDNS) are absent:
 * for content scans every relay is untrusted and unresolved, as
 * rule_eval's X-Spam-Relays-* views are empty. */
#include "rules/rule_eval_builtin.h"
#include "lib/mail_header.h"
#include "lib/message.h"
#include "lib/string_set.h"
#include "lib/mime_decode.h"
#include "lib/uri_extract.h"

#include <ctype.h>

/* Constants::IP_ADDRESS, IPv4 exactly and IPv6 loosely. */
#define IPV4_PATTERN \
	"(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)\\." \
	"(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)\\." \
	"(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)\\." \
	"(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)"
#define IP_PATTERN \
	"(?:\\b(?<!:)" IPV4_PATTERN "\\b|" \
	"(?<![0-9a-f:])(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?![0-9a-f:]))"

static bool
matches(const char *pattern, const char *subject)
{
	const struct rule_regex *regex = rule_eval_builtin_regex(pattern,
	    false);

	return regex != NULL && subject != NULL &&
	    rule_regex_match(regex, subject, strlen(subject));
}

static bool
matches_caseless(const char *pattern, const char *subject)
{
	const struct rule_regex *regex = rule_eval_builtin_regex(pattern,
	    true);

	return regex != NULL && subject != NULL &&
	    rule_regex_match(regex, subject, strlen(subject));
}

/* s/\s+/ /gs */
static char *
squeeze_space(struct arena *arena, const char *text)
{
	char *out = arena_alloc(arena, strlen(text) + 1), *o = out;

	while (*text != '\0') {
		if (isspace((unsigned char)*text)) {
			while (isspace((unsigned char)*text))
				text++;
			*o++ = ' ';
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

static const char *
received_squeezed(struct rule_eval_context *context)
{
	return squeeze_space(rule_eval_arena(context),
	    rule_eval_builtin_get(context, "Received"));
}

/* Dates: Util::parse_rfc822_date() */

static const struct {
	const char *name;
	int offset; /* minutes */
} rule_eval_header_zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "NDT", -150 }, { "AST", -240 },
	{ "ADT", -180 }, { "NST", -210 }, { "EST", -300 }, { "EDT", -240 },
	{ "CST", -360 }, { "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
	{ "PST", -480 }, { "PDT", -420 }, { "HST", -600 }, { "AKST", -540 },
	{ "AKDT", -480 }, { "HADT", -540 }, { "HAST", -600 }, { "GMT", 0 },
	{ "BST", 60 }, { "IST", 60 }, { "WET", 0 }, { "WEST", 60 },
	{ "CET", 60 }, { "CEST", 120 }, { "EET", 120 }, { "EEST", 180 },
	{ "MSK", 180 }, { "MSD", 240 }, { "MET", 60 }, { "MEZ", 60 },
	{ "MEST", 120 }, { "MESZ", 120 }, { "BRST", -120 },
	{ "BRT", -180 }, { "AEST", 600 }, { "AEDT", 660 }, { "ACST", 570 },
	{ "ACDT", 630 }, { "AWST", 480 }, { "NZST", 720 }, { "NZDT", 780 },
	{ "JST", 540 }, { "KST", 540 }, { "HKT", 480 }, { "SGT", 480 },
	{ "PHT", 480 }, { "IDT", 180 },
};

static int
month_number(const char *word, size_t length)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	size_t i;

	if (length != 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (strncasecmp(word, months + 3 * i, 3) == 0)
			return (int)i + 1;
	return 0;
}

static bool
all_digits(const char *word, size_t length, size_t low, size_t high)
{
	size_t i;

	if (length < low || length > high)
		return false;
	for (i = 0; i < length; i++)
		if (!isdigit((unsigned char)word[i]))
			return false;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t era;
	unsigned year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = (unsigned)(year - era * 400);
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	    day_of_year;
	return era * 146097 + (int64_t)day_of_era - 719468;
}

struct date_words {
	char *text;		/* " word word ... " */
	char *word[64];
	size_t length[64];
	size_t count;
};

static void
date_words_split(struct date_words *words, char *text)
{
	char *p = text;

	words->count = 0;
	while (*p != '\0' && words->count < ARRAY_LENGTH(words->word)) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		words->word[words->count] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		words->length[words->count] = (size_t)(p - words->word[
		    words->count]);
		words->count++;
	}
}

static void
date_words_remove(struct date_words *words, size_t first, size_t count)
{
	size_t i;

	for (i = first; i + count < words->count; i++) {
		words->word[i] = words->word[i + count];
		words->length[i] = words->length[i + count];
	}
	words->count -= count;
}

static long
word_number(const char *word, size_t length)
{
	long value = 0;
	size_t i;

	for (i = 0; i < length && value < 100000000; i++)
		value = value * 10 + (word[i] - '0');
	return value;
}

static bool
is_time_word(const char *w, size_t n, bool seconds_required)
{
	size_t i = 0, digits = 0;

	while (i < n && isdigit((unsigned char)w[i]))
		i++, digits++;
	if (seconds_required) {
		/* \d+:\d+:\d+ */
		if (digits == 0 || i == n || w[i] != ':')
			return false;
		for (++i, digits = 0; i < n && isdigit((unsigned char)w[i]);
		    i++)
			digits++;
		if (digits == 0 || i == n || w[i] != ':')
			return false;
		for (++i, digits = 0; i < n && isdigit((unsigned char)w[i]);
		    i++)
			digits++;
		return digits > 0 && i == n;
	}
	/* (\d?\d):(\d\d)(:(\d\d))? */
	if (digits < 1 || digits > 2 || i == n || w[i] != ':')
		return false;
	if (n - i - 1 != 2 && n - i - 1 != 5)
		return false;
	if (!isdigit((unsigned char)w[i + 1]) ||
	    !isdigit((unsigned char)w[i + 2]))
		return false;
	if (n - i - 1 == 2)
		return true;
	return w[i + 3] == ':' && isdigit((unsigned char)w[i + 4]) &&
	    isdigit((unsigned char)w[i + 5]);
}

static bool
is_word_character(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* s/\b([A-Z]{2,4}(?:-DST)?)\b/ /: the first word of two to four
 * capitals is the zone, used when it names a known one ("-DST" after it
 * makes a name that is never known). Sets *offset_r (minutes) and
 * returns true for a known zone. */
static bool
date_named_zone(const struct date_words *words, int *offset_r)
{
	size_t i, start, end, k, z, length;

	for (i = 0; i < words->count; i++) {
		const char *w = words->word[i];
		size_t n = words->length[i];
		for (start = 0; start < n; start = end) {
			while (start < n && !is_word_character(w[start]))
				start++;
			for (end = start; end < n &&
			    is_word_character(w[end]); end++)
				;
			length = end - start;
			if (length < 2 || length > 4)
				continue;
			for (k = start; k < end && w[k] >= 'A' && w[k] <= 'Z';
			    k++)
				;
			if (k != end)
				continue;
			if (n - end >= 4 && strncmp(w + end, "-DST", 4) == 0 &&
			    (n - end == 4 || !is_word_character(w[end + 4])))
				return false;
			for (z = 0; z < ARRAY_LENGTH(rule_eval_header_zones);
			    z++) {
				const char *name =
				    rule_eval_header_zones[z].name;
				if (strlen(name) == length &&
				    strncmp(w + start, name, length) == 0) {
					*offset_r =
					    rule_eval_header_zones[z].offset;
					return true;
				}
			}
			return false;
		}
	}
	return false;
}

/* Returns true with the time in *time_r when a date is found. */
static bool
parse_rfc822_date(struct arena *arena, const char *date, int64_t *time_r)
{
	struct date_words words;
	char *text, *o;
	const char *p;
	long year = 0, day = 0, hour = 0, minute = 0, second = 0;
	int month = 0, offset = 0;
	size_t i, year_digits = 0;
	bool found = false, zone = false;
	int64_t t;

	/* " $date ", then commas with the spaces after them and every
	 * white space character become one space. */
	text = arena_alloc(arena, strlen(date) + 3);
	o = text;
	*o++ = ' ';
	for (p = date; *p != '\0'; p++) {
		if (*p == ',') {
			*o++ = ' ';
			while (p[1] == ' ')
				p++;
		} else {
			*o++ = isspace((unsigned char)*p) ? ' ' : *p;
		}
	}
	*o++ = ' ';
	*o = '\0';
	date_words_split(&words, text);
	for (i = 0; i + 2 < words.count && !found; i++) {
		if (all_digits(words.word[i], words.length[i], 1, 20) &&
		    (month = month_number(words.word[i + 1],
		    words.length[i + 1])) != 0 &&
		    all_digits(words.word[i + 2], words.length[i + 2], 4, 4)) {
			day = word_number(words.word[i], words.length[i]);
			year = word_number(words.word[i + 2], 4);
			year_digits = 4;
			date_words_remove(&words, i, 3);
			found = true;
		}
	}
	for (i = 0; i + 3 < words.count && !found; i++) {
		if ((month = month_number(words.word[i],
		    words.length[i])) != 0 &&
		    all_digits(words.word[i + 1], words.length[i + 1], 1, 20) &&
		    is_time_word(words.word[i + 2], words.length[i + 2],
		    true) &&
		    all_digits(words.word[i + 3], words.length[i + 3], 4, 4)) {
			day = word_number(words.word[i + 1],
			    words.length[i + 1]);
			year = word_number(words.word[i + 3], 4);
			year_digits = 4;
			/* The time stays out: it was part of the match. */
			date_words_remove(&words, i, 4);
			found = true;
		}
	}
	for (i = 0; i + 2 < words.count && !found; i++) {
		if (all_digits(words.word[i], words.length[i], 1, 20) &&
		    (month = month_number(words.word[i + 1],
		    words.length[i + 1])) != 0 &&
		    all_digits(words.word[i + 2], words.length[i + 2], 2, 3)) {
			day = word_number(words.word[i], words.length[i]);
			year_digits = words.length[i + 2];
			year = word_number(words.word[i + 2], year_digits);
			date_words_remove(&words, i, 3);
			found = true;
		}
	}
	if (!found)
		return false;
	if (year_digits == 2 && year < 50)
		year += 2000;
	else if (year_digits != 4)
		year += 1900;
	for (i = 0; i < words.count; i++) {
		if (is_time_word(words.word[i], words.length[i], false)) {
			const char *w = words.word[i];
			size_t colon = (size_t)(strchr(w, ':') - w);
			hour = word_number(w, colon);
			minute = word_number(w + colon + 1, 2);
			if (words.length[i] > colon + 3)
				second = word_number(w + colon + 4, 2);
			date_words_remove(&words, i, 1);
			break;
		}
	}
	for (i = 0; i < words.count; i++) {
		const char *w = words.word[i];
		if (words.length[i] == 5 && (w[0] == '+' || w[0] == '-') &&
		    all_digits(w + 1, 4, 4, 4)) {
			offset = (int)(word_number(w + 1, 2) * 60 +
			    word_number(w + 3, 2));
			if (w[0] == '-')
				offset = -offset;
			zone = true;
			break;
		}
	}
	if (!zone)
		(void)date_named_zone(&words, &offset);
	second = MIN(second, 59);
	minute = MIN(minute, 59);
	hour = MIN(hour, 23);
	{
		static const int days_in_month[] = { 31, 28, 31, 30, 31, 30,
			31, 31, 30, 31, 30, 31 };
		long max_day = days_in_month[month - 1];
		if (month == 2 && year % 4 == 0 &&
		    (year % 100 != 0 || year % 400 == 0))
			max_day = 29;
		if (day > max_day) {
			day = 1;
			if (++month > 12) {
				month = 1;
				year++;
			}
		}
	}
	if (year > 2037)
		year = 2037;
	else if (year < 1970)
		year = 1970;
	if (day < 1)
		return false; /* timegm() refuses day 0 */
	t = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	    hour * 3600 + minute * 60 + second;
	if (offset < 0)
		t += (int64_t)-offset * 60;
	else if (t < (int64_t)offset * 60)
		t = 0;
	else
		t -= (int64_t)offset * 60;
	*time_r = t;
	return true;
}

struct header_dates {
	bool have_date;
	int64_t date;
	double diff;
};

/* _get_received_header_times(): the dates in the Received fields, a
 * local first hop (and fetchmail's) set aside. */
static size_t
received_times(struct rule_eval_context *context, int64_t **times_r)
{
	struct arena *arena = rule_eval_arena(context);
	const struct rule_regex *date_regex;
	const char **fields, **received;
	size_t count, i, n = 0, times = 0, start, end;
	int64_t *out;

	fields = rule_eval_builtin_get_all(context, "Received", &count);
	received = arena_array(arena, count + 1, sizeof(*received));
	for (i = 0; i < count; i++) {
		const char *p;
		for (p = fields[i]; *p != '\0' && isspace((unsigned char)*p);
		    p++)
			;
		if (*p != '\0')
			received[n++] = fields[i];
	}
	*times_r = arena_array(arena, n + 1, sizeof(**times_r));
	out = *times_r;
	if (n == 0)
		return 0;
	if (matches("\\bfrom (?:localhost\\s|(?:\\S+ ){1,2}\\S*\\b127\\.0\\.0"
	    "\\.1\\b)", received[0]) ||
	    matches("qmail \\d+ invoked by uid \\d+", received[0])) {
		/* A local first hop; with fetchmail's hop after it both go,
		 * else it is put back. */
		if (n > 1 && matches("\\bby localhost with \\w+ \\(fetchmail-"
		    "[\\d.]+", received[1])) {
			received += 2;
			n -= 2;
		}
	} else if (matches("\\bby localhost with \\w+ \\(fetchmail-[\\d.]+",
	    received[0])) {
		received++;
		n--;
	}
	date_regex = rule_eval_builtin_regex(
	    "(\\s.?\\d+ \\S\\S\\S \\d+ \\d+:\\d+:\\d+ \\S+)", false);
	for (i = 0; i < n && date_regex != NULL; i++) {
		int64_t t;
		if (!rule_regex_find(date_regex, received[i],
		    strlen(received[i]), &start, &end))
			continue;
		if (parse_rfc822_date(arena, arena_strndup(arena,
		    received[i] + start, end - start), &t))
			out[times++] = t;
	}
	return times;
}

static const struct header_dates *
header_dates(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_DATES);
	static const char *const names[] = { "Resent-Date", "Date" };
	struct arena *arena = rule_eval_arena(context);
	const struct message *message = rule_eval_message(context);
	struct header_dates *dates = *slot;
	const struct mail_header_field **fields;
	int64_t *times, *diffs;
	size_t count, i, j, n;

	if (dates != NULL)
		return dates;
	dates = arena_new_type(arena, struct header_dates);
	*slot = dates;
	for (i = 0; i < ARRAY_LENGTH(names) && !dates->have_date; i++) {
		fields = mail_header_get_all(message->header, arena, names[i],
		    &count);
		for (j = 0; j < count && !dates->have_date; j++) {
			struct string_view value = mail_header_unfold(arena,
			    fields[j]->value);
			char *text = arena_strndup(arena, value.data,
			    value.length);
			if (*text != '\0')
				dates->have_date = parse_rfc822_date(arena,
				    text, &dates->date);
		}
	}
	if (!dates->have_date)
		return dates;
	n = received_times(context, &times);
	if (n == 0)
		return dates;
	diffs = arena_array(arena, n, sizeof(*diffs));
	for (i = 0; i < n; i++)
		diffs[i] = dates->date - times[i];
	if (n > 1 && diffs[n - 1] == 0)
		n--;
	/* The difference smallest in size; the first of equals. */
	for (i = 1, j = 0; i < n; i++)
		if (llabs((long long)diffs[i]) < llabs((long long)diffs[j]))
			j = i;
	dates->diff = (double)diffs[j];
	return dates;
}

/* check_for_shifted_date(MIN, MAX): the Date field minus the nearest
 * Received date, in hours, in [MIN, MAX) ("undef": open). */
static unsigned
rule_eval_check_for_shifted_date(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double diff = header_dates(context)->diff;

	return (rule_eval_builtin_unbounded(rule, 0) ||
	    diff >= 3600 * rule_eval_builtin_number(rule, 0, 0)) &&
	    (rule_eval_builtin_unbounded(rule, 1) ||
	    diff < 3600 * rule_eval_builtin_number(rule, 1, 0));
}

/* check_outlook_message_id(): an Outlook Express Message-ID whose time
 * stamp is far from both the Date and the Received dates. */
static unsigned
rule_eval_check_outlook_message_id(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *id = rule_eval_builtin_get(context, "MESSAGEID");
	struct arena *arena = rule_eval_arena(context);
	static const double x = 0.0023283064365387, y = 27111902.8329849;
	char token[9];
	double stamp, expected;
	int64_t t;
	size_t i;

	(void)rule;
	/* ^<[0-9a-f]{4}([0-9a-f]{8})\$[0-9a-f]{8}\$[0-9a-f]{8}\@ */
	if (id[0] != '<')
		return 0;
	for (i = 1; i <= 28; i++) {
		char c = id[i + (i > 12) + (i > 20)];
		if (c == '\0')
			return 0;
		if (!(isdigit((unsigned char)c) || (c >= 'a' && c <= 'f')))
			return 0;
	}
	if (id[13] != '$' || id[22] != '$' || id[31] != '@')
		return 0;
	memcpy(token, id + 5, 8);
	token[8] = '\0';
	stamp = (double)strtoul(token, NULL, 16);
	if (!parse_rfc822_date(arena, rule_eval_builtin_get(context, "Date"),
	    &t))
		t = 0;
	/* int() of a positive value. */
	expected = (double)(int64_t)((double)t * x + y);
	if (stamp - expected < 250 && expected - stamp < 250)
		return 0;
	/* The Perl matches a date in the Received fields but then parses
	 * all of them as one date, which finds the first one. */
	if (!parse_rfc822_date(arena, rule_eval_builtin_get(context,
	    "Received"), &t))
		t = 0;
	expected = (double)(int64_t)((double)t * x + y);
	return stamp - expected >= 250 || expected - stamp >= 250;
}

/* Recipients */

struct recipients {
	bool sorted;
	double similar;
};

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* _check_recipients(): To and Cc (Bcc when they have few) in order,
 * consecutive duplicates dropped. */
static const struct recipients *
recipients(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_RECIPIENTS);
	static const char *const requests[] = { "ToCc:addr", "Bcc:addr" };
	struct arena *arena = rule_eval_arena(context);
	struct recipients *result = *slot;
	const char **inputs = NULL, **addresses, **sorted, **values;
	const char *previous = "";
	size_t input_count = 0, count, i, j, n = 0;
	double hits = 0, combinations = 0;

	if (result != NULL)
		return result;
	result = arena_new_type(arena, struct recipients);
	*slot = result;
	for (i = 0; i < ARRAY_LENGTH(requests); i++) {
		const char **grown;
		values = rule_eval_builtin_get_all(context, requests[i],
		    &count);
		grown = arena_array(arena, input_count + count + 1,
		    sizeof(*grown));
		if (input_count > 0)
			memcpy(grown, inputs, input_count * sizeof(*grown));
		if (count > 0)
			memcpy(grown + input_count, values,
			    count * sizeof(*grown));
		inputs = grown;
		input_count += count;
		if (input_count >= 5)
			break;
	}
	addresses = arena_array(arena, input_count + 1, sizeof(*addresses));
	for (i = 0; i < input_count && n < 256; i++) {
		/* while (my $current = shift @inputs): a false value ends
		 * the list. */
		if (*inputs[i] == '\0' || strcmp(inputs[i], "0") == 0)
			break;
		if (strcasecmp(inputs[i], previous) != 0)
			addresses[n++] = previous = inputs[i];
	}
	if (n >= 7) {
		sorted = arena_array(arena, n, sizeof(*sorted));
		memcpy(sorted, addresses, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), compare_strings);
		result->sorted = true;
		for (i = 0; i < n; i++)
			if (strcmp(sorted[i], addresses[i]) != 0)
				result->sorted = false;
	}
	if (n >= 5) {
		/* @fqhn = map { m/\@(.*)/ } @address drops addresses without
		 * '@', so hosts shift against users, as in the Perl. */
		const char **hosts = arena_array(arena, n + 1, sizeof(*hosts));
		size_t host_count = 0;
		for (i = 0; i < n; i++) {
			const char *at = strchr(addresses[i], '@');
			if (at != NULL)
				hosts[host_count++] = at + 1;
		}
		for (i = 0; i < n; i++) {
			for (j = i + 1; j < n; j++) {
				const char *hi = i < host_count ? hosts[i] : "";
				const char *hj = j < host_count ? hosts[j] : "";
				/* substr($_, 0, 2) eq substr(...): strncmp()
				 * of two characters is exactly that. */
				if (strncmp(addresses[i], addresses[j], 2) == 0)
					hits++;
				if (strncmp(hi, hj, 2) == 0 &&
				    strcmp(hi, hj) != 0)
					hits++;
				combinations++;
			}
		}
		result->similar = hits / combinations;
	}
	return result;
}

/* sorted_recipients(): seven or more recipients in sorted order. */
static unsigned
rule_eval_sorted_recipients(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return recipients(context)->sorted;
}

/* similar_recipients(MIN, MAX): how alike the recipient addresses
 * start, in [MIN, MAX). */
static unsigned
rule_eval_similar_recipients(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double similar = recipients(context)->similar;

	return (rule_eval_builtin_unbounded(rule, 0) ||
	    similar >= rule_eval_builtin_number(rule, 0, 0)) &&
	    (rule_eval_builtin_unbounded(rule, 1) ||
	    similar < rule_eval_builtin_number(rule, 1, 0));
}

/* check_for_missing_to_header(): neither To nor Apparently-To. */
static unsigned
rule_eval_check_for_missing_to_header(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return *rule_eval_builtin_get(context, "To") == '\0' &&
	    *rule_eval_builtin_get(context, "Apparently-To") == '\0';
}

/* Perl's quotemeta(): every character but [A-Za-z0-9_] escaped. */
static char *
quote_meta(struct arena *arena, const char *text)
{
	char *out = arena_alloc(arena, 2 * strlen(text) + 1), *o = out;

	for (; *text != '\0'; text++) {
		if (!isalnum((unsigned char)*text) && *text != '_' &&
		    (unsigned char)*text < 0x80)
			*o++ = '\\';
		*o++ = *text;
	}
	*o = '\0';
	return out;
}

/* A pattern built per message, freed with the message's arena. */
static void
regex_free(void *regex)
{
	struct rule_regex *r = regex;

	rule_regex_free(&r);
}

static bool
matches_once(struct arena *arena, const char *source, const char *subject)
{
	struct rule_regex *regex;
	const char *error;

	if (rule_regex_compile_interpreted(source, strlen(source), NULL,
	    &regex, &error) < 0)
		return false;
	arena_add_cleanup(arena, regex_free, regex);
	return rule_regex_match(regex, subject, strlen(subject));
}

/* check_for_to_in_subject(address|user): the To address, or its user
 * name in a greeting position, in the Subject. */
static unsigned
rule_eval_check_for_to_in_subject(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	struct arena *arena = rule_eval_arena(context);
	const char *test = rule_eval_builtin_argument(rule, 0);
	const char *to = rule_eval_builtin_get(context, "To:addr");
	const char *subject = rule_eval_builtin_get(context, "Subject");
	char *user, *quoted, *source;

	if (test == NULL || *to == '\0')
		return 0;
	if (strcmp(test, "address") == 0) {
		source = arena_printf(arena, "m\x01\\b%s\\b\x01i",
		    quote_meta(arena, to));
		return matches_once(arena, source, subject);
	}
	if (strcmp(test, "user") != 0)
		return 0;
	user = arena_strdup(arena, to);
	if (strchr(user, '@') != NULL)
		*strchr(user, '@') = '\0';
	quoted = quote_meta(arena, user);
	source = arena_printf(arena, "m\x01^(?:(?:re|fw):\\s*(?:\\w+\\s+)?%s$"
	    "|(?-i:%s)\\s*[,:;!?-](?:$|\\s)|%s$|,\\s*%s[,:;!?-]$)\x01i",
	    quoted, quoted, quoted, quoted);
	return matches_once(arena, source, subject);
}

/* check_unresolved_template(): a header line with "%[A-Z][A-Z_-]" from
 * a mailer template, outside fields where that is normal. */
static unsigned
rule_eval_check_unresolved_template(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char **lines;
	size_t count, i;

	(void)rule;
	lines = rule_eval_builtin_get_all(context, "ALL", &count);
	for (i = 0; i < count; i++)
		if (matches("%[A-Z][A-Z_-]", lines[i]) &&
		    !matches_caseless("^(?:X-VMS-To|X-UIDL|X-Face|To|Cc|From|"
		    "Subject|References|In-Reply-To|(?:X-|Resent-|X-Original-)?"
		    "Message-Id):", lines[i]))
			return 1;
	return 0;
}

/* check_ratware_name_id(): a Message-ID of 28 capitals whose right
 * side is the From address, quoted display name in front. */
static unsigned
rule_eval_check_ratware_name_id(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	struct arena *arena = rule_eval_arena(context);
	const char *id = rule_eval_builtin_get(context, "MESSAGEID");
	const char *from = rule_eval_builtin_get(context, "From"), *p, *end;
	size_t run;

	(void)rule;
	/* m/<[A-Z]{28}\.([^>]+?)>/ */
	for (p = id; (p = strchr(p, '<')) != NULL; p++) {
		for (run = 0; p[1 + run] >= 'A' && p[1 + run] <= 'Z'; run++)
			;
		if (run < 28)
			continue;
		/* A longer run can still match from its last 28. */
		if (p[1 + run] != '.' || (end = strchr(p + 2 + run, '>')) ==
		    NULL || end == p + 2 + run)
			continue;
		return matches_once(arena, arena_printf(arena,
		    "m\x01\"[^\"]+\"\\s*<%s>\x01", quote_meta(arena,
		    arena_strndup(arena, p + 2 + run,
		    (size_t)(end - p - 2 - run)))), from);
	}
	return 0;
}

static bool
domain_valid(const char *domain)
{
	const char *dot = strrchr(domain, '.'), *p;

	for (p = domain; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return false;
	return dot != NULL && dot[1] != '\0' &&
	    uri_extract_tld_known(string_view_from_cstring(dot + 1));
}

static const char *
trim_domain(struct arena *arena, const char *host)
{
	char *lower = rule_eval_builtin_lowercase(arena, host);
	struct string_view domain = uri_extract_registrable_domain(
	    string_view_from_cstring(lower));

	return arena_strndup(arena, domain.data, domain.length);
}

/* check_ratware_envelope_from(): an envelope sender built from the To
 * address ("domain.user@..."). */
static unsigned
rule_eval_check_ratware_envelope_from(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	struct arena *arena = rule_eval_arena(context);
	const char *to = rule_eval_builtin_get(context, "To:addr");
	const char *from = rule_eval_builtin_get(context, "EnvelopeFrom:addr");
	const char *at, *domain;
	char *user;

	(void)rule;
	if (*from == '\0' || *to == '\0' ||
	    matches_caseless("^SRS\\d[=+-]", from))
		return 0;
	at = strchr(to, '@');
	if (at == NULL || at == to || at[1] == '\0')
		return 0;
	user = arena_strndup(arena, to, (size_t)(at - to));
	domain = trim_domain(arena, at + 1);
	if (!domain_valid(domain))
		return 0;
	return matches_once(arena, arena_printf(arena, "m\x01\\b%s.%s@\x01i",
	    quote_meta(arena, domain), quote_meta(arena, user)), from);
}

/* The second-level domain of an address, by HeaderEval's regex. */
static const char *
second_level_domain(struct arena *arena, const char *address)
{
	const char *at = strrchr(address, '@'), *dot;
	const char *domain;

	if (at == NULL)
		return "";
	domain = at + 1;
	/* s/^.+\.([^\.]+\.[^\.]+)$/$1/ */
	dot = strrchr(domain, '.');
	if (dot != NULL && dot > domain) {
		const char *p = dot - 1;
		while (p > domain && *p != '.')
			p--;
		if (*p == '.' && p > domain && p + 1 < dot && dot[1] != '\0')
			domain = p + 1;
	}
	return arena_strdup(arena, domain);
}

/* check_equal_from_domains(): From and envelope sender differ in their
 * last two labels. */
static unsigned
rule_eval_check_equal_from_domains(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	struct arena *arena = rule_eval_arena(context);
	const char *from = second_level_domain(arena,
	    rule_eval_builtin_get(context, "From:addr"));
	const char *envelope = second_level_domain(arena,
	    rule_eval_builtin_get(context, "EnvelopeFrom:addr"));

	(void)rule;
	if (*from == '\0' || *envelope == '\0')
		return 0;
	return strcasecmp(from, envelope) != 0;
}

/* check_for_matching_env_and_hdr_from() */
static unsigned
rule_eval_check_for_matching_env_and_hdr_from(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	(void)rule;
	return strcasecmp(rule_eval_builtin_get(context, "EnvelopeFrom:addr"),
	    rule_eval_builtin_get(context, "From:addr")) == 0;
}

/* check_for_fake_aol_relay_in_rcvd(): an AOL relay name in a Received
 * trail that AOL did not write. */
static unsigned
rule_eval_check_for_fake_aol_relay_in_rcvd(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *received = received_squeezed(context);

	(void)rule;
	if (!matches_caseless(" rly-[a-z][a-z]\\d\\d\\.", received))
		return 0;
	return !matches("\\/AOL-\\d+\\.\\d+\\.\\d+\\)", received) &&
	    !matches("ESMTP id (?:RELAY|MAILRELAY|MAILIN)", received);
}

/* check_for_faraway_charset_in_headers(): an encoded word in From or
 * Subject whose charset does not suit ok_locales. */
static unsigned
rule_eval_check_for_faraway_charset_in_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	static const char *const names[] = { "From:raw", "Subject:raw" };
	const char *locales =
	    ruleset_settings(rule_eval_ruleset(context))->ok_locales;
	const char *value, *p, *q;
	size_t i;

	(void)rule;
	if (rule_eval_builtin_all_locales(locales))
		return 0;
	for (i = 0; i < ARRAY_LENGTH(names); i++) {
		value = rule_eval_header(context, names[i]);
		for (p = value; p != NULL && (p = strstr(p, "=?")) != NULL;
		    p += 2) {
			/* =\?(.+?)\?.\?.*?\?= */
			q = strchr(p + 3, '?');
			if (q == NULL || q[1] == '\0' || q[2] != '?' ||
			    strstr(q + 3, "?=") == NULL)
				continue;
			if (!rule_eval_builtin_charset_ok(arena_strndup(
			    rule_eval_arena(context), p + 2,
			    (size_t)(q - p - 2)), locales))
				return 1;
		}
	}
	return 0;
}

/* check_illegal_chars(HEADER, RATIO, COUNT): control and 8-bit bytes
 * in the raw header (not when it is clean UTF-8), at least RATIO of
 * its length and COUNT of them. */
static unsigned
rule_eval_check_illegal_chars(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *header = rule_eval_builtin_argument(rule, 0), *value;
	double ratio = rule_eval_builtin_number(rule, 1, 0);
	double minimum = rule_eval_builtin_number(rule, 2, 0);
	const unsigned char *p;
	size_t length, i, illegal = 0, exempt = 0, high = 0, controls = 0;
	bool subject;
	char *request;

	if (header == NULL)
		return 0;
	request = strlen(header) >= 4 &&
	    strcmp(header + strlen(header) - 4, ":raw") == 0 ?
	    arena_strdup(rule_eval_arena(context), header) :
	    arena_printf(rule_eval_arena(context), "%s:raw", header);
	value = rule_eval_builtin_get(context, request);
	p = (const unsigned char *)value;
	length = strlen(value);
	for (i = 0; i < length && isspace(p[i]); i++)
		;
	if (i == length)
		return 0;
	for (i = 0; i < length; i++) {
		if (p[i] >= 0x80)
			high++;
		if (p[i] <= 0x08 || p[i] == 0x0b || p[i] == 0x0c ||
		    (p[i] >= 0x0e && p[i] <= 0x1f))
			controls++;
		if (p[i] <= 0x08 || p[i] == 0x0b || p[i] == 0x0c ||
		    (p[i] >= 0x0e && p[i] <= 0x1f) || p[i] >= 0x7f)
			illegal++;
		if (p[i] == 0xa2 || p[i] == 0xa3 || p[i] == 0xae)
			exempt++;
	}
	if (high > 0 && mime_decode_utf8_valid(p, length) && controls == 0)
		return 0;
	subject = strcasecmp(request, "subject:raw") == 0;
	if (illegal > 0 && subject && exempt == 1)
		illegal--;
	return (double)illegal / (double)length >= ratio &&
	    (double)illegal >= minimum;
}

/* Forged webmail Received trails */

/* gated_through_received_hdr_remover(): mail whose Received fields a
 * list server removed (ezmlm, MSN groups) or that has none. */
static bool
gated_through_received_remover(struct rule_eval_context *context)
{
	const char *list = rule_eval_header(context, "Mailing-List");

	if (list != NULL &&
	    matches("(?m)^contact \\S+\\@\\S+\\; run by ezmlm$", list) &&
	    matches("(?m)^mailing list \\S+\\@\\S+",
	    rule_eval_builtin_get(context, "Delivered-To")) &&
	    matches("qmail \\d+ invoked (?:from network|by .{3,20})\\); "
	    "\\d+ ... \\d+", rule_eval_builtin_get(context, "Received")))
		return true;
	if (rule_eval_header(context, "Received") == NULL)
		return true;
	return matches("from groups\\.msn\\.com \\(\\S+\\.msn\\.com ",
	    rule_eval_builtin_get(context, "Received"));
}

static unsigned
rule_eval_gated_through_received_hdr_remover(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	(void)rule;
	return gated_through_received_remover(context);
}

/* check_for_msn_groups_headers() */
static bool
msn_groups(struct rule_eval_context *context)
{
	struct arena *arena = rule_eval_arena(context);
	const char *to = rule_eval_builtin_get(context, "To"), *p, *end;
	const char *received = rule_eval_builtin_get(context, "Received");
	const char *id = rule_eval_builtin_get(context, "Message-Id");
	char *list, *server;
	size_t start, stop;
	const struct rule_regex *regex;

	/* /<(\S+)\@groups\.msn\.com>/i */
	p = strcasestr(to, "@groups.msn.com>");
	if (p == NULL)
		return false;
	for (end = p; p > to && !isspace((unsigned char)p[-1]) &&
	    p[-1] != '<'; p--)
		;
	if (p == to || p[-1] != '<' || p == end)
		return false;
	list = arena_strndup(arena, p, (size_t)(end - p));
	regex = rule_eval_builtin_regex("from mail pickup service by "
	    "(?:p\\d\\d\\.)groups\\.msn\\.com\\b", false);
	if (regex == NULL || !rule_regex_find(regex, received,
	    strlen(received), &start, &stop))
		return false;
	server = arena_strndup(arena, received + start + 28,
	    stop - start - 28);
	if (strcmp(list, "notifications") == 0)
		return matches_once(arena, arena_printf(arena,
		    "m\x01^<\\S+\\@%s>\x01", quote_meta(arena, server)), id);
	return matches_once(arena, arena_printf(arena,
	    "m\x01^<%s-\\S+\\@groups\\.msn\\.com>\x01",
	    quote_meta(arena, list)), id) &&
	    matches_once(arena, arena_printf(arena,
	    "m\x01%s-bounce\\@groups\\.msn\\.com\x01", quote_meta(arena, list)),
	    rule_eval_builtin_get(context, "EnvelopeFrom:addr"));
}

/* _check_for_forged_hotmail_received_headers(): 1 forged hotmail
 * Received, 2 a hotmail From without a hotmail Received, 0 neither. */
static int
forged_hotmail(struct rule_eval_context *context)
{
	const char *received = received_squeezed(context);
	const char *ip = rule_eval_header(context, "X-Originating-Ip");
	const char *originator = rule_eval_header(context, "X-OriginatorOrg");
	bool have_ip, have_originator;

	if (matches("from mail pickup service by hotmail\\.com with "
	    "Microsoft SMTPSVC;", received) || msn_groups(context))
		return 0;
	have_ip = ip != NULL && matches(IP_PATTERN, ip);
	have_originator = originator != NULL &&
	    matches("hotmail\\.com|msonline\\-outlook", originator);
	if (gated_through_received_remover(context))
		return 0;
	if (have_ip && (matches("from (?:\\S*\\.)?hotmail.com \\(\\S+\\."
	    "hotmail(?:\\.msn)?\\.com[ \\)]", received) ||
	    matches("from \\S*\\.hotmail.com \\(\\[" IP_PATTERN "\\][ \\):]",
	    received) ||
	    matches("from \\S+ by \\S+\\.hotmail(?:\\.msn)?\\.com with HTTP\\;",
	    received) ||
	    matches("from \\[66\\.218.\\S+\\] by \\S+\\.yahoo\\.com",
	    received)))
		return 0;
	if (have_originator && (matches("from \\S*\\.outbound\\.protection\\."
	    "outlook\\.com \\(\\S+\\.outbound\\.protection\\.outlook\\.com"
	    "[ \\)]", received) ||
	    matches("from \\S*\\.(?:eur|nam)prd\\d+\\.prod\\.outlook\\.com \\("
	    IP_PATTERN "\\)", received)))
		return 0;
	if (matches("(?:from |HELO |helo=)\\S*hotmail\\.com\\b", received))
		return 1;
	if (matches_caseless("\\bhotmail\\.com$",
	    rule_eval_builtin_get(context, "From:addr")))
		return 2;
	return 0;
}

static unsigned
rule_eval_check_for_forged_hotmail_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	(void)rule;
	return forged_hotmail(context) == 1;
}

static unsigned
rule_eval_check_for_no_hotmail_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	(void)rule;
	return forged_hotmail(context) == 2;
}

/* check_for_forged_eudoramail_received_headers() */
static unsigned
rule_eval_check_for_forged_eudoramail_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const char *ip;

	(void)rule;
	if (!matches_caseless("\\beudoramail\\.com$",
	    rule_eval_builtin_get(context, "From:addr")))
		return 0;
	ip = rule_eval_header(context, "X-Sender-Ip");
	if (gated_through_received_remover(context))
		return 0;
	if (ip != NULL && matches(IP_PATTERN, ip) &&
	    matches("by \\S*whowhere.com\\;", received_squeezed(context)))
		return 0;
	return 1;
}

/* check_for_forged_yahoo_received_headers() */
static unsigned
rule_eval_check_for_forged_yahoo_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const char *from = rule_eval_builtin_get(context, "From:addr");
	const char *received = rule_eval_builtin_get(context, "Received");
	const char *x_received;

	(void)rule;
	if (!matches_caseless("\\byahoo\\.com$", from))
		return 0;
	if (*rule_eval_builtin_get(context, "Resent-From") != '\0' &&
	    *rule_eval_builtin_get(context, "Resent-To") != '\0') {
		x_received = rule_eval_builtin_get(context, "X-Received");
		if (*x_received != '\0')
			received = x_received;
	}
	received = squeeze_space(rule_eval_arena(context), received);
	if (gated_through_received_remover(context))
		return 0;
	/* No relays are trusted or resolved in a content scan, so the
	 * rDNS test on them never passes. */
	if (matches("by web\\S+\\.mail\\S*\\.yahoo\\.com via HTTP", received) ||
	    matches("by sonic\\S+\\.consmr\\.mail\\S*\\.yahoo\\.com with HTTP",
	    received) ||
	    matches("by smtp\\S+\\.yahoo\\.com with SMTP", received) ||
	    matches("from \\[" IP_PATTERN "\\] by \\S+\\.(?:groups|scd|dcn)"
	    "\\.yahoo\\.com with NNFMP", received))
		return 0;
	if (matches("\\bmailer\\d+\\.bulk\\.scd\\.yahoo\\.com\\b", received) &&
	    matches_caseless("\\@reply\\.yahoo\\.com$", from))
		return 0;
	if (matches("by \\w+\\.\\w+\\.yahoo\\.com \\(\\d+\\.\\d+\\.\\d+\\/\\d+"
	    "\\.\\d+\\.\\d+\\)(?: with ESMTP)? id \\w+", received))
		return 0;
	return 1;
}

/* check_for_forged_juno_received_headers() */
static unsigned
rule_eval_check_for_forged_juno_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const char *originating, *mailer, *received;

	(void)rule;
	if (!matches_caseless("\\bjuno\\.com$",
	    rule_eval_builtin_get(context, "From:addr")))
		return 0;
	if (gated_through_received_remover(context))
		return 0;
	originating = rule_eval_builtin_get(context, "X-Originating-IP");
	mailer = rule_eval_builtin_get(context, "X-Mailer");
	received = rule_eval_builtin_get(context, "Received");
	if (*originating != '\0') {
		if (!matches("from.*\\b(?:juno|untd)\\.com.*[\\[\\(]" IP_PATTERN
		    "[\\]\\)].*by", received) &&
		    !matches(" cookie\\.(?:juno|untd)\\.com ", received))
			return 1;
		if (strstr(mailer, "Juno ") == NULL)
			return 1;
	} else {
		if (matches("from.*\\bmail\\.com.*\\[" IP_PATTERN "\\].*by",
		    received)) {
			if (!matches("\\bmail\\.com", mailer))
				return 1;
		} else if (matches("from (webmail\\S+\\.untd\\.com) \\(\\1 \\["
		    IP_PATTERN "\\]\\) by", received)) {
			if (!matches("^Webmail Version \\d", mailer))
				return 1;
		} else {
			return 1;
		}
		if (!matches(IP_PATTERN, originating))
			return 1;
	}
	return 0;
}

/* check_for_forged_gmail_received_headers() */
static unsigned
rule_eval_check_for_forged_gmail_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const char *x_received, *state, *source;

	(void)rule;
	if (!matches_caseless("\\bgmail\\.com$",
	    rule_eval_builtin_get(context, "From:addr")))
		return 0;
	x_received = rule_eval_builtin_get(context, "X-Received");
	if (matches("by 10\\.\\S+ with SMTP id \\S+", x_received) ||
	    matches("by 2002\\:a\\d\\d\\:\\w+\\:\\S+ with SMTP id \\S+",
	    x_received) ||
	    matches("by smtp\\.googlemail\\.com with ESMTPSA id \\S+",
	    rule_eval_builtin_get(context, "Received")))
		return 0;
	state = rule_eval_builtin_get(context, "X-Gm-Message-State");
	source = rule_eval_builtin_get(context, "X-Google-Smtp-Source");
	return !(strlen(state) >= 60 && strlen(source) >= 60);
}

/* check_for_forged_gw05_received_headers() */
static unsigned
rule_eval_check_for_forged_gw05_received_headers(
    struct rule_eval_context *context, const struct ruleset_rule *rule)
{
	const struct rule_regex *regex;
	const char *received = rule_eval_builtin_get(context, "Received");
	size_t start, end;
	const char *by, *with;

	(void)rule;
	regex = rule_eval_builtin_regex("\\nfrom\\s(\\S+)\\sby\\s(\\S+)"
	    "\\swith\\sESMTP\\;\\s+\\S\\S\\S,\\s+\\d+\\s+\\S\\S\\S"
	    "\\s+\\d{4}\\s+\\d\\d:\\d\\d:\\d\\d\\s+[-+]*\\d{4}\\n$",
	    false);
	if (regex == NULL || !rule_regex_find(regex, received,
	    strlen(received), &start, &end))
		return 0;
	/* The host after "by" must have no dot. */
	by = strstr(received + start, " by ");
	if (by == NULL)
		by = strstr(received + start, "by");
	for (by += 3; isspace((unsigned char)*by); by++)
		;
	with = by;
	while (*with != '\0' && !isspace((unsigned char)*with))
		with++;
	return memchr(by, '.', (size_t)(with - by)) == NULL;
}

/* check_messageid_not_usable() */
static unsigned
rule_eval_check_messageid_not_usable(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *received;

	(void)rule;
	if (matches_caseless("<mailto:(?:leave-\\S+|\\S+-unsubscribe)\\@\\S+>$",
	    rule_eval_builtin_get(context, "List-Unsubscribe")))
		return 1;
	if (gated_through_received_remover(context))
		return 1;
	received = rule_eval_builtin_get(context, "Received");
	return strstr(received, "/CWT/DCE)") != NULL ||
	    strstr(received, "iPlanet Messaging Server") != NULL;
}

/* Addresses */

/* tr/././s */
static char *
squeeze_dots(char *address)
{
	char *p = address, *o = address;

	for (; *p != '\0'; p++)
		if (!(*p == '.' && o > address && o[-1] == '.'))
			*o++ = *p;
	*o = '\0';
	return address;
}

static void
address_add(struct arena *arena, const char ***list, size_t *count,
    size_t *capacity, const char *address)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*list)[i], address) == 0)
			return;
	if (*count == *capacity) {
		const char **grown;
		*capacity = *capacity == 0 ? 8 : *capacity * 2;
		grown = arena_array(arena, *capacity, sizeof(*grown));
		if (*count > 0)
			memcpy(grown, *list, *count * sizeof(*grown));
		*list = grown;
	}
	(*list)[(*count)++] = address;
}

/* The addresses of the first field called name. */
static const char **
first_field_addresses(struct rule_eval_context *context, const char *name,
    size_t *count_r)
{
	const struct mail_header_field *field = mail_header_get(
	    rule_eval_message(context)->header, name);
	struct mail_header_address *parsed;
	const char **addresses;
	size_t count, i;

	*count_r = 0;
	if (field == NULL)
		return NULL;
	count = mail_header_parse_addresses(rule_eval_arena(context),
	    field->value, &parsed);
	addresses = arena_array(rule_eval_arena(context), count + 1,
	    sizeof(*addresses));
	for (i = 0; i < count; i++)
		if (*parsed[i].address != '\0')
			addresses[(*count_r)++] = parsed[i].address;
	return addresses;
}

struct address_list {
	const char **items;
	size_t count;
};

/* PerMsgStatus::all_from_addrs(): Resent-From if there is one, else
 * From, Envelope-Sender, Resent-Sender, X-Envelope-From and the
 * envelope sender; each once, runs of dots squeezed. */
static const struct address_list *
all_from_addresses(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_FROM_ADDRESSES);
	static const char *const requests[] = { "From:addr",
		"Envelope-Sender:addr", "Resent-Sender:addr",
		"X-Envelope-From:addr", "EnvelopeFrom:addr" };
	struct arena *arena = rule_eval_arena(context);
	struct address_list *list = *slot;
	const char **values;
	size_t count, capacity = 0, i, j;

	if (list != NULL)
		return list;
	list = arena_new_type(arena, struct address_list);
	*slot = list;
	values = first_field_addresses(context, "Resent-From", &count);
	if (count > 0) {
		for (i = 0; i < count; i++)
			address_add(arena, &list->items, &list->count,
			    &capacity, values[i]);
		return list;
	}
	for (i = 0; i < ARRAY_LENGTH(requests); i++) {
		values = rule_eval_builtin_get_all(context, requests[i],
		    &count);
		for (j = 0; j < count; j++)
			if (*values[j] != '\0')
				address_add(arena, &list->items, &list->count,
				    &capacity, squeeze_dots(arena_strdup(arena,
				    values[j])));
	}
	return list;
}

/* PerMsgStatus::all_to_addrs() */
static struct address_list
all_to_addresses(struct rule_eval_context *context)
{
	static const char *const requests[] = { "To:addr",
		"Apparently-To:addr", "Delivered-To:addr",
		"Envelope-Recipients:addr", "Apparently-Resent-To:addr",
		"X-Envelope-To:addr", "Envelope-To:addr", "X-Delivered-To:addr",
		"X-Original-To:addr", "X-Rcpt-To:addr", "X-Real-To:addr",
		"Cc:addr" };
	struct arena *arena = rule_eval_arena(context);
	struct address_list list = { NULL, 0 };
	const char **values, **received;
	const struct rule_regex *regex;
	size_t count, capacity = 0, i, j, start, end;

	values = first_field_addresses(context, "Resent-To", &count);
	for (i = 0; i < count; i++)
		address_add(arena, &list.items, &list.count, &capacity,
		    values[i]);
	values = first_field_addresses(context, "Resent-Cc", &count);
	for (i = 0; i < count; i++)
		address_add(arena, &list.items, &list.count, &capacity,
		    values[i]);
	if (list.count > 0)
		return list;
	received = rule_eval_builtin_get_all(context, "Received", &count);
	regex = rule_eval_builtin_regex(" for <?(\\S+\\@(\\S+?))>?;", false);
	for (i = 0; i < count && i < 3 && regex != NULL; i++) {
		const char *text, *at, *stop;
		if (!rule_regex_find(regex, received[i], strlen(received[i]),
		    &start, &end))
			continue;
		text = received[i] + start + 5;
		if (*text == '<')
			text++;
		stop = received[i] + end - 1;
		if (stop > text && stop[-1] == '>')
			stop--;
		at = memchr(text, '@', (size_t)(stop - text));
		if (at != NULL && domain_valid(arena_strndup(arena, at + 1,
		    (size_t)(stop - at - 1))))
			address_add(arena, &list.items, &list.count, &capacity,
			    arena_strndup(arena, text, (size_t)(stop - text)));
	}
	for (i = 0; i < ARRAY_LENGTH(requests); i++) {
		values = rule_eval_builtin_get_all(context, requests[i],
		    &count);
		for (j = 0; j < count; j++)
			address_add(arena, &list.items, &list.count, &capacity,
			    values[j]);
	}
	return list;
}

static const struct rule_file_settings *
settings(struct rule_eval_context *context)
{
	return ruleset_settings(rule_eval_ruleset(context));
}

static bool
any_listed(const struct address_list *addresses, const char *const *list,
    size_t count)
{
	size_t i;

	for (i = 0; i < addresses->count; i++)
		if (rule_eval_builtin_address_listed(list, count,
		    addresses->items[i]))
			return true;
	return false;
}

/* check_from_in_blocklist() */
static unsigned
rule_eval_check_from_in_blocklist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return any_listed(all_from_addresses(context),
	    settings(context)->blocklist_from,
	    settings(context)->blocklist_from_count);
}

/* check_from_in_welcomelist(): welcomelist_from only; the _rcvd lists
 * need relay data a content scan does not have. */
static unsigned
rule_eval_check_from_in_welcomelist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return any_listed(all_from_addresses(context),
	    settings(context)->welcomelist_from,
	    settings(context)->welcomelist_from_count);
}

/* check_from_in_default_welcomelist(): def_welcomelist_from_rcvd only,
 * which is about relays: never in a content scan. */
static unsigned
rule_eval_check_from_in_default_welcomelist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)context;
	(void)rule;
	return 0;
}

static const struct rule_file_named_list *
named_list(struct rule_eval_context *context, const char *name)
{
	return name == NULL ? NULL :
	    rule_file_settings_address_list(settings(context), name);
}

/* check_from_in_list(NAME): a sender address in enlist_addrlist NAME. */
static unsigned
rule_eval_check_from_in_list(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct rule_file_named_list *list = named_list(context,
	    rule_eval_builtin_argument(rule, 0));

	return list != NULL && any_listed(all_from_addresses(context),
	    list->addresses, list->address_count);
}

/* check_replyto_in_list(NAME): the first Reply-To address in it. */
static unsigned
rule_eval_check_replyto_in_list(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct rule_file_named_list *list = named_list(context,
	    rule_eval_builtin_argument(rule, 0));
	const char *reply_to = rule_eval_builtin_get(context, "Reply-To:addr");

	return list != NULL && *reply_to != '\0' &&
	    rule_eval_builtin_address_listed(list->addresses,
	    list->address_count, reply_to);
}

static unsigned
to_in_named_list(struct rule_eval_context *context, const char *name)
{
	const struct rule_file_named_list *list = named_list(context, name);
	struct address_list addresses;

	if (list == NULL)
		return 0;
	addresses = all_to_addresses(context);
	return any_listed(&addresses, list->addresses, list->address_count);
}

/* check_to_in_list(NAME) and the fixed lists SpamAssassin keeps under
 * these names (filled with enlist_addrlist here). */
static unsigned
rule_eval_check_to_in_list(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	return to_in_named_list(context, rule_eval_builtin_argument(rule, 0));
}

static unsigned
rule_eval_check_to_in_blocklist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return to_in_named_list(context, "blocklist_to");
}

static unsigned
rule_eval_check_to_in_welcomelist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return to_in_named_list(context, "welcomelist_to");
}

static unsigned
rule_eval_check_to_in_more_spam(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return to_in_named_list(context, "more_spam_to");
}

static unsigned
rule_eval_check_to_in_all_spam(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return to_in_named_list(context, "all_spam_to");
}

/* A WelcomeListSubject pattern ('*' any run, '?' any character, never
 * across a line end) found anywhere in text (both lowercase). */
static bool
subject_glob_at(const char *pattern, const char *text)
{
	if (*pattern == '\0')
		return true;
	if (*pattern == '*') {
		for (;; text++) {
			if (subject_glob_at(pattern + 1, text))
				return true;
			if (*text == '\0' || *text == '\n')
				return false;
		}
	}
	if (*text == '\0' || *text == '\n' ||
	    (*pattern != '?' && *pattern != *text))
		return false;
	return subject_glob_at(pattern + 1, text + 1);
}

static unsigned
subject_listed(struct rule_eval_context *context, const char *name)
{
	const struct rule_file_named_list *list = named_list(context, name);
	const char *subject = rule_eval_builtin_get(context, "Subject"), *p;
	char *lower;
	size_t i;

	if (list == NULL || *subject == '\0')
		return 0;
	lower = rule_eval_builtin_lowercase(rule_eval_arena(context), subject);
	for (i = 0; i < list->address_count; i++) {
		if (strcmp(list->addresses[i], lower) == 0)
			return 1;
		for (p = lower; *p != '\0'; p++)
			if (subject_glob_at(list->addresses[i], p))
				return 1;
	}
	return 0;
}

/* check_subject_in_welcomelist() and check_subject_in_blocklist(): the
 * Subject contains a welcomelist_subject / blocklist_subject pattern. */
static unsigned
rule_eval_check_subject_in_welcomelist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return subject_listed(context, "welcomelist_subject");
}

static unsigned
rule_eval_check_subject_in_blocklist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return subject_listed(context, "blocklist_subject");
}

/* FreeMail */

static bool
freemail_available(struct rule_eval_context *context)
{
	return settings(context)->freemail_domain_count > 0;
}

/* A wildcard freemail domain ('*' within a label, '?' any character)
 * against a domain, whole. */
static bool
freemail_wildcard(const char *pattern, const char *domain)
{
	if (*pattern == '\0')
		return *domain == '\0';
	if (*pattern == '*') {
		for (;; domain++) {
			if (freemail_wildcard(pattern + 1, domain))
				return true;
			if (*domain == '\0' || *domain == '.')
				return false;
		}
	}
	if (*domain == '\0' || *domain == '\n')
		return false;
	if (*pattern != '?' && *pattern != *domain)
		return false;
	return freemail_wildcard(pattern + 1, domain + 1);
}

/* FreeMail::_is_freemail() on a lowercased address. */
static bool
is_freemail(struct rule_eval_context *context, const char *email)
{
	const struct rule_file_settings *s = settings(context);
	const char *domain, *at;
	size_t i;

	if (*email == '\0')
		return false;
	at = strrchr(email, '@');
	domain = at != NULL ? at + 1 : email;
	if (string_set_contains(s->freemail_welcome_set, email) ||
	    string_set_contains(s->freemail_welcome_set, domain))
		return false;
	if (matches_caseless("^(?:abuse|support|sales|info|helpdesk|contact|"
	    "kontakt|(?:post|host|domain)master|undisclosed.*|"
	    "request-[a-f0-9]{16}|bounced?-|[a-f0-9]{8}(?:\\.[a-f0-9]{8}|"
	    "-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|.+=.+=.+)\\@",
	    email))
		return false;
	/* A domain equal to an entry matches it, wildcards or not. */
	if (string_set_contains(s->freemail_domain_set, domain))
		return true;
	for (i = 0; i < s->freemail_wildcard_count; i++) {
		const char *entry = s->freemail_wildcards[i];
		/* \@(?:wildcards)$ at any '@'. */
		for (at = strchr(email, '@'); at != NULL;
		    at = strchr(at + 1, '@'))
			if (freemail_wildcard(entry, at + 1))
				return true;
	}
	return false;
}

static bool
is_local_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c)
	    != NULL);
}

/* One label: [a-z0-9](?:[a-z0-9-]{0,59}[a-z0-9])? */
static size_t
email_label(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '-'))
		n++;
	if (n == 0 || n > 61 || !isalnum((unsigned char)p[0]) ||
	    !isalnum((unsigned char)p[n - 1]))
		return 0;
	return n;
}

/* FreeMail's email_regex: finds the next address in [p, end); returns
 * false when there is none. */
static bool
email_find(const char *p, const char *end,
    const char **start_r, const char **stop_r)
{
	const char *at, *start, *q, *label_end, *tld, *dot;
	size_t n, labels;

	for (at = memchr(p, '@', (size_t)(end - p)); at != NULL;
	    at = memchr(at + 1, '@', (size_t)(end - at - 1))) {
		if (at == p || !is_local_char((unsigned char)at[-1]))
			continue;
		/* The local part: runs of local characters joined by
		 * single dots; at most 64 characters before the '@'. */
		start = at - 1;
		while (start > p && is_local_char((unsigned char)start[-1]))
			start--;
		while (start - 1 > p && start[-1] == '.' &&
		    is_local_char((unsigned char)start[-2])) {
			start -= 2;
			while (start > p &&
			    is_local_char((unsigned char)start[-1]))
				start--;
		}
		while (at - start > 64) {
			dot = memchr(start, '.', (size_t)(at - start));
			if (dot == NULL)
				break;
			start = dot + 1;
		}
		if (at - start > 64 || start < p)
			continue;
		/* The domain: one to four labels, then a known TLD that
		 * ends there. */
		q = at + 1;
		labels = 0;
		tld = NULL;
		label_end = q;
		while ((n = email_label(q, end)) > 0) {
			labels++;
			tld = q;
			label_end = q + n;
			if (label_end < end && *label_end == '.' &&
			    label_end + 1 < end &&
			    isalnum((unsigned char)label_end[1])) {
				q = label_end + 1;
				continue;
			}
			break;
		}
		if (labels < 2 || labels > 5 || tld == NULL)
			continue;
		if (label_end < end && (isalnum((unsigned char)*label_end) ||
		    *label_end == '-'))
			continue;
		if (!uri_extract_tld_known(string_view_make(tld,
		    (size_t)(label_end - tld))))
			continue;
		*start_r = start;
		*stop_r = label_end;
		return true;
	}
	return false;
}

struct freemail_body {
	bool skip;
	const char **emails;	/* freemails found in the body */
	size_t count;
};

/* Replaces text[start, stop) of a NUL-terminated line ending at *end_io
 * with one space. Returns the position after that space. */
static char *
replace_with_space(char *start, const char *stop, char **end_io)
{
	*start = ' ';
	memmove(start + 1, stop, (size_t)(*end_io - stop) + 1);
	*end_io -= stop - start - 1;
	return start + 1;
}

/* s{<?https?://\S{0,255}(?:\@|%40)\S{0,255}}{ }gi: links with an
 * address inside are not addresses. */
static void
strip_links_with_at(char *line, char **end_io)
{
	char *p, *start;
	const char *scheme_end, *run, *split, *q;

	for (p = line; (p = strcasestr(p, "http")) != NULL; p++) {
		if (strncasecmp(p, "https://", 8) == 0)
			scheme_end = p + 8;
		else if (strncasecmp(p, "http://", 7) == 0)
			scheme_end = p + 7;
		else
			continue;
		for (run = scheme_end; run < *end_io &&
		    !isspace((unsigned char)*run); run++)
			;
		/* The last '@' or "%40" the first \S{0,255} can reach. */
		split = NULL;
		for (q = scheme_end; q < run && q - scheme_end <= 255; q++)
			if (*q == '@' || (run - q >= 3 &&
			    strncmp(q, "%40", 3) == 0))
				split = q;
		if (split == NULL)
			continue;
		q = split + (*split == '@' ? 1 : 3);
		q += MIN((size_t)(run - q), (size_t)255);
		start = p - (p > line && p[-1] == '<');
		p = replace_with_space(start, q, end_io) - 1;
	}
}

/* Whether an address ending at stop is followed by ">" or by white
 * space and a field name ("Subject:"), as FreeMail's second
 * substitution requires; *after_r is where the match ends. Names
 * starting like fax, facsimile, tel, phone or e-mail do not count. */
static bool
followed_by_field(const char *stop, const char *end, const char **after_r)
{
	static const char *const kept[] = { "fax", "facsi", "tel", "phone",
		"email", "mail" };
	const char *q = stop, *word;
	size_t spaces = 0, letters = 0, i;

	if (q < end && *q == '>') {
		*after_r = q + 1;
		return true;
	}
	while (q < end && spaces < 11 && isspace((unsigned char)*q))
		q++, spaces++;
	word = q;
	while (q < end && isalpha((unsigned char)*q))
		q++, letters++;
	if (spaces < 1 || spaces > 10 || letters < 2 || letters > 11 ||
	    q == end || *q != ':')
		return false;
	for (i = 0; i < ARRAY_LENGTH(kept); i++)
		if (strncasecmp(word, kept[i], strlen(kept[i])) == 0)
			return false;
	*after_r = q + 1;
	return true;
}

/* s{<?(?<!mailto:)EMAIL(?:>|\s{1,10}NAME:)}{ }gi: addresses in header
 * quotes and angle brackets are not the sender's. */
static void
strip_quoted_addresses(char *line, char **end_io)
{
	const char *p = line, *start, *stop, *after;
	char *match_start;

	while (email_find(p, *end_io, &start, &stop)) {
		if ((start - line >= 7 &&
		    strncasecmp(start - 7, "mailto:", 7) == 0) ||
		    !followed_by_field(stop, *end_io, &after)) {
			p = stop;
			continue;
		}
		match_start = (char *)start - (start > line &&
		    start[-1] == '<');
		p = replace_with_space(match_start, after, end_io);
	}
}

/* FreeMail::_parse_body(): addresses from mailto: links, then from the
 * body text without the ones above; no more than 5 addresses and 3
 * freemails, else the body is not used at all. */
static const struct freemail_body *
freemail_body(struct rule_eval_context *context)
{
	void **slot = rule_eval_slot(context, RULE_EVAL_SLOT_FREEMAIL_BODY);
	struct arena *arena = rule_eval_arena(context);
	struct freemail_body *body = *slot;
	const struct uri_extract_uri *uris;
	const struct string_view *lines;
	const char **emails = NULL, *start, *stop, *p;
	size_t email_count = 0, capacity = 0, count, i, free_count = 0;
	size_t capacity_found = 0;

	if (body != NULL)
		return body;
	body = arena_new_type(arena, struct freemail_body);
	*slot = body;
	uris = rule_eval_uris(context, &count);
	for (i = 0; i < count && email_count < 20; i++) {
		const char *uri = uris[i].uri;
		if ((uris[i].flags & URI_EXTRACT_FROM_HTML) == 0 ||
		    (uris[i].flags & URI_EXTRACT_FROM_TEXT) != 0 ||
		    uris[i].tag == NULL || strcmp(uris[i].tag, "a") != 0 ||
		    strncasecmp(uri, "mailto:", 7) != 0)
			continue;
		if (email_find(uri + 7, uri + strlen(uri), &start,
		    &stop) && start == uri + 7)
			address_add(arena, &emails, &email_count, &capacity,
			    rule_eval_builtin_lowercase(arena, arena_strndup(
			    arena, start, (size_t)(stop - start))));
	}
	lines = rule_eval_body(context, &count);
	for (i = 0; i < count && email_count < 40; i++) {
		char *line = arena_strndup(arena, lines[i].data,
		    lines[i].length);
		char *end = line + lines[i].length;
		strip_links_with_at(line, &end);
		strip_quoted_addresses(line, &end);
		for (p = line; email_count < 40 &&
		    email_find(p, end, &start, &stop); p = stop)
			address_add(arena, &emails, &email_count, &capacity,
			    rule_eval_builtin_lowercase(arena, arena_strndup(
			    arena, start, (size_t)(stop - start))));
	}
	for (i = 0; i < email_count; i++) {
		if (i + 1 == 5) {
			/* freemail_max_body_emails */
			body->skip = true;
			return body;
		}
		if (!is_freemail(context, emails[i]))
			continue;
		if (++free_count == 3) {
			/* freemail_max_body_freemails */
			body->skip = true;
			return body;
		}
		address_add(arena, &body->emails, &body->count, &capacity_found,
		    emails[i]);
	}
	return body;
}

static const struct rule_regex *
optional_regex(const struct ruleset_rule *rule, size_t index, bool *bad_r)
{
	const char *pattern = rule_eval_builtin_argument(rule, index);
	const struct rule_regex *regex = NULL;

	*bad_r = false;
	if (pattern != NULL) {
		regex = rule_eval_builtin_regex(pattern, false);
		*bad_r = regex == NULL;
	}
	return regex;
}

static bool
regex_accepts(const struct rule_regex *regex, const char *text)
{
	return regex == NULL || rule_regex_match(regex, text, strlen(text));
}

/* check_freemail_from(REGEX): a sender address is freemail (and matches
 * REGEX). */
static unsigned
rule_eval_check_freemail_from(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct address_list *addresses;
	const struct rule_regex *regex;
	size_t i;
	bool bad;

	if (!freemail_available(context))
		return 0;
	regex = optional_regex(rule, 0, &bad);
	if (bad)
		return 0;
	addresses = all_from_addresses(context);
	for (i = 0; i < addresses->count; i++) {
		char *email = rule_eval_builtin_lowercase(
		    rule_eval_arena(context), addresses->items[i]);
		if (is_freemail(context, email) && regex_accepts(regex, email))
			return 1;
	}
	return 0;
}

/* check_freemail_header(HEADER, REGEX): an address in HEADER is
 * freemail (and matches REGEX). */
static unsigned
rule_eval_check_freemail_header(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *header = rule_eval_builtin_argument(rule, 0);
	const struct rule_regex *regex;
	const char **values;
	size_t count, i;
	bool bad;

	if (!freemail_available(context) || header == NULL)
		return 0;
	regex = optional_regex(rule, 1, &bad);
	if (bad)
		return 0;
	values = rule_eval_builtin_get_all(context, arena_printf(
	    rule_eval_arena(context), "%s:addr", header), &count);
	for (i = 0; i < count; i++) {
		char *email = rule_eval_builtin_lowercase(
		    rule_eval_arena(context), values[i]);
		if (is_freemail(context, email) && regex_accepts(regex, email))
			return 1;
	}
	return 0;
}

/* check_freemail_body(REGEX): a freemail address in the body. */
static unsigned
rule_eval_check_freemail_body(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct freemail_body *body;
	const struct rule_regex *regex;
	size_t i;
	bool bad;

	if (!freemail_available(context))
		return 0;
	body = freemail_body(context);
	if (body->skip)
		return 0;
	regex = optional_regex(rule, 0, &bad);
	if (bad)
		return 0;
	for (i = 0; i < body->count; i++)
		if (regex_accepts(regex, body->emails[i]))
			return 1;
	return 0;
}

/* check_freemail_replyto(replyto|reply): From and Reply-To are
 * different freemails, or the reply address and a body address are. */
static unsigned
rule_eval_check_freemail_replyto(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *what = rule_eval_builtin_argument(rule, 0);
	struct arena *arena = rule_eval_arena(context);
	const char **from, **reply_to, **reply, *envelope;
	const struct freemail_body *body;
	size_t from_count, reply_to_count, reply_count, i, j;
	size_t from_free = 0, reply_to_free = 0;
	bool from_not_in_reply_to = true;

	if (!freemail_available(context))
		return 0;
	if (what == NULL)
		what = "replyto";
	if (strcmp(what, "replyto") != 0 && strcmp(what, "reply") != 0)
		return 0;
	envelope = rule_eval_header(context, "EnvelopeFrom");
	if (envelope != NULL) {
		char *first = arena_strndup(arena, envelope,
		    strcspn(envelope, "\n"));
		if (matches_caseless("(?:^(?:post|host|domain)master|"
		    "^double-bounce|^(?:sentto|owner|return|"
		    "(?:gr)?bounced?)-.+|-(?:request|bounces?|admin|owner)|"
		    "\\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)\\@",
		    first))
			return 0;
	}
	from = rule_eval_builtin_get_all(context, "From:addr", &from_count);
	reply_to = rule_eval_builtin_get_all(context, "Reply-To:addr",
	    &reply_to_count);
	for (i = 0; i < from_count; i++) {
		from[i] = rule_eval_builtin_lowercase(arena, from[i]);
		if (is_freemail(context, from[i]))
			from_free++;
	}
	for (i = 0; i < reply_to_count; i++) {
		reply_to[i] = rule_eval_builtin_lowercase(arena, reply_to[i]);
		if (is_freemail(context, reply_to[i]))
			reply_to_free++;
	}
	for (i = 0; i < from_count; i++)
		for (j = 0; j < reply_to_count; j++)
			if (strcmp(from[i], reply_to[j]) == 0)
				from_not_in_reply_to = false;
	if (from_free > 0 && reply_to_free > 0 && from_not_in_reply_to)
		return 1;
	if (strcmp(what, "replyto") == 0) {
		if (reply_to_free == 0)
			return 0;
	} else if (reply_to_count > 0 && reply_to_free == 0) {
		return 0;
	} else if (from_free == 0) {
		return 0;
	}
	body = freemail_body(context);
	if (body->skip || body->count == 0)
		return 0;
	if (strcmp(what, "replyto") == 0 || reply_to_free > 0) {
		reply = reply_to;
		reply_count = reply_to_count;
	} else {
		reply = from;
		reply_count = from_count;
	}
	for (i = 0; i < body->count; i++)
		for (j = 0; j < reply_count; j++)
			if (strcmp(body->emails[i], reply[j]) != 0)
				return 1;
	return 0;
}

const struct ruleset_eval rule_eval_header_evals[] = {
	{ "check_equal_from_domains", rule_eval_check_equal_from_domains },
	{ "check_for_fake_aol_relay_in_rcvd",
	    rule_eval_check_for_fake_aol_relay_in_rcvd },
	{ "check_for_faraway_charset_in_headers",
	    rule_eval_check_for_faraway_charset_in_headers },
	{ "check_for_forged_eudoramail_received_headers",
	    rule_eval_check_for_forged_eudoramail_received_headers },
	{ "check_for_forged_gmail_received_headers",
	    rule_eval_check_for_forged_gmail_received_headers },
	{ "check_for_forged_gw05_received_headers",
	    rule_eval_check_for_forged_gw05_received_headers },
	{ "check_for_forged_hotmail_received_headers",
	    rule_eval_check_for_forged_hotmail_received_headers },
	{ "check_for_forged_juno_received_headers",
	    rule_eval_check_for_forged_juno_received_headers },
	{ "check_for_forged_yahoo_received_headers",
	    rule_eval_check_for_forged_yahoo_received_headers },
	{ "check_for_matching_env_and_hdr_from",
	    rule_eval_check_for_matching_env_and_hdr_from },
	{ "check_for_missing_to_header",
	    rule_eval_check_for_missing_to_header },
	{ "check_for_no_hotmail_received_headers",
	    rule_eval_check_for_no_hotmail_received_headers },
	{ "check_for_shifted_date", rule_eval_check_for_shifted_date },
	{ "check_for_to_in_subject", rule_eval_check_for_to_in_subject },
	{ "check_freemail_body", rule_eval_check_freemail_body },
	{ "check_freemail_from", rule_eval_check_freemail_from },
	{ "check_freemail_header", rule_eval_check_freemail_header },
	{ "check_freemail_replyto", rule_eval_check_freemail_replyto },
	{ "check_from_in_blacklist", rule_eval_check_from_in_blocklist },
	{ "check_from_in_blocklist", rule_eval_check_from_in_blocklist },
	{ "check_from_in_default_welcomelist",
	    rule_eval_check_from_in_default_welcomelist },
	{ "check_from_in_default_whitelist",
	    rule_eval_check_from_in_default_welcomelist },
	{ "check_from_in_list", rule_eval_check_from_in_list },
	{ "check_from_in_welcomelist", rule_eval_check_from_in_welcomelist },
	{ "check_from_in_whitelist", rule_eval_check_from_in_welcomelist },
	{ "check_illegal_chars", rule_eval_check_illegal_chars },
	{ "check_messageid_not_usable",
	    rule_eval_check_messageid_not_usable },
	{ "check_outlook_message_id", rule_eval_check_outlook_message_id },
	{ "check_ratware_envelope_from",
	    rule_eval_check_ratware_envelope_from },
	{ "check_ratware_name_id", rule_eval_check_ratware_name_id },
	{ "check_replyto_in_list", rule_eval_check_replyto_in_list },
	{ "check_subject_in_blacklist",
	    rule_eval_check_subject_in_blocklist },
	{ "check_subject_in_blocklist",
	    rule_eval_check_subject_in_blocklist },
	{ "check_subject_in_welcomelist",
	    rule_eval_check_subject_in_welcomelist },
	{ "check_subject_in_whitelist",
	    rule_eval_check_subject_in_welcomelist },
	{ "check_to_in_all_spam", rule_eval_check_to_in_all_spam },
	{ "check_to_in_blacklist", rule_eval_check_to_in_blocklist },
	{ "check_to_in_blocklist", rule_eval_check_to_in_blocklist },
	{ "check_to_in_list", rule_eval_check_to_in_list },
	{ "check_to_in_more_spam", rule_eval_check_to_in_more_spam },
	{ "check_to_in_welcomelist", rule_eval_check_to_in_welcomelist },
	{ "check_to_in_whitelist", rule_eval_check_to_in_welcomelist },
	{ "check_unresolved_template", rule_eval_check_unresolved_template },
	{ "gated_through_received_hdr_remover",
	    rule_eval_gated_through_received_hdr_remover },
	{ "similar_recipients", rule_eval_similar_recipients },
	{ "sorted_recipients", rule_eval_sorted_recipients },
};
const size_t rule_eval_header_eval_count =
    ARRAY_LENGTH(rule_eval_header_evals);
