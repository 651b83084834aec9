/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workers — the fixed pool that runs calls (see workers.h).
 *
 * Owns n threads, one DuckDB connection per thread (opened before the pool
 * is reported started, closed by the thread that used it) and a bounded
 * FIFO ring of jobs. Any thread may submit; only workers run jobs.
 *
 * Invariants: `queued` jobs sit in ring[head .. head+queued) (mod cap);
 * `running` counts jobs taken and not finished; once `stopping` is set no
 * job is accepted, and workers exit only when the ring is empty, so every
 * accepted job runs exactly once.
 */
#include "exec/workers.h"

#include "core/alloc.h"

#include <duckdb.h>

#include <pthread.h>
#include <unistd.h>

struct job {
	mx_job_fn fn;
	void *arg;
};

struct worker {
	struct mx_workers *pool;
	pthread_t thread;
	struct mx_dbconn *conn;
	int started;
};

struct mx_workers {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	struct job *ring;
	size_t cap, head, queued, running;
	int stopping;
	struct worker *w;
	int n;
	/* Thread lending (sql.h): DuckDB has no threads of its own; a query
	 * that runs long borrows the idle workers through a task state. */
	struct mx_db *db; /* NULL when DuckDB keeps its threads */
	struct loan *loan; /* the open loan, or NULL */
	int wanting; /* long queries running */
	unsigned long long loans; /* opened, for metrics */
	int waiting; /* workers asleep on `nonempty` */
};

/* Idle workers executing DuckDB's tasks until the loan is called back. */
struct loan {
	duckdb_task_state state;
	int inside; /* workers in duckdb_execute_tasks_state */
	int over; /* called back: the last worker out frees it */
};

static void loan_free(struct loan *l)
{
	duckdb_destroy_task_state(l->state);
	mx_free(l);
}

/* Call the loan back: its workers leave DuckDB after the task at hand.
 * Caller holds p->mu. */
static void loan_end_locked(struct mx_workers *p)
{
	struct loan *l = p->loan;
	if (l == NULL)
		return;
	p->loan = NULL;
	l->over = 1;
	duckdb_finish_execution(l->state);
	if (l->inside == 0)
		loan_free(l);
}

/* Open a loan when a long query runs and no job waits (a failure to
 * allocate one only costs parallelism). Caller holds p->mu. */
static void loan_open_locked(struct mx_workers *p)
{
	if (p->loan != NULL || p->wanting == 0 || p->queued > 0 || p->stopping)
		return;
	struct loan *l = mx_calloc(1, sizeof *l);
	if (l != NULL && (l->state = duckdb_create_task_state(mx_db_duckdb(p->db))) != NULL) {
		p->loan = l;
		p->loans++;
	} else
		mx_free(l);
}

/* A query has run MX_SQL_HELP_AFTER_NS: lend it the workers asleep. */
static void help_begin(void *ctx)
{
	struct mx_workers *p = ctx;
	pthread_mutex_lock(&p->mu);
	p->wanting++;
	if (p->waiting > 0) {
		loan_open_locked(p);
		if (p->loan != NULL)
			pthread_cond_broadcast(&p->nonempty);
	}
	pthread_mutex_unlock(&p->mu);
}

static void help_end(void *ctx)
{
	struct mx_workers *p = ctx;
	pthread_mutex_lock(&p->mu);
	if (--p->wanting == 0)
		loan_end_locked(p);
	pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mx_workers *p = w->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->queued == 0 && !p->stopping) {
			loan_open_locked(p); /* again, after a job called the last one back */
			struct loan *l = p->loan; /* never one called back: that is unlinked */
			if (l != NULL) {
				l->inside++;
				pthread_mutex_unlock(&p->mu);
				duckdb_execute_tasks_state(l->state);
				pthread_mutex_lock(&p->mu);
				if (--l->inside == 0 && l->over)
					loan_free(l);
				continue;
			}
			p->waiting++;
			pthread_cond_wait(&p->nonempty, &p->mu);
			p->waiting--;
		}
		if (p->queued == 0)
			break; /* stopping and drained */
		struct job j = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		j.fn(j.arg, w->conn);
		pthread_mutex_lock(&p->mu);
		p->running--;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int default_count(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = cpus > 0 ? cpus : 2;
	if (n < 2)
		n = 2;
	if (n > 64)
		n = 64;
	return (int)n;
}

int mx_workers_start(struct mx_db *db, int n, size_t queue_max, struct mx_workers **out, struct mx_err *err)
{
	*out = NULL;
	if (n <= 0)
		n = default_count();
	if (n > 64)
		n = 64;
	struct mx_workers *p = mx_calloc(1, sizeof *p);
	if (p == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	p->cap = queue_max ? queue_max : 1024;
	p->ring = mx_calloc(p->cap, sizeof *p->ring);
	p->w = mx_calloc((size_t)n, sizeof *p->w);
	if (p->ring == NULL || p->w == NULL) {
		mx_free(p->ring);
		mx_free(p->w);
		mx_free(p);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->nonempty, NULL);
	p->n = n;
	int rc = 0;
	int lend = mx_db_lend_threads(db, n, err);
	if (lend < 0)
		rc = lend;
	else if (lend == 1)
		p->db = db;
	struct mx_sql_helper help = {help_begin, help_end, p};
	for (int i = 0; i < n && rc == 0; i++) {
		p->w[i].pool = p;
		rc = mx_db_connect(db, &p->w[i].conn, err);
		if (rc == 0 && p->db != NULL)
			mx_dbconn_set_helper(p->w[i].conn, &help);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0)
			rc = mx_err_set(err, MX_EINTERNAL, "cannot start worker thread");
		else
			p->w[i].started = 1;
	}
	if (rc) {
		mx_workers_stop(p);
		return rc;
	}
	*out = p;
	return 0;
}

int mx_workers_submit(struct mx_workers *p, mx_job_fn fn, void *arg)
{
	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->queued == p->cap) {
		pthread_mutex_unlock(&p->mu);
		return MX_ELIMIT;
	}
	p->ring[(p->head + p->queued) % p->cap] = (struct job){fn, arg};
	p->queued++;
	if (p->waiting == 0)
		loan_end_locked(p); /* the lent workers come back for it */
	pthread_cond_signal(&p->nonempty);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void mx_workers_stop(struct mx_workers *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	loan_end_locked(p);
	pthread_cond_broadcast(&p->nonempty);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
		mx_dbconn_close(p->w[i].conn);
	}
	if (p->db != NULL) {
		struct mx_err err;
		mx_db_lend_threads(p->db, 0, &err); /* DuckDB's own threads again */
	}
	pthread_cond_destroy(&p->nonempty);
	pthread_mutex_destroy(&p->mu);
	mx_free(p->ring);
	mx_free(p->w);
	mx_free(p);
}

int mx_workers_count(const struct mx_workers *p)
{
	return p->n;
}

int mx_workers_saturated(struct mx_workers *p)
{
	pthread_mutex_lock(&p->mu);
	int full = p->queued >= p->cap;
	pthread_mutex_unlock(&p->mu);
	return full;
}

size_t mx_workers_pending(struct mx_workers *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->queued + p->running;
	pthread_mutex_unlock(&p->mu);
	return n;
}

unsigned long long mx_workers_loans(struct mx_workers *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned long long n = p->loans;
	pthread_mutex_unlock(&p->mu);
	return n;
}
