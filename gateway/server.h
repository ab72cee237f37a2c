/* server.h: the state one sluiced process shares across its modules.
 *
 * There is one struct server; main.c creates it and owns every field.
 * It is touched only on the loop thread, except the fields marked as
 * thread-safe. Gateway modules read it directly (the struct is public
 * inside gateway/ because it is the daemon's wiring, not an interface). */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include "lib/common.h"
#include "lib/loop.h"
#include "lib/tls_context.h"
#include "lib/worker_pool.h"
#include "gateway/server_config.h"

struct client_limits;
struct listener;
struct queue;
struct routing;
struct scan_engine;
struct smtp_session;
struct spool;
struct user_accounts;

struct server {
	struct loop *loop;
	struct worker_pool *workers;    /* CPU work: scans */
	struct worker_pool *io_workers; /* blocking disk work: fsync */
	struct server_config *config;   /* current; sessions hold a ref */
	struct tls_context *tls;        /* current server context or NULL */
	struct user_accounts *accounts; /* loop-thread handle on sluice.db */
	/* Recipient routing for the current config (rebuilt on reload);
	 * thread-safe; a job takes routing_ref() for its duration. */
	struct routing *routing;
	/* The current scan engine, rule set included (gateway/rules_loader
	 * swaps it on reload); a scan takes scan_engine_ref() before handing
	 * it to a worker. Never NULL once started. */
	struct scan_engine *scan_engine;
	struct spool *spool;            /* thread-safe */
	struct queue *queue;
	struct listener *listeners;
	struct smtp_session *sessions;  /* every live SMTP session */
	struct client_limits *client_limits; /* per-client connection counts */
	char *mail_root;                /* STATE_DIR/mail */
	/* Folder change notices for IMAP sessions; deliveries tell it. */
	struct mailbox_notify *notify;
	/* Per-user quotas, checked before each local delivery. */
	struct mailbox_quota *quota;
	bool stopping;
};

/* Called by sessions when they have gone, so a stop can finish. */
void server_session_gone(struct server *server);

#endif
