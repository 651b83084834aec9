/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential test of src/jinja/ against real Jinja2: jinja_ref.py (run
 * with Debian's /usr/bin/python3 and python3-jinja2) builds the corpus —
 * hand-written cases, one or more per known difference, and cases generated
 * from a seeded grammar — and renders each as MXCP does; every case is then
 * rendered here by mx_jinja_compile/mx_jinja_render and compared byte for
 * byte. Fails when a hand-written case differs, when a refused construct is
 * not refused at compile with its name, or when fewer than 99% of the
 * generated cases that Jinja2 renders come out identical. Prints the rate.
 *
 * MXCP_JINJA_DIFF_N (cases to generate, default 2000) and
 * MXCP_JINJA_DIFF_SEED change the corpus; MXCP_JINJA_DIFF_VERBOSE=1 lists
 * every differing generated case.
 */
#include "harness.h"

#include "core/buf.h"
#include "jinja/jinja.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"

static int run_ok(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	char buf[256];
	while (fgets(buf, sizeof buf, p))
		;
	return pclose(p) == 0;
}

/* Read the corpus printed by jinja_ref.py. */
static json_t *load_corpus(void)
{
	const char *n = getenv("MXCP_JINJA_DIFF_N"), *seed = getenv("MXCP_JINJA_DIFF_SEED");
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s -W ignore '%s' %s %s", PYTHON,
	         mx_test_path("tests/unit/jinja/jinja_ref.py"), n ? n : "2000", seed ? seed : "20240115");
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		fail_msg("cannot run %s", cmd);
	json_error_t je;
	json_t *corpus = json_loadf(p, JSON_ALLOW_NUL, &je);
	int status = pclose(p);
	if (corpus == NULL || status != 0 || !json_is_array(corpus))
		fail_msg("%s failed (status %d): %s", cmd, status, corpus ? "not an array" : je.text);
	return corpus;
}

/* The context with {"$datetime": "<kind><iso>"} made date/time values (jinja_ref.py's dt_json). */
static json_t *context_of(json_t *v)
{
	if (json_is_object(v)) {
		json_t *dt = json_object_get(v, "$datetime");
		if (dt && json_object_size(v) == 1) {
			const char *s = json_string_value(dt);
			enum mx_jinja_dt k = s[0] == 'd'   ? MX_JINJA_DATE
			                     : s[0] == 't' ? MX_JINJA_TIME
			                                   : MX_JINJA_DATETIME;
			json_t *d = mx_jinja_datetime(k, s + 1);
			if (d == NULL)
				fail_msg("mx_jinja_datetime refused %s", s);
			return d;
		}
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach (v, k, x)
			json_object_set_new(o, k, context_of(x));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x)
			json_array_append_new(a, context_of(x));
		return a;
	}
	return json_incref(v);
}

/* Render with mxcp: 0 and the text in out, or the error code and the message in out. */
static int render(const char *tpl, const json_t *ctx, int *compile_failed, struct mx_buf *out)
{
	struct mx_jinja_template *t = NULL;
	struct mx_err err;
	mx_buf_init(out, 16u << 20);
	*compile_failed = 0;
	int rc = mx_jinja_compile(tpl, &t, &err);
	if (rc) {
		*compile_failed = 1;
	} else {
		rc = mx_jinja_render(t, ctx, out, &err);
		mx_jinja_free(t);
	}
	if (rc) {
		out->len = 0;
		mx_buf_append(out, err.msg, strlen(err.msg));
	}
	return rc;
}

static void show(const char *what, const json_t *c, const char *got, size_t gotn, int rc)
{
	json_t *g = json_stringn(got, gotn);
	char *gs = json_dumps(g, JSON_ENCODE_ANY);
	char *ts = json_dumps(json_object_get(c, "template"), JSON_ENCODE_ANY);
	json_t *want = json_object_get(c, json_is_true(json_object_get(c, "ok")) ? "out" : "error");
	char *ws = json_dumps(want, JSON_ENCODE_ANY);
	printf("%s %s\n  template: %s\n  jinja2:   %s\n  mxcp%s %s\n", what,
	       json_string_value(json_object_get(c, "name")), ts, ws, rc ? "ERR:" : ":   ", gs);
	free(gs);
	free(ts);
	free(ws);
	json_decref(g);
}

static void test_differential(void **state)
{
	(void)state;
	if (!run_ok(PYTHON " -c 'import jinja2' 2>&1"))
		fail_msg("Jinja2 is not installed for " PYTHON ": the differential test needs Debian's "
		         "python3-jinja2 (apt-get install python3-jinja2; scripts/setup.sh installs it)");
	json_t *corpus = load_corpus();
	int verbose = getenv("MXCP_JINJA_DIFF_VERBOSE") != NULL;
	size_t hand = 0, hand_bad = 0, gen = 0, gen_ok = 0, gen_same = 0, gen_both_err = 0;
	size_t i;
	json_t *c;
	json_array_foreach (corpus, i, c) {
		const char *kind = json_string_value(json_object_get(c, "kind"));
		const char *tpl = json_string_value(json_object_get(c, "template"));
		const char *refused = json_string_value(json_object_get(c, "refused"));
		int ok = json_is_true(json_object_get(c, "ok")), compile_failed;
		struct mx_buf out;
		json_t *ctx = strcmp(kind, "hand") == 0 ? context_of(json_object_get(c, "context"))
		                                        : json_incref(json_object_get(c, "context"));
		int rc = render(tpl, ctx, &compile_failed, &out);
		json_decref(ctx);
		const char *got = out.p ? out.p : "";
		int same = rc == 0 && ok && out.len == json_string_length(json_object_get(c, "out")) &&
		           memcmp(got, json_string_value(json_object_get(c, "out")), out.len) == 0;
		if (strcmp(kind, "hand") == 0) {
			hand++;
			if (refused) {
				/* refused at compile, the message naming the construct */
				if (!compile_failed || strstr(got, refused) == NULL ||
				    strncmp(got, "line ", 5) != 0) {
					hand_bad++;
					show("REFUSE?", c, got, out.len, rc);
				}
			} else if (ok ? !same : rc == 0) {
				hand_bad++;
				show("DIFF", c, got, out.len, rc);
			}
		} else {
			gen++;
			if (ok) {
				gen_ok++;
				gen_same += same;
				if (!same && verbose)
					show("GEN", c, got, out.len, rc);
			} else {
				gen_both_err += rc != 0;
				if (rc == 0 && verbose)
					show("GENERR", c, got, out.len, rc);
			}
		}
		mx_buf_free(&out);
	}
	double rate = gen_ok ? 100.0 * (double)gen_same / (double)gen_ok : 0;
	printf("jinja differential: hand-written %zu/%zu identical; generated %zu/%zu rendered by Jinja2 "
	       "identical (%.2f%%), %zu/%zu Jinja2 errors also errors here\n",
	       hand - hand_bad, hand, gen_same, gen_ok, rate, gen_both_err, gen - gen_ok);
	json_decref(corpus);
	if (hand_bad)
		fail_msg("%zu hand-written case(s) differ from Jinja2", hand_bad);
	if (rate < 99.0)
		fail_msg("generated corpus: %.2f%% identical, below 99%%", rate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
