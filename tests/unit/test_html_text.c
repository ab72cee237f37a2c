/* test_html_text.c: unit tests for lib/html_text: rendering (entities,
 * broken markup, comments, raw-text elements, block breaks, tables),
 * hidden text by style and colour, collected facts and URI attributes,
 * and the limits on hostile input. */
#include "lib/arena.h"
#include "lib/html_text.h"
#include "tests/unit/harness.h"

struct render_case {
	const char *html;
	const char *text;
	const char *invisible; /* NULL: "" */
	const char *title;     /* NULL: "" */
};

static const struct render_case render_cases[] = {
	/* White space */
	{ "  Hello \n\t world  ", "Hello world", NULL, NULL },
	{ "a\r\n\r\nb", "a b", NULL, NULL },
	{ "a\xc2\xa0\xc2\xa0" "b", "a b", NULL, NULL },
	{ "", "", NULL, NULL },
	/* Named references */
	{ "&amp;&lt;&gt;&quot;&apos;&nbsp;x", "&<>\"' x", NULL, NULL },
	{ "&Eacute;&eacute;&EACUTE;", "\xc3\x89\xc3\xa9&EACUTE;", NULL,
	    NULL },
	{ "&euro;&hellip;&trade;&thetasym;&zwj;", "\xe2\x82\xac\xe2\x80\xa6"
	    "\xe2\x84\xa2\xcf\x91", NULL, NULL },
	{ "&copy 2024 &amp &AMP; &lt3", "\xc2\xa9 2024 & & <3", NULL, NULL },
	{ "&notin; &notit;", "\xe2\x88\x89 \xc2\xacit;", NULL, NULL },
	{ "&bogus; & &; &#; &#x; &#xg;", "&bogus; & &; &#; &#x; &#xg;", NULL,
	    NULL },
	/* Numeric references */
	{ "&#65;&#x42;&#X43;&#0068;&#69", "ABCDE", NULL, NULL },
	{ "&#150;&#x92;&#x81;", "\xe2\x80\x93\xe2\x80\x99\xc2\x81", NULL,
	    NULL },
	{ "&#x1F600;", "\xf0\x9f\x98\x80", NULL, NULL },
	{ "&#0;&#xD800;&#x110000;&#99999999999999;",
	    "&#0;&#xD800;&#x110000;&#99999999999999;", NULL, NULL },
	{ "a&#32;&#10;b", "a b", NULL, NULL },
	/* Zero-width characters are dropped, raw or as references */
	{ "vi&shy;a&#8203;g&zwnj;r\xe2\x80\x8b" "a\xef\xbb\xbf!", "viagra!",
	    NULL, NULL },
	{ "vi\xc2\xad" "agra \xe2\x80\x94 ok", "viagra \xe2\x80\x94 ok",
	    NULL, NULL },
	/* Broken and non-tags */
	{ "a < b and c > d", "a < b and c > d", NULL, NULL },
	{ "<3 love <", "<3 love <", NULL, NULL },
	{ "x</>y", "xy", NULL, NULL },
	{ "x</3 bogus>y", "xy", NULL, NULL },
	{ "a<b", "a", NULL, NULL },
	{ "before<a href='x>y</a> z", "before", NULL, NULL },
	{ "<p title=\"a>b\">text</p>", "text", NULL, NULL },
	{ "<a href=x/>link</a>", "link", NULL, NULL },
	{ "<div<div>x", "x", NULL, NULL },
	{ "a</br>b", "a\nb", NULL, NULL },
	{ "a</p>b", "a\n\nb", NULL, NULL },
	{ "a</div></span></td>b", "ab", NULL, NULL },
	/* Comments and their relatives */
	{ "vi<!-- x -->agra", "viagra", NULL, NULL },
	{ "a<!-->b<!--->c", "abc", NULL, NULL },
	{ "a<!-- -- - --->b<!-- x --!>c", "abc", NULL, NULL },
	{ "a<!-- never closed <p>b", "a", NULL, NULL },
	{ "<!DOCTYPE html>x<?xml version='1.0'?>y<![CDATA[z]]>w", "xyw",
	    NULL, NULL },
	{ "a<!", "a", NULL, NULL },
	/* Raw-text elements */
	{ "a<script>if (a<b) document.write('<p>x</p>')</script>b", "ab",
	    NULL, NULL },
	{ "<SCRIPT>x</ScRiPt >y", "y", NULL, NULL },
	{ "<script>a</scripts>b</script>c", "c", NULL, NULL },
	{ "a<script>never closed", "a", NULL, NULL },
	{ "<style>p { color: red }</style>t", "t", NULL, NULL },
	{ "x<iframe src=f>inside</iframe>y", "xy", NULL, NULL },
	{ "<textarea>a &amp; <b>b</b></textarea>", "a & <b>b</b>", NULL,
	    NULL },
	{ "<xmp><b>&amp;</b></xmp>after", "<b>&amp;</b>\n\nafter", NULL,
	    NULL },
	{ "<plaintext><b>x</b>&amp;", "<b>x</b>&amp;", NULL, NULL },
	/* Head and title */
	{ "<html><head><title>The &amp;  Title</title><meta charset=utf-8>"
	    "<link rel=x href=y></head><body>Body</body></html>", "Body",
	    NULL, "The & Title" },
	{ "<title>A</title>x<title>B</title>", "x", NULL, "A B" },
	{ "<head>dropped</head>shown", "shown", NULL, NULL },
	{ "<head><style>x</style><p>implied body", "implied body", NULL,
	    NULL },
	{ "text<head>more", "textmore", NULL, NULL },
	/* Blocks, lists and tables */
	{ "<p>one</p><p>two</p>", "one\n\ntwo", NULL, NULL },
	{ "<p>one<p>two", "one\n\ntwo", NULL, NULL },
	{ "a<br>b<br/>c<BR >d", "a\nb\nc\nd", NULL, NULL },
	{ "<div>a</div><div>b</div>", "a\nb", NULL, NULL },
	{ "a<span>b</span><b>c</b>", "abc", NULL, NULL },
	{ "<ul><li>x<li>y</ul>z", "x\ny\n\nz", NULL, NULL },
	{ "<h1>T</h1>body<hr>end", "T\n\nbody\n\nend", NULL, NULL },
	{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	    "a b\nc", NULL, NULL },
	{ "<table><tr><td>a<td>b<tr><td>c</table>d", "a b\nc\n\nd", NULL,
	    NULL },
	{ "<table><tr><td>x<table><tr><td>y</td><td>z</td></tr></table>"
	    "</td><td>w</td></tr></table>", "x\n\ny z\n\nw", NULL, NULL },
	{ "<pre>a\n  b\n\nc</pre>d", "a\nb\n\nc\n\nd", NULL, NULL },
	{ "x<img src=a.gif alt=\"Buy &amp; save\">y", "x Buy & save y", NULL,
	    NULL },
	{ "<o:p>x</o:p><Custom-Tag>y</custom-tag>", "xy", NULL, NULL },
	/* Hidden by style */
	{ "<div style=\"display:none\">secret</div>shown", "shown", "secret",
	    NULL },
	{ "<div style=\"DISPLAY : None !important\">s</div>v", "v", "s",
	    NULL },
	{ "<span style='visibility:hidden'>h<b style='visibility:visible'>"
	    "v</b></span>", "v", "h", NULL },
	{ "<span style='display:none'>h<b style='display:block'>still</b>"
	    "</span>", "", "hstill", NULL },
	{ "<p style=\"font-size:1px\">tiny</p>ok", "ok", "tiny", NULL },
	{ "<p style=\"font-size:0\">a<b style=\"font-size:12px\">b</b>"
	    "<i style=\"font-size:200%\">c</i></p>", "b", "ac", NULL },
	{ "<div style=\"font:0/0 a\">z</div>y", "y", "z", NULL },
	{ "<div hidden>h</div><template>t</template>v", "v", "h\nt", NULL },
	{ "<div style=\"mso-hide:all\">m</div><span style=\"opacity:0\">o"
	    "</span>", "", "m\no", NULL },
	{ "<div style=\"max-height:0;overflow:hidden\">o</div>"
	    "<div style=\"height:0\">spills</div>", "spills", "o", NULL },
	{ "<p style=\"display:none\">a<div>b</div>", "b", "a", NULL },
	{ "<o:p style=\"display:none\">x</o:p>y", "y", "x", NULL },
	/* Hidden by colour */
	{ "<font color=white>w</font>b", "b", "w", NULL },
	{ "<font color=\"#FEFEFE\">near</font><font color=\"#c0c0c0\">grey"
	    "</font>", "grey", "near", NULL },
	{ "<body bgcolor=\"#000\" text=\"#fff\"><font color=\"#010101\">hid"
	    "</font>vis</body>", "vis", "hid", NULL },
	{ "<body bgcolor=\"000000\">black on black</body>", "",
	    "black on black", NULL },
	{ "<table bgcolor=red><tr><td><font color=\"#ff0101\">r</font>"
	    "</td><td bgcolor=white>v</td></tr></table>", "v", "r", NULL },
	{ "<span style=\"color:#fff;background:#fff url(x.png)\">img</span>",
	    "img", NULL, NULL },
	{ "<div style=\"background-color: rgb(10, 20, 30)\"><span style="
	    "\"color: rgb(11,20,30)\">s</span></div>", "", "s", NULL },
	{ "<span style=\"color: rgba(0,0,0,0)\">t</span><span style=\"color:"
	    "transparent\">u</span>", "", "tu", NULL },
	{ "<font color=white><a href=x>link</a> plain</font>", "link",
	    "plain", NULL },
	{ "<body link=\"#ffffff\"><a href=x>l</a><a name=y>n</a>", "n", "l",
	    NULL },
	{ "<div style=\"color:white\">a<div style=\"background:black\">b"
	    "</div></div>", "b", "a", NULL },
};

static void
test_html_text_render_cases(void)
{
	const struct render_case *c;
	struct html_text *result;
	struct arena *arena;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(render_cases); i++) {
		c = &render_cases[i];
		arena = arena_new("test", 0);
		result = html_text_render(arena, c->html, strlen(c->html),
		    NULL);
		if (strcmp(result->text.data, c->text) != 0 ||
		    strcmp(result->invisible_text.data, c->invisible != NULL ?
		    c->invisible : "") != 0 || strcmp(result->title.data,
		    c->title != NULL ? c->title : "") != 0)
			test_fail(__FILE__, __LINE__, "case %zu \"%s\": text "
			    "\"%s\" invisible \"%s\" title \"%s\"", i, c->html,
			    result->text.data, result->invisible_text.data,
			    result->title.data);
		test_assert(strlen(result->text.data) == result->text.length);
		test_assert(result->text_bytes == result->text.length);
		test_assert(result->invisible_text_bytes ==
		    result->invisible_text.length);
		arena_free(&arena);
	}
}

static struct html_text *
render(struct arena *arena, const char *html,
    const struct html_text_limits *limits)
{
	return html_text_render(arena, html, strlen(html), limits);
}

static void
test_html_text_nul_bytes(void)
{
	static const char html[] = "a\0b<img alt=\"x\0y\" src=\"s\0t\">";
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = html_text_render(arena, html, sizeof(html) - 1, NULL);
	test_assert_string(result->text.data, "ab xy");
	test_require(result->uri_count == 1);
	test_assert_string(result->uris[0].value.data, "st");
	arena_free(&arena);
}

static void
test_html_text_counts(void)
{
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, "<html><body><p>Hi <b>you</b></p>"
	    "<foo>x</foo></zap><!-- c --><p>vi<!---->ag<!-- -->ra "
	    "&#86;&#x49;&#65;&#33;</p></body></html>", NULL);
	test_assert_string(result->text.data, "Hi you\n\nx\n\nviagra VIA!");
	/* html body p b /b /p foo /foo /zap p /p /body /html */
	test_assert_int(result->tag_count, 13);
	test_assert_int(result->unknown_tag_count, 3);
	test_assert_int(result->unmatched_end_tag_count, 1);
	test_assert_int(result->comment_count, 3);
	test_assert_int(result->comments_in_words, 2);
	test_assert_int(result->numeric_entity_alnum_count, 3);
	test_assert_int(result->flags, 0);
	arena_free(&arena);

	arena = arena_new("test", 0);
	result = render(arena, "<p>a <!-- x --> b</p>x<!-- -->\n y", NULL);
	test_assert_int(result->comments_in_words, 0);
	arena_free(&arena);
}

static void
test_html_text_low_contrast(void)
{
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, "plain <font color=\"#dddddd\">pale</font>",
	    NULL);
	test_assert_string(result->text.data, "plain pale");
	test_assert_int(result->low_contrast_text_bytes, 4);
	test_assert_int(result->invisible_text_bytes, 0);
	arena_free(&arena);
}

static void
test_html_text_images(void)
{
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, "<img src=a.gif width=100 height=\"50\">"
	    "<IMG SRC=\"b.png\" width=\"10px\" style=\"height: 20px\">"
	    "<img src=c.jpg width=\"50%\" height=10><img>", NULL);
	test_assert_int(result->image_count, 4);
	test_assert_int(result->image_area, 5000 + 200);
	test_assert_int(result->uri_count, 3);
	test_assert_string(result->text.data, "");
	arena_free(&arena);
}

static void
test_html_text_flags(void)
{
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, "<form action=\"/login\"><input type=PASSWORD "
	    "name=p><input type=image src=go.png></form><script src=s.js>"
	    "</script><iframe src=f.html></iframe><object data=o.swf>"
	    "</object><embed src=e.swf><frameset><frame src=fr.html>"
	    "</frameset><a href=x onclick=\"go()\">x</a>", NULL);
	test_assert_int(result->flags, HTML_TEXT_FORM | HTML_TEXT_SCRIPT |
	    HTML_TEXT_IFRAME | HTML_TEXT_OBJECT | HTML_TEXT_EMBED |
	    HTML_TEXT_FRAME | HTML_TEXT_PASSWORD_INPUT |
	    HTML_TEXT_EVENT_HANDLER);
	arena_free(&arena);

	arena = arena_new("test", 0);
	result = render(arena, "x<p", NULL);
	test_assert_int(result->flags, HTML_TEXT_UNCLOSED_TAG);
	arena_free(&arena);
	arena = arena_new("test", 0);
	result = render(arena, "x<!-- y", NULL);
	test_assert_int(result->flags, HTML_TEXT_UNCLOSED_COMMENT);
	arena_free(&arena);
}

struct expected_uri {
	const char *tag;
	const char *attribute;
	const char *value;
};

static void
test_html_text_uris(void)
{
	static const struct expected_uri expected[] = {
		{ "base", "href", "http://base.example/dir/" },
		{ "meta", "content", "http://refresh.example/" },
		{ "link", "href", "style.css" },
		{ "body", "background", "bg.jpg" },
		{ "a", "href", "http://example.com/?a=1&copy=2&b=\xc2\xa9" },
		{ "a", "href", "javascript:void(0)" },
		{ "img", "src", "http://img.example/x.gif" },
		{ "img", "lowsrc", "low.gif" },
		{ "area", "href", "map.html" },
		{ "form", "action", "http://phish.example/post" },
		{ "button", "formaction", "b.cgi" },
		{ "td", "background", "cell.png" },
		{ "blockquote", "cite", "http://cite.example/" },
		{ "video", "poster", "p.jpg" },
		{ "video", "src", "v.mp4" },
	};
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;
	size_t i;

	result = render(arena, "<head><base href=\" http://base.example/dir/ "
	    "\"><meta http-equiv=\"Refresh\" content=\"0; URL='http://"
	    "refresh.example/'\"><link rel=stylesheet href=style.css></head>"
	    "<body background=bg.jpg><a href=\"http://example.com/?a=1&copy=2"
	    "&amp;b=&copy;\">x</a><a href=\"javascript:void(0)\">j</a>"
	    "<img src=\"http://img.example/x.gif\" lowsrc=low.gif>"
	    "<map><area href=map.html></map><form action=\"http://"
	    "phish.example/post\"><button formaction=b.cgi>go</button></form>"
	    "<table><tr><td background=cell.png>c</td></tr></table>"
	    "<blockquote cite=\"http://cite.example/\">q</blockquote>"
	    "<video poster=p.jpg src=v.mp4></video><a name=anchor>n</a>",
	    NULL);
	test_assert_string(result->base_href.data, "http://base.example/dir/");
	test_assert(result->flags & HTML_TEXT_BASE);
	test_assert(result->flags & HTML_TEXT_META_REFRESH);
	test_require(result->uri_count == ARRAY_LENGTH(expected));
	for (i = 0; i < ARRAY_LENGTH(expected); i++) {
		test_assert_string(result->uris[i].tag, expected[i].tag);
		test_assert_string(result->uris[i].attribute,
		    expected[i].attribute);
		test_assert_string(result->uris[i].value.data,
		    expected[i].value);
		test_assert(result->uris[i].value.length ==
		    strlen(expected[i].value));
	}
	arena_free(&arena);
}

static void
test_html_text_truncation(void)
{
	struct html_text_limits limits = { .max_text = 5, .max_title = 3 };
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	/* "abcd" + "é" (2 bytes) does not fit in 5: cut before it. */
	result = render(arena, "<title>Title</title>abcd\xc3\xa9" "fgh",
	    &limits);
	test_assert_string(result->text.data, "abcd");
	test_assert_int(result->text_bytes, 9);
	test_assert_string(result->title.data, "Tit");
	test_assert(result->flags & HTML_TEXT_TRUNCATED);
	arena_free(&arena);

	limits = (struct html_text_limits){ .max_input = 6 };
	arena = arena_new("test", 0);
	result = render(arena, "<b>abcdef</b>", &limits);
	test_assert_string(result->text.data, "abc");
	test_assert_int(result->input_bytes, 6);
	test_assert(result->flags & HTML_TEXT_TRUNCATED);
	arena_free(&arena);
}

static void
test_html_text_uri_limits(void)
{
	struct html_text_limits limits = { .max_uris = 2,
		.max_attribute_value = 10 };
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, "<a href=1>a</a><a href=\"0123456789abc\">b</a>"
	    "<a href=3>c</a><a href=4>d</a>", &limits);
	test_require(result->uri_count == 2);
	test_assert_string(result->uris[0].value.data, "1");
	test_assert_string(result->uris[1].value.data, "0123456789");
	test_assert_int(result->uris_dropped, 2);
	test_assert(result->flags & HTML_TEXT_LONG_ATTRIBUTE);
	test_assert_string(result->text.data, "abcd");
	arena_free(&arena);
}

static void
test_html_text_huge_attribute(void)
{
	size_t length = 4 * 1024 * 1024, prefix;
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;
	char *html = malloc(length + 64);

	test_require(html != NULL);
	prefix = (size_t)sprintf(html, "<a href=\"http://example.com/");
	memset(html + prefix, 'x', length);
	strcpy(html + prefix + length, "\">link</a> after");
	result = render(arena, html, NULL);
	test_assert_string(result->text.data, "link after");
	test_require(result->uri_count == 1);
	test_assert_int(result->uris[0].value.length,
	    HTML_TEXT_DEFAULT_MAX_ATTRIBUTE_VALUE);
	test_assert(strncmp(result->uris[0].value.data, "http://example.com/",
	    19) == 0);
	test_assert(result->flags & HTML_TEXT_LONG_ATTRIBUTE);
	free(html);
	arena_free(&arena);
}

/* Hostile nesting: deep, unbalanced, and many stray end tags must stay
 * linear and within max_depth. */
static void
test_html_text_deep_nesting(void)
{
	struct html_text_limits limits = { .max_depth = 8 };
	size_t count = 200000, i, length = 0;
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;
	char *html = malloc(count * 27 + 64);

	test_require(html != NULL);
	for (i = 0; i < count; i++) {
		memcpy(html + length, "<div><font>", 11);
		length += 11;
	}
	memcpy(html + length, "deep", 4);
	length += 4;
	for (i = 0; i < count; i++) {
		memcpy(html + length, "</x></font>", 11);
		length += 11;
	}
	result = html_text_render(arena, html, length, &limits);
	test_assert_string(result->text.data, "deep");
	test_assert(result->flags & HTML_TEXT_DEEP_NESTING);
	test_assert_int(result->tag_count, 4 * count);
	test_assert_int(result->unmatched_end_tag_count, 2 * count - 3);
	arena_free(&arena);

	/* Past the default depth nothing more is tracked, and the text
	 * inside stays where the deepest tracked element put it. */
	arena = arena_new("test", 0);
	length = 0;
	for (i = 0; i < count; i++) {
		memcpy(html + length, "<span style=\"display:none\">", 27);
		length += 27;
	}
	memcpy(html + length, "x", 1);
	result = html_text_render(arena, html, length + 1, NULL);
	test_assert(result->flags & HTML_TEXT_DEEP_NESTING);
	test_assert_string(result->text.data, "");
	test_assert_string(result->invisible_text.data, "x");
	free(html);
	arena_free(&arena);
}

static void
test_html_text_all_elements_known(void)
{
	static const char html[] = "<a><abbr><acronym><address><applet>"
	    "<area><article><aside><audio><b><base><basefont><bdi><bdo>"
	    "<bgsound><big><blink><blockquote><body><br><button><canvas>"
	    "<caption><center><cite><code><col><colgroup><data><datalist><dd>"
	    "<del><details><dfn><dialog><dir><div><dl><dt><em><embed>"
	    "<fieldset><figcaption><figure><font><footer><form><frame>"
	    "<frameset><h1><h2><h3><h4><h5><h6><head><header><hgroup><hr>"
	    "<html><i><img><input><ins><isindex><kbd><keygen><label>"
	    "<legend><li><link><listing><main><map><mark><marquee><menu>"
	    "<menuitem><meta><meter><nav><nobr><noscript><object><ol>"
	    "<optgroup><option><output><p><param><picture><pre><progress>"
	    "<q><rb><rp><rt><rtc><ruby><s><samp><section><select><slot>"
	    "<small><source><span><strike><strong><sub><summary><sup><svg>"
	    "<table><tbody><td><template><tfoot><th><thead><time><tr><track>"
	    "<tt><u><ul><var><video><wbr>";
	struct arena *arena = arena_new("test", 0);
	struct html_text *result;

	result = render(arena, html, NULL);
	test_assert_int(result->unknown_tag_count, 0);
	test_assert_int(result->tag_count, 129);
	arena_free(&arena);
}

/* The reference decoder rendering uses, exposed for other tokenizers. */
static void
test_html_text_decode_references(void)
{
	static const struct {
		const char *text;
		bool in_attribute;
		const char *decoded;
	} cases[] = {
		{ "a &amp; b", false, "a & b" },
		{ "&#65;&#x42&#150;", false, "AB\xe2\x80\x93" },
		{ "caf&eacute; &copy2", false, "caf\xc3\xa9 \xc2\xa9" "2" },
		/* Legacy names are no reference in "?a=1&copy=2" style. */
		{ "x?a=1&copy=2", true, "x?a=1&copy=2" },
		{ "&copy 2", true, "\xc2\xa9" " 2" },
		{ "&bogus; &#0; &#xD800; & x", false,
		    "&bogus; &#0; &#xD800; & x" },
		{ "&#x10FFFF;\xe2\x80\x8b", false,
		    "\xf4\x8f\xbf\xbf\xe2\x80\x8b" },
		{ "", false, "" },
	};
	struct arena *arena = arena_new("test", 0);
	size_t i, length;
	const char *out;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		out = html_text_decode_references(arena, cases[i].text,
		    strlen(cases[i].text), cases[i].in_attribute, &length);
		test_assert_string(out, cases[i].decoded);
		test_assert_int(length, strlen(cases[i].decoded));
	}
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_html_text_render_cases),
		TEST_CASE(test_html_text_nul_bytes),
		TEST_CASE(test_html_text_counts),
		TEST_CASE(test_html_text_low_contrast),
		TEST_CASE(test_html_text_images),
		TEST_CASE(test_html_text_flags),
		TEST_CASE(test_html_text_uris),
		TEST_CASE(test_html_text_truncation),
		TEST_CASE(test_html_text_uri_limits),
		TEST_CASE(test_html_text_huge_attribute),
		TEST_CASE(test_html_text_deep_nesting),
		TEST_CASE(test_html_text_all_elements_known),
		TEST_CASE(test_html_text_decode_references),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
