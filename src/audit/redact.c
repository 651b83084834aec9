/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact — see redact.h. Walks the value and its type side by side; only
 * the parts that hold something sensitive are copied, the rest is shared
 * (jansson references), so a call without sensitive parameters costs one
 * walk over its types and no allocation.
 */
#include "audit/redact.h"

#include <string.h>

int mx_audit_type_has_sensitive(const struct mx_type *t)
{
	if (t == NULL)
		return 0;
	if (t->sensitive)
		return 1;
	if (t->items && mx_audit_type_has_sensitive(t->items))
		return 1;
	for (size_t i = 0; i < t->nproperties; i++)
		if (mx_audit_type_has_sensitive(t->properties[i].type))
			return 1;
	return 0;
}

json_t *mx_audit_redact_value(const struct mx_type *t, const json_t *v)
{
	if (v == NULL)
		return NULL;
	if (t == NULL || !mx_audit_type_has_sensitive(t))
		return json_incref((json_t *)v);
	if (t->sensitive)
		return json_string(MX_AUDIT_REDACTED);
	if (json_is_array(v) && t->items) {
		json_t *out = json_array();
		size_t i;
		json_t *item;
		json_array_foreach (v, i, item) {
			json_t *r = mx_audit_redact_value(t->items, item);
			if (out == NULL || r == NULL || json_array_append_new(out, r) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_object(v) && t->nproperties > 0) {
		json_t *out = json_object();
		const char *k;
		json_t *item;
		json_object_foreach ((json_t *)v, k, item) {
			json_t *r = mx_audit_redact_value(mx_type_property(t, k), item);
			if (out == NULL || r == NULL || json_object_set_new(out, k, r) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	/* the value does not have the declared shape: nothing nested to find */
	return json_incref((json_t *)v);
}

json_t *mx_audit_redact(struct mx_type *const *params, size_t nparams, const json_t *input)
{
	if (input == NULL || !json_is_object(input))
		return input ? json_incref((json_t *)input) : json_object();
	int any = 0;
	for (size_t i = 0; i < nparams && !any; i++)
		any = mx_audit_type_has_sensitive(params[i]);
	if (!any)
		return json_incref((json_t *)input);
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)input, k, v) {
		const struct mx_type *t = NULL;
		for (size_t i = 0; i < nparams && t == NULL; i++)
			if (params[i]->name && strcmp(params[i]->name, k) == 0)
				t = params[i];
		json_t *r = mx_audit_redact_value(t, v);
		if (out == NULL || r == NULL || json_object_set_new(out, k, r) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
