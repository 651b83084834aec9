/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text — Python's character classes and str operations over UTF-8 text
 * (case mapping, strip, replace, split, join), shared by the filters and
 * the str methods, and the argument helpers both use. Input is valid
 * UTF-8: the template is checked at compile, jansson checks every string
 * it holds.
 */
#include "jinja/jinja_int.h"

#include "core/pytext.h"
#include "core/utf8.h"

/* ------------------------------------------------------------------------
 * String helpers shared by filters and str methods (character classes
 * and case mapping are in unicode.c).
 * ---------------------------------------------------------------------- */

static int in_chars(uint32_t c, const char *chars, size_t n)
{
	for (size_t i = 0; i < n;)
		if (mx_utf8_next(chars, n, &i) == c)
			return 1;
	return 0;
}

/* str.strip([chars]) */
int mx_jinja_str_strip(struct render *r, const struct expr *e, const char *s, size_t n,
                       const struct val *chars, int left, int right, struct val *out)
{
	const char *cs = NULL;
	size_t cn = 0;
	int use_chars = chars && given(chars) && chars->j && !json_is_null(chars->j);
	if (use_chars) {
		if (!json_is_string(chars->j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "strip arg must be None or str");
		cs = json_string_value(chars->j);
		cn = json_string_length(chars->j);
	}
	size_t start = 0, end = n;
	while (left && start < end) {
		size_t i = start;
		uint32_t c = mx_utf8_next(s, n, &i);
		if (use_chars ? !in_chars(c, cs, cn) : !mx_jinja_cp_space(c))
			break;
		start = i;
	}
	while (right && end > start) {
		size_t i = end - 1;
		while (i > start && ((unsigned char)s[i] & 0xC0) == 0x80)
			i--;
		size_t k = i;
		uint32_t c = mx_utf8_next(s, n, &k);
		if (use_chars ? !in_chars(c, cs, cn) : !mx_jinja_cp_space(c))
			break;
		end = i;
	}
	return mx_jinja_mk_str(r, e, s + start, end - start, out);
}

/* str.replace(old, new[, count]) */
int mx_jinja_str_replace(struct render *r, const struct expr *e, const char *s, size_t n, const char *old,
                         size_t oldn, const char *rep, size_t repn, json_int_t count, struct val *out)
{
	struct mx_buf b;
	mx_jinja_sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	json_int_t done = 0;
	if (oldn == 0) {
		/* "ab".replace("", "-") == "-a-b-" */
		size_t i = 0;
		while (rc == 0) {
			if (count < 0 || done < count) {
				rc = mx_buf_append(&b, rep, repn);
				done++;
			}
			if (i >= n || rc)
				break;
			size_t start = i;
			mx_utf8_next(s, n, &i);
			rc = mx_buf_append(&b, s + start, i - start);
		}
		return mx_jinja_sb_finish(r, e, &b, rc, out);
	}
	size_t i = 0;
	while (rc == 0 && i < n) {
		const char *hit =
		        (count < 0 || done < count) ? mx_jinja_find_bytes(s + i, n - i, old, oldn) : NULL;
		if (hit == NULL) {
			rc = mx_buf_append(&b, s + i, n - i);
			break;
		}
		size_t at = (size_t)(hit - s);
		rc = mx_buf_append(&b, s + i, at - i);
		if (rc == 0)
			rc = mx_buf_append(&b, rep, repn);
		i = at + oldn;
		done++;
	}
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}

/* str.split([sep[, maxsplit]]) */
int mx_jinja_str_split(struct render *r, const struct expr *e, const char *s, size_t n, const struct val *sep,
                       json_int_t maxsplit, struct val *out)
{
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	int rc = 0;
	json_int_t splits = 0;
	if (sep == NULL || sep->j == NULL || json_is_null(sep->j)) {
		size_t i = 0;
		while (rc == 0) {
			while (i < n) { /* skip whitespace */
				size_t k = i;
				if (!mx_jinja_cp_space(mx_utf8_next(s, n, &k)))
					break;
				i = k;
			}
			if (i >= n)
				break;
			size_t start = i;
			if (maxsplit >= 0 && splits >= maxsplit) { /* the rest, trailing whitespace kept */
				rc = json_array_append_new(a, json_stringn(s + start, n - start)) ? MX_ENOMEM
				                                                                  : 0;
				break;
			}
			while (i < n) {
				size_t k = i;
				if (mx_jinja_cp_space(mx_utf8_next(s, n, &k)))
					break;
				i = k;
			}
			rc = json_array_append_new(a, json_stringn(s + start, i - start)) ? MX_ENOMEM : 0;
			splits++;
		}
	} else {
		if (!json_is_string(sep->j)) {
			json_decref(a);
			return mx_jinja_rerr(r, e, MX_EINVAL, "must be str or None, not %s",
			                     mx_jinja_vtype(sep));
		}
		const char *d = json_string_value(sep->j);
		size_t dn = json_string_length(sep->j);
		if (dn == 0) {
			json_decref(a);
			return mx_jinja_rerr(r, e, MX_EINVAL, "empty separator");
		}
		size_t i = 0;
		for (;;) {
			const char *hit = (maxsplit < 0 || splits < maxsplit)
			                          ? mx_jinja_find_bytes(s + i, n - i, d, dn)
			                          : NULL;
			size_t end = hit ? (size_t)(hit - s) : n;
			if (json_array_append_new(a, json_stringn(s + i, end - i))) {
				rc = MX_ENOMEM;
				break;
			}
			if (hit == NULL)
				break;
			i = end + dn;
			splits++;
		}
	}
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

/* sep.join(items); strict: items must be strings (str.join), else str() each (the filter). */
int mx_jinja_str_join(struct render *r, const struct expr *e, const char *sep, size_t sepn,
                      const json_t *items, const struct val *attribute, int strict, struct val *out)
{
	struct mx_buf b;
	mx_jinja_sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		if (rc)
			break;
		if (i)
			rc = mx_buf_append(&b, sep, sepn);
		struct val v = vborrow(item);
		if (attribute && given(attribute) && attribute->j && !json_is_null(attribute->j)) {
			vdrop(&v);
			if ((rc = mx_jinja_get_path(item, attribute, &v)))
				break;
		}
		if (strict && !json_is_string(item)) {
			mx_buf_free(&b);
			vdrop(&v);
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "sequence item %zu: expected str instance, %s found", i,
			                     mx_pytext_type(item));
		}
		if (rc == 0)
			rc = mx_jinja_write_str(&b, &v);
		vdrop(&v);
	}
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}

int mx_jinja_need_args(struct render *r, const struct expr *e, const char *name, size_t n, size_t min,
                       size_t max)
{
	if (n < min || n > max) {
		if (min == max)
			return mx_jinja_rerr(r, e, MX_EINVAL, "%s() takes %zu argument%s (%zu given)", name,
			                     min, min == 1 ? "" : "s", n);
		return mx_jinja_rerr(r, e, MX_EINVAL, "%s() takes %zu to %zu arguments (%zu given)", name,
		                     min, max, n);
	}
	return 0;
}

int mx_jinja_arg_int(struct render *r, const struct expr *e, const struct val *a, json_int_t def,
                     const char *what, json_int_t *out)
{
	struct num n = {0};
	*out = def;
	if (a == NULL || !given(a) || (a->j && json_is_null(a->j)))
		return 0;
	if (!get_num(a->j, &n) || !n.is_int)
		return mx_jinja_rerr(r, e, MX_EINVAL, "%s must be an integer, not %s", what,
		                     mx_jinja_vtype(a));
	*out = n.i;
	return 0;
}
