/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pprint — the pprint filter: Python's pprint.pformat(value) (width 80,
 * indent 1, dict keys sorted). A value whose repr fits its room prints on
 * one line; a longer dict, list or tuple puts one item a line, indented
 * under its opening bracket; a longer string is cut at word boundaries
 * into adjacent literals, in parentheses at the top level.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

#define WIDTH 80

/* repr() with dict keys sorted (pprint's _safe_repr). */
static int pp_value(struct mx_buf *b, const json_t *j, int depth)
{
	if (depth > MAX_VALUE_DEPTH)
		return MX_ELIMIT;
	if (json_is_object(j) && mx_jinja_kind(j) == 0) {
		/* pprint sorts dict keys */
		size_t n = json_object_size(j), i = 0;
		const char **keys = n ? mx_calloc(n, sizeof *keys) : NULL;
		const char *k;
		json_t *x;
		if (n && keys == NULL)
			return MX_ENOMEM;
		json_object_foreach ((json_t *)j, k, x)
			keys[i++] = k;
		for (size_t a = 1; a < n; a++)
			for (size_t c = a; c > 0 && strcmp(keys[c - 1], keys[c]) > 0; c--) {
				const char *t = keys[c];
				keys[c] = keys[c - 1];
				keys[c - 1] = t;
			}
		int rc = mx_buf_putc(b, '{');
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, ", ");
			if (rc == 0)
				rc = mx_jinja_repr_str(b, keys[i], strlen(keys[i]));
			if (rc == 0)
				rc = mx_buf_puts(b, ": ");
			if (rc == 0)
				rc = pp_value(b, json_object_get(j, keys[i]), depth + 1);
		}
		mx_free(keys);
		return rc ? rc : mx_buf_putc(b, '}');
	}
	if (json_is_array(j)) {
		int tuple = mx_jinja_kind(j) == SK_TUPLE || mx_jinja_kind(j) == SK_GROUP;
		size_t n = json_array_size(j);
		int rc = mx_buf_putc(b, tuple ? '(' : '[');
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, ", ");
			if (rc == 0)
				rc = pp_value(b, json_array_get(j, i), depth + 1);
		}
		if (rc == 0 && tuple && n == 1)
			rc = mx_buf_putc(b, ',');
		return rc ? rc : mx_buf_putc(b, tuple ? ')' : ']');
	}
	return mx_jinja_print(b, j, 1);
}

static long cps(const char *s, size_t n)
{
	return (long)mx_utf8_count(s, n);
}

static int repr_len(const char *s, size_t n, long *len)
{
	struct mx_buf t;
	mx_buf_init(&t, (size_t)-1);
	int rc = mx_jinja_repr_str(&t, s, n);
	*len = rc ? 0 : cps(t.p, t.len);
	mx_buf_free(&t);
	return rc;
}

static int put_indent(struct mx_buf *b, long indent)
{
	int rc = 0;
	for (long i = 0; i < indent && rc == 0; i++)
		rc = mx_buf_putc(b, ' ');
	return rc;
}

/* _pprint_str: the string cut into literals that fit, at \S*\s* boundaries of each line. */
static int pp_str(struct mx_buf *b, const char *s, size_t n, long indent, long allowance, int level)
{
	/* chunks as [start, end) byte ranges of s */
	size_t cap = 16, nch = 0;
	size_t(*ch)[2] = mx_malloc(cap * sizeof *ch);
	if (ch == NULL)
		return MX_ENOMEM;
	if (level == 1)
		indent += 1, allowance += 1;
	long max_width = WIDTH - indent, max_width1 = max_width;
	size_t pos = 0, st, en;
	int rc = 0;
	/* lines with their ends (splitlines(True)) */
	while (rc == 0 && mx_jinja_next_line(s, n, &pos, &st, &en)) {
		size_t le = pos; /* the line with its break */
		int last_line = pos >= n;
		long len;
		if (last_line)
			max_width1 -= allowance;
		if ((rc = repr_len(s + st, le - st, &len)))
			break;
		if (len <= max_width1) {
			if (nch == cap) {
				void *nc = mx_realloc(ch, 2 * cap * sizeof *ch);
				if (nc == NULL) {
					rc = MX_ENOMEM;
					break;
				}
				ch = nc, cap *= 2;
			}
			ch[nch][0] = st, ch[nch][1] = le, nch++;
			continue;
		}
		/* parts: \S*\s* runs */
		long max_width2 = max_width;
		size_t cur_st = st, cur_en = st, p = st;
		while (p < le && rc == 0) {
			size_t q = p;
			while (q < le) {
				size_t k = q;
				if (mx_jinja_cp_space(mx_utf8_next(s, le, &k)))
					break;
				q = k;
			}
			while (q < le) {
				size_t k = q;
				if (!mx_jinja_cp_space(mx_utf8_next(s, le, &k)))
					break;
				q = k;
			}
			if (q >= le && last_line)
				max_width2 -= allowance;
			long clen;
			if ((rc = repr_len(s + cur_st, q - cur_st, &clen)))
				break;
			if (clen > max_width2) {
				if (cur_en > cur_st) {
					if (nch == cap) {
						void *nc = mx_realloc(ch, 2 * cap * sizeof *ch);
						if (nc == NULL) {
							rc = MX_ENOMEM;
							break;
						}
						ch = nc, cap *= 2;
					}
					ch[nch][0] = cur_st, ch[nch][1] = cur_en, nch++;
				}
				cur_st = p;
			}
			cur_en = q;
			p = q;
		}
		if (rc == 0 && cur_en > cur_st) {
			if (nch == cap) {
				void *nc = mx_realloc(ch, 2 * cap * sizeof *ch);
				if (nc == NULL) {
					rc = MX_ENOMEM;
					break;
				}
				ch = nc, cap *= 2;
			}
			ch[nch][0] = cur_st, ch[nch][1] = cur_en, nch++;
		}
	}
	if (rc == 0 && nch <= 1) {
		rc = mx_jinja_repr_str(b, s, n);
	} else if (rc == 0) {
		if (level == 1)
			rc = mx_buf_putc(b, '(');
		for (size_t i = 0; i < nch && rc == 0; i++) {
			if (i && (rc = mx_buf_putc(b, '\n')) == 0)
				rc = put_indent(b, indent);
			if (rc == 0)
				rc = mx_jinja_repr_str(b, s + ch[i][0], ch[i][1] - ch[i][0]);
		}
		if (rc == 0 && level == 1)
			rc = mx_buf_putc(b, ')');
	}
	mx_free(ch);
	return rc;
}

static int pp_format(struct mx_buf *b, const json_t *j, long indent, long allowance, int level);

static int pp_items(struct mx_buf *b, const json_t *a, long indent, long allowance, int level)
{
	size_t n = json_array_size(a);
	int rc = 0;
	indent += 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int last = i + 1 == n;
		if (i && (rc = mx_buf_puts(b, ",\n")) == 0)
			rc = put_indent(b, indent);
		if (rc == 0)
			rc = pp_format(b, json_array_get(a, i), indent, last ? allowance : 1, level);
	}
	return rc;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int pp_dict(struct mx_buf *b, const json_t *d, long indent, long allowance, int level)
{
	size_t n = json_object_size(d), i = 0;
	const char **keys = n ? mx_calloc(n, sizeof *keys) : NULL;
	const char *k;
	json_t *x;
	if (n && keys == NULL)
		return MX_ENOMEM;
	json_object_foreach ((json_t *)d, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	int rc = mx_buf_putc(b, '{');
	indent += 1, allowance += 1;
	for (i = 0; i < n && rc == 0; i++) {
		int last = i + 1 == n;
		size_t before = b->len;
		if ((rc = mx_jinja_repr_str(b, keys[i], strlen(keys[i]))))
			break;
		long klen = cps(b->p + before, b->len - before);
		if ((rc = mx_buf_puts(b, ": ")) == 0)
			rc = pp_format(b, json_object_get(d, keys[i]), indent + klen + 2,
			               last ? allowance : 1, level);
		if (rc == 0 && !last && (rc = mx_buf_puts(b, ",\n")) == 0)
			rc = put_indent(b, indent);
	}
	mx_free(keys);
	return rc ? rc : mx_buf_putc(b, '}');
}

static int pp_format(struct mx_buf *b, const json_t *j, long indent, long allowance, int level)
{
	struct mx_buf rep;
	mx_buf_init(&rep, b->max);
	int rc = pp_value(&rep, j, level);
	if (rc) {
		mx_buf_free(&rep);
		return rc;
	}
	long len = cps(rep.p ? rep.p : "", rep.len);
	int kind = mx_jinja_kind(j);
	if (len > WIDTH - indent - allowance) {
		if (json_is_object(j) && kind == 0) {
			mx_buf_free(&rep);
			return pp_dict(b, j, indent, allowance, level + 1);
		}
		if (json_is_array(j)) {
			int tuple = kind == SK_TUPLE || kind == SK_GROUP;
			const char *end = tuple ? (json_array_size(j) == 1 ? ",)" : ")") : "]";
			mx_buf_free(&rep);
			if ((rc = mx_buf_putc(b, tuple ? '(' : '[')) == 0)
				rc = pp_items(b, j, indent, allowance + (long)strlen(end), level + 1);
			return rc ? rc : mx_buf_puts(b, end);
		}
		if (json_is_string(j) && kind == 0) {
			mx_buf_free(&rep);
			return pp_str(b, json_string_value(j), json_string_length(j), indent, allowance,
			              level + 1);
		}
	}
	rc = mx_buf_append(b, rep.p ? rep.p : "", rep.len);
	mx_buf_free(&rep);
	return rc;
}

int mx_jinja_pprint(struct mx_buf *b, const json_t *j)
{
	return pp_format(b, j, 0, 0, 0);
}
