/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types_int — internals shared by the files of src/types/ (not a public
 * API: callers include types/types.h).
 *
 * load.c parses a type from YAML (and frees it); convert.c converts call
 * arguments (mx_type_convert, mx_params_convert); check.c validates
 * results; schema.c writes JSON Schema; formats.c checks and normalises
 * the string formats (date, time, date-time, timestamp, email, uri,
 * duration); pattern.c compiles and matches `pattern` with PCRE2.
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
#ifndef MX_TYPES_TYPES_INT_H
#define MX_TYPES_TYPES_INT_H

#include "types/types.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/yaml.h"

#include <jansson.h>
#include <stddef.h>

/* Bound on nested items/properties (YAML aliases can even make a cycle). */
#define MX_TYPE_MAX_DEPTH 64
/* Bound on a value path such as "filters[2].date" in messages. */
#define MX_TYPE_PATH_MAX 1024

/* ---- load.c ---- */

/* "out of memory" into err; MX_ENOMEM. */
int mx_type_oom(struct mx_err *err);
/* A YAML node that does not convert to JSON (at file:line:col of n, field path p). */
int mx_type_to_json_failed(const char *file, const struct mx_yaml_node *n, const char *p, struct mx_err *err);

/* ---- convert.c ---- */

/* A conversion in progress: the path of the value at hand and the message of a failure. */
struct mx_type_conv {
	char path[MX_TYPE_PATH_MAX];
	size_t plen;
	char msg[MX_ERR_MSG_MAX];
};

void mx_type_conv_init(struct mx_type_conv *c, const char *path);
__attribute__((format(printf, 2, 3))) int mx_type_conv_fail(struct mx_type_conv *c, const char *fmt, ...);
/* minLength/maxLength of t against s, counted in code points. */
int mx_type_check_length(struct mx_type_conv *c, const struct mx_type *t, const char *s, size_t len);
/* minimum/maximum/multipleOf (and the exclusive bounds when with_exclusive) of t against v. */
int mx_type_check_bounds(struct mx_type_conv *c, const struct mx_type *t, double v, int with_exclusive);
/* The required properties of t missing from obj, as "'a', 'b'" into b; 0 when none. */
int mx_type_missing_required(const struct mx_type *t, const json_t *obj, struct mx_buf *b);
/* A default that does not fit its type is a load error located at the default. */
int mx_type_check_default(const struct mx_yaml_node *map, const char *file, const char *path,
                          struct mx_type *t, struct mx_err *err);
/* Whether v is in the JSON array list by Python's == (1 == 1.0 == True). */
int mx_type_in_list(const json_t *list, const json_t *v);
/* float(s) as a finite number: inf and nan are not numbers to MXCP. 0, MX_EINVAL, MX_ENOMEM. */
int mx_type_parse_finite(const char *s, size_t len, double *out);

/* ---- formats.c: each 0 when s is valid, the normalised text in iso ---- */

int mx_format_parse_date(const char *s, size_t len, char *iso, size_t isosz);
int mx_format_parse_time(const char *s, size_t len, char *iso, size_t isosz);
int mx_format_parse_date_time(const char *s, size_t len, char *iso, size_t isosz);
int mx_format_timestamp(double t, char *iso, size_t isosz);
/* 1 when valid, 0 when not. */
int mx_format_is_email(const char *s, size_t len);
int mx_format_is_uri(const char *s, size_t len);
int mx_format_is_duration(const char *s, size_t len);

/* ---- pattern.c ---- */

/* Compile t->pattern into t->pattern_re; a bad expression is an error at the `pattern` key of map. */
int mx_type_pattern_compile(const char *file, const struct mx_yaml_node *map, const char *path,
                            struct mx_type *t, struct mx_err *err);
/* 1 match, 0 no match, MX_ENOMEM. Search semantics (unanchored). */
int mx_type_pattern_search(const struct mx_type *t, const char *s, size_t len);
void mx_type_pattern_free(void *re);

#endif
