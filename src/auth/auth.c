/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth — the facade of auth.h: reads and checks the profile's `auth` block
 * of the user config (MXCP's UserAuthConfigModel: the provider block the
 * provider needs, with its required keys; verifier mode only with oidc;
 * an oidc scope that holds `openid`), opens the mode, and answers for it:
 * verification (plus the required scopes and the capabilities of the
 * provider's claim_mappings, as MXCP's CapabilityMapper derives them),
 * the WWW-Authenticate challenge, the protected-resource metadata (RFC
 * 9728) and readiness. Every verification is counted for /metrics by
 * provider and result.
 *
 * The auth object is immutable after mx_auth_open; the mode guards its
 * own state, so every function here may run on any thread.
 */
#include "auth/auth.h"
#include "auth/jwt.h"
#include "auth/verifier.h"

#include "config/site.h"
#include "config/user.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "model/project.h"
#include "ops/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer bearer tokens are refused before any work (a header-sized bound). */
#define MAX_TOKEN MX_JWT_MAX_LEN

struct mx_auth {
	const struct mx_auth_mode *mode;
	void *state;
	char provider[64]; /* the provider's name: provider_name for oidc */
	json_t *claim_mappings; /* {claim path: {value: [capability]}}, or NULL */
	json_t *required_scopes; /* array of strings (maybe empty) */
};

/* Issuer mode lives in auth/oauth/; until it is built in, this stands in. */
__attribute__((weak)) int mx_auth_issuer_open(const struct mx_project *p, const json_t *config,
                                              const char *base_url, const struct mx_auth_mode **mode,
                                              void **state, struct mx_err *err)
{
	(void)config, (void)base_url, (void)mode, (void)state;
	const struct mx_user_config *u = p->user;
	return mx_err_at(
	        err, MX_EINVAL, u && u->file ? u->file : "", u ? u->auth_line : 0, u ? u->auth_col : 0,
	        "projects.%s.profiles.%s.auth.mode: issuer mode is not built in this mxcp (use mode: "
	        "verifier with provider: oidc)",
	        p->site->project, p->profile);
}

/* ------------------------------------------------------------ the config */

/* The required keys of each provider block: MXCP's (models.py) except
 * auth_url and token_url, which MXCP requires but which default here to
 * the provider's real endpoints (the URLs MXCP's docs and examples write
 * out; auth/oauth/provider.c holds them). */
static const struct provider_keys {
	const char *name;
	const char *required[7];
} PROVIDERS[] = {
        {"github", {"client_id", "client_secret", "callback_path", NULL}},
        {"atlassian", {"client_id", "client_secret", "scope", "callback_path", NULL}},
        {"salesforce", {"client_id", "client_secret", "callback_path", NULL}},
        {"google", {"client_id", "client_secret", "scope", "callback_path", NULL}},
        {"keycloak", {"client_id", "client_secret", "realm", "server_url", "callback_path", NULL}},
        {"oidc", {"config_url", "client_id", "client_secret", "scope", "callback_path", NULL}},
};
static const char *const OIDC_VERIFIER_REQUIRED[] = {"config_url", "client_id", "client_secret", "scope",
                                                     NULL};

struct where {
	const char *file;
	int line, col;
	const char *project, *profile;
};

#define CONFIG_ERR(w, err, ...) \
	mx_err_at(err, MX_EINVAL, (w)->file, (w)->line, (w)->col, "projects.%s.profiles.%s.auth" __VA_ARGS__)

static int has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	while (s && *s) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t m = strcspn(s, " \t");
		if (m == n && strncmp(s, word, n) == 0)
			return 1;
		s += m;
	}
	return 0;
}

static int check_config(const json_t *auth, const char *mode, const char *provider, const struct where *w,
                        struct mx_err *err)
{
	const struct provider_keys *pk = NULL;
	for (size_t i = 0; i < sizeof PROVIDERS / sizeof *PROVIDERS; i++)
		if (strcmp(PROVIDERS[i].name, provider) == 0)
			pk = &PROVIDERS[i];
	if (pk == NULL)
		return CONFIG_ERR(w, err, ".provider: unknown provider '%s'", w->project, w->profile,
		                  provider);
	int verifier = strcmp(mode, "verifier") == 0;
	if (verifier && strcmp(provider, "oidc") != 0)
		return CONFIG_ERR(w, err, ".mode: verifier mode takes provider oidc only (not '%s')",
		                  w->project, w->profile, provider);
	const json_t *block = json_object_get(auth, provider);
	if (!json_is_object(block))
		return CONFIG_ERR(w, err, ".%s: provider '%s' needs its '%s' block", w->project, w->profile,
		                  provider, provider, provider);
	const char *const *req = verifier ? OIDC_VERIFIER_REQUIRED : pk->required;
	for (; *req; req++) {
		const char *v = json_string_value(json_object_get(block, *req));
		if (v == NULL || *v == '\0')
			return CONFIG_ERR(w, err, ".%s.%s: required", w->project, w->profile, provider, *req);
	}
	if (strcmp(provider, "oidc") == 0 &&
	    !has_word(json_string_value(json_object_get(block, "scope")), "openid"))
		return CONFIG_ERR(w, err, ".oidc.scope: OIDC scope must include 'openid'", w->project,
		                  w->profile);
	const json_t *cm = json_object_get(block, "claim_mappings");
	const char *k;
	const json_t *vm;
	json_object_foreach ((json_t *)cm, k, vm) {
		const char *val;
		const json_t *caps;
		if (!json_is_object(vm))
			return CONFIG_ERR(w, err,
			                  ".%s.claim_mappings.%s: must be a mapping of claim value to a "
			                  "list of capabilities",
			                  w->project, w->profile, provider, k);
		json_object_foreach ((json_t *)vm, val, caps) {
			size_t i;
			const json_t *c;
			int ok = json_is_array(caps);
			json_array_foreach (caps, i, c)
				ok &= json_is_string(c);
			if (!ok)
				return CONFIG_ERR(w, err,
				                  ".%s.claim_mappings.%s.%s: must be a list of strings",
				                  w->project, w->profile, provider, k, val);
		}
	}
	return 0;
}

int mx_auth_open(const struct mx_project *p, const char *base_url, struct mx_auth **out, struct mx_err *err)
{
	*out = NULL;
	const struct mx_user_config *u = p->user;
	const json_t *auth =
	        u ? json_object_get(mx_user_profile(u, p->site->project, p->profile), "auth") : NULL;
	const char *provider = json_string_value(json_object_get(auth, "provider"));
	if (provider == NULL || strcmp(provider, "none") == 0)
		return 0; /* nothing to open, nothing paid */
	const char *mode = json_string_value(json_object_get(auth, "mode"));
	if (mode == NULL)
		mode = "issuer";
	struct where w = {u->file ? u->file : "", u->auth_line, u->auth_col, p->site->project, p->profile};
	int rc = check_config(auth, mode, provider, &w, err);
	if (rc)
		return rc;
	struct mx_auth *a = mx_calloc(1, sizeof *a);
	if (a == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	const json_t *block = json_object_get(auth, provider);
	const char *pn = strcmp(provider, "oidc") == 0
	                         ? json_string_value(json_object_get(block, "provider_name"))
	                         : NULL;
	snprintf(a->provider, sizeof a->provider, "%s", pn && *pn ? pn : provider);
	const json_t *cm = json_object_get(block, "claim_mappings");
	if (json_object_size(cm) > 0)
		a->claim_mappings = json_deep_copy(cm);
	const json_t *rs = json_object_get(json_object_get(auth, "authorization"), "required_scopes");
	a->required_scopes = json_is_array(rs) ? json_deep_copy(rs) : json_array();
	if (a->required_scopes == NULL || (cm && json_object_size(cm) > 0 && a->claim_mappings == NULL)) {
		mx_auth_close(a);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	if (strcmp(mode, "verifier") == 0)
		rc = mx_auth_verifier_open(p, auth, &a->mode, &a->state, err);
	else
		rc = mx_auth_issuer_open(p, auth, base_url, &a->mode, &a->state, err);
	if (rc) {
		a->mode = NULL;
		mx_auth_close(a);
		return rc;
	}
	mx_info("auth: %s mode, provider %s", a->mode->name, a->provider);
	*out = a;
	return 0;
}

void mx_auth_close(struct mx_auth *a)
{
	if (a == NULL)
		return;
	if (a->mode && a->mode->close)
		a->mode->close(a->state);
	json_decref(a->claim_mappings);
	json_decref(a->required_scopes);
	mx_free(a);
}

const char *mx_auth_mode_name(const struct mx_auth *a)
{
	return a ? a->mode->name : "none";
}

const char *mx_auth_provider(const struct mx_auth *a)
{
	return a ? a->provider : "none";
}

/* ---------------------------------------------------------- capabilities */

/* CapabilityMapper._resolve_path: the exact key first (URI-style claim
 * names hold dots), else a walk of dot-separated parts. */
static const json_t *resolve_claim(const json_t *profile, const char *path)
{
	const json_t *v = json_object_get(profile, path);
	if (v)
		return v;
	const json_t *cur = profile;
	char part[256];
	for (const char *s = path;;) {
		size_t n = strcspn(s, ".");
		if (n >= sizeof part || !json_is_object(cur))
			return NULL;
		memcpy(part, s, n);
		part[n] = '\0';
		if ((cur = json_object_get(cur, part)) == NULL)
			return NULL;
		if (s[n] == '\0')
			return cur;
		s += n + 1;
	}
}

/* str() of a scalar as Python prints it (bools lower-case, as MXCP's
 * _scalar_to_str); 0 when it has no text we match (objects, null). */
static int scalar_text(const json_t *v, char *out, size_t n)
{
	if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else if (json_is_true(v))
		snprintf(out, n, "true");
	else if (json_is_false(v))
		snprintf(out, n, "false");
	else if (json_is_integer(v))
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, n, "%.17g", json_real_value(v));
	else if (json_is_null(v))
		snprintf(out, n, "None");
	else
		return 0;
	return 1;
}

static int add_caps(json_t *set, const json_t *value_map, const char *value)
{
	const json_t *caps = json_object_get(value_map, value);
	size_t i;
	const json_t *c;
	json_array_foreach (caps, i, c) {
		if (json_object_set(set, json_string_value(c), json_true()) != 0)
			return -1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* CapabilityMapper.derive: a sorted list (MXCP's is a set). */
static json_t *derive_capabilities(const json_t *mappings, const json_t *raw)
{
	json_t *set = json_object();
	const char *path;
	const json_t *vm;
	char text[512];
	json_object_foreach ((json_t *)mappings, path, vm) {
		const json_t *v = resolve_claim(raw, path);
		if (v == NULL)
			continue;
		if (json_is_array(v)) {
			size_t i;
			const json_t *e;
			json_array_foreach (v, i, e) {
				if (scalar_text(e, text, sizeof text) && add_caps(set, vm, text) != 0)
					goto oom;
			}
		} else if (json_is_string(v) && strchr(json_string_value(v), ' ')) {
			for (const char *s = json_string_value(v); *s;) {
				s += strspn(s, " \t\n\r\f\v");
				size_t n = strcspn(s, " \t\n\r\f\v");
				if (n && n < sizeof text) {
					memcpy(text, s, n);
					text[n] = '\0';
					if (add_caps(set, vm, text) != 0)
						goto oom;
				}
				s += n;
			}
		} else if (scalar_text(v, text, sizeof text) && add_caps(set, vm, text) != 0) {
			goto oom;
		}
	}
	size_t nk = json_object_size(set), i = 0;
	const char **keys = mx_malloc((nk ? nk : 1) * sizeof *keys);
	json_t *list = keys ? json_array() : NULL;
	const char *k;
	json_t *ignored;
	json_object_foreach (set, k, ignored)
		if (keys)
			keys[i++] = k;
	if (keys)
		qsort(keys, nk, sizeof *keys, cmp_str);
	for (i = 0; list && i < nk; i++)
		if (json_array_append_new(list, json_string(keys[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	mx_free(keys);
	json_decref(set);
	return list;
oom:
	json_decref(set);
	return NULL;
}

/* ------------------------------------------------------------ verifying */

static const char *status_result(enum mx_auth_status s)
{
	switch (s) {
	case MX_AUTH_OK: return "ok";
	case MX_AUTH_NO_TOKEN: return "no_token";
	case MX_AUTH_INVALID: return "invalid";
	case MX_AUTH_FORBIDDEN: return "forbidden";
	case MX_AUTH_UNAVAILABLE: return "unavailable";
	}
	return "invalid";
}

/* Does the context's `scopes` hold every required scope? */
static int scopes_ok(const json_t *required, const json_t *uc, const char **missing)
{
	const json_t *have = json_object_get(uc, "scopes");
	size_t i, j;
	const json_t *r, *h;
	json_array_foreach (required, i, r) {
		int found = 0;
		json_array_foreach (have, j, h)
			found |= json_equal(r, h);
		if (!found) {
			*missing = json_string_value(r);
			return 0;
		}
	}
	return 1;
}

static enum mx_auth_status verify(struct mx_auth *a, const char *token, const char *resource, json_t **uc,
                                  char *reason, size_t n)
{
	if (token == NULL || *token == '\0') {
		snprintf(reason, n, "no bearer token");
		return MX_AUTH_NO_TOKEN;
	}
	if (strnlen(token, MAX_TOKEN + 1) > MAX_TOKEN) {
		snprintf(reason, n, "token longer than %d bytes", MAX_TOKEN);
		return MX_AUTH_INVALID;
	}
	for (const unsigned char *s = (const unsigned char *)token; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f) {
			snprintf(reason, n, "token with characters outside RFC 6750's b64token");
			return MX_AUTH_INVALID;
		}
	enum mx_auth_status st = a->mode->verify(a->state, token, resource, uc, reason, n);
	if (st != MX_AUTH_OK)
		return st;
	const char *missing = NULL;
	if (!scopes_ok(a->required_scopes, *uc, &missing)) {
		json_decref(*uc);
		*uc = NULL;
		snprintf(reason, n, "missing required scope %.64s", missing);
		return MX_AUTH_FORBIDDEN;
	}
	const json_t *raw = json_object_get(*uc, "raw_profile");
	json_t *caps =
	        a->claim_mappings ? derive_capabilities(a->claim_mappings, raw ? raw : *uc) : json_array();
	if (caps == NULL || json_object_set_new(*uc, "capabilities", caps) != 0) {
		json_decref(*uc);
		*uc = NULL;
		snprintf(reason, n, "out of memory");
		return MX_AUTH_UNAVAILABLE;
	}
	return MX_AUTH_OK;
}

enum mx_auth_status mx_auth_verify_for(struct mx_auth *a, const char *token, const char *resource,
                                       json_t **user_context, char *reason, size_t n)
{
	*user_context = NULL;
	reason[0] = '\0';
	enum mx_auth_status st = verify(a, token, resource, user_context, reason, n);
	mx_metrics_auth(a->provider, status_result(st));
	return st;
}

enum mx_auth_status mx_auth_verify(struct mx_auth *a, const char *token, json_t **user_context, char *reason,
                                   size_t n)
{
	return mx_auth_verify_for(a, token, NULL, user_context, reason, n);
}

/* -------------------------------------------------------------- reloads */

static const json_t *auth_block(const struct mx_project *p)
{
	const struct mx_user_config *u = p ? p->user : NULL;
	return u ? json_object_get(mx_user_profile(u, p->site->project, p->profile), "auth") : NULL;
}

int mx_auth_reload_check(const struct mx_project *started, const struct mx_project *next)
{
	const json_t *was = auth_block(started), *now = auth_block(next);
	if (was == now || (was != NULL && now != NULL && json_equal(was, now)))
		return 0;
	mx_warn("reload: the auth configuration changed; it is read once at start, so the server keeps "
	        "the previous one until it is restarted");
	return 1;
}

/* ------------------------------------------------------------ challenge */

int mx_auth_challenge(const struct mx_auth *a, enum mx_auth_status status, const char *base_url, char *out,
                      size_t n)
{
	char scope[512] = "";
	size_t i, used = 0;
	const json_t *s;
	json_array_foreach (a->required_scopes, i, s) {
		int w = snprintf(scope + used, sizeof scope - used, "%s%s", used ? " " : "",
		                 json_string_value(s));
		if (w < 0 || (size_t)w >= sizeof scope - used)
			break;
		used += (size_t)w;
	}
	const char *error = status == MX_AUTH_FORBIDDEN  ? "insufficient_scope"
	                    : status == MX_AUTH_NO_TOKEN ? NULL
	                                                 : "invalid_token";
	const char *desc = status == MX_AUTH_FORBIDDEN     ? "Required scope missing"
	                   : status == MX_AUTH_NO_TOKEN    ? NULL
	                   : status == MX_AUTH_UNAVAILABLE ? "The identity provider is unavailable"
	                                                   : "Authentication required";
	int w = snprintf(
	        out, n,
	        "Bearer%s%s%s%s%s%s%s%s%s resource_metadata=\"%s/.well-known/oauth-protected-resource\"",
	        error ? " error=\"" : "", error ? error : "", error ? "\"," : "",
	        desc ? " error_description=\"" : "", desc ? desc : "", desc ? "\"," : "",
	        scope[0] ? " scope=\"" : "", scope[0] ? scope : "", scope[0] ? "\"," : "",
	        base_url ? base_url : "");
	return w < 0 || (size_t)w >= n ? MX_ELIMIT : 0;
}

/* --------------------------------------------------------------- routes */

/* RFC 9728 metadata: at /.well-known/oauth-protected-resource for the
 * server (MXCP's resource: the base URL) and under the MCP path for the
 * MCP endpoint itself (the path MCP clients try first). */
static int protected_resource(struct mx_auth *a, const struct mx_auth_http_request *rq,
                              struct mx_auth_http_response *out)
{
	static const char prm[] = "/.well-known/oauth-protected-resource";
	size_t n = sizeof prm - 1;
	if (strncmp(rq->path, prm, n) != 0)
		return 0;
	const char *suffix = rq->path + n;
	if (*suffix && strcmp(suffix, "/mcp") != 0 && strcmp(suffix, "/mcp/") != 0 &&
	    strcmp(suffix, "/") != 0)
		return 0;
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		out->status = 405;
		return 1;
	}
	const char *base = rq->base_url ? rq->base_url : "";
	char resource[1200], doc[1200];
	snprintf(resource, sizeof resource, "%s%s", base, strncmp(suffix, "/mcp", 4) == 0 ? "/mcp" : "");
	snprintf(doc, sizeof doc, "%s/docs", base);
	const char *as = base;
	if (strcmp(a->mode->name, "verifier") == 0 && mx_auth_verifier_issuer(a->state))
		as = mx_auth_verifier_issuer(a->state);
	json_t *md = json_pack("{s:s, s:[s], s:O, s:[s], s:s}", "resource", resource, "authorization_servers",
	                       as, "scopes_supported", a->required_scopes, "bearer_methods_supported",
	                       "header", "resource_documentation", doc);
	out->body = md ? mx_json_dumps(md, MX_JSON_COMPACT) : NULL;
	json_decref(md);
	if (out->body == NULL) {
		out->status = 500;
		return 1;
	}
	out->status = 200;
	out->body_len = strlen(out->body);
	snprintf(out->content_type, sizeof out->content_type, "application/json");
	return 1;
}

int mx_auth_route(struct mx_auth *a, const struct mx_auth_http_request *rq, struct mx_auth_http_response *out)
{
	memset(out, 0, sizeof *out);
	if (a == NULL || rq->path == NULL || rq->method == NULL)
		return 0;
	if (a->mode->route && a->mode->route(a->state, rq, out))
		return 1;
	return protected_resource(a, rq, out);
}

void mx_auth_http_response_clear(struct mx_auth_http_response *r)
{
	if (r == NULL)
		return;
	mx_free(r->body);
	mx_free(r->location);
	memset(r, 0, sizeof *r);
}

int mx_auth_ready(struct mx_auth *a, char *why, size_t n)
{
	if (a == NULL || a->mode->ready == NULL)
		return 0;
	return a->mode->ready(a->state, why, n);
}
