/* rules_loader.h: sluiced's rule set: built at start, rebuilt on SIGHUP.
 *
 * The loader keeps server->scan_engine current. At start it builds the
 * rule set from the config's rules.dirs synchronously; when that fails
 * (no rule directory, a directory that cannot be read) the engine runs
 * without the rules check, because mail must keep flowing, and a later
 * reload may bring the rules. A reload builds a new set on
 * server->workers and, back on the loop thread, swaps in a new engine
 * only if the build worked and brought no problem the running set does
 * not have (ruleset_new_problems()): a file with errors never replaces a
 * working set. Scans holding a reference on the old engine keep it.
 *
 * One build runs at a time; a reload asked for during a build runs once
 * more after it. Loop thread only. The loader may be freed while a build
 * is in flight: that build is discarded when it completes, so the
 * worker pool may be drained after the loader is gone. */
#ifndef SLUICE_RULES_LOADER_H
#define SLUICE_RULES_LOADER_H

#include "lib/common.h"
#include "gateway/server.h"
#include "rules/ruleset.h"

struct rules_loader;

/* Fills options_r for config: its score set and, as paths, the rule
 * directories of rules.dirs that exist (server_config_rule_dirs(); argv0
 * finds share/rules in a build tree and may be NULL). path_count is 0
 * when none exists. *dirs_r is the heap list the paths point into; free
 * it with server_config_free_list() once the build is done. Shared with
 * `sluice check` and `sluice rules lint`, so they compile what sluiced
 * compiles. */
void rules_loader_options(const struct server_config *config,
    const char *argv0, struct ruleset_options *options_r, char ***dirs_r);

/* Builds the rule set from server->config now, on the calling thread,
 * and sets server->scan_engine (never NULL afterwards: without the rules
 * check when they could not be built). Logs event=rules_loaded or
 * event=rules_unavailable. server->workers must exist; argv0 as for
 * rules_loader_options() (kept, not copied). */
struct rules_loader *rules_loader_new(struct server *server,
    const char *argv0);

/* Starts a background rebuild from the current server->config, or, when
 * one is running, asks for one more after it. The outcome is logged:
 * event=rules_reloaded, or event=rules_reload_refused (the engine in
 * use stays). */
void rules_loader_reload(struct rules_loader *loader);

/* Frees the loader and its reference on the current rule set; a build
 * in flight is discarded when it completes. Leaves server->scan_engine
 * to its owner. NULL *loader_p: no-op. */
void rules_loader_free(struct rules_loader **loader_p);

#endif
