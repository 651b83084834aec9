/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch — the one outbound HTTP(S) client (libcurl's easy interface): the
 * Vault resolver and the evals' model providers use it, and so will JWKS
 * and identity-provider calls.
 *
 * A request blocks the calling thread until the answer is read, the
 * transfer fails or timeout_s passes; it never raises signals (NOSIGNAL)
 * and speaks only http and https. Callers on the event path run it on a
 * worker. The response body is bounded: past max_response the transfer
 * fails. libcurl's process-wide set-up runs once, on the first request or
 * at mx_fetch_global_init.
 *
 * libcurl (and the Kerberos, LDAP and TLS libraries it brings) is mapped
 * only by a process that fetches: the client is the module mxcp_fetch.so
 * (fetch.c, core/module.h), loaded by the first call of any function below
 * (fetch_load.c). Without it a request fails, saying so.
 */
#ifndef MX_CORE_FETCH_H
#define MX_CORE_FETCH_H

#include "core/buf.h"

#include <stddef.h>

struct mx_fetch_request {
	const char *url;
	const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL for none */
	const char *body; /* POST this body; NULL: GET */
	size_t body_len;
	long timeout_s; /* the whole transfer */
	long connect_timeout_s;
	size_t max_response; /* bytes of response body kept */
};

struct mx_fetch_response {
	long status; /* HTTP status; 0 when none came */
	long retry_after; /* the Retry-After header in seconds; -1 when absent */
	struct mx_buf body; /* free with mx_buf_free, whatever mx_fetch returned */
	int timed_out; /* the transfer failed because timeout_s passed */
	char error[256]; /* why the transfer failed (libcurl's words) */
};

/*
 * Perform one request. 0 when a response came, whatever its status;
 * MX_EIO when the transfer failed (resp->error says why); MX_ENOMEM. resp
 * is always initialised.
 */
int mx_fetch(const struct mx_fetch_request *rq, struct mx_fetch_response *resp);

/* libcurl's set-up and tear-down: the first on the main thread before
 * other threads start, if the process may fetch from several threads; the
 * second once at exit, after the last request. */
void mx_fetch_global_init(void);
void mx_fetch_global_cleanup(void);

/* The interface of mxcp_fetch.so, returned by its mxcp_fetch_module(). */
#define MX_FETCH_ABI 1
struct mx_fetch_module {
	int abi;
	int (*fetch)(const struct mx_fetch_request *rq, struct mx_fetch_response *resp);
	void (*global_init)(void);
	void (*global_cleanup)(void);
};

#endif
