/* rule_prefilter.c: the required literals of Perl regexes, and one
 * Aho-Corasick automaton that finds every rule's literals in one pass.
 *
 * DESIGN
 * Extraction parses the regex once, by recursive descent, and sums up
 * each piece by facts that hold for every string the piece matches:
 *   exact   the complete set of strings it matches, while that is small;
 *   prefix  a set of strings, one of which starts every match;
 *   suffix  the same for the end of every match;
 *   match   a set of strings, one of which occurs in every match.
 * Strings are ASCII-lowercased, and a set holding the empty string says
 * nothing. Concatenation crosses exact sets (colou?r gives color and
 * colour) and joins one piece's suffixes to the next one's prefixes;
 * alternation takes unions; a repetition keeps what one copy guarantees.
 * What the analysis does not follow (wide classes, \d, backreferences,
 * recursion, non-ASCII bytes, whose meaning depends on UTF mode) becomes
 * "anything", which claims nothing and so cannot be wrong; zero-width
 * items (anchors, \b, lookarounds, verbs) match exactly the empty
 * string. A rule's literals are its best "match" set: every member at
 * least RULE_PREFILTER_LITERAL_MIN bytes, preferring a longer shortest
 * member, then fewer members. Work is bounded by the bytes a scratch
 * arena may hand out per pattern.
 *
 * The automaton works on byte classes (the bytes some literal uses, A-Z
 * folded onto a-z, and one class for all other bytes). States are
 * numbered breadth first; the first ones, as many as the dense budget
 * allows and at least the start state, get a complete transition row
 * (failure links already applied), the rest keep only their trie edges
 * and a failure link. A scan over ordinary text spends nearly all its
 * time within two bytes of the start state, so it runs on the dense rows
 * and touches the sparse tail only inside near-matches; memory stays
 * linear in the total literal length (a 12-byte record plus 8 bytes per
 * edge for a sparse state, 4 bytes per class for a dense one) instead of
 * 1 KiB per state for a full 256-way table: the stock SpamAssassin set,
 * about 6000 literals and 54000 states, takes 2.4 MB. A transition target
 * carries a flag bit when the target or a state on its failure chain ends
 * a literal, so the scan loop tests one bit per byte and only then walks
 * the output links. */
#include "rules/rule_prefilter.h"

#include "lib/alloc.h"

/* Extraction limits. Exact, prefix and suffix sets hold at most SET_MAX
 * strings; match sets (large alternations of words) MATCH_MAX. A class
 * of at most CLASS_MAX characters (after folding) stays exact; counted
 * repetitions unroll at most REPEAT_MAX copies. */
#define SET_MAX 64
#define MATCH_MAX 512
#define CLASS_MAX 10
#define REPEAT_MAX 8
#define DEPTH_MAX 250
#define EXTRACT_WORK_MAX (32u * 1024 * 1024)

struct literal_set {
	size_t count;
	const struct string_view *items; /* sorted, unique */
};

struct regex_info {
	/* Only for ASCII subjects (extract.squeezed): nothing this
	 * part of the regex matches is pure ASCII, so it cannot match. */
	bool never;
	bool exact_known;
	struct literal_set exact;
	struct literal_set prefix, suffix, match; /* when !exact_known */
};

enum extract_status {
	EXTRACT_OK,
	EXTRACT_UNPARSEABLE,
	EXTRACT_TOO_BIG,
};

struct extract {
	struct arena *arena;
	const char *p, *end;
	unsigned depth;
	bool in_quote;		/* inside \Q...\E */
	bool newline_unusual;	/* a (*CR)-style verb changed comment ends */
	/* The subject is squeezed ASCII text (rule_prefilter_squeeze): no
	 * byte above 0x7f, so what needs one cannot match, and every byte
	 * but [A-Za-z0-9] removed, so what matches only such bytes matches
	 * the empty string. */
	bool squeezed;
	enum extract_status status;
};

struct extract_flags {
	bool extended;
};

enum cross_mode {
	CROSS_EXACT,	/* fail when a string grows past the cap */
	CROSS_PREFIX,	/* keep the first bytes */
	CROSS_SUFFIX,	/* keep the last bytes */
	CROSS_MATCH,	/* keep any substring: the first bytes */
};

static const struct string_view empty_view = { "", 0 };
static const struct literal_set trivial_set = { 1, &empty_view };

static struct regex_info parse_alternation(struct extract *x,
    struct extract_flags *flags);

static bool
extract_stopped(const struct extract *x)
{
	return x->status != EXTRACT_OK;
}

static void
extract_fail(struct extract *x)
{
	if (x->status == EXTRACT_OK)
		x->status = EXTRACT_UNPARSEABLE;
}

static void *
extract_alloc(struct extract *x, size_t count, size_t size)
{
	if (arena_used(x->arena) > EXTRACT_WORK_MAX &&
	    x->status == EXTRACT_OK)
		x->status = EXTRACT_TOO_BIG;
	return arena_array(x->arena, count == 0 ? 1 : count, size);
}

/* Literal sets. */

static int
view_compare(const void *a, const void *b)
{
	const struct string_view *va = a, *vb = b;
	size_t n = MIN(va->length, vb->length);
	int c = n == 0 ? 0 : memcmp(va->data, vb->data, n);

	if (c != 0)
		return c;
	return va->length < vb->length ? -1 : va->length > vb->length;
}

static size_t
views_sort_unique(struct string_view *items, size_t count)
{
	size_t i, kept = 0;

	qsort(items, count, sizeof(*items), view_compare);
	for (i = 0; i < count; i++) {
		if (kept > 0 && view_compare(&items[kept - 1], &items[i]) == 0)
			continue;
		items[kept++] = items[i];
	}
	return kept;
}

/* True when the set says nothing: it holds the empty string. */
static bool
set_trivial(const struct literal_set *set)
{
	return set->count == 0 || set->items[0].length == 0;
}

static struct literal_set
set_single(struct extract *x, unsigned char c)
{
	struct string_view *item = extract_alloc(x, 1, sizeof(*item));
	char *data = extract_alloc(x, 1, 1);

	data[0] = (char)string_ascii_lower(c);
	*item = string_view_make(data, 1);
	return (struct literal_set){ 1, item };
}

/* Union of a and b into *set_r; false when it has more than max members.
 * For sets other than exact ones, a trivial side makes the union
 * trivial. */
static bool
set_union(struct extract *x, const struct literal_set *a,
    const struct literal_set *b, size_t max, bool exact,
    struct literal_set *set_r)
{
	struct string_view *items;
	size_t count;

	if (!exact && (set_trivial(a) || set_trivial(b))) {
		*set_r = trivial_set;
		return true;
	}
	if (a->count + b->count > 2 * max)
		return false;
	items = extract_alloc(x, a->count + b->count, sizeof(*items));
	memcpy(items, a->items, a->count * sizeof(*items));
	memcpy(items + a->count, b->items, b->count * sizeof(*items));
	count = views_sort_unique(items, a->count + b->count);
	if (count > max)
		return false;
	*set_r = (struct literal_set){ count, items };
	return true;
}

/* Every string of a followed by every string of b, into *set_r. False
 * when there would be more than max strings, or, for CROSS_EXACT, when a
 * string would be longer than RULE_PREFILTER_LITERAL_MAX; the other
 * modes cut long strings to a part that stays valid for their meaning. */
static bool
set_cross(struct extract *x, const struct literal_set *a,
    const struct literal_set *b, size_t max, enum cross_mode mode,
    struct literal_set *set_r)
{
	struct string_view *items;
	size_t i, j, n = 0, total, skip;
	char *data, *joined;

	if (a->count * b->count > max)
		return false;
	items = extract_alloc(x, a->count * b->count, sizeof(*items));
	for (i = 0; i < a->count; i++) {
		for (j = 0; j < b->count; j++) {
			total = a->items[i].length + b->items[j].length;
			if (total > RULE_PREFILTER_LITERAL_MAX &&
			    mode == CROSS_EXACT)
				return false;
			joined = extract_alloc(x, total, 1);
			if (a->items[i].length > 0)
				memcpy(joined, a->items[i].data,
				    a->items[i].length);
			if (b->items[j].length > 0)
				memcpy(joined + a->items[i].length,
				    b->items[j].data, b->items[j].length);
			skip = 0;
			if (total > RULE_PREFILTER_LITERAL_MAX) {
				if (mode == CROSS_SUFFIX)
					skip = total -
					    RULE_PREFILTER_LITERAL_MAX;
				total = RULE_PREFILTER_LITERAL_MAX;
			}
			data = joined + skip;
			items[n++] = string_view_make(data, total);
		}
	}
	n = views_sort_unique(items, n);
	*set_r = (struct literal_set){ n, items };
	return true;
}

/* How good a set is as a filter: 0 for trivial; otherwise a longer
 * shortest member wins up to 8 bytes (rare enough in any message), then
 * fewer members, then the longer shortest member. */
static uint32_t
set_score(const struct literal_set *set)
{
	size_t i, shortest = SIZE_MAX;

	if (set_trivial(set))
		return 0;
	for (i = 0; i < set->count; i++)
		shortest = MIN(shortest, set->items[i].length);
	return (uint32_t)MIN(shortest, 8) << 20 |
	    (uint32_t)(1023 - MIN(set->count, 1023)) << 10 |
	    (uint32_t)MIN(shortest, 1023);
}

static struct literal_set
set_best(struct literal_set a, struct literal_set b)
{
	return set_score(&b) > set_score(&a) ? b : a;
}

/* Regex facts. */

static struct regex_info
info_any(void)
{
	struct regex_info r;

	r.never = false;
	r.exact_known = false;
	r.exact = trivial_set;
	r.prefix = r.suffix = r.match = trivial_set;
	return r;
}

static struct regex_info
info_exact(struct literal_set set)
{
	struct regex_info r = info_any();

	r.exact_known = true;
	r.exact = set;
	return r;
}

/* Matches nothing (ASCII subjects only). */
static struct regex_info
info_never(void)
{
	struct regex_info r = info_any();

	r.never = true;
	return r;
}

/* Matches exactly the empty string: zero-width items. */
static struct regex_info
info_empty(void)
{
	return info_exact(trivial_set);
}

static const struct literal_set *
info_prefix(const struct regex_info *info)
{
	return info->exact_known ? &info->exact : &info->prefix;
}

static const struct literal_set *
info_suffix(const struct regex_info *info)
{
	return info->exact_known ? &info->exact : &info->suffix;
}

static const struct literal_set *
info_match(const struct regex_info *info)
{
	return info->exact_known ? &info->exact : &info->match;
}

/* Makes match the best of the three inexact facts (each is one). */
static void
info_finish(struct regex_info *r)
{
	r->match = set_best(set_best(r->match, r->prefix), r->suffix);
}

static struct regex_info
info_concat(struct extract *x, const struct regex_info *a,
    const struct regex_info *b)
{
	struct regex_info r = info_any();
	struct literal_set joined;

	if (a->never || b->never)
		return info_never();
	if (a->exact_known && b->exact_known &&
	    set_cross(x, &a->exact, &b->exact, SET_MAX, CROSS_EXACT, &joined))
		return info_exact(joined);
	if (a->exact_known) {
		/* Every match starts with a whole match of a. */
		if (!set_cross(x, &a->exact, info_prefix(b), SET_MAX,
		    CROSS_PREFIX, &r.prefix))
			r.prefix = a->exact;
	} else
		r.prefix = a->prefix;
	if (b->exact_known) {
		if (!set_cross(x, info_suffix(a), &b->exact, SET_MAX,
		    CROSS_SUFFIX, &r.suffix))
			r.suffix = b->exact;
	} else
		r.suffix = b->suffix;
	r.match = set_best(*info_match(a), *info_match(b));
	if (set_cross(x, info_suffix(a), info_prefix(b), MATCH_MAX,
	    CROSS_MATCH, &joined))
		r.match = set_best(r.match, joined);
	info_finish(&r);
	return r;
}

static struct regex_info
info_alternate(struct extract *x, const struct regex_info *a,
    const struct regex_info *b)
{
	struct regex_info r = info_any();
	struct literal_set joined;

	/* A branch that cannot match adds nothing. */
	if (a->never)
		return *b;
	if (b->never)
		return *a;
	if (a->exact_known && b->exact_known &&
	    set_union(x, &a->exact, &b->exact, SET_MAX, true, &joined))
		return info_exact(joined);
	if (!set_union(x, info_prefix(a), info_prefix(b), SET_MAX, false,
	    &r.prefix))
		r.prefix = trivial_set;
	if (!set_union(x, info_suffix(a), info_suffix(b), SET_MAX, false,
	    &r.suffix))
		r.suffix = trivial_set;
	if (!set_union(x, info_match(a), info_match(b), MATCH_MAX, false,
	    &r.match))
		r.match = trivial_set;
	info_finish(&r);
	return r;
}

/* a{1,}: starts with, ends with and contains a whole match of a. */
static struct regex_info
info_plus(const struct regex_info *a)
{
	struct regex_info r = info_any();

	r.prefix = *info_prefix(a);
	r.suffix = *info_suffix(a);
	r.match = *info_match(a);
	info_finish(&r);
	return r;
}

/* a{min,max}; max < 0 means unbounded. */
static struct regex_info
info_repeat(struct extract *x, const struct regex_info *a, long min,
    long max)
{
	struct regex_info r, optional;
	long i, copies;

	if (max == 0)
		return info_empty();
	if (a->never)
		return min == 0 ? info_empty() : info_never();
	/* Repeating what matches only the empty string (squeezed junk
	 * such as [_\W]{0,3}) still matches only that. */
	if (a->exact_known && a->exact.count == 1 &&
	    a->exact.items[0].length == 0)
		return info_empty();
	/* A small bounded repeat of a known set ("(?:[sz]|...){1,2}"):
	 * the union of its powers, while that stays small. */
	if (a->exact_known && max > 1 && max <= REPEAT_MAX) {
		struct regex_info power = *a, sum = min <= 1 ? *a : info_never();
		bool exact = true;

		for (i = 2; i <= max && exact && !extract_stopped(x); i++) {
			power = info_concat(x, &power, a);
			if (!power.exact_known)
				exact = false;
			else if (i >= min)
				sum = info_alternate(x, &sum, &power);
			if (!sum.never && !sum.exact_known)
				exact = false;
		}
		if (exact && min == 0)
			sum = info_alternate(x, &sum, &(struct regex_info){
			    .exact_known = true, .exact = trivial_set });
		if (exact && sum.exact_known)
			return sum;
	}
	if (min == 0) {
		if (max != 1 || !a->exact_known)
			return info_any();
		optional = info_any();
		if (set_union(x, &a->exact, &trivial_set, SET_MAX, true,
		    &optional.exact))
			optional.exact_known = true;
		return optional;
	}
	if (min == max && min <= REPEAT_MAX) {
		r = *a;
		for (i = 1; i < min && !extract_stopped(x); i++)
			r = info_concat(x, &r, a);
		return r;
	}
	/* a^(min-1) followed by a{1,max-min+1}; fewer leading copies only
	 * weaken the facts. */
	copies = MIN(min - 1, REPEAT_MAX - 1);
	r = info_plus(a);
	for (i = 0; i < copies && !extract_stopped(x); i++)
		r = info_concat(x, a, &r);
	return r;
}

/* Parsing. */

static bool
at(const struct extract *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* What squeezing keeps (rule_prefilter_squeeze). */
static bool
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int
hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Skips to just past the next `close`; fails when there is none. */
static void
skip_past(struct extract *x, char close)
{
	const char *found = memchr(x->p, close, (size_t)(x->end - x->p));

	if (found == NULL) {
		extract_fail(x);
		x->p = x->end;
		return;
	}
	x->p = found + 1;
}

/* Skips what the regex engine ignores here: /x white space and comments,
 * (?#...) comments, a lone \E and an empty \Q\E, and ends a \Q quote at
 * its \E. */
static void
skip_ignorable(struct extract *x, const struct extract_flags *flags)
{
	for (;;) {
		if (x->in_quote) {
			if (!at(x, "\\E"))
				return;
			x->in_quote = false;
			x->p += 2;
			continue;
		}
		if (x->p >= x->end)
			return;
		if (flags->extended && strchr(" \t\n\v\f\r", *x->p) != NULL &&
		    *x->p != '\0') {
			x->p++;
			continue;
		}
		if (flags->extended && *x->p == '#') {
			/* With a (*CR)-style newline convention a comment
			 * ends elsewhere; do not guess. */
			if (x->newline_unusual) {
				extract_fail(x);
				return;
			}
			while (x->p < x->end && *x->p != '\n')
				x->p++;
			continue;
		}
		if (at(x, "(?#")) {
			skip_past(x, ')');
			if (extract_stopped(x))
				return;
			continue;
		}
		if (at(x, "\\E")) {
			x->p += 2;
			continue;
		}
		if (at(x, "\\Q\\E")) {
			x->p += 4;
			continue;
		}
		return;
	}
}

/* Reads up to max_digits digits of base (8 or 16) into *value_r. */
static size_t
read_number(struct extract *x, int base, size_t max_digits,
    unsigned long *value_r)
{
	size_t n = 0;
	int v;

	*value_r = 0;
	while (n < max_digits && x->p < x->end) {
		v = base == 16 ? hex_value(*x->p) :
		    (*x->p >= '0' && *x->p <= '7' ? *x->p - '0' : -1);
		if (v < 0)
			break;
		*value_r = *value_r * (unsigned long)base + (unsigned long)v;
		x->p++;
		n++;
	}
	return n;
}

/* \x.., \o{..} or the octal digits after \0: reads the value after the
 * escape letter. Returns false after failing on a malformed form. */
static bool
read_braced_or_plain(struct extract *x, int base, size_t plain_digits,
    unsigned long *value_r)
{
	if (x->p < x->end && *x->p == '{') {
		x->p++;
		if (read_number(x, base, 8, value_r) == 0 ||
		    x->p >= x->end || *x->p != '}') {
			extract_fail(x);
			return false;
		}
		x->p++;
		return true;
	}
	if (base == 8 && plain_digits == 0) {
		/* \o without braces is an error. */
		extract_fail(x);
		return false;
	}
	read_number(x, base, plain_digits, value_r);
	return true;
}

enum escape_kind {
	ESCAPE_CHAR,		/* a literal character, *value_r */
	ESCAPE_ANY,		/* a character set or something unknown */
	ESCAPE_NONWORD,		/* a set of characters none of [A-Za-z0-9] */
	ESCAPE_EMPTY,		/* zero-width */
	ESCAPE_QUOTE,		/* \Q */
	ESCAPE_FAILED,
};

/* Skips a name after \g, \k, \N or \p: {...}, <...>, '...' or, with
 * digits_ok, an optionally signed number. */
static void
skip_reference(struct extract *x, bool digits_ok)
{
	if (x->p >= x->end) {
		extract_fail(x);
		return;
	}
	switch (*x->p) {
	case '{':
		x->p++;
		skip_past(x, '}');
		return;
	case '<':
		x->p++;
		skip_past(x, '>');
		return;
	case '\'':
		x->p++;
		skip_past(x, '\'');
		return;
	}
	if (!digits_ok) {
		extract_fail(x);
		return;
	}
	if (*x->p == '+' || *x->p == '-')
		x->p++;
	if (x->p >= x->end || !is_digit(*x->p)) {
		extract_fail(x);
		return;
	}
	while (x->p < x->end && is_digit(*x->p))
		x->p++;
}

/* Parses the escape whose backslash x->p has just passed. in_class
 * selects the meaning inside [...]. */
static enum escape_kind
parse_escape(struct extract *x, bool in_class, unsigned long *value_r)
{
	int c;

	if (x->p >= x->end) {
		extract_fail(x);
		return ESCAPE_FAILED;
	}
	c = (unsigned char)*x->p++;
	*value_r = (unsigned long)c;
	switch (c) {
	case 'a':
		*value_r = 7;
		return ESCAPE_CHAR;
	case 'e':
		*value_r = 27;
		return ESCAPE_CHAR;
	case 'f':
		*value_r = 12;
		return ESCAPE_CHAR;
	case 'n':
		*value_r = 10;
		return ESCAPE_CHAR;
	case 'r':
		*value_r = 13;
		return ESCAPE_CHAR;
	case 't':
		*value_r = 9;
		return ESCAPE_CHAR;
	case 'b':
		if (in_class) {
			*value_r = 8;
			return ESCAPE_CHAR;
		}
		return ESCAPE_EMPTY;
	case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		if (in_class)
			break;
		return ESCAPE_EMPTY;
	case '0':
		read_number(x, 8, 2, value_r);
		return ESCAPE_CHAR;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
	case '8': case '9':
		/* A backreference or an octal escape, by rules that depend
		 * on the group count; "anything" fits both however many
		 * digits it swallows. */
		while (x->p < x->end && is_digit(*x->p))
			x->p++;
		return ESCAPE_ANY;
	case 'o':
		if (!read_braced_or_plain(x, 8, 0, value_r))
			return ESCAPE_FAILED;
		return ESCAPE_CHAR;
	case 'x':
		if (!read_braced_or_plain(x, 16, 2, value_r))
			return ESCAPE_FAILED;
		return ESCAPE_CHAR;
	case 'c':
		if (x->p >= x->end || (unsigned char)*x->p < 0x20 ||
		    (unsigned char)*x->p > 0x7e) {
			extract_fail(x);
			return ESCAPE_FAILED;
		}
		c = (unsigned char)*x->p++;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		*value_r = (unsigned long)(c ^ 0x40);
		return ESCAPE_CHAR;
	case 'W': case 's': case 'h': case 'v':
		return ESCAPE_NONWORD;
	case 'd': case 'D': case 'w': case 'S': case 'H': case 'V':
		return ESCAPE_ANY;
	case 'p': case 'P':
		if (x->p < x->end && *x->p == '{')
			skip_reference(x, false);
		else if (x->p < x->end)
			x->p++;
		else
			extract_fail(x);
		return extract_stopped(x) ? ESCAPE_FAILED : ESCAPE_ANY;
	case 'R': case 'X': case 'C':
		if (in_class)
			break;
		return ESCAPE_ANY;
	case 'N':
		if (in_class)
			break;
		if (x->p < x->end && *x->p == '{')
			skip_reference(x, false);
		return extract_stopped(x) ? ESCAPE_FAILED : ESCAPE_ANY;
	case 'g':
	case 'k':
		if (in_class)
			break;
		skip_reference(x, c == 'g');
		return extract_stopped(x) ? ESCAPE_FAILED : ESCAPE_ANY;
	case 'Q':
		return ESCAPE_QUOTE;
	default:
		if (!is_alpha(c))
			return ESCAPE_CHAR;
		break;
	}
	/* Unknown letter escapes are errors in PCRE2 (and Perl's \U, \L
	 * are string operations we do not model). */
	extract_fail(x);
	return ESCAPE_FAILED;
}

/* A single character atom: exact for ASCII, "anything" for other bytes,
 * whose meaning (one byte or part of a UTF-8 character that a quantifier
 * repeats whole) depends on the matching mode. */
static struct regex_info
info_char(struct extract *x, unsigned long value)
{
	if (value >= 0x80)
		return x->squeezed ? info_never() : info_any();
	if (x->squeezed && !is_alnum((int)value))
		return info_empty();
	return info_exact(set_single(x, (unsigned char)value));
}

/* Within a class: adds one member, or notes a member we do not model. */
struct class_members {
	bool bytes[128];
	bool wide;
	bool squeezed;	/* a member squeezing removes (extract.squeezed) */
};

/* Reads one class member at x->p into *value_r; false when it is a set
 * (or something we treat as one) rather than a character. */
static bool
parse_class_member(struct extract *x, struct class_members *members,
    unsigned long *value_r)
{
	enum escape_kind kind;

	if (*x->p != '\\') {
		*value_r = (unsigned char)*x->p++;
		return true;
	}
	x->p++;
	kind = parse_escape(x, true, value_r);
	switch (kind) {
	case ESCAPE_CHAR:
		return true;
	case ESCAPE_QUOTE:
		/* Quoting inside a class moves where the class ends and
		 * what a range means in ways engines differ on: refused. */
		extract_fail(x);
		return false;
	case ESCAPE_NONWORD:
		if (x->squeezed) {
			members->squeezed = true;
			*value_r = ~0ul;
			return false;
		}
		/* FALLTHROUGH */
	default:
		members->wide = true;
		*value_r = ~0ul;
		return false;
	}
}

/* Adds byte c (below 0x80) to a class; squeezed, a byte squeezing
 * removes only notes that the class may match nothing at all. */
static void
class_add(const struct extract *x, struct class_members *members,
    unsigned long c)
{
	if (x->squeezed && !is_alnum((int)c))
		members->squeezed = true;
	else
		members->bytes[string_ascii_lower((int)c)] = true;
}

/* Parses [...] after its '['. */
static struct regex_info
parse_class(struct extract *x, const struct extract_flags *flags)
{
	struct class_members members;
	struct literal_set set;
	struct string_view *items;
	unsigned long low, high, c;
	bool negated = false, first = true, have_low;
	size_t count = 0;
	char *data;

	memset(&members, 0, sizeof(members));
	if (x->p < x->end && *x->p == '^') {
		negated = true;
		x->p++;
	}
	for (;;) {
		if (x->p >= x->end || at(x, "\\E")) {
			extract_fail(x);
			return info_any();
		}
		if (*x->p == ']' && !first) {
			x->p++;
			break;
		}
		first = false;
		if (flags->extended &&
		    (*x->p == ' ' || *x->p == '\t')) {
			/* Ignored under (?xx), literal under (?x): either
			 * way the class no longer needs modelling. */
			members.wide = true;
			x->p++;
			continue;
		}
		if (*x->p == '[' && x->p + 1 < x->end &&
		    strchr(":.=", x->p[1]) != NULL) {
			/* Accept only a well-formed [:name:] (a set); any
			 * near miss is parsed differently by different
			 * engines, so refuse it. */
			const char *q = x->p + 2;

			if (x->p[1] != ':') {
				extract_fail(x);
				return info_any();
			}
			if (q < x->end && *q == '^')
				q++;
			while (q < x->end && *q >= 'a' && *q <= 'z')
				q++;
			if (x->end - q < 2 || q[0] != ':' || q[1] != ']') {
				extract_fail(x);
				return info_any();
			}
			if (x->squeezed && x->p[2] != '^' &&
			    (at(x, "[:punct:]") || at(x, "[:space:]") ||
			    at(x, "[:blank:]") || at(x, "[:cntrl:]")))
				members.squeezed = true;
			else
				members.wide = true;
			x->p = q + 2;
			continue;
		}
		have_low = parse_class_member(x, &members, &low);
		if (extract_stopped(x))
			return info_any();
		/* A range needs a '-' not followed by the closing ']'. */
		if (x->end - x->p >= 2 && x->p[0] == '-' && x->p[1] != ']') {
			x->p++;
			if (x->p >= x->end || at(x, "\\E") || at(x, "[:") ||
			    at(x, "[.") || at(x, "[=")) {
				extract_fail(x);
				return info_any();
			}
			if (!parse_class_member(x, &members, &high) ||
			    !have_low) {
				if (extract_stopped(x))
					return info_any();
				members.wide = true;
				continue;
			}
			if (high < low) {
				extract_fail(x);
				return info_any();
			}
			if (x->squeezed && low >= 0x80)
				continue;
			if (x->squeezed && high >= 0x80)
				high = 0x7f;
			if (high >= 0x80 || high - low >= 128) {
				members.wide = true;
				continue;
			}
			for (c = low; c <= high; c++)
				class_add(x, &members, c);
			continue;
		}
		if (!have_low)
			continue;
		if (low >= 0x80 && x->squeezed)
			continue;
		if (low >= 0x80)
			members.wide = true;
		else
			class_add(x, &members, low);
	}
	if (negated || members.wide)
		return info_any();
	for (c = 0; c < 128; c++)
		count += members.bytes[c];
	if (count == 0 && members.squeezed)
		return info_empty();
	if (count == 0 && x->squeezed)
		return info_never(); /* only bytes above 0x7f */
	if (count == 0 || count > CLASS_MAX)
		return info_any();
	/* A member squeezing removes makes the empty string one of the
	 * class's matches (it sorts first). */
	items = extract_alloc(x, count + 1, sizeof(*items));
	data = extract_alloc(x, count, 1);
	count = 0;
	if (members.squeezed)
		items[count++] = empty_view;
	for (c = 0; c < 128; c++) {
		if (!members.bytes[c])
			continue;
		*data = (char)c;
		items[count++] = string_view_make(data++, 1);
	}
	set = (struct literal_set){ count, items };
	return info_exact(set);
}

/* Parses option letters after "(?" up to ')' or ':' into flags. */
static void
parse_option_letters(struct extract *x, struct extract_flags *flags)
{
	bool off = false;

	if (x->p < x->end && *x->p == '^') {
		flags->extended = false;
		x->p++;
	}
	while (x->p < x->end && *x->p != ')' && *x->p != ':') {
		switch (*x->p) {
		case '-':
			if (off) {
				extract_fail(x);
				return;
			}
			off = true;
			break;
		case 'x':
			flags->extended = !off;
			break;
		case 'i': case 'm': case 'n': case 's': case 'J': case 'U':
			break;
		default:
			extract_fail(x);
			return;
		}
		x->p++;
	}
	if (x->p >= x->end)
		extract_fail(x);
}

/* Parses a group's alternatives and its ')' with its own copy of flags. */
static struct regex_info
parse_group_body(struct extract *x, const struct extract_flags *flags)
{
	struct extract_flags inner = *flags;
	struct regex_info r;

	if (++x->depth > DEPTH_MAX) {
		extract_fail(x);
		return info_any();
	}
	r = parse_alternation(x, &inner);
	x->depth--;
	if (extract_stopped(x))
		return info_any();
	if (x->p >= x->end || *x->p != ')') {
		extract_fail(x);
		return info_any();
	}
	x->p++;
	return r;
}

/* (*VERB) or (*VERB:NAME) after "(*": zero-width, except (*ACCEPT),
 * which ends a match early, and the lowercase alpha assertions. */
static void
parse_verb(struct extract *x)
{
	const char *name = x->p;
	size_t length;

	while (x->p < x->end && ((*x->p >= 'A' && *x->p <= 'Z') ||
	    is_digit(*x->p) || *x->p == '_' || *x->p == '='))
		x->p++;
	length = (size_t)(x->p - name);
	if (x->p >= x->end || (*x->p != ')' && *x->p != ':') ||
	    (length == 6 && memcmp(name, "ACCEPT", 6) == 0)) {
		extract_fail(x);
		return;
	}
	skip_past(x, ')');
}

/* (?C...) after "(?C": a callout, zero-width. */
static void
parse_callout(struct extract *x)
{
	char open, close;

	if (x->p < x->end && strchr("`'\"^%#${", *x->p) != NULL &&
	    *x->p != '\0') {
		open = *x->p++;
		close = open == '{' ? '}' : open;
		for (;;) {
			skip_past(x, close);
			if (extract_stopped(x))
				return;
			/* A doubled delimiter stands for itself. */
			if (x->p < x->end && *x->p == close && open != '{') {
				x->p++;
				continue;
			}
			break;
		}
	} else {
		while (x->p < x->end && is_digit(*x->p))
			x->p++;
	}
	if (x->p >= x->end || *x->p != ')') {
		extract_fail(x);
		return;
	}
	x->p++;
}

/* (?(condition)yes|no) after "(?(": matches either branch. */
static struct regex_info
parse_conditional(struct extract *x, const struct extract_flags *flags)
{
	if (x->p < x->end && *x->p == '?') {
		/* An assertion condition: parse it as the group it is. */
		x->p--;
		if (!at(x, "(?=") && !at(x, "(?!") && !at(x, "(?<=") &&
		    !at(x, "(?<!")) {
			extract_fail(x);
			return info_any();
		}
		x->p += at(x, "(?<") ? 4 : 3;
		(void)parse_group_body(x, flags);
	} else {
		while (x->p < x->end && *x->p != ')' &&
		    (is_alpha(*x->p) || is_digit(*x->p) ||
		    strchr("_&<>'+-", *x->p) != NULL))
			x->p++;
		if (x->p >= x->end || *x->p != ')') {
			extract_fail(x);
			return info_any();
		}
		x->p++;
	}
	(void)parse_group_body(x, flags);
	return info_any();
}

/* Parses a group after its '('. Sets *is_atom_r to false for an option
 * setting such as (?i), which changes flags and matches nothing. */
static struct regex_info
parse_group(struct extract *x, struct extract_flags *flags, bool *is_atom_r)
{
	struct extract_flags scoped;
	char c;

	*is_atom_r = true;
	if (x->p < x->end && *x->p == '*') {
		x->p++;
		parse_verb(x);
		return info_empty();
	}
	if (x->p >= x->end || *x->p != '?')
		return parse_group_body(x, flags);
	x->p++;
	if (x->p >= x->end) {
		extract_fail(x);
		return info_any();
	}
	c = *x->p++;
	switch (c) {
	case ':': case '|': case '>':
		return parse_group_body(x, flags);
	case '=': case '!': case '*':
		(void)parse_group_body(x, flags);
		return info_empty();
	case '<':
		if (x->p < x->end && (*x->p == '=' || *x->p == '!')) {
			x->p++;
			(void)parse_group_body(x, flags);
			return info_empty();
		}
		skip_past(x, '>');
		return parse_group_body(x, flags);
	case '\'':
		skip_past(x, '\'');
		return parse_group_body(x, flags);
	case 'P':
		if (x->p < x->end && *x->p == '<') {
			x->p++;
			skip_past(x, '>');
			return parse_group_body(x, flags);
		}
		if (x->p < x->end && (*x->p == '=' || *x->p == '>')) {
			skip_past(x, ')');
			return info_any();
		}
		extract_fail(x);
		return info_any();
	case 'R': case '&': case '+': case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (c == '-' && (x->p >= x->end || !is_digit(*x->p)))
			break;
		/* Recursion or a subroutine call: matches whatever the
		 * called group matches. */
		skip_past(x, ')');
		return info_any();
	case '(':
		return parse_conditional(x, flags);
	case 'C':
		parse_callout(x);
		return info_empty();
	}
	x->p--;
	if (strchr("^imnsxJU-", *x->p) == NULL || *x->p == '\0') {
		/* (?{code}), (??{code}) and the like. */
		extract_fail(x);
		return info_any();
	}
	scoped = *flags;
	parse_option_letters(x, &scoped);
	if (extract_stopped(x))
		return info_any();
	if (*x->p == ')') {
		x->p++;
		*flags = scoped;
		*is_atom_r = false;
		return info_empty();
	}
	x->p++;
	return parse_group_body(x, &scoped);
}

/* Parses one atom. Returns false when it was no atom (an option setting
 * or the start of a \Q quote). */
static bool
parse_atom(struct extract *x, struct extract_flags *flags,
    struct regex_info *atom_r)
{
	unsigned long value;
	unsigned char c;
	bool is_atom;

	if (x->in_quote) {
		*atom_r = info_char(x, (unsigned char)*x->p++);
		return true;
	}
	c = (unsigned char)*x->p++;
	switch (c) {
	case '(':
		*atom_r = parse_group(x, flags, &is_atom);
		return is_atom;
	case '[':
		*atom_r = parse_class(x, flags);
		return true;
	case '.':
		*atom_r = info_any();
		return true;
	case '^': case '$':
		*atom_r = info_empty();
		return true;
	case '*': case '+': case '?':
		/* A quantifier with nothing to repeat. */
		extract_fail(x);
		return false;
	case '\\':
		switch (parse_escape(x, false, &value)) {
		case ESCAPE_CHAR:
			*atom_r = info_char(x, value);
			return true;
		case ESCAPE_ANY:
			*atom_r = info_any();
			return true;
		case ESCAPE_NONWORD:
			*atom_r = x->squeezed ? info_empty() : info_any();
			return true;
		case ESCAPE_EMPTY:
			*atom_r = info_empty();
			return true;
		case ESCAPE_QUOTE:
			x->in_quote = true;
			return false;
		case ESCAPE_FAILED:
			return false;
		}
		return false;
	}
	if (c >= 0x80 && flags->extended) {
		/* Some non-ASCII characters are /x white space, so a
		 * quantifier after them may belong to the atom before. */
		extract_fail(x);
		return false;
	}
	*atom_r = info_char(x, c);
	return true;
}

enum quantifier_kind {
	QUANTIFIER_NONE,
	QUANTIFIER_RANGE,
	QUANTIFIER_UNCLEAR,
};

/* Reads a quantifier at x->p. A brace holding only digits, commas and
 * blanks that is not strictly {n}, {n,} or {n,m} (such as {,3} or
 * { 2 }) is a quantifier in newer engines and literal text in older
 * ones: QUANTIFIER_UNCLEAR, after which the atom may be anything. */
static enum quantifier_kind
parse_quantifier(struct extract *x, long *min_r, long *max_r)
{
	const char *q;
	unsigned long n, m;
	bool have_comma = false, strict;
	size_t digits_n, digits_m = 0;

	if (x->p >= x->end)
		return QUANTIFIER_NONE;
	switch (*x->p) {
	case '*':
		*min_r = 0;
		*max_r = -1;
		x->p++;
		break;
	case '+':
		*min_r = 1;
		*max_r = -1;
		x->p++;
		break;
	case '?':
		*min_r = 0;
		*max_r = 1;
		x->p++;
		break;
	case '{':
		for (q = x->p + 1; q < x->end && *q != '}'; q++)
			if (!is_digit(*q) && *q != ',' && *q != ' ' &&
			    *q != '\t')
				return QUANTIFIER_NONE;
		if (q >= x->end)
			return QUANTIFIER_NONE;
		q = x->p + 1;
		n = m = 0;
		for (digits_n = 0; is_digit(*q); q++, digits_n++)
			n = n < 100000 ? n * 10 + (unsigned long)(*q - '0') : n;
		if (*q == ',') {
			have_comma = true;
			for (q++; is_digit(*q); q++, digits_m++)
				m = m < 100000 ?
				    m * 10 + (unsigned long)(*q - '0') : m;
		}
		strict = *q == '}' && digits_n > 0 && n <= 65535 &&
		    m <= 65535;
		x->p = memchr(x->p, '}', (size_t)(x->end - x->p));
		x->p++;
		if (!strict)
			return QUANTIFIER_UNCLEAR;
		*min_r = (long)n;
		*max_r = !have_comma ? (long)n : digits_m == 0 ? -1 : (long)m;
		if (*max_r >= 0 && *max_r < *min_r) {
			extract_fail(x);
			return QUANTIFIER_NONE;
		}
		break;
	default:
		return QUANTIFIER_NONE;
	}
	/* Lazy and possessive forms match a subset. */
	if (x->p < x->end && (*x->p == '?' || *x->p == '+'))
		x->p++;
	return QUANTIFIER_RANGE;
}

static struct regex_info
parse_sequence(struct extract *x, struct extract_flags *flags)
{
	struct regex_info r = info_empty(), atom;
	enum quantifier_kind kind;
	long min, max;

	for (;;) {
		skip_ignorable(x, flags);
		if (extract_stopped(x) || x->p >= x->end)
			break;
		if (!x->in_quote && (*x->p == '|' || *x->p == ')'))
			break;
		if (!x->in_quote && *x->p == '{') {
			/* A brace that could be a quantifier has nothing to
			 * repeat here. */
			const char *start = x->p;

			if (parse_quantifier(x, &min, &max) !=
			    QUANTIFIER_NONE) {
				extract_fail(x);
				break;
			}
			x->p = start;
		}
		if (!parse_atom(x, flags, &atom))
			continue;
		for (;;) {
			skip_ignorable(x, flags);
			if (extract_stopped(x) || x->in_quote)
				break;
			kind = parse_quantifier(x, &min, &max);
			if (kind == QUANTIFIER_NONE)
				break;
			if (kind == QUANTIFIER_UNCLEAR)
				atom = info_any();
			else
				atom = info_repeat(x, &atom, min, max);
		}
		if (extract_stopped(x))
			break;
		r = info_concat(x, &r, &atom);
	}
	return r;
}

static struct regex_info
parse_alternation(struct extract *x, struct extract_flags *flags)
{
	struct regex_info r, branch;

	r = parse_sequence(x, flags);
	while (!extract_stopped(x) && x->p < x->end && *x->p == '|') {
		x->p++;
		branch = parse_sequence(x, flags);
		r = info_alternate(x, &r, &branch);
	}
	return r;
}

/* Notes leading (*CR)-style verbs, which move where /x comments end. */
static bool
pattern_newline_unusual(const char *pattern)
{
	static const char *const verbs[] = { "(*CR)", "(*CRLF)",
		"(*ANYCRLF)", "(*ANY)", "(*NUL)" };
	const char *p = pattern;
	size_t i;

	while (strncmp(p, "(*", 2) == 0) {
		for (i = 0; i < ARRAY_LENGTH(verbs); i++)
			if (strncmp(p, verbs[i], strlen(verbs[i])) == 0)
				return true;
		p = strchr(p, ')');
		if (p == NULL)
			return false;
		p++;
	}
	return false;
}

/* Orders pointers to members by the members' first
 * RULE_PREFILTER_LITERAL_MIN bytes. */
static int
views_by_prefix(const void *a, const void *b)
{
	return memcmp((*(struct string_view *const *)a)->data,
	    (*(struct string_view *const *)b)->data,
	    RULE_PREFILTER_LITERAL_MIN);
}

/* Drops members that contain another member (implied by it). Members
 * are unique and at least RULE_PREFILTER_LITERAL_MIN bytes long, so a
 * contained member starts with the bytes found at some offset of the
 * container: look those up among the members sorted by prefix instead
 * of comparing every pair (sets of a few thousand members are common
 * in the stock rules). */
static size_t
views_drop_superstrings(struct arena *arena, struct string_view *items,
    size_t count)
{
	bool *drop = arena_array(arena, count, sizeof(bool));
	struct string_view **order = arena_array(arena, count,
	    sizeof(*order));
	const struct string_view *member;
	size_t i, at, low, high, middle, kept = 0;
	const char *probe;

	for (i = 0; i < count; i++)
		order[i] = &items[i];
	qsort(order, count, sizeof(*order), views_by_prefix);
	for (i = 0; i < count; i++) {
		for (at = 0; !drop[i] &&
		    at + RULE_PREFILTER_LITERAL_MIN <= items[i].length; at++) {
			probe = items[i].data + at;
			low = 0;
			high = count;
			while (low < high) {
				middle = low + (high - low) / 2;
				if (memcmp(order[middle]->data, probe,
				    RULE_PREFILTER_LITERAL_MIN) < 0)
					low = middle + 1;
				else
					high = middle;
			}
			for (; low < count && memcmp(order[low]->data,
			    probe, RULE_PREFILTER_LITERAL_MIN) == 0; low++) {
				member = order[low];
				if (member->length < items[i].length &&
				    member->length <= items[i].length - at &&
				    memcmp(member->data, probe,
				    member->length) == 0) {
					drop[i] = true;
					break;
				}
			}
		}
	}
	for (i = 0; i < count; i++)
		if (!drop[i])
			items[kept++] = items[i];
	return kept;
}

static int
extract(struct arena *arena, const char *pattern, const char *flags,
    bool squeezed, struct string_view **literals_r, size_t *count_r)
{
	struct extract x;
	struct extract_flags top = { false };
	struct regex_info info;
	struct literal_set best;
	struct string_view *items;
	size_t i, length, count, shortest = SIZE_MAX;
	char *data;

	*literals_r = NULL;
	*count_r = 0;
	length = strnlen(pattern, RULE_PREFILTER_PATTERN_MAX + 1);
	if (length > RULE_PREFILTER_PATTERN_MAX)
		return -1;
	for (; flags != NULL && *flags != '\0'; flags++) {
		if (*flags == 'x')
			top.extended = true;
		else if (strchr("imsngoualdpc", *flags) == NULL)
			return -1;
	}
	memset(&x, 0, sizeof(x));
	x.arena = arena_new("rule prefilter extract", 16384);
	x.p = pattern;
	x.end = pattern + length;
	x.newline_unusual = pattern_newline_unusual(pattern);
	x.squeezed = squeezed;
	info = parse_alternation(&x, &top);
	if (x.status == EXTRACT_OK && x.p != x.end)
		x.status = EXTRACT_UNPARSEABLE;	/* an unmatched ')' */
	if (x.status != EXTRACT_OK) {
		arena_free(&x.arena);
		return x.status == EXTRACT_TOO_BIG ? 0 : -1;
	}
	if (info.never) {
		arena_free(&x.arena);
		return 1; /* no literal needed: nothing can match */
	}
	best = *info_match(&info);
	for (i = 0; i < best.count; i++)
		shortest = MIN(shortest, best.items[i].length);
	if (set_trivial(&best) || shortest < RULE_PREFILTER_LITERAL_MIN) {
		arena_free(&x.arena);
		return 0;
	}
	items = arena_array(arena, best.count, sizeof(*items));
	memcpy(items, best.items, best.count * sizeof(*items));
	count = views_drop_superstrings(x.arena, items, best.count);
	for (i = 0; i < count; i++) {
		data = arena_alloc(arena, items[i].length + 1);
		memcpy(data, items[i].data, items[i].length);
		items[i].data = data;
	}
	arena_free(&x.arena);
	*literals_r = items;
	*count_r = count;
	return 1;
}

int
rule_prefilter_extract(struct arena *arena, const char *pattern,
    const char *flags, struct string_view **literals_r, size_t *count_r)
{
	return extract(arena, pattern, flags, false, literals_r, count_r);
}

int
rule_prefilter_extract_squeezed(struct arena *arena, const char *pattern,
    const char *flags, struct string_view **literals_r, size_t *count_r)
{
	return extract(arena, pattern, flags, true, literals_r, count_r);
}

bool
rule_prefilter_squeeze(const unsigned char *text, size_t length,
    unsigned char *out, size_t *length_r)
{
	size_t i, n = 0;

	for (i = 0; i < length; i++) {
		if (text[i] >= 0x80)
			return false;
		if (is_alnum(text[i]))
			out[n++] = text[i];
	}
	*length_r = n;
	return true;
}

/* The automaton. */

#define OUTPUT_FLAG 0x80000000u
#define STATE_MASK 0x7fffffffu
#define CLASS_SPECIAL 0xff
#define NO_NODE UINT32_MAX

struct pending_literal {
	size_t offset;
	uint32_t length;
	uint32_t rule_id;
};

struct rule_prefilter_builder {
	unsigned char *bytes;
	size_t bytes_length, bytes_capacity;
	struct pending_literal *literals;
	size_t literal_count, literal_capacity;
	uint64_t *registered, *always;
	size_t words;
	size_t dense_budget;
};

struct rule_prefilter {
	uint8_t byte_class[256];
	uint8_t class_k, class_s;
	uint32_t classes;
	uint32_t longest;		/* longest literal, in bytes */
	uint32_t states, dense_states;
	/* Transitions hold "codes": a dense state's row offset (state *
	 * classes, saving a multiply per byte), or dense_total plus the
	 * offset of a sparse state's record; OUTPUT_FLAG on top. A record
	 * is { state, failure code, edge count, (class, code) per edge },
	 * so following a sparse state touches one or two cache lines. */
	uint32_t dense_total;		/* dense_states * classes */
	uint32_t *dense;
	uint32_t *sparse;
	size_t sparse_length;
	uint32_t *output_start;		/* states + 1 */
	uint32_t *output_rules;
	uint32_t *output_link;		/* 0: none (the start state) */
	uint64_t *always;
	size_t words;
	size_t rules, always_rules, literals, memory_bytes;
};

struct rule_prefilter_builder *
rule_prefilter_builder_new(void)
{
	struct rule_prefilter_builder *builder = alloc_new(
	    struct rule_prefilter_builder);

	builder->dense_budget = RULE_PREFILTER_DENSE_BUDGET_DEFAULT;
	return builder;
}

void
rule_prefilter_builder_free(struct rule_prefilter_builder **builder_p)
{
	struct rule_prefilter_builder *builder = *builder_p;

	if (builder == NULL)
		return;
	free(builder->bytes);
	free(builder->literals);
	free(builder->registered);
	free(builder->always);
	alloc_free(builder_p);
}

void
rule_prefilter_builder_set_dense_budget(
    struct rule_prefilter_builder *builder, size_t bytes)
{
	builder->dense_budget = bytes;
}

static void
builder_register(struct rule_prefilter_builder *builder, unsigned rule_id)
{
	size_t words;

	ASSERT(rule_id <= RULE_PREFILTER_RULE_ID_MAX);
	if (rule_id / 64 >= builder->words) {
		words = MAX(builder->words * 2, rule_id / 64 + 1);
		builder->registered = alloc_resize(builder->registered, words,
		    sizeof(uint64_t));
		builder->always = alloc_resize(builder->always, words,
		    sizeof(uint64_t));
		memset(builder->registered + builder->words, 0,
		    (words - builder->words) * sizeof(uint64_t));
		memset(builder->always + builder->words, 0,
		    (words - builder->words) * sizeof(uint64_t));
		builder->words = words;
	}
	builder->registered[rule_id / 64] |= 1ull << (rule_id % 64);
}

void
rule_prefilter_add_always(struct rule_prefilter_builder *builder,
    unsigned rule_id)
{
	builder_register(builder, rule_id);
	builder->always[rule_id / 64] |= 1ull << (rule_id % 64);
}

int
rule_prefilter_add_literal(struct rule_prefilter_builder *builder,
    unsigned rule_id, const void *literal, size_t length)
{
	const unsigned char *bytes = literal;
	struct pending_literal *pending;
	size_t i;

	if (length == 0 || length > RULE_PREFILTER_LITERAL_MAX) {
		rule_prefilter_add_always(builder, rule_id);
		return 0;
	}
	for (i = 0; i < length; i++) {
		if (bytes[i] >= 0x80) {
			rule_prefilter_add_always(builder, rule_id);
			return 0;
		}
	}
	builder_register(builder, rule_id);
	if (builder->bytes_length + length > builder->bytes_capacity) {
		builder->bytes_capacity = MAX(builder->bytes_capacity * 2,
		    builder->bytes_length + length + 4096);
		builder->bytes = alloc_resize(builder->bytes,
		    builder->bytes_capacity, 1);
	}
	for (i = 0; i < length; i++)
		builder->bytes[builder->bytes_length + i] =
		    (unsigned char)string_ascii_lower(bytes[i]);
	if (builder->literal_count == builder->literal_capacity) {
		builder->literal_capacity = MAX(builder->literal_capacity * 2,
		    256);
		builder->literals = alloc_resize(builder->literals,
		    builder->literal_capacity, sizeof(*builder->literals));
	}
	pending = &builder->literals[builder->literal_count++];
	pending->offset = builder->bytes_length;
	pending->length = (uint32_t)length;
	pending->rule_id = rule_id;
	builder->bytes_length += length;
	return 1;
}

int
rule_prefilter_add_regex(struct rule_prefilter_builder *builder,
    unsigned rule_id, const char *pattern, const char *flags)
{
	struct arena *arena;
	struct string_view *literals;
	size_t i, count;
	int ret;

	arena = arena_new("rule prefilter literals", 0);
	ret = rule_prefilter_extract(arena, pattern, flags, &literals,
	    &count);
	if (ret <= 0)
		rule_prefilter_add_always(builder, rule_id);
	for (i = 0; i < count; i++) {
		/* Extraction only yields ASCII literals within the cap. */
		ASSERT(rule_prefilter_add_literal(builder, rule_id,
		    literals[i].data, literals[i].length) == 1);
	}
	arena_free(&arena);
	return ret;
}

/* The trie the builder grows before numbering states breadth first. */
struct trie {
	uint32_t *first_child, *next_sibling, *output_head;
	uint8_t *symbol;
	uint32_t count, capacity;
	uint32_t *output_rule, *output_next;	/* rule-id lists */
	uint32_t output_count, output_capacity;
	uint32_t root_child[256];
};

static uint32_t
trie_add_node(struct trie *trie, uint8_t symbol)
{
	uint32_t n;

	if (trie->count == trie->capacity) {
		trie->capacity = MAX(trie->capacity * 2, 1024);
		trie->first_child = alloc_resize(trie->first_child,
		    trie->capacity, sizeof(uint32_t));
		trie->next_sibling = alloc_resize(trie->next_sibling,
		    trie->capacity, sizeof(uint32_t));
		trie->output_head = alloc_resize(trie->output_head,
		    trie->capacity, sizeof(uint32_t));
		trie->symbol = alloc_resize(trie->symbol, trie->capacity, 1);
	}
	ASSERT(trie->count < STATE_MASK);
	n = trie->count++;
	trie->first_child[n] = NO_NODE;
	trie->next_sibling[n] = NO_NODE;
	trie->output_head[n] = NO_NODE;
	trie->symbol[n] = symbol;
	return n;
}

static uint32_t
trie_child(const struct trie *trie, uint32_t node, uint8_t symbol)
{
	uint32_t child;

	if (node == 0)
		return trie->root_child[symbol];
	for (child = trie->first_child[node]; child != NO_NODE;
	    child = trie->next_sibling[child])
		if (trie->symbol[child] == symbol)
			return child;
	return NO_NODE;
}

static void
trie_add_output(struct trie *trie, uint32_t node, uint32_t rule_id)
{
	uint32_t k;

	for (k = trie->output_head[node]; k != NO_NODE;
	    k = trie->output_next[k])
		if (trie->output_rule[k] == rule_id)
			return;
	if (trie->output_count == trie->output_capacity) {
		trie->output_capacity = MAX(trie->output_capacity * 2, 1024);
		trie->output_rule = alloc_resize(trie->output_rule,
		    trie->output_capacity, sizeof(uint32_t));
		trie->output_next = alloc_resize(trie->output_next,
		    trie->output_capacity, sizeof(uint32_t));
	}
	k = trie->output_count++;
	trie->output_rule[k] = rule_id;
	trie->output_next[k] = trie->output_head[node];
	trie->output_head[node] = k;
}

static void
trie_free(struct trie *trie)
{
	free(trie->first_child);
	free(trie->next_sibling);
	free(trie->output_head);
	free(trie->symbol);
	free(trie->output_rule);
	free(trie->output_next);
}

static int
rule_id_compare(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
code_state(const struct rule_prefilter *pf, uint32_t code)
{
	if (code < pf->dense_total)
		return code / pf->classes;
	return pf->sparse[code - pf->dense_total];
}

/* Numbers the trie breadth first and fills the prefilter's tables. */
static void
prefilter_fill(struct rule_prefilter *pf, struct trie *trie,
    size_t dense_budget)
{
	uint32_t *order, *state_of, *fail_node, *fail, *link, *code;
	uint32_t head, tail, node, child, f, s, t, c, k, outputs;
	uint32_t *record;
	size_t offset;
	bool *has_output;
	size_t row_bytes;

	pf->states = trie->count;
	order = alloc_array(trie->count, sizeof(uint32_t));
	state_of = alloc_array(trie->count, sizeof(uint32_t));
	fail_node = alloc_array(trie->count, sizeof(uint32_t));
	/* Breadth-first order; a node's failure link is a shorter
	 * string, so it is always numbered earlier. */
	head = tail = 0;
	order[tail++] = 0;
	fail_node[0] = 0;
	while (head < tail) {
		node = order[head];
		state_of[node] = head;
		head++;
		for (c = 0; c < pf->classes; c++) {
			child = trie_child(trie, node, (uint8_t)c);
			if (child == NO_NODE)
				continue;
			order[tail++] = child;
			if (node == 0) {
				fail_node[child] = 0;
				continue;
			}
			f = fail_node[node];
			while (f != 0 && trie_child(trie, f, (uint8_t)c) ==
			    NO_NODE)
				f = fail_node[f];
			t = trie_child(trie, f, (uint8_t)c);
			fail_node[child] = t == NO_NODE ? 0 : t;
		}
	}
	ASSERT(tail == trie->count);

	fail = alloc_array(pf->states, sizeof(uint32_t));
	link = alloc_array(pf->states, sizeof(uint32_t));
	has_output = alloc_array(pf->states, sizeof(bool));
	pf->output_start = alloc_array((size_t)pf->states + 1,
	    sizeof(uint32_t));
	pf->output_rules = alloc_array(MAX(trie->output_count, 1),
	    sizeof(uint32_t));
	outputs = 0;
	for (s = 0; s < pf->states; s++) {
		node = order[s];
		fail[s] = state_of[fail_node[node]];
		pf->output_start[s] = outputs;
		for (k = trie->output_head[node]; k != NO_NODE;
		    k = trie->output_next[k])
			pf->output_rules[outputs++] = trie->output_rule[k];
		qsort(pf->output_rules + pf->output_start[s],
		    outputs - pf->output_start[s], sizeof(uint32_t),
		    rule_id_compare);
		/* The nearest shorter literal end on the failure chain;
		 * fail[s] < s is final already. */
		if (s == 0)
			link[s] = 0;
		else if (pf->output_start[fail[s] + 1] >
		    pf->output_start[fail[s]])
			link[s] = fail[s];
		else
			link[s] = link[fail[s]];
		has_output[s] = outputs > pf->output_start[s] || link[s] != 0;
	}
	pf->output_start[pf->states] = outputs;
	pf->literals = outputs;
	pf->output_link = link;

	/* Codes: row offsets for the dense states, record offsets after
	 * them for the sparse ones. */
	row_bytes = (size_t)pf->classes * sizeof(uint32_t);
	pf->dense_states = (uint32_t)MIN((size_t)pf->states,
	    MAX(MIN(dense_budget, (size_t)1 << 30) / row_bytes, 1));
	pf->dense_total = pf->dense_states * pf->classes;
	code = alloc_array(pf->states, sizeof(uint32_t));
	offset = 0;
	for (s = 0; s < pf->states; s++) {
		if (s < pf->dense_states) {
			code[s] = s * pf->classes;
			continue;
		}
		ASSERT(pf->dense_total + offset < STATE_MASK);
		code[s] = pf->dense_total + (uint32_t)offset;
		offset += 3;
		for (child = trie->first_child[order[s]]; child != NO_NODE;
		    child = trie->next_sibling[child])
			offset += 2;
	}
	ASSERT(pf->dense_total + offset < STATE_MASK);
	for (s = 0; s < pf->states; s++)
		code[s] |= has_output[s] ? OUTPUT_FLAG : 0;

	pf->dense = alloc_array(pf->dense_total, sizeof(uint32_t));
	for (s = 0; s < pf->dense_states; s++) {
		node = order[s];
		for (c = 0; c < pf->classes; c++) {
			child = c == 0 ? NO_NODE :
			    trie_child(trie, node, (uint8_t)c);
			if (child != NO_NODE)
				t = code[state_of[child]];
			else if (s == 0)
				t = 0;
			else
				t = pf->dense[(size_t)fail[s] * pf->classes +
				    c];
			pf->dense[(size_t)s * pf->classes + c] = t;
		}
	}
	pf->sparse_length = offset;
	pf->sparse = alloc_array(MAX(offset, 1), sizeof(uint32_t));
	for (s = pf->dense_states; s < pf->states; s++) {
		record = pf->sparse + ((code[s] & STATE_MASK) -
		    pf->dense_total);
		record[0] = s;
		record[1] = code[fail[s]] & STATE_MASK;
		record[2] = 0;
		for (child = trie->first_child[order[s]]; child != NO_NODE;
		    child = trie->next_sibling[child]) {
			record[3 + 2 * record[2]] = trie->symbol[child];
			record[4 + 2 * record[2]] = code[state_of[child]];
			record[2]++;
		}
	}
	pf->memory_bytes = sizeof(*pf) + (size_t)pf->dense_total * 4 +
	    pf->sparse_length * 4 + ((size_t)pf->states * 2 + 1) * 4 +
	    (size_t)outputs * 4 + pf->words * 8;
	free(order);
	free(state_of);
	free(fail_node);
	free(fail);
	free(code);
	free(has_output);
}

struct rule_prefilter *
rule_prefilter_build(struct rule_prefilter_builder **builder_p)
{
	struct rule_prefilter_builder *builder = *builder_p;
	struct rule_prefilter *pf = alloc_new(struct rule_prefilter);
	struct pending_literal *literal;
	struct trie trie;
	bool used[256];
	uint32_t node, child, c;
	size_t i, j;

	/* Byte classes: 0 for bytes no literal uses. */
	memset(used, 0, sizeof(used));
	for (i = 0; i < builder->bytes_length; i++)
		used[builder->bytes[i]] = true;
	pf->classes = 1;
	for (c = 0; c < 256; c++)
		if (used[c])
			pf->byte_class[c] = (uint8_t)pf->classes++;
	for (c = 'A'; c <= 'Z'; c++)
		pf->byte_class[c] = pf->byte_class[c + ('a' - 'A')];
	pf->class_k = pf->byte_class['k'];
	pf->class_s = pf->byte_class['s'];
	/* Lead bytes of U+212A KELVIN SIGN and U+017F LATIN SMALL LETTER
	 * LONG S, which caseless UTF matching equates with k and s. */
	pf->byte_class[0xe2] = CLASS_SPECIAL;
	pf->byte_class[0xc5] = CLASS_SPECIAL;

	memset(&trie, 0, sizeof(trie));
	memset(trie.root_child, 0xff, sizeof(trie.root_child));
	(void)trie_add_node(&trie, 0);
	for (i = 0; i < builder->literal_count; i++) {
		literal = &builder->literals[i];
		node = 0;
		for (j = 0; j < literal->length; j++) {
			c = pf->byte_class[builder->bytes[literal->offset + j]];
			child = trie_child(&trie, node, (uint8_t)c);
			if (child == NO_NODE) {
				child = trie_add_node(&trie, (uint8_t)c);
				if (node == 0)
					trie.root_child[c] = child;
				else {
					trie.next_sibling[child] =
					    trie.first_child[node];
					trie.first_child[node] = child;
				}
			}
			node = child;
		}
		trie_add_output(&trie, node, literal->rule_id);
		pf->longest = MAX(pf->longest, literal->length);
	}

	pf->words = MAX(builder->words, 1);
	pf->always = alloc_array(pf->words, sizeof(uint64_t));
	for (i = 0; i < builder->words; i++) {
		pf->always[i] = builder->always[i];
		pf->rules += (size_t)__builtin_popcountll(
		    builder->registered[i]);
		pf->always_rules += (size_t)__builtin_popcountll(
		    builder->always[i]);
	}
	/* Trim the bitset to the largest registered id. */
	while (pf->words > 1 && (builder->words < pf->words ||
	    builder->registered[pf->words - 1] == 0))
		pf->words--;
	prefilter_fill(pf, &trie, builder->dense_budget);
	trie_free(&trie);
	rule_prefilter_builder_free(builder_p);
	return pf;
}

void
rule_prefilter_free(struct rule_prefilter **prefilter_p)
{
	struct rule_prefilter *pf = *prefilter_p;

	if (pf == NULL)
		return;
	free(pf->dense);
	free(pf->sparse);
	free(pf->output_start);
	free(pf->output_rules);
	free(pf->output_link);
	free(pf->always);
	alloc_free(prefilter_p);
}

size_t
rule_prefilter_bitset_words(const struct rule_prefilter *prefilter)
{
	return prefilter->words;
}

void
rule_prefilter_reset(const struct rule_prefilter *prefilter,
    uint64_t *candidate_bits)
{
	memcpy(candidate_bits, prefilter->always,
	    prefilter->words * sizeof(uint64_t));
}

bool
rule_prefilter_always(const struct rule_prefilter *prefilter,
    unsigned rule_id)
{
	if (rule_id / 64 >= prefilter->words)
		return false;
	return rule_prefilter_candidate(prefilter->always, rule_id);
}

void
rule_prefilter_get_stats(const struct rule_prefilter *prefilter,
    struct rule_prefilter_stats *stats_r)
{
	memset(stats_r, 0, sizeof(*stats_r));
	stats_r->rules = prefilter->rules;
	stats_r->always_rules = prefilter->always_rules;
	stats_r->literals = prefilter->literals;
	stats_r->states = prefilter->states;
	stats_r->dense_states = prefilter->dense_states;
	stats_r->symbol_classes = prefilter->classes;
	stats_r->memory_bytes = prefilter->memory_bytes;
}

/* The transition from a sparse state (by code): its own edges, else its
 * failure link's, until a dense row answers. */
static uint32_t
sparse_next(const struct rule_prefilter *pf, uint32_t code, unsigned cls)
{
	const uint32_t *record;
	uint32_t i;

	if (cls == 0)
		return 0;
	while (code >= pf->dense_total) {
		record = pf->sparse + (code - pf->dense_total);
		for (i = 0; i < record[2]; i++)
			if (record[3 + 2 * i] == cls)
				return record[4 + 2 * i];
		code = record[1];
	}
	return pf->dense[code + cls];
}

/* Marks the rules of every literal ending at state. */
static void
report(const struct rule_prefilter *pf, uint32_t state,
    uint64_t *candidate_bits)
{
	uint32_t k, rule_id;

	do {
		for (k = pf->output_start[state];
		    k < pf->output_start[state + 1]; k++) {
			rule_id = pf->output_rules[k];
			candidate_bits[rule_id / 64] |= 1ull << (rule_id % 64);
		}
		state = pf->output_link[state];
	} while (state != 0);
}

/* One byte of one scan stream: returns the next state code and marks
 * the rules of literals ending there. The two non-ASCII sequences that
 * caseless UTF matching folds to k and s are read as those letters;
 * they may run past a stream's end, never past the text. */
static inline uint32_t
scan_step(const struct rule_prefilter *pf, uint32_t code,
    const unsigned char *text, size_t length, size_t *position,
    uint64_t *candidate_bits)
{
	size_t i = *position;
	uint32_t next;
	unsigned cls;

	cls = pf->byte_class[text[i++]];
	if (unlikely(cls == CLASS_SPECIAL)) {
		if (text[i - 1] == 0xe2 && length - i >= 2 &&
		    text[i] == 0x84 && text[i + 1] == 0xaa) {
			cls = pf->class_k;
			i += 2;
		} else if (text[i - 1] == 0xc5 && i < length &&
		    text[i] == 0xbf) {
			cls = pf->class_s;
			i++;
		} else
			cls = 0;
	}
	*position = i;
	if (likely(code < pf->dense_total))
		next = pf->dense[code + cls];
	else
		next = sparse_next(pf, code, cls);
	if (unlikely(next & OUTPUT_FLAG))
		report(pf, code_state(pf, next & STATE_MASK), candidate_bits);
	return next & STATE_MASK;
}

/* Texts shorter than this are scanned as one stream. */
#define SCAN_SPLIT_MIN 2048

/* DESIGN: each byte's table load depends on the previous one, so one
 * stream runs at memory latency. A long text is cut into four streams,
 * each started SCAN_STREAMS overlap bytes early (three per literal byte:
 * the longest a literal can be when spelled with the 3-byte Kelvin
 * sign), and scanned in lock step so their loads overlap. Every
 * occurrence lies wholly inside some stream; one found twice only sets
 * its bits twice. */
void
rule_prefilter_scan(const struct rule_prefilter *prefilter,
    const unsigned char *text, size_t length, uint64_t *candidate_bits)
{
	const struct rule_prefilter *pf = prefilter;
	size_t overlap = 3 * (size_t)pf->longest, quarter, p0, p1, p2, p3;
	size_t e0, e1, e2;
	uint32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;

	if (length < SCAN_SPLIT_MIN || length / 4 <= overlap) {
		p0 = 0;
		while (p0 < length)
			c0 = scan_step(pf, c0, text, length, &p0,
			    candidate_bits);
		return;
	}
	quarter = length / 4;
	p0 = 0;
	e0 = quarter;
	p1 = quarter - overlap;
	e1 = 2 * quarter;
	p2 = 2 * quarter - overlap;
	e2 = 3 * quarter;
	p3 = 3 * quarter - overlap;
	while (p0 < e0 && p1 < e1 && p2 < e2 && p3 < length) {
		c0 = scan_step(pf, c0, text, length, &p0, candidate_bits);
		c1 = scan_step(pf, c1, text, length, &p1, candidate_bits);
		c2 = scan_step(pf, c2, text, length, &p2, candidate_bits);
		c3 = scan_step(pf, c3, text, length, &p3, candidate_bits);
	}
	while (p0 < e0)
		c0 = scan_step(pf, c0, text, length, &p0, candidate_bits);
	while (p1 < e1)
		c1 = scan_step(pf, c1, text, length, &p1, candidate_bits);
	while (p2 < e2)
		c2 = scan_step(pf, c2, text, length, &p2, candidate_bits);
	while (p3 < length)
		c3 = scan_step(pf, c3, text, length, &p3, candidate_bits);
}
