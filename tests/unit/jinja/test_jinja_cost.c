/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Costs of src/jinja/ on large strings: indexing every character, |length
 * in a loop, concatenation, replace, slicing. Prints the time of each
 * (no timed assertion: machines differ) and checks the output, so a
 * quadratic path shows as a slow test and a wrong fast path as a failure.
 * The same templates under Jinja2: tests/unit/jinja/jinja_cost.py.
 */
#include "harness.h"

#include "core/buf.h"
#include "jinja/jinja.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *context(void)
{
	/* 100,000 characters: ASCII, and with a two-byte character every 10 */
	char *ascii = malloc(100001), *mixed = malloc(120001);
	size_t m = 0;
	for (size_t i = 0; i < 100000; i++) {
		ascii[i] = (char)('a' + i % 26);
		if (i % 10 == 9) {
			mixed[m++] = (char)0xc3;
			mixed[m++] = (char)0xa9;
		} else {
			mixed[m++] = (char)('a' + i % 26);
		}
	}
	json_t *ctx = json_pack("{s:s%, s:s%}", "s", ascii, (size_t)100000, "u", mixed, m);
	free(ascii);
	free(mixed);
	return ctx;
}

static void measure(const char *what, const char *tpl, const json_t *ctx, const char *expected)
{
	struct mx_jinja_template *t = NULL;
	struct mx_err err;
	if (mx_jinja_compile(tpl, &t, &err))
		fail_msg("%s: compile failed: %s", what, err.msg);
	struct mx_buf b;
	mx_buf_init(&b, 64u << 20);
	double t0 = now();
	int rc = mx_jinja_render(t, ctx, &b, &err);
	double dt = now() - t0;
	mx_jinja_free(t);
	if (rc)
		fail_msg("%s: render failed: %s", what, err.msg);
	printf("jinja cost: %-34s %8.3f s\n", what, dt);
	if (expected && (b.len != strlen(expected) || memcmp(b.p, expected, b.len) != 0))
		fail_msg("%s: got %.*s, expected %s", what, (int)(b.len > 200 ? 200 : b.len), b.p, expected);
	mx_buf_free(&b);
}

static void test_costs(void **state)
{
	(void)state;
	json_t *ctx = context();
	measure("index every char (ascii)",
	        "{% set ns = namespace(n=0) %}{% for i in range(s|length) %}{% if s[i] == 'z' %}"
	        "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}",
	        ctx, "3846");
	measure("index every char (non-ascii)",
	        "{% set ns = namespace(n=0) %}{% for i in range(u|length) %}{% if u[i] == '\\u00e9' %}"
	        "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}",
	        ctx, "10000");
	measure("|length x 20000",
	        "{% for i in range(20000) %}{% set n = u|length %}{% endfor %}{{ u|length }}", ctx, "100000");
	measure("slice s[i:i+3] x 20000",
	        "{% set ns = namespace(n=0) %}{% for i in range(20000) %}{% set ns.n = ns.n + (u[i * 4:i * 4 "
	        "+ 3]|length) "
	        "%}{% endfor %}{{ ns.n }}",
	        ctx, "60000");
	measure("concat s ~ s x 200",
	        "{% set ns = namespace(t='') %}{% for i in range(200) %}{% set ns.t = u ~ s %}{% endfor %}"
	        "{{ ns.t|length }}",
	        ctx, "200000");
	measure("s + s x 200",
	        "{% set ns = namespace(t='') %}{% for i in range(200) %}{% set ns.t = u + s %}{% endfor %}"
	        "{{ ns.t|length }}",
	        ctx, "200000");
	measure("replace x 100",
	        "{% for i in range(100) %}{% set t = u|replace('a', 'xy') %}{% endfor %}{{ (u|replace('a', "
	        "'xy'))|length }}",
	        ctx, "103847");
	measure("append char x 20000",
	        "{% set ns = namespace(t='') %}{% for i in range(20000) %}{% set ns.t = ns.t ~ 'x' %}{% "
	        "endfor %}"
	        "{{ ns.t|length }}",
	        ctx, "20000");
	json_decref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_costs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
