/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health — `mxcp health [--url URL] [--socket PATH] [--timeout SECONDS]`:
 * the probe a container's HEALTHCHECK (or a systemd watchdog script) runs,
 * so that images need no curl. It asks the local server's GET /health (or
 * any path: --url http://127.0.0.1:8000/ready) over TCP, or the admin API's
 * over its unix socket (--socket; MXCP_ADMIN_ENABLED), prints the body and
 * exits 0 on a 2xx answer, 1 on any other answer, no answer or a timeout,
 * 2 on a usage error.
 *
 * It is a probe of the server on this machine, not an outbound client: one
 * HTTP/1.1 request with "Connection: close" on a plain socket, never
 * through a proxy (http_proxy in a container's environment must not turn a
 * liveness check into a call elsewhere), no TLS, one deadline for the
 * whole exchange. The answer read is bounded (HEALTH_MAX_ANSWER).
 */
#include "cli/common.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { OPT_URL = MX_OPT_FIRST_COMMAND_OPTION, OPT_SOCKET, OPT_TIMEOUT };

#define HEALTH_DEFAULT_URL "http://127.0.0.1:8000/health"
#define HEALTH_MAX_ANSWER ((size_t)64 * 1024)

struct target {
	char host[256]; /* without brackets */
	char port[8];
	char path[1024];
};

static void print_help(void)
{
	printf("Usage: mxcp health [OPTIONS]\n\n"
	       "  Probe a running server: GET /health on its HTTP port (or the admin\n"
	       "  socket) and exit 0 when it answers 2xx, 1 otherwise. For container\n"
	       "  health checks and liveness probes; needs no curl.\n\n"
	       "Options:\n"
	       "  --url URL          What to ask (default " HEALTH_DEFAULT_URL ");\n"
	       "                     e.g. http://127.0.0.1:8000/ready for readiness\n"
	       "  --socket PATH      Ask the admin API on this unix socket instead\n"
	       "                     (MXCP_ADMIN_SOCKET); the URL's path is used\n"
	       "  --timeout SECONDS  Give up after this long (default 5)\n"
	       "  --help             Show this message and exit.\n");
}

/* http://host[:port][/path] → target; -1 when it is not such a URL. */
static int parse_url(const char *url, struct target *t)
{
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	const char *h = url + 7, *end;
	size_t hn;
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL)
			return -1;
		hn = (size_t)(end - h - 1);
		h++;
		end++;
	} else {
		hn = strcspn(h, ":/");
		end = h + hn;
	}
	if (hn == 0 || hn >= sizeof t->host)
		return -1;
	memcpy(t->host, h, hn);
	t->host[hn] = '\0';
	snprintf(t->port, sizeof t->port, "80");
	if (*end == ':') {
		size_t pn = strcspn(end + 1, "/");
		if (pn == 0 || pn >= sizeof t->port || strspn(end + 1, "0123456789") != pn)
			return -1;
		memcpy(t->port, end + 1, pn);
		t->port[pn] = '\0';
		end += 1 + pn;
	}
	if (*end != '\0' && *end != '/')
		return -1;
	if ((size_t)snprintf(t->path, sizeof t->path, "%s", *end ? end : "/") >= sizeof t->path)
		return -1;
	return strpbrk(t->path, " \r\n") ? -1 : 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for `events` before the deadline: 0, or -1 (errno). */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* A connected non-blocking socket finishing its connect: 0 or -1 (errno). */
static int finish_connect(int fd, int rc, long long deadline)
{
	if (rc == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	if (wait_fd(fd, POLLOUT, deadline) != 0)
		return -1;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int connect_unix(const char *path, long long deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (finish_connect(fd, connect(fd, (struct sockaddr *)&sa, sizeof sa), deadline) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int connect_tcp(const struct target *t, long long deadline, char *why, size_t whyn)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(t->host, t->port, &hints, &res);
	if (g != 0) {
		snprintf(why, whyn, "%s: %s", t->host, gai_strerror(g));
		return -1;
	}
	int fd = -1, e = ECONNREFUSED;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (finish_connect(fd, connect(fd, a->ai_addr, a->ai_addrlen), deadline) != 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	const int v6 = strchr(t->host, ':') != NULL;
	if (fd < 0)
		snprintf(why, whyn, "%s%s%s:%s: %s", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port,
		         strerror(e));
	return fd;
}

/* Send the request and read the whole answer into buf (NUL-terminated):
 * its length, or -1 with errno. */
static long exchange(int fd, const char *req, char *buf, size_t bufn, long long deadline)
{
	size_t len = strlen(req), off = 0;
	while (off < len) {
		if (wait_fd(fd, POLLOUT, deadline) != 0)
			return -1;
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			off += (size_t)n;
	}
	size_t got = 0;
	while (got + 1 < bufn) {
		if (wait_fd(fd, POLLIN, deadline) != 0)
			return -1;
		ssize_t n = recv(fd, buf + got, bufn - 1 - got, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (long)got;
}

int mx_cmd_health(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"url", required_argument, NULL, OPT_URL},
	                                     {"socket", required_argument, NULL, OPT_SOCKET},
	                                     {"timeout", required_argument, NULL, OPT_TIMEOUT},
	                                     {0}};
	struct mx_cli cli = {.command = "health"};
	const char *url = HEALTH_DEFAULT_URL, *sock = NULL;
	long timeout_s = 5;
	int rc = 0, c;
	optind = 0;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': print_help(); return MX_EXIT_OK;
		case OPT_URL: url = optarg; break;
		case OPT_SOCKET: sock = optarg; break;
		case OPT_TIMEOUT: {
			char *end;
			errno = 0;
			timeout_s = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || timeout_s < 1 || timeout_s > 3600)
				rc = mx_cli_usage_error(&cli, "--timeout: a number of seconds (1-3600): %s",
				                        optarg);
			break;
		}
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	struct target t;
	if (parse_url(url, &t) != 0)
		return mx_cli_usage_error(&cli, "--url: an http://host[:port]/path URL: %s", url);

	long long deadline = now_ms() + timeout_s * 1000;
	char why[512] = "";
	int fd;
	if (sock) {
		fd = connect_unix(sock, deadline);
		if (fd < 0)
			snprintf(why, sizeof why, "%s: %s", sock, strerror(errno));
	} else {
		fd = connect_tcp(&t, deadline, why, sizeof why);
	}
	if (fd < 0) {
		fprintf(stderr, "unhealthy: %s\n", why);
		return MX_EXIT_FAIL;
	}
	char req[1536];
	const int v6 = strchr(t.host, ':') != NULL;
	snprintf(req, sizeof req,
	         "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: mxcp-health/" MXCP_VERSION
	         "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	         t.path, v6 ? "[" : "", sock ? "localhost" : t.host, v6 ? "]" : "", t.port);
	static char buf[HEALTH_MAX_ANSWER + 1];
	long n = exchange(fd, req, buf, sizeof buf, deadline);
	int e = errno;
	close(fd);
	int status = 0;
	if (n < 0)
		fprintf(stderr, "unhealthy: %s: %s\n", sock ? sock : url,
		        e == ETIMEDOUT ? "no answer in time" : strerror(e));
	else if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1)
		fprintf(stderr, "unhealthy: %s: not an HTTP answer\n", sock ? sock : url);
	const char *body = n > 0 ? strstr(buf, "\r\n\r\n") : NULL;
	if (body && status > 0) {
		fputs(body + 4, stdout);
		if (body[4] && body[strlen(body) - 1] != '\n')
			fputc('\n', stdout);
	}
	if (status > 0 && (status < 200 || status > 299))
		fprintf(stderr, "unhealthy: %s answered %d\n", sock ? sock : url, status);
	return status >= 200 && status <= 299 ? MX_EXIT_OK : MX_EXIT_FAIL;
}
