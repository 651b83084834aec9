/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uri_template — RFC 6570 level-1 URI templates (`data://users/{id}`):
 * compile once, then match concrete URIs (resources/read) or expand.
 *
 * Level 1 is simple string expansion: a `{var}` value is percent-encoded
 * except for unreserved characters, so when matching, a variable takes one
 * or more characters up to the first occurrence of the literal text that
 * follows it (never a '/', '?' or '#'), and is percent-decoded. Matching is
 * linear: no backtracking. Operators (`{+x}`, `{?x}` …) and modifiers
 * (`{x*}`, `{x:3}`) are level 2–4 and rejected at compile time.
 * A compiled template is immutable: safe from any thread.
 */
#ifndef MX_CORE_URI_TEMPLATE_H
#define MX_CORE_URI_TEMPLATE_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

struct mx_uri_template;

/* Compile a template. MX_EINVAL (with a message) for unbalanced braces,
 * empty or invalid variable names, operators or modifiers. */
int mx_uri_template_compile(const char *tmpl, struct mx_uri_template **out, struct mx_err *err);
void mx_uri_template_free(struct mx_uri_template *t);

/* Whether s contains an expression at all (a template, not a plain URI). */
int mx_uri_template_has_vars(const char *s);
size_t mx_uri_template_nvars(const struct mx_uri_template *t);
/* The i-th distinct variable name, in order of first appearance. */
const char *mx_uri_template_var(const struct mx_uri_template *t, size_t i);

/* Match uri against t. Returns 1 and a new object {name: "decoded value"} in
 * *vars on a match, 0 when it does not match, MX_ENOMEM. */
int mx_uri_template_match(const struct mx_uri_template *t, const char *uri, json_t **vars);

/* Expand with string/number/boolean values of vars (missing ones expand to
 * nothing, as RFC 6570 says for undefined variables). */
int mx_uri_template_expand(const struct mx_uri_template *t, const json_t *vars, struct mx_buf *out);

#endif
