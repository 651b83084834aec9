/* SPDX-License-Identifier: Apache-2.0 */
/* fs — see fs.h. */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_at(const char *dir, char *failed, size_t failedsz)
{
	int e = errno;
	if (failed != NULL && failedsz > 0)
		snprintf(failed, failedsz, "%s", dir);
	errno = e;
	return -1;
}

int mx_fs_mkdir_p(const char *dir, mode_t mode, char *failed, size_t failedsz)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0) {
		errno = ENOENT;
		return fail_at(dir, failed, failedsz);
	}
	if (n >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return fail_at(dir, failed, failedsz);
	}
	memcpy(tmp, dir, n + 1);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = '\0';
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return fail_at(tmp, failed, failedsz);
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat sb;
	if (stat(tmp, &sb) != 0)
		return fail_at(tmp, failed, failedsz);
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return fail_at(tmp, failed, failedsz);
	}
	return 0;
}

int mx_fs_mkdir_parent(const char *path, mode_t mode, char *failed, size_t failedsz)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	char dir[PATH_MAX];
	size_t n = (size_t)(slash - path);
	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return fail_at(path, failed, failedsz);
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return mx_fs_mkdir_p(dir, mode, failed, failedsz);
}

int mx_fs_write_atomic(const char *path, const void *data, size_t n, mode_t mode)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	const char *p = data;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int ok = off == n && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		errno = e ? e : EIO;
		return -1;
	}
	return 0;
}

/* The next component of the path at *p ("" and "." skipped), *p moved
 * past it: its length, 0 at the end; *seg points at it. */
static size_t next_segment(const char **p, const char **seg)
{
	for (;;) {
		while (**p == '/')
			(*p)++;
		*seg = *p;
		while (**p && **p != '/')
			(*p)++;
		size_t n = (size_t)(*p - *seg);
		if (n != 1 || (*seg)[0] != '.')
			return n;
	}
}

static int is_parent(const char *seg, size_t n)
{
	return n == 2 && seg[0] == '.' && seg[1] == '.';
}

/* Drop the last component of out[0..*len): the lexical parent. */
static void pop_segment(char *out, size_t *len)
{
	while (*len > 0 && out[*len - 1] != '/')
		(*len)--;
	if (*len > 0)
		(*len)--;
	out[*len] = '\0';
}

void mx_fs_normalize(const char *in, char *out, size_t outsz)
{
	size_t len = 0;
	const char *p = in, *seg;
	size_t n;
	out[0] = '\0';
	while ((n = next_segment(&p, &seg)) > 0) {
		if (is_parent(seg, n)) {
			pop_segment(out, &len);
			continue;
		}
		if (len + n + 2 >= outsz)
			break;
		out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
}

int mx_fs_realpath_below(const char *base, const char *path, char *out)
{
	size_t blen = strlen(base);
	if (blen == 0 || base[0] != '/' || strncmp(path, base, blen) != 0 || path[blen] != '/' ||
	    blen >= PATH_MAX)
		return realpath(path, out) ? 0 : -1;
	memcpy(out, base, blen + 1);
	size_t len = blen == 1 ? 0 : blen; /* base "/": components append to "" */
	const char *p = path + blen, *seg;
	size_t n;
	while ((n = next_segment(&p, &seg)) > 0) {
		if (is_parent(seg, n)) {
			/* the parent of a canonical folder is its lexical parent */
			pop_segment(out, &len);
			continue;
		}
		if (len + 1 + n >= PATH_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
		out[len] = '\0';
		struct stat st;
		if (lstat(out, &st) != 0)
			return -1;
		if (S_ISLNK(st.st_mode))
			return realpath(path, out) ? 0 : -1;
		if (*p && !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}
