/* pop3_command.c: POP3 command lines: a resumable bounded line reader
 * that resynchronises after an overlong line, and the keyword and
 * argument splitter. */
#include "mailstore/pop3_command.h"
#include "lib/alloc.h"

#include <ctype.h>

struct pop3_command_reader {
	char line[POP3_COMMAND_BUFFER_MAX + 1];
	size_t length;
	/* The current line went over its limit or held a NUL: its bytes
	 * are dropped until its LF, which is then reported as -1. */
	bool skipping;
	bool saw_nul;
};

struct pop3_command_reader *
pop3_command_reader_new(void)
{
	return alloc_new(struct pop3_command_reader);
}

void
pop3_command_reader_free(struct pop3_command_reader **reader_p)
{
	free(*reader_p);
	*reader_p = NULL;
}

int
pop3_command_reader_next(struct pop3_command_reader *reader,
    const unsigned char *data, size_t length, size_t line_max,
    size_t *consumed_r, const char **line_r, const char **error_r)
{
	const unsigned char *newline;
	size_t take, content;
	bool nul;

	ASSERT(line_max >= 2 && line_max <= POP3_COMMAND_BUFFER_MAX);
	*line_r = NULL;
	*error_r = NULL;
	newline = memchr(data, '\n', length);
	take = newline != NULL ? (size_t)(newline - data) + 1 : length;
	*consumed_r = take;
	nul = memchr(data, '\0', take) != NULL;
	if (!reader->skipping) {
		if (reader->length + take > line_max) {
			/* The LF itself may still fit the limit: a line of
			 * exactly line_max bytes is fine. */
			reader->skipping = true;
			reader->length = 0;
		} else {
			memcpy(reader->line + reader->length, data, take);
			reader->length += take;
		}
	}
	if (nul)
		reader->saw_nul = true;
	if (newline == NULL)
		return 0;
	if (reader->skipping || reader->saw_nul) {
		*error_r = reader->skipping ? "line too long" : "NUL in line";
		reader->skipping = false;
		reader->saw_nul = false;
		reader->length = 0;
		return -1;
	}
	content = reader->length - 1;
	if (content > 0 && reader->line[content - 1] == '\r')
		content--;
	reader->line[content] = '\0';
	reader->length = 0;
	*line_r = reader->line;
	return 1;
}

int
pop3_command_split(char *line, char *rest_buffer, size_t rest_size,
    struct pop3_command *command_r, const char **error_r)
{
	char *p = line, *end;
	size_t length;

	memset(command_r, 0, sizeof(*command_r));
	ASSERT(rest_size > strlen(line));
	end = p + strcspn(p, " ");
	length = (size_t)(end - p);
	if (length == 0) {
		*error_r = "no command";
		return -1;
	}
	if (length > POP3_COMMAND_KEYWORD_MAX) {
		*error_r = "command too long";
		return -1;
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7f) {
			*error_r = "invalid command";
			return -1;
		}
		command_r->keyword[i] = (char)toupper(c);
	}
	command_r->keyword[length] = '\0';
	p = end;
	if (*p == ' ')
		p++;
	memcpy(rest_buffer, p, strlen(p) + 1);
	command_r->rest = rest_buffer;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		if (command_r->argument_count < POP3_COMMAND_ARGUMENTS_MAX)
			command_r->arguments[command_r->argument_count] = p;
		command_r->argument_count++;
		if (*end == '\0')
			break;
		*end = '\0';
		p = end + 1;
	}
	return 1;
}

bool
pop3_command_number(const char *text, unsigned *number_r)
{
	unsigned value = 0;
	size_t i;

	for (i = 0; text[i] != '\0'; i++) {
		if (i >= 9 || text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (i == 0)
		return false;
	*number_r = value;
	return true;
}
