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

#include "cache/cache.h"
#include "config/user.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/time.h"
#include "exec/executor.h"
#include "ops/metrics.h"
#include "ops/telemetry.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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
/* The root span of one call, mxcp.endpoint.execute, with its attributes. */
static void root_begin(struct mx_span *root, const struct mx_endpoint *ep, struct mx_call_ctx *ctx)
{
	mx_span_begin(root, "mxcp.endpoint.execute", MX_SPAN_SERVER, ctx->traceparent);
	if (!root->active)
		return;
	mx_span_str(root, "mxcp.endpoint.name", ep->name);
	mx_span_str(root, "mxcp.endpoint.type", mx_endpoint_kind_name(ep->kind));
	mx_span_bool(root, "mxcp.auth.authenticated", ctx->user_context != NULL);
	if (ctx->user_provider)
		mx_span_str(root, "mxcp.auth.provider", ctx->user_provider);
	if (ctx->session_id)
		mx_span_str(root, "mxcp.session.id", ctx->session_id);
	mx_span_trace_hex(root, ctx->trace_id);
}

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

/* ------------------------------------------------------------------ cache */

int mx_invoke_cacheable(const struct mx_endpoint *ep, const char **why)
{
	const char *no = NULL;
	if (ep->language == MX_LANG_BUILTIN)
		no = "a built-in tool";
	else if (ep->kind == MX_EP_TOOL && !json_is_true(json_object_get(ep->annotations, "readOnlyHint")))
		no = "not marked annotations.readOnlyHint: true";
	else if (ep->language == MX_LANG_SQL && ep->source_code &&
	         strcasestr(ep->source_code, "get_request_header"))
		no = "its SQL reads request headers";
	if (why)
		*why = no;
	return no == NULL;
}

static int bypassed(const struct mx_call_ctx *ctx)
{
	const char *h = json_string_value(json_object_get(ctx->request_headers, "x-mxcp-cache"));
	return h && (strcasecmp(h, "bypass") == 0 || strcasecmp(h, "no-cache") == 0);
}

static double cache_ttl(const struct mx_invoke_cache *ic, const struct mx_endpoint *ep)
{
	const char *alt = ep->kind == MX_EP_RESOURCE ? ep->title : NULL;
	return (double)mx_user_cache_ttl(ic->cfg, ep->name, alt);
}

int mx_invoke_cache_applies(const struct mx_invoke_cache *ic, const struct mx_endpoint *ep,
                            const struct mx_call_ctx *ctx)
{
	return ic && ic->cache && ic->cfg && ic->cfg->enabled && cache_ttl(ic, ep) > 0 &&
	       mx_invoke_cacheable(ep, NULL) && !(ctx && bypassed(ctx));
}

/* Does ep's answer depend on who calls? */
static int needs_identity(const struct mx_endpoint *ep, int has_policies)
{
	return has_policies || ep->language == MX_LANG_PYTHON ||
	       (ep->source_code && strcasestr(ep->source_code, "get_user"));
}

static int dump_cb(const char *p, size_t n, void *data)
{
	return mx_buf_append(data, p, n) == 0 ? 0 : -1;
}

/* The caller's identity for the key: the `user` object without the claims
 * that change with every token (exp, iat, nbf, jti, auth_time), in
 * `claims` and where the raw profile's keys are copied to the top. */
static int put_identity(struct mx_buf *k, struct mx_call_ctx *ctx)
{
	const json_t *user = mx_call_ctx_user(ctx);
	if (user == NULL)
		return MX_ENOMEM;
	json_t *u = json_copy((json_t *)user);
	const json_t *claims = json_object_get(user, "claims");
	json_t *cl = json_is_object(claims) ? json_copy((json_t *)claims) : NULL;
	static const char *const volatile_claims[] = {"exp", "iat", "nbf", "jti", "auth_time"};
	/* the raw profile's keys are the user's too (auth/identity.c) */
	for (size_t i = 0; i < sizeof volatile_claims / sizeof *volatile_claims; i++) {
		if (cl)
			json_object_del(cl, volatile_claims[i]);
		if (u)
			json_object_del(u, volatile_claims[i]);
	}
	if (u && cl)
		json_object_set_new(u, "claims", cl);
	else
		json_decref(cl);
	int rc = u ? json_dump_callback(u, dump_cb, k, JSON_COMPACT | JSON_SORT_KEYS) : -1;
	json_decref(u);
	return rc ? MX_ENOMEM : 0;
}

/* The key: kind, name, the definition's fingerprint, the converted
 * arguments (canonical), and the identity when the answer may depend on
 * it. */
static int cache_key(struct mx_buf *k, const struct mx_endpoint *ep, const json_t *converted,
                     struct mx_call_ctx *ctx, int has_policies)
{
	static const char kinds[] = {'t', 'r', 'p'};
	/* The definition's fingerprint: instances of different versions of
	 * the project that share a Redis (a rolling deploy) never serve each
	 * other's answers. */
	uint64_t fp = mx_cache_hash(0, ep->source_code ? ep->source_code : "",
	                            ep->source_code ? strlen(ep->source_code) : 0);
	if (ep->source_path)
		fp ^= mx_cache_hash(1, ep->source_path, strlen(ep->source_path));
	if (ep->policies) {
		char *pol = mx_json_dumps(ep->policies, MX_JSON_SORTED);
		fp ^= pol ? mx_cache_hash(2, pol, strlen(pol)) : 0;
		mx_free(pol);
	}
	if (mx_buf_putc(k, kinds[ep->kind]) || mx_buf_putc(k, '\n') || mx_buf_puts(k, ep->name) ||
	    mx_buf_printf(k, "\n%016llx\n", (unsigned long long)fp))
		return MX_ENOMEM;
	if (converted &&
	    json_dump_callback(converted, dump_cb, k, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0)
		return MX_ENOMEM;
	if (!needs_identity(ep, has_policies))
		return 0;
	if (mx_buf_putc(k, '\n'))
		return MX_ENOMEM;
	return put_identity(k, ctx);
}

static void cache_store(struct mx_invoke_cache *ic, const struct mx_endpoint *ep, const struct mx_buf *k,
                        const json_t *value)
{
	struct mx_buf v;
	mx_buf_init(&v, MX_BUF_UNBOUNDED);
	if (json_dump_callback(value, dump_cb, &v, JSON_COMPACT | JSON_ENCODE_ANY) == 0)
		mx_cache_put(ic->cache, ic->generation, k->p, k->len, v.p ? v.p : "", v.len,
		             cache_ttl(ic, ep), ic->token);
	mx_buf_free(&v);
}

/* ---------------------------------------------------------------- invoke */

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
	struct mx_invoke_cache *ic = opts ? opts->cache : NULL;
	struct mx_buf key;
	int keyed = 0, cached = 0, input_ran = 0;
	struct mx_policy_result pr_in = {.decision = MX_POLICY_NA};
	mx_buf_init(&key, MX_BUF_UNBOUNDED);
	/* The hit path's lookup (lookup_only) traces nothing unless it hits: a
	 * miss goes on to a worker, whose call is the one trace of it. */
	int quiet = ic && ic->lookup_only;
	struct mx_span root, sp;
	root.active = sp.active = 0; /* quiet: no-ops until a hit */
	uint64_t t0 = quiet && mx_telemetry_tracing() ? mx_span_now_ns() : 0;
	if (!quiet)
		root_begin(&root, ep, ctx);
	mx_metrics_gauge_add(MX_METRIC_ENDPOINT_CONCURRENT, 1);
	if (!quiet)
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
		if (!quiet)
			mx_span_begin(&sp, "mxcp.policy.enforce_input", MX_SPAN_INTERNAL, NULL);
		mx_span_int(&sp, "mxcp.policy.count", (long long)mx_policy_set_count(ps, MX_POLICY_INPUT));
		rc = mx_policy_enforce_input(ps, converted, user, &pr, err);
		mx_span_str(&sp, "mxcp.policy.decision", mx_policy_decision_name(pr.decision));
		span_close(&sp, rc, err);
		pr_in = pr;
		input_ran = 1;
		if (rc)
			goto done;
	}
	/* [cache]: after the input policy (a deny is never served from the
	 * cache); a hit is the final answer. A cache that cannot be reached
	 * is a miss. */
	if (mx_invoke_cache_applies(ic, ep, ctx)) {
		keyed = cache_key(&key, ep, converted, ctx, has_policies) == 0;
		if (keyed && !ic->looked_up) {
			char *val = NULL;
			size_t vlen = 0;
			ic->looked_up = 1;
			if (mx_cache_get(ic->cache, ic->generation, key.p, key.len, &val, &vlen,
			                 &ic->token) == 0)
				value = json_loadb(val, vlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
			mx_free(val);
			if (root.active)
				mx_span_str(&root, "mxcp.cache.result", value ? "hit" : "miss");
			if (value) {
				cached = 1;
				*result = value;
				value = NULL;
				goto done;
			}
		} else if (keyed && root.active) {
			/* the hit path looked it up before handing the call here */
			mx_span_str(&root, "mxcp.cache.result", "miss");
		}
	}
	if (ic && ic->lookup_only) {
		ic->deferred = 1;
		goto done;
	}
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
	if (rc == 0 && keyed)
		cache_store(ic, ep, &key, value);
	if (rc == 0) {
		*result = value;
		value = NULL;
	}
done:
	/* A call the hit path hands to a worker is counted there, once. */
	if (input_ran && !(ic && ic->deferred))
		count_policy("input", &pr_in);
	json_decref(value);
	json_decref(converted);
	mx_buf_free(&key);
	fill_report(opts ? opts->report : NULL, &pr, rc ? stage : MX_STAGE_NONE);
	if (opts && opts->report)
		opts->report->cached = cached;
	mx_metrics_gauge_add(MX_METRIC_ENDPOINT_CONCURRENT, -1);
	if (quiet && !ic->deferred) {
		/* answered on the hit path: a hit, or a call refused before it */
		root_begin(&root, ep, ctx);
		if (root.active) {
			root.start_ns = t0;
			if (cached)
				mx_span_str(&root, "mxcp.cache.result", "hit");
		}
	}
	if (root.active) {
		mx_span_str(&root, "mxcp.policy.decision", mx_policy_decision_name(pr.decision));
		span_close(&root, rc, err);
	}
	if (ctx == &anonymous)
		mx_call_ctx_clear(&anonymous);
	return rc;
}
