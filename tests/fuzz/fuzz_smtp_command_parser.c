/* fuzz_smtp_command_parser.c: libFuzzer target for lib/smtp_command_parser.
 * Any line may be rejected; what is accepted must respect the RFC 5321
 * limits, and a returned address must parse again to itself. */
#include "lib/arena.h"
#include "lib/smtp_command_parser.h"

#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_parameters(struct arena *arena, const struct smtp_parameter *parameters,
    size_t count)
{
	const char *decoded, *error, *p;
	uint64_t size;
	size_t i;

	ASSERT(count <= SMTP_COMMAND_PARAMETERS_MAX);
	ASSERT((count == 0) == (parameters == NULL));
	for (i = 0; i < count; i++) {
		ASSERT(parameters[i].keyword[0] != '\0');
		for (p = parameters[i].keyword; *p != '\0'; p++)
			ASSERT((*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-');
		ASSERT(smtp_parameter_find(parameters, count,
		    parameters[i].keyword) == &parameters[i]);
		if (parameters[i].value == NULL)
			continue;
		ASSERT(parameters[i].value[0] != '\0');
		if (smtp_xtext_decode(arena, parameters[i].value, &decoded,
		    &error) == 0)
			ASSERT(strlen(decoded) <= strlen(parameters[i].value));
		(void)smtp_parameter_parse_size(parameters[i].value, &size);
	}
}

/* Parses arguments for keyword and checks what comes back. */
static void
check_path(struct arena *arena, struct string_view arguments,
    const char *keyword, bool allow_utf8)
{
	struct smtp_path path, again;
	struct smtp_parameter *parameters;
	size_t count, i;
	const char *error;
	char *text;

	if (smtp_command_parse_path(arena, arguments, keyword, allow_utf8,
	    &path, &parameters, &count, &error) < 0) {
		ASSERT(error != NULL && error[0] != '\0');
		return;
	}
	check_parameters(arena, parameters, count);
	ASSERT(strlen(path.local_part) <= SMTP_COMMAND_LOCAL_PART_MAX);
	ASSERT(strlen(path.domain) <= SMTP_COMMAND_DOMAIN_MAX);
	ASSERT(strlen(path.address) + 2 <= SMTP_COMMAND_PATH_MAX);
	for (i = 0; path.domain[i] != '\0'; i++)
		ASSERT(path.domain[i] < 'A' || path.domain[i] > 'Z' ||
		    strncmp(path.domain, "[IPv6:", 6) == 0);
	for (i = 0; path.address[i] != '\0'; i++)
		ASSERT(allow_utf8 || (unsigned char)path.address[i] < 0x80);
	if (path.is_null) {
		ASSERT(strcasecmp(keyword, "FROM") == 0);
		ASSERT(path.address[0] == '\0');
		return;
	}
	/* The normalised address is itself a valid path. */
	text = arena_printf(arena, "%s:<%s>", keyword, path.address);
	if (smtp_command_parse_path(arena, string_view_from_cstring(text),
	    keyword, allow_utf8, &again, &parameters, &count, &error) < 0)
		log_panic("%s does not parse again: %s", text, error);
	ASSERT(strcmp(again.address, path.address) == 0);
	ASSERT(strcmp(again.local_part, path.local_part) == 0);
	ASSERT(strcmp(again.domain, path.domain) == 0);
	ASSERT(again.is_utf8 == path.is_utf8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct string_view line = string_view_make((const char *)data, size);
	struct smtp_command command;
	struct arena *arena;
	const char *error;

	arena = arena_new("fuzz", 0);
	if (smtp_command_parse(line, &command, &error) == 0) {
		ASSERT(command.verb.length >= 1 &&
		    command.verb.length <= SMTP_COMMAND_VERB_MAX);
		ASSERT(command.arguments.data >= line.data &&
		    command.arguments.data + command.arguments.length <=
		    line.data + line.length);
		line = command.arguments;
	}
	/* Whether or not a verb came first, fuzz the path parser with the
	 * rest, both ways round and with and without SMTPUTF8. */
	check_path(arena, line, "FROM", false);
	check_path(arena, line, "FROM", true);
	check_path(arena, line, "TO", false);
	check_path(arena, line, "TO", true);
	arena_free(&arena);
	return 0;
}
