/* log.c: line-at-a-time logging to stderr or syslog. */
#include "lib/log.h"

#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static const char *log_ident = "sluice";
static enum log_target log_current_target = LOG_TARGET_STDERR;
static volatile enum log_level log_current_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void
log_open(const char *ident, enum log_target target)
{
	log_ident = ident;
	log_current_target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	log_current_level = level;
}

enum log_level
log_get_level(void)
{
	return log_current_level;
}

int
log_level_parse(const char *name, enum log_level *level_r)
{
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(log_level_names); i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void log_emit(int priority, const char *level_name, const char *suffix,
    const char *fmt, va_list ap) ATTR_PRINTF(4, 0);

static void
log_emit(int priority, const char *level_name, const char *suffix,
    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t used = 0;
	struct timespec now;
	struct tm tm;
	int n;

	if (log_current_target == LOG_TARGET_TERMINAL) {
		n = snprintf(line, sizeof(line), "%s: %s: ", log_ident,
		    level_name);
		if (n > 0)
			used = MIN((size_t)n, sizeof(line) - 1);
	} else if (log_current_target == LOG_TARGET_STDERR) {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line + used, sizeof(line) - used,
		    ".%03ldZ %s[%ld]: %s: ", now.tv_nsec / 1000000L, log_ident,
		    (long)getpid(), level_name);
		if (n > 0)
			used += MIN((size_t)n, sizeof(line) - used - 1);
	}
	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	if (n > 0)
		used += MIN((size_t)n, sizeof(line) - used - 1);
	if (suffix != NULL) {
		n = snprintf(line + used, sizeof(line) - used, ": %s", suffix);
		if (n > 0)
			used += MIN((size_t)n, sizeof(line) - used - 1);
	}
	/* Our messages never contain newlines; if one slipped in through a
	 * format argument, keep the one-event-per-line promise. */
	for (size_t i = 0; i < used; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (log_current_target == LOG_TARGET_SYSLOG) {
		line[used] = '\0';
		syslog(priority, "%s: %s", level_name, line);
		return;
	}
	if (used >= sizeof(line) - 1)
		used = sizeof(line) - 2;
	line[used++] = '\n';
	/* One write per line keeps lines whole across threads. */
	if (write(STDERR_FILENO, line, used) < 0) {
		/* Nowhere left to report it. */
	}
}

#define LOG_DEFINE(name, level, priority)                                 \
	void name(const char *fmt, ...)                                  \
	{                                                                \
		va_list ap;                                              \
		if (level < log_current_level)                           \
			return;                                          \
		va_start(ap, fmt);                                       \
		log_emit(priority, log_level_names[level], NULL, fmt, ap); \
		va_end(ap);                                              \
	}

LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG, LOG_DEBUG)
LOG_DEFINE(log_info, LOG_LEVEL_INFO, LOG_INFO)
LOG_DEFINE(log_warn, LOG_LEVEL_WARN, LOG_WARNING)
LOG_DEFINE(log_error, LOG_LEVEL_ERROR, LOG_ERR)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;
	const char *reason = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal", reason, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "panic", NULL, fmt, ap);
	va_end(ap);
	abort();
}
