/* SPDX-License-Identifier: Apache-2.0 */
/*
 * convert — call arguments into typed values: mx_type_convert for one
 * value (strings, numbers, integers, booleans, arrays, objects, formats),
 * mx_params_convert for a whole parameter list (defaults, missing and
 * unknown parameters, enums). A failure names the path of the failing
 * value.
 */
#include "types/types_int.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/pytext.h"
#include "core/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ values */

int mx_type_in_list(const json_t *list, const json_t *v)
{
	size_t i;
	json_t *item;
	json_array_foreach (list, i, item)
		if (mx_json_equal_py(item, v))
			return 1;
	return 0;
}

/* MXCP's python_type_to_schema_type(type(v).__name__). */
static const char *schema_type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	case JSON_NULL: return "NoneType";
	}
	return "?";
}

/* float(s) as a finite number: inf and nan are not numbers to MXCP. */
int mx_type_parse_finite(const char *s, size_t len, double *out)
{
	double d;
	int rc = mx_pytext_parse_float(s, len, &d);
	if (rc == 0 && !isfinite(d))
		rc = MX_EINVAL;
	if (rc == 0)
		*out = d;
	return rc;
}

/* ------------------------------------------------------------- conversion */

void mx_type_conv_init(struct mx_type_conv *c, const char *path)
{
	snprintf(c->path, sizeof c->path, "%s", path ? path : "");
	c->plen = strlen(c->path);
	c->msg[0] = '\0';
}

__attribute__((format(printf, 2, 3))) int mx_type_conv_fail(struct mx_type_conv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	return MX_EINVAL;
}

static int convert_value(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out);

static int conv_oom(struct mx_type_conv *c)
{
	snprintf(c->msg, sizeof c->msg, "out of memory");
	return MX_ENOMEM;
}

/* Enter a child path ("[2]" or ".key"); returns the length to restore. On a
 * failure the path is left pointing at the failing value. */
static size_t path_index(struct mx_type_conv *c, size_t i)
{
	size_t old = c->plen;
	snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
	c->plen += strlen(c->path + c->plen);
	return old;
}

static size_t path_key(struct mx_type_conv *c, const char *k)
{
	size_t old = c->plen;
	snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", c->plen ? "." : "", k);
	c->plen += strlen(c->path + c->plen);
	return old;
}

static void path_restore(struct mx_type_conv *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Numbers and booleans as the text the MCP layer turns them into. */
static int scalar_text(const json_t *in, char *buf, size_t bufsz, const char **s, size_t *len)
{
	switch (json_typeof(in)) {
	case JSON_STRING:
		*s = json_string_value(in);
		*len = json_string_length(in);
		return 0;
	case JSON_INTEGER: snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT, json_integer_value(in)); break;
	case JSON_REAL: mx_pytext_float(json_real_value(in), buf, bufsz); break;
	case JSON_TRUE: snprintf(buf, bufsz, "true"); break;
	case JSON_FALSE: snprintf(buf, bufsz, "false"); break;
	default: return -1;
	}
	*s = buf;
	*len = strlen(buf);
	return 0;
}

static json_t *string_value(const char *s, size_t len)
{
	return json_stringn(s, len);
}

static int convert_string(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	char numbuf[64], iso[256];
	const char *s = NULL;
	size_t len = 0;
	enum mx_format f = t->format;

	if ((f == MX_FMT_DATE || f == MX_FMT_TIME || f == MX_FMT_DATE_TIME) && !json_is_string(in))
		return mx_type_conv_fail(c, "Expected string for %s format, got %s", mx_format_name(f),
		                         mx_pytext_type(in));
	if (f == MX_FMT_TIMESTAMP && !json_is_string(in) && !json_is_number(in)) {
		struct mx_buf b;
		mx_buf_init(&b, 512);
		mx_pytext_str(&b, in);
		mx_type_conv_fail(c, "Invalid timestamp: %s", mx_buf_str(&b));
		mx_buf_free(&b);
		return MX_EINVAL;
	}
	if (scalar_text(in, numbuf, sizeof numbuf, &s, &len))
		return mx_type_conv_fail(c, "Expected string, got %s", mx_pytext_type(in));

	const char *res = s;
	size_t rlen = len;
	switch (f) {
	case MX_FMT_DATE:
	case MX_FMT_TIME:
	case MX_FMT_DATE_TIME: {
		int bad = f == MX_FMT_DATE   ? mx_format_parse_date(s, len, iso, sizeof iso)
		          : f == MX_FMT_TIME ? mx_format_parse_time(s, len, iso, sizeof iso)
		                             : mx_format_parse_date_time(s, len, iso, sizeof iso);
		if (bad)
			return mx_type_conv_fail(c, "Invalid %s format: %s", mx_format_name(f), s);
		res = iso;
		rlen = strlen(iso);
		break;
	}
	case MX_FMT_TIMESTAMP: {
		double d = 0;
		int bad = json_is_number(in) ? 0 : mx_type_parse_finite(s, len, &d);
		if (bad == MX_ENOMEM)
			return conv_oom(c);
		if (json_is_number(in))
			d = json_number_value(in);
		if (bad || mx_format_timestamp(d, iso, sizeof iso))
			return mx_type_conv_fail(c, "Invalid timestamp: %s", s);
		res = iso;
		rlen = strlen(iso);
		break;
	}
	case MX_FMT_EMAIL:
		if (!mx_format_is_email(s, len))
			return mx_type_conv_fail(c, "Invalid email format: %s", s);
		break;
	case MX_FMT_URI:
		if (!mx_format_is_uri(s, len))
			return mx_type_conv_fail(c, "Invalid URI format: %s", s);
		break;
	case MX_FMT_DURATION:
		if (!mx_format_is_duration(s, len))
			return mx_type_conv_fail(c, "Invalid duration format: %s", s);
		break;
	case MX_FMT_NONE: {
		/* MXCP checks lengths only for strings without a format */
		int rc = mx_type_check_length(c, t, s, len);
		if (rc)
			return rc;
		break;
	}
	}
	if (t->pattern_re != NULL) {
		int m = mx_type_pattern_search(t, s, len);
		if (m < 0)
			return conv_oom(c);
		if (m == 0)
			return mx_type_conv_fail(c, "String should match pattern '%s'", t->pattern);
	}
	*out = string_value(res, rlen);
	return *out ? 0 : conv_oom(c);
}

int mx_type_check_length(struct mx_type_conv *c, const struct mx_type *t, const char *s, size_t len)
{
	size_t cp = mx_utf8_count(s, len);
	if (t->min_length >= 0 && cp < (uint64_t)t->min_length)
		return mx_type_conv_fail(c, "String must be at least %" PRId64 " characters long",
		                         t->min_length);
	if (t->max_length >= 0 && cp > (uint64_t)t->max_length)
		return mx_type_conv_fail(c, "String must be at most %" PRId64 " characters long",
		                         t->max_length);
	return 0;
}

/* A bound as the message shows it. MXCP's model stores bounds as float, so
 * it says "Value must be >= 1.0" even of an integer parameter; mxcp keeps
 * that for `number` and says "1" for an `integer` (a deliberate
 * difference, README). */
static void bound_text(const struct mx_type *t, double d, char *buf, size_t sz)
{
	if (t->kind == MX_T_INTEGER && d == trunc(d) && fabs(d) < 9007199254740992.0)
		snprintf(buf, sz, "%lld", (long long)d);
	else
		mx_pytext_float(d, buf, sz);
}

/* multipleOf/minimum/maximum/exclusive*, with MXCP's messages. */
int mx_type_check_bounds(struct mx_type_conv *c, const struct mx_type *t, double v, int with_exclusive)
{
	char num[40];
	if (with_exclusive && t->has_multiple_of && fmod(v, t->multiple_of) != 0) {
		bound_text(t, t->multiple_of, num, sizeof num);
		return mx_type_conv_fail(c, "Value must be multiple of %s", num);
	}
	if (t->has_minimum && v < t->minimum) {
		bound_text(t, t->minimum, num, sizeof num);
		return mx_type_conv_fail(c, "Value must be >= %s", num);
	}
	if (t->has_maximum && v > t->maximum) {
		bound_text(t, t->maximum, num, sizeof num);
		return mx_type_conv_fail(c, "Value must be <= %s", num);
	}
	if (with_exclusive && t->has_exclusive_minimum && v <= t->exclusive_minimum) {
		bound_text(t, t->exclusive_minimum, num, sizeof num);
		return mx_type_conv_fail(c, "Value must be > %s", num);
	}
	if (with_exclusive && t->has_exclusive_maximum && v >= t->exclusive_maximum) {
		bound_text(t, t->exclusive_maximum, num, sizeof num);
		return mx_type_conv_fail(c, "Value must be < %s", num);
	}
	return 0;
}

static int convert_number(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	double d;
	int prc;
	if (json_is_number(in))
		d = json_number_value(in);
	else if (json_is_boolean(in))
		d = json_is_true(in); /* float(True) == 1.0 */
	else if (!json_is_string(in))
		return mx_type_conv_fail(c, "Expected number, got %s", mx_pytext_type(in));
	else if ((prc = mx_type_parse_finite(json_string_value(in), json_string_length(in), &d)))
		return prc == MX_ENOMEM ? conv_oom(c) : mx_type_conv_fail(c, "Expected number, got str");
	int rc = mx_type_check_bounds(c, t, d, 1);
	if (rc)
		return rc;
	*out = json_real(d);
	return *out ? 0 : conv_oom(c);
}

static int convert_integer(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	int64_t i;
	if (json_is_integer(in)) {
		i = json_integer_value(in);
	} else if (json_is_boolean(in)) {
		i = json_is_true(in);
	} else if (json_is_real(in)) {
		double d = trunc(json_real_value(in)); /* int(2.7) == 2 */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
			char num[40];
			mx_pytext_float(json_real_value(in), num, sizeof num);
			return mx_type_conv_fail(c, "Integer out of range: %s", num);
		}
		i = (int64_t)d;
	} else if (json_is_string(in)) {
		int prc = mx_pytext_parse_int(json_string_value(in), json_string_length(in), 10, &i);
		if (prc == MX_ELIMIT)
			return mx_type_conv_fail(c, "Integer out of range: %s", json_string_value(in));
		if (prc)
			return mx_type_conv_fail(c, "Expected integer, got str");
	} else {
		return mx_type_conv_fail(c, "Expected integer, got %s", mx_pytext_type(in));
	}
	int rc = mx_type_check_bounds(c, t, (double)i, 1);
	if (rc)
		return rc;
	*out = json_integer((json_int_t)i);
	return *out ? 0 : conv_oom(c);
}

static int convert_boolean(struct mx_type_conv *c, const json_t *in, json_t **out)
{
	int b;
	switch (json_typeof(in)) {
	case JSON_STRING:
		b = json_string_length(in) == 4 && strncasecmp(json_string_value(in), "true", 4) == 0;
		break;
	case JSON_INTEGER: b = json_integer_value(in) != 0; break;
	case JSON_REAL: b = json_real_value(in) != 0; break;
	case JSON_TRUE: b = 1; break;
	case JSON_ARRAY: b = json_array_size(in) != 0; break;
	case JSON_OBJECT: b = json_object_size(in) != 0; break;
	default: b = 0; break;
	}
	*out = json_boolean(b);
	return *out ? 0 : conv_oom(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* uniqueItems by str(item), as MXCP's len({str(v) for v in value}). 1 = unique. */
static int items_unique(const json_t *arr, int *unique)
{
	size_t n = json_array_size(arr);
	*unique = 1;
	if (n < 2)
		return 0;
	char **strs = mx_calloc(n, sizeof *strs);
	if (strs == NULL)
		return MX_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct mx_buf b;
		mx_buf_init(&b, MX_BUF_UNBOUNDED);
		rc = mx_pytext_str(&b, json_array_get(arr, i));
		if (rc == 0 && b.p == NULL)
			rc = mx_buf_puts(&b, "");
		if (rc == 0)
			strs[i] = mx_buf_detach(&b);
		if (rc == 0 && strs[i] == NULL)
			rc = MX_ENOMEM;
		mx_buf_free(&b);
	}
	if (rc == 0) {
		qsort(strs, n, sizeof *strs, cmp_str);
		for (size_t i = 1; i < n; i++)
			if (strcmp(strs[i - 1], strs[i]) == 0)
				*unique = 0;
	}
	for (size_t i = 0; i < n; i++)
		mx_free(strs[i]);
	mx_free(strs);
	return rc ? MX_ENOMEM : 0;
}

/* A string argument holding JSON text (CLI `--param x='[1,2]'`). */
static json_t *parse_json_text(const json_t *in)
{
	return json_loadb(json_string_value(in), json_string_length(in), JSON_DECODE_ANY, NULL);
}

static int convert_array(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	json_t *parsed = NULL;
	const json_t *arr = in;
	if (json_is_string(in)) {
		if ((parsed = parse_json_text(in)) == NULL)
			return mx_type_conv_fail(c, "Invalid JSON array: %s", json_string_value(in));
		arr = parsed;
	}
	int rc = 0;
	size_t n = json_array_size(arr);
	if (!json_is_array(arr))
		rc = mx_type_conv_fail(c, "Expected array, got %s", schema_type_of(arr));
	else if (t->min_items >= 0 && n < (uint64_t)t->min_items)
		rc = mx_type_conv_fail(c, "Array must have at least %" PRId64 " items", t->min_items);
	else if (t->max_items >= 0 && n > (uint64_t)t->max_items)
		rc = mx_type_conv_fail(c, "Array must have at most %" PRId64 " items", t->max_items);
	if (rc == 0 && t->unique_items) {
		int unique;
		if (items_unique(arr, &unique))
			rc = conv_oom(c);
		else if (!unique)
			rc = mx_type_conv_fail(c, "Array must contain unique items");
	}
	json_t *res = rc ? NULL : json_array();
	if (rc == 0 && res == NULL)
		rc = conv_oom(c);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const json_t *item = json_array_get(arr, i);
		json_t *mx_type_conv = NULL;
		if (t->items != NULL) {
			size_t old = path_index(c, i);
			rc = convert_value(c, t->items, item, &mx_type_conv);
			if (rc)
				break;
			path_restore(c, old);
		} else if ((mx_type_conv = json_deep_copy(item)) == NULL) {
			rc = conv_oom(c);
			break;
		}
		if (json_array_append_new(res, mx_type_conv))
			rc = conv_oom(c);
	}
	json_decref(parsed);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return 0;
}

const struct mx_type *mx_type_property(const struct mx_type *t, const char *name)
{
	for (size_t i = 0; i < t->nproperties; i++)
		if (strcmp(t->properties[i].name, name) == 0)
			return t->properties[i].type;
	return NULL;
}

/* "a, b" for the required properties missing from obj; 1 if any. */
int mx_type_missing_required(const struct mx_type *t, const json_t *obj, struct mx_buf *b)
{
	int any = 0;
	for (size_t i = 0; i < t->nrequired; i++) {
		if (json_object_get(obj, t->required[i]) == NULL) {
			mx_buf_printf(b, "%s%s", any ? ", " : "", t->required[i]);
			any = 1;
		}
	}
	return any;
}

static int convert_object(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	json_t *parsed = NULL;
	const json_t *obj = in;
	if (json_is_string(in)) {
		if ((parsed = parse_json_text(in)) == NULL)
			return mx_type_conv_fail(c, "Invalid JSON object: %s", json_string_value(in));
		obj = parsed;
	}
	int rc = 0;
	if (!json_is_object(obj)) {
		rc = mx_type_conv_fail(c, "Expected object, got %s", schema_type_of(obj));
	} else {
		struct mx_buf b;
		mx_buf_init(&b, MX_ERR_MSG_MAX);
		if (mx_type_missing_required(t, obj, &b))
			rc = mx_type_conv_fail(c, "Missing required properties: %s", mx_buf_str(&b));
		mx_buf_free(&b);
	}
	json_t *res = rc ? NULL : json_object();
	if (rc == 0 && res == NULL)
		rc = conv_oom(c);
	const char *k;
	json_t *v;
	if (rc == 0) {
		json_object_foreach ((json_t *)obj, k, v) {
			const struct mx_type *pt = mx_type_property(t, k);
			json_t *mx_type_conv = NULL;
			if (pt != NULL) {
				size_t old = path_key(c, k);
				rc = convert_value(c, pt, v, &mx_type_conv);
				if (rc)
					break;
				path_restore(c, old);
			} else if (t->additional_properties == 0) {
				rc = mx_type_conv_fail(c, "Unexpected property: %s", k);
				break;
			} else if ((mx_type_conv = json_deep_copy(v)) == NULL) {
				rc = conv_oom(c);
				break;
			}
			if (json_object_set_new(res, k, mx_type_conv)) {
				rc = conv_oom(c);
				break;
			}
		}
	}
	json_decref(parsed);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return 0;
}

static int convert_value(struct mx_type_conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	*out = NULL;
	if (in == NULL || json_is_null(in)) {
		*out = json_null();
		return 0;
	}
	switch (t->kind) {
	case MX_T_STRING: return convert_string(c, t, in, out);
	case MX_T_NUMBER: return convert_number(c, t, in, out);
	case MX_T_INTEGER: return convert_integer(c, t, in, out);
	case MX_T_BOOLEAN: return convert_boolean(c, in, out);
	case MX_T_ARRAY: return convert_array(c, t, in, out);
	case MX_T_OBJECT: return convert_object(c, t, in, out);
	}
	return mx_type_conv_fail(c, "unknown type");
}

/* A default must convert cleanly; the error sits on the default node. */
int mx_type_check_default(const struct mx_yaml_node *map, const char *file, const char *path,
                          struct mx_type *t, struct mx_err *err)
{
	const struct mx_yaml_node *dn = mx_yaml_map_get(map, "default");
	if (dn == NULL)
		return 0;
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, "default");
	t->default_value = mx_yaml_to_json(dn);
	if (t->default_value == NULL)
		return mx_type_to_json_failed(file, dn, p, err);
	struct mx_type_conv c;
	mx_type_conv_init(&c, p);
	json_t *mx_type_conv = NULL;
	int rc = convert_value(&c, t, t->default_value, &mx_type_conv);
	json_decref(mx_type_conv);
	if (rc == MX_ENOMEM)
		return mx_type_oom(err);
	if (rc)
		return mx_err_at(err, rc, file, dn->line, dn->col, "%s: %s", c.path, c.msg);
	return 0;
}

int mx_type_convert(const struct mx_type *t, const json_t *in, const char *path, json_t **out,
                    struct mx_err *err)
{
	struct mx_type_conv c;
	mx_type_conv_init(&c, path);
	int rc = convert_value(&c, t, in, out);
	if (rc == 0)
		return 0;
	if (rc == MX_ENOMEM)
		return mx_type_oom(err);
	if (c.path[0] && path != NULL && path[0])
		return mx_err_set(err, rc, "Error validating parameter '%s': %s", c.path, c.msg);
	if (c.path[0])
		return mx_err_set(err, rc, "%s: %s", c.path, c.msg);
	return mx_err_set(err, rc, "%s", c.msg);
}

/* ------------------------------------------------------------- parameters */

static const struct mx_type *find_param(struct mx_type *const *params, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (params[i]->name != NULL && strcmp(params[i]->name, name) == 0)
			return params[i];
	return NULL;
}

/* Python's `value in enum`, also trying the converted value (so `--param n=1`
 * matches `enum: [1, 2]`). A null value is not checked. 1 yes, 0 no, MX_ENOMEM. */
static int enum_accepts(const struct mx_type *p, const json_t *v)
{
	if (json_is_null(v) || mx_type_in_list(p->enum_values, v))
		return 1;
	struct mx_type_conv c;
	mx_type_conv_init(&c, p->name);
	json_t *mx_type_conv = NULL;
	int rc = convert_value(&c, p, v, &mx_type_conv);
	int ok = rc == 0 && mx_type_in_list(p->enum_values, mx_type_conv);
	json_decref(mx_type_conv);
	return rc == MX_ENOMEM ? MX_ENOMEM : ok;
}

int mx_params_convert(struct mx_type *const *params, size_t nparams, const json_t *args, json_t **out,
                      struct mx_err *err)
{
	*out = NULL;
	if (args != NULL && !json_is_object(args))
		return mx_err_set(err, MX_EINVAL, "Expected object for arguments, got %s",
		                  mx_pytext_type(args));
	json_t *work = json_object();
	if (work == NULL || (args != NULL && json_object_update(work, (json_t *)args))) {
		json_decref(work);
		return mx_type_oom(err);
	}
	/* defaults for missing optional parameters (optional iff it has a default) */
	for (size_t i = 0; i < nparams; i++) {
		const struct mx_type *p = params[i];
		if (p->default_value != NULL && json_object_get(work, p->name) == NULL &&
		    json_object_set(work, p->name, p->default_value)) {
			json_decref(work);
			return mx_type_oom(err);
		}
	}
	int rc = 0;
	for (size_t i = 0; i < nparams && rc == 0; i++)
		if (json_object_get(work, params[i]->name) == NULL)
			rc = mx_err_set(err, MX_EINVAL, "Required parameter missing: %s", params[i]->name);
	json_t *res = rc ? NULL : json_object();
	if (rc == 0 && res == NULL)
		rc = mx_type_oom(err);
	const char *k;
	json_t *v;
	if (rc == 0) {
		json_object_foreach (work, k, v) {
			const struct mx_type *p = find_param(params, nparams, k);
			if (p == NULL) {
				rc = mx_err_set(err, MX_EINVAL, "Unknown parameter: %s", k);
				break;
			}
			int in_enum = p->enum_values == NULL ? 1 : enum_accepts(p, v);
			if (in_enum < 0) {
				rc = mx_type_oom(err);
				break;
			}
			if (!in_enum) {
				struct mx_buf b;
				mx_buf_init(&b, MX_ERR_MSG_MAX);
				mx_pytext_repr(&b, p->enum_values);
				rc = mx_err_set(err, MX_EINVAL, "Invalid value for %s. Must be one of: %s", k,
				                mx_buf_str(&b));
				mx_buf_free(&b);
				break;
			}
			json_t *mx_type_conv = NULL;
			if ((rc = mx_type_convert(p, v, k, &mx_type_conv, err)))
				break;
			if (json_object_set_new(res, k, mx_type_conv)) {
				rc = mx_type_oom(err);
				break;
			}
		}
	}
	json_decref(work);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return 0;
}
