/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server — the MCP protocol core (see server.h): sessions, the method
 * table, the lifecycle of both revision eras, cancellation, progress,
 * batches and reload.
 *
 * Threads:
 *   - the transport's thread calls mx_mcp_session_receive; cheap methods
 *     (initialize, ping, lists, discover, completion) are answered there;
 *   - a server made by mx_mcp_server_prepare answers those from its project
 *     before the runtime exists: a request for a worker (tools/call,
 *     resources/read, prompts/get) waits on the receiving thread at the
 *     gate until mx_mcp_server_open lets it through or, when the start
 *     failed, drops it unanswered;
 *   - tools/call, resources/read and prompts/get run on the worker pool and
 *     answer from the worker; with a response cache, a read-only tools/call
 *     or resources/read is first tried on the receiving thread (convert,
 *     input policy, lookup: the same stages and the same observers) and a
 *     hit is answered there, never reaching a worker;
 *   - one ticker thread per server wakes every 100 ms: it re-interrupts
 *     cancelled queries still running (closing the race with a cancel that
 *     lands just before DuckDB starts) and sends notifications/progress for
 *     calls that asked for it, from DuckDB's own query progress;
 *   - a running call may ask the client (sampling/createMessage,
 *     elicitation/create: struct mx_call_notifier.request): the asking
 *     thread sends the request on the call's stream with an id of the
 *     session's own (1, 2, …) and waits on session.answered; the client's
 *     response (a message without a method: a stdio line, an HTTP POST)
 *     is matched by id on the receiving thread and wakes it. A call that
 *     is cancelled, or whose handler returns, wakes its waiters, which tell
 *     the client with notifications/cancelled; the worker frees the call
 *     only once none of its requests waits (call.requests).
 * Locks: server.mu (catalog pointer, session list) before session.mu (the
 * session's calls and state). A progress notification is sent while the
 * session lock is held and the call is still running; a worker clears
 * `running` under the same lock before it sends the response, so progress
 * never follows the response it belongs to.
 * Invariants: every call on a session's list is answered (or dropped, when
 * cancelled) exactly once, then unlinked; an outgoing request is on its
 * session's list exactly while a thread waits for its answer; session.pending counts them, and
 * drain/free wait for zero. A batch is sent when its last member is in.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "cache/cache.h"
#include "core/time.h"
#include "exec/workers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MX_MCP_MAX_OBSERVERS 8
/* How long a request to the client waits for its answer by default (an
 * elicitation waits for a person). */
#define MX_MCP_REQUEST_TIMEOUT_S 600.0

enum gate { GATE_CLOSED, GATE_OPEN, GATE_FAILED };

struct mx_mcp_server {
	struct mx_runtime *rt; /* NULL until mx_mcp_server_attach */
	struct mx_workers *workers;
	atomic_int gate; /* enum gate, changed under mu; calls pass only when GATE_OPEN */
	pthread_cond_t gate_cv;
	int sql_tools; /* -1: from the site config */
	size_t page_size;
	double call_timeout; /* seconds a call may run on its worker, 0: no limit */
	struct mx_rpc_limits limits;
	pthread_mutex_t mu;
	struct mx_mcp_catalog *cat;
	struct mx_mcp_session *sessions;
	pthread_t ticker;
	pthread_cond_t ticker_cv;
	int ticker_stop, ticker_started;
	struct mx_audit *audit; /* borrowed; NULL: no audit records */
	enum mx_caller caller;
	struct mx_call_observer observers[MX_MCP_MAX_OBSERVERS];
	size_t nobservers;
	struct mx_cache *cache; /* borrowed; NULL: no response cache */
	/* The database file as last seen (resource subscriptions): its and its
	 * WAL's size and modification time, checked about once a second. */
	char db_path[4096]; /* "" for :memory: */
	long long db_seen[4];
	unsigned ticks;
	/* Tasks (tasks.c): the store, and the session their runs live on (no
	 * client: the runs outlive the requests that started them). */
	struct mx_mcp_tasks *tasks;
	struct mx_mcp_session *task_ss;
};

struct mx_mcp_session {
	struct mx_mcp_server *srv;
	struct mx_mcp_sink sink;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int initialized;
	enum mx_mcp_dialect rev;
	int log_level; /* -1 until logging/setLevel */
	atomic_int dead;
	struct mx_mcp_call *calls;
	size_t pending;
	char *session_id; /* for audit records; NULL on stdio */
	json_t *client_caps; /* initialize's capabilities (an object), or NULL */
	json_t *subscriptions; /* resources/subscribe: URI → true; NULL: none */
	json_t *listen_id; /* subscriptions/listen: its request id (the subscriptionId), or NULL */
	json_t *listen_filter; /* the notification types that listen agreed to (an object) */
	struct mx_mcp_outreq *outreqs; /* our requests waiting for an answer */
	json_int_t next_out_id;
	pthread_cond_t answered; /* an answer came, a call was cancelled or ended */
	json_t *user_context; /* the session's identity (stdio's verified token), or NULL */
	int auth_required; /* no identity: calls are refused */
	uint64_t serial; /* unique in the process: names the session after it may be gone */
	struct mx_mcp_session *prev, *next;
};

/* A request of ours to the client, waiting for its answer (on the stack of
 * the waiting thread, linked in the session while it waits). */
struct mx_mcp_outreq {
	json_int_t id;
	json_t *answer; /* the client's response message, once in */
	struct mx_mcp_outreq *prev, *next;
};

struct mx_mcp_batch {
	json_t *responses;
	size_t outstanding;
};

static const char *const LOG_LEVELS[] = {"debug", "info",     "notice", "warning",
                                         "error", "critical", "alert",  "emergency"};

int mx_mcp_log_level_parse(const char *s)
{
	for (int i = 0; s && i < (int)(sizeof LOG_LEVELS / sizeof *LOG_LEVELS); i++)
		if (strcmp(s, LOG_LEVELS[i]) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------- sending */

static void send_text(struct mx_mcp_session *ss, const char *text, size_t len, const json_t *msg)
{
	if (atomic_load(&ss->dead))
		return;
	if (ss->sink.send(ss->sink.ctx, text, len, msg) != 0)
		atomic_store(&ss->dead, 1);
}

static void send_json(struct mx_mcp_session *ss, json_t *msg)
{
	if (msg == NULL)
		return;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_json_dump(&b, msg, MX_JSON_COMPACT) == 0)
		send_text(ss, b.p, b.len, msg);
	else
		mx_error("mcp: cannot serialise an outgoing message");
	mx_buf_free(&b);
	json_decref(msg);
}

static _Thread_local const json_t *related_request;

const json_t *mx_mcp_related_request(void)
{
	return related_request;
}

/* A notification of the running call c, on its own request's stream. */
static void send_related(struct mx_mcp_call *c, json_t *msg)
{
	const json_t *prev = related_request;
	related_request = c->id;
	send_json(c->ss, msg);
	related_request = prev;
}

/* The call's notifier (struct mx_call_notifier): what an executor tells the
 * client while the call runs. */
static void notify_log(void *arg, const char *level, const char *logger, const char *message)
{
	struct mx_mcp_call *c = arg;
	int lv = mx_mcp_log_level_parse(level);
	if (lv < 0)
		lv = MX_MCP_LOG_INFO, level = "info";
	if (c->log_level < 0 || lv < c->log_level)
		return;
	send_related(c, mx_rpc_notification("notifications/message",
	                                    json_pack("{s:s, s:s, s:s}", "level", level, "logger",
	                                              logger && *logger ? logger : "mxcp", "data",
	                                              message ? message : "")));
}

static void notify_progress(void *arg, double progress, double total, const char *message)
{
	struct mx_mcp_call *c = arg;
	c->own_progress = 1; /* DuckDB's own percentages would not be monotone with these */
	if (c->task)
		mx_mcp_task_progress(c->task, total > 0 ? progress * 100 / total : progress);
	if (c->progress_token == NULL)
		return;
	json_t *params = json_pack("{s:O, s:f}", "progressToken", c->progress_token, "progress", progress);
	if (params && total >= 0)
		json_object_set_new(params, "total", json_real(total));
	if (params && message)
		json_object_set_new(params, "message", json_string(message));
	send_related(c, mx_rpc_notification("notifications/progress", params));
}

/* ------------------------------------------------- requests to the client */

/* The client capability a request needs and the first revision that has
 * it; NULL for a method we never send. */
static const char *request_capability(const char *method, enum mx_mcp_dialect *since)
{
	if (strcmp(method, "sampling/createMessage") == 0) {
		*since = MX_MCP_D_2024_11_05;
		return "sampling";
	}
	if (strcmp(method, "elicitation/create") == 0) {
		*since = MX_MCP_D_2025_06_18;
		return "elicitation";
	}
	if (strcmp(method, "roots/list") == 0) {
		*since = MX_MCP_D_2024_11_05;
		return "roots";
	}
	return NULL;
}

/* Wait on ss->answered until the answer comes, the call is cancelled or
 * ends, the session dies or the deadline passes. Caller holds ss->mu. */
static void await_answer(struct mx_mcp_call *c, struct mx_mcp_outreq *o, double deadline)
{
	struct mx_mcp_session *ss = c->ss;
	while (o->answer == NULL && !c->cancelled && !c->ended && !atomic_load(&ss->dead)) {
		double left = deadline - mx_mono_s();
		if (left <= 0)
			break;
		/* Slices: a dead session is noticed without a wake-up. */
		if (left > 0.25)
			left = 0.25;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long ns = ts.tv_nsec + (long)(left * 1e9);
		ts.tv_sec += ns / 1000000000L;
		ts.tv_nsec = ns % 1000000000L;
		pthread_cond_timedwait(&ss->answered, &ss->mu, &ts);
	}
}

static int ask_client(struct mx_mcp_call *c, const char *method, const char *cap, const json_t *params,
                      double timeout_s, json_t **result, struct mx_err *err);

/* struct mx_call_notifier.request: ask the client, on the call's stream
 * (2024-11-05 … 2025-11-25) or through an input-required result
 * (2026-07-28, mrtr.c). */
static int notify_request(void *arg, const char *method, const json_t *params, double timeout_s,
                          json_t **result, struct mx_err *err)
{
	struct mx_mcp_call *c = arg;
	*result = NULL;
	enum mx_mcp_dialect since = MX_MCP_D_2024_11_05;
	const char *cap = request_capability(method, &since);
	if (cap == NULL)
		return mx_err_set(err, MX_EINVAL, "%s is not a request mxcp sends to clients", method);
	const char *key = json_string_value(json_object_get(params, MX_MCP_INPUT_KEY));
	if (c->dialect >= MX_MCP_D_2026_07_28) /* no requests to the client: an input-required result */
		return mx_mcp_mrtr_ask(c, key, method, params, cap, result, err);
	json_t *own = NULL;
	if (key != NULL) { /* the runtime's answer key means nothing on this revision */
		own = json_deep_copy(params);
		json_object_del(own, MX_MCP_INPUT_KEY);
		params = own;
	}
	int rc = ask_client(c, method, cap, params, timeout_s, result, err);
	json_decref(own);
	return rc;
}

/* A request to the client on the call's stream (2024-11-05 … 2025-11-25),
 * waited for. */
static int ask_client(struct mx_mcp_call *c, const char *method, const char *cap, const json_t *params,
                      double timeout_s, json_t **result, struct mx_err *err)
{
	struct mx_mcp_session *ss = c->ss;
	enum mx_mcp_dialect since = MX_MCP_D_2024_11_05;
	request_capability(method, &since);
	if (c->dialect < since)
		return mx_err_set(err, MX_ENOTFOUND,
		                  "%s: protocol revision %s has no such request to the client", method,
		                  mx_mcp_dialect_name(c->dialect));
	double deadline = mx_mono_s() + (timeout_s < 0 ? MX_MCP_REQUEST_TIMEOUT_S : timeout_s);
	if (c->ctx.deadline > 0 && c->ctx.deadline < deadline)
		deadline = c->ctx.deadline;
	struct mx_mcp_outreq o = {0};
	pthread_mutex_lock(&ss->mu);
	if (json_object_get(ss->client_caps, cap) == NULL) {
		pthread_mutex_unlock(&ss->mu);
		return mx_err_set(err, MX_ENOTFOUND,
		                  "%s: the client did not declare the '%s' capability in initialize", method,
		                  cap);
	}
	if (c->cancelled || c->ended) {
		pthread_mutex_unlock(&ss->mu);
		return mx_err_set(err, MX_ECANCELLED, "Request cancelled");
	}
	o.id = ++ss->next_out_id;
	o.next = ss->outreqs;
	if (ss->outreqs)
		ss->outreqs->prev = &o;
	ss->outreqs = &o;
	c->requests++;
	pthread_mutex_unlock(&ss->mu);

	send_related(c, json_pack("{s:s, s:I, s:s, s:O}", "jsonrpc", "2.0", "id", o.id, "method", method,
	                          "params", (json_t *)params));

	pthread_mutex_lock(&ss->mu);
	await_answer(c, &o, deadline);
	if (o.prev)
		o.prev->next = o.next;
	else
		ss->outreqs = o.next;
	if (o.next)
		o.next->prev = o.prev;
	int gave_up = o.answer == NULL;
	int cancelled = c->cancelled || c->ended || atomic_load(&ss->dead);
	pthread_mutex_unlock(&ss->mu);

	int rc = 0;
	if (gave_up) {
		/* The client may still be asking its user: tell it we stopped. */
		send_related(c, mx_rpc_notification("notifications/cancelled",
		                                    json_pack("{s:I, s:s}", "requestId", o.id, "reason",
		                                              cancelled ? "the call was cancelled"
		                                                        : "no answer in time")));
		rc = cancelled ? mx_err_set(err, MX_ECANCELLED, "Request cancelled")
		               : mx_err_set(err, MX_ELIMIT, "%s: the client did not answer in time", method);
	} else if (json_is_object(json_object_get(o.answer, "result"))) {
		*result = json_incref(json_object_get(o.answer, "result"));
	} else {
		json_t *e = json_object_get(o.answer, "error");
		const char *m = json_string_value(json_object_get(e, "message"));
		*result = json_is_object(e) ? json_incref(e) : NULL;
		rc = mx_err_set(err, MX_EINVAL, "%s: the client answered with an error: %s", method,
		                m ? m : "(no message)");
	}
	json_decref(o.answer);

	pthread_mutex_lock(&ss->mu);
	if (--c->requests == 0)
		pthread_cond_broadcast(&ss->answered); /* run_job may wait for it */
	pthread_mutex_unlock(&ss->mu);
	return rc;
}

/* A response from the client (a message without a method): the answer to
 * one of our requests, which wakes its waiter. */
static void take_answer(struct mx_mcp_session *ss, const struct mx_rpc_msg *msg)
{
	int found = 0;
	if (json_is_integer(msg->id)) {
		json_int_t id = json_integer_value(msg->id);
		pthread_mutex_lock(&ss->mu);
		for (struct mx_mcp_outreq *o = ss->outreqs; o; o = o->next) {
			if (o->id == id && o->answer == NULL) {
				o->answer = json_incref(msg->root);
				pthread_cond_broadcast(&ss->answered);
				found = 1;
				break;
			}
		}
		pthread_mutex_unlock(&ss->mu);
	}
	if (!found)
		mx_debug("mcp: a response to no request waiting (too late, or not ours); ignored");
}

static json_t *reply_json(struct mx_mcp_call *c, struct mx_mcp_reply *r)
{
	if (r->msg) {
		json_t *m = r->msg;
		r->msg = NULL;
		return m;
	}
	if (r->page)
		return mx_rpc_result(c->id, json_incref(r->page->obj));
	return mx_rpc_error(c->id, MX_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
}

/* Add one answer to a batch (msg NULL: a cancelled member); the last one in
 * sends the array. */
static void batch_put(struct mx_mcp_session *ss, struct mx_mcp_batch *b, json_t *msg)
{
	pthread_mutex_lock(&ss->mu);
	if (msg)
		json_array_append_new(b->responses, msg);
	int last = --b->outstanding == 0;
	pthread_mutex_unlock(&ss->mu);
	if (!last)
		return;
	if (json_array_size(b->responses) > 0)
		send_json(ss, json_incref(b->responses));
	json_decref(b->responses);
	mx_free(b);
}

static void deliver(struct mx_mcp_call *c, struct mx_mcp_reply *r)
{
	if (c->task) { /* a task's run: its reply is kept for tasks/get */
		mx_mcp_task_settle(c->task, r, 0);
		return;
	}
	if (r->msg == MX_MCP_REPLY_NONE) {
		r->msg = NULL;
		return;
	}
	if (c->batch) {
		batch_put(c->ss, c->batch, reply_json(c, r));
		return;
	}
	if (r->msg || r->page == NULL) {
		send_json(c->ss, reply_json(c, r));
		return;
	}
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (mx_rpc_dump_raw_result(&b, c->id, r->page->text, r->page->len) == 0)
		send_text(c->ss, b.p, b.len, NULL);
	mx_buf_free(&b);
}

/* --------------------------------------------------------- result helpers */

json_t *mx_mcp_ok(struct mx_mcp_call *c, json_t *result)
{
	if (result == NULL)
		return NULL;
	if (c->dialect >= MX_MCP_D_2026_07_28) {
		if (json_object_get(result, "resultType") == NULL)
			json_object_set_new(result, "resultType", json_string("complete"));
		if (json_object_get(result, "_meta") == NULL)
			json_object_set_new(result, "_meta",
			                    json_pack("{s:o}", "io.modelcontextprotocol/serverInfo",
			                              mx_mcp_server_info(c->cat, c->dialect)));
	}
	return mx_rpc_result(c->id, result);
}

json_t *mx_mcp_fail(struct mx_mcp_call *c, int code, json_t *data, const char *fmt, ...)
{
	char msg[MX_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return mx_rpc_error(c->id, code, msg, data);
}

void mx_mcp_call_log(struct mx_mcp_call *c, int level, const char *fmt, ...)
{
	if (c->log_level < 0 || level < c->log_level)
		return;
	char msg[MX_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	send_json(c->ss, mx_rpc_notification("notifications/message",
	                                     json_pack("{s:s, s:s, s:s}", "level", LOG_LEVELS[level],
	                                               "logger", "mxcp", "data", msg)));
}

/* ------------------------------------------------------- inline handlers */

static const json_t *param(const struct mx_mcp_call *c, const char *key)
{
	return json_object_get(c->params, key);
}

static void h_initialize(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	const char *asked = json_string_value(param(c, "protocolVersion"));
	if (asked == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"protocolVersion\" must be a string");
		return;
	}
	int d = mx_mcp_dialect_parse(asked);
	if (d < 0 || d >= MX_MCP_D_2026_07_28)
		d = mx_mcp_dialect_parse(MX_MCP_LATEST_SESSION_REVISION);
	struct mx_mcp_session *ss = c->ss;
	const json_t *caps = param(c, "capabilities");
	pthread_mutex_lock(&ss->mu);
	ss->initialized = 1;
	ss->rev = (enum mx_mcp_dialect)d;
	json_decref(ss->client_caps);
	ss->client_caps = json_is_object(caps) ? json_incref((json_t *)caps) : NULL;
	pthread_mutex_unlock(&ss->mu);
	c->dialect = (enum mx_mcp_dialect)d;
	json_t *r = json_pack("{s:s, s:o, s:o}", "protocolVersion", mx_mcp_dialect_name(c->dialect),
	                      "capabilities", mx_mcp_capabilities(1), "serverInfo",
	                      mx_mcp_server_info(c->cat, c->dialect));
	out->msg = mx_mcp_ok(c, r);
}

static void h_empty(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	out->msg = mx_mcp_ok(c, json_object());
}

static void h_set_level(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	int lvl = mx_mcp_log_level_parse(json_string_value(param(c, "level")));
	if (lvl < 0) {
		out->msg =
		        mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                    "Invalid params: \"level\" must be one of debug, info, notice, warning, "
		                    "error, critical, alert, emergency");
		return;
	}
	pthread_mutex_lock(&c->ss->mu);
	c->ss->log_level = lvl;
	pthread_mutex_unlock(&c->ss->mu);
	out->msg = mx_mcp_ok(c, json_object());
}

static void h_discover(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	out->page = mx_mcp_catalog_discover(c->cat);
}

static void list_page(struct mx_mcp_call *c, enum mx_mcp_list kind, struct mx_mcp_reply *out)
{
	const json_t *cursor = param(c, "cursor");
	int rc = mx_mcp_catalog_page(c->cat, kind, c->dialect, cursor, &out->page);
	if (rc == MX_EINVAL)
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL, "Invalid params: invalid cursor");
}

static void h_tools_list(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	list_page(c, MX_MCP_L_TOOLS, out);
}

static void h_resources_list(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	list_page(c, MX_MCP_L_RESOURCES, out);
}

static void h_templates_list(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	list_page(c, MX_MCP_L_TEMPLATES, out);
}

static void h_prompts_list(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	list_page(c, MX_MCP_L_PROMPTS, out);
}

/* resources/subscribe and resources/unsubscribe (2024-11-05 … 2025-11-25):
 * the session keeps the URIs; notifications/resources/updated goes to it
 * when a reload changes that resource's definition, or when its data may
 * have changed (mx_mcp_server_resources_changed: a write tool ran, the
 * database file was written by another process). */
static void h_subscription(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	const char *uri = json_string_value(param(c, "uri"));
	if (uri == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"uri\" must be a string");
		return;
	}
	json_t *vars = NULL;
	const struct mx_endpoint *ep = mx_mcp_catalog_resource(c->cat, uri, &vars);
	json_decref(vars);
	if (ep == NULL) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, json_pack("{s:s}", "uri", uri),
		                       "Resource not found: %s", uri);
		return;
	}
	struct mx_mcp_session *ss = c->ss;
	int subscribe = strcmp(c->method, "resources/subscribe") == 0;
	int rc = 0;
	pthread_mutex_lock(&ss->mu);
	if (subscribe) {
		if (ss->subscriptions == NULL)
			ss->subscriptions = json_object();
		rc = ss->subscriptions ? json_object_set_new(ss->subscriptions, uri, json_true()) : -1;
	} else if (ss->subscriptions) {
		json_object_del(ss->subscriptions, uri);
	}
	pthread_mutex_unlock(&ss->mu);
	out->msg = rc ? mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL, "Internal error: out of memory")
	              : mx_mcp_ok(c, json_object());
}

/* subscriptions/listen (2026-07-28): the POST's stream stays open and
 * carries the notification types the client opted in to, each tagged with
 * the listen request's id as its subscriptionId; its first message is
 * notifications/subscriptions/acknowledged. Every 2026-07-28 request has
 * a session of its own (HTTP's throwaway one), so a session has at most
 * one subscription; it ends with the session (the client went away). The
 * resource URIs reuse the session's resources/subscribe set. */
static void h_listen(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out)
{
	(void)conn;
	const json_t *want = param(c, "notifications");
	if (!json_is_object(want)) {
		out->msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                       "Invalid params: \"notifications\" must be an object");
		return;
	}
	json_t *agreed = json_object();
	static const char *const flags[] = {"toolsListChanged", "promptsListChanged", "resourcesListChanged"};
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		if (json_is_true(json_object_get(want, flags[i])))
			json_object_set_new(agreed, flags[i], json_true());
	const json_t *uris = json_object_get(want, "resourceSubscriptions");
	json_t *subs = json_is_array(uris) ? json_object() : NULL;
	json_t *kept = json_is_array(uris) ? json_array() : NULL;
	size_t i;
	json_t *u;
	json_array_foreach (uris, i, u) {
		if (json_is_string(u)) {
			json_object_set_new(subs, json_string_value(u), json_true());
			json_array_append(kept, u);
		}
	}
	if (kept)
		json_object_set_new(agreed, "resourceSubscriptions", kept);
	struct mx_mcp_session *ss = c->ss;
	pthread_mutex_lock(&ss->mu);
	json_decref(ss->listen_id);
	json_decref(ss->listen_filter);
	ss->listen_id = json_incref(c->id);
	ss->listen_filter = json_incref(agreed);
	if (subs) {
		json_decref(ss->subscriptions);
		ss->subscriptions = subs;
	}
	pthread_mutex_unlock(&ss->mu);
	send_related(c, mx_rpc_notification("notifications/subscriptions/acknowledged",
	                                    json_pack("{s:o, s:{s:O}}", "notifications", agreed, "_meta",
	                                              "io.modelcontextprotocol/subscriptionId", c->id)));
	out->msg = MX_MCP_REPLY_NONE;
}

/* A notification for a subscriptions/listen stream: tagged and on it. */
static void send_listened(struct mx_mcp_session *ss, json_t *listen_id, const char *method, json_t *params)
{
	if (params == NULL)
		params = json_object();
	json_object_set_new(params, "_meta",
	                    json_pack("{s:O}", "io.modelcontextprotocol/subscriptionId", listen_id));
	const json_t *prev = related_request;
	related_request = listen_id;
	send_json(ss, mx_rpc_notification(method, params));
	related_request = prev;
}

/* Tell ss that uri may have changed, when it subscribed to it. */
static void send_updated_locked(struct mx_mcp_session *ss, json_t *listen_id, const char *uri)
{
	if (listen_id) {
		send_listened(ss, listen_id, "notifications/resources/updated",
		              json_pack("{s:s}", "uri", uri));
		return;
	}
	send_json(ss, mx_rpc_notification("notifications/resources/updated", json_pack("{s:s}", "uri", uri)));
}

/* Every subscribed URI of every session whose resource `changed` says
 * changed (NULL: all of them). Caller holds s->mu. */
static void notify_subscribers_locked(struct mx_mcp_server *s, const struct mx_mcp_catalog *old,
                                      const struct mx_mcp_catalog *cur)
{
	for (struct mx_mcp_session *ss = s->sessions; ss; ss = ss->next) {
		pthread_mutex_lock(&ss->mu);
		json_t *subs = ss->subscriptions ? json_deep_copy(ss->subscriptions) : NULL;
		json_t *listen_id = json_incref(ss->listen_id);
		pthread_mutex_unlock(&ss->mu);
		const char *uri;
		json_t *v;
		json_object_foreach (subs, uri, v) {
			int changed = 1;
			if (old && cur) {
				json_t *va = NULL, *vb = NULL;
				const struct mx_endpoint *a = mx_mcp_catalog_resource(old, uri, &va);
				const struct mx_endpoint *b = mx_mcp_catalog_resource(cur, uri, &vb);
				changed = !mx_mcp_resource_same(a, b);
				json_decref(va);
				json_decref(vb);
			}
			if (changed)
				send_updated_locked(ss, listen_id, uri);
		}
		json_decref(subs);
		json_decref(listen_id);
	}
}

void mx_mcp_server_resources_changed(struct mx_mcp_server *s)
{
	pthread_mutex_lock(&s->mu);
	notify_subscribers_locked(s, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ method table */

enum { ERA_LEGACY = 1, ERA_MODERN = 2, ERA_BOTH = 3 };

struct method {
	const char *name;
	void (*handler)(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
	int on_worker;
	int eras;
};

static const struct method METHODS[] = {
        {"initialize", h_initialize, 0, ERA_LEGACY},
        {"ping", h_empty, 0, ERA_LEGACY},
        {"logging/setLevel", h_set_level, 0, ERA_LEGACY},
        {"server/discover", h_discover, 0, ERA_BOTH},
        {"tools/list", h_tools_list, 0, ERA_BOTH},
        {"tools/call", mx_mcp_handle_tools_call, 1, ERA_BOTH},
        {"resources/list", h_resources_list, 0, ERA_BOTH},
        {"resources/templates/list", h_templates_list, 0, ERA_BOTH},
        {"resources/read", mx_mcp_handle_resources_read, 1, ERA_BOTH},
        {"prompts/list", h_prompts_list, 0, ERA_BOTH},
        {"prompts/get", mx_mcp_handle_prompts_get, 1, ERA_BOTH},
        {"completion/complete", mx_mcp_handle_complete, 0, ERA_BOTH},
        {"resources/subscribe", h_subscription, 0, ERA_LEGACY},
        {"resources/unsubscribe", h_subscription, 0, ERA_LEGACY},
        {"subscriptions/listen", h_listen, 0, ERA_MODERN},
        {"tasks/get", mx_mcp_handle_tasks_get, 0, ERA_MODERN},
        {"tasks/update", mx_mcp_handle_tasks_update, 0, ERA_MODERN},
        {"tasks/cancel", mx_mcp_handle_tasks_cancel, 0, ERA_MODERN},
};

static const struct method *find_method(const char *name)
{
	for (size_t i = 0; i < sizeof METHODS / sizeof *METHODS; i++)
		if (strcmp(METHODS[i].name, name) == 0)
			return &METHODS[i];
	return NULL;
}

int mx_mcp_method_on_worker(const char *name)
{
	const struct method *m = name ? find_method(name) : NULL;
	return m != NULL && m->on_worker;
}

/* ------------------------------------------------------------------ calls */

static void call_free(struct mx_mcp_call *c)
{
	json_decref(c->id);
	json_decref(c->params);
	json_decref(c->progress_token);
	json_decref(c->request_headers);
	json_decref(c->user_context);
	json_decref(c->audit_input);
	json_decref(c->client_caps);
	json_decref(c->input_answers);
	json_decref(c->input_requests);
	json_decref(c->missing_caps);
	mx_mcp_task_unref(c->task);
	mx_call_ctx_clear(&c->ctx);
	mx_mcp_catalog_unref(c->cat);
	mx_free(c);
}

/* Unlink an answered call and wake drain/free. */
static void call_done(struct mx_mcp_call *c)
{
	struct mx_mcp_session *ss = c->ss;
	pthread_mutex_lock(&ss->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		ss->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (--ss->pending == 0)
		pthread_cond_broadcast(&ss->idle);
	pthread_mutex_unlock(&ss->mu);
	call_free(c);
}

/* Exactly one event per call that reached a worker (observe.c). */
static void observe_call(struct mx_mcp_call *c, int cancelled, struct mx_mcp_reply *r)
{
	struct mx_mcp_server *s = c->ss->srv;
	mx_mcp_observe_call(c, s->observers, s->nobservers, cancelled, r);
}

static void run_job(void *arg, struct mx_dbconn *conn)
{
	struct mx_mcp_call *c = arg;
	struct mx_mcp_session *ss = c->ss;
	pthread_mutex_lock(&ss->mu);
	int cancelled = c->cancelled;
	if (!cancelled) {
		c->conn = conn;
		c->running = 1;
		if (ss->srv->call_timeout > 0)
			c->ctx.deadline = mx_mono_s() + ss->srv->call_timeout;
	}
	pthread_mutex_unlock(&ss->mu);
	struct mx_mcp_reply r = {0};
	c->started_ms = mx_mcp_clock_ms();
	if (!cancelled)
		c->handler(c, conn, &r);
	if (!cancelled && c->dialect >= MX_MCP_D_2026_07_28)
		mx_mcp_mrtr_end(c, &r); /* asked the client: an input-required result */
	if (!cancelled && c->task_escalate)
		mx_mcp_task_escalate(c, ss->srv->tasks, &r); /* input-first: the answer as a task */
	pthread_mutex_lock(&ss->mu);
	/* A request the executor left behind (an async task still asking)
	 * gives up now; the call is freed only once nobody waits on it. */
	c->ended = 1;
	while (c->requests > 0) {
		pthread_cond_broadcast(&ss->answered);
		pthread_cond_wait(&ss->answered, &ss->mu);
	}
	c->running = 0;
	c->conn = NULL;
	cancelled = c->cancelled;
	pthread_mutex_unlock(&ss->mu);
	observe_call(c, cancelled, &r);
	if (cancelled) {
		if (c->task)
			mx_mcp_task_settle(c->task, NULL, 1);
		json_decref(r.msg);
		if (c->batch)
			batch_put(ss, c->batch, NULL);
	} else {
		deliver(c, &r);
	}
	call_done(c);
}

/* Mark c cancelled; interrupt its query if it runs. Caller holds its
 * session's lock. */
static void cancel_locked(struct mx_mcp_call *c)
{
	c->cancelled = 1;
	atomic_store(&c->cancel_flag, 1);
	pthread_cond_broadcast(&c->ss->answered); /* its requests to the client give up */
	if (c->running && c->conn)
		mx_dbconn_interrupt(c->conn);
}

size_t mx_mcp_server_cancel_all(struct mx_mcp_server *s)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (struct mx_mcp_session *ss = s->sessions; ss; ss = ss->next) {
		pthread_mutex_lock(&ss->mu);
		for (struct mx_mcp_call *c = ss->calls; c; c = c->next)
			if (!c->cancelled)
				cancel_locked(c), n++;
		pthread_mutex_unlock(&ss->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t mx_mcp_server_cancel(struct mx_mcp_server *s, uint64_t serial, const json_t *id)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (struct mx_mcp_session *ss = s->sessions; ss; ss = ss->next) {
		if (ss->serial != serial)
			continue;
		pthread_mutex_lock(&ss->mu);
		for (struct mx_mcp_call *c = ss->calls; c; c = c->next)
			if (!c->cancelled && (id == NULL || json_equal((json_t *)c->id, (json_t *)id)))
				cancel_locked(c), n++;
		pthread_mutex_unlock(&ss->mu);
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

uint64_t mx_mcp_session_serial(const struct mx_mcp_session *ss)
{
	return ss->serial;
}

pthread_mutex_t *mx_mcp_session_mutex(struct mx_mcp_session *ss)
{
	return &ss->mu;
}

static void cancel_request(struct mx_mcp_session *ss, const json_t *params)
{
	const json_t *id = json_object_get(params, "requestId");
	if (id == NULL)
		return;
	pthread_mutex_lock(&ss->mu);
	for (struct mx_mcp_call *c = ss->calls; c; c = c->next) {
		if (!c->cancelled && json_equal((json_t *)c->id, (json_t *)id)) {
			cancel_locked(c);
			break;
		}
	}
	pthread_mutex_unlock(&ss->mu);
}

/* Would the response cache be tried for c (a read-only tools/call or
 * resources/read the snapshot's cache settings cover)? */
static int cache_candidate(struct mx_mcp_call *c)
{
	const struct mx_endpoint *ep = NULL;
	if (strcmp(c->method, "tools/call") == 0) {
		const char *name = json_string_value(json_object_get(c->params, "name"));
		ep = name ? mx_mcp_catalog_tool(c->cat, name) : NULL;
	} else if (strcmp(c->method, "resources/read") == 0) {
		const char *uri = json_string_value(json_object_get(c->params, "uri"));
		json_t *vars = NULL;
		ep = uri ? mx_mcp_catalog_resource(c->cat, uri, &vars) : NULL;
		json_decref(vars);
	}
	return ep != NULL && mx_invoke_cache_applies(&c->cache, ep, &c->ctx);
}

/* The response cache's hit path, on the receiving thread: the call's
 * handler runs with lookup_only (convert, input policy, lookup; no
 * connection). Answered (a hit, or a failed conversion or policy): observed
 * and delivered here like a worker's answer, and 1. A miss: the handler
 * traced nothing (exec/invoke.c) and the call goes to a worker, which skips
 * the lookup it already made. */
static int answer_from_cache(struct mx_mcp_call *c, const struct method *m)
{
	if (!cache_candidate(c))
		return 0;
	struct mx_mcp_reply r = {0};
	c->cache.lookup_only = 1;
	c->started_ms = mx_mcp_clock_ms();
	m->handler(c, NULL, &r);
	c->cache.lookup_only = 0;
	if (c->cache.deferred) {
		c->cache.deferred = 0;
		json_decref(r.msg);
		json_decref(c->audit_input);
		c->audit_input = NULL;
		c->audit_ep = NULL;
		memset(&c->report, 0, sizeof c->report);
		c->started_ms = 0;
		return 0;
	}
	observe_call(c, 0, &r);
	deliver(c, &r);
	call_free(c);
	return 1;
}

/* The era and dialect a request is served in; 0, or an error reply. */
static json_t *pick_dialect(struct mx_mcp_session *ss, struct mx_mcp_call *c, const struct method *m)
{
	const json_t *meta = json_object_get(c->params, "_meta");
	const json_t *pv = json_object_get(meta, "io.modelcontextprotocol/protocolVersion");
	if (pv == NULL && strcmp(c->method, "initialize") == 0) {
		c->dialect = MX_MCP_D_2025_11_25;
		return NULL;
	}
	if (pv != NULL) {
		if (!json_is_string(pv) || strcmp(json_string_value(pv), MX_MCP_STATELESS_REVISION) != 0) {
			json_t *supported = json_array();
			for (int i = 0; supported && MX_MCP_REVISIONS[i]; i++)
				json_array_append_new(supported, json_string(MX_MCP_REVISIONS[i]));
			json_t *data = json_pack("{s:o, s:O}", "supported", supported, "requested", pv);
			return mx_mcp_fail(c, MX_MCP_CODE_UNSUPPORTED_VERSION, data,
			                   "Unsupported protocol version");
		}
		if (!json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities")))
			return mx_mcp_fail(
			        c, MX_RPC_INVALID_PARAMS, NULL,
			        "Invalid params: _meta[\"io.modelcontextprotocol/clientCapabilities\"] is "
			        "required in protocol revision %s",
			        MX_MCP_STATELESS_REVISION);
		c->dialect = MX_MCP_D_2026_07_28;
		c->log_level = mx_mcp_log_level_parse(
		        json_string_value(json_object_get(meta, "io.modelcontextprotocol/logLevel")));
		if (m && !(m->eras & ERA_MODERN))
			return mx_mcp_fail(c, MX_RPC_METHOD_NOT_FOUND, NULL, "Method not found: %s",
			                   c->method);
		return NULL;
	}
	pthread_mutex_lock(&ss->mu);
	int init = ss->initialized;
	c->dialect = ss->rev;
	c->log_level = ss->log_level;
	pthread_mutex_unlock(&ss->mu);
	if (strcmp(c->method, "server/discover") == 0) {
		c->dialect = MX_MCP_D_2026_07_28;
		return NULL;
	}
	if (!init && strcmp(c->method, "ping") != 0)
		return mx_mcp_fail(c, MX_RPC_INVALID_REQUEST, NULL,
		                   "Invalid Request: the session is not initialized (send initialize first, "
		                   "or use protocol revision %s with _meta)",
		                   MX_MCP_STATELESS_REVISION);
	return NULL;
}

/* Move c, a tools/call about to be queued, onto the task session as the
 * first run of t: from here on it belongs to no client request. */
static void rehome(struct mx_mcp_call *c, struct mx_mcp_task *t)
{
	struct mx_mcp_server *s = c->ss->srv;
	c->ss = s->task_ss;
	c->task = t;
	c->ctx.session_id = NULL;
	c->log_level = -1;
	c->batch = NULL;
}

/* A request for a worker waits here until the runtime is attached and
 * the server opened; 0 when the start failed instead (the request is
 * dropped unanswered: the process is about to exit with the reason). */
static int pass_gate(struct mx_mcp_server *s)
{
	if (atomic_load(&s->gate) == GATE_OPEN)
		return 1;
	pthread_mutex_lock(&s->mu);
	while (atomic_load(&s->gate) == GATE_CLOSED)
		pthread_cond_wait(&s->gate_cv, &s->mu);
	int open = atomic_load(&s->gate) == GATE_OPEN;
	pthread_mutex_unlock(&s->mu);
	return open;
}

/* task: this request is a run of that task (tasks/update resumed it). */
static void handle_request(struct mx_mcp_session *ss, struct mx_rpc_msg *msg, struct mx_mcp_batch *batch,
                           const json_t *headers, const json_t *user, struct mx_mcp_task *task)
{
	struct mx_mcp_server *s = ss->srv;
	const struct method *m = find_method(msg->method);
	if (m && m->on_worker && !pass_gate(s)) {
		if (batch)
			batch_put(ss, batch, NULL); /* its slot: the batch still completes */
		return;
	}
	struct mx_mcp_call *c = mx_calloc(1, sizeof *c);
	if (c == NULL) {
		json_t *e =
		        mx_rpc_error(msg->id, MX_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL);
		if (batch)
			batch_put(ss, batch, e);
		else
			send_json(ss, e);
		return;
	}
	c->ss = ss;
	c->rt = s->rt;
	c->id = json_incref(msg->id);
	c->params = json_is_object(msg->params) ? json_incref(msg->params) : NULL;
	c->request_headers = headers ? json_incref((json_t *)headers) : NULL;
	pthread_mutex_lock(&ss->mu);
	c->user_context = json_incref((json_t *)(user ? user : ss->user_context));
	int auth_required = ss->auth_required;
	pthread_mutex_unlock(&ss->mu);
	c->ctx = mx_call_ctx_make(s->caller);
	c->ctx.request_headers = c->request_headers;
	c->ctx.user_context = c->user_context;
	c->ctx.request_id = c->id;
	c->ctx.session_id = ss->session_id;
	atomic_init(&c->cancel_flag, 0);
	c->ctx.cancelled = &c->cancel_flag;
	c->notifier = (struct mx_call_notifier){
	        .log = notify_log, .progress = notify_progress, .request = notify_request, .arg = c};
	c->ctx.notifier = &c->notifier;
	const char *tp =
	        json_is_object(headers) ? json_string_value(json_object_get(headers, "traceparent")) : NULL;
	if (tp && strlen(tp) < sizeof c->ctx.traceparent)
		snprintf(c->ctx.traceparent, sizeof c->ctx.traceparent, "%s", tp);
	c->log_level = -1;
	c->batch = batch;
	pthread_mutex_lock(&s->mu);
	c->cat = mx_mcp_catalog_ref(s->cat);
	pthread_mutex_unlock(&s->mu);
	if (s->cache && c->cat->project->user) {
		c->cache.cache = s->cache;
		c->cache.cfg = &c->cat->project->user->cache;
		c->cache.generation = c->cat->cache_generation;
	}
	c->method = m ? m->name : msg->method;
	struct mx_mcp_reply r = {0};
	if (msg->params != NULL && !json_is_object(msg->params))
		r.msg = mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                    "Invalid params: \"params\" must be an object");
	else if (batch && m && strcmp(m->name, "initialize") == 0)
		r.msg = mx_mcp_fail(c, MX_RPC_INVALID_REQUEST, NULL,
		                    "Invalid Request: initialize must not be part of a batch");
	else if (m && m->on_worker && auth_required && c->user_context == NULL)
		r.msg = mx_mcp_fail(c, MX_RPC_INVALID_REQUEST, NULL, "Authentication required");
	else if ((r.msg = pick_dialect(ss, c, m)) == NULL && m == NULL)
		r.msg = mx_mcp_fail(c, MX_RPC_METHOD_NOT_FOUND, NULL, "Method not found: %s", msg->method);
	else if (r.msg == NULL && c->dialect < MX_MCP_D_2026_07_28 && !(m->eras & ERA_LEGACY))
		r.msg = mx_mcp_fail(c, MX_RPC_METHOD_NOT_FOUND, NULL, "Method not found: %s", msg->method);
	else if (r.msg == NULL && m->on_worker && c->dialect >= MX_MCP_D_2026_07_28)
		r.msg = mx_mcp_mrtr_begin(c); /* requestState and inputResponses */
	struct mx_mcp_task *created = NULL;
	if (r.msg == NULL && task == NULL && m->handler == mx_mcp_handle_tools_call &&
	    c->dialect >= MX_MCP_D_2026_07_28)
		r.msg = mx_mcp_task_begin(c, s->tasks, &created);
	if (created) {
		/* Answered now with the task; the call runs on as its first run. */
		r.msg = mx_mcp_task_created(c, created);
		deliver(c, &r);
		rehome(c, created);
		ss = c->ss;
	} else if (task) {
		c->task = mx_mcp_task_ref(task);
	}
	if (r.msg || !m->on_worker) {
		if (r.msg == NULL)
			m->handler(c, NULL, &r);
		deliver(c, &r);
		call_free(c);
		return;
	}
	if (c->cache.cache && answer_from_cache(c, m))
		return;
	/* Off to a worker: register the call so it can be cancelled, drained
	 * and reported on. */
	const json_t *tok = json_object_get(json_object_get(c->params, "_meta"), "progressToken");
	if (json_is_string(tok) || json_is_integer(tok))
		c->progress_token = json_incref((json_t *)tok);
	c->handler = m->handler;
	pthread_mutex_lock(&ss->mu);
	c->next = ss->calls;
	if (ss->calls)
		ss->calls->prev = c;
	ss->calls = c;
	ss->pending++;
	pthread_mutex_unlock(&ss->mu);
	if (mx_workers_submit(s->workers, run_job, c) != 0) {
		r.msg = mx_mcp_fail(c, MX_RPC_INTERNAL_ERROR, NULL,
		                    "Internal error: the server is overloaded, retry later");
		observe_call(c, 0, &r);
		deliver(c, &r);
		call_done(c);
	}
}

struct mx_mcp_tasks *mx_mcp_session_tasks(struct mx_mcp_session *ss)
{
	return ss->srv->tasks;
}

void mx_mcp_tasks_interrupt(struct mx_mcp_session *ss, struct mx_mcp_task *t)
{
	struct mx_mcp_session *ts = ss->srv->task_ss;
	pthread_mutex_lock(&ts->mu);
	for (struct mx_mcp_call *c = ts->calls; c; c = c->next)
		if (c->task == t && !c->cancelled)
			cancel_locked(c);
	pthread_mutex_unlock(&ts->mu);
}

int mx_mcp_tasks_run(struct mx_mcp_session *ss, struct mx_mcp_task *t, json_t *params, const json_t *headers,
                     const json_t *user)
{
	json_t *id = json_string(mx_mcp_task_id(t));
	if (id == NULL)
		return MX_ENOMEM;
	struct mx_rpc_msg msg = {.kind = MX_RPC_REQUEST, .id = id, .method = "tools/call", .params = params};
	handle_request(ss->srv->task_ss, &msg, NULL, headers, user, t);
	json_decref(id);
	return 0;
}

static void handle_msg(struct mx_mcp_session *ss, struct mx_rpc_msg *msg, struct mx_mcp_batch *batch,
                       const json_t *headers, const json_t *user)
{
	switch (msg->kind) {
	case MX_RPC_INVALID: {
		json_t *e = mx_rpc_error(msg->id, msg->error_code, msg->error_message, NULL);
		if (batch)
			batch_put(ss, batch, e);
		else
			send_json(ss, e);
		return;
	}
	case MX_RPC_RESPONSE: take_answer(ss, msg); return;
	case MX_RPC_NOTIFICATION:
		if (strcmp(msg->method, "notifications/cancelled") == 0)
			cancel_request(ss, msg->params);
		return;
	case MX_RPC_REQUEST: handle_request(ss, msg, batch, headers, user, NULL); return;
	}
}

/* ---------------------------------------------------------------- session */

struct mx_mcp_session *mx_mcp_session_new(struct mx_mcp_server *s, const struct mx_mcp_sink *sink)
{
	struct mx_mcp_session *ss = mx_calloc(1, sizeof *ss);
	if (ss == NULL)
		return NULL;
	ss->srv = s;
	ss->sink = *sink;
	ss->log_level = -1;
	ss->rev = MX_MCP_D_2025_11_25;
	atomic_init(&ss->dead, 0);
	pthread_mutex_init(&ss->mu, NULL);
	pthread_cond_init(&ss->idle, NULL);
	pthread_cond_init(&ss->answered, NULL);
	static atomic_ullong serials;
	ss->serial = atomic_fetch_add(&serials, 1) + 1;
	pthread_mutex_lock(&s->mu);
	ss->next = s->sessions;
	if (s->sessions)
		s->sessions->prev = ss;
	s->sessions = ss;
	pthread_mutex_unlock(&s->mu);
	return ss;
}

int mx_mcp_session_set_id(struct mx_mcp_session *ss, const char *id)
{
	char *copy = id ? mx_strdup(id) : NULL;
	if (id && copy == NULL)
		return MX_ENOMEM;
	mx_free(ss->session_id);
	ss->session_id = copy;
	return 0;
}

void mx_mcp_session_receive(struct mx_mcp_session *ss, const char *text, size_t len)
{
	mx_mcp_session_receive_doc(ss, text, len, NULL, NULL, NULL);
}

int mx_mcp_session_set_user(struct mx_mcp_session *ss, const json_t *user_context, int required)
{
	pthread_mutex_lock(&ss->mu);
	json_t *old = ss->user_context;
	ss->user_context = json_incref((json_t *)user_context);
	ss->auth_required = required;
	pthread_mutex_unlock(&ss->mu);
	json_decref(old);
	return 0;
}

void mx_mcp_session_receive_doc(struct mx_mcp_session *ss, const char *text, size_t len, const json_t *doc,
                                const json_t *headers, const json_t *user_context)
{
	pthread_mutex_lock(&ss->mu);
	int allow_batch = ss->initialized && ss->rev == MX_MCP_D_2025_03_26;
	pthread_mutex_unlock(&ss->mu);
	struct mx_rpc_msg *msgs = NULL;
	size_t n = 0;
	int is_batch = 0;
	if (mx_rpc_parse_doc(text, len, doc, &ss->srv->limits, allow_batch, &msgs, &n, &is_batch) != 0) {
		send_json(ss,
		          mx_rpc_error(NULL, MX_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL));
		return;
	}
	struct mx_mcp_batch *batch = NULL;
	if (is_batch && (batch = mx_calloc(1, sizeof *batch)) != NULL &&
	    (batch->responses = json_array()) == NULL) {
		mx_free(batch);
		batch = NULL;
	}
	if (is_batch && batch == NULL) {
		send_json(ss,
		          mx_rpc_error(NULL, MX_RPC_INTERNAL_ERROR, "Internal error: out of memory", NULL));
		mx_rpc_msgs_free(msgs, n);
		return;
	}
	if (batch) {
		/* One slot per answer to come, plus one held until every member
		 * has been dispatched. */
		batch->outstanding = 1;
		for (size_t i = 0; i < n; i++)
			batch->outstanding +=
			        msgs[i].kind == MX_RPC_REQUEST || msgs[i].kind == MX_RPC_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		handle_msg(ss, &msgs[i], batch, headers, user_context);
	if (batch)
		batch_put(ss, batch, NULL);
	mx_rpc_msgs_free(msgs, n);
}

void mx_mcp_session_assume_initialized(struct mx_mcp_session *ss, const char *revision)
{
	int d = revision ? mx_mcp_dialect_parse(revision) : -1;
	if (d < 0 || d >= MX_MCP_D_2026_07_28)
		d = MX_MCP_D_2025_03_26;
	pthread_mutex_lock(&ss->mu);
	ss->initialized = 1;
	ss->rev = (enum mx_mcp_dialect)d;
	pthread_mutex_unlock(&ss->mu);
}

void mx_mcp_session_drain(struct mx_mcp_session *ss)
{
	pthread_mutex_lock(&ss->mu);
	while (ss->pending > 0)
		pthread_cond_wait(&ss->idle, &ss->mu);
	pthread_mutex_unlock(&ss->mu);
}

void mx_mcp_session_free(struct mx_mcp_session *ss)
{
	if (ss == NULL)
		return;
	struct mx_mcp_server *s = ss->srv;
	pthread_mutex_lock(&ss->mu);
	for (struct mx_mcp_call *c = ss->calls; c; c = c->next)
		cancel_locked(c);
	pthread_mutex_unlock(&ss->mu);
	mx_mcp_session_drain(ss);
	pthread_mutex_lock(&s->mu);
	if (ss->prev)
		ss->prev->next = ss->next;
	else
		s->sessions = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&ss->idle);
	pthread_cond_destroy(&ss->answered);
	pthread_mutex_destroy(&ss->mu);
	json_decref(ss->subscriptions);
	json_decref(ss->listen_id);
	json_decref(ss->listen_filter);
	json_decref(ss->client_caps);
	json_decref(ss->user_context);
	mx_free(ss->session_id);
	mx_free(ss);
}

/* ----------------------------------------------------------------- ticker */

static void tick_session(struct mx_mcp_session *ss)
{
	pthread_mutex_lock(&ss->mu);
	for (struct mx_mcp_call *c = ss->calls; c; c = c->next) {
		if (!c->running || c->conn == NULL)
			continue;
		if (c->cancelled || (c->ctx.deadline > 0 && mx_mono_s() >= c->ctx.deadline)) {
			mx_dbconn_interrupt(c->conn); /* cancelled, or out of time */
			continue;
		}
		if (c->task && !c->own_progress) { /* DuckDB's progress is the task's */
			double p = mx_dbconn_progress(c->conn);
			if (p >= 0)
				mx_mcp_task_progress(c->task, p * 100);
		}
		if (c->progress_token == NULL || c->own_progress)
			continue;
		double p = mx_dbconn_progress(c->conn);
		if (p < 0 || p * 100 <= c->last_progress)
			continue;
		c->last_progress = p * 100;
		json_t *params = json_pack("{s:O, s:f, s:i}", "progressToken", c->progress_token, "progress",
		                           c->last_progress, "total", 100);
		send_json(ss, mx_rpc_notification("notifications/progress", params));
	}
	pthread_mutex_unlock(&ss->mu);
}

static void stat_database(const char *path, long long out[4])
{
	memset(out, 0, 4 * sizeof *out);
	char wal[4096 + 8];
	snprintf(wal, sizeof wal, "%s.wal", path);
	const char *files[2] = {path, wal};
	for (int i = 0; i < 2; i++) {
		struct stat st;
		if (stat(files[i], &st) == 0) {
			out[2 * i] = (long long)st.st_size;
			out[2 * i + 1] = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		}
	}
}

/* Whether the database file (or its WAL) changed since the last look: a
 * write tool ran, or another process (a dbt run) wrote it. Only looked at
 * while some session subscribes to a resource. Caller holds s->mu. */
static int database_written(struct mx_mcp_server *s)
{
	if (s->db_path[0] == '\0')
		return 0;
	int any = 0;
	for (struct mx_mcp_session *ss = s->sessions; ss && !any; ss = ss->next)
		any = ss->subscriptions != NULL && json_object_size(ss->subscriptions) > 0;
	if (!any)
		return 0;
	long long now[4];
	stat_database(s->db_path, now);
	int changed = memcmp(now, s->db_seen, sizeof now) != 0;
	memcpy(s->db_seen, now, sizeof now);
	return changed;
}

static void *ticker_main(void *arg)
{
	struct mx_mcp_server *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->ticker_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->ticker_cv, &s->mu, &ts);
		if (s->ticker_stop)
			break;
		for (struct mx_mcp_session *ss = s->sessions; ss; ss = ss->next)
			tick_session(ss);
		if (++s->ticks % 10 == 0 && database_written(s))
			notify_subscribers_locked(s, NULL, NULL);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ----------------------------------------------------------------- server */

/* The task session's sink: its runs answer no client. */
static int drop_message(void *ctx, const char *text, size_t len, const json_t *msg)
{
	(void)ctx, (void)text, (void)len, (void)msg;
	return 0;
}

static int effective_sql_tools(const struct mx_mcp_server *s, const struct mx_project *p)
{
	if (s->sql_tools >= 0)
		return s->sql_tools;
	return p->site ? p->site->sql_tools.enabled : 0;
}

/* The part of a server that needs no runtime: limits, tasks, the catalog
 * and the ticker. On failure s is freed. */
int mx_mcp_server_prepare(struct mx_project *p, const struct mx_mcp_server_options *opt,
                          struct mx_mcp_server **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_mcp_server *s = mx_calloc(1, sizeof *s);
	if (s == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	s->sql_tools = opt ? opt->sql_tools : -1;
	s->page_size = opt && opt->page_size ? opt->page_size : 100;
	const char *dbp = p->settings.duckdb_path;
	if (dbp && strcmp(dbp, ":memory:") != 0 && strlen(dbp) < sizeof s->db_path) {
		snprintf(s->db_path, sizeof s->db_path, "%s", dbp);
		stat_database(s->db_path, s->db_seen);
	}
	s->caller = opt ? opt->caller : MX_CALLER_STDIO;
	s->limits.max_bytes = opt && opt->max_message ? opt->max_message : MX_RPC_MAX_BYTES_DEFAULT;
	s->limits.max_depth = opt && opt->max_depth ? opt->max_depth : MX_RPC_MAX_DEPTH_DEFAULT;
	atomic_init(&s->gate, GATE_CLOSED);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->ticker_cv, NULL);
	pthread_cond_init(&s->gate_cv, NULL);
	int rc = mx_mcp_tasks_new(&s->tasks);
	if (rc)
		rc = mx_err_set(err, rc, "out of memory");
	if (rc == 0)
		rc = mx_mcp_catalog_new(p, effective_sql_tools(s, p), s->page_size, &s->cat, err);
	if (rc == 0 && pthread_create(&s->ticker, NULL, ticker_main, s) != 0)
		rc = mx_err_set(err, MX_EINTERNAL, "cannot start the progress thread");
	else if (rc == 0)
		s->ticker_started = 1;
	static const struct mx_mcp_sink nowhere = {.send = drop_message};
	if (rc == 0 && (s->task_ss = mx_mcp_session_new(s, &nowhere)) == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	if (rc) {
		mx_mcp_server_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int mx_mcp_server_attach(struct mx_mcp_server *s, struct mx_runtime *rt,
                         const struct mx_mcp_server_options *opt, struct mx_err *err)
{
	s->call_timeout = opt && opt->call_timeout > 0 ? opt->call_timeout : 0;
	for (size_t i = 0; opt && i < opt->nobservers && s->nobservers < MX_MCP_MAX_OBSERVERS; i++)
		s->observers[s->nobservers++] = opt->observers[i];
	s->cache = opt ? opt->cache : NULL;
	mx_mcp_mrtr_init(); /* OpenSSL's random generator: its first use costs milliseconds */
	/* No call has run yet (they wait at the gate), so the catalog's
	 * generation is still ours to set. */
	if (s->cache)
		s->cat->cache_generation = mx_cache_next_generation(s->cache);
	s->rt = rt;
	return mx_workers_start(mx_runtime_db(rt), opt ? opt->workers : 0, opt ? opt->queue_size : 0,
	                        &s->workers, err);
}

void mx_mcp_server_open(struct mx_mcp_server *s, int ok)
{
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->gate, ok && s->workers ? GATE_OPEN : GATE_FAILED);
	pthread_cond_broadcast(&s->gate_cv);
	pthread_mutex_unlock(&s->mu);
}

int mx_mcp_server_new(struct mx_runtime *rt, const struct mx_mcp_server_options *opt,
                      struct mx_mcp_server **out, struct mx_err *err)
{
	int rc = mx_mcp_server_prepare(mx_runtime_project(rt), opt, out, err);
	if (rc == 0 && (rc = mx_mcp_server_attach(*out, rt, opt, err)) != 0) {
		mx_mcp_server_free(*out);
		*out = NULL;
	}
	if (rc == 0)
		mx_mcp_server_open(*out, 1);
	return rc;
}

void mx_mcp_server_free(struct mx_mcp_server *s)
{
	if (s == NULL)
		return;
	mx_mcp_server_open(s, 0); /* nothing may still wait at the gate */
	mx_mcp_session_free(s->task_ss); /* cancels the runs still going, waits for them */
	mx_workers_stop(s->workers);
	if (s->ticker_started) {
		pthread_mutex_lock(&s->mu);
		s->ticker_stop = 1;
		pthread_cond_signal(&s->ticker_cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->ticker, NULL);
	}
	mx_mcp_tasks_free(s->tasks);
	mx_mcp_catalog_unref(s->cat);
	pthread_cond_destroy(&s->gate_cv);
	pthread_cond_destroy(&s->ticker_cv);
	pthread_mutex_destroy(&s->mu);
	mx_free(s);
}

int mx_mcp_server_reload(struct mx_mcp_server *s, struct mx_project *p, struct mx_err *err)
{
	struct mx_mcp_catalog *cat = NULL;
	int rc = mx_mcp_catalog_new(p, effective_sql_tools(s, p), s->page_size, &cat, err);
	if (rc)
		return rc;
	/* A new snapshot, a new generation: no answer of the old one is served
	 * once the catalog is swapped. */
	if (s->cache)
		cat->cache_generation = mx_cache_next_generation(s->cache);
	static const char *const changed[] = {"notifications/tools/list_changed",
	                                      "notifications/resources/list_changed",
	                                      "notifications/prompts/list_changed"};
	pthread_mutex_lock(&s->mu);
	struct mx_mcp_catalog *old = s->cat;
	s->cat = cat;
	static const char *const filters[] = {"toolsListChanged", "resourcesListChanged",
	                                      "promptsListChanged"};
	for (struct mx_mcp_session *ss = s->sessions; ss; ss = ss->next) {
		pthread_mutex_lock(&ss->mu);
		int init = ss->initialized;
		json_t *listen_id = json_incref(ss->listen_id);
		json_t *filter = json_incref(ss->listen_filter);
		pthread_mutex_unlock(&ss->mu);
		for (size_t i = 0; init && i < sizeof changed / sizeof *changed; i++)
			send_json(ss, mx_rpc_notification(changed[i], NULL));
		for (size_t i = 0; listen_id && i < sizeof changed / sizeof *changed; i++)
			if (json_is_true(json_object_get(filter, filters[i])))
				send_listened(ss, listen_id, changed[i], NULL);
		json_decref(listen_id);
		json_decref(filter);
	}
	notify_subscribers_locked(s, old, cat);
	pthread_mutex_unlock(&s->mu);
	mx_mcp_catalog_unref(old);
	/* Free the old generation's memory; Redis: every instance misses. */
	if (s->cache && mx_cache_flush(s->cache) != 0)
		mx_warn("cache: the reload could not invalidate the shared cache (Redis unreachable)");
	return 0;
}

int mx_mcp_server_cache_flush(struct mx_mcp_server *s)
{
	return s->cache ? mx_cache_flush(s->cache) : 0;
}

struct mx_workers *mx_mcp_server_workers(struct mx_mcp_server *s)
{
	return s->workers;
}

/* ------------------------------------------------------------ transports */

int mx_mcp_server_saturated(struct mx_mcp_server *s)
{
	return s->workers && mx_workers_saturated(s->workers);
}

int mx_mcp_server_may_hit_cache(struct mx_mcp_server *s, const json_t *msg)
{
	if (s->cache == NULL || !json_is_object(msg))
		return 0;
	const char *method = json_string_value(json_object_get(msg, "method"));
	const json_t *params = json_object_get(msg, "params");
	if (method == NULL || !json_is_object(params))
		return 0;
	pthread_mutex_lock(&s->mu);
	struct mx_mcp_catalog *cat = mx_mcp_catalog_ref(s->cat);
	pthread_mutex_unlock(&s->mu);
	const struct mx_endpoint *ep = NULL;
	if (strcmp(method, "tools/call") == 0) {
		const char *name = json_string_value(json_object_get(params, "name"));
		ep = name ? mx_mcp_catalog_tool(cat, name) : NULL;
	} else if (strcmp(method, "resources/read") == 0) {
		const char *uri = json_string_value(json_object_get(params, "uri"));
		json_t *vars = NULL;
		ep = uri ? mx_mcp_catalog_resource(cat, uri, &vars) : NULL;
		json_decref(vars);
	}
	struct mx_invoke_cache ic = {.cache = s->cache,
	                             .cfg = cat->project->user ? &cat->project->user->cache : NULL};
	int may = ep != NULL && mx_invoke_cache_applies(&ic, ep, NULL);
	mx_mcp_catalog_unref(cat);
	return may;
}

size_t mx_mcp_server_pending(struct mx_mcp_server *s)
{
	return s->workers ? mx_workers_pending(s->workers) : 0;
}

int mx_mcp_server_tools_json(struct mx_mcp_server *s, struct mx_buf *out)
{
	pthread_mutex_lock(&s->mu);
	struct mx_mcp_catalog *cat = mx_mcp_catalog_ref(s->cat);
	pthread_mutex_unlock(&s->mu);
	const struct mx_mcp_page *pg = mx_mcp_catalog_all_tools(cat);
	int rc = pg ? mx_buf_append(out, pg->text, pg->len) : MX_ENOMEM;
	mx_mcp_catalog_unref(cat);
	return rc;
}

/* May the call ask the client (sampling, elicitation): the client declared
 * one of them and the endpoint is Python's? Then its request must travel
 * on the call's own SSE stream. */
static int may_ask_client(struct mx_mcp_session *ss, const char *method, const json_t *params)
{
	pthread_mutex_lock(&ss->mu);
	int asks = json_object_get(ss->client_caps, "sampling") ||
	           json_object_get(ss->client_caps, "elicitation");
	pthread_mutex_unlock(&ss->mu);
	if (!asks)
		return 0;
	struct mx_mcp_server *s = ss->srv;
	pthread_mutex_lock(&s->mu);
	struct mx_mcp_catalog *cat = mx_mcp_catalog_ref(s->cat);
	pthread_mutex_unlock(&s->mu);
	const struct mx_endpoint *ep = NULL;
	const char *name = json_string_value(json_object_get(params, "name"));
	const char *uri = json_string_value(json_object_get(params, "uri"));
	json_t *vars = NULL;
	if (strcmp(method, "tools/call") == 0 && name)
		ep = mx_mcp_catalog_tool(cat, name);
	else if (strcmp(method, "resources/read") == 0 && uri)
		ep = mx_mcp_catalog_resource(cat, uri, &vars);
	int python = ep && ep->language == MX_LANG_PYTHON;
	json_decref(vars);
	mx_mcp_catalog_unref(cat);
	return python;
}

int mx_mcp_session_may_notify(struct mx_mcp_session *ss, const json_t *msg)
{
	const char *name = json_string_value(json_object_get(msg, "method"));
	const struct method *m = name ? find_method(name) : NULL;
	if (m && strcmp(m->name, "subscriptions/listen") == 0)
		return 1; /* a stream of notifications */
	if (m == NULL || !m->on_worker)
		return 0;
	const json_t *meta = json_object_get(json_object_get(msg, "params"), "_meta");
	if (json_object_get(meta, "progressToken"))
		return 1;
	if (may_ask_client(ss, m->name, json_object_get(msg, "params")))
		return 1;
	/* The revision is the one pick_dialect serves it in: _meta's, or the session's. */
	if (json_object_get(meta, "io.modelcontextprotocol/protocolVersion"))
		return json_object_get(meta, "io.modelcontextprotocol/logLevel") != NULL;
	pthread_mutex_lock(&ss->mu);
	int logging = ss->log_level >= 0;
	pthread_mutex_unlock(&ss->mu);
	return logging;
}

int mx_mcp_message_failed(const json_t *msg)
{
	return json_object_get(msg, "error") != NULL ||
	       json_is_true(json_object_get(json_object_get(msg, "result"), "isError"));
}
