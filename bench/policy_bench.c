/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_bench — nanoseconds per call of policy enforcement as mx_invoke
 * pays it (src/policy/policy.c), on one thread:
 *   input   the typical input rule
 *             user.role != 'admin' && customer_id != user.customer_id
 *           including building the `user` object from the caller's context
 *           and the activation from the converted arguments + user;
 *   output  a typical `filter_fields` (two keys) on a 100-row result,
 *           including the activation with `user`; the rows are copied
 *           fresh for every call outside the timed section (a real call's
 *           rows come fresh from DuckDB), and only the enforcement is timed.
 * Both report the mean and the fastest call (the mean moves with the
 * machine's load; the fastest is the cost itself).
 *
 * Build and run:  cmake --build build --target policy_bench && ./build/policy_bench [iterations]
 * (not run by ctest).
 */
#include "core/alloc.h"
#include "auth/identity.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static json_t *rows_100(void)
{
	json_t *rows = json_array();
	for (int i = 0; i < 100; i++) {
		char email[64];
		snprintf(email, sizeof email, "user%d@example.com", i);
		json_array_append_new(rows, json_pack("{s:i, s:s, s:s, s:s, s:f, s:s}", "id", i, "name",
		                                      "Ann Smith", "email", email, "ssn", "123-45-6789",
		                                      "salary", 1000.0 * i, "department", "sales"));
	}
	return rows;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	if (iters <= 0)
		iters = 1000000;
	mx_alloc_init_jansson();
	struct mx_err err;
	struct mx_policy_set *set = NULL;
	json_t *fields = json_pack("[s, s]", "ssn", "salary");
	if (mx_policy_set_new(&set) ||
	    mx_policy_set_add(set, MX_POLICY_INPUT, "user.role != 'admin' && customer_id != user.customer_id",
	                      "deny", "You can only view your own data", NULL, &err) ||
	    mx_policy_set_add(set, MX_POLICY_OUTPUT, "user.role != 'admin'", "filter_fields", NULL, fields,
	                      &err)) {
		fprintf(stderr, "compile: %s\n", err.msg);
		return 1;
	}
	json_t *ctx =
	        json_loads("{\"user_id\": \"u-123\", \"username\": \"ann\", \"email\": \"ann@example.com\", "
	                   "\"name\": \"Ann\", \"role\": \"user\", \"permissions\": [\"read\", \"write\"], "
	                   "\"customer_id\": 42}",
	                   0, NULL);
	json_t *args =
	        json_loads("{\"customer_id\": 42, \"start_date\": \"2024-01-01\", \"limit\": 100}", 0, NULL);
	if (ctx == NULL || args == NULL)
		return 1;

	/* input: user object + activation + evaluation, per call */
	long denied = 0;
	double in_best = 1e18, in_total = 0;
	for (long i = 0; i < iters; i++) {
		struct mx_policy_result res = {0};
		double a = now_ns();
		json_t *user = mx_identity_user(ctx, "github");
		denied += mx_policy_enforce_input(set, args, user, &res, &err) != 0;
		json_decref(user);
		double d = now_ns() - a;
		in_total += d;
		in_best = d < in_best ? d : in_best;
	}
	/* the user object alone */
	double u_best = 1e18, u_total = 0;
	for (long i = 0; i < iters; i++) {
		double a = now_ns();
		json_decref(mx_identity_user(ctx, "github"));
		double d = now_ns() - a;
		u_total += d;
		u_best = d < u_best ? d : u_best;
	}

	/* output: filter_fields on 100 rows */
	json_t *rows = rows_100();
	json_t *user = mx_identity_user(ctx, "github");
	long out_iters = iters / 20 + 1, wrong = 0;
	double out_best = 1e18, out_total = 0;
	for (long i = 0; i < out_iters; i++) {
		struct mx_policy_result res = {0};
		json_t *v = json_deep_copy(rows);
		double a = now_ns();
		int rc = mx_policy_enforce_output(set, NULL, user, &v, &res, &err);
		double d = now_ns() - a;
		out_total += d;
		out_best = d < out_best ? d : out_best;
		if (rc != 0 || res.decision != MX_POLICY_WARN ||
		    json_object_get(json_array_get(v, 99), "ssn") != NULL)
			wrong++;
		json_decref(v);
	}

	printf("input policy (user object + activation + eval): %6.0f ns/call mean, %6.0f fastest  (%ld "
	       "calls, "
	       "%ld denied)\n",
	       in_total / (double)iters, in_best, iters, denied);
	printf("  of which building the user object:            %6.0f ns/call mean, %6.0f fastest\n",
	       u_total / (double)iters, u_best);
	printf("output filter_fields, 100 rows:                 %6.0f ns/call mean, %6.0f fastest  (%ld "
	       "calls, "
	       "%ld wrong)\n",
	       out_total / (double)out_iters, out_best, out_iters, wrong);
	json_decref(user);
	json_decref(rows);
	json_decref(ctx);
	json_decref(args);
	json_decref(fields);
	mx_policy_set_free(set);
	return denied || wrong ? 1 : 0;
}
