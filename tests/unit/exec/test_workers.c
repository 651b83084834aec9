/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/exec/workers.c: every job runs once, on a worker's own connection, concurrently; the bound;
 * lending idle workers to DuckDB for a long query, and calling them back for a new job. */
#include "harness.h"

#include "core/alloc.h"
#include "exec/workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct counter {
	pthread_mutex_t mu;
	int runs;
	struct mx_dbconn *seen[64];
	int nseen;
	int concurrent, max_concurrent;
	int sleep_ms;
};

static void job(void *arg, struct mx_dbconn *conn)
{
	struct counter *c = arg;
	assert_non_null(conn);
	pthread_mutex_lock(&c->mu);
	c->runs++;
	c->concurrent++;
	if (c->concurrent > c->max_concurrent)
		c->max_concurrent = c->concurrent;
	int known = 0;
	for (int i = 0; i < c->nseen; i++)
		known |= c->seen[i] == conn;
	if (!known && c->nseen < 64)
		c->seen[c->nseen++] = conn;
	pthread_mutex_unlock(&c->mu);
	json_t *rows = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_sql_query(conn, "SELECT 1 AS one", NULL, 0, &rows, &err));
	json_decref(rows);
	if (c->sleep_ms) {
		struct timespec ts = {0, c->sleep_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&c->mu);
	c->concurrent--;
	pthread_mutex_unlock(&c->mu);
}

/* A database: the file at path, or in memory (NULL). */
static struct mx_db *open_db(const char *path)
{
	struct mx_db *db = NULL;
	struct mx_db_options opt = {.path = path ? path : ":memory:"};
	struct mx_err err;
	assert_int_equal(0, mx_db_open(&opt, &db, &err));
	return db;
}

/* The first column of the first row sql answers, on a new connection
 * (a new reference). */
static json_t *query_value(struct mx_db *db, const char *sql)
{
	struct mx_dbconn *c = NULL;
	struct mx_err err;
	json_t *rows = NULL;
	assert_int_equal(0, mx_db_connect(db, &c, &err));
	assert_int_equal(0, mx_sql_query(c, sql, NULL, 0, &rows, &err));
	json_t *row = json_array_get(rows, 0);
	json_t *v = json_incref(json_object_iter_value(json_object_iter(row)));
	assert_non_null(v);
	json_decref(rows);
	mx_dbconn_close(c);
	return v;
}

static long long query_number(struct mx_db *db, const char *sql)
{
	json_t *v = query_value(db, sql);
	long long n = json_integer_value(v);
	json_decref(v);
	return n;
}

/* Two workers on db, started with the environment variable name set to
 * value (NULL: as it is). */
static struct mx_workers *start_with(struct mx_db *db, const char *name, const char *value)
{
	struct mx_err err;
	struct mx_workers *w = NULL;
	if (value != NULL)
		setenv(name, value, 1);
	assert_int_equal(0, mx_workers_start(db, 2, 0, &w, &err));
	if (value != NULL)
		unsetenv(name);
	return w;
}

static void test_runs_everything(void **state)
{
	(void)state;
	struct mx_db *db = open_db(NULL);
	struct mx_err err;
	struct mx_workers *w = NULL;
	assert_int_equal(0, mx_workers_start(db, 4, 0, &w, &err));
	assert_int_equal(4, mx_workers_count(w));
	struct counter c = {.sleep_ms = 20};
	pthread_mutex_init(&c.mu, NULL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(0, mx_workers_submit(w, job, &c));
	mx_workers_stop(w); /* runs what is queued first */
	assert_int_equal(16, c.runs);
	assert_int_equal(4, c.nseen);
	assert_true(c.max_concurrent > 1);
	pthread_mutex_destroy(&c.mu);
	mx_db_close(db);
}

struct gate {
	pthread_mutex_t mu;
	int started;
};

static void blocker(void *arg, struct mx_dbconn *conn)
{
	(void)conn;
	struct gate *g = arg;
	__atomic_store_n(&g->started, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* A blocker job that holds a worker until g->mu is unlocked; returns once
 * the worker runs it (10 s at most). */
static void hold_a_worker(struct mx_workers *w, struct gate *g)
{
	g->started = 0;
	pthread_mutex_init(&g->mu, NULL);
	pthread_mutex_lock(&g->mu);
	assert_int_equal(0, mx_workers_submit(w, blocker, g));
	for (int i = 0; i < 2000 && !__atomic_load_n(&g->started, __ATOMIC_SEQ_CST); i++) {
		struct timespec ts = {0, 5000000L};
		nanosleep(&ts, NULL);
	}
	assert_true(__atomic_load_n(&g->started, __ATOMIC_SEQ_CST));
}

static void test_queue_bound(void **state)
{
	(void)state;
	struct mx_db *db = open_db(NULL);
	struct mx_err err;
	struct mx_workers *w = NULL;
	assert_int_equal(0, mx_workers_start(db, 1, 2, &w, &err));
	struct gate gate;
	hold_a_worker(w, &gate);
	int accepted = 0;
	while (mx_workers_submit(w, blocker, &gate) == 0)
		accepted++;
	assert_int_equal(2, accepted);
	assert_int_equal(3, mx_workers_pending(w));
	assert_int_equal(MX_ELIMIT, mx_workers_submit(w, blocker, &gate));
	pthread_mutex_unlock(&gate.mu);
	mx_workers_stop(w);
	pthread_mutex_destroy(&gate.mu);
	mx_db_close(db);
}

/* Thread lending: a long query, and a short one sent while it runs. */
struct lend {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *sql;
	long long got; /* the query's one value */
	int done;
	int order; /* when it finished: 1 first, 2 second */
	int *finished;
	int rc;
};

static void lend_job(void *arg, struct mx_dbconn *conn)
{
	struct lend *l = arg;
	json_t *rows = NULL;
	struct mx_err err;
	int rc = mx_sql_query(conn, l->sql, NULL, 0, &rows, &err);
	long long v = -1;
	if (rc == 0) {
		v = json_integer_value(json_object_get(json_array_get(rows, 0), "n"));
	}
	json_decref(rows);
	pthread_mutex_lock(&l->mu);
	l->rc = rc;
	l->got = v;
	l->done = 1;
	l->order = ++*l->finished;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void lend_wait(struct lend *l)
{
	pthread_mutex_lock(&l->mu);
	while (!l->done)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

static void lend_init(struct lend *l, const char *sql, int *finished)
{
	memset(l, 0, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->sql = sql;
	l->finished = finished;
}

static void lend_destroy(struct lend *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

/* DuckDB's external_threads, read on a new connection. */
static long long external_threads(struct mx_db *db)
{
	return query_number(db, "SELECT current_setting('external_threads')::BIGINT");
}

#define LONG_SQL "SELECT count(*) AS n FROM range(40000000) t(i) WHERE hash(i) % 7 = 0"
#define SHORT_SQL "SELECT 41 + 1 AS n"

/* An in-memory database with `threads` DuckDB threads (DuckDB's own
 * until a pool starts) and a pool of `workers` on it. */
static void open_pool(const char *threads, int workers, struct mx_db **db, struct mx_workers **w)
{
	setenv("MXCP_DUCKDB_THREADS", threads, 1);
	*db = open_db(NULL);
	struct mx_err err;
	assert_int_equal(1, external_threads(*db));
	assert_int_equal(0, mx_workers_start(*db, workers, 0, w, &err));
}

static void test_lends_idle_workers(void **state)
{
	(void)state;
	struct mx_db *db;
	struct mx_workers *w;
	open_pool("2", 2, &db, &w);
	/* DuckDB runs no thread of its own: both are the workers. */
	assert_int_equal(2, external_threads(db));
	int finished = 0;
	struct lend longq, shortq;
	lend_init(&longq, LONG_SQL, &finished);
	lend_init(&shortq, SHORT_SQL, &finished);
	/* A short query alone borrows nothing. */
	assert_int_equal(0, mx_workers_submit(w, lend_job, &shortq));
	lend_wait(&shortq);
	assert_int_equal(0, shortq.rc);
	assert_int_equal(42, shortq.got);
	assert_int_equal(0, (long long)mx_workers_loans(w));
	/* The long one borrows the idle worker once it has run a while. */
	assert_int_equal(0, mx_workers_submit(w, lend_job, &longq));
	for (int i = 0; i < 2000 && mx_workers_loans(w) == 0; i++) {
		struct timespec ts = {0, 1000000L};
		nanosleep(&ts, NULL);
	}
	assert_true(mx_workers_loans(w) >= 1);
	/* A job sent now calls the lent worker back: it ends first. */
	finished = 0;
	shortq.done = 0;
	assert_int_equal(0, mx_workers_submit(w, lend_job, &shortq));
	lend_wait(&shortq);
	lend_wait(&longq);
	assert_int_equal(0, shortq.rc);
	assert_int_equal(42, shortq.got);
	assert_int_equal(1, shortq.order);
	assert_int_equal(2, longq.order);
	assert_int_equal(0, longq.rc);
	/* hash(i) % 7 over 40M rows: the count DuckDB gives without lending. */
	assert_int_equal(query_number(db, LONG_SQL), longq.got);
	mx_workers_stop(w);
	/* DuckDB has its threads back. */
	assert_int_equal(1, external_threads(db));
	lend_destroy(&longq);
	lend_destroy(&shortq);
	mx_db_close(db);
	unsetenv("MXCP_DUCKDB_THREADS");
}

/* Fewer workers than DuckDB's threads: DuckDB keeps its own. */
static void test_no_lending_when_outnumbered(void **state)
{
	(void)state;
	struct mx_db *db;
	struct mx_workers *w;
	open_pool("3", 2, &db, &w);
	assert_int_equal(1, external_threads(db));
	int finished = 0;
	struct lend q;
	lend_init(&q, "SELECT count(*) AS n FROM range(3000000) t(i) WHERE hash(i) % 7 = 0", &finished);
	assert_int_equal(0, mx_workers_submit(w, lend_job, &q));
	lend_wait(&q);
	assert_int_equal(0, q.rc);
	assert_true(q.got > 0);
	assert_int_equal(0, (long long)mx_workers_loans(w));
	mx_workers_stop(w);
	lend_destroy(&q);
	mx_db_close(db);
	unsetenv("MXCP_DUCKDB_THREADS");
}

/* Wait (up to 5 s) until c has run n jobs. */
static void wait_runs(struct counter *c, int n)
{
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&c->mu);
		int runs = c->runs;
		pthread_mutex_unlock(&c->mu);
		if (runs >= n)
			return;
		struct timespec ts = {0, 1000000L};
		nanosleep(&ts, NULL);
	}
}

static const char *memory_limit(struct mx_db *db)
{
	static char out[64];
	json_t *v = query_value(db, "SELECT current_setting('memory_limit')");
	snprintf(out, sizeof out, "%s", json_string_value(v));
	json_decref(v);
	return out;
}

/* MXCP_DUCKDB_PURGE_EVERY=N: every N jobs one purge runs while no job does;
 * every job still runs once and DuckDB's memory_limit is what it was. */
static void test_purge_every(void **state)
{
	(void)state;
	struct mx_db *db = open_db(NULL);
	char before[64];
	snprintf(before, sizeof before, "%s", memory_limit(db));
	struct mx_workers *w = start_with(db, "MXCP_DUCKDB_PURGE_EVERY", "4");
	/* the pool sets the limit to DuckDB's rounded display of it (one step
	 * of 0.1 of its unit at most, docs/operations.md), then restores
	 * exactly that after each purge */
	char orig[64], *unit_b, *unit_a;
	snprintf(orig, sizeof orig, "%s", before);
	snprintf(before, sizeof before, "%s", memory_limit(db));
	double a = strtod(orig, &unit_b), b = strtod(before, &unit_a);
	assert_string_equal(unit_b, unit_a);
	assert_true(b > a - 0.11 && b < a + 0.11);
	struct counter c = {.sleep_ms = 1};
	pthread_mutex_init(&c.mu, NULL);
	for (int i = 0; i < 40; i++)
		assert_int_equal(0, mx_workers_submit(w, job, &c));
	wait_runs(&c, 40);
	assert_true(mx_workers_purges(w) >= 1);
	mx_workers_stop(w);
	assert_int_equal(40, c.runs);
	assert_int_equal(0, c.concurrent);
	assert_string_equal(before, memory_limit(db));
	pthread_mutex_destroy(&c.mu);
	mx_db_close(db);
}

/* By default a purge runs only when the memory grew: a few small jobs run none. */
static void test_no_purge_without_growth(void **state)
{
	(void)state;
	struct mx_db *db = open_db(NULL);
	struct mx_err err;
	struct mx_workers *w = NULL;
	assert_int_equal(0, mx_workers_start(db, 2, 0, &w, &err));
	struct counter c = {0};
	pthread_mutex_init(&c.mu, NULL);
	for (int i = 0; i < 40; i++)
		assert_int_equal(0, mx_workers_submit(w, job, &c));
	wait_runs(&c, 40);
	assert_int_equal(0, (long long)mx_workers_purges(w));
	mx_workers_stop(w);
	assert_int_equal(40, c.runs);
	pthread_mutex_destroy(&c.mu);
	mx_db_close(db);
}

/* A hash join frees temporary blocks whose bookkeeping DuckDB keeps in its
 * eviction queues (workers.c, the purge). */
#define JOIN_SQL "SELECT a.i FROM t a JOIN t b ON a.i = b.i WHERE a.g = 1 LIMIT 5"

struct runs {
	pthread_mutex_t mu;
	int runs, failed;
	const char *sql;
};

static void sql_job(void *arg, struct mx_dbconn *conn)
{
	struct runs *r = arg;
	json_t *rows = NULL;
	struct mx_err err;
	int rc = mx_sql_query(conn, r->sql, NULL, 0, &rows, &err);
	json_decref(rows);
	pthread_mutex_lock(&r->mu);
	r->runs++;
	r->failed += rc != 0;
	pthread_mutex_unlock(&r->mu);
}

static int runs_done(struct runs *r)
{
	pthread_mutex_lock(&r->mu);
	int n = r->runs;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* n jobs of r->sql, at most a queue's worth at a time. */
static void run_jobs(struct mx_workers *w, struct runs *r, int n)
{
	for (int sent = 0; sent < n;) {
		int batch = n - sent < 512 ? n - sent : 512;
		for (int i = 0; i < batch; i++)
			assert_int_equal(0, mx_workers_submit(w, sql_job, r));
		sent += batch;
		while (runs_done(r) < sent) {
			struct timespec ts = {0, 200000L};
			nanosleep(&ts, NULL);
		}
	}
}

/* The table the join reads, in a database file (reopened: its blocks are
 * then the file's, which DuckDB can all evict) or in memory (path NULL). */
static struct mx_db *join_db(const char *path)
{
	struct mx_db *db = open_db(path);
	query_number(db, "CREATE TABLE t AS SELECT i, i % 7 AS g FROM range(1000) r(i)");
	if (path != NULL) {
		mx_db_close(db);
		db = open_db(path);
	}
	return db;
}

/* The process's anonymous resident memory in bytes (statm: resident minus
 * file-backed), what the purge watches. */
static size_t anon_now(void)
{
	unsigned long long size = 0, resident = 0, shared = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	assert_int_equal(3, fscanf(f, "%llu %llu %llu", &size, &resident, &shared));
	fclose(f);
	return (size_t)((resident - shared) * (unsigned long long)sysconf(_SC_PAGESIZE));
}

struct joins {
	size_t grew; /* the anonymous memory's growth */
	unsigned long long purges;
	long long spilled; /* DuckDB's temporary files */
};

/* 20,000 joins on two workers with MXCP_DUCKDB_PURGE_GROWTH = growth (NULL:
 * the default); with `big`, a table of 100,000 rows more in the in-memory
 * database, which a purge would have to write out. */
static struct joins run_joins(const char *growth, int big)
{
	struct mx_db *db = join_db(NULL);
	if (big)
		query_number(db, "CREATE TABLE big AS SELECT i, 'row ' || i AS s FROM range(100000) r(i)");
	struct mx_workers *w = start_with(db, "MXCP_DUCKDB_PURGE_GROWTH", growth);
	struct runs r = {.sql = JOIN_SQL};
	pthread_mutex_init(&r.mu, NULL);
	struct joins j = {0};
	size_t before = anon_now();
	run_jobs(w, &r, 20000);
	size_t after = anon_now();
	j.grew = after > before ? after - before : 0;
	j.purges = mx_workers_purges(w);
	mx_workers_stop(w);
	j.spilled = query_number(db, "SELECT count(*) FROM duckdb_temporary_files()");
	assert_int_equal(0, r.failed);
	pthread_mutex_destroy(&r.mu);
	mx_db_close(db);
	return j;
}

/* run_joins in a process of its own (this program again, see main), so
 * that no case reuses memory another one freed. */
static struct joins joins_in_child(const char *growth, int big)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "/proc/%ld/exe --joins %s %d", (long)getpid(), growth ? growth : "default",
	         big);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	unsigned long long grew = 0;
	struct joins j = {0};
	assert_int_equal(3, fscanf(f, "%llu %llu %lld", &grew, &j.purges, &j.spilled));
	assert_int_equal(0, pclose(f));
	j.grew = (size_t)grew;
	return j;
}

/* By default the pool purges when the process's memory grew by 8 MB and
 * DuckDB's buffers are smaller than that growth: the bookkeeping DuckDB
 * keeps (> 20 MB after these joins without purges) stays bounded. */
static void test_purge_when_memory_grows(void **state)
{
	(void)state;
	struct joins off = joins_in_child("0", 0);
	struct joins on = joins_in_child(NULL, 0);
	print_message("anonymous memory grew %zu KB without purges, %zu KB with %llu purges\n",
	              off.grew >> 10, on.grew >> 10, on.purges);
	assert_int_equal(0, (long long)off.purges);
	assert_true(on.purges >= 1);
#ifndef __SANITIZE_ADDRESS__ /* the sanitizer's quarantine grows memory on its own */
	assert_true(off.grew > (20u << 20));
	assert_true(on.grew < off.grew / 3 * 2);
#endif
}

/* Data DuckDB holds in memory (here an in-memory database's table) would be
 * written to its temporary directory by a purge: none runs, nothing is
 * written. */
static void test_no_purge_over_data_in_memory(void **state)
{
	(void)state;
	struct joins j = joins_in_child(NULL, 1);
	assert_int_equal(0, (long long)j.purges);
	assert_int_equal(0, j.spilled);
}

/* While purges set DuckDB's memory_limit to 1 KB, a statement on a
 * connection outside the pool (/ready, a reload) waits at the gate or puts
 * the purge off: it never meets the limit. */
struct outside {
	struct mx_db *db;
	atomic_int stop;
	int runs, failed;
	char msg[256];
};

static void *outside_main(void *arg)
{
	struct outside *o = arg;
	struct mx_dbconn *c = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_db_connect(o->db, &c, &err));
	while (!atomic_load(&o->stop)) {
		json_t *rows = NULL;
		if (mx_sql_query(c, "SELECT i FROM range(5000) r(i) ORDER BY i DESC LIMIT 3", NULL, 0, &rows,
		                 &err) != 0) {
			if (o->failed++ == 0)
				snprintf(o->msg, sizeof o->msg, "%.200s", err.msg);
		}
		json_decref(rows);
		o->runs++;
		struct timespec ts = {0, 200000L}; /* leave the purges room */
		nanosleep(&ts, NULL);
	}
	mx_dbconn_close(c);
	return NULL;
}

static void test_purge_gate(void **state)
{
	(void)state;
	/* in a file, every block can be evicted: DuckDB takes the 1 KB limit
	 * (in memory, the table's blocks stay and the SET fails harmlessly) */
	char dir[] = "/tmp/mxcp-workers-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/gate.duckdb", dir);
	struct mx_db *db = join_db(path);
	struct mx_workers *w = start_with(db, "MXCP_DUCKDB_PURGE_EVERY", "2");
	char limit_started[64];
	snprintf(limit_started, sizeof limit_started, "%s", memory_limit(db));
	struct outside o = {.db = db};
	pthread_t t;
	assert_int_equal(0, pthread_create(&t, NULL, outside_main, &o));
	struct runs r = {.sql = "SELECT count(*) FROM t"};
	pthread_mutex_init(&r.mu, NULL);
	run_jobs(w, &r, 3000);
	atomic_store(&o.stop, 1);
	pthread_join(t, NULL);
	unsigned long long purges = mx_workers_purges(w);
	mx_workers_stop(w);
	print_message("%llu purges, %d outside statements\n", purges, o.runs);
	/* here DuckDB evicts everything and takes the 1 KB limit: it is set
	 * back to what it was after the start, however many purges ran */
	assert_string_equal(limit_started, memory_limit(db));
	assert_true(purges >= 10);
	assert_true(o.runs > 0);
	if (o.failed)
		fail_msg("%d of %d outside statements failed: %s", o.failed, o.runs, o.msg);
	assert_int_equal(0, r.failed);
	pthread_mutex_destroy(&r.mu);
	mx_db_close(db);
	unlink(path);
	rmdir(dir);
}

/* A purge due while a job runs on: it is called off after a short drain,
 * and the other worker takes the next jobs while that job still runs (the
 * queue is never held for the length of a call). */
static void test_purge_never_holds_the_queue(void **state)
{
	(void)state;
	struct mx_db *db = join_db(NULL);
	struct mx_workers *w = start_with(db, "MXCP_DUCKDB_PURGE_EVERY", "1");
	struct gate gate;
	hold_a_worker(w, &gate);
	/* each of these ends a job, so a purge is due after each one */
	struct runs r = {.sql = "SELECT 1"};
	pthread_mutex_init(&r.mu, NULL);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(0, mx_workers_submit(w, sql_job, &r));
		for (int t = 0; t < 2000 && runs_done(&r) <= i; t++) { /* 10 s at most */
			struct timespec ts = {0, 5000000L};
			nanosleep(&ts, NULL);
		}
		assert_int_equal(i + 1, runs_done(&r));
	}
	assert_int_equal(0, (long long)mx_workers_purges(w)); /* none could run */
	pthread_mutex_unlock(&gate.mu);
	mx_workers_stop(w);
	assert_int_equal(0, r.failed);
	pthread_mutex_destroy(&r.mu);
	pthread_mutex_destroy(&gate.mu);
	mx_db_close(db);
}

int main(int argc, char **argv)
{
	mx_alloc_init_jansson();
	if (argc == 4 && strcmp(argv[1], "--joins") == 0) { /* joins_in_child */
		struct joins j =
		        run_joins(strcmp(argv[2], "default") == 0 ? NULL : argv[2], argv[3][0] == '1');
		printf("%zu %llu %lld\n", j.grew, j.purges, j.spilled);
		return 0;
	}
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_runs_everything),
	        cmocka_unit_test(test_queue_bound),
	        cmocka_unit_test(test_lends_idle_workers),
	        cmocka_unit_test(test_no_lending_when_outnumbered),
	        cmocka_unit_test(test_purge_every),
	        cmocka_unit_test(test_no_purge_without_growth),
	        cmocka_unit_test(test_purge_when_memory_grows),
	        cmocka_unit_test(test_purge_gate),
	        cmocka_unit_test(test_purge_never_holds_the_queue),
	        cmocka_unit_test(test_no_purge_over_data_in_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
