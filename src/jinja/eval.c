/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval — rendering: frames of local variables, the operators, expressions
 * and statements, and mx_jinja_render. A render runs on the caller's
 * thread with its state on the caller's stack; the tree is only read, so
 * any number of renders may share one template.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/pytext.h"
#include "core/utf8.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- frames of local variables ---- */

static int frame_set(struct rframe *f, const char *name, struct val v)
{
	v.flags &= ~VAL_MISSING;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->vars[i].name, name) == 0) {
			vdrop(&f->vars[i].v);
			f->vars[i].v = v;
			return 0;
		}
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct var *nv = mx_realloc(f->vars, ncap * sizeof *nv);
		if (nv == NULL) {
			vdrop(&v);
			return MX_ENOMEM;
		}
		f->vars = nv;
		f->cap = ncap;
	}
	f->vars[f->n].name = name;
	f->vars[f->n].v = v;
	f->n++;
	return 0;
}

static void frame_clear(struct rframe *f)
{
	for (size_t i = 0; i < f->n; i++)
		vdrop(&f->vars[i].v);
	mx_free(f->vars);
	f->vars = NULL;
	f->n = f->cap = 0;
}

/* 1 and a copy in *out when the name is bound in a frame or the context. */
static int lookup(struct render *r, const struct expr *e, struct val *out)
{
	for (struct rframe *f = r->frame; f; f = f->parent)
		for (size_t i = 0; i < f->n; i++)
			if (strcmp(f->vars[i].name, e->name) == 0) {
				*out = vcopy(&f->vars[i].v);
				return 1;
			}
	json_t *j = r->ctx ? json_object_get(r->ctx, e->name) : NULL;
	if (j) {
		*out = vborrow(j);
		return 1;
	}
	*out = vundef(e, NULL);
	return 0;
}

/* ------------------------------------------------------------------------
 * Operators.
 * ---------------------------------------------------------------------- */

static int int_pow(json_int_t base, json_int_t exp, json_int_t *out)
{
	json_int_t result = 1;
	while (exp > 0) {
		if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
			return -1;
		exp >>= 1;
		if (exp && __builtin_mul_overflow(base, base, &base))
			return -1;
	}
	*out = result;
	return 0;
}

static double py_fmod(double a, double b)
{
	double m = fmod(a, b);
	if (m != 0) {
		if ((b < 0) != (m < 0))
			m += b;
	} else {
		m = copysign(0.0, b);
	}
	return m;
}

static double py_floordiv(double a, double b)
{
	double m = fmod(a, b);
	double div = (a - m) / b;
	if (m != 0 && ((b < 0) != (m < 0)))
		div -= 1.0;
	if (div == 0)
		return copysign(0.0, a / b);
	double fl = floor(div);
	if (div - fl > 0.5)
		fl += 1.0;
	return fl;
}

static int arith(struct render *r, const struct expr *e, int op, const struct num *x, const struct num *y,
                 struct val *out)
{
	if (x->is_int && y->is_int && op != OP_DIV && !(op == OP_POW && y->i < 0)) {
		if (x->big || y->big)
			return mx_jinja_big_arith(r, e, op, x, y, out);
		json_int_t a = x->i, b = y->i, res = 0;
		int ovf = 0;
		switch (op) {
		case OP_ADD: ovf = __builtin_add_overflow(a, b, &res); break;
		case OP_SUB: ovf = __builtin_sub_overflow(a, b, &res); break;
		case OP_MUL: ovf = __builtin_mul_overflow(a, b, &res); break;
		case OP_FLOORDIV:
		case OP_MOD:
			if (b == 0)
				return mx_jinja_rerr(r, e, MX_EINVAL, "division by zero");
			if (b == -1) {
				ovf = op == OP_FLOORDIV && __builtin_sub_overflow((json_int_t)0, a, &res);
				if (op == OP_MOD)
					res = 0;
				break;
			}
			if (op == OP_FLOORDIV) {
				res = a / b;
				if (a % b != 0 && ((a < 0) != (b < 0)))
					res--;
			} else {
				res = a % b;
				if (res != 0 && ((res < 0) != (b < 0)))
					res += b;
			}
			break;
		case OP_POW: ovf = int_pow(a, b, &res) != 0; break;
		default: return mx_jinja_rerr(r, e, MX_EINTERNAL, "bad operator");
		}
		if (ovf)
			return mx_jinja_big_arith(r, e, op, x, y, out);
		return vset(out, json_integer(res));
	}
	if ((x->big && isinf(x->d)) || (y->big && isinf(y->d)))
		return mx_jinja_rerr(r, e, MX_EINVAL, "int too large to convert to float");
	double a = x->d, b = y->d, res;
	switch (op) {
	case OP_ADD: res = a + b; break;
	case OP_SUB: res = a - b; break;
	case OP_MUL: res = a * b; break;
	case OP_DIV:
	case OP_FLOORDIV:
	case OP_MOD:
		if (b == 0)
			return mx_jinja_rerr(r, e, MX_EINVAL, "division by zero");
		res = op == OP_DIV ? a / b : op == OP_MOD ? py_fmod(a, b) : py_floordiv(a, b);
		break;
	case OP_POW:
		if (a == 0 && b < 0)
			return mx_jinja_rerr(r, e, MX_EINVAL, "division by zero");
		if (a < 0 && b != floor(b))
			return mx_jinja_rerr(r, e, MX_EINVAL, "negative number raised to a fractional power");
		res = pow(a, b);
		if (isinf(res) && isfinite(a) && isfinite(b))
			return mx_jinja_rerr(r, e, MX_EINVAL, "(34, 'Numerical result out of range')");
		break;
	default: return mx_jinja_rerr(r, e, MX_EINTERNAL, "bad operator");
	}
	return mx_jinja_mk_real(r, e, res, out);
}

static int repeat_value(struct render *r, const struct expr *e, const json_t *seq, json_int_t times,
                        struct val *out)
{
	if (times < 0)
		times = 0;
	if (json_is_string(seq)) {
		size_t n = json_string_length(seq);
		if (n && (size_t)times > r->max_str / n)
			return mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
			                     r->max_str);
		struct mx_buf b;
		mx_jinja_sb_init(r, &b);
		int rc = mx_buf_append(&b, "", 0);
		for (json_int_t i = 0; i < times && rc == 0; i++)
			rc = mx_buf_append(&b, json_string_value(seq), n);
		return mx_jinja_sb_finish(r, e, &b, rc, out);
	}
	size_t n = json_array_size(seq);
	if (n && (size_t)times > MX_JINJA_MAX_ITEMS / n)
		return mx_jinja_rerr(r, e, MX_ELIMIT, "list too long (limit %d items)", MX_JINJA_MAX_ITEMS);
	json_t *a = json_array();
	int rc = a ? 0 : MX_ENOMEM;
	for (json_int_t i = 0; i < times && rc == 0; i++)
		rc = json_array_extend(a, (json_t *)seq) ? MX_ENOMEM : 0;
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

int mx_jinja_binop(struct render *r, const struct expr *e, int op, const struct val *a, const struct val *b,
                   struct val *out)
{
	*out = vundef(NULL, NULL);
	if (a->j == NULL)
		return mx_jinja_undef_err(r, e, a);
	if (b->j == NULL)
		return mx_jinja_undef_err(r, e, b);
	struct num x = {0}, y = {0};
	int xn = get_num(a->j, &x), yn = get_num(b->j, &y);
	if (xn && yn)
		return arith(r, e, op, &x, &y, out);
	if (op == OP_ADD && json_is_string(a->j) && json_is_string(b->j)) {
		/* Markup + str escapes the str; the result is Markup */
		int ma = mx_jinja_is_markup(a->j), mb = mx_jinja_is_markup(b->j);
		struct mx_buf s;
		size_t na = json_string_length(a->j), nb = json_string_length(b->j);
		if (na + nb > r->max_str)
			return mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
			                     r->max_str);
		mx_jinja_sb_init(r, &s);
		int rc = mx_buf_append(&s, "", 0);
		if (rc == 0)
			rc = (mb && !ma) ? mx_jinja_escape_html(&s, json_string_value(a->j), na)
			                 : mx_buf_append(&s, json_string_value(a->j), na);
		if (rc == 0)
			rc = (ma && !mb) ? mx_jinja_escape_html(&s, json_string_value(b->j), nb)
			                 : mx_buf_append(&s, json_string_value(b->j), nb);
		if ((rc = mx_jinja_sb_finish(r, e, &s, rc, out)) == 0 && (ma || mb))
			rc = mx_jinja_special_add(out->j, SK_MARKUP, NULL);
		return rc;
	}
	if (op == OP_ADD && json_is_array(a->j) && json_is_array(b->j)) {
		if (json_array_size(a->j) + json_array_size(b->j) > MX_JINJA_MAX_ITEMS)
			return mx_jinja_rerr(r, e, MX_ELIMIT, "list too long (limit %d items)",
			                     MX_JINJA_MAX_ITEMS);
		json_t *c = json_array();
		if (c == NULL || json_array_extend(c, a->j) || json_array_extend(c, b->j)) {
			json_decref(c);
			return MX_ENOMEM;
		}
		return vset(out, c);
	}
	if (op == OP_MUL) {
		if ((json_is_string(a->j) || json_is_array(a->j)) && yn && y.is_int)
			return repeat_value(r, e, a->j, y.i, out);
		if ((json_is_string(b->j) || json_is_array(b->j)) && xn && x.is_int)
			return repeat_value(r, e, b->j, x.i, out);
	}
	if (op == OP_MOD && json_is_string(a->j))
		return mx_jinja_percent(r, e, json_string_value(a->j), json_string_length(a->j), b->j,
		                        mx_jinja_is_markup(a->j), out);
	return mx_jinja_rerr(r, e, MX_EINVAL, "unsupported operand type(s) for %s: '%s' and '%s'",
	                     mx_jinja_op_text(op), mx_jinja_vtype(a), mx_jinja_vtype(b));
}

const char *mx_jinja_find_bytes(const char *h, size_t hn, const char *n, size_t nn)
{
	if (nn == 0)
		return h;
	if (hn < nn)
		return NULL;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

/* item in container */
static int contains(struct render *r, const struct expr *e, const struct val *container,
                    const struct val *item, int *res)
{
	const json_t *c = container->j;
	*res = 0;
	if (c == NULL)
		return 0;
	switch (json_typeof(c)) {
	case JSON_STRING:
		if (item->j == NULL || !json_is_string(item->j))
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "'in <string>' requires string as left operand, not %s",
			                     mx_jinja_vtype(item));
		*res = mx_jinja_find_bytes(json_string_value(c), json_string_length(c),
		                           json_string_value(item->j), json_string_length(item->j)) != NULL;
		return 0;
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		if (item->j == NULL)
			return 0;
		json_array_foreach (c, i, x)
			if (mx_jinja_py_eq(x, item->j, 0)) {
				*res = 1;
				break;
			}
		return 0;
	}
	case JSON_OBJECT:
		if (item->j && json_is_string(item->j))
			*res = json_object_getn(c, json_string_value(item->j), json_string_length(item->j)) !=
			       NULL;
		else if (item->j && (json_is_array(item->j) || json_is_object(item->j)))
			return mx_jinja_rerr(r, e, MX_EINVAL, "unhashable type: '%s'", mx_jinja_vtype(item));
		return 0;
	default:
		return mx_jinja_rerr(r, e, MX_EINVAL, "argument of type '%s' is not iterable",
		                     mx_jinja_vtype(container));
	}
}

int mx_jinja_compare_values(struct render *r, const struct expr *e, int op, const struct val *a,
                            const struct val *b, int *res)
{
	int lt = 0, rc;
	switch (op) {
	case OP_EQ: *res = mx_jinja_veq(a, b); return 0;
	case OP_NE: *res = !mx_jinja_veq(a, b); return 0;
	case OP_IN:
	case OP_NOTIN:
		rc = contains(r, e, b, a, res);
		if (op == OP_NOTIN)
			*res = !*res;
		return rc;
	default: break;
	}
	if (a->j == NULL)
		return mx_jinja_undef_err(r, e, a);
	if (b->j == NULL)
		return mx_jinja_undef_err(r, e, b);
	int swap = op == OP_GT || op == OP_GE;
	if (mx_jinja_py_lt(swap ? b->j : a->j, swap ? a->j : b->j, &lt, 0))
		return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' not supported between instances of '%s' and '%s'",
		                     mx_jinja_op_text(op), mx_jinja_vtype(a), mx_jinja_vtype(b));
	*res = lt || ((op == OP_LE || op == OP_GE) && mx_jinja_veq(a, b));
	return 0;
}

/* ------------------------------------------------------------------------
 * Expressions.
 * ---------------------------------------------------------------------- */

static int eval(struct render *r, const struct expr *e, struct val *out);

static void drop_all(struct val *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vdrop(&v[i]);
}

/* Argument arrays: a few on the stack, more on the heap (renders may run on small worker stacks). */
#define SMALL_ARGS 4

static struct val *args_get(struct val *small, size_t n)
{
	return n <= SMALL_ARGS ? small : mx_malloc(n * sizeof *small);
}

static void args_put(struct val *small, struct val *args, size_t n)
{
	drop_all(args, n);
	if (args != small)
		mx_free(args);
}

/* Evaluate n expressions; NULL entries become "missing" arguments. */
static int eval_args(struct render *r, struct expr *const *exprs, size_t n, struct val *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = vundef(NULL, NULL);
		if (exprs[i] == NULL) {
			out[i].flags = VAL_MISSING;
			continue;
		}
		int rc = eval(r, exprs[i], &out[i]);
		if (rc) {
			drop_all(out, i + 1);
			return rc;
		}
	}
	return 0;
}

static int eval_list(struct render *r, const struct expr *e, struct val *out)
{
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < e->nargs; i++) {
		struct val v;
		int rc = eval(r, e->args[i], &v);
		if (rc == 0 && json_array_append_new(a, v.j ? v.j : json_null()))
			rc = MX_ENOMEM;
		if (rc) {
			json_decref(a);
			return rc;
		}
	}
	return e->op ? mx_jinja_mk_tuple(a, out) : vset(out, a);
}

static int eval_dict(struct render *r, const struct expr *e, struct val *out)
{
	json_t *d = json_object();
	if (d == NULL)
		return MX_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < e->nargs && rc == 0; i++) {
		struct val k, v;
		if ((rc = eval(r, e->args[i], &k)))
			break;
		if (k.j == NULL || !json_is_string(k.j)) {
			rc = mx_jinja_rerr(r, e->args[i], MX_EINVAL, "dict keys must be strings, not %s",
			                   mx_jinja_vtype(&k));
			vdrop(&k);
			break;
		}
		if ((rc = eval(r, e->vals[i], &v)) == 0 &&
		    json_object_setn_new(d, json_string_value(k.j), json_string_length(k.j),
		                         v.j ? v.j : json_null()))
			rc = MX_ENOMEM;
		vdrop(&k);
	}
	if (rc) {
		json_decref(d);
		return rc;
	}
	return vset(out, d);
}

static int slice_index(struct render *r, const struct expr *e, const struct val *v, json_int_t *out,
                       int *present)
{
	struct num n = {0};
	*present = 0;
	if (v->j == NULL || json_is_null(v->j))
		return 0;
	if (!get_num(v->j, &n) || !n.is_int)
		return mx_jinja_rerr(r, e, MX_EINVAL, "slice indices must be integers or None");
	*out = n.i;
	*present = 1;
	return 0;
}

/* Python's slice.indices() and the walk over it. */
static int eval_slice(struct render *r, const struct expr *e, struct val *out)
{
	struct val obj, idx[3];
	int rc = eval(r, e->a, &obj);
	if (rc)
		return rc;
	if ((rc = eval_args(r, e->args, 3, idx))) {
		vdrop(&obj);
		return rc;
	}
	json_int_t v[3] = {0, 0, 1};
	int has[3];
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = slice_index(r, e, &idx[i], &v[i], &has[i]);
	drop_all(idx, 3);
	if (rc == 0 && has[2] && v[2] == 0)
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "slice step cannot be zero");
	if (rc || obj.j == NULL || !(json_is_array(obj.j) || json_is_string(obj.j))) {
		if (rc == 0)
			*out = vundef(e, mx_jinja_vtype(&obj));
		vdrop(&obj);
		return rc;
	}
	int is_str = json_is_string(obj.j);
	const char *s = is_str ? json_string_value(obj.j) : NULL;
	size_t slen = is_str ? json_string_length(obj.j) : 0;
	json_int_t len = is_str ? (json_int_t)mx_jinja_str_cps(obj.j) : (json_int_t)json_array_size(obj.j);
	json_int_t step = has[2] ? v[2] : 1, start, stop;
	if (step > 0) {
		start = has[0] ? (v[0] < 0 ? (v[0] + len < 0 ? 0 : v[0] + len) : (v[0] > len ? len : v[0]))
		               : 0;
		stop = has[1] ? (v[1] < 0 ? (v[1] + len < 0 ? 0 : v[1] + len) : (v[1] > len ? len : v[1]))
		              : len;
	} else {
		start = has[0] ? (v[0] < 0 ? (v[0] + len < 0 ? -1 : v[0] + len)
		                           : (v[0] >= len ? len - 1 : v[0]))
		               : len - 1;
		stop = has[1] ? (v[1] < 0 ? (v[1] + len < 0 ? -1 : v[1] + len)
		                          : (v[1] >= len ? len - 1 : v[1]))
		              : -1;
	}
	if (is_str) {
		struct mx_buf b;
		mx_jinja_sb_init(r, &b);
		rc = mx_buf_append(&b, "", 0);
		if (step == 1 && start < stop) { /* one run of bytes */
			size_t from = mx_jinja_str_off(obj.j, (size_t)start),
			       to = mx_jinja_str_off(obj.j, (size_t)stop);
			rc = mx_buf_append(&b, s + from, to - from);
		} else {
			for (json_int_t x = start; rc == 0 && (step > 0 ? x < stop : x > stop); x += step) {
				size_t from = mx_jinja_str_off(obj.j, (size_t)x), to = from;
				mx_utf8_next(s, slen, &to);
				rc = mx_buf_append(&b, s + from, to - from);
			}
		}
		vdrop(&obj);
		return mx_jinja_sb_finish(r, e, &b, rc, out);
	}
	json_t *a = json_array();
	rc = a ? 0 : MX_ENOMEM;
	for (json_int_t x = start; rc == 0 && (step > 0 ? x < stop : x > stop); x += step)
		rc = json_array_append(a, json_array_get(obj.j, (size_t)x)) ? MX_ENOMEM : 0;
	vdrop(&obj);
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

static int exec_body(struct render *r, const struct stmt *s);
static int call_special(struct render *r, const struct expr *e, const struct val *obj, const char *method,
                        struct val *args, size_t nargs, struct val *kwargs, struct val *out, int *handled);

static int is_callable_kind(int k)
{
	return k == SK_MACRO || k == SK_JOINER || k == SK_LOOP || k == SK_METHOD;
}

static int eval_call(struct render *r, const struct expr *e, struct val *out)
{
	const struct expr *fn = e->a;
	struct val small_args[SMALL_ARGS], small_kw[SMALL_ARGS], *args, *kwargs, obj;
	int rc;
	*out = vundef(NULL, NULL);
	if (fn->kind == E_ATTR) {
		if ((rc = eval(r, fn->a, &obj)))
			return rc;
		if (obj.j == NULL) { /* lenient: a method of undefined is undefined */
			*out = obj;
			return 0;
		}
	} else if (fn->kind == E_NAME) {
		if (lookup(r, fn, &obj)) {
			if (obj.j == NULL || !is_callable_kind(mx_jinja_kind(obj.j))) {
				rc = obj.j ? mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not callable",
				                           mx_jinja_vtype(&obj))
				           : mx_jinja_undef_err(r, e, &obj);
				vdrop(&obj);
				return rc;
			}
		} else if (strcmp(fn->name, "range") != 0 && strcmp(fn->name, "dict") != 0 &&
		           strcmp(fn->name, "namespace") != 0 && strcmp(fn->name, "cycler") != 0 &&
		           strcmp(fn->name, "joiner") != 0) {
			return mx_jinja_undef_err(r, e, &obj);
		}
	} else {
		if ((rc = eval(r, fn, &obj)))
			return rc;
		if (obj.j == NULL || mx_jinja_kind(obj.j) != SK_METHOD) {
			rc = obj.j ? mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not callable",
			                           mx_jinja_vtype(&obj))
			           : mx_jinja_undef_err(r, e, &obj);
			vdrop(&obj);
			return rc;
		}
	}
	/* the method called: a.name(...), or a bound method value; NULL for a global or a macro */
	char mbuf[32];
	const char *mname = fn->kind == E_ATTR ? fn->name : NULL;
	if (obj.j && mx_jinja_kind(obj.j) == SK_METHOD) {
		snprintf(mbuf, sizeof mbuf, "%s", json_string_value(json_object_getn(obj.j, "\xffname", 5)));
		struct val self = vborrow(json_object_getn(obj.j, "\xffself", 5));
		vdrop(&obj);
		obj = self;
		mname = mbuf;
	}
	if ((args = args_get(small_args, e->nargs)) == NULL) {
		vdrop(&obj);
		return MX_ENOMEM;
	}
	if ((rc = eval_args(r, e->args, e->nargs, args))) {
		args_put(small_args, args, 0);
		vdrop(&obj);
		return rc;
	}
	if ((kwargs = args_get(small_kw, e->nvals)) == NULL ||
	    (rc = eval_args(r, e->vals, e->nvals, kwargs))) {
		if (kwargs)
			args_put(small_kw, kwargs, 0);
		args_put(small_args, args, e->nargs);
		vdrop(&obj);
		return kwargs ? rc : MX_ENOMEM;
	}
	int handled = 0;
	if (obj.j && (rc = call_special(r, e, &obj, mname, args, e->nargs, kwargs, out, &handled)) != 0) {
		/* failed */
	} else if (handled) {
		/* done */
	} else if (mname == NULL) {
		rc = mx_jinja_call_global(r, e, fn->name, args, e->nargs, kwargs, out);
	} else if (strcmp(mname, "format") == 0 && json_is_string(obj.j)) {
		rc = mx_jinja_str_format(r, e, json_string_value(obj.j), json_string_length(obj.j), args,
		                         e->nargs, kwargs, e->kwnames, e->nvals, out);
	} else if (e->nvals) {
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "keyword arguments are not supported for '%s'", mname);
	} else {
		rc = mx_jinja_call_method(r, e, &obj, mname, args, e->nargs, out);
	}
	vdrop(&obj);
	args_put(small_args, args, e->nargs);
	args_put(small_kw, kwargs, e->nvals);
	return rc;
}

static int eval_filter(struct render *r, const struct expr *e, struct val *out)
{
	struct val v, small[SMALL_ARGS], *args;
	int rc = eval(r, e->a, &v);
	if (rc)
		return rc;
	if (e->filter == NULL) { /* unknown, in an if branch: Jinja2 fails when it runs */
		vdrop(&v);
		return mx_jinja_rerr(r, e, MX_EINVAL, "No filter named '%s' found.", e->name);
	}
	size_t n = e->nargs + (e->filter->variadic ? e->nvals : 0);
	if ((args = args_get(small, n)) == NULL) {
		vdrop(&v);
		return MX_ENOMEM;
	}
	if (e->filter->variadic) {
		if ((rc = eval_args(r, e->vals, e->nvals, args)) == 0 &&
		    (rc = eval_args(r, e->args, e->nargs, args + e->nvals)))
			drop_all(args, e->nvals);
	} else {
		rc = eval_args(r, e->args, e->nargs, args);
	}
	if (rc) {
		args_put(small, args, 0);
		vdrop(&v);
		return rc;
	}
	rc = e->filter->fn(r, e, &v, args, n);
	args_put(small, args, n);
	if (rc) {
		vdrop(&v);
		return rc;
	}
	*out = v;
	return 0;
}

static int eval_test(struct render *r, const struct expr *e, struct val *out)
{
	struct val v, args[2];
	int rc = eval(r, e->a, &v), res = 0;
	if (rc)
		return rc;
	if ((rc = eval_args(r, e->args, e->nargs, args))) {
		vdrop(&v);
		return rc;
	}
	rc = e->test->fn(r, e, &v, args, &res);
	drop_all(args, e->nargs);
	vdrop(&v);
	if (rc)
		return rc;
	return vset(out, json_boolean(e->negate ? !res : res));
}

static int eval(struct render *r, const struct expr *e, struct val *out)
{
	struct val a, b;
	struct num n = {0};
	int rc, res;
	*out = vundef(NULL, NULL);
	switch (e->kind) {
	case E_STR: return mx_jinja_mk_str(r, e, e->name, e->name_len, out);
	case E_INT:
		return e->name ? mx_jinja_mk_bigint_text(r, e, e->name, out)
		               : vset(out, json_integer(e->ival));
	case E_FLOAT: return vset(out, json_real(e->fval));
	case E_TRUE: return vset(out, json_true());
	case E_FALSE: return vset(out, json_false());
	case E_NONE: return vset(out, json_null());
	case E_NAME: lookup(r, e, out); return 0;
	case E_BLOCKVAL:
		if (r->blockval)
			*out = vcopy(r->blockval);
		return 0;
	case E_LIST: return eval_list(r, e, out);
	case E_DICT: return eval_dict(r, e, out);
	case E_ATTR:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		/* Jinja's getattr: a method of the object's type wins over a dict key */
		if (mx_jinja_has_method(a.j, e->name))
			rc = mx_jinja_bound_method(a.j, e->name, out);
		else
			rc = mx_jinja_get_attr(e, a.j, e->name, out);
		vdrop(&a);
		return rc;
	case E_ITEM:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if ((rc = eval(r, e->b, &b)) == 0) {
			rc = mx_jinja_get_item(e, a.j, b.j, out);
			vdrop(&b);
		}
		vdrop(&a);
		return rc;
	case E_SLICE: return eval_slice(r, e, out);
	case E_CALL: return eval_call(r, e, out);
	case E_FILTER: return eval_filter(r, e, out);
	case E_TEST: return eval_test(r, e, out);
	case E_NOT:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		res = !truthy(&a);
		vdrop(&a);
		return vset(out, json_boolean(res));
	case E_NEG:
	case E_POS:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if (!get_num(a.j, &n)) {
			rc = a.j ? mx_jinja_rerr(r, e, MX_EINVAL, "bad operand type for unary %s: '%s'",
			                         e->kind == E_NEG ? "-" : "+", mx_jinja_vtype(&a))
			         : mx_jinja_undef_err(r, e, &a);
			vdrop(&a);
			return rc;
		}
		vdrop(&a);
		if (e->kind == E_NEG) {
			if (n.is_int && (n.big || n.i == LLONG_MIN))
				return mx_jinja_big_neg(r, e, &n, out);
			n.i = -n.i;
			n.d = -n.d;
		}
		return mx_jinja_mk_num(r, e, &n, out);
	case E_BIN:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if ((rc = eval(r, e->b, &b)) == 0) {
			rc = mx_jinja_binop(r, e, e->op, &a, &b, out);
			vdrop(&b);
		}
		vdrop(&a);
		return rc;
	case E_CONCAT: {
		struct mx_buf s;
		mx_jinja_sb_init(r, &s);
		rc = mx_buf_append(&s, "", 0);
		for (size_t i = 0; i < e->nargs && rc == 0; i++) {
			if ((rc = eval(r, e->args[i], &a)) == 0) {
				rc = mx_jinja_write_str(&s, &a);
				vdrop(&a);
			}
		}
		return mx_jinja_sb_finish(r, e, &s, rc, out);
	}
	case E_AND:
	case E_OR:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if (truthy(&a) == (e->kind == E_OR)) {
			*out = a;
			return 0;
		}
		vdrop(&a);
		return eval(r, e->b, out);
	case E_COMPARE:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		res = 1;
		for (size_t i = 0; i < e->nargs && res; i++) {
			if ((rc = eval(r, e->args[i], &b)) == 0)
				rc = mx_jinja_compare_values(r, e, e->ops[i], &a, &b, &res);
			vdrop(&a);
			a = b;
			if (rc) {
				vdrop(&a);
				return rc;
			}
		}
		vdrop(&a);
		return vset(out, json_boolean(res));
	case E_COND:
		if ((rc = eval(r, e->b, &a)))
			return rc;
		res = truthy(&a);
		vdrop(&a);
		if (res)
			return eval(r, e->a, out);
		if (e->c)
			return eval(r, e->c, out);
		*out = vundef(e, NULL);
		return 0;
	}
	return mx_jinja_rerr(r, e, MX_EINTERNAL, "bad expression");
}

/* ------------------------------------------------------------------------
 * Statements.
 * ---------------------------------------------------------------------- */

static int exec_body(struct render *r, const struct stmt *s);

static int emit(struct render *r, const struct stmt *s, int rc)
{
	if (rc == MX_ELIMIT && r->too_deep)
		return mx_jinja_rerr_at(r, s->line, s->col, rc, "value nested more than %d deep to print",
		                        MAX_VALUE_DEPTH);
	if (rc == MX_ELIMIT)
		return mx_jinja_rerr_at(r, s->line, s->col, rc,
		                        "rendered text exceeds the limit of %zu bytes", r->out->max);
	return rc;
}

/* Bind assignment targets to a value, unpacking for "a, b". */
static int bind_targets(struct render *r, const struct stmt *s, const struct expr *at, struct rframe *f,
                        const struct val *v)
{
	if (s->ntargets == 1)
		return frame_set(f, s->targets[0], vcopy(v));
	json_t *items;
	int rc = v->j ? mx_jinja_to_list(r, at, v, &items)
	              : mx_jinja_rerr(r, at, MX_EINVAL, "cannot unpack an undefined value");
	if (rc)
		return rc;
	size_t n = json_array_size(items);
	if (n != s->ntargets) {
		json_decref(items);
		if (n < s->ntargets)
			return mx_jinja_rerr(r, at, MX_EINVAL,
			                     "not enough values to unpack (expected %zu, got %zu)",
			                     s->ntargets, n);
		return mx_jinja_rerr(r, at, MX_EINVAL, "too many values to unpack (expected %zu)",
		                     s->ntargets);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = frame_set(f, s->targets[i], vitem(json_array_get(items, i)));
	json_decref(items);
	return rc;
}

static int count_iteration(struct render *r, const struct stmt *s)
{
	if (++r->iterations > MX_JINJA_MAX_ITERATIONS)
		return mx_jinja_rerr_at(r, s->line, s->col, MX_ELIMIT, "too many loop iterations (limit %ld)",
		                        MX_JINJA_MAX_ITERATIONS);
	return 0;
}

/* The state of a running {% for %} its loop object points to. */
struct loopstate {
	const struct stmt *s;
	struct rframe *outer;
	int depth;
	json_t *last_changed; /* loop.changed()'s previous arguments; NULL: none yet */
	json_t *loop; /* the loop object */
};

/* Update the loop object for item i of items. */
static int loop_object(struct loopstate *ls, json_t *items, size_t i)
{
	json_int_t len = (json_int_t)json_array_size(items), k = (json_int_t)i;
	json_t *loop = ls->loop;
	if (json_object_set_new(loop, "index", json_integer(k + 1)) ||
	    json_object_set_new(loop, "index0", json_integer(k)) ||
	    json_object_set_new(loop, "revindex", json_integer(len - k)) ||
	    json_object_set_new(loop, "revindex0", json_integer(len - k - 1)) ||
	    json_object_set_new(loop, "first", json_boolean(k == 0)) ||
	    json_object_set_new(loop, "last", json_boolean(k == len - 1)) ||
	    json_object_set_new(loop, "length", json_integer(len)) ||
	    json_object_set_new(loop, "depth", json_integer(ls->depth)) ||
	    json_object_set_new(loop, "depth0", json_integer(ls->depth - 1)))
		return MX_ENOMEM;
	json_object_del(loop, "previtem");
	json_object_del(loop, "nextitem");
	if ((i > 0 && json_object_set(loop, "previtem", json_array_get(items, i - 1))) ||
	    (k + 1 < len && json_object_set(loop, "nextitem", json_array_get(items, i + 1))))
		return MX_ENOMEM;
	return 0;
}

static int exec_loop(struct render *r, const struct stmt *s, const struct val *it, int depth);

static int exec_for(struct render *r, const struct stmt *s)
{
	struct val it;
	int rc = eval(r, s->expr, &it);
	if (rc)
		return rc;
	rc = exec_loop(r, s, &it, 1);
	vdrop(&it);
	return rc;
}

static int exec_loop(struct render *r, const struct stmt *s, const struct val *it, int depth)
{
	json_t *items;
	int rc = mx_jinja_to_list(r, s->expr, it, &items);
	if (rc)
		return rc;
	struct rframe *outer = r->frame;
	if (s->filter) {
		json_t *kept = json_array();
		rc = kept ? 0 : MX_ENOMEM;
		for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
			struct rframe f = {.parent = outer};
			struct val item = vitem(json_array_get(items, i)), test;
			if ((rc = count_iteration(r, s)) == 0 &&
			    (rc = bind_targets(r, s, s->expr, &f, &item)) == 0) {
				r->frame = &f;
				if ((rc = eval(r, s->filter, &test)) == 0 && truthy(&test) &&
				    json_array_append(kept, item.j))
					rc = MX_ENOMEM;
				vdrop(&test);
				r->frame = outer;
			}
			vdrop(&item);
			frame_clear(&f);
		}
		json_decref(items);
		items = kept;
	}
	size_t n = json_array_size(items);
	struct loopstate ls = {.s = s, .outer = outer, .depth = depth};
	struct val loopv = vundef(NULL, NULL);
	if (rc == 0 && n > 0 && (rc = mx_jinja_mk_special(json_object(), SK_LOOP, &loopv)) == 0) {
		struct special *sp = mx_jinja_special_find(loopv.j);
		sp->p = &ls;
		ls.loop = loopv.j;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rframe f = {.parent = outer};
		struct val item = vitem(json_array_get(items, i));
		if ((rc = count_iteration(r, s)) == 0 && (rc = bind_targets(r, s, s->expr, &f, &item)) == 0 &&
		    (rc = loop_object(&ls, items, i)) == 0 &&
		    (rc = frame_set(&f, "loop", vcopy(&loopv))) == 0) {
			r->frame = &f;
			rc = exec_body(r, s->body);
			r->frame = outer;
		}
		vdrop(&item);
		frame_clear(&f);
	}
	if (loopv.j) {
		struct special *sp = mx_jinja_special_find(loopv.j);
		if (sp)
			sp->p = NULL; /* the loop is over: loop() and loop.changed() no longer work */
	}
	vdrop(&loopv);
	json_decref(ls.last_changed);
	json_decref(items);
	if (rc == 0 && n == 0 && s->else_body && depth == 1) {
		struct rframe f = {.parent = outer};
		r->frame = &f;
		rc = exec_body(r, s->else_body);
		r->frame = outer;
		frame_clear(&f);
	}
	return rc;
}

/* Render body with frame f current into a fresh string value. */
static int capture(struct render *r, const struct stmt *body, struct rframe *f, struct val *out)
{
	struct mx_buf b, *saved = r->out;
	struct rframe *saved_frame = r->frame;
	mx_jinja_sb_init(r, &b);
	r->out = &b;
	r->frame = f;
	int rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = exec_body(r, body);
	r->frame = saved_frame;
	r->out = saved;
	if (rc) {
		mx_buf_free(&b);
		return rc;
	}
	return mx_jinja_sb_finish(r, NULL, &b, 0, out);
}

#define MAX_CALL_DEPTH 100

/* A macro (or a call block's caller()) called with args and keyword args. */
static int call_macro(struct render *r, const struct expr *e, const struct special *sp, struct val *args,
                      size_t nargs, struct val *kwargs, struct val *out)
{
	const struct stmt *m = sp->p;
	size_t np = m->ntargets, nkw = e->nvals;
	const struct val *caller = r->caller_call == e ? r->caller : NULL;
	if (r->call_depth >= MAX_CALL_DEPTH)
		return mx_jinja_rerr(r, e, MX_ELIMIT, "macro calls nested too deeply (limit %d)",
		                     MAX_CALL_DEPTH);
	struct rframe f = {.parent = sp->frame};
	int rc = 0;
	json_t *varargs = json_array(), *kw = json_object();
	if (varargs == NULL || kw == NULL)
		rc = MX_ENOMEM;
	for (size_t i = np; i < nargs && rc == 0; i++)
		rc = json_array_append(varargs, args[i].j ? args[i].j : json_null()) ? MX_ENOMEM : 0;
	for (size_t k = 0; k < nkw && rc == 0; k++) {
		int is_param = 0;
		for (size_t i = 0; i < np; i++)
			is_param |= strcmp(m->targets[i], e->kwnames[k]) == 0;
		if (!is_param && json_object_set(kw, e->kwnames[k], kwargs[k].j ? kwargs[k].j : json_null()))
			rc = MX_ENOMEM;
	}
	r->call_depth++;
	for (size_t i = 0; i < np && rc == 0; i++) {
		struct val v = vundef(NULL, NULL);
		int found = 0;
		if (i < nargs) {
			v = vcopy(&args[i]);
			found = 1;
		}
		for (size_t k = 0; k < nkw && !found; k++)
			if (strcmp(m->targets[i], e->kwnames[k]) == 0) {
				v = vcopy(&kwargs[k]);
				found = 1;
			}
		if (!found && m->conds[i]) {
			struct rframe *saved = r->frame;
			r->frame = &f;
			rc = eval(r, m->conds[i], &v);
			r->frame = saved;
		}
		if (rc == 0)
			rc = frame_set(&f, m->targets[i], v);
	}
	struct val tmp;
	if (rc == 0 && (rc = mx_jinja_mk_tuple(json_incref(varargs), &tmp)) == 0)
		rc = frame_set(&f, "varargs", tmp);
	if (rc == 0)
		rc = frame_set(&f, "kwargs", vborrow(kw));
	if (rc == 0 && caller)
		rc = frame_set(&f, "caller", vcopy(caller));
	if (rc == 0)
		rc = capture(r, m->body, &f, out);
	r->call_depth--;
	frame_clear(&f);
	json_decref(varargs);
	json_decref(kw);
	return rc;
}

static int cycler_step(json_t *c, int reset)
{
	json_t *items = json_object_getn(c, "\xffitems", 6);
	json_int_t pos = json_integer_value(json_object_getn(c, "\xffpos", 4));
	size_t n = json_array_size(items);
	pos = reset ? 0 : (json_int_t)(((size_t)pos + 1) % (n ? n : 1));
	if (json_object_setn_new_nocheck(c, "\xffpos", 4, json_integer(pos)) ||
	    json_object_set(c, "current", n ? json_array_get(items, (size_t)pos) : json_null()))
		return MX_ENOMEM;
	return 0;
}

/* loop(items) of a recursive loop: the body over items, one level deeper, as a string. */
static int call_loop(struct render *r, const struct expr *e, struct loopstate *ls, struct val *args,
                     size_t nargs, struct val *out)
{
	if (!ls->s->recursive)
		return mx_jinja_rerr(
		        r, e, MX_EINVAL,
		        "Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.");
	if (nargs != 1)
		return mx_jinja_rerr(r, e, MX_EINVAL, "loop() takes one iterable");
	if (r->call_depth >= MAX_CALL_DEPTH)
		return mx_jinja_rerr(r, e, MX_ELIMIT, "recursive loops nested too deeply (limit %d)",
		                     MAX_CALL_DEPTH);
	struct mx_buf b, *saved = r->out;
	struct rframe *saved_frame = r->frame;
	mx_jinja_sb_init(r, &b);
	r->out = &b;
	r->frame = ls->outer;
	r->call_depth++;
	int rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = exec_loop(r, ls->s, &args[0], ls->depth + 1);
	r->call_depth--;
	r->frame = saved_frame;
	r->out = saved;
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}

static int loop_changed(struct loopstate *ls, struct val *args, size_t nargs, struct val *out)
{
	json_t *now = json_array();
	for (size_t i = 0; now && i < nargs; i++)
		if (json_array_append(now, args[i].j ? args[i].j : json_null())) {
			json_decref(now);
			now = NULL;
		}
	if (now == NULL)
		return MX_ENOMEM;
	int changed = ls->last_changed == NULL || !mx_jinja_py_eq(ls->last_changed, now, 0);
	json_decref(ls->last_changed);
	ls->last_changed = now;
	return vset(out, json_boolean(changed));
}

/* Calls of the special values: macros, joiner(), loop(), loop.changed(), loop.cycle(), cycler methods. */
static int call_special(struct render *r, const struct expr *e, const struct val *obj, const char *method,
                        struct val *args, size_t nargs, struct val *kwargs, struct val *out, int *handled)
{
	struct special *sp = mx_jinja_special_find(obj->j);
	*handled = 0;
	if (sp == NULL)
		return 0;
	if (method == NULL && sp->kind == SK_MACRO) {
		*handled = 1;
		return call_macro(r, e, sp, args, nargs, kwargs, out);
	}
	if (method == NULL && sp->kind == SK_JOINER) {
		*handled = 1;
		if (!json_is_true(json_object_getn(obj->j, "\xffused", 5)))
			return json_object_setn_nocheck(obj->j, "\xffused", 5, json_true())
			               ? MX_ENOMEM
			               : vset(out, json_string(""));
		*out = vborrow(json_object_getn(obj->j, "\xffsep", 4));
		return 0;
	}
	if (sp->kind == SK_LOOP) {
		struct loopstate *ls = (struct loopstate *)sp->p;
		if (method && strcmp(method, "cycle") == 0) {
			*handled = 1;
			if (nargs == 0)
				return mx_jinja_rerr(r, e, MX_EINVAL, "no items for cycling given");
			json_int_t i = json_integer_value(json_object_get(obj->j, "index0"));
			*out = vcopy(&args[(size_t)i % nargs]);
			return 0;
		}
		if (ls && method && strcmp(method, "changed") == 0) {
			*handled = 1;
			return loop_changed(ls, args, nargs, out);
		}
		if (ls && method == NULL) {
			*handled = 1;
			return call_loop(r, e, ls, args, nargs, out);
		}
		return 0;
	}
	if (sp->kind == SK_CYCLER && method) {
		int reset = strcmp(method, "reset") == 0;
		if (!reset && strcmp(method, "next") != 0)
			return 0;
		*handled = 1;
		if (reset)
			return cycler_step(obj->j, 1) ? MX_ENOMEM : vset(out, json_null());
		*out = vborrow(json_object_get(obj->j, "current"));
		return cycler_step(obj->j, 0);
	}
	return 0;
}

static int set_attr(struct render *r, const struct stmt *s, const struct val *v)
{
	const struct expr at = {.line = s->line, .col = s->col, .kind = E_NAME, .name = s->targets[0]};
	struct val ns;
	lookup(r, &at, &ns);
	int rc = 0;
	if (ns.j == NULL || mx_jinja_kind(ns.j) != SK_NAMESPACE)
		rc = mx_jinja_rerr(r, s->expr, MX_EINVAL, "can only set attributes on namespace objects");
	else if (json_object_set(ns.j, s->attr, v->j ? v->j : json_null()))
		rc = MX_ENOMEM;
	vdrop(&ns);
	return rc;
}

static int exec_stmt(struct render *r, const struct stmt *s)
{
	struct val v;
	int rc;
	switch (s->kind) {
	case S_DATA: return emit(r, s, mx_buf_append(r->out, s->text, s->len));
	case S_OUTPUT:
		if ((rc = eval(r, s->expr, &v)))
			return rc;
		rc = mx_jinja_write_str(r->out, &v);
		vdrop(&v);
		return emit(r, s, rc);
	case S_IF:
		for (size_t i = 0; i < s->nconds; i++) {
			if ((rc = eval(r, s->conds[i], &v)))
				return rc;
			int t = truthy(&v);
			vdrop(&v);
			if (t)
				return exec_body(r, s->bodies[i]);
		}
		return exec_body(r, s->else_body);
	case S_FOR: return exec_for(r, s);
	case S_SET:
		if ((rc = eval(r, s->expr, &v)))
			return rc;
		rc = s->attr ? set_attr(r, s, &v) : bind_targets(r, s, s->expr, r->frame, &v);
		vdrop(&v);
		return rc;
	case S_WITH: {
		struct rframe f = {.parent = r->frame};
		rc = 0;
		for (size_t i = 0; i < s->nconds && rc == 0; i++)
			if ((rc = eval(r, s->conds[i], &v)) == 0)
				rc = frame_set(&f, s->targets[i], v);
		if (rc == 0) {
			r->frame = &f;
			rc = exec_body(r, s->body);
			r->frame = f.parent;
		}
		frame_clear(&f);
		return rc;
	}
	case S_MACRO: {
		struct special *sp;
		if ((rc = mx_jinja_mk_special(json_object(), SK_MACRO, &v)))
			return rc;
		sp = mx_jinja_special_find(v.j);
		sp->p = s;
		sp->name = s->text;
		sp->frame = r->frame;
		return frame_set(r->frame, s->text, v);
	}
	case S_CALLBLOCK: {
		struct special *sp;
		struct val caller, res;
		if ((rc = mx_jinja_mk_special(json_object(), SK_MACRO, &caller)))
			return rc;
		sp = mx_jinja_special_find(caller.j);
		sp->p = s;
		sp->name = "caller";
		sp->frame = r->frame;
		const struct expr *saved_call = r->caller_call;
		const struct val *saved_caller = r->caller;
		r->caller_call = s->expr;
		r->caller = &caller;
		rc = eval(r, s->expr, &res);
		r->caller_call = saved_call;
		r->caller = saved_caller;
		vdrop(&caller);
		if (rc)
			return rc;
		rc = mx_jinja_write_str(r->out, &res);
		vdrop(&res);
		return emit(r, s, rc);
	}
	case S_FILTERBLOCK: {
		struct val body, res;
		struct rframe f = {.parent = r->frame};
		rc = capture(r, s->body, &f, &body);
		frame_clear(&f);
		if (rc)
			return rc;
		const struct val *saved = r->blockval;
		r->blockval = &body;
		rc = eval(r, s->expr, &res);
		r->blockval = saved;
		vdrop(&body);
		if (rc)
			return rc;
		rc = mx_jinja_write_str(r->out, &res);
		vdrop(&res);
		return emit(r, s, rc);
	}

	case S_SETBLOCK: {
		struct mx_buf b, *saved = r->out;
		struct rframe f = {.parent = r->frame};
		mx_jinja_sb_init(r, &b);
		r->out = &b;
		r->frame = &f;
		rc = exec_body(r, s->body);
		r->frame = f.parent;
		r->out = saved;
		frame_clear(&f);
		if (rc == 0 && (rc = vset(&v, json_stringn(b.p ? b.p : "", b.len))) == 0)
			rc = frame_set(r->frame, s->targets[0], v);
		mx_buf_free(&b);
		return rc;
	}
	}
	return MX_EINTERNAL;
}

static int exec_body(struct render *r, const struct stmt *s)
{
	for (; s; s = s->next) {
		int rc = exec_stmt(r, s);
		if (rc)
			return rc;
	}
	return 0;
}

int mx_jinja_render(const struct mx_jinja_template *t, const json_t *context, struct mx_buf *out,
                    struct mx_err *err)
{
	mx_err_clear(err);
	if (context && !json_is_object(context))
		return mx_err_set(err, MX_EINVAL, "template context must be an object, not %s",
		                  mx_pytext_type(context));
	struct rframe root = {0};
	struct render r = {
	        .ctx = context,
	        .frame = &root,
	        .out = out,
	        .err = err,
	        .max_str = out->max < MX_JINJA_MAX_STRING ? out->max : MX_JINJA_MAX_STRING,
	};
	size_t start = out->len;
	mx_jinja_special_begin(&r);
	int rc = mx_buf_append(out, "", 0);
	if (rc == 0)
		rc = exec_body(&r, t->body);
	frame_clear(&root);
	mx_jinja_special_end(&r);
	if (rc) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		if (err && err->msg[0] == '\0')
			mx_err_set(err, rc, "%s", rc == MX_ENOMEM ? "out of memory" : mx_strerror(rc));
	}
	return rc;
}
