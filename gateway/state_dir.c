/* state_dir.c: create STATE_DIR and keep it owned by the sluice user. */
#include "gateway/state_dir.h"
#include "lib/alloc.h"
#include "lib/durable_file.h"
#include "lib/error.h"
#include "lib/log.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_dir_owned[] = {
	"", "spool", "spool/tmp", "spool/queue", "spool/failed", "spool/state",
	"mail",
	"sluice.db", "sluice.db-wal", "sluice.db-shm",
};

int
state_dir_owner(const struct server_config *config, uid_t *uid_r,
    gid_t *gid_r, const char **error_r)
{
	struct passwd *pw;

	*uid_r = (uid_t)-1;
	*gid_r = (gid_t)-1;
	if (geteuid() != 0)
		return 0;
	if (config->core->user[0] == '\0') {
		*error_r = error_set("%s: running as root needs user = NAME "
		    "(an unprivileged account to run as)", config->path);
		return -1;
	}
	pw = getpwnam(config->core->user);
	if (pw == NULL) {
		*error_r = error_set("user '%s' does not exist: create it "
		    "(useradd --system %s) or set user in %s",
		    config->core->user, config->core->user, config->path);
		return -1;
	}
	if (pw->pw_uid == 0) {
		*error_r = error_set("user '%s' is root: pick an unprivileged "
		    "account", config->core->user);
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

/* Gives one entry to uid:gid. We run as root inside a directory the
 * unprivileged user controls, so never follow a symlink (lchown) and
 * leave alone anything that is not a plain directory or a singly linked
 * regular file: a planted link to /etc/shadow must not change owner. */
static int
state_dir_hand_over(const char *path, uid_t uid, gid_t gid,
    const char **error_r)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = error_set_errno("lstat %s", path);
		return -1;
	}
	if (st.st_uid == uid && st.st_gid == gid)
		return 0;
	if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && st.st_nlink == 1)) {
		/* A symlink may be the admin's (mail on another disk); it is
		 * theirs to own. Say so, change nothing. */
		log_warn("event=ownership_skipped path=%s reason=not a plain "
		    "file or directory", path);
		return 0;
	}
	if (lchown(path, uid, gid) < 0) {
		*error_r = error_set_errno("chown %s", path);
		return -1;
	}
	return 0;
}

int
state_dir_prepare(const struct server_config *config, uid_t uid, gid_t gid,
    const char **error_r)
{
	char *path;
	size_t i;
	int ret = 0;

	path = server_config_state_path(config, "spool");
	ret = durable_mkdir_all(path, 0750, error_r);
	free(path);
	if (ret < 0)
		return -1;
	path = server_config_state_path(config, "mail");
	ret = durable_mkdir_all(path, 0750, error_r);
	free(path);
	if (ret < 0 || uid == (uid_t)-1)
		return ret;
	for (i = 0; i < ARRAY_LENGTH(state_dir_owned); i++) {
		path = server_config_state_path(config, state_dir_owned[i]);
		ret = state_dir_hand_over(path, uid, gid, error_r);
		free(path);
		if (ret < 0)
			break;
	}
	return ret;
}

char *
state_dir_accounts_path(const struct server_config *config)
{
	return server_config_state_path(config, "sluice.db");
}
