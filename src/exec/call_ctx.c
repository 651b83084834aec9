/* SPDX-License-Identifier: Apache-2.0 */
/* call_ctx — see call_ctx.h. */
#include "exec/call_ctx.h"

#include "auth/identity.h"

struct mx_call_ctx mx_call_ctx_make(enum mx_caller caller)
{
	struct mx_call_ctx ctx = {.caller = caller};
	return ctx;
}

const json_t *mx_call_ctx_user(struct mx_call_ctx *ctx)
{
	if (ctx == NULL)
		return NULL;
	if (ctx->user == NULL)
		ctx->user = mx_identity_user(ctx->user_context, ctx->user_provider);
	return ctx->user;
}

int mx_call_ctx_cancelled(const struct mx_call_ctx *ctx)
{
	return ctx && ctx->cancelled && atomic_load(ctx->cancelled);
}

const char *mx_caller_name(enum mx_caller c)
{
	static const char *const names[] = {"cli", "test", "evals", "stdio", "http"};
	return (unsigned)c < sizeof names / sizeof *names ? names[c] : "unknown";
}

void mx_call_ctx_clear(struct mx_call_ctx *ctx)
{
	if (ctx == NULL)
		return;
	json_decref(ctx->user);
	ctx->user = NULL;
}
