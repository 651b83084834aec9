/* SPDX-License-Identifier: Apache-2.0 */
/* json — see json.h. */
#include "core/json.h"

#include "core/alloc.h"
#include "core/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return mx_buf_append(data, buffer, size) ? -1 : 0;
}

static size_t jflags(int flags)
{
	size_t f = JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
	if (flags & MX_JSON_PRETTY)
		f |= JSON_INDENT(2);
	else
		f |= JSON_COMPACT;
	if (flags & MX_JSON_SORTED)
		f |= JSON_SORT_KEYS;
	return f;
}

int mx_json_dump(struct mx_buf *b, const json_t *v, int flags)
{
	if (json_dump_callback(v, dump_cb, b, jflags(flags)) != 0)
		return MX_ENOMEM;
	return 0;
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

const char *mx_json_pytype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "dict";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "str";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "NoneType";
	}
	return "object";
}

int mx_json_repr(struct mx_buf *b, const json_t *v)
{
	int rc = 0;
	switch (json_typeof(v)) {
	case JSON_NULL: return mx_buf_puts(b, "None");
	case JSON_TRUE: return mx_buf_puts(b, "True");
	case JSON_FALSE: return mx_buf_puts(b, "False");
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: {
		/* Python's repr: the shortest text that reads back as the same double */
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e16)
			return mx_buf_printf(b, "%.1f", d);
		char tmp[32];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		return mx_buf_puts(b, tmp);
	}
	case JSON_STRING: return mx_buf_printf(b, "'%s'", json_string_value(v));
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		rc = mx_buf_putc(b, '[');
		json_array_foreach (v, i, item) {
			if (i)
				rc = rc ? rc : mx_buf_puts(b, ", ");
			rc = rc ? rc : mx_json_repr(b, item);
		}
		return rc ? rc : mx_buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *item;
		int first = 1;
		rc = mx_buf_putc(b, '{');
		json_object_foreach ((json_t *)v, k, item) {
			rc = rc ? rc : mx_buf_printf(b, "%s'%s': ", first ? "" : ", ", k);
			rc = rc ? rc : mx_json_repr(b, item);
			first = 0;
		}
		return rc ? rc : mx_buf_putc(b, '}');
	}
	}
	return rc;
}

int mx_json_equal_num(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!mx_json_equal_num(json_array_get(a, i), json_array_get(b, i)))
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
			if (vb == NULL || !mx_json_equal_num(va, vb))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}
