/* maildir.c: Maildir directory creation and tmp -> new delivery that
 * never delivers the same base name twice. */
#include "mailstore/maildir.h"
#include "lib/alloc.h"
#include "lib/durable_file.h"
#include "lib/error.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#define MAILDIR_MODE 0700

/* Formats "maildir/sub" or "maildir/sub/name" into dst. */
static int
maildir_format_path(char *dst, size_t size, const char *maildir,
    const char *sub, const char *name, const char **error_r)
{
	int n;

	if (name == NULL)
		n = snprintf(dst, size, "%s/%s", maildir, sub);
	else
		n = snprintf(dst, size, "%s/%s/%s", maildir, sub, name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		*error_r = error_set_errno("%s/%s", maildir, sub);
		return -1;
	}
	return 0;
}

int
maildir_create(const char *maildir_path, const char **error_r)
{
	static const char *const subdirectories[] = { "cur", "new", "tmp" };
	char path[PATH_MAX];
	size_t i;

	if (durable_mkdir_all(maildir_path, MAILDIR_MODE, error_r) < 0)
		return -1;
	for (i = 0; i < ARRAY_LENGTH(subdirectories); i++) {
		if (maildir_format_path(path, sizeof(path), maildir_path,
		    subdirectories[i], NULL, error_r) < 0 ||
		    durable_mkdir_all(path, MAILDIR_MODE, error_r) < 0)
			return -1;
	}
	return 0;
}

static bool
maildir_base_name_valid(const char *base_name)
{
	return base_name[0] != '\0' && base_name[0] != '.' &&
	    strchr(base_name, '/') == NULL && strchr(base_name, ':') == NULL;
}

/* 1 when cur/ holds base_name or base_name:2,FLAGS; 0 when not. */
static int
maildir_find_in_cur(const char *maildir, const char *base_name,
    const char **error_r)
{
	char path[PATH_MAX];
	size_t length = strlen(base_name);
	struct dirent *entry;
	DIR *dir;
	int found = 0;

	if (maildir_format_path(path, sizeof(path), maildir, "cur", NULL,
	    error_r) < 0)
		return -1;
	dir = opendir(path);
	if (dir == NULL) {
		*error_r = error_set_errno("opendir %s", path);
		return -1;
	}
	errno = 0;
	while (found == 0 && (entry = readdir(dir)) != NULL) {
		/* cur/BASE, cur/BASE:2,FLAGS, or the mailbox index's
		 * cur/BASE,U=UID:2,FLAGS (mailstore/maildir_name.h). */
		if (strncmp(entry->d_name, base_name, length) == 0 &&
		    (entry->d_name[length] == '\0' ||
		    strncmp(entry->d_name + length, ",U=", 3) == 0 ||
		    strncmp(entry->d_name + length, ":2,", 3) == 0))
			found = 1;
		errno = 0;
	}
	if (found == 0 && errno != 0) {
		*error_r = error_set_errno("readdir %s", path);
		found = -1;
	}
	closedir(dir);
	return found;
}

/* 1 when new/base_name or a cur/ form of it exists. */
static int
maildir_already_delivered(const char *maildir, const char *base_name,
    const char **error_r)
{
	char path[PATH_MAX];
	struct stat st;

	if (maildir_format_path(path, sizeof(path), maildir, "new", base_name,
	    error_r) < 0)
		return -1;
	if (lstat(path, &st) == 0)
		return 1;
	if (errno != ENOENT) {
		*error_r = error_set_errno("stat %s", path);
		return -1;
	}
	return maildir_find_in_cur(maildir, base_name, error_r);
}

struct maildir_delivery {
	struct durable_file *file;
	char new_path[PATH_MAX];
};

int
maildir_delivery_begin(const char *maildir_path, const char *base_name,
    bool check_existing, struct maildir_delivery **delivery_r,
    const char **error_r)
{
	char tmp_path[PATH_MAX], new_path[PATH_MAX];
	struct maildir_delivery *delivery;
	struct durable_file *file;
	int ret;

	*delivery_r = NULL;
	if (!maildir_base_name_valid(base_name)) {
		*error_r = error_set("invalid Maildir base name \"%.64s\"",
		    base_name);
		return -1;
	}
	if (maildir_format_path(tmp_path, sizeof(tmp_path), maildir_path,
	    "tmp", base_name, error_r) < 0 ||
	    maildir_format_path(new_path, sizeof(new_path), maildir_path,
	    "new", base_name, error_r) < 0)
		return -1;
	if (check_existing) {
		ret = maildir_already_delivered(maildir_path, base_name,
		    error_r);
		if (ret != 0)
			return ret < 0 ? -1 : 0;
	}
	/* Unnamed in tmp/ until linked into new/, so readers never see a
	 * partial file, as the Maildir rule wants, at a third of the
	 * directory changes. */
	if (durable_file_create_unnamed(tmp_path, &file, error_r) < 0) {
		/* The name is ours alone, so a tmp file with it is what a
		 * crashed attempt left behind (on the named fallback). */
		if (!check_existing || errno != EEXIST ||
		    durable_unlink(tmp_path, error_r) < 0 ||
		    durable_file_create_unnamed(tmp_path, &file, error_r) < 0)
			return -1;
	}
	delivery = alloc_new(struct maildir_delivery);
	delivery->file = file;
	memcpy(delivery->new_path, new_path, sizeof(new_path));
	*delivery_r = delivery;
	return 1;
}

int
maildir_delivery_write(struct maildir_delivery *delivery,
    const struct iovec *parts, size_t part_count, const char **error_r)
{
	return durable_file_writev(delivery->file, parts, part_count, error_r);
}

int
maildir_delivery_commit(struct maildir_delivery **delivery_p,
    const char **error_r)
{
	struct maildir_delivery *delivery = *delivery_p;
	int ret;

	ret = durable_file_commit_exclusive(&delivery->file, delivery->new_path,
	    error_r);
	free(delivery);
	*delivery_p = NULL;
	return ret;
}

void
maildir_delivery_abort(struct maildir_delivery **delivery_p)
{
	struct maildir_delivery *delivery = *delivery_p;

	if (delivery == NULL)
		return;
	durable_file_abort(&delivery->file);
	free(delivery);
	*delivery_p = NULL;
}

int
maildir_deliver(const char *maildir_path, const char *base_name,
    const struct iovec *parts, size_t part_count, bool check_existing,
    const char **error_r)
{
	struct maildir_delivery *delivery;
	int ret;

	ret = maildir_delivery_begin(maildir_path, base_name, check_existing,
	    &delivery, error_r);
	if (ret <= 0)
		return ret;
	if (maildir_delivery_write(delivery, parts, part_count, error_r) < 0) {
		maildir_delivery_abort(&delivery);
		return -1;
	}
	return maildir_delivery_commit(&delivery, error_r);
}
