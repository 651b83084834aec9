/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot — build, write and read MXCP drift snapshots (see snapshot.h).
 *
 * Single-threaded: used by `mxcp drift-snapshot` and `mxcp drift-check` on
 * the CLI's thread with one DuckDB connection of its own. Every JSON value
 * is built with jansson and written with the JSON writer (core/json.h).
 */
#include "drift/snapshot.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/time.h"
#include "exec/validate.h"
#include "quality/test_runner.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

void mx_drift_now_iso(char out[40])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	mx_time_format_iso8601(out, 40, tv.tv_sec, (int32_t)tv.tv_usec * 1000, 6, MX_ISO_ZONE_OFFSET);
}

/* ------------------------------------------------------------------ tables */

static const char TABLES_SQL[] = "SELECT t.table_name AS name, c.column_name AS col, c.data_type AS type "
                                 "FROM information_schema.tables t JOIN information_schema.columns c "
                                 "ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema "
                                 "AND c.table_name = t.table_name "
                                 "WHERE t.table_schema = 'main' AND t.table_catalog = current_database() "
                                 "ORDER BY t.table_name, c.ordinal_position";

static int snapshot_tables(struct mx_dbconn *conn, json_t **out, struct mx_err *err)
{
	json_t *rows = NULL;
	int rc = mx_sql_query(conn, TABLES_SQL, NULL, 0, &rows, err);
	if (rc)
		return rc;
	json_t *tables = json_array();
	json_t *cur = NULL;
	const char *cur_name = NULL;
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		if (name == NULL)
			continue;
		if (cur_name == NULL || strcmp(cur_name, name) != 0) {
			cur = json_pack("{s:s, s:[]}", "name", name, "columns");
			json_array_append_new(tables, cur);
			cur_name = name;
		}
		json_array_append_new(json_object_get(cur, "columns"),
		                      json_pack("{s:O, s:O}", "name", json_object_get(row, "col"), "type",
		                                json_object_get(row, "type")));
	}
	json_decref(rows);
	*out = tables;
	return tables ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* --------------------------------------------------------------- resources */

/* The endpoint's tests, run through the test runner (the call path a served
 * call takes), as MXCP records them. Invalid endpoints are not run. */
static json_t *test_results(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                            int valid)
{
	if (json_array_size(ep->tests) == 0)
		return json_pack("{s:s, s:i, s:b}", "status", "ok", "tests_run", 0, "no_tests", 1);
	if (!valid)
		return json_pack("{s:s, s:i, s:s}", "status", "error", "tests_run", 0, "message",
		                 "tests not run: the endpoint is invalid");
	struct mx_test_options opt = {0};
	return mx_test_run_endpoint(rt, conn, ep, &opt);
}

static json_t *endpoint_entry(struct mx_runtime *rt, const struct mx_endpoint *ep, struct mx_dbconn *conn,
                              struct mx_err *err)
{
	struct mx_err verr;
	mx_err_clear(&verr);
	json_t *validation = json_pack("{s:s, s:s}", "status", "ok", "path", ep->relpath);
	if (mx_validate_endpoint(ep, conn, &verr) != 0) {
		json_object_set_new(validation, "status", json_string("error"));
		json_object_set_new(validation, "message", json_string(verr.msg));
	}
	json_t *def = mx_endpoint_definition(ep, err);
	if (def == NULL) {
		json_decref(validation);
		return NULL;
	}
	int valid = strcmp(json_string_value(json_object_get(validation, "status")), "ok") == 0;
	return json_pack("{s:o, s:o, s:o}", "validation_results", validation, "test_results",
	                 test_results(rt, conn, ep, valid), "definition", def);
}

static int cmp_path(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *px = json_string_value(json_object_get(json_object_get(x, "validation_results"), "path"));
	const char *py = json_string_value(json_object_get(json_object_get(y, "validation_results"), "path"));
	return strcmp(px ? px : "", py ? py : "");
}

static int snapshot_resources(struct mx_project *p, struct mx_runtime *rt, struct mx_dbconn *conn,
                              json_t **out, struct mx_err *err)
{
	size_t n = p->nendpoints + p->nfailures, k = 0;
	json_t **v = mx_calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->nendpoints; i++)
		if ((v[k] = endpoint_entry(rt, p->endpoints[i], conn, err)) == NULL)
			rc = err->code ? err->code : mx_err_set(err, MX_ENOMEM, "out of memory");
		else
			k++;
	for (size_t i = 0; rc == 0 && i < p->nfailures; i++)
		v[k++] = json_pack("{s:{s:s, s:s, s:s}}", "validation_results", "status", "error", "path",
		                   p->failures[i].relpath, "message", p->failures[i].err.msg);
	qsort(v, k, sizeof *v, cmp_path);
	json_t *arr = json_array();
	for (size_t i = 0; i < k; i++)
		if (rc == 0)
			json_array_append_new(arr, v[i]);
		else
			json_decref(v[i]);
	mx_free(v);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int mx_drift_snapshot_generate(struct mx_project *p, struct mx_runtime *rt, json_t **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_dbconn *conn = NULL;
	int rc = mx_db_connect(mx_runtime_db(rt), &conn, err);
	if (rc)
		return rc;
	json_t *tables = NULL, *resources = NULL;
	rc = snapshot_tables(conn, &tables, err);
	if (rc == 0)
		rc = snapshot_resources(p, rt, conn, &resources, err);
	mx_dbconn_close(conn);
	if (rc) {
		json_decref(tables);
		return rc;
	}
	char now[40];
	mx_drift_now_iso(now);
	*out = json_pack("{s:i, s:s, s:o, s:o}", "version", MX_DRIFT_SNAPSHOT_VERSION, "generated_at", now,
	                 "tables", tables, "resources", resources);
	return *out ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------- files */

int mx_drift_snapshot_write(const char *path, const json_t *snap, struct mx_err *err)
{
	char failed[PATH_MAX];
	if (mx_fs_mkdir_parent(path, 0755, failed, sizeof failed) != 0) {
		if (errno == ENAMETOOLONG)
			return mx_err_set(err, MX_ELIMIT, "path too long: %s", path);
		return mx_err_set(err, MX_EIO, "cannot create %s: %s", failed, strerror(errno));
	}
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_json_dump(&b, snap, MX_JSON_PRETTY) || mx_buf_append(&b, "\n", 1)) {
		mx_buf_free(&b);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	int rc = mx_fs_write_atomic(path, b.p, b.len, 0644);
	int saved = errno;
	mx_buf_free(&b);
	if (rc != 0)
		return mx_err_set(err, MX_EIO, "cannot write drift snapshot %s: %s", path, strerror(saved));
	return 0;
}

int mx_drift_snapshot_load(const char *path, json_t **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_buf b;
	mx_buf_init(&b, 256u << 20);
	int rc = mx_buf_read_file(&b, path);
	if (rc) {
		mx_buf_free(&b);
		if (rc == MX_ENOTFOUND)
			return mx_err_set(err, MX_ENOTFOUND, "Snapshot file not found: %s", path);
		return mx_err_set(err, rc, "cannot read snapshot %s: %s", path, strerror(errno));
	}
	json_error_t jerr;
	json_t *v = json_loadb(b.p, b.len, 0, &jerr);
	mx_buf_free(&b);
	if (v == NULL)
		return mx_err_set(err, MX_EINVAL, "Invalid JSON in snapshot file %s: %s (line %d)", path,
		                  jerr.text, jerr.line);
	const json_t *ver = json_object_get(v, "version");
	if (ver != NULL && !(json_is_integer(ver) && json_integer_value(ver) == MX_DRIFT_SNAPSHOT_VERSION)) {
		/* MXCP's message, the version shown as Python prints it */
		char *shown = json_is_string(ver)    ? mx_strdup(json_string_value(ver))
		              : json_is_boolean(ver) ? mx_strdup(json_is_true(ver) ? "True" : "False")
		              : json_is_null(ver)    ? mx_strdup("None")
		                                     : mx_json_dumps(ver, MX_JSON_SPACED);
		mx_err_set(err, MX_EINVAL, "Unsupported snapshot version: %s", shown ? shown : "?");
		mx_free(shown);
		json_decref(v);
		return MX_EINVAL;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) != MX_DRIFT_SNAPSHOT_VERSION ||
	    !json_is_array(json_object_get(v, "tables")) || !json_is_array(json_object_get(v, "resources"))) {
		json_decref(v);
		return mx_err_set(err, MX_EINVAL,
		                  "Invalid snapshot file %s: expected version 1 with tables and resources",
		                  path);
	}
	*out = v;
	return 0;
}
