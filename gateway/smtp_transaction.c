/* smtp_transaction.c: the per-transaction arena and envelope. */
#include "gateway/smtp_transaction.h"
#include "lib/alloc.h"
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
    const char *address, const char *mailbox)
{
	struct spool_recipient *grown;

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
	transaction->recipients[transaction->recipient_count].address =
	    arena_strdup(transaction->arena, address);
	transaction->recipients[transaction->recipient_count].mailbox =
	    arena_strdup(transaction->arena, mailbox);
	transaction->recipient_count++;
}
