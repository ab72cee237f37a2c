/* loop_guard.c: the test watchdog timer. */
#include "tests/unit/loop_guard.h"

static void
loop_guard_expired(void *context)
{
	struct loop_guard *guard = context;

	guard->fired = true;
	loop_stop(guard->loop);
}

void
loop_guard_start(struct loop_guard *guard, struct loop *loop, uint64_t msec)
{
	guard->loop = loop;
	guard->fired = false;
	guard->timer = loop_timer_new(loop, loop_guard_expired, guard);
	loop_timer_start(guard->timer, msec);
}

void
loop_guard_stop(struct loop_guard *guard)
{
	loop_timer_free(&guard->timer);
}
