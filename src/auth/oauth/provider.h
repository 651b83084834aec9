/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provider — the identity providers issuer mode delegates login to, each
 * a struct of function pointers over one shared OAuth 2.0 client (token
 * requests, PKCE, user info): github, atlassian, salesforce, google,
 * keycloak, oidc. A provider block takes MXCP's keys (client_id,
 * client_secret, scope, callback_path, auth_url, token_url; keycloak's
 * realm and server_url; oidc's config_url, audience,
 * extra_authorize_params, provider_name) and, beyond MXCP, userinfo_url
 * (and GitHub's emails_url), each defaulting to the provider's real
 * endpoint, so a test can point every URL at a stand-in.
 *
 * Opened once at startup (oidc fetches its discovery document then);
 * immutable afterwards, so the HTTP threads share it without a lock.
 * Every outbound call goes through core/fetch and blocks its thread.
 * Nothing here logs a token, a secret, an e-mail or a user id.
 */
#ifndef MX_AUTH_OAUTH_PROVIDER_H
#define MX_AUTH_OAUTH_PROVIDER_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

struct mx_oauth_provider;

/* What a token endpoint granted. Strings mx_malloc'd (NULL when absent);
 * clear with mx_oauth_grant_clear. expires_at 0: not said. */
struct mx_oauth_grant {
	char *access_token;
	char *refresh_token;
	char *id_token;
	char *scope;
	double expires_at;
};
void mx_oauth_grant_clear(struct mx_oauth_grant *g);

/* kind: "github", …; block: the provider's object of the auth config. */
int mx_oauth_provider_open(const char *kind, const json_t *block, struct mx_oauth_provider **out,
                           struct mx_err *err);
void mx_oauth_provider_close(struct mx_oauth_provider *p);

const char *mx_oauth_provider_name(const struct mx_oauth_provider *p);
const char *mx_oauth_provider_callback_path(const struct mx_oauth_provider *p);
const json_t *mx_oauth_provider_claim_mappings(const struct mx_oauth_provider *p);
/* The configured provider scope, split ([] when none). */
const json_t *mx_oauth_provider_scopes(const struct mx_oauth_provider *p);
/* Whether the provider takes PKCE S256. */
int mx_oauth_provider_pkce(const struct mx_oauth_provider *p);

/* The provider's authorize URL for our callback redirect_uri, our state
 * and (NULL: none) our PKCE challenge. Client-requested scopes never get
 * here: the scope is the configured one. */
int mx_oauth_provider_authorize_url(const struct mx_oauth_provider *p, const char *redirect_uri,
                                    const char *state, const char *challenge, struct mx_buf *url);

/*
 * The token endpoint: exchange a code (with our PKCE verifier, NULL when
 * none) or refresh a token. 0 with *g filled; MX_EINVAL when the provider
 * refused (error holds its OAuth error code, e.g. "invalid_grant");
 * MX_EIO when it could not be reached or answered nonsense.
 */
int mx_oauth_provider_exchange(const struct mx_oauth_provider *p, const char *code, const char *redirect_uri,
                               const char *verifier, struct mx_oauth_grant *g, char *error, size_t n);
int mx_oauth_provider_refresh(const struct mx_oauth_provider *p, const char *refresh_token,
                              struct mx_oauth_grant *g, char *error, size_t n);

/* The user behind access_token: a new object {user_id, username, email,
 * name, avatar_url, raw_profile} as MXCP normalises each provider's
 * answer. Errors as for exchange. */
int mx_oauth_provider_user(const struct mx_oauth_provider *p, const char *access_token, json_t **user,
                           char *error, size_t n);

/* /ready: 0 when the provider's endpoints are known. */
int mx_oauth_provider_ready(struct mx_oauth_provider *p, char *why, size_t n);

#endif
