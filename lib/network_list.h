/* network_list.h: a list of IP networks from a setting such as
 * "127.0.0.0/8, ::1/128", and whether a peer address is in it.
 *
 * Entries are ADDRESS or ADDRESS/PREFIX (IPv4 or IPv6, "[::1]" too),
 * comma-separated, at most NETWORK_LIST_MAX. An IPv4 peer
 * written as an IPv4-mapped IPv6 address ("::ffff:192.0.2.1") matches
 * IPv4 entries. Immutable once parsed: any thread may look up. */
#ifndef SLUICE_NETWORK_LIST_H
#define SLUICE_NETWORK_LIST_H

#include "lib/common.h"

#define NETWORK_LIST_MAX 256

struct network_list;

/* Parses text ("" gives an empty list). Returns 0 and *list_r, or -1
 * with error_r naming the bad entry. */
int network_list_parse(const char *text, struct network_list **list_r,
    const char **error_r);
/* NULL is a no-op; sets *list_p to NULL. */
void network_list_free(struct network_list **list_p);

/* Whether peer (an address as text, as connections report it) is in
 * the list. Anything that is no IP address ("unix") is not. */
bool network_list_contains(const struct network_list *list, const char *peer);

#endif
