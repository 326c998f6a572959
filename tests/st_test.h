/* Minimal unit-test harness: CHECK records a failure with file:line and goes on. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ST_TEST_H
#define ST_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Counters live in one struct per test program (tests are single-threaded). */
typedef struct st_test_ctx {
    int passed, failed;
    const char *current;
} st_test_ctx;

static st_test_ctx st_t;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            st_t.passed++;                                                                         \
        } else {                                                                                   \
            st_t.failed++;                                                                         \
            fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__, __LINE__, st_t.current,     \
                    #cond);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long st_a_ = (long long)(a), st_b_ = (long long)(b);                                  \
        if (st_a_ == st_b_) {                                                                      \
            st_t.passed++;                                                                         \
        } else {                                                                                   \
            st_t.failed++;                                                                         \
            fprintf(stderr, "%s:%d: %s: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,    \
                    st_t.current, #a, st_a_, #b, st_b_);                                           \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double st_a_ = (a), st_b_ = (b);                                                           \
        if (fabs(st_a_ - st_b_) <= (tol)) {                                                        \
            st_t.passed++;                                                                         \
        } else {                                                                                   \
            st_t.failed++;                                                                         \
            fprintf(stderr, "%s:%d: %s: %s = %.6g, expected %.6g +- %g\n", __FILE__, __LINE__,     \
                    st_t.current, #a, st_a_, st_b_, (double)(tol));                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *st_a_ = (a), *st_b_ = (b);                                                     \
        if (st_a_ && st_b_ && strcmp(st_a_, st_b_) == 0) {                                         \
            st_t.passed++;                                                                         \
        } else {                                                                                   \
            st_t.failed++;                                                                         \
            fprintf(stderr, "%s:%d: %s: %s = \"%s\", expected \"%s\"\n", __FILE__, __LINE__,       \
                    st_t.current, #a, st_a_ ? st_a_ : "(null)", st_b_ ? st_b_ : "(null)");         \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        st_t.current = #fn;                                                                        \
        fn();                                                                                      \
    } while (0)

/* Prints the closing line the runner reads ("NAME: N passed, N failed"). */
#define TEST_END(name)                                                                             \
    (printf("%s: %d passed, %d failed\n", (name), st_t.passed, st_t.failed), st_t.failed ? 1 : 0)

#endif
