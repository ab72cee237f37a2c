/* smtp_address.c: relay tricks in recipient addresses (see
 * smtp_address.h). */
#include "gateway/smtp_address.h"

int
smtp_address_check_recipient(const char *address, const char **reason_r)
{
	const char *at = strrchr(address, '@');
	size_t local_length = at != NULL ? (size_t)(at - address) :
	    strlen(address);

	/* The domain part passed the parser: labels or a literal, so the
	 * last '@' separates it and any other '@' is in a quoted local
	 * part. */
	if (memchr(address, '@', local_length) != NULL) {
		*reason_r = "quoted at sign";
		return -1;
	}
	if (memchr(address, '%', local_length) != NULL) {
		*reason_r = "percent hack";
		return -1;
	}
	if (memchr(address, '!', local_length) != NULL) {
		*reason_r = "bang path";
		return -1;
	}
	if (at != NULL && at[1] == '[') {
		*reason_r = "address literal";
		return -1;
	}
	return 0;
}
