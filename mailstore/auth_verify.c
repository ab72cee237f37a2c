/* auth_verify.c: login password checks on worker threads over a small
 * free list of user_accounts connections. */
#include "mailstore/auth_verify.h"
#include "mailstore/user_accounts.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"

#include <pthread.h>

struct auth_verify {
	char *database_path;
	pthread_mutex_t mutex;
	struct user_accounts *idle[AUTH_VERIFY_IDLE_MAX];
	size_t idle_count;
};

int
auth_verify_new(const char *database_path, struct auth_verify **verify_r,
    const char **error_r)
{
	struct user_accounts *accounts;
	struct auth_verify *verify;

	if (user_accounts_open(database_path, &accounts, error_r) < 0)
		return -1;
	/* An address no user can have: this only makes the dummy hash. */
	if (user_accounts_verify_password(accounts, "@", "x") < 0) {
		user_accounts_close(&accounts);
		*error_r = error_set("%s: cannot check passwords",
		    database_path);
		return -1;
	}
	verify = alloc_new(struct auth_verify);
	verify->database_path = alloc_strdup(database_path);
	pthread_mutex_init(&verify->mutex, NULL);
	verify->idle[verify->idle_count++] = accounts;
	*verify_r = verify;
	return 0;
}

void
auth_verify_free(struct auth_verify **verify_p)
{
	struct auth_verify *verify = *verify_p;

	if (verify == NULL)
		return;
	while (verify->idle_count > 0)
		user_accounts_close(&verify->idle[--verify->idle_count]);
	pthread_mutex_destroy(&verify->mutex);
	free(verify->database_path);
	free(verify);
	*verify_p = NULL;
}

/* An idle connection, or a new one; NULL after logging a warning. */
static struct user_accounts *
auth_verify_take(struct auth_verify *verify)
{
	struct user_accounts *accounts = NULL;
	const char *error;

	pthread_mutex_lock(&verify->mutex);
	if (verify->idle_count > 0)
		accounts = verify->idle[--verify->idle_count];
	pthread_mutex_unlock(&verify->mutex);
	if (accounts != NULL)
		return accounts;
	if (user_accounts_open(verify->database_path, &accounts, &error) < 0) {
		log_warn("event=auth_verify_error error=\"%s\"", error);
		return NULL;
	}
	return accounts;
}

/* Returns a connection to the free list, or closes it when the list is
 * full or the connection just failed (a fresh one is the simplest
 * recovery). */
static void
auth_verify_give_back(struct auth_verify *verify,
    struct user_accounts *accounts, bool failed)
{
	pthread_mutex_lock(&verify->mutex);
	if (!failed && verify->idle_count < AUTH_VERIFY_IDLE_MAX) {
		verify->idle[verify->idle_count++] = accounts;
		accounts = NULL;
	}
	pthread_mutex_unlock(&verify->mutex);
	user_accounts_close(&accounts);
}

/* Whether login can name a user at all: one '@' with text on both
 * sides, no recipient delimiter, short enough for an address. */
static bool
auth_verify_login_possible(const char *login)
{
	const char *at = strchr(login, '@');

	return at != NULL && at != login && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL &&
	    strchr(login, USER_ACCOUNTS_RECIPIENT_DELIMITER) == NULL &&
	    strlen(login) < ACCOUNT_DATABASE_ADDRESS_SIZE;
}

void
auth_verify_run(struct auth_verify *verify,
    const struct auth_verify_request *request,
    struct auth_verify_result *result_r)
{
	struct user_accounts *accounts;
	const char *error;
	int ret;

	memset(result_r, 0, sizeof(*result_r));
	result_r->status = AUTH_VERIFY_FAILED;
	if (!auth_verify_login_possible(request->login))
		return;
	accounts = auth_verify_take(verify);
	if (accounts == NULL) {
		result_r->status = AUTH_VERIFY_UNAVAILABLE;
		return;
	}
	ret = user_accounts_verify_password(accounts, request->login,
	    request->password);
	if (ret == 1) {
		/* The login fits (checked above), and lowercased it is the
		 * stored address. */
		(void)account_database_lowercase(request->login,
		    result_r->user, sizeof(result_r->user));
		if (user_accounts_get_quota(accounts, result_r->user,
		    &result_r->quota_bytes, &error) < 0) {
			/* Deleted in between, or the database failed: not
			 * a login either way. */
			log_warn("event=auth_verify_error error=\"%s\"", error);
			memset(result_r, 0, sizeof(*result_r));
			ret = -1;
		} else
			result_r->status = AUTH_VERIFY_OK;
	}
	if (ret < 0)
		result_r->status = AUTH_VERIFY_UNAVAILABLE;
	auth_verify_give_back(verify, accounts, ret < 0);
}

void
auth_verify_work(void *context)
{
	struct auth_verify_job *job = context;

	auth_verify_run(job->verify, &job->request, &job->result);
	explicit_bzero(job->request.password, sizeof(job->request.password));
}
