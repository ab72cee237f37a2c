/*
 * NAME
 *	sluice user - manage mailbox users
 *
 * SYNOPSIS
 *	sluice [-c FILE] user add ADDRESS
 *	sluice [-c FILE] user passwd ADDRESS
 *	sluice [-c FILE] user list [DOMAIN]
 *	sluice [-c FILE] user del ADDRESS
 *
 * DESCRIPTION
 *	add and passwd read the password from standard input (one line)
 *	or, on a terminal, prompt twice without echo. Passwords are stored
 *	only as yescrypt hashes. del removes the account; its Maildir
 *	under STATE_DIR/mail is left for the admin to archive or remove.
 */
#include "cli/cli.h"
#include "mailstore/user_accounts.h"

static const char sluice_user_usage[] =
    "sluice [-c FILE] user add|passwd|del ADDRESS | user list [DOMAIN]";

static void
sluice_user_print(const char *address, void *context)
{
	(void)context;
	printf("%s\n", address);
}

int
sluice_user_main(struct cli_context *context, int argc, char **argv)
{
	struct user_accounts *accounts;
	const char *error, *action;
	char *password = NULL;
	int ret;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_user_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_user_usage);
	action = argv[1];
	if (strcmp(action, "list") == 0) {
		if (argc > 3)
			return cli_usage(sluice_user_usage);
	} else if (strcmp(action, "add") == 0 || strcmp(action, "passwd") == 0 ||
	    strcmp(action, "del") == 0) {
		if (argc != 3)
			return cli_usage(sluice_user_usage);
		if (strchr(argv[2], '@') == NULL)
			return cli_usage_error(sluice_user_usage,
			    "user %s: '%s' is not an address (user@domain)",
			    action, argv[2]);
	} else {
		return cli_usage_error(sluice_user_usage,
		    "user: unknown action '%s'", action);
	}
	if (strcmp(action, "add") == 0 || strcmp(action, "passwd") == 0) {
		password = cli_read_password();
		if (password == NULL)
			return 1;
	}
	accounts = cli_open_accounts(context);
	if (accounts == NULL) {
		free(password);
		return 1;
	}
	if (strcmp(action, "list") == 0)
		ret = user_accounts_user_list(accounts, argc == 3 ? argv[2] : NULL,
		    sluice_user_print, NULL, &error);
	else if (strcmp(action, "add") == 0)
		ret = user_accounts_user_add(accounts, argv[2], password, &error);
	else if (strcmp(action, "passwd") == 0)
		ret = user_accounts_user_set_password(accounts, argv[2],
		    password, &error);
	else
		ret = user_accounts_user_delete(accounts, argv[2], &error);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	user_accounts_close(&accounts);
	cli_fix_ownership(context);
	if (ret < 0)
		return cli_error("user %s: %s", action, error);
	return 0;
}
