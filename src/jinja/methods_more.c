/* SPDX-License-Identifier: Apache-2.0 */
/*
 * methods_more — the second family of Python methods a template can call
 * (methods.c has the first): str.rsplit, splitlines, find/rfind/index/
 * rindex with start and end, expandtabs, isidentifier, isprintable,
 * isascii; the list methods (copy and the mutating ones: append, extend,
 * insert, pop, remove, clear, reverse, sort) and dict.copy/pop/setdefault/
 * update/clear/popitem; and which names are methods at all, so that
 * 'abc'.upper is defined (a bound method) while 'abc'.nope is not.
 *
 * Lists and dicts are mutable in Jinja2 (the default environment lets a
 * template call list.append), and mutation is visible to later reads of
 * the same value, as in Python; the values mutated are the render's own
 * or the caller's context, which belongs to this one render.
 */
#include "jinja/jinja_int.h"

#include "core/pytext.h"
#include "core/utf8.h"

#include <string.h>

static const char *const str_methods[] = {
        "capitalize", "casefold",     "center",       "count",   "encode",     "endswith",    "expandtabs",
        "find",       "format",       "format_map",   "index",   "isalnum",    "isalpha",     "isascii",
        "isdecimal",  "isdigit",      "isidentifier", "islower", "isnumeric",  "isprintable", "isspace",
        "istitle",    "isupper",      "join",         "ljust",   "lower",      "lstrip",      "maketrans",
        "partition",  "removeprefix", "removesuffix", "replace", "rfind",      "rindex",      "rjust",
        "rpartition", "rsplit",       "rstrip",       "split",   "splitlines", "startswith",  "strip",
        "swapcase",   "title",        "translate",    "upper",   "zfill",      NULL};
static const char *const list_methods[] = {"append", "clear", "copy",   "count",   "extend", "index",
                                           "insert", "pop",   "remove", "reverse", "sort",   NULL};
static const char *const dict_methods[] = {"clear", "copy",    "fromkeys",   "get",    "items",  "keys",
                                           "pop",   "popitem", "setdefault", "update", "values", NULL};

static int in_list(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

int mx_jinja_has_method(const json_t *j, const char *name)
{
	if (j == NULL)
		return 0;
	int kind = mx_jinja_kind(j);
	switch (json_typeof(j)) {
	case JSON_STRING: return in_list(str_methods, name);
	case JSON_ARRAY:
		if (kind == SK_TUPLE || kind == SK_GROUP)
			return strcmp(name, "count") == 0 || strcmp(name, "index") == 0;
		return in_list(list_methods, name);
	case JSON_OBJECT:
		if (kind == SK_DATETIME)
			return mx_jinja_dt_has_method(j, name);
		return kind == 0 && in_list(dict_methods, name);
	default: return 0;
	}
}

int mx_jinja_bound_method(const json_t *self, const char *name, struct val *out)
{
	/* hidden keys (not UTF-8, never printed) hold the receiver and the name */
	json_t *m = json_object();
	if (m && (json_object_setn_nocheck(m, "\xffself", 5, (json_t *)self) ||
	          json_object_setn_new_nocheck(m, "\xffname", 5, json_string(name)))) {
		json_decref(m);
		m = NULL;
	}
	return mx_jinja_mk_special(m, SK_METHOD, out);
}

/* ------------------------------------------------------------------------
 * str
 * ---------------------------------------------------------------------- */

/* Python's slice bounds start/end (code points) of a string of n code points. */
static void slice_bounds(const struct val *args, size_t nargs, size_t first, json_int_t n, json_int_t *start,
                         json_int_t *end)
{
	struct num x;
	*start = 0, *end = n;
	if (nargs > first && args[first].j && get_num(args[first].j, &x) && x.is_int) {
		*start = x.i < 0 ? x.i + n : x.i;
		if (*start < 0)
			*start = 0;
	}
	if (nargs > first + 1 && args[first + 1].j && get_num(args[first + 1].j, &x) && x.is_int) {
		*end = x.i < 0 ? x.i + n : x.i;
		if (*end > n)
			*end = n;
		if (*end < 0)
			*end = 0;
	}
}

/* find/rfind/index/rindex(sub[, start[, end]]) */
static int str_find(struct render *r, const struct expr *e, const char *s, size_t len, const char *name,
                    struct val *args, size_t n, struct val *out)
{
	int rc = mx_jinja_need_args(r, e, name, n, 1, 3);
	if (rc)
		return rc;
	if (!args[0].j || !json_is_string(args[0].j))
		return mx_jinja_rerr(r, e, MX_EINVAL, "must be str, not %s", mx_jinja_vtype(&args[0]));
	const char *sub = json_string_value(args[0].j);
	size_t subn = json_string_length(args[0].j);
	json_int_t ncp = (json_int_t)mx_utf8_count(s, len), st, en;
	slice_bounds(args, n, 1, ncp, &st, &en);
	int from_right = name[0] == 'r';
	json_int_t found = -1;
	if (st <= en) {
		size_t bs = mx_utf8_offset(s, len, (size_t)st), be = mx_utf8_offset(s, len, (size_t)en);
		const char *hit = NULL;
		if (!from_right) {
			hit = mx_jinja_find_bytes(s + bs, be - bs, sub, subn);
		} else {
			for (size_t i = be - bs + 1; i-- > 0;)
				if (i + subn <= be - bs && memcmp(s + bs + i, sub, subn) == 0) {
					hit = s + bs + i;
					break;
				}
		}
		if (hit)
			found = st + (json_int_t)mx_utf8_count(s + bs, (size_t)(hit - (s + bs)));
	}
	if (found < 0 && strstr(name, "index"))
		return mx_jinja_rerr(r, e, MX_EINVAL, "substring not found");
	return vset(out, json_integer(found));
}

static int push_str(json_t *a, const char *s, size_t n)
{
	return json_array_append_new(a, json_stringn(s, n)) ? MX_ENOMEM : 0;
}

/* rsplit(sep=None, maxsplit=-1): split from the right, the list in order. */
static int str_rsplit(struct render *r, const struct expr *e, const char *s, size_t len, struct val *args,
                      size_t n, struct val *out)
{
	json_int_t maxsplit;
	int rc = mx_jinja_need_args(r, e, "rsplit", n, 0, 2);
	if (rc || (rc = mx_jinja_arg_int(r, e, n > 1 ? &args[1] : NULL, -1, "maxsplit", &maxsplit)))
		return rc;
	if (maxsplit < 0)
		return mx_jinja_str_split(r, e, s, len, n ? &args[0] : NULL, -1, out);
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	json_int_t splits = 0;
	if (n == 0 || args[0].j == NULL || json_is_null(args[0].j)) {
		size_t i = len;
		while (rc == 0) {
			while (i > 0) { /* skip whitespace */
				size_t k = i - 1;
				while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
					k--;
				size_t x = k;
				if (!mx_jinja_cp_space(mx_utf8_next(s, len, &x)))
					break;
				i = k;
			}
			if (i == 0)
				break;
			size_t end = i;
			if (splits >= maxsplit) { /* the rest, leading whitespace kept */
				rc = push_str(a, s, end);
				break;
			}
			while (i > 0) {
				size_t k = i - 1;
				while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
					k--;
				size_t x = k;
				if (mx_jinja_cp_space(mx_utf8_next(s, len, &x)))
					break;
				i = k;
			}
			rc = push_str(a, s + i, end - i);
			splits++;
		}
	} else if (!json_is_string(args[0].j)) {
		json_decref(a);
		return mx_jinja_rerr(r, e, MX_EINVAL, "must be str or None, not %s",
		                     mx_jinja_vtype(&args[0]));
	} else {
		const char *d = json_string_value(args[0].j);
		size_t dn = json_string_length(args[0].j), end = len;
		if (dn == 0) {
			json_decref(a);
			return mx_jinja_rerr(r, e, MX_EINVAL, "empty separator");
		}
		while (rc == 0) {
			size_t hit = (size_t)-1;
			if (splits < maxsplit)
				for (size_t i = end + 1; i-- > 0;)
					if (i + dn <= end && memcmp(s + i, d, dn) == 0) {
						hit = i;
						break;
					}
			if (hit == (size_t)-1) {
				rc = push_str(a, s, end);
				break;
			}
			rc = push_str(a, s + hit + dn, end - hit - dn);
			end = hit;
			splits++;
		}
	}
	/* collected right to left */
	for (size_t i = 0, k = json_array_size(a); rc == 0 && k > 0 && i < k - 1; i++, k--) {
		json_t *x = json_incref(json_array_get(a, i)), *y = json_incref(json_array_get(a, k - 1));
		json_array_set_new(a, i, y);
		json_array_set_new(a, k - 1, x);
	}
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

static int str_splitlines(struct render *r, const struct expr *e, const char *s, size_t len, struct val *args,
                          size_t n, struct val *out)
{
	int rc = mx_jinja_need_args(r, e, "splitlines", n, 0, 1);
	if (rc)
		return rc;
	int keep = n && truthy(&args[0]);
	json_t *a = json_array();
	size_t pos = 0, st, en;
	if (a == NULL)
		return MX_ENOMEM;
	while (rc == 0 && mx_jinja_next_line(s, len, &pos, &st, &en))
		rc = push_str(a, s + st, (keep ? pos : en) - st);
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

static int str_expandtabs(struct render *r, const struct expr *e, const char *s, size_t len, struct val *args,
                          size_t n, struct val *out)
{
	json_int_t tab;
	int rc = mx_jinja_need_args(r, e, "expandtabs", n, 0, 1);
	if (rc || (rc = mx_jinja_arg_int(r, e, n ? &args[0] : NULL, 8, "tabsize", &tab)))
		return rc;
	struct mx_buf b;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	json_int_t col = 0;
	for (size_t i = 0; i < len && rc == 0;) {
		size_t st = i;
		uint32_t c = mx_utf8_next(s, len, &i);
		if (c == '\t') {
			if (tab > 0) {
				json_int_t k = tab - col % tab;
				for (json_int_t q = 0; q < k && rc == 0; q++)
					rc = mx_buf_putc(&b, ' ');
				col += k;
			}
		} else {
			rc = mx_buf_append(&b, s + st, i - st);
			col = (c == '\n' || c == '\r') ? 0 : col + 1;
		}
	}
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}

/* isascii (0), isprintable (1), isidentifier (2) */
static int str_all(const char *s, size_t len, int which)
{
	size_t i = 0;
	if (which == 2 && len == 0)
		return 0;
	while (i < len) {
		int first = i == 0;
		uint32_t c = mx_utf8_next(s, len, &i);
		int ok = which == 0   ? c < 0x80
		         : which == 1 ? mx_jinja_cp_printable(c)
		         : first      ? c == '_' || mx_jinja_cp_alpha(c)
		                      : mx_jinja_cp_word(c);
		if (!ok)
			return 0;
	}
	return 1;
}

/* 1 when name is not one of these methods. */
int mx_jinja_str_methods_more(struct render *r, const struct expr *e, const char *s, size_t len,
                              const char *name, struct val *args, size_t n, struct val *out)
{
	int rc;
	if (strcmp(name, "find") == 0 || strcmp(name, "rfind") == 0 || strcmp(name, "index") == 0 ||
	    strcmp(name, "rindex") == 0)
		return str_find(r, e, s, len, name, args, n, out);
	if (strcmp(name, "rsplit") == 0)
		return str_rsplit(r, e, s, len, args, n, out);
	if (strcmp(name, "splitlines") == 0)
		return str_splitlines(r, e, s, len, args, n, out);
	if (strcmp(name, "expandtabs") == 0)
		return str_expandtabs(r, e, s, len, args, n, out);
	const char *const preds[] = {"isascii", "isprintable", "isidentifier"};
	for (int i = 0; i < 3; i++)
		if (strcmp(name, preds[i]) == 0)
			return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
			               ? rc
			               : vset(out, json_boolean(str_all(s, len, i)));
	return 1;
}

/* ------------------------------------------------------------------------
 * list and dict
 * ---------------------------------------------------------------------- */

static int list_index_arg(struct render *r, const struct expr *e, const struct val *a, size_t len, int insert,
                          size_t *out)
{
	struct num x;
	if (a->j == NULL || !get_num(a->j, &x) || !x.is_int || json_is_real(a->j))
		return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object cannot be interpreted as an integer",
		                     mx_jinja_vtype(a));
	json_int_t i = x.i < 0 ? x.i + (json_int_t)len : x.i;
	if (insert) {
		*out = i < 0 ? 0 : i > (json_int_t)len ? len : (size_t)i;
		return 0;
	}
	if (i < 0 || i >= (json_int_t)len)
		return mx_jinja_rerr(r, e, MX_EINVAL, len ? "pop index out of range" : "pop from empty list");
	*out = (size_t)i;
	return 0;
}

static int list_method(struct render *r, const struct expr *e, json_t *a, const char *name, struct val *args,
                       size_t n, struct val *out)
{
	int rc;
	size_t len = json_array_size(a), at;
	if (strcmp(name, "copy") == 0)
		return (rc = mx_jinja_need_args(r, e, name, n, 0, 0)) ? rc : vset(out, json_copy(a));
	if (strcmp(name, "append") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		if (len >= MX_JINJA_MAX_ITEMS)
			return mx_jinja_rerr(r, e, MX_ELIMIT, "list too long (limit %d items)",
			                     MX_JINJA_MAX_ITEMS);
		if (json_array_append_new(a, args[0].j ? json_incref(args[0].j) : mx_jinja_undef_item()))
			return MX_ENOMEM;
		return vset(out, json_null());
	}
	if (strcmp(name, "extend") == 0) {
		json_t *items;
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)) ||
		    (rc = mx_jinja_to_list(r, e, &args[0], &items)))
			return rc;
		if (len + json_array_size(items) > MX_JINJA_MAX_ITEMS)
			rc = mx_jinja_rerr(r, e, MX_ELIMIT, "list too long (limit %d items)",
			                   MX_JINJA_MAX_ITEMS);
		else if (json_array_extend(a, items))
			rc = MX_ENOMEM;
		json_decref(items);
		return rc ? rc : vset(out, json_null());
	}
	if (strcmp(name, "insert") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 2, 2)) ||
		    (rc = list_index_arg(r, e, &args[0], len, 1, &at)))
			return rc;
		if (json_array_insert_new(a, at, args[1].j ? json_incref(args[1].j) : mx_jinja_undef_item()))
			return MX_ENOMEM;
		return vset(out, json_null());
	}
	if (strcmp(name, "pop") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 1)))
			return rc;
		if (n == 0) {
			if (len == 0)
				return mx_jinja_rerr(r, e, MX_EINVAL, "pop from empty list");
			at = len - 1;
		} else if ((rc = list_index_arg(r, e, &args[0], len, 0, &at))) {
			return rc;
		}
		*out = vitem(json_array_get(a, at));
		json_array_remove(a, at);
		return 0;
	}
	if (strcmp(name, "remove") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		for (size_t i = 0; i < len; i++)
			if (args[0].j && mx_jinja_py_eq(json_array_get(a, i), args[0].j, 0)) {
				json_array_remove(a, i);
				return vset(out, json_null());
			}
		return mx_jinja_rerr(r, e, MX_EINVAL, "list.remove(x): x not in list");
	}
	if (strcmp(name, "clear") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		json_array_clear(a);
		return vset(out, json_null());
	}
	if (strcmp(name, "reverse") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		for (size_t i = 0; len > 0 && i < len - 1 - i; i++) {
			json_t *x = json_incref(json_array_get(a, i)),
			       *y = json_incref(json_array_get(a, len - 1 - i));
			json_array_set_new(a, i, y);
			json_array_set_new(a, len - 1 - i, x);
		}
		return vset(out, json_null());
	}
	if (strcmp(name, "sort") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		/* insertion sort by Python's <, stable */
		for (size_t i = 1; i < len; i++) {
			for (size_t k = i; k > 0; k--) {
				int lt;
				json_t *x = json_array_get(a, k), *y = json_array_get(a, k - 1);
				if (mx_jinja_py_lt(x, y, &lt, 0))
					return mx_jinja_rerr(
					        r, e, MX_EINVAL,
					        "'<' not supported between instances of '%s' and '%s'",
					        mx_pytext_type(x), mx_pytext_type(y));
				if (!lt)
					break;
				json_incref(x), json_incref(y);
				json_array_set_new(a, k, y);
				json_array_set_new(a, k - 1, x);
			}
		}
		return vset(out, json_null());
	}
	return 1;
}

static int key_of(struct render *r, const struct expr *e, const struct val *k, const char **s, size_t *n)
{
	if (k->j && json_is_string(k->j)) {
		*s = json_string_value(k->j), *n = json_string_length(k->j);
		return 0;
	}
	return mx_jinja_rerr(r, e, MX_EINVAL, "dict keys are strings here, not %s", mx_jinja_vtype(k));
}

static int dict_method(struct render *r, const struct expr *e, json_t *d, const char *name, struct val *args,
                       size_t n, struct val *out)
{
	int rc;
	const char *k = NULL;
	size_t kn = 0;
	if (strcmp(name, "copy") == 0)
		return (rc = mx_jinja_need_args(r, e, name, n, 0, 0)) ? rc : vset(out, json_copy(d));
	if (strcmp(name, "clear") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		json_object_clear(d);
		return vset(out, json_null());
	}
	if (strcmp(name, "pop") == 0 || strcmp(name, "setdefault") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 2)) || (rc = key_of(r, e, &args[0], &k, &kn)))
			return rc;
		json_t *v = json_object_getn(d, k, kn);
		if (name[0] == 's') {
			if (v == NULL) {
				v = n > 1 && args[1].j ? args[1].j : json_null();
				if (json_object_setn(d, k, kn, v))
					return MX_ENOMEM;
			}
			*out = vborrow(v);
			return 0;
		}
		if (v == NULL) {
			if (n > 1) {
				*out = vcopy(&args[1]);
				return 0;
			}
			return mx_jinja_rerr(r, e, MX_EINVAL, "KeyError: '%.*s'", (int)kn, k);
		}
		*out = vborrow(v);
		json_object_deln(d, k, kn);
		return 0;
	}
	if (strcmp(name, "popitem") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		const char *last = NULL;
		size_t lastn = 0;
		json_t *v, *lv = NULL;
		json_object_keylen_foreach(d, k, kn, v)
		{
			last = k, lastn = kn, lv = v;
		}
		if (last == NULL)
			return mx_jinja_rerr(r, e, MX_EINVAL, "KeyError: 'popitem(): dictionary is empty'");
		json_t *pair = mx_jinja_pair(last, lastn, lv);
		if (pair == NULL)
			return MX_ENOMEM;
		json_object_deln(d, last, lastn);
		*out = vborrow(pair);
		json_decref(pair);
		return 0;
	}
	if (strcmp(name, "update") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 1)))
			return rc;
		if (n && args[0].j && json_is_object(args[0].j)) {
			if (json_object_update(d, args[0].j))
				return MX_ENOMEM;
		} else if (n && args[0].j && json_is_array(args[0].j)) {
			size_t i;
			json_t *pair;
			json_array_foreach (args[0].j, i, pair) {
				if (!json_is_array(pair) || json_array_size(pair) != 2 ||
				    !json_is_string(json_array_get(pair, 0)))
					return mx_jinja_rerr(
					        r, e, MX_EINVAL,
					        "dictionary update sequence element #%zu is not a "
					        "(key, value) pair",
					        i);
				json_t *key = json_array_get(pair, 0);
				if (json_object_setn(d, json_string_value(key), json_string_length(key),
				                     json_array_get(pair, 1)))
					return MX_ENOMEM;
			}
		} else if (n) {
			return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object is not iterable",
			                     mx_jinja_vtype(&args[0]));
		}
		return vset(out, json_null());
	}
	return 1;
}

/* 1 when name is not one of these methods of j. */
int mx_jinja_container_methods(struct render *r, const struct expr *e, const json_t *j, const char *name,
                               struct val *args, size_t n, struct val *out)
{
	int kind = mx_jinja_kind(j);
	if (json_is_array(j) && kind == 0)
		return list_method(r, e, (json_t *)j, name, args, n, out);
	if (json_is_object(j) && kind == 0)
		return dict_method(r, e, (json_t *)j, name, args, n, out);
	return 1;
}
