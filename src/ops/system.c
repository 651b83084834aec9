/* SPDX-License-Identifier: Apache-2.0 */
/* system — see system.h. Linux only: everything comes from /proc and /sys. */
#include "ops/system.h"

#include "core/alloc.h"
#include "core/time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_NS 100000000L /* the CPU sampling window: 100 ms */
#define MAX_CPUS 4096

/* ----------------------------------------------------------- small helpers */

static double round1(double x)
{
	return round(x * 10.0) / 10.0;
}

static double percent(double part, double whole)
{
	return whole > 0 ? round1(part / whole * 100.0) : 0.0;
}

/* Read a small /proc or /sys file whole into buf (terminated). Its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len + 1 < n) {
		ssize_t r = read(fd, buf + len, n - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				close(fd);
				return -1;
			}
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* The number after "key:" at the start of a line of text (e.g. /proc/meminfo), or -1. */
static long long field_value(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == ':')
			return strtoll(p + k + 1, NULL, 10);
	return -1;
}

static void sleep_ns(long ns)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --------------------------------------------------------------------- CPU */

struct cpu_sample {
	unsigned long long busy, total;
};

/* One pass over /proc/stat: the aggregate "cpu" line, the per-CPU lines
 * (index = CPU number, up to max) and btime. Lines longer than the buffer
 * (the interrupt counters) are skipped whole. */
static int read_proc_stat(struct cpu_sample *all, struct cpu_sample *per, size_t max, size_t *nper,
                          long long *btime)
{
	FILE *fp = fopen("/proc/stat", "re");
	if (fp == NULL)
		return -1;
	char line[1024];
	int at_start = 1;
	*nper = 0;
	while (fgets(line, sizeof line, fp)) {
		size_t len = strlen(line);
		int starts = at_start;
		at_start = len > 0 && line[len - 1] == '\n';
		if (!starts)
			continue;
		if (strncmp(line, "btime ", 6) == 0) {
			if (btime)
				*btime = strtoll(line + 6, NULL, 10);
			continue;
		}
		if (strncmp(line, "cpu", 3) != 0)
			continue;
		char *p = line + 3;
		long idx = -1;
		if (*p >= '0' && *p <= '9')
			idx = strtol(p, &p, 10);
		/* user nice system idle iowait irq softirq steal (guest time is inside user/nice) */
		unsigned long long v[8] = {0};
		for (int k = 0; k < 8; k++) {
			char *end;
			v[k] = strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		struct cpu_sample s = {0, 0};
		for (int k = 0; k < 8; k++)
			s.total += v[k];
		s.busy = s.total - v[3] - v[4];
		if (idx < 0)
			*all = s;
		else if ((size_t)idx < max) {
			per[idx] = s;
			if ((size_t)idx + 1 > *nper)
				*nper = (size_t)idx + 1;
		}
	}
	fclose(fp);
	return 0;
}

static double cpu_percent(const struct cpu_sample *t0, const struct cpu_sample *t1)
{
	if (t1->total <= t0->total || t1->busy < t0->busy)
		return 0.0;
	double pct = percent((double)(t1->busy - t0->busy), (double)(t1->total - t0->total));
	return pct > 100.0 ? 100.0 : pct;
}

/* Distinct physical cores: the distinct core_cpus_list (older kernels:
 * thread_siblings_list) of every CPU in /sys. */
static long physical_cores(void)
{
	DIR *dir = opendir("/sys/devices/system/cpu");
	if (dir == NULL)
		return 0;
	enum { KEY = 64 };
	char(*seen)[KEY] = mx_calloc(MAX_CPUS, KEY);
	long n = 0;
	struct dirent *de;
	while (seen && (de = readdir(dir)) != NULL && n < MAX_CPUS) {
		if (strncmp(de->d_name, "cpu", 3) != 0 || de->d_name[3] < '0' || de->d_name[3] > '9')
			continue;
		char path[PATH_MAX], key[KEY];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/%s/topology/core_cpus_list", de->d_name);
		if (read_small(path, key, sizeof key) < 0) {
			snprintf(path, sizeof path,
			         "/sys/devices/system/cpu/%s/topology/thread_siblings_list", de->d_name);
			if (read_small(path, key, sizeof key) < 0)
				continue;
		}
		key[strcspn(key, "\n")] = '\0';
		long i = 0;
		while (i < n && strcmp(seen[i], key) != 0)
			i++;
		if (i == n)
			snprintf(seen[n++], KEY, "%s", key);
	}
	closedir(dir);
	mx_free(seen);
	return n;
}

int mx_system_info(struct mx_system_info *out)
{
	memset(out, 0, sizeof *out);
	struct cpu_sample all, *per = mx_calloc(MAX_CPUS, sizeof *per);
	size_t nper = 0;
	char mem[8192];
	int rc = per ? read_proc_stat(&all, per, MAX_CPUS, &nper, &out->boot_time) : -1;
	mx_free(per);
	if (rc != 0 || read_small("/proc/meminfo", mem, sizeof mem) < 0)
		return -1;
	struct utsname u;
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	snprintf(out->hostname, sizeof out->hostname, "%s", u.nodename);
	snprintf(out->system, sizeof out->system, "%s", u.sysname);
	snprintf(out->release, sizeof out->release, "%s", u.release);
	snprintf(out->machine, sizeof out->machine, "%s", u.machine);
	long logical = sysconf(_SC_NPROCESSORS_ONLN);
	out->cpu_physical = physical_cores();
	out->cpu_logical = logical > 0 ? logical : 0;
	out->memory_total = field_value(mem, "MemTotal") * 1024;
	return 0;
}

int mx_system_cpu(struct mx_system_cpu *out)
{
	memset(out, 0, sizeof *out);
	struct cpu_sample all0, all1, *p0 = mx_calloc(MAX_CPUS, sizeof *p0),
	                              *p1 = mx_calloc(MAX_CPUS, sizeof *p1);
	size_t n0 = 0, n1 = 0;
	int rc = -1;
	if (p0 && p1 && read_proc_stat(&all0, p0, MAX_CPUS, &n0, NULL) == 0) {
		sleep_ns(SAMPLE_NS);
		if (read_proc_stat(&all1, p1, MAX_CPUS, &n1, NULL) == 0 &&
		    (out->per_cpu = mx_calloc(n1 ? n1 : 1, sizeof *out->per_cpu)) != NULL) {
			if (getloadavg(out->load, 3) != 3)
				out->load[0] = out->load[1] = out->load[2] = 0;
			for (size_t i = 0; i < n1 && i < n0; i++)
				if (p1[i].total) /* offline CPUs have no line */
					out->per_cpu[out->ncpu++] = cpu_percent(&p0[i], &p1[i]);
			out->percent = cpu_percent(&all0, &all1);
			rc = 0;
		}
	}
	mx_free(p0);
	mx_free(p1);
	return rc;
}

/* ------------------------------------------------------------------ memory */

/* This process's resident and virtual size in bytes, from /proc/self/statm. */
static void self_memory(long long *rss, long long *vms)
{
	char buf[256];
	long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	if (read_small("/proc/self/statm", buf, sizeof buf) > 0 &&
	    sscanf(buf, "%lld %lld", &size, &resident) == 2) {
		*vms = size * page;
		*rss = resident * page;
	} else {
		*vms = *rss = 0;
	}
}

int mx_system_memory(struct mx_system_memory *out)
{
	memset(out, 0, sizeof *out);
	char mem[8192];
	if (read_small("/proc/meminfo", mem, sizeof mem) < 0)
		return -1;
	long long total = field_value(mem, "MemTotal") * 1024, mem_free = field_value(mem, "MemFree") * 1024;
	long long buffers = field_value(mem, "Buffers") * 1024;
	long long cached = field_value(mem, "Cached") * 1024;
	long long sreclaimable = field_value(mem, "SReclaimable");
	cached += sreclaimable > 0 ? sreclaimable * 1024 : 0;
	long long avail = field_value(mem, "MemAvailable");
	avail = avail >= 0 ? avail * 1024 : mem_free + buffers + cached;
	long long used = total - mem_free - buffers - cached;
	if (used < 0)
		used = total - mem_free;
	long long swap_total = field_value(mem, "SwapTotal") * 1024,
	          swap_free = field_value(mem, "SwapFree") * 1024;
	if (swap_total < 0)
		swap_total = swap_free = 0;
	out->total = total;
	out->available = avail;
	out->used = used;
	out->free = mem_free;
	out->percent = percent((double)(total - avail), (double)total);
	out->swap_total = swap_total;
	out->swap_used = swap_total - swap_free;
	out->swap_free = swap_free;
	out->swap_percent = percent((double)(swap_total - swap_free), (double)swap_total);
	self_memory(&out->process_rss, &out->process_vms);
	return 0;
}

/* ------------------------------------------------------------ disk and net */

/* Is name a whole disk (a /sys/block entry), not a partition? */
static int is_block_device(const char *name)
{
	char path[PATH_MAX], dev[NAME_MAX + 1];
	snprintf(dev, sizeof dev, "%s", name);
	for (char *p = dev; *p; p++)
		if (*p == '/')
			*p = '!';
	snprintf(path, sizeof path, "/sys/block/%s", dev);
	return access(path, F_OK) == 0;
}

int mx_system_disk(struct mx_system_disk *out)
{
	memset(out, 0, sizeof *out);
	struct statvfs vfs;
	if (statvfs("/", &vfs) != 0)
		return -1;
	unsigned long long total = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
	unsigned long long free_user = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	unsigned long long used = total - (unsigned long long)vfs.f_bfree * vfs.f_frsize;
	FILE *fp = fopen("/proc/diskstats", "re");
	char line[512];
	while (fp && fgets(line, sizeof line, fp)) {
		unsigned major, minor;
		char name[NAME_MAX + 1];
		unsigned long long reads, rmerged, rsectors, rtime, writes, wmerged, wsectors;
		if (sscanf(line, "%u %u %255s %llu %llu %llu %llu %llu %llu %llu", &major, &minor, name,
		           &reads, &rmerged, &rsectors, &rtime, &writes, &wmerged, &wsectors) != 10 ||
		    !is_block_device(name))
			continue;
		out->read_count += reads;
		out->write_count += writes;
		out->read_bytes += rsectors * 512;
		out->write_bytes += wsectors * 512;
	}
	if (fp)
		fclose(fp);
	out->total = total;
	out->used = used;
	out->free = free_user;
	out->percent = percent((double)used, (double)(used + free_user));
	return 0;
}

int mx_system_network(struct mx_system_network *out)
{
	memset(out, 0, sizeof *out);
	FILE *fp = fopen("/proc/net/dev", "re");
	if (fp == NULL)
		return -1;
	/* per interface: rx bytes packets errs drop fifo frame compressed multicast, then tx bytes packets errs drop … */
	unsigned long long sum[16] = {0};
	char line[512];
	while (fgets(line, sizeof line, fp)) {
		char *p = strchr(line, ':');
		if (p == NULL)
			continue;
		p++;
		for (int k = 0; k < 16; k++) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p)
				break;
			sum[k] += v;
			p = end;
		}
	}
	fclose(fp);
	out->bytes_sent = sum[8];
	out->bytes_recv = sum[0];
	out->packets_sent = sum[9];
	out->packets_recv = sum[1];
	out->errin = sum[2];
	out->errout = sum[10];
	out->dropin = sum[3];
	out->dropout = sum[11];
	return 0;
}

/* ----------------------------------------------------------------- process */

static const char *process_state(char s)
{
	switch (s) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk-sleep";
	case 'T': return "stopped";
	case 't': return "tracing-stop";
	case 'Z': return "zombie";
	case 'X':
	case 'x': return "dead";
	case 'K': return "wake-kill";
	case 'W': return "waking";
	case 'I': return "idle";
	case 'P': return "parked";
	default: return "unknown";
	}
}

static double rusage_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Open descriptors, not counting the one that lists them. */
static long count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return 0;
	long n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n > 0 ? n - 1 : 0;
}

int mx_system_process(struct mx_system_process *out)
{
	memset(out, 0, sizeof *out);
	char stat[1024], st[4096];
	if (read_small("/proc/self/stat", stat, sizeof stat) < 0 ||
	    read_small("/proc/self/status", st, sizeof st) < 0)
		return -1;
	const char *rp = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
	char state = rp && rp[1] == ' ' ? rp[2] : '?';
	double cpu0 = rusage_seconds(), t0 = mx_mono_s();
	sleep_ns(SAMPLE_NS);
	double cpu1 = rusage_seconds(), t1 = mx_mono_s();
	double cpu = t1 > t0 ? round1((cpu1 - cpu0) / (t1 - t0) * 100.0) : 0.0;
	long long threads = field_value(st, "Threads");
	out->pid = (long long)getpid();
	out->status = process_state(state);
	out->cpu_percent = cpu > 0 ? cpu : 0.0;
	self_memory(&out->rss, &out->vms);
	out->threads = threads > 0 ? threads : 0;
	out->fds = count_fds();
	return 0;
}
