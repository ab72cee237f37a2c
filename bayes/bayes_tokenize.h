/* bayes_tokenize.h: turns a parsed message into the set of 64-bit token
 * hashes that Bayes learns and classifies, in the style of SpamAssassin's
 * Bayes tokenizer.
 *
 * A token is a short UTF-8 string with a prefix that says where it came
 * from; only its hash (bayes_tokenize_hash) is stored, so every rule
 * below is part of the database format: changing one makes old learned
 * data useless for the tokens it touches.
 *
 * Sources, in this order (the cap keeps the earliest tokens, so the
 * header tokens, which carry the most evidence per token, come first):
 * - From, Reply-To, To, Cc, Return-Path (every field of each): for each
 *   address "H*From:user@example.com" and "H*From:@example.com"
 *   (lowercased), and the words of the display name "H*From:word";
 * - Subject, X-Mailer, User-Agent: RFC 2047 decoded, words
 *   "H*Subject:word";
 * - Message-ID: the domain "H*Message-ID:@example.com", or
 *   "H*Message-ID:no-domain" without one, "H*Message-ID:missing"
 *   without the field;
 * - the charset of every part "H*Content-Type:charset=utf-8";
 * - the untrusted relays of the Received chain (lib/received.h, trust
 *   inferred; at most BAYES_TOKENIZE_MAX_RELAYS, newest first):
 *   "R*ip:192.0.2.1", for IPv4 also "R*ip:192.0.2" and "R*ip:192.0",
 *   "R*rdns:mx.example.com" or "R*rdns:none", "R*helo:name"; trusted
 *   (private, local) hops say nothing about the sender;
 * - URIs of the text and HTML parts (lib/uri_extract.h): "url:" plus the
 *   registrable domain, and "url:" plus the host when it differs;
 * - body words, without prefix, from every text part in document order;
 *   HTML parts are rendered (lib/html_text.h) and only the visible text
 *   counts: tags, attributes, invisible text and the title do not.
 * Other headers, including X-Spam-* and other scanners' headers, are
 * ignored, so our own or upstream verdicts never feed back into Bayes.
 *
 * Words: a word is a run of letters, digits and non-ASCII characters
 * (except the Latin-1 punctuation U+0080-U+00BF, U+00D7, U+00F7, the
 * general punctuation U+2000-U+206F, CJK punctuation U+3000-U+303F and
 * U+FFFD), joined inside by single ', . or -; so "e-mail", "don't" and
 * "example.com" are single words and trailing dots are not part of one.
 * Then:
 * - ASCII letters are lowercased; other characters are kept as they
 *   are (no Unicode case folding, which would need locale tables);
 * - words of fewer than 3 characters (code points) are dropped;
 * - a word of digits and joiners only is a number and becomes its shape,
 *   each digit written 9: "N:99.99" for "12.50"; a shape longer than 15
 *   characters becomes "N:long";
 * - a word longer than 15 characters becomes "sk:" plus its first 7
 *   characters, as in SpamAssassin (long words are mostly encoded junk,
 *   whose prefix still says something);
 * - 8-bit text is UTF-8 by the time it gets here (lib/message converts
 *   every charset), so non-ASCII words are ordinary words.
 * Every token is cut to BAYES_TOKENIZE_MAX_TOKEN_BYTES at a character
 * boundary.
 *
 * Tokens are deduplicated; at most max_tokens distinct tokens are kept
 * and the rest of the message is not read.
 *
 * Everything returned lives in the caller's arena. Pure (no I/O, no
 * global state): any thread may call it, each with its own arena. */
#ifndef SLUICE_BAYES_TOKENIZE_H
#define SLUICE_BAYES_TOKENIZE_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/message.h"

#define BAYES_TOKENIZE_DEFAULT_MAX_TOKENS 3000
/* Bytes of one token string, prefix included. */
#define BAYES_TOKENIZE_MAX_TOKEN_BYTES 128
/* Untrusted relays tokenized, and addresses per header field. */
#define BAYES_TOKENIZE_MAX_RELAYS 10
#define BAYES_TOKENIZE_MAX_ADDRESSES 50
/* Word length rules, in characters. */
#define BAYES_TOKENIZE_MIN_WORD 3
#define BAYES_TOKENIZE_MAX_WORD 15
#define BAYES_TOKENIZE_SKIP_PREFIX 7

/* All members may be 0/NULL. */
struct bayes_tokenize_options {
	/* Distinct tokens kept; 0 means BAYES_TOKENIZE_DEFAULT_MAX_TOKENS. */
	size_t max_tokens;
	/* Called once for every distinct token kept, in the order of the
	 * result, with its NUL-terminated text (valid only during the
	 * call) and its hash: for tests and "sluice check --debug". */
	void (*token_callback)(void *context, const char *token,
	    uint64_t hash);
	void *context;
};

struct bayes_tokenize_result {
	/* Distinct token hashes in order of first appearance, in the
	 * arena; NULL when count is 0. */
	const uint64_t *hashes;
	size_t count;
	/* max_tokens was reached and the rest of the message skipped. */
	bool truncated;
};

/* Tokenizes message (parsed into arena or any arena that outlives the
 * result) into *result_r. options may be NULL. Scratch data (rendered
 * HTML, decoded headers, URI lists) also goes into arena. Never fails. */
void bayes_tokenize(struct arena *arena, const struct message *message,
    const struct bayes_tokenize_options *options,
    struct bayes_tokenize_result *result_r);

/* The stored hash of a token string token[0..length): FNV-1a 64 over the
 * bytes with a final avalanche mix (see bayes_tokenize.c). Fixed forever:
 * learned databases depend on it. */
uint64_t bayes_tokenize_hash(const char *token, size_t length);

#endif
