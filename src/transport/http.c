/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http — see http.h.
 *
 * Threads. libmicrohttpd runs in epoll mode with a thread pool of at least
 * 2 (0.9.75's single-thread epoll mode stalls under many keep-alive
 * clients; with a pool it does not, and costs ~6% less CPU per call than
 * poll mode, which rebuilds its descriptor set at every wake-up).
 * MHD threads only parse, validate and route: every MCP call goes to the
 * protocol core (mx_mcp_session_receive), whose workers answer through the
 * session's sink. One reaper thread frees sessions (mx_mcp_session_free
 * waits for in-flight calls, so it never runs on an MHD thread), expires
 * idle ones and writes SSE heartbeats. The main thread waits for signals.
 *
 * Objects. A struct hsession wraps one mx_mcp_session: an HTTP session
 * (Mcp-Session-Id), a legacy /sse session, or a throwaway session that
 * serves a single stateless or 2026-07-28 POST. Every one sits in the
 * session table until it is retired (DELETE, idle timeout, its legacy
 * stream closed, its throwaway POST finished), then the reaper frees it.
 * A struct stream is one HTTP response waiting for messages: a POST
 * answered as JSON (the connection is suspended until the response comes)
 * or as SSE, the GET stream, or the legacy /sse stream. A stream lives from
 * its request until MHD reports the request complete (and, for SSE, until
 * the response is destroyed); it is linked in its session while it lives.
 *
 * Routing. The sink parses each outgoing message: a response goes to the
 * stream awaiting its id; notifications/progress to the SSE stream whose
 * request carried the token; notifications/message to the newest SSE POST
 * stream; anything else to the GET (or legacy) stream, or nowhere.
 *
 * Locks: table lock (h->mu) before a session's lock (hss->mu); a stream's
 * fields are guarded by its session's lock. MHD_suspend_connection and
 * MHD_resume_connection are called under the session lock, so a wake-up
 * cannot slip between "nothing to send" and "suspended".
 */
#include "transport/http.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "exec/invoke.h"
#include "exec/sql.h"
#include "exec/workers.h"
#include "mcp/jsonrpc.h"
#include "model/project.h"
#include "ops/metrics.h"
#include "transport/request_headers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUCKETS 4096
#define LINGER_MAX 64 /* sockets closing after a 413, at most */
#define LINGER_SECONDS 2.0
#define LINGER_TAG (UINT64_C(1) << 63) /* epoll data: a lingering socket */
#define HEARTBEAT_SECONDS 15.0
#define GRAVE_BATCH 64 /* throwaway sessions freed together */
#define GRAVE_DELAY_MS 20 /* … or at the latest this long after retiring */

enum stream_kind { ST_POST_JSON, ST_POST_SSE, ST_GET, ST_LEGACY };

struct hsession;

struct stream {
	atomic_int refs; /* the request, plus the SSE response */
	struct hsession *hss;
	struct MHD_Connection *conn;
	enum stream_kind kind;
	json_t *await_id; /* POST: the request id whose response ends it */
	int await_batch;
	int abandoned; /* its client left, or the server stopped, before the answer */
	json_t *progress_token;
	struct mx_buf out; /* bytes not yet handed to MHD */
	size_t off;
	int done; /* the final message is in out */
	int suspended;
	int modern;
	int is_init;
	int failed; /* final message was a JSON-RPC error */
	int unidentified; /* … with a null id: the body itself was refused */
	int error_code;
	int counted; /* in the in-flight gauge */
	double t0;
	char method[64];
	char name[160];
	struct stream *prev, *next;
};

struct hsession {
	atomic_int refs; /* the table, plus one per linked stream */
	struct http *h;
	struct mx_mcp_session *ss;
	pthread_mutex_t mu;
	char id[33];
	int legacy;
	int throwaway;
	int logging; /* logging/setLevel seen: tool calls may log */
	int retired;
	double last_used;
	struct stream *streams;
	struct stream *listen; /* the GET or legacy stream */
	uint64_t serial; /* of ss, for mx_mcp_server_cancel */
	struct hsession *hnext; /* table chain */
	struct hsession *gnext; /* graveyard */
};

struct http {
	struct mx_mcp_server *mcp;
	struct mx_http_options opt;
	struct MHD_Daemon *d;
	int loopback;
	char base_origin[512];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hsession *table[BUCKETS];
	size_t nsessions; /* not counting throwaway ones */
	struct hsession *graveyard;
	size_t ngrave; /* sessions in the graveyard */
	int grave_urgent; /* one of them is not a throwaway: free it now */
	int stop;
	int stopping; /* refuse new sessions */
	atomic_int live_streams;
	pthread_t reaper;
	/* Connections (struct conn) and the peer watch. */
	pthread_mutex_t conn_mu;
	struct conn *conns;
	struct conn *conn_table[BUCKETS];
	uint64_t conn_serial;
	int epfd; /* EPOLLRDHUP of suspended connections; the wake eventfd */
	int wakefd;
	/* Sockets closed after a 413 written mid-body: kept open (a dup) and
	 * read until the client stops sending, so that the close does not
	 * reset the connection before the client reads the answer. */
	struct linger_sock {
		int fd;
		double until;
	} lingering[LINGER_MAX];
	size_t nlingering;
	pthread_t watcher;
	atomic_int stop_watcher;
	/* /ready: a dedicated connection, never a worker's */
	pthread_mutex_t ready_mu;
	struct mx_dbconn *ready_conn;
};

struct req {
	struct mx_buf body;
	struct stream *st;
	struct conn *conn; /* the connection it came on (NULL if not tracked) */
	double t0;
};

/* One accepted connection, MHD's socket context from accept to close.
 * It is what the read deadline and the peer watch work on: `reading`
 * while the connection waits for (the rest of) a request — since accept or
 * since its previous request completed — and `st`, the POST it holds
 * suspended while a call runs, so the watcher can tell the call that
 * its client left. The list and table are guarded by h->conn_mu; `st` is
 * set and cleared under it too (the stream outlives it: its request's
 * reference is dropped only after on_completed clears it). */
struct conn {
	uint64_t serial;
	int fd;
	int cut; /* shut down for missing the read deadline */
	atomic_int reading;
	atomic_llong ready_ms; /* mx_mono ms when it began waiting */
	struct stream *st;
	struct conn *prev, *next; /* every connection */
	struct conn *tnext; /* serial table chain */
};

static struct conn *conn_of(struct MHD_Connection *c);
static void conn_watch(struct http *h, struct conn *cn);

/* ------------------------------------------------------------- responses */

/* Set once SIGTERM is taken: every response from then on closes its
 * connection (one server per process). */
static atomic_int closing_connections;

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, const char *ctype,
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
	if (status == 413 || atomic_load(&closing_connections))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result queue_json(struct MHD_Connection *conn, unsigned status, json_t *doc)
{
	char *s = doc ? mx_json_dumps(doc, MX_JSON_COMPACT) : NULL;
	json_decref(doc);
	enum MHD_Result rc =
	        queue(conn, s ? status : 500, "application/json", s ? s : "{}", s ? strlen(s) : 2, NULL);
	mx_free(s);
	return rc;
}

/* An HTTP-level refusal with a JSON-RPC error body (id null unless given). */
static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, int code, json_t *id,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, int code, json_t *id,
                              const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mx_metrics_http_request("/mcp", "", "error", 0);
	return queue_json(conn, status, mx_rpc_error(id, code, msg, NULL));
}

/* ------------------------------------------------------------- sessions */

static void hss_unref(struct hsession *hss)
{
	if (atomic_fetch_sub(&hss->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&hss->mu);
	mx_free(hss);
}

static unsigned bucket_of(const char *id)
{
	unsigned v = 2166136261u;
	for (; *id; id++)
		v = (v ^ (unsigned char)*id) * 16777619u;
	return v % BUCKETS;
}

static int random_id(char out[33])
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MX_EIO;
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

static int hs_send(void *ctx, const char *json, size_t len, const json_t *msg);

/* A new session in the table (one reference for the caller besides the
 * table's). NULL with *full set when the cap is reached. */
static struct hsession *session_new(struct http *h, int throwaway, int legacy, int *full)
{
	*full = 0;
	struct hsession *hss = mx_calloc(1, sizeof *hss);
	if (hss == NULL)
		return NULL;
	/* A throwaway session is never looked up by its id: a counter will do
	 * (and spares a getrandom call per stateless request). */
	static atomic_ullong throwaways;
	if (throwaway)
		snprintf(hss->id, sizeof hss->id, "t%031llx", atomic_fetch_add(&throwaways, 1));
	else if (random_id(hss->id) != 0) {
		mx_free(hss);
		return NULL;
	}
	atomic_init(&hss->refs, 2);
	hss->h = h;
	hss->throwaway = throwaway;
	hss->legacy = legacy;
	hss->last_used = mx_mono_s();
	pthread_mutex_init(&hss->mu, NULL);
	struct mx_mcp_sink sink = {.send = hs_send, .ctx = hss};
	pthread_mutex_lock(&h->mu);
	if (!throwaway && (h->stopping || h->nsessions >= h->opt.max_sessions)) {
		pthread_mutex_unlock(&h->mu);
		*full = 1;
		pthread_mutex_destroy(&hss->mu);
		mx_free(hss);
		return NULL;
	}
	if (!throwaway)
		h->nsessions++;
	unsigned b = bucket_of(hss->id);
	hss->hnext = h->table[b];
	h->table[b] = hss;
	pthread_mutex_unlock(&h->mu);
	hss->ss = mx_mcp_session_new(h->mcp, &sink);
	if (hss->ss == NULL) {
		pthread_mutex_lock(&h->mu);
		struct hsession **pp = &h->table[b];
		while (*pp != hss)
			pp = &(*pp)->hnext;
		*pp = hss->hnext;
		if (!throwaway)
			h->nsessions--;
		pthread_mutex_unlock(&h->mu);
		pthread_mutex_destroy(&hss->mu);
		mx_free(hss);
		return NULL;
	}
	hss->serial = mx_mcp_session_serial(hss->ss);
	if (!throwaway) {
		mx_mcp_session_set_id(hss->ss, hss->id); /* audit records carry it */
		mx_metrics_sessions(1);
	}
	return hss;
}

/* Look a session up by id (throwaway ones are never found); takes a reference. */
static struct hsession *session_find(struct http *h, const char *id, int legacy)
{
	if (id == NULL || strlen(id) != 32)
		return NULL;
	pthread_mutex_lock(&h->mu);
	struct hsession *hss = h->table[bucket_of(id)];
	while (hss && strcmp(hss->id, id) != 0)
		hss = hss->hnext;
	if (hss && (hss->throwaway || hss->retired || hss->legacy != legacy))
		hss = NULL;
	if (hss) {
		atomic_fetch_add(&hss->refs, 1);
		hss->last_used = mx_mono_s();
	}
	pthread_mutex_unlock(&h->mu);
	return hss;
}

/* Take a session out of the table; the reaper frees it. Caller holds h->mu. */
static void retire_locked(struct http *h, struct hsession *hss)
{
	if (hss->retired)
		return;
	hss->retired = 1;
	struct hsession **pp = &h->table[bucket_of(hss->id)];
	while (*pp && *pp != hss)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = hss->hnext;
	if (!hss->throwaway)
		h->nsessions--;
	hss->gnext = h->graveyard;
	h->graveyard = hss;
	h->ngrave++;
	/* A stateless POST retires its throwaway session: waking the reaper for
	 * each would cost a context switch per request, so those are freed in
	 * batches (or within GRAVE_DELAY_MS). */
	if (!hss->throwaway)
		h->grave_urgent = 1;
	if (h->grave_urgent || h->ngrave >= GRAVE_BATCH || h->stopping)
		pthread_cond_signal(&h->cv);
}

static void retire(struct http *h, struct hsession *hss)
{
	pthread_mutex_lock(&h->mu);
	retire_locked(h, hss);
	pthread_mutex_unlock(&h->mu);
}

/* -------------------------------------------------------------- streams */

/* Caller holds hss->mu. */
static void wake(struct stream *st)
{
	if (st->suspended) {
		st->suspended = 0;
		MHD_resume_connection(st->conn);
	}
}

static struct stream *stream_new(struct hsession *hss, struct MHD_Connection *conn, enum stream_kind kind)
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

static void stream_unref(struct stream *st)
{
	if (atomic_fetch_sub(&st->refs, 1) != 1)
		return;
	struct hsession *hss = st->hss;
	struct http *h = hss->h;
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
		retire(h, hss);
	json_decref(st->await_id);
	json_decref(st->progress_token);
	mx_buf_free(&st->out);
	mx_free(st);
	atomic_fetch_sub(&h->live_streams, 1);
	hss_unref(hss);
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
static void finish(struct stream *st, const json_t *msg)
{
	st->done = 1;
	const json_t *e = json_object_get(msg, "error");
	const json_t *res = json_object_get(msg, "result");
	st->failed = e != NULL;
	st->error_code = (int)json_integer_value(json_object_get(e, "code"));
	st->unidentified = e != NULL && json_is_null(json_object_get(msg, "id"));
	int is_error = st->failed || json_is_true(json_object_get(res, "isError"));
	if (st->counted) {
		st->counted = 0;
		mx_metrics_inflight(-1);
		mx_metrics_http_request(st->method, st->name, is_error ? "error" : "ok",
		                        mx_mono_s() - st->t0);
	}
}

/* The POST stream whose body this thread is handing to the core. An error
 * the core answers at once with a null id (a batch the revision does not
 * allow, an unreadable request) names no request to route by: it belongs
 * to the body being received, never to another stream of the session. */
static _Thread_local struct stream *receiving;

/* The sink of every HTTP session: route one outgoing message. */
static int hs_send(void *ctx, const char *json, size_t len, const json_t *msg)
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
		if (t == NULL && (id == NULL || json_is_null(id)) && receiving && receiving->hss == hss &&
		    !receiving->done)
			t = receiving;
		final = 1;
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
		finish(t, m);
		wake(t);
	} else if (t && t->kind != ST_POST_JSON && !t->done) {
		append_event(t, json, len);
		if (final && t->kind == ST_POST_SSE)
			finish(t, m);
		wake(t);
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
		conn_watch(hss->h, conn_of(st->conn));
	return 0;
}

static void sse_free(void *cls)
{
	stream_unref(cls);
}

static enum MHD_Result queue_sse(struct MHD_Connection *conn, struct stream *st, const char *session_id)
{
	struct MHD_Response *r =
	        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, st, sse_free);
	if (r == NULL) {
		stream_unref(st);
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
	else if (st->modern && st->failed && st->error_code == -32022)
		status = MHD_HTTP_BAD_REQUEST;
	else if (st->error_code == -32001 && st->failed)
		status = MHD_HTTP_NOT_FOUND; /* the session ended under it */
	else if (st->unidentified)
		status = MHD_HTTP_BAD_REQUEST; /* e.g. a batch where the revision has none */
	int init_failed = st->is_init && st->failed;
	const char *sid = st->is_init && !init_failed && !hss->throwaway ? hss->id : NULL;
	enum MHD_Result rc =
	        queue(conn, status, "application/json", st->out.p ? st->out.p : "", st->out.len, sid);
	pthread_mutex_unlock(&hss->mu);
	if (init_failed && !hss->throwaway)
		retire(hss->h, hss);
	return rc;
}

/* ----------------------------------------------------------- connections */

/* MHD_OPTION_NOTIFY_CONNECTION: a connection is accepted or closed. MHD
 * closes the socket only after the CLOSED notice, so a struct conn found
 * under conn_mu always names an open descriptor. */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct conn *cn = ci ? mx_calloc(1, sizeof *cn) : NULL;
		if (cn == NULL)
			return; /* untracked: no read deadline, no peer watch */
		cn->fd = ci->connect_fd;
		atomic_init(&cn->reading, 1);
		atomic_init(&cn->ready_ms, (long long)(mx_mono_ns() / 1000000));
		pthread_mutex_lock(&h->conn_mu);
		cn->serial = ++h->conn_serial;
		cn->next = h->conns;
		if (h->conns)
			h->conns->prev = cn;
		h->conns = cn;
		unsigned b = (unsigned)(cn->serial % BUCKETS);
		cn->tnext = h->conn_table[b];
		h->conn_table[b] = cn;
		pthread_mutex_unlock(&h->conn_mu);
		*socket_context = cn;
		return;
	}
	struct conn *cn = *socket_context;
	if (cn == NULL)
		return;
	pthread_mutex_lock(&h->conn_mu);
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		h->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	struct conn **pp = &h->conn_table[cn->serial % BUCKETS];
	while (*pp != cn)
		pp = &(*pp)->tnext;
	*pp = cn->tnext;
	pthread_mutex_unlock(&h->conn_mu);
	mx_free(cn);
	*socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The request's head is in: remember its connection. */
static void conn_request_started(struct MHD_Connection *c, struct req *rq)
{
	rq->conn = conn_of(c);
}

/* The whole request is in: the read deadline no longer applies. */
static void conn_request_read(struct req *rq)
{
	if (rq->conn)
		atomic_store(&rq->conn->reading, 0);
}

/* The response is out (or the request failed): the connection waits for
 * its next request, and holds no stream any more. */
static void conn_request_done(struct http *h, struct MHD_Connection *c)
{
	struct conn *cn = conn_of(c);
	if (cn == NULL)
		return;
	if (cn->st) { /* only this connection's own thread sets it */
		pthread_mutex_lock(&h->conn_mu);
		cn->st = NULL;
		pthread_mutex_unlock(&h->conn_mu);
	}
	atomic_store(&cn->ready_ms, (long long)(mx_mono_ns() / 1000000));
	atomic_store(&cn->reading, 1);
}

/* The connection carries a POST whose call runs: while it waits, the
 * watcher may end it when the client leaves. */
static void conn_hold(struct http *h, struct conn *cn, struct stream *st)
{
	if (cn == NULL)
		return;
	pthread_mutex_lock(&h->conn_mu);
	cn->st = st;
	pthread_mutex_unlock(&h->conn_mu);
}

/* Watch a suspended connection for its peer's leaving (one event, then
 * re-armed at the next suspension). */
static void conn_watch(struct http *h, struct conn *cn)
{
	if (cn == NULL || h->epfd < 0)
		return;
	struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT, .data.u64 = cn->serial};
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, cn->fd, &ev) != 0 && errno == ENOENT)
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, cn->fd, &ev);
}

/* Has the peer of a waiting (suspended) stream closed its connection?
 * MHD does not read a suspended connection, so peeking at it is safe. A
 * stream that is not suspended is being written: MHD notices itself.
 * Caller holds the session lock. */
static int stream_peer_gone(struct stream *st)
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
static void abandon_locked(struct stream *st, int code, const char *why)
{
	json_t *e = mx_rpc_error(st->await_id, code, why, NULL);
	char *text = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
	if (text && st->kind == ST_POST_SSE)
		append_event(st, text, strlen(text));
	else if (text)
		mx_buf_puts(&st->out, text);
	finish(st, e);
	st->abandoned = 1;
	wake(st);
	mx_free(text);
	json_decref(e);
}

/* What to cancel once a stream is abandoned. */
struct orphan {
	uint64_t serial;
	json_t *id; /* NULL: every call of the (throwaway) session */
};

/* Abandon the stream a connection holds if it still waits and `gone` says
 * so; fills *o. Caller holds conn_mu. */
static int abandon_held(struct conn *cn, int peer_left, struct orphan *o)
{
	struct stream *st = cn->st;
	if (st == NULL)
		return 0;
	struct hsession *hss = st->hss;
	int took = 0;
	pthread_mutex_lock(&hss->mu);
	if ((st->kind == ST_POST_JSON || st->kind == ST_POST_SSE) && st->suspended && !st->done &&
	    (!peer_left || stream_peer_gone(st))) {
		o->serial = hss->serial;
		o->id = hss->throwaway || st->await_id == NULL ? NULL : json_incref(st->await_id);
		abandon_locked(st, peer_left ? -32800 : -32000,
		               peer_left ? "Request cancelled: the client closed the connection"
		                         : "Service Unavailable: the server is shutting down");
		took = 1;
	}
	pthread_mutex_unlock(&hss->mu);
	return took;
}

/* Keep reading (and dropping) what a refused client still sends, on a
 * duplicate of its socket, until it stops or LINGER_SECONDS pass: closing
 * a socket with unread data resets the connection, and the reset can
 * destroy the answer before the client has read it. */
static void linger_close(struct http *h, int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return;
	pthread_mutex_lock(&h->conn_mu);
	int ok = h->nlingering < LINGER_MAX;
	if (ok) {
		h->lingering[h->nlingering].fd = dup_fd;
		h->lingering[h->nlingering].until = mx_mono_s() + LINGER_SECONDS;
		h->nlingering++;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
		                         .data.u64 = LINGER_TAG | (uint64_t)dup_fd};
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, dup_fd, &ev);
	}
	pthread_mutex_unlock(&h->conn_mu);
	if (!ok)
		close(dup_fd);
	else
		eventfd_write(h->wakefd, 1); /* the watcher now needs a timeout */
}

/* Drain a lingering socket (fd >= 0), and close the ones that ended or
 * whose time is up; returns the milliseconds until the next is due. */
static int linger_service(struct http *h, int fd)
{
	double now = mx_mono_s(), next = -1;
	pthread_mutex_lock(&h->conn_mu);
	for (size_t i = 0; i < h->nlingering;) {
		struct linger_sock *l = &h->lingering[i];
		int done = now >= l->until;
		if (l->fd == fd) {
			char sink[16384];
			ssize_t n;
			while ((n = recv(fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
				;
			done |= n == 0 ||
			        (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
		}
		if (done) {
			close(l->fd);
			*l = h->lingering[--h->nlingering];
			continue;
		}
		if (next < 0 || l->until < next)
			next = l->until;
		i++;
	}
	pthread_mutex_unlock(&h->conn_mu);
	return next < 0 ? -1 : (int)((next - now) * 1000) + 1;
}

/* The peer watch: a client that closes its connection while its call runs
 * gets the call cancelled (the worker is freed at once: the query is
 * interrupted) instead of holding a worker for nobody. */
static void *watcher_main(void *arg)
{
	struct http *h = arg;
	struct epoll_event evs[64];
	int timeout = -1;
	for (;;) {
		int n = epoll_wait(h->epfd, evs, 64, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		int stop = 0;
		timeout = linger_service(h, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == 0) {
				eventfd_t v;
				eventfd_read(h->wakefd, &v);
				stop = atomic_load(&h->stop_watcher);
				continue;
			}
			if (evs[i].data.u64 & LINGER_TAG) {
				timeout = linger_service(h, (int)(evs[i].data.u64 & ~LINGER_TAG));
				continue;
			}
			struct orphan o = {0};
			int took = 0;
			pthread_mutex_lock(&h->conn_mu);
			struct conn *cn = h->conn_table[evs[i].data.u64 % BUCKETS];
			while (cn && cn->serial != evs[i].data.u64)
				cn = cn->tnext;
			if (cn)
				took = abandon_held(cn, 1, &o);
			pthread_mutex_unlock(&h->conn_mu);
			if (took) {
				size_t k = mx_mcp_server_cancel(h->mcp, o.serial, o.id);
				mx_debug("http: a client left its call: %zu call(s) cancelled", k);
				json_decref(o.id);
			}
		}
		if (stop)
			break;
	}
	return NULL;
}

/* A POST answered as JSON: send the answer if it is in, else suspend the
 * connection until it is (hs_send resumes it). */
static enum MHD_Result await_answer(struct http *h, struct MHD_Connection *c, struct req *rq)
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
	conn_watch(h, rq->conn);
	return MHD_YES;
}

/* The read deadline: a connection that has not sent a whole request within
 * read_timeout of being ready for one is shut down (MHD then closes it).
 * Runs on the reaper about once a second. */
static void cut_slow_connections(struct http *h)
{
	long long now = (long long)(mx_mono_ns() / 1000000);
	long long limit = (long long)h->opt.read_timeout * 1000;
	size_t cut = 0;
	pthread_mutex_lock(&h->conn_mu);
	for (struct conn *cn = h->conns; cn; cn = cn->next) {
		if (cn->cut || !atomic_load(&cn->reading) || now - atomic_load(&cn->ready_ms) < limit)
			continue;
		shutdown(cn->fd, SHUT_RDWR);
		cn->cut = 1;
		cut++;
	}
	pthread_mutex_unlock(&h->conn_mu);
	if (cut > 0)
		mx_debug("http: closed %zu connection(s) that sent no whole request in %u s", cut,
		         h->opt.read_timeout);
}

/* Shutdown, the grace over: answer every POST still waiting and resume its
 * connection, so the daemon stops with none suspended. Returns how many. */
static size_t abandon_all(struct http *h)
{
	size_t n = 0;
	pthread_mutex_lock(&h->conn_mu);
	for (struct conn *cn = h->conns; cn; cn = cn->next) {
		struct orphan o = {0};
		if (abandon_held(cn, 0, &o)) {
			json_decref(o.id);
			n++;
		}
	}
	pthread_mutex_unlock(&h->conn_mu);
	return n;
}

/* ------------------------------------------------------ request checks */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Refusals are logged at most once a second, so a flood of bad requests
 * cannot flood the log as well. */
static int refusal_log_due(void)
{
	static _Atomic long long last;
	long long now = (long long)time(NULL);
	long long prev = atomic_load(&last);
	return prev != now && atomic_compare_exchange_strong(&last, &prev, now);
}

/* The client's address for logs: the peer, or — behind a trusted proxy —
 * the last X-Forwarded-For entry, the one that proxy appended (entries to
 * its left come from the client and can say anything). */
static const char *client_address(const struct http *h, struct MHD_Connection *c, char *out, size_t n)
{
	const char *xff = h->opt.trust_proxy ? header(c, "X-Forwarded-For") : NULL;
	if (xff != NULL && *xff != '\0') {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ' || *last == '\t')
			last++;
		size_t len = strcspn(last, " \t");
		if (len > 0) {
			snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), last);
			return out;
		}
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	snprintf(out, n, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)n);
	return out;
}

/* The host part of "host[:port]" or "[v6]:port", lower-cased. */
static void host_part(const char *hp, char *out, size_t n)
{
	size_t i = 0;
	if (*hp == '[') {
		const char *e = strchr(hp, ']');
		size_t len = e ? (size_t)(e - hp + 1) : strlen(hp);
		for (; i < len && i + 1 < n; i++)
			out[i] = hp[i];
	} else {
		for (; hp[i] && hp[i] != ':' && hp[i] != '/' && i + 1 < n; i++)
			out[i] = (char)(hp[i] >= 'A' && hp[i] <= 'Z' ? hp[i] + 32 : hp[i]);
	}
	out[i] = '\0';
}

static int is_local_name(const char *host)
{
	return !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]");
}

static int same_text(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* DNS-rebinding protection: 0 when the request may go on. Bound to a
 * loopback address, only localhost names are accepted in Host and Origin;
 * otherwise an Origin must be the server's own (Host, or base_url). The
 * caller has refused a request without Host (400) already. */
static int origin_ok(struct http *h, struct MHD_Connection *c)
{
	const char *origin = header(c, "Origin");
	const char *host = header(c, "Host");
	if (h->opt.trust_proxy && header(c, "X-Forwarded-Host"))
		host = header(c, "X-Forwarded-Host");
	/* An opaque origin ("null": sandboxed frames, file: pages, some
	 * redirects) cannot be on any allow-list. */
	if (origin && strcmp(origin, "null") == 0)
		return -1;
	char name[300];
	if (h->loopback) {
		host_part(host, name, sizeof name);
		if (!is_local_name(name))
			return -1;
		if (origin) {
			const char *p = strstr(origin, "://");
			host_part(p ? p + 3 : origin, name, sizeof name);
			if (!is_local_name(name))
				return -1;
		}
		return 0;
	}
	if (origin == NULL)
		return 0;
	if (h->base_origin[0] && same_text(origin, h->base_origin))
		return 0;
	const char *p = strstr(origin, "://");
	if (p == NULL || host == NULL || !same_text(p + 3, host))
		return -1;
	if (h->opt.trust_proxy && header(c, "X-Forwarded-Proto")) {
		const char *proto = header(c, "X-Forwarded-Proto");
		if (strlen(proto) != (size_t)(p - origin) || strncasecmp(origin, proto, (size_t)(p - origin)))
			return -1;
	}
	return 0;
}

/* Does a comma-separated media-type list name `type` (or a wildcard)? */
static int accepts(const char *accept, const char *type)
{
	if (accept == NULL)
		return 0;
	if (strstr(accept, "*/*"))
		return 1;
	size_t n = strlen(type);
	for (const char *p = accept; (p = strcasestr(p, type)) != NULL; p += n) {
		char after = p[n];
		if (after == '\0' || after == ',' || after == ';' || after == ' ')
			return 1;
	}
	return 0;
}

static int supported_revision(const char *v)
{
	for (int i = 0; MX_MCP_REVISIONS[i]; i++)
		if (strcmp(v, MX_MCP_REVISIONS[i]) == 0)
			return 1;
	return 0;
}

/* Decode Mcp-Name's "=?base64?…?=" form into out; 0, or -1 if malformed. */
static int decode_header_value(const char *v, char *out, size_t n)
{
	size_t len = strlen(v);
	if (len < 11 || strncmp(v, "=?base64?", 9) != 0 || strcmp(v + len - 2, "?=") != 0) {
		if (len + 1 > n)
			return -1;
		memcpy(out, v, len + 1);
		return 0;
	}
	size_t o;
	if (mx_base64_decode(v + 9, len - 11, out, n - 1, &o) != 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* 2026-07-28: the request headers must mirror the body. NULL, or why not. */
static const char *modern_header_mismatch(struct MHD_Connection *c, const json_t *msg, char *why, size_t n)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	const json_t *params = json_object_get(msg, "params");
	const char *pv = json_string_value(
	        json_object_get(json_object_get(params, "_meta"), "io.modelcontextprotocol/protocolVersion"));
	const char *hpv = header(c, "MCP-Protocol-Version");
	if (hpv == NULL)
		return "Header mismatch: the MCP-Protocol-Version header is required";
	if (pv && strcmp(pv, hpv) != 0) {
		snprintf(why, n,
		         "Header mismatch: MCP-Protocol-Version header value '%s' does not match body value "
		         "'%s'",
		         hpv, pv);
		return why;
	}
	if (method == NULL)
		return NULL;
	const char *hm = header(c, "Mcp-Method");
	if (hm == NULL)
		return "Header mismatch: the Mcp-Method header is required";
	if (strcmp(hm, method) != 0) {
		snprintf(why, n,
		         "Header mismatch: Mcp-Method header value '%s' does not match body value '%s'", hm,
		         method);
		return why;
	}
	const char *key = !strcmp(method, "tools/call") || !strcmp(method, "prompts/get") ? "name"
	                  : !strcmp(method, "resources/read")                             ? "uri"
	                                                                                  : NULL;
	if (key == NULL || !json_is_object(msg) || json_object_get(msg, "id") == NULL)
		return NULL;
	const char *body = json_string_value(json_object_get(params, key));
	const char *hn = header(c, "Mcp-Name");
	if (hn == NULL)
		return "Header mismatch: the Mcp-Name header is required";
	char dec[1024];
	if (decode_header_value(hn, dec, sizeof dec) != 0)
		return "Header mismatch: the Mcp-Name header is malformed";
	if (body == NULL || strcmp(dec, body) != 0) {
		snprintf(why, n,
		         "Header mismatch: Mcp-Name header value '%.200s' does not match body value '%.200s'",
		         dec, body ? body : "");
		return why;
	}
	return NULL;
}

/* ------------------------------------------------------------ /mcp POST */

static int may_notify(const struct hsession *hss, const json_t *msg, int modern)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	if (method == NULL || (strcmp(method, "tools/call") && strcmp(method, "resources/read") &&
	                       strcmp(method, "prompts/get")))
		return 0;
	const json_t *meta = json_object_get(json_object_get(msg, "params"), "_meta");
	if (json_object_get(meta, "progressToken"))
		return 1;
	if (modern)
		return json_object_get(meta, "io.modelcontextprotocol/logLevel") != NULL;
	return hss->logging;
}

static enum MHD_Result post_mcp(struct http *h, struct MHD_Connection *c, struct req *rq)
{
	const char *ctype = header(c, "Content-Type");
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0)
		return refuse(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, -32000, NULL,
		              "Unsupported Media Type: Content-Type must be application/json");
	const char *accept = header(c, "Accept");
	if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream"))
		return refuse(
		        c, MHD_HTTP_NOT_ACCEPTABLE, -32000, NULL,
		        "Not Acceptable: Client must accept both application/json and text/event-stream");
	const char *hpv = header(c, "MCP-Protocol-Version");
	if (hpv && !supported_revision(hpv))
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		              "Bad Request: Unsupported protocol version: %.64s (supported versions: "
		              "2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)",
		              hpv);
	json_error_t jerr;
	json_t *msg = json_loadb(rq->body.p ? rq->body.p : "", rq->body.len, 0, &jerr);
	if (msg == NULL)
		return refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_PARSE_ERROR, NULL, "Parse error: %s",
		              jerr.text);
	if (!(json_is_object(msg) || (json_is_array(msg) && json_array_size(msg) > 0))) {
		json_decref(msg);
		return refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_INVALID_REQUEST, NULL,
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
	const char *mismatch = modern ? modern_header_mismatch(c, msg, why, sizeof why) : NULL;
	if (mismatch) {
		enum MHD_Result r =
		        refuse(c, MHD_HTTP_BAD_REQUEST, -32020, json_object_get(msg, "id"), "%s", mismatch);
		json_decref(msg);
		return r;
	}
	/* Every worker busy and the queue full: say so now, with Retry-After,
	 * rather than take a call that cannot be queued. */
	int runs_on_worker = json_is_array(msg) || (has_request && mx_mcp_method_on_worker(method));
	if (runs_on_worker && mx_workers_saturated(mx_mcp_server_workers(h->mcp))) {
		enum MHD_Result r =
		        refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, json_object_get(msg, "id"),
		               "Service Unavailable: every worker is busy and the queue is full, "
		               "retry later");
		json_decref(msg);
		return r;
	}

	/* The session it runs on. */
	struct hsession *hss = NULL;
	const char *sid = header(c, "Mcp-Session-Id");
	int full = 0;
	if (modern || h->opt.stateless) {
		hss = session_new(h, 1, 0, &full);
		if (hss && !modern && !is_init)
			mx_mcp_session_assume_initialized(hss->ss, hpv);
	} else if (is_init) {
		struct hsession *old = sid ? session_find(h, sid, 0) : NULL;
		if (old) {
			hss_unref(old);
			json_decref(msg);
			return refuse(c, MHD_HTTP_BAD_REQUEST, MX_RPC_INVALID_REQUEST, NULL,
			              "Invalid Request: Server already initialized");
		}
		hss = session_new(h, 0, 0, &full);
	} else if (sid == NULL) {
		json_decref(msg);
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		              "Bad Request: Mcp-Session-Id header is required");
	} else if ((hss = session_find(h, sid, 0)) == NULL) {
		json_decref(msg);
		return refuse(c, MHD_HTTP_NOT_FOUND, -32001, NULL, "Session not found");
	}
	if (hss == NULL) {
		json_decref(msg);
		if (full) {
			char addr[INET6_ADDRSTRLEN + 8];
			if (refusal_log_due())
				mx_warn("http: session limit (%zu) reached, refused a session to %s",
				        h->opt.max_sessions, client_address(h, c, addr, sizeof addr));
			return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, -32000, NULL,
			              "Service Unavailable: too many sessions (%zu), retry later",
			              h->opt.max_sessions);
		}
		return refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		              "Internal error");
	}

	if (!has_request) {
		mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, NULL);
		if (hss->throwaway)
			retire(h, hss);
		hss_unref(hss);
		mx_metrics_http_request(method ? method : "/mcp", "", "ok", mx_mono_s() - rq->t0);
		json_decref(msg);
		return queue(c, MHD_HTTP_ACCEPTED, NULL, "", 0, NULL);
	}
	if (method && strcmp(method, "logging/setLevel") == 0)
		hss->logging = 1;
	int sse = json_is_object(msg) && may_notify(hss, msg, modern);
	struct stream *st = stream_new(hss, c, sse ? ST_POST_SSE : ST_POST_JSON);
	if (st == NULL) {
		if (hss->throwaway)
			retire(h, hss);
		hss_unref(hss);
		json_decref(msg);
		return refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
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
	conn_hold(h, rq->conn, st);
	const char *out_sid = hss->throwaway ? NULL : hss->id;
	json_t *req_headers = mx_http_request_headers(c); /* get_request_header() in the call's SQL */
	receiving = st;
	mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, req_headers);
	receiving = NULL;
	json_decref(req_headers);
	json_decref(msg);
	hss_unref(hss);
	if (sse)
		return queue_sse(c, st, out_sid);
	return await_answer(h, c, rq);
}

/* ------------------------------------------------- /mcp GET and DELETE */

static enum MHD_Result get_mcp(struct http *h, struct MHD_Connection *c)
{
	const char *hpv = header(c, "MCP-Protocol-Version");
	if (h->opt.stateless || (hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0))
		return refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
	if (!accepts(header(c, "Accept"), "text/event-stream"))
		return refuse(c, MHD_HTTP_NOT_ACCEPTABLE, -32000, NULL,
		              "Not Acceptable: Client must accept text/event-stream");
	if (hpv && !supported_revision(hpv))
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		              "Bad Request: Unsupported protocol version: %.64s", hpv);
	const char *sid = header(c, "Mcp-Session-Id");
	if (sid == NULL)
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		              "Bad Request: Mcp-Session-Id header is required");
	struct hsession *hss = session_find(h, sid, 0);
	if (hss == NULL)
		return refuse(c, MHD_HTTP_NOT_FOUND, -32001, NULL, "Session not found");
	pthread_mutex_lock(&hss->mu);
	/* A client whose GET stream dropped (network blip, restart) comes back
	 * with a new one; the server learns of the drop only when it next
	 * writes (a heartbeat, up to 15 s away). A waiting stream whose peer
	 * has closed is ended now and the new one takes its place. */
	if (hss->listen != NULL && stream_peer_gone(hss->listen)) {
		hss->listen->done = 1;
		wake(hss->listen);
		hss->listen = NULL;
	}
	int busy = hss->listen != NULL;
	pthread_mutex_unlock(&hss->mu);
	if (busy) {
		hss_unref(hss);
		return refuse(c, MHD_HTTP_CONFLICT, -32000, NULL,
		              "Conflict: Only one SSE stream is allowed per session");
	}
	struct stream *st = stream_new(hss, c, ST_GET);
	hss_unref(hss);
	if (st == NULL)
		return refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		              "Internal error");
	pthread_mutex_lock(&hss->mu);
	mx_buf_puts(&st->out, ": stream open\n\n");
	pthread_mutex_unlock(&hss->mu);
	/* The request's reference goes with the response: a GET stream has no
	 * request context of its own. */
	stream_unref(st);
	mx_metrics_http_request("GET /mcp", "", "ok", 0);
	return queue_sse(c, st, hss->id);
}

static enum MHD_Result delete_mcp(struct http *h, struct MHD_Connection *c)
{
	const char *hpv = header(c, "MCP-Protocol-Version");
	if (h->opt.stateless || (hpv && strcmp(hpv, MX_MCP_STATELESS_REVISION) == 0))
		return refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
	const char *sid = header(c, "Mcp-Session-Id");
	if (sid == NULL)
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL,
		              "Bad Request: Mcp-Session-Id header is required");
	struct hsession *hss = session_find(h, sid, 0);
	if (hss == NULL)
		return refuse(c, MHD_HTTP_NOT_FOUND, -32001, NULL, "Session not found");
	retire(h, hss);
	hss_unref(hss);
	mx_metrics_http_request("DELETE /mcp", "", "ok", 0);
	return queue(c, MHD_HTTP_OK, NULL, "", 0, NULL);
}

/* ------------------------------------------------------ legacy HTTP+SSE */

static enum MHD_Result get_sse(struct http *h, struct MHD_Connection *c)
{
	int full = 0;
	struct hsession *hss = session_new(h, 0, 1, &full);
	if (hss == NULL)
		return refuse(c, full ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR, -32000,
		              NULL, full ? "Service Unavailable: too many sessions" : "Internal error");
	struct stream *st = stream_new(hss, c, ST_LEGACY);
	if (st == NULL) {
		retire(h, hss);
		hss_unref(hss);
		return refuse(c, MHD_HTTP_INTERNAL_SERVER_ERROR, MX_RPC_INTERNAL_ERROR, NULL,
		              "Internal error");
	}
	pthread_mutex_lock(&hss->mu);
	mx_buf_printf(&st->out, "event: endpoint\ndata: /messages/?session_id=%s\n\n", hss->id);
	pthread_mutex_unlock(&hss->mu);
	hss_unref(hss);
	stream_unref(st); /* see get_mcp */
	mx_metrics_http_request("GET /sse", "", "ok", 0);
	return queue_sse(c, st, NULL);
}

static enum MHD_Result post_messages(struct http *h, struct MHD_Connection *c, struct req *rq)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session_id");
	if (sid == NULL)
		return queue(c, MHD_HTTP_BAD_REQUEST, "text/plain", "session_id is required", 22, NULL);
	struct hsession *hss = session_find(h, sid, 1);
	if (hss == NULL)
		return queue(c, MHD_HTTP_NOT_FOUND, "text/plain", "Could not find session", 22, NULL);
	json_t *msg = json_loadb(rq->body.p ? rq->body.p : "", rq->body.len, 0, NULL);
	if (msg == NULL) {
		hss_unref(hss);
		return queue(c, MHD_HTTP_BAD_REQUEST, "text/plain", "Could not parse message", 23, NULL);
	}
	const char *method = json_string_value(json_object_get(msg, "method"));
	mx_metrics_http_request(method ? method : "POST /messages", "", "ok", mx_mono_s() - rq->t0);
	json_t *req_headers = mx_http_request_headers(c); /* get_request_header() in the call's SQL */
	mx_mcp_session_receive_doc(hss->ss, rq->body.p, rq->body.len, msg, req_headers);
	json_decref(req_headers);
	json_decref(msg);
	hss_unref(hss);
	return queue(c, MHD_HTTP_ACCEPTED, "text/plain", "Accepted", 8, NULL);
}

/* ------------------------------------------------------ operations routes */

static int ready_db(struct http *h, char *why, size_t n)
{
	if (h->opt.rt == NULL)
		return 0;
	pthread_mutex_lock(&h->ready_mu);
	struct mx_err err;
	int rc = 0;
	if (h->ready_conn == NULL)
		rc = mx_db_connect(mx_runtime_db(h->opt.rt), &h->ready_conn, &err);
	json_t *rows = NULL;
	if (rc == 0)
		rc = mx_sql_query(h->ready_conn, "SELECT 1", NULL, 0, &rows, &err);
	json_decref(rows);
	pthread_mutex_unlock(&h->ready_mu);
	if (rc)
		snprintf(why, n, "%s", err.msg);
	return rc;
}

static enum MHD_Result get_ready(struct http *h, struct MHD_Connection *c)
{
	struct mx_project *p = h->opt.rt ? mx_runtime_project(h->opt.rt) : NULL;
	json_t *checks = json_object();
	int ok = 1;
	json_object_set_new(checks, "project", json_string(p ? "ok" : "not loaded"));
	ok &= p != NULL;
	char why[MX_ERR_MSG_MAX] = "";
	int db = ready_db(h, why, sizeof why);
	/* An open connection keeps answering after its file is deleted or moved
	 * away; a restart would then find no data, so that is not ready either. */
	if (db == 0 && p && strcmp(p->settings.duckdb_path, ":memory:") != 0 &&
	    access(p->settings.duckdb_path, F_OK) != 0) {
		snprintf(why, sizeof why, "database file %.1900s is missing", p->settings.duckdb_path);
		db = -1;
	}
	json_object_set_new(checks, "database", json_string(db ? why : "ok"));
	ok &= db == 0;
	if (p && p->settings.audit_enabled) {
		/* The file must be writable, or its folder creatable: the writer
		 * creates both on the first record, so create the folders now
		 * (idempotent, and what the first record would do anyway). */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", p->settings.audit_path);
		int w = access(dir, F_OK) == 0 ? access(dir, W_OK) == 0 : 0;
		if (access(dir, F_OK) != 0) {
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = '\0';
			(void)mx_fs_mkdir_p(dir, 0755, NULL, 0);
			w = access(dir, W_OK) == 0;
		}
		json_object_set_new(checks, "audit", json_string(w ? "ok" : "audit path not writable"));
		ok &= w;
	}
	pthread_mutex_lock(&h->mu);
	int stopping = h->stopping;
	pthread_mutex_unlock(&h->mu);
	if (stopping) {
		json_object_set_new(checks, "server", json_string("shutting down"));
		ok = 0;
	}
	mx_metrics_http_request("/ready", "", ok ? "ok" : "error", 0);
	return queue_json(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	                  json_pack("{s:s, s:o}", "status", ok ? "ready" : "not ready", "checks", checks));
}

struct capture {
	json_t *msg;
};

static int capture_send(void *ctx, const char *json, size_t len, const json_t *msg)
{
	(void)msg;
	struct capture *cap = ctx;
	json_decref(cap->msg);
	cap->msg = json_loadb(json, len, 0, NULL);
	return 0;
}

/* GET /tools/list: every tool, all pages, as {"tools": [...]}. */
static enum MHD_Result get_tools_list(struct http *h, struct MHD_Connection *c)
{
	struct capture cap = {0};
	struct mx_mcp_sink sink = {.send = capture_send, .ctx = &cap};
	struct mx_mcp_session *ss = mx_mcp_session_new(h->mcp, &sink);
	json_t *tools = json_array();
	if (ss == NULL || tools == NULL) {
		json_decref(tools);
		return queue_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                  json_pack("{s:s}", "error", "out of memory"));
	}
	mx_mcp_session_assume_initialized(ss, MX_MCP_LATEST_SESSION_REVISION);
	json_t *cursor = NULL;
	int ok = 1;
	for (int page = 0; page < 10000; page++) {
		json_t *req =
		        json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", page, "method", "tools/list");
		if (cursor)
			json_object_set_new(req, "params", json_pack("{s:O}", "cursor", cursor));
		char *text = mx_json_dumps(req, MX_JSON_COMPACT);
		json_decref(req);
		if (text)
			mx_mcp_session_receive(ss, text, strlen(text));
		mx_free(text);
		mx_mcp_session_drain(ss);
		json_t *res = json_object_get(cap.msg, "result");
		if (res == NULL) {
			ok = 0;
			break;
		}
		json_array_extend(tools, json_object_get(res, "tools"));
		json_decref(cursor);
		cursor = json_incref(json_object_get(res, "nextCursor"));
		if (!json_is_string(cursor))
			break;
	}
	json_decref(cursor);
	json_decref(cap.msg);
	mx_mcp_session_free(ss);
	mx_metrics_http_request("/tools/list", "", ok ? "ok" : "error", 0);
	if (!ok) {
		json_decref(tools);
		return queue_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                  json_pack("{s:s}", "error", "tools/list failed"));
	}
	return queue_json(c, MHD_HTTP_OK, json_pack("{s:o}", "tools", tools));
}

static enum MHD_Result get_metrics(struct MHD_Connection *c)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	int rc = mx_metrics_render(&b);
	enum MHD_Result r =
	        rc == 0 ? queue(c, MHD_HTTP_OK, MX_METRICS_CONTENT_TYPE, b.p ? b.p : "", b.len, NULL)
	                : queue(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "metrics failed", 14, NULL);
	mx_buf_free(&b);
	return r;
}

/* ---------------------------------------------------------------- router */

#define STOPPING_BODY                                                              \
	"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":" \
	"\"Service Unavailable: the server is shutting down\"}}"

/* A body past the limit: declared so (Content-Length), or while it is still
 * coming (chunked). The 413 goes out now, before the body is read, and the
 * connection is closed. libmicrohttpd takes a response only before a body
 * or after all of it, and one queued before the body would close the
 * socket with the body unread (a reset the client may see before the
 * answer), so the 413 is written on the socket here, the write side shut,
 * what the client still sends drained for a moment (linger_close), and
 * MHD told to drop the connection. */
static enum MHD_Result cut_too_big(struct http *h, struct req *rq, const char *url)
{
	mx_metrics_http_request("/mcp", "", "error", 0);
	if (rq->conn == NULL)
		return MHD_NO;
	char body[256], head[256];
	int blen = strncmp(url, "/messages", 9) == 0
	                   ? snprintf(body, sizeof body, "Request body too large")
	                   : snprintf(body, sizeof body,
	                              "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,"
	                              "\"message\":\"Request body larger than %zu bytes\"}}",
	                              MX_RPC_INVALID_REQUEST, h->opt.max_body);
	int hlen = snprintf(head, sizeof head,
	                    "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\n"
	                    "Content-Type: %s\r\nContent-Length: %d\r\n\r\n",
	                    url[1] == 'm' && url[2] == 'e' ? "text/plain" : "application/json", blen);
	struct iovec iov[2] = {{head, (size_t)hlen}, {body, (size_t)blen}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t w = sendmsg(rq->conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	shutdown(rq->conn->fd, SHUT_WR);
	linger_close(h, rq->conn->fd);
	return MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size,
                                  void **con_cls)
{
	(void)version;
	struct http *h = cls;
	struct req *rq = *con_cls;
	if (rq == NULL) {
		rq = mx_calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		mx_buf_init(&rq->body, h->opt.max_body);
		rq->t0 = mx_mono_s();
		*con_cls = rq;
		conn_request_started(c, rq);
		if (atomic_load(&closing_connections))
			return queue(c, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", STOPPING_BODY,
			             sizeof STOPPING_BODY - 1, NULL);
		/* A declared length past the limit is refused before a byte of
		 * the body is read. */
		const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
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
	conn_request_read(rq);
	if (rq->st)
		return await_answer(h, c, rq); /* resumed: the JSON answer has come */
	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (get && strcmp(url, "/health") == 0) {
		mx_metrics_http_request("/health", "", "ok", 0);
		return queue(c, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}", 15, NULL);
	}
	if (get && strcmp(url, "/ready") == 0)
		return get_ready(h, c);
	if (get && strcmp(url, "/tools/list") == 0)
		return get_tools_list(h, c);
	if (get && strcmp(url, "/metrics") == 0)
		return get_metrics(c);
	int is_mcp = !h->opt.legacy_only && (strcmp(url, "/mcp") == 0 || strcmp(url, "/mcp/") == 0);
	int is_sse = strcmp(url, "/sse") == 0 || strcmp(url, "/sse/") == 0;
	int is_msg = strcmp(url, "/messages") == 0 || strcmp(url, "/messages/") == 0;
	if (!is_mcp && !is_sse && !is_msg)
		return queue(c, MHD_HTTP_NOT_FOUND, "application/json", "{\"error\":\"not found\"}", 21,
		             NULL);
	if (header(c, "Host") == NULL) {
		/* HTTP/1.1 requires it (RFC 9112 §3.2); without it the Origin
		 * check has nothing to hold the Origin against. */
		return refuse(c, MHD_HTTP_BAD_REQUEST, -32000, NULL, "Bad Request: missing Host header");
	}
	if (origin_ok(h, c) != 0) {
		char addr[INET6_ADDRSTRLEN + 8];
		const char *origin = header(c, "Origin");
		if (refusal_log_due())
			mx_warn("http: refused %s %s from %s: Origin %s, Host %s not allowed", method, url,
			        client_address(h, c, addr, sizeof addr), origin ? origin : "(none)",
			        header(c, "Host") ? header(c, "Host") : "(none)");
		return refuse(c, MHD_HTTP_FORBIDDEN, -32000, NULL,
		              "Forbidden: invalid Origin or Host header");
	}
	if (is_sse)
		return get ? get_sse(h, c) : queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, NULL);
	if (is_msg)
		return post ? post_messages(h, c, rq)
		            : queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, NULL);
	if (post)
		return post_mcp(h, c, rq);
	if (get)
		return get_mcp(h, c);
	if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
		return delete_mcp(h, c);
	return refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, -32000, NULL, "Method Not Allowed");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	(void)toe;
	conn_request_done(h, c);
	struct req *rq = *con_cls;
	if (rq == NULL)
		return;
	if (rq->st)
		stream_unref(rq->st);
	mx_buf_free(&rq->body);
	mx_free(rq);
	*con_cls = NULL;
}

/* ---------------------------------------------------------------- reaper */

/* End every stream of a freed session. Caller holds hss->mu. */
static void close_streams(struct hsession *hss, int stopping)
{
	for (struct stream *st = hss->streams; st; st = st->next) {
		if (stopping && (st->kind == ST_POST_JSON || st->kind == ST_POST_SSE) && !st->done) {
			abandon_locked(st, -32000, "Service Unavailable: the server is shutting down");
			continue;
		}
		if (st->kind == ST_POST_JSON && !st->done) {
			json_t *e = mx_rpc_error(st->await_id, -32001, "Session terminated", NULL);
			char *s = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
			if (s)
				mx_buf_puts(&st->out, s);
			finish(st, e);
			mx_free(s);
			json_decref(e);
		}
		st->done = 1;
		wake(st);
	}
}

static void heartbeat(struct hsession *hss)
{
	pthread_mutex_lock(&hss->mu);
	for (struct stream *st = hss->streams; st; st = st->next) {
		if (st->kind == ST_POST_JSON || st->done)
			continue;
		mx_buf_puts(&st->out, ": keepalive\n\n");
		wake(st);
	}
	pthread_mutex_unlock(&hss->mu);
}

static void *reaper_main(void *arg)
{
	struct http *h = arg;
	double last_scan = mx_mono_s(), last_beat = mx_mono_s();
	size_t freed_since_trim = 0;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (!h->stop && !h->stopping && !h->grave_urgent && h->ngrave < GRAVE_BATCH) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			if (h->graveyard == NULL) {
				ts.tv_sec += 1;
			} else {
				ts.tv_nsec += GRAVE_DELAY_MS * 1000000L;
				if (ts.tv_nsec >= 1000000000L)
					ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		}
		double t = mx_mono_s();
		int beat = t - last_beat >= HEARTBEAT_SECONDS;
		if (t - last_scan >= 1.0 || beat) {
			last_scan = t;
			cut_slow_connections(h);
			if (beat)
				last_beat = t;
			for (size_t b = 0; b < BUCKETS; b++) {
				struct hsession *next;
				for (struct hsession *hss = h->table[b]; hss; hss = next) {
					next = hss->hnext;
					if (beat)
						heartbeat(hss);
					pthread_mutex_lock(&hss->mu);
					int idle = hss->streams == NULL && !hss->throwaway &&
					           t - hss->last_used > (double)h->opt.session_timeout;
					pthread_mutex_unlock(&hss->mu);
					if (idle) {
						mx_debug("http: session %.8s… idle, closing", hss->id);
						retire_locked(h, hss);
					}
				}
			}
		}
		struct hsession *dead = h->graveyard;
		h->graveyard = NULL;
		h->ngrave = 0;
		h->grave_urgent = 0;
		int stopping = h->stopping;
		if (dead == NULL && h->stop)
			break;
		pthread_mutex_unlock(&h->mu);
		while (dead) {
			struct hsession *hss = dead;
			dead = hss->gnext;
			if (stopping)
				mx_mcp_session_drain(hss->ss);
			mx_mcp_session_free(hss->ss);
			pthread_mutex_lock(&hss->mu);
			hss->ss = NULL;
			close_streams(hss, stopping);
			pthread_mutex_unlock(&hss->mu);
			if (!hss->throwaway) {
				mx_metrics_sessions(-1);
				freed_since_trim++;
			}
			hss_unref(hss);
		}
		/* Give the pages of many closed sessions back to the system. */
		if (freed_since_trim >= 256) {
			malloc_trim(0);
			freed_since_trim = 0;
		}
		pthread_mutex_lock(&h->mu);
		if (freed_since_trim > 0 && h->graveyard == NULL && h->nsessions == 0) {
			malloc_trim(0);
			freed_since_trim = 0;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ------------------------------------------------------------- lifecycle */

static volatile sig_atomic_t signal_wake_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	if (signal_wake_fd >= 0) {
		char ch = sig == SIGHUP ? 'h' : 't';
		ssize_t w = write(signal_wake_fd, &ch, 1);
		(void)w;
	}
	errno = saved;
}

static int resolve_bind(const char *host, int port, struct sockaddr_storage *sa, int *v6, int *loopback,
                        struct mx_err *err)
{
	memset(sa, 0, sizeof *sa);
	if (host == NULL || host[0] == '\0' || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	const char *h6 = host;
	char buf[64];
	if (host[0] == '[') {
		snprintf(buf, sizeof buf, "%s", host + 1);
		char *e = strchr(buf, ']');
		if (e)
			*e = '\0';
		h6 = buf;
	}
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*v6 = 0;
		*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, h6, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
		return 0;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(host, NULL, &hints, &res);
	if (g != 0 || res == NULL)
		return mx_err_set(err, MX_EINVAL, "cannot resolve host '%s': %s", host, gai_strerror(g));
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	if (*v6) {
		a6->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	} else {
		a4->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	freeaddrinfo(res);
	return 0;
}

/* scheme://host[:port] of base_url, for the Origin allow-list. */
static void base_origin(const char *url, char *out, size_t n)
{
	out[0] = '\0';
	if (url == NULL || url[0] == '\0')
		return;
	const char *p = strstr(url, "://");
	if (p == NULL)
		return;
	const char *e = strchr(p + 3, '/');
	size_t len = e ? (size_t)(e - url) : strlen(url);
	if (len < n) {
		memcpy(out, url, len);
		out[len] = '\0';
	}
}

/* Stop: refuse new work, let in-flight calls answer, close every stream. */
/* Wait until no session awaits freeing and no stream is open, or the
 * deadline; 1 when idle. */
static int wait_idle(struct http *h, double deadline)
{
	for (;;) {
		pthread_mutex_lock(&h->mu);
		int pending = h->graveyard != NULL;
		pthread_mutex_unlock(&h->mu);
		if (!pending && atomic_load(&h->live_streams) == 0)
			return 1;
		if (mx_mono_s() >= deadline)
			return 0;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static void shutdown_gracefully(struct http *h)
{
	/* From now on a request on a kept-alive connection gets 503 and every
	 * response closes its connection: what is open drains instead of
	 * bringing more work. While stopping, the reaper lets each session's
	 * calls finish (mx_mcp_session_drain) before it frees the session. */
	atomic_store(&closing_connections, 1);
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	for (size_t b = 0; b < BUCKETS; b++)
		while (h->table[b])
			retire_locked(h, h->table[b]);
	pthread_mutex_unlock(&h->mu);
	if (!wait_idle(h, mx_mono_s() + (double)h->opt.shutdown_grace)) {
		/* The grace is over: cancel what still runs (the queries are
		 * interrupted, their requests answered with an error) and give
		 * the answers a moment to go out. */
		size_t n = mx_mcp_server_cancel_all(h->mcp);
		mx_warn("http: shutdown grace of %u s is over: cancelled %zu call(s) still in flight",
		        h->opt.shutdown_grace, n);
		wait_idle(h, mx_mono_s() + 5.0);
	}
	/* Whatever still waits is answered now and its connection resumed:
	 * the daemon must not stop with a connection suspended. */
	size_t left = abandon_all(h);
	if (left > 0) {
		mx_warn("http: answered %zu request(s) still waiting at shutdown", left);
		if (!wait_idle(h, mx_mono_s() + 2.0))
			mx_error("http: requests still open after answering them");
	}
}

int mx_http_serve(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_err *err)
{
	struct http *h = mx_calloc(1, sizeof *h);
	if (h == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	h->mcp = s;
	h->opt = *opt;
	if (h->opt.max_body == 0)
		h->opt.max_body = (size_t)4 << 20;
	if (h->opt.session_timeout == 0)
		h->opt.session_timeout = 1800;
	if (h->opt.max_sessions == 0)
		h->opt.max_sessions = 10000;
	if (h->opt.threads < 2)
		h->opt.threads = 4;
	if (h->opt.max_connections == 0)
		h->opt.max_connections = 8192;
	if (h->opt.max_header_bytes == 0)
		h->opt.max_header_bytes = 32 * 1024;
	if (h->opt.connection_timeout == 0)
		h->opt.connection_timeout = 120;
	if (h->opt.shutdown_grace == 0)
		h->opt.shutdown_grace = 30;
	if (h->opt.read_timeout == 0)
		h->opt.read_timeout = 30;
	/* Behind a trusted proxy every connection comes from the proxy. */
	if (h->opt.max_connections_per_client == 0 && !h->opt.trust_proxy)
		h->opt.max_connections_per_client = 1024;
	base_origin(opt->base_url, h->base_origin, sizeof h->base_origin);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_mutex_init(&h->ready_mu, NULL);
	pthread_mutex_init(&h->conn_mu, NULL);
	atomic_init(&h->live_streams, 0);
	atomic_store(&closing_connections, 0);
	h->epfd = h->wakefd = -1;

	struct sockaddr_storage sa;
	int v6 = 0, rc = 0;
	int pipefd[2] = {-1, -1};
	int reaper_started = 0, watcher_started = 0;
	rc = resolve_bind(opt->host, opt->port, &sa, &v6, &h->loopback, err);
	if (rc == 0) {
		h->epfd = epoll_create1(EPOLL_CLOEXEC);
		h->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
		if (h->epfd < 0 || h->wakefd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->wakefd, &ev) != 0 ||
		    pthread_create(&h->watcher, NULL, watcher_main, h) != 0)
			rc = mx_err_set(err, MX_EIO, "http: cannot start the connection watcher: %s",
			                strerror(errno));
		else
			watcher_started = 1;
	}
	if (rc == 0 && pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
		rc = mx_err_set(err, MX_EIO, "http: cannot create a pipe: %s", strerror(errno));
	if (rc == 0 && pthread_create(&h->reaper, NULL, reaper_main, h) != 0)
		rc = mx_err_set(err, MX_EINTERNAL, "http: cannot start the session reaper");
	else if (rc == 0)
		reaper_started = 1;
	if (rc == 0) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		                 MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
		h->d = MHD_start_daemon(
		        flags, (uint16_t)opt->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
		        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, h->opt.threads,
		        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT,
		        h->opt.connection_timeout, MHD_OPTION_CONNECTION_LIMIT, h->opt.max_connections,
		        MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->opt.max_header_bytes,
		        MHD_OPTION_NOTIFY_CONNECTION, conn_notify, h, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		        h->opt.max_connections_per_client, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		        MHD_OPTION_END);
		if (h->d == NULL)
			rc = mx_err_set(err, MX_EIO, "http: cannot listen on %s:%d (%s)",
			                opt->host && opt->host[0] ? opt->host : "localhost", opt->port,
			                errno ? strerror(errno) : "address in use?");
	}
	if (rc == 0) {
		struct sigaction sa_sig = {.sa_handler = on_signal}, old_term, old_int, old_hup, old_pipe;
		sigemptyset(&sa_sig.sa_mask);
		signal_wake_fd = pipefd[1];
		sigaction(SIGTERM, &sa_sig, &old_term);
		sigaction(SIGINT, &sa_sig, &old_int);
		sigaction(SIGHUP, &sa_sig, &old_hup);
		struct sigaction ign = {.sa_handler = SIG_IGN};
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, &old_pipe);
		mx_info("MXCP server listening on http://%s:%d (%s%s)",
		        opt->host && opt->host[0] ? opt->host : "localhost", opt->port,
		        opt->legacy_only ? "sse: /sse + /messages" : "streamable-http: /mcp, sse: /sse",
		        opt->stateless ? ", stateless" : "");
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		for (;;) {
			if (poll(&pfd, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			char ch = 0;
			if (read(pipefd[0], &ch, 1) != 1)
				continue;
			if (ch == 'h') {
				if (opt->on_reload)
					opt->on_reload(opt->reload_ctx);
				continue;
			}
			break;
		}
		mx_info("http: stopping: draining in-flight calls");
		/* A second SIGTERM/SIGINT while draining ends the process. */
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		signal_wake_fd = -1;
		/* Close the listening socket now, so new connections are refused
		 * (not queued unanswered) while in-flight calls drain. */
		MHD_socket lfd = MHD_quiesce_daemon(h->d);
		if (lfd != MHD_INVALID_SOCKET)
			close(lfd);
		shutdown_gracefully(h);
		MHD_stop_daemon(h->d);
		sigaction(SIGPIPE, &old_pipe, NULL);
	}
	if (reaper_started) {
		pthread_mutex_lock(&h->mu);
		for (size_t b = 0; b < BUCKETS; b++)
			while (h->table[b])
				retire_locked(h, h->table[b]);
		h->stop = 1;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->reaper, NULL);
	}
	if (watcher_started) {
		atomic_store(&h->stop_watcher, 1);
		eventfd_write(h->wakefd, 1);
		pthread_join(h->watcher, NULL);
		for (size_t i = 0; i < h->nlingering; i++)
			close(h->lingering[i].fd);
	}
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->wakefd >= 0)
		close(h->wakefd);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	if (h->ready_conn)
		mx_dbconn_close(h->ready_conn);
	pthread_mutex_destroy(&h->ready_mu);
	pthread_mutex_destroy(&h->conn_mu);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	mx_free(h);
	return rc;
}
