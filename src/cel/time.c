/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time — timestamps, durations and time zones for CEL.
 *
 * Timestamps are RFC 3339 text <-> (seconds, nanoseconds) in
 * 0001-01-01..9999-12-31; durations are Go-style text ("1h30m", "-1.5s")
 * <-> int64 nanoseconds. Time zones are fixed offsets ("+05:30") or IANA
 * names read from the system tz database (/usr/share/zoneinfo) by a small
 * TZif reader of our own — transitions plus the POSIX TZ rule in the
 * footer for instants after the last transition. No TZ environment
 * variable, no localtime_r: zones are plain data in the caller's arena, so
 * lookups are thread-safe.
 */
#include "cel/cel_int.h"

#include "core/buf.h"
#include "core/time.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

static bool digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	int v = 0;
	if (at + count > n)
		return false;
	for (size_t i = 0; i < count; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return true;
}

/* ==== timestamps ==== */

int mx_cel_timestamp_parse(const char *s, size_t n, int64_t *sec, int32_t *nsec)
{
	int64_t t;
	int32_t frac;
	if (mx_time_parse_iso8601(s, n, 0, &t, &frac) != 0 || t < MX_TIME_SEC_MIN || t > MX_TIME_SEC_MAX)
		return -1;
	*sec = t;
	*nsec = frac;
	return 0;
}

size_t mx_cel_timestamp_format(int64_t sec, int32_t nsec, char *out, size_t outsz)
{
	return mx_time_format_iso8601(out, outsz, sec, nsec, 9, MX_ISO_FRAC_TRIM | MX_ISO_ZONE_Z);
}

/* ==== durations ==== */

int mx_cel_duration_parse(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
	}
	if (i == n)
		return -1;
	if (n - i == 1 && s[i] == '0') {
		*out = 0;
		return 0;
	}
	/* accumulate in unsigned nanoseconds; the magnitude may be 2^63 when negative */
	unsigned __int128 total = 0;
	const unsigned __int128 limit = (unsigned __int128)INT64_MAX + (neg ? 1 : 0);
	while (i < n) {
		unsigned __int128 whole = 0;
		size_t d0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			whole = whole * 10 + (unsigned)(s[i] - '0');
			if (whole > limit)
				return -1;
			i++;
		}
		bool have_whole = i > d0;
		uint64_t frac = 0, scale = 1;
		bool have_frac = false;
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				if (scale < 1000000000000000000ULL) {
					frac = frac * 10 + (unsigned)(s[i] - '0');
					scale *= 10;
				}
				have_frac = true;
				i++;
			}
		}
		if (!have_whole && !have_frac)
			return -1;
		uint64_t unit;
		size_t u0 = i;
		while (i < n && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			i++;
		size_t ul = i - u0;
		const char *u = s + u0;
		if (ul == 2 && memcmp(u, "ns", 2) == 0)
			unit = 1;
		else if ((ul == 2 && memcmp(u, "us", 2) == 0) ||
		         (ul == 3 && memcmp(u, "\xc2\xb5s", 3) == 0) ||
		         (ul == 3 && memcmp(u, "\xce\xbcs", 3) == 0))
			unit = 1000;
		else if (ul == 2 && memcmp(u, "ms", 2) == 0)
			unit = 1000000;
		else if (ul == 1 && u[0] == 's')
			unit = NS_PER_SEC;
		else if (ul == 1 && u[0] == 'm')
			unit = 60 * NS_PER_SEC;
		else if (ul == 1 && u[0] == 'h')
			unit = 3600 * NS_PER_SEC;
		else
			return -1;
		unsigned __int128 v = whole * unit;
		if (v > limit)
			return -1;
		if (have_frac)
			v += (unsigned __int128)frac * unit / scale;
		total += v;
		if (total > limit)
			return -1;
	}
	*out = neg ? (int64_t)(0 - (uint64_t)total) : (int64_t)(uint64_t)total;
	return 0;
}

size_t mx_cel_duration_format(int64_t ns, char *out, size_t outsz)
{
	uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	uint64_t sec = mag / NS_PER_SEC, frac = mag % NS_PER_SEC;
	char f[16] = "";
	if (frac > 0) {
		snprintf(f, sizeof f, ".%09llu", (unsigned long long)frac);
		size_t k = strlen(f);
		while (k > 1 && f[k - 1] == '0')
			f[--k] = 0;
	}
	int n = snprintf(out, outsz, "%s%llu%ss", ns < 0 ? "-" : "", (unsigned long long)sec, f);
	return n < 0 ? 0 : (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* ==== time zones ==== */

struct posix_rule {
	char kind; /* 'M' month/week/day, 'J' Julian 1..365 without Feb 29, 'D' 0..365 */
	int m, w, d; /* M: month, week, weekday; J/D: d is the day */
	int32_t time; /* seconds after local midnight (may be negative or > 24h) */
};

struct posix_tz {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct posix_rule start, end;
};

struct mx_cel_tz {
	bool fixed;
	int32_t offset; /* fixed zones */
	size_t n; /* transitions */
	const int64_t *times;
	const int32_t *offs; /* offset in effect from times[i] */
	int32_t first_off; /* before the first transition */
	bool has_footer;
	struct posix_tz footer;
};

static const struct mx_cel_tz tz_utc = {.fixed = true, .offset = 0};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* [+-]hh[:mm[:ss]] — returns chars consumed or 0. */
static size_t posix_time(const char *s, int32_t *out, bool allow_sign)
{
	size_t i = 0;
	int sign = 1;
	if (allow_sign && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		i++;
	}
	int parts[3] = {0, 0, 0};
	for (int k = 0; k < 3; k++) {
		if (k > 0) {
			if (s[i] != ':')
				break;
			i++;
		}
		if (s[i] < '0' || s[i] > '9')
			return 0;
		int v = 0;
		int nd = 0;
		while (s[i] >= '0' && s[i] <= '9' && nd < 3) {
			v = v * 10 + (s[i] - '0');
			i++;
			nd++;
		}
		parts[k] = v;
	}
	*out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
	return i;
}

static size_t posix_name(const char *s)
{
	size_t i = 0;
	if (s[0] == '<') {
		while (s[i] && s[i] != '>')
			i++;
		return s[i] == '>' ? i + 1 : 0;
	}
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
		i++;
	return i >= 3 ? i : 0;
}

static size_t posix_rule(const char *s, struct posix_rule *r)
{
	size_t i = 0;
	int a = 0, b = 0, c = 0;
	if (s[0] == 'M') {
		i = 1;
		if (sscanf(s + 1, "%d.%d.%d", &a, &b, &c) != 3 || a < 1 || a > 12 || b < 1 || b > 5 ||
		    c < 0 || c > 6)
			return 0;
		r->kind = 'M';
		r->m = a;
		r->w = b;
		r->d = c;
		while (s[i] && s[i] != '/' && s[i] != ',')
			i++;
	} else {
		r->kind = 'D';
		if (s[0] == 'J') {
			r->kind = 'J';
			i = 1;
		}
		if (s[i] < '0' || s[i] > '9')
			return 0;
		while (s[i] >= '0' && s[i] <= '9') {
			a = a * 10 + (s[i] - '0');
			if (a > 366)
				return 0;
			i++;
		}
		r->d = a;
	}
	r->time = 7200;
	if (s[i] == '/') {
		size_t k = posix_time(s + i + 1, &r->time, true);
		if (k == 0)
			return 0;
		i += 1 + k;
	}
	return i;
}

static bool posix_parse(const char *s, struct posix_tz *tz)
{
	size_t i = posix_name(s);
	if (i == 0)
		return false;
	int32_t off;
	size_t k = posix_time(s + i, &off, true);
	if (k == 0)
		return false;
	i += k;
	tz->std_off = -off;
	tz->has_dst = false;
	if (s[i] == 0)
		return true;
	k = posix_name(s + i);
	if (k == 0)
		return false;
	i += k;
	tz->dst_off = tz->std_off + 3600;
	if (s[i] != ',' && s[i] != 0) {
		k = posix_time(s + i, &off, true);
		if (k == 0)
			return false;
		i += k;
		tz->dst_off = -off;
	}
	if (s[i] != ',')
		return false; /* a DST zone without rules: not worth guessing */
	k = posix_rule(s + i + 1, &tz->start);
	if (k == 0)
		return false;
	i += 1 + k;
	if (s[i] != ',')
		return false;
	k = posix_rule(s + i + 1, &tz->end);
	if (k == 0)
		return false;
	i += 1 + k;
	tz->has_dst = true;
	return s[i] == 0;
}

/* Local seconds since the epoch at which the rule fires in year y. */
static int64_t rule_local(const struct posix_rule *r, int64_t y)
{
	int64_t days;
	if (r->kind == 'M') {
		int64_t first = mx_days_from_civil(y, r->m, 1);
		int wd1 = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
		int day = 1 + (r->d - wd1 + 7) % 7 + (r->w - 1) * 7;
		while (day > mx_days_in_month(y, r->m))
			day -= 7;
		days = first + day - 1;
	} else if (r->kind == 'J') {
		int doy = r->d - 1;
		if (mx_is_leap_year(y) && r->d >= 60)
			doy++;
		days = mx_days_from_civil(y, 1, 1) + doy;
	} else {
		days = mx_days_from_civil(y, 1, 1) + r->d;
	}
	return days * 86400 + r->time;
}

static int32_t posix_offset(const struct posix_tz *tz, int64_t t)
{
	if (!tz->has_dst)
		return tz->std_off;
	int64_t local = t + tz->std_off;
	int64_t days = local / 86400 - (local % 86400 < 0);
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	int64_t start = rule_local(&tz->start, y) - tz->std_off;
	int64_t end = rule_local(&tz->end, y) - tz->dst_off;
	bool dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
	return dst ? tz->dst_off : tz->std_off;
}

static bool zone_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 200 || s[0] == '/' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '+' || c == '/'))
			return false;
		if (c == '/' && i + 1 < n && s[i + 1] == '.')
			return false;
	}
	return true;
}

static int tzif_parse(struct mx_cel_arena *a, const unsigned char *p, size_t n, struct mx_cel_tz *tz)
{
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	int version = p[4];
	size_t tsize = 4;
	const unsigned char *h = p;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
		         timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
		if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || charcnt > 100000 || leap > 100000 ||
		    isut > 256 || isstd > 256)
			return -1;
		size_t body = (size_t)timecnt * tsize + timecnt + (size_t)typecnt * 6 + charcnt +
		              (size_t)leap * (tsize + 4) + isstd + isut;
		if ((size_t)(h - p) + 44 + body > n)
			return -1;
		if (pass == 0 && version >= '2') {
			h = h + 44 + body;
			if ((size_t)(h - p) + 44 > n || memcmp(h, "TZif", 4) != 0)
				return -1;
			tsize = 8;
			continue;
		}
		const unsigned char *d = h + 44;
		const unsigned char *idx = d + (size_t)timecnt * tsize;
		const unsigned char *types = idx + timecnt;
		int64_t *times = mx_cel_arena_alloc(a, (timecnt ? timecnt : 1) * sizeof *times);
		int32_t *offs = mx_cel_arena_alloc(a, (timecnt ? timecnt : 1) * sizeof *offs);
		if (times == NULL || offs == NULL)
			return -1;
		for (uint32_t i = 0; i < timecnt; i++) {
			times[i] = tsize == 8 ? be64(d + i * 8) : (int64_t)(int32_t)be32(d + i * 4);
			uint8_t ti = idx[i];
			if (ti >= typecnt)
				return -1;
			offs[i] = (int32_t)be32(types + ti * 6);
		}
		tz->n = timecnt;
		tz->times = times;
		tz->offs = offs;
		tz->first_off = (int32_t)be32(types);
		if (tsize == 8) {
			const unsigned char *f = h + 44 + body;
			if (f < p + n && *f == '\n') {
				const unsigned char *e = memchr(f + 1, '\n', (size_t)(p + n - f - 1));
				if (e != NULL && e - f - 1 < 128 && e - f > 1) {
					char rule[128];
					memcpy(rule, f + 1, (size_t)(e - f - 1));
					rule[e - f - 1] = 0;
					tz->has_footer = posix_parse(rule, &tz->footer);
				}
			}
		}
		return 0;
	}
	return -1;
}

int mx_cel_tz_load(struct mx_cel_arena *a, const char *s, size_t n, const struct mx_cel_tz **out)
{
	if ((n == 3 && memcmp(s, "UTC", 3) == 0) || (n == 1 && s[0] == 'Z')) {
		*out = &tz_utc;
		return 0;
	}
	/* fixed offsets: [+-]HH:MM */
	size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	int hh, mm;
	if (n == i + 5 && digits(s, n, i, 2, &hh) && s[i + 2] == ':' && digits(s, n, i + 3, 2, &mm)) {
		if (hh > 23 || mm > 59)
			return -1;
		struct mx_cel_tz *tz = mx_cel_arena_alloc(a, sizeof *tz);
		if (tz == NULL)
			return -1;
		memset(tz, 0, sizeof *tz);
		tz->fixed = true;
		tz->offset = (hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
		*out = tz;
		return 0;
	}
	if (!zone_name_ok(s, n))
		return -1;
	char path[300];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%.*s", (int)n, s);
	struct mx_buf b;
	mx_buf_init(&b, 1 << 20);
	if (mx_buf_read_file(&b, path) != 0) {
		mx_buf_free(&b);
		return -1;
	}
	struct mx_cel_tz *tz = mx_cel_arena_alloc(a, sizeof *tz);
	int rc = -1;
	if (tz != NULL) {
		memset(tz, 0, sizeof *tz);
		rc = tzif_parse(a, (const unsigned char *)b.p, b.len, tz);
	}
	mx_buf_free(&b);
	if (rc != 0)
		return -1;
	*out = tz;
	return 0;
}

int64_t mx_cel_tz_offset(const struct mx_cel_tz *tz, int64_t t)
{
	if (tz == NULL)
		return 0;
	if (tz->fixed)
		return tz->offset;
	if (tz->n == 0)
		return tz->has_footer ? posix_offset(&tz->footer, t) : tz->first_off;
	if (t < tz->times[0])
		return tz->first_off;
	if (t >= tz->times[tz->n - 1] && tz->has_footer)
		return posix_offset(&tz->footer, t);
	size_t lo = 0, hi = tz->n; /* times[lo] <= t < times[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[lo];
}
