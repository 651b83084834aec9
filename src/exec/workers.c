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
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mx_workers *p = w->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->queued == 0 && !p->stopping)
			pthread_cond_wait(&p->nonempty, &p->mu);
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
	for (int i = 0; i < n && rc == 0; i++) {
		p->w[i].pool = p;
		rc = mx_db_connect(db, &p->w[i].conn, err);
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
	pthread_cond_broadcast(&p->nonempty);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
		mx_dbconn_close(p->w[i].conn);
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
