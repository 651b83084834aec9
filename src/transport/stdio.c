/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio — see stdio.h.
 *
 * Reader: one bounded buffer of max_line + 1 bytes. Lines are cut at "\n"
 * (a trailing "\r" is dropped, blank lines are skipped) and handed to the
 * session as they complete; a line that fills the buffer without a newline
 * is answered with a JSON-RPC -32600 error (id null) and the rest of it is
 * discarded up to its newline, so one bad client message never ends the
 * session. The reader waits in poll() on stdin and a self-pipe, which the
 * SIGTERM/SIGINT handler and a failed write both poke.
 *
 * Writer (the sink): any thread; one writev() loop per message under a
 * mutex. After the first failed write the sink reports the peer gone.
 */
#include "transport/stdio.h"

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "mcp/jsonrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------ the writer */

struct stdio_out {
	pthread_mutex_t mu;
	int fd;
	int wake_fd; /* poked once when the peer goes away */
	atomic_int gone;
};

static int write_all(int fd, const char *json, size_t len)
{
	struct iovec iov[2] = {{(void *)json, len}, {(void *)"\n", 1}};
	struct iovec *v = iov;
	int nv = 2;
	while (nv > 0) {
		ssize_t n = writev(fd, v, nv);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MX_EIO;
		}
		size_t done = (size_t)n;
		while (nv > 0 && done >= v->iov_len) {
			done -= v->iov_len;
			v++;
			nv--;
		}
		if (nv > 0) {
			v->iov_base = (char *)v->iov_base + done;
			v->iov_len -= done;
		}
	}
	return 0;
}

static int stdio_send(void *ctx, const char *json, size_t len, const json_t *msg)
{
	(void)msg;
	struct stdio_out *o = ctx;
	if (atomic_load(&o->gone))
		return MX_EIO;
	pthread_mutex_lock(&o->mu);
	int rc = atomic_load(&o->gone) ? MX_EIO : write_all(o->fd, json, len);
	if (rc && !atomic_exchange(&o->gone, 1)) {
		mx_debug("stdio: stdout closed (%s); stopping", strerror(errno));
		ssize_t w = write(o->wake_fd, "p", 1);
		(void)w;
	}
	pthread_mutex_unlock(&o->mu);
	return rc;
}

/* Answer a line we could not accept (too long) without involving the session. */
static void send_error(struct stdio_out *o, int code, const char *message)
{
	json_t *e = mx_rpc_error(NULL, code, message, NULL);
	char *s = e ? mx_json_dumps(e, MX_JSON_COMPACT) : NULL;
	if (s)
		stdio_send(o, s, strlen(s), NULL);
	mx_free(s);
	json_decref(e);
}

/* ------------------------------------------------------------- signals */

static volatile sig_atomic_t signal_wake_fd = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;
	if (signal_wake_fd >= 0) {
		char c = sig == SIGINT ? 'i' : sig == SIGHUP ? 'h' : 't';
		ssize_t w = write(signal_wake_fd, &c, 1);
		(void)w;
	}
	errno = saved;
}

int mx_stdio_take_stdout(void)
{
	fflush(stdout);
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return MX_EIO;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		close(fd);
		return MX_EIO;
	}
	return fd;
}

/* ------------------------------------------------------------ the reader */

struct reader {
	struct mx_mcp_session *ss;
	struct stdio_out *out;
	char *buf;
	size_t cap; /* max_line + 1: a longest line and its newline */
	size_t len;
	int discarding; /* inside an over-long line, dropping bytes up to "\n" */
	size_t max_line;
};

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static void deliver(struct reader *r, const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (blank(line, n))
		return;
	mx_mcp_session_receive(r->ss, line, n);
}

/* Hand over every complete line in the buffer; keep the partial tail. */
static void cut_lines(struct reader *r)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(r->buf + start, '\n', r->len - start);
		if (nl == NULL)
			break;
		size_t end = (size_t)(nl - r->buf);
		if (r->discarding)
			r->discarding = 0;
		else
			deliver(r, r->buf + start, end - start);
		start = end + 1;
	}
	if (r->discarding) {
		r->len = 0;
		return;
	}
	if (start > 0) {
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
	}
	if (r->len == r->cap) {
		char msg[128];
		snprintf(msg, sizeof msg, "Invalid request: message longer than %zu bytes", r->max_line);
		mx_warn("stdio: %s; skipped", msg);
		send_error(r->out, MX_RPC_INVALID_REQUEST, msg);
		r->discarding = 1;
		r->len = 0;
	}
}

enum stop_reason { STOP_EOF, STOP_SIGNAL, STOP_PEER_GONE, STOP_READ_ERROR };

static enum stop_reason read_loop(struct reader *r, int in_fd, int wake_fd,
                                  const struct mx_stdio_options *opt)
{
	struct pollfd pfd[2] = {{.fd = in_fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return STOP_READ_ERROR;
		}
		if (pfd[1].revents & POLLIN) {
			char c = 0;
			ssize_t n = read(wake_fd, &c, 1);
			(void)n;
			if (c == 'h') {
				if (opt->on_reload)
					opt->on_reload(opt->reload_ctx);
				continue;
			}
			return c == 'p' ? STOP_PEER_GONE : STOP_SIGNAL;
		}
		if (pfd[0].revents == 0)
			continue;
		ssize_t n = read(in_fd, r->buf + r->len, r->cap - r->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return STOP_READ_ERROR;
		}
		if (n == 0) {
			/* A last message without its newline still counts. */
			if (!r->discarding && r->len > 0)
				deliver(r, r->buf, r->len);
			return STOP_EOF;
		}
		r->len += (size_t)n;
		cut_lines(r);
	}
}

int mx_stdio_serve(struct mx_mcp_server *s, const struct mx_stdio_options *opt, struct mx_err *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
		return mx_err_set(err, MX_EIO, "stdio: cannot create a pipe: %s", strerror(errno));
	struct stdio_out out = {.fd = opt->out_fd, .wake_fd = pipefd[1]};
	pthread_mutex_init(&out.mu, NULL);
	atomic_init(&out.gone, 0);
	struct reader r = {.out = &out};
	r.max_line = opt->max_line ? opt->max_line : MX_RPC_MAX_BYTES_DEFAULT;
	r.cap = r.max_line + 1;
	r.buf = mx_malloc(r.cap);
	struct mx_mcp_sink sink = {.send = stdio_send, .ctx = &out};
	r.ss = r.buf ? mx_mcp_session_new(s, &sink) : NULL;
	if (r.ss == NULL) {
		mx_free(r.buf);
		close(pipefd[0]);
		close(pipefd[1]);
		pthread_mutex_destroy(&out.mu);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}

	/* Stop signals poke the pipe; a closed stdout is a failed write, not a death. */
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_term, old_int, old_pipe, old_hup;
	sigemptyset(&sa.sa_mask);
	signal_wake_fd = pipefd[1];
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGHUP, &sa, &old_hup);
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);

	mx_debug("stdio: serving on fd %d/%d", opt->in_fd, opt->out_fd);
	enum stop_reason why = read_loop(&r, opt->in_fd, pipefd[0], opt);
	int rc = 0;
	if (why == STOP_READ_ERROR)
		rc = mx_err_set(err, MX_EIO, "stdio: reading stdin failed: %s", strerror(errno));
	mx_debug("stdio: stopping (%s); draining in-flight calls", why == STOP_EOF         ? "end of input"
	                                                           : why == STOP_SIGNAL    ? "signal"
	                                                           : why == STOP_PEER_GONE ? "stdout closed"
	                                                                                   : "read error");

	/* A second SIGTERM/SIGINT while draining ends the process the usual way. */
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	signal_wake_fd = -1;

	mx_mcp_session_drain(r.ss);
	mx_mcp_session_free(r.ss);
	sigaction(SIGPIPE, &old_pipe, NULL);
	mx_free(r.buf);
	close(pipefd[0]);
	close(pipefd[1]);
	pthread_mutex_destroy(&out.mu);
	return rc;
}
