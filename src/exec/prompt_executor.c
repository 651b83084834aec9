/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompt_executor — the executor of prompts (executor.h): each message's
 * template rendered with the converted arguments (MXCP's Jinja2 subset),
 * the result a list of {prompt, role, type} for the protocol core to turn
 * into MCP PromptMessages. No database.
 *
 * As MXCP's TypeConverter does, a string parameter (or item, or property)
 * declared `format: date`, `time`, `date-time` or `timestamp` reaches the
 * template as a datetime.date / time / datetime value (mx_jinja_datetime),
 * so {{ ts }} prints "2024-01-15 10:30:00+00:00" and ts.year works.
 */
#include "exec/executor.h"

#include "core/buf.h"
#include "jinja/jinja.h"
#include "types/types.h"

#define MAX_DEPTH 64

static int is_date_format(enum mx_format f)
{
	return f == MX_FMT_DATE || f == MX_FMT_TIME || f == MX_FMT_DATE_TIME || f == MX_FMT_TIMESTAMP;
}

/* t (or a type inside it) declares a date/time format. */
static int has_dates(const struct mx_type *t, int depth)
{
	if (t == NULL || depth > MAX_DEPTH)
		return 0;
	switch (t->kind) {
	case MX_T_STRING: return is_date_format(t->format);
	case MX_T_ARRAY: return has_dates(t->items, depth + 1);
	case MX_T_OBJECT:
		for (size_t i = 0; i < t->nproperties; i++)
			if (has_dates(t->properties[i].type, depth + 1))
				return 1;
		return 0;
	default: return 0;
	}
}

/* v with its date/time strings as datetime values: a new reference (NULL: out of memory). */
static json_t *with_dates(json_t *v, const struct mx_type *t, int depth)
{
	if (v == NULL || !has_dates(t, depth))
		return json_incref(v);
	if (t->kind == MX_T_STRING) {
		if (!json_is_string(v))
			return json_incref(v);
		enum mx_jinja_dt k = t->format == MX_FMT_DATE   ? MX_JINJA_DATE
		                     : t->format == MX_FMT_TIME ? MX_JINJA_TIME
		                                                : MX_JINJA_DATETIME;
		json_t *d = mx_jinja_datetime(k, json_string_value(v));
		return d ? d : json_incref(v);
	}
	if (t->kind == MX_T_ARRAY && json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x) {
			if (a == NULL || json_array_append_new(a, with_dates(x, t->items, depth + 1))) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	if (t->kind == MX_T_OBJECT && json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach (v, k, x) {
			if (o == NULL ||
			    json_object_set_new(o, k, with_dates(x, mx_type_property(t, k), depth + 1))) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	return json_incref(v);
}

/* The arguments as the template sees them: a new reference, NULL when out of memory. */
static json_t *template_args(const struct mx_endpoint *ep, const json_t *args)
{
	int any = 0;
	for (size_t i = 0; i < ep->nparams && !any; i++)
		any = has_dates(ep->params[i], 0);
	if (!any || !json_is_object(args))
		return json_incref((json_t *)args);
	json_t *out = json_copy((json_t *)args);
	for (size_t i = 0; out && i < ep->nparams; i++) {
		const struct mx_type *t = ep->params[i];
		json_t *v = t->name ? json_object_get(out, t->name) : NULL;
		if (v == NULL || !has_dates(t, 0))
			continue;
		json_t *nv = with_dates(v, t, 0);
		if (nv == NULL || json_object_set_new(out, t->name, nv)) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int render_prompt(const struct mx_endpoint *ep, const json_t *call_args, json_t **out,
                         struct mx_err *err)
{
	json_t *msgs = json_array(), *args = template_args(ep, call_args);
	if (msgs == NULL || args == NULL) {
		json_decref(msgs);
		json_decref(args);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < ep->nmessages; i++) {
		const struct mx_prompt_message *m = &ep->messages[i];
		struct mx_buf b;
		mx_buf_init(&b, 16u << 20);
		/* a template that failed to compile at load: compile again for the message */
		int rc;
		if (m->tmpl != NULL) {
			rc = mx_jinja_render(m->tmpl, args, &b, err);
		} else {
			struct mx_jinja_template *t = NULL;
			rc = mx_jinja_compile(m->prompt, &t, err); /* fails again, with the reason */
			mx_jinja_free(t);
		}
		if (rc) {
			mx_buf_free(&b);
			json_decref(msgs);
			json_decref(args);
			mx_err_prefix(err, "Message %zu", i);
			return rc;
		}
		/* s% keeps a NUL the template rendered (MXCP's str has no terminator) */
		json_t *msg = json_pack("{s:s%, s:s?, s:s?}", "prompt", b.p ? b.p : "", b.len, "role",
		                        m->role, "type", m->type);
		mx_buf_free(&b);
		if (msg == NULL || json_array_append_new(msgs, msg)) {
			json_decref(msgs);
			json_decref(args);
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		}
	}
	json_decref(args);
	*out = msgs;
	return 0;
}

static int prompt_call(const struct mx_exec_call *x, json_t **out, struct mx_err *err)
{
	return render_prompt(x->ep, x->args, out, err);
}

const struct mx_executor mx_prompt_executor = {.name = "prompt", .call = prompt_call};
