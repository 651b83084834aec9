/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy — see policy.h.
 *
 * A set holds two arrays of rules (input, output), each with its compiled
 * CEL program. Enforcement builds one activation per stage: the input
 * activation binds every converted argument plus `user`; the output one
 * binds `user` and, only for rules whose text mentions `response` (an
 * identifier always appears literally in CEL source, so the test is
 * sound), the current result — rebound after a rule rewrites it, so each
 * rule sees what the earlier ones left (MXCP applies output rules
 * cumulatively). Rewrites work in place on values nobody else holds and
 * copy a value before changing it when it is shared (jansson refcount).
 * Runs on the calling thread; a set is read-only after load.
 */
#include "policy/policy.h"

#include "core/alloc.h"
#include "cel/cel.h"

#include <stdio.h>
#include <string.h>

enum action { ACT_DENY, ACT_FILTER_FIELDS, ACT_MASK_FIELDS, ACT_FILTER_SENSITIVE };

static const char *const ACTION_NAMES[] = {"deny", "filter_fields", "mask_fields", "filter_sensitive_fields"};

struct rule {
	struct mx_cel_program *prog;
	enum action action;
	char *reason; /* NULL: the stage's default */
	char **fields;
	size_t nfields;
	int uses_response;
};

struct mx_policy_set {
	struct rule *rules[2];
	size_t n[2];
};

const char *mx_policy_decision_name(enum mx_policy_decision d)
{
	switch (d) {
	case MX_POLICY_ALLOW: return "allow";
	case MX_POLICY_WARN: return "warn";
	case MX_POLICY_DENY: return "deny";
	case MX_POLICY_NA: break;
	}
	return "n/a";
}

/* ------------------------------------------------------------ building */

int mx_policy_set_new(struct mx_policy_set **out)
{
	*out = mx_calloc(1, sizeof **out);
	return *out ? 0 : MX_ENOMEM;
}

static void rule_free(struct rule *r)
{
	mx_cel_program_free(r->prog);
	mx_free(r->reason);
	for (size_t i = 0; i < r->nfields; i++)
		mx_free(r->fields[i]);
	mx_free(r->fields);
}

void mx_policy_set_free(struct mx_policy_set *s)
{
	if (s == NULL)
		return;
	for (int st = 0; st < 2; st++) {
		for (size_t i = 0; i < s->n[st]; i++)
			rule_free(&s->rules[st][i]);
		mx_free(s->rules[st]);
	}
	mx_free(s);
}

size_t mx_policy_set_count(const struct mx_policy_set *s, enum mx_policy_stage stage)
{
	return s ? s->n[stage] : 0;
}

int mx_policy_set_add(struct mx_policy_set *s, enum mx_policy_stage stage, const char *condition,
                      const char *action, const char *reason, const json_t *fields, struct mx_err *err)
{
	struct rule r = {0};
	int found = 0;
	for (int i = 0; i < 4 && !found; i++) {
		if (strcmp(action, ACTION_NAMES[i]) == 0) {
			r.action = (enum action)i;
			found = 1;
		}
	}
	if (!found)
		return mx_err_set(err, MX_EINVAL, "unknown policy action '%s'", action);
	int rc = mx_cel_compile(condition, &r.prog, err);
	if (rc)
		return rc;
	r.uses_response = strstr(condition, "response") != NULL;
	if (reason && (r.reason = mx_strdup(reason)) == NULL)
		goto oom;
	size_t nf = json_array_size(fields);
	if (nf && (r.fields = mx_calloc(nf, sizeof *r.fields)) == NULL)
		goto oom;
	for (size_t i = 0; i < nf; i++) {
		const char *f = json_string_value(json_array_get(fields, i));
		if (f == NULL)
			continue;
		if ((r.fields[r.nfields] = mx_strdup(f)) == NULL)
			goto oom;
		r.nfields++;
	}
	struct rule *grown = mx_realloc(s->rules[stage], (s->n[stage] + 1) * sizeof *grown);
	if (grown == NULL)
		goto oom;
	s->rules[stage] = grown;
	grown[s->n[stage]++] = r;
	return 0;
oom:
	rule_free(&r);
	return mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ rewrites */

/* v itself when nobody else holds it, else a deep copy (v released). NULL on out of memory. */
static json_t *own(json_t *v)
{
	if (v == NULL || v->refcount <= 1)
		return v;
	json_t *c = json_deep_copy(v);
	json_decref(v);
	return c;
}

/* Make the member/item about to be changed private to its (private) container. 0 or -1. */
static int unshare_key(json_t *obj, const char *k)
{
	json_t *c = json_object_get(obj, k);
	if (c == NULL || c->refcount <= 1)
		return 0;
	return json_object_set_new(obj, k, json_deep_copy(c)) ? -1 : 0;
}

static int unshare_index(json_t *arr, size_t i)
{
	json_t *c = json_array_get(arr, i);
	if (c == NULL || c->refcount <= 1)
		return 0;
	return json_array_set_new(arr, i, json_deep_copy(c)) ? -1 : 0;
}

/* Apply fn to the object, or to every object of the array. */
static json_t *per_row(json_t *v, const char *const *fields, size_t nfields,
                       int (*fn)(json_t *obj, const char *const *fields, size_t nfields))
{
	if (nfields == 0 || !(json_is_object(v) || json_is_array(v)))
		return v;
	if ((v = own(v)) == NULL)
		return NULL;
	if (json_is_object(v)) {
		if (fn(v, fields, nfields))
			goto oom;
		return v;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (!json_is_object(json_array_get(v, i)))
			continue;
		if (unshare_index(v, i) || fn(json_array_get(v, i), fields, nfields))
			goto oom;
	}
	return v;
oom:
	json_decref(v);
	return NULL;
}

static int drop_keys(json_t *obj, const char *const *fields, size_t nfields)
{
	for (size_t i = 0; i < nfields; i++)
		json_object_del(obj, fields[i]);
	return 0;
}

static int mask_keys(json_t *obj, const char *const *fields, size_t nfields)
{
	for (size_t i = 0; i < nfields; i++)
		if (json_object_get(obj, fields[i]) &&
		    json_object_set_new(obj, fields[i], json_string("****")))
			return -1;
	return 0;
}

json_t *mx_policy_filter_fields(json_t *v, const char *const *fields, size_t nfields)
{
	return per_row(v, fields, nfields, drop_keys);
}

json_t *mx_policy_mask_fields(json_t *v, const char *const *fields, size_t nfields)
{
	return per_row(v, fields, nfields, mask_keys);
}

static int may_hold_sensitive(const struct mx_type *t)
{
	return t && (t->sensitive || t->kind == MX_T_OBJECT || t->kind == MX_T_ARRAY);
}

/* v is private to its caller; t is not itself sensitive. */
static int sensitive_in_place(json_t *v, const struct mx_type *t)
{
	if (t->kind == MX_T_OBJECT && json_is_object(v)) {
		if (t->additional_properties == 0) {
			const char *k;
			json_t *val;
			void *tmp;
			json_object_foreach_safe (v, tmp, k, val) {
				if (mx_type_property(t, k) == NULL)
					json_object_del(v, k);
			}
		}
		for (size_t i = 0; i < t->nproperties; i++) {
			const struct mx_type_prop *p = &t->properties[i];
			if (p->type->sensitive) {
				json_object_del(v, p->name);
			} else if (may_hold_sensitive(p->type) && json_object_get(v, p->name)) {
				if (unshare_key(v, p->name) ||
				    sensitive_in_place(json_object_get(v, p->name), p->type))
					return -1;
			}
		}
	} else if (t->kind == MX_T_ARRAY && json_is_array(v) && t->items) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (t->items->sensitive) {
				if (json_array_set_new(v, i, json_null()))
					return -1;
			} else if (may_hold_sensitive(t->items)) {
				if (unshare_index(v, i) || sensitive_in_place(json_array_get(v, i), t->items))
					return -1;
			}
		}
	}
	return 0;
}

json_t *mx_policy_filter_sensitive(json_t *v, const struct mx_type *t)
{
	if (t == NULL || v == NULL)
		return v;
	if (t->sensitive) {
		json_decref(v);
		return json_null();
	}
	if ((v = own(v)) == NULL)
		return NULL;
	if (sensitive_in_place(v, t)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* ---------------------------------------------------------- enforcing */

static const char *const STAGE_NAMES[] = {"input", "output"};

/* Evaluate rule i of a stage: 1 true, 0 false, or a negative code with err filled (fail closed). */
static int condition(const struct mx_policy_set *s, enum mx_policy_stage st, size_t i,
                     const struct mx_cel_activation *act, struct mx_policy_result *res, struct mx_err *err)
{
	bool b = false;
	struct mx_err e;
	mx_err_clear(&e);
	int rc = mx_cel_eval_bool(s->rules[st][i].prog, act, &b, &e);
	if (rc == 0)
		return b ? 1 : 0;
	if (rc == MX_ENOMEM)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	res->decision = MX_POLICY_DENY;
	snprintf(res->reason, sizeof res->reason, "%s[%zu] could not be evaluated (%.400s)", STAGE_NAMES[st],
	         i, e.msg);
	return mx_err_set(err, MX_EPOLICY, "%s: %s[%zu] could not be evaluated (%.1900s)",
	                  st == MX_POLICY_INPUT ? "Policy enforcement failed"
	                                        : "Output policy enforcement failed",
	                  STAGE_NAMES[st], i, e.msg);
}

static int deny(struct mx_policy_result *res, const char *prefix, const char *reason, struct mx_err *err)
{
	res->decision = MX_POLICY_DENY;
	snprintf(res->reason, sizeof res->reason, "%s", reason);
	return mx_err_set(err, MX_EPOLICY, "%s: %s", prefix, reason);
}

int mx_policy_enforce_input(const struct mx_policy_set *s, const json_t *args, const json_t *user,
                            struct mx_policy_result *res, struct mx_err *err)
{
	if (res->decision == MX_POLICY_NA)
		res->decision = MX_POLICY_ALLOW;
	if (s == NULL || s->n[MX_POLICY_INPUT] == 0)
		return 0;
	struct mx_cel_activation *act = NULL;
	int rc = mx_cel_activation_from_json(json_is_object(args) ? args : NULL, &act, err);
	if (rc == 0)
		rc = mx_cel_activation_bind_json(act, "user", user, err);
	for (size_t i = 0; rc == 0 && i < s->n[MX_POLICY_INPUT]; i++) {
		const struct rule *r = &s->rules[MX_POLICY_INPUT][i];
		if (r->action != ACT_DENY) /* MXCP: other actions are no-ops on input */
			continue;
		rc = condition(s, MX_POLICY_INPUT, i, act, res, err);
		if (rc == 1)
			rc = deny(res, "Policy enforcement failed",
			          r->reason ? r->reason : "Access denied by policy", err);
	}
	mx_cel_activation_free(act);
	return rc;
}

int mx_policy_enforce_output(const struct mx_policy_set *s, const struct mx_type *ret, const json_t *user,
                             json_t **value, struct mx_policy_result *res, struct mx_err *err)
{
	if (res->decision == MX_POLICY_NA)
		res->decision = MX_POLICY_ALLOW;
	if (s == NULL || s->n[MX_POLICY_OUTPUT] == 0)
		return 0;
	struct mx_cel_activation *act = NULL;
	int rc = mx_cel_activation_new(&act);
	if (rc)
		return mx_err_set(err, rc, "out of memory");
	rc = mx_cel_activation_bind_json(act, "user", user, err);
	int response_bound = 0;
	const char *modified_by = NULL;
	for (size_t i = 0; rc == 0 && i < s->n[MX_POLICY_OUTPUT]; i++) {
		const struct rule *r = &s->rules[MX_POLICY_OUTPUT][i];
		if (r->uses_response && !response_bound) {
			const json_t *resp = *value ? *value : json_null();
			if ((rc = mx_cel_activation_bind_json(act, "response", resp, err)) != 0)
				break;
			response_bound = 1;
		}
		rc = condition(s, MX_POLICY_OUTPUT, i, act, res, err);
		if (rc != 1)
			continue;
		rc = 0;
		json_t *v = *value;
		switch (r->action) {
		case ACT_DENY:
			rc = deny(res, "Output policy enforcement failed",
			          r->reason ? r->reason : "Output blocked by policy", err);
			continue;
		case ACT_FILTER_FIELDS:
			if (r->nfields == 0)
				continue;
			v = mx_policy_filter_fields(v, (const char *const *)r->fields, r->nfields);
			break;
		case ACT_MASK_FIELDS:
			if (r->nfields == 0)
				continue;
			v = mx_policy_mask_fields(v, (const char *const *)r->fields, r->nfields);
			break;
		case ACT_FILTER_SENSITIVE: v = mx_policy_filter_sensitive(v, ret); break;
		}
		*value = v;
		if (v == NULL) {
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			break;
		}
		modified_by = ACTION_NAMES[r->action];
		response_bound = 0;
	}
	mx_cel_activation_free(act);
	if (rc == 0 && modified_by) {
		res->decision = MX_POLICY_WARN;
		snprintf(res->reason, sizeof res->reason, "Output modified by %s", modified_by);
	}
	return rc;
}
