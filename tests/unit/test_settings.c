/* test_settings.c: unit tests for lib/settings. */
#include "lib/settings.h"
#include "tests/unit/harness.h"

struct demo_settings {
	char *listen;
	int64_t max_recipients;
	uint64_t max_size;
	int64_t timeout;
	bool tls;
	int mode;
};

static const char *const demo_modes[] = { "reject", "accept", NULL };

static const struct setting demo_table[] = {
	{ "demo.listen", SETTING_STRING, offsetof(struct demo_settings, listen),
	    0, 0, "127.0.0.1:25", "addresses", NULL },
	{ "demo.max_recipients", SETTING_INT,
	    offsetof(struct demo_settings, max_recipients), 1, 1000, "100",
	    "recipients", NULL },
	{ "demo.max_size", SETTING_SIZE, offsetof(struct demo_settings, max_size),
	    1024, INT64_MAX, "25M", "size", NULL },
	{ "demo.timeout", SETTING_DURATION,
	    offsetof(struct demo_settings, timeout), 1, 86400, "5m", "timeout",
	    NULL },
	{ "demo.tls", SETTING_BOOL, offsetof(struct demo_settings, tls), 0, 0,
	    "yes", "tls", NULL },
	{ "demo.mode", SETTING_ENUM, offsetof(struct demo_settings, mode), 0, 0,
	    "reject", "mode", demo_modes },
};

static const struct settings_section demo_section = {
	"demo", demo_table, ARRAY_LENGTH(demo_table),
	sizeof(struct demo_settings),
};
static const struct settings_section *const demo_sections[] = { &demo_section };

/* A section with per-name families next to keys that share a prefix. */
struct route_settings {
	struct settings_map transport;
	int verify;
	struct settings_map verify_domain;
	int64_t verify_ttl;
};

static const char *const route_verify[] = { "accept", "list", "probe", NULL };

static const struct setting route_table[] = {
	{ "route.transport.DOMAIN", SETTING_MAP,
	    offsetof(struct route_settings, transport), 0, 0, NULL,
	    "per-domain transport", NULL },
	{ "route.verify", SETTING_ENUM, offsetof(struct route_settings, verify),
	    0, 0, "list", "default verify", route_verify },
	{ "route.verify.DOMAIN", SETTING_MAP,
	    offsetof(struct route_settings, verify_domain), 0, 0, NULL,
	    "per-domain verify", route_verify },
	{ "route.verify_ttl", SETTING_DURATION,
	    offsetof(struct route_settings, verify_ttl), 1, 86400, "1h", "ttl",
	    NULL },
};

static const struct settings_section route_section = {
	"route", route_table, ARRAY_LENGTH(route_table),
	sizeof(struct route_settings),
};
static const struct settings_section *const route_sections[] = {
	&route_section,
};

static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_settings_defaults(void)
{
	struct settings *settings = settings_new(demo_sections, 1);
	const struct demo_settings *v = settings_section_values(settings,
	    &demo_section);

	test_assert_string(v->listen, "127.0.0.1:25");
	test_assert_int(v->max_recipients, 100);
	test_assert_int(v->max_size, 25 * 1024 * 1024);
	test_assert_int(v->timeout, 300);
	test_assert(v->tls);
	test_assert_int(v->mode, 0);
	settings_free(&settings);
	test_assert(settings == NULL);
}

static void
test_settings_load_file(void)
{
	struct settings *settings = settings_new(demo_sections, 1);
	const struct demo_settings *v;
	const char *error = NULL;
	const char *path = write_file("ok.conf",
	    "# comment\n\n  demo.listen = 127.0.0.1:2525, unix:/tmp/x  \n"
	    "demo.max_size=10k\ndemo.timeout = 2h\ndemo.tls = off\n"
	    "demo.mode = accept\ndemo.max_recipients = 7\n");

	test_require(settings_load_file(settings, path, &error) == 0);
	v = settings_section_values(settings, &demo_section);
	test_assert_string(v->listen, "127.0.0.1:2525, unix:/tmp/x");
	test_assert_int(v->max_size, 10240);
	test_assert_int(v->timeout, 7200);
	test_assert(!v->tls);
	test_assert_int(v->mode, 1);
	test_assert_int(v->max_recipients, 7);
	settings_free(&settings);
}

static void
test_settings_errors_name_file_and_line(void)
{
	static const struct {
		const char *text;
		const char *error_suffix;
	} cases[] = {
		{ "demo.lisen = x\n", ":1: unknown key 'demo.lisen' (did you mean demo.listen?)" },
		{ "\nnonsense.key = 1\n", ":2: unknown key 'nonsense.key'" },
		{ "demo.max_recipients = 0\n", ":1: demo.max_recipients: 0 is below the minimum 1" },
		{ "demo.max_recipients = 1001\n", ":1: demo.max_recipients: 1001 is above the maximum 1000" },
		{ "demo.max_recipients = ten\n", ":1: demo.max_recipients: 'ten' is not a whole number" },
		{ "demo.max_size = 12 parsecs\n", ":1: demo.max_size: '12 parsecs' is not a size (like 25M)" },
		{ "demo.max_size = 1\n", ":1: demo.max_size: 1 is below the minimum 1024" },
		{ "demo.timeout = 5x\n", ":1: demo.timeout: '5x' is not a duration (like 300s, 5m, 7d)" },
		{ "demo.tls = maybe\n", ":1: demo.tls: 'maybe' is not yes or no" },
		{ "demo.mode = loud\n", ":1: demo.mode: 'loud' is not one of the choices" },
		{ "just words\n", ":1: expected 'key = value'" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		struct settings *settings = settings_new(demo_sections, 1);
		const char *error = NULL;
		const char *path = write_file("bad.conf", cases[i].text);
		size_t elen, slen;

		test_assert_int(settings_load_file(settings, path, &error), -1);
		test_require(error != NULL);
		elen = strlen(error);
		slen = strlen(cases[i].error_suffix);
		if (elen < slen || strcmp(error + elen - slen,
		    cases[i].error_suffix) != 0)
			test_fail(__FILE__, __LINE__, "case %zu: got '%s'", i,
			    error);
		test_assert(strncmp(error, path, strlen(path)) == 0);
		settings_free(&settings);
	}
}

static void
test_settings_last_value_wins(void)
{
	struct settings *settings = settings_new(demo_sections, 1);
	const char *error = NULL;
	const char *path = write_file("twice.conf",
	    "demo.tls = no\ndemo.max_recipients = 5\ndemo.tls = yes\n");

	test_require(settings_load_file(settings, path, &error) == 0);
	test_assert(((const struct demo_settings *)settings_section_values(
	    settings, &demo_section))->tls);
	settings_free(&settings);
}

static void
test_settings_missing_file(void)
{
	struct settings *settings = settings_new(demo_sections, 1);
	const char *error = NULL;

	test_assert_int(settings_load_file(settings, "/nonexistent/x.conf",
	    &error), -1);
	test_assert(error != NULL && strstr(error, "No such file") != NULL);
	settings_free(&settings);
}

static void
test_settings_write_round_trips(void)
{
	struct settings *settings = settings_new(demo_sections, 1);
	struct settings *again = settings_new(demo_sections, 1);
	struct settings *template = settings_new(demo_sections, 1);
	const char *error = NULL;
	char file[512], sample[512];
	FILE *out;

	test_require(settings_set(settings, "demo.max_size", "3M", "test",
	    &error) == 0);
	test_require(settings_set(settings, "demo.listen", "", "test",
	    &error) == 0);
	/* The effective settings load back to the same values. */
	snprintf(file, sizeof(file), "%s/written.conf", test_temp_dir());
	out = fopen(file, "w");
	settings_write(settings, out, false);
	fclose(out);
	test_require(settings_load_file(again, file, &error) == 0);
	test_assert_int(((const struct demo_settings *)settings_section_values(
	    again, &demo_section))->max_size, 3 * 1024 * 1024);
	test_assert_string(((const struct demo_settings *)
	    settings_section_values(again, &demo_section))->listen, "");
	/* The template loads, and changes nothing: all of it is comments. */
	snprintf(sample, sizeof(sample), "%s/template.conf", test_temp_dir());
	out = fopen(sample, "w");
	settings_write(settings, out, true);
	fclose(out);
	test_require(settings_load_file(template, sample, &error) == 0);
	test_assert_int(((const struct demo_settings *)settings_section_values(
	    template, &demo_section))->max_size, 25 * 1024 * 1024);
	settings_free(&settings);
	settings_free(&again);
	settings_free(&template);
}

static void
test_settings_split_list(void)
{
	char **items = settings_split_list(" a, b:1 ,,\tc d\t, ");

	test_require(items != NULL);
	test_assert_string(items[0], "a");
	test_assert_string(items[1], "b:1");
	test_assert_string(items[2], "c d");
	test_assert(items[3] == NULL);
	settings_list_free(&items);
	test_assert(items == NULL);
	items = settings_split_list("");
	test_assert(items[0] == NULL);
	settings_list_free(&items);
}

static void
test_settings_parsers(void)
{
	const char *error;
	uint64_t size;
	int64_t seconds;

	test_assert_int(settings_parse_size("18446744073709551615", &size, &error), 0);
	test_assert_int(settings_parse_size("18446744073709551616", &size, &error), -1);
	test_assert_int(settings_parse_size("17179869184G", &size, &error), -1);
	test_assert_int(settings_parse_size("", &size, &error), -1);
	test_assert_int(settings_parse_duration("1w", &seconds, &error), 0);
	test_assert_int(seconds, 604800);
	test_assert_int(settings_parse_duration("-5", &seconds, &error), -1);
}

static void
test_settings_map_keys(void)
{
	struct settings *settings = settings_new(route_sections, 1);
	struct settings *again = settings_new(route_sections, 1);
	const struct route_settings *values, *reloaded;
	const struct settings_map_entry *entry;
	const char *error = NULL;
	char file[512];
	FILE *out;

	values = settings_section_values(settings, &route_section);
	test_assert_int(values->transport.count, 0);
	test_require(settings_load_file(settings, write_file("map.conf",
	    "route.transport.example.org = lmtp:unix:/run/lmtp\n"
	    "route.transport.other.test = [10.0.0.1]:25\n"
	    "route.verify = probe\n"
	    "route.verify.example.org = accept\n"
	    "route.verify_ttl = 2h\n"
	    "route.transport.EXAMPLE.org = mx.example.org:2525\n"),
	    &error) == 0);
	/* Own keys win over the prefix; a name set again keeps its place. */
	test_assert_int(values->verify, 2);
	test_assert_int(values->verify_ttl, 7200);
	test_assert_int(values->transport.count, 2);
	test_assert_string(values->transport.entries[0].name, "example.org");
	test_assert_string(values->transport.entries[0].value,
	    "mx.example.org:2525");
	test_assert_int(values->transport.entries[0].choice, -1);
	entry = settings_map_find(&values->transport, "Other.Test");
	test_require(entry != NULL);
	test_assert_string(entry->value, "[10.0.0.1]:25");
	test_assert(settings_map_find(&values->transport, "none.test") == NULL);
	test_assert_int(values->verify_domain.count, 1);
	test_assert_int(values->verify_domain.entries[0].choice, 0);

	/* Choices are checked; an empty name is no key. */
	test_assert_int(settings_set(settings, "route.verify.x.test", "maybe",
	    "t", &error), -1);
	test_assert(strstr(error, "route.verify.x.test") != NULL);
	test_assert_int(settings_set(settings, "route.transport.", "x", "t",
	    &error), -1);
	test_assert(strstr(error, "unknown key") != NULL);

	/* The effective settings round-trip. */
	snprintf(file, sizeof(file), "%s/map-written.conf", test_temp_dir());
	out = fopen(file, "w");
	settings_write(settings, out, false);
	fclose(out);
	test_require(settings_load_file(again, file, &error) == 0);
	reloaded = settings_section_values(again, &route_section);
	test_assert_int(reloaded->transport.count, 2);
	test_assert_string(reloaded->transport.entries[1].value,
	    "[10.0.0.1]:25");
	test_assert_string(reloaded->verify_domain.entries[0].name,
	    "example.org");
	settings_free(&settings);
	settings_free(&again);
}

static void
test_settings_map_template(void)
{
	struct settings *settings = settings_new(route_sections, 1);
	char file[512], text[4096];
	const char *error = NULL;
	size_t length;
	FILE *out;

	snprintf(file, sizeof(file), "%s/map-template.conf", test_temp_dir());
	out = fopen(file, "w");
	settings_write(settings, out, true);
	fclose(out);
	out = fopen(file, "r");
	length = fread(text, 1, sizeof(text) - 1, out);
	fclose(out);
	text[length] = '\0';
	test_assert(strstr(text, "#route.transport.DOMAIN =\n") != NULL);
	test_assert(strstr(text, "One of: accept list probe.") != NULL);
	test_assert_int(settings_load_file(settings, file, &error), 0);
	settings_free(&settings);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_settings_defaults),
		TEST_CASE(test_settings_load_file),
		TEST_CASE(test_settings_errors_name_file_and_line),
		TEST_CASE(test_settings_last_value_wins),
		TEST_CASE(test_settings_missing_file),
		TEST_CASE(test_settings_write_round_trips),
		TEST_CASE(test_settings_split_list),
		TEST_CASE(test_settings_parsers),
		TEST_CASE(test_settings_map_keys),
		TEST_CASE(test_settings_map_template),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
