/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/model/endpoint.c and src/model/project.c: loading, errors with locations, discovery. */
#include "harness.h"

#include "core/alloc.h"
#include "model/endpoint.h"
#include "model/project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];

static int setup(void **state)
{
	(void)state;
	mx_test_tmpdir(dir, sizeof dir);
	mx_test_write(dir, "mxcp-site.yml", "mxcp: 1\nproject: p\nprofile: dev\n");
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

static int load(const char *rel, const char *text, enum mx_endpoint_kind kind, struct mx_endpoint **ep,
                struct mx_err *err)
{
	char path[1024];
	mx_test_write(dir, rel, text);
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	return mx_endpoint_load(dir, path, kind, ep, err);
}

static void test_tool(void **state)
{
	(void)state;
	struct mx_endpoint *ep = NULL;
	struct mx_err err;
	mx_test_write(dir, "sql/q.sql", "SELECT $id AS id");
	int rc = load("tools/t.yml",
	              "mxcp: 1\ntool:\n  name: t\n  description: d\n  tags: [a, b]\n"
	              "  annotations: {title: T, readOnlyHint: true}\n"
	              "  parameters:\n    - {name: id, type: integer, description: x}\n"
	              "  return: {type: object}\n  source: {file: ../sql/q.sql}\n",
	              MX_EP_TOOL, &ep, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_string_equal("t", ep->name);
	assert_string_equal("T", ep->title);
	assert_string_equal("tools/t.yml", ep->relpath);
	assert_string_equal("SELECT $id AS id", ep->source_code);
	assert_int_equal(MX_LANG_SQL, ep->language);
	assert_int_equal(1, ep->nparams);
	assert_int_equal(10, ep->source_line);
	MX_ASSERT_JSON_EQ("[\"a\",\"b\"]", ep->tags);
	mx_endpoint_free(ep);
}

static void test_errors(void **state)
{
	(void)state;
	struct mx_endpoint *ep = NULL;
	struct mx_err err;
	assert_int_equal(MX_EINVAL,
	                 load("tools/a.yml",
	                      "mxcp: 1\ntool:\n  name: a\n  descriptoin: x\n  source: {code: SELECT 1}\n",
	                      MX_EP_TOOL, &ep, &err));
	assert_int_equal(4, err.line);
	assert_int_equal(3, err.col);
	assert_non_null(strstr(err.msg, "tool.descriptoin: unknown key"));

	assert_int_equal(MX_EINVAL,
	                 load("tools/b.yml",
	                      "mxcp: 1\ntool:\n  name: b\n  source: {code: SELECT 1, file: x.sql}\n",
	                      MX_EP_TOOL, &ep, &err));
	assert_string_equal("tool.source: Source must provide exactly one of 'code' or 'file'", err.msg);

	assert_int_equal(MX_EINVAL, load("tools/c.yml", "", MX_EP_TOOL, &ep, &err));
	assert_string_equal("Endpoint file is empty", err.msg);

	assert_int_equal(MX_EINVAL, load("tools/d.yml", "mxcp: 1\nmetadata: {}\n", MX_EP_TOOL, &ep, &err));
	assert_string_equal("Endpoint definition must include a tool, resource, or prompt definition",
	                    err.msg);

	assert_int_equal(MX_ENOTFOUND,
	                 load("tools/e.yml", "mxcp: 1\nprompt: {name: p, messages: [{prompt: hi}]}\n",
	                      MX_EP_TOOL, &ep, &err));

	assert_int_equal(MX_EINVAL,
	                 load("tools/f.yml",
	                      "mxcp: 1\ntool:\n  name: f\n  parameters:\n    - {name: x, type: string}\n"
	                      "    - {name: x, type: string}\n  source: {code: SELECT 1}\n",
	                      MX_EP_TOOL, &ep, &err));
	assert_int_equal(6, err.line);
	assert_non_null(strstr(err.msg, "duplicate parameter name 'x'"));

	assert_int_equal(MX_EINVAL,
	                 load("tools/g.yml",
	                      "mxcp: 1\ntool:\n  name: g\n  source: {code: SELECT 1}\n  policies:\n"
	                      "    input:\n      - {condition: 'true', action: explode}\n",
	                      MX_EP_TOOL, &ep, &err));
	assert_non_null(strstr(err.msg, "tool.policies.input[0].action"));
}

static void test_language_from_extension(void **state)
{
	(void)state;
	struct mx_endpoint *ep = NULL;
	struct mx_err err;
	mx_test_write(dir, "python/h.py", "def h():\n    return 1\n");
	assert_int_equal(0,
	                 load("tools/h.yml", "mxcp: 1\ntool:\n  name: h\n  source: {file: ../python/h.py}\n",
	                      MX_EP_TOOL, &ep, &err));
	assert_int_equal(MX_LANG_PYTHON, ep->language);
	assert_null(ep->source_code);
	mx_endpoint_free(ep);
}

static void test_project_discovery(void **state)
{
	(void)state;
	mx_test_write(dir, "tools/sub/one.yml", "mxcp: 1\ntool: {name: one, source: {code: SELECT 1}}\n");
	mx_test_write(dir, "tools/two.yml", "mxcp: 1\ntool: {name: two, source: {code: SELECT 2}}\n");
	mx_test_write(dir, "tools/off.yml",
	              "mxcp: 1\ntool: {name: disabled_tool, enabled: false, source: {code: SELECT 2}}\n");
	mx_test_write(dir, "tools/dup.yml", "mxcp: 1\ntool: {name: two, source: {code: SELECT 3}}\n");
	mx_test_write(dir, "tools/bad.yml",
	              "mxcp: 1\ntool: {name: bad, source: {code: SELECT 1}, nope: 1}\n");
	mx_test_write(dir, "tools/readme.yaml", "not: scanned\n");
	mx_test_write(dir, "resources/r.yml",
	              "mxcp: 1\nresource: {uri: 'data://{id}', parameters: [{name: id, type: string, "
	              "description: i}],"
	              " source: {code: SELECT $id}}\n");
	mx_test_write(dir, "prompts/p.yml", "mxcp: 1\nprompt: {name: p, messages: [{prompt: hi}]}\n");
	struct mx_project_options opt = {.dir = dir};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&opt, &p, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(3, p->nendpoints); /* one, r, p; both files named "two" fail */
	assert_string_equal("one", p->endpoints[0]->name);
	assert_string_equal("data://{id}", p->endpoints[1]->name);
	assert_string_equal("p", p->endpoints[2]->name);
	assert_int_equal(1, p->ndisabled);
	assert_int_equal(3, p->nfailures);
	assert_string_equal("tools/bad.yml", p->failures[0].relpath);
	assert_string_equal("tools/dup.yml", p->failures[1].relpath);
	assert_string_equal("Duplicate endpoint name 'two' found in: tools/dup.yml, tools/two.yml",
	                    p->failures[1].err.msg);
	assert_string_equal("tools/two.yml", p->failures[2].relpath);
	assert_string_equal(p->failures[1].err.msg, p->failures[2].err.msg);
	assert_non_null(mx_project_find(p, MX_EP_TOOL, "one"));
	assert_null(mx_project_find(p, MX_EP_PROMPT, "one"));
	assert_string_equal("dev", p->profile);
	mx_project_unref(p);

	/* a profile that neither mxcp-site.yml nor the user config names is refused */
	setenv("MXCP_PROFILE", "prod", 1);
	assert_int_equal(MX_EINVAL, mx_project_load(&opt, &p, &err));
	assert_non_null(strstr(err.msg, "Profile 'prod' not found in "));
	assert_non_null(strstr(err.msg, "mxcp-site.yml (profiles: dev)."));
	mx_test_write(dir, "mxcp-site.yml", "mxcp: 1\nproject: p\nprofile: dev\nprofiles: {prod: {}}\n");
	assert_int_equal(0, mx_project_load(&opt, &p, &err));
	assert_string_equal("prod", p->profile);
	assert_non_null(strstr(p->settings.duckdb_path, "/data/db-prod.duckdb"));
	mx_project_unref(p);
	unsetenv("MXCP_PROFILE");
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_tool, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_language_from_extension, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_project_discovery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
