/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry — see telemetry.h.
 *
 * What it owns, all allocated by mx_telemetry_start and freed by
 * mx_telemetry_stop (nothing exists while telemetry is off):
 *   - the ring of finished spans (MX_TELEMETRY_QUEUE copies) under `mu`;
 *     mx_span_end copies a span in, or counts it dropped when the ring is
 *     full, and wakes the exporter only when a batch is ready;
 *   - the exporter thread, which takes up to MX_TELEMETRY_BATCH spans,
 *     encodes them (ops/otlp.h) and POSTs them to <endpoint>/v1/traces. A
 *     batch the collector did not take is kept and retried with backoff
 *     (0.5 s doubling to 30 s), while the ring fills and then drops; a 4xx
 *     answer other than 408/429 drops the batch (retrying cannot help).
 *     Every metrics interval it POSTs ops/metrics' instruments to
 *     <endpoint>/v1/metrics (cumulative: a failed export is simply
 *     superseded by the next one).
 *
 * The thread-local `current` is the innermost open span of this thread;
 * spans live on their callers' stacks, so nothing is allocated per span.
 * Ids come from a per-thread xorshift generator seeded by getrandom(2).
 */
#include "ops/telemetry.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/time.h"
#include "core/utf8.h"
#include "ops/metrics.h"
#include "ops/otlp.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#ifndef MXCP_VERSION
#define MXCP_VERSION "dev"
#endif

#define MAX_PAYLOAD (64u << 20)
#define BACKOFF_MIN_S 0.5
#define BACKOFF_MAX_S 30.0
#define LOG_EVERY_S 60.0

struct exporter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mx_span *ring;
	size_t head, count;
	int stop;
	double stop_deadline; /* mx_mono_s() by which the last export must end */
	pthread_t thread;

	/* Configuration (owned copies). */
	char *traces_url, *metrics_url;
	char **headers; /* "Name: value" lines, NULL-terminated */
	struct mx_telemetry_pair *resource;
	size_t nresource;
	char **strings; /* what resource points into */
	size_t nstrings;
	int tracing, console, metrics;
	double metrics_interval_s, flush_s;
	uint64_t start_ns;

	/* The exporter thread's own. The batch is ring[head, head + nbatch):
	 * still counted in `count`, so producers never write there, and
	 * released (head advanced) only once sent; it never wraps. */
	size_t nbatch; /* a batch waiting to be (re)sent */
	double retry_at, backoff;
	double last_log; /* when the last failure was logged */
	int logged_down;
	struct mx_buf body;

	atomic_ullong exported, dropped, failures, metric_exports;
	atomic_int failing;
};

static atomic_int tracing_on;
static struct exporter *_Atomic ex; /* set by start, cleared by stop (main thread) */
static _Thread_local struct mx_span *current;

/* ==================================================================== ids */

static _Thread_local uint64_t rng_state;

static uint64_t rng_next(void)
{
	if (rng_state == 0) {
		uint64_t seed = 0;
		if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed || seed == 0)
			seed = mx_mono_ns() ^ (uint64_t)(uintptr_t)&seed ^ 0x9E3779B97F4A7C15ULL;
		rng_state = seed;
	}
	/* xorshift64* */
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void random_id(uint8_t *out, size_t n)
{
	int zero = 1;
	while (zero) {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = rng_next();
			for (size_t j = 0; j < 8 && i + j < n; j++)
				out[i + j] = (uint8_t)(r >> (8 * j));
		}
		for (size_t i = 0; i < n && zero; i++)
			zero = out[i] == 0; /* an all-zero id is invalid */
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_decode(const char *s, uint8_t *out, size_t n)
{
	int nonzero = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return MX_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		nonzero |= out[i] != 0;
	}
	return nonzero ? 0 : MX_EINVAL;
}

int mx_traceparent_parse(const char *s, uint8_t trace_id[16], uint8_t span_id[8])
{
	/* version "-" trace-id(32) "-" parent-id(16) "-" flags(2) */
	if (s == NULL || strlen(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return MX_EINVAL;
	if (hex_value(s[0]) < 0 || hex_value(s[1]) < 0 || (s[0] == 'f' && s[1] == 'f'))
		return MX_EINVAL;
	if (s[0] == '0' && s[1] == '0' && s[55] != '\0')
		return MX_EINVAL;
	if (hex_value(s[53]) < 0 || hex_value(s[54]) < 0)
		return MX_EINVAL;
	if (hex_decode(s + 3, trace_id, 16) || hex_decode(s + 36, span_id, 8))
		return MX_EINVAL;
	return 0;
}

/* ================================================================== spans */

static uint64_t now_unix_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t mx_span_now_ns(void)
{
	return now_unix_ns();
}

int mx_telemetry_tracing(void)
{
	return atomic_load_explicit(&tracing_on, memory_order_relaxed);
}

void mx_span_begin(struct mx_span *sp, const char *name, enum mx_span_kind kind, const char *traceparent)
{
	if (!atomic_load_explicit(&tracing_on, memory_order_relaxed)) {
		sp->active = 0;
		return;
	}
	sp->active = 1;
	sp->name = name;
	sp->kind = kind;
	sp->status = 0;
	sp->message[0] = '\0';
	sp->nattrs = 0;
	sp->has_parent = 0;
	struct mx_span *up = current;
	if (up) {
		memcpy(sp->trace_id, up->trace_id, sizeof sp->trace_id);
		memcpy(sp->parent_id, up->span_id, sizeof sp->parent_id);
		sp->has_parent = 1;
	} else if (traceparent && *traceparent &&
	           mx_traceparent_parse(traceparent, sp->trace_id, sp->parent_id) == 0) {
		sp->has_parent = 1; /* a client's trace: ours joins it */
	} else {
		random_id(sp->trace_id, sizeof sp->trace_id);
	}
	random_id(sp->span_id, sizeof sp->span_id);
	sp->up = up;
	current = sp;
	sp->start_ns = now_unix_ns();
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The next attribute slot (each key is set once per span). */
static struct mx_span_attr *attr_slot(struct mx_span *sp, const char *key)
{
	if (!sp->active)
		return NULL;
	if (sp->nattrs >= MX_SPAN_MAX_ATTRS)
		return NULL;
	struct mx_span_attr *a = &sp->attrs[sp->nattrs++];
	a->key = key;
	return a;
}

/* Copy s into out (cap bytes with the NUL), cut at a UTF-8 boundary. */
static void copy_cut(char *out, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);
	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* do not end inside a character */
	memcpy(out, s, n);
	out[n] = '\0';
}

void mx_span_str(struct mx_span *sp, const char *key, const char *value)
{
	struct mx_span_attr *a = attr_slot(sp, key);
	if (a == NULL)
		return;
	a->kind = MX_ATTR_STR;
	copy_cut(a->s, sizeof a->s, value ? value : "");
}

void mx_span_int(struct mx_span *sp, const char *key, long long value)
{
	struct mx_span_attr *a = attr_slot(sp, key);
	if (a) {
		a->kind = MX_ATTR_INT;
		a->i = value;
	}
}

void mx_span_bool(struct mx_span *sp, const char *key, int value)
{
	struct mx_span_attr *a = attr_slot(sp, key);
	if (a) {
		a->kind = MX_ATTR_BOOL;
		a->i = value != 0;
	}
}

/* The last statement hashed on this thread: an endpoint's SQL is hashed
 * once per worker, not per call (OpenSSL 3 fetches the digest each time).
 * Keyed by the text's address and an FNV-1a of it, so a reload's new text
 * at a reused address is hashed again. */
static _Thread_local struct {
	const char *data;
	size_t n;
	uint64_t fnv;
	char hex[17];
} last_hash;

void mx_span_hash(struct mx_span *sp, const char *key, const char *data, size_t n)
{
	if (!sp->active)
		return;
	uint64_t fnv = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		fnv = (fnv ^ (unsigned char)data[i]) * 1099511628211ULL;
	if (last_hash.data != data || last_hash.n != n || last_hash.fnv != fnv) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8)
			return;
		hex_encode(md, 8, last_hash.hex);
		last_hash.data = data;
		last_hash.n = n;
		last_hash.fnv = fnv;
	}
	mx_span_str(sp, key, last_hash.hex);
}

void mx_span_error(struct mx_span *sp, const char *message)
{
	if (!sp->active)
		return;
	sp->status = 2;
	copy_cut(sp->message, sizeof sp->message, message ? message : "");
}

void mx_span_ok(struct mx_span *sp)
{
	if (sp->active && sp->status == 0)
		sp->status = 1;
}

void mx_span_trace_hex(const struct mx_span *sp, char out[33])
{
	out[0] = '\0';
	if (sp->active)
		hex_encode(sp->trace_id, sizeof sp->trace_id, out);
}

void mx_span_end(struct mx_span *sp)
{
	if (!sp->active)
		return;
	sp->end_ns = now_unix_ns();
	if (current == sp)
		current = sp->up;
	sp->active = 0;
	struct exporter *e = ex;
	if (e == NULL)
		return;
	int wake = 0;
	pthread_mutex_lock(&e->mu);
	if (e->count >= MX_TELEMETRY_QUEUE || e->stop) {
		pthread_mutex_unlock(&e->mu);
		atomic_fetch_add_explicit(&e->dropped, 1, memory_order_relaxed);
		return;
	}
	struct mx_span *slot = &e->ring[(e->head + e->count) % MX_TELEMETRY_QUEUE];
	/* copy only the attributes in use */
	memcpy(slot, sp, offsetof(struct mx_span, attrs));
	memcpy(slot->attrs, sp->attrs, (size_t)sp->nattrs * sizeof *sp->attrs);
	slot->up = NULL;
	e->count++;
	wake = e->count == MX_TELEMETRY_BATCH;
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
}

/* =============================================================== exporter */

static void telemetry_source(void *ctx, struct mx_metrics_telemetry *out)
{
	(void)ctx;
	struct mx_telemetry_stats st;
	mx_telemetry_stats(&st);
	out->queued = st.queued;
	out->exported = st.spans_exported;
	out->dropped = st.spans_dropped;
	out->export_failures = st.export_failures;
	out->failing = st.failing;
}

void mx_telemetry_stats(struct mx_telemetry_stats *out)
{
	memset(out, 0, sizeof *out);
	struct exporter *e = ex;
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->mu);
	out->queued = e->count;
	pthread_mutex_unlock(&e->mu);
	out->spans_exported = atomic_load(&e->exported);
	out->spans_dropped = atomic_load(&e->dropped);
	out->export_failures = atomic_load(&e->failures);
	out->metric_exports = atomic_load(&e->metric_exports);
	out->failing = atomic_load(&e->failing);
}

static void note_failure(struct exporter *e, const char *what, const char *why)
{
	atomic_fetch_add(&e->failures, 1);
	atomic_store(&e->failing, 1);
	double now = mx_mono_s();
	if (e->logged_down && now - e->last_log < LOG_EVERY_S)
		return;
	mx_warn("telemetry: cannot export %s to the collector (%s); retrying with backoff "
	        "(%llu span(s) dropped so far)",
	        what, why, (unsigned long long)atomic_load(&e->dropped));
	e->last_log = now;
	e->logged_down = 1;
}

static void note_success(struct exporter *e)
{
	if (atomic_exchange(&e->failing, 0) && e->logged_down)
		mx_info("telemetry: the collector takes exports again");
	e->logged_down = 0;
}

/* POST body to url. 0: taken; 1: failed, worth retrying; -1: refused. */
static int post(struct exporter *e, const char *url, const char *what, double deadline)
{
	long timeout = 10;
	if (deadline > 0) {
		double left = deadline - mx_mono_s();
		if (left < 1)
			return 1;
		if (left < timeout)
			timeout = (long)left;
	}
	struct mx_fetch_request rq = {
	        .url = url,
	        .headers = (const char *const *)e->headers,
	        .body = e->body.p,
	        .body_len = e->body.len,
	        .timeout_s = timeout,
	        .connect_timeout_s = timeout < 3 ? timeout : 3,
	        .max_response = 1 << 16,
	};
	struct mx_fetch_response resp;
	int rc = mx_fetch(&rq, &resp);
	long status = resp.status;
	char why[300];
	if (rc != 0)
		snprintf(why, sizeof why, "%s", resp.error[0] ? resp.error : mx_strerror(rc));
	else
		snprintf(why, sizeof why, "HTTP %ld", status);
	mx_buf_free(&resp.body);
	if (rc == 0 && status >= 200 && status < 300) {
		note_success(e);
		return 0;
	}
	note_failure(e, what, why);
	if (rc == 0 && status >= 400 && status < 500 && status != 408 && status != 429)
		return -1;
	return 1;
}

static void console_print(const struct mx_span *sp)
{
	char trace[33], id[17], parent[17] = "";
	hex_encode(sp->trace_id, sizeof sp->trace_id, trace);
	hex_encode(sp->span_id, sizeof sp->span_id, id);
	if (sp->has_parent)
		hex_encode(sp->parent_id, sizeof sp->parent_id, parent);
	fprintf(stderr, "span %s trace=%s id=%s parent=%s duration_us=%llu status=%d\n", sp->name, trace, id,
	        parent, (unsigned long long)((sp->end_ns - sp->start_ns) / 1000), sp->status);
}

static struct mx_otlp_resource resource_of(const struct exporter *e)
{
	return (struct mx_otlp_resource){.attrs = e->resource,
	                                 .nattrs = e->nresource,
	                                 .scope_name = "mxcp",
	                                 .scope_version = MXCP_VERSION};
}

/* Send the pending batch. 0 when it is gone (sent or refused). */
static void release_batch(struct exporter *e)
{
	pthread_mutex_lock(&e->mu);
	e->head = (e->head + e->nbatch) % MX_TELEMETRY_QUEUE;
	e->count -= e->nbatch;
	pthread_mutex_unlock(&e->mu);
	e->nbatch = 0;
}

static int send_batch(struct exporter *e, double deadline)
{
	const struct mx_span *batch = &e->ring[e->head]; /* only this thread moves head */
	if (e->console && e->backoff == 0)
		for (size_t i = 0; i < e->nbatch; i++)
			console_print(&batch[i]);
	if (e->traces_url == NULL) {
		release_batch(e);
		return 0;
	}
	mx_buf_reset(&e->body);
	struct mx_otlp_resource res = resource_of(e);
	if (mx_otlp_encode_traces(&e->body, &res, batch, e->nbatch) != 0) {
		atomic_fetch_add(&e->dropped, e->nbatch);
		release_batch(e);
		return 0;
	}
	int rc = post(e, e->traces_url, "spans", deadline);
	if (rc == 0)
		atomic_fetch_add(&e->exported, e->nbatch);
	else if (rc < 0)
		atomic_fetch_add(&e->dropped, e->nbatch);
	if (rc <= 0) {
		release_batch(e);
		e->backoff = 0;
		return 0;
	}
	e->backoff = e->backoff > 0 ? e->backoff * 2 : BACKOFF_MIN_S;
	if (e->backoff > BACKOFF_MAX_S)
		e->backoff = BACKOFF_MAX_S;
	e->retry_at = mx_mono_s() + e->backoff;
	return 1;
}

static void metric_cb(void *ctx, const char *name, const char *description, int gauge)
{
	mx_otlp_metric(ctx, name, description, gauge);
}

static void point_cb(void *ctx, const char *const *names, const char *const *values, size_t n, long long v)
{
	mx_otlp_point(ctx, names, values, n, v);
}

static void send_metrics(struct exporter *e, double deadline)
{
	mx_buf_reset(&e->body);
	struct mx_otlp_resource res = resource_of(e);
	struct mx_otlp_metrics m;
	mx_otlp_metrics_begin(&m, &e->body, &res, e->start_ns, now_unix_ns());
	struct mx_metrics_visitor v = {.metric = metric_cb, .point = point_cb, .ctx = &m};
	mx_metrics_visit(&v);
	if (mx_otlp_metrics_end(&m) == 0 && post(e, e->metrics_url, "metrics", deadline) == 0)
		atomic_fetch_add(&e->metric_exports, 1);
}

/* The next batch: the oldest queued spans, up to the ring's end (under e->mu). */
static void take_batch(struct exporter *e)
{
	size_t n = e->count < MX_TELEMETRY_BATCH ? e->count : MX_TELEMETRY_BATCH;
	if (n > MX_TELEMETRY_QUEUE - e->head)
		n = MX_TELEMETRY_QUEUE - e->head;
	e->nbatch = n;
}

static void *exporter_main(void *arg)
{
	struct exporter *e = arg;
	pthread_setname_np(pthread_self(), "mxcp-otel");
	double next_metrics = mx_mono_s() + e->metrics_interval_s;
	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		double now = mx_mono_s();
		double wake = now + e->flush_s;
		if (e->metrics && next_metrics < wake)
			wake = next_metrics;
		if (e->nbatch && e->retry_at < wake)
			wake = e->retry_at;
		if (e->count < MX_TELEMETRY_BATCH || e->nbatch) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			double d = wake - now;
			if (d < 0)
				d = 0;
			ts.tv_sec += (time_t)d;
			ts.tv_nsec += (long)((d - (double)(time_t)d) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cv, &e->mu, &ts);
		}
		if (e->stop)
			break;
		now = mx_mono_s();
		if (e->nbatch == 0 && e->count > 0)
			take_batch(e);
		pthread_mutex_unlock(&e->mu);
		if (e->nbatch && now >= e->retry_at)
			send_batch(e, 0);
		if (e->metrics && mx_mono_s() >= next_metrics) {
			send_metrics(e, 0);
			next_metrics = mx_mono_s() + e->metrics_interval_s;
		}
		pthread_mutex_lock(&e->mu);
	}
	/* Stopping: send what is queued (the spans, then the metrics once
	 * more) until the deadline. */
	double deadline = e->stop_deadline;
	for (;;) {
		if (e->nbatch == 0 && e->count > 0)
			take_batch(e);
		pthread_mutex_unlock(&e->mu);
		if (e->nbatch == 0 || mx_mono_s() >= deadline)
			break;
		if (send_batch(e, deadline) != 0) {
			/* the collector is down: wait out the backoff if there is time */
			double wait = e->retry_at - mx_mono_s();
			if (mx_mono_s() + wait >= deadline)
				break;
			if (wait > 0) {
				struct timespec ts = {(time_t)wait,
				                      (long)((wait - (double)(time_t)wait) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
		pthread_mutex_lock(&e->mu);
	}
	if (e->metrics && mx_mono_s() < deadline)
		send_metrics(e, deadline);
	pthread_mutex_lock(&e->mu);
	unsigned long long lost = e->count; /* the pending batch is counted in it */
	e->count = 0;
	pthread_mutex_unlock(&e->mu);
	if (lost) {
		atomic_fetch_add(&e->dropped, lost);
		mx_warn("telemetry: %llu span(s) not exported before shutdown", lost);
	}
	return NULL;
}

/* ============================================================ start, stop */

static void exporter_free(struct exporter *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; e->headers && e->headers[i]; i++)
		mx_free(e->headers[i]);
	mx_free(e->headers);
	for (size_t i = 0; i < e->nstrings; i++)
		mx_free(e->strings[i]);
	mx_free(e->strings);
	mx_free(e->resource);
	mx_free(e->traces_url);
	mx_free(e->metrics_url);
	mx_free(e->ring);
	mx_buf_free(&e->body);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	mx_free(e);
}

static char *join_url(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	/* MXCP accepts an endpoint that already names the signal's path */
	size_t pn = strlen(path);
	if (n >= pn && strncmp(base + n - pn, path, pn) == 0)
		n -= pn;
	struct mx_buf b;
	mx_buf_init(&b, 1 << 16);
	if (mx_buf_append(&b, base, n) || mx_buf_puts(&b, path)) {
		mx_buf_free(&b);
		return NULL;
	}
	return mx_buf_detach(&b);
}

static char *keep(struct exporter *e, const char *s)
{
	char *c = mx_strdup(s ? s : "");
	if (c)
		e->strings[e->nstrings++] = c;
	return c;
}

static int configure(struct exporter *e, const struct mx_telemetry_config *cfg)
{
	e->tracing = cfg->tracing;
	e->console = cfg->console;
	e->metrics = cfg->metrics && cfg->endpoint && *cfg->endpoint;
	e->metrics_interval_s = cfg->metrics_interval_s ? (double)cfg->metrics_interval_s : 60.0;
	e->flush_s = cfg->flush_ms ? cfg->flush_ms / 1000.0 : 0.5;
	e->start_ns = now_unix_ns();
	if (cfg->endpoint && *cfg->endpoint) {
		if ((e->traces_url = join_url(cfg->endpoint, "/v1/traces")) == NULL ||
		    (e->metrics_url = join_url(cfg->endpoint, "/v1/metrics")) == NULL)
			return MX_ENOMEM;
	}
	if ((e->headers = mx_calloc(cfg->nheaders + 3, sizeof *e->headers)) == NULL)
		return MX_ENOMEM;
	size_t h = 0;
	if ((e->headers[h++] = mx_strdup("Content-Type: application/x-protobuf")) == NULL)
		return MX_ENOMEM;
	/* no "Expect: 100-continue" round trip before each batch */
	if ((e->headers[h++] = mx_strdup("Expect:")) == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < cfg->nheaders; i++) {
		struct mx_buf b;
		mx_buf_init(&b, 1 << 16);
		if (mx_buf_printf(&b, "%s: %s", cfg->headers[i].key, cfg->headers[i].value)) {
			mx_buf_free(&b);
			return MX_ENOMEM;
		}
		e->headers[h++] = mx_buf_detach(&b);
	}
	size_t nres = 3 + cfg->nresource;
	e->resource = mx_calloc(nres, sizeof *e->resource);
	e->strings = mx_calloc(2 * nres, sizeof *e->strings);
	if (e->resource == NULL || e->strings == NULL)
		return MX_ENOMEM;
	const struct mx_telemetry_pair fixed[3] = {
	        {"service.name", cfg->service_name && *cfg->service_name ? cfg->service_name : "mxcp"},
	        {"service.version", cfg->service_version ? cfg->service_version : MXCP_VERSION},
	        {"deployment.environment", cfg->environment},
	};
	for (size_t i = 0; i < nres; i++) {
		const struct mx_telemetry_pair *p = i < 3 ? &fixed[i] : &cfg->resource[i - 3];
		if (p->value == NULL)
			continue;
		/* a later attribute of the same name replaces an earlier one */
		size_t at = e->nresource;
		for (size_t j = 0; j < e->nresource; j++)
			if (strcmp(e->resource[j].key, p->key) == 0)
				at = j;
		const char *k = keep(e, p->key), *v = keep(e, p->value);
		if (k == NULL || v == NULL)
			return MX_ENOMEM;
		e->resource[at] = (struct mx_telemetry_pair){k, v};
		if (at == e->nresource)
			e->nresource++;
	}
	return 0;
}

int mx_telemetry_start(const struct mx_telemetry_config *cfg, struct mx_err *err)
{
	if (ex != NULL)
		return mx_err_set(err, MX_EINVAL, "telemetry is already started");
	int metrics = cfg->metrics && cfg->endpoint && *cfg->endpoint;
	if (!cfg->tracing && !metrics)
		return 0;
	struct exporter *e = mx_calloc(1, sizeof *e);
	if (e == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	mx_buf_init(&e->body, MAX_PAYLOAD);
	int rc = configure(e, cfg);
	if (rc == 0 && e->tracing && (e->ring = mx_calloc(MX_TELEMETRY_QUEUE, sizeof *e->ring)) == NULL)
		rc = MX_ENOMEM;
	if (rc) {
		exporter_free(e);
		return mx_err_set(err, rc, "out of memory");
	}
	mx_fetch_global_init();
	ex = e;
	if (pthread_create(&e->thread, NULL, exporter_main, e) != 0) {
		ex = NULL;
		exporter_free(e);
		return mx_err_set(err, MX_EIO, "telemetry: cannot start the exporter thread");
	}
	mx_metrics_set_telemetry_source(telemetry_source, NULL);
	atomic_store(&tracing_on, e->tracing);
	mx_info("telemetry: %s%s%s to %s", e->tracing ? "traces" : "",
	        e->tracing && e->metrics ? " and " : "", e->metrics ? "metrics" : "",
	        e->traces_url ? cfg->endpoint : "the console only");
	return 0;
}

void mx_telemetry_stop(unsigned grace_ms)
{
	struct exporter *e = ex;
	if (e == NULL)
		return;
	atomic_store(&tracing_on, 0);
	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	e->stop_deadline = mx_mono_s() + grace_ms / 1000.0;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);
	mx_metrics_set_telemetry_source(NULL, NULL);
	ex = NULL;
	exporter_free(e);
}
