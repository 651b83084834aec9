/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server — the MCP protocol core, independent of any transport.
 *
 * A struct mx_mcp_server owns what every connection shares: the current
 * project snapshot (swapped atomically on reload), the runtime (DuckDB), the
 * worker pool, and the responses that do not change while a snapshot is
 * loaded (tools/list, resources/list, prompts/list, server/discover),
 * serialised once per snapshot.
 *
 * A struct mx_mcp_session is one client connection (a stdio pipe, an HTTP
 * session, or a single stateless HTTP request): its negotiated revision,
 * whether it is initialised, its log level, and its in-flight requests
 * (for notifications/cancelled and progress). The transport feeds it whole
 * messages with mx_mcp_session_receive and gets every outgoing message
 * (responses and notifications) through its sink, in any order, possibly
 * from worker threads.
 *
 * Revisions: 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25 (initialize
 * handshake, sessions) and 2026-07-28 (stateless: server/discover, no
 * handshake, ttlMs/cacheScope on lists, -32602 for unknown resources). One
 * process serves clients of either era.
 */
#ifndef MX_MCP_SERVER_H
#define MX_MCP_SERVER_H

#include "core/buf.h"
#include "core/err.h"
#include "exec/invoke.h"
#include "exec/observer.h"

#include <stddef.h>
#include <stdint.h>

struct mx_workers;

struct mx_mcp_server;
struct mx_mcp_session;

struct mx_mcp_sink {
	/* Deliver one complete JSON-RPC message (no trailing newline). Must be
	 * thread-safe; messages of one session may arrive from several threads.
	 * Returns 0, or an error when the peer is gone (the session then stops
	 * sending). msg is the same message parsed (borrowed), or NULL when
	 * only the text exists: a sink that routes by id or method need not
	 * parse the text again. */
	int (*send)(void *ctx, const char *json, size_t len, const json_t *msg);
	void *ctx;
};

struct mx_mcp_server_options {
	enum mx_caller caller; /* MX_CALLER_STDIO or MX_CALLER_HTTP: every call's context says so */
	int sql_tools; /* -1: from mxcp-site.yml; 0/1: --sql-tools override */
	int workers; /* worker threads (0: default) */
	size_t queue_size; /* calls waiting for a worker (0: 1024); past it "overloaded" */
	size_t max_message; /* bytes (0: MX_RPC_MAX_BYTES_DEFAULT) */
	int max_depth; /* JSON nesting (0: MX_RPC_MAX_DEPTH_DEFAULT) */
	size_t page_size; /* list page size for cursor pagination (0: 100) */
	/* Seconds a call may run once a worker takes it (0: no limit): then
	 * its query or Python code is interrupted and it fails. */
	double call_timeout;
	/* Told about every call that reached a worker (exec/observer.h): the
	 * audit trail, metrics. Copied; each arg outlives the server. */
	const struct mx_call_observer *observers;
	size_t nobservers;
	/* The response cache (src/cache/), borrowed; NULL: none. Each snapshot
	 * gets a generation of it; read-only tools/call and resources/read are
	 * looked up on the receiving thread and a hit never reaches a worker. */
	struct mx_cache *cache;
};

/* Build a server over an open runtime (the server takes a reference on the
 * runtime's project and starts the worker pool): mx_mcp_server_prepare,
 * mx_mcp_server_attach and mx_mcp_server_open in one. */
int mx_mcp_server_new(struct mx_runtime *rt, const struct mx_mcp_server_options *opt,
                      struct mx_mcp_server **out, struct mx_err *err);
/* A server whose runtime is still opening (a stdio start answers the
 * client meanwhile): built from the loaded project p (a reference is
 * taken), it answers initialize, ping, discover, the lists and completion
 * at once; a request for a worker (tools/call, resources/read,
 * prompts/get) waits on its receiving thread until mx_mcp_server_open.
 * Of opt it reads caller, sql_tools, max_message, max_depth, page_size. */
int mx_mcp_server_prepare(struct mx_project *p, const struct mx_mcp_server_options *opt,
                          struct mx_mcp_server **out, struct mx_err *err);
/* Attach the open runtime (whose project is the one prepared) and start
 * the worker pool; of opt it reads workers, queue_size, call_timeout,
 * observers and cache. Requests for a worker still wait. */
int mx_mcp_server_attach(struct mx_mcp_server *s, struct mx_runtime *rt,
                         const struct mx_mcp_server_options *opt, struct mx_err *err);
/* ok: let the requests for a worker through (after mx_mcp_server_attach);
 * 0: the start failed, they are dropped unanswered (the process is about
 * to exit and say why). */
void mx_mcp_server_open(struct mx_mcp_server *s, int ok);
/* The worker pool (for metrics: size and jobs pending). */
struct mx_workers *mx_mcp_server_workers(struct mx_mcp_server *s);
/* Cancel every call queued or running in every session (running queries
 * are interrupted); returns how many. For a shutdown whose grace is over. */
size_t mx_mcp_server_cancel_all(struct mx_mcp_server *s);
/* Tell every session subscribed to a resource that it may have changed. */
void mx_mcp_server_resources_changed(struct mx_mcp_server *s);
/* Cancel the calls of one session (by its serial) with request id `id`, or
 * all of them when id is NULL; returns how many. Safe whether or not the
 * session still exists: a transport whose client went away calls it. */
size_t mx_mcp_server_cancel(struct mx_mcp_server *s, uint64_t serial, const json_t *id);
/* Is every worker busy and the queue full, so that a call now would be
 * refused? A transport answers 503 early instead of taking the body. */
int mx_mcp_server_saturated(struct mx_mcp_server *s);
/* Might msg (one request) be answered from the response cache on the
 * receiving thread (a tools/call or resources/read of an endpoint the
 * current snapshot caches)? A transport lets such a call through while the
 * workers are saturated: a hit needs none (a miss is then answered
 * "overloaded"). 0 without a cache. */
int mx_mcp_server_may_hit_cache(struct mx_mcp_server *s, const json_t *msg);
/* Calls waiting for a worker plus those running (status pages). */
size_t mx_mcp_server_pending(struct mx_mcp_server *s);
/* Every tool of the current snapshot, all pages, as the object
 * {"tools":[…]} (items as the latest session revision lists them),
 * serialised once per snapshot and appended to out. 0, or MX_ENOMEM /
 * MX_ELIMIT from out. */
int mx_mcp_server_tools_json(struct mx_mcp_server *s, struct mx_buf *out);
/* Stop the workers (in-flight calls finish first) and free. Sessions must be gone. */
void mx_mcp_server_free(struct mx_mcp_server *s);

/* Forget every cached answer (admin POST /cache/flush); 0 when there is
 * no cache. */
int mx_mcp_server_cache_flush(struct mx_mcp_server *s);

/* Swap in a new snapshot; every live session that negotiated listChanged gets
 * notifications/{tools,resources,prompts}/list_changed. */
int mx_mcp_server_reload(struct mx_mcp_server *s, struct mx_project *p, struct mx_err *err);

struct mx_mcp_session *mx_mcp_session_new(struct mx_mcp_server *s, const struct mx_mcp_sink *sink);
/* The MCP session id (HTTP's Mcp-Session-Id) for audit records; copied.
 * Call before the first message; stdio and stateless sessions have none. */
int mx_mcp_session_set_id(struct mx_mcp_session *ss, const char *id);
/* Handle one transport message (a JSON-RPC message or batch). Requests are
 * run on the worker pool; their responses come later through the sink.
 * Cheap requests (ping, initialize, lists) may be answered inline. */
void mx_mcp_session_receive(struct mx_mcp_session *ss, const char *text, size_t len);
/* The same for a transport whose messages come with request headers (HTTP)
 * and which may have parsed the text already. headers: a JSON object of
 * name → value, names lower-case, or NULL; the calls the message starts
 * keep a reference, and their SQL sees the headers through
 * get_request_header(name) and get_request_headers_json(). doc (borrowed,
 * or NULL): text as parsed by jansson with flags that reject what
 * JSON_ALLOW_NUL would accept; used instead of parsing text again (the
 * limits still apply to text). user_context: the identity the transport
 * verified for this message (auth/auth.h's user context; the calls keep a
 * reference), or NULL for the session's own (mx_mcp_session_set_user). */
void mx_mcp_session_receive_doc(struct mx_mcp_session *ss, const char *text, size_t len, const json_t *doc,
                                const json_t *headers, const json_t *user_context);
/* The identity of every call of the session that comes without one (stdio:
 * the token of MXCP_ACCESS_TOKEN, verified once), or NULL; required: with
 * no identity, tools/call, resources/read and prompts/get are refused with
 * "Authentication required" (auth is configured but nothing identifies
 * the caller). Call before the first message. */
int mx_mcp_session_set_user(struct mx_mcp_session *ss, const json_t *user_context, int required);
/* Does the method run on the worker pool (tools/call, resources/read,
 * prompts/get)? The others are answered on the receiving thread. */
int mx_mcp_method_on_worker(const char *name);
/* May answering msg (one request) send notifications before the response:
 * progress (a progressToken) or log messages (the log level its revision
 * takes from the session or from _meta)? A transport that answers in one
 * piece otherwise picks a stream for it. */
int mx_mcp_session_may_notify(struct mx_mcp_session *ss, const json_t *msg);

/* While a running call's notification is handed to the session's sink: the
 * id of the request it belongs to (the transport sends it on that
 * request's stream); NULL otherwise. Read on the sending thread only. */
const json_t *mx_mcp_related_request(void);
/* Did an outgoing message report a failure: a JSON-RPC error, or a result
 * that says isError? For counting outcomes. */
int mx_mcp_message_failed(const json_t *msg);
/* Treat the session as initialised at `revision` (NULL or unknown: 2025-03-26)
 * without a handshake: stateless HTTP serves each POST on a throwaway
 * session, the way the Python SDK's stateless mode does. */
void mx_mcp_session_assume_initialized(struct mx_mcp_session *ss, const char *revision);
/* A number naming the session for mx_mcp_server_cancel, unique in the process. */
uint64_t mx_mcp_session_serial(const struct mx_mcp_session *ss);
/* Wait until every request of the session has been answered. */
void mx_mcp_session_drain(struct mx_mcp_session *ss);
/* Cancel what is still running, wait for it, free. */
void mx_mcp_session_free(struct mx_mcp_session *ss);

/* The revisions we speak, newest first, and the latest of each era. */
extern const char *const MX_MCP_REVISIONS[];
#define MX_MCP_LATEST_SESSION_REVISION "2025-11-25"
#define MX_MCP_STATELESS_REVISION "2026-07-28"

/* 2026-07-28's error codes (HTTP answers them with 400). */
/* v with every MCP content marker of an executor's result (the value itself
 * or an item of an array result, see mxcp.content) replaced by the content
 * block it carries, as `mxcp run` prints it; takes v, NULL on out of memory. */
json_t *mx_mcp_content_unmark(json_t *v);

#define MX_MCP_CODE_HEADER_MISMATCH -32020
#define MX_MCP_CODE_MISSING_CAPABILITY -32021
#define MX_MCP_CODE_UNSUPPORTED_VERSION -32022

#endif
