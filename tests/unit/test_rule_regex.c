/* test_rule_regex.c: unit tests for rules/rule_regex: delimiters and
 * flags, the Perl-to-PCRE2 rewrites, byte matching with Perl's /aa
 * semantics, counting, limits, threads, and a real-world check that
 * compiles every regex rule of the installed SpamAssassin rule set. */
#include "rules/rule_file.h"
#include "rules/rule_regex.h"
#include "rules/ruleset.h"
#include "tests/unit/harness.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

struct translate_case {
	const char *source;
	const char *pattern; /* NULL: expect an error containing error */
	unsigned flags;
	const char *error;
};

#define OK(source, pattern, flags) { source, pattern, flags, NULL }
#define BAD(source, error) { source, NULL, 0, error }

static const struct translate_case translate_cases[] = {
	/* Delimiters. */
	OK("/abc/", "abc", 0),
	OK("/a\\/b/", "a\\/b", 0),
	OK("m{a{2}}", "a{2}", 0),
	OK("m(ab)", "ab", 0),
	OK("m<ab>", "ab", 0),
	OK("m[ab]", "ab", 0),
	OK("m!a/b!", "a/b", 0),
	OK("m!a\\!b!i", "a\\!b", RULE_REGEX_CASELESS),
	OK("m,x,", "x", 0),
	OK("m'x'", "x", 0),
	OK("m#x#", "x", 0),
	OK("qr/x/", "x", 0),
	OK("m{a}b}", "a}b", 0), /* last delimiter followed by flags */
	OK("//", "", 0),
	BAD("abc", "missing regex delimiter"),
	BAD("", "missing regex delimiter"),
	BAD("mx", "missing regex delimiter"),
	BAD("m\\x\\", "backslash regex delimiter"),
	BAD("/abc", "missing end delimiter"),
	BAD("/", "missing end delimiter"),
	BAD("m{abc", "missing end delimiter"),
	BAD("/a/b/", "unescaped delimiter '/'"),
	BAD("m!a!b!", "unescaped delimiter '!'"),
	BAD("m<a>b>", "unescaped delimiter '>'"),
	/* Flags. */
	OK("/abc/i", "abc", RULE_REGEX_CASELESS),
	OK("/a.b/msx", "a.b",
	    RULE_REGEX_MULTILINE | RULE_REGEX_DOTALL | RULE_REGEX_EXTENDED),
	OK("/abc/go", "abc", 0),
	OK("/abc/aai", "abc", RULE_REGEX_CASELESS),
	BAD("/abc/e", "missing end delimiter"),
	BAD("/abc/q", "unsupported regex flag 'q'"),
	BAD("/abc/iu", "unsupported regex flag 'u'"),
	BAD("/abc/I", "missing end delimiter"),
	/* Perl-only syntax rewritten. */
	OK("/(?^aa:foo)/", "(?^:foo)", 0),
	OK("/(?ai)x/", "(?i)x", 0),
	OK("/(?u:x)(?l)(?d-i:y)(?p)/", "(?:x)(?)(?-i:y)(?)", 0),
	OK("/(?i-sm:x)/", "(?i-sm:x)", 0),
	OK("/(?P<n>x)(?<m>y)(?=z)(?!w)/", "(?P<n>x)(?<m>y)(?=z)(?!w)", 0),
	OK("/x{,3}/", "x{0,3}", 0),
	OK("/x{2,}y{,}/", "x{2,}y{,}", 0),
	OK("/[\\w-.]/", "[\\w\\-.]", 0),
	OK("/[\\s-]/", "[\\s-]", 0),
	OK("/[a-\\d]/", "[a\\-\\d]", 0),
	OK("/[-\\d]/", "[-\\d]", 0),
	OK("/[[:alpha:]-z]/", "[[:alpha:]\\-z]", 0),
	OK("/[\\p{L}-x]/", "[\\p{L}\\-x]", 0),
	OK("/[a-z]/", "[a-z]", 0),
	OK("/[]a]/", "[]a]", 0),
	OK("/[^]a]/", "[^]a]", 0),
	OK("/\\x{2019}/", "(?:\\xE2\\x80\\x99)", 0),
	OK("/\\x{1F600}/", "(?:\\xF0\\x9F\\x98\\x80)", 0),
	OK("/\\x{e9}/", "\\x{e9}", 0),
	OK("/\\xe9/", "\\xe9", 0),
	OK("/\\N{U+41}/", "\\x{41}", 0),
	OK("/\\N{U+436}/", "(?:\\xD0\\xB6)", 0),
	OK("/[a\\x{436}]/", "(?:[a]|\\xD0\\xB6)", 0),
	OK("/[a\\x{436}\\x{2019}]/i", "(?:[a]|\\xD0\\xB6|\\xE2\\x80\\x99)",
	    RULE_REGEX_CASELESS),
	OK("/[\\x{436}]/", "(?:(?!)|\\xD0\\xB6)", 0),
	OK("/[^a\\x{436}]/", "[^a]", 0),
	OK("/[^\\x{436}]/", "[\\x00-\\xFF]", 0),
	OK("/x[a\\x{436}]y[b]/", "x(?:[a]|\\xD0\\xB6)y[b]", 0),
	BAD("/[\\x{400}-\\x{4FF}]/", "range with code point U+400"),
	BAD("/[a-\\x{4FF}]/", "range with code point U+4FF"),
	BAD("/\\x{D800}/", "invalid code point U+D800"),
	BAD("/\\x{110000}/", "invalid code point U+110000"),
	/* Left alone: quoted text, comments, and what PCRE2 knows. */
	OK("/\\Q(a\\x{100}{,3}\\E[/", "\\Q(a\\x{100}{,3}\\E[", 0),
	OK("/a # \\x{100} {,3}/x", "a # \\x{100} {,3}", RULE_REGEX_EXTENDED),
	OK("/a#{,3}/", "a#{0,3}", 0),
	OK("/(?#x{,3})b/", "(?#x{,3})b", 0),
	OK("/\\z\\Z\\A\\b\\B\\G\\K/", "\\z\\Z\\A\\b\\B\\G\\K", 0),
	OK("/a++b*+(?>c)\\h\\v\\R/", "a++b*+(?>c)\\h\\v\\R", 0),
	OK("/\\x{41/", "\\x{41", 0),
	OK("/\\\\x{100}/", "\\\\x{100}", 0),
	BAD("/(?{ system('x') })/", "code execution"),
	BAD("/(??{ 1 })/", "code execution"),
};

static void
test_rule_regex_translate_cases(void)
{
	const struct translate_case *c;
	struct buffer pattern;
	const char *error;
	unsigned flags;
	size_t i;
	int ret;

	buffer_init(&pattern, 0);
	for (i = 0; i < ARRAY_LENGTH(translate_cases); i++) {
		c = &translate_cases[i];
		buffer_reset(&pattern);
		error = NULL;
		flags = 99;
		ret = rule_regex_translate(c->source, strlen(c->source),
		    &pattern, &flags, &error);
		if (c->pattern == NULL) {
			if (ret != -1 || error == NULL ||
			    strstr(error, c->error) == NULL)
				test_fail(__FILE__, __LINE__, "case %zu %s: "
				    "ret %d error \"%s\", want \"%s\"", i,
				    c->source, ret, error != NULL ? error :
				    "(none)", c->error);
			continue;
		}
		if (ret != 0) {
			test_fail(__FILE__, __LINE__, "case %zu %s: %s", i,
			    c->source, error);
			continue;
		}
		if (strcmp(buffer_string(&pattern), c->pattern) != 0 ||
		    flags != c->flags)
			test_fail(__FILE__, __LINE__, "case %zu %s: got \"%s\" "
			    "flags %u, want \"%s\" flags %u", i, c->source,
			    buffer_string(&pattern), flags, c->pattern,
			    c->flags);
	}
	buffer_deinit(&pattern);
}

static void
test_rule_regex_compile_errors(void)
{
	struct rule_regex *regex = NULL;
	const char *error = NULL;
	char big[RULE_REGEX_SOURCE_MAX + 8];

	test_assert_int(rule_regex_compile("/(abc/", 6, NULL, &regex, &error),
	    -1);
	test_assert(regex == NULL);
	test_assert(error != NULL && strstr(error, "offset") != NULL &&
	    strstr(error, "parenthesis") != NULL);
	test_assert_int(rule_regex_compile("/\\y/", 4, NULL, &regex, &error),
	    -1);
	test_assert_int(rule_regex_compile("/x/q", 4, NULL, &regex, &error),
	    -1);
	test_assert(strstr(error, "flag 'q'") != NULL);
	/* Perl's case-changing escapes are string features, not regex. */
	test_assert_int(rule_regex_compile("/\\U/", 4, NULL, &regex, &error),
	    -1);
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '/';
	test_assert_int(rule_regex_compile(big, sizeof(big), NULL, &regex,
	    &error), -1);
	test_assert(strstr(error, "longer than") != NULL);
	/* A pattern switching to UTF mode would fail on arbitrary bytes. */
	test_assert_int(rule_regex_compile("/(*UTF)x/", 9, NULL, &regex,
	    &error), -1);
}

struct match_case {
	const char *source;
	const char *subject;
	size_t subject_length; /* 0: strlen */
	bool match;
	size_t start, end;
};

static const struct match_case match_cases[] = {
	{ "/viagra/i", "Buy VIAGRA now", 0, true, 4, 10 },
	{ "/^Subject: (?:re|fwd?):/mi", "X: y\nsubject: Fw: z", 0, true,
	    5, 17 },
	{ "/^b/", "a\nb", 0, false, 0, 0 },
	{ "/^b/m", "a\nb", 0, true, 2, 3 },
	{ "/a.b/", "a\nb", 0, false, 0, 0 },
	{ "/a.b/s", "a\nb", 0, true, 0, 3 },
	{ "/a b c/x", "abc", 0, true, 0, 3 },
	{ "/x$/", "x\n", 0, true, 0, 1 },
	{ "/x\\z/", "x\n", 0, false, 0, 0 },
	{ "/x\\Z/", "x\n", 0, true, 0, 1 },
	{ "/\\bfoo\\b/", "a foo.", 0, true, 2, 5 },
	/* /aa: classes are ASCII, Latin-1 letters fold under /i. */
	{ "/\\w+/", "\xe9t\xe9", 0, true, 1, 2 },
	{ "/[[:alpha:]]/", "\xe9", 0, false, 0, 0 },
	{ "/\\s/", "\xa0\x85", 0, false, 0, 0 },
	{ "/caf\\xe9/i", "CAF\xc9", 0, true, 0, 4 },
	{ "/caf\\xe9/", "CAF\xc9", 0, false, 0, 0 },
	{ "/\\xd7/i", "\xf7", 0, false, 0, 0 },
	{ "/ss/i", "\xdf", 0, false, 0, 0 },
	/* Bytes, never UTF-8: invalid sequences and NULs are fine. */
	{ "/b/", "\xff\xfe\x00" "b", 4, true, 3, 4 },
	{ "/\\x00/", "a\x00", 2, true, 1, 2 },
	{ "/./", "\xc3", 0, true, 0, 1 },
	{ "/\\x{2019}/", "it\xe2\x80\x99s", 0, true, 2, 5 },
	{ "/[a\\x{436}]x/", "\xd0\xb6x", 0, true, 0, 3 },
	{ "/[a\\x{436}]x/", "ax", 0, true, 0, 2 },
	{ "/[^\\x{436}]/", "\xd0", 0, true, 0, 1 },
	{ "/x{,2}y/", "xxy", 0, true, 0, 3 },
	{ "/[\\w-.]+/", "a-b.c", 0, true, 0, 5 },
	{ "/(?^aa:A)b/i", "aB", 0, false, 0, 0 },
	{ "/(?^i:A)b/", "ab", 0, true, 0, 2 },
	{ "/(?<n>a)(?<n>b)?/", "ab", 0, true, 0, 2 },
	{ "/a\\Kb/", "ab", 0, true, 1, 2 },
	{ "/x*/", "abc", 0, true, 0, 0 },
	{ "/\\bhttps?:\\/\\/bit\\.ly\\//i", "see HTTP://BIT.LY/x", 0, true,
	    4, 18 },
};

static void
test_rule_regex_match_cases(void)
{
	const struct match_case *c;
	struct rule_regex *regex;
	const char *error;
	size_t i, length, start, end;
	bool found;

	for (i = 0; i < ARRAY_LENGTH(match_cases); i++) {
		c = &match_cases[i];
		if (rule_regex_compile(c->source, strlen(c->source), NULL,
		    &regex, &error) < 0) {
			test_fail(__FILE__, __LINE__, "case %zu %s: %s", i,
			    c->source, error);
			continue;
		}
		length = c->subject_length != 0 ? c->subject_length :
		    strlen(c->subject);
		start = end = 99;
		found = rule_regex_find(regex, c->subject, length, &start,
		    &end);
		if (found != c->match || rule_regex_match(regex, c->subject,
		    length) != c->match)
			test_fail(__FILE__, __LINE__, "case %zu %s: match %d",
			    i, c->source, found);
		else if (found && (start != c->start || end != c->end))
			test_fail(__FILE__, __LINE__, "case %zu %s: %zu..%zu, "
			    "want %zu..%zu", i, c->source, start, end,
			    c->start, c->end);
		test_assert_int(rule_regex_limit_hits(regex), 0);
		rule_regex_free(&regex);
		test_assert(regex == NULL);
	}
}

static struct rule_regex *
compile_or_fail(const char *source, const struct rule_regex_limits *limits)
{
	struct rule_regex *regex = NULL;
	const char *error;

	if (rule_regex_compile(source, strlen(source), limits, &regex,
	    &error) < 0)
		test_fail(__FILE__, __LINE__, "%s: %s", source, error);
	return regex;
}

/* Counts as Perl's () = $s =~ /re/g does (values checked with perl). */
static void
test_rule_regex_match_count(void)
{
	static const struct {
		const char *source;
		const char *subject;
		unsigned max;
		unsigned count;
	} cases[] = {
		{ "/a/", "banana", 0, 3 },
		{ "/a/", "banana", 2, 2 },
		{ "/an/", "banana", 0, 2 },
		{ "/x*/", "axb", 0, 4 },
		{ "/a*?/", "aaa", 0, 7 },
		{ "/x*/", "", 0, 1 },
		{ "/z/", "banana", 0, 0 },
		{ "/^./m", "a\nb\nc", 0, 3 },
		{ "/\\bhttp/i", "http HTTP xhttp Http", 16, 3 },
	};
	struct rule_regex *regex;
	size_t i;
	unsigned count;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		regex = compile_or_fail(cases[i].source, NULL);
		if (regex == NULL)
			continue;
		count = rule_regex_match_count(regex, cases[i].subject,
		    strlen(cases[i].subject), cases[i].max);
		if (count != cases[i].count)
			test_fail(__FILE__, __LINE__, "case %zu %s: %u, want "
			    "%u", i, cases[i].source, count, cases[i].count);
		rule_regex_free(&regex);
	}
}

static double
seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* A catastrophic pattern ends on the match limit, quickly, as "no
 * match", and is counted. */
static void
test_rule_regex_backtracking_limit(void)
{
	static const char *const sources[] = {
		"/(a+)+$/", "/(a|aa)+$/", "/^(\\w+\\s?)*$/",
	};
	char subject[64];
	struct rule_regex *regex;
	uint64_t total_before = rule_regex_limit_hits_total();
	double started;
	size_t i;

	memset(subject, 'a', sizeof(subject));
	subject[sizeof(subject) - 1] = '!';
	for (i = 0; i < ARRAY_LENGTH(sources); i++) {
		regex = compile_or_fail(sources[i], NULL);
		if (regex == NULL)
			continue;
		started = seconds_now();
		test_assert(!rule_regex_match(regex, subject, sizeof(subject)));
		test_assert(seconds_now() - started < 1.0);
		test_assert_int(rule_regex_limit_hits(regex), 1);
		test_assert_int(rule_regex_match_count(regex, subject,
		    sizeof(subject), 0), 0);
		test_assert_int(rule_regex_limit_hits(regex), 2);
		/* A short subject still matches: the limit is per call. */
		test_assert(rule_regex_match(regex, "aaaa", 4));
		rule_regex_free(&regex);
	}
	test_assert(rule_regex_limit_hits_total() >= total_before + 6);
}

/* Smaller configured limits bite sooner; the interpreter's depth limit
 * applies when JIT is not used. */
static void
test_rule_regex_configured_limits(void)
{
	struct rule_regex_limits limits = { .match_limit = 50 };
	struct rule_regex *regex;
	char subject[30];

	/* No required literal, or PCRE2 would give up before matching. */
	memset(subject, 'a', sizeof(subject));
	subject[sizeof(subject) - 1] = '!';
	regex = compile_or_fail("/^(a|aa)+$/", &limits);
	if (regex == NULL)
		return;
	test_assert(!rule_regex_match(regex, subject, sizeof(subject)));
	test_assert_int(rule_regex_limit_hits(regex), 1);
	test_assert(rule_regex_match(regex, "aaa", 3));
	rule_regex_free(&regex);

	limits.match_limit = 0;
	limits.depth_limit = 5;
	regex = compile_or_fail("/^(?:(a)|b)*$/", &limits);
	if (regex == NULL)
		return;
	if (!rule_regex_is_jit(regex)) {
		test_assert(!rule_regex_match(regex, subject,
		    sizeof(subject)));
		test_assert_int(rule_regex_limit_hits(regex), 1);
	}
	rule_regex_free(&regex);
}

/* Lazy JIT compiles on the first match; interpreted regexes never do;
 * the results are the same either way. */
static void
test_rule_regex_jit_modes(void)
{
	struct rule_regex *eager, *lazy, *interpreted;
	const char *error;

	eager = compile_or_fail("/v[i1]agra/i", NULL);
	rule_regex_set_lazy_jit(true);
	lazy = compile_or_fail("/v[i1]agra/i", NULL);
	rule_regex_set_lazy_jit(false);
	test_assert_int(rule_regex_compile_interpreted("/v[i1]agra/i", 12,
	    NULL, &interpreted, &error), 0);
	if (eager == NULL || lazy == NULL)
		return;
	test_assert(!rule_regex_is_jit(lazy));
	test_assert(!rule_regex_is_jit(interpreted));
	test_assert(rule_regex_match(lazy, "buy V1AGRA", 10));
	test_assert(!rule_regex_match(lazy, "buy viagr", 9));
	test_assert(rule_regex_match(interpreted, "buy V1AGRA", 10));
	test_assert(!rule_regex_match(interpreted, "buy viagr", 9));
	/* Where this PCRE2 has a JIT, the lazy one has it now too. */
	test_assert(rule_regex_is_jit(lazy) == rule_regex_is_jit(eager));
	test_assert(!rule_regex_is_jit(interpreted));
	rule_regex_free(&eager);
	rule_regex_free(&lazy);
	rule_regex_free(&interpreted);
}

static void
test_rule_regex_accessors(void)
{
	struct rule_regex *regex = compile_or_fail("m{(?^u:x)}si", NULL);

	if (regex == NULL)
		return;
	test_assert_string(rule_regex_pattern(regex), "(?^:x)");
	test_assert_int(rule_regex_flags(regex),
	    RULE_REGEX_DOTALL | RULE_REGEX_CASELESS);
	rule_regex_free(&regex);
	rule_regex_free(&regex); /* NULL: no-op */
}

#define THREADS 4
#define THREAD_ROUNDS 2000

struct thread_job {
	const struct rule_regex *regex;
	unsigned hits;
};

static void *
thread_run(void *context)
{
	struct thread_job *job = context;
	static const char text[] = "one FREE two free three Free";
	unsigned i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		if (rule_regex_match_count(job->regex, text, sizeof(text) - 1,
		    0) == 3 && rule_regex_match(job->regex, text, 4) == false)
			job->hits++;
	}
	return NULL;
}

/* One compiled regex, matched concurrently; each thread's match state
 * is freed when it exits (LeakSanitizer would notice otherwise). */
static void
test_rule_regex_threads(void)
{
	struct thread_job jobs[THREADS];
	pthread_t threads[THREADS];
	struct rule_regex *regex = compile_or_fail("/\\bfree\\b/i", NULL);
	size_t i;

	if (regex == NULL)
		return;
	for (i = 0; i < THREADS; i++) {
		jobs[i].regex = regex;
		jobs[i].hits = 0;
		test_require(pthread_create(&threads[i], NULL, thread_run,
		    &jobs[i]) == 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		test_assert_int(jobs[i].hits, THREAD_ROUNDS);
	}
	rule_regex_free(&regex);
}

/* The real-world check: read the installed SpamAssassin rules with the
 * plugins Debian loads by default and compile every regex of every
 * header/body/rawbody/full/uri test line (earlier definitions later
 * overridden included). Skips (passes) when spamassassin is not
 * installed. */

static const char *const spamassassin_features[] = {
	"Mail::SpamAssassin::Conf::feature_bug6558_free",
	"Mail::SpamAssassin::Conf::feature_welcomelist_blocklist",
	"Mail::SpamAssassin::Conf::perl_min_version_5010000",
};

#define SPAMASSASSIN_RULES "/usr/share/spamassassin"

static void
test_rule_regex_spamassassin_rules(void)
{
	static const char *const type_names[] = {
		"header", "body", "rawbody", "full", "uri", "meta",
	};
	struct rule_file_options options = {
		.features = spamassassin_features,
		.feature_count = ARRAY_LENGTH(spamassassin_features),
	};
	const struct rule_file_directive *const *directives;
	const struct rule_file_rule *const *rules;
	const struct rule_file_diagnostic *const *diagnostics;
	size_t directive_count, rule_count, diagnostic_count, i;
	size_t by_type[6][4], compiled = 0, failed = 0, jit = 0, unknown = 0;

	/* The plugins Debian's SpamAssassin loads, as the rule set uses. */
	options.plugins = ruleset_default_plugins(&options.plugin_count);
	struct rule_file *rule_file;
	struct rule_regex *regex;
	const struct rule_file_test *test;
	const char *error;
	struct stat st;

	if (stat(SPAMASSASSIN_RULES, &st) != 0) {
		printf("# skipped: %s not installed\n", SPAMASSASSIN_RULES);
		return;
	}
	rule_file = rule_file_new(&options);
	if (rule_file_load_directory(rule_file, SPAMASSASSIN_RULES,
	    &error) < 0) {
		test_fail(__FILE__, __LINE__, "%s", error);
		rule_file_free(&rule_file);
		return;
	}
	directives = rule_file_directives(rule_file, &directive_count);
	rules = rule_file_rules(rule_file, &rule_count);
	diagnostics = rule_file_diagnostics(rule_file, &diagnostic_count);
	memset(by_type, 0, sizeof(by_type));
	for (i = 0; i < rule_count; i++) {
		test = &rules[i]->definition->test;
		by_type[test->type][test->form]++;
	}
	for (i = 0; i < directive_count; i++) {
		if (directives[i]->kind != RULE_FILE_DIRECTIVE_TEST ||
		    directives[i]->test.form != RULE_FILE_FORM_REGEX)
			continue;
		test = &directives[i]->test;
		if (rule_regex_compile(test->pattern, strlen(test->pattern),
		    NULL, &regex, &error) < 0) {
			if (failed++ < 5)
				printf("# failed %s:%u %s: %s\n",
				    directives[i]->file, directives[i]->line,
				    directives[i]->rule_name, error);
			continue;
		}
		compiled++;
		jit += rule_regex_is_jit(regex);
		rule_regex_free(&regex);
	}
	for (i = 0; i < diagnostic_count; i++) {
		if (diagnostics[i]->kind == RULE_FILE_DIAGNOSTIC_UNKNOWN)
			unknown++;
		else
			printf("# %s\n", diagnostics[i]->message);
	}
	printf("# %s: %zu directives, %zu rules, %zu diagnostics (%zu "
	    "unknown directives)\n", SPAMASSASSIN_RULES, directive_count,
	    rule_count, rule_file_diagnostic_total(rule_file), unknown);
	for (i = 0; i < ARRAY_LENGTH(type_names); i++)
		printf("#   %-7s regex %zu, eval %zu, exists %zu, meta %zu\n",
		    type_names[i], by_type[i][RULE_FILE_FORM_REGEX],
		    by_type[i][RULE_FILE_FORM_EVAL],
		    by_type[i][RULE_FILE_FORM_EXISTS],
		    by_type[i][RULE_FILE_FORM_META]);
	printf("# regexes: %zu compiled (%zu JIT), %zu failed\n", compiled,
	    jit, failed);
	test_assert(compiled > 1000);
	test_assert(compiled * 100 >= (compiled + failed) * 98);
	test_assert(rule_count > 2000);
	rule_file_free(&rule_file);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_regex_translate_cases),
		TEST_CASE(test_rule_regex_compile_errors),
		TEST_CASE(test_rule_regex_match_cases),
		TEST_CASE(test_rule_regex_match_count),
		TEST_CASE(test_rule_regex_backtracking_limit),
		TEST_CASE(test_rule_regex_configured_limits),
		TEST_CASE(test_rule_regex_jit_modes),
		TEST_CASE(test_rule_regex_accessors),
		TEST_CASE(test_rule_regex_threads),
		TEST_CASE(test_rule_regex_spamassassin_rules),
	};
	int status;

	status = test_main(cases, ARRAY_LENGTH(cases));
	rule_regex_thread_release();
	return status;
}
