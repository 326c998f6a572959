/* Unit tests of keyness statistics against hand-computed values. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>

#include "st_test.h"
#include "stratum/narrate_keyness.h"

static void test_calc(void)
{
    /* a=100 in c=10000, b=50 in d=20000: E1 = 10000*150/30000 = 50, E2 = 100;
     * G2 = 2(100 ln 2 + 50 ln 0.5) = 100 ln 2 = 69.3147 */
    st_keyness k = st_keyness_calc(100, 10000, 50, 20000);
    CHECK_NEAR(k.g2, 100 * log(2.0), 1e-9);
    CHECK_NEAR(k.log_ratio, 2.0, 1e-12); /* 0.01 vs 0.0025 */
    CHECK_NEAR(k.pct_diff, 300.0, 1e-9);
    CHECK(k.p < 1e-15);
    /* rarer in the target: negative G2 */
    k = st_keyness_calc(50, 20000, 100, 10000);
    CHECK_NEAR(k.g2, -100 * log(2.0), 1e-9);
    /* zero in the reference: log ratio with 0.5, %DIFF undefined */
    k = st_keyness_calc(10, 1000, 0, 1000);
    CHECK_NEAR(k.log_ratio, log2(20.0), 1e-12);
    CHECK(isnan(k.pct_diff));
    /* equal relative frequencies */
    k = st_keyness_calc(10, 1000, 20, 2000);
    CHECK_NEAR(k.g2, 0.0, 1e-12);
    CHECK_NEAR(k.p, 1.0, 1e-12);
    /* chi-squared(1): 3.841 -> 0.05 */
    CHECK_NEAR(st_chi2_1df_p(3.841459), 0.05, 1e-6);
    /* 2x2 G2: independent table gives 0 */
    CHECK_NEAR(st_g2_2x2(10, 20, 30, 60), 0.0, 1e-12);
    CHECK(st_g2_2x2(30, 10, 10, 30) > 10);
}

int main(void)
{
    RUN(test_calc);
    return TEST_END("narrate/keyness");
}
