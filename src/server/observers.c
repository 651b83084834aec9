/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observers — see observers.h.
 *
 * The audit observer runs on the worker that ran the call. With `fsync:
 * always` it waits until the record is synced before the answer goes out,
 * so every call a client saw answered is on disk even after a kill -9; when
 * the writer refuses the record (queue full with on_full: fail, disk
 * failing) it refuses the answer.
 */
#include "server/observers.h"

#include "audit/writer.h"
#include "core/log.h"
#include "ops/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* How long an answer waits for its record to be synced (fsync: always)
 * before the call fails instead. */
#define FLUSH_TIMEOUT_MS 10000

static int metrics_on_call(void *arg, const struct mx_call_event *ev, struct mx_err *err)
{
	(void)arg;
	(void)err;
	const char *decision = ev->report ? ev->report->policy_decision : NULL;
	if (decision && strcmp(decision, "deny") == 0)
		mx_metrics_policy_denial(ev->ep ? ev->ep->name : "");
	return 0;
}

static int audit_on_call(void *arg, const struct mx_call_event *ev, struct mx_err *err)
{
	struct mx_audit *audit = arg;
	const struct mx_call_ctx *ctx = ev->ctx;
	char request_id[64];
	const char *rid = NULL;
	const json_t *id = ctx ? ctx->request_id : NULL;
	if (json_is_string(id)) {
		rid = json_string_value(id);
	} else if (json_is_integer(id)) {
		snprintf(request_id, sizeof request_id, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		rid = request_id;
	}
	const char *decision = ev->report ? ev->report->policy_decision : NULL;
	struct mx_audit_record rec = {
	        .caller = ctx ? mx_caller_name(ctx->caller) : "stdio",
	        .type = ev->type,
	        .name = ev->name,
	        .input = ev->input,
	        .params = ev->ep ? ev->ep->params : NULL,
	        .nparams = ev->ep ? ev->ep->nparams : 0,
	        .duration_ms = ev->duration_ms,
	        .policy_decision = decision && strcmp(decision, "n/a") != 0 ? decision : NULL,
	        .reason = ev->report && ev->report->reason[0] ? ev->report->reason : NULL,
	        .status = ev->error ? "error" : "success",
	        .error = ev->error,
	        .user_id = ctx ? json_string_value(json_object_get(ctx->user_context, "user_id")) : NULL,
	        .session_id = ctx ? ctx->session_id : NULL,
	        .request_id = rid,
	        .cached = ev->report && ev->report->cached,
	};
	int rc = mx_audit_log(audit, &rec);
	/* fsync: always means an answered call is on disk: wait for it (the
	 * writer syncs concurrent calls' records together). */
	int synced = 1;
	if (rc == 0 && mx_audit_fsync_always(audit) && mx_audit_flush(audit, FLUSH_TIMEOUT_MS))
		rc = MX_EIO, synced = 0;
	if (rc == 0 || ev->cancelled)
		return rc;
	const char *why = !synced           ? "the audit log is not reaching the disk"
	                  : rc == MX_ELIMIT ? "the audit queue is full"
	                  : rc == MX_EIO    ? "the audit log cannot be written"
	                                    : mx_strerror(rc);
	mx_error("audit: %s %s not recorded (%s); failing the call", ev->type, rec.name, why);
	return mx_err_set(err, rc,
	                  "Audit log unavailable: the call could not be recorded (%s), so its result "
	                  "is withheld; retry later",
	                  why);
}

size_t mx_server_observers(struct mx_audit *audit, struct mx_call_observer out[MX_SERVER_MAX_OBSERVERS])
{
	size_t n = 0;
	out[n++] = (struct mx_call_observer){.on_call = metrics_on_call};
	if (audit)
		out[n++] = (struct mx_call_observer){.on_call = audit_on_call, .arg = audit};
	return n;
}
