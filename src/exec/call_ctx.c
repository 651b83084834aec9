/* SPDX-License-Identifier: Apache-2.0 */
/* call_ctx — see call_ctx.h. */
#include "exec/call_ctx.h"

#include "auth/identity.h"
#include "core/log.h"

#include <string.h>

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

void mx_call_ctx_log(const struct mx_call_ctx *ctx, const char *level, const char *logger,
                     const char *message)
{
	if (ctx && ctx->notifier && ctx->notifier->log) {
		ctx->notifier->log(ctx->notifier->arg, level, logger, message);
		return;
	}
	enum mx_log_level l = MX_LOG_INFO;
	if (strcmp(level, "debug") == 0)
		l = MX_LOG_DEBUG;
	else if (strcmp(level, "info") == 0 || strcmp(level, "notice") == 0)
		l = MX_LOG_INFO;
	else if (strcmp(level, "warning") == 0)
		l = MX_LOG_WARNING;
	else
		l = MX_LOG_ERROR;
	mx_log(l, "%s: %s", logger && *logger ? logger : "mcp", message);
}

int mx_call_ctx_request(const struct mx_call_ctx *ctx, const char *method, const json_t *params,
                        double timeout_s, json_t **result, struct mx_err *err)
{
	*result = NULL;
	if (ctx == NULL || ctx->notifier == NULL || ctx->notifier->request == NULL)
		return mx_err_set(err, MX_ENOTFOUND, "%s: no client to ask (the call did not come over MCP)",
		                  method);
	return ctx->notifier->request(ctx->notifier->arg, method, params, timeout_s, result, err);
}

void mx_call_ctx_progress(const struct mx_call_ctx *ctx, double progress, double total, const char *message)
{
	if (ctx && ctx->notifier && ctx->notifier->progress) {
		ctx->notifier->progress(ctx->notifier->arg, progress, total, message);
		return;
	}
	if (total >= 0)
		mx_info("progress: %g/%g%s%s", progress, total, message ? " " : "", message ? message : "");
	else
		mx_info("progress: %g%s%s", progress, message ? " " : "", message ? message : "");
}
