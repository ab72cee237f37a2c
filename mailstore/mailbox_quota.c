/* mailbox_quota.c: per-user quotas against mailbox usage. */
#include "mailstore/mailbox_quota.h"
#include "mailstore/local_delivery.h"
#include "mailstore/mailbox_index.h"
#include "mailstore/user_accounts.h"
#include "lib/alloc.h"
#include "lib/error.h"

#include <limits.h>
#include <pthread.h>

/* user_accounts handles kept between checks. */
#define MAILBOX_QUOTA_IDLE_MAX 4

struct mailbox_quota {
	char *accounts_path;
	char *mail_root;
	pthread_mutex_t mutex;
	struct user_accounts *idle[MAILBOX_QUOTA_IDLE_MAX];
	size_t idle_count;
};

static struct user_accounts *
mailbox_quota_take(struct mailbox_quota *quota, const char **error_r)
{
	struct user_accounts *accounts = NULL;

	pthread_mutex_lock(&quota->mutex);
	if (quota->idle_count > 0)
		accounts = quota->idle[--quota->idle_count];
	pthread_mutex_unlock(&quota->mutex);
	if (accounts == NULL &&
	    user_accounts_open(quota->accounts_path, &accounts, error_r) < 0)
		return NULL;
	return accounts;
}

static void
mailbox_quota_give_back(struct mailbox_quota *quota,
    struct user_accounts *accounts)
{
	pthread_mutex_lock(&quota->mutex);
	if (quota->idle_count < MAILBOX_QUOTA_IDLE_MAX) {
		quota->idle[quota->idle_count++] = accounts;
		accounts = NULL;
	}
	pthread_mutex_unlock(&quota->mutex);
	user_accounts_close(&accounts);
}

int
mailbox_quota_new(const char *accounts_path, const char *mail_root,
    struct mailbox_quota **quota_r, const char **error_r)
{
	struct mailbox_quota *quota = alloc_new(struct mailbox_quota);
	struct user_accounts *accounts;

	quota->accounts_path = alloc_strdup(accounts_path);
	quota->mail_root = alloc_strdup(mail_root);
	pthread_mutex_init(&quota->mutex, NULL);
	accounts = mailbox_quota_take(quota, error_r);
	if (accounts == NULL) {
		mailbox_quota_free(&quota);
		return -1;
	}
	mailbox_quota_give_back(quota, accounts);
	*quota_r = quota;
	return 0;
}

void
mailbox_quota_free(struct mailbox_quota **quota_p)
{
	struct mailbox_quota *quota = *quota_p;

	if (quota == NULL)
		return;
	while (quota->idle_count > 0)
		user_accounts_close(&quota->idle[--quota->idle_count]);
	pthread_mutex_destroy(&quota->mutex);
	free(quota->accounts_path);
	free(quota->mail_root);
	free(quota);
	*quota_p = NULL;
}

int
mailbox_quota_check(struct mailbox_quota *quota, const char *mailbox,
    uint64_t size, const char **error_r)
{
	struct user_accounts *accounts;
	struct mailbox_index *index;
	const char *at = strrchr(mailbox, '@');
	char path[PATH_MAX];
	struct mailbox_status status;
	uint64_t limit, bytes, messages;
	int ret;

	if (at == NULL || at == mailbox) {
		*error_r = error_set("not a mailbox: %s", mailbox);
		return -1;
	}
	accounts = mailbox_quota_take(quota, error_r);
	if (accounts == NULL)
		return -1;
	ret = user_accounts_get_quota(accounts, mailbox, &limit, error_r);
	mailbox_quota_give_back(quota, accounts);
	if (ret < 0)
		return -1;
	if (limit == 0)
		return 1;
	if (local_delivery_maildir_path(quota->mail_root, mailbox, path,
	    sizeof(path), error_r) < 0 ||
	    mailbox_index_open(path, &index, error_r) < 0)
		return -1;
	/* Deliveries land in INBOX's new/, which only a sync counts; the
	 * other folders change through IMAP, which keeps them indexed. */
	ret = mailbox_index_status(index, "INBOX", &status, error_r) < 0 ? -1 :
	    mailbox_index_usage(index, &bytes, &messages, error_r);
	mailbox_index_close(&index);
	if (ret < 0)
		return -1;
	return bytes + size <= limit ? 1 : 0;
}
