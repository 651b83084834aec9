/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer — see writer.h for the contract.
 *
 * Threads: callers run mx_audit_log (redact + serialise on their own
 * thread, then a short critical section to push a pointer into the ring);
 * the one writer thread pops, hashes, writes, syncs and rotates. Only the
 * writer thread touches the file descriptor and the chain state (fd, dev,
 * ino, size, last_hash), so those need no lock. The mutex guards the ring,
 * the counters and the stop flag.
 *
 * Invariants: a record leaves the ring only after its whole line is in the
 * file (or, at close, after it is counted as lost); seq_done counts records
 * that left the ring, so a flush waits for seq_done to reach the seq_enq it
 * saw.
 */
#include "audit/writer.h"

#include "audit/redact.h"
#include "core/uuid.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "ops/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IDLE_CHECK_MS 200
#define MAX_LINE ((size_t)16 << 20)
#define CLOSE_RETRIES 20

struct mx_audit {
	struct mx_audit_options opt;
	char *path;
	char *dir;

	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full, progress;
	pthread_t thread;
	char **ring;
	size_t *lens;
	size_t cap, head, count;
	unsigned long long seq_enq, seq_done;
	int stop;
	struct mx_audit_stats st;
	int64_t last_reject_log_ms;
	unsigned long long rejects_since_log;

	/* writer thread only */
	int fd;
	dev_t dev;
	ino_t ino;
	int64_t size;
	int64_t period; /* rotation period of the open file */
	int64_t last_check_ms, last_sync_ms;
	int dirty;
	int in_trouble; /* failures are logged once until a write succeeds again */
	char last_hash[MX_AUDIT_HASH_HEX + 1];
	struct mx_buf line;
};

/* ------------------------------------------------------------------ time */

int64_t mx_audit_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds and milliseconds of a unix-ms instant, rounded down. */
static int64_t split_ms(int64_t unix_ms, int *ms)
{
	int64_t sec = unix_ms / 1000, rem = unix_ms % 1000;
	if (rem < 0) {
		rem += 1000;
		sec--;
	}
	*ms = (int)rem;
	return sec;
}

void mx_audit_format_time(int64_t unix_ms, char out[32])
{
	int ms;
	int64_t sec = split_ms(unix_ms, &ms);
	mx_time_format_iso8601(out, 32, sec, (int32_t)ms * 1000000, 3, MX_ISO_ZONE_Z);
}

/* The rotation period a moment falls in (hour or day number); 0 = never. */
static int64_t period_of(enum mx_audit_rotate_every every, int64_t unix_ms)
{
	switch (every) {
	case MX_AUDIT_ROTATE_HOURLY: return unix_ms / 3600000 + 1;
	case MX_AUDIT_ROTATE_DAILY: return unix_ms / 86400000 + 1;
	default: return 0;
	}
}

/* ------------------------------------------------------------ chain hash */

int mx_audit_hash(const char *prev_hex, const char *prefix, size_t n, char out[MX_AUDIT_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, prev_hex, strlen(prev_hex)) == 1 &&
	         EVP_DigestUpdate(ctx, "\n", 1) == 1 && EVP_DigestUpdate(ctx, prefix, n) == 1 &&
	         EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof md;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return MX_EINTERNAL;
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[MX_AUDIT_HASH_HEX] = '\0';
	return 0;
}

static int is_hex64(const char *p, size_t n)
{
	if (n < MX_AUDIT_HASH_HEX)
		return 0;
	for (size_t i = 0; i < MX_AUDIT_HASH_HEX; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* The record_hash of the last chained line of a file, into out; 0 when found. */
static int read_last_hash(const char *path, char out[MX_AUDIT_HASH_HEX + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MX_ENOTFOUND;
	struct stat sb;
	int rc = MX_ENOTFOUND;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
		/* Look at the last 1 MiB at most: a record line is far smaller. */
		size_t want = sb.st_size > (1 << 20) ? (size_t)1 << 20 : (size_t)sb.st_size;
		char *buf = mx_malloc(want + 1);
		ssize_t got = buf ? pread(fd, buf, want, sb.st_size - (off_t)want) : -1;
		if (got > 0) {
			size_t mlen = strlen(MX_AUDIT_HASH_MARKER);
			for (ssize_t i = got - 1; i >= 0 && rc != 0; i--) {
				if (i + (ssize_t)mlen > got ||
				    memcmp(buf + i, MX_AUDIT_HASH_MARKER, mlen) != 0)
					continue;
				const char *h = buf + i + mlen;
				if (is_hex64(h, (size_t)(got - (i + (ssize_t)mlen)))) {
					memcpy(out, h, MX_AUDIT_HASH_HEX);
					out[MX_AUDIT_HASH_HEX] = '\0';
					rc = 0;
				}
			}
		}
		mx_free(buf);
	}
	close(fd);
	return rc;
}

/* --------------------------------------------------------------- file names */

/* dir, and the base name split into stem and extension (".jsonl"). */
static int split_path(const char *path, char *dir, size_t dirsz, char *stem, size_t stemsz, char *ext,
                      size_t extsz)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int n = slash ? snprintf(dir, dirsz, "%.*s", (int)(slash == path ? 1 : slash - path), path)
	              : snprintf(dir, dirsz, ".");
	if (n < 0 || (size_t)n >= dirsz)
		return MX_ELIMIT;
	const char *dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	n = snprintf(stem, stemsz, "%.*s", (int)(dot - base), base);
	if (n < 0 || (size_t)n >= stemsz)
		return MX_ELIMIT;
	n = snprintf(ext, extsz, "%s", dot);
	return n < 0 || (size_t)n >= extsz ? MX_ELIMIT : 0;
}

int mx_audit_rotated_name(const char *path, int64_t unix_ms, char *out, size_t outsz)
{
	char dir[PATH_MAX], stem[NAME_MAX + 1], ext[NAME_MAX + 1];
	if (split_path(path, dir, sizeof dir, stem, sizeof stem, ext, sizeof ext))
		return MX_ELIMIT;
	int ms;
	struct mx_utc u;
	mx_utc_from_unix(split_ms(unix_ms, &ms), &u);
	int n = snprintf(out, outsz, "%s/%s.%04lld%02d%02dT%02d%02d%02d%03dZ%s", dir, stem, (long long)u.year,
	                 u.month, u.day, u.hour, u.minute, u.second, ms, ext);
	return n < 0 || (size_t)n >= outsz ? MX_ELIMIT : 0;
}

static int all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* <stem>.<8 digits>T<9 digits>Z<ext>: one of our rotated files. */
static int is_rotated(const char *name, const char *stem, const char *ext)
{
	size_t ls = strlen(stem), le = strlen(ext), n = strlen(name);
	if (n != ls + 1 + 18 + 1 + le || strncmp(name, stem, ls) != 0 || name[ls] != '.' ||
	    strcmp(name + n - le, ext) != 0)
		return 0;
	const char *t = name + ls + 1;
	return all_digits(t, 8) && t[8] == 'T' && all_digits(t + 9, 9) && t[18] == 'Z';
}

/* <stem>-<8 digits>T<6 digits>[-N]<ext>: one of MXCP's segment files. */
static int is_mxcp_segment(const char *name, const char *stem, const char *ext)
{
	size_t ls = strlen(stem), le = strlen(ext), n = strlen(name);
	if (n < ls + 1 + 15 + le || strncmp(name, stem, ls) != 0 || name[ls] != '-' ||
	    strcmp(name + n - le, ext) != 0)
		return 0;
	const char *t = name + ls + 1;
	if (!all_digits(t, 8) || t[8] != 'T' || !all_digits(t + 9, 6))
		return 0;
	const char *rest = t + 15, *end = name + n - le;
	if (rest == end)
		return 1;
	return rest[0] == '-' && end - rest > 1 && all_digits(rest + 1, (size_t)(end - rest - 1));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mx_audit_free_files(char **files, size_t nfiles)
{
	for (size_t i = 0; files && i < nfiles; i++)
		mx_free(files[i]);
	mx_free(files);
}

static int push_file(char ***files, size_t *n, size_t *cap, const char *dir, const char *name)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nf = mx_realloc(*files, nc * sizeof *nf);
		if (nf == NULL)
			return MX_ENOMEM;
		*files = nf;
		*cap = nc;
	}
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *p = mx_malloc(len);
	if (p == NULL)
		return MX_ENOMEM;
	snprintf(p, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);
	(*files)[(*n)++] = p;
	return 0;
}

int mx_audit_list_files(const char *path, int mxcp_segments, char ***files, size_t *nfiles,
                        struct mx_err *err)
{
	char dir[PATH_MAX], stem[NAME_MAX + 1], ext[NAME_MAX + 1];
	char **seg = NULL, **rot = NULL;
	size_t nseg = 0, cseg = 0, nrot = 0, crot = 0;
	int rc = 0;
	*files = NULL;
	*nfiles = 0;
	if (split_path(path, dir, sizeof dir, stem, sizeof stem, ext, sizeof ext))
		return mx_err_set(err, MX_ELIMIT, "audit path is too long: %s", path);
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (is_rotated(e->d_name, stem, ext))
				rc = push_file(&rot, &nrot, &crot, dir, e->d_name);
			else if (mxcp_segments && is_mxcp_segment(e->d_name, stem, ext))
				rc = push_file(&seg, &nseg, &cseg, dir, e->d_name);
		}
		closedir(d);
	}
	if (rc == 0) {
		if (nseg > 1)
			qsort(seg, nseg, sizeof *seg, cmp_str);
		if (nrot > 1)
			qsort(rot, nrot, sizeof *rot, cmp_str);
		size_t cap = 0, n = 0;
		char **all = NULL;
		for (size_t i = 0; rc == 0 && i < nseg; i++)
			rc = push_file(&all, &n, &cap, "", seg[i]);
		for (size_t i = 0; rc == 0 && i < nrot; i++)
			rc = push_file(&all, &n, &cap, "", rot[i]);
		struct stat sb;
		if (rc == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			rc = push_file(&all, &n, &cap, "", path);
		if (rc == 0) {
			/* push_file("", x) made "/x"; drop the leading slash we added */
			for (size_t i = 0; i < n; i++)
				memmove(all[i], all[i] + 1, strlen(all[i]));
			*files = all;
			*nfiles = n;
		} else {
			mx_audit_free_files(all, n);
		}
	}
	mx_audit_free_files(seg, nseg);
	mx_audit_free_files(rot, nrot);
	return rc ? mx_err_set(err, rc, "out of memory listing audit files") : 0;
}

int mx_audit_read_lines(FILE *fp, struct mx_buf *line, mx_audit_line_fn fn, void *ctx)
{
	char chunk[65536];
	size_t got;
	int64_t lineno = 0;
	int rc = 0;
	mx_buf_reset(line);
	while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		size_t start = 0;
		for (size_t i = 0; i < got && rc == 0; i++) {
			if (chunk[i] != '\n')
				continue;
			if (mx_buf_append(line, chunk + start, i - start))
				return MX_ELIMIT;
			start = i + 1;
			rc = fn(line->p, line->len, ++lineno, 1, ctx);
			mx_buf_reset(line);
		}
		if (rc == 0 && start < got && mx_buf_append(line, chunk + start, got - start))
			return MX_ELIMIT;
	}
	if (rc == 0 && ferror(fp))
		return MX_EIO;
	if (rc == 0 && line->len > 0)
		rc = fn(line->p, line->len, ++lineno, 0, ctx);
	return rc;
}

/* ------------------------------------------------------------ file handling */

/* The rotation period of an existing file: from its first record's
 * timestamp when it starts with one, else from its modification time. */
static int64_t file_period(struct mx_audit *a, int fd, const struct stat *sb)
{
	char head[64];
	ssize_t n = pread(fd, head, sizeof head - 1, 0);
	static const char key[] = "{\"timestamp\":\"";
	if (n > (ssize_t)(sizeof key - 1 + 23)) {
		head[n] = '\0';
		if (strncmp(head, key, sizeof key - 1) == 0) {
			const char *t = head + sizeof key - 1;
			int64_t y = strtoll(t, NULL, 10);
			int mo = (int)strtol(t + 5, NULL, 10), d = (int)strtol(t + 8, NULL, 10);
			int h = (int)strtol(t + 11, NULL, 10);
			if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31)
				return period_of(a->opt.rotate_interval,
				                 mx_days_from_civil(y, mo, d) * 86400000 +
				                         (int64_t)h * 3600000);
		}
	}
	return period_of(a->opt.rotate_interval, (int64_t)sb->st_mtime * 1000);
}

/* Bump a counter (the writer thread's side of the stats). */
static void count(struct mx_audit *a, unsigned long long *counter)
{
	pthread_mutex_lock(&a->mu);
	(*counter)++;
	pthread_mutex_unlock(&a->mu);
}

static void sync_file(struct mx_audit *a)
{
	if (a->dirty && a->opt.fsync != MX_AUDIT_FSYNC_NEVER) {
		if (fdatasync(a->fd) == 0)
			count(a, &a->st.fsyncs);
		else
			mx_error("audit: fdatasync %s failed: %s", a->path, strerror(errno));
	}
	a->dirty = 0;
	a->last_sync_ms = mono_ms();
}

static void close_file(struct mx_audit *a)
{
	if (a->fd < 0)
		return;
	sync_file(a);
	close(a->fd);
	a->fd = -1;
}

static int open_file(struct mx_audit *a)
{
	if (mx_fs_mkdir_p(a->dir, 0755, NULL, 0) != 0) {
		if (!a->in_trouble)
			mx_error("audit: cannot create folder %s: %s (retrying)", a->dir, strerror(errno));
		a->in_trouble = 1;
		return MX_EIO;
	}
	int fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (!a->in_trouble)
			mx_error("audit: cannot open %s: %s (retrying)", a->path, strerror(errno));
		a->in_trouble = 1;
		if (fd >= 0)
			close(fd);
		return MX_EIO;
	}
	/* A shared lock for as long as we hold the file: log-cleanup takes an
	 * exclusive one before rewriting it, so it never races our appends. */
	(void)flock(fd, LOCK_SH | LOCK_NB);
	a->fd = fd;
	a->dev = sb.st_dev;
	a->ino = sb.st_ino;
	a->size = sb.st_size;
	a->period = sb.st_size > 0 ? file_period(a, fd, &sb)
	                           : period_of(a->opt.rotate_interval, mx_audit_now_ms());
	a->last_check_ms = mono_ms();
	if (sb.st_size > 0) {
		/* A torn last line (a crash mid-write elsewhere): end it, so our
		 * line starts on a line of its own. */
		char last;
		if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n' && write(fd, "\n", 1) == 1)
			a->size++;
	}
	return 0;
}

/* Was the file moved away or deleted? Then close it; the next write opens
 * a new one at the path. */
static void check_moved(struct mx_audit *a)
{
	struct stat sb;
	if (a->fd < 0)
		return;
	a->last_check_ms = mono_ms();
	if (stat(a->path, &sb) == 0 && sb.st_dev == a->dev && sb.st_ino == a->ino)
		return;
	mx_info("audit: %s was moved or removed; starting a new file there", a->path);
	close_file(a);
	count(a, &a->st.reopens);
}

static int rotate(struct mx_audit *a)
{
	char name[PATH_MAX];
	struct stat sb;
	int64_t ms = mx_audit_now_ms();
	/* never overwrite: bump the millisecond until the name is free */
	do {
		if (mx_audit_rotated_name(a->path, ms++, name, sizeof name))
			return MX_ELIMIT;
	} while (stat(name, &sb) == 0);
	sync_file(a);
	if (rename(a->path, name) != 0) {
		mx_error("audit: cannot rotate %s to %s: %s", a->path, name, strerror(errno));
		return MX_EIO;
	}
	close_file(a);
	count(a, &a->st.rotations);
	return open_file(a);
}

/* Append one record: chain it, write the whole line at once. */
static int write_record(struct mx_audit *a, const char *body, size_t blen)
{
	int rc;
	if (a->fd >= 0)
		check_moved(a);
	if (a->fd < 0 && (rc = open_file(a)) != 0)
		return rc;

	struct mx_buf *b = &a->line;
	mx_buf_reset(b);
	if (mx_buf_append(b, body, blen) || mx_buf_puts(b, ",\"prev_hash\":\"") ||
	    mx_buf_puts(b, a->last_hash) || mx_buf_putc(b, '"'))
		return MX_ENOMEM;
	char hash[MX_AUDIT_HASH_HEX + 1];
	size_t prefix = b->len;
	if ((rc = mx_audit_hash(a->last_hash, b->p, prefix, hash)) != 0)
		return rc;
	if (mx_buf_puts(b, MX_AUDIT_HASH_MARKER) || mx_buf_puts(b, hash) || mx_buf_puts(b, "\"}\n"))
		return MX_ENOMEM;

	int64_t now = mx_audit_now_ms();
	if (a->size > 0 && ((a->opt.rotate_size > 0 && a->size + (int64_t)b->len > a->opt.rotate_size) ||
	                    (a->opt.rotate_interval != MX_AUDIT_ROTATE_NEVER &&
	                     period_of(a->opt.rotate_interval, now) != a->period))) {
		if ((rc = rotate(a)) != 0)
			return rc;
	}

	ssize_t n;
	do
		n = write(a->fd, b->p, b->len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)b->len) {
		int e = n < 0 ? errno : ENOSPC;
		if (n > 0) {
			/* never leave a torn line: cut our partial bytes off again */
			off_t end = lseek(a->fd, 0, SEEK_CUR);
			if (end >= n && ftruncate(a->fd, end - n) != 0)
				mx_error("audit: cannot remove a partial line from %s: %s", a->path,
				         strerror(errno));
		}
		if (!a->in_trouble)
			mx_error("audit: write to %s failed: %s (retrying)", a->path, strerror(e));
		a->in_trouble = 1;
		close_file(a);
		return MX_EIO;
	}
	a->size += n;
	a->dirty = 1;
	if (a->in_trouble)
		mx_warn("audit: %s is writable again; queued records are being written", a->path);
	a->in_trouble = 0;
	memcpy(a->last_hash, hash, sizeof hash);
	if (a->opt.fsync == MX_AUDIT_FSYNC_ALWAYS)
		sync_file(a); /* a failure is logged; the line is written, so not retried */
	return 0;
}

/* Interval fsync and idle move detection, outside the lock. */
static void housekeeping(struct mx_audit *a)
{
	int64_t now = mono_ms();
	if (a->fd >= 0 && a->dirty && a->opt.fsync == MX_AUDIT_FSYNC_INTERVAL &&
	    now - a->last_sync_ms >= a->opt.fsync_interval_ms)
		sync_file(a);
	if (a->fd >= 0 && now - a->last_check_ms >= IDLE_CHECK_MS)
		check_moved(a);
}

static void timed_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

/* ----------------------------------------------------------- writer thread */

static void *writer_main(void *arg)
{
	struct mx_audit *a = arg;
	int failures = 0;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->count == 0) {
			if (a->stop)
				break;
			int wait = IDLE_CHECK_MS;
			if (a->dirty && a->opt.fsync == MX_AUDIT_FSYNC_INTERVAL)
				wait = a->opt.fsync_interval_ms < wait ? a->opt.fsync_interval_ms : wait;
			timed_wait(&a->not_empty, &a->mu, wait);
			pthread_mutex_unlock(&a->mu);
			housekeeping(a);
			pthread_mutex_lock(&a->mu);
			continue;
		}
		char *body = a->ring[a->head];
		size_t blen = a->lens[a->head];
		pthread_mutex_unlock(&a->mu);
		int rc = write_record(a, body, blen);
		housekeeping(a);
		pthread_mutex_lock(&a->mu);
		if (rc == 0) {
			a->st.written++;
			a->st.bytes += a->line.len;
			a->st.failing = 0;
			failures = 0;
		} else {
			a->st.write_errors++;
			a->st.failing = 1;
			failures++;
			if (!(a->stop && failures >= CLOSE_RETRIES)) {
				/* keep the record at the head; retry after a pause */
				timed_wait(&a->not_empty, &a->mu, a->opt.retry_ms);
				continue;
			}
			a->st.lost++;
			mx_error("audit: record lost at shutdown: %s could not be written", a->path);
		}
		mx_free(body);
		a->ring[a->head] = NULL;
		a->head = (a->head + 1) % a->cap;
		a->count--;
		a->seq_done++;
		pthread_cond_broadcast(&a->not_full);
		pthread_cond_broadcast(&a->progress);
	}
	pthread_mutex_unlock(&a->mu);
	close_file(a);
	return NULL;
}

/* ------------------------------------------------------------------ public */

void mx_audit_options_from_settings(const struct mx_profile_settings *s, struct mx_audit_options *out)
{
	memset(out, 0, sizeof *out);
	out->path = s->audit_path;
	out->fsync = s->audit_fsync;
	out->fsync_interval_ms = (int)s->audit_fsync_interval_ms;
	out->rotate_size = s->audit_rotate_size;
	out->rotate_interval = s->audit_rotate_interval;
	out->queue_size = (size_t)s->audit_queue_size;
	out->on_full = s->audit_on_full;
}

int mx_audit_open(const struct mx_audit_options *opt, struct mx_audit **out, struct mx_err *err)
{
	*out = NULL;
	if (opt->path == NULL || opt->path[0] == '\0')
		return mx_err_set(err, MX_EINVAL, "audit: no path");
	struct mx_audit *a = mx_calloc(1, sizeof *a);
	if (a == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	a->opt = *opt;
	a->fd = -1;
	if (a->opt.fsync_interval_ms <= 0)
		a->opt.fsync_interval_ms = MX_AUDIT_DEFAULT_FSYNC_INTERVAL_MS;
	if (a->opt.queue_size == 0)
		a->opt.queue_size = MX_AUDIT_DEFAULT_QUEUE_SIZE;
	if (a->opt.block_timeout_ms <= 0)
		a->opt.block_timeout_ms = 1000;
	if (a->opt.retry_ms <= 0)
		a->opt.retry_ms = 100;
	a->cap = a->opt.queue_size;
	a->path = mx_strdup(opt->path);
	a->ring = mx_calloc(a->cap, sizeof *a->ring);
	a->lens = mx_calloc(a->cap, sizeof *a->lens);
	const char *slash = a->path ? strrchr(a->path, '/') : NULL;
	a->dir = a->path ? (slash == NULL      ? mx_strdup(".")
	                    : slash == a->path ? mx_strdup("/")
	                                       : mx_strndup(a->path, (size_t)(slash - a->path)))
	                 : NULL;
	if (a->path == NULL || a->ring == NULL || a->lens == NULL || a->dir == NULL) {
		mx_free(a->path);
		mx_free(a->ring);
		mx_free(a->lens);
		mx_free(a->dir);
		mx_free(a);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	a->opt.path = a->path;
	mx_buf_init(&a->line, MAX_LINE + 256);
	a->last_sync_ms = mono_ms();

	/* Continue the chain: the live file's last hash, else the newest rotated file's. */
	if (read_last_hash(a->path, a->last_hash) != 0) {
		char **files = NULL;
		size_t n = 0;
		memcpy(a->last_hash, MX_AUDIT_GENESIS_HASH, sizeof a->last_hash);
		if (mx_audit_list_files(a->path, 0, &files, &n, NULL) == 0)
			for (size_t i = n; i > 0; i--)
				if (read_last_hash(files[i - 1], a->last_hash) == 0)
					break;
		mx_audit_free_files(files, n);
	}

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->not_empty, &ca);
	pthread_cond_init(&a->not_full, &ca);
	pthread_cond_init(&a->progress, &ca);
	pthread_condattr_destroy(&ca);
	int e = pthread_create(&a->thread, NULL, writer_main, a);
	if (e != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->not_empty);
		pthread_cond_destroy(&a->not_full);
		pthread_cond_destroy(&a->progress);
		mx_buf_free(&a->line);
		mx_free(a->path);
		mx_free(a->ring);
		mx_free(a->lens);
		mx_free(a->dir);
		mx_free(a);
		return mx_err_set(err, MX_EINTERNAL, "audit: cannot start the writer thread: %s",
		                  strerror(e));
	}
	*out = a;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The record as a JSON line without its closing brace (the writer adds the chain). */
static char *serialise(const struct mx_audit_record *r, size_t *len)
{
	char ts[32], id[37];
	mx_audit_format_time(mx_audit_now_ms(), ts);
	mx_uuid4(id);
	json_t *input = mx_audit_redact(r->params, r->nparams, r->input);
	double dur = isfinite(r->duration_ms) && r->duration_ms > 0 ? round(r->duration_ms * 1000.0) / 1000.0
	                                                            : 0.0;
	json_t *o = json_object();
	if (o == NULL || input == NULL) {
		json_decref(o);
		json_decref(input);
		return NULL;
	}
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "caller", str_or_null(r->caller ? r->caller : "stdio"));
	json_object_set_new(o, "type", str_or_null(r->type));
	json_object_set_new(o, "name", str_or_null(r->name));
	json_object_set_new(o, "input", input);
	json_object_set_new(o, "duration_ms", json_real(dur));
	json_object_set_new(o, "policy_decision",
	                    json_string(r->policy_decision ? r->policy_decision : "n/a"));
	json_object_set_new(o, "reason", str_or_null(r->reason));
	json_object_set_new(o, "status", str_or_null(r->status ? r->status : "success"));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "user_id", str_or_null(r->user_id));
	json_object_set_new(o, "session_id", str_or_null(r->session_id));
	json_object_set_new(o, "request_id", str_or_null(r->request_id));
	if (r->cached)
		json_object_set_new(o, "cached", json_true());
	json_object_set_new(o, "trace_id", str_or_null(r->trace_id));
	json_object_set_new(o, "schema_version", json_integer(MX_AUDIT_SCHEMA_VERSION));
	json_object_set_new(o, "record_id", json_string(id));
	struct mx_buf b;
	mx_buf_init(&b, MAX_LINE);
	int rc = mx_json_dump(&b, o, MX_JSON_COMPACT);
	json_decref(o);
	if (rc != 0 || b.len < 2 || b.p[b.len - 1] != '}') {
		mx_buf_free(&b);
		return NULL;
	}
	b.p[--b.len] = '\0'; /* the writer closes the object after the chain */
	*len = b.len;
	return mx_buf_detach(&b);
}

/* Log refusals at most once a second, with the count since the last line. */
static void note_reject(struct mx_audit *a, const char *why)
{
	int64_t now = mono_ms();
	a->rejects_since_log++;
	if (a->last_reject_log_ms != 0 && now - a->last_reject_log_ms < 1000)
		return;
	mx_error(
	        "audit: %llu record(s) refused (%s); the calls failed (rejected_full=%llu, rejected_io=%llu)",
	        a->rejects_since_log, why, a->st.rejected_full, a->st.rejected_io);
	a->last_reject_log_ms = now;
	a->rejects_since_log = 0;
}

int mx_audit_log(struct mx_audit *a, const struct mx_audit_record *r)
{
	if (a == NULL || r == NULL)
		return MX_EINVAL;
	size_t len = 0;
	char *body = serialise(r, &len);
	if (body == NULL)
		return MX_ENOMEM;
	int rc = 0;
	pthread_mutex_lock(&a->mu);
	if (a->stop) {
		rc = MX_EINVAL;
	} else if (a->st.failing && a->opt.on_full == MX_AUDIT_ON_FULL_FAIL) {
		a->st.rejected_io++;
		note_reject(a, "the audit file cannot be written");
		rc = MX_EIO;
	} else if (a->count == a->cap) {
		if (a->opt.on_full == MX_AUDIT_ON_FULL_BLOCK) {
			struct timespec dl;
			clock_gettime(CLOCK_MONOTONIC, &dl);
			dl.tv_sec += a->opt.block_timeout_ms / 1000;
			dl.tv_nsec += (long)(a->opt.block_timeout_ms % 1000) * 1000000;
			if (dl.tv_nsec >= 1000000000) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000;
			}
			a->st.blocked++;
			while (a->count == a->cap && !a->stop)
				if (pthread_cond_timedwait(&a->not_full, &a->mu, &dl) == ETIMEDOUT)
					break;
		}
		if (a->count == a->cap || a->stop) {
			a->st.rejected_full++;
			note_reject(a, a->st.failing ? "queue full, the audit file cannot be written"
			                             : "queue full");
			rc = MX_ELIMIT;
		}
	}
	if (rc == 0) {
		size_t tail = (a->head + a->count) % a->cap;
		a->ring[tail] = body;
		a->lens[tail] = len;
		a->count++;
		a->seq_enq++;
		a->st.enqueued++;
		if (a->count > a->st.queue_high_water)
			a->st.queue_high_water = a->count;
		body = NULL;
		pthread_cond_signal(&a->not_empty);
	}
	pthread_mutex_unlock(&a->mu);
	mx_free(body);
	return rc;
}

int mx_audit_flush(struct mx_audit *a, int timeout_ms)
{
	if (a == NULL)
		return 0;
	int64_t deadline = mono_ms() + timeout_ms;
	int rc = 0;
	pthread_mutex_lock(&a->mu);
	unsigned long long target = a->seq_enq;
	pthread_cond_signal(&a->not_empty);
	while (a->seq_done < target) {
		int64_t left = timeout_ms < 0 ? 100 : deadline - mono_ms();
		if (left <= 0) {
			rc = MX_ELIMIT;
			break;
		}
		timed_wait(&a->progress, &a->mu, (int)(left < 100 ? left : 100));
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int mx_audit_fsync_always(const struct mx_audit *a)
{
	return a && a->opt.fsync == MX_AUDIT_FSYNC_ALWAYS;
}

void mx_audit_close(struct mx_audit *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->not_empty);
	pthread_cond_broadcast(&a->not_full);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	if (a->st.lost)
		mx_error("audit: %llu record(s) could not be written to %s before shutdown", a->st.lost,
		         a->path);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->not_empty);
	pthread_cond_destroy(&a->not_full);
	pthread_cond_destroy(&a->progress);
	mx_buf_free(&a->line);
	mx_free(a->ring);
	mx_free(a->lens);
	mx_free(a->path);
	mx_free(a->dir);
	mx_free(a);
}

void mx_audit_metrics_source(void *ctx, struct mx_metrics_audit *out)
{
	struct mx_audit_stats st;
	mx_audit_get_stats(ctx, &st);
	*out = (struct mx_metrics_audit){
	        .queued = st.queued,
	        .queue_high_water = st.queue_high_water,
	        .written = st.written,
	        .bytes = st.bytes,
	        .write_errors = st.write_errors,
	        .rejected_full = st.rejected_full,
	        .rejected_io = st.rejected_io,
	        .lost = st.lost,
	        .failing = st.failing,
	};
}

void mx_audit_get_stats(struct mx_audit *a, struct mx_audit_stats *out)
{
	memset(out, 0, sizeof *out);
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	*out = a->st;
	out->queued = a->count;
	pthread_mutex_unlock(&a->mu);
}
