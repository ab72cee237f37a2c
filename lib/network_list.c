/* network_list.c: IP network lists from settings, and peer lookups. */
#include "lib/network_list.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/received.h"
#include "lib/settings.h"

#include <arpa/inet.h>

struct network_list {
	struct received_network *networks;
	size_t count;
};

int
network_list_parse(const char *text, struct network_list **list_r,
    const char **error_r)
{
	struct network_list *list;
	char **items = settings_split_list(text != NULL ? text : "");
	size_t count, i;

	for (count = 0; items[count] != NULL; count++)
		;
	if (count > NETWORK_LIST_MAX) {
		*error_r = error_set("more than %d networks", NETWORK_LIST_MAX);
		settings_list_free(&items);
		return -1;
	}
	list = alloc_new(struct network_list);
	list->networks = alloc_array(MAX(count, 1), sizeof(*list->networks));
	for (i = 0; i < count; i++) {
		/* received_network_parse also takes the "!net" and "10.1."
		 * forms of trusted_networks; ADDRESS[/PREFIX] is all a list
		 * here means. */
		if (items[i][0] == '!' ||
		    items[i][strlen(items[i]) - 1] == '.' ||
		    received_network_parse(items[i], &list->networks[i],
		    error_r) < 0) {
			*error_r = error_set("bad network '%s'", items[i]);
			settings_list_free(&items);
			network_list_free(&list);
			return -1;
		}
		list->count++;
	}
	settings_list_free(&items);
	*list_r = list;
	return 0;
}

void
network_list_free(struct network_list **list_p)
{
	struct network_list *list = *list_p;

	if (list == NULL)
		return;
	free(list->networks);
	free(list);
	*list_p = NULL;
}

static bool
network_list_entry_contains(const struct received_network *network,
    int family, const unsigned char *address)
{
	unsigned bytes = network->prefix / 8, bits = network->prefix % 8;
	unsigned char mask;

	if (network->family != family ||
	    memcmp(network->address, address, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - bits));
	return (network->address[bytes] & mask) == (address[bytes] & mask);
}

bool
network_list_contains(const struct network_list *list, const char *peer)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	unsigned char address[16];
	int family;
	size_t i;

	if (list == NULL)
		return false;
	if (inet_pton(AF_INET, peer, address) == 1) {
		family = AF_INET;
	} else if (inet_pton(AF_INET6, peer, address) == 1) {
		family = AF_INET6;
		if (memcmp(address, mapped, sizeof(mapped)) == 0) {
			memmove(address, address + 12, 4);
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (i = 0; i < list->count; i++)
		if (network_list_entry_contains(&list->networks[i], family,
		    address))
			return true;
	return false;
}
