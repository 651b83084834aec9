/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth — authentication of MCP requests (MXCP §7), the one interface the
 * transports and the server use. A profile's `auth` block chooses a mode:
 *
 *   issuer    mxcp is the OAuth 2.1 authorization server of its MCP
 *             clients and delegates login to an identity provider
 *             (auth/oauth/: routes, providers, the token store);
 *   verifier  mxcp is only a resource server: bearer tokens are checked
 *             as JWTs against the issuer's JWKS, else by introspection,
 *             else by userinfo (auth/verifier.c, auth/jwt.c).
 *
 * Each mode is a struct mx_auth_mode (function pointers, as executors
 * are); the facade (auth.c) opens the one the configuration asks for and
 * answers for it. A project without `auth` (provider none) opens nothing:
 * mx_auth_open gives NULL and costs nothing (no thread, no library, no
 * store).
 *
 * Threads: mx_auth_verify and mx_auth_route are called from HTTP threads
 * concurrently; a mode guards its own state.
 */
#ifndef MX_AUTH_AUTH_H
#define MX_AUTH_AUTH_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

struct mx_project;
struct mx_auth;

/* What the request presented, for mx_auth_verify's verdict. */
enum mx_auth_status {
	MX_AUTH_OK,
	MX_AUTH_NO_TOKEN, /* no Authorization: Bearer header: 401 */
	MX_AUTH_INVALID, /* unknown, expired, forged, wrong audience …: 401 invalid_token */
	MX_AUTH_FORBIDDEN, /* valid, but without a required scope: 403 insufficient_scope */
	MX_AUTH_UNAVAILABLE, /* the identity provider could not be reached: 503 */
};

/* One HTTP request for a route of the auth server (issuer mode), as the
 * transport hands it over. Strings are borrowed for the call. */
struct mx_auth_http_request {
	const char *method; /* "GET", "POST" */
	const char *path; /* "/authorize" */
	const char *query; /* the raw query string (no '?'), or NULL */
	const char *body; /* the raw body, or NULL */
	size_t body_len;
	const char *content_type; /* of the body, or NULL */
	const json_t *headers; /* lower-case name → value */
	const char *base_url; /* the server's external base URL, no trailing '/' */
	const char *client_address; /* for logs and rate limits */
};

/* The answer to one. The transport writes it as it is. */
struct mx_auth_http_response {
	int status;
	char content_type[64]; /* "" when there is no body */
	char *body; /* mx_malloc'd, or NULL */
	size_t body_len;
	char *location; /* mx_malloc'd redirect target, or NULL */
	char cache_control[32]; /* "" or e.g. "no-store" */
};

/* A mode's implementation. */
struct mx_auth_mode {
	const char *name; /* "issuer", "verifier" */
	/* resource: the URL the request is for (RFC 8707's resource, the
	 * server's MCP URL), or NULL when there is none to check (stdio). */
	enum mx_auth_status (*verify)(void *state, const char *token, const char *resource,
	                              json_t **user_context, char *reason, size_t n);
	/* 1: the request was one of this mode's routes and *out is filled; 0:
	 * not a route of the mode. */
	int (*route)(void *state, const struct mx_auth_http_request *rq, struct mx_auth_http_response *out);
	/* Readiness (/ready): 0 when the identity provider answers (its
	 * discovery document or JWKS, cached), else -1 with why. */
	int (*ready)(void *state, char *why, size_t n);
	void (*close)(void *state);
};

/* The auth of the active profile of p (projects.P.profiles.X.auth in the
 * user config): *out NULL when it configures none. base_url is the
 * server's external base URL (transport.http.base_url, else derived from
 * the listening address), used by issuer mode for its metadata and its
 * provider's callback. Errors name the user config's file:line and key. */
int mx_auth_open(const struct mx_project *p, const char *base_url, struct mx_auth **out, struct mx_err *err);
void mx_auth_close(struct mx_auth *a);

/* The mode's name ("issuer", "verifier") and provider ("github", …). */
const char *mx_auth_mode_name(const struct mx_auth *a);
const char *mx_auth_provider(const struct mx_auth *a);

/* Check a bearer token (NULL: none was sent). On MX_AUTH_OK
 * *user_context is a new JSON object as auth/identity.h describes (with
 * `provider`, `raw_profile`, `external_token` and `capabilities` from the
 * provider's claim_mappings); otherwise reason says why, with no token,
 * secret, e-mail or user id in it (it is logged). */
enum mx_auth_status mx_auth_verify(struct mx_auth *a, const char *token, json_t **user_context, char *reason,
                                   size_t n);
/* The same for a request for resource (RFC 8707: `<base URL><path>`, the
 * server's MCP URL as the client reached it): in issuer mode a token bound
 * at /authorize or /token to another resource is refused. mx_auth_verify
 * is this with resource NULL (no request, as over stdio). */
enum mx_auth_status mx_auth_verify_for(struct mx_auth *a, const char *token, const char *resource,
                                       json_t **user_context, char *reason, size_t n);

/* Called by a reload with the project the server started with and the new one: the auth
 * block is read once at start, so a change is logged (a warning that it
 * takes a restart). 1 when the block differs. */
int mx_auth_reload_check(const struct mx_project *started, const struct mx_project *next);

/* The WWW-Authenticate header value of a 401/403 for status (RFC 6750,
 * with resource_metadata of RFC 9728 and the scope hints of MCP
 * 2025-11-25). */
int mx_auth_challenge(const struct mx_auth *a, enum mx_auth_status status, const char *base_url, char *out,
                      size_t n);

/* Answer a request for one of the auth routes (issuer mode's
 * /.well-known/…, /register, /authorize, the callback, /token, /revoke;
 * both modes' protected-resource metadata). 1 when answered. */
int mx_auth_route(struct mx_auth *a, const struct mx_auth_http_request *rq,
                  struct mx_auth_http_response *out);
void mx_auth_http_response_clear(struct mx_auth_http_response *r);

/* /ready's check of the identity provider: 0, or -1 with why. */
int mx_auth_ready(struct mx_auth *a, char *why, size_t n);

/* The modes, for auth.c (each in its own folder/file). `config` is the
 * profile's `auth` object of the user config. */
int mx_auth_issuer_open(const struct mx_project *p, const json_t *config, const char *base_url,
                        const struct mx_auth_mode **mode, void **state, struct mx_err *err);
int mx_auth_verifier_open(const struct mx_project *p, const json_t *config, const struct mx_auth_mode **mode,
                          void **state, struct mx_err *err);

#endif
