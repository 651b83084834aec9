/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tasks — the MCP tasks extension (io.modelcontextprotocol/tasks,
 * SEP-2663, 2026-07-28): a tools/call answered at once with a task the
 * client polls (tasks/get), answers (tasks/update) and cancels
 * (tasks/cancel), while the call runs on a worker.
 *
 * Which tools: a tool declares its support with a tag (MXCP definitions
 * have no field for it): "task:optional" (a task when the request's
 * clientCapabilities carry the extension, else an ordinary call),
 * "task:required" (without the extension: -32021), plus "task:input-first"
 * (the first round's questions are ordinary input-required results; the
 * task begins once the client answers). Anything else is never a task.
 *
 * The store: one per server, in memory, bounded by a count and by the
 * bytes of the kept results; a terminal task is kept for its ttlMs from
 * creation, then swept (and the oldest terminal ones go first when a bound
 * is reached). A running task is never swept.
 *
 * A run: the call is re-homed on the server's task session (server.c), so
 * it outlives the HTTP request that created it; its reply goes to
 * mx_mcp_task_settle instead of a client. Input works as in mrtr.c: a run
 * that asks ends input_required with inputRequests; tasks/update collects
 * the answers, and once none is pending the call runs again from the start
 * with every answer so far. Progress: the ticker reads DuckDB's query
 * progress for a running task (or the executor reports its own).
 *
 * Threads and locks: the store's mutex guards every task field; it is a
 * leaf (taken under a session's mutex by the ticker, never the reverse).
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/time.h"
#include "core/uuid.h"
#include "model/endpoint.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MX_MCP_TASKS_MAX 1024
#define MX_MCP_TASKS_MAX_BYTES (64u * 1024 * 1024)
#define MX_MCP_TASK_TTL_MS (60 * 60 * 1000)
#define MX_MCP_TASK_POLL_MS 500

enum task_status { T_WORKING, T_INPUT_REQUIRED, T_COMPLETED, T_FAILED, T_CANCELLED };

static const char *const STATUS_NAMES[] = {"working", "input_required", "completed", "failed", "cancelled"};

struct mx_mcp_task {
	atomic_int refs;
	struct mx_mcp_tasks *store;
	char id[37];
	enum task_status status;
	struct timespec created, updated; /* wall clock */
	double created_mono;
	json_t *params; /* the tools/call params, without inputResponses and requestState */
	json_t *headers, *user; /* the creating request's, for every run */
	json_t *answers; /* every input answer so far */
	json_t *pending; /* inputRequests still unanswered (input_required) */
	json_t *result, *error;
	double progress; /* percent, -1: none known */
	size_t bytes;
	int linked;
	struct mx_mcp_task *prev, *next; /* newest first */
};

struct mx_mcp_tasks {
	pthread_mutex_t mu;
	struct mx_mcp_task *head;
	size_t count, bytes;
};

/* ---------------------------------------------------------------- support */

enum mx_mcp_task_support mx_mcp_task_support(const struct mx_endpoint *ep, int *input_first)
{
	enum mx_mcp_task_support s = MX_MCP_TASK_FORBIDDEN;
	int first = 0;
	size_t i;
	json_t *tag;
	json_array_foreach (ep ? ep->tags : NULL, i, tag) {
		const char *t = json_string_value(tag);
		if (t == NULL)
			continue;
		if (strcmp(t, MX_MCP_TAG_TASK_REQUIRED) == 0)
			s = MX_MCP_TASK_REQUIRED;
		else if (strcmp(t, MX_MCP_TAG_TASK_OPTIONAL) == 0 && s == MX_MCP_TASK_FORBIDDEN)
			s = MX_MCP_TASK_OPTIONAL;
		else if (strcmp(t, MX_MCP_TAG_TASK_INPUT_FIRST) == 0)
			first = 1;
	}
	if (input_first)
		*input_first = first && s != MX_MCP_TASK_FORBIDDEN;
	return s;
}

const char *mx_mcp_task_support_name(enum mx_mcp_task_support s)
{
	return s == MX_MCP_TASK_REQUIRED ? "required" : s == MX_MCP_TASK_OPTIONAL ? "optional" : "forbidden";
}

/* ------------------------------------------------------------------ store */

int mx_mcp_tasks_new(struct mx_mcp_tasks **out)
{
	struct mx_mcp_tasks *ts = mx_calloc(1, sizeof *ts);
	if (ts == NULL)
		return MX_ENOMEM;
	pthread_mutex_init(&ts->mu, NULL);
	*out = ts;
	return 0;
}

static void task_free(struct mx_mcp_task *t)
{
	json_decref(t->params);
	json_decref(t->headers);
	json_decref(t->user);
	json_decref(t->answers);
	json_decref(t->pending);
	json_decref(t->result);
	json_decref(t->error);
	mx_free(t);
}

struct mx_mcp_task *mx_mcp_task_ref(struct mx_mcp_task *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

const char *mx_mcp_task_id(const struct mx_mcp_task *t)
{
	return t->id;
}

void mx_mcp_task_unref(struct mx_mcp_task *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		task_free(t);
}

static void unlink_locked(struct mx_mcp_tasks *ts, struct mx_mcp_task *t)
{
	if (!t->linked)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		ts->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->linked = 0;
	ts->count--;
	ts->bytes -= t->bytes;
	mx_mcp_task_unref(t);
}

void mx_mcp_tasks_free(struct mx_mcp_tasks *ts)
{
	if (ts == NULL)
		return;
	pthread_mutex_lock(&ts->mu);
	while (ts->head)
		unlink_locked(ts, ts->head);
	pthread_mutex_unlock(&ts->mu);
	pthread_mutex_destroy(&ts->mu);
	mx_free(ts);
}

static int terminal(const struct mx_mcp_task *t)
{
	return t->status == T_COMPLETED || t->status == T_FAILED || t->status == T_CANCELLED;
}

/* Drop terminal tasks past their TTL; then, while a bound is passed, the
 * oldest terminal ones (keep: never dropped). Caller holds ts->mu. */
static void sweep_locked(struct mx_mcp_tasks *ts, size_t room, const struct mx_mcp_task *keep)
{
	double now = mx_mono_s();
	struct mx_mcp_task *t = ts->head, *last = NULL;
	while (t) {
		struct mx_mcp_task *next = t->next;
		if (terminal(t) && t != keep && now - t->created_mono > MX_MCP_TASK_TTL_MS / 1000.0)
			unlink_locked(ts, t);
		else
			last = t;
		t = next;
	}
	for (t = last; t && (ts->count + room > MX_MCP_TASKS_MAX || ts->bytes > MX_MCP_TASKS_MAX_BYTES);) {
		struct mx_mcp_task *prev = t->prev;
		if (terminal(t) && t != keep)
			unlink_locked(ts, t);
		t = prev;
	}
}

static struct mx_mcp_task *find_locked(struct mx_mcp_tasks *ts, const char *id)
{
	for (struct mx_mcp_task *t = ts->head; t && id; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static void touch(struct mx_mcp_task *t)
{
	clock_gettime(CLOCK_REALTIME, &t->updated);
}

/* A new working task for call c, linked (the store's reference) and one
 * more for the caller; NULL when the store is full or out of memory. */
static struct mx_mcp_task *task_create(struct mx_mcp_call *c, struct mx_mcp_tasks *ts)
{
	struct mx_mcp_task *t = mx_calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	atomic_init(&t->refs, 2);
	t->store = ts;
	mx_uuid4(t->id);
	t->status = T_WORKING;
	clock_gettime(CLOCK_REALTIME, &t->created);
	t->updated = t->created;
	t->created_mono = mx_mono_s();
	t->progress = -1;
	t->params = json_deep_copy(c->params);
	json_object_del(t->params, "inputResponses");
	json_object_del(t->params, "requestState");
	json_object_del(t->params, "task"); /* a v1 client's hint: the tool's declaration decides */
	t->headers = json_incref(c->request_headers);
	t->user = json_incref(c->user_context);
	t->answers = c->input_answers ? json_deep_copy(c->input_answers) : json_object();
	if (t->params == NULL || t->answers == NULL) {
		task_free(t);
		return NULL;
	}
	pthread_mutex_lock(&ts->mu);
	sweep_locked(ts, 1, NULL);
	if (ts->count >= MX_MCP_TASKS_MAX) {
		pthread_mutex_unlock(&ts->mu);
		task_free(t);
		return NULL;
	}
	t->next = ts->head;
	if (ts->head)
		ts->head->prev = t;
	ts->head = t;
	t->linked = 1;
	ts->count++;
	pthread_mutex_unlock(&ts->mu);
	return t;
}

/* ------------------------------------------------------------------ wire */

static json_t *iso(const struct timespec *ts)
{
	char buf[40];
	mx_time_format_iso8601(buf, sizeof buf, (int64_t)ts->tv_sec, (int32_t)ts->tv_nsec, 3, MX_ISO_ZONE_Z);
	return json_string(buf);
}

/* The Task fields of t. Caller holds the store's mutex. */
static json_t *task_json_locked(const struct mx_mcp_task *t)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:i, s:i}", "taskId", t->id, "status",
	                      STATUS_NAMES[t->status], "createdAt", iso(&t->created), "lastUpdatedAt",
	                      iso(&t->updated), "ttlMs", MX_MCP_TASK_TTL_MS, "pollIntervalMs",
	                      MX_MCP_TASK_POLL_MS);
	if (o && t->status == T_WORKING && t->progress >= 0) {
		char msg[64];
		snprintf(msg, sizeof msg, "%.0f%% done", t->progress);
		json_object_set_new(o, "statusMessage", json_string(msg));
	}
	return o;
}

json_t *mx_mcp_task_created(struct mx_mcp_call *c, struct mx_mcp_task *t)
{
	pthread_mutex_lock(&t->store->mu);
	json_t *o = task_json_locked(t);
	pthread_mutex_unlock(&t->store->mu);
	if (o)
		json_object_set_new(o, "resultType", json_string("task"));
	return o ? mx_mcp_ok(c, o)
	         : mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
}

static int client_has_tasks(const json_t *params)
{
	const json_t *caps = json_object_get(json_object_get(params, "_meta"),
	                                     "io.modelcontextprotocol/clientCapabilities");
	return json_object_get(json_object_get(caps, "extensions"), MX_MCP_TASKS_EXTENSION) != NULL;
}

static json_t *missing_extension(struct mx_mcp_call *c)
{
	return mx_mcp_fail(
	        c, MX_MCP_CODE_MISSING_CAPABILITY,
	        json_pack("{s:{s:{s:{}}}}", "requiredCapabilities", "extensions", MX_MCP_TASKS_EXTENSION),
	        "Missing required client capability: the extension %s was not declared in "
	        "_meta[\"io.modelcontextprotocol/clientCapabilities\"]",
	        MX_MCP_TASKS_EXTENSION);
}

/* ------------------------------------------------------------------- runs */

json_t *mx_mcp_task_begin(struct mx_mcp_call *c, struct mx_mcp_tasks *ts, struct mx_mcp_task **task)
{
	*task = NULL;
	const struct mx_endpoint *ep =
	        mx_mcp_catalog_tool(c->cat, json_string_value(json_object_get(c->params, "name")));
	int input_first = 0;
	enum mx_mcp_task_support s = mx_mcp_task_support(ep, &input_first);
	if (s == MX_MCP_TASK_FORBIDDEN)
		return NULL;
	if (!client_has_tasks(c->params))
		return s == MX_MCP_TASK_REQUIRED ? missing_extension(c) : NULL;
	const json_t *answers = json_object_get(c->params, "inputResponses");
	if (input_first && !json_is_object(answers) && json_object_get(c->params, "requestState") == NULL) {
		c->task_escalate = 1;
		return NULL;
	}
	if ((*task = task_create(c, ts)) == NULL)
		return mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL,
		                   "Internal error: too many tasks are kept, retry later");
	return NULL;
}

static int asks_input(const json_t *result)
{
	const char *rt = json_string_value(json_object_get(result, "resultType"));
	return rt != NULL && strcmp(rt, "input_required") == 0;
}

/* Store a run's reply in t. Caller holds the store's mutex. */
static void settle_locked(struct mx_mcp_task *t, json_t *msg)
{
	struct mx_mcp_tasks *ts = t->store;
	const json_t *err = json_object_get(msg, "error");
	json_t *res = json_object_get(msg, "result");
	if (msg == NULL || (err == NULL && !json_is_object(res))) {
		t->status = T_FAILED;
		t->error = json_pack("{s:i, s:s}", "code", MX_RPC_INTERNAL_ERROR, "message",
		                     "Internal error: the call ended without an answer");
	} else if (err) {
		t->status = T_FAILED;
		t->error = json_deep_copy(err);
	} else if (asks_input(res)) {
		t->status = T_INPUT_REQUIRED;
		json_decref(t->pending);
		t->pending = json_deep_copy(json_object_get(res, "inputRequests"));
	} else {
		t->status = T_COMPLETED;
		t->result = json_deep_copy(res);
		json_object_del(t->result, "resultType");
		json_object_del(t->result, "_meta");
		json_object_del(t->result, "requestState");
	}
	ts->bytes -= t->bytes;
	char *text = mx_json_dumps(t->result ? t->result : t->error ? t->error : t->pending, MX_JSON_COMPACT);
	t->bytes = text ? strlen(text) : 0;
	mx_free(text);
	if (t->bytes > MX_MCP_TASKS_MAX_BYTES / 4) {
		json_decref(t->result);
		t->result = NULL;
		t->status = T_FAILED;
		json_decref(t->error);
		t->error = json_pack("{s:i, s:s}", "code", MX_RPC_INTERNAL_ERROR, "message",
		                     "Internal error: the result is too large to keep as a task result");
		t->bytes = 128;
	}
	ts->bytes += t->bytes;
	touch(t);
	sweep_locked(ts, 0, t);
}

void mx_mcp_task_settle(struct mx_mcp_task *t, struct mx_mcp_reply *r, int cancelled)
{
	json_t *msg = r ? r->msg : NULL;
	if (r)
		r->msg = NULL;
	if (msg == MX_MCP_REPLY_NONE)
		msg = NULL;
	struct mx_mcp_tasks *ts = t->store;
	pthread_mutex_lock(&ts->mu);
	if (t->status == T_WORKING) {
		if (cancelled) {
			t->status = T_CANCELLED;
			touch(t);
		} else {
			settle_locked(t, msg);
		}
	}
	pthread_mutex_unlock(&ts->mu);
	json_decref(msg);
}

void mx_mcp_task_escalate(struct mx_mcp_call *c, struct mx_mcp_tasks *ts, struct mx_mcp_reply *r)
{
	json_t *res = r->msg && r->msg != MX_MCP_REPLY_NONE ? json_object_get(r->msg, "result") : NULL;
	if (!json_is_object(res) || asks_input(res))
		return; /* a question for the client, or an error: as they are */
	struct mx_mcp_task *t = task_create(c, ts);
	if (t == NULL)
		return; /* the store is full: the answer itself is as good */
	pthread_mutex_lock(&ts->mu);
	settle_locked(t, r->msg);
	pthread_mutex_unlock(&ts->mu);
	json_decref(r->msg);
	r->msg = mx_mcp_task_created(c, t);
	mx_mcp_task_unref(t);
}

void mx_mcp_task_progress(struct mx_mcp_task *t, double percent)
{
	pthread_mutex_lock(&t->store->mu);
	if (t->status == T_WORKING && percent > t->progress && percent <= 100) {
		t->progress = percent;
		touch(t);
	}
	pthread_mutex_unlock(&t->store->mu);
}

/* --------------------------------------------------------------- handlers */

/* The task a tasks/get, update or cancel names, with a reference; NULL with *out set
 * to the error reply. */
static struct mx_mcp_task *named_task(struct mx_mcp_call *c, struct mx_mcp_reply *out)
{
	if (!client_has_tasks(c->params)) {
		out->msg = missing_extension(c);
		return NULL;
	}
	const char *id = json_string_value(json_object_get(c->params, "taskId"));
	if (id == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"taskId\" must be a string");
		return NULL;
	}
	struct mx_mcp_tasks *ts = mx_mcp_session_tasks(c->ss);
	pthread_mutex_lock(&ts->mu);
	sweep_locked(ts, 0, NULL);
	struct mx_mcp_task *t = find_locked(ts, id);
	if (t)
		atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&ts->mu);
	if (t == NULL)
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, json_pack("{s:s}", "taskId", id),
		                       "Invalid params: unknown task %s", id);
	return t;
}

void mx_mcp_handle_tasks_get(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	struct mx_mcp_task *t = named_task(c, out);
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->store->mu);
	json_t *o = task_json_locked(t);
	if (o && t->status == T_COMPLETED && t->result)
		json_object_set(o, "result", t->result);
	if (o && t->status == T_FAILED && t->error)
		json_object_set(o, "error", t->error);
	if (o && t->status == T_INPUT_REQUIRED && t->pending)
		json_object_set_new(o, "inputRequests", json_deep_copy(t->pending));
	if (o && t->progress >= 0)
		json_object_set_new(o, "_meta",
		                    json_pack("{s:f, s:o}", "io.mxcp/progress", t->progress,
		                              "io.modelcontextprotocol/serverInfo",
		                              mx_mcp_server_info(c->cat, c->dialect)));
	pthread_mutex_unlock(&t->store->mu);
	mx_mcp_task_unref(t);
	out->msg = o ? mx_mcp_ok(c, o)
	             : mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
}

void mx_mcp_handle_tasks_update(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	const json_t *responses = json_object_get(c->params, "inputResponses");
	if (client_has_tasks(c->params) && !json_is_object(responses)) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"inputResponses\" must be an object");
		return;
	}
	struct mx_mcp_task *t = named_task(c, out);
	if (t == NULL)
		return;
	json_t *params = NULL;
	pthread_mutex_lock(&t->store->mu);
	if (t->status == T_INPUT_REQUIRED) {
		const char *key;
		json_t *v;
		/* Only answers to the questions pending count; the rest is ignored. */
		json_object_foreach ((json_t *)responses, key, v) {
			if (json_is_object(v) && json_object_get(t->pending, key)) {
				json_object_set(t->answers, key, v);
				json_object_del(t->pending, key);
			}
		}
		touch(t);
		if (json_object_size(t->pending) == 0 && (params = json_deep_copy(t->params)) != NULL) {
			json_object_set(params, "inputResponses", t->answers);
			t->status = T_WORKING;
			json_decref(t->pending);
			t->pending = NULL;
		}
	}
	pthread_mutex_unlock(&t->store->mu);
	if (params && mx_mcp_tasks_run(c->ss, t, params, t->headers, t->user) != 0) {
		struct mx_mcp_reply r = {
		        .msg = mx_rpc_error(NULL, MX_RPC_INTERNAL_ERROR,
		                            "Internal error: the server is overloaded, retry later", NULL)};
		mx_mcp_task_settle(t, &r, 0);
	}
	json_decref(params);
	mx_mcp_task_unref(t);
	out->msg = mx_mcp_ok(c, json_object());
}

void mx_mcp_handle_tasks_cancel(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	struct mx_mcp_task *t = named_task(c, out);
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->store->mu);
	int was_active = !terminal(t);
	if (was_active) {
		t->status = T_CANCELLED;
		json_decref(t->pending);
		t->pending = NULL;
		touch(t);
	}
	pthread_mutex_unlock(&t->store->mu);
	if (was_active)
		mx_mcp_tasks_interrupt(c->ss, t);
	mx_mcp_task_unref(t);
	out->msg = mx_mcp_ok(c, json_object());
}
