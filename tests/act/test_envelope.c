/* Unit tests for the safety envelope: strobing, blackout, jumps and caps are clamped and reported.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "st_test.h"
#include "stratum/envelope.h"

typedef struct reports {
    int n[ST_ENV__COUNT];
    st_envelope_clamp last;
} reports;

static void on_clamp(void *ctx, const st_envelope_clamp *c)
{
    reports *r = ctx;
    r->n[c->cause]++;
    r->last = *c;
}

/* Independent flash counter (zig-zag): a transition is a move of at least
 * delta away from the last confirmed extreme in the opposite direction. */
typedef struct zigzag {
    double ext;
    int dir;
    double times[4096];
    int n;
} zigzag;

static void zz_push(zigzag *z, double t, double y, double delta)
{
    if (z->dir == 0) {
        if (fabs(y - z->ext) >= delta)
            z->dir = y > z->ext ? 1 : -1, z->ext = y, z->times[z->n++] = t;
    } else if (z->dir * (y - z->ext) > 0) {
        z->ext = y; /* further in the same direction */
    } else if (fabs(y - z->ext) >= delta) {
        z->dir = -z->dir, z->ext = y, z->times[z->n++] = t;
    }
}

static int zz_max_in_window(const zigzag *z, double w)
{
    int best = 0;
    for (int i = 0; i < z->n; i++) {
        int c = 0;
        for (int j = i; j < z->n && z->times[j] < z->times[i] + w; j++) c++;
        if (c > best) best = c;
    }
    return best;
}

static void test_strobe_limited(void)
{
    st_envelope_params p;
    st_envelope_params_default(&p);
    p.max_rate = 100; /* fast enough that only the flash rule can stop a strobe */
    reports r = {0};
    st_envelope *e = st_envelope_new(&p, 2, on_clamp, &r);
    CHECK(e != NULL);
    if (!e) return;
    st_envelope_reset(e, 0, 0.2, 3000, 0);
    zigzag out = {.ext = 0.2}, in = {.ext = 0.2};
    int flagged = 0;
    /* A 10 Hz strobe between 0.2 and 1.0, sampled at 100 frames/s for 5 s. */
    for (int i = 1; i <= 500; i++) {
        double t = i / 100.0, lvl = ((i / 5) % 2) ? 1.0 : 0.2, k = 3000;
        zz_push(&in, t, lvl, p.flash_delta);
        int m = st_envelope_apply(e, 0, t, &lvl, &k);
        if (m & (1 << ST_ENV_FLASH)) flagged++;
        CHECK(lvl >= 0.2 - 1e-9 && lvl <= 1.0 + 1e-9);
        zz_push(&out, t, lvl, p.flash_delta);
    }
    CHECK(zz_max_in_window(&in, 1.0) >= 19); /* the request really strobes */
    CHECK(zz_max_in_window(&out, 1.0) <= 6); /* <= 3 flashes (pairs) per second */
    CHECK(zz_max_in_window(&out, 1.0) >= 4); /* ... but changes are not frozen */
    CHECK(flagged > 0);
    CHECK(r.n[ST_ENV_FLASH] >= 1);
    uint64_t c[ST_ENV__COUNT];
    st_envelope_counts(e, c);
    CHECK_EQ_INT(c[ST_ENV_FLASH], flagged);
    st_envelope_free(e);
}

static void test_blackout_to_min(void)
{
    st_envelope_params p;
    st_envelope_params_default(&p);
    reports r = {0};
    st_envelope *e = st_envelope_new(&p, 1, on_clamp, &r);
    st_envelope_reset(e, 0, 0.5, 3000, 0);
    double lvl = 0, k = 3000;
    for (int i = 1; i <= 300; i++) {
        lvl = 0, k = 3000;
        int m = st_envelope_apply(e, 0, i * 0.05, &lvl, &k);
        CHECK(m & (1 << ST_ENV_MIN_LEVEL));
        CHECK(lvl >= p.min_level - 1e-12);
    }
    CHECK_NEAR(lvl, p.min_level, 1e-9);
    CHECK_EQ_INT(r.n[ST_ENV_MIN_LEVEL], 1); /* one report per episode */
    CHECK_EQ_INT(r.last.cause == ST_ENV_RATE || r.last.cause == ST_ENV_MIN_LEVEL, 1);
    uint64_t c[ST_ENV__COUNT];
    st_envelope_counts(e, c);
    CHECK_EQ_INT(c[ST_ENV_MIN_LEVEL], 300);
    st_envelope_free(e);
}

static void test_jump_rate_limited(void)
{
    st_envelope_params p;
    st_envelope_params_default(&p);
    reports r = {0};
    st_envelope *e = st_envelope_new(&p, 1, on_clamp, &r);
    st_envelope_reset(e, 0, 0.2, 2700, 0);
    double prev = 0.2, lvl = 0, k;
    int reached = -1;
    for (int i = 1; i <= 200; i++) {
        lvl = 1.0, k = 2700;
        st_envelope_apply(e, 0, i / 30.0, &lvl, &k);
        CHECK(lvl - prev <= p.max_rate / 30.0 + 1e-9);
        if (reached < 0 && lvl >= 1.0 - 1e-9) reached = i;
        prev = lvl;
    }
    CHECK_EQ_INT(r.n[ST_ENV_RATE], 1);
    CHECK_NEAR(r.last.requested, 1.0, 1e-9);
    /* 0.8 of travel at 0.25/s takes 3.2 s = 96 frames at 30/s. */
    CHECK(reached >= 95 && reached <= 97);
    st_envelope_free(e);
}

static void test_caps_and_cct(void)
{
    st_envelope_params p;
    st_envelope_params_default(&p);
    reports r = {0};
    st_envelope *e = st_envelope_new(&p, 3, on_clamp, &r);
    st_envelope_reset(e, 2, 1.0, 3000, 0);
    double lvl = 1.7, k = 9000;
    int m = st_envelope_apply(e, 2, 0.1, &lvl, &k);
    CHECK_NEAR(lvl, 1.0, 1e-12);
    CHECK(m & (1 << ST_ENV_MAX_LEVEL));
    CHECK(m & (1 << ST_ENV_CCT_RANGE));
    CHECK(m & (1 << ST_ENV_CCT_RATE));
    CHECK_NEAR(k, 3000 + 1000.0 / 30, 1e-6); /* 1000 K/s, one step banks at most 1/30 s */
    CHECK_EQ_INT(r.n[ST_ENV_MAX_LEVEL], 1);
    lvl = NAN, k = NAN;
    CHECK_EQ_INT(st_envelope_apply(e, 2, 0.2, &lvl, &k), 0); /* NaN holds */
    CHECK_NEAR(lvl, 1.0, 1e-12);
    CHECK_NEAR(k, 3000 + 1000.0 / 30, 1e-6);
    CHECK_EQ_INT(st_envelope_apply(e, 3, 0.2, &lvl, &k), -EINVAL);
    st_envelope_free(e);
    st_envelope_free(NULL);
}

static void test_params(void)
{
    st_envelope_params p;
    char err[128];
    st_envelope_params_default(&p);
    CHECK_EQ_INT(st_envelope_params_check(&p, err, sizeof(err)), 0);
    p.max_flashes = 5;
    CHECK_EQ_INT(st_envelope_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "max_flashes") != NULL);
    CHECK(st_envelope_new(&p, 1, NULL, NULL) == NULL && errno == EINVAL);
    st_envelope_params_default(&p);
    p.min_level = 0.9, p.max_level = 0.5;
    CHECK_EQ_INT(st_envelope_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK_STR(st_envelope_cause_name(ST_ENV_FLASH), "flash");
}

int main(void)
{
    RUN(test_strobe_limited);
    RUN(test_blackout_to_min);
    RUN(test_jump_rate_limited);
    RUN(test_caps_and_cct);
    RUN(test_params);
    return TEST_END("act/envelope");
}
