/* worker_pool.c: a fixed set of threads running blocking jobs, with
 * completions handed back to the loop.
 *
 * DESIGN: one mutex guards two singly linked FIFO lists: `queue` (jobs
 * waiting for a thread) and `completed` (jobs whose work() returned and
 * whose done() has not run yet). A worker that puts the first job on an
 * empty completed list rings the loop_waker; the loop then takes the
 * whole list at once and runs the done() calls without the lock held,
 * so a done() may submit new jobs. `pending` is only touched on the loop
 * thread. worker_pool_free() runs the completion pump itself while it
 * waits, so it needs no running loop. Workers block all signals so that
 * signals reach the loop thread's handlers. */
#include "lib/worker_pool.h"

#include "lib/alloc.h"
#include "lib/log.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

/* More threads than this is a configuration mistake, not a pool. */
#define WORKER_POOL_THREADS_MAX 256

struct worker_pool_job {
	struct worker_pool_job *next;
	void (*work)(void *context);
	void (*done)(void *context);
	void *context;
};

struct worker_pool_list {
	struct worker_pool_job *head;
	struct worker_pool_job *tail;
};

struct worker_pool {
	struct loop_waker *waker;
	pthread_mutex_t mutex;
	pthread_cond_t job_queued;    /* queue got a job, or stopping */
	pthread_cond_t job_completed; /* completed got a job */
	struct worker_pool_list queue;
	struct worker_pool_list completed;
	bool stopping;
	size_t pending; /* loop thread only */
	unsigned int thread_count;
	pthread_t *threads;
};

static void
worker_pool_list_append(struct worker_pool_list *list,
    struct worker_pool_job *job)
{
	job->next = NULL;
	if (list->tail != NULL)
		list->tail->next = job;
	else
		list->head = job;
	list->tail = job;
}

static struct worker_pool_job *
worker_pool_list_take_first(struct worker_pool_list *list)
{
	struct worker_pool_job *job = list->head;

	if (job != NULL) {
		list->head = job->next;
		if (list->head == NULL)
			list->tail = NULL;
	}
	return job;
}

static void
worker_pool_lock(struct worker_pool *pool)
{
	if (pthread_mutex_lock(&pool->mutex) != 0)
		log_panic("worker pool: pthread_mutex_lock failed");
}

static void
worker_pool_unlock(struct worker_pool *pool)
{
	if (pthread_mutex_unlock(&pool->mutex) != 0)
		log_panic("worker pool: pthread_mutex_unlock failed");
}

static void *
worker_pool_thread(void *arg)
{
	struct worker_pool *pool = arg;
	struct worker_pool_job *job;
	bool was_empty;

	worker_pool_lock(pool);
	for (;;) {
		while (pool->queue.head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->job_queued, &pool->mutex);
		job = worker_pool_list_take_first(&pool->queue);
		if (job == NULL)
			break; /* stopping, and nothing left to run */
		worker_pool_unlock(pool);

		job->work(job->context);

		worker_pool_lock(pool);
		was_empty = pool->completed.head == NULL;
		worker_pool_list_append(&pool->completed, job);
		worker_pool_unlock(pool);
		/* Signals after the unlock: a woken thread must not find the
		 * mutex still held and sleep on it again. Whoever found the
		 * list empty wakes the loop, so no completion goes unseen. */
		pthread_cond_signal(&pool->job_completed);
		if (was_empty)
			loop_waker_wake(pool->waker);
		worker_pool_lock(pool);
	}
	worker_pool_unlock(pool);
	return NULL;
}

/* Runs the done() calls for every job completed so far, in completion
 * order. Returns how many there were. Loop thread only. */
static size_t
worker_pool_run_completed(struct worker_pool *pool)
{
	struct worker_pool_job *job, *next;
	size_t count = 0;

	worker_pool_lock(pool);
	job = pool->completed.head;
	pool->completed.head = NULL;
	pool->completed.tail = NULL;
	worker_pool_unlock(pool);

	for (; job != NULL; job = next) {
		next = job->next;
		ASSERT(pool->pending > 0);
		pool->pending--;
		if (job->done != NULL)
			job->done(job->context);
		free(job);
		count++;
	}
	return count;
}

static void
worker_pool_woken(void *context)
{
	(void)worker_pool_run_completed(context);
}

static unsigned int
worker_pool_default_threads(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (online < 1)
		return 1;
	return (unsigned int)MIN(online, WORKER_POOL_THREADS_MAX);
}

struct worker_pool *
worker_pool_new(struct loop *loop, unsigned threads)
{
	struct worker_pool *pool;
	sigset_t all, previous;
	unsigned int i;
	int error;

	pool = alloc_new(struct worker_pool);
	pool->thread_count = threads == 0 ? worker_pool_default_threads() :
	    MIN(threads, WORKER_POOL_THREADS_MAX);
	if (pthread_mutex_init(&pool->mutex, NULL) != 0 ||
	    pthread_cond_init(&pool->job_queued, NULL) != 0 ||
	    pthread_cond_init(&pool->job_completed, NULL) != 0)
		log_panic("worker pool: mutex/condition init failed");
	pool->waker = loop_waker_new(loop, worker_pool_woken, pool);
	pool->threads = alloc_array(pool->thread_count, sizeof(pthread_t));

	/* Threads inherit the signal mask: create them with every signal
	 * blocked, then restore the loop thread's mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	for (i = 0; i < pool->thread_count; i++) {
		error = pthread_create(&pool->threads[i], NULL,
		    worker_pool_thread, pool);
		if (error != 0)
			log_fatalx("worker pool: creating thread %u of %u: %s",
			    i + 1, pool->thread_count, strerror(error));
		(void)pthread_setname_np(pool->threads[i], "sluice-worker");
	}
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	return pool;
}

void
worker_pool_submit(struct worker_pool *pool, void (*work)(void *context),
    void (*done)(void *context), void *context)
{
	struct worker_pool_job *job;

	ASSERT(work != NULL);
	job = alloc_new(struct worker_pool_job);
	job->work = work;
	job->done = done;
	job->context = context;
	pool->pending++;
	worker_pool_lock(pool);
	worker_pool_list_append(&pool->queue, job);
	worker_pool_unlock(pool);
	pthread_cond_signal(&pool->job_queued);
}

size_t
worker_pool_pending(const struct worker_pool *pool)
{
	return pool->pending;
}

unsigned
worker_pool_threads(const struct worker_pool *pool)
{
	return pool->thread_count;
}

void
worker_pool_free(struct worker_pool **pool_p)
{
	struct worker_pool *pool = *pool_p;
	unsigned int i;

	if (pool == NULL)
		return;
	/* done() calls may submit more jobs, so loop until none is left. */
	while (pool->pending > 0) {
		if (worker_pool_run_completed(pool) > 0)
			continue;
		worker_pool_lock(pool);
		while (pool->completed.head == NULL)
			pthread_cond_wait(&pool->job_completed, &pool->mutex);
		worker_pool_unlock(pool);
	}

	worker_pool_lock(pool);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->job_queued);
	worker_pool_unlock(pool);
	for (i = 0; i < pool->thread_count; i++) {
		if (pthread_join(pool->threads[i], NULL) != 0)
			log_panic("worker pool: pthread_join failed");
	}
	loop_waker_free(&pool->waker);
	pthread_cond_destroy(&pool->job_queued);
	pthread_cond_destroy(&pool->job_completed);
	pthread_mutex_destroy(&pool->mutex);
	free(pool->threads);
	alloc_free(pool_p);
}
