/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio — the MCP stdio transport: newline-delimited JSON-RPC, one message
 * per line, on stdin/stdout, for one client that launched us as a child
 * process (Claude Desktop, the Inspector, an SDK StdioClientTransport).
 *
 * Threads: one reader thread (started by mx_stdio_start) hands each line to
 * the session and never waits for a call. Responses and notifications come
 * from worker threads in any order, each written whole (message + "\n")
 * under one mutex, so lines never interleave.
 *
 * stdout carries protocol bytes only: mx_stdio_take_stdout() moves the real
 * stdout to a private descriptor and points fd 1 at stderr, so a stray
 * printf anywhere in the process (ours or a library's) cannot corrupt the
 * stream.
 *
 * A start/stop object driven by the server (src/server/), which owns the
 * signals: the input ending (stdin EOF, a read error, or stdout closing —
 * EPIPE, with SIGPIPE ignored by the server) is reported once through
 * on_end; mx_stdio_stop then (or on a stop signal) stops reading, drains
 * the calls in flight, answered where the peer still listens, and frees.
 */
#ifndef MX_TRANSPORT_STDIO_H
#define MX_TRANSPORT_STDIO_H

#include "core/err.h"
#include "mcp/server.h"

#include <stddef.h>

struct mx_stdio;

struct mx_stdio_options {
	int in_fd; /* the protocol input (0 for stdin) */
	int out_fd; /* the protocol output (from mx_stdio_take_stdout) */
	size_t max_line; /* longest accepted line in bytes (0: MX_RPC_MAX_BYTES_DEFAULT) */
	/* The input ended (EOF, a read error, or stdout closed): called once,
	 * on the reader thread; the caller then calls mx_stdio_stop. */
	void (*on_end)(void *ctx);
	void *end_ctx;
	/* Auth configured: the identity of the whole session (the verified
	 * MXCP_ACCESS_TOKEN, borrowed), or NULL and then, with auth_required,
	 * every call is refused "Authentication required". */
	const json_t *user_context;
	int auth_required;
};

/* Move stdout to a new close-on-exec descriptor (returned) and make fd 1 a
 * copy of stderr. Returns the descriptor, or a negative MX_E* code. */
int mx_stdio_take_stdout(void);

/* Open the session and start reading. */
int mx_stdio_start(struct mx_mcp_server *s, const struct mx_stdio_options *opt, struct mx_stdio **out,
                   struct mx_err *err);
/* The session's identity, as user_context and auth_required above, set
 * once the server knows it: a server that starts answering before its
 * auth is open (mx_mcp_server_prepare) sets it before it lets calls through. */
void mx_stdio_set_user(struct mx_stdio *t, const json_t *user_context, int required);
/* Stop reading (if the input has not ended), drain the calls in flight and
 * free t (NULL is fine). Returns 0, or MX_EIO (err filled) when reading
 * stdin failed. */
int mx_stdio_stop(struct mx_stdio *t, struct mx_err *err);

#endif
