/* test_bayes_store_sqlite.c: unit tests for bayes/bayes_store_sqlite
 * through the bayes_store interface. */
#include "bayes/bayes_store.h"
#include "tests/unit/harness.h"

#include <time.h>
#include <unistd.h>

static struct bayes_store *
open_store(const char *name)
{
	struct bayes_store *store = NULL;
	const char *error = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	unlink(path);
	if (bayes_store_sqlite_open(path, &store, &error) < 0)
		test_fail(__FILE__, __LINE__, "open %s: %s", path, error);
	return store;
}

static void
assert_totals(struct bayes_store *store, uint64_t spam, uint64_t ham,
    uint64_t tokens, int line)
{
	struct bayes_store_totals totals;
	const char *error;

	if (bayes_store_get_totals(store, &totals, &error) < 0) {
		test_fail(__FILE__, line, "totals: %s", error);
		return;
	}
	if (totals.spam_messages != spam || totals.ham_messages != ham ||
	    totals.token_count != tokens)
		test_fail(__FILE__, line, "totals %llu/%llu/%llu, expected "
		    "%llu/%llu/%llu", (unsigned long long)totals.spam_messages,
		    (unsigned long long)totals.ham_messages,
		    (unsigned long long)totals.token_count,
		    (unsigned long long)spam, (unsigned long long)ham,
		    (unsigned long long)tokens);
}

#define ASSERT_TOTALS(store, spam, ham, tokens) \
	assert_totals(store, spam, ham, tokens, __LINE__)

static void
assert_counts(struct bayes_store *store, uint64_t token, uint64_t spam,
    uint64_t ham, int line)
{
	struct bayes_store_counts counts;
	const char *error;

	if (bayes_store_get_counts(store, &token, 1, &counts, &error) < 0) {
		test_fail(__FILE__, line, "counts: %s", error);
		return;
	}
	if (counts.spam != spam || counts.ham != ham)
		test_fail(__FILE__, line, "token %llx: %llu/%llu, expected "
		    "%llu/%llu", (unsigned long long)token,
		    (unsigned long long)counts.spam,
		    (unsigned long long)counts.ham, (unsigned long long)spam,
		    (unsigned long long)ham);
}

#define ASSERT_COUNTS(store, token, spam, ham) \
	assert_counts(store, token, spam, ham, __LINE__)

/* High bits set on purpose: hashes use all 64 bits. */
static const uint64_t tokens_a[] = { 1, 2, 0xffffffffffffffffULL,
	0x8000000000000000ULL, 2 };
static const uint64_t tokens_b[] = { 2, 3 };

static void
test_bayes_store_sqlite_learn_round_trip(void)
{
	struct bayes_store *store = open_store("round_trip.db");
	enum bayes_store_learn_result result = BAYES_STORE_UNCHANGED;
	struct bayes_store_counts counts[6];
	uint64_t query[6] = { 2, 99, 1, 0xffffffffffffffffULL, 3,
		0x8000000000000000ULL };
	const char *error;

	test_require(store != NULL);
	test_assert_string(bayes_store_backend_name(store), "sqlite");
	ASSERT_TOTALS(store, 0, 0, 0);
	test_assert_int(bayes_store_learn(store, "<a@x> 1111", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 1000, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_LEARNED);
	test_assert_int(bayes_store_learn(store, "<b@x> 2222", tokens_b,
	    ARRAY_LENGTH(tokens_b), false, 1000, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_LEARNED);
	/* Token 2 twice in tokens_a counts once. */
	ASSERT_TOTALS(store, 1, 1, 5);
	test_require(bayes_store_get_counts(store, query, 6, counts,
	    &error) == 0);
	test_assert_int(counts[0].spam, 1);
	test_assert_int(counts[0].ham, 1);
	test_assert_int(counts[1].spam, 0);
	test_assert_int(counts[1].ham, 0);
	test_assert_int(counts[2].spam, 1);
	test_assert_int(counts[3].spam, 1);
	test_assert_int(counts[4].ham, 1);
	test_assert_int(counts[4].spam, 0);
	test_assert_int(counts[5].spam, 1);
	bayes_store_close(&store);
	test_assert(store == NULL);

	/* Reopening finds the same data. */
	{
		struct bayes_store *again = NULL;
		char path[512];

		snprintf(path, sizeof(path), "%s/round_trip.db",
		    test_temp_dir());
		test_require(bayes_store_sqlite_open(path, &again,
		    &error) == 0);
		ASSERT_TOTALS(again, 1, 1, 5);
		ASSERT_COUNTS(again, 2, 1, 1);
		bayes_store_close(&again);
	}
}

static void
test_bayes_store_sqlite_relearn(void)
{
	struct bayes_store *store = open_store("relearn.db");
	enum bayes_store_learn_result result;
	const char *error;
	bool found = false;

	test_require(store != NULL);
	test_assert_int(bayes_store_learn(store, "k1", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 10, &result, &error), 0);
	test_assert_int(bayes_store_learn(store, "k2", tokens_b,
	    ARRAY_LENGTH(tokens_b), true, 10, &result, &error), 0);
	/* Same class again: nothing moves. */
	test_assert_int(bayes_store_learn(store, "k1", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 20, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_UNCHANGED);
	ASSERT_TOTALS(store, 2, 0, 5);
	ASSERT_COUNTS(store, 2, 2, 0);
	/* Spam to ham moves k1's counts. */
	test_assert_int(bayes_store_learn(store, "k1", tokens_a,
	    ARRAY_LENGTH(tokens_a), false, 30, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_RELEARNED);
	ASSERT_TOTALS(store, 1, 1, 5);
	ASSERT_COUNTS(store, 1, 0, 1);
	ASSERT_COUNTS(store, 2, 1, 1);
	ASSERT_COUNTS(store, 3, 1, 0);
	/* And back. */
	test_assert_int(bayes_store_learn(store, "k1", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 40, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_RELEARNED);
	ASSERT_TOTALS(store, 2, 0, 5);
	ASSERT_COUNTS(store, 2, 2, 0);

	/* Forget k2: its tokens go down, token 3 disappears. */
	test_assert_int(bayes_store_forget(store, "k2", tokens_b,
	    ARRAY_LENGTH(tokens_b), &found, &error), 0);
	test_assert(found);
	ASSERT_TOTALS(store, 1, 0, 4);
	ASSERT_COUNTS(store, 2, 1, 0);
	ASSERT_COUNTS(store, 3, 0, 0);
	test_assert_int(bayes_store_forget(store, "k2", tokens_b,
	    ARRAY_LENGTH(tokens_b), &found, &error), 0);
	test_assert(!found);
	ASSERT_TOTALS(store, 1, 0, 4);
	/* Forgotten, it can be learned anew. */
	test_assert_int(bayes_store_learn(store, "k2", tokens_b,
	    ARRAY_LENGTH(tokens_b), false, 50, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_LEARNED);
	ASSERT_TOTALS(store, 1, 1, 5);
	bayes_store_close(&store);
}

static void
test_bayes_store_sqlite_bad_key(void)
{
	struct bayes_store *store = open_store("bad_key.db");
	char key[BAYES_STORE_KEY_MAX + 2];
	const char *error = NULL;

	test_require(store != NULL);
	test_assert_int(bayes_store_learn(store, "", tokens_b, 2, true, 1,
	    NULL, &error), -1);
	test_assert(error != NULL && strstr(error, "key") != NULL);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	test_assert_int(bayes_store_learn(store, key, tokens_b, 2, true, 1,
	    NULL, &error), -1);
	key[BAYES_STORE_KEY_MAX] = '\0';
	test_assert_int(bayes_store_learn(store, key, tokens_b, 2, true, 1,
	    NULL, &error), 0);
	ASSERT_TOTALS(store, 1, 0, 2);
	bayes_store_close(&store);
}

static void
test_bayes_store_sqlite_expire(void)
{
	struct bayes_store *store = open_store("expire.db");
	uint64_t tokens[10], removed = 99;
	const char *error;
	char key[32];
	int i;

	test_require(store != NULL);
	/* Message i has tokens 10*i+1 and 10*i+2 at time 100+i. */
	for (i = 0; i < 5; i++) {
		tokens[0] = (uint64_t)(10 * i + 1);
		tokens[1] = (uint64_t)(10 * i + 2);
		snprintf(key, sizeof(key), "m%d", i);
		test_require(bayes_store_learn(store, key, tokens, 2, i % 2,
		    100 + i, NULL, &error) == 0);
	}
	ASSERT_TOTALS(store, 2, 3, 10);
	/* Touching message 0's first token makes it the newest. */
	tokens[0] = 1;
	tokens[1] = 12345; /* unknown: ignored */
	test_assert_int(bayes_store_touch(store, tokens, 2, 200, &error), 0);
	test_assert_int(bayes_store_expire(store, 20, &removed, &error), 0);
	test_assert_int(removed, 0);
	test_assert_int(bayes_store_expire(store, 5, &removed, &error), 0);
	test_assert_int(removed, 5);
	ASSERT_TOTALS(store, 2, 3, 5);
	/* Gone: 2, 11, 12, 21, 22 (oldest); kept: 1 (touched), 31.. */
	ASSERT_COUNTS(store, 1, 0, 1);
	ASSERT_COUNTS(store, 2, 0, 0);
	ASSERT_COUNTS(store, 12, 0, 0);
	ASSERT_COUNTS(store, 22, 0, 0);
	ASSERT_COUNTS(store, 31, 1, 0);
	ASSERT_COUNTS(store, 42, 0, 1);
	test_assert_int(bayes_store_expire(store, 0, &removed, &error), 0);
	test_assert_int(removed, 5);
	ASSERT_TOTALS(store, 2, 3, 0);
	bayes_store_close(&store);
}

static char *
backup_text(struct bayes_store *store)
{
	char *text = NULL;
	size_t size = 0;
	const char *error;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		return NULL;
	if (bayes_store_backup(store, out, &error) < 0)
		test_fail(__FILE__, __LINE__, "backup: %s", error);
	fclose(out);
	return text;
}

static int
restore_text(struct bayes_store *store, const char *text,
    const char **error_r)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (in == NULL)
		return -1;
	ret = bayes_store_restore(store, in, error_r);
	fclose(in);
	return ret;
}

static void
test_bayes_store_sqlite_backup_restore(void)
{
	struct bayes_store *store = open_store("backup.db");
	struct bayes_store *copy = open_store("restored.db");
	char *first, *second;
	const char *error;

	test_require(store != NULL && copy != NULL);
	test_require(bayes_store_learn(store, "<a b%c\t\xc3\xa9@x> 1",
	    tokens_a, ARRAY_LENGTH(tokens_a), true, 1700000000, NULL,
	    &error) == 0);
	test_require(bayes_store_learn(store, "k2", tokens_b,
	    ARRAY_LENGTH(tokens_b), false, 1700000100, NULL, &error) == 0);
	first = backup_text(store);
	test_require(first != NULL);
	test_assert_string(first,
	    "sluice-bayes-backup 1\n"
	    "totals 1 1\n"
	    "token 8000000000000000 1 0 1700000000\n"
	    "token ffffffffffffffff 1 0 1700000000\n"
	    "token 0000000000000001 1 0 1700000000\n"
	    "token 0000000000000002 1 1 1700000100\n"
	    "token 0000000000000003 0 1 1700000100\n"
	    "seen spam 1700000000 <a%20b%25c%09%C3%A9@x>%201\n"
	    "seen ham 1700000100 k2\n");
	/* Restore into a store with other data replaces it. */
	test_require(bayes_store_learn(copy, "other", tokens_b, 2, true, 5,
	    NULL, &error) == 0);
	test_assert_int(restore_text(copy, first, &error), 0);
	second = backup_text(copy);
	test_assert_string(second, first);
	ASSERT_TOTALS(copy, 1, 1, 5);
	/* The seen table came back: relearning is still a no-op. */
	{
		enum bayes_store_learn_result result;

		test_assert_int(bayes_store_learn(copy,
		    "<a b%c\t\xc3\xa9@x> 1", tokens_a, ARRAY_LENGTH(tokens_a),
		    true, 1, &result, &error), 0);
		test_assert_int(result, BAYES_STORE_UNCHANGED);
	}
	free(second);
	free(first);
	bayes_store_close(&copy);
	bayes_store_close(&store);
}

static void
test_bayes_store_sqlite_restore_errors(void)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "", "no totals" },
		{ "sluice-bayes-backup 2\ntotals 0 0\n", "line 1" },
		{ "sluice-bayes-backup 1\ntotals 0\n", "line 2: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\ntotals 1 1\n",
		    "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\ntoken 1 1 0 5\n",
		    "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\n"
		  "token 0000000000000001 0 0 5\n", "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\n"
		  "token 0000000000000001 -1 0 5\n", "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\n"
		  "token 0000000000000001 1 0 5\n"
		  "token 0000000000000001 1 0 5\n", "line 4" },
		{ "sluice-bayes-backup 1\ntotals 1 1\nseen spam 5 a b\n",
		    "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\nseen spam 5 %00\n",
		    "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1\nseen maybe 5 k\n",
		    "line 3: syntax" },
		{ "sluice-bayes-backup 1\ntotals 1 1", "line 2: too long" },
		{ "sluice-bayes-backup 1\ntotals 1 1\nbogus\n",
		    "line 3: syntax" },
	};
	struct bayes_store *store = open_store("restore_errors.db");
	const char *error;
	char *before, *after;
	size_t i;

	test_require(store != NULL);
	test_require(bayes_store_learn(store, "keep", tokens_b, 2, true, 7,
	    NULL, &error) == 0);
	before = backup_text(store);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		error = NULL;
		if (restore_text(store, cases[i].text, &error) != -1 ||
		    error == NULL || strstr(error, cases[i].error) == NULL)
			test_fail(__FILE__, __LINE__, "case %zu: %s", i,
			    error != NULL ? error : "(no error)");
	}
	/* A failed restore leaves the store as it was. */
	after = backup_text(store);
	test_assert_string(after, before);
	free(after);
	free(before);
	bayes_store_close(&store);
}

static void
test_bayes_store_sqlite_clear(void)
{
	struct bayes_store *store = open_store("clear.db");
	enum bayes_store_learn_result result;
	const char *error;

	test_require(store != NULL);
	test_require(bayes_store_learn(store, "k", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 7, NULL, &error) == 0);
	test_assert_int(bayes_store_clear(store, &error), 0);
	ASSERT_TOTALS(store, 0, 0, 0);
	ASSERT_COUNTS(store, 1, 0, 0);
	test_assert_int(bayes_store_learn(store, "k", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 7, &result, &error), 0);
	test_assert_int(result, BAYES_STORE_LEARNED);
	bayes_store_close(&store);
}

static void
test_bayes_store_sqlite_batch(void)
{
	struct bayes_store *store = open_store("batch.db");
	struct bayes_store *reader = NULL;
	const char *error;
	char path[512];
	char *before;

	test_require(store != NULL);
	snprintf(path, sizeof(path), "%s/batch.db", test_temp_dir());
	test_require(bayes_store_sqlite_open(path, &reader, &error) == 0);
	test_require(bayes_store_batch_begin(store, &error) == 0);
	test_assert_int(bayes_store_learn(store, "m1", tokens_a,
	    ARRAY_LENGTH(tokens_a), true, 1, NULL, &error), 0);
	before = backup_text(store);
	/* A failing change undoes only itself; the batch goes on. */
	test_assert_int(restore_text(store, "sluice-bayes-backup 1\n"
	    "totals 0 0\nbogus\n", &error), -1);
	{
		char *after = backup_text(store);

		test_assert_string(after, before);
		free(after);
	}
	test_assert_int(bayes_store_learn(store, "m2", tokens_b,
	    ARRAY_LENGTH(tokens_b), false, 2, NULL, &error), 0);
	/* The batch reads its own changes; others do not see them yet. */
	ASSERT_TOTALS(store, 1, 1, 5);
	ASSERT_COUNTS(store, 2, 1, 1);
	ASSERT_TOTALS(reader, 0, 0, 0);
	test_assert_int(bayes_store_batch_end(store, true, &error), 0);
	ASSERT_TOTALS(reader, 1, 1, 5);

	/* A batch ended without commit leaves nothing behind. */
	test_require(bayes_store_batch_begin(store, &error) == 0);
	test_assert_int(bayes_store_forget(store, "m1", tokens_a,
	    ARRAY_LENGTH(tokens_a), NULL, &error), 0);
	ASSERT_TOTALS(store, 0, 1, 2);
	test_assert_int(bayes_store_batch_end(store, false, &error), 0);
	ASSERT_TOTALS(store, 1, 1, 5);
	free(before);
	bayes_store_close(&reader);
	bayes_store_close(&store);
}

static double
elapsed_msec(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void
test_bayes_store_sqlite_batched_read(void)
{
	enum { TOKEN_COUNT = 5000 };
	static uint64_t tokens[TOKEN_COUNT], even[TOKEN_COUNT / 2];
	static struct bayes_store_counts counts[TOKEN_COUNT];
	struct bayes_store *store = open_store("batched.db");
	struct timespec start;
	const char *error;
	double msec;
	size_t i;
	bool right = true;

	test_require(store != NULL);
	/* Spread the hashes over all 64 bits; learn the even-indexed ones. */
	for (i = 0; i < TOKEN_COUNT; i++)
		tokens[i] = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < TOKEN_COUNT / 2; i++)
		even[i] = tokens[2 * i];
	test_require(bayes_store_learn(store, "big", even, TOKEN_COUNT / 2,
	    true, 1, NULL, &error) == 0);
	ASSERT_TOTALS(store, 1, 0, TOKEN_COUNT / 2);
	clock_gettime(CLOCK_MONOTONIC, &start);
	test_require(bayes_store_get_counts(store, tokens, TOKEN_COUNT,
	    counts, &error) == 0);
	msec = elapsed_msec(&start);
	for (i = 0; i < TOKEN_COUNT; i++) {
		if (counts[i].spam != (i % 2 == 0 ? 1u : 0u) ||
		    counts[i].ham != 0)
			right = false;
	}
	test_assert(right);
	if (msec >= 50.0)
		test_fail(__FILE__, __LINE__, "5000 tokens read in %.1f ms",
		    msec);
	bayes_store_close(&store);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_bayes_store_sqlite_learn_round_trip),
		TEST_CASE(test_bayes_store_sqlite_relearn),
		TEST_CASE(test_bayes_store_sqlite_bad_key),
		TEST_CASE(test_bayes_store_sqlite_expire),
		TEST_CASE(test_bayes_store_sqlite_backup_restore),
		TEST_CASE(test_bayes_store_sqlite_restore_errors),
		TEST_CASE(test_bayes_store_sqlite_clear),
		TEST_CASE(test_bayes_store_sqlite_batch),
		TEST_CASE(test_bayes_store_sqlite_batched_read),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
