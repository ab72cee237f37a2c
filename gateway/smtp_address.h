/* smtp_address.h: the recipient address checks that keep sluice from
 * being an open relay, beyond RFC 5321 syntax.
 *
 * The SMTP command parser accepts what RFC 5321 allows; some of it is
 * an old way to name another host inside the local part: the "percent
 * hack" (user%other@relay), bang paths (other!user@relay) and a quoted
 * local part holding an '@' ("user@other"@relay), plus address literals
 * (user@[192.0.2.1]), which name a host rather than a domain. A server
 * that hands such an address to a program that still honours those
 * conventions (a downstream sendmail, a mailbox server's rewriting)
 * relays for anyone. So such an address is never judged by its domain
 * alone: it is accepted only when it literally is a local user's
 * address, and refused as relaying (554 5.7.1) otherwise. Source routes
 * (@a,@b:user@c) never get here: the parser drops them (RFC 5321 4.1.2)
 * and the address is judged by its real destination.
 *
 * Pure; any thread may call. The SMTP server calls it at RCPT; the
 * router (gateway/routing.c) may call it for the same decision. */
#ifndef SLUICE_SMTP_ADDRESS_H
#define SLUICE_SMTP_ADDRESS_H

#include "lib/common.h"

/* Checks a recipient address as smtp_command_parse_path() returns it
 * ("local@domain", the local part possibly quoted; "postmaster").
 * Returns 0 when the address names its destination only by its domain,
 * or -1 with *reason_r, a short static text for logs ("percent hack",
 * "bang path", "quoted at sign", "address literal"), when it must be
 * accepted only as the literal address of a local user. */
int smtp_address_check_recipient(const char *address, const char **reason_r);

#endif
