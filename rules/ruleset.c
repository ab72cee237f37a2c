/* ruleset.c: compile rule files into an immutable, shareable rule set.
 *
 * DESIGN: everything a rule set owns lives in one arena, freed with the
 * last reference. Rules keep the index they get here for their whole
 * life: rule_eval keeps a value per index, and meta expressions refer to
 * rules by index, so all non-meta rules come first and every meta's
 * value slot is its rule index. */
#include "rules/ruleset.h"
#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/error.h"
#include "lib/log.h"
#include "rules/rule_eval.h"
#include "lib/received.h"
#include "rules/rule_prefilter.h"
#include "rules/rule_replace.h"

#include <ctype.h>
#include <sys/stat.h>

/* Plugins whose rules sluice reads by default: the set Debian's
 * SpamAssassin loads, so the same rules are defined; their evals that
 * sluice lacks are reported by lint rather than silently dropped. */
static const char *const ruleset_default_plugins_list[] = {
	"Mail::SpamAssassin::Plugin::AskDNS",
	"Mail::SpamAssassin::Plugin::AutoLearnThreshold",
	"Mail::SpamAssassin::Plugin::Bayes",
	"Mail::SpamAssassin::Plugin::BodyEval",
	"Mail::SpamAssassin::Plugin::Check",
	"Mail::SpamAssassin::Plugin::DKIM",
	"Mail::SpamAssassin::Plugin::DMARC",
	"Mail::SpamAssassin::Plugin::DNSEval",
	"Mail::SpamAssassin::Plugin::FreeMail",
	"Mail::SpamAssassin::Plugin::HTMLEval",
	"Mail::SpamAssassin::Plugin::HTTPSMismatch",
	"Mail::SpamAssassin::Plugin::HashBL",
	"Mail::SpamAssassin::Plugin::HeaderEval",
	"Mail::SpamAssassin::Plugin::ImageInfo",
	"Mail::SpamAssassin::Plugin::MIMEEval",
	"Mail::SpamAssassin::Plugin::MIMEHeader",
	"Mail::SpamAssassin::Plugin::Pyzor",
	"Mail::SpamAssassin::Plugin::Razor2",
	"Mail::SpamAssassin::Plugin::RelayEval",
	"Mail::SpamAssassin::Plugin::ReplaceTags",
	"Mail::SpamAssassin::Plugin::Rule2XSBody",
	"Mail::SpamAssassin::Plugin::SPF",
	"Mail::SpamAssassin::Plugin::SpamCop",
	"Mail::SpamAssassin::Plugin::URIDNSBL",
	"Mail::SpamAssassin::Plugin::URIDetail",
	"Mail::SpamAssassin::Plugin::URIEval",
	"Mail::SpamAssassin::Plugin::VBounce",
	"Mail::SpamAssassin::Plugin::WLBLEval",
	"Mail::SpamAssassin::Plugin::WelcomeListSubject",
};

const char *const *
ruleset_default_plugins(size_t *count_r)
{
	*count_r = ARRAY_LENGTH(ruleset_default_plugins_list);
	return ruleset_default_plugins_list;
}

struct ruleset {
	struct arena *arena;
	struct rule_file *rule_file;       /* owns directive strings */
	struct ruleset_rule *rules;
	size_t rule_count;
	size_t *by_type[RULESET_TYPE_COUNT];
	size_t type_count[RULESET_TYPE_COUNT];
	struct rule_meta_set *metas;
	struct ruleset_skip *skipped;
	size_t skipped_count;
	const char **unimplemented;
	size_t unimplemented_count;
	size_t defined_count;
	size_t *by_name;                   /* rule indices sorted by name */
	size_t unneeded_count;
	struct rule_prefilter *prefilters[RULESET_TYPE_COUNT];
	struct rule_prefilter *squeezed_prefilter; /* body, squeezed lines */
	uint64_t *squeezed_rules; /* their ids, as a body candidate bitset */
	struct received_options received;
	struct ruleset_skip *unsound;      /* metas over skipped rules */
	size_t unsound_count;
	int refcount;
};

static enum ruleset_type
ruleset_type_of(enum rule_file_test_type type)
{
	switch (type) {
	case RULE_FILE_TEST_HEADER:
		return RULESET_HEADER;
	case RULE_FILE_TEST_BODY:
		return RULESET_BODY;
	case RULE_FILE_TEST_RAWBODY:
		return RULESET_RAWBODY;
	case RULE_FILE_TEST_FULL:
		return RULESET_FULL;
	case RULE_FILE_TEST_URI:
		return RULESET_URI;
	case RULE_FILE_TEST_META:
		return RULESET_META;
	}
	return RULESET_META;
}

/* Splits "'a', \"b\", 10" into unquoted strings in arena. */
static void
ruleset_parse_arguments(struct arena *arena, const char *text,
    const char ***arguments_r, size_t *count_r)
{
	const char **arguments;
	size_t count = 0, capacity = 4, length;
	const char *p = text, *start;
	char quote;

	arguments = arena_array(arena, capacity, sizeof(*arguments));
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '\'' || *p == '"') {
			quote = *p++;
			start = p;
			while (*p != '\0' && *p != quote)
				p++;
			length = (size_t)(p - start);
			if (*p == quote)
				p++;
		} else {
			start = p;
			while (*p != '\0' && *p != ',')
				p++;
			length = (size_t)(p - start);
			while (length > 0 && (start[length - 1] == ' ' ||
			    start[length - 1] == '\t'))
				length--;
		}
		if (count == capacity) {
			const char **grown = arena_array(arena, capacity * 2,
			    sizeof(*grown));
			memcpy(grown, arguments, count * sizeof(*grown));
			arguments = grown;
			capacity *= 2;
		}
		arguments[count++] = arena_strndup(arena, start, length);
	}
	*arguments_r = arguments;
	*count_r = count;
}

static void
ruleset_skip(struct ruleset *ruleset, size_t *capacity,
    const struct rule_file_rule *source, const char *reason, bool invalid)
{
	struct ruleset_skip *skip;

	if (ruleset->skipped_count == *capacity) {
		*capacity = *capacity == 0 ? 64 : *capacity * 2;
		ruleset->skipped = alloc_resize(ruleset->skipped, *capacity,
		    sizeof(*ruleset->skipped));
	}
	skip = &ruleset->skipped[ruleset->skipped_count++];
	skip->rule = source->name;
	skip->form = source->definition->test.form;
	skip->reason = arena_strdup(ruleset->arena, reason);
	skip->file = source->definition->file;
	skip->line = source->definition->line;
	skip->invalid = invalid;
}

static void
ruleset_note_unimplemented(struct ruleset *ruleset, size_t *capacity,
    const char *name)
{
	size_t i;

	for (i = 0; i < ruleset->unimplemented_count; i++)
		if (strcmp(ruleset->unimplemented[i], name) == 0)
			return;
	if (ruleset->unimplemented_count == *capacity) {
		*capacity = *capacity == 0 ? 32 : *capacity * 2;
		ruleset->unimplemented = alloc_resize(ruleset->unimplemented,
		    *capacity, sizeof(*ruleset->unimplemented));
	}
	ruleset->unimplemented[ruleset->unimplemented_count++] = name;
}

static const struct ruleset_eval *
ruleset_find_eval(const struct ruleset_options *options, const char *name)
{
	size_t i;

	for (i = 0; i < options->eval_count; i++)
		if (strcmp(options->evals[i].name, name) == 0)
			return &options->evals[i];
	return rule_eval_builtin_find(name);
}

/* Pseudo-headers for the header sections added by trusted or internal
 * relays; the relay strings themselves (X-Spam-Relays-*) are built. */
static bool
ruleset_needs_relays(const char *header)
{
	return strcmp(header, "ALL-TRUSTED") == 0 ||
	    strcmp(header, "ALL-UNTRUSTED") == 0 ||
	    strcmp(header, "ALL-INTERNAL") == 0 ||
	    strcmp(header, "ALL-EXTERNAL") == 0;
}

static void
ruleset_free_regex(void *context)
{
	rule_regex_free(context);
}

/* Fills rule from source (a meta joins ruleset->metas); returns NULL
 * when usable, else the reason, with *invalid_r true when the rule's
 * text is wrong. */
static const char *
ruleset_compile_rule(struct ruleset *ruleset,
    const struct ruleset_options *options, const struct rule_file_rule *source,
    struct ruleset_rule *rule, const char **unimplemented_r, bool *invalid_r)
{
	const struct rule_file_test *test = &source->definition->test;
	const struct rule_file_settings *settings =
	    rule_file_settings(ruleset->rule_file);
	const char *error, *pattern;
	double score;

	*unimplemented_r = NULL;
	*invalid_r = false;
	memset(rule, 0, sizeof(*rule));
	rule->name = source->name;
	rule->type = ruleset_type_of(test->type);
	rule->form = test->form;
	rule->subrule = strncmp(source->name, "__", 2) == 0;
	score = rule_file_rule_score(source, options->score_set);
	/* SpamAssassin: a score of 0 switches a rule off; sub-rules have
	 * no score and always run, for the metas that use them. */
	if (score == 0 && !rule->subrule)
		return "score 0 (disabled)";
	rule->score = rule->subrule ? 0 : score;
	rule->description = source->description != NULL ?
	    source->description : "";
	rule->tflags = source->tflags.flags;
	rule->maxhits = source->tflags.maxhits;
	rule->priority = source->priority;
	rule->action = source->action;
	rule->file = source->definition->file;
	rule->line = source->definition->line;
	rule->header = test->header;
	if (rule->header != NULL && ruleset_needs_relays(rule->header))
		return arena_printf(ruleset->arena, "%s needs the relay "
		    "trust path, not implemented yet", rule->header);
	rule->header_modifiers = test->header_modifiers;
	if (rule->header != NULL)
		rule->header_request = arena_printf(ruleset->arena, "%s%s%s%s",
		    rule->header,
		    (rule->header_modifiers & RULE_FILE_HEADER_RAW) ? ":raw" : "",
		    (rule->header_modifiers & RULE_FILE_HEADER_ADDR) ?
		    ":addr" : "",
		    (rule->header_modifiers & RULE_FILE_HEADER_NAME) ?
		    ":name" : "");
	rule->negated = test->negated;
	rule->if_unset = test->if_unset;
	switch (test->form) {
	case RULE_FILE_FORM_REGEX:
		pattern = test->pattern;
		if (rule_replace_applies(settings, source->name))
			pattern = rule_replace_expand(ruleset->arena, settings,
			    pattern);
		if (rule_regex_compile(pattern, strlen(pattern),
		    NULL, &rule->regex, &error) < 0) {
			*invalid_r = true;
			return arena_printf(ruleset->arena, "regex: %s", error);
		}
		arena_add_cleanup(ruleset->arena, ruleset_free_regex,
		    &rule->regex);
		break;
	case RULE_FILE_FORM_EVAL:
		rule->eval = ruleset_find_eval(options, test->eval_function);
		if (rule->eval == NULL) {
			*unimplemented_r = test->eval_function;
			return arena_printf(ruleset->arena,
			    "eval:%s not implemented", test->eval_function);
		}
		ruleset_parse_arguments(ruleset->arena, test->eval_arguments,
		    (const char ***)&rule->eval_arguments,
		    &rule->eval_argument_count);
		break;
	case RULE_FILE_FORM_META:
		/* Last, so a meta added here is never skipped after. */
		if (rule_meta_add(ruleset->metas, source->name,
		    test->expression, &error) < 0) {
			*invalid_r = true;
			return arena_printf(ruleset->arena, "meta: %s", error);
		}
		break;
	case RULE_FILE_FORM_EXISTS:
		break;
	}
	return NULL;
}

struct ruleset_meta_lookup {
	struct ruleset *ruleset;
};

static bool
ruleset_meta_lookup(void *context, const char *name, size_t *index_r)
{
	struct ruleset_meta_lookup *lookup = context;

	return ruleset_find(lookup->ruleset, name, index_r) != NULL;
}

static void
ruleset_meta_diagnostic(void *context, enum rule_meta_severity severity,
    const char *meta_name, const char *message)
{
	(void)context;
	if (severity == RULE_META_SEVERITY_ERROR)
		log_debug("event=meta_disabled rule=%s reason=%s", meta_name,
		    message);
}

static int
ruleset_compare_indices(const void *a, const void *b, void *context)
{
	const struct ruleset_rule *rules = context;

	return strcmp(rules[*(const size_t *)a].name,
	    rules[*(const size_t *)b].name);
}

/* Metas over rules we could not compile would be evaluated with those
 * rules at 0 where SpamAssassin evaluates them for real: their results
 * would be wrong, not just weaker. Such metas are skipped too, with the
 * rule they depend on named; a rule that is merely switched off (score
 * 0) is 0 in SpamAssassin as well and does not count. */
static int
ruleset_compare_skips(const void *a, const void *b)
{
	return strcmp(((const struct ruleset_skip *)a)->rule,
	    ((const struct ruleset_skip *)b)->rule);
}

static const struct ruleset_skip *
ruleset_find_skip(const struct ruleset_skip *sorted, size_t count,
    const char *name)
{
	struct ruleset_skip key = { .rule = name };

	return count == 0 ? NULL :
	    bsearch(&key, sorted, count, sizeof(key), ruleset_compare_skips);
}

static void
ruleset_mark_unsound_metas(struct ruleset *ruleset,
    const struct rule_file_rule *const *sources, size_t source_count)
{
	struct ruleset_skip *skipped, *unsound_sorted;
	const struct ruleset_skip *found;
	bool changed = true;
	size_t i;

	/* Sorted copies for bsearch; the skip list keeps file order. */
	skipped = alloc_array(ruleset->skipped_count + 1, sizeof(*skipped));
	if (ruleset->skipped_count > 0)
		memcpy(skipped, ruleset->skipped,
		    ruleset->skipped_count * sizeof(*skipped));
	qsort(skipped, ruleset->skipped_count, sizeof(*skipped),
	    ruleset_compare_skips);
	ruleset->unsound = arena_array(ruleset->arena, source_count + 1,
	    sizeof(*ruleset->unsound));
	unsound_sorted = alloc_array(source_count + 1,
	    sizeof(*unsound_sorted));
	ruleset->unsound_count = 0;
	while (changed) {
		/* Metas found unsound in this pass are seen in the next. */
		size_t sorted_count = ruleset->unsound_count;

		changed = false;
		memcpy(unsound_sorted, ruleset->unsound,
		    sorted_count * sizeof(*unsound_sorted));
		qsort(unsound_sorted, sorted_count, sizeof(*unsound_sorted),
		    ruleset_compare_skips);
		for (i = 0; i < source_count; i++) {
			const struct rule_file_rule *source = sources[i];
			const char *expression, *p, *start, *reason = NULL;
			char name[RULE_META_NAME_MAX + 1];
			size_t length;

			if (source->definition->test.type != RULE_FILE_TEST_META)
				continue;
			if (ruleset_find_skip(unsound_sorted, sorted_count,
			    source->name) != NULL)
				continue;
			expression = source->definition->test.expression;
			for (p = expression; *p != '\0';) {
				if (!isalpha((unsigned char)*p) && *p != '_') {
					p++;
					continue;
				}
				start = p;
				while (isalnum((unsigned char)*p) || *p == '_')
					p++;
				length = (size_t)(p - start);
				if (length > RULE_META_NAME_MAX)
					continue;
				memcpy(name, start, length);
				name[length] = '\0';
				/* Score 0 means off, as in SpamAssassin: 0 there
				 * too, so it does not make the meta unsound. */
				found = ruleset_find_skip(skipped,
				    ruleset->skipped_count, name);
				if (found != NULL &&
				    strncmp(found->reason, "score 0", 7) != 0) {
					reason = found->reason;
					break;
				}
				if (ruleset_find_skip(unsound_sorted,
				    sorted_count, name) != NULL) {
					reason = "a meta it uses is skipped";
					break;
				}
			}
			if (reason == NULL)
				continue;
			ruleset->unsound[ruleset->unsound_count].rule =
			    source->name;
			ruleset->unsound[ruleset->unsound_count].reason =
			    arena_printf(ruleset->arena, "depends on %s (%s)",
				arena_strdup(ruleset->arena, name), reason);
			ruleset->unsound_count++;
			changed = true;
		}
	}
	free(skipped);
	free(unsound_sorted);
}

static const char *
ruleset_unsound_reason(const struct ruleset *ruleset, const char *name)
{
	size_t i;

	for (i = 0; i < ruleset->unsound_count; i++)
		if (strcmp(ruleset->unsound[i].rule, name) == 0)
			return ruleset->unsound[i].reason;
	return NULL;
}

/* Rules that read the same header share one request string, so the
 * per-message header cache can match them by pointer. */
static int
ruleset_compare_requests(const void *a, const void *b)
{
	const struct ruleset_rule *x = *(const struct ruleset_rule *const *)a;
	const struct ruleset_rule *y = *(const struct ruleset_rule *const *)b;

	return strcmp(x->header_request, y->header_request);
}

static void
ruleset_intern_header_requests(struct ruleset *ruleset)
{
	struct ruleset_rule **with = alloc_array(ruleset->rule_count + 1,
	    sizeof(*with));
	size_t i, count = 0;

	for (i = 0; i < ruleset->rule_count; i++)
		if (ruleset->rules[i].header_request != NULL)
			with[count++] = &ruleset->rules[i];
	qsort(with, count, sizeof(*with), ruleset_compare_requests);
	for (i = 1; i < count; i++)
		if (strcmp(with[i]->header_request,
		    with[i - 1]->header_request) == 0)
			with[i]->header_request = with[i - 1]->header_request;
	free(with);
}

/* trusted_networks and internal_networks as parsed networks; entries
 * that do not parse are left out (lint shows the line). */
static void
ruleset_parse_networks(struct ruleset *ruleset, const char *const *entries,
    size_t count, const struct received_network **networks_r,
    size_t *count_r)
{
	struct received_network *networks = arena_array(ruleset->arena,
	    count + 1, sizeof(*networks));
	const char *error;
	size_t i, used = 0;

	for (i = 0; i < count; i++)
		if (received_network_parse(entries[i], &networks[used],
		    &error) == 0)
			used++;
	*networks_r = networks;
	*count_r = used;
}

static void
ruleset_build_networks(struct ruleset *ruleset)
{
	const struct rule_file_settings *settings =
	    rule_file_settings(ruleset->rule_file);

	ruleset_parse_networks(ruleset, settings->trusted_networks,
	    settings->trusted_network_count, &ruleset->received.trusted,
	    &ruleset->received.trusted_count);
	ruleset_parse_networks(ruleset, settings->internal_networks,
	    settings->internal_network_count, &ruleset->received.internal,
	    &ruleset->received.internal_count);
}

/* A header rule may skip when its literals are absent from the header
 * block as sent and as decoded (rule_eval scans both): true for plain
 * and :raw values of real headers and of ALL, ToCc, MESSAGEID, which
 * are made of those texts. Not for !~ (a miss is a hit), [if-unset:]
 * (the default is not in the header), :addr/:name (rewritten values),
 * EnvelopeFrom and the relay strings (not header text at all). */
static bool
ruleset_header_prefilterable(const struct ruleset_rule *rule)
{
	const char *header = rule->header;

	if (rule->negated || rule->if_unset != NULL ||
	    (rule->header_modifiers & ~(unsigned)RULE_FILE_HEADER_RAW) != 0)
		return false;
	if (strcasecmp(header, "EnvelopeFrom") == 0 ||
	    strncasecmp(header, "X-Spam-Relays-", 14) == 0 ||
	    strncmp(header, "ALL-", 4) == 0)
		return false;
	return true;
}

/* A body rule the prefilter must always run may still have literals in
 * the squeezed form of ASCII lines (most lines): spellings of words with
 * junk between the letters or with look-alikes, which are among the
 * costliest rules. */
static void
ruleset_add_squeezed_literals(struct ruleset *ruleset,
    struct rule_prefilter_builder **builder_p, size_t index,
    const char *flags)
{
	struct ruleset_rule *rule = &ruleset->rules[index];
	struct string_view *literals;
	struct arena *arena;
	size_t count, i;

	if (!rule->needed)
		return;
	arena = arena_new("squeezed literals", 4096);
	if (rule_prefilter_extract_squeezed(arena,
	    rule_regex_pattern(rule->regex), flags, &literals, &count) == 1) {
		if (*builder_p == NULL)
			*builder_p = rule_prefilter_builder_new();
		/* No literal: it cannot match an ASCII line at all. */
		for (i = 0; i < count; i++)
			(void)rule_prefilter_add_literal(*builder_p,
			    (unsigned)index, literals[i].data,
			    literals[i].length);
		rule->squeezed_prefiltered = true;
	}
	arena_free(&arena);
}

/* One prefilter per text the rules of a type run over. A rule whose
 * pattern yields no required literal always runs. */
static void
ruleset_build_prefilters(struct ruleset *ruleset)
{
	static const enum ruleset_type types[] = { RULESET_BODY,
		RULESET_RAWBODY, RULESET_URI, RULESET_HEADER };
	struct rule_prefilter_builder *builder, *squeezed_builder = NULL;
	char flags[8];
	size_t i, t, used, words;
	unsigned bits;

	for (t = 0; t < ARRAY_LENGTH(types); t++) {
		bool any = false;

		builder = rule_prefilter_builder_new();
		for (i = 0; i < ruleset->rule_count; i++) {
			const struct ruleset_rule *rule = &ruleset->rules[i];
			if (rule->type != types[t])
				continue;
			any = true;
			if (rule->form != RULE_FILE_FORM_REGEX ||
			    (rule->type == RULESET_HEADER &&
			    !ruleset_header_prefilterable(rule))) {
				rule_prefilter_add_always(builder, (unsigned)i);
				continue;
			}
			/* The translated pattern is what PCRE2 runs. */
			bits = rule_regex_flags(rule->regex);
			used = 0;
			if (bits & RULE_REGEX_CASELESS)
				flags[used++] = 'i';
			if (bits & RULE_REGEX_MULTILINE)
				flags[used++] = 'm';
			if (bits & RULE_REGEX_DOTALL)
				flags[used++] = 's';
			if (bits & RULE_REGEX_EXTENDED)
				flags[used++] = 'x';
			flags[used] = '\0';
			if (rule_prefilter_add_regex(builder, (unsigned)i,
			    rule_regex_pattern(rule->regex), flags) != 1 &&
			    types[t] == RULESET_BODY)
				ruleset_add_squeezed_literals(ruleset,
				    &squeezed_builder, i, flags);
		}
		if (!any) {
			rule_prefilter_builder_free(&builder);
			continue;
		}
		ruleset->prefilters[types[t]] = rule_prefilter_build(&builder);
	}
	if (squeezed_builder == NULL)
		return;
	ruleset->squeezed_prefilter = rule_prefilter_build(&squeezed_builder);
	words = rule_prefilter_bitset_words(ruleset->prefilters[RULESET_BODY]);
	ruleset->squeezed_rules = arena_array(ruleset->arena, words,
	    sizeof(uint64_t));
	for (i = 0; i < ruleset->rule_count; i++)
		if (ruleset->rules[i].squeezed_prefiltered)
			ruleset->squeezed_rules[i / 64] |= (uint64_t)1 << (i % 64);
}

struct ruleset_needed_marking {
	struct ruleset *ruleset;
	bool changed;
};

static void
ruleset_mark_operand(size_t index, void *context)
{
	struct ruleset_needed_marking *marking = context;
	struct ruleset_rule *rule = &marking->ruleset->rules[index];

	if (!rule->needed) {
		rule->needed = true;
		marking->changed = true;
	}
}

/* Sets each rule's needed flag: shown rules, then whatever a needed meta
 * reads, until nothing changes (as many rounds as metas nest). */
static void
ruleset_mark_needed(struct ruleset *ruleset)
{
	struct ruleset_needed_marking marking = { ruleset, true };
	size_t i, meta, count = rule_meta_count(ruleset->metas);

	for (i = 0; i < ruleset->rule_count; i++)
		ruleset->rules[i].needed = !ruleset->rules[i].subrule;
	while (marking.changed) {
		marking.changed = false;
		for (meta = 0; meta < count; meta++) {
			if (!rule_meta_enabled(ruleset->metas, meta) ||
			    !ruleset->rules[rule_meta_value_index(
			    ruleset->metas, meta)].needed)
				continue;
			rule_meta_visit_operands(ruleset->metas, meta,
			    ruleset_mark_operand, &marking);
		}
	}
	for (i = 0; i < ruleset->rule_count; i++)
		if (!ruleset->rules[i].needed)
			ruleset->unneeded_count++;
}

size_t
ruleset_unneeded_count(const struct ruleset *ruleset)
{
	return ruleset->unneeded_count;
}

int
ruleset_build(const struct ruleset_options *options,
    struct ruleset **ruleset_r, const char **error_r)
{
	struct rule_file_options file_options;
	const struct rule_file_rule *const *sources;
	struct ruleset_rule *compiled;
	struct ruleset_meta_lookup lookup;
	struct rule_meta_callbacks callbacks;
	struct ruleset *ruleset;
	const char *reason, *unimplemented, *failed;
	size_t source_count, i, skip_capacity = 0, eval_capacity = 0;
	size_t compiled_count = 0, t;
	bool invalid;
	struct stat st;

	ruleset = alloc_new(struct ruleset);
	ruleset->arena = arena_new("ruleset", 64 * 1024);
	ruleset->refcount = 1;
	memset(&file_options, 0, sizeof(file_options));
	if (options->plugins != NULL) {
		file_options.plugins = options->plugins;
		file_options.plugin_count = options->plugin_count;
	} else {
		file_options.plugins = ruleset_default_plugins(
		    &file_options.plugin_count);
	}
	/* can(...) blocks test the evals sluice implements. */
	file_options.features = rule_eval_builtin_features(
	    &file_options.feature_count);
	ruleset->rule_file = rule_file_new(&file_options);
	for (i = 0; i < options->path_count; i++) {
		const char *path = options->paths[i];
		int ret;

		if (stat(path, &st) < 0) {
			*error_r = error_set_errno("rules %s", path);
			ruleset_unref(&ruleset);
			return -1;
		}
		ret = S_ISDIR(st.st_mode) ?
		    rule_file_load_directory(ruleset->rule_file, path, &failed) :
		    rule_file_load(ruleset->rule_file, path, &failed);
		if (ret < 0) {
			*error_r = error_set("rules %s: %s", path, failed);
			ruleset_unref(&ruleset);
			return -1;
		}
	}

	/* Metas are parsed as they compile: see ruleset_compile_rule(). */
	ruleset->metas = rule_meta_set_new(NULL);
	sources = rule_file_rules(ruleset->rule_file, &source_count);
	ruleset->defined_count = source_count;
	compiled = arena_array(ruleset->arena, source_count + 1,
	    sizeof(*compiled));
	/* Non-meta rules first, metas after: see DESIGN above. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			ruleset_mark_unsound_metas(ruleset, sources, source_count);
		for (i = 0; i < source_count; i++) {
			const struct rule_file_rule *source = sources[i];
			bool is_meta = source->definition->test.type ==
			    RULE_FILE_TEST_META;
			const char *depends;

			if (is_meta != (pass == 1))
				continue;
			depends = is_meta ? ruleset_unsound_reason(ruleset,
			    source->name) : NULL;
			if (depends != NULL) {
				ruleset_skip(ruleset, &skip_capacity, source,
				    depends, false);
				continue;
			}
			reason = ruleset_compile_rule(ruleset, options, source,
			    &compiled[compiled_count], &unimplemented,
			    &invalid);
			if (unimplemented != NULL)
				ruleset_note_unimplemented(ruleset,
				    &eval_capacity, unimplemented);
			if (reason != NULL) {
				ruleset_skip(ruleset, &skip_capacity, source,
				    reason, invalid);
				continue;
			}
			compiled_count++;
		}
	}
	ruleset->rules = compiled;
	ruleset->rule_count = compiled_count;
	ruleset->by_name = arena_array(ruleset->arena, compiled_count + 1,
	    sizeof(size_t));
	for (i = 0; i < compiled_count; i++)
		ruleset->by_name[i] = i;
	qsort_r(ruleset->by_name, compiled_count, sizeof(size_t),
	    ruleset_compare_indices, compiled);

	/* Metas: every name resolves through ruleset_find(). */
	lookup.ruleset = ruleset;
	callbacks.lookup = ruleset_meta_lookup;
	callbacks.diagnostic = ruleset_meta_diagnostic;
	callbacks.context = &lookup;
	if (rule_meta_compile(ruleset->metas, compiled_count, &callbacks,
	    &failed) < 0)
		log_panic("ruleset: meta lookup inconsistent: %s", failed);

	ruleset_mark_needed(ruleset);
	ruleset_intern_header_requests(ruleset);
	ruleset_build_prefilters(ruleset);
	ruleset_build_networks(ruleset);
	for (t = 0; t < RULESET_TYPE_COUNT; t++)
		ruleset->by_type[t] = arena_array(ruleset->arena,
		    compiled_count + 1, sizeof(size_t));
	for (i = 0; i < compiled_count; i++) {
		t = compiled[i].type;
		ruleset->by_type[t][ruleset->type_count[t]++] = i;
	}
	*ruleset_r = ruleset;
	return 0;
}

void
ruleset_ref(struct ruleset *ruleset)
{
	__atomic_add_fetch(&ruleset->refcount, 1, __ATOMIC_RELAXED);
}

void
ruleset_unref(struct ruleset **ruleset_p)
{
	struct ruleset *ruleset = *ruleset_p;

	if (ruleset == NULL)
		return;
	*ruleset_p = NULL;
	if (__atomic_sub_fetch(&ruleset->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	rule_meta_set_free(&ruleset->metas);
	for (size_t t = 0; t < RULESET_TYPE_COUNT; t++)
		rule_prefilter_free(&ruleset->prefilters[t]);
	rule_prefilter_free(&ruleset->squeezed_prefilter);
	arena_free(&ruleset->arena);
	rule_file_free(&ruleset->rule_file);
	free(ruleset->skipped);
	free(ruleset->unimplemented);
	free(ruleset);
}

const struct ruleset_rule *
ruleset_rules(const struct ruleset *ruleset, size_t *count_r)
{
	*count_r = ruleset->rule_count;
	return ruleset->rules;
}

const struct ruleset_rule *
ruleset_find(const struct ruleset *ruleset, const char *name,
    size_t *index_r)
{
	size_t low = 0, high = ruleset->rule_count, middle;
	int order;

	while (low < high) {
		middle = low + (high - low) / 2;
		order = strcmp(name,
		    ruleset->rules[ruleset->by_name[middle]].name);
		if (order == 0) {
			if (index_r != NULL)
				*index_r = ruleset->by_name[middle];
			return &ruleset->rules[ruleset->by_name[middle]];
		}
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return NULL;
}

const struct rule_meta_set *
ruleset_metas(const struct ruleset *ruleset)
{
	return ruleset->metas;
}

const size_t *
ruleset_of_type(const struct ruleset *ruleset, enum ruleset_type type,
    size_t *count_r)
{
	*count_r = ruleset->type_count[type];
	return ruleset->by_type[type];
}

const struct received_options *
ruleset_received_options(const struct ruleset *ruleset)
{
	return &ruleset->received;
}

const struct rule_prefilter *
ruleset_squeezed_prefilter(const struct ruleset *ruleset)
{
	return ruleset->squeezed_prefilter;
}

const uint64_t *
ruleset_squeezed_rules(const struct ruleset *ruleset)
{
	return ruleset->squeezed_rules;
}

const struct rule_prefilter *
ruleset_prefilter(const struct ruleset *ruleset, enum ruleset_type type)
{
	return ruleset->prefilters[type];
}

double
ruleset_required_score(const struct ruleset *ruleset)
{
	return rule_file_settings(ruleset->rule_file)->required_score;
}

const struct rule_file_settings *
ruleset_settings(const struct ruleset *ruleset)
{
	return rule_file_settings(ruleset->rule_file);
}

const struct ruleset_skip *
ruleset_skipped(const struct ruleset *ruleset, size_t *count_r)
{
	*count_r = ruleset->skipped_count;
	return ruleset->skipped;
}

const struct rule_file_diagnostic *const *
ruleset_diagnostics(const struct ruleset *ruleset, size_t *count_r)
{
	return rule_file_diagnostics(ruleset->rule_file, count_r);
}

const char *const *
ruleset_unimplemented_evals(const struct ruleset *ruleset, size_t *count_r)
{
	*count_r = ruleset->unimplemented_count;
	return ruleset->unimplemented;
}

size_t
ruleset_defined_count(const struct ruleset *ruleset)
{
	return ruleset->defined_count;
}

/* One problem of a rule set for ruleset_new_problems(): a diagnostic
 * (file, text) or an invalid skip (rule, reason), with where it is. */
struct ruleset_problem {
	bool is_skip;
	const char *first;  /* diagnostic file, or skipped rule */
	const char *second; /* diagnostic text, or skip reason */
	const struct rule_file_diagnostic *diagnostic;
	const struct ruleset_skip *skip;
	bool excused;
};

static int
ruleset_compare_problems(const void *a, const void *b)
{
	const struct ruleset_problem *x = a, *y = b;
	int order;

	if (x->is_skip != y->is_skip)
		return x->is_skip ? 1 : -1;
	order = strcmp(x->first, y->first);
	return order != 0 ? order : strcmp(x->second, y->second);
}

static bool
ruleset_diagnostic_is_problem(const struct rule_file_diagnostic *diagnostic)
{
	switch (diagnostic->kind) {
	case RULE_FILE_DIAGNOSTIC_INVALID:
	case RULE_FILE_DIAGNOSTIC_STRUCTURE:
		return true;
	case RULE_FILE_DIAGNOSTIC_UNKNOWN:
		break;
	}
	return false;
}

/* The problems of ruleset in file order (diagnostics, then skips), as a
 * heap array; none for NULL. */
static struct ruleset_problem *
ruleset_problems(const struct ruleset *ruleset, size_t *count_r)
{
	const struct rule_file_diagnostic *const *diagnostics = NULL;
	struct ruleset_problem *problems;
	size_t diagnostic_count = 0, i, count = 0;

	if (ruleset != NULL)
		diagnostics = ruleset_diagnostics(ruleset, &diagnostic_count);
	problems = alloc_array(diagnostic_count +
	    (ruleset != NULL ? ruleset->skipped_count : 0) + 1,
	    sizeof(*problems));
	for (i = 0; i < diagnostic_count; i++) {
		if (!ruleset_diagnostic_is_problem(diagnostics[i]))
			continue;
		problems[count].first = diagnostics[i]->file;
		problems[count].second = diagnostics[i]->text;
		problems[count++].diagnostic = diagnostics[i];
	}
	for (i = 0; ruleset != NULL && i < ruleset->skipped_count; i++) {
		if (!ruleset->skipped[i].invalid)
			continue;
		problems[count].is_skip = true;
		problems[count].first = ruleset->skipped[i].rule;
		problems[count].second = ruleset->skipped[i].reason;
		problems[count++].skip = &ruleset->skipped[i];
	}
	*count_r = count;
	return problems;
}

/* Marks one not yet excused problem of sorted equal to key as excused;
 * returns false when there is none. */
static bool
ruleset_excuse_problem(struct ruleset_problem *sorted, size_t count,
    const struct ruleset_problem *key)
{
	size_t low = 0, high = count, middle;

	/* The first element not less than key. */
	while (low < high) {
		middle = low + (high - low) / 2;
		if (ruleset_compare_problems(&sorted[middle], key) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (; low < count && ruleset_compare_problems(&sorted[low], key) == 0;
	    low++) {
		if (!sorted[low].excused) {
			sorted[low].excused = true;
			return true;
		}
	}
	return false;
}

size_t
ruleset_new_problems(const struct ruleset *current,
    const struct ruleset *candidate, const char **first_r)
{
	struct ruleset_problem *known, *found;
	size_t known_count, found_count, i, new_count = 0;

	*first_r = NULL;
	known = ruleset_problems(current, &known_count);
	qsort(known, known_count, sizeof(*known), ruleset_compare_problems);
	found = ruleset_problems(candidate, &found_count);
	for (i = 0; i < found_count; i++) {
		if (ruleset_excuse_problem(known, known_count, &found[i]))
			continue;
		if (new_count++ > 0)
			continue;
		if (found[i].is_skip)
			*first_r = error_set("%s:%u: %s: %s",
			    found[i].skip->file, found[i].skip->line,
			    found[i].skip->rule, found[i].skip->reason);
		else
			*first_r = error_set("%s",
			    found[i].diagnostic->message);
	}
	free(known);
	free(found);
	return new_count;
}
