/* test_log.c: unit tests for lib/log: levels and one line per event. */
#include "lib/log.h"
#include "tests/unit/harness.h"

#include <fcntl.h>
#include <unistd.h>

static char *
capture_stderr(void (*emit)(void))
{
	char path[300];
	static char text[4096];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/log.txt", test_temp_dir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	emit();
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, text, sizeof(text) - 1);
	text[n < 0 ? 0 : n] = '\0';
	close(fd);
	return text;
}

static void
emit_levels(void)
{
	log_set_level(LOG_LEVEL_INFO);
	log_debug("hidden=1");
	log_info("event=shown value=%d", 7);
	log_warn("event=newline text=%s", "a\nb");
}

static void
test_log_levels_and_lines(void)
{
	char *text = capture_stderr(emit_levels);

	test_assert(strstr(text, "hidden") == NULL);
	test_assert(strstr(text, "info: event=shown value=7\n") != NULL);
	/* an embedded newline never splits the event */
	test_assert(strstr(text, "warn: event=newline text=a b\n") != NULL);
}

static void
test_log_level_parse(void)
{
	enum log_level level;

	test_assert_int(log_level_parse("warn", &level), 0);
	test_assert_int(level, LOG_LEVEL_WARN);
	test_assert_int(log_level_parse("loud", &level), -1);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_log_levels_and_lines),
		TEST_CASE(test_log_level_parse),
	};

	log_open("test_log", LOG_TARGET_STDERR);
	return test_main(cases, ARRAY_LENGTH(cases));
}
