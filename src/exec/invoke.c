/* SPDX-License-Identifier: Apache-2.0 */
/* invoke — see invoke.h. */
#include "exec/invoke.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/template.h"
#include "exec/udf.h"
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
	}
	*out = ext;
	return 0;
}

int mx_runtime_open(struct mx_project *p, struct mx_runtime **out, struct mx_err *err)
{
	return mx_runtime_open_sandboxed(p, NULL, out, err);
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

static int run_sql(struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args, json_t **rows,
                   struct mx_err *err)
{
	if (ep->source_code == NULL)
		return mx_err_set(err, MX_ENOTFOUND, "Error resolving source code: file not found: %s",
		                  ep->source_path ? ep->source_path : "(none)");
	struct mx_sql_param *params = NULL;
	size_t n = json_object_size(args);
	if (n && (params = mx_calloc(n, sizeof *params)) == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	size_t k = 0;
	const char *key;
	json_t *val;
	json_object_foreach ((json_t *)args, key, val) {
		params[k].name = key;
		params[k].value = val;
		for (size_t i = 0; i < ep->nparams; i++)
			if (strcmp(ep->params[i]->name, key) == 0)
				params[k].type = ep->params[i];
		k++;
	}
	int rc = mx_sql_query(conn, ep->source_code, params, k, rows, err);
	mx_free(params);
	if (rc && err) {
		char where[1024];
		snprintf(where, sizeof where, " (%s '%s', %s)", mx_endpoint_kind_name(ep->kind), ep->name,
		         ep->source_path ? ep->source_path : ep->relpath);
		mx_err_prefix(err, "Failed to execute SQL");
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof err->msg - len, "%s", where);
	}
	return rc;
}

static int render_prompt(const struct mx_endpoint *ep, const json_t *args, json_t **out, struct mx_err *err)
{
	json_t *msgs = json_array();
	if (msgs == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	for (size_t i = 0; i < ep->nmessages; i++) {
		const struct mx_prompt_message *m = &ep->messages[i];
		struct mx_buf b;
		mx_buf_init(&b, 16u << 20);
		/* a template that failed to compile at load: compile again for the message */
		int rc;
		if (m->tmpl != NULL) {
			rc = mx_template_render(m->tmpl, args, &b, err);
		} else {
			struct mx_template *t = NULL;
			rc = mx_template_compile(m->prompt, &t, err); /* fails again, with the reason */
			mx_template_free(t);
		}
		if (rc) {
			mx_buf_free(&b);
			json_decref(msgs);
			mx_err_prefix(err, "Message %zu", i);
			return rc;
		}
		json_t *msg = json_pack("{s:s, s:s?, s:s?}", "prompt", mx_buf_str(&b), "role", m->role,
		                        "type", m->type);
		mx_buf_free(&b);
		if (msg == NULL || json_array_append_new(msgs, msg)) {
			json_decref(msgs);
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		}
	}
	*out = msgs;
	return 0;
}

static void fill_report(struct mx_invoke_report *rep, const struct mx_policy_result *pr)
{
	if (rep == NULL)
		return;
	rep->policy_decision = mx_policy_decision_name(pr->decision);
	snprintf(rep->reason, sizeof rep->reason, "%s", pr->reason);
}

/* Execute after the input policies: render the prompt, or run the SQL and shape and validate its rows. */
static int execute(struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *converted,
                   const struct mx_invoke_opts *opts, json_t **result, struct mx_err *err)
{
	if (ep->kind == MX_EP_PROMPT)
		return render_prompt(ep, converted, result, err);
	if (ep->language == MX_LANG_PYTHON)
		return mx_err_set(err, MX_EINVAL, "Python endpoints are not available in this build (%s)",
		                  ep->relpath);
	json_t *raw = NULL, *shaped = NULL;
	/* The call's context for get_username(), get_request_header(), … */
	struct mx_udf_slot *slot = mx_dbconn_udf_slot(conn);
	struct mx_udf_call call = {
	        .user_context = opts ? opts->user_context : NULL,
	        .user_provider = opts ? opts->user_provider : NULL,
	        .request_headers = opts ? opts->request_headers : NULL,
	};
	mx_udf_call_begin(slot, &call);
	int rc = run_sql(conn, ep, converted, &raw, err);
	mx_udf_call_end(slot);
	if (rc)
		return rc;
	rc = mx_shape_result(ep->ret, raw, &shaped, err);
	json_decref(raw);
	if (rc)
		return rc;
	if (ep->ret && !(opts && opts->skip_output_validation)) {
		rc = mx_type_check_output(ep->ret, shaped, err);
		if (rc) {
			json_decref(shaped);
			return rc;
		}
	}
	*result = shaped;
	return 0;
}

int mx_invoke(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep, const json_t *args,
              const struct mx_invoke_opts *opts, json_t **result, struct mx_err *err)
{
	(void)rt;
	*result = NULL;
	struct mx_policy_result pr = {.decision = MX_POLICY_NA};
	const struct mx_policy_set *ps = ep->policy_set;
	int has_policies =
	        mx_policy_set_count(ps, MX_POLICY_INPUT) + mx_policy_set_count(ps, MX_POLICY_OUTPUT) > 0;
	json_t *converted = NULL, *user = NULL, *value = NULL;
	int rc = mx_params_convert(ep->params, ep->nparams, args, &converted, err);
	if (rc)
		goto done;
	if (has_policies) {
		/* the user object is built only for endpoints that have rules to read it */
		user = mx_policy_user(opts ? opts->user_context : NULL, opts ? opts->user_provider : NULL);
		if (user == NULL) {
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
			goto done;
		}
		rc = mx_policy_enforce_input(ps, converted, user, &pr, err);
		if (rc)
			goto done;
	}
	rc = execute(conn, ep, converted, opts, &value, err);
	if (rc == 0 && has_policies)
		rc = mx_policy_enforce_output(ps, ep->ret, user, &value, &pr, err);
	if (rc == 0) {
		*result = value;
		value = NULL;
	}
done:
	json_decref(value);
	json_decref(user);
	json_decref(converted);
	fill_report(opts ? opts->report : NULL, &pr);
	return rc;
}
