/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workers — a fixed pool of threads that run calls. Each worker owns one
 * DuckDB connection for its whole life (DuckDB connections are not for
 * concurrent use) and takes jobs from a bounded queue, so a slow query never
 * blocks the thread that reads requests.
 *
 * When the workers are at least as many as DuckDB's threads, DuckDB runs no
 * threads of its own (mx_db_lend_threads): a query runs on the worker that
 * issued it, and one that runs past MX_SQL_HELP_AFTER_NS borrows the
 * workers asleep to run its tasks in parallel; a new job calls them back.
 */
#ifndef MX_EXEC_WORKERS_H
#define MX_EXEC_WORKERS_H

#include "core/err.h"
#include "exec/sql.h"

#include <stddef.h>

struct mx_workers;

/* A job runs on a worker with that worker's connection. */
typedef void (*mx_job_fn)(void *arg, struct mx_dbconn *conn);

/* Start n workers (n <= 0: one per CPU, at least 2; at most 64), each connected to db.
 * queue_max bounds the jobs waiting (0: 1024). */
int mx_workers_start(struct mx_db *db, int n, size_t queue_max, struct mx_workers **out, struct mx_err *err);
/* Queue a job; MX_ELIMIT when the queue is full (the job is not run). */
int mx_workers_submit(struct mx_workers *w, mx_job_fn fn, void *arg);
/* Stop taking jobs, run the ones queued, join the threads, close the connections. */
void mx_workers_stop(struct mx_workers *w);
int mx_workers_count(const struct mx_workers *w);
/* Is the queue full (a submit now would fail)? For an early 503. */
int mx_workers_saturated(struct mx_workers *w);
/* Times idle workers were lent to DuckDB for a long query (see sql.h,
 * thread lending), for metrics. */
unsigned long long mx_workers_loans(struct mx_workers *w);
/* Buffer-pool purges run (workers.c: when the memory grew, or every
 * MXCP_DUCKDB_PURGE_EVERY jobs). */
unsigned long long mx_workers_purges(struct mx_workers *w);
/* Jobs waiting plus running, for metrics. */
size_t mx_workers_pending(struct mx_workers *w);

#endif
