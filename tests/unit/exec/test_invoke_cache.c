/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for the [cache] stage of src/exec/invoke.c: which endpoints are
 * cached, the key (canonical arguments, the snapshot's generation, the
 * caller's identity where the answer depends on it), input policies on
 * every call, the bypass header, and the lookup-only mode of the hit path. */
#include "harness.h"

#include "cache/cache.h"
#include "config/user.h"
#include "core/alloc.h"
#include "exec/invoke.h"
#include "exec/sql.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>

static char dir[512];
static struct mx_project *p;
static struct mx_runtime *rt;
static struct mx_dbconn *conn;
static struct mx_cache *cache;
static struct mx_user_cache cfg = {.enabled = 1, .default_ttl = 60};

static int setup(void **state)
{
	(void)state;
	mx_test_tmpdir(dir, sizeof dir);
	mx_test_write(dir, "p/mxcp-site.yml",
	              "mxcp: 1\nproject: p\nprofile: default\n"
	              "profiles:\n  default:\n    duckdb:\n      path: \":memory:\"\n");
	mx_test_write(dir, "p/tools/add.yml",
	              "mxcp: 1\ntool:\n  name: add\n  description: d\n  annotations: {readOnlyHint: true}\n"
	              "  parameters:\n    - {name: a, type: integer, description: a}\n"
	              "    - {name: b, type: integer, description: b, default: 10}\n"
	              "  return: {type: integer}\n  source: {code: \"SELECT $a + $b\"}\n");
	mx_test_write(dir, "p/tools/write.yml",
	              "mxcp: 1\ntool:\n  name: write\n  description: d\n"
	              "  return: {type: integer}\n  source: {code: \"SELECT 1\"}\n");
	mx_test_write(dir, "p/tools/who.yml",
	              "mxcp: 1\ntool:\n  name: who\n  description: d\n  annotations: {readOnlyHint: true}\n"
	              "  return: {type: string}\n  source: {code: \"SELECT get_username()\"}\n");
	mx_test_write(dir, "p/tools/hdr.yml",
	              "mxcp: 1\ntool:\n  name: hdr\n  description: d\n  annotations: {readOnlyHint: true}\n"
	              "  return: {type: string}\n  source: {code: \"SELECT get_request_header('x-a')\"}\n");
	mx_test_write(
	        dir, "p/tools/guarded.yml",
	        "mxcp: 1\ntool:\n  name: guarded\n  description: d\n  annotations: {readOnlyHint: true}\n"
	        "  parameters:\n    - {name: n, type: integer, description: n}\n"
	        "  return: {type: integer}\n  source: {code: \"SELECT $n\"}\n"
	        "  policies:\n    input:\n      - {condition: \"n == 13\", action: deny, reason: unlucky}\n");
	char pdir[1024];
	snprintf(pdir, sizeof pdir, "%s/p", dir);
	mx_test_open_project(pdir, &p, &rt, &conn);
	struct mx_cache_options opt = {.backend = MX_CACHE_MEMORY};
	struct mx_err err;
	assert_int_equal(0, mx_cache_open(&opt, &cache, &err));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_cache_close(cache);
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
	mx_test_rmrf(dir);
	return 0;
}

/* Call tool `name` with args (JSON text or NULL) as ctx; returns the
 * report's cached flag, the result in *out (caller frees). */
static int call(const char *name, const char *args, struct mx_call_ctx *ctx, uint64_t gen, json_t **out,
                int *rc)
{
	const struct mx_endpoint *ep = mx_project_find(p, MX_EP_TOOL, name);
	assert_non_null(ep);
	struct mx_invoke_report rep = {0};
	struct mx_invoke_cache ic = {.cache = cache, .cfg = &cfg, .generation = gen};
	struct mx_invoke_opts opts = {.report = &rep, .cache = &ic};
	json_t *a = args ? mx_test_json(args) : NULL;
	struct mx_err err;
	*rc = mx_invoke(rt, conn, ep, a, ctx, &opts, out, &err);
	json_decref(a);
	return rep.cached;
}

static void test_cacheable(void **state)
{
	(void)state;
	const char *why = NULL;
	assert_true(mx_invoke_cacheable(mx_project_find(p, MX_EP_TOOL, "add"), &why));
	assert_false(mx_invoke_cacheable(mx_project_find(p, MX_EP_TOOL, "write"), &why));
	assert_non_null(strstr(why, "readOnlyHint"));
	assert_false(mx_invoke_cacheable(mx_project_find(p, MX_EP_TOOL, "hdr"), &why));
	assert_non_null(strstr(why, "request headers"));
	int rc;
	json_t *r = NULL;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(0, call("write", NULL, NULL, 1, &r, &rc));
		assert_int_equal(0, rc);
		json_decref(r);
	}
}

/* Canonical arguments (order, defaults) share an entry; another generation does not. */
static void test_key_arguments_generation(void **state)
{
	(void)state;
	int rc;
	json_t *r = NULL;
	assert_int_equal(0, call("add", "{\"a\":1,\"b\":2}", NULL, 7, &r, &rc));
	MX_ASSERT_JSON_EQ("3", r);
	json_decref(r);
	assert_int_equal(1, call("add", "{\"b\":2,\"a\":1}", NULL, 7, &r, &rc));
	MX_ASSERT_JSON_EQ("3", r);
	json_decref(r);
	/* the default applied is part of the converted arguments */
	assert_int_equal(0, call("add", "{\"a\":1}", NULL, 7, &r, &rc));
	MX_ASSERT_JSON_EQ("11", r);
	json_decref(r);
	assert_int_equal(1, call("add", "{\"a\":1,\"b\":10}", NULL, 7, &r, &rc));
	json_decref(r);
	assert_int_equal(0, call("add", "{\"a\":1,\"b\":2}", NULL, 8, &r, &rc));
	json_decref(r);
	/* a bad argument fails before the cache */
	assert_int_equal(0, call("add", "{\"a\":\"x\"}", NULL, 7, &r, &rc));
	assert_int_not_equal(0, rc);
}

/* SQL that reads the user is keyed by the user: never shared. */
static void test_identity(void **state)
{
	(void)state;
	json_t *alice = mx_test_json("{\"user_id\":\"a1\",\"username\":\"alice\",\"exp\":1}");
	json_t *alice2 = mx_test_json("{\"user_id\":\"a1\",\"username\":\"alice\",\"exp\":2}");
	json_t *bob = mx_test_json("{\"user_id\":\"b1\",\"username\":\"bob\"}");
	int rc;
	json_t *r = NULL;
	struct mx_call_ctx a = {.user_context = alice, .user_provider = "test"};
	assert_int_equal(0, call("who", NULL, &a, 1, &r, &rc));
	MX_ASSERT_JSON_EQ("\"alice\"", r);
	json_decref(r);
	mx_call_ctx_clear(&a);
	struct mx_call_ctx b = {.user_context = bob, .user_provider = "test"};
	assert_int_equal(0, call("who", NULL, &b, 1, &r, &rc));
	MX_ASSERT_JSON_EQ("\"bob\"", r);
	json_decref(r);
	mx_call_ctx_clear(&b);
	struct mx_call_ctx a2 = {.user_context = alice2, .user_provider = "test"};
	assert_int_equal(1, call("who", NULL, &a2, 1, &r, &rc));
	MX_ASSERT_JSON_EQ("\"alice\"", r);
	json_decref(r);
	mx_call_ctx_clear(&a2);
	json_decref(alice);
	json_decref(alice2);
	json_decref(bob);
}

/* The input policy runs on every call: a deny is never served or stored. */
static void test_policy_every_call(void **state)
{
	(void)state;
	int rc;
	json_t *r = NULL;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(0, call("guarded", "{\"n\":13}", NULL, 1, &r, &rc));
		assert_int_equal(MX_EPOLICY, rc);
	}
	assert_int_equal(0, call("guarded", "{\"n\":5}", NULL, 1, &r, &rc));
	json_decref(r);
	assert_int_equal(1, call("guarded", "{\"n\":5}", NULL, 1, &r, &rc));
	MX_ASSERT_JSON_EQ("5", r);
	json_decref(r);
}

static void test_bypass_header(void **state)
{
	(void)state;
	int rc;
	json_t *r = NULL;
	json_t *h = mx_test_json("{\"x-mxcp-cache\":\"bypass\"}");
	assert_int_equal(0, call("add", "{\"a\":100}", NULL, 3, &r, &rc));
	json_decref(r);
	struct mx_call_ctx c = {.request_headers = h};
	assert_int_equal(0, call("add", "{\"a\":100}", &c, 3, &r, &rc));
	json_decref(r);
	mx_call_ctx_clear(&c);
	json_decref(h);
}

/* The hit path's lookup-only mode: a miss defers, a hit answers. */
static void test_lookup_only(void **state)
{
	(void)state;
	const struct mx_endpoint *ep = mx_project_find(p, MX_EP_TOOL, "add");
	struct mx_invoke_report rep = {0};
	struct mx_invoke_cache ic = {.cache = cache, .cfg = &cfg, .generation = 9, .lookup_only = 1};
	struct mx_invoke_opts opts = {.report = &rep, .cache = &ic};
	json_t *a = mx_test_json("{\"a\":5}");
	json_t *r = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_invoke(rt, NULL, ep, a, NULL, &opts, &r, &err));
	assert_null(r);
	assert_true(ic.deferred);
	assert_true(ic.looked_up);
	/* the worker's run: no second lookup, the store */
	ic.lookup_only = 0;
	ic.deferred = 0;
	assert_int_equal(0, mx_invoke(rt, conn, ep, a, NULL, &opts, &r, &err));
	MX_ASSERT_JSON_EQ("15", r);
	assert_false(rep.cached);
	json_decref(r);
	struct mx_invoke_cache ic2 = {.cache = cache, .cfg = &cfg, .generation = 9, .lookup_only = 1};
	opts.cache = &ic2;
	assert_int_equal(0, mx_invoke(rt, NULL, ep, a, NULL, &opts, &r, &err));
	assert_false(ic2.deferred);
	assert_true(rep.cached);
	MX_ASSERT_JSON_EQ("15", r);
	json_decref(r);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cacheable),     cmocka_unit_test(test_key_arguments_generation),
	        cmocka_unit_test(test_identity),      cmocka_unit_test(test_policy_every_call),
	        cmocka_unit_test(test_bypass_header), cmocka_unit_test(test_lookup_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
