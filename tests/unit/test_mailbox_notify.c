/* test_mailbox_notify.c: folder change notices reach the loop's watchers,
 * coalesced, from other threads, and watches may go from callbacks. */
#include "lib/loop.h"
#include "mailstore/mailbox_notify.h"
#include "tests/unit/harness.h"

#include <pthread.h>

struct counter {
	struct loop *loop;
	unsigned calls;
	struct mailbox_notify_watch **remove; /* removed by the callback */
	bool stop;
};

static void
count_call(void *context)
{
	struct counter *counter = context;

	counter->calls++;
	if (counter->remove != NULL)
		mailbox_notify_watch_remove(counter->remove);
	if (counter->stop)
		loop_stop(counter->loop);
}

static void *
notify_from_thread(void *context)
{
	mailbox_notify_changed(context, "/m/Maildir");
	mailbox_notify_changed(context, "/m/Maildir");
	mailbox_notify_changed(context, "/m/Maildir/.Sent");
	return NULL;
}

static void
test_mailbox_notify_coalesces_across_threads(void)
{
	struct loop *loop = loop_new();
	struct mailbox_notify *notify = mailbox_notify_new(loop);
	struct counter inbox = { .loop = loop, .stop = true };
	struct counter sent = { .loop = loop };
	struct counter other = { .loop = loop };
	struct mailbox_notify_watch *a, *b, *c;
	pthread_t thread;

	a = mailbox_notify_watch_add(notify, "/m/Maildir", count_call, &inbox);
	b = mailbox_notify_watch_add(notify, "/m/Maildir/.Sent", count_call,
	    &sent);
	c = mailbox_notify_watch_add(notify, "/other/Maildir", count_call,
	    &other);
	test_require(pthread_create(&thread, NULL, notify_from_thread,
	    notify) == 0);
	pthread_join(thread, NULL);
	test_assert_int(loop_run(loop), 0);
	test_assert_int(inbox.calls, 1);
	test_assert_int(sent.calls, 1);
	test_assert_int(other.calls, 0);
	mailbox_notify_watch_remove(&a);
	mailbox_notify_watch_remove(&b);
	mailbox_notify_watch_remove(&c);
	test_assert(a == NULL && b == NULL && c == NULL);
	mailbox_notify_free(&notify);
	loop_free(&loop);
}

/* A callback removing the watch after it (and itself) is safe, and the
 * removed watch is not called. */
static void
test_mailbox_notify_remove_from_callback(void)
{
	struct loop *loop = loop_new();
	struct mailbox_notify *notify = mailbox_notify_new(loop);
	struct counter first = { .loop = loop, .stop = true };
	struct counter second = { .loop = loop };
	struct mailbox_notify_watch *one, *two;

	/* Added second, walked first: "two" removes "one". */
	one = mailbox_notify_watch_add(notify, "/f", count_call, &second);
	two = mailbox_notify_watch_add(notify, "/f", count_call, &first);
	first.remove = &one;
	mailbox_notify_changed(notify, "/f");
	test_assert_int(loop_run(loop), 0);
	test_assert_int(first.calls, 1);
	test_assert_int(second.calls, 0);
	test_assert(one == NULL);
	first.remove = &two;
	mailbox_notify_changed(notify, "/f");
	test_assert_int(loop_run(loop), 0);
	test_assert_int(first.calls, 2);
	test_assert(two == NULL);
	mailbox_notify_free(&notify);
	loop_free(&loop);
}

/* Past the pending cap every watcher is called once. */
static void
test_mailbox_notify_overflow_calls_everyone(void)
{
	struct loop *loop = loop_new();
	struct mailbox_notify *notify = mailbox_notify_new(loop);
	struct counter watcher = { .loop = loop, .stop = true };
	struct mailbox_notify_watch *watch;
	char path[32];
	unsigned i;

	watch = mailbox_notify_watch_add(notify, "/quiet", count_call,
	    &watcher);
	for (i = 0; i <= MAILBOX_NOTIFY_PENDING_MAX; i++) {
		snprintf(path, sizeof(path), "/busy/%u", i);
		mailbox_notify_changed(notify, path);
	}
	test_assert_int(loop_run(loop), 0);
	test_assert_int(watcher.calls, 1);
	mailbox_notify_watch_remove(&watch);
	mailbox_notify_free(&notify);
	loop_free(&loop);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_mailbox_notify_coalesces_across_threads),
		TEST_CASE(test_mailbox_notify_remove_from_callback),
		TEST_CASE(test_mailbox_notify_overflow_calls_everyone),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
