/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ready — readiness: can this server serve now? The answer of GET /ready.
 *
 * A struct mx_ready is a list of named checks, each a function its owner
 * installs (the server: the project, the database, the audit trail), run
 * in the order they were added; plus the stopping flag, set when the server
 * begins to stop. The checks that need no knowledge of their owner are
 * here too (the database file still present, the audit path writable).
 *
 * Built before the server starts serving and not changed afterwards
 * except for the stopping flag (atomic); mx_ready_run may be called from
 * any thread, and the checks must allow that.
 */
#ifndef MX_OPS_READY_H
#define MX_OPS_READY_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

struct mx_ready;

/* One check: 0 when it passes; otherwise why (a short sentence) in why. */
typedef int (*mx_ready_fn)(void *ctx, char *why, size_t n);

int mx_ready_new(struct mx_ready **out);
/* Add a check named `name` (a static string). MX_ENOMEM. */
int mx_ready_add(struct mx_ready *r, const char *name, mx_ready_fn fn, void *ctx);
/* The server is stopping: not ready from now on ("server": "shutting down"). */
void mx_ready_set_stopping(struct mx_ready *r);
/* Run every check; set name → "ok" or the reason in checks. 1 when every
 * check passed and the server is not stopping. r may be NULL (no checks). */
int mx_ready_run(struct mx_ready *r, json_t *checks);
void mx_ready_free(struct mx_ready *r);

/* The database file must still exist: an open connection keeps answering
 * after its file is deleted or moved away, and a restart would then find
 * no data. ":memory:" always passes. */
int mx_ready_database_file(const char *path, char *why, size_t n);
/* The audit trail must be writable, or its folder creatable: the folders
 * are created now (idempotent, and what the writer does on the first
 * record anyway). */
int mx_ready_audit_path(const char *path, char *why, size_t n);

#endif
