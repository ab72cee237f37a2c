/* mailbox_notify.c: folder change notices from any thread to watchers on
 * the loop.
 *
 * DESIGN: writers append the folder path to a pending list under a mutex
 * and ring the loop's waker when the list was empty. On the loop the
 * list is swapped out and every watcher of a listed path is called.
 * Watchers form a doubly linked list walked with a "next" cursor kept in
 * the notify object, so a callback may remove any watch (its own, or the
 * next one) without the walk touching freed memory. */
#include "mailstore/mailbox_notify.h"
#include "lib/alloc.h"

#include <pthread.h>

struct mailbox_notify_watch {
	struct mailbox_notify *notify;
	struct mailbox_notify_watch *prev, *next;
	char *folder_path;
	void (*callback)(void *context);
	void *context;
};

struct mailbox_notify {
	struct loop_waker *waker;
	pthread_mutex_t mutex;
	char **pending;		/* under mutex */
	size_t pending_count;
	bool pending_all;	/* overflowed: call every watcher */
	struct mailbox_notify_watch *watches;
	struct mailbox_notify_watch *walk_next; /* the walk's cursor */
};

static bool
mailbox_notify_listed(char **paths, size_t count, const char *path)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(paths[i], path) == 0)
			return true;
	return false;
}

static void
mailbox_notify_run(void *context)
{
	struct mailbox_notify *notify = context;
	struct mailbox_notify_watch *watch;
	char **paths;
	size_t count, i;
	bool all;

	pthread_mutex_lock(&notify->mutex);
	paths = notify->pending;
	count = notify->pending_count;
	all = notify->pending_all;
	notify->pending = NULL;
	notify->pending_count = 0;
	notify->pending_all = false;
	pthread_mutex_unlock(&notify->mutex);

	for (watch = notify->watches; watch != NULL;
	    watch = notify->walk_next) {
		notify->walk_next = watch->next;
		if (all || mailbox_notify_listed(paths, count,
		    watch->folder_path))
			watch->callback(watch->context);
	}
	notify->walk_next = NULL;
	for (i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
}

struct mailbox_notify *
mailbox_notify_new(struct loop *loop)
{
	struct mailbox_notify *notify = alloc_new(struct mailbox_notify);

	pthread_mutex_init(&notify->mutex, NULL);
	notify->waker = loop_waker_new(loop, mailbox_notify_run, notify);
	return notify;
}

void
mailbox_notify_free(struct mailbox_notify **notify_p)
{
	struct mailbox_notify *notify = *notify_p;
	size_t i;

	if (notify == NULL)
		return;
	ASSERT(notify->watches == NULL);
	loop_waker_free(&notify->waker);
	for (i = 0; i < notify->pending_count; i++)
		free(notify->pending[i]);
	free(notify->pending);
	pthread_mutex_destroy(&notify->mutex);
	free(notify);
	*notify_p = NULL;
}

void
mailbox_notify_changed(struct mailbox_notify *notify, const char *folder_path)
{
	bool wake;

	if (notify == NULL)
		return;
	pthread_mutex_lock(&notify->mutex);
	wake = notify->pending_count == 0 && !notify->pending_all;
	if (notify->pending_all || mailbox_notify_listed(notify->pending,
	    notify->pending_count, folder_path)) {
		/* Already on its way. */
	} else if (notify->pending_count == MAILBOX_NOTIFY_PENDING_MAX) {
		notify->pending_all = true;
	} else {
		notify->pending = alloc_resize(notify->pending,
		    notify->pending_count + 1, sizeof(*notify->pending));
		notify->pending[notify->pending_count++] =
		    alloc_strdup(folder_path);
	}
	pthread_mutex_unlock(&notify->mutex);
	if (wake)
		loop_waker_wake(notify->waker);
}

struct mailbox_notify_watch *
mailbox_notify_watch_add(struct mailbox_notify *notify,
    const char *folder_path, void (*callback)(void *context), void *context)
{
	struct mailbox_notify_watch *watch =
	    alloc_new(struct mailbox_notify_watch);

	watch->notify = notify;
	watch->folder_path = alloc_strdup(folder_path);
	watch->callback = callback;
	watch->context = context;
	watch->next = notify->watches;
	if (watch->next != NULL)
		watch->next->prev = watch;
	notify->watches = watch;
	return watch;
}

void
mailbox_notify_watch_remove(struct mailbox_notify_watch **watch_p)
{
	struct mailbox_notify_watch *watch = *watch_p;
	struct mailbox_notify *notify;

	if (watch == NULL)
		return;
	notify = watch->notify;
	if (notify->walk_next == watch)
		notify->walk_next = watch->next;
	if (watch->prev != NULL)
		watch->prev->next = watch->next;
	else
		notify->watches = watch->next;
	if (watch->next != NULL)
		watch->next->prev = watch->prev;
	free(watch->folder_path);
	free(watch);
	*watch_p = NULL;
}
