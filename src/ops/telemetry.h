/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry — OpenTelemetry traces and metrics sent over OTLP/HTTP
 * (protobuf; ops/otlp.h encodes) to a collector, as MXCP's `telemetry`
 * profile block describes (docs/telemetry.md).
 *
 * Process-wide, like ops/metrics: the server starts it once
 * (mx_telemetry_start) and stops it at exit (mx_telemetry_stop); nothing
 * else holds a handle. The call path opens spans with a struct mx_span on
 * its own stack: mx_span_begin links it under the span already open on this
 * thread (or under the incoming W3C traceparent, or in a new trace), and
 * mx_span_end copies it into a bounded queue. With tracing off (the
 * default, and every CLI command) mx_span_begin is one atomic load and the
 * other calls a branch: no thread, no allocation, no clock read.
 *
 * The queue is drained by one exporter thread, in batches (at most
 * MX_TELEMETRY_BATCH spans per request, at least every half second). A
 * full queue drops the span, counted (mxcp_telemetry_spans_dropped_total on
 * /metrics). A collector that does not answer is retried with exponential
 * backoff (0.5 s … 30 s) and logged at most once a minute; meanwhile new
 * spans queue up and then drop. Metrics (ops/metrics.h's MXCP instruments,
 * the same values /metrics shows) are sent every export interval.
 * mx_telemetry_stop sends what is queued within a deadline and stops.
 *
 * Threads: spans are begun and ended on any thread; a span belongs to the
 * thread that began it and must end there, innermost first.
 */
#ifndef MX_OPS_TELEMETRY_H
#define MX_OPS_TELEMETRY_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define MX_TELEMETRY_QUEUE 8192 /* spans waiting for the exporter, at most */
#define MX_TELEMETRY_BATCH 1024 /* spans per export request, at most */
#define MX_SPAN_MAX_ATTRS 8
#define MX_SPAN_STR_MAX 96 /* longer attribute values are cut (at a UTF-8 boundary) */

/* A resource attribute or a request header: name and value. */
struct mx_telemetry_pair {
	const char *key;
	const char *value;
};

struct mx_telemetry_config {
	const char *endpoint; /* the collector's base URL; /v1/traces, /v1/metrics appended. NULL: none */
	const struct mx_telemetry_pair *headers; /* sent with every export */
	size_t nheaders;
	/* service.name, service.version, deployment.environment, then these */
	const char *service_name, *service_version, *environment;
	const struct mx_telemetry_pair *resource;
	size_t nresource;
	int tracing; /* record and send spans */
	int console; /* also print each span to stderr (tracing.console_export) */
	int metrics; /* send the metrics every metrics_interval_s */
	unsigned metrics_interval_s; /* 0: 60 */
	unsigned flush_ms; /* the longest a queued span waits for its batch; 0: 500 */
};

/* Start exporting (copies cfg). Neither tracing nor metrics: nothing starts
 * and 0 is returned. A second start fails (MX_EINVAL). */
int mx_telemetry_start(const struct mx_telemetry_config *cfg, struct mx_err *err);
/* Send what is queued (spans, then the metrics once more) for at most
 * grace_ms, then stop the thread and free everything. Idempotent. */
void mx_telemetry_stop(unsigned grace_ms);
/* Are spans being recorded? */
int mx_telemetry_tracing(void);

/* Exporter statistics, for /metrics (ops/metrics.h reads them). */
struct mx_telemetry_stats {
	size_t queued;
	unsigned long long spans_exported, spans_dropped, export_failures, metric_exports;
	int failing; /* the last export attempt failed */
};
void mx_telemetry_stats(struct mx_telemetry_stats *out);

/* ------------------------------------------------------------------ spans */

enum mx_span_kind { MX_SPAN_INTERNAL = 1, MX_SPAN_SERVER = 2 };
enum mx_span_attr_kind { MX_ATTR_STR, MX_ATTR_INT, MX_ATTR_BOOL };

struct mx_span_attr {
	const char *key; /* a string with static lifetime */
	enum mx_span_attr_kind kind;
	long long i;
	char s[MX_SPAN_STR_MAX];
};

struct mx_span {
	int active; /* 0: tracing is off, every call below is a no-op */
	uint8_t trace_id[16], span_id[8], parent_id[8];
	int has_parent;
	enum mx_span_kind kind;
	const char *name; /* static lifetime */
	uint64_t start_ns, end_ns; /* Unix time */
	int status; /* 0 unset, 1 ok, 2 error */
	char message[128];
	int nattrs;
	struct mx_span_attr attrs[MX_SPAN_MAX_ATTRS];
	struct mx_span *up; /* the span open on this thread when this one began */
};

/* Begin a span named `name` (static lifetime). Its parent: the span open
 * on this thread; else traceparent (W3C "00-<trace>-<span>-<flags>"; NULL
 * or invalid: none), else it starts a new trace. */
void mx_span_begin(struct mx_span *sp, const char *name, enum mx_span_kind kind, const char *traceparent);
/* Attributes: each key at most once per span; past MX_SPAN_MAX_ATTRS they are dropped. */
void mx_span_str(struct mx_span *sp, const char *key, const char *value);
void mx_span_int(struct mx_span *sp, const char *key, long long value);
void mx_span_bool(struct mx_span *sp, const char *key, int value);
/* key = hex(SHA-256(data))[:16], MXCP's db.statement.hash. */
void mx_span_hash(struct mx_span *sp, const char *key, const char *data, size_t n);
/* Mark the span failed with a message (NULL: none) or succeeded. */
void mx_span_error(struct mx_span *sp, const char *message);
void mx_span_ok(struct mx_span *sp);
/* End the span and queue it (dropped, counted, when the queue is full). */
void mx_span_end(struct mx_span *sp);
/* Now as a span's clock reads it (Unix time, ns): a span begun after the
 * fact takes it as its start_ns. */
uint64_t mx_span_now_ns(void);
/* The trace id as 32 lower-case hex digits; "" when sp is not active. */
void mx_span_trace_hex(const struct mx_span *sp, char out[33]);

/* Parse a W3C traceparent: 0 and the ids, or MX_EINVAL. */
int mx_traceparent_parse(const char *s, uint8_t trace_id[16], uint8_t span_id[8]);

#endif
