/* test_rule_meta.c: unit tests for rules/rule_meta: the expression
 * language, ordering and cycles across metas, and every stock
 * SpamAssassin meta when /usr/share/spamassassin is installed. */
#include "rules/rule_meta.h"

#include <dirent.h>

#include "lib/alloc.h"
#include "tests/unit/harness.h"

#define SPAMASSASSIN_RULES "/usr/share/spamassassin"

/* A rule table for the lookup callback: names[i] has value index i. */
struct names {
	char **names;
	size_t count, capacity;
	/* Diagnostics received, one "SEVERITY NAME: message" per line. */
	char log[8192];
	size_t warnings, errors;
};

static size_t
names_add(struct names *names, const char *name)
{
	for (size_t i = 0; i < names->count; i++) {
		if (strcmp(names->names[i], name) == 0)
			return i;
	}
	if (names->count == names->capacity) {
		names->capacity = names->capacity == 0 ? 16 :
		    names->capacity * 2;
		names->names = alloc_resize(names->names, names->capacity,
		    sizeof(*names->names));
	}
	names->names[names->count] = alloc_strdup(name);
	return names->count++;
}

static void
names_free(struct names *names)
{
	for (size_t i = 0; i < names->count; i++)
		free(names->names[i]);
	free(names->names);
}

static bool
names_lookup(void *context, const char *name, size_t *index_r)
{
	struct names *names = context;

	for (size_t i = 0; i < names->count; i++) {
		if (strcmp(names->names[i], name) == 0) {
			*index_r = i;
			return true;
		}
	}
	return false;
}

static void
names_diagnostic(void *context, enum rule_meta_severity severity,
    const char *meta_name, const char *message)
{
	struct names *names = context;
	size_t used = strlen(names->log);

	if (severity == RULE_META_SEVERITY_ERROR)
		names->errors++;
	else
		names->warnings++;
	snprintf(names->log + used, sizeof(names->log) - used, "%s %s: %s\n",
	    severity == RULE_META_SEVERITY_ERROR ? "error" : "warning",
	    meta_name, message);
}

static const struct rule_meta_callbacks *
names_callbacks(struct names *names)
{
	static struct rule_meta_callbacks callbacks;

	callbacks = (struct rule_meta_callbacks){
		.lookup = names_lookup,
		.diagnostic = names_diagnostic,
		.context = names,
	};
	return &callbacks;
}

/* Rules A, B, C, D have value indices 0..3; meta M is index 4. */
struct expression_case {
	const char *expression;
	double a, b, c, d;
	double expected; /* the value M stores */
};

static const struct expression_case expression_cases[] = {
	/* Operands and literals. */
	{ "A", 3, 0, 0, 0, 3 },
	{ "A", 0, 0, 0, 0, 0 },
	{ "1.5 * A", 2, 0, 0, 0, 3 },
	{ ".5 + A", 1, 0, 0, 0, 1.5 },
	{ "3. - A", 1, 0, 0, 0, 2 },
	{ "007 + A", 0, 0, 0, 0, 7 },
	{ "0", 1, 1, 1, 1, 0 },
	{ "()", 1, 1, 1, 1, 0 },
	{ " ( ) ", 1, 1, 1, 1, 0 },
	{ "\tA\r\n&&\vB\f", 1, 1, 0, 0, 1 },
	{ "A&&!B", 1, 0, 0, 0, 1 },
	/* Precedence. */
	{ "A || B && C", 1, 0, 0, 0, 1 },
	{ "(A || B) && C", 1, 0, 0, 0, 0 },
	{ "A + B * C", 1, 2, 3, 0, 7 },
	{ "(A + B) * C", 1, 2, 3, 0, 9 },
	{ "A + B > 2", 1, 2, 0, 0, 1 },
	{ "A + B > 3", 1, 2, 0, 0, 0 },
	{ "!A + 1", 0, 0, 0, 0, 2 },
	{ "!(A + 1)", 0, 0, 0, 0, 0 },
	{ "!A > 0", 0, 0, 0, 0, 1 },
	{ "-A + 3", 1, 0, 0, 0, 2 },
	{ "- -A", 2, 0, 0, 0, 2 },
	{ "+A", 2, 0, 0, 0, 2 },
	{ "!!A", 3, 0, 0, 0, 1 },
	{ "A > 1 == B > 1", 2, 2, 0, 0, 1 },
	{ "A > 1 == B > 1", 2, 0, 0, 0, 0 },
	{ "A == 1 && B != 2", 1, 3, 0, 0, 1 },
	{ "A < 2 || B >= 2 && C <= 1", 5, 2, 1, 0, 1 },
	{ "(__X) || A - B * C / 2 > 0", 8, 2, 3, 0, 1 },
	{ "(__X) || A - B * C / 2 > 5", 8, 2, 3, 0, 0 },
	/* Associativity. */
	{ "A - B - C", 10, 3, 2, 0, 5 },
	{ "A - (B - C)", 10, 3, 2, 0, 9 },
	{ "A / (B + 1) / (C + 1)", 24, 3, 1, 0, 3 },
	{ "A && B && C", 1, 2, 3, 0, 3 },
	{ "A || B || C", 0, 0, 4, 0, 4 },
	/* Perl's && and || yield an operand, not 1. */
	{ "A && B", 2, 3, 0, 0, 3 },
	{ "A && B", 0, 5, 0, 0, 0 },
	{ "A || B", 4, 5, 0, 0, 4 },
	{ "A || B", 0, 5, 0, 0, 5 },
	{ "(A + B) || C", 1, 1, 9, 0, 2 },
	{ "!A && B", 0, 3, 0, 0, 3 },
	/* Comparisons yield 1 or 0. */
	{ "A < B", 1, 2, 0, 0, 1 },
	{ "A <= B", 2, 2, 0, 0, 1 },
	{ "A > B", 2, 2, 0, 0, 0 },
	{ "A >= B", 2, 2, 0, 0, 1 },
	{ "A == B", 2, 2, 0, 0, 1 },
	{ "A != B", 2, 2, 0, 0, 0 },
	{ "(A > 0) + (B > 0) + (C > 0)", 5, 0, 7, 0, 2 },
	/* Arithmetic, division by zero, negative results. */
	{ "(A * 14) / 10", 5, 0, 0, 0, 7 },
	{ "A / (B - 1)", 1, 1, 0, 0, 0 },
	{ "A / (B - 1) + 1", 1, 1, 0, 0, 1 },
	{ "A / (B - 1)", 6, 4, 0, 0, 2 },
	{ "A / !B", 3, 0, 0, 0, 3 },
	{ "A - 5", 1, 0, 0, 0, 1 },
	{ "A - 1", 1, 0, 0, 0, 0 },
	{ "A + B + C + D > 1", 1, 0, 0, 1, 1 },
	{ "A + B + C + D > 1", 1, 0, 0, 0, 0 },
	/* A rule nobody defined counts as 0. */
	{ "__NOWHERE + 1", 0, 0, 0, 0, 1 },
	{ "__NOWHERE || A", 0, 0, 0, 0, 0 },
};

static void
test_rule_meta_expressions(void)
{
	for (size_t i = 0; i < ARRAY_LENGTH(expression_cases); i++) {
		const struct expression_case *c = &expression_cases[i];
		struct names names = { 0 };
		struct rule_meta_set *set = rule_meta_set_new(NULL);
		const char *error;
		double values[5];
		char *copy;

		names_add(&names, "A");
		names_add(&names, "B");
		names_add(&names, "C");
		names_add(&names, "D");
		names_add(&names, "M");
		/* An exact-size heap copy, so ASan sees any over-read. */
		copy = alloc_strdup(c->expression);
		if (rule_meta_add(set, "M", copy, &error) < 0) {
			test_fail(__FILE__, __LINE__, "case %zu \"%s\": %s", i,
			    c->expression, error);
			goto next;
		}
		test_assert_int(rule_meta_compile(set, 5,
		    names_callbacks(&names), &error), 0);
		test_assert(rule_meta_enabled(set, 0));
		values[0] = c->a;
		values[1] = c->b;
		values[2] = c->c;
		values[3] = c->d;
		values[4] = 42;
		rule_meta_evaluate(set, values);
		if (values[4] != c->expected)
			test_fail(__FILE__, __LINE__,
			    "case %zu \"%s\": got %g, want %g", i,
			    c->expression, values[4], c->expected);
		/* The rule values are only read. */
		test_assert(values[0] == c->a && values[1] == c->b &&
		    values[2] == c->c && values[3] == c->d);
next:
		free(copy);
		rule_meta_set_free(&set);
		test_assert(set == NULL);
		names_free(&names);
	}
}

struct malformed_case {
	const char *expression;
	const char *error; /* a substring of the message */
};

static const struct malformed_case malformed_cases[] = {
	{ "", "empty expression" },
	{ " \t ", "empty expression" },
	{ "A &&", "missing operand at the end" },
	{ "&& A", "missing operand before '&&' at offset 0" },
	{ "A B", "missing operator before 'B' at offset 2" },
	{ "A 2", "missing operator before '2'" },
	{ "(A) (B)", "missing operator before '(' at offset 4" },
	{ "(A) B", "missing operator before 'B'" },
	{ "A !B", "missing operator before '!'" },
	{ "(A", "unbalanced '(': 1 left open" },
	{ "((A) && (B)", "unbalanced '('" },
	{ "A)", "unbalanced ')' at offset 1" },
	{ "A && ()", "empty parentheses at offset 6" },
	{ "(())", "empty parentheses" },
	{ "A * / B", "missing operand before '/'" },
	{ "A & B", "unsupported operator '&' at offset 2" },
	{ "A | B", "unsupported operator '|'" },
	{ "A = 1", "unsupported operator '='" },
	{ "A === 1", "unsupported operator '='" },
	{ "A ^ B", "unsupported operator '^'" },
	{ "A ? B : C", "unsupported operator '?'" },
	{ "A ** 2", "unsupported operator '**'" },
	{ "--A", "unsupported operator '--'" },
	{ "A ++ B", "unsupported operator '++'" },
	{ "A % 2", "unsupported operator '%'" },
	{ "~A", "unsupported operator '~'" },
	{ "A, B", "unsupported operator ','" },
	{ "A < B < C", "chained comparison at offset 6" },
	{ "A < B + 1 > C", "chained comparison" },
	{ "A == B != C", "chained comparison" },
	{ "abs(A)", "function calls are not supported (offset 3)" },
	{ "A (B)", "function calls are not supported" },
	{ "rules_matching(__FOO_*) > 1", "function calls are not supported" },
	{ "A # comment", "unexpected character '#' at offset 2" },
	{ "A $B", "unexpected character '$'" },
	{ "A -> B", "missing operand before '>'" },
	{ "A \x01", "unexpected byte 0x01 at offset 2" },
	{ "A \xc3\xa9", "unexpected byte 0xc3" },
	{ "1.2.3", "malformed number at offset 0" },
	{ "3abc", "malformed number" },
	{ "A + 1..", "malformed number" },
	{ "A + .", "unexpected character '.'" },
	{ "1234567890123456789012345", "number longer than 24 bytes" },
	{ "A B C D E", "missing operator" },
	{ "A / B", "division by zero possible" },
	{ "1 / 0", "division by zero possible" },
	{ "A || B / (C - D)", "division by zero possible" },
};

static void
test_rule_meta_malformed(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	const char *error;

	for (size_t i = 0; i < ARRAY_LENGTH(malformed_cases); i++) {
		const struct malformed_case *c = &malformed_cases[i];
		char *copy = alloc_strdup(c->expression);

		error = NULL;
		if (rule_meta_add(set, "M", copy, &error) != -1)
			test_fail(__FILE__, __LINE__, "case %zu \"%s\" parsed",
			    i, c->expression);
		else if (error == NULL || strstr(error, c->error) == NULL)
			test_fail(__FILE__, __LINE__,
			    "case %zu \"%s\": error \"%s\", want \"%s\"", i,
			    c->expression, error != NULL ? error : "(null)",
			    c->error);
		free(copy);
	}
	test_assert_int(rule_meta_count(set), 0);
	rule_meta_set_free(&set);
}

static void
test_rule_meta_names(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	const char *error;
	char name[RULE_META_NAME_MAX + 2];
	char *expression;

	test_assert_int(rule_meta_add(set, "", "A", &error), -1);
	test_assert_string(error, "invalid meta rule name");
	test_assert_int(rule_meta_add(set, "1BAD", "A", &error), -1);
	test_assert_int(rule_meta_add(set, "A-B", "A", &error), -1);
	test_assert_int(rule_meta_add(set, "__ok_9", "A", &error), 0);
	memset(name, 'N', sizeof(name));
	name[RULE_META_NAME_MAX] = '\0';
	test_assert_int(rule_meta_add(set, name, "A", &error), 0);
	name[RULE_META_NAME_MAX] = 'N';
	name[RULE_META_NAME_MAX + 1] = '\0';
	test_assert_int(rule_meta_add(set, name, "A", &error), -1);
	/* Referenced names have the same limit. */
	expression = alloc_printf("A || %s", name);
	test_assert_int(rule_meta_add(set, "M", expression, &error), -1);
	test_assert(strstr(error, "rule name longer than 128 bytes at offset "
	    "5") != NULL);
	free(expression);
	test_assert_int(rule_meta_count(set), 2);
	test_assert_string(rule_meta_name(set, 0), "__ok_9");
	rule_meta_set_free(&set);
	rule_meta_set_free(&set);
}

/* Builds "(((...A...)))" with depth parentheses. */
static char *
nested(size_t depth)
{
	char *text = alloc_zero(2 * depth + 2);

	memset(text, '(', depth);
	text[depth] = 'A';
	memset(text + depth + 1, ')', depth);
	return text;
}

static void
test_rule_meta_limits(void)
{
	struct rule_meta_limits limits = { .max_nesting = 4 };
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	struct names names = { 0 };
	const char *error;
	double values[2] = { 5, 0 };
	char *text;

	/* Default nesting: 32 deep parses, 33 does not. */
	text = nested(RULE_META_DEFAULT_NESTING_MAX);
	test_assert_int(rule_meta_add(set, "M", text, &error), 0);
	free(text);
	text = nested(RULE_META_DEFAULT_NESTING_MAX + 1);
	test_assert_int(rule_meta_add(set, "M", text, &error), -1);
	test_assert(strstr(error, "parentheses nested deeper than 32 at "
	    "offset 32") != NULL);
	free(text);
	rule_meta_set_free(&set);

	/* A very deep input costs heap, never C stack: 100000 parentheses
	 * fail at the limit, 100000 unary operators just work. */
	limits.max_expression_length = 300000;
	set = rule_meta_set_new(&limits);
	text = nested(100000);
	test_assert_int(rule_meta_add(set, "M", text, &error), -1);
	free(text);
	text = alloc_zero(100002);
	memset(text, '!', 100000);
	text[100000] = 'A';
	test_assert_int(rule_meta_add(set, "M", text, &error), 0);
	free(text);
	names_add(&names, "A");
	names_add(&names, "M");
	test_assert_int(rule_meta_compile(set, 2, names_callbacks(&names),
	    &error), 0);
	rule_meta_evaluate(set, values);
	/* An even number of nots turns 5 into 1. */
	test_assert(values[1] == 1);
	rule_meta_set_free(&set);

	/* Caller limits. */
	limits.max_expression_length = 64;
	set = rule_meta_set_new(&limits);
	text = nested(4);
	test_assert_int(rule_meta_add(set, "M", text, &error), 0);
	free(text);
	text = nested(5);
	test_assert_int(rule_meta_add(set, "M", text, &error), -1);
	test_assert_string(error, "parentheses nested deeper than 4 at "
	    "offset 4");
	free(text);
	text = alloc_zero(66);
	memset(text, ' ', 64);
	text[0] = 'A';
	test_assert_int(rule_meta_add(set, "M", text, &error), 0);
	text[64] = ' ';
	test_assert_int(rule_meta_add(set, "M", text, &error), -1);
	test_assert_string(error, "expression longer than 64 bytes");
	free(text);
	rule_meta_set_free(&set);

	/* An expression whose evaluation stack would outgrow the fixed
	 * array is refused even when its nesting is allowed: every level
	 * leaves six operators pending. */
	limits = (struct rule_meta_limits){ .max_nesting = 100 };
	set = rule_meta_set_new(&limits);
	text = alloc_zero(45 * 40 + 200);
	for (size_t i = 0; i < 45; i++)
		strcat(text, "A || A && A == A < A + A * (");
	strcat(text, "A");
	for (size_t i = 0; i < 45; i++)
		strcat(text, ")");
	test_assert_int(rule_meta_add(set, "M", text, &error), -1);
	test_assert_string(error, "expression too complex: needs 271 "
	    "evaluation stack slots, at most 256");
	free(text);
	rule_meta_set_free(&set);
	names_free(&names);
}

static void
test_rule_meta_failed_add_keeps_set(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	struct names names = { 0 };
	const char *error;
	double values[3] = { 2, 3, 0 };

	names_add(&names, "A");
	names_add(&names, "B");
	names_add(&names, "M");
	test_assert_int(rule_meta_add(set, "M", "A + 1 + B", &error), 0);
	/* Fails late, after emitting code, names and constants. */
	test_assert_int(rule_meta_add(set, "M", "B * 7 + A + 3 + (", &error),
	    -1);
	test_assert_int(rule_meta_count(set), 1);
	test_assert_int(rule_meta_compile(set, 3, names_callbacks(&names),
	    &error), 0);
	test_assert_int(names.warnings + names.errors, 0);
	rule_meta_evaluate(set, values);
	test_assert(values[2] == 6);
	rule_meta_set_free(&set);
	names_free(&names);
}

static void
test_rule_meta_nested_metas(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	struct names names = { 0 };
	const char *error;
	double values[7];

	names_add(&names, "A");
	names_add(&names, "B");
	names_add(&names, "C");
	names_add(&names, "M3");
	names_add(&names, "M2");
	names_add(&names, "M1");
	names_add(&names, "M0");
	/* Added users first, so only ordering can get this right. */
	test_assert_int(rule_meta_add(set, "M3", "M2 > 1 && !M0", &error), 0);
	test_assert_int(rule_meta_add(set, "M2", "M1 + C", &error), 0);
	test_assert_int(rule_meta_add(set, "M1", "A && B", &error), 0);
	test_assert_int(rule_meta_add(set, "M0", "M1 && M2 > 5", &error), 0);
	test_assert_int(rule_meta_compile(set, 7, names_callbacks(&names),
	    &error), 0);
	test_assert_int(names.warnings + names.errors, 0);
	for (size_t i = 0; i < 4; i++)
		test_assert(rule_meta_enabled(set, i));
	test_assert_int(rule_meta_value_index(set, 0), 3);
	test_assert_int(rule_meta_value_index(set, 3), 6);

	/* Stale meta values from an earlier message must not matter. */
	values[0] = 1, values[1] = 2, values[2] = 1;
	values[3] = values[4] = values[5] = values[6] = 99;
	rule_meta_evaluate(set, values);
	test_assert(values[5] == 2); /* M1 = B */
	test_assert(values[4] == 3); /* M2 = 2 + 1 */
	test_assert(values[6] == 0); /* M0: 3 > 5 fails */
	test_assert(values[3] == 1); /* M3 */

	values[0] = 0;
	rule_meta_evaluate(set, values);
	test_assert(values[5] == 0 && values[4] == 1 && values[3] == 0);
	rule_meta_set_free(&set);
	names_free(&names);
}

static void
test_rule_meta_cycles(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	struct names names = { 0 };
	const char *error;
	double values[9];

	names_add(&names, "X");
	names_add(&names, "CYCLE_A");
	names_add(&names, "CYCLE_B");
	names_add(&names, "SELF");
	names_add(&names, "USES_CYCLE");
	names_add(&names, "USES_USER");
	names_add(&names, "FINE");
	names_add(&names, "RING_1");
	names_add(&names, "RING_2");
	test_assert_int(rule_meta_add(set, "CYCLE_A", "CYCLE_B || X", &error),
	    0);
	test_assert_int(rule_meta_add(set, "CYCLE_B", "CYCLE_A", &error), 0);
	test_assert_int(rule_meta_add(set, "SELF", "SELF + 1", &error), 0);
	test_assert_int(rule_meta_add(set, "USES_CYCLE", "X || !CYCLE_A",
	    &error), 0);
	test_assert_int(rule_meta_add(set, "USES_USER", "USES_CYCLE", &error),
	    0);
	test_assert_int(rule_meta_add(set, "FINE", "X + 1", &error), 0);
	/* A three-step ring through FINE's neighbour. */
	test_assert_int(rule_meta_add(set, "RING_1", "RING_2 && FINE",
	    &error), 0);
	test_assert_int(rule_meta_add(set, "RING_2", "X && RING_1", &error),
	    0);
	test_assert_int(rule_meta_compile(set, 9, names_callbacks(&names),
	    &error), 0);

	test_assert(!rule_meta_enabled(set, 0));
	test_assert(!rule_meta_enabled(set, 1));
	test_assert(!rule_meta_enabled(set, 2));
	test_assert(!rule_meta_enabled(set, 3));
	test_assert(!rule_meta_enabled(set, 4));
	test_assert(rule_meta_enabled(set, 5));
	test_assert(!rule_meta_enabled(set, 6));
	test_assert(!rule_meta_enabled(set, 7));
	test_assert_int(names.errors, 7);
	test_assert_int(names.warnings, 0);
	test_assert(strstr(names.log, "error CYCLE_A: disabled: dependency "
	    "cycle among CYCLE_B, CYCLE_A\n") != NULL ||
	    strstr(names.log, "error CYCLE_A: disabled: dependency cycle "
	    "among CYCLE_A, CYCLE_B\n") != NULL);
	test_assert(strstr(names.log, "error CYCLE_B: disabled: dependency "
	    "cycle among") != NULL);
	test_assert(strstr(names.log, "error SELF: disabled: dependency cycle "
	    "among SELF\n") != NULL);
	test_assert(strstr(names.log, "error USES_CYCLE: disabled: uses "
	    "disabled meta CYCLE_A\n") != NULL);
	test_assert(strstr(names.log, "error USES_USER: disabled: uses "
	    "disabled meta USES_CYCLE\n") != NULL);
	test_assert(strstr(names.log, "RING_1") != NULL &&
	    strstr(names.log, "RING_2") != NULL);

	for (size_t i = 0; i < ARRAY_LENGTH(values); i++)
		values[i] = 7;
	values[0] = 1;
	rule_meta_evaluate(set, values);
	test_assert(values[0] == 1);
	test_assert(values[1] == 0 && values[2] == 0 && values[3] == 0);
	test_assert(values[4] == 0 && values[5] == 0);
	test_assert(values[6] == 2);
	test_assert(values[7] == 0 && values[8] == 0);
	rule_meta_set_free(&set);
	names_free(&names);
}

static void
test_rule_meta_unknown_and_redefined(void)
{
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	struct names names = { 0 };
	const char *error;
	double values[3] = { 1, 0, 0 };

	names_add(&names, "A");
	names_add(&names, "M");
	names_add(&names, "N");
	test_assert_int(rule_meta_add(set, "M", "A + 100", &error), 0);
	test_assert_int(rule_meta_add(set, "N", "__GONE + __GONE + A + "
	    "__ALSO_GONE", &error), 0);
	test_assert_int(rule_meta_add(set, "M", "A + 1", &error), 0);
	test_assert_int(rule_meta_compile(set, 3, names_callbacks(&names),
	    &error), 0);
	test_assert_int(names.errors, 0);
	test_assert_int(names.warnings, 3);
	test_assert_string(names.log,
	    "warning M: defined more than once; the last definition wins\n"
	    "warning N: unknown rule __GONE counts as 0\n"
	    "warning N: unknown rule __ALSO_GONE counts as 0\n");
	test_assert_int(rule_meta_count(set), 3);
	test_assert(!rule_meta_enabled(set, 0));
	test_assert(rule_meta_enabled(set, 1));
	test_assert(rule_meta_enabled(set, 2));
	test_assert_int(rule_meta_value_index(set, 0), 1);
	test_assert_int(rule_meta_value_index(set, 2), 1);
	rule_meta_evaluate(set, values);
	test_assert(values[1] == 2);
	test_assert(values[2] == 1);
	rule_meta_set_free(&set);
	names_free(&names);
}

static void
test_rule_meta_compile_errors(void)
{
	struct rule_meta_set *set;
	struct names names = { 0 };
	const char *error;

	names_add(&names, "A");
	names_add(&names, "M");
	names_add(&names, "N");

	set = rule_meta_set_new(NULL);
	test_assert_int(rule_meta_add(set, "UNLISTED", "A", &error), 0);
	test_assert_int(rule_meta_compile(set, 3, names_callbacks(&names),
	    &error), -1);
	test_assert_string(error, "meta UNLISTED: lookup does not know the "
	    "meta's own name");
	test_assert(!rule_meta_enabled(set, 0));
	rule_meta_set_free(&set);

	set = rule_meta_set_new(NULL);
	test_assert_int(rule_meta_add(set, "N", "A", &error), 0);
	test_assert_int(rule_meta_compile(set, 2, names_callbacks(&names),
	    &error), -1);
	test_assert_string(error, "meta N: value index 2 out of range");
	rule_meta_set_free(&set);

	set = rule_meta_set_new(NULL);
	test_assert_int(rule_meta_add(set, "M", "N", &error), 0);
	test_assert_int(rule_meta_compile(set, 2, names_callbacks(&names),
	    &error), -1);
	test_assert_string(error, "meta M: value index 2 of N out of range");
	rule_meta_set_free(&set);

	/* An empty set compiles and evaluates to nothing. */
	set = rule_meta_set_new(NULL);
	test_assert_int(rule_meta_compile(set, 0, names_callbacks(&names),
	    &error), 0);
	rule_meta_evaluate(set, NULL);
	rule_meta_set_free(&set);
	names_free(&names);
}

/* Two names sharing an index is the caller's inconsistency. */
static bool
shared_lookup(void *context, const char *name, size_t *index_r)
{
	(void)context;
	(void)name;
	*index_r = 0;
	return true;
}

static void
test_rule_meta_shared_index(void)
{
	struct rule_meta_callbacks callbacks = { .lookup = shared_lookup };
	struct rule_meta_set *set = rule_meta_set_new(NULL);
	const char *error;

	test_assert_int(rule_meta_add(set, "M", "1", &error), 0);
	test_assert_int(rule_meta_add(set, "N", "2", &error), 0);
	test_assert_int(rule_meta_compile(set, 1, &callbacks, &error), -1);
	test_assert_string(error, "metas M and N share value index 0");
	rule_meta_set_free(&set);
}

/* Strips a SpamAssassin .cf comment (an unescaped '#') and trailing
 * space, in place. */
static void
strip_comment(char *line)
{
	size_t length;

	for (char *p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || p[-1] != '\\')) {
			*p = '\0';
			break;
		}
	}
	length = strlen(line);
	while (length > 0 && strchr(" \t\r\n", line[length - 1]) != NULL)
		line[--length] = '\0';
}

/* Rule-defining keywords whose second word is a rule name. */
static bool
defines_rule(const char *keyword)
{
	static const char *const keywords[] = { "header", "body", "rawbody",
		"uri", "full", "meta", "mimeheader", "uri_detail", "askdns" };

	for (size_t i = 0; i < ARRAY_LENGTH(keywords); i++) {
		if (strcmp(keyword, keywords[i]) == 0)
			return true;
	}
	return false;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every `meta NAME EXPR` line of the stock rules (if/ifplugin ignored)
 * must parse, save at most 1%. */
static void
test_rule_meta_stock_rules(void)
{
	struct rule_meta_set *set;
	struct names names = { 0 };
	struct dirent *entry;
	char **files = NULL, line[16384], keyword[64], name[256];
	size_t file_count = 0, total = 0, parsed = 0;
	const char *error;
	double *values;
	DIR *dir;

	dir = opendir(SPAMASSASSIN_RULES);
	if (dir == NULL) {
		printf("# skipped: %s not installed\n", SPAMASSASSIN_RULES);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		size_t length = strlen(entry->d_name);

		if (length > 3 &&
		    strcmp(entry->d_name + length - 3, ".cf") == 0) {
			files = alloc_resize(files, file_count + 1,
			    sizeof(*files));
			files[file_count++] = alloc_printf("%s/%s",
			    SPAMASSASSIN_RULES, entry->d_name);
		}
	}
	closedir(dir);
	qsort(files, file_count, sizeof(*files), compare_strings);

	set = rule_meta_set_new(NULL);
	for (size_t f = 0; f < file_count; f++) {
		FILE *fp = fopen(files[f], "r");
		int offset;

		test_require(fp != NULL);
		while (fgets(line, sizeof(line), fp) != NULL) {
			strip_comment(line);
			if (sscanf(line, " %63s %255s %n", keyword, name,
			    &offset) < 2 || !defines_rule(keyword))
				continue;
			names_add(&names, name);
			if (strcmp(keyword, "meta") != 0)
				continue;
			total++;
			if (rule_meta_add(set, name, line + offset,
			    &error) == 0)
				parsed++;
			else
				printf("# %s: meta %s: %s\n", files[f], name,
				    error);
		}
		fclose(fp);
	}
	printf("# stock metas: %zu of %zu parse\n", parsed, total);
	test_assert(total > 500);
	test_assert(parsed * 100 >= total * 99);

	test_assert_int(rule_meta_compile(set, names.count,
	    names_callbacks(&names), &error), 0);
	printf("# stock metas compiled: %zu warnings, %zu errors\n",
	    names.warnings, names.errors);
	/* Every meta is evaluated on an empty and on a full message. */
	values = alloc_array(names.count, sizeof(*values));
	rule_meta_evaluate(set, values);
	for (size_t i = 0; i < names.count; i++)
		values[i] = 1;
	rule_meta_evaluate(set, values);
	free(values);
	rule_meta_set_free(&set);
	for (size_t f = 0; f < file_count; f++)
		free(files[f]);
	free(files);
	names_free(&names);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_meta_expressions),
		TEST_CASE(test_rule_meta_malformed),
		TEST_CASE(test_rule_meta_names),
		TEST_CASE(test_rule_meta_limits),
		TEST_CASE(test_rule_meta_failed_add_keeps_set),
		TEST_CASE(test_rule_meta_nested_metas),
		TEST_CASE(test_rule_meta_cycles),
		TEST_CASE(test_rule_meta_unknown_and_redefined),
		TEST_CASE(test_rule_meta_compile_errors),
		TEST_CASE(test_rule_meta_shared_index),
		TEST_CASE(test_rule_meta_stock_rules),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
