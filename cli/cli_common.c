/* cli_common.c: shared helpers of the sluice subcommands. */
#include "lib/alloc.h"
#include "cli/cli.h"
#include "gateway/state_dir.h"
#include "mailstore/user_accounts.h"

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

struct user_accounts *
cli_open_accounts(struct cli_context *context)
{
	struct server_config *config = cli_config(context);
	struct user_accounts *accounts;
	const char *error;
	char *path;

	if (config == NULL)
		return NULL;
	if (state_dir_prepare(config, (uid_t)-1, (gid_t)-1, &error) < 0) {
		cli_error("%s", error);
		return NULL;
	}
	path = state_dir_accounts_path(config);
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
