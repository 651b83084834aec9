/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy — MXCP's policy enforcement (shared/spec/mxcp.md §6) over the CEL
 * engine (cel.h).
 *
 * A struct mx_policy_set is an endpoint's `policies:` block compiled once
 * when the endpoint loads: every rule's condition is a CEL program, its
 * action, reason and fields decoded. It is immutable afterwards and owned by
 * the endpoint, so any number of calls may enforce it at once.
 *
 * Per call (mx_invoke, exec/invoke.c), with the caller's `user` object
 * (auth/identity.h, read from the call context):
 *   - mx_policy_enforce_input runs the input rules over the converted
 *     arguments (each a top-level variable) and `user`: the first true
 *     `deny` fails the call;
 *   - mx_policy_enforce_output runs the output rules over `user` and
 *     `response`, cumulatively: `deny` fails the call, `filter_fields`,
 *     `mask_fields` and `filter_sensitive_fields` rewrite the result.
 * A condition that cannot be evaluated (missing key, type error, not a
 * bool) denies the call and names the rule: we fail closed (§20.2).
 * Denials return MX_EPOLICY with MXCP's messages
 * (`Policy enforcement failed: <reason>`,
 *  `Output policy enforcement failed: <reason>`).
 */
#ifndef MX_POLICY_POLICY_H
#define MX_POLICY_POLICY_H

#include "core/err.h"
#include "types/types.h"

#include <jansson.h>
#include <stddef.h>

struct mx_policy_set;

enum mx_policy_stage { MX_POLICY_INPUT, MX_POLICY_OUTPUT };

enum mx_policy_decision {
	MX_POLICY_NA, /* the endpoint has no policies */
	MX_POLICY_ALLOW,
	MX_POLICY_WARN, /* the output was modified */
	MX_POLICY_DENY,
};

/* "n/a", "allow", "warn", "deny" (the audit record's policy_decision). */
const char *mx_policy_decision_name(enum mx_policy_decision d);

struct mx_policy_result {
	enum mx_policy_decision decision;
	char reason[512]; /* the deny reason or "Output modified by <action>"; "" otherwise */
};

/* ---- building (at load) ---- */

int mx_policy_set_new(struct mx_policy_set **out);
void mx_policy_set_free(struct mx_policy_set *s);

/*
 * Compile one rule and append it to its stage. action is one of deny,
 * filter_fields, mask_fields, filter_sensitive_fields; reason may be NULL;
 * fields is a JSON array of strings or NULL. A CEL syntax error returns
 * MX_EINVAL with err->msg = the engine's message
 * ("ERROR: <input>:1:5: Syntax error: …" plus the caret lines); the caller
 * locates it in the file.
 */
int mx_policy_set_add(struct mx_policy_set *s, enum mx_policy_stage stage, const char *condition,
                      const char *action, const char *reason, const json_t *fields, struct mx_err *err);

size_t mx_policy_set_count(const struct mx_policy_set *s, enum mx_policy_stage stage);

/* ---- enforcing (per call) ---- */

/*
 * Input rules. args is the converted arguments object (NULL = none), user
 * from mx_identity_user. 0 when every rule passes (res->decision ALLOW);
 * MX_EPOLICY on a denial (res->decision DENY, res->reason the reason).
 */
int mx_policy_enforce_input(const struct mx_policy_set *s, const json_t *args, const json_t *user,
                            struct mx_policy_result *res, struct mx_err *err);

/*
 * Output rules over *value (a reference the caller owns). On a
 * modification *value is replaced by the rewritten result (values shared
 * with others are copied before they are changed) and res->decision
 * becomes WARN unless it is already DENY. ret is the endpoint's return type
 * (for filter_sensitive_fields; NULL: nothing is sensitive). On a denial
 * MX_EPOLICY (*value still holds a reference the caller releases).
 */
int mx_policy_enforce_output(const struct mx_policy_set *s, const struct mx_type *ret, const json_t *user,
                             json_t **value, struct mx_policy_result *res, struct mx_err *err);

/* The rewrites on their own (tests, benchmarks). Each takes ownership of v
 * and returns the rewritten value (v itself when it was not shared). */
json_t *mx_policy_filter_fields(json_t *v, const char *const *fields, size_t nfields);
json_t *mx_policy_mask_fields(json_t *v, const char *const *fields, size_t nfields);
json_t *mx_policy_filter_sensitive(json_t *v, const struct mx_type *t);

#endif
