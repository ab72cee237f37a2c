/* bayes_store.c: the backend-independent half of the Bayes token store:
 * argument checks, then a call through the backend's vtable. */
#include "bayes/bayes_store_private.h"

#include "lib/error.h"

/* Keys are text for the seen table; an empty or oversized key is a caller
 * bug in bayes_learn, but reported as an error, not a panic, because it
 * may come from a crafted Message-ID. */
static int
check_key(const char *key, const char **error_r)
{
	size_t length = strlen(key);

	if (length == 0 || length > BAYES_STORE_KEY_MAX) {
		*error_r = error_set("bayes store: message key of %zu bytes "
		    "(1 to %d allowed)", length, BAYES_STORE_KEY_MAX);
		return -1;
	}
	return 0;
}

void
bayes_store_close(struct bayes_store **store_p)
{
	struct bayes_store *store = *store_p;

	if (store == NULL)
		return;
	*store_p = NULL;
	store->backend->close(store);
}

const char *
bayes_store_backend_name(const struct bayes_store *store)
{
	return store->backend->name;
}

int
bayes_store_get_counts(struct bayes_store *store, const uint64_t *tokens,
    size_t count, struct bayes_store_counts *counts_r, const char **error_r)
{
	if (count == 0)
		return 0;
	return store->backend->get_counts(store, tokens, count, counts_r,
	    error_r);
}

int
bayes_store_get_totals(struct bayes_store *store,
    struct bayes_store_totals *totals_r, const char **error_r)
{
	return store->backend->get_totals(store, totals_r, error_r);
}

int
bayes_store_learn(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
    enum bayes_store_learn_result *result_r, const char **error_r)
{
	enum bayes_store_learn_result result;

	if (check_key(key, error_r) < 0)
		return -1;
	return store->backend->learn(store, key, tokens, count, is_spam, now,
	    result_r != NULL ? result_r : &result, error_r);
}

int
bayes_store_forget(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool *found_r,
    const char **error_r)
{
	bool found;

	if (check_key(key, error_r) < 0)
		return -1;
	return store->backend->forget(store, key, tokens, count,
	    found_r != NULL ? found_r : &found, error_r);
}

int
bayes_store_touch(struct bayes_store *store, const uint64_t *tokens,
    size_t count, time_t now, const char **error_r)
{
	if (count == 0)
		return 0;
	return store->backend->touch(store, tokens, count, now, error_r);
}

int
bayes_store_expire(struct bayes_store *store, uint64_t max_tokens,
    uint64_t *removed_r, const char **error_r)
{
	uint64_t removed;

	return store->backend->expire(store, max_tokens,
	    removed_r != NULL ? removed_r : &removed, error_r);
}

int
bayes_store_backup(struct bayes_store *store, FILE *out,
    const char **error_r)
{
	return store->backend->backup(store, out, error_r);
}

int
bayes_store_restore(struct bayes_store *store, FILE *in,
    const char **error_r)
{
	return store->backend->restore(store, in, error_r);
}

int
bayes_store_clear(struct bayes_store *store, const char **error_r)
{
	return store->backend->clear(store, error_r);
}

int
bayes_store_batch_begin(struct bayes_store *store, const char **error_r)
{
	return store->backend->batch_begin(store, error_r);
}

int
bayes_store_batch_end(struct bayes_store *store, bool commit,
    const char **error_r)
{
	return store->backend->batch_end(store, commit, error_r);
}
