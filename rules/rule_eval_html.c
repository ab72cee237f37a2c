/* rule_eval_html.c: SpamAssassin's HTMLEval tests (html_test,
 * html_range, html_eval, html_tag_exists, html_tag_balance,
 * html_image_only, html_image_ratio, html_text_match and _not_match,
 * html_title_subject_ratio, html_charset_faraway), HTTPSMismatch's
 * check_https_http_mismatch and URIEval's check_uri_truncated, over the
 * HTML.pm facts of every HTML part (rules/rule_html.h); as in the Perl,
 * a test hits when one part satisfies it. Also the link tests of
 * WLBLEval (check_uri_host_listed and the BLOCK / WELCOME lists). */
#include "rules/rule_eval_builtin.h"
#include "rules/rule_html.h"
#include "lib/uri_extract.h"

#include <ctype.h>

/* A comparison HTMLEval hands to Perl's eval ("!= 0", "< 512"): its
 * argument must be made of [<>=!+- 0-9]; we accept one operator and
 * an integer. Returns false when the expression is not of that form. */
static bool
html_compare(double value, const char *expression, bool *result_r)
{
	const char *p = expression;
	char operator[3] = { 0 };
	size_t n = 0;
	char *end;
	double number;

	for (; *p != '\0'; p++)
		if (strchr("<>=!-+ 0123456789", *p) == NULL)
			return false;
	p = expression;
	while (*p == ' ')
		p++;
	while (n < 2 && (*p == '<' || *p == '>' || *p == '=' || *p == '!'))
		operator[n++] = *p++;
	while (*p == ' ')
		p++;
	number = strtod(p, &end);
	if (end == p)
		return false;
	while (*end == ' ')
		end++;
	if (*end != '\0')
		return false;
	if (strcmp(operator, "==") == 0)
		*result_r = value == number;
	else if (strcmp(operator, "!=") == 0)
		*result_r = value != number;
	else if (strcmp(operator, "<") == 0)
		*result_r = value < number;
	else if (strcmp(operator, "<=") == 0)
		*result_r = value <= number;
	else if (strcmp(operator, ">") == 0)
		*result_r = value > number;
	else if (strcmp(operator, ">=") == 0)
		*result_r = value >= number;
	else
		return false;
	return true;
}

/* html_test(NAME): a part where HTML.pm's result NAME is true. */
static unsigned
rule_eval_html_test(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0);
	const struct rule_html *const *parts;
	size_t count, i;

	if (name == NULL)
		return 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (rule_html_test(parts[i], name))
			return 1;
	return 0;
}

/* html_eval(NAME, EXPR): "VALUE EXPR" holds for a part where NAME is
 * defined. */
static unsigned
rule_eval_html_eval(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0);
	const char *expression = rule_eval_builtin_argument(rule, 1);
	const struct rule_html *const *parts;
	size_t count, i;
	double value;
	bool result;

	if (name == NULL || expression == NULL)
		return 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (rule_html_value(parts[i], name, &value) &&
		    html_compare(value, expression, &result) && result)
			return 1;
	return 0;
}

/* html_range(NAME, MIN, MAX): MIN < value <= MAX for a part ("inf" or
 * no MAX: no upper bound). */
static unsigned
rule_eval_html_range(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0);
	const char *maximum = rule_eval_builtin_argument(rule, 2);
	double low = rule_eval_builtin_number(rule, 1, 0), high, value;
	const struct rule_html *const *parts;
	size_t count, i;

	if (name == NULL)
		return 0;
	high = maximum != NULL ? rule_eval_builtin_perl_number(maximum) : 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++) {
		if (!rule_html_value(parts[i], name, &value))
			continue;
		if (maximum == NULL || strcmp(maximum, "inf") == 0) {
			if (value > low)
				return 1;
		} else if (value > low && value <= high) {
			return 1;
		}
	}
	return 0;
}

/* html_tag_exists(TAG): a part that has seen the tag. */
static unsigned
rule_eval_html_tag_exists(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *tag = rule_eval_builtin_argument(rule, 0);
	const struct rule_html *const *parts;
	size_t count, i;

	if (tag == NULL)
		return 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (rule_html_inside(parts[i], tag, NULL))
			return 1;
	return 0;
}

/* html_tag_balance(TAG, EXPR): "COUNT EXPR" holds for the open count
 * of TAG (letters and digits only) in a part that has seen it. */
static unsigned
rule_eval_html_tag_balance(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *tag = rule_eval_builtin_argument(rule, 0);
	const char *expression = rule_eval_builtin_argument(rule, 1);
	const struct rule_html *const *parts;
	size_t count, i;
	const char *p;
	long open;
	bool result;

	if (tag == NULL || expression == NULL || *tag == '\0')
		return 0;
	for (p = tag; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (rule_html_inside(parts[i], tag, &open) &&
		    html_compare((double)open, expression, &result) && result)
			return 1;
	return 0;
}

/* html_image_only(MIN, MAX): a part with an <img> whose length in
 * characters is in (MIN, MAX]. */
static unsigned
rule_eval_html_image_only(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double low = rule_eval_builtin_number(rule, 0, 0);
	double high = rule_eval_builtin_number(rule, 1, 0);
	const struct rule_html *const *parts;
	size_t count, i;

	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if (rule_html_inside(parts[i], "img", NULL) &&
		    (double)parts[i]->length > low &&
		    (double)parts[i]->length <= high)
			return 1;
	return 0;
}

/* html_image_ratio(MIN, MAX): rendered non-space characters per pixel
 * of image area in (MIN, MAX]. */
static unsigned
rule_eval_html_image_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double low = rule_eval_builtin_number(rule, 0, 0);
	double high = rule_eval_builtin_number(rule, 1, 0), ratio;
	const struct rule_html *const *parts;
	size_t count, i;

	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++) {
		if (parts[i]->image_area <= 0)
			continue;
		ratio = (double)parts[i]->non_space_length /
		    parts[i]->image_area;
		if (ratio > low && ratio <= high)
			return 1;
	}
	return 0;
}

/* html_text_match(NAME, REGEX) and html_text_not_match: a string of
 * the list NAME (comment, anchor, title, script) that matches, or
 * does not match, REGEX. */
static unsigned
rule_eval_html_text_matching(struct rule_eval_context *context,
    const struct ruleset_rule *rule, bool want_match)
{
	const char *name = rule_eval_builtin_argument(rule, 0);
	const char *pattern = rule_eval_builtin_argument(rule, 1);
	const struct rule_html *const *parts;
	const struct string_view *strings;
	const struct rule_regex *regex;
	size_t count, i, n, j;

	if (name == NULL || pattern == NULL ||
	    (regex = rule_eval_builtin_regex(pattern, false)) == NULL)
		return 0;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++) {
		strings = rule_html_strings(rule_eval_arena(context), parts[i],
		    name, &n);
		for (j = 0; j < n; j++)
			if (rule_regex_match(regex, strings[j].data,
			    strings[j].length) == want_match)
				return 1;
	}
	return 0;
}

static unsigned
rule_eval_html_text_match(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	return rule_eval_html_text_matching(context, rule, true);
}

static unsigned
rule_eval_html_text_not_match(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	return rule_eval_html_text_matching(context, rule, false);
}

static size_t
utf8_characters(const char *p, size_t length)
{
	size_t count = 0, i;

	for (i = 0; i < length; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			count++;
	return count;
}

/* html_title_subject_ratio(RATIO): a part whose longest title is more
 * than RATIO times as long as the Subject (line end included, as
 * SpamAssassin counts it). */
static unsigned
rule_eval_html_title_subject_ratio(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	double limit = rule_eval_builtin_number(rule, 0, 0), best, ratio;
	const char *subject = rule_eval_builtin_get(context, "Subject");
	const struct rule_html *const *parts;
	size_t count, i, j, subject_length;

	if (*subject == '\0')
		return 0;
	subject_length = utf8_characters(subject, strlen(subject));
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++) {
		best = 0;
		for (j = 0; j < parts[i]->title_count; j++) {
			const struct string_view *title = &parts[i]->titles[j];
			/* Perl's truth: "" and "0" are false. */
			if (title->length == 0 || (title->length == 1 &&
			    title->data[0] == '0'))
				continue;
			ratio = (double)utf8_characters(title->data,
			    title->length) / (double)subject_length;
			if (ratio > best)
				best = ratio;
		}
		if (best > limit)
			return 1;
	}
	return 0;
}

/* html_charset_faraway(): meant to test the charsets of <meta> tags
 * against ok_locales, but HTML.pm never publishes the charsets it
 * collects, so in SpamAssassin 4 the test never hits; neither does
 * ours. */
static unsigned
rule_eval_html_charset_faraway(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)context;
	(void)rule;
	return 0;
}

static bool
is_ip_literal(const char *host)
{
	unsigned parts = 0, digits = 0;
	const char *p;

	if (strchr(host, ':') != NULL)
		return true;
	for (p = host; *p != '\0'; p++) {
		if (*p == '.') {
			if (digits == 0)
				return false;
			parts++;
			digits = 0;
		} else if (isdigit((unsigned char)*p) && digits < 3) {
			digits++;
		} else {
			return false;
		}
	}
	return parts == 3 && digits > 0;
}

/* RegistryBoundaries' trim_domain() and is_domain_valid(): the
 * registrable domain, and whether it has a dot and a known TLD. */
static const char *
trimmed_domain(struct arena *arena, const char *host)
{
	char *lower = rule_eval_builtin_lowercase(arena, host);
	struct string_view domain = uri_extract_registrable_domain(
	    string_view_from_cstring(lower));

	return arena_strndup(arena, domain.data, domain.length);
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

/* m@https?://([^/:?#]+)@i at the start (prefix) or anywhere, with the
 * host set characters of the Perl patterns. */
static const char *
http_host(struct arena *arena, const char *text, size_t length,
    bool anywhere, bool https_only, bool stop_at_space)
{
	size_t i, start, end;

	for (i = 0; i < length; i++) {
		size_t scheme = 0;
		if (length - i >= 8 &&
		    strncasecmp(text + i, "https://", 8) == 0)
			scheme = 8;
		else if (!https_only && length - i >= 7 &&
		    strncasecmp(text + i, "http://", 7) == 0)
			scheme = 7;
		if (scheme != 0) {
			start = end = i + scheme;
			while (end < length && strchr("/:?#", text[end]) ==
			    NULL && !(stop_at_space &&
			    isspace((unsigned char)text[end])))
				end++;
			if (end > start)
				return arena_strndup(arena, text + start,
				    end - start);
		}
		if (!anywhere)
			break;
	}
	return NULL;
}

/* check_https_http_mismatch(MIN, MAX): a link to one domain whose text
 * shows an https:// link to another, in a part with MIN <= links to
 * valid domains < MAX (links grouped by href, as SpamAssassin keys
 * them). */
static unsigned
rule_eval_check_https_http_mismatch(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	struct arena *arena = rule_eval_arena(context);
	double minimum = rule_eval_builtin_number(rule, 0, 0);
	bool bounded = !rule_eval_builtin_unbounded(rule, 1);
	double maximum = rule_eval_builtin_number(rule, 1, 0);
	const struct rule_html *const *parts;
	size_t count, i, j, k, anchors;
	bool hit;

	if (minimum == 0)
		minimum = 1;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++) {
		const struct rule_html *html = parts[i];
		hit = false;
		anchors = 0;
		for (j = 0; j < html->anchor_count; j++) {
			const struct rule_html_anchor *a = &html->anchors[j];
			const char *host, *domain;
			/* Each href once: its texts are all the links
			 * with that href. */
			for (k = 0; k < j; k++)
				if (string_view_equal(html->anchors[k].href,
				    a->href))
					break;
			if (k < j)
				continue;
			host = http_host(arena, a->href.data, a->href.length,
			    false, false, false);
			if (host == NULL || is_ip_literal(host))
				continue;
			domain = trimmed_domain(arena, host);
			if (!domain_valid(domain))
				continue;
			anchors++;
			for (k = j; k < html->anchor_count && !hit; k++) {
				const char *https;
				if (!string_view_equal(html->anchors[k].href,
				    a->href))
					continue;
				https = http_host(arena,
				    html->anchors[k].text.data,
				    html->anchors[k].text.length, true, true,
				    true);
				if (https == NULL)
					continue;
				if (!is_ip_literal(https)) {
					https = trimmed_domain(arena, https);
					if (!domain_valid(https))
						continue;
				}
				if (strcmp(domain, https) != 0)
					hit = true;
			}
		}
		if (hit && (double)anchors >= minimum &&
		    (!bounded || (double)anchors < maximum))
			return 1;
	}
	return 0;
}

/* check_uri_truncated(): a link longer than SpamAssassin keeps. */
static unsigned
rule_eval_check_uri_truncated(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const struct rule_html *const *parts;
	const struct uri_extract_uri *uris;
	size_t count, i;

	(void)rule;
	parts = rule_eval_html_parts(context, &count);
	for (i = 0; i < count; i++)
		if ((parts[i]->flags & RULE_HTML_URI_TRUNCATED) != 0)
			return 1;
	uris = rule_eval_uris(context, &count);
	for (i = 0; i < count; i++)
		if ((uris[i].flags & URI_EXTRACT_TRUNCATED) != 0 &&
		    strlen(uris[i].raw) >= URI_EXTRACT_DEFAULT_MAX_URI_LENGTH)
			return 1;
	return 0;
}

/* WLBLEval's _check_uri_host_listed() for one list: a link host (not
 * mailto:) whose most specific entry in the list (the host, then each
 * parent domain; an IP address only as it is) lists it. */
static bool
uri_host_listed(struct rule_eval_context *context, const char *name)
{
	const struct rule_file_uri_host_list *list =
	    rule_file_settings_uri_host_list(
	    ruleset_settings(rule_eval_ruleset(context)), name);
	const struct uri_extract_uri *uris;
	const char *key;
	size_t count, i, j, depth;
	char *inner = NULL;

	if (list == NULL || list->host_count == 0)
		return false;
	uris = rule_eval_uris(context, &count);
	for (i = 0; i < count; i++) {
		const char *host = uris[i].host;
		if (strcmp(uris[i].scheme, "mailto") == 0 || *host == '\0')
			continue;
		if (host[0] == '[') {
			inner = arena_strndup(rule_eval_arena(context),
			    host + 1, strcspn(host + 1, "]"));
			host = inner;
		}
		/* At most the last eleven names of a deep host. */
		for (key = host, depth = 0; strchr(key, '.') != NULL &&
		    !uris[i].host_is_ip; key = strchr(key, '.') + 1)
			depth++;
		for (key = host; depth > 10; key = strchr(key, '.') + 1)
			depth--;
		for (;;) {
			for (j = 0; j < list->host_count; j++)
				if (strcmp(list->hosts[j].host, key) == 0)
					break;
			if (j < list->host_count) {
				if (list->hosts[j].listed)
					return true;
				break;
			}
			if (uris[i].host_is_ip || strchr(key, '.') == NULL)
				break;
			key = strchr(key, '.') + 1;
		}
	}
	return false;
}

/* check_uri_host_listed(NAME) and the BLOCK / WELCOME lists. */
static unsigned
rule_eval_check_uri_host_listed(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	const char *name = rule_eval_builtin_argument(rule, 0);

	return name != NULL && uri_host_listed(context, name);
}

static unsigned
rule_eval_check_uri_host_in_blocklist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return uri_host_listed(context, "BLOCK");
}

static unsigned
rule_eval_check_uri_host_in_welcomelist(struct rule_eval_context *context,
    const struct ruleset_rule *rule)
{
	(void)rule;
	return uri_host_listed(context, "WELCOME");
}

const struct ruleset_eval rule_eval_html_evals[] = {
	{ "check_https_http_mismatch", rule_eval_check_https_http_mismatch },
	{ "check_uri_host_in_blacklist",
	    rule_eval_check_uri_host_in_blocklist },
	{ "check_uri_host_in_blocklist",
	    rule_eval_check_uri_host_in_blocklist },
	{ "check_uri_host_in_welcomelist",
	    rule_eval_check_uri_host_in_welcomelist },
	{ "check_uri_host_in_whitelist",
	    rule_eval_check_uri_host_in_welcomelist },
	{ "check_uri_host_listed", rule_eval_check_uri_host_listed },
	{ "check_uri_truncated", rule_eval_check_uri_truncated },
	{ "html_charset_faraway", rule_eval_html_charset_faraway },
	{ "html_eval", rule_eval_html_eval },
	{ "html_image_only", rule_eval_html_image_only },
	{ "html_image_ratio", rule_eval_html_image_ratio },
	{ "html_range", rule_eval_html_range },
	{ "html_tag_balance", rule_eval_html_tag_balance },
	{ "html_tag_exists", rule_eval_html_tag_exists },
	{ "html_test", rule_eval_html_test },
	{ "html_text_match", rule_eval_html_text_match },
	{ "html_text_not_match", rule_eval_html_text_not_match },
	{ "html_title_subject_ratio", rule_eval_html_title_subject_ratio },
};
const size_t rule_eval_html_eval_count = ARRAY_LENGTH(rule_eval_html_evals);
