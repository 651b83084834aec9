/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio — the MCP stdio transport: newline-delimited JSON-RPC, one message
 * per line, on stdin/stdout, for one client that launched us as a child
 * process (Claude Desktop, the Inspector, an SDK StdioClientTransport).
 *
 * Threads: the calling thread is the one reader; it hands each line to the
 * session and never waits for a call. Responses and notifications come from
 * worker threads in any order, each written whole (message + "\n") under one
 * mutex, so lines never interleave.
 *
 * stdout carries protocol bytes only: mx_stdio_take_stdout() moves the real
 * stdout to a private descriptor and points fd 1 at stderr, so a stray
 * printf anywhere in the process (ours or a library's) cannot corrupt the
 * stream.
 *
 * SIGHUP asks for a reload: the reader thread calls opt->on_reload between
 * two messages, and serving goes on.
 *
 * The session ends on stdin EOF, SIGTERM/SIGINT, or stdout closing (EPIPE;
 * SIGPIPE is ignored): reading stops, in-flight calls are drained and
 * answered where the peer still listens, and mx_stdio_serve returns 0.
 */
#ifndef MX_TRANSPORT_STDIO_H
#define MX_TRANSPORT_STDIO_H

#include "core/err.h"
#include "mcp/server.h"

#include <stddef.h>

struct mx_stdio_options {
	int in_fd; /* the protocol input (0 for stdin) */
	int out_fd; /* the protocol output (from mx_stdio_take_stdout) */
	size_t max_line; /* longest accepted line in bytes (0: MX_RPC_MAX_BYTES_DEFAULT) */
	/* SIGHUP: called on the reader thread (never inside the signal handler);
	 * NULL to ignore SIGHUP. */
	void (*on_reload)(void *ctx);
	void *reload_ctx;
};

/* Move stdout to a new close-on-exec descriptor (returned) and make fd 1 a
 * copy of stderr. Returns the descriptor, or a negative MX_E* code. */
int mx_stdio_take_stdout(void);

/* Serve one session until the input ends or a stop signal arrives. Returns
 * 0 on a clean end, or a negative MX_E* code (err filled) when the transport
 * could not start or reading failed. */
int mx_stdio_serve(struct mx_mcp_server *s, const struct mx_stdio_options *opt, struct mx_err *err);

#endif
