/* scan.h: the one scan pipeline every front door calls.
 *
 * The SMTP session (end of DATA), the milter and `sluice check` all build
 * a struct scan for one message and call scan_run(). A scan runs the
 * checks of a scan engine stage by stage; each check adds hits (symbol,
 * score, description) and the scan's score is their sum. The verdict
 * (accept, tag, quarantine, reject) is decided from the finished scan
 * elsewhere (gateway/verdict), so every front door explains a message the
 * same way.
 *
 * A scan lives in its caller's arena (one per transaction) and runs on a
 * worker thread or a milter thread; the engine is immutable once built,
 * refcounted, and shared by all threads (a reload builds a new one and
 * swaps it; scans in flight keep theirs). */
#ifndef SLUICE_SCAN_H
#define SLUICE_SCAN_H

#include "lib/common.h"
#include "lib/arena.h"

struct message;

/* Checks run stage by stage, in this order; within a stage, in the order
 * they were added. Rules come after the classifiers because SpamAssassin
 * rules and metas test their results (BAYES_99, a virus symbol). */
enum scan_stage {
	SCAN_STAGE_PREFILTER,  /* allow/deny lists, decisions that end it */
	SCAN_STAGE_CLASSIFIER, /* antivirus, Bayes probability, DNS lists */
	SCAN_STAGE_RULES,      /* the rule set, its evals and metas */
	SCAN_STAGE_POSTFILTER, /* adjustments once the score is known */
	SCAN_STAGE_COUNT,
};

/* What a rule may demand regardless of the score (Postfix header_checks
 * style); the strongest one asked for wins, in this order. */
enum scan_action {
	SCAN_ACTION_NONE,
	SCAN_ACTION_QUARANTINE,
	SCAN_ACTION_DISCARD,
	SCAN_ACTION_REJECT,
};

struct scan_hit {
	const char *symbol;      /* "GTUBE", "BAYES_99" */
	double score;
	const char *description; /* may be "" */
	unsigned count;          /* times it hit (tflags multiple) */
};

/* What the front door knows about the message besides its bytes. */
struct scan_envelope {
	const char *client_address; /* "" when unknown (sluice check) */
	const char *helo;
	const char *mail_from;      /* "" for <> */
	const char *const *recipients;
	size_t recipient_count;
	bool authenticated;         /* submission: the sender logged in */
};

struct scan {
	struct arena *arena;
	const unsigned char *data;  /* the message as received */
	size_t length;
	struct scan_envelope envelope;
	struct message *message;    /* the parsed message (lib/message) */
	struct scan_hit *hits;
	size_t hit_count;
	size_t hit_capacity;
	double score;
	double required;            /* spam from this score on (5.0) */
	enum scan_action action;    /* strongest action a hit asked for */
	const char *action_reply;   /* its reply text, or NULL */
	const char *action_rule;    /* the rule that asked */
	bool done;                  /* a check ended the scan early */
	const char *tempfail;       /* set: answer 4xx, scan again later */
	void *stage_data[SCAN_STAGE_COUNT]; /* per-scan state of checks */
};

struct scan_check {
	const char *name;
	enum scan_stage stage;
	/* Runs on a worker thread. Adds hits with scan_add_hit(). Returns
	 * 0, or -1 with error_r for a temporary failure: the scan stops and
	 * the message is tempfailed (never accepted unscanned). */
	int (*run)(struct scan *scan, void *context, const char **error_r);
	void *context;
	/* Called with context when the engine is freed (may be NULL). */
	void (*release)(void *context);
};

struct scan_engine;

struct scan_engine *scan_engine_new(void);
/* Adds a check (copied). Only while building, before sharing. */
void scan_engine_add(struct scan_engine *engine, const struct scan_check *check);
void scan_engine_ref(struct scan_engine *engine);
void scan_engine_unref(struct scan_engine **engine_p);
size_t scan_engine_check_count(const struct scan_engine *engine);

/* Starts a scan of data (which must outlive the scan) in arena. */
struct scan *scan_new(struct arena *arena, const unsigned char *data,
    size_t length, const struct scan_envelope *envelope);

/* Runs every check in stage order. Returns 0, or -1 when a check failed
 * temporarily (scan->tempfail says why). */
int scan_run(const struct scan_engine *engine, struct scan *scan);

/* Records a hit; a symbol already hit adds to its count and score. */
void scan_add_hit(struct scan *scan, const char *symbol, double score,
    const char *description);

/* The hit for symbol, or NULL. */
const struct scan_hit *scan_find_hit(const struct scan *scan,
    const char *symbol);

/* Records that rule asks for action (reply may be NULL); keeps the
 * strongest action seen. */
void scan_request_action(struct scan *scan, enum scan_action action,
    const char *rule, const char *reply);

const char *scan_action_name(enum scan_action action);

/* Ends the scan after the current check (a prefilter's final word). */
void scan_finish_early(struct scan *scan);

#endif
