/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin — see admin.h.
 *
 * The socket. mx_admin_start makes the socket's folder, refuses a path that
 * is not a socket or where another server still answers, removes a stale
 * socket file, then binds, sets mode 0600 and only then listens: nobody can
 * connect before the mode is final. libmicrohttpd gets the listening socket
 * (MHD_OPTION_LISTEN_SOCKET) and runs an internal poll thread plus one
 * thread per connection, at most ADMIN_MAX_CONNECTIONS; request bodies are
 * bounded (ADMIN_MAX_BODY), responses too (ADMIN_MAX_RESPONSE).
 *
 * State. The admin holds its own reference on the snapshot being served;
 * the reload path swaps it (mx_admin_reload_end) under a.mu, next to the
 * state of the last reload that /status reports. Handlers take a reference
 * for the length of one request.
 *
 * Audit. /audit/query and /audit/stats read the trail through
 * audit/query.c: the records that match the filters it knows (type, name,
 * status, user, start time) are exported into a scratch DuckDB file in a
 * private temporary folder, where the rest (end time, trace id, paging,
 * grouping) is plain SQL; memory stays bounded however long the trail is.
 * One audit query runs at a time (a.audit_mu); the folder is removed after.
 *
 * System. The /system routes read /proc, /sys, statvfs and uname, and
 * compute what MXCP's metrics library computes on Linux (CPU percentages
 * over a 100 ms sample, "used" memory without buffers and page cache, …).
 */
#include "transport/admin.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/uuid.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "exec/sql.h"
#include "exec/workers.h"
#include "model/project.h"
#include "ops/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define ADMIN_MAX_CONNECTIONS 16u
#define ADMIN_CONNECTION_TIMEOUT 30u /* seconds idle */
#define ADMIN_MAX_BODY ((size_t)64 * 1024)
#define ADMIN_MAX_RESPONSE ((size_t)32 << 20)
#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000
#define AUDIT_SCHEMA_NAME "mxcp.endpoints"
#define AUDIT_FLUSH_MS 2000
#define SAMPLE_NS 100000000L /* the CPU sampling window: 100 ms */
#define MAX_CPUS 4096

struct mx_admin {
	struct MHD_Daemon *d;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* the socket file we made, so stop removes only ours */
	ino_t ino;
	struct mx_audit *audit;
	char *audit_path;
	struct mx_workers *workers;
	char transport[32];
	int sql_tools;
	int debug;
	struct sigaction old_hup;
	int hup_ignored; /* we set SIGHUP to SIG_IGN and restore old_hup at stop */

	pthread_mutex_t mu; /* guards the fields below */
	struct mx_project *project;
	int reload_pending; /* POST /reload raised SIGHUP; no reload started since */
	int reload_running;
	int reloaded; /* a reload has finished */
	struct timespec last_reload;
	int last_reload_ok;
	char last_reload_error[512];

	pthread_mutex_t audit_mu; /* one audit query at a time */
};

/* ----------------------------------------------------------- small helpers */

/* ISO 8601 in UTC the way MXCP's responses write it: "…T10:30:00.123456Z"
 * (no fraction when it is zero). */
static void iso_time(const struct timespec *ts, char out[40])
{
	mx_time_format_iso8601(out, 40, ts->tv_sec, (int32_t)ts->tv_nsec, 6,
	                       MX_ISO_FRAC_OMIT_ZERO | MX_ISO_ZONE_Z);
}

static void iso_now(char out[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	iso_time(&ts, out);
}

static double round1(double x)
{
	return round(x * 10.0) / 10.0;
}

static double percent(double part, double whole)
{
	return whole > 0 ? round1(part / whole * 100.0) : 0.0;
}

/* FastAPI's error body for HTTPException: {"detail": "…"}. */
static json_t *detail(unsigned *status, unsigned code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static json_t *detail(unsigned *status, unsigned code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*status = code;
	return json_pack("{s:s}", "detail", msg);
}

static struct mx_project *project_ref(struct mx_admin *a)
{
	pthread_mutex_lock(&a->mu);
	struct mx_project *p = a->project ? mx_project_ref(a->project) : NULL;
	pthread_mutex_unlock(&a->mu);
	return p;
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

/* ------------------------------------------------------ status and reload */

static json_t *h_root(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c, (void)status;
	return json_pack("{s:s, s:s}", "service", "mxcp-admin", "version", MXCP_VERSION);
}

static json_t *h_health(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c, (void)status;
	char ts[40];
	iso_now(ts);
	return json_pack("{s:s, s:s}", "status", "ok", "timestamp", ts);
}

static json_t *reload_info(struct mx_admin *a)
{
	char ts[40] = "";
	pthread_mutex_lock(&a->mu);
	int in_progress = a->reload_pending || a->reload_running;
	int reloaded = a->reloaded, ok = a->last_reload_ok;
	if (reloaded)
		iso_time(&a->last_reload, ts);
	json_t *error = !reloaded || ok ? json_null() : json_string(a->last_reload_error);
	pthread_mutex_unlock(&a->mu);
	size_t active = a->workers ? mx_workers_pending(a->workers) : 0;
	return json_pack("{s:b, s:b, s:I, s:s?, s:s?, s:o}", "in_progress", in_progress, "draining", 0,
	                 "active_requests", (json_int_t)active, "last_reload", reloaded ? ts : NULL,
	                 "last_reload_status", reloaded ? (ok ? "success" : "error") : NULL,
	                 "last_reload_error", error);
}

static json_t *h_status(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)c;
	struct mx_project *p = project_ref(a);
	if (p == NULL)
		return detail(status, 500, "Failed to retrieve status: no project loaded");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double up = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - mx_metrics_process_start_time();
	long long secs = up > 0 ? (long long)up : 0;
	char uptime[64];
	snprintf(uptime, sizeof uptime, "%lldh%lldm%llds", secs / 3600, secs % 3600 / 60, secs % 60);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:o, s:{s:s}}", "status", "ok",
	                        "version", MXCP_VERSION, "uptime", uptime, "uptime_seconds", (json_int_t)secs,
	                        "pid", (json_int_t)getpid(), "profile", p->profile, "mode",
	                        p->settings.readonly ? "readonly" : "readwrite", "debug", a->debug, "reload",
	                        reload_info(a), "admin_socket", "path", a->path);
	mx_project_unref(p);
	return doc;
}

static json_t *h_reload(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)c;
	char ts[40], id[37];
	iso_now(ts);
	mx_uuid4(id);
	mx_info("admin: reload requested (%s)", id);
	pthread_mutex_lock(&a->mu);
	a->reload_pending = 1;
	pthread_mutex_unlock(&a->mu);
	/* The transports already turn SIGHUP into a reload on their own thread. */
	if (kill(getpid(), SIGHUP) != 0) {
		pthread_mutex_lock(&a->mu);
		a->reload_pending = 0;
		pthread_mutex_unlock(&a->mu);
		return detail(status, 500, "Reload failed: %s", strerror(errno));
	}
	return json_pack("{s:s, s:s, s:s, s:s}", "status", "reload_initiated", "timestamp", ts,
	                 "reload_request_id", id, "message",
	                 "Reload request queued. Use GET /status to check progress.");
}

void mx_admin_reload_begin(struct mx_admin *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->reload_pending = 0;
	a->reload_running = 1;
	pthread_mutex_unlock(&a->mu);
}

void mx_admin_reload_end(struct mx_admin *a, struct mx_project *served, const char *error)
{
	if (a == NULL)
		return;
	struct mx_project *old = NULL;
	pthread_mutex_lock(&a->mu);
	a->reload_running = 0;
	a->reloaded = 1;
	clock_gettime(CLOCK_REALTIME, &a->last_reload);
	a->last_reload_ok = served != NULL;
	snprintf(a->last_reload_error, sizeof a->last_reload_error, "%s",
	         served ? "" : (error && *error ? error : "reload failed"));
	if (served) {
		old = a->project;
		a->project = mx_project_ref(served);
	}
	pthread_mutex_unlock(&a->mu);
	mx_project_unref(old);
}

/* ---------------------------------------------------- config and endpoints */

static json_t *h_config(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)c;
	struct mx_project *p = project_ref(a);
	if (p == NULL)
		return detail(status, 500, "Config query failed: no project loaded");
	json_int_t n[3] = {0, 0, 0};
	for (size_t i = 0; i < p->nendpoints; i++)
		n[p->endpoints[i]->kind]++;
	int sql_tools = a->sql_tools >= 0 ? a->sql_tools : p->site->sql_tools.enabled;
	json_t *doc = json_pack(
	        "{s:s, s:s?, s:s, s:s, s:s, s:b, s:b, s:{s:I, s:I, s:I}, s:{s:b, s:b, s:b}, s:s}", "status",
	        "ok", "project", p->site->project, "profile", p->profile, "repository_path", p->site->root,
	        "duckdb_path", p->settings.duckdb_path, "readonly", p->settings.readonly, "debug", a->debug,
	        "endpoints", "tools", n[MX_EP_TOOL], "prompts", n[MX_EP_PROMPT], "resources",
	        n[MX_EP_RESOURCE], "features", "sql_tools", sql_tools, "audit_logging", a->audit != NULL,
	        "telemetry", 0, "transport", a->transport);
	mx_project_unref(p);
	return doc;
}

/* One line of /endpoints: a served endpoint or a file that failed to load. */
struct ep_row {
	enum mx_endpoint_kind kind;
	const char *path;
	const struct mx_endpoint *ep;
	const struct mx_load_failure *fail;
};

static int cmp_row(const void *x, const void *y)
{
	const struct ep_row *a = x, *b = y;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	return strcmp(a->path, b->path);
}

static json_t *endpoint_json(const struct ep_row *r)
{
	if (r->fail) {
		char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
		mx_err_format(&r->fail->err, msg, sizeof msg);
		return json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:s, s:s}", "path", r->path, "type", "name",
		                 "description", "language", "enabled", 0, "status", "error", "error", msg);
	}
	const struct mx_endpoint *ep = r->ep;
	const char *name = ep->kind == MX_EP_RESOURCE && ep->title ? ep->title : ep->name;
	const char *lang = ep->kind == MX_EP_PROMPT         ? NULL
	                   : ep->language == MX_LANG_PYTHON ? "python"
	                                                    : "sql";
	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:s, s:n}", "path", r->path, "type",
	                 mx_endpoint_kind_name(ep->kind), "name", name, "description", ep->description,
	                 "language", lang, "enabled", 1, "status", "ok", "error");
}

static json_t *h_endpoints(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)c;
	struct mx_project *p = project_ref(a);
	if (p == NULL)
		return detail(status, 500, "Failed to list endpoints: no project loaded");
	size_t n = p->nendpoints + p->nfailures;
	struct ep_row *rows = mx_calloc(n ? n : 1, sizeof *rows);
	json_t *list = json_array();
	json_t *doc = NULL;
	if (rows && list) {
		for (size_t i = 0; i < p->nendpoints; i++)
			rows[i] = (struct ep_row){p->endpoints[i]->kind, p->endpoints[i]->path,
			                          p->endpoints[i], NULL};
		for (size_t i = 0; i < p->nfailures; i++)
			rows[p->nendpoints + i] = (struct ep_row){p->failures[i].kind, p->failures[i].path,
			                                          NULL, &p->failures[i]};
		qsort(rows, n, sizeof *rows, cmp_row);
		int rc = 0;
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = json_array_append_new(list, endpoint_json(&rows[i]));
		if (rc == 0) {
			doc = json_pack("{s:o}", "endpoints", list);
			list = NULL;
		}
	}
	json_decref(list);
	mx_free(rows);
	mx_project_unref(p);
	return doc ? doc : detail(status, 500, "Failed to list endpoints: out of memory");
}

/* ------------------------------------------------------------------ system */

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

static json_t *h_system_info(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct cpu_sample all, *per = mx_calloc(MAX_CPUS, sizeof *per);
	size_t nper = 0;
	long long btime = 0;
	char mem[8192];
	int rc = per ? read_proc_stat(&all, per, MAX_CPUS, &nper, &btime) : -1;
	mx_free(per);
	if (rc != 0 || read_small("/proc/meminfo", mem, sizeof mem) < 0)
		return detail(status, 500, "Failed to get system info: %s", strerror(errno));
	struct utsname u;
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	long logical = sysconf(_SC_NPROCESSORS_ONLN);
	/* MXCP's four fields, then the host and kernel */
	return json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s}", "boot_time_seconds", (json_int_t)btime,
	                 "cpu_count_physical", (json_int_t)physical_cores(), "cpu_count_logical",
	                 (json_int_t)(logical > 0 ? logical : 0), "memory_total_bytes",
	                 (json_int_t)field_value(mem, "MemTotal") * 1024, "hostname", u.nodename, "system",
	                 u.sysname, "release", u.release, "machine", u.machine);
}

static json_t *h_system_cpu(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct cpu_sample all0, all1, *p0 = mx_calloc(MAX_CPUS, sizeof *p0),
	                              *p1 = mx_calloc(MAX_CPUS, sizeof *p1);
	size_t n0 = 0, n1 = 0;
	json_t *doc = NULL;
	if (p0 && p1 && read_proc_stat(&all0, p0, MAX_CPUS, &n0, NULL) == 0) {
		sleep_ns(SAMPLE_NS);
		if (read_proc_stat(&all1, p1, MAX_CPUS, &n1, NULL) == 0) {
			double load[3] = {0, 0, 0};
			if (getloadavg(load, 3) != 3)
				load[0] = load[1] = load[2] = 0;
			json_t *percpu = json_array();
			for (size_t i = 0; percpu && i < n1 && i < n0; i++)
				if (p1[i].total) /* offline CPUs have no line */
					json_array_append_new(percpu, json_real(cpu_percent(&p0[i], &p1[i])));
			doc = json_pack("{s:f, s:o, s:f, s:f, s:f}", "percent", cpu_percent(&all0, &all1),
			                "per_cpu_percent", percpu, "load_avg_1min", load[0], "load_avg_5min",
			                load[1], "load_avg_15min", load[2]);
		}
	}
	mx_free(p0);
	mx_free(p1);
	return doc ? doc : detail(status, 500, "Failed to get CPU stats: %s", strerror(errno));
}

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

static json_t *h_system_memory(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	char mem[8192];
	if (read_small("/proc/meminfo", mem, sizeof mem) < 0)
		return detail(status, 500, "Failed to get memory stats: %s", strerror(errno));
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
	long long rss, vms;
	self_memory(&rss, &vms);
	return json_pack(
	        "{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:I, s:I}", "total_bytes", (json_int_t)total,
	        "available_bytes", (json_int_t)avail, "used_bytes", (json_int_t)used, "free_bytes",
	        (json_int_t)mem_free, "percent", percent((double)(total - avail), (double)total),
	        "swap_total_bytes", (json_int_t)swap_total, "swap_used_bytes",
	        (json_int_t)(swap_total - swap_free), "swap_free_bytes", (json_int_t)swap_free,
	        "swap_percent", percent((double)(swap_total - swap_free), (double)swap_total),
	        "mxcp_process_rss_bytes", (json_int_t)rss, "mxcp_process_vms_bytes", (json_int_t)vms);
}

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

static json_t *h_system_disk(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct statvfs vfs;
	if (statvfs("/", &vfs) != 0)
		return detail(status, 500, "Failed to get disk stats: %s", strerror(errno));
	unsigned long long total = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
	unsigned long long free_user = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	unsigned long long used = total - (unsigned long long)vfs.f_bfree * vfs.f_frsize;
	unsigned long long rbytes = 0, wbytes = 0, rcount = 0, wcount = 0;
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
		rcount += reads;
		wcount += writes;
		rbytes += rsectors * 512;
		wbytes += wsectors * 512;
	}
	if (fp)
		fclose(fp);
	return json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I}", "total_bytes", (json_int_t)total,
	                 "used_bytes", (json_int_t)used, "free_bytes", (json_int_t)free_user, "percent",
	                 percent((double)used, (double)(used + free_user)), "read_bytes", (json_int_t)rbytes,
	                 "write_bytes", (json_int_t)wbytes, "read_count", (json_int_t)rcount, "write_count",
	                 (json_int_t)wcount);
}

static json_t *h_system_network(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	FILE *fp = fopen("/proc/net/dev", "re");
	if (fp == NULL)
		return detail(status, 500, "Failed to get network stats: %s", strerror(errno));
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
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "bytes_sent", (json_int_t)sum[8],
	                 "bytes_recv", (json_int_t)sum[0], "packets_sent", (json_int_t)sum[9], "packets_recv",
	                 (json_int_t)sum[1], "errin", (json_int_t)sum[2], "errout", (json_int_t)sum[10],
	                 "dropin", (json_int_t)sum[3], "dropout", (json_int_t)sum[11]);
}

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

static json_t *h_system_process(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	char stat[1024], st[4096];
	if (read_small("/proc/self/stat", stat, sizeof stat) < 0 ||
	    read_small("/proc/self/status", st, sizeof st) < 0)
		return detail(status, 500, "Failed to get process stats: %s", strerror(errno));
	const char *rp = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
	char state = rp && rp[1] == ' ' ? rp[2] : '?';
	double cpu0 = rusage_seconds(), t0 = mx_mono_s();
	sleep_ns(SAMPLE_NS);
	double cpu1 = rusage_seconds(), t1 = mx_mono_s();
	double cpu = t1 > t0 ? round1((cpu1 - cpu0) / (t1 - t0) * 100.0) : 0.0;
	long long rss, vms;
	self_memory(&rss, &vms);
	long long threads = field_value(st, "Threads");
	return json_pack("{s:I, s:s, s:f, s:I, s:I, s:I, s:I}", "pid", (json_int_t)getpid(), "status",
	                 process_state(state), "cpu_percent", cpu > 0 ? cpu : 0.0, "memory_rss_bytes",
	                 (json_int_t)rss, "memory_vms_bytes", (json_int_t)vms, "num_threads",
	                 (json_int_t)(threads > 0 ? threads : 0), "num_fds", (json_int_t)count_fds());
}

/* ------------------------------------------------------------------- audit */

/* Query parameters, checked the way FastAPI does: every problem is one
 * item of a 422's "detail" list. */
struct audit_args {
	const char *schema_name, *operation_type, *operation_name, *operation_status, *user_id, *trace_id;
	int64_t start_ms, end_ms;
	int has_start, has_end;
	long long limit, offset;
};

static const char *query_arg(struct MHD_Connection *c, const char *key)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	return v && *v ? v : NULL;
}

static void add_problem(json_t *errors, const char *type, const char *key, const char *msg, const char *input,
                        json_t *ctx)
{
	json_t *e = json_pack("{s:s, s:[s, s], s:s, s:s}", "type", type, "loc", "query", key, "msg", msg,
	                      "input", input);
	if (e && ctx)
		json_object_set(e, "ctx", ctx);
	json_decref(ctx);
	json_array_append_new(errors, e);
}

static void int_arg(struct MHD_Connection *c, const char *key, long long def, long long lo, long long hi,
                    long long *out, json_t *errors)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	*out = def;
	if (v == NULL)
		return;
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*v == '\0' || errno || *end != '\0') {
		add_problem(errors, "int_parsing", key,
		            "Input should be a valid integer, unable to parse string as an integer", v, NULL);
		return;
	}
	char msg[96];
	if (n < lo) {
		snprintf(msg, sizeof msg, "Input should be greater than or equal to %lld", lo);
		add_problem(errors, "greater_than_equal", key, msg, v,
		            json_pack("{s:I}", "ge", (json_int_t)lo));
	} else if (hi >= 0 && n > hi) {
		snprintf(msg, sizeof msg, "Input should be less than or equal to %lld", hi);
		add_problem(errors, "less_than_equal", key, msg, v, json_pack("{s:I}", "le", (json_int_t)hi));
	}
	*out = n;
}

static void time_arg(struct MHD_Connection *c, const char *key, int64_t *out, int *has, json_t *errors)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	*has = 0;
	if (v == NULL)
		return;
	char t[64];
	size_t n = strlen(v);
	if (n == 10 && n < sizeof t) /* a date alone is its midnight */
		n = (size_t)snprintf(t, sizeof t, "%sT00:00:00", v);
	else
		snprintf(t, sizeof t, "%s", v);
	if (n >= sizeof t || mx_audit_parse_time(t, n, out) != 0) {
		add_problem(errors, "datetime_parsing", key, "Input should be a valid datetime", v, NULL);
		return;
	}
	*has = 1;
}

/* The scratch database a query works in: the matching records as table
 * `logs` (audit/query.h's normalised columns), newest first. */
struct scratch {
	char dir[PATH_MAX];
	char file[PATH_MAX + 16];
	struct mx_db *db;
	struct mx_dbconn *conn;
};

static void remove_tree(const char *path, int depth)
{
	DIR *dir = depth > 0 ? opendir(path) : NULL;
	struct dirent *de;
	while (dir && (de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (unlink(sub) != 0 && errno == EISDIR)
			remove_tree(sub, depth - 1);
	}
	if (dir)
		closedir(dir);
	rmdir(path);
}

static void scratch_close(struct scratch *s)
{
	mx_dbconn_close(s->conn);
	mx_db_close(s->db);
	s->conn = NULL;
	s->db = NULL;
	if (s->dir[0])
		remove_tree(s->dir, 3);
	s->dir[0] = '\0';
}

static int scratch_open(struct mx_admin *a, const struct mx_audit_filter *f, struct scratch *s,
                        struct mx_err *err)
{
	memset(s, 0, sizeof *s);
	mx_audit_flush(a->audit, AUDIT_FLUSH_MS); /* calls answered so far are on disk */
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof s->dir, "%s/mxcp-admin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return mx_err_set(err, MX_EIO, "cannot create a scratch folder: %s", strerror(errno));
	}
	snprintf(s->file, sizeof s->file, "%s/audit.duckdb", s->dir);
	int64_t count = 0;
	int rc = mx_audit_export_duckdb(a->audit_path, f, s->file, &count, err);
	if (rc == 0) {
		struct mx_db_options o = {.path = s->file};
		rc = mx_db_open(&o, &s->db, err);
	}
	if (rc == 0)
		rc = mx_db_connect(s->db, &s->conn, err);
	if (rc)
		scratch_close(s);
	return rc;
}

/* The record in MXCP's shape. Timestamps are UTC and written the way
 * MXCP's isoformat() does ("…T10:30:00.123456+00:00"); every record of
 * ours is an endpoint execution, schema AUDIT_SCHEMA_NAME. */
static const char RECORDS_SELECT[] =
        "SELECT record_id, strftime(\"timestamp\", '%Y-%m-%dT%H:%M:%S.%f') || '+00:00' AS \"timestamp\", "
        "'mxcp.endpoints' AS schema_name, schema_version, \"type\" AS operation_type, "
        "name AS operation_name, status AS operation_status, "
        "CAST(round(duration_ms) AS BIGINT) AS duration_ms, caller AS caller_type, "
        "user_id, session_id, trace_id, \"input\" AS input_data, output AS output_data, error, "
        "CAST(NULL AS VARCHAR[]) AS policies_evaluated, policy_decision, reason AS policy_reason, "
        "CAST(NULL AS JSON) AS business_context, CAST(NULL AS JSON) AS execution_events FROM logs WHERE TRUE";

static const char STATS_SELECT[] =
        "SELECT count(*) AS total, "
        "strftime(min(\"timestamp\"), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00' AS earliest, "
        "strftime(max(\"timestamp\"), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00' AS latest FROM logs WHERE TRUE";

/* Append the filters the export does not apply; bind their values. */
static int where_rest(struct mx_buf *sql, const struct audit_args *q, struct mx_sql_param *ps, json_t **vals,
                      size_t *np)
{
	int rc = 0;
	*np = 0;
	if (q->has_end) {
		char ts[32];
		mx_audit_format_time(q->end_ms, ts);
		ts[23] = '\0'; /* a plain UTC TIMESTAMP */
		vals[*np] = json_string(ts);
		ps[*np] = (struct mx_sql_param){"end_time", vals[*np], NULL};
		(*np)++;
		rc = mx_buf_puts(sql, " AND \"timestamp\" <= CAST($end_time AS TIMESTAMP)");
	}
	if (rc == 0 && q->trace_id) {
		vals[*np] = json_string(q->trace_id);
		ps[*np] = (struct mx_sql_param){"trace_id", vals[*np], NULL};
		(*np)++;
		rc = mx_buf_puts(sql, " AND trace_id = $trace_id");
	}
	return rc;
}

static void free_vals(json_t **vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(vals[i]);
}

/* Run head, the filters where_rest adds, then tail, on the scratch database. */
static int query_filtered(struct scratch *s, const struct audit_args *q, const char *head, const char *tail,
                          json_t **rows, struct mx_err *err)
{
	struct mx_buf sql;
	struct mx_sql_param ps[2];
	json_t *vals[2];
	size_t np = 0;
	*rows = NULL;
	mx_buf_init(&sql, 1 << 16);
	int rc = mx_buf_puts(&sql, head) || where_rest(&sql, q, ps, vals, &np) || mx_buf_puts(&sql, tail);
	if (rc)
		rc = mx_err_set(err, MX_ELIMIT, "audit query too large");
	else
		rc = mx_sql_query(s->conn, sql.p, ps, np, rows, err);
	free_vals(vals, np);
	mx_buf_free(&sql);
	return rc;
}

static int run_records(struct scratch *s, const struct audit_args *q, json_t **rows, struct mx_err *err)
{
	char tail[128];
	snprintf(tail, sizeof tail, " ORDER BY \"timestamp\" DESC, rowid LIMIT %lld OFFSET %lld", q->limit,
	         q->offset);
	int rc = query_filtered(s, q, RECORDS_SELECT, tail, rows, err);
	if (rc == 0) {
		/* MXCP reports an empty input as null */
		size_t i;
		json_t *row;
		json_array_foreach (*rows, i, row) {
			json_t *in = json_object_get(row, "input_data");
			if (json_is_object(in) && json_object_size(in) == 0)
				json_object_set_new(row, "input_data", json_null());
		}
	}
	return rc;
}

/* {value: count} of one column over the records in range (NULLs left out). */
static int run_group(struct scratch *s, const char *col, const struct audit_args *q, json_t **out,
                     struct mx_err *err)
{
	char head[256];
	snprintf(head, sizeof head, "SELECT %s AS k, count(*) AS n FROM logs WHERE %s IS NOT NULL", col, col);
	json_t *rows = NULL;
	int rc = query_filtered(s, q, head, " GROUP BY 1 ORDER BY 2 DESC, 1", &rows, err);
	*out = rc ? NULL : json_object();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const char *k = json_string_value(json_object_get(row, "k"));
		if (k && *out)
			json_object_set(*out, k, json_object_get(row, "n"));
	}
	json_decref(rows);
	return rc;
}

static int run_stats(struct scratch *s, const struct audit_args *q, json_t **doc, struct mx_err *err)
{
	json_t *rows = NULL, *by_type = NULL, *by_status = NULL, *by_policy = NULL;
	int rc = query_filtered(s, q, STATS_SELECT, "", &rows, err);
	if (rc == 0)
		rc = run_group(s, "\"type\"", q, &by_type, err);
	if (rc == 0)
		rc = run_group(s, "status", q, &by_status, err);
	if (rc == 0)
		rc = run_group(s, "policy_decision", q, &by_policy, err);
	if (rc == 0) {
		json_t *row = json_array_get(rows, 0);
		*doc = json_pack("{s:O, s:o, s:o, s:o, s:O, s:O}", "total_records",
		                 json_object_get(row, "total"), "by_type", by_type, "by_status", by_status,
		                 "by_policy", by_policy, "earliest_timestamp",
		                 json_object_get(row, "earliest"), "latest_timestamp",
		                 json_object_get(row, "latest"));
		by_type = by_status = by_policy = NULL;
		if (*doc == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	json_decref(by_type);
	json_decref(by_status);
	json_decref(by_policy);
	json_decref(rows);
	return rc;
}

static json_t *empty_stats(void)
{
	return json_pack("{s:i, s:{}, s:{}, s:{}, s:n, s:n}", "total_records", 0, "by_type", "by_status",
	                 "by_policy", "earliest_timestamp", "latest_timestamp");
}

/* Export the records f selects into a scratch database, run `run` there
 * (one audit question at a time), and answer its document, or a 500 that
 * starts with `what`. */
static json_t *audit_run(struct mx_admin *a, const struct mx_audit_filter *f, const struct audit_args *q,
                         int (*run)(struct scratch *, const struct audit_args *, json_t **, struct mx_err *),
                         const char *what, unsigned *status)
{
	struct scratch s;
	struct mx_err err;
	json_t *doc = NULL;
	pthread_mutex_lock(&a->audit_mu);
	int rc = scratch_open(a, f, &s, &err);
	if (rc == 0) {
		rc = run(&s, q, &doc, &err);
		scratch_close(&s);
	}
	pthread_mutex_unlock(&a->audit_mu);
	if (rc) {
		char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
		mx_error("admin: %s: %s", what, mx_err_format(&err, msg, sizeof msg));
		return detail(status, 500, "%s: %s", what, msg);
	}
	return doc;
}

static json_t *h_audit_query(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	struct audit_args q = {
	        .schema_name = query_arg(c, "schema_name"),
	        .operation_type = query_arg(c, "operation_type"),
	        .operation_name = query_arg(c, "operation_name"),
	        .operation_status = query_arg(c, "operation_status"),
	        .user_id = query_arg(c, "user_id"),
	        .trace_id = query_arg(c, "trace_id"),
	};
	json_t *errors = json_array();
	time_arg(c, "start_time", &q.start_ms, &q.has_start, errors);
	time_arg(c, "end_time", &q.end_ms, &q.has_end, errors);
	int_arg(c, "limit", AUDIT_LIMIT_DEFAULT, 1, AUDIT_LIMIT_MAX, &q.limit, errors);
	int_arg(c, "offset", 0, 0, -1, &q.offset, errors);
	if (json_array_size(errors)) {
		*status = 422;
		return json_pack("{s:o}", "detail", errors);
	}
	json_decref(errors);
	/* every record of ours is an endpoint execution */
	if (a->audit == NULL || (q.schema_name && strcmp(q.schema_name, AUDIT_SCHEMA_NAME) != 0))
		return json_pack("{s:[], s:i}", "records", "count", 0);
	const char *name[1] = {q.operation_name};
	struct mx_audit_filter f = {
	        .tools = name,
	        .ntools = q.operation_name ? 1 : 0,
	        .resources = name,
	        .nresources = q.operation_name ? 1 : 0,
	        .prompts = name,
	        .nprompts = q.operation_name ? 1 : 0,
	        .type = q.operation_type,
	        .status = q.operation_status,
	        .user = q.user_id,
	        .since_ms = q.has_start ? q.start_ms : 0,
	        .limit = -1,
	};
	json_t *rows = audit_run(a, &f, &q, run_records, "Failed to query audit logs", status);
	if (*status != 200)
		return rows;
	json_int_t count = (json_int_t)json_array_size(rows);
	return json_pack("{s:o, s:I}", "records", rows, "count", count);
}

static json_t *h_audit_stats(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	struct audit_args q = {.limit = 0};
	json_t *errors = json_array();
	time_arg(c, "start_time", &q.start_ms, &q.has_start, errors);
	time_arg(c, "end_time", &q.end_ms, &q.has_end, errors);
	if (json_array_size(errors)) {
		*status = 422;
		return json_pack("{s:o}", "detail", errors);
	}
	json_decref(errors);
	if (a->audit == NULL)
		return empty_stats();
	struct mx_audit_filter f = {.since_ms = q.has_start ? q.start_ms : 0, .limit = -1};
	return audit_run(a, &f, &q, run_stats, "Failed to get audit statistics", status);
}

/* ------------------------------------------------------------------ routing */

typedef json_t *(*handler_fn)(struct mx_admin *a, struct MHD_Connection *c, unsigned *status);

static const struct route {
	const char *path;
	const char *method; /* GET routes answer HEAD too */
	handler_fn fn;
} ROUTES[] = {
        {"/", "GET", h_root},
        {"/health", "GET", h_health},
        {"/status", "GET", h_status},
        {"/reload", "POST", h_reload},
        {"/config", "GET", h_config},
        {"/endpoints", "GET", h_endpoints},
        {"/system/info", "GET", h_system_info},
        {"/system/cpu", "GET", h_system_cpu},
        {"/system/memory", "GET", h_system_memory},
        {"/system/disk", "GET", h_system_disk},
        {"/system/network", "GET", h_system_network},
        {"/system/process", "GET", h_system_process},
        {"/audit/query", "GET", h_audit_query},
        {"/audit/stats", "GET", h_audit_stats},
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, json_t *doc, const char *allow)
{
	struct mx_buf b;
	mx_buf_init(&b, ADMIN_MAX_RESPONSE);
	if (doc == NULL || mx_json_dump(&b, doc, MX_JSON_COMPACT) != 0) {
		json_t *e = doc ? json_pack("{s:s}", "detail", "Response too large")
		                : json_pack("{s:s, s:s, s:n}", "error", "internal_error", "message",
		                            "Internal server error", "detail");
		mx_buf_reset(&b);
		status = 500;
		if (e == NULL || mx_json_dump(&b, e, MX_JSON_COMPACT) != 0)
			mx_buf_reset(&b);
		json_decref(e);
	}
	json_decref(doc);
	struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
	mx_buf_free(&b);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result route(struct mx_admin *a, struct MHD_Connection *c, const char *url,
                             const char *method)
{
	int head = strcmp(method, "HEAD") == 0;
	const struct route *hit = NULL;
	for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
		if (strcmp(ROUTES[i].path, url) != 0)
			continue;
		hit = &ROUTES[i];
		if (strcmp(hit->method, method) == 0 || (head && strcmp(hit->method, "GET") == 0)) {
			unsigned status = 200;
			json_t *doc = hit->fn(a, c, &status);
			return respond(c, status, doc, NULL);
		}
	}
	if (hit)
		return respond(c, 405, json_pack("{s:s}", "detail", "Method Not Allowed"), hit->method);
	return respond(c, 404, json_pack("{s:s}", "detail", "Not Found"), NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	struct mx_admin *a = cls;
	(void)version, (void)upload_data;
	/* *con_cls holds 1 + the body bytes seen so far: no allocation per request. */
	uintptr_t seen = (uintptr_t)*con_cls;
	if (seen == 0) {
		const char *len =
		        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (len && strtoull(len, NULL, 10) > ADMIN_MAX_BODY)
			return respond(c, 413, json_pack("{s:s}", "detail", "Request body too large"), NULL);
		*con_cls = (void *)(uintptr_t)1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		seen += *upload_data_size;
		*upload_data_size = 0;
		*con_cls = (void *)seen;
		return seen - 1 > ADMIN_MAX_BODY ? MHD_NO : MHD_YES; /* past the bound: drop the connection */
	}
	return route(a, c, url, method);
}

/* ------------------------------------------------------------------ socket */

int mx_admin_enabled(void)
{
	return mx_env_flag("MXCP_ADMIN_ENABLED");
}

const char *mx_admin_socket_path(void)
{
	const char *p = getenv("MXCP_ADMIN_SOCKET");
	return p && *p ? p : MX_ADMIN_DEFAULT_SOCKET;
}

/* mkdir -p of path's folder. */
static int make_parent(const char *path, struct mx_err *err)
{
	char dir[PATH_MAX];
	if (mx_fs_mkdir_parent(path, 0755, dir, sizeof dir) == 0)
		return 0;
	return mx_err_set(err, MX_EIO, "cannot create the admin socket folder %s: %s", dir, strerror(errno));
}

/* A socket file already at path: refuse if a server answers on it or it is
 * not a socket; remove it if it is stale. */
static int clear_stale(const char *path, const struct sockaddr_un *sa, struct mx_err *err)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0
		                       : mx_err_set(err, MX_EIO, "cannot use the admin socket path %s: %s",
		                                    path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return mx_err_set(err, MX_EIO,
		                  "admin socket path %s exists and is not a socket; not removing it", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mx_err_set(err, MX_EIO, "cannot create a socket: %s", strerror(errno));
	int live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno == EAGAIN ||
	           errno == EINPROGRESS;
	int e = errno;
	close(fd);
	if (live)
		return mx_err_set(
		        err, MX_EIO,
		        "another server is already answering on the admin socket %s; stop it, or set "
		        "MXCP_ADMIN_SOCKET to another path",
		        path);
	if (e != ECONNREFUSED && e != ENOENT)
		return mx_err_set(err, MX_EIO, "cannot check the admin socket %s: %s", path, strerror(e));
	mx_info("admin: removing stale socket %s", path);
	if (unlink(path) != 0 && errno != ENOENT)
		return mx_err_set(err, MX_EIO, "cannot remove the stale admin socket %s: %s", path,
		                  strerror(errno));
	return 0;
}

/* Bind, set mode 0600, then listen. */
static int make_socket(struct mx_admin *a, const struct sockaddr_un *sa, struct mx_err *err)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mx_err_set(err, MX_EIO, "cannot create a socket: %s", strerror(errno));
	struct stat st;
	if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
		int e = errno;
		close(fd);
		return mx_err_set(err, MX_EIO, "cannot create the admin socket %s: %s", a->path, strerror(e));
	}
	if (chmod(a->path, 0600) != 0 || stat(a->path, &st) != 0 || listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		unlink(a->path);
		return mx_err_set(err, MX_EIO, "cannot set up the admin socket %s: %s", a->path, strerror(e));
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	return fd;
}

/* Remove the socket file if it is still the one we made. */
static void remove_socket(struct mx_admin *a)
{
	struct stat st;
	if (a->ino && lstat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		unlink(a->path);
}

int mx_admin_start(const struct mx_admin_options *opt, struct mx_admin **out, struct mx_err *err)
{
	*out = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (opt->path == NULL || opt->path[0] == '\0' || strlen(opt->path) >= sizeof sa.sun_path)
		return mx_err_set(err, MX_EINVAL, "admin socket path must be 1 to %zu bytes: %s",
		                  sizeof sa.sun_path - 1, opt->path ? opt->path : "");
	memcpy(sa.sun_path, opt->path, strlen(opt->path) + 1);
	int rc = make_parent(opt->path, err);
	if (rc == 0)
		rc = clear_stale(opt->path, &sa, err);
	if (rc)
		return rc;
	struct mx_admin *a = mx_calloc(1, sizeof *a);
	if (a == NULL || (opt->audit_path && (a->audit_path = mx_strdup(opt->audit_path)) == NULL)) {
		mx_free(a);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	memcpy(a->path, sa.sun_path, sizeof a->path);
	a->project = opt->project ? mx_project_ref(opt->project) : NULL;
	a->audit = opt->audit_path ? opt->audit : NULL;
	a->workers = opt->workers;
	snprintf(a->transport, sizeof a->transport, "%s", opt->transport ? opt->transport : "");
	a->sql_tools = opt->sql_tools;
	a->debug = opt->debug;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->audit_mu, NULL);

	int fd = make_socket(a, &sa, err);
	if (fd < 0) {
		a->ino = 0;
		mx_admin_stop(a);
		return fd;
	}
	unsigned flags =
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC;
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	                        MHD_OPTION_CONNECTION_LIMIT, ADMIN_MAX_CONNECTIONS,
	                        MHD_OPTION_CONNECTION_TIMEOUT, ADMIN_CONNECTION_TIMEOUT,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (a->d == NULL) {
		close(fd);
		mx_admin_stop(a);
		return mx_err_set(err, MX_EIO, "cannot serve the admin socket %s", opt->path);
	}
	/* SIGHUP is how POST /reload reaches the transport; outside the
	 * transport's handler it must not end the process. */
	struct sigaction cur;
	if (sigaction(SIGHUP, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL) {
		struct sigaction ign = {.sa_handler = SIG_IGN};
		a->hup_ignored = sigaction(SIGHUP, &ign, &a->old_hup) == 0;
	}
	mx_info("admin: serving the admin API on %s", a->path);
	*out = a;
	return 0;
}

void mx_admin_stop(struct mx_admin *a)
{
	if (a == NULL)
		return;
	if (a->d) {
		MHD_socket lfd = MHD_quiesce_daemon(a->d);
		MHD_stop_daemon(a->d);
		if (lfd != MHD_INVALID_SOCKET)
			close(lfd);
	}
	remove_socket(a);
	if (a->d)
		mx_info("admin: stopped; %s removed", a->path);
	if (a->hup_ignored) {
		struct sigaction cur;
		if (sigaction(SIGHUP, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN)
			sigaction(SIGHUP, &a->old_hup, NULL);
	}
	mx_project_unref(a->project);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->audit_mu);
	mx_free(a->audit_path);
	mx_free(a);
}
