/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters_more — the second family of Jinja's built-in filters: batch,
 * slice, groupby, attr, wordwrap, striptags, urlencode, filesizeformat and
 * pprint (filters.c has the first; mx_jinja_find_filter looks in both).
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int set_result(struct val *v, json_t *j, int kind)
{
	struct val nv;
	int rc = kind ? mx_jinja_mk_special(j, kind, &nv) : vset(&nv, j);
	if (rc == 0) {
		vdrop(v);
		*v = nv;
	}
	return rc;
}

/* batch(n, fill_with): lists of n items, the last filled. */
static int f_batch(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t size;
	json_t *items, *out, *cur = NULL;
	int rc = mx_jinja_arg_int(r, e, &args[0], 0, "linecount", &size);
	if (rc)
		return rc;
	if (size <= 0)
		return mx_jinja_rerr(r, e, MX_EINVAL, "batch size must be positive");
	if ((rc = mx_jinja_to_list(r, e, v, &items)))
		return rc;
	out = json_array();
	for (size_t i = 0; out && i < json_array_size(items) && rc == 0; i++) {
		if (cur == NULL && (cur = json_array()) == NULL)
			rc = MX_ENOMEM;
		if (rc == 0 && json_array_append(cur, json_array_get(items, i)))
			rc = MX_ENOMEM;
		if (rc == 0 && (json_int_t)json_array_size(cur) == size) {
			rc = json_array_append_new(out, cur) ? MX_ENOMEM : 0;
			cur = NULL;
		}
	}
	if (rc == 0 && cur) {
		while (given(&args[1]) && (json_int_t)json_array_size(cur) < size && rc == 0)
			rc = json_array_append(cur, args[1].j ? args[1].j : json_null()) ? MX_ENOMEM : 0;
		rc = rc ? rc : json_array_append_new(out, cur) ? MX_ENOMEM : 0;
		cur = NULL;
	}
	json_decref(cur);
	json_decref(items);
	if (out == NULL || rc) {
		json_decref(out);
		return rc ? rc : MX_ENOMEM;
	}
	return set_result(v, out, 0);
}

/* slice(n, fill_with): n columns, the first ones one longer. */
static int f_slice(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t slices;
	json_t *items, *out;
	int rc = mx_jinja_arg_int(r, e, &args[0], 0, "slices", &slices);
	if (rc)
		return rc;
	if (slices <= 0 || slices > MX_JINJA_MAX_ITEMS)
		return mx_jinja_rerr(r, e, MX_EINVAL, "slices must be positive");
	if ((rc = mx_jinja_to_list(r, e, v, &items)))
		return rc;
	size_t len = json_array_size(items), per = len / (size_t)slices, extra = len % (size_t)slices,
	       offset = 0;
	out = json_array();
	for (size_t k = 0; out && k < (size_t)slices && rc == 0; k++) {
		size_t start = offset + k * per;
		if (k < extra)
			offset++;
		size_t end = offset + (k + 1) * per;
		json_t *col = json_array();
		for (size_t i = start; col && i < end && rc == 0; i++)
			rc = json_array_append(col, json_array_get(items, i)) ? MX_ENOMEM : 0;
		if (col && rc == 0 && given(&args[1]) && k >= extra && extra)
			rc = json_array_append(col, args[1].j ? args[1].j : json_null()) ? MX_ENOMEM : 0;
		rc = rc ? rc : (col == NULL || json_array_append_new(out, col)) ? MX_ENOMEM : 0;
	}
	json_decref(items);
	if (out == NULL || rc) {
		json_decref(out);
		return rc ? rc : MX_ENOMEM;
	}
	return set_result(v, out, 0);
}

/* groupby(attribute, default=None, case_sensitive=False): (grouper, list) sorted by grouper. */
static int f_groupby(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items, *keys, *out;
	int rc = mx_jinja_to_list(r, e, v, &items), cs = truthy(&args[2]);
	if (rc)
		return rc;
	size_t len = json_array_size(items);
	keys = json_array();
	for (size_t i = 0; keys && i < len && rc == 0; i++) {
		struct val k;
		if ((rc = mx_jinja_get_path(json_array_get(items, i), &args[0], &k)))
			break;
		if (k.j == NULL && given(&args[1]))
			k = vcopy(&args[1]);
		rc = json_array_append_new(keys, k.j ? k.j : json_null()) ? MX_ENOMEM : 0;
	}
	/* a stable insertion sort on the (case-folded) keys: groups are small */
	size_t *idx = len ? mx_calloc(len, sizeof *idx) : NULL;
	if (keys == NULL || (len && idx == NULL))
		rc = MX_ENOMEM;
	for (size_t i = 0; rc == 0 && i < len; i++) {
		size_t j = i;
		idx[i] = i;
		while (j > 0) {
			const json_t *a = json_array_get(keys, idx[j - 1]), *b = json_array_get(keys, idx[j]);
			json_t *la = NULL, *lb = NULL;
			if (!cs && json_is_string(a) && json_is_string(b)) {
				struct val x, y;
				mx_jinja_str_case(r, e, json_string_value(a), json_string_length(a),
				                  CASE_LOWER, &x);
				mx_jinja_str_case(r, e, json_string_value(b), json_string_length(b),
				                  CASE_LOWER, &y);
				la = x.j, lb = y.j;
			}
			int lt = 0;
			if (mx_jinja_py_lt(lb ? lb : b, la ? la : a, &lt, 0) < 0)
				rc = mx_jinja_rerr(r, e, MX_EINVAL, "'<' not supported between group keys");
			json_decref(la);
			json_decref(lb);
			if (rc || !lt)
				break;
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
			j--;
		}
	}
	out = json_array();
	for (size_t i = 0; out && rc == 0 && i < len;) {
		const json_t *k = json_array_get(keys, idx[i]);
		json_t *list = json_array(), *group;
		size_t j = i;
		while (list && j < len && rc == 0) {
			const json_t *kj = json_array_get(keys, idx[j]);
			int same = mx_jinja_py_eq(k, kj, 0);
			if (!same && !cs && json_is_string(k) && json_is_string(kj)) {
				struct val x, y;
				mx_jinja_str_case(r, e, json_string_value(k), json_string_length(k),
				                  CASE_LOWER, &x);
				mx_jinja_str_case(r, e, json_string_value(kj), json_string_length(kj),
				                  CASE_LOWER, &y);
				same = x.j && y.j && mx_jinja_py_eq(x.j, y.j, 0);
				vdrop(&x);
				vdrop(&y);
			}
			if (!same)
				break;
			rc = json_array_append(list, json_array_get(items, idx[j])) ? MX_ENOMEM : 0;
			j++;
		}
		group = list ? json_pack("[OO]", k, list) : NULL;
		json_decref(list);
		if (rc == 0 && (group == NULL || mx_jinja_special_add(group, SK_GROUP, NULL) ||
		                json_array_append(out, group)))
			rc = MX_ENOMEM;
		json_decref(group);
		i = j;
	}
	mx_free(idx);
	json_decref(keys);
	json_decref(items);
	if (out == NULL || rc) {
		json_decref(out);
		return rc ? rc : MX_ENOMEM;
	}
	return set_result(v, out, 0);
}

static int f_attr(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct val nv;
	if (!args[0].j || !json_is_string(args[0].j))
		return mx_jinja_rerr(r, e, MX_EINVAL, "attribute name must be a string");
	/* Python's getattr: a dict's keys are not attributes, its methods are */
	const char *name = json_string_value(args[0].j);
	int rc;
	if (mx_jinja_has_method(v->j, name))
		rc = mx_jinja_bound_method(v->j, name, &nv);
	else if (v->j && json_is_object(v->j) && mx_jinja_kind(v->j) == 0)
		nv = vundef(NULL, NULL), rc = 0;
	else
		rc = mx_jinja_get_attr(NULL, v->j, name, &nv);
	if (rc == 0) {
		vdrop(v);
		*v = nv;
	}
	return rc;
}

static int finish_str(struct render *r, const struct expr *e, struct val *v, struct mx_buf *b, int rc)
{
	struct val nv;
	if ((rc = mx_jinja_sb_finish(r, e, b, rc, &nv)))
		return rc;
	vdrop(v);
	*v = nv;
	return 0;
}

/* wordwrap(width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
 * textwrap.wrap of each line, joined by wrapstring ("\n"). */
static int f_wordwrap(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t width;
	struct mx_buf s, b;
	int rc = mx_jinja_arg_int(r, e, &args[0], 79, "width", &width);
	int break_long = !given(&args[1]) || truthy(&args[1]);
	const char *wrap = "\n";
	size_t wrapn = 1;
	if (given(&args[2]) && args[2].j && json_is_string(args[2].j))
		wrap = json_string_value(args[2].j), wrapn = json_string_length(args[2].j);
	if (rc || (rc = mx_jinja_soft_str(r, e, v, &s)))
		return rc;
	if (width <= 0) {
		mx_buf_free(&s);
		return mx_jinja_rerr(r, e, MX_EINVAL, "invalid width %lld (must be > 0)", (long long)width);
	}
	int hyphens = !given(&args[3]) || truthy(&args[3]);
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = mx_jinja_wordwrap(&b, s.p, s.len, (size_t)width, break_long, hyphens, wrap, wrapn);
	mx_buf_free(&s);
	return finish_str(r, e, v, &b, rc);
}

/* striptags: tags and comments removed, entities unescaped, whitespace collapsed. */
static int f_striptags(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf s, t, b;
	int rc = mx_jinja_soft_str(r, e, v, &s);
	if (rc)
		return rc;
	mx_jinja_sb_init(r, &t);
	rc = mx_buf_append(&t, "", 0);
	for (size_t i = 0; i < s.len && rc == 0;) {
		if (s.len - i >= 4 && memcmp(s.p + i, "<!--", 4) == 0) {
			const char *end = mx_jinja_find_bytes(s.p + i + 4, s.len - i - 4, "-->", 3);
			if (end) {
				i = (size_t)(end - s.p) + 3;
				continue;
			}
		}
		if (s.p[i] == '<') {
			const char *end = memchr(s.p + i + 1, '>', s.len - i - 1);
			if (end) {
				i = (size_t)(end - s.p) + 1;
				continue;
			}
		}
		rc = mx_buf_putc(&t, s.p[i++]);
	}
	mx_buf_free(&s);
	mx_jinja_sb_init(r, &b);
	rc = rc ? rc : mx_buf_append(&b, "", 0);
	static const struct {
		const char *ent;
		const char *ch;
	} ents[] = {{"&amp;", "&"},  {"&lt;", "<"},  {"&gt;", ">"},   {"&quot;", "\""},
	            {"&#34;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", "\xc2\xa0"}};
	int pending_space = 0, any = 0;
	for (size_t i = 0; i < t.len && rc == 0;) {
		size_t k = i;
		uint32_t c = mx_utf8_next(t.p, t.len, &k);
		if (mx_jinja_cp_space(c)) {
			pending_space = 1;
			i = k;
			continue;
		}
		if (pending_space && any)
			rc = mx_buf_putc(&b, ' ');
		pending_space = 0;
		any = 1;
		size_t q = 0;
		for (; q < sizeof ents / sizeof ents[0]; q++) {
			size_t el = strlen(ents[q].ent);
			if (t.len - i >= el && memcmp(t.p + i, ents[q].ent, el) == 0)
				break;
		}
		if (rc == 0 && q < sizeof ents / sizeof ents[0]) {
			rc = mx_buf_puts(&b, ents[q].ch);
			i += strlen(ents[q].ent);
			continue;
		}
		if (rc == 0)
			rc = mx_buf_append(&b, t.p + i, k - i);
		i = k;
	}
	mx_buf_free(&t);
	return finish_str(r, e, v, &b, rc);
}

/* urllib.parse.quote(s, safe="/") of UTF-8 bytes. */
static int url_quote(struct mx_buf *b, const char *s, size_t n, int for_query)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		    c == '.' || c == '-' || c == '~' || (c == '/' && !for_query))
			rc = mx_buf_putc(b, (char)c);
		else if (c == ' ' && for_query) /* url_quote(for_qs=True): "%20" becomes "+" */
			rc = mx_buf_putc(b, '+');
		else
			rc = mx_buf_printf(b, "%%%02X", c);
	}
	return rc;
}

static int url_item(struct mx_buf *b, const json_t *j)
{
	struct mx_buf t;
	mx_buf_init(&t, b->max);
	int rc = mx_jinja_print(&t, j, 0);
	if (rc == 0)
		rc = url_quote(b, t.p ? t.p : "", t.len, 1);
	mx_buf_free(&t);
	return rc;
}

static int f_urlencode(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf b;
	int rc;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	if (v->j && (json_is_object(v->j) || json_is_array(v->j))) {
		size_t i = 0;
		if (json_is_object(v->j)) {
			const char *k;
			size_t klen;
			json_t *x;
			json_object_keylen_foreach(v->j, k, klen, x)
			{
				if (rc == 0 && i++)
					rc = mx_buf_putc(&b, '&');
				if (rc == 0)
					rc = url_quote(&b, k, klen, 1);
				if (rc == 0)
					rc = mx_buf_putc(&b, '=');
				if (rc == 0)
					rc = url_item(&b, x);
			}
		} else {
			json_t *pair;
			size_t k;
			json_array_foreach (v->j, k, pair) {
				if (!json_is_array(pair) || json_array_size(pair) != 2) {
					mx_buf_free(&b);
					return mx_jinja_rerr(r, e, MX_EINVAL,
					                     "urlencode needs (key, value) pairs");
				}
				if (rc == 0 && k)
					rc = mx_buf_putc(&b, '&');
				if (rc == 0)
					rc = url_item(&b, json_array_get(pair, 0));
				if (rc == 0)
					rc = mx_buf_putc(&b, '=');
				if (rc == 0)
					rc = url_item(&b, json_array_get(pair, 1));
			}
		}
	} else {
		struct mx_buf s;
		if ((rc = mx_jinja_soft_str(r, e, v, &s)) == 0) {
			rc = url_quote(&b, s.p, s.len, 0);
			mx_buf_free(&s);
		}
	}
	return finish_str(r, e, v, &b, rc);
}

static int f_filesizeformat(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct num x = {0};
	struct mx_buf b;
	if (!get_num(v->j, &x)) {
		double d;
		if (!(v->j && json_is_string(v->j) && sscanf(json_string_value(v->j), "%lf", &d) == 1))
			return mx_jinja_rerr(r, e, MX_EINVAL, "filesizeformat needs a number");
		x.d = d;
	}
	int binary = truthy(&args[0]);
	double base = binary ? 1024 : 1000, bytes = x.d;
	static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
	mx_jinja_sb_init(r, &b);
	int rc;
	if (bytes == 1)
		rc = mx_buf_puts(&b, "1 Byte");
	else if (bytes < base)
		rc = x.is_int ? mx_buf_printf(&b, "%lld Bytes", (long long)x.i)
		              : mx_buf_printf(&b, "%.0f Bytes", bytes);
	else {
		int i = 0;
		double unit = base * base;
		while (i < 7 && bytes >= unit) {
			i++;
			unit *= base;
		}
		rc = mx_buf_printf(&b, "%.1f %s", base * bytes / unit, binary ? bin[i] : dec[i]);
	}
	return finish_str(r, e, v, &b, rc);
}

/* pprint: pprint.pformat (pprint.c). */
static int f_pprint(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf b;
	mx_jinja_sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = v->j ? mx_jinja_pprint(&b, v->j) : mx_buf_puts(&b, "Undefined");
	return finish_str(r, e, v, &b, rc);
}

static const struct filter_def filters[] = {
        {"attr", f_attr, 1, 0, {"name"}},
        {"batch", f_batch, 1, 0, {"linecount", "fill_with"}},
        {"filesizeformat", f_filesizeformat, 0, 0, {"binary"}},
        {"groupby", f_groupby, 1, 0, {"attribute", "default", "case_sensitive"}},
        {"pprint", f_pprint, 0, 0, {NULL}},
        {"slice", f_slice, 1, 0, {"slices", "fill_with"}},
        {"striptags", f_striptags, 0, 0, {NULL}},
        {"urlencode", f_urlencode, 0, 0, {NULL}},
        {"wordwrap", f_wordwrap, 0, 0, {"width", "break_long_words", "wrapstring", "break_on_hyphens"}},
};

const struct filter_def *mx_jinja_find_filter_more(const char *name)
{
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (strcmp(filters[i].name, name) == 0)
			return &filters[i];
	return NULL;
}
