/* harness.c: runs a table of unit-test cases and prints their counts. */
#include "tests/unit/harness.h"

#include <ftw.h>
#include <unistd.h>

static bool current_failed;
static char temp_dir[256];

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = true;
	fprintf(stdout, "  assertion failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

bool
test_case_failed(void)
{
	return current_failed;
}

static int
remove_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
remove_temp_dir(void)
{
	if (temp_dir[0] != '\0')
		nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
test_temp_dir(void)
{
	const char *base;

	if (temp_dir[0] == '\0') {
		base = getenv("TMPDIR");
		snprintf(temp_dir, sizeof(temp_dir), "%s/sluice-unit-XXXXXX",
		    base != NULL ? base : "/tmp");
		if (mkdtemp(temp_dir) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(remove_temp_dir);
	}
	return temp_dir;
}

int
test_main(const struct test_case *cases, size_t count)
{
	size_t i, passed = 0, failed = 0;

	for (i = 0; i < count; i++) {
		current_failed = false;
		cases[i].run();
		if (current_failed) {
			failed++;
			printf("not ok %zu - %s\n", i + 1, cases[i].name);
		} else {
			passed++;
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	printf("# passed=%zu failed=%zu\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
