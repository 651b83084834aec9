/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jsonrpc — libFuzzer target for the JSON-RPC reader (src/mcp/jsonrpc.c),
 * the first code that touches bytes from an MCP client.
 *
 * Each input is parsed four ways: batches allowed and not, with the default
 * limits and with tight ones (so the byte and depth checks are reached by
 * small inputs). Every message that comes back is checked against the
 * contract in jsonrpc.h (a request has a method and an id, a notification
 * no id, an invalid entry a -32700/-32600 code and a terminated message),
 * answered with the builders as the server would, serialised, and freed.
 * A contract violation aborts, so the fuzzer reports it like a crash.
 * The input is copied into an exact-size heap buffer without a NUL, so
 * ASan sees any read past `len`. Build and run: fuzz/build.sh.
 */
#include "core/alloc.h"
#include "mcp/jsonrpc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
	if (!ok)
		abort();
}

static void answer(const struct mx_rpc_msg *m)
{
	json_t *out = NULL;
	switch (m->kind) {
	case MX_RPC_REQUEST:
		check(m->method != NULL && m->id != NULL && m->root != NULL);
		check(json_is_string(m->id) || json_is_integer(m->id));
		check(m->params == NULL || json_is_object(m->params) || json_is_array(m->params));
		out = mx_rpc_result(m->id, json_object());
		break;
	case MX_RPC_NOTIFICATION:
		check(m->method != NULL && m->id == NULL && m->root != NULL);
		out = mx_rpc_notification(m->method, m->params ? json_deep_copy(m->params) : NULL);
		break;
	case MX_RPC_RESPONSE: check(m->method == NULL && m->id != NULL && m->root != NULL); break;
	case MX_RPC_INVALID:
		check(m->error_code == MX_RPC_PARSE_ERROR || m->error_code == MX_RPC_INVALID_REQUEST);
		check(memchr(m->error_message, '\0', sizeof m->error_message) != NULL);
		check(m->error_message[0] != '\0');
		check(m->id == NULL || json_is_string(m->id) || json_is_integer(m->id));
		out = mx_rpc_error(m->id, m->error_code, m->error_message, json_string("detail"));
		break;
	default: abort();
	}
	if (out != NULL) {
		char *s = json_dumps(out, JSON_COMPACT);
		check(s != NULL);
		mx_free(s);
		json_decref(out);
	}
}

static void parse_once(const char *text, size_t len, const struct mx_rpc_limits *lim, int allow_batch)
{
	struct mx_rpc_msg *msgs = NULL;
	size_t n = 0;
	int is_batch = -1;
	int rc = mx_rpc_parse(text, len, lim, allow_batch, &msgs, &n, &is_batch);
	if (rc != 0) {
		check(msgs == NULL || n == 0);
		mx_free(msgs);
		return;
	}
	check(msgs != NULL && n >= 1);
	check(is_batch == 0 || is_batch == 1);
	check(is_batch == 0 || allow_batch);
	check(is_batch == 1 || n == 1);
	for (size_t i = 0; i < n; i++) {
		answer(&msgs[i]);
		mx_rpc_msg_clear(&msgs[i]);
	}
	mx_free(msgs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mx_alloc_init_jansson();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	if (size)
		memcpy(text, data, size);
	const struct mx_rpc_limits tight = {.max_bytes = 256, .max_depth = 4};
	parse_once(text, size, NULL, 0);
	parse_once(text, size, NULL, 1);
	parse_once(text, size, &tight, 0);
	parse_once(text, size, &tight, 1);
	free(text);
	return 0;
}
