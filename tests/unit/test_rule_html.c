/* test_rule_html.c: rules/rule_html against what SpamAssassin's
 * HTML.pm reports. The expected dumps of the table were produced by
 * Mail::SpamAssassin::HTML 4.0.1 (HTML::Parser 3.81) on the same inputs
 * and are kept verbatim. */
#include "lib/arena.h"
#include "lib/buffer.h"
#include "rules/rule_html.h"
#include "tests/unit/harness.h"

static void
put_escaped(struct buffer *out, struct string_view text)
{
	size_t i;

	for (i = 0; i < text.length; i++)
		ASSERT(text.data[i] == '\n' ?
		    buffer_append_string(out, "\\n") == 0 :
		    buffer_append(out, &text.data[i], 1) == 0);
}

static void
put_ratio(struct buffer *out, const struct rule_html *html, const char *name)
{
	double value;

	if (rule_html_value(html, name, &value))
		ASSERT(buffer_printf(out, " %s=%.15g", name, value) == 0);
	else
		ASSERT(buffer_printf(out, " %s=undef", name) == 0);
}

/* The facts in the format the expectations are written in. */
static const char *
dump(struct arena *arena, const struct rule_html *html)
{
	static const char *const flags[] = { "font_low_contrast",
		"font_invalid_color", "font_face_bad", "form_action_mailto",
		"embeds", "uri_truncated" };
	struct buffer out;
	const char *result;
	size_t i;

	buffer_init(&out, 0);
	ASSERT(buffer_printf(&out, "length=%zu html_length=%zu non_space=%zu "
	    "tags=%zu elements=%zu tags_seen=%zu elements_seen=%zu "
	    "closed_extra=%zu obfuscation=%zu max_size=%ld min_size=%ld "
	    "image_area=%g\n ratios:", html->length, html->text_length,
	    html->non_space_length, html->tags, html->elements,
	    html->tags_seen, html->elements_seen, html->closed_extra,
	    html->obfuscation, html->max_size, html->min_size,
	    html->image_area) == 0);
	put_ratio(&out, html, "closed_extra_ratio");
	put_ratio(&out, html, "bad_tag_ratio");
	put_ratio(&out, html, "non_element_ratio");
	put_ratio(&out, html, "obfuscation_ratio");
	ASSERT(buffer_append_string(&out, "\n flags:") == 0);
	for (i = 0; i < ARRAY_LENGTH(flags); i++)
		if (rule_html_test(html, flags[i]))
			ASSERT(buffer_printf(&out, " %s", flags[i]) == 0);
	ASSERT(buffer_append_string(&out, "\n inside:") == 0);
	for (i = 0; i < html->inside_count; i++)
		ASSERT(buffer_printf(&out, " %s=%ld", html->inside[i].name,
		    html->inside[i].count) == 0);
	ASSERT(buffer_append_string(&out, "\n comments:") == 0);
	for (i = 0; i < html->comment_count; i++) {
		ASSERT(buffer_append_string(&out, i > 0 ? " | " : " ") == 0);
		put_escaped(&out, html->comments[i]);
	}
	ASSERT(buffer_append_string(&out, "\n anchors:") == 0);
	for (i = 0; i < html->anchor_count; i++) {
		ASSERT(buffer_append_string(&out, i > 0 ? " | " : " ") == 0);
		put_escaped(&out, html->anchors[i].text);
	}
	ASSERT(buffer_append_string(&out, "\n titles:") == 0);
	for (i = 0; i < html->title_count; i++) {
		ASSERT(buffer_append_string(&out, i > 0 ? " | " : " ") == 0);
		put_escaped(&out, html->titles[i]);
	}
	ASSERT(buffer_append_string(&out, "\n text: [") == 0);
	put_escaped(&out, html->text);
	ASSERT(buffer_append_string(&out, "]\n") == 0);
	result = arena_strdup(arena, buffer_string(&out));
	buffer_deinit(&out);
	return result;
}

static const struct {
	const char *html;
	const char *dump;
} cases[] = {
	{ "<html><head><title>Hi</title></head><body><p>Hello <b>wor</b>l"
	    "d</p></body></html>",
	    "length=81 html_length=21 non_space=12 tags=12 elements=12 tags"
	    "_seen=6 elements_seen=6 closed_extra=0 obfuscation=1 max_size="
	    "3 min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_t"
	    "ag_ratio=0 non_element_ratio=0 obfuscation_ratio=0.08333333333"
	    "33333\n flags:\n inside: html=0 head=0 title=0 body=0 p=0 b=0"
	    "\n comments:\n anchors:\n titles: Hi\n text: [\\n\\nHi\\n\\n"
	    "\\n\\nHello world\\n\\n]\n" },
	{ "<HTML><BODY></b></b></i>text</BODY></BODY></HTML>",
	    "length=49 html_length=4 non_space=4 tags=8 elements=8 tags_see"
	    "n=4 elements_seen=4 closed_extra=4 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0.5 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags:"
	    "\n inside: html=0 body=0 b=0 i=0\n comments:\n anchors:\n titl"
	    "es:\n text: [text]\n" },
	{ "<font size=7>big</font><font size=-2>small</font><big><big><bi"
	    "g><big><font color=red>x</font></big></big></big></big>",
	    "length=117 html_length=9 non_space=9 tags=14 elements=14 tags_"
	    "seen=2 elements_seen=2 closed_extra=0 obfuscation=2 max_size=7"
	    " min_size=1 image_area=0\n ratios: closed_extra_ratio=0 bad_ta"
	    "g_ratio=0 non_element_ratio=0 obfuscation_ratio=0.142857142857"
	    "143\n flags:\n inside: font=0 big=0\n comments:\n anchors:\n t"
	    "itles:\n text: [bigsmallx]\n" },
	{ "<body bgcolor=white text=white>white on white</body>",
	    "length=52 html_length=14 non_space=12 tags=2 elements=2 tags_s"
	    "een=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: "
	    "font_low_contrast\n inside: body=0\n comments:\n anchors:\n ti"
	    "tles:\n text: [white on white]\n" },
	{ "<p style=\"color: #fffffe; background-color: #ffffff\">faint</"
	    "p><p><font color=\"zzz\">bad</font></p><font face=\"@x\">f</fo"
	    "nt><font face=\"Arial, Helvetica\">ok</font>",
	    "length=160 html_length=19 non_space=11 tags=10 elements=10 tag"
	    "s_seen=2 elements_seen=2 closed_extra=0 obfuscation=1 max_size"
	    "=3 min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_"
	    "tag_ratio=0 non_element_ratio=0 obfuscation_ratio=0.1\n flags:"
	    " font_low_contrast font_invalid_color font_face_bad\n inside: "
	    "p=0 font=0\n comments:\n anchors:\n titles:\n text: [\\n\\nfai"
	    "nt\\n\\n\\n\\nbad\\n\\nfok]\n" },
	{ "<!-- c1 --><!x><!doctype html><![if !vml]>y<![endif]></a>text<"
	    "?php x ?>",
	    "length=71 html_length=5 non_space=5 tags=2 elements=2 tags_see"
	    "n=1 elements_seen=1 closed_extra=1 obfuscation=1 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0.5 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=0.5\n flags:\n "
	    "inside: !doctype=0 a=0\n comments: <!-- c1 --> | <!x> | <![if "
	    "!vml]> | <![endif]>\n anchors:\n titles:\n text: [ytext]\n" },
	{ "<a href=\" http://a.example/ \">one <img src=x></a><a>two</a><"
	    "a href=\"mailto:x@y.example\">three</a>",
	    "length=97 html_length=12 non_space=11 tags=7 elements=7 tags_s"
	    "een=2 elements_seen=2 closed_extra=0 obfuscation=1 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=0.1428571428571"
	    "43\n flags:\n inside: a=0 img=1\n comments:\n anchors: one <im"
	    "g>\\n | two | three\n titles:\n text: [one twothree]\n" },
	{ "<img width=10 height=20><img width=50% height=50%><img width=0"
	    " height=abc><img width=5>",
	    "length=87 html_length=0 non_space=0 tags=4 elements=4 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=160200\n ratios: closed_extra_ratio=0 bad_"
	    "tag_ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flag"
	    "s:\n inside: img=4\n comments:\n anchors:\n titles:\n text: []"
	    "\n" },
	{ "<meta http-equiv=\"Content-Type\" content=\"text/html; charset"
	    "=big5\"><META HTTP-EQUIV=content-type CONTENT='text/html;chars"
	    "et=koi8-r'>",
	    "length=131 html_length=0 non_space=0 tags=2 elements=2 tags_se"
	    "en=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 m"
	    "in_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_"
	    "ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags:\n"
	    " inside: meta=2\n comments:\n anchors:\n titles:\n text: []\n" },
	{ "<style>b { color: red }<body>unclosed style",
	    "length=43 html_length=0 non_space=0 tags=2 elements=2 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags:\n "
	    "inside: style=0\n comments:\n anchors:\n titles:\n text: []\n" },
	{ "<script>var x = \"<b>\";</script>after<br/>line<img src=a />x",
	    "length=59 html_length=11 non_space=10 tags=4 elements=4 tags_s"
	    "een=3 elements_seen=3 closed_extra=0 obfuscation=1 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=0.25\n flags:\n"
	    " inside: script=0 br=1 img=1\n comments:\n anchors:\n titles:"
	    "\n text: [after\\nlinex]\n" },
	{ "<foo><bar>baz</bar></foo><o:p>office</o:p><st1:place>p</st1:pl"
	    "ace>",
	    "length=66 html_length=10 non_space=10 tags=8 elements=4 tags_s"
	    "een=4 elements_seen=2 closed_extra=0 obfuscation=2 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0.5 non_element_ratio=0.5 obfuscation_ratio=0.25\n flag"
	    "s:\n inside: foo=0 bar=0 o:p=0 st1:place=0\n comments:\n ancho"
	    "rs:\n titles:\n text: [bazofficep]\n" },
	{ "vi<b>a</b>gra&nbsp;and&amp;more<div>x</div>y",
	    "length=44 html_length=19 non_space=16 tags=4 elements=4 tags_s"
	    "een=2 elements_seen=2 closed_extra=0 obfuscation=2 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=0.5\n flags:\n "
	    "inside: b=0 div=0\n comments:\n anchors:\n titles:\n text: [vi"
	    "agra and&more\\nx\\ny]\n" },
	{ "<table><tr><td><font color=white>in cell</font><td>next</table"
	    "><span style=\"display:none\">hidden</span><span style=\"visib"
	    "ility: hidden\">gone</span>",
	    "length=147 html_length=23 non_space=20 tags=11 elements=11 tag"
	    "s_seen=5 elements_seen=5 closed_extra=0 obfuscation=2 max_size"
	    "=3 min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_"
	    "tag_ratio=0 non_element_ratio=0 obfuscation_ratio=0.1818181818"
	    "18182\n flags: font_low_contrast\n inside: table=0 tr=1 td=2 f"
	    "ont=0 span=0\n comments:\n anchors:\n titles:\n text: [ in cel"
	    "l nexthiddengone]\n" },
	{ "<title>one</title><title>two &amp; three</title><textarea><b>r"
	    "aw</b></textarea><xmp><i>x</i></xmp>",
	    "length=98 html_length=44 non_space=30 tags=8 elements=6 tags_s"
	    "een=3 elements_seen=2 closed_extra=0 obfuscation=0 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0.25 non_element_ratio=0.333333333333333 obfuscation_ra"
	    "tio=undef\n flags:\n inside: title=0 textarea=0 xmp=0\n commen"
	    "ts:\n anchors:\n titles: one | two & three\n text: [\\n\\none"
	    "\\n\\n\\n\\ntwo & three\\n\\n<b>raw</b>\\n\\n<i>x</i>\\n\\n]\n" },
	{ "<p style=\"background: url('a.png') no-repeat #000000\"><font "
	    "color=black>dark</font></p><div style=\"color:transparent\">t<"
	    "/div>",
	    "length=125 html_length=11 non_space=5 tags=6 elements=6 tags_s"
	    "een=3 elements_seen=3 closed_extra=0 obfuscation=0 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag"
	    "_ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: "
	    "font_low_contrast\n inside: p=0 font=0 div=0\n comments:\n anc"
	    "hors:\n titles:\n text: [\\n\\ndark\\n\\n\\nt\\n]\n" },
	{ "text with <unclosed tag at the end",
	    "length=34 html_length=10 non_space=8 tags=0 elements=0 tags_se"
	    "en=0 elements_seen=0 closed_extra=0 obfuscation=0 max_size=3 m"
	    "in_size=3 image_area=0\n ratios: closed_extra_ratio=undef bad_"
	    "tag_ratio=undef non_element_ratio=undef obfuscation_ratio=unde"
	    "f\n flags:\n inside:\n comments: <unclosed tag at the end\n an"
	    "chors:\n titles:\n text: [text with ]\n" },
	{ "<a href=\"http://x.example\">x</a></a></a><![CDATA[ <b>not a t"
	    "ag</b> ]]>z",
	    "length=71 html_length=20 non_space=16 tags=4 elements=4 tags_s"
	    "een=1 elements_seen=1 closed_extra=2 obfuscation=0 max_size=3 "
	    "min_size=3 image_area=0\n ratios: closed_extra_ratio=0.5 bad_t"
	    "ag_ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags"
	    ":\n inside: a=0\n comments:\n anchors: x\n titles:\n text: [x "
	    "<b>not a tag</b> z]\n" },
	{ "<div style=\"color: #FFF !important; background-color: white\""
	    ">a</div>",
	    "length=68 html_length=3 non_space=1 tags=2 elements=2 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0\n comments:\n anchors:\n title"
	    "s:\n text: [\\na\\n]\n" },
	{ "<div style=\"background: url('x,y.png'), linear-gradient(red, "
	    "blue) #ffffff\"><font color=white>b</font></div>",
	    "length=108 html_length=3 non_space=1 tags=4 elements=4 tags_se"
	    "en=2 elements_seen=2 closed_extra=0 obfuscation=0 max_size=3 m"
	    "in_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_"
	    "ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: f"
	    "ont_low_contrast\n inside: div=0 font=0\n comments:\n anchors:"
	    "\n titles:\n text: [\\nb\\n]\n" },
	{ "<div style=\"background-color: transparent\"><font color=\"#ff"
	    "fffe\">c</font></div>",
	    "length=79 html_length=3 non_space=1 tags=4 elements=4 tags_see"
	    "n=2 elements_seen=2 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0 font=0\n comments:\n anchors:"
	    "\n titles:\n text: [\\nc\\n]\n" },
	{ "<div style=\"color: transparent; background-color: #123456\">d"
	    "</div>",
	    "length=66 html_length=3 non_space=1 tags=2 elements=2 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0\n comments:\n anchors:\n title"
	    "s:\n text: [\\nd\\n]\n" },
	{ "<div style=\"color:rgb(10 20 30)\">e</div><div style=\"color: "
	    "rgba(255,255,255,0.5)\">f</div>",
	    "length=89 html_length=6 non_space=2 tags=4 elements=4 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0\n comments:\n anchors:\n title"
	    "s:\n text: [\\ne\\n\\nf\\n]\n" },
	{ "<div style=\"COLOR: #ffffff; Background-Color: #fffffe\">g</di"
	    "v>",
	    "length=62 html_length=3 non_space=1 tags=2 elements=2 tags_see"
	    "n=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0\n comments:\n anchors:\n title"
	    "s:\n text: [\\ng\\n]\n" },
	{ "<div style=\"background: none; color: white\">h</div><p style="
	    "\"background:#fff\">i</p>",
	    "length=83 html_length=8 non_space=2 tags=4 elements=4 tags_see"
	    "n=2 elements_seen=2 closed_extra=0 obfuscation=0 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags: fo"
	    "nt_low_contrast\n inside: div=0 p=0\n comments:\n anchors:\n t"
	    "itles:\n text: [\\nh\\n\\n\\ni\\n\\n]\n" },
	{ "<div style=\"display: NONE\">j</div><div style=\"visibility :h"
	    "idden\">k</div><div style=\"Display:none\">l</div>",
	    "length=106 html_length=9 non_space=3 tags=6 elements=6 tags_se"
	    "en=1 elements_seen=1 closed_extra=0 obfuscation=0 max_size=3 m"
	    "in_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_"
	    "ratio=0 non_element_ratio=0 obfuscation_ratio=undef\n flags:\n"
	    " inside: div=0\n comments:\n anchors:\n titles:\n text: [\\nj"
	    "\\n\\nk\\n\\nl\\n]\n" },
	{ "<font color=\"#12\">m</font><font color=\"#1234\">n</font><fon"
	    "t color=\"#1234567\">o</font><font color=\"rgb(100%,100%,100%)"
	    "\">p</font><font color=\"rgb(1,2)\">q</font>",
	    "length=158 html_length=5 non_space=5 tags=10 elements=10 tags_"
	    "seen=1 elements_seen=1 closed_extra=0 obfuscation=4 max_size=3"
	    " min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_ta"
	    "g_ratio=0 non_element_ratio=0 obfuscation_ratio=0.4\n flags: f"
	    "ont_low_contrast font_invalid_color\n inside: font=0\n comment"
	    "s:\n anchors:\n titles:\n text: [mnopq]\n" },
	{ "<font color=ffffff>r</font><font color=\"\">s</font><body text"
	    "=white>t</body>",
	    "length=75 html_length=3 non_space=3 tags=6 elements=6 tags_see"
	    "n=2 elements_seen=2 closed_extra=0 obfuscation=2 max_size=3 mi"
	    "n_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_tag_r"
	    "atio=0 non_element_ratio=0 obfuscation_ratio=0.333333333333333"
	    "\n flags: font_low_contrast font_invalid_color\n inside: font="
	    "0 body=0\n comments:\n anchors:\n titles:\n text: [rst]\n" },
	{ "<basefont size=6><font size=+2>u</font><font size=\"-1\">v</fo"
	    "nt><basefont><font face=\"Arial,\">w</font><font face=\" x\">y"
	    "</font><font face=\"'Times New Roman', serif\">z</font>",
	    "length=171 html_length=5 non_space=5 tags=12 elements=12 tags_"
	    "seen=2 elements_seen=2 closed_extra=0 obfuscation=4 max_size=8"
	    " min_size=3 image_area=0\n ratios: closed_extra_ratio=0 bad_ta"
	    "g_ratio=0 non_element_ratio=0 obfuscation_ratio=0.333333333333"
	    "333\n flags: font_face_bad\n inside: basefont=2 font=0\n comme"
	    "nts:\n anchors:\n titles:\n text: [uvwyz]\n" },
};

static void
test_rule_html_spamassassin_cases(void)
{
	struct arena *arena = arena_new("test", 0);
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		const struct rule_html *html = rule_html_scan(arena,
		    cases[i].html, strlen(cases[i].html), NULL);
		test_assert_string(dump(arena, html), cases[i].dump);
	}
	arena_free(&arena);
}

/* Links keep their href; a link over 8192 characters is "truncated". */
static void
test_rule_html_anchors(void)
{
	struct arena *arena = arena_new("test", 0);
	struct buffer long_link;
	const struct rule_html *html;
	const struct string_view *strings;
	size_t count, i;

	html = rule_html_scan(arena, "<a href=\" http://a.example/x \">A</a>"
	    "<a>B</a><a href=\"&#104;ttp://b\">C<img></a>", 75, NULL);
	test_require(html->anchor_count == 3);
	test_assert(string_view_equal(html->anchors[0].href,
	    STRING_VIEW_LITERAL("http://a.example/x")));
	test_assert_int(html->anchors[1].href.length, 0);
	test_assert(string_view_equal(html->anchors[2].href,
	    STRING_VIEW_LITERAL("http://b")));
	test_assert(string_view_equal(html->anchors[2].text,
	    STRING_VIEW_LITERAL("C<img>\n")));
	strings = rule_html_strings(arena, html, "anchor", &count);
	test_require(count == 3);
	test_assert(string_view_equal(strings[0], STRING_VIEW_LITERAL("A")));
	test_assert(rule_html_strings(arena, html, "nothing", &count) ==
	    NULL && count == 0);
	test_assert(!rule_html_test(html, "uri_truncated"));

	buffer_init(&long_link, 0);
	ASSERT(buffer_append_string(&long_link, "<a href=\"http://x/") == 0);
	for (i = 0; i < RULE_HTML_URI_LENGTH_MAX; i++)
		ASSERT(buffer_append(&long_link, "a", 1) == 0);
	ASSERT(buffer_append_string(&long_link, "\">x</a>") == 0);
	html = rule_html_scan(arena, buffer_string(&long_link),
	    buffer_length(&long_link), NULL);
	test_assert(rule_html_test(html, "uri_truncated"));
	buffer_deinit(&long_link);
	arena_free(&arena);
}

/* Lists and text stay within their limits; counts still see all. */
static void
test_rule_html_limits(void)
{
	struct rule_html_limits limits = { .max_text = 10, .max_strings = 2,
		.max_string = 4 };
	struct arena *arena = arena_new("test", 0);
	const struct rule_html *html;
	static const char input[] = "<!--one--><!--two--><!--three-->"
	    "<title>abcdefgh</title>0123456789 0123456789";

	html = rule_html_scan(arena, input, sizeof(input) - 1, &limits);
	test_assert_int(html->comment_count, 2);
	test_assert_int(html->comments[0].length, 4);
	test_require(html->title_count == 1);
	test_assert(string_view_equal(html->titles[0],
	    STRING_VIEW_LITERAL("abcd")));
	test_assert_int(html->text.length, 10);
	test_assert_int(html->text_length, 33);
	/* max_input cuts the input itself. */
	limits.max_input = 4;
	html = rule_html_scan(arena, "<b>xy</b>", 9, &limits);
	test_assert_int(html->length, 4);
	test_assert_int(html->tags, 1);
	arena_free(&arena);
}

/* More tag names than are tracked, nesting deeper than the style stack,
 * NUL bytes and arbitrary bytes: bounded and no crash. */
static void
test_rule_html_hostile_input(void)
{
	struct arena *arena = arena_new("test", 0);
	struct buffer input;
	const struct rule_html *html;
	uint32_t state = 7;
	size_t i;

	buffer_init(&input, 0);
	for (i = 0; i < 5000; i++)
		ASSERT(buffer_printf(&input, "<t%zu>", i) == 0);
	for (i = 0; i < 3000; i++)
		ASSERT(buffer_append_string(&input, "<font size=+1>") == 0);
	ASSERT(buffer_append(&input, "x\0y<b\0>", 7) == 0);
	html = rule_html_scan(arena, buffer_string(&input),
	    buffer_length(&input), NULL);
	test_assert_int(html->tags, 8001);
	test_assert(html->inside_count <= 4096);
	test_assert(html->max_size > 3);
	buffer_reset(&input);
	for (i = 0; i < 200000; i++) {
		char c;
		state = state * 1103515245u + 12345u;
		c = "<>/!-=\"' abc&;#[]?\n\x80\xc3"[(state >> 16) % 22];
		ASSERT(buffer_append(&input, &c, 1) == 0);
	}
	html = rule_html_scan(arena, buffer_string(&input),
	    buffer_length(&input), NULL);
	test_assert(html->length <= 200000);
	test_assert(html->text.length <= 200000);
	buffer_deinit(&input);
	arena_free(&arena);
}

static void
test_rule_html_file_name(void)
{
	test_assert(rule_html_file_name("a.html"));
	test_assert(rule_html_file_name("A.HTM"));
	test_assert(rule_html_file_name("x.shtml"));
	test_assert(rule_html_file_name("x.shtm"));
	test_assert(!rule_html_file_name("x.htmlx"));
	test_assert(!rule_html_file_name("html"));
	test_assert(!rule_html_file_name("x.xhtml"));
	test_assert(!rule_html_file_name(NULL));
}

int
main(void)
{
	static const struct test_case test_cases[] = {
		TEST_CASE(test_rule_html_spamassassin_cases),
		TEST_CASE(test_rule_html_anchors),
		TEST_CASE(test_rule_html_limits),
		TEST_CASE(test_rule_html_hostile_input),
		TEST_CASE(test_rule_html_file_name),
	};

	return test_main(test_cases, ARRAY_LENGTH(test_cases));
}
