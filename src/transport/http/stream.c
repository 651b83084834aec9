/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream — one HTTP response waiting for messages: a POST answered as JSON
 * (its connection suspended until the answer comes) or as SSE, the GET
 * stream, or the legacy /sse stream; and the sink that routes each
 * outgoing message of a session to the stream it belongs to.
 *
 * A stream lives from its request until MHD reports the request complete
 * (and, for SSE, until the response is destroyed); it is linked in its
 * session while it lives. Its fields are guarded by the session's lock.
 */
#include "transport/http/internal.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/time.h"
#include "mcp/jsonrpc.h"
#include "ops/metrics.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* -------------------------------------------------------------- streams */

/* Caller holds hss->mu. */
void mx_http_wake(struct stream *st)
{
	if (st->suspended) {
		st->suspended = 0;
		MHD_resume_connection(st->conn);
	}
}

struct stream *mx_http_stream_new(struct hsession *hss, struct MHD_Connection *conn, enum stream_kind kind)
{
	struct stream *st = mx_calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	atomic_init(&st->refs, kind == ST_POST_JSON ? 1 : 2);
	st->hss = hss;
	st->conn = conn;
	st->kind = kind;
	st->t0 = mx_mono_s();
	mx_buf_init(&st->out, MX_BUF_UNBOUNDED);
	atomic_fetch_add(&hss->refs, 1);
	atomic_fetch_add(&hss->h->live_streams, 1);
	pthread_mutex_lock(&hss->mu);
	st->next = hss->streams;
	if (hss->streams)
		hss->streams->prev = st;
	hss->streams = st;
	if (kind == ST_GET || kind == ST_LEGACY)
		hss->listen = st;
	pthread_mutex_unlock(&hss->mu);
	return st;
}

void mx_http_stream_unref(struct stream *st)
{
	if (atomic_fetch_sub(&st->refs, 1) != 1)
		return;
	struct hsession *hss = st->hss;
	struct mx_http *h = hss->h;
	pthread_mutex_lock(&hss->mu);
	if (st->prev)
		st->prev->next = st->next;
	else
		hss->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	if (hss->listen == st)
		hss->listen = NULL;
	hss->last_used = mx_mono_s();
	int counted = st->counted;
	pthread_mutex_unlock(&hss->mu);
	if (counted) {
		/* Ended before its response (the client went away). */
		mx_metrics_inflight(-1);
		mx_metrics_http_request(st->method, st->name, "error", mx_mono_s() - st->t0);
	}
	/* A legacy session lives as long as its stream; a throwaway one as
	 * long as its POST (closing a 2026-07-28 stream cancels the call). */
	if (st->kind == ST_LEGACY || hss->throwaway)
		mx_http_retire(h, hss);
	json_decref(st->await_id);
	json_decref(st->progress_token);
	mx_buf_free(&st->out);
	mx_free(st);
	atomic_fetch_sub(&h->live_streams, 1);
	mx_http_session_unref(hss);
}

static void append_event(struct stream *st, const char *json, size_t len)
{
	if (st->off > 0 && st->off == st->out.len) {
		mx_buf_reset(&st->out);
		st->off = 0;
	}
	mx_buf_puts(&st->out, "event: message\ndata: ");
	mx_buf_append(&st->out, json, len);
	mx_buf_puts(&st->out, "\n\n");
}

/* Caller holds hss->mu. */
void mx_http_stream_finish(struct stream *st, const json_t *msg)
{
	st->done = 1;
	const json_t *e = json_object_get(msg, "error");
	st->failed = e != NULL;
	st->error_code = (int)json_integer_value(json_object_get(e, "code"));
	st->unidentified = e != NULL && json_is_null(json_object_get(msg, "id"));
	if (st->counted) {
		st->counted = 0;
		mx_metrics_inflight(-1);
		mx_metrics_http_request(st->method, st->name, mx_mcp_message_failed(msg) ? "error" : "ok",
		                        mx_mono_s() - st->t0);
	}
}

_Thread_local struct stream *mx_http_receiving;

/* The sink of every HTTP session: route one outgoing message. */
int mx_http_sink_send(void *ctx, const char *json, size_t len, const json_t *msg)
{
	struct hsession *hss = ctx;
	json_t *m = msg ? json_incref((json_t *)msg) : json_loadb(json, len, 0, NULL);
	if (m == NULL)
		return 0;
	pthread_mutex_lock(&hss->mu);
	struct stream *t = NULL;
	int final = 0;
	const char *method = json_string_value(json_object_get(m, "method"));
	if (json_is_array(m)) {
		for (t = hss->streams; t && !(t->await_batch && !t->done); t = t->next)
			;
		final = 1;
	} else if (method == NULL) {
		const json_t *id = json_object_get(m, "id");
		for (t = hss->streams; t; t = t->next)
			if (!t->done && t->await_id && id && json_equal(t->await_id, (json_t *)id))
				break;
		if (t == NULL && (id == NULL || json_is_null(id)) && mx_http_receiving &&
		    mx_http_receiving->hss == hss && !mx_http_receiving->done)
			t = mx_http_receiving;
		final = 1;
	} else if (mx_mcp_related_request() != NULL) {
		/* a running call's notification: on that request's stream */
		const json_t *rel = mx_mcp_related_request();
		for (t = hss->streams; t; t = t->next)
			if (t->kind == ST_POST_SSE && !t->done && t->await_id &&
			    json_equal(t->await_id, (json_t *)rel))
				break;
	} else if (strcmp(method, "notifications/progress") == 0) {
		const json_t *tok = json_object_get(json_object_get(m, "params"), "progressToken");
		for (t = hss->streams; t; t = t->next)
			if (t->kind == ST_POST_SSE && !t->done && t->progress_token && tok &&
			    json_equal(t->progress_token, (json_t *)tok))
				break;
	} else if (strcmp(method, "notifications/message") == 0) {
		for (t = hss->streams; t; t = t->next)
			if (t->kind == ST_POST_SSE && !t->done)
				break;
	}
	if (t == NULL && !final)
		t = hss->listen;
	if (hss->legacy) {
		t = hss->listen;
		final = 0;
	}
	if (t && t->kind == ST_POST_JSON && final) {
		mx_buf_append(&t->out, json, len);
		mx_http_stream_finish(t, m);
		mx_http_wake(t);
	} else if (t && t->kind != ST_POST_JSON && !t->done) {
		append_event(t, json, len);
		if (final && t->kind == ST_POST_SSE)
			mx_http_stream_finish(t, m);
		mx_http_wake(t);
	}
	pthread_mutex_unlock(&hss->mu);
	json_decref(m);
	return 0;
}

/* MHD's content reader for SSE streams. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct stream *st = cls;
	struct hsession *hss = st->hss;
	pthread_mutex_lock(&hss->mu);
	if (st->out.len > st->off) {
		size_t n = st->out.len - st->off;
		if (n > max)
			n = max;
		memcpy(buf, st->out.p + st->off, n);
		st->off += n;
		if (st->off == st->out.len) {
			mx_buf_reset(&st->out);
			st->off = 0;
		}
		pthread_mutex_unlock(&hss->mu);
		return (ssize_t)n;
	}
	if (st->done) {
		pthread_mutex_unlock(&hss->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	st->suspended = 1;
	MHD_suspend_connection(st->conn);
	pthread_mutex_unlock(&hss->mu);
	if (st->kind == ST_POST_SSE)
		mx_http_conn_watch(hss->h, mx_http_conn_of(st->conn));
	return 0;
}

static void sse_free(void *cls)
{
	mx_http_stream_unref(cls);
}

enum MHD_Result mx_http_queue_sse(struct MHD_Connection *conn, struct stream *st, const char *session_id)
{
	struct MHD_Response *r =
	        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, st, sse_free);
	if (r == NULL) {
		mx_http_stream_unref(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-cache, no-transform");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	if (session_id)
		MHD_add_response_header(r, "Mcp-Session-Id", session_id);
	enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* A POST's JSON answer, once it has come (called with the stream done). */
static enum MHD_Result queue_post_json(struct MHD_Connection *conn, struct stream *st)
{
	struct hsession *hss = st->hss;
	pthread_mutex_lock(&hss->mu);
	unsigned status = MHD_HTTP_OK;
	if (st->abandoned)
		status = MHD_HTTP_SERVICE_UNAVAILABLE; /* the server stopped before the answer */
	else if (st->modern && st->failed && st->error_code == MX_RPC_METHOD_NOT_FOUND)
		status = MHD_HTTP_NOT_FOUND;
	else if (st->modern && st->failed &&
	         (st->error_code == -32022 || st->error_code == -32021 || st->error_code == -32020))
		status = MHD_HTTP_BAD_REQUEST; /* version, capability, header mismatch */
	else if (st->error_code == -32001 && st->failed)
		status = MHD_HTTP_NOT_FOUND; /* the session ended under it */
	else if (st->unidentified)
		status = MHD_HTTP_BAD_REQUEST; /* e.g. a batch where the revision has none */
	int init_failed = st->is_init && st->failed;
	const char *sid = st->is_init && !init_failed && !hss->throwaway ? hss->id : NULL;
	enum MHD_Result rc =
	        mx_http_queue(conn, status, "application/json", st->out.p ? st->out.p : "", st->out.len, sid);
	pthread_mutex_unlock(&hss->mu);
	if (init_failed && !hss->throwaway)
		mx_http_retire(hss->h, hss);
	return rc;
}

/* Has the peer of a waiting (suspended) stream closed its connection?
 * MHD does not read a suspended connection, so peeking at it is safe. A
 * stream that is not suspended is being written: MHD notices itself.
 * Caller holds the session lock. */
int mx_http_stream_peer_gone(struct stream *st)
{
	if (!st->suspended || st->done)
		return 0;
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return 0;
	char b;
	ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Answer a waiting POST now with an error and resume its connection; the
 * call behind it is cancelled by the caller (mx_mcp_server_cancel, after
 * the locks are let go). Caller holds the session lock. */
void mx_http_stream_abandon(struct stream *st, int code, const char *why)
{
	json_t *e = mx_rpc_error(st->await_id, code, why, NULL);
	char *text = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
	if (text && st->kind == ST_POST_SSE)
		append_event(st, text, strlen(text));
	else if (text)
		mx_buf_puts(&st->out, text);
	mx_http_stream_finish(st, e);
	st->abandoned = 1;
	mx_http_wake(st);
	mx_free(text);
	json_decref(e);
}

/* A POST answered as JSON: send the answer if it is in, else suspend the
 * connection until it is (mx_http_sink_send resumes it). */
enum MHD_Result mx_http_await_answer(struct mx_http *h, struct MHD_Connection *c, struct req *rq)
{
	struct stream *st = rq->st;
	pthread_mutex_lock(&st->hss->mu);
	int done = st->done;
	if (!done) {
		st->suspended = 1;
		MHD_suspend_connection(c);
	}
	pthread_mutex_unlock(&st->hss->mu);
	if (done)
		return queue_post_json(c, st);
	mx_http_conn_watch(h, rq->conn);
	return MHD_YES;
}
