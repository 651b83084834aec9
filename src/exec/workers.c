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
 * Buffer-pool purge (see docs/operations.md, "Memory"). DuckDB 1.4/1.5
 * keep up to 32,768 dead entries per buffer-pool eviction queue (eight
 * queues), each holding a freed temporary block's bookkeeping (~200 bytes
 * of glibc heap); a query with a hash join frees several such blocks, so a
 * server of small queries grows by 30-50 MB that DuckDB never gives back.
 * Evicting down to a 1 KB memory_limit walks every queue and drops the
 * dead entries, and also evicts the cached table blocks, which the next
 * queries read again. So the pool purges at the pace the bookkeeping
 * piles up, and only when the cached blocks are few:
 *
 *   - every PURGE_CHECK_EVERY jobs the worker that ends one looks: a purge
 *     is due once `purge_growth` (MXCP_DUCKDB_PURGE_GROWTH, 8 MB; 0: never)
 *     of bookkeeping has piled up again — each purge measures what it freed
 *     (glibc's heap in use, before and after) over the jobs since the one
 *     before, which sets the jobs until the next (the pace) — or, for the
 *     first one and for work that changed, once the process's anonymous
 *     resident memory (/proc/self/statm) grew by `purge_growth` since the
 *     last purge;
 *   - the pool then stops taking jobs; when none runs, one worker takes the
 *     database's gate alone (sql.h; a statement elsewhere holding it puts
 *     the purge off) and asks DuckDB what its buffers hold: more than
 *     `purge_growth` of the file's blocks (a database whose cache matters),
 *     or data only in memory (an in-memory database, temporary tables, rows
 *     not yet checkpointed, the indexes of a database opened read-write: an
 *     eviction would write them to temporary files), and it is put off;
 *   - the purge: memory_limit to 1 KB and back to what it was, then
 *     malloc_trim once the pool runs again. A due purge waits at most
 *     PURGE_DRAIN_NS for the jobs running to end, else it is called off
 *     until the next look.
 *
 * MXCP_DUCKDB_PURGE_EVERY=N purges every N jobs whatever the measure (for
 * bench/soak.sh). No query meets the 1 KB limit: no job runs, and the
 * statements on other connections wait at the gate. A long query (thread
 * lending's begin) calls a pending purge off. Nothing happens once the
 * configuration is locked (SQL tools served).
 */
#include "exec/workers.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

#include <duckdb.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
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
	/* Buffer-pool purge (file comment). */
	struct mx_db *gate_db;
	int purge_on; /* purge_conn open: purges possible */
	unsigned long long done, purge_every, purge_at, check_at, purges;
	size_t purge_growth; /* 0: no automatic purge */
	size_t anon_base; /* anonymous resident bytes after the last purge or look */
	unsigned long long purged_done; /* `done` at the last purge */
	unsigned long long pace; /* jobs between purges, learned (0: not yet) */
	int statm; /* /proc/self/statm, or -1 */
	int checking; /* a worker reads statm */
	int purging; /* 1: due, no job is taken; 2: running */
	uint64_t purge_due_ns; /* when it became due (mx_mono_ns) */
	duckdb_connection purge_conn;
	char purge_limit[64]; /* the memory_limit to restore, as last set */
	char purge_shown[64]; /* and as DuckDB shows it then */
};

/* Jobs between two looks at the process's memory; the bounds of the pace. */
#define PURGE_CHECK_EVERY 256
#define PURGE_PACE_MAX (1ULL << 20)
/* How long a due purge waits for the jobs running to end before it is
 * called off (until the next look): it never holds the queue longer. */
#define PURGE_DRAIN_NS 25000000ULL
#define PURGE_GROWTH_DEFAULT (8u << 20)
/* Buffers other than the file's blocks a purge may evict (a few small
 * allocations DuckDB keeps between queries); more, and it is put off. */
#define PURGE_OTHER_MAX (256u << 10)

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

/* One statement on the purge connection; its first value, a VARCHAR
 * without quotes, into out (if any). */
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

/* What DuckDB's buffer manager holds between queries: the blocks of the
 * database file (its tables, metadata, and its indexes when it is opened
 * read-only), which an eviction drops and a query reads again, into
 * *cached; everything else (an in-memory database, temporary tables, rows
 * not yet checkpointed, indexes of a database that can change, a remote
 * file cache), which an eviction would write to DuckDB's temporary
 * directory or fetch again, into *other. -1 when DuckDB does not answer. */
static int duckdb_buffers(struct mx_workers *p, size_t *cached, size_t *other)
{
	char v[64];
	unsigned long long c, o;
	/* an index's blocks come from the file too when nothing can change it */
	if (purge_sql(p,
	              "WITH m AS (SELECT memory_usage_bytes AS n, tag IN ('BASE_TABLE', 'METADATA') OR "
	              "(tag = 'ART_INDEX' AND current_setting('access_mode') = 'read_only') AS file FROM "
	              "duckdb_memory()) SELECT coalesce(sum(n) FILTER (file), 0) || ' ' || "
	              "coalesce(sum(n) FILTER (NOT file), 0) FROM m",
	              v, sizeof v) ||
	    sscanf(v, "%llu %llu", &c, &o) != 2)
		return -1;
	*cached = (size_t)c;
	*other = (size_t)o;
	return 0;
}

/* The process's anonymous resident memory in bytes (resident minus the
 * file-backed pages: statm's second and third fields), 0 when unknown. */
static size_t anon_resident(struct mx_workers *p)
{
	char b[128];
	ssize_t n = p->statm >= 0 ? pread(p->statm, b, sizeof b - 1, 0) : -1;
	if (n <= 0)
		return 0;
	b[n] = '\0';
	unsigned long long size, resident, shared;
	if (sscanf(b, "%llu %llu %llu", &size, &resident, &shared) != 3 || shared > resident)
		return 0;
	return (size_t)((resident - shared) * (unsigned long long)sysconf(_SC_PAGESIZE));
}

/* A size in bytes, with an optional KB/MB/GB (1024-based) suffix. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	unsigned long long mul = 1;
	if (strcasecmp(end, "KB") == 0)
		mul = 1ULL << 10;
	else if (strcasecmp(end, "MB") == 0)
		mul = 1ULL << 20;
	else if (strcasecmp(end, "GB") == 0)
		mul = 1ULL << 30;
	else if (*end != '\0' && strcasecmp(end, "B") != 0)
		return -1;
	if (v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/* Set memory_limit to what DuckDB showed (before the 1 KB). DuckDB shows
 * it rounded (to 0.1 of its unit) and reads that text as a slightly
 * different value, so the first setting, at start, moves the limit by up
 * to that rounding; the text is kept, and while DuckDB shows what it
 * left, later restores set the same text: the limit does not drift. A
 * limit changed since (SET memory_limit in a tool) is taken up. */
static int limit_restore(struct mx_workers *p, const char *shown)
{
	char sql[128];
	if (!(p->purge_shown[0] && strcmp(shown, p->purge_shown) == 0))
		snprintf(p->purge_limit, sizeof p->purge_limit, "%s", shown);
	snprintf(sql, sizeof sql, "SET memory_limit = '%s'", p->purge_limit);
	if (purge_sql(p, sql, NULL, 0) ||
	    purge_sql(p, "SELECT current_setting('memory_limit')", p->purge_shown, sizeof p->purge_shown)) {
		mx_error("DuckDB's memory_limit could not be set back to %s", p->purge_limit);
		p->purge_shown[0] = '\0';
		return -1;
	}
	return 0;
}

/* The purge's settings and connection. Failing only leaves it off. */
static void purge_setup(struct mx_workers *p, struct mx_db *db)
{
	p->statm = -1;
	p->gate_db = db;
	const char *every_env = getenv("MXCP_DUCKDB_PURGE_EVERY");
	const char *growth_env = getenv("MXCP_DUCKDB_PURGE_GROWTH");
	unsigned long long every = 0;
	size_t growth = PURGE_GROWTH_DEFAULT;
	if (every_env != NULL && *every_env != '\0') {
		char *end;
		errno = 0;
		every = strtoull(every_env, &end, 10);
		if (errno || *end != '\0' || every == 0 || *every_env == '-') {
			mx_warn("MXCP_DUCKDB_PURGE_EVERY must be a positive whole number, not '%s': ignored",
			        every_env);
			every = 0;
		}
	}
	if (growth_env != NULL && *growth_env != '\0' && parse_size(growth_env, &growth)) {
		mx_warn("MXCP_DUCKDB_PURGE_GROWTH must be a size such as 8MB (0: off), not '%s': 8MB",
		        growth_env);
		growth = PURGE_GROWTH_DEFAULT;
	}
	if (growth > 0)
		p->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (growth > 0 && p->statm < 0) {
		mx_debug("no /proc/self/statm: no buffer-pool purge unless MXCP_DUCKDB_PURGE_EVERY is set");
		growth = 0;
	}
	if (every == 0 && growth == 0)
		return;
	if (duckdb_connect(mx_db_duckdb(db), &p->purge_conn) != DuckDBSuccess) {
		mx_warn("no DuckDB connection for the buffer-pool purge: none will run");
		return;
	}
	char shown[64];
	if (purge_sql(p, "SELECT current_setting('memory_limit')", shown, sizeof shown) ||
	    limit_restore(p, shown)) {
		mx_warn("DuckDB's memory_limit cannot be set: no buffer-pool purge");
		duckdb_disconnect(&p->purge_conn);
		return;
	}
	p->purge_on = 1;
	p->purge_every = every;
	p->purge_at = every;
	p->purge_growth = growth;
	p->check_at = PURGE_CHECK_EVERY;
	p->anon_base = anon_resident(p);
}

/* Run on one worker while no job runs, `done` jobs ended so far: 1 when it
 * purged, -1 when no purge can ever run (the configuration is locked). */
static int purge_run(struct mx_workers *p, unsigned long long done)
{
	if (mx_db_config_locked(p->gate_db))
		return -1;
	if (!mx_db_gate_try_close(p->gate_db))
		return 0; /* a statement runs elsewhere: at the next look */
	char shown[64];
	int purged = 0;
	size_t held = 0, other = 0;
	unsigned long long jobs = done - p->purged_done;
	if (!p->purge_every &&
	    (duckdb_buffers(p, &held, &other) || held > p->purge_growth || other > PURGE_OTHER_MAX)) {
		/* it would evict (and the next queries read again) more than the
		 * budget, or write data held in memory out to temporary files */
		mx_debug(
		        "buffer-pool purge put off: DuckDB holds %zu KB of file blocks, %zu KB of other data",
		        held >> 10, other >> 10);
		p->anon_base = anon_resident(p);
		p->purged_done = done;
	} else if (purge_sql(p, "SELECT current_setting('memory_limit')", shown, sizeof shown) == 0) {
		size_t before = mallinfo2().uordblks;
		/* Evicting down to 1 KB walks every queue. DuckDB refuses the
		 * limit when it cannot evict everything, but keeps the setting
		 * (1.4.4): it is set back either way. */
		purge_sql(p, "SET memory_limit = '1KB'", NULL, 0);
		limit_restore(p, shown);
		size_t after = mallinfo2().uordblks;
		size_t freed = before > after ? before - after : 0;
		/* the next one when as much has piled up again, at this pace */
		unsigned long long pace =
		        freed ? (unsigned long long)p->purge_growth * jobs / freed : PURGE_PACE_MAX;
		p->pace = pace < PURGE_CHECK_EVERY ? PURGE_CHECK_EVERY
		          : pace > PURGE_PACE_MAX  ? PURGE_PACE_MAX
		                                   : pace;
		p->purged_done = done;
		purged = 1;
		mx_debug("buffer-pool purge: %zu KB freed after %llu calls (DuckDB's buffers held %zu KB); "
		         "the next after %llu calls",
		         freed >> 10, jobs, held >> 10, p->pace);
	}
	mx_db_gate_open(p->gate_db);
	return purged;
}

/* After a purge, with the pool running again: the freed heap back to the
 * system, and the measures the next purge starts from. */
static void purge_settle(struct mx_workers *p)
{
	malloc_trim(0);
	size_t anon = anon_resident(p);
	pthread_mutex_lock(&p->mu);
	p->anon_base = anon;
	pthread_mutex_unlock(&p->mu);
}

/* A purge due and not begun is called off, or did not run: the next
 * try comes PURGE_CHECK_EVERY jobs later. Caller holds p->mu. */
static void purge_call_off_locked(struct mx_workers *p)
{
	p->purging = 0;
	p->purge_at = p->done + p->purge_every;
	p->check_at = p->done + PURGE_CHECK_EVERY;
	pthread_cond_broadcast(&p->nonempty);
}

static void purge_set_due_locked(struct mx_workers *p)
{
	p->purging = 1;
	p->purge_due_ns = mx_mono_ns();
}

/* After a job: is a purge due (forced by count, or the memory grew)? The
 * look at statm is made without the lock. Caller holds p->mu. */
static void purge_due_locked(struct mx_workers *p)
{
	if (p->purge_every) {
		if (p->done >= p->purge_at)
			purge_set_due_locked(p);
		return;
	}
	if (p->purge_growth == 0 || p->done < p->check_at)
		return;
	p->check_at = p->done + PURGE_CHECK_EVERY;
	if (p->pace && p->done - p->purged_done >= p->pace) {
		purge_set_due_locked(p);
		return;
	}
	p->checking = 1;
	pthread_mutex_unlock(&p->mu);
	size_t anon = anon_resident(p);
	pthread_mutex_lock(&p->mu);
	p->checking = 0;
	if (anon >= p->anon_base + p->purge_growth && !p->purging && p->wanting == 0)
		purge_set_due_locked(p);
}

/* A query has run MX_SQL_HELP_AFTER_NS: lend it the workers asleep. */
static void help_begin(void *ctx)
{
	struct mx_workers *p = ctx;
	pthread_mutex_lock(&p->mu);
	p->wanting++;
	if (p->purging == 1) /* not yet begun */
		purge_call_off_locked(p);
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
				unsigned long long done = p->done;
				pthread_mutex_unlock(&p->mu);
				int purged = purge_run(p, done);
				pthread_mutex_lock(&p->mu);
				p->running--;
				purge_call_off_locked(p); /* over: the next looks from here */
				if (purged < 0)
					p->purge_on = 0;
				else
					p->purges += (unsigned long long)purged;
				if (purged > 0) {
					pthread_mutex_unlock(&p->mu);
					purge_settle(p);
					pthread_mutex_lock(&p->mu);
				}
				continue;
			}
			if (p->purging == 1) { /* due: the jobs running end, or it is called off */
				uint64_t until = p->purge_due_ns + PURGE_DRAIN_NS;
				if (mx_mono_ns() >= until) {
					purge_call_off_locked(p);
					continue;
				}
				struct timespec ts = {(time_t)(until / 1000000000ULL),
				                      (long)(until % 1000000000ULL)};
				p->waiting++;
				pthread_cond_timedwait(&p->nonempty, &p->mu, &ts);
				p->waiting--;
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
		p->done++;
		if (p->purge_on && !p->purging && !p->checking && p->wanting == 0)
			purge_due_locked(p);
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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* mx_mono_ns's, for the purge's drain */
	pthread_cond_init(&p->nonempty, &ca);
	pthread_condattr_destroy(&ca);
	p->n = n;
	p->statm = -1;
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
		if (rc == 0)
			mx_dbconn_set_pooled(p->w[i].conn);
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
	if (p->purge_on) {
		mx_debug("buffer-pool purges: %llu", p->purges);
		duckdb_disconnect(&p->purge_conn);
	}
	if (p->statm >= 0)
		close(p->statm);
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
