/*
 * NAME
 *	sluice relay-recipient - the valid addresses of relay domains
 *
 * SYNOPSIS
 *	sluice [-c FILE] relay-recipient add ADDRESS...
 *	sluice [-c FILE] relay-recipient remove ADDRESS...
 *	sluice [-c FILE] relay-recipient list [DOMAIN]
 *	sluice [-c FILE] relay-recipient import FILE
 *
 * DESCRIPTION
 *	For a relay domain verified by list (relay.verify = list, or
 *	relay.verify.DOMAIN = list), RCPT accepts only the addresses
 *	listed here (user+tag@ counts as user@) and refuses the others
 *	with 550 5.1.1, like Postfix's relay_recipient_maps. Each
 *	address's domain must be in relay.domains (remove takes any, to
 *	clean up after a domain left the list).
 *
 *	import reads one address per line from FILE ("-" for standard
 *	input; blank lines and lines starting with '#' are skipped), as
 *	exported from the mailbox server's directory, and adds the new
 *	ones in one transaction: a bad line (reported as FILE:LINE) adds
 *	nothing. It prints how many were added. remove (or del) and add
 *	are all or nothing too. list prints one address per line.
 */
#include "lib/alloc.h"
#include "cli/cli.h"
#include "mailstore/account_database.h"
#include "mailstore/relay_recipients.h"

static const char sluice_relay_recipient_usage[] =
    "sluice [-c FILE] relay-recipient add|remove ADDRESS... | "
    "relay-recipient list [DOMAIN] | relay-recipient import FILE";

/* Longest import line. */
#define SLUICE_RELAY_RECIPIENT_LINE_MAX 1024

/* Lines of an import file. */
struct sluice_relay_recipient_lines {
	char **items;
	size_t count, capacity;
};

static void
sluice_relay_recipient_print(const char *address, void *context)
{
	(void)context;
	printf("%s\n", address);
}

/* Checks that address is well formed and its domain a relay domain;
 * where prefixes the message ("relay-recipient add" or "FILE:LINE").
 * Returns 0, or the exit status after printing the error. */
static int
sluice_relay_recipient_check(struct server_config *config,
    const char *address, const char *where)
{
	char canonical[ACCOUNT_DATABASE_ADDRESS_SIZE];
	const char *error;
	size_t at;

	if (account_database_address_normalize(address, NULL, canonical,
	    sizeof(canonical), &at, &error) < 0)
		return cli_error("%s: %s", where, error);
	if (server_config_relay_route(config, canonical + at + 1) == NULL)
		return cli_error("%s: %s is not in relay.domains", where,
		    canonical + at + 1);
	return 0;
}

static void
sluice_relay_recipient_lines_free(struct sluice_relay_recipient_lines *lines)
{
	size_t i;

	for (i = 0; i < lines->count; i++)
		free(lines->items[i]);
	free(lines->items);
}

/* Reads and checks an import file into lines. Returns 0, or the exit
 * status after printing the error. */
static int
sluice_relay_recipient_read(struct server_config *config, const char *name,
    struct sluice_relay_recipient_lines *lines)
{
	char line[SLUICE_RELAY_RECIPIENT_LINE_MAX + 2], where[600], *item;
	FILE *file = strcmp(name, "-") == 0 ? stdin : fopen(name, "re");
	unsigned number = 0;
	size_t length;
	int ret = 0;

	if (file == NULL)
		return cli_error("relay-recipient import: %s: %s", name,
		    strerror(errno));
	while (ret == 0 && fgets(line, sizeof(line), file) != NULL) {
		number++;
		snprintf(where, sizeof(where), "%s:%u", name, number);
		length = strlen(line);
		if (length > SLUICE_RELAY_RECIPIENT_LINE_MAX &&
		    line[length - 1] != '\n') {
			ret = cli_error("%s: line longer than %d bytes", where,
			    SLUICE_RELAY_RECIPIENT_LINE_MAX);
			break;
		}
		item = line + strspn(line, " \t\r\n");
		if (item[0] == '\0' || item[0] == '#')
			continue;
		length = strcspn(item, " \t\r\n");
		if (item[strspn(item + length, " \t\r\n") + length] != '\0') {
			ret = cli_error("%s: one address per line", where);
			break;
		}
		item[length] = '\0';
		ret = sluice_relay_recipient_check(config, item, where);
		if (ret != 0)
			break;
		if (lines->count == lines->capacity) {
			lines->capacity = lines->capacity == 0 ? 64 :
			    lines->capacity * 2;
			lines->items = alloc_resize(lines->items,
			    lines->capacity, sizeof(*lines->items));
		}
		lines->items[lines->count++] = alloc_strdup(item);
	}
	if (ret == 0 && ferror(file))
		ret = cli_error("relay-recipient import: %s: read error", name);
	if (file != stdin)
		fclose(file);
	return ret;
}

int
sluice_relay_recipient_main(struct cli_context *context, int argc,
    char **argv)
{
	struct sluice_relay_recipient_lines lines = { NULL, 0, 0 };
	const char *const *addresses = (const char *const *)argv + 2;
	struct relay_recipients *recipients;
	struct server_config *config;
	const char *error, *action;
	size_t count = (size_t)MAX(argc - 2, 0), added = 0, i;
	char where[64], *path;
	int ret = 0;

	if (cli_wants_help(argc, argv)) {
		printf("usage: %s\n", sluice_relay_recipient_usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage(sluice_relay_recipient_usage);
	action = strcmp(argv[1], "del") == 0 ? "remove" : argv[1];
	if (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0 &&
	    strcmp(action, "list") != 0 && strcmp(action, "import") != 0)
		return cli_usage_error(sluice_relay_recipient_usage,
		    "relay-recipient: unknown action '%s'", action);
	if ((strcmp(action, "list") == 0 && argc > 3) ||
	    (strcmp(action, "import") == 0 && argc != 3) ||
	    ((strcmp(action, "add") == 0 || strcmp(action, "remove") == 0) &&
	    argc < 3))
		return cli_usage(sluice_relay_recipient_usage);
	config = cli_config(context);
	if (config == NULL)
		return 1;
	snprintf(where, sizeof(where), "relay-recipient %s", action);
	if (strcmp(action, "add") == 0)
		for (i = 0; ret == 0 && i < count; i++)
			ret = sluice_relay_recipient_check(config, addresses[i],
			    where);
	if (ret == 0 && strcmp(action, "import") == 0) {
		ret = sluice_relay_recipient_read(config, argv[2], &lines);
		addresses = (const char *const *)lines.items;
		count = lines.count;
	}
	if (ret != 0 || (path = cli_database_path(context)) == NULL) {
		sluice_relay_recipient_lines_free(&lines);
		return ret != 0 ? ret : 1;
	}
	ret = relay_recipients_open(path, &recipients, &error);
	free(path);
	if (ret == 0) {
		if (strcmp(action, "list") == 0)
			ret = relay_recipients_list(recipients,
			    argc == 3 ? argv[2] : NULL,
			    sluice_relay_recipient_print, NULL, &error);
		else if (strcmp(action, "remove") == 0)
			ret = relay_recipients_remove(recipients, addresses,
			    count, &error);
		else
			ret = relay_recipients_add(recipients, addresses,
			    count, strcmp(action, "import") == 0, &added,
			    &error);
		relay_recipients_close(&recipients);
	}
	sluice_relay_recipient_lines_free(&lines);
	cli_fix_ownership(context);
	if (ret < 0)
		return cli_error("%s: %s", where, error);
	if (strcmp(action, "import") == 0)
		printf("%zu added, %zu already listed\n", added, count - added);
	return 0;
}
