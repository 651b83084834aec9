/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/exec/workers.c: every job runs once, on a worker's own connection, concurrently; the bound. */
#include "harness.h"

#include "core/alloc.h"
#include "exec/workers.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

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

static void test_runs_everything(void **state)
{
	(void)state;
	struct mx_db *db = NULL;
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err;
	assert_int_equal(0, mx_db_open(&opt, &db, &err));
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

static void test_queue_bound(void **state)
{
	(void)state;
	struct mx_db *db = NULL;
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err;
	assert_int_equal(0, mx_db_open(&opt, &db, &err));
	struct mx_workers *w = NULL;
	assert_int_equal(0, mx_workers_start(db, 1, 2, &w, &err));
	struct gate gate = {.started = 0};
	pthread_mutex_init(&gate.mu, NULL);
	pthread_mutex_lock(&gate.mu);
	assert_int_equal(0, mx_workers_submit(w, blocker, &gate));
	/* wait until the worker holds the first job */
	for (int i = 0; i < 200 && !__atomic_load_n(&gate.started, __ATOMIC_SEQ_CST); i++) {
		struct timespec ts = {0, 5000000L};
		nanosleep(&ts, NULL);
	}
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

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_runs_everything),
	        cmocka_unit_test(test_queue_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
