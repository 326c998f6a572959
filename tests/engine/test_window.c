/* Unit tests for the rolling windows (src/engine/window.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/window.h"
#include "st_test.h"

static void test_spans_and_expiry(void)
{
    const double spans[] = {10, 60};
    st_window *w = st_window_new(1.0, spans, 2);
    CHECK(w != NULL);
    if (!w) return;
    double sum, n;
    st_window_get(w, 0, &sum, &n);
    CHECK_EQ_INT(n, 0);
    /* One value per second, t = 1000..1059, value = t - 1000. */
    for (int i = 0; i < 60; i++) CHECK_EQ_INT(st_window_push(w, 1000 + i + 0.5, i), 0);
    st_window_get(w, 0, &sum, &n); /* last 10 s: 50..59 */
    CHECK_EQ_INT(n, 10);
    CHECK_NEAR(sum, 545, 1e-9);
    st_window_get(w, 1, &sum, &n);
    CHECK_EQ_INT(n, 60);
    CHECK_NEAR(sum, 1770, 1e-9);
    CHECK_NEAR(st_window_span_s(w, 0), 10, 0);
    CHECK_NEAR(st_window_max(w, 0), 59, 0);
    /* Silence: after 5 s more, the short span holds 55..59 only. */
    st_window_advance(w, 1064.2);
    st_window_get(w, 0, &sum, &n);
    CHECK_EQ_INT(n, 5);
    CHECK_NEAR(sum, 285, 1e-9);
    /* Past the longest span everything has left. */
    st_window_advance(w, 1200);
    st_window_get(w, 1, &sum, &n);
    CHECK_EQ_INT(n, 0);
    CHECK_NEAR(sum, 0, 0);
    CHECK(isinf(st_window_max(w, 1)));
    /* Unknown span reads as empty. */
    st_window_get(w, 7, &sum, &n);
    CHECK_EQ_INT(n, 0);
    st_window_free(w);
}

static void test_out_of_order_and_too_old(void)
{
    const double spans[] = {10, 60};
    st_window *w = st_window_new(1.0, spans, 2);
    if (!w) {
        CHECK(0);
        return;
    }
    double sum, n;
    CHECK_EQ_INT(st_window_push(w, 2000, 1), 0);
    /* A late record within the long span counts in its own bucket: inside the
     * long span, outside the short one. */
    CHECK_EQ_INT(st_window_push(w, 1970, 5), 0);
    st_window_get(w, 0, &sum, &n);
    CHECK_NEAR(sum, 1, 0);
    st_window_get(w, 1, &sum, &n);
    CHECK_NEAR(sum, 6, 0);
    CHECK_EQ_INT(n, 2);
    /* Older than the longest span: refused and not counted. */
    CHECK_EQ_INT(st_window_push(w, 1940, 100), -EINVAL);
    CHECK_EQ_INT(st_window_push(w, NAN, 1), -EINVAL);
    CHECK_EQ_INT(st_window_push(w, 2001, INFINITY), -EINVAL);
    CHECK_EQ_INT(st_window_push(w, 1e300, 1), -EINVAL);
    st_window_get(w, 1, &sum, &n);
    CHECK_NEAR(sum, 6, 0);
    /* The late record leaves when its own bucket does (1970 + 60). */
    st_window_advance(w, 2029.5);
    st_window_get(w, 1, &sum, &n);
    CHECK_NEAR(sum, 6, 0);
    st_window_advance(w, 2030.0);
    st_window_get(w, 1, &sum, &n);
    CHECK_NEAR(sum, 1, 0);
    /* Advancing backwards does nothing. */
    st_window_advance(w, 100);
    st_window_get(w, 1, &sum, &n);
    CHECK_NEAR(sum, 1, 0);
    st_window_free(w);
}

/* Running sums against brute force over many ring turns, with late records
 * and values spread over 9 decades (LAeq energies) to exercise drift. */
static void test_against_brute_force(void)
{
    enum { N = 20000 };
    const double spans[] = {10, 60, 300};
    static double ts[N], xs[N];
    st_window *w = st_window_new(1.0, spans, 3);
    if (!w) {
        CHECK(0);
        return;
    }
    uint64_t r = 12345;
    double t = 1.7e9, newest = 0;
    int bad = 0, checked = 0;
    size_t k = 0;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(r >> 11) / 9007199254740992.0;
        t += u * 1.5;
        if (i % 50 == 0) t += 100 * u;              /* gaps */
        double ti = (i % 7 == 0) ? t - 200 * u : t; /* late records */
        double x = pow(10.0, (30 + 90 * u) / 10.0);
        if (st_window_push(w, ti, x) == 0) {
            ts[k] = ti;
            xs[k++] = x;
            if (ti > newest) newest = ti;
        }
        if (i % 97 == 0) {
            double hb = floor(newest / 1.0);
            for (size_t s = 0; s < 3; s++) {
                double bs = 0, bn = 0, sum, n;
                for (size_t j = 0; j < k; j++) {
                    double b = floor(ts[j]);
                    if (b > hb - spans[s] && b <= hb) {
                        bs += xs[j];
                        bn += 1;
                    }
                }
                st_window_get(w, s, &sum, &n);
                /* Counts are exact; sums may carry the rounding of values up to
                 * 1e12 (120 dB) subtracted since the last exact recompute,
                 * i.e. about 1e-4 absolute: far below 0.001 dB. */
                if (n != bn || fabs(sum - bs) > 1e-9 * bs + 1e-2) {
                    bad++;
                    fprintf(stderr, "s%zu n %g/%g sum %.17g/%.17g\n", s, n, bn, sum, bs);
                }
                checked++;
            }
        }
    }
    CHECK(checked > 500);
    CHECK_EQ_INT(bad, 0);
    st_window_free(w);
}

static void test_new_rejects(void)
{
    const double ok[] = {10}, bad[] = {0}, huge[] = {1e9};
    errno = 0;
    CHECK(st_window_new(0, ok, 1) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(st_window_new(1, bad, 1) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(st_window_new(1, huge, 1) == NULL && errno == EINVAL);
    CHECK(st_window_new(1, ok, 0) == NULL);
    CHECK(st_window_new(1, NULL, 1) == NULL);
    st_window_free(NULL);
}

int main(void)
{
    RUN(test_spans_and_expiry);
    RUN(test_out_of_order_and_too_old);
    RUN(test_against_brute_force);
    RUN(test_new_rejects);
    return TEST_END("engine/window");
}
