/* smtp_client_pending.c: TEMPORARY stand-in for the relay client, so the
 * routing branch links before gateway/smtp_client.c exists.
 *
 * DELETE THIS FILE (and its line in gateway/local.mk) when the real
 * smtp_client.c is merged: both define the same symbols, so the link
 * fails until it is gone. Only the calls routing's recipient probe makes
 * are here; every connection fails as a downstream that cannot be
 * reached would (4.4.1), so probe verification answers 4xx and nothing
 * is accepted that could not be verified. */
#include "gateway/smtp_client.h"
#include "lib/error.h"

int
smtp_client_connect(const struct smtp_client_destination *destination,
    const struct smtp_client_options *options, struct smtp_client **client_r,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	(void)destination;
	(void)options;
	*client_r = NULL;
	memset(reply_r, 0, sizeof(*reply_r));
	reply_r->code = 451;
	snprintf(reply_r->status, sizeof(reply_r->status), "4.4.1");
	snprintf(reply_r->text, sizeof(reply_r->text),
	    "relay client not built yet");
	*error_r = error_set("relay client not built yet");
	return -1;
}

int
smtp_client_verify(struct smtp_client *client, const char *address,
    struct smtp_client_reply *reply_r, const char **error_r)
{
	(void)client;
	(void)address;
	(void)reply_r;
	(void)error_r;
	log_panic("smtp_client_verify without a connection");
}

void
smtp_client_close(struct smtp_client **client_p)
{
	*client_p = NULL;
}
