/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prompt_executor — the executor of prompts (executor.h): each message's
 * template rendered with the converted arguments (MXCP's Jinja2 subset),
 * the result a list of {prompt, role, type} for the protocol core to turn
 * into MCP PromptMessages. No database.
 */
#include "exec/executor.h"

#include "core/buf.h"
#include "jinja/jinja.h"

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
			rc = mx_jinja_render(m->tmpl, args, &b, err);
		} else {
			struct mx_jinja_template *t = NULL;
			rc = mx_jinja_compile(m->prompt, &t, err); /* fails again, with the reason */
			mx_jinja_free(t);
		}
		if (rc) {
			mx_buf_free(&b);
			json_decref(msgs);
			mx_err_prefix(err, "Message %zu", i);
			return rc;
		}
		/* s% keeps a NUL the template rendered (MXCP's str has no terminator) */
		json_t *msg = json_pack("{s:s%, s:s?, s:s?}", "prompt", b.p ? b.p : "", b.len, "role",
		                        m->role, "type", m->type);
		mx_buf_free(&b);
		if (msg == NULL || json_array_append_new(msgs, msg)) {
			json_decref(msgs);
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		}
	}
	*out = msgs;
	return 0;
}

static int prompt_call(const struct mx_exec_call *x, json_t **out, struct mx_err *err)
{
	return render_prompt(x->ep, x->args, out, err);
}

const struct mx_executor mx_prompt_executor = {.name = "prompt", .call = prompt_call};
