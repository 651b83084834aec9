/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/utf8.c: validity (RFC 3629), counting, stepping, encoding. */
#include "harness.h"

#include "core/utf8.h"

#include <string.h>

static void test_valid(void **state)
{
	(void)state;
	const char *good[] = {"", "abc", "é", "✓", "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(mx_utf8_valid(good[i], strlen(good[i])));
	const char *bad[] = {
	        "\x80", /* lone continuation */
	        "\xc0\xaf", /* overlong '/' */
	        "\xc1\xbf", /* overlong */
	        "\xe0\x80\xaf", /* overlong, 3 bytes */
	        "\xed\xa0\x80", /* surrogate U+D800 */
	        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
	        "\xf4\x90\x80\x80", /* past U+10FFFF */
	        "\xf8\x88\x80\x80", /* 5-byte lead */
	        "\xc3", /* truncated */
	        "a\xe2\x9c", /* truncated at the end */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(mx_utf8_valid(bad[i], strlen(bad[i])));
	assert_true(mx_utf8_valid("a\0b", 3)); /* NUL is a character */
}

static void test_char_len(void **state)
{
	(void)state;
	assert_int_equal(1, mx_utf8_char_len("a", 1));
	assert_int_equal(2, mx_utf8_char_len("é!", 3));
	assert_int_equal(3, mx_utf8_char_len("✓", 3));
	assert_int_equal(4, mx_utf8_char_len("\xf0\x9f\x98\x80", 4));
	assert_int_equal(0, mx_utf8_char_len("\xe2\x9c", 2));
	assert_int_equal(0, mx_utf8_char_len("", 0));
	assert_int_equal(0, mx_utf8_char_len("\xff", 1));
}

static void test_count_next_offset(void **state)
{
	(void)state;
	const char *s = "aé✓\xf0\x9f\x98\x80z";
	size_t n = strlen(s);
	assert_int_equal(5, mx_utf8_count(s, n));
	size_t i = 0;
	uint32_t want[] = {'a', 0xE9, 0x2713, 0x1F600, 'z'};
	for (size_t k = 0; k < 5; k++)
		assert_int_equal(want[k], mx_utf8_next(s, n, &i));
	assert_int_equal(n, i);
	assert_int_equal(0, mx_utf8_offset(s, n, 0));
	assert_int_equal(3, mx_utf8_offset(s, n, 2));
	assert_int_equal(n, mx_utf8_offset(s, n, 9));
}

static void test_put_and_hex(void **state)
{
	(void)state;
	char out[4];
	assert_int_equal(1, mx_utf8_put(out, 'x'));
	assert_int_equal(2, mx_utf8_put(out, 0xE9));
	assert_memory_equal("é", out, 2);
	assert_int_equal(4, mx_utf8_put(out, 0x1F600));
	assert_memory_equal("\xf0\x9f\x98\x80", out, 4);
	assert_int_equal(10, mx_hex_digit('a'));
	assert_int_equal(15, mx_hex_digit('F'));
	assert_int_equal(-1, mx_hex_digit('g'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_char_len),
	        cmocka_unit_test(test_count_next_offset),
	        cmocka_unit_test(test_put_and_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
