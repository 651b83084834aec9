/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact — hide `sensitive` values before a call's arguments reach the
 * audit trail.
 *
 * The endpoint's parameter types say which values are sensitive, at any
 * depth: a parameter, an object property, the items of an array, or any
 * mix (`users[*].credentials.token`). Each sensitive value is replaced by
 * the string "[REDACTED]" whatever its JSON type; everything else is kept
 * as received, including keys no type describes. Pure; runs on the
 * caller's thread; the types are only read.
 */
#ifndef MX_AUDIT_REDACT_H
#define MX_AUDIT_REDACT_H

#include "types/types.h"

#include <jansson.h>
#include <stddef.h>

#define MX_AUDIT_REDACTED "[REDACTED]"

/* Does t, or anything nested in it, carry `sensitive: true`? */
int mx_audit_type_has_sensitive(const struct mx_type *t);

/* A copy of the arguments object `input` (NULL = {}) with the values of
 * sensitive parameters replaced. Returns a new reference (shared with
 * input when nothing needs hiding), or NULL when out of memory. */
json_t *mx_audit_redact(struct mx_type *const *params, size_t nparams, const json_t *input);

/* The same for one value described by one type. */
json_t *mx_audit_redact_value(const struct mx_type *t, const json_t *v);

#endif
