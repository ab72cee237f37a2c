/* scan_rules.h: the rule set as a scan check.
 *
 * Adds a SCAN_STAGE_RULES check to a scan engine that parses the message
 * (once per scan, into the scan's arena), runs the SpamAssassin-style
 * rule set over it and turns every rule that hit into a scan hit. The
 * check holds a reference on the rule set for the engine's life. */
#ifndef SLUICE_SCAN_RULES_H
#define SLUICE_SCAN_RULES_H

#include "lib/common.h"
#include "gateway/scan.h"
#include "rules/ruleset.h"

/* Adds the rules check; takes its own reference on ruleset. */
void scan_rules_add(struct scan_engine *engine, struct ruleset *ruleset);

/* The parsed message of a scan (parsing it on first use). */
struct message *scan_rules_message(struct scan *scan);

#endif
