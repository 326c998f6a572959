/* Tests of civil time: day numbers both ways against Python's datetime, and round trips. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>

#include "st_test.h"
#include "stratum/civil.h"

/* Day numbers from Python: (date(y, m, d) - date(1970, 1, 1)).days. */
static void test_days(void)
{
    static const struct {
        int y, m, d;
        int64_t days;
    } k[] = {{1970, 1, 1, 0},      {2000, 3, 1, 11017},  {2026, 11, 27, 20784},
             {1900, 1, 1, -25567}, {2024, 2, 29, 19782}, {1600, 2, 29, -135081},
             {2100, 3, 1, 47541},  {1969, 12, 31, -1}};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        CHECK_EQ_INT(st_civil_days(k[i].y, k[i].m, k[i].d), k[i].days);
        st_civil c;
        st_civil_from_epoch(k[i].days * 86400 + 45296, &c); /* 12:34:56 */
        CHECK_EQ_INT(c.year, k[i].y);
        CHECK_EQ_INT(c.month, k[i].m);
        CHECK_EQ_INT(c.day, k[i].d);
        CHECK(c.hour == 12 && c.minute == 34 && c.second == 56);
    }
}

/* Negative seconds count back from the epoch; 1795806000 is 2026-11-27T19:00Z
 * (Python's datetime.utcfromtimestamp). */
static void test_epoch(void)
{
    st_civil c;
    st_civil_from_epoch(-1, &c);
    CHECK(c.year == 1969 && c.month == 12 && c.day == 31);
    CHECK(c.hour == 23 && c.minute == 59 && c.second == 59);
    st_civil_from_epoch(-86400, &c);
    CHECK(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 0 && c.second == 0);
    st_civil_from_epoch(1795806000, &c);
    CHECK(c.year == 2026 && c.month == 11 && c.day == 27 && c.hour == 19 && c.minute == 0);
}

/* Every 7th day over ±2,000 years: the date of a day number gives it back, and
 * consecutive day numbers are consecutive dates. */
static void test_round_trip(void)
{
    int bad = 0;
    for (int64_t z = -730500; z <= 730500; z += 7) {
        st_civil c;
        st_civil_from_epoch(z * 86400, &c);
        bad += st_civil_days(c.year, c.month, c.day) != z;
        bad += c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31;
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    RUN(test_days);
    RUN(test_epoch);
    RUN(test_round_trip);
    return TEST_END("core/civil");
}
