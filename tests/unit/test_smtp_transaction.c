/* test_smtp_transaction.c: the transaction's recipients and the BDAT
 * side of the message: chunks fed in any split leave the same bytes,
 * size and content flags as the DATA reader does for the same message. */
#include "lib/buffer.h"
#include "lib/smtp_data_reader.h"
#include "gateway/smtp_transaction.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

/* Flags both paths must agree on (LONG_LINE and TOO_BIG are the DATA
 * reader's alone: BDAT checks sizes per chunk). */
#define COMPARED_FLAGS (SMTP_DATA_READER_BARE_LF | SMTP_DATA_READER_BARE_CR | \
	SMTP_DATA_READER_NUL | SMTP_DATA_READER_8BIT)

/* What DATA stores for message: dot-stuffed lines, a CR LF added if the
 * message does not end in one, then the terminator, through the reader. */
static void
via_data(const unsigned char *message, size_t length, struct buffer *out,
    unsigned *flags_r, uint64_t *size_r)
{
	struct smtp_data_reader *reader = smtp_data_reader_new(NULL, out);
	struct buffer input;
	size_t i, consumed;
	bool line_start = true;

	buffer_init(&input, 0);
	for (i = 0; i < length; i++) {
		if (line_start && message[i] == '.')
			test_assert_int(buffer_append(&input, ".", 1), 0);
		test_assert_int(buffer_append(&input, &message[i], 1), 0);
		line_start = i > 0 && message[i] == '\n' &&
		    message[i - 1] == '\r';
	}
	if (length > 0 && !(length >= 2 && message[length - 2] == '\r' &&
	    message[length - 1] == '\n'))
		test_assert_int(buffer_append(&input, "\r\n", 2), 0);
	test_assert_int(buffer_append(&input, ".\r\n", 3), 0);
	test_assert_int(smtp_data_reader_feed(reader, buffer_data(&input),
	    buffer_length(&input), &consumed), 1);
	test_assert_int(consumed, buffer_length(&input));
	*flags_r = smtp_data_reader_flags(reader) & COMPARED_FLAGS;
	*size_r = smtp_data_reader_size(reader);
	smtp_data_reader_free(&reader);
	buffer_deinit(&input);
}

static void
test_smtp_transaction_chunks_match_data(void)
{
	static const struct {
		const char *message;
		unsigned flags;
	} cases[] = {
		{ "", 0 },
		{ "\r\n", 0 },
		{ "Subject: x\r\n\r\nbody\r\n", 0 },
		{ "Subject: x\r\n\r\nno final newline", 0 },
		{ ".\r\n..\r\n.x\r\nend\r\n", 0 },
		{ "a\r\n.\r\nMAIL FROM:<x@y>\r\n", 0 },
		{ "bare\nlf\r\n", SMTP_DATA_READER_BARE_LF },
		{ "bare\rcr\r\n", SMTP_DATA_READER_BARE_CR },
		{ "ends in cr\r", SMTP_DATA_READER_BARE_CR },
		{ "ends in lf\n", SMTP_DATA_READER_BARE_LF },
		{ "\r\r\n\n", SMTP_DATA_READER_BARE_CR |
		    SMTP_DATA_READER_BARE_LF },
		{ "x\n.y\r\n", SMTP_DATA_READER_BARE_LF },
		{ "caf\xc3\xa9\r\n", SMTP_DATA_READER_8BIT },
	};
	unsigned flags_data;
	uint64_t size_data;
	struct buffer expected;
	size_t i, offset, chunk, length;
	uint32_t seed;
	int mode;

	for (i = 0; i < ARRAY_LENGTH(cases); i++) {
		const unsigned char *message =
		    (const unsigned char *)cases[i].message;
		length = strlen(cases[i].message);
		buffer_init(&expected, 0);
		via_data(message, length, &expected, &flags_data, &size_data);
		test_assert_int(flags_data, cases[i].flags);
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			struct smtp_transaction *transaction =
			    smtp_transaction_new();
			seed = 7;
			for (offset = 0; offset < length; offset += chunk) {
				chunk = trickle_next_chunk(
				    (enum trickle_mode)mode, length - offset,
				    &seed);
				smtp_transaction_append_chunk(transaction,
				    message + offset, chunk);
			}
			smtp_transaction_end_chunks(transaction);
			if (buffer_length(&transaction->message) !=
			    buffer_length(&expected) ||
			    (buffer_length(&expected) > 0 &&
			    memcmp(buffer_data(&transaction->message),
			    buffer_data(&expected),
			    buffer_length(&expected)) != 0) ||
			    transaction->content_flags != flags_data ||
			    transaction->content_size != size_data)
				test_fail(__FILE__, __LINE__,
				    "case %zu (%s): %zu bytes flags %#x size "
				    "%llu, DATA %zu bytes flags %#x size %llu",
				    i, trickle_mode_name((enum trickle_mode)mode),
				    buffer_length(&transaction->message),
				    transaction->content_flags,
				    (unsigned long long)transaction->content_size,
				    buffer_length(&expected), flags_data,
				    (unsigned long long)size_data);
			smtp_transaction_free(&transaction);
			test_assert(transaction == NULL);
		}
		buffer_deinit(&expected);
	}
}

static void
test_smtp_transaction_nul_and_large_chunks(void)
{
	struct smtp_transaction *transaction = smtp_transaction_new();
	static const unsigned char nul[] = { 'a', 0, 'b', '\r', '\n' };
	char block[4096];
	int i;

	memset(block, 'x', sizeof(block));
	block[sizeof(block) - 2] = '\r';
	block[sizeof(block) - 1] = '\n';
	for (i = 0; i < 256; i++)
		smtp_transaction_append_chunk(transaction,
		    (const unsigned char *)block, sizeof(block));
	test_assert_int(transaction->content_flags, 0);
	smtp_transaction_append_chunk(transaction, nul, sizeof(nul));
	smtp_transaction_end_chunks(transaction);
	test_assert_int(transaction->content_flags, SMTP_DATA_READER_NUL);
	test_assert_int(transaction->content_size, 256 * 4096 + 5);
	test_assert_int(buffer_length(&transaction->message), 256 * 4096 + 5);
	smtp_transaction_free(&transaction);
}

static void
test_smtp_transaction_recipients(void)
{
	struct smtp_transaction *transaction = smtp_transaction_new();
	char address[64];
	int i;

	test_assert_string(transaction->envid, "");
	test_assert_int(transaction->ret, SPOOL_RET_DEFAULT);
	for (i = 0; i < 10; i++) {
		snprintf(address, sizeof(address), "u%d@example.test", i);
		smtp_transaction_add_recipient(transaction, address, address,
		    (unsigned)i % 3, i % 2 == 0 ? "rfc822;o@x.test" : NULL);
	}
	test_require(transaction->recipient_count == 10);
	test_assert_string(transaction->recipients[9].address,
	    "u9@example.test");
	test_assert_int(transaction->recipients[4].notify, 1);
	test_assert_string(transaction->recipients[4].orcpt, "rfc822;o@x.test");
	test_assert_string(transaction->recipients[5].orcpt, "");
	smtp_transaction_free(&transaction);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_smtp_transaction_chunks_match_data),
		TEST_CASE(test_smtp_transaction_nul_and_large_chunks),
		TEST_CASE(test_smtp_transaction_recipients),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
