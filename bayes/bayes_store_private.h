/* bayes_store_private.h: the backend vtable behind bayes_store.h, for
 * backend implementations only (bayes_store_sqlite.c, later redis). */
#ifndef SLUICE_BAYES_STORE_PRIVATE_H
#define SLUICE_BAYES_STORE_PRIVATE_H

#include "bayes/bayes_store.h"

/* Each function implements the bayes_store_* function of the same name,
 * with the same contract; the wrappers in bayes_store.c check arguments
 * (key length, NULL results) before calling. */
struct bayes_store_backend {
	const char *name;
	void (*close)(struct bayes_store *store);
	int (*get_counts)(struct bayes_store *store, const uint64_t *tokens,
	    size_t count, struct bayes_store_counts *counts_r,
	    const char **error_r);
	int (*get_totals)(struct bayes_store *store,
	    struct bayes_store_totals *totals_r, const char **error_r);
	int (*learn)(struct bayes_store *store, const char *key,
	    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
	    enum bayes_store_learn_result *result_r, const char **error_r);
	int (*forget)(struct bayes_store *store, const char *key,
	    const uint64_t *tokens, size_t count, bool *found_r,
	    const char **error_r);
	int (*touch)(struct bayes_store *store, const uint64_t *tokens,
	    size_t count, time_t now, const char **error_r);
	int (*expire)(struct bayes_store *store, uint64_t max_tokens,
	    uint64_t *removed_r, const char **error_r);
	int (*backup)(struct bayes_store *store, FILE *out,
	    const char **error_r);
	int (*restore)(struct bayes_store *store, FILE *in,
	    const char **error_r);
	int (*clear)(struct bayes_store *store, const char **error_r);
	int (*batch_begin)(struct bayes_store *store, const char **error_r);
	int (*batch_end)(struct bayes_store *store, bool commit,
	    const char **error_r);
};

/* Backends embed this as their first member. */
struct bayes_store {
	const struct bayes_store_backend *backend;
};

#endif
