/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/policy/policy.c: the user object (anonymous, CLI, nested raw
 * profile), input and output enforcement with every action, rows and nested
 * objects, sensitive fields through the return type, fail-closed evaluation
 * errors, compile errors located in the endpoint file, and the decision
 * mx_invoke reports for a whole call.
 */
#include "harness.h"

#include "core/alloc.h"
#include "exec/invoke.h"
#include "model/endpoint.h"
#include "model/project.h"
#include "auth/identity.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];

static int setup(void **state)
{
	(void)state;
	mx_test_tmpdir(dir, sizeof dir);
	setenv("HOME", dir, 1);
	unsetenv("MXCP_CONFIG");
	unsetenv("MXCP_CONFIG_PATH");
	unsetenv("MXCP_PROFILE");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_test_rmrf(dir);
	return 0;
}

/* A tool with the given return type and policies (YAML, indented for `tool:`). */
static struct mx_endpoint *tool(const char *ret_and_policies)
{
	char text[4096], path[1024];
	snprintf(text, sizeof text,
	         "mxcp: 1\ntool:\n  name: t\n  description: d\n"
	         "  parameters:\n    - {name: customer_id, type: integer, description: x}\n"
	         "  source: {code: SELECT 1}\n%s",
	         ret_and_policies);
	mx_test_write(dir, "tools/t.yml", text);
	snprintf(path, sizeof path, "%s/tools/t.yml", dir);
	struct mx_endpoint *ep = NULL;
	struct mx_err err;
	if (mx_endpoint_load(dir, path, MX_EP_TOOL, &ep, &err))
		fail_msg("load: %s", err.msg);
	return ep;
}

/* Run the output rules of ep over value (JSON text) as user; returns the rc. */
static int output(const struct mx_endpoint *ep, const char *user_ctx, const char *value, json_t **out,
                  struct mx_policy_result *res, struct mx_err *err)
{
	json_t *uc = user_ctx ? mx_test_json(user_ctx) : NULL;
	json_t *user = mx_identity_user(uc, uc ? "cli" : NULL);
	json_decref(uc);
	*out = mx_test_json(value);
	memset(res, 0, sizeof *res);
	int rc = mx_policy_enforce_output(ep->policy_set, ep->ret, user, out, res, err);
	json_decref(user);
	return rc;
}

static int input(const struct mx_endpoint *ep, const char *user_ctx, const char *args,
                 struct mx_policy_result *res, struct mx_err *err)
{
	json_t *uc = user_ctx ? mx_test_json(user_ctx) : NULL;
	json_t *user = mx_identity_user(uc, uc ? "cli" : NULL);
	json_t *a = mx_test_json(args);
	json_decref(uc);
	memset(res, 0, sizeof *res);
	int rc = mx_policy_enforce_input(ep->policy_set, a, user, res, err);
	json_decref(user);
	json_decref(a);
	return rc;
}

/* ---- the user object ---- */

static void test_user_anonymous(void **state)
{
	(void)state;
	json_t *u = mx_identity_user(NULL, NULL);
	MX_ASSERT_JSON_EQ(
	        "{\"user_id\":null,\"username\":null,\"email\":null,\"name\":null,\"provider\":null,"
	        "\"role\":\"anonymous\",\"permissions\":[],\"scopes\":[],\"capabilities\":[],"
	        "\"claims\":{}}",
	        u);
	json_decref(u);
}

static void test_user_cli(void **state)
{
	(void)state;
	json_t *uc = mx_test_json(
	        "{\"email\":\"a@b.c\",\"permissions\":[\"read\"],\"customer_id\":7,\"scope\":\"x y\"}");
	json_t *u = mx_identity_user(uc, "cli");
	MX_ASSERT_JSON_EQ(
	        "{\"user_id\":\"cli_user\",\"username\":\"cli_user\",\"email\":\"a@b.c\",\"name\":null,"
	        "\"provider\":\"cli\",\"role\":\"user\",\"permissions\":[\"read\"],"
	        "\"scopes\":[\"x\",\"y\"],\"capabilities\":[],\"customer_id\":7,\"scope\":\"x y\","
	        "\"claims\":{\"email\":\"a@b.c\",\"permissions\":[\"read\"],\"customer_id\":7,"
	        "\"scope\":\"x y\"}}",
	        u);
	json_decref(u);
	json_decref(uc);
}

static void test_user_raw_profile(void **state)
{
	(void)state;
	/* MXCP's UserContext shape: identity on top, the IdP profile nested; a
	 * raw key never overrides an identity field */
	json_t *uc =
	        mx_test_json("{\"user_id\":\"42\",\"username\":\"ann\",\"provider\":\"github\","
	                     "\"raw_profile\":{\"role\":\"admin\",\"user_id\":\"spoof\",\"org\":\"acme\"}}");
	json_t *u = mx_identity_user(uc, NULL);
	MX_ASSERT_JSON_EQ("{\"user_id\":\"42\",\"username\":\"ann\",\"email\":null,\"name\":null,"
	                  "\"provider\":\"github\",\"role\":\"admin\",\"permissions\":[],\"scopes\":[],"
	                  "\"capabilities\":[],\"org\":\"acme\","
	                  "\"claims\":{\"role\":\"admin\",\"user_id\":\"spoof\",\"org\":\"acme\"}}",
	                  u);
	json_decref(u);
	json_decref(uc);
}

/* ---- input ---- */

static const char CUSTOMER_POLICY[] = "  policies:\n    input:\n"
                                      "      - condition: \"user.role != 'admin' && customer_id != "
                                      "user.customer_id\"\n"
                                      "        action: deny\n        reason: own data only\n"
                                      "      - condition: \"customer_id == 13\"\n        action: deny\n";

static void test_input_deny(void **state)
{
	(void)state;
	struct mx_endpoint *ep = tool(CUSTOMER_POLICY);
	struct mx_policy_result res;
	struct mx_err err;
	assert_int_equal(0, input(ep, "{\"role\":\"admin\"}", "{\"customer_id\":3}", &res, &err));
	assert_int_equal(MX_POLICY_ALLOW, res.decision);
	assert_int_equal(0, input(ep, "{\"customer_id\":3}", "{\"customer_id\":3}", &res, &err));
	assert_int_equal(MX_EPOLICY, input(ep, "{\"customer_id\":4}", "{\"customer_id\":3}", &res, &err));
	assert_string_equal("Policy enforcement failed: own data only", err.msg);
	assert_int_equal(MX_POLICY_DENY, res.decision);
	assert_string_equal("own data only", res.reason);
	/* the default reason */
	assert_int_equal(MX_EPOLICY, input(ep, "{\"role\":\"admin\"}", "{\"customer_id\":13}", &res, &err));
	assert_string_equal("Policy enforcement failed: Access denied by policy", err.msg);
	mx_endpoint_free(ep);
}

static void test_input_error_denies(void **state)
{
	(void)state;
	struct mx_endpoint *ep = tool(CUSTOMER_POLICY);
	struct mx_policy_result res;
	struct mx_err err;
	/* the anonymous user has no customer_id: MXCP would let this through */
	assert_int_equal(MX_EPOLICY, input(ep, NULL, "{\"customer_id\":3}", &res, &err));
	assert_string_equal(
	        "Policy enforcement failed: input[0] could not be evaluated (no such key: customer_id)",
	        err.msg);
	assert_int_equal(MX_POLICY_DENY, res.decision);
	assert_string_equal("input[0] could not be evaluated (no such key: customer_id)", res.reason);
	mx_endpoint_free(ep);

	/* not a bool */
	ep = tool("  policies:\n    input:\n      - {condition: \"customer_id + 1\", action: deny}\n"
	          "      - {condition: \"true\", action: filter_fields, fields: [x]}\n");
	assert_int_equal(MX_EPOLICY, input(ep, NULL, "{\"customer_id\":3}", &res, &err));
	assert_non_null(strstr(err.msg, "Policy enforcement failed: input[0] could not be evaluated ("));
	mx_endpoint_free(ep);
}

static void test_input_anonymous(void **state)
{
	(void)state;
	struct mx_endpoint *ep =
	        tool("  policies:\n    input:\n"
	             "      - {condition: \"user.role == 'anonymous'\", action: deny, "
	             "reason: login first}\n"
	             "      - {condition: \"user.name != null && size(user.permissions) > 0\", "
	             "action: deny}\n");
	struct mx_policy_result res;
	struct mx_err err;
	assert_int_equal(MX_EPOLICY, input(ep, NULL, "{}", &res, &err));
	assert_string_equal("Policy enforcement failed: login first", err.msg);
	/* every field present: rules on user.name evaluate for any user */
	assert_int_equal(0, input(ep, "{}", "{}", &res, &err));
	mx_endpoint_free(ep);
}

/* ---- output ---- */

static const char ROWS_TYPE[] = "  return:\n    type: array\n    items:\n      type: object\n"
                                "      properties:\n        id: {type: integer}\n"
                                "        email: {type: string}\n        salary: {type: number, sensitive: "
                                "true}\n";

static void test_output_filter_fields_rows(void **state)
{
	(void)state;
	char yaml[2048];
	snprintf(yaml, sizeof yaml, "%s%s", ROWS_TYPE,
	         "  policies:\n    output:\n"
	         "      - {condition: \"user.role != 'admin'\", action: filter_fields, fields: [salary, "
	         "nope]}\n");
	struct mx_endpoint *ep = tool(yaml);
	struct mx_policy_result res;
	struct mx_err err;
	json_t *v = NULL;
	const char *rows =
	        "[{\"id\":1,\"email\":\"a@x\",\"salary\":1},{\"id\":2,\"email\":\"b@x\",\"salary\":2},3]";
	assert_int_equal(0, output(ep, NULL, rows, &v, &res, &err));
	MX_ASSERT_JSON_EQ("[{\"id\":1,\"email\":\"a@x\"},{\"id\":2,\"email\":\"b@x\"},3]", v);
	assert_int_equal(MX_POLICY_WARN, res.decision);
	assert_string_equal("Output modified by filter_fields", res.reason);
	json_decref(v);
	assert_int_equal(0, output(ep, "{\"role\":\"admin\"}", rows, &v, &res, &err));
	MX_ASSERT_JSON_EQ(rows, v);
	assert_int_equal(MX_POLICY_ALLOW, res.decision);
	assert_string_equal("", res.reason);
	json_decref(v);
	mx_endpoint_free(ep);
}

static void test_output_mask_and_cumulative(void **state)
{
	(void)state;
	char yaml[2048];
	snprintf(yaml, sizeof yaml, "%s%s", ROWS_TYPE,
	         "  policies:\n    output:\n"
	         "      - {condition: \"true\", action: mask_fields, fields: [email, missing]}\n"
	         /* sees the masked rows: rules apply cumulatively */
	         "      - {condition: \"response[0].email == '****'\", action: filter_sensitive_fields}\n"
	         "      - {condition: \"false\", action: deny}\n");
	struct mx_endpoint *ep = tool(yaml);
	struct mx_policy_result res;
	struct mx_err err;
	json_t *v = NULL;
	assert_int_equal(0, output(ep, NULL, "[{\"id\":1,\"email\":\"a@x\",\"salary\":1}]", &v, &res, &err));
	MX_ASSERT_JSON_EQ("[{\"id\":1,\"email\":\"****\"}]", v);
	assert_int_equal(MX_POLICY_WARN, res.decision);
	assert_string_equal("Output modified by filter_sensitive_fields", res.reason);
	json_decref(v);
	mx_endpoint_free(ep);
}

static void test_output_sensitive_nested(void **state)
{
	(void)state;
	struct mx_endpoint *ep = tool("  return:\n    type: object\n    properties:\n"
	                              "      name: {type: string}\n"
	                              "      key: {type: string, sensitive: true}\n"
	                              "      contact:\n        type: object\n        properties:\n"
	                              "          email: {type: string}\n"
	                              "          phone: {type: string, sensitive: true}\n"
	                              "      accounts:\n        type: array\n        items:\n"
	                              "          type: object\n          additionalProperties: false\n"
	                              "          properties:\n            bank: {type: string}\n"
	                              "            number: {type: string, sensitive: true}\n"
	                              "      pins:\n        type: array\n"
	                              "        items: {type: integer, sensitive: true}\n"
	                              "  policies:\n    output:\n"
	                              "      - {condition: \"true\", action: filter_sensitive_fields}\n");
	struct mx_policy_result res;
	struct mx_err err;
	json_t *v = NULL;
	assert_int_equal(0, output(ep, NULL,
	                           "{\"name\":\"Ann\",\"key\":\"k\",\"extra\":1,"
	                           "\"contact\":{\"email\":\"e\",\"phone\":\"p\"},"
	                           "\"accounts\":[{\"bank\":\"B\",\"number\":\"1\",\"undeclared\":2}],"
	                           "\"pins\":[1,2]}",
	                           &v, &res, &err));
	/* undeclared keys stay unless additionalProperties is false */
	MX_ASSERT_JSON_EQ("{\"name\":\"Ann\",\"extra\":1,\"contact\":{\"email\":\"e\"},"
	                  "\"accounts\":[{\"bank\":\"B\"}],\"pins\":[null,null]}",
	                  v);
	json_decref(v);
	mx_endpoint_free(ep);

	/* a sensitive root: the whole value goes */
	ep = tool(
	        "  return: {type: string, sensitive: true}\n"
	        "  policies:\n    output:\n      - {condition: \"true\", action: filter_sensitive_fields}\n");
	assert_int_equal(0, output(ep, NULL, "\"secret\"", &v, &res, &err));
	assert_true(json_is_null(v));
	json_decref(v);
	mx_endpoint_free(ep);
}

static void test_output_shared_value_copied(void **state)
{
	(void)state;
	json_t *row = mx_test_json("{\"a\":1,\"b\":2}");
	json_t *rows = json_pack("[O]", row); /* row shared with the test */
	json_t *keep = json_incref(rows); /* rows shared too */
	const char *f[] = {"a"};
	json_t *out = mx_policy_filter_fields(rows, f, 1);
	MX_ASSERT_JSON_EQ("[{\"b\":2}]", out);
	MX_ASSERT_JSON_EQ("[{\"a\":1,\"b\":2}]", keep);
	MX_ASSERT_JSON_EQ("{\"a\":1,\"b\":2}", row);
	json_decref(out);
	json_decref(keep);
	/* a private row inside a private array is changed in place */
	rows = json_pack("[o]", row);
	out = mx_policy_mask_fields(rows, f, 1);
	assert_ptr_equal(rows, out);
	MX_ASSERT_JSON_EQ("[{\"a\":\"****\",\"b\":2}]", out);
	json_decref(out);
}

static void test_output_deny(void **state)
{
	(void)state;
	struct mx_endpoint *ep = tool("  return: {type: object}\n  policies:\n    output:\n"
	                              "      - {condition: \"true\", action: filter_fields, fields: [x]}\n"
	                              "      - {condition: \"response.level == 'secret'\", action: deny, "
	                              "reason: classified}\n"
	                              "      - {condition: \"response.level == 'top'\", action: deny}\n"
	                              "      - {condition: \"response.nope\", action: deny}\n");
	struct mx_policy_result res;
	struct mx_err err;
	json_t *v = NULL;
	assert_int_equal(MX_EPOLICY, output(ep, NULL, "{\"level\":\"secret\",\"x\":1}", &v, &res, &err));
	assert_string_equal("Output policy enforcement failed: classified", err.msg);
	assert_int_equal(MX_POLICY_DENY, res.decision);
	assert_string_equal("classified", res.reason);
	json_decref(v);
	assert_int_equal(MX_EPOLICY, output(ep, NULL, "{\"level\":\"top\"}", &v, &res, &err));
	assert_string_equal("Output policy enforcement failed: Output blocked by policy", err.msg);
	json_decref(v);
	assert_int_equal(MX_EPOLICY, output(ep, NULL, "{\"level\":\"low\"}", &v, &res, &err));
	assert_string_equal(
	        "Output policy enforcement failed: output[3] could not be evaluated (no such key: nope)",
	        err.msg);
	json_decref(v);
	mx_endpoint_free(ep);
}

/* ---- load ---- */

static void test_compile_error_located(void **state)
{
	(void)state;
	mx_test_write(dir, "tools/bad.yml",
	              "mxcp: 1\ntool:\n  name: bad\n  description: d\n  source: {code: SELECT 1}\n"
	              "  policies:\n    output:\n      - condition: ok\n        action: deny\n"
	              "      - condition: a +\n        action: deny\n");
	char path[1024];
	snprintf(path, sizeof path, "%s/tools/bad.yml", dir);
	struct mx_endpoint *ep = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL, mx_endpoint_load(dir, path, MX_EP_TOOL, &ep, &err));
	assert_null(ep);
	assert_int_equal(10, err.line);
	assert_int_equal(20, err.col);
	assert_non_null(
	        strstr(err.msg, "tool.policies.output[1].condition: ERROR: <input>:1:4: Syntax error:"));
}

static void test_no_policies(void **state)
{
	(void)state;
	struct mx_endpoint *ep = tool("");
	assert_null(ep->policy_set);
	mx_endpoint_free(ep);
	ep = tool("  policies: {input: []}\n");
	assert_int_equal(0, mx_policy_set_count(ep->policy_set, MX_POLICY_INPUT));
	mx_endpoint_free(ep);
}

/* ---- a whole call ---- */

static void test_invoke_report(void **state)
{
	(void)state;
	mx_test_write(dir, "p/mxcp-site.yml",
	              "mxcp: 1\nproject: p\nprofile: default\n"
	              "profiles:\n  default:\n    duckdb:\n      path: \":memory:\"\n");
	mx_test_write(dir, "p/tools/plain.yml",
	              "mxcp: 1\ntool:\n  name: plain\n  description: d\n  source: {code: SELECT 1 AS one}\n");
	mx_test_write(
	        dir, "p/tools/guarded.yml",
	        "mxcp: 1\ntool:\n  name: guarded\n  description: d\n"
	        "  parameters:\n    - {name: n, type: integer, description: x, default: 1}\n"
	        "  return: {type: object}\n"
	        "  source: {code: \"SELECT $n AS n, 's' AS secret\"}\n"
	        "  policies:\n    input:\n      - {condition: \"n > 5\", action: deny, reason: too big}\n"
	        "    output:\n      - {condition: \"user.role != 'admin'\", action: mask_fields, "
	        "fields: [secret]}\n");
	char pdir[1024];
	snprintf(pdir, sizeof pdir, "%s/p", dir);
	struct mx_project *p;
	struct mx_runtime *rt;
	struct mx_dbconn *conn;
	mx_test_open_project(pdir, &p, &rt, &conn);
	struct mx_err err;
	for (size_t i = 0; i < p->nfailures; i++)
		fail_msg("%s: %s", p->failures[i].path, p->failures[i].err.msg);
	assert_non_null(mx_project_find(p, MX_EP_TOOL, "plain"));
	struct mx_invoke_report rep;
	struct mx_invoke_opts opts = {.report = &rep};
	json_t *r = NULL;

	assert_int_equal(
	        0, mx_invoke(rt, conn, mx_project_find(p, MX_EP_TOOL, "plain"), NULL, NULL, &opts, &r, &err));
	assert_string_equal("n/a", rep.policy_decision);
	json_decref(r);

	const struct mx_endpoint *g = mx_project_find(p, MX_EP_TOOL, "guarded");
	assert_int_equal(0, mx_invoke(rt, conn, g, NULL, NULL, &opts, &r, &err));
	MX_ASSERT_JSON_EQ("{\"n\":1,\"secret\":\"****\"}", r);
	assert_string_equal("warn", rep.policy_decision);
	assert_string_equal("Output modified by mask_fields", rep.reason);
	json_decref(r);

	json_t *admin = mx_test_json("{\"role\":\"admin\"}");
	struct mx_call_ctx ctx = mx_call_ctx_make(MX_CALLER_CLI);
	ctx.user_context = admin;
	ctx.user_provider = "cli";
	assert_int_equal(0, mx_invoke(rt, conn, g, NULL, &ctx, &opts, &r, &err));
	MX_ASSERT_JSON_EQ("{\"n\":1,\"secret\":\"s\"}", r);
	assert_string_equal("allow", rep.policy_decision);
	json_decref(r);

	/* input rules see converted values: "9" from the CLI is the integer 9 */
	json_t *args = mx_test_json("{\"n\":\"9\"}");
	assert_int_equal(MX_EPOLICY, mx_invoke(rt, conn, g, args, &ctx, &opts, &r, &err));
	assert_null(r);
	assert_string_equal("Policy enforcement failed: too big", err.msg);
	assert_string_equal("deny", rep.policy_decision);
	assert_string_equal("too big", rep.reason);
	assert_int_equal(MX_STAGE_INPUT_POLICY, rep.stage);
	/* a bad argument fails at the first stage */
	json_t *bad = mx_test_json("{\"n\":\"nine\"}");
	assert_int_not_equal(0, mx_invoke(rt, conn, g, bad, &ctx, &opts, &r, &err));
	assert_int_equal(MX_STAGE_CONVERT, rep.stage);
	json_decref(bad);
	mx_call_ctx_clear(&ctx);
	json_decref(args);
	json_decref(admin);

	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_user_anonymous),
	        cmocka_unit_test(test_user_cli),
	        cmocka_unit_test(test_user_raw_profile),
	        cmocka_unit_test(test_input_deny),
	        cmocka_unit_test(test_input_error_denies),
	        cmocka_unit_test(test_input_anonymous),
	        cmocka_unit_test(test_output_filter_fields_rows),
	        cmocka_unit_test(test_output_mask_and_cumulative),
	        cmocka_unit_test(test_output_sensitive_nested),
	        cmocka_unit_test(test_output_shared_value_copied),
	        cmocka_unit_test(test_output_deny),
	        cmocka_unit_test(test_compile_error_located),
	        cmocka_unit_test(test_no_policies),
	        cmocka_unit_test(test_invoke_report),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
