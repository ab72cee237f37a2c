/* durable_file.c: crash-safe file creation (tmp, fsync, rename or link,
 * directory fsync), whole-file reads, mkdir -p and unlink with syncs.
 *
 * DESIGN: every step that makes a name visible is followed by an fsync
 * of the directory holding that name, because on Linux filesystems a
 * rename or link is only durable once its directory is synced. Data is
 * synced before the name appears, so a crash leaves either no final
 * file or a complete one. close() is checked: on NFS and some FUSE
 * filesystems it is where a deferred write error shows up. */
#include "lib/durable_file.h"
#include "lib/alloc.h"
#include "lib/error.h"
#include "lib/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/* iovecs handed to one writev(2) call; well below IOV_MAX (1024). */
#define DURABLE_FILE_IOV_BATCH 256

/* The first chunk read_whole allocates when fstat reports size 0
 * (files in /proc and pipes-like objects lie about their size). */
#define DURABLE_FILE_READ_CHUNK 4096

struct durable_file {
	int fd;
	char *tmp_path;  /* for an unnamed file: only for messages */
	uint64_t size;
	uint64_t old_size; /* a reused file: its length before */
	bool unnamed;    /* O_TMPFILE: no directory entry until linked */
};

/* Writes the parent directory of path into dst: "a/b" -> "a", "b" ->
 * ".", "/b" -> "/". Trailing slashes on path are ignored. */
static int
durable_parent(const char *path, char *dst, size_t size, const char **error_r)
{
	size_t length = strlen(path), end;

	while (length > 1 && path[length - 1] == '/')
		length--;
	end = length;
	while (end > 0 && path[end - 1] != '/')
		end--;
	if (end == 0) {
		snprintf(dst, size, ".");
		return 0;
	}
	/* end is just past the last separator; drop it and any run of
	 * separators before it, but keep a lone leading "/". */
	while (end > 1 && path[end - 1] == '/')
		end--;
	if (end >= size) {
		errno = ENAMETOOLONG;
		*error_r = error_set_errno("%s", path);
		return -1;
	}
	memcpy(dst, path, end);
	dst[end] = '\0';
	return 0;
}

static int
durable_directory_sync_now(const char *path, const char **error_r)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = error_set_errno("open directory %s", path);
		return -1;
	}
	do
		ret = fsync(fd);
	while (ret < 0 && errno == EINTR);
	/* Some filesystems cannot sync a directory and say EINVAL; there is
	 * nothing better to do on them. */
	if (ret < 0 && errno != EINVAL) {
		*error_r = error_set_errno("fsync directory %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Group commit for directory syncs. Many workers renaming into the same
 * directory (the spool, a busy Maildir) each need an fsync of it that
 * starts after their rename; one fsync started after all of them
 * serves them all. A slot tracks one directory at a time: `requested`
 * counts syncs asked for, `completed` the requests a finished fsync
 * covered. A failed fsync advances nothing, so each waiter then tries
 * itself and reports its own error. Paths that hash to a slot busy with
 * another directory sync directly. */
#define DURABLE_SYNC_SLOTS 64

struct durable_sync_slot {
	pthread_mutex_t mutex;
	pthread_cond_t done;
	char path[PATH_MAX];
	uint64_t requested;
	uint64_t completed;
	unsigned users;
	bool syncing;
};

static struct durable_sync_slot durable_sync_slots[DURABLE_SYNC_SLOTS];
static pthread_once_t durable_sync_once = PTHREAD_ONCE_INIT;

static void
durable_sync_slots_init(void)
{
	size_t i;

	for (i = 0; i < DURABLE_SYNC_SLOTS; i++) {
		pthread_mutex_init(&durable_sync_slots[i].mutex, NULL);
		pthread_cond_init(&durable_sync_slots[i].done, NULL);
	}
}

int
durable_directory_sync(const char *path, const char **error_r)
{
	struct durable_sync_slot *slot;
	uint64_t ticket, target, hash = 1469598103934665603ULL;
	const unsigned char *p;
	bool woke = false;
	int ret = 0;

	if (strlen(path) >= PATH_MAX)
		return durable_directory_sync_now(path, error_r);
	for (p = (const unsigned char *)path; *p != '\0'; p++)
		hash = (hash ^ *p) * 1099511628211ULL;
	pthread_once(&durable_sync_once, durable_sync_slots_init);
	slot = &durable_sync_slots[hash % DURABLE_SYNC_SLOTS];

	pthread_mutex_lock(&slot->mutex);
	if (slot->users == 0) {
		strcpy(slot->path, path);
	} else if (strcmp(slot->path, path) != 0) {
		pthread_mutex_unlock(&slot->mutex);
		return durable_directory_sync_now(path, error_r);
	}
	slot->users++;
	ticket = ++slot->requested;
	while (slot->completed < ticket) {
		if (slot->syncing) {
			pthread_cond_wait(&slot->done, &slot->mutex);
			continue;
		}
		slot->syncing = true;
		target = slot->requested;
		pthread_mutex_unlock(&slot->mutex);
		ret = durable_directory_sync_now(path, error_r);
		pthread_mutex_lock(&slot->mutex);
		slot->syncing = false;
		if (ret == 0 && slot->completed < target)
			slot->completed = target;
		woke = true;
		if (ret < 0)
			break;
	}
	slot->users--;
	pthread_mutex_unlock(&slot->mutex);
	/* After the unlock, so the waiters do not wake into a held mutex
	 * (the slots are static: never destroyed under a waiter). */
	if (woke)
		pthread_cond_broadcast(&slot->done);
	return ret;
}

/* Syncs the directory that holds path. */
static int
durable_sync_parent(const char *path, const char **error_r)
{
	char parent[PATH_MAX];

	if (durable_parent(path, parent, sizeof(parent), error_r) < 0)
		return -1;
	return durable_directory_sync(parent, error_r);
}

int
durable_file_create(const char *tmp_path, struct durable_file **file_r,
    const char **error_r)
{
	struct durable_file *file;
	int fd;

	do
		fd = open(tmp_path,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*error_r = error_set_errno("create %s", tmp_path);
		return -1;
	}
	file = alloc_new(struct durable_file);
	file->fd = fd;
	file->tmp_path = alloc_strdup(tmp_path);
	*file_r = file;
	return 0;
}

int
durable_file_create_unnamed(const char *tmp_path, struct durable_file **file_r,
    const char **error_r)
{
	char parent[PATH_MAX];
	struct durable_file *file;
	int fd;

	if (durable_parent(tmp_path, parent, sizeof(parent), error_r) < 0)
		return -1;
	do
		fd = open(parent, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		/* Filesystems without O_TMPFILE: the named way. */
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return durable_file_create(tmp_path, file_r, error_r);
		*error_r = error_set_errno("create in %s", parent);
		return -1;
	}
	file = alloc_new(struct durable_file);
	file->fd = fd;
	file->tmp_path = alloc_strdup(tmp_path);
	file->unnamed = true;
	*file_r = file;
	return 0;
}

int
durable_file_reuse(const char *path, struct durable_file **file_r,
    const char **error_r)
{
	struct durable_file *file;
	struct stat st;
	int fd;

	do
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*error_r = error_set_errno("open %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = error_set_errno("fstat %s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		errno = ESTALE;
		*error_r = error_set("%s: not a file to reuse", path);
		close(fd);
		return -1;
	}
	file = alloc_new(struct durable_file);
	file->fd = fd;
	file->tmp_path = alloc_strdup(path);
	file->old_size = (uint64_t)st.st_size;
	*file_r = file;
	return 0;
}

/* Gives an unnamed file its final name, failing with EEXIST if taken.
 * /proc/self/fd works without privileges; AT_EMPTY_PATH is the fallback
 * where /proc is not mounted (it needs CAP_DAC_READ_SEARCH). */
static int
durable_file_link_unnamed(struct durable_file *file, const char *final_path)
{
	char proc_path[64];

	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", file->fd);
	if (linkat(AT_FDCWD, proc_path, AT_FDCWD, final_path,
	    AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return linkat(file->fd, "", AT_FDCWD, final_path, AT_EMPTY_PATH);
}

int
durable_file_write(struct durable_file *file, const void *data,
    size_t length, const char **error_r)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = length;
	return durable_file_writev(file, &iov, 1, error_r);
}

int
durable_file_writev(struct durable_file *file, const struct iovec *iov,
    size_t count, const char **error_r)
{
	struct iovec batch[DURABLE_FILE_IOV_BATCH];
	size_t index = 0, offset = 0, scan, scan_offset, remaining;
	ssize_t written;
	int used;

	ASSERT(file->fd >= 0);
	for (;;) {
		/* Gather the next batch, starting offset bytes into
		 * iov[index] (where a short write stopped). */
		used = 0;
		scan_offset = offset;
		for (scan = index; scan < count &&
		    used < DURABLE_FILE_IOV_BATCH; scan++) {
			if (iov[scan].iov_len > scan_offset) {
				batch[used].iov_base =
				    (char *)iov[scan].iov_base + scan_offset;
				batch[used].iov_len =
				    iov[scan].iov_len - scan_offset;
				used++;
			}
			scan_offset = 0;
		}
		if (used == 0)
			return 0;

		written = writev(file->fd, batch, used);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			if (written == 0)
				errno = EIO;
			*error_r = error_set_errno("write %s", file->tmp_path);
			return -1;
		}
		file->size += (uint64_t)written;

		/* Advance (index, offset) past what was written. */
		while (written > 0) {
			remaining = iov[index].iov_len - offset;
			if ((size_t)written >= remaining) {
				written -= (ssize_t)remaining;
				index++;
				offset = 0;
			} else {
				offset += (size_t)written;
				written = 0;
			}
		}
	}
}

uint64_t
durable_file_size(const struct durable_file *file)
{
	return file->size;
}

static void
durable_file_free(struct durable_file **file_p)
{
	struct durable_file *file = *file_p;

	if (file == NULL)
		return;
	if (file->fd >= 0)
		close(file->fd);
	free(file->tmp_path);
	free(file);
	*file_p = NULL;
}

/* fsync and close: the data is on disk when this returns 0. */
static int
durable_file_sync(struct durable_file *file, const char **error_r)
{
	int ret;

	do
		ret = fsync(file->fd);
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		*error_r = error_set_errno("fsync %s", file->tmp_path);
		return -1;
	}
	return 0;
}

static int
durable_file_close(struct durable_file *file, const char **error_r)
{
	int fd = file->fd;

	/* After close() the descriptor is gone even on EINTR (Linux), so
	 * never retry it; its error still counts. */
	file->fd = -1;
	if (close(fd) < 0) {
		*error_r = error_set_errno("close %s", file->tmp_path);
		return -1;
	}
	return 0;
}

static int
durable_file_finish(struct durable_file *file, const char **error_r)
{
	/* A reused file keeps its old tail until cut off here, before the
	 * sync that makes the new length durable with the data. */
	if (file->old_size > file->size &&
	    ftruncate(file->fd, (off_t)file->size) < 0) {
		*error_r = error_set_errno("truncate %s", file->tmp_path);
		return -1;
	}
	if (durable_file_sync(file, error_r) < 0)
		return -1;
	return durable_file_close(file, error_r);
}

/* Makes the final name durable. The tmp directory is not synced: if a
 * crash brings the tmp entry back, it is a leftover that start-up (spool)
 * or any Maildir reader removes, never a second copy of the message. */
static int
durable_sync_final(const char *final_path, const char **error_r)
{
	return durable_sync_parent(final_path, error_r);
}

int
durable_file_commit(struct durable_file **file_p, const char *final_path,
    const char **error_r)
{
	struct durable_file *file = *file_p;
	int ret;

	/* An unnamed file cannot replace an existing name atomically. */
	ASSERT(!file->unnamed);
	if (durable_file_finish(file, error_r) < 0) {
		durable_file_abort(file_p);
		return -1;
	}
	if (rename(file->tmp_path, final_path) < 0) {
		*error_r = error_set_errno("rename %s to %s", file->tmp_path,
		    final_path);
		durable_file_abort(file_p);
		return -1;
	}
	ret = durable_sync_final(final_path, error_r);
	durable_file_free(file_p);
	return ret;
}

int
durable_file_commit_exclusive(struct durable_file **file_p,
    const char *final_path, const char **error_r)
{
	struct durable_file *file = *file_p;
	const char *ignored;
	int ret;

	if (file->unnamed) {
		if (durable_file_sync(file, error_r) < 0) {
			durable_file_abort(file_p);
			return -1;
		}
		if (durable_file_link_unnamed(file, final_path) < 0) {
			if (errno != EEXIST) {
				*error_r = error_set_errno("link %s",
				    final_path);
				durable_file_abort(file_p);
				return -1;
			}
			durable_file_abort(file_p);
			return durable_sync_parent(final_path, error_r) < 0 ?
			    -1 : 0;
		}
		/* Linked and synced: a failing close loses nothing. */
		(void)durable_file_close(file, &ignored);
		ret = durable_sync_final(final_path, error_r);
		durable_file_free(file_p);
		return ret < 0 ? -1 : 1;
	}
	if (durable_file_finish(file, error_r) < 0) {
		durable_file_abort(file_p);
		return -1;
	}
	if (link(file->tmp_path, final_path) < 0) {
		if (errno != EEXIST) {
			*error_r = error_set_errno("link %s to %s",
			    file->tmp_path, final_path);
			durable_file_abort(file_p);
			return -1;
		}
		/* Someone (an earlier attempt, usually) got there first.
		 * Sync its directory anyway: that attempt may have failed
		 * before its own sync. */
		durable_file_abort(file_p);
		if (durable_sync_parent(final_path, error_r) < 0)
			return -1;
		return 0;
	}
	/* The final name is in place; a leftover tmp link is only
	 * clutter, so failing to remove it is not a failed commit. */
	if (unlink(file->tmp_path) < 0) {
		ignored = error_set_errno("unlink %s", file->tmp_path);
		log_warn("event=durable_file_unlink_failed error=\"%s\"",
		    ignored);
	}
	ret = durable_sync_final(final_path, error_r);
	durable_file_free(file_p);
	return ret < 0 ? -1 : 1;
}

void
durable_file_abort(struct durable_file **file_p)
{
	struct durable_file *file = *file_p;

	if (file == NULL)
		return;
	if (file->fd >= 0) {
		close(file->fd);
		file->fd = -1;
	}
	/* ENOENT here is normal after a failed rename or link. An unnamed
	 * file never had its tmp name: closing it was all. */
	if (!file->unnamed)
		(void)unlink(file->tmp_path);
	durable_file_free(file_p);
}

int
durable_file_write_whole(const char *tmp_path, const char *final_path,
    const void *data, size_t length, const char **error_r)
{
	struct durable_file *file;

	if (durable_file_create(tmp_path, &file, error_r) < 0)
		return -1;
	if (durable_file_write(file, data, length, error_r) < 0) {
		durable_file_abort(&file);
		return -1;
	}
	return durable_file_commit(&file, final_path, error_r);
}

int
durable_file_read_descriptor(int fd, const char *path, size_t max_size,
    unsigned char **data_r, size_t *length_r, const char **error_r)
{
	struct stat st;
	unsigned char *data;
	size_t capacity, length = 0;
	ssize_t n;

	ASSERT(max_size < SIZE_MAX / 2);
	if (fstat(fd, &st) < 0) {
		*error_r = error_set_errno("fstat %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = error_set("%s: not a regular file", path);
		return -1;
	}
	if ((uint64_t)st.st_size > max_size) {
		*error_r = error_set("%s: too large (%lld bytes, limit %zu)",
		    path, (long long)st.st_size, max_size);
		return -1;
	}
	/* One spare byte lets a read past max_size prove the file grew. */
	capacity = st.st_size > 0 ? (size_t)st.st_size + 1 :
	    MIN(max_size, DURABLE_FILE_READ_CHUNK) + 1;
	data = alloc_zero(capacity + 1);
	for (;;) {
		if (length == capacity) {
			if (capacity > max_size)
				break;
			capacity = MIN(max_size + 1, capacity * 2);
			data = alloc_resize(data, capacity + 1, 1);
		}
		n = read(fd, data + length, capacity - length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = error_set_errno("read %s", path);
			free(data);
			return -1;
		}
		if (n == 0)
			break;
		length += (size_t)n;
	}
	if (length > max_size) {
		*error_r = error_set("%s: too large (over limit %zu)", path,
		    max_size);
		free(data);
		return -1;
	}
	data[length] = '\0';
	*data_r = data;
	*length_r = length;
	return 0;
}

int
durable_file_read_whole(const char *path, size_t max_size,
    unsigned char **data_r, size_t *length_r, const char **error_r)
{
	int fd, ret, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = error_set_errno("open %s", path);
		return -1;
	}
	ret = durable_file_read_descriptor(fd, path, max_size, data_r,
	    length_r, error_r);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* mkdir one component; 1 created, 0 already a directory, -1 error. */
static int
durable_mkdir_one(const char *path, mode_t mode, const char **error_r)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 1;
	if (errno != EEXIST) {
		*error_r = error_set_errno("mkdir %s", path);
		return -1;
	}
	if (stat(path, &st) < 0) {
		*error_r = error_set_errno("stat %s", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		*error_r = error_set_errno("mkdir %s", path);
		return -1;
	}
	return 0;
}

int
durable_mkdir_all(const char *path, mode_t mode, const char **error_r)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t length = strlen(path), i;
	int ret;

	if (length == 0) {
		*error_r = error_set("mkdir: empty path");
		return -1;
	}
	if (length >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		*error_r = error_set_errno("mkdir %.64s...", path);
		return -1;
	}
	/* The common case: everything exists already. */
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		*error_r = error_set_errno("mkdir %s", path);
		return -1;
	}
	memcpy(buf, path, length + 1);
	for (i = 1; i <= length; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue; /* a run of slashes */
		buf[i] = '\0';
		ret = durable_mkdir_one(buf, mode, error_r);
		if (ret > 0 && durable_sync_parent(buf, error_r) < 0)
			ret = -1;
		if (ret < 0)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

int
durable_unlink(const char *path, const char **error_r)
{
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = error_set_errno("unlink %s", path);
		return -1;
	}
	return durable_sync_parent(path, error_r);
}
