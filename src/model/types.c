/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types — see types.h.
 *
 * Conversion follows MXCP's TypeConverter (Python): numbers are parsed the
 * way float()/int() parse them, messages print values the way Python's
 * str()/repr() would (`Value must be >= 1.0`, `['a', 'b']`), dates are
 * checked as strptime/fromisoformat check them and come out as the ISO text
 * Python's isoformat() would print. Where we go beyond MXCP it is on purpose:
 * errors name the exact nested path (`filters[2].date`), `pattern` is
 * enforced with PCRE2 (search semantics, as JSON Schema), string lengths
 * count code points, and a default that does not fit its type is a load
 * error.
 *
 * Everything here is pure: a parsed struct mx_type is never written again,
 * conversion builds new JSON values, and regex matching uses per-call match
 * data, so all of it may run on any thread. PCRE2 allocates through
 * mx_malloc/mx_free like the rest of the tree.
 */
#include "model/types.h"

#include "core/alloc.h"
#include "core/time.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/pytext.h"
#include "core/utf8.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Bound on nested items/properties (YAML aliases can even make a cycle). */
#define MX_TYPE_MAX_DEPTH 64
/* Bound on a value path such as "filters[2].date" in messages. */
#define MX_TYPE_PATH_MAX 1024

/* ------------------------------------------------------------------ names */

const char *mx_type_kind_name(enum mx_type_kind k)
{
	switch (k) {
	case MX_T_STRING: return "string";
	case MX_T_NUMBER: return "number";
	case MX_T_INTEGER: return "integer";
	case MX_T_BOOLEAN: return "boolean";
	case MX_T_ARRAY: return "array";
	case MX_T_OBJECT: return "object";
	}
	return "?";
}

const char *mx_format_name(enum mx_format f)
{
	switch (f) {
	case MX_FMT_NONE: return NULL;
	case MX_FMT_EMAIL: return "email";
	case MX_FMT_URI: return "uri";
	case MX_FMT_DATE: return "date";
	case MX_FMT_TIME: return "time";
	case MX_FMT_DATE_TIME: return "date-time";
	case MX_FMT_DURATION: return "duration";
	case MX_FMT_TIMESTAMP: return "timestamp";
	}
	return NULL;
}

/* ------------------------------------------------- Python-compatible text */

static int in_list(const json_t *list, const json_t *v)
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
static int parse_finite(const char *s, size_t len, double *out)
{
	double d;
	int rc = mx_pytext_parse_float(s, len, &d);
	if (rc == 0 && !isfinite(d))
		rc = MX_EINVAL;
	if (rc == 0)
		*out = d;
	return rc;
}

/* ----------------------------------------------------- format validators */

/* Read between min and max digits at s[*i]; 0 when fewer than min. */
static int read_num(const char *s, size_t len, size_t *i, int min, int max, int *out)
{
	int n = 0, v = 0;
	while (*i < len && n < max && isdigit((unsigned char)s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	*out = v;
	return n >= min;
}

/* Fractional seconds: one or more digits, kept to microseconds. */
static int read_fraction(const char *s, size_t len, size_t *i, int *usec)
{
	int n = 0, v = 0;
	while (*i < len && isdigit((unsigned char)s[*i])) {
		if (n < 6)
			v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	for (int k = n; k < 6; k++)
		v *= 10;
	*usec = v;
	return n > 0;
}

/* strptime(v, "%Y-%m-%d"): four-digit year, one- or two-digit month/day. */
static int parse_date_part(const char *s, size_t len, size_t *i, int *y, int *m, int *d)
{
	if (!read_num(s, len, i, 4, 4, y) || *i >= len || s[(*i)++] != '-')
		return -1;
	if (!read_num(s, len, i, 1, 2, m) || *i >= len || s[(*i)++] != '-')
		return -1;
	if (!read_num(s, len, i, 1, 2, d))
		return -1;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > mx_days_in_month(*y, *m))
		return -1;
	return 0;
}

static int parse_date(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int y, m, d;
	if (parse_date_part(s, len, &i, &y, &m, &d) || i != len)
		return -1;
	snprintf(iso, isosz, "%04d-%02d-%02d", y, m, d);
	return 0;
}

static void put_time(char *out, size_t outsz, int h, int mi, int sec, int usec)
{
	if (usec)
		snprintf(out, outsz, "%02d:%02d:%02d.%06d", h, mi, sec, usec);
	else
		snprintf(out, outsz, "%02d:%02d:%02d", h, mi, sec);
}

/* strptime(v, "%H:%M:%S"), plus optional fractional seconds. */
static int parse_time(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int h, mi, sec, usec = 0;
	if (!read_num(s, len, &i, 1, 2, &h) || i >= len || s[i++] != ':')
		return -1;
	if (!read_num(s, len, &i, 1, 2, &mi) || i >= len || s[i++] != ':')
		return -1;
	if (!read_num(s, len, &i, 1, 2, &sec))
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (!read_fraction(s, len, &i, &usec))
			return -1;
	}
	if (i != len || h > 23 || mi > 59 || sec > 59)
		return -1;
	put_time(iso, isosz, h, mi, sec, usec);
	return 0;
}

/* datetime.fromisoformat(v.replace("Z", "+00:00")): YYYY-MM-DD, then
 * optionally [T or space]HH[:MM[:SS[.f…]]] and Z / ±HH[:MM[:SS]] / ±HHMM.
 * Printed back as isoformat() does. */
static int parse_date_time(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, usec = 0;
	if (parse_date_part(s, len, &i, &y, &mo, &d))
		return -1;
	/* fromisoformat wants two-digit month and day */
	if (i != 10)
		return -1;
	char tz[64] = "";
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (!read_num(s, len, &i, 2, 2, &h))
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			if (!read_num(s, len, &i, 2, 2, &mi))
				return -1;
			if (i < len && s[i] == ':') {
				i++;
				if (!read_num(s, len, &i, 2, 2, &sec))
					return -1;
				if (i < len && (s[i] == '.' || s[i] == ',')) {
					i++;
					if (!read_fraction(s, len, &i, &usec))
						return -1;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (i < len && s[i] == 'Z' && i + 1 == len) {
			snprintf(tz, sizeof tz, "+00:00");
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			char sign = s[i++];
			int th, tm = 0, ts = 0;
			if (!read_num(s, len, &i, 2, 2, &th))
				return -1;
			if (i < len && s[i] == ':') {
				i++;
				if (!read_num(s, len, &i, 2, 2, &tm))
					return -1;
				if (i < len && s[i] == ':') {
					i++;
					if (!read_num(s, len, &i, 2, 2, &ts))
						return -1;
				}
			} else if (i < len && !read_num(s, len, &i, 2, 2, &tm)) {
				return -1;
			}
			if (th > 23 || tm > 59 || ts > 59)
				return -1;
			if (ts)
				snprintf(tz, sizeof tz, "%c%02d:%02d:%02d", sign, th, tm, ts);
			else
				snprintf(tz, sizeof tz, "%c%02d:%02d", sign, th, tm);
		}
	}
	if (i != len)
		return -1;
	char t[64];
	put_time(t, sizeof t, h, mi, sec, usec);
	snprintf(iso, isosz, "%04d-%02d-%02dT%s%s", y, mo, d, t, tz);
	return 0;
}

/* datetime.fromtimestamp(t), in UTC, as isoformat() text. */
static int format_timestamp(double t, char *iso, size_t isosz)
{
	if (!isfinite(t) || fabs(t) > 4e11)
		return -1;
	double whole;
	double frac = modf(t, &whole);
	double us = nearbyint(frac * 1e6);
	int64_t secs = (int64_t)whole;
	if (us >= 1e6) {
		secs++;
		us -= 1e6;
	} else if (us < 0) {
		secs--;
		us += 1e6;
	}
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return -1;
	char tm[64];
	put_time(tm, sizeof tm, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)us);
	snprintf(iso, isosz, "%04" PRId64 "-%02d-%02dT%s", y, m, d, tm);
	return 0;
}

/* re.match(r"[^@]+@[^@]+\.[^@]+", v): anchored at the start only. */
static int is_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	if (at == NULL || at == s)
		return 0;
	const char *dom = at + 1;
	size_t rest = len - (size_t)(dom - s);
	const char *at2 = memchr(dom, '@', rest);
	size_t seg = at2 ? (size_t)(at2 - dom) : rest;
	/* a '.' with a non-@ character on both sides within the segment */
	for (size_t i = 1; i + 1 < seg; i++)
		if (dom[i] == '.')
			return 1;
	return 0;
}

/* re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:.*$", v): '.' stops at a newline and
 * '$' also matches before a final newline. */
static int is_uri(const char *s, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	size_t i = 1;
	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'))
		i++;
	if (i >= len || s[i] != ':')
		return 0;
	const char *nl = memchr(s + i, '\n', len - i);
	return nl == NULL || nl == s + len - 1;
}

/* ^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$ */
static int is_duration(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n') /* Python's '$' */
		len--;
	size_t i = 0;
	if (i >= len || s[i++] != 'P')
		return 0;
	static const char date_units[] = "YMD", time_units[] = "HMS";
	const char *units = date_units;
	int unit = 0, in_time = 0;
	while (i < len) {
		if (s[i] == 'T' && !in_time) {
			in_time = 1;
			units = time_units;
			unit = 0;
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || i >= len)
			return 0;
		const char *u = strchr(units + unit, s[i]);
		if (u == NULL || s[i] == '\0')
			return 0;
		unit = (int)(u - units) + 1;
		i++;
	}
	return 1;
}

/* ------------------------------------------------------------------ regex */

static void *pcre_malloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return mx_malloc(n);
}

static void pcre_free(void *p, void *data)
{
	(void)data;
	mx_free(p);
}

/* 1 match, 0 no match, MX_ENOMEM. Search semantics (unanchored). */
static int pattern_search(const struct mx_type *t, const char *s, size_t len)
{
	pcre2_code *re = t->pattern_re;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		return MX_ENOMEM;
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return MX_ENOMEM;
	return 0; /* no match, invalid UTF-8, or a match limit hit */
}

/* ------------------------------------------------------------------ parse */

static const char *const type_keys[] = {
        "name",
        "type",
        "format",
        "description",
        "default",
        "examples",
        "enum",
        "sensitive",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "items",
        "properties",
        "required",
        "additionalProperties",
        NULL,
};

static const char *const kind_names[] = {"string", "number", "integer", "boolean", "array", "object", NULL};
static const char *const format_names[] = {"email",     "uri",      "date",      "time",
                                           "date-time", "duration", "timestamp", NULL};

void mx_type_free(struct mx_type *t)
{
	if (t == NULL)
		return;
	mx_free(t->name);
	mx_free(t->description);
	json_decref(t->default_value);
	json_decref(t->examples);
	json_decref(t->enum_values);
	mx_free(t->pattern);
	pcre2_code_free(t->pattern_re);
	mx_type_free(t->items);
	for (size_t i = 0; i < t->nproperties; i++) {
		mx_free(t->properties[i].name);
		mx_type_free(t->properties[i].type);
	}
	mx_free(t->properties);
	for (size_t i = 0; i < t->nrequired; i++)
		mx_free(t->required[i]);
	mx_free(t->required);
	mx_free(t);
}

static int is_null_node(const struct mx_yaml_node *n)
{
	return n == NULL || (n->kind == MX_YAML_SCALAR && mx_yaml_resolve(n, NULL) == MX_YT_NULL);
}

static int oom(struct mx_err *err)
{
	return mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* "Input should be 'a', 'b' or 'c'" as pydantic words a Literal mismatch. */
static int bad_literal(const char *file, const struct mx_yaml_node *v, const char *path, const char *key,
                       const char *const *names, struct mx_err *err)
{
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	for (size_t i = 0; names[i]; i++)
		mx_buf_printf(&b, "%s'%s'", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, key);
	mx_err_at(err, MX_EINVAL, file, v->line, v->col, "%s: Input should be %s", p, mx_buf_str(&b));
	mx_buf_free(&b);
	return MX_EINVAL;
}

/* An enum-like string field: `*out` is the index in names, or keeps its value. */
static int get_literal(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                       int required, const char *const *names, int *out, struct mx_err *err)
{
	char *s = NULL;
	int rc = mx_yaml_get_str(file, map, path, key, required, &s, err);
	if (rc || s == NULL)
		return rc;
	for (int i = 0; names[i]; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			mx_free(s);
			return 0;
		}
	}
	mx_free(s);
	return bad_literal(file, mx_yaml_map_get(map, key), path, key, names, err);
}

/* pydantic's lax mode reads numeric strings into int and float fields, and
 * YAML 1.1 leaves `1e20` a string: accept those as numbers. */
static int get_number(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                      int *present, double *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	if (mx_yaml_is_str(v)) {
		int rc = parse_finite(v->str, v->len, out);
		if (rc == MX_ENOMEM)
			return oom(err);
		if (rc == 0) {
			*present = 1;
			return 0;
		}
	}
	return mx_yaml_get_num(file, map, path, key, present, out, err);
}

/* A non-negative integer field (pydantic Field(ge=0)); -1 when absent. */
static int get_count(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                     int64_t *out, struct mx_err *err)
{
	int64_t v = INT64_MIN;
	const struct mx_yaml_node *n = mx_yaml_map_get(map, key);
	int rc = 0;
	if (!mx_yaml_is_str(n) || mx_pytext_parse_int(n->str, n->len, 10, &v) != 0)
		rc = mx_yaml_get_int(file, map, path, key, &v, err);
	if (rc)
		return rc;
	if (v == INT64_MIN) {
		*out = -1;
		return 0;
	}
	if (v < 0) {
		char p[MX_TYPE_PATH_MAX];
		mx_yaml_path(p, sizeof p, path, key);
		return mx_err_at(err, MX_EINVAL, file, n->line, n->col,
		                 "%s: Input should be greater than or equal to 0", p);
	}
	*out = v;
	return 0;
}

/* Is the subtree deeper than limit? (An alias can make it cyclic.) */
static int too_deep(const struct mx_yaml_node *n, int limit)
{
	if (limit < 0)
		return 1;
	size_t count = n->kind == MX_YAML_MAP ? 2 * n->n : n->kind == MX_YAML_SEQ ? n->n : 0;
	for (size_t i = 0; i < count; i++)
		if (too_deep(n->items[i], limit - 1))
			return 1;
	return 0;
}

/* mx_yaml_to_json failed: out of memory, or nested beyond the YAML limit. */
static int to_json_failed(const char *file, const struct mx_yaml_node *n, const char *p, struct mx_err *err)
{
	if (too_deep(n, MX_YAML_MAX_DEPTH))
		return mx_err_at(err, MX_ELIMIT, file, n->line, n->col, "%s: nesting deeper than %d levels",
		                 p, MX_YAML_MAX_DEPTH);
	return oom(err);
}

/* A list field kept as JSON (examples, enum); NULL stays NULL. */
static int get_json_list(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                         json_t **out, struct mx_err *err)
{
	const struct mx_yaml_node *n = mx_yaml_map_get(map, key);
	if (is_null_node(n))
		return 0;
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, key);
	int rc = mx_yaml_expect_seq(file, n, p, err);
	if (rc)
		return rc;
	*out = mx_yaml_to_json(n);
	return *out ? 0 : to_json_failed(file, n, p, err);
}

static int check_param_name(const char *file, const struct mx_yaml_node *map, const char *path,
                            const char *name, struct mx_err *err)
{
	const char *problem = NULL;
	if (name[0] == '\0')
		problem = "Parameter name cannot be empty";
	else if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		problem = "Parameter name must start with a letter or underscore";
	else
		for (const char *p = name; *p && problem == NULL; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				problem = "Parameter name must contain only alphanumeric characters or "
				          "underscores";
	if (problem == NULL)
		return 0;
	const struct mx_yaml_node *n = mx_yaml_map_get(map, "name");
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, "name");
	return mx_err_at(err, MX_EINVAL, file, n->line, n->col, "%s: %s", p, problem);
}

static int compile_pattern(const char *file, const struct mx_yaml_node *map, const char *path,
                           struct mx_type *t, struct mx_err *err)
{
	pcre2_general_context *gc = pcre2_general_context_create(pcre_malloc, pcre_free, NULL);
	pcre2_compile_context *cc = gc ? pcre2_compile_context_create(gc) : NULL;
	if (cc == NULL) {
		pcre2_general_context_free(gc);
		return oom(err);
	}
	int errcode = 0;
	PCRE2_SIZE erroff = 0;
	/* ECMA-262 (JSON Schema) '$' matches only at the very end */
	t->pattern_re = pcre2_compile((PCRE2_SPTR)t->pattern, strlen(t->pattern),
	                              PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gc);
	if (t->pattern_re != NULL)
		return 0;
	if (errcode == PCRE2_ERROR_HEAP_FAILED)
		return oom(err);
	PCRE2_UCHAR msg[256];
	if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", errcode);
	const struct mx_yaml_node *n = mx_yaml_map_get(map, "pattern");
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, "pattern");
	return mx_err_at(err, MX_EINVAL, file, n->line, n->col,
	                 "%s: invalid regular expression: %s at offset %zu", p, (const char *)msg,
	                 (size_t)erroff);
}

static int parse_type(const struct mx_yaml_node *n, const char *file, const char *path, int is_param,
                      int depth, struct mx_type **out, struct mx_err *err);

static int add_property(struct mx_type *t, const char *name, struct mx_type *pt, struct mx_err *err)
{
	/* a repeated key keeps its first position and takes the last value (PyYAML + dict) */
	for (size_t i = 0; i < t->nproperties; i++) {
		if (strcmp(t->properties[i].name, name) == 0) {
			mx_type_free(t->properties[i].type);
			t->properties[i].type = pt;
			return 0;
		}
	}
	struct mx_type_prop *p = mx_realloc(t->properties, (t->nproperties + 1) * sizeof *p);
	char *copy = mx_strdup(name);
	if (p == NULL || copy == NULL) {
		if (p != NULL)
			t->properties = p;
		mx_free(copy);
		mx_type_free(pt);
		return oom(err);
	}
	t->properties = p;
	p[t->nproperties].name = copy;
	p[t->nproperties].type = pt;
	t->nproperties++;
	return 0;
}

static int is_merge_key(const struct mx_yaml_node *k)
{
	return k->kind == MX_YAML_SCALAR && k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

/* properties: {name: Type}; merge keys (`<<: *common`) first, then explicit keys. */
static int parse_properties(const struct mx_yaml_node *map, const char *file, const char *path, int depth,
                            struct mx_type *t, struct mx_err *err)
{
	int rc = mx_yaml_expect_map(file, map, path, err);
	if (rc)
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < map->n; i++) {
			const struct mx_yaml_node *k = map->items[2 * i], *v = map->items[2 * i + 1];
			if (is_merge_key(k) != (pass == 0))
				continue;
			if (pass == 0) {
				size_t cnt = v->kind == MX_YAML_SEQ ? v->n : 1;
				for (size_t j = 0; j < cnt; j++) {
					const struct mx_yaml_node *src =
					        v->kind == MX_YAML_SEQ ? v->items[j] : v;
					if (src->kind != MX_YAML_MAP || depth > MX_TYPE_MAX_DEPTH)
						return mx_err_at(err, MX_EINVAL, file, src->line, src->col,
						                 "%s: merge value must be a mapping", path);
					rc = parse_properties(src, file, path, depth + 1, t, err);
					if (rc)
						return rc;
				}
				continue;
			}
			if (k->kind != MX_YAML_SCALAR)
				return mx_err_at(err, MX_EINVAL, file, k->line, k->col,
				                 "%s: property names must be strings", path);
			char p[MX_TYPE_PATH_MAX];
			mx_yaml_path(p, sizeof p, path, k->str);
			struct mx_type *pt = NULL;
			rc = parse_type(v, file, p, 0, depth + 1, &pt, err);
			if (rc == 0)
				rc = add_property(t, k->str, pt, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int parse_required(const struct mx_yaml_node *n, const char *file, const char *path, struct mx_type *t,
                          struct mx_err *err)
{
	int rc = mx_yaml_expect_seq(file, n, path, err);
	if (rc)
		return rc;
	t->required = mx_calloc(n->n ? n->n : 1, sizeof *t->required);
	if (t->required == NULL)
		return oom(err);
	for (size_t i = 0; i < n->n; i++) {
		const struct mx_yaml_node *item = n->items[i];
		if (!mx_yaml_is_str(item)) {
			char p[MX_TYPE_PATH_MAX];
			mx_yaml_path_index(p, sizeof p, path, i);
			return mx_err_at(err, MX_EINVAL, file, item->line, item->col,
			                 "%s: expected a string, got %s", p,
			                 mx_yaml_type_name(mx_yaml_resolve(item, NULL)));
		}
		if ((t->required[i] = mx_strndup(item->str, item->len)) == NULL)
			return oom(err);
		t->nrequired++;
	}
	return 0;
}

static int check_default(const struct mx_yaml_node *map, const char *file, const char *path,
                         struct mx_type *t, struct mx_err *err);

static int parse_fields(const struct mx_yaml_node *n, const char *file, const char *path, int is_param,
                        int depth, struct mx_type *t, struct mx_err *err)
{
	int rc;
	int kind = -1, fmt = -1;
	if ((rc = mx_yaml_check_keys(file, n, path, type_keys, err)))
		return rc;
	if ((rc = mx_yaml_get_str(file, n, path, "name", is_param, &t->name, err)))
		return rc;
	if (is_param && (rc = check_param_name(file, n, path, t->name, err)))
		return rc;
	if ((rc = get_literal(file, n, path, "type", 1, kind_names, &kind, err)))
		return rc;
	t->kind = (enum mx_type_kind)kind;
	if ((rc = get_literal(file, n, path, "format", 0, format_names, &fmt, err)))
		return rc;
	t->format = fmt < 0 ? MX_FMT_NONE : (enum mx_format)(fmt + 1);
	if ((rc = mx_yaml_get_str(file, n, path, "description", 0, &t->description, err)))
		return rc;
	if ((rc = get_json_list(file, n, path, "examples", &t->examples, err)) ||
	    (rc = get_json_list(file, n, path, "enum", &t->enum_values, err)))
		return rc;
	if ((rc = mx_yaml_get_bool(file, n, path, "sensitive", &t->sensitive, err)))
		return rc;
	if ((rc = get_count(file, n, path, "minLength", &t->min_length, err)) ||
	    (rc = get_count(file, n, path, "maxLength", &t->max_length, err)) ||
	    (rc = get_count(file, n, path, "minItems", &t->min_items, err)) ||
	    (rc = get_count(file, n, path, "maxItems", &t->max_items, err)))
		return rc;
	if ((rc = mx_yaml_get_str(file, n, path, "pattern", 0, &t->pattern, err)))
		return rc;
	if (t->pattern != NULL && (rc = compile_pattern(file, n, path, t, err)))
		return rc;
	if ((rc = get_number(file, n, path, "minimum", &t->has_minimum, &t->minimum, err)) ||
	    (rc = get_number(file, n, path, "maximum", &t->has_maximum, &t->maximum, err)) ||
	    (rc = get_number(file, n, path, "exclusiveMinimum", &t->has_exclusive_minimum,
	                     &t->exclusive_minimum, err)) ||
	    (rc = get_number(file, n, path, "exclusiveMaximum", &t->has_exclusive_maximum,
	                     &t->exclusive_maximum, err)) ||
	    (rc = get_number(file, n, path, "multipleOf", &t->has_multiple_of, &t->multiple_of, err)))
		return rc;
	if (t->has_multiple_of && !(t->multiple_of > 0)) {
		/* Python would divide by zero at call time; JSON Schema requires > 0 */
		const struct mx_yaml_node *v = mx_yaml_map_get(n, "multipleOf");
		char p[MX_TYPE_PATH_MAX];
		mx_yaml_path(p, sizeof p, path, "multipleOf");
		return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "%s: Input should be greater than 0",
		                 p);
	}
	if ((rc = mx_yaml_get_bool(file, n, path, "uniqueItems", &t->unique_items, err)) ||
	    (rc = mx_yaml_get_bool(file, n, path, "additionalProperties", &t->additional_properties, err)))
		return rc;

	char p[MX_TYPE_PATH_MAX];
	const struct mx_yaml_node *items = mx_yaml_map_get(n, "items");
	if (!is_null_node(items)) {
		mx_yaml_path(p, sizeof p, path, "items");
		if ((rc = parse_type(items, file, p, 0, depth + 1, &t->items, err)))
			return rc;
	}
	const struct mx_yaml_node *props = mx_yaml_map_get(n, "properties");
	if (!is_null_node(props)) {
		mx_yaml_path(p, sizeof p, path, "properties");
		if ((rc = parse_properties(props, file, p, depth, t, err)))
			return rc;
	}
	const struct mx_yaml_node *req = mx_yaml_map_get(n, "required");
	if (!is_null_node(req)) {
		mx_yaml_path(p, sizeof p, path, "required");
		if ((rc = parse_required(req, file, p, t, err)))
			return rc;
	}
	return check_default(n, file, path, t, err);
}

static int parse_type(const struct mx_yaml_node *n, const char *file, const char *path, int is_param,
                      int depth, struct mx_type **out, struct mx_err *err)
{
	*out = NULL;
	int rc = mx_yaml_expect_map(file, n, path, err);
	if (rc)
		return rc;
	if (depth > MX_TYPE_MAX_DEPTH)
		return mx_err_at(err, MX_ELIMIT, file, n->line, n->col,
		                 "%s: types nested deeper than %d levels", path && *path ? path : "type",
		                 MX_TYPE_MAX_DEPTH);
	struct mx_type *t = mx_calloc(1, sizeof *t);
	if (t == NULL)
		return oom(err);
	t->min_length = t->max_length = t->min_items = t->max_items = -1;
	t->additional_properties = -1;
	t->line = n->line;
	t->col = n->col;
	rc = parse_fields(n, file, path, is_param, depth, t, err);
	if (rc) {
		mx_type_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int mx_type_parse(const struct mx_yaml_node *n, const char *file, const char *path, int is_param,
                  struct mx_type **out, struct mx_err *err)
{
	return parse_type(n, file, path ? path : "", is_param, 0, out, err);
}

/* ------------------------------------------------------------- conversion */

struct conv {
	char path[MX_TYPE_PATH_MAX];
	size_t plen;
	char msg[MX_ERR_MSG_MAX];
};

static void conv_init(struct conv *c, const char *path)
{
	snprintf(c->path, sizeof c->path, "%s", path ? path : "");
	c->plen = strlen(c->path);
	c->msg[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static int conv_fail(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	return MX_EINVAL;
}

static int convert_value(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out);

static int conv_oom(struct conv *c)
{
	snprintf(c->msg, sizeof c->msg, "out of memory");
	return MX_ENOMEM;
}

/* Enter a child path ("[2]" or ".key"); returns the length to restore. On a
 * failure the path is left pointing at the failing value. */
static size_t path_index(struct conv *c, size_t i)
{
	size_t old = c->plen;
	snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%zu]", i);
	c->plen += strlen(c->path + c->plen);
	return old;
}

static size_t path_key(struct conv *c, const char *k)
{
	size_t old = c->plen;
	snprintf(c->path + c->plen, sizeof c->path - c->plen, "%s%s", c->plen ? "." : "", k);
	c->plen += strlen(c->path + c->plen);
	return old;
}

static void path_restore(struct conv *c, size_t old)
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

static int convert_string(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	char numbuf[64], iso[256];
	const char *s = NULL;
	size_t len = 0;
	enum mx_format f = t->format;

	if ((f == MX_FMT_DATE || f == MX_FMT_TIME || f == MX_FMT_DATE_TIME) && !json_is_string(in))
		return conv_fail(c, "Expected string for %s format, got %s", mx_format_name(f),
		                 mx_pytext_type(in));
	if (f == MX_FMT_TIMESTAMP && !json_is_string(in) && !json_is_number(in)) {
		struct mx_buf b;
		mx_buf_init(&b, 512);
		mx_pytext_str(&b, in);
		conv_fail(c, "Invalid timestamp: %s", mx_buf_str(&b));
		mx_buf_free(&b);
		return MX_EINVAL;
	}
	if (scalar_text(in, numbuf, sizeof numbuf, &s, &len))
		return conv_fail(c, "Expected string, got %s", mx_pytext_type(in));

	const char *res = s;
	size_t rlen = len;
	switch (f) {
	case MX_FMT_DATE:
	case MX_FMT_TIME:
	case MX_FMT_DATE_TIME: {
		int bad = f == MX_FMT_DATE   ? parse_date(s, len, iso, sizeof iso)
		          : f == MX_FMT_TIME ? parse_time(s, len, iso, sizeof iso)
		                             : parse_date_time(s, len, iso, sizeof iso);
		if (bad)
			return conv_fail(c, "Invalid %s format: %s", mx_format_name(f), s);
		res = iso;
		rlen = strlen(iso);
		break;
	}
	case MX_FMT_TIMESTAMP: {
		double d = 0;
		int bad = json_is_number(in) ? 0 : parse_finite(s, len, &d);
		if (bad == MX_ENOMEM)
			return conv_oom(c);
		if (json_is_number(in))
			d = json_number_value(in);
		if (bad || format_timestamp(d, iso, sizeof iso))
			return conv_fail(c, "Invalid timestamp: %s", s);
		res = iso;
		rlen = strlen(iso);
		break;
	}
	case MX_FMT_EMAIL:
		if (!is_email(s, len))
			return conv_fail(c, "Invalid email format: %s", s);
		break;
	case MX_FMT_URI:
		if (!is_uri(s, len))
			return conv_fail(c, "Invalid URI format: %s", s);
		break;
	case MX_FMT_DURATION:
		if (!is_duration(s, len))
			return conv_fail(c, "Invalid duration format: %s", s);
		break;
	case MX_FMT_NONE: {
		/* MXCP checks lengths only for strings without a format */
		size_t cp = mx_utf8_count(s, len);
		if (t->min_length >= 0 && cp < (uint64_t)t->min_length)
			return conv_fail(c, "String must be at least %" PRId64 " characters long",
			                 t->min_length);
		if (t->max_length >= 0 && cp > (uint64_t)t->max_length)
			return conv_fail(c, "String must be at most %" PRId64 " characters long",
			                 t->max_length);
		break;
	}
	}
	if (t->pattern_re != NULL) {
		int m = pattern_search(t, s, len);
		if (m < 0)
			return conv_oom(c);
		if (m == 0)
			return conv_fail(c, "String should match pattern '%s'", t->pattern);
	}
	*out = string_value(res, rlen);
	return *out ? 0 : conv_oom(c);
}

/* multipleOf/minimum/maximum/exclusive*, with MXCP's messages; bounds print
 * as Python floats because pydantic stores them as float. */
static int check_bounds(struct conv *c, const struct mx_type *t, double v, int with_exclusive)
{
	char num[40];
	if (with_exclusive && t->has_multiple_of && fmod(v, t->multiple_of) != 0) {
		mx_pytext_float(t->multiple_of, num, sizeof num);
		return conv_fail(c, "Value must be multiple of %s", num);
	}
	if (t->has_minimum && v < t->minimum) {
		mx_pytext_float(t->minimum, num, sizeof num);
		return conv_fail(c, "Value must be >= %s", num);
	}
	if (t->has_maximum && v > t->maximum) {
		mx_pytext_float(t->maximum, num, sizeof num);
		return conv_fail(c, "Value must be <= %s", num);
	}
	if (with_exclusive && t->has_exclusive_minimum && v <= t->exclusive_minimum) {
		mx_pytext_float(t->exclusive_minimum, num, sizeof num);
		return conv_fail(c, "Value must be > %s", num);
	}
	if (with_exclusive && t->has_exclusive_maximum && v >= t->exclusive_maximum) {
		mx_pytext_float(t->exclusive_maximum, num, sizeof num);
		return conv_fail(c, "Value must be < %s", num);
	}
	return 0;
}

static int convert_number(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	double d;
	int prc;
	if (json_is_number(in))
		d = json_number_value(in);
	else if (json_is_boolean(in))
		d = json_is_true(in); /* float(True) == 1.0 */
	else if (!json_is_string(in))
		return conv_fail(c, "Expected number, got %s", mx_pytext_type(in));
	else if ((prc = parse_finite(json_string_value(in), json_string_length(in), &d)))
		return prc == MX_ENOMEM ? conv_oom(c) : conv_fail(c, "Expected number, got str");
	int rc = check_bounds(c, t, d, 1);
	if (rc)
		return rc;
	*out = json_real(d);
	return *out ? 0 : conv_oom(c);
}

static int convert_integer(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
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
			return conv_fail(c, "Integer out of range: %s", num);
		}
		i = (int64_t)d;
	} else if (json_is_string(in)) {
		int prc = mx_pytext_parse_int(json_string_value(in), json_string_length(in), 10, &i);
		if (prc == MX_ELIMIT)
			return conv_fail(c, "Integer out of range: %s", json_string_value(in));
		if (prc)
			return conv_fail(c, "Expected integer, got str");
	} else {
		return conv_fail(c, "Expected integer, got %s", mx_pytext_type(in));
	}
	int rc = check_bounds(c, t, (double)i, 1);
	if (rc)
		return rc;
	*out = json_integer((json_int_t)i);
	return *out ? 0 : conv_oom(c);
}

static int convert_boolean(struct conv *c, const json_t *in, json_t **out)
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

static int convert_array(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	json_t *parsed = NULL;
	const json_t *arr = in;
	if (json_is_string(in)) {
		if ((parsed = parse_json_text(in)) == NULL)
			return conv_fail(c, "Invalid JSON array: %s", json_string_value(in));
		arr = parsed;
	}
	int rc = 0;
	size_t n = json_array_size(arr);
	if (!json_is_array(arr))
		rc = conv_fail(c, "Expected array, got %s", schema_type_of(arr));
	else if (t->min_items >= 0 && n < (uint64_t)t->min_items)
		rc = conv_fail(c, "Array must have at least %" PRId64 " items", t->min_items);
	else if (t->max_items >= 0 && n > (uint64_t)t->max_items)
		rc = conv_fail(c, "Array must have at most %" PRId64 " items", t->max_items);
	if (rc == 0 && t->unique_items) {
		int unique;
		if (items_unique(arr, &unique))
			rc = conv_oom(c);
		else if (!unique)
			rc = conv_fail(c, "Array must contain unique items");
	}
	json_t *res = rc ? NULL : json_array();
	if (rc == 0 && res == NULL)
		rc = conv_oom(c);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const json_t *item = json_array_get(arr, i);
		json_t *conv = NULL;
		if (t->items != NULL) {
			size_t old = path_index(c, i);
			rc = convert_value(c, t->items, item, &conv);
			if (rc)
				break;
			path_restore(c, old);
		} else if ((conv = json_deep_copy(item)) == NULL) {
			rc = conv_oom(c);
			break;
		}
		if (json_array_append_new(res, conv))
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
static int missing_required(const struct mx_type *t, const json_t *obj, struct mx_buf *b)
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

static int convert_object(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
{
	json_t *parsed = NULL;
	const json_t *obj = in;
	if (json_is_string(in)) {
		if ((parsed = parse_json_text(in)) == NULL)
			return conv_fail(c, "Invalid JSON object: %s", json_string_value(in));
		obj = parsed;
	}
	int rc = 0;
	if (!json_is_object(obj)) {
		rc = conv_fail(c, "Expected object, got %s", schema_type_of(obj));
	} else {
		struct mx_buf b;
		mx_buf_init(&b, MX_ERR_MSG_MAX);
		if (missing_required(t, obj, &b))
			rc = conv_fail(c, "Missing required properties: %s", mx_buf_str(&b));
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
			json_t *conv = NULL;
			if (pt != NULL) {
				size_t old = path_key(c, k);
				rc = convert_value(c, pt, v, &conv);
				if (rc)
					break;
				path_restore(c, old);
			} else if (t->additional_properties == 0) {
				rc = conv_fail(c, "Unexpected property: %s", k);
				break;
			} else if ((conv = json_deep_copy(v)) == NULL) {
				rc = conv_oom(c);
				break;
			}
			if (json_object_set_new(res, k, conv)) {
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

static int convert_value(struct conv *c, const struct mx_type *t, const json_t *in, json_t **out)
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
	return conv_fail(c, "unknown type");
}

/* A default must convert cleanly; the error sits on the default node. */
static int check_default(const struct mx_yaml_node *map, const char *file, const char *path,
                         struct mx_type *t, struct mx_err *err)
{
	const struct mx_yaml_node *dn = mx_yaml_map_get(map, "default");
	if (dn == NULL)
		return 0;
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, "default");
	t->default_value = mx_yaml_to_json(dn);
	if (t->default_value == NULL)
		return to_json_failed(file, dn, p, err);
	struct conv c;
	conv_init(&c, p);
	json_t *conv = NULL;
	int rc = convert_value(&c, t, t->default_value, &conv);
	json_decref(conv);
	if (rc == MX_ENOMEM)
		return oom(err);
	if (rc)
		return mx_err_at(err, rc, file, dn->line, dn->col, "%s: %s", c.path, c.msg);
	return 0;
}

int mx_type_convert(const struct mx_type *t, const json_t *in, const char *path, json_t **out,
                    struct mx_err *err)
{
	struct conv c;
	conv_init(&c, path);
	int rc = convert_value(&c, t, in, out);
	if (rc == 0)
		return 0;
	if (rc == MX_ENOMEM)
		return oom(err);
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
	if (json_is_null(v) || in_list(p->enum_values, v))
		return 1;
	struct conv c;
	conv_init(&c, p->name);
	json_t *conv = NULL;
	int rc = convert_value(&c, p, v, &conv);
	int ok = rc == 0 && in_list(p->enum_values, conv);
	json_decref(conv);
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
		return oom(err);
	}
	/* defaults for missing optional parameters (optional iff it has a default) */
	for (size_t i = 0; i < nparams; i++) {
		const struct mx_type *p = params[i];
		if (p->default_value != NULL && json_object_get(work, p->name) == NULL &&
		    json_object_set(work, p->name, p->default_value)) {
			json_decref(work);
			return oom(err);
		}
	}
	int rc = 0;
	for (size_t i = 0; i < nparams && rc == 0; i++)
		if (json_object_get(work, params[i]->name) == NULL)
			rc = mx_err_set(err, MX_EINVAL, "Required parameter missing: %s", params[i]->name);
	json_t *res = rc ? NULL : json_object();
	if (rc == 0 && res == NULL)
		rc = oom(err);
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
				rc = oom(err);
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
			json_t *conv = NULL;
			if ((rc = mx_type_convert(p, v, k, &conv, err)))
				break;
			if (json_object_set_new(res, k, conv)) {
				rc = oom(err);
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

/* ------------------------------------------------------------------ output */

/* Prefix the message already in c->msg ("Array item 2: …"). */
__attribute__((format(printf, 2, 3))) static void msg_prefix(struct conv *c, const char *fmt, ...)
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

static int check_out(struct conv *c, const struct mx_type *t, const json_t *v, int depth)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (depth > MX_TYPE_MAX_DEPTH)
		return conv_fail(c, "value nested too deeply");
	switch (t->kind) {
	case MX_T_STRING: {
		if (!json_is_string(v))
			return conv_fail(c, "Expected string, got %s", mx_pytext_type(v));
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (t->format == MX_FMT_EMAIL && !is_email(s, len))
			return conv_fail(c, "Invalid email format: %s", s);
		if (t->format == MX_FMT_URI && !is_uri(s, len))
			return conv_fail(c, "Invalid URI format: %s", s);
		if (t->format == MX_FMT_DURATION && !is_duration(s, len))
			return conv_fail(c, "Invalid duration format: %s", s);
		size_t cp = mx_utf8_count(s, len);
		if (t->min_length >= 0 && cp < (uint64_t)t->min_length)
			return conv_fail(c, "String must be at least %" PRId64 " characters long",
			                 t->min_length);
		if (t->max_length >= 0 && cp > (uint64_t)t->max_length)
			return conv_fail(c, "String must be at most %" PRId64 " characters long",
			                 t->max_length);
		return 0;
	}
	case MX_T_NUMBER:
		if (!json_is_number(v))
			return conv_fail(c, "Expected number, got %s", mx_pytext_type(v));
		return check_bounds(c, t, json_number_value(v), 0);
	case MX_T_INTEGER:
		if (!json_is_integer(v))
			return conv_fail(c, "Expected integer, got %s", mx_pytext_type(v));
		return check_bounds(c, t, (double)json_integer_value(v), 0);
	case MX_T_BOOLEAN:
		if (!json_is_boolean(v))
			return conv_fail(c, "Expected boolean, got %s", mx_pytext_type(v));
		return 0;
	case MX_T_ARRAY: {
		if (!json_is_array(v))
			return conv_fail(c, "Expected array, got %s", mx_pytext_type(v));
		size_t n = json_array_size(v);
		if (t->min_items >= 0 && n < (uint64_t)t->min_items)
			return conv_fail(c, "Array must have at least %" PRId64 " items", t->min_items);
		if (t->max_items >= 0 && n > (uint64_t)t->max_items)
			return conv_fail(c, "Array must have at most %" PRId64 " items", t->max_items);
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
			return conv_fail(c, "Expected object, got %s", mx_pytext_type(v));
		struct mx_buf b;
		mx_buf_init(&b, MX_ERR_MSG_MAX);
		int rc = 0;
		if (missing_required(t, v, &b))
			rc = conv_fail(c, "Missing required properties: %s", mx_buf_str(&b));
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
				return conv_fail(c, "Unexpected property: %s", k);
			}
		}
		return 0;
	}
	}
	return 0;
}

int mx_type_check_output(const struct mx_type *t, const json_t *v, struct mx_err *err)
{
	struct conv c;
	conv_init(&c, NULL);
	int rc = check_out(&c, t, v, 0);
	if (rc)
		return mx_err_set(err, rc, "Output validation failed: %s", c.msg);
	return 0;
}

/* ------------------------------------------------------------ JSON Schema */

/* Integral bounds print as integers (minimum: 0, not 0.0). */
static json_t *num_json(double d)
{
	if (d == trunc(d) && fabs(d) < 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static int put(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) ? -1 : 0;
}

/* nullable: the value may also be null (output schemas: SQL NULLs). The
 * children of an output schema are nullable all the way down. */
static json_t *schema_of(const struct mx_type *t, int nullable, int children_nullable)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	int rc = 0;
	const char *kind = mx_type_kind_name(t->kind);
	if (nullable)
		rc |= put(o, "type", json_pack("[ss]", kind, "null"));
	else
		rc |= put(o, "type", json_string(kind));
	/* `timestamp` is ours, not a JSON Schema format (and accepts numbers) */
	if (t->format != MX_FMT_NONE && t->format != MX_FMT_TIMESTAMP)
		rc |= put(o, "format", json_string(mx_format_name(t->format)));
	if (t->description != NULL)
		rc |= put(o, "description", json_string(t->description));
	if (t->enum_values != NULL) {
		json_t *e = json_deep_copy(t->enum_values);
		if (e != NULL && nullable && !in_list(e, json_null()))
			rc |= json_array_append_new(e, json_null());
		rc |= put(o, "enum", e);
	}
	if (t->default_value != NULL)
		rc |= put(o, "default", json_deep_copy(t->default_value));
	if (t->examples != NULL)
		rc |= put(o, "examples", json_deep_copy(t->examples));
	if (t->min_length >= 0)
		rc |= put(o, "minLength", json_integer(t->min_length));
	if (t->max_length >= 0)
		rc |= put(o, "maxLength", json_integer(t->max_length));
	if (t->pattern != NULL)
		rc |= put(o, "pattern", json_string(t->pattern));
	if (t->has_minimum)
		rc |= put(o, "minimum", num_json(t->minimum));
	if (t->has_maximum)
		rc |= put(o, "maximum", num_json(t->maximum));
	if (t->has_exclusive_minimum)
		rc |= put(o, "exclusiveMinimum", num_json(t->exclusive_minimum));
	if (t->has_exclusive_maximum)
		rc |= put(o, "exclusiveMaximum", num_json(t->exclusive_maximum));
	if (t->has_multiple_of)
		rc |= put(o, "multipleOf", num_json(t->multiple_of));
	if (t->min_items >= 0)
		rc |= put(o, "minItems", json_integer(t->min_items));
	if (t->max_items >= 0)
		rc |= put(o, "maxItems", json_integer(t->max_items));
	if (t->unique_items)
		rc |= put(o, "uniqueItems", json_true());
	if (t->items != NULL)
		rc |= put(o, "items", schema_of(t->items, children_nullable, children_nullable));
	if (t->nproperties > 0) {
		json_t *props = json_object();
		rc |= props == NULL;
		for (size_t i = 0; props && i < t->nproperties; i++)
			rc |= put(props, t->properties[i].name,
			          schema_of(t->properties[i].type, children_nullable, children_nullable));
		rc |= put(o, "properties", props);
	}
	if (t->nrequired > 0) {
		json_t *req = json_array();
		rc |= req == NULL;
		for (size_t i = 0; req && i < t->nrequired; i++)
			rc |= json_array_append_new(req, json_string(t->required[i]));
		rc |= put(o, "required", req);
	}
	if (t->additional_properties == 0)
		rc |= put(o, "additionalProperties", json_false());
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *mx_type_json_schema(const struct mx_type *t)
{
	return schema_of(t, 0, 0);
}

json_t *mx_params_input_schema(struct mx_type *const *params, size_t nparams)
{
	json_t *o = json_object(), *props = json_object(), *req = json_array();
	int rc = o == NULL || props == NULL || req == NULL;
	for (size_t i = 0; rc == 0 && i < nparams; i++) {
		rc |= put(props, params[i]->name, schema_of(params[i], 0, 0));
		if (params[i]->default_value == NULL)
			rc |= json_array_append_new(req, json_string(params[i]->name));
	}
	if (rc == 0) {
		rc |= put(o, "type", json_string("object"));
		rc |= json_object_set(o, "properties", props);
		if (json_array_size(req) > 0)
			rc |= json_object_set(o, "required", req);
	}
	json_decref(props);
	json_decref(req);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *mx_type_output_schema(const struct mx_type *ret)
{
	if (ret == NULL)
		return NULL;
	if (ret->kind == MX_T_OBJECT)
		return schema_of(ret, 0, 1);
	json_t *result = schema_of(ret, 1, 1);
	if (result == NULL)
		return NULL;
	return json_pack("{s:s, s:{s:o}, s:[s]}", "type", "object", "properties", "result", result,
	                 "required", "result");
}
