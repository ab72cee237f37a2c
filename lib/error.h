/* error.h: where error_r strings live.
 *
 * Functions that fail return -1 and set `const char **error_r` to a short
 * human-readable reason. The text sits in a per-thread buffer and stays
 * valid until the next error_set() on the same thread, so a caller that
 * wants to keep it copies it (arena_strdup). Formatting may safely use
 * the previous error as an argument ("open spool: %s", *error_r). */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include "lib/common.h"

#define ERROR_MAX 1024

/* Formats into the thread's error buffer and returns it. */
const char *error_set(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* error_set(fmt, ...) followed by ": strerror(errno)" (errno saved first). */
const char *error_set_errno(const char *fmt, ...) ATTR_PRINTF(1, 2);

#endif
