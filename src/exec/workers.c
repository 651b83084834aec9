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
 *
 * Buffer-pool purge (MXCP_DUCKDB_PURGE_EVERY=N, off by default; an
 * experiment for bench/soak.sh, see bench/README.md "Memory under sustained
 * load"): DuckDB 1.4/1.5 keep up to 32,768 dead entries per buffer-pool
 * eviction queue, each holding a freed block's bookkeeping. Every N jobs the
 * pool stops taking jobs, and when none runs, one worker sets DuckDB's
 * memory_limit to 1 KB and back: evicting down to that limit walks every
 * queue and drops the dead entries (and evicts the cached blocks, which the
 * next query reads again). With no job running no query can meet the 1 KB
 * limit. A long query (thread lending's begin) calls a pending purge off.
 * Nothing happens when the configuration is locked (SQL tools served).
 */
#include "exec/workers.h"

#include "core/alloc.h"
#include "core/log.h"

#include <duckdb.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* Buffer-pool purge (file comment); purge_every 0: off. */
	unsigned long long done, purge_every, purge_at, purges;
	int purging; /* no job is taken until the purge has run */
	duckdb_connection purge_conn;
	char purge_limit[64]; /* memory_limit to restore */
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

/* One statement on the purge connection; its first value into out (if any). */
static int purge_sql(struct mx_workers *p, const char *sql, char *out, size_t n)
{
	duckdb_result res;
	int rc = duckdb_query(p->purge_conn, sql, &res) == DuckDBSuccess ? 0 : -1;
	if (rc == 0 && out != NULL) {
		rc = -1;
		duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
		if (chunk != NULL && duckdb_data_chunk_get_size(chunk) > 0 &&
		    duckdb_column_type(&res, 0) == DUCKDB_TYPE_VARCHAR) {
			duckdb_string_t *v = duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0));
			uint32_t len = duckdb_string_t_length(*v);
			const char *d = duckdb_string_t_data(v);
			if (len < n && memchr(d, '\'', len) == NULL) {
				memcpy(out, d, len);
				out[len] = '\0';
				rc = 0;
			}
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	duckdb_destroy_result(&res);
	return rc;
}

/* MXCP_DUCKDB_PURGE_EVERY: the purge connection and the exact limit to
 * restore (DuckDB shows memory_limit rounded: it is set to what it shows,
 * so that setting it back is exact). Failing only leaves the purge off. */
static void purge_setup(struct mx_workers *p, struct mx_db *db)
{
	const char *env = getenv("MXCP_DUCKDB_PURGE_EVERY");
	if (env == NULL || *env == '\0')
		return;
	char *end;
	errno = 0;
	unsigned long long every = strtoull(env, &end, 10);
	if (errno || *end != '\0' || every == 0) {
		mx_warn("MXCP_DUCKDB_PURGE_EVERY must be a positive whole number, not '%s': no purge", env);
		return;
	}
	char sql[128];
	if (duckdb_connect(mx_db_duckdb(db), &p->purge_conn) != DuckDBSuccess)
		return;
	if (purge_sql(p, "SELECT current_setting('memory_limit')", p->purge_limit, sizeof p->purge_limit) ||
	    snprintf(sql, sizeof sql, "SET memory_limit = '%s'", p->purge_limit) >= (int)sizeof sql ||
	    purge_sql(p, sql, NULL, 0)) {
		mx_warn("DuckDB's memory_limit cannot be set: no buffer-pool purge");
		duckdb_disconnect(&p->purge_conn);
		return;
	}
	p->purge_every = every;
	p->purge_at = every;
}

/* Run on one worker while no job runs. */
static void purge_run(struct mx_workers *p)
{
	char sql[128];
	purge_sql(p, "SET memory_limit = '1KB'", NULL, 0); /* fails unless all was evicted */
	snprintf(sql, sizeof sql, "SET memory_limit = '%s'", p->purge_limit);
	if (purge_sql(p, sql, NULL, 0))
		mx_error("DuckDB's memory_limit could not be set back to %s", p->purge_limit);
}

/* A query has run MX_SQL_HELP_AFTER_NS: lend it the workers asleep. */
static void help_begin(void *ctx)
{
	struct mx_workers *p = ctx;
	pthread_mutex_lock(&p->mu);
	p->wanting++;
	if (p->purging == 1) { /* not yet begun: call it off */
		p->purging = 0;
		p->purge_at = p->done + p->purge_every;
		pthread_cond_broadcast(&p->nonempty);
	}
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
		while ((p->queued == 0 || p->purging) && !p->stopping) {
			if (p->purging == 1 && p->running == 0) {
				p->purging = 2; /* begun */
				p->running++;
				pthread_mutex_unlock(&p->mu);
				purge_run(p);
				pthread_mutex_lock(&p->mu);
				p->running--;
				p->purging = 0;
				p->purges++;
				p->purge_at = p->done + p->purge_every;
				pthread_cond_broadcast(&p->nonempty);
				continue;
			}
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
		if (p->purge_every && ++p->done >= p->purge_at && !p->purging && p->wanting == 0)
			p->purging = 1;
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
	purge_setup(p, db);
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
	if (p->purge_every) {
		mx_debug("buffer-pool purges: %llu", p->purges);
		duckdb_disconnect(&p->purge_conn);
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

unsigned long long mx_workers_purges(struct mx_workers *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned long long n = p->purges;
	pthread_mutex_unlock(&p->mu);
	return n;
}
