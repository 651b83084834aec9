/* SPDX-License-Identifier: Apache-2.0 */
/*
 * search — the audit questions of MXCP's admin API: the records that match
 * a set of filters, newest first and paged, in MXCP's record shape; and
 * statistics over a time range (counts by type, status and policy
 * decision, earliest and latest timestamps).
 *
 * The trail is read through query.h: the records that match the filters
 * the export knows (type, name, status, user, start time) are exported
 * into a scratch DuckDB file in a private temporary folder under $TMPDIR,
 * where the rest (end time, trace id, paging, grouping) is plain SQL;
 * memory stays bounded however long the trail is. One question runs at a
 * time in the process (the others wait); the folder is removed after.
 * Runs on the calling thread, which waits for the export.
 */
#ifndef MX_AUDIT_SEARCH_H
#define MX_AUDIT_SEARCH_H

#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

struct mx_audit;

/* The one schema our records belong to: every record is an endpoint execution. */
#define MX_AUDIT_SCHEMA_NAME "mxcp.endpoints"

struct mx_audit_search {
	const char *schema_name; /* NULL: any */
	const char *operation_type, *operation_name, *operation_status, *user_id, *trace_id; /* NULL: any */
	int64_t start_ms, end_ms; /* unix ms, when has_start / has_end */
	int has_start, has_end;
	long long limit, offset; /* records only */
};

/* Records matching q, newest first, limit/offset applied, as MXCP's admin
 * API shows them (a JSON array). The writer is flushed first, so every
 * call answered so far is included. writer NULL (audit off), or a schema
 * other than ours: an empty array. */
int mx_audit_search_records(struct mx_audit *writer, const char *path, const struct mx_audit_search *q,
                            json_t **rows, struct mx_err *err);
/* {total_records, by_type, by_status, by_policy, earliest_timestamp,
 * latest_timestamp} over q's time range. writer NULL: zero counts. */
int mx_audit_search_stats(struct mx_audit *writer, const char *path, const struct mx_audit_search *q,
                          json_t **doc, struct mx_err *err);

#endif
