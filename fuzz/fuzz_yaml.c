/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_yaml — libFuzzer target for the YAML loader (src/core/yaml.c): every
 * mxcp-site.yml, user config and endpoint file goes through
 * mx_yaml_load_string, and mx_yaml_to_json turns trees into JSON (aliases,
 * merge keys, the PyYAML 1.1 scalar resolver).
 *
 * The input is copied into an exact-size heap buffer without a NUL so ASan
 * sees any read past `len`. A failed load must leave *out NULL and an error
 * message; a successful one is converted to JSON, serialised and freed.
 * Build and run: fuzz/build.sh.
 */
#include "core/alloc.h"
#include "core/err.h"
#include "core/yaml.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	struct mx_yaml_doc *doc = NULL;
	struct mx_err err = {0};
	int rc = mx_yaml_load_string("fuzz.yml", text, size, &doc, &err);
	if (rc != 0) {
		if (doc != NULL || err.msg[0] == '\0')
			abort();
	} else if (doc != NULL) {
		if (doc->root != NULL) {
			json_t *j = mx_yaml_to_json(doc->root);
			if (j != NULL) {
				char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
				mx_free(s);
				json_decref(j);
			}
		}
		mx_yaml_free(doc);
	}
	free(text);
	return 0;
}
