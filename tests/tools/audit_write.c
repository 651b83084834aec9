/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_write — test helper for tests/cli/test_log.sh: reads one JSON
 * object per line on stdin ({"type","name","input","status","error",
 * "policy_decision","reason","user_id","duration_ms","caller"}) and logs
 * each through the real writer (mx_audit_log) to the file named by argv[1].
 */
#include "audit/writer.h"
#include "core/alloc.h"
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: audit_write FILE < records.jsonl\n");
		return 2;
	}
	mx_alloc_init_jansson();
	struct mx_audit_options o = {.path = argv[1], .fsync = MX_AUDIT_FSYNC_NEVER};
	struct mx_audit *a = NULL;
	struct mx_err err;
	if (mx_audit_open(&o, &a, &err) != 0) {
		fprintf(stderr, "audit_write: %s\n", err.msg);
		return 1;
	}
	char line[65536];
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, stdin) != NULL) {
		json_t *j = json_loads(line, 0, NULL);
		if (j == NULL)
			continue;
		struct mx_audit_record r = {.caller = str(j, "caller"),
		                            .type = str(j, "type"),
		                            .name = str(j, "name"),
		                            .input = json_object_get(j, "input"),
		                            .duration_ms =
		                                    json_number_value(json_object_get(j, "duration_ms")),
		                            .policy_decision = str(j, "policy_decision"),
		                            .reason = str(j, "reason"),
		                            .status = str(j, "status"),
		                            .error = str(j, "error"),
		                            .user_id = str(j, "user_id"),
		                            .session_id = str(j, "session_id"),
		                            .request_id = str(j, "request_id")};
		rc = mx_audit_log(a, &r);
		json_decref(j);
	}
	mx_audit_close(a);
	return rc ? 1 : 0;
}
