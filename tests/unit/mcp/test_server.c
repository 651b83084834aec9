/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/mcp/server.c and its handlers: a session driven with a sink
 * that collects every outgoing message, over a temporary project on an
 * in-memory DuckDB. Covers both revision eras, lists with pagination, calls,
 * resources via templates, prompts, completion, batches, logging,
 * cancellation, progress and reload.
 */
#include "harness.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "mcp/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------- collector */

struct collector {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	json_t *msgs; /* every message received and not yet taken */
	int sent;
};

static int collect(void *ctx, const char *json, size_t len, const json_t *msg)
{
	struct collector *c = ctx;
	json_error_t jerr;
	json_t *v = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("server sent invalid JSON: %.*s", (int)len, json);
	/* The parsed message handed along (for routing) is the text's. */
	if (msg != NULL && !json_equal(v, (json_t *)msg))
		fail_msg("the message handed to the sink differs from its text: %.*s", (int)len, json);
	if (memchr(json, '\n', len) != NULL)
		fail_msg("server sent a newline inside a message");
	pthread_mutex_lock(&c->mu);
	json_array_append_new(c->msgs, v);
	c->sent++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

typedef int (*match_fn)(const json_t *msg, const void *arg);

static int is_response_to(const json_t *m, const void *arg)
{
	const json_t *id = json_object_get(m, "id");
	return json_is_object(m) && id && json_equal((json_t *)id, (json_t *)arg) &&
	       json_object_get(m, "method") == NULL;
}

static int is_method(const json_t *m, const void *arg)
{
	return json_is_object(m) && json_is_string(json_object_get(m, "method")) &&
	       strcmp(json_string_value(json_object_get(m, "method")), arg) == 0;
}

static int is_array(const json_t *m, const void *arg)
{
	(void)arg;
	return json_is_array(m);
}

/* Take the first message that matches, waiting up to ms; NULL on timeout. */
static json_t *take(struct collector *c, match_fn fn, const void *arg, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	json_t *found = NULL;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		size_t i;
		json_t *m;
		json_array_foreach (c->msgs, i, m) {
			if (fn(m, arg)) {
				found = json_incref(m);
				json_array_remove(c->msgs, i);
				break;
			}
		}
		if (found || pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&c->mu);
	return found;
}

static size_t remaining(struct collector *c)
{
	pthread_mutex_lock(&c->mu);
	size_t n = json_array_size(c->msgs);
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* --------------------------------------------------------------- fixture */

struct fx {
	char dir[512];
	struct mx_project *project;
	struct mx_runtime *rt;
	struct mx_mcp_server *srv;
	struct mx_mcp_session *ss;
	struct collector col;
};

static const char SITE[] = "mxcp: 1\nproject: demo\nprofile: dev\n"
                           "profiles:\n  dev:\n    duckdb:\n      path: ':memory:'\n"
                           "sql_tools:\n  enabled: true\n";

static void write_project(const char *dir)
{
	mx_test_write(dir, "mxcp-site.yml", SITE);
	mx_test_write(dir, "tools/add.yml",
	              "mxcp: 1\ntool:\n  name: add\n  description: Add two numbers\n"
	              "  annotations: {title: Adder, readOnlyHint: true}\n"
	              "  parameters:\n    - {name: a, type: integer, description: first}\n"
	              "    - {name: b, type: integer, description: second, default: 1}\n"
	              "  return: {type: integer}\n  source: {code: 'SELECT $a + $b AS sum'}\n");
	mx_test_write(dir, "tools/echo.yml",
	              "mxcp: 1\ntool:\n  name: echo\n  description: Echo\n"
	              "  parameters:\n    - {name: text, type: string, description: t}\n"
	              "  source: {code: 'SELECT $text AS text'}\n");
	mx_test_write(dir, "tools/fail.yml",
	              "mxcp: 1\ntool:\n  name: fail\n  description: Fails\n"
	              "  source: {code: 'SELECT * FROM no_such_table'}\n");
	mx_test_write(
	        dir, "tools/slow.yml",
	        "mxcp: 1\ntool:\n  name: slow\n  description: Slow\n"
	        "  source: {code: 'SELECT count(*) AS n FROM range(10000000000) t(x) WHERE x % 7 = 3'}\n");
	mx_test_write(dir, "tools/scan.yml",
	              "mxcp: 1\ntool:\n  name: scan\n  description: Scans\n"
	              "  source: {code: \"SELECT count(*) AS n FROM big WHERE md5(md5(x::VARCHAR)) LIKE "
	              "'%abc%'\"}\n");
	mx_test_write(dir, "resources/user.yml",
	              "mxcp: 1\nresource:\n  uri: 'data://users/{id}'\n  description: A user\n"
	              "  parameters:\n    - {name: id, type: integer, description: id}\n"
	              "  return: {type: object}\n"
	              "  source: {code: \"SELECT $id AS id, 'user' || $id AS name\"}\n");
	mx_test_write(dir, "resources/greeting.yml",
	              "mxcp: 1\nresource:\n  uri: 'data://greeting'\n  name: Greeting\n"
	              "  return: {type: string}\n  source: {code: \"SELECT 'hello' AS g\"}\n");
	mx_test_write(dir, "prompts/greet.yml",
	              "mxcp: 1\nprompt:\n  name: greet\n  description: Greets\n"
	              "  parameters:\n    - {name: who, type: string, description: Who, enum: [alice, bob, "
	              "alfred]}\n"
	              "    - {name: style, type: string, description: How, default: short}\n"
	              "  messages:\n    - {role: system, prompt: 'Hello {{ who }}'}\n"
	              "    - {role: assistant, prompt: 'Reply {{ style }}'}\n");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mx_test_tmpdir(f->dir, sizeof f->dir);
	write_project(f->dir);
	struct mx_project_options popt = {.dir = f->dir};
	struct mx_err err;
	if (mx_project_load(&popt, &f->project, &err))
		fail_msg("load: %s", err.msg);
	if (mx_runtime_open(f->project, &f->rt, &err))
		fail_msg("runtime: %s", err.msg);
	struct mx_mcp_server_options opt = {
	        .caller = MX_CALLER_STDIO, .sql_tools = -1, .workers = 2, .page_size = 3};
	if (mx_mcp_server_new(f->rt, &opt, &f->srv, &err))
		fail_msg("server: %s", err.msg);
	pthread_mutex_init(&f->col.mu, NULL);
	pthread_cond_init(&f->col.cv, NULL);
	f->col.msgs = json_array();
	struct mx_mcp_sink sink = {collect, &f->col};
	f->ss = mx_mcp_session_new(f->srv, &sink);
	assert_non_null(f->ss);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mx_mcp_session_free(f->ss);
	mx_mcp_server_free(f->srv);
	mx_runtime_close(f->rt);
	mx_project_unref(f->project);
	json_decref(f->col.msgs);
	pthread_cond_destroy(&f->col.cv);
	pthread_mutex_destroy(&f->col.mu);
	mx_test_rmrf(f->dir);
	free(f);
	return 0;
}

static void send_text(struct fx *f, const char *text)
{
	mx_mcp_session_receive(f->ss, text, strlen(text));
}

/* Send a request with integer id and return its response (waits). */
static json_t *rpc(struct fx *f, int id, const char *method, const char *params_json)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"%s%s}", id, method,
	         params_json ? ",\"params\":" : "", params_json ? params_json : "");
	send_text(f, buf);
	json_t *jid = json_integer(id);
	json_t *r = take(&f->col, is_response_to, jid, 10000);
	json_decref(jid);
	if (r == NULL)
		fail_msg("no response to %s", buf);
	return r;
}

#define EXPECT_RPC(f, id, method, params, expected)                   \
	do {                                                          \
		json_t *r_ = rpc((f), (id), (method), (params));      \
		if (getenv("MX_DEBUG_JSON")) {                        \
			char *d_ = mx_json_dumps(r_, MX_JSON_SORTED); \
			fprintf(stderr, "GOT %s\n", d_);              \
			mx_free(d_);                                  \
		}                                                     \
		MX_ASSERT_JSON_EQ((expected), r_);                    \
		json_decref(r_);                                      \
	} while (0)

static void initialize(struct fx *f, const char *version)
{
	char params[256];
	snprintf(params, sizeof params,
	         "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":"
	         "\"1\"}}",
	         version);
	json_decref(rpc(f, 0, "initialize", params));
	send_text(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

/* initialize (the revisions with resources/subscribe) and server/discover */
#define CAPS                                                                                         \
	"{\"tools\":{\"listChanged\":true},\"resources\":{\"subscribe\":true,\"listChanged\":true}," \
	"\"prompts\":{\"listChanged\":true},\"logging\":{},\"completions\":{}}"
/* 2026-07-28's server/discover: the same (subscriptions/listen serves
 * resourceSubscriptions) */
#define CAPS26 CAPS

/* ----------------------------------------------------------------- tests */

static void test_lifecycle(void **state)
{
	struct fx *f = *state;
	EXPECT_RPC(
	        f, 1, "tools/list", NULL,
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32600,\"message\":\"Invalid Request: the "
	        "session is not initialized (send initialize first, or use protocol revision 2026-07-28 "
	        "with _meta)\"}}");
	EXPECT_RPC(f, 2, "ping", NULL, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
	EXPECT_RPC(f, 3, "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"protocolVersion\":\"2025-06-18\","
	           "\"capabilities\":" CAPS
	           ",\"serverInfo\":{\"name\":\"MXCP Server\",\"version\":\"" MXCP_VERSION
	           "\",\"title\":\"demo\"}}}");
	/* an unknown revision gets our latest of the era; 2024-11-05 has no title */
	EXPECT_RPC(f, 4, "initialize", "{\"protocolVersion\":\"1999-01-01\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"protocolVersion\":\"2025-11-25\","
	           "\"capabilities\":" CAPS
	           ",\"serverInfo\":{\"name\":\"MXCP Server\",\"version\":\"" MXCP_VERSION
	           "\",\"title\":\"demo\"}}}");
	EXPECT_RPC(f, 5, "initialize", "{\"protocolVersion\":\"2024-11-05\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"protocolVersion\":\"2024-11-05\","
	           "\"capabilities\":" CAPS
	           ",\"serverInfo\":{\"name\":\"MXCP Server\",\"version\":\"" MXCP_VERSION "\"}}}");
	EXPECT_RPC(f, 6, "initialize", "{}",
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "\\\"protocolVersion\\\" must be a string\"}}");
	EXPECT_RPC(f, 7, "no/such", NULL,
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32601,\"message\":\"Method not found: "
	           "no/such\"}}");
	EXPECT_RPC(f, 8, "notifications/initialized", NULL,
	           "{\"jsonrpc\":\"2.0\",\"id\":8,\"error\":{\"code\":-32601,\"message\":\"Method not found: "
	           "notifications/initialized\"}}");
	EXPECT_RPC(f, 9, "logging/setLevel", "{\"level\":\"loud\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "\\\"level\\\" must be one of debug, info, notice, warning, error, critical, alert, "
	           "emergency\"}}");
	EXPECT_RPC(f, 10, "logging/setLevel", "{\"level\":\"info\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":{}}");
	/* garbage and invalid UTF-8 are answered and the session goes on */
	send_text(f, "{not json");
	json_t *e = take(&f->col, is_response_to, json_null(), 1000);
	assert_non_null(e);
	assert_int_equal(-32700, json_integer_value(json_object_get(json_object_get(e, "error"), "code")));
	json_decref(e);
	send_text(f, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"ping\",\"params\":{\"x\":\"\xc3\x28\"}}");
	e = take(&f->col, is_response_to, json_null(), 1000);
	assert_non_null(e);
	assert_int_equal(-32700, json_integer_value(json_object_get(json_object_get(e, "error"), "code")));
	json_decref(e);
	EXPECT_RPC(f, 12, "ping", NULL, "{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":{}}");
	assert_int_equal(0, remaining(&f->col));
}

static void test_tools_list(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-06-18");
	EXPECT_RPC(f, 1, "tools/list", NULL,
	           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":["
	           "{\"name\":\"add\",\"title\":\"Adder\",\"description\":\"Add two numbers\","
	           "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
	           "\"a\":{\"type\":\"integer\",\"description\":\"first\"},"
	           "\"b\":{\"type\":\"integer\",\"description\":\"second\",\"default\":1}},"
	           "\"required\":[\"a\"]},"
	           "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"result\":{\"anyOf\":"
	           "[{\"type\":\"integer\"},{\"type\":\"null\"}]}},\"required\":[\"result\"]},"
	           "\"annotations\":{\"title\":\"Adder\",\"readOnlyHint\":true}},"
	           "{\"name\":\"echo\",\"description\":\"Echo\",\"inputSchema\":{\"type\":\"object\","
	           "\"properties\":{\"text\":{\"type\":\"string\",\"description\":\"t\"}},"
	           "\"required\":[\"text\"]}},"
	           "{\"name\":\"fail\",\"description\":\"Fails\",\"inputSchema\":{\"type\":\"object\","
	           "\"properties\":{}}}],\"nextCursor\":\"p3\"}}");
	/* walk every page: project tools in name order, then the built-in SQL tools */
	const char *expect[] = {"add",         "echo",
	                        "fail",        "scan",
	                        "slow",        "execute_sql_query",
	                        "list_tables", "get_table_schema"};
	size_t k = 0;
	json_t *cursor = NULL;
	for (int id = 2; id < 10; id++) {
		char params[128] = "{}";
		if (cursor)
			snprintf(params, sizeof params, "{\"cursor\":\"%s\"}", json_string_value(cursor));
		json_t *r = rpc(f, id, "tools/list", params);
		json_t *res = json_object_get(r, "result");
		size_t i;
		json_t *t;
		json_array_foreach (json_object_get(res, "tools"), i, t) {
			assert_true(k < 8);
			assert_string_equal(expect[k++], json_string_value(json_object_get(t, "name")));
		}
		json_decref(cursor);
		cursor = json_incref(json_object_get(res, "nextCursor"));
		json_decref(r);
		if (cursor == NULL)
			break;
	}
	assert_int_equal(8, k);
	EXPECT_RPC(f, 20, "tools/list", "{\"cursor\":\"p1\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":20,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "invalid cursor\"}}");
	EXPECT_RPC(f, 21, "tools/list", "{\"cursor\":\"p99\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":21,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "invalid cursor\"}}");
}

static void test_tools_list_old_revision(void **state)
{
	struct fx *f = *state;
	initialize(f, "2024-11-05");
	json_t *r = rpc(f, 1, "tools/list", NULL);
	json_t *add = json_array_get(json_object_get(json_object_get(r, "result"), "tools"), 0);
	assert_null(json_object_get(add, "title"));
	assert_null(json_object_get(add, "outputSchema"));
	assert_null(json_object_get(add, "annotations"));
	assert_non_null(json_object_get(add, "inputSchema"));
	json_decref(r);
}

static void test_tools_call(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	EXPECT_RPC(
	        f, 1, "tools/call", "{\"name\":\"add\",\"arguments\":{\"a\":2,\"b\":\"40\"}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"42\"}],"
	        "\"isError\":false,\"structuredContent\":{\"result\":42}}}");
	EXPECT_RPC(f, 2, "tools/call", "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"{\\\"text\\\":\\\"hi\\\"}\"}],\"isError\":false}}");
	EXPECT_RPC(f, 3, "tools/call", "{\"name\":\"add\",\"arguments\":{\"b\":1}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"Error executing tool add: Required parameter missing: a\"}],\"isError\":true}}");
	EXPECT_RPC(f, 4, "tools/call", "{\"name\":\"add\",\"arguments\":{\"a\":1,\"zz\":1}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"Error executing tool add: Unknown parameter: zz\"}],\"isError\":true}}");
	EXPECT_RPC(f, 5, "tools/call", "{\"name\":\"nope\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32602,\"message\":\"Unknown tool: "
	           "nope\"}}");
	EXPECT_RPC(f, 6, "tools/call", "{\"arguments\":{}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "\\\"name\\\" must be a string\"}}");
	EXPECT_RPC(f, 7, "tools/call", "{\"name\":\"add\",\"arguments\":[1]}",
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "\\\"arguments\\\" must be an object\"}}");
	json_t *r = rpc(f, 8, "tools/call", "{\"name\":\"fail\"}");
	json_t *res = json_object_get(r, "result");
	assert_true(json_is_true(json_object_get(res, "isError")));
	const char *text = json_string_value(
	        json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
	assert_non_null(strstr(text, "Error executing tool fail: Failed to execute SQL"));
	assert_non_null(strstr(text, "no_such_table"));
	json_decref(r);
	/* built-in SQL tools */
	EXPECT_RPC(f, 9, "tools/call",
	           "{\"name\":\"execute_sql_query\",\"arguments\":{\"sql\":\"CREATE TABLE t(a INT, b TEXT); "
	           "INSERT INTO t VALUES (1, 'x'); SELECT * FROM t\"}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"{\\\"a\\\":1,\\\"b\\\":\\\"x\\\"}\"}],\"isError\":false,"
	           "\"structuredContent\":{\"result\":[{\"a\":1,\"b\":\"x\"}]}}}");
	EXPECT_RPC(f, 10, "tools/call", "{\"name\":\"list_tables\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"{\\\"name\\\":\\\"t\\\",\\\"type\\\":\\\"BASE TABLE\\\"}\"}],\"isError\":false,"
	           "\"structuredContent\":{\"result\":[{\"name\":\"t\",\"type\":\"BASE TABLE\"}]}}}");
	EXPECT_RPC(
	        f, 11, "tools/call", "{\"name\":\"get_table_schema\",\"arguments\":{\"table_name\":\"t\"}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	        "\"{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"INTEGER\\\",\\\"nullable\\\":\\\"YES\\\"}\"},"
	        "{\"type\":\"text\",\"text\":"
	        "\"{\\\"name\\\":\\\"b\\\",\\\"type\\\":\\\"VARCHAR\\\",\\\"nullable\\\":\\\"YES\\\"}\"}],"
	        "\"isError\":false,\"structuredContent\":{\"result\":[{\"name\":\"a\",\"type\":\"INTEGER\","
	        "\"nullable\":\"YES\"},{\"name\":\"b\",\"type\":\"VARCHAR\",\"nullable\":\"YES\"}]}}}");
	assert_int_equal(0, remaining(&f->col));
}

static void test_resources(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	EXPECT_RPC(f, 1, "resources/list", NULL,
	           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"resources\":[{\"uri\":\"data://greeting\","
	           "\"name\":\"Greeting\",\"mimeType\":\"text/plain\"}]}}");
	EXPECT_RPC(f, 2, "resources/templates/list", NULL,
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"resourceTemplates\":[{\"uriTemplate\":"
	           "\"data://users/{id}\",\"name\":\"data://users/{id}\",\"description\":\"A user\","
	           "\"mimeType\":\"application/json\"}]}}");
	EXPECT_RPC(f, 3, "resources/read", "{\"uri\":\"data://users/7\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"contents\":[{\"uri\":\"data://users/7\","
	           "\"mimeType\":\"application/"
	           "json\",\"text\":\"{\\\"id\\\":7,\\\"name\\\":\\\"user7\\\"}\"}]}}");
	EXPECT_RPC(f, 4, "resources/read", "{\"uri\":\"data://greeting\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"contents\":[{\"uri\":\"data://greeting\","
	           "\"mimeType\":\"text/plain\",\"text\":\"hello\"}]}}");
	EXPECT_RPC(
	        f, 5, "resources/read", "{\"uri\":\"data://nothing\"}",
	        "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32002,\"message\":\"Resource not found: "
	        "data://nothing\",\"data\":{\"uri\":\"data://nothing\"}}}");
	EXPECT_RPC(f, 6, "resources/read", "{\"uri\":\"data://users/abc\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-32602,\"message\":\"Error validating "
	           "parameter 'id': Expected integer, got str\"}}");
	EXPECT_RPC(f, 7, "resources/read", "{}",
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "\\\"uri\\\" must be a string\"}}");
}

static void test_prompts_and_completion(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	EXPECT_RPC(
	        f, 1, "prompts/list", NULL,
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"prompts\":[{\"name\":\"greet\",\"description\":"
	        "\"Greets\",\"arguments\":[{\"name\":\"who\",\"description\":\"Who\",\"required\":true},"
	        "{\"name\":\"style\",\"description\":\"How\",\"required\":false}]}]}}");
	EXPECT_RPC(f, 2, "prompts/get", "{\"name\":\"greet\",\"arguments\":{\"who\":\"bob\"}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"messages\":["
	           "{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"Hello bob\"}},"
	           "{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"Reply short\"}}],"
	           "\"description\":\"Greets\"}}");
	EXPECT_RPC(
	        f, 3, "prompts/get", "{\"name\":\"greet\"}",
	        "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"Required parameter "
	        "missing: who\"}}");
	EXPECT_RPC(f, 4, "prompts/get", "{\"name\":\"nope\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32602,\"message\":\"Unknown prompt: "
	           "nope\"}}");
	EXPECT_RPC(
	        f, 5, "completion/complete",
	        "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"greet\"},\"argument\":{\"name\":\"who\","
	        "\"value\":\"al\"}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"completion\":{\"values\":[\"alice\",\"alfred\"],"
	        "\"total\":2,\"hasMore\":false}}}");
	EXPECT_RPC(f, 6, "completion/complete",
	           "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"test_prompt_with_arguments\"},\"argument\":"
	           "{\"name\":\"arg1\",\"value\":\"test\"}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	           "unknown prompt 'test_prompt_with_arguments'\"}}");
	EXPECT_RPC(f, 7, "completion/complete",
	           "{\"ref\":{\"type\":\"ref/resource\",\"uri\":\"data://users/{id}\"},\"argument\":"
	           "{\"name\":\"id\",\"value\":\"\"}}",
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"completion\":{\"values\":[],\"total\":0,"
	           "\"hasMore\":false}}}");
}

#define META26                                                                                             \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/" \
	"clientCapabilities\":{}}"
#define SERVER_META                                                           \
	"\"_meta\":{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"MXCP " \
	"Server\",\"version\":\"" MXCP_VERSION "\",\"title\":\"demo\"}}"

static void test_stateless(void **state)
{
	struct fx *f = *state;
	/* no initialize at all */
	EXPECT_RPC(f, 1, "server/discover", "{" META26 "}",
	           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"supportedVersions\":[\"2026-07-28\",\"2025-"
	           "11-25\","
	           "\"2025-06-18\",\"2025-03-26\",\"2024-11-05\"],\"capabilities\":" CAPS26
	           ",\"resultType\":\"complete\",\"ttlMs\":60000,\"cacheScope\":\"public\"," SERVER_META
	           "}}");
	EXPECT_RPC(f, 2, "resources/list", "{" META26 "}",
	           "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"resources\":[{\"uri\":\"data://greeting\","
	           "\"name\":\"Greeting\",\"mimeType\":\"text/"
	           "plain\"}],\"resultType\":\"complete\",\"ttlMs\":60000,"
	           "\"cacheScope\":\"public\"," SERVER_META "}}");
	EXPECT_RPC(
	        f, 3, "resources/read", "{\"uri\":\"data://nothing\"," META26 "}",
	        "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"Resource not found: "
	        "data://nothing\",\"data\":{\"uri\":\"data://nothing\"}}}");
	EXPECT_RPC(f, 4, "resources/read", "{\"uri\":\"data://greeting\"," META26 "}",
	           "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"contents\":[{\"uri\":\"data://greeting\","
	           "\"mimeType\":\"text/plain\",\"text\":\"hello\"}],\"ttlMs\":0,\"cacheScope\":\"private\","
	           "\"resultType\":\"complete\"," SERVER_META "}}");
	EXPECT_RPC(
	        f, 5, "tools/call", "{\"name\":\"add\",\"arguments\":{\"a\":1}," META26 "}",
	        "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"2\"}],"
	        "\"isError\":false,\"structuredContent\":{\"result\":2},\"resultType\":"
	        "\"complete\"," SERVER_META "}}");
	EXPECT_RPC(
	        f, 6, "tools/list",
	        "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2030-01-01\"}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-32022,\"message\":\"Unsupported protocol "
	        "version\",\"data\":{\"supported\":[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-"
	        "26\","
	        "\"2024-11-05\"],\"requested\":\"2030-01-01\"}}}");
	EXPECT_RPC(
	        f, 16, "tools/list",
	        "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":16,\"error\":{\"code\":-32602,\"message\":\"Invalid params: "
	        "_meta[\\\"io.modelcontextprotocol/clientCapabilities\\\"] is required in protocol revision "
	        "2026-07-28\"}}");
	EXPECT_RPC(f, 7, "ping", "{" META26 "}",
	           "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32601,\"message\":\"Method not found: "
	           "ping\"}}");
	json_t *r = rpc(f, 8, "tools/list", "{" META26 "}");
	json_t *res = json_object_get(r, "result");
	assert_int_equal(60000, json_integer_value(json_object_get(res, "ttlMs")));
	assert_string_equal("p3", json_string_value(json_object_get(res, "nextCursor")));
	json_decref(r);
	/* a legacy request without _meta is still refused before initialize */
	r = rpc(f, 9, "tools/list", NULL);
	assert_int_equal(-32600, json_integer_value(json_object_get(json_object_get(r, "error"), "code")));
	json_decref(r);
}

static void test_batches(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-06-18");
	send_text(f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
	json_t *e = take(&f->col, is_response_to, json_null(), 1000);
	MX_ASSERT_JSON_EQ("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid "
	                  "Request: batches are not supported by this protocol revision\"}}",
	                  e);
	json_decref(e);

	initialize(f, "2025-03-26");
	send_text(f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
	             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
	             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"add\","
	             "\"arguments\":{\"a\":5}}},"
	             "{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"ping\"}]");
	json_t *arr = take(&f->col, is_array, NULL, 10000);
	assert_non_null(arr);
	assert_int_equal(3, json_array_size(arr));
	int seen = 0;
	size_t i;
	json_t *m;
	json_array_foreach (arr, i, m) {
		json_int_t id = json_integer_value(json_object_get(m, "id"));
		if (id == 1)
			MX_ASSERT_JSON_EQ("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", m);
		else if (id == 2)
			MX_ASSERT_JSON_EQ(
			        "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
			        "\"text\":\"6\"}],\"isError\":false}}",
			        m);
		else if (id == 3)
			assert_int_equal(-32600, json_integer_value(json_object_get(
			                                 json_object_get(m, "error"), "code")));
		seen |= 1 << id;
	}
	assert_int_equal(14, seen);
	json_decref(arr);
	/* a batch of notifications only gets no answer */
	send_text(f, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]");
	mx_mcp_session_drain(f->ss);
	assert_int_equal(0, remaining(&f->col));
}

static void test_logging(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	json_decref(rpc(f, 1, "tools/call", "{\"name\":\"fail\"}"));
	assert_int_equal(0, remaining(&f->col)); /* no level set: no log notifications */
	json_decref(rpc(f, 2, "logging/setLevel", "{\"level\":\"warning\"}"));
	json_t *r = rpc(f, 3, "tools/call", "{\"name\":\"fail\"}");
	json_decref(r);
	json_t *n = take(&f->col, is_method, "notifications/message", 1000);
	assert_non_null(n);
	json_t *p = json_object_get(n, "params");
	assert_string_equal("error", json_string_value(json_object_get(p, "level")));
	assert_string_equal("mxcp", json_string_value(json_object_get(p, "logger")));
	assert_non_null(strstr(json_string_value(json_object_get(p, "data")), "Error executing tool fail"));
	json_decref(n);
}

static void test_progress(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	json_t *r = rpc(f, 1, "tools/call",
	                "{\"name\":\"execute_sql_query\",\"arguments\":{\"sql\":\"CREATE TABLE big AS "
	                "SELECT range AS x FROM range(4000000)\"}}");
	assert_false(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
	json_decref(r);
	r = rpc(f, 2, "tools/call", "{\"name\":\"scan\",\"_meta\":{\"progressToken\":7}}");
	assert_false(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
	json_decref(r);
	/* DuckDB's progress of the table scan, as percentages, increasing, all
	 * before the response (which has been taken: what is left came first) */
	double last = 0;
	int count = 0;
	json_t *n;
	while ((n = take(&f->col, is_method, "notifications/progress", 0)) != NULL) {
		json_t *p = json_object_get(n, "params");
		MX_ASSERT_JSON_EQ("7", json_object_get(p, "progressToken"));
		double v = json_number_value(json_object_get(p, "progress"));
		assert_true(v > last && v <= 100);
		last = v;
		assert_int_equal(100, json_integer_value(json_object_get(p, "total")));
		json_decref(n);
		count++;
	}
	assert_true(count >= 1);
	assert_int_equal(0, remaining(&f->col));
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	send_text(f, "{\"jsonrpc\":\"2.0\",\"id\":\"slow-1\",\"method\":\"tools/"
	             "call\",\"params\":{\"name\":\"slow\"}}");
	/* other requests are served while the slow one runs */
	EXPECT_RPC(
	        f, 1, "tools/call", "{\"name\":\"add\",\"arguments\":{\"a\":1}}",
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"2\"}],"
	        "\"isError\":false,\"structuredContent\":{\"result\":2}}}");
	struct timespec ts = {0, 300000000L};
	nanosleep(&ts, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_text(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
	             "cancelled\",\"params\":{\"requestId\":\"slow-1\","
	             "\"reason\":\"test\"}}");
	mx_mcp_session_drain(f->ss);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	/* no response for the cancelled request */
	assert_int_equal(0, remaining(&f->col));
	/* the worker's connection works afterwards */
	for (int i = 0; i < 4; i++) {
		char expected[256];
		snprintf(
		        expected, sizeof expected,
		        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
		        "\"2\"}],\"isError\":false,\"structuredContent\":{\"result\":2}}}",
		        10 + i);
		EXPECT_RPC(f, 10 + i, "tools/call", "{\"name\":\"add\",\"arguments\":{\"a\":1}}", expected);
	}
}

static void test_free_cancels_running(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	send_text(f,
	          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}");
	struct timespec ts = {0, 300000000L};
	nanosleep(&ts, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mx_mcp_session_free(f->ss); /* cancels and waits */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	struct mx_mcp_sink sink = {collect, &f->col};
	f->ss = mx_mcp_session_new(f->srv, &sink);
	json_t *one = json_integer(1);
	assert_null(take(&f->col, is_response_to, one, 100));
	json_decref(one);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	initialize(f, "2025-11-25");
	mx_test_write(
	        f->dir, "tools/extra.yml",
	        "mxcp: 1\ntool:\n  name: extra\n  description: New\n  source: {code: 'SELECT 1 AS one'}\n");
	struct mx_project_options popt = {.dir = f->dir};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err))
		fail_msg("load: %s", err.msg);
	assert_int_equal(0, mx_mcp_server_reload(f->srv, p, &err));
	mx_project_unref(p);
	const char *names[] = {"notifications/tools/list_changed", "notifications/resources/list_changed",
	                       "notifications/prompts/list_changed"};
	for (int i = 0; i < 3; i++) {
		json_t *n = take(&f->col, is_method, names[i], 1000);
		assert_non_null(n);
		json_decref(n);
	}
	EXPECT_RPC(f, 1, "tools/call", "{\"name\":\"extra\"}",
	           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	           "\"{\\\"one\\\":1}\"}],\"isError\":false}}");
}

/* What a transport asks instead of knowing the protocol itself. */
static void test_transport_questions(void **state)
{
	struct fx *f = *state;
	/* every tool in one object: the items of the latest session revision, every page */
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(0, mx_mcp_server_tools_json(f->srv, &b));
	json_t *all = json_loadb(b.p, b.len, 0, NULL);
	mx_buf_free(&b);
	assert_non_null(all);
	json_t *tools = json_object_get(all, "tools");
	assert_int_equal(8, json_array_size(tools));
	assert_int_equal(1, json_object_size(all));
	initialize(f, "2025-11-25");
	json_t *first = rpc(f, 1, "tools/list", NULL);
	json_t *page = json_object_get(json_object_get(first, "result"), "tools");
	for (size_t i = 0; i < json_array_size(page); i++)
		assert_true(json_equal(json_array_get(page, i), json_array_get(tools, i)));
	json_decref(first);
	json_decref(all);

	/* may a request notify? progress, or a log level (the session's, or 2026-07-28's _meta) */
	json_t *m = mx_test_json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}");
	assert_false(mx_mcp_session_may_notify(f->ss, m));
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":7}}}");
	assert_true(mx_mcp_session_may_notify(f->ss, m));
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"progressToken\":7}}}");
	assert_false(mx_mcp_session_may_notify(f->ss, m)); /* answered at once */
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"method\":\"prompts/get\",\"params\":{\"_meta\":{"
	                 "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	                 "\"io.modelcontextprotocol/logLevel\":\"info\"}}}");
	assert_true(mx_mcp_session_may_notify(f->ss, m));
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"method\":\"resources/read\",\"params\":{}}");
	assert_false(mx_mcp_session_may_notify(f->ss, m));
	json_decref(rpc(f, 2, "logging/setLevel", "{\"level\":\"info\"}"));
	assert_true(mx_mcp_session_may_notify(f->ss, m));
	json_decref(m);

	/* a failed answer: a JSON-RPC error, or a tool result that says isError */
	m = mx_test_json("{\"id\":1,\"error\":{\"code\":-32602,\"message\":\"x\"}}");
	assert_true(mx_mcp_message_failed(m));
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"result\":{\"content\":[],\"isError\":true}}");
	assert_true(mx_mcp_message_failed(m));
	json_decref(m);
	m = mx_test_json("{\"id\":1,\"result\":{\"content\":[],\"isError\":false}}");
	assert_false(mx_mcp_message_failed(m));
	json_decref(m);

	assert_false(mx_mcp_server_saturated(f->srv));
	assert_int_equal(0, mx_mcp_server_pending(f->srv));
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tools_list, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tools_list_old_revision, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tools_call, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_prompts_and_completion, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stateless, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_logging, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_free_cancels_running, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_transport_questions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
