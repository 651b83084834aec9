/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry (server) — MXCP's `telemetry` profile block of the user config
 * and its environment overrides, resolved into the exporter's settings
 * (ops/telemetry.h) and started for the server's life. The variables take
 * precedence over the file, as in MXCP: MXCP_TELEMETRY_ENABLED,
 * OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS (k=v,k=v),
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (k=v,k=v),
 * MXCP_TELEMETRY_TRACING_CONSOLE, MXCP_TELEMETRY_METRICS_INTERVAL.
 */
#ifndef MX_SERVER_TELEMETRY_H
#define MX_SERVER_TELEMETRY_H

#include "core/err.h"

struct mx_project;

/* Start exporting for p's profile; 0 (also when telemetry is off). */
int mx_server_telemetry_start(const struct mx_project *p, struct mx_err *err);

#endif
