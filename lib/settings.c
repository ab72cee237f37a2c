/* settings.c: parse sluice.conf into per-module structs via their tables. */
#include "lib/settings.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"

#include <ctype.h>

#define SETTINGS_LINE_MAX 4096

struct settings {
	const struct settings_section *const *sections;
	size_t section_count;
	void **values;        /* one struct per section */
	unsigned **set_lines; /* per setting: file line that set it, 0 = none */
};

/* The length of a MAP key's prefix: up to and including the dot before
 * its placeholder ("relay.transport." of "relay.transport.DOMAIN"). */
static size_t
settings_map_prefix_length(const struct setting *setting)
{
	const char *dot = strrchr(setting->key, '.');

	ASSERT(dot != NULL);
	return (size_t)(dot - setting->key) + 1;
}

/* Finds the setting for key: one of its own, else a MAP whose prefix
 * key extends (then *name_r is the rest of key; NULL otherwise). */
static const struct setting *
settings_find(const struct settings *settings, const char *key,
    size_t *section_r, size_t *index_r, const char **name_r)
{
	const struct setting *setting;
	size_t s, i, prefix;

	*name_r = NULL;
	for (s = 0; s < settings->section_count; s++) {
		const struct settings_section *section = settings->sections[s];
		for (i = 0; i < section->count; i++) {
			if (strcmp(section->settings[i].key, key) == 0 &&
			    section->settings[i].type != SETTING_MAP) {
				*section_r = s;
				*index_r = i;
				return &section->settings[i];
			}
		}
	}
	for (s = 0; s < settings->section_count; s++) {
		const struct settings_section *section = settings->sections[s];
		for (i = 0; i < section->count; i++) {
			setting = &section->settings[i];
			if (setting->type != SETTING_MAP)
				continue;
			prefix = settings_map_prefix_length(setting);
			if (strncmp(setting->key, key, prefix) == 0 &&
			    key[prefix] != '\0') {
				*section_r = s;
				*index_r = i;
				*name_r = key + prefix;
				return setting;
			}
		}
	}
	return NULL;
}

/* Levenshtein distance, capped; for "did you mean" hints only. */
static size_t
settings_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1),
			    prev + (a[i - 1] == b[j - 1] ? 0 : 1));
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *
settings_suggest(const struct settings *settings, const char *key)
{
	const char *best = NULL;
	size_t best_distance = 3, s, i, d;

	for (s = 0; s < settings->section_count; s++) {
		const struct settings_section *section = settings->sections[s];
		for (i = 0; i < section->count; i++) {
			d = settings_distance(key, section->settings[i].key);
			if (d < best_distance) {
				best_distance = d;
				best = section->settings[i].key;
			}
		}
	}
	return best;
}

int
settings_parse_bool(const char *text, bool *value_r, const char **error_r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(yes); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value_r = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value_r = false;
			return 0;
		}
	}
	*error_r = error_set("'%s' is not yes or no", text);
	return -1;
}

/* Parses digits followed by an optional unit from units[] (each with its
 * multiplier). An empty unit is always allowed. */
static int
settings_parse_scaled(const char *text, const char *const *units,
    const uint64_t *multipliers, size_t unit_count, uint64_t *value_r)
{
	uint64_t value = 0, digit;
	const char *p = text;
	size_t i;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		digit = (uint64_t)(*p - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return -1;
		value = value * 10 + digit;
		p++;
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		*value_r = value;
		return 0;
	}
	for (i = 0; i < unit_count; i++) {
		if (strcasecmp(p, units[i]) == 0) {
			if (value > UINT64_MAX / multipliers[i])
				return -1;
			*value_r = value * multipliers[i];
			return 0;
		}
	}
	return -1;
}

int
settings_parse_size(const char *text, uint64_t *size_r, const char **error_r)
{
	static const char *const units[] = { "k", "kb", "m", "mb", "g", "gb",
		"b" };
	static const uint64_t multipliers[] = { 1024, 1024, 1048576, 1048576,
		1073741824, 1073741824, 1 };

	if (settings_parse_scaled(text, units, multipliers, ARRAY_LENGTH(units),
	    size_r) < 0) {
		*error_r = error_set("'%s' is not a size (like 25M)", text);
		return -1;
	}
	return 0;
}

int
settings_parse_duration(const char *text, int64_t *seconds_r,
    const char **error_r)
{
	static const char *const units[] = { "s", "m", "h", "d", "w" };
	static const uint64_t multipliers[] = { 1, 60, 3600, 86400, 604800 };
	uint64_t value;

	if (settings_parse_scaled(text, units, multipliers, ARRAY_LENGTH(units),
	    &value) < 0 || value > INT64_MAX) {
		*error_r = error_set("'%s' is not a duration (like 300s, 5m, 7d)",
		    text);
		return -1;
	}
	*seconds_r = (int64_t)value;
	return 0;
}

static int
settings_parse_int(const char *text, int64_t *value_r, const char **error_r)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0') {
		*error_r = error_set("'%s' is not a whole number", text);
		return -1;
	}
	*value_r = value;
	return 0;
}

static int
settings_check_range(const struct setting *setting, const char *text,
    bool below, bool above, const char **error_r)
{
	if (setting->min == setting->max)
		return 0;
	if (below) {
		*error_r = error_set("%s is below the minimum %lld", text,
		    (long long)setting->min);
		return -1;
	}
	if (above) {
		*error_r = error_set("%s is above the maximum %lld", text,
		    (long long)setting->max);
		return -1;
	}
	return 0;
}

/* The index of text in choices, or -1 with error_r. */
static int
settings_choice(const char *const *choices, const char *text,
    const char **error_r)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(text, choices[i]) == 0)
			return (int)i;
	*error_r = error_set("'%s' is not one of the choices", text);
	return -1;
}

/* Sets the entry name of a MAP to text. *previous_line_r is the line
 * that set it before (0: new, or not from a file). */
static int
settings_store_map(const struct setting *setting, struct settings_map *map,
    const char *name, const char *text, unsigned line,
    unsigned *previous_line_r, const char **error_r)
{
	struct settings_map_entry *entry = NULL;
	int choice = -1;
	size_t i;

	*previous_line_r = 0;
	if (setting->choices != NULL &&
	    (choice = settings_choice(setting->choices, text, error_r)) < 0)
		return -1;
	for (i = 0; i < map->count; i++)
		if (strcasecmp(map->entries[i].name, name) == 0)
			entry = &map->entries[i];
	if (entry == NULL) {
		map->entries = alloc_resize(map->entries, map->count + 1,
		    sizeof(*map->entries));
		entry = &map->entries[map->count++];
		entry->name = alloc_strdup(name);
		entry->value = NULL;
		entry->line = 0;
	}
	free(entry->value);
	entry->value = alloc_strdup(text);
	entry->choice = choice;
	*previous_line_r = entry->line;
	entry->line = line;
	return 0;
}

/* Parses text into the value slot of setting inside values. */
static int
settings_store(const struct setting *setting, void *values, const char *text,
    const char **error_r)
{
	unsigned char *slot = (unsigned char *)values + setting->offset;
	int64_t number;
	uint64_t size;
	bool flag;

	switch (setting->type) {
	case SETTING_STRING: {
		char **string = (char **)(void *)slot;
		free(*string);
		*string = alloc_strdup(text);
		return 0;
	}
	case SETTING_INT:
		if (settings_parse_int(text, &number, error_r) < 0 ||
		    settings_check_range(setting, text, number < setting->min,
		    number > setting->max, error_r) < 0)
			return -1;
		memcpy(slot, &number, sizeof(number));
		return 0;
	case SETTING_SIZE:
		if (settings_parse_size(text, &size, error_r) < 0 ||
		    settings_check_range(setting, text,
		    size < (uint64_t)setting->min,
		    size > (uint64_t)setting->max, error_r) < 0)
			return -1;
		memcpy(slot, &size, sizeof(size));
		return 0;
	case SETTING_DURATION:
		if (settings_parse_duration(text, &number, error_r) < 0 ||
		    settings_check_range(setting, text, number < setting->min,
		    number > setting->max, error_r) < 0)
			return -1;
		memcpy(slot, &number, sizeof(number));
		return 0;
	case SETTING_BOOL:
		if (settings_parse_bool(text, &flag, error_r) < 0)
			return -1;
		memcpy(slot, &flag, sizeof(flag));
		return 0;
	case SETTING_ENUM: {
		int index = settings_choice(setting->choices, text, error_r);
		if (index < 0)
			return -1;
		memcpy(slot, &index, sizeof(index));
		return 0;
	}
	case SETTING_MAP:
		/* Only through settings_store_map, which has the name. */
		break;
	}
	log_panic("settings: cannot store %s (type %d)", setting->key,
	    (int)setting->type);
}

struct settings *
settings_new(const struct settings_section *const *sections,
    size_t section_count)
{
	struct settings *settings = alloc_new(struct settings);
	const char *error;
	size_t s, i;

	settings->sections = sections;
	settings->section_count = section_count;
	settings->values = alloc_array(section_count, sizeof(void *));
	settings->set_lines = alloc_array(section_count, sizeof(unsigned *));
	for (s = 0; s < section_count; s++) {
		const struct settings_section *section = sections[s];
		settings->values[s] = alloc_zero(section->struct_size);
		settings->set_lines[s] = alloc_array(section->count + 1,
		    sizeof(unsigned));
		for (i = 0; i < section->count; i++) {
			const struct setting *setting = &section->settings[i];
			const char *text = setting->default_value != NULL ?
			    setting->default_value : "";
			/* An empty numeric default means zero; a MAP
			 * starts empty. */
			ASSERT(setting->type != SETTING_MAP || *text == '\0');
			if (*text == '\0' && setting->type != SETTING_STRING)
				continue;
			if (settings_store(setting, settings->values[s], text,
			    &error) < 0)
				log_panic("settings: default of %s: %s",
				    setting->key, error);
		}
		for (i = 0; i < section->count; i++) {
			const struct setting *setting = &section->settings[i];
			char **string = (char **)(void *)((unsigned char *)
			    settings->values[s] + setting->offset);
			if (setting->type == SETTING_STRING && *string == NULL)
				*string = alloc_strdup("");
		}
	}
	return settings;
}

static void
settings_map_clear(struct settings_map *map)
{
	size_t i;

	for (i = 0; i < map->count; i++) {
		free(map->entries[i].name);
		free(map->entries[i].value);
	}
	free(map->entries);
	map->entries = NULL;
	map->count = 0;
}

const struct settings_map_entry *
settings_map_find(const struct settings_map *map, const char *name)
{
	size_t i;

	for (i = 0; i < map->count; i++)
		if (strcasecmp(map->entries[i].name, name) == 0)
			return &map->entries[i];
	return NULL;
}

void
settings_free(struct settings **settings_p)
{
	struct settings *settings = *settings_p;
	size_t s, i;

	if (settings == NULL)
		return;
	for (s = 0; s < settings->section_count; s++) {
		const struct settings_section *section = settings->sections[s];
		for (i = 0; i < section->count; i++) {
			const struct setting *setting = &section->settings[i];
			void *slot = (unsigned char *)settings->values[s] +
			    setting->offset;
			if (setting->type == SETTING_STRING)
				free(*(char **)slot);
			else if (setting->type == SETTING_MAP)
				settings_map_clear(slot);
		}
		free(settings->values[s]);
		free(settings->set_lines[s]);
	}
	free(settings->values);
	free(settings->set_lines);
	free(settings);
	*settings_p = NULL;
}

static int
settings_set_at(struct settings *settings, const char *key, const char *value,
    const char *source, unsigned line, const char **error_r)
{
	const struct setting *setting;
	const char *suggestion, *name;
	unsigned previous = 0;
	size_t s, i;
	int ret;

	setting = settings_find(settings, key, &s, &i, &name);
	if (setting == NULL) {
		suggestion = settings_suggest(settings, key);
		*error_r = suggestion != NULL ?
		    error_set("%s: unknown key '%s' (did you mean %s?)", source,
			key, suggestion) :
		    error_set("%s: unknown key '%s'", source, key);
		return -1;
	}
	if (setting->type == SETTING_MAP)
		ret = settings_store_map(setting,
		    (struct settings_map *)(void *)((unsigned char *)
		    settings->values[s] + setting->offset),
		    name, value, line, &previous, error_r);
	else
		ret = settings_store(setting, settings->values[s], value,
		    error_r);
	if (ret < 0) {
		*error_r = error_set("%s: %s: %s", source, key, *error_r);
		return -1;
	}
	if (setting->type != SETTING_MAP) {
		previous = settings->set_lines[s][i];
		settings->set_lines[s][i] = line;
	}
	/* Last one wins, as in Postfix's main.cf, so appending a line
	 * overrides; say so, since it is as often a mistake. */
	if (line != 0 && previous != 0)
		log_warn("%s: %s overrides the value set on line %u", source,
		    key, previous);
	return 0;
}

int
settings_set(struct settings *settings, const char *key, const char *value,
    const char *source, const char **error_r)
{
	return settings_set_at(settings, key, value, source, 0, error_r);
}

static char *
settings_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int
settings_load_file(struct settings *settings, const char *path,
    const char **error_r)
{
	char line[SETTINGS_LINE_MAX + 2], source[512], *key, *value, *equals;
	unsigned number = 0;
	size_t length;
	FILE *file;
	int ret = 0;

	file = fopen(path, "re");
	if (file == NULL) {
		*error_r = error_set_errno("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		number++;
		snprintf(source, sizeof(source), "%s:%u", path, number);
		length = strlen(line);
		if (length > SETTINGS_LINE_MAX && line[length - 1] != '\n') {
			*error_r = error_set("%s: line longer than %d bytes",
			    source, SETTINGS_LINE_MAX);
			ret = -1;
			break;
		}
		key = settings_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		equals = strchr(key, '=');
		if (equals == NULL) {
			*error_r = error_set("%s: expected 'key = value'", source);
			ret = -1;
			break;
		}
		*equals = '\0';
		value = settings_trim(equals + 1);
		key = settings_trim(key);
		if (settings_set_at(settings, key, value, source, number,
		    error_r) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && ferror(file)) {
		*error_r = error_set_errno("%s: read", path);
		ret = -1;
	}
	fclose(file);
	return ret;
}

const void *
settings_section_values(const struct settings *settings,
    const struct settings_section *section)
{
	size_t s;

	for (s = 0; s < settings->section_count; s++)
		if (settings->sections[s] == section)
			return settings->values[s];
	log_panic("settings: section %s not registered", section->name);
}

static void
settings_write_value(const struct setting *setting, const void *values,
    FILE *out)
{
	const unsigned char *slot = (const unsigned char *)values +
	    setting->offset;
	int64_t number;
	uint64_t size;
	bool flag;
	int index;

	switch (setting->type) {
	case SETTING_STRING:
		fputs(*(char *const *)(const void *)slot, out);
		break;
	case SETTING_INT:
	case SETTING_DURATION:
		memcpy(&number, slot, sizeof(number));
		fprintf(out, "%lld", (long long)number);
		break;
	case SETTING_SIZE:
		memcpy(&size, slot, sizeof(size));
		fprintf(out, "%llu", (unsigned long long)size);
		break;
	case SETTING_BOOL:
		memcpy(&flag, slot, sizeof(flag));
		fputs(flag ? "yes" : "no", out);
		break;
	case SETTING_ENUM:
		memcpy(&index, slot, sizeof(index));
		fputs(setting->choices[index], out);
		break;
	case SETTING_MAP:
		/* Entries are lines of their own: settings_write_map. */
		break;
	}
}

/* Writes each entry of a MAP as "PREFIX.NAME = VALUE". */
static void
settings_write_map(const struct setting *setting, const void *values,
    FILE *out)
{
	const struct settings_map *map = (const struct settings_map *)
	    (const void *)((const unsigned char *)values + setting->offset);
	size_t i, prefix = settings_map_prefix_length(setting);

	for (i = 0; i < map->count; i++)
		fprintf(out, "%.*s%s = %s\n", (int)prefix, setting->key,
		    map->entries[i].name, map->entries[i].value);
}

/* Writes text as "# " comment lines wrapped before column 78. */
static void
settings_write_comment(FILE *out, const char *text)
{
	const char *line = text, *space, *cut;

	while (*line != '\0') {
		cut = line + strlen(line);
		if (cut - line > 76) {
			cut = line + 76;
			for (space = cut; space > line && *space != ' '; space--)
				;
			if (space > line)
				cut = space;
		}
		fprintf(out, "# %.*s\n", (int)(cut - line), line);
		line = *cut == ' ' ? cut + 1 : cut;
	}
}

void
settings_write(const struct settings *settings, FILE *out, bool with_help)
{
	char comment[1024];
	size_t s, i, c, used;

	for (s = 0; s < settings->section_count; s++) {
		const struct settings_section *section = settings->sections[s];
		if (with_help)
			fprintf(out, "%s## %s\n\n", s == 0 ? "" : "\n",
			    section->name);
		for (i = 0; i < section->count; i++) {
			const struct setting *setting = &section->settings[i];
			const char *text = setting->default_value != NULL ?
			    setting->default_value : "";
			if (!with_help && setting->type == SETTING_MAP) {
				settings_write_map(setting,
				    settings->values[s], out);
				continue;
			}
			if (!with_help) {
				fprintf(out, "%s =%s", setting->key,
				    setting->type == SETTING_STRING &&
				    **(char *const *)(const void *)((const
				    unsigned char *)settings->values[s] +
				    setting->offset) == '\0' ? "" : " ");
				settings_write_value(setting,
				    settings->values[s], out);
				fputc('\n', out);
				continue;
			}
			/* A template: every key commented out at its
			 * default, so the file changes nothing until edited. */
			used = (size_t)snprintf(comment, sizeof(comment), "%s",
			    setting->help);
			if (setting->choices != NULL) {
				used += (size_t)snprintf(comment + used,
				    sizeof(comment) - MIN(used, sizeof(comment)),
				    " One of:");
				for (c = 0; setting->choices[c] != NULL &&
				    used < sizeof(comment); c++)
					used += (size_t)snprintf(comment + used,
					    sizeof(comment) - used, " %s",
					    setting->choices[c]);
				if (used < sizeof(comment))
					snprintf(comment + used,
					    sizeof(comment) - used, ".");
			}
			settings_write_comment(out, comment);
			fprintf(out, "#%s =%s%s\n\n", setting->key,
			    *text != '\0' ? " " : "", text);
		}
	}
}

char **
settings_split_list(const char *text)
{
	char *copy = alloc_strdup(text), *item, *save = NULL, *end;
	size_t count = 0, capacity = 8;
	char **list = alloc_array(capacity, sizeof(char *));

	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		for (end = item + strlen(item);
		    end > item && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (*item == '\0')
			continue;
		if (count + 1 >= capacity) {
			capacity *= 2;
			list = alloc_resize(list, capacity, sizeof(char *));
		}
		list[count++] = alloc_strdup(item);
	}
	list[count] = NULL;
	free(copy);
	return list;
}

void
settings_list_free(char ***list_p)
{
	char **list = *list_p;
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
	*list_p = NULL;
}
