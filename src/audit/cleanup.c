/* SPDX-License-Identifier: Apache-2.0 */
/* cleanup — see cleanup.h. */
#include "audit/cleanup.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_WAIT_MS 3000

/* The record's time, from its "timestamp" key; MX_EINVAL when it has none. */
static int line_time(const char *line, size_t len, int64_t *ms)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	json_t *ts = json_object_get(o, "timestamp");
	int rc = json_is_string(ts) ? mx_audit_parse_time(json_string_value(ts), json_string_length(ts), ms)
	                            : MX_EINVAL;
	json_decref(o);
	return rc;
}

struct scan {
	int64_t cutoff;
	int64_t old; /* leading records older than the cutoff */
	int64_t total; /* records in the file */
	int64_t old_bytes; /* bytes of those leading lines */
	int64_t bytes;
	int prefix_ended;
};

static int scan_line(const char *line, size_t len, int64_t lineno, int terminated, void *arg)
{
	struct scan *s = arg;
	int64_t ms;
	(void)lineno;
	s->bytes += (int64_t)len + (terminated ? 1 : 0);
	if (len == 0)
		return 0;
	s->total++;
	if (!s->prefix_ended && terminated && line_time(line, len, &ms) == 0 && ms < s->cutoff) {
		s->old++;
		s->old_bytes = s->bytes;
	} else {
		s->prefix_ended = 1;
	}
	return 0;
}

static int fsync_dir(const char *file)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(file, '/');
	int n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash == file ? 1 : slash - file), file)
	              : snprintf(dir, sizeof dir, ".");
	if (n < 0 || (size_t)n >= sizeof dir)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Replace file by its bytes from offset `from` on: temp + fsync + rename. */
static int rewrite_tail(const char *file, int64_t from, struct mx_err *err)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(file, '/');
	int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.cleanup-XXXXXX", (int)(slash - file), file,
	                         slash + 1)
	              : snprintf(tmp, sizeof tmp, ".%s.cleanup-XXXXXX", file);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return mx_err_set(err, MX_ELIMIT, "path too long: %s", file);
	int in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return mx_err_set(err, MX_EIO, "Cannot read %s: %s", file, strerror(errno));
	int out = mkstemp(tmp);
	if (out < 0) {
		close(in);
		return mx_err_set(err, MX_EIO, "Cannot create a temporary file next to %s: %s", file,
		                  strerror(errno));
	}
	struct stat sb;
	if (fstat(in, &sb) == 0)
		(void)fchmod(out, sb.st_mode & 07777);
	char buf[65536];
	off_t off = (off_t)from;
	ssize_t got;
	int rc = 0;
	while ((got = pread(in, buf, sizeof buf, off)) > 0) {
		for (ssize_t done = 0; done < got;) {
			ssize_t w = write(out, buf + done, (size_t)(got - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = MX_EIO;
				break;
			}
			done += w;
		}
		if (rc)
			break;
		off += got;
	}
	if (got < 0)
		rc = MX_EIO;
	if (rc == 0 && fsync(out) != 0)
		rc = MX_EIO;
	int e = errno;
	close(in);
	if (close(out) != 0 && rc == 0) {
		rc = MX_EIO;
		e = errno;
	}
	if (rc == 0 && rename(tmp, file) != 0) {
		rc = MX_EIO;
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		return mx_err_set(err, MX_EIO, "Cannot rewrite %s: %s", file, strerror(e));
	}
	fsync_dir(file);
	return 0;
}

/* Take the live file away from a running writer: rename it to a rotated
 * name and wait until the writer closed it. new_name gets the name. */
static int detach_live(const char *path, int fd, char *new_name, size_t sz, struct mx_err *err)
{
	struct stat sb;
	int64_t ms = mx_audit_now_ms();
	do {
		if (mx_audit_rotated_name(path, ms++, new_name, sz))
			return mx_err_set(err, MX_ELIMIT, "path too long: %s", path);
	} while (stat(new_name, &sb) == 0);
	if (rename(path, new_name) != 0)
		return mx_err_set(err, MX_EIO, "Cannot rotate %s: %s", path, strerror(errno));
	fsync_dir(path);
	for (int waited = 0; waited < LOCK_WAIT_MS; waited += 20) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	return mx_err_set(err, MX_EIO, "The audit writer did not release %s; try again", new_name);
}

int mx_audit_cleanup(const char *path, int64_t cutoff_ms, int dry_run, struct mx_audit_cleanup_result *res,
                     struct mx_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	memset(res, 0, sizeof *res);
	int rc = mx_audit_list_files(path, 1, &files, &nfiles, err);
	if (rc)
		return rc;
	struct mx_buf line;
	mx_buf_init(&line, (size_t)32 << 20);
	int done = 0;
	for (size_t i = 0; rc == 0 && !done && i < nfiles; i++) {
		const char *file = files[i];
		int live = strcmp(file, path) == 0;
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = mx_err_set(err, MX_EIO, "Cannot read %s: %s", file, strerror(errno));
			break;
		}
		char detached[PATH_MAX];
		if (!dry_run && flock(fd, LOCK_EX | LOCK_NB) != 0) {
			if (!live || (rc = detach_live(path, fd, detached, sizeof detached, err)) != 0) {
				if (rc == 0)
					rc = mx_err_set(err, MX_EIO, "%s is in use", file);
				close(fd);
				break;
			}
			file = detached;
			live = 0;
		}
		FILE *fp = fdopen(fd, "rb");
		struct scan s = {.cutoff = cutoff_ms};
		int r = fp ? mx_audit_read_lines(fp, &line, scan_line, &s) : MX_EIO;
		if (r < 0) {
			rc = mx_err_set(err, r, "Cannot read %s", file);
		} else {
			res->deleted += s.old;
			res->kept += s.total - s.old;
			if (s.old < s.total)
				done = 1; /* the prefix ends in this file */
			if (!dry_run && s.old > 0) {
				if (s.old == s.total && !live) {
					if (unlink(file) != 0)
						rc = mx_err_set(err, MX_EIO, "Cannot delete %s: %s", file,
						                strerror(errno));
					else
						res->files_removed++;
				} else if ((rc = rewrite_tail(file, s.old_bytes, err)) == 0) {
					res->files_rewritten++;
				}
			}
		}
		if (fp)
			fclose(fp); /* releases the lock */
		else
			close(fd);
	}
	mx_buf_free(&line);
	mx_audit_free_files(files, nfiles);
	return rc;
}
