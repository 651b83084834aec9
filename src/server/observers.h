/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observers — the call observers the server installs in the call path
 * (exec/observer.h): the audit trail (one record per call, redacted, and the
 * answer withheld when the record cannot be written, the call's trace id
 * in it) and metrics (MXCP's endpoint counters, policy denials). Spans are
 * not an observer's: the call path opens and ends them itself
 * (exec/invoke.c), so a span covers the call, not its aftermath.
 */
#ifndef MX_SERVER_OBSERVERS_H
#define MX_SERVER_OBSERVERS_H

#include "exec/observer.h"

#include <stddef.h>

struct mx_audit;

#define MX_SERVER_MAX_OBSERVERS 4

/* Fill out[] with the observers of a server whose audit trail is `audit`
 * (NULL: audit off); returns how many. */
size_t mx_server_observers(struct mx_audit *audit, struct mx_call_observer out[MX_SERVER_MAX_OBSERVERS]);

#endif
