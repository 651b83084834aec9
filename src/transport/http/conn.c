/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn — every accepted connection (struct conn, MHD's socket context from
 * accept to close) and the connection watcher.
 *
 * The watcher is one thread on one epoll set: a connection suspended while
 * its call runs is watched for EPOLLRDHUP, so a client that leaves gets its
 * call cancelled (mx_mcp_server_cancel) and its request answered and
 * resumed at once; and the sockets of clients refused mid-body (413) are
 * kept open on a duplicate for up to LINGER_SECONDS, read and dropped, so
 * the close does not reset the connection before the client reads the
 * answer. The read deadline (mx_http_cut_slow_connections) and the last
 * answers at shutdown (mx_http_abandon_all) walk the same list.
 */
#include "transport/http/internal.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* ----------------------------------------------------------- connections */

/* MHD_OPTION_NOTIFY_CONNECTION: a connection is accepted or closed. MHD
 * closes the socket only after the CLOSED notice, so a struct conn found
 * under conn_mu always names an open descriptor. */
void mx_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
	struct mx_http *h = cls;
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

struct conn *mx_http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The request's head is in: remember its connection. */
void mx_http_conn_request_started(struct MHD_Connection *c, struct req *rq)
{
	rq->conn = mx_http_conn_of(c);
}

/* The whole request is in: the read deadline no longer applies. */
void mx_http_conn_request_read(struct req *rq)
{
	if (rq->conn)
		atomic_store(&rq->conn->reading, 0);
}

/* The response is out (or the request failed): the connection waits for
 * its next request, and holds no stream any more. */
void mx_http_conn_request_done(struct mx_http *h, struct MHD_Connection *c)
{
	struct conn *cn = mx_http_conn_of(c);
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
void mx_http_conn_hold(struct mx_http *h, struct conn *cn, struct stream *st)
{
	if (cn == NULL)
		return;
	pthread_mutex_lock(&h->conn_mu);
	cn->st = st;
	pthread_mutex_unlock(&h->conn_mu);
}

/* Watch a suspended connection for its peer's leaving (one event, then
 * re-armed at the next suspension). */
void mx_http_conn_watch(struct mx_http *h, struct conn *cn)
{
	if (cn == NULL || h->epfd < 0)
		return;
	struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT, .data.u64 = cn->serial};
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, cn->fd, &ev) != 0 && errno == ENOENT)
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, cn->fd, &ev);
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
	    (!peer_left || mx_http_stream_peer_gone(st))) {
		o->serial = hss->serial;
		o->id = hss->throwaway || st->await_id == NULL ? NULL : json_incref(st->await_id);
		mx_http_stream_abandon(st, peer_left ? -32800 : -32000,
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
void mx_http_linger_close(struct mx_http *h, int fd)
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
static int linger_service(struct mx_http *h, int fd)
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
void *mx_http_watcher_main(void *arg)
{
	struct mx_http *h = arg;
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

/* The read deadline: a connection that has not sent a whole request within
 * read_timeout of being ready for one is shut down (MHD then closes it).
 * Runs on the reaper about once a second. */
void mx_http_cut_slow_connections(struct mx_http *h)
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
size_t mx_http_abandon_all(struct mx_http *h)
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
