/* SPDX-License-Identifier: Apache-2.0 */
/*
 * formats — the string formats, checked and normalised as MXCP checks
 * them (strptime / fromisoformat, a regular expression for email, a URI
 * scheme, ISO 8601 durations), printed back as Python's isoformat() does.
 */
#include "types/types_int.h"

#include "core/time.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Read between min and max digits at s[*i]; 0 when fewer than min. */
static int read_num(const char *s, size_t len, size_t *i, int min, int max, int *out)
{
	int n = 0, v = 0;
	while (*i < len && n < max && isdigit((unsigned char)s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	*out = v;
	return n >= min;
}

/* Fractional seconds: one or more digits, kept to microseconds. */
static int read_fraction(const char *s, size_t len, size_t *i, int *usec)
{
	int n = 0, v = 0;
	while (*i < len && isdigit((unsigned char)s[*i])) {
		if (n < 6)
			v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	for (int k = n; k < 6; k++)
		v *= 10;
	*usec = v;
	return n > 0;
}

/* strptime(v, "%Y-%m-%d"): four-digit year, one- or two-digit month/day. */
static int parse_date_part(const char *s, size_t len, size_t *i, int *y, int *m, int *d)
{
	if (!read_num(s, len, i, 4, 4, y) || *i >= len || s[(*i)++] != '-')
		return -1;
	if (!read_num(s, len, i, 1, 2, m) || *i >= len || s[(*i)++] != '-')
		return -1;
	if (!read_num(s, len, i, 1, 2, d))
		return -1;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > mx_days_in_month(*y, *m))
		return -1;
	return 0;
}

int mx_format_parse_date(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int y, m, d;
	if (parse_date_part(s, len, &i, &y, &m, &d) || i != len)
		return -1;
	snprintf(iso, isosz, "%04d-%02d-%02d", y, m, d);
	return 0;
}

static void put_time(char *out, size_t outsz, int h, int mi, int sec, int usec)
{
	if (usec)
		snprintf(out, outsz, "%02d:%02d:%02d.%06d", h, mi, sec, usec);
	else
		snprintf(out, outsz, "%02d:%02d:%02d", h, mi, sec);
}

/* strptime(v, "%H:%M:%S"), plus optional fractional seconds. */
int mx_format_parse_time(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int h, mi, sec, usec = 0;
	if (!read_num(s, len, &i, 1, 2, &h) || i >= len || s[i++] != ':')
		return -1;
	if (!read_num(s, len, &i, 1, 2, &mi) || i >= len || s[i++] != ':')
		return -1;
	if (!read_num(s, len, &i, 1, 2, &sec))
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (!read_fraction(s, len, &i, &usec))
			return -1;
	}
	if (i != len || h > 23 || mi > 59 || sec > 59)
		return -1;
	put_time(iso, isosz, h, mi, sec, usec);
	return 0;
}

/* datetime.fromisoformat(v.replace("Z", "+00:00")): YYYY-MM-DD, then
 * optionally [T or space]HH[:MM[:SS[.f…]]] and Z / ±HH[:MM[:SS]] / ±HHMM.
 * Printed back as isoformat() does. */
int mx_format_parse_date_time(const char *s, size_t len, char *iso, size_t isosz)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, usec = 0;
	if (parse_date_part(s, len, &i, &y, &mo, &d))
		return -1;
	/* fromisoformat wants two-digit month and day */
	if (i != 10)
		return -1;
	char tz[64] = "";
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (!read_num(s, len, &i, 2, 2, &h))
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			if (!read_num(s, len, &i, 2, 2, &mi))
				return -1;
			if (i < len && s[i] == ':') {
				i++;
				if (!read_num(s, len, &i, 2, 2, &sec))
					return -1;
				if (i < len && (s[i] == '.' || s[i] == ',')) {
					i++;
					if (!read_fraction(s, len, &i, &usec))
						return -1;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (i < len && s[i] == 'Z' && i + 1 == len) {
			snprintf(tz, sizeof tz, "+00:00");
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			char sign = s[i++];
			int th, tm = 0, ts = 0;
			if (!read_num(s, len, &i, 2, 2, &th))
				return -1;
			if (i < len && s[i] == ':') {
				i++;
				if (!read_num(s, len, &i, 2, 2, &tm))
					return -1;
				if (i < len && s[i] == ':') {
					i++;
					if (!read_num(s, len, &i, 2, 2, &ts))
						return -1;
				}
			} else if (i < len && !read_num(s, len, &i, 2, 2, &tm)) {
				return -1;
			}
			if (th > 23 || tm > 59 || ts > 59)
				return -1;
			if (ts)
				snprintf(tz, sizeof tz, "%c%02d:%02d:%02d", sign, th, tm, ts);
			else
				snprintf(tz, sizeof tz, "%c%02d:%02d", sign, th, tm);
		}
	}
	if (i != len)
		return -1;
	char t[64];
	put_time(t, sizeof t, h, mi, sec, usec);
	snprintf(iso, isosz, "%04d-%02d-%02dT%s%s", y, mo, d, t, tz);
	return 0;
}

/* datetime.fromtimestamp(t), in UTC, as isoformat() text. */
int mx_format_timestamp(double t, char *iso, size_t isosz)
{
	if (!isfinite(t) || fabs(t) > 4e11)
		return -1;
	double whole;
	double frac = modf(t, &whole);
	double us = nearbyint(frac * 1e6);
	int64_t secs = (int64_t)whole;
	if (us >= 1e6) {
		secs++;
		us -= 1e6;
	} else if (us < 0) {
		secs--;
		us += 1e6;
	}
	if (secs < MX_TIME_SEC_MIN || secs > MX_TIME_SEC_MAX)
		return -1;
	mx_time_format_iso8601(iso, isosz, secs, (int32_t)us * 1000, 6, MX_ISO_FRAC_OMIT_ZERO);
	return 0;
}

/* re.match(r"[^@]+@[^@]+\.[^@]+", v): anchored at the start only. */
int mx_format_is_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	if (at == NULL || at == s)
		return 0;
	const char *dom = at + 1;
	size_t rest = len - (size_t)(dom - s);
	const char *at2 = memchr(dom, '@', rest);
	size_t seg = at2 ? (size_t)(at2 - dom) : rest;
	/* a '.' with a non-@ character on both sides within the segment */
	for (size_t i = 1; i + 1 < seg; i++)
		if (dom[i] == '.')
			return 1;
	return 0;
}

/* re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:.*$", v): '.' stops at a newline and
 * '$' also matches before a final newline. */
int mx_format_is_uri(const char *s, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	size_t i = 1;
	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'))
		i++;
	if (i >= len || s[i] != ':')
		return 0;
	const char *nl = memchr(s + i, '\n', len - i);
	return nl == NULL || nl == s + len - 1;
}

/* ^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$ */
int mx_format_is_duration(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n') /* Python's '$' */
		len--;
	size_t i = 0;
	if (i >= len || s[i++] != 'P')
		return 0;
	static const char date_units[] = "YMD", time_units[] = "HMS";
	const char *units = date_units;
	int unit = 0, in_time = 0;
	while (i < len) {
		if (s[i] == 'T' && !in_time) {
			in_time = 1;
			units = time_units;
			unit = 0;
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || i >= len)
			return 0;
		const char *u = strchr(units + unit, s[i]);
		if (u == NULL || s[i] == '\0')
			return 0;
		unit = (int)(u - units) + 1;
		i++;
	}
	return 1;
}
