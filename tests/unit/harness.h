/* harness.h: a tiny unit-test harness: table of cases, soft assertions,
 * counts on the last line ("# passed=N failed=M") for scripts/run-tests.
 *
 * A case passes when none of its assertions failed. Assertions do not
 * stop the case; use test_require() for ones later code depends on. */
#ifndef SLUICE_TEST_HARNESS_H
#define SLUICE_TEST_HARNESS_H

#include "lib/common.h"

struct test_case {
	const char *name;
	void (*run)(void);
};

#define TEST_CASE(function) { #function, function }

void test_fail(const char *file, int line, const char *fmt, ...)
    ATTR_PRINTF(3, 4);
bool test_case_failed(void);

/* Runs every case, prints one line per case and the totals; returns the
 * process exit status (0 when all passed). */
int test_main(const struct test_case *cases, size_t count);

/* A scratch directory for the current binary, removed at exit. */
const char *test_temp_dir(void);

#define test_assert(expr)                                                 \
	do {                                                              \
		if (!(expr))                                              \
			test_fail(__FILE__, __LINE__, "%s", #expr);       \
	} while (0)

#define test_require(expr)                                                \
	do {                                                              \
		if (!(expr)) {                                            \
			test_fail(__FILE__, __LINE__, "%s", #expr);       \
			return;                                           \
		}                                                         \
	} while (0)

#define test_assert_int(a, b)                                             \
	do {                                                              \
		long long test_a_ = (long long)(a), test_b_ = (long long)(b); \
		if (test_a_ != test_b_)                                   \
			test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
			    #a, #b, test_a_, test_b_);                    \
	} while (0)

#define test_assert_string(a, b)                                          \
	do {                                                              \
		const char *test_a_ = (a), *test_b_ = (b);                \
		if (test_a_ == NULL || test_b_ == NULL ||                 \
		    strcmp(test_a_, test_b_) != 0)                        \
			test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", \
			    #a, #b, test_a_ ? test_a_ : "(null)",         \
			    test_b_ ? test_b_ : "(null)");                \
	} while (0)

#endif
