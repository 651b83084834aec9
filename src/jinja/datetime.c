/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datetime — Python's datetime.date, datetime.time and datetime.datetime
 * as template values: what MXCP hands a prompt for a parameter declared
 * `format: date`, `time` or `date-time` (prompt_executor.c makes them
 * with mx_jinja_datetime from the converted ISO text).
 *
 * A date/time value is a JSON object of one hidden key, DT_KEY, whose
 * string is a kind letter and the ISO text ("D2024-01-15T10:30:00+00:00");
 * mx_jinja_kind() knows such an object as SK_DATETIME without any
 * registration, so a value built before the render (the context) works,
 * nested in lists and dicts as well. Supported: str() and repr() as
 * Python prints them, the attributes year, month, day, hour, minute,
 * second, microsecond, tzinfo, the methods isoformat(), strftime(),
 * weekday(), isoweekday(), date(), time(), timestamp() (aware values), and
 * comparison (aware values by instant).
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DT_KEY \
	"\xff" \
	"datetime"
#define DT_KEYLEN 9

struct dt {
	char kind; /* 'd' date, 't' time, 'D' datetime */
	int year, month, day, hour, minute, second, micro;
	int has_tz;
	int tz_sec; /* offset east of UTC */
};

static int digits(const char *s, size_t n, size_t *i, int count, int *out)
{
	int v = 0;
	for (int k = 0; k < count; k++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return 0;
}

static int parse_time(const char *s, size_t n, size_t *i, struct dt *d)
{
	if (digits(s, n, i, 2, &d->hour) || *i >= n || s[(*i)++] != ':' || digits(s, n, i, 2, &d->minute))
		return -1;
	if (*i < n && s[*i] == ':') {
		(*i)++;
		if (digits(s, n, i, 2, &d->second))
			return -1;
		if (*i < n && (s[*i] == '.' || s[*i] == ',')) {
			(*i)++;
			int k = 0, v = 0;
			while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
				if (k < 6)
					v = v * 10 + (s[*i] - '0'), k++;
				(*i)++;
			}
			if (k == 0)
				return -1;
			while (k++ < 6)
				v *= 10;
			d->micro = v;
		}
	}
	if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		d->has_tz = 1;
	} else if (*i < n && (s[*i] == '+' || s[*i] == '-')) {
		int sign = s[(*i)++] == '-' ? -1 : 1, hh, mm = 0, ss = 0;
		if (digits(s, n, i, 2, &hh))
			return -1;
		if (*i < n && s[*i] == ':')
			(*i)++;
		if (*i < n && digits(s, n, i, 2, &mm))
			return -1;
		if (*i < n && s[*i] == ':' && ((*i)++, digits(s, n, i, 2, &ss)))
			return -1;
		d->has_tz = 1;
		d->tz_sec = sign * (hh * 3600 + mm * 60 + ss);
		if (hh > 23 || mm > 59 || ss > 59)
			return -1;
	}
	return d->hour > 23 || d->minute > 59 || d->second > 59 ? -1 : 0;
}

static int parse(char kind, const char *s, size_t n, struct dt *d)
{
	size_t i = 0;
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->year = 1900, d->month = 1, d->day = 1;
	if (kind != 't') {
		if (digits(s, n, &i, 4, &d->year) || i >= n || s[i++] != '-' ||
		    digits(s, n, &i, 2, &d->month) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, &d->day))
			return -1;
		if (d->year < 1 || d->month < 1 || d->month > 12 || d->day < 1 ||
		    d->day > mx_days_in_month(d->year, d->month))
			return -1;
		if (kind == 'd')
			return i == n ? 0 : -1;
		if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' '))
			i++;
		else if (i == n)
			return 0; /* a date-time given as a date: midnight */
		else
			return -1;
	}
	return parse_time(s, n, &i, d) || i != n ? -1 : 0;
}

json_t *mx_jinja_datetime(enum mx_jinja_dt kind, const char *iso)
{
	char k = kind == MX_JINJA_DATE ? 'd' : kind == MX_JINJA_TIME ? 't' : 'D';
	struct dt d;
	size_t n = strlen(iso);
	if (n > 64 || parse(k, iso, n, &d))
		return NULL;
	char buf[80];
	snprintf(buf, sizeof buf, "%c%s", k, iso);
	json_t *o = json_object();
	if (o && json_object_setn_new_nocheck(o, DT_KEY, DT_KEYLEN, json_string(buf))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int mx_jinja_is_datetime(const json_t *j)
{
	return json_object_size(j) == 1 && json_object_getn(j, DT_KEY, DT_KEYLEN) != NULL;
}

static int get(const json_t *j, struct dt *d)
{
	const json_t *s = json_object_getn(j, DT_KEY, DT_KEYLEN);
	if (s == NULL || json_string_length(s) < 1)
		return -1;
	const char *t = json_string_value(s);
	return parse(t[0], t + 1, json_string_length(s) - 1, d);
}

const char *mx_jinja_dt_type(const json_t *j)
{
	struct dt d;
	if (get(j, &d))
		return "datetime.datetime";
	return d.kind == 'd' ? "datetime.date" : d.kind == 't' ? "datetime.time" : "datetime.datetime";
}

/* ---- printing ---- */

static int put_offset(struct mx_buf *b, int sec, int colon)
{
	int sign = sec < 0 ? '-' : '+';
	sec = sec < 0 ? -sec : sec;
	int rc = mx_buf_printf(b, "%c%02d%s%02d", sign, sec / 3600, colon ? ":" : "", sec / 60 % 60);
	if (rc == 0 && sec % 60)
		rc = mx_buf_printf(b, "%s%02d", colon ? ":" : "", sec % 60);
	return rc;
}

static int put_time(struct mx_buf *b, const struct dt *d)
{
	int rc = mx_buf_printf(b, "%02d:%02d:%02d", d->hour, d->minute, d->second);
	if (rc == 0 && d->micro)
		rc = mx_buf_printf(b, ".%06d", d->micro);
	if (rc == 0 && d->has_tz)
		rc = put_offset(b, d->tz_sec, 1);
	return rc;
}

/* str() (sep ' ') or isoformat() (sep 'T'). */
static int put_iso(struct mx_buf *b, const struct dt *d, char sep)
{
	int rc = 0;
	if (d->kind != 't')
		rc = mx_buf_printf(b, "%04d-%02d-%02d", d->year, d->month, d->day);
	if (rc == 0 && d->kind == 'D')
		rc = mx_buf_putc(b, sep);
	if (rc == 0 && d->kind != 'd')
		rc = put_time(b, d);
	return rc;
}

static int put_tzinfo_repr(struct mx_buf *b, const struct dt *d)
{
	if (d->tz_sec == 0)
		return mx_buf_puts(b, "datetime.timezone.utc");
	int days = d->tz_sec < 0 ? -1 : 0, secs = d->tz_sec - days * 86400;
	if (days)
		return mx_buf_printf(b, "datetime.timezone(datetime.timedelta(days=-1, seconds=%d))", secs);
	return mx_buf_printf(b, "datetime.timezone(datetime.timedelta(seconds=%d))", secs);
}

int mx_jinja_dt_print(struct mx_buf *b, const json_t *j, int repr)
{
	struct dt d;
	if (get(j, &d))
		return mx_buf_puts(b, "?");
	if (!repr)
		return put_iso(b, &d, ' ');
	int rc;
	if (d.kind == 'd')
		return mx_buf_printf(b, "datetime.date(%d, %d, %d)", d.year, d.month, d.day);
	if (d.kind == 'D')
		rc = mx_buf_printf(b, "datetime.datetime(%d, %d, %d, %d, %d", d.year, d.month, d.day, d.hour,
		                   d.minute);
	else
		rc = mx_buf_printf(b, "datetime.time(%d, %d", d.hour, d.minute);
	if (rc == 0 && (d.second || d.micro))
		rc = mx_buf_printf(b, ", %d", d.second);
	if (rc == 0 && d.micro)
		rc = mx_buf_printf(b, ", %d", d.micro);
	if (rc == 0 && d.has_tz && (rc = mx_buf_puts(b, ", tzinfo=")) == 0)
		rc = put_tzinfo_repr(b, &d);
	return rc ? rc : mx_buf_putc(b, ')');
}

/* str(tzinfo): "UTC", "UTC+01:00" */
static int put_tzname(struct mx_buf *b, const struct dt *d)
{
	int rc = mx_buf_puts(b, "UTC");
	if (rc == 0 && d->tz_sec)
		rc = put_offset(b, d->tz_sec, 1);
	return rc;
}

/* ---- attributes and methods ---- */

int mx_jinja_dt_attr(const json_t *j, const char *name, struct val *out)
{
	struct dt d;
	if (get(j, &d))
		return 1;
	static const char *const names[] = {"year",   "month",  "day",        "hour",
	                                    "minute", "second", "microsecond"};
	int vals[] = {d.year, d.month, d.day, d.hour, d.minute, d.second, d.micro};
	for (int i = 0; i < 7; i++) {
		if (strcmp(name, names[i]) == 0) {
			if ((d.kind == 'd' && i >= 3) || (d.kind == 't' && i < 3))
				return 1;
			return vset(out, json_integer(vals[i]));
		}
	}
	if (strcmp(name, "tzinfo") == 0 && d.kind != 'd') {
		if (!d.has_tz)
			return vset(out, json_null());
		struct mx_buf b;
		mx_buf_init(&b, 64);
		int rc = put_tzname(&b, &d);
		rc = rc ? rc : vset(out, json_stringn(b.p, b.len));
		mx_buf_free(&b);
		return rc;
	}
	return 1;
}

int mx_jinja_dt_has_method(const json_t *j, const char *name)
{
	static const char *const names[] = {"isoformat", "strftime",  "weekday", "isoweekday",  "date",
	                                    "time",      "timestamp", "replace", "isocalendar", NULL};
	(void)j;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static int64_t day_number(const struct dt *d)
{
	return mx_days_from_civil(d->year, d->month, d->day);
}

/* Python's strftime: %f, %z, %:z and %Z by Python, the rest by the C library (C locale). */
static int dt_strftime(struct render *r, const struct expr *e, const struct dt *d, const char *fmt, size_t n,
                       struct val *out)
{
	struct mx_buf pre, b;
	int rc = 0;
	mx_buf_init(&pre, r->max_str);
	rc = mx_buf_append(&pre, "", 0);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (fmt[i] != '%' || i + 1 >= n) {
			rc = mx_buf_putc(&pre, fmt[i]);
			continue;
		}
		char c = fmt[++i];
		if (c == 'f')
			rc = mx_buf_printf(&pre, "%06d", d->micro);
		else if (c == 'z')
			rc = d->has_tz ? put_offset(&pre, d->tz_sec, 0) : 0;
		else if (c == ':' && i + 1 < n && fmt[i + 1] == 'z')
			i++, rc = d->has_tz ? put_offset(&pre, d->tz_sec, 1) : 0;
		else if (c == 'Z')
			rc = d->has_tz ? put_tzname(&pre, d) : 0;
		else if (c == '%')
			rc = mx_buf_puts(&pre, "%%");
		else
			rc = mx_buf_printf(&pre, "%%%c", c);
	}
	if (rc == 0 && memchr(pre.p, '\0', pre.len))
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "embedded null character");
	if (rc) {
		mx_buf_free(&pre);
		return rc;
	}
	struct tm tm = {0};
	int64_t days = day_number(d);
	tm.tm_year = d->year - 1900, tm.tm_mon = d->month - 1, tm.tm_mday = d->day;
	tm.tm_hour = d->hour, tm.tm_min = d->minute, tm.tm_sec = d->second;
	tm.tm_wday = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
	tm.tm_yday = (int)(days - mx_days_from_civil(d->year, 1, 1));
	tm.tm_isdst = -1;
	size_t cap = pre.len * 40 + 64;
	if (cap > r->max_str)
		cap = r->max_str;
	mx_jinja_sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	char *tmp = mx_malloc(cap + 1);
	if (tmp == NULL)
		rc = MX_ENOMEM;
	if (rc == 0 && pre.len) {
		size_t len = strftime(tmp, cap, pre.p, &tm);
		if (len == 0)
			rc = mx_jinja_rerr(r, e, MX_ELIMIT, "strftime() result too long");
		else
			rc = mx_buf_append(&b, tmp, len);
	}
	mx_free(tmp);
	mx_buf_free(&pre);
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}

int mx_jinja_dt_method(struct render *r, const struct expr *e, const json_t *j, const char *name,
                       struct val *args, size_t n, struct val *out)
{
	struct dt d;
	int rc;
	if (get(j, &d) || !mx_jinja_dt_has_method(j, name))
		return 1;
	if (strcmp(name, "strftime") == 0) {
		if ((rc = mx_jinja_need_args(r, e, name, n, 1, 1)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j))
			return mx_jinja_rerr(r, e, MX_EINVAL, "strftime() argument 1 must be str, not %s",
			                     mx_jinja_vtype(&args[0]));
		return dt_strftime(r, e, &d, json_string_value(args[0].j), json_string_length(args[0].j),
		                   out);
	}
	if (strcmp(name, "isoformat") == 0) {
		char sep = 'T';
		if ((rc = mx_jinja_need_args(r, e, name, n, 0, 1)))
			return rc;
		if (n && args[0].j && json_is_string(args[0].j) && json_string_length(args[0].j) == 1)
			sep = json_string_value(args[0].j)[0];
		struct mx_buf b;
		mx_jinja_sb_init(r, &b);
		return mx_jinja_sb_finish(r, e, &b, put_iso(&b, &d, sep), out);
	}
	if ((rc = mx_jinja_need_args(r, e, name, n, 0, 0)))
		return rc;
	if (d.kind == 't' && strcmp(name, "isoformat") != 0)
		return mx_jinja_rerr(r, e, MX_EINVAL, "'datetime.time object' has no attribute '%s'", name);
	int64_t days = day_number(&d);
	if (strcmp(name, "weekday") == 0 || strcmp(name, "isoweekday") == 0) {
		json_int_t wd = (json_int_t)(((days % 7) + 7 + 3) % 7); /* Monday is 0 */
		return vset(out, json_integer(name[0] == 'i' ? wd + 1 : wd));
	}
	char buf[80];
	if (strcmp(name, "date") == 0 && d.kind == 'D') {
		snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
		return vset(out, mx_jinja_datetime(MX_JINJA_DATE, buf));
	}
	if (strcmp(name, "time") == 0 && d.kind == 'D') {
		snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06d", d.hour, d.minute, d.second, d.micro);
		return vset(out, mx_jinja_datetime(MX_JINJA_TIME, buf));
	}
	if (strcmp(name, "timestamp") == 0 && d.kind == 'D') {
		if (!d.has_tz)
			return mx_jinja_rerr(r, e, MX_EINVAL,
			                     "timestamp() of a naive datetime depends on the "
			                     "server's time zone; not supported");
		double s = (double)(days * 86400 + d.hour * 3600 + d.minute * 60 + d.second - d.tz_sec) +
		           d.micro / 1e6;
		return vset(out, json_real(s));
	}
	return mx_jinja_rerr(r, e, MX_EINVAL, "'%s' object method '%s' is not supported", mx_jinja_dt_type(j),
	                     name);
}

/* a < b as -1/0/1; -2 when Python would raise TypeError. */
int mx_jinja_dt_cmp(const json_t *a, const json_t *b)
{
	struct dt x, y;
	if (get(a, &x) || get(b, &y) || x.kind != y.kind || x.has_tz != y.has_tz)
		return -2;
	int64_t dx = day_number(&x), dy = day_number(&y);
	int64_t ux = ((dx * 86400 + x.hour * 3600 + x.minute * 60 + x.second - x.tz_sec) * 1000000) + x.micro;
	int64_t uy = ((dy * 86400 + y.hour * 3600 + y.minute * 60 + y.second - y.tz_sec) * 1000000) + y.micro;
	return ux < uy ? -1 : ux > uy;
}
