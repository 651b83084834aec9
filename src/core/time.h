/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time — calendar arithmetic shared by the type system (date formats), the
 * DuckDB layer (DATE/TIMESTAMP binding and printing) and, later, audit
 * timestamps. Proleptic Gregorian calendar, days counted from 1970-01-01
 * (Howard Hinnant's algorithms). Pure functions.
 */
#ifndef MX_CORE_TIME_H
#define MX_CORE_TIME_H

#include <stdint.h>

int mx_is_leap_year(int64_t y);
/* Days in month m (1..12) of year y. */
int mx_days_in_month(int64_t y, int m);
/* Days since 1970-01-01 of a civil date. */
int64_t mx_days_from_civil(int64_t y, int m, int d);
/* The civil date of a day count. */
void mx_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* The monotonic clock (CLOCK_MONOTONIC): nanoseconds, and seconds. */
uint64_t mx_mono_ns(void);
double mx_mono_s(void);

#endif
