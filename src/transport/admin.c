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
 * The answers come from their owners; this file parses the query, asks and
 * writes MXCP's JSON: /system/… from ops/system.h, /audit/… from
 * audit/search.h, active requests from the protocol core, and POST
 * /reload goes to the server's reload through opt->request_reload.
 */
#include "transport/admin.h"

#include "audit/query.h"
#include "audit/search.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "core/uuid.h"
#include "mcp/server.h"
#include "model/project.h"
#include "ops/metrics.h"
#include "ops/system.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ADMIN_MAX_CONNECTIONS 16u
#define ADMIN_CONNECTION_TIMEOUT 30u /* seconds idle */
#define ADMIN_MAX_BODY ((size_t)64 * 1024)
#define ADMIN_MAX_RESPONSE ((size_t)32 << 20)
#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

struct mx_admin {
	struct MHD_Daemon *d;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* the socket file we made, so stop removes only ours */
	ino_t ino;
	struct mx_audit *audit;
	char *audit_path;
	struct mx_mcp_server *mcp;
	int (*request_reload)(void *ctx);
	void *reload_ctx;
	char transport[32];
	int sql_tools;
	int debug;

	pthread_mutex_t mu; /* guards the fields below */
	struct mx_project *project;
	int reload_pending; /* POST /reload asked for one; no reload started since */
	int reload_running;
	int reloaded; /* a reload has finished */
	struct timespec last_reload;
	int last_reload_ok;
	char last_reload_error[512];
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
	size_t active = a->mcp ? mx_mcp_server_pending(a->mcp) : 0;
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
	/* The reload itself runs on the server's thread, as a SIGHUP's does. */
	if (a->request_reload == NULL || a->request_reload(a->reload_ctx) != 0) {
		pthread_mutex_lock(&a->mu);
		a->reload_pending = 0;
		pthread_mutex_unlock(&a->mu);
		return detail(status, 500, "Reload failed: %s", strerror(errno));
	}
	return json_pack("{s:s, s:s, s:s, s:s}", "status", "reload_initiated", "timestamp", ts,
	                 "reload_request_id", id, "message",
	                 "Reload request queued. Use GET /status to check progress.");
}

/* POST /cache/flush: forget every cached answer (memory: drop them all;
 * Redis: a new shared generation, so every instance misses). */
static json_t *h_cache_flush(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)c;
	char ts[40];
	iso_now(ts);
	if (a->mcp == NULL)
		return detail(status, 503, "Not serving");
	if (mx_mcp_server_cache_flush(a->mcp) != 0)
		return detail(status, 503, "Cache flush failed: the cache backend is unreachable");
	mx_info("admin: response cache flushed");
	return json_pack("{s:s, s:s}", "status", "flushed", "timestamp", ts);
}

static void admin_reload_begin(struct mx_admin *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->reload_pending = 0;
	a->reload_running = 1;
	pthread_mutex_unlock(&a->mu);
}

static void admin_reload_end(struct mx_admin *a, struct mx_project *served, const char *error)
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

static json_t *h_system_info(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_info s;
	if (mx_system_info(&s) != 0)
		return detail(status, 500, "Failed to get system info: %s", strerror(errno));
	/* MXCP's four fields, then the host and kernel */
	return json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s}", "boot_time_seconds",
	                 (json_int_t)s.boot_time, "cpu_count_physical", (json_int_t)s.cpu_physical,
	                 "cpu_count_logical", (json_int_t)s.cpu_logical, "memory_total_bytes",
	                 (json_int_t)s.memory_total, "hostname", s.hostname, "system", s.system, "release",
	                 s.release, "machine", s.machine);
}

static json_t *h_system_cpu(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_cpu s;
	json_t *doc = NULL;
	if (mx_system_cpu(&s) == 0) {
		json_t *percpu = json_array();
		for (size_t i = 0; percpu && i < s.ncpu; i++)
			json_array_append_new(percpu, json_real(s.per_cpu[i]));
		doc = json_pack("{s:f, s:o, s:f, s:f, s:f}", "percent", s.percent, "per_cpu_percent", percpu,
		                "load_avg_1min", s.load[0], "load_avg_5min", s.load[1], "load_avg_15min",
		                s.load[2]);
		mx_free(s.per_cpu);
	}
	return doc ? doc : detail(status, 500, "Failed to get CPU stats: %s", strerror(errno));
}

static json_t *h_system_memory(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_memory s;
	if (mx_system_memory(&s) != 0)
		return detail(status, 500, "Failed to get memory stats: %s", strerror(errno));
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:I, s:I}", "total_bytes",
	                 (json_int_t)s.total, "available_bytes", (json_int_t)s.available, "used_bytes",
	                 (json_int_t)s.used, "free_bytes", (json_int_t)s.free, "percent", s.percent,
	                 "swap_total_bytes", (json_int_t)s.swap_total, "swap_used_bytes",
	                 (json_int_t)s.swap_used, "swap_free_bytes", (json_int_t)s.swap_free, "swap_percent",
	                 s.swap_percent, "mxcp_process_rss_bytes", (json_int_t)s.process_rss,
	                 "mxcp_process_vms_bytes", (json_int_t)s.process_vms);
}

static json_t *h_system_disk(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_disk s;
	if (mx_system_disk(&s) != 0)
		return detail(status, 500, "Failed to get disk stats: %s", strerror(errno));
	return json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I}", "total_bytes", (json_int_t)s.total,
	                 "used_bytes", (json_int_t)s.used, "free_bytes", (json_int_t)s.free, "percent",
	                 s.percent, "read_bytes", (json_int_t)s.read_bytes, "write_bytes",
	                 (json_int_t)s.write_bytes, "read_count", (json_int_t)s.read_count, "write_count",
	                 (json_int_t)s.write_count);
}

static json_t *h_system_network(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_network s;
	if (mx_system_network(&s) != 0)
		return detail(status, 500, "Failed to get network stats: %s", strerror(errno));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "bytes_sent", (json_int_t)s.bytes_sent,
	                 "bytes_recv", (json_int_t)s.bytes_recv, "packets_sent", (json_int_t)s.packets_sent,
	                 "packets_recv", (json_int_t)s.packets_recv, "errin", (json_int_t)s.errin, "errout",
	                 (json_int_t)s.errout, "dropin", (json_int_t)s.dropin, "dropout",
	                 (json_int_t)s.dropout);
}

static json_t *h_system_process(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	(void)a, (void)c;
	struct mx_system_process s;
	if (mx_system_process(&s) != 0)
		return detail(status, 500, "Failed to get process stats: %s", strerror(errno));
	return json_pack("{s:I, s:s, s:f, s:I, s:I, s:I, s:I}", "pid", (json_int_t)s.pid, "status", s.status,
	                 "cpu_percent", s.cpu_percent, "memory_rss_bytes", (json_int_t)s.rss,
	                 "memory_vms_bytes", (json_int_t)s.vms, "num_threads", (json_int_t)s.threads,
	                 "num_fds", (json_int_t)s.fds);
}

/* ------------------------------------------------------------------- audit */

/* Query parameters are checked the way FastAPI does: every problem is one
 * item of a 422's "detail" list. */

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

/* A failed audit question: logged, and a 500 that starts with `what`. */
static json_t *audit_failed(const char *what, const struct mx_err *err, unsigned *status)
{
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
	mx_error("admin: %s: %s", what, mx_err_format(err, msg, sizeof msg));
	return detail(status, 500, "%s: %s", what, msg);
}

static json_t *h_audit_query(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	struct mx_audit_search q = {
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
	json_t *rows = NULL;
	struct mx_err err;
	if (mx_audit_search_records(a->audit, a->audit_path, &q, &rows, &err) != 0)
		return audit_failed("Failed to query audit logs", &err, status);
	json_int_t count = (json_int_t)json_array_size(rows);
	return json_pack("{s:o, s:I}", "records", rows, "count", count);
}

static json_t *h_audit_stats(struct mx_admin *a, struct MHD_Connection *c, unsigned *status)
{
	struct mx_audit_search q = {.limit = 0};
	json_t *errors = json_array();
	time_arg(c, "start_time", &q.start_ms, &q.has_start, errors);
	time_arg(c, "end_time", &q.end_ms, &q.has_end, errors);
	if (json_array_size(errors)) {
		*status = 422;
		return json_pack("{s:o}", "detail", errors);
	}
	json_decref(errors);
	json_t *doc = NULL;
	struct mx_err err;
	if (mx_audit_search_stats(a->audit, a->audit_path, &q, &doc, &err) != 0)
		return audit_failed("Failed to get audit statistics", &err, status);
	return doc;
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
        {"/cache/flush", "POST", h_cache_flush},
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

static void admin_stop(struct mx_admin *a);

static int admin_start(const struct mx_admin_options *opt, struct mx_admin **out, struct mx_err *err)
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
	a->mcp = opt->mcp;
	a->request_reload = opt->request_reload;
	a->reload_ctx = opt->reload_ctx;
	snprintf(a->transport, sizeof a->transport, "%s", opt->transport ? opt->transport : "");
	a->sql_tools = opt->sql_tools;
	a->debug = opt->debug;
	pthread_mutex_init(&a->mu, NULL);

	int fd = make_socket(a, &sa, err);
	if (fd < 0) {
		a->ino = 0;
		admin_stop(a);
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
		admin_stop(a);
		return mx_err_set(err, MX_EIO, "cannot serve the admin socket %s", opt->path);
	}
	mx_info("admin: serving the admin API on %s", a->path);
	*out = a;
	return 0;
}

static void admin_stop(struct mx_admin *a)
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
	mx_project_unref(a->project);
	pthread_mutex_destroy(&a->mu);
	mx_free(a->audit_path);
	mx_free(a);
}

static const struct mx_admin_module module = {
        .abi = MX_ADMIN_ABI,
        .start = admin_start,
        .stop = admin_stop,
        .reload_begin = admin_reload_begin,
        .reload_end = admin_reload_end,
};

__attribute__((visibility("default"))) const struct mx_admin_module *mxcp_admin_module(void)
{
	return &module;
}
