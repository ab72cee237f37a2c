/* smtp_transaction.h: one mail transaction, MAIL FROM to end of DATA.
 *
 * Everything a transaction holds (envelope, recipients, the message
 * bytes, later the parsed MIME and rule hits) lives in its arena and
 * goes with one smtp_transaction_free() at RSET, HELO, end of DATA or
 * disconnect. Loop thread only, except while an end-of-data job owns it.
 *
 * The message arrives either through DATA (smtp_data_reader unstuffs it)
 * or as BDAT chunks (smtp_transaction_append_chunk(), raw octets); both
 * leave the same bytes in `message` and the same content flags, so
 * everything after the end of the message is shared. */
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
	enum spool_ret ret;           /* MAIL ... RET= */
	const char *envid;            /* MAIL ... ENVID= decoded, "" if none */
	struct spool_recipient *recipients;
	size_t recipient_count;
	size_t recipient_capacity;
	size_t rcpt_commands;         /* accepted RCPTs, duplicates too */
	struct buffer message;        /* our Received header, then DATA */
	struct smtp_data_reader *data_reader;
	/* The client's part of the message, whichever way it came:
	 * enum smtp_data_reader_flag bits and its size in octets. */
	unsigned content_flags;
	uint64_t content_size;
	/* BDAT: a chunk was accepted (DATA is then out of order); a chunk
	 * was refused (later ones get 503 until the last); the previous
	 * chunk ended in CR. */
	bool chunking;
	bool declined;
	bool chunk_cr;
};

struct smtp_transaction *smtp_transaction_new(void);
void smtp_transaction_free(struct smtp_transaction **transaction_p);

/* Appends a recipient (strings copied into the arena). notify and orcpt
 * are the RCPT's DSN parameters (0 and "" when absent). */
void smtp_transaction_add_recipient(struct smtp_transaction *transaction,
    const char *address, const char *mailbox, unsigned notify,
    const char *orcpt);

/* Appends length octets of a BDAT chunk to the message as they are (no
 * dot-stuffing, no line handling), adding to content_size and setting
 * content_flags as the DATA reader would for the same octets: bare CR,
 * bare LF (across chunk boundaries too), NUL, 8-bit. The caller checks
 * the size cap before accepting a chunk. */
void smtp_transaction_append_chunk(struct smtp_transaction *transaction,
    const unsigned char *data, size_t length);

/* Ends a chunked message: a CR left at the very end is a bare CR, and a
 * message that does not end with CR LF gets one, as DATA can only
 * deliver whole lines: the spooled bytes equal what DATA would have
 * produced for the same message. */
void smtp_transaction_end_chunks(struct smtp_transaction *transaction);

#endif
