/* rules_fixture.c: rule sets built from .cf text (see rules_fixture.h). */
#include "tests/unit/rules_fixture.h"
#include "tests/unit/harness.h"

struct ruleset *
rules_fixture_build(const char *name, const char *cf)
{
	char path[512];
	const char *paths[1] = { path }, *error = NULL;
	struct ruleset_options options = { .paths = paths, .path_count = 1 };
	struct ruleset *ruleset = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.cf", test_temp_dir(), name);
	f = fopen(path, "w");
	if (f == NULL) {
		test_fail(__FILE__, __LINE__, "fopen %s", path);
		return NULL;
	}
	fputs(cf, f);
	fclose(f);
	if (ruleset_build(&options, &ruleset, &error) < 0)
		test_fail(__FILE__, __LINE__, "ruleset_build: %s", error);
	return ruleset;
}
