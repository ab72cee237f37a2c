/* test_rule_eval.c: rule sets built from .cf text and run over messages,
 * with SpamAssassin's semantics for each rule type. */
#include "lib/arena.h"
#include "lib/message.h"
#include "rules/rule_eval.h"
#include "rules/ruleset.h"
#include "tests/unit/harness.h"
#include "tests/unit/rules_fixture.h"


/* Runs ruleset over message text; returns the hits as "A,B,C". */
static const char *
run(struct ruleset *ruleset, struct arena *arena, const char *text,
    double *score_r)
{
	struct rule_eval_input input = {
		.message = message_parse(arena, (const unsigned char *)text,
		    strlen(text), NULL),
	};
	struct rule_eval_result result;
	char *list = arena_alloc(arena, 4096);
	size_t i, used = 0;

	rule_eval_run(ruleset, arena, &input, &result);
	for (i = 0; i < result.hit_count && used < 4000; i++)
		used += (size_t)snprintf(list + used, 4096 - used, "%s%s",
		    i == 0 ? "" : ",", result.hits[i].rule->name);
	if (score_r != NULL)
		*score_r = result.score;
	return list;
}

static void
test_rule_eval_headers(void)
{
	struct ruleset *ruleset = rules_fixture_build("headers",
	    "header SUBJ_DECODED Subject =~ /^caf\xc3\xa9 ol\xc3\xa9\\n\\z/\n"
	    "header SUBJ_RAW Subject:raw =~ /=\\?utf-8\\?/i\n"
	    "header FROM_ADDR From:addr =~ /^bob\\@example\\.test$/\n"
	    "header FROM_NAME From:name =~ /^Bob Smith$/\n"
	    "header HAS_DATE exists:Date\n"
	    "header NO_XYZ X-Yz !~ /./\n"
	    "header UNSET_DEFAULT X-Yz =~ /^dflt$/ [if-unset: dflt]\n"
	    "header TOCC ToCc =~ /carol/\n"
	    "header ALL_HDRS ALL =~ /^Cc: carol/m\n"
	    "header TWO_RECEIVED Received =~ /one.*\\n.*two/\n");
	struct arena *arena = arena_new("test", 0);
	const char *hits;

	test_require(ruleset != NULL);
	hits = run(ruleset, arena,
	    "Received: from one\r\nReceived: from two\r\n"
	    "Subject: =?utf-8?q?caf=C3=A9?=\r\n =?utf-8?q?_ol=C3=A9?=\r\n"
	    "From: \"Bob Smith\" <bob@example.test>\r\n"
	    "Cc: carol@example.test\r\n\r\nbody\r\n", NULL);
	test_assert_string(hits, "SUBJ_DECODED,SUBJ_RAW,FROM_ADDR,FROM_NAME,"
	    "UNSET_DEFAULT,TOCC,ALL_HDRS,TWO_RECEIVED");
	/* A missing header never matches, not even with !~. */
	test_assert(strstr(hits, "NO_XYZ") == NULL);
	hits = run(ruleset, arena, "Date: today\r\nX-Yz:\r\n\r\n", NULL);
	test_assert_string(hits, "HAS_DATE,NO_XYZ");
	arena_free(&arena);
	ruleset_unref(&ruleset);
}

static void
test_rule_eval_body_views(void)
{
	struct ruleset *ruleset = rules_fixture_build("body",
	    "body SUBJECT_FIRST /^Hello there\\n$/\n"
	    "body JOINED /one two three/\n"
	    "body NOT_ACROSS_PARAGRAPHS /three four/\n"
	    "body HTML_RENDERED /bold text/\n"
	    "rawbody RAW_TAGS /<b>bold<\\/b>/\n"
	    "full FULL_HEADER /^X-Mailer: test/m\n"
	    "uri URI_HOST /^https?:\\/\\/www\\.example\\.test/\n"
	    "body MANY /spam/\n"
	    "tflags MANY multiple maxhits=3\n"
	    "body __SUB /one/\n"
	    "meta META_ON_SUB __SUB && JOINED\n"
	    "score META_ON_SUB 2.5\n"
	    "body OFF /one/\n"
	    "score OFF 0\n");
	struct arena *arena = arena_new("test", 0);
	double score;
	const char *hits;

	test_require(ruleset != NULL);
	hits = run(ruleset, arena,
	    "Subject: Hello there\r\nX-Mailer: test\r\n"
	    "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\n"
	    "one\r\ntwo   three\r\n\r\nfour spam spam spam spam "
	    "http://www.example.test/x\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n"
	    "<p><b>bold</b> text</p>\r\n--b--\r\n", &score);
	test_assert_string(hits, "SUBJECT_FIRST,JOINED,HTML_RENDERED,RAW_TAGS,"
	    "FULL_HEADER,URI_HOST,MANY,META_ON_SUB");
	/* one point per rule (MANY scores once), 2.5 for the meta */
	test_assert(score > 9.49 && score < 9.51);
	arena_free(&arena);
	ruleset_unref(&ruleset);
}

static void
test_rule_eval_builtin_evals(void)
{
	struct ruleset *ruleset = rules_fixture_build("evals",
	    "header CAPS eval:subject_is_all_caps()\n"
	    "header TWO_TO eval:check_header_count_range('To','2','5')\n"
	    "body SHORT eval:check_body_length('10')\n"
	    "body NOT_THERE eval:no_such_eval_anywhere()\n");
	struct arena *arena = arena_new("test", 0);
	const char *const *missing;
	size_t count;

	test_require(ruleset != NULL);
	test_assert_string(run(ruleset, arena,
	    "Subject: RE: FREE MONEY NOW\r\nTo: a\r\nTo: b\r\n\r\nhi\r\n",
	    NULL), "CAPS,TWO_TO,SHORT");
	test_assert_string(run(ruleset, arena,
	    "Subject: Re: lunch plans today\r\nTo: a\r\n\r\n"
	    "a longer body than ten bytes\r\n", NULL), "");
	missing = ruleset_unimplemented_evals(ruleset, &count);
	test_require(count == 1);
	test_assert_string(missing[0], "no_such_eval_anywhere");
	arena_free(&arena);
	ruleset_unref(&ruleset);
}

static void
test_ruleset_lint_counts(void)
{
	struct ruleset *ruleset = rules_fixture_build("lint",
	    "body GOOD /ok/\n"
	    "body BAD /unbalanced(/\n"
	    "body ZERO /x/\nscore ZERO 0\n"
	    "frobnicate all the things\n"
	    "meta LOOP_A LOOP_B\nmeta LOOP_B LOOP_A\n");
	const struct ruleset_skip *skipped;
	size_t count, compiled;

	test_require(ruleset != NULL);
	(void)ruleset_rules(ruleset, &compiled);
	skipped = ruleset_skipped(ruleset, &count);
	test_assert_int(ruleset_defined_count(ruleset), 5);
	test_assert_int(count, 2);
	test_assert(count == 2 && strstr(skipped[0].reason, "regex") != NULL);
	(void)ruleset_diagnostics(ruleset, &count);
	test_assert_int(count, 1);
	ruleset_unref(&ruleset);
}

static void
test_ruleset_metas_over_skipped_rules(void)
{
	struct ruleset *ruleset = rules_fixture_build("chain",
	    "body GOOD /ok/\n"
	    "body NEEDS eval:not_implemented_here()\n"
	    "meta M3 M2 || GOOD\n"
	    "meta M2 M1 && GOOD\n"
	    "meta M1 NEEDS\n"
	    "meta OFF_IS_FINE ZERO || GOOD\n"
	    "body ZERO /z/\nscore ZERO 0\n");
	const struct ruleset_skip *skipped;
	size_t count, i, dependent = 0;

	test_require(ruleset != NULL);
	skipped = ruleset_skipped(ruleset, &count);
	for (i = 0; i < count; i++)
		if (strncmp(skipped[i].reason, "depends on", 10) == 0)
			dependent++;
	/* M1 over the missing eval, M2 over M1, M3 over M2; a meta over a
	 * rule that is merely off (score 0) stays. */
	test_assert_int(dependent, 3);
	test_assert(ruleset_find(ruleset, "OFF_IS_FINE", NULL) != NULL);
	test_assert(ruleset_find(ruleset, "M3", NULL) == NULL);
	ruleset_unref(&ruleset);
}

/* Sub-rules that no shown rule depends on are not run; the ones a
 * shown meta reads, directly or through other metas, are. */
static void
test_ruleset_unneeded_subrules(void)
{
	struct ruleset *ruleset = rules_fixture_build("needed",
	    "body __USED /alpha/\n"
	    "body __INNER /beta/\n"
	    "meta __MIDDLE __INNER\n"
	    "meta SHOWN __USED && __MIDDLE\n"
	    "score SHOWN 2\n"
	    "body __UNUSED /alpha/\n"
	    "meta __UNUSED_META __UNUSED\n"
	    "meta ZERO __UNUSED_META\n"
	    "score ZERO 0\n");
	struct arena *arena = arena_new("test", 4096);
	const struct ruleset_rule *rule;
	double score;

	rule = ruleset_find(ruleset, "__USED", NULL);
	test_assert(rule != NULL && rule->needed);
	rule = ruleset_find(ruleset, "__INNER", NULL);
	test_assert(rule != NULL && rule->needed);
	rule = ruleset_find(ruleset, "__UNUSED", NULL);
	test_assert(rule != NULL && !rule->needed);
	rule = ruleset_find(ruleset, "__UNUSED_META", NULL);
	test_assert(rule != NULL && !rule->needed);
	test_assert_int(ruleset_unneeded_count(ruleset), 2);
	test_assert_string(run(ruleset, arena, "Subject: x\n\nalpha beta\n",
	    &score), "SHOWN");
	test_assert(score == 2);
	arena_free(&arena);
	ruleset_unref(&ruleset);
}

/* Without MAIL FROM, EnvelopeFrom is guessed as SpamAssassin does: a
 * Return-Path or X-Envelope-From counts only above every Received. */
static void
test_rule_eval_envelope_from_guess(void)
{
	struct ruleset *ruleset = rules_fixture_build("envfrom",
	    "header ENV_BOB EnvelopeFrom =~ /^bob\\@example\\.test$/\n"
	    "header ENV_ANY EnvelopeFrom =~ /./\n");
	struct arena *arena = arena_new("test", 4096);

	test_assert_string(run(ruleset, arena,
	    "Return-Path: <bob@example.test>\n"
	    "Received: from a (a [192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 "
	    "+0000\nSubject: x\n\nbody\n", NULL), "ENV_BOB,ENV_ANY");
	test_assert_string(run(ruleset, arena,
	    "Received: from a (a [192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 "
	    "+0000\nReturn-Path: <bob@example.test>\nSubject: x\n\nbody\n",
	    NULL), "");
	/* Found below a Received, X-Envelope-From ends the search. */
	test_assert_string(run(ruleset, arena,
	    "Return-Path: <bob@example.test>\n"
	    "Received: from a (a [192.0.2.1]) by b; Mon, 1 Jan 2024 00:00:00 "
	    "+0000\nX-Envelope-From: <eve@example.test>\nSubject: x\n\n"
	    "body\n", NULL), "");
	test_assert_string(run(ruleset, arena,
	    "X-Envelope-From: bob@example.test\nSubject: x\n\nbody\n",
	    NULL), "ENV_BOB,ENV_ANY");
	arena_free(&arena);
	ruleset_unref(&ruleset);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_eval_headers),
		TEST_CASE(test_rule_eval_body_views),
		TEST_CASE(test_rule_eval_builtin_evals),
		TEST_CASE(test_ruleset_lint_counts),
		TEST_CASE(test_ruleset_metas_over_skipped_rules),
		TEST_CASE(test_ruleset_unneeded_subrules),
		TEST_CASE(test_rule_eval_envelope_from_guess),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
