/* fuzz_bayes_tokenize.c: libFuzzer target for bayes/bayes_tokenize: any
 * message tokenizes within the cap, every token fits the token limit and
 * hashes to what the result holds, and no hash appears twice.
 *
 * Input layout: octet 0 picks a small cap (odd: 1..128) or the default;
 * the rest is the message. */
#include "bayes/bayes_tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t hashes[BAYES_TOKENIZE_DEFAULT_MAX_TOKENS];
	size_t count;
};

static void
check_token(void *context, const char *token, uint64_t hash)
{
	struct seen *seen = context;
	size_t length = strlen(token);

	ASSERT(length > 0 && length <= BAYES_TOKENIZE_MAX_TOKEN_BYTES);
	ASSERT(hash == bayes_tokenize_hash(token, length));
	ASSERT(seen->count < ARRAY_LENGTH(seen->hashes));
	seen->hashes[seen->count++] = hash;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen seen;
	struct bayes_tokenize_options options = {
		.token_callback = check_token,
		.context = &seen,
	};
	struct bayes_tokenize_result result;
	struct message *message;
	struct arena *arena;
	size_t max, i, j;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		options.max_tokens = 1 + (data[0] >> 1);
	max = options.max_tokens != 0 ? options.max_tokens :
	    BAYES_TOKENIZE_DEFAULT_MAX_TOKENS;
	seen.count = 0;
	arena = arena_new("fuzz", 0);
	message = message_parse(arena, data + 1, size - 1, NULL);
	bayes_tokenize(arena, message, &options, &result);
	ASSERT(result.count <= max);
	ASSERT(result.truncated == (result.count == max));
	ASSERT(seen.count == result.count);
	for (i = 0; i < result.count; i++) {
		ASSERT(result.hashes[i] == seen.hashes[i]);
		for (j = 0; j < i; j++)
			ASSERT(result.hashes[i] != result.hashes[j]);
	}
	arena_free(&arena);
	return 0;
}
