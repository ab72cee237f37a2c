/* loop_guard.h: a watchdog timer for tests that run a loop, so a bug
 * fails the case instead of hanging the test run. */
#ifndef SLUICE_TEST_LOOP_GUARD_H
#define SLUICE_TEST_LOOP_GUARD_H

#include "lib/loop.h"

struct loop_guard {
	struct loop *loop;
	struct loop_timer *timer;
	bool fired;
};

/* Stops loop if it still runs msec from now, and sets guard->fired. */
void loop_guard_start(struct loop_guard *guard, struct loop *loop,
    uint64_t msec);
void loop_guard_stop(struct loop_guard *guard);

#endif
