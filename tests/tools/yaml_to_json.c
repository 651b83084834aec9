/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml_to_json — test helper for tests/cli/test_dbt.sh: prints the YAML file
 * argv[1] as one line of JSON, read by mxcp's own YAML reader (libyaml with
 * PyYAML's typing), so shell tests can check YAML that mxcp wrote with jq.
 */
#include "core/alloc.h"
#include "core/yaml.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: yaml_to_json FILE\n");
		return 2;
	}
	mx_alloc_init_jansson();
	struct mx_yaml_doc *doc = NULL;
	struct mx_err err;
	if (mx_yaml_load_file(argv[1], &doc, &err) != 0) {
		fprintf(stderr, "yaml_to_json: %s\n", err.msg);
		return 1;
	}
	json_t *v = doc->root ? mx_yaml_to_json(doc->root) : json_null();
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	int rc = text ? (puts(text) < 0) : 1;
	json_decref(v);
	mx_free(text);
	mx_yaml_free(doc);
	return rc;
}
