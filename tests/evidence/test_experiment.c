/* Unit tests for experiment arms: strata, permuted blocks, pinned policies, Thompson sampling. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "st_test.h"
#include "stratum/experiment.h"

static st_exp_params params(st_exp_policy pol, uint64_t seed)
{
    st_exp_params p;
    st_exp_params_default(&p);
    p.policy = pol;
    p.seed = seed;
    p.narms = 2;
    snprintf(p.arms[0].name, sizeof(p.arms[0].name), "calm-warm");
    snprintf(p.arms[0].actions, sizeof(p.arms[0].actions), "scene:calm-warm");
    snprintf(p.arms[1].name, sizeof(p.arms[1].name), "full");
    snprintf(p.arms[1].actions, sizeof(p.arms[1].actions),
             " scene:calm-warm , music:calm,alert:warning");
    return p;
}

static void test_names(void)
{
    CHECK_STR(st_exp_policy_name(ST_EXP_POLICY_THOMPSON), "thompson");
    CHECK_EQ_INT(st_exp_policy_parse("random"), ST_EXP_POLICY_RANDOM);
    CHECK_EQ_INT(st_exp_policy_parse("bandit"), -1);
    CHECK_STR(st_experiment_stratum_name(5), "peak/high");
    CHECK_EQ_INT(st_experiment_stratum_parse("late/low"), 6);
    CHECK_EQ_INT(st_experiment_stratum_parse("noon/low"), -1);
    CHECK(st_experiment_stratum_name(9) == NULL);
}

static void test_strata(void)
{
    st_exp_params p = params(ST_EXP_POLICY_RANDOM, 7);
    st_experiment *x = st_experiment_new(&p);
    CHECK(x != NULL);
    /* Bands: early before 23:00, peak 23:00-02:00, late from 02:00; crowd 0.4 / 0.8. */
    CHECK_EQ_INT(st_experiment_stratum(x, 21, 0.1), 0);
    CHECK_EQ_INT(st_experiment_stratum(x, 22, 0.5), 1);
    CHECK_EQ_INT(st_experiment_stratum(x, 23, 0.9), 5);
    CHECK_EQ_INT(st_experiment_stratum(x, 1, 0.8), 5);
    CHECK_EQ_INT(st_experiment_stratum(x, 2, 0.39), 6);
    CHECK_EQ_INT(st_experiment_stratum(x, 4, NAN), 7); /* unknown crowd: middle band */
    CHECK_EQ_INT(st_experiment_arm_count(x), 3);
    CHECK_STR(st_experiment_arm_name(x, 0), "control");
    CHECK_STR(st_experiment_arm_name(x, 2), "full");
    CHECK_STR(st_experiment_arm_name(x, ST_EXP_RULES), "rules");
    CHECK_EQ_INT(st_experiment_arm_find(x, "calm-warm"), 1);
    CHECK_EQ_INT(st_experiment_arm_find(x, "nope"), -1);
    CHECK_NEAR(st_experiment_window(x), 600, 0);
    st_experiment_free(x);
}

/* Permuted blocks: within each stratum, every block of 6 holds each arm twice,
 * and the same seed reproduces the sequence while another seed changes it. */
/* The validation hook: sees each assigned arm and may replace it. */
static int hook_calls;
static int force_full(void *ctx, int arm, size_t k)
{
    hook_calls++;
    CHECK_EQ_INT(k, 3);
    CHECK(arm >= 0 && arm < 3);
    return *(int *)ctx;
}

static void test_hook(void)
{
    st_exp_params p = params(ST_EXP_POLICY_RANDOM, 777);
    st_experiment *a = st_experiment_new(&p), *b = st_experiment_new(&p);
    int want = 2;
    st_experiment_set_hook(b, force_full, &want);
    for (int i = 0; i < 12; i++) {
        st_exp_assignment x, y;
        st_experiment_assign(a, 1, &x);
        st_experiment_assign(b, 1, &y);
        CHECK_EQ_INT(y.arm, 2);
        CHECK_EQ_INT(y.draw, x.draw); /* the sequence itself goes on unchanged */
    }
    CHECK_EQ_INT(hook_calls, 12);
    want = 7; /* out of range: the assigned arm stays */
    st_exp_assignment x, y;
    st_experiment_assign(a, 1, &x);
    st_experiment_assign(b, 1, &y);
    CHECK_EQ_INT(y.arm, x.arm);
    st_experiment_set_hook(b, NULL, NULL);
    st_experiment_assign(b, 1, &y);
    CHECK_EQ_INT(hook_calls, 13);
    st_experiment_free(a);
    st_experiment_free(b);
}

static void test_blocks(void)
{
    st_exp_params p = params(ST_EXP_POLICY_RANDOM, 12345);
    st_experiment *a = st_experiment_new(&p), *b = st_experiment_new(&p);
    p.seed = 54321;
    st_experiment *c = st_experiment_new(&p);
    int differs = 0;
    for (int s = 0; s < ST_EXP_STRATA; s++) {
        int count[3] = {0};
        for (int i = 0; i < 60; i++) {
            st_exp_assignment x, y, z;
            CHECK_EQ_INT(st_experiment_assign(a, s, &x), 0);
            st_experiment_assign(b, s, &y);
            st_experiment_assign(c, s, &z);
            CHECK_EQ_INT(x.arm, y.arm);
            CHECK(x.seed == y.seed);
            CHECK_EQ_INT(x.draw, i);
            CHECK_EQ_INT(x.stratum, s);
            CHECK_EQ_INT(x.policy, ST_EXP_POLICY_RANDOM);
            differs += x.arm != z.arm;
            CHECK(x.arm >= 0 && x.arm < 3);
            count[x.arm]++;
            if (i % 6 == 5) {
                CHECK_EQ_INT(count[0], count[1]);
                CHECK_EQ_INT(count[1], count[2]);
            }
        }
    }
    CHECK(differs > 100);
    st_exp_assignment bad;
    CHECK_EQ_INT(st_experiment_assign(a, 9, &bad), -EINVAL);
    st_experiment_free(a);
    st_experiment_free(b);
    st_experiment_free(c);
}

static void test_pinned_and_allows(void)
{
    st_exp_params p = params(ST_EXP_POLICY_FIXED, 1);
    snprintf(p.fixed_arm, sizeof(p.fixed_arm), "full");
    st_experiment *x = st_experiment_new(&p);
    st_exp_assignment as;
    st_experiment_assign(x, 3, &as);
    CHECK_EQ_INT(as.arm, 2);
    CHECK(st_experiment_allows(x, 2, ST_ACT_MUSIC, "calm"));
    CHECK(st_experiment_allows(x, 2, ST_ACT_ALERT, "warning"));
    CHECK(!st_experiment_allows(x, 2, ST_ACT_ALERT, "critical"));
    CHECK(st_experiment_allows(x, 1, ST_ACT_SCENE, "calm-warm"));
    CHECK(!st_experiment_allows(x, 1, ST_ACT_MUSIC, "calm"));
    CHECK(!st_experiment_allows(x, 1, ST_ACT_SCENE, "calm-warm2"));
    CHECK(!st_experiment_allows(x, ST_EXP_CONTROL, ST_ACT_SCENE, "calm-warm"));
    CHECK(st_experiment_allows(x, ST_EXP_RULES, ST_ACT_SCENE, "anything"));
    st_experiment_free(x);

    p.policy = ST_EXP_POLICY_CONTROL;
    x = st_experiment_new(&p);
    st_experiment_assign(x, 0, &as);
    CHECK_EQ_INT(as.arm, ST_EXP_CONTROL);
    st_experiment_free(x);

    /* All-zero parameters: the rules, everything allowed, a drawn seed. */
    st_exp_params z;
    memset(&z, 0, sizeof(z));
    x = st_experiment_new(&z);
    CHECK(x != NULL);
    CHECK(st_experiment_seed(x) != 0);
    st_experiment_assign(x, 4, &as);
    CHECK_EQ_INT(as.arm, ST_EXP_RULES);
    CHECK_NEAR(st_experiment_window(x), 600, 0);
    st_experiment_free(x);
}

static void test_invalid(void)
{
    st_exp_params p = params(ST_EXP_POLICY_FIXED, 1);
    snprintf(p.fixed_arm, sizeof(p.fixed_arm), "missing");
    errno = 0;
    CHECK(st_experiment_new(&p) == NULL && errno == EINVAL);
    p = params(ST_EXP_POLICY_RANDOM, 1);
    snprintf(p.arms[1].name, sizeof(p.arms[1].name), "calm-warm"); /* duplicate */
    CHECK(st_experiment_new(&p) == NULL);
    p = params(ST_EXP_POLICY_RANDOM, 1);
    snprintf(p.arms[0].actions, sizeof(p.arms[0].actions), "smell:roses");
    CHECK(st_experiment_new(&p) == NULL);
    p = params(ST_EXP_POLICY_RANDOM, 1);
    snprintf(p.arms[0].actions, sizeof(p.arms[0].actions), "scene:");
    CHECK(st_experiment_new(&p) == NULL);
    p = params(ST_EXP_POLICY_RANDOM, 1);
    snprintf(p.arms[0].name, sizeof(p.arms[0].name), "control");
    CHECK(st_experiment_new(&p) == NULL);
    p = params(ST_EXP_POLICY_THOMPSON, 1);
    p.narms = 0;
    CHECK(st_experiment_new(&p) == NULL);
}

/* Thompson sampling moves to the arm that settles more often, and priors count
 * at most prior_weight episodes. */
static void test_thompson(void)
{
    st_exp_params p = params(ST_EXP_POLICY_THOMPSON, 99);
    st_experiment *x = st_experiment_new(&p);
    const double rate[3] = {0.2, 0.3, 0.7};
    unsigned lcg = 1;
    int late[3] = {0};
    for (int i = 0; i < 600; i++) {
        st_exp_assignment as;
        st_experiment_assign(x, 0, &as);
        CHECK_EQ_INT(as.draw, i);
        lcg = lcg * 1103515245u + 12345u;
        int ok = (double)((lcg >> 8) & 0xffff) / 65536.0 < rate[as.arm];
        st_experiment_outcome(x, as.arm, ok);
        if (i >= 400) late[as.arm]++;
    }
    CHECK(late[2] > 150);
    CHECK_EQ_INT(st_experiment_best_arm(x), 2);
    st_experiment_free(x);

    x = st_experiment_new(&p);
    double a, b;
    CHECK_EQ_INT(st_experiment_set_prior(x, 1, 300, 100), 0);
    st_experiment_posterior(x, 1, &a, &b);
    CHECK_NEAR(a, 1 + 15, 1e-9); /* 400 episodes scaled to 20 */
    CHECK_NEAR(b, 1 + 5, 1e-9);
    CHECK_EQ_INT(st_experiment_set_prior(x, 2, 3, 1), 0);
    st_experiment_posterior(x, 2, &a, &b);
    CHECK_NEAR(a, 4, 1e-9);
    CHECK_NEAR(b, 2, 1e-9);
    CHECK_EQ_INT(st_experiment_set_prior(x, 5, 1, 1), -EINVAL);
    CHECK_EQ_INT(st_experiment_set_prior(x, 1, -1, 1), -EINVAL);
    CHECK_EQ_INT(st_experiment_best_arm(x), 1);
    st_experiment_free(x);
}

int main(void)
{
    RUN(test_names);
    RUN(test_strata);
    RUN(test_blocks);
    RUN(test_pinned_and_allows);
    RUN(test_invalid);
    RUN(test_thompson);
    RUN(test_hook);
    return TEST_END("evidence/experiment");
}
