/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier — verifier mode (MXCP's OIDCTokenVerifier): mxcp is only a
 * resource server, and a bearer token is accepted when
 *   1. it is a JWT signed by a key of the issuer's JWKS (from the OIDC
 *      discovery document at config_url), with the discovery's `iss`, the
 *      configured `audience` in `aud` when one is set, and exp/nbf/iat
 *      right within a small skew; else
 *   2. the issuer's introspection endpoint (RFC 7662, client credentials)
 *      says it is active (and, with an audience, that it is for it); else
 *   3. the userinfo endpoint accepts it (MXCP's weak fallback; skipped
 *      when an audience is configured, since userinfo cannot check one).
 * Unlike MXCP, a JWT that a known key proves forged, expired, or for
 * another issuer or audience is refused at step 1: the slower ways are
 * for tokens the JWKS cannot judge (opaque tokens, unknown keys).
 *
 * The claims become the user context (user_id = sub, username =
 * preferred_username, else username, else the e-mail's local part, else
 * sub; raw_profile = the claims; external_token = the bearer token).
 *
 * State: the discovery document (fetched at open, else on first use) and
 * the key set. The keys are read under a read lock while a signature is
 * checked; an unknown kid refreshes them, at most once a minute, fetched
 * outside the lock and swapped in under the write lock. HTTP threads call
 * verify concurrently; outbound requests go through core/fetch.
 */
#include "auth/auth.h"
#include "auth/jwt.h"
#include "auth/verifier.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fetch.h"
#include "core/log.h"
#include "core/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define SKEW_SECONDS 30
#define JWKS_REFRESH_SECONDS 60.0
#define DISCOVERY_RETRY_SECONDS 10.0
#define FETCH_TIMEOUT 10
#define FETCH_MAX (1024 * 1024)

struct verifier {
	char *config_url, *client_id, *client_secret, *audience, *provider, *scope;
	pthread_mutex_t mu; /* discovery and the refresh clock */
	int discovered;
	double last_discovery_try;
	char *issuer, *jwks_uri, *introspection, *userinfo;
	pthread_rwlock_t keys_lock;
	struct mx_jwks *keys;
	_Atomic double keys_at; /* mx_mono_s of the last JWKS fetch attempt; 0: never */
	char keys_error[320];
};

static char *dup_or_null(const char *s)
{
	return s && *s ? mx_strdup(s) : NULL;
}

/* ---------------------------------------------------------- fetching */

static int get_json(const char *url, const char *const *headers, const char *body, json_t **out, long *status,
                    char *why, size_t n)
{
	struct mx_fetch_request rq = {.url = url,
	                              .headers = headers,
	                              .body = body,
	                              .body_len = body ? strlen(body) : 0,
	                              .timeout_s = FETCH_TIMEOUT,
	                              .connect_timeout_s = 5,
	                              .max_response = FETCH_MAX};
	struct mx_fetch_response resp;
	*out = NULL;
	int rc = mx_fetch(&rq, &resp);
	if (status)
		*status = resp.status;
	if (rc != 0) {
		snprintf(why, n, "%s", resp.error[0] ? resp.error : "request failed");
		mx_buf_free(&resp.body);
		return -1;
	}
	if (resp.status == 200)
		*out = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0, NULL);
	mx_buf_free(&resp.body);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(why, n, resp.status == 200 ? "answer is not a JSON object" : "HTTP %ld",
		         resp.status);
		return resp.status == 200 || resp.status >= 500 ? -1 : -2; /* -2: the IdP said no */
	}
	return 0;
}

/* Read the discovery document once (retried at most every 10 s). 0 when known. */
static int discover(struct verifier *v, char *why, size_t n)
{
	pthread_mutex_lock(&v->mu);
	if (v->discovered) {
		pthread_mutex_unlock(&v->mu);
		return 0;
	}
	double now = mx_mono_s();
	if (v->last_discovery_try > 0 && now - v->last_discovery_try < DISCOVERY_RETRY_SECONDS) {
		pthread_mutex_unlock(&v->mu);
		snprintf(why, n, "the OIDC discovery document at %s could not be read", v->config_url);
		return -1;
	}
	v->last_discovery_try = now;
	json_t *doc;
	char e[256];
	if (get_json(v->config_url, NULL, NULL, &doc, NULL, e, sizeof e) != 0) {
		pthread_mutex_unlock(&v->mu);
		snprintf(why, n, "the OIDC discovery document at %s could not be read: %s", v->config_url, e);
		return -1;
	}
	const char *iss = json_string_value(json_object_get(doc, "issuer"));
	if (iss == NULL) {
		json_decref(doc);
		pthread_mutex_unlock(&v->mu);
		snprintf(why, n, "the OIDC discovery document at %s has no issuer", v->config_url);
		return -1;
	}
	v->issuer = mx_strdup(iss);
	v->jwks_uri = dup_or_null(json_string_value(json_object_get(doc, "jwks_uri")));
	v->introspection = dup_or_null(json_string_value(json_object_get(doc, "introspection_endpoint")));
	v->userinfo = dup_or_null(json_string_value(json_object_get(doc, "userinfo_endpoint")));
	json_decref(doc);
	v->discovered = 1;
	pthread_mutex_unlock(&v->mu);
	mx_info("auth: verifier mode: issuer %s (JWKS %s, introspection %s, userinfo %s)", v->issuer,
	        v->jwks_uri ? "yes" : "no", v->introspection ? "yes" : "no", v->userinfo ? "yes" : "no");
	return 0;
}

/* Fetch the JWKS unless it was tried less than a minute ago (force: the
 * first time, whatever the clock). */
static void refresh_keys(struct verifier *v, int force)
{
	if (v->jwks_uri == NULL)
		return;
	pthread_mutex_lock(&v->mu);
	double now = mx_mono_s();
	if (!force && v->keys_at > 0 && now - v->keys_at < JWKS_REFRESH_SECONDS) {
		pthread_mutex_unlock(&v->mu);
		return;
	}
	v->keys_at = now;
	pthread_mutex_unlock(&v->mu);
	struct mx_fetch_request rq = {.url = v->jwks_uri,
	                              .timeout_s = FETCH_TIMEOUT,
	                              .connect_timeout_s = 5,
	                              .max_response = FETCH_MAX};
	struct mx_fetch_response resp;
	struct mx_jwks *ks = NULL;
	char why[320] = "";
	size_t skipped = 0;
	if (mx_fetch(&rq, &resp) != 0)
		snprintf(why, sizeof why, "JWKS not read: %s", resp.error);
	else if (resp.status != 200)
		snprintf(why, sizeof why, "JWKS not read: HTTP %ld", resp.status);
	else if (mx_jwks_parse(resp.body.p ? resp.body.p : "", resp.body.len, &ks, &skipped, why,
	                       sizeof why) != 0)
		ks = NULL;
	mx_buf_free(&resp.body);
	pthread_rwlock_wrlock(&v->keys_lock);
	if (ks) {
		mx_jwks_free(v->keys);
		v->keys = ks;
		v->keys_error[0] = '\0';
	} else {
		snprintf(v->keys_error, sizeof v->keys_error, "%s", why);
	}
	pthread_rwlock_unlock(&v->keys_lock);
	if (ks)
		mx_debug("auth: JWKS: %zu key(s) (%zu skipped)", mx_jwks_count(ks), skipped);
	else
		mx_warn("auth: %s", why);
}

/* ------------------------------------------------------------- the ways */

static enum mx_jwt_result by_jwt(struct verifier *v, const char *token, json_t **claims)
{
	struct mx_jwt_expect e = {.issuer = v->issuer, .audience = v->audience, .skew = SKEW_SECONDS};
	char kid[128];
	if (v->keys_at == 0)
		refresh_keys(v, 1);
	/* A kid the set lacks: the issuer may have rotated its keys. */
	if (mx_jwt_kid(token, kid, sizeof kid) == 0 && kid[0]) {
		pthread_rwlock_rdlock(&v->keys_lock);
		int known = mx_jwks_has_kid(v->keys, kid);
		pthread_rwlock_unlock(&v->keys_lock);
		if (!known)
			refresh_keys(v, 0);
	}
	pthread_rwlock_rdlock(&v->keys_lock);
	enum mx_jwt_result r = mx_jwt_verify(token, v->keys, &e, claims);
	pthread_rwlock_unlock(&v->keys_lock);
	return r;
}

static char *form_escape(const char *s)
{
	struct mx_buf b;
	mx_buf_init(&b, 4 * MX_JWT_MAX_LEN);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		            c == '-' || c == '_' || c == '.' || c == '~';
		if ((plain ? mx_buf_append(&b, s, 1) : mx_buf_printf(&b, "%%%02X", c)) != 0) {
			mx_buf_free(&b);
			return NULL;
		}
	}
	char *out = mx_strndup(b.p ? b.p : "", b.len);
	mx_buf_free(&b);
	return out;
}

/* 1: active (claims set); 0: not; -1: the endpoint could not be asked. */
static int by_introspection(struct verifier *v, const char *token, json_t **claims)
{
	char *t = form_escape(token), *id = form_escape(v->client_id ? v->client_id : "");
	char *sec = form_escape(v->client_secret ? v->client_secret : "");
	struct mx_buf body;
	mx_buf_init(&body, 8 * MX_JWT_MAX_LEN);
	int rc = -1;
	if (t && id && sec &&
	    mx_buf_printf(&body, "token=%s&client_id=%s&client_secret=%s", t, id, sec) == 0) {
		static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded",
		                                      "Accept: application/json", NULL};
		json_t *doc;
		char why[256];
		int g = get_json(v->introspection, headers, body.p, &doc, NULL, why, sizeof why);
		if (g == 0) {
			rc = json_is_true(json_object_get(doc, "active")) ? 1 : 0;
			const json_t *aud = json_object_get(doc, "aud");
			if (rc == 1 && v->audience && aud) {
				int ok = json_is_string(aud) &&
				         strcmp(json_string_value(aud), v->audience) == 0;
				size_t i;
				const json_t *a;
				json_array_foreach (aud, i, a)
					ok |= json_is_string(a) &&
					      strcmp(json_string_value(a), v->audience) == 0;
				rc = ok;
			}
			if (rc == 1)
				*claims = json_incref(doc);
			json_decref(doc);
		} else {
			rc = g == -2 ? 0 : -1;
			mx_warn("auth: introspection: %s", why);
		}
	}
	mx_buf_free(&body);
	mx_free(t);
	mx_free(id);
	mx_free(sec);
	return rc;
}

static int by_userinfo(struct verifier *v, const char *token, json_t **claims)
{
	struct mx_buf h;
	mx_buf_init(&h, MX_JWT_MAX_LEN + 64);
	if (mx_buf_printf(&h, "Authorization: Bearer %s", token) != 0) {
		mx_buf_free(&h);
		return -1;
	}
	const char *headers[] = {h.p, "Accept: application/json", NULL};
	char why[256];
	int g = get_json(v->userinfo, headers, NULL, claims, NULL, why, sizeof why);
	mx_buf_free(&h);
	return g == 0 ? 1 : g == -2 ? 0 : -1;
}

/* --------------------------------------------------------- the context */

static json_t *user_context(const struct verifier *v, json_t *claims, const char *token)
{
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	if (sub == NULL || *sub == '\0')
		return NULL;
	const char *email = json_string_value(json_object_get(claims, "email"));
	const char *username = json_string_value(json_object_get(claims, "preferred_username"));
	if (username == NULL || !*username)
		username = json_string_value(json_object_get(claims, "username"));
	json_t *local = NULL;
	if ((username == NULL || !*username) && email && strchr(email, '@')) {
		local = json_stringn(email, (size_t)(strchr(email, '@') - email));
		username = json_string_value(local);
	}
	if (username == NULL || !*username)
		username = sub;
	const char *name = json_string_value(json_object_get(claims, "name"));
	const char *picture = json_string_value(json_object_get(claims, "picture"));
	json_t *uc = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:O, s:s}", "provider", v->provider,
	                       "user_id", sub, "username", username, "email", email, "name", name,
	                       "avatar_url", picture, "raw_profile", claims, "external_token", token);
	json_decref(local);
	/* MXCP: the token's `scope`, else the configured scope. */
	const char *scope = json_string_value(json_object_get(claims, "scope"));
	if (scope == NULL || !*scope)
		scope = v->scope ? v->scope : "";
	json_t *scopes = json_array();
	for (const char *s = scope; scopes && *s;) {
		s += strspn(s, " ");
		size_t n = strcspn(s, " ");
		if (n && json_array_append_new(scopes, json_stringn(s, n)) != 0) {
			json_decref(scopes);
			scopes = NULL;
		}
		s += n;
	}
	if (uc == NULL || scopes == NULL || json_object_set_new(uc, "scopes", scopes) != 0) {
		json_decref(uc);
		return NULL;
	}
	return uc;
}

/* -------------------------------------------------------------- the mode */

static enum mx_auth_status verify(void *state, const char *token, const char *resource, json_t **uc,
                                  char *reason, size_t n)
{
	(void)resource; /* the issuer's audience (`audience`) binds a token here */
	struct verifier *v = state;
	char why[512];
	if (discover(v, why, sizeof why) != 0) {
		snprintf(reason, n, "identity provider unavailable");
		mx_warn("auth: %s", why);
		return MX_AUTH_UNAVAILABLE;
	}
	json_t *claims = NULL;
	int unreachable = 0;
	const char *path = NULL;
	if (v->jwks_uri && mx_jwt_looks_like(token)) {
		enum mx_jwt_result r = by_jwt(v, token, &claims);
		if (r == MX_JWT_OK) {
			path = "jwt";
		} else if (r != MX_JWT_MALFORMED && r != MX_JWT_UNKNOWN_KEY) {
			snprintf(reason, n, "jwt: %s", mx_jwt_result_name(r));
			return MX_AUTH_INVALID;
		}
	}
	if (claims == NULL && v->introspection) {
		int r = by_introspection(v, token, &claims);
		unreachable |= r < 0;
		if (r == 1)
			path = "introspection";
	}
	if (claims == NULL && v->userinfo && v->audience == NULL) {
		int r = by_userinfo(v, token, &claims);
		unreachable |= r < 0;
		if (r == 1)
			path = "userinfo";
	}
	if (claims == NULL) {
		snprintf(reason, n, unreachable ? "identity provider unavailable" : "token not accepted");
		return unreachable ? MX_AUTH_UNAVAILABLE : MX_AUTH_INVALID;
	}
	*uc = user_context(v, claims, token);
	json_decref(claims);
	if (*uc == NULL) {
		snprintf(reason, n, "%s: claims without sub", path);
		return MX_AUTH_INVALID;
	}
	snprintf(reason, n, "%s", path);
	return MX_AUTH_OK;
}

static int route(void *state, const struct mx_auth_http_request *rq, struct mx_auth_http_response *out)
{
	(void)state, (void)rq, (void)out;
	return 0; /* the protected-resource metadata is the facade's */
}

static int ready(void *state, char *why, size_t n)
{
	struct verifier *v = state;
	if (discover(v, why, n) != 0)
		return -1;
	if (v->jwks_uri == NULL)
		return 0;
	if (v->keys_at == 0)
		refresh_keys(v, 1);
	pthread_rwlock_rdlock(&v->keys_lock);
	int ok = v->keys != NULL;
	if (!ok)
		snprintf(why, n, "%s", v->keys_error[0] ? v->keys_error : "JWKS not read yet");
	pthread_rwlock_unlock(&v->keys_lock);
	return ok ? 0 : -1;
}

static void close_verifier(void *state)
{
	struct verifier *v = state;
	if (v == NULL)
		return;
	mx_jwks_free(v->keys);
	pthread_rwlock_destroy(&v->keys_lock);
	pthread_mutex_destroy(&v->mu);
	mx_free(v->config_url);
	mx_free(v->client_id);
	mx_free(v->client_secret);
	mx_free(v->audience);
	mx_free(v->scope);
	mx_free(v->provider);
	mx_free(v->issuer);
	mx_free(v->jwks_uri);
	mx_free(v->introspection);
	mx_free(v->userinfo);
	mx_free(v);
}

static const struct mx_auth_mode VERIFIER = {
        .name = "verifier", .verify = verify, .route = route, .ready = ready, .close = close_verifier};

const char *mx_auth_verifier_issuer(void *state)
{
	struct verifier *v = state;
	pthread_mutex_lock(&v->mu);
	const char *iss = v->discovered ? v->issuer : NULL;
	pthread_mutex_unlock(&v->mu);
	return iss;
}

int mx_auth_verifier_open(const struct mx_project *p, const json_t *config, const struct mx_auth_mode **mode,
                          void **state, struct mx_err *err)
{
	(void)p;
	const json_t *o = json_object_get(config, "oidc");
	struct verifier *v = mx_calloc(1, sizeof *v);
	if (v == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	pthread_mutex_init(&v->mu, NULL);
	pthread_rwlock_init(&v->keys_lock, NULL);
	const char *pn = json_string_value(json_object_get(o, "provider_name"));
	v->config_url = dup_or_null(json_string_value(json_object_get(o, "config_url")));
	v->client_id = dup_or_null(json_string_value(json_object_get(o, "client_id")));
	v->client_secret = dup_or_null(json_string_value(json_object_get(o, "client_secret")));
	v->audience = dup_or_null(json_string_value(json_object_get(o, "audience")));
	v->scope = dup_or_null(json_string_value(json_object_get(o, "scope")));
	v->provider = mx_strdup(pn && *pn ? pn : "oidc");
	if (v->config_url == NULL || v->provider == NULL) {
		close_verifier(v);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	/* The identity provider may come up after us: then the first request
	 * (or /ready) reads the discovery document. */
	char why[512];
	if (discover(v, why, sizeof why) != 0)
		mx_warn("auth: %s (retried on the first request)", why);
	else if (v->jwks_uri)
		refresh_keys(v, 1);
	*mode = &VERIFIER;
	*state = v;
	return 0;
}
