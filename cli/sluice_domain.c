/*
 * NAME
 *	sluice domain - manage the domains sluice receives mail for
 *
 * SYNOPSIS
 *	sluice [-c FILE] domain add DOMAIN
 *	sluice [-c FILE] domain list [-v]
 *	sluice [-c FILE] domain del DOMAIN
 *
 * DESCRIPTION
 *	Local domains live in STATE_DIR/sluice.db. Mail for a domain not
 *	listed here is refused with 554 5.7.1 (no open relay). A domain
 *	can be deleted only once it has no users. list prints one domain
 *	per line; -v adds the number of users.
 */
#include "cli/cli.h"
#include "mailstore/user_accounts.h"

static const char sluice_domain_usage[] =
    "sluice [-c FILE] domain add|del DOMAIN | domain list [-v]";

static void
sluice_domain_print(const char *domain, unsigned user_count, void *context)
{
	bool *verbose = context;

	if (*verbose)
		printf("%s\t%u user%s\n", domain, user_count,
		    user_count == 1 ? "" : "s");
	else
		printf("%s\n", domain);
}

int
sluice_domain_main(struct cli_context *context, int argc, char **argv)
{
	struct user_accounts *accounts;
	const char *error;
	bool verbose = false;
	int ret;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_domain_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_domain_usage);
	if (strcmp(argv[1], "list") == 0) {
		verbose = argc == 3 && strcmp(argv[2], "-v") == 0;
		if (argc != 2 && !verbose)
			return cli_usage(sluice_domain_usage);
	} else if (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0) {
		if (argc != 3)
			return cli_usage(sluice_domain_usage);
	} else {
		return cli_usage_error(sluice_domain_usage,
		    "domain: unknown action '%s'", argv[1]);
	}
	accounts = cli_open_accounts(context);
	if (accounts == NULL)
		return 1;
	if (strcmp(argv[1], "list") == 0)
		ret = user_accounts_domain_list(accounts, sluice_domain_print,
		    &verbose, &error);
	else if (strcmp(argv[1], "add") == 0)
		ret = user_accounts_domain_add(accounts, argv[2], &error);
	else
		ret = user_accounts_domain_delete(accounts, argv[2], &error);
	user_accounts_close(&accounts);
	cli_fix_ownership(context);
	if (ret < 0)
		return cli_error("domain %s: %s", argv[1], error);
	return 0;
}
