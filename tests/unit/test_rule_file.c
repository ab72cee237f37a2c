/* test_rule_file.c: unit tests for rules/rule_file: every directive
 * form, comments, lang, the if/ifplugin/else/endif preprocessor and its
 * expressions, includes (relative, nested, cycles, depth), rule merging
 * and default scores, settings, limits and file:line in diagnostics.
 * Table cases run in all three trickle modes. */
#include "lib/buffer.h"
#include "rules/rule_file.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

#include <sys/stat.h>

/* Dumps a rule_file's directives and diagnostics, one per line, in a
 * compact form the cases below spell out. */

static const char *const test_type_names[] = {
	"header", "body", "rawbody", "full", "uri", "meta",
};

static void
dump_test(struct buffer *out, const struct rule_file_test *test)
{
	static const char *const modifiers[] = {
		"raw", "addr", "name", "host", "domain", "ip", "revip",
		"first", "last",
	};
	size_t i;

	ASSERT(buffer_printf(out, " %s", test_type_names[test->type]) == 0);
	switch (test->form) {
	case RULE_FILE_FORM_REGEX:
		if (test->header != NULL) {
			ASSERT(buffer_printf(out, " %s", test->header) == 0);
			for (i = 0; i < ARRAY_LENGTH(modifiers); i++) {
				if ((test->header_modifiers & 1u << i) != 0)
					ASSERT(buffer_printf(out, ":%s",
					    modifiers[i]) == 0);
			}
			ASSERT(buffer_printf(out, " %s",
			    test->negated ? "!~" : "=~") == 0);
		}
		ASSERT(buffer_printf(out, " %s", test->pattern) == 0);
		if (test->if_unset != NULL)
			ASSERT(buffer_printf(out, " unset=%s",
			    test->if_unset) == 0);
		break;
	case RULE_FILE_FORM_EVAL:
		ASSERT(buffer_printf(out, " eval %s|%s", test->eval_function,
		    test->eval_arguments) == 0);
		break;
	case RULE_FILE_FORM_EXISTS:
		ASSERT(buffer_printf(out, " exists %s", test->header) == 0);
		break;
	case RULE_FILE_FORM_META:
		ASSERT(buffer_printf(out, " %s", test->expression) == 0);
		break;
	}
}

static void
dump_words(struct buffer *out, const char *const *words, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		ASSERT(buffer_printf(out, " %s", words[i]) == 0);
}

static void
dump_directive(struct buffer *out, const struct rule_file_directive *d)
{
	static const char *const lists[] = { "welcome", "block", "freemail",
		"freemail-welcome", "named:" };
	static const char *const actions[] = {
		"none", "reject", "quarantine", "discard",
	};
	static const char *const whens[] = { "spam", "ham", "all" };
	static const char *const fields[] = { "subject", "from", "to" };
	const struct rule_file_tflags *tflags;

	ASSERT(buffer_printf(out, "%u %s", d->line, d->keyword) == 0);
	if (d->rule_name != NULL)
		ASSERT(buffer_printf(out, " %s", d->rule_name) == 0);
	switch (d->kind) {
	case RULE_FILE_DIRECTIVE_TEST:
		dump_test(out, &d->test);
		break;
	case RULE_FILE_DIRECTIVE_SCORE:
		ASSERT(buffer_printf(out, " %g %g %g %g%s", d->score.scores[0],
		    d->score.scores[1], d->score.scores[2], d->score.scores[3],
		    d->score.relative ? " relative" : "") == 0);
		break;
	case RULE_FILE_DIRECTIVE_DESCRIBE:
		ASSERT(buffer_printf(out, " %s", d->description) == 0);
		break;
	case RULE_FILE_DIRECTIVE_TFLAGS:
		tflags = &d->tflags;
		ASSERT(buffer_printf(out, " 0x%x %u", tflags->flags,
		    tflags->maxhits) == 0);
		dump_words(out, tflags->others, tflags->other_count);
		break;
	case RULE_FILE_DIRECTIVE_PRIORITY:
		ASSERT(buffer_printf(out, " %d", d->priority) == 0);
		break;
	case RULE_FILE_DIRECTIVE_ACTION:
		ASSERT(buffer_printf(out, " %s|%s", actions[d->action.kind],
		    d->action.reply != NULL ? d->action.reply : "-") == 0);
		break;
	case RULE_FILE_DIRECTIVE_REQUIRED_SCORE:
		ASSERT(buffer_printf(out, " %g", d->required_score) == 0);
		break;
	case RULE_FILE_DIRECTIVE_ADD_HEADER:
		ASSERT(buffer_printf(out, " %s %s|%s",
		    whens[d->add_header.when], d->add_header.name,
		    d->add_header.value) == 0);
		break;
	case RULE_FILE_DIRECTIVE_REWRITE_HEADER:
		ASSERT(buffer_printf(out, " %s|%s",
		    fields[d->rewrite_header.field],
		    d->rewrite_header.text) == 0);
		break;
	case RULE_FILE_DIRECTIVE_REPORT_SAFE:
		ASSERT(buffer_printf(out, " %d", d->report_safe) == 0);
		break;
	case RULE_FILE_DIRECTIVE_ADDRESS_LIST:
		ASSERT(buffer_printf(out, " %s%s%s",
		    lists[d->address_list.list], d->address_list.name != NULL ?
		    d->address_list.name : "",
		    d->address_list.remove ? "-" : "+") == 0);
		dump_words(out, d->address_list.addresses,
		    d->address_list.address_count);
		break;
	case RULE_FILE_DIRECTIVE_OK_LOCALES:
		ASSERT(buffer_printf(out, " %s", d->ok_locales) == 0);
		break;
	case RULE_FILE_DIRECTIVE_URI_HOSTS:
		ASSERT(buffer_printf(out, " uri:%s%s",
		    d->uri_hosts.name != NULL ? d->uri_hosts.name : "*",
		    d->uri_hosts.remove ? "-" : "+") == 0);
		dump_words(out, d->uri_hosts.hosts, d->uri_hosts.host_count);
		break;
	case RULE_FILE_DIRECTIVE_NETWORKS:
		ASSERT(buffer_printf(out, " %s%s",
		    d->networks.networks == RULE_FILE_NETWORKS_TRUSTED ?
		    "trusted" : "internal",
		    d->networks.clear ? " clear" : "") == 0);
		dump_words(out, d->networks.entries, d->networks.entry_count);
		break;
	}
	ASSERT(buffer_append(out, "\n", 1) == 0);
}

static void
dump(struct buffer *out, const struct rule_file *rule_file)
{
	const struct rule_file_directive *const *directives;
	const struct rule_file_diagnostic *const *diagnostics;
	size_t count, i;

	directives = rule_file_directives(rule_file, &count);
	for (i = 0; i < count; i++)
		dump_directive(out, directives[i]);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	for (i = 0; i < count; i++)
		ASSERT(buffer_printf(out, "! %s\n", diagnostics[i]->message) ==
		    0);
}

/* Reads text as file name through rule_file in the given trickle mode. */
static struct rule_file *
read_text(const struct rule_file_options *options, const char *name,
    const char *text, size_t length, enum trickle_mode mode)
{
	struct rule_file *rule_file = rule_file_new(options);
	uint32_t state = 12345;
	size_t offset = 0, chunk;
	const char *error;

	rule_file_begin(rule_file, name);
	while (offset < length) {
		chunk = trickle_next_chunk(mode, length - offset, &state);
		if (rule_file_feed(rule_file, text + offset, chunk, &error) < 0)
			test_fail(__FILE__, __LINE__, "feed: %s", error);
		offset += chunk;
	}
	if (rule_file_end(rule_file, &error) < 0)
		test_fail(__FILE__, __LINE__, "end: %s", error);
	return rule_file;
}

static struct rule_file *
read_string(const struct rule_file_options *options, const char *name,
    const char *text, enum trickle_mode mode)
{
	return read_text(options, name, text, strlen(text), mode);
}

static const char *const test_plugins[] = {
	"Mail::SpamAssassin::Plugin::Yes",
	"Mail::SpamAssassin::Plugin::DMARC",
};
static const char *const test_features[] = {
	"Mail::SpamAssassin::Conf::feature_yes",
};
static const struct rule_file_options test_options = {
	.plugins = test_plugins,
	.plugin_count = ARRAY_LENGTH(test_plugins),
	.features = test_features,
	.feature_count = ARRAY_LENGTH(test_features),
};

struct text_case {
	const char *text;
	const char *dump;
};

static const struct text_case text_cases[] = {
	/* Comments, white space, "\#", keyword case and dashes. */
	{ "# comment\n\n   \n\tbody  A   /a\\#b/   # trailing\n"
	    "BODY B /x\\\\#y/\nRequired-Hits 7\n",
	    "4 body A body /a#b/\n5 body B body /x\\#y/\n"
	    "6 required_hits 7\n" },
	/* CRLF, a last line without LF, a lone comment marker. */
	{ "body A /a/\r\n#\r\nbody B /b/",
	    "1 body A body /a/\n3 body B body /b/\n" },
	/* Every header form. */
	{ "header H1 Subject =~ /free/i\n"
	    "header H2 From:addr !~ /@example\\.org$/\n"
	    "header H3 ALL:raw =~ /^X-Foo/m\n"
	    "header H4 ALL-EXTERNAL =~ /x/\n"
	    "header H5 ToCc =~ /a@b/ [if-unset: unset@example.org]\n"
	    "header H6 EnvelopeFrom=~/^$/\n"
	    "header H7 exists:X-Mailer\n"
	    "header H8 exists:List-Id:\n"
	    "header H9 eval:check_rbl('set', 'zen.example.org.')\n"
	    "header H10 rbleval:check_dns_sender()\n"
	    "header H11 From:name:raw =~ /x/\n"
	    "header H12 Reply-To: =~ /x/\n"
	    "header H13 X-Spam-Relays-External =~ /\\[ ip=1\\.2 /\n"
	    "header H14 Received:first:ip =~ /^10\\./\n",
	    "1 header H1 header Subject =~ /free/i\n"
	    "2 header H2 header From:addr !~ /@example\\.org$/\n"
	    "3 header H3 header ALL:raw =~ /^X-Foo/m\n"
	    "4 header H4 header ALL-EXTERNAL =~ /x/\n"
	    "5 header H5 header ToCc =~ /a@b/ unset=unset@example.org\n"
	    "6 header H6 header EnvelopeFrom =~ /^$/\n"
	    "7 header H7 header exists X-Mailer\n"
	    "8 header H8 header exists List-Id\n"
	    "9 header H9 header eval check_rbl|'set', 'zen.example.org.'\n"
	    "10 header H10 header eval check_dns_sender|\n"
	    "11 header H11 header From:raw:name =~ /x/\n"
	    "12 header H12 header Reply-To =~ /x/\n"
	    "13 header H13 header X-Spam-Relays-External =~ /\\[ ip=1\\.2 /\n"
	    "14 header H14 header Received:ip:first =~ /^10\\./\n" },
	/* Bad header lines. */
	{ "header A Subject ~ /x/\nheader B Subject:bogus =~ /x/\n"
	    "header C exists:Bad Name\nheader D eval:nope\nheader E\n"
	    "header F =~ /x/\nheader G Subject =~\n"
	    "header H From:raw:addr:name =~ /x/\n",
	    "! t.cf:1: invalid 'header' line: expected '=~' or '!~' after "
	    "the header name (skipped)\n"
	    "! t.cf:2: invalid 'header' line: invalid header modifier 'bogus'"
	    " (skipped)\n"
	    "! t.cf:3: invalid 'header' line: invalid header name 'Bad Name' "
	    "(skipped)\n"
	    "! t.cf:4: invalid 'header' line: expected eval:function(...) "
	    "(skipped)\n"
	    "! t.cf:5: invalid 'header' line: missing value after rule name "
	    "(skipped)\n"
	    "! t.cf:6: invalid 'header' line: missing header name (skipped)\n"
	    "! t.cf:7: invalid 'header' line: missing regex (skipped)\n"
	    "! t.cf:8: invalid 'header' line: invalid header modifier 'name' "
	    "(skipped)\n" },
	/* body, rawbody, full, uri (regex and eval), meta. */
	{ "body B1 /cheap pills/i\nbody B2 eval:check_stock_info('4')\n"
	    "rawbody R1 m{<a href}i\nrawbody R2 eval:check_html()\n"
	    "full F1 /^X-Foo: /m\nfull F2 eval:check_razor2()\n"
	    "uri U1 /^https?:\\/\\/bit\\.ly\\//i\nuri U2 eval:check_uri()\n"
	    "meta M1 (B1 || R1) && !__U1\n"
	    "meta M2 rules_matching(__FOO_*) >= 2\n",
	    "1 body B1 body /cheap pills/i\n"
	    "2 body B2 body eval check_stock_info|'4'\n"
	    "3 rawbody R1 rawbody m{<a href}i\n"
	    "4 rawbody R2 rawbody eval check_html|\n"
	    "5 full F1 full /^X-Foo: /m\n"
	    "6 full F2 full eval check_razor2|\n"
	    "7 uri U1 uri /^https?:\\/\\/bit\\.ly\\//i\n"
	    "8 uri U2 uri eval check_uri|\n"
	    "9 meta M1 meta (B1 || R1) && !__U1\n"
	    "10 meta M2 meta rules_matching(__FOO_*) >= 2\n" },
	/* Rule names. */
	{ "body 1A /x/\nbody A-B /x/\nbody\nmeta _ok 1\n"
	    "body A12345678901234567890123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123456789012345678901234"
	    "5678 /x/\n",
	    "4 meta _ok meta 1\n"
	    "! t.cf:1: invalid 'body' line: invalid rule name '1A' (skipped)\n"
	    "! t.cf:2: invalid 'body' line: invalid rule name 'A-B' "
	    "(skipped)\n"
	    "! t.cf:3: invalid 'body' line: missing rule name (skipped)\n"
	    "! t.cf:5: invalid 'body' line: invalid rule name "
	    "'A12345678901234567890123456789012345678901234567890123456789...'"
	    " (skipped)\n" },
	/* score, describe, priority. */
	{ "score A 1.5\nscore A 0 1 -2.25 3\nscore A (1) (0) (1) (0)\n"
	    "score A 1 2\nscore B (1)\nscore C x\nscore C +1\nscore C .5\n"
	    "score\ndescribe A Some text  here\ndescribe A\n"
	    "priority A -100\npriority A 1.5\npriority A\n",
	    "1 score A 1.5 1.5 1.5 1.5\n2 score A 0 1 -2.25 3\n"
	    "3 score A 1 0 1 0 relative\n"
	    "10 describe A Some text  here\n12 priority A -100\n"
	    "! t.cf:4: invalid 'score' line: expected 1 or 4 scores "
	    "(skipped)\n"
	    "! t.cf:5: invalid 'score' line: relative score without an "
	    "earlier score (skipped)\n"
	    "! t.cf:6: invalid 'score' line: 'x' is not a number (skipped)\n"
	    "! t.cf:7: invalid 'score' line: '+1' is not a number (skipped)\n"
	    "! t.cf:8: invalid 'score' line: '.5' is not a number (skipped)\n"
	    "! t.cf:9: invalid 'score' line: missing rule name (skipped)\n"
	    "! t.cf:11: invalid 'describe' line: missing value after rule "
	    "name (skipped)\n"
	    "! t.cf:13: invalid 'priority' line: priority is not an integer "
	    "(skipped)\n"
	    "! t.cf:14: invalid 'priority' line: missing value after rule "
	    "name (skipped)\n" },
	/* tflags. */
	{ "tflags A nice multiple maxhits=5 net learn noautolearn userconf "
	    "autolearn_force nosubject nolog ips_only\n"
	    "tflags B maxhits=0\ntflags B maxhits=x\ntflags C a\n",
	    "1 tflags A 0xff 5 nolog ips_only\n4 tflags C 0x0 0 a\n"
	    "! t.cf:2: invalid 'tflags' line: bad 'maxhits=0' (skipped)\n"
	    "! t.cf:3: invalid 'tflags' line: bad 'maxhits=x' (skipped)\n" },
	/* action (sluice's extension). */
	{ "action A reject 550 5.7.1 Go away\naction B Quarantine\n"
	    "action C discard\naction D bounce\naction E\n",
	    "1 action A reject|550 5.7.1 Go away\n"
	    "2 action B quarantine|-\n3 action C discard|-\n"
	    "! t.cf:4: invalid 'action' line: unknown action 'bounce' "
	    "(expected reject, quarantine or discard) (skipped)\n"
	    "! t.cf:5: invalid 'action' line: missing value after rule name "
	    "(skipped)\n" },
	/* Settings. */
	{ "required_score 6.5\nrequired_score x\nreport_safe 0\n"
	    "report_safe 3\nadd_header all Status _YESNO_, score=_SCORE_\n"
	    "add_header spam Flag YES\nadd_header ham Empty\n"
	    "add_header bogus X y\nadd_header all Bad:Name y\n"
	    "rewrite_header Subject *****SPAM*****\nrewrite_header from x\n"
	    "rewrite_header cc x\nrewrite_header To\n",
	    "1 required_score 6.5\n3 report_safe 0\n"
	    "5 add_header all Status|_YESNO_, score=_SCORE_\n"
	    "6 add_header spam Flag|YES\n7 add_header ham Empty|\n"
	    "10 rewrite_header subject|*****SPAM*****\n"
	    "11 rewrite_header from|x\n"
	    "! t.cf:2: invalid 'required_score' line: expected a number "
	    "(skipped)\n"
	    "! t.cf:4: invalid 'report_safe' line: expected 0, 1 or 2 "
	    "(skipped)\n"
	    "! t.cf:8: invalid 'add_header' line: expected spam, ham or all "
	    "(skipped)\n"
	    "! t.cf:9: invalid 'add_header' line: missing or invalid header "
	    "name (skipped)\n"
	    "! t.cf:12: invalid 'rewrite_header' line: expected subject, from"
	    " or to (skipped)\n"
	    "! t.cf:13: invalid 'rewrite_header' line: missing text "
	    "(skipped)\n" },
	/* Address lists and networks. */
	{ "whitelist_from a@example.org *@b.example\n"
	    "welcomelist_from c@example.org\nunwhitelist_from a@example.org\n"
	    "unwelcomelist_from c@example.org\nblacklist_from x@y\n"
	    "blocklist_from z@y\nunblacklist_from x@y\nunblocklist_from z@y\n"
	    "whitelist_from\ntrusted_networks 192.0.2.0/24 !192.0.2.7\n"
	    "internal_networks 10/8\nclear_trusted_networks\n"
	    "clear_internal_networks\nclear_trusted_networks x\n"
	    "trusted_networks\n",
	    "1 whitelist_from welcome+ a@example.org *@b.example\n"
	    "2 welcomelist_from welcome+ c@example.org\n"
	    "3 unwhitelist_from welcome- a@example.org\n"
	    "4 unwelcomelist_from welcome- c@example.org\n"
	    "5 blacklist_from block+ x@y\n6 blocklist_from block+ z@y\n"
	    "7 unblacklist_from block- x@y\n8 unblocklist_from block- z@y\n"
	    "10 trusted_networks trusted 192.0.2.0/24 !192.0.2.7\n"
	    "11 internal_networks internal 10/8\n"
	    "12 clear_trusted_networks trusted clear\n"
	    "13 clear_internal_networks internal clear\n"
	    "! t.cf:9: invalid 'whitelist_from' line: missing address "
	    "(skipped)\n"
	    "! t.cf:14: invalid 'clear_trusted_networks' line: takes no value"
	    " (skipped)\n"
	    "! t.cf:15: invalid 'trusted_networks' line: missing network "
	    "(skipped)\n" },
	/* FreeMail lists, named address lists, ok_locales. */
	{ "freemail_domains Gmail.com *.mail.example ex?mple.org bad_dom\n"
	    "freemail_whitelist Boss@Gmail.com\n"
	    "freemail_welcomelist x@y nodots\n"
	    "enlist_addrlist (BANKS) *@Bank.example a@b\n"
	    "enlist_addrlist BANKS x@y\nenlist_addrlist (X)\n"
	    "ok_locales en ja\nok_locales\nfreemail_domains\n",
	    "1 freemail_domains freemail+ gmail.com *.mail.example "
	    "ex?mple.org bad_dom\n"
	    "2 freemail_whitelist freemail-welcome+ boss@gmail.com\n"
	    "3 freemail_welcomelist freemail-welcome+ x@y nodots\n"
	    "4 enlist_addrlist named:BANKS+ *@bank.example a@b\n"
	    "7 ok_locales en ja\n"
	    "! t.cf:1: invalid 'freemail_domains' line: 'bad_dom' is not a "
	    "valid entry (skipped)\n"
	    "! t.cf:3: invalid 'freemail_welcomelist' line: 'nodots' is not a "
	    "valid entry (skipped)\n"
	    "! t.cf:5: invalid 'enlist_addrlist' line: expected (LISTNAME) "
	    "and addresses (skipped)\n"
	    "! t.cf:6: invalid 'enlist_addrlist' line: expected (LISTNAME) "
	    "and addresses (skipped)\n"
	    "! t.cf:8: invalid 'ok_locales' line: missing locale (skipped)\n"
	    "! t.cf:9: invalid 'freemail_domains' line: missing domain "
	    "(skipped)\n" },
	/* URI host lists and subject lists. */
	{ "enlist_uri_host (L) A.example !b.a.example\n"
	    "delist_uri_host (L) a.example\ndelist_uri_host x.example\n"
	    "blocklist_uri_host bad.example\nwhitelist_uri_host ok.example\n"
	    "enlist_uri_host nolist.example\nenlist_uri_host (L)\n"
	    "welcomelist_subject Free  Money *\nblacklist_subject\n",
	    "1 enlist_uri_host uri:L+ a.example !b.a.example\n"
	    "2 delist_uri_host uri:L- a.example\n"
	    "3 delist_uri_host uri:*- x.example\n"
	    "4 blocklist_uri_host uri:BLOCK+ bad.example\n"
	    "5 whitelist_uri_host uri:WELCOME+ ok.example\n"
	    "8 welcomelist_subject named:welcomelist_subject+ free  money *\n"
	    "! t.cf:6: invalid 'enlist_uri_host' line: expected (LISTNAME) "
	    "and hosts (skipped)\n"
	    "! t.cf:7: invalid 'enlist_uri_host' line: expected (LISTNAME) "
	    "and hosts (skipped)\n"
	    "! t.cf:9: invalid 'blacklist_subject' line: missing subject "
	    "(skipped)\n" },
	/* lang: only the configured language (en_US). */
	{ "lang de describe A Deutsch\nlang en describe A English\n"
	    "lang en_US describe A US\nlang en_GB describe A GB\n"
	    "lang EN describe B upper\nlang de\nlanguage x\n",
	    "2 describe A English\n3 describe A US\n5 describe B upper\n"
	    "! t.cf:6: unknown directive 'lang' (skipped)\n"
	    "! t.cf:7: unknown directive 'language' (skipped)\n" },
	/* Unknown directives are reported and skipped; plugins ignored. */
	{ "bogus_thing x\nloadplugin Mail::SpamAssassin::Plugin::X\n"
	    "tryplugin Foo\nmimeheader A Content-Type =~ /x/\nbody A /a/\n"
	    "\x01\x7f\xff y\n",
	    "5 body A body /a/\n"
	    "! t.cf:1: unknown directive 'bogus_thing' (skipped)\n"
	    "! t.cf:4: unknown directive 'mimeheader' (skipped)\n"
	    "! t.cf:6: unknown directive '\?\?\?' (skipped)\n" },
	/* if/ifplugin/else/endif, nested. */
	{ "ifplugin Mail::SpamAssassin::Plugin::Yes\nbody A /a/\n"
	    "  ifplugin Mail::SpamAssassin::Plugin::No\n  body B /b/\n"
	    "  else\n  body C /c/\n  endif\nelse\nbody D /d/\nendif\n"
	    "if (version >= 3.004000) && "
	    "!plugin(Mail::SpamAssassin::Plugin::No)\nbody E /e/\nendif\n"
	    "if can(Mail::SpamAssassin::Conf::feature_unknown)\nbody F /f/\n"
	    "  if 1\n  body G /g/\n  else\n  body H /h/\n  endif\nelse\n"
	    "body I /i/\nendif\n"
	    "ifplugin Mail::SpamAssassin::Plugin::Dmarc # renamed\n"
	    "body J /j/\nendif\n",
	    "2 body A body /a/\n6 body C body /c/\n12 body E body /e/\n"
	    "22 body I body /i/\n25 body J body /j/\n" },
	/* Preprocessor mistakes. */
	{ "else\nendif\nif\nbody A /a/\nendif\nif 1\nelse x\nendif y\n"
	    "else\nelse\nbody B /b/\nendif\nifplugin\nendif\n",
	    "! t.cf:1: 'else' without 'if' (ignored)\n"
	    "! t.cf:2: 'endif' without 'if' (ignored)\n"
	    "! t.cf:3: missing 'if' condition (block skipped)\n"
	    "! t.cf:7: 'else' must stand alone (ignored)\n"
	    "! t.cf:8: 'endif' must stand alone (ignored)\n"
	    "! t.cf:10: second 'else' for the 'if' on line 6 (ignored)\n"
	    "! t.cf:13: missing 'ifplugin' condition (block skipped)\n" },
	/* An unclosed block is reported at the end of the file. */
	{ "if 1\nbody A /a/\nifplugin Mail::SpamAssassin::Plugin::No\n"
	    "body B /b/\n",
	    "2 body A body /a/\n"
	    "! t.cf:4: 'if' on line 3 not closed by 'endif' at end of file\n"
	    "! t.cf:4: 'if' on line 1 not closed by 'endif' at end of file\n" },
	/* require_version: the rest of the file is skipped on mismatch. */
	{ "require_version @@VERSION@@\nbody A /a/\n"
	    "if 0\nrequire_version 1.0\nendif\nbody B /b/\n"
	    "require_version 3.004000\nbody C /c/\n",
	    "2 body A body /a/\n6 body B body /b/\n"
	    "! t.cf:7: file requires version 3.004000, this is 4.000001: rest "
	    "of file skipped\n" },
	/* A NUL byte skips its line only. */
	{ "body A /a\0b/\nbody B /b/\n", "2 body B body /b/\n"
	    "! t.cf:1: NUL byte in line (skipped)\n" },
	/* Include problems are diagnostics. */
	{ "include\ninclude /nonexistent/sluice-test.cf\nbody A /a/\n",
	    "3 body A body /a/\n"
	    "! t.cf:1: invalid 'include' line: missing file name (skipped)\n"
	    "! t.cf:2: include: cannot open '/nonexistent/sluice-test.cf': "
	    "No such file or directory (skipped)\n" },
};

/* The NUL case has an embedded NUL: its length is spelled out. */
static size_t
text_case_length(const struct text_case *c)
{
	static const char nul_case[] = "body A /a\0b/\nbody B /b/\n";

	if (memcmp(c->text, nul_case, sizeof(nul_case)) == 0)
		return sizeof(nul_case) - 1;
	return strlen(c->text);
}

static void
test_rule_file_text_cases(void)
{
	struct rule_file *rule_file;
	struct buffer out;
	size_t i;
	int mode;

	buffer_init(&out, 0);
	for (i = 0; i < ARRAY_LENGTH(text_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			const struct text_case *c = &text_cases[i];

			rule_file = read_text(&test_options, "t.cf", c->text,
			    text_case_length(c), (enum trickle_mode)mode);
			buffer_reset(&out);
			dump(&out, rule_file);
			if (strcmp(buffer_string(&out), c->dump) != 0)
				test_fail(__FILE__, __LINE__, "case %zu (%s):\n"
				    "got:\n%swant:\n%s", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    buffer_string(&out), c->dump);
			rule_file_free(&rule_file);
			test_assert(rule_file == NULL);
		}
	}
	buffer_deinit(&out);
}

/* "if" expressions: true, false, or an error (reported, taken false). */
static void
test_rule_file_if_expressions(void)
{
	static const struct {
		const char *expression;
		int value; /* 1, 0, or -1 for an error */
	} cases[] = {
		{ "1", 1 }, { "0", 0 }, { "0.0", 0 }, { "(1)", 1 },
		{ "version >= 4", 1 }, { "version > 4.000001", 0 },
		{ "version == 4.000001", 1 }, { "(version >= 3.004002)", 1 },
		{ "!0", 1 }, { "!!1", 1 }, { "! 1", 0 }, { "!(1)", 0 },
		{ "1 && 0", 0 }, { "1 || 0", 1 }, { "0 || 0", 0 },
		{ "(1 || 0) && !0", 1 }, { "1 || 0 && 0", 1 },
		{ "plugin(Mail::SpamAssassin::Plugin::Yes)", 1 },
		{ "plugin (Mail::SpamAssassin::Plugin::No)", 0 },
		{ "!plugin(Mail::SpamAssassin::Plugin::No)", 1 },
		{ "plugin(Mail::SpamAssassin::Plugin::Dmarc)", 1 },
		{ "can(Mail::SpamAssassin::Conf::feature_yes)", 1 },
		{ "can(Mail::SpamAssassin::Conf::feature_no)", 0 },
		{ "has(Mail::SpamAssassin::Conf::feature_yes)", 1 },
		{ "!(can(Mail::SpamAssassin::Conf::feature_no))", 1 },
		{ "!((version >= 3.004000))", 0 },
		{ "2 * 3 - 6", 0 }, { "1 + 1 == 2", 1 }, { "10 / 4 > 2", 1 },
		{ "-1 < 0", 1 }, { "3 != 3", 0 }, { "1 <= 1", 1 },
		{ "2 < 1", 0 }, { "+2 > 1", 1 },
		{ "perl_version >= 5.010000", 1 }, { "local_tests_only", 0 },
		{ "version > 3.004001 && perl_version >= 5.018000", 1 },
		{ "foo", -1 }, { "1 +", -1 }, { "(1", -1 }, { "1)", -1 },
		{ "plugin X", -1 }, { "plugin()", -1 }, { "1 / 0", -1 },
		{ "1 ^ 1", -1 }, { "1 = 1", -1 }, { "1..2", -1 },
		{ "Mail::SpamAssassin::Plugin::Yes", -1 },
		{ "((((((((((((((((((((((((((((((((((1))))))))))))))))))))))"
		    "))))))))))))", -1 },
		{ "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!1", -1 },
	};
	struct rule_file *rule_file;
	struct buffer text;
	size_t i, diagnostics;
	bool defined;

	buffer_init(&text, 0);
	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		buffer_reset(&text);
		test_require(buffer_printf(&text, "if %s\nbody R /x/\nendif\n",
		    cases[i].expression) == 0);
		rule_file = read_text(&test_options, "t.cf",
		    buffer_string(&text), buffer_length(&text), TRICKLE_WHOLE);
		defined = rule_file_rule_find(rule_file, "R") != NULL;
		(void)rule_file_diagnostics(rule_file, &diagnostics);
		if (defined != (cases[i].value == 1) ||
		    (diagnostics != 0) != (cases[i].value == -1))
			test_fail(__FILE__, __LINE__, "case %zu \"%s\": "
			    "defined %d, diagnostics %zu", i,
			    cases[i].expression, defined, diagnostics);
		rule_file_free(&rule_file);
	}
	buffer_deinit(&text);
}

/* Later definitions replace earlier ones; attributes attach by name
 * whenever they come; default scores follow SpamAssassin. */
static void
test_rule_file_rule_merging(void)
{
	static const char text[] =
	    "score A 2.5\n"
	    "body A /first/\n"
	    "describe A First\n"
	    "header A Subject =~ /second/\n"
	    "tflags A multiple maxhits=3\n"
	    "priority A 5\n"
	    "action A quarantine\n"
	    "body T_TEST /t/\n"
	    "body NICE /n/\n"
	    "tflags NICE nice\n"
	    "body T_NICE /n/\n"
	    "tflags T_NICE nice\n"
	    "body __SUB /s/\n"
	    "meta __SUB0 __SUB\n"
	    "score __SUB0 0\n"
	    "score ORPHAN 3\n"
	    "describe ORPHAN Never defined\n"
	    "meta ZERO A\n"
	    "score ZERO 0 0 1 1\n";
	const struct rule_file_rule *const *rules;
	const struct rule_file_rule *rule;
	struct rule_file *rule_file;
	size_t count;

	rule_file = read_text(NULL, "t.cf", text, sizeof(text) - 1,
	    TRICKLE_WHOLE);
	rules = rule_file_rules(rule_file, &count);
	test_require(count == 7);
	test_assert_string(rules[0]->name, "A");
	test_assert_string(rules[1]->name, "T_TEST");
	test_assert_string(rules[6]->name, "ZERO");
	rule = rule_file_rule_find(rule_file, "A");
	test_require(rule == rules[0]);
	test_assert_int(rule->definition->line, 4);
	test_assert_int(rule->definition->test.type, RULE_FILE_TEST_HEADER);
	test_assert_string(rule->definition->test.pattern, "/second/");
	test_assert(rule->score_set);
	test_assert(rule_file_rule_score(rule, 0) == 2.5);
	test_assert(rule_file_rule_score(rule, 3) == 2.5);
	test_assert_string(rule->description, "First");
	test_assert_int(rule->tflags.flags, RULE_FILE_TFLAG_MULTIPLE);
	test_assert_int(rule->tflags.maxhits, 3);
	test_assert_int(rule->priority, 5);
	test_assert_int(rule->action.kind, RULE_FILE_ACTION_QUARANTINE);
	test_assert(rule->action.reply == NULL);

	rule = rule_file_rule_find(rule_file, "T_TEST");
	test_require(rule != NULL);
	test_assert(!rule->score_set);
	test_assert(rule_file_rule_score(rule, 0) == 0.01);
	test_assert(rule->description == NULL);
	test_assert_int(rule->priority, 0);
	test_assert_int(rule->action.kind, RULE_FILE_ACTION_NONE);
	test_assert(rule_file_rule_score(rule_file_rule_find(rule_file,
	    "NICE"), 1) == -1.0);
	test_assert(rule_file_rule_score(rule_file_rule_find(rule_file,
	    "T_NICE"), 2) == -0.01);
	test_assert(rule_file_rule_score(rule_file_rule_find(rule_file,
	    "__SUB"), 0) == 0);
	rule = rule_file_rule_find(rule_file, "__SUB0");
	test_require(rule != NULL);
	test_assert(rule->score_set && rule_file_rule_score(rule, 0) == 0);
	test_assert(rule_file_rule_find(rule_file, "ORPHAN") == NULL);
	test_assert(rule_file_rule_find(rule_file, "a") == NULL);
	rule = rule_file_rule_find(rule_file, "ZERO");
	test_require(rule != NULL);
	test_assert(rule_file_rule_score(rule, 1) == 0 &&
	    rule_file_rule_score(rule, 2) == 1);
	rule_file_free(&rule_file);
}

/* Merged settings: defaults, replacement, removals, clears. */
static void
test_rule_file_settings(void)
{
	static const char text[] =
	    "add_header all Status a\n"
	    "add_header spam Flag YES\n"
	    "add_header all status b\n"
	    "whitelist_from a@example.org B@example.org\n"
	    "welcomelist_from b@EXAMPLE.org c@example.org\n"
	    "unwelcomelist_from A@example.org\n"
	    "blacklist_from x@y\n"
	    "trusted_networks 192.0.2.0/24\n"
	    "clear_trusted_networks\n"
	    "trusted_networks 198.51.100.0/24 10/8\n"
	    "internal_networks 10/8\n"
	    "rewrite_header Subject [SPAM]\n"
	    "rewrite_header Subject [SPAM _SCORE_]\n";
	const struct rule_file_settings *settings;
	struct rule_file *rule_file;

	rule_file = rule_file_new(NULL);
	settings = rule_file_settings(rule_file);
	test_assert(settings->required_score == 5.0);
	test_assert_int(settings->report_safe, 1);
	test_assert_int(settings->add_header_count, 0);
	test_assert(settings->rewrite_subject == NULL);
	rule_file_free(&rule_file);

	rule_file = read_text(NULL, "t.cf", text, sizeof(text) - 1,
	    TRICKLE_BYTE);
	settings = rule_file_settings(rule_file);
	test_require(settings->add_header_count == 2);
	test_assert_string(settings->add_headers[0]->name, "status");
	test_assert_string(settings->add_headers[0]->value, "b");
	test_assert_string(settings->add_headers[1]->name, "Flag");
	test_assert_int(settings->add_headers[1]->when, RULE_FILE_WHEN_SPAM);
	test_require(settings->welcomelist_from_count == 2);
	test_assert_string(settings->welcomelist_from[0], "B@example.org");
	test_assert_string(settings->welcomelist_from[1], "c@example.org");
	test_require(settings->blocklist_from_count == 1);
	test_assert_string(settings->blocklist_from[0], "x@y");
	test_assert_string(settings->ok_locales, "all");
	test_assert_int(settings->freemail_domain_count, 0);
	test_assert_int(settings->address_list_count, 0);
	test_require(settings->trusted_network_count == 2);
	test_assert_string(settings->trusted_networks[0], "198.51.100.0/24");
	test_assert_string(settings->trusted_networks[1], "10/8");
	test_require(settings->internal_network_count == 1);
	test_assert_string(settings->rewrite_subject, "[SPAM _SCORE_]");
	test_assert(settings->rewrite_from == NULL);
	rule_file_free(&rule_file);
}

static void
write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	ASSERT(file != NULL);
	ASSERT(fputs(text, file) >= 0);
	ASSERT(fclose(file) == 0);
}

static char *
temp_path(const char *name)
{
	static char paths[16][512];
	static unsigned next;
	char *path = paths[next++ % ARRAY_LENGTH(paths)];

	snprintf(path, sizeof(paths[0]), "%s/%s", test_temp_dir(), name);
	return path;
}

/* Includes: relative to the including file, in order, with file:line
 * of the included file; an unclosed block stays inside its file. */
/* FreeMail and named address lists: merged, lowercased, each once;
 * the last ok_locales wins. */
static void
test_rule_file_settings_lists(void)
{
	static const char text[] =
	    "freemail_domains gmail.com Yahoo.com *.example\n"
	    "freemail_domains GMAIL.com\n"
	    "freemail_whitelist boss@gmail.com\n"
	    "enlist_addrlist (PAYPAL) *@paypal.com *@PayPal.co.uk\n"
	    "enlist_addrlist (BANKS) *@bank.example\n"
	    "enlist_addrlist (PAYPAL) *@paypal.com *@*.paypal.com\n"
	    "enlist_addrlist (welcomelist_from) friend@example.org\n"
	    "ok_locales ja\nok_locales en zh\n";
	const struct rule_file_named_list *list;
	const struct rule_file_settings *settings;
	struct rule_file *rule_file;

	rule_file = read_text(NULL, "t.cf", text, sizeof(text) - 1,
	    TRICKLE_RANDOM);
	settings = rule_file_settings(rule_file);
	test_require(settings->freemail_domain_count == 3);
	test_assert_string(settings->freemail_domains[0], "gmail.com");
	test_assert_string(settings->freemail_domains[1], "yahoo.com");
	test_assert_string(settings->freemail_domains[2], "*.example");
	test_require(settings->freemail_welcomelist_count == 1);
	test_assert_string(settings->freemail_welcomelist[0],
	    "boss@gmail.com");
	test_assert_int(settings->address_list_count, 2);
	list = rule_file_settings_address_list(settings, "PAYPAL");
	test_require(list != NULL);
	test_require(list->address_count == 3);
	test_assert_string(list->addresses[0], "*@paypal.com");
	test_assert_string(list->addresses[1], "*@paypal.co.uk");
	test_assert_string(list->addresses[2], "*@*.paypal.com");
	list = rule_file_settings_address_list(settings, "BANKS");
	test_require(list != NULL && list->address_count == 1);
	test_assert(rule_file_settings_address_list(settings, "paypal") ==
	    NULL);
	test_require(settings->welcomelist_from_count == 1);
	test_assert_string(settings->welcomelist_from[0],
	    "friend@example.org");
	test_assert_string(settings->ok_locales, "en zh");
	rule_file_free(&rule_file);
}

/* URI host lists: '!' excludes, a later line wins, delist removes. */
static void
test_rule_file_settings_uri_hosts(void)
{
	static const char text[] =
	    "enlist_uri_host (L) a.example !b.a.example c.example\n"
	    "enlist_uri_host (L) !a.example\n"
	    "delist_uri_host (L) !c.example\n"
	    "enlist_uri_host (M) c.example\n"
	    "delist_uri_host c.example\n"
	    "blacklist_uri_host bad.example\n";
	const struct rule_file_uri_host_list *list;
	const struct rule_file_settings *settings;
	struct rule_file *rule_file;

	rule_file = read_text(NULL, "t.cf", text, sizeof(text) - 1,
	    TRICKLE_WHOLE);
	settings = rule_file_settings(rule_file);
	test_assert_int(settings->uri_host_list_count, 3);
	list = rule_file_settings_uri_host_list(settings, "L");
	test_require(list != NULL && list->host_count == 2);
	test_assert_string(list->hosts[0].host, "a.example");
	test_assert(!list->hosts[0].listed);
	test_assert_string(list->hosts[1].host, "b.a.example");
	test_assert(!list->hosts[1].listed);
	list = rule_file_settings_uri_host_list(settings, "M");
	test_require(list != NULL);
	test_assert_int(list->host_count, 0);
	list = rule_file_settings_uri_host_list(settings, "BLOCK");
	test_require(list != NULL && list->host_count == 1);
	test_assert(list->hosts[0].listed);
	test_assert(rule_file_settings_uri_host_list(settings, "l") == NULL);
	rule_file_free(&rule_file);
}

static void
test_rule_file_includes(void)
{
	const struct rule_file_directive *const *directives;
	const struct rule_file_diagnostic *const *diagnostics;
	struct rule_file *rule_file;
	const char *error;
	size_t count;
	char *main_path = temp_path("inc/main.cf");

	test_require(mkdir(temp_path("inc"), 0700) == 0);
	test_require(mkdir(temp_path("inc/sub"), 0700) == 0);
	write_file(main_path, "body M1 /m/\ninclude sub/inc.cf\n"
	    "body M2 /m/\nif 0\ninclude nonexistent.cf\nendif\n");
	write_file(temp_path("inc/sub/inc.cf"),
	    "body I1 /i/\ninclude deeper.cf\nbody I2 /i/\n");
	write_file(temp_path("inc/sub/deeper.cf"),
	    "\nbody D1 /d/\nif 0\nbody D2 /d/");

	rule_file = rule_file_new(NULL);
	test_require(rule_file_load(rule_file, main_path, &error) == 0);
	directives = rule_file_directives(rule_file, &count);
	test_require(count == 5);
	test_assert_string(directives[0]->rule_name, "M1");
	test_assert_string(directives[0]->file, main_path);
	test_assert_int(directives[0]->line, 1);
	test_assert_string(directives[1]->rule_name, "I1");
	test_assert_string(directives[1]->file, temp_path("inc/sub/inc.cf"));
	test_assert_string(directives[2]->rule_name, "D1");
	test_assert_string(directives[2]->file,
	    temp_path("inc/sub/deeper.cf"));
	test_assert_int(directives[2]->line, 2);
	test_assert_string(directives[3]->rule_name, "I2");
	test_assert_int(directives[3]->line, 3);
	test_assert_string(directives[4]->rule_name, "M2");
	test_assert_int(directives[4]->line, 3);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_require(count == 1);
	test_assert_int(diagnostics[0]->kind, RULE_FILE_DIAGNOSTIC_STRUCTURE);
	test_assert_int(diagnostics[0]->line, 4);
	test_assert(strstr(diagnostics[0]->message, "deeper.cf:4: 'if' on "
	    "line 3 not closed") != NULL);
	rule_file_free(&rule_file);

	/* The same include from a fed file named in that directory. */
	rule_file = read_string(NULL, temp_path("inc/fed.cf"),
	    "include sub/deeper.cf\n", TRICKLE_BYTE);
	directives = rule_file_directives(rule_file, &count);
	test_require(count == 1);
	test_assert_string(directives[0]->rule_name, "D1");
	rule_file_free(&rule_file);
}

static void
test_rule_file_include_cycles(void)
{
	const struct rule_file_diagnostic *const *diagnostics;
	struct rule_file_options options = {
		.limits.include_depth_max = 3,
	};
	struct rule_file *rule_file;
	const char *error;
	size_t count, i;
	char name[64];

	write_file(temp_path("a.cf"), "body A /a/\ninclude b.cf\n");
	write_file(temp_path("b.cf"), "body B /b/\ninclude ./a.cf\n");
	write_file(temp_path("self.cf"), "include self.cf\nbody S /s/\n");
	rule_file = rule_file_new(NULL);
	test_require(rule_file_load(rule_file, temp_path("a.cf"), &error) ==
	    0);
	test_require(rule_file_load(rule_file, temp_path("self.cf"),
	    &error) == 0);
	test_assert(rule_file_rule_find(rule_file, "A") != NULL);
	test_assert(rule_file_rule_find(rule_file, "B") != NULL);
	test_assert(rule_file_rule_find(rule_file, "S") != NULL);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_require(count == 2);
	test_assert(strstr(diagnostics[0]->message, "b.cf:2: include: '") !=
	    NULL && strstr(diagnostics[0]->message, "a.cf': include cycle "
	    "(skipped)") != NULL);
	test_assert(strstr(diagnostics[1]->message, "self.cf:1: include: ")
	    != NULL);
	rule_file_free(&rule_file);

	/* A chain deeper than the limit stops at the limit. */
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "chain%zu.cf", i);
		write_file(temp_path(name), i < 5 ?
		    (const char *[]){ "include chain1.cf\nbody C0 /x/\n",
		    "include chain2.cf\nbody C1 /x/\n",
		    "include chain3.cf\nbody C2 /x/\n",
		    "include chain4.cf\nbody C3 /x/\n",
		    "include chain5.cf\nbody C4 /x/\n" }[i] :
		    "body C5 /x/\n");
	}
	rule_file = rule_file_new(&options);
	test_require(rule_file_load(rule_file, temp_path("chain0.cf"),
	    &error) == 0);
	test_assert(rule_file_rule_find(rule_file, "C3") != NULL);
	test_assert(rule_file_rule_find(rule_file, "C4") == NULL);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_require(count == 1);
	test_assert(strstr(diagnostics[0]->message, "chain3.cf:1: include: "
	    "'") != NULL && strstr(diagnostics[0]->message,
	    "includes nested deeper than 3") != NULL);
	rule_file_free(&rule_file);
}

/* A directory is read in byte order of its *.cf names. */
static void
test_rule_file_load_directory(void)
{
	const struct rule_file_directive *const *directives;
	struct rule_file *rule_file;
	const char *error;
	size_t count;

	test_require(mkdir(temp_path("dir"), 0700) == 0);
	test_require(mkdir(temp_path("dir/30_dir.cf"), 0700) == 0);
	write_file(temp_path("dir/20_b.cf"), "body B /b/\n");
	write_file(temp_path("dir/10_a.cf"), "body A /a/\nscore B 2\n");
	write_file(temp_path("dir/Z_upper.cf"), "body Z /z/\n");
	write_file(temp_path("dir/notes.txt"), "body N /n/\n");
	write_file(temp_path("dir/.hidden.cf"), "body H /h/\n");
	write_file(temp_path("dir/x.cf.bak"), "body X /x/\n");
	rule_file = rule_file_new(NULL);
	test_require(rule_file_load_directory(rule_file, temp_path("dir"),
	    &error) == 0);
	directives = rule_file_directives(rule_file, &count);
	test_require(count == 4);
	test_assert_string(directives[0]->rule_name, "A");
	test_assert_string(directives[1]->rule_name, "B");
	test_assert_string(directives[2]->rule_name, "B");
	test_assert_string(directives[3]->rule_name, "Z");
	test_assert(rule_file_rule_score(rule_file_rule_find(rule_file, "B"),
	    0) == 2);
	test_assert_int(rule_file_load_directory(rule_file,
	    temp_path("nonexistent"), &error), -1);
	test_assert(strstr(error, "cannot open directory") != NULL);
	test_assert_int(rule_file_load(rule_file, temp_path("nonexistent.cf"),
	    &error), -1);
	test_assert(strstr(error, "No such file") != NULL);
	test_assert_int(rule_file_load(rule_file, temp_path("dir"), &error),
	    -1);
	test_assert(strstr(error, "not a regular file") != NULL);
	rule_file_free(&rule_file);
}

static void
test_rule_file_limits(void)
{
	struct rule_file_options options = {
		.limits = {
			.line_max = 32,
			.file_max = 64,
			.nesting_max = 2,
			.directives_max = 3,
			.diagnostics_max = 4,
		},
	};
	const struct rule_file_diagnostic *const *diagnostics;
	const struct rule_file_directive *const *directives;
	struct rule_file *rule_file;
	const char *error;
	char big[100];
	size_t count;

	/* Overlong lines (also the last one, without LF), nesting. */
	rule_file = read_string(&options, "t.cf",
	    "body A /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/\nbody B /b/\n"
	    "if 1\nif 1\nif 1\nbody C /c/\nelse\nbody D /d/\nendif\n"
	    "body E /e/\nendif\nendif\nbody F /xxxxxxxxxxxxxxxxxxxxxxxxxxxxx/",
	    TRICKLE_RANDOM);
	directives = rule_file_directives(rule_file, &count);
	test_require(count == 2);
	test_assert_string(directives[0]->rule_name, "B");
	test_assert_string(directives[1]->rule_name, "E");
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_require(count == 3);
	test_assert_string(diagnostics[0]->message, "t.cf:1: line longer "
	    "than 32 bytes (skipped)");
	test_assert_string(diagnostics[1]->message, "t.cf:5: 'if' nested "
	    "deeper than 2: the block is skipped");
	test_assert_string(diagnostics[2]->message, "t.cf:13: line longer "
	    "than 32 bytes (skipped)");
	rule_file_free(&rule_file);

	/* Directive and diagnostic caps. */
	rule_file = read_string(&options, "t.cf",
	    "x1\nbody A /a/\nx2\nbody B /b/\nbody C /c/\nbody D /d/\nx3\nx4\n"
	    "x5\n", TRICKLE_WHOLE);
	(void)rule_file_directives(rule_file, &count);
	test_assert_int(count, 3);
	test_assert(rule_file_rule_find(rule_file, "D") == NULL);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_assert_int(count, 4);
	test_assert_int(rule_file_diagnostic_total(rule_file), 6);
	test_assert_string(diagnostics[2]->message, "t.cf:6: more than 3 "
	    "directives: this and later ones are dropped");
	rule_file_free(&rule_file);

	/* Files larger than file_max are refused, included or loaded. */
	memset(big, '#', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	write_file(temp_path("big.cf"), big);
	rule_file = read_string(&options, temp_path("fed.cf"),
	    "include big.cf\n", TRICKLE_WHOLE);
	diagnostics = rule_file_diagnostics(rule_file, &count);
	test_require(count == 1);
	test_assert(strstr(diagnostics[0]->message, "big.cf' is larger than "
	    "64 bytes (skipped)") != NULL);
	test_assert_int(rule_file_load(rule_file, temp_path("big.cf"),
	    &error), -1);
	test_assert(strstr(error, "larger than 64 bytes") != NULL);
	rule_file_free(&rule_file);
}

static void
test_rule_file_misuse(void)
{
	struct rule_file *rule_file = rule_file_new(NULL);
	const char *error = NULL;

	test_assert_int(rule_file_feed(rule_file, "x", 1, &error), -1);
	test_assert(error != NULL);
	test_assert_int(rule_file_end(rule_file, &error), -1);
	rule_file_begin(rule_file, "t.cf");
	test_assert_int(rule_file_feed(rule_file, "body A /a/", 10, &error),
	    0);
	test_assert_int(rule_file_load(rule_file, "t.cf", &error), -1);
	/* Freed with a file still open: the partial line is dropped. */
	rule_file_free(&rule_file);
	test_assert(rule_file == NULL);
	rule_file_free(&rule_file);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_file_text_cases),
		TEST_CASE(test_rule_file_if_expressions),
		TEST_CASE(test_rule_file_rule_merging),
		TEST_CASE(test_rule_file_settings),
		TEST_CASE(test_rule_file_settings_lists),
		TEST_CASE(test_rule_file_settings_uri_hosts),
		TEST_CASE(test_rule_file_includes),
		TEST_CASE(test_rule_file_include_cycles),
		TEST_CASE(test_rule_file_load_directory),
		TEST_CASE(test_rule_file_limits),
		TEST_CASE(test_rule_file_misuse),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
