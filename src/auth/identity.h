/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity — who a call is for, as MXCP's policies and request-context SQL
 * functions see it.
 *
 * The caller's context is MXCP's UserContext: a JSON object with user_id,
 * username, email, name, provider, and the identity provider's raw profile
 * either nested as `raw_profile` or flat. Transports and commands produce
 * it (`mxcp run --user-context`, a test's `user_context`, later the OAuth
 * middleware); mx_identity_user turns it into the `user` object every
 * consumer reads. A leaf: core only.
 */
#ifndef MX_AUTH_IDENTITY_H
#define MX_AUTH_IDENTITY_H

#include <jansson.h>

/*
 * The `user` object of a call: {user_id, username, email, name, provider,
 * role, permissions, scopes, capabilities, claims}, every field present
 * (§20.8). user_context NULL is the anonymous user (role "anonymous",
 * empty lists, null ids and provider). `role` defaults to "user". For the
 * providers "cli" and "test", user_id and username default to
 * "cli_user"/"test_user" as MXCP's commands do. Other keys of the raw
 * profile are also members of `user` (so `user.customer_id` works as
 * MXCP's documentation shows), never overriding the fields above; `claims`
 * is the raw profile itself. New reference, NULL on out of memory.
 */
json_t *mx_identity_user(const json_t *user_context, const char *provider);

#endif
