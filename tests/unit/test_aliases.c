/* test_aliases.c: unit tests for mailstore/aliases. */
#include "mailstore/aliases.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "tests/unit/harness.h"

struct collected {
	char text[4096];
};

static void
collect_pair(const char *source, const char *destination, void *context)
{
	struct collected *collected = context;
	size_t used = strlen(collected->text);

	snprintf(collected->text + used, sizeof(collected->text) - used,
	    "%s>%s ", source, destination);
}

static struct aliases *
open_aliases(const char *name)
{
	struct aliases *aliases = NULL;
	const char *error = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	if (aliases_open(path, &aliases, &error) < 0)
		test_fail(__FILE__, __LINE__, "open: %s", error);
	return aliases;
}

static const char *
listed(struct aliases *aliases, const char *domain)
{
	static struct collected collected;
	const char *error;

	collected.text[0] = '\0';
	if (aliases_list(aliases, domain, collect_pair, &collected,
	    &error) < 0)
		return error;
	return collected.text;
}

/* The destinations of source joined by spaces, "-" for none. */
static const char *
looked_up(struct aliases *aliases, const char *source)
{
	static char text[4096];
	struct arena *arena = arena_new("test", 0);
	const char **destinations, *error;
	size_t count, i, used = 0;
	int rc;

	rc = aliases_lookup(aliases, source, arena, &destinations, &count,
	    &error);
	if (rc < 0)
		snprintf(text, sizeof(text), "error: %s", error);
	else if (rc == 0)
		snprintf(text, sizeof(text), "-");
	for (i = 0; rc > 0 && i < count; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s", i == 0 ? "" : " ", destinations[i]);
	arena_free(&arena);
	return text;
}

static void
test_aliases_add_lookup_list(void)
{
	struct aliases *aliases = open_aliases("basic.db");
	const char *team[] = { "Bob@Example.test", "carol@remote.test" };
	const char *postmaster[] = { "admin@example.test" };
	const char *catch_all[] = { "@other.test" };
	const char *self[] = { "bob@example.test", "bob@home.test" };
	const char *error = NULL;

	test_require(aliases != NULL);
	test_assert_int(aliases_add(aliases, "Team@Example.test", team, 2,
	    &error), 0);
	test_assert_int(aliases_add(aliases, "POSTMASTER", postmaster, 1,
	    &error), 0);
	test_assert_int(aliases_add(aliases, "@example.test", catch_all, 1,
	    &error), 0);
	test_assert_int(aliases_add(aliases, "bob@example.test", self, 2,
	    &error), 0);
	/* Exact, case-insensitive lookups, destinations in order added. */
	test_assert_string(looked_up(aliases, "TEAM@example.test"),
	    "bob@example.test carol@remote.test");
	test_assert_string(looked_up(aliases, "postmaster"),
	    "admin@example.test");
	test_assert_string(looked_up(aliases, "@EXAMPLE.test"), "@other.test");
	test_assert_string(looked_up(aliases, "team+x@example.test"), "-");
	test_assert_string(looked_up(aliases, "nobody@example.test"), "-");
	test_assert_string(listed(aliases, "example.test"),
	    "@example.test>@other.test bob@example.test>bob@example.test "
	    "bob@example.test>bob@home.test "
	    "team@example.test>bob@example.test "
	    "team@example.test>carol@remote.test ");
	test_assert_string(listed(aliases, "remote.test"), "");
	test_assert(strstr(listed(aliases, NULL), "postmaster>admin") != NULL);
	aliases_close(&aliases);
	test_assert(aliases == NULL);
}

static void
test_aliases_add_refusals(void)
{
	struct aliases *aliases = open_aliases("refusals.db");
	const char *one[] = { "a@example.test" };
	const char *twice[] = { "b@example.test", "B@example.test" };
	const char *domain_target[] = { "@other.test" };
	const char *itself[] = { "@example.test" };
	const char *bad[] = { "a@example.test", "not an address" };
	const char *bare[] = { "postmaster" };
	const char *error = NULL;

	test_require(aliases != NULL);
	test_assert_int(aliases_add(aliases, "x@example.test", one, 1,
	    &error), 0);
	test_assert_int(aliases_add(aliases, "x@example.test", one, 1,
	    &error), -1);
	test_assert(strstr(error, "already exists") != NULL);
	test_assert_int(aliases_add(aliases, "y@example.test", twice, 2,
	    &error), -1);
	test_assert(strstr(error, "given twice") != NULL);
	test_assert_int(aliases_add(aliases, "y@example.test", domain_target,
	    1, &error), -1);
	test_assert(strstr(error, "catch-all source") != NULL);
	test_assert_int(aliases_add(aliases, "@example.test", itself, 1,
	    &error), -1);
	test_assert(strstr(error, "to itself") != NULL);
	test_assert_int(aliases_add(aliases, "y@example.test", bad, 2, &error),
	    -1);
	test_assert(strstr(error, "not an address") != NULL);
	test_assert_int(aliases_add(aliases, "y@example.test", bare, 1,
	    &error), -1);
	test_assert_int(aliases_add(aliases, "y@", one, 1, &error), -1);
	test_assert_int(aliases_add(aliases, "y@example.test", one, 0, &error),
	    -1);
	/* All or nothing: the good destination of a bad batch is absent. */
	test_assert_string(looked_up(aliases, "y@example.test"), "-");
	aliases_close(&aliases);
}

static void
test_aliases_destination_limit(void)
{
	struct aliases *aliases = open_aliases("limit.db");
	const char **many = alloc_array(ALIASES_DESTINATIONS_MAX + 1,
	    sizeof(char *));
	const char *error = NULL;
	size_t i;

	test_require(aliases != NULL);
	for (i = 0; i <= ALIASES_DESTINATIONS_MAX; i++)
		many[i] = alloc_printf("user%zu@remote.test", i);
	test_assert_int(aliases_add(aliases, "list@example.test", many,
	    ALIASES_DESTINATIONS_MAX + 1, &error), -1);
	test_assert_int(aliases_add(aliases, "list@example.test", many,
	    ALIASES_DESTINATIONS_MAX - 1, &error), 0);
	test_assert_int(aliases_add(aliases, "list@example.test", many +
	    ALIASES_DESTINATIONS_MAX - 1, 2, &error), -1);
	test_assert(strstr(error, "more than 1000") != NULL);
	test_assert_int(aliases_add(aliases, "list@example.test", many +
	    ALIASES_DESTINATIONS_MAX - 1, 1, &error), 0);
	for (i = 0; i <= ALIASES_DESTINATIONS_MAX; i++)
		free((char *)many[i]);
	free(many);
	aliases_close(&aliases);
}

static void
test_aliases_remove(void)
{
	struct aliases *aliases = open_aliases("remove.db");
	const char *three[] = { "a@x.test", "b@x.test", "c@x.test" };
	const char *one[] = { "B@x.test" };
	const char *unknown[] = { "a@x.test", "zz@x.test" };
	const char *error = NULL;

	test_require(aliases != NULL);
	test_require(aliases_add(aliases, "s@example.test", three, 3,
	    &error) == 0);
	test_assert_int(aliases_remove(aliases, "S@example.test", one, 1,
	    &error), 0);
	test_assert_string(looked_up(aliases, "s@example.test"),
	    "a@x.test c@x.test");
	/* All or nothing: a@ stays when zz@ is not there. */
	test_assert_int(aliases_remove(aliases, "s@example.test", unknown, 2,
	    &error), -1);
	test_assert(strstr(error, "no alias s@example.test -> zz@x.test") !=
	    NULL);
	test_assert_string(looked_up(aliases, "s@example.test"),
	    "a@x.test c@x.test");
	test_assert_int(aliases_remove(aliases, "s@example.test", NULL, 0,
	    &error), 0);
	test_assert_string(looked_up(aliases, "s@example.test"), "-");
	test_assert_int(aliases_remove(aliases, "s@example.test", NULL, 0,
	    &error), -1);
	test_assert(strstr(error, "no alias s@example.test") != NULL);
	aliases_close(&aliases);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_aliases_add_lookup_list),
		TEST_CASE(test_aliases_add_refusals),
		TEST_CASE(test_aliases_destination_limit),
		TEST_CASE(test_aliases_remove),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
