/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cel-spec conformance suite against src/cel/.
 *
 * Reads ../shared/conformance/cel/<file>.textproto beside the source tree
 * (or $MX_CEL_CONFORMANCE_DIR; protobuf text format of
 * cel.expr.conformance.test.SimpleTestFile) with a small text-format reader
 * of its own, runs every applicable test and prints per file
 * applicable/passed/failed/skipped. Skipped: tests needing protocol-buffer
 * messages (object_value, TestAllTypes, google.protobuf wrappers), a
 * `container`, or type-checker-only results.
 *
 * Every applicable test must pass (all 1,128 of the pinned data do), and
 * every test named in cel_conformance_baseline.txt (one "file/section/test"
 * per line) must be among them, so a test cannot drop out as "skipped"
 * unnoticed. A data file that is missing or does not parse fails the test.
 * The data is not part of this repository: when its folder is missing
 * altogether the program exits 77, which CTest shows as skipped (not as
 * passed). Regenerate the baseline after the data changed with
 * MX_CEL_CONFORMANCE_UPDATE=1.
 */
#include "harness.h"

#include "core/utf8.h"
#include "core/alloc.h"
#include "cel/cel.h"
#include "cel/cel_int.h"

#include <ctype.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== protobuf text format ==== */

struct tp {
	char *name;
	bool is_msg;
	bool is_str; /* scalar was a quoted string */
	char *text; /* scalar text (decoded for strings) */
	size_t len;
	struct tp *child, *next;
};

struct tp_reader {
	const char *s;
	size_t n, pos;
	const char *err;
};

static void tp_free(struct tp *t)
{
	while (t != NULL) {
		struct tp *next = t->next;
		tp_free(t->child);
		free(t->name);
		free(t->text);
		free(t);
		t = next;
	}
}

static void tp_skip(struct tp_reader *r)
{
	for (;;) {
		while (r->pos < r->n && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
		                         r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
			r->pos++;
		if (r->pos < r->n && r->s[r->pos] == '#') {
			while (r->pos < r->n && r->s[r->pos] != '\n')
				r->pos++;
			continue;
		}
		return;
	}
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One quoted string, escapes decoded, appended to *buf. */
static bool tp_string(struct tp_reader *r, char **buf, size_t *len)
{
	char q = r->s[r->pos++];
	size_t cap = *len + (r->n - r->pos) + 1;
	char *b = realloc(*buf, cap);
	if (b == NULL)
		return false;
	*buf = b;
	size_t o = *len;
	while (r->pos < r->n && r->s[r->pos] != q) {
		char c = r->s[r->pos++];
		if (c != '\\') {
			b[o++] = c;
			continue;
		}
		c = r->s[r->pos++];
		switch (c) {
		case 'n': b[o++] = '\n'; break;
		case 't': b[o++] = '\t'; break;
		case 'r': b[o++] = '\r'; break;
		case 'a': b[o++] = '\a'; break;
		case 'b': b[o++] = '\b'; break;
		case 'f': b[o++] = '\f'; break;
		case 'v': b[o++] = '\v'; break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && hexv(r->s[r->pos]) >= 0) {
				v = v * 16 + hexv(r->s[r->pos++]);
				k++;
			}
			b[o++] = (char)v;
			break;
		}
		case 'u':
		case 'U': {
			int digits = c == 'u' ? 4 : 8;
			uint32_t v = 0;
			for (int k = 0; k < digits; k++)
				v = v * 16 + (uint32_t)hexv(r->s[r->pos++]);
			o += mx_utf8_put(b + o, v);
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', k = 1;
				while (k < 3 && r->s[r->pos] >= '0' && r->s[r->pos] <= '7') {
					v = v * 8 + (r->s[r->pos++] - '0');
					k++;
				}
				b[o++] = (char)v;
			} else {
				b[o++] = c;
			}
		}
	}
	if (r->pos >= r->n) {
		r->err = "unterminated string";
		return false;
	}
	r->pos++;
	b[o] = 0;
	*len = o;
	return true;
}

static struct tp *tp_fields(struct tp_reader *r, char close);

static struct tp *tp_field(struct tp_reader *r)
{
	tp_skip(r);
	size_t start = r->pos;
	if (r->s[r->pos] == '[') {
		while (r->pos < r->n && r->s[r->pos] != ']')
			r->pos++;
		r->pos++;
	} else {
		while (r->pos < r->n && (isalnum((unsigned char)r->s[r->pos]) || r->s[r->pos] == '_'))
			r->pos++;
	}
	if (r->pos == start) {
		r->err = "expected a field name";
		return NULL;
	}
	struct tp *t = calloc(1, sizeof *t);
	t->name = strndup(r->s + start, r->pos - start);
	tp_skip(r);
	bool colon = false;
	if (r->s[r->pos] == ':') {
		colon = true;
		r->pos++;
		tp_skip(r);
	}
	char c = r->s[r->pos];
	if (c == '{' || c == '<') {
		r->pos++;
		t->is_msg = true;
		t->child = tp_fields(r, c == '{' ? '}' : '>');
		if (r->err) {
			tp_free(t);
			return NULL;
		}
		r->pos++;
	} else if (c == '"' || c == '\'') {
		t->is_str = true;
		while (r->s[r->pos] == '"' || r->s[r->pos] == '\'') {
			if (!tp_string(r, &t->text, &t->len)) {
				tp_free(t);
				return NULL;
			}
			tp_skip(r);
		}
	} else if (colon) {
		size_t s0 = r->pos;
		while (r->pos < r->n &&
		       (isalnum((unsigned char)r->s[r->pos]) || strchr("-+._", r->s[r->pos])))
			r->pos++;
		t->text = strndup(r->s + s0, r->pos - s0);
		t->len = r->pos - s0;
	} else {
		r->err = "expected a value";
		tp_free(t);
		return NULL;
	}
	tp_skip(r);
	if (r->s[r->pos] == ',' || r->s[r->pos] == ';')
		r->pos++;
	return t;
}

static struct tp *tp_fields(struct tp_reader *r, char close)
{
	struct tp *head = NULL, **tail = &head;
	for (;;) {
		tp_skip(r);
		if (r->pos >= r->n || r->s[r->pos] == close)
			break;
		struct tp *f = tp_field(r);
		if (f == NULL)
			break;
		*tail = f;
		tail = &f->next;
	}
	return head;
}

static const struct tp *tp_get(const struct tp *t, const char *name)
{
	for (const struct tp *c = t ? t->child : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static bool tp_contains(const struct tp *t, const char *name)
{
	for (; t; t = t->next) {
		if (strcmp(t->name, name) == 0 || tp_contains(t->child, name))
			return true;
	}
	return false;
}

/* ==== expected values ==== */

static int tp_value(struct mx_cel_arena *a, const struct tp *v, struct mx_cel_value *out)
{
	memset(out, 0, sizeof *out);
	const struct tp *f = v->child;
	if (f == NULL)
		return -1;
	const char *k = f->name;
	if (strcmp(k, "int64_value") == 0) {
		out->kind = MX_CEL_INT;
		out->i = strtoll(f->text, NULL, 10);
	} else if (strcmp(k, "uint64_value") == 0) {
		out->kind = MX_CEL_UINT;
		out->u = strtoull(f->text, NULL, 10);
	} else if (strcmp(k, "double_value") == 0) {
		out->kind = MX_CEL_DOUBLE;
		const char *t = f->text;
		if (strcmp(t, "inf") == 0 || strcmp(t, "infinity") == 0)
			out->d = INFINITY;
		else if (strcmp(t, "-inf") == 0 || strcmp(t, "-infinity") == 0)
			out->d = -INFINITY;
		else if (strcmp(t, "nan") == 0)
			out->d = NAN;
		else
			out->d = strtod(t, NULL);
	} else if (strcmp(k, "string_value") == 0 || strcmp(k, "bytes_value") == 0) {
		out->kind = k[0] == 's' ? MX_CEL_STRING : MX_CEL_BYTES;
		out->s.p = f->text ? f->text : "";
		out->s.n = f->len;
	} else if (strcmp(k, "bool_value") == 0) {
		out->kind = MX_CEL_BOOL;
		out->b = strcmp(f->text, "true") == 0;
	} else if (strcmp(k, "null_value") == 0) {
		out->kind = MX_CEL_NULL;
	} else if (strcmp(k, "type_value") == 0) {
		out->kind = MX_CEL_TYPE;
		out->s.p = f->text;
		out->s.n = f->len;
	} else if (strcmp(k, "list_value") == 0) {
		size_t n = 0;
		for (const struct tp *c = f->child; c; c = c->next)
			n++;
		struct mx_cel_value *items = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *items);
		struct mx_cel_list *l = mx_cel_arena_alloc(a, sizeof *l);
		size_t i = 0;
		for (const struct tp *c = f->child; c; c = c->next)
			if (tp_value(a, c, &items[i++]))
				return -1;
		l->n = n;
		l->items = items;
		out->kind = MX_CEL_LIST;
		out->list = l;
	} else if (strcmp(k, "map_value") == 0) {
		size_t n = 0;
		for (const struct tp *c = f->child; c; c = c->next)
			n++;
		struct mx_cel_value *keys = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *keys);
		struct mx_cel_value *vals = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *vals);
		struct mx_cel_map *m = mx_cel_arena_alloc(a, sizeof *m);
		size_t i = 0;
		for (const struct tp *c = f->child; c; c = c->next, i++) {
			const struct tp *kk = tp_get(c, "key"), *vv = tp_get(c, "value");
			if (kk == NULL || vv == NULL || tp_value(a, kk, &keys[i]) ||
			    tp_value(a, vv, &vals[i]))
				return -1;
		}
		m->n = n;
		m->keys = keys;
		m->vals = vals;
		size_t dup;
		mx_cel_map_finish(a, m, &dup);
		out->kind = MX_CEL_MAP;
		out->map = m;
	} else {
		return -1; /* object_value, enum_value: not applicable */
	}
	return 0;
}

/* Strict equality: kinds must match (1 and 1u differ here, unlike CEL ==). */
static bool same(const struct mx_cel_value *x, const struct mx_cel_value *y)
{
	if (x->kind != y->kind)
		return false;
	switch (x->kind) {
	case MX_CEL_DOUBLE:
		if (isnan(x->d) && isnan(y->d))
			return true;
		return x->d == y->d;
	case MX_CEL_LIST:
		if (x->list->n != y->list->n)
			return false;
		for (size_t i = 0; i < x->list->n; i++)
			if (!same(&x->list->items[i], &y->list->items[i]))
				return false;
		return true;
	case MX_CEL_MAP:
		if (x->map->n != y->map->n)
			return false;
		for (size_t i = 0; i < x->map->n; i++) {
			bool found = false;
			for (size_t j = 0; j < y->map->n && !found; j++)
				if (same(&x->map->keys[i], &y->map->keys[j])) {
					found = true;
					if (!same(&x->map->vals[i], &y->map->vals[j]))
						return false;
				}
			if (!found)
				return false;
		}
		return true;
	default: return mx_cel_equal(x, y);
	}
}

/* ==== running ==== */

static const char *const files[] = {"basic",  "logic",        "comparisons", "lists",       "macros",
                                    "string", "integer_math", "fp_math",     "conversions", "timestamps",
                                    "fields", "macros2",      "namespace",   "parse",       "plumbing"};

struct stats {
	int applicable, passed, failed, skipped;
};

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)sz + 1);
	*n = fread(b, 1, (size_t)sz, f);
	b[*n] = 0;
	fclose(f);
	return b;
}

static bool skip_test(const struct tp *t)
{
	const struct tp *expr = tp_get(t, "expr");
	if (expr == NULL || tp_get(t, "container") || tp_get(t, "check_only") || tp_get(t, "typed_result") ||
	    tp_get(t, "unknown") || tp_get(t, "any_eval_errors") || tp_get(t, "any_unknowns"))
		return true;
	if (tp_contains(t->child, "object_value") || tp_contains(t->child, "enum_value") ||
	    tp_contains(t->child, "message_type"))
		return true;
	const char *e = expr->text ? expr->text : "";
	if (strstr(e, "TestAllTypes") || strstr(e, "proto2") || strstr(e, "proto3"))
		return true;
	for (const char *p = strstr(e, "google.protobuf."); p; p = strstr(p + 1, "google.protobuf."))
		if (strncmp(p + 16, "Timestamp", 9) != 0 && strncmp(p + 16, "Duration", 8) != 0)
			return true;
	if (!tp_get(t, "value") && !tp_get(t, "eval_error"))
		return true;
	return false;
}

/* 1 pass, 0 fail; *why explains a failure. */
static int run_one(const struct tp *t, char *why, size_t whysz)
{
	const struct tp *expr = tp_get(t, "expr");
	struct mx_cel_arena a;
	mx_cel_arena_init(&a, NULL, 0, (size_t)1 << 30);
	struct mx_cel_activation *act = NULL;
	struct mx_cel_program *prog = NULL;
	struct mx_cel_result *res = NULL;
	int ok = 0;
	struct mx_err err;
	if (mx_cel_activation_new(&act))
		goto out;
	for (const struct tp *c = t->child; c; c = c->next) {
		if (strcmp(c->name, "bindings") != 0)
			continue;
		const struct tp *k = tp_get(c, "key"), *v = tp_get(c, "value");
		const struct tp *inner = v ? tp_get(v, "value") : NULL;
		struct mx_cel_value cv;
		if (k == NULL || inner == NULL || tp_value(&a, inner, &cv)) {
			snprintf(why, whysz, "unsupported binding");
			goto out;
		}
		if (mx_cel_activation_bind(act, k->text, &cv))
			goto out;
	}
	bool want_error = tp_get(t, "eval_error") != NULL;
	if (mx_cel_compile_n(expr->text ? expr->text : "", expr->len, &prog, &err)) {
		if (want_error) {
			/* cel-spec lists some syntax errors as evaluation errors */
			ok = 1;
			if (getenv("MX_CEL_CONFORMANCE_VERBOSE") != NULL)
				printf("  (error expected, raised at compile time) %s\n", expr->text);
			goto out;
		}
		snprintf(why, whysz, "compile failed: %.400s", err.msg);
		goto out;
	}
	if (mx_cel_eval_value(prog, act, &res)) {
		snprintf(why, whysz, "eval failed (out of memory)");
		goto out;
	}
	const struct mx_cel_value *got = mx_cel_result_value(res);
	if (want_error) {
		ok = got->kind == MX_CEL_ERROR;
		if (!ok) {
			json_t *j = mx_cel_value_to_json(got);
			char *s = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
			snprintf(why, whysz, "expected an error, got %s %s", mx_cel_type_name(got),
			         s ? s : "?");
			mx_free(s);
			json_decref(j);
		}
		goto out;
	}
	struct mx_cel_value want;
	if (tp_value(&a, tp_get(t, "value"), &want)) {
		snprintf(why, whysz, "unsupported expected value");
		goto out;
	}
	ok = same(&want, got);
	if (!ok) {
		if (got->kind == MX_CEL_ERROR) {
			snprintf(why, whysz, "error: %.*s", (int)got->s.n, got->s.p);
		} else {
			json_t *jw = mx_cel_value_to_json(&want), *jg = mx_cel_value_to_json(got);
			char *sw = jw ? json_dumps(jw, JSON_ENCODE_ANY) : NULL;
			char *sg = jg ? json_dumps(jg, JSON_ENCODE_ANY) : NULL;
			snprintf(why, whysz, "want %s %s, got %s %s", mx_cel_type_name(&want), sw ? sw : "?",
			         mx_cel_type_name(got), sg ? sg : "?");
			mx_free(sw);
			mx_free(sg);
			json_decref(jw);
			json_decref(jg);
		}
	}
out:
	mx_cel_result_free(res);
	mx_cel_program_free(prog);
	mx_cel_activation_free(act);
	mx_cel_arena_free(&a);
	return ok;
}

struct names {
	char **v;
	size_t n, cap;
};

static void names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 256;
		ns->v = realloc(ns->v, ns->cap * sizeof *ns->v);
	}
	ns->v[ns->n++] = strdup(s);
}

static bool names_has(const struct names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return true;
	return false;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static char data_dir[1024];

static void test_conformance(void **state)
{
	(void)state;
	const char *dir = data_dir;
	struct names passed = {0}, baseline = {0};
	size_t n = 0;
	char bpath[1024];
	snprintf(bpath, sizeof bpath, "%s/tests/unit/cel/cel_conformance_baseline.txt", mx_test_source_dir());
	bool update = getenv("MX_CEL_CONFORMANCE_UPDATE") != NULL;
	char *btext = read_all(bpath, &n);
	if (btext == NULL && !update)
		fail_msg("%s is missing", bpath);
	if (btext != NULL) {
		char *save = NULL;
		for (char *line = strtok_r(btext, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (line[0] != '#' && line[0] != 0)
				names_add(&baseline, line);
		free(btext);
	}
	if (baseline.n == 0 && !update)
		fail_msg("%s names no test", bpath);
	bool verbose = getenv("MX_CEL_CONFORMANCE_VERBOSE") != NULL;
	struct stats total = {0};
	printf("%-14s %10s %7s %7s %8s\n", "file", "applicable", "passed", "failed", "skipped");
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/%s.textproto", dir, files[f]);
		char *text = read_all(path, &n);
		if (text == NULL)
			fail_msg("%s: cannot read the conformance data file", path);
		struct tp_reader r = {.s = text, .n = n};
		struct tp *root = calloc(1, sizeof *root);
		root->child = tp_fields(&r, 0);
		if (r.err)
			fail_msg("%s: text format error at byte %zu: %s", path, r.pos, r.err);
		struct stats st = {0};
		for (const struct tp *sec = root->child; sec; sec = sec->next) {
			if (strcmp(sec->name, "section") != 0)
				continue;
			const struct tp *sname = tp_get(sec, "name");
			for (const struct tp *t = sec->child; t; t = t->next) {
				if (strcmp(t->name, "test") != 0)
					continue;
				const struct tp *tname = tp_get(t, "name");
				char full[512];
				snprintf(full, sizeof full, "%s/%s/%s", files[f], sname ? sname->text : "?",
				         tname ? tname->text : "?");
				if (skip_test(t)) {
					st.skipped++;
					continue;
				}
				st.applicable++;
				char why[600] = "";
				if (run_one(t, why, sizeof why)) {
					st.passed++;
					names_add(&passed, full);
				} else {
					st.failed++;
					printf("  FAIL %s: %s\n", full, why);
					if (verbose)
						printf("     expr: %s\n", tp_get(t, "expr")->text);
				}
			}
		}
		printf("%-14s %10d %7d %7d %8d\n", files[f], st.applicable, st.passed, st.failed, st.skipped);
		total.applicable += st.applicable;
		total.passed += st.passed;
		total.failed += st.failed;
		total.skipped += st.skipped;
		tp_free(root);
		free(text);
	}
	printf("%-14s %10d %7d %7d %8d\n", "total", total.applicable, total.passed, total.failed,
	       total.skipped);
	if (update) {
		FILE *out = fopen(bpath, "w");
		assert_non_null(out);
		fprintf(out,
		        "# cel-spec conformance tests that pass (tests/unit/cel/test_cel_conformance.c).\n"
		        "# Regenerate: MX_CEL_CONFORMANCE_UPDATE=1 ctest -R cel_conformance\n");
		for (size_t i = 0; i < passed.n; i++)
			fprintf(out, "%s\n", passed.v[i]);
		fclose(out);
	}
	int regressions = 0;
	for (size_t i = 0; i < baseline.n; i++)
		if (!names_has(&passed, baseline.v[i])) {
			printf("NOT RUN OR FAILED: %s\n", baseline.v[i]);
			regressions++;
		}
	names_free(&passed);
	names_free(&baseline);
	if (total.applicable == 0)
		fail_msg("no applicable test in %s", dir);
	if (total.failed != 0)
		fail_msg("%d of %d applicable cel-spec tests failed", total.failed, total.applicable);
	if (regressions != 0)
		fail_msg("%d test(s) of the baseline did not run and pass", regressions);
}

int main(void)
{
	const char *env = getenv("MX_CEL_CONFORMANCE_DIR");
	snprintf(data_dir, sizeof data_dir, "%s",
	         env && *env ? env : mx_test_path("../shared/conformance/cel"));
	struct stat st;
	if (stat(data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		/* Not part of this repository: say so, and let CTest show a skip. */
		printf("cel-spec conformance data not found in %s (set MX_CEL_CONFORMANCE_DIR); "
		       "skipped\n",
		       data_dir);
		return 77;
	}
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_conformance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
