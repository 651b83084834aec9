/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value — render-time values with Python's semantics: errors at a node,
 * Undefined and its messages, numbers, printing as str(), truth, equality
 * and order, bounded strings, and attribute and item access. Values are
 * jansson references owned by the render that made them.
 */
#include "jinja/jinja_int.h"

#include "core/pytext.h"
#include "core/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 5, 6))) int mx_jinja_rerr_at(struct render *r, int line, int col, int code,
                                                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mx_jinja_fail_atv(r->err, code, line, col, fmt, ap);
	va_end(ap);
	return code;
}

__attribute__((format(printf, 4, 5))) int mx_jinja_rerr(struct render *r, const struct expr *at, int code,
                                                        const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mx_jinja_fail_atv(r->err, code, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
	return code;
}

const char *mx_jinja_vtype(const struct val *v)
{
	if (v->j && json_is_object(v->j) && mx_jinja_is_datetime(v->j))
		return mx_jinja_dt_type(v->j);
	return v->j ? mx_pytext_type(v->j) : "Undefined";
}

/* Jinja's UndefinedError messages. */
static void undef_message(const struct val *v, char *buf, size_t sz)
{
	const struct expr *w = v->why;
	if (w == NULL) {
		snprintf(buf, sz, "value is undefined");
		return;
	}
	switch (w->kind) {
	case E_NAME: snprintf(buf, sz, "'%s' is undefined", w->name); return;
	case E_ATTR:
		if (v->objtype)
			snprintf(buf, sz, "'%s object' has no attribute '%s'", v->objtype, w->name);
		else
			snprintf(buf, sz, "'%s' is undefined", w->name);
		return;
	case E_ITEM:
		if (v->objtype && w->b && w->b->kind == E_STR)
			snprintf(buf, sz, "'%s object' has no attribute '%.*s'", v->objtype,
			         (int)w->b->name_len, w->b->name);
		else if (v->objtype && w->b && w->b->kind == E_INT)
			snprintf(buf, sz, "%s object has no element %" JSON_INTEGER_FORMAT, v->objtype,
			         w->b->ival);
		else if (v->objtype)
			snprintf(buf, sz, "'%s object' has no such element", v->objtype);
		else
			snprintf(buf, sz, "value is undefined");
		return;
	case E_COND:
		snprintf(buf, sz,
		         "the inline if-expression on line %d evaluated to false and no else section was "
		         "defined",
		         w->line);
		return;
	default: snprintf(buf, sz, "value is undefined"); return;
	}
}

int mx_jinja_undef_err(struct render *r, const struct expr *at, const struct val *v)
{
	char msg[256];
	undef_message(v, msg, sizeof msg);
	return mx_jinja_rerr(r, at, MX_EINVAL, "%s", msg);
}

/* ---- numbers ---- */

int mx_jinja_mk_real(struct render *r, const struct expr *e, double d, struct val *out)
{
	(void)r, (void)e;
	return mx_jinja_mk_float(d, out);
}

int mx_jinja_mk_num(struct render *r, const struct expr *e, const struct num *n, struct val *out)
{
	if (n->big)
		return mx_jinja_mk_bigint_text(r, e, n->big, out);
	if (n->is_int)
		return vset(out, json_integer(n->i));
	return mx_jinja_mk_real(r, e, n->d, out);
}

/* ---- printing as Python's str() / repr() ---- */

/* str(v); Undefined prints as nothing. */
int mx_jinja_write_str(struct mx_buf *b, const struct val *v)
{
	return mx_jinja_print(b, v->j, 0);
}

/* ---- truth, equality, order (Python semantics) ---- */

int mx_jinja_py_eq(const json_t *a, const json_t *b, int depth)
{
	struct num x = {0}, y = {0};
	if (depth > MAX_VALUE_DEPTH)
		return 0;
	if (get_num(a, &x) && get_num(b, &y))
		return mx_jinja_num_cmp(&x, &y) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!mx_jinja_py_eq(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return 0;
		return 1;
	case JSON_OBJECT: {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		if (mx_jinja_is_datetime(a) || mx_jinja_is_datetime(b))
			return mx_jinja_dt_cmp(a, b) == 0;
		const char *k;
		size_t klen;
		json_t *va;
		json_object_keylen_foreach((json_t *)a, k, klen, va)
		{
			json_t *vb = json_object_getn(b, k, klen);
			if (vb == NULL || !mx_jinja_py_eq(va, vb, depth + 1))
				return 0;
		}
		return 1;
	}
	default: return 1; /* null */
	}
}

int mx_jinja_veq(const struct val *a, const struct val *b)
{
	if (a->j == NULL || b->j == NULL)
		return a->j == NULL && b->j == NULL;
	return mx_jinja_py_eq(a->j, b->j, 0);
}

static int str_cmp(const json_t *a, const json_t *b)
{
	size_t na = json_string_length(a), nb = json_string_length(b);
	int c = memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb);
	if (c)
		return c;
	return na < nb ? -1 : na > nb;
}

/* a < b; -1 when Python would raise TypeError. */
int mx_jinja_py_lt(const json_t *a, const json_t *b, int *lt, int depth)
{
	struct num x = {0}, y = {0};
	if (depth > MAX_VALUE_DEPTH)
		return -1;
	if (get_num(a, &x) && get_num(b, &y)) {
		*lt = mx_jinja_num_cmp(&x, &y) == -1;
		return 0;
	}
	if (json_is_string(a) && json_is_string(b)) {
		*lt = str_cmp(a, b) < 0;
		return 0;
	}
	if (json_is_object(a) && json_is_object(b) && mx_jinja_is_datetime(a)) {
		int c = mx_jinja_dt_cmp(a, b);
		*lt = c == -1;
		return c == -2 ? -1 : 0;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		for (size_t i = 0; i < na && i < nb; i++) {
			const json_t *ai = json_array_get(a, i), *bi = json_array_get(b, i);
			if (!mx_jinja_py_eq(ai, bi, depth + 1))
				return mx_jinja_py_lt(ai, bi, lt, depth + 1);
		}
		*lt = na < nb;
		return 0;
	}
	return -1;
}

/* ---- strings ---- */

void mx_jinja_sb_init(struct render *r, struct mx_buf *b)
{
	mx_buf_init(b, r->max_str);
}

/* Turn a string buffer into a value (and free the buffer). */
int mx_jinja_sb_finish(struct render *r, const struct expr *e, struct mx_buf *b, int rc, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (rc == 0)
		rc = vset(out, mx_jinja_json_str(b->p ? b->p : "", b->len));
	mx_buf_free(b);
	if (rc == MX_ELIMIT && r->too_deep)
		return mx_jinja_rerr(r, e, rc, "value nested more than %d deep to print", MAX_VALUE_DEPTH);
	if (rc == MX_ELIMIT)
		return mx_jinja_rerr(r, e, rc, "string value exceeds the limit of %zu bytes", r->max_str);
	return rc;
}

int mx_jinja_mk_str(struct render *r, const struct expr *e, const char *s, size_t n, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (n > r->max_str)
		return mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
		                     r->max_str);
	return vset(out, mx_jinja_json_str(s, n));
}

/* str(v) as a fresh buffer the caller frees. */
int mx_jinja_soft_str(struct render *r, const struct expr *e, const struct val *v, struct mx_buf *b)
{
	mx_jinja_sb_init(r, b);
	int rc = mx_jinja_write_str(b, v);
	if (rc == 0 && b->p == NULL)
		rc = mx_buf_append(b, "", 0);
	if (rc) {
		mx_buf_free(b);
		if (rc == MX_ELIMIT && r->too_deep)
			return mx_jinja_rerr(r, e, rc, "value nested more than %d deep to print",
			                     MAX_VALUE_DEPTH);
		if (rc == MX_ELIMIT)
			return mx_jinja_rerr(r, e, rc, "string value exceeds the limit of %zu bytes",
			                     r->max_str);
	}
	return rc;
}

/* list(v): a new reference to a JSON array. */
int mx_jinja_to_list(struct render *r, const struct expr *e, const struct val *v, json_t **out)
{
	*out = NULL;
	const json_t *j = v->j;
	if (j == NULL) {
		*out = json_array();
		return *out ? 0 : MX_ENOMEM;
	}
	switch (json_typeof(j)) {
	case JSON_ARRAY: *out = json_incref((json_t *)j); return 0;
	case JSON_OBJECT: {
		if (mx_jinja_is_datetime(j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not iterable",
			                     mx_jinja_dt_type(j));
		json_t *a = json_array();
		const char *k;
		size_t klen;
		json_t *item;
		if (a == NULL)
			return MX_ENOMEM;
		json_object_keylen_foreach((json_t *)j, k, klen, item)
		{
			if (json_array_append_new(a, json_stringn(k, klen))) {
				json_decref(a);
				return MX_ENOMEM;
			}
		}
		*out = a;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (mx_utf8_count(s, n) > MX_JINJA_MAX_ITEMS)
			return mx_jinja_rerr(r, e, MX_ELIMIT,
			                     "string too long to iterate (limit %d characters)",
			                     MX_JINJA_MAX_ITEMS);
		json_t *a = json_array();
		if (a == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < n;) {
			size_t start = i;
			mx_utf8_next(s, n, &i);
			if (json_array_append_new(a, json_stringn(s + start, i - start))) {
				json_decref(a);
				return MX_ENOMEM;
			}
		}
		*out = a;
		return 0;
	}
	default: return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not iterable", mx_pytext_type(j));
	}
}

/* ---- attribute and item access (Jinja's getattr/getitem) ---- */

int mx_jinja_get_item(const struct expr *why, const json_t *obj, const json_t *key, struct val *out)
{
	struct num k = {0};
	*out = vundef(why, NULL);
	if (obj == NULL)
		return 0;
	out->objtype = mx_pytext_type(obj);
	if (json_is_object(obj) && json_is_string(key)) {
		json_t *v = json_object_getn(obj, json_string_value(key), json_string_length(key));
		if (v)
			*out = vborrow(v);
		return 0;
	}
	if (!(json_is_array(obj) || json_is_string(obj)) || json_is_real(key) || !get_num(key, &k))
		return 0;
	if (json_is_array(obj)) {
		json_int_t n = (json_int_t)json_array_size(obj), i = k.i < 0 ? k.i + n : k.i;
		if (i >= 0 && i < n)
			*out = vitem(json_array_get(obj, (size_t)i));
		return 0;
	}
	const char *s = json_string_value(obj);
	size_t len = json_string_length(obj);
	json_int_t n = (json_int_t)mx_jinja_str_cps(obj), i = k.i < 0 ? k.i + n : k.i;
	if (i < 0 || i >= n)
		return 0;
	size_t off = mx_jinja_str_off(obj, (size_t)i), end = off;
	mx_utf8_next(s, len, &end);
	return vset(out, json_stringn_nocheck(s + off, end - off));
}

int mx_jinja_get_attr(const struct expr *why, const json_t *obj, const char *name, struct val *out)
{
	*out = vundef(why, NULL);
	if (obj == NULL)
		return 0;
	out->objtype = mx_pytext_type(obj);
	if (json_is_array(obj) && mx_jinja_kind(obj) == SK_GROUP &&
	    (strcmp(name, "grouper") == 0 || strcmp(name, "list") == 0)) {
		*out = vborrow(json_array_get(obj, name[0] == 'l'));
		return 0;
	}
	if (json_is_object(obj) && mx_jinja_is_datetime(obj)) {
		out->objtype = mx_jinja_dt_type(obj);
		int rc = mx_jinja_dt_attr(obj, name, out);
		return rc == 1 ? 0 : rc;
	}
	if (json_is_object(obj)) {
		json_t *v = json_object_get(obj, name);
		if (v)
			*out = vborrow(v);
	}
	return 0;
}

/* Jinja's make_attrgetter: "a.b.0" walks items; an int picks an index. */
int mx_jinja_get_path(const json_t *obj, const struct val *path, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (path->j && json_is_integer(path->j))
		return mx_jinja_get_item(NULL, obj, path->j, out);
	if (path->j == NULL || !json_is_string(path->j))
		return 0;
	const char *s = json_string_value(path->j);
	size_t n = json_string_length(path->j);
	struct val curv = vborrow((json_t *)obj);
	for (size_t i = 0; i <= n && curv.j;) {
		size_t e = i;
		while (e < n && s[e] != '.')
			e++;
		json_t *key;
		int all_digits = e > i;
		for (size_t k = i; k < e; k++)
			if (!is_digit(s[k]))
				all_digits = 0;
		if (all_digits && e - i < 18) {
			char tmp[20];
			memcpy(tmp, s + i, e - i);
			tmp[e - i] = '\0';
			key = json_integer(strtoll(tmp, NULL, 10));
		} else {
			key = json_stringn(s + i, e - i);
		}
		if (key == NULL) {
			vdrop(&curv);
			return MX_ENOMEM;
		}
		struct val next;
		int rc = mx_jinja_get_item(NULL, curv.j, key, &next);
		if (rc == 0 && next.j == NULL && json_is_integer(key) && json_is_object(curv.j)) {
			json_t *skey = json_stringn(s + i, e - i);
			rc = skey ? mx_jinja_get_item(NULL, curv.j, skey, &next) : MX_ENOMEM;
			json_decref(skey);
		}
		json_decref(key);
		vdrop(&curv);
		if (rc)
			return rc;
		curv = next;
		i = e + 1;
	}
	*out = curv;
	return 0;
}
