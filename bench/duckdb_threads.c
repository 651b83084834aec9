/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duckdb_threads — what DuckDB's `threads` setting (MXCP_DUCKDB_THREADS)
 * does to the two kinds of query an MCP server runs, through the same
 * mx_sql_query path the server uses (typed parameters, statement cache):
 *   - a one-row SELECT ($n + 1), sequential, µs per call;
 *   - a point lookup on a 5M-row table, µs per call;
 *   - a GROUP BY over the 5M rows, ms per call.
 * Each with threads = 1, 2, … up to the core count (and DuckDB's default).
 *   ./build/duckdb_threads
 */
#include "core/alloc.h"
#include "exec/sql.h"
#include "model/types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds per call of sql with $n bound to an integer. */
static double per_call(struct mx_dbconn *c, const char *sql, int calls)
{
	struct mx_type tint = {.kind = MX_T_INTEGER};
	json_t *n = json_integer(0);
	struct mx_sql_param p = {.name = "n", .value = n, .type = &tint};
	double t0 = 0;
	for (int i = -3; i < calls; i++) { /* three warm-up calls */
		if (i == 0)
			t0 = now();
		json_integer_set(n, i < 0 ? 1 : i);
		json_t *rows = NULL;
		struct mx_err err;
		if (mx_sql_query(c, sql, &p, 1, &rows, &err) != 0) {
			fprintf(stderr, "duckdb_threads: %s\n", err.msg);
			exit(1);
		}
		json_decref(rows);
	}
	json_decref(n);
	return (now() - t0) / calls;
}

static void run(const char *threads)
{
	if (threads)
		setenv("MXCP_DUCKDB_THREADS", threads, 1);
	else
		unsetenv("MXCP_DUCKDB_THREADS");
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_db *db;
	struct mx_dbconn *c;
	struct mx_err err;
	if (mx_db_open(&opt, &db, &err) != 0 || mx_db_connect(db, &c, &err) != 0) {
		fprintf(stderr, "duckdb_threads: %s\n", err.msg);
		exit(1);
	}
	json_t *rows = NULL;
	if (mx_sql_query(
	            c,
	            "CREATE TABLE big AS SELECT range AS i, range % 1000 AS g, (range * 7919) % 10007 AS v "
	            "FROM range(5000000)",
	            NULL, 0, &rows, &err) != 0) {
		fprintf(stderr, "duckdb_threads: %s\n", err.msg);
		exit(1);
	}
	json_decref(rows);
	printf("threads %-8s one-row %6.1f us   point lookup %7.1f us   group-by 5M rows %6.1f ms\n",
	       threads ? threads : "default", per_call(c, "SELECT $n + 1 AS n", 20000) * 1e6,
	       per_call(c, "SELECT v FROM big WHERE i = $n", 200) * 1e6,
	       per_call(c, "SELECT g, avg(v) AS a FROM big WHERE i > $n GROUP BY g", 20) * 1e3);
	mx_dbconn_close(c);
	mx_db_close(db);
}

int main(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[24];
	for (long t = 1; t <= cores && t <= 64; t *= 2) {
		snprintf(buf, sizeof buf, "%ld", t);
		run(buf);
	}
	run(NULL);
	return 0;
}
