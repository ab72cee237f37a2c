/* bayes_store.h: the Bayes token store: per-token spam/ham counts, message
 * totals and the seen-messages table, behind a backend vtable.
 *
 * A struct bayes_store is one open store (for SQLite: one connection). It
 * belongs to one thread at a time; threads that need the store open their
 * own (WAL lets readers and one writer share bayes.db). Tokens are 64-bit
 * hashes from bayes_tokenize; a message is identified by a caller-built
 * text key (Message-ID plus body hash, see bayes_learn), so learning the
 * same message again is recognised. The store counts each distinct token
 * once per message: duplicates in a token array are ignored.
 *
 * Access times: every token of a learned message gets atime = now. Classify
 * does not write by default (a read-only scan path keeps WAL small and
 * workers free of write locks); a caller that wants SpamAssassin-like
 * "recently used" semantics calls bayes_store_touch() for the tokens it
 * used, e.g. batched from a worker. Expiry removes least-recently-seen
 * tokens by that atime. */
#ifndef SLUICE_BAYES_STORE_H
#define SLUICE_BAYES_STORE_H

#include "lib/common.h"

#include <time.h>

struct bayes_store;

/* A message key is at most this many bytes (no NUL bytes inside). */
#define BAYES_STORE_KEY_MAX 512

/* Counts of one token: in how many learned spam / ham messages it was. */
struct bayes_store_counts {
	uint64_t spam;
	uint64_t ham;
};

struct bayes_store_totals {
	uint64_t spam_messages; /* learned as spam */
	uint64_t ham_messages;  /* learned as ham */
	uint64_t token_count;   /* distinct tokens stored */
};

enum bayes_store_learn_result {
	BAYES_STORE_LEARNED,   /* new message, counts added */
	BAYES_STORE_UNCHANGED, /* already learned as this class: no-op */
	BAYES_STORE_RELEARNED, /* was learned as the other class: moved */
};

/* Opens (creating, mode 0600) the SQLite store at path in WAL mode and
 * applies its schema migrations. On success *store_r is the store, free it
 * with bayes_store_close(). Returns 0, or -1 with error_r. */
int bayes_store_sqlite_open(const char *path, struct bayes_store **store_r,
    const char **error_r);

/* Closes the store and sets *store_p to NULL; NULL *store_p is a no-op. */
void bayes_store_close(struct bayes_store **store_p);

/* The backend's name ("sqlite"), for logs. */
const char *bayes_store_backend_name(const struct bayes_store *store);

/* Looks up count tokens in batched reads (one query per 500 tokens, all in
 * one read transaction) and writes counts_r[i] for tokens[i]; unknown
 * tokens get zero counts. counts_r has room for count entries. Returns 0,
 * or -1 with error_r (counts_r contents then unspecified). */
int bayes_store_get_counts(struct bayes_store *store, const uint64_t *tokens,
    size_t count, struct bayes_store_counts *counts_r, const char **error_r);

/* Fills *totals_r. Returns 0, or -1 with error_r. */
int bayes_store_get_totals(struct bayes_store *store,
    struct bayes_store_totals *totals_r, const char **error_r);

/* Learns the message key (1..BAYES_STORE_KEY_MAX bytes, NUL-terminated)
 * with its tokens as spam (is_spam) or ham, in one transaction. The same
 * key as the same class changes nothing; the same key as the other class
 * moves the message's counts (the caller passes the same tokens: the key
 * includes the body hash, so the same tokenizer gives the same tokens).
 * Learned tokens get atime = now. *result_r (may be NULL) says which case
 * it was. Returns 0, or -1 with error_r (the store is then unchanged). */
int bayes_store_learn(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool is_spam, time_t now,
    enum bayes_store_learn_result *result_r, const char **error_r);

/* Undoes the learning of key in one transaction: the counts of tokens go
 * down by one in the class it was learned as (never below zero; tokens
 * left with no counts are deleted), the totals likewise, and key leaves
 * the seen table. *found_r (may be NULL) is false when key was not
 * learned, which is not an error. Returns 0, or -1 with error_r. */
int bayes_store_forget(struct bayes_store *store, const char *key,
    const uint64_t *tokens, size_t count, bool *found_r,
    const char **error_r);

/* Sets atime = now on those of tokens that exist and are older, in one
 * transaction with batched updates. Returns 0, or -1 with error_r. */
int bayes_store_touch(struct bayes_store *store, const uint64_t *tokens,
    size_t count, time_t now, const char **error_r);

/* When more than max_tokens tokens are stored, deletes the least recently
 * seen (lowest atime; ties by token) until max_tokens remain, in one
 * transaction. Message totals and the seen table are kept. Callers that
 * want hysteresis pass a lower target (SpamAssassin keeps 75%).
 * *removed_r (may be NULL) is the number deleted. Returns 0, or -1. */
int bayes_store_expire(struct bayes_store *store, uint64_t max_tokens,
    uint64_t *removed_r, const char **error_r);

/* Writes the whole store to out as text, in one read transaction:
 *   sluice-bayes-backup 1
 *   totals SPAM_MESSAGES HAM_MESSAGES
 *   token HEX16 SPAM HAM ATIME          (ordered by token)
 *   seen spam|ham LEARNED_TIME KEY      (ordered by key; bytes <= 0x20,
 *                                        '%' and >= 0x7f as %XX)
 * Returns 0, or -1 with error_r (including write errors on out). */
int bayes_store_backup(struct bayes_store *store, FILE *out,
    const char **error_r);

/* Replaces the whole store with the backup read from in (the format
 * above; lines at most 2048 bytes), in one transaction: on any syntax or
 * database error nothing changes. backup, restore, backup gives identical
 * text. Returns 0, or -1 with error_r ("line N: reason"). */
int bayes_store_restore(struct bayes_store *store, FILE *in,
    const char **error_r);

/* Deletes all tokens, totals and seen messages. Returns 0, or -1. */
int bayes_store_clear(struct bayes_store *store, const char **error_r);

/* Starts a batch: every change until bayes_store_batch_end() runs in one
 * write transaction (sa-learn of a mailbox: one commit, not one per
 * message). Inside a batch each call is still all-or-nothing: a failed
 * learn undoes only itself and the batch goes on. The batch holds the
 * database's write lock, so keep it short on a live gateway. Batches do
 * not nest (checked with ASSERT). Returns 0, or -1 with error_r. */
int bayes_store_batch_begin(struct bayes_store *store, const char **error_r);

/* Ends the batch: commit true commits it (on failure everything since
 * bayes_store_batch_begin() is rolled back and -1 returned with error_r);
 * commit false rolls it back and returns 0. The batch is over either
 * way. */
int bayes_store_batch_end(struct bayes_store *store, bool commit,
    const char **error_r);

#endif
