/* Unit tests for the rule policy (src/engine/policy.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>

#include "st_test.h"
#include "stratum/policy.h"

static st_rule rule(const char *name, unsigned states, int from, int to, const char *scene,
                    const char *music, const char *alert, double cooldown)
{
    st_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.states = states;
    r.hour_from = from;
    r.hour_to = to;
    snprintf(r.scene, sizeof(r.scene), "%s", scene);
    snprintf(r.music, sizeof(r.music), "%s", music);
    snprintf(r.alert, sizeof(r.alert), "%s", alert);
    r.cooldown_s = cooldown;
    return r;
}

static st_trace trace(double t, st_state from, st_state to)
{
    st_trace tr;
    memset(&tr, 0, sizeof(tr));
    tr.t = t;
    tr.from = from;
    tr.to = to;
    tr.score = 0.61;
    tr.laeq_mid = 69.8;
    tr.baseline_db = 60;
    tr.event_rate = 3;
    tr.occupancy = 320;
    return tr;
}

#define B(s) (1u << (s))

static void test_match_and_reason(void)
{
    st_rule r = rule("calm-tense", B(ST_TENSE), 20, 4, "calm-warm", "", "", 600);
    st_policy *p = st_policy_new(&r, 1, 3);
    CHECK(p != NULL);
    if (!p) return;
    st_intervention iv[8];
    st_trace tr = trace(1000, ST_LIVELY, ST_TENSE);
    size_t n = st_policy_decide(p, 1, "z2", &tr, 22, 17, iv, 8);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(iv[0].kind, ST_ACT_SCENE);
    CHECK_STR(iv[0].name, "calm-warm");
    CHECK_STR(iv[0].rule, "calm-tense");
    CHECK_STR(iv[0].zone, "z2");
    CHECK_EQ_INT(iv[0].from, ST_LIVELY);
    CHECK_EQ_INT(iv[0].to, ST_TENSE);
    CHECK_EQ_INT(iv[0].transition_id, 17);
    CHECK_NEAR(iv[0].t, 1000, 0);
    CHECK_STR(iv[0].reason, "z2 lively->tense (score 0.61: noise +9.8 dB over baseline, 3.0 "
                            "events/min, occupancy 320) matched rule calm-tense: scene calm-warm");
    /* Other states, and leaving a state downwards into one not listed, do nothing. */
    tr = trace(5000, ST_TENSE, ST_LIVELY);
    CHECK_EQ_INT(st_policy_decide(p, 1, "z2", &tr, 22, 0, iv, 8), 0);
    tr = trace(5000, ST_TENSE, ST_ESCALATING);
    CHECK_EQ_INT(st_policy_decide(p, 1, "z2", &tr, 22, 0, iv, 8), 0);
    /* Unknown inputs read as such. */
    tr = trace(9000, ST_LIVELY, ST_TENSE);
    tr.laeq_mid = NAN;
    tr.occupancy = NAN;
    CHECK_EQ_INT(st_policy_decide(p, 2, "z3", &tr, 22, 0, iv, 8), 1);
    CHECK(strstr(iv[0].reason, "no noise level") && strstr(iv[0].reason, "occupancy unknown"));
    /* Zone index out of range: nothing. */
    CHECK_EQ_INT(st_policy_decide(p, 3, "z4", &tr, 22, 0, iv, 8), 0);
    st_policy_free(p);
}

static void test_hours_wrap(void)
{
    st_rule rs[] = {
        rule("night", B(ST_TENSE), 22, 3, "a", "", "", 0),    /* 22:00-03:00 */
        rule("evening", B(ST_TENSE), 18, 22, "b", "", "", 0), /* 18:00-22:00 */
        rule("always", B(ST_TENSE), 5, 5, "c", "", "", 0),    /* from == to: all night */
    };
    st_policy *p = st_policy_new(rs, 3, 1);
    if (!p) {
        CHECK(0);
        return;
    }
    st_intervention iv[8];
    /* hour -> expected rules (bit per rule) */
    const struct {
        int hour;
        unsigned want;
    } cases[] = {{21, 2 | 4}, {22, 1 | 4}, {23, 1 | 4}, {0, 1 | 4},  {2, 1 | 4},
                 {3, 4},      {12, 4},     {18, 2 | 4}, {-1, 1 | 4}, {26, 1 | 4}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_trace tr = trace(1000.0 * (double)i, ST_LIVELY, ST_TENSE);
        size_t n = st_policy_decide(p, 0, "z1", &tr, cases[i].hour, 0, iv, 8);
        unsigned got = 0;
        for (size_t k = 0; k < n; k++)
            got |= !strcmp(iv[k].rule, "night") ? 1 : !strcmp(iv[k].rule, "evening") ? 2 : 4;
        if (got != cases[i].want) fprintf(stderr, "hour %d: got %u\n", cases[i].hour, got);
        CHECK_EQ_INT(got, cases[i].want);
    }
    st_policy_free(p);
}

static void test_cooldown_per_zone(void)
{
    st_rule r = rule("steward", B(ST_ESCALATING) | B(ST_INCIDENT), 0, 0, "", "", "warning", 300);
    st_policy *p = st_policy_new(&r, 1, 2);
    if (!p) {
        CHECK(0);
        return;
    }
    st_intervention iv[4];
    st_trace tr = trace(1000, ST_TENSE, ST_ESCALATING);
    CHECK_EQ_INT(st_policy_decide(p, 0, "z1", &tr, 23, 0, iv, 4), 1);
    CHECK_EQ_INT(iv[0].kind, ST_ACT_ALERT);
    CHECK_STR(iv[0].name, "warning");
    /* Same zone within the cool-down: nothing; another zone: fires. */
    tr = trace(1200, ST_ESCALATING, ST_INCIDENT);
    CHECK_EQ_INT(st_policy_decide(p, 0, "z1", &tr, 23, 0, iv, 4), 0);
    CHECK_EQ_INT(st_policy_decide(p, 1, "z2", &tr, 23, 0, iv, 4), 1);
    /* A suppressed firing does not restart the cool-down: 1000 + 300. */
    tr = trace(1299.9, ST_TENSE, ST_ESCALATING);
    CHECK_EQ_INT(st_policy_decide(p, 0, "z1", &tr, 23, 0, iv, 4), 0);
    tr = trace(1300, ST_TENSE, ST_ESCALATING);
    CHECK_EQ_INT(st_policy_decide(p, 0, "z1", &tr, 23, 0, iv, 4), 1);
    st_policy_free(p);
}

static void test_multiple_rules_and_actions(void)
{
    st_rule rs[] = {
        rule("calm-tense", B(ST_TENSE), 20, 4, "calm-warm", "slow", "", 600),
        rule("steward", B(ST_TENSE) | B(ST_ESCALATING), 0, 0, "", "", "info", 0),
        rule("empty", B(ST_TENSE), 0, 0, "", "", "", 0),
        rule("reset", B(ST_CALM), 0, 0, "default", "", "", 0),
    };
    st_policy *p = st_policy_new(rs, 4, 1);
    if (!p) {
        CHECK(0);
        return;
    }
    st_intervention iv[8];
    st_trace tr = trace(1000, ST_LIVELY, ST_TENSE);
    size_t n = st_policy_decide(p, 0, "z1", &tr, 23, 5, iv, 8);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(iv[0].kind, ST_ACT_SCENE);
    CHECK_EQ_INT(iv[1].kind, ST_ACT_MUSIC);
    CHECK_STR(iv[1].name, "slow");
    CHECK_STR(iv[1].rule, "calm-tense");
    CHECK_EQ_INT(iv[2].kind, ST_ACT_ALERT);
    CHECK_STR(iv[2].rule, "steward");
    /* Room for only two: the first two are given. */
    tr = trace(5000, ST_LIVELY, ST_TENSE);
    CHECK_EQ_INT(st_policy_decide(p, 0, "z1", &tr, 23, 5, iv, 2), 2);
    /* Back to calm: the reset rule. */
    tr = trace(6000, ST_LIVELY, ST_CALM);
    n = st_policy_decide(p, 0, "z1", &tr, 1, 6, iv, 8);
    CHECK_EQ_INT(n, 1);
    CHECK_STR(iv[0].name, "default");
    CHECK_STR(st_act_kind_name(ST_ACT_MUSIC), "music");
    st_policy_free(p);
}

static void test_new_rejects(void)
{
    st_rule r = rule("bad", B(ST_TENSE), 25, 4, "x", "", "", 0);
    errno = 0;
    CHECK(st_policy_new(&r, 1, 1) == NULL && errno == EINVAL);
    r = rule("bad", B(ST_TENSE), 2, 4, "x", "", "", -1);
    CHECK(st_policy_new(&r, 1, 1) == NULL);
    st_policy *p = st_policy_new(NULL, 0, 0); /* no rules, no zones: valid, inert */
    CHECK(p != NULL);
    st_trace tr = trace(1, ST_CALM, ST_LIVELY);
    st_intervention iv[1];
    CHECK_EQ_INT(st_policy_decide(p, 0, "z", &tr, 0, 0, iv, 1), 0);
    st_policy_free(p);
    st_policy_free(NULL);
}

int main(void)
{
    RUN(test_match_and_reason);
    RUN(test_hours_wrap);
    RUN(test_cooldown_per_zone);
    RUN(test_multiple_rules_and_actions);
    RUN(test_new_rejects);
    return TEST_END("engine/policy");
}
