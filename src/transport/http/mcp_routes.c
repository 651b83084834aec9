/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcp_routes — the MCP routes: POST, GET and DELETE /mcp (streamable
 * HTTP, every revision) and the legacy HTTP+SSE transport (GET /sse, POST
 * /messages/?session_id=…). Each hands whole messages to the protocol core
 * on the MHD thread and answers through a stream; nothing here waits for a
 * call.
 */
#include "transport/http/internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "mcp/jsonrpc.h"
#include "ops/metrics.h"
#include "transport/http/request_headers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ /mcp POST */

/* What a 2026-07-28 request's params lack of the _meta that revision
 * requires (protocolVersion, clientCapabilities; clientInfo is a SHOULD),
 * or NULL. */
static const char *missing_meta(const json_t *params)
{
	const json_t *meta = json_object_get(params, "_meta");
	if (!json_is_object(meta))
		return "_meta is required in protocol revision " MX_MCP_STATELESS_REVISION;
	if (!json_is_string(json_object_get(meta, "io.modelcontextprotocol/protocolVersion")))
		return "_meta[\"io.modelcontextprotocol/protocolVersion\"] is required";
	if (!json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities")))
		return "_meta[\"io.modelcontextprotocol/clientCapabilities\"] is required";
	return NULL;
}

/* 400 with UnsupportedProtocolVersionError (-32022): data.supported lists
 * the revisions we speak (as server/discover does), data.requested echoes
 * the header. */
static enum MHD_Result refuse_version(struct MHD_Connection *c, const char *hpv, const json_t *id)
{
	json_t *supported = json_array();
	for (int i = 0; supported && MX_MCP_REVISIONS[i]; i++)
		json_array_append_new(supported, json_string(MX_MCP_REVISIONS[i]));
	char msg[160];
	snprintf(msg, sizeof msg, "Bad Request: Unsupported protocol version: %.64s", hpv);
	json_t *data = json_pack("{s:o, s:s}", "supported", supported, "requested", hpv);
	json_t *idv = json_is_string(id) || json_is_integer(id) ? (json_t *)id : NULL;
	mx_metrics_http_request("/mcp", "", "error", 0);
	return mx_http_queue_json(c, MHD_HTTP_BAD_REQUEST,
	                          mx_rpc_error(idv, MX_MCP_CODE_UNSUPPORTED_VERSION, msg, data));
}

enum MHD_Result mx_http_post_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	const char *ctype = mx_http_header(c, "Content-Type");
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0)
		return mx_http_refuse(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, -32000, NULL,
		                      "Unsupported Media Type: Content-Type must be application/json");
	const char *accept = mx_http_header(c, "Accept");
	if (!mx_http_accepts(accept, "application/json") || !mx_http_accepts(accept, "text/event-stream"))
		return mx_http_refuse(
		        c, MHD_HTTP_NOT_ACCEPTABLE, -32000, NULL,
		        "Not Acceptable: Client must accept both application/json and text/event-stream");
	const char *hpv = mx_http_header(c, "MCP-Protocol-Version");
	json_error_t jerr;
	json_t *msg = json_loadb(rq->body.p ? rq->body.p : "", rq->body.len, 0, &jerr);
	if (hpv && !mx_http_supported_revision(hpv)) {
		/* UnsupportedProtocolVersionError: the revisions we speak, the one
		 * asked for, and the request's id when the body has one. */
		enum MHD_Result r = refuse_version(c, hpv, json_object_get(msg, "id"));
		json_decref(msg);
		return r;
	}
	if (msg == NULL)
		return mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_PARSE_ERROR, NULL, "Parse error: %s",
		                      jerr.text);
	if (!(json_is_object(msg) || (json_is_array(msg) && json_array_size(msg) > 0))) {
		json_decref(msg);
		return mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_INVALID_REQUEST, NULL,
		                      "Invalid Request: the body must be a JSON-RPC message");
	}
	/* What the body holds. */
	const char *method = json_string_value(json_object_get(msg, "method"));
	const json_t *params = json_object_get(msg, "params");
	/* A request is a message with a method and an id, whatever their
	 * types: one the core refuses is still answered on this POST. */
	int has_request = json_object_get(msg, "method") && json_object_get(msg, "id");
	for (size_t i = 0; i < json_array_size(msg); i++) {
		const json_t *m = json_array_get(msg, i);
		has_request |= json_object_get(m, "method") && json_object_get(m, "id");
	}
	int is_init = method && has_request && strcmp(method, "initialize") == 0;
	const char *body_pv = json_string_value(
	        json_object_get(json_object_get(params, "_meta"), "io.modelcontextprotocol/protocolVersion"));
	int modern = (hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0) ||
	             (body_pv && strcmp(body_pv, MX_MCP_STATELESS_REVISION) == 0);
	char why[600];
	/* 2026-07-28 on the wire (its header) but a request without the _meta
	 * that revision requires: -32602 with 400, before anything else. */
	const char *no_meta =
	        hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0 && has_request && json_is_object(msg)
	                ? missing_meta(params)
	                : NULL;
	if (no_meta) {
		enum MHD_Result r = mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_INVALID_PARAMS,
		                                   json_object_get(msg, "id"), "Invalid params: %s", no_meta);
		json_decref(msg);
		return r;
	}
	const char *mismatch = modern ? mx_http_header_mismatch(c, msg, why, sizeof why) : NULL;
	if (mismatch) {
		enum MHD_Result r = mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, -32020,
		                                   json_object_get(msg, "id"), "%s", mismatch);
		json_decref(msg);
		return r;
	}
	/* Every worker busy and the queue full: say so now, with Retry-After,
	 * rather than take a call that cannot be queued — unless the response
	 * cache may answer it on this thread without a worker. */
	int runs_on_worker = json_is_array(msg) || (has_request && mx_mcp_method_on_worker(method));
	if (runs_on_worker && mx_mcp_server_saturated(h->mcp) && !mx_mcp_server_may_hit_cache(h->mcp, msg)) {
		enum MHD_Result r =
		        mx_http_refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, json_object_get(msg, "id"),
		                       "Service Unavailable: every worker is busy and the queue is full, "
		                       "retry later");
		json_decref(msg);
		return r;
	}

	/* The session it runs on. */
	struct hsession *hss = NULL;
	const char *sid = mx_http_header(c, "Mcp-Session-Id");
	int full = 0;
	if (modern || h->opt.stateless) {
		hss = mx_http_session_new(h, 1, 0, &full);
		if (hss && !modern && !is_init)
			mx_mcp_session_assume_initialized(hss->ss, hpv);
	} else if (is_init) {
		struct hsession *old = sid ? mx_http_session_find(h, sid, 0) : NULL;
		if (old) {
			mx_http_session_unref(old);
			json_decref(msg);
			return mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_INVALID_REQUEST, NULL,
			                      "Invalid Request: Server already initialized");
		}
		hss = mx_http_session_new(h, 0, 0, &full);
	} else if (sid == NULL) {
		json_decref(msg);
		return mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		                      "Bad Request: Mcp-Session-Id header is required");
	} else if ((hss = mx_http_session_find(h, sid, 0)) == NULL) {
		json_decref(msg);
		return mx_http_refuse(c, MHD_HTTP_NOT_FOUND, -32001, NULL, "Session not found");
	}
	if (hss == NULL) {
		json_decref(msg);
		if (full) {
			char addr[INET6_ADDRSTRLEN + 8];
			if (mx_http_refusal_log_due())
				mx_warn("http: session limit (%zu) reached, refused a session to %s",
				        h->opt.max_sessions, mx_http_client_address(h, c, addr, sizeof addr));
			return mx_http_refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, NULL,
			                      "Service Unavailable: too many sessions (%zu), retry later",
			                      h->opt.max_sessions);
		}
		return mx_http_refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		                      "Internal error");
	}

	if (!has_request) {
		mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, NULL, rq->user);
		if (hss->throwaway)
			mx_http_retire(h, hss);
		mx_http_session_unref(hss);
		mx_metrics_http_request(method ? method : "/mcp", "", "ok", mx_mono_s() - rq->t0);
		json_decref(msg);
		return mx_http_queue(c, MHD_HTTP_ACCEPTED, NULL, "", 0, NULL);
	}
	/* A call that may notify is answered as SSE, so the notifications
	 * can go out before its response. */
	int sse = json_is_object(msg) && mx_mcp_session_may_notify(hss->ss, msg);
	struct stream *st = mx_http_stream_new(hss, c, sse ? ST_POST_SSE : ST_POST_JSON);
	if (st == NULL) {
		if (hss->throwaway)
			mx_http_retire(h, hss);
		mx_http_session_unref(hss);
		json_decref(msg);
		return mx_http_refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		                      "Internal error");
	}
	pthread_mutex_lock(&hss->mu);
	st->modern = modern;
	st->is_init = is_init;
	st->await_batch = json_is_array(msg);
	st->await_id = json_is_object(msg) ? json_incref(json_object_get(msg, "id")) : NULL;
	const json_t *tok = json_object_get(json_object_get(params, "_meta"), "progressToken");
	st->progress_token = tok ? json_incref((json_t *)tok) : NULL;
	snprintf(st->method, sizeof st->method, "%s", method ? method : "batch");
	const char *name = json_string_value(json_object_get(params, "name"));
	if (name == NULL)
		name = json_string_value(json_object_get(params, "uri"));
	snprintf(st->name, sizeof st->name, "%s", name && strcmp(st->method, "tools/call") == 0 ? name : "");
	st->counted = 1;
	pthread_mutex_unlock(&hss->mu);
	mx_metrics_inflight(1);
	rq->st = st;
	mx_http_conn_hold(h, rq->conn, st);
	const char *out_sid = hss->throwaway ? NULL : hss->id;
	json_t *req_headers = mx_http_request_headers(c); /* get_request_header() in the call's SQL */
	mx_http_receiving = st;
	mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, req_headers, rq->user);
	mx_http_receiving = NULL;
	json_decref(req_headers);
	json_decref(msg);
	mx_http_session_unref(hss);
	if (sse)
		return mx_http_queue_sse(c, st, out_sid);
	return mx_http_await_answer(h, c, rq);
}

/* ------------------------------------------------- /mcp GET and DELETE */

/* The session a GET or DELETE names in Mcp-Session-Id (a reference), or
 * NULL with the refusal answered in *refused. */
static struct hsession *named_session(struct mx_http *h, struct MHD_Connection *c, enum MHD_Result *refused)
{
	const char *sid = mx_http_header(c, "Mcp-Session-Id");
	struct hsession *hss = sid ? mx_http_session_find(h, sid, 0) : NULL;
	if (sid == NULL)
		*refused = mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		                          "Bad Request: Mcp-Session-Id header is required");
	else if (hss == NULL)
		*refused = mx_http_refuse(c, MHD_HTTP_NOT_FOUND, -32001, NULL, "Session not found");
	return hss;
}

enum MHD_Result mx_http_get_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)rq;
	const char *hpv = mx_http_header(c, "MCP-Protocol-Version");
	if (h->opt.stateless || (hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0))
		return mx_http_refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
	if (!mx_http_accepts(mx_http_header(c, "Accept"), "text/event-stream"))
		return mx_http_refuse(c, MHD_HTTP_NOT_ACCEPTABLE, -32000, NULL,
		                      "Not Acceptable: Client must accept text/event-stream");
	if (hpv && !mx_http_supported_revision(hpv))
		return mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		                      "Bad Request: Unsupported protocol version: %.64s", hpv);
	enum MHD_Result refused;
	struct hsession *hss = named_session(h, c, &refused);
	if (hss == NULL)
		return refused;
	pthread_mutex_lock(&hss->mu);
	/* A client whose GET stream dropped (network blip, restart) comes back
	 * with a new one; the server learns of the drop only when it next
	 * writes (a heartbeat, up to 15 s away). A waiting stream whose peer
	 * has closed is ended now and the new one takes its place. */
	if (hss->listen != NULL && mx_http_stream_peer_gone(hss->listen)) {
		hss->listen->done = 1;
		mx_http_wake(hss->listen);
		hss->listen = NULL;
	}
	int busy = hss->listen != NULL;
	pthread_mutex_unlock(&hss->mu);
	if (busy) {
		mx_http_session_unref(hss);
		return mx_http_refuse(c, MHD_HTTP_CONFLICT, -32000, NULL,
		                      "Conflict: Only one SSE stream is allowed per session");
	}
	struct stream *st = mx_http_stream_new(hss, c, ST_GET);
	mx_http_session_unref(hss);
	if (st == NULL)
		return mx_http_refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		                      "Internal error");
	pthread_mutex_lock(&hss->mu);
	mx_buf_puts(&st->out, ": stream open\n\n");
	pthread_mutex_unlock(&hss->mu);
	/* The request's reference goes with the response: a GET stream has no
	 * request context of its own. */
	mx_http_stream_unref(st);
	mx_metrics_http_request("GET /mcp", "", "ok", 0);
	return mx_http_queue_sse(c, st, hss->id);
}

enum MHD_Result mx_http_delete_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)rq;
	const char *hpv = mx_http_header(c, "MCP-Protocol-Version");
	if (h->opt.stateless || (hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0))
		return mx_http_refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
	enum MHD_Result refused;
	struct hsession *hss = named_session(h, c, &refused);
	if (hss == NULL)
		return refused;
	mx_http_retire(h, hss);
	mx_http_session_unref(hss);
	mx_metrics_http_request("DELETE /mcp", "", "ok", 0);
	return mx_http_queue(c, MHD_HTTP_OK, NULL, "", 0, NULL);
}

/* ------------------------------------------------------ legacy HTTP+SSE */

enum MHD_Result mx_http_get_sse(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)rq;
	int full = 0;
	struct hsession *hss = mx_http_session_new(h, 0, 1, &full);
	if (hss == NULL)
		return mx_http_refuse(c, full ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
		                      -32000, NULL,
		                      full ? "Service Unavailable: too many sessions" : "Internal error");
	struct stream *st = mx_http_stream_new(hss, c, ST_LEGACY);
	if (st == NULL) {
		mx_http_retire(h, hss);
		mx_http_session_unref(hss);
		return mx_http_refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		                      "Internal error");
	}
	pthread_mutex_lock(&hss->mu);
	mx_buf_printf(&st->out, "event: endpoint\ndata: /messages/?session_id=%s\n\n", hss->id);
	pthread_mutex_unlock(&hss->mu);
	mx_http_session_unref(hss);
	mx_http_stream_unref(st); /* see get_mcp */
	mx_metrics_http_request("GET /sse", "", "ok", 0);
	return mx_http_queue_sse(c, st, NULL);
}

enum MHD_Result mx_http_post_messages(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session_id");
	if (sid == NULL)
		return mx_http_queue(c, MHD_HTTP_BAD_REQUEST, "text/plain", "session_id is required", 22,
		                     NULL);
	struct hsession *hss = mx_http_session_find(h, sid, 1);
	if (hss == NULL)
		return mx_http_queue(c, MHD_HTTP_NOT_FOUND, "text/plain", "Could not find session", 22, NULL);
	json_t *msg = json_loadb(rq->body.p ? rq->body.p : "", rq->body.len, 0, NULL);
	if (msg == NULL) {
		mx_http_session_unref(hss);
		return mx_http_queue(c, MHD_HTTP_BAD_REQUEST, "text/plain", "Could not parse message", 23,
		                     NULL);
	}
	const char *method = json_string_value(json_object_get(msg, "method"));
	mx_metrics_http_request(method ? method : "POST /messages", "", "ok", mx_mono_s() - rq->t0);
	json_t *req_headers = mx_http_request_headers(c); /* get_request_header() in the call's SQL */
	mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, req_headers, rq->user);
	json_decref(req_headers);
	json_decref(msg);
	mx_http_session_unref(hss);
	return mx_http_queue(c, MHD_HTTP_ACCEPTED, "text/plain", "Accepted", 8, NULL);
}
