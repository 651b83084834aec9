/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/cel/ beyond the conformance suite: the policy
 * shapes MXCP projects use, JSON activations, error propagation and
 * absorption, syntax-error messages, limits against hostile input, time
 * zones, out-of-memory paths, and one program evaluated from many threads.
 */
#include "harness.h"

#include "core/alloc.h"
#include "cel/cel.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static struct mx_cel_activation *act_of(const char *json)
{
	json_error_t je;
	json_t *j = json ? json_loads(json, 0, &je) : NULL;
	if (json && j == NULL)
		fail_msg("bad JSON %s: %s", json, je.text);
	struct mx_cel_activation *a = NULL;
	struct mx_err err;
	if (mx_cel_activation_from_json(j, &a, &err))
		fail_msg("activation: %s", err.msg);
	json_decref(j);
	return a;
}

static void check_json(const char *expected, const char *expr, const char *ctx, const char *file, int line)
{
	struct mx_cel_program *p = NULL;
	struct mx_err err;
	if (mx_cel_compile(expr, &p, &err))
		fail_msg("%s:%d: compile failed: %s\nexpr: %s", file, line, err.msg, expr);
	struct mx_cel_activation *a = act_of(ctx);
	json_t *out = NULL;
	if (mx_cel_eval(p, a, &out, &err))
		fail_msg("%s:%d: eval failed: %s\nexpr: %s", file, line, err.msg, expr);
	mx_test_json_eq(expected, out, file, line);
	json_decref(out);
	mx_cel_activation_free(a);
	mx_cel_program_free(p);
}

#define EJ(expected, expr, ctx) check_json((expected), (expr), (ctx), __FILE__, __LINE__)

static void check_error(const char *msg_part, const char *expr, const char *ctx, const char *file, int line)
{
	struct mx_cel_program *p = NULL;
	struct mx_err err;
	if (mx_cel_compile(expr, &p, &err))
		fail_msg("%s:%d: compile failed: %s\nexpr: %s", file, line, err.msg, expr);
	struct mx_cel_activation *a = act_of(ctx);
	json_t *out = NULL;
	int rc = mx_cel_eval(p, a, &out, &err);
	if (rc == 0) {
		char *s = json_dumps(out, JSON_ENCODE_ANY);
		fail_msg("%s:%d: expected an error containing '%s', got %s\nexpr: %s", file, line, msg_part,
		         s, expr);
	}
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("%s:%d: error '%s' does not contain '%s'\nexpr: %s", file, line, err.msg, msg_part,
		         expr);
	mx_cel_activation_free(a);
	mx_cel_program_free(p);
}

#define EE(msg, expr, ctx) check_error((msg), (expr), (ctx), __FILE__, __LINE__)

static const char *user_ctx = "{\"user\": {\"user_id\": \"u1\", \"username\": \"ann\", \"email\": null, "
                              "\"name\": \"Ann\", \"provider\": \"test\", \"role\": \"user\", "
                              "\"permissions\": [\"read\", \"write\"], \"capabilities\": [], "
                              "\"customer_id\": 5}, \"customer_id\": 5, \"amount\": 12.5}";

/* ---- policy shapes ---- */

static void test_policies(void **state)
{
	(void)state;
	EJ("false", "user.role != 'admin' && customer_id != user.customer_id", user_ctx);
	EJ("true", "user.role != 'admin' && customer_id != 7", user_ctx);
	EJ("true", "'read' in user.permissions", user_ctx);
	EJ("false", "'admin' in user.permissions", user_ctx);
	EJ("true", "user.email == null", user_ctx);
	EJ("true", "has(user.name) && !has(user.department)", user_ctx);
	EJ("true", "amount > 10 && amount < 12.6", user_ctx);
	EJ("true", "customer_id == 5u && customer_id == 5.0", user_ctx);
	EJ("2", "size(user.permissions)", user_ctx);
	EJ("[\"READ!\", \"WRITE!\"]", "user.permissions.map(p, p == 'read' ? 'READ!' : 'WRITE!')", user_ctx);
	EJ("true", "user.permissions.exists(p, p.startsWith('wr'))", user_ctx);
	EJ("\"Ann <ann>\"", "user.name + ' <' + user.username + '>'", user_ctx);
	EJ("{\"a\": 1, \"b\": [true, null]}", "{'a': 1, 'b': [true, null]}", NULL);
	EJ("\"2009-02-13T23:31:30Z\"", "timestamp('2009-02-13T23:31:30Z')", NULL);
	EJ("\"5400s\"", "duration('1h30m')", NULL);
	EJ("\"YWJj\"", "b'abc'", NULL);
	EJ("\"int\"", "type(1)", NULL);
	EJ("1.8446744073709552e19", "18446744073709551615u", NULL); /* past int64: a JSON real */
}

static void test_eval_bool(void **state)
{
	(void)state;
	struct mx_cel_program *p;
	struct mx_err err;
	assert_int_equal(mx_cel_compile("user.role == 'user'", &p, &err), 0);
	struct mx_cel_activation *a = act_of(user_ctx);
	bool b = false;
	assert_int_equal(mx_cel_eval_bool(p, a, &b, &err), 0);
	assert_true(b);
	mx_cel_program_free(p);
	assert_int_equal(mx_cel_compile("user.role", &p, &err), 0);
	assert_int_equal(mx_cel_eval_bool(p, a, &b, &err), MX_EINVAL);
	assert_non_null(strstr(err.msg, "not bool"));
	mx_cel_program_free(p);
	/* a missing field fails (the caller fails closed) */
	assert_int_equal(mx_cel_compile("user.department == 'x'", &p, &err), 0);
	assert_int_equal(mx_cel_eval_bool(p, a, &b, &err), MX_EINVAL);
	assert_non_null(strstr(err.msg, "no such key: department"));
	mx_cel_program_free(p);
	mx_cel_activation_free(a);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
	(void)state;
	EE("no such key: nope", "user.nope", user_ctx);
	EE("undeclared reference to 'missing'", "missing == 1", NULL);
	EE("integer overflow", "9223372036854775807 + 1", NULL);
	EE("integer overflow", "-9223372036854775808 - 1", NULL);
	EE("unsigned integer overflow", "0u - 1u", NULL);
	EE("division by zero", "1 / 0", NULL);
	EE("modulus by zero", "1 % 0", NULL);
	EE("no such overload", "1 + 1u", NULL);
	EE("no such overload", "'a' < 1", NULL);
	EE("index out of bounds", "[1, 2][2]", NULL);
	EE("repeated key", "{'a': 1, 'a': 2}", NULL);
	EE("unsupported key type", "{1.5: 1}", NULL);
	EE("range", "int(1e99)", NULL);
	EE("timestamp out of range", "timestamp('9999-12-31T23:59:59Z') + duration('1s')", NULL);
	EE("message construction", "Foo{a: 1}", NULL);
	/* errors propagate through functions and are absorbed by && / || */
	EE("division by zero", "size([1/0])", NULL);
	EJ("false", "1/0 == 1 && false", NULL);
	EJ("false", "false && 1/0 == 1", NULL);
	EJ("true", "1/0 == 1 || true", NULL);
	EJ("true", "true || 1/0 == 1", NULL);
	EE("division by zero", "1/0 == 1 && true", NULL);
	EE("division by zero", "1/0 == 1 || false", NULL);
	EJ("true", "[1, 0].exists(x, 1 / x == 1)", NULL);
	EE("division by zero", "[1, 0].all(x, 1 / x == 1)", NULL);
	EJ("1", "true ? 1 : 1/0", NULL);
	EE("no such overload", "1 ? 2 : 3", NULL);
	EE("invalid regular expression", "'a'.matches('(?=a)')", NULL);
	EE("invalid regular expression", "'a'.matches('(a')", NULL);
	EJ("true", "'abc'.matches('^a.c$')", NULL);
}

static void check_syntax(const char *expr, const char *msg, int code)
{
	struct mx_cel_program *p = NULL;
	struct mx_err err;
	int rc = mx_cel_compile(expr, &p, &err);
	if (rc == 0) {
		mx_cel_program_free(p);
		fail_msg("compiled, expected error: %s", expr);
	}
	assert_int_equal(rc, code);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("error for [%s]:\n%s\ndoes not contain:\n%s", expr, err.msg, msg);
	assert_null(p);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	check_syntax("a + ", "ERROR: <input>:1:5: Syntax error: unexpected '<EOF>'", MX_EINVAL);
	check_syntax("a + ", "\n | a + \n | ....^", MX_EINVAL);
	check_syntax("a + b )", "ERROR: <input>:1:7: Syntax error: extraneous input ')'", MX_EINVAL);
	check_syntax("x == 'abc", "1:6: Syntax error: unterminated string literal", MX_EINVAL);
	check_syntax("a\n&& b = c", "ERROR: <input>:2:6:", MX_EINVAL);
	check_syntax("'\\q'", "invalid escape sequence", MX_EINVAL);
	check_syntax("'\\uD800'", "invalid unicode code point", MX_EINVAL);
	check_syntax("9223372036854775808", "int literal out of range", MX_EINVAL);
	check_syntax("18446744073709551616u", "uint literal out of range", MX_EINVAL);
	check_syntax("has(a)", "invalid argument to has() macro", MX_EINVAL);
	check_syntax("[1].all(1, true)", "argument is not an identifier", MX_EINVAL);
	check_syntax("if == 1", "reserved identifier: if", MX_EINVAL);
	check_syntax("a.true", "unexpected 'true'", MX_EINVAL);
	check_syntax("é", "unexpected character", MX_EINVAL);
}

/* ---- limits ---- */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t n = strlen(head) + strlen(unit) * times + strlen(tail) + 1;
	char *s = malloc(n);
	size_t o = 0;
	memcpy(s, head, strlen(head));
	o += strlen(head);
	for (size_t i = 0; i < times; i++) {
		memcpy(s + o, unit, strlen(unit));
		o += strlen(unit);
	}
	memcpy(s + o, tail, strlen(tail) + 1);
	return s;
}

static void test_limits(void **state)
{
	(void)state;
	struct mx_cel_program *p = NULL;
	struct mx_err err;
	/* nesting */
	char *s = repeat("", "(", 10000, "1");
	check_syntax(s, "nested too deeply", MX_ELIMIT);
	free(s);
	s = repeat("", "[", 300, "");
	check_syntax(s, "nested too deeply", MX_ELIMIT);
	free(s);
	s = repeat("1", " + 1", 400, "");
	check_syntax(s, "nested too deeply", MX_ELIMIT);
	free(s);
	s = repeat("a", ".b", 400, "");
	check_syntax(s, "nested too deeply", MX_ELIMIT);
	free(s);
	/* long chains of && and || are balanced, so they stay shallow */
	s = repeat("true", " && true", 3000, "");
	assert_int_equal(mx_cel_compile(s, &p, &err), 0);
	free(s);
	bool b = false;
	assert_int_equal(mx_cel_eval_bool(p, NULL, &b, &err), 0);
	assert_true(b);
	mx_cel_program_free(p);
	/* !!!! and ---- are loops in the parser but nodes in the tree */
	s = repeat("", "!", 100, "true");
	EJ("true", s, NULL);
	free(s);
	/* size */
	s = repeat("'", "a", MX_CEL_MAX_SOURCE, "'");
	assert_int_equal(mx_cel_compile(s, &p, &err), MX_ELIMIT);
	free(s);
	/* evaluation memory: a quadratic blow-up hits the arena bound */
	const char *bomb =
	        "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10]"
	        ".map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, [1,2,3,4,5,6,7,8,"
	        "9,10].map(f, [1,2,3,4,5,6,7,8,9,10].map(g, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + "
	        "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy')))))))";
	assert_int_equal(mx_cel_compile(bomb, &p, &err), 0);
	json_t *out = NULL;
	assert_int_equal(mx_cel_eval(p, NULL, &out, &err), MX_ELIMIT);
	assert_null(out);
	mx_cel_program_free(p);
	/* deep JSON is refused at binding time */
	s = repeat("{\"v\": ", "[", 100, "");
	char *t = repeat(s, "]", 100, "}");
	json_t *j = json_loads(t, 0, NULL);
	assert_non_null(j);
	struct mx_cel_activation *a = NULL;
	assert_int_equal(mx_cel_activation_from_json(j, &a, &err), MX_ELIMIT);
	json_decref(j);
	free(s);
	free(t);
}

/* ---- time ---- */

static void test_time_zones(void **state)
{
	(void)state;
	const char *ts = "timestamp('2009-02-13T23:31:30Z')";
	char expr[256];
	struct {
		const char *fn, *tz, *want;
	} cases[] = {
	        {"getHours", "UTC", "23"},
	        {"getHours", "+05:30", "5"},
	        {"getMinutes", "+05:30", "1"},
	        {"getHours", "-08:00", "15"},
	        {"getDate", "Australia/Sydney", "14"}, /* AEDT, +11 */
	        {"getHours", "Australia/Sydney", "10"},
	        {"getHours", "Europe/Paris", "0"}, /* CET, +1 */
	        {"getDayOfWeek", "Europe/Paris", "6"},
	        {"getHours", "America/New_York", "18"},
	        {"getMinutes", "Asia/Kathmandu", "16"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(expr, sizeof expr, "%s.%s('%s')", ts, cases[i].fn, cases[i].tz);
		EJ(cases[i].want, expr, NULL);
	}
	/* DST: summer in Paris is +2; summer in New York is -4; far future uses the POSIX rule */
	EJ("14", "timestamp('2024-07-01T12:00:00Z').getHours('Europe/Paris')", NULL);
	EJ("8", "timestamp('2024-07-01T12:00:00Z').getHours('America/New_York')", NULL);
	EJ("14", "timestamp('2090-07-01T12:00:00Z').getHours('Europe/Paris')", NULL);
	EJ("13", "timestamp('2090-01-01T12:00:00Z').getHours('Europe/Paris')", NULL);
	/* a zone from a variable is loaded at evaluation time */
	EJ("10", "timestamp('2009-02-13T23:31:30Z').getHours(tz)", "{\"tz\": \"Australia/Sydney\"}");
	EE("unknown time zone", "timestamp('2009-02-13T23:31:30Z').getHours('Mars/Olympus')", NULL);
	EE("unknown time zone", "timestamp('2009-02-13T23:31:30Z').getHours('../../etc/passwd')", NULL);
	EE("unknown time zone", "timestamp('2009-02-13T23:31:30Z').getHours(tz)",
	   "{\"tz\": \"/etc/passwd\"}");
	/* accessors and arithmetic */
	EJ("1", "timestamp('2009-02-13T23:31:30Z').getMonth()", NULL);
	EJ("43", "timestamp('2009-02-13T23:31:30Z').getDayOfYear()", NULL);
	EJ("90", "duration('1h30m').getMinutes()", NULL);
	EJ("\"2009-02-14T00:00:00Z\"", "timestamp('2009-02-13T23:00:00Z') + duration('1h')", NULL);
	EJ("true", "timestamp('2009-02-13T23:00:00+01:00') == timestamp('2009-02-13T22:00:00Z')", NULL);
	EJ("\"1.5s\"", "string(duration('1500ms'))", NULL);
}

/* ---- activation binding ---- */

static void test_activation(void **state)
{
	(void)state;
	struct mx_cel_activation *a;
	struct mx_err err;
	assert_int_equal(mx_cel_activation_new(&a), 0);
	json_t *j = json_pack("{s:i, s:f, s:[s,s]}", "n", 3, "d", 2.0, "l", "x", "y");
	assert_int_equal(mx_cel_activation_bind_json(a, "v", j, &err), 0);
	struct mx_cel_value ts = {.kind = MX_CEL_TIMESTAMP, .t = {1234567890, 0}};
	assert_int_equal(mx_cel_activation_bind(a, "ts", &ts), 0);
	struct mx_cel_value s = {.kind = MX_CEL_STRING, .s = {"hi", 2}};
	assert_int_equal(mx_cel_activation_bind(a, "a.b", &s), 0); /* a dotted name */
	json_decref(j);
	struct mx_cel_program *p;
	assert_int_equal(mx_cel_compile("type(v.n) == int && type(v.d) == double && v.l[1] == 'y' && "
	                                "ts.getFullYear() == 2009 && a.b == 'hi'",
	                                &p, &err),
	                 0);
	bool b = false;
	assert_int_equal(mx_cel_eval_bool(p, a, &b, &err), 0);
	assert_true(b);
	mx_cel_program_free(p);
	mx_cel_activation_free(a);
	/* non-object activations are refused */
	json_t *arr = json_array();
	assert_int_equal(mx_cel_activation_from_json(arr, &a, &err), MX_EINVAL);
	json_decref(arr);
}

/* ---- typed results ---- */

static void test_result_value(void **state)
{
	(void)state;
	struct mx_cel_program *p;
	struct mx_err err;
	assert_int_equal(mx_cel_compile("[1u, 2.5, b'\\xff', {'k': -1}]", &p, &err), 0);
	struct mx_cel_result *r;
	assert_int_equal(mx_cel_eval_value(p, NULL, &r), 0);
	const struct mx_cel_value *v = mx_cel_result_value(r);
	assert_int_equal(v->kind, MX_CEL_LIST);
	assert_int_equal(v->list->n, 4);
	assert_int_equal(v->list->items[0].kind, MX_CEL_UINT);
	assert_int_equal(v->list->items[2].kind, MX_CEL_BYTES);
	assert_int_equal((unsigned char)v->list->items[2].s.p[0], 0xff);
	assert_int_equal(v->list->items[3].map->vals[0].i, -1);
	mx_cel_result_free(r);
	mx_cel_program_free(p);
}

/* ---- out of memory ---- */

static void test_oom(void **state)
{
	(void)state;
	const char *expr = "user.permissions.map(p, p + '!').filter(q, q.matches('^r')) == ['read!'] && "
	                   "timestamp('2009-02-13T23:31:30Z').getHours('Europe/Paris') == 0";
	for (long n = 1; n < 400; n++) {
		struct mx_cel_program *p = NULL;
		struct mx_cel_activation *a = NULL;
		struct mx_err err;
		json_t *ctx = json_loads(user_ctx, 0, NULL);
		mx_alloc_fail_after(n);
		int rc = mx_cel_compile(expr, &p, &err);
		if (rc == 0)
			rc = mx_cel_activation_from_json(ctx, &a, &err);
		bool b = false;
		if (rc == 0)
			rc = mx_cel_eval_bool(p, a, &b, &err);
		mx_alloc_fail_after(0);
		json_decref(ctx);
		mx_cel_activation_free(a);
		mx_cel_program_free(p);
		if (rc == 0) {
			assert_true(b);
			return;
		}
		assert_int_equal(rc, MX_ENOMEM);
	}
	fail_msg("never succeeded");
}

/* ---- threads ---- */

struct thread_arg {
	const struct mx_cel_program *p;
	const struct mx_cel_activation *a;
	int ok;
};

static void *worker(void *arg)
{
	struct thread_arg *t = arg;
	for (int i = 0; i < 2000; i++) {
		bool b = false;
		struct mx_err err;
		if (mx_cel_eval_bool(t->p, t->a, &b, &err) == 0 && b)
			t->ok++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct mx_cel_program *p;
	struct mx_err err;
	assert_int_equal(
	        mx_cel_compile("user.permissions.exists(p, p.matches('^wr')) && "
	                       "timestamp('2009-02-13T23:31:30Z').getDate('Australia/Sydney') == 14 && "
	                       "[1, 2, 3].map(x, string(x) + user.name).size() == 3",
	                       &p, &err),
	        0);
	struct mx_cel_activation *a = act_of(user_ctx);
	pthread_t th[8];
	struct thread_arg args[8];
	for (int i = 0; i < 8; i++) {
		args[i] = (struct thread_arg){.p = p, .a = a};
		assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].ok, 2000);
	}
	mx_cel_activation_free(a);
	mx_cel_program_free(p);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_policies),   cmocka_unit_test(test_eval_bool),
	        cmocka_unit_test(test_errors),     cmocka_unit_test(test_syntax_errors),
	        cmocka_unit_test(test_limits),     cmocka_unit_test(test_time_zones),
	        cmocka_unit_test(test_activation), cmocka_unit_test(test_result_value),
	        cmocka_unit_test(test_oom),        cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
