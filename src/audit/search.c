/* SPDX-License-Identifier: Apache-2.0 */
/* search — see search.h. */
#include "audit/search.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/buf.h"
#include "exec/sql.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUDIT_FLUSH_MS 2000

/* One question at a time: each exports the trail into its own scratch file. */
static pthread_mutex_t search_mu = PTHREAD_MUTEX_INITIALIZER;

/* ----------------------------------------------------------------- scratch */

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

static int scratch_open(struct mx_audit *writer, const char *path, const struct mx_audit_filter *f,
                        struct scratch *s, struct mx_err *err)
{
	memset(s, 0, sizeof *s);
	mx_audit_flush(writer, AUDIT_FLUSH_MS); /* calls answered so far are on disk */
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof s->dir, "%s/mxcp-admin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return mx_err_set(err, MX_EIO, "cannot create a scratch folder: %s", strerror(errno));
	}
	snprintf(s->file, sizeof s->file, "%s/audit.duckdb", s->dir);
	int64_t count = 0;
	int rc = mx_audit_export_duckdb(path, f, s->file, &count, err);
	if (rc == 0) {
		struct mx_db_options o = {.path = s->file};
		rc = mx_db_open(&o, &s->db, err);
	}
	if (rc == 0 && (rc = mx_db_connect(s->db, &s->conn, err)) == 0)
		mx_dbconn_parse_json(s->conn, 1); /* the records' JSON fields as values */
	if (rc)
		scratch_close(s);
	return rc;
}

/* --------------------------------------------------------------------- SQL */

/* The record in MXCP's shape. Timestamps are UTC and written the way
 * MXCP's isoformat() does ("…T10:30:00.123456+00:00"); every record of
 * ours is an endpoint execution, schema MX_AUDIT_SCHEMA_NAME. */
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
static int where_rest(struct mx_buf *sql, const struct mx_audit_search *q, struct mx_sql_param *ps,
                      json_t **vals, size_t *np)
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
static int query_filtered(struct scratch *s, const struct mx_audit_search *q, const char *head,
                          const char *tail, json_t **rows, struct mx_err *err)
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

static int run_records(struct scratch *s, const struct mx_audit_search *q, json_t **rows, struct mx_err *err)
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
static int run_group(struct scratch *s, const char *col, const struct mx_audit_search *q, json_t **out,
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

static int run_stats(struct scratch *s, const struct mx_audit_search *q, json_t **doc, struct mx_err *err)
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

/* --------------------------------------------------------------- questions */

/* Export the records f selects into a scratch database and run `run`
 * there, one question at a time. */
static int search(struct mx_audit *writer, const char *path, const struct mx_audit_filter *f,
                  const struct mx_audit_search *q,
                  int (*run)(struct scratch *, const struct mx_audit_search *, json_t **, struct mx_err *),
                  json_t **doc, struct mx_err *err)
{
	struct scratch s;
	*doc = NULL;
	pthread_mutex_lock(&search_mu);
	int rc = scratch_open(writer, path, f, &s, err);
	if (rc == 0) {
		rc = run(&s, q, doc, err);
		scratch_close(&s);
	}
	pthread_mutex_unlock(&search_mu);
	return rc;
}

int mx_audit_search_records(struct mx_audit *writer, const char *path, const struct mx_audit_search *q,
                            json_t **rows, struct mx_err *err)
{
	*rows = NULL;
	if (writer == NULL || (q->schema_name && strcmp(q->schema_name, MX_AUDIT_SCHEMA_NAME) != 0)) {
		*rows = json_array();
		return *rows ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	const char *name[1] = {q->operation_name};
	struct mx_audit_filter f = {
	        .tools = name,
	        .ntools = q->operation_name ? 1 : 0,
	        .resources = name,
	        .nresources = q->operation_name ? 1 : 0,
	        .prompts = name,
	        .nprompts = q->operation_name ? 1 : 0,
	        .type = q->operation_type,
	        .status = q->operation_status,
	        .user = q->user_id,
	        .since_ms = q->has_start ? q->start_ms : 0,
	        .limit = -1,
	};
	return search(writer, path, &f, q, run_records, rows, err);
}

int mx_audit_search_stats(struct mx_audit *writer, const char *path, const struct mx_audit_search *q,
                          json_t **doc, struct mx_err *err)
{
	*doc = NULL;
	if (writer == NULL) {
		*doc = empty_stats();
		return *doc ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct mx_audit_filter f = {.since_ms = q->has_start ? q->start_ms : 0, .limit = -1};
	return search(writer, path, &f, q, run_stats, doc, err);
}
