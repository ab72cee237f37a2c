/* test_bayes_store.c: unit tests for bayes/bayes_store (the checks and
 * dispatch in front of the backend), with a recording stub backend. */
#include "bayes/bayes_store_private.h"
#include "tests/unit/harness.h"

static int calls;
static bool closed;
static const char *last_key;
static size_t last_count;

static void
stub_close(struct bayes_store *store)
{
	(void)store;
	closed = true;
}

static int
stub_learn(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
    enum bayes_store_learn_result *result_r, const char **error_r)
{
	(void)store, (void)tokens, (void)is_spam, (void)now, (void)error_r;
	calls++;
	last_key = key;
	last_count = count;
	*result_r = BAYES_STORE_RELEARNED;
	return 0;
}

static int
stub_forget(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool *found_r,
    const char **error_r)
{
	(void)store, (void)tokens, (void)error_r;
	calls++;
	last_key = key;
	last_count = count;
	*found_r = true;
	return 0;
}

static int
stub_get_counts(struct bayes_store *store, const uint64_t *tokens,
    size_t count, struct bayes_store_counts *counts_r, const char **error_r)
{
	(void)store, (void)tokens, (void)counts_r, (void)error_r;
	calls++;
	last_count = count;
	return 0;
}

static int
stub_expire(struct bayes_store *store, uint64_t max_tokens,
    uint64_t *removed_r, const char **error_r)
{
	(void)store, (void)error_r;
	calls++;
	*removed_r = max_tokens;
	return 0;
}

static const struct bayes_store_backend stub_backend = {
	.name = "stub",
	.close = stub_close,
	.learn = stub_learn,
	.forget = stub_forget,
	.get_counts = stub_get_counts,
	.expire = stub_expire,
};

static void
test_bayes_store_dispatch(void)
{
	static struct bayes_store stub = { &stub_backend };
	struct bayes_store *store = &stub;
	enum bayes_store_learn_result result = BAYES_STORE_LEARNED;
	struct bayes_store_counts counts;
	uint64_t token = 7, removed = 0;
	const char *error = NULL;
	bool found = false;

	test_assert_string(bayes_store_backend_name(store), "stub");
	test_assert_int(bayes_store_learn(store, "k", &token, 1, true, 0,
	    &result, &error), 0);
	test_assert_int(result, BAYES_STORE_RELEARNED);
	test_assert_string(last_key, "k");
	/* NULL result pointers are allowed. */
	test_assert_int(bayes_store_learn(store, "k", &token, 1, true, 0,
	    NULL, &error), 0);
	test_assert_int(bayes_store_forget(store, "f", &token, 1, &found,
	    &error), 0);
	test_assert(found);
	test_assert_int(bayes_store_forget(store, "f", &token, 1, NULL,
	    &error), 0);
	test_assert_int(bayes_store_expire(store, 9, &removed, &error), 0);
	test_assert_int(removed, 9);
	test_assert_int(calls, 5);
	/* An empty lookup never reaches the backend. */
	test_assert_int(bayes_store_get_counts(store, &token, 0, &counts,
	    &error), 0);
	test_assert_int(calls, 5);
	test_assert_int(bayes_store_get_counts(store, &token, 1, &counts,
	    &error), 0);
	test_assert_int(calls, 6);
	bayes_store_close(&store);
	test_assert(closed);
	test_assert(store == NULL);
	bayes_store_close(&store);
}

static void
test_bayes_store_key_limits(void)
{
	static struct bayes_store stub = { &stub_backend };
	char key[BAYES_STORE_KEY_MAX + 2];
	const char *error = NULL;
	uint64_t token = 1;

	calls = 0;
	test_assert_int(bayes_store_learn(&stub, "", &token, 1, true, 0, NULL,
	    &error), -1);
	test_assert(error != NULL && strstr(error, "key") != NULL);
	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	test_assert_int(bayes_store_forget(&stub, key, &token, 1, NULL,
	    &error), -1);
	test_assert_int(calls, 0);
	key[BAYES_STORE_KEY_MAX] = '\0';
	test_assert_int(bayes_store_forget(&stub, key, &token, 1, NULL,
	    &error), 0);
	test_assert_int(last_count, 1);
	test_assert_int(calls, 1);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_bayes_store_dispatch),
		TEST_CASE(test_bayes_store_key_limits),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
