/* scan.c: stage-ordered checks over one message, hits and score. */
#include "gateway/scan.h"
#include "lib/alloc.h"
#include "lib/log.h"

struct scan_engine {
	struct scan_check *checks;
	size_t count;
	size_t capacity;
	int refcount;
};

struct scan_engine *
scan_engine_new(void)
{
	struct scan_engine *engine = alloc_new(struct scan_engine);

	engine->refcount = 1;
	return engine;
}

void
scan_engine_add(struct scan_engine *engine, const struct scan_check *check)
{
	ASSERT(check->stage < SCAN_STAGE_COUNT && check->run != NULL);
	if (engine->count == engine->capacity) {
		engine->capacity = engine->capacity == 0 ? 8 :
		    engine->capacity * 2;
		engine->checks = alloc_resize(engine->checks,
		    engine->capacity, sizeof(*engine->checks));
	}
	engine->checks[engine->count++] = *check;
}

void
scan_engine_ref(struct scan_engine *engine)
{
	__atomic_add_fetch(&engine->refcount, 1, __ATOMIC_RELAXED);
}

void
scan_engine_unref(struct scan_engine **engine_p)
{
	struct scan_engine *engine = *engine_p;

	if (engine == NULL)
		return;
	*engine_p = NULL;
	if (__atomic_sub_fetch(&engine->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < engine->count; i++)
		if (engine->checks[i].release != NULL)
			engine->checks[i].release(engine->checks[i].context);
	free(engine->checks);
	free(engine);
}

size_t
scan_engine_check_count(const struct scan_engine *engine)
{
	return engine->count;
}

struct scan *
scan_new(struct arena *arena, const unsigned char *data, size_t length,
    const struct scan_envelope *envelope)
{
	struct scan *scan = arena_new_type(arena, struct scan);

	scan->arena = arena;
	scan->required = 5.0;
	scan->data = data;
	scan->length = length;
	if (envelope != NULL)
		scan->envelope = *envelope;
	if (scan->envelope.client_address == NULL)
		scan->envelope.client_address = "";
	if (scan->envelope.helo == NULL)
		scan->envelope.helo = "";
	if (scan->envelope.mail_from == NULL)
		scan->envelope.mail_from = "";
	return scan;
}

int
scan_run(const struct scan_engine *engine, struct scan *scan)
{
	const char *error;
	size_t i;
	int stage;

	for (stage = 0; stage < SCAN_STAGE_COUNT && !scan->done; stage++) {
		for (i = 0; i < engine->count && !scan->done; i++) {
			const struct scan_check *check = &engine->checks[i];
			if ((int)check->stage != stage)
				continue;
			if (check->run(scan, check->context, &error) < 0) {
				scan->tempfail = arena_printf(scan->arena,
				    "%s: %s", check->name, error);
				return -1;
			}
		}
	}
	return 0;
}

const struct scan_hit *
scan_find_hit(const struct scan *scan, const char *symbol)
{
	size_t i;

	for (i = 0; i < scan->hit_count; i++)
		if (strcmp(scan->hits[i].symbol, symbol) == 0)
			return &scan->hits[i];
	return NULL;
}

void
scan_add_hit(struct scan *scan, const char *symbol, double score,
    const char *description)
{
	struct scan_hit *hit = (struct scan_hit *)scan_find_hit(scan, symbol);

	scan->score += score;
	if (hit != NULL) {
		hit->score += score;
		hit->count++;
		return;
	}
	if (scan->hit_count == scan->hit_capacity) {
		struct scan_hit *grown;
		scan->hit_capacity = scan->hit_capacity == 0 ? 16 :
		    scan->hit_capacity * 2;
		grown = arena_array(scan->arena, scan->hit_capacity,
		    sizeof(*grown));
		if (scan->hit_count > 0)
			memcpy(grown, scan->hits,
			    scan->hit_count * sizeof(*grown));
		scan->hits = grown;
	}
	hit = &scan->hits[scan->hit_count++];
	hit->symbol = arena_strdup(scan->arena, symbol);
	hit->score = score;
	hit->description = arena_strdup(scan->arena,
	    description != NULL ? description : "");
	hit->count = 1;
}

void
scan_finish_early(struct scan *scan)
{
	scan->done = true;
}

void
scan_request_action(struct scan *scan, enum scan_action action,
    const char *rule, const char *reply)
{
	if (action <= scan->action)
		return;
	scan->action = action;
	scan->action_rule = arena_strdup(scan->arena, rule);
	scan->action_reply = reply != NULL ? arena_strdup(scan->arena, reply) :
	    NULL;
}

const char *
scan_action_name(enum scan_action action)
{
	switch (action) {
	case SCAN_ACTION_NONE:
		return "none";
	case SCAN_ACTION_QUARANTINE:
		return "quarantine";
	case SCAN_ACTION_DISCARD:
		return "discard";
	case SCAN_ACTION_REJECT:
		return "reject";
	}
	return "none";
}
