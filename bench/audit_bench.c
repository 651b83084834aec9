/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_bench — throughput of the audit writer and the cost of one
 * mx_audit_log call as the server pays it (redaction, serialisation,
 * enqueue). Usage: audit_bench [records] [threads] [fsync: never|interval|always]
 * Writes to a temporary folder and removes it afterwards.
 */
#include "audit/writer.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct worker {
	struct mx_audit *a;
	long n;
	double *lat; /* per-call seconds */
	long failed;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	json_t *input = json_pack("{s:s, s:i, s:[s,s]}", "city", "Zurich", "limit", 10, "tags", "a", "b");
	struct mx_audit_record r = {.caller = "http",
	                            .type = "tool",
	                            .name = "weather_forecast",
	                            .input = input,
	                            .duration_ms = 12.5,
	                            .policy_decision = "allow",
	                            .status = "success",
	                            .user_id = "alice",
	                            .session_id = "s-1",
	                            .request_id = "42"};
	for (long i = 0; i < w->n; i++) {
		double t0 = now_s();
		if (mx_audit_log(w->a, &r) != 0)
			w->failed++;
		w->lat[i] = now_s() - t0;
	}
	json_decref(input);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	int threads = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 4;
	const char *mode = argc > 3 ? argv[3] : "interval";
	if (n <= 0 || threads <= 0 || threads > 64)
		return 2;
	mx_alloc_init_jansson();
	char dir[] = "/tmp/mxcp-audit-bench-XXXXXX", path[256];
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/bench.jsonl", dir);
	struct mx_audit_options o = {.path = path,
	                             .fsync = !strcmp(mode, "always")  ? MX_AUDIT_FSYNC_ALWAYS
	                                      : !strcmp(mode, "never") ? MX_AUDIT_FSYNC_NEVER
	                                                               : MX_AUDIT_FSYNC_INTERVAL,
	                             .queue_size = 65536,
	                             .block_timeout_ms = 60000};
	struct mx_audit *a = NULL;
	if (mx_audit_open(&o, &a, NULL) != 0)
		return 1;
	struct worker w[64];
	pthread_t t[64];
	long per = n / threads;
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){.a = a, .n = per, .lat = calloc((size_t)per, sizeof(double))};
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	long failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		failed += w[i].failed;
	}
	double t_enq = now_s() - t0;
	mx_audit_flush(a, -1);
	double t_all = now_s() - t0;
	struct mx_audit_stats st;
	mx_audit_get_stats(a, &st);
	mx_audit_close(a);

	long total = per * threads;
	double *all = calloc((size_t)total, sizeof(double));
	for (int i = 0; i < threads; i++) {
		memcpy(all + (long)i * per, w[i].lat, (size_t)per * sizeof(double));
		free(w[i].lat);
	}
	qsort(all, (size_t)total, sizeof(double), cmp_d);
	printf("audit_bench: %ld records, %d threads, fsync=%s\n", total, threads, mode);
	printf("  sustained: %.0f records/s written (%.3f s, %llu bytes, %llu fsyncs, %llu blocked calls)\n",
	       (double)st.written / t_all, t_all, st.bytes, st.fsyncs, st.blocked);
	printf("  enqueue:   %.0f calls/s; latency per call p50 %.2f us, p99 %.2f us, max %.1f us\n",
	       (double)total / t_enq, all[total / 2] * 1e6, all[(long)(total * 0.99)] * 1e6,
	       all[total - 1] * 1e6);
	printf("  failed calls: %ld\n", failed);
	free(all);
	unlink(path);
	rmdir(dir);
	return 0;
}
