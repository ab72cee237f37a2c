/* fuzz_rule_prefilter.c: libFuzzer target for rules/rule_prefilter. The
 * input is a flags byte, a regex up to the first NUL and a subject after
 * it. Literals must be well-formed, and whenever PCRE2 (byte mode or
 * UTF mode) matches the subject, or the pattern itself with backslashes
 * dropped (a subject that literal-heavy patterns often match), the
 * prefilter must have marked the rule: a miss is a soundness bug. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "lib/arena.h"
#include "rules/rule_prefilter.h"

#include <pcre2.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATTERN_MAX 2048

/* True when PCRE2 compiles pattern and finds it in subject; bounded
 * work so pathological patterns cannot time the fuzzer out. */
static bool
pcre2_finds(const char *pattern, uint32_t options, const uint8_t *subject,
    size_t length)
{
	pcre2_code *code;
	pcre2_match_data *match;
	pcre2_match_context *context;
	PCRE2_SIZE offset;
	int error, rc;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    options, &error, &offset, NULL);
	if (code == NULL)
		return false;
	context = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(context, 20000);
	pcre2_set_depth_limit(context, 2000);
	match = pcre2_match_data_create_from_pattern(code, NULL);
	rc = pcre2_match(code, subject, length, 0, 0, match, context);
	pcre2_match_data_free(match);
	pcre2_match_context_free(context);
	pcre2_code_free(code);
	return rc >= 0;
}

/* Scans subject with a prefilter holding only pattern as rule 0; when
 * it is not marked, PCRE2 must not match either. */
static void
check_subject(const struct rule_prefilter *prefilter, const char *pattern,
    uint32_t options, const uint8_t *subject, size_t length)
{
	uint64_t bits[1];

	rule_prefilter_reset(prefilter, bits);
	rule_prefilter_scan(prefilter, subject, length, bits);
	if (rule_prefilter_candidate(bits, 0))
		return;
	ASSERT(!pcre2_finds(pattern, options, subject, length));
	ASSERT(!pcre2_finds(pattern, options | PCRE2_UTF |
	    PCRE2_MATCH_INVALID_UTF, subject, length));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_prefilter_builder *builder;
	struct rule_prefilter *prefilter;
	struct string_view *literals;
	struct arena *arena;
	const uint8_t *nul;
	char pattern[PATTERN_MAX + 1], derived[PATTERN_MAX], flags[8];
	size_t pattern_length, count, i, j, n = 0;
	uint32_t options = 0;
	int ret, added;

	if (size < 1)
		return 0;
	nul = memchr(data + 1, '\0', size - 1);
	pattern_length = nul != NULL ? (size_t)(nul - data - 1) : size - 1;
	if (pattern_length > PATTERN_MAX)
		return 0;
	memcpy(pattern, data + 1, pattern_length);
	pattern[pattern_length] = '\0';
	if (data[0] & 1) {
		flags[n++] = 'i';
		options |= PCRE2_CASELESS;
	}
	if (data[0] & 2) {
		flags[n++] = 'm';
		options |= PCRE2_MULTILINE;
	}
	if (data[0] & 4) {
		flags[n++] = 's';
		options |= PCRE2_DOTALL;
	}
	if (data[0] & 8) {
		flags[n++] = 'x';
		options |= PCRE2_EXTENDED;
	}
	flags[n] = '\0';

	arena = arena_new("fuzz", 0);
	ret = rule_prefilter_extract(arena, pattern, flags, &literals, &count);
	ASSERT(ret >= -1 && ret <= 1);
	ASSERT((ret == 1) == (count > 0));
	for (i = 0; i < count; i++) {
		ASSERT(literals[i].length >= RULE_PREFILTER_LITERAL_MIN &&
		    literals[i].length <= RULE_PREFILTER_LITERAL_MAX);
		for (j = 0; j < literals[i].length; j++) {
			unsigned char c = (unsigned char)literals[i].data[j];

			ASSERT(c < 0x80 && !(c >= 'A' && c <= 'Z'));
		}
	}
	arena_free(&arena);

	builder = rule_prefilter_builder_new();
	added = rule_prefilter_add_regex(builder, 0, pattern, flags);
	ASSERT(added == ret);
	prefilter = rule_prefilter_build(&builder);
	if (ret == 1) {
		if (nul != NULL)
			check_subject(prefilter, pattern, options, nul + 1,
			    size - (size_t)(nul + 1 - data));
		for (i = 0, n = 0; i < pattern_length; i++)
			if (pattern[i] != '\\')
				derived[n++] = pattern[i];
		check_subject(prefilter, pattern, options,
		    (const uint8_t *)derived, n);
	}
	rule_prefilter_free(&prefilter);
	return 0;
}
