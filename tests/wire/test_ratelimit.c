/* Unit tests of the per-device token buckets: burst, refill, isolation, table overflow. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "st_test.h"
#include "stratum/ratelimit.h"

static int allowed(st_ratelimit *r, const char *id, int tries, double now)
{
    int n = 0;
    for (int i = 0; i < tries; i++) n += st_ratelimit_allow(r, id, strlen(id), now);
    return n;
}

static void test_burst_and_refill(void)
{
    st_ratelimit *r = st_ratelimit_new(16, 10, 5);
    CHECK(r != NULL);
    CHECK_EQ_INT(allowed(r, "a", 100, 0.0), 5); /* burst */
    CHECK_EQ_INT(allowed(r, "a", 100, 0.5), 5); /* 0.5 s * 10/s, capped at burst */
    CHECK_EQ_INT(allowed(r, "a", 100, 0.65), 1);
    CHECK_EQ_INT(allowed(r, "a", 100, 100.0), 5); /* never more than burst */
    /* Sustained: 10 s at 1 kHz offered -> about rate * 10 + burst. */
    int n = 0;
    for (int i = 0; i < 10000; i++) n += st_ratelimit_allow(r, "b", 1, 200.0 + i * 0.001);
    CHECK(n >= 100 && n <= 106);
    st_ratelimit_free(r);
}

static void test_isolation(void)
{
    st_ratelimit *r = st_ratelimit_new(1000, 20, 40);
    /* A flooder empties its own bucket only. */
    CHECK_EQ_INT(allowed(r, "flood", 20000, 1.0), 40);
    CHECK_EQ_INT(allowed(r, "quiet", 10, 1.0), 10);
    CHECK_EQ_INT(st_ratelimit_size(r), 2);
    st_ratelimit_free(r);
}

static void test_overflow(void)
{
    st_ratelimit *r = st_ratelimit_new(4, 1, 2);
    char id[16];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof(id), "d%d", i);
        CHECK_EQ_INT(allowed(r, id, 1, 0), 1);
    }
    CHECK_EQ_INT(st_ratelimit_size(r), 4);
    /* New ids beyond the capacity share one bucket of 2. */
    CHECK_EQ_INT(allowed(r, "x1", 5, 0) + allowed(r, "x2", 5, 0) + allowed(r, "x3", 5, 0), 2);
    /* Known ids are unaffected. */
    CHECK_EQ_INT(allowed(r, "d0", 5, 0), 1);
    /* Over-long ids go to the overflow bucket too. */
    CHECK_EQ_INT(allowed(r, "0123456789012345678901234567890123", 1, 0), 0);
    st_ratelimit_free(r);
    CHECK(st_ratelimit_new(0, 1, 1) == NULL && errno == EINVAL);
    CHECK(st_ratelimit_new(4, 0, 1) == NULL);
    st_ratelimit_free(NULL);
}

int main(void)
{
    RUN(test_burst_and_refill);
    RUN(test_isolation);
    RUN(test_overflow);
    return TEST_END("ratelimit");
}
