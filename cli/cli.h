/* cli.h: what the sluice subcommands share: the context built by
 * cli/main.c and helpers for config, the users database and errors.
 * Single-threaded; every helper prints its own one-line error. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include "lib/common.h"
#include "gateway/server_config.h"

struct user_accounts;
struct ruleset;

struct cli_context {
	const char *config_path;
	bool config_given;            /* -c on the command line */
	const char *argv0;
	struct server_config *config; /* loaded on first use */
};

/* Prints "sluice: MESSAGE" on stderr; returns 1 (the exit status). */
int cli_error(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Bad usage: prints "sluice: WHAT; usage: USAGE" as one line on stderr
 * and returns 2 (the exit status for bad usage). */
int cli_usage(const char *usage);
int cli_usage_error(const char *usage, const char *fmt, ...)
    ATTR_PRINTF(2, 3);

/* True if argv[1] asks for help (-h, --help, help). */
bool cli_wants_help(int argc, char **argv);

/* Loads the config (once). Returns NULL after printing the error. */
struct server_config *cli_config(struct cli_context *context);

/* Like cli_config, but when no -c was given and the default file does
 * not exist, the built-in defaults (for commands that need no state,
 * such as check). */
struct server_config *cli_config_or_defaults(struct cli_context *context);

/* Builds the rule set from dirs (NULL: the config's rules.dirs). NULL
 * after printing the error. */
struct ruleset *cli_ruleset(struct cli_context *context,
    const char *const *dirs, size_t dir_count);

/* STATE_DIR/sluice.db (heap string), after creating the state directory
 * as needed; NULL after printing the error. */
char *cli_database_path(struct cli_context *context);

/* Opens STATE_DIR/sluice.db, creating the state directory as needed and,
 * as root, leaving it owned by the configured user. NULL on error. */
struct user_accounts *cli_open_accounts(struct cli_context *context);

/* After writing the database as root, hand new files to `user`. */
void cli_fix_ownership(struct cli_context *context);

/* Reads a password: prompts twice without echo on a terminal, else reads
 * one line from stdin. Heap string, or NULL after printing an error. */
char *cli_read_password(void);

/* Writes text as a JSON string (quoted, escaped). */
void cli_json_string(FILE *out, const char *text);

int sluice_config_main(struct cli_context *context, int argc, char **argv);
int sluice_domain_main(struct cli_context *context, int argc, char **argv);
int sluice_user_main(struct cli_context *context, int argc, char **argv);
int sluice_init_main(struct cli_context *context, int argc, char **argv);
int sluice_check_main(struct cli_context *context, int argc, char **argv);
int sluice_rules_main(struct cli_context *context, int argc, char **argv);
int sluice_alias_main(struct cli_context *context, int argc, char **argv);
int sluice_relay_recipient_main(struct cli_context *context, int argc,
    char **argv);
int sluice_queue_main(struct cli_context *context, int argc, char **argv);

#endif
