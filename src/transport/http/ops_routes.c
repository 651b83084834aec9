/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ops_routes — the operations routes, never behind auth: /health, /ready
 * (the checks the server installed, ops/ready.h), /tools/list (the
 * protocol core's serialised list) and /metrics (ops/metrics.h). Each only
 * asks its owner and writes the answer.
 */
#include "transport/http/internal.h"

#include "core/buf.h"
#include "ops/metrics.h"
#include "ops/ready.h"

enum MHD_Result mx_http_get_health(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)h, (void)rq;
	mx_metrics_http_request("/health", "", "ok", 0);
	return mx_http_queue(c, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}", 15, NULL);
}

enum MHD_Result mx_http_get_ready(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)rq;
	json_t *checks = json_object();
	int ok = mx_ready_run(h->opt.ready, checks);
	mx_metrics_http_request("/ready", "", ok ? "ok" : "error", 0);
	return mx_http_queue_json(
	        c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	        json_pack("{s:s, s:o}", "status", ok ? "ready" : "not ready", "checks", checks));
}

/* GET /tools/list: every tool, all pages, as {"tools": [...]}. */
enum MHD_Result mx_http_get_tools_list(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)rq;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	int rc = mx_mcp_server_tools_json(h->mcp, &b);
	mx_metrics_http_request("/tools/list", "", rc == 0 ? "ok" : "error", 0);
	enum MHD_Result r =
	        rc == 0 ? mx_http_queue(c, MHD_HTTP_OK, "application/json", b.p ? b.p : "", b.len, NULL)
	                : mx_http_queue_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
	                                     json_pack("{s:s}", "error", "tools/list failed"));
	mx_buf_free(&b);
	return r;
}

enum MHD_Result mx_http_get_metrics(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	(void)h, (void)rq;
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	int rc = mx_metrics_render(&b);
	enum MHD_Result r =
	        rc == 0 ? mx_http_queue(c, MHD_HTTP_OK, MX_METRICS_CONTENT_TYPE, b.p ? b.p : "", b.len, NULL)
	                : mx_http_queue(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "metrics failed", 14,
	                                NULL);
	mx_buf_free(&b);
	return r;
}
