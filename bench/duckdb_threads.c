/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duckdb_threads — what DuckDB's `threads` setting (MXCP_DUCKDB_THREADS)
 * does to the two kinds of query an MCP server runs, through the same
 * mx_sql_query path the server uses (typed parameters, statement cache):
 *   - a one-row SELECT ($n + 1), sequential, µs per call;
 *   - a point lookup on a 5M-row table, µs per call;
 *   - a GROUP BY over the 5M rows, ms per call.
 * Each with threads = 1, 2, … up to the core count (and DuckDB's default),
 * then as `mxcp serve` runs them: on a worker of a pool as large as DuckDB's
 * threads, which DuckDB then lends its parallel work to (exec/workers.h).
 *   ./build/duckdb_threads
 */
#include "core/alloc.h"
#include "exec/sql.h"
#include "exec/workers.h"
#include "types/types.h"

#include <jansson.h>
#include <pthread.h>
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

/* The three measures on one connection; printed with a label. */
static void measure(struct mx_dbconn *c, const char *label)
{
	printf("%-24s one-row %6.1f us   point lookup %7.1f us   group-by 5M rows %6.1f ms\n", label,
	       per_call(c, "SELECT $n + 1 AS n", 20000) * 1e6,
	       per_call(c, "SELECT v FROM big WHERE i = $n", 200) * 1e6,
	       per_call(c, "SELECT g, avg(v) AS a FROM big WHERE i > $n GROUP BY g", 20) * 1e3);
}

struct served {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *label;
	int done;
};

static void served_job(void *arg, struct mx_dbconn *c)
{
	struct served *s = arg;
	measure(c, s->label);
	pthread_mutex_lock(&s->mu);
	s->done = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* threads: MXCP_DUCKDB_THREADS (NULL: DuckDB's default); served: measure on
 * a worker of a pool of that many workers, as `mxcp serve` does. */
static void run(const char *threads, int served)
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
	char label[64];
	snprintf(label, sizeof label, "threads %s%s", threads ? threads : "default",
	         served ? ", served" : "");
	if (!served) {
		measure(c, label);
	} else {
		struct mx_workers *w;
		if (mx_workers_start(db, mx_db_threads(), 0, &w, &err) != 0) {
			fprintf(stderr, "duckdb_threads: %s\n", err.msg);
			exit(1);
		}
		struct served s = {.label = label};
		pthread_mutex_init(&s.mu, NULL);
		pthread_cond_init(&s.cv, NULL);
		if (mx_workers_submit(w, served_job, &s) != 0)
			exit(1);
		pthread_mutex_lock(&s.mu);
		while (!s.done)
			pthread_cond_wait(&s.cv, &s.mu);
		pthread_mutex_unlock(&s.mu);
		printf("%-24s (%llu loans of idle workers to DuckDB)\n", "", mx_workers_loans(w));
		mx_workers_stop(w);
		pthread_cond_destroy(&s.cv);
		pthread_mutex_destroy(&s.mu);
	}
	mx_dbconn_close(c);
	mx_db_close(db);
}

int main(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[24];
	for (long t = 1; t <= cores && t <= 64; t *= 2) {
		snprintf(buf, sizeof buf, "%ld", t);
		run(buf, 0);
	}
	run(NULL, 0);
	run(NULL, 1);
	return 0;
}
