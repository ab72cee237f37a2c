/* test_scan.c: the scan pipeline runs checks by stage and sums hits. */
#include "gateway/scan.h"
#include "tests/unit/harness.h"

static char order[16];
static size_t order_length;

static int
record(struct scan *scan, void *context, const char **error_r)
{
	const char *tag = context;

	(void)error_r;
	order[order_length++] = tag[0];
	if (tag[1] != '\0')
		scan_add_hit(scan, tag + 1, 1.5, "a test hit");
	return 0;
}

static int
finish(struct scan *scan, void *context, const char **error_r)
{
	(void)context;
	(void)error_r;
	order[order_length++] = 'F';
	scan_finish_early(scan);
	return 0;
}

static int
fail(struct scan *scan, void *context, const char **error_r)
{
	(void)scan;
	(void)context;
	*error_r = "resolver down";
	return -1;
}

static void
test_scan_stages_in_order_and_hits_sum(void)
{
	struct scan_engine *engine = scan_engine_new();
	struct arena *arena = arena_new("test", 0);
	struct scan *scan;
	const struct scan_check checks[] = {
		{ "r", SCAN_STAGE_RULES, record, (void *)"rRULE_A", NULL },
		{ "c", SCAN_STAGE_CLASSIFIER, record, (void *)"cBAYES_99", NULL },
		{ "p", SCAN_STAGE_PREFILTER, record, (void *)"p", NULL },
		{ "s", SCAN_STAGE_RULES, record, (void *)"sRULE_A", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(checks); i++)
		scan_engine_add(engine, &checks[i]);
	order_length = 0;
	scan = scan_new(arena, (const unsigned char *)"x", 1, NULL);
	test_assert_int(scan_run(engine, scan), 0);
	order[order_length] = '\0';
	test_assert_string(order, "pcrs");
	test_assert_int(scan->hit_count, 2);
	test_assert(scan->score == 4.5);
	test_require(scan_find_hit(scan, "RULE_A") != NULL);
	test_assert_int(scan_find_hit(scan, "RULE_A")->count, 2);
	test_assert(scan_find_hit(scan, "RULE_A")->score == 3.0);
	test_assert(scan_find_hit(scan, "NOPE") == NULL);
	test_assert_string(scan->envelope.mail_from, "");
	arena_free(&arena);
	scan_engine_unref(&engine);
	test_assert(engine == NULL);
}

static void
test_scan_early_finish_and_tempfail(void)
{
	struct scan_engine *engine = scan_engine_new();
	struct arena *arena = arena_new("test", 0);
	const struct scan_check stop = { "allow", SCAN_STAGE_PREFILTER, finish,
		NULL, NULL };
	const struct scan_check later = { "r", SCAN_STAGE_RULES, record,
		(void *)"rX", NULL };
	const struct scan_check broken = { "dns", SCAN_STAGE_CLASSIFIER,
		fail, NULL, NULL };
	struct scan *scan;

	scan_engine_add(engine, &later);
	scan_engine_add(engine, &stop);
	order_length = 0;
	scan = scan_new(arena, (const unsigned char *)"x", 1, NULL);
	test_assert_int(scan_run(engine, scan), 0);
	test_assert_int(order_length, 1);
	test_assert_int(scan->hit_count, 0);
	scan_engine_unref(&engine);

	engine = scan_engine_new();
	scan_engine_add(engine, &broken);
	scan_engine_add(engine, &later);
	order_length = 0;
	scan = scan_new(arena, (const unsigned char *)"x", 1, NULL);
	test_assert_int(scan_run(engine, scan), -1);
	test_assert_string(scan->tempfail, "dns: resolver down");
	test_assert_int(order_length, 0);
	scan_engine_unref(&engine);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_scan_stages_in_order_and_hits_sum),
		TEST_CASE(test_scan_early_finish_and_tempfail),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
