/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal — what the files of src/transport/http/ share and nobody else
 * sees: the transport's objects, and the functions one file offers the
 * others (server, session, stream, conn, checks, mcp_routes, ops_routes,
 * router).
 *
 * Threads. libmicrohttpd runs in epoll mode with a thread pool of at least
 * 2 (0.9.75's single-thread epoll mode stalls under many keep-alive
 * clients; with a pool it does not, and costs ~6% less CPU per call than
 * poll mode, which rebuilds its descriptor set at every wake-up).
 * MHD threads only parse, validate and route: every MCP call goes to the
 * protocol core (mx_mcp_session_receive), whose workers answer through the
 * session's sink. One reaper thread frees sessions (mx_mcp_session_free
 * waits for in-flight calls, so it never runs on an MHD thread), expires
 * idle ones and writes SSE heartbeats; one watcher thread watches
 * suspended connections for their client leaving.
 *
 * Objects. A struct hsession wraps one mx_mcp_session (session.c); a
 * struct stream is one HTTP response waiting for messages (stream.c); a
 * struct conn is one accepted connection (conn.c); a struct req is one
 * request being read (router.c).
 *
 * Routing. The sink parses each outgoing message: a response goes to the
 * stream awaiting its id; notifications/progress to the SSE stream whose
 * request carried the token; notifications/message to the newest SSE POST
 * stream; anything else to the GET (or legacy) stream, or nowhere.
 *
 * Locks: table lock (h->mu) before a session's lock (hss->mu); a stream's
 * fields are guarded by its session's lock. MHD_suspend_connection and
 * MHD_resume_connection are called under the session lock, so a wake-up
 * cannot slip between "nothing to send" and "suspended". h->conn_mu
 * (connections) is taken before a session's lock, never after.
 */
#ifndef MX_TRANSPORT_HTTP_INTERNAL_H
#define MX_TRANSPORT_HTTP_INTERNAL_H

#include "core/buf.h"
#include "transport/http/http.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	struct mx_http *h;
	struct mx_mcp_session *ss;
	pthread_mutex_t mu;
	char id[33];
	int legacy;
	int throwaway;
	int retired;
	double last_used;
	struct stream *streams;
	struct stream *listen; /* the GET or legacy stream */
	uint64_t serial; /* of ss, for mx_mcp_server_cancel */
	struct hsession *hnext; /* table chain */
	struct hsession *gnext; /* graveyard */
};

struct mx_http {
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
	int reaper_started, watcher_started;
};

struct req {
	struct mx_buf body;
	json_t *user; /* the verified identity (auth), or NULL */
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
 * reference is dropped only after mx_http_on_completed clears it). */
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

/* ------------------------------------------------------------ router.c */

/* Set once the server stops: every response from then on closes its
 * connection (one server per process). */
extern atomic_int mx_http_closing;

enum MHD_Result mx_http_queue(struct MHD_Connection *conn, unsigned status, const char *ctype,
                              const char *body, size_t len, const char *session_id);
/* doc is stolen. */
enum MHD_Result mx_http_queue_json(struct MHD_Connection *conn, unsigned status, json_t *doc);
/* An HTTP-level refusal with a JSON-RPC error body (id null unless given). */
enum MHD_Result mx_http_refuse(struct MHD_Connection *conn, unsigned status, int code, json_t *id,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum MHD_Result mx_http_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                   const char *version, const char *upload, size_t *upload_size,
                                   void **con_cls);
void mx_http_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);

/* ----------------------------------------------------------- session.c */

/* A new session in the table (one reference for the caller besides the
 * table's). NULL with *full set when the cap is reached. */
struct hsession *mx_http_session_new(struct mx_http *h, int throwaway, int legacy, int *full);
/* Look a session up by id (throwaway ones are never found); takes a reference. */
struct hsession *mx_http_session_find(struct mx_http *h, const char *id, int legacy);
void mx_http_session_unref(struct hsession *hss);
/* Take a session out of the table; the reaper frees it. */
void mx_http_retire(struct mx_http *h, struct hsession *hss);
/* The same, the caller holding h->mu. */
void mx_http_retire_locked(struct mx_http *h, struct hsession *hss);
void *mx_http_reaper_main(void *arg);

/* ------------------------------------------------------------ stream.c */

/* The POST stream whose body this thread is handing to the core. An error
 * the core answers at once with a null id (a batch the revision does not
 * allow, an unreadable request) names no request to route by: it belongs
 * to the body being received, never to another stream of the session. */
extern _Thread_local struct stream *mx_http_receiving;

struct stream *mx_http_stream_new(struct hsession *hss, struct MHD_Connection *conn, enum stream_kind kind);
void mx_http_stream_unref(struct stream *st);
/* Resume a suspended stream's connection. Caller holds hss->mu. */
void mx_http_wake(struct stream *st);
/* The final message is in: record its outcome. Caller holds hss->mu. */
void mx_http_stream_finish(struct stream *st, const json_t *msg);
/* Has the peer of a waiting (suspended) stream closed its connection?
 * Caller holds the session lock. */
int mx_http_stream_peer_gone(struct stream *st);
/* Answer a waiting POST now with an error and resume its connection; the
 * call behind it is cancelled by the caller. Caller holds the session lock. */
void mx_http_stream_abandon(struct stream *st, int code, const char *why);
/* The sink of every HTTP session: route one outgoing message. */
int mx_http_sink_send(void *ctx, const char *json, size_t len, const json_t *msg);
/* Answer with st's SSE stream; the response takes over the stream's second reference. */
enum MHD_Result mx_http_queue_sse(struct MHD_Connection *conn, struct stream *st, const char *session_id);
/* A POST answered as JSON: send the answer if it is in, else suspend the
 * connection until it is (mx_http_sink_send resumes it). */
enum MHD_Result mx_http_await_answer(struct mx_http *h, struct MHD_Connection *c, struct req *rq);

/* -------------------------------------------------------------- conn.c */

void mx_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
struct conn *mx_http_conn_of(struct MHD_Connection *c);
/* The request's head is in: remember its connection. */
void mx_http_conn_request_started(struct MHD_Connection *c, struct req *rq);
/* The whole request is in: the read deadline no longer applies. */
void mx_http_conn_request_read(struct req *rq);
/* The response is out (or the request failed): the connection waits for
 * its next request, and holds no stream any more. */
void mx_http_conn_request_done(struct mx_http *h, struct MHD_Connection *c);
/* The connection carries a POST whose call runs. */
void mx_http_conn_hold(struct mx_http *h, struct conn *cn, struct stream *st);
/* Watch a suspended connection for its peer's leaving. */
void mx_http_conn_watch(struct mx_http *h, struct conn *cn);
/* Read and drop what a refused client still sends, then close. */
void mx_http_linger_close(struct mx_http *h, int fd);
void *mx_http_watcher_main(void *arg);
/* Shut down the connections past the read deadline (the reaper, once a second). */
void mx_http_cut_slow_connections(struct mx_http *h);
/* Answer every POST still waiting and resume its connection; how many. */
size_t mx_http_abandon_all(struct mx_http *h);

/* ------------------------------------------------------------ checks.c */

const char *mx_http_header(struct MHD_Connection *c, const char *name);
/* Refusals are logged at most once a second. */
int mx_http_refusal_log_due(void);
/* The client's address for logs (behind a trusted proxy, X-Forwarded-For's last entry). */
const char *mx_http_client_address(const struct mx_http *h, struct MHD_Connection *c, char *out, size_t n);
/* The server's external base URL for this request, no trailing '/':
 * base_url when configured, else scheme://Host (behind a trusted proxy,
 * X-Forwarded-Proto/-Scheme and X-Forwarded-Host decide). */
const char *mx_http_base_url(const struct mx_http *h, struct MHD_Connection *c, char *out, size_t n);
/* DNS-rebinding protection: 0 when Host and Origin allow the request. */
int mx_http_origin_ok(struct mx_http *h, struct MHD_Connection *c);
/* Does a comma-separated media-type list name `type` (or a wildcard)? */
int mx_http_accepts(const char *accept, const char *type);
int mx_http_supported_revision(const char *v);
/* 2026-07-28: the request headers must mirror the body. NULL, or why not. */
const char *mx_http_header_mismatch(struct MHD_Connection *c, const json_t *msg, char *why, size_t n);

/* -------------------------------------------------------- mcp_routes.c */

enum MHD_Result mx_http_post_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_get_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_delete_mcp(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_get_sse(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_post_messages(struct mx_http *h, struct MHD_Connection *c, struct req *rq);

/* -------------------------------------------------------- ops_routes.c */

enum MHD_Result mx_http_get_health(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_get_ready(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_get_tools_list(struct mx_http *h, struct MHD_Connection *c, struct req *rq);
enum MHD_Result mx_http_get_metrics(struct mx_http *h, struct MHD_Connection *c, struct req *rq);

#endif
