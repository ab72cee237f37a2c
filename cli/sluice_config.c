/*
 * NAME
 *	sluice config - check and print the configuration
 *
 * SYNOPSIS
 *	sluice [-c FILE] config check
 *	sluice config defaults
 *
 * DESCRIPTION
 *	check	loads FILE exactly as sluiced would; prints every effective
 *		setting as "key = value" and exits 0, or prints the first
 *		problem as FILE:LINE: reason and exits 1.
 *	defaults
 *		prints every key with its help text and default, in
 *		sluice.conf syntax (a commented template).
 */
#include "cli/cli.h"

static const char sluice_config_usage[] = "sluice [-c FILE] config check|defaults";

int
sluice_config_main(struct cli_context *context, int argc, char **argv)
{
	struct server_config *config;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_config_usage);
		return 0;
	}
	if (argc != 2)
		return cli_usage(sluice_config_usage);
	if (strcmp(argv[1], "check") == 0) {
		config = cli_config(context);
		if (config == NULL)
			return 1;
		printf("# %s: ok\n", context->config_path);
		settings_write(config->settings, stdout, false);
		return 0;
	}
	if (strcmp(argv[1], "defaults") == 0) {
		config = server_config_defaults();
		settings_write(config->settings, stdout, true);
		server_config_unref(&config);
		return 0;
	}
	return cli_usage_error(sluice_config_usage,
	    "config: unknown action '%s'", argv[1]);
}
