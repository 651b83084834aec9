/* SPDX-License-Identifier: Apache-2.0 */
/* time — see time.h. */
#include "core/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int mx_is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int mx_days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && mx_is_leap_year(y) ? 29 : days[m - 1];
}

int64_t mx_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void mx_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void mx_utc_from_unix(int64_t sec, struct mx_utc *out)
{
	int64_t days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	mx_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(rem / 3600);
	out->minute = (int)(rem / 60 % 60);
	out->second = (int)(rem % 60);
}

size_t mx_time_format_iso8601(char *out, size_t outsz, int64_t sec, int32_t nsec, int digits, unsigned flags)
{
	struct mx_utc u;
	mx_utc_from_unix(sec, &u);
	char frac[16] = "";
	if (digits > 0 && digits <= 9) {
		int32_t div = 1;
		for (int i = digits; i < 9; i++)
			div *= 10;
		snprintf(frac, sizeof frac, ".%0*d", digits, (int)(nsec / div));
		size_t k = strlen(frac);
		if (flags & MX_ISO_FRAC_TRIM)
			while (k > 1 && frac[k - 1] == '0')
				frac[--k] = '\0';
		if ((flags & (MX_ISO_FRAC_TRIM | MX_ISO_FRAC_OMIT_ZERO)) && strspn(frac + 1, "0") == k - 1)
			frac[0] = '\0';
	}
	const char *zone = flags & MX_ISO_ZONE_Z ? "Z" : flags & MX_ISO_ZONE_OFFSET ? "+00:00" : "";
	int n = snprintf(out, outsz, "%04lld-%02d-%02dT%02d:%02d:%02d%s%s", (long long)u.year, u.month, u.day,
	                 u.hour, u.minute, u.second, frac, zone);
	if (n < 0)
		return 0;
	return (size_t)n < outsz ? (size_t)n : outsz ? outsz - 1 : 0;
}

/* count digits at s[at..] into *out; false when s is shorter or a byte is not a digit. */
static int digits_at(const char *s, size_t n, size_t at, size_t count, int *out)
{
	int v = 0;
	if (at + count > n)
		return 0;
	for (size_t i = 0; i < count; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 1;
}

int mx_time_parse_iso8601(const char *s, size_t n, unsigned flags, int64_t *sec, int32_t *nsec)
{
	int y, mo, d, h, mi, se;
	if (!digits_at(s, n, 0, 4, &y) || n < 19 || s[4] != '-' || !digits_at(s, n, 5, 2, &mo) ||
	    s[7] != '-' || !digits_at(s, n, 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && !(s[10] == ' ' && (flags & MX_ISO_SPACE))) ||
	    !digits_at(s, n, 11, 2, &h) || s[13] != ':' || !digits_at(s, n, 14, 2, &mi) || s[16] != ':' ||
	    !digits_at(s, n, 17, 2, &se))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mx_days_in_month(y, mo) || h > 23 || mi > 59 ||
	    se > ((flags & MX_ISO_LEAP_SECOND) ? 60 : 59))
		return -1;
	size_t i = 19;
	int32_t frac = 0;
	if (i < n && s[i] == '.') {
		i++;
		size_t k = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (k < 9)
				frac = frac * 10 + (s[i] - '0');
			k++;
			i++;
		}
		if (k == 0)
			return -1;
		for (; k < 9; k++)
			frac *= 10;
	}
	int64_t off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		if (!digits_at(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
		    !digits_at(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else if (!(flags & MX_ISO_ZONE_OPTIONAL)) {
		return -1;
	}
	if (i != n)
		return -1;
	*sec = mx_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	*nsec = frac;
	return 0;
}

uint64_t mx_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double mx_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
