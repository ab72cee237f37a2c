/*
 * NAME
 *	sluice alias - aliases, forwards and catch-alls
 *
 * SYNOPSIS
 *	sluice [-c FILE] alias add SOURCE DEST...
 *	sluice [-c FILE] alias remove SOURCE [DEST...]
 *	sluice [-c FILE] alias list [DOMAIN]
 *
 * DESCRIPTION
 *	Mail for SOURCE goes to every DEST instead. SOURCE is an address
 *	(sales@example.org), a domain's catch-all (@example.org: the
 *	addresses of the domain that match no user and no alias), or
 *	postmaster (RCPT TO:<postmaster> without a domain). Its domain
 *	must be a local domain (sluice domain add) or one of relay.domains.
 *	A DEST is an address, local or remote; a catch-all may also go to
 *	@other.org (the same local part at that domain). An address may
 *	alias to itself to keep a copy while forwarding:
 *	    sluice alias add bob@example.org bob@example.org bob@home.test
 *	Destinations are resolved in turn (an alias of an alias), up to
 *	10 levels deep and 1000 addresses; loops are refused at RCPT time
 *	with 451 4.6.0 and a warning in the log.
 *
 *	remove (or del) without DEST removes all of SOURCE's
 *	destinations. list prints one line per source, "SOURCE DEST...",
 *	the arguments add takes. Changes apply to the next RCPT.
 */
#include "cli/cli.h"
#include "mailstore/aliases.h"
#include "mailstore/user_accounts.h"

#include <strings.h>

static const char sluice_alias_usage[] =
    "sluice [-c FILE] alias add SOURCE DEST... | alias remove SOURCE "
    "[DEST...] | alias list [DOMAIN]";

/* Groups the pairs of aliases_list into one line per source. */
struct sluice_alias_lines {
	char source[512];
	bool open;
};

static void
sluice_alias_print(const char *source, const char *destination,
    void *context)
{
	struct sluice_alias_lines *lines = context;

	if (!lines->open || strcmp(lines->source, source) != 0) {
		if (lines->open)
			putchar('\n');
		snprintf(lines->source, sizeof(lines->source), "%s", source);
		lines->open = true;
		fputs(source, stdout);
	}
	printf(" %s", destination);
}

/* Checks that source is "postmaster" or names a domain we take mail
 * for. Returns 0, or the exit status after printing the error. */
static int
sluice_alias_check_source(struct cli_context *context, const char *path,
    const char *source)
{
	const char *at = strrchr(source, '@'), *error;
	struct user_accounts *accounts;
	int local;

	if (strcasecmp(source, ALIASES_POSTMASTER) == 0)
		return 0;
	if (at == NULL)
		return cli_usage_error(sluice_alias_usage, "alias add: '%s' is "
		    "not an address, @domain or postmaster", source);
	if (server_config_relay_route(context->config, at + 1) != NULL)
		return 0;
	if (user_accounts_open(path, &accounts, &error) < 0)
		return cli_error("alias add: %s", error);
	local = user_accounts_domain_is_local(accounts, at + 1);
	user_accounts_close(&accounts);
	if (local < 0)
		return cli_error("alias add: cannot read the local domains");
	if (local == 0)
		return cli_error("alias add: %s is neither a local domain nor "
		    "in relay.domains", at + 1);
	return 0;
}

int
sluice_alias_main(struct cli_context *context, int argc, char **argv)
{
	struct sluice_alias_lines lines = { .open = false };
	const char *const *rest = (const char *const *)argv + 3;
	struct aliases *aliases;
	const char *error, *action;
	char *path;
	int ret;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_alias_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_alias_usage);
	action = strcmp(argv[1], "del") == 0 ? "remove" : argv[1];
	if (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0 &&
	    strcmp(action, "list") != 0)
		return cli_usage_error(sluice_alias_usage,
		    "alias: unknown action '%s'", action);
	if ((strcmp(action, "add") == 0 && argc < 4) ||
	    (strcmp(action, "remove") == 0 && argc < 3) ||
	    (strcmp(action, "list") == 0 && argc > 3))
		return cli_usage(sluice_alias_usage);
	path = cli_database_path(context);
	if (path == NULL)
		return 1;
	ret = strcmp(action, "add") == 0 ?
	    sluice_alias_check_source(context, path, argv[2]) : 0;
	if (ret == 0 && aliases_open(path, &aliases, &error) < 0)
		ret = cli_error("alias %s: %s", action, error);
	free(path);
	if (ret != 0)
		return ret;
	if (strcmp(action, "add") == 0)
		ret = aliases_add(aliases, argv[2], rest, (size_t)argc - 3,
		    &error);
	else if (strcmp(action, "remove") == 0)
		ret = aliases_remove(aliases, argv[2], rest, (size_t)argc - 3,
		    &error);
	else
		ret = aliases_list(aliases, argc == 3 ? argv[2] : NULL,
		    sluice_alias_print, &lines, &error);
	if (lines.open)
		putchar('\n');
	aliases_close(&aliases);
	cli_fix_ownership(context);
	if (ret < 0)
		return cli_error("alias %s: %s", action, error);
	return 0;
}
