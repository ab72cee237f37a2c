/* settings.h: sluice.conf reader and per-module settings tables.
 *
 * Each module describes its settings in a table of struct setting: key,
 * type, bounds, default (as text, parsed like the file), help, and where
 * the value lives in the module's own settings struct (offsetof). A
 * struct settings is one loaded configuration: it owns one zeroed struct
 * per section, fills it with defaults, then applies the file. Unknown
 * keys, malformed values and out-of-range values are errors naming
 * FILE:LINE. `sluice config check` and the shipped sluice.conf comments
 * are generated from the same tables (settings_write).
 *
 * Value storage by type: STRING char * (owned by the settings, never
 * NULL, "" when empty), INT int64_t, SIZE uint64_t bytes (K/M/G
 * suffixes, powers of 1024), DURATION int64_t seconds (s/m/h/d/w
 * suffixes), BOOL bool (yes/no, true/false, on/off, 1/0), ENUM int
 * index into choices, MAP struct settings_map.
 *
 * A MAP setting is a family of keys sharing a prefix, for per-name
 * overrides such as "relay.transport.example.org = lmtp:unix:/run/lmtp".
 * Its table key ends in a placeholder component in capitals
 * ("relay.transport.DOMAIN"): any key with the prefix before that
 * component and a non-empty rest sets the entry named by the rest (which
 * may contain dots). A key of its own in the table wins over a MAP
 * prefix. With choices, each value must be one of them (as for ENUM);
 * the module checks the names and free-form values itself, since only
 * it knows what they mean. A MAP has no default: it starts empty.
 *
 * A loaded configuration is immutable after loading and may be read from
 * any thread; a reload builds a new one and swaps it. */
#ifndef SLUICE_SETTINGS_H
#define SLUICE_SETTINGS_H

#include "lib/common.h"

enum setting_type {
	SETTING_STRING,
	SETTING_INT,
	SETTING_SIZE,
	SETTING_DURATION,
	SETTING_BOOL,
	SETTING_ENUM,
	SETTING_MAP,
};

/* The value of a MAP setting: its entries in the order first set (a
 * name set again keeps its place and takes the new value). */
struct settings_map_entry {
	char *name;          /* the key after the prefix, as written */
	char *value;
	int choice;          /* index into choices; -1 without choices */
	unsigned line;       /* file line that set it; 0 if not from a file */
};

struct settings_map {
	struct settings_map_entry *entries;
	size_t count;
};

struct setting {
	const char *key;           /* full dotted key: "smtp.max_recipients" */
	enum setting_type type;
	size_t offset;             /* of the value in the section struct */
	int64_t min, max;          /* INT, SIZE, DURATION (ignored if equal) */
	const char *default_value; /* text; NULL means "" */
	const char *help;          /* one sentence */
	const char *const *choices; /* ENUM, MAP: NULL-terminated */
};

struct settings_section {
	const char *name;          /* "smtp"; a heading in settings_write */
	const struct setting *settings;
	size_t count;
	size_t struct_size;
};

struct settings;

/* Creates a configuration holding defaults for every section. Panics if
 * a default does not parse (that is our bug, caught by unit tests). */
struct settings *settings_new(const struct settings_section *const *sections,
    size_t section_count);
void settings_free(struct settings **settings_p);

/* Applies a config file. Returns 0, or -1 with error_r like
 * "sluice.conf:12: unknown key 'smtp.lisen' (did you mean smtp.listen?)".
 * A key set twice: the last value wins, with a warning naming both
 * lines. Lines are at most 4096 bytes. */
int settings_load_file(struct settings *settings, const char *path,
    const char **error_r);

/* Sets one key from text. source ("FILE:LINE" or "command line") prefixes
 * errors. Returns 0 or -1 with error_r. */
int settings_set(struct settings *settings, const char *key,
    const char *value, const char *source, const char **error_r);

/* The filled-in struct of section (which must be one given to _new). */
const void *settings_section_values(const struct settings *settings,
    const struct settings_section *section);

/* Without with_help: every effective setting as "key = value". With
 * with_help: a commented template, each key under its help text and
 * commented out at its default ("#key = default"), grouped by section. */
void settings_write(const struct settings *settings, FILE *out,
    bool with_help);

/* The entry of map named name (compared without regard to ASCII case),
 * or NULL. */
const struct settings_map_entry *settings_map_find(
    const struct settings_map *map, const char *name);

/* Splits a comma-separated value ("a, b,,c ") into its trimmed,
 * non-empty items: a heap array ending in NULL, items heap strings. */
char **settings_split_list(const char *text);
void settings_list_free(char ***list_p);

/* Parsers used by the table, exposed for callers with ad-hoc values.
 * Each returns 0 or -1 with error_r. */
int settings_parse_size(const char *text, uint64_t *size_r,
    const char **error_r);
int settings_parse_duration(const char *text, int64_t *seconds_r,
    const char **error_r);
int settings_parse_bool(const char *text, bool *value_r, const char **error_r);

#endif
