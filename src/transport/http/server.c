/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server — the HTTP transports' life: bind, start the watcher, the reaper
 * and the libmicrohttpd daemon; at the end stop accepting, drain within the
 * grace, answer what still waits, and stop.
 */
#include "transport/http/internal.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ----------------------------------------------------------------- bind */

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

/* ----------------------------------------------------------------- stop */

/* Wait until no session awaits freeing and no stream is open, or the
 * deadline; 1 when idle. */
static int wait_idle(struct mx_http *h, double deadline)
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

static void shutdown_gracefully(struct mx_http *h)
{
	/* From now on a request on a kept-alive connection gets 503 and every
	 * response closes its connection: what is open drains instead of
	 * bringing more work. While stopping, the reaper lets each session's
	 * calls finish (mx_mcp_session_drain) before it frees the session. */
	atomic_store(&mx_http_closing, 1);
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	for (size_t b = 0; b < BUCKETS; b++)
		while (h->table[b])
			mx_http_retire_locked(h, h->table[b]);
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
	size_t left = mx_http_abandon_all(h);
	if (left > 0) {
		mx_warn("http: answered %zu request(s) still waiting at shutdown", left);
		if (!wait_idle(h, mx_mono_s() + 2.0))
			mx_error("http: requests still open after answering them");
	}
}

/* Stop the reaper and the watcher (whichever started), close what they
 * used, free h. */
static void teardown(struct mx_http *h)
{
	if (h->reaper_started) {
		pthread_mutex_lock(&h->mu);
		for (size_t b = 0; b < BUCKETS; b++)
			while (h->table[b])
				mx_http_retire_locked(h, h->table[b]);
		h->stop = 1;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->reaper, NULL);
	}
	if (h->watcher_started) {
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
	pthread_mutex_destroy(&h->conn_mu);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	mx_free(h);
}

static void http_stop(struct mx_http *h)
{
	if (h == NULL)
		return;
	mx_info("http: stopping: draining in-flight calls");
	/* Close the listening socket now, so new connections are refused (not
	 * queued unanswered) while in-flight calls drain. */
	MHD_socket lfd = MHD_quiesce_daemon(h->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	shutdown_gracefully(h);
	MHD_stop_daemon(h->d);
	teardown(h);
}

/* ---------------------------------------------------------------- start */

static int http_start(struct mx_mcp_server *s, const struct mx_http_options *opt, struct mx_http **out,
                      struct mx_err *err)
{
	*out = NULL;
	struct mx_http *h = mx_calloc(1, sizeof *h);
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
	pthread_mutex_init(&h->conn_mu, NULL);
	atomic_init(&h->live_streams, 0);
	atomic_store(&mx_http_closing, 0);
	h->epfd = h->wakefd = -1;

	struct sockaddr_storage sa;
	int v6 = 0;
	int rc = resolve_bind(opt->host, opt->port, &sa, &v6, &h->loopback, err);
	if (rc == 0) {
		h->epfd = epoll_create1(EPOLL_CLOEXEC);
		h->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
		if (h->epfd < 0 || h->wakefd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->wakefd, &ev) != 0 ||
		    pthread_create(&h->watcher, NULL, mx_http_watcher_main, h) != 0)
			rc = mx_err_set(err, MX_EIO, "http: cannot start the connection watcher: %s",
			                strerror(errno));
		else
			h->watcher_started = 1;
	}
	if (rc == 0 && pthread_create(&h->reaper, NULL, mx_http_reaper_main, h) != 0)
		rc = mx_err_set(err, MX_EINTERNAL, "http: cannot start the session reaper");
	else if (rc == 0)
		h->reaper_started = 1;
	if (rc == 0) {
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		                 MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
		h->d = MHD_start_daemon(
		        flags, (uint16_t)opt->port, NULL, NULL, mx_http_on_request, h, MHD_OPTION_SOCK_ADDR,
		        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, h->opt.threads,
		        MHD_OPTION_NOTIFY_COMPLETED, mx_http_on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT,
		        h->opt.connection_timeout, MHD_OPTION_CONNECTION_LIMIT, h->opt.max_connections,
		        MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->opt.max_header_bytes,
		        MHD_OPTION_NOTIFY_CONNECTION, mx_http_conn_notify, h,
		        MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->opt.max_connections_per_client,
		        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
		if (h->d == NULL)
			rc = mx_err_set(err, MX_EIO, "http: cannot listen on %s:%d (%s)",
			                opt->host && opt->host[0] ? opt->host : "localhost", opt->port,
			                errno ? strerror(errno) : "address in use?");
	}
	if (rc) {
		teardown(h);
		return rc;
	}
	mx_info("MXCP server listening on http://%s:%d (%s%s)",
	        opt->host && opt->host[0] ? opt->host : "localhost", opt->port,
	        opt->legacy_only ? "sse: /sse + /messages" : "streamable-http: /mcp, sse: /sse",
	        opt->stateless ? ", stateless" : "");
	*out = h;
	return 0;
}

static const struct mx_http_module module = {.abi = MX_HTTP_ABI, .start = http_start, .stop = http_stop};

__attribute__((visibility("default"))) const struct mx_http_module *mxcp_http_module(void)
{
	return &module;
}
