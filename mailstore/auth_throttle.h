/* auth_throttle.h: failed-login throttling for IMAP and POP3, per client
 * IP and per user, in memory.
 *
 * Two defences. A growing delay: the answer to a login attempt waits
 * longer the more failures that client IP has had recently, overall or
 * for that user (none after 0 or 1 failures, 1 s after 2, then doubling
 * up to auth.failure_delay_max). A temporary ban: an IP with
 * auth.ban_failures_per_ip failures within auth.ban_window, or a user
 * with auth.ban_failures_per_user failures from any IPs within the
 * window, is refused for auth.ban_time. Bans expire, so a guesser can
 * lock the real user out for a while but not forever. A successful
 * login clears that IP's failures for that user.
 *
 * Windows are fixed: one starts at an entry's first failure and lasts
 * auth.ban_window, after which the count starts again (so the worst
 * case is a little under twice the threshold across a window boundary,
 * slowed by the delay all along). Memory is bounded: at most
 * max_entries entries (IPs, users and IP-user pairs together); when
 * full, expired entries go first, then the least recently failed one,
 * even if banned. Expired entries are dropped lazily as calls pass.
 *
 * A struct auth_throttle belongs to the event loop thread: all calls
 * come from there. Times are the caller's monotonic milliseconds
 * (now_msec), which lets tests drive the clock. */
#ifndef SLUICE_AUTH_THROTTLE_H
#define SLUICE_AUTH_THROTTLE_H

#include "lib/common.h"
#include "lib/settings.h"

/* Settings (section "auth"); the table keys are auth.failure_delay_max
 * (duration, default 15s), auth.ban_failures_per_ip (default 10; 0: no
 * IP bans), auth.ban_failures_per_user (default 20; 0: no user bans),
 * auth.ban_window (default 10m) and auth.ban_time (default 15m).
 * max_entries is not a config key: 0 means AUTH_THROTTLE_MAX_ENTRIES
 * (and it is at least 3). */
struct auth_throttle_settings {
	int64_t failure_delay_max;      /* seconds */
	int64_t ban_failures_per_ip;
	int64_t ban_failures_per_user;
	int64_t ban_window;             /* seconds */
	int64_t ban_time;               /* seconds */
	int64_t max_entries;
};

#define AUTH_THROTTLE_MAX_ENTRIES 100000
/* Failures answered without delay. */
#define AUTH_THROTTLE_FREE_FAILURES 2
/* The first delay; each further failure doubles it. */
#define AUTH_THROTTLE_FIRST_DELAY_MSEC 1000
/* IPs and user names are keyed on at most this many bytes; a longer
 * user name cannot exist (sasl_plain allows 255 bytes). */
#define AUTH_THROTTLE_IP_MAX 64
#define AUTH_THROTTLE_USER_MAX 320

/* The "auth" settings table, for the integrator to register; its values
 * are a struct auth_throttle_settings. */
extern const struct settings_section auth_throttle_settings_section;

struct auth_throttle;

enum auth_throttle_verdict {
	AUTH_THROTTLE_ALLOW,  /* go ahead, after *delay_msec_r */
	AUTH_THROTTLE_BANNED, /* refuse without checking the password */
};

/* Creates an empty throttle; settings are copied. */
struct auth_throttle *auth_throttle_new(
    const struct auth_throttle_settings *settings);

/* Frees it all; sets *throttle_p to NULL (NULL is a no-op). */
void auth_throttle_free(struct auth_throttle **throttle_p);

/* Before checking a login attempt by user (any case; "" when the client
 * gave none) from ip (the caller's text form): whether to go ahead, and
 * how long to hold the answer (whatever it turns out to be, so the wait
 * does not tell success from failure). For BANNED the delay is the
 * maximum, so a banned client cannot hammer. Logs event=auth_throttled
 * when it asks for a delay. */
enum auth_throttle_verdict auth_throttle_check(struct auth_throttle *throttle,
    const char *ip, const char *user, int64_t now_msec,
    int64_t *delay_msec_r);

/* Records a failed login. Starts (and logs, event=auth_banned) the IP's
 * or the user's ban when it reaches its threshold. An empty user counts
 * for the IP only. */
void auth_throttle_failure(struct auth_throttle *throttle, const char *ip,
    const char *user, int64_t now_msec);

/* Records a successful login: clears that IP's failures for that user,
 * and takes them off the IP's and the user's counts (they were the real
 * user's typos). Bans in force stay. */
void auth_throttle_success(struct auth_throttle *throttle, const char *ip,
    const char *user, int64_t now_msec);

/* Entries currently held, expired ones not yet dropped included. */
size_t auth_throttle_entry_count(const struct auth_throttle *throttle);

#endif
