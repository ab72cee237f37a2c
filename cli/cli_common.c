/* cli_common.c: shared helpers of the sluice subcommands. */
#include "lib/alloc.h"
#include "cli/cli.h"
#include "gateway/rules_loader.h"
#include "gateway/state_dir.h"
#include "mailstore/user_accounts.h"
#include "rules/ruleset.h"

#include <termios.h>
#include <unistd.h>

#define CLI_PASSWORD_MAX 1024

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; usage: %s\n", usage);
	return 2;
}

int
cli_usage(const char *usage)
{
	return cli_usage_error(usage, "wrong number of arguments");
}

bool
cli_wants_help(int argc, char **argv)
{
	return argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0);
}

struct server_config *
cli_config(struct cli_context *context)
{
	const char *error;

	if (context->config == NULL) {
		context->config = server_config_load(context->config_path,
		    &error);
		if (context->config == NULL)
			cli_error("%s", error);
	}
	return context->config;
}

struct server_config *
cli_config_or_defaults(struct cli_context *context)
{
	if (context->config == NULL && !context->config_given &&
	    access(context->config_path, F_OK) < 0)
		context->config = server_config_defaults();
	return cli_config(context);
}

struct ruleset *
cli_ruleset(struct cli_context *context, const char *const *dirs,
    size_t dir_count)
{
	struct ruleset_options options;
	struct server_config *config;
	struct ruleset *ruleset;
	const char *error;
	char **configured;

	config = cli_config_or_defaults(context);
	if (config == NULL)
		return NULL;
	rules_loader_options(config, context->argv0, &options, &configured);
	if (dirs != NULL && dir_count > 0) {
		options.paths = dirs;
		options.path_count = dir_count;
	} else if (options.path_count == 0) {
		server_config_free_list(&configured);
		cli_error("no rule directory found (rules.dirs = %s)",
		    config->rules->dirs);
		return NULL;
	}
	if (ruleset_build(&options, &ruleset, &error) < 0) {
		cli_error("%s", error);
		ruleset = NULL;
	}
	server_config_free_list(&configured);
	return ruleset;
}

void
cli_fix_ownership(struct cli_context *context)
{
	const char *error;
	uid_t uid;
	gid_t gid;

	if (context->config == NULL || geteuid() != 0)
		return;
	if (state_dir_owner(context->config, &uid, &gid, &error) < 0 ||
	    state_dir_prepare(context->config, uid, gid, &error) < 0)
		cli_error("warning: %s", error);
}

char *
cli_database_path(struct cli_context *context)
{
	struct server_config *config = cli_config(context);
	const char *error;

	if (config == NULL)
		return NULL;
	if (state_dir_prepare(config, (uid_t)-1, (gid_t)-1, &error) < 0) {
		cli_error("%s", error);
		return NULL;
	}
	return state_dir_accounts_path(config);
}

struct user_accounts *
cli_open_accounts(struct cli_context *context)
{
	struct user_accounts *accounts;
	const char *error;
	char *path = cli_database_path(context);

	if (path == NULL)
		return NULL;
	if (user_accounts_open(path, &accounts, &error) < 0) {
		cli_error("%s", error);
		accounts = NULL;
	}
	free(path);
	return accounts;
}

/* Reads one line without its line end. Returns NULL after printing the
 * reason (end of input, or a line over CLI_PASSWORD_MAX bytes). */
static char *
cli_read_line(FILE *in)
{
	char line[CLI_PASSWORD_MAX + 3];
	size_t length;

	if (fgets(line, sizeof(line), in) == NULL) {
		cli_error("no password on standard input");
		return NULL;
	}
	length = strlen(line);
	while (length > 0 && (line[length - 1] == '\n' ||
	    line[length - 1] == '\r'))
		line[--length] = '\0';
	if (length > CLI_PASSWORD_MAX) {
		cli_error("password longer than %d bytes", CLI_PASSWORD_MAX);
		return NULL;
	}
	return alloc_strdup(line);
}

static char *
cli_prompt(const char *prompt)
{
	struct termios saved, quiet;
	char *line;

	fputs(prompt, stderr);
	fflush(stderr);
	tcgetattr(STDIN_FILENO, &saved);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	line = cli_read_line(stdin);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	fputc('\n', stderr);
	return line;
}

char *
cli_read_password(void)
{
	char *first, *second;

	if (!isatty(STDIN_FILENO))
		return cli_read_line(stdin);
	first = cli_prompt("Password: ");
	if (first == NULL)
		return NULL;
	second = cli_prompt("Again: ");
	if (second == NULL || strcmp(first, second) != 0) {
		cli_error("the passwords differ");
		free(first);
		free(second);
		return NULL;
	}
	free(second);
	return first;
}

void
cli_json_string(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	fputc('"', out);
	for (; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			/* Control bytes escaped; other bytes as they are
			 * (rule texts are UTF-8 or ASCII). */
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}
