/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/base64.c: RFC 4648 test vectors both ways, bounds, bad text. */
#include "harness.h"

#include "core/alloc.h"
#include "core/base64.h"

#include <string.h>

static const char *const VECTORS[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
};

static void test_encode(void **state)
{
	(void)state;
	char out[32];
	for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
		size_t n = strlen(VECTORS[i][0]);
		assert_int_equal(strlen(VECTORS[i][1]), mx_base64_encoded_len(n));
		assert_int_equal(strlen(VECTORS[i][1]), mx_base64_encode(VECTORS[i][0], n, out));
		assert_string_equal(VECTORS[i][1], out);
	}
	json_t *j = mx_base64_json("\x00\xff\xfe", 3);
	assert_string_equal("AP/+", json_string_value(j));
	json_decref(j);
}

static void test_decode(void **state)
{
	(void)state;
	char out[32];
	size_t n;
	for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
		assert_int_equal(0,
		                 mx_base64_decode(VECTORS[i][1], strlen(VECTORS[i][1]), out, sizeof out, &n));
		assert_int_equal(strlen(VECTORS[i][0]), n);
		assert_memory_equal(VECTORS[i][0], out, n);
	}
	assert_int_equal(0, mx_base64_decode("Zm9v", 4, out, 3, &n)); /* exactly room */
	assert_int_equal(-1, mx_base64_decode("Zm9v", 4, out, 2, &n)); /* no room */
	assert_int_equal(-1, mx_base64_decode("Zm9v!", 5, out, sizeof out, &n));
	assert_int_equal(0, mx_base64_decode("Zm8", 3, out, sizeof out, &n)); /* unpadded */
	assert_int_equal(2, n);
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encode),
	        cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
