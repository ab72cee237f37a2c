/* rules_fixture.h: rule sets for unit tests, built from .cf text.
 *
 * Writes the text to NAME.cf in the test's temporary directory and builds
 * a rule set from that one file. A build failure fails the test (and
 * returns NULL). The caller unrefs the result. */
#ifndef SLUICE_TEST_RULES_FIXTURE_H
#define SLUICE_TEST_RULES_FIXTURE_H

#include "lib/common.h"
#include "rules/ruleset.h"

struct ruleset *rules_fixture_build(const char *name, const char *cf);

#endif
