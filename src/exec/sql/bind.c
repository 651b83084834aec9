/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bind — parameters: a JSON value bound as a DuckDB value of the type its
 * declaration (or, without one, its JSON) calls for. A value's "shape" is
 * worked out first (the declared mx_type, widened by the JSON values so
 * that every element of a list has one DuckDB type), then the duckdb_value
 * is built from it; date, time and date-time strings are read here as
 * ISO 8601 (an offset converted to UTC).
 *
 * Runs on the thread that owns the connection; pure but for DuckDB's value
 * and type constructors. Errors name the parameter's path ("filters[2].date").
 */
#include "exec/sql/sql_int.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MX_SQL_PATH_MAX 256

/* ------------------------------------------------------------------------ */
/* ISO 8601 parsing (parameters)                                             */
/* ------------------------------------------------------------------------ */

/* Exactly `n` digits at s[*pos]; advances *pos. */
static int take_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (*pos >= len || s[*pos] < '0' || s[*pos] > '9')
			return -1;
		v = v * 10 + (s[(*pos)++] - '0');
	}
	*out = v;
	return 0;
}

static int take_char(const char *s, size_t len, size_t *pos, char ch)
{
	if (*pos < len && s[*pos] == ch) {
		(*pos)++;
		return 0;
	}
	return -1;
}

/* YYYY-MM-DD (a year of 4 or more digits, optionally signed). */
static int parse_date_part(const char *s, size_t len, size_t *pos, int64_t *days)
{
	int neg = 0;
	if (*pos < len && (s[*pos] == '-' || s[*pos] == '+')) {
		neg = s[*pos] == '-';
		(*pos)++;
	}
	int64_t y = 0;
	size_t start = *pos;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9' && *pos - start < 9)
		y = y * 10 + (s[(*pos)++] - '0');
	if (*pos - start < 4)
		return -1;
	if (neg)
		y = -y;
	int m, d;
	if (take_char(s, len, pos, '-') || take_digits(s, len, pos, 2, &m) || take_char(s, len, pos, '-') ||
	    take_digits(s, len, pos, 2, &d))
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > mx_days_in_month(y, m))
		return -1;
	*days = mx_days_from_civil(y, m, d);
	return 0;
}

/* HH:MM[:SS[.fraction]] into microseconds since midnight. */
static int parse_time_part(const char *s, size_t len, size_t *pos, int64_t *micros)
{
	int h, mi, sec = 0;
	if (take_digits(s, len, pos, 2, &h) || take_char(s, len, pos, ':') ||
	    take_digits(s, len, pos, 2, &mi))
		return -1;
	int64_t frac = 0;
	if (take_char(s, len, pos, ':') == 0) {
		if (take_digits(s, len, pos, 2, &sec))
			return -1;
		if (*pos < len && (s[*pos] == '.' || s[*pos] == ',')) {
			(*pos)++;
			int ndig = 0;
			while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
				if (ndig < 6) {
					frac = frac * 10 + (s[*pos] - '0');
					ndig++;
				}
				(*pos)++;
			}
			if (ndig == 0)
				return -1;
			for (; ndig < 6; ndig++)
				frac *= 10;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	*micros = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + frac;
	return 0;
}

/* Z | ±HH[[:]MM[[:]SS]] into seconds east of UTC; nothing left → 0. */
static int parse_offset_part(const char *s, size_t len, size_t *pos, int64_t *offset)
{
	*offset = 0;
	if (*pos >= len)
		return 0;
	if (s[*pos] == 'Z' || s[*pos] == 'z') {
		(*pos)++;
		return 0;
	}
	if (s[*pos] != '+' && s[*pos] != '-')
		return -1;
	int neg = s[(*pos)++] == '-';
	int h, mi = 0, sec = 0;
	if (take_digits(s, len, pos, 2, &h))
		return -1;
	if (*pos < len) {
		take_char(s, len, pos, ':');
		if (take_digits(s, len, pos, 2, &mi))
			return -1;
		if (*pos < len) {
			take_char(s, len, pos, ':');
			if (take_digits(s, len, pos, 2, &sec))
				return -1;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	*offset = (h * 3600 + mi * 60 + sec) * (neg ? -1 : 1);
	return 0;
}

static int parse_iso_date(const char *s, size_t len, int32_t *days)
{
	size_t pos = 0;
	int64_t d;
	if (parse_date_part(s, len, &pos, &d) || pos != len || d < INT32_MIN + 1 || d > INT32_MAX - 1)
		return -1;
	*days = (int32_t)d;
	return 0;
}

static int parse_iso_time(const char *s, size_t len, int64_t *micros)
{
	size_t pos = 0;
	int64_t t, off;
	if (parse_time_part(s, len, &pos, &t) || parse_offset_part(s, len, &pos, &off) || pos != len)
		return -1;
	const int64_t day = INT64_C(86400000000);
	t = ((t - off * 1000000) % day + day) % day;
	*micros = t;
	return 0;
}

static int parse_iso_timestamp(const char *s, size_t len, int64_t *micros)
{
	size_t pos = 0;
	int64_t days, t = 0, off = 0;
	if (parse_date_part(s, len, &pos, &days))
		return -1;
	if (pos < len) {
		if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
			return -1;
		pos++;
		if (parse_time_part(s, len, &pos, &t) || parse_offset_part(s, len, &pos, &off))
			return -1;
	}
	if (pos != len)
		return -1;
	if (days > INT64_MAX / INT64_C(86400000000) - 1 || days < INT64_MIN / INT64_C(86400000000) + 1)
		return -1;
	*micros = days * INT64_C(86400000000) + t - off * 1000000;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parameter shapes: the DuckDB type a JSON value is bound as                */
/* ------------------------------------------------------------------------ */

/* (enum shape_kind and struct shape are in sql_int.h: conn.c's type hints
 * read the shape of a declared type too.) */

static void shape_clear(struct shape *sh)
{
	if (sh->elem) {
		shape_clear(sh->elem);
		mx_free(sh->elem);
	}
	for (size_t i = 0; i < sh->nfields; i++) {
		shape_clear(sh->fields[i]);
		mx_free(sh->fields[i]);
		mx_free(sh->names[i]);
	}
	mx_free(sh->fields);
	mx_free(sh->names);
	if (sh->lt)
		duckdb_destroy_logical_type(&sh->lt);
	memset(sh, 0, sizeof *sh);
}

static struct shape *shape_new(enum shape_kind kind)
{
	struct shape *sh = mx_calloc(1, sizeof *sh);
	if (sh)
		sh->kind = kind;
	return sh;
}

static struct shape *shape_field(struct shape *sh, const char *name, size_t namelen, int create)
{
	for (size_t i = 0; i < sh->nfields; i++) {
		if (strlen(sh->names[i]) == namelen && memcmp(sh->names[i], name, namelen) == 0)
			return sh->fields[i];
	}
	if (!create)
		return NULL;
	if (sh->nfields == sh->capfields) {
		size_t cap = sh->capfields ? sh->capfields * 2 : 4;
		char **names = mx_realloc(sh->names, cap * sizeof *names);
		if (names == NULL)
			return NULL;
		sh->names = names;
		struct shape **fields = mx_realloc(sh->fields, cap * sizeof *fields);
		if (fields == NULL)
			return NULL;
		sh->fields = fields;
		sh->capfields = cap;
	}
	char *n = mx_strndup(name, namelen);
	struct shape *f = shape_new(SH_NULL);
	if (n == NULL || f == NULL) {
		mx_free(n);
		mx_free(f);
		return NULL;
	}
	sh->names[sh->nfields] = n;
	sh->fields[sh->nfields++] = f;
	return f;
}

/* The declared type's shape; NULL type → SH_NULL (infer from values). */
int mx_sql_shape_from_type(const struct mx_type *t, struct shape *sh)
{
	memset(sh, 0, sizeof *sh);
	if (t == NULL)
		return 0;
	switch (t->kind) {
	case MX_T_STRING:
		sh->kind = t->format == MX_FMT_DATE                                         ? SH_DATE
		           : t->format == MX_FMT_TIME                                       ? SH_TIME
		           : t->format == MX_FMT_DATE_TIME || t->format == MX_FMT_TIMESTAMP ? SH_TIMESTAMP
		                                                                            : SH_TEXT;
		return 0;
	case MX_T_INTEGER: sh->kind = SH_INT; return 0;
	case MX_T_NUMBER: sh->kind = SH_REAL; return 0;
	case MX_T_BOOLEAN: sh->kind = SH_BOOL; return 0;
	case MX_T_ARRAY:
		sh->kind = SH_LIST;
		if ((sh->elem = shape_new(SH_NULL)) == NULL)
			return MX_ENOMEM;
		return mx_sql_shape_from_type(t->items, sh->elem);
	case MX_T_OBJECT:
		sh->kind = SH_STRUCT;
		for (size_t i = 0; i < t->nproperties; i++) {
			const char *name = t->properties[i].name;
			struct shape *f = shape_field(sh, name, strlen(name), 1);
			if (f == NULL)
				return MX_ENOMEM;
			int rc = mx_sql_shape_from_type(t->properties[i].type, f);
			if (rc)
				return rc;
		}
		return 0;
	}
	return 0;
}

static int json_is_integral_real(const json_t *v)
{
	double d = json_real_value(v);
	return isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/* Widen sh so that v can be bound as it; conflicts become SH_TEXT. */
static int shape_add(struct shape *sh, const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (sh->kind == SH_NULL) {
		if (json_is_boolean(v))
			sh->kind = SH_BOOL;
		else if (json_is_integer(v))
			sh->kind = SH_INT;
		else if (json_is_real(v))
			sh->kind = SH_REAL;
		else if (json_is_string(v))
			sh->kind = SH_TEXT;
		else if (json_is_array(v)) {
			sh->kind = SH_LIST;
			if ((sh->elem = shape_new(SH_NULL)) == NULL)
				return MX_ENOMEM;
		} else if (json_is_object(v))
			sh->kind = SH_STRUCT;
	}
	int fits;
	switch (sh->kind) {
	case SH_BOOL: fits = json_is_boolean(v); break;
	case SH_INT:
		if (json_is_real(v) && !json_is_integral_real(v))
			sh->kind = SH_REAL;
		fits = json_is_number(v);
		break;
	case SH_REAL: fits = json_is_number(v); break;
	case SH_DATE:
	case SH_TIME:
	case SH_TIMESTAMP: fits = json_is_string(v); break;
	case SH_LIST:
		fits = json_is_array(v);
		if (fits) {
			size_t i;
			json_t *item;
			json_array_foreach (v, i, item) {
				int rc = shape_add(sh->elem, item);
				if (rc)
					return rc;
			}
		}
		break;
	case SH_STRUCT:
		fits = json_is_object(v);
		if (fits) {
			const char *key;
			json_t *item;
			json_object_foreach ((json_t *)v, key, item) {
				struct shape *f = shape_field(sh, key, strlen(key), 1);
				if (f == NULL)
					return MX_ENOMEM;
				int rc = shape_add(f, item);
				if (rc)
					return rc;
			}
		}
		break;
	default: fits = 1; break;
	}
	if (!fits) {
		shape_clear(sh);
		sh->kind = SH_TEXT;
	}
	return 0;
}

static duckdb_logical_type shape_type(struct shape *sh);

static duckdb_logical_type make_shape_type(struct shape *sh)
{
	switch (sh->kind) {
	case SH_NULL: return duckdb_create_logical_type(DUCKDB_TYPE_SQLNULL);
	case SH_BOOL: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
	case SH_INT: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
	case SH_REAL: return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
	case SH_TEXT: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	case SH_DATE: return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
	case SH_TIME: return duckdb_create_logical_type(DUCKDB_TYPE_TIME);
	case SH_TIMESTAMP: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
	case SH_LIST: {
		duckdb_logical_type child = shape_type(sh->elem);
		return child ? duckdb_create_list_type(child) : NULL;
	}
	case SH_STRUCT: {
		if (sh->nfields == 0) {
			/* DuckDB has no empty STRUCT: {} binds as an empty MAP. */
			duckdb_logical_type k = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
			duckdb_logical_type m = duckdb_create_map_type(k, k);
			duckdb_destroy_logical_type(&k);
			return m;
		}
		duckdb_logical_type *types = mx_calloc(sh->nfields, sizeof *types);
		if (types == NULL)
			return NULL;
		for (size_t i = 0; i < sh->nfields; i++) {
			if ((types[i] = shape_type(sh->fields[i])) == NULL) {
				mx_free(types);
				return NULL;
			}
		}
		duckdb_logical_type t =
		        duckdb_create_struct_type(types, (const char **)sh->names, (idx_t)sh->nfields);
		mx_free(types);
		return t;
	}
	}
	return NULL;
}

/* The shape's logical type, built once and owned by the shape. */
static duckdb_logical_type shape_type(struct shape *sh)
{
	if (sh->lt == NULL)
		sh->lt = make_shape_type(sh);
	return sh->lt;
}

/* ------------------------------------------------------------------------ */
/* Parameter values                                                          */
/* ------------------------------------------------------------------------ */

static int bad_value(struct mx_err *err, const struct mx_buf *path, const char *what, const json_t *v)
{
	return mx_err_set(err, MX_EINVAL, "Invalid %s for parameter '%s': '%s'", what, mx_buf_str(path),
	                  json_string_value(v));
}

static int make_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                      struct mx_err *err);

/* Back to the parent's path after a child ("[2]", ".name"). */
static void path_truncate(struct mx_buf *path, size_t len)
{
	if (path->p != NULL && len <= path->len) {
		path->len = len;
		path->p[len] = '\0';
	}
}

/* The text of a JSON value: strings as they are, numbers in their shortest
 * round-tripping form, containers as compact JSON. mx_free the result. */
char *mx_sql_json_text(const json_t *v)
{
	char buf[40];
	switch (json_typeof(v)) {
	case JSON_STRING: return mx_strndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL:
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		break;
	case JSON_TRUE: return mx_strdup("true");
	case JSON_FALSE: return mx_strdup("false");
	case JSON_NULL: return mx_strdup("null");
	default: return mx_json_dumps(v, MX_JSON_COMPACT);
	}
	return mx_strdup(buf);
}

static int make_text_value(const json_t *v, duckdb_value *out, struct mx_err *err)
{
	if (json_is_string(v)) {
		*out = duckdb_create_varchar_length(json_string_value(v), json_string_length(v));
		return 0;
	}
	char *text = mx_sql_json_text(v);
	if (text == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	*out = duckdb_create_varchar(text);
	mx_free(text);
	return 0;
}

static int make_list_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                           struct mx_err *err)
{
	size_t n = json_array_size(v);
	duckdb_value *items = mx_calloc(n ? n : 1, sizeof *items);
	if (items == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	size_t base = path->len;
	for (size_t i = 0; i < n && rc == 0; i++) {
		mx_buf_printf(path, "[%zu]", i);
		rc = make_value(sh->elem, json_array_get(v, i), path, &items[i], err);
		path_truncate(path, base);
	}
	duckdb_logical_type et = rc == 0 ? shape_type(sh->elem) : NULL;
	if (rc == 0 && (et == NULL || (*out = duckdb_create_list_value(et, items, (idx_t)n)) == NULL))
		rc = mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a list", mx_buf_str(path));
	for (size_t i = 0; i < n; i++) {
		if (items[i])
			duckdb_destroy_value(&items[i]);
	}
	mx_free(items);
	return rc;
}

static int make_struct_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                             struct mx_err *err)
{
	duckdb_logical_type t = shape_type(sh);
	if (t == NULL)
		return mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a struct", mx_buf_str(path));
	if (sh->nfields == 0) {
		duckdb_value none[1] = {NULL};
		*out = duckdb_create_map_value(t, none, none, 0);
		return *out ? 0 : mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s'", mx_buf_str(path));
	}
	duckdb_value *vals = mx_calloc(sh->nfields, sizeof *vals);
	if (vals == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	size_t base = path->len;
	for (size_t i = 0; i < sh->nfields && rc == 0; i++) {
		mx_buf_printf(path, ".%s", sh->names[i]);
		rc = make_value(sh->fields[i], json_object_get(v, sh->names[i]), path, &vals[i], err);
		path_truncate(path, base);
	}
	if (rc == 0 && (*out = duckdb_create_struct_value(t, vals)) == NULL)
		rc = mx_err_set(err, MX_EINVAL, "Cannot bind parameter '%s' as a struct", mx_buf_str(path));
	for (size_t i = 0; i < sh->nfields; i++) {
		if (vals[i])
			duckdb_destroy_value(&vals[i]);
	}
	mx_free(vals);
	return rc;
}

static int make_value(struct shape *sh, const json_t *v, struct mx_buf *path, duckdb_value *out,
                      struct mx_err *err)
{
	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		*out = duckdb_create_null_value();
		return 0;
	}
	switch (sh->kind) {
	case SH_NULL: *out = duckdb_create_null_value(); break;
	case SH_BOOL: *out = duckdb_create_bool(json_is_true(v)); break;
	case SH_INT:
		*out = duckdb_create_int64(json_is_integer(v) ? (int64_t)json_integer_value(v)
		                                              : (int64_t)json_real_value(v));
		break;
	case SH_REAL: *out = duckdb_create_double(json_number_value(v)); break;
	case SH_TEXT: return make_text_value(v, out, err);
	case SH_DATE: {
		duckdb_date d;
		if (parse_iso_date(json_string_value(v), json_string_length(v), &d.days))
			return bad_value(err, path, "date (expected YYYY-MM-DD)", v);
		*out = duckdb_create_date(d);
		break;
	}
	case SH_TIME: {
		duckdb_time t;
		if (parse_iso_time(json_string_value(v), json_string_length(v), &t.micros))
			return bad_value(err, path, "time (expected HH:MM[:SS[.ffffff]])", v);
		*out = duckdb_create_time(t);
		break;
	}
	case SH_TIMESTAMP: {
		duckdb_timestamp ts;
		if (parse_iso_timestamp(json_string_value(v), json_string_length(v), &ts.micros))
			return bad_value(err, path, "date-time (expected ISO 8601)", v);
		*out = duckdb_create_timestamp(ts);
		break;
	}
	case SH_LIST: return make_list_value(sh, v, path, out, err);
	case SH_STRUCT: return make_struct_value(sh, v, path, out, err);
	}
	if (*out == NULL)
		return mx_err_set(err, MX_ENOMEM, "Cannot bind parameter '%s'", mx_buf_str(path));
	return 0;
}

static int bind_param(duckdb_prepared_statement st, idx_t idx, const struct mx_sql_param *p,
                      struct mx_err *err)
{
	if (p->value == NULL || json_is_null(p->value)) {
		if (duckdb_bind_null(st, idx) != DuckDBSuccess)
			return mx_err_set(err, MX_EDB, "Cannot bind parameter '%s'", p->name);
		return 0;
	}
	struct shape sh;
	struct mx_buf path;
	mx_buf_init(&path, MX_SQL_PATH_MAX);
	int rc = mx_sql_shape_from_type(p->type, &sh);
	if (rc == 0)
		rc = shape_add(&sh, p->value);
	if (rc != 0) {
		shape_clear(&sh);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	mx_buf_puts(&path, p->name);
	duckdb_value val = NULL;
	rc = make_value(&sh, p->value, &path, &val, err);
	if (rc == 0 && duckdb_bind_value(st, idx, val) != DuckDBSuccess) {
		const char *msg = duckdb_prepare_error(st);
		rc = mx_err_set(err, MX_EDB, "Cannot bind parameter '%s': %s", p->name, msg ? msg : "");
	}
	if (val)
		duckdb_destroy_value(&val);
	shape_clear(&sh);
	mx_buf_free(&path);
	return rc;
}

/* MX_EINVAL naming the parameters of st not marked in bound[1..n], the
 * message after prefix; 0 when every one is bound. */
static int check_missing(duckdb_prepared_statement st, const unsigned char *bound, idx_t n,
                         const char *prefix, struct mx_err *err)
{
	int rc = 0;
	struct mx_buf missing;
	mx_buf_init(&missing, MX_ERR_MSG_MAX);
	for (idx_t i = 1; i <= n; i++) {
		if (bound[i])
			continue;
		const char *name = duckdb_parameter_name(st, i);
		mx_buf_printf(&missing, "%s%s", missing.len ? ", " : "", name ? name : "?");
		if (name)
			duckdb_free((void *)name);
	}
	if (missing.len)
		rc = mx_err_set(err, MX_EINVAL,
		                "%sValues were not provided for the following prepared statement "
		                "parameters: %s",
		                prefix, mx_buf_str(&missing));
	mx_buf_free(&missing);
	return rc;
}

/* Bind every supplied parameter the statement uses; all of its parameters
 * must have a value. */
int mx_sql_bind_params(duckdb_prepared_statement st, const struct mx_sql_param *params, size_t nparams,
                       struct mx_err *err)
{
	idx_t n = duckdb_nparams(st);
	if (n == 0)
		return 0;
	unsigned char *bound = mx_calloc((size_t)n + 1, 1);
	if (bound == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < nparams && rc == 0; i++) {
		idx_t idx;
		if (params[i].name == NULL ||
		    duckdb_bind_parameter_index(st, &idx, params[i].name) != DuckDBSuccess)
			continue; /* not used by this statement */
		if (idx == 0 || idx > n || bound[idx])
			continue;
		rc = bind_param(st, idx, &params[i], err);
		bound[idx] = 1;
	}
	if (rc == 0)
		rc = check_missing(st, bound, n, "", err);
	mx_free(bound);
	return rc;
}

int mx_sql_bind_values(duckdb_prepared_statement st, const struct mx_sql_value_param *params, size_t nparams,
                       struct mx_err *err)
{
	idx_t n = duckdb_nparams(st);
	if (n == 0)
		return 0;
	unsigned char *bound = mx_calloc((size_t)n + 1, 1);
	if (bound == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < nparams && rc == 0; i++) {
		idx_t idx;
		if (params[i].name == NULL ||
		    duckdb_bind_parameter_index(st, &idx, params[i].name) != DuckDBSuccess)
			continue; /* not used by this statement */
		if (idx == 0 || idx > n || bound[idx])
			continue;
		duckdb_state ok = params[i].value ? duckdb_bind_value(st, idx, params[i].value)
		                                  : duckdb_bind_null(st, idx);
		if (ok != DuckDBSuccess) {
			const char *msg = duckdb_prepare_error(st);
			rc = mx_err_set(err, MX_EDB, "Cannot bind parameter '%s'%s%s", params[i].name,
			                msg ? ": " : "", msg ? msg : "");
		}
		bound[idx] = 1;
	}
	if (rc == 0)
		rc = check_missing(st, bound, n, "Invalid Input Error: ", err);
	mx_free(bound);
	return rc;
}
