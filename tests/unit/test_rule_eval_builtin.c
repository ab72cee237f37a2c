/* test_rule_eval_builtin.c: the built-in eval: tests (rule_eval_mime,
 * _html, _header, _body and rule_eval_builtin) on messages, one table
 * case per message with the rules expected to hit.
 *
 * The first table runs the stock rules that use these evals (taken
 * from SpamAssassin 4.0.1's rule files) over hand-made messages; its
 * expected hit lists are what SpamAssassin 4.0.1 reported for the same
 * messages and rules, so every case is a compatibility check. The other
 * cases cover settings (address lists, FreeMail, ok_locales) and the
 * helpers. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "lib/message.h"
#include "rules/rule_eval.h"
#include "rules/rule_eval_builtin.h"
#include "rules/ruleset.h"
#include "tests/unit/harness.h"
#include "tests/unit/rules_fixture.h"

struct eval_case {
	const char *message;
	const char *hits;	/* sorted, comma-separated */
};

/* Every rule of these tests must compile. */
static struct ruleset *
build(const char *name, const char *cf)
{
	struct ruleset *ruleset = rules_fixture_build(name, cf);
	size_t count;

	if (ruleset != NULL) {
		(void)ruleset_skipped(ruleset, &count);
		if (count != 0)
			test_fail(__FILE__, __LINE__, "%zu rules skipped, "
			    "first %s: %s", count,
			    ruleset_skipped(ruleset, &count)[0].rule,
			    ruleset_skipped(ruleset, &count)[0].reason);
	}
	return ruleset;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs ruleset over text; returns the hits sorted, as "A,B,C". */
static const char *
run(struct ruleset *ruleset, struct arena *arena, const char *text)
{
	struct rule_eval_input input = {
		.message = message_parse(arena, (const unsigned char *)text,
		    strlen(text), NULL),
	};
	struct rule_eval_result result;
	const char **names;
	struct buffer out;
	const char *list;
	size_t i;

	rule_eval_run(ruleset, arena, &input, &result);
	names = arena_array(arena, result.hit_count + 1, sizeof(*names));
	for (i = 0; i < result.hit_count; i++)
		names[i] = result.hits[i].rule->name;
	qsort(names, result.hit_count, sizeof(*names), compare_names);
	buffer_init(&out, 0);
	for (i = 0; i < result.hit_count; i++)
		ASSERT(buffer_printf(&out, "%s%s", i == 0 ? "" : ",",
		    names[i]) == 0);
	list = arena_strdup(arena, buffer_length(&out) > 0 ?
	    buffer_string(&out) : "");
	buffer_deinit(&out);
	return list;
}

static void
run_cases(const char *name, const char *cf, const struct eval_case *cases,
    size_t count)
{
	struct ruleset *ruleset = build(name, cf);
	struct arena *arena;
	size_t i;

	if (ruleset == NULL)
		return;
	for (i = 0; i < count; i++) {
		arena = arena_new("test", 0);
		test_assert_string(run(ruleset, arena, cases[i].message),
		    cases[i].hits);
		arena_free(&arena);
	}
	ruleset_unref(&ruleset);
}

static const char spamassassin_rules[] =
	"body MPART_ALT_DIFF eval:multipart_alternative_difference('99'"
	", '100')\nbody MPART_ALT_DIFF_COUNT eval:multipart_alternative"
	"_difference_count('3', '1')\nbody ZZ__TVD_SPACE_RATIO eval:tvd"
	"_vertical_words('0','10')\nbody MULTIPART_ALT_NON_TEXT eval:ch"
	"eck_ma_non_text()\nrawbody ZZ__MIME_BASE64 eval:check_for_mime"
	"('mime_base64_count')\nrawbody ZZ__MIME_QP eval:check_for_mime"
	"('mime_qp_count')\nrawbody MIME_BASE64_TEXT eval:check_for_mim"
	"e('mime_base64_encoded_text')\nbody MISSING_MIME_HB_SEP eval:c"
	"heck_msg_parse_flags('missing_mime_head_body_separator')\nbody"
	" MIME_HTML_MOSTLY eval:check_mime_multipart_ratio('0.00','0.01"
	"')\nbody MIME_HTML_ONLY eval:check_for_mime_html_only()\nrawbo"
	"dy MIME_QP_LONG_LINE eval:check_for_mime('mime_qp_long_line')"
	"\nrawbody ZZ__MIME_CHARSET_FARAWAY eval:check_for_mime('mime_f"
	"araway_charset')\nbody MIMEPART_LIMIT_EXCEEDED eval:check_for_"
	"mime('mimepart_limit_exceeded')\nbody URI_TRUNCATED eval:check"
	"_uri_truncated()\nheader ZZ__freemail_replyto eval:check_freem"
	"ail_replyto('replyto')\nheader ZZ__freemail_reply eval:check_f"
	"reemail_replyto('reply')\nheader FREEMAIL_FROM eval:check_free"
	"mail_from()\nheader FREEMAIL_ENVFROM_END_DIGIT eval:check_free"
	"mail_header('EnvelopeFrom', '\\d@')\nheader FREEMAIL_REPLYTO_E"
	"ND_DIGIT eval:check_freemail_header('Reply-To', '\\d@')\nheade"
	"r ZZ__freemail_hdr_replyto eval:check_freemail_header('Reply-T"
	"o')\nheader ZZ__FORGED_AOL_RCVD eval:check_for_fake_aol_relay_"
	"in_rcvd()\nheader ZZ__SUBJ_ILLEGAL_CHARS eval:check_illegal_ch"
	"ars('Subject','0.00','2')\nheader FROM_ILLEGAL_CHARS eval:chec"
	"k_illegal_chars('From','0.20','2')\nheader ZZ__HEAD_ILLEGAL_CH"
	"ARS eval:check_illegal_chars('ALL','0.010','2')\nheader ZZ__FO"
	"RGED_HOTMAIL_RCVD eval:check_for_forged_hotmail_received_heade"
	"rs()\nheader FORGED_HOTMAIL_RCVD2 eval:check_for_no_hotmail_re"
	"ceived_headers()\nheader ZZ__FORGED_EUDORAMAIL_RCVD eval:check"
	"_for_forged_eudoramail_received_headers()\nheader FORGED_YAHOO"
	"_RCVD eval:check_for_forged_yahoo_received_headers()\nheader F"
	"ORGED_GMAIL_RCVD eval:check_for_forged_gmail_received_headers("
	")\nheader ZZ__FORGED_JUNO_RCVD eval:check_for_forged_juno_rece"
	"ived_headers()\nheader SORTED_RECIPS eval:sorted_recipients()"
	"\nheader SUSPICIOUS_RECIPS eval:similar_recipients('0.65','und"
	"ef')\nheader MISSING_HEADERS eval:check_for_missing_to_header("
	")\nheader DATE_IN_PAST_03_06 eval:check_for_shifted_date('-6',"
	" '-3')\nheader DATE_IN_PAST_06_12 eval:check_for_shifted_date("
	"'-12', '-6')\nheader DATE_IN_PAST_12_24 eval:check_for_shifted"
	"_date('-24', '-12')\nheader DATE_IN_PAST_24_48 eval:check_for_"
	"shifted_date('-48', '-24')\nheader DATE_IN_PAST_96_XX eval:che"
	"ck_for_shifted_date('undef', '-96')\nheader DATE_IN_FUTURE_03_"
	"06 eval:check_for_shifted_date('3', '6')\nheader DATE_IN_FUTUR"
	"E_06_12 eval:check_for_shifted_date('6', '12')\nheader DATE_IN"
	"_FUTURE_12_24 eval:check_for_shifted_date('12', '24')\nheader "
	"DATE_IN_FUTURE_24_48 eval:check_for_shifted_date('24', '48')\n"
	"header DATE_IN_FUTURE_48_96 eval:check_for_shifted_date('48', "
	"'96')\nheader UNRESOLVED_TEMPLATE eval:check_unresolved_templa"
	"te()\nheader SUBJ_ALL_CAPS eval:subject_is_all_caps()\nheader "
	"LOCALPART_IN_SUBJECT eval:check_for_to_in_subject('user')\nhea"
	"der MSGID_OUTLOOK_INVALID eval:check_outlook_message_id()\nhea"
	"der HEADER_COUNT_CTYPE eval:check_header_count_range('Content-"
	"Type','2','999')\nheader ZZ__ENV_AND_HDR_FROM_MATCH eval:check"
	"_for_matching_env_and_hdr_from()\nbody HTML_MESSAGE eval:html_"
	"test('html')\nbody HTML_COMMENT_SAVED_URL eval:html_text_match"
	"('comment', '<!-- saved from url=\\(\\d{4}\\)')\nbody HTML_EMB"
	"EDS eval:html_test('embeds')\nbody HTML_EXTRA_CLOSE eval:html_"
	"range('closed_extra_ratio', '0.09', 'inf')\nbody HTML_FONT_SIZ"
	"E_LARGE eval:html_range('max_size', '5', '6')\nbody HTML_FONT_"
	"SIZE_HUGE eval:html_range('max_size', '6', 'inf')\nbody HTML_F"
	"ONT_LOW_CONTRAST eval:html_test('font_low_contrast')\nbody HTM"
	"L_FONT_FACE_BAD eval:html_test('font_face_bad')\nbody HTML_IMA"
	"GE_ONLY_04 eval:html_image_only('0000','0400')\nbody HTML_IMAG"
	"E_ONLY_08 eval:html_image_only('0400','0800')\nbody HTML_IMAGE"
	"_ONLY_12 eval:html_image_only('0800','1200')\nbody HTML_IMAGE_"
	"ONLY_16 eval:html_image_only('1200','1600')\nbody HTML_IMAGE_O"
	"NLY_20 eval:html_image_only('1600','2000')\nbody HTML_IMAGE_ON"
	"LY_24 eval:html_image_only('2000','2400')\nbody HTML_IMAGE_ONL"
	"Y_28 eval:html_image_only('2400','2800')\nbody HTML_IMAGE_ONLY"
	"_32 eval:html_image_only('2800','3200')\nbody HTML_IMAGE_RATIO"
	"_02 eval:html_image_ratio('0.000','0.002')\nbody HTML_IMAGE_RA"
	"TIO_04 eval:html_image_ratio('0.002','0.004')\nbody HTML_IMAGE"
	"_RATIO_06 eval:html_image_ratio('0.004','0.006')\nbody HTML_IM"
	"AGE_RATIO_08 eval:html_image_ratio('0.006','0.008')\nbody HTML"
	"_OBFUSCATE_05_10 eval:html_range('obfuscation_ratio','.05','.1"
	"')\nbody HTML_OBFUSCATE_10_20 eval:html_range('obfuscation_rat"
	"io','.1','.2')\nbody HTML_OBFUSCATE_20_30 eval:html_range('obf"
	"uscation_ratio','.2','.3')\nbody HTML_OBFUSCATE_90_100 eval:ht"
	"ml_range('obfuscation_ratio','.9','1.0')\nbody HTML_TAG_BALANC"
	"E_BODY eval:html_tag_balance('body', '!= 0')\nbody HTML_TAG_BA"
	"LANCE_HEAD eval:html_tag_balance('head', '!= 0')\nbody ZZ__HTM"
	"L_LINK_IMAGE eval:html_text_match('anchor', '<img>')\nbody ZZ_"
	"_HTML_LENGTH_0000_1024 eval:html_range('length', '0', '1024')"
	"\nbody ZZ__HTML_LENGTH_1024_1536 eval:html_range('length', '10"
	"24', '1536')\nbody ZZ__HTML_LENGTH_1536_2048 eval:html_range('"
	"length', '1536', '2048')\nbody ZZ__HTML_LENGTH_512 eval:html_e"
	"val('length', '< 512')\nbody ZZ__COMMENT_EXISTS eval:html_text"
	"_match('comment', '<!.*?>')\nbody ZZ__HTML_LENGTH_384 eval:htm"
	"l_eval('length', '< 384')\nbody ZZ__TAG_EXISTS_CENTER eval:htm"
	"l_tag_exists('center')\nbody ZZ__HTML_TITLE_120 eval:html_text"
	"_match('title', '.{120}')\nbody ZZ__HTML_TITLE_SUBJ_DIFF eval:"
	"html_title_subject_ratio('3.5')\nbody ZZ__MIME_ATTACHMENT eval"
	":check_for_mime('mime_attachment')\nrawbody ZZ__DC_IMG_HTML_RA"
	"TIO eval:image_to_text_ratio('all', '0.000', '0.015')\nbody ZZ"
	"__DC_IMG_TEXT_RATIO eval:image_to_text_ratio('all', '0.000', '"
	"0.008')\nbody ZZ__GIF_ATTACH_1 eval:image_count('gif','1','1')"
	"\nbody ZZ__GIF_ATTACH_2P eval:image_count('gif','2')\nbody ZZ_"
	"_PNG_ATTACH_1 eval:image_count('png','1','1')\nbody ZZ__PNG_AT"
	"TACH_2P eval:image_count('png','2')\nbody ZZ__JPEG_ATTACH_1 ev"
	"al:image_count('jpeg',1,1)\nbody ZZ__JPEG_ATTACH_2P eval:image"
	"_count('jpeg',2)\nbody ZZ__GIF_AREA_180K eval:pixel_coverage('"
	"gif','180000','475000')\nbody ZZ__PNG_AREA_180K eval:pixel_cov"
	"erage('png','180000','475000')\nbody ZZ__UPPERCASE_25_50 eval:"
	"check_for_uppercase('25', '50')\nbody ZZ__UPPERCASE_50_75 eval"
	":check_for_uppercase('50', '75')\nbody ZZ__UPPERCASE_75_100 ev"
	"al:check_for_uppercase('75', '100')\nheader ZZ__GATED_THROUGH_"
	"RCVD_REMOVER eval:gated_through_received_hdr_remover()\nheader"
	" ZZ__RATWARE_NAME_ID eval:check_ratware_name_id()\nheader RATW"
	"ARE_EFROM eval:check_ratware_envelope_from()\nbody ZZ__MIME_HT"
	"ML eval:check_for_mime_html()\nbody ZZ__TAG_EXISTS_BODY eval:h"
	"tml_tag_exists('body')\nbody ZZ__TAG_EXISTS_HEAD eval:html_tag"
	"_exists('head')\nbody ZZ__TAG_EXISTS_HTML eval:html_tag_exists"
	"('html')\nbody ZZ__TAG_EXISTS_META eval:html_tag_exists('meta'"
	")\nbody ZZ__TAG_EXISTS_STYLE eval:html_tag_exists('style')\nbo"
	"dy ZZ__TAG_EXISTS_SCRIPT eval:html_tag_exists('script')\nbody "
	"BASE64_LENGTH_78_79 eval:check_base64_length('78','79')\nbody "
	"BASE64_LENGTH_79_INF eval:check_base64_length('79')\nheader DA"
	"TE_IN_FUTURE_Q_PLUS eval:check_for_shifted_date('2920', 'undef"
	"')\nheader HEADER_COUNT_SUBJECT eval:check_header_count_range("
	"'Subject','2','999')\nheader HEADER_FROM_DIFFERENT_DOMAINS eva"
	"l:check_equal_from_domains()\nbody HTTPS_HTTP_MISMATCH eval:ch"
	"eck_https_http_mismatch('1','10')\nbody PP_MIME_FAKE_ASCII_TEX"
	"T eval:check_for_ascii_text_illegal()\nbody PP_TOO_MUCH_UNICOD"
	"E02 eval:check_abundant_unicode_ratio(0.02)\nbody PP_TOO_MUCH_"
	"UNICODE05 eval:check_abundant_unicode_ratio(0.05)\nheader T_DA"
	"TE_IN_FUTURE_96_Q eval:check_for_shifted_date('96', '2920')\nb"
	"ody T_TVD_MIME_EPI eval:check_msg_parse_flags('mime_epilogue_e"
	"xists')\nbody T_TVD_MIME_NO_HEADERS eval:check_msg_parse_flags"
	"('missing_mime_headers')\nheader ZZ__FREEMAIL_DISPTO eval:chec"
	"k_freemail_header('Disposition-Notification-To')\nheader ZZ__F"
	"ROM_ADDRLIST_BANKS eval:check_from_in_list('BANKS')\nheader ZZ"
	"__FROM_ADDRLIST_GOV eval:check_from_in_list('GOV')\nheader ZZ_"
	"_FROM_ADDRLIST_PAYPAL eval:check_from_in_list('PAYPAL')\nheade"
	"r ZZ__FROM_ADDRLIST_SUSPNTLD eval:check_from_in_list('SUSP_NTL"
	"D')\nbody ZZ__HTML_TAG_BALANCE_CENTER eval:html_tag_balance('c"
	"enter', '!= 0')\nbody ZZ__IMG_LE_300K eval:pixel_coverage('all"
	"',62500,300000)\nbody ZZ__KAM_BODY_LENGTH_LT_1024 eval:check_b"
	"ody_length('1024')\nbody ZZ__KAM_BODY_LENGTH_LT_128 eval:check"
	"_body_length('128')\nbody ZZ__KAM_BODY_LENGTH_LT_256 eval:chec"
	"k_body_length('256')\nbody ZZ__KAM_BODY_LENGTH_LT_512 eval:che"
	"ck_body_length('512')\nbody ZZ__KAM_HTML_FONT_INVALID eval:htm"
	"l_test('font_invalid_color')\nrawbody ZZ__MIME_QPC eval:check_"
	"for_mime('mime_qp_count')\nbody ZZ__ONE_IMG eval:image_count('"
	"all',1,1)\nheader ZZ__REPLYTO_ADDRLIST_SUSPNTLD eval:check_rep"
	"lyto_in_list('SUSP_NTLD')\nheader ZZ__freemail_mailreplyto eva"
	"l:check_freemail_header('Mail-Reply-To')\nheader ZZ__smf_freem"
	"ail_hdr_replyto eval:check_freemail_header('Reply-To:addr')\nf"
	"reemail_domains gmail.com yahoo.com hotmail.com aol.com juno.c"
	"om\nenlist_addrlist (PAYPAL) *@paypal.com *@paypal.co.uk *@*.p"
	"aypal.com\nenlist_addrlist (SUSP_NTLD) *@*.icu *@*.top\n";

static const struct eval_case spamassassin_cases[] = {
	/* b64_78 */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/plain\nContent-Transfer-Encoding: base6"
	    "4\n\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF"
	    "BQUFBQUFBQUFBQUFBQUFBQ\nQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	    "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ\nQUFBQUFBQUFBQUFBQ"
	    "UFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ"
	    "\n",
	    "BASE64_LENGTH_78_79,MIME_BASE64_TEXT"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_BASE64" },
	/* big_images */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/mixed; boundary=\"img\"\n\n--img\n"
	    "Content-Type: text/plain\n\nsee image\n--img\nContent-Type: "
	    "image/gif; name=\"big.gif\"\nContent-Transfer-Encoding: base"
	    "64\n\nR0lGODdh9AGQAQAAAAAAAAAAAAAAAAAAAAAAAAAA\n--img--\n",
	    "ZZ__DC_IMG_HTML_RATIO,ZZ__DC_IMG_TEXT_RATIO"
	    ",ZZ__GIF_AREA_180K,ZZ__GIF_ATTACH_1,ZZ__IMG_LE_300K"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_BASE64,ZZ__ONE_IMG" },
	/* body_upper */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\n\nTHIS IS A VERY L"
	    "OUD MESSAGE WITH MANY WORDS IN CAPITALS AND Few lower\nTHIS "
	    "IS A VERY LOUD MESSAGE WITH MANY WORDS IN CAPITALS AND Few l"
	    "ower\nTHIS IS A VERY LOUD MESSAGE WITH MANY WORDS IN CAPITAL"
	    "S AND Few lower\nTHIS IS A VERY LOUD MESSAGE WITH MANY WORDS"
	    " IN CAPITALS AND Few lower\nTHIS IS A VERY LOUD MESSAGE WITH"
	    " MANY WORDS IN CAPITALS AND Few lower\n",
	    "ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__UPPERCASE_75_100" },
	/* body_vertical */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\n\nh e l l o w o r "
	    "l d t h i s i s s p a c e d\nnormal line here\n",
	    "ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* eudora */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <joe@eudoramail.com>\nTo: bob@example."
	    "com\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:0"
	    "0:00 +0000\nMessage-ID: <abc@example.org>\n\nbody\n",
	    "ZZ__FORGED_EUDORAMAIL_RCVD,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* fm_body */
	{ "From: Joe <joe123@gmail.com>\nTo: b@example.com\nSubject: s"
	    "\n\nContact me at other456@yahoo.com now.\n",
	    "FORGED_GMAIL_RCVD,FREEMAIL_FROM"
	    ",ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__freemail_reply" },
	/* fm_replyto */
	{ "Return-Path: <joe1@gmail.com>\nFrom: Joe <joe1@gmail.com>\nR"
	    "eply-To: jack2@yahoo.com\nTo: b@example.com\nSubject: s\n\nb"
	    "ody\n",
	    "FORGED_GMAIL_RCVD,FREEMAIL_ENVFROM_END_DIGIT,FREEMAIL_FROM"
	    ",FREEMAIL_REPLYTO_END_DIGIT,ZZ__ENV_AND_HDR_FROM_MATCH"
	    ",ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__freemail_hdr_replyto,ZZ__freemail_reply"
	    ",ZZ__freemail_replyto,ZZ__smf_freemail_hdr_replyto" },
	/* hdr_aol */
	{ "Received: from rly-xa01.mx.aol.com (x [192.0.2.1]) by mx.exa"
	    "mple.com; Mon, 2 Sep 2002 10:00:00 +0000\nFrom: a@example.or"
	    "g\nTo: b@example.com\nSubject: s\n\nbody\n",
	    "ZZ__FORGED_AOL_RCVD,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_envdomain */
	{ "Return-Path: <bounce@lists.other.net>\nFrom: a@mail.example."
	    "org\nTo: b@example.com\nSubject: s\n\nbody\n",
	    "HEADER_FROM_DIFFERENT_DOMAINS"
	    ",ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_gated */
	{ "Mailing-List: contact list-help@example.org; run by ezmlm\nD"
	    "elivered-To: mailing list list@example.org\nReceived: (qmail"
	    " 1234 invoked by uid 99); 2 Sep 2002 10:00:00 -0000\nFrom: a"
	    "@example.org\nTo: b@example.com\nSubject: s\n\nbody\n",
	    "ZZ__GATED_THROUGH_RCVD_REMOVER,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_hotmail */
	{ "Received: from mail.hotmail.com (bogus.example.net [192.0.2."
	    "9]) by mx.example.com; Mon, 2 Sep 2002 10:00:00 +0000\nFrom:"
	    " someone@hotmail.com\nTo: b@example.com\nSubject: s\nDate: M"
	    "on, 2 Sep 2002 10:00:00 +0000\n\nbody\n",
	    "FREEMAIL_FROM,ZZ__FORGED_HOTMAIL_RCVD"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_illegal */
	{ "From: \"N\351\351\351 \377\" <a@example.org>\nTo: b@example."
	    "com\nSubject: S\351\351 \001\002 h\nDate: Mon, 2 Sep 2002 10"
	    ":00:00 +0000\n\nbody\n",
	    "ZZ__GATED_THROUGH_RCVD_REMOVER,ZZ__HEAD_ILLEGAL_CHARS"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__SUBJ_ILLEGAL_CHARS" },
	/* hdr_lists */
	{ "From: service@paypal.com\nReply-To: x@foo.icu\nTo: b@example"
	    ".com\nSubject: s\n\nbody\n",
	    "ZZ__FROM_ADDRLIST_PAYPAL,ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__REPLYTO_ADDRLIST_SUSPNTLD" },
	/* hdr_nodate_rcvd */
	{ "From: x@example.org\nSubject: no headers\n\nbody\n",
	    "MISSING_HEADERS,ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_outlook */
	{ "Received: from a (a [192.0.2.1]) by b with SMTP; Mon, 2 Sep "
	    "2002 10:00:00 +0000\nFrom: a@example.org\nTo: b@example.com"
	    "\nDate: Mon, 2 Sep 2002 10:00:00 +0000\nMessage-ID: <000801c"
	    "25280$12345678$0100a8c0@pc>\nSubject: outlook\n\nbody\n",
	    "ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__TVD_SPACE_RATIO" },
	/* hdr_past */
	{ "Received: from a (a [192.0.2.1]) by b with SMTP; Mon, 9 Sep "
	    "2002 10:00:00 +0000\nFrom: a@example.org\nTo: b@example.com"
	    "\nDate: Mon, 2 Sep 2002 10:00:00 EST\nSubject: past\n\nbody"
	    "\n",
	    "DATE_IN_PAST_96_XX,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_ratware */
	{ "From: \"Joe\" <joe@example.org>\nTo: b@example.com\nMessage-"
	    "ID: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.joe@example.org>\nSubject:"
	    " s\n\nbody\n",
	    "ZZ__GATED_THROUGH_RCVD_REMOVER,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__RATWARE_NAME_ID" },
	/* hdr_recips */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: aaron@example"
	    ".com, abe@example.com, adam@example.com, al@example.com, ala"
	    "n@example.com, albert@example.com, alex@example.com, alf@exa"
	    "mple.com\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002"
	    " 10:00:00 +0000\nMessage-ID: <abc@example.org>\n\nbody\n",
	    "SORTED_RECIPS,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_shifted */
	{ "Received: from a (a [192.0.2.1]) by b with SMTP; Mon, 2 Sep "
	    "2002 10:00:00 +0000\nFrom: a@example.org\nTo: b@example.com"
	    "\nDate: Mon, 2 Sep 2002 22:00:00 +0000\nSubject: future\n\nb"
	    "ody\n",
	    "DATE_IN_FUTURE_12_24,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__TVD_SPACE_RATIO" },
	/* hdr_template */
	{ "From: a@example.org\nTo: b@example.com\nX-Mailer: %MAILER_NA"
	    "ME\nSubject: s\n\nbody\n",
	    "UNRESOLVED_TEMPLATE,ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_tosubj */
	{ "From: a@example.org\nTo: bob@example.com\nSubject: bob, you "
	    "won\nDate: Mon, 2 Sep 2002 10:00:00 +0000\n\nbody\n",
	    "LOCALPART_IN_SUBJECT,ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* hdr_tosubj_addr */
	{ "From: a@example.org\nTo: bob@example.com\nSubject: hi bob@ex"
	    "ample.com friend\nDate: Mon, 2 Sep 2002 10:00:00 +0000\n\nbo"
	    "dy\n",
	    "ZZ__GATED_THROUGH_RCVD_REMOVER,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__TVD_SPACE_RATIO" },
	/* hdr_yahoo */
	{ "Return-Path: <bounce99@hotmail.com>\nReceived: from bogus.ex"
	    "ample.net by mx.example.com; Mon, 2 Sep 2002 10:00:00 +0000"
	    "\nFrom: someone@yahoo.com\nReply-To: other99@gmail.com\nTo: "
	    "b@example.com\nSubject: s\nDate: Mon, 2 Sep 2002 10:00:00 +0"
	    "000\n\nWrite to me at friend123@aol.com or reply.\n",
	    "FORGED_YAHOO_RCVD,FREEMAIL_ENVFROM_END_DIGIT,FREEMAIL_FROM"
	    ",FREEMAIL_REPLYTO_END_DIGIT,HEADER_FROM_DIFFERENT_DOMAINS"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__freemail_hdr_replyto,ZZ__freemail_reply"
	    ",ZZ__freemail_replyto,ZZ__smf_freemail_hdr_replyto" },
	/* html1 */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><head><title>A title that"
	    " is rather long for this subject line here ok</title></head>"
	    "<body><font size=7 color=red>BIG</font><!-- comment --><a hr"
	    "ef=\"http://a.example.com/\"><img src=x width=10 height=20><"
	    "/a><center>c</center></body></html>\n",
	    "HTML_FONT_SIZE_HUGE,HTML_IMAGE_ONLY_04,HTML_MESSAGE"
	    ",HTML_OBFUSCATE_05_10,MIME_HTML_ONLY,ZZ__COMMENT_EXISTS"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__HTML_LINK_IMAGE"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_HTML"
	    ",ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_CENTER"
	    ",ZZ__TAG_EXISTS_HEAD,ZZ__TAG_EXISTS_HTML" },
	/* html_badtags */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body><foo><bar><baz><qux"
	    ">text</qux></baz></bar></foo></body></html>\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_charset */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><head><meta http-equiv=\""
	    "Content-Type\" content=\"text/html; charset=big5\"></head><b"
	    "ody>text</body></html>\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HEAD"
	    ",ZZ__TAG_EXISTS_HTML,ZZ__TAG_EXISTS_META" },
	/* html_comments */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><!--[if gte mso 9]>x<![en"
	    "dif]--><!doctype html><!x><!-- saved from url=(0022)http://i"
	    "nternet.e-mail --><![if !vml]>y<![endif]><body>z</body></htm"
	    "l>\n",
	    "HTML_COMMENT_SAVED_URL,HTML_MESSAGE,HTML_OBFUSCATE_10_20"
	    ",MIME_HTML_ONLY,ZZ__COMMENT_EXISTS"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_extra_close */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body></b></b></i></i></u"
	    "></u>text</body></body></html>\n",
	    "HTML_EXTRA_CLOSE,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_HTML"
	    ",ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_form */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body><form action=\"mail"
	    "to:x@example.com\"><input name=a></form><embed src=x><object"
	    " data=y></object><bgsound src=z></body></html>\n",
	    "HTML_EMBEDS,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_https */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body><a href=\"http://ev"
	    "il.example.net/login\">https://www.paypal.com/login</a> <a h"
	    "ref=\"http://other.example.org/\">x</a></body></html>\n",
	    "HTML_MESSAGE,HTTPS_HTTP_MISMATCH,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_imgonly */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body><img src=\"http://x"
	    ".example.com/a.gif\" width=600 height=400></body></html>\n",
	    "HTML_IMAGE_ONLY_04,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_HTML"
	    ",ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_lowcontrast */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body bgcolor=white><font"
	    " color=\"#fefefe\">hidden words here</font> visible <font co"
	    "lor=\"notacolor\">bad</font> <font face=\"@@@\">x</font></bo"
	    "dy></html>\n",
	    "HTML_FONT_FACE_BAD,HTML_FONT_LOW_CONTRAST,HTML_MESSAGE"
	    ",MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__KAM_HTML_FONT_INVALID"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_obfu */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body>vi<b>ag</b>ra and c"
	    "i<i>al</i>is and more te<b>x</b>t here</body></html>\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_script */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><script>var a = '<b>';</s"
	    "cript><body><title>t1</title><title>t2 longer</title><p>Para"
	    "</p><br/><img src=a/>done</body></html>\n",
	    "HTML_IMAGE_ONLY_04,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML"
	    ",ZZ__TAG_EXISTS_SCRIPT" },
	/* html_style */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><body><div style=\"color:"
	    " rgb(255,255,255); background-color: #ffffff\">invisible tex"
	    "t</div><span style=\"display:none\">none</span><p style=\"ba"
	    "ckground: url(x.gif) #000000\"><font color=black>black on bl"
	    "ack</font></p></body></html>\n",
	    "HTML_FONT_LOW_CONTRAST,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* html_unclosed */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/html\n\n<html><head><style>body {color:"
	    " red}\n<body>Some <b>text <a href=\"x\n",
	    "HTML_MESSAGE,HTML_TAG_BALANCE_HEAD,MIME_HTML_ONLY"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__HTML_LENGTH_384"
	    ",ZZ__HTML_LENGTH_512,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_HTML"
	    ",ZZ__TAG_EXISTS_HEAD,ZZ__TAG_EXISTS_HTML"
	    ",ZZ__TAG_EXISTS_STYLE" },
	/* images */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/related; boundary=\"img\"\n\n--img"
	    "\nContent-Type: text/html\n\n<html><body><img src=\"cid:a\">"
	    " short</body></html>\n--img\nContent-Type: image/gif; name="
	    "\"a.gif\"\nContent-Transfer-Encoding: base64\nContent-Dispos"
	    "ition: inline; filename=\"a.gif\"\n\nR0lGODlhZAAyAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAA\n--img\nContent-Type: image/png; name="
	    "\"b.png\"\nContent-Transfer-Encoding: base64\nContent-Dispos"
	    "ition: inline; filename=\"b.png\"\n\niVBORw0KGgoAAAANSUhEUgA"
	    "AASwAAADICAIAAAAAAAAAAAAAAElFTkQAAAAA\n--img\nContent-Type: "
	    "image/jpeg; name=\"c.jpg\"\nContent-Transfer-Encoding: base6"
	    "4\nContent-Disposition: inline; filename=\"c.jpg\"\n\n/9j/4A"
	    "AQSkZJRgAAAAAAAAAAAAD/wAARCAHgAoADAAAAAAAAAAAA/9k=\n--img\nC"
	    "ontent-Type: image/gif; name=\"d.gif\"\nContent-Transfer-Enc"
	    "oding: base64\nContent-Disposition: inline; filename=\"d.gif"
	    "\"\n\nR0lGODlhZAAyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--img--"
	    "\n",
	    "HTML_IMAGE_ONLY_04,HTML_MESSAGE,MIME_HTML_ONLY"
	    ",ZZ__DC_IMG_HTML_RATIO,ZZ__DC_IMG_TEXT_RATIO"
	    ",ZZ__GIF_ATTACH_2P,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512,ZZ__JPEG_ATTACH_1"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__MIME_BASE64,ZZ__MIME_HTML"
	    ",ZZ__PNG_ATTACH_1,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* juno */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <joe@juno.com>\nTo: bob@example.com\nS"
	    "ubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00:00 +"
	    "0000\nMessage-ID: <abc@example.org>\n\nbody\n",
	    "FREEMAIL_FROM,ZZ__FORGED_JUNO_RCVD"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* mime_alt */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--"
	    "b1\nContent-Type: text/plain; charset=us-ascii\n\nhello worl"
	    "d this is text\n\n--b1\nContent-Type: text/html\nContent-Tra"
	    "nsfer-Encoding: quoted-printable\n\n<html><body>hello world="
	    "20this is html with many more words than the plain text vers"
	    "ion has at all x=3Dy abcdefghij abcdefghij abcdefghij abcdef"
	    "ghij abcdefghij abcdefghij abcdefghij=\nend</body></html>\n"
	    "\n--b1--\n",
	    "HTML_MESSAGE,MIME_QP_LONG_LINE,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__MIME_QP,ZZ__MIME_QPC"
	    ",ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* mime_alt_nontext */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--"
	    "b1\nContent-Type: text/plain\n\nhi\n--b1\nContent-Type: appl"
	    "ication/octet-stream\nContent-Transfer-Encoding: base64\n\na"
	    "GVsbG8=\n--b1--\n\nepilogue text here\n",
	    "MULTIPART_ALT_NON_TEXT,T_TVD_MIME_EPI"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_BASE64" },
	/* mime_ascii_illegal */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/plain; charset=us-ascii\n\nhello caf"
	    "\351 world\n",
	    "PP_MIME_FAKE_ASCII_TEXT,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* mime_b64text */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/plain\nContent-Transfer-Encoding: base6"
	    "4\n\naGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgaGVsbG8gd29"
	    "ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgaGVsbG8gd29ybGQsIHRoaXMgaXM"
	    "gYmFzZTY0IHRleHQgaGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQ"
	    "gaGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgaGVsbG8gd29ybGQ"
	    "sIHRoaXMgaXMgYmFzZTY0IHRleHQgaGVsbG8gd29ybGQsIHRoaXMgaXMgYmF"
	    "zZTY0IHRleHQgaGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgaGV"
	    "sbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQgaGVsbG8gd29ybGQsIHR"
	    "oaXMgaXMgYmFzZTY0IHRleHQg\n",
	    "BASE64_LENGTH_79_INF,MIME_BASE64_TEXT"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_BASE64" },
	/* mime_htmlonly */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nCo"
	    "ntent-Type: text/html; charset=koi8-r\n\n<p>hello</p>\n--zz"
	    "\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Dis"
	    "position: attachment; filename=\"a.pdf\"\nContent-Transfer-E"
	    "ncoding: base64\n\nJVBERi0=\n--zz--\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_ATTACHMENT"
	    ",ZZ__MIME_BASE64,ZZ__MIME_HTML" },
	/* mime_qp_long */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/plain\nContent-Transfer-Encoding: quote"
	    "d-printable\n\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=3D=2"
	    "0=20\n=E9=E8=E7=E6=E5=E4=E3=E2 =E9=E8=E7=E6=E5=E4=E3=E2 =E9="
	    "E8=E7=E6=E5=E4=E3=E2 \n",
	    "MIME_QP_LONG_LINE,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* mime_unicode */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: text/plain\n\n&#x0041;&#x0042;&#x0043;&#x004"
	    "4;&#x0045;&#x0046; some &#x4F60;&#x597D; text\n",
	    "PP_TOO_MUCH_UNICODE02,PP_TOO_MUCH_UNICODE05"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* mpart_diff */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/alternative; boundary=\"q\"\n\n--q"
	    "\nContent-Type: text/plain\n\nhello\n--q\nContent-Type: text"
	    "/html\n\n<html><body><p>completely different words in this h"
	    "tml alternative only</p><p>completely different words in thi"
	    "s html alternative only</p><p>completely different words in "
	    "this html alternative only</p></body></html>\n--q--\n",
	    "HTML_MESSAGE,MPART_ALT_DIFF,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* mpart_mostly */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nMIME-Version: 1.0"
	    "\nContent-Type: multipart/alternative; boundary=\"q\"\n\n--q"
	    "\nContent-Type: text/plain\n\n\n--q\nContent-Type: text/html"
	    "\n\n<html><body><p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n<p>html words here</p>\n<p>html words here</"
	    "p>\n<p>html words here</p>\n<p>html words here</p>\n<p>html "
	    "words here</p>\n</body></html>\n--q--\n",
	    "HTML_MESSAGE,MIME_HTML_MOSTLY,MPART_ALT_DIFF"
	    ",ZZ__HTML_LENGTH_0000_1024,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__MIME_HTML,ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HTML" },
	/* outlook_bad */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <0008aabbccdd$12345678$0100a8c0@pc>\n"
	    "\nbody\n",
	    "MSGID_OUTLOOK_INVALID,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* ratware_efrom */
	{ "Return-Path: <example.com.bob@spammer.net>\nReceived: from m"
	    "x.example.org (mx.example.org [192.0.2.1]) by mail.example.c"
	    "om with ESMTP id abc; Mon, 2 Sep 2002 10:00:00 +0000\nFrom: "
	    "Alice <alice@example.org>\nTo: bob@example.com\nSubject: Hel"
	    "lo there friend\nDate: Mon, 2 Sep 2002 10:00:00 +0000\nMessa"
	    "ge-ID: <abc@example.org>\n\nbody\n",
	    "HEADER_FROM_DIFFERENT_DOMAINS,RATWARE_EFROM"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* recips_similar */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: jo1@aa.exampl"
	    "e, jo2@ab.example, jo3@ac.example, jo4@ad.example, jo5@ae.ex"
	    "ample\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10"
	    ":00:00 +0000\nMessage-ID: <abc@example.org>\n\nbody\n",
	    "SUSPICIOUS_RECIPS,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512" },
	/* title_ratio */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hi\nDate: Mon, 2 Sep 2002 10:00:00 +0000\nMessa"
	    "ge-ID: <abc@example.org>\nContent-Type: text/html\n\n<html><"
	    "head><title>A very long title for such a short subject</titl"
	    "e></head><body>x</body></html>\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,ZZ__HTML_LENGTH_0000_1024"
	    ",ZZ__HTML_LENGTH_384,ZZ__HTML_LENGTH_512"
	    ",ZZ__HTML_TITLE_SUBJ_DIFF,ZZ__KAM_BODY_LENGTH_LT_1024"
	    ",ZZ__KAM_BODY_LENGTH_LT_128,ZZ__KAM_BODY_LENGTH_LT_256"
	    ",ZZ__KAM_BODY_LENGTH_LT_512,ZZ__MIME_HTML"
	    ",ZZ__TAG_EXISTS_BODY,ZZ__TAG_EXISTS_HEAD"
	    ",ZZ__TAG_EXISTS_HTML" },
	/* tosubj_addr2 */
	{ "From: a@example.org\nTo: Bob <bob@example.com>\nSubject: Re:"
	    " bob\nDate: Mon, 2 Sep 2002 10:00:00 +0000\n\nbody\n",
	    "LOCALPART_IN_SUBJECT,ZZ__GATED_THROUGH_RCVD_REMOVER"
	    ",ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_128"
	    ",ZZ__KAM_BODY_LENGTH_LT_256,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* upper_low */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\n\nThis Is Some Tex"
	    "t With Capital Letters Starting Each Word Of It\nThis Is Som"
	    "e Text With Capital Letters Starting Each Word Of It\nThis I"
	    "s Some Text With Capital Letters Starting Each Word Of It\nT"
	    "his Is Some Text With Capital Letters Starting Each Word Of "
	    "It\nThis Is Some Text With Capital Letters Starting Each Wor"
	    "d Of It\nThis Is Some Text With Capital Letters Starting Eac"
	    "h Word Of It\n",
	    "ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512" },
	/* upper_mid */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\n\nTHIS IS Some Lou"
	    "d text with plenty OF CAPITALS in it and more WORDS\nTHIS IS"
	    " Some Loud text with plenty OF CAPITALS in it and more WORDS"
	    "\nTHIS IS Some Loud text with plenty OF CAPITALS in it and m"
	    "ore WORDS\nTHIS IS Some Loud text with plenty OF CAPITALS in"
	    " it and more WORDS\nTHIS IS Some Loud text with plenty OF CA"
	    "PITALS in it and more WORDS\nTHIS IS Some Loud text with ple"
	    "nty OF CAPITALS in it and more WORDS\n",
	    "ZZ__KAM_BODY_LENGTH_LT_1024,ZZ__KAM_BODY_LENGTH_LT_512"
	    ",ZZ__UPPERCASE_25_50" },
	/* uri_trunc */
	{ "Received: from mx.example.org (mx.example.org [192.0.2.1]) b"
	    "y mail.example.com with ESMTP id abc; Mon, 2 Sep 2002 10:00:"
	    "00 +0000\nFrom: Alice <alice@example.org>\nTo: bob@example.c"
	    "om\nSubject: Hello there friend\nDate: Mon, 2 Sep 2002 10:00"
	    ":00 +0000\nMessage-ID: <abc@example.org>\nContent-Type: text"
	    "/html\n\n<a href=\"http://example.com/aaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">x</a>\n",
	    "HTML_MESSAGE,MIME_HTML_ONLY,URI_TRUNCATED,ZZ__MIME_HTML" },
};

static void
test_rule_eval_builtin_spamassassin_cases(void)
{
	run_cases("spamassassin", spamassassin_rules, spamassassin_cases,
	    ARRAY_LENGTH(spamassassin_cases));
}

/* WLBLEval and FreeMail against the rule set's settings. */
static const char list_rules[] =
    "welcomelist_from *@friends.example\n"
    "blocklist_from spam?@*.example\n"
    "enlist_addrlist (BANKS) *@bank.example\n"
    "enlist_addrlist (welcomelist_to) me@example.com\n"
    "enlist_addrlist (blocklist_to) trap@example.com\n"
    "freemail_domains mailbox.org *.free.net\n"
    "freemail_welcomelist boss@mailbox.org\n"
    "header WELCOME eval:check_from_in_welcomelist()\n"
    "header WHITE eval:check_from_in_whitelist()\n"
    "header BLOCK eval:check_from_in_blocklist()\n"
    "header DEF_WELCOME eval:check_from_in_default_welcomelist()\n"
    "header BANK eval:check_from_in_list('BANKS')\n"
    "header BANK_REPLY eval:check_replyto_in_list('BANKS')\n"
    "header NO_LIST eval:check_from_in_list('NONE')\n"
    "header TO_WELCOME eval:check_to_in_welcomelist()\n"
    "header TO_BLOCK eval:check_to_in_blocklist()\n"
    "header FM_FROM eval:check_freemail_from()\n"
    "header FM_FROM_DIGIT eval:check_freemail_from('\\d@')\n"
    "header FM_REPLY eval:check_freemail_header('Reply-To')\n"
    "header FM_REPLYTO eval:check_freemail_replyto('replyto')\n"
    "body FM_BODY eval:check_freemail_body()\n"
    "welcomelist_subject *free money*\n"
    "blocklist_subject urgent?notice\n"
    "header SUBJECT_WELCOME eval:check_subject_in_welcomelist()\n"
    "header SUBJECT_BLOCK eval:check_subject_in_blacklist()\n"
    "enlist_uri_host (TESTLIST) example.net !good.example.net "
    "192.0.2.7\n"
    "blocklist_uri_host bad.example.org\n"
    "header URI_LISTED eval:check_uri_host_listed('TESTLIST')\n"
    "body URI_BLOCK eval:check_uri_host_in_blocklist()\n";

static const struct eval_case list_cases[] = {
	{ "From: Pal <pal@friends.example>\nTo: me@example.com\n\nhi\n",
	    "TO_WELCOME,WELCOME,WHITE" },
	{ "From: spam1@x.example\nTo: trap@example.com\n\nhi\n",
	    "BLOCK,TO_BLOCK" },
	/* '?' is one character; the whole address must match. */
	{ "From: spam12@x.example\n\nhi\n", "" },
	{ "From: Bank <alerts@BANK.example>\nReply-To: x@bank.example\n\nhi\n",
	    "BANK,BANK_REPLY" },
	/* Resent-From replaces the other senders. */
	{ "From: a@bank.example\nResent-From: b@other.example\n\nhi\n", "" },
	{ "From: joe7@mailbox.org\nReply-To: ann@a.free.net\n\n"
	    "write to bob@mailbox.org\n",
	    "FM_BODY,FM_FROM,FM_FROM_DIGIT,FM_REPLY,FM_REPLYTO" },
	/* Welcomelisted and role addresses are not freemail; '*' stays
	 * within one label. */
	{ "From: boss@mailbox.org\nReply-To: info@mailbox.org\n\nhi\n", "" },
	{ "From: x@a.b.free.net\n\nhi\n", "" },
	{ "From: Joe <joe@other.org>\n\nmail bob@mailbox.org now\n",
	    "FM_BODY" },
	/* An address in a link or before "Subject:" is not a body one; an
	 * address needs a known top-level domain. */
	{ "From: joe@other.org\n\nhttp://x.org/?to=bob@mailbox.org "
	    "bob@mailbox.org  Subject: x bob@mailbox.example\n", "" },
	/* Subject patterns match anywhere, '?' any one character. */
	{ "Subject: Get FREE Money now\n\nx\n", "SUBJECT_WELCOME" },
	{ "Subject: Re: URGENT-NOTICES\n\nx\n", "SUBJECT_BLOCK" },
	{ "Subject: urgent  notice\n\nx\n", "" },
	/* Link hosts: the most specific entry decides; an IP address
	 * only matches itself; mailto: links do not count. */
	{ "Subject: x\n\nhttp://www.sub.example.net/page\n",
	    "URI_LISTED" },
	{ "Subject: x\n\nhttp://a.good.example.net/ http://good.example.net/\n",
	    "" },
	{ "Subject: x\n\nhttp://192.0.2.7/x\n", "URI_LISTED" },
	{ "Subject: x\n\nhttp://192.0.2.8/x mailto:joe@example.net\n", "" },
	{ "Subject: x\nContent-Type: text/html\n\n"
	    "<a href=\"http://x.bad.example.org/\">x</a>\n", "URI_BLOCK" },
	/* Too many addresses in the body: FreeMail gives up on it. */
	{ "From: joe@other.org\n\na@mailbox.org b@mailbox.org "
	    "c@mailbox.org d@mailbox.org e@mailbox.org\n", "" },
};

static void
test_rule_eval_builtin_lists(void)
{
	run_cases("lists", list_rules, list_cases, ARRAY_LENGTH(list_cases));
}

/* ok_locales: charsets far from the allowed locales. */
static const char locale_rules[] =
    "ok_locales en\n"
    "header FARAWAY_HEADER eval:check_for_faraway_charset_in_headers()\n"
    "body FARAWAY eval:check_for_faraway_charset()\n"
    "body MIME_FARAWAY eval:check_for_mime('mime_faraway_charset')\n"
    "body HTML_FARAWAY eval:html_charset_faraway()\n";

static const struct eval_case locale_cases[] = {
	{ "Subject: =?big5?B?pKSk5Q==?=\n\nhi\n", "FARAWAY_HEADER" },
	{ "Subject: =?iso-8859-1?Q?caf=E9?=\n\nhi\n", "" },
	{ "Content-Type: text/plain; charset=koi8-r\n\n"
	    "\xf0\xf2\xe9\xf7\xe5\xf4 \xed\xe9\xf2\n",
	    "FARAWAY,MIME_FARAWAY" },
	/* Mostly ASCII text in a far charset is not "faraway". */
	{ "Content-Type: text/plain; charset=big5\n\nplain ascii text\n",
	    "MIME_FARAWAY" },
	/* HTML.pm never publishes <meta> charsets. */
	{ "Content-Type: text/html\n\n<meta http-equiv=Content-Type "
	    "content=\"text/html; charset=big5\">x\n", "" },
};

static const char all_locale_rules[] =
    "header FARAWAY_HEADER eval:check_for_faraway_charset_in_headers()\n"
    "body FARAWAY eval:check_for_faraway_charset()\n"
    "body MIME_FARAWAY eval:check_for_mime('mime_faraway_charset')\n";

static const struct eval_case all_locale_cases[] = {
	{ "Subject: =?big5?B?pKSk5Q==?=\n\nhi\n", "" },
	{ "Content-Type: text/plain; charset=koi8-r\n\n"
	    "\xf0\xf2\xe9\xf7\xe5\xf4 \xed\xe9\xf2\n", "" },
};

static void
test_rule_eval_builtin_locales(void)
{
	run_cases("locales", locale_rules, locale_cases,
	    ARRAY_LENGTH(locale_cases));
	/* The default, "all", never finds a charset far away. */
	run_cases("all_locales", all_locale_rules, all_locale_cases,
	    ARRAY_LENGTH(all_locale_cases));
}

/* Dates as Util::parse_rfc822_date() reads them, through the Date to
 * Received difference. */
static const char date_rules[] =
    "header FUTURE_3_6 eval:check_for_shifted_date('3', '6')\n"
    "header PAST_11_13 eval:check_for_shifted_date('-13', '-11')\n"
    "header PAST_24_48 eval:check_for_shifted_date('-48', '-24')\n"
    "header SAME eval:check_for_shifted_date('-1', '1')\n";

#define DATE_RECEIVED "Received: from a by b; Tue, 3 Sep 2002 " \
	"12:00:00 +0000\n"

static const struct eval_case date_cases[] = {
	{ DATE_RECEIVED "Date: Tue, 3 Sep 2002 16:00:00 +0000\n\nx\n",
	    "FUTURE_3_6" },
	/* A named zone; "EDT" is four hours behind. */
	{ DATE_RECEIVED "Date: Tue, 3 Sep 2002 12:00:00 EDT\n\nx\n",
	    "FUTURE_3_6" },
	/* asctime() order: the time goes with the date match, so the
	 * date is read as midnight (UTC). */
	{ DATE_RECEIVED "Date: Tue Sep  3 08:00:00 2002\n\nx\n",
	    "PAST_11_13" },
	/* A two-digit year. */
	{ DATE_RECEIVED "Date: 3 Sep 02 12:00 +0000\n\nx\n", "SAME" },
	/* Day 31 of September is the 1st of October. */
	{ DATE_RECEIVED "Date: 31 Sep 2002 12:00:00 +0000\n\nx\n", "" },
	/* The first word in capitals is the zone: here "MON", unknown,
	 * so the time is UTC. */
	{ DATE_RECEIVED "Date: MON, 02 SEP 2002 10:00:00 EST\n\nx\n",
	    "PAST_24_48" },
	/* Out of range times are clamped to 23:59:59. */
	{ DATE_RECEIVED "Date: 2 Sep 2002 25:61:99 (GMT)\n\nx\n",
	    "PAST_11_13" },
	/* "-DST" makes a zone name no zone. */
	{ DATE_RECEIVED "Date: 3 Sep 2002 12:00:00 CEST-DST\n\nx\n",
	    "SAME" },
	/* No date at all, day 0, or none in the Received fields: no
	 * shift. */
	{ DATE_RECEIVED "Date: someday\n\nx\n", "SAME" },
	{ DATE_RECEIVED "Date: 0 Sep 2002 10:00 +0000\n\nx\n", "SAME" },
	{ "Date: Tue, 3 Sep 2002 16:00:00 +0000\n\nx\n", "SAME" },
};

static void
test_rule_eval_builtin_dates(void)
{
	run_cases("dates", date_rules, date_cases, ARRAY_LENGTH(date_cases));
}

/* Expressions and arguments HTMLEval hands to Perl. */
static const char html_rules[] =
    "body BALANCE_BODY eval:html_tag_balance('body', '!= 0')\n"
    "body BALANCE_BAD_TAG eval:html_tag_balance('b-dy', '!= 0')\n"
    "body BALANCE_BAD_EXPR eval:html_tag_balance('body', 'x')\n"
    "body LENGTH_GE eval:html_eval('length', '>= 10')\n"
    "body RANGE_OPEN eval:html_range('max_size', '5')\n"
    "body RANGE_INF eval:html_range('max_size', '5', 'inf')\n"
    "body NO_SUCH eval:html_test('no_such_result')\n"
    "body TITLE_MATCH eval:html_text_match('title', '^Big')\n"
    "body TITLE_NOT eval:html_text_not_match('title', '^Big')\n"
    "body BAD_REGEX eval:html_text_match('title', '(')\n";

static const struct eval_case html_cases[] = {
	{ "Content-Type: text/html\n\n<body><title>Big</title>"
	    "<title>small</title><font size=6>x</font>\n",
	    "BALANCE_BODY,LENGTH_GE,RANGE_INF,RANGE_OPEN,TITLE_MATCH,"
	    "TITLE_NOT" },
	{ "Content-Type: text/html\n\n<body>x</body>\n", "LENGTH_GE" },
	/* No HTML part, no HTML tests. */
	{ "Content-Type: text/plain\n\n<body>x\n", "" },
	/* An attachment named .html is rendered as HTML. */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: application/octet-stream; name=\"a.html\"\n\n"
	    "<body><title>Big one</title>\n--b--\n",
	    "BALANCE_BODY,LENGTH_GE,TITLE_MATCH" },
};

static void
test_rule_eval_builtin_html(void)
{
	run_cases("html", html_rules, html_cases, ARRAY_LENGTH(html_cases));
}

/* MIME structure tests beyond the stock cases. */
static const char mime_rules[] =
    "body MA_NON_TEXT eval:check_ma_non_text()\n"
    "body EPILOGUE eval:check_msg_parse_flags('mime_epilogue_exists')\n"
    "body NO_HEADERS eval:check_msg_parse_flags('missing_mime_headers')\n"
    "body QP_RATIO eval:check_qp_ratio('0.3')\n"
    "body IMG_JPEG eval:image_count('jpeg', 1)\n"
    "body IMG_SIZE eval:image_size_exact('png', '2', '3')\n"
    "body IMG_RANGE eval:image_size_range('all', '1', '1', '2', '3')\n"
    "body IMG_NAMED eval:image_named('dot.png')\n";

/* A 3x2 PNG, base64. */
#define PNG_BASE64 "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAA=\n"

static const struct eval_case mime_cases[] = {
	{ "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nx\n--b\n"
	    "Content-Type: image/png; name=dot.png\n"
	    "Content-Transfer-Encoding: base64\n\n" PNG_BASE64 "--b--\n"
	    ". \n",
	    "IMG_NAMED,IMG_RANGE,IMG_SIZE,MA_NON_TEXT" },
	/* Nested parts and related ones are not a non-text alternative;
	 * text after the close delimiter is an epilogue. */
	{ "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nx\n--b\n"
	    "Content-Type: multipart/related; boundary=c\n\n--c\n"
	    "Content-Type: image/gif\n\nGIF\n--c--\n--b--\nbye\n",
	    "EPILOGUE" },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno header\n"
	    "--b--\n", "NO_HEADERS" },
	/* Only escapes of printable ASCII count, needless as they are. */
	{ "Content-Type: text/plain\nContent-Transfer-Encoding: "
	    "quoted-printable\n\n=41=42=43=44\n", "QP_RATIO" },
	{ "Content-Type: text/plain\nContent-Transfer-Encoding: "
	    "quoted-printable\n\n=E9=E8=E7=C3=A9\n", "" },
	/* Images count only when base64 encoded. */
	{ "Content-Type: image/jpeg\n\n\xff\xd8\xff\xd9\n", "" },
};

static void
test_rule_eval_builtin_mime(void)
{
	run_cases("mime", mime_rules, mime_cases, ARRAY_LENGTH(mime_cases));
}

static void
test_rule_eval_builtin_helpers(void)
{
	static const char *const patterns[] = { "*@a.example",
		"x?z@b.example", "a(b@c" };

	test_assert(rule_eval_builtin_perl_number(" 12abc") == 12);
	test_assert(rule_eval_builtin_perl_number("0x10") == 0);
	test_assert(rule_eval_builtin_perl_number(".5") == 0.5);
	test_assert(rule_eval_builtin_perl_number("inf") > 1e300);
	test_assert(rule_eval_builtin_perl_number("word") == 0);
	test_assert(rule_eval_builtin_address_listed(patterns, 3,
	    "Joe@A.Example"));
	test_assert(!rule_eval_builtin_address_listed(patterns, 3,
	    "joe@a.example.org"));
	test_assert(rule_eval_builtin_address_listed(patterns, 3,
	    "xyz@b.example"));
	test_assert(!rule_eval_builtin_address_listed(patterns, 3,
	    "xz@b.example"));
	/* '(' in a pattern only matches '_'. */
	test_assert(rule_eval_builtin_address_listed(patterns, 3, "a_b@c"));
	test_assert(!rule_eval_builtin_address_listed(patterns, 3,
	    "a(b@cd"));
	test_assert(rule_eval_builtin_all_locales("all"));
	test_assert(rule_eval_builtin_all_locales(NULL));
	test_assert(!rule_eval_builtin_all_locales("en ja"));
	test_assert(rule_eval_builtin_charset_ok("ISO-8859-15", "en"));
	test_assert(rule_eval_builtin_charset_ok("3Dwindows-1252", "en"));
	test_assert(!rule_eval_builtin_charset_ok("big5", "en"));
	test_assert(rule_eval_builtin_charset_ok("big5", "en zh_TW"));
	test_assert(rule_eval_builtin_charset_ok("euc-jp", "ja"));
	test_assert(!rule_eval_builtin_charset_ok("koi8-r", "ja"));
	test_assert(rule_eval_builtin_regex("a(", false) == NULL);
	test_assert(rule_eval_builtin_regex("a/b!c#d", true) ==
	    rule_eval_builtin_regex("a/b!c#d", true));
	test_assert(rule_regex_match(rule_eval_builtin_regex("A/B!C#D",
	    true), "xa/b!c#dx", 9));
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_rule_eval_builtin_spamassassin_cases),
		TEST_CASE(test_rule_eval_builtin_lists),
		TEST_CASE(test_rule_eval_builtin_locales),
		TEST_CASE(test_rule_eval_builtin_dates),
		TEST_CASE(test_rule_eval_builtin_html),
		TEST_CASE(test_rule_eval_builtin_mime),
		TEST_CASE(test_rule_eval_builtin_helpers),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
