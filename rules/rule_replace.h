/* rule_replace.h: SpamAssassin's ReplaceTags, applied to a rule's regex.
 *
 * Rules named in replace_rules have <TAG> placeholders that expand to the
 * replace_tag fragments, with the optional <pre NAME>, <post NAME> and
 * <inter NAME> markers adding a fragment before, after or between tags.
 * Expansion repeats while a replacement brings new tags (at most six
 * passes), as SpamAssassin does. Pure string work; any thread. */
#ifndef SLUICE_RULE_REPLACE_H
#define SLUICE_RULE_REPLACE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "rules/rule_file.h"

/* True when settings name rule in replace_rules. */
bool rule_replace_applies(const struct rule_file_settings *settings,
    const char *rule);

/* Expands the tags inside the pattern of a regex source ("/.../flags",
 * "m{...}flags") and returns the new source in arena, or source itself
 * when nothing changed. */
const char *rule_replace_expand(struct arena *arena,
    const struct rule_file_settings *settings, const char *source);

#endif
