/* durable_file.h: files that are either wholly on disk or not at all.
 *
 * The sequence is always: open(tmp, O_CREAT|O_EXCL), write, fsync,
 * close, rename(tmp, final), fsync(final's directory). A crash at any
 * point leaves either no final file or a complete one. Spool, quarantine
 * and Maildir delivery all go through here. These calls block on disk:
 * run them on a worker thread in the daemon. Thread-safe (no shared
 * state). */
#ifndef SLUICE_DURABLE_FILE_H
#define SLUICE_DURABLE_FILE_H

#include "lib/common.h"

#include <sys/types.h>
#include <sys/uio.h>

struct durable_file;

/* Creates tmp_path exclusively (mode 0600, close-on-exec, O_NOFOLLOW).
 * Fails if it exists. Returns 0 or -1 with error_r; on failure errno
 * says why (EEXIST when tmp_path exists, so a caller that owns the name
 * can remove a stale file from a crashed attempt and retry). */
int durable_file_create(const char *tmp_path, struct durable_file **file_r,
    const char **error_r);

/* Like durable_file_create, but the file has no name at all until
 * durable_file_commit_exclusive links it (O_TMPFILE in tmp_path's
 * directory): one directory change per file instead of three, and a
 * crash leaves nothing behind. Falls back to durable_file_create where
 * the filesystem lacks O_TMPFILE. Commit it only with
 * durable_file_commit_exclusive. */
int durable_file_create_unnamed(const char *tmp_path,
    struct durable_file **file_r, const char **error_r);

/* Opens the existing file path to be written again from its start, as
 * if just created: durable_file_commit renames it and cuts off what the
 * old contents left past the new end. Rewriting blocks a file already
 * owns spares the filesystem an inode and block allocation and their
 * freeing later (databases recycle log segments for the same reason).
 * Refuses anything but a regular file with exactly one name (errno
 * ESTALE): a second name means the file is still someone's. */
int durable_file_reuse(const char *path, struct durable_file **file_r,
    const char **error_r);
/* Appends length bytes (handles short writes and EINTR). */
int durable_file_write(struct durable_file *file, const void *data,
    size_t length, const char **error_r);

/* Appends the count buffers of iov in order, in as few writev(2) calls
 * as possible (batches of IOV_MAX). Same errors as durable_file_write.
 * The iov array itself is not modified. */
int durable_file_writev(struct durable_file *file, const struct iovec *iov,
    size_t count, const char **error_r);

/* Bytes written so far. */
uint64_t durable_file_size(const struct durable_file *file);

/* fsync, close (checked), rename to final_path, fsync the final
 * directory (not the tmp one: a resurrected tmp entry is a leftover that
 * start-up or a Maildir reader removes, never a duplicate). Frees the handle
 * and sets *file_p to NULL in every case; on failure the tmp file is
 * removed. If only the final directory sync fails, final_path exists but
 * may not survive a crash; the caller sees -1 and should retry. */
int durable_file_commit(struct durable_file **file_p, const char *final_path,
    const char **error_r);

/* Like commit, but link()s tmp to final_path and then unlink()s tmp,
 * so an existing final_path is never replaced: returns 1 when
 * committed, 0 when final_path already existed (tmp removed, final_path
 * untouched), -1 on error (tmp removed). Needs a filesystem with hard
 * links (every local Unix filesystem). */
int durable_file_commit_exclusive(struct durable_file **file_p,
    const char *final_path, const char **error_r);

/* Closes and unlinks the tmp file; sets *file_p to NULL. NULL is a no-op. */
void durable_file_abort(struct durable_file **file_p);

/* Writes a whole file in one go through tmp_path (durable_file_create,
 * write, commit). Returns 0 or -1 with error_r. */
int durable_file_write_whole(const char *tmp_path, const char *final_path,
    const void *data, size_t length, const char **error_r);

/* Reads a whole file into a heap buffer (NUL-terminated, free() it;
 * *length_r excludes the NUL). Refuses files larger than max_size
 * (error_r "PATH: too large ...") and anything but a regular file. */
int durable_file_read_whole(const char *path, size_t max_size,
    unsigned char **data_r, size_t *length_r, const char **error_r);

/* durable_file_read_whole on an open descriptor, read from its current
 * offset; path only names the file in errors. Does not close fd. */
int durable_file_read_descriptor(int fd, const char *path, size_t max_size,
    unsigned char **data_r, size_t *length_r, const char **error_r);
/* fsync() a directory so a rename or unlink in it is durable. A
 * filesystem that cannot sync directories (EINVAL) is not an error.
 * Concurrent calls for the same directory share one fsync that started
 * after all of their changes (group commit), so many workers renaming
 * into one directory cost about one flush, not one each. */
int durable_directory_sync(const char *path, const char **error_r);

/* mkdir -p with mode (less the umask) for every created component;
 * existing directories are fine, an existing non-directory is ENOTDIR.
 * Syncs each parent whose entry it created. Paths up to PATH_MAX. */
int durable_mkdir_all(const char *path, mode_t mode, const char **error_r);

/* unlink(path) and fsync its directory. A missing file is not an error. */
int durable_unlink(const char *path, const char **error_r);

#endif
