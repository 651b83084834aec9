/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query — see query.h. The SQL is built from fixed text plus bound
 * parameters ($name) for every filter value; only file paths are inlined,
 * as quoted SQL literals, because read_json and COPY take them as
 * constants.
 */
#include "audit/query.h"

#include "audit/writer.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/time.h"
#include "exec/sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ SQL text */

/* Columns of both layouts; keys a line lacks read as NULL, others are ignored. */
static const char READ_COLUMNS[] =
        "columns={'timestamp':'VARCHAR','caller':'VARCHAR','type':'VARCHAR','name':'VARCHAR',"
        "'input':'JSON','duration_ms':'DOUBLE','policy_decision':'VARCHAR','reason':'VARCHAR',"
        "'status':'VARCHAR','error':'VARCHAR','user_id':'VARCHAR','session_id':'VARCHAR',"
        "'request_id':'VARCHAR','schema_version':'INTEGER','record_id':'VARCHAR','prev_hash':'VARCHAR',"
        "'record_hash':'VARCHAR','operation_type':'VARCHAR','operation_name':'VARCHAR',"
        "'operation_status':'VARCHAR','caller_type':'VARCHAR','input_data':'JSON','output_data':'JSON',"
        "'policy_reason':'VARCHAR','trace_id':'VARCHAR'}";

static const char NORMALISE[] =
        "SELECT make_timestamp(epoch_us(TRY_CAST(\"timestamp\" AS TIMESTAMPTZ))) AS \"timestamp\", "
        "COALESCE(caller, caller_type) AS caller, COALESCE(\"type\", operation_type) AS \"type\", "
        "COALESCE(name, operation_name) AS name, COALESCE(\"input\", input_data) AS \"input\", "
        "duration_ms, COALESCE(policy_decision, 'n/a') AS policy_decision, "
        "COALESCE(reason, policy_reason) AS reason, COALESCE(status, operation_status) AS status, error, "
        "user_id, session_id, request_id, trace_id, output_data AS output, schema_version, record_id, "
        "prev_hash, record_hash, row_number() OVER () AS seq FROM ";

/* Append s as a single-quoted SQL literal. */
static int put_literal(struct mx_buf *b, const char *s)
{
	int rc = mx_buf_putc(b, '\'');
	for (; rc == 0 && *s; s++)
		rc = *s == '\'' ? mx_buf_puts(b, "''") : mx_buf_putc(b, *s);
	return rc ? rc : mx_buf_putc(b, '\'');
}

struct params {
	struct mx_sql_param p[64];
	json_t *v[64];
	char names[64][16];
	size_t n;
};

static int add_param(struct params *ps, struct mx_buf *b, const char *value)
{
	if (ps->n >= 64)
		return MX_ELIMIT;
	size_t i = ps->n++;
	snprintf(ps->names[i], sizeof ps->names[i], "p%zu", i);
	ps->v[i] = json_string(value);
	ps->p[i].name = ps->names[i];
	ps->p[i].value = ps->v[i];
	ps->p[i].type = NULL;
	if (ps->v[i] == NULL)
		return MX_EINVAL;
	return mx_buf_printf(b, "$%s", ps->names[i]);
}

static void free_params(struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		json_decref(ps->v[i]);
	ps->n = 0;
}

/* "(type = 'tool' AND name IN ($a, $b))" for one kind's names. */
static int name_filter(struct params *ps, struct mx_buf *b, const char *kind, const char *const *names,
                       size_t n, int *first)
{
	int rc = 0;
	if (n == 0)
		return 0;
	rc = mx_buf_printf(b, "%s(\"type\" = '%s' AND name IN (", *first ? "" : " OR ", kind);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = (i ? mx_buf_puts(b, ", ") : 0) || add_param(ps, b, names[i]);
	*first = 0;
	return rc ? rc : mx_buf_puts(b, "))");
}

/* SELECT <cols> FROM (<normalised read_json over files>) WHERE <filters>. */
static int build_select(struct mx_buf *b, struct params *ps, char **files, size_t nfiles, const char *cols,
                        const struct mx_audit_filter *f, int with_limit)
{
	int rc = mx_buf_printf(b, "SELECT %s FROM (", cols) || mx_buf_puts(b, NORMALISE) ||
	         mx_buf_puts(b, "read_json([");
	for (size_t i = 0; rc == 0 && i < nfiles; i++)
		rc = (i ? mx_buf_puts(b, ", ") : 0) || put_literal(b, files[i]);
	rc = rc || mx_buf_puts(b, "], format='newline_delimited', ignore_errors=true, ") ||
	     mx_buf_puts(b, READ_COLUMNS) || mx_buf_puts(b, ")) WHERE \"timestamp\" IS NOT NULL");
	if (rc)
		return MX_ELIMIT;
	if (f->ntools || f->nresources || f->nprompts) {
		int first = 1;
		rc = mx_buf_puts(b, " AND (") || name_filter(ps, b, "tool", f->tools, f->ntools, &first) ||
		     name_filter(ps, b, "resource", f->resources, f->nresources, &first) ||
		     name_filter(ps, b, "prompt", f->prompts, f->nprompts, &first) || mx_buf_putc(b, ')');
	}
	if (rc == 0 && f->type)
		rc = mx_buf_puts(b, " AND \"type\" = ") || add_param(ps, b, f->type);
	if (rc == 0 && f->status)
		rc = mx_buf_puts(b, " AND status = ") || add_param(ps, b, f->status);
	if (rc == 0 && f->policy && strcmp(f->policy, "n/a") != 0)
		rc = mx_buf_puts(b, " AND policy_decision = ") || add_param(ps, b, f->policy);
	if (rc == 0 && f->user)
		rc = mx_buf_puts(b, " AND user_id = ") || add_param(ps, b, f->user);
	if (rc == 0 && f->since_ms > 0) {
		char ts[32];
		mx_audit_format_time(f->since_ms, ts);
		ts[23] = '\0'; /* drop the Z: a plain UTC TIMESTAMP */
		rc = mx_buf_puts(b, " AND \"timestamp\" >= CAST(") || add_param(ps, b, ts) ||
		     mx_buf_puts(b, " AS TIMESTAMP)");
	}
	if (rc == 0)
		rc = mx_buf_puts(b, " ORDER BY \"timestamp\" DESC, seq DESC");
	if (rc == 0 && with_limit && f->limit >= 0)
		rc = mx_buf_printf(b, " LIMIT %lld", (long long)f->limit);
	return rc ? MX_ELIMIT : 0;
}

/* ------------------------------------------------------------------ running */

struct session {
	struct mx_db *db;
	struct mx_dbconn *conn;
};

static int session_open(struct session *s, const char *dbpath, struct mx_err *err)
{
	struct mx_db_options o = {.path = dbpath};
	memset(s, 0, sizeof *s);
	int rc = mx_db_open(&o, &s->db, err);
	if (rc == 0 && (rc = mx_db_connect(s->db, &s->conn, err)) == 0)
		mx_dbconn_parse_json(s->conn, 1); /* the records' input/output as values */
	if (rc != 0) {
		mx_db_close(s->db);
		s->db = NULL;
	}
	return rc;
}

static void session_close(struct session *s)
{
	mx_dbconn_close(s->conn);
	mx_db_close(s->db);
}

static const char OUT_COLS[] =
        "strftime(\"timestamp\", '%Y-%m-%dT%H:%M:%S.%gZ') AS \"timestamp\", caller, \"type\", name, "
        "\"input\", duration_ms, policy_decision, reason, status, error, user_id, session_id, request_id, "
        "trace_id, schema_version, record_id, prev_hash, record_hash";

int mx_audit_query(const char *path, const struct mx_audit_filter *f, json_t **rows, struct mx_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	int rc = mx_audit_list_files(path, 1, &files, &nfiles, err);
	*rows = NULL;
	if (rc)
		return rc;
	if (nfiles == 0) {
		mx_audit_free_files(files, nfiles);
		*rows = json_array();
		return *rows ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct mx_buf sql;
	struct params ps = {.n = 0};
	struct session s;
	mx_buf_init(&sql, 4u << 20);
	rc = build_select(&sql, &ps, files, nfiles, OUT_COLS, f, 1);
	if (rc)
		mx_err_set(err, rc, "audit query too large");
	else if ((rc = session_open(&s, ":memory:", err)) == 0) {
		rc = mx_sql_query(s.conn, sql.p, ps.p, ps.n, rows, err);
		session_close(&s);
	}
	free_params(&ps);
	mx_buf_free(&sql);
	mx_audit_free_files(files, nfiles);
	return rc;
}

/* Run SQL whose single row has a count column; *count gets it. */
static int run_count(struct session *s, const char *sql, struct params *ps, int64_t *count,
                     struct mx_err *err)
{
	json_t *rows = NULL;
	int rc = mx_sql_query(s->conn, sql, ps ? ps->p : NULL, ps ? ps->n : 0, &rows, err);
	if (rc == 0 && count) {
		json_t *row = json_array_get(rows, 0);
		const char *k;
		json_t *v;
		*count = 0;
		json_object_foreach (row, k, v)
			if (json_is_integer(v))
				*count = json_integer_value(v);
	}
	json_decref(rows);
	return rc;
}

static const char CSV_COLS[] =
        "strftime(\"timestamp\", '%Y-%m-%dT%H:%M:%S.%gZ') AS \"timestamp\", caller, \"type\", name, "
        "CAST(\"input\" AS VARCHAR) AS \"input\", duration_ms, policy_decision, reason, status, error, "
        "user_id, session_id, request_id, trace_id, schema_version, record_id, prev_hash, record_hash";

int mx_audit_export_csv(const char *path, const struct mx_audit_filter *f, const char *out, int64_t *count,
                        struct mx_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	int rc = mx_audit_list_files(path, 1, &files, &nfiles, err);
	if (rc)
		return rc;
	struct mx_buf sql;
	struct params ps = {.n = 0};
	struct session s;
	mx_buf_init(&sql, 4u << 20);
	*count = 0;
	if (nfiles == 0) {
		/* an empty export still has its header */
		FILE *fp = fopen(out, "w");
		if (fp == NULL)
			rc = mx_err_set(err, MX_EIO, "Cannot write %s: %s", out, strerror(errno));
		else {
			fputs("timestamp,caller,type,name,input,duration_ms,policy_decision,reason,status,"
			      "error,user_id,"
			      "session_id,request_id,trace_id,schema_version,record_id,prev_hash,record_"
			      "hash\n",
			      fp);
			if (fclose(fp) != 0)
				rc = mx_err_set(err, MX_EIO, "Cannot write %s: %s", out, strerror(errno));
		}
	} else if ((rc = mx_buf_puts(&sql, "COPY (")) != 0 ||
	           (rc = build_select(&sql, &ps, files, nfiles, CSV_COLS, f, 0)) != 0 ||
	           (rc = mx_buf_puts(&sql, ") TO ")) != 0 || (rc = put_literal(&sql, out)) != 0 ||
	           (rc = mx_buf_puts(&sql, " (FORMAT csv, HEADER true)")) != 0) {
		rc = mx_err_set(err, MX_ELIMIT, "audit query too large");
	} else if ((rc = session_open(&s, ":memory:", err)) == 0) {
		rc = run_count(&s, sql.p, &ps, count, err);
		session_close(&s);
	}
	free_params(&ps);
	mx_buf_free(&sql);
	mx_audit_free_files(files, nfiles);
	return rc;
}

static const char LOGS_COLS[] = "\"timestamp\", caller, \"type\", name, \"input\", duration_ms, "
                                "policy_decision, reason, status, error, "
                                "user_id, session_id, request_id, trace_id, output, schema_version, "
                                "record_id, prev_hash, record_hash";

static const char AUDIT_LOGS_VIEW[] =
        "CREATE OR REPLACE VIEW audit_logs AS SELECT record_id, \"timestamp\", caller AS caller_type, "
        "\"type\" AS operation_type, name AS operation_name, status AS operation_status, duration_ms, "
        "user_id, session_id, trace_id, request_id, \"input\" AS input_data, output AS output_data, error, "
        "CASE WHEN policy_decision = 'n/a' THEN NULL ELSE policy_decision END AS policy_decision, "
        "reason AS policy_reason, schema_version, prev_hash, record_hash FROM logs";

static const char EMPTY_LOGS[] =
        "CREATE OR REPLACE TABLE logs (\"timestamp\" TIMESTAMP, caller VARCHAR, \"type\" VARCHAR, name "
        "VARCHAR, "
        "\"input\" JSON, duration_ms DOUBLE, policy_decision VARCHAR, reason VARCHAR, status VARCHAR, "
        "error VARCHAR, user_id VARCHAR, session_id VARCHAR, request_id VARCHAR, trace_id VARCHAR, "
        "output JSON, schema_version INTEGER, record_id VARCHAR, prev_hash VARCHAR, record_hash VARCHAR)";

int mx_audit_export_duckdb(const char *path, const struct mx_audit_filter *f, const char *out, int64_t *count,
                           struct mx_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	int rc = mx_audit_list_files(path, 1, &files, &nfiles, err);
	if (rc)
		return rc;
	struct mx_buf sql;
	struct params ps = {.n = 0};
	struct session s;
	mx_buf_init(&sql, 4u << 20);
	*count = 0;
	if (nfiles > 0 && ((rc = mx_buf_puts(&sql, "CREATE OR REPLACE TABLE logs AS ")) != 0 ||
	                   (rc = build_select(&sql, &ps, files, nfiles, LOGS_COLS, f, 0)) != 0)) {
		rc = mx_err_set(err, MX_ELIMIT, "audit query too large");
	} else if ((rc = session_open(&s, out, err)) == 0) {
		rc = run_count(&s, nfiles ? sql.p : EMPTY_LOGS, &ps, NULL, err);
		if (rc == 0)
			rc = run_count(&s, AUDIT_LOGS_VIEW, NULL, NULL, err);
		if (rc == 0)
			rc = run_count(&s, "SELECT count(*) AS n FROM logs", NULL, count, err);
		session_close(&s);
	}
	free_params(&ps);
	mx_buf_free(&sql);
	mx_audit_free_files(files, nfiles);
	return rc;
}

/* ------------------------------------------------------------------- verify */

int mx_audit_parse_time(const char *s, size_t n, int64_t *unix_ms)
{
	int64_t sec;
	int32_t nsec;
	if (mx_time_parse_iso8601(s, n, MX_ISO_SPACE | MX_ISO_ZONE_OPTIONAL | MX_ISO_LEAP_SECOND, &sec,
	                          &nsec))
		return MX_EINVAL;
	*unix_ms = sec * 1000 + nsec / 1000000;
	return 0;
}

/* Last occurrence of needle in [p, p+n). */
static const char *find_last(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = n >= k ? n - k + 1 : 0; i > 0; i--)
		if (memcmp(p + i - 1, needle, k) == 0)
			return p + i - 1;
	return NULL;
}

static int check_line(const char *line, size_t n, const char *expect_prev, int first, char *hash_out,
                      char *reason, size_t rsz, int *anchored)
{
	const char *m = find_last(line, n, MX_AUDIT_HASH_MARKER);
	size_t ml = strlen(MX_AUDIT_HASH_MARKER);
	if (m == NULL) {
		snprintf(reason, rsz, "no record_hash (not a chained record)");
		return 1;
	}
	const char *h = m + ml;
	size_t rest = (size_t)(line + n - h);
	if (rest != MX_AUDIT_HASH_HEX + 2 || !(h[64] == '"' && h[65] == '}')) {
		snprintf(reason, rsz, "malformed record_hash");
		return 1;
	}
	static const char pk[] = ",\"prev_hash\":\"";
	const char *pp = find_last(line, (size_t)(m - line), pk);
	if (pp == NULL || (size_t)(m - (pp + sizeof pk - 1)) != MX_AUDIT_HASH_HEX + 1) {
		snprintf(reason, rsz, "malformed prev_hash");
		return 1;
	}
	char prev[MX_AUDIT_HASH_HEX + 1], calc[MX_AUDIT_HASH_HEX + 1];
	memcpy(prev, pp + sizeof pk - 1, MX_AUDIT_HASH_HEX);
	prev[MX_AUDIT_HASH_HEX] = '\0';
	if (first) {
		*anchored = strcmp(prev, MX_AUDIT_GENESIS_HASH) != 0;
	} else if (strcmp(prev, expect_prev) != 0) {
		snprintf(reason, rsz,
		         "prev_hash does not match the previous record (a record was removed or reordered)");
		return 1;
	}
	if (mx_audit_hash(prev, line, (size_t)(m - line), calc) != 0 ||
	    memcmp(calc, h, MX_AUDIT_HASH_HEX) != 0) {
		snprintf(reason, rsz, "record_hash does not match the record (the line was changed)");
		return 1;
	}
	memcpy(hash_out, calc, sizeof calc);
	return 0;
}

struct verify_ctx {
	struct mx_audit_verify_result *res;
	const char *file;
	char prev[MX_AUDIT_HASH_HEX + 1];
};

static int verify_line(const char *line, size_t len, int64_t lineno, int terminated, void *arg)
{
	struct verify_ctx *v = arg;
	struct mx_audit_verify_result *res = v->res;
	char h[MX_AUDIT_HASH_HEX + 1];
	if (len == 0)
		return 0;
	int bad = !terminated;
	if (bad)
		snprintf(res->reason, sizeof res->reason, "incomplete last line (a torn write)");
	else
		bad = check_line(line, len, v->prev, res->records == 0, h, res->reason, sizeof res->reason,
		                 &res->anchored);
	if (bad) {
		res->ok = 0;
		snprintf(res->broken_file, sizeof res->broken_file, "%s", v->file);
		res->broken_line = lineno;
		return 1;
	}
	memcpy(v->prev, h, sizeof h);
	res->records++;
	return 0;
}

int mx_audit_verify(const char *path, struct mx_audit_verify_result *res, struct mx_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	int rc = mx_audit_list_files(path, 0, &files, &nfiles, err);
	memset(res, 0, sizeof *res);
	res->ok = 1;
	if (rc)
		return rc;
	res->files = nfiles;
	struct verify_ctx v = {.res = res};
	struct mx_buf line;
	mx_buf_init(&line, (size_t)32 << 20);
	for (size_t fi = 0; rc == 0 && res->ok && fi < nfiles; fi++) {
		FILE *fp = fopen(files[fi], "rb");
		if (fp == NULL) {
			rc = mx_err_set(err, MX_EIO, "Cannot read %s: %s", files[fi], strerror(errno));
			break;
		}
		v.file = files[fi];
		int r = mx_audit_read_lines(fp, &line, verify_line, &v);
		fclose(fp);
		if (r < 0)
			rc = mx_err_set(err, r, "Cannot read %s: %s", files[fi],
			                r == MX_ELIMIT ? "a line is longer than 32 MiB" : strerror(errno));
	}
	mx_buf_free(&line);
	mx_audit_free_files(files, nfiles);
	return rc;
}
