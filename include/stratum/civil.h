/* Civil time: proleptic Gregorian dates and epoch seconds, without timegm()
 * or the process time zone (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms", days_from_civil and civil_from_days). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_CIVIL_H
#define STRATUM_CIVIL_H

#include <stdint.h>

/* A broken-down time of day on a calendar date. Plain data. */
typedef struct st_civil {
    int year, month, day;     /* month 1-12, day 1-31 */
    int hour, minute, second; /* 0-23, 0-59, 0-59 */
} st_civil;

/* Days since 1970-01-01 of year-month-day (month 1-12; not range-checked). */
int64_t st_civil_days(int64_t year, int month, int day);

/* The date and time of day of t seconds since 1970-01-01T00:00 (negative t
 * counts back: -1 is 1969-12-31T23:59:59). */
void st_civil_from_epoch(int64_t t, st_civil *out);

#endif
