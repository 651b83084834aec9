/* SPDX-License-Identifier: Apache-2.0 */
/* identity — see identity.h. */
#include "auth/identity.h"

#include <string.h>

static const char *const USER_FIELDS[] = {"user_id", "username",    "email",        "name",   "provider",
                                          "role",    "permissions", "capabilities", "scopes", "claims"};

static int is_user_field(const char *k)
{
	for (size_t i = 0; i < sizeof USER_FIELDS / sizeof *USER_FIELDS; i++)
		if (strcmp(k, USER_FIELDS[i]) == 0)
			return 1;
	return 0;
}

/* A string member of the context itself, then of the raw profile. */
static const char *ctx_str(const json_t *uc, const json_t *raw, const char *key)
{
	const char *s = json_string_value(json_object_get(uc, key));
	return s ? s : json_string_value(json_object_get(raw, key));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A list member: an array as given; for `scopes` also OAuth's space-separated `scope`. */
static json_t *ctx_list(const json_t *uc, const json_t *raw, const char *key)
{
	const json_t *v = json_object_get(uc, key);
	if (!json_is_array(v))
		v = json_object_get(raw, key);
	if (json_is_array(v)) /* shared, never changed: the activation copies it */
		return json_incref((json_t *)v);
	json_t *list = json_array();
	const char *scope = strcmp(key, "scopes") == 0 ? ctx_str(uc, raw, "scope") : NULL;
	while (list && scope && *scope) {
		while (*scope == ' ')
			scope++;
		size_t n = strcspn(scope, " ");
		if (n && json_array_append_new(list, json_stringn(scope, n))) {
			json_decref(list);
			return NULL;
		}
		scope += n;
	}
	return list;
}

static int set_new(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) ? -1 : 0;
}

json_t *mx_identity_user(const json_t *uc, const char *provider)
{
	json_t *u = json_object();
	if (u == NULL)
		return NULL;
	if (!json_is_object(uc)) {
		if (set_new(u, "user_id", json_null()) || set_new(u, "username", json_null()) ||
		    set_new(u, "email", json_null()) || set_new(u, "name", json_null()) ||
		    set_new(u, "provider", json_null()) || set_new(u, "role", json_string("anonymous")) ||
		    set_new(u, "permissions", json_array()) || set_new(u, "scopes", json_array()) ||
		    set_new(u, "capabilities", json_array()) || set_new(u, "claims", json_object())) {
			json_decref(u);
			return NULL;
		}
		return u;
	}
	const json_t *raw = json_object_get(uc, "raw_profile");
	if (!json_is_object(raw))
		raw = uc;
	if (provider == NULL)
		provider = ctx_str(uc, raw, "provider");
	const char *dflt = NULL;
	if (provider && strcmp(provider, "cli") == 0)
		dflt = "cli_user";
	else if (provider && strcmp(provider, "test") == 0)
		dflt = "test_user";
	const char *user_id = ctx_str(uc, raw, "user_id");
	if (user_id == NULL)
		user_id = ctx_str(uc, raw, "sub");
	const char *username = ctx_str(uc, raw, "username");
	const char *role = json_string_value(json_object_get(raw, "role"));
	if (role == NULL)
		role = json_string_value(json_object_get(uc, "role"));
	/* the raw profile's own keys first, so the fields below override them */
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)raw, k, v) {
		if (!is_user_field(k) && strcmp(k, "raw_profile") != 0 && json_object_set(u, k, v))
			goto oom;
	}
	if (set_new(u, "user_id", str_or_null(user_id ? user_id : dflt)) ||
	    set_new(u, "username", str_or_null(username ? username : dflt)) ||
	    set_new(u, "email", str_or_null(ctx_str(uc, raw, "email"))) ||
	    set_new(u, "name", str_or_null(ctx_str(uc, raw, "name"))) ||
	    set_new(u, "provider", str_or_null(provider)) ||
	    set_new(u, "role", json_string(role ? role : "user")) ||
	    set_new(u, "permissions", ctx_list(uc, raw, "permissions")) ||
	    set_new(u, "scopes", ctx_list(uc, raw, "scopes")) ||
	    set_new(u, "capabilities", ctx_list(uc, raw, "capabilities")) ||
	    set_new(u, "claims", json_incref((json_t *)raw)))
		goto oom;
	return u;
oom:
	json_decref(u);
	return NULL;
}
