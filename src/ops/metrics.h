/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics — process-wide counters, gauges and latency histograms, rendered
 * in the Prometheus text exposition format (version 0.0.4) for GET /metrics.
 *
 * Recording is cheap and safe from any thread: every value is an atomic.
 * Labelled series (requests by method/endpoint, policy denials by endpoint)
 * live in a small fixed table; looking a series up is lock-free, and a mutex
 * is taken only the first time a label set appears. Label cardinality is
 * bounded: at most MX_METRICS_MAX_ENDPOINTS distinct endpoints and
 * MX_METRICS_MAX_METHODS distinct methods are tracked; later ones are counted
 * under the label value "other". Label values are cut to
 * MX_METRICS_LABEL_MAX bytes, invalid UTF-8 is replaced, and quotes,
 * backslashes and newlines are escaped on output.
 *
 * Gauges that belong to other modules (audit queue, DuckDB worker pool) are
 * read at render time through a source the owner installs (a function that
 * fills the struct below); install NULL before the owner is freed (the
 * setter waits for a render in progress). metrics knows no other module.
 */
#ifndef MX_OPS_METRICS_H
#define MX_OPS_METRICS_H

#include "core/buf.h"

#include <stdint.h>

#define MX_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MX_METRICS_MAX_ENDPOINTS 1024
#define MX_METRICS_MAX_METHODS 64
#define MX_METRICS_LABEL_MAX 200

/* ------------------------------------------------------------- recording */

/* One finished request. method: the JSON-RPC method ("tools/call") or the
 * HTTP route ("/health"); endpoint: the tool/resource/prompt name or "" (or
 * NULL); outcome: "ok", "error" or "denied" (anything else counts as
 * "error"); seconds: wall time from request read to response written. */
void mx_metrics_http_request(const char *method, const char *endpoint, const char *outcome, double seconds);
/* Requests being served now (+1 on arrival, -1 when answered). */
void mx_metrics_inflight(int delta);
/* Open MCP sessions (+1 on initialize, -1 on DELETE or expiry). */
void mx_metrics_sessions(int delta);
/* A call refused by a policy (endpoint: its name). */
void mx_metrics_policy_denial(const char *endpoint);
/* One bearer-token check (auth/): provider ("oidc", "github" …) and its
 * result ("ok", "no_token", "invalid", "forbidden", "unavailable"). */
void mx_metrics_auth(const char *provider, const char *result);
/* A configuration reload finished (ok: 1 applied, 0 refused). */
void mx_metrics_reload(int ok);

/* ------------------------------------------------------ MXCP's instruments */

/* MXCP's own metrics (docs/telemetry.md), one set of instruments feeding
 * both exports: /metrics shows them with the dots as underscores
 * (mxcp_endpoint_requests_total{…}), OpenTelemetry under MXCP's names
 * (mx_metrics_visit). Each counter takes exactly its labels' values, in
 * the order listed. At most MX_METRICS_MAX_ENDPOINTS label sets per
 * counter; later ones count under every label "other". */
enum mx_metric_counter {
	MX_METRIC_ENDPOINT_REQUESTS, /* endpoint, type, status, caller, policy_decision */
	MX_METRIC_ENDPOINT_ERRORS, /* endpoint, type, caller, error_type */
	MX_METRIC_DUCKDB_QUERIES, /* operation, status */
	MX_METRIC_PYTHON_EXECUTIONS, /* name, status */
	MX_METRIC_POLICY_EVALUATIONS, /* type, decision */
	MX_METRIC_COUNTERS
};
void mx_metrics_count(enum mx_metric_counter c, const char *const *label_values);

/* Up-down gauges: calls running now, by stage. */
enum mx_metric_gauge {
	MX_METRIC_ENDPOINT_CONCURRENT, /* mxcp.endpoint.concurrent_executions */
	MX_METRIC_DUCKDB_CONCURRENT, /* mxcp.duckdb.concurrent_executions */
	MX_METRIC_PYTHON_CONCURRENT, /* mxcp.python.concurrent_executions */
	MX_METRIC_GAUGES
};
void mx_metrics_gauge_add(enum mx_metric_gauge g, int delta);

/* Walk every instrument OpenTelemetry exports, under MXCP's names: the
 * counters above, the gauges, mxcp.up, mxcp.policy.denials_total
 * (endpoint) and mxcp.reloads_total (status). metric() opens an instrument
 * (gauge 0: a monotonic counter), point() gives one of its label sets. */
struct mx_metrics_visitor {
	void (*metric)(void *ctx, const char *name, const char *description, int gauge);
	void (*point)(void *ctx, const char *const *label_names, const char *const *label_values, size_t n,
	              long long value);
	void *ctx;
};
void mx_metrics_visit(const struct mx_metrics_visitor *v);

/* ---------------------------------------------------------------- sources */

/* The telemetry exporter's queue (ops/telemetry.h installs it). */
struct mx_metrics_telemetry {
	size_t queued;
	unsigned long long exported, dropped, export_failures;
	int failing;
};
typedef void (*mx_metrics_telemetry_fn)(void *ctx, struct mx_metrics_telemetry *out);
void mx_metrics_set_telemetry_source(mx_metrics_telemetry_fn fn, void *ctx);

/* The audit writer's gauges and counters (audit/writer.h has a source:
 * mx_audit_metrics_source). */
struct mx_metrics_audit {
	size_t queued; /* records waiting now */
	size_t queue_high_water;
	unsigned long long written; /* lines appended */
	unsigned long long bytes;
	unsigned long long write_errors;
	unsigned long long rejected_full; /* calls refused: queue full */
	unsigned long long rejected_io; /* calls refused: disk failing */
	unsigned long long lost; /* records abandoned at close */
	int failing; /* the last write attempt failed */
};
/* Read audit statistics at render time: fn(ctx, out) fills out (NULL fn removes the source). */
typedef void (*mx_metrics_audit_fn)(void *ctx, struct mx_metrics_audit *out);
void mx_metrics_set_audit_source(mx_metrics_audit_fn fn, void *ctx);

/* Read the DuckDB pool at render time: size = workers, pending = jobs
 * waiting plus running, loans = times idle workers were lent to DuckDB for
 * a long query (exec/workers.h). NULL fn removes the source. */
struct mx_metrics_pool {
	int size;
	size_t pending;
	unsigned long long loans;
	unsigned long long purges; /* buffer-pool purges (exec/workers.c) */
};
typedef void (*mx_metrics_pool_fn)(void *ctx, struct mx_metrics_pool *out);
void mx_metrics_set_db_pool_source(mx_metrics_pool_fn fn, void *ctx);

/* The response cache (cache/cache.h) at render time: its counters since
 * start and its size now. NULL fn removes the source. */
struct mx_metrics_cache {
	const char *backend; /* "memory", "redis" */
	unsigned long long hits, misses, stores, evictions, errors, bytes, entries;
	int down; /* redis unreachable now */
};
typedef void (*mx_metrics_cache_fn)(void *ctx, struct mx_metrics_cache *out);
void mx_metrics_set_cache_source(mx_metrics_cache_fn fn, void *ctx);

/* ------------------------------------------------------------- exposition */

/* Append the whole exposition to out. 0, or MX_ELIMIT/MX_ENOMEM from out
 * (out keeps what was appended before the failure). */
int mx_metrics_render(struct mx_buf *out);

/* Process start time in seconds since the epoch (from /proc, else the first
 * call of any mx_metrics_* function). */
double mx_metrics_process_start_time(void);

/* Forget every series and zero every value; sources are removed. Only for
 * tests and shutdown: no other thread may record concurrently. */
void mx_metrics_reset(void);

#endif
