/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/audit/redact.c: sensitive values hidden at any depth. */
#include "harness.h"

#include "audit/redact.h"
#include "core/alloc.h"

#include <string.h>

static void test_nested(void **state)
{
	(void)state;
	struct mx_type token = {.kind = MX_T_STRING, .sensitive = 1};
	struct mx_type user = {.kind = MX_T_STRING};
	struct mx_type_prop cred_props[] = {{"user", &user}, {"token", &token}};
	struct mx_type creds = {
	        .kind = MX_T_OBJECT, .name = "creds", .properties = cred_props, .nproperties = 2};
	struct mx_type secret = {.kind = MX_T_OBJECT, .sensitive = 1};
	struct mx_type_prop item_props[] = {{"id", &user}, {"secret", &secret}};
	struct mx_type item = {.kind = MX_T_OBJECT, .properties = item_props, .nproperties = 2};
	struct mx_type list = {.kind = MX_T_ARRAY, .name = "items", .items = &item};
	struct mx_type password = {.kind = MX_T_STRING, .name = "password", .sensitive = 1};
	struct mx_type city = {.kind = MX_T_STRING, .name = "city"};
	struct mx_type *params[] = {&creds, &list, &password, &city};

	json_t *in = json_loads("{\"city\":\"Zurich\",\"password\":123,"
	                        "\"creds\":{\"user\":\"alice\",\"token\":\"t0k\",\"extra\":1},"
	                        "\"items\":[{\"id\":\"a\",\"secret\":{\"k\":1}},{\"id\":\"b\"},\"odd\"],"
	                        "\"unknown\":\"kept\"}",
	                        0, NULL);
	json_t *out = mx_audit_redact(params, 4, in);
	MX_ASSERT_JSON_EQ("{\"city\":\"Zurich\",\"password\":\"[REDACTED]\","
	                  "\"creds\":{\"user\":\"alice\",\"token\":\"[REDACTED]\",\"extra\":1},"
	                  "\"items\":[{\"id\":\"a\",\"secret\":\"[REDACTED]\"},{\"id\":\"b\"},\"odd\"],"
	                  "\"unknown\":\"kept\"}",
	                  out);
	/* the input itself is untouched */
	assert_string_equal("t0k", json_string_value(json_object_get(json_object_get(in, "creds"), "token")));
	json_decref(out);
	/* no sensitive parameter: the same object comes back, shared */
	struct mx_type *plain[] = {&city};
	out = mx_audit_redact(plain, 1, in);
	assert_ptr_equal(in, out);
	json_decref(out);
	json_decref(in);
	/* no arguments at all */
	out = mx_audit_redact(params, 4, NULL);
	MX_ASSERT_JSON_EQ("{}", out);
	json_decref(out);
	assert_true(mx_audit_type_has_sensitive(&list));
	assert_false(mx_audit_type_has_sensitive(&city));
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
