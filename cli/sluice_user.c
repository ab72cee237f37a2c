/*
 * NAME
 *	sluice user - manage mailbox users
 *
 * SYNOPSIS
 *	sluice [-c FILE] user add ADDRESS
 *	sluice [-c FILE] user passwd ADDRESS
 *	sluice [-c FILE] user list [DOMAIN]
 *	sluice [-c FILE] user del ADDRESS
 *	sluice [-c FILE] user quota ADDRESS SIZE
 *
 * DESCRIPTION
 *	add and passwd read the password from standard input (one line)
 *	or, on a terminal, prompt twice without echo. Passwords are stored
 *	only as yescrypt hashes. del removes the account; its Maildir
 *	under STATE_DIR/mail is left for the admin to archive or remove.
 *	quota sets the user's mailbox quota: SIZE is bytes, or a number
 *	with a K, M or G suffix (powers of 1024), or "none" or 0 for no
 *	limit. list prints one user a line with the quota:
 *	"alice@example.org quota=2G" ("quota=none" when unlimited).
 */
#include "cli/cli.h"
#include "mailstore/user_accounts.h"
#include "lib/settings.h"

#include <strings.h>

static const char sluice_user_usage[] =
    "sluice [-c FILE] user add|passwd|del ADDRESS | "
    "user quota ADDRESS SIZE|none | user list [DOMAIN]";

static void
sluice_user_print(const char *address, uint64_t quota_bytes, void *context)
{
	static const struct {
		char suffix;
		uint64_t unit;
	} units[] = { { 'G', 1 << 30 }, { 'M', 1 << 20 }, { 'K', 1 << 10 } };
	size_t i;

	(void)context;
	if (quota_bytes == 0) {
		printf("%s quota=none\n", address);
		return;
	}
	/* The shortest exact form, as `user quota` accepts it back. */
	for (i = 0; i < ARRAY_LENGTH(units); i++) {
		if (quota_bytes % units[i].unit == 0) {
			printf("%s quota=%llu%c\n", address,
			    (unsigned long long)(quota_bytes / units[i].unit),
			    units[i].suffix);
			return;
		}
	}
	printf("%s quota=%llu\n", address, (unsigned long long)quota_bytes);
}

/* Parses a quota SIZE argument: "none", or a size as in sluice.conf.
 * Returns 0, or -1 after nothing (the caller reports). */
static int
sluice_user_parse_quota(const char *text, uint64_t *quota_bytes_r)
{
	const char *error;

	if (strcasecmp(text, "none") == 0) {
		*quota_bytes_r = 0;
		return 0;
	}
	return settings_parse_size(text, quota_bytes_r, &error);
}

int
sluice_user_main(struct cli_context *context, int argc, char **argv)
{
	struct user_accounts *accounts;
	const char *error, *action;
	char *password = NULL;
	uint64_t quota_bytes = 0;
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
	    strcmp(action, "del") == 0 || strcmp(action, "quota") == 0) {
		if (argc != (strcmp(action, "quota") == 0 ? 4 : 3))
			return cli_usage(sluice_user_usage);
		if (strchr(argv[2], '@') == NULL)
			return cli_usage_error(sluice_user_usage,
			    "user %s: '%s' is not an address (user@domain)",
			    action, argv[2]);
		if (strcmp(action, "quota") == 0 &&
		    sluice_user_parse_quota(argv[3], &quota_bytes) < 0)
			return cli_usage_error(sluice_user_usage,
			    "user quota: '%s' is not a size (like 500M, 2G or "
			    "none)", argv[3]);
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
	else if (strcmp(action, "quota") == 0)
		ret = user_accounts_set_quota(accounts, argv[2], quota_bytes,
		    &error);
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
