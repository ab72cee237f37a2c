/* loop.h: the event loop, a thin wrapper over libevent.
 *
 * One loop per process, run by the main thread; protocol code hangs its
 * sockets, timers and signals here and never blocks. Only loop.c and
 * connection.c include <event2/...>. Every function here must be called
 * on the loop thread, except loop_waker_wake(), which any thread may
 * call. Objects are freed by their owner with *_free(&p). */
#ifndef SLUICE_LOOP_H
#define SLUICE_LOOP_H

#include "lib/common.h"

#include <sys/socket.h>

struct loop;
struct loop_timer;
struct loop_signal;
struct loop_listener;
struct loop_waker;

/* Creates the loop. The first call also enables libevent's pthread
 * locking and routes libevent's messages to log.h; every call sets
 * SIGPIPE to SIG_IGN so writes to a closed peer fail with EPIPE instead
 * of killing the process. Never fails (aborts on out-of-memory). */
struct loop *loop_new(void);
/* Frees the loop; free every object hung on it first. Cleanups that
 * libevent still has queued for already freed connections run first. */
void loop_free(struct loop **loop_p);

/* Runs until loop_stop() or until nothing is left to wait for (a waker,
 * a signal or an active listener always counts as something to wait
 * for). Returns 0, or -1 on an internal libevent failure. */
int loop_run(struct loop *loop);

/* Makes loop_run() return after the current callback. */
void loop_stop(struct loop *loop);

/* Milliseconds on CLOCK_MONOTONIC (read on each call; the vDSO makes
 * that cheap, and libevent's cached time is wall-clock time). */
uint64_t loop_now_msec(struct loop *loop);

/* The libevent base underneath, for lib/connection.c only (the one other
 * file allowed to include <event2/...>). */
struct event_base;
struct event_base *loop_event_base(struct loop *loop);

/* One-shot timer; restart it from its own callback to repeat. Starting a
 * pending timer moves its deadline. A timer may be stopped or freed from
 * its own callback. */
struct loop_timer *loop_timer_new(struct loop *loop,
    void (*callback)(void *context), void *context);
void loop_timer_start(struct loop_timer *timer, uint64_t delay_msec);
void loop_timer_stop(struct loop_timer *timer);
bool loop_timer_pending(const struct loop_timer *timer);
void loop_timer_free(struct loop_timer **timer_p);

/* Calls callback on the loop thread each time signo arrives. */
struct loop_signal *loop_signal_new(struct loop *loop, int signo,
    void (*callback)(int signo, void *context), void *context);
void loop_signal_free(struct loop_signal **signal_p);

/* Accepts connections on an already bound, listening, non-blocking fd.
 * callback owns the accepted fd (non-blocking, close-on-exec). The
 * listener closes listen_fd when freed. When accept() fails for lack of
 * descriptors or memory the listener logs a warning and stops accepting
 * for a second rather than spin. */
struct loop_listener *loop_listener_new(struct loop *loop, int listen_fd,
    void (*callback)(int fd, const struct sockaddr *address,
	socklen_t address_length, void *context),
    void *context);
/* Stops or restarts accepting (connection limits, shutdown). */
void loop_listener_pause(struct loop_listener *listener);
void loop_listener_resume(struct loop_listener *listener);
void loop_listener_free(struct loop_listener **listener_p);

/* A cross-thread doorbell: loop_waker_wake() from any thread makes the
 * loop call callback soon; several wakes may coalesce into one call. */
struct loop_waker *loop_waker_new(struct loop *loop,
    void (*callback)(void *context), void *context);
void loop_waker_wake(struct loop_waker *waker);
void loop_waker_free(struct loop_waker **waker_p);

#endif
