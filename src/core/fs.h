/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs — file-system helpers: mkdir -p and an atomic whole-file write, which
 * every writer of files needs, and a cheaper realpath for project files. Plain POSIX calls on the caller's thread;
 * failures are -1 with errno set (the caller words the message, naming
 * the folder that could not be made when it asks for it).
 */
#ifndef MX_CORE_FS_H
#define MX_CORE_FS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * mkdir -p: dir and every missing folder above it, each new one with mode.
 * 0 when dir is a folder afterwards; -1 with errno set otherwise (ENOTDIR
 * when dir exists but is not a folder, ENAMETOOLONG past PATH_MAX), and
 * then, if failed is not NULL, the folder that could not be made.
 */
int mx_fs_mkdir_p(const char *dir, mode_t mode, char *failed, size_t failedsz);

/* mkdir -p of the folder holding the file path; nothing to do (0) for a
 * name without a folder or a file in "/". */
int mx_fs_mkdir_parent(const char *path, mode_t mode, char *failed, size_t failedsz);

/*
 * Replace the file path with data[0..n), atomically: the bytes go to
 * "<path>.tmp.<pid>" beside it (created with mode, less the umask), are
 * fsync'ed, and the temporary is renamed over path. Readers see the old
 * file or the new one, never a part. 0, or -1 with errno set (the
 * temporary is removed).
 */
int mx_fs_write_atomic(const char *path, const void *data, size_t n, mode_t mode);

/*
 * realpath(3) of a path below base, a folder known canonical (absolute,
 * no symbolic link: as realpath gave it): the part after base is walked a
 * component at a time, one lstat each, where realpath reads every
 * component from "/" again (a project load resolves two paths per
 * endpoint). A symbolic link on the way, or a path not below base, goes to
 * realpath. out has PATH_MAX bytes. 0, or -1 with errno set, as realpath.
 */
int mx_fs_realpath_below(const char *base, const char *path, char *out);

/* path with "." and ".." collapsed lexically and slashes single, always
 * absolute ("/" at the least; for a path that does not exist, so realpath
 * cannot). A result that would not fit outsz is cut at a component. */
void mx_fs_normalize(const char *path, char *out, size_t outsz);

#endif
