/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/mcp/observe.c with the server's observers (src/server/
 * observers.c): the audit records of one mx_mcp_server.
 *
 * Concurrency: 8 sessions (8 clients, each with its own MCP session id) on
 * one server, each sending 10,000 tools/call from its own thread with up to
 * 32 in flight, through the shared worker pool into one audit writer →
 * exactly 80,000 records, every line valid JSON with its session's id, each
 * (session, request id) pair exactly once, the sensitive argument redacted
 * everywhere, and the hash chain intact (mx_audit_verify).
 *
 * Refusal: a writer that cannot write (queue of one, on_full: fail, a path
 * that can never be created) makes the call fail with "Audit log
 * unavailable" instead of answering unrecorded.
 */
#include "harness.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "mcp/server.h"
#include "server/observers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENTS 8
#if defined(__SANITIZE_ADDRESS__)
#define CALLS 1000 /* ASan is ~8x slower: the release suite runs the full 8 x 10,000 */
#else
#define CALLS 10000
#endif
#define WINDOW 32
#define SECRET "s3cr3t-PW-do-not-log"

struct client {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int answered, errors;
	char last_error[512];
	struct mx_mcp_session *ss;
	int index;
};

static int count_reply(void *ctx, const char *json, size_t len, const json_t *msg)
{
	(void)msg;
	struct client *c = ctx;
	json_t *v = json_loadb(json, len, 0, NULL);
	const json_t *res = json_object_get(v, "result");
	const json_t *err = json_object_get(v, "error");
	pthread_mutex_lock(&c->mu);
	if (json_integer_value(json_object_get(v, "id")) > 0 || json_is_string(json_object_get(v, "id"))) {
		c->answered++;
		if (err || json_is_true(json_object_get(res, "isError"))) {
			c->errors++;
			const char *m = json_string_value(json_object_get(err, "message"));
			snprintf(c->last_error, sizeof c->last_error, "%s", m ? m : "tool error");
		}
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	json_decref(v);
	return 0;
}

struct fx {
	char dir[512];
	char audit_path[600];
	struct mx_project *project;
	struct mx_runtime *rt;
	struct mx_audit *audit;
	struct mx_mcp_server *srv;
	struct mx_call_observer observers[MX_SERVER_MAX_OBSERVERS];
	size_t nobservers;
};

static void fx_open(struct fx *f, const struct mx_audit_options *aopt_in)
{
	mx_test_tmpdir(f->dir, sizeof f->dir);
	mx_test_write(f->dir, "mxcp-site.yml",
	              "mxcp: 1\nproject: aud\nprofile: dev\n"
	              "profiles:\n  dev:\n    duckdb:\n      path: ':memory:'\n");
	mx_test_write(f->dir, "tools/login.yml",
	              "mxcp: 1\ntool:\n  name: login\n  description: Login\n"
	              "  parameters:\n    - {name: user, type: string, description: u}\n"
	              "    - {name: password, type: string, description: p, sensitive: true}\n"
	              "  return: {type: integer}\n"
	              "  source: {code: 'SELECT length($user) + length($password) AS n'}\n");
	struct mx_project_options popt = {.dir = f->dir};
	struct mx_err err;
	if (mx_project_load(&popt, &f->project, &err))
		fail_msg("load: %s", err.msg);
	if (mx_runtime_open(f->project, &f->rt, &err))
		fail_msg("runtime: %s", err.msg);
	struct mx_audit_options aopt = *aopt_in;
	if (aopt.path == NULL) {
		snprintf(f->audit_path, sizeof f->audit_path, "%s/audit/calls.jsonl", f->dir);
		aopt.path = f->audit_path;
	}
	if (mx_audit_open(&aopt, &f->audit, &err))
		fail_msg("audit: %s", err.msg);
	f->nobservers = mx_server_observers(f->audit, f->observers);
	struct mx_mcp_server_options opt = {.caller = MX_CALLER_HTTP,
	                                    .sql_tools = 0,
	                                    .workers = 4,
	                                    .observers = f->observers,
	                                    .nobservers = f->nobservers};
	if (mx_mcp_server_new(f->rt, &opt, &f->srv, &err))
		fail_msg("server: %s", err.msg);
}

static void fx_close(struct fx *f)
{
	mx_mcp_server_free(f->srv);
	mx_audit_close(f->audit);
	mx_runtime_close(f->rt);
	mx_project_unref(f->project);
	mx_test_rmrf(f->dir);
}

static void send_line(struct mx_mcp_session *ss, const char *line)
{
	mx_mcp_session_receive(ss, line, strlen(line));
}

static void send_init(struct mx_mcp_session *ss)
{
	send_line(ss, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
	              "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
	              "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
}

static void send_call(struct mx_mcp_session *ss, int id, int client)
{
	char line[512];
	snprintf(line, sizeof line,
	         "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"login\","
	         "\"arguments\":{\"user\":\"c%d-%d\",\"password\":\"" SECRET "\"}}}",
	         id, client, id);
	send_line(ss, line);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	send_init(c->ss);
	for (int i = 1; i <= CALLS; i++) {
		pthread_mutex_lock(&c->mu);
		while (i - 1 - c->answered >= WINDOW)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
		send_call(c->ss, i, c->index);
	}
	mx_mcp_session_drain(c->ss);
	return NULL;
}

struct tally {
	long lines, bad, secret, wrong;
	unsigned char *seen; /* CLIENTS × (CALLS + 1) */
};

static int check_line(const char *line, size_t len, int64_t lineno, int terminated, void *ctx)
{
	(void)lineno;
	struct tally *t = ctx;
	t->lines++;
	json_t *v = json_loadb(line, len, 0, NULL);
	if (v == NULL || !terminated) {
		t->bad++;
		json_decref(v);
		return 0;
	}
	if (memmem(line, len, SECRET, strlen(SECRET)) != NULL)
		t->secret++;
	const char *sid = json_string_value(json_object_get(v, "session_id"));
	const char *rid = json_string_value(json_object_get(v, "request_id"));
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *caller = json_string_value(json_object_get(v, "caller"));
	int client = sid && strncmp(sid, "session-", 8) == 0 ? (int)strtol(sid + 8, NULL, 10) : -1;
	long id = rid ? strtol(rid, NULL, 10) : -1;
	if (client < 0 || client >= CLIENTS || id < 1 || id > CALLS || !status || strcmp(status, "success") ||
	    !caller || strcmp(caller, "http") || t->seen[client * (CALLS + 1) + id]++)
		t->wrong++;
	json_decref(v);
	return 0;
}

static void test_eight_clients_exact_records(void **state)
{
	(void)state;
	struct fx f = {0};
	struct mx_audit_options aopt = {.fsync = MX_AUDIT_FSYNC_INTERVAL, .fsync_interval_ms = 1000};
	fx_open(&f, &aopt);
	static struct client clients[CLIENTS];
	pthread_t th[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &clients[i];
		memset(c, 0, sizeof *c);
		pthread_mutex_init(&c->mu, NULL);
		pthread_cond_init(&c->cv, NULL);
		c->index = i;
		struct mx_mcp_sink sink = {count_reply, c};
		c->ss = mx_mcp_session_new(f.srv, &sink);
		assert_non_null(c->ss);
		char sid[32];
		snprintf(sid, sizeof sid, "session-%d", i);
		assert_int_equal(mx_mcp_session_set_id(c->ss, sid), 0);
	}
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, client_main, &clients[i]), 0);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < CLIENTS; i++) {
		assert_int_equal(clients[i].answered, CALLS);
		if (clients[i].errors)
			fail_msg("client %d: %d errors, last: %s", i, clients[i].errors,
			         clients[i].last_error);
		mx_mcp_session_free(clients[i].ss);
		pthread_cond_destroy(&clients[i].cv);
		pthread_mutex_destroy(&clients[i].mu);
	}
	assert_int_equal(mx_audit_flush(f.audit, 30000), 0);
	struct mx_audit_stats st;
	mx_audit_get_stats(f.audit, &st);
	assert_int_equal(st.written, CLIENTS * CALLS);
	assert_int_equal(st.rejected_full + st.rejected_io + st.lost, 0);

	struct tally t = {.seen = calloc(CLIENTS * (CALLS + 1), 1)};
	FILE *fp = fopen(f.audit_path, "r");
	assert_non_null(fp);
	struct mx_buf line;
	mx_buf_init(&line, 1 << 20);
	assert_int_equal(mx_audit_read_lines(fp, &line, check_line, &t), 0);
	mx_buf_free(&line);
	fclose(fp);
	free(t.seen);
	assert_int_equal(t.lines, CLIENTS * CALLS);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.wrong, 0);
	assert_int_equal(t.secret, 0);

	struct mx_audit_verify_result vr;
	struct mx_err err;
	assert_int_equal(mx_audit_verify(f.audit_path, &vr, &err), 0);
	assert_true(vr.ok);
	assert_int_equal(vr.records, CLIENTS * CALLS);
	fx_close(&f);
}

static void test_refused_record_fails_the_call(void **state)
{
	(void)state;
	struct fx f = {0};
	struct mx_audit_options aopt = {.path = "/dev/null/cannot/calls.jsonl",
	                                .fsync = MX_AUDIT_FSYNC_NEVER,
	                                .queue_size = 1,
	                                .on_full = MX_AUDIT_ON_FULL_FAIL,
	                                .retry_ms = 50};
	fx_open(&f, &aopt);
	struct client c = {.index = 0};
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	struct mx_mcp_sink sink = {count_reply, &c};
	c.ss = mx_mcp_session_new(f.srv, &sink);
	send_init(c.ss);
	for (int i = 1; i <= 3; i++) {
		send_call(c.ss, i, 0);
		mx_mcp_session_drain(c.ss);
	}
	assert_int_equal(c.answered, 3);
	assert_true(c.errors >= 2);
	assert_non_null(strstr(c.last_error, "Audit log unavailable: the call could not be recorded"));
	struct mx_audit_stats st;
	mx_audit_get_stats(f.audit, &st);
	assert_true(st.rejected_full + st.rejected_io >= 2);
	mx_mcp_session_free(c.ss);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_refused_record_fails_the_call),
	        cmocka_unit_test(test_eight_clients_exact_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
