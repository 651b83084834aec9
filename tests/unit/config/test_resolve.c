/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/config/resolve.c: ${VAR}, file://, scheme stubs, JSON walks. */
#include "harness.h"

#include "config/resolve.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *resolve_ok(const char *in)
{
	char *out = NULL;
	struct mx_err err;
	mx_err_clear(&err);
	int rc = mx_resolve_string(in, &out, &err);
	if (rc)
		fail_msg("resolving '%s' failed: %s", in, err.msg);
	return out;
}

static void expect(const char *in, const char *want)
{
	char *got = resolve_ok(in);
	assert_string_equal(want, got);
	mx_free(got);
}

static void test_env(void **state)
{
	(void)state;
	setenv("MXT_A", "x", 1);
	setenv("MXT_B_2", "", 1);
	expect("a${MXT_A}b${MXT_A}c", "axbxc");
	expect("${MXT_A}", "x");
	expect("[${MXT_B_2}]", "[]");
	/* not references: left as written */
	expect("${}", "${}");
	expect("${a-b}", "${a-b}");
	expect("$MXT_A and ${MXT_A", "$MXT_A and ${MXT_A");
	expect("https://example.com/${MXT_A}", "https://example.com/x");
	/* a value is not re-scanned */
	setenv("MXT_NESTED", "${MXT_A}", 1);
	expect("${MXT_NESTED}", "${MXT_A}");
	unsetenv("MXT_A");
	unsetenv("MXT_B_2");
	unsetenv("MXT_NESTED");
}

static void test_env_unset(void **state)
{
	(void)state;
	unsetenv("MXT_UNSET");
	char *out = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_resolve_string("pre ${MXT_UNSET} post", &out, &err));
	assert_null(out);
	assert_string_equal("Environment variable MXT_UNSET is not set", err.msg);
	assert_int_equal(0, err.line);
}

static void test_file(void **state)
{
	(void)state;
	char dir[4096], real[PATH_MAX], ref[PATH_MAX + 64], cwd[PATH_MAX];
	mx_test_tmpdir(dir, sizeof dir);
	assert_non_null(realpath(dir, real));
	mx_test_write(dir, "secret.txt", "  s3cret value \n\n");
	mx_test_write(dir, "sub/other.txt", "other");

	snprintf(ref, sizeof ref, "file://%s/secret.txt", real);
	expect(ref, "s3cret value");

	/* relative to the working directory */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(0, chdir(real));
	expect("file://secret.txt", "s3cret value");
	expect("file://sub/other.txt", "other");

	/* a missing file names its absolute path */
	char *out = NULL;
	struct mx_err err;
	assert_int_equal(MX_ENOTFOUND, mx_resolve_string("file://missing.txt", &out, &err));
	char want[PATH_MAX + 64];
	snprintf(want, sizeof want, "File not found: %s/missing.txt", real);
	assert_string_equal(want, err.msg);
	assert_int_equal(MX_EINVAL, mx_resolve_string("file://sub", &out, &err));
	snprintf(want, sizeof want, "Path is not a file: %s/sub", real);
	assert_string_equal(want, err.msg);
	assert_int_equal(MX_EINVAL, mx_resolve_string("file://", &out, &err));
	assert_string_equal("Invalid file URL format: 'file://'. Expected format: file://path/to/file",
	                    err.msg);
	assert_int_equal(0, chdir(cwd));

	/* ${VAR} inside a file reference */
	setenv("MXT_DIR", real, 1);
	expect("file://${MXT_DIR}/secret.txt", "s3cret value");
	/* but a variable's value is never dereferenced as a reference */
	snprintf(ref, sizeof ref, "file://%s/secret.txt", real);
	setenv("MXT_REF", ref, 1);
	expect("${MXT_REF}", ref);
	unsetenv("MXT_DIR");
	unsetenv("MXT_REF");
	mx_test_rmrf(dir);
}

static void test_unconfigured_schemes(void **state)
{
	(void)state;
	char *out = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_resolve_string("vault://secret/db#password", &out, &err));
	assert_string_equal("Cannot resolve 'vault://secret/db#password': vault:// references need "
	                    "vault.enabled and a Vault client (not configured)",
	                    err.msg);
	assert_int_equal(MX_EINVAL, mx_resolve_string("op://vault/item/field", &out, &err));
	assert_string_equal("Cannot resolve 'op://vault/item/field': op:// references need "
	                    "onepassword.enabled and a 1Password client (not configured)",
	                    err.msg);
	assert_null(out);
	assert_true(mx_resolve_is_reference("vault://x"));
	assert_true(mx_resolve_is_reference("a ${B} c"));
	assert_false(mx_resolve_is_reference("vault:/x"));
	assert_false(mx_resolve_is_reference("https://x"));
	assert_false(mx_resolve_is_reference("${}"));
}

static int prefix_resolver(void *ctx, const char *ref, char **out, struct mx_err *err)
{
	struct mx_buf b;
	mx_buf_init(&b, 4096);
	if (mx_buf_printf(&b, "%s%s", (const char *)ctx, ref))
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	*out = mx_buf_detach(&b);
	return 0;
}

static void test_register(void **state)
{
	(void)state;
	static char first[] = "1:";
	static char second[] = "2:";
	struct mx_resolver r = {.scheme = "mxtest", .resolve = prefix_resolver, .ctx = first};
	assert_false(mx_resolve_is_reference("mxtest://a"));
	assert_int_equal(0, mx_resolver_register(&r));
	setenv("MXT_A", "v", 1);
	expect("mxtest://a/${MXT_A}", "1:mxtest://a/v");
	r.ctx = second;
	assert_int_equal(0, mx_resolver_register(&r)); /* replaces */
	expect("mxtest://a", "2:mxtest://a");
	expect("not mxtest://a", "not mxtest://a");
	unsetenv("MXT_A");
	struct mx_resolver bad = {.scheme = "", .resolve = prefix_resolver};
	assert_int_equal(MX_EINVAL, mx_resolver_register(&bad));
	assert_int_equal(MX_EINVAL, mx_resolver_register(NULL));
}

static void test_json(void **state)
{
	(void)state;
	setenv("MXT_HOST", "db.local", 1);
	unsetenv("MXT_UNSET");
	json_t *tree = json_loads(
	        "{\"a\":{\"b\":[\"${MXT_HOST}\",1,true,null,\"plain\"]},\"c\":\"x${MXT_HOST}\"}", 0, NULL);
	struct mx_err err;
	assert_int_equal(0, mx_resolve_json(tree, "cfg.yml", &err));
	MX_ASSERT_JSON_EQ("{\"a\":{\"b\":[\"db.local\",1,true,null,\"plain\"]},\"c\":\"xdb.local\"}", tree);
	json_decref(tree);

	tree = json_loads("{\"a\":{\"b\":[\"ok\",\"${MXT_UNSET}\"]}}", 0, NULL);
	assert_int_equal(MX_EINVAL, mx_resolve_json(tree, "cfg.yml", &err));
	assert_string_equal("cfg.yml", err.file);
	assert_int_equal(0, err.line);
	assert_string_equal("a.b[1]: Environment variable MXT_UNSET is not set", err.msg);
	json_decref(tree);

	/* a bare string at the root */
	tree = json_string("${MXT_HOST}");
	assert_int_equal(0, mx_resolve_json(tree, NULL, &err));
	assert_string_equal("db.local", json_string_value(tree));
	json_decref(tree);
	unsetenv("MXT_HOST");
}

static void test_json_yaml_location(void **state)
{
	(void)state;
	const char *text = "vault:\n  enabled: true\nsecrets:\n  - name: db\n    parameters:\n"
	                   "      password: \"${MXT_UNSET}\"\n";
	struct mx_yaml_doc *doc = NULL;
	struct mx_err err;
	unsetenv("MXT_UNSET");
	assert_int_equal(0, mx_yaml_load_string("u.yml", text, strlen(text), &doc, &err));
	json_t *tree = mx_yaml_to_json(doc->root);
	assert_int_equal(MX_EINVAL, mx_resolve_json_yaml(tree, doc->root, "u.yml", "top", &err));
	assert_string_equal("u.yml", err.file);
	assert_int_equal(6, err.line);
	assert_int_equal(17, err.col);
	assert_string_equal("top.secrets[0].parameters.password: Environment variable MXT_UNSET is not set",
	                    err.msg);
	char full[4096];
	assert_string_equal("u.yml:6:17: top.secrets[0].parameters.password: Environment variable MXT_UNSET "
	                    "is not set",
	                    mx_err_format(&err, full, sizeof full));
	json_decref(tree);
	mx_yaml_free(doc);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_env),
	        cmocka_unit_test(test_env_unset),
	        cmocka_unit_test(test_file),
	        cmocka_unit_test(test_unconfigured_schemes),
	        cmocka_unit_test(test_register),
	        cmocka_unit_test(test_json),
	        cmocka_unit_test(test_json_yaml_location),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
