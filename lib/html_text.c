/* html_text.c: HTML to the plain text a reader sees, plus the facts rules
 * want (hidden text, images, forms, URI attributes, obfuscation).
 *
 * DESIGN: one forward pass over the input. Text between tags is found
 * with memchr('<') and copied in runs; a 256-entry class table stops a
 * run only at white space, '&', NUL and the lead bytes of the few UTF-8
 * sequences we rewrite (no-break space, zero-width characters). Output
 * goes to one of three "sinks" (visible, invisible, title), each with a
 * pending separator, so collapsing white space and block breaks is a
 * matter of remembering the strongest separator asked for since the
 * last text and writing it before the next text. Open elements live on
 * a fixed array (max_depth) holding the inherited colours and hiding
 * bits, so an end tag pops back to its element and the style of the
 * new top decides the sink; a count per tag makes "is a <p> open?"
 * O(1) so stray end tags cost nothing. Raw-text elements (script,
 * style, title, textarea...) are skipped to their end tag at once and
 * never pushed. Nothing recurses. */
#include "lib/html_text.h"

/* Separators, strongest last; a sink writes the strongest one asked
 * for since its last text before its next text. */
enum separator {
	SEPARATOR_NONE,
	SEPARATOR_SPACE,
	SEPARATOR_LINE,
	SEPARATOR_PARAGRAPH,
};

/* Element flags. A search for an open element to close stops at an
 * element with one of the scope flags it is given. */
#define ELEMENT_VOID (1u << 0)         /* never has content */
#define ELEMENT_CLOSES_P (1u << 1)     /* its start tag closes an open <p> */
#define ELEMENT_HEAD_OK (1u << 2)      /* may appear in <head> */
#define ELEMENT_SCOPE_BASE (1u << 3)   /* cells, tables, objects, buttons */
#define ELEMENT_SCOPE_LIST (1u << 4)   /* lists, for <li> */
#define ELEMENT_SCOPE_ROW (1u << 5)    /* rows, for <td> and <th> */
#define ELEMENT_SCOPE_TABLE (1u << 6)  /* table parts, for <tr> and cells */
#define ELEMENT_SCOPE_SELECT (1u << 7) /* <select>, for <option> */
#define ELEMENT_SCOPE_DL (1u << 8)     /* <dl>, for <dd> and <dt> */

/* Known elements in byte order (binary search), with the separator
 * their start and end tags give and their flags. */
#define HTML_TAGS(X) \
	X(A, "a", NONE, 0) X(ABBR, "abbr", NONE, 0) \
	X(ACRONYM, "acronym", NONE, 0) \
	X(ADDRESS, "address", LINE, ELEMENT_CLOSES_P) \
	X(APPLET, "applet", NONE, ELEMENT_SCOPE_BASE) \
	X(AREA, "area", NONE, ELEMENT_VOID) \
	X(ARTICLE, "article", LINE, ELEMENT_CLOSES_P) \
	X(ASIDE, "aside", LINE, ELEMENT_CLOSES_P) X(AUDIO, "audio", NONE, 0) \
	X(B, "b", NONE, 0) \
	X(BASE, "base", NONE, ELEMENT_VOID | ELEMENT_HEAD_OK) \
	X(BASEFONT, "basefont", NONE, ELEMENT_VOID | ELEMENT_HEAD_OK) \
	X(BDI, "bdi", NONE, 0) X(BDO, "bdo", NONE, 0) \
	X(BGSOUND, "bgsound", NONE, ELEMENT_VOID | ELEMENT_HEAD_OK) \
	X(BIG, "big", NONE, 0) X(BLINK, "blink", NONE, 0) \
	X(BLOCKQUOTE, "blockquote", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(BODY, "body", NONE, 0) X(BR, "br", LINE, ELEMENT_VOID) \
	X(BUTTON, "button", SPACE, ELEMENT_SCOPE_BASE) \
	X(CANVAS, "canvas", NONE, 0) \
	X(CAPTION, "caption", LINE, ELEMENT_SCOPE_BASE) \
	X(CENTER, "center", LINE, ELEMENT_CLOSES_P) X(CITE, "cite", NONE, 0) \
	X(CODE, "code", NONE, 0) X(COL, "col", NONE, ELEMENT_VOID) \
	X(COLGROUP, "colgroup", NONE, 0) X(DATA, "data", NONE, 0) \
	X(DATALIST, "datalist", NONE, 0) X(DD, "dd", LINE, ELEMENT_CLOSES_P) \
	X(DEL, "del", NONE, 0) X(DETAILS, "details", LINE, ELEMENT_CLOSES_P) \
	X(DFN, "dfn", NONE, 0) X(DIALOG, "dialog", LINE, ELEMENT_CLOSES_P) \
	X(DIR, "dir", PARAGRAPH, ELEMENT_CLOSES_P | ELEMENT_SCOPE_LIST) \
	X(DIV, "div", LINE, ELEMENT_CLOSES_P) \
	X(DL, "dl", PARAGRAPH, ELEMENT_CLOSES_P | ELEMENT_SCOPE_DL) \
	X(DT, "dt", LINE, ELEMENT_CLOSES_P) X(EM, "em", NONE, 0) \
	X(EMBED, "embed", NONE, ELEMENT_VOID) \
	X(FIELDSET, "fieldset", LINE, ELEMENT_CLOSES_P) \
	X(FIGCAPTION, "figcaption", LINE, ELEMENT_CLOSES_P) \
	X(FIGURE, "figure", LINE, ELEMENT_CLOSES_P) X(FONT, "font", NONE, 0) \
	X(FOOTER, "footer", LINE, ELEMENT_CLOSES_P) \
	X(FORM, "form", LINE, ELEMENT_CLOSES_P) \
	X(FRAME, "frame", NONE, ELEMENT_VOID) \
	X(FRAMESET, "frameset", NONE, 0) \
	X(H1, "h1", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(H2, "h2", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(H3, "h3", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(H4, "h4", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(H5, "h5", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(H6, "h6", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(HEAD, "head", NONE, ELEMENT_HEAD_OK) \
	X(HEADER, "header", LINE, ELEMENT_CLOSES_P) \
	X(HGROUP, "hgroup", LINE, ELEMENT_CLOSES_P) \
	X(HR, "hr", PARAGRAPH, ELEMENT_VOID | ELEMENT_CLOSES_P) \
	X(HTML, "html", NONE, ELEMENT_SCOPE_BASE) X(I, "i", NONE, 0) \
	X(IFRAME, "iframe", NONE, 0) X(IMG, "img", NONE, ELEMENT_VOID) \
	X(INPUT, "input", SPACE, ELEMENT_VOID) X(INS, "ins", NONE, 0) \
	X(ISINDEX, "isindex", NONE, ELEMENT_VOID) X(KBD, "kbd", NONE, 0) \
	X(KEYGEN, "keygen", NONE, ELEMENT_VOID) X(LABEL, "label", NONE, 0) \
	X(LEGEND, "legend", LINE, 0) X(LI, "li", LINE, ELEMENT_CLOSES_P) \
	X(LINK, "link", NONE, ELEMENT_VOID | ELEMENT_HEAD_OK) \
	X(LISTING, "listing", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(MAIN, "main", LINE, ELEMENT_CLOSES_P) X(MAP, "map", NONE, 0) \
	X(MARK, "mark", NONE, 0) \
	X(MARQUEE, "marquee", LINE, ELEMENT_SCOPE_BASE) \
	X(MENU, "menu", PARAGRAPH, ELEMENT_CLOSES_P | ELEMENT_SCOPE_LIST) \
	X(MENUITEM, "menuitem", NONE, 0) \
	X(META, "meta", NONE, ELEMENT_VOID | ELEMENT_HEAD_OK) \
	X(METER, "meter", NONE, 0) X(NAV, "nav", LINE, ELEMENT_CLOSES_P) \
	X(NOBR, "nobr", NONE, 0) X(NOEMBED, "noembed", NONE, 0) \
	X(NOFRAMES, "noframes", NONE, ELEMENT_HEAD_OK) \
	X(NOSCRIPT, "noscript", NONE, ELEMENT_HEAD_OK) \
	X(OBJECT, "object", NONE, ELEMENT_SCOPE_BASE) \
	X(OL, "ol", PARAGRAPH, ELEMENT_CLOSES_P | ELEMENT_SCOPE_LIST) \
	X(OPTGROUP, "optgroup", LINE, 0) X(OPTION, "option", LINE, 0) \
	X(OUTPUT, "output", NONE, 0) X(P, "p", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(PARAM, "param", NONE, ELEMENT_VOID) X(PICTURE, "picture", NONE, 0) \
	X(PLAINTEXT, "plaintext", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(PRE, "pre", PARAGRAPH, ELEMENT_CLOSES_P) \
	X(PROGRESS, "progress", NONE, 0) X(Q, "q", NONE, 0) \
	X(RB, "rb", NONE, 0) X(RP, "rp", NONE, 0) X(RT, "rt", NONE, 0) \
	X(RTC, "rtc", NONE, 0) X(RUBY, "ruby", NONE, 0) X(S, "s", NONE, 0) \
	X(SAMP, "samp", NONE, 0) X(SCRIPT, "script", NONE, ELEMENT_HEAD_OK) \
	X(SECTION, "section", LINE, ELEMENT_CLOSES_P) \
	X(SELECT, "select", SPACE, ELEMENT_SCOPE_SELECT) \
	X(SLOT, "slot", NONE, 0) X(SMALL, "small", NONE, 0) \
	X(SOURCE, "source", NONE, ELEMENT_VOID) X(SPAN, "span", NONE, 0) \
	X(STRIKE, "strike", NONE, 0) X(STRONG, "strong", NONE, 0) \
	X(STYLE, "style", NONE, ELEMENT_HEAD_OK) X(SUB, "sub", NONE, 0) \
	X(SUMMARY, "summary", LINE, 0) X(SUP, "sup", NONE, 0) \
	X(SVG, "svg", NONE, 0) \
	X(TABLE, "table", PARAGRAPH, \
	    ELEMENT_CLOSES_P | ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_TABLE) \
	X(TBODY, "tbody", NONE, ELEMENT_SCOPE_TABLE) \
	X(TD, "td", SPACE, ELEMENT_SCOPE_BASE) \
	X(TEMPLATE, "template", NONE, ELEMENT_HEAD_OK | ELEMENT_SCOPE_BASE) \
	X(TEXTAREA, "textarea", SPACE, 0) \
	X(TFOOT, "tfoot", NONE, ELEMENT_SCOPE_TABLE) \
	X(TH, "th", SPACE, ELEMENT_SCOPE_BASE) \
	X(THEAD, "thead", NONE, ELEMENT_SCOPE_TABLE) X(TIME, "time", NONE, 0) \
	X(TITLE, "title", NONE, ELEMENT_HEAD_OK) \
	X(TR, "tr", LINE, ELEMENT_SCOPE_ROW) \
	X(TRACK, "track", NONE, ELEMENT_VOID) X(TT, "tt", NONE, 0) \
	X(U, "u", NONE, 0) \
	X(UL, "ul", PARAGRAPH, ELEMENT_CLOSES_P | ELEMENT_SCOPE_LIST) \
	X(VAR, "var", NONE, 0) X(VIDEO, "video", NONE, 0) \
	X(WBR, "wbr", NONE, ELEMENT_VOID) \
	X(XMP, "xmp", PARAGRAPH, ELEMENT_CLOSES_P)

enum tag {
#define TAG_ENUM(upper, name, separator, flags) TAG_##upper,
	HTML_TAGS(TAG_ENUM)
#undef TAG_ENUM
	TAG_UNKNOWN, /* any other name; told apart by a hash */
	TAG_COUNT
};

struct tag_info {
	const char *name;
	uint8_t separator;
	uint16_t flags;
};

static const struct tag_info tag_infos[] = {
#define TAG_INFO(upper, name, separator, flags) \
	{ name, SEPARATOR_##separator, (flags) },
	HTML_TAGS(TAG_INFO)
#undef TAG_INFO
	{ "", SEPARATOR_NONE, 0 },
};

/* Longest known element name ("blockquote", "figcaption"). */
#define TAG_NAME_MAX 10

/* Named character references: the HTML 4 set, &apos; and the upper-case
 * spellings HTML 5 keeps, in byte order. legacy: HTML 5 also accepts
 * the name without the ';'. &lang; and &rang; take their HTML 5 values. */
struct entity {
	const char *name;
	uint32_t codepoint;
	uint8_t legacy;
};

static const struct entity entities[] = {
	{ "AElig", 0xc6, 1 }, { "AMP", 0x26, 1 }, { "Aacute", 0xc1, 1 },
	{ "Acirc", 0xc2, 1 }, { "Agrave", 0xc0, 1 }, { "Alpha", 0x391, 0 },
	{ "Aring", 0xc5, 1 }, { "Atilde", 0xc3, 1 }, { "Auml", 0xc4, 1 },
	{ "Beta", 0x392, 0 }, { "COPY", 0xa9, 1 }, { "Ccedil", 0xc7, 1 },
	{ "Chi", 0x3a7, 0 }, { "Dagger", 0x2021, 0 }, { "Delta", 0x394, 0 },
	{ "ETH", 0xd0, 1 }, { "Eacute", 0xc9, 1 }, { "Ecirc", 0xca, 1 },
	{ "Egrave", 0xc8, 1 }, { "Epsilon", 0x395, 0 }, { "Eta", 0x397, 0 },
	{ "Euml", 0xcb, 1 }, { "GT", 0x3e, 1 }, { "Gamma", 0x393, 0 },
	{ "Iacute", 0xcd, 1 }, { "Icirc", 0xce, 1 }, { "Igrave", 0xcc, 1 },
	{ "Iota", 0x399, 0 }, { "Iuml", 0xcf, 1 }, { "Kappa", 0x39a, 0 },
	{ "LT", 0x3c, 1 }, { "Lambda", 0x39b, 0 }, { "Mu", 0x39c, 0 },
	{ "Ntilde", 0xd1, 1 }, { "Nu", 0x39d, 0 }, { "OElig", 0x152, 0 },
	{ "Oacute", 0xd3, 1 }, { "Ocirc", 0xd4, 1 }, { "Ograve", 0xd2, 1 },
	{ "Omega", 0x3a9, 0 }, { "Omicron", 0x39f, 0 }, { "Oslash", 0xd8, 1 },
	{ "Otilde", 0xd5, 1 }, { "Ouml", 0xd6, 1 }, { "Phi", 0x3a6, 0 },
	{ "Pi", 0x3a0, 0 }, { "Prime", 0x2033, 0 }, { "Psi", 0x3a8, 0 },
	{ "QUOT", 0x22, 1 }, { "REG", 0xae, 1 }, { "Rho", 0x3a1, 0 },
	{ "Scaron", 0x160, 0 }, { "Sigma", 0x3a3, 0 }, { "THORN", 0xde, 1 },
	{ "Tau", 0x3a4, 0 }, { "Theta", 0x398, 0 }, { "Uacute", 0xda, 1 },
	{ "Ucirc", 0xdb, 1 }, { "Ugrave", 0xd9, 1 }, { "Upsilon", 0x3a5, 0 },
	{ "Uuml", 0xdc, 1 }, { "Xi", 0x39e, 0 }, { "Yacute", 0xdd, 1 },
	{ "Yuml", 0x178, 0 }, { "Zeta", 0x396, 0 }, { "aacute", 0xe1, 1 },
	{ "acirc", 0xe2, 1 }, { "acute", 0xb4, 1 }, { "aelig", 0xe6, 1 },
	{ "agrave", 0xe0, 1 }, { "alefsym", 0x2135, 0 }, { "alpha", 0x3b1, 0 },
	{ "amp", 0x26, 1 }, { "and", 0x2227, 0 }, { "ang", 0x2220, 0 },
	{ "apos", 0x27, 0 }, { "aring", 0xe5, 1 }, { "asymp", 0x2248, 0 },
	{ "atilde", 0xe3, 1 }, { "auml", 0xe4, 1 }, { "bdquo", 0x201e, 0 },
	{ "beta", 0x3b2, 0 }, { "brvbar", 0xa6, 1 }, { "bull", 0x2022, 0 },
	{ "cap", 0x2229, 0 }, { "ccedil", 0xe7, 1 }, { "cedil", 0xb8, 1 },
	{ "cent", 0xa2, 1 }, { "chi", 0x3c7, 0 }, { "circ", 0x2c6, 0 },
	{ "clubs", 0x2663, 0 }, { "cong", 0x2245, 0 }, { "copy", 0xa9, 1 },
	{ "crarr", 0x21b5, 0 }, { "cup", 0x222a, 0 }, { "curren", 0xa4, 1 },
	{ "dArr", 0x21d3, 0 }, { "dagger", 0x2020, 0 }, { "darr", 0x2193, 0 },
	{ "deg", 0xb0, 1 }, { "delta", 0x3b4, 0 }, { "diams", 0x2666, 0 },
	{ "divide", 0xf7, 1 }, { "eacute", 0xe9, 1 }, { "ecirc", 0xea, 1 },
	{ "egrave", 0xe8, 1 }, { "empty", 0x2205, 0 }, { "emsp", 0x2003, 0 },
	{ "ensp", 0x2002, 0 }, { "epsilon", 0x3b5, 0 }, { "equiv", 0x2261, 0 },
	{ "eta", 0x3b7, 0 }, { "eth", 0xf0, 1 }, { "euml", 0xeb, 1 },
	{ "euro", 0x20ac, 0 }, { "exist", 0x2203, 0 }, { "fnof", 0x192, 0 },
	{ "forall", 0x2200, 0 }, { "frac12", 0xbd, 1 }, { "frac14", 0xbc, 1 },
	{ "frac34", 0xbe, 1 }, { "frasl", 0x2044, 0 }, { "gamma", 0x3b3, 0 },
	{ "ge", 0x2265, 0 }, { "gt", 0x3e, 1 }, { "hArr", 0x21d4, 0 },
	{ "harr", 0x2194, 0 }, { "hearts", 0x2665, 0 },
	{ "hellip", 0x2026, 0 }, { "iacute", 0xed, 1 }, { "icirc", 0xee, 1 },
	{ "iexcl", 0xa1, 1 }, { "igrave", 0xec, 1 }, { "image", 0x2111, 0 },
	{ "infin", 0x221e, 0 }, { "int", 0x222b, 0 }, { "iota", 0x3b9, 0 },
	{ "iquest", 0xbf, 1 }, { "isin", 0x2208, 0 }, { "iuml", 0xef, 1 },
	{ "kappa", 0x3ba, 0 }, { "lArr", 0x21d0, 0 }, { "lambda", 0x3bb, 0 },
	{ "lang", 0x27e8, 0 }, { "laquo", 0xab, 1 }, { "larr", 0x2190, 0 },
	{ "lceil", 0x2308, 0 }, { "ldquo", 0x201c, 0 }, { "le", 0x2264, 0 },
	{ "lfloor", 0x230a, 0 }, { "lowast", 0x2217, 0 }, { "loz", 0x25ca, 0 },
	{ "lrm", 0x200e, 0 }, { "lsaquo", 0x2039, 0 }, { "lsquo", 0x2018, 0 },
	{ "lt", 0x3c, 1 }, { "macr", 0xaf, 1 }, { "mdash", 0x2014, 0 },
	{ "micro", 0xb5, 1 }, { "middot", 0xb7, 1 }, { "minus", 0x2212, 0 },
	{ "mu", 0x3bc, 0 }, { "nabla", 0x2207, 0 }, { "nbsp", 0xa0, 1 },
	{ "ndash", 0x2013, 0 }, { "ne", 0x2260, 0 }, { "ni", 0x220b, 0 },
	{ "not", 0xac, 1 }, { "notin", 0x2209, 0 }, { "nsub", 0x2284, 0 },
	{ "ntilde", 0xf1, 1 }, { "nu", 0x3bd, 0 }, { "oacute", 0xf3, 1 },
	{ "ocirc", 0xf4, 1 }, { "oelig", 0x153, 0 }, { "ograve", 0xf2, 1 },
	{ "oline", 0x203e, 0 }, { "omega", 0x3c9, 0 }, { "omicron", 0x3bf, 0 },
	{ "oplus", 0x2295, 0 }, { "or", 0x2228, 0 }, { "ordf", 0xaa, 1 },
	{ "ordm", 0xba, 1 }, { "oslash", 0xf8, 1 }, { "otilde", 0xf5, 1 },
	{ "otimes", 0x2297, 0 }, { "ouml", 0xf6, 1 }, { "para", 0xb6, 1 },
	{ "part", 0x2202, 0 }, { "permil", 0x2030, 0 }, { "perp", 0x22a5, 0 },
	{ "phi", 0x3c6, 0 }, { "pi", 0x3c0, 0 }, { "piv", 0x3d6, 0 },
	{ "plusmn", 0xb1, 1 }, { "pound", 0xa3, 1 }, { "prime", 0x2032, 0 },
	{ "prod", 0x220f, 0 }, { "prop", 0x221d, 0 }, { "psi", 0x3c8, 0 },
	{ "quot", 0x22, 1 }, { "rArr", 0x21d2, 0 }, { "radic", 0x221a, 0 },
	{ "rang", 0x27e9, 0 }, { "raquo", 0xbb, 1 }, { "rarr", 0x2192, 0 },
	{ "rceil", 0x2309, 0 }, { "rdquo", 0x201d, 0 }, { "real", 0x211c, 0 },
	{ "reg", 0xae, 1 }, { "rfloor", 0x230b, 0 }, { "rho", 0x3c1, 0 },
	{ "rlm", 0x200f, 0 }, { "rsaquo", 0x203a, 0 }, { "rsquo", 0x2019, 0 },
	{ "sbquo", 0x201a, 0 }, { "scaron", 0x161, 0 }, { "sdot", 0x22c5, 0 },
	{ "sect", 0xa7, 1 }, { "shy", 0xad, 1 }, { "sigma", 0x3c3, 0 },
	{ "sigmaf", 0x3c2, 0 }, { "sim", 0x223c, 0 }, { "spades", 0x2660, 0 },
	{ "sub", 0x2282, 0 }, { "sube", 0x2286, 0 }, { "sum", 0x2211, 0 },
	{ "sup", 0x2283, 0 }, { "sup1", 0xb9, 1 }, { "sup2", 0xb2, 1 },
	{ "sup3", 0xb3, 1 }, { "supe", 0x2287, 0 }, { "szlig", 0xdf, 1 },
	{ "tau", 0x3c4, 0 }, { "there4", 0x2234, 0 }, { "theta", 0x3b8, 0 },
	{ "thetasym", 0x3d1, 0 }, { "thinsp", 0x2009, 0 },
	{ "thorn", 0xfe, 1 }, { "tilde", 0x2dc, 0 }, { "times", 0xd7, 1 },
	{ "trade", 0x2122, 0 }, { "uArr", 0x21d1, 0 }, { "uacute", 0xfa, 1 },
	{ "uarr", 0x2191, 0 }, { "ucirc", 0xfb, 1 }, { "ugrave", 0xf9, 1 },
	{ "uml", 0xa8, 1 }, { "upsih", 0x3d2, 0 }, { "upsilon", 0x3c5, 0 },
	{ "uuml", 0xfc, 1 }, { "weierp", 0x2118, 0 }, { "xi", 0x3be, 0 },
	{ "yacute", 0xfd, 1 }, { "yen", 0xa5, 1 }, { "yuml", 0xff, 1 },
	{ "zeta", 0x3b6, 0 }, { "zwj", 0x200d, 0 }, { "zwnj", 0x200c, 0 },
};

/* Longest name above ("thetasym"), and longest legacy one ("frac12"). */
#define ENTITY_NAME_MAX 8
#define ENTITY_LEGACY_MAX 6

/* &#128; to &#159; as browsers read them: Windows-1252 (0: unchanged). */
static const uint16_t windows_1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* CSS and HTML colour names worth knowing for hidden-text tests: the
 * HTML 4 sixteen and the pale ones that pass for white or grey. */
struct named_color {
	const char *name;
	uint32_t rgb;
};

static const struct named_color named_colors[] = {
	{ "black", 0x000000 }, { "white", 0xffffff }, { "red", 0xff0000 },
	{ "silver", 0xc0c0c0 }, { "gray", 0x808080 }, { "grey", 0x808080 },
	{ "maroon", 0x800000 }, { "purple", 0x800080 },
	{ "fuchsia", 0xff00ff }, { "magenta", 0xff00ff },
	{ "green", 0x008000 }, { "lime", 0x00ff00 }, { "olive", 0x808000 },
	{ "yellow", 0xffff00 }, { "navy", 0x000080 }, { "blue", 0x0000ff },
	{ "teal", 0x008080 }, { "aqua", 0x00ffff }, { "cyan", 0x00ffff },
	{ "orange", 0xffa500 }, { "aliceblue", 0xf0f8ff },
	{ "antiquewhite", 0xfaebd7 }, { "azure", 0xf0ffff },
	{ "beige", 0xf5f5dc }, { "bisque", 0xffe4c4 },
	{ "blanchedalmond", 0xffebcd }, { "cornsilk", 0xfff8dc },
	{ "darkgray", 0xa9a9a9 }, { "darkgrey", 0xa9a9a9 },
	{ "dimgray", 0x696969 }, { "dimgrey", 0x696969 },
	{ "floralwhite", 0xfffaf0 }, { "gainsboro", 0xdcdcdc },
	{ "ghostwhite", 0xf8f8ff }, { "honeydew", 0xf0fff0 },
	{ "ivory", 0xfffff0 }, { "lavender", 0xe6e6fa },
	{ "lavenderblush", 0xfff0f5 }, { "lemonchiffon", 0xfffacd },
	{ "lightcyan", 0xe0ffff }, { "lightgoldenrodyellow", 0xfafad2 },
	{ "lightgray", 0xd3d3d3 }, { "lightgrey", 0xd3d3d3 },
	{ "lightyellow", 0xffffe0 }, { "linen", 0xfaf0e6 },
	{ "mintcream", 0xf5fffa }, { "mistyrose", 0xffe4e1 },
	{ "oldlace", 0xfdf5e6 }, { "papayawhip", 0xffefd5 },
	{ "seashell", 0xfff5ee }, { "snow", 0xfffafa },
	{ "whitesmoke", 0xf5f5f5 }, { "darkblue", 0x00008b },
	{ "darkred", 0x8b0000 }, { "darkgreen", 0x006400 },
	{ "brown", 0xa52a2a }, { "gold", 0xffd700 }, { "pink", 0xffc0cb },
	{ "lightblue", 0xadd8e6 }, { "lightgreen", 0x90ee90 },
	{ "lightpink", 0xffb6c1 }, { "darkslategray", 0x2f4f4f },
	{ "midnightblue", 0x191970 },
};

#define COLOR_BLACK 0x000000u
#define COLOR_WHITE 0xffffffu
#define COLOR_LINK 0x0000eeu /* the usual default for unvisited links */

/* Character classes for text runs: 0 is copied as is. */
enum text_class {
	CLASS_PLAIN,
	CLASS_SPACE,  /* HTML white space, plus \v */
	CLASS_AMP,    /* a character reference may start */
	CLASS_NUL,    /* dropped */
	CLASS_UTF8,   /* lead byte of a sequence we may rewrite */
};

static const uint8_t text_classes[256] = {
	[0] = CLASS_NUL, ['\t'] = CLASS_SPACE, ['\n'] = CLASS_SPACE,
	['\v'] = CLASS_SPACE, ['\f'] = CLASS_SPACE, ['\r'] = CLASS_SPACE,
	[' '] = CLASS_SPACE, ['&'] = CLASS_AMP, [0xc2] = CLASS_UTF8,
	[0xe2] = CLASS_UTF8, [0xef] = CLASS_UTF8,
};

static inline bool
is_space(unsigned char c)
{
	return text_classes[c] == CLASS_SPACE;
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

static inline bool
is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static inline int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One output: a bounded array plus the separator owed before the next
 * text. total counts what was rendered, kept or not. */
struct sink {
	char *data;
	size_t length;
	size_t capacity; /* data has capacity + 1 bytes (the NUL) */
	size_t total;
	uint8_t pending;
	unsigned char last; /* last byte rendered, 0 at the start */
	bool full;
};

/* Element style bits; INVISIBLE and LOW_CONTRAST are derived. */
#define STYLE_DISPLAY_NONE (1u << 0)  /* also: hidden attribute, template */
#define STYLE_HIDDEN (1u << 1)        /* visibility:hidden, overridable */
#define STYLE_TINY (1u << 2)          /* font too small to read */
#define STYLE_TRANSPARENT (1u << 3)   /* foreground colour transparent */
#define STYLE_BACKGROUND_UNKNOWN (1u << 4) /* background image */
#define STYLE_INVISIBLE (1u << 5)
#define STYLE_LOW_CONTRAST (1u << 6)

struct element {
	uint32_t hash; /* name hash, for TAG_UNKNOWN */
	uint32_t foreground;
	uint32_t background;
	uint16_t tag;
	uint16_t style;
};

/* Attributes of the tag being handled; the first of a name wins. */
#define ATTRIBUTES_MAX 64

struct attribute {
	const char *name;
	size_t name_length;
	const char *value; /* raw; NULL when the attribute has no value */
	size_t value_length;
};

struct render {
	struct arena *arena;
	struct html_text *result;
	struct html_text_limits limits;
	const char *end;

	struct sink text, invisible, title;
	struct sink *current; /* where text goes now; NULL: dropped */
	bool current_low_contrast;
	bool in_head;
	bool body_seen;
	uint32_t link_color;

	struct element *stack; /* stack[0] is the document */
	size_t depth;
	uint32_t open_counts[TAG_COUNT];

	struct attribute attributes[ATTRIBUTES_MAX];
	size_t attribute_count;
	char *scratch; /* max_attribute_value + 1 bytes */

	struct html_text_uri *uris;
	size_t uri_capacity;
};

/* Sinks */

static void
sink_init(struct arena *arena, struct sink *sink, size_t limit, size_t input)
{
	sink->capacity = MIN(limit, input);
	sink->data = arena_alloc(arena, sink->capacity + 1);
}

/* The length of data without a UTF-8 sequence cut short at its end. */
static size_t
utf8_trim_partial(const char *data, size_t length)
{
	size_t i = length, back = 0, need;
	unsigned char c;

	while (i > 0 && back < 4) {
		c = (unsigned char)data[--i];
		back++;
		if ((c & 0xc0) == 0x80)
			continue;
		if (c < 0x80)
			return length;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return back < need ? i : length;
	}
	return length;
}

static inline void
sink_put(struct sink *sink, const char *s, size_t n)
{
	size_t room;

	sink->total += n;
	if (sink->full)
		return;
	room = sink->capacity - sink->length;
	if (unlikely(n > room)) {
		memcpy(sink->data + sink->length, s, room);
		sink->length += room;
		sink->full = true;
		sink->length = utf8_trim_partial(sink->data, sink->length);
		return;
	}
	memcpy(sink->data + sink->length, s, n);
	sink->length += n;
}

static inline void
sink_separator(struct sink *sink, unsigned int separator)
{
	if (sink != NULL && separator > sink->pending)
		sink->pending = (uint8_t)separator;
}

/* Writes n > 0 bytes of text, after the separator owed (none at the
 * very start). */
static inline void
sink_write(struct sink *sink, const char *s, size_t n)
{
	static const char separators[] = "  \n\n\n";
	static const uint8_t offsets[] = { 0, 0, 2, 3 };
	static const uint8_t lengths[] = { 0, 1, 1, 2 };

	if (sink->pending != SEPARATOR_NONE) {
		if (sink->total > 0)
			sink_put(sink, separators + offsets[sink->pending],
			    lengths[sink->pending]);
		sink->pending = SEPARATOR_NONE;
	}
	sink_put(sink, s, n);
	sink->last = (unsigned char)s[n - 1];
}

/* Structural breaks apply to both text sinks (not to the title). */
static void
render_separator(struct render *render, unsigned int separator)
{
	if (separator == SEPARATOR_NONE || render->in_head)
		return;
	sink_separator(&render->text, separator);
	sink_separator(&render->invisible, separator);
}

static inline void
render_emit(struct render *render, struct sink *sink, const char *s,
    size_t n)
{
	sink_write(sink, s, n);
	if (render->current_low_contrast && sink == &render->text)
		render->result->low_contrast_text_bytes += n;
}

/* Character references */

static size_t
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The entity called name (letters and digits only, so that strncmp()
 * cannot stop early inside it), or NULL. */
static const struct entity *
entity_lookup(const char *name, size_t length)
{
	size_t low = 0, high = ARRAY_LENGTH(entities), middle;
	const struct entity *entity;
	int cmp;

	while (low < high) {
		middle = low + (high - low) / 2;
		entity = &entities[middle];
		cmp = strncmp(entity->name, name, length);
		if (cmp == 0 && entity->name[length] != '\0')
			cmp = 1;
		if (cmp == 0)
			return entity;
		if (cmp < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

static bool
is_zero_width(uint32_t c)
{
	return c == 0xad || (c >= 0x200b && c <= 0x200d) || c == 0x2060 ||
	    c == 0xfeff;
}

/* Decodes the reference at p (*p == '&', p < end). Returns its code
 * point and sets *length_r to the bytes it spans, or returns 0 when it
 * is no valid reference (the '&' is then literal). *numeric_r says it
 * was numeric. In attributes a legacy name without ';' followed by '='
 * or an alphanumeric is not a reference (HTML 5: "?a=1&copy=2"). */
static uint32_t
decode_reference(const char *p, const char *end, bool in_attribute,
    size_t *length_r, bool *numeric_r)
{
	const char *q = p + 1, *digits;
	const struct entity *entity;
	uint32_t value = 0;
	size_t run, k;
	bool hex = false, overflow = false;
	int d;

	*numeric_r = false;
	if (q < end && *q == '#') {
		*numeric_r = true;
		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = true;
			q++;
		}
		digits = q;
		for (; q < end; q++) {
			d = hex ? hex_value((unsigned char)*q) :
			    is_digit((unsigned char)*q) ? *q - '0' : -1;
			if (d < 0)
				break;
			if (!overflow) {
				value = value * (hex ? 16 : 10) + (uint32_t)d;
				if (value > 0x10ffff)
					overflow = true;
			}
		}
		if (q == digits)
			return 0;
		if (q < end && *q == ';')
			q++;
		if (overflow || value == 0 ||
		    (value >= 0xd800 && value <= 0xdfff))
			return 0;
		if (value >= 0x80 && value <= 0x9f &&
		    windows_1252[value - 0x80] != 0)
			value = windows_1252[value - 0x80];
		*length_r = (size_t)(q - p);
		return value;
	}
	while (q < end && is_alnum((unsigned char)*q) &&
	    q - p <= ENTITY_NAME_MAX + 1)
		q++;
	run = (size_t)(q - p - 1);
	if (run == 0)
		return 0;
	if (run <= ENTITY_NAME_MAX && q < end && *q == ';') {
		entity = entity_lookup(p + 1, run);
		if (entity != NULL) {
			*length_r = run + 2;
			return entity->codepoint;
		}
	}
	/* Without ';': the longest legacy name the run starts with. The
	 * run may have been cut at ENTITY_NAME_MAX + 1 characters; that
	 * only matters for the exact-match test, which then fails. */
	for (k = MIN(run, ENTITY_LEGACY_MAX); k >= 2; k--) {
		entity = entity_lookup(p + 1, k);
		if (entity == NULL || !entity->legacy)
			continue;
		if (in_attribute && (k < run || (q < end && *q == '=')))
			return 0;
		*length_r = k + 1;
		return entity->codepoint;
	}
	return 0;
}

char *
html_text_decode_references(struct arena *arena, const char *text,
    size_t length, bool in_attribute, size_t *length_r)
{
	/* A reference never takes more bytes decoded than written
	 * ("&lt;" is 4 bytes, U+10FFFF needs "&#1114111;"). */
	char *out = arena_alloc(arena, length + 1), *o = out;
	const char *p = text, *end = text + length;
	size_t n;
	bool numeric;
	uint32_t c;

	while (p < end) {
		if (*p == '&' && (c = decode_reference(p, end, in_attribute,
		    &n, &numeric)) != 0) {
			o += utf8_encode(c, o);
			p += n;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*length_r = (size_t)(o - out);
	return out;
}

/* Text */

/* Renders [p, end) to sink: collapses white space (line ends are kept
 * in <pre>), decodes references when decode is set, drops NULs and
 * zero-width characters, turns no-break spaces into spaces. */
static void
render_text(struct render *render, struct sink *sink, const char *p,
    const char *end, bool decode, bool pre)
{
	const char *q;
	char utf8[4];
	uint32_t c;
	size_t length, n;
	unsigned int newlines;
	bool numeric;
	unsigned char b;

	if (sink == NULL)
		return;
	while (p < end) {
		q = p;
		while (q < end &&
		    text_classes[(unsigned char)*q] == CLASS_PLAIN)
			q++;
		if (q > p)
			render_emit(render, sink, p, (size_t)(q - p));
		if (q == end)
			break;
		b = (unsigned char)*q;
		switch (text_classes[b]) {
		case CLASS_SPACE:
			newlines = 0;
			do {
				newlines += *q == '\n';
				q++;
			} while (q < end &&
			    text_classes[(unsigned char)*q] == CLASS_SPACE);
			sink_separator(sink, !pre || newlines == 0 ?
			    SEPARATOR_SPACE : newlines == 1 ? SEPARATOR_LINE :
			    SEPARATOR_PARAGRAPH);
			p = q;
			break;
		case CLASS_NUL:
			p = q + 1;
			break;
		case CLASS_AMP:
			c = decode ? decode_reference(q, end, false, &length,
			    &numeric) : 0;
			if (c == 0) {
				render_emit(render, sink, q, 1);
				p = q + 1;
				break;
			}
			p = q + length;
			if (numeric && c < 0x80 && is_alnum((unsigned char)c))
				render->result->numeric_entity_alnum_count++;
			if (c == 0xa0 || (c < 0x80 &&
			    text_classes[c] == CLASS_SPACE))
				sink_separator(sink, pre && c == '\n' ?
				    SEPARATOR_LINE : SEPARATOR_SPACE);
			else if (is_zero_width(c))
				render->result->zero_width_count++;
			else {
				n = utf8_encode(c, utf8);
				render_emit(render, sink, utf8, n);
			}
			break;
		default: /* CLASS_UTF8 */
			n = 1;
			if (b == 0xc2 && end - q >= 2) {
				if ((unsigned char)q[1] == 0xa0) {
					sink_separator(sink, SEPARATOR_SPACE);
					n = 0;
					p = q + 2;
				} else if ((unsigned char)q[1] == 0xad)
					n = 2;
			} else if (b == 0xe2 && end - q >= 3) {
				if (((unsigned char)q[1] == 0x80 &&
				    (unsigned char)q[2] >= 0x8b &&
				    (unsigned char)q[2] <= 0x8d) ||
				    ((unsigned char)q[1] == 0x81 &&
				    (unsigned char)q[2] == 0xa0))
					n = 3;
			} else if (b == 0xef && end - q >= 3 &&
			    (unsigned char)q[1] == 0xbb &&
			    (unsigned char)q[2] == 0xbf)
				n = 3;
			if (n == 0)
				break;
			if (n > 1) {
				/* A zero-width character: drop it. */
				render->result->zero_width_count++;
				p = q + n;
				break;
			}
			render_emit(render, sink, q, 1);
			p = q + 1;
			break;
		}
	}
}

/* Attributes */

/* The attribute called name (lowercase) on the current tag, or NULL. */
static inline const struct attribute *
find_attribute(const struct render *render, const char *name)
{
	const struct attribute *attribute;
	size_t i, length = strlen(name);

	for (i = 0; i < render->attribute_count; i++) {
		attribute = &render->attributes[i];
		if (attribute->name_length == length &&
		    (attribute->name[0] | 0x20) == name[0] &&
		    string_view_equal_case(string_view_make(attribute->name,
		    length), string_view_make(name, length)))
			return attribute;
	}
	return NULL;
}

/* Decodes an attribute's value into the scratch buffer (valid until the
 * next call): references decoded, NULs dropped, cut at
 * max_attribute_value bytes, surrounding white space removed. */
static struct string_view
decode_attribute(struct render *render, const struct attribute *attribute)
{
	const char *p, *end;
	char *out = render->scratch;
	size_t max = render->limits.max_attribute_value, length = 0, n;
	size_t start;
	uint32_t c;
	bool numeric;

	if (attribute == NULL || attribute->value == NULL)
		return string_view_make(out, 0);
	p = attribute->value;
	end = p + attribute->value_length;
	while (p < end) {
		if (*p == '&' && (c = decode_reference(p, end, true, &n,
		    &numeric)) != 0) {
			p += n;
			if (max - length < 4)
				break;
			length += utf8_encode(c, out + length);
			continue;
		}
		if (length == max)
			break;
		if (*p != '\0')
			out[length++] = *p;
		p++;
	}
	if (p < end) {
		render->result->flags |= HTML_TEXT_LONG_ATTRIBUTE;
		length = utf8_trim_partial(out, length);
	}
	while (length > 0 && is_space((unsigned char)out[length - 1]))
		length--;
	out[length] = '\0';
	for (start = 0; start < length && is_space((unsigned char)out[start]);
	    start++)
		;
	return string_view_make(out + start, length - start);
}

static bool
view_equal_case(struct string_view view, const char *s)
{
	return string_view_equal_cstring_case(view, s);
}

/* Records a URI-bearing value (a copy goes into the arena). */
static void
add_uri(struct render *render, const char *tag, const char *attribute,
    struct string_view value)
{
	struct html_text_uri *uris, *uri;
	size_t capacity;

	if (render->result->uri_count == render->limits.max_uris) {
		render->result->uris_dropped++;
		return;
	}
	if (render->result->uri_count == render->uri_capacity) {
		capacity = render->uri_capacity == 0 ? 16 :
		    MIN(render->uri_capacity * 2, render->limits.max_uris);
		uris = arena_array(render->arena, capacity, sizeof(*uris));
		if (render->result->uri_count > 0)
			memcpy(uris, render->uris,
			    render->result->uri_count * sizeof(*uris));
		render->uris = uris;
		render->uri_capacity = capacity;
		render->result->uris = uris;
	}
	uri = &render->uris[render->result->uri_count++];
	uri->tag = tag;
	uri->attribute = attribute;
	uri->value = string_view_make(arena_strndup(render->arena, value.data,
	    value.length), value.length);
}

static void
add_uri_attribute(struct render *render, enum tag tag, const char *name)
{
	const struct attribute *attribute = find_attribute(render, name);

	if (attribute != NULL && attribute->value != NULL)
		add_uri(render, tag_infos[tag].name, name,
		    decode_attribute(render, attribute));
}

/* Colours and inline styles */

static struct string_view
trim_view(struct string_view v)
{
	while (v.length > 0 && is_space((unsigned char)v.data[0])) {
		v.data++;
		v.length--;
	}
	while (v.length > 0 && is_space((unsigned char)v.data[v.length - 1]))
		v.length--;
	return v;
}

/* Reads a CSS number at *p (digits, optional fraction), advancing *p.
 * Returns false when there is none. Values are capped at 1e6. */
static bool
parse_number(const char **p, const char *end, double *value_r)
{
	const char *q = *p;
	double value = 0, scale = 0.1;
	bool any = false;

	if (q < end && *q == '+')
		q++;
	for (; q < end && is_digit((unsigned char)*q); q++) {
		if (value < 1e6)
			value = value * 10 + (*q - '0');
		any = true;
	}
	if (q < end && *q == '.') {
		for (q++; q < end && is_digit((unsigned char)*q); q++) {
			value += scale * (*q - '0');
			scale /= 10;
			any = true;
		}
	}
	if (!any)
		return false;
	*p = q;
	*value_r = value;
	return true;
}

static int
parse_hex_color(const char *s, size_t n, uint32_t *rgb_r)
{
	uint32_t v = 0;
	size_t i;
	int d, alpha = 255;

	if (n != 3 && n != 4 && n != 6 && n != 8)
		return -1;
	for (i = 0; i < n; i++)
		if (hex_value((unsigned char)s[i]) < 0)
			return -1;
	if (n <= 4) {
		for (i = 0; i < 3; i++) {
			d = hex_value((unsigned char)s[i]);
			v = v << 8 | (uint32_t)(d * 17);
		}
		if (n == 4)
			alpha = hex_value((unsigned char)s[3]);
	} else {
		for (i = 0; i < 6; i++)
			v = v << 4 | (uint32_t)hex_value((unsigned char)s[i]);
		if (n == 8)
			alpha = hex_value((unsigned char)s[6]) * 16 +
			    hex_value((unsigned char)s[7]);
	}
	if (alpha == 0)
		return 0;
	*rgb_r = v;
	return 1;
}

/* rgb(r, g, b) and rgba(r, g, b, a), numbers or percentages, separated
 * by commas, spaces or '/'. */
static int
parse_rgb_function(const char *p, const char *end, uint32_t *rgb_r)
{
	double value, channels[4] = { 0, 0, 0, 1 };
	uint32_t rgb = 0;
	size_t count = 0, i;

	p = memchr(p, '(', (size_t)(end - p));
	if (p == NULL)
		return -1;
	p++;
	while (count < 4) {
		while (p < end && (is_space((unsigned char)*p) || *p == ',' ||
		    *p == '/'))
			p++;
		if (!parse_number(&p, end, &value))
			break;
		if (p < end && *p == '%') {
			value = count < 3 ? value * 255 / 100 : value / 100;
			p++;
		}
		channels[count++] = value;
	}
	if (count < 3)
		return -1;
	if (count == 4 && channels[3] <= 0)
		return 0;
	for (i = 0; i < 3; i++)
		rgb = rgb << 8 | (uint32_t)MIN(channels[i], 255.0);
	*rgb_r = rgb;
	return 1;
}

/* Parses a colour value: "#rgb", "#rrggbb" (also with alpha), bare
 * hex digits as legacy attributes allow, rgb()/rgba(), the names in
 * named_colors, "transparent". Returns 1 with *rgb_r set, 0 for a
 * transparent colour, -1 when not understood. */
static int
parse_color(struct string_view v, uint32_t *rgb_r)
{
	size_t i;

	v = trim_view(v);
	if (v.length == 0)
		return -1;
	if (v.data[0] == '#')
		return parse_hex_color(v.data + 1, v.length - 1, rgb_r);
	if (string_view_starts_with_case(v, "rgb"))
		return parse_rgb_function(v.data, v.data + v.length, rgb_r);
	if (view_equal_case(v, "transparent"))
		return 0;
	for (i = 0; i < ARRAY_LENGTH(named_colors); i++) {
		if (view_equal_case(v, named_colors[i].name)) {
			*rgb_r = named_colors[i].rgb;
			return 1;
		}
	}
	return parse_hex_color(v.data, v.length, rgb_r);
}

/* What an inline style says, as far as hidden text and images go. */
#define CSS_COLOR (1u << 0)
#define CSS_TRANSPARENT (1u << 1)
#define CSS_BACKGROUND (1u << 2)
#define CSS_BACKGROUND_UNKNOWN (1u << 3)
#define CSS_DISPLAY_NONE (1u << 4)
#define CSS_HIDDEN (1u << 5)
#define CSS_VISIBLE (1u << 6)
#define CSS_TINY (1u << 7)
#define CSS_READABLE (1u << 8)  /* an absolute, readable font size */
#define CSS_WIDTH (1u << 9)
#define CSS_HEIGHT (1u << 10)
#define CSS_COLLAPSED (1u << 11) /* zero width or height */
#define CSS_OVERFLOW_HIDDEN (1u << 12)

struct css {
	unsigned int set;
	uint32_t color;
	uint32_t background;
	uint32_t width;
	uint32_t height;
};

/* Font sizes under 4px or 4pt (0.25em, 25%) cannot be read. A relative
 * readable size keeps what the parent had. */
static void
css_font_size(struct css *css, const char *p, const char *end)
{
	struct string_view unit;
	double value;
	bool relative;

	if (!parse_number(&p, end, &value))
		return;
	unit = trim_view(string_view_make(p, (size_t)(end - p)));
	if (unit.length > 0 && unit.data[0] == '/')
		unit.length = 0; /* "font: 0/0 a" */
	if (value == 0) {
		css->set |= CSS_TINY;
		return;
	}
	relative = unit.length > 0 && (unit.data[0] == '%' ||
	    string_view_starts_with_case(unit, "em") ||
	    string_view_starts_with_case(unit, "rem"));
	if (unit.length > 0 && unit.data[0] == '%')
		value /= 100;
	if (relative && value < 0.25)
		css->set |= CSS_TINY;
	else if (!relative && value < 4 && (unit.length == 0 ||
	    string_view_starts_with_case(unit, "px") ||
	    string_view_starts_with_case(unit, "pt")))
		css->set |= CSS_TINY;
	else if (!relative)
		css->set |= CSS_READABLE;
}

/* Pixels of a width or height ("120", "120px"); 0 when unknown. */
static uint32_t
css_pixels(const char *p, const char *end)
{
	double value;

	if (!parse_number(&p, end, &value))
		return 0;
	if (p < end && *p == '%')
		return 0;
	return (uint32_t)MIN(value, 100000.0);
}

/* The "background" shorthand: an image makes the background unknown,
 * otherwise the first token that is a colour sets it. */
static void
css_background(struct css *css, struct string_view value)
{
	const char *p = value.data, *end = value.data + value.length, *start;
	uint32_t rgb;
	size_t i;

	for (i = 0; i + 4 <= value.length; i++) {
		if (string_view_starts_with_case(string_view_make(p + i,
		    value.length - i), "url(")) {
			css->set |= CSS_BACKGROUND_UNKNOWN;
			return;
		}
	}
	while (p < end) {
		while (p < end && is_space((unsigned char)*p))
			p++;
		start = p;
		while (p < end && !is_space((unsigned char)*p)) {
			if (*p == '(') {
				p = memchr(p, ')', (size_t)(end - p));
				if (p == NULL)
					p = end;
				else
					p++;
				continue;
			}
			p++;
		}
		if (p > start && parse_color(string_view_make(start,
		    (size_t)(p - start)), &rgb) == 1) {
			css->set |= CSS_BACKGROUND;
			css->background = rgb;
			return;
		}
	}
}

static void
css_declaration(struct css *css, struct string_view name,
    struct string_view value)
{
	const char *p = value.data, *end = value.data + value.length;
	uint32_t rgb, pixels;
	double number;
	int ret;

	if (view_equal_case(name, "color")) {
		ret = parse_color(value, &rgb);
		if (ret == 0)
			css->set |= CSS_TRANSPARENT;
		else if (ret > 0) {
			css->set = (css->set & ~CSS_TRANSPARENT) | CSS_COLOR;
			css->color = rgb;
		}
	} else if (view_equal_case(name, "background-color")) {
		if (parse_color(value, &rgb) == 1) {
			css->set |= CSS_BACKGROUND;
			css->background = rgb;
		}
	} else if (view_equal_case(name, "background"))
		css_background(css, value);
	else if (view_equal_case(name, "background-image")) {
		if (string_view_starts_with_case(value, "url("))
			css->set |= CSS_BACKGROUND_UNKNOWN;
	} else if (view_equal_case(name, "display")) {
		if (view_equal_case(value, "none"))
			css->set |= CSS_DISPLAY_NONE;
	} else if (view_equal_case(name, "mso-hide")) {
		if (view_equal_case(value, "all"))
			css->set |= CSS_DISPLAY_NONE;
	} else if (view_equal_case(name, "visibility")) {
		if (view_equal_case(value, "hidden") ||
		    view_equal_case(value, "collapse"))
			css->set = (css->set & ~CSS_VISIBLE) | CSS_HIDDEN;
		else if (view_equal_case(value, "visible"))
			css->set = (css->set & ~CSS_HIDDEN) | CSS_VISIBLE;
	} else if (view_equal_case(name, "opacity")) {
		if (parse_number(&p, end, &number) && number == 0)
			css->set |= CSS_DISPLAY_NONE;
	} else if (view_equal_case(name, "font-size"))
		css_font_size(css, p, end);
	else if (view_equal_case(name, "font")) {
		/* The size is the first token starting with a digit. */
		while (p < end) {
			if (is_digit((unsigned char)*p) || *p == '.') {
				css_font_size(css, p, end);
				break;
			}
			while (p < end && !is_space((unsigned char)*p))
				p++;
			while (p < end && is_space((unsigned char)*p))
				p++;
		}
	} else if (view_equal_case(name, "width") ||
	    view_equal_case(name, "height")) {
		pixels = css_pixels(p, end);
		if (name.data[0] == 'w' || name.data[0] == 'W') {
			css->set |= CSS_WIDTH;
			css->width = pixels;
		} else {
			css->set |= CSS_HEIGHT;
			css->height = pixels;
		}
		if (parse_number(&p, end, &number) && number == 0)
			css->set |= CSS_COLLAPSED;
	} else if (view_equal_case(name, "max-width") ||
	    view_equal_case(name, "max-height")) {
		if (parse_number(&p, end, &number) && number == 0)
			css->set |= CSS_COLLAPSED;
	} else if (view_equal_case(name, "overflow")) {
		if (view_equal_case(value, "hidden"))
			css->set |= CSS_OVERFLOW_HIDDEN;
	}
}

/* Parses an inline style ("a: b; c: d !important"). */
static void
parse_style(struct string_view style, struct css *css)
{
	const char *p = style.data, *end = style.data + style.length;
	const char *semicolon, *colon;
	struct string_view name, value;

	memset(css, 0, sizeof(*css));
	while (p < end) {
		semicolon = memchr(p, ';', (size_t)(end - p));
		if (semicolon == NULL)
			semicolon = end;
		colon = memchr(p, ':', (size_t)(semicolon - p));
		if (colon != NULL) {
			name = trim_view(string_view_make(p,
			    (size_t)(colon - p)));
			value = trim_view(string_view_make(colon + 1,
			    (size_t)(semicolon - colon - 1)));
			if (value.length >= 10 && view_equal_case(
			    string_view_make(value.data + value.length - 10,
			    10), "!important"))
				value = trim_view(string_view_make(value.data,
				    value.length - 10));
			css_declaration(css, name, value);
		}
		p = semicolon + (semicolon < end);
	}
	if ((css->set & CSS_COLLAPSED) && (css->set & CSS_OVERFLOW_HIDDEN))
		css->set |= CSS_DISPLAY_NONE;
}

/* Weighted RGB distance, squared and times 9: d = sqrt(x / 9) ranges
 * 0..255 like one channel (green weighs most, as the eye sees it). */
static uint32_t
color_distance_9(uint32_t a, uint32_t b)
{
	int dr = (int)(a >> 16 & 0xff) - (int)(b >> 16 & 0xff);
	int dg = (int)(a >> 8 & 0xff) - (int)(b >> 8 & 0xff);
	int db = (int)(a & 0xff) - (int)(b & 0xff);

	return (uint32_t)(2 * dr * dr + 4 * dg * dg + 3 * db * db);
}

static void
element_compute(struct element *element)
{
	uint32_t d;

	element->style &= (uint16_t)~(STYLE_INVISIBLE | STYLE_LOW_CONTRAST);
	if (element->style & (STYLE_DISPLAY_NONE | STYLE_HIDDEN | STYLE_TINY |
	    STYLE_TRANSPARENT)) {
		element->style |= STYLE_INVISIBLE;
		return;
	}
	if (element->style & STYLE_BACKGROUND_UNKNOWN)
		return;
	d = color_distance_9(element->foreground, element->background);
	if (d < 9 * HTML_TEXT_INVISIBLE_DISTANCE * HTML_TEXT_INVISIBLE_DISTANCE)
		element->style |= STYLE_INVISIBLE;
	else if (d < 9 * HTML_TEXT_LOW_CONTRAST_DISTANCE *
	    HTML_TEXT_LOW_CONTRAST_DISTANCE)
		element->style |= STYLE_LOW_CONTRAST;
}

static void
element_apply_css(struct element *element, const struct css *css)
{
	if (css->set & CSS_COLOR) {
		element->foreground = css->color;
		element->style &= (uint16_t)~STYLE_TRANSPARENT;
	}
	if (css->set & CSS_TRANSPARENT)
		element->style |= STYLE_TRANSPARENT;
	if (css->set & CSS_BACKGROUND) {
		element->background = css->background;
		element->style &= (uint16_t)~STYLE_BACKGROUND_UNKNOWN;
	}
	if (css->set & CSS_BACKGROUND_UNKNOWN)
		element->style |= STYLE_BACKGROUND_UNKNOWN;
	if (css->set & CSS_DISPLAY_NONE)
		element->style |= STYLE_DISPLAY_NONE;
	if (css->set & CSS_HIDDEN)
		element->style |= STYLE_HIDDEN;
	if (css->set & CSS_VISIBLE)
		element->style &= (uint16_t)~STYLE_HIDDEN;
	if (css->set & CSS_TINY)
		element->style |= STYLE_TINY;
	else if (css->set & CSS_READABLE)
		element->style &= (uint16_t)~STYLE_TINY;
}

/* Sets a colour from a presentational attribute (font color, bgcolor). */
static void
apply_color_attribute(struct render *render, const char *name,
    uint32_t *color, struct element *element, bool foreground)
{
	const struct attribute *attribute = find_attribute(render, name);
	uint32_t rgb;
	int ret;

	if (attribute == NULL || attribute->value == NULL)
		return;
	ret = parse_color(decode_attribute(render, attribute), &rgb);
	if (ret > 0) {
		*color = rgb;
		if (foreground)
			element->style &= (uint16_t)~STYLE_TRANSPARENT;
		else
			element->style &= (uint16_t)~STYLE_BACKGROUND_UNKNOWN;
	} else if (ret == 0 && foreground)
		element->style |= STYLE_TRANSPARENT;
}

/* The style an element's own attributes give it. */
static void
apply_presentation(struct render *render, struct element *element,
    enum tag tag)
{
	const struct attribute *attribute;
	struct css css;

	if (tag == TAG_A && find_attribute(render, "href") != NULL) {
		element->foreground = render->link_color;
		element->style &= (uint16_t)~STYLE_TRANSPARENT;
	}
	if (tag == TAG_FONT)
		apply_color_attribute(render, "color", &element->foreground,
		    element, true);
	if (tag == TAG_TABLE || tag == TAG_TR || tag == TAG_TD ||
	    tag == TAG_TH)
		apply_color_attribute(render, "bgcolor", &element->background,
		    element, false);
	if (find_attribute(render, "background") != NULL)
		element->style |= STYLE_BACKGROUND_UNKNOWN;
	if (find_attribute(render, "hidden") != NULL || tag == TAG_TEMPLATE)
		element->style |= STYLE_DISPLAY_NONE;
	attribute = find_attribute(render, "style");
	if (attribute != NULL && attribute->value != NULL) {
		parse_style(decode_attribute(render, attribute), &css);
		element_apply_css(element, &css);
	}
	element_compute(element);
}

/* The element stack */

static void
update_current(struct render *render)
{
	const struct element *top = &render->stack[render->depth - 1];

	if (render->in_head)
		render->current = NULL;
	else if (top->style & STYLE_INVISIBLE)
		render->current = &render->invisible;
	else
		render->current = &render->text;
	render->current_low_contrast = (top->style & STYLE_LOW_CONTRAST) != 0;
}

static void
push_element(struct render *render, enum tag tag, uint32_t hash)
{
	struct element *element;

	if (render->depth >= render->limits.max_depth) {
		render->result->flags |= HTML_TEXT_DEEP_NESTING;
		return;
	}
	element = &render->stack[render->depth];
	*element = render->stack[render->depth - 1];
	element->tag = (uint16_t)tag;
	element->hash = hash;
	apply_presentation(render, element, tag);
	render->depth++;
	render->open_counts[tag]++;
	update_current(render);
}

/* Pops the elements from index up; returns the strongest separator
 * their end tags give. */
static unsigned int
pop_to(struct render *render, size_t index)
{
	const struct element *element;
	unsigned int separator = SEPARATOR_NONE;

	while (render->depth > index) {
		element = &render->stack[--render->depth];
		render->open_counts[element->tag]--;
		separator = MAX(separator,
		    (unsigned int)tag_infos[element->tag].separator);
	}
	update_current(render);
	return separator;
}

/* Index of the innermost open element tag (with hash, if unknown) that
 * is not behind an element with one of the scope flags; 0 if none. */
static size_t
find_open(const struct render *render, enum tag tag, uint32_t hash,
    unsigned int scope)
{
	const struct element *element;
	size_t i;

	if (render->open_counts[tag] == 0)
		return 0;
	for (i = render->depth - 1; i > 0; i--) {
		element = &render->stack[i];
		if (element->tag == tag && (tag != TAG_UNKNOWN ||
		    element->hash == hash))
			return i;
		if (tag_infos[element->tag].flags & scope)
			return 0;
	}
	return 0;
}

static void
close_open(struct render *render, enum tag tag, unsigned int scope)
{
	size_t index = find_open(render, tag, 0, scope);

	if (index > 0)
		render_separator(render, pop_to(render, index));
}

/* Start tags that end an open element, as browsers do: a block ends an
 * open <p>, a list item the previous one, a cell the previous cell. */
static void
close_implied(struct render *render, enum tag tag)
{
	if (tag_infos[tag].flags & ELEMENT_CLOSES_P)
		close_open(render, TAG_P, ELEMENT_SCOPE_BASE);
	switch (tag) {
	case TAG_LI:
		close_open(render, TAG_LI,
		    ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_LIST);
		break;
	case TAG_DD:
	case TAG_DT:
		close_open(render, TAG_DD,
		    ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_DL);
		close_open(render, TAG_DT,
		    ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_DL);
		break;
	case TAG_TD:
	case TAG_TH:
		close_open(render, TAG_TD,
		    ELEMENT_SCOPE_ROW | ELEMENT_SCOPE_TABLE);
		close_open(render, TAG_TH,
		    ELEMENT_SCOPE_ROW | ELEMENT_SCOPE_TABLE);
		break;
	case TAG_TR:
		close_open(render, TAG_TR, ELEMENT_SCOPE_TABLE);
		break;
	case TAG_OPTGROUP:
		close_open(render, TAG_OPTGROUP,
		    ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_SELECT);
		/* FALLTHROUGH */
	case TAG_OPTION:
		close_open(render, TAG_OPTION,
		    ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_SELECT);
		break;
	case TAG_A:
		close_open(render, TAG_A, ELEMENT_SCOPE_BASE);
		break;
	default:
		break;
	}
}

/* Where an end tag's search for its element stops. */
static unsigned int
end_tag_scope(enum tag tag)
{
	switch (tag) {
	case TAG_TD:
	case TAG_TH:
	case TAG_TR:
		return ELEMENT_SCOPE_TABLE;
	case TAG_LI:
		return ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_LIST;
	case TAG_DD:
	case TAG_DT:
		return ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_DL;
	case TAG_OPTION:
	case TAG_OPTGROUP:
		return ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_SELECT;
	default:
		break;
	}
	if (tag_infos[tag].flags & (ELEMENT_SCOPE_BASE | ELEMENT_SCOPE_TABLE |
	    ELEMENT_SCOPE_ROW))
		return 0;
	return ELEMENT_SCOPE_BASE;
}

/* Elements */

static void
check_event_handlers(struct render *render)
{
	const struct attribute *attribute;
	size_t i;

	for (i = 0; i < render->attribute_count; i++) {
		attribute = &render->attributes[i];
		if (attribute->name_length > 2 &&
		    (attribute->name[0] | 0x20) == 'o' &&
		    (attribute->name[1] | 0x20) == 'n') {
			render->result->flags |= HTML_TEXT_EVENT_HANDLER;
			return;
		}
	}
}

/* <body>: its colours become the document's. */
static void
apply_body(struct render *render)
{
	struct element *root = &render->stack[0];
	const struct attribute *attribute;
	struct css css;

	apply_color_attribute(render, "bgcolor", &root->background, root,
	    false);
	apply_color_attribute(render, "text", &root->foreground, root, true);
	attribute = find_attribute(render, "link");
	if (attribute != NULL && attribute->value != NULL)
		(void)parse_color(decode_attribute(render, attribute),
		    &render->link_color);
	if (find_attribute(render, "background") != NULL) {
		root->style |= STYLE_BACKGROUND_UNKNOWN;
		add_uri_attribute(render, TAG_BODY, "background");
	}
	attribute = find_attribute(render, "style");
	if (attribute != NULL && attribute->value != NULL) {
		parse_style(decode_attribute(render, attribute), &css);
		element_apply_css(root, &css);
	}
	element_compute(root);
}

/* Width or height attribute in pixels ("120", "120px"); 0 if unknown. */
static uint32_t
attribute_pixels(struct render *render, const char *name)
{
	struct string_view v;
	const struct attribute *attribute = find_attribute(render, name);

	if (attribute == NULL || attribute->value == NULL)
		return 0;
	v = decode_attribute(render, attribute);
	return css_pixels(v.data, v.data + v.length);
}

static void
render_image(struct render *render)
{
	const struct attribute *attribute;
	struct html_text *result = render->result;
	struct string_view alt;
	struct css css;
	uint32_t width, height;
	uint64_t area;

	result->image_count++;
	add_uri_attribute(render, TAG_IMG, "src");
	add_uri_attribute(render, TAG_IMG, "lowsrc");
	width = attribute_pixels(render, "width");
	height = attribute_pixels(render, "height");
	attribute = find_attribute(render, "style");
	if ((width == 0 || height == 0) && attribute != NULL &&
	    attribute->value != NULL) {
		parse_style(decode_attribute(render, attribute), &css);
		if (width == 0 && (css.set & CSS_WIDTH))
			width = css.width;
		if (height == 0 && (css.set & CSS_HEIGHT))
			height = css.height;
	}
	if (width > 0 && height > 0) {
		area = (uint64_t)width * height;
		result->image_area = area > UINT64_MAX - result->image_area ?
		    UINT64_MAX : result->image_area + area;
	}
	/* What a reader without images sees. */
	alt = decode_attribute(render, find_attribute(render, "alt"));
	if (alt.length > 0 && render->current != NULL) {
		sink_separator(render->current, SEPARATOR_SPACE);
		render_text(render, render->current, alt.data,
		    alt.data + alt.length, false, false);
		sink_separator(render->current, SEPARATOR_SPACE);
	}
}

static void
render_input(struct render *render)
{
	struct string_view type;

	type = decode_attribute(render, find_attribute(render, "type"));
	if (view_equal_case(type, "password"))
		render->result->flags |= HTML_TEXT_PASSWORD_INPUT;
	else if (view_equal_case(type, "image"))
		add_uri_attribute(render, TAG_INPUT, "src");
	add_uri_attribute(render, TAG_INPUT, "formaction");
}

static void
render_base(struct render *render)
{
	const struct attribute *attribute = find_attribute(render, "href");
	struct string_view href;

	if (attribute == NULL || attribute->value == NULL)
		return;
	href = decode_attribute(render, attribute);
	render->result->flags |= HTML_TEXT_BASE;
	if (render->result->base_href.data == NULL)
		render->result->base_href = string_view_make(arena_strndup(
		    render->arena, href.data, href.length), href.length);
	add_uri(render, "base", "href", href);
}

/* <meta http-equiv=refresh content="5; url=http://..."> */
static void
render_meta(struct render *render)
{
	struct string_view v;
	const char *p, *end;
	char quote;

	v = decode_attribute(render, find_attribute(render, "http-equiv"));
	if (!view_equal_case(v, "refresh"))
		return;
	render->result->flags |= HTML_TEXT_META_REFRESH;
	v = decode_attribute(render, find_attribute(render, "content"));
	p = v.data;
	end = v.data + v.length;
	while (p < end && (is_digit((unsigned char)*p) || *p == '.' ||
	    is_space((unsigned char)*p)))
		p++;
	if (p < end && (*p == ';' || *p == ','))
		p++;
	while (p < end && is_space((unsigned char)*p))
		p++;
	if (end - p > 3 && string_view_starts_with_case(string_view_make(p,
	    (size_t)(end - p)), "url")) {
		const char *q = p + 3;

		while (q < end && is_space((unsigned char)*q))
			q++;
		if (q < end && *q == '=') {
			p = q + 1;
			while (p < end && is_space((unsigned char)*p))
				p++;
		}
	}
	if (p < end && (*p == '"' || *p == '\'')) {
		quote = *p++;
		v = string_view_make(p, (size_t)(end - p));
		end = memchr(p, quote, v.length);
		if (end == NULL)
			end = v.data + v.length;
	}
	v = trim_view(string_view_make(p, (size_t)(end - p)));
	if (v.length > 0)
		add_uri(render, "meta", "content", v);
}

/* Finds the end tag of a raw-text element: "</name" followed by white
 * space, '/' or '>' (any case). Returns its '<', or end. */
static const char *
find_raw_end(const char *p, const char *end, const char *name)
{
	size_t length = strlen(name);
	const char *lt;

	while ((lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - lt) >= length + 3 && lt[1] == '/' &&
		    string_view_equal_case(string_view_make(lt + 2, length),
		    string_view_make(name, length)) &&
		    (is_space((unsigned char)lt[length + 2]) ||
		    lt[length + 2] == '/' || lt[length + 2] == '>'))
			return lt;
		p = lt + 1;
	}
	return end;
}

/* Handles the content of a raw-text element starting at p: renders it
 * to sink (NULL: drops it), decoding references if decode is set, and
 * returns the position after its end tag. */
static const char *
render_raw(struct render *render, const char *p, enum tag tag,
    struct sink *sink, bool decode)
{
	const char *end = render->end, *close, *gt;

	close = find_raw_end(p, end, tag_infos[tag].name);
	render_text(render, sink, p, close, decode, false);
	if (close == end)
		return end;
	render->result->tag_count++;
	gt = memchr(close, '>', (size_t)(end - close));
	if (gt == NULL) {
		render->result->flags |= HTML_TEXT_UNCLOSED_TAG;
		return end;
	}
	return gt + 1;
}

/* Handles a start tag whose attributes are in render->attributes; p is
 * just past its '>'. Returns where to continue. */
static const char *
start_tag(struct render *render, enum tag tag, uint32_t hash,
    const char *p)
{
	struct html_text *result = render->result;
	const struct tag_info *info = &tag_infos[tag];

	check_event_handlers(render);
	switch (tag) {
	case TAG_HTML:
		return p;
	case TAG_HEAD:
		if (!render->body_seen && render->text.total == 0 &&
		    render->invisible.total == 0) {
			render->in_head = true;
			update_current(render);
		}
		return p;
	case TAG_BODY:
		render->in_head = false;
		render->body_seen = true;
		apply_body(render);
		update_current(render);
		return p;
	default:
		break;
	}
	if (render->in_head && !(info->flags & ELEMENT_HEAD_OK)) {
		render->in_head = false;
		update_current(render);
	}
	close_implied(render, tag);
	render_separator(render, info->separator);
	if (tag != TAG_IMG && find_attribute(render, "background") != NULL)
		add_uri_attribute(render, tag, "background");
	switch (tag) {
	case TAG_A:
	case TAG_AREA:
	case TAG_LINK:
		add_uri_attribute(render, tag, "href");
		break;
	case TAG_BASE:
		render_base(render);
		break;
	case TAG_IMG:
		render_image(render);
		break;
	case TAG_FORM:
		result->flags |= HTML_TEXT_FORM;
		add_uri_attribute(render, tag, "action");
		break;
	case TAG_BUTTON:
		add_uri_attribute(render, tag, "formaction");
		break;
	case TAG_INPUT:
		render_input(render);
		break;
	case TAG_SCRIPT:
		result->flags |= HTML_TEXT_SCRIPT;
		add_uri_attribute(render, tag, "src");
		return render_raw(render, p, tag, NULL, false);
	case TAG_STYLE:
	case TAG_NOEMBED:
	case TAG_NOFRAMES:
		return render_raw(render, p, tag, NULL, false);
	case TAG_IFRAME:
		result->flags |= HTML_TEXT_IFRAME;
		add_uri_attribute(render, tag, "src");
		return render_raw(render, p, tag, NULL, false);
	case TAG_FRAME:
		add_uri_attribute(render, tag, "src");
		/* FALLTHROUGH */
	case TAG_FRAMESET:
		result->flags |= HTML_TEXT_FRAME;
		break;
	case TAG_OBJECT:
		add_uri_attribute(render, tag, "data");
		/* FALLTHROUGH */
	case TAG_APPLET:
		result->flags |= HTML_TEXT_OBJECT;
		add_uri_attribute(render, tag, "codebase");
		break;
	case TAG_EMBED:
		result->flags |= HTML_TEXT_EMBED;
		add_uri_attribute(render, tag, "src");
		break;
	case TAG_VIDEO:
		add_uri_attribute(render, tag, "poster");
		/* FALLTHROUGH */
	case TAG_AUDIO:
	case TAG_SOURCE:
	case TAG_TRACK:
		add_uri_attribute(render, tag, "src");
		break;
	case TAG_BLOCKQUOTE:
	case TAG_Q:
	case TAG_DEL:
	case TAG_INS:
		add_uri_attribute(render, tag, "cite");
		break;
	case TAG_META:
		render_meta(render);
		break;
	case TAG_TITLE:
		p = render_raw(render, p, tag, &render->title, true);
		sink_separator(&render->title, SEPARATOR_SPACE);
		return p;
	case TAG_TEXTAREA:
	case TAG_XMP:
		p = render_raw(render, p, tag, render->current,
		    tag == TAG_TEXTAREA);
		render_separator(render, info->separator);
		return p;
	case TAG_PLAINTEXT:
		render_text(render, render->current, p, render->end, false,
		    true);
		return render->end;
	default:
		break;
	}
	if (!(info->flags & ELEMENT_VOID))
		push_element(render, tag, hash);
	return p;
}

static void
end_tag(struct render *render, enum tag tag, uint32_t hash)
{
	size_t index;

	switch (tag) {
	case TAG_BR:
		/* Browsers read </br> as <br>. */
		render_separator(render, SEPARATOR_LINE);
		return;
	case TAG_HEAD:
		render->in_head = false;
		update_current(render);
		return;
	case TAG_HTML:
	case TAG_BODY:
		return;
	default:
		break;
	}
	index = find_open(render, tag, hash, end_tag_scope(tag));
	if (index == 0) {
		render->result->unmatched_end_tag_count++;
		/* A stray </p> makes an empty paragraph. */
		if (tag == TAG_P)
			render_separator(render, SEPARATOR_PARAGRAPH);
		return;
	}
	render_separator(render, pop_to(render, index));
}

/* Markup */

/* The element called name (lowercase letters and digits only), or
 * TAG_UNKNOWN. */
static enum tag
tag_lookup(const char *name, size_t length)
{
	size_t low = 0, high = TAG_UNKNOWN, middle;
	int cmp;

	while (low < high) {
		middle = low + (high - low) / 2;
		cmp = strncmp(tag_infos[middle].name, name, length);
		if (cmp == 0 && tag_infos[middle].name[length] != '\0')
			cmp = 1;
		if (cmp == 0)
			return (enum tag)middle;
		if (cmp < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return TAG_UNKNOWN;
}

static inline bool
ends_tag_name(unsigned char c)
{
	return is_space(c) || c == '/' || c == '>';
}

/* Parses a tag from its name at p (just past "<" or "</"). Returns
 * where to continue. */
static const char *
render_tag(struct render *render, const char *p, bool is_end_tag)
{
	const char *end = render->end, *name = p, *attribute_name, *value;
	struct attribute *attribute;
	char lower[TAG_NAME_MAX];
	uint32_t hash = 2166136261u;
	size_t length, name_length, value_length, i;
	enum tag tag;
	unsigned char c;
	char quote;

	while (p < end && !ends_tag_name((unsigned char)*p)) {
		c = (unsigned char)string_ascii_lower((unsigned char)*p);
		hash = (hash ^ c) * 16777619u;
		p++;
	}
	length = (size_t)(p - name);
	tag = TAG_UNKNOWN;
	if (length <= TAG_NAME_MAX) {
		for (i = 0; i < length && is_alnum((unsigned char)name[i]);
		    i++)
			lower[i] = (char)string_ascii_lower(
			    (unsigned char)name[i]);
		if (i == length)
			tag = tag_lookup(lower, length);
	}
	render->attribute_count = 0;
	for (;;) {
		while (p < end && (is_space((unsigned char)*p) || *p == '/'))
			p++;
		if (p == end)
			goto unclosed;
		if (*p == '>') {
			p++;
			break;
		}
		attribute_name = p++;
		while (p < end && !ends_tag_name((unsigned char)*p) &&
		    *p != '=')
			p++;
		name_length = (size_t)(p - attribute_name);
		while (p < end && is_space((unsigned char)*p))
			p++;
		value = NULL;
		value_length = 0;
		if (p < end && *p == '=') {
			p++;
			while (p < end && is_space((unsigned char)*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				quote = *p++;
				value = p;
				p = memchr(p, quote, (size_t)(end - p));
				if (p == NULL)
					goto unclosed;
				value_length = (size_t)(p - value);
				p++;
			} else {
				value = p;
				while (p < end && *p != '>' &&
				    !is_space((unsigned char)*p))
					p++;
				value_length = (size_t)(p - value);
			}
		}
		if (render->attribute_count < ATTRIBUTES_MAX) {
			attribute = &render->attributes[
			    render->attribute_count++];
			attribute->name = attribute_name;
			attribute->name_length = name_length;
			attribute->value = value;
			attribute->value_length = value_length;
		}
	}
	render->result->tag_count++;
	if (tag == TAG_UNKNOWN)
		render->result->unknown_tag_count++;
	if (is_end_tag) {
		end_tag(render, tag, hash);
		return p;
	}
	return start_tag(render, tag, hash, p);

unclosed:
	/* A tag cut off by the end of the document is dropped. */
	render->result->flags |= HTML_TEXT_UNCLOSED_TAG;
	return end;
}

/* Returns the position after the end of a comment whose text starts at
 * p ("-->", "--!>", or the abrupt "<!-->" and "<!--->"), or NULL. */
static const char *
find_comment_end(const char *p, const char *end)
{
	const char *dash, *q;

	if (p < end && *p == '>')
		return p + 1;
	if (end - p >= 2 && p[0] == '-' && p[1] == '>')
		return p + 2;
	while (p < end) {
		dash = memchr(p, '-', (size_t)(end - p));
		if (dash == NULL)
			return NULL;
		if (dash + 1 < end && dash[1] == '-') {
			for (q = dash + 2; q < end && *q == '-'; q++)
				;
			if (q < end && *q == '>')
				return q + 1;
			if (end - q >= 2 && q[0] == '!' && q[1] == '>')
				return q + 2;
			p = q;
		} else
			p = dash + 1;
	}
	return NULL;
}

static const char *
render_comment(struct render *render, const char *p)
{
	const char *after = find_comment_end(p, render->end);
	struct sink *sink = render->current;

	render->result->comment_count++;
	if (after == NULL) {
		render->result->flags |= HTML_TEXT_UNCLOSED_COMMENT;
		return render->end;
	}
	if (sink != NULL && sink->pending == SEPARATOR_NONE &&
	    is_alnum(sink->last) && after < render->end &&
	    is_alnum((unsigned char)*after))
		render->result->comments_in_words++;
	return after;
}

/* <!DOCTYPE ...>, <?...>, </3...> and the like end at the next '>'. */
static const char *
render_bogus_comment(struct render *render, const char *p)
{
	const char *gt = memchr(p, '>', (size_t)(render->end - p));

	if (gt == NULL) {
		render->result->flags |= HTML_TEXT_UNCLOSED_COMMENT;
		return render->end;
	}
	return gt + 1;
}

/* Handles what starts at lt (*lt == '<'); returns where to continue. */
static const char *
render_markup(struct render *render, const char *lt)
{
	const char *p = lt + 1, *end = render->end;

	if (p < end && *p == '!') {
		if (end - p >= 3 && p[1] == '-' && p[2] == '-')
			return render_comment(render, p + 3);
		return render_bogus_comment(render, p + 1);
	}
	if (p < end && *p == '?')
		return render_bogus_comment(render, p + 1);
	if (p < end && *p == '/' && p + 1 < end) {
		if (p[1] == '>')
			return p + 2;
		if (!is_alpha((unsigned char)p[1]))
			return render_bogus_comment(render, p + 1);
		return render_tag(render, p + 1, true);
	}
	if (p < end && is_alpha((unsigned char)*p))
		return render_tag(render, p, false);
	/* Not markup: a literal '<'. */
	if (render->current != NULL)
		render_emit(render, render->current, "<", 1);
	return p;
}

static struct string_view
sink_finish(struct sink *sink)
{
	sink->data[sink->length] = '\0';
	return string_view_make(sink->data, sink->length);
}

struct html_text *
html_text_render(struct arena *arena, const char *html, size_t length,
    const struct html_text_limits *limits)
{
	struct render render;
	struct html_text *result;
	const char *p, *lt, *stop;
	bool pre;

	memset(&render, 0, sizeof(render));
	if (limits != NULL)
		render.limits = *limits;
#define DEFAULT(field, value) \
	if (render.limits.field == 0) render.limits.field = (value)
	DEFAULT(max_input, HTML_TEXT_DEFAULT_MAX_INPUT);
	DEFAULT(max_text, HTML_TEXT_DEFAULT_MAX_TEXT);
	DEFAULT(max_invisible_text, HTML_TEXT_DEFAULT_MAX_INVISIBLE_TEXT);
	DEFAULT(max_title, HTML_TEXT_DEFAULT_MAX_TITLE);
	DEFAULT(max_uris, HTML_TEXT_DEFAULT_MAX_URIS);
	DEFAULT(max_attribute_value, HTML_TEXT_DEFAULT_MAX_ATTRIBUTE_VALUE);
	DEFAULT(max_depth, HTML_TEXT_DEFAULT_MAX_DEPTH);
#undef DEFAULT
	/* Room for four UTF-8 bytes of a decoded reference. */
	render.limits.max_attribute_value =
	    MAX(render.limits.max_attribute_value, 8);
	render.limits.max_depth = MAX(render.limits.max_depth, 2);

	result = arena_new_type(arena, struct html_text);
	render.arena = arena;
	render.result = result;
	if (length > render.limits.max_input) {
		length = render.limits.max_input;
		result->flags |= HTML_TEXT_TRUNCATED;
	}
	result->input_bytes = length;
	render.end = html + length;
	sink_init(arena, &render.text, render.limits.max_text, length);
	sink_init(arena, &render.invisible, render.limits.max_invisible_text,
	    length);
	sink_init(arena, &render.title, render.limits.max_title, length);
	render.stack = arena_array(arena, render.limits.max_depth,
	    sizeof(*render.stack));
	render.stack[0].tag = TAG_HTML;
	render.stack[0].foreground = COLOR_BLACK;
	render.stack[0].background = COLOR_WHITE;
	render.depth = 1;
	render.link_color = COLOR_LINK;
	render.scratch = arena_alloc(arena,
	    render.limits.max_attribute_value + 1);
	update_current(&render);

	p = html;
	while (p < render.end) {
		lt = memchr(p, '<', (size_t)(render.end - p));
		stop = lt != NULL ? lt : render.end;
		pre = render.open_counts[TAG_PRE] > 0 ||
		    render.open_counts[TAG_LISTING] > 0;
		render_text(&render, render.current, p, stop, true, pre);
		if (lt == NULL)
			break;
		p = render_markup(&render, lt);
	}

	result->text = sink_finish(&render.text);
	result->invisible_text = sink_finish(&render.invisible);
	result->title = sink_finish(&render.title);
	if (result->base_href.data == NULL)
		result->base_href = string_view_make("", 0);
	result->text_bytes = render.text.total;
	result->invisible_text_bytes = render.invisible.total;
	if (render.text.full || render.invisible.full || render.title.full)
		result->flags |= HTML_TEXT_TRUNCATED;
	return result;
}
