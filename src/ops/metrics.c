/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics — our own Prometheus exposition (no client library exists in
 * Debian for C; the format is a few hundred lines over atomics).
 *
 * What it owns: every value below is process-wide static storage — no heap,
 * so recording can never fail and nothing is left to free at exit.
 *
 *   - Labelled series live in a `struct table`: a fixed array of series in
 *     insertion order plus an open-addressing index of (slot -> index + 1).
 *     A recorder hashes its labels and probes the index without a lock; a
 *     series is fully written before its index slot is published (release),
 *     and readers load the slot with acquire. Only a label set never seen
 *     before takes the table mutex, re-probes, and appends. The table never
 *     shrinks (until mx_metrics_reset), so a published series stays valid.
 *   - Cardinality is bounded by construction: MX_METRICS_MAX_METHODS distinct
 *     methods and MX_METRICS_MAX_ENDPOINTS series, after which labels fold
 *     into "other"; the array has room for the folded series too, so the
 *     table can never be full when a recorder needs a slot.
 *   - Histograms keep per-bucket (non-cumulative) counts and the sum in
 *     integer nanoseconds, so bucket edges compare exactly and the sum prints
 *     as an exact decimal. The rendered _count is the cumulative +Inf bucket,
 *     so _bucket{le="+Inf"} == _count holds in every scrape.
 *   - Gauges owned elsewhere (audit queue, DuckDB pool) are read at render
 *     time through sources guarded by a second mutex, which mx_metrics_set_*
 *     also takes: after a setter returns, no render still uses the old source.
 *
 * Threads: recorders run on any thread (transport event loop, workers);
 * render runs wherever /metrics is served. Renders may run concurrently.
 */
#include "ops/metrics.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef MXCP_VERSION
#define MXCP_VERSION "dev"
#endif
#ifndef MXCP_DUCKDB_VERSION
#define MXCP_DUCKDB_VERSION "unknown"
#endif

/* ================================================================ buckets */

/* 0.5 ms .. 10 s: a trivial SQL tool answers in well under a millisecond,
 * a heavy analytical query in seconds. */
#define NBUCKETS 14
static const uint64_t bucket_ns[NBUCKETS] = {
        500000ULL,    1000000ULL,   2500000ULL,   5000000ULL,    10000000ULL,   25000000ULL,   50000000ULL,
        100000000ULL, 250000000ULL, 500000000ULL, 1000000000ULL, 2500000000ULL, 5000000000ULL, 10000000000ULL,
};
static const char *const bucket_le[NBUCKETS] = {
        "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
        "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10",
};

enum { OUT_OK, OUT_ERROR, OUT_DENIED, OUT_N };
static const char *const outcome_names[OUT_N] = {"ok", "error", "denied"};

/* ================================================================= tables */

#define LABEL_CAP (MX_METRICS_LABEL_MAX + 1)
#define TABLE_MAX (MX_METRICS_MAX_ENDPOINTS + MX_METRICS_MAX_METHODS + 1)
#define INDEX_SLOTS 4096 /* power of two, > 2 * TABLE_MAX */

struct series {
	char method[LABEL_CAP];
	char endpoint[LABEL_CAP];
	uint64_t hash;
	atomic_ullong outcomes[OUT_N];
	atomic_ullong buckets[NBUCKETS + 1]; /* the last one is (10 s, +Inf) */
	atomic_ullong sum_ns;
};

struct table {
	pthread_mutex_t lock; /* taken only to append */
	atomic_int n; /* series published, in insertion order */
	atomic_int index[INDEX_SLOTS]; /* series index + 1; 0 = empty */
	int nmethods; /* under lock */
	char methods[MX_METRICS_MAX_METHODS][LABEL_CAP];
	struct series items[TABLE_MAX];
};

static struct table requests = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table denials = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table auths = {.lock = PTHREAD_MUTEX_INITIALIZER}; /* method: provider, endpoint: result */

/* ================================================================ scalars */

static atomic_long inflight;
static atomic_long sessions;
static atomic_ullong reloads_ok, reloads_failed;
static atomic_int last_reload_ok = 1;
static atomic_llong last_reload_success_ms; /* 0 = never */

static pthread_mutex_t sources_lock = PTHREAD_MUTEX_INITIALIZER;
static mx_metrics_audit_fn audit_fn;
static void *audit_ctx;
static mx_metrics_pool_fn pool_fn;
static void *pool_ctx;
static mx_metrics_cache_fn cache_fn;
static void *cache_ctx;

static mx_metrics_telemetry_fn telemetry_fn;
static void *telemetry_ctx;

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static double start_time;

/* ================================================================= labels */

/* Copy s into out (cap bytes with the NUL), replacing invalid UTF-8 with
 * U+FFFD and stopping at a character boundary when out is full. */
static void label_sanitize(const char *s, char *out, size_t cap)
{
	static const char repl[] = "\xEF\xBF\xBD";
	size_t o = 0;
	const char *p = s ? s : "";
	/* each byte read writes at least one: past cap + 4 nothing is read */
	size_t left = strnlen(p, cap + 4);
	while (left > 0) {
		size_t len = mx_utf8_char_len(p, left);
		const char *src = len ? p : repl;
		size_t n = len ? len : 3;
		if (o + n >= cap) {
			break;
		}
		memcpy(out + o, src, n);
		o += n;
		p += len ? len : 1;
		left -= len ? len : 1;
	}
	out[o] = '\0';
}

static uint64_t label_hash(const char *method, const char *endpoint)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)method; *p; p++) {
		h = (h ^ *p) * 1099511628211ULL;
	}
	h = (h ^ 0xFF) * 1099511628211ULL; /* 0xFF never occurs in UTF-8 */
	for (const unsigned char *p = (const unsigned char *)endpoint; *p; p++) {
		h = (h ^ *p) * 1099511628211ULL;
	}
	return h;
}

/* Lock-free probe. Returns the series or NULL; *slot_out gets the first
 * empty slot seen (valid for an append only under the lock). */
static struct series *table_probe(struct table *t, const char *method, const char *endpoint, uint64_t h,
                                  size_t *slot_out)
{
	size_t mask = INDEX_SLOTS - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		int idx = atomic_load_explicit(&t->index[i], memory_order_acquire);
		if (idx == 0) {
			if (slot_out) {
				*slot_out = i;
			}
			return NULL;
		}
		struct series *s = &t->items[idx - 1];
		if (s->hash == h && strcmp(s->method, method) == 0 && strcmp(s->endpoint, endpoint) == 0) {
			return s;
		}
	}
}

/* Under t->lock: the method as it will be stored (itself, or "other" once
 * MX_METRICS_MAX_METHODS distinct ones are known). */
static const char *table_admit_method(struct table *t, const char *method)
{
	for (int i = 0; i < t->nmethods; i++) {
		if (strcmp(t->methods[i], method) == 0) {
			return method;
		}
	}
	if (t->nmethods >= MX_METRICS_MAX_METHODS) {
		return "other";
	}
	memcpy(t->methods[t->nmethods++], method, strlen(method) + 1);
	return method;
}

static struct series *table_get(struct table *t, const char *method_raw, const char *endpoint_raw)
{
	char method[LABEL_CAP], endpoint[LABEL_CAP];
	label_sanitize(method_raw, method, sizeof method);
	label_sanitize(endpoint_raw, endpoint, sizeof endpoint);
	uint64_t h = label_hash(method, endpoint);
	struct series *s = table_probe(t, method, endpoint, h, NULL);
	if (s) {
		return s;
	}

	pthread_mutex_lock(&t->lock);
	size_t slot = 0;
	s = table_probe(t, method, endpoint, h, &slot);
	if (!s) {
		const char *m = table_admit_method(t, method);
		const char *e = endpoint;
		int n = atomic_load_explicit(&t->n, memory_order_relaxed);
		/* Past the endpoint cap every new label set folds into
		 * (method, "other"); there is one such series per method at most,
		 * and the table has room for all of them. */
		if (n >= MX_METRICS_MAX_ENDPOINTS) {
			e = "other";
		}
		if (m != method || e != endpoint) {
			h = label_hash(m, e);
			s = table_probe(t, m, e, h, &slot);
		}
		if (!s && n < TABLE_MAX) {
			s = &t->items[n];
			memset(s, 0, sizeof *s);
			memcpy(s->method, m, strlen(m) + 1);
			memcpy(s->endpoint, e, strlen(e) + 1);
			s->hash = h;
			atomic_store_explicit(&t->index[slot], n + 1, memory_order_release);
			atomic_store_explicit(&t->n, n + 1, memory_order_release);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

static void table_reset(struct table *t)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < INDEX_SLOTS; i++) {
		atomic_store(&t->index[i], 0);
	}
	atomic_store(&t->n, 0);
	t->nmethods = 0;
	pthread_mutex_unlock(&t->lock);
}

/* ============================================================== recording */

static void start_time_init(void);

static int outcome_index(const char *outcome)
{
	if (outcome && strcmp(outcome, "ok") == 0) {
		return OUT_OK;
	}
	if (outcome && strcmp(outcome, "denied") == 0) {
		return OUT_DENIED;
	}
	return OUT_ERROR;
}

void mx_metrics_http_request(const char *method, const char *endpoint, const char *outcome, double seconds)
{
	pthread_once(&start_once, start_time_init);
	struct series *s = table_get(&requests, method, endpoint);
	if (!s) {
		return; /* unreachable: the table has room for every folded series */
	}
	uint64_t ns = 0;
	if (seconds > 0 && isfinite(seconds)) {
		ns = seconds >= 1e9 ? (uint64_t)1e18 : (uint64_t)llround(seconds * 1e9);
	}
	size_t b = 0;
	while (b < NBUCKETS && ns > bucket_ns[b]) {
		b++;
	}
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->outcomes[outcome_index(outcome)], 1, memory_order_relaxed);
}

void mx_metrics_inflight(int delta)
{
	atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

void mx_metrics_sessions(int delta)
{
	atomic_fetch_add_explicit(&sessions, delta, memory_order_relaxed);
}

void mx_metrics_policy_denial(const char *endpoint)
{
	struct series *s = table_get(&denials, "", endpoint);
	if (s) {
		atomic_fetch_add_explicit(&s->outcomes[0], 1, memory_order_relaxed);
	}
}

void mx_metrics_auth(const char *provider, const char *result)
{
	struct series *s = table_get(&auths, provider ? provider : "", result ? result : "");
	if (s) {
		atomic_fetch_add_explicit(&s->outcomes[0], 1, memory_order_relaxed);
	}
}

void mx_metrics_reload(int ok)
{
	if (ok) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		atomic_store(&last_reload_success_ms, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		atomic_fetch_add(&reloads_ok, 1);
	} else {
		atomic_fetch_add(&reloads_failed, 1);
	}
	atomic_store(&last_reload_ok, ok ? 1 : 0);
}

/* ====================================================== MXCP instruments */

/* A family's series are keyed by their label values joined with US
 * (0x1F), in a table like `struct table` above: lock-free lookup, a mutex
 * only to append, never shrinks. */
#define FAMILY_MAX MX_METRICS_MAX_ENDPOINTS
#define FAMILY_LABELS 5
#define LABEL_SEP '\x1f'

struct fseries {
	char key[LABEL_CAP];
	uint64_t hash;
	atomic_ullong value;
};

struct family {
	const char *otel_name, *prom_name, *help;
	int nlabels;
	const char *labels[FAMILY_LABELS];
	pthread_mutex_t lock;
	atomic_int n;
	atomic_int index[INDEX_SLOTS];
	struct fseries items[FAMILY_MAX + 1]; /* + the folded "other" series */
};

static struct family families[MX_METRIC_COUNTERS] = {
        [MX_METRIC_ENDPOINT_REQUESTS] =
                {"mxcp.endpoint.requests_total",
                 "mxcp_endpoint_requests_total",
                 "Endpoint calls, by endpoint, type, status, caller and policy decision.",
                 5,
                 {"endpoint", "type", "status", "caller", "policy_decision"},
                 PTHREAD_MUTEX_INITIALIZER},
        [MX_METRIC_ENDPOINT_ERRORS] =
                {"mxcp.endpoint.errors_total",
                 "mxcp_endpoint_errors_total",
                 "Endpoint calls that failed, by endpoint, type, caller and error type.",
                 4,
                 {"endpoint", "type", "caller", "error_type"},
                 PTHREAD_MUTEX_INITIALIZER},
        [MX_METRIC_DUCKDB_QUERIES] = {"mxcp.duckdb.queries_total",
                                      "mxcp_duckdb_queries_total",
                                      "DuckDB queries run by endpoints, by operation and status.",
                                      2,
                                      {"operation", "status"},
                                      PTHREAD_MUTEX_INITIALIZER},
        [MX_METRIC_PYTHON_EXECUTIONS] = {"mxcp.python.executions_total",
                                         "mxcp_python_executions_total",
                                         "Python endpoint executions, by name and status.",
                                         2,
                                         {"name", "status"},
                                         PTHREAD_MUTEX_INITIALIZER},
        [MX_METRIC_POLICY_EVALUATIONS] = {"mxcp.policy.evaluations_total",
                                          "mxcp_policy_evaluations_total",
                                          "Policy set evaluations, by type (input, output) and decision.",
                                          2,
                                          {"type", "decision"},
                                          PTHREAD_MUTEX_INITIALIZER},
};

static const struct {
	const char *otel_name, *prom_name, *help;
} gauge_defs[MX_METRIC_GAUGES] = {
        [MX_METRIC_ENDPOINT_CONCURRENT] = {"mxcp.endpoint.concurrent_executions",
                                           "mxcp_endpoint_concurrent_executions",
                                           "Endpoint calls running now."},
        [MX_METRIC_DUCKDB_CONCURRENT] = {"mxcp.duckdb.concurrent_executions",
                                         "mxcp_duckdb_concurrent_executions",
                                         "DuckDB queries of endpoints running now."},
        [MX_METRIC_PYTHON_CONCURRENT] = {"mxcp.python.concurrent_executions",
                                         "mxcp_python_concurrent_executions",
                                         "Python endpoint executions running now."},
};
static atomic_long gauges[MX_METRIC_GAUGES];

static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h = (h ^ *p) * 1099511628211ULL;
	}
	return h;
}

static struct fseries *family_probe(struct family *f, const char *key, uint64_t h, size_t *slot_out)
{
	size_t mask = INDEX_SLOTS - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		int idx = atomic_load_explicit(&f->index[i], memory_order_acquire);
		if (idx == 0) {
			if (slot_out) {
				*slot_out = i;
			}
			return NULL;
		}
		struct fseries *s = &f->items[idx - 1];
		if (s->hash == h && strcmp(s->key, key) == 0) {
			return s;
		}
	}
}

/* The label values joined into key (cap LABEL_CAP), each sanitised; a
 * value that would not fit is cut. */
static void family_key(const struct family *f, const char *const *values, char *key)
{
	size_t o = 0;
	for (int i = 0; i < f->nlabels; i++) {
		char v[LABEL_CAP];
		label_sanitize(values ? values[i] : "", v, sizeof v);
		size_t n = strlen(v);
		size_t room = LABEL_CAP - 1 - o - (i > 0);
		if (n > room) {
			n = room; /* a cut inside a character is re-sanitised below */
		}
		if (i > 0) {
			key[o++] = LABEL_SEP;
		}
		memcpy(key + o, v, n);
		o += n;
	}
	key[o] = '\0';
	char clean[LABEL_CAP];
	label_sanitize(key, clean, sizeof clean);
	memcpy(key, clean, strlen(clean) + 1);
}

void mx_metrics_count(enum mx_metric_counter c, const char *const *label_values)
{
	if ((unsigned)c >= MX_METRIC_COUNTERS) {
		return;
	}
	struct family *f = &families[c];
	char key[LABEL_CAP];
	family_key(f, label_values, key);
	uint64_t h = key_hash(key);
	struct fseries *s = family_probe(f, key, h, NULL);
	if (!s) {
		pthread_mutex_lock(&f->lock);
		size_t slot = 0;
		s = family_probe(f, key, h, &slot);
		int n = atomic_load_explicit(&f->n, memory_order_relaxed);
		if (!s && n >= FAMILY_MAX) {
			const char *other[FAMILY_LABELS] = {"other", "other", "other", "other", "other"};
			family_key(f, other, key);
			h = key_hash(key);
			s = family_probe(f, key, h, &slot);
		}
		if (!s && n <= FAMILY_MAX) {
			s = &f->items[n];
			memset(s, 0, sizeof *s);
			memcpy(s->key, key, strlen(key) + 1);
			s->hash = h;
			atomic_store_explicit(&f->index[slot], n + 1, memory_order_release);
			atomic_store_explicit(&f->n, n + 1, memory_order_release);
		}
		pthread_mutex_unlock(&f->lock);
		if (!s) {
			return;
		}
	}
	atomic_fetch_add_explicit(&s->value, 1, memory_order_relaxed);
}

void mx_metrics_gauge_add(enum mx_metric_gauge g, int delta)
{
	if ((unsigned)g < MX_METRIC_GAUGES) {
		atomic_fetch_add_explicit(&gauges[g], delta, memory_order_relaxed);
	}
}

/* Split a family key into its values (pointers into buf, a copy). */
static void family_split(const struct family *f, const char *key, char *buf, const char **values)
{
	memcpy(buf, key, strlen(key) + 1);
	char *p = buf;
	for (int i = 0; i < f->nlabels; i++) {
		values[i] = p;
		char *sep = p ? strchr(p, LABEL_SEP) : NULL;
		if (sep) {
			*sep = '\0';
			p = sep + 1;
		} else {
			p = NULL;
			for (int j = i + 1; j < f->nlabels; j++) {
				values[j] = "";
			}
			break;
		}
	}
}

void mx_metrics_visit(const struct mx_metrics_visitor *v)
{
	pthread_once(&start_once, start_time_init);
	static const char *const version_label[] = {"version"};
	static const char *const version_value[] = {MXCP_VERSION};
	v->metric(v->ctx, "mxcp.up", "1 while the server runs.", 1);
	v->point(v->ctx, version_label, version_value, 1, 1);
	for (int c = 0; c < MX_METRIC_COUNTERS; c++) {
		struct family *f = &families[c];
		int n = atomic_load_explicit(&f->n, memory_order_acquire);
		v->metric(v->ctx, f->otel_name, f->help, 0);
		for (int i = 0; i < n; i++) {
			char buf[LABEL_CAP];
			const char *values[FAMILY_LABELS];
			family_split(f, f->items[i].key, buf, values);
			v->point(v->ctx, f->labels, values, (size_t)f->nlabels,
			         (long long)atomic_load_explicit(&f->items[i].value, memory_order_relaxed));
		}
	}
	for (int g = 0; g < MX_METRIC_GAUGES; g++) {
		v->metric(v->ctx, gauge_defs[g].otel_name, gauge_defs[g].help, 1);
		v->point(v->ctx, NULL, NULL, 0, atomic_load_explicit(&gauges[g], memory_order_relaxed));
	}
	static const char *const endpoint_label[] = {"endpoint"};
	int n = atomic_load_explicit(&denials.n, memory_order_acquire);
	v->metric(v->ctx, "mxcp.policy.denials_total", "Calls refused by a policy, by endpoint.", 0);
	for (int i = 0; i < n; i++) {
		const char *value[] = {denials.items[i].endpoint};
		v->point(
		        v->ctx, endpoint_label, value, 1,
		        (long long)atomic_load_explicit(&denials.items[i].outcomes[0], memory_order_relaxed));
	}
	static const char *const status_label[] = {"status"};
	static const char *const success[] = {"success"}, *const error[] = {"error"};
	v->metric(v->ctx, "mxcp.reloads_total", "Configuration reloads, by status.", 0);
	v->point(v->ctx, status_label, success, 1, (long long)atomic_load(&reloads_ok));
	v->point(v->ctx, status_label, error, 1, (long long)atomic_load(&reloads_failed));
}

static void family_reset(struct family *f)
{
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < INDEX_SLOTS; i++) {
		atomic_store(&f->index[i], 0);
	}
	atomic_store(&f->n, 0);
	pthread_mutex_unlock(&f->lock);
}

/* ================================================================ sources */

void mx_metrics_set_telemetry_source(mx_metrics_telemetry_fn fn, void *ctx)
{
	pthread_mutex_lock(&sources_lock);
	telemetry_fn = fn;
	telemetry_ctx = fn ? ctx : NULL;
	pthread_mutex_unlock(&sources_lock);
}

void mx_metrics_set_audit_source(mx_metrics_audit_fn fn, void *ctx)
{
	pthread_mutex_lock(&sources_lock);
	audit_fn = fn;
	audit_ctx = fn ? ctx : NULL;
	pthread_mutex_unlock(&sources_lock);
}

void mx_metrics_set_db_pool_source(mx_metrics_pool_fn fn, void *ctx)
{
	pthread_mutex_lock(&sources_lock);
	pool_fn = fn;
	pool_ctx = fn ? ctx : NULL;
	pthread_mutex_unlock(&sources_lock);
}

void mx_metrics_set_cache_source(mx_metrics_cache_fn fn, void *ctx)
{
	pthread_mutex_lock(&sources_lock);
	cache_fn = fn;
	cache_ctx = fn ? ctx : NULL;
	pthread_mutex_unlock(&sources_lock);
}

/* ================================================================ process */

/* btime (boot, epoch seconds) + starttime (clock ticks after boot, field 22
 * of /proc/self/stat), as the Go client computes process_start_time_seconds. */
static int proc_start_time(double *out)
{
	char line[1024];
	unsigned long long btime = 0, ticks = 0;
	int have_btime = 0;
	FILE *f = fopen("/proc/stat", "r");
	if (!f) {
		return MX_EIO;
	}
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "btime ", 6) == 0) {
			btime = strtoull(line + 6, NULL, 10);
			have_btime = 1;
			break;
		}
	}
	fclose(f);
	f = fopen("/proc/self/stat", "r");
	if (!f) {
		return MX_EIO;
	}
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = '\0';
	char *p = strrchr(line, ')'); /* comm may hold spaces and parentheses */
	if (!p || !have_btime) {
		return MX_EIO;
	}
	p++;
	/* after ')': field 3 (state) .. field 22 (starttime) */
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	if (!p) {
		return MX_EIO;
	}
	ticks = strtoull(p + 1, NULL, 10);
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0) {
		return MX_EIO;
	}
	*out = (double)btime + (double)ticks / (double)hz;
	return 0;
}

static void start_time_init(void)
{
	if (proc_start_time(&start_time) != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
}

double mx_metrics_process_start_time(void)
{
	pthread_once(&start_once, start_time_init);
	return start_time;
}

/* Virtual and resident size in bytes from /proc/self/statm (pages). */
static int proc_memory(unsigned long long *vsize, unsigned long long *rss)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f) {
		return MX_EIO;
	}
	unsigned long long size = 0, resident = 0;
	int n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	if (n != 2 || page <= 0) {
		return MX_EIO;
	}
	*vsize = size * (unsigned long long)page;
	*rss = resident * (unsigned long long)page;
	return 0;
}

/* ================================================================= render */

/* A label value with \, " and newline escaped. */
static int put_label_value(struct mx_buf *out, const char *s)
{
	int rc = 0;
	const char *run = s;
	for (const char *p = s; *p && rc == 0; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		if (esc) {
			rc = mx_buf_append(out, run, (size_t)(p - run));
			if (rc == 0) {
				rc = mx_buf_puts(out, esc);
			}
			run = p + 1;
		}
	}
	if (rc == 0) {
		rc = mx_buf_puts(out, run);
	}
	return rc;
}

/* Nanoseconds as exact decimal seconds: "0.251", "3", "12.0005". */
static int put_seconds_ns(struct mx_buf *out, unsigned long long ns)
{
	unsigned long long sec = ns / 1000000000ULL, frac = ns % 1000000000ULL;
	if (frac == 0) {
		return mx_buf_printf(out, "%llu", sec);
	}
	char digits[16];
	snprintf(digits, sizeof digits, "%09llu", frac);
	size_t len = strlen(digits);
	while (len > 0 && digits[len - 1] == '0') {
		len--;
	}
	digits[len] = '\0';
	return mx_buf_printf(out, "%llu.%s", sec, digits);
}

static int put_family(struct mx_buf *out, const char *name, const char *type, const char *help)
{
	return mx_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{method="..",endpoint=".."[,extra]} — the label part of a request series. */
static int put_request_labels(struct mx_buf *out, const char *name, const struct series *s)
{
	int rc = mx_buf_printf(out, "%s{method=\"", name);
	if (rc == 0) {
		rc = put_label_value(out, s->method);
	}
	if (rc == 0) {
		rc = mx_buf_puts(out, "\",endpoint=\"");
	}
	if (rc == 0) {
		rc = put_label_value(out, s->endpoint);
	}
	return rc;
}

static int render_requests(struct mx_buf *out)
{
	int n = atomic_load_explicit(&requests.n, memory_order_acquire);
	int rc = put_family(out, "mxcp_requests_total", "counter",
	                    "Requests answered, by JSON-RPC method or HTTP route, endpoint and outcome.");
	for (int i = 0; i < n && rc == 0; i++) {
		const struct series *s = &requests.items[i];
		for (int o = 0; o < OUT_N && rc == 0; o++) {
			unsigned long long v = atomic_load_explicit(&s->outcomes[o], memory_order_relaxed);
			if (v == 0) {
				continue;
			}
			rc = put_request_labels(out, "mxcp_requests_total", s);
			if (rc == 0) {
				rc = mx_buf_printf(out, "\",outcome=\"%s\"} %llu\n", outcome_names[o], v);
			}
		}
	}
	if (rc == 0) {
		rc = put_family(out, "mxcp_request_duration_seconds", "histogram",
		                "Time from request read to response written.");
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const struct series *s = &requests.items[i];
		unsigned long long cum = 0;
		for (int b = 0; b <= NBUCKETS && rc == 0; b++) {
			cum += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
			rc = put_request_labels(out, "mxcp_request_duration_seconds_bucket", s);
			if (rc == 0) {
				rc = mx_buf_printf(out, "\",le=\"%s\"} %llu\n",
				                   b < NBUCKETS ? bucket_le[b] : "+Inf", cum);
			}
		}
		if (rc == 0) {
			rc = put_request_labels(out, "mxcp_request_duration_seconds_sum", s);
		}
		if (rc == 0) {
			rc = mx_buf_puts(out, "\"} ");
		}
		if (rc == 0) {
			rc = put_seconds_ns(out, atomic_load_explicit(&s->sum_ns, memory_order_relaxed));
		}
		if (rc == 0) {
			rc = mx_buf_putc(out, '\n');
		}
		if (rc == 0) {
			rc = put_request_labels(out, "mxcp_request_duration_seconds_count", s);
		}
		if (rc == 0) {
			rc = mx_buf_printf(out, "\"} %llu\n", cum);
		}
	}
	return rc;
}

static int render_denials(struct mx_buf *out)
{
	int n = atomic_load_explicit(&denials.n, memory_order_acquire);
	int rc = put_family(out, "mxcp_policy_denials_total", "counter",
	                    "Calls refused by a policy, by endpoint.");
	for (int i = 0; i < n && rc == 0; i++) {
		const struct series *s = &denials.items[i];
		rc = mx_buf_puts(out, "mxcp_policy_denials_total{endpoint=\"");
		if (rc == 0) {
			rc = put_label_value(out, s->endpoint);
		}
		if (rc == 0) {
			rc = mx_buf_printf(out, "\"} %llu\n",
			                   atomic_load_explicit(&s->outcomes[0], memory_order_relaxed));
		}
	}
	return rc;
}

static int render_auths(struct mx_buf *out)
{
	int n = atomic_load_explicit(&auths.n, memory_order_acquire);
	if (n == 0)
		return 0; /* no auth configured: no family */
	int rc = put_family(out, "mxcp_auth_requests_total", "counter",
	                    "Bearer-token checks, by identity provider and result.");
	for (int i = 0; i < n && rc == 0; i++) {
		const struct series *s = &auths.items[i];
		rc = mx_buf_puts(out, "mxcp_auth_requests_total{provider=\"");
		if (rc == 0)
			rc = put_label_value(out, s->method);
		if (rc == 0)
			rc = mx_buf_puts(out, "\",result=\"");
		if (rc == 0)
			rc = put_label_value(out, s->endpoint);
		if (rc == 0)
			rc = mx_buf_printf(out, "\"} %llu\n",
			                   atomic_load_explicit(&s->outcomes[0], memory_order_relaxed));
	}
	return rc;
}

static int render_reloads(struct mx_buf *out)
{
	int rc = put_family(out, "mxcp_config_reloads_total", "counter",
	                    "Configuration reloads (SIGHUP), by result.");
	if (rc == 0) {
		rc = mx_buf_printf(out,
		                   "mxcp_config_reloads_total{result=\"success\"} %llu\n"
		                   "mxcp_config_reloads_total{result=\"failure\"} %llu\n",
		                   atomic_load(&reloads_ok), atomic_load(&reloads_failed));
	}
	if (rc == 0) {
		rc = put_family(out, "mxcp_config_last_reload_successful", "gauge",
		                "1 if the last reload was applied (or none was tried), 0 if it was refused.");
	}
	if (rc == 0) {
		rc = mx_buf_printf(out, "mxcp_config_last_reload_successful %d\n",
		                   atomic_load(&last_reload_ok));
	}
	if (rc == 0) {
		rc = put_family(out, "mxcp_config_last_reload_success_timestamp_seconds", "gauge",
		                "When the last reload was applied (0: never).");
	}
	if (rc == 0) {
		rc = mx_buf_puts(out, "mxcp_config_last_reload_success_timestamp_seconds ");
	}
	if (rc == 0) {
		rc = put_seconds_ns(out,
		                    (unsigned long long)atomic_load(&last_reload_success_ms) * 1000000ULL);
	}
	if (rc == 0) {
		rc = mx_buf_putc(out, '\n');
	}
	return rc;
}

static int render_audit(struct mx_buf *out, const struct mx_metrics_audit *st)
{
	return mx_buf_printf(
	        out,
	        "# HELP mxcp_audit_queue_depth Audit records waiting for the writer thread.\n"
	        "# TYPE mxcp_audit_queue_depth gauge\n"
	        "mxcp_audit_queue_depth %zu\n"
	        "# HELP mxcp_audit_queue_high_water Most audit records ever waiting at once.\n"
	        "# TYPE mxcp_audit_queue_high_water gauge\n"
	        "mxcp_audit_queue_high_water %zu\n"
	        "# HELP mxcp_audit_records_written_total Audit lines appended to the audit file.\n"
	        "# TYPE mxcp_audit_records_written_total counter\n"
	        "mxcp_audit_records_written_total %llu\n"
	        "# HELP mxcp_audit_bytes_written_total Bytes appended to the audit file.\n"
	        "# TYPE mxcp_audit_bytes_written_total counter\n"
	        "mxcp_audit_bytes_written_total %llu\n"
	        "# HELP mxcp_audit_write_errors_total Failed audit write or open attempts.\n"
	        "# TYPE mxcp_audit_write_errors_total counter\n"
	        "mxcp_audit_write_errors_total %llu\n"
	        "# HELP mxcp_audit_records_refused_total Calls refused because their audit record could not "
	        "be "
	        "queued.\n"
	        "# TYPE mxcp_audit_records_refused_total counter\n"
	        "mxcp_audit_records_refused_total{reason=\"queue_full\"} %llu\n"
	        "mxcp_audit_records_refused_total{reason=\"io\"} %llu\n"
	        "# HELP mxcp_audit_records_lost_total Audit records abandoned at close.\n"
	        "# TYPE mxcp_audit_records_lost_total counter\n"
	        "mxcp_audit_records_lost_total %llu\n"
	        "# HELP mxcp_audit_writer_failing 1 while the last audit write attempt failed.\n"
	        "# TYPE mxcp_audit_writer_failing gauge\n"
	        "mxcp_audit_writer_failing %d\n",
	        st->queued, st->queue_high_water, st->written, st->bytes, st->write_errors, st->rejected_full,
	        st->rejected_io, st->lost, st->failing ? 1 : 0);
}

static int render_pool(struct mx_buf *out, const struct mx_metrics_pool *pool)
{
	size_t workers = pool->size > 0 ? (size_t)pool->size : 0;
	size_t pending = pool->pending;
	size_t busy = pending < workers ? pending : workers;
	return mx_buf_printf(out,
	                     "# HELP mxcp_db_pool_workers DuckDB worker threads (one connection each).\n"
	                     "# TYPE mxcp_db_pool_workers gauge\n"
	                     "mxcp_db_pool_workers %zu\n"
	                     "# HELP mxcp_db_pool_busy DuckDB workers running a call.\n"
	                     "# TYPE mxcp_db_pool_busy gauge\n"
	                     "mxcp_db_pool_busy %zu\n"
	                     "# HELP mxcp_db_pool_queued Calls waiting for a free DuckDB worker.\n"
	                     "# TYPE mxcp_db_pool_queued gauge\n"
	                     "mxcp_db_pool_queued %zu\n"
	                     "# HELP mxcp_db_thread_loans_total Times idle workers were lent to DuckDB to "
	                     "run a long query in parallel.\n"
	                     "# TYPE mxcp_db_thread_loans_total counter\n"
	                     "mxcp_db_thread_loans_total %llu\n"
	                     "# HELP mxcp_db_buffer_purges_total Times DuckDB's buffer pool was purged of "
	                     "the bookkeeping it keeps for freed blocks.\n"
	                     "# TYPE mxcp_db_buffer_purges_total counter\n"
	                     "mxcp_db_buffer_purges_total %llu\n",
	                     workers, busy, pending - busy, pool->loans, pool->purges);
}

static int render_cache(struct mx_buf *out, const struct mx_metrics_cache *c)
{
	const char *b = c->backend ? c->backend : "memory";
	return mx_buf_printf(
	        out,
	        "# HELP mxcp_cache_hits_total Calls answered from the response cache.\n"
	        "# TYPE mxcp_cache_hits_total counter\n"
	        "mxcp_cache_hits_total{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_misses_total Cache lookups that found no answer (the call ran).\n"
	        "# TYPE mxcp_cache_misses_total counter\n"
	        "mxcp_cache_misses_total{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_stores_total Answers stored in the response cache.\n"
	        "# TYPE mxcp_cache_stores_total counter\n"
	        "mxcp_cache_stores_total{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_evictions_total Answers evicted to stay within max_memory_mb.\n"
	        "# TYPE mxcp_cache_evictions_total counter\n"
	        "mxcp_cache_evictions_total{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_errors_total Cache operations that failed (backend unreachable); "
	        "the calls ran uncached.\n"
	        "# TYPE mxcp_cache_errors_total counter\n"
	        "mxcp_cache_errors_total{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_bytes Bytes held by the in-process cache.\n"
	        "# TYPE mxcp_cache_bytes gauge\n"
	        "mxcp_cache_bytes{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_entries Answers held by the in-process cache.\n"
	        "# TYPE mxcp_cache_entries gauge\n"
	        "mxcp_cache_entries{backend=\"%s\"} %llu\n"
	        "# HELP mxcp_cache_backend_down 1 while the cache backend is unreachable.\n"
	        "# TYPE mxcp_cache_backend_down gauge\n"
	        "mxcp_cache_backend_down{backend=\"%s\"} %d\n",
	        b, c->hits, b, c->misses, b, c->stores, b, c->evictions, b, c->errors, b, c->bytes, b,
	        c->entries, b, c->down ? 1 : 0);
}

static int render_process(struct mx_buf *out)
{
	int rc = mx_buf_printf(out,
	                       "# HELP mxcp_alloc_live_bytes Heap bytes allocated through mx_malloc and not "
	                       "yet freed.\n"
	                       "# TYPE mxcp_alloc_live_bytes gauge\n"
	                       "mxcp_alloc_live_bytes %zu\n",
	                       mx_alloc_live_bytes());
	unsigned long long vsize = 0, rss = 0;
	if (rc == 0 && proc_memory(&vsize, &rss) == 0) {
		rc = mx_buf_printf(out,
		                   "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		                   "# TYPE process_resident_memory_bytes gauge\n"
		                   "process_resident_memory_bytes %llu\n"
		                   "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		                   "# TYPE process_virtual_memory_bytes gauge\n"
		                   "process_virtual_memory_bytes %llu\n",
		                   rss, vsize);
	}
	if (rc == 0) {
		rc = mx_buf_printf(
		        out,
		        "# HELP process_start_time_seconds Start time of the process since unix epoch "
		        "in seconds.\n"
		        "# TYPE process_start_time_seconds gauge\n"
		        "process_start_time_seconds %.2f\n",
		        mx_metrics_process_start_time());
	}
	return rc;
}

static int render_families(struct mx_buf *out)
{
	int rc = 0;
	for (int c = 0; c < MX_METRIC_COUNTERS && rc == 0; c++) {
		struct family *f = &families[c];
		int n = atomic_load_explicit(&f->n, memory_order_acquire);
		rc = put_family(out, f->prom_name, "counter", f->help);
		for (int i = 0; i < n && rc == 0; i++) {
			char buf[LABEL_CAP];
			const char *values[FAMILY_LABELS];
			family_split(f, f->items[i].key, buf, values);
			rc = mx_buf_printf(out, "%s{", f->prom_name);
			for (int l = 0; l < f->nlabels && rc == 0; l++) {
				rc = mx_buf_printf(out, "%s%s=\"", l ? "," : "", f->labels[l]);
				if (rc == 0) {
					rc = put_label_value(out, values[l]);
				}
				if (rc == 0) {
					rc = mx_buf_putc(out, '"');
				}
			}
			if (rc == 0) {
				rc = mx_buf_printf(
				        out, "} %llu\n",
				        atomic_load_explicit(&f->items[i].value, memory_order_relaxed));
			}
		}
	}
	for (int g = 0; g < MX_METRIC_GAUGES && rc == 0; g++) {
		rc = put_family(out, gauge_defs[g].prom_name, "gauge", gauge_defs[g].help);
		if (rc == 0) {
			rc = mx_buf_printf(out, "%s %ld\n", gauge_defs[g].prom_name,
			                   atomic_load_explicit(&gauges[g], memory_order_relaxed));
		}
	}
	return rc;
}

static int render_telemetry(struct mx_buf *out, const struct mx_metrics_telemetry *t)
{
	return mx_buf_printf(out,
	                     "# HELP mxcp_telemetry_spans_queued Spans waiting for the OTLP exporter.\n"
	                     "# TYPE mxcp_telemetry_spans_queued gauge\n"
	                     "mxcp_telemetry_spans_queued %zu\n"
	                     "# HELP mxcp_telemetry_spans_exported_total Spans the collector accepted.\n"
	                     "# TYPE mxcp_telemetry_spans_exported_total counter\n"
	                     "mxcp_telemetry_spans_exported_total %llu\n"
	                     "# HELP mxcp_telemetry_spans_dropped_total Spans dropped: the export queue was "
	                     "full, or the collector refused them.\n"
	                     "# TYPE mxcp_telemetry_spans_dropped_total counter\n"
	                     "mxcp_telemetry_spans_dropped_total %llu\n"
	                     "# HELP mxcp_telemetry_export_failures_total OTLP export attempts that failed.\n"
	                     "# TYPE mxcp_telemetry_export_failures_total counter\n"
	                     "mxcp_telemetry_export_failures_total %llu\n"
	                     "# HELP mxcp_telemetry_exporter_failing 1 while the last OTLP export failed.\n"
	                     "# TYPE mxcp_telemetry_exporter_failing gauge\n"
	                     "mxcp_telemetry_exporter_failing %d\n",
	                     t->queued, t->exported, t->dropped, t->export_failures, t->failing ? 1 : 0);
}

int mx_metrics_render(struct mx_buf *out)
{
	pthread_once(&start_once, start_time_init);
	int rc = mx_buf_printf(out,
	                       "# HELP mxcp_build_info Build information; the value is always 1.\n"
	                       "# TYPE mxcp_build_info gauge\n"
	                       "mxcp_build_info{version=\"%s\",duckdb=\"%s\"} 1\n",
	                       MXCP_VERSION, MXCP_DUCKDB_VERSION);
	if (rc == 0) {
		rc = render_requests(out);
	}
	if (rc == 0) {
		rc = mx_buf_printf(out,
		                   "# HELP mxcp_requests_in_flight Requests being served now.\n"
		                   "# TYPE mxcp_requests_in_flight gauge\n"
		                   "mxcp_requests_in_flight %ld\n"
		                   "# HELP mxcp_sessions_active Open MCP sessions.\n"
		                   "# TYPE mxcp_sessions_active gauge\n"
		                   "mxcp_sessions_active %ld\n",
		                   atomic_load(&inflight), atomic_load(&sessions));
	}
	if (rc == 0) {
		rc = render_denials(out);
	}
	if (rc == 0) {
		rc = render_auths(out);
	}
	if (rc == 0) {
		rc = render_reloads(out);
	}
	if (rc == 0) {
		/* Sources are read under the lock so a setter never frees what a
		 * render is reading; they are cheap (a mutex and a few loads). */
		struct mx_metrics_audit st;
		int have_audit = 0, have_pool = 0, have_cache = 0;
		struct mx_metrics_pool pool = {0};
		struct mx_metrics_cache cache = {0};
		pthread_mutex_lock(&sources_lock);
		if (audit_fn) {
			memset(&st, 0, sizeof st);
			audit_fn(audit_ctx, &st);
			have_audit = 1;
		}
		if (pool_fn) {
			pool_fn(pool_ctx, &pool);
			have_pool = 1;
		}
		if (cache_fn) {
			cache_fn(cache_ctx, &cache);
			have_cache = 1;
		}
		pthread_mutex_unlock(&sources_lock);
		if (have_audit) {
			rc = render_audit(out, &st);
		}
		if (rc == 0 && have_pool) {
			rc = render_pool(out, &pool);
		}
		if (rc == 0 && have_cache) {
			rc = render_cache(out, &cache);
		}
	}
	if (rc == 0) {
		rc = render_process(out);
	}
	if (rc == 0) {
		rc = render_families(out);
	}
	if (rc == 0) {
		struct mx_metrics_telemetry t = {0};
		int have = 0;
		pthread_mutex_lock(&sources_lock);
		if (telemetry_fn) {
			telemetry_fn(telemetry_ctx, &t);
			have = 1;
		}
		pthread_mutex_unlock(&sources_lock);
		if (have) {
			rc = render_telemetry(out, &t);
		}
	}
	return rc;
}

/* ================================================================== reset */

void mx_metrics_reset(void)
{
	table_reset(&requests);
	table_reset(&denials);
	table_reset(&auths);
	atomic_store(&inflight, 0);
	atomic_store(&sessions, 0);
	atomic_store(&reloads_ok, 0);
	atomic_store(&reloads_failed, 0);
	atomic_store(&last_reload_ok, 1);
	atomic_store(&last_reload_success_ms, 0);
	for (int c = 0; c < MX_METRIC_COUNTERS; c++) {
		family_reset(&families[c]);
	}
	for (int g = 0; g < MX_METRIC_GAUGES; g++) {
		atomic_store(&gauges[g], 0);
	}
	mx_metrics_set_audit_source(NULL, NULL);
	mx_metrics_set_db_pool_source(NULL, NULL);
	mx_metrics_set_cache_source(NULL, NULL);
	mx_metrics_set_telemetry_source(NULL, NULL);
}
