/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load — a type from YAML (mx_type_parse: every key checked, every
 * problem located at file:line:col), the kind and format names, and
 * mx_type_free.
 */
#include "types/types_int.h"

#include "core/alloc.h"
#include "core/pytext.h"

#include <ctype.h>
#include <string.h>

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
	mx_type_pattern_free(t->pattern_re);
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

int mx_type_oom(struct mx_err *err)
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
		int rc = mx_type_parse_finite(v->str, v->len, out);
		if (rc == MX_ENOMEM)
			return mx_type_oom(err);
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
int mx_type_to_json_failed(const char *file, const struct mx_yaml_node *n, const char *p, struct mx_err *err)
{
	if (too_deep(n, MX_YAML_MAX_DEPTH))
		return mx_err_at(err, MX_ELIMIT, file, n->line, n->col, "%s: nesting deeper than %d levels",
		                 p, MX_YAML_MAX_DEPTH);
	return mx_type_oom(err);
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
	return *out ? 0 : mx_type_to_json_failed(file, n, p, err);
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
		return mx_type_oom(err);
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
		return mx_type_oom(err);
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
			return mx_type_oom(err);
		t->nrequired++;
	}
	return 0;
}

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
	if (t->pattern != NULL && (rc = mx_type_pattern_compile(file, n, path, t, err)))
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
	return mx_type_check_default(n, file, path, t, err);
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
		return mx_type_oom(err);
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
