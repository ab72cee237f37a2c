/* uri_extract.c: URIs from text and HTML attributes, normalised and
 * deduplicated, plus the TLD list and the registrable-domain helper.
 *
 * DESIGN: text is cut into tokens at white space and at '<', '>', '"'
 * (and the no-break and CJK spaces); a URL never spans tokens, except
 * for the spaced "h t t p ://" obfuscation, which is matched across
 * them. Within a token the scheme colon is found with memchr(':') and
 * the letters before it; the stretch before a scheme is searched for
 * bare host names and e-mail addresses by looking at each '.' and '@'
 * and growing the host-name run around it with table lookups, so each
 * byte is looked at a small constant number of times. The normalised
 * URI is built in a bounded scratch buffer, hashed, and copied into the
 * arena only when it is new; the hash table grows with the list. */
#include "lib/uri_extract.h"

/* Byte classes (char_classes). */
#define CHAR_SEPARATOR (1u << 0)       /* ends a token */
#define CHAR_MAYBE_SEPARATOR (1u << 1) /* lead byte of a UTF-8 space */
#define CHAR_HOST (1u << 2)            /* letter, digit, '-', '.', '_' */
#define CHAR_LOCAL (1u << 3)           /* may be in an e-mail local part */
#define CHAR_TRAILING (1u << 4)        /* punctuation that ends no URL */
#define CHAR_SCHEME (1u << 5)          /* letter or '*' (h**p) */

static const uint8_t char_classes[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 24, 17, 8, 8, 8, 8, 24, 0, 0, 56, 8, 16, 12, 28, 8,
	12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 16, 16, 1, 8, 1, 24,
	0, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44,
	44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 0, 0, 0, 8, 12,
	8, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44,
	44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 44, 8, 8, 8, 8, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Top-level domains: every country code and the common generic ones,
 * in byte order. */
static const char *const tld_names[] = {
	"ac", "academy", "accountant", "ad", "ae", "aero", "af", "ag",
	"agency", "ai", "al", "am", "ao", "app", "aq", "ar", "art", "as",
	"asia", "at", "au", "audio", "auto", "autos", "aw", "ax", "az", "ba",
	"bb", "bd", "be", "best", "bet", "bf", "bg", "bh", "bi", "bid", "bio",
	"biz", "bj", "blog", "bm", "bn", "bo", "boats", "bond", "bq", "br",
	"bs", "bt", "buzz", "bv", "bw", "by", "bz", "ca", "cab", "cafe", "cam",
	"camp", "capital", "care", "cash", "casino", "cat", "cc", "cd",
	"center", "cf", "cfd", "cg", "ch", "chat", "cheap", "ci", "city", "ck",
	"cl", "click", "cloud", "club", "cm", "cn", "co", "codes", "coffee",
	"college", "com", "company", "computer", "consulting", "cool", "coop",
	"country", "coupons", "cr", "credit", "cricket", "cu", "cv", "cw",
	"cx", "cy", "cyou", "cz", "dance", "date", "dating", "de", "deals",
	"design", "dev", "diet", "digital", "direct", "directory", "dj", "dk",
	"dm", "do", "domains", "download", "dz", "earth", "ec", "edu",
	"education", "ee", "eg", "email", "energy", "engineering",
	"enterprises", "equipment", "er", "es", "estate", "et", "eu", "events",
	"exchange", "expert", "express", "faith", "fans", "farm", "fashion",
	"fi", "finance", "financial", "fit", "fitness", "fj", "fk", "flowers",
	"fm", "fo", "fr", "fun", "fund", "ga", "game", "games", "garden",
	"gay", "gb", "gd", "gdn", "ge", "gf", "gg", "gh", "gi", "gift",
	"gifts", "gl", "global", "gm", "gn", "gold", "golf", "gov", "gp", "gq",
	"gr", "graphics", "group", "gs", "gt", "gu", "guide", "guru", "gw",
	"gy", "hair", "health", "help", "hk", "hm", "hn", "holdings", "homes",
	"host", "hosting", "house", "hr", "ht", "hu", "icu", "id", "ie", "il",
	"im", "in", "inc", "info", "ink", "institute", "insure", "int",
	"international", "investments", "io", "iq", "ir", "is", "it", "je",
	"jm", "jo", "jobs", "jp", "ke", "kg", "kh", "ki", "kim", "km", "kn",
	"kp", "kr", "kw", "ky", "kz", "la", "land", "lat", "lb", "lc", "lgbt",
	"li", "life", "link", "live", "lk", "llc", "loan", "loans", "lol",
	"london", "love", "lr", "ls", "lt", "ltd", "lu", "luxury", "lv", "ly",
	"ma", "management", "market", "marketing", "mba", "mc", "md", "me",
	"media", "men", "menu", "mg", "mh", "mil", "mk", "ml", "mm", "mn",
	"mo", "mobi", "moe", "mom", "money", "monster", "movie", "mp", "mq",
	"mr", "ms", "mt", "mu", "museum", "mv", "mw", "mx", "my", "mz", "na",
	"name", "nc", "ne", "net", "network", "news", "nf", "ng", "ni",
	"ninja", "nl", "no", "np", "nr", "nu", "nyc", "nz", "om", "one",
	"online", "ooo", "org", "pa", "page", "partners", "parts", "party",
	"pe", "pet", "pf", "pg", "ph", "photo", "photography", "photos",
	"pics", "pictures", "pink", "pizza", "pk", "pl", "place", "plus", "pm",
	"pn", "poker", "porn", "post", "pr", "press", "pro", "productions",
	"promo", "properties", "ps", "pt", "pub", "pw", "py", "qa", "quest",
	"racing", "re", "recipes", "red", "rehab", "ren", "rent", "rentals",
	"repair", "report", "rest", "review", "reviews", "rip", "ro", "rocks",
	"rs", "ru", "run", "rw", "sa", "sale", "sb", "sbs", "sc", "school",
	"science", "sd", "se", "services", "sex", "sexy", "sg", "sh", "shop",
	"shopping", "show", "si", "site", "sj", "sk", "skin", "sl", "sm", "sn",
	"so", "social", "software", "solutions", "space", "sr", "ss", "st",
	"store", "stream", "studio", "style", "su", "support", "surf", "sv",
	"sx", "sy", "systems", "sz", "tc", "td", "team", "tech", "technology",
	"tel", "tf", "tg", "th", "tips", "tj", "tk", "tl", "tm", "tn", "to",
	"today", "tokyo", "tools", "top", "tours", "town", "toys", "tr",
	"trade", "training", "travel", "tt", "tube", "tv", "tw", "tz", "ua",
	"ug", "uk", "uno", "us", "uy", "uz", "va", "vc", "ve", "vegas",
	"ventures", "vg", "vi", "video", "vin", "vip", "vision", "vn", "vote",
	"voyage", "vu", "wang", "watch", "webcam", "website", "wedding", "wf",
	"win", "wine", "work", "works", "world", "ws", "wtf", "xin", "xxx",
	"xyz", "yachts", "ye", "yoga", "yt", "za", "zm", "zone", "zw",
};

/* Second-level names that are public suffixes themselves, by TLD in
 * byte order, space-separated ("*": every second-level name). Mostly
 * registry ones (co.uk, com.au); a few are hosting services whose
 * customers get subdomains (blogspot.com, github.io). */
struct tld_suffixes {
	const char *tld;
	const char *second_levels;
};

static const struct tld_suffixes tld_suffixes[] = {
	{ "ae", "ac co gov mil net org sch" }, { "af", "com edu gov net org" },
	{ "ag", "co com net nom org" }, { "ai", "com net off org" },
	{ "al", "com edu gov mil net org" },
	{ "am", "co com commune net org" }, { "ao", "co ed gv it og pb" },
	{ "app", "netlify ondigitalocean vercel web" },
	{ "ar", "com edu gob gov int mil net org tur" },
	{ "at", "ac co gv or" }, { "au", "asn com edu gov id net org" },
	{ "az", "biz com edu gov info int mil name net org pp pro" },
	{ "ba", "com edu gov mil net org" },
	{ "bb", "biz co com edu gov info net org store tv" }, { "bd", "*" },
	{ "be", "ac" }, { "bh", "com edu gov net org" },
	{ "bm", "com edu gov net org" }, { "bn", "com edu gov net org" },
	{ "bo", "com edu gob int mil net org tv" },
	{ "br", "art blog com coop edu eng gov ind inf jus leg med mil net "
	    "nom org pro tmp tur tv vet wiki" },
	{ "bs", "com edu gov net org" }, { "by", "com gov mil of" },
	{ "bz", "co com edu gov net org" }, { "ck", "*" },
	{ "cm", "co com gov net" }, { "cn", "ac com edu gov mil net org" },
	{ "co", "com edu gov mil net nom org" },
	{ "com", "000webhostapp appspot blogspot firebaseapp herokuapp "
	    "myshopify weebly wixsite" },
	{ "cr", "ac co ed fi go or sa" }, { "cu", "com edu gov inf net org" },
	{ "cy", "ac biz com gov ltd mil net org press pro tm" },
	{ "dev", "pages workers" },
	{ "do", "art com edu gob gov mil net org sld web" },
	{ "dz", "art asso com edu gov net org pol" },
	{ "ec", "com edu fin gob gov info med mil net org pro" },
	{ "ee", "aip com edu fie gov lib med org pri riik" },
	{ "eg", "com edu eun gov mil name net org sci" }, { "er", "*" },
	{ "es", "com edu gob nom org" },
	{ "et", "biz com edu gov info name net org" },
	{ "fj", "ac biz com gov info mil name net org pro" }, { "fk", "*" },
	{ "fr", "asso com gouv nom prd tm" },
	{ "ge", "com edu gov mil net org pvt" }, { "gg", "co net org" },
	{ "gh", "com edu gov mil org" }, { "gi", "com edu gov ltd mod org" },
	{ "gr", "com edu gov net org" },
	{ "gt", "com edu gob ind mil net org" },
	{ "gy", "co com edu gov net org" },
	{ "hk", "com edu gov idv net org" },
	{ "hn", "com edu gob mil net org" }, { "hr", "com from iz name" },
	{ "hu", "co info org priv sport tm" },
	{ "id", "ac biz co desa go mil my net or sch web" }, { "ie", "gov" },
	{ "il", "ac co gov idf k12 muni net org" },
	{ "im", "ac co com net org tt tv" },
	{ "in", "ac co edu ernet firm gen gov ind mil net nic org res" },
	{ "io", "github gitlab ngrok" }, { "iq", "com edu gov mil net org" },
	{ "ir", "ac co gov id net org sch" }, { "it", "edu gov" },
	{ "je", "co net org" }, { "jo", "com edu gov mil name net org sch" },
	{ "jp", "ac ad co ed go gr lg ne or" },
	{ "ke", "ac co go info me mobi ne or sc" }, { "kh", "*" },
	{ "ki", "biz com edu gov info net org" }, { "kn", "edu gov net org" },
	{ "kr", "ac co es go hs kg mil ms ne or pe re sc" },
	{ "kw", "com edu emb gov ind net org" }, { "ky", "com edu net org" },
	{ "kz", "com edu gov mil net org" },
	{ "la", "com edu gov info int net org per" },
	{ "lb", "com edu gov net org" }, { "lc", "co com edu gov net org" },
	{ "lk", "ac assn com edu gov grp hotel int ltd net ngo org sch soc "
	    "web" },
	{ "lt", "gov" }, { "lv", "asn com conf edu gov id mil net org" },
	{ "ly", "com edu gov id med net org plc sch" },
	{ "ma", "ac co gov net org press" },
	{ "me", "ac co edu gov its net org priv" },
	{ "mg", "co com edu gov mil nom org prd tm" },
	{ "mk", "com edu gov inf name net org" }, { "mm", "*" },
	{ "mn", "edu gov org" }, { "mo", "com edu gov net org" },
	{ "mt", "com edu gov net org" }, { "mu", "ac co com gov net or org" },
	{ "mv", "aero biz com coop edu gov info int mil museum name net org "
	    "pro" },
	{ "mw", "ac biz co com coop edu gov int museum net org" },
	{ "mx", "com edu gob net org" },
	{ "my", "com edu gov mil name net org" },
	{ "mz", "ac adv co edu gov mil net org" }, { "na", "co com org" },
	{ "net", "azurewebsites cloudfront" },
	{ "nf", "arts com firm info net other per rec store web" },
	{ "ng", "com edu gov i mil mobi name net org sch" },
	{ "ni", "ac biz co com edu gob in info int mil net nom org web" },
	{ "np", "*" },
	{ "nz", "ac co cri geek gen govt health iwi kiwi maori mil net org "
	    "parliament school" },
	{ "om", "co com edu gov med museum net org pro" }, { "org", "dyndns" },
	{ "pa", "abo ac com edu gob ing med net nom org sld" },
	{ "pe", "com edu gob mil net nom org" }, { "pf", "com edu org" },
	{ "pg", "*" }, { "ph", "com edu gov mil net ngo org" },
	{ "pk", "biz com edu fam gob gok gon gop gos gov info net org web" },
	{ "pl", "agro aid atm auto biz com edu gmina gov gsm info mail media "
	    "miasta mil net nom org pc powiat priv realestate rel sex shop "
	    "sklep sos szkola targi tm tourism travel turystyka" },
	{ "pr", "ac biz com edu est gov info isla name net org pro prof" },
	{ "ps", "com edu gov net org plo sec" },
	{ "pt", "com edu gov int net nome org publ" },
	{ "py", "com coop edu gov mil net org" },
	{ "qa", "com edu gov mil name net org sch" },
	{ "ro", "arts com firm info nom nt org rec store tm www" },
	{ "rs", "ac co edu gov in org" },
	{ "ru", "ac com edu gov int mil msk net org pp spb" },
	{ "sa", "com edu gov med net org pub sch" },
	{ "sb", "com edu gov net org" }, { "sc", "com edu gov net org" },
	{ "sd", "com edu gov info med net org tv" }, { "se", "com org" },
	{ "sg", "com edu gov net org per" }, { "sl", "com edu gov net org" },
	{ "sn", "art com edu gouv org perso univ" },
	{ "so", "com edu gov me net org" },
	{ "st", "co com consulado edu embaixada mil net org principe saotome "
	    "store" },
	{ "sv", "com edu gob org red" }, { "sy", "com edu gov mil net org" },
	{ "th", "ac co go in mi net or" },
	{ "tj", "ac biz co com edu go gov int mil name net nic org test web" },
	{ "tn", "com ens fin gov ind info intl nat net org perso tourism" },
	{ "to", "com edu gov mil net org" },
	{ "tr", "av bbs bel biz com dr edu gen gov info k12 kep mil name net "
	    "org pol tel tsk tv web" },
	{ "tt", "co com edu gov info mil name net org pro" },
	{ "tw", "club com ebiz edu game gov idv mil net org" },
	{ "tz", "ac co go hotel info me mil mobi ne or sc tv" },
	{ "ua", "com edu gov in kiev net org" },
	{ "ug", "ac co com go ne or org sc" },
	{ "uk", "ac co gov ltd me mod net nhs org plc police sch" },
	{ "uy", "com edu gub mil net org" }, { "uz", "co com net org" },
	{ "vc", "com edu gov mil net org" },
	{ "ve", "co com edu gob info mil net org web" },
	{ "vi", "co com k12 net org" },
	{ "vn", "ac biz com edu gov health info int name net org pro" },
	{ "ws", "com edu gov net org" }, { "ye", "com edu gov mil net org" },
	{ "za", "ac co edu gov law mil net nom org school web" },
	{ "zm", "ac biz co com edu gov info mil net org sch" },
	{ "zw", "ac co gov mil org" },
};

/* TLDs that are also common file extensions: a bare two-label name in
 * them ("setup.py") needs "www.", a path or a port to count. */
static const char tld_file_extensions[] = "ac ai am app ar bz in la md mk "
    "ml mm mo ms pl pm ps py rs sc sh so tf";

/* DNS limits: a label, and a whole name. */
#define LABEL_MAX 63
#define HOST_MAX 255

enum scheme {
	SCHEME_HTTP,
	SCHEME_HTTPS,
	SCHEME_FTP,
	SCHEME_MAILTO,
};

static const char *const scheme_names[] = { "http", "https", "ftp",
	"mailto" };
static const unsigned int default_ports[] = { 80, 443, 21, 0 };

/* Where a URI came from. */
struct source {
	const char *tag;
	const char *attribute;
	unsigned int flags; /* URI_EXTRACT_FROM_*, and RELATIVE, TRUNCATED */
};

struct uri_extract {
	struct arena *arena;
	struct uri_extract_limits limits;
	struct uri_extract_uri *uris;
	size_t count;
	size_t capacity;
	size_t dropped;
	uint32_t *slots; /* index + 1 into uris; 0: empty */
	size_t slot_count; /* a power of two, > 2 * count */

	/* The normalised URI being built: max_uri_length + 1 bytes. */
	char *buffer;
	size_t length;
	bool truncated;
	/* A cleaned attribute value (max_uri_length + 1 bytes) followed
	 * by room for it joined to its base (2 * max_uri_length + 2). */
	char *value;
	char host[HOST_MAX + 1];
};

static inline bool
char_is(unsigned char c, unsigned int classes)
{
	return (char_classes[c] & classes) != 0;
}

static inline bool
is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* TLDs and registrable domains */

/* Lowercases a label into lower (LABEL_MAX bytes). False if it is
 * empty, too long, or holds anything but letters, digits and '-' (so
 * that strncmp() in find_name() cannot stop early inside it). */
static bool
lower_label(const char *name, size_t length, char *lower)
{
	size_t i;

	if (length == 0 || length > LABEL_MAX)
		return false;
	for (i = 0; i < length; i++) {
		if (!char_is((unsigned char)name[i], CHAR_HOST) ||
		    name[i] == '.' || name[i] == '_')
			return false;
		lower[i] = (char)string_ascii_lower((unsigned char)name[i]);
	}
	return true;
}

/* Binary search for name (see lower_label) in a sorted array of count
 * elements of size bytes whose first member is a name. */
static const void *
find_name(const void *array, size_t count, size_t size, const char *name,
    size_t length)
{
	const char *entry;
	size_t low = 0, high = count, middle;
	int cmp;

	while (low < high) {
		middle = low + (high - low) / 2;
		entry = *(const char *const *)(const void *)(
		    (const char *)array + middle * size);
		cmp = strncmp(entry, name, length);
		if (cmp == 0 && entry[length] != '\0')
			cmp = 1;
		if (cmp == 0)
			return (const char *)array + middle * size;
		if (cmp < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static bool
tld_find(const char *name, size_t length)
{
	char lower[LABEL_MAX];

	return lower_label(name, length, lower) && find_name(tld_names,
	    ARRAY_LENGTH(tld_names), sizeof(tld_names[0]), lower,
	    length) != NULL;
}

bool
uri_extract_tld_known(struct string_view tld)
{
	return tld_find(tld.data, tld.length);
}

/* Whether name (any case) is one of the space-separated words. */
static bool
word_listed(const char *words, const char *name, size_t length)
{
	const char *p = words, *space;
	size_t n;

	if (strcmp(words, "*") == 0)
		return true;
	while (*p != '\0') {
		space = strchr(p, ' ');
		n = space != NULL ? (size_t)(space - p) : strlen(p);
		if (n == length && string_view_equal_case(
		    string_view_make(p, n), string_view_make(name, length)))
			return true;
		if (space == NULL)
			break;
		p = space + 1;
	}
	return false;
}

/* Whether host is a dotted quad: four decimal parts up to 255. */
static bool
is_dotted_quad(const char *p, size_t length)
{
	unsigned int parts = 0, value = 0, digits = 0;
	size_t i;

	for (i = 0; i <= length; i++) {
		if (i == length || p[i] == '.') {
			if (digits == 0 || value > 255)
				return false;
			parts++;
			value = 0;
			digits = 0;
		} else if (is_digit((unsigned char)p[i]) && digits < 3) {
			value = value * 10 + (unsigned int)(p[i] - '0');
			digits++;
		} else
			return false;
	}
	return parts == 4;
}

struct string_view
uri_extract_registrable_domain(struct string_view host)
{
	const struct tld_suffixes *suffixes;
	char lower[LABEL_MAX];
	size_t length = host.length, dots[3], found = 0, i, tld_length;

	while (length > 0 && host.data[length - 1] == '.')
		length--;
	host.length = length;
	if (length == 0 || host.data[0] == '[' ||
	    is_dotted_quad(host.data, length))
		return host;
	/* The last three dots, from the right. */
	for (i = length; i > 0 && found < 3; i--)
		if (host.data[i - 1] == '.')
			dots[found++] = i - 1;
	if (found < 2)
		return host;
	tld_length = length - dots[0] - 1;
	suffixes = lower_label(host.data + dots[0] + 1, tld_length, lower) ?
	    find_name(tld_suffixes, ARRAY_LENGTH(tld_suffixes),
	    sizeof(tld_suffixes[0]), lower, tld_length) : NULL;
	if (suffixes != NULL && word_listed(suffixes->second_levels,
	    host.data + dots[1] + 1, dots[0] - dots[1] - 1)) {
		/* sld.tld is a public suffix: keep one label more. */
		if (found < 3)
			return host;
		return string_view_make(host.data + dots[2] + 1,
		    length - dots[2] - 1);
	}
	return string_view_make(host.data + dots[1] + 1, length - dots[1] - 1);
}

/* Hosts */

/* Parses an IPv4 address in any form inet_aton(3) accepts: one to four
 * parts, each decimal, octal (leading 0) or hex (0x), the last filling
 * the remaining bytes. */
static bool
parse_ipv4(const char *p, size_t length, uint32_t *address_r)
{
	const char *end = p + length;
	uint64_t parts[4], value;
	unsigned int count = 0, base, digits, i;
	int d;

	while (p < end) {
		if (count == 4)
			return false;
		base = 10;
		if (*p == '0' && end - p >= 2 && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		} else if (*p == '0' && end - p >= 2 && p[1] != '.') {
			base = 8;
			p++;
		}
		value = 0;
		digits = 0;
		for (; p < end && *p != '.'; p++) {
			d = hex_value((unsigned char)*p);
			if (d < 0 || (unsigned int)d >= base)
				return false;
			value = value * base + (unsigned int)d;
			if (value > 0xffffffffu)
				return false;
			digits++;
		}
		if (digits == 0)
			return false;
		parts[count++] = value;
		if (p < end && ++p == end)
			return false; /* a trailing dot */
	}
	if (count == 0)
		return false;
	for (i = 0; i + 1 < count; i++)
		if (parts[i] > 255)
			return false;
	if (parts[count - 1] >> (8 * (5 - count)) != 0)
		return false;
	*address_r = (uint32_t)parts[count - 1];
	for (i = 0; i + 1 < count; i++)
		*address_r |= (uint32_t)parts[i] << (24 - 8 * i);
	return true;
}

/* Normalises the host [p, end) of a URL into out (HOST_MAX + 1 bytes):
 * %-escapes decoded, ASCII lowercased, trailing dots dropped, IPv4 as a
 * dotted quad. Returns its length, or 0 if it is no valid host. */
static size_t
normalize_host(const char *p, const char *end, char *out,
    unsigned int *flags, bool *is_ip_r)
{
	const char *last_label;
	uint32_t address;
	size_t n = 0, i;
	unsigned char c;
	int written;
	bool plain;

	*is_ip_r = false;
	if (p < end && *p == '[') {
		if (end - p < 3 || end[-1] != ']' || end - p > HOST_MAX)
			return 0;
		for (i = 0; i < (size_t)(end - p); i++) {
			c = (unsigned char)string_ascii_lower(
			    (unsigned char)p[i]);
			if (i > 0 && i + 1 < (size_t)(end - p) &&
			    hex_value(c) < 0 && c != ':' && c != '.')
				return 0;
			out[n++] = (char)c;
		}
		*is_ip_r = true;
		return n;
	}
	while (p < end) {
		c = (unsigned char)*p++;
		if (c == '%' && end - p >= 2 &&
		    hex_value((unsigned char)p[0]) >= 0 &&
		    hex_value((unsigned char)p[1]) >= 0) {
			c = (unsigned char)(hex_value((unsigned char)p[0]) *
			    16 + hex_value((unsigned char)p[1]));
			p += 2;
			*flags |= URI_EXTRACT_ESCAPED_HOST;
		}
		c = (unsigned char)string_ascii_lower(c);
		if (!char_is(c, CHAR_HOST) && c < 0x80)
			return 0;
		if (n == HOST_MAX)
			return 0;
		out[n++] = (char)c;
	}
	while (n > 0 && out[n - 1] == '.')
		n--;
	if (n == 0 || out[0] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (out[i] == '.' && out[i - 1] == '.')
			return 0;
	for (last_label = out + n; last_label > out && last_label[-1] != '.';
	    last_label--)
		;
	if (!is_digit((unsigned char)*last_label))
		return n;
	/* A name cannot end in a numeric label: an address or nothing. */
	plain = is_dotted_quad(out, n);
	for (i = 0; plain && i + 1 < n; i++)
		if (out[i] == '0' && (i == 0 || out[i - 1] == '.') &&
		    out[i + 1] != '.')
			plain = false; /* "010.1.1.1" is octal */
	if (!parse_ipv4(out, n, &address))
		return 0;
	if (!plain)
		*flags |= URI_EXTRACT_ENCODED_IP;
	written = snprintf(out, HOST_MAX + 1, "%u.%u.%u.%u", address >> 24,
	    address >> 16 & 0xff, address >> 8 & 0xff, address & 0xff);
	*is_ip_r = true;
	return (size_t)written;
}

/* The list */

struct uri_extract *
uri_extract_new(struct arena *arena, const struct uri_extract_limits *limits)
{
	struct uri_extract *extract = arena_new_type(arena, struct uri_extract);

	if (limits != NULL)
		extract->limits = *limits;
	if (extract->limits.max_uris == 0)
		extract->limits.max_uris = URI_EXTRACT_DEFAULT_MAX_URIS;
	if (extract->limits.max_uri_length == 0)
		extract->limits.max_uri_length =
		    URI_EXTRACT_DEFAULT_MAX_URI_LENGTH;
	/* Room for "mailto:" and a host, so any URI can have its host. */
	extract->limits.max_uri_length = MAX(extract->limits.max_uri_length,
	    HOST_MAX + 16);
	extract->arena = arena;
	extract->buffer = arena_alloc(arena,
	    extract->limits.max_uri_length + 1);
	extract->value = arena_alloc(arena,
	    3 * extract->limits.max_uri_length + 3);
	return extract;
}

const struct uri_extract_uri *
uri_extract_uris(const struct uri_extract *extract, size_t *count_r)
{
	*count_r = extract->count;
	return extract->uris;
}

size_t
uri_extract_dropped(const struct uri_extract *extract)
{
	return extract->dropped;
}

static uint64_t
hash_bytes(const char *p, size_t length)
{
	uint64_t hash = 14695981039346656037u;
	size_t i;

	for (i = 0; i < length; i++)
		hash = (hash ^ (unsigned char)p[i]) * 1099511628211u;
	return hash;
}

static void
slots_insert(uint32_t *slots, size_t slot_count, uint64_t hash,
    uint32_t index)
{
	size_t mask = slot_count - 1, i = (size_t)hash & mask;

	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = index + 1;
}

/* Keeps the table more than half empty. */
static void
slots_grow(struct uri_extract *extract)
{
	size_t count = extract->slot_count == 0 ? 64 :
	    extract->slot_count * 2, i;
	uint32_t *slots = arena_array(extract->arena, count, sizeof(*slots));

	for (i = 0; i < extract->count; i++)
		slots_insert(slots, count, hash_bytes(extract->uris[i].uri,
		    extract->uris[i].uri_length), (uint32_t)i);
	extract->slots = slots;
	extract->slot_count = count;
}

/* Adds the URI in the buffer (or notes a repeat) with its host. */
static void
add_uri(struct uri_extract *extract, enum scheme scheme, const char *host,
    size_t host_length, bool is_ip, unsigned int flags,
    const char *raw, size_t raw_length, const struct source *source)
{
	struct uri_extract_uri *uri, *uris;
	struct string_view domain;
	size_t mask, i, capacity;
	uint64_t hash;
	char *host_copy;

	flags |= source->flags;
	if (extract->truncated || raw_length > extract->limits.max_uri_length)
		flags |= URI_EXTRACT_TRUNCATED;
	raw_length = MIN(raw_length, extract->limits.max_uri_length);
	hash = hash_bytes(extract->buffer, extract->length);
	if (extract->slot_count != 0) {
		mask = extract->slot_count - 1;
		for (i = (size_t)hash & mask; extract->slots[i] != 0;
		    i = (i + 1) & mask) {
			uri = &extract->uris[extract->slots[i] - 1];
			if (uri->uri_length == extract->length &&
			    memcmp(uri->uri, extract->buffer,
			    extract->length) == 0) {
				uri->flags |= source->flags &
				    (URI_EXTRACT_FROM_TEXT |
				    URI_EXTRACT_FROM_HTML);
				return;
			}
		}
	}
	if (extract->count == extract->limits.max_uris) {
		extract->dropped++;
		return;
	}
	if (extract->count == extract->capacity) {
		capacity = MIN(extract->capacity == 0 ? 16 :
		    extract->capacity * 2, extract->limits.max_uris);
		uris = arena_array(extract->arena, capacity, sizeof(*uris));
		if (extract->count > 0)
			memcpy(uris, extract->uris,
			    extract->count * sizeof(*uris));
		extract->uris = uris;
		extract->capacity = capacity;
	}
	if (2 * (extract->count + 1) >= extract->slot_count)
		slots_grow(extract);
	uri = &extract->uris[extract->count];
	uri->uri = arena_strndup(extract->arena, extract->buffer,
	    extract->length);
	uri->uri_length = extract->length;
	if (raw_length == extract->length &&
	    memcmp(raw, extract->buffer, raw_length) == 0)
		uri->raw = uri->uri;
	else
		uri->raw = arena_strndup(extract->arena, raw, raw_length);
	uri->scheme = scheme_names[scheme];
	host_copy = arena_strndup(extract->arena, host, host_length);
	domain = uri_extract_registrable_domain(string_view_make(host_copy,
	    host_length));
	uri->host = host_copy;
	uri->domain = domain.data;
	uri->tag = source->tag;
	uri->attribute = source->attribute;
	uri->host_is_ip = is_ip;
	uri->flags = flags;
	slots_insert(extract->slots, extract->slot_count, hash,
	    (uint32_t)extract->count);
	extract->count++;
}

/* Building the normalised form */

static void
buffer_start(struct uri_extract *extract)
{
	extract->length = 0;
	extract->truncated = false;
}

static void
buffer_add(struct uri_extract *extract, const char *s, size_t n)
{
	size_t room = extract->limits.max_uri_length - extract->length;

	if (n > room) {
		n = room;
		extract->truncated = true;
	}
	memcpy(extract->buffer + extract->length, s, n);
	extract->length += n;
	extract->buffer[extract->length] = '\0';
}

/* Starts "scheme://host[:port]". */
static void
buffer_authority(struct uri_extract *extract, enum scheme scheme,
    const char *host, size_t host_length, unsigned int port)
{
	char digits[8];
	int n;

	buffer_start(extract);
	buffer_add(extract, scheme_names[scheme], strlen(scheme_names[scheme]));
	buffer_add(extract, "://", 3);
	buffer_add(extract, host, host_length);
	if (port != 0 && port != default_ports[scheme]) {
		n = snprintf(digits, sizeof(digits), ":%u", port);
		buffer_add(extract, digits, (size_t)n);
	}
}

/* Appends the path, query and fragment [p, end): '/' when empty or
 * when it starts with '?' or '#', backslashes before the query turned
 * into slashes, spaces escaped. */
static void
buffer_path(struct uri_extract *extract, const char *p, const char *end)
{
	const char *run;
	bool in_path = true;

	if (p == end || *p == '?' || *p == '#')
		buffer_add(extract, "/", 1);
	while (p < end && !extract->truncated) {
		run = p;
		while (p < end && *p != '\\' && *p != ' ' && *p != '?' &&
		    *p != '#')
			p++;
		buffer_add(extract, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p == ' ')
			buffer_add(extract, "%20", 3);
		else if (*p == '\\')
			buffer_add(extract, in_path ? "/" : "\\", 1);
		else {
			in_path = false;
			buffer_add(extract, p, 1);
		}
		p++;
	}
}

/* Where a URL in text ends: trailing punctuation and closing brackets
 * without an opening one inside the URL are not part of it. */
static const char *
trim_url_end(const char *start, const char *end)
{
	static const char closers[] = ")]}", openers[] = "([{";
	size_t opens[3] = { 0, 0, 0 }, closes[3] = { 0, 0, 0 }, k;
	const char *p, *where;
	unsigned char c;

	for (p = start; p < end; p++) {
		c = (unsigned char)*p;
		if (c == '(' || c == '[' || c == '{')
			opens[strchr(openers, c) - openers]++;
		else if (c == ')' || c == ']' || c == '}')
			closes[strchr(closers, c) - closers]++;
	}
	while (end > start) {
		c = (unsigned char)end[-1];
		if (char_is(c, CHAR_TRAILING)) {
			end--;
			continue;
		}
		where = c != '\0' ? strchr(closers, c) : NULL;
		if (where == NULL)
			break;
		k = (size_t)(where - closers);
		if (closes[k] <= opens[k])
			break;
		closes[k]--;
		end--;
	}
	return end;
}

/* Checks a bare host name [p, end): at least two labels of letters,
 * digits and inner hyphens, 1-63 bytes each, a top-level label of
 * letters (or xn-- punycode). Sets *labels_r and the TLD view. */
static bool
valid_host_name(const char *p, const char *end, size_t *labels_r,
    struct string_view *tld_r)
{
	const char *label = p, *q;
	size_t labels = 0, length;
	bool alpha;

	if (end - p > 253)
		return false;
	for (q = p; q <= end; q++) {
		if (q < end && *q != '.') {
			if (!char_is((unsigned char)*q, CHAR_HOST) || *q == '_')
				return false;
			continue;
		}
		length = (size_t)(q - label);
		if (length == 0 || length > LABEL_MAX || label[0] == '-' ||
		    q[-1] == '-')
			return false;
		labels++;
		if (q == end)
			break;
		label = q + 1;
	}
	if (labels < 2)
		return false;
	length = (size_t)(end - label);
	alpha = length >= 2;
	for (q = label; q < end && alpha; q++)
		alpha = is_alpha((unsigned char)*q);
	if (!alpha && !(length > 4 && string_view_starts_with_case(
	    string_view_make(label, length), "xn--")))
		return false;
	*labels_r = labels;
	*tld_r = string_view_make(label, length);
	return true;
}

/* Lowercases [p, end) into the host scratch buffer. */
static size_t
lower_host(struct uri_extract *extract, const char *p, const char *end)
{
	size_t n = MIN((size_t)(end - p), (size_t)HOST_MAX), i;

	for (i = 0; i < n; i++)
		extract->host[i] = (char)string_ascii_lower(
		    (unsigned char)p[i]);
	return n;
}

/* URLs with a scheme */

/* Recognises the scheme word ending at colon, starting no earlier than
 * low: the last letters before the ':' must spell a scheme or one of
 * its obfuscations. Sets *scheme_r and *start_r, and flags. */
static bool
match_scheme(const char *low, const char *colon, enum scheme *scheme_r,
    const char **start_r, unsigned int *flags)
{
	const char *w;
	size_t length = (size_t)(colon - low), i;
	char word[6];
	bool obfuscated;

	length = MIN(length, sizeof(word));
	w = colon - length;
	for (i = 0; i < length; i++)
		word[i] = (char)string_ascii_lower((unsigned char)w[i]);
	/* Try the longest suffix first: "https" before "http" before "tp". */
	if (length >= 6 && memcmp(word, "mailto", 6) == 0) {
		*scheme_r = SCHEME_MAILTO;
		*start_r = colon - 6;
		return true;
	}
	for (i = length >= 5 ? 5 : length; i >= 3; i--) {
		const char *s = word + length - i;
		bool secure = s[i - 1] == 's';
		size_t letters = secure ? i - 1 : i; /* "http" or "ftp" */

		obfuscated = false;
		if (letters == 4 && s[0] == 'h' && s[3] == 'p' &&
		    (s[1] == 't' || s[1] == 'x' || s[1] == '*') &&
		    (s[2] == 't' || s[2] == 'x' || s[2] == '*'))
			obfuscated = s[1] != 't' || s[2] != 't';
		else if (letters == 3 && !secure && memcmp(s, "ftp", 3) == 0) {
			*scheme_r = SCHEME_FTP;
			*start_r = colon - 3;
			return true;
		} else if (letters == 3 && memcmp(s, "ttp", 3) == 0)
			obfuscated = true;
		else
			continue;
		*scheme_r = secure ? SCHEME_HTTPS : SCHEME_HTTP;
		*start_r = colon - i;
		if (obfuscated)
			*flags |= URI_EXTRACT_OBFUSCATED_SCHEME;
		return true;
	}
	return false;
}

/* After "scheme:": the slashes a URL needs. Returns where the rest
 * starts, or NULL. Anything but exactly "//" counts as obfuscation. */
static const char *
skip_slashes(enum scheme scheme, const char *p, const char *end,
    unsigned int *flags)
{
	const char *q = p;

	if (scheme == SCHEME_MAILTO)
		return p < end ? p : NULL;
	while (q < end && (*q == '/' || *q == '\\'))
		q++;
	if (q == p || q == end)
		return NULL;
	if (q - p != 2 || p[0] != '/' || p[1] != '/')
		*flags |= URI_EXTRACT_OBFUSCATED_SCHEME;
	return q;
}

/* Drops trailing punctuation, and closing brackets but for the ']' of
 * an IPv6 literal, from an authority that ends its token. */
static const char *
trim_authority(const char *p, const char *end)
{
	while (end > p && (char_is((unsigned char)end[-1], CHAR_TRAILING) ||
	    end[-1] == ')' || end[-1] == '}' || (end[-1] == ']' &&
	    memchr(p, '[', (size_t)(end - p)) == NULL)))
		end--;
	return end;
}

/* Parses "local@domain" after "mailto:" in [p, end); the address ends
 * at '?', ',', ';' or anything that is neither in a local part nor in
 * a host name. Returns the end of what was taken (in text, trailing
 * punctuation trimmed), or NULL if there is no address. */
static const char *
parse_mailto(struct uri_extract *extract, const char *raw, const char *p,
    const char *end, unsigned int flags, const struct source *source,
    bool in_text)
{
	const char *address_end = p, *at = NULL;
	size_t host_length;
	bool is_ip;

	for (; address_end < end && *address_end != '?' &&
	    *address_end != ',' && *address_end != ';'; address_end++) {
		if (*address_end == '@')
			at = address_end;
		else if (!char_is((unsigned char)*address_end,
		    CHAR_LOCAL | CHAR_HOST) && (unsigned char)*address_end <
		    0x80)
			break;
	}
	if (in_text && address_end == end)
		end = address_end = trim_authority(p, end);
	if (at == NULL || at == p || at >= address_end)
		return NULL;
	host_length = normalize_host(at + 1, address_end, extract->host,
	    &flags, &is_ip);
	if (host_length == 0)
		return NULL;
	buffer_start(extract);
	buffer_add(extract, "mailto:", 7);
	buffer_add(extract, p, (size_t)(at - p));
	buffer_add(extract, "@", 1);
	buffer_add(extract, extract->host, host_length);
	if (in_text)
		end = MAX(trim_url_end(p, end), address_end);
	add_uri(extract, SCHEME_MAILTO, extract->host, host_length, is_ip,
	    flags, raw, (size_t)(end - raw), source);
	return end;
}

/* Parses the URL whose authority starts at p (after "scheme://"); raw
 * is where it was written to start and [p, end) holds the rest. In
 * text, trailing punctuation is trimmed, but only once the host has
 * been accepted, so that a run of failing candidates costs no more than
 * their authorities. Returns the end of the URL, or NULL if it is not
 * one. */
static const char *
parse_url(struct uri_extract *extract, enum scheme scheme, const char *raw,
    const char *p, const char *end, unsigned int flags,
    const struct source *source, bool in_text)
{
	const char *authority_end, *host, *host_end, *port_start = NULL, *q;
	unsigned int port = 0;
	size_t host_length;
	bool is_ip;

	if (scheme == SCHEME_MAILTO)
		return parse_mailto(extract, raw, p, end, flags, source,
		    in_text);
	for (authority_end = p; authority_end < end &&
	    *authority_end != '/' && *authority_end != '\\' &&
	    *authority_end != '?' && *authority_end != '#'; authority_end++)
		;
	if (in_text && authority_end == end)
		end = authority_end = trim_authority(p, end);
	host = p;
	for (q = p; q < authority_end; q++)
		if (*q == '@')
			host = q + 1;
	if (host != p)
		flags |= URI_EXTRACT_CREDENTIALS;
	host_end = authority_end;
	if (host < authority_end && *host == '[') {
		q = memchr(host, ']', (size_t)(authority_end - host));
		if (q == NULL)
			return NULL;
		host_end = q + 1;
		if (host_end < authority_end) {
			if (*host_end != ':')
				return NULL;
			port_start = host_end + 1;
		}
	} else {
		q = memchr(host, ':', (size_t)(authority_end - host));
		if (q != NULL) {
			host_end = q;
			port_start = q + 1;
		}
	}
	if (port_start != NULL) {
		for (q = port_start; q < authority_end; q++) {
			if (!is_digit((unsigned char)*q) || port > 65535)
				return NULL;
			port = port * 10 + (unsigned int)(*q - '0');
		}
		if (port > 65535)
			return NULL;
	}
	host_length = normalize_host(host, host_end, extract->host, &flags,
	    &is_ip);
	if (host_length == 0)
		return NULL;
	/* "http://http://example.com/": the scheme typed twice. */
	if (port_start == authority_end && (string_view_equal_cstring_case(
	    string_view_make(host, (size_t)(host_end - host)), "http") ||
	    string_view_equal_cstring_case(string_view_make(host,
	    (size_t)(host_end - host)), "https")))
		return NULL;
	if (port != 0 && port != default_ports[scheme])
		flags |= URI_EXTRACT_PORT;
	if (in_text && authority_end < end)
		end = MAX(trim_url_end(p, end), authority_end);
	buffer_authority(extract, scheme, extract->host, host_length, port);
	buffer_path(extract, authority_end, end);
	add_uri(extract, scheme, extract->host, host_length, is_ip, flags,
	    raw, (size_t)(end - raw), source);
	return end;
}

/* Bare host names and e-mail addresses */

/* A bare host name: the host run [p, run_end) inside [.., end) where
 * end is where the URL may extend to. Returns the end of the URL, or
 * NULL if it is not one (see the header for the rules). */
static const char *
parse_bare(struct uri_extract *extract, const char *p, const char *run_end,
    const char *end, const struct source *source, bool in_text)
{
	const char *host_end = run_end, *q, *url_end, *path_start;
	struct string_view tld = { NULL, 0 };
	enum scheme scheme;
	unsigned int port = 0, flags;
	size_t labels = 4, host_length;
	bool is_ip, has_path, www, ftp;

	while (host_end > p && (host_end[-1] == '.' || host_end[-1] == '-' ||
	    host_end[-1] == '_'))
		host_end--;
	/* "wait...example.com": the name starts after the last "..". */
	for (q = p; q + 1 < host_end; q++)
		if (q[0] == '.' && q[1] == '.')
			p = q + 2;
	while (p < host_end && (*p == '.' || *p == '-' || *p == '_'))
		p++;
	if (host_end - p < 3)
		return NULL;
	is_ip = is_dotted_quad(p, (size_t)(host_end - p));
	if (!is_ip && !valid_host_name(p, host_end, &labels, &tld))
		return NULL;
	url_end = host_end;
	if (host_end == run_end && url_end < end && *url_end == ':' &&
	    url_end + 1 < end && is_digit((unsigned char)url_end[1])) {
		for (q = url_end + 1; q < end && is_digit((unsigned char)*q) &&
		    port <= 65535; q++)
			port = port * 10 + (unsigned int)(*q - '0');
		if (port > 0 && port <= 65535 && (q == end || *q == '/' ||
		    *q == '?' || *q == '#' || (in_text &&
		    char_is((unsigned char)*q, CHAR_TRAILING))))
			url_end = q;
		else
			port = 0;
	}
	path_start = url_end;
	has_path = path_start < end && (path_start == run_end || port != 0) &&
	    (*path_start == '/' || *path_start == '?' || *path_start == '#');
	www = string_view_starts_with_case(string_view_make(p,
	    (size_t)(host_end - p)), "www.");
	ftp = string_view_starts_with_case(string_view_make(p,
	    (size_t)(host_end - p)), "ftp.");
	if (is_ip && !has_path && port == 0)
		return NULL;
	if (!is_ip && !www && !ftp) {
		if (!tld_find(tld.data, tld.length))
			return NULL;
		if (labels == 2 && !has_path && port == 0 &&
		    word_listed(tld_file_extensions, tld.data, tld.length))
			return NULL;
	}
	if (has_path)
		url_end = in_text ? trim_url_end(path_start, end) : end;
	scheme = ftp ? SCHEME_FTP : SCHEME_HTTP;
	flags = URI_EXTRACT_BARE;
	if (port != 0 && port != default_ports[scheme])
		flags |= URI_EXTRACT_PORT;
	/* Lowercases; turns "010.1.1.1" (octal) into 8.1.1.1. */
	host_length = normalize_host(p, host_end, extract->host, &flags,
	    &is_ip);
	if (host_length == 0)
		return NULL;
	buffer_authority(extract, scheme, extract->host, host_length, port);
	buffer_path(extract, path_start, url_end);
	add_uri(extract, scheme, extract->host, host_length, is_ip, flags, p,
	    (size_t)(url_end - p), source);
	return url_end;
}

/* An e-mail address around the '@' at at; its local part starts no
 * earlier than low. Returns its end, or NULL. */
static const char *
parse_email(struct uri_extract *extract, const char *low, const char *at,
    const char *end, const struct source *source)
{
	const char *local = at, *domain_end = at + 1;
	struct string_view tld;
	size_t labels, host_length;

	while (local > low && char_is((unsigned char)local[-1], CHAR_LOCAL))
		local--;
	while (local < at && *local == '.')
		local++;
	if (local == at)
		return NULL;
	while (domain_end < end && char_is((unsigned char)*domain_end,
	    CHAR_HOST))
		domain_end++;
	while (domain_end > at + 1 && (domain_end[-1] == '.' ||
	    domain_end[-1] == '-'))
		domain_end--;
	if (!valid_host_name(at + 1, domain_end, &labels, &tld) ||
	    !tld_find(tld.data, tld.length))
		return NULL;
	host_length = lower_host(extract, at + 1, domain_end);
	buffer_start(extract);
	buffer_add(extract, "mailto:", 7);
	buffer_add(extract, local, (size_t)(at - local));
	buffer_add(extract, "@", 1);
	buffer_add(extract, extract->host, host_length);
	add_uri(extract, SCHEME_MAILTO, extract->host, host_length, false,
	    URI_EXTRACT_EMAIL, local, (size_t)(domain_end - local), source);
	return domain_end;
}

/* Finds bare host names and e-mail addresses in [p, end), a piece of a
 * token with no scheme in it. */
static void
scan_plain(struct uri_extract *extract, const char *p, const char *end,
    const struct source *source)
{
	const char *low = p, *start, *run_end, *next;

	while (p < end) {
		while (p < end && *p != '.' && *p != '@')
			p++;
		if (p == end)
			break;
		if (*p == '@') {
			next = parse_email(extract, low, p, end, source);
			if (next != NULL)
				p = low = next;
			else
				p++;
			continue;
		}
		for (start = p; start > low &&
		    char_is((unsigned char)start[-1], CHAR_HOST); start--)
			;
		for (run_end = p; run_end < end &&
		    char_is((unsigned char)*run_end, CHAR_HOST); run_end++)
			;
		if (run_end < end && *run_end == '@') {
			/* The local part of an address: handle it there. */
			p = run_end;
			continue;
		}
		next = parse_bare(extract, start, run_end, end, source, true);
		if (next != NULL)
			p = low = next;
		else
			p = run_end;
	}
}

/* Finds the first scheme URL in [p, end). Sets where its scheme word
 * starts and where the part after "scheme://" starts. */
static bool
find_scheme(const char *p, const char *end, enum scheme *scheme_r,
    const char **start_r, const char **rest_r, unsigned int *flags)
{
	const char *q = p, *colon, *word;

	while ((colon = memchr(q, ':', (size_t)(end - q))) != NULL) {
		/* No scheme word is longer than "mailto". */
		for (word = colon; word > p && colon - word < 6 &&
		    char_is((unsigned char)word[-1], CHAR_SCHEME); word--)
			;
		*flags = 0;
		if (match_scheme(word, colon, scheme_r, start_r, flags)) {
			*rest_r = skip_slashes(*scheme_r, colon + 1, end,
			    flags);
			if (*rest_r != NULL)
				return true;
		}
		q = colon + 1;
	}
	return false;
}

static void
scan_token(struct uri_extract *extract, const char *p, const char *end,
    const struct source *source)
{
	const char *start, *rest, *next;
	enum scheme scheme;
	unsigned int flags;

	while (p < end) {
		if (!find_scheme(p, end, &scheme, &start, &rest, &flags)) {
			scan_plain(extract, p, end, source);
			return;
		}
		scan_plain(extract, p, start, source);
		next = parse_url(extract, scheme, start, rest, end, flags,
		    source, true);
		p = next != NULL ? next : rest;
	}
}

/* Bytes of the token separator at p, or 0: ASCII white space and
 * controls, '<', '>', '"', U+00A0 and U+3000-U+303F (CJK spaces and
 * punctuation). */
static inline size_t
separator_length(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;

	if (char_classes[c] & CHAR_SEPARATOR)
		return 1;
	if (!(char_classes[c] & CHAR_MAYBE_SEPARATOR) || end - p < 2)
		return 0;
	if (c == 0xc2)
		return (unsigned char)p[1] == 0xa0 ? 2 : 0;
	return end - p >= 3 && (unsigned char)p[1] == 0x80 &&
	    (unsigned char)p[2] >= 0x80 && (unsigned char)p[2] <= 0xbf ? 3 : 0;
}

static const char *
skip_blanks(const char *p, const char *end, size_t max)
{
	while (max-- > 0 && p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* "h t t p s : / /" at p (the "h" alone in its token): letters spaced
 * out by up to three blanks each. Returns where the authority starts
 * and sets the scheme, or NULL. */
static const char *
match_spaced_scheme(const char *p, const char *end, enum scheme *scheme_r)
{
	static const char letters[] = "ttp";
	const char *q = p + 1;
	size_t i;

	for (i = 0; i < 3; i++) {
		q = skip_blanks(q, end, 3);
		if (q == end || (*q | 0x20) != letters[i])
			return NULL;
		q++;
	}
	q = skip_blanks(q, end, 3);
	*scheme_r = SCHEME_HTTP;
	if (q < end && (*q | 0x20) == 's') {
		*scheme_r = SCHEME_HTTPS;
		q = skip_blanks(q + 1, end, 3);
	}
	if (q == end || *q != ':')
		return NULL;
	for (i = 0; i < 2; i++) {
		q = skip_blanks(q + 1, end, 3);
		if (q == end || *q != '/')
			return NULL;
	}
	q = skip_blanks(q + 1, end, 3);
	return q < end ? q : NULL;
}

void
uri_extract_text(struct uri_extract *extract, const char *text,
    size_t length)
{
	static const struct source source = { NULL, NULL,
		URI_EXTRACT_FROM_TEXT };
	const char *p = text, *end = text + length, *start, *rest;
	enum scheme scheme;
	size_t n;

	while (p < end) {
		n = separator_length(p, end);
		if (n > 0) {
			p += n;
			continue;
		}
		start = p;
		while (p < end) {
			if (!(char_classes[(unsigned char)*p] &
			    (CHAR_SEPARATOR | CHAR_MAYBE_SEPARATOR))) {
				p++;
				continue;
			}
			if (separator_length(p, end) > 0)
				break;
			p++;
		}
		if (p - start == 1 && (*start | 0x20) == 'h' &&
		    (rest = match_spaced_scheme(start, end, &scheme)) != NULL) {
			for (p = rest; p < end && separator_length(p, end) == 0;
			    p++)
				;
			if (parse_url(extract, scheme, start, rest, p,
			    URI_EXTRACT_OBFUSCATED_SCHEME, &source, true) ==
			    NULL)
				p = rest;
			continue;
		}
		scan_token(extract, start, p, &source);
	}
}

/* HTML attributes */

/* Copies [p, end) to out without control characters and surrounding
 * white space, at most max bytes; returns the length. */
static size_t
clean_value(const char *p, const char *end, char *out, size_t max,
    bool *truncated_r)
{
	size_t length = 0;

	while (p < end && (unsigned char)*p <= ' ')
		p++;
	while (end > p && (unsigned char)end[-1] <= ' ')
		end--;
	for (; p < end; p++) {
		/* Browsers drop tabs and line ends; other controls (NUL)
		 * would cut the C strings we return, so they go too. */
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			continue;
		if (length == max) {
			*truncated_r = true;
			break;
		}
		out[length++] = *p;
	}
	return length;
}

/* Resolves the relative value v (not empty, at most max_uri_length
 * bytes) against base into out (2 * max_uri_length + 2 bytes). Returns
 * the joined length, or 0 when base is no absolute http, https or ftp
 * URL. */
static size_t
join_base(struct uri_extract *extract, struct string_view base,
    struct string_view v, char *out)
{
	const char *p = out, *end, *rest, *authority_end, *cut, *q;
	enum scheme scheme;
	unsigned int flags = 0;
	size_t length;
	bool truncated = false;

	length = clean_value(base.data, base.data + base.length, out,
	    extract->limits.max_uri_length, &truncated);
	end = out + length;
	for (q = p; q < end && is_alpha((unsigned char)*q); q++)
		;
	if (q == end || *q != ':' || !match_scheme(p, q, &scheme, &rest,
	    &flags) || rest != p || scheme == SCHEME_MAILTO || (flags &
	    URI_EXTRACT_OBFUSCATED_SCHEME))
		return 0;
	rest = skip_slashes(scheme, q + 1, end, &flags);
	if (rest == NULL)
		return 0;
	for (authority_end = rest; authority_end < end &&
	    *authority_end != '/' && *authority_end != '?' &&
	    *authority_end != '#'; authority_end++)
		;
	if (v.data[0] == '/')
		cut = authority_end;
	else if (v.data[0] == '?' || v.data[0] == '#') {
		for (cut = authority_end; cut < end && *cut != '#' &&
		    (v.data[0] == '#' || *cut != '?'); cut++)
			;
	} else {
		/* Up to the last '/' of the path. */
		for (q = cut = authority_end; q < end && *q != '?' &&
		    *q != '#'; q++)
			if (*q == '/')
				cut = q + 1;
	}
	length = (size_t)(cut - p);
	if (v.data[0] != '/' && v.data[0] != '?' && v.data[0] != '#' &&
	    cut == authority_end)
		out[length++] = '/';
	memcpy(out + length, v.data, v.length);
	return length + v.length;
}

/* Parses an absolute URL value [p, end) that starts with a scheme
 * word; returns false if it has none (any scheme, even one we ignore,
 * returns true). */
static bool
parse_absolute(struct uri_extract *extract, const char *p, const char *end,
    const struct source *source)
{
	const char *q, *start, *rest;
	enum scheme scheme;
	unsigned int flags = 0;

	for (q = p; q < end && char_is((unsigned char)*q, CHAR_SCHEME); q++)
		;
	if (q == end || *q != ':' || q == p)
		return false;
	if (match_scheme(p, q, &scheme, &start, &flags) && start == p) {
		rest = skip_slashes(scheme, q + 1, end, &flags);
		if (rest != NULL)
			parse_url(extract, scheme, p, rest, end, flags, source,
			    false);
	}
	return true;
}

void
uri_extract_attribute(struct uri_extract *extract, const char *tag,
    const char *attribute, struct string_view value,
    struct string_view base)
{
	struct source source = { tag, attribute, URI_EXTRACT_FROM_HTML };
	char *clean = extract->value;
	char *joined = extract->value + extract->limits.max_uri_length + 1;
	const char *p = value.data, *end = value.data + value.length, *q;
	const char *rest;
	size_t length, max = extract->limits.max_uri_length;
	enum scheme scheme = SCHEME_HTTP;
	unsigned int flags = 0;
	bool truncated = false;

	length = clean_value(p, end, clean, max, &truncated);
	if (truncated)
		source.flags |= URI_EXTRACT_TRUNCATED;
	if (length == 0)
		return;
	p = clean;
	end = clean + length;
	if (parse_absolute(extract, p, end, &source))
		return;
	if (length >= 2 && (p[0] == '/' || p[0] == '\\') &&
	    (p[1] == '/' || p[1] == '\\')) {
		/* "//host/path": the base's scheme, or http. */
		base = string_view_trim(base);
		if (string_view_starts_with_case(base, "https:"))
			scheme = SCHEME_HTTPS;
		else if (string_view_starts_with_case(base, "ftp:"))
			scheme = SCHEME_FTP;
		rest = skip_slashes(scheme, p, end, &flags);
		if (rest != NULL)
			parse_url(extract, scheme, p, rest, end, flags,
			    &source, false);
		return;
	}
	if (base.length > 0) {
		length = join_base(extract, base, string_view_make(p, length),
		    joined);
		if (length > 0) {
			source.flags |= URI_EXTRACT_RELATIVE;
			parse_absolute(extract, joined, joined + length,
			    &source);
			return;
		}
	}
	/* A value that starts with a host name: "www.example.com/x". */
	for (q = p; q < end && char_is((unsigned char)*q, CHAR_HOST); q++)
		;
	if (q > p && memchr(p, '.', (size_t)(q - p)) != NULL &&
	    (q == end || *q == '/' || *q == '?' || *q == '#' || *q == ':'))
		parse_bare(extract, p, q, end, &source, false);
}

void
uri_extract_html(struct uri_extract *extract, const struct html_text *html)
{
	const struct html_text_uri *uri;
	size_t i;

	for (i = 0; i < html->uri_count; i++) {
		uri = &html->uris[i];
		uri_extract_attribute(extract, uri->tag, uri->attribute,
		    uri->value, html->base_href);
	}
	uri_extract_text(extract, html->text.data, html->text.length);
}
