/* worker_pool.h: fixed pool of threads for work that may block.
 *
 * Scans, fsync, SQLite writes, Maildir scans and password hashing run
 * here so the loop never waits. A job is two functions and a context:
 * work(context) runs on some worker thread; afterwards done(context)
 * runs on the loop thread, in the loop's normal dispatch. The pool never
 * touches context itself. Jobs start in submission order (FIFO).
 *
 * Ownership: the submitter must keep context alive until done() runs.
 * A connection that closes while its job is in flight therefore defers
 * its own free to done() (see gateway/smtp_session.c).
 *
 * worker_pool_new(), _submit() and _free() are loop-thread calls. */
#ifndef SLUICE_WORKER_POOL_H
#define SLUICE_WORKER_POOL_H

#include "lib/common.h"
#include "lib/loop.h"

struct worker_pool;

/* Starts threads workers (0 means one per online CPU; at most 256).
 * Workers run with all signals blocked. The pool keeps a loop_waker on
 * loop, so loop_run() does not return for lack of events while the pool
 * exists. Aborts if a thread cannot be created. */
struct worker_pool *worker_pool_new(struct loop *loop, unsigned threads);

/* Queues a job. done may be NULL; done() may submit further jobs.
 * Never fails. */
void worker_pool_submit(struct worker_pool *pool, void (*work)(void *context),
    void (*done)(void *context), void *context);

/* Jobs submitted and not yet completed (queued, running or awaiting
 * their done() call). */
size_t worker_pool_pending(const struct worker_pool *pool);

/* Number of worker threads. */
unsigned worker_pool_threads(const struct worker_pool *pool);

/* Runs every queued job to completion, including done() callbacks on the
 * calling (loop) thread, without needing loop_run(); then joins the
 * threads and frees the pool. Must not be called from a done(). */
void worker_pool_free(struct worker_pool **pool_p);

#endif
