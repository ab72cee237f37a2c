/*
 * NAME
 *	sluice rules - inspect rule files
 *
 * SYNOPSIS
 *	sluice [-c FILE] rules lint [--json] [DIR|FILE...]
 *
 * DESCRIPTION
 *	lint reads the rule files (the given ones, else rules.dirs), compiles
 *	them as sluiced would and reports: rules defined, compiled and
 *	skipped (each with its reason: a regex PCRE2 refuses, an eval:
 *	test sluice does not implement, a score of 0), the unimplemented
 *	eval functions, and the file diagnostics (unknown directives, with
 *	FILE:LINE). --json prints one object: {"defined", "compiled":
 *	[names], "skipped": [{"rule", "reason", "file", "line"}],
 *	"unimplemented_evals": [names], "diagnostics": [texts]}.
 *	Exit status 0 when it compiled, 1 when the rules could not be read.
 */
#include "lib/alloc.h"
#include "cli/cli.h"
#include "rules/ruleset.h"

static const char sluice_rules_usage[] =
    "sluice [-c FILE] rules lint [--json] [DIR|FILE...]";

static void
sluice_rules_print_json(const struct ruleset *ruleset)
{
	const struct rule_file_diagnostic *const *diagnostics;
	const struct ruleset_skip *skipped;
	const struct ruleset_rule *rules;
	const char *const *evals;
	size_t count, i;

	printf("{\"defined\": %zu, \"compiled\": [",
	    ruleset_defined_count(ruleset));
	rules = ruleset_rules(ruleset, &count);
	for (i = 0; i < count; i++) {
		fputs(i == 0 ? "" : ", ", stdout);
		cli_json_string(stdout, rules[i].name);
	}
	fputs("], \"skipped\": [", stdout);
	skipped = ruleset_skipped(ruleset, &count);
	for (i = 0; i < count; i++) {
		fputs(i == 0 ? "{\"rule\": " : ", {\"rule\": ", stdout);
		cli_json_string(stdout, skipped[i].rule);
		fputs(", \"reason\": ", stdout);
		cli_json_string(stdout, skipped[i].reason);
		fputs(", \"file\": ", stdout);
		cli_json_string(stdout, skipped[i].file);
		printf(", \"line\": %u}", skipped[i].line);
	}
	fputs("], \"unimplemented_evals\": [", stdout);
	evals = ruleset_unimplemented_evals(ruleset, &count);
	for (i = 0; i < count; i++) {
		fputs(i == 0 ? "" : ", ", stdout);
		cli_json_string(stdout, evals[i]);
	}
	fputs("], \"diagnostics\": [", stdout);
	diagnostics = ruleset_diagnostics(ruleset, &count);
	for (i = 0; i < count; i++) {
		fputs(i == 0 ? "" : ", ", stdout);
		cli_json_string(stdout, diagnostics[i]->message);
	}
	fputs("]}\n", stdout);
}

/* How much of the rule language translated: every non-eval rule (regex,
 * exists, meta) that is not refused as invalid compiled, whether or not
 * it is active (a meta waiting for an eval sluice lacks compiled fine). */
static void
sluice_rules_print_translation(const struct ruleset *ruleset)
{
	const struct ruleset_skip *skipped;
	const struct ruleset_rule *rules;
	size_t compiled, skipped_count, i, total = 0, failed = 0;

	rules = ruleset_rules(ruleset, &compiled);
	skipped = ruleset_skipped(ruleset, &skipped_count);
	for (i = 0; i < compiled; i++)
		if (rules[i].form != RULE_FILE_FORM_EVAL)
			total++;
	for (i = 0; i < skipped_count; i++) {
		if (skipped[i].form == RULE_FILE_FORM_EVAL)
			continue;
		total++;
		if (strncmp(skipped[i].reason, "regex:", 6) == 0 ||
		    strncmp(skipped[i].reason, "meta:", 5) == 0)
			failed++;
	}
	printf("non-eval rules: %zu, translated: %zu (%.1f%%)\n", total,
	    total - failed, total == 0 ? 100.0 :
	    100.0 * (double)(total - failed) / (double)total);
}

static void
sluice_rules_print_text(const struct ruleset *ruleset)
{
	const struct rule_file_diagnostic *const *diagnostics;
	const struct ruleset_skip *skipped;
	const char *const *evals;
	size_t compiled, skipped_count, eval_count, diagnostic_count, i;
	size_t disabled = 0, unimplemented = 0, broken = 0, dependent = 0;

	(void)ruleset_rules(ruleset, &compiled);
	skipped = ruleset_skipped(ruleset, &skipped_count);
	evals = ruleset_unimplemented_evals(ruleset, &eval_count);
	diagnostics = ruleset_diagnostics(ruleset, &diagnostic_count);
	for (i = 0; i < skipped_count; i++) {
		if (strncmp(skipped[i].reason, "score 0", 7) == 0)
			disabled++;
		else if (strncmp(skipped[i].reason, "depends on", 10) == 0)
			dependent++;
		else if (strncmp(skipped[i].reason, "eval:", 5) == 0 ||
		    strstr(skipped[i].reason, "not implemented") != NULL)
			unimplemented++;
		else
			broken++;
	}
	printf("rules defined:  %zu\n", ruleset_defined_count(ruleset));
	sluice_rules_print_translation(ruleset);
	printf("compiled:       %zu (%zu sub-rules that no shown rule "
	    "depends on are not run)\n", compiled,
	    ruleset_unneeded_count(ruleset));
	printf("skipped:        %zu (%zu disabled by score 0, %zu need "
	    "what sluice lacks, %zu metas over those, %zu invalid)\n",
	    skipped_count, disabled, unimplemented, dependent, broken);
	printf("diagnostics:    %zu\n", diagnostic_count);
	for (i = 0; i < skipped_count; i++)
		if (strncmp(skipped[i].reason, "score 0", 7) != 0 &&
		    strncmp(skipped[i].reason, "eval:", 5) != 0 &&
		    strncmp(skipped[i].reason, "depends on", 10) != 0 &&
		    strstr(skipped[i].reason, "not implemented") == NULL)
			printf("  %s:%u: %s: %s\n", skipped[i].file,
			    skipped[i].line, skipped[i].rule,
			    skipped[i].reason);
	if (eval_count > 0) {
		printf("unimplemented evals (%zu):", eval_count);
		for (i = 0; i < eval_count; i++)
			printf(" %s", evals[i]);
		printf("\n");
	}
	for (i = 0; i < diagnostic_count && i < 20; i++)
		printf("  %s\n", diagnostics[i]->message);
	if (diagnostic_count > 20)
		printf("  ... and %zu more diagnostics (--json lists all)\n",
		    diagnostic_count - 20);
}

int
sluice_rules_main(struct cli_context *context, int argc, char **argv)
{
	struct ruleset *ruleset;
	bool json = false;
	int first = 2;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_rules_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_rules_usage);
	if (strcmp(argv[1], "lint") != 0)
		return cli_usage_error(sluice_rules_usage,
		    "rules: unknown action '%s'", argv[1]);
	if (argc > 2 && strcmp(argv[2], "--json") == 0) {
		json = true;
		first = 3;
	}
	ruleset = cli_ruleset(context, (const char *const *)argv + first,
	    (size_t)(argc - first));
	if (ruleset == NULL)
		return 1;
	if (json)
		sluice_rules_print_json(ruleset);
	else
		sluice_rules_print_text(ruleset);
	ruleset_unref(&ruleset);
	return 0;
}
