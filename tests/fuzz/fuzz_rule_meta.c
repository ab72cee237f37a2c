/* fuzz_rule_meta.c: libFuzzer target for rules/rule_meta: any set of
 * expressions parses or fails cleanly, compiles whatever its cycles, and
 * evaluates to non-negative values without touching the rule values;
 * wrapping every expression in parentheses changes no result.
 *
 * Input layout: octet 0 picks the nesting limit (0: the default), octet
 * 1 picks which of the rules A..F hit, the rest is up to eight lines,
 * the expressions of metas M0..M7 (which may use each other). */
#include "lib/alloc.h"
#include "rules/rule_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_METAS 8
#define FUZZ_RULES 6
#define FUZZ_VALUES (FUZZ_METAS + FUZZ_RULES)

/* M0..M7 are values 0..7, A..F are 8..13, anything else is unknown. */
static bool
fuzz_lookup(void *context, const char *name, size_t *index_r)
{
	(void)context;
	if (name[0] == 'M' && name[1] >= '0' && name[1] < '0' + FUZZ_METAS &&
	    name[2] == '\0') {
		*index_r = (size_t)(name[1] - '0');
		return true;
	}
	if (name[0] >= 'A' && name[0] < 'A' + FUZZ_RULES && name[1] == '\0') {
		*index_r = FUZZ_METAS + (size_t)(name[0] - 'A');
		return true;
	}
	return false;
}

/* What one run produced. */
struct fuzz_result {
	bool added[FUZZ_METAS];   /* rule_meta_add() accepted it */
	bool enabled[FUZZ_METAS]; /* and compilation kept it */
	double values[FUZZ_VALUES];
};

/* The value rule number rule (0 for A) has in a run with these hits. */
static double
fuzz_rule_value(unsigned hits, size_t rule)
{
	return (hits >> rule) & 1 ? (double)(rule + 1) : 0;
}

/* Builds a set from the expressions (wrapped in parentheses when wrap),
 * evaluates it twice and checks the results. */
static void
fuzz_run(char *const *expressions, size_t count, unsigned nesting,
    unsigned hits, bool wrap, struct fuzz_result *result)
{
	struct rule_meta_limits limits = { .max_nesting = nesting };
	struct rule_meta_callbacks callbacks = { .lookup = fuzz_lookup };
	struct rule_meta_set *set = rule_meta_set_new(&limits);
	double again[FUZZ_VALUES];
	const char *error;
	size_t added = 0;
	char name[4];

	for (size_t i = 0; i < count; i++) {
		char *text = wrap ? alloc_printf("(%s)", expressions[i]) :
		    alloc_strdup(expressions[i]);

		snprintf(name, sizeof(name), "M%zu", i);
		error = NULL;
		if (rule_meta_add(set, name, text, &error) == 0) {
			result->added[i] = true;
			added++;
		} else
			ASSERT(error != NULL && error[0] != '\0');
		free(text);
	}
	ASSERT(rule_meta_count(set) == added);
	ASSERT(rule_meta_compile(set, FUZZ_VALUES, &callbacks, &error) == 0);
	for (size_t i = 0, meta = 0; i < count; i++) {
		if (result->added[i])
			result->enabled[i] = rule_meta_enabled(set, meta++);
	}
	/* Meta slots start stale (7): evaluation must overwrite them. */
	for (size_t i = 0; i < FUZZ_VALUES; i++)
		result->values[i] = i < FUZZ_METAS ? 7 :
		    fuzz_rule_value(hits, i - FUZZ_METAS);
	rule_meta_evaluate(set, result->values);
	memcpy(again, result->values, sizeof(again));
	rule_meta_evaluate(set, again);
	for (size_t i = 0; i < FUZZ_VALUES; i++) {
		double value = result->values[i];

		if (i >= FUZZ_METAS)
			ASSERT(value == fuzz_rule_value(hits, i - FUZZ_METAS));
		else if (i >= count || !result->added[i])
			ASSERT(value == 7);
		else if (result->enabled[i])
			ASSERT(value >= 0);
		else
			ASSERT(value == 0);
		/* The results depend on the rules only. */
		ASSERT(memcmp(&value, &again[i], sizeof(value)) == 0);
	}
	rule_meta_set_free(&set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expressions[FUZZ_METAS];
	struct fuzz_result plain = { 0 }, wrapped = { 0 };
	size_t count = 0, start = 2;
	unsigned nesting;

	if (size < 2 || size > 64 * 1024)
		return 0;
	nesting = data[0] % 40;
	for (size_t i = 2; i <= size && count < FUZZ_METAS; i++) {
		if (i == size || data[i] == '\n') {
			expressions[count++] = alloc_strndup(
			    (const char *)data + start, i - start);
			start = i + 1;
		}
	}
	fuzz_run(expressions, count, nesting, data[1], false, &plain);
	/* Allow the one extra level of nesting the parentheses add. */
	fuzz_run(expressions, count,
	    nesting == 0 ? RULE_META_DEFAULT_NESTING_MAX + 1 : nesting + 1,
	    data[1], true, &wrapped);
	/* Parentheses can make a broken text whole ("A) || (B") or break
	 * the "()" declaration; when they change no verdict, they change
	 * no result either. */
	if (memcmp(plain.added, wrapped.added, sizeof(plain.added)) == 0) {
		ASSERT(memcmp(plain.enabled, wrapped.enabled,
		    sizeof(plain.enabled)) == 0);
		ASSERT(memcmp(plain.values, wrapped.values,
		    sizeof(plain.values)) == 0);
	}
	for (size_t i = 0; i < count; i++)
		free(expressions[i]);
	return 0;
}
