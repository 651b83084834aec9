/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cel_bench — nanoseconds per evaluation of a typical policy condition,
 *   user.role != 'admin' && customer_id != user.customer_id
 * with an activation shaped like a tool call's (the user object plus a few
 * arguments), compiled once and evaluated many times on one thread. Also
 * reports the cost of building the activation from JSON, which a call pays
 * once for all its policies.
 *
 * Build and run:  cmake --build build --target cel_bench && ./build/cel_bench [iterations]
 * (not run by ctest).
 */
#include "core/alloc.h"
#include "cel/cel.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	if (iters <= 0)
		iters = 2000000;
	mx_alloc_init_jansson();
	const char *expr = "user.role != 'admin' && customer_id != user.customer_id";
	const char *ctx =
	        "{\"user\": {\"user_id\": \"u-123\", \"username\": \"ann\", \"email\": "
	        "\"ann@example.com\", \"name\": \"Ann\", \"provider\": \"github\", \"role\": \"user\", "
	        "\"permissions\": [\"read\", \"write\"], \"capabilities\": [], \"customer_id\": 42}, "
	        "\"customer_id\": 42, \"start_date\": \"2024-01-01\", \"limit\": 100}";
	struct mx_err err;
	struct mx_cel_program *p;
	if (mx_cel_compile(expr, &p, &err)) {
		fprintf(stderr, "compile: %s\n", err.msg);
		return 1;
	}
	json_t *j = json_loads(ctx, 0, NULL);
	struct mx_cel_activation *a;
	if (j == NULL || mx_cel_activation_from_json(j, &a, &err)) {
		fprintf(stderr, "activation failed\n");
		return 1;
	}
	long hits = 0;
	bool b = false;
	for (long i = 0; i < iters / 10; i++) /* warm up */
		hits += mx_cel_eval_bool(p, a, &b, &err) == 0 && !b;
	double t0 = now_ns();
	for (long i = 0; i < iters; i++)
		hits += mx_cel_eval_bool(p, a, &b, &err) == 0 && !b;
	double t1 = now_ns();
	long act_iters = iters / 20 + 1;
	double t2 = now_ns();
	for (long i = 0; i < act_iters; i++) {
		struct mx_cel_activation *x;
		if (mx_cel_activation_from_json(j, &x, &err) == 0)
			hits++;
		mx_cel_activation_free(x);
	}
	double t3 = now_ns();
	double t4 = now_ns();
	for (long i = 0; i < act_iters; i++) {
		struct mx_cel_program *q;
		if (mx_cel_compile(expr, &q, &err) == 0)
			hits++;
		mx_cel_program_free(q);
	}
	double t5 = now_ns();
	printf("expression: %s\n", expr);
	printf("eval:       %.1f ns/op (%ld iterations)\n", (t1 - t0) / (double)iters, iters);
	printf("activation: %.1f ns/op (from JSON, once per call)\n", (t3 - t2) / (double)act_iters);
	printf("compile:    %.1f ns/op (once per load)\n", (t5 - t4) / (double)act_iters);
	printf("(checksum %ld)\n", hits);
	mx_cel_activation_free(a);
	mx_cel_program_free(p);
	json_decref(j);
	return 0;
}
