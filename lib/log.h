/* log.h: the severity ladder, one event per line.
 *
 * Lines look like `session=3f2a event=connect ip=192.0.2.1`: the caller
 * writes key=value pairs, session id first when there is one. Client text
 * goes through string_view_printable() first. Logs go to stderr (with a
 * timestamp) or to syslog. Any thread may log; each line is written with
 * a single write(2), so lines never interleave.
 *
 * Severity: debug and info for normal events (a client's protocol error
 * is info), warn for environment trouble we work around (disk, DNS,
 * database busy), error for failures that lose a feature, fatal for
 * start-up failures (exit 1), panic for our own bugs (abort). */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include "lib/common.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_target {
	LOG_TARGET_STDERR,   /* daemon in the foreground: timestamped */
	LOG_TARGET_SYSLOG,
	LOG_TARGET_TERMINAL, /* command-line tools: "ident: level: text" */
};

/* Sets the program name and destination. May be called again (reload). */
void log_open(const char *ident, enum log_target target);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "debug", "info", "warn" or "error". Returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *level_r);

void log_debug(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_info(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_error(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Log, append ": strerror(errno)" (fatal only), and exit(1). */
ATTR_NORETURN void log_fatal(const char *fmt, ...) ATTR_PRINTF(1, 2);
ATTR_NORETURN void log_fatalx(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Internal inconsistency: log and abort(). Declared in common.h too. */
ATTR_NORETURN void log_panic(const char *fmt, ...) ATTR_PRINTF(1, 2);

#define log_enabled(level) ((level) >= log_get_level())

#endif
