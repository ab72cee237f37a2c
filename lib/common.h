/* common.h: the one header every sluice file includes first: config.h,
 * the standard headers we always want, and a few small macros. */
#ifndef SLUICE_COMMON_H
#define SLUICE_COMMON_H

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ATTR_NODISCARD __attribute__((warn_unused_result))
#define ATTR_UNUSED __attribute__((unused))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Our own bugs end here; see log.h. Kept in release builds: a mail server
 * that carries on with corrupted state loses mail. */
ATTR_NORETURN void log_panic(const char *fmt, ...) ATTR_PRINTF(1, 2);
#define ASSERT(expr)                                                        \
	do {                                                                \
		if (unlikely(!(expr)))                                      \
			log_panic("assertion failed: %s (%s:%d %s)", #expr, \
			    __FILE__, __LINE__, __func__);                  \
	} while (0)

#endif
