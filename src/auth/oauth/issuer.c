/* SPDX-License-Identifier: Apache-2.0 */
/*
 * issuer — issuer mode (MXCP §7): mxcp is the OAuth 2.1 authorization
 * server of its MCP clients and delegates login to an identity provider.
 *
 *   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata
 *   POST /register                                  RFC 7591 (DCR)
 *   GET|POST /authorize                             → the provider's login
 *   GET  <callback_path>                            ← the provider; → client
 *   POST /token                                     code (PKCE S256) | refresh
 *   POST /revoke                                    RFC 7009
 *
 * Beyond MXCP: a client_id that is an https URL is a Client ID Metadata
 * Document, fetched, validated and cached; `resource` (RFC 8707) must
 * name this server and binds the code; /revoke.
 *
 * Invariants: states and codes are one-time (store take) and expire in
 * 300 s; redirect_uri matches a registered one exactly; the client's
 * scope never reaches the provider (its configured scope does); PKCE S256
 * is required of clients and used with the provider when it takes it;
 * access and refresh tokens and codes are stored only as SHA-256 hashes;
 * the provider's tokens and our PKCE verifier are Fernet-encrypted when
 * auth_encryption_key is set (a warning says when it is not); no token,
 * secret, code, state, e-mail or user id is ever logged.
 *
 * The facade (auth.c) answers the protected-resource metadata (RFC 9728),
 * checks required_scopes and derives capabilities from raw_profile.
 *
 * Threads: every function runs on an HTTP thread; the provider is
 * immutable and the store serialises itself, so there is no lock but the
 * sweep clock's.
 */
#include "auth/auth.h"
#include "auth/oauth/fernet.h"
#include "auth/oauth/provider.h"
#include "auth/oauth/store.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/fetch.h"
#include "core/form.h"
#include "core/json.h"
#include "core/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define STATE_TTL 300
#define CODE_TTL 300
#define DEFAULT_ACCESS_TTL 3600
#define REFRESH_TTL (30 * 24 * 3600)
#define CIMD_TTL 3600
#define MAX_BODY (64 * 1024)
#define MAX_CIMD (16 * 1024)
#define SWEEP_EVERY 60

struct issuer {
	struct mx_oauth_provider *provider;
	struct mx_oauth_store *store;
	struct mx_fernet_key key;
	int has_key;
	int cimd_loopback_http; /* tests only: CIMD over http on loopback */
	char *base_url;
	json_t *required_scopes;
	pthread_mutex_t sweep_lock;
	double last_sweep;
};

/* ---------------------------------------------------------------------------
 * Small tools
 * ------------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int random_hex(char *out, size_t bytes)
{
	unsigned char raw[64];
	if (bytes > sizeof raw || RAND_bytes(raw, (int)bytes) != 1)
		return -1;
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

static void sha256(const char *s, unsigned char md[32])
{
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
}

/* The store key of a token or code: SHA-256, hex. */
static void token_hash(const char *token, char out[65])
{
	unsigned char md[32];
	sha256(token, md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* PKCE S256: base64url(SHA-256(verifier)), no padding. */
static void pkce_challenge(const char *verifier, char out[48])
{
	unsigned char md[32];
	sha256(verifier, md);
	mx_base64url_encode(md, 32, out, 0);
}

static int ct_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* A secret as stored: a Fernet token under the key, else as it is. */
static json_t *seal(struct issuer *s, const char *plain)
{
	if (plain == NULL)
		return json_null();
	if (!s->has_key)
		return json_string(plain);
	char *tok = mx_fernet_encrypt(&s->key, plain, strlen(plain), (int64_t)time(NULL), NULL);
	json_t *j = tok != NULL ? json_string(tok) : NULL;
	mx_free(tok);
	return j;
}

/* The clear text of a sealed member (mx_free), or NULL. */
static char *unseal(struct issuer *s, const json_t *v)
{
	const char *t = json_string_value(v);
	if (t == NULL)
		return NULL;
	if (!s->has_key)
		return mx_strdup(t);
	char *plain = NULL;
	if (mx_fernet_decrypt(&s->key, t, &plain, NULL) != 0) {
		mx_warn("oauth: a stored secret does not decrypt with auth_encryption_key");
		return NULL;
	}
	return plain;
}

static void sweep_maybe(struct issuer *s)
{
	double now = now_s();
	pthread_mutex_lock(&s->sweep_lock);
	int due = now - s->last_sweep >= SWEEP_EVERY;
	if (due)
		s->last_sweep = now;
	pthread_mutex_unlock(&s->sweep_lock);
	if (due)
		s->store->sweep(s->store, now);
}

/* ---------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------- */

static int reply_json(struct mx_auth_http_response *out, int status, json_t *body)
{
	out->status = status;
	snprintf(out->content_type, sizeof out->content_type, "application/json");
	snprintf(out->cache_control, sizeof out->cache_control, "no-store");
	out->body = body != NULL ? mx_json_dumps(body, MX_JSON_COMPACT) : NULL;
	out->body_len = out->body != NULL ? strlen(out->body) : 0;
	json_decref(body);
	return 1;
}

static int reply_error(struct mx_auth_http_response *out, int status, const char *error,
                       const char *description)
{
	json_t *b = json_pack("{s:s}", "error", error);
	if (description != NULL)
		json_object_set_new(b, "error_description", json_string(description));
	return reply_json(out, status, b);
}

static int reply_redirect(struct mx_auth_http_response *out, struct mx_buf *url)
{
	out->status = 302;
	out->location = mx_buf_detach(url);
	snprintf(out->cache_control, sizeof out->cache_control, "no-store");
	return 1;
}

/* A redirect to uri with params (name, value, … NULL; a NULL value is
 * left out). */
static int redirect_to(struct mx_auth_http_response *out, const char *uri, ...)
{
	struct mx_buf u;
	mx_buf_init(&u, 64 * 1024);
	mx_buf_puts(&u, uri);
	struct mx_buf q;
	mx_buf_init(&q, 64 * 1024);
	va_list ap;
	va_start(ap, uri);
	for (;;) {
		const char *name = va_arg(ap, const char *);
		if (name == NULL)
			break;
		const char *value = va_arg(ap, const char *);
		if (value != NULL)
			mx_form_put(&q, name, value);
	}
	va_end(ap);
	if (q.len > 0) {
		mx_buf_putc(&u, strchr(uri, '?') != NULL ? '&' : '?');
		mx_buf_append(&u, q.p, q.len);
	}
	mx_buf_free(&q);
	return reply_redirect(out, &u);
}

static const char *base_of(const struct issuer *s, const struct mx_auth_http_request *rq)
{
	return rq->base_url != NULL && *rq->base_url ? rq->base_url : s->base_url;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *r = mx_malloc(n);
	if (r != NULL)
		snprintf(r, n, "%s%s%s", a, *b == '/' ? "" : "/", b);
	return r;
}

/* The request's parameters: the query of a GET, the form body of a POST. */
static int params_of(const struct mx_auth_http_request *rq, json_t **out)
{
	if (strcmp(rq->method, "POST") == 0 && rq->body != NULL && rq->body_len > 0) {
		if (rq->content_type != NULL &&
		    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33) != 0)
			return MX_EINVAL;
		return mx_form_parse(rq->body, rq->body_len, out);
	}
	return mx_form_parse(rq->query, rq->query != NULL ? strlen(rq->query) : 0, out);
}

static const char *param(const json_t *p, const char *name)
{
	const char *v = json_string_value(json_object_get(p, name));
	return v != NULL && *v ? v : NULL;
}

/* ---------------------------------------------------------------------------
 * Clients: the store's (configured, registered) and CIMD documents
 * ------------------------------------------------------------------------- */

static int is_cimd_url(const struct issuer *s, const char *id)
{
	if (strncmp(id, "https://", 8) == 0)
		return 1;
	if (!s->cimd_loopback_http)
		return 0;
	static const char *const LOOP[] = {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
	                                   "http://localhost/", "http://[::1]:",     "http://[::1]/"};
	for (size_t i = 0; i < sizeof LOOP / sizeof LOOP[0]; i++)
		if (strncmp(id, LOOP[i], strlen(LOOP[i])) == 0)
			return 1;
	return 0;
}

/* Fetch and validate a Client ID Metadata Document (the MCP 2025-11-25
 * draft of OAuth CIMD): a JSON object whose client_id is its own URL,
 * with redirect_uris, and no secret (token_endpoint_auth_method none). */
static int fetch_cimd(struct issuer *s, const char *url, json_t **client, const char **why)
{
	*client = NULL;
	if (strchr(url, '#') != NULL || strchr(url, '@') != NULL || strstr(url, "/..") != NULL) {
		*why = "client_id URL is not allowed";
		return MX_EINVAL;
	}
	const char *headers[] = {"Accept: application/json", NULL};
	struct mx_fetch_request rq = {.url = url,
	                              .headers = headers,
	                              .timeout_s = 10,
	                              .connect_timeout_s = 5,
	                              .max_response = MAX_CIMD};
	struct mx_fetch_response resp;
	int rc = mx_fetch(&rq, &resp);
	json_t *doc = rc == 0 && resp.status == 200 ? json_loadb(resp.body.p, resp.body.len, 0, NULL) : NULL;
	mx_buf_free(&resp.body);
	if (doc == NULL) {
		mx_warn("oauth: client metadata document %s could not be fetched (%s)", url,
		        rc != 0 ? resp.error : "not a JSON document");
		*why = "Client metadata document could not be fetched";
		return MX_ENOTFOUND;
	}
	const char *id = json_string_value(json_object_get(doc, "client_id"));
	const json_t *uris = json_object_get(doc, "redirect_uris");
	const char *method = json_string_value(json_object_get(doc, "token_endpoint_auth_method"));
	*why = NULL;
	if (id == NULL || strcmp(id, url) != 0)
		*why = "Client metadata document's client_id differs from its URL";
	else if (!json_is_array(uris) || json_array_size(uris) == 0)
		*why = "Client metadata document has no redirect_uris";
	else if (json_object_get(doc, "client_secret") != NULL ||
	         (method != NULL && strcmp(method, "none") != 0))
		*why = "Client metadata document may not use a client secret";
	size_t i;
	json_t *u;
	json_array_foreach (uris, i, u)
		if (!json_is_string(u))
			*why = "Client metadata document has a bad redirect_uri";
	if (*why != NULL) {
		mx_warn("oauth: client metadata document %s refused: %s", url, *why);
		json_decref(doc);
		return MX_EINVAL;
	}
	json_t *c = json_pack("{s:s, s:O, s:s, s:[ss]}", "client_id", url, "redirect_uris", uris,
	                      "token_endpoint_auth_method", "none", "grant_types", "authorization_code",
	                      "refresh_token");
	const char *name = json_string_value(json_object_get(doc, "client_name"));
	if (c != NULL && name != NULL)
		json_object_set_new(c, "client_name", json_string(name));
	json_decref(doc);
	if (c == NULL)
		return MX_ENOMEM;
	s->store->put(s->store, MX_OAUTH_T_CLIENTS, url, c, now_s() + CIMD_TTL);
	*client = c;
	return 0;
}

/* The client named id: 0 with a new reference; MX_ENOTFOUND with why. */
static int load_client(struct issuer *s, const char *id, json_t **client, const char **why)
{
	*why = "Client not found";
	int rc = s->store->get(s->store, MX_OAUTH_T_CLIENTS, id, now_s(), client);
	if (rc == MX_ENOTFOUND && is_cimd_url(s, id))
		rc = fetch_cimd(s, id, client, why);
	return rc;
}

static int client_has_redirect(const json_t *client, const char *uri)
{
	size_t i;
	json_t *u;
	json_array_foreach (json_object_get(client, "redirect_uris"), i, u) {
		if (json_is_string(u) && strcmp(json_string_value(u), uri) == 0)
			return 1;
	}
	return 0;
}

/* Client authentication at /token and /revoke: client_secret_post,
 * client_secret_basic, or none for a client without a secret. 0 with the
 * client; else the response is written (401 invalid_client). */
static int authenticate_client(struct issuer *s, const struct mx_auth_http_request *rq, const json_t *params,
                               json_t **client, struct mx_auth_http_response *out)
{
	*client = NULL;
	const char *id = param(params, "client_id");
	const char *secret = param(params, "client_secret");
	char basic_id[512] = "", basic_secret[512] = "";
	const char *authz = json_string_value(json_object_get(rq->headers, "authorization"));
	if (authz != NULL && strncasecmp(authz, "Basic ", 6) == 0) {
		char raw[1100];
		size_t n = 0;
		const char *b64 = authz + 6;
		if (strlen(b64) < 1400 && mx_base64_decode(b64, strlen(b64), raw, sizeof raw - 1, &n) == 0) {
			raw[n] = '\0';
			char *colon = strchr(raw, ':');
			if (colon != NULL) {
				*colon = '\0';
				json_t *dec = NULL;
				/* RFC 6749 §2.3.1: both parts are form-encoded. */
				struct mx_buf f;
				mx_buf_init(&f, 4096);
				mx_buf_printf(&f, "i=%s&s=%s", raw, colon + 1);
				if (mx_form_parse(f.p, f.len, &dec) == 0) {
					snprintf(basic_id, sizeof basic_id, "%s",
					         json_string_value(json_object_get(dec, "i")));
					snprintf(basic_secret, sizeof basic_secret, "%s",
					         json_string_value(json_object_get(dec, "s")));
				}
				json_decref(dec);
				memset(f.p, 0, f.len);
				mx_buf_free(&f);
			}
			OPENSSL_cleanse(raw, sizeof raw);
		}
		if (basic_id[0] == '\0' || (id != NULL && strcmp(id, basic_id) != 0))
			return reply_error(out, 401, "invalid_client", "Invalid client credentials"), -1;
		id = basic_id;
		secret = basic_secret;
	}
	if (id == NULL)
		return reply_error(out, 401, "invalid_client", "client_id is required"), -1;
	const char *why = NULL;
	json_t *c = NULL;
	int rc = load_client(s, id, &c, &why);
	if (rc == MX_EIO)
		return reply_error(out, 503, "temporarily_unavailable", NULL), -1;
	if (rc != 0)
		return reply_error(out, 401, "invalid_client", why), -1;
	char *want = unseal(s, json_object_get(c, "client_secret"));
	int ok = want == NULL || (secret != NULL && ct_equal(want, secret));
	if (want != NULL) {
		OPENSSL_cleanse(want, strlen(want));
		mx_free(want);
	}
	OPENSSL_cleanse(basic_secret, sizeof basic_secret);
	if (!ok) {
		json_decref(c);
		mx_info("oauth: client authentication failed for client %s", id);
		return reply_error(out, 401, "invalid_client", "Invalid client credentials"), -1;
	}
	*client = c;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Metadata
 * ------------------------------------------------------------------------- */

static int route_as_metadata(struct issuer *s, const struct mx_auth_http_request *rq,
                             struct mx_auth_http_response *out)
{
	const char *b = base_of(s, rq);
	char *authz = join(b, "/authorize"), *token = join(b, "/token"), *reg = join(b, "/register"),
	     *rev = join(b, "/revoke"), *doc = join(b, "/docs");
	json_t *m = json_pack(
	        "{s:s, s:s, s:s, s:s, s:s, s:[s], s:[ss], s:[sss], s:[s], s:[sss], s:b, s:s}", "issuer", b,
	        "authorization_endpoint", authz, "token_endpoint", token, "registration_endpoint", reg,
	        "revocation_endpoint", rev, "response_types_supported", "code", "grant_types_supported",
	        "authorization_code", "refresh_token", "token_endpoint_auth_methods_supported",
	        "client_secret_post", "client_secret_basic", "none", "code_challenge_methods_supported",
	        "S256", "revocation_endpoint_auth_methods_supported", "client_secret_post",
	        "client_secret_basic", "none", "client_id_metadata_document_supported", 1,
	        "service_documentation", doc);
	if (m != NULL && json_array_size(s->required_scopes) > 0)
		json_object_set(m, "scopes_supported", s->required_scopes);
	mx_free(authz);
	mx_free(token);
	mx_free(reg);
	mx_free(rev);
	mx_free(doc);
	return reply_json(out, 200, m);
}

/* RFC 8707: a resource indicator must name this server (its base URL or
 * a URL under it) and carry no fragment. */
static int resource_ok(const char *base, const char *resource)
{
	size_t n = strlen(base);
	if (strchr(resource, '#') != NULL || strncmp(resource, base, n) != 0)
		return 0;
	return resource[n] == '\0' || resource[n] == '/';
}

/* ---------------------------------------------------------------------------
 * Dynamic client registration (RFC 7591)
 * ------------------------------------------------------------------------- */

static int uri_ok(const char *u)
{
	const char *colon = strstr(u, "://");
	if (colon == NULL || colon == u || strchr(u, '#') != NULL || strlen(u) > 2000)
		return 0;
	for (const char *p = u; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '+' || *p == '.' || *p == '-'))
			return 0;
	return colon[3] != '\0';
}

static int route_register(struct issuer *s, const struct mx_auth_http_request *rq,
                          struct mx_auth_http_response *out)
{
	json_error_t jerr;
	json_t *md = rq->body != NULL ? json_loadb(rq->body, rq->body_len, 0, &jerr) : NULL;
	if (!json_is_object(md)) {
		json_decref(md);
		return reply_error(out, 400, "invalid_client_metadata", "The body must be a JSON object");
	}
	const json_t *uris = json_object_get(md, "redirect_uris");
	const char *bad = NULL;
	if (!json_is_array(uris) || json_array_size(uris) == 0 || json_array_size(uris) > 20)
		bad = "redirect_uris is required";
	size_t i;
	json_t *u;
	json_array_foreach (uris, i, u)
		if (!json_is_string(u) || !uri_ok(json_string_value(u)))
			bad = "bad redirect_uri";
	const char *method = json_string_value(json_object_get(md, "token_endpoint_auth_method"));
	if (method == NULL)
		method = "client_secret_post";
	if (bad == NULL && strcmp(method, "none") != 0 && strcmp(method, "client_secret_post") != 0 &&
	    strcmp(method, "client_secret_basic") != 0)
		bad = "unsupported token_endpoint_auth_method";
	const json_t *grants = json_object_get(md, "grant_types");
	json_array_foreach (grants, i, u) {
		const char *g = json_string_value(u);
		if (g == NULL || (strcmp(g, "authorization_code") != 0 && strcmp(g, "refresh_token") != 0))
			bad = "unsupported grant_type";
	}
	if (bad != NULL) {
		json_decref(md);
		return reply_error(
		        out, 400,
		        strstr(bad, "redirect") ? "invalid_redirect_uri" : "invalid_client_metadata", bad);
	}
	sweep_maybe(s);
	char id[33], secret[65];
	if (random_hex(id, 16) != 0 || random_hex(secret, 32) != 0) {
		json_decref(md);
		return reply_error(out, 500, "server_error", NULL);
	}
	int has_secret = strcmp(method, "none") != 0;
	long long issued = (long long)time(NULL);
	json_t *resp = json_pack("{s:s, s:O, s:s, s:I, s:[s]}", "client_id", id, "redirect_uris", uris,
	                         "token_endpoint_auth_method", method, "client_id_issued_at",
	                         (json_int_t)issued, "response_types", "code");
	json_object_set_new(resp, "grant_types",
	                    json_is_array(grants) && json_array_size(grants) > 0
	                            ? json_deep_copy(grants)
	                            : json_pack("[ss]", "authorization_code", "refresh_token"));
	static const char *const COPY[] = {"client_name", "client_uri",  "logo_uri",
	                                   "scope",       "contacts",    "tos_uri",
	                                   "policy_uri",  "software_id", "software_version"};
	for (size_t k = 0; k < sizeof COPY / sizeof COPY[0]; k++) {
		json_t *v = json_object_get(md, COPY[k]);
		if (v != NULL)
			json_object_set(resp, COPY[k], v);
	}
	json_decref(md);
	json_t *rec = json_deep_copy(resp);
	if (has_secret) {
		json_object_set_new(rec, "client_secret", seal(s, secret));
		json_object_set_new(resp, "client_secret", json_string(secret));
		json_object_set_new(resp, "client_secret_expires_at", json_integer(0));
	}
	int rc = rec != NULL ? s->store->put(s->store, MX_OAUTH_T_CLIENTS, id, rec, 0) : MX_ENOMEM;
	json_decref(rec);
	OPENSSL_cleanse(secret, sizeof secret);
	if (rc != 0) {
		json_decref(resp);
		return reply_error(out, 503, "temporarily_unavailable", NULL);
	}
	mx_info("oauth: registered client %s", id);
	return reply_json(out, 201, resp);
}

/* ---------------------------------------------------------------------------
 * /authorize → the provider
 * ------------------------------------------------------------------------- */

static int route_authorize(struct issuer *s, const struct mx_auth_http_request *rq,
                           struct mx_auth_http_response *out)
{
	json_t *p = NULL;
	if (params_of(rq, &p) != 0)
		return reply_error(out, 400, "invalid_request", "Malformed request parameters");
	const char *client_id = param(p, "client_id");
	json_t *client = NULL;
	const char *why = NULL;
	int rc = client_id != NULL ? load_client(s, client_id, &client, &why) : MX_ENOTFOUND;
	if (rc != 0) {
		json_decref(p);
		if (rc == MX_EIO)
			return reply_error(out, 503, "temporarily_unavailable", NULL);
		return reply_error(out, 400, "invalid_request",
		                   client_id == NULL ? "client_id is required" : why);
	}
	/* Until redirect_uri is known good, errors are shown, never redirected. */
	const char *redirect_uri = param(p, "redirect_uri");
	const json_t *uris = json_object_get(client, "redirect_uris");
	if (redirect_uri == NULL && json_array_size(uris) == 1)
		redirect_uri = json_string_value(json_array_get(uris, 0));
	if (redirect_uri == NULL || !client_has_redirect(client, redirect_uri)) {
		json_decref(p);
		json_decref(client);
		return reply_error(out, 400, "invalid_request",
		                   redirect_uri == NULL
		                           ? "redirect_uri must be specified when client has multiple "
		                             "registered URIs"
		                           : "Redirect URI not registered for client");
	}
	const char *client_state = param(p, "state");
	const char *rtype = param(p, "response_type");
	const char *challenge = param(p, "code_challenge");
	const char *method = param(p, "code_challenge_method");
	const char *resource = param(p, "resource");
	const char *err = NULL, *desc = NULL;
	if (rtype == NULL || strcmp(rtype, "code") != 0)
		err = "unsupported_response_type", desc = "response_type must be code";
	else if (challenge == NULL || strlen(challenge) < 43 || strlen(challenge) > 128)
		err = "invalid_request", desc = "code_challenge is required (PKCE S256)";
	else if (method == NULL || strcmp(method, "S256") != 0)
		err = "invalid_request", desc = "code_challenge_method must be S256";
	else if (resource != NULL && !resource_ok(base_of(s, rq), resource))
		err = "invalid_target", desc = "resource is not this server";
	if (err != NULL) {
		char *uri = mx_strdup(redirect_uri),
		     *cs = client_state != NULL ? mx_strdup(client_state) : NULL;
		json_decref(p);
		json_decref(client);
		redirect_to(out, uri, "error", err, "error_description", desc, "state", cs, NULL);
		mx_free(uri);
		mx_free(cs);
		return 1;
	}
	sweep_maybe(s);
	char state[65], verifier[65], pchallenge[48];
	if (random_hex(state, 32) != 0 || random_hex(verifier, 32) != 0) {
		json_decref(p);
		json_decref(client);
		return reply_error(out, 500, "server_error", NULL);
	}
	int pkce = mx_oauth_provider_pkce(s->provider);
	if (pkce)
		pkce_challenge(verifier, pchallenge);
	char *callback = join(base_of(s, rq), mx_oauth_provider_callback_path(s->provider));
	/* The client's scope is deliberately not kept: the provider gets the
	 * configured scope, whatever the client asked for. */
	json_t *rec = json_pack(
	        "{s:s, s:s, s:s, s:s, s:o, s:o, s:O, s:s, s:o}", "client_id", client_id, "redirect_uri",
	        redirect_uri, "code_challenge", challenge, "code_challenge_method", "S256", "client_state",
	        client_state != NULL ? json_string(client_state) : json_null(), "provider_code_verifier",
	        pkce ? seal(s, verifier) : json_null(), "provider_scopes_requested",
	        mx_oauth_provider_scopes(s->provider), "callback_url", callback, "resource",
	        resource != NULL ? json_string(resource) : json_null());
	OPENSSL_cleanse(verifier, sizeof verifier);
	char key[65];
	token_hash(state, key);
	rc = rec != NULL ? s->store->put(s->store, MX_OAUTH_T_STATES, key, rec, now_s() + STATE_TTL)
	                 : MX_ENOMEM;
	json_decref(rec);
	struct mx_buf url;
	mx_buf_init(&url, 64 * 1024);
	if (rc == 0)
		rc = mx_oauth_provider_authorize_url(s->provider, callback, state, pkce ? pchallenge : NULL,
		                                     &url);
	mx_free(callback);
	if (rc == 0)
		mx_info("oauth: authorize: issued state for client %s", client_id);
	json_decref(p);
	json_decref(client);
	if (rc != 0) {
		mx_buf_free(&url);
		return reply_error(out, 503, "temporarily_unavailable", NULL);
	}
	return reply_redirect(out, &url);
}

/* ---------------------------------------------------------------------------
 * The provider's callback → the client
 * ------------------------------------------------------------------------- */

/* The claims of a JWT's payload, unverified (the token came straight
 * from the provider's token endpoint over TLS), or NULL. */
static json_t *jwt_claims(const char *token)
{
	if (token == NULL)
		return NULL;
	const char *a = strchr(token, '.');
	const char *b = a != NULL ? strchr(a + 1, '.') : NULL;
	if (b == NULL || strchr(b + 1, '.') != NULL || b - a - 1 > 64 * 1024)
		return NULL;
	size_t n = (size_t)(b - a - 1), len = 0;
	char *raw = mx_malloc(n + 4);
	json_t *c = NULL;
	if (raw != NULL && mx_base64url_decode(a + 1, n, raw, n + 3, &len) == 0)
		c = json_loadb(raw, len, 0, NULL);
	mx_free(raw);
	if (!json_is_object(c)) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static int route_callback(struct issuer *s, const struct mx_auth_http_request *rq,
                          struct mx_auth_http_response *out)
{
	json_t *p = NULL;
	if (mx_form_parse(rq->query, rq->query != NULL ? strlen(rq->query) : 0, &p) != 0)
		return reply_error(out, 400, "invalid_request", NULL);
	const char *code = param(p, "code"), *state = param(p, "state"), *error = param(p, "error");
	char key[65];
	json_t *st = NULL;
	if (error != NULL) {
		const char *desc = param(p, "error_description");
		if (state != NULL) {
			token_hash(state, key);
			if (s->store->take(s->store, MX_OAUTH_T_STATES, key, now_s(), &st) == 0) {
				mx_info("oauth: the provider returned error %s", error);
				redirect_to(out, json_string_value(json_object_get(st, "redirect_uri")),
				            "error", error, "error_description", desc, "state",
				            json_string_value(json_object_get(st, "client_state")), NULL);
				json_decref(st);
				json_decref(p);
				return 1;
			}
		}
		json_t *b = json_pack("{s:s, s:o}", "error", error, "error_description",
		                      desc != NULL ? json_string(desc) : json_null());
		json_decref(p);
		return reply_json(out, 400, b);
	}
	if (code == NULL || state == NULL) {
		json_decref(p);
		return reply_error(out, 400, "invalid_request", NULL);
	}
	token_hash(state, key);
	int rc = s->store->take(s->store, MX_OAUTH_T_STATES, key, now_s(), &st);
	if (rc != 0) {
		json_decref(p);
		mx_info("oauth: callback with an unknown, expired or used state");
		return rc == MX_EIO ? reply_error(out, 503, "temporarily_unavailable", NULL)
		                    : reply_error(out, 400, "invalid_state", "State not found or expired");
	}
	char *verifier = unseal(s, json_object_get(st, "provider_code_verifier"));
	struct mx_oauth_grant g;
	char perr[128] = "";
	rc = mx_oauth_provider_exchange(s->provider, code,
	                                json_string_value(json_object_get(st, "callback_url")), verifier, &g,
	                                perr, sizeof perr);
	if (verifier != NULL) {
		OPENSSL_cleanse(verifier, strlen(verifier));
		mx_free(verifier);
	}
	json_decref(p);
	json_t *user = NULL;
	if (rc == 0)
		rc = mx_oauth_provider_user(s->provider, g.access_token, &user, perr, sizeof perr);
	if (rc != 0) {
		mx_oauth_grant_clear(&g);
		json_decref(st);
		return reply_error(out, rc == MX_EIO ? 503 : 400, perr[0] ? perr : "server_error",
		                   "The identity provider refused the login");
	}
	/* raw_profile: access token claims < id_token claims < user info. */
	json_t *profile = json_object();
	json_t *c = jwt_claims(g.access_token);
	if (c != NULL)
		json_object_update(profile, c);
	json_decref(c);
	c = jwt_claims(g.id_token);
	if (c != NULL)
		json_object_update(profile, c);
	json_decref(c);
	json_object_update(profile, json_object_get(user, "raw_profile"));
	json_object_set_new(user, "raw_profile", profile);
	double now = now_s();
	json_t *rec =
	        json_pack("{s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:f, s:O}", "client_id",
	                  json_object_get(st, "client_id"), "redirect_uri",
	                  json_object_get(st, "redirect_uri"), "code_challenge",
	                  json_object_get(st, "code_challenge"), "resource", json_object_get(st, "resource"),
	                  "user", user, "provider_access_token", seal(s, g.access_token),
	                  "provider_refresh_token", seal(s, g.refresh_token), "provider_expires_at",
	                  g.expires_at, "provider_scopes", json_object_get(st, "provider_scopes_requested"));
	json_decref(user);
	mx_oauth_grant_clear(&g);
	char mcode[37] = "mcp_";
	rc = rec != NULL && random_hex(mcode + 4, 16) == 0 ? 0 : MX_ENOMEM;
	if (rc == 0) {
		token_hash(mcode, key);
		rc = s->store->put(s->store, MX_OAUTH_T_CODES, key, rec, now + CODE_TTL);
	}
	json_decref(rec);
	if (rc != 0) {
		json_decref(st);
		return reply_error(out, 503, "temporarily_unavailable", NULL);
	}
	mx_info("oauth: login completed for client %s", json_string_value(json_object_get(st, "client_id")));
	redirect_to(out, json_string_value(json_object_get(st, "redirect_uri")), "code", mcode, "state",
	            json_string_value(json_object_get(st, "client_state")), NULL);
	OPENSSL_cleanse(mcode, sizeof mcode);
	json_decref(st);
	return 1;
}

/* ---------------------------------------------------------------------------
 * /token and /revoke
 * ------------------------------------------------------------------------- */

/* Issue a new access/refresh pair for a session (user, provider tokens),
 * and write the token response. */
static int issue_tokens(struct issuer *s, json_t *session, const char *client_id,
                        struct mx_auth_http_response *out)
{
	char access[69] = "mcp_", refresh[77] = "mcp_refresh_";
	if (random_hex(access + 4, 32) != 0 || random_hex(refresh + 12, 32) != 0)
		return reply_error(out, 500, "server_error", NULL);
	double now = now_s();
	double pexp = json_number_value(json_object_get(session, "provider_expires_at"));
	double exp = pexp > now ? pexp : now + DEFAULT_ACCESS_TTL;
	char ah[65], rh[65];
	token_hash(access, ah);
	token_hash(refresh, rh);
	json_object_set_new(session, "client_id", json_string(client_id));
	json_object_set_new(session, "access_expires_at", json_real(exp));
	json_object_set_new(session, "refresh_hash", json_string(rh));
	json_object_set_new(session, "access_hash", json_string(ah));
	int rc = s->store->put(s->store, MX_OAUTH_T_SESSIONS, ah, session, exp);
	if (rc == 0)
		rc = s->store->put(s->store, MX_OAUTH_T_REFRESH, rh, session, now + REFRESH_TTL);
	if (rc != 0) {
		s->store->del(s->store, MX_OAUTH_T_SESSIONS, ah);
		return reply_error(out, 503, "temporarily_unavailable", NULL);
	}
	json_t *b = json_pack("{s:s, s:s, s:I, s:s, s:s}", "access_token", access, "token_type", "Bearer",
	                      "expires_in", (json_int_t)(exp - now), "refresh_token", refresh, "scope", "");
	OPENSSL_cleanse(access, sizeof access);
	OPENSSL_cleanse(refresh, sizeof refresh);
	reply_json(out, 200, b);
	return 1;
}

static int grant_code(struct issuer *s, const struct mx_auth_http_request *rq, const json_t *p,
                      const json_t *client, struct mx_auth_http_response *out)
{
	const char *code = param(p, "code"), *verifier = param(p, "code_verifier"),
	           *redirect_uri = param(p, "redirect_uri"), *resource = param(p, "resource");
	const char *client_id = json_string_value(json_object_get(client, "client_id"));
	if (code == NULL)
		return reply_error(out, 400, "invalid_request", "code is required");
	if (verifier == NULL)
		return reply_error(out, 400, "invalid_request", "code_verifier is required");
	char key[65];
	token_hash(code, key);
	json_t *rec = NULL;
	int rc = s->store->take(s->store, MX_OAUTH_T_CODES, key, now_s(), &rec);
	if (rc != 0) {
		mx_info("oauth: token: unknown, expired or used code (client %s)", client_id);
		return rc == MX_EIO ? reply_error(out, 503, "temporarily_unavailable", NULL)
		                    : reply_error(out, 400, "invalid_grant",
		                                  "Authorization code invalid or expired");
	}
	const char *why = NULL;
	char challenge[48];
	pkce_challenge(verifier, challenge);
	const char *want = json_string_value(json_object_get(rec, "code_challenge"));
	const char *bound = json_string_value(json_object_get(rec, "resource"));
	if (strcmp(json_string_value(json_object_get(rec, "client_id")), client_id) != 0)
		why = "Client mismatch for authorization code";
	else if (redirect_uri == NULL ||
	         strcmp(redirect_uri, json_string_value(json_object_get(rec, "redirect_uri"))) != 0)
		why = "Redirect URI mismatch";
	else if (want == NULL || !ct_equal(want, challenge))
		why = "incorrect code_verifier";
	if (why != NULL) {
		json_decref(rec);
		mx_info("oauth: token: code refused for client %s: %s", client_id, why);
		return reply_error(out, 400, "invalid_grant", why);
	}
	if (resource != NULL &&
	    (!resource_ok(base_of(s, rq), resource) || (bound != NULL && strcmp(bound, resource) != 0))) {
		json_decref(rec);
		return reply_error(out, 400, "invalid_target", "resource does not match the authorization");
	}
	/* The token is bound to the resource named at /authorize, else to
	 * the one named here (RFC 8707 §2.2), else to none. */
	if (bound == NULL && resource != NULL)
		json_object_set_new(rec, "resource", json_string(resource));
	json_object_del(rec, "code_challenge");
	json_object_del(rec, "redirect_uri");
	issue_tokens(s, rec, client_id, out);
	json_decref(rec);
	return 1;
}

static int grant_refresh(struct issuer *s, const json_t *p, const json_t *client,
                         struct mx_auth_http_response *out)
{
	const char *token = param(p, "refresh_token"), *scope = param(p, "scope");
	const char *client_id = json_string_value(json_object_get(client, "client_id"));
	if (token == NULL)
		return reply_error(out, 400, "invalid_request", "refresh_token is required");
	if (scope != NULL)
		return reply_error(out, 400, "invalid_scope", "Requested scopes exceed the original grant");
	char key[65];
	token_hash(token, key);
	json_t *session = NULL;
	/* Rotation: the refresh token is taken, so it works once. */
	int rc = s->store->take(s->store, MX_OAUTH_T_REFRESH, key, now_s(), &session);
	if (rc != 0)
		return rc == MX_EIO
		               ? reply_error(out, 503, "temporarily_unavailable", NULL)
		               : reply_error(out, 400, "invalid_grant", "Refresh token invalid or expired");
	if (strcmp(json_string_value(json_object_get(session, "client_id")), client_id) != 0) {
		json_decref(session);
		return reply_error(out, 400, "invalid_grant", "Client mismatch for refresh token");
	}
	const char *old = json_string_value(json_object_get(session, "access_hash"));
	if (old != NULL)
		s->store->del(s->store, MX_OAUTH_T_SESSIONS, old);
	char *prefresh = unseal(s, json_object_get(session, "provider_refresh_token"));
	if (prefresh != NULL) {
		struct mx_oauth_grant g;
		char perr[128] = "";
		rc = mx_oauth_provider_refresh(s->provider, prefresh, &g, perr, sizeof perr);
		OPENSSL_cleanse(prefresh, strlen(prefresh));
		mx_free(prefresh);
		if (rc != 0) {
			json_decref(session);
			mx_info("oauth: token: the provider refused to refresh (%s)", perr);
			return rc == MX_EIO ? reply_error(out, 503, "temporarily_unavailable", NULL)
			                    : reply_error(out, 400, "invalid_grant",
			                                  "The identity provider refused the refresh");
		}
		json_object_set_new(session, "provider_access_token", seal(s, g.access_token));
		if (g.refresh_token != NULL)
			json_object_set_new(session, "provider_refresh_token", seal(s, g.refresh_token));
		json_object_set_new(session, "provider_expires_at", json_real(g.expires_at));
		mx_oauth_grant_clear(&g);
	}
	issue_tokens(s, session, client_id, out);
	json_decref(session);
	return 1;
}

static int route_token(struct issuer *s, const struct mx_auth_http_request *rq,
                       struct mx_auth_http_response *out)
{
	json_t *p = NULL;
	if (rq->content_type == NULL ||
	    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33) != 0 ||
	    mx_form_parse(rq->body, rq->body_len, &p) != 0)
		return reply_error(out, 400, "invalid_request", "Expected a form-encoded body");
	json_t *client = NULL;
	if (authenticate_client(s, rq, p, &client, out) != 0) {
		json_decref(p);
		return 1;
	}
	const char *gt = param(p, "grant_type");
	if (gt != NULL && strcmp(gt, "authorization_code") == 0)
		grant_code(s, rq, p, client, out);
	else if (gt != NULL && strcmp(gt, "refresh_token") == 0)
		grant_refresh(s, p, client, out);
	else
		reply_error(out, 400, "unsupported_grant_type", NULL);
	json_decref(client);
	json_decref(p);
	return 1;
}

static int route_revoke(struct issuer *s, const struct mx_auth_http_request *rq,
                        struct mx_auth_http_response *out)
{
	json_t *p = NULL;
	if (rq->content_type == NULL ||
	    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33) != 0 ||
	    mx_form_parse(rq->body, rq->body_len, &p) != 0)
		return reply_error(out, 400, "invalid_request", "Expected a form-encoded body");
	json_t *client = NULL;
	if (authenticate_client(s, rq, p, &client, out) != 0) {
		json_decref(p);
		return 1;
	}
	const char *token = param(p, "token");
	if (token == NULL) {
		json_decref(client);
		json_decref(p);
		return reply_error(out, 400, "invalid_request", "token is required");
	}
	char key[65];
	token_hash(token, key);
	json_t *session = NULL;
	double now = now_s();
	const char *table = MX_OAUTH_T_SESSIONS;
	if (s->store->get(s->store, MX_OAUTH_T_SESSIONS, key, now, &session) != 0) {
		table = MX_OAUTH_T_REFRESH;
		if (s->store->get(s->store, MX_OAUTH_T_REFRESH, key, now, &session) != 0)
			session = NULL;
	}
	const char *cid = json_string_value(json_object_get(client, "client_id"));
	int refused = 0;
	if (session != NULL) {
		if (strcmp(json_string_value(json_object_get(session, "client_id")), cid) != 0) {
			refused = 1;
		} else {
			s->store->del(s->store, table, key);
			const char *ah = json_string_value(json_object_get(session, "access_hash"));
			const char *rh = json_string_value(json_object_get(session, "refresh_hash"));
			if (ah != NULL)
				s->store->del(s->store, MX_OAUTH_T_SESSIONS, ah);
			if (rh != NULL)
				s->store->del(s->store, MX_OAUTH_T_REFRESH, rh);
			mx_info("oauth: revoked a session of client %s", cid);
		}
	}
	json_decref(session);
	json_decref(client);
	json_decref(p);
	if (refused)
		return reply_error(out, 400, "invalid_request", "The token was not issued to this client");
	/* RFC 7009 §2.2: 200 whether or not the token was known. */
	out->status = 200;
	snprintf(out->cache_control, sizeof out->cache_control, "no-store");
	return 1;
}

/* ---------------------------------------------------------------------------
 * The mode
 * ------------------------------------------------------------------------- */

static int issuer_route(void *state, const struct mx_auth_http_request *rq, struct mx_auth_http_response *out)
{
	struct issuer *s = state;
	const char *path = rq->path;
	int get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
	static const char ASM[] = "/.well-known/oauth-authorization-server";
	const char *cb = mx_oauth_provider_callback_path(s->provider);
	int known = strcmp(path, ASM) == 0 || strcmp(path, "/register") == 0 ||
	            strcmp(path, "/authorize") == 0 || strcmp(path, "/token") == 0 ||
	            strcmp(path, "/revoke") == 0 || strcmp(path, cb) == 0;
	if (!known)
		return 0;
	if (rq->body_len > MAX_BODY)
		return reply_error(out, 413, "invalid_request", "Request body too large");
	if (strcmp(path, ASM) == 0 && get)
		return route_as_metadata(s, rq, out);
	if (strcmp(path, "/register") == 0 && post)
		return route_register(s, rq, out);
	if (strcmp(path, "/authorize") == 0 && (get || post))
		return route_authorize(s, rq, out);
	if (strcmp(path, cb) == 0 && get)
		return route_callback(s, rq, out);
	if (strcmp(path, "/token") == 0 && post)
		return route_token(s, rq, out);
	if (strcmp(path, "/revoke") == 0 && post)
		return route_revoke(s, rq, out);
	return reply_error(out, 405, "invalid_request", "Method not allowed");
}

/* RFC 8707 at the resource server: a token bound to `bound` serves a
 * request for `resource` when bound is that URL or one above it at a path
 * boundary (a token for the base URL serves <base>/mcp; one for
 * <base>/other does not). A trailing '/' on either is ignored. */
static int resource_covers(const char *bound, const char *resource)
{
	size_t b = strlen(bound), r = strlen(resource);
	while (b > 0 && bound[b - 1] == '/')
		b--;
	while (r > 0 && resource[r - 1] == '/')
		r--;
	if (b == 0 || b > r || strncmp(bound, resource, b) != 0)
		return 0;
	return b == r || resource[b] == '/';
}

static enum mx_auth_status issuer_verify(void *state, const char *token, const char *resource,
                                         json_t **user_context, char *reason, size_t n)
{
	struct issuer *s = state;
	*user_context = NULL;
	if (token == NULL || *token == '\0') {
		snprintf(reason, n, "no bearer token");
		return MX_AUTH_NO_TOKEN;
	}
	if (strncmp(token, "mcp_", 4) != 0 || strlen(token) > 256) {
		snprintf(reason, n, "not a token of this server");
		return MX_AUTH_INVALID;
	}
	char key[65];
	token_hash(token, key);
	json_t *session = NULL;
	int rc = s->store->get(s->store, MX_OAUTH_T_SESSIONS, key, now_s(), &session);
	if (rc == MX_EIO) {
		snprintf(reason, n, "the token store is unavailable");
		return MX_AUTH_UNAVAILABLE;
	}
	if (rc != 0) {
		snprintf(reason, n, "unknown, expired or revoked token");
		return MX_AUTH_INVALID;
	}
	/* A token bound to a resource (RFC 8707, at /authorize or /token)
	 * serves only requests for it: not this server reached under another
	 * name, nor another path of it. Tokens issued without one (MXCP's
	 * clients send none) are not bound. */
	const char *bound = json_string_value(json_object_get(session, "resource"));
	if (bound != NULL && resource != NULL && !resource_covers(bound, resource)) {
		json_decref(session);
		snprintf(reason, n, "token issued for another resource");
		return MX_AUTH_INVALID;
	}
	json_t *user = json_object_get(session, "user");
	json_t *ctx = json_deep_copy(user);
	if (ctx == NULL) {
		json_decref(session);
		snprintf(reason, n, "out of memory");
		return MX_AUTH_UNAVAILABLE;
	}
	json_object_set_new(ctx, "provider", json_string(mx_oauth_provider_name(s->provider)));
	char *ext = unseal(s, json_object_get(session, "provider_access_token"));
	json_object_set_new(ctx, "external_token", ext != NULL ? json_string(ext) : json_null());
	if (ext != NULL) {
		OPENSSL_cleanse(ext, strlen(ext));
		mx_free(ext);
	}
	/* MXCP's tokens carry no scope; the facade checks required_scopes
	 * against this and derives the capabilities from raw_profile. */
	json_object_set_new(ctx, "scopes", json_array());
	json_decref(session);
	*user_context = ctx;
	return MX_AUTH_OK;
}

static int issuer_ready(void *state, char *why, size_t n)
{
	struct issuer *s = state;
	return mx_oauth_provider_ready(s->provider, why, n);
}

static void issuer_close(void *state)
{
	struct issuer *s = state;
	if (s == NULL)
		return;
	if (s->store != NULL)
		s->store->close(s->store);
	mx_oauth_provider_close(s->provider);
	json_decref(s->required_scopes);
	mx_free(s->base_url);
	OPENSSL_cleanse(&s->key, sizeof s->key);
	pthread_mutex_destroy(&s->sweep_lock);
	mx_free(s);
}

static const struct mx_auth_mode ISSUER = {"issuer", issuer_verify, issuer_route, issuer_ready, issuer_close};

/* ---------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------- */

static int open_store(struct issuer *s, const json_t *persist, struct mx_err *err)
{
	const char *type = json_string_value(json_object_get(persist, "type"));
	if (type == NULL || strcmp(type, "sqlite") == 0) {
		const char *path = json_string_value(json_object_get(persist, "path"));
		char def[4096];
		if (path == NULL || *path == '\0' || path[0] == '~') {
			const char *home = getenv("HOME");
			const char *rest = path != NULL && path[0] == '~' ? path + 1 : "/.mxcp/oauth.db";
			snprintf(def, sizeof def, "%s%s", home != NULL ? home : ".", rest);
			path = def;
		}
		return mx_oauth_store_sqlite_open(path, &s->store, err);
	}
	if (strcmp(type, "postgres") == 0) {
		const char *dsn = json_string_value(json_object_get(persist, "dsn"));
		if (dsn == NULL)
			return mx_err_set(err, MX_EINVAL,
			                  "auth.persistence.dsn is required for type postgres");
		return mx_oauth_store_pg_open(dsn, &s->store, err);
	}
	return mx_err_set(err, MX_EINVAL, "auth.persistence.type '%s' is not sqlite or postgres", type);
}

/* The configured clients, copied into the store at every start. */
static int load_clients(struct issuer *s, const json_t *clients, struct mx_err *err)
{
	size_t i;
	json_t *c;
	json_array_foreach (clients, i, c) {
		const char *id = json_string_value(json_object_get(c, "client_id"));
		if (id == NULL)
			return mx_err_set(err, MX_EINVAL, "auth.clients[%zu].client_id is required", i);
		json_t *grants = json_object_get(c, "grant_types");
		json_t *rec = json_pack(
		        "{s:s, s:O, s:o, s:O}", "client_id", id, "redirect_uris",
		        json_object_get(c, "redirect_uris") != NULL ? json_object_get(c, "redirect_uris")
		                                                    : json_array(),
		        "grant_types",
		        json_array_size(grants) > 0 ? json_deep_copy(grants)
		                                    : json_pack("[s]", "authorization_code"),
		        "scopes",
		        json_object_get(c, "scopes") != NULL ? json_object_get(c, "scopes") : json_array());
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *secret = json_string_value(json_object_get(c, "client_secret"));
		if (rec != NULL && name != NULL)
			json_object_set_new(rec, "client_name", json_string(name));
		if (rec != NULL) {
			json_object_set_new(rec, "token_endpoint_auth_method",
			                    json_string(secret != NULL ? "client_secret_post" : "none"));
			if (secret != NULL)
				json_object_set_new(rec, "client_secret", seal(s, secret));
		}
		int rc = rec != NULL ? s->store->put(s->store, MX_OAUTH_T_CLIENTS, id, rec, 0) : MX_ENOMEM;
		json_decref(rec);
		if (rc != 0)
			return mx_err_set(err, rc, "cannot store the configured client %s", id);
	}
	return 0;
}

int mx_auth_issuer_open(const struct mx_project *p, const json_t *config, const char *base_url,
                        const struct mx_auth_mode **mode, void **state, struct mx_err *err)
{
	(void)p;
	*mode = NULL;
	*state = NULL;
	const char *kind = json_string_value(json_object_get(config, "provider"));
	if (kind == NULL || strcmp(kind, "none") == 0)
		return mx_err_set(err, MX_EINVAL, "auth.provider is required in issuer mode");
	struct issuer *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return MX_ENOMEM;
	pthread_mutex_init(&s->sweep_lock, NULL);
	s->base_url = mx_strdup(base_url != NULL ? base_url : "http://localhost:8000");
	size_t bl = strlen(s->base_url);
	while (bl > 0 && s->base_url[bl - 1] == '/')
		s->base_url[--bl] = '\0';
	const json_t *authz = json_object_get(config, "authorization");
	s->required_scopes = json_deep_copy(json_object_get(authz, "required_scopes"));
	if (!json_is_array(s->required_scopes)) {
		json_decref(s->required_scopes);
		s->required_scopes = json_array();
	}
	const char *flag = getenv("MXCP_AUTH_CIMD_ALLOW_LOOPBACK_HTTP");
	s->cimd_loopback_http = flag != NULL && strcmp(flag, "1") == 0;
	const json_t *persist = json_object_get(config, "persistence");
	const char *keytext = json_string_value(json_object_get(persist, "auth_encryption_key"));
	int rc = 0;
	if (keytext != NULL && *keytext) {
		if (mx_fernet_key_parse(keytext, &s->key) != 0)
			rc = mx_err_set(err, MX_EINVAL,
			                "auth.persistence.auth_encryption_key is not a Fernet key (32 bytes "
			                "of URL-safe base64)");
		s->has_key = rc == 0;
	} else {
		mx_warn("oauth: auth.persistence.auth_encryption_key is not set: the identity provider's "
		        "tokens are "
		        "stored unencrypted");
	}
	rc = rc ? rc : mx_oauth_provider_open(kind, json_object_get(config, kind), &s->provider, err);
	rc = rc ? rc : open_store(s, persist, err);
	rc = rc ? rc : load_clients(s, json_object_get(config, "clients"), err);
	if (rc != 0) {
		issuer_close(s);
		return rc;
	}
	s->store->sweep(s->store, now_s());
	s->last_sweep = now_s();
	*mode = &ISSUER;
	*state = s;
	return 0;
}
