/* fuzz_rule_file.c: libFuzzer target for rules/rule_file. The input is
 * read as a .cf file whole and in fuzzer-chosen chunks; both readings
 * must give the same directives, rules and diagnostics, and every
 * directive must respect the reader's contract. */
#include "lib/buffer.h"
#include "rules/rule_file.h"
#include "tests/unit/trickle_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_plugins[] = {
	"Mail::SpamAssassin::Plugin::DKIM",
	"Mail::SpamAssassin::Plugin::SPF",
};
static const char *const fuzz_features[] = {
	"Mail::SpamAssassin::Conf::feature_bug6558_free",
};

/* Records what a reading produced: enough to tell two readings apart,
 * and checks the invariants on the way. */
static void
record(const struct rule_file *rule_file, struct buffer *events)
{
	const struct rule_file_directive *const *directives;
	const struct rule_file_rule *const *rules;
	const struct rule_file_diagnostic *const *diagnostics;
	size_t count, i;
	unsigned set;

	directives = rule_file_directives(rule_file, &count);
	for (i = 0; i < count; i++) {
		const struct rule_file_directive *d = directives[i];

		ASSERT(d->file != NULL && d->keyword != NULL && d->line > 0);
		if (d->kind == RULE_FILE_DIRECTIVE_TEST) {
			ASSERT(d->rule_name != NULL);
			ASSERT(d->test.form != RULE_FILE_FORM_REGEX ||
			    (d->test.pattern != NULL &&
			    d->test.pattern[0] != '\0'));
			ASSERT(d->test.form != RULE_FILE_FORM_EVAL ||
			    (d->test.eval_function != NULL &&
			    d->test.eval_arguments != NULL));
		}
		ASSERT(buffer_printf(events, "d%d:%u:%s:%s;", (int)d->kind,
		    d->line, d->keyword, d->rule_name != NULL ?
		    d->rule_name : "") == 0);
	}
	rules = rule_file_rules(rule_file, &count);
	for (i = 0; i < count; i++) {
		ASSERT(rules[i]->definition != NULL &&
		    rule_file_rule_find(rule_file, rules[i]->name) ==
		    rules[i]);
		for (set = 0; set < 4; set++)
			(void)rule_file_rule_score(rules[i], set);
		ASSERT(buffer_printf(events, "r%s;", rules[i]->name) == 0);
	}
	diagnostics = rule_file_diagnostics(rule_file, &count);
	for (i = 0; i < count; i++)
		ASSERT(buffer_printf(events, "%s;",
		    diagnostics[i]->message) == 0);
	ASSERT(buffer_printf(events, "t%zu",
	    rule_file_diagnostic_total(rule_file)) == 0);
}

static void
run(const unsigned char *input, size_t length, uint32_t seed,
    struct buffer *events)
{
	struct rule_file_options options = {
		/* Small limits reach the limit paths. */
		.limits = { .line_max = 256, .nesting_max = 4,
		    .directives_max = 64, .diagnostics_max = 16,
		    .include_depth_max = 2 },
		.plugins = fuzz_plugins,
		.plugin_count = ARRAY_LENGTH(fuzz_plugins),
		.features = fuzz_features,
		.feature_count = ARRAY_LENGTH(fuzz_features),
	};
	struct rule_file *rule_file = rule_file_new(&options);
	enum trickle_mode mode = seed == 0 ? TRICKLE_WHOLE : TRICKLE_RANDOM;
	uint32_t state = seed;
	size_t offset = 0, chunk;
	const char *error;

	/* A name without a directory: includes resolve against the
	 * fuzzer's working directory, identically for both readings. */
	rule_file_begin(rule_file, "fuzz.cf");
	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		ASSERT(rule_file_feed(rule_file, input + offset, chunk,
		    &error) == 0);
		offset += chunk;
	}
	ASSERT(rule_file_end(rule_file, &error) == 0);
	record(rule_file, events);
	rule_file_free(&rule_file);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole, pieces;

	if (size < 1)
		return 0;
	buffer_init(&whole, 0);
	buffer_init(&pieces, 0);
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, 1 + data[0], &pieces);
	ASSERT(buffer_length(&whole) == buffer_length(&pieces) &&
	    memcmp(buffer_data(&whole), buffer_data(&pieces),
	    buffer_length(&whole)) == 0);
	buffer_deinit(&whole);
	buffer_deinit(&pieces);
	return 0;
}
