/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provider — see provider.h. One OAuth client (this file's shared half)
 * and, per provider, a table of its defaults and two hooks: extra
 * authorize parameters and the user-info call with MXCP's mapping of its
 * answer.
 */
#include "auth/oauth/provider.h"

#include "core/alloc.h"
#include "core/fetch.h"
#include "core/form.h"
#include "core/json.h"
#include "core/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_TIMEOUT_S 15
#define FETCH_CONNECT_S 5
#define MAX_ANSWER (1024 * 1024)

struct kind {
	const char *name;
	const char *auth_url, *token_url, *userinfo_url;
	int pkce;
	int scope_required;
	int json_token; /* the token endpoint takes a JSON body (Atlassian), not a form */
	int (*authorize_extra)(const struct mx_oauth_provider *p, struct mx_buf *url);
	int (*user)(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
	            size_t n);
};

struct mx_oauth_provider {
	const struct kind *kind;
	char *name;
	char *client_id, *client_secret, *scope, *callback_path;
	char *auth_url, *token_url, *userinfo_url, *emails_url;
	char *audience, *config_url;
	json_t *extra_params; /* oidc's extra_authorize_params */
	json_t *claim_mappings;
	json_t *scopes;
	int pkce;
};

/* ---------------------------------------------------------------------------
 * The shared OAuth client
 * ------------------------------------------------------------------------- */

void mx_oauth_grant_clear(struct mx_oauth_grant *g)
{
	mx_free(g->access_token);
	mx_free(g->refresh_token);
	mx_free(g->id_token);
	mx_free(g->scope);
	memset(g, 0, sizeof *g);
}

static char *dup_member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL && *s ? mx_strdup(s) : NULL;
}

/* GET or POST url (a body: form-encoded, or JSON when json_body); the
 * answer as JSON (an object; a form-encoded body is read as one too, as
 * GitHub answers without Accept: application/json). */
static int call(const char *url, const char *bearer, const char *accept, const char *form, int json_body,
                long *status, json_t **answer, char *error, size_t n)
{
	*answer = NULL;
	char auth[4096 + 32];
	char acc[128];
	const char *headers[4];
	int h = 0;
	snprintf(acc, sizeof acc, "Accept: %s", accept != NULL ? accept : "application/json");
	headers[h++] = acc;
	if (bearer != NULL) {
		if (strlen(bearer) > 4096) {
			snprintf(error, n, "invalid_token");
			return MX_EINVAL;
		}
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
		headers[h++] = auth;
	}
	if (form != NULL)
		headers[h++] = json_body ? "Content-Type: application/json"
		                         : "Content-Type: application/x-www-form-urlencoded";
	headers[h] = NULL;
	struct mx_fetch_request rq = {.url = url,
	                              .headers = headers,
	                              .body = form,
	                              .body_len = form != NULL ? strlen(form) : 0,
	                              .timeout_s = FETCH_TIMEOUT_S,
	                              .connect_timeout_s = FETCH_CONNECT_S,
	                              .max_response = MAX_ANSWER};
	struct mx_fetch_response resp;
	int rc = mx_fetch(&rq, &resp);
	memset(auth, 0, sizeof auth);
	if (rc != 0) {
		/* libcurl's words name the host, never the query or the headers. */
		mx_warn("oauth: identity provider request failed: %s", resp.error);
		snprintf(error, n, "temporarily_unavailable");
		mx_buf_free(&resp.body);
		return MX_EIO;
	}
	*status = resp.status;
	json_t *j = json_loadb(resp.body.p != NULL ? resp.body.p : "", resp.body.len, 0, NULL);
	if (j == NULL && resp.body.len > 0 && resp.body.p[0] != '{' && resp.body.p[0] != '[')
		mx_form_parse(resp.body.p, resp.body.len, &j);
	mx_buf_free(&resp.body);
	if (j == NULL) {
		snprintf(error, n, "server_error");
		return MX_EIO;
	}
	*answer = j;
	return 0;
}

static double number_of(const json_t *v)
{
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v)) {
		char *end = NULL;
		double d = strtod(json_string_value(v), &end);
		if (end != NULL && *end == '\0' && isfinite(d))
			return d;
	}
	return -1;
}

static int token_request(const struct mx_oauth_provider *p, struct mx_buf *form, struct mx_oauth_grant *g,
                         char *error, size_t n)
{
	memset(g, 0, sizeof *g);
	long status = 0;
	json_t *a = NULL;
	char *body = NULL;
	if (p->kind->json_token) {
		/* Atlassian's /oauth/token takes the same members as a JSON object. */
		json_t *o = NULL;
		if (mx_form_parse(form->p, form->len, &o) == 0)
			body = mx_json_dumps(o, MX_JSON_COMPACT);
		json_decref(o);
		if (body == NULL) {
			snprintf(error, n, "server_error");
			return MX_ENOMEM;
		}
	}
	int rc = call(p->token_url, NULL, "application/json", body != NULL ? body : mx_buf_str(form),
	              body != NULL, &status, &a, error, n);
	if (body != NULL) {
		memset(body, 0, strlen(body));
		mx_free(body);
	}
	if (rc != 0)
		return rc;
	const char *err = json_string_value(json_object_get(a, "error"));
	if (status != 200 || err != NULL || !json_is_object(a)) {
		snprintf(error, n, "%s", err != NULL ? err : "invalid_grant");
		mx_warn("oauth: the %s token endpoint refused (HTTP %ld, %s)", p->name, status, error);
		json_decref(a);
		return status >= 500 ? MX_EIO : MX_EINVAL;
	}
	g->access_token = dup_member(a, "access_token");
	g->refresh_token = dup_member(a, "refresh_token");
	g->id_token = dup_member(a, "id_token");
	g->scope = dup_member(a, "scope");
	double in = number_of(json_object_get(a, "expires_in"));
	if (in >= 0)
		g->expires_at = (double)time(NULL) + in;
	json_decref(a);
	if (g->access_token == NULL) {
		snprintf(error, n, "invalid_grant");
		mx_warn("oauth: the %s token endpoint answered without an access_token", p->name);
		mx_oauth_grant_clear(g);
		return MX_EINVAL;
	}
	return 0;
}

int mx_oauth_provider_exchange(const struct mx_oauth_provider *p, const char *code, const char *redirect_uri,
                               const char *verifier, struct mx_oauth_grant *g, char *error, size_t n)
{
	struct mx_buf f;
	mx_buf_init(&f, 64 * 1024);
	int rc = mx_form_put(&f, "grant_type", "authorization_code");
	rc = rc ? rc : mx_form_put(&f, "code", code);
	rc = rc ? rc : mx_form_put(&f, "client_id", p->client_id);
	rc = rc ? rc : mx_form_put(&f, "client_secret", p->client_secret);
	rc = rc ? rc : mx_form_put(&f, "redirect_uri", redirect_uri);
	if (rc == 0 && verifier != NULL)
		rc = mx_form_put(&f, "code_verifier", verifier);
	if (rc == 0 && p->audience != NULL)
		rc = mx_form_put(&f, "audience", p->audience);
	rc = rc ? rc : token_request(p, &f, g, error, n);
	memset(f.p, 0, f.len);
	mx_buf_free(&f);
	return rc;
}

int mx_oauth_provider_refresh(const struct mx_oauth_provider *p, const char *refresh_token,
                              struct mx_oauth_grant *g, char *error, size_t n)
{
	struct mx_buf f;
	mx_buf_init(&f, 64 * 1024);
	int rc = mx_form_put(&f, "grant_type", "refresh_token");
	rc = rc ? rc : mx_form_put(&f, "client_id", p->client_id);
	rc = rc ? rc : mx_form_put(&f, "client_secret", p->client_secret);
	rc = rc ? rc : mx_form_put(&f, "refresh_token", refresh_token);
	if (rc == 0 && p->audience != NULL)
		rc = mx_form_put(&f, "audience", p->audience);
	rc = rc ? rc : token_request(p, &f, g, error, n);
	memset(f.p, 0, f.len);
	mx_buf_free(&f);
	return rc;
}

int mx_oauth_provider_authorize_url(const struct mx_oauth_provider *p, const char *redirect_uri,
                                    const char *state, const char *challenge, struct mx_buf *url)
{
	struct mx_buf q;
	mx_buf_init(&q, 64 * 1024);
	int rc = mx_form_put(&q, "client_id", p->client_id);
	rc = rc ? rc : mx_form_put(&q, "response_type", "code");
	rc = rc ? rc : mx_form_put(&q, "redirect_uri", redirect_uri);
	rc = rc ? rc : mx_form_put(&q, "scope", p->scope != NULL ? p->scope : "");
	rc = rc ? rc : mx_form_put(&q, "state", state);
	if (rc == 0 && challenge != NULL) {
		rc = mx_form_put(&q, "code_challenge", challenge);
		rc = rc ? rc : mx_form_put(&q, "code_challenge_method", "S256");
	}
	if (rc == 0 && p->kind->authorize_extra != NULL)
		rc = p->kind->authorize_extra(p, &q);
	rc = rc ? rc : mx_buf_puts(url, p->auth_url);
	rc = rc ? rc : mx_buf_putc(url, strchr(p->auth_url, '?') != NULL ? '&' : '?');
	rc = rc ? rc : mx_buf_append(url, q.p != NULL ? q.p : "", q.len);
	mx_buf_free(&q);
	return rc;
}

/* ---------------------------------------------------------------------------
 * The providers
 * ------------------------------------------------------------------------- */

static int get_profile(const struct mx_oauth_provider *p, const char *url, const char *accept,
                       const char *token, json_t **profile, char *error, size_t n)
{
	long status = 0;
	int rc = call(url, token, accept, NULL, 0, &status, profile, error, n);
	if (rc != 0)
		return rc;
	if (status != 200 || !json_is_object(*profile)) {
		mx_warn("oauth: the %s user endpoint answered HTTP %ld", p->name, status);
		json_decref(*profile);
		*profile = NULL;
		snprintf(error, n, status == 401 || status == 403 ? "invalid_token" : "server_error");
		return status == 401 || status == 403 ? MX_EINVAL : MX_EIO;
	}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The user object; username falls back to the e-mail's local part, then
 * the user id, as MXCP's adapters do. profile is stolen. */
static int make_user(const char *provider, const char *user_id, const char *username, const char *email,
                     const char *name, const char *avatar, json_t *profile, json_t **user, char *error,
                     size_t n)
{
	if (user_id == NULL || *user_id == '\0') {
		mx_warn("oauth: the %s profile has no user id", provider);
		snprintf(error, n, "invalid_token");
		json_decref(profile);
		return MX_EINVAL;
	}
	char local[256] = "";
	if ((username == NULL || *username == '\0') && email != NULL) {
		size_t at = strcspn(email, "@");
		snprintf(local, sizeof local, "%.*s", (int)(at < sizeof local - 1 ? at : sizeof local - 1),
		         email);
	}
	const char *uname = username != NULL && *username ? username : (local[0] ? local : user_id);
	json_t *u = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "user_id", user_id, "username", uname,
	                      "email", str_or_null(email), "name", str_or_null(name), "avatar_url",
	                      str_or_null(avatar), "raw_profile", profile);
	if (u == NULL) {
		snprintf(error, n, "server_error");
		return MX_ENOMEM;
	}
	*user = u;
	return 0;
}

static const char *sget(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int github_email(const struct mx_oauth_provider *p, const char *token, char *out, size_t outsz)
{
	json_t *list = NULL;
	long status = 0;
	char error[64];
	if (call(p->emails_url, token, "application/vnd.github+json", NULL, 0, &status, &list, error,
	         sizeof error) != 0)
		return -1;
	int found = -1;
	for (int pass = 0; pass < 3 && found < 0; pass++) {
		size_t i;
		json_t *e;
		json_array_foreach (list, i, e) {
			const char *em = sget(e, "email");
			int primary = json_is_true(json_object_get(e, "primary"));
			int verified = json_is_true(json_object_get(e, "verified"));
			if (em != NULL && (pass == 2 || (pass == 1 && verified) || (primary && verified))) {
				snprintf(out, outsz, "%s", em);
				found = 0;
				break;
			}
		}
	}
	json_decref(list);
	return found;
}

static int github_user(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
                       size_t n)
{
	json_t *pr = NULL;
	int rc = get_profile(p, p->userinfo_url, "application/vnd.github+json", token, &pr, error, n);
	if (rc != 0)
		return rc;
	char id[64] = "";
	const json_t *idv = json_object_get(pr, "id");
	if (json_is_integer(idv))
		snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT, json_integer_value(idv));
	else if (json_is_string(idv))
		snprintf(id, sizeof id, "%s", json_string_value(idv));
	char email[320] = "";
	const char *em = sget(pr, "email");
	if (em == NULL && id[0] && github_email(p, token, email, sizeof email) == 0)
		em = email;
	char *emc = em != NULL ? mx_strdup(em) : NULL;
	rc = make_user(p->name, id, sget(pr, "login"), emc, sget(pr, "name"), sget(pr, "avatar_url"),
	               json_incref(pr), user, error, n);
	mx_free(emc);
	json_decref(pr);
	return rc;
}

static int atlassian_user(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
                          size_t n)
{
	json_t *pr = NULL;
	int rc = get_profile(p, p->userinfo_url, NULL, token, &pr, error, n);
	if (rc != 0)
		return rc;
	rc = make_user(p->name, sget(pr, "account_id"), sget(pr, "nickname"), sget(pr, "email"),
	               sget(pr, "name"), sget(pr, "picture"), json_incref(pr), user, error, n);
	json_decref(pr);
	return rc;
}

static int salesforce_user(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
                           size_t n)
{
	json_t *pr = NULL;
	int rc = get_profile(p, p->userinfo_url, NULL, token, &pr, error, n);
	if (rc != 0)
		return rc;
	const char *uname =
	        sget(pr, "username") != NULL ? sget(pr, "username") : sget(pr, "preferred_username");
	rc = make_user(p->name, sget(pr, "user_id"), uname, sget(pr, "email"), sget(pr, "name"),
	               sget(json_object_get(pr, "photos"), "picture"), json_incref(pr), user, error, n);
	json_decref(pr);
	return rc;
}

static int google_user(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
                       size_t n)
{
	json_t *pr = NULL;
	int rc = get_profile(p, p->userinfo_url, NULL, token, &pr, error, n);
	if (rc != 0)
		return rc;
	const char *id = sget(pr, "sub") != NULL ? sget(pr, "sub") : sget(pr, "id");
	/* Google's username is the e-mail's local part, never a login name. */
	rc = make_user(p->name, id, NULL, sget(pr, "email"), sget(pr, "name"), sget(pr, "picture"),
	               json_incref(pr), user, error, n);
	json_decref(pr);
	return rc;
}

static int oidc_user(const struct mx_oauth_provider *p, const char *token, json_t **user, char *error,
                     size_t n)
{
	json_t *pr = NULL;
	int rc = get_profile(p, p->userinfo_url, NULL, token, &pr, error, n);
	if (rc != 0)
		return rc;
	rc = make_user(p->name, sget(pr, "sub"), sget(pr, "preferred_username"), sget(pr, "email"),
	               sget(pr, "name"), sget(pr, "picture"), json_incref(pr), user, error, n);
	json_decref(pr);
	return rc;
}

static int atlassian_extra(const struct mx_oauth_provider *p, struct mx_buf *q)
{
	(void)p;
	int rc = mx_form_put(q, "audience", "api.atlassian.com");
	return rc ? rc : mx_form_put(q, "prompt", "consent");
}

static int google_extra(const struct mx_oauth_provider *p, struct mx_buf *q)
{
	(void)p;
	int rc = mx_form_put(q, "access_type", "offline");
	return rc ? rc : mx_form_put(q, "prompt", "consent");
}

static int oidc_extra(const struct mx_oauth_provider *p, struct mx_buf *q)
{
	int rc = p->audience != NULL ? mx_form_put(q, "audience", p->audience) : 0;
	const char *k;
	json_t *v;
	json_object_foreach (p->extra_params, k, v) {
		if (rc == 0 && json_is_string(v))
			rc = mx_form_put(q, k, json_string_value(v));
	}
	return rc;
}

static const struct kind KINDS[] = {
        {"github", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
         "https://api.github.com/user", 1, 0, 0, NULL, github_user},
        {"atlassian", "https://auth.atlassian.com/authorize", "https://auth.atlassian.com/oauth/token",
         "https://api.atlassian.com/me", 1, 1, 1, atlassian_extra, atlassian_user},
        {"salesforce", "https://login.salesforce.com/services/oauth2/authorize",
         "https://login.salesforce.com/services/oauth2/token",
         "https://login.salesforce.com/services/oauth2/userinfo", 1, 0, 0, NULL, salesforce_user},
        {"google", "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
         "https://www.googleapis.com/oauth2/v2/userinfo", 1, 1, 0, google_extra, google_user},
        {"keycloak", NULL, NULL, NULL, 1, 0, 0, NULL, oidc_user},
        {"oidc", NULL, NULL, NULL, 1, 1, 0, oidc_extra, oidc_user},
};

/* ---------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------- */

static int discover(struct mx_oauth_provider *p, struct mx_err *err)
{
	json_t *d = NULL;
	long status = 0;
	char why[64];
	int rc = call(p->config_url, NULL, "application/json", NULL, 0, &status, &d, why, sizeof why);
	if (rc != 0 || status != 200 || !json_is_object(d)) {
		json_decref(d);
		return mx_err_set(err, MX_EIO, "OIDC discovery from %s failed (%s)", p->config_url,
		                  rc != 0 ? why : "not a discovery document");
	}
	const char *a = sget(d, "authorization_endpoint"), *t = sget(d, "token_endpoint"),
	           *u = sget(d, "userinfo_endpoint");
	if (a == NULL || t == NULL || u == NULL) {
		json_decref(d);
		return mx_err_set(err, MX_EINVAL, "the OIDC discovery document of %s lacks %s", p->config_url,
		                  a == NULL   ? "authorization_endpoint"
		                  : t == NULL ? "token_endpoint"
		                              : "userinfo_endpoint");
	}
	p->auth_url = mx_strdup(a);
	p->token_url = mx_strdup(t);
	p->userinfo_url = mx_strdup(u);
	const json_t *methods = json_object_get(d, "code_challenge_methods_supported");
	if (json_array_size(methods) > 0) {
		p->pkce = 0;
		size_t i;
		json_t *m;
		json_array_foreach (methods, i, m) {
			if (json_is_string(m) && strcmp(json_string_value(m), "S256") == 0)
				p->pkce = 1;
		}
	}
	json_decref(d);
	return 0;
}

static char *setting(const json_t *block, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(block, key));
	return mx_strdup(s != NULL && *s ? s : dflt != NULL ? dflt : "");
}

int mx_oauth_provider_open(const char *kind, const json_t *block, struct mx_oauth_provider **out,
                           struct mx_err *err)
{
	*out = NULL;
	const struct kind *k = NULL;
	for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
		if (strcmp(KINDS[i].name, kind) == 0)
			k = &KINDS[i];
	if (k == NULL)
		return mx_err_set(err, MX_EINVAL,
		                  "auth.provider '%s' is not an identity provider of issuer mode", kind);
	if (!json_is_object(block))
		return mx_err_set(err, MX_EINVAL, "auth.provider is '%s' but auth.%s is missing", kind, kind);
	static const char *const REQUIRED[] = {"client_id", "client_secret", "callback_path"};
	for (size_t i = 0; i < 3; i++)
		if (!json_is_string(json_object_get(block, REQUIRED[i])))
			return mx_err_set(err, MX_EINVAL, "auth.%s.%s is required", kind, REQUIRED[i]);
	if (k->scope_required && !json_is_string(json_object_get(block, "scope")))
		return mx_err_set(err, MX_EINVAL, "auth.%s.scope is required", kind);
	struct mx_oauth_provider *p = mx_calloc(1, sizeof *p);
	if (p == NULL)
		return MX_ENOMEM;
	p->kind = k;
	p->pkce = k->pkce;
	const char *pname = json_string_value(json_object_get(block, "provider_name"));
	p->name = mx_strdup(strcmp(kind, "oidc") == 0 && pname != NULL ? pname : kind);
	p->client_id = setting(block, "client_id", NULL);
	p->client_secret = setting(block, "client_secret", NULL);
	p->scope = setting(block, "scope", "");
	p->callback_path = setting(block, "callback_path", NULL);
	const char *aud = json_string_value(json_object_get(block, "audience"));
	p->audience = aud != NULL && strcmp(kind, "oidc") == 0 ? mx_strdup(aud) : NULL;
	p->claim_mappings = json_deep_copy(json_object_get(block, "claim_mappings"));
	if (p->claim_mappings == NULL)
		p->claim_mappings = json_object();
	p->extra_params = json_deep_copy(json_object_get(block, "extra_authorize_params"));
	p->scopes = json_array();
	for (const char *s = p->scope; *s;) {
		s += strspn(s, " \t");
		size_t w = strcspn(s, " \t");
		if (w > 0)
			json_array_append_new(p->scopes, json_stringn(s, w));
		s += w;
	}
	int rc = 0;
	if (strcmp(kind, "keycloak") == 0) {
		const char *server = json_string_value(json_object_get(block, "server_url"));
		const char *realm = json_string_value(json_object_get(block, "realm"));
		if (server == NULL || realm == NULL) {
			rc = mx_err_set(err, MX_EINVAL, "auth.keycloak.%s is required",
			                server == NULL ? "server_url" : "realm");
		} else {
			size_t sl = strlen(server);
			while (sl > 0 && server[sl - 1] == '/')
				sl--;
			char base[2048];
			snprintf(base, sizeof base, "%.*s/realms/%s/protocol/openid-connect", (int)sl, server,
			         realm);
			char u[2100];
			snprintf(u, sizeof u, "%s/auth", base);
			p->auth_url = mx_strdup(u);
			snprintf(u, sizeof u, "%s/token", base);
			p->token_url = mx_strdup(u);
			snprintf(u, sizeof u, "%s/userinfo", base);
			p->userinfo_url = mx_strdup(u);
		}
	} else if (strcmp(kind, "oidc") == 0) {
		int has_openid = 0;
		size_t i;
		json_t *s;
		json_array_foreach (p->scopes, i, s)
			has_openid |= strcmp(json_string_value(s), "openid") == 0;
		if (!json_is_string(json_object_get(block, "config_url")))
			rc = mx_err_set(err, MX_EINVAL, "auth.oidc.config_url is required");
		else if (!has_openid)
			rc = mx_err_set(err, MX_EINVAL, "auth.oidc.scope: OIDC scope must include 'openid'");
		else {
			p->config_url = setting(block, "config_url", NULL);
			rc = discover(p, err);
		}
	} else {
		p->auth_url = setting(block, "auth_url", k->auth_url);
		p->token_url = setting(block, "token_url", k->token_url);
		p->userinfo_url = setting(block, "userinfo_url", k->userinfo_url);
		if (strcmp(kind, "github") == 0)
			p->emails_url = setting(block, "emails_url", "https://api.github.com/user/emails");
	}
	if (rc != 0) {
		mx_oauth_provider_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void mx_oauth_provider_close(struct mx_oauth_provider *p)
{
	if (p == NULL)
		return;
	char **strs[] = {&p->name,          &p->client_id, &p->client_secret, &p->scope,
	                 &p->callback_path, &p->auth_url,  &p->token_url,     &p->userinfo_url,
	                 &p->emails_url,    &p->audience,  &p->config_url};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		mx_free(*strs[i]);
	json_decref(p->extra_params);
	json_decref(p->claim_mappings);
	json_decref(p->scopes);
	mx_free(p);
}

const char *mx_oauth_provider_name(const struct mx_oauth_provider *p)
{
	return p->name;
}

const char *mx_oauth_provider_callback_path(const struct mx_oauth_provider *p)
{
	return p->callback_path;
}

const json_t *mx_oauth_provider_claim_mappings(const struct mx_oauth_provider *p)
{
	return p->claim_mappings;
}

const json_t *mx_oauth_provider_scopes(const struct mx_oauth_provider *p)
{
	return p->scopes;
}

int mx_oauth_provider_pkce(const struct mx_oauth_provider *p)
{
	return p->pkce;
}

int mx_oauth_provider_user(const struct mx_oauth_provider *p, const char *access_token, json_t **user,
                           char *error, size_t n)
{
	*user = NULL;
	return p->kind->user(p, access_token, user, error, n);
}

int mx_oauth_provider_ready(struct mx_oauth_provider *p, char *why, size_t n)
{
	if (p->auth_url == NULL || p->token_url == NULL) {
		snprintf(why, n, "the %s endpoints are unknown", p->name);
		return -1;
	}
	return 0;
}
