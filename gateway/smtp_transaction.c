/* smtp_transaction.c: the per-transaction arena, envelope and the BDAT
 * side of the message. */
#include "gateway/smtp_transaction.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "lib/smtp_data_reader.h"

static void
smtp_transaction_release(void *context)
{
	struct smtp_transaction *transaction = context;

	smtp_data_reader_free(&transaction->data_reader);
	buffer_deinit(&transaction->message);
}

struct smtp_transaction *
smtp_transaction_new(void)
{
	struct arena *arena = arena_new("smtp transaction", 4096);
	struct smtp_transaction *transaction = arena_new_type(arena,
	    struct smtp_transaction);

	transaction->arena = arena;
	transaction->mail_from = "";
	transaction->envid = "";
	transaction->ret = SPOOL_RET_DEFAULT;
	buffer_init(&transaction->message, 0);
	arena_add_cleanup(arena, smtp_transaction_release, transaction);
	return transaction;
}

void
smtp_transaction_free(struct smtp_transaction **transaction_p)
{
	struct smtp_transaction *transaction = *transaction_p;
	struct arena *arena;

	if (transaction == NULL)
		return;
	arena = transaction->arena;
	arena_free(&arena);
	*transaction_p = NULL;
}

void
smtp_transaction_add_recipient(struct smtp_transaction *transaction,
    const char *address, const char *mailbox, unsigned notify,
    const char *orcpt)
{
	struct spool_recipient *grown, *recipient;

	if (transaction->recipient_count == transaction->recipient_capacity) {
		transaction->recipient_capacity =
		    transaction->recipient_capacity == 0 ? 4 :
		    transaction->recipient_capacity * 2;
		grown = arena_array(transaction->arena,
		    transaction->recipient_capacity, sizeof(*grown));
		if (transaction->recipient_count > 0)
			memcpy(grown, transaction->recipients,
			    transaction->recipient_count * sizeof(*grown));
		transaction->recipients = grown;
	}
	recipient = &transaction->recipients[transaction->recipient_count++];
	recipient->address = arena_strdup(transaction->arena, address);
	recipient->mailbox = arena_strdup(transaction->arena, mailbox);
	recipient->notify = notify;
	recipient->orcpt = arena_strdup(transaction->arena,
	    orcpt != NULL ? orcpt : "");
}

/* Sets the bare CR and bare LF flags for a chunk; a CR at its end is
 * judged by the first octet of the next chunk. */
static void
smtp_transaction_scan_newlines(struct smtp_transaction *transaction,
    const unsigned char *p, const unsigned char *end)
{
	const unsigned char *cr = NULL, *lf = NULL;

	while (p < end) {
		if (transaction->chunk_cr) {
			transaction->chunk_cr = false;
			if (*p == '\n') {
				p++;
				continue;
			}
			transaction->content_flags |= SMTP_DATA_READER_BARE_CR;
		}
		/* Both positions are kept while ahead of p, so long runs
		 * of one kind stay linear. */
		if (cr == NULL || cr < p) {
			cr = memchr(p, '\r', (size_t)(end - p));
			if (cr == NULL)
				cr = end;
		}
		if (lf == NULL || lf < p) {
			lf = memchr(p, '\n', (size_t)(end - p));
			if (lf == NULL)
				lf = end;
		}
		if (lf < cr) {
			transaction->content_flags |= SMTP_DATA_READER_BARE_LF;
			p = lf + 1;
		} else if (cr < end) {
			transaction->chunk_cr = true;
			p = cr + 1;
		} else {
			break;
		}
	}
}

void
smtp_transaction_append_chunk(struct smtp_transaction *transaction,
    const unsigned char *data, size_t length)
{
	uint64_t any = 0, word;
	size_t i;

	if (length == 0)
		return;
	smtp_transaction_scan_newlines(transaction, data, data + length);
	if ((transaction->content_flags & SMTP_DATA_READER_NUL) == 0 &&
	    memchr(data, '\0', length) != NULL)
		transaction->content_flags |= SMTP_DATA_READER_NUL;
	if ((transaction->content_flags & SMTP_DATA_READER_8BIT) == 0) {
		for (i = 0; i + sizeof(word) <= length; i += sizeof(word)) {
			memcpy(&word, data + i, sizeof(word));
			any |= word;
		}
		for (; i < length; i++)
			any |= data[i];
		if ((any & UINT64_C(0x8080808080808080)) != 0)
			transaction->content_flags |= SMTP_DATA_READER_8BIT;
	}
	if (buffer_append(&transaction->message, data, length) < 0)
		log_panic("unbounded buffer refused an append");
	transaction->content_size += length;
}

void
smtp_transaction_end_chunks(struct smtp_transaction *transaction)
{
	const unsigned char *data = buffer_data(&transaction->message);
	size_t length = buffer_length(&transaction->message);

	if (transaction->chunk_cr) {
		transaction->chunk_cr = false;
		transaction->content_flags |= SMTP_DATA_READER_BARE_CR;
	}
	if (transaction->content_size == 0 ||
	    (length >= 2 && data[length - 2] == '\r' &&
	    data[length - 1] == '\n'))
		return;
	if (buffer_append(&transaction->message, "\r\n", 2) < 0)
		log_panic("unbounded buffer refused an append");
	transaction->content_size += 2;
}
