/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/config/site.c: schema, defaults, errors, profile settings. */
#include "harness.h"

#include "config/site.h"
#include "core/alloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A project in a fresh temporary folder; root is its real path. */
struct project {
	char dir[4096];
	char root[PATH_MAX];
	char file[PATH_MAX + 32];
};

static void make_project(struct project *p, const char *site)
{
	mx_test_tmpdir(p->dir, sizeof p->dir);
	if (realpath(p->dir, p->root) == NULL)
		fail_msg("realpath %s", p->dir);
	snprintf(p->file, sizeof p->file, "%s/mxcp-site.yml", p->root);
	if (site != NULL)
		mx_test_write(p->dir, "mxcp-site.yml", site);
}

static struct mx_site_config *load_ok(struct project *p, const char *site)
{
	struct mx_site_config *s = NULL;
	struct mx_err err;
	make_project(p, site);
	if (mx_site_load(p->dir, &s, &err) != 0) {
		char msg[4096];
		fail_msg("load failed: %s", mx_err_format(&err, msg, sizeof msg));
	}
	return s;
}

/* Load a file that must fail; check code, location and message. */
static void expect_error(const char *site, int code, int line, int col, const char *msg)
{
	struct project p;
	struct mx_site_config *s = NULL;
	struct mx_err err;
	make_project(&p, site);
	assert_int_equal(code, mx_site_load(p.dir, &s, &err));
	assert_null(s);
	assert_string_equal(p.file, err.file);
	assert_string_equal(msg, err.msg);
	assert_int_equal(line, err.line);
	assert_int_equal(col, err.col);
	mx_test_rmrf(p.dir);
}

static void test_defaults(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\n");
	assert_string_equal(p.file, s->file);
	assert_string_equal(p.root, s->root);
	assert_int_equal(1, s->mxcp);
	assert_string_equal("demo", s->project);
	assert_string_equal("dev", s->profile);
	assert_int_equal(0, s->nsecrets);
	assert_int_equal(0, s->nplugins);
	assert_int_equal(0, s->nextensions);
	assert_int_equal(0, s->nprofiles);
	assert_true(s->dbt.enabled);
	MX_ASSERT_JSON_EQ("[\"models\"]", s->dbt.model_paths);
	MX_ASSERT_JSON_EQ("[\"analyses\"]", s->dbt.analysis_paths);
	MX_ASSERT_JSON_EQ("[\"tests\"]", s->dbt.test_paths);
	MX_ASSERT_JSON_EQ("[\"seeds\"]", s->dbt.seed_paths);
	MX_ASSERT_JSON_EQ("[\"macros\"]", s->dbt.macro_paths);
	MX_ASSERT_JSON_EQ("[\"snapshots\"]", s->dbt.snapshot_paths);
	MX_ASSERT_JSON_EQ("[\"target\",\"dbt_packages\"]", s->dbt.clean_targets);
	assert_string_equal("target", s->dbt.target_path);
	assert_false(s->sql_tools.enabled);
	assert_null(s->sql_tools.execute_sql_query_description);
	assert_string_equal("tools", s->paths.tools);
	assert_string_equal("resources", s->paths.resources);
	assert_string_equal("prompts", s->paths.prompts);
	assert_string_equal("evals", s->paths.evals);
	assert_string_equal("python", s->paths.python);
	assert_string_equal("plugins", s->paths.plugins);
	assert_string_equal("sql", s->paths.sql);
	assert_string_equal("drift", s->paths.drift);
	assert_string_equal("audit", s->paths.audit);
	assert_string_equal("data", s->paths.data);
	MX_ASSERT_JSON_EQ("{\"mxcp\":1,\"project\":\"demo\",\"profile\":\"dev\"}", s->raw);
	assert_null(mx_site_get_profile(s, "dev"));
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_full(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s =
	        load_ok(&p, "mxcp: 1\n"
	                    "project: demo\n"
	                    "profile: dev\n"
	                    "secrets: [a, b]\n"
	                    "plugin:\n"
	                    "  - {name: util, module: my_plugin, config: util_cfg}\n"
	                    "  - {name: other, module: other_mod}\n"
	                    "extensions:\n"
	                    "  - httpfs\n"
	                    "  - {name: h3, repo: community}\n"
	                    "  - {name: nightly, repo: core_nightly}\n"
	                    "dbt:\n"
	                    "  enabled: false\n"
	                    "  model_paths: my_models\n"
	                    "  seed_paths: 5\n"
	                    "  test_paths: ~\n"
	                    "  clean_targets: [x, y]\n"
	                    "  target_path: out\n"
	                    "sql_tools:\n"
	                    "  enabled: true\n"
	                    "  list_tables: {description: Lists tables}\n"
	                    "  execute_sql_query: ~\n"
	                    "paths:\n"
	                    "  tools: my_tools\n"
	                    "  data: store\n"
	                    "profiles:\n"
	                    "  dev:\n"
	                    "    duckdb: {path: dev.duckdb, readonly: yes}\n"
	                    "    drift: {path: d/drift.json}\n"
	                    "    audit: {enabled: true, path: /var/log/a.jsonl, max_file_size: 1000}\n"
	                    "  empty:\n");
	assert_int_equal(2, s->nsecrets);
	assert_string_equal("a", s->secrets[0]);
	assert_string_equal("b", s->secrets[1]);
	assert_int_equal(2, s->nplugins);
	assert_string_equal("util", s->plugins[0].name);
	assert_string_equal("my_plugin", s->plugins[0].module);
	assert_string_equal("util_cfg", s->plugins[0].config);
	assert_null(s->plugins[1].config);
	assert_int_equal(3, s->nextensions);
	assert_string_equal("httpfs", s->extensions[0].name);
	assert_null(s->extensions[0].repo);
	assert_string_equal("community", s->extensions[1].repo);
	assert_string_equal("core_nightly", s->extensions[2].repo);
	assert_false(s->dbt.enabled);
	MX_ASSERT_JSON_EQ("[\"my_models\"]", s->dbt.model_paths);
	MX_ASSERT_JSON_EQ("[\"5\"]", s->dbt.seed_paths);
	MX_ASSERT_JSON_EQ("[]", s->dbt.test_paths);
	MX_ASSERT_JSON_EQ("[\"x\",\"y\"]", s->dbt.clean_targets);
	MX_ASSERT_JSON_EQ("[\"macros\"]", s->dbt.macro_paths);
	assert_string_equal("out", s->dbt.target_path);
	assert_true(s->sql_tools.enabled);
	assert_string_equal("Lists tables", s->sql_tools.list_tables_description);
	assert_null(s->sql_tools.execute_sql_query_description);
	assert_string_equal("my_tools", s->paths.tools);
	assert_string_equal("store", s->paths.data);
	assert_string_equal("prompts", s->paths.prompts);
	assert_int_equal(2, s->nprofiles);
	const struct mx_site_profile *dev = mx_site_get_profile(s, "dev");
	assert_non_null(dev);
	assert_string_equal("dev.duckdb", dev->duckdb_path);
	assert_true(dev->duckdb_readonly);
	assert_string_equal("d/drift.json", dev->drift_path);
	assert_true(dev->audit_enabled);
	assert_string_equal("/var/log/a.jsonl", dev->audit_path);
	assert_int_equal(1000, dev->audit_max_file_size);
	assert_null(dev->auth);
	const struct mx_site_profile *empty = mx_site_get_profile(s, "empty");
	assert_non_null(empty);
	assert_null(empty->duckdb_path);
	assert_int_equal(52428800, empty->audit_max_file_size);

	/* relative paths from the file are under the project root */
	struct mx_profile_settings ps;
	char want[8192];
	unsetenv("MXCP_DUCKDB_PATH");
	unsetenv("MXCP_AUDIT_ENABLED");
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	snprintf(want, sizeof want, "%s/dev.duckdb", p.root);
	assert_string_equal(want, ps.duckdb_path);
	assert_true(ps.readonly);
	snprintf(want, sizeof want, "%s/d/drift.json", p.root);
	assert_string_equal(want, ps.drift_path);
	assert_string_equal("/var/log/a.jsonl", ps.audit_path);
	assert_true(ps.audit_enabled);
	assert_int_equal(1000, ps.audit_max_file_size);
	/* the defaults follow paths.data */
	assert_int_equal(0, mx_site_profile_settings(s, "empty", &ps, NULL));
	snprintf(want, sizeof want, "%s/store/db-empty.duckdb", p.root);
	assert_string_equal(want, ps.duckdb_path);
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_single_values(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\nsecrets: only_one\n"
	                                       "extensions: json\nplugin: {name: p, module: m}\n");
	assert_int_equal(1, s->nsecrets);
	assert_string_equal("only_one", s->secrets[0]);
	assert_int_equal(1, s->nextensions);
	assert_string_equal("json", s->extensions[0].name);
	assert_int_equal(1, s->nplugins);
	assert_string_equal("m", s->plugins[0].module);
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error(
	        "mxcp: 1\nproject: demo\nprofile: dev\nfoo: 1\n", MX_EINVAL, 4, 1,
	        "foo: unknown key (expected one of: mxcp, project, profile, secrets, plugin, extensions, "
	        "dbt, sql_tools, paths, profiles)");
	expect_error(
	        "mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    duckdb:\n      pth: x.db\n",
	        MX_EINVAL, 7, 7, "profiles.dev.duckdb.pth: unknown key (expected one of: path, readonly)");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    duck: {}\n", MX_EINVAL, 6,
	             5, "profiles.dev.duck: unknown key (expected one of: duckdb, drift, audit, auth)");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  list_tables: {desc: x}\n",
	             MX_EINVAL, 5, 17,
	             "sql_tools.list_tables.desc: unknown key (expected one of: description)");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nplugin:\n  - {name: a, module: b, extra: 1}\n",
	             MX_EINVAL, 5, 26,
	             "plugin[0].extra: unknown key (expected one of: name, module, config)");
	expect_error(
	        "mxcp: 1\nproject: demo\nprofile: dev\npaths:\n  endpoints: e\n", MX_EINVAL, 5, 3,
	        "paths.endpoints: unknown key (expected one of: tools, resources, prompts, evals, python, "
	        "plugins, sql, drift, audit, data)");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\ndbt:\n  models: m\n", MX_EINVAL, 5, 3,
	             "dbt.models: unknown key (expected one of: enabled, model_paths, analysis_paths, "
	             "test_paths, seed_paths, macro_paths, snapshot_paths, target_path, clean_targets)");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  enabled: maybe\n", MX_EINVAL, 5, 12,
	             "sql_tools.enabled: expected a boolean, got string 'maybe'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\npaths:\n  tools: 5\n", MX_EINVAL, 5, 10,
	             "paths.tools: expected a string, got integer '5'");
	expect_error("mxcp: 1\nproject: 12\nprofile: dev\n", MX_EINVAL, 2, 10,
	             "project: expected a string, got integer '12'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nprofiles: [dev]\n", MX_EINVAL, 4, 11,
	             "profiles: expected a mapping, got list");
	expect_error(
	        "mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    audit: {max_file_size: big}\n",
	        MX_EINVAL, 6, 28, "profiles.dev.audit.max_file_size: expected an integer, got string 'big'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsecrets: [a, 1]\n", MX_EINVAL, 4, 14,
	             "secrets[1]: expected a string, got integer '1'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nextensions:\n  - {name: x, repo: mine}\n",
	             MX_EINVAL, 5, 21,
	             "extensions[0].repo: expected 'community' or 'core_nightly', got 'mine'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nextensions:\n  - [x]\n", MX_EINVAL, 5, 5,
	             "extensions[0]: expected a string or a mapping, got list");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nplugin:\n  - {name: a}\n", MX_EINVAL, 5, 5,
	             "plugin[0].module: field required");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  list_tables: {description: ''}\n",
	             MX_EINVAL, 5, 30, "sql_tools.list_tables.description: must not be empty");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\ndbt:\n  model_paths: {a: b}\n", MX_EINVAL, 5, 16,
	             "dbt.model_paths: expected a list of strings, got mapping");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    auth: [x]\n", MX_EINVAL, 6,
	             11, "profiles.dev.auth: expected a mapping, got list");
	expect_error("- a\n- b\n", MX_EINVAL, 1, 1, "document: expected a mapping, got list");
}

/* sql_tools' sandbox keys: relative entries under the project root with
 * `.` and `..` folded, absolute ones folded, URL prefixes as written. */
static void test_sql_tools_sandbox(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\n");
	assert_false(s->sql_tools.external_access);
	assert_int_equal(0, s->sql_tools.nallowed_directories);
	assert_int_equal(0, s->sql_tools.nallowed_paths);
	mx_site_free(s);
	mx_test_rmrf(p.dir);

	s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\n"
	                "sql_tools:\n"
	                "  enabled: true\n"
	                "  allowed_directories: [data, ./seeds/, data/../../outside, /srv//shared/./x/.., "
	                "'s3://bucket/prefix/', 'https://host.example/dir']\n"
	                "  allowed_paths: [ref/countries.csv, /etc/hostname]\n");
	char want[PATH_MAX + 64];
	assert_int_equal(6, s->sql_tools.nallowed_directories);
	snprintf(want, sizeof want, "%s/data", p.root);
	assert_string_equal(want, s->sql_tools.allowed_directories[0]);
	snprintf(want, sizeof want, "%s/seeds", p.root);
	assert_string_equal(want, s->sql_tools.allowed_directories[1]);
	/* `..` goes up from the project root, as written: never past "/" */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", p.root);
	*strrchr(parent, '/') = '\0';
	snprintf(want, sizeof want, "%s/outside", parent);
	assert_string_equal(want, s->sql_tools.allowed_directories[2]);
	assert_string_equal("/srv/shared", s->sql_tools.allowed_directories[3]);
	assert_string_equal("s3://bucket/prefix/", s->sql_tools.allowed_directories[4]);
	assert_string_equal("https://host.example/dir", s->sql_tools.allowed_directories[5]);
	assert_int_equal(2, s->sql_tools.nallowed_paths);
	snprintf(want, sizeof want, "%s/ref/countries.csv", p.root);
	assert_string_equal(want, s->sql_tools.allowed_paths[0]);
	assert_string_equal("/etc/hostname", s->sql_tools.allowed_paths[1]);

	struct mx_site_config *same = NULL, *other = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_site_load(p.dir, &same, &err));
	assert_true(mx_site_sql_sandbox_equal(&s->sql_tools, &same->sql_tools));
	mx_test_write(p.dir, "mxcp-site.yml",
	              "mxcp: 1\nproject: demo\nprofile: dev\nsql_tools: {external_access: true}\n");
	assert_int_equal(0, mx_site_load(p.dir, &other, &err));
	assert_true(other->sql_tools.external_access);
	assert_false(mx_site_sql_sandbox_equal(&s->sql_tools, &other->sql_tools));
	mx_site_free(other);
	mx_site_free(same);
	mx_site_free(s);
	mx_test_rmrf(p.dir);

	s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\nsql_tools: {allowed_directories: ['/..']}\n");
	assert_string_equal("/", s->sql_tools.allowed_directories[0]);
	mx_site_free(s);
	mx_test_rmrf(p.dir);

	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  allowed_directories: data\n",
	             MX_EINVAL, 5, 24,
	             "sql_tools.allowed_directories: expected a list of strings, got string 'data'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  allowed_paths: [a, 3]\n", MX_EINVAL,
	             5, 22, "sql_tools.allowed_paths[1]: expected a string, got integer '3'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  allowed_directories: ['']\n",
	             MX_EINVAL, 5, 25,
	             "sql_tools.allowed_directories[0]: must be a folder, a file or a URL prefix, not empty");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  external_access: sometimes\n",
	             MX_EINVAL, 5, 20,
	             "sql_tools.external_access: expected a boolean, got string 'sometimes'");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  external_access: true\n"
	             "  allowed_paths: [x.csv]\n",
	             MX_EINVAL, 6, 18,
	             "sql_tools.allowed_paths: has no effect with external_access: true, which lets DuckDB "
	             "reach every file and URL; remove one of the two");
	expect_error("mxcp: 1\nproject: demo\nprofile: dev\nsql_tools:\n  allowed_dirs: [x]\n", MX_EINVAL, 5,
	             3,
	             "sql_tools.allowed_dirs: unknown key (expected one of: enabled, execute_sql_query, "
	             "list_tables, get_table_schema, external_access, allowed_directories, allowed_paths)");
}

static void test_version(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = NULL;
	struct mx_err err;
	make_project(&p, "mxcp: \"1.0.0\"\nproject: demo\nprofile: dev\n");
	assert_int_equal(MX_EINVAL, mx_site_load(p.dir, &s, &err));
	assert_int_equal(1, err.line);
	assert_int_equal(7, err.col);
	assert_true(strncmp(err.msg,
	                    "mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED: Pre-production MXCP version detected",
	                    strlen("mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED")) == 0);
	assert_non_null(strstr(err.msg, "OLD: mxcp: \"1.0.0\"\n   NEW: mxcp: 1"));
	assert_non_null(strstr(err.msg, p.file));
	mx_test_rmrf(p.dir);

	/* the migration check comes before the key check, as in MXCP */
	make_project(&p, "mxcp: '1'\nendpoints: x\n");
	assert_int_equal(MX_EINVAL, mx_site_load(p.dir, &s, &err));
	assert_non_null(strstr(err.msg, "MIGRATION REQUIRED"));
	mx_test_rmrf(p.dir);

	expect_error("mxcp: 2\nproject: demo\nprofile: dev\n", MX_EINVAL, 1, 7,
	             "mxcp: expected 1, got integer '2'");
	/* mxcp may be left out */
	s = load_ok(&p, "project: demo\nprofile: dev\n");
	assert_int_equal(1, s->mxcp);
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_required(void **state)
{
	(void)state;
	expect_error("mxcp: 1\nprofile: dev\n", MX_EINVAL, 1, 1, "project: field required");
	expect_error("mxcp: 1\nproject: demo\n", MX_EINVAL, 1, 1, "profile: field required");
	expect_error("", MX_EINVAL, 1, 1, "project: field required");
	expect_error("mxcp: 1\nproject: ~\nprofile: dev\n", MX_EINVAL, 2, 10, "project: field required");

	struct project p;
	struct mx_site_config *s = NULL;
	struct mx_err err;
	make_project(&p, NULL);
	assert_int_equal(MX_ENOTFOUND, mx_site_load(p.dir, &s, &err));
	char want[PATH_MAX + 64];
	snprintf(want, sizeof want, "mxcp-site.yml not found at %s", p.file);
	assert_string_equal(want, err.msg);
	mx_test_rmrf(p.dir);
}

static void test_yaml_error_location(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = NULL;
	struct mx_err err;
	make_project(&p, "mxcp: 1\nproject: [demo\nprofile: dev\n");
	assert_int_equal(MX_EINVAL, mx_site_load(p.dir, &s, &err));
	assert_string_equal(p.file, err.file);
	assert_true(err.line > 0);
	mx_test_rmrf(p.dir);
}

static void test_profile_settings_any_profile(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\n"
	                                       "profiles:\n  prod:\n    duckdb: {path: ':memory:'}\n");
	struct mx_profile_settings ps;
	char want[8192];
	unsetenv("MXCP_DUCKDB_PATH");
	unsetenv("MXCP_AUDIT_ENABLED");

	/* "staging" is declared nowhere, yet gets the same defaults as "dev" */
	assert_int_equal(0, mx_site_profile_settings(s, "staging", &ps, NULL));
	snprintf(want, sizeof want, "%s/data/db-staging.duckdb", p.root);
	assert_string_equal(want, ps.duckdb_path);
	snprintf(want, sizeof want, "%s/drift/drift-staging.json", p.root);
	assert_string_equal(want, ps.drift_path);
	snprintf(want, sizeof want, "%s/audit/logs-staging.jsonl", p.root);
	assert_string_equal(want, ps.audit_path);
	assert_false(ps.audit_enabled);
	assert_false(ps.readonly);
	assert_int_equal(52428800, ps.audit_max_file_size);

	/* NULL means the file's profile */
	assert_int_equal(0, mx_site_profile_settings(s, NULL, &ps, NULL));
	snprintf(want, sizeof want, "%s/data/db-dev.duckdb", p.root);
	assert_string_equal(want, ps.duckdb_path);

	/* :memory: is kept as is; the other paths still default */
	assert_int_equal(0, mx_site_profile_settings(s, "prod", &ps, NULL));
	assert_string_equal(":memory:", ps.duckdb_path);
	snprintf(want, sizeof want, "%s/drift/drift-prod.json", p.root);
	assert_string_equal(want, ps.drift_path);
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_env_overrides(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\n"
	                                       "profiles:\n  dev:\n    duckdb: {path: dev.duckdb}\n"
	                                       "    audit: {enabled: true}\n");
	struct mx_profile_settings ps;
	char want[8192], cwd[PATH_MAX];

	setenv("MXCP_DUCKDB_PATH", "/srv/other.duckdb", 1);
	setenv("MXCP_AUDIT_ENABLED", " No ", 1);
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	assert_string_equal("/srv/other.duckdb", ps.duckdb_path);
	assert_false(ps.audit_enabled);

	/* a relative MXCP_DUCKDB_PATH is taken from the working directory */
	setenv("MXCP_DUCKDB_PATH", "rel.duckdb", 1);
	setenv("MXCP_AUDIT_ENABLED", "garbage", 1);
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	snprintf(want, sizeof want, "%s/rel.duckdb", cwd);
	assert_string_equal(want, ps.duckdb_path);
	assert_true(ps.audit_enabled); /* unrecognised value: no override */

	setenv("MXCP_DUCKDB_PATH", ":memory:", 1);
	setenv("MXCP_AUDIT_ENABLED", "YES", 1);
	assert_int_equal(0, mx_site_profile_settings(s, "other", &ps, NULL));
	assert_string_equal(":memory:", ps.duckdb_path);
	assert_true(ps.audit_enabled);
	setenv("MXCP_AUDIT_ENABLED", "0", 1);
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	assert_false(ps.audit_enabled);

	unsetenv("MXCP_DUCKDB_PATH");
	unsetenv("MXCP_AUDIT_ENABLED");
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	snprintf(want, sizeof want, "%s/dev.duckdb", p.root);
	assert_string_equal(want, ps.duckdb_path);
	assert_true(ps.audit_enabled);
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

/* The mxcp-site.yml of the operational guide ("Configuration Management"). */
static void test_operational_guide_example(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s = load_ok(&p, "mxcp: 1\n"
	                                       "project: my_project\n"
	                                       "profile: production\n"
	                                       "\n"
	                                       "profiles:\n"
	                                       "  production:\n"
	                                       "    duckdb:\n"
	                                       "      path: \"/app/data/production.duckdb\"\n"
	                                       "      readonly: false\n"
	                                       "    audit:\n"
	                                       "      enabled: true\n"
	                                       "      path: \"/app/audit/production.jsonl\"\n"
	                                       "    drift:\n"
	                                       "      path: \"/app/drift/production.json\"\n"
	                                       "    auth:\n"
	                                       "      enabled: true\n"
	                                       "      provider: github\n"
	                                       "\n"
	                                       "sql_tools:\n"
	                                       "  enabled: false  # Enable only if needed\n"
	                                       "\n"
	                                       "secrets:\n"
	                                       "  - db_credentials\n"
	                                       "  - api_keys\n");
	assert_string_equal("my_project", s->project);
	assert_string_equal("production", s->profile);
	assert_int_equal(2, s->nsecrets);
	assert_string_equal("api_keys", s->secrets[1]);
	const struct mx_site_profile *prod = mx_site_get_profile(s, "production");
	assert_non_null(prod);
	MX_ASSERT_JSON_EQ("{\"enabled\":true,\"provider\":\"github\"}", prod->auth);
	struct mx_profile_settings ps;
	unsetenv("MXCP_DUCKDB_PATH");
	unsetenv("MXCP_AUDIT_ENABLED");
	assert_int_equal(0, mx_site_profile_settings(s, "production", &ps, NULL));
	assert_string_equal("/app/data/production.duckdb", ps.duckdb_path);
	assert_false(ps.readonly);
	assert_true(ps.audit_enabled);
	assert_string_equal("/app/audit/production.jsonl", ps.audit_path);
	assert_string_equal("/app/drift/production.json", ps.drift_path);
	assert_non_null(json_object_get(s->raw, "profiles"));
	mx_site_free(s);
	mx_test_rmrf(p.dir);
}

static void test_find_root(void **state)
{
	(void)state;
	struct project p;
	char deep[8192], out[PATH_MAX], cwd[PATH_MAX];
	struct mx_err err;
	make_project(&p, "mxcp: 1\nproject: demo\nprofile: dev\n");
	mx_test_write(p.dir, "a/b/c/keep.txt", "");
	snprintf(deep, sizeof deep, "%s/a/b/c", p.dir);
	assert_int_equal(0, mx_site_find_root(deep, out, sizeof out, &err));
	assert_string_equal(p.root, out);
	assert_int_equal(0, mx_site_find_root(p.dir, out, sizeof out, &err));
	assert_string_equal(p.root, out);

	/* NULL means the working directory */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(0, chdir(deep));
	assert_int_equal(0, mx_site_find_root(NULL, out, sizeof out, &err));
	assert_string_equal(p.root, out);
	assert_int_equal(0, chdir(cwd));

	/* too small an output buffer */
	char tiny[4];
	assert_int_equal(MX_ELIMIT, mx_site_find_root(deep, tiny, sizeof tiny, &err));
	mx_test_rmrf(p.dir);

	/* no project anywhere above */
	struct project none;
	make_project(&none, NULL);
	if (mx_site_find_root("/", out, sizeof out, NULL) == 0)
		skip(); /* a stray mxcp-site.yml at / would make this meaningless */
	assert_int_equal(MX_ENOTFOUND, mx_site_find_root(none.dir, out, sizeof out, &err));
	assert_string_equal("No mxcp-site.yml found in current directory or parents", err.msg);
	mx_test_rmrf(none.dir);
}

static void test_audit_keys(void **state)
{
	(void)state;
	struct project p;
	struct mx_site_config *s =
	        load_ok(&p, "mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n"
	                    "    audit:\n      enabled: true\n      fsync: always\n"
	                    "      fsync_interval_ms: 250\n      rotate: {size: 4096, interval: daily}\n"
	                    "      queue_size: 64\n      on_full: fail\n      retention_days: 30\n"
	                    "  other: {audit: {max_file_size: 1000}}\n");
	struct mx_profile_settings ps;
	assert_int_equal(0, mx_site_profile_settings(s, "dev", &ps, NULL));
	assert_int_equal(MX_AUDIT_FSYNC_ALWAYS, ps.audit_fsync);
	assert_int_equal(250, ps.audit_fsync_interval_ms);
	assert_int_equal(4096, ps.audit_rotate_size);
	assert_int_equal(MX_AUDIT_ROTATE_DAILY, ps.audit_rotate_interval);
	assert_int_equal(64, ps.audit_queue_size);
	assert_int_equal(MX_AUDIT_ON_FULL_FAIL, ps.audit_on_full);
	assert_int_equal(30, ps.audit_retention_days);
	/* defaults; rotation by size falls back to max_file_size */
	assert_int_equal(0, mx_site_profile_settings(s, "other", &ps, NULL));
	assert_int_equal(MX_AUDIT_FSYNC_INTERVAL, ps.audit_fsync);
	assert_int_equal(1000, ps.audit_fsync_interval_ms);
	assert_int_equal(1000, ps.audit_rotate_size);
	assert_int_equal(MX_AUDIT_ROTATE_NEVER, ps.audit_rotate_interval);
	assert_int_equal(10000, ps.audit_queue_size);
	assert_int_equal(MX_AUDIT_ON_FULL_BLOCK, ps.audit_on_full);
	assert_int_equal(90, ps.audit_retention_days);
	assert_int_equal(0, mx_site_profile_settings(s, "undeclared", &ps, NULL));
	assert_int_equal(52428800, ps.audit_rotate_size);
	assert_int_equal(90, ps.audit_retention_days);
	mx_site_free(s);
	mx_test_rmrf(p.dir);

	const char *head = "mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    audit:\n";
	char buf[512];
	snprintf(buf, sizeof buf, "%s      fsync: sometimes\n", head);
	expect_error(buf, MX_EINVAL, 7, 14,
	             "profiles.dev.audit.fsync: expected one of interval, always, never, got 'sometimes'");
	snprintf(buf, sizeof buf, "%s      on_full: drop\n", head);
	expect_error(buf, MX_EINVAL, 7, 16,
	             "profiles.dev.audit.on_full: expected one of block, fail, got 'drop'");
	snprintf(buf, sizeof buf, "%s      queue_size: 0\n", head);
	expect_error(buf, MX_EINVAL, 7, 19,
	             "profiles.dev.audit.queue_size: must be between 1 and 10000000, got 0");
	snprintf(buf, sizeof buf, "%s      rotate: {size: 10, every: hour}\n", head);
	expect_error(buf, MX_EINVAL, 7, 26,
	             "profiles.dev.audit.rotate.every: unknown key (expected one of: size, interval)");
	snprintf(buf, sizeof buf, "%s      rotate: {interval: weekly}\n", head);
	expect_error(
	        buf, MX_EINVAL, 7, 26,
	        "profiles.dev.audit.rotate.interval: expected one of never, hourly, daily, got 'weekly'");
	snprintf(buf, sizeof buf, "%s      retention: 5\n", head);
	expect_error(
	        buf, MX_EINVAL, 7, 7,
	        "profiles.dev.audit.retention: unknown key (expected one of: enabled, path, max_file_size, "
	        "fsync, fsync_interval_ms, rotate, queue_size, on_full, retention_days)");
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_full),
	        cmocka_unit_test(test_single_values),
	        cmocka_unit_test(test_unknown_keys),
	        cmocka_unit_test(test_wrong_types),
	        cmocka_unit_test(test_sql_tools_sandbox),
	        cmocka_unit_test(test_version),
	        cmocka_unit_test(test_required),
	        cmocka_unit_test(test_yaml_error_location),
	        cmocka_unit_test(test_profile_settings_any_profile),
	        cmocka_unit_test(test_env_overrides),
	        cmocka_unit_test(test_operational_guide_example),
	        cmocka_unit_test(test_find_root),
	        cmocka_unit_test(test_audit_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
