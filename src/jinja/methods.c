/* SPDX-License-Identifier: Apache-2.0 */
/*
 * methods — the Python methods a template may call on values
 * (s.upper(), d.items(), l.index(x), …), loop.cycle(), and the globals
 * range() and dict().
 */
#include "jinja/jinja_int.h"

#include "core/pytext.h"
#include "core/utf8.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Methods and globals.
 * ---------------------------------------------------------------------- */

static int str_test_chars(const char *s, size_t n, int (*pred)(uint32_t))
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n;)
		if (!pred(mx_utf8_next(s, n, &i)))
			return 0;
	return 1;
}

/* islower()/isupper(): some cased character, and all cased ones in that case. */
int mx_jinja_str_cased(const char *s, size_t n, int want_upper)
{
	int cased = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c = mx_utf8_next(s, n, &i);
		if (mx_jinja_cp_is_upper(c)) {
			if (!want_upper)
				return 0;
			cased = 1;
		} else if (mx_jinja_cp_is_lower(c)) {
			if (want_upper)
				return 0;
			cased = 1;
		}
	}
	return cased;
}

static int affix_match(const char *s, size_t n, const json_t *p, int suffix)
{
	size_t pn = json_string_length(p);
	if (pn > n)
		return 0;
	return memcmp(suffix ? s + n - pn : s, json_string_value(p), pn) == 0;
}

/* center/ljust/rjust/zfill, partition/rpartition, removeprefix/removesuffix, casefold, swapcase,
 * istitle: 1 when name is none of them. */
static int more_str_methods(struct render *r, const struct expr *e, const char *s, size_t len,
                            const char *name, struct val *args, size_t n, struct val *out)
{
	int rc;
	int just = strcmp(name, "center") == 0  ? 'c'
	           : strcmp(name, "ljust") == 0 ? 'l'
	           : strcmp(name, "rjust") == 0 ? 'r'
	           : strcmp(name, "zfill") == 0 ? 'z'
	                                        : 0;
	if (just) {
		json_int_t width;
		const char *fill = " ";
		size_t filln = 1;
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, just == 'z' ? 1 : 2)) ||
		    (rc = mx_jinja_arg_int(r, e, &args[0], 0, "width", &width)))
			return rc;
		if (n > 1) {
			if (!args[1].j || !json_is_string(args[1].j) ||
			    mx_utf8_count(json_string_value(args[1].j), json_string_length(args[1].j)) != 1)
				return mx_jinja_rerr(r, e, MX_EINVAL,
				                     "The fill character must be exactly one character long");
			fill = json_string_value(args[1].j), filln = json_string_length(args[1].j);
		}
		json_int_t cl = (json_int_t)mx_utf8_count(s, len);
		if (width > (json_int_t)(r->max_str / 4))
			return mx_jinja_rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
			                     r->max_str);
		json_int_t marg = width > cl ? width - cl : 0, left = 0;
		if (just == 'c')
			left = marg / 2 + (marg & width & 1);
		else if (just == 'r' || just == 'z')
			left = marg;
		struct mx_buf b;
		mx_jinja_sb_init(r, &b);
		rc = mx_buf_append(&b, "", 0);
		size_t sign = just == 'z' && len && (s[0] == '-' || s[0] == '+') ? 1 : 0;
		if (rc == 0 && sign)
			rc = mx_buf_append(&b, s, 1);
		for (json_int_t i = 0; i < left && rc == 0; i++)
			rc = just == 'z' ? mx_buf_putc(&b, '0') : mx_buf_append(&b, fill, filln);
		if (rc == 0)
			rc = mx_buf_append(&b, s + sign, len - sign);
		for (json_int_t i = left; i < marg && rc == 0; i++)
			rc = mx_buf_append(&b, fill, filln);
		return mx_jinja_sb_finish(r, e, &b, rc, out);
	}
	if (strcmp(name, "partition") == 0 || strcmp(name, "rpartition") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j) || json_string_length(args[0].j) == 0)
			return mx_jinja_rerr(r, e, MX_EINVAL, "empty or non-string separator");
		const char *sep = json_string_value(args[0].j), *at = NULL;
		size_t sl = json_string_length(args[0].j);
		for (const char *p = s; (p = mx_jinja_find_bytes(p, len - (size_t)(p - s), sep, sl)) != NULL;
		     p++) {
			at = p;
			if (name[0] == 'p')
				break;
		}
		json_t *t;
		if (at == NULL)
			t = name[0] == 'p' ? json_pack("[s%ss]", s, len, "", "")
			                   : json_pack("[sss%]", "", "", s, len);
		else
			t = json_pack("[s%s%s%]", s, (size_t)(at - s), sep, sl, at + sl,
			              len - (size_t)(at - s) - sl);
		return mx_jinja_mk_tuple(t, out);
	}
	if (strcmp(name, "removeprefix") == 0 || strcmp(name, "removesuffix") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "%s() argument must be str", name);
		size_t pl = json_string_length(args[0].j);
		const char *pv = json_string_value(args[0].j);
		if (pl <= len && name[6] == 'p' && memcmp(s, pv, pl) == 0)
			return mx_jinja_mk_str(r, e, s + pl, len - pl, out);
		if (pl <= len && name[6] == 's' && pl && memcmp(s + len - pl, pv, pl) == 0)
			return mx_jinja_mk_str(r, e, s, len - pl, out);
		return mx_jinja_mk_str(r, e, s, len, out);
	}
	if (strcmp(name, "casefold") == 0)
		return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
		               ? rc
		               : mx_jinja_str_case(r, e, s, len, CASE_FOLD, out);
	if (strcmp(name, "swapcase") == 0)
		return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
		               ? rc
		               : mx_jinja_str_case(r, e, s, len, CASE_SWAP, out);
	if (strcmp(name, "istitle") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
			return rc;
		struct mx_buf b;
		int cased = 0, prev_cased = 0, title = 1;
		mx_jinja_sb_init(r, &b);
		rc = mx_buf_append(&b, "", 0);
		for (size_t i = 0; i < len && rc == 0;) {
			size_t st = i;
			uint32_t c = mx_utf8_next(s, len, &i);
			int up = mx_jinja_cp_is_upper(c), lo = mx_jinja_cp_is_lower(c);
			if (up) {
				title = title && !prev_cased;
				cased = prev_cased = 1;
			} else if (lo) {
				title = title && prev_cased;
				cased = prev_cased = 1;
			} else {
				prev_cased = 0;
			}
			struct val cv;
			if (name[0] == 's' && (up || lo) &&
			    (rc = mx_jinja_str_case(r, e, s + st, i - st, up ? CASE_LOWER : CASE_UPPER,
			                            &cv)) == 0) {
				rc = mx_buf_append(&b, json_string_value(cv.j), json_string_length(cv.j));
				vdrop(&cv);
			} else if (rc == 0 && name[0] == 's') {
				rc = mx_buf_append(&b, s + st, i - st);
			}
		}
		if (name[0] == 'i') {
			mx_buf_free(&b);
			return rc ? rc : vset(out, json_boolean(title && cased));
		}
		return mx_jinja_sb_finish(r, e, &b, rc, out);
	}
	return 1;
}

static int call_str_method(struct render *r, const struct expr *e, const json_t *j, const char *name,
                           struct val *args, size_t n, struct val *out)
{
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);
	int rc;
	if ((rc = mx_jinja_str_methods_more(r, e, s, len, name, args, n, out)) != 1)
		return rc;
	static const struct {
		const char *name;
		int mode;
	} cases[] = {{"upper", CASE_UPPER},
	             {"lower", CASE_LOWER},
	             {"title", CASE_PYTITLE},
	             {"capitalize", CASE_CAPITALIZE}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(name, cases[i].name) == 0)
			return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
			               ? rc
			               : mx_jinja_str_case(r, e, s, len, cases[i].mode, out);
	if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 || strcmp(name, "rstrip") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 1)))
			return rc;
		return mx_jinja_str_strip(r, e, s, len, n ? &args[0] : NULL, name[0] != 'r', name[0] != 'l',
		                          out);
	}
	if ((rc = more_str_methods(r, e, s, len, name, args, n, out)) != 1)
		return rc;
	if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		int suffix = name[0] == 'e', res = 0;
		const json_t *p = args[0].j;
		if (p && json_is_string(p)) {
			res = affix_match(s, len, p, suffix);
		} else if (p && json_is_array(p)) {
			size_t i;
			json_t *x;
			json_array_foreach (p, i, x) {
				if (!json_is_string(x))
					return mx_jinja_rerr(r, e, MX_EINVAL,
					                     "%s first arg must be str or a tuple of str",
					                     name);
				res = res || affix_match(s, len, x, suffix);
			}
		} else {
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "%s first arg must be str or a tuple of str, not %s", name,
			                     mx_jinja_vtype(&args[0]));
		}
		return vset(out, json_boolean(res));
	}
	if (strcmp(name, "split") == 0) {
		json_int_t maxsplit;
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 2)) ||
		    (rc = mx_jinja_arg_int(r, e, n > 1 ? &args[1] : NULL, -1, "maxsplit", &maxsplit)))
			return rc;
		return mx_jinja_str_split(r, e, s, len, n ? &args[0] : NULL, maxsplit, out);
	}
	if (strcmp(name, "replace") == 0) {
		json_int_t count;
		if ((rc = mx_jinja_need_args(r, e, name, n, 2, 3)) ||
		    (rc = mx_jinja_arg_int(r, e, n > 2 ? &args[2] : NULL, -1, "count", &count)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j) || !args[1].j || !json_is_string(args[1].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "replace() arguments must be str");
		return mx_jinja_str_replace(r, e, s, len, json_string_value(args[0].j),
		                            json_string_length(args[0].j), json_string_value(args[1].j),
		                            json_string_length(args[1].j), count, out);
	}
	if (strcmp(name, "join") == 0) {
		json_t *items;
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)) ||
		    (rc = mx_jinja_to_list(r, e, &args[0], &items)))
			return rc;
		rc = mx_jinja_str_join(r, e, s, len, items, NULL, 1, out);
		json_decref(items);
		return rc;
	}
	if (strcmp(name, "count") == 0 || strcmp(name, "find") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "must be str, not %s",
			                     mx_jinja_vtype(&args[0]));
		const char *sub = json_string_value(args[0].j);
		size_t subn = json_string_length(args[0].j);
		if (name[0] == 'f') {
			const char *hit = mx_jinja_find_bytes(s, len, sub, subn);
			return vset(out,
			            json_integer(hit ? (json_int_t)mx_utf8_count(s, (size_t)(hit - s)) : -1));
		}
		json_int_t count = 0;
		if (subn == 0)
			count = (json_int_t)mx_utf8_count(s, len) + 1;
		else
			for (const char *p = s;
			     (p = mx_jinja_find_bytes(p, len - (size_t)(p - s), sub, subn)); p += subn)
				count++;
		return vset(out, json_integer(count));
	}
	static const struct {
		const char *name;
		int (*pred)(uint32_t);
	} preds[] = {{"isdigit", mx_jinja_cp_digit},     {"isalpha", mx_jinja_cp_alpha},
	             {"isalnum", mx_jinja_cp_alnum},     {"isdecimal", mx_jinja_cp_decimal},
	             {"isnumeric", mx_jinja_cp_numeric}, {"isspace", mx_jinja_cp_space}};
	for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++)
		if (strcmp(name, preds[i].name) == 0)
			return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
			               ? rc
			               : vset(out, json_boolean(str_test_chars(s, len, preds[i].pred)));
	if (strcmp(name, "islower") == 0 || strcmp(name, "isupper") == 0)
		return (rc = mx_jinja_need_args(r, e, name, n, 0, 0))
		               ? rc
		               : vset(out, json_boolean(mx_jinja_str_cased(s, len, name[2] == 'u')));
	return mx_jinja_rerr(r, e, MX_EINVAL, "'str object' has no attribute '%s'", name);
}

int mx_jinja_call_method(struct render *r, const struct expr *e, const struct val *obj, const char *name,
                         struct val *args, size_t n, struct val *out)
{
	const json_t *j = obj->j;
	int rc;
	if ((obj->flags & VAL_LOOP) && strcmp(name, "cycle") == 0) {
		if (n == 0)
			return mx_jinja_rerr(r, e, MX_EINVAL, "no items for cycling given");
		json_int_t i = json_integer_value(json_object_get(j, "index0"));
		*out = vcopy(&args[(size_t)i % n]);
		return 0;
	}
	if (json_is_object(j)) {
		if (strcmp(name, "items") == 0 || strcmp(name, "keys") == 0 || strcmp(name, "values") == 0) {
			if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
				return rc;
			json_t *a = json_array();
			const char *k;
			size_t klen;
			json_t *v;
			if (a == NULL)
				return MX_ENOMEM;
			json_object_keylen_foreach((json_t *)j, k, klen, v)
			{
				json_t *item = name[0] == 'k'   ? json_stringn(k, klen)
				               : name[0] == 'v' ? json_incref(v)
				                                : mx_jinja_pair(k, klen, v);
				if (json_array_append_new(a, item)) {
					json_decref(a);
					return MX_ENOMEM;
				}
			}
			return vset(out, a);
		}
		if (strcmp(name, "get") == 0) {
			if ((rc = mx_jinja_need_args(r, e, name, n, 1, 2)))
				return rc;
			json_t *v = args[0].j && json_is_string(args[0].j)
			                    ? json_object_getn(j, json_string_value(args[0].j),
			                                       json_string_length(args[0].j))
			                    : NULL;
			if (v)
				*out = vborrow(v);
			else if (n > 1)
				*out = vcopy(&args[1]);
			else
				return vset(out, json_null());
			return 0;
		}
	} else if (json_is_string(j)) {
		return call_str_method(r, e, j, name, args, n, out);
	} else if (json_is_array(j)) {
		if (strcmp(name, "count") == 0 || strcmp(name, "index") == 0) {
			if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
				return rc;
			json_int_t count = 0;
			size_t i;
			json_t *x;
			json_array_foreach (j, i, x) {
				if (args[0].j == NULL || !mx_jinja_py_eq(x, args[0].j, 0))
					continue;
				if (name[0] == 'i')
					return vset(out, json_integer((json_int_t)i));
				count++;
			}
			if (name[0] == 'i')
				return mx_jinja_rerr(r, e, MX_EINVAL, "value is not in list");
			return vset(out, json_integer(count));
		}
	}
	if ((rc = mx_jinja_container_methods(r, e, j, name, args, n, out)) != 1)
		return rc;
	if (json_is_object(j) && mx_jinja_is_datetime(j)) {
		if ((rc = mx_jinja_dt_method(r, e, j, name, args, n, out)) != 1)
			return rc;
		return mx_jinja_rerr(r, e, MX_EINVAL, "'%s object' has no attribute '%s'",
		                     mx_jinja_dt_type(j), name);
	}
	return mx_jinja_rerr(r, e, MX_EINVAL, "'%s object' has no attribute '%s'", mx_pytext_type(j), name);
}

int mx_jinja_call_global(struct render *r, const struct expr *e, const char *name, struct val *args,
                         size_t nargs, struct val *kwargs, struct val *out)
{
	if (strcmp(name, "dict") == 0) {
		if (nargs)
			return mx_jinja_rerr(r, e, MX_EINVAL, "dict() takes keyword arguments only");
		json_t *d = json_object();
		if (d == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < e->nvals; i++)
			if (json_object_set_new(d, e->kwnames[i],
			                        kwargs[i].j ? json_incref(kwargs[i].j) : json_null())) {
				json_decref(d);
				return MX_ENOMEM;
			}
		return vset(out, d);
	}
	if (strcmp(name, "namespace") == 0) {
		json_t *d = json_object();
		for (size_t i = 0; d && i < nargs; i++)
			if (!args[i].j || !json_is_object(args[i].j) || json_object_update(d, args[i].j)) {
				json_decref(d);
				return mx_jinja_rerr(r, e, MX_EINVAL, "namespace() takes a mapping");
			}
		for (size_t i = 0; d && i < e->nvals; i++)
			if (json_object_set(d, e->kwnames[i], kwargs[i].j ? kwargs[i].j : json_null())) {
				json_decref(d);
				d = NULL;
			}
		return mx_jinja_mk_special(d, SK_NAMESPACE, out);
	}
	if (strcmp(name, "cycler") == 0 || strcmp(name, "joiner") == 0) {
		json_t *o = json_object(), *items = json_array();
		int c = name[0] == 'c', bad = o == NULL || items == NULL;
		for (size_t i = 0; !bad && i < nargs; i++)
			bad = json_array_append(items, args[i].j ? args[i].j : json_null());
		if (!bad && c)
			bad = json_object_set(o, "current", nargs ? json_array_get(items, 0) : json_null()) ||
			      json_object_setn_new_nocheck(o, "\xffpos", 4, json_integer(0)) ||
			      json_object_setn_new_nocheck(o, "\xffitems", 6, json_incref(items));
		if (!bad && !c) {
			json_t *sep = nargs ? args[0].j : NULL;
			if (nargs > 1 || (sep && !json_is_string(sep)))
				bad = -1;
			else
				bad = json_object_setn_new_nocheck(
				              o, "\xffsep", 4, sep ? json_incref(sep) : json_string(", ")) ||
				      json_object_setn_nocheck(o, "\xffused", 5, json_false());
		}
		json_decref(items);
		if (bad) {
			json_decref(o);
			return bad < 0 ? mx_jinja_rerr(r, e, MX_EINVAL, "joiner() takes one string")
			               : MX_ENOMEM;
		}
		return mx_jinja_mk_special(o, c ? SK_CYCLER : SK_JOINER, out);
	}
	/* range */
	int rc;
	if (e->nvals)
		return mx_jinja_rerr(r, e, MX_EINVAL, "range() takes no keyword arguments");
	if ((rc = mx_jinja_need_args(r, e, "range", nargs, 1, 3)))
		return rc;
	json_int_t v[3] = {0, 0, 1};
	for (size_t i = 0; i < nargs; i++) {
		struct num n = {0};
		if (!get_num(args[i].j, &n) || !n.is_int)
			return mx_jinja_rerr(r, e, MX_EINVAL, "range() arguments must be integers, not %s",
			                     mx_jinja_vtype(&args[i]));
		v[nargs == 1 ? 1 : i] = n.i;
	}
	json_int_t start = v[0], stop = v[1], step = v[2];
	if (step == 0)
		return mx_jinja_rerr(r, e, MX_EINVAL, "range() arg 3 must not be zero");
	unsigned long long count = 0;
	if (step > 0 && stop > start)
		count = ((unsigned long long)stop - (unsigned long long)start - 1) /
		                (unsigned long long)step +
		        1;
	else if (step < 0 && start > stop)
		count = ((unsigned long long)start - (unsigned long long)stop - 1) /
		                (0ULL - (unsigned long long)step) +
		        1;
	if (count > MX_JINJA_MAX_ITEMS)
		return mx_jinja_rerr(r, e, MX_ELIMIT, "range() too large (limit %d items)",
		                     MX_JINJA_MAX_ITEMS);
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	for (unsigned long long i = 0; i < count; i++)
		if (json_array_append_new(a, json_integer(start + (json_int_t)i * step))) {
			json_decref(a);
			return MX_ENOMEM;
		}
	return vset(out, a);
}
