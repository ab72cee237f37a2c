/* smtp_transaction.h: one mail transaction, MAIL FROM to end of DATA.
 *
 * Everything a transaction holds (envelope, recipients, the message
 * bytes, later the parsed MIME and rule hits) lives in its arena and
 * goes with one smtp_transaction_free() at RSET, HELO, end of DATA or
 * disconnect. Loop thread only, except while an end-of-data job owns it. */
#ifndef SLUICE_SMTP_TRANSACTION_H
#define SLUICE_SMTP_TRANSACTION_H

#include "lib/common.h"
#include "lib/arena.h"
#include "lib/buffer.h"
#include "gateway/spool.h"

struct smtp_data_reader;

struct smtp_transaction {
	struct arena *arena;
	char id[SPOOL_ID_MAX];
	const char *mail_from;        /* "" for <> */
	bool smtputf8;
	bool body_8bitmime;
	uint64_t declared_size;       /* MAIL ... SIZE=, 0 if absent */
	struct spool_recipient *recipients;
	size_t recipient_count;
	size_t recipient_capacity;
	size_t rcpt_commands;         /* accepted RCPTs, duplicates too */
	struct buffer message;        /* our Received header, then DATA */
	struct smtp_data_reader *data_reader;
};

struct smtp_transaction *smtp_transaction_new(void);
void smtp_transaction_free(struct smtp_transaction **transaction_p);

/* Appends a recipient (strings copied into the arena). */
void smtp_transaction_add_recipient(struct smtp_transaction *transaction,
    const char *address, const char *mailbox);

#endif
