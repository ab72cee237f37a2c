/* test_worker_pool.c: unit tests for lib/worker_pool: jobs run on worker
 * threads in FIFO order, done() runs on the loop thread, free drains. */
#include "lib/worker_pool.h"
#include "tests/unit/harness.h"
#include "tests/unit/loop_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define GUARD_MSEC 4000

struct pool_test {
	struct loop *loop;
	struct worker_pool *pool;
	pthread_t loop_thread;
	atomic_int work_starts;
	atomic_int work_runs;
	atomic_int work_on_loop_thread;
	int done_runs;
	int done_off_loop_thread;
	int done_target;
	/* Single-thread FIFO checks. */
	int started[64];
	int started_count;
	int completed[64];
	int completed_count;
};

struct pool_job {
	struct pool_test *test;
	int index;
	unsigned int sleep_usec;
};

static void
job_work(void *context)
{
	struct pool_job *job = context;
	struct pool_test *test = job->test;
	int slot;

	slot = atomic_fetch_add(&test->work_starts, 1);
	/* Only single-thread tests give indexes, so no two workers write
	 * started[] at once. */
	if (job->index >= 0 && slot < 64)
		test->started[slot] = job->index;
	if (pthread_equal(pthread_self(), test->loop_thread))
		atomic_fetch_add(&test->work_on_loop_thread, 1);
	if (job->sleep_usec > 0)
		usleep(job->sleep_usec);
	atomic_fetch_add(&test->work_runs, 1);
}

static void
job_done(void *context)
{
	struct pool_job *job = context;
	struct pool_test *test = job->test;

	if (!pthread_equal(pthread_self(), test->loop_thread))
		test->done_off_loop_thread++;
	if (test->completed_count < 64 && job->index >= 0 && job->index < 64)
		test->completed[test->completed_count++] = job->index;
	test->done_runs++;
	if (test->done_runs == test->done_target)
		loop_stop(test->loop);
}

static void
pool_test_init(struct pool_test *test, unsigned threads)
{
	memset(test, 0, sizeof(*test));
	test->loop = loop_new();
	test->loop_thread = pthread_self();
	atomic_init(&test->work_starts, 0);
	atomic_init(&test->work_runs, 0);
	atomic_init(&test->work_on_loop_thread, 0);
	test->pool = worker_pool_new(test->loop, threads);
}

static void
test_worker_pool_thousand_jobs(void)
{
	struct pool_test test;
	struct pool_job *jobs;
	struct loop_guard guard;
	int i;

	pool_test_init(&test, 4);
	test_assert_int(worker_pool_threads(test.pool), 4);
	loop_guard_start(&guard, test.loop, GUARD_MSEC);
	jobs = calloc(1000, sizeof(*jobs));
	test_require(jobs != NULL);
	test.done_target = 1000;
	for (i = 0; i < 1000; i++) {
		jobs[i] = (struct pool_job){ .test = &test, .index = -1 };
		worker_pool_submit(test.pool, job_work, job_done, &jobs[i]);
	}
	test_assert(worker_pool_pending(test.pool) > 0);
	test_assert_int(loop_run(test.loop), 0);
	test_assert(!guard.fired);
	test_assert_int(atomic_load(&test.work_runs), 1000);
	test_assert_int(test.done_runs, 1000);
	test_assert_int(test.done_off_loop_thread, 0);
	test_assert_int(atomic_load(&test.work_on_loop_thread), 0);
	test_assert_int(worker_pool_pending(test.pool), 0);
	worker_pool_free(&test.pool);
	test_assert(test.pool == NULL);
	loop_guard_stop(&guard);
	loop_free(&test.loop);
	free(jobs);
}

static void
test_worker_pool_fifo_with_one_thread(void)
{
	struct pool_test test;
	struct pool_job jobs[50];
	struct loop_guard guard;
	int i;

	pool_test_init(&test, 1);
	loop_guard_start(&guard, test.loop, GUARD_MSEC);
	test.done_target = 50;
	for (i = 0; i < 50; i++) {
		/* Early jobs are slower, so any reordering would show. */
		jobs[i] = (struct pool_job){ .test = &test, .index = i,
		    .sleep_usec = i < 5 ? 2000 : 0 };
		worker_pool_submit(test.pool, job_work, job_done, &jobs[i]);
	}
	test_assert_int(worker_pool_pending(test.pool), 50);
	test_assert_int(loop_run(test.loop), 0);
	test_assert(!guard.fired);
	test_assert_int(test.completed_count, 50);
	for (i = 0; i < 50; i++) {
		test_assert_int(test.started[i], i);
		test_assert_int(test.completed[i], i);
	}
	worker_pool_free(&test.pool);
	loop_guard_stop(&guard);
	loop_free(&test.loop);
}

static void
test_worker_pool_free_waits_for_queued_jobs(void)
{
	struct pool_test test;
	struct pool_job jobs[40];
	int i;

	pool_test_init(&test, 2);
	for (i = 0; i < 40; i++) {
		jobs[i] = (struct pool_job){ .test = &test, .index = -1,
		    .sleep_usec = 1000 };
		/* Some jobs have no done(): pending must still drop. */
		worker_pool_submit(test.pool, job_work,
		    i % 4 == 0 ? NULL : job_done, &jobs[i]);
	}
	test_assert_int(worker_pool_pending(test.pool), 40);
	/* No loop_run(): free pumps the completions itself. */
	worker_pool_free(&test.pool);
	test_assert(test.pool == NULL);
	test_assert_int(atomic_load(&test.work_runs), 40);
	test_assert_int(test.done_runs, 30);
	test_assert_int(test.done_off_loop_thread, 0);
	loop_free(&test.loop);
}

/* A done() that submits a follow-up job, as a session resuming with a
 * second stage would. */
struct chain_job {
	struct worker_pool *pool;
	int remaining;
	int done_runs;
};

static void
chain_work(void *context)
{
	(void)context;
}

static void
chain_done(void *context)
{
	struct chain_job *chain = context;

	chain->done_runs++;
	if (chain->remaining-- > 0)
		worker_pool_submit(chain->pool, chain_work, chain_done, chain);
}

static void
test_worker_pool_done_may_submit(void)
{
	struct loop *loop = loop_new();
	struct chain_job chain = { .remaining = 5 };

	chain.pool = worker_pool_new(loop, 3);
	worker_pool_submit(chain.pool, chain_work, chain_done, &chain);
	worker_pool_free(&chain.pool);
	test_assert_int(chain.done_runs, 6);
	test_assert_int(chain.remaining, -1);
	loop_free(&loop);
}

static void
test_worker_pool_default_threads(void)
{
	struct loop *loop = loop_new();
	struct worker_pool *pool = worker_pool_new(loop, 0);
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	test_assert_int(worker_pool_threads(pool), online < 1 ? 1 :
	    MIN(online, 256));
	test_assert_int(worker_pool_pending(pool), 0);
	worker_pool_free(&pool);
	loop_free(&loop);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_worker_pool_thousand_jobs),
		TEST_CASE(test_worker_pool_fifo_with_one_thread),
		TEST_CASE(test_worker_pool_free_waits_for_queued_jobs),
		TEST_CASE(test_worker_pool_done_may_submit),
		TEST_CASE(test_worker_pool_default_threads),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
