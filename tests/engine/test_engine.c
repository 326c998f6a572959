/* Unit tests for the engine wiring (src/engine/engine.c), with and without a store. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "st_test.h"
#include "zone_params.h"
#include "stratum/engine.h"

/* 2024-06-21 20:00:00 UTC. */
#define T0 1719000000.0

static st_engine_params defaults(void)
{
    st_engine_params p = {
        .zone = test_zone_params(),
        .utc_offset_min = 0,
        .outcome_after_s = 120,
        .eval_every_s = 1,
    };
    return p;
}

static void zone_defs(st_zone_def *d, size_t n)
{
    memset(d, 0, n * sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        snprintf(d[i].id, sizeof(d[i].id), "z%zu", i + 1);
        d[i].capacity = 400;
        d[i].lamps = 4;
    }
}

static st_obs obs(const char *zone, st_qty q, double t, double v)
{
    st_obs o;
    memset(&o, 0, sizeof(o));
    if (snprintf(o.zone, sizeof(o.zone), "%s", zone) < 0) o.zone[0] = 0;
    o.qty = q;
    o.t = t;
    o.v = v;
    return o;
}

/* A recording actuator; `fail` makes apply return -EIO. */
typedef struct rec {
    int applied, ticks, freed, fail;
    st_intervention last;
} rec;

static int rec_apply(void *self, const st_intervention *iv)
{
    rec *r = self;
    r->applied++;
    r->last = *iv;
    return r->fail ? -EIO : 0;
}

static int rec_tick(void *self, double now)
{
    ((rec *)self)->ticks++;
    return 0;
}

static void rec_free(void *self)
{
    ((rec *)self)->freed++;
}

static const st_actuator_ops rec_ops = {"rec", rec_apply, rec_tick, rec_free};

typedef struct heard {
    int transitions, interventions;
    char zone[ST_ID_MAX];
    st_trace tr;
    int64_t last_tr_id, last_iv_id, iv_transition_id;
} heard;

static void on_tr(void *ctx, const char *zone, const st_trace *tr, int64_t id)
{
    heard *h = ctx;
    h->transitions++;
    snprintf(h->zone, sizeof(h->zone), "%s", zone);
    h->tr = *tr;
    h->last_tr_id = id;
}

static void on_iv(void *ctx, const st_intervention *iv, int64_t id)
{
    heard *h = ctx;
    h->interventions++;
    h->last_iv_id = id;
    h->iv_transition_id = iv->transition_id;
}

/* One second of a street: zone `hot` is rowdy (72 dB, 4 shouts/min, 320
 * people), every other zone quiet. Then a step. Returns the step's result. */
static int second(st_engine *e, size_t nz, size_t hot, double t, size_t *used)
{
    st_obs batch[3 * 128];
    size_t n = 0;
    for (size_t i = 0; i < nz; i++) {
        char id[ST_ID_MAX];
        snprintf(id, sizeof(id), "z%zu", i + 1);
        int rowdy = i == hot;
        batch[n++] = obs(id, ST_Q_LAEQ, t + 0.5, rowdy ? 72 : 60);
        batch[n++] = obs(id, ST_Q_OCCUPANCY, t + 0.5, rowdy ? 320 : 40);
        if (rowdy && (long)t % 15 == 0) batch[n++] = obs(id, ST_Q_EVENT, t + 0.5, 0.9);
    }
    *used += st_engine_ingest(e, batch, n);
    return st_engine_step(e, t + 1);
}

static void test_hour_of(void)
{
    CHECK_EQ_INT(st_hour_of(T0, 0), 20);
    CHECK_EQ_INT(st_hour_of(T0, 120), 22);
    CHECK_EQ_INT(st_hour_of(T0 + 5 * 3600, 0), 1);
    CHECK_EQ_INT(st_hour_of(0, -60), 23);
    CHECK_EQ_INT(st_hour_of(T0 + 3599.9, 30), 21);
    CHECK_EQ_INT(st_hour_of(NAN, 0), 0);
}

static void test_lookup_and_counters(void)
{
    st_engine_params p = defaults();
    st_zone_def d[100];
    zone_defs(d, 100);
    st_engine *e = st_engine_new(&p, d, 100, NULL, 0, NULL, 0, NULL);
    CHECK(e != NULL);
    if (!e) return;
    CHECK_EQ_INT(st_engine_zone_count(e), 100);
    /* Each zone gets its own occupancy: 10 * index. */
    st_obs b[102];
    for (size_t i = 0; i < 100; i++) b[i] = obs(d[i].id, ST_Q_OCCUPANCY, T0, 10.0 * (double)i);
    b[100] = obs("z101", ST_Q_OCCUPANCY, T0, 1);
    b[101] = obs("z1", ST_Q_LAEQ, T0, NAN);
    CHECK_EQ_INT(st_engine_ingest(e, b, 102), 100);
    CHECK_EQ_INT(st_engine_step(e, T0 + 1), 0);
    int wrong = 0;
    for (size_t i = 0; i < 100; i++) {
        st_zone_status s;
        const st_zone *z = st_engine_zone(e, i);
        st_zone_status_get(z, T0 + 1, &s);
        if (s.occupancy != 10.0 * (double)i || strcmp(st_zone_def_get(z)->id, d[i].id)) wrong++;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK(st_engine_zone(e, 100) == NULL);
    st_engine_stats st;
    st_engine_stats_get(e, &st);
    CHECK_EQ_INT(st.obs_in, 102);
    CHECK_EQ_INT(st.obs_used, 100);
    CHECK_EQ_INT(st.obs_unknown_zone, 1);
    CHECK_EQ_INT(st.obs_rejected, 1);
    CHECK_EQ_INT(st_engine_step(e, NAN), -EINVAL);
    st_engine_free(e);
    /* Duplicate zone ids are refused. */
    snprintf(d[7].id, sizeof(d[7].id), "z3");
    errno = 0;
    CHECK(st_engine_new(&p, d, 100, NULL, 0, NULL, 0, NULL) == NULL && errno == EINVAL);
    st_engine_free(NULL);
}

static void test_loop_without_store(void)
{
    st_engine_params p = defaults();
    st_zone_def d[5];
    zone_defs(d, 5);
    st_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "calm-tense");
    r.states = 1u << ST_TENSE;
    r.hour_from = 20;
    r.hour_to = 4;
    snprintf(r.scene, sizeof(r.scene), "calm-warm");
    snprintf(r.alert, sizeof(r.alert), "info");
    r.cooldown_s = 600;
    st_engine *e = st_engine_new(&p, d, 5, &r, 1, NULL, 0, NULL);
    if (!e) {
        CHECK(0);
        return;
    }
    rec good = {0}, bad = {.fail = 1};
    CHECK_EQ_INT(st_engine_add_actuator(e, (st_actuator){&rec_ops, &good}), 0);
    CHECK_EQ_INT(st_engine_add_actuator(e, (st_actuator){&rec_ops, &bad}), 0);
    heard h;
    memset(&h, 0, sizeof(h));
    st_engine_listener l = {on_tr, on_iv, &h};
    st_engine_set_listener(e, &l);
    size_t used = 0;
    int steps = 0, made = 0;
    for (int s = 0; s < 300; s++, steps++) made += second(e, 5, 99, T0 + s, &used); /* all quiet */
    CHECK_EQ_INT(made, 0);
    for (int s = 300; s < 500; s++, steps++) made += second(e, 5, 1, T0 + s, &used); /* z2 rowdy */
    st_zone_status zs;
    st_zone_status_get(st_engine_zone(e, 1), T0 + 500, &zs);
    CHECK_EQ_INT(zs.state, ST_TENSE);
    st_engine_stats st;
    st_engine_stats_get(e, &st);
    CHECK_EQ_INT(st.transitions, 2); /* calm -> lively -> tense */
    CHECK_EQ_INT(made, 2);
    CHECK_EQ_INT(st.entered[ST_LIVELY], 1);
    CHECK_EQ_INT(st.entered[ST_TENSE], 1);
    CHECK_EQ_INT(st.interventions, 2); /* scene + alert */
    CHECK_EQ_INT(st.actuator_errors, 2);
    CHECK_EQ_INT(st.store_errors, 0);
    CHECK_EQ_INT(good.applied, 2);
    CHECK_EQ_INT(bad.applied, 2); /* a failing actuator does not stop the others */
    CHECK_EQ_INT(good.ticks, steps);
    CHECK_STR(good.last.zone, "z2");
    CHECK_EQ_INT(good.last.kind, ST_ACT_ALERT);
    CHECK(strstr(good.last.reason, "z2 lively->tense (score ") == good.last.reason);
    CHECK_EQ_INT(h.transitions, 2);
    CHECK_EQ_INT(h.interventions, 2);
    CHECK_STR(h.zone, "z2");
    CHECK_EQ_INT(h.tr.to, ST_TENSE);
    CHECK_EQ_INT(h.last_tr_id, 0);
    CHECK_EQ_INT(h.last_iv_id, 0);
    CHECK_EQ_INT(st.obs_used, used);
    /* Time never runs backwards: an older step evaluates nothing. */
    CHECK_EQ_INT(st_engine_step(e, T0), 0);
    CHECK_EQ_INT(st_engine_flush(e), 0);
    st_engine_free(e);
    CHECK_EQ_INT(good.freed, 1);
    CHECK_EQ_INT(bad.freed, 1);
}

static void test_actuator_limit(void)
{
    st_engine_params p = defaults();
    st_zone_def d[1];
    zone_defs(d, 1);
    st_engine *e = st_engine_new(&p, d, 1, NULL, 0, NULL, 0, NULL);
    if (!e) {
        CHECK(0);
        return;
    }
    rec r[20];
    memset(r, 0, sizeof(r));
    int ok = 0, full = 0;
    for (int i = 0; i < 20; i++) {
        int rc = st_engine_add_actuator(e, (st_actuator){&rec_ops, &r[i]});
        ok += rc == 0;
        full += rc == -ENOSPC;
    }
    CHECK(ok >= 4);
    CHECK_EQ_INT(ok + full, 20);
    CHECK_EQ_INT(st_engine_add_actuator(e, (st_actuator){NULL, NULL}), -EINVAL);
    st_engine_free(e);
    int freed = 0;
    for (int i = 0; i < 20; i++) freed += r[i].freed;
    CHECK_EQ_INT(freed, 20); /* added ones at free, refused ones at once */
}

static void test_loop_with_store(void)
{
    st_store *s = st_store_open(":memory:", 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    int64_t run = st_store_begin_run(s, "test", "");
    CHECK(run > 0);
    st_engine_params p = defaults();
    st_zone_def d[3];
    zone_defs(d, 3);
    st_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "soothe");
    r.states = (1u << ST_LIVELY) | (1u << ST_TENSE);
    snprintf(r.music, sizeof(r.music), "slow");
    st_engine *e = st_engine_new(&p, d, 3, &r, 1, s, run, NULL);
    if (!e) {
        CHECK(0);
        st_store_free(s);
        return;
    }
    heard h;
    memset(&h, 0, sizeof(h));
    st_engine_listener l = {on_tr, on_iv, &h};
    st_engine_set_listener(e, &l);
    size_t used = 0;
    /* 20:00:00 to 20:10:00: quiet 5 min, z3 rowdy after. */
    for (int t = 0; t < 600; t++) second(e, 3, t < 300 ? 99 : 2, T0 + t, &used);
    CHECK_EQ_INT(st_engine_flush(e), 0);
    int64_t n = -1;
    CHECK_EQ_INT(st_store_count(s, "transitions", &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK(h.last_tr_id > 0);
    CHECK_EQ_INT(st_store_count(s, "interventions", &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK(h.last_iv_id > 0);
    CHECK_EQ_INT(h.iv_transition_id, h.last_tr_id);
    /* Minutes 20:00 .. 20:09 are complete for 3 zones (the step at 20:10:00
     * closes minute 20:09). */
    CHECK_EQ_INT(st_store_count(s, "minutes", &n), 0);
    CHECK_EQ_INT(n, 30);
    /* Outcomes: each intervention 120 s later. Both happened before 20:08. */
    CHECK_EQ_INT(st_store_count(s, "outcomes", &n), 0);
    CHECK_EQ_INT(n, 2);
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT n_obs, laeq_mean, occupancy, events, state FROM minutes "
                             "WHERE zone = 'z3' ORDER BY t DESC LIMIT 1",
                             -1, &q, NULL) == SQLITE_OK);
    if (q && sqlite3_step(q) == SQLITE_ROW) {
        CHECK_EQ_INT(sqlite3_column_int(q, 0), 60 * 2 + 4);
        CHECK_NEAR(sqlite3_column_double(q, 1), 72, 1e-9);
        CHECK_NEAR(sqlite3_column_double(q, 2), 320, 1e-9);
        CHECK_EQ_INT(sqlite3_column_int(q, 3), 4);
        CHECK_STR((const char *)sqlite3_column_text(q, 4), "tense");
    } else {
        CHECK(0);
    }
    sqlite3_finalize(q);
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT o.state, o.t - i.t FROM outcomes o JOIN interventions i "
                             "ON i.id = o.intervention_id ORDER BY i.id",
                             -1, &q, NULL) == SQLITE_OK);
    int rows = 0;
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        rows++;
        CHECK_NEAR(sqlite3_column_double(q, 1), 120, 1.0);
    }
    CHECK_EQ_INT(rows, 2);
    sqlite3_finalize(q);
    st_engine_stats st;
    st_engine_stats_get(e, &st);
    CHECK_EQ_INT(st.store_errors, 0);
    st_engine_free(e);
    st_store_free(s);
}

/* Scene interventions seen by an actuator, and a listener that records what
 * was playing with each stored intervention (as `stratum run` does). */
typedef struct scenes_seen {
    int n;
    st_intervention iv[32];
    st_store *store;
    int playing_set;
} scenes_seen;

static int seen_apply(void *self, const st_intervention *iv)
{
    scenes_seen *v = self;
    if (iv->kind == ST_ACT_SCENE && v->n < 32) v->iv[v->n++] = *iv;
    return 0;
}

static const st_actuator_ops seen_ops = {"seen", seen_apply, NULL, NULL};

static void seen_iv(void *ctx, const st_intervention *iv, int64_t id)
{
    scenes_seen *v = ctx;
    char text[64];
    snprintf(text, sizeof(text), "play calm-%s @35", iv->zone);
    if (id > 0 && st_store_set_playing(v->store, id, text) == 0) v->playing_set++;
}

/* One second in which only the zones in `reporting` (bit i = z<i+1>) send
 * observations; zone `hot` is rowdy. */
static void second_some(st_engine *e, size_t nz, unsigned reporting, size_t hot, double t)
{
    st_obs batch[3 * 8];
    size_t n = 0;
    for (size_t i = 0; i < nz; i++) {
        if (!(reporting & (1u << i))) continue;
        char id[ST_ID_MAX];
        snprintf(id, sizeof(id), "z%zu", i + 1);
        int rowdy = i == hot;
        batch[n++] = obs(id, ST_Q_LAEQ, t + 0.5, rowdy ? 72 : 60);
        batch[n++] = obs(id, ST_Q_OCCUPANCY, t + 0.5, rowdy ? 320 : 40);
        if (rowdy && (long)t % 15 == 0) batch[n++] = obs(id, ST_Q_EVENT, t + 0.5, 0.9);
    }
    st_engine_ingest(e, batch, n);
    st_engine_step(e, t + 1);
}

static int count_rule(const scenes_seen *v, const char *rule, const char *zone)
{
    int n = 0;
    for (int i = 0; i < v->n; i++)
        n += !strcmp(v->iv[i].rule, rule) && !strcmp(v->iv[i].zone, zone);
    return n;
}

/* Stale inputs: the safe scene once per episode, stored with its reason; the
 * zone's rules pause while stale and fire again when the inputs return; a
 * zone that never reported gets nothing. What was playing is stored. */
static void test_stale_safe_scene(void)
{
    st_store *s = st_store_open(":memory:", 0, NULL);
    CHECK(s != NULL);
    if (!s) return;
    int64_t run = st_store_begin_run(s, "stale", "");
    st_engine_params p = defaults();
    snprintf(p.safe_scene, sizeof(p.safe_scene), "normal");
    st_zone_def d[3];
    zone_defs(d, 3);
    st_rule r[2];
    memset(r, 0, sizeof(r));
    snprintf(r[0].name, sizeof(r[0].name), "soothe");
    r[0].states = (1u << ST_LIVELY) | (1u << ST_TENSE);
    snprintf(r[0].scene, sizeof(r[0].scene), "calm-warm");
    snprintf(r[1].name, sizeof(r[1].name), "settle");
    r[1].states = 1u << ST_CALM;
    snprintf(r[1].scene, sizeof(r[1].scene), "normal");
    st_engine *e = st_engine_new(&p, d, 3, r, 2, s, run, NULL);
    if (!e) {
        CHECK(0);
        st_store_free(s);
        return;
    }
    scenes_seen v;
    memset(&v, 0, sizeof(v));
    v.store = s;
    st_engine_add_actuator(e, (st_actuator){&seen_ops, &v});
    st_engine_listener l = {NULL, seen_iv, &v};
    st_engine_set_listener(e, &l);
    /* 20:00-20:05 z1 and z2 report (z2 rowdy), z3 never does. */
    for (int t = 0; t < 300; t++) second_some(e, 3, 0x3, 1, T0 + t);
    CHECK_EQ_INT(count_rule(&v, "soothe", "z2"), 1);
    CHECK_EQ_INT(count_rule(&v, "stale-inputs", "z2"), 0);
    /* 20:05-20:10 z2 falls silent: stale after stale_s (30 s), once. */
    for (int t = 300; t < 600; t++) second_some(e, 3, 0x1, 1, T0 + t);
    CHECK_EQ_INT(count_rule(&v, "stale-inputs", "z2"), 1);
    CHECK_EQ_INT(count_rule(&v, "stale-inputs", "z1"), 0);
    CHECK_EQ_INT(count_rule(&v, "stale-inputs", "z3"), 0); /* never reported */
    /* Walking down to calm while stale fires no rule. */
    CHECK_EQ_INT(count_rule(&v, "settle", "z2"), 0);
    st_zone_status zs;
    st_zone_status_get(st_engine_zone(e, 1), T0 + 600, &zs);
    CHECK_EQ_INT(zs.state, ST_CALM);
    const st_intervention *st = NULL;
    for (int i = 0; i < v.n; i++)
        if (!strcmp(v.iv[i].rule, "stale-inputs")) st = &v.iv[i];
    CHECK(st != NULL);
    if (st) {
        CHECK_STR(st->name, "normal");
        CHECK_EQ_INT(st->kind, ST_ACT_SCENE);
        /* Stale once no observation for more than 30 s: the last came at 20:04:59.5. */
        CHECK(st->t > T0 + 329 && st->t <= T0 + 332);
        CHECK(strstr(st->reason, "inputs stale") != NULL);
        CHECK(strstr(st->reason, "since 20:04:59") != NULL);
        CHECK(strstr(st->reason, "safe scene normal") != NULL);
    }
    /* 20:10-20:15 z2 reports again, rowdy: its rules apply again. */
    for (int t = 600; t < 900; t++) second_some(e, 3, 0x3, 1, T0 + t);
    CHECK_EQ_INT(count_rule(&v, "soothe", "z2"), 2);
    CHECK_EQ_INT(count_rule(&v, "stale-inputs", "z2"), 1);

    /* Stored like any intervention, with what was playing. */
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_prepare_v2(st_store_db(s),
                             "SELECT name, from_state, reason, transition_id IS NULL, playing "
                             "FROM interventions WHERE rule = 'stale-inputs'",
                             -1, &q, NULL) == SQLITE_OK);
    int rows = 0;
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        rows++;
        CHECK_STR((const char *)sqlite3_column_text(q, 0), "normal");
        CHECK(strstr((const char *)sqlite3_column_text(q, 2), "zone z2") != NULL);
        CHECK_EQ_INT(sqlite3_column_int(q, 3), 1);
        CHECK_STR((const char *)sqlite3_column_text(q, 4), "play calm-z2 @35");
    }
    CHECK_EQ_INT(rows, 1);
    sqlite3_finalize(q);
    int64_t n = 0;
    CHECK_EQ_INT(st_store_count(s, "interventions", &n), 0);
    CHECK_EQ_INT(v.playing_set, (int)n);
    CHECK_EQ_INT(st_store_set_playing(s, 999999, "x"), -ENOENT);
    CHECK_EQ_INT(st_store_set_playing(s, 1, NULL), -EINVAL);
    st_engine_free(e);
    st_store_free(s);
}

int main(void)
{
    RUN(test_hour_of);
    RUN(test_lookup_and_counters);
    RUN(test_loop_without_store);
    RUN(test_actuator_limit);
    RUN(test_loop_with_store);
    RUN(test_stale_safe_scene);
    return TEST_END("engine/engine");
}
