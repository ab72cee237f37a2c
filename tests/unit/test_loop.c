/* test_loop.c: unit tests for lib/loop: timers, signals, listeners and
 * cross-thread wakers. */
#include "lib/loop.h"
#include "tests/unit/harness.h"
#include "tests/unit/loop_guard.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define GUARD_MSEC 3000

/* Timers. */

struct timer_probe {
	struct loop *loop;
	struct loop_timer *timer;
	int id;
	int *order;
	size_t *fired;
	int repeats_left;
	uint64_t fired_at;
};

static void
timer_probe_fired(void *context)
{
	struct timer_probe *probe = context;

	probe->order[(*probe->fired)++] = probe->id;
	probe->fired_at = loop_now_msec(probe->loop);
	if (probe->repeats_left > 0) {
		probe->repeats_left--;
		loop_timer_start(probe->timer, 1);
	}
}

static void
test_loop_timers_fire_in_order(void)
{
	struct loop *loop = loop_new();
	struct timer_probe probes[4];
	static const uint64_t delays[4] = { 30, 10, 20, 15 };
	int order[8];
	size_t fired = 0, i;
	uint64_t start;

	for (i = 0; i < 4; i++) {
		probes[i] = (struct timer_probe){ .loop = loop, .id = (int)i,
		    .order = order, .fired = &fired };
		probes[i].timer = loop_timer_new(loop, timer_probe_fired,
		    &probes[i]);
		loop_timer_start(probes[i].timer, delays[i]);
		test_assert(loop_timer_pending(probes[i].timer));
	}
	/* Stopping one keeps it from firing; no timer left ends the run. */
	loop_timer_stop(probes[3].timer);
	test_assert(!loop_timer_pending(probes[3].timer));
	start = loop_now_msec(loop);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(fired, 3);
	test_assert_int(order[0], 1);
	test_assert_int(order[1], 2);
	test_assert_int(order[2], 0);
	test_assert(probes[0].fired_at - start >= 30);
	test_assert(!loop_timer_pending(probes[0].timer));
	for (i = 0; i < 4; i++)
		loop_timer_free(&probes[i].timer);
	test_assert(probes[0].timer == NULL);
	loop_free(&loop);
	test_assert(loop == NULL);
}

static void
test_loop_timer_restarts_itself_and_moves(void)
{
	struct loop *loop = loop_new();
	struct timer_probe probe;
	int order[8];
	size_t fired = 0;
	uint64_t start;

	probe = (struct timer_probe){ .loop = loop, .id = 7, .order = order,
	    .fired = &fired, .repeats_left = 2 };
	probe.timer = loop_timer_new(loop, timer_probe_fired, &probe);
	/* A second start moves the deadline instead of adding another. */
	loop_timer_start(probe.timer, 1000);
	loop_timer_start(probe.timer, 5);
	start = loop_now_msec(loop);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(fired, 3);
	test_assert(loop_now_msec(loop) - start < 900);
	loop_timer_free(&probe.timer);
	loop_free(&loop);
}

static void
test_loop_now_is_monotonic(void)
{
	struct loop *loop = loop_new();
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	uint64_t a, b;

	a = loop_now_msec(loop);
	nanosleep(&pause, NULL);
	b = loop_now_msec(loop);
	test_assert(b >= a + 4);
	loop_free(&loop);
}

/* Wakers. */

struct waker_probe {
	struct loop *loop;
	struct loop_waker *waker;
	pthread_t caller;
	bool on_loop_thread;
	atomic_int published;
	int seen;
	int calls;
	int target;
};

static void
waker_probe_called(void *context)
{
	struct waker_probe *probe = context;

	probe->calls++;
	probe->on_loop_thread = pthread_equal(pthread_self(), probe->caller);
	probe->seen = atomic_load(&probe->published);
	if (probe->seen >= probe->target)
		loop_stop(probe->loop);
}

static void *
waker_thread(void *arg)
{
	struct waker_probe *probe = arg;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int i;

	nanosleep(&pause, NULL);
	for (i = 0; i < probe->target; i++) {
		atomic_fetch_add(&probe->published, 1);
		loop_waker_wake(probe->waker);
	}
	return NULL;
}

static void
test_loop_waker_from_another_thread(void)
{
	struct loop *loop = loop_new();
	struct loop_guard guard;
	struct waker_probe probe = { .loop = loop, .target = 500 };
	pthread_t thread;

	loop_guard_start(&guard, loop, GUARD_MSEC);
	probe.caller = pthread_self();
	probe.waker = loop_waker_new(loop, waker_probe_called, &probe);
	test_require(pthread_create(&thread, NULL, waker_thread, &probe) == 0);
	test_assert_int(loop_run(loop), 0);
	pthread_join(thread, NULL);
	test_assert(!guard.fired);
	test_assert(probe.on_loop_thread);
	/* Every wake was seen; wakes may coalesce but never get lost. */
	test_assert_int(probe.seen, 500);
	test_assert(probe.calls >= 1 && probe.calls <= 500);
	loop_waker_free(&probe.waker);
	test_assert(probe.waker == NULL);
	loop_guard_stop(&guard);
	loop_free(&loop);
}

static void
test_loop_waker_coalesces(void)
{
	struct loop *loop = loop_new();
	struct loop_guard guard;
	struct waker_probe probe = { .loop = loop, .target = 3 };
	int i;

	loop_guard_start(&guard, loop, GUARD_MSEC);
	probe.caller = pthread_self();
	probe.waker = loop_waker_new(loop, waker_probe_called, &probe);
	for (i = 0; i < 3; i++) {
		atomic_fetch_add(&probe.published, 1);
		loop_waker_wake(probe.waker);
	}
	test_assert_int(loop_run(loop), 0);
	test_assert_int(probe.calls, 1);
	test_assert_int(probe.seen, 3);
	/* A wake after the callback rings again. */
	probe.target = 4;
	atomic_fetch_add(&probe.published, 1);
	loop_waker_wake(probe.waker);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(probe.calls, 2);
	test_assert(!guard.fired);
	loop_waker_free(&probe.waker);
	loop_guard_stop(&guard);
	loop_free(&loop);
}

/* Signals. */

struct signal_probe {
	struct loop *loop;
	int signo;
	int calls;
};

static void
signal_probe_called(int signo, void *context)
{
	struct signal_probe *probe = context;

	probe->signo = signo;
	probe->calls++;
	loop_stop(probe->loop);
}

static void
raise_usr1(void *context)
{
	(void)context;
	raise(SIGUSR1);
}

static void
test_loop_signal(void)
{
	struct loop *loop = loop_new();
	struct loop_guard guard;
	struct loop_timer *raiser = loop_timer_new(loop, raise_usr1, NULL);
	struct signal_probe probe = { .loop = loop };
	struct loop_signal *handler;

	loop_guard_start(&guard, loop, GUARD_MSEC);
	handler = loop_signal_new(loop, SIGUSR1, signal_probe_called, &probe);
	loop_timer_start(raiser, 10);
	test_assert_int(loop_run(loop), 0);
	test_assert(!guard.fired);
	test_assert_int(probe.calls, 1);
	test_assert_int(probe.signo, SIGUSR1);
	/* It keeps working: the handler is persistent. */
	loop_timer_start(raiser, 1);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(probe.calls, 2);
	loop_signal_free(&handler);
	test_assert(handler == NULL);
	loop_timer_free(&raiser);
	loop_guard_stop(&guard);
	loop_free(&loop);
}

/* Listeners. */

struct listener_probe {
	struct loop *loop;
	int accepted;
	bool nonblocking;
	bool cloexec;
	bool loopback;
};

static void
listener_probe_accepted(int fd, const struct sockaddr *address,
    socklen_t address_length, void *context)
{
	struct listener_probe *probe = context;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)address;

	probe->accepted++;
	probe->nonblocking = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
	probe->cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	probe->loopback = address_length >= (socklen_t)sizeof(*sin) &&
	    sin->sin_family == AF_INET &&
	    sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	close(fd);
	loop_stop(probe->loop);
}

/* A listening 127.0.0.1 socket on an ephemeral port; sets *address_r. */
static int
listen_loopback(struct sockaddr_in *address_r)
{
	socklen_t length = sizeof(*address_r);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(address_r, 0, sizeof(*address_r));
	address_r->sin_family = AF_INET;
	address_r->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)address_r, sizeof(*address_r)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)address_r, &length) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_to(const struct sockaddr_in *address)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)address,
	    sizeof(*address)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
stop_loop(void *context)
{
	loop_stop(context);
}

static void
test_loop_listener_accepts(void)
{
	struct loop *loop = loop_new();
	struct loop_guard guard;
	struct loop_timer *later = loop_timer_new(loop, stop_loop, loop);
	struct listener_probe probe = { .loop = loop };
	struct loop_listener *listener;
	struct sockaddr_in address;
	int listen_fd, client_fd, second_fd;

	loop_guard_start(&guard, loop, GUARD_MSEC);
	listen_fd = listen_loopback(&address);
	test_require(listen_fd >= 0);
	listener = loop_listener_new(loop, listen_fd, listener_probe_accepted,
	    &probe);
	client_fd = connect_to(&address);
	test_require(client_fd >= 0);
	test_assert_int(loop_run(loop), 0);
	test_assert(!guard.fired);
	test_assert_int(probe.accepted, 1);
	test_assert(probe.nonblocking);
	test_assert(probe.cloexec);
	test_assert(probe.loopback);

	/* Paused, a pending connection waits in the backlog. */
	loop_listener_pause(listener);
	second_fd = connect_to(&address);
	test_require(second_fd >= 0);
	loop_timer_start(later, 50);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(probe.accepted, 1);
	loop_listener_resume(listener);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(probe.accepted, 2);
	test_assert(!guard.fired);

	/* Freeing the listener closes the listening socket. */
	loop_listener_free(&listener);
	test_assert(listener == NULL);
	test_assert(fcntl(listen_fd, F_GETFD) < 0 && errno == EBADF);
	close(client_fd);
	close(second_fd);
	loop_timer_free(&later);
	loop_guard_stop(&guard);
	loop_free(&loop);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_loop_timers_fire_in_order),
		TEST_CASE(test_loop_timer_restarts_itself_and_moves),
		TEST_CASE(test_loop_now_is_monotonic),
		TEST_CASE(test_loop_waker_from_another_thread),
		TEST_CASE(test_loop_waker_coalesces),
		TEST_CASE(test_loop_signal),
		TEST_CASE(test_loop_listener_accepts),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
