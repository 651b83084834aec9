/* SPDX-License-Identifier: Apache-2.0 */
/*
 * executor — see executor.h: the table of executors by language, and the
 * built-in SQL tools' executor (execute_sql_query; list_tables and
 * get_table_schema are plain SQL endpoints and run as such).
 */
#include "exec/executor.h"

#include "exec/builtin_sql_tools.h"

#include <stdatomic.h>

extern const struct mx_executor mx_sql_executor;
extern const struct mx_executor mx_prompt_executor;

static int builtin_call(const struct mx_exec_call *x, json_t **out, struct mx_err *err)
{
	return mx_builtin_sql_tools_call(x->rt, x->conn, x->ep, x->args, out, err);
}

static const struct mx_executor builtin_executor = {.name = "builtin", .call = builtin_call};

/* By language; Python's slot is filled when the interpreter loads. Read on
 * every call, written once before serving: an atomic pointer. */
static _Atomic(const struct mx_executor *) by_language[MX_LANG_COUNT] = {
        [MX_LANG_SQL] = &mx_sql_executor,
        [MX_LANG_BUILTIN] = &builtin_executor,
};

const struct mx_executor *mx_executor_of(const struct mx_endpoint *ep)
{
	if (ep->kind == MX_EP_PROMPT)
		return &mx_prompt_executor;
	if ((unsigned)ep->language >= MX_LANG_COUNT)
		return NULL;
	return atomic_load_explicit(&by_language[ep->language], memory_order_acquire);
}

void mx_executor_register(enum mx_language lang, const struct mx_executor *x)
{
	if ((unsigned)lang < MX_LANG_COUNT)
		atomic_store_explicit(&by_language[lang], x, memory_order_release);
}
