/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query — the DuckDB queries behind `mxcp log`, and the chain check.
 *
 * The trail is read where it lies: every file of it (MXCP's segment files,
 * our rotated files, the live file; see mx_audit_list_files) goes into one
 * DuckDB read_json(format newline_delimited, explicit columns) that knows
 * both record layouts — ours (`timestamp caller type name input …`) and
 * MXCP's (`operation_type operation_name caller_type operation_status
 * input_data …`) — and normalises them in SQL to one set of columns:
 *
 *   timestamp TIMESTAMP (UTC), caller, type, name, input JSON,
 *   duration_ms DOUBLE, policy_decision ('n/a' when none), reason, status,
 *   error, user_id, session_id, request_id, trace_id, output JSON,
 *   schema_version INTEGER, record_id, prev_hash, record_hash
 *
 * A torn or malformed line is skipped (ignore_errors), never fatal. Each
 * call opens its own in-memory DuckDB (or the export file); runs on the
 * calling thread.
 */
#ifndef MX_AUDIT_QUERY_H
#define MX_AUDIT_QUERY_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct mx_audit_filter {
	const char *const *tools; /* --tool (any of) */
	size_t ntools;
	const char *const *resources;
	size_t nresources;
	const char *const *prompts;
	size_t nprompts;
	const char *type; /* tool|resource|prompt or NULL */
	const char *status; /* success|error or NULL */
	const char *policy; /* allow|deny|warn or NULL ("n/a" means no filter, as in MXCP) */
	const char *user; /* user_id or NULL */
	int64_t since_ms; /* unix ms; 0 = no bound */
	int64_t limit; /* < 0 = no limit */
};

/* Records matching f, newest first, as a JSON array of objects with the
 * normalised columns (timestamp as "YYYY-MM-DDTHH:MM:SS.mmmZ"). */
int mx_audit_query(const char *path, const struct mx_audit_filter *f, json_t **rows, struct mx_err *err);

/* Write matching records (no limit) to a CSV file with a header row. */
int mx_audit_export_csv(const char *path, const struct mx_audit_filter *f, const char *out, int64_t *count,
                        struct mx_err *err);

/* Write matching records (no limit) into a DuckDB file: table `logs` with
 * the normalised columns and real types, and a view `audit_logs` with
 * MXCP's column names (operation_type, operation_name, operation_status,
 * caller_type, input_data, output_data, policy_reason, …). Replaces both
 * when they exist; other tables in the file are left alone. */
int mx_audit_export_duckdb(const char *path, const struct mx_audit_filter *f, const char *out, int64_t *count,
                           struct mx_err *err);

/* Check the hash chain over every file of the trail, in order. */
struct mx_audit_verify_result {
	int64_t records; /* chained records checked */
	size_t files;
	int ok;
	char broken_file[4096]; /* the first broken line, when !ok */
	int64_t broken_line; /* 1-based within broken_file */
	char reason[256];
	int anchored; /* the first record continues a chain not present (moved or cleaned) */
};
int mx_audit_verify(const char *path, struct mx_audit_verify_result *res, struct mx_err *err);

/* Parse an ISO 8601 timestamp ("…Z", "…+00:00", fraction optional) to unix ms. */
int mx_audit_parse_time(const char *s, size_t n, int64_t *unix_ms);

#endif
