/* test_auth_verify.c: unit tests for mailstore/auth_verify against a
 * real sluice.db in the scratch directory. */
#include "mailstore/auth_verify.h"
#include "mailstore/user_accounts.h"
#include "tests/unit/harness.h"

#include <pthread.h>
#include <time.h>

#define THREADS 4

/* A sluice.db with example.test, alice (quota 2 GiB) and bob. */
static struct auth_verify *
verify_new(const char *name)
{
	struct user_accounts *accounts;
	struct auth_verify *verify = NULL;
	const char *error = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	if (user_accounts_open(path, &accounts, &error) < 0 ||
	    user_accounts_domain_add(accounts, "example.test", &error) < 0 ||
	    user_accounts_user_add(accounts, "alice@example.test",
	    "alice password", &error) < 0 ||
	    user_accounts_user_add(accounts, "bob@example.test",
	    "bob password", &error) < 0 ||
	    user_accounts_set_quota(accounts, "alice@example.test",
	    (uint64_t)2 << 30, &error) < 0) {
		test_fail(__FILE__, __LINE__, "setup: %s", error);
		return NULL;
	}
	user_accounts_close(&accounts);
	if (auth_verify_new(path, &verify, &error) < 0)
		test_fail(__FILE__, __LINE__, "new: %s", error);
	return verify;
}

static enum auth_verify_status
run(struct auth_verify *verify, const char *login, const char *password,
    struct auth_verify_result *result)
{
	struct auth_verify_request request;

	memset(&request, 0, sizeof(request));
	snprintf(request.login, sizeof(request.login), "%s", login);
	snprintf(request.password, sizeof(request.password), "%s", password);
	auth_verify_run(verify, &request, result);
	return result->status;
}

static void
test_auth_verify_logins(void)
{
	static const struct {
		const char *login, *password;
	} refused[] = {
		{ "alice@example.test", "alice passworD" },
		{ "alice@example.test", "" },
		{ "carol@example.test", "alice password" },
		{ "alice@other.test", "alice password" },
		{ "alice+tag@example.test", "alice password" },
		{ "alice", "alice password" },
		{ "@example.test", "alice password" },
		{ "alice@", "alice password" },
		{ "alice@example.test@example.test", "alice password" },
		{ "", "alice password" },
	};
	struct auth_verify *verify = verify_new("logins.db");
	struct auth_verify_result result;
	size_t i;

	test_require(verify != NULL);
	test_assert_int(run(verify, "alice@example.test", "alice password",
	    &result), AUTH_VERIFY_OK);
	test_assert_string(result.user, "alice@example.test");
	test_assert(result.quota_bytes == (uint64_t)2 << 30);
	test_assert_int(run(verify, "Alice@EXAMPLE.test", "alice password",
	    &result), AUTH_VERIFY_OK);
	test_assert_string(result.user, "alice@example.test");
	test_assert_int(run(verify, "BOB@example.test", "bob password",
	    &result), AUTH_VERIFY_OK);
	test_assert_string(result.user, "bob@example.test");
	test_assert_int(result.quota_bytes, 0);
	for (i = 0; i < ARRAY_LENGTH(refused); i++) {
		test_assert_int(run(verify, refused[i].login,
		    refused[i].password, &result), AUTH_VERIFY_FAILED);
		test_assert_string(result.user, "");
		test_assert_int(result.quota_bytes, 0);
		if (test_case_failed()) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i,
			    refused[i].login);
			break;
		}
	}
	auth_verify_free(&verify);
	test_assert(verify == NULL);
	auth_verify_free(&verify);
}

static void *
run_jobs(void *context)
{
	struct auth_verify_job *jobs = context;
	int i;

	for (i = 0; i < 2; i++)
		auth_verify_work(&jobs[i]);
	return NULL;
}

/* Jobs on several threads at once, each taking its own connection. */
static void
test_auth_verify_threads(void)
{
	struct auth_verify *verify = verify_new("threads.db");
	struct auth_verify_job jobs[THREADS][2];
	pthread_t threads[THREADS];
	int i;

	test_require(verify != NULL);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < THREADS; i++) {
		jobs[i][0].verify = jobs[i][1].verify = verify;
		snprintf(jobs[i][0].request.login, sizeof(jobs[i][0].request.login),
		    "%s", i % 2 ? "alice@example.test" : "bob@example.test");
		snprintf(jobs[i][0].request.password,
		    sizeof(jobs[i][0].request.password), "%s",
		    i % 2 ? "alice password" : "bob password");
		snprintf(jobs[i][1].request.login, sizeof(jobs[i][1].request.login),
		    "nobody%d@example.test", i);
		snprintf(jobs[i][1].request.password,
		    sizeof(jobs[i][1].request.password), "guess");
		test_require(pthread_create(&threads[i], NULL, run_jobs,
		    jobs[i]) == 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < THREADS; i++) {
		test_assert_int(jobs[i][0].result.status, AUTH_VERIFY_OK);
		test_assert_string(jobs[i][0].result.user,
		    i % 2 ? "alice@example.test" : "bob@example.test");
		test_assert_int(jobs[i][1].result.status, AUTH_VERIFY_FAILED);
		/* The work function wipes the password. */
		test_assert_int(jobs[i][0].request.password[0], '\0');
	}
	auth_verify_free(&verify);
}

static double
seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Seconds one check takes. */
static double
timed(struct auth_verify *verify, const char *login, const char *password)
{
	struct auth_verify_result result;
	double start = seconds_now();

	test_assert_int(run(verify, login, password, &result),
	    AUTH_VERIFY_FAILED);
	return seconds_now() - start;
}

/* An unknown user takes about as long as a wrong password, the very
 * first one included (loose bounds: this is a shared machine). */
static void
test_auth_verify_timing(void)
{
	struct auth_verify *verify = verify_new("timing.db");
	double unknown = 0, wrong = 0;
	int i;

	test_require(verify != NULL);
	unknown += timed(verify, "ghost@example.test", "a guess");
	wrong += timed(verify, "alice@example.test", "a guess");
	for (i = 0; i < 3; i++) {
		unknown += timed(verify, "ghost@example.test", "a guess");
		wrong += timed(verify, "alice@example.test", "a guess");
	}
	test_assert(unknown > wrong / 2.5 && unknown < wrong * 2.5);
	if (test_case_failed())
		test_fail(__FILE__, __LINE__, "unknown %.3fs, wrong %.3fs",
		    unknown, wrong);
	auth_verify_free(&verify);
}

static void
test_auth_verify_open_error(void)
{
	struct auth_verify *verify = NULL;
	const char *error = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/missing/sluice.db", test_temp_dir());
	test_assert_int(auth_verify_new(path, &verify, &error), -1);
	test_assert(verify == NULL);
	test_assert(error != NULL && strstr(error, path) != NULL);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_auth_verify_logins),
		TEST_CASE(test_auth_verify_threads),
		TEST_CASE(test_auth_verify_timing),
		TEST_CASE(test_auth_verify_open_error),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
