/* error.c: per-thread storage for error_r texts. */
#include "lib/error.h"

static _Thread_local char error_text[ERROR_MAX];

static const char *error_vset(int saved_errno, const char *fmt, va_list ap)
    ATTR_PRINTF(2, 0);

static const char *
error_vset(int saved_errno, const char *fmt, va_list ap)
{
	char scratch[ERROR_MAX];
	int n;

	/* Format into scratch first: the arguments may point at error_text. */
	n = vsnprintf(scratch, sizeof(scratch), fmt, ap);
	if (n < 0)
		n = 0;
	if (saved_errno != 0 && (size_t)n < sizeof(scratch))
		snprintf(scratch + n, sizeof(scratch) - (size_t)n, ": %s",
		    strerror(saved_errno));
	memcpy(error_text, scratch, sizeof(error_text));
	return error_text;
}

const char *
error_set(const char *fmt, ...)
{
	va_list ap;
	const char *text;

	va_start(ap, fmt);
	text = error_vset(0, fmt, ap);
	va_end(ap);
	return text;
}

const char *
error_set_errno(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	const char *text;

	va_start(ap, fmt);
	text = error_vset(saved_errno == 0 ? EIO : saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
	return text;
}
