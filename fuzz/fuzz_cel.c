/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cel — libFuzzer target for the CEL engine (src/cel/):
 * policy conditions come from project files, and hostile expressions must
 * fail cleanly. Each input is compiled (mx_cel_compile_n, so embedded NULs
 * reach the lexer) and, when it compiles, evaluated three ways against a
 * fixed activation shaped like a tool call's: to a typed result, to JSON,
 * and as a condition. Everything must be freed (LSan checks).
 *
 * The input is copied into an exact-size heap buffer so ASan sees any read
 * past `len`.
 *
 * Build (fuzz/build.sh builds the other targets; this one by hand):
 *   clang-14 -std=c17 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE \
 *     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
 *     -o fuzz/out/fuzz_cel fuzz/fuzz_cel.c src/core/[a-z]*.c src/policy/[a-z]*.c \
 *     -ljansson -lyaml -lpcre2-8 -lm -lpthread
 * Run:
 *   mkdir -p fuzz/out/corpus-cel && fuzz/out/fuzz_cel -max_total_time=300 -max_len=4096 \
 *     -timeout=10 fuzz/out/corpus-cel
 */
#include "core/alloc.h"
#include "core/err.h"
#include "cel/cel.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mx_cel_activation *act;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mx_alloc_init_jansson();
	json_t *ctx = json_loads("{\"user\": {\"user_id\": \"u1\", \"username\": \"ann\", \"email\": null, "
	                         "\"name\": \"Ann\", \"provider\": \"test\", \"role\": \"user\", "
	                         "\"permissions\": [\"read\", \"write\"], \"capabilities\": [], \"n\": 5}, "
	                         "\"customer_id\": 5, \"amount\": 12.5, \"tags\": {\"a\": [1, 2.5, true]}, "
	                         "\"tz\": \"Europe/Paris\", \"ts\": \"2009-02-13T23:31:30Z\"}",
	                         0, NULL);
	struct mx_err err;
	if (ctx == NULL || mx_cel_activation_from_json(ctx, &act, &err) != 0)
		abort();
	json_decref(ctx);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size ? size : 1);
	if (src == NULL)
		return 0;
	if (size)
		memcpy(src, data, size);
	struct mx_cel_program *p = NULL;
	struct mx_err err;
	int rc = mx_cel_compile_n(src, size, &p, &err);
	if (rc != 0) {
		if (p != NULL || err.msg[0] == 0)
			abort();
		free(src);
		return 0;
	}
	struct mx_cel_result *r = NULL;
	if (mx_cel_eval_value(p, act, &r) == 0) {
		json_t *j = mx_cel_value_to_json(mx_cel_result_value(r));
		json_decref(j);
		mx_cel_result_free(r);
	}
	json_t *out = NULL;
	if (mx_cel_eval(p, act, &out, &err) == 0)
		json_decref(out);
	bool b;
	(void)mx_cel_eval_bool(p, act, &b, &err);
	mx_cel_program_free(p);
	free(src);
	return 0;
}
