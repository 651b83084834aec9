/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check — results against the declared return type
 * (mx_type_check_output: `Output validation failed: …`).
 */
#include "types/types_int.h"

#include "core/pytext.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Prefix the message already in c->msg ("Array item 2: …"). */
__attribute__((format(printf, 2, 3))) static void msg_prefix(struct mx_type_conv *c, const char *fmt, ...)
{
	char pre[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	size_t plen = strlen(pre), mlen = strlen(c->msg);
	if (plen + mlen >= sizeof c->msg)
		mlen = sizeof c->msg - 1 - plen;
	memmove(c->msg + plen, c->msg, mlen);
	memcpy(c->msg, pre, plen);
	c->msg[plen + mlen] = '\0';
}

static int check_out(struct mx_type_conv *c, const struct mx_type *t, const json_t *v, int depth)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (depth > MX_TYPE_MAX_DEPTH)
		return mx_type_conv_fail(c, "value nested too deeply");
	switch (t->kind) {
	case MX_T_STRING: {
		if (!json_is_string(v))
			return mx_type_conv_fail(c, "Expected string, got %s", mx_pytext_type(v));
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (t->format == MX_FMT_EMAIL && !mx_format_is_email(s, len))
			return mx_type_conv_fail(c, "Invalid email format: %s", s);
		if (t->format == MX_FMT_URI && !mx_format_is_uri(s, len))
			return mx_type_conv_fail(c, "Invalid URI format: %s", s);
		if (t->format == MX_FMT_DURATION && !mx_format_is_duration(s, len))
			return mx_type_conv_fail(c, "Invalid duration format: %s", s);
		return mx_type_check_length(c, t, s, len);
	}
	case MX_T_NUMBER:
		if (!json_is_number(v))
			return mx_type_conv_fail(c, "Expected number, got %s", mx_pytext_type(v));
		return mx_type_check_bounds(c, t, json_number_value(v), 0);
	case MX_T_INTEGER:
		if (!json_is_integer(v))
			return mx_type_conv_fail(c, "Expected integer, got %s", mx_pytext_type(v));
		return mx_type_check_bounds(c, t, (double)json_integer_value(v), 0);
	case MX_T_BOOLEAN:
		if (!json_is_boolean(v))
			return mx_type_conv_fail(c, "Expected boolean, got %s", mx_pytext_type(v));
		return 0;
	case MX_T_ARRAY: {
		if (!json_is_array(v))
			return mx_type_conv_fail(c, "Expected array, got %s", mx_pytext_type(v));
		size_t n = json_array_size(v);
		if (t->min_items >= 0 && n < (uint64_t)t->min_items)
			return mx_type_conv_fail(c, "Array must have at least %" PRId64 " items",
			                         t->min_items);
		if (t->max_items >= 0 && n > (uint64_t)t->max_items)
			return mx_type_conv_fail(c, "Array must have at most %" PRId64 " items",
			                         t->max_items);
		if (t->items == NULL)
			return 0;
		for (size_t i = 0; i < n; i++) {
			int rc = check_out(c, t->items, json_array_get(v, i), depth + 1);
			if (rc) {
				msg_prefix(c, "Array item %zu: ", i);
				return rc;
			}
		}
		return 0;
	}
	case MX_T_OBJECT: {
		if (!json_is_object(v))
			return mx_type_conv_fail(c, "Expected object, got %s", mx_pytext_type(v));
		struct mx_buf b;
		mx_buf_init(&b, MX_ERR_MSG_MAX);
		int rc = 0;
		if (mx_type_missing_required(t, v, &b))
			rc = mx_type_conv_fail(c, "Missing required properties: %s", mx_buf_str(&b));
		mx_buf_free(&b);
		if (rc)
			return rc;
		const char *k;
		json_t *pv;
		json_object_foreach ((json_t *)v, k, pv) {
			const struct mx_type *pt = mx_type_property(t, k);
			if (pt != NULL) {
				if ((rc = check_out(c, pt, pv, depth + 1))) {
					msg_prefix(c, "Property '%s': ", k);
					return rc;
				}
			} else if (t->additional_properties == 0) {
				return mx_type_conv_fail(c, "Unexpected property: %s", k);
			}
		}
		return 0;
	}
	}
	return 0;
}

int mx_type_check_output(const struct mx_type *t, const json_t *v, struct mx_err *err)
{
	struct mx_type_conv c;
	mx_type_conv_init(&c, NULL);
	int rc = check_out(&c, t, v, 0);
	if (rc)
		return mx_err_set(err, rc, "Output validation failed: %s", c.msg);
	return 0;
}
