/* SPDX-License-Identifier: Apache-2.0 */
/* claims — see claims.h. */
#include "auth/claims.h"

#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *resolve(const json_t *profile, const char *path)
{
	const json_t *v = json_object_get(profile, path);
	if (v != NULL)
		return v;
	const json_t *cur = profile;
	const char *p = path;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, p, n);
		if (cur == NULL || dot == NULL)
			return cur;
		p = dot + 1;
	}
}

/* A scalar as Python's str() writes it. */
static void scalar_text(const json_t *v, char *out, size_t n)
{
	if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else if (json_is_true(v))
		snprintf(out, n, "true");
	else if (json_is_false(v))
		snprintf(out, n, "false");
	else if (json_is_integer(v))
		snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, n, "%.17g", json_real_value(v));
	else if (json_is_null(v))
		snprintf(out, n, "None");
	else
		out[0] = '\0';
}

static void add_value(json_t *set, const json_t *value_map, const char *value)
{
	const json_t *caps = json_object_get(value_map, value);
	size_t i;
	const json_t *c;
	json_array_foreach (caps, i, c) {
		if (json_is_string(c))
			json_object_set_new(set, json_string_value(c), json_true());
	}
}

static int by_text(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

json_t *mx_auth_capabilities(const json_t *claim_mappings, const json_t *raw_profile)
{
	json_t *set = json_object();
	if (set == NULL)
		return NULL;
	const char *path;
	const json_t *value_map;
	json_object_foreach ((json_t *)claim_mappings, path, value_map) {
		const json_t *v = json_is_object(raw_profile) ? resolve(raw_profile, path) : NULL;
		if (v == NULL || json_is_null(v))
			continue;
		char text[1024];
		if (json_is_array(v)) {
			size_t i;
			const json_t *e;
			json_array_foreach (v, i, e) {
				scalar_text(e, text, sizeof text);
				add_value(set, value_map, text);
			}
		} else if (json_is_string(v) && strchr(json_string_value(v), ' ') != NULL) {
			const char *s = json_string_value(v);
			while (*s) {
				while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
					s++;
				size_t n = strcspn(s, " \t\n\r");
				if (n == 0)
					break;
				snprintf(text, sizeof text, "%.*s", (int)n, s);
				add_value(set, value_map, text);
				s += n;
			}
		} else {
			scalar_text(v, text, sizeof text);
			add_value(set, value_map, text);
		}
	}
	size_t n = json_object_size(set);
	json_t **items = n > 0 ? mx_calloc(n, sizeof *items) : NULL;
	json_t *out = json_array();
	size_t k = 0;
	const char *key;
	json_t *unused;
	json_object_foreach (set, key, unused) {
		if (items != NULL)
			items[k++] = json_string(key);
	}
	if (items != NULL)
		qsort(items, k, sizeof *items, by_text);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(out, items[i]);
	mx_free(items);
	json_decref(set);
	return out;
}
