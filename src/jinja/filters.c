/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters — Jinja's builtin filters, looked up by name at compile
 * (mx_jinja_find_filter) and called at render with their arguments bound.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/pytext.h"
#include "core/utf8.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Filters. A filter replaces *v with its result; args holds the bound
 * parameters (VAL_MISSING where not passed).
 * ---------------------------------------------------------------------- */

static void vreplace(struct val *v, struct val nv)
{
	vdrop(v);
	*v = nv;
}

static int replace_str(struct render *r, const struct expr *e, struct val *v, int rc, struct mx_buf *b)
{
	struct val nv;
	if ((rc = mx_jinja_sb_finish(r, e, b, rc, &nv)))
		return rc;
	vreplace(v, nv);
	return 0;
}

static int f_default(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	if (v->j && !(given(&args[1]) && truthy(&args[1]) && !truthy(v)))
		return 0;
	if (given(&args[0])) {
		vreplace(v, vcopy(&args[0]));
		return 0;
	}
	struct val nv;
	int rc = mx_jinja_mk_str(r, e, "", 0, &nv);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_join(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf sep;
	json_t *items;
	int rc;
	if ((rc = mx_jinja_to_list(r, e, v, &items)))
		return rc;
	if (given(&args[0])) {
		rc = mx_jinja_soft_str(r, e, &args[0], &sep);
	} else {
		mx_buf_init(&sep, 1);
		rc = mx_buf_append(&sep, "", 0);
	}
	struct val nv;
	if (rc == 0) {
		rc = mx_jinja_str_join(r, e, sep.p, sep.len, items, &args[1], 0, &nv);
		mx_buf_free(&sep);
	}
	json_decref(items);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_length(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_int_t len = 0;
	const json_t *j = v->j;
	if (j == NULL)
		len = 0;
	else if (json_is_string(j))
		len = (json_int_t)mx_jinja_str_cps(j);
	else if (json_is_array(j))
		len = (json_int_t)json_array_size(j);
	else if (json_is_object(j))
		len = (json_int_t)json_object_size(j);
	else
		return mx_jinja_rerr(r, e, MX_EINVAL, "object of type '%s' has no len()", mx_jinja_vtype(v));
	struct val nv;
	int rc = vset(&nv, json_integer(len));
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_case(struct render *r, const struct expr *e, struct val *v, int mode)
{
	struct mx_buf s;
	struct val nv;
	int markup = mx_jinja_is_markup(v->j);
	int rc = mx_jinja_soft_str(r, e, v, &s);
	if (rc)
		return rc;
	rc = mx_jinja_str_case(r, e, s.p, s.len, mode, &nv);
	mx_buf_free(&s);
	if (rc == 0 && markup)
		rc = mx_jinja_special_add(nv.j, SK_MARKUP, NULL);
	if (rc == 0)
		vreplace(v, nv);
	else
		vdrop(&nv);
	return rc;
}

static int f_upper(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_UPPER);
}

static int f_lower(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_LOWER);
}

static int f_title(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_TITLE);
}

static int f_capitalize(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_CAPITALIZE);
}

static int f_trim(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s;
	struct val nv;
	int rc = mx_jinja_soft_str(r, e, v, &s);
	if (rc)
		return rc;
	rc = mx_jinja_str_strip(r, e, s.p, s.len, &args[0], 1, 1, &nv);
	mx_buf_free(&s);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_replace(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s, old, rep;
	json_int_t count;
	struct val nv;
	int rc = mx_jinja_arg_int(r, e, &args[2], -1, "count", &count);
	if (rc || (rc = mx_jinja_soft_str(r, e, v, &s)))
		return rc;
	if ((rc = mx_jinja_soft_str(r, e, &args[0], &old))) {
		mx_buf_free(&s);
		return rc;
	}
	if ((rc = mx_jinja_soft_str(r, e, &args[1], &rep)) == 0) {
		rc = mx_jinja_str_replace(r, e, s.p, s.len, old.p, old.len, rep.p, rep.len, count, &nv);
		mx_buf_free(&rep);
	}
	mx_buf_free(&old);
	mx_buf_free(&s);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int first_last(struct render *r, const struct expr *e, struct val *v, int last)
{
	const json_t *j = v->j;
	struct val nv = vundef(NULL, NULL);
	if (j == NULL)
		return 0;
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		size_t len = json_string_length(j), start = 0, end = 0;
		if (len) {
			if (last) {
				start = len - 1;
				while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
					start--;
			}
			end = start;
			mx_utf8_next(s, len, &end);
			int rc = mx_jinja_mk_str(r, e, s + start, end - start, &nv);
			if (rc)
				return rc;
		}
	} else if (json_is_array(j)) {
		size_t len = json_array_size(j);
		if (len)
			nv = vitem(json_array_get(j, last ? len - 1 : 0));
	} else if (json_is_object(j)) {
		const char *k = NULL;
		size_t klen = 0, i = 0, size = json_object_size(j);
		json_t *x;
		const char *key;
		size_t keylen;
		json_object_keylen_foreach((json_t *)j, key, keylen, x)
		{
			if (i++ == (last ? size - 1 : 0)) {
				k = key;
				klen = keylen;
				break;
			}
		}
		if (k) {
			int rc = mx_jinja_mk_str(r, e, k, klen, &nv);
			if (rc)
				return rc;
		}
	} else {
		return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not iterable", mx_jinja_vtype(v));
	}
	vreplace(v, nv);
	return 0;
}

static int f_first(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return first_last(r, e, v, 0);
}

static int f_last(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return first_last(r, e, v, 1);
}

/* The sort key of an item: its attribute, lower-cased unless case-sensitive. */
static int sort_key(const json_t *item, const struct val *attribute, int case_sensitive, json_t **out)
{
	struct val k = vborrow((json_t *)item);
	if (attribute && given(attribute) && attribute->j && !json_is_null(attribute->j)) {
		vdrop(&k);
		int rc = mx_jinja_get_path(item, attribute, &k);
		if (rc)
			return rc;
		if (k.j == NULL)
			k.j = json_null();
	}
	if (!case_sensitive && json_is_string(k.j)) {
		const char *s = json_string_value(k.j);
		size_t n = json_string_length(k.j);
		char *low = mx_malloc(n * 2 + 1);
		if (low == NULL) {
			vdrop(&k);
			return MX_ENOMEM;
		}
		size_t o = 0;
		for (size_t i = 0; i < n;)
			o += mx_utf8_put(low + o, mx_jinja_cp_lower(mx_utf8_next(s, n, &i)));
		vdrop(&k);
		k.j = json_stringn(low, o);
		mx_free(low);
		if (k.j == NULL)
			return MX_ENOMEM;
	}
	*out = k.j;
	return 0;
}

static int key_less(json_t *const *keys, size_t a, size_t b, int reverse, int *failed)
{
	int lt = 0;
	if (json_is_null(keys[a]) && json_is_null(keys[b]))
		return 0; /* items without the sort attribute: equal, like Jinja's Undefined */
	if (mx_jinja_py_lt(reverse ? keys[b] : keys[a], reverse ? keys[a] : keys[b], &lt, 0))
		*failed = 1;
	return lt;
}

/* Stable merge sort of idx[0..n) by keys (Python's sorted()). */
static void merge_sort(size_t *idx, size_t *tmp, size_t n, json_t *const *keys, int reverse, int *failed)
{
	if (n < 2 || *failed)
		return;
	size_t h = n / 2;
	merge_sort(idx, tmp, h, keys, reverse, failed);
	merge_sort(idx + h, tmp, n - h, keys, reverse, failed);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = key_less(keys, idx[j], idx[i], reverse, failed) ? idx[j++] : idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof *idx);
}

static void free_keys(json_t **keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		json_decref(keys[i]);
	mx_free(keys);
}

static int make_keys(json_t *items, const struct val *attribute, int case_sensitive, json_t ***out)
{
	size_t n = json_array_size(items);
	json_t **keys = mx_calloc(n ? n : 1, sizeof *keys);
	if (keys == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = sort_key(json_array_get(items, i), attribute, case_sensitive, &keys[i]);
		if (rc) {
			free_keys(keys, n);
			return rc;
		}
	}
	*out = keys;
	return 0;
}

/* Sort items (a JSON array) by keys into a new array in *out. */
static int sorted_by(struct render *r, const struct expr *e, json_t *items, json_t **keys, int reverse,
                     json_t **out)
{
	size_t n = json_array_size(items);
	size_t *idx = mx_malloc((n ? n : 1) * sizeof *idx), *tmp = mx_malloc((n ? n : 1) * sizeof *tmp);
	int failed = 0, rc = 0;
	json_t *a = json_array();
	if (idx == NULL || tmp == NULL || a == NULL) {
		rc = MX_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	merge_sort(idx, tmp, n, keys, reverse, &failed);
	if (failed) {
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "'<' not supported between the items being sorted");
		goto done;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = json_array_append(a, json_array_get(items, idx[i])) ? MX_ENOMEM : 0;
done:
	mx_free(idx);
	mx_free(tmp);
	if (rc)
		json_decref(a);
	else
		*out = a;
	return rc;
}

static int f_sort(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items, **keys, *sorted;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((rc = make_keys(items, &args[2], truthy(&args[1]), &keys)) == 0) {
		rc = sorted_by(r, e, items, keys, truthy(&args[0]), &sorted);
		free_keys(keys, json_array_size(items));
	}
	json_decref(items);
	if (rc == 0)
		vreplace(v, vborrow(sorted)), json_decref(sorted);
	return rc;
}

/* A hash key like Python's: 1 == 1.0 == True; tuples of hashables hash; lists and dicts do not. */
static int hash_append(const json_t *k, struct mx_buf *b, int depth)
{
	struct num n = {0};
	if (depth > MAX_VALUE_DEPTH)
		return MX_EINVAL;
	if (json_is_string(k))
		return mx_buf_printf(b, "s%zu:", json_string_length(k))
		               ? MX_ENOMEM
		               : mx_buf_append(b, json_string_value(k), json_string_length(k));
	if (json_is_null(k))
		return mx_buf_putc(b, 'z');
	if (get_num(k, &n)) {
		if (n.big)
			return mx_buf_printf(b, "n%s;", n.big);
		if (!n.is_int && n.d == floor(n.d) && fabs(n.d) < 9e18)
			return mx_buf_printf(b, "n%lld;", (long long)n.d);
		if (n.is_int)
			return mx_buf_printf(b, "n%" JSON_INTEGER_FORMAT ";", n.i);
		return mx_buf_printf(b, "f%.17g;", n.d);
	}
	if (json_is_array(k) && mx_jinja_kind(k) == SK_TUPLE) {
		int rc = mx_buf_printf(b, "t%zu(", json_array_size(k));
		for (size_t i = 0; i < json_array_size(k) && rc == 0; i++)
			rc = hash_append(json_array_get(k, i), b, depth + 1);
		return rc ? rc : mx_buf_putc(b, ')');
	}
	if (json_is_object(k) && mx_jinja_is_datetime(k)) {
		return mx_buf_putc(b, 'd') ? MX_ENOMEM : mx_jinja_dt_print(b, k, 1);
	}
	return MX_EINVAL;
}

static int hash_key(const json_t *k, struct mx_buf *b)
{
	mx_buf_reset(b);
	return hash_append(k, b, 0);
}

static int f_unique(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items, **keys, *seen = json_object(), *out = json_array();
	struct mx_buf hk;
	mx_buf_init(&hk, MX_BUF_UNBOUNDED);
	int rc = seen && out ? mx_jinja_to_list(r, e, v, &items) : MX_ENOMEM;
	if (rc)
		goto fail_early;
	if ((rc = make_keys(items, &args[1], truthy(&args[0]), &keys)) == 0) {
		for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
			if ((rc = hash_key(keys[i], &hk)) == MX_EINVAL) {
				rc = mx_jinja_rerr(r, e, MX_EINVAL, "unhashable type: '%s'",
				                   mx_pytext_type(keys[i]));
				break;
			}
			if (rc || json_object_getn(seen, hk.p, hk.len))
				continue;
			if (json_object_setn_new_nocheck(seen, hk.p, hk.len, json_true()) ||
			    json_array_append(out, json_array_get(items, i)))
				rc = MX_ENOMEM;
		}
		free_keys(keys, json_array_size(items));
	}
	json_decref(items);
	if (rc == 0) {
		vreplace(v, vborrow(out));
	}
fail_early:
	mx_buf_free(&hk);
	json_decref(seen);
	json_decref(out);
	return rc;
}

static int f_reverse(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	if (v->j && json_is_string(v->j)) {
		const char *s = json_string_value(v->j);
		size_t len = json_string_length(v->j), end = len;
		struct mx_buf b;
		mx_jinja_sb_init(r, &b);
		int rc = mx_buf_append(&b, "", 0);
		while (end > 0 && rc == 0) {
			size_t start = end - 1;
			while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
				start--;
			rc = mx_buf_append(&b, s + start, end - start);
			end = start;
		}
		return replace_str(r, e, v, rc, &b);
	}
	json_t *items, *a;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((a = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = json_array_size(items); i > 0 && rc == 0; i--)
		rc = json_array_append(a, json_array_get(items, i - 1)) ? MX_ENOMEM : 0;
	json_decref(items);
	if (rc) {
		json_decref(a);
		return rc;
	}
	vreplace(v, vborrow(a));
	json_decref(a);
	return 0;
}

static int f_round(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t prec;
	struct num x = {0};
	int rc = mx_jinja_arg_int(r, e, &args[0], 0, "precision", &prec);
	if (rc)
		return rc;
	const char *method = "common";
	if (given(&args[1])) {
		if (!args[1].j || !json_is_string(args[1].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "method must be common, ceil or floor");
		method = json_string_value(args[1].j);
	}
	if (strcmp(method, "common") && strcmp(method, "ceil") && strcmp(method, "floor"))
		return mx_jinja_rerr(r, e, MX_EINVAL, "method must be common, ceil or floor");
	if (v->j == NULL)
		return mx_jinja_undef_err(r, e, v);
	if (!get_num(v->j, &x))
		return mx_jinja_rerr(r, e, MX_EINVAL, "type %s doesn't define __round__ method",
		                     mx_jinja_vtype(v));
	struct val nv;
	if (strcmp(method, "common") != 0) {
		double p = pow(10.0, (double)prec), d = x.d * p;
		d = method[0] == 'c' ? ceil(d) : floor(d);
		rc = mx_jinja_mk_real(r, e, d / p, &nv);
	} else if (x.big && prec >= 0) {
		nv = vcopy(v);
	} else if (x.is_int) {
		/* round(int, ndigits) stays an int; negative ndigits round half to even */
		json_int_t res = x.i;
		if (prec < 0) {
			json_int_t p = 1;
			for (json_int_t i = 0; i < -prec && p <= LLONG_MAX / 10; i++)
				p *= 10;
			if (-prec > 18) {
				res = 0;
			} else {
				json_int_t q = x.i / p, rem = x.i % p;
				if (rem < 0)
					rem += p, q--;
				if (rem * 2 > p || (rem * 2 == p && (q & 1)))
					q++;
				if (__builtin_mul_overflow(q, p, &res))
					return mx_jinja_rerr(r, e, MX_EINVAL, "integer overflow");
			}
		}
		rc = vset(&nv, json_integer(res));
	} else if (prec >= 0) {
		char buf[512];
		snprintf(buf, sizeof buf, "%.*f", (int)(prec > 60 ? 60 : prec), x.d);
		rc = mx_jinja_mk_real(r, e, strtod(buf, NULL), &nv);
	} else {
		double p = pow(10.0, (double)-prec);
		rc = mx_jinja_mk_real(r, e, nearbyint(x.d / p) * p, &nv);
	}
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_int(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t base, res = 0;
	int rc = mx_jinja_arg_int(r, e, &args[1], 10, "base", &base), ok = 0;
	if (rc)
		return rc;
	if (v->j == NULL)
		return mx_jinja_undef_err(r, e, v);
	struct num x = {0};
	const json_t *j = v->j;
	double d = 0;
	int have_d = 0;
	if (j && json_is_string(j)) {
		int64_t parsed = 0;
		int pr = (base >= 2 && base <= 36) || base == 0
		                 ? mx_pytext_parse_int(json_string_value(j), json_string_length(j), (int)base,
		                                       &parsed)
		                 : MX_EINVAL;
		if (pr == 0)
			res = parsed, ok = 1;
		else if (pr == MX_ELIMIT)
			return mx_jinja_rerr(r, e, MX_EINVAL, "integer overflow");
		else if ((pr = mx_pytext_parse_float(json_string_value(j), json_string_length(j), &d)) == 0)
			have_d = 1;
		else if (pr == MX_ENOMEM)
			return MX_ENOMEM;
	} else if (get_num(j, &x)) {
		if (x.big)
			return 0; /* int() of an int is itself */
		if (x.is_int)
			res = x.i, ok = 1;
		else
			d = x.d, have_d = 1;
	}
	if (have_d && !isnan(d)) {
		if (isinf(d) || fabs(d) >= 9.2233720368547758e18)
			return mx_jinja_rerr(r, e, MX_EINVAL, "cannot convert float %s to integer",
			                     isinf(d) ? "infinity" : "value");
		res = (json_int_t)trunc(d);
		ok = 1;
	}
	struct val nv;
	if (ok) {
		if ((rc = vset(&nv, json_integer(res))))
			return rc;
	} else if (given(&args[0])) {
		nv = vcopy(&args[0]);
	} else if ((rc = vset(&nv, json_integer(0)))) {
		return rc;
	}
	vreplace(v, nv);
	return 0;
}

static int f_float(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct num x = {0};
	double d = 0;
	int ok = 0, rc;
	const json_t *j = v->j;
	if (j == NULL)
		return mx_jinja_undef_err(r, e, v);
	if (json_is_string(j)) {
		if ((rc = mx_pytext_parse_float(json_string_value(j), json_string_length(j), &d)) ==
		    MX_ENOMEM)
			return rc;
		ok = rc == 0;
	} else if (get_num(j, &x)) {
		d = x.d, ok = 1;
	}
	struct val nv;
	if (ok)
		rc = mx_jinja_mk_real(r, e, d, &nv);
	else if (given(&args[0]))
		nv = vcopy(&args[0]), rc = 0;
	else
		rc = vset(&nv, json_real(0.0));
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_string(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	if (v->j && json_is_string(v->j))
		return 0;
	struct mx_buf s;
	int rc = mx_jinja_soft_str(r, e, v, &s);
	return rc ? rc : replace_str(r, e, v, 0, &s);
}

static int f_list(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_t *items;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	json_t *copy = json_copy(items);
	json_decref(items);
	if (copy == NULL)
		return MX_ENOMEM;
	vreplace(v, vborrow(copy));
	json_decref(copy);
	return 0;
}

/* ---- tojson: Python's json.dumps(sort_keys=True) made HTML-safe, as Jinja's htmlsafe_json_dumps ---- */

static int json_py_string(struct mx_buf *b, const char *s, size_t n)
{
	int rc = mx_buf_putc(b, '"');
	for (size_t i = 0; i < n && rc == 0;) {
		uint32_t c = mx_utf8_next(s, n, &i);
		switch (c) {
		case '"': rc = mx_buf_puts(b, "\\\""); break;
		case '\\': rc = mx_buf_puts(b, "\\\\"); break;
		case '\n': rc = mx_buf_puts(b, "\\n"); break;
		case '\r': rc = mx_buf_puts(b, "\\r"); break;
		case '\t': rc = mx_buf_puts(b, "\\t"); break;
		case '\b': rc = mx_buf_puts(b, "\\b"); break;
		case '\f': rc = mx_buf_puts(b, "\\f"); break;
		case '<':
		case '>':
		case '&':
		case '\'': rc = mx_buf_printf(b, "\\u%04x", (unsigned)c); break;
		default:
			if (c >= 0x20 && c < 0x7F)
				rc = mx_buf_putc(b, (char)c);
			else if (c < 0x10000)
				rc = mx_buf_printf(b, "\\u%04x", (unsigned)c);
			else
				rc = mx_buf_printf(b, "\\u%04x\\u%04x",
				                   (unsigned)(0xD800 + ((c - 0x10000) >> 10)),
				                   (unsigned)(0xDC00 + ((c - 0x10000) & 0x3FF)));
		}
	}
	return rc ? rc : mx_buf_putc(b, '"');
}

struct keyref {
	const char *k;
	size_t n;
	json_t *v;
};

static int cmp_keyref(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int json_py_newline(struct mx_buf *b, const struct mx_buf *indent, int level)
{
	int rc = mx_buf_putc(b, '\n');
	for (int i = 0; i < level && rc == 0; i++)
		rc = mx_buf_append(b, indent->p, indent->len);
	return rc;
}

static int json_py_dump(struct mx_buf *b, const json_t *j, const struct mx_buf *indent, int level)
{
	if (level > MAX_VALUE_DEPTH)
		return MX_ELIMIT;
	const char *item_sep = indent ? "," : ", ";
	int rc = 0;
	switch (json_typeof(j)) {
	case JSON_NULL: return mx_buf_puts(b, "null");
	case JSON_TRUE: return mx_buf_puts(b, "true");
	case JSON_FALSE: return mx_buf_puts(b, "false");
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	case JSON_REAL: {
		struct num x;
		mx_jinja_real_num(j, &x);
		if (x.big)
			return mx_buf_puts(b, x.big);
		if (!isfinite(x.d)) /* json.dumps writes JavaScript's names */
			return mx_buf_puts(b, isnan(x.d) ? "NaN" : x.d > 0 ? "Infinity" : "-Infinity");
		return mx_pytext_put_float(b, x.d);
	}
	case JSON_STRING: return json_py_string(b, json_string_value(j), json_string_length(j));
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		if (n == 0)
			return mx_buf_puts(b, "[]");
		rc = mx_buf_putc(b, '[');
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, item_sep);
			if (rc == 0 && indent)
				rc = json_py_newline(b, indent, level + 1);
			if (rc == 0)
				rc = json_py_dump(b, json_array_get(j, i), indent, level + 1);
		}
		if (rc == 0 && indent)
			rc = json_py_newline(b, indent, level);
		return rc ? rc : mx_buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		if (mx_jinja_is_datetime(j))
			return MX_EINVAL; /* json.dumps: not serializable */
		size_t n = json_object_size(j), i = 0;
		if (n == 0)
			return mx_buf_puts(b, "{}");
		struct keyref *keys = mx_malloc(n * sizeof *keys);
		if (keys == NULL)
			return MX_ENOMEM;
		const char *k;
		size_t klen;
		json_t *v;
		json_object_keylen_foreach((json_t *)j, k, klen, v)
		{
			keys[i].k = k;
			keys[i].n = klen;
			keys[i].v = v;
			i++;
		}
		qsort(keys, n, sizeof *keys, cmp_keyref);
		rc = mx_buf_putc(b, '{');
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, item_sep);
			if (rc == 0 && indent)
				rc = json_py_newline(b, indent, level + 1);
			if (rc == 0)
				rc = json_py_string(b, keys[i].k, keys[i].n);
			if (rc == 0)
				rc = mx_buf_puts(b, ": ");
			if (rc == 0)
				rc = json_py_dump(b, keys[i].v, indent, level + 1);
		}
		mx_free(keys);
		if (rc == 0 && indent)
			rc = json_py_newline(b, indent, level);
		return rc ? rc : mx_buf_putc(b, '}');
	}
	}
	return rc;
}

static int f_tojson(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	if (v->j == NULL)
		return mx_jinja_rerr(r, e, MX_EINVAL, "Object of type Undefined is not JSON serializable");
	struct mx_buf indent, b;
	int has_indent = given(&args[0]) && args[0].j && !json_is_null(args[0].j), rc = 0;
	mx_buf_init(&indent, 4096);
	if (has_indent) {
		struct num x = {0};
		if (json_is_string(args[0].j))
			rc = mx_buf_append(&indent, json_string_value(args[0].j),
			                   json_string_length(args[0].j));
		else if (get_num(args[0].j, &x) && x.is_int)
			for (json_int_t i = 0; i < x.i && rc == 0; i++)
				rc = mx_buf_putc(&indent, ' ');
		else
			rc = mx_jinja_rerr(r, e, MX_EINVAL, "indent must be an integer or a string");
		if (rc == 0)
			rc = mx_buf_append(&indent, "", 0);
	}
	if (rc) {
		mx_buf_free(&indent);
		return rc;
	}
	mx_jinja_sb_init(r, &b);
	rc = json_py_dump(&b, v->j, has_indent ? &indent : NULL, 0);
	mx_buf_free(&indent);
	if (rc == MX_EINVAL) {
		mx_buf_free(&b);
		return mx_jinja_rerr(r, e, rc, "Object of type datetime is not JSON serializable");
	}
	/* htmlsafe_json_dumps returns Markup */
	if ((rc = replace_str(r, e, v, rc, &b)) == 0)
		rc = mx_jinja_special_add(v->j, SK_MARKUP, NULL);
	return rc;
}

static int f_abs(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct num x = {0};
	if (v->j == NULL)
		return mx_jinja_undef_err(r, e, v);
	if (!get_num(v->j, &x))
		return mx_jinja_rerr(r, e, MX_EINVAL, "bad operand type for abs(): '%s'", mx_jinja_vtype(v));
	if (x.is_int && (x.big || x.i == LLONG_MIN)) {
		struct val nv;
		int rc = x.d < 0 ? mx_jinja_big_neg(r, e, &x, &nv) : mx_jinja_mk_num(r, e, &x, &nv);
		if (rc == 0)
			vreplace(v, nv);
		return rc;
	}
	x.i = x.i < 0 ? -x.i : x.i;
	x.d = fabs(x.d);
	struct val nv;
	int rc = mx_jinja_mk_num(r, e, &x, &nv);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_truncate(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t length, leeway;
	int rc;
	if ((rc = mx_jinja_arg_int(r, e, &args[0], 255, "length", &length)) ||
	    (rc = mx_jinja_arg_int(r, e, &args[3], 5, "leeway", &leeway)))
		return rc;
	/* Jinja compares len(s) before making it a string: a short list is returned as it is */
	if (v->j && (json_is_array(v->j) || json_is_object(v->j)) &&
	    (json_int_t)(json_is_array(v->j) ? json_array_size(v->j) : json_object_size(v->j)) <=
	            length + leeway)
		return 0;
	struct mx_buf s, end;
	if ((rc = mx_jinja_soft_str(r, e, v, &s)))
		return rc;
	if (given(&args[2])) {
		rc = mx_jinja_soft_str(r, e, &args[2], &end);
	} else {
		mx_buf_init(&end, 16);
		rc = mx_buf_puts(&end, "...");
	}
	if (rc) {
		mx_buf_free(&s);
		return rc;
	}
	json_int_t endlen = (json_int_t)mx_utf8_count(end.p, end.len),
	           slen = (json_int_t)mx_utf8_count(s.p, s.len);
	if (length < endlen) {
		rc = mx_jinja_rerr(r, e, MX_EINVAL,
		                   "expected length >= %" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT,
		                   endlen, length);
	} else if (leeway < 0) {
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "expected leeway >= 0, got %" JSON_INTEGER_FORMAT,
		                   leeway);
	} else if (slen > length + leeway) {
		size_t cut = mx_utf8_offset(s.p, s.len, (size_t)(length - endlen));
		if (!truthy(&args[1])) {
			/* s[:length - len(end)].rsplit(" ", 1)[0] */
			size_t k = cut;
			while (k > 0 && s.p[k - 1] != ' ')
				k--;
			if (k > 0)
				cut = k - 1;
		}
		s.len = cut;
		rc = mx_buf_append(&s, end.p, end.len);
	}
	mx_buf_free(&end);
	if (rc) {
		mx_buf_free(&s);
		return rc;
	}
	return replace_str(r, e, v, 0, &s);
}

/* Markup(s): the text unchanged, marked safe. */
static int markup_of(struct render *r, const struct expr *e, struct val *v, struct mx_buf *s, int rc)
{
	struct val nv;
	if (rc == 0 && s->len > r->max_str)
		rc = mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
		                   r->max_str);
	if (rc == 0 && (rc = mx_jinja_mk_markup(s->p ? s->p : "", s->len, &nv)) == 0)
		vreplace(v, nv);
	mx_buf_free(s);
	return rc;
}

static int f_safe(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf s;
	if (mx_jinja_is_markup(v->j))
		return 0;
	int rc = mx_jinja_soft_str(r, e, v, &s);
	return rc ? rc : markup_of(r, e, v, &s, 0);
}

static int escape_value(struct render *r, const struct expr *e, struct val *v, int force)
{
	struct mx_buf s, b;
	if (!force && mx_jinja_is_markup(v->j))
		return 0;
	int rc = mx_jinja_soft_str(r, e, v, &s);
	if (rc)
		return rc;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = mx_jinja_escape_html(&b, s.p, s.len);
	mx_buf_free(&s);
	return markup_of(r, e, v, &b, rc);
}

static int f_escape(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return escape_value(r, e, v, 0);
}

static int f_forceescape(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return escape_value(r, e, v, 1);
}

/* value|format(*args) or value|format(**kwargs): printf-style */
static int f_format(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	struct mx_buf s;
	struct val nv;
	json_t *pack;
	size_t nkw = e->nvals, npos = n - nkw;
	if (nkw && npos)
		return mx_jinja_rerr(r, e, MX_EINVAL,
		                     "can't handle positional and keyword arguments at the same time");
	if (nkw) {
		pack = json_object();
		for (size_t i = 0; pack && i < nkw; i++)
			if (json_object_set(pack, e->kwnames[i], args[i].j ? args[i].j : json_null())) {
				json_decref(pack);
				pack = NULL;
			}
		if (pack == NULL)
			return MX_ENOMEM;
	} else {
		pack = json_array();
		for (size_t i = 0; pack && i < npos; i++)
			if (json_array_append(pack, args[i].j ? args[i].j : json_null())) {
				json_decref(pack);
				pack = NULL;
			}
		struct val tv;
		int trc = mx_jinja_mk_tuple(pack, &tv);
		if (trc)
			return trc;
	}
	int markup = mx_jinja_is_markup(v->j);
	int rc = mx_jinja_soft_str(r, e, v, &s);
	if (rc == 0) {
		rc = mx_jinja_percent(r, e, s.p, s.len, pack, markup, &nv);
		mx_buf_free(&s);
		if (rc == 0)
			vreplace(v, nv);
	}
	json_decref(pack);
	return rc;
}

static int f_center(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t width;
	struct mx_buf s, b;
	int rc = mx_jinja_arg_int(r, e, &args[0], 80, "width", &width);
	if (rc || (rc = mx_jinja_soft_str(r, e, v, &s)))
		return rc;
	json_int_t len = (json_int_t)mx_utf8_count(s.p, s.len);
	if (width > (json_int_t)r->max_str) {
		mx_buf_free(&s);
		return mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
		                     r->max_str);
	}
	if (width <= len)
		return replace_str(r, e, v, 0, &s);
	/* CPython: left = marg / 2 + (marg & width & 1) */
	json_int_t marg = width - len, left = marg / 2 + (marg & width & 1);
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	for (json_int_t i = 0; i < left && rc == 0; i++)
		rc = mx_buf_putc(&b, ' ');
	if (rc == 0)
		rc = mx_buf_append(&b, s.p, s.len);
	for (json_int_t i = 0; i < marg - left && rc == 0; i++)
		rc = mx_buf_putc(&b, ' ');
	mx_buf_free(&s);
	return replace_str(r, e, v, rc, &b);
}

static int f_indent(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s, ind, b;
	int rc = 0;
	if (v->j == NULL)
		return mx_jinja_undef_err(r, e, v);
	mx_buf_init(&ind, r->max_str);
	if (given(&args[0]) && args[0].j && json_is_string(args[0].j)) {
		rc = mx_buf_append(&ind, json_string_value(args[0].j), json_string_length(args[0].j));
	} else {
		json_int_t width;
		rc = mx_jinja_arg_int(r, e, &args[0], 4, "width", &width);
		for (json_int_t i = 0; i < width && rc == 0; i++)
			rc = mx_buf_putc(&ind, ' ');
	}
	if (rc == 0)
		rc = mx_buf_append(&ind, "", 0);
	if (rc || (rc = mx_jinja_soft_str(r, e, v, &s))) {
		mx_buf_free(&ind);
		return rc == MX_ELIMIT ? mx_jinja_rerr(r, e, rc, "indent too wide") : rc;
	}
	int first = truthy(&args[1]), blank = truthy(&args[2]);
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = mx_jinja_indent(&b, s.p, s.len, ind.p, ind.len, first, blank);
	mx_buf_free(&ind);
	mx_buf_free(&s);
	return replace_str(r, e, v, rc, &b);
}

static int f_wordcount(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf s;
	int rc = mx_jinja_soft_str(r, e, v, &s), in_word = 0;
	if (rc)
		return rc;
	json_int_t words = 0;
	for (size_t i = 0; i < s.len;) {
		int w = mx_jinja_cp_word(mx_utf8_next(s.p, s.len, &i));
		if (w && !in_word)
			words++;
		in_word = w;
	}
	mx_buf_free(&s);
	struct val nv;
	if ((rc = vset(&nv, json_integer(words))) == 0)
		vreplace(v, nv);
	return rc;
}

static int f_sum(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	struct val acc;
	if (given(&args[1]))
		acc = vcopy(&args[1]);
	else if ((rc = vset(&acc, json_integer(0)))) {
		json_decref(items);
		return rc;
	}
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		struct val item, next;
		if ((rc = sort_key(json_array_get(items, i), &args[0], 1, &item.j)))
			break;
		item.why = NULL, item.objtype = NULL, item.flags = 0;
		rc = mx_jinja_binop(r, e, OP_ADD, &acc, &item, &next);
		vdrop(&item);
		vdrop(&acc);
		acc = next;
	}
	json_decref(items);
	if (rc) {
		vdrop(&acc);
		return rc;
	}
	vreplace(v, acc);
	return 0;
}

static int min_max(struct render *r, const struct expr *e, struct val *v, struct val *args, int want_max)
{
	json_t *items, **keys;
	int rc = mx_jinja_to_list(r, e, v, &items), failed = 0;
	if (rc)
		return rc;
	size_t n = json_array_size(items);
	if ((rc = make_keys(items, &args[1], truthy(&args[0]), &keys)) == 0) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (key_less(keys, want_max ? best : i, want_max ? i : best, 0, &failed))
				best = i;
		free_keys(keys, n);
		if (failed)
			rc = mx_jinja_rerr(r, e, MX_EINVAL, "'<' not supported between the items compared");
		else
			vreplace(v, n ? vborrow(json_array_get(items, best)) : vundef(NULL, NULL));
	}
	json_decref(items);
	return rc;
}

static int f_min(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	return min_max(r, e, v, args, 0);
}

static int f_max(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	return min_max(r, e, v, args, 1);
}

static int dict_pairs(struct render *r, const struct expr *e, const struct val *v, json_t **out)
{
	*out = json_array();
	if (*out == NULL)
		return MX_ENOMEM;
	if (v->j == NULL)
		return 0;
	if (!json_is_object(v->j)) {
		json_decref(*out);
		*out = NULL;
		return mx_jinja_rerr(r, e, MX_EINVAL, "can only get item pairs from a mapping");
	}
	const char *k;
	size_t klen;
	json_t *x;
	json_object_keylen_foreach(v->j, k, klen, x)
	{
		if (json_array_append_new(*out, mx_jinja_pair(k, klen, x))) {
			json_decref(*out);
			*out = NULL;
			return MX_ENOMEM;
		}
	}
	return 0;
}

static int f_items(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_t *pairs;
	int rc = dict_pairs(r, e, v, &pairs);
	if (rc)
		return rc;
	vreplace(v, vborrow(pairs));
	json_decref(pairs);
	return 0;
}

static int f_dictsort(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	const char *by = "key";
	if (given(&args[1]) && args[1].j && json_is_string(args[1].j))
		by = json_string_value(args[1].j);
	if (strcmp(by, "key") && strcmp(by, "value"))
		return mx_jinja_rerr(r, e, MX_EINVAL, "You can only sort by either 'key' or 'value'");
	json_t *pairs, **keys, *sorted, *pos;
	if (v->j == NULL)
		return mx_jinja_undef_err(r, e, v);
	if (!json_is_object(v->j))
		return mx_jinja_rerr(r, e, MX_EINVAL, "dictsort needs a mapping, not %s", mx_jinja_vtype(v));
	int rc = dict_pairs(r, e, v, &pairs);
	if (rc)
		return rc;
	struct val path = vundef(NULL, NULL);
	if ((pos = json_integer(by[0] == 'v')) == NULL) {
		json_decref(pairs);
		return MX_ENOMEM;
	}
	path.j = pos;
	if ((rc = make_keys(pairs, &path, truthy(&args[0]), &keys)) == 0) {
		rc = sorted_by(r, e, pairs, keys, truthy(&args[2]), &sorted);
		free_keys(keys, json_array_size(pairs));
	}
	vdrop(&path);
	json_decref(pairs);
	if (rc)
		return rc;
	vreplace(v, vborrow(sorted));
	json_decref(sorted);
	return 0;
}

/* map(attribute='x', default=d) or map('filter', args...) */
static int f_map(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	const struct val *attr = &args[0], *def = &args[1], *pos = args + 2;
	size_t npos = n - 2;
	const struct filter_def *fd = NULL;
	struct val fargs[5];
	if (!given(attr)) {
		if (npos == 0 || !pos[0].j || !json_is_string(pos[0].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "map() needs a filter name or attribute=");
		if ((fd = mx_jinja_find_filter(json_string_value(pos[0].j))) == NULL || fd->variadic)
			return mx_jinja_rerr(r, e, MX_EINVAL, "no filter named '%s'",
			                     json_string_value(pos[0].j));
		int np = nparams_of(fd);
		if (npos - 1 > (size_t)np || npos - 1 < (size_t)fd->nrequired)
			return mx_jinja_rerr(r, e, MX_EINVAL, "wrong number of arguments for filter '%s'",
			                     fd->name);
		for (int i = 0; i < np; i++) {
			fargs[i] = vundef(NULL, NULL);
			if ((size_t)i + 1 < npos)
				fargs[i] = pos[i + 1];
			else
				fargs[i].flags = VAL_MISSING;
		}
	}
	json_t *items, *out;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((out = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		json_t *item = json_array_get(items, i);
		struct val x;
		if (fd) {
			x = vborrow(item);
			if ((rc = fd->fn(r, e, &x, fargs, (size_t)nparams_of(fd)))) {
				vdrop(&x);
				break;
			}
		} else if ((rc = mx_jinja_get_path(item, attr, &x))) {
			break;
		} else if (x.j == NULL && given(def)) {
			x = vcopy(def);
		}
		if (json_array_append_new(out, x.j ? x.j : mx_jinja_undef_item()))
			rc = MX_ENOMEM;
	}
	json_decref(items);
	if (rc) {
		json_decref(out);
		return rc;
	}
	vreplace(v, vborrow(out));
	json_decref(out);
	return 0;
}

/* select/reject(test, args...), selectattr/rejectattr(attr, test, args...) */
static int select_items(struct render *r, const struct expr *e, struct val *v, const struct val *pos,
                        size_t npos, int by_attr, int keep)
{
	if (by_attr && npos == 0)
		return mx_jinja_rerr(r, e, MX_EINVAL, "missing parameter for attribute name");
	const struct val *attr = by_attr ? &pos[0] : NULL;
	size_t off = by_attr ? 1 : 0;
	const struct test_def *td = NULL;
	if (npos > off) {
		if (!pos[off].j || !json_is_string(pos[off].j) ||
		    (td = mx_jinja_find_test(json_string_value(pos[off].j))) == NULL)
			return mx_jinja_rerr(r, e, MX_EINVAL, "no test named '%s'",
			                     pos[off].j && json_is_string(pos[off].j)
			                             ? json_string_value(pos[off].j)
			                             : "?");
		if (npos - off - 1 != (size_t)td->nargs)
			return mx_jinja_rerr(r, e, MX_EINVAL, "test '%s' takes %d argument%s", td->name,
			                     td->nargs, td->nargs == 1 ? "" : "s");
	}
	json_t *items, *out;
	int rc = mx_jinja_to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((out = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		json_t *item = json_array_get(items, i);
		struct val x;
		int res;
		if (attr)
			rc = mx_jinja_get_path(item, attr, &x);
		else
			x = vborrow(item);
		if (rc)
			break;
		if (td)
			rc = td->fn(r, e, &x, pos + off + 1, &res);
		else
			res = truthy(&x);
		vdrop(&x);
		if (rc == 0 && (res != 0) == keep && json_array_append(out, item))
			rc = MX_ENOMEM;
	}
	json_decref(items);
	if (rc) {
		json_decref(out);
		return rc;
	}
	vreplace(v, vborrow(out));
	json_decref(out);
	return 0;
}

static int f_select(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 0, 1);
}

static int f_reject(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 0, 0);
}

static int f_selectattr(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 1, 1);
}

static int f_rejectattr(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 1, 0);
}

static const struct filter_def filters[] = {
        {"abs", f_abs, 0, 0, {NULL}},
        {"capitalize", f_capitalize, 0, 0, {NULL}},
        {"center", f_center, 0, 0, {"width"}},
        {"count", f_length, 0, 0, {NULL}},
        {"d", f_default, 0, 0, {"default_value", "boolean"}},
        {"default", f_default, 0, 0, {"default_value", "boolean"}},
        {"dictsort", f_dictsort, 0, 0, {"case_sensitive", "by", "reverse"}},
        {"e", f_escape, 0, 0, {NULL}},
        {"escape", f_escape, 0, 0, {NULL}},
        {"first", f_first, 0, 0, {NULL}},
        {"float", f_float, 0, 0, {"default"}},
        {"forceescape", f_forceescape, 0, 0, {NULL}},
        {"format", f_format, 0, 1, {"**"}},
        {"indent", f_indent, 0, 0, {"width", "first", "blank"}},
        {"int", f_int, 0, 0, {"default", "base"}},
        {"items", f_items, 0, 0, {NULL}},
        {"join", f_join, 0, 0, {"d", "attribute"}},
        {"last", f_last, 0, 0, {NULL}},
        {"length", f_length, 0, 0, {NULL}},
        {"list", f_list, 0, 0, {NULL}},
        {"lower", f_lower, 0, 0, {NULL}},
        {"map", f_map, 0, 1, {"attribute", "default"}},
        {"max", f_max, 0, 0, {"case_sensitive", "attribute"}},
        {"min", f_min, 0, 0, {"case_sensitive", "attribute"}},
        {"reject", f_reject, 0, 1, {NULL}},
        {"rejectattr", f_rejectattr, 0, 1, {NULL}},
        {"replace", f_replace, 2, 0, {"old", "new", "count"}},
        {"reverse", f_reverse, 0, 0, {NULL}},
        {"round", f_round, 0, 0, {"precision", "method"}},
        {"safe", f_safe, 0, 0, {NULL}},
        {"select", f_select, 0, 1, {NULL}},
        {"selectattr", f_selectattr, 0, 1, {NULL}},
        {"sort", f_sort, 0, 0, {"reverse", "case_sensitive", "attribute"}},
        {"string", f_string, 0, 0, {NULL}},
        {"sum", f_sum, 0, 0, {"attribute", "start"}},
        {"title", f_title, 0, 0, {NULL}},
        {"tojson", f_tojson, 0, 0, {"indent"}},
        {"trim", f_trim, 0, 0, {"chars"}},
        {"truncate", f_truncate, 0, 0, {"length", "killwords", "end", "leeway"}},
        {"unique", f_unique, 0, 0, {"case_sensitive", "attribute"}},
        {"upper", f_upper, 0, 0, {NULL}},
        {"wordcount", f_wordcount, 0, 0, {NULL}},
};

const struct filter_def *mx_jinja_find_filter(const char *name)
{
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (strcmp(filters[i].name, name) == 0)
			return &filters[i];
	return mx_jinja_find_filter_more(name);
}

/* Jinja built-ins this engine leaves out: named as unsupported, not unknown. */
int mx_jinja_unsupported_filter(const char *name)
{
	static const char *const names[] = {"random", "urlize", "xmlattr"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}
