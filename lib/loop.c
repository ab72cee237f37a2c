/* loop.c: the event loop, timers, signals, listeners and cross-thread
 * wakers, as thin wrappers over a libevent event_base.
 *
 * DESIGN: each wrapper owns one libevent object and hands libevent a
 * static trampoline with the wrapper as its argument, so protocol code
 * never sees libevent types. The waker is an eventfd the loop polls; an
 * atomic flag lets concurrent wakes coalesce into one write(2). A
 * listener whose accept() fails for lack of descriptors or memory stops
 * for LOOP_LISTENER_BACKOFF_MSEC instead of spinning on a readable
 * socket it cannot accept from. */
#include "lib/loop.h"

#include "lib/alloc.h"
#include "lib/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#define LOOP_LISTENER_BACKOFF_MSEC 1000
/* loop_free() runs leftover deferred callbacks at most this many times. */
#define LOOP_FREE_ROUNDS_MAX 16

struct loop {
	struct event_base *base;
};

struct loop_timer {
	struct event *event;
	void (*callback)(void *context);
	void *context;
};

struct loop_signal {
	struct event *event;
	void (*callback)(int signo, void *context);
	void *context;
};

struct loop_listener {
	struct evconnlistener *listener;
	struct event *backoff;
	void (*callback)(int fd, const struct sockaddr *address,
	    socklen_t address_length, void *context);
	void *context;
	bool paused;   /* by the owner; the backoff must not undo it */
};

struct loop_waker {
	struct event *event;
	int fd;
	atomic_bool pending;
	void (*callback)(void *context);
	void *context;
};

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;

/* libevent's own warnings go to our log instead of stderr. */
static void
loop_log_libevent(int severity, const char *message)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("event=libevent message=\"%s\"", message);
		break;
	case EVENT_LOG_MSG:
		log_info("event=libevent message=\"%s\"", message);
		break;
	case EVENT_LOG_WARN:
		log_warn("event=libevent message=\"%s\"", message);
		break;
	default:
		log_error("event=libevent message=\"%s\"", message);
		break;
	}
}

static void
loop_global_init(void)
{
	event_set_log_callback(loop_log_libevent);
	if (evthread_use_pthreads() < 0)
		log_panic("evthread_use_pthreads failed");
}

static struct timeval
loop_timeval(uint64_t msec)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(msec / 1000);
	tv.tv_usec = (suseconds_t)(msec % 1000) * 1000;
	return tv;
}

struct loop *
loop_new(void)
{
	struct event_config *config;
	struct loop *loop;

	pthread_once(&loop_once, loop_global_init);
	/* A write to a socket the peer closed must fail with EPIPE, not
	 * kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	loop = alloc_new(struct loop);
	/* By default libevent 2.1 times with CLOCK_MONOTONIC_COARSE, so a
	 * timer could fire a tick before its delay by loop_now_msec(). */
	config = event_config_new();
	if (config == NULL ||
	    event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER) < 0)
		log_panic("event_config_new failed");
	loop->base = event_base_new_with_config(config);
	event_config_free(config);
	if (loop->base == NULL)
		log_panic("event_base_new failed");
	return loop;
}

void
loop_free(struct loop **loop_p)
{
	struct loop *loop = *loop_p;
	int rounds;

	if (loop == NULL)
		return;
	/* A bufferevent freed while one of its deferred callbacks was queued
	 * is released only when that callback has run; event_base_free()
	 * drops queued callbacks, so run them first. The owners' objects
	 * are gone by now, so only libevent's own cleanups are left. */
	for (rounds = 0; rounds < LOOP_FREE_ROUNDS_MAX &&
	    event_base_get_num_events(loop->base,
	    EVENT_BASE_COUNT_ACTIVE) > 0; rounds++)
		event_base_loop(loop->base, EVLOOP_NONBLOCK);
	event_base_free(loop->base);
	alloc_free(loop_p);
}

int
loop_run(struct loop *loop)
{
	/* 1 means "no events left", a normal way to finish. */
	return event_base_dispatch(loop->base) < 0 ? -1 : 0;
}

void
loop_stop(struct loop *loop)
{
	event_base_loopbreak(loop->base);
}

uint64_t
loop_now_msec(struct loop *loop)
{
	struct timespec ts;

	(void)loop;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		log_panic("clock_gettime(CLOCK_MONOTONIC): %s",
		    strerror(errno));
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct event_base *
loop_event_base(struct loop *loop)
{
	return loop->base;
}

/* Timers. */

static void
loop_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *timer = arg;

	(void)fd;
	(void)what;
	timer->callback(timer->context);
}

struct loop_timer *
loop_timer_new(struct loop *loop, void (*callback)(void *context),
    void *context)
{
	struct loop_timer *timer;

	timer = alloc_new(struct loop_timer);
	timer->callback = callback;
	timer->context = context;
	timer->event = evtimer_new(loop->base, loop_timer_fired, timer);
	if (timer->event == NULL)
		log_panic("evtimer_new failed");
	return timer;
}

void
loop_timer_start(struct loop_timer *timer, uint64_t delay_msec)
{
	struct timeval tv = loop_timeval(delay_msec);

	if (evtimer_add(timer->event, &tv) < 0)
		log_panic("evtimer_add failed");
}

void
loop_timer_stop(struct loop_timer *timer)
{
	evtimer_del(timer->event);
}

bool
loop_timer_pending(const struct loop_timer *timer)
{
	return evtimer_pending(timer->event, NULL) != 0;
}

void
loop_timer_free(struct loop_timer **timer_p)
{
	struct loop_timer *timer = *timer_p;

	if (timer == NULL)
		return;
	event_free(timer->event);
	alloc_free(timer_p);
}

/* Signals. */

static void
loop_signal_fired(evutil_socket_t fd, short what, void *arg)
{
	struct loop_signal *signal_handle = arg;

	(void)what;
	signal_handle->callback((int)fd, signal_handle->context);
}

struct loop_signal *
loop_signal_new(struct loop *loop, int signo,
    void (*callback)(int signo, void *context), void *context)
{
	struct loop_signal *signal_handle;

	signal_handle = alloc_new(struct loop_signal);
	signal_handle->callback = callback;
	signal_handle->context = context;
	signal_handle->event = evsignal_new(loop->base, signo,
	    loop_signal_fired, signal_handle);
	if (signal_handle->event == NULL ||
	    evsignal_add(signal_handle->event, NULL) < 0)
		log_panic("evsignal_new/add(%d) failed", signo);
	return signal_handle;
}

void
loop_signal_free(struct loop_signal **signal_p)
{
	struct loop_signal *signal_handle = *signal_p;

	if (signal_handle == NULL)
		return;
	event_free(signal_handle->event);
	alloc_free(signal_p);
}

/* Listeners. */

static void
loop_listener_accepted(struct evconnlistener *evlistener, evutil_socket_t fd,
    struct sockaddr *address, int address_length, void *arg)
{
	struct loop_listener *listener = arg;

	(void)evlistener;
	listener->callback(fd, address, (socklen_t)address_length,
	    listener->context);
}

/* accept() failed with something other than a retriable error; libevent
 * has already retried EINTR, EAGAIN and ECONNABORTED. */
static void
loop_listener_failed(struct evconnlistener *evlistener, void *arg)
{
	struct loop_listener *listener = arg;
	struct timeval tv = loop_timeval(LOOP_LISTENER_BACKOFF_MSEC);
	int error = EVUTIL_SOCKET_ERROR();

	log_warn("event=accept_failed fd=%d error=\"%s\" pause_msec=%d",
	    (int)evconnlistener_get_fd(evlistener),
	    evutil_socket_error_to_string(error), LOOP_LISTENER_BACKOFF_MSEC);
	evconnlistener_disable(evlistener);
	evtimer_add(listener->backoff, &tv);
}

static void
loop_listener_backoff_over(evutil_socket_t fd, short what, void *arg)
{
	struct loop_listener *listener = arg;

	(void)fd;
	(void)what;
	if (!listener->paused)
		evconnlistener_enable(listener->listener);
}

struct loop_listener *
loop_listener_new(struct loop *loop, int listen_fd,
    void (*callback)(int fd, const struct sockaddr *address,
	socklen_t address_length, void *context),
    void *context)
{
	struct loop_listener *listener;

	listener = alloc_new(struct loop_listener);
	listener->callback = callback;
	listener->context = context;
	/* Backlog 0: the socket is already listening. Without
	 * LEV_OPT_LEAVE_SOCKETS_BLOCKING, libevent accepts with
	 * SOCK_NONBLOCK, and LEV_OPT_CLOSE_ON_EXEC adds SOCK_CLOEXEC. */
	listener->listener = evconnlistener_new(loop->base,
	    loop_listener_accepted, listener,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd);
	if (listener->listener == NULL)
		log_panic("evconnlistener_new(fd %d) failed", listen_fd);
	evconnlistener_set_error_cb(listener->listener, loop_listener_failed);
	listener->backoff = evtimer_new(loop->base, loop_listener_backoff_over,
	    listener);
	if (listener->backoff == NULL)
		log_panic("evtimer_new failed");
	return listener;
}

void
loop_listener_pause(struct loop_listener *listener)
{
	listener->paused = true;
	evconnlistener_disable(listener->listener);
}

void
loop_listener_resume(struct loop_listener *listener)
{
	listener->paused = false;
	if (!evtimer_pending(listener->backoff, NULL))
		evconnlistener_enable(listener->listener);
}

void
loop_listener_free(struct loop_listener **listener_p)
{
	struct loop_listener *listener = *listener_p;

	if (listener == NULL)
		return;
	event_free(listener->backoff);
	evconnlistener_free(listener->listener);
	alloc_free(listener_p);
}

/* Wakers. */

static void
loop_waker_readable(evutil_socket_t fd, short what, void *arg)
{
	struct loop_waker *waker = arg;
	uint64_t count;

	(void)what;
	/* Drain first, then clear the flag: a wake that slips in between
	 * sees the flag still set and skips its write, but the callback
	 * below runs after that wake's work was published, so nothing is
	 * lost. A wake after the clear writes again. */
	if (read((int)fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_panic("waker read: %s", strerror(errno));
	atomic_store(&waker->pending, false);
	waker->callback(waker->context);
}

struct loop_waker *
loop_waker_new(struct loop *loop, void (*callback)(void *context),
    void *context)
{
	struct loop_waker *waker;

	waker = alloc_new(struct loop_waker);
	waker->callback = callback;
	waker->context = context;
	atomic_init(&waker->pending, false);
	waker->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (waker->fd < 0)
		log_panic("eventfd: %s", strerror(errno));
	waker->event = event_new(loop->base, waker->fd, EV_READ | EV_PERSIST,
	    loop_waker_readable, waker);
	if (waker->event == NULL || event_add(waker->event, NULL) < 0)
		log_panic("event_new/add for waker failed");
	return waker;
}

void
loop_waker_wake(struct loop_waker *waker)
{
	uint64_t one = 1;

	if (atomic_exchange(&waker->pending, true))
		return;
	/* EAGAIN would need 2^64-2 unread wakes; nothing else can fail on
	 * a valid eventfd. */
	if (write(waker->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_panic("waker write: %s", strerror(errno));
}

void
loop_waker_free(struct loop_waker **waker_p)
{
	struct loop_waker *waker = *waker_p;

	if (waker == NULL)
		return;
	event_free(waker->event);
	close(waker->fd);
	alloc_free(waker_p);
}
