/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time — calendar arithmetic and ISO 8601 text, shared by the type system
 * (date formats), the DuckDB layer (DATE/TIMESTAMP binding and printing),
 * CEL timestamps, audit records, logs, drift snapshots and the admin API.
 * Proleptic Gregorian calendar, days counted from 1970-01-01 (Howard
 * Hinnant's algorithms), always UTC. Pure functions.
 */
#ifndef MX_CORE_TIME_H
#define MX_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

int mx_is_leap_year(int64_t y);
/* Days in month m (1..12) of year y. */
int mx_days_in_month(int64_t y, int m);
/* Days since 1970-01-01 of a civil date. */
int64_t mx_days_from_civil(int64_t y, int m, int d);
/* The civil date of a day count. */
void mx_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* The instants of RFC 3339: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define MX_TIME_SEC_MIN (-62135596800LL)
#define MX_TIME_SEC_MAX (253402300799LL)

/* The UTC calendar fields of an instant in seconds since the epoch (any sign). */
struct mx_utc {
	int64_t year;
	int month, day, hour, minute, second;
};
void mx_utc_from_unix(int64_t sec, struct mx_utc *out);

/*
 * ISO 8601 / RFC 3339 text of the instant sec + nsec/1e9 (UTC):
 * "YYYY-MM-DDTHH:MM:SS", then a fraction of `digits` digits (0, 3 for
 * milliseconds, 6 for microseconds, 9 for nanoseconds; truncated), then the
 * zone the flags ask for. Returns the length written (out is always
 * terminated when outsz > 0).
 */
#define MX_ISO_FRAC_OMIT_ZERO 0x1 /* no fraction when it is zero */
#define MX_ISO_FRAC_TRIM 0x2 /* no trailing zeros (and none at all when zero) */
#define MX_ISO_ZONE_Z 0x4 /* "Z" */
#define MX_ISO_ZONE_OFFSET 0x8 /* "+00:00" */
size_t mx_time_format_iso8601(char *out, size_t outsz, int64_t sec, int32_t nsec, int digits, unsigned flags);

/*
 * Parse an RFC 3339 date-time, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"
 * (T and Z in either case, year 0001..9999, fraction digits past nine
 * dropped), into seconds since the epoch and nanoseconds. 0, or -1.
 */
#define MX_ISO_SPACE 0x1 /* a space may separate the date and the time */
#define MX_ISO_ZONE_OPTIONAL 0x2 /* no zone means UTC */
#define MX_ISO_LEAP_SECOND 0x4 /* :60 is accepted (read as the next second) */
int mx_time_parse_iso8601(const char *s, size_t n, unsigned flags, int64_t *sec, int32_t *nsec);

/* The monotonic clock (CLOCK_MONOTONIC): nanoseconds, and seconds. */
uint64_t mx_mono_ns(void);
double mx_mono_s(void);

#endif
