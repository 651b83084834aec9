/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval — the tree-walking CEL evaluator: results and errors, names, fields
 * and indexes, literals, the macros (has, all, exists, exists_one, map,
 * filter), the operators that decide their own evaluation (&&, ||, ?:),
 * and the public eval API. Function calls and the other operators are the
 * standard library's (stdlib.c).
 *
 * An evaluation reads the program and the activation and writes only to
 * its own arena (the first 4 KiB on the caller's stack), so any number of
 * threads may evaluate one program at once. CEL errors are values of kind
 * MX_CEL_ERROR that propagate upward; && and || absorb them when the other
 * side decides the result. Recursion follows the tree, whose height the
 * parser bounds (MX_CEL_MAX_DEPTH); memory is bounded per evaluation.
 */
#include "cel/cel_int.h"

#include "core/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct mx_cel_scope {
	const struct mx_cel_scope *up;
	const char *name;
	size_t len;
	struct mx_cel_value v;
};

static const char oom_msg[] = "out of memory during evaluation";
static const char limit_msg[] = "evaluation exceeded its memory limit";

/* ==== results ==== */

void mx_cel_ev_oom(struct mx_cel_ev *e, struct mx_cel_value *out)
{
	out->kind = MX_CEL_ERROR;
	out->s.p = e->a->over_limit ? limit_msg : oom_msg;
	out->s.n = strlen(out->s.p);
}

__attribute__((format(printf, 3, 4))) void mx_cel_ev_fail(struct mx_cel_ev *e, struct mx_cel_value *out,
                                                          const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	const char *p = mx_cel_arena_dup(e->a, buf, (size_t)n);
	if (p == NULL) {
		mx_cel_ev_oom(e, out);
		return;
	}
	out->kind = MX_CEL_ERROR;
	out->s.p = p;
	out->s.n = (size_t)n;
}

void mx_cel_ev_no_overload(struct mx_cel_ev *e, struct mx_cel_value *out, const char *fn,
                           const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	if (b != NULL)
		mx_cel_ev_fail(e, out, "no such overload: %s(%s, %s)", fn, mx_cel_type_name(a),
		               mx_cel_type_name(b));
	else
		mx_cel_ev_fail(e, out, "no such overload: %s(%s)", fn, mx_cel_type_name(a));
}

void mx_cel_set_str(struct mx_cel_ev *e, struct mx_cel_value *out, enum mx_cel_kind k, const char *p,
                    size_t n)
{
	const char *c = mx_cel_arena_dup(e->a, p, n);
	if (c == NULL) {
		mx_cel_ev_oom(e, out);
		return;
	}
	out->kind = k;
	out->s.p = c;
	out->s.n = n;
}

/* ==== names, fields, indexes ==== */

static const struct mx_cel_value *lookup_local(const struct mx_cel_ev *e, const char *name, size_t len)
{
	for (const struct mx_cel_scope *s = e->locals; s != NULL; s = s->up)
		if (s->len == len && memcmp(s->name, name, len) == 0)
			return &s->v;
	return NULL;
}

static void ident(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	const struct mx_cel_value *v = e->locals ? lookup_local(e, n->name, n->name_len) : NULL;
	if (v == NULL)
		v = mx_cel_activation_get(e->act, n->name, n->name_len, n->hash);
	if (v == NULL)
		v = mx_cel_type_by_name(n->name, n->name_len);
	if (v == NULL) {
		mx_cel_ev_fail(e, out, "undeclared reference to '%.*s'", (int)n->name_len, n->name);
		return;
	}
	*out = *v;
}

/* a.b.c may name a variable or a type as a whole; the root must not be a local */
static const struct mx_cel_value *qualified(const struct mx_cel_ev *e, const struct mx_cel_node *n)
{
	const struct mx_cel_node *root = n;
	while (root->kind == MX_CEL_N_SELECT)
		root = root->target;
	if (lookup_local(e, root->name, root->name_len) != NULL)
		return NULL;
	const struct mx_cel_value *v = mx_cel_activation_get(e->act, n->qual, n->qual_len, n->qual_hash);
	return v ? v : mx_cel_type_by_name(n->qual, n->qual_len);
}

static void select_field(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	if (n->qual != NULL && mx_cel_activation_has_dotted(e->act)) {
		const struct mx_cel_value *q = qualified(e, n);
		if (q != NULL) {
			*out = *q;
			return;
		}
	}
	struct mx_cel_value t;
	mx_cel_eval_node(e, n->target, &t);
	if (t.kind == MX_CEL_ERROR) {
		const struct mx_cel_value *q = n->qual != NULL ? qualified(e, n) : NULL;
		*out = q ? *q : t;
		return;
	}
	if (t.kind != MX_CEL_MAP) {
		if (n->kind == MX_CEL_N_HAS)
			mx_cel_ev_fail(e, out, "invalid type for has(): %s", mx_cel_type_name(&t));
		else
			mx_cel_ev_fail(e, out, "type '%s' does not support field selection",
			               mx_cel_type_name(&t));
		return;
	}
	const struct mx_cel_value *v = mx_cel_map_get_str(t.map, n->name, n->name_len);
	if (n->kind == MX_CEL_N_HAS) {
		mx_cel_set_bool(out, v != NULL);
		return;
	}
	if (v == NULL) {
		mx_cel_ev_fail(e, out, "no such key: %.*s", (int)n->name_len, n->name);
		return;
	}
	*out = *v;
}

static void index_value(struct mx_cel_ev *e, const struct mx_cel_value *t, const struct mx_cel_value *k,
                        struct mx_cel_value *out)
{
	if (t->kind == MX_CEL_LIST) {
		int64_t i;
		if (k->kind == MX_CEL_INT) {
			i = k->i;
		} else if (k->kind == MX_CEL_UINT) {
			i = k->u > (uint64_t)INT64_MAX ? -1 : (int64_t)k->u;
		} else if (k->kind == MX_CEL_DOUBLE) {
			if (k->d != trunc(k->d) || !(k->d > -9.3e18 && k->d < 9.3e18)) {
				mx_cel_ev_fail(e, out, "unsupported index value %g", k->d);
				return;
			}
			i = (int64_t)k->d;
		} else {
			mx_cel_ev_no_overload(e, out, "_[_]", t, k);
			return;
		}
		if (i < 0 || (uint64_t)i >= t->list->n) {
			mx_cel_ev_fail(e, out, "index out of bounds: %lld", (long long)i);
			return;
		}
		*out = t->list->items[i];
		return;
	}
	if (t->kind == MX_CEL_MAP) {
		if (!mx_cel_is_key_kind(k->kind) && k->kind != MX_CEL_DOUBLE) {
			mx_cel_ev_fail(e, out, "unsupported key type: %s", mx_cel_type_name(k));
			return;
		}
		const struct mx_cel_value *v = mx_cel_map_get(t->map, k);
		if (v == NULL) {
			if (k->kind == MX_CEL_STRING)
				mx_cel_ev_fail(e, out, "no such key: %.*s", (int)(k->s.n > 64 ? 64 : k->s.n),
				               k->s.p);
			else
				mx_cel_ev_fail(e, out, "no such key");
			return;
		}
		*out = *v;
		return;
	}
	mx_cel_ev_no_overload(e, out, "_[_]", t, k);
}

/* ==== literals ==== */

static void list_literal(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_list *l = mx_cel_arena_alloc(e->a, sizeof *l);
	struct mx_cel_value *items = mx_cel_arena_alloc(e->a, (n->nargs ? n->nargs : 1) * sizeof *items);
	if (l == NULL || items == NULL) {
		mx_cel_ev_oom(e, out);
		return;
	}
	for (uint32_t i = 0; i < n->nargs; i++) {
		mx_cel_eval_node(e, n->args[i], &items[i]);
		if (items[i].kind == MX_CEL_ERROR) {
			*out = items[i];
			return;
		}
	}
	l->n = n->nargs;
	l->items = items;
	out->kind = MX_CEL_LIST;
	out->list = l;
}

static void map_literal(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	size_t cnt = n->nargs / 2;
	struct mx_cel_map *m = mx_cel_arena_alloc(e->a, sizeof *m);
	struct mx_cel_value *keys = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *keys);
	struct mx_cel_value *vals = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *vals);
	if (m == NULL || keys == NULL || vals == NULL) {
		mx_cel_ev_oom(e, out);
		return;
	}
	for (size_t i = 0; i < cnt; i++) {
		mx_cel_eval_node(e, n->args[2 * i], &keys[i]);
		if (keys[i].kind == MX_CEL_ERROR) {
			*out = keys[i];
			return;
		}
		if (!mx_cel_is_key_kind(keys[i].kind)) {
			mx_cel_ev_fail(e, out, "unsupported key type: %s", mx_cel_type_name(&keys[i]));
			return;
		}
		mx_cel_eval_node(e, n->args[2 * i + 1], &vals[i]);
		if (vals[i].kind == MX_CEL_ERROR) {
			*out = vals[i];
			return;
		}
	}
	m->n = cnt;
	m->keys = keys;
	m->vals = vals;
	size_t dup = 0;
	int rc = mx_cel_map_finish(e->a, m, &dup);
	if (rc == MX_ENOMEM) {
		mx_cel_ev_oom(e, out);
		return;
	}
	if (rc != 0) {
		mx_cel_ev_fail(e, out, "Failed with repeated key");
		return;
	}
	out->kind = MX_CEL_MAP;
	out->map = m;
}

/* ==== macros ==== */

static void comprehension(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value range;
	mx_cel_eval_node(e, n->target, &range);
	if (range.kind == MX_CEL_ERROR) {
		*out = range;
		return;
	}
	const struct mx_cel_value *items, *vals = NULL;
	size_t cnt;
	if (range.kind == MX_CEL_LIST) {
		items = range.list->items;
		cnt = range.list->n;
	} else if (range.kind == MX_CEL_MAP) {
		items = range.map->keys;
		vals = range.map->vals;
		cnt = range.map->n;
	} else {
		mx_cel_ev_fail(e, out, "expected a list or a map for the macro range, got %s",
		               mx_cel_type_name(&range));
		return;
	}
	struct mx_cel_scope sc = {.up = e->locals, .name = n->name, .len = n->name_len};
	struct mx_cel_scope sc2 = {.up = &sc, .name = n->name2, .len = n->name2_len};
	const struct mx_cel_scope *saved = e->locals;
	e->locals = n->name2 != NULL ? &sc2 : &sc;
	enum mx_cel_macro m = (enum mx_cel_macro)n->op;
	struct mx_cel_value err = {.kind = MX_CEL_NULL};
	bool have_err = false;
	int64_t count = 0;
	struct mx_cel_value *res = NULL, *rkeys = NULL;
	size_t nres = 0;
	bool transform = m == MX_CEL_M_TRANSFORM_LIST || m == MX_CEL_M_TRANSFORM_MAP;
	if (m == MX_CEL_M_MAP || m == MX_CEL_M_MAP_FILTER || m == MX_CEL_M_FILTER || transform) {
		res = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *res);
		rkeys = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *rkeys);
		if (res == NULL || rkeys == NULL) {
			e->locals = saved;
			mx_cel_ev_oom(e, out);
			return;
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		if (n->name2 == NULL) {
			sc.v = items[i];
		} else if (vals != NULL) {
			sc.v = items[i];
			sc2.v = vals[i];
		} else {
			mx_cel_set_int(&sc.v, (int64_t)i);
			sc2.v = items[i];
		}
		struct mx_cel_value r;
		mx_cel_eval_node(e, n->args[0], &r);
		if (transform && n->nargs == 1) {
			if (r.kind == MX_CEL_ERROR) {
				*out = r;
				goto done;
			}
			rkeys[nres] = sc.v;
			res[nres++] = r;
			continue;
		}
		if (m == MX_CEL_M_MAP) {
			if (r.kind == MX_CEL_ERROR) {
				*out = r;
				goto done;
			}
			res[nres++] = r;
			continue;
		}
		if (r.kind != MX_CEL_BOOL && r.kind != MX_CEL_ERROR)
			mx_cel_ev_fail(e, &r, "no such overload: predicate returned %s, not bool",
			               mx_cel_type_name(&r));
		if (r.kind == MX_CEL_ERROR) {
			if (m == MX_CEL_M_ALL || m == MX_CEL_M_EXISTS) {
				if (!have_err) /* keep going: a decisive element absorbs the error */
					err = r;
				have_err = true;
				continue;
			}
			*out = r;
			goto done;
		}
		switch (m) {
		case MX_CEL_M_ALL:
			if (!r.b) {
				mx_cel_set_bool(out, false);
				goto done;
			}
			break;
		case MX_CEL_M_EXISTS:
			if (r.b) {
				mx_cel_set_bool(out, true);
				goto done;
			}
			break;
		case MX_CEL_M_EXISTS_ONE: count += r.b; break;
		case MX_CEL_M_FILTER:
			if (r.b)
				res[nres++] = items[i];
			break;
		case MX_CEL_M_TRANSFORM_LIST:
		case MX_CEL_M_TRANSFORM_MAP:
		case MX_CEL_M_MAP_FILTER:
			if (r.b) {
				struct mx_cel_value t;
				mx_cel_eval_node(e, n->args[1], &t);
				if (t.kind == MX_CEL_ERROR) {
					*out = t;
					goto done;
				}
				rkeys[nres] = sc.v;
				res[nres++] = t;
			}
			break;
		case MX_CEL_M_MAP: break;
		}
	}
	if (m == MX_CEL_M_TRANSFORM_MAP) {
		struct mx_cel_map *mp = mx_cel_arena_alloc(e->a, sizeof *mp);
		size_t dup;
		if (mp == NULL) {
			mx_cel_ev_oom(e, out);
			goto done;
		}
		mp->n = nres;
		mp->keys = rkeys;
		mp->vals = res;
		if (mx_cel_map_finish(e->a, mp, &dup) != 0) {
			mx_cel_ev_oom(e, out);
			goto done;
		}
		out->kind = MX_CEL_MAP;
		out->map = mp;
		goto done;
	}
	switch (m) {
	case MX_CEL_M_ALL:
	case MX_CEL_M_EXISTS:
		if (have_err)
			*out = err;
		else
			mx_cel_set_bool(out, m == MX_CEL_M_ALL);
		break;
	case MX_CEL_M_EXISTS_ONE: mx_cel_set_bool(out, count == 1); break;
	default: {
		struct mx_cel_list *l = mx_cel_arena_alloc(e->a, sizeof *l);
		if (l == NULL) {
			mx_cel_ev_oom(e, out);
			break;
		}
		l->n = nres;
		l->items = res;
		out->kind = MX_CEL_LIST;
		out->list = l;
		break;
	}
	}
done:
	e->locals = saved;
}

/* ==== the evaluator ==== */

static void logic(struct mx_cel_ev *e, const struct mx_cel_node *n, bool is_and, struct mx_cel_value *out)
{
	struct mx_cel_value l, r;
	mx_cel_eval_node(e, n->target, &l);
	/* short circuit: false && _, true || _ */
	if (l.kind == MX_CEL_BOOL && l.b != is_and) {
		*out = l;
		return;
	}
	mx_cel_eval_node(e, n->args[0], &r);
	if (r.kind == MX_CEL_BOOL && r.b != is_and) {
		*out = r;
		return;
	}
	if (l.kind == MX_CEL_BOOL && r.kind == MX_CEL_BOOL) {
		*out = l;
		return;
	}
	if (l.kind == MX_CEL_ERROR) {
		*out = l;
		return;
	}
	if (r.kind == MX_CEL_ERROR) {
		*out = r;
		return;
	}
	mx_cel_ev_no_overload(e, out, is_and ? "_&&_" : "_||_", &l, &r);
}

static void binary(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value l, r;
	mx_cel_eval_node(e, n->target, &l);
	if (l.kind == MX_CEL_ERROR) {
		*out = l;
		return;
	}
	mx_cel_eval_node(e, n->args[0], &r);
	if (r.kind == MX_CEL_ERROR) {
		*out = r;
		return;
	}
	int op = n->op;
	switch (op) {
	case MX_CEL_OP_EQ:
	case MX_CEL_OP_NE: mx_cel_set_bool(out, mx_cel_equal(&l, &r) == (op == MX_CEL_OP_EQ)); return;
	case MX_CEL_OP_LT:
	case MX_CEL_OP_LE:
	case MX_CEL_OP_GT:
	case MX_CEL_OP_GE: {
		static const char *const names[] = {[MX_CEL_OP_LT] = "_<_",
		                                    [MX_CEL_OP_LE] = "_<=_",
		                                    [MX_CEL_OP_GT] = "_>_",
		                                    [MX_CEL_OP_GE] = "_>=_"};
		int c = mx_cel_compare(&l, &r);
		if (c == -2) {
			mx_cel_ev_no_overload(e, out, names[op], &l, &r);
			return;
		}
		if (c == 2) {
			mx_cel_set_bool(out, false);
			return;
		}
		mx_cel_set_bool(out, op == MX_CEL_OP_LT   ? c < 0
		                     : op == MX_CEL_OP_LE ? c <= 0
		                     : op == MX_CEL_OP_GT ? c > 0
		                                          : c >= 0);
		return;
	}
	case MX_CEL_OP_IN:
		if (r.kind == MX_CEL_LIST) {
			for (size_t i = 0; i < r.list->n; i++)
				if (mx_cel_equal(&l, &r.list->items[i])) {
					mx_cel_set_bool(out, true);
					return;
				}
			mx_cel_set_bool(out, false);
			return;
		}
		if (r.kind == MX_CEL_MAP) {
			bool keyish = mx_cel_is_key_kind(l.kind) || l.kind == MX_CEL_DOUBLE;
			mx_cel_set_bool(out, keyish && mx_cel_map_get(r.map, &l) != NULL);
			return;
		}
		mx_cel_ev_no_overload(e, out, "@in", &l, &r);
		return;
	default: mx_cel_arith(e, op, &l, &r, out); return;
	}
}

void mx_cel_eval_node(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	switch ((enum mx_cel_node_kind)n->kind) {
	case MX_CEL_N_LIT: *out = n->lit; return;
	case MX_CEL_N_IDENT: ident(e, n, out); return;
	case MX_CEL_N_SELECT:
	case MX_CEL_N_HAS: select_field(e, n, out); return;
	case MX_CEL_N_INDEX: {
		struct mx_cel_value t, k;
		mx_cel_eval_node(e, n->target, &t);
		if (t.kind == MX_CEL_ERROR) {
			*out = t;
			return;
		}
		mx_cel_eval_node(e, n->args[0], &k);
		if (k.kind == MX_CEL_ERROR) {
			*out = k;
			return;
		}
		index_value(e, &t, &k, out);
		return;
	}
	case MX_CEL_N_CALL: mx_cel_call(e, n, out); return;
	case MX_CEL_N_LIST: list_literal(e, n, out); return;
	case MX_CEL_N_MAP: map_literal(e, n, out); return;
	case MX_CEL_N_STRUCT:
		mx_cel_ev_fail(e, out, "message construction is not supported: %.*s", (int)n->name_len,
		               n->name);
		return;
	case MX_CEL_N_AND: logic(e, n, true, out); return;
	case MX_CEL_N_OR: logic(e, n, false, out); return;
	case MX_CEL_N_COND: {
		struct mx_cel_value c;
		mx_cel_eval_node(e, n->target, &c);
		if (c.kind == MX_CEL_ERROR) {
			*out = c;
			return;
		}
		if (c.kind != MX_CEL_BOOL) {
			mx_cel_ev_no_overload(e, out, "_?_:_", &c, NULL);
			return;
		}
		mx_cel_eval_node(e, n->args[c.b ? 0 : 1], out);
		return;
	}
	case MX_CEL_N_NOT:
		mx_cel_eval_node(e, n->target, out);
		if (out->kind == MX_CEL_BOOL)
			out->b = !out->b;
		else if (out->kind != MX_CEL_ERROR)
			mx_cel_ev_no_overload(e, out, "!_", out, NULL);
		return;
	case MX_CEL_N_NEG:
		mx_cel_eval_node(e, n->target, out);
		if (out->kind == MX_CEL_INT) {
			if (out->i == INT64_MIN)
				mx_cel_ev_fail(e, out, "integer overflow");
			else
				out->i = -out->i;
		} else if (out->kind == MX_CEL_DOUBLE) {
			out->d = -out->d;
		} else if (out->kind != MX_CEL_ERROR) {
			struct mx_cel_value v = *out;
			mx_cel_ev_no_overload(e, out, "-_", &v, NULL);
		}
		return;
	case MX_CEL_N_BINARY: binary(e, n, out); return;
	case MX_CEL_N_COMPR: comprehension(e, n, out); return;
	}
	mx_cel_ev_fail(e, out, "internal error: bad node");
}

/* ==== public API ==== */

struct mx_cel_result {
	struct mx_cel_arena arena;
	struct mx_cel_value value;
};

#define STACK_ARENA 4096

int mx_cel_eval_value(const struct mx_cel_program *p, const struct mx_cel_activation *act,
                      struct mx_cel_result **out)
{
	*out = NULL;
	struct mx_cel_result *r = mx_calloc(1, sizeof *r);
	if (r == NULL)
		return MX_ENOMEM;
	mx_cel_arena_init(&r->arena, NULL, 0, MX_CEL_MAX_EVAL_BYTES);
	struct mx_cel_ev e = {.prog = p, .act = act, .a = &r->arena};
	mx_cel_eval_node(&e, p->root, &r->value);
	if (r->value.kind == MX_CEL_ERROR && r->value.s.p == oom_msg) {
		mx_cel_result_free(r);
		return MX_ENOMEM;
	}
	*out = r;
	return 0;
}

const struct mx_cel_value *mx_cel_result_value(const struct mx_cel_result *r)
{
	return &r->value;
}

void mx_cel_result_free(struct mx_cel_result *r)
{
	if (r == NULL)
		return;
	mx_cel_arena_free(&r->arena);
	mx_free(r);
}

static int eval_error(const struct mx_cel_value *v, struct mx_err *err)
{
	if (v->s.p == oom_msg)
		return mx_err_set(err, MX_ENOMEM, "%s", oom_msg);
	return mx_err_set(err, v->s.p == limit_msg ? MX_ELIMIT : MX_EINVAL, "%.*s", (int)v->s.n, v->s.p);
}

int mx_cel_eval(const struct mx_cel_program *p, const struct mx_cel_activation *act, json_t **out,
                struct mx_err *err)
{
	*out = NULL;
	_Alignas(max_align_t) char buf[STACK_ARENA];
	struct mx_cel_arena a;
	mx_cel_arena_init(&a, buf, sizeof buf, MX_CEL_MAX_EVAL_BYTES);
	struct mx_cel_ev e = {.prog = p, .act = act, .a = &a};
	struct mx_cel_value v;
	mx_cel_eval_node(&e, p->root, &v);
	int rc = 0;
	if (v.kind == MX_CEL_ERROR) {
		rc = eval_error(&v, err);
	} else {
		*out = mx_cel_value_to_json(&v);
		if (*out == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	mx_cel_arena_free(&a);
	return rc;
}

int mx_cel_eval_bool(const struct mx_cel_program *p, const struct mx_cel_activation *act, bool *out,
                     struct mx_err *err)
{
	*out = false;
	_Alignas(max_align_t) char buf[STACK_ARENA];
	struct mx_cel_arena a;
	mx_cel_arena_init(&a, buf, sizeof buf, MX_CEL_MAX_EVAL_BYTES);
	struct mx_cel_ev e = {.prog = p, .act = act, .a = &a};
	struct mx_cel_value v;
	mx_cel_eval_node(&e, p->root, &v);
	int rc = 0;
	if (v.kind == MX_CEL_ERROR)
		rc = eval_error(&v, err);
	else if (v.kind != MX_CEL_BOOL)
		rc = mx_err_set(err, MX_EINVAL, "condition evaluated to %s, not bool", mx_cel_type_name(&v));
	else
		*out = v.b;
	mx_cel_arena_free(&a);
	return rc;
}
