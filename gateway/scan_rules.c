/* scan_rules.c: run the rule set inside the scan pipeline. */
#include "gateway/scan_rules.h"
#include "lib/message.h"
#include "rules/rule_eval.h"

struct message *
scan_rules_message(struct scan *scan)
{
	if (scan->message == NULL)
		scan->message = message_parse(scan->arena, scan->data,
		    scan->length, NULL);
	return scan->message;
}

static int
scan_rules_run(struct scan *scan, void *context, const char **error_r)
{
	const struct ruleset *ruleset = context;
	struct rule_eval_input input = {
		.message = scan_rules_message(scan),
		.envelope_from = scan->envelope.mail_from[0] != '\0' ?
		    scan->envelope.mail_from : NULL,
	};
	struct rule_eval_result result;
	size_t i;

	(void)error_r;
	rule_eval_run(ruleset, scan->arena, &input, &result);
	scan->required = result.required;
	for (i = 0; i < result.hit_count; i++) {
		const struct ruleset_rule *rule = result.hits[i].rule;
		static const enum scan_action actions[] = {
			[RULE_FILE_ACTION_NONE] = SCAN_ACTION_NONE,
			[RULE_FILE_ACTION_REJECT] = SCAN_ACTION_REJECT,
			[RULE_FILE_ACTION_QUARANTINE] = SCAN_ACTION_QUARANTINE,
			[RULE_FILE_ACTION_DISCARD] = SCAN_ACTION_DISCARD,
		};

		scan_add_hit(scan, rule->name, result.hits[i].score,
		    rule->description);
		if (rule->action.kind != RULE_FILE_ACTION_NONE)
			scan_request_action(scan, actions[rule->action.kind],
			    rule->name, rule->action.reply);
	}
	return 0;
}

static void
scan_rules_release(void *context)
{
	struct ruleset *ruleset = context;

	ruleset_unref(&ruleset);
}

void
scan_rules_add(struct scan_engine *engine, struct ruleset *ruleset)
{
	struct scan_check check = {
		.name = "rules",
		.stage = SCAN_STAGE_RULES,
		.run = scan_rules_run,
		.context = ruleset,
		.release = scan_rules_release,
	};

	ruleset_ref(ruleset);
	scan_engine_add(engine, &check);
}
