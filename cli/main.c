/*
 * NAME
 *	sluice - administer a sluice mail gateway
 *
 * SYNOPSIS
 *	sluice [-c FILE] COMMAND [ARGUMENTS]
 *	sluice COMMAND --help
 *
 * DESCRIPTION
 *	One front end for the admin and user tasks. Each command checks
 *	its arguments and reports a problem in one line on stderr with a
 *	non-zero exit status (1 for a failure, 2 for bad usage).
 *
 *	-c FILE	configuration file (default $SLUICE_CONFIG, else
 *		SYSCONFDIR/sluice/sluice.conf)
 *
 * COMMANDS
 *	config check|defaults	validate and print settings
 *	domain add|list|del	local domains
 *	user add|passwd|list|del	mailbox users
 *	alias add|remove|list	aliases, forwards, catch-alls
 *	relay-recipient add|remove|list|import	valid addresses of relay
 *				domains verified by list
 *	init DIR		write a ready-to-run demo setup into DIR
 *	queue list|show|flush|delete|hold|release	the mail queue
 */
#include "lib/log.h"
#include "cli/cli.h"

#include <unistd.h>

struct cli_command {
	const char *name;
	int (*main)(struct cli_context *context, int argc, char **argv);
	const char *summary;
};

static const struct cli_command cli_commands[] = {
	{ "config", sluice_config_main, "check or print the configuration" },
	{ "domain", sluice_domain_main, "add, list or delete local domains" },
	{ "user", sluice_user_main, "add, list, delete users; set passwords" },
	{ "alias", sluice_alias_main, "aliases, forwards and catch-alls" },
	{ "relay-recipient", sluice_relay_recipient_main,
	    "valid addresses of relay domains (relay.verify = list)" },
	{ "init", sluice_init_main, "write a demo setup into a directory" },
	{ "check", sluice_check_main, "scan messages and explain the score" },
	{ "rules", sluice_rules_main, "lint rule files" },
	{ "queue", sluice_queue_main, "list, show, hold, release, delete queued mail" },
};

static int
cli_main_usage(FILE *out, int status)
{
	size_t i;

	fprintf(out, "usage: sluice [-c FILE] COMMAND [ARGUMENTS]\n\n"
	    "commands:\n");
	for (i = 0; i < ARRAY_LENGTH(cli_commands); i++)
		fprintf(out, "  %-16s %s\n", cli_commands[i].name,
		    cli_commands[i].summary);
	fprintf(out, "\nRun 'sluice COMMAND --help' for a command's usage.\n");
	return status;
}

int
main(int argc, char **argv)
{
	struct cli_context context = {
		.config_path = server_config_default_path(),
	};
	size_t i;
	int opt, status;

	context.argv0 = argv[0];
	log_open("sluice", LOG_TARGET_TERMINAL);
	log_set_level(LOG_LEVEL_WARN);
	/* '+': stop at the command so its own options stay its own. */
	opterr = 0;
	while ((opt = getopt(argc, argv, "+c:hV")) != -1) {
		switch (opt) {
		case 'c':
			context.config_path = optarg;
			context.config_given = true;
			break;
		case 'h':
			return cli_main_usage(stdout, 0);
		case 'V':
			printf("sluice %s\n", PACKAGE_VERSION);
			return 0;
		default:
			cli_error(optopt == 'c' ? "option -c needs a FILE "
			    "(try 'sluice --help')" : "unknown option -%c "
			    "(try 'sluice --help')", optopt);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_error("no command given (try 'sluice --help')");
		return 2;
	}
	if (strcmp(argv[optind], "--help") == 0 ||
	    strcmp(argv[optind], "help") == 0)
		return cli_main_usage(stdout, 0);
	for (i = 0; i < ARRAY_LENGTH(cli_commands); i++) {
		if (strcmp(argv[optind], cli_commands[i].name) == 0) {
			status = cli_commands[i].main(&context, argc - optind,
			    argv + optind);
			server_config_unref(&context.config);
			return status;
		}
	}
	cli_error("unknown command '%s' (try 'sluice --help')", argv[optind]);
	return 2;
}
