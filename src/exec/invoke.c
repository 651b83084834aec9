/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invoke — see invoke.h.
 *
 * Each call is traced as MXCP traces it (ops/telemetry.h; no-ops unless
 * tracing is on): mxcp.endpoint.execute around the whole call (its trace id
 * goes to ctx->trace_id for the audit record), with children
 * mxcp.validation.input (convert), mxcp.policy.enforce_input,
 * mxcp.execution_engine.execute (the executor: mxcp.duckdb.execute from the
 * SQL executor, mxcp.python.execute here; then mxcp.validation.output)
 * and mxcp.policy.enforce_output. MXCP's instruments are counted here too
 * (ops/metrics.h): policy evaluations and the calls running now.
 */
#include "exec/invoke.h"

#include "exec/python.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/time.h"
#include "exec/executor.h"
#include "ops/metrics.h"
#include "ops/telemetry.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

struct mx_runtime {
	struct mx_project *project;
	struct mx_db *db;
};

/* The site's extensions as the DuckDB layer takes them (*out NULL when
 * there are none). */
static int site_extensions(const struct mx_site_config *site, struct mx_db_extension **out,
                           struct mx_err *err)
{
	*out = NULL;
	if (site->nextensions == 0)
		return 0;
	struct mx_db_extension *ext = mx_calloc(site->nextensions, sizeof *ext);
	if (ext == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < site->nextensions; i++) {
		ext[i].name = site->extensions[i].name;
		ext[i].repo = site->extensions[i].repo;
		ext[i].file = site->file;
		ext[i].line = site->extensions[i].line;
		ext[i].col = site->extensions[i].col;
	}
	*out = ext;
	return 0;
}

int mx_runtime_open(struct mx_project *p, struct mx_runtime **out, struct mx_err *err)
{
	int rc = mx_runtime_open_sandboxed(p, NULL, out, err);
	if (rc == 0 && (rc = mx_runtime_attach(*out, p, 0, err)) != 0) {
		mx_runtime_close(*out);
		*out = NULL;
	}
	return rc;
}

int mx_runtime_attach(struct mx_runtime *rt, struct mx_project *p, int strict, struct mx_err *err)
{
	int rc = mx_python_attach(rt, p, strict, err);
	if (rc == 0)
		mx_python_init_hooks(p);
	return rc;
}

int mx_runtime_open_sandboxed(struct mx_project *p, const struct mx_db_sandbox *sb, struct mx_runtime **out,
                              struct mx_err *err)
{
	*out = NULL;
	struct mx_runtime *rt = mx_calloc(1, sizeof *rt);
	if (rt == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	struct mx_db_extension *ext = NULL;
	int rc = site_extensions(p->site, &ext, err);
	if (rc) {
		mx_free(rt);
		return rc;
	}
	struct mx_db_options opt = {
	        .path = p->settings.duckdb_path,
	        .readonly = p->settings.readonly,
	        .extensions = ext,
	        .nextensions = p->site->nextensions,
	        .secrets = mx_user_secrets(p->user, p->site->project, p->profile),
	        .sandbox = sb,
	};
	rc = mx_db_open(&opt, &rt->db, err);
	mx_free(ext);
	if (rc) {
		mx_free(rt);
		return rc;
	}
	rt->project = mx_project_ref(p);
	*out = rt;
	return 0;
}

int mx_runtime_load_extensions(struct mx_runtime *rt, const struct mx_project *p, struct mx_err *err)
{
	struct mx_db_extension *ext = NULL;
	int rc = site_extensions(p->site, &ext, err);
	if (rc == 0)
		rc = mx_db_load_extensions(rt->db, ext, p->site->nextensions, err);
	mx_free(ext);
	return rc;
}

int mx_runtime_set_secrets(struct mx_runtime *rt, const struct mx_project *p, struct mx_err *err)
{
	return mx_db_set_secrets(rt->db, mx_user_secrets(p->user, p->site->project, p->profile), err);
}

void mx_runtime_close(struct mx_runtime *rt)
{
	if (rt == NULL)
		return;
	mx_python_detach(rt->project);
	mx_db_close(rt->db);
	mx_project_unref(rt->project);
	mx_free(rt);
}

struct mx_db *mx_runtime_db(struct mx_runtime *rt)
{
	return rt->db;
}

struct mx_project *mx_runtime_project(struct mx_runtime *rt)
{
	return rt->project;
}

int mx_shape_result(const struct mx_type *ret, json_t *rows, json_t **out, struct mx_err *err)
{
	*out = NULL;
	if (ret == NULL || ret->kind == MX_T_ARRAY || !json_is_array(rows)) {
		*out = json_incref(rows);
		return 0;
	}
	const char *tname = mx_type_kind_name(ret->kind);
	size_t n = json_array_size(rows);
	if (n == 0)
		return mx_err_set(err, MX_EINVAL, "No results returned");
	if (n > 1)
		return mx_err_set(err, MX_EINVAL,
		                  "Expected single result for return type '%s', but got %zu results", tname,
		                  n);
	json_t *row = json_array_get(rows, 0);
	if (ret->kind == MX_T_OBJECT || !json_is_object(row)) {
		*out = json_incref(row);
		return 0;
	}
	if (json_object_size(row) != 1)
		return mx_err_set(err, MX_EINVAL,
		                  "Expected single value for return type '%s', but got %zu values", tname,
		                  json_object_size(row));
	void *it = json_object_iter(row);
	*out = json_incref(json_object_iter_value(it));
	return 0;
}

static void fill_report(struct mx_invoke_report *rep, const struct mx_policy_result *pr,
                        enum mx_invoke_stage failed)
{
	if (rep == NULL)
		return;
	rep->policy_decision = mx_policy_decision_name(pr->decision);
	snprintf(rep->reason, sizeof rep->reason, "%s", pr->reason);
	rep->stage = failed;
}

const char *mx_invoke_stage_name(enum mx_invoke_stage s)
{
	static const char *const names[] = {"",        "convert", "input policy",
	                                    "execute", "shape",   "output policy"};
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "";
}

/* End a stage's span with the stage's outcome. */
static void span_close(struct mx_span *sp, int rc, const struct mx_err *err)
{
	if (!sp->active)
		return;
	if (rc)
		mx_span_error(sp, err ? err->msg : mx_strerror(rc));
	else
		mx_span_ok(sp);
	mx_span_end(sp);
}

/* The executor's own call; a Python endpoint's is its span and counters
 * (the SQL executor traces its statement itself). */
static int call_executor(const struct mx_executor *ex, const struct mx_exec_call *x, json_t **raw,
                         struct mx_err *err)
{
	if (x->ep->language != MX_LANG_PYTHON)
		return ex->call(x, raw, err);
	struct mx_span sp;
	mx_span_begin(&sp, "mxcp.python.execute", MX_SPAN_INTERNAL, NULL);
	mx_span_str(&sp, "mxcp.python.type", "endpoint");
	mx_span_str(&sp, "mxcp.python.name", x->ep->name);
	mx_span_int(&sp, "mxcp.python.params.count", (long long)json_object_size(x->args));
	mx_metrics_gauge_add(MX_METRIC_PYTHON_CONCURRENT, 1);
	int rc = ex->call(x, raw, err);
	mx_metrics_gauge_add(MX_METRIC_PYTHON_CONCURRENT, -1);
	const char *labels[] = {x->ep->name, rc ? "error" : "success"};
	mx_metrics_count(MX_METRIC_PYTHON_EXECUTIONS, labels);
	span_close(&sp, rc, err);
	return rc;
}

/* The execution stage: the endpoint's executor, then (for rows) the shape
 * by the return type and the output check. *stage says which failed. */
static int execute(const struct mx_exec_call *x, const struct mx_invoke_opts *opts, json_t **result,
                   enum mx_invoke_stage *stage, struct mx_err *err)
{
	const struct mx_endpoint *ep = x->ep;
	const struct mx_executor *ex = mx_executor_of(ep);
	*stage = MX_STAGE_EXECUTE;
	if (ex == NULL)
		return mx_err_set(err, MX_EINVAL, "%s endpoints are not available in this build (%s)",
		                  ep->language == MX_LANG_PYTHON ? "Python" : "These", ep->relpath);
	struct mx_span engine, check;
	mx_span_begin(&engine, "mxcp.execution_engine.execute", MX_SPAN_INTERNAL, NULL);
	mx_span_str(&engine, "mxcp.execution.language", ex->name);
	mx_span_int(&engine, "mxcp.params.count", (long long)json_object_size(x->args));
	json_t *raw = NULL, *shaped = NULL;
	int rc = call_executor(ex, x, &raw, err);
	if (rc || !ex->shapes) {
		*result = raw;
		span_close(&engine, rc, err);
		return rc;
	}
	*stage = MX_STAGE_SHAPE;
	mx_span_begin(&check, "mxcp.validation.output", MX_SPAN_INTERNAL, NULL);
	rc = mx_shape_result(ep->ret, raw, &shaped, err);
	json_decref(raw);
	if (rc == 0 && ep->ret && !(opts && opts->skip_output_validation)) {
		rc = mx_type_check_output(ep->ret, shaped, err);
		if (rc) {
			json_decref(shaped);
			shaped = NULL;
		}
	}
	mx_span_bool(&check, "mxcp.validation.passed", rc == 0);
	span_close(&check, rc, err);
	span_close(&engine, rc, err);
	*result = shaped;
	return rc;
}

static void count_policy(const char *type, const struct mx_policy_result *pr)
{
	const char *labels[] = {type, mx_policy_decision_name(pr->decision)};
	mx_metrics_count(MX_METRIC_POLICY_EVALUATIONS, labels);
}

int mx_invoke(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args,
              struct mx_call_ctx *ctx, const struct mx_invoke_opts *opts, json_t **result, struct mx_err *err)
{
	*result = NULL;
	struct mx_call_ctx anonymous = mx_call_ctx_make(MX_CALLER_CLI);
	if (ctx == NULL)
		ctx = &anonymous;
	struct mx_policy_result pr = {.decision = MX_POLICY_NA};
	const struct mx_policy_set *ps = ep->policy_set;
	int has_policies =
	        mx_policy_set_count(ps, MX_POLICY_INPUT) + mx_policy_set_count(ps, MX_POLICY_OUTPUT) > 0;
	json_t *converted = NULL, *value = NULL;
	const json_t *user = NULL;
	enum mx_invoke_stage stage = MX_STAGE_CONVERT;
	struct mx_span root, sp;
	mx_span_begin(&root, "mxcp.endpoint.execute", MX_SPAN_SERVER, ctx->traceparent);
	if (root.active) {
		mx_span_str(&root, "mxcp.endpoint.name", ep->name);
		mx_span_str(&root, "mxcp.endpoint.type", mx_endpoint_kind_name(ep->kind));
		mx_span_bool(&root, "mxcp.auth.authenticated", ctx->user_context != NULL);
		if (ctx->user_provider)
			mx_span_str(&root, "mxcp.auth.provider", ctx->user_provider);
		if (ctx->session_id)
			mx_span_str(&root, "mxcp.session.id", ctx->session_id);
		mx_span_trace_hex(&root, ctx->trace_id);
	}
	mx_metrics_gauge_add(MX_METRIC_ENDPOINT_CONCURRENT, 1);
	mx_span_begin(&sp, "mxcp.validation.input", MX_SPAN_INTERNAL, NULL);
	int rc = mx_params_convert(ep->params, ep->nparams, args, &converted, err);
	mx_span_bool(&sp, "mxcp.validation.passed", rc == 0);
	span_close(&sp, rc, err);
	if (rc)
		goto done;
	if (has_policies) {
		/* the user object is built only for endpoints that have rules to
		 * read it (the SQL functions build it on first use, under their
		 * slot's lock) */
		if ((user = mx_call_ctx_user(ctx)) == NULL) {
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			goto done;
		}
		stage = MX_STAGE_INPUT_POLICY;
		mx_span_begin(&sp, "mxcp.policy.enforce_input", MX_SPAN_INTERNAL, NULL);
		mx_span_int(&sp, "mxcp.policy.count", (long long)mx_policy_set_count(ps, MX_POLICY_INPUT));
		rc = mx_policy_enforce_input(ps, converted, user, &pr, err);
		mx_span_str(&sp, "mxcp.policy.decision", mx_policy_decision_name(pr.decision));
		span_close(&sp, rc, err);
		count_policy("input", &pr);
		if (rc)
			goto done;
	}
	/* [cache]: a read-only call's answer would be looked up here. */
	if (mx_call_ctx_cancelled(ctx)) {
		stage = MX_STAGE_EXECUTE;
		rc = mx_err_set(err, MX_ECANCELLED, "Request cancelled");
		goto done;
	}
	struct mx_exec_call x = {.rt = rt, .conn = conn, .ep = ep, .args = converted, .ctx = ctx};
	rc = execute(&x, opts, &value, &stage, err);
	if (rc && ctx->deadline > 0 && !mx_call_ctx_cancelled(ctx) && mx_mono_s() >= ctx->deadline)
		rc = mx_err_set(err, MX_ELIMIT, "Call timed out: it ran past transport.call_timeout");
	if (rc == 0 && has_policies) {
		stage = MX_STAGE_OUTPUT_POLICY;
		mx_span_begin(&sp, "mxcp.policy.enforce_output", MX_SPAN_INTERNAL, NULL);
		mx_span_int(&sp, "mxcp.policy.count", (long long)mx_policy_set_count(ps, MX_POLICY_OUTPUT));
		rc = mx_policy_enforce_output(ps, ep->ret, user, &value, &pr, err);
		mx_span_str(&sp, "mxcp.policy.decision", mx_policy_decision_name(pr.decision));
		span_close(&sp, rc, err);
		count_policy("output", &pr);
	}
	if (rc == 0) {
		*result = value;
		value = NULL;
	}
done:
	json_decref(value);
	json_decref(converted);
	fill_report(opts ? opts->report : NULL, &pr, rc ? stage : MX_STAGE_NONE);
	mx_metrics_gauge_add(MX_METRIC_ENDPOINT_CONCURRENT, -1);
	if (root.active) {
		mx_span_str(&root, "mxcp.policy.decision", mx_policy_decision_name(pr.decision));
		span_close(&root, rc, err);
	}
	if (ctx == &anonymous)
		mx_call_ctx_clear(&anonymous);
	return rc;
}
