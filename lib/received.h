/* received.h: the relay chain of a message, parsed from its Received
 * header fields the way SpamAssassin does, and the four pseudo-headers
 * X-Spam-Relays-Trusted, -Untrusted, -Internal and -External that stock
 * SpamAssassin rules match.
 *
 * Each Received field is either a relay (an IP address and the names
 * around it: reverse DNS, HELO, receiving host, ident, envelope sender,
 * queue id, authentication), a hop that is skipped on purpose (local
 * submission, qmail "invoked by uid", fetchmail, localhost handovers), or
 * unparseable. Relays are then split into trusted and untrusted, internal
 * and external, by the caller's networks or, with none given, by
 * SpamAssassin's inference (a private or loopback IP address, or an
 * authenticated hop, keeps the chain trusted; the first other hop ends
 * it). IP addresses from X-Originating-IP and similar fields are appended
 * as relays after the Received ones, as SpamAssassin does.
 *
 * The textual forms are byte-for-byte those of SpamAssassin 4.0, since
 * rules regex-match them (RDNS_NONE is /^[^\]]+ rdns= /):
 *   [ ip=1.2.3.4 rdns=mx.example.com helo=example.com by=mx.example.net
 *   ident= envfrom= intl=0 id=ABC123 auth= msa=0 ]
 * one bracket per relay (one line, wrapped here), newest first, joined by
 * one space.
 *
 * Everything a call returns lives in the caller's arena. Pure functions:
 * any thread may call them, each with its own arena. */
#ifndef SLUICE_RECEIVED_H
#define SLUICE_RECEIVED_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/mail_header.h"
#include "lib/string_view.h"

#include <sys/socket.h>

/* Received fields (and originating-IP fields) looked at per message;
 * later ones are ignored. */
#define RECEIVED_MAX_FIELDS 500
/* Bytes of one Received value parsed; the rest of a longer one is
 * ignored (real ones are a few hundred bytes). */
#define RECEIVED_MAX_LINE 8192

struct received_relay {
	/* Never NULL; "" when the header does not say. Characters that
	 * would break the textual form (whitespace, NUL, # [ ] ( ) < > |)
	 * are replaced by '!' in all but id and auth, so an IP-literal
	 * HELO "[1.2.3.4]" reads "!1.2.3.4!", as in SpamAssassin. */
	const char *ip;		/* IPv4 or IPv6, no "IPv6:" nor [ ] */
	const char *rdns;	/* reverse DNS as the receiving MTA saw it */
	const char *helo;	/* HELO/EHLO name */
	const char *by;		/* the receiving host */
	const char *ident;	/* RFC 1413 ident */
	const char *envfrom;	/* envelope sender, when the MTA wrote it */
	const char *id;		/* queue id */
	const char *auth;	/* authentication method ("ESMTPA", ...) */
	/* ip is in a private, loopback, link-local or CGN range. */
	bool ip_private;
	/* The MTA does reverse lookups, so an empty rdns means the host
	 * has none (rather than the MTA not writing it). */
	bool no_reverse_dns;
	/* Set by received_parse_all(). */
	bool trusted;
	bool internal;
	/* An MSA relay (msa_networks): this and every older relay keep
	 * the trust it had. */
	bool msa;
};

/* One entry of a trusted/internal/MSA network list. */
struct received_network {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];	/* network byte order */
	unsigned prefix;		/* bits: 0..32 or 0..128 */
	bool exclude;			/* "!net": not in the set */
};

/* All members may be 0/NULL. */
struct received_options {
	/* trusted_networks, internal_networks and msa_networks, each an
	 * array of count entries searched in order (first match wins, an
	 * exclude entry says "not contained"); 127.0.0.0/8 and ::1 are
	 * always in the trusted and internal sets. With neither trusted
	 * nor internal networks given, trust is inferred (see above) and
	 * every trusted relay is internal; with only one of them given,
	 * it serves as the other too. */
	const struct received_network *trusted;
	size_t trusted_count;
	const struct received_network *internal;
	size_t internal_count;
	const struct received_network *msa;
	size_t msa_count;
	/* The caller knows the message was submitted by an authenticated
	 * or inside user (SpamAssassin's "originating" attribute): with
	 * networks configured, the first untrusted hop is taken to be an
	 * MSA instead of breaking the trust chain. */
	bool originating;
	/* Fields whose first IP address is appended as a relay
	 * (originating_ip_headers). NULL means SpamAssassin's default list
	 * (X-Yahoo-Post-IP, X-Originating-IP, X-Apparently-From,
	 * X-SenderIP, X-AOL-IP,
	 * X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp);
	 * a non-NULL array with count 0 means none. */
	const char *const *originating_headers;
	size_t originating_header_count;
};

/* The four pseudo-header values; "" when a list is empty. */
struct received_text {
	const char *trusted;
	const char *untrusted;
	const char *internal;
	const char *external;
};

/* Parses one Received value (raw, folding allowed) into *relay_r.
 * Returns 1 for a relay, 0 for a hop that is skipped on purpose, -1 when
 * the value cannot be parsed (both leave no relay; *relay_r is then
 * zeroed). trusted/internal/msa are left false. Strings live in arena. */
int received_parse_line(struct arena *arena, struct string_view value,
    struct received_relay *relay_r);

/* Parses every Received field of header (newest first) plus the
 * originating-IP fields, classifies the relays by options (NULL: all
 * defaults) and returns how many there are; *relays_r gets an arena array
 * of them, newest first (NULL when there is none). A fetchmail/getmail
 * handover met while the chain is still trusted drops the relays above
 * it (added by the fetching side), as SpamAssassin restarts its chain
 * there. Never fails. */
size_t received_parse_all(struct arena *arena,
    const struct mail_header *header, const struct received_options *options,
    struct received_relay **relays_r);

/* The "[ ip=... msa=0 ]" form of one relay, in arena. */
const char *received_relay_format(struct arena *arena,
    const struct received_relay *relay);

/* Builds the four X-Spam-Relays-* values from relays as returned by
 * received_parse_all(); strings live in arena. */
void received_format(struct arena *arena, const struct received_relay *relays,
    size_t count, struct received_text *text_r);

/* Parses a trusted_networks entry: "1.2.3.4", "10.0.0.0/8", "10.1."
 * (trailing dot: /8, /16 or /24), "2001:db8::/32", "[::1]", each
 * optionally preceded by '!'. Returns 0, or -1 with *error_r set. */
int received_network_parse(const char *text, struct received_network *net_r,
    const char **error_r);

#endif
