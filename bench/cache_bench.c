/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache_bench — the memory backend's eviction policies measured against each
 * other (src/cache/memory.c): S3-FIFO (the default) and LRU, on the same
 * Zipf-distributed key stream (a miss stores the key, as the call path
 * does), at several bounds; then lookups per second with THREADS threads
 * hitting one hot key and a Zipf mix (the hit path's lock behaviour).
 *   ./build/cache_bench [KEYS] [ZIPF_S] [THREADS]
 */
#include "cache/cache.h"
#include "core/alloc.h"
#include "core/time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t nkeys = 100000;
static double zipf_s = 0.99;
static double *cdf;

static size_t pick(unsigned *seed)
{
	double u = (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
	size_t lo = 0, hi = nkeys - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct mx_cache *open_cache(enum mx_cache_policy policy, size_t bytes)
{
	struct mx_cache_options opt = {.backend = MX_CACHE_MEMORY, .max_bytes = bytes, .policy = policy};
	struct mx_cache *c = NULL;
	struct mx_err err;
	if (mx_cache_open(&opt, &c, &err) != 0) {
		fprintf(stderr, "cache_bench: %s\n", err.msg);
		exit(1);
	}
	return c;
}

/* One lookup, and a store on a miss; 1 on a hit. */
static int access_key(struct mx_cache *c, size_t k)
{
	char key[48], *v = NULL;
	size_t vn = 0;
	uint64_t token = 0;
	int kn = snprintf(key, sizeof key, "t\ngreet\n{\"name\":\"user%zu\"}", k);
	if (mx_cache_get(c, 1, key, (size_t)kn, &v, &vn, &token) == 0) {
		mx_free(v);
		return 1;
	}
	static const char value[] = "\"Hello, someone with a longish name!\"";
	mx_cache_put(c, 1, key, (size_t)kn, value, sizeof value - 1, 600, token);
	return 0;
}

static double hit_ratio(enum mx_cache_policy policy, size_t bytes, size_t n)
{
	struct mx_cache *c = open_cache(policy, bytes);
	unsigned seed = 42;
	size_t warm = n / 5, hits = 0;
	for (size_t i = 0; i < n; i++) {
		int h = access_key(c, pick(&seed));
		if (i >= warm)
			hits += (size_t)h;
	}
	mx_cache_close(c);
	return 100.0 * (double)hits / (double)(n - warm);
}

struct worker {
	struct mx_cache *c;
	int hot;
	unsigned seed;
	size_t ops;
	double until;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	while (mx_mono_s() < w->until) {
		for (int i = 0; i < 1000; i++)
			access_key(w->c, w->hot ? 0 : pick(&w->seed));
		w->ops += 1000;
	}
	return NULL;
}

static double throughput(enum mx_cache_policy policy, int threads, int hot)
{
	struct mx_cache *c = open_cache(policy, (size_t)64 << 20);
	for (size_t k = 0; k < nkeys; k++)
		access_key(c, k); /* everything fits: a hit path measurement */
	pthread_t t[64];
	struct worker w[64];
	double t0 = mx_mono_s();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){.c = c, .hot = hot, .seed = 7u + (unsigned)i, .until = t0 + 1.0};
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	size_t ops = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ops += w[i].ops;
	}
	double secs = mx_mono_s() - t0;
	mx_cache_close(c);
	return (double)ops / secs;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nkeys = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		zipf_s = strtod(argv[2], NULL);
	int threads = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2;
	if (nkeys < 10 || threads < 1 || threads > 64)
		return 2;
	cdf = malloc(nkeys * sizeof *cdf);
	double sum = 0;
	for (size_t i = 0; i < nkeys; i++)
		cdf[i] = (sum += 1.0 / pow((double)(i + 1), zipf_s));
	for (size_t i = 0; i < nkeys; i++)
		cdf[i] /= sum;
	/* ~150 bytes an entry: bounds holding ~1%, 5%, 10% and 25% of the keys */
	printf("hit ratio, Zipf s=%.2f over %zu keys, %zu accesses (after a 20%% warm-up)\n", zipf_s, nkeys,
	       nkeys * 20);
	printf("  %-8s %10s %10s\n", "bound", "S3-FIFO", "LRU");
	const double frac[] = {0.01, 0.05, 0.10, 0.25};
	for (size_t i = 0; i < sizeof frac / sizeof *frac; i++) {
		size_t bytes = (size_t)(frac[i] * (double)nkeys * 150.0);
		if (bytes < (size_t)64 * 1024)
			bytes = (size_t)64 * 1024;
		printf("  %5.0f%%   %9.1f%% %9.1f%%\n", frac[i] * 100,
		       hit_ratio(MX_CACHE_S3FIFO, bytes, nkeys * 20),
		       hit_ratio(MX_CACHE_LRU, bytes, nkeys * 20));
	}
	printf("lookups/s with %d threads (everything cached)\n", threads);
	printf("  %-10s %12s %12s\n", "keys", "S3-FIFO", "LRU");
	printf("  %-10s %12.0f %12.0f\n", "one hot", throughput(MX_CACHE_S3FIFO, threads, 1),
	       throughput(MX_CACHE_LRU, threads, 1));
	printf("  %-10s %12.0f %12.0f\n", "Zipf", throughput(MX_CACHE_S3FIFO, threads, 0),
	       throughput(MX_CACHE_LRU, threads, 0));
	free(cdf);
	return 0;
}
