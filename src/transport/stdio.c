/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio — see stdio.h.
 *
 * Reader: one bounded buffer of max_line + 1 bytes. Lines are cut at "\n"
 * (a trailing "\r" is dropped, blank lines are skipped) and handed to the
 * session as they complete; a line that fills the buffer without a newline
 * is answered with a JSON-RPC -32600 error (id null) and the rest of it is
 * discarded up to its newline, so one bad client message never ends the
 * session. The reader thread waits in poll() on stdin and a wake pipe,
 * which mx_stdio_stop ('s') and a failed write ('p') poke.
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

enum stop_reason { STOP_ASKED, STOP_EOF, STOP_PEER_GONE, STOP_READ_ERROR };

struct mx_stdio {
	struct reader r;
	struct stdio_out out;
	struct mx_stdio_options opt;
	int pipefd[2]; /* the reader's wake pipe */
	pthread_t thread;
	enum stop_reason why;
	int read_errno;
};

static enum stop_reason read_loop(struct reader *r, int in_fd, int wake_fd, int *read_errno)
{
	struct pollfd pfd[2] = {{.fd = in_fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			*read_errno = errno;
			return STOP_READ_ERROR;
		}
		if (pfd[1].revents & POLLIN) {
			char c = 0;
			ssize_t n = read(wake_fd, &c, 1);
			(void)n;
			return c == 'p' ? STOP_PEER_GONE : STOP_ASKED;
		}
		if (pfd[0].revents == 0)
			continue;
		ssize_t n = read(in_fd, r->buf + r->len, r->cap - r->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*read_errno = errno;
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

static void *reader_main(void *arg)
{
	struct mx_stdio *t = arg;
	t->why = read_loop(&t->r, t->opt.in_fd, t->pipefd[0], &t->read_errno);
	if (t->why != STOP_ASKED && t->opt.on_end)
		t->opt.on_end(t->opt.end_ctx);
	return NULL;
}

static void stdio_free(struct mx_stdio *t)
{
	mx_mcp_session_free(t->r.ss);
	mx_free(t->r.buf);
	close(t->pipefd[0]);
	close(t->pipefd[1]);
	pthread_mutex_destroy(&t->out.mu);
	mx_free(t);
}

int mx_stdio_start(struct mx_mcp_server *s, const struct mx_stdio_options *opt, struct mx_stdio **out,
                   struct mx_err *err)
{
	*out = NULL;
	struct mx_stdio *t = mx_calloc(1, sizeof *t);
	if (t == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	if (pipe2(t->pipefd, O_CLOEXEC | O_NONBLOCK) != 0) {
		mx_free(t);
		return mx_err_set(err, MX_EIO, "stdio: cannot create a pipe: %s", strerror(errno));
	}
	t->opt = *opt;
	t->out.fd = opt->out_fd;
	t->out.wake_fd = t->pipefd[1];
	pthread_mutex_init(&t->out.mu, NULL);
	atomic_init(&t->out.gone, 0);
	t->r.out = &t->out;
	t->r.max_line = opt->max_line ? opt->max_line : MX_RPC_MAX_BYTES_DEFAULT;
	t->r.cap = t->r.max_line + 1;
	t->r.buf = mx_malloc(t->r.cap);
	struct mx_mcp_sink sink = {.send = stdio_send, .ctx = &t->out};
	t->r.ss = t->r.buf ? mx_mcp_session_new(s, &sink) : NULL;
	if (t->r.ss == NULL) {
		stdio_free(t);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	mx_mcp_session_set_user(t->r.ss, opt->user_context, opt->auth_required);
	if (pthread_create(&t->thread, NULL, reader_main, t) != 0) {
		stdio_free(t);
		return mx_err_set(err, MX_EINTERNAL, "stdio: cannot start the reader thread");
	}
	mx_debug("stdio: serving on fd %d/%d", opt->in_fd, opt->out_fd);
	*out = t;
	return 0;
}

void mx_stdio_set_user(struct mx_stdio *t, const json_t *user_context, int required)
{
	mx_mcp_session_set_user(t->r.ss, user_context, required);
}

int mx_stdio_stop(struct mx_stdio *t, struct mx_err *err)
{
	if (t == NULL)
		return 0;
	ssize_t w = write(t->pipefd[1], "s", 1); /* a reader already gone leaves it unread */
	(void)w;
	pthread_join(t->thread, NULL);
	int rc = 0;
	if (t->why == STOP_READ_ERROR)
		rc = mx_err_set(err, MX_EIO, "stdio: reading stdin failed: %s", strerror(t->read_errno));
	mx_debug("stdio: stopping (%s); draining in-flight calls", t->why == STOP_EOF     ? "end of input"
	                                                           : t->why == STOP_ASKED ? "signal"
	                                                           : t->why == STOP_PEER_GONE
	                                                                   ? "stdout closed"
	                                                                   : "read error");
	mx_mcp_session_drain(t->r.ss);
	stdio_free(t);
	return rc;
}
