/* SPDX-License-Identifier: Apache-2.0 */
/*
 * observers — see observers.h.
 *
 * The audit observer runs on the worker that ran the call. With `fsync:
 * always` it waits until the record is synced before the answer goes out,
 * so every call a client saw answered is on disk even after a kill -9; when
 * the writer refuses the record (queue full with on_full: fail, disk
 * failing) it refuses the answer.
 *
 * The log observer writes one DEBUG line per call (--debug,
 * MXCP_LOG_LEVEL=DEBUG): method, endpoint, status, duration, request id and
 * the arguments with every `sensitive` value replaced, as the audit trail
 * records them; nothing is formatted at a higher level.
 */
#include "server/observers.h"

#include "audit/redact.h"
#include "audit/writer.h"
#include "core/json.h"
#include "core/log.h"
#include "ops/metrics.h"

#include "core/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* How long an answer waits for its record to be synced (fsync: always)
 * before the call fails instead. */
#define FLUSH_TIMEOUT_MS 10000

/* MXCP's error_type label: what failed, by the call path's stage. */
static const char *error_type(const struct mx_call_event *ev)
{
	if (ev->cancelled)
		return "cancelled";
	if (ev->ep == NULL)
		return "not_found";
	switch (ev->report ? ev->report->stage : MX_STAGE_NONE) {
	case MX_STAGE_CONVERT: return "validation";
	case MX_STAGE_INPUT_POLICY:
	case MX_STAGE_OUTPUT_POLICY: return "policy";
	case MX_STAGE_EXECUTE: return "execution";
	case MX_STAGE_SHAPE: return "output_validation";
	case MX_STAGE_NONE: break;
	}
	return "unknown";
}

static int metrics_on_call(void *arg, const struct mx_call_event *ev, struct mx_err *err)
{
	(void)arg;
	(void)err;
	const char *decision = ev->report ? ev->report->policy_decision : NULL;
	if (decision && strcmp(decision, "deny") == 0)
		mx_metrics_policy_denial(ev->ep ? ev->ep->name : "");
	const char *caller = ev->ctx ? mx_caller_name(ev->ctx->caller) : "stdio";
	const char *status = ev->error ? "error" : "success";
	const char *requests[] = {ev->name, ev->type, status, caller,
	                          decision && strcmp(decision, "n/a") != 0 ? decision : "none"};
	mx_metrics_count(MX_METRIC_ENDPOINT_REQUESTS, requests);
	if (ev->error) {
		const char *errors[] = {ev->name, ev->type, caller, error_type(ev)};
		mx_metrics_count(MX_METRIC_ENDPOINT_ERRORS, errors);
	}
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
	        .trace_id = ctx && ctx->trace_id[0] ? ctx->trace_id : NULL,
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

/* The request id as text ("-" when none). */
static const char *request_id_text(const struct mx_call_ctx *ctx, char *buf, size_t sz)
{
	const json_t *id = ctx ? ctx->request_id : NULL;
	if (json_is_string(id))
		return json_string_value(id);
	if (json_is_integer(id)) {
		snprintf(buf, sz, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		return buf;
	}
	return "-";
}

#define LOG_ARGS_MAX 512 /* bytes of arguments shown; longer ones end in "…" */

static int log_on_call(void *arg, const struct mx_call_event *ev, struct mx_err *err)
{
	(void)arg;
	(void)err;
	if (mx_log_get_level() > MX_LOG_DEBUG)
		return 0;
	const char *method = !strcmp(ev->type, "tool")       ? "tools/call"
	                     : !strcmp(ev->type, "resource") ? "resources/read"
	                                                     : "prompts/get";
	char rid[64];
	request_id_text(ev->ctx, rid, sizeof rid);
	/* Arguments only when the endpoint says which are sensitive. */
	char *args = NULL;
	if (ev->ep != NULL && ev->input != NULL) {
		json_t *shown = mx_audit_redact(ev->ep->params, ev->ep->nparams, ev->input);
		args = shown ? mx_json_dumps(shown, MX_JSON_COMPACT | MX_JSON_SORTED) : NULL;
		json_decref(shown);
		if (args && strlen(args) > LOG_ARGS_MAX)
			memcpy(args + LOG_ARGS_MAX - 4, "\xe2\x80\xa6", 4); /* "…" and the end */
	}
	const char *status = ev->cancelled ? "cancelled" : ev->error ? "error" : "success";
	mx_debug("%s %s: %s in %.1f ms (request %s, %s)%s%s%s%s", method, ev->name ? ev->name : "?", status,
	         ev->duration_ms, rid, ev->ctx ? mx_caller_name(ev->ctx->caller) : "stdio",
	         args ? " args " : "", args ? args : "", ev->error ? ": " : "", ev->error ? ev->error : "");
	mx_free(args);
	return 0;
}

size_t mx_server_observers(struct mx_audit *audit, struct mx_call_observer out[MX_SERVER_MAX_OBSERVERS])
{
	size_t n = 0;
	out[n++] = (struct mx_call_observer){.on_call = metrics_on_call};
	if (audit)
		out[n++] = (struct mx_call_observer){.on_call = audit_on_call, .arg = audit};
	out[n++] = (struct mx_call_observer){.on_call = log_on_call}; /* last: after the audit's verdict */
	return n;
}
