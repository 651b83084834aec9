/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/config/user.c: path choice, schema, selective interpolation. */
#include "harness.h"

#include "config/user.h"
#include "core/alloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char home[4096];

/* Each test starts with HOME at an empty folder and no MXCP_CONFIG*. */
static int setup(void **state)
{
	(void)state;
	mx_test_tmpdir(home, sizeof home);
	setenv("HOME", home, 1);
	unsetenv("MXCP_CONFIG");
	unsetenv("MXCP_CONFIG_PATH");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_test_rmrf(home);
	unsetenv("MXCP_CONFIG");
	unsetenv("MXCP_CONFIG_PATH");
	return 0;
}

/* Write cfg.yml under HOME and point MXCP_CONFIG at it; returns its path. */
static const char *use_config(const char *text)
{
	static char path[8192];
	mx_test_write(home, "cfg.yml", text);
	snprintf(path, sizeof path, "%s/cfg.yml", home);
	setenv("MXCP_CONFIG", path, 1);
	return path;
}

static struct mx_user_config *load_ok(const char *project, const char *profile)
{
	struct mx_user_config *u = NULL;
	struct mx_err err;
	if (mx_user_load(project, profile, &u, &err) != 0) {
		char msg[4096];
		fail_msg("load failed: %s", mx_err_format(&err, msg, sizeof msg));
	}
	return u;
}

static void expect_error(const char *text, int line, int col, const char *msg)
{
	const char *path = use_config(text);
	struct mx_user_config *u = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_null(u);
	assert_string_equal(path, err.file);
	assert_string_equal(msg, err.msg);
	assert_int_equal(line, err.line);
	assert_int_equal(col, err.col);
}

static void test_absent_default_file(void **state)
{
	(void)state;
	struct mx_user_config *u = load_ok("demo", "dev");
	assert_null(u->file);
	MX_ASSERT_JSON_EQ("{\"mxcp\":1,\"projects\":{\"demo\":{\"profiles\":{\"dev\":{}}}}}", u->raw);
	assert_string_equal("streamable-http", u->transport.provider);
	assert_string_equal("localhost", u->transport.host);
	assert_int_equal(8000, u->transport.port);
	assert_string_equal("http", u->transport.scheme);
	assert_string_equal("", u->transport.base_url);
	assert_false(u->transport.trust_proxy);
	assert_false(u->transport.stateless);
	MX_ASSERT_JSON_EQ("{}", mx_user_profile(u, "demo", "dev"));
	assert_null(mx_user_profile(u, "demo", "prod"));
	assert_null(mx_user_profile(u, "other", "dev"));
	mx_user_free(u);
}

static void test_default_file_in_home(void **state)
{
	(void)state;
	char path[8192];
	mx_test_write(home, ".mxcp/config.yml", "mxcp: 1\ntransport:\n  http:\n    port: 8123\n");
	snprintf(path, sizeof path, "%s/.mxcp/config.yml", home);
	struct mx_user_config *u = load_ok("demo", "dev");
	assert_string_equal(path, u->file);
	assert_int_equal(8123, u->transport.port);
	mx_user_free(u);
}

static void test_explicit_missing(void **state)
{
	(void)state;
	struct mx_user_config *u = NULL;
	struct mx_err err;
	setenv("MXCP_CONFIG", "/nonexistent/mxcp/config.yml", 1);
	assert_int_equal(MX_ENOTFOUND, mx_user_load("demo", "dev", &u, &err));
	assert_null(u);
	assert_string_equal("MXCP user config not found at /nonexistent/mxcp/config.yml", err.msg);
	unsetenv("MXCP_CONFIG");
	setenv("MXCP_CONFIG_PATH", "/nonexistent/other.yml", 1);
	assert_int_equal(MX_ENOTFOUND, mx_user_load("demo", "dev", &u, &err));
	assert_string_equal("MXCP user config not found at /nonexistent/other.yml", err.msg);
}

static void test_path_precedence(void **state)
{
	(void)state;
	char a[8192], b[8192];
	mx_test_write(home, "a.yml", "transport: {http: {port: 1111}}\n");
	mx_test_write(home, "b.yml", "transport: {http: {port: 2222}}\n");
	mx_test_write(home, ".mxcp/config.yml", "transport: {http: {port: 3333}}\n");
	snprintf(a, sizeof a, "%s/a.yml", home);
	snprintf(b, sizeof b, "%s/b.yml", home);

	struct mx_user_config *u = load_ok("demo", "dev");
	assert_int_equal(3333, u->transport.port);
	mx_user_free(u);

	setenv("MXCP_CONFIG_PATH", b, 1);
	u = load_ok("demo", "dev");
	assert_int_equal(2222, u->transport.port);
	assert_string_equal(b, u->file);
	mx_user_free(u);

	setenv("MXCP_CONFIG", a, 1);
	u = load_ok("demo", "dev");
	assert_int_equal(1111, u->transport.port);
	assert_string_equal(a, u->file);
	mx_user_free(u);

	/* an empty MXCP_CONFIG counts as unset */
	setenv("MXCP_CONFIG", "", 1);
	u = load_ok("demo", "dev");
	assert_int_equal(2222, u->transport.port);
	mx_user_free(u);
}

/* The config.yml of the operational guide ("Configuration Management"). */
static void test_operational_guide_example(void **state)
{
	(void)state;
	use_config("mxcp: 1\n"
	           "transport:\n"
	           "  provider: streamable-http\n"
	           "  http:\n"
	           "    port: 8000\n"
	           "    host: 0.0.0.0\n"
	           "    stateless: true  # For serverless deployments\n"
	           "\n"
	           "projects:\n"
	           "  my_project:\n"
	           "    profiles:\n"
	           "      production:\n"
	           "        secrets:\n"
	           "          - name: db_credentials\n"
	           "            type: database\n"
	           "            parameters:\n"
	           "              host: \"${DB_HOST}\"\n"
	           "              username: \"${DB_USER}\"\n"
	           "              password: \"${DB_PASSWORD}\"\n"
	           "        auth:\n"
	           "          provider: github\n"
	           "          clients:\n"
	           "            - client_id: \"${GITHUB_CLIENT_ID}\"\n"
	           "              client_secret: \"${GITHUB_CLIENT_SECRET}\"\n"
	           "              name: \"MXCP Production\"\n"
	           "              redirect_uris:\n"
	           "                - \"https://api.example.com/github/callback\"\n"
	           "              scopes:\n"
	           "                - \"mxcp:access\"\n"
	           "          github:\n"
	           "            client_id: \"${GITHUB_CLIENT_ID}\"\n"
	           "            client_secret: \"${GITHUB_CLIENT_SECRET}\"\n");
	setenv("DB_HOST", "localhost", 1);
	setenv("DB_USER", "dbuser", 1);
	setenv("DB_PASSWORD", "dbpass", 1);
	setenv("GITHUB_CLIENT_ID", "gh-id", 1);
	setenv("GITHUB_CLIENT_SECRET", "gh-secret", 1);
	struct mx_user_config *u = load_ok("my_project", "production");
	assert_string_equal("streamable-http", u->transport.provider);
	assert_string_equal("0.0.0.0", u->transport.host);
	assert_int_equal(8000, u->transport.port);
	assert_true(u->transport.stateless);
	json_t *prof = mx_user_profile(u, "my_project", "production");
	assert_non_null(prof);
	MX_ASSERT_JSON_EQ("[{\"name\":\"db_credentials\",\"type\":\"database\",\"parameters\":"
	                  "{\"host\":\"localhost\",\"username\":\"dbuser\",\"password\":\"dbpass\"}}]",
	                  json_object_get(prof, "secrets"));
	MX_ASSERT_JSON_EQ("{\"client_id\":\"gh-id\",\"client_secret\":\"gh-secret\"}",
	                  json_object_get(json_object_get(prof, "auth"), "github"));
	mx_user_free(u);
	unsetenv("DB_HOST");
	unsetenv("DB_USER");
	unsetenv("DB_PASSWORD");
	unsetenv("GITHUB_CLIENT_ID");
	unsetenv("GITHUB_CLIENT_SECRET");
}

static const char *two_profiles = "mxcp: 1\n"
                                  "projects:\n"
                                  "  demo:\n"
                                  "    profiles:\n"
                                  "      dev:\n"
                                  "        secrets:\n"
                                  "          - name: db\n"
                                  "            type: env\n"
                                  "            parameters:\n"
                                  "              password: \"${MXT_DEV_PW}\"\n"
                                  "      prod:\n"
                                  "        secrets:\n"
                                  "          - name: db\n"
                                  "            type: env\n"
                                  "            parameters:\n"
                                  "              password: \"${MXT_PROD_PW}\"\n"
                                  "        telemetry:\n"
                                  "          enabled: \"${MXT_PROD_TELEMETRY}\"\n";

static void test_selective_interpolation(void **state)
{
	(void)state;
	const char *path = use_config(two_profiles);
	unsetenv("MXT_PROD_PW");
	unsetenv("MXT_PROD_TELEMETRY");
	setenv("MXT_DEV_PW", "devpw", 1);

	/* prod's unset variables do not matter while dev is active */
	struct mx_user_config *u = load_ok("demo", "dev");
	MX_ASSERT_JSON_EQ(
	        "{\"password\":\"devpw\"}",
	        json_object_get(
	                json_array_get(json_object_get(mx_user_profile(u, "demo", "dev"), "secrets"), 0),
	                "parameters"));
	MX_ASSERT_JSON_EQ(
	        "{\"password\":\"${MXT_PROD_PW}\"}",
	        json_object_get(
	                json_array_get(json_object_get(mx_user_profile(u, "demo", "prod"), "secrets"), 0),
	                "parameters"));
	mx_user_free(u);

	/* an unset variable in the active profile fails, located */
	unsetenv("MXT_DEV_PW");
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_string_equal(path, err.file);
	assert_int_equal(10, err.line);
	assert_int_equal(25, err.col);
	assert_string_equal("projects.demo.profiles.dev.secrets[0].parameters.password: "
	                    "Environment variable MXT_DEV_PW is not set",
	                    err.msg);

	/* the prod profile: its own variables are needed, and a boolean
	 * written as a reference is checked once resolved */
	setenv("MXT_PROD_PW", "prodpw", 1);
	setenv("MXT_PROD_TELEMETRY", "true", 1);
	u = load_ok("demo", "prod");
	MX_ASSERT_JSON_EQ("{\"enabled\":\"true\"}",
	                  json_object_get(mx_user_profile(u, "demo", "prod"), "telemetry"));
	mx_user_free(u);
	setenv("MXT_PROD_TELEMETRY", "maybe", 1);
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "prod", &u, &err));
	assert_string_equal("projects.demo.profiles.prod.telemetry.enabled: expected a boolean, got string "
	                    "'${MXT_PROD_TELEMETRY}'",
	                    err.msg);
	assert_int_equal(18, err.line);
	unsetenv("MXT_PROD_PW");
	unsetenv("MXT_PROD_TELEMETRY");

	/* the active entries are created when missing */
	setenv("MXT_DEV_PW", "x", 1);
	u = load_ok("demo", "staging");
	MX_ASSERT_JSON_EQ("{}", mx_user_profile(u, "demo", "staging"));
	mx_user_free(u);
	u = load_ok("fresh", "dev");
	MX_ASSERT_JSON_EQ("{}", mx_user_profile(u, "fresh", "dev"));
	mx_user_free(u);
	unsetenv("MXT_DEV_PW");
}

static void test_top_level_interpolation(void **state)
{
	(void)state;
	char secret[8192], text[16384];
	mx_test_write(home, "key.txt", "  sk-test \n");
	snprintf(secret, sizeof secret, "%s/key.txt", home);
	snprintf(text, sizeof text,
	         "transport:\n  http:\n    port: \"${MXT_PORT}\"\n    host: \"${MXT_HOST}\"\n"
	         "    base_url: https://${MXT_HOST}/mcp\n    trust_proxy: \"yes\"\n"
	         "models:\n  default: claude\n  models:\n    claude:\n      type: claude\n"
	         "      api_key: file://%s\n",
	         secret);
	use_config(text);
	setenv("MXT_PORT", "9100", 1);
	setenv("MXT_HOST", "mcp.example.com", 1);
	struct mx_user_config *u = load_ok("demo", "dev");
	assert_int_equal(9100, u->transport.port);
	assert_string_equal("mcp.example.com", u->transport.host);
	assert_string_equal("https://mcp.example.com/mcp", u->transport.base_url);
	assert_true(u->transport.trust_proxy);
	assert_string_equal(
	        "sk-test",
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(json_object_get(u->raw, "models"), "models"),
	                                "claude"),
	                "api_key")));
	mx_user_free(u);

	/* top-level keys are always interpolated */
	unsetenv("MXT_HOST");
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_string_equal("transport.http.host: Environment variable MXT_HOST is not set", err.msg);
	assert_int_equal(4, err.line);
	assert_int_equal(11, err.col);

	setenv("MXT_HOST", "h", 1);
	setenv("MXT_PORT", "not-a-port", 1);
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_string_equal("transport.http.port: expected an integer, got string '${MXT_PORT}'", err.msg);
	assert_int_equal(3, err.line);
	setenv("MXT_PORT", "70000", 1);
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_string_equal("transport.http.port: must be an integer between 0 and 65535", err.msg);
	unsetenv("MXT_PORT");
	unsetenv("MXT_HOST");
}

/* mxcp's transport limits: read, defaulted to 0 (built-in), range-checked
 * with the file position of the offending key. */
static void test_transport_limits(void **state)
{
	(void)state;
	use_config("mxcp: 1\ntransport:\n  workers: 3\n  queue_size: 50\n  max_message_bytes: 65536\n"
	           "  max_json_depth: 20\n  shutdown_grace: 5\n  http:\n    threads: 6\n"
	           "    max_connections: 100\n    max_header_bytes: 8192\n    connection_timeout: 30\n"
	           "    read_timeout: 9\n    max_connections_per_client: 11\n    max_sessions: 7\n    "
	           "session_timeout: 60\n");
	struct mx_user_config *u = load_ok("demo", "dev");
	const struct mx_user_transport *t = &u->transport;
	assert_int_equal(3, t->workers);
	assert_int_equal(50, t->queue_size);
	assert_int_equal(65536, t->max_message_bytes);
	assert_int_equal(20, t->max_json_depth);
	assert_int_equal(5, t->shutdown_grace);
	assert_int_equal(6, t->http_threads);
	assert_int_equal(100, t->max_connections);
	assert_int_equal(8192, t->max_header_bytes);
	assert_int_equal(30, t->connection_timeout);
	assert_int_equal(9, t->read_timeout);
	assert_int_equal(11, t->max_connections_per_client);
	assert_int_equal(7, t->max_sessions);
	assert_int_equal(60, t->session_timeout);
	mx_user_free(u);

	use_config("mxcp: 1\n");
	u = load_ok("demo", "dev");
	assert_int_equal(0, u->transport.workers);
	assert_int_equal(0, u->transport.max_sessions);
	mx_user_free(u);

	expect_error("mxcp: 1\ntransport:\n  workers: 0\n", 3, 12,
	             "transport.workers: must be an integer between 1 and 64");
	expect_error("mxcp: 1\ntransport:\n  http:\n    threads: 1\n", 4, 14,
	             "transport.http.threads: must be an integer between 2 and 256");
	expect_error("mxcp: 1\ntransport:\n  http:\n    read_timeout: 0\n", 4, 19,
	             "transport.http.read_timeout: must be an integer between 1 and 86400");
	expect_error("mxcp: 1\ntransport:\n  max_message_bytes: 10\n", 3, 22,
	             "transport.max_message_bytes: must be an integer between 1024 and 1073741824");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error(
	        "mxcp: 1\nfoo: 1\n", 2, 1,
	        "foo: unknown key (expected one of: mxcp, projects, vault, onepassword, transport, models, "
	        "logging)");
	expect_error("transport:\n  http:\n    prot: 80\n", 3, 5,
	             "transport.http.prot: unknown key (expected one of: port, host, scheme, base_url, "
	             "trust_proxy, stateless, threads, max_connections, max_header_bytes, "
	             "connection_timeout, read_timeout, max_connections_per_client, max_sessions, "
	             "session_timeout)");
	expect_error(
	        "projects:\n  demo:\n    profiles:\n      dev:\n        auth:\n          providr: github\n",
	        6, 11,
	        "projects.demo.profiles.dev.auth.providr: unknown key (expected one of: mode, provider, "
	        "clients, github, atlassian, salesforce, keycloak, google, oidc, authorization, "
	        "persistence)");
	/* inactive profiles are checked too */
	expect_error(
	        "projects:\n  demo:\n    profiles:\n      prod:\n        secret: []\n", 5, 9,
	        "projects.demo.profiles.prod.secret: unknown key (expected one of: secrets, plugin, auth, "
	        "telemetry, cache)");
	expect_error("projects:\n  demo:\n    profile: {}\n", 3, 5,
	             "projects.demo.profile: unknown key (expected one of: profiles)");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        secrets:\n"
	             "          - {name: a, type: env, key: X}\n",
	             6, 34,
	             "projects.demo.profiles.dev.secrets[0].key: unknown key (expected one of: name, type, "
	             "parameters)");
	expect_error(
	        "projects:\n  demo:\n    profiles:\n      dev:\n        auth:\n          github:\n"
	        "            client_id: x\n            redirect: y\n",
	        8, 13,
	        "projects.demo.profiles.dev.auth.github.redirect: unknown key (expected one of: client_id, "
	        "client_secret, scope, callback_path, auth_url, token_url, userinfo_url, emails_url, "
	        "claim_mappings)");
	expect_error("logging:\n  file: x\n", 2, 3,
	             "logging.file: unknown key (expected one of: enabled, path, level, max_bytes, "
	             "backup_count)");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("transport:\n  http:\n    port: abc\n", 3, 11,
	             "transport.http.port: expected an integer, got string 'abc'");
	expect_error("transport:\n  provider: tcp\n", 2, 13,
	             "transport.provider: expected one of 'streamable-http', 'sse', 'stdio', got 'tcp'");
	expect_error("vault:\n  enabled: sometimes\n", 2, 12,
	             "vault.enabled: expected a boolean, got string "
	             "'sometimes'");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        secrets:\n          - name: a\n",
	             6, 13, "projects.demo.profiles.dev.secrets[0].type: field required");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        secrets: {a: b}\n", 5, 18,
	             "projects.demo.profiles.dev.secrets: expected a list, got mapping");
	expect_error(
	        "projects:\n  demo:\n    profiles:\n      dev:\n        plugin:\n          config:\n"
	        "            util: {retries: 3}\n",
	        7, 29,
	        "projects.demo.profiles.dev.plugin.config.util.retries: expected a string, got integer '3'");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        auth:\n          clients:\n"
	             "            - {client_id: a, name: b, grant_types: [implicit]}\n",
	             7, 53,
	             "projects.demo.profiles.dev.auth.clients[0].grant_types[0]: expected one of "
	             "'authorization_code', 'refresh_token', got 'implicit'");
	expect_error("models:\n  models:\n    m1: {api_key: k}\n", 3, 9,
	             "models.models.m1.type: field required");
	expect_error(
	        "logging:\n  level: LOUD\n", 2, 10,
	        "logging.level: expected one of 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', got 'LOUD'");
	expect_error("- a\n", 1, 1, "MXCP user config must be a mapping");
	expect_error("mxcp: 2\n", 1, 7, "mxcp: expected 1, got integer '2'");
}

static void test_version_migration(void **state)
{
	(void)state;
	const char *path = use_config("mxcp: \"1.0.0\"\nprojects: {}\n");
	struct mx_user_config *u = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_user_load("demo", "dev", &u, &err));
	assert_int_equal(1, err.line);
	assert_int_equal(7, err.col);
	assert_true(strncmp(err.msg, "mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED",
	                    strlen("mxcp: \xF0\x9F\x9A\xA8 MIGRATION REQUIRED")) == 0);
	assert_non_null(strstr(err.msg, "OLD: mxcp: \"1.0.0\""));
	assert_non_null(strstr(err.msg, path));
}

static void test_empty_and_nulls(void **state)
{
	(void)state;
	use_config("");
	struct mx_user_config *u = load_ok("demo", "dev");
	MX_ASSERT_JSON_EQ("{\"mxcp\":1,\"projects\":{\"demo\":{\"profiles\":{\"dev\":{}}}}}", u->raw);
	mx_user_free(u);
	use_config("projects:\n  demo:\n    profiles:\n      dev:\ntransport:\n");
	u = load_ok("demo", "dev");
	MX_ASSERT_JSON_EQ("{}", mx_user_profile(u, "demo", "dev"));
	assert_int_equal(8000, u->transport.port);
	mx_user_free(u);
	/* no project/profile: nothing under projects is interpolated or created */
	use_config("projects:\n  demo:\n    profiles:\n      dev:\n        secrets:\n"
	           "          - {name: a, type: b, parameters: {x: \"${MXT_UNSET}\"}}\n");
	unsetenv("MXT_UNSET");
	u = load_ok(NULL, NULL);
	assert_null(mx_user_profile(u, NULL, NULL));
	assert_non_null(mx_user_profile(u, "demo", "dev"));
	mx_user_free(u);
}

/* The profile's cache block (mxcp's own): defaults, values, TTL lookup,
 * and its errors at file:line:col. */
static void test_cache_block(void **state)
{
	(void)state;
	use_config("mxcp: 1\n");
	struct mx_user_config *u = load_ok("demo", "dev");
	assert_int_equal(0, u->cache.enabled);
	assert_string_equal("memory", u->cache.backend);
	assert_int_equal(64, u->cache.max_memory_mb);
	assert_int_equal(60, u->cache.default_ttl);
	mx_user_free(u);

	setenv("MX_TEST_REDIS", "redis://cache:6390/1", 1);
	use_config(
	        "mxcp: 1\nprojects:\n  demo:\n    profiles:\n      dev:\n        cache:\n"
	        "          enabled: true\n          backend: redis\n          redis_url: ${MX_TEST_REDIS}\n"
	        "          max_memory_mb: 8\n          default_ttl: 30\n"
	        "          endpoints:\n            greet: 300\n            \"res://{id}\": 5\n");
	u = load_ok("demo", "dev");
	assert_int_equal(1, u->cache.enabled);
	assert_string_equal("redis", u->cache.backend);
	assert_string_equal("redis://cache:6390/1", u->cache.redis_url);
	assert_int_equal(8, u->cache.max_memory_mb);
	assert_int_equal(300, mx_user_cache_ttl(&u->cache, "greet", NULL));
	assert_int_equal(5, mx_user_cache_ttl(&u->cache, "other", "res://{id}"));
	assert_int_equal(30, mx_user_cache_ttl(&u->cache, "other", NULL));
	assert_int_equal(
	        13, json_integer_value(json_array_get(json_object_get(u->cache.endpoint_lines, "greet"), 0)));
	mx_user_free(u);
	unsetenv("MX_TEST_REDIS");

	expect_error(
	        "projects:\n  demo:\n    profiles:\n      dev:\n        cache:\n          backend: disk\n", 6,
	        20,
	        "projects.demo.profiles.dev.cache.backend: expected one of 'memory', 'redis', got 'disk'");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        cache:\n          ttl: 1\n", 6,
	             11,
	             "projects.demo.profiles.dev.cache.ttl: unknown key (expected one of: enabled, backend, "
	             "redis_url, max_memory_mb, default_ttl, endpoints)");
	expect_error(
	        "projects:\n  demo:\n    profiles:\n      dev:\n        cache:\n          enabled: true\n"
	        "          backend: redis\n",
	        6, 11, "cache.redis_url: required with backend: redis");
	expect_error("projects:\n  demo:\n    profiles:\n      dev:\n        cache:\n          endpoints:\n"
	             "            greet: -1\n",
	             7, 20, "cache.endpoints.greet: must be a number of seconds between 0 and 31536000");
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_absent_default_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_default_file_in_home, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_explicit_missing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_path_precedence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_operational_guide_example, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_selective_interpolation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_top_level_interpolation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unknown_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_version_migration, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_empty_and_nulls, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_transport_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cache_block, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
