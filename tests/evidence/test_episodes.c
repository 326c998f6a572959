/* Unit tests for the episode tracker, and episodes through the real engine, simulator and store. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/audit.h"
#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/episodes.h"
#include "stratum/senml.h"
#include "stratum/sim.h"

static st_zone_status status(st_state s, double score, double laeq, double ev)
{
    st_zone_status z;
    memset(&z, 0, sizeof(z));
    z.state = s;
    z.score = score;
    z.laeq_mid = laeq;
    z.event_rate = ev;
    return z;
}

static void test_tracker(void)
{
    st_episodes *t = st_episodes_new(2, 0);
    st_episode_outcome o;
    int arm = -5;
    int64_t id = 0;
    CHECK(t != NULL);
    CHECK(st_episodes_starts(t, 0, ST_TENSE, 0));
    CHECK(st_episodes_starts(t, 0, ST_ESCALATING, 0));
    CHECK(!st_episodes_starts(t, 0, ST_LIVELY, 0));
    CHECK(!st_episodes_starts(t, 0, ST_INCIDENT, 0));
    CHECK(!st_episodes_starts(t, 2, ST_TENSE, 0));
    CHECK_EQ_INT(st_episodes_open(t, 0, 1000, 600, 17, 2, 0.6, 70, 1.5), 0);
    CHECK_EQ_INT(st_episodes_open(t, 0, 1001, 600, 18, 1, 0.6, 70, 1.5), -EBUSY);
    CHECK(!st_episodes_starts(t, 0, ST_ESCALATING, 0)); /* already in one */
    CHECK(st_episodes_current(t, 0, &arm, &id));
    CHECK_EQ_INT(arm, 2);
    CHECK_EQ_INT(id, 17);
    CHECK(!st_episodes_current(t, 1, NULL, NULL));
    st_zone_status z = status(ST_ESCALATING, 0.8, 75, 4);
    CHECK_EQ_INT(st_episodes_observe(t, 0, 1100, &z, &o, &arm, &id), 0);
    z = status(ST_INCIDENT, 0.95, 82, 12);
    st_episodes_observe(t, 0, 1200, &z, &o, &arm, &id);
    z = status(ST_LIVELY, 0.3, 66, 0.5);
    st_episodes_observe(t, 0, 1450, &z, &o, &arm, &id);
    z = status(ST_CALM, 0.1, NAN, 0.2); /* NaN level: the last known one stays */
    st_episodes_observe(t, 0, 1500, &z, &o, &arm, &id);
    CHECK_EQ_INT(st_episodes_observe(t, 0, 1600, &z, &o, &arm, &id), 1);
    CHECK_EQ_INT(o.incident, 1);
    CHECK_NEAR(o.calm_after_s, 450, 1e-9);
    CHECK_NEAR(o.score_max, 0.95, 1e-12);
    CHECK_NEAR(o.laeq_max, 82, 1e-12);
    CHECK_NEAR(o.laeq_end, 66, 1e-12);
    CHECK_NEAR(o.event_rate_max, 12, 1e-12);
    CHECK_NEAR(o.event_rate_end, 0.2, 1e-12);
    CHECK_NEAR(o.t, 1600, 0);
    CHECK(!st_episode_settled(&o)); /* calm again, but after an incident */
    CHECK(!st_episodes_current(t, 0, NULL, NULL));
    CHECK(st_episodes_starts(t, 0, ST_TENSE, 0));

    /* Never calm within the window. */
    st_episodes_open(t, 1, 0, 60, 0, 0, 0.5, 70, 1);
    z = status(ST_TENSE, 0.5, 70, 1);
    CHECK_EQ_INT(st_episodes_observe(t, 1, 30, &z, &o, NULL, NULL), 0);
    z = status(ST_CALM, 0.1, 60, 0);
    CHECK_EQ_INT(st_episodes_observe(t, 1, 61, &z, &o, NULL, NULL), 1); /* after the window */
    CHECK(isnan(o.calm_after_s));
    CHECK_EQ_INT(o.incident, 0);
    CHECK(!st_episode_settled(&o));
    st_episodes_free(t);
    st_episodes_free(NULL);
    errno = 0;
    CHECK(st_episodes_new(1, -1) == NULL && errno == EINVAL);
    CHECK(st_episodes_new(1, NAN) == NULL && errno == EINVAL);
}

/* Washout: a new episode only after the zone has been below tense for washout_s. */
static void test_washout(void)
{
    st_episodes *t = st_episodes_new(1, 300);
    st_episode_outcome o;
    CHECK(t != NULL);
    CHECK(st_episodes_starts(t, 0, ST_TENSE, 0)); /* quiet since before the start */
    CHECK_EQ_INT(st_episodes_open(t, 0, 0, 60, 0, 1, 0.5, 70, 1), 0);
    st_zone_status z = status(ST_ESCALATING, 0.8, 75, 4);
    CHECK_EQ_INT(st_episodes_observe(t, 0, 30, &z, &o, NULL, NULL), 0);
    CHECK_EQ_INT(st_episodes_observe(t, 0, 60, &z, &o, NULL, NULL), 1); /* closes, still high */
    /* Still escalating after the window: a later entry is the same escalation. */
    CHECK(!st_episodes_starts(t, 0, ST_ESCALATING, 90));
    z = status(ST_LIVELY, 0.3, 66, 0.5);
    st_episodes_observe(t, 0, 100, &z, &o, NULL, NULL); /* quiet from 100 */
    CHECK(!st_episodes_starts(t, 0, ST_TENSE, 399));
    CHECK(st_episodes_starts(t, 0, ST_TENSE, 400));
    z = status(ST_TENSE, 0.6, 70, 2);
    st_episodes_observe(t, 0, 380, &z, &o, NULL, NULL); /* a rules-handled flare-up */
    z = status(ST_CALM, 0.1, 60, 0);
    st_episodes_observe(t, 0, 390, &z, &o, NULL, NULL); /* quiet again from 390 */
    CHECK(!st_episodes_starts(t, 0, ST_TENSE, 600));
    CHECK(st_episodes_starts(t, 0, ST_TENSE, 690));
    st_episodes_free(t);
    errno = 0;
    CHECK(st_episodes_new(0, 0) == NULL && errno == EINVAL);
}

/* ---- through the engine ---- */

typedef struct night {
    st_senml *parser;
    st_engine *engine;
    st_sim *sim;
    st_store *store;
    int opened, closed, open_row_ok;
} night;

static int emit(void *ctx, const char *pack, size_t len)
{
    night *c = ctx;
    const st_obs *obs;
    st_senml_err err;
    int n = st_senml_parse(c->parser, pack, len, st_sim_now(c->sim), &obs, &err);
    if (n > 0) st_engine_ingest(c->engine, obs, (size_t)n);
    return 0;
}

static long q_long(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return v;
}

/* At the moment an episode opens, its assignment is a committed row and no
 * outcome exists for it. */
static void on_episode(void *ctx, const st_episode *ep, const st_episode_outcome *o, int64_t id)
{
    night *c = ctx;
    if (o) {
        c->closed++;
        return;
    }
    c->opened++;
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM episodes e WHERE e.id = %lld AND NOT EXISTS (SELECT 1 FROM "
             "episode_outcomes o WHERE o.episode_id = e.id)",
             (long long)id);
    if (id > 0 && q_long(st_store_db(c->store), sql) == 1 && ep->window_s == 600) c->open_row_ok++;
}

static void test_engine_randomised(void)
{
    st_settings *s = malloc(sizeof(*s));
    unsigned char pk[32], sk[64];
    night c;
    memset(&c, 0, sizeof(c));
    st_settings_default(s);
    s->sim.night_hours = 5; /* 20:00-01:00: rising crowd, then the peak */
    s->sim.onset_per_hour = 3;
    st_exp_params *x = &s->engine.experiment;
    st_exp_params_default(x);
    x->policy = ST_EXP_POLICY_RANDOM;
    x->seed = 2024;
    x->narms = 1;
    snprintf(x->arms[0].name, sizeof(x->arms[0].name), "calm-warm");
    snprintf(x->arms[0].actions, sizeof(x->arms[0].actions), "scene:calm-warm");
    snprintf(x->control_scene, sizeof(x->control_scene), "normal");
    CHECK(sodium_init() >= 0);
    crypto_sign_keypair(pk, sk);

    c.store = st_store_open(":memory:", 0, NULL);
    CHECK(c.store != NULL);
    if (!c.store) {
        free(s);
        return;
    }
    sqlite3 *db = st_store_db(c.store);
    int64_t run = st_store_begin_run(c.store, "episodes test", NULL);
    st_audit *audit = st_audit_new(db, sk, 50, NULL);
    c.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    c.engine =
        st_engine_new(&s->engine, s->zones, s->nzones, s->rules, s->nrules, c.store, run, NULL);
    c.sim = st_sim_new(&s->sim, s->zones, s->nzones);
    CHECK(c.parser && c.engine && c.sim && audit);
    if (c.parser && c.engine && c.sim && audit) {
        st_engine_add_actuator(c.engine, st_sim_actuator(c.sim));
        st_engine_set_audit(c.engine, audit);
        st_engine_set_episode_listener(c.engine, on_episode, &c);
        while (!st_sim_done(c.sim)) {
            st_sim_step(c.sim, emit, &c);
            st_engine_step(c.engine, st_sim_now(c.sim));
        }
        st_engine_flush(c.engine);
        st_engine_stats es;
        st_engine_stats_get(c.engine, &es);
        CHECK(es.episodes_opened >= 6);
        CHECK_EQ_INT(c.opened, es.episodes_opened);
        CHECK_EQ_INT(c.open_row_ok, c.opened);
        CHECK_EQ_INT(c.closed, es.episodes_closed);
        CHECK(es.withheld > 0);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episodes"), es.episodes_opened);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episode_outcomes"), es.episodes_closed);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episodes WHERE policy <> 'random' OR "
                                "arm NOT IN ('control', 'calm-warm') OR seed = '0'"),
                     0);
        CHECK(q_long(db, "SELECT count(*) FROM episodes WHERE arm = 'control'") > 0);
        CHECK(q_long(db, "SELECT count(*) FROM episodes WHERE arm = 'calm-warm'") > 0);
        /* Outcomes come at the end of the window, never before. */
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episodes e JOIN episode_outcomes o ON "
                                "o.episode_id = e.id WHERE o.t < e.t + e.window_s"),
                     0);
        /* Episodes in one zone never overlap. */
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episodes a JOIN episodes b ON a.zone = "
                                "b.zone AND a.id < b.id AND b.t < a.t + a.window_s"),
                     0);
        /* Control episodes: nothing calming but the baseline scene on entering tense or
         * escalating; steward alerts are a safety measure and are never withheld. */
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM interventions i JOIN episodes e ON i.zone = "
                                "e.zone AND i.t >= e.t AND i.t < e.t + e.window_s WHERE e.arm = "
                                "'control' AND i.to_state IN ('tense', 'escalating') AND "
                                "i.kind != 'alert' AND NOT (i.kind = 'scene' AND i.name = "
                                "'normal' AND i.rule = 'experiment-control')"),
                     0);
        CHECK(q_long(db, "SELECT count(*) FROM interventions i JOIN episodes e ON i.zone = e.zone "
                         "AND i.t >= e.t AND i.t < e.t + e.window_s WHERE e.arm = 'control' AND "
                         "i.kind = 'alert' AND i.to_state = 'escalating'") > 0);
        CHECK(q_long(db, "SELECT count(*) FROM interventions WHERE rule = 'experiment-control'") >
              0);
        /* Arm episodes: only scene:calm-warm on those entries. */
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM interventions i JOIN episodes e ON i.zone = "
                                "e.zone AND i.t >= e.t AND i.t < e.t + e.window_s WHERE e.arm = "
                                "'calm-warm' AND i.to_state IN ('tense', 'escalating') AND "
                                "i.kind != 'alert' AND NOT (i.kind = 'scene' AND i.name = "
                                "'calm-warm')"),
                     0);
        /* One audit record per intervention and per assignment; the chain verifies. */
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM audit WHERE kind = 'actuation'"),
                     es.interventions);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM audit WHERE kind = 'assignment'"),
                     es.episodes_opened);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM audit WHERE kind = 'actuation' AND "
                                "json_extract(detail, '$.intervention') NOT IN (SELECT id FROM "
                                "interventions)"),
                     0);
        st_audit_free(audit);
        audit = NULL;
        st_audit_report r;
        CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
        CHECK(r.ok);
        CHECK_EQ_INT(r.records, (int64_t)(es.interventions + es.episodes_opened));
    }
    st_audit_free(audit);
    st_engine_free(c.engine);
    st_sim_free(c.sim);
    st_senml_free(c.parser);
    st_store_free(c.store);
    free(s);
}

/* Without experiment settings (all zero) the engine behaves as before: every
 * rule fires, episodes are recorded with arm "rules". */
static void test_engine_rules(void)
{
    st_settings *s = malloc(sizeof(*s));
    night c;
    memset(&c, 0, sizeof(c));
    st_settings_default(s);
    memset(&s->engine.experiment, 0, sizeof(s->engine.experiment));
    s->sim.night_hours = 5;
    s->sim.onset_per_hour = 3;
    c.store = st_store_open(":memory:", 0, NULL);
    int64_t run = st_store_begin_run(c.store, "rules", NULL);
    c.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    c.engine =
        st_engine_new(&s->engine, s->zones, s->nzones, s->rules, s->nrules, c.store, run, NULL);
    c.sim = st_sim_new(&s->sim, s->zones, s->nzones);
    CHECK(c.store && c.parser && c.engine && c.sim);
    if (c.store && c.parser && c.engine && c.sim) {
        st_engine_add_actuator(c.engine, st_sim_actuator(c.sim));
        while (!st_sim_done(c.sim)) {
            st_sim_step(c.sim, emit, &c);
            st_engine_step(c.engine, st_sim_now(c.sim));
        }
        st_engine_stats es;
        st_engine_stats_get(c.engine, &es);
        CHECK(es.episodes_opened > 0);
        CHECK_EQ_INT(es.withheld, 0);
        sqlite3 *db = st_store_db(c.store);
        CHECK_EQ_INT(q_long(db, "SELECT count(*) FROM episodes WHERE arm <> 'rules' OR policy <> "
                                "'rules'"),
                     0);
        CHECK(q_long(db, "SELECT count(*) FROM interventions WHERE name = 'calm-warm'") > 0);
    }
    st_engine_free(c.engine);
    st_sim_free(c.sim);
    st_senml_free(c.parser);
    st_store_free(c.store);
    free(s);
}

int main(void)
{
    RUN(test_tracker);
    RUN(test_washout);
    RUN(test_engine_randomised);
    RUN(test_engine_rules);
    return TEST_END("evidence/episodes");
}
