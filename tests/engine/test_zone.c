/* Unit tests for zone fusion and the escalation state machine (src/engine/zone.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "st_test.h"
#include "zone_params.h"
#include "stratum/engine.h"
#include "stratum/zone.h"

/* 2024-06-21 20:00:00 UTC: start of a night. */
#define T0 1719000000.0

/* The defaults documented in docs/engine.md. */
static st_zone_params defaults(void)
{
    return test_zone_params();
}

static st_zone *new_zone(const st_zone_params *p)
{
    st_zone_def d = {.id = "z2", .title = "Stratumseind 2", .capacity = 400, .lamps = 4};
    return st_zone_new(&d, p);
}

static st_obs obs(st_qty q, double t, double v)
{
    st_obs o;
    memset(&o, 0, sizeof(o));
    snprintf(o.zone, sizeof(o.zone), "z2");
    snprintf(o.device, sizeof(o.device), "meter-2");
    o.qty = q;
    o.t = t;
    o.v = v;
    if (q == ST_Q_EVENT) o.sub = ST_EV_SHOUT;
    return o;
}

/* Synthetic street: what the sensors of one zone report each second. */
typedef struct feed {
    st_zone *z;
    double t;          /* next second to report */
    double acc_events; /* fractional events carried between seconds */
    int transitions;
    st_trace tr[32];                        /* the first 32 transitions */
    double since;                           /* when the current state was entered */
    double min_dwell_seen[ST_STATE__COUNT]; /* shortest stay before leaving each state */
} feed;

static void feed_init(feed *f, st_zone *z)
{
    memset(f, 0, sizeof(*f));
    f->z = z;
    f->t = T0;
    f->since = T0;
    for (int s = 0; s < ST_STATE__COUNT; s++) f->min_dwell_seen[s] = INFINITY;
}

/* Report `secs` seconds of LAeq `laeq`, `epm` shout events per minute and
 * occupancy `occ` (negative: not reported), evaluating the zone each second. */
static void run(feed *f, int secs, double laeq, double epm, double occ)
{
    for (int i = 0; i < secs; i++, f->t += 1.0) {
        st_obs o = obs(ST_Q_LAEQ, f->t + 0.5, laeq);
        CHECK_EQ_INT(st_zone_push(f->z, &o), 0);
        f->acc_events += epm / 60.0;
        if (f->acc_events >= 1.0 - 1e-9) {
            f->acc_events -= 1.0;
            o = obs(ST_Q_EVENT, f->t + 0.5, 0.9);
            CHECK_EQ_INT(st_zone_push(f->z, &o), 0);
        }
        if (occ >= 0) {
            o = obs(ST_Q_OCCUPANCY, f->t + 0.5, occ);
            CHECK_EQ_INT(st_zone_push(f->z, &o), 0);
        }
        st_trace tr;
        double now = f->t + 1.0;
        if (st_zone_eval(f->z, now, st_hour_of(now, 0), &tr)) {
            if (f->transitions < 32) f->tr[f->transitions] = tr;
            f->transitions++;
            if (now - f->since < f->min_dwell_seen[tr.from])
                f->min_dwell_seen[tr.from] = now - f->since;
            f->since = now;
        }
    }
}

static st_state state_of(const feed *f)
{
    st_zone_status s;
    st_zone_status_get(f->z, f->t, &s);
    return s.state;
}

static void test_names(void)
{
    CHECK_STR(st_state_name(ST_CALM), "calm");
    CHECK_STR(st_state_name(ST_ESCALATING), "escalating");
    CHECK_EQ_INT(st_state_parse("incident"), ST_INCIDENT);
    CHECK_EQ_INT(st_state_parse("tense"), ST_TENSE);
    CHECK_EQ_INT(st_state_parse("angry"), -1);
    CHECK_EQ_INT(st_state_parse(NULL), -1);
}

static void test_fusion_values(void)
{
    st_zone_params p = defaults();
    st_zone *z = new_zone(&p);
    CHECK(z != NULL);
    if (!z) return;
    /* 60 s: 30 s at 60 dB then 30 s at 70 dB: energy mean = 10 log10((1e6 + 1e7) / 2). */
    for (int i = 0; i < 60; i++) {
        st_obs o = obs(ST_Q_LAEQ, T0 + i + 0.5, i < 30 ? 60 : 70);
        CHECK_EQ_INT(st_zone_push(z, &o), 0);
    }
    /* 3 events in the mid window, one below the confidence floor. */
    st_obs e1 = obs(ST_Q_EVENT, T0 + 10, 0.9), e2 = obs(ST_Q_EVENT, T0 + 20, 0.6),
           e3 = obs(ST_Q_EVENT, T0 + 30, 0.2);
    CHECK_EQ_INT(st_zone_push(z, &e1), 0);
    CHECK_EQ_INT(st_zone_push(z, &e2), 0);
    CHECK_EQ_INT(st_zone_push(z, &e3), 0);
    /* Occupancy from flows only: 150 in, 50 out. */
    st_obs in = obs(ST_Q_PEOPLE_IN, T0 + 5, 150), out = obs(ST_Q_PEOPLE_OUT, T0 + 6, 50);
    CHECK_EQ_INT(st_zone_push(z, &in), 0);
    CHECK_EQ_INT(st_zone_push(z, &out), 0);
    st_obs temp = obs(ST_Q_TEMPERATURE, T0 + 7, 18);
    CHECK_EQ_INT(st_zone_push(z, &temp), 0); /* accepted, unused */
    st_trace tr;
    double now = T0 + 59.9;
    st_zone_eval(z, now, 20, &tr);
    st_zone_status s;
    st_zone_status_get(z, now, &s);
    CHECK_NEAR(s.laeq_mid, 10 * log10((1e6 + 1e7) / 2), 1e-9);
    CHECK_NEAR(s.event_rate, 2.0, 1e-9);
    CHECK_NEAR(s.occupancy, 100, 0);
    CHECK_EQ_INT(s.stale, 0);
    CHECK_EQ_INT(s.state, ST_CALM);
    /* crowd 0.25*100/400 + noise 0.35*(67.4-60)/15 + events 0.3*2/6 + trend
     * 0.1*(70 - 67.4)/10 (long = mid here: only 60 s of data). */
    double lm = 10 * log10((1e6 + 1e7) / 2);
    double want = 0.25 * 0.25 + 0.35 * (lm - 60) / 15 + 0.3 * 2 / 6 + 0.1 * (70 - lm) / 10;
    CHECK_NEAR(s.score, want, 1e-9);
    /* An occupancy count overrides flows; flows right after it are ignored. */
    st_obs occ = obs(ST_Q_OCCUPANCY, T0 + 59, 300);
    st_obs in2 = obs(ST_Q_PEOPLE_IN, T0 + 59.5, 40);
    CHECK_EQ_INT(st_zone_push(z, &occ), 0);
    CHECK_EQ_INT(st_zone_push(z, &in2), 0);
    st_zone_eval(z, T0 + 60, 20, &tr);
    st_zone_status_get(z, T0 + 60, &s);
    CHECK_NEAR(s.occupancy, 300, 0);
    /* Too old for the long window: refused. Non-finite: refused. */
    st_obs old = obs(ST_Q_LAEQ, T0 - 400, 60);
    CHECK_EQ_INT(st_zone_push(z, &old), -EINVAL);
    st_obs nan = obs(ST_Q_LAEQ, T0 + 61, NAN);
    CHECK_EQ_INT(st_zone_push(z, &nan), -EINVAL);
    /* Late but within the long window: accepted. */
    st_obs late = obs(ST_Q_LAEQ, T0 - 100, 60);
    CHECK_EQ_INT(st_zone_push(z, &late), 0);
    CHECK_STR(st_zone_def_get(z)->id, "z2");
    st_zone_free(z);
}

static void test_single_loud_event_no_transition(void)
{
    st_zone_params p = defaults();
    double spikes[] = {80, 95, 110}; /* +20, +35 and +50 dB for one second */
    for (size_t k = 0; k < sizeof(spikes) / sizeof(spikes[0]); k++) {
        st_zone *z = new_zone(&p);
        if (!z) {
            CHECK(0);
            return;
        }
        feed f;
        feed_init(&f, z);
        run(&f, 400, 60, 0, 80); /* quiet street at its baseline, 20 % full */
        CHECK_EQ_INT(f.transitions, 0);
        run(&f, 1, spikes[k], 60, 80); /* one loud second with one shout */
        run(&f, 400, 60, 0, 80);
        CHECK_EQ_INT(f.transitions, 0);
        CHECK_EQ_INT(state_of(&f), ST_CALM);
        st_zone_free(z);
    }
}

static void test_sustained_rise_to_tense(void)
{
    st_zone_params p = defaults();
    st_zone *z = new_zone(&p);
    if (!z) {
        CHECK(0);
        return;
    }
    feed f;
    feed_init(&f, z);
    run(&f, 600, 60, 0, 40); /* calm: baseline level, 10 % full */
    CHECK_EQ_INT(f.transitions, 0);
    double onset = f.t;
    /* +12 dB, 4 events/min, 80 % of capacity, second by second. */
    double reached = -1;
    for (int i = 0; i < 600 && reached < 0; i++) {
        run(&f, 1, 72, 4, 320);
        if (state_of(&f) >= ST_TENSE) reached = f.t;
    }
    CHECK(reached > 0);
    /* Via lively (its enter threshold is met first): hold, then lively's dwell. */
    CHECK(reached - onset <= p.hold_s + p.dwell_s[ST_LIVELY] + 1);
    CHECK_EQ_INT(state_of(&f), ST_TENSE);
    CHECK(f.transitions >= 1 && f.tr[0].from == ST_CALM);
    /* The rise is a tense street, not an escalation: it settles there. */
    run(&f, 900, 72, 4, 320);
    CHECK_EQ_INT(state_of(&f), ST_TENSE);
    /* The trace of the move into tense is complete and consistent. */
    const st_trace *tr = &f.tr[f.transitions - 1];
    CHECK_EQ_INT(tr->to, ST_TENSE);
    CHECK(tr->score >= p.enter[ST_TENSE]);
    CHECK_NEAR(tr->threshold, p.enter[ST_TENSE], 0);
    CHECK(tr->held_s >= p.hold_s);
    CHECK(tr->dwell_s >= p.dwell_s[tr->from]);
    CHECK_NEAR(tr->score, tr->term_crowd + tr->term_noise + tr->term_events + tr->term_trend, 1e-9);
    CHECK_NEAR(tr->term_crowd, 0.25 * 0.8, 1e-9);
    CHECK_NEAR(tr->occupancy, 320, 0);
    CHECK_NEAR(tr->laeq_short, 72, 1e-9);
    /* Learnt while calm or lively: at most one minute of the rise (while
     * lively) moved it, by alpha * 12 dB; tense minutes do not. */
    CHECK(tr->baseline_db >= 60 - 1e-9 && tr->baseline_db <= 60 + 0.05 * 12 + 1e-9);
    CHECK(tr->event_rate > 2 && tr->event_rate <= 4.0 + 1e-9);
    CHECK(strstr(tr->rule, "enter[tense]") != NULL);
    CHECK(strstr(tr->rule, "dwell in lively") != NULL);
    /* Back to baseline: down to calm, never leaving a state before its dwell. */
    run(&f, 900, 60, 0, 40);
    CHECK_EQ_INT(state_of(&f), ST_CALM);
    for (int s = 0; s < ST_STATE__COUNT; s++)
        CHECK(f.min_dwell_seen[s] >= p.dwell_s[s] || isinf(f.min_dwell_seen[s]));
    const st_trace *down = &f.tr[f.transitions - 1];
    CHECK(down->to < down->from);
    CHECK(strstr(down->rule, "< exit[") != NULL);
    /* 15 minutes at +12 dB while tense did not raise the yardstick (had they
     * counted it would be near 60 + 12 * (1 - 0.95^15) = 65.6 dB); only the
     * lively minutes on the way up and down moved it, by alpha each. */
    CHECK(down->baseline_db <= 61.5);
    st_zone_free(z);
}

/* Crowd level that puts the score at `score` with a quiet street. */
static double occ_for(double score)
{
    return score / 0.25 * 400;
}

static void test_hysteresis(void)
{
    st_zone_params p = defaults();
    st_zone *z = new_zone(&p);
    if (!z) {
        CHECK(0);
        return;
    }
    feed f;
    feed_init(&f, z);
    /* Score 0.22 (crowd alone: 88 % full): lively at 0.25 is not reached. */
    run(&f, 120, 60, 0, occ_for(0.22));
    CHECK_EQ_INT(state_of(&f), ST_CALM);
    /* Enter lively, stay long enough for its dwell. */
    run(&f, 200, 60, 0, occ_for(0.245) + 40); /* 0.27 */
    CHECK_EQ_INT(state_of(&f), ST_LIVELY);
    int before = f.transitions;
    /* Oscillate between exit[lively] 0.15 and enter[lively] 0.25 (and below
     * enter[tense]) every 5 s for 20 minutes: no flip. */
    for (int i = 0; i < 120; i++) {
        run(&f, 5, 60, 0, occ_for(0.17));
        run(&f, 5, 60, 0, occ_for(0.24));
    }
    CHECK_EQ_INT(f.transitions, before);
    CHECK_EQ_INT(state_of(&f), ST_LIVELY);
    /* Dipping under exit briefly (shorter than hold) does not flip either. */
    for (int i = 0; i < 20; i++) {
        run(&f, 10, 60, 0, occ_for(0.10));
        run(&f, 10, 60, 0, occ_for(0.20));
    }
    CHECK_EQ_INT(f.transitions, before);
    /* Under exit for longer than hold: down to calm. */
    run(&f, (int)p.hold_s + 2, 60, 0, occ_for(0.10));
    CHECK_EQ_INT(state_of(&f), ST_CALM);
    CHECK_EQ_INT(f.transitions, before + 1);
    st_zone_free(z);
}

static void test_dwell(void)
{
    st_zone_params p = defaults();
    p.dwell_s[ST_LIVELY] = 200;
    p.dwell_s[ST_CALM] = 45;
    st_zone *z = new_zone(&p);
    if (!z) {
        CHECK(0);
        return;
    }
    feed f;
    feed_init(&f, z);
    run(&f, 60, 60, 0, occ_for(0.3));
    CHECK_EQ_INT(state_of(&f), ST_LIVELY);
    double entered = f.since;
    /* The score collapses at once, but lively is kept for its whole dwell. */
    run(&f, 150, 60, 0, 0);
    CHECK_EQ_INT(state_of(&f), ST_LIVELY);
    for (int i = 0; i < 100 && state_of(&f) != ST_CALM; i++) run(&f, 1, 60, 0, 0);
    CHECK_EQ_INT(state_of(&f), ST_CALM);
    CHECK_NEAR(f.since - entered, 200, 1.0);
    CHECK(f.min_dwell_seen[ST_LIVELY] >= 200);
    /* A fight breaks out right after calm was re-entered: while calm's dwell
     * runs, every higher condition starts holding; when it ends, the zone
     * jumps straight to the highest state that has held for hold_s. */
    run(&f, 60, 90, 12, 400);
    CHECK_EQ_INT(f.tr[f.transitions - 1].from, ST_CALM);
    CHECK_EQ_INT(f.tr[f.transitions - 1].to, ST_INCIDENT);
    CHECK_NEAR(f.tr[f.transitions - 1].dwell_s, 45, 0);
    CHECK(f.tr[f.transitions - 1].held_s >= p.hold_s);
    CHECK(f.min_dwell_seen[ST_CALM] >= 45);
    st_zone_free(z);
}

static void test_stale_decays_to_calm(void)
{
    st_zone_params p = defaults();
    st_zone *z = new_zone(&p);
    if (!z) {
        CHECK(0);
        return;
    }
    feed f;
    feed_init(&f, z);
    run(&f, 300, 72, 4, 320);
    CHECK_EQ_INT(state_of(&f), ST_TENSE);
    /* Sensors fall silent: no up-move, and back to calm once stale_s, hold_s
     * and the dwell have passed. */
    int before = f.transitions;
    st_trace tr;
    double t = f.t, down_at = -1;
    for (int i = 1; i <= 300; i++) {
        if (st_zone_eval(z, t + i, 21, &tr)) {
            if (down_at < 0) down_at = t + i;
            CHECK(tr.to < tr.from);
            CHECK(strstr(tr.rule, "stale") != NULL);
            CHECK_NEAR(tr.score, 0, 0);
        }
    }
    st_zone_status s;
    st_zone_status_get(z, t + 300, &s);
    CHECK_EQ_INT(s.state, ST_CALM);
    CHECK_EQ_INT(s.stale, 1);
    CHECK(down_at > 0 && down_at - t >= p.stale_s + p.hold_s);
    CHECK(before > 0);
    st_zone_free(z);
}

static void test_trace_json(void)
{
    st_trace tr;
    memset(&tr, 0, sizeof(tr));
    tr.t = 1719000060.25;
    tr.from = ST_LIVELY;
    tr.to = ST_TENSE;
    tr.score = 0.6123456789;
    tr.occupancy = NAN;
    tr.laeq_mid = 71.5;
    tr.held_s = 20;
    snprintf(tr.rule, sizeof(tr.rule), "score 0.61 >= enter[tense] \"0.5\"\\\n");
    char buf[1024];
    int n = st_trace_to_json(&tr, "z2", buf, sizeof(buf));
    CHECK(n > 0 && (size_t)n == strlen(buf));
    CHECK(strstr(buf, "{\"zone\":\"z2\",\"t\":1719000060.250,") == buf);
    CHECK(strstr(buf, "\"from\":\"lively\",\"to\":\"tense\"") != NULL);
    CHECK(strstr(buf, "\"score\":0.612346") != NULL);
    CHECK(strstr(buf, "\"occupancy\":null") != NULL);
    CHECK(strstr(buf, "\"laeq_mid\":71.5") != NULL);
    CHECK(strstr(buf, "\"rule\":\"score 0.61 >= enter[tense] \\\"0.5\\\"\\\\\\u000a\"}") != NULL);
    CHECK(buf[n - 1] == '}');
    char small[40];
    CHECK_EQ_INT(st_trace_to_json(&tr, "z2", small, sizeof(small)), -ENOSPC);
    CHECK_EQ_INT(st_trace_to_json(&tr, "z2", buf, (size_t)n), -ENOSPC);
    CHECK_EQ_INT(st_trace_to_json(&tr, "z2", buf, (size_t)n + 1), n);
}

static void test_new_rejects(void)
{
    st_zone_params p = defaults();
    st_zone_def d = {.id = "z1", .capacity = 100};
    p.win_long_s = NAN;
    errno = 0;
    CHECK(st_zone_new(&d, &p) == NULL && errno == EINVAL);
    p = defaults();
    p.stale_s = 0;
    CHECK(st_zone_new(&d, &p) == NULL);
    p = defaults();
    d.id[0] = 0;
    CHECK(st_zone_new(&d, &p) == NULL);
    st_zone_free(NULL);
}

int main(void)
{
    RUN(test_names);
    RUN(test_fusion_values);
    RUN(test_single_loud_event_no_transition);
    RUN(test_sustained_rise_to_tense);
    RUN(test_hysteresis);
    RUN(test_dwell);
    RUN(test_stale_decays_to_calm);
    RUN(test_trace_json);
    RUN(test_new_rejects);
    return TEST_END("engine/zone");
}
