/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_runner — endpoint tests with MXCP's semantics (shared/spec/mxcp.md
 * §10, raw-labs/mxcp server/executor/runners/test.py).
 *
 * A test is run exactly like a served call: mx_invoke with the test's
 * arguments and user context (the CLI's --user-context wins), provider
 * "test", output validation on. Its result is normalised (falsy → [],
 * prompts → the last assistant text) and checked assertion by assertion in
 * MXCP's order; the first failure is the test's message, worded as MXCP
 * words it (values printed the way Python's str() prints them). A call that
 * fails (validation, policy denial, SQL) is an `error`, not a `failed`.
 *
 * Equality follows Python's ==, where 1 == 1.0, except for `result`, which
 * MXCP compares as sorted-key JSON text, so there 1 and 1.0 differ.
 */
#include "quality/test_runner.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/pytext.h"
#include "core/time.h"

#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ rendering */

char *mx_test_pystr(const json_t *v)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_pytext_str(&b, v)) {
		mx_buf_free(&b);
		return mx_strdup("<unprintable>");
	}
	char *s = mx_buf_detach(&b);
	return s ? s : mx_strdup("");
}

static char *fail_msg(const char *fmt, const json_t *a, const json_t *b)
{
	char *sa = a ? mx_test_pystr(a) : NULL, *sb = b ? mx_test_pystr(b) : NULL;
	struct mx_buf out;
	mx_buf_init(&out, MX_BUF_UNBOUNDED);
	/* fmt holds at most two %s, filled with sa then sb */
	const char *args[2] = {sa, sb};
	int k = 0;
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's' && k < 2) {
			mx_buf_puts(&out, args[k++] ? args[k - 1] : "");
			p++;
		} else {
			mx_buf_putc(&out, *p);
		}
	}
	mx_free(sa);
	mx_free(sb);
	char *s = mx_buf_detach(&out);
	return s ? s : mx_strdup("");
}

static char *fail_type(const char *assertion, const char *requires, const json_t *result)
{
	struct mx_buf out;
	mx_buf_init(&out, MX_BUF_UNBOUNDED);
	mx_buf_printf(&out, "%s assertion requires %s result, got <class '%s'>", assertion, requires,
	              mx_pytext_type(result));
	char *s = mx_buf_detach(&out);
	return s ? s : mx_strdup("");
}

/* -------------------------------------------------------- normalisation */

static int is_falsy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE: return 1;
	case JSON_INTEGER: return json_integer_value(v) == 0;
	case JSON_REAL: return json_real_value(v) == 0.0;
	case JSON_STRING: return json_string_length(v) == 0;
	case JSON_ARRAY: return json_array_size(v) == 0;
	case JSON_OBJECT: return json_object_size(v) == 0;
	default: return 0;
	}
}

json_t *mx_test_normalize(enum mx_endpoint_kind kind, const json_t *result)
{
	if (result == NULL || is_falsy(result))
		return json_array();
	if (kind == MX_EP_PROMPT && json_is_array(result)) {
		size_t i, n = json_array_size(result);
		json_t *m;
		json_array_foreach (result, i, m)
			if (!json_is_object(m) || !json_object_get(m, "role"))
				return json_deep_copy(result);
		for (i = n; i-- > 0;) {
			m = json_array_get(result, i);
			const char *role = json_string_value(json_object_get(m, "role"));
			const json_t *text = json_object_get(m, "prompt");
			if (!role || strcmp(role, "assistant") != 0 || !json_is_string(text))
				continue;
			/* Python's str.strip(): ASCII and Unicode whitespace; ASCII here */
			const char *s = json_string_value(text);
			size_t len = json_string_length(text);
			while (len && strchr(" \t\n\r\f\v", *s)) {
				s++;
				len--;
			}
			while (len && strchr(" \t\n\r\f\v", s[len - 1]))
				len--;
			if (len >= 2 &&
			    ((s[0] == '[' && s[len - 1] == ']') || (s[0] == '{' && s[len - 1] == '}'))) {
				json_t *parsed = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
				if (parsed)
					return parsed;
			}
			return json_stringn(s, len);
		}
	}
	return json_deep_copy(result);
}

/* ----------------------------------------------------------- assertions */

/* Python: isinstance(item, dict) and every expected key present and ==. */
static int dict_subset(const json_t *item, const json_t *expected)
{
	if (!json_is_object(item) || !json_is_object(expected))
		return 0;
	const char *k;
	json_t *ev;
	json_object_foreach ((json_t *)expected, k, ev) {
		const json_t *got = json_object_get(item, k);
		if (!got || !mx_json_equal_num(got, ev))
			return 0;
	}
	return 1;
}

/* result_contains_item's test: equal, or a dict whose fields include it. */
static int array_has_item(const json_t *arr, const json_t *expected)
{
	size_t i;
	json_t *item;
	json_array_foreach (arr, i, item)
		if (mx_json_equal_num(item, expected) || dict_subset(item, expected))
			return 1;
	return 0;
}

/* json.dumps(sort_keys=True) equality: types matter (1 is not 1.0). */
static int json_text_equal(const json_t *a, const json_t *b)
{
	char *sa = mx_json_dumps(a, MX_JSON_SORTED), *sb = mx_json_dumps(b, MX_JSON_SORTED);
	int eq = sa && sb && strcmp(sa, sb) == 0;
	mx_free(sa);
	mx_free(sb);
	return eq;
}

static int check_contains(const json_t *expected, const json_t *result, char **failure)
{
	if (json_is_object(result) && json_is_object(expected)) {
		const char *k;
		json_t *ev;
		json_object_foreach ((json_t *)expected, k, ev) {
			const json_t *got = json_object_get(result, k);
			json_t *key = json_string(k);
			if (!got) {
				*failure = fail_msg("Expected field '%s' not found in result", key, NULL);
				json_decref(key);
				return 0;
			}
			if (!mx_json_equal_num(got, ev)) {
				struct mx_buf b;
				char *sg = mx_test_pystr(got), *se = mx_test_pystr(ev);
				mx_buf_init(&b, MX_BUF_UNBOUNDED);
				mx_buf_printf(&b, "Field '%s' has value %s, expected %s", k, sg, se);
				mx_free(sg);
				mx_free(se);
				json_decref(key);
				*failure = mx_buf_detach(&b);
				return 0;
			}
			json_decref(key);
		}
		return 1;
	}
	if (json_is_array(result)) {
		if (json_is_object(expected)) {
			size_t i;
			json_t *item;
			json_array_foreach (result, i, item)
				if (dict_subset(item, expected))
					return 1;
			*failure =
			        fail_msg("No item in array contains the expected fields: %s", expected, NULL);
			return 0;
		}
		size_t i;
		json_t *item;
		json_array_foreach (result, i, item)
			if (mx_json_equal_num(item, expected))
				return 1;
		*failure = fail_msg("Array does not contain expected value: %s", expected, NULL);
		return 0;
	}
	*failure = fail_type("result_contains", "dict or array", result);
	return 0;
}

int mx_test_check(const json_t *test, const json_t *result, char **failure)
{
	*failure = NULL;
	const json_t *v;

	v = json_object_get(test, "result");
	if (v && !json_is_null(v) && !json_text_equal(result, v)) {
		*failure =
		        fail_msg("Result does not match expected output.\nExpected: %s\nGot: %s", v, result);
		return 0;
	}

	v = json_object_get(test, "result_contains");
	if (v && !json_is_null(v) && !check_contains(v, result, failure))
		return 0;

	v = json_object_get(test, "result_not_contains");
	if (v && !is_falsy(v)) {
		if (!json_is_object(result)) {
			*failure = fail_type("result_not_contains", "dict", result);
			return 0;
		}
		size_t i;
		json_t *field;
		json_array_foreach (v, i, field) {
			if (json_is_string(field) && json_object_get(result, json_string_value(field))) {
				*failure =
				        fail_msg("Field '%s' should not be present in result but was found",
				                 field, NULL);
				return 0;
			}
		}
	}

	v = json_object_get(test, "result_contains_item");
	if (v && !json_is_null(v)) {
		if (!json_is_array(result)) {
			*failure = fail_type("result_contains_item", "array", result);
			return 0;
		}
		if (!array_has_item(result, v)) {
			*failure = fail_msg("Array does not contain expected item: %s", v, NULL);
			return 0;
		}
	}

	v = json_object_get(test, "result_contains_all");
	if (v && !is_falsy(v)) {
		if (!json_is_array(result)) {
			*failure = fail_type("result_contains_all", "array", result);
			return 0;
		}
		size_t i;
		json_t *want;
		json_array_foreach (v, i, want) {
			if (!array_has_item(result, want)) {
				*failure = fail_msg("Array does not contain expected item: %s", want, NULL);
				return 0;
			}
		}
	}

	v = json_object_get(test, "result_length");
	if (v && !json_is_null(v)) {
		if (!json_is_array(result)) {
			*failure = fail_type("result_length", "array", result);
			return 0;
		}
		if (!json_is_integer(v) || (json_int_t)json_array_size(result) != json_integer_value(v)) {
			struct mx_buf b;
			char *se = mx_test_pystr(v);
			mx_buf_init(&b, MX_BUF_UNBOUNDED);
			mx_buf_printf(&b, "Array has %zu items, expected %s", json_array_size(result), se);
			mx_free(se);
			*failure = mx_buf_detach(&b);
			return 0;
		}
	}

	v = json_object_get(test, "result_contains_text");
	if (v && !json_is_null(v)) {
		char *hay = mx_test_pystr(result), *needle = mx_test_pystr(v);
		int found = strstr(hay, needle) != NULL;
		mx_free(hay);
		if (!found) {
			struct mx_buf b;
			mx_buf_init(&b, MX_BUF_UNBOUNDED);
			mx_buf_printf(&b, "Result does not contain expected text: '%s'", needle);
			*failure = mx_buf_detach(&b);
		}
		mx_free(needle);
		if (!found)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ diff */

#define DIFF_MAX_LINES 50

static void diff_line(json_t *lines, const char *path, const char *fmt, const json_t *a, const json_t *b)
{
	if (json_array_size(lines) == DIFF_MAX_LINES) {
		json_array_append_new(lines, json_string("…"));
		return;
	}
	if (json_array_size(lines) > DIFF_MAX_LINES)
		return;
	/* repr (not str) for both values, so 'x' and 1 are told apart */
	json_t *ra = NULL, *rb = NULL;
	struct mx_buf r;
	if (a) {
		mx_buf_init(&r, MX_BUF_UNBOUNDED);
		mx_pytext_repr(&r, a);
		ra = json_string(mx_buf_str(&r));
		mx_buf_free(&r);
	}
	if (b) {
		mx_buf_init(&r, MX_BUF_UNBOUNDED);
		mx_pytext_repr(&r, b);
		rb = json_string(mx_buf_str(&r));
		mx_buf_free(&r);
	}
	char *body = fail_msg(fmt, ra, rb);
	json_decref(ra);
	json_decref(rb);
	struct mx_buf out;
	mx_buf_init(&out, MX_BUF_UNBOUNDED);
	mx_buf_printf(&out, "%s: %s", path, body);
	mx_free(body);
	char *s = mx_buf_detach(&out);
	json_array_append_new(lines, json_string(s ? s : ""));
	mx_free(s);
}

static void diff_walk(json_t *lines, const char *path, const json_t *exp, const json_t *got, int depth)
{
	struct mx_buf sub;
	if (depth < 64 && json_is_object(exp) && json_is_object(got)) {
		const char *k;
		json_t *v;
		json_object_foreach ((json_t *)exp, k, v) {
			mx_buf_init(&sub, 4096);
			mx_buf_printf(&sub, "%s.%s", path, k);
			const json_t *g = json_object_get(got, k);
			if (!g)
				diff_line(lines, mx_buf_str(&sub), "missing (expected %s)", v, NULL);
			else
				diff_walk(lines, mx_buf_str(&sub), v, g, depth + 1);
			mx_buf_free(&sub);
		}
		json_object_foreach ((json_t *)got, k, v) {
			if (json_object_get(exp, k))
				continue;
			mx_buf_init(&sub, 4096);
			mx_buf_printf(&sub, "%s.%s", path, k);
			diff_line(lines, mx_buf_str(&sub), "unexpected %s", v, NULL);
			mx_buf_free(&sub);
		}
		return;
	}
	if (depth < 64 && json_is_array(exp) && json_is_array(got)) {
		size_t ne = json_array_size(exp), ng = json_array_size(got);
		for (size_t i = 0; i < ne || i < ng; i++) {
			mx_buf_init(&sub, 4096);
			mx_buf_printf(&sub, "%s[%zu]", path, i);
			if (i >= ng)
				diff_line(lines, mx_buf_str(&sub), "missing (expected %s)",
				          json_array_get(exp, i), NULL);
			else if (i >= ne)
				diff_line(lines, mx_buf_str(&sub), "unexpected %s", json_array_get(got, i),
				          NULL);
			else
				diff_walk(lines, mx_buf_str(&sub), json_array_get(exp, i),
				          json_array_get(got, i), depth + 1);
			mx_buf_free(&sub);
		}
		return;
	}
	if (!json_text_equal(exp, got)) {
		/* repr both sides so 'x' and 1 are told apart */
		diff_line(lines, path, "expected %s, got %s", exp, got);
	}
}

json_t *mx_test_diff(const json_t *expected, const json_t *got)
{
	json_t *lines = json_array();
	diff_walk(lines, "$", expected, got, 0);
	return lines;
}

/* ---------------------------------------------------------------- running */

static json_t *run_one(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                       const json_t *test, const struct mx_test_options *opt)
{
	double t0 = mx_mono_s();
	const char *name = json_string_value(json_object_get(test, "name"));
	const char *desc = json_string_value(json_object_get(test, "description"));
	json_t *out = json_pack("{s:s, s:s}", "name", name ? name : "", "description", desc ? desc : "");

	json_t *args = json_object();
	size_t i;
	json_t *arg;
	json_array_foreach (json_object_get(test, "arguments"), i, arg) {
		const char *key = json_string_value(json_object_get(arg, "key"));
		json_t *val = json_object_get(arg, "value");
		if (key)
			json_object_set(args, key, val ? val : json_null());
	}
	/* The CLI's context wins (provider "cli", as `mxcp run`); a test's own
	 * is MXCP's UserContext(provider="test"): mx_identity_user defaults
	 * user_id/username to "test_user" and keeps the mapping for policies. */
	const json_t *user = NULL;
	const char *provider = "test";
	if (opt && opt->cli_user_context) {
		user = opt->cli_user_context;
		provider = "cli";
	} else if (json_is_object(json_object_get(test, "user_context"))) {
		user = json_object_get(test, "user_context");
	}

	struct mx_invoke_report report = {0};
	struct mx_invoke_opts iopt = {.report = &report};
	struct mx_call_ctx ctx = mx_call_ctx_make(MX_CALLER_TEST);
	ctx.user_context = user;
	ctx.user_provider = provider;
	ctx.request_headers = opt ? opt->request_headers : NULL;
	json_t *result = NULL;
	struct mx_err err;
	mx_err_clear(&err);
	int failed = mx_invoke(rt, conn, ep, args, &ctx, &iopt, &result, &err);
	mx_call_ctx_clear(&ctx);
	if (failed) {
		json_object_set_new(out, "status", json_string("error"));
		json_object_set_new(out, "error", json_string(err.msg));
	} else {
		json_t *norm = mx_test_normalize(ep->kind, result);
		char *failure = NULL;
		if (mx_test_check(test, norm, &failure)) {
			json_object_set_new(out, "status", json_string("passed"));
		} else {
			json_object_set_new(out, "status", json_string("failed"));
			json_object_set_new(out, "error", json_string(failure ? failure : ""));
			const json_t *want = json_object_get(test, "result");
			if (opt && opt->want_diff && want && failure &&
			    !strncmp(failure, "Result does not match", 21))
				json_object_set_new(out, "diff", mx_test_diff(want, norm));
		}
		mx_free(failure);
		json_decref(norm);
	}
	json_object_set_new(out, "time", json_real(mx_mono_s() - t0));
	json_decref(result);
	json_decref(args);
	return out;
}

json_t *mx_test_run_endpoint(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                             const struct mx_test_options *opt)
{
	json_t *tests = json_array();
	size_t n = json_array_size(ep->tests);
	if (n == 0)
		return json_pack("{s:s, s:i, s:o, s:b}", "status", "ok", "tests_run", 0, "tests", tests,
		                 "no_tests", 1);
	int has_error = 0, has_failed = 0;
	size_t i;
	json_t *t;
	json_array_foreach (ep->tests, i, t) {
		json_t *r = run_one(rt, conn, ep, t, opt);
		const char *st = json_string_value(json_object_get(r, "status"));
		has_error |= strcmp(st, "error") == 0;
		has_failed |= strcmp(st, "failed") == 0;
		json_array_append_new(tests, r);
		if (opt && opt->progress)
			opt->progress(ep, r, opt->progress_ctx);
	}
	return json_pack("{s:s, s:I, s:o, s:b}", "status",
	                 has_error    ? "error"
	                 : has_failed ? "failed"
	                              : "ok",
	                 "tests_run", (json_int_t)n, "tests", tests, "no_tests", 0);
}
