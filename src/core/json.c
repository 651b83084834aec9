/* SPDX-License-Identifier: Apache-2.0 */
/* json — see json.h. */
#include "core/json.h"

#include "core/alloc.h"
#include "core/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writer
 * Our own serialiser rather than jansson's: reals print as the shortest text
 * that reads back as the same double (Python's repr: 39.9, not
 * 39.899999999999999), integral reals keep a ".0", non-ASCII text is written
 * as UTF-8, and the output goes straight into a bounded mx_buf. */

static int put_real(struct mx_buf *b, double d)
{
	char tmp[40];
	if (!isfinite(d))
		return mx_buf_puts(b, "null"); /* JSON has no NaN or infinity */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	int rc = mx_buf_puts(b, tmp);
	if (rc == 0 && strspn(tmp, "-0123456789") == strlen(tmp)) /* integral: keep it a real */
		rc = mx_buf_puts(b, ".0");
	return rc;
}

static int put_string(struct mx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int rc = mx_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				u[0] = '\\';
				u[1] = 'u';
				u[2] = '0';
				u[3] = '0';
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				u[6] = '\0';
				esc = u;
			}
		}
		if (esc == NULL) {
			run++;
			continue;
		}
		rc = mx_buf_append(b, s + i - run, run);
		run = 0;
		if (rc == 0)
			rc = mx_buf_puts(b, esc);
	}
	if (rc == 0)
		rc = mx_buf_append(b, s + n - run, run);
	return rc ? rc : mx_buf_putc(b, '"');
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_indent(struct mx_buf *b, int flags, int depth)
{
	if (!(flags & MX_JSON_PRETTY))
		return 0;
	int rc = mx_buf_putc(b, '\n');
	for (int i = 0; rc == 0 && i < depth; i++)
		rc = mx_buf_puts(b, "  ");
	return rc;
}

static int put_value(struct mx_buf *b, const json_t *v, int flags, int depth)
{
	if (depth > 2048)
		return MX_ELIMIT;
	switch (json_typeof(v)) {
	case JSON_NULL: return mx_buf_puts(b, "null");
	case JSON_TRUE: return mx_buf_puts(b, "true");
	case JSON_FALSE: return mx_buf_puts(b, "false");
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: return put_real(b, json_real_value(v));
	case JSON_STRING: return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (n == 0)
			return mx_buf_puts(b, "[]");
		int rc = mx_buf_putc(b, '[');
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (i)
				rc = mx_buf_putc(b, ',');
			if (rc == 0 && !(flags & MX_JSON_PRETTY) && (flags & MX_JSON_SPACED) && i)
				rc = mx_buf_putc(b, ' ');
			if (rc == 0)
				rc = put_indent(b, flags, depth + 1);
			if (rc == 0)
				rc = put_value(b, json_array_get(v, i), flags, depth + 1);
		}
		if (rc == 0)
			rc = put_indent(b, flags, depth);
		return rc ? rc : mx_buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v);
		if (n == 0)
			return mx_buf_puts(b, "{}");
		const char **keys = mx_calloc(n, sizeof *keys);
		if (keys == NULL)
			return MX_ENOMEM;
		size_t k = 0;
		const char *key;
		json_t *item;
		json_object_foreach ((json_t *)v, key, item) {
			keys[k++] = key;
		}
		if (flags & MX_JSON_SORTED)
			qsort(keys, n, sizeof *keys, cmp_keys);
		int rc = mx_buf_putc(b, '{');
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (i)
				rc = mx_buf_putc(b, ',');
			if (rc == 0 && !(flags & MX_JSON_PRETTY) && (flags & MX_JSON_SPACED) && i)
				rc = mx_buf_putc(b, ' ');
			if (rc == 0)
				rc = put_indent(b, flags, depth + 1);
			if (rc == 0)
				rc = put_string(b, keys[i], strlen(keys[i]));
			if (rc == 0)
				rc = mx_buf_puts(b, (flags & (MX_JSON_PRETTY | MX_JSON_SPACED)) ? ": " : ":");
			if (rc == 0)
				rc = put_value(b, json_object_get(v, keys[i]), flags, depth + 1);
		}
		mx_free(keys);
		if (rc == 0)
			rc = put_indent(b, flags, depth);
		return rc ? rc : mx_buf_putc(b, '}');
	}
	}
	return MX_EINVAL;
}

int mx_json_dump(struct mx_buf *b, const json_t *v, int flags)
{
	size_t mark = b->len;
	int rc = put_value(b, v, flags, 0);
	if (rc) {
		b->len = mark;
		if (b->p)
			b->p[mark] = '\0';
	}
	return rc;
}

char *mx_json_dumps(const json_t *v, int flags)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_json_dump(&b, v, flags)) {
		mx_buf_free(&b);
		return NULL;
	}
	return mx_buf_detach(&b);
}

int mx_json_print(FILE *f, const json_t *v, int flags)
{
	char *s = mx_json_dumps(v, flags);
	if (s == NULL)
		return MX_ENOMEM;
	fputs(s, f);
	fputc('\n', f);
	mx_free(s);
	return 0;
}

/* Deep equality where numbers compare by value; with py, booleans count as
 * the integers 0 and 1 too (Python's ==: True == 1 == 1.0). */
static int json_equal_values(const json_t *a, const json_t *b, int py)
{
	int an = json_is_number(a) || (py && json_is_boolean(a));
	int bn = json_is_number(b) || (py && json_is_boolean(b));
	if (an && bn) {
		if (json_is_real(a) || json_is_real(b)) {
			double x = json_is_boolean(a) ? json_is_true(a) : json_number_value(a);
			double y = json_is_boolean(b) ? json_is_true(b) : json_number_value(b);
			return x == y;
		}
		json_int_t x = json_is_boolean(a) ? json_is_true(a) : json_integer_value(a);
		json_int_t y = json_is_boolean(b) ? json_is_true(b) : json_integer_value(b);
		return x == y;
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_equal_values(json_array_get(a, i), json_array_get(b, i), py))
				return 0;
		return 1;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		const char *k;
		json_t *va;
		json_object_foreach ((json_t *)a, k, va) {
			json_t *vb = json_object_get(b, k);
			if (vb == NULL || !json_equal_values(va, vb, py))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}

int mx_json_equal_num(const json_t *a, const json_t *b)
{
	return json_equal_values(a, b, 0);
}

int mx_json_equal_py(const json_t *a, const json_t *b)
{
	return json_equal_values(a, b, 1);
}
