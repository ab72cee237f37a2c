/* auth_throttle.c: failure counts per IP, per user and per IP-user pair
 * in one bounded hash table with a least-recently-failed list.
 *
 * DESIGN: the three kinds of entry share one table and one recency
 * list, keyed by a kind byte followed by the IP and/or the lowercased
 * user name. A failure moves the entries it touched to the new end of
 * the list, so the old end holds the entries idle longest: those are
 * the first to have expired and the ones evicted when the table is full.
 * Bucket indexes come from a hash seeded at random per table, so a
 * client choosing user names cannot aim them all at one chain. */
#include "mailstore/auth_throttle.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/string_view.h"

#include <sys/random.h>

/* Kind bytes that start a key. */
#define AUTH_THROTTLE_KIND_IP 'i'
#define AUTH_THROTTLE_KIND_USER 'u'
#define AUTH_THROTTLE_KIND_PAIR 'p'
/* Kind, IP, separator, user. */
#define AUTH_THROTTLE_KEY_SIZE \
	(1 + AUTH_THROTTLE_IP_MAX + 1 + AUTH_THROTTLE_USER_MAX)
/* Expired entries dropped from the old end per call, so the cleanup
 * keeps up with the one or three entries a call may add. */
#define AUTH_THROTTLE_SWEEP 4
/* Delays double at most this often before the cap applies anyway. */
#define AUTH_THROTTLE_DOUBLINGS_MAX 30
#define AUTH_THROTTLE_LOG_NAME_SIZE 68

#define AUTH(field) offsetof(struct auth_throttle_settings, field)
static const struct setting auth_throttle_table[] = {
	{ "auth.failure_delay_max", SETTING_DURATION,
	    AUTH(failure_delay_max), 0, 3600, "15s",
	    "Longest wait before answering a login attempt from a client with recent failures (no wait after the first failure, 1s after the second, then doubling up to this); 0: no waits.", NULL },
	{ "auth.ban_failures_per_ip", SETTING_INT, AUTH(ban_failures_per_ip),
	    0, 1000000, "10",
	    "Failed logins from one IP within auth.ban_window that ban the IP for auth.ban_time; 0: never.", NULL },
	{ "auth.ban_failures_per_user", SETTING_INT,
	    AUTH(ban_failures_per_user), 0, 1000000, "20",
	    "Failed logins for one user from any IPs within auth.ban_window that refuse that user's logins for auth.ban_time; 0: never.", NULL },
	{ "auth.ban_window", SETTING_DURATION, AUTH(ban_window), 1, 86400,
	    "10m", "Period over which failed logins are counted.", NULL },
	{ "auth.ban_time", SETTING_DURATION, AUTH(ban_time), 1, 7 * 86400,
	    "15m", "How long a ban lasts; it then expires by itself.", NULL },
};
const struct settings_section auth_throttle_settings_section = {
	"auth", auth_throttle_table, ARRAY_LENGTH(auth_throttle_table),
	sizeof(struct auth_throttle_settings),
};

struct auth_throttle_entry {
	struct auth_throttle_entry *bucket_next;
	struct auth_throttle_entry *older, *newer;
	uint64_t hash;
	int64_t window_start_msec;
	int64_t banned_until_msec; /* 0: not banned */
	unsigned failures;
	size_t key_length;
	char key[];
};

struct auth_throttle {
	struct auth_throttle_settings settings;
	struct auth_throttle_entry **buckets;
	size_t bucket_mask;
	size_t count;
	struct auth_throttle_entry *oldest, *newest;
	uint64_t seed;
};

/* A key: its bytes and length. */
struct auth_throttle_key {
	char data[AUTH_THROTTLE_KEY_SIZE];
	size_t length;
};

static void
auth_throttle_make_key(struct auth_throttle_key *key, char kind,
    const char *ip, const char *user)
{
	size_t i;

	key->length = 0;
	key->data[key->length++] = kind;
	if (ip != NULL) {
		for (i = 0; ip[i] != '\0' && i < AUTH_THROTTLE_IP_MAX; i++)
			key->data[key->length++] = ip[i];
		key->data[key->length++] = '\0';
	}
	if (user != NULL)
		for (i = 0; user[i] != '\0' && i < AUTH_THROTTLE_USER_MAX; i++)
			key->data[key->length++] =
			    (char)string_ascii_lower((unsigned char)user[i]);
}

/* FNV-1a from a random starting state, then a final mix so the low
 * bits that pick the bucket depend on every byte. */
static uint64_t
auth_throttle_hash(const struct auth_throttle *throttle,
    const struct auth_throttle_key *key)
{
	uint64_t hash = throttle->seed;
	size_t i;

	for (i = 0; i < key->length; i++) {
		hash ^= (unsigned char)key->data[i];
		hash *= UINT64_C(0x100000001b3);
	}
	hash ^= hash >> 33;
	hash *= UINT64_C(0xff51afd7ed558ccd);
	hash ^= hash >> 33;
	return hash;
}

struct auth_throttle *
auth_throttle_new(const struct auth_throttle_settings *settings)
{
	struct auth_throttle *throttle = alloc_new(struct auth_throttle);
	size_t buckets = 16;

	throttle->settings = *settings;
	if (throttle->settings.max_entries <= 0)
		throttle->settings.max_entries = AUTH_THROTTLE_MAX_ENTRIES;
	/* A failure touches three entries: none may evict another. */
	throttle->settings.max_entries = MAX(throttle->settings.max_entries,
	    3);
	while (buckets < (size_t)throttle->settings.max_entries)
		buckets *= 2;
	throttle->buckets = alloc_array(buckets, sizeof(*throttle->buckets));
	throttle->bucket_mask = buckets - 1;
	if (getrandom(&throttle->seed, sizeof(throttle->seed), 0) !=
	    (ssize_t)sizeof(throttle->seed))
		throttle->seed = (uint64_t)(uintptr_t)throttle;
	throttle->seed ^= UINT64_C(0xcbf29ce484222325);
	return throttle;
}

void
auth_throttle_free(struct auth_throttle **throttle_p)
{
	struct auth_throttle *throttle = *throttle_p;
	struct auth_throttle_entry *entry, *next;

	if (throttle == NULL)
		return;
	for (entry = throttle->oldest; entry != NULL; entry = next) {
		next = entry->newer;
		free(entry);
	}
	free(throttle->buckets);
	free(throttle);
	*throttle_p = NULL;
}

size_t
auth_throttle_entry_count(const struct auth_throttle *throttle)
{
	return throttle->count;
}

static void
auth_throttle_unlink_recency(struct auth_throttle *throttle,
    struct auth_throttle_entry *entry)
{
	if (entry->older != NULL)
		entry->older->newer = entry->newer;
	else
		throttle->oldest = entry->newer;
	if (entry->newer != NULL)
		entry->newer->older = entry->older;
	else
		throttle->newest = entry->older;
	entry->older = entry->newer = NULL;
}

static void
auth_throttle_append_recency(struct auth_throttle *throttle,
    struct auth_throttle_entry *entry)
{
	entry->older = throttle->newest;
	entry->newer = NULL;
	if (throttle->newest != NULL)
		throttle->newest->newer = entry;
	else
		throttle->oldest = entry;
	throttle->newest = entry;
}

static void
auth_throttle_remove(struct auth_throttle *throttle,
    struct auth_throttle_entry *entry)
{
	struct auth_throttle_entry **link;

	link = &throttle->buckets[entry->hash & throttle->bucket_mask];
	while (*link != entry)
		link = &(*link)->bucket_next;
	*link = entry->bucket_next;
	auth_throttle_unlink_recency(throttle, entry);
	throttle->count--;
	free(entry);
}

/* Whether entry no longer counts: its ban is over, or (never banned)
 * its window has passed. */
static bool
auth_throttle_expired(const struct auth_throttle *throttle,
    const struct auth_throttle_entry *entry, int64_t now_msec)
{
	if (entry->banned_until_msec != 0)
		return now_msec >= entry->banned_until_msec;
	return now_msec - entry->window_start_msec >=
	    throttle->settings.ban_window * 1000;
}

/* Drops a few expired entries from the old end of the recency list. */
static void
auth_throttle_sweep(struct auth_throttle *throttle, int64_t now_msec)
{
	unsigned i;

	for (i = 0; i < AUTH_THROTTLE_SWEEP && throttle->oldest != NULL &&
	    auth_throttle_expired(throttle, throttle->oldest, now_msec); i++)
		auth_throttle_remove(throttle, throttle->oldest);
}

/* The live entry for key, or NULL; an expired one found is dropped. */
static struct auth_throttle_entry *
auth_throttle_find(struct auth_throttle *throttle,
    const struct auth_throttle_key *key, int64_t now_msec)
{
	uint64_t hash = auth_throttle_hash(throttle, key);
	struct auth_throttle_entry *entry;

	entry = throttle->buckets[hash & throttle->bucket_mask];
	for (; entry != NULL; entry = entry->bucket_next) {
		if (entry->hash != hash || entry->key_length != key->length ||
		    memcmp(entry->key, key->data, key->length) != 0)
			continue;
		if (auth_throttle_expired(throttle, entry, now_msec)) {
			auth_throttle_remove(throttle, entry);
			return NULL;
		}
		return entry;
	}
	return NULL;
}

/* The live entry for key, created with a fresh window if needed, and
 * moved to the new end of the recency list. */
static struct auth_throttle_entry *
auth_throttle_touch(struct auth_throttle *throttle,
    const struct auth_throttle_key *key, int64_t now_msec)
{
	struct auth_throttle_entry *entry, **bucket;

	entry = auth_throttle_find(throttle, key, now_msec);
	if (entry != NULL) {
		auth_throttle_unlink_recency(throttle, entry);
		auth_throttle_append_recency(throttle, entry);
		return entry;
	}
	if (throttle->count >= (size_t)throttle->settings.max_entries)
		auth_throttle_remove(throttle, throttle->oldest);
	entry = alloc_zero(sizeof(*entry) + key->length);
	entry->hash = auth_throttle_hash(throttle, key);
	entry->window_start_msec = now_msec;
	entry->key_length = key->length;
	memcpy(entry->key, key->data, key->length);
	bucket = &throttle->buckets[entry->hash & throttle->bucket_mask];
	entry->bucket_next = *bucket;
	*bucket = entry;
	auth_throttle_append_recency(throttle, entry);
	throttle->count++;
	return entry;
}

static bool
auth_throttle_banned(const struct auth_throttle_entry *entry)
{
	return entry != NULL && entry->banned_until_msec != 0;
}

/* The wait before answering after failures failures. */
static int64_t
auth_throttle_delay(const struct auth_throttle *throttle, unsigned failures)
{
	int64_t max = throttle->settings.failure_delay_max * 1000;
	unsigned doublings;

	if (failures < AUTH_THROTTLE_FREE_FAILURES)
		return 0;
	doublings = MIN(failures - AUTH_THROTTLE_FREE_FAILURES,
	    AUTH_THROTTLE_DOUBLINGS_MAX);
	return MIN((int64_t)AUTH_THROTTLE_FIRST_DELAY_MSEC << doublings, max);
}

static const char *
auth_throttle_printable(const char *text, char *buf, size_t size)
{
	return string_view_printable(string_view_from_cstring(text), buf,
	    size);
}

enum auth_throttle_verdict
auth_throttle_check(struct auth_throttle *throttle, const char *ip,
    const char *user, int64_t now_msec, int64_t *delay_msec_r)
{
	char shown_ip[AUTH_THROTTLE_LOG_NAME_SIZE];
	char shown_user[AUTH_THROTTLE_LOG_NAME_SIZE];
	struct auth_throttle_entry *ip_entry, *pair_entry = NULL;
	struct auth_throttle_key key;
	unsigned failures;

	auth_throttle_sweep(throttle, now_msec);
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_IP, ip, NULL);
	ip_entry = auth_throttle_find(throttle, &key, now_msec);
	if (user[0] != '\0') {
		auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_USER, NULL,
		    user);
		if (auth_throttle_banned(auth_throttle_find(throttle, &key,
		    now_msec))) {
			*delay_msec_r = throttle->settings.failure_delay_max *
			    1000;
			return AUTH_THROTTLE_BANNED;
		}
		auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_PAIR, ip,
		    user);
		pair_entry = auth_throttle_find(throttle, &key, now_msec);
	}
	if (auth_throttle_banned(ip_entry)) {
		*delay_msec_r = throttle->settings.failure_delay_max * 1000;
		return AUTH_THROTTLE_BANNED;
	}
	failures = MAX(ip_entry == NULL ? 0 : ip_entry->failures,
	    pair_entry == NULL ? 0 : pair_entry->failures);
	*delay_msec_r = auth_throttle_delay(throttle, failures);
	if (*delay_msec_r > 0)
		log_info("event=auth_throttled ip=%s user=\"%s\" failures=%u "
		    "delay_msec=%lld",
		    auth_throttle_printable(ip, shown_ip, sizeof(shown_ip)),
		    auth_throttle_printable(user, shown_user,
		    sizeof(shown_user)), failures, (long long)*delay_msec_r);
	return AUTH_THROTTLE_ALLOW;
}

/* Counts a failure on entry and starts its ban at threshold (0: never).
 * Returns true when the ban started now. */
static bool
auth_throttle_count(struct auth_throttle *throttle,
    struct auth_throttle_entry *entry, int64_t threshold, int64_t now_msec)
{
	entry->failures++;
	if (threshold <= 0 || entry->banned_until_msec != 0 ||
	    entry->failures < (uint64_t)threshold)
		return false;
	entry->banned_until_msec = now_msec + throttle->settings.ban_time *
	    1000;
	return true;
}

void
auth_throttle_failure(struct auth_throttle *throttle, const char *ip,
    const char *user, int64_t now_msec)
{
	char shown[AUTH_THROTTLE_LOG_NAME_SIZE];
	struct auth_throttle_entry *entry;
	struct auth_throttle_key key;

	auth_throttle_sweep(throttle, now_msec);
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_IP, ip, NULL);
	entry = auth_throttle_touch(throttle, &key, now_msec);
	if (auth_throttle_count(throttle, entry,
	    throttle->settings.ban_failures_per_ip, now_msec))
		log_info("event=auth_banned scope=ip ip=%s failures=%u "
		    "ban_seconds=%lld",
		    auth_throttle_printable(ip, shown, sizeof(shown)),
		    entry->failures, (long long)throttle->settings.ban_time);
	if (user[0] == '\0')
		return;
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_USER, NULL, user);
	entry = auth_throttle_touch(throttle, &key, now_msec);
	if (auth_throttle_count(throttle, entry,
	    throttle->settings.ban_failures_per_user, now_msec))
		log_info("event=auth_banned scope=user user=\"%s\" "
		    "failures=%u ban_seconds=%lld",
		    auth_throttle_printable(user, shown, sizeof(shown)),
		    entry->failures, (long long)throttle->settings.ban_time);
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_PAIR, ip, user);
	entry = auth_throttle_touch(throttle, &key, now_msec);
	entry->failures++;
}

/* Takes failures off entry's count (not below zero). */
static void
auth_throttle_forgive(struct auth_throttle_entry *entry, unsigned failures)
{
	if (entry != NULL)
		entry->failures -= MIN(entry->failures, failures);
}

void
auth_throttle_success(struct auth_throttle *throttle, const char *ip,
    const char *user, int64_t now_msec)
{
	struct auth_throttle_entry *pair_entry;
	struct auth_throttle_key key;
	unsigned failures;

	auth_throttle_sweep(throttle, now_msec);
	if (user[0] == '\0')
		return;
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_PAIR, ip, user);
	pair_entry = auth_throttle_find(throttle, &key, now_msec);
	if (pair_entry == NULL)
		return;
	failures = pair_entry->failures;
	auth_throttle_remove(throttle, pair_entry);
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_IP, ip, NULL);
	auth_throttle_forgive(auth_throttle_find(throttle, &key, now_msec),
	    failures);
	auth_throttle_make_key(&key, AUTH_THROTTLE_KIND_USER, NULL, user);
	auth_throttle_forgive(auth_throttle_find(throttle, &key, now_msec),
	    failures);
}
