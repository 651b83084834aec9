/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/mcp/jsonrpc.c: classification, shape errors, limits, batches, builders. */
#include "harness.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "mcp/jsonrpc.h"

#include <string.h>

struct parsed {
	struct mx_rpc_msg *m;
	size_t n;
	int batch;
};

static struct parsed parse(const char *text, int allow_batch)
{
	struct parsed p;
	struct mx_rpc_limits lim = {.max_bytes = 4096, .max_depth = 8};
	assert_int_equal(0, mx_rpc_parse(text, strlen(text), &lim, allow_batch, &p.m, &p.n, &p.batch));
	return p;
}

static void done(struct parsed *p)
{
	mx_rpc_msgs_free(p->m, p->n);
}

/* One message that must be invalid with this code and message. */
static void expect_invalid(const char *text, int code, const char *msg, const char *id_json)
{
	struct parsed p = parse(text, 0);
	assert_int_equal(1, p.n);
	assert_int_equal(MX_RPC_INVALID, p.m[0].kind);
	assert_int_equal(code, p.m[0].error_code);
	if (msg)
		assert_string_equal(msg, p.m[0].error_message);
	if (id_json)
		MX_ASSERT_JSON_EQ(id_json, p.m[0].id);
	else
		assert_null(p.m[0].id);
	done(&p);
}

static void test_kinds(void **state)
{
	(void)state;
	struct parsed p = parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{}}", 0);
	assert_int_equal(1, p.n);
	assert_int_equal(0, p.batch);
	assert_int_equal(MX_RPC_REQUEST, p.m[0].kind);
	assert_string_equal("ping", p.m[0].method);
	MX_ASSERT_JSON_EQ("7", p.m[0].id);
	MX_ASSERT_JSON_EQ("{}", p.m[0].params);
	done(&p);

	p = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", 0);
	assert_int_equal(MX_RPC_NOTIFICATION, p.m[0].kind);
	assert_null(p.m[0].id);
	assert_null(p.m[0].params);
	done(&p);

	p = parse("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}}", 0);
	assert_int_equal(MX_RPC_RESPONSE, p.m[0].kind);
	done(&p);

	p = parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":1,\"message\":\"x\"}}", 0);
	assert_int_equal(MX_RPC_RESPONSE, p.m[0].kind);
	done(&p);
}

static void test_shape_errors(void **state)
{
	(void)state;
	expect_invalid("{\"id\":1,\"method\":\"ping\"}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: \"jsonrpc\" must be \"2.0\"", "1");
	expect_invalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", MX_RPC_INVALID_REQUEST, NULL,
	               "1");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: \"id\" must be a string or an integer", NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: \"id\" must not be null", NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", MX_RPC_INVALID_REQUEST, NULL,
	               NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":5}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: \"method\" must be a string", "2");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x\",\"params\":3}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: \"params\" must be an object or an array", "2");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":2}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: missing \"method\"", "2");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":1,\"error\":{}}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: a response has \"result\" or \"error\", not both", "2");
	expect_invalid("[1]", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: batches are not supported by this protocol revision", NULL);
	expect_invalid("42", MX_RPC_INVALID_REQUEST, "Invalid Request: expected a JSON object", NULL);
}

static void test_parse_errors_and_limits(void **state)
{
	(void)state;
	expect_invalid("{\"jsonrpc\":", MX_RPC_PARSE_ERROR, NULL, NULL);
	expect_invalid("{} trailing", MX_RPC_PARSE_ERROR, NULL, NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", MX_RPC_PARSE_ERROR, NULL, NULL);
	/* depth 8 is fine, 9 is not; brackets inside strings do not count */
	struct parsed p =
	        parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":[[[[[[1]]]]]],"
	              "\"s\":\"[[[[[[[[[[[[\"}}",
	              0);
	assert_int_equal(MX_RPC_REQUEST, p.m[0].kind);
	done(&p);
	expect_invalid("{\"a\":[[[[[[[[1]]]]]]]]}", MX_RPC_INVALID_REQUEST,
	               "Invalid Request: JSON nesting deeper than 8 levels", NULL);
	char big[5000];
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[sizeof big - 2] = '}';
	big[sizeof big - 1] = '\0';
	expect_invalid(big, MX_RPC_INVALID_REQUEST,
	               "Invalid Request: message of 4999 bytes exceeds the limit of 4096 bytes", NULL);
}

static void test_batches(void **state)
{
	(void)state;
	struct parsed p = parse("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"},"
	                        "{\"jsonrpc\":\"2.0\",\"method\":\"b\"}, 5]",
	                        1);
	assert_int_equal(1, p.batch);
	assert_int_equal(3, p.n);
	assert_int_equal(MX_RPC_REQUEST, p.m[0].kind);
	assert_int_equal(MX_RPC_NOTIFICATION, p.m[1].kind);
	assert_int_equal(MX_RPC_INVALID, p.m[2].kind);
	done(&p);
	p = parse("[]", 1);
	assert_int_equal(0, p.batch);
	assert_int_equal(MX_RPC_INVALID, p.m[0].kind);
	assert_string_equal("Invalid Request: empty batch", p.m[0].error_message);
	done(&p);
}

static void test_builders(void **state)
{
	(void)state;
	json_t *id = json_integer(3);
	json_t *r = mx_rpc_result(id, json_pack("{s:i}", "a", 1));
	MX_ASSERT_JSON_EQ("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"a\":1}}", r);
	json_decref(r);
	r = mx_rpc_error(NULL, -32600, "bad", json_string("d"));
	MX_ASSERT_JSON_EQ("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"bad\","
	                  "\"data\":\"d\"}}",
	                  r);
	json_decref(r);
	r = mx_rpc_notification("notifications/x", NULL);
	MX_ASSERT_JSON_EQ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}", r);
	json_decref(r);
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	assert_int_equal(0, mx_rpc_dump_raw_result(&b, id, "{\"x\":[]}", 8));
	assert_string_equal("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"x\":[]}}", mx_buf_str(&b));
	mx_buf_free(&b);
	json_decref(id);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	const char *text = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"k\":[1,2]}},"
	                   "{\"jsonrpc\":\"2.0\",\"method\":\"b\"}]";
	int ok = 0;
	for (long n = 1; n < 200 && !ok; n++) {
		struct mx_rpc_msg *m = NULL;
		size_t cnt = 0;
		int batch = 0;
		mx_alloc_fail_after(n);
		int rc = mx_rpc_parse(text, strlen(text), NULL, 1, &m, &cnt, &batch);
		mx_alloc_fail_after(0);
		if (rc == 0) {
			ok = cnt == 2 && m[0].kind == MX_RPC_REQUEST;
			mx_rpc_msgs_free(m, cnt);
		} else {
			assert_int_equal(MX_ENOMEM, rc);
		}
	}
	assert_true(ok);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kinds),
	        cmocka_unit_test(test_shape_errors),
	        cmocka_unit_test(test_parse_errors_and_limits),
	        cmocka_unit_test(test_batches),
	        cmocka_unit_test(test_builders),
	        cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
