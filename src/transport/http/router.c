/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router — libmicrohttpd's request callbacks: the body read (bounded, a 413
 * as soon as it passes the limit), the route table, the Host/Origin checks
 * in front of the MCP routes, and the answers every route shares.
 */
#include "transport/http/internal.h"

#include "auth/auth.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "mcp/jsonrpc.h"
#include "ops/metrics.h"
#include "transport/http/request_headers.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------- responses */

atomic_int mx_http_closing;

enum MHD_Result mx_http_queue(struct MHD_Connection *conn, unsigned status, const char *ctype,
                              const char *body, size_t len, const char *session_id)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	if (session_id)
		MHD_add_response_header(r, "Mcp-Session-Id", session_id);
	if (status == 405)
		MHD_add_response_header(r, "Allow", "GET, POST, DELETE");
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "1");
	/* A refused body is left unread, and a stopping server takes no
	 * more requests on a kept-alive connection: close after this one. */
	if (status == 413 || atomic_load(&mx_http_closing))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result mx_http_queue_json(struct MHD_Connection *conn, unsigned status, json_t *doc)
{
	char *s = doc ? mx_json_dumps(doc, MX_JSON_COMPACT) : NULL;
	json_decref(doc);
	enum MHD_Result rc = mx_http_queue(conn, s ? status : 500, "application/json", s ? s : "{}",
	                                   s ? strlen(s) : 2, NULL);
	mx_free(s);
	return rc;
}

/* An HTTP-level refusal with a JSON-RPC error body (id null unless given). */
enum MHD_Result mx_http_refuse(struct MHD_Connection *conn, unsigned status, int code, json_t *id,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum MHD_Result mx_http_refuse(struct MHD_Connection *conn, unsigned status, int code, json_t *id,
                               const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mx_metrics_http_request("/mcp", "", "error", 0);
	return mx_http_queue_json(conn, status, mx_rpc_error(id, code, msg, NULL));
}
/* ------------------------------------------------------------ the body */

/* A body past the limit: declared so (Content-Length), or while it is still
 * coming (chunked). The 413 goes out now, before the body is read, and the
 * connection is closed. libmicrohttpd takes a response only before a body
 * or after all of it, and one queued before the body would close the
 * socket with the body unread (a reset the client may see before the
 * answer), so the 413 is written on the socket here, the write side shut,
 * what the client still sends drained for a moment (mx_http_linger_close),
 * and MHD told to drop the connection. */
static enum MHD_Result cut_too_big(struct mx_http *h, struct req *rq, const char *url)
{
	mx_metrics_http_request("/mcp", "", "error", 0);
	if (rq->conn == NULL)
		return MHD_NO;
	int legacy = strncmp(url, "/messages", 9) == 0;
	char msg[128], head[256];
	snprintf(msg, sizeof msg, "Request body larger than %zu bytes", h->opt.max_body);
	json_t *e = legacy ? NULL : mx_rpc_error(NULL, MX_RPC_INVALID_REQUEST, msg, NULL);
	char *json = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
	json_decref(e);
	const char *body = legacy ? "Request body too large" : json ? json : "";
	size_t blen = strlen(body);
	int hlen = snprintf(head, sizeof head,
	                    "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\n"
	                    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
	                    legacy ? "text/plain" : "application/json", blen);
	struct iovec iov[2] = {{head, (size_t)hlen}, {(void *)body, blen}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t w = sendmsg(rq->conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	mx_free(json);
	shutdown(rq->conn->fd, SHUT_WR);
	mx_http_linger_close(h, rq->conn->fd);
	return MHD_NO;
}

/* ---------------------------------------------------------- route table */

/* The checks in front of the MCP routes (the middleware slot): each answers
 * the request itself (returns 1) or lets it through (0). */
typedef int (*guard_fn)(struct mx_http *h, struct MHD_Connection *c, const char *method, const char *url,
                        struct req *rq, enum MHD_Result *answer);

static int guard_host(struct mx_http *h, struct MHD_Connection *c, const char *method, const char *url,
                      struct req *rq, enum MHD_Result *answer)
{
	(void)h, (void)method, (void)url, (void)rq;
	if (mx_http_header(c, "Host") != NULL)
		return 0;
	/* HTTP/1.1 requires it (RFC 9112 §3.2); without it the Origin check
	 * has nothing to hold the Origin against. */
	*answer = mx_http_refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL, "Bad Request: missing Host header");
	return 1;
}

static int guard_origin(struct mx_http *h, struct MHD_Connection *c, const char *method, const char *url,
                        struct req *rq, enum MHD_Result *answer)
{
	(void)rq;
	if (mx_http_origin_ok(h, c) == 0)
		return 0;
	char addr[INET6_ADDRSTRLEN + 8];
	const char *origin = mx_http_header(c, "Origin");
	if (mx_http_refusal_log_due())
		mx_warn("http: refused %s %s from %s: Origin %s, Host %s not allowed", method, url,
		        mx_http_client_address(h, c, addr, sizeof addr), origin ? origin : "(none)",
		        mx_http_header(c, "Host") ? mx_http_header(c, "Host") : "(none)");
	*answer = mx_http_refuse(c, MHD_HTTP_FORBIDDEN, -32000, NULL,
	                         "Forbidden: invalid Origin or Host header");
	return 1;
}

/* The token of an `Authorization: Bearer <token>` header (the scheme is
 * case-insensitive, RFC 9110 §11.1), or NULL. */
static const char *bearer_token(struct MHD_Connection *c)
{
	const char *v = mx_http_header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return NULL;
	v += 7;
	while (*v == ' ')
		v++;
	return *v ? v : NULL;
}

/* A 401/403/503 with the challenge and a JSON-RPC error body. */
static enum MHD_Result auth_refuse(struct mx_http *h, struct MHD_Connection *c, enum mx_auth_status st)
{
	char base[1100], challenge[2048];
	mx_http_base_url(h, c, base, sizeof base);
	unsigned status = st == MX_AUTH_FORBIDDEN     ? MHD_HTTP_FORBIDDEN
	                  : st == MX_AUTH_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE
	                                              : MHD_HTTP_UNAUTHORIZED;
	const char *msg = st == MX_AUTH_FORBIDDEN ? "Forbidden: insufficient scope"
	                  : st == MX_AUTH_UNAVAILABLE
	                          ? "Service Unavailable: the identity provider cannot be reached"
	                  : st == MX_AUTH_NO_TOKEN ? "Unauthorized: authentication required"
	                                           : "Unauthorized: invalid token";
	json_t *e = mx_rpc_error(NULL, -32001, msg, NULL);
	char *body = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
	json_decref(e);
	mx_metrics_http_request("/mcp", "", "denied", 0);
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        body ? strlen(body) : 0, body ? body : (void *)"", MHD_RESPMEM_MUST_COPY);
	mx_free(body);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (st != MX_AUTH_UNAVAILABLE &&
	    mx_auth_challenge(h->opt.auth, st, base, challenge, sizeof challenge) == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
	if (st == MX_AUTH_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "5");
	if (atomic_load(&mx_http_closing))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* With auth: the bearer token becomes the request's identity, or the
 * request is refused here. The reason logged never holds the token. */
static int guard_auth(struct mx_http *h, struct MHD_Connection *c, const char *method, const char *url,
                      struct req *rq, enum MHD_Result *answer)
{
	if (h->opt.auth == NULL)
		return 0;
	char reason[160], resource[1100 + 256];
	/* RFC 8707: the resource this request is for, as the client reached it. */
	mx_http_base_url(h, c, resource, 1100);
	size_t bl = strlen(resource);
	snprintf(resource + bl, sizeof resource - bl, "%s", url);
	enum mx_auth_status st =
	        mx_auth_verify_for(h->opt.auth, bearer_token(c), resource, &rq->user, reason, sizeof reason);
	if (st == MX_AUTH_OK)
		return 0;
	if (st != MX_AUTH_NO_TOKEN && mx_http_refusal_log_due()) {
		char addr[INET6_ADDRSTRLEN + 8];
		mx_warn("http: %s %s from %s: %s (%s)", method, url,
		        mx_http_client_address(h, c, addr, sizeof addr),
		        st == MX_AUTH_UNAVAILABLE ? "identity provider unavailable" : "token refused",
		        reason);
	}
	*answer = auth_refuse(h, c, st);
	return 1;
}

static const guard_fn GUARDS[] = {guard_host, guard_origin, guard_auth};

/* ----------------------------------------------------------- auth routes */

struct query_acc {
	struct mx_buf *b;
	int failed;
};

static void url_escape(struct mx_buf *b, const char *s, int *failed)
{
	for (; s && *s && !*failed; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
		*failed |= plain ? mx_buf_append(b, s, 1) : mx_buf_printf(b, "%%%02X", ch);
	}
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct query_acc *q = cls;
	if (q->b->len)
		q->failed |= mx_buf_append(q->b, "&", 1);
	url_escape(q->b, key, &q->failed);
	if (value) {
		q->failed |= mx_buf_append(q->b, "=", 1);
		url_escape(q->b, value, &q->failed);
	}
	return MHD_YES;
}

/* A path the auth module answers (issuer mode's OAuth routes, the
 * protected-resource metadata): 1 with *answer set. Never guarded. */
static int auth_route(struct mx_http *h, struct MHD_Connection *c, const char *url, const char *method,
                      struct req *rq, enum MHD_Result *answer)
{
	if (h->opt.auth == NULL)
		return 0;
	struct mx_buf query;
	mx_buf_init(&query, 64 * 1024);
	struct query_acc q = {&query, 0};
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &q);
	char base[1100], addr[INET6_ADDRSTRLEN + 8];
	json_t *headers = mx_http_request_headers(c);
	struct mx_auth_http_request arq = {
	        .method = method,
	        .path = url,
	        .query = query.len && !q.failed ? query.p : NULL,
	        .body = rq->body.len ? rq->body.p : NULL,
	        .body_len = rq->body.len,
	        .content_type = mx_http_header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
	        .headers = headers,
	        .base_url = mx_http_base_url(h, c, base, sizeof base),
	        .client_address = mx_http_client_address(h, c, addr, sizeof addr),
	};
	struct mx_auth_http_response out;
	int hit = mx_auth_route(h->opt.auth, &arq, &out);
	json_decref(headers);
	mx_buf_free(&query);
	if (!hit)
		return 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        out.body_len, out.body ? out.body : (void *)"", MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		mx_auth_http_response_clear(&out);
		*answer = MHD_NO;
		return 1;
	}
	if (out.content_type[0])
		MHD_add_response_header(r, "Content-Type", out.content_type);
	if (out.location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, out.location);
	if (out.cache_control[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, out.cache_control);
	if (atomic_load(&mx_http_closing))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	*answer = MHD_queue_response(c, (unsigned)(out.status ? out.status : 500), r);
	MHD_destroy_response(r);
	mx_metrics_http_request(url, "", out.status < 400 ? "ok" : "error", mx_mono_s() - rq->t0);
	mx_auth_http_response_clear(&out);
	return 1;
}

static enum MHD_Result mcp_not_allowed(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)h, (void)rq;
	return mx_http_refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
}

static enum MHD_Result plain_not_allowed(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)h, (void)rq;
	return mx_http_queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, NULL);
}

enum {
	R_SLASH = 1, /* "/path/" too */
	R_GUARDED = 2, /* behind GUARDS */
	R_STREAMABLE = 4, /* not served with --transport sse */
	R_MCP = R_SLASH | R_GUARDED | R_STREAMABLE,
	R_LEGACY = R_SLASH | R_GUARDED,
};

/* First match wins; a NULL method is any method the entries before it did
 * not take. A path with no entry for the method is 404. */
static const struct route {
	const char *path;
	const char *method;
	unsigned flags;
	enum MHD_Result (*fn)(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
} ROUTES[] = {
        {"/health", MHD_HTTP_METHOD_GET, 0, mx_http_get_health},
        {"/ready", MHD_HTTP_METHOD_GET, 0, mx_http_get_ready},
        {"/tools/list", MHD_HTTP_METHOD_GET, 0, mx_http_get_tools_list},
        {"/metrics", MHD_HTTP_METHOD_GET, 0, mx_http_get_metrics},
        {"/mcp", MHD_HTTP_METHOD_POST, R_MCP, mx_http_post_mcp},
        {"/mcp", MHD_HTTP_METHOD_GET, R_MCP, mx_http_get_mcp},
        {"/mcp", MHD_HTTP_METHOD_DELETE, R_MCP, mx_http_delete_mcp},
        {"/mcp", NULL, R_MCP, mcp_not_allowed},
        {"/sse", MHD_HTTP_METHOD_GET, R_LEGACY, mx_http_get_sse},
        {"/sse", NULL, R_LEGACY, plain_not_allowed},
        {"/messages", MHD_HTTP_METHOD_POST, R_LEGACY, mx_http_post_messages},
        {"/messages", NULL, R_LEGACY, plain_not_allowed},
};

static int path_is(const char *url, const struct route *r)
{
	size_t n = strlen(r->path);
	return strncmp(url, r->path, n) == 0 &&
	       (url[n] == '\0' || ((r->flags & R_SLASH) && url[n] == '/' && url[n + 1] == '\0'));
}

static enum MHD_Result route(struct mx_http *h, struct MHD_Connection *c, const char *url, const char *method,
                             struct req *rq)
{
	const struct route *hit = NULL;
	for (size_t i = 0; hit == NULL && i < sizeof ROUTES / sizeof *ROUTES; i++) {
		const struct route *r = &ROUTES[i];
		if ((r->flags & R_STREAMABLE) && h->opt.legacy_only)
			continue;
		if (path_is(url, r) && (r->method == NULL || strcmp(r->method, method) == 0))
			hit = r;
	}
	enum MHD_Result answer;
	if (hit == NULL && auth_route(h, c, url, method, rq, &answer))
		return answer;
	if (hit == NULL)
		return mx_http_queue(c, MHD_HTTP_NOT_FOUND, "application/json", "{\"error\":\"not found\"}",
		                     21, NULL);
	for (size_t i = 0; (hit->flags & R_GUARDED) && i < sizeof GUARDS / sizeof *GUARDS; i++)
		if (GUARDS[i](h, c, method, url, rq, &answer))
			return answer;
	return hit->fn(h, c, rq);
}

/* ----------------------------------------------------------- the callbacks */

enum MHD_Result mx_http_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *version, const char *upload, size_t *upload_size,
                                   void **con_cls)
{
	(void)version;
	struct mx_http *h = cls;
	struct req *rq = *con_cls;
	if (rq == NULL) {
		rq = mx_calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		mx_buf_init(&rq->body, h->opt.max_body);
		rq->t0 = mx_mono_s();
		*con_cls = rq;
		mx_http_conn_request_started(c, rq);
		if (atomic_load(&mx_http_closing))
			return mx_http_refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, NULL,
			                      "Service Unavailable: the server is shutting down");
		/* A declared length past the limit is refused before a byte of
		 * the body is read. */
		const char *cl = mx_http_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > h->opt.max_body)
			return cut_too_big(h, rq, url);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* A chunked body is counted as it comes: refused (and the
		 * connection closed) the moment it passes the limit. */
		if (mx_buf_append(&rq->body, upload, *upload_size) != 0) {
			mx_buf_free(&rq->body);
			*upload_size = 0;
			return cut_too_big(h, rq, url);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	mx_http_conn_request_read(rq);
	if (rq->st)
		return mx_http_await_answer(h, c, rq); /* resumed: the JSON answer has come */
	return route(h, c, url, method, rq);
}

void mx_http_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
	struct mx_http *h = cls;
	(void)toe;
	mx_http_conn_request_done(h, c);
	struct req *rq = *con_cls;
	if (rq == NULL)
		return;
	if (rq->st)
		mx_http_stream_unref(rq->st);
	mx_buf_free(&rq->body);
	json_decref(rq->user);
	mx_free(rq);
	*con_cls = NULL;
}
