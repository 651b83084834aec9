/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema — the JSON Schema of a type (MCP inputSchema and outputSchema).
 */
#include "types/types_int.h"

#include <math.h>

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

static json_t *schema_of(const struct mx_type *t, int nullable, int children_nullable);

/* A nullable schema as MXCP's (pydantic's `T | None`) spells it:
 * {"anyOf": [<T>, {"type": "null"}]}, with the annotations (description,
 * default, examples) on the outside. Type arrays (`type: [T, "null"]`) are
 * refused by some function-calling schemas. */
static json_t *nullable_of(const struct mx_type *t, int children_nullable)
{
	json_t *inner = schema_of(t, 0, children_nullable);
	json_t *o = inner ? json_object() : NULL;
	if (o == NULL) {
		json_decref(inner);
		return NULL;
	}
	static const char *const outside[] = {"description", "default", "examples"};
	int rc = 0;
	for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
		json_t *v = json_object_get(inner, outside[i]);
		if (v) {
			rc |= json_object_set(o, outside[i], v);
			rc |= json_object_del(inner, outside[i]);
		}
	}
	rc |= put(o, "anyOf", json_pack("[o{ss}]", inner, "type", "null"));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* nullable: the value may also be null (output schemas: SQL NULLs). The
 * children of an output schema are nullable all the way down. */
static json_t *schema_of(const struct mx_type *t, int nullable, int children_nullable)
{
	if (nullable)
		return nullable_of(t, children_nullable);
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	int rc = 0;
	const char *kind = mx_type_kind_name(t->kind);
	rc |= put(o, "type", json_string(kind));
	/* `timestamp` is ours, not a JSON Schema format (and accepts numbers) */
	if (t->format != MX_FMT_NONE && t->format != MX_FMT_TIMESTAMP)
		rc |= put(o, "format", json_string(mx_format_name(t->format)));
	if (t->description != NULL)
		rc |= put(o, "description", json_string(t->description));
	if (t->enum_values != NULL)
		rc |= put(o, "enum", json_deep_copy(t->enum_values));
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
