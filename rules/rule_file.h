/* rule_file.h: reader for SpamAssassin configuration (.cf) files: the
 * directives as data, each with its file and line, and the rules they
 * define merged by name.
 *
 * File format (Mail::SpamAssassin::Conf): one directive per line, no
 * continuation lines; '#' starts a comment unless written "\#" (which
 * becomes '#'); leading and trailing white space is ignored; keywords
 * are case-insensitive and '-' in them reads as '_'. "lang xx ..." lines
 * apply only when the configured language starts with xx
 * (case-insensitively; other lines are skipped silently).
 *
 * Preprocessor: "include FILE" (relative to the including file's
 * directory, with a depth limit and a cycle check); "if EXPR",
 * "ifplugin NAME" (same as "if plugin(NAME)"), "else", "endif" (nested,
 * per file: an unclosed block is reported at the end of its file and
 * closed there); "require_version V" (the rest of the file is skipped
 * unless V is "@@VERSION@@" or equals the configured version). Inside a
 * skipped block include and require_version do nothing. EXPR may use
 * numbers, "version" (options.version), "perl_version" (5.036),
 * "local_tests_only", plugin(NAME) (true for options.plugins),
 * can(NAME) and has(NAME) (true for options.features, so any feature
 * not listed is false), "!", "&&", "||", comparisons (< <= > >= == !=),
 * + - * / and parentheses; anything else makes the line a diagnostic
 * and the condition false. "loadplugin" and "tryplugin" are accepted
 * and ignored: which plugins count as loaded is the caller's set.
 *
 * Directives understood: header body rawbody full uri meta score
 * describe tflags priority action (sluice's own: "action NAME
 * reject|quarantine|discard [reply text]"), required_score (and
 * required_hits), add_header, rewrite_header, report_safe,
 * welcomelist_from / whitelist_from, blocklist_from / blacklist_from,
 * their un* forms, trusted_networks, internal_networks and their clear_*
 * forms, enlist_addrlist, enlist_uri_host and delist_uri_host (with
 * blocklist_uri_host and welcomelist_uri_host), welcomelist_subject
 * and blocklist_subject, ok_locales, and the FreeMail plugin's
 * freemail_domains and freemail_welcomelist / freemail_whitelist.
 * Anything else is skipped with a diagnostic "FILE:LINE: unknown
 * directive 'X' (skipped)"; a known directive with bad arguments is
 * skipped with a diagnostic saying why. Nothing in a file's content is
 * fatal: the caller decides what to do with the diagnostics.
 *
 * Rules (SpamAssassin semantics): a later header/body/rawbody/full/uri/
 * meta line for a name replaces the earlier definition (even with
 * another type); score, describe, tflags, priority and action are kept
 * per name whether they come before or after the definition, the last
 * one winning; attributes of a name that is never defined are dropped
 * from rule_file_rules(). Regexes are kept as source text here;
 * rules/rule_regex compiles them.
 *
 * Input is pushed: rule_file_begin(), rule_file_feed() any number of
 * times with chunks split anywhere, rule_file_end(); rule_file_load()
 * and rule_file_load_directory() do that from disk. Included files are
 * read from disk during the feed. Several files may be read one after
 * the other into the same struct rule_file (as SpamAssassin reads a
 * directory): rules and settings accumulate.
 *
 * Lifetime: everything returned (directives, rules, strings, settings,
 * diagnostics) lives in the rule_file's arena and is valid until
 * rule_file_free(). Arrays returned by the accessors are valid until
 * the next feed. Not thread-safe: one thread uses a rule_file at a time;
 * the results may be shared read-only once reading is finished. */
#ifndef SLUICE_RULE_FILE_H
#define SLUICE_RULE_FILE_H

#include "lib/common.h"

/* SpamAssassin's own limit: [_a-zA-Z][_a-zA-Z0-9]{0,127}. */
#define RULE_FILE_NAME_MAX 128

struct string_set;

/* Defaults for struct rule_file_limits (0 selects them). */
#define RULE_FILE_DEFAULT_LINE_MAX 65536
#define RULE_FILE_DEFAULT_FILE_MAX (64 * 1024 * 1024)
#define RULE_FILE_DEFAULT_INCLUDE_DEPTH_MAX 16
#define RULE_FILE_DEFAULT_NESTING_MAX 64
#define RULE_FILE_DEFAULT_DIRECTIVES_MAX 1000000
#define RULE_FILE_DEFAULT_DIAGNOSTICS_MAX 10000
/* What "version" is in "if" expressions: SpamAssassin 4.0.1 in its
 * x.yyyzzz notation, the rule set sluice follows. */
#define RULE_FILE_DEFAULT_VERSION 4.000001
#define RULE_FILE_DEFAULT_LANGUAGE "en_US"

struct rule_file_limits {
	/* Longest line in bytes, counting its LF; a longer line is skipped
	 * with a diagnostic. */
	size_t line_max;
	/* Largest file read from disk (include, load); a larger one is
	 * not read (diagnostic, or -1 from rule_file_load). */
	size_t file_max;
	/* Include nesting below the file being read. */
	unsigned include_depth_max;
	/* if/ifplugin nesting within one file. */
	unsigned nesting_max;
	/* Directives kept in total; later ones are dropped, with one
	 * diagnostic. */
	size_t directives_max;
	/* Diagnostics kept; later ones are only counted. */
	size_t diagnostics_max;
};

struct rule_file_options {
	struct rule_file_limits limits;
	/* "version" in "if" expressions and the value require_version
	 * must equal; 0: RULE_FILE_DEFAULT_VERSION. */
	double version;
	/* Locale for "lang xx" lines (NULL: RULE_FILE_DEFAULT_LANGUAGE). */
	const char *language;
	/* Plugins that count as loaded for "ifplugin NAME" and
	 * "plugin(NAME)", full Perl names
	 * ("Mail::SpamAssassin::Plugin::DKIM"). Copied. */
	const char *const *plugins;
	size_t plugin_count;
	/* Functions for which "can(NAME)" and "has(NAME)" are true
	 * ("Mail::SpamAssassin::Conf::feature_capture_rules"); any other
	 * name is false. Copied. */
	const char *const *features;
	size_t feature_count;
	/* Value of "local_tests_only" in "if" expressions. */
	bool local_tests_only;
};

enum rule_file_directive_kind {
	/* header, body, rawbody, full, uri, meta */
	RULE_FILE_DIRECTIVE_TEST,
	RULE_FILE_DIRECTIVE_SCORE,
	RULE_FILE_DIRECTIVE_DESCRIBE,
	RULE_FILE_DIRECTIVE_TFLAGS,
	RULE_FILE_DIRECTIVE_PRIORITY,
	RULE_FILE_DIRECTIVE_ACTION,
	RULE_FILE_DIRECTIVE_REQUIRED_SCORE, /* also required_hits */
	RULE_FILE_DIRECTIVE_ADD_HEADER,
	RULE_FILE_DIRECTIVE_REWRITE_HEADER,
	RULE_FILE_DIRECTIVE_REPORT_SAFE,
	RULE_FILE_DIRECTIVE_ADDRESS_LIST,   /* (un)welcomelist_from etc. */
	RULE_FILE_DIRECTIVE_NETWORKS,       /* trusted/internal_networks */
	RULE_FILE_DIRECTIVE_OK_LOCALES,     /* ok_locales */
	RULE_FILE_DIRECTIVE_URI_HOSTS,      /* enlist_uri_host etc. */
};

enum rule_file_test_type {
	RULE_FILE_TEST_HEADER,
	RULE_FILE_TEST_BODY,
	RULE_FILE_TEST_RAWBODY,
	RULE_FILE_TEST_FULL,
	RULE_FILE_TEST_URI,
	RULE_FILE_TEST_META,
};

enum rule_file_test_form {
	RULE_FILE_FORM_REGEX,  /* pattern */
	RULE_FILE_FORM_EVAL,   /* eval:function(arguments) */
	RULE_FILE_FORM_EXISTS, /* header only: exists:Name */
	RULE_FILE_FORM_META,   /* meta only: expression */
};

/* Modifiers after a header name ("From:addr", "ALL:raw"). */
enum rule_file_header_modifier {
	RULE_FILE_HEADER_RAW = 1 << 0,
	RULE_FILE_HEADER_ADDR = 1 << 1,
	RULE_FILE_HEADER_NAME = 1 << 2,
	RULE_FILE_HEADER_HOST = 1 << 3,
	RULE_FILE_HEADER_DOMAIN = 1 << 4,
	RULE_FILE_HEADER_IP = 1 << 5,
	RULE_FILE_HEADER_REVIP = 1 << 6,
	RULE_FILE_HEADER_FIRST = 1 << 7,
	RULE_FILE_HEADER_LAST = 1 << 8,
};

struct rule_file_test {
	enum rule_file_test_type type;
	enum rule_file_test_form form;
	/* REGEX: the regex source with delimiters and flags as written
	 * ("/foo/i", "m{^x}"), for rule_regex_compile(); else NULL. */
	const char *pattern;
	/* HEADER with REGEX or EXISTS: the header field or pseudo-header
	 * as written, modifiers removed ("Subject", "ALL", "ALL-EXTERNAL",
	 * "ToCc", "EnvelopeFrom", "MESSAGEID", "X-Spam-Relays-External");
	 * else NULL. Real header names compare case-insensitively;
	 * all-capital pseudo-headers are case-sensitive. */
	const char *header;
	unsigned header_modifiers; /* enum rule_file_header_modifier bits */
	/* HEADER REGEX written with "!~": the rule hits when the regex
	 * does not match. */
	bool negated;
	/* HEADER REGEX: the "[if-unset: STRING]" text, or NULL. */
	const char *if_unset;
	/* EVAL: the function name ("check_rbl") and the text between its
	 * outer parentheses as written ("'set', 'zone'"; "" for none). */
	const char *eval_function;
	const char *eval_arguments;
	/* META: the expression text, as written. */
	const char *expression;
};

/* A score line: four score sets (one given score fills all four). With
 * relative ("(3)" syntax) the values are added to the previous score,
 * already applied in struct rule_file_rule. */
struct rule_file_score {
	double scores[4];
	bool relative;
};

enum rule_file_tflag {
	RULE_FILE_TFLAG_NICE = 1 << 0,
	RULE_FILE_TFLAG_MULTIPLE = 1 << 1,
	RULE_FILE_TFLAG_NET = 1 << 2,
	RULE_FILE_TFLAG_LEARN = 1 << 3,
	RULE_FILE_TFLAG_NOAUTOLEARN = 1 << 4,
	RULE_FILE_TFLAG_USERCONF = 1 << 5,
	RULE_FILE_TFLAG_AUTOLEARN_FORCE = 1 << 6,
	RULE_FILE_TFLAG_NOSUBJECT = 1 << 7,
};

struct rule_file_tflags {
	unsigned flags;    /* enum rule_file_tflag bits */
	unsigned maxhits;  /* "maxhits=N"; 0 when absent */
	/* Every other word, as written ("nolog", "ips_only", "a", ...). */
	const char *const *others;
	size_t other_count;
};

enum rule_file_action_kind {
	RULE_FILE_ACTION_NONE,
	RULE_FILE_ACTION_REJECT,
	RULE_FILE_ACTION_QUARANTINE,
	RULE_FILE_ACTION_DISCARD,
};

struct rule_file_action {
	enum rule_file_action_kind kind;
	const char *reply; /* the optional reply text, or NULL */
};

enum rule_file_header_when {
	RULE_FILE_WHEN_SPAM,
	RULE_FILE_WHEN_HAM,
	RULE_FILE_WHEN_ALL,
};

/* add_header { spam | ham | all } NAME STRING: NAME without the
 * "X-Spam-" prefix SpamAssassin adds; STRING may be empty and keeps
 * template tags (_SCORE_) as written. */
struct rule_file_add_header {
	enum rule_file_header_when when;
	const char *name;
	const char *value;
};

enum rule_file_rewrite_field {
	RULE_FILE_REWRITE_SUBJECT,
	RULE_FILE_REWRITE_FROM,
	RULE_FILE_REWRITE_TO,
};

struct rule_file_rewrite_header {
	enum rule_file_rewrite_field field;
	const char *text;
};

enum rule_file_address_list_kind {
	RULE_FILE_LIST_WELCOMELIST_FROM, /* welcomelist_from, whitelist_from */
	RULE_FILE_LIST_BLOCKLIST_FROM,   /* blocklist_from, blacklist_from */
	/* FreeMail plugin: freemail_domains (domains, '*' and '?' allowed,
	 * lowercased; words with other characters are dropped with a
	 * diagnostic) and freemail_welcomelist / freemail_whitelist
	 * (addresses or domains without wildcards, lowercased; each needs
	 * a word character, '.' or '@', and a word character). */
	RULE_FILE_LIST_FREEMAIL_DOMAINS,
	RULE_FILE_LIST_FREEMAIL_WELCOMELIST,
	/* "enlist_addrlist (NAME) addr ...": a named list for WLBLEval's
	 * check_from_in_list(NAME); addresses lowercased. The names
	 * welcomelist_from and blocklist_from mean those lists. Also
	 * welcomelist_subject / whitelist_subject and blocklist_subject /
	 * blacklist_subject (WelcomeListSubject), whose whole value is one
	 * pattern, in the lists named welcomelist_subject and
	 * blocklist_subject. */
	RULE_FILE_LIST_NAMED,
};

/* One list line; addresses are file-glob patterns (* and ?) as
 * written, matched case-insensitively. */
struct rule_file_address_list {
	enum rule_file_address_list_kind list;
	bool remove; /* the un* form */
	const char *const *addresses;
	size_t address_count;
	const char *name; /* RULE_FILE_LIST_NAMED: the list's name */
};

/* enlist_uri_host (NAME) [!]host ..., delist_uri_host [(NAME)] host
 * ..., and the shorthands blocklist_uri_host / blacklist_uri_host (list
 * BLOCK) and welcomelist_uri_host / whitelist_uri_host (list WELCOME).
 * Hosts as written, lowercased, '!' kept. */
struct rule_file_uri_host_line {
	const char *name;	/* NULL: delist from every list */
	bool remove;		/* delist_uri_host */
	const char *const *hosts;
	size_t host_count;
};

/* One entry of a URI host list: a host or domain (or IP address) and
 * whether it lists ("!" in front: it excludes). */
struct rule_file_uri_host {
	const char *host;
	bool listed;
};

/* A named URI host list as the settings hold it: each host once, the
 * last line for it winning. */
struct rule_file_uri_host_list {
	const char *name;
	const struct rule_file_uri_host *hosts;
	size_t host_count;
};

/* A named address list (enlist_addrlist) as the settings hold it. */
struct rule_file_named_list {
	const char *name;
	const char *const *addresses; /* lowercased, each once */
	size_t address_count;
};

enum rule_file_networks_kind {
	RULE_FILE_NETWORKS_TRUSTED,
	RULE_FILE_NETWORKS_INTERNAL,
};

/* trusted_networks / internal_networks: entries as written
 * ("192.0.2.0/24", "!192.0.2.7", "2001:db8::/32"), not validated here;
 * clear is the clear_* form, which has no entries. */
struct rule_file_networks {
	enum rule_file_networks_kind networks;
	bool clear;
	const char *const *entries;
	size_t entry_count;
};

struct rule_file_directive {
	enum rule_file_directive_kind kind;
	/* Where: the file's name as given to rule_file_begin() or as
	 * resolved for an include, and the 1-based line. */
	const char *file;
	unsigned line;
	/* The keyword as SpamAssassin normalises it (lowercase, '-' as
	 * '_'): "header", "whitelist_from", "required_hits". */
	const char *keyword;
	/* TEST, SCORE, DESCRIBE, TFLAGS, PRIORITY, ACTION: the rule name;
	 * else NULL. */
	const char *rule_name;
	/* The member named after kind (anonymous union, C11);
	 * report_safe is 0, 1 or 2. */
	union {
		struct rule_file_test test;
		struct rule_file_score score;
		const char *description;
		struct rule_file_tflags tflags;
		int priority;
		struct rule_file_action action;
		double required_score;
		struct rule_file_add_header add_header;
		struct rule_file_rewrite_header rewrite_header;
		int report_safe;
		struct rule_file_address_list address_list;
		struct rule_file_networks networks;
		const char *ok_locales; /* the value as written */
		struct rule_file_uri_host_line uri_hosts;
	};
};

/* A rule as the last definitions left it. */
struct rule_file_rule {
	const char *name;
	/* The test line in force (kind RULE_FILE_DIRECTIVE_TEST). */
	const struct rule_file_directive *definition;
	/* Explicit scores when score_set; see rule_file_rule_score() for
	 * the score that applies. */
	bool score_set;
	double scores[4];
	const char *description;      /* NULL when none */
	struct rule_file_tflags tflags; /* flags 0 when none */
	int priority;                 /* 0 unless set */
	struct rule_file_action action; /* kind NONE unless set */
};

enum rule_file_diagnostic_kind {
	/* A keyword this reader does not know; the line was skipped. */
	RULE_FILE_DIAGNOSTIC_UNKNOWN,
	/* A known directive with bad arguments; the line was skipped. */
	RULE_FILE_DIAGNOSTIC_INVALID,
	/* File structure: include failures, if/else/endif problems,
	 * overlong lines, NUL bytes, limits reached. */
	RULE_FILE_DIAGNOSTIC_STRUCTURE,
};

struct rule_file_diagnostic {
	enum rule_file_diagnostic_kind kind;
	const char *file;
	unsigned line;   /* 0 when about the file as a whole */
	/* "FILE:LINE: text", e.g. "a.cf:7: unknown directive 'foo'
	 * (skipped)". File text in it is made printable and truncated. */
	const char *message;
	/* The same text without its "FILE:LINE: " prefix, so a problem can
	 * be recognised after lines above it moved. */
	const char *text;
};

struct rule_file;

/* Creates an empty reader; options may be NULL (defaults, no plugins,
 * no features). Never fails. */
struct rule_file *rule_file_new(const struct rule_file_options *options);

/* Frees the reader and everything it returned; sets *rule_file_p to
 * NULL (NULL *rule_file_p: no-op). */
void rule_file_free(struct rule_file **rule_file_p);

/* Starts reading a file called name (used in directives and
 * diagnostics, and as the base for relative includes; it need not exist
 * on disk). Must not be called while another file is open. */
void rule_file_begin(struct rule_file *rule_file, const char *name);

/* Reads the next length bytes of the open file; chunks may split lines
 * anywhere. Included files are read (from disk) when their include line
 * is complete. Returns 0; -1 only for misuse (no open file), with
 * *error_r. */
int rule_file_feed(struct rule_file *rule_file, const void *data,
    size_t length, const char **error_r);

/* Ends the open file: a last line without LF counts, and unclosed
 * if/ifplugin blocks are reported and closed. Returns 0; -1 only for
 * misuse (no open file). */
int rule_file_end(struct rule_file *rule_file, const char **error_r);

/* Reads the file at path (begin, feed in blocks, end). Returns 0, or -1
 * with *error_r when a file begun with rule_file_begin() is still
 * open, when path cannot be opened, is not a regular file or is larger than
 * limits.file_max (nothing is read then), or on a read error (what was
 * read before it is kept). Problems inside the file, includes among
 * them, are diagnostics, not failures. */
int rule_file_load(struct rule_file *rule_file, const char *path,
    const char **error_r);

/* Reads every "*.cf" regular file in directory path, in byte order of
 * their names, as SpamAssassin reads its rules directories. Returns 0,
 * or -1 with *error_r when the directory cannot be read or a file fails
 * as in rule_file_load (the files before it are kept). */
int rule_file_load_directory(struct rule_file *rule_file, const char *path,
    const char **error_r);

/* Every directive read, in file order (includes inline). */
const struct rule_file_directive *const *rule_file_directives(
    const struct rule_file *rule_file, size_t *count_r);

/* Every defined rule, in order of first definition. */
const struct rule_file_rule *const *rule_file_rules(
    const struct rule_file *rule_file, size_t *count_r);

/* The defined rule called name (case-sensitive), or NULL. */
const struct rule_file_rule *rule_file_rule_find(
    const struct rule_file *rule_file, const char *name);

/* The score that applies to rule in score set 0..3 (SpamAssassin: set
 * 0 no Bayes, no network tests; 1 network; 2 Bayes; 3 both). Explicit
 * scores win; otherwise 1.0, or 0.01 for names starting "T_" (rules in
 * testing), negated when tflags has nice. Names starting "__" are
 * sub-rules for meta rules: they never count towards a message's score,
 * and return 0 unless a score was set (an explicit 0 disables any rule,
 * sub-rules included). */
double rule_file_rule_score(const struct rule_file_rule *rule,
    unsigned score_set);

/* ReplaceTags: reusable regex fragments substituted into the patterns of
 * the rules named by replace_rules, before they compile. */
enum rule_file_replace_kind {
	RULE_FILE_REPLACE_TAG,   /* replace_tag NAME VALUE: <NAME> */
	RULE_FILE_REPLACE_PRE,   /* replace_pre: put before every tag */
	RULE_FILE_REPLACE_POST,  /* replace_post: put after every tag */
	RULE_FILE_REPLACE_INTER, /* replace_inter: put between two tags */
};

struct rule_file_replace_tag {
	enum rule_file_replace_kind kind;
	const char *name;
	const char *value;
};

/* Settings merged in file order. Defaults: required_score 5.0,
 * report_safe 1, no headers, no rewrites, empty lists, ok_locales
 * "all". */
struct rule_file_settings {
	double required_score;
	int report_safe;
	/* add_header lines; a later line for the same when and name
	 * (case-insensitive) replaces the earlier one. */
	const struct rule_file_add_header *const *add_headers;
	size_t add_header_count;
	/* rewrite_header texts, NULL when not set. */
	const char *rewrite_subject;
	const char *rewrite_from;
	const char *rewrite_to;
	/* Address patterns after removals (un*), each once
	 * (case-insensitive), in order of addition. */
	const char *const *welcomelist_from;
	size_t welcomelist_from_count;
	const char *const *blocklist_from;
	size_t blocklist_from_count;
	/* Network entries after clear_* lines, in order. */
	const char *const *trusted_networks;
	size_t trusted_network_count;
	const char *const *internal_networks;
	size_t internal_network_count;
	/* ReplaceTags definitions in file order (the last one for a kind
	 * and name wins), the rules to apply them to, and the tag
	 * delimiters (replace_start/replace_end, default "<" and ">"). */
	const struct rule_file_replace_tag *const *replace_tags;
	size_t replace_tag_count;
	const char *const *replace_rules;
	size_t replace_rule_count;
	const char *replace_start;
	const char *replace_end;
	/* freemail_domains and freemail_welcomelist entries, each once,
	 * lowercased, in order of addition (FreeMail is off without
	 * domains). */
	const char *const *freemail_domains;
	size_t freemail_domain_count;
	const char *const *freemail_welcomelist;
	size_t freemail_welcomelist_count;
	/* The same two lists as sets (NULL when empty), for lookups, and
	 * the domain entries that hold a wildcard ('*' or '?'). */
	const struct string_set *freemail_domain_set;
	const struct string_set *freemail_welcome_set;
	const char *const *freemail_wildcards;
	size_t freemail_wildcard_count;
	/* enlist_addrlist lists in order of first use; find one with
	 * rule_file_settings_address_list(). */
	const struct rule_file_named_list *const *address_lists;
	size_t address_list_count;
	/* ok_locales: the last line's value, "all" by default. */
	const char *ok_locales;
	/* URI host lists in order of first use (check_uri_host_listed). */
	const struct rule_file_uri_host_list *const *uri_host_lists;
	size_t uri_host_list_count;
};

/* The URI host list called name (case-sensitive), or NULL. */
const struct rule_file_uri_host_list *rule_file_settings_uri_host_list(
    const struct rule_file_settings *settings, const char *name);

/* The enlist_addrlist list called name (case-sensitive), or NULL. */
const struct rule_file_named_list *rule_file_settings_address_list(
    const struct rule_file_settings *settings, const char *name);

/* The merged settings (valid until the next feed or the free). */
const struct rule_file_settings *rule_file_settings(
    const struct rule_file *rule_file);

/* Diagnostics kept, in order, and how many there were in all (more
 * than kept once limits.diagnostics_max is reached). */
const struct rule_file_diagnostic *const *rule_file_diagnostics(
    const struct rule_file *rule_file, size_t *count_r);
size_t rule_file_diagnostic_total(const struct rule_file *rule_file);

#endif
