/* rules_loader.c: build the rule set at start and on reload, and swap the
 * scan engine when a rebuilt set may replace the running one.
 *
 * DESIGN: a build is a heap job (struct rules_loader_build) holding
 * copies of everything it reads, so the config may be swapped while it
 * runs. The worker only calls ruleset_build(); the decision and the swap
 * run in the completion, on the loop thread, which is the only place
 * server->scan_engine changes. The job points back at the loader, and
 * rules_loader_free() clears that pointer, so a completion that runs
 * while the worker pool drains at shutdown touches nothing freed. */
#include "gateway/rules_loader.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string_view.h"
#include "gateway/scan_rules.h"

/* Widest problem text in a rules_reload_refused line. */
#define RULES_LOADER_LOG_TEXT_MAX 400

struct rules_loader_build {
	struct rules_loader *loader; /* NULL: the loader is gone */
	struct ruleset_options options;
	char **dirs;                 /* options.paths points here */
	char *rules_dirs;            /* rules.dirs as configured */
	struct ruleset *ruleset;     /* the result, or NULL */
	char *error;                 /* why there is none */
};

struct rules_loader {
	struct server *server;
	const char *argv0;
	struct ruleset *ruleset;          /* in server->scan_engine, or NULL */
	struct rules_loader_build *build; /* in flight, or NULL */
	bool again;                       /* a reload came during the build */
};

void
rules_loader_options(const struct server_config *config, const char *argv0,
    struct ruleset_options *options_r, char ***dirs_r)
{
	char **dirs = server_config_rule_dirs(config, argv0);
	size_t count = 0;

	while (dirs[count] != NULL)
		count++;
	memset(options_r, 0, sizeof(*options_r));
	options_r->score_set = (unsigned)config->rules->score_set;
	options_r->paths = (const char *const *)dirs;
	options_r->path_count = count;
	*dirs_r = dirs;
}

static struct rules_loader_build *
rules_loader_build_new(struct rules_loader *loader)
{
	const struct server_config *config = loader->server->config;
	struct rules_loader_build *build = alloc_new(struct rules_loader_build);

	build->loader = loader;
	rules_loader_options(config, loader->argv0, &build->options,
	    &build->dirs);
	build->rules_dirs = alloc_strdup(config->rules->dirs);
	return build;
}

static void
rules_loader_build_free(struct rules_loader_build **build_p)
{
	struct rules_loader_build *build = *build_p;

	ruleset_unref(&build->ruleset);
	server_config_free_list(&build->dirs);
	free(build->rules_dirs);
	free(build->error);
	alloc_free(build_p);
}

/* The work: on a worker thread, or on the loop thread at start. */
static void
rules_loader_build_run(void *context)
{
	struct rules_loader_build *build = context;
	const char *error;

	if (build->options.path_count == 0)
		build->error = alloc_printf("no rule directory found "
		    "(rules.dirs = %s)", build->rules_dirs);
	else if (ruleset_build(&build->options, &build->ruleset, &error) < 0)
		build->error = alloc_strdup(error);
}

/* The directories read, comma-separated, for the log (heap string). */
static char *
rules_loader_dirs_text(const struct rules_loader_build *build)
{
	char *text = alloc_strdup(""), *longer;
	size_t i;

	for (i = 0; i < build->options.path_count; i++) {
		longer = alloc_printf("%s%s%s", text, i == 0 ? "" : ",",
		    build->options.paths[i]);
		free(text);
		text = longer;
	}
	return text;
}

static size_t
rules_loader_rule_count(const struct ruleset *ruleset)
{
	size_t count = 0;

	if (ruleset != NULL)
		(void)ruleset_rules(ruleset, &count);
	return count;
}

/* Makes ruleset (NULL: none) the one scans use, taking over the
 * caller's reference. */
static void
rules_loader_install(struct rules_loader *loader, struct ruleset *ruleset)
{
	struct scan_engine *engine = scan_engine_new();

	if (ruleset != NULL)
		scan_rules_add(engine, ruleset);
	scan_engine_unref(&loader->server->scan_engine);
	loader->server->scan_engine = engine;
	ruleset_unref(&loader->ruleset);
	loader->ruleset = ruleset;
}

/* The completion's decision: swap, or keep the running set. */
static void
rules_loader_decide(struct rules_loader *loader,
    struct rules_loader_build *build)
{
	size_t kept = rules_loader_rule_count(loader->ruleset);
	size_t problems = 0, skipped, diagnostics;
	char shown[RULES_LOADER_LOG_TEXT_MAX];
	const char *first;

	if (build->ruleset == NULL) {
		log_warn("event=rules_reload_refused error=%s kept_rules=%zu",
		    build->error, kept);
		return;
	}
	/* With nothing running, any set that built is better. */
	if (loader->ruleset != NULL)
		problems = ruleset_new_problems(loader->ruleset,
		    build->ruleset, &first);
	if (problems > 0) {
		/* The text goes between double quotes in the log. */
		string_view_printable(string_view_from_cstring(first), shown,
		    sizeof(shown));
		for (char *p = shown; *p != '\0'; p++)
			if (*p == '"')
				*p = '\'';
		log_warn("event=rules_reload_refused problems=%zu first=\"%s\" "
		    "kept_rules=%zu", problems, shown, kept);
		return;
	}
	(void)ruleset_skipped(build->ruleset, &skipped);
	(void)ruleset_diagnostics(build->ruleset, &diagnostics);
	log_info("event=rules_reloaded rules=%zu skipped=%zu diagnostics=%zu",
	    rules_loader_rule_count(build->ruleset), skipped, diagnostics);
	rules_loader_install(loader, build->ruleset);
	build->ruleset = NULL;
}

static void
rules_loader_build_done(void *context)
{
	struct rules_loader_build *build = context;
	struct rules_loader *loader = build->loader;

	if (loader == NULL) {
		rules_loader_build_free(&build);
		return;
	}
	loader->build = NULL;
	rules_loader_decide(loader, build);
	rules_loader_build_free(&build);
	if (loader->again && !loader->server->stopping) {
		loader->again = false;
		rules_loader_reload(loader);
	}
}

struct rules_loader *
rules_loader_new(struct server *server, const char *argv0)
{
	struct rules_loader *loader = alloc_new(struct rules_loader);
	struct rules_loader_build *build;
	size_t skipped, diagnostics;
	char *dirs;

	loader->server = server;
	loader->argv0 = argv0;
	build = rules_loader_build_new(loader);
	rules_loader_build_run(build);
	if (build->ruleset == NULL) {
		log_warn("event=rules_unavailable error=%s", build->error);
	} else {
		dirs = rules_loader_dirs_text(build);
		(void)ruleset_skipped(build->ruleset, &skipped);
		(void)ruleset_diagnostics(build->ruleset, &diagnostics);
		log_info("event=rules_loaded rules=%zu skipped=%zu "
		    "diagnostics=%zu dirs=%s",
		    rules_loader_rule_count(build->ruleset), skipped,
		    diagnostics, dirs);
		free(dirs);
	}
	rules_loader_install(loader, build->ruleset);
	build->ruleset = NULL;
	rules_loader_build_free(&build);
	return loader;
}

void
rules_loader_reload(struct rules_loader *loader)
{
	char *dirs;

	if (loader->build != NULL) {
		loader->again = true;
		log_info("event=rules_reload_queued");
		return;
	}
	loader->build = rules_loader_build_new(loader);
	dirs = rules_loader_dirs_text(loader->build);
	log_info("event=rules_reload_started dirs=%s", dirs);
	free(dirs);
	worker_pool_submit(loader->server->workers, rules_loader_build_run,
	    rules_loader_build_done, loader->build);
}

void
rules_loader_free(struct rules_loader **loader_p)
{
	struct rules_loader *loader = *loader_p;

	if (loader == NULL)
		return;
	if (loader->build != NULL)
		loader->build->loader = NULL;
	ruleset_unref(&loader->ruleset);
	alloc_free(loader_p);
}
