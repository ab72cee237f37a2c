/*
 * NAME
 *	sluice check - scan messages and explain their score
 *
 * SYNOPSIS
 *	sluice [-c FILE] check [--json] [--rules DIR]... [MESSAGE...]
 *
 * DESCRIPTION
 *	Runs each MESSAGE (standard input when none) through the same scan
 *	pipeline as sluiced and prints, like `spamassassin -t`, an
 *	X-Spam-Status line and every rule that hit with its score and
 *	description. --json prints one JSON object per message per line
 *	instead: {"file", "score", "required", "spam", "hits": [{"rule",
 *	"score", "description"}]}. --rules replaces rules.dirs (repeat it
 *	for several directories or files).
 *
 *	A rule with an action (`action NAME reject|quarantine|discard
 *	[reply]`) adds an "Action:" line (JSON: "action"), whatever the score.
 *	Exit status: 0 when every message is ham, 1 when any is spam or has
 *	an action, 2 on an error (like spamassassin -e).
 */
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/durable_file.h"
#include "cli/cli.h"
#include "gateway/scan.h"
#include "gateway/scan_rules.h"
#include "rules/rule_regex.h"

#include <getopt.h>
#include <unistd.h>

/* The largest message check reads (like smtp.max_message_size's cap). */
#define SLUICE_CHECK_MAX (64 * 1024 * 1024)

static const char sluice_check_usage[] =
    "sluice [-c FILE] check [--json] [--rules DIR]... [MESSAGE...]";

static int
sluice_check_read_stdin(unsigned char **data_r, size_t *length_r)
{
	size_t length = 0, capacity = 65536;
	unsigned char *data = alloc_zero(capacity);
	ssize_t n;

	for (;;) {
		if (length == capacity) {
			if (capacity >= SLUICE_CHECK_MAX) {
				free(data);
				return cli_error("check: standard input is "
				    "larger than %d bytes", SLUICE_CHECK_MAX);
			}
			capacity *= 2;
			data = alloc_resize(data, capacity, 1);
		}
		n = read(STDIN_FILENO, data + length, capacity - length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			return cli_error("check: standard input: %s",
			    strerror(errno));
		}
		if (n == 0)
			break;
		length += (size_t)n;
	}
	*data_r = data;
	*length_r = length;
	return 0;
}

static void
sluice_check_print_text(const char *name, const struct scan *scan,
    bool several)
{
	bool spam = scan->score >= scan->required;
	size_t i;

	if (several)
		printf("%s:\n", name);
	printf("X-Spam-Status: %s, score=%.1f required=%.1f tests=",
	    spam ? "Yes" : "No", scan->score, scan->required);
	for (i = 0; i < scan->hit_count; i++)
		printf("%s%s", i == 0 ? "" : ",", scan->hits[i].symbol);
	printf("%s\n", scan->hit_count == 0 ? "none" : "");
	if (scan->action != SCAN_ACTION_NONE)
		printf("Action: %s by %s%s%s\n", scan_action_name(scan->action),
		    scan->action_rule, scan->action_reply != NULL ? ": " : "",
		    scan->action_reply != NULL ? scan->action_reply : "");
	if (scan->hit_count > 0) {
		printf("\n  pts rule name                  description\n"
		    "----- -------------------------- "
		    "-------------------------------------------\n");
		for (i = 0; i < scan->hit_count; i++)
			printf("%5.1f %-26s %s\n", scan->hits[i].score,
			    scan->hits[i].symbol, scan->hits[i].description);
	}
	if (several)
		printf("\n");
}

static void
sluice_check_print_json(const char *name, const struct scan *scan)
{
	size_t i;

	fputs("{\"file\": ", stdout);
	cli_json_string(stdout, name);
	printf(", \"score\": %.3f, \"required\": %.1f, \"spam\": %s, "
	    "\"action\": \"%s\", \"hits\": [", scan->score, scan->required,
	    scan->score >= scan->required ? "true" : "false",
	    scan_action_name(scan->action));
	for (i = 0; i < scan->hit_count; i++) {
		fputs(i == 0 ? "{\"rule\": " : ", {\"rule\": ", stdout);
		cli_json_string(stdout, scan->hits[i].symbol);
		printf(", \"score\": %.3f, \"description\": ",
		    scan->hits[i].score);
		cli_json_string(stdout, scan->hits[i].description);
		fputs("}", stdout);
	}
	fputs("]}\n", stdout);
}

/* Scans one message; returns 1 for spam, 0 for ham, -1 on error. */
static int
sluice_check_one(const struct scan_engine *engine, const char *name,
    const unsigned char *data, size_t length, bool json, bool several)
{
	struct arena *arena = arena_new("sluice check", 64 * 1024);
	struct scan *scan = scan_new(arena, data, length, NULL);
	int ret;

	if (scan_run(engine, scan) < 0) {
		cli_error("check: %s: %s", name, scan->tempfail);
		arena_free(&arena);
		return -1;
	}
	if (json)
		sluice_check_print_json(name, scan);
	else
		sluice_check_print_text(name, scan, several);
	/* A rule's action (reject, quarantine, discard) counts as spam. */
	ret = scan->score >= scan->required ||
	    scan->action != SCAN_ACTION_NONE ? 1 : 0;
	arena_free(&arena);
	return ret;
}

int
sluice_check_main(struct cli_context *context, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **dirs = alloc_array((size_t)argc + 1, sizeof(char *));
	struct scan_engine *engine;
	struct ruleset *ruleset;
	unsigned char *data;
	const char *error;
	size_t dir_count = 0, length;
	bool json = false, spam = false, failed = false;
	int opt, i, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'r':
			dirs[dir_count++] = optarg;
			break;
		case 'h':
			printf("usage: %s\n", sluice_check_usage);
			free(dirs);
			return 0;
		default:
			free(dirs);
			cli_usage_error(sluice_check_usage,
			    "check: unknown option or missing value '%s'",
			    argv[optind - 1]);
			return 2;
		}
	}
	/* One thread matches here, usually over few messages. */
	rule_regex_set_lazy_jit(true);
	ruleset = cli_ruleset(context, dirs, dir_count);
	free(dirs);
	if (ruleset == NULL)
		return 2;
	engine = scan_engine_new();
	scan_rules_add(engine, ruleset);
	ruleset_unref(&ruleset);

	if (optind == argc) {
		if (sluice_check_read_stdin(&data, &length) != 0) {
			scan_engine_unref(&engine);
			return 2;
		}
		ret = sluice_check_one(engine, "-", data, length, json, false);
		free(data);
		failed = ret < 0;
		spam = ret > 0;
	}
	for (i = optind; i < argc; i++) {
		if (durable_file_read_whole(argv[i], SLUICE_CHECK_MAX, &data,
		    &length, &error) < 0) {
			cli_error("check: %s", error);
			failed = true;
			continue;
		}
		ret = sluice_check_one(engine, argv[i], data, length, json,
		    argc - optind > 1);
		free(data);
		if (ret < 0)
			failed = true;
		else if (ret > 0)
			spam = true;
	}
	scan_engine_unref(&engine);
	return failed ? 2 : spam ? 1 : 0;
}
