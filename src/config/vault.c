/* SPDX-License-Identifier: Apache-2.0 */
/* vault — see vault.h. */
#include "config/vault.h"

#include "config/resolve.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/fetch.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAULT_MAX_RESPONSE ((size_t)1 << 20)
#define VAULT_TIMEOUT_S 30L
#define VAULT_CONNECT_TIMEOUT_S 10L

static struct {
	int enabled;
	char *address; /* without a trailing slash */
	char *token_env;
} vault;

static int resolve_cb(void *ctx, const char *ref, char **out, struct mx_err *err)
{
	(void)ctx;
	return mx_vault_resolve(ref, out, err);
}

int mx_vault_configure(const json_t *cfg)
{
	mx_free(vault.address);
	mx_free(vault.token_env);
	vault.address = vault.token_env = NULL;
	vault.enabled = json_is_true(json_object_get(cfg, "enabled"));
	const char *address = json_string_value(json_object_get(cfg, "address"));
	const char *token_env = json_string_value(json_object_get(cfg, "token_env"));
	if (address && *address) {
		size_t n = strlen(address);
		while (n > 0 && address[n - 1] == '/')
			n--;
		if ((vault.address = mx_strndup(address, n)) == NULL)
			return MX_ENOMEM;
	}
	if ((vault.token_env = mx_strdup(token_env && *token_env ? token_env : "VAULT_TOKEN")) == NULL)
		return MX_ENOMEM;
	struct mx_resolver r = {.scheme = "vault", .resolve = resolve_cb};
	return mx_resolver_register(&r);
}

/* ------------------------------------------------------------------ HTTP */

/* GET address+path with the token; *status is the HTTP status, *doc the
 * parsed JSON body (NULL when it is not JSON). A transport failure is an
 * error ("Error connecting to Vault: …"). */
static int get(const char *path, const char *token, long *status, json_t **doc, struct mx_err *err)
{
	*status = 0;
	*doc = NULL;
	struct mx_buf url, hdr;
	mx_buf_init(&url, MX_BUF_UNBOUNDED);
	mx_buf_init(&hdr, MX_BUF_UNBOUNDED);
	int rc = mx_buf_printf(&url, "%s%s", vault.address, path);
	rc = rc ? rc : mx_buf_printf(&hdr, "X-Vault-Token: %s", token);
	const char *headers[] = {mx_buf_str(&hdr), NULL};
	struct mx_fetch_request rq = {
	        .url = mx_buf_str(&url),
	        .headers = headers,
	        .timeout_s = VAULT_TIMEOUT_S,
	        .connect_timeout_s = VAULT_CONNECT_TIMEOUT_S,
	        .max_response = VAULT_MAX_RESPONSE,
	};
	struct mx_fetch_response resp = {0};
	rc = rc ? rc : mx_fetch(&rq, &resp);
	if (rc == MX_EIO) {
		rc = mx_err_set(err, MX_EIO, "Error connecting to Vault: %s", resp.error);
	} else if (rc) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	} else {
		*status = resp.status;
		*doc = json_loadb(resp.body.p ? resp.body.p : "", resp.body.len, 0, NULL);
	}
	mx_buf_free(&resp.body);
	mx_buf_free(&url);
	mx_buf_free(&hdr);
	return rc;
}

/* Vault's own words for a failed read: its `errors` array, else the status. */
static void describe(long status, const json_t *doc, char *out, size_t n)
{
	const char *first = json_string_value(json_array_get(json_object_get(doc, "errors"), 0));
	if (first && *first)
		snprintf(out, n, "HTTP %ld: %s", status, first);
	else
		snprintf(out, n, "HTTP %ld", status);
}

/* /path with every byte outside [A-Za-z0-9-._~/] percent-encoded. */
static int put_path(struct mx_buf *b, const char *s)
{
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL;
		rc = plain ? mx_buf_append(b, (const char *)p, 1) : mx_buf_printf(b, "%%%02X", *p);
	}
	return rc;
}

/* KV v2, then KV v1: the secret's key/value object (a new reference). */
static int read_secret(const char *path, const char *token, json_t **data, struct mx_err *err)
{
	*data = NULL;
	static const char *const mounts[][2] = {{"/v1/secret/data/", "v2"}, {"/v1/secret/", "v1"}};
	char why[2][256];
	for (int i = 0; i < 2; i++) {
		struct mx_buf p;
		mx_buf_init(&p, MX_BUF_UNBOUNDED);
		int rc = mx_buf_printf(&p, "%s", mounts[i][0]);
		rc = rc ? rc : put_path(&p, path);
		long status;
		json_t *doc = NULL;
		rc = rc ? (mx_err_set(err, MX_ENOMEM, "out of memory"))
		        : get(mx_buf_str(&p), token, &status, &doc, err);
		mx_buf_free(&p);
		if (rc)
			return rc;
		const json_t *d = json_object_get(doc, "data");
		if (i == 0)
			d = json_object_get(d, "data");
		if (status == 200 && json_is_object(d)) {
			*data = json_incref((json_t *)d);
			json_decref(doc);
			return 0;
		}
		describe(status, doc, why[i], sizeof why[i]);
		json_decref(doc);
	}
	return mx_err_set(err, MX_ENOTFOUND, "Failed to read secret from Vault path '%s': KV v2 %s; KV v1 %s",
	                  path, why[0], why[1]);
}

int mx_vault_resolve(const char *ref, char **out, struct mx_err *err)
{
	*out = NULL;
	if (!vault.enabled)
		return mx_err_set(err, MX_EINVAL,
		                  "Vault URL '%s' found but Vault is not enabled in configuration", ref);
	const char *rest = strncmp(ref, "vault://", 8) == 0 ? ref + 8 : NULL;
	const char *hash = rest ? strchr(rest, '#') : NULL;
	if (rest == NULL || hash == rest)
		return mx_err_set(
		        err, MX_EINVAL,
		        "Invalid vault URL format: '%s'. Expected format: vault://path/to/secret#key", ref);
	if (hash == NULL || hash[1] == '\0')
		return mx_err_set(err, MX_EINVAL,
		                  "Vault URL '%s' must specify a key after '#'. Expected format: "
		                  "vault://path/to/secret#key",
		                  ref);
	if (vault.address == NULL)
		return mx_err_set(err, MX_EINVAL,
		                  "Vault address must be configured when using vault:// URLs");
	const char *token = getenv(vault.token_env);
	if (token == NULL || *token == '\0')
		return mx_err_set(err, MX_EINVAL, "Vault token not found in environment variable '%s'",
		                  vault.token_env);
	if (strpbrk(token, "\r\n") != NULL)
		return mx_err_set(err, MX_EINVAL, "Vault token in '%s' holds a line break", vault.token_env);
	char *path = mx_strndup(rest, (size_t)(hash - rest));
	if (path == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	const char *key = hash + 1;
	long status;
	json_t *doc = NULL;
	int rc = get("/v1/auth/token/lookup-self", token, &status, &doc, err);
	json_decref(doc);
	if (rc == 0 && status == 403)
		rc = mx_err_set(err, MX_EPOLICY, "Failed to authenticate with Vault");
	else if (rc == 0 && status != 200)
		rc = mx_err_set(err, MX_EIO, "Error connecting to Vault: token lookup answered HTTP %ld",
		                status);
	json_t *data = NULL;
	if (rc == 0)
		rc = read_secret(path, token, &data, err);
	const json_t *v = json_object_get(data, key);
	if (rc == 0 && v == NULL)
		rc = mx_err_set(err, MX_ENOTFOUND, "Key '%s' not found in Vault secret at path '%s'", key,
		                path);
	if (rc == 0) {
		*out = json_is_string(v) ? mx_strdup(json_string_value(v))
		                         : mx_json_dumps(v, MX_JSON_COMPACT);
		if (*out == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	json_decref(data);
	mx_free(path);
	return rc;
}
