/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types — MXCP's type system (the public API of src/types/; types_int.h
 * has its layout).
 *
 * A struct mx_type is parsed once from an endpoint's YAML (a parameter, a
 * `return`, or a nested `items`/`properties` entry) and is immutable after.
 * It does three jobs:
 *   - converts and validates call arguments (MCP JSON or CLI strings) into
 *     typed JSON values, with errors that name the parameter path
 *     (`Error validating parameter 'filters[2].date': …`);
 *   - validates return values (`Output validation failed: …`);
 *   - emits JSON Schema for MCP (`inputSchema`, `outputSchema`).
 * Semantics follow MXCP's TypeValidator (shared/spec/mxcp.md §5, §4.10).
 * Thread-safe after parsing (read-only; the compiled regex is used through
 * per-call match data).
 */
#ifndef MX_TYPES_TYPES_H
#define MX_TYPES_TYPES_H

#include "core/err.h"
#include "core/yaml.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum mx_type_kind {
	MX_T_STRING,
	MX_T_NUMBER,
	MX_T_INTEGER,
	MX_T_BOOLEAN,
	MX_T_ARRAY,
	MX_T_OBJECT,
};

enum mx_format {
	MX_FMT_NONE,
	MX_FMT_EMAIL,
	MX_FMT_URI,
	MX_FMT_DATE,
	MX_FMT_TIME,
	MX_FMT_DATE_TIME,
	MX_FMT_DURATION,
	MX_FMT_TIMESTAMP,
};

struct mx_type;

struct mx_type_prop {
	char *name;
	struct mx_type *type;
};

struct mx_type {
	enum mx_type_kind kind;
	enum mx_format format;
	char *name; /* parameters only */
	char *description;
	json_t *default_value; /* NULL when absent; json null when `default: null` */
	json_t *examples; /* array or NULL */
	json_t *enum_values; /* array or NULL */
	int sensitive;
	int64_t min_length, max_length; /* -1 when absent */
	char *pattern;
	void *pattern_re; /* compiled pcre2_code, or NULL */
	int has_minimum, has_maximum, has_exclusive_minimum, has_exclusive_maximum, has_multiple_of;
	double minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
	int64_t min_items, max_items; /* -1 when absent */
	int unique_items;
	struct mx_type *items;
	struct mx_type_prop *properties;
	size_t nproperties;
	char **required;
	size_t nrequired;
	int additional_properties; /* -1 unspecified (allowed), 0 false, 1 true */
	int line, col; /* where the type was defined */
};

/*
 * Parse a type from YAML. `file` and `path` (the node's dotted path, e.g.
 * "tool.parameters[0]") locate errors, which read like every config error:
 * "<file>:<line>:<col>: <path>.<field>: <problem>" (see mx_yaml_check_keys).
 * With is_param, a `name` is required and must match ^[A-Za-z_][A-Za-z0-9_]*$.
 * Unknown keys are errors. A default that does not fit the type is an error
 * located at the default.
 */
int mx_type_parse(const struct mx_yaml_node *n, const char *file, const char *path, int is_param,
                  struct mx_type **out, struct mx_err *err);
void mx_type_free(struct mx_type *t);
/* The declared type of property `name` of an object type, or NULL. */
const struct mx_type *mx_type_property(const struct mx_type *t, const char *name);
const char *mx_type_kind_name(enum mx_type_kind k);
/* "date-time" etc.; NULL for MX_FMT_NONE. */
const char *mx_format_name(enum mx_format f);

/*
 * Convert and validate one value against t (input direction). `path` is the
 * value's path for messages, e.g. "filters[2].date". On success *out is a
 * new reference. String parameters accept numbers and booleans and turn them
 * into strings; arrays/objects accept JSON text; formats are checked.
 * A failure reads "Error validating parameter '<path of the failing value>':
 * <detail>" (e.g. 'filters[2].date' when path is "filters"); with a NULL or
 * empty path it is "<detail>", or "<nested path>: <detail>".
 * Formatted strings come out as Python's isoformat() prints them: date
 * "YYYY-MM-DD", time "HH:MM:SS[.ffffff]", date-time
 * "YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM]" (Z becomes +00:00), timestamp
 * (epoch seconds, read as UTC) "YYYY-MM-DDTHH:MM:SS[.ffffff]".
 */
int mx_type_convert(const struct mx_type *t, const json_t *in, const char *path, json_t **out,
                    struct mx_err *err);

/*
 * The whole argument step of a call: apply defaults, report missing
 * (`Required parameter missing: x`) and unknown (`Unknown parameter: x`)
 * parameters, check top-level enums, convert each parameter. `args` is a JSON
 * object (NULL = no arguments). On success *out is a new object holding every
 * parameter that has a value.
 */
int mx_params_convert(struct mx_type *const *params, size_t nparams, const json_t *args, json_t **out,
                      struct mx_err *err);

/* Validate a result against a return type (`Output validation failed: …`). */
int mx_type_check_output(const struct mx_type *t, const json_t *v, struct mx_err *err);

/* JSON Schema of one type (description, constraints, enum, default, examples). */
json_t *mx_type_json_schema(const struct mx_type *t);
/* MCP inputSchema for a parameter list: {"type":"object","properties":…,"required":[…]}. */
json_t *mx_params_input_schema(struct mx_type *const *params, size_t nparams);
/* MCP outputSchema for a return type: objects as themselves, everything else
 * wrapped as {"type":"object","properties":{"result":…},"required":["result"]}.
 * Properties admit null. NULL when ret is NULL. */
json_t *mx_type_output_schema(const struct mx_type *ret);

#endif
