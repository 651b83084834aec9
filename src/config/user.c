/* SPDX-License-Identifier: Apache-2.0 */
/*
 * user — loader for the user configuration (see user.h).
 *
 * The order is MXCP's (server/core/config/user_config.py): read the YAML,
 * reject a string `mxcp:` with the migration message, interpolate the
 * selected subtrees (top-level keys except `projects`, and the active
 * projects.<project>.profiles.<profile>), then validate the whole tree
 * against the pydantic models of server/core/config/models.py, and finally
 * create the active project/profile entries when they are missing.
 *
 * Validation reads the interpolated JSON values (so `port: "${PORT}"` is an
 * integer once PORT is set, as with pydantic's lax mode) but reports every
 * problem at the YAML node the value came from:
 * "<file>:<line>:<col>: <dotted.path>: <problem>". The schema is data: a
 * table of struct field per model below. Strings that still hold an
 * unresolved reference (inactive profiles are not interpolated) are accepted
 * where a boolean, integer or enumerated value is expected.
 *
 * Provider blocks under `auth` are checked for unknown keys and value types
 * only: their required fields are the auth module's business (the
 * operational guide shows blocks without callback_path/auth_url, and those
 * have defaults there).
 *
 * Runs at start-up and on reload; the result is immutable afterwards.
 */
#include "config/user.h"

#include "config/resolve.h"
#include "config/vault.h"
#include "core/alloc.h"
#include "core/yaml.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PATH_BUF 1024

/* ------------------------------------------------------------------ schema */

enum kind {
	K_STR,
	K_BOOL,
	K_INT,
	K_ENUM, /* a string among choices */
	K_OBJ, /* a model: known keys only (sub = fields, NULL-key terminated) */
	K_MAP_OF, /* {name: element} (sub = the element) */
	K_LIST_OF, /* [element] (sub = the element) */
	K_ANY_MAP, /* any mapping */
	K_ANY,
};

struct field {
	const char *key;
	enum kind kind;
	int required;
	const struct field *sub;
	const char *const *choices;
	int lenient; /* below here, values may be unresolved references */
};

#define END                                   \
	{                                     \
		NULL, K_ANY, 0, NULL, NULL, 0 \
	}
#define STR(k)                             \
	{                                  \
		k, K_STR, 0, NULL, NULL, 0 \
	}
#define STR_REQ(k)                         \
	{                                  \
		k, K_STR, 1, NULL, NULL, 0 \
	}
#define BOOL(k)                             \
	{                                   \
		k, K_BOOL, 0, NULL, NULL, 0 \
	}
#define INT(k)                             \
	{                                  \
		k, K_INT, 0, NULL, NULL, 0 \
	}
#define ENUM(k, c)                       \
	{                                \
		k, K_ENUM, 0, NULL, c, 0 \
	}
#define OBJ(k, f)                       \
	{                               \
		k, K_OBJ, 0, f, NULL, 0 \
	}
#define MAP_OF(k, e)                       \
	{                                  \
		k, K_MAP_OF, 0, e, NULL, 0 \
	}
#define LIST_OF(k, e)                       \
	{                                   \
		k, K_LIST_OF, 0, e, NULL, 0 \
	}

static const char *const transport_providers[] = {"streamable-http", "sse", "stdio", NULL};
static const char *const http_schemes[] = {"http", "https", NULL};
static const char *const model_types[] = {"claude", "openai", NULL};
static const char *const log_levels[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", NULL};
static const char *const auth_modes[] = {"issuer", "verifier", NULL};
static const char *const auth_providers[] = {"none",     "github", "atlassian", "salesforce",
                                             "keycloak", "google", "oidc",      NULL};
static const char *const grant_types[] = {"authorization_code", "refresh_token", NULL};
static const char *const persistence_types[] = {"sqlite", "postgres", NULL};

static const struct field str_item = STR("");
static const struct field str_map_item = MAP_OF("", &str_item);
static const struct field str_list_item = LIST_OF("", &str_item);
static const struct field grant_item = ENUM("", grant_types);
/* claim_mappings: {<claim path>: {<claim value>: [capability, ...]}} */
static const struct field claim_values_item = MAP_OF("", &str_list_item);

static const struct field vault_fields[] = {BOOL("enabled"), STR("address"), STR("token_env"), END};
static const struct field onepassword_fields[] = {BOOL("enabled"), STR("token_env"), END};
static const struct field http_fields[] = {
        INT("port"),
        STR("host"),
        ENUM("scheme", http_schemes),
        STR("base_url"),
        BOOL("trust_proxy"),
        BOOL("stateless"),
        INT("threads"),
        INT("max_connections"),
        INT("max_header_bytes"),
        INT("connection_timeout"),
        INT("read_timeout"),
        INT("max_connections_per_client"),
        INT("max_sessions"),
        INT("session_timeout"),
        END,
};
static const struct field transport_fields[] = {
        ENUM("provider", transport_providers),
        OBJ("http", http_fields),
        INT("workers"),
        INT("queue_size"),
        INT("max_message_bytes"),
        INT("max_json_depth"),
        INT("shutdown_grace"),
        INT("call_timeout"),
        END,
};
static const struct field model_fields[] = {
        {"type", K_ENUM, 1, NULL, model_types, 0},
        STR("api_key"),
        STR("base_url"),
        INT("timeout"),
        INT("max_retries"),
        END,
};
static const struct field model_item = OBJ("", model_fields);
static const struct field models_fields[] = {STR("default"), MAP_OF("models", &model_item), END};
static const struct field logging_fields[] = {
        BOOL("enabled"), STR("path"), ENUM("level", log_levels), INT("max_bytes"), INT("backup_count"), END,
};

static const struct field secret_fields[] = {
        STR_REQ("name"), STR_REQ("type"), {"parameters", K_ANY_MAP, 0, NULL, NULL, 0}, END};
static const struct field secret_item = OBJ("", secret_fields);
static const struct field plugin_fields[] = {MAP_OF("config", &str_map_item), END};

static const struct field client_fields[] = {
        STR_REQ("client_id"),
        STR_REQ("name"),
        STR("client_secret"),
        LIST_OF("redirect_uris", &str_item),
        LIST_OF("grant_types", &grant_item),
        LIST_OF("scopes", &str_item),
        END,
};
static const struct field client_item = OBJ("", client_fields);
static const struct field oauth_fields[] = {
        /* github, atlassian, salesforce, google */
        STR("client_id"),
        STR("client_secret"),
        STR("scope"),
        STR("callback_path"),
        STR("auth_url"),
        STR("token_url"),
        STR("userinfo_url"), /* beyond MXCP: the user endpoint (defaults to the provider's) */
        MAP_OF("claim_mappings", &claim_values_item),
        END,
};
static const struct field github_fields[] = {
        STR("client_id"),
        STR("client_secret"),
        STR("scope"),
        STR("callback_path"),
        STR("auth_url"),
        STR("token_url"),
        STR("userinfo_url"),
        STR("emails_url"), /* beyond MXCP: GitHub's /user/emails */
        MAP_OF("claim_mappings", &claim_values_item),
        END,
};
static const struct field keycloak_fields[] = {
        STR("client_id"),
        STR("client_secret"),
        STR("realm"),
        STR("server_url"),
        STR("scope"),
        STR("callback_path"),
        MAP_OF("claim_mappings", &claim_values_item),
        END,
};
static const struct field oidc_fields[] = {
        STR("config_url"),
        STR("client_id"),
        STR("client_secret"),
        STR("scope"),
        STR("callback_path"),
        STR("audience"),
        MAP_OF("extra_authorize_params", &str_item),
        STR("provider_name"),
        MAP_OF("claim_mappings", &claim_values_item),
        END,
};
static const struct field authorization_fields[] = {LIST_OF("required_scopes", &str_item), END};
static const struct field persistence_fields[] = {ENUM("type", persistence_types), STR("path"),
                                                  STR("auth_encryption_key"),
                                                  STR("dsn"), /* type postgres: a libpq URI or DSN */
                                                  END};
static const struct field auth_fields[] = {
        ENUM("mode", auth_modes),
        ENUM("provider", auth_providers),
        LIST_OF("clients", &client_item),
        OBJ("github", github_fields),
        OBJ("atlassian", oauth_fields),
        OBJ("salesforce", oauth_fields),
        OBJ("keycloak", keycloak_fields),
        OBJ("google", oauth_fields),
        OBJ("oidc", oidc_fields),
        OBJ("authorization", authorization_fields),
        OBJ("persistence", persistence_fields),
        END,
};
static const struct field tracing_fields[] = {BOOL("enabled"), BOOL("console_export"), END};
static const struct field metrics_fields[] = {BOOL("enabled"), INT("export_interval"), END};
static const struct field telemetry_fields[] = {
        BOOL("enabled"),
        STR("endpoint"),
        MAP_OF("headers", &str_item),
        STR("service_name"),
        STR("service_version"),
        STR("environment"),
        {"resource_attributes", K_ANY_MAP, 0, NULL, NULL, 0},
        OBJ("tracing", tracing_fields),
        OBJ("metrics", metrics_fields),
        END,
};
static const char *const cache_backends[] = {"memory", "redis", NULL};
static const struct field int_item = INT("");
static const struct field cache_fields[] = {
        BOOL("enabled"),
        ENUM("backend", cache_backends),
        STR("redis_url"),
        INT("max_memory_mb"),
        INT("default_ttl"),
        MAP_OF("endpoints", &int_item),
        END,
};
static const struct field profile_fields[] = {
        LIST_OF("secrets", &secret_item),
        OBJ("plugin", plugin_fields),
        OBJ("auth", auth_fields),
        OBJ("telemetry", telemetry_fields),
        OBJ("cache", cache_fields), /* mxcp's own: the response cache (docs/cache.md) */
        END,
};
static const struct field profile_item = OBJ("", profile_fields);
static const struct field project_fields[] = {MAP_OF("profiles", &profile_item), END};
static const struct field project_item = OBJ("", project_fields);
static const struct field top_fields[] = {
        {"mxcp", K_ANY, 0, NULL, NULL, 0},
        /* only the active profile is interpolated */
        {"projects", K_MAP_OF, 0, &project_item, NULL, 1},
        OBJ("vault", vault_fields),
        OBJ("onepassword", onepassword_fields),
        OBJ("transport", transport_fields),
        OBJ("models", models_fields),
        OBJ("logging", logging_fields),
        END,
};

/* -------------------------------------------------------------- validation */

struct vctx {
	const char *file;
	struct mx_err *err;
	int lenient; /* accept unresolved references for scalars */
};

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "mapping";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* pydantic's lax bool: true/false, 0/1, and the usual words. */
static int lax_bool(const json_t *v, int *out)
{
	static const char *const t[] = {"true", "yes", "on", "1", "y", "t", NULL};
	static const char *const f[] = {"false", "no", "off", "0", "n", "f", NULL};
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = (int)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		for (int i = 0; t[i]; i++)
			if (!strcasecmp(json_string_value(v), t[i]))
				return *out = 1, 0;
		for (int i = 0; f[i]; i++)
			if (!strcasecmp(json_string_value(v), f[i]))
				return *out = 0, 0;
	}
	return -1;
}

/* pydantic's lax int: integers, integral floats, and decimal strings. */
static int lax_int(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == (double)(int64_t)d && d > -9e18 && d < 9e18) {
			*out = (int64_t)d;
			return 0;
		}
		return -1;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		while (isspace((unsigned char)*s))
			s++;
		const char *p = s + (*s == '-' || *s == '+');
		size_t n = 0;
		while (isdigit((unsigned char)p[n]))
			n++;
		const char *rest = p + n;
		while (isspace((unsigned char)*rest))
			rest++;
		if (n == 0 || n > 18 || *rest != '\0')
			return -1;
		*out = strtoll(s, NULL, 10);
		return 0;
	}
	return -1;
}

static const struct mx_yaml_node *loc(const struct mx_yaml_node *node, const struct mx_yaml_node *at)
{
	return node ? node : at;
}

static int fail_at(struct vctx *c, const struct mx_yaml_node *at, const char *fmt, const char *path,
                   const char *detail)
{
	if (at == NULL)
		return mx_err_at(c->err, MX_EINVAL, c->file, 0, 0, fmt, path, detail);
	return mx_err_at(c->err, MX_EINVAL, c->file, at->line, at->col, fmt, path, detail);
}

/* "<path>: expected <want>, got <type> '<text as written>'". */
static int wrong_type(struct vctx *c, const json_t *v, const struct mx_yaml_node *node,
                      const struct mx_yaml_node *at, const char *path, const char *want)
{
	const struct mx_yaml_node *l = loc(node, at);
	char detail[768];
	if (node != NULL && node->kind == MX_YAML_SCALAR)
		snprintf(detail, sizeof detail, "%s, got %s '%s'", want, json_type_name(v), node->str);
	else
		snprintf(detail, sizeof detail, "%s, got %s", want, json_type_name(v));
	return fail_at(c, l, "%s: expected %s", path, detail);
}

static int check_value(struct vctx *c, const struct field *f, json_t *v, const struct mx_yaml_node *node,
                       const struct mx_yaml_node *at, const char *path);

static int check_object(struct vctx *c, const struct field *fields, json_t *v,
                        const struct mx_yaml_node *node, const struct mx_yaml_node *at, const char *path)
{
	const char *allowed[32];
	size_t n = 0;
	int rc;
	for (const struct field *f = fields; f->key && n + 1 < sizeof allowed / sizeof allowed[0]; f++)
		allowed[n++] = f->key;
	allowed[n] = NULL;
	if (node != NULL && (rc = mx_yaml_check_keys(c->file, node, path, allowed, c->err)) != 0)
		return rc;
	for (const struct field *f = fields; f->key; f++) {
		json_t *child = json_object_get(v, f->key);
		char p[PATH_BUF];
		mx_yaml_path(p, sizeof p, path, f->key);
		if (child == NULL || json_is_null(child)) {
			if (f->required)
				return fail_at(c, loc(node, at), "%s: field required%s", p, "");
			continue;
		}
		const struct mx_yaml_node *cn = node ? mx_yaml_map_get(node, f->key) : NULL;
		if ((rc = check_value(c, f, child, cn, loc(node, at), p)) != 0)
			return rc;
	}
	return 0;
}

static int check_enum(struct vctx *c, const struct field *f, json_t *v, const struct mx_yaml_node *node,
                      const struct mx_yaml_node *at, const char *path)
{
	char list[256];
	size_t off = 0;
	if (json_is_string(v))
		for (const char *const *e = f->choices; *e; e++)
			if (strcmp(*e, json_string_value(v)) == 0)
				return 0;
	list[0] = '\0';
	for (const char *const *e = f->choices; *e && off < sizeof list; e++) {
		int n = snprintf(list + off, sizeof list - off, "%s'%s'", e == f->choices ? "" : ", ", *e);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (json_is_string(v)) {
		char detail[768];
		snprintf(detail, sizeof detail, "%s, got '%s'", list,
		         node && node->kind == MX_YAML_SCALAR ? node->str : json_string_value(v));
		return fail_at(c, loc(node, at), "%s: expected one of %s", path, detail);
	}
	char want[300];
	snprintf(want, sizeof want, "one of %s", list);
	return wrong_type(c, v, node, at, path, want);
}

static int check_value(struct vctx *c, const struct field *f, json_t *v, const struct mx_yaml_node *node,
                       const struct mx_yaml_node *at, const char *path)
{
	int b;
	int64_t i;
	int rc;
	if (json_is_null(v))
		return 0;
	if (f->lenient && !c->lenient) {
		struct vctx below = *c;
		below.lenient = 1;
		return check_value(&below, f, v, node, at, path);
	}
	if (c->lenient && json_is_string(v) && mx_resolve_is_reference(json_string_value(v)) &&
	    (f->kind == K_BOOL || f->kind == K_INT || f->kind == K_ENUM))
		return 0;
	switch (f->kind) {
	case K_ANY: return 0;
	case K_STR: return json_is_string(v) ? 0 : wrong_type(c, v, node, at, path, "a string");
	case K_BOOL: return lax_bool(v, &b) == 0 ? 0 : wrong_type(c, v, node, at, path, "a boolean");
	case K_INT: return lax_int(v, &i) == 0 ? 0 : wrong_type(c, v, node, at, path, "an integer");
	case K_ENUM: return check_enum(c, f, v, node, at, path);
	case K_ANY_MAP: return json_is_object(v) ? 0 : wrong_type(c, v, node, at, path, "a mapping");
	case K_OBJ:
		if (!json_is_object(v))
			return wrong_type(c, v, node, at, path, "a mapping");
		return check_object(c, f->sub, v, node, at, path);
	case K_MAP_OF: {
		if (!json_is_object(v))
			return wrong_type(c, v, node, at, path, "a mapping");
		const char *key;
		json_t *child;
		json_object_foreach (v, key, child) {
			char p[PATH_BUF];
			mx_yaml_path(p, sizeof p, path, key);
			const struct mx_yaml_node *cn = node ? mx_yaml_map_get(node, key) : NULL;
			if ((rc = check_value(c, f->sub, child, cn, loc(node, at), p)) != 0)
				return rc;
		}
		return 0;
	}
	case K_LIST_OF: {
		if (!json_is_array(v))
			return wrong_type(c, v, node, at, path, "a list");
		size_t idx;
		json_t *child;
		json_array_foreach (v, idx, child) {
			char p[PATH_BUF];
			mx_yaml_path_index(p, sizeof p, path, idx);
			const struct mx_yaml_node *cn =
			        node && node->kind == MX_YAML_SEQ && idx < node->n ? node->items[idx] : NULL;
			if ((rc = check_value(c, f->sub, child, cn, loc(node, at), p)) != 0)
				return rc;
		}
		return 0;
	}
	}
	return 0;
}

/* ---------------------------------------------------------------- loading */

static int oom(struct mx_err *err)
{
	return mx_err_set(err, MX_ENOMEM, "out of memory");
}

static int check_version(const char *file, const struct mx_yaml_node *root, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(root, "mxcp");
	struct mx_yaml_value val;
	if (v == NULL || mx_yaml_resolve(v, &val) == MX_YT_NULL)
		return 0;
	if (val.type == MX_YT_STR)
		return mx_err_at(
		        err, MX_EINVAL, file, v->line, v->col,
		        "mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED: Pre-production MXCP version detected\n\n"
		        "Your %s file uses an old format from a pre-production release.\n\n"
		        "REQUIRED CHANGE:\n   OLD: mxcp: \"%s\"\n   NEW: mxcp: 1\n\n"
		        "Please update your global user configuration file at:\n%s\n\n"
		        "Change the first line from:\n   mxcp: \"%s\"\nto:\n   mxcp: 1\n\n"
		        "This affects your global MXCP settings. After fixing this, you may also need\n"
		        "to update your project files to use the new directory structure.",
		        file, v->str, file, v->str);
	if (val.type == MX_YT_INT && val.i == 1)
		return 0;
	if (v->kind == MX_YAML_SCALAR)
		return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "mxcp: expected 1, got %s '%s'",
		                 mx_yaml_type_name(val.type), v->str);
	return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "mxcp: expected 1, got %s",
	                 mx_yaml_type_name(val.type));
}

/* The mapping at obj[key], created (or replacing a null) when missing. */
static json_t *ensure_object(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_object(v))
		return v;
	if (v != NULL && !json_is_null(v))
		return NULL; /* validation has already rejected this */
	v = json_object();
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return NULL;
	return v;
}

/* Interpolate what MXCP's interpolate_selective does: every top-level key
 * but `projects`, and projects.<project>.profiles.<profile>. */
static int interpolate(const char *file, const struct mx_yaml_node *root, json_t *raw, const char *project,
                       const char *profile, struct mx_err *err)
{
	const char *key;
	json_t *v;
	int rc;
	/* The `vault:` block first: vault:// references elsewhere use it. */
	json_t *vcfg = json_object_get(raw, "vault");
	if (vcfg &&
	    (rc = mx_resolve_json_yaml(vcfg, mx_yaml_map_get(root, "vault"), file, "vault", err)) != 0)
		return rc;
	if (mx_vault_configure(vcfg) != 0)
		return oom(err);
	json_object_foreach (raw, key, v) {
		if (strcmp(key, "projects") == 0 || strcmp(key, "vault") == 0)
			continue;
		if ((rc = mx_resolve_json_yaml(v, mx_yaml_map_get(root, key), file, key, err)) != 0)
			return rc;
	}
	if (project == NULL || profile == NULL)
		return 0;
	json_t *prof = json_object_get(
	        json_object_get(json_object_get(json_object_get(raw, "projects"), project), "profiles"),
	        profile);
	if (prof == NULL)
		return 0;
	const struct mx_yaml_node *node = mx_yaml_map_get(
	        mx_yaml_map_get(mx_yaml_map_get(mx_yaml_map_get(root, "projects"), project), "profiles"),
	        profile);
	char path[PATH_BUF], tmp[PATH_BUF];
	mx_yaml_path(path, sizeof path, "projects", project);
	mx_yaml_path(tmp, sizeof tmp, path, "profiles");
	mx_yaml_path(path, sizeof path, tmp, profile);
	return mx_resolve_json_yaml(prof, node, file, path, err);
}

static int copy_field(char *dst, size_t dstsz, const char *src, const char *file,
                      const struct mx_yaml_node *at, const char *path, struct mx_err *err)
{
	if ((size_t)snprintf(dst, dstsz, "%s", src) < dstsz)
		return 0;
	return mx_err_at(err, MX_EINVAL, file, at ? at->line : 0, at ? at->col : 0,
	                 "%s: longer than %zu characters", path, dstsz - 1);
}

/* struct mx_user_transport from the validated (interpolated) tree. */
static int fill_transport(struct mx_user_config *u, const struct mx_yaml_node *root, struct mx_err *err)
{
	struct mx_user_transport *t = &u->transport;
	const char *file = u->file;
	snprintf(t->provider, sizeof t->provider, "streamable-http");
	snprintf(t->host, sizeof t->host, "localhost");
	snprintf(t->scheme, sizeof t->scheme, "http");
	t->port = 8000;
	t->base_url[0] = '\0';
	t->trust_proxy = t->stateless = 0;

	json_t *tj = json_object_get(u->raw, "transport");
	const struct mx_yaml_node *tn = mx_yaml_map_get(root, "transport");
	json_t *v;
	int rc;
	if ((v = json_object_get(tj, "provider")) != NULL && json_is_string(v))
		snprintf(t->provider, sizeof t->provider, "%s", json_string_value(v));
	json_t *hj = json_object_get(tj, "http");
	const struct mx_yaml_node *hn = mx_yaml_map_get(tn, "http");
	if ((v = json_object_get(hj, "port")) != NULL && !json_is_null(v)) {
		int64_t port = 0;
		const struct mx_yaml_node *pn = mx_yaml_map_get(hn, "port");
		if (lax_int(v, &port) != 0 || port < 0 || port > 65535)
			return mx_err_at(err, MX_EINVAL, file, pn ? pn->line : 0, pn ? pn->col : 0,
			                 "transport.http.port: must be an integer between 0 and 65535");
		t->port = (int)port;
	}
	if ((v = json_object_get(hj, "host")) != NULL && json_is_string(v) &&
	    (rc = copy_field(t->host, sizeof t->host, json_string_value(v), file, mx_yaml_map_get(hn, "host"),
	                     "transport.http.host", err)) != 0)
		return rc;
	if ((v = json_object_get(hj, "scheme")) != NULL && json_is_string(v))
		snprintf(t->scheme, sizeof t->scheme, "%s", json_string_value(v));
	if ((v = json_object_get(hj, "base_url")) != NULL && json_is_string(v) &&
	    (rc = copy_field(t->base_url, sizeof t->base_url, json_string_value(v), file,
	                     mx_yaml_map_get(hn, "base_url"), "transport.http.base_url", err)) != 0)
		return rc;
	if ((v = json_object_get(hj, "trust_proxy")) != NULL)
		lax_bool(v, &t->trust_proxy);
	if ((v = json_object_get(hj, "stateless")) != NULL)
		lax_bool(v, &t->stateless);
	const struct limit {
		const char *key;
		int in_http;
		long min, max;
		long *out;
	} limits[] = {
	        {"workers", 0, 1, 64, &t->workers},
	        {"queue_size", 0, 1, 1000000, &t->queue_size},
	        {"max_message_bytes", 0, 1024, (long)1 << 30, &t->max_message_bytes},
	        {"max_json_depth", 0, 2, 10000, &t->max_json_depth},
	        {"shutdown_grace", 0, 0, 3600, &t->shutdown_grace},
	        {"call_timeout", 0, 0, 86400, &t->call_timeout},
	        {"threads", 1, 2, 256, &t->http_threads},
	        {"max_connections", 1, 1, 1000000, &t->max_connections},
	        {"max_header_bytes", 1, 4096, (long)1 << 24, &t->max_header_bytes},
	        {"connection_timeout", 1, 1, 86400, &t->connection_timeout},
	        {"read_timeout", 1, 1, 86400, &t->read_timeout},
	        {"max_connections_per_client", 1, 1, 1000000, &t->max_connections_per_client},
	        {"max_sessions", 1, 1, 10000000, &t->max_sessions},
	        {"session_timeout", 1, 1, 86400 * 365, &t->session_timeout},
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		const struct limit *l = &limits[i];
		*l->out = 0;
		if ((v = json_object_get(l->in_http ? hj : tj, l->key)) == NULL || json_is_null(v))
			continue;
		int64_t n = 0;
		if (lax_int(v, &n) != 0 || n < l->min || n > l->max) {
			const struct mx_yaml_node *at = mx_yaml_map_get(l->in_http ? hn : tn, l->key);
			return mx_err_at(err, MX_EINVAL, file, at ? at->line : 0, at ? at->col : 0,
			                 "transport.%s%s: must be an integer between %ld and %ld",
			                 l->in_http ? "http." : "", l->key, l->min, l->max);
		}
		*l->out = (long)n;
	}
	return 0;
}

/* struct mx_user_cache from the active profile's validated cache block. */
static int fill_cache(struct mx_user_config *u, const struct mx_yaml_node *root, const char *project,
                      const char *profile, struct mx_err *err)
{
	struct mx_user_cache *c = &u->cache;
	const char *file = u->file ? u->file : "";
	snprintf(c->backend, sizeof c->backend, "memory");
	c->max_memory_mb = 64;
	c->default_ttl = 60;
	const json_t *cj = json_object_get(mx_user_profile(u, project, profile), "cache");
	if (!json_is_object(cj))
		return 0;
	const struct mx_yaml_node *n = mx_yaml_map_get(root, "projects");
	n = mx_yaml_map_get(mx_yaml_map_get(mx_yaml_map_get(n, project), "profiles"), profile);
	const struct mx_yaml_node *cn = mx_yaml_map_get(n, "cache");
	c->line = cn ? cn->line : 0;
	c->col = cn ? cn->col : 0;
	json_t *v;
	int rc;
	if ((v = json_object_get(cj, "enabled")) != NULL)
		lax_bool(v, &c->enabled);
	if ((v = json_object_get(cj, "backend")) != NULL && json_is_string(v))
		snprintf(c->backend, sizeof c->backend, "%s", json_string_value(v));
	if ((v = json_object_get(cj, "redis_url")) != NULL && json_is_string(v) &&
	    (rc = copy_field(c->redis_url, sizeof c->redis_url, json_string_value(v), file,
	                     mx_yaml_map_get(cn, "redis_url"), "cache.redis_url", err)) != 0)
		return rc;
	const struct {
		const char *key;
		long min, max;
		long *out;
	} limits[] = {
	        {"max_memory_mb", 1, 1 << 20, &c->max_memory_mb},
	        {"default_ttl", 0, 86400 * 365, &c->default_ttl},
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		int64_t x = 0;
		if ((v = json_object_get(cj, limits[i].key)) == NULL || json_is_null(v))
			continue;
		if (lax_int(v, &x) != 0 || x < limits[i].min || x > limits[i].max) {
			const struct mx_yaml_node *at = mx_yaml_map_get(cn, limits[i].key);
			return mx_err_at(err, MX_EINVAL, file, at ? at->line : 0, at ? at->col : 0,
			                 "cache.%s: must be an integer between %ld and %ld", limits[i].key,
			                 limits[i].min, limits[i].max);
		}
		*limits[i].out = (long)x;
	}
	if (c->enabled && strcmp(c->backend, "redis") == 0 && c->redis_url[0] == '\0')
		return mx_err_at(err, MX_EINVAL, file, c->line, c->col,
		                 "cache.redis_url: required with backend: redis");
	const json_t *eps = json_object_get(cj, "endpoints");
	if (!json_is_object(eps))
		return 0;
	const struct mx_yaml_node *en = mx_yaml_map_get(cn, "endpoints");
	if ((c->endpoint_lines = json_object()) == NULL)
		return oom(err);
	const char *name;
	json_object_foreach ((json_t *)eps, name, v) {
		const struct mx_yaml_node *at = mx_yaml_map_get(en, name);
		int64_t x = 0;
		if (lax_int(v, &x) != 0 || x < 0 || x > 86400 * 365)
			return mx_err_at(err, MX_EINVAL, file, at ? at->line : 0, at ? at->col : 0,
			                 "cache.endpoints.%s: must be a number of seconds between 0 and %d",
			                 name, 86400 * 365);
		if (json_object_set_new(c->endpoint_lines, name,
		                        json_pack("[i, i]", at ? at->line : 0, at ? at->col : 0)) != 0)
			return oom(err);
	}
	c->endpoints = eps;
	return 0;
}

long mx_user_cache_ttl(const struct mx_user_cache *c, const char *name, const char *alt)
{
	int64_t x = 0;
	const json_t *v = name ? json_object_get(c->endpoints, name) : NULL;
	if (v == NULL && alt)
		v = json_object_get(c->endpoints, alt);
	if (v && lax_int(v, &x) == 0)
		return (long)x;
	return c->default_ttl;
}

/* Which file to read: MXCP_CONFIG, else MXCP_CONFIG_PATH, else the default. */
static int choose_path(char *out, size_t outsz, int *explicit_path, struct mx_err *err)
{
	const char *env = getenv("MXCP_CONFIG");
	if (env == NULL || *env == '\0')
		env = getenv("MXCP_CONFIG_PATH");
	*explicit_path = env != NULL && *env != '\0';
	if (*explicit_path) {
		if ((size_t)snprintf(out, outsz, "%s", env) >= outsz)
			return mx_err_set(err, MX_ELIMIT, "user config path is too long: %s", env);
		return 0;
	}
	const char *home = getenv("HOME");
	if (home == NULL || *home == '\0') {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)snprintf(out, outsz, "%s/.mxcp/config.yml", home) >= outsz)
		return mx_err_set(err, MX_ELIMIT, "user config path is too long: %s/.mxcp/config.yml", home);
	return 0;
}

static int load_doc(struct mx_user_config *u, const struct mx_yaml_node *root, const char *project,
                    const char *profile, struct mx_err *err)
{
	const char *file = u->file ? u->file : "";
	int rc;
	if (root != NULL && root->kind != MX_YAML_MAP)
		return mx_err_at(err, MX_EINVAL, file, root->line, root->col,
		                 "MXCP user config must be a mapping");
	if ((rc = check_version(file, root, err)) != 0)
		return rc;
	u->raw = root ? mx_yaml_to_json(root) : json_object();
	if (u->raw == NULL)
		return oom(err);
	if ((rc = interpolate(file, root, u->raw, project, profile, err)) != 0)
		return rc;

	struct vctx c = {.file = file, .err = err, .lenient = 0};
	if ((rc = check_object(&c, top_fields, u->raw, root, root, "")) != 0)
		return rc;

	if (project != NULL && profile != NULL) {
		u->profile_declared =
		        json_object_get(
		                json_object_get(json_object_get(json_object_get(u->raw, "projects"), project),
		                                "profiles"),
		                profile) != NULL;
		json_t *o = ensure_object(u->raw, "projects");
		o = o ? ensure_object(o, project) : NULL;
		o = o ? ensure_object(o, "profiles") : NULL;
		o = o ? ensure_object(o, profile) : NULL;
		if (o == NULL)
			return oom(err);
	}
	if (json_object_get(u->raw, "mxcp") == NULL &&
	    json_object_set_new(u->raw, "mxcp", json_integer(1)) != 0)
		return oom(err);
	const char *provider = json_string_value(
	        json_object_get(json_object_get(mx_user_profile(u, project, profile), "auth"), "provider"));
	if (provider != NULL && strcmp(provider, "none") != 0) {
		const struct mx_yaml_node *n = mx_yaml_map_get(root, "projects");
		n = mx_yaml_map_get(mx_yaml_map_get(mx_yaml_map_get(n, project), "profiles"), profile);
		n = mx_yaml_map_get(mx_yaml_map_get(n, "auth"), "provider");
		snprintf(u->auth_provider, sizeof u->auth_provider, "%s", provider);
		u->auth_line = n ? n->line : 0;
		u->auth_col = n ? n->col : 0;
	}
	if ((rc = fill_cache(u, root, project, profile, err)) != 0)
		return rc;
	return fill_transport(u, root, err);
}

int mx_user_load(const char *project, const char *profile, struct mx_user_config **out, struct mx_err *err)
{
	char path[PATH_MAX];
	int explicit_path = 0;
	struct stat st;
	*out = NULL;
	int rc = choose_path(path, sizeof path, &explicit_path, err);
	if (rc)
		return rc;

	struct mx_user_config *u = mx_calloc(1, sizeof *u);
	if (u == NULL)
		return oom(err);
	struct mx_yaml_doc *doc = NULL;
	if (path[0] != '\0' && stat(path, &st) == 0) {
		if ((u->file = mx_strdup(path)) == NULL)
			rc = oom(err);
		else
			rc = mx_yaml_load_file(path, &doc, err);
	} else if (explicit_path) {
		rc = mx_err_set(err, MX_ENOTFOUND, "MXCP user config not found at %s", path);
	}
	if (rc == 0)
		rc = load_doc(u, doc ? doc->root : NULL, project, profile, err);
	mx_yaml_free(doc);
	if (rc) {
		mx_user_free(u);
		return rc;
	}
	*out = u;
	return 0;
}

void mx_user_free(struct mx_user_config *u)
{
	if (u == NULL)
		return;
	mx_free(u->file);
	json_decref(u->cache.endpoint_lines);
	json_decref(u->raw);
	mx_free(u);
}

json_t *mx_user_profile(const struct mx_user_config *u, const char *project, const char *profile)
{
	if (u == NULL || project == NULL || profile == NULL)
		return NULL;
	json_t *p = json_object_get(
	        json_object_get(json_object_get(json_object_get(u->raw, "projects"), project), "profiles"),
	        profile);
	return json_is_object(p) ? p : NULL;
}

const json_t *mx_user_secrets(const struct mx_user_config *u, const char *project, const char *profile)
{
	return json_object_get(mx_user_profile(u, project, profile), "secrets");
}
