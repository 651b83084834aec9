/* SPDX-License-Identifier: Apache-2.0 */
/*
 * site — loader for mxcp-site.yml (see site.h).
 *
 * The YAML tree is walked once, top-down, against MXCP's pydantic models
 * (server/core/config/models.py: every model is extra="forbid"), and the
 * values are copied into a struct mx_site_config that the loader owns and
 * mx_site_free releases. The first problem found is reported as
 * "<file>:<line>:<col>: <dotted.path>: <problem>"; nothing is half-returned.
 *
 * Deliberate leniencies: a null where a section or profile mapping is
 * expected means "use the defaults"; `profiles.<p>.auth` (not in MXCP's
 * model, but shown by the operational guide) is any mapping, kept as JSON.
 * Effective per-profile paths are computed on demand by
 * mx_site_profile_settings for any profile name (spec §20 item 9), not only
 * the file's default profile as MXCP does.
 *
 * Runs at start-up and on reload, on whichever thread loads the project;
 * the result is immutable afterwards.
 */
#include "config/site.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/suggest.h"
#include "core/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SITE_FILE "mxcp-site.yml"
#define DEFAULT_AUDIT_MAX_FILE_SIZE ((int64_t)50 * 1024 * 1024)
#define PATH_BUF 512

/* ------------------------------------------------------------ small helpers */

static int oom(struct mx_err *err)
{
	return mx_err_set(err, MX_ENOMEM, "out of memory");
}

static int is_null(const struct mx_yaml_node *n)
{
	return n == NULL || (n->kind == MX_YAML_SCALAR && mx_yaml_resolve(n, NULL) == MX_YT_NULL);
}

/* "<path>: expected <want>, got <type> '<text>'", like the shared getters. */
static int type_error(const char *file, const struct mx_yaml_node *n, const char *path, const char *want,
                      struct mx_err *err)
{
	const char *type = mx_yaml_type_name(mx_yaml_resolve(n, NULL));
	if (n->kind == MX_YAML_SCALAR)
		return mx_err_at(err, MX_EINVAL, file, n->line, n->col, "%s: expected %s, got %s '%s'", path,
		                 want, type, n->str);
	return mx_err_at(err, MX_EINVAL, file, n->line, n->col, "%s: expected %s, got %s", path, want, type);
}

/* map[key] as an optional mapping: NULL when absent or null. */
static int get_section(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                       const struct mx_yaml_node **out, char *subpath, size_t subsz, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	mx_yaml_path(subpath, subsz, path, key);
	*out = NULL;
	if (is_null(v))
		return 0;
	if (v->kind != MX_YAML_MAP)
		return type_error(file, v, subpath, "a mapping", err);
	*out = v;
	return 0;
}

/* A scalar rendered the way Python's str() renders the value PyYAML made
 * of it, for the dbt fields whose scalars MXCP coerces to 1-item lists. */
static json_t *scalar_as_str(const struct mx_yaml_node *n)
{
	struct mx_yaml_value v;
	char num[32];
	switch (mx_yaml_resolve(n, &v)) {
	case MX_YT_BOOL: return json_string(v.b ? "True" : "False");
	case MX_YT_INT: snprintf(num, sizeof num, "%lld", (long long)v.i); return json_string(num);
	default: return json_stringn(n->str, n->len);
	}
}

/* map[key] as list[str]: null -> [], scalar -> [str(value)] when
 * coerce_scalar, otherwise a type error. *out keeps its default when the
 * key is absent. */
static int get_str_list(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                        int coerce_scalar, json_t **out, struct mx_err *err)
{
	char p[PATH_BUF];
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	mx_yaml_path(p, sizeof p, path, key);
	if (v == NULL)
		return 0;
	json_t *list = json_array();
	if (list == NULL)
		return oom(err);
	if (is_null(v)) {
		/* empty list */
	} else if (v->kind == MX_YAML_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			const struct mx_yaml_node *item = v->items[i];
			if (!mx_yaml_is_str(item)) {
				char ip[PATH_BUF];
				mx_yaml_path_index(ip, sizeof ip, p, i);
				json_decref(list);
				return type_error(file, item, ip, "a string", err);
			}
			if (json_array_append_new(list, json_stringn(item->str, item->len))) {
				json_decref(list);
				return oom(err);
			}
		}
	} else if (v->kind == MX_YAML_SCALAR && coerce_scalar) {
		if (json_array_append_new(list, scalar_as_str(v))) {
			json_decref(list);
			return oom(err);
		}
	} else {
		json_decref(list);
		return type_error(file, v, p, "a list of strings", err);
	}
	json_decref(*out);
	*out = list;
	return 0;
}

/* Like mx_yaml_get_int, but also takes an integer written as a string
 * ("1000"), as pydantic's lax mode does. */
static int get_int_lax(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                       int64_t *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	if (v != NULL && mx_yaml_is_str(v) && v->len > 0 && v->len < 20) {
		const char *s = v->str + (v->str[0] == '-' || v->str[0] == '+');
		int digits = *s != '\0';
		for (; *s; s++)
			digits = digits && isdigit((unsigned char)*s);
		if (digits) {
			*out = strtoll(v->str, NULL, 10);
			return 0;
		}
	}
	return mx_yaml_get_int(file, map, path, key, out, err);
}

/* ----------------------------------------------------------- top-level keys */

static int check_version(const char *file, const struct mx_yaml_node *root, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(root, "mxcp");
	struct mx_yaml_value val;
	if (is_null(v))
		return 0;
	if (mx_yaml_is_str(v))
		return mx_err_at(
		        err, MX_EINVAL, file, v->line, v->col,
		        "mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED: Pre-production MXCP version detected\n\n"
		        "Your %s file uses an old format from a pre-production release.\n\n"
		        "REQUIRED CHANGES:\n\n"
		        "1. Update version format:\n   OLD: mxcp: \"%s\"\n   NEW: mxcp: 1\n\n"
		        "2. Reorganize your files to the new directory structure:\n"
		        "   tools/, resources/, prompts/ (endpoint YAML definitions), evals/, python/,\n"
		        "   sql/ (SQL files), drift/ (drift-<profile>.json), audit/ (logs-<profile>.jsonl),\n"
		        "   data/ (db-<profile>.duckdb), next to mxcp-site.yml\n\n"
		        "3. Update YAML file references: tool/resource/prompt files reference SQL files as\n"
		        "   ../sql/filename.sql",
		        file, v->str);
	if (mx_yaml_resolve(v, &val) == MX_YT_INT && val.i == 1)
		return 0;
	return type_error(file, v, "mxcp", "1", err);
}

/* secrets: list[str] or a single str (names only). */
static int load_secrets(const char *file, const struct mx_yaml_node *root, struct mx_site_config *s,
                        struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(root, "secrets");
	if (is_null(v))
		return 0;
	const struct mx_yaml_node *const *items = &v;
	size_t n = 1;
	if (v->kind == MX_YAML_SEQ) {
		items = (const struct mx_yaml_node *const *)v->items;
		n = v->n;
	}
	if (n == 0)
		return 0;
	s->secrets = mx_calloc(n, sizeof *s->secrets);
	if (s->secrets == NULL)
		return oom(err);
	for (size_t i = 0; i < n; i++) {
		if (!mx_yaml_is_str(items[i])) {
			char p[PATH_BUF];
			if (v->kind == MX_YAML_SEQ)
				mx_yaml_path_index(p, sizeof p, "secrets", i);
			else
				snprintf(p, sizeof p, "secrets");
			return type_error(file, items[i], p, "a string", err);
		}
		if ((s->secrets[i] = mx_strndup(items[i]->str, items[i]->len)) == NULL)
			return oom(err);
		s->nsecrets++;
	}
	return 0;
}

/* The items of a list-or-single-item field (plugin, extensions). */
static void as_items(const struct mx_yaml_node **v, const struct mx_yaml_node *const **items, size_t *n)
{
	if (is_null(*v)) {
		*n = 0;
	} else if ((*v)->kind == MX_YAML_SEQ) {
		*items = (const struct mx_yaml_node *const *)(*v)->items;
		*n = (*v)->n;
	} else {
		*items = v;
		*n = 1;
	}
}

static void item_path(char *out, size_t outsz, const struct mx_yaml_node *list, const char *key, size_t i)
{
	if (list->kind == MX_YAML_SEQ)
		mx_yaml_path_index(out, outsz, key, i);
	else
		snprintf(out, outsz, "%s", key);
}

static int load_plugins(const char *file, const struct mx_yaml_node *root, struct mx_site_config *s,
                        struct mx_err *err)
{
	static const char *const keys[] = {"name", "module", "config", NULL};
	const struct mx_yaml_node *v = mx_yaml_map_get(root, "plugin");
	const struct mx_yaml_node *const *items = NULL;
	size_t n;
	as_items(&v, &items, &n);
	if (n == 0)
		return 0;
	s->plugins = mx_calloc(n, sizeof *s->plugins);
	if (s->plugins == NULL)
		return oom(err);
	for (size_t i = 0; i < n; i++) {
		char p[PATH_BUF];
		item_path(p, sizeof p, v, "plugin", i);
		struct mx_site_plugin *pl = &s->plugins[s->nplugins++];
		int rc = mx_yaml_expect_map(file, items[i], p, err);
		if (rc == 0)
			rc = mx_yaml_check_keys(file, items[i], p, keys, err);
		if (rc == 0)
			rc = mx_yaml_get_str(file, items[i], p, "name", 1, &pl->name, err);
		if (rc == 0)
			rc = mx_yaml_get_str(file, items[i], p, "module", 1, &pl->module, err);
		if (rc == 0)
			rc = mx_yaml_get_str(file, items[i], p, "config", 0, &pl->config, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_extensions(const char *file, const struct mx_yaml_node *root, struct mx_site_config *s,
                           struct mx_err *err)
{
	static const char *const keys[] = {"name", "repo", NULL};
	const struct mx_yaml_node *v = mx_yaml_map_get(root, "extensions");
	const struct mx_yaml_node *const *items = NULL;
	size_t n;
	as_items(&v, &items, &n);
	if (n == 0)
		return 0;
	s->extensions = mx_calloc(n, sizeof *s->extensions);
	if (s->extensions == NULL)
		return oom(err);
	for (size_t i = 0; i < n; i++) {
		char p[PATH_BUF];
		item_path(p, sizeof p, v, "extensions", i);
		struct mx_site_extension *ext = &s->extensions[s->nextensions++];
		const struct mx_yaml_node *it = items[i];
		ext->line = it->line;
		ext->col = it->col;
		if (mx_yaml_is_str(it)) {
			if ((ext->name = mx_strndup(it->str, it->len)) == NULL)
				return oom(err);
			continue;
		}
		if (it->kind != MX_YAML_MAP)
			return type_error(file, it, p, "a string or a mapping", err);
		int rc = mx_yaml_check_keys(file, it, p, keys, err);
		if (rc == 0)
			rc = mx_yaml_get_str(file, it, p, "name", 1, &ext->name, err);
		if (rc == 0)
			rc = mx_yaml_get_str(file, it, p, "repo", 0, &ext->repo, err);
		if (rc)
			return rc;
		if (ext->repo != NULL && strcmp(ext->repo, "community") != 0 &&
		    strcmp(ext->repo, "core_nightly") != 0) {
			const struct mx_yaml_node *r = mx_yaml_map_get(it, "repo");
			return mx_err_at(err, MX_EINVAL, file, r->line, r->col,
			                 "%s.repo: expected 'community' or 'core_nightly', got '%s'", p,
			                 ext->repo);
		}
	}
	return 0;
}

static int load_dbt(const char *file, const struct mx_yaml_node *root, struct mx_site_dbt *d,
                    struct mx_err *err)
{
	static const char *const keys[] = {"enabled",       "model_paths", "analysis_paths", "test_paths",
	                                   "seed_paths",    "macro_paths", "snapshot_paths", "target_path",
	                                   "clean_targets", NULL};
	struct {
		const char *key;
		json_t **field;
	} lists[] = {
	        {"model_paths", &d->model_paths},     {"analysis_paths", &d->analysis_paths},
	        {"test_paths", &d->test_paths},       {"seed_paths", &d->seed_paths},
	        {"macro_paths", &d->macro_paths},     {"snapshot_paths", &d->snapshot_paths},
	        {"clean_targets", &d->clean_targets},
	};
	char p[PATH_BUF];
	const struct mx_yaml_node *m;
	int rc = get_section(file, root, "", "dbt", &m, p, sizeof p, err);
	if (rc || m == NULL)
		return rc;
	if ((rc = mx_yaml_check_keys(file, m, p, keys, err)) != 0)
		return rc;
	if ((rc = mx_yaml_get_bool(file, m, p, "enabled", &d->enabled, err)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if ((rc = get_str_list(file, m, p, lists[i].key, 1, lists[i].field, err)) != 0)
			return rc;
	return mx_yaml_get_str(file, m, p, "target_path", 0, &d->target_path, err);
}

/* A URL prefix (scheme://…), kept as written. */
static int is_url(const char *s)
{
	if (!isalpha((unsigned char)s[0]))
		return 0;
	const char *p = s + 1;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

/* An allowed_directories / allowed_paths entry as DuckDB is to compare it
 * (it matches paths as written, by prefix): a URL as written; a path made
 * absolute against the project root, with `.`, `..` and repeated slashes
 * folded, so that `data/../..` cannot mean more than it says. NULL when
 * out of memory. */
static char *sandbox_entry(const char *root, const char *entry)
{
	if (is_url(entry))
		return mx_strdup(entry);
	size_t n = strlen(root) + strlen(entry) + 3;
	char *in = mx_malloc(n), *out = mx_malloc(n);
	if (in == NULL || out == NULL) {
		mx_free(in);
		mx_free(out);
		return NULL;
	}
	snprintf(in, n, "%s/%s", entry[0] == '/' ? "" : root, entry);
	size_t len = 0;
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		size_t seg = end ? (size_t)(end - p) : strlen(p);
		if (seg == 0 || (seg == 1 && p[0] == '.')) {
			/* nothing */
		} else if (seg == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash before the dropped name */
		} else {
			out[len++] = '/';
			memcpy(out + len, p, seg);
			len += seg;
		}
		p += seg;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	mx_free(in);
	return out;
}

/* sql_tools.<key>: a list of non-empty strings, resolved by sandbox_entry. */
static int load_sandbox_list(const char *file, const struct mx_yaml_node *m, const char *path,
                             const char *key, const char *root, char ***out, size_t *nout, struct mx_err *err)
{
	char p[PATH_BUF];
	const struct mx_yaml_node *v = mx_yaml_map_get(m, key);
	mx_yaml_path(p, sizeof p, path, key);
	if (is_null(v))
		return 0;
	if (v->kind != MX_YAML_SEQ)
		return type_error(file, v, p, "a list of strings", err);
	if (v->n == 0)
		return 0;
	char **list = mx_calloc(v->n, sizeof *list);
	if (list == NULL)
		return oom(err);
	*out = list;
	for (size_t i = 0; i < v->n; i++) {
		const struct mx_yaml_node *item = v->items[i];
		char ip[PATH_BUF];
		mx_yaml_path_index(ip, sizeof ip, p, i);
		if (!mx_yaml_is_str(item))
			return type_error(file, item, ip, "a string", err);
		if (item->len == 0 || strlen(item->str) != item->len)
			return mx_err_at(err, MX_EINVAL, file, item->line, item->col,
			                 "%s: must be a folder, a file or a URL prefix, not empty", ip);
		if ((list[i] = sandbox_entry(root, item->str)) == NULL)
			return oom(err);
		*nout = i + 1;
	}
	return 0;
}

static int load_sql_tools(const char *file, const struct mx_yaml_node *root, const char *project_root,
                          struct mx_site_sql_tools *t, struct mx_err *err)
{
	static const char *const keys[] = {
	        "enabled",         "execute_sql_query",   "list_tables",   "get_table_schema",
	        "external_access", "allowed_directories", "allowed_paths", NULL};
	static const char *const tool_keys[] = {"description", NULL};
	struct {
		const char *key;
		char **field;
	} tools[] = {
	        {"execute_sql_query", &t->execute_sql_query_description},
	        {"list_tables", &t->list_tables_description},
	        {"get_table_schema", &t->get_table_schema_description},
	};
	char p[PATH_BUF];
	const struct mx_yaml_node *m;
	int rc = get_section(file, root, "", "sql_tools", &m, p, sizeof p, err);
	if (rc || m == NULL)
		return rc;
	if ((rc = mx_yaml_check_keys(file, m, p, keys, err)) != 0)
		return rc;
	if ((rc = mx_yaml_get_bool(file, m, p, "enabled", &t->enabled, err)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		char tp[PATH_BUF];
		const struct mx_yaml_node *tm;
		if ((rc = get_section(file, m, p, tools[i].key, &tm, tp, sizeof tp, err)) != 0)
			return rc;
		if (tm == NULL)
			continue;
		if ((rc = mx_yaml_check_keys(file, tm, tp, tool_keys, err)) != 0)
			return rc;
		if ((rc = mx_yaml_get_str(file, tm, tp, "description", 0, tools[i].field, err)) != 0)
			return rc;
		if (*tools[i].field != NULL && **tools[i].field == '\0') {
			const struct mx_yaml_node *dv = mx_yaml_map_get(tm, "description");
			return mx_err_at(err, MX_EINVAL, file, dv->line, dv->col,
			                 "%s.description: must not be empty", tp);
		}
	}
	if ((rc = mx_yaml_get_bool(file, m, p, "external_access", &t->external_access, err)) != 0 ||
	    (rc = load_sandbox_list(file, m, p, "allowed_directories", project_root, &t->allowed_directories,
	                            &t->nallowed_directories, err)) != 0 ||
	    (rc = load_sandbox_list(file, m, p, "allowed_paths", project_root, &t->allowed_paths,
	                            &t->nallowed_paths, err)) != 0)
		return rc;
	/* external_access: true reaches everything: a list beside it would
	 * suggest a limit that is not there. */
	const char *lists[] = {"allowed_directories", "allowed_paths"};
	size_t counts[] = {t->nallowed_directories, t->nallowed_paths};
	for (size_t i = 0; t->external_access && i < 2; i++) {
		if (counts[i] == 0)
			continue;
		const struct mx_yaml_node *lv = mx_yaml_map_get(m, lists[i]);
		return mx_err_at(err, MX_EINVAL, file, lv->line, lv->col,
		                 "%s.%s: has no effect with external_access: true, which lets DuckDB reach "
		                 "every file and URL; remove one of the two",
		                 p, lists[i]);
	}
	return 0;
}

static int strings_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

int mx_site_sql_sandbox_equal(const struct mx_site_sql_tools *a, const struct mx_site_sql_tools *b)
{
	return !a->external_access == !b->external_access &&
	       strings_equal(a->allowed_directories, a->nallowed_directories, b->allowed_directories,
	                     b->nallowed_directories) &&
	       strings_equal(a->allowed_paths, a->nallowed_paths, b->allowed_paths, b->nallowed_paths);
}

static int load_paths(const char *file, const struct mx_yaml_node *root, struct mx_site_paths *ps,
                      struct mx_err *err)
{
	static const char *const keys[] = {"tools", "resources", "prompts", "evals", "python", "plugins",
	                                   "sql",   "drift",     "audit",   "data",  NULL};
	char **fields[] = {&ps->tools,   &ps->resources, &ps->prompts, &ps->evals, &ps->python,
	                   &ps->plugins, &ps->sql,       &ps->drift,   &ps->audit, &ps->data};
	char p[PATH_BUF];
	const struct mx_yaml_node *m;
	int rc = get_section(file, root, "", "paths", &m, p, sizeof p, err);
	if (rc || m == NULL)
		return rc;
	if ((rc = mx_yaml_check_keys(file, m, p, keys, err)) != 0)
		return rc;
	for (size_t i = 0; keys[i]; i++)
		if ((rc = mx_yaml_get_str(file, m, p, keys[i], 0, fields[i], err)) != 0)
			return rc;
	return 0;
}

/* One of a fixed set of words: *out is the index in words. Absent leaves *out. */
static int get_choice(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                      const char *const *words, int *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	char p[PATH_BUF], list[256] = "";
	if (is_null(v))
		return 0;
	mx_yaml_path(p, sizeof p, path, key);
	for (int i = 0; words[i] != NULL; i++) {
		if (v->kind == MX_YAML_SCALAR && strcmp(v->str, words[i]) == 0) {
			*out = i;
			return 0;
		}
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", words[i]);
	}
	if (v->kind != MX_YAML_SCALAR)
		return type_error(file, v, p, "a string", err);
	return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "%s: expected one of %s, got '%s'", p, list,
	                 v->str);
}

/* An integer key with a lower and upper bound (absent leaves *out). */
static int get_int_range(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                         int64_t lo, int64_t hi, int64_t *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	int64_t x = *out;
	int rc = get_int_lax(file, map, path, key, &x, err);
	if (rc || is_null(v))
		return rc;
	if (x < lo || x > hi) {
		char p[PATH_BUF];
		mx_yaml_path(p, sizeof p, path, key);
		return mx_err_at(err, MX_EINVAL, file, v->line, v->col,
		                 "%s: must be between %lld and %lld, got %lld", p, (long long)lo,
		                 (long long)hi, (long long)x);
	}
	*out = x;
	return 0;
}

/* mxcp's own audit keys: durability, rotation, back-pressure, retention. */
static int load_audit_extras(const char *file, const struct mx_yaml_node *sec, const char *path,
                             struct mx_site_profile *pr, struct mx_err *err)
{
	static const char *const fsync_words[] = {"interval", "always", "never", NULL};
	static const char *const full_words[] = {"block", "fail", NULL};
	static const char *const every_words[] = {"never", "hourly", "daily", NULL};
	static const char *const rotate_keys[] = {"size", "interval", NULL};
	int fsync = (int)pr->audit_fsync, full = (int)pr->audit_on_full,
	    every = (int)pr->audit_rotate_interval;
	const struct mx_yaml_node *rot;
	char rp[PATH_BUF];
	int rc;
	if ((rc = get_choice(file, sec, path, "fsync", fsync_words, &fsync, err)) != 0 ||
	    (rc = get_int_range(file, sec, path, "fsync_interval_ms", 1, 3600000,
	                        &pr->audit_fsync_interval_ms, err)) != 0 ||
	    (rc = get_int_range(file, sec, path, "queue_size", 1, 10000000, &pr->audit_queue_size, err)) !=
	            0 ||
	    (rc = get_choice(file, sec, path, "on_full", full_words, &full, err)) != 0 ||
	    (rc = get_int_range(file, sec, path, "retention_days", 1, 36500, &pr->audit_retention_days,
	                        err)) != 0 ||
	    (rc = get_section(file, sec, path, "rotate", &rot, rp, sizeof rp, err)) != 0)
		return rc;
	if (rot != NULL &&
	    ((rc = mx_yaml_check_keys(file, rot, rp, rotate_keys, err)) != 0 ||
	     (rc = get_int_range(file, rot, rp, "size", 0, INT64_MAX, &pr->audit_rotate_size, err)) != 0 ||
	     (rc = get_choice(file, rot, rp, "interval", every_words, &every, err)) != 0))
		return rc;
	pr->audit_fsync = (enum mx_audit_fsync_mode)fsync;
	pr->audit_on_full = (enum mx_audit_on_full)full;
	pr->audit_rotate_interval = (enum mx_audit_rotate_every)every;
	return 0;
}

/* ----------------------------------------------------------------- profiles */

static int load_profile(const char *file, const char *path, const struct mx_yaml_node *m,
                        struct mx_site_profile *pr, struct mx_err *err)
{
	static const char *const keys[] = {"duckdb", "drift", "audit", "auth", NULL};
	static const char *const duckdb_keys[] = {"path", "readonly", NULL};
	static const char *const drift_keys[] = {"path", NULL};
	static const char *const audit_keys[] = {"enabled",           "path",   "max_file_size", "fsync",
	                                         "fsync_interval_ms", "rotate", "queue_size",    "on_full",
	                                         "retention_days",    NULL};
	char p[PATH_BUF];
	const struct mx_yaml_node *sec;
	int rc;
	if (is_null(m))
		return 0;
	if ((rc = mx_yaml_expect_map(file, m, path, err)) != 0 ||
	    (rc = mx_yaml_check_keys(file, m, path, keys, err)) != 0)
		return rc;

	if ((rc = get_section(file, m, path, "duckdb", &sec, p, sizeof p, err)) != 0)
		return rc;
	if (sec != NULL &&
	    ((rc = mx_yaml_check_keys(file, sec, p, duckdb_keys, err)) != 0 ||
	     (rc = mx_yaml_get_str(file, sec, p, "path", 0, &pr->duckdb_path, err)) != 0 ||
	     (rc = mx_yaml_get_bool(file, sec, p, "readonly", &pr->duckdb_readonly, err)) != 0))
		return rc;

	if ((rc = get_section(file, m, path, "drift", &sec, p, sizeof p, err)) != 0)
		return rc;
	if (sec != NULL && ((rc = mx_yaml_check_keys(file, sec, p, drift_keys, err)) != 0 ||
	                    (rc = mx_yaml_get_str(file, sec, p, "path", 0, &pr->drift_path, err)) != 0))
		return rc;

	if ((rc = get_section(file, m, path, "audit", &sec, p, sizeof p, err)) != 0)
		return rc;
	if (sec != NULL &&
	    ((rc = mx_yaml_check_keys(file, sec, p, audit_keys, err)) != 0 ||
	     (rc = mx_yaml_get_bool(file, sec, p, "enabled", &pr->audit_enabled, err)) != 0 ||
	     (rc = mx_yaml_get_str(file, sec, p, "path", 0, &pr->audit_path, err)) != 0 ||
	     (rc = get_int_lax(file, sec, p, "max_file_size", &pr->audit_max_file_size, err)) != 0 ||
	     (rc = load_audit_extras(file, sec, p, pr, err)) != 0))
		return rc;

	/* auth: the operational guide's `{enabled, provider}` and whatever else
	 * the auth module reads; any mapping is kept as written. */
	if ((rc = get_section(file, m, path, "auth", &sec, p, sizeof p, err)) != 0)
		return rc;
	if (sec != NULL && (pr->auth = mx_yaml_to_json(sec)) == NULL)
		return oom(err);
	if (sec != NULL)
		pr->auth_line = sec->line, pr->auth_col = sec->col;
	return 0;
}

static void set_audit_defaults(struct mx_site_profile *pr)
{
	pr->audit_max_file_size = DEFAULT_AUDIT_MAX_FILE_SIZE;
	pr->audit_fsync = MX_AUDIT_FSYNC_INTERVAL;
	pr->audit_fsync_interval_ms = MX_AUDIT_DEFAULT_FSYNC_INTERVAL_MS;
	pr->audit_rotate_size = -1;
	pr->audit_rotate_interval = MX_AUDIT_ROTATE_NEVER;
	pr->audit_queue_size = MX_AUDIT_DEFAULT_QUEUE_SIZE;
	pr->audit_on_full = MX_AUDIT_ON_FULL_BLOCK;
	pr->audit_retention_days = MX_AUDIT_DEFAULT_RETENTION_DAYS;
}

static int load_profiles(const char *file, const struct mx_yaml_node *root, struct mx_site_config *s,
                         struct mx_err *err)
{
	char p[PATH_BUF];
	const struct mx_yaml_node *m;
	int rc = get_section(file, root, "", "profiles", &m, p, sizeof p, err);
	if (rc || m == NULL || m->n == 0)
		return rc;
	s->profiles = mx_calloc(m->n, sizeof *s->profiles);
	if (s->profiles == NULL)
		return oom(err);
	for (size_t i = 0; i < m->n; i++) {
		const struct mx_yaml_node *k = m->items[2 * i];
		if (k->kind != MX_YAML_SCALAR)
			return mx_err_at(err, MX_EINVAL, file, k->line, k->col,
			                 "profiles: profile names must be strings");
		if (k->plain && strcmp(k->str, "<<") == 0)
			return mx_err_at(err, MX_EINVAL, file, k->line, k->col,
			                 "profiles: merge keys are not supported here");
		/* a repeated name: the later entry wins, as in PyYAML */
		struct mx_site_profile *pr = NULL;
		for (size_t j = 0; j < s->nprofiles; j++)
			if (strcmp(s->profiles[j].name, k->str) == 0)
				pr = &s->profiles[j];
		if (pr != NULL) {
			json_decref(pr->auth);
			mx_free(pr->duckdb_path);
			mx_free(pr->drift_path);
			mx_free(pr->audit_path);
			char *name = pr->name;
			memset(pr, 0, sizeof *pr);
			pr->name = name;
		} else {
			pr = &s->profiles[s->nprofiles++];
			if ((pr->name = mx_strdup(k->str)) == NULL)
				return oom(err);
		}
		set_audit_defaults(pr);
		char pp[PATH_BUF];
		mx_yaml_path(pp, sizeof pp, "profiles", k->str);
		if ((rc = load_profile(file, pp, m->items[2 * i + 1], pr, err)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ loading */

static int set_defaults(struct mx_site_config *s, struct mx_err *err)
{
	struct {
		char **field;
		const char *value;
	} paths[] = {
	        {&s->paths.tools, "tools"},      {&s->paths.resources, "resources"},
	        {&s->paths.prompts, "prompts"},  {&s->paths.evals, "evals"},
	        {&s->paths.python, "python"},    {&s->paths.plugins, "plugins"},
	        {&s->paths.sql, "sql"},          {&s->paths.drift, "drift"},
	        {&s->paths.audit, "audit"},      {&s->paths.data, "data"},
	        {&s->dbt.target_path, "target"},
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if ((*paths[i].field = mx_strdup(paths[i].value)) == NULL)
			return oom(err);
	s->mxcp = 1;
	s->dbt.enabled = 1;
	s->dbt.model_paths = json_pack("[s]", "models");
	s->dbt.analysis_paths = json_pack("[s]", "analyses");
	s->dbt.test_paths = json_pack("[s]", "tests");
	s->dbt.seed_paths = json_pack("[s]", "seeds");
	s->dbt.macro_paths = json_pack("[s]", "macros");
	s->dbt.snapshot_paths = json_pack("[s]", "snapshots");
	s->dbt.clean_targets = json_pack("[ss]", "target", "dbt_packages");
	if (!s->dbt.model_paths || !s->dbt.analysis_paths || !s->dbt.test_paths || !s->dbt.seed_paths ||
	    !s->dbt.macro_paths || !s->dbt.snapshot_paths || !s->dbt.clean_targets)
		return oom(err);
	return 0;
}

static int load_tree(const char *file, const struct mx_yaml_node *root, struct mx_site_config *s,
                     struct mx_err *err)
{
	static const char *const keys[] = {"mxcp", "project",   "profile", "secrets",  "plugin", "extensions",
	                                   "dbt",  "sql_tools", "paths",   "profiles", NULL};
	int rc;
	if ((rc = mx_yaml_expect_map(file, root, "", err)) != 0)
		return rc;
	/* MXCP checks the legacy string version before anything else. */
	if ((rc = check_version(file, root, err)) != 0)
		return rc;
	if ((rc = mx_yaml_check_keys(file, root, "", keys, err)) != 0)
		return rc;
	if ((rc = mx_yaml_get_str(file, root, "", "project", 1, &s->project, err)) != 0 ||
	    (rc = mx_yaml_get_str(file, root, "", "profile", 1, &s->profile, err)) != 0)
		return rc;
	if ((rc = load_secrets(file, root, s, err)) != 0 || (rc = load_plugins(file, root, s, err)) != 0 ||
	    (rc = load_extensions(file, root, s, err)) != 0 ||
	    (rc = load_dbt(file, root, &s->dbt, err)) != 0 ||
	    (rc = load_sql_tools(file, root, s->root, &s->sql_tools, err)) != 0 ||
	    (rc = load_paths(file, root, &s->paths, err)) != 0 ||
	    (rc = load_profiles(file, root, s, err)) != 0)
		return rc;
	if ((s->raw = mx_yaml_to_json(root)) == NULL)
		return oom(err);
	return 0;
}

int mx_site_load(const char *root, struct mx_site_config **out, struct mx_err *err)
{
	char abs[PATH_MAX], file[PATH_MAX + sizeof SITE_FILE + 1];
	struct stat st;
	*out = NULL;
	if (root == NULL || realpath(root, abs) == NULL)
		return mx_err_set(err, MX_ENOTFOUND, "mxcp-site.yml not found at %s/%s", root ? root : ".",
		                  SITE_FILE);
	snprintf(file, sizeof file, "%s%s%s", abs, strcmp(abs, "/") == 0 ? "" : "/", SITE_FILE);
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return mx_err_set(err, MX_ENOTFOUND, "mxcp-site.yml not found at %s", file);

	struct mx_site_config *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return oom(err);
	int rc = 0;
	if ((s->file = mx_strdup(file)) == NULL || (s->root = mx_strdup(abs)) == NULL)
		rc = oom(err);
	if (rc == 0)
		rc = set_defaults(s, err);

	struct mx_yaml_doc *doc = NULL;
	if (rc == 0)
		rc = mx_yaml_load_file(file, &doc, err);
	if (rc == 0 && doc->root == NULL) {
		/* an empty file is {} to MXCP (yaml.safe_load(f) or {}) */
		rc = mx_err_at(err, MX_EINVAL, file, 1, 1, "project: field required");
	} else if (rc == 0) {
		rc = load_tree(file, doc->root, s, err);
	}
	mx_yaml_free(doc);
	if (rc) {
		mx_site_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void mx_site_free(struct mx_site_config *s)
{
	if (s == NULL)
		return;
	mx_free(s->file);
	mx_free(s->root);
	mx_free(s->project);
	mx_free(s->profile);
	for (size_t i = 0; i < s->nsecrets; i++)
		mx_free(s->secrets[i]);
	mx_free(s->secrets);
	for (size_t i = 0; i < s->nplugins; i++) {
		mx_free(s->plugins[i].name);
		mx_free(s->plugins[i].module);
		mx_free(s->plugins[i].config);
	}
	mx_free(s->plugins);
	for (size_t i = 0; i < s->nextensions; i++) {
		mx_free(s->extensions[i].name);
		mx_free(s->extensions[i].repo);
	}
	mx_free(s->extensions);
	json_decref(s->dbt.model_paths);
	json_decref(s->dbt.analysis_paths);
	json_decref(s->dbt.test_paths);
	json_decref(s->dbt.seed_paths);
	json_decref(s->dbt.macro_paths);
	json_decref(s->dbt.snapshot_paths);
	json_decref(s->dbt.clean_targets);
	mx_free(s->dbt.target_path);
	mx_free(s->sql_tools.execute_sql_query_description);
	mx_free(s->sql_tools.list_tables_description);
	mx_free(s->sql_tools.get_table_schema_description);
	for (size_t i = 0; i < s->sql_tools.nallowed_directories; i++)
		mx_free(s->sql_tools.allowed_directories[i]);
	mx_free(s->sql_tools.allowed_directories);
	for (size_t i = 0; i < s->sql_tools.nallowed_paths; i++)
		mx_free(s->sql_tools.allowed_paths[i]);
	mx_free(s->sql_tools.allowed_paths);
	char **paths[] = {&s->paths.tools,  &s->paths.resources, &s->paths.prompts, &s->paths.evals,
	                  &s->paths.python, &s->paths.plugins,   &s->paths.sql,     &s->paths.drift,
	                  &s->paths.audit,  &s->paths.data};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		mx_free(*paths[i]);
	for (size_t i = 0; i < s->nprofiles; i++) {
		struct mx_site_profile *p = &s->profiles[i];
		mx_free(p->name);
		mx_free(p->duckdb_path);
		mx_free(p->drift_path);
		mx_free(p->audit_path);
		json_decref(p->auth);
	}
	mx_free(s->profiles);
	json_decref(s->raw);
	mx_free(s);
}

/* ---------------------------------------------------------- finding the root */

static int is_site_dir(const char *dir)
{
	char file[PATH_MAX + sizeof SITE_FILE + 1];
	struct stat st;
	snprintf(file, sizeof file, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", SITE_FILE);
	return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

int mx_site_find_root(const char *dir, char *out, size_t outsz, struct mx_err *err)
{
	char cur[PATH_MAX];
	if (dir == NULL ? getcwd(cur, sizeof cur) == NULL : realpath(dir, cur) == NULL)
		return mx_err_set(err, MX_ENOTFOUND,
		                  "No mxcp-site.yml found in current directory or parents");
	for (;;) {
		if (is_site_dir(cur)) {
			if ((size_t)snprintf(out, outsz, "%s", cur) >= outsz)
				return mx_err_set(err, MX_ELIMIT, "project path is too long: %s", cur);
			return 0;
		}
		char *slash = strrchr(cur, '/');
		if (slash == NULL || strcmp(cur, "/") == 0)
			break;
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return mx_err_set(err, MX_ENOTFOUND, "No mxcp-site.yml found in current directory or parents");
}

/* -------------------------------------------------------- profile settings */

const struct mx_site_profile *mx_site_get_profile(const struct mx_site_config *s, const char *name)
{
	if (s == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < s->nprofiles; i++)
		if (strcmp(s->profiles[i].name, name) == 0)
			return &s->profiles[i];
	return NULL;
}

/* base + "/" + rel, or rel alone when it is absolute (or ":memory:"). */
static int join_path(char *out, size_t outsz, const char *base, const char *rel, const char *what,
                     struct mx_err *err)
{
	int n;
	if (rel[0] == '/' || strcmp(rel, ":memory:") == 0)
		n = snprintf(out, outsz, "%s", rel);
	else
		n = snprintf(out, outsz, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", rel);
	if (n < 0 || (size_t)n >= outsz)
		return mx_err_set(err, MX_ELIMIT, "%s path is too long: %s", what, rel);
	return 0;
}

/* <root>/<dir>/<prefix><profile><suffix>, the default of every profile. */
static int default_path(const struct mx_site_config *s, char *out, size_t outsz, const char *dir,
                        const char *prefix, const char *profile, const char *suffix, const char *what,
                        struct mx_err *err)
{
	char rel[4096];
	int n = snprintf(rel, sizeof rel, "%s/%s%s%s", dir, prefix, profile, suffix);
	if (n < 0 || (size_t)n >= sizeof rel)
		return mx_err_set(err, MX_ELIMIT, "%s path is too long", what);
	return join_path(out, outsz, s->root, rel, what, err);
}

/* MXCP_AUDIT_ENABLED: 1 / 0, or -1 when unset or not a recognised word. */
static int env_audit_enabled(void)
{
	const char *v = getenv("MXCP_AUDIT_ENABLED");
	char word[8];
	size_t n = 0;
	if (v == NULL)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	for (; *v && !isspace((unsigned char)*v); v++) {
		if (n + 1 >= sizeof word)
			return -1;
		word[n++] = (char)tolower((unsigned char)*v);
	}
	while (isspace((unsigned char)*v))
		v++;
	if (*v != '\0')
		return -1;
	word[n] = '\0';
	if (!strcmp(word, "true") || !strcmp(word, "1") || !strcmp(word, "yes"))
		return 1;
	if (!strcmp(word, "false") || !strcmp(word, "0") || !strcmp(word, "no"))
		return 0;
	return -1;
}

int mx_site_profile_settings(const struct mx_site_config *s, const char *profile,
                             struct mx_profile_settings *out, struct mx_err *err)
{
	if (profile == NULL)
		profile = s->profile;
	const struct mx_site_profile *p = mx_site_get_profile(s, profile);
	int rc;
	memset(out, 0, sizeof *out);
	out->readonly = p ? p->duckdb_readonly : 0;
	out->audit_enabled = p ? p->audit_enabled : 0;
	struct mx_site_profile defaults;
	memset(&defaults, 0, sizeof defaults);
	set_audit_defaults(&defaults);
	const struct mx_site_profile *a = p ? p : &defaults;
	out->audit_max_file_size = a->audit_max_file_size;
	out->audit_fsync = a->audit_fsync;
	out->audit_fsync_interval_ms = a->audit_fsync_interval_ms;
	out->audit_rotate_size = a->audit_rotate_size >= 0 ? a->audit_rotate_size : a->audit_max_file_size;
	out->audit_rotate_interval = a->audit_rotate_interval;
	out->audit_queue_size = a->audit_queue_size;
	out->audit_on_full = a->audit_on_full;
	out->audit_retention_days = a->audit_retention_days;

	const char *env_db = getenv("MXCP_DUCKDB_PATH");
	if (env_db != NULL && *env_db != '\0') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL)
			return mx_err_set(err, MX_EIO, "cannot read the working directory: %s",
			                  strerror(errno));
		rc = join_path(out->duckdb_path, sizeof out->duckdb_path, cwd, env_db, "MXCP_DUCKDB_PATH",
		               err);
	} else if (p && p->duckdb_path && *p->duckdb_path) {
		rc = join_path(out->duckdb_path, sizeof out->duckdb_path, s->root, p->duckdb_path, "duckdb",
		               err);
	} else {
		rc = default_path(s, out->duckdb_path, sizeof out->duckdb_path, s->paths.data, "db-", profile,
		                  ".duckdb", "duckdb", err);
	}
	if (rc)
		return rc;

	if (p && p->drift_path && *p->drift_path)
		rc = join_path(out->drift_path, sizeof out->drift_path, s->root, p->drift_path, "drift", err);
	else
		rc = default_path(s, out->drift_path, sizeof out->drift_path, s->paths.drift, "drift-",
		                  profile, ".json", "drift", err);
	if (rc)
		return rc;

	if (p && p->audit_path && *p->audit_path)
		rc = join_path(out->audit_path, sizeof out->audit_path, s->root, p->audit_path, "audit", err);
	else
		rc = default_path(s, out->audit_path, sizeof out->audit_path, s->paths.audit, "logs-",
		                  profile, ".jsonl", "audit", err);
	if (rc)
		return rc;

	int env_audit = env_audit_enabled();
	if (env_audit >= 0)
		out->audit_enabled = env_audit;
	return 0;
}

int mx_site_check_profile(const struct mx_site_config *s, const char *name, int user_declared,
                          struct mx_err *err)
{
	if (user_declared || strcmp(name, s->profile) == 0 || mx_site_get_profile(s, name) != NULL)
		return 0;
	const char *names[64];
	size_t n = 0;
	names[n++] = s->profile;
	for (size_t i = 0; i < s->nprofiles && n < 64; i++)
		if (strcmp(s->profiles[i].name, s->profile) != 0)
			names[n++] = s->profiles[i].name;
	struct mx_buf list;
	mx_buf_init(&list, 4096);
	for (size_t i = 0; i < n; i++) {
		mx_buf_puts(&list, i ? ", " : "");
		mx_buf_puts(&list, names[i]);
	}
	const char *guess = mx_suggest(name, names, n);
	char hint[320] = "";
	if (guess)
		snprintf(hint, sizeof hint, " Did you mean '%s'?", guess);
	mx_err_set(err, MX_EINVAL,
	           "Profile '%s' not found in %s (profiles: %s).%s Declare it under `profiles:` there, "
	           "or choose one with --profile / MXCP_PROFILE.",
	           name, s->file, mx_buf_str(&list), hint);
	mx_buf_free(&list);
	return MX_EINVAL;
}

const char *mx_site_active_profile(const struct mx_site_config *s, const char *flag)
{
	if (flag != NULL && *flag != '\0')
		return flag;
	const char *env = getenv("MXCP_PROFILE");
	return env != NULL && *env != '\0' ? env : s->profile;
}
