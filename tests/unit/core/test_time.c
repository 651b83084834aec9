/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/core/time.c: the calendar, UTC fields, ISO 8601 text both ways. */
#include "harness.h"

#include "core/time.h"

#include <string.h>

static void test_calendar(void **state)
{
	(void)state;
	assert_true(mx_is_leap_year(2000));
	assert_false(mx_is_leap_year(1900));
	assert_int_equal(29, mx_days_in_month(2024, 2));
	assert_int_equal(0, mx_days_from_civil(1970, 1, 1));
	int64_t y;
	int m, d;
	mx_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(1969, y);
	assert_int_equal(12, m);
	assert_int_equal(31, d);
	struct mx_utc u;
	mx_utc_from_unix(-1, &u);
	assert_int_equal(1969, u.year);
	assert_int_equal(23, u.hour);
	assert_int_equal(59, u.second);
	mx_utc_from_unix(MX_TIME_SEC_MAX, &u);
	assert_int_equal(9999, u.year);
	mx_utc_from_unix(MX_TIME_SEC_MIN, &u);
	assert_int_equal(1, u.year);
}

static void expect_format(const char *want, int64_t sec, int32_t nsec, int digits, unsigned flags)
{
	char out[64];
	assert_int_equal(strlen(want), mx_time_format_iso8601(out, sizeof out, sec, nsec, digits, flags));
	assert_string_equal(want, out);
}

static void test_format(void **state)
{
	(void)state;
	const int64_t t = 1705320000; /* 2024-01-15T12:00:00Z */
	expect_format("2024-01-15T12:00:00", t, 0, 0, 0);
	expect_format("2024-01-15T12:00:00.123Z", t, 123456789, 3, MX_ISO_ZONE_Z);
	expect_format("2024-01-15T12:00:00.000Z", t, 0, 3, MX_ISO_ZONE_Z);
	expect_format("2024-01-15T12:00:00.123456+00:00", t, 123456789, 6, MX_ISO_ZONE_OFFSET);
	expect_format("2024-01-15T12:00:00Z", t, 0, 6, MX_ISO_FRAC_OMIT_ZERO | MX_ISO_ZONE_Z);
	expect_format("2024-01-15T12:00:00.100000Z", t, 100000000, 6, MX_ISO_FRAC_OMIT_ZERO | MX_ISO_ZONE_Z);
	expect_format("2024-01-15T12:00:00.1Z", t, 100000000, 9, MX_ISO_FRAC_TRIM | MX_ISO_ZONE_Z);
	expect_format("2024-01-15T12:00:00Z", t, 0, 9, MX_ISO_FRAC_TRIM | MX_ISO_ZONE_Z);
	expect_format("1969-12-31T23:59:59.500", -1, 500000000, 3, 0);
	char small[8];
	assert_int_equal(7, mx_time_format_iso8601(small, sizeof small, t, 0, 0, 0));
	assert_string_equal("2024-01", small);
}

static int parse(const char *s, unsigned flags, int64_t *sec, int32_t *nsec)
{
	return mx_time_parse_iso8601(s, strlen(s), flags, sec, nsec);
}

static void test_parse(void **state)
{
	(void)state;
	int64_t sec;
	int32_t nsec;
	assert_int_equal(0, parse("2024-01-15T12:00:00Z", 0, &sec, &nsec));
	assert_int_equal(1705320000, sec);
	assert_int_equal(0, nsec);
	assert_int_equal(0, parse("2024-01-15t14:00:00.123456789123+02:00", 0, &sec, &nsec));
	assert_int_equal(1705320000, sec);
	assert_int_equal(123456789, nsec);
	assert_int_equal(0, parse("2024-01-15T11:30:00.5-00:30", 0, &sec, &nsec));
	assert_int_equal(1705320000, sec);
	assert_int_equal(500000000, nsec);
	/* what the flags allow */
	assert_int_equal(-1, parse("2024-01-15 12:00:00Z", 0, &sec, &nsec));
	assert_int_equal(0, parse("2024-01-15 12:00:00Z", MX_ISO_SPACE, &sec, &nsec));
	assert_int_equal(-1, parse("2024-01-15T12:00:00", 0, &sec, &nsec));
	assert_int_equal(0, parse("2024-01-15T12:00:00", MX_ISO_ZONE_OPTIONAL, &sec, &nsec));
	assert_int_equal(1705320000, sec);
	assert_int_equal(-1, parse("2024-01-15T12:00:60Z", 0, &sec, &nsec));
	assert_int_equal(0, parse("2024-01-15T11:59:60Z", MX_ISO_LEAP_SECOND, &sec, &nsec));
	assert_int_equal(1705320000, sec);
	/* malformed */
	const char *bad[] = {"2024-02-30T00:00:00Z",      "2024-13-01T00:00:00Z",
	                     "0000-01-01T00:00:00Z",      "2024-01-15T24:00:00Z",
	                     "2024-01-15T12:00:00.Z",     "2024-01-15T12:00:00+2:00",
	                     "2024-01-15T12:00:00+24:00", "2024-01-15T12:00:00Zx",
	                     "2024-1-15T12:00:00Z",       "2024-01-15"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(-1, parse(bad[i], MX_ISO_ZONE_OPTIONAL, &sec, &nsec));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_calendar),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
