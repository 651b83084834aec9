/* SPDX-License-Identifier: Apache-2.0 */
/*
 * form — application/x-www-form-urlencoded (the WHATWG URL standard's
 * encoding): OAuth's query strings, token requests and redirects.
 *
 * Parsing gives a JSON object of name → string. A name sent twice is an
 * error (RFC 6749 §3.1: "Request and response parameters MUST NOT be
 * included more than once"), as is a bad percent escape. Pure functions.
 */
#ifndef MX_CORE_FORM_H
#define MX_CORE_FORM_H

#include "core/buf.h"

#include <jansson.h>
#include <stddef.h>

/* s[0..n) (NULL: empty) into *out, a new object. 0; MX_EINVAL (a
 * repeated name, a bad escape, a NUL byte); MX_ENOMEM. */
int mx_form_parse(const char *s, size_t n, json_t **out);

/* Percent-encode s (unreserved characters kept, space as %20). */
int mx_form_encode(struct mx_buf *b, const char *s);

/* Append "name=value", with '&' before it unless b is empty. */
int mx_form_put(struct mx_buf *b, const char *name, const char *value);

#endif
