/* client_limits.c: per-client connection counts and rates (see
 * client_limits.h).
 *
 * DESIGN: a chained hash table keyed by the client's address block (16
 * bytes: IPv4 as an IPv4-mapped IPv6 address, IPv6 cut to its /64),
 * hashed with a per-process random seed so that a client choosing its
 * addresses cannot pile them into one chain. Entries without open
 * connections sit on an "idle" list, most recently touched first; the
 * tail is what expires (idle for a minute: its bucket is full again, so
 * it is no different from a client never seen) or is evicted when the
 * table is full. Rates are integer token buckets in units where one
 * connection costs 60000 (milliseconds per minute) and each millisecond
 * adds connections_per_minute units: exact, no floating point. */
#include "gateway/client_limits.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/settings.h"

#include <arpa/inet.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_LIMITS_MINUTE_MSEC 60000
#define CLIENT_LIMITS_BUCKETS_MIN 256

struct client_limits_key {
	unsigned char bytes[16];
};

struct client_limits_network {
	unsigned char bytes[16];
	unsigned prefix;       /* bits of bytes that must match, 0..128 */
};

struct client_limits_entry {
	struct client_limits_entry *hash_next;
	struct client_limits_entry *idle_prev, *idle_next;
	struct client_limits_key key;
	unsigned open;
	uint64_t tokens;
	uint64_t updated_msec;
};

struct client_limits {
	unsigned max_connections;
	unsigned connections_per_minute;
	struct client_limits_network *networks;
	size_t network_count;
	struct client_limits_entry **buckets;
	size_t bucket_count;   /* a power of two */
	size_t count;
	/* Entries with open == 0; head most recently touched. */
	struct client_limits_entry *idle_head, *idle_tail;
	uint64_t seed[2];
	uint64_t full_warned_msec;
	bool full_warned;
};

/* Reads an address as 16 bytes, IPv4 mapped into IPv6. */
static bool
client_limits_parse_address(const char *text, unsigned char bytes[16],
    bool *ipv4_r)
{
	struct in_addr address4;

	if (inet_pton(AF_INET, text, &address4) == 1) {
		memset(bytes, 0, 10);
		bytes[10] = 0xff;
		bytes[11] = 0xff;
		memcpy(bytes + 12, &address4, 4);
		*ipv4_r = true;
		return true;
	}
	if (inet_pton(AF_INET6, text, bytes) != 1)
		return false;
	*ipv4_r = bytes[10] == 0xff && bytes[11] == 0xff &&
	    memcmp(bytes, "\0\0\0\0\0\0\0\0\0\0", 10) == 0;
	return true;
}

/* Parses one "ADDRESS[/PREFIX]" item. */
static int
client_limits_parse_network(const char *item, struct client_limits_network
    *network_r, const char **error_r)
{
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct in_addr address4;
	unsigned long prefix;
	bool ipv4;

	if (strlen(item) >= sizeof(text))
		goto bad;
	strcpy(text, item);
	slash = strchr(text, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!client_limits_parse_address(text, network_r->bytes, &ipv4))
		goto bad;
	/* The prefix counts bits of the address as written: an IPv4-mapped
	 * address in IPv6 notation takes an IPv6 prefix. */
	ipv4 = inet_pton(AF_INET, text, &address4) == 1;
	network_r->prefix = 128;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || prefix > (ipv4 ? 32UL : 128UL))
			goto bad;
		network_r->prefix = (unsigned)prefix + (ipv4 ? 96 : 0);
	}
	return 0;
bad:
	*error_r = error_set("smtp.limits_exempt: bad network '%.60s' "
	    "(expected ADDRESS or ADDRESS/PREFIX)", item);
	return -1;
}

static int
client_limits_parse_networks(const char *list,
    struct client_limits_network **networks_r, size_t *count_r,
    const char **error_r)
{
	char **items = settings_split_list(list);
	struct client_limits_network *networks;
	size_t count = 0, i;
	int ret = 0;

	while (items[count] != NULL)
		count++;
	if (count > CLIENT_LIMITS_NETWORKS_MAX) {
		*error_r = error_set("smtp.limits_exempt: more than %d networks",
		    CLIENT_LIMITS_NETWORKS_MAX);
		settings_list_free(&items);
		return -1;
	}
	networks = alloc_array(count + 1, sizeof(*networks));
	for (i = 0; i < count && ret == 0; i++)
		ret = client_limits_parse_network(items[i], &networks[i],
		    error_r);
	settings_list_free(&items);
	if (ret < 0) {
		free(networks);
		return -1;
	}
	*networks_r = networks;
	*count_r = count;
	return 0;
}

int
client_limits_check_exempt(const char *list, const char **error_r)
{
	struct client_limits_network *networks;
	size_t count;

	if (client_limits_parse_networks(list, &networks, &count, error_r) < 0)
		return -1;
	free(networks);
	return 0;
}

static bool
client_limits_network_contains(const struct client_limits_network *network,
    const unsigned char bytes[16])
{
	size_t whole = network->prefix / 8;
	unsigned rest = network->prefix % 8;
	unsigned char mask;

	if (memcmp(network->bytes, bytes, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (network->bytes[whole] & mask) == (bytes[whole] & mask);
}

static uint64_t
client_limits_mix(uint64_t x)
{
	/* A 64-bit finalizer: xor-shifts and odd multipliers, so every
	 * input bit reaches every output bit. */
	x ^= x >> 31;
	x *= UINT64_C(0x7fb5d329728ea185);
	x ^= x >> 27;
	x *= UINT64_C(0x81dadef4bc2dd44d);
	x ^= x >> 33;
	return x;
}

static size_t
client_limits_bucket(const struct client_limits *limits,
    const struct client_limits_key *key)
{
	uint64_t high, low;

	memcpy(&high, key->bytes, 8);
	memcpy(&low, key->bytes + 8, 8);
	return (size_t)(client_limits_mix(client_limits_mix(high ^
	    limits->seed[0]) ^ low ^ limits->seed[1]) &
	    (limits->bucket_count - 1));
}

static void
client_limits_idle_unlink(struct client_limits *limits,
    struct client_limits_entry *entry)
{
	if (entry->idle_prev != NULL)
		entry->idle_prev->idle_next = entry->idle_next;
	else
		limits->idle_head = entry->idle_next;
	if (entry->idle_next != NULL)
		entry->idle_next->idle_prev = entry->idle_prev;
	else
		limits->idle_tail = entry->idle_prev;
	entry->idle_prev = entry->idle_next = NULL;
}

static void
client_limits_idle_push(struct client_limits *limits,
    struct client_limits_entry *entry)
{
	entry->idle_prev = NULL;
	entry->idle_next = limits->idle_head;
	if (limits->idle_head != NULL)
		limits->idle_head->idle_prev = entry;
	else
		limits->idle_tail = entry;
	limits->idle_head = entry;
}

static void
client_limits_remove(struct client_limits *limits,
    struct client_limits_entry *entry)
{
	struct client_limits_entry **link;

	ASSERT(entry->open == 0);
	client_limits_idle_unlink(limits, entry);
	link = &limits->buckets[client_limits_bucket(limits, &entry->key)];
	while (*link != entry)
		link = &(*link)->hash_next;
	*link = entry->hash_next;
	limits->count--;
	free(entry);
}

static void
client_limits_grow(struct client_limits *limits)
{
	struct client_limits_entry **old = limits->buckets, *entry, *next;
	size_t old_count = limits->bucket_count, i, bucket;

	limits->bucket_count *= 2;
	limits->buckets = alloc_array(limits->bucket_count,
	    sizeof(*limits->buckets));
	for (i = 0; i < old_count; i++) {
		for (entry = old[i]; entry != NULL; entry = next) {
			next = entry->hash_next;
			bucket = client_limits_bucket(limits, &entry->key);
			entry->hash_next = limits->buckets[bucket];
			limits->buckets[bucket] = entry;
		}
	}
	free(old);
}

/* The bucket's capacity in units; 0 when rates are not limited. */
static uint64_t
client_limits_capacity(const struct client_limits *limits)
{
	return (uint64_t)limits->connections_per_minute *
	    CLIENT_LIMITS_MINUTE_MSEC;
}

static void
client_limits_refill(const struct client_limits *limits,
    struct client_limits_entry *entry, uint64_t now_msec)
{
	uint64_t capacity = client_limits_capacity(limits), elapsed;

	elapsed = now_msec > entry->updated_msec ?
	    now_msec - entry->updated_msec : 0;
	if (elapsed >= CLIENT_LIMITS_MINUTE_MSEC ||
	    entry->tokens + elapsed * limits->connections_per_minute >=
	    capacity)
		entry->tokens = capacity;
	else
		entry->tokens += elapsed * limits->connections_per_minute;
	entry->updated_msec = now_msec;
}

/* Forgets idle clients whose bucket is full again (or all idle ones
 * when rates are not limited: they carry nothing). */
static void
client_limits_expire(struct client_limits *limits, uint64_t now_msec)
{
	struct client_limits_entry *entry;

	while ((entry = limits->idle_tail) != NULL &&
	    (limits->connections_per_minute == 0 ||
	    now_msec >= entry->updated_msec + CLIENT_LIMITS_MINUTE_MSEC))
		client_limits_remove(limits, entry);
}

static struct client_limits_entry *
client_limits_find(const struct client_limits *limits,
    const struct client_limits_key *key)
{
	struct client_limits_entry *entry;

	entry = limits->buckets[client_limits_bucket(limits, key)];
	for (; entry != NULL; entry = entry->hash_next) {
		if (memcmp(entry->key.bytes, key->bytes, 16) == 0)
			return entry;
	}
	return NULL;
}

/* The table key of address, or false when address is not counted. */
static bool
client_limits_key_of(const struct client_limits *limits, const char *address,
    struct client_limits_key *key_r)
{
	bool ipv4;
	size_t i;

	if (!client_limits_parse_address(address, key_r->bytes, &ipv4))
		return false;
	for (i = 0; i < limits->network_count; i++) {
		if (client_limits_network_contains(&limits->networks[i],
		    key_r->bytes))
			return false;
	}
	if (!ipv4)
		memset(key_r->bytes + 8, 0, 8);
	return true;
}

struct client_limits *
client_limits_new(const struct client_limits_settings *settings)
{
	struct client_limits *limits = alloc_new(struct client_limits);
	const char *error;

	if (getrandom(limits->seed, sizeof(limits->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(limits->seed)) {
		/* Early boot without entropy: weaker, still unguessable
		 * from outside in practice. */
		limits->seed[0] = (uint64_t)time(NULL) ^
		    ((uint64_t)getpid() << 32);
		limits->seed[1] = (uint64_t)(uintptr_t)limits;
	}
	limits->bucket_count = CLIENT_LIMITS_BUCKETS_MIN;
	limits->buckets = alloc_array(limits->bucket_count,
	    sizeof(*limits->buckets));
	limits->networks = alloc_array(1, sizeof(*limits->networks));
	if (client_limits_configure(limits, settings, &error) < 0)
		log_panic("client_limits_new: %s", error);
	return limits;
}

void
client_limits_free(struct client_limits **limits_p)
{
	struct client_limits *limits = *limits_p;
	struct client_limits_entry *entry, *next;
	size_t i;

	if (limits == NULL)
		return;
	for (i = 0; i < limits->bucket_count; i++) {
		for (entry = limits->buckets[i]; entry != NULL; entry = next) {
			next = entry->hash_next;
			free(entry);
		}
	}
	free(limits->buckets);
	free(limits->networks);
	free(limits);
	*limits_p = NULL;
}

int
client_limits_configure(struct client_limits *limits,
    const struct client_limits_settings *settings, const char **error_r)
{
	struct client_limits_network *networks;
	struct client_limits_entry *entry;
	uint64_t capacity;
	size_t count, i;

	if (client_limits_parse_networks(settings->exempt, &networks, &count,
	    error_r) < 0)
		return -1;
	free(limits->networks);
	limits->networks = networks;
	limits->network_count = count;
	limits->max_connections = settings->max_connections;
	limits->connections_per_minute = settings->connections_per_minute;
	/* A smaller rate shrinks every bucket to its new capacity. */
	capacity = client_limits_capacity(limits);
	for (i = 0; i < limits->bucket_count; i++) {
		for (entry = limits->buckets[i]; entry != NULL;
		    entry = entry->hash_next)
			entry->tokens = MIN(entry->tokens, capacity);
	}
	return 0;
}

enum client_limits_verdict
client_limits_connect(struct client_limits *limits, const char *address,
    uint64_t now_msec, bool *counted_r)
{
	struct client_limits_entry *entry;
	struct client_limits_key key;
	size_t bucket;

	*counted_r = false;
	if (limits->max_connections == 0 &&
	    limits->connections_per_minute == 0)
		return CLIENT_LIMITS_ALLOW;
	if (!client_limits_key_of(limits, address, &key))
		return CLIENT_LIMITS_ALLOW;
	client_limits_expire(limits, now_msec);
	entry = client_limits_find(limits, &key);
	if (entry == NULL) {
		if (limits->count >= CLIENT_LIMITS_ENTRIES_MAX) {
			if (limits->idle_tail == NULL) {
				if (!limits->full_warned || now_msec >=
				    limits->full_warned_msec +
				    CLIENT_LIMITS_MINUTE_MSEC) {
					log_warn("event=client_limits_full "
					    "entries=%zu action=untracked",
					    limits->count);
					limits->full_warned = true;
					limits->full_warned_msec = now_msec;
				}
				return CLIENT_LIMITS_ALLOW;
			}
			client_limits_remove(limits, limits->idle_tail);
		}
		if (limits->count >= limits->bucket_count)
			client_limits_grow(limits);
		entry = alloc_new(struct client_limits_entry);
		entry->key = key;
		entry->tokens = client_limits_capacity(limits);
		entry->updated_msec = now_msec;
		bucket = client_limits_bucket(limits, &key);
		entry->hash_next = limits->buckets[bucket];
		limits->buckets[bucket] = entry;
		limits->count++;
		client_limits_idle_push(limits, entry);
	}
	if (limits->max_connections != 0 &&
	    entry->open >= limits->max_connections)
		return CLIENT_LIMITS_CONCURRENCY;
	if (limits->connections_per_minute != 0) {
		client_limits_refill(limits, entry, now_msec);
		if (entry->open == 0) {
			/* Touched: it expires a minute from now at most. */
			client_limits_idle_unlink(limits, entry);
			client_limits_idle_push(limits, entry);
		}
		if (entry->tokens < CLIENT_LIMITS_MINUTE_MSEC)
			return CLIENT_LIMITS_RATE;
		entry->tokens -= CLIENT_LIMITS_MINUTE_MSEC;
	}
	if (entry->open++ == 0)
		client_limits_idle_unlink(limits, entry);
	*counted_r = true;
	return CLIENT_LIMITS_ALLOW;
}

void
client_limits_disconnect(struct client_limits *limits, const char *address,
    uint64_t now_msec)
{
	struct client_limits_entry *entry;
	struct client_limits_key key;
	bool ipv4;

	/* Looked up without the exempt list: it may have changed on a
	 * reload since this connection was counted. */
	if (!client_limits_parse_address(address, key.bytes, &ipv4))
		return;
	if (!ipv4)
		memset(key.bytes + 8, 0, 8);
	entry = client_limits_find(limits, &key);
	if (entry == NULL || entry->open == 0)
		return;
	if (--entry->open > 0)
		return;
	if (limits->connections_per_minute != 0)
		client_limits_refill(limits, entry, now_msec);
	else
		entry->updated_msec = now_msec;
	client_limits_idle_push(limits, entry);
}

size_t
client_limits_entries(const struct client_limits *limits)
{
	return limits->count;
}

const char *
client_limits_verdict_name(enum client_limits_verdict verdict)
{
	switch (verdict) {
	case CLIENT_LIMITS_ALLOW:
		return "none";
	case CLIENT_LIMITS_CONCURRENCY:
		return "concurrency";
	case CLIENT_LIMITS_RATE:
		return "rate";
	}
	return "unknown";
}
