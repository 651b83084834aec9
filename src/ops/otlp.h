/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp — the OTLP/HTTP protobuf payloads the telemetry exporter sends: an
 * ExportTraceServiceRequest for a batch of spans (POST /v1/traces) and an
 * ExportMetricsServiceRequest for the metrics (POST /v1/metrics), encoded
 * by hand from the field numbers of opentelemetry-proto v1
 * (opentelemetry/proto/{trace,metrics,common,resource}/v1/ .proto files).
 *
 * Why by hand rather than protobuf-c: we only ever encode, a dozen
 * messages and four wire types (varint, fixed64, length-delimited);
 * protobuf-c would need the .proto files vendored and compiled at build
 * time, allocate a message tree per export and then pack it, where this
 * writes each field straight into one bounded buffer (docs/telemetry.md).
 * The tests decode what it writes with the official .proto definitions.
 *
 * A length-delimited field is written with a one-byte length placeholder
 * and fixed up when it ends (the content moves right when its length needs
 * more bytes), so nothing is sized twice. Pure functions, any thread.
 */
#ifndef MX_OPS_OTLP_H
#define MX_OPS_OTLP_H

#include "core/buf.h"
#include "ops/telemetry.h"

#include <stddef.h>
#include <stdint.h>

/* The resource (attributes) and scope every payload carries. */
struct mx_otlp_resource {
	const struct mx_telemetry_pair *attrs;
	size_t nattrs;
	const char *scope_name, *scope_version;
};

/* Spans → ExportTraceServiceRequest, appended to out. 0 or MX_ELIMIT/MX_ENOMEM. */
int mx_otlp_encode_traces(struct mx_buf *out, const struct mx_otlp_resource *res, const struct mx_span *spans,
                          size_t n);

/* The protobuf writer: nested length-delimited fields open on a stack. */
struct mx_otlp_writer {
	struct mx_buf *out;
	size_t stack[8];
	int depth;
	int rc; /* the first failure; later writes are no-ops */
};

/* An ExportMetricsServiceRequest, built metric by metric. */
struct mx_otlp_metrics {
	struct mx_otlp_writer w;
	int in_metric;
	int gauge;
	uint64_t start_ns, now_ns;
};
void mx_otlp_metrics_begin(struct mx_otlp_metrics *m, struct mx_buf *out, const struct mx_otlp_resource *res,
                           uint64_t start_ns, uint64_t now_ns);
/* A metric: a monotonic cumulative Sum (gauge 0) or a Gauge (gauge 1). */
void mx_otlp_metric(struct mx_otlp_metrics *m, const char *name, const char *description, int gauge);
/* One data point of the current metric (an integer value). */
void mx_otlp_point(struct mx_otlp_metrics *m, const char *const *label_names, const char *const *label_values,
                   size_t nlabels, long long value);
/* 0, or MX_ELIMIT/MX_ENOMEM from out. */
int mx_otlp_metrics_end(struct mx_otlp_metrics *m);

#endif
