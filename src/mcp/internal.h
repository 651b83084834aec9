/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal — what the files of src/mcp/ share and nobody else sees: the
 * revision dialects, the per-snapshot catalog (endpoint lookups plus the
 * list pages serialised once), the in-flight call and its reply, and the
 * handlers.
 *
 * Threads: a call is created on the thread that received it (the transport's
 * reader) and runs either there (cheap methods) or on a worker; every field
 * a second thread touches (running, cancelled, conn, last_progress) is
 * guarded by the session's mutex.
 */
#ifndef MX_MCP_INTERNAL_H
#define MX_MCP_INTERNAL_H

#include "core/uri_template.h"
#include "exec/builtin_sql_tools.h"
#include "exec/observer.h"
#include "mcp/jsonrpc.h"
#include "mcp/server.h"

#include <jansson.h>
#include <stdatomic.h>
#include <pthread.h>

/* Protocol revisions, oldest first (comparisons mean "has this feature"). */
enum mx_mcp_dialect {
	MX_MCP_D_2024_11_05,
	MX_MCP_D_2025_03_26,
	MX_MCP_D_2025_06_18,
	MX_MCP_D_2025_11_25,
	MX_MCP_D_2026_07_28,
	MX_MCP_D_COUNT,
};

const char *mx_mcp_dialect_name(enum mx_mcp_dialect d);
/* -1 when s is not a revision we speak. */
int mx_mcp_dialect_parse(const char *s);

enum mx_mcp_list {
	MX_MCP_L_TOOLS,
	MX_MCP_L_RESOURCES,
	MX_MCP_L_TEMPLATES,
	MX_MCP_L_PROMPTS,
	MX_MCP_L_COUNT,
};

#define MX_MCP_LIST_TTL_MS 60000

/* ------------------------------------------------------------------ catalog */

struct mx_mcp_page {
	char *text; /* the serialised result object */
	size_t len;
	json_t *obj; /* the same, as JSON (for batch replies) */
};

/*
 * One per snapshot, immutable except for the lazily filled page cache
 * (guarded by mu). Calls hold a reference, so endpoints stay valid while a
 * reload swaps in a new catalog.
 */
struct mx_mcp_catalog {
	atomic_int refs;
	struct mx_project *project;
	struct mx_builtin_sql_tools *builtins; /* NULL unless sql_tools */
	const char *server_title;
	size_t page_size;
	const struct mx_endpoint **tools, **resources, **templates, **prompts;
	size_t ntools, nresources, ntemplates, nprompts;
	struct mx_uri_template **compiled; /* one per template */
	json_t *items[MX_MCP_L_COUNT]; /* full items, newest dialect */
	pthread_mutex_t mu;
	struct mx_mcp_page *pages[MX_MCP_L_COUNT][MX_MCP_D_COUNT];
	size_t npages[MX_MCP_L_COUNT];
	struct mx_mcp_page discover;
	struct mx_mcp_page all_tools; /* {"tools":[every item]}, for GET /tools/list */
	uint64_t cache_generation; /* the response cache's for this snapshot (0: no cache) */
};

int mx_mcp_catalog_new(struct mx_project *p, int sql_tools, size_t page_size, struct mx_mcp_catalog **out,
                       struct mx_err *err);
struct mx_mcp_catalog *mx_mcp_catalog_ref(struct mx_mcp_catalog *c);
void mx_mcp_catalog_unref(struct mx_mcp_catalog *c);

/* The page of a list that `cursor` (NULL: the first) names, serialised for
 * dialect d. MX_EINVAL for a cursor we did not hand out, MX_ENOMEM. */
int mx_mcp_catalog_page(struct mx_mcp_catalog *c, enum mx_mcp_list kind, enum mx_mcp_dialect d,
                        const json_t *cursor, const struct mx_mcp_page **out);
const struct mx_mcp_page *mx_mcp_catalog_discover(struct mx_mcp_catalog *c);
/* Every tool in one object, {"tools":[…]} (text only); NULL on out of memory. */
const struct mx_mcp_page *mx_mcp_catalog_all_tools(struct mx_mcp_catalog *c);

const struct mx_endpoint *mx_mcp_catalog_tool(const struct mx_mcp_catalog *c, const char *name);
const struct mx_endpoint *mx_mcp_catalog_prompt(const struct mx_mcp_catalog *c, const char *name);
/* A static resource by URI, or a template the URI matches (then *vars holds
 * the extracted variables). NULL when nothing matches. */
const struct mx_endpoint *mx_mcp_catalog_resource(const struct mx_mcp_catalog *c, const char *uri,
                                                  json_t **vars);
/* A resource or template by its URI as written in the definition. */
const struct mx_endpoint *mx_mcp_catalog_resource_def(const struct mx_mcp_catalog *c, const char *uri);

/* serverInfo for dialect d; capabilities (the same for every revision). */
json_t *mx_mcp_server_info(const struct mx_mcp_catalog *c, enum mx_mcp_dialect d);
/* subscribe: resource subscriptions are served (resources/subscribe up
 * to 2025-11-25, subscriptions/listen's resourceSubscriptions in
 * 2026-07-28). */
json_t *mx_mcp_capabilities(int subscribe);
/* Whether a resource's definition is the same in two snapshots (NULL:
 * absent); a Python resource counts as changed by every reload. */
int mx_mcp_resource_same(const struct mx_endpoint *a, const struct mx_endpoint *b);

/* The MIME type of a resource: its mime_type, else text/plain for a
 * declared string return, else application/json. */
const char *mx_mcp_resource_mime(const struct mx_endpoint *ep);

/* -------------------------------------------------------------------- calls */

struct mx_mcp_batch;

/* What a handler produces: a whole response message, or a cached page. */
struct mx_mcp_reply {
	json_t *msg; /* owned */
	const struct mx_mcp_page *page; /* borrowed from the call's catalog */
};

struct mx_mcp_call {
	struct mx_mcp_session *ss;
	struct mx_mcp_catalog *cat; /* reference */
	struct mx_runtime *rt;
	const char *method; /* static string from the method table */
	json_t *id; /* reference */
	json_t *params; /* reference, or NULL */
	enum mx_mcp_dialect dialect;
	int log_level; /* MCP level index, -1: no log notifications */
	json_t *progress_token; /* reference, or NULL */
	json_t *request_headers; /* reference: the transport's request headers, or NULL */
	json_t *user_context; /* reference: the verified identity (auth/identity.h), or NULL */
	struct mx_call_ctx ctx; /* who and why, for every stage below (its strings and JSON are the call's) */
	atomic_int cancel_flag; /* ctx.cancelled points here */
	double last_progress;
	int own_progress; /* the executor reports progress itself (Python's mcp.progress) */
	struct mx_call_notifier notifier; /* ctx.notifier points here */
	struct mx_dbconn *conn; /* set while running on a worker */
	int running, cancelled;
	int ended; /* the handler returned: its requests to the client give up */
	int requests; /* threads waiting for the client's answer to a request of this call */
	struct mx_mcp_batch *batch;
	void (*handler)(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
	struct mx_mcp_call *prev, *next;
	/* For the call's observers (observe.c), set by the handlers. */
	const struct mx_endpoint *audit_ep; /* the endpoint called: redaction, resource name */
	json_t *audit_input; /* reference: a resource's URI variables; NULL: params.arguments */
	struct mx_invoke_report report; /* filled by mx_invoke (policies, cached) */
	struct mx_invoke_cache cache; /* the response cache (cache.cache NULL: none) */
	double started_ms; /* mx_mcp_clock_ms() when the worker took the call */
	/* 2026-07-28 (mrtr.c). Guarded by the session's mutex once the call runs. */
	json_t *client_caps; /* reference: _meta's clientCapabilities, or NULL */
	json_t *input_answers; /* key → the client's answer (requestState's, then inputResponses) */
	json_t *input_requests; /* key → {method, params} to ask this round; NULL: none */
	json_t *missing_caps; /* capability → {} a request needed and the client lacked */
	int input_seq; /* default keys: input-1, input-2, … in the order asked */
	/* Tasks (tasks.c). */
	struct mx_mcp_task *task; /* reference: the task this call runs for, or NULL */
	int task_escalate; /* an input-first tool's first round: a complete answer becomes a task */
};

/* What a reply carries besides msg/page: nothing at all (subscriptions/listen
 * answers only when the subscription ends). */
#define MX_MCP_REPLY_NONE ((json_t *)1)

/* MCP content inside an executor's JSON result (mxcp.content's
 * __mxcp_json__, docs/python.md): the object {"__mxcp_content__": block}
 * with this one key, block an MCP content block ({"type": …}). */
#define MX_MCP_CONTENT_KEY "__mxcp_content__"
/* The content block v carries, or NULL when v is ordinary data. */
const json_t *mx_mcp_content_block(const json_t *v);

/* The resources/read contents item ({uri, mimeType, text | blob}) of the
 * value resource ep returned when read at uri; NULL on out of memory. */
json_t *mx_mcp_resource_item(const struct mx_endpoint *ep, const char *uri, const json_t *value);

/* A result for c: 2026-07-28 results get resultType and serverInfo. */
json_t *mx_mcp_ok(struct mx_mcp_call *c, json_t *result);
json_t *mx_mcp_fail(struct mx_mcp_call *c, int code, json_t *data, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Send notifications/message for c when its level lets `level` through. */
void mx_mcp_call_log(struct mx_mcp_call *c, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
enum { MX_MCP_LOG_DEBUG, MX_MCP_LOG_INFO, MX_MCP_LOG_NOTICE, MX_MCP_LOG_WARNING, MX_MCP_LOG_ERROR };
/* Index of an MCP log level name, -1 when unknown. */
int mx_mcp_log_level_parse(const char *s);

/* -------------------------------------------------------------- observers */

double mx_mcp_clock_ms(void);
/* Tell the server's observers (audit, metrics) about one answered (or
 * cancelled) tools/call, resources/read or prompts/get. When one refuses
 * the answer (the audit trail cannot record it), r becomes a JSON-RPC
 * error saying why and non-zero is returned. */
int mx_mcp_observe_call(struct mx_mcp_call *c, const struct mx_call_observer *obs, size_t nobs, int cancelled,
                        struct mx_mcp_reply *r);

/* ------------------------------------------------ input-required results */

/* The member of a request's params naming its answer's key (mrtr.c):
 * the Python runtime's key= argument travels in it; stripped before the
 * request leaves. */
#define MX_MCP_INPUT_KEY "io.mxcp/inputKey"

/* The session's mutex (server.c), for the call fields it guards. */
pthread_mutex_t *mx_mcp_session_mutex(struct mx_mcp_session *ss);

/* Create the process's requestState key: MXCP_REQUEST_STATE_SECRET when
 * set (instances behind one load balancer share it), else random. */
void mx_mcp_mrtr_init(void);
/* Before a 2026-07-28 tools/call, prompts/get or resources/read runs:
 * verify requestState, gather the answers (c->input_answers). NULL, or the
 * error reply (a tampered or foreign state: -32602). */
json_t *mx_mcp_mrtr_begin(struct mx_mcp_call *c);
/* Ask the client within a 2026-07-28 call: 0 with *result (a reference)
 * when the answer came with this round, MX_EINPUT once the request is
 * recorded for the input-required result, MX_ENOTFOUND when the client
 * did not declare the capability (recorded for -32021). key NULL: the
 * next default key. Takes the session's mutex. */
int mx_mcp_mrtr_ask(struct mx_mcp_call *c, const char *key, const char *method, const json_t *params,
                    const char *capability, json_t **result, struct mx_err *err);
/* After the handler: an input-required result when the call asked for
 * input, -32021 when it failed for want of a capability; else r as is. */
void mx_mcp_mrtr_end(struct mx_mcp_call *c, struct mx_mcp_reply *r);

/* -------------------------------------------------------------- tasks */

/* The tasks extension (SEP-2663) and how a tool declares its support: a
 * tag of its definition (MXCP has no field for it). */
#define MX_MCP_TASKS_EXTENSION "io.modelcontextprotocol/tasks"
#define MX_MCP_TAG_TASK_OPTIONAL "task:optional"
#define MX_MCP_TAG_TASK_REQUIRED "task:required"
#define MX_MCP_TAG_TASK_INPUT_FIRST "task:input-first"

enum mx_mcp_task_support { MX_MCP_TASK_FORBIDDEN, MX_MCP_TASK_OPTIONAL, MX_MCP_TASK_REQUIRED };

struct mx_mcp_tasks;
struct mx_mcp_task;

/* A tool's task support from its tags; *input_first (may be NULL): its
 * first round's questions come before the task exists. */
enum mx_mcp_task_support mx_mcp_task_support(const struct mx_endpoint *ep, int *input_first);
const char *mx_mcp_task_support_name(enum mx_mcp_task_support s);

int mx_mcp_tasks_new(struct mx_mcp_tasks **out);
void mx_mcp_tasks_free(struct mx_mcp_tasks *ts);
struct mx_mcp_task *mx_mcp_task_ref(struct mx_mcp_task *t);
void mx_mcp_task_unref(struct mx_mcp_task *t);
const char *mx_mcp_task_id(const struct mx_mcp_task *t);

/* Before a 2026-07-28 tools/call is queued (receiving thread): NULL and
 * *task NULL to run it as usual (c->task_escalate may be set); NULL and
 * *task (a reference) when the call becomes that task's first run; or the
 * error reply (-32021: a required task the client cannot take). */
json_t *mx_mcp_task_begin(struct mx_mcp_call *c, struct mx_mcp_tasks *ts, struct mx_mcp_task **task);
/* The CreateTaskResult reply for c's request. */
json_t *mx_mcp_task_created(struct mx_mcp_call *c, struct mx_mcp_task *t);
/* A task run's outcome: its reply (r->msg taken), or cancelled. */
void mx_mcp_task_settle(struct mx_mcp_task *t, struct mx_mcp_reply *r, int cancelled);
/* An input-first first round that completed: r becomes a CreateTaskResult
 * of a completed task (unless it asks for input or the store is full). */
void mx_mcp_task_escalate(struct mx_mcp_call *c, struct mx_mcp_tasks *ts, struct mx_mcp_reply *r);
/* Progress of a running task, in percent (monotone; lower values are ignored). */
void mx_mcp_task_progress(struct mx_mcp_task *t, double percent);

/* server.c, for tasks.c: the server's task store; interrupt the runs of t;
 * start a run of t with these tools/call params (0, or an error). */
struct mx_mcp_tasks *mx_mcp_session_tasks(struct mx_mcp_session *ss);
void mx_mcp_tasks_interrupt(struct mx_mcp_session *ss, struct mx_mcp_task *t);
int mx_mcp_tasks_run(struct mx_mcp_session *ss, struct mx_mcp_task *t, json_t *params, const json_t *headers,
                     const json_t *user);

/* Handlers (tools.c, resources.c, prompts.c, completion.c). */
void mx_mcp_handle_tools_call(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_resources_read(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_prompts_get(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_complete(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_tasks_get(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_tasks_update(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);
void mx_mcp_handle_tasks_cancel(struct mx_mcp_call *c, struct mx_dbconn *conn, struct mx_mcp_reply *out);

#endif
