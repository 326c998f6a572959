/* Unit tests for the effect report: cells from the store, comparisons, pooling, Thompson priors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/report.h"

static st_evidence_cell cell(const char *arm, const char *stratum, long n, long inc, long settled,
                             long calm, double tc, double tc2)
{
    st_evidence_cell c;
    memset(&c, 0, sizeof(c));
    snprintf(c.arm, sizeof(c.arm), "%s", arm);
    snprintf(c.stratum, sizeof(c.stratum), "%s", stratum);
    c.episodes = n;
    c.incidents = inc;
    c.settled = settled;
    c.calm = calm;
    c.tc_sum = tc;
    c.tc_sumsq = tc2;
    return c;
}

/* Add n episodes of arm with the given outcomes to the store. */
static void add_episodes(st_store *s, int64_t run, const char *arm, const char *policy,
                         const char *stratum, int n, int incidents, int calm_no_incident,
                         double calm_s, double *t)
{
    for (int i = 0; i < n; i++) {
        st_episode ep;
        memset(&ep, 0, sizeof(ep));
        snprintf(ep.zone, sizeof(ep.zone), "z1");
        ep.t = (*t += 700);
        ep.entered = ST_TENSE;
        snprintf(ep.stratum, sizeof(ep.stratum), "%s", stratum);
        snprintf(ep.policy, sizeof(ep.policy), "%s", policy);
        snprintf(ep.arm, sizeof(ep.arm), "%s", arm);
        ep.seed = 18446744073709551615ULL; /* kept exact as text */
        ep.window_s = 600;
        ep.score = ep.laeq = ep.event_rate = ep.occupancy = NAN;
        int64_t id = st_store_add_episode(s, run, &ep);
        CHECK(id > 0);
        st_episode_outcome o;
        memset(&o, 0, sizeof(o));
        o.t = ep.t + 600;
        o.incident = i < incidents;
        o.calm_after_s = i >= incidents && i < incidents + calm_no_incident ? calm_s : NAN;
        o.score_max = o.laeq_max = o.laeq_end = o.event_rate_max = o.event_rate_end = NAN;
        CHECK_EQ_INT(st_store_add_episode_outcome(s, id, &o), 0);
        if (i == 0) CHECK_EQ_INT(st_store_add_episode_outcome(s, id, &o), -EEXIST);
    }
}

static void test_local_cells(void)
{
    st_store *s = st_store_open(":memory:", 0, NULL);
    int64_t run = st_store_begin_run(s, "t", NULL);
    double t = 1795809600;
    add_episodes(s, run, "control", "random", "peak/high", 40, 8, 10, 300, &t);
    add_episodes(s, run, "calm-warm", "random", "peak/high", 30, 1, 15, 200, &t);
    add_episodes(s, run, "calm-warm", "random", "late/low", 10, 1, 5, 400, &t);
    add_episodes(s, run, "calm-warm", "fixed", "late/low", 50, 0, 50, 100, &t);
    sqlite3 *db = st_store_db(s);
    CHECK(sqlite3_exec(db, "SELECT 1 FROM episodes WHERE seed = '18446744073709551615'", NULL, NULL,
                       NULL) == SQLITE_OK);
    st_evidence_cell cells[16];
    double w = 0;
    long n = st_report_local_cells(db, 1, cells, 16, &w);
    CHECK_EQ_INT(n, 3);
    CHECK_NEAR(w, 600, 0);
    /* Ordered by arm, stratum: calm-warm late/low, calm-warm peak/high, control peak/high. */
    CHECK_STR(cells[0].arm, "calm-warm");
    CHECK_STR(cells[0].stratum, "late/low");
    CHECK_EQ_INT(cells[0].episodes, 10);
    CHECK_EQ_INT(cells[0].incidents, 1);
    CHECK_EQ_INT(cells[0].settled, 5);
    CHECK_EQ_INT(cells[0].calm, 5);
    CHECK_NEAR(cells[0].tc_sum, 5 * 400 + 5 * 600, 1e-9);
    CHECK_NEAR(cells[0].tc_sumsq, 5 * 400.0 * 400 + 5 * 600.0 * 600, 1e-6);
    CHECK_EQ_INT(st_report_local_cells(db, 0, cells, 16, &w), 3); /* fixed adds to late/low */
    CHECK_EQ_INT(cells[0].episodes, 60);
    CHECK_EQ_INT(st_report_local_cells(db, 1, cells, 2, &w), -ENOSPC);

    st_report_row rows[4];
    n = st_report_local_cells(db, 1, cells, 16, &w);
    long nr = st_report_compare(cells, (size_t)n, w, rows, 4);
    CHECK_EQ_INT(nr, 1);
    CHECK_STR(rows[0].arm.arm, "calm-warm");
    CHECK_EQ_INT(rows[0].arm.episodes, 40);
    CHECK_EQ_INT(rows[0].arm.incidents, 2);
    CHECK_EQ_INT(rows[0].control.episodes, 40);
    /* 40 episodes an arm but 2 incidents in the arm: too few outcomes for
     * Sato's variance, so the stratified score interval. Only peak/high holds
     * both arms: 1/30 - 8/40. */
    CHECK_EQ_INT(rows[0].rd_method, ST_METHOD_MN);
    CHECK_NEAR(rows[0].rd.est, 1.0 / 30 - 8.0 / 40, 1e-12);
    long xa[2] = {1, 1}, na[2] = {30, 10}, xc[2] = {8, 0}, nc[2] = {40, 0};
    st_estimate rd = st_risk_difference_mn(xa, na, xc, nc, 2, 0.95);
    CHECK_NEAR(rows[0].rd.lo, rd.lo, 1e-12);
    CHECK_NEAR(rows[0].rd.hi, rd.hi, 1e-12);
    CHECK_NEAR(rows[0].rr.est, 0.25, 1e-12);
    CHECK(rows[0].significant == (rd.hi < 0));
    CHECK_EQ_INT(rows[0].too_small, 0);
    CHECK_NEAR(rows[0].settled_rd.est, 20.0 / 40 - 10.0 / 40, 1e-12);
    /* Restricted mean time to calm: arm (15*200 + 5*400 + 20*600)/40, control (10*300 + 30*600)/40.
     */
    CHECK_NEAR(rows[0].tc_arm.est, 425, 1e-9);
    CHECK_NEAR(rows[0].tc_ctl.est, 525, 1e-9);
    /* The crude difference would be -100 s; stratified (40 episodes an arm),
     * only peak/high holds both arms: (15*200 + 15*600)/30 - 525 = -125. */
    CHECK_EQ_INT(rows[0].tc_method, ST_METHOD_STRATIFIED);
    CHECK_NEAR(rows[0].tc_diff.est, -125, 1e-9);
    CHECK(rows[0].tc_diff.lo < -125 && rows[0].tc_diff.hi > -125);
    /* Settled: 20 of 40 against 10 of 40, stratified; only peak/high counts. */
    CHECK_EQ_INT(rows[0].settled_method, ST_METHOD_MH);

    /* Output formats carry the numbers and the warning. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    st_report_write(f, ST_REPORT_CSV, rows, 1, w, "x");
    fclose(f);
    CHECK(strstr(buf, "calm-warm,40,2,40,8,0.05,0.2,-0.166667,") != NULL);
    CHECK(strstr(buf, ",miettinen-nurminen,mantel-haenszel,stratified\n") != NULL);
    free(buf);
    rows[0].too_small = 1;
    f = open_memstream(&buf, &len);
    st_report_write(f, ST_REPORT_TEXT, rows, 1, w, "x");
    fclose(f);
    CHECK(strstr(buf, "WARNING calm-warm vs control: too few to conclude anything") != NULL);
    CHECK(strstr(buf, "(miettinen-nurminen)") != NULL && strstr(buf, "(stratified)") != NULL);
    free(buf);
    f = open_memstream(&buf, &len);
    st_report_write(f, ST_REPORT_JSON, rows, 1, w, "x");
    fclose(f);
    CHECK(strstr(buf, "\"too_small\":true") != NULL);
    CHECK(strstr(buf, "\"risk_difference\":{\"est\":-0.166667,") != NULL);
    CHECK(strstr(buf, "\"methods\":{\"risk_difference\":\"miettinen-nurminen\"") != NULL);
    free(buf);
    st_store_free(s);
}

static void test_compare_small(void)
{
    st_evidence_cell c[3] = {cell("control", "peak/mid", 12, 2, 3, 4, 6000, 3.2e6),
                             cell("music", "peak/mid", 9, 0, 4, 4, 4000, 2.0e6),
                             cell("music", "early/low", 3, 0, 1, 1, 1500, 0.8e6)};
    st_report_row rows[2];
    CHECK_EQ_INT(st_report_compare(c, 3, 600, rows, 2), 1);
    CHECK_EQ_INT(rows[0].arm.episodes, 12);
    CHECK_EQ_INT(rows[0].too_small, 1);
    /* Fewer than 30 episodes an arm: crude intervals. */
    CHECK_EQ_INT(rows[0].rd_method, ST_METHOD_NEWCOMBE);
    CHECK_EQ_INT(rows[0].settled_method, ST_METHOD_NEWCOMBE);
    CHECK_EQ_INT(rows[0].tc_method, ST_METHOD_WELCH);
    CHECK_EQ_INT(st_report_compare(c + 1, 2, 600, rows, 2), -ENOENT); /* no control */
}

/* Each city's difference in a pooled report is analysed as randomised. */
static void test_pool_strata(void)
{
    st_store *s = st_store_open(":memory:", 0, NULL);
    /* Two strata with the same difference (+0.1), arms unevenly spread over
     * them: crude 26/60 - 36/80 = -0.017, stratified +0.1 (as in test_stats). */
    st_evidence_cell a[4] = {cell("control", "peak/high", 40, 32, 0, 0, 0, 0),
                             cell("control", "late/low", 40, 4, 0, 0, 0, 0),
                             cell("music", "peak/high", 20, 18, 0, 0, 0, 0),
                             cell("music", "late/low", 40, 8, 0, 0, 0, 0)};
    /* Too few incidents for Sato's variance: crude, Wald variance with 0.5 added. */
    st_evidence_cell b[2] = {cell("control", "late/mid", 40, 3, 0, 0, 0, 0),
                             cell("music", "late/mid", 40, 0, 0, 0, 0, 0)};
    CHECK(st_store_add_evidence_import(s, "Ghent", "aa", "h1", 1, 600, a, 4) > 0);
    CHECK(st_store_add_evidence_import(s, "Turku", "bb", "h2", 2, 600, b, 2) > 0);
    st_report_pooled *p = calloc(2, sizeof(*p));
    CHECK_EQ_INT(st_report_pool(st_store_db(s), p, 2), 1);
    CHECK_EQ_INT(p[0].k, 2);
    CHECK_STR(p[0].city[0], "Ghent");
    CHECK_EQ_INT(p[0].method[0], ST_METHOD_MH);
    CHECK_NEAR(p[0].y[0], 0.1, 1e-12);
    CHECK_EQ_INT(p[0].n_arm[0], 60);
    CHECK_EQ_INT(p[0].n_ctl[0], 80);
    long x1[2] = {18, 8}, n1[2] = {20, 40}, x2[2] = {32, 4}, n2[2] = {40, 40};
    double var = 0;
    st_estimate e = st_risk_difference_mh(x1, n1, x2, n2, 2, 0.95, &var);
    CHECK_NEAR(p[0].v[0], var, 1e-15);
    CHECK_NEAR(sqrt(var) * 1.959963985, e.hi - e.est, 1e-6);
    CHECK_EQ_INT(p[0].method[1], ST_METHOD_WALD);
    CHECK_NEAR(p[0].y[1], -3.0 / 40, 1e-12);
    CHECK_NEAR(p[0].v[1], (0.5 / 41) * (40.5 / 41) / 41 + (3.5 / 41) * (37.5 / 41) / 41, 1e-12);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    st_report_write_pooled(f, ST_REPORT_JSON, p, 1);
    fclose(f);
    CHECK(strstr(buf, "\"method\":\"mantel-haenszel\"") && strstr(buf, "\"method\":\"wald\""));
    free(buf);
    free(p);
    st_store_free(s);
}

static void test_pool(void)
{
    st_store *s = st_store_open(":memory:", 0, NULL);
    sqlite3 *db = st_store_db(s);
    int64_t run = st_store_begin_run(s, "t", NULL);
    double t = 1795809600;
    add_episodes(s, run, "control", "random", "peak/high", 50, 10, 10, 300, &t);
    add_episodes(s, run, "calm-warm", "random", "peak/high", 50, 5, 20, 300, &t);
    st_evidence_cell a[2] = {cell("control", "peak/high", 100, 30, 20, 30, 50000, 2.7e7),
                             cell("calm-warm", "peak/high", 100, 10, 40, 50, 45000, 2.4e7)};
    st_evidence_cell b[2] = {cell("control", "late/mid", 80, 8, 30, 30, 40000, 2.0e7),
                             cell("calm-warm", "late/mid", 80, 7, 35, 40, 38000, 1.9e7)};
    CHECK(st_store_add_evidence_import(s, "Utrecht", "aa", "h1", 1, 600, a, 2) > 0);
    CHECK(st_store_add_evidence_import(s, "Leeds", "bb", "h2", 2, 600, b, 2) > 0);
    CHECK_EQ_INT(st_store_add_evidence_import(s, "Leeds", "bb", "h2", 2, 600, b, 2), -EEXIST);
    st_report_pooled *p = calloc(4, sizeof(*p));
    CHECK_EQ_INT(st_report_pool(db, p, 4), 1);
    CHECK_STR(p[0].arm, "calm-warm");
    CHECK_EQ_INT(p[0].k, 3);
    CHECK_STR(p[0].city[0], "local");
    CHECK_STR(p[0].city[2], "Leeds");
    CHECK_NEAR(p[0].y[0], -0.1, 1e-12);
    CHECK_NEAR(p[0].y[1], -0.2, 1e-12);
    CHECK_NEAR(p[0].y[2], -1.0 / 80, 1e-12);
    CHECK_NEAR(p[0].v[1], 0.1 * 0.9 / 100 + 0.3 * 0.7 / 100, 1e-12);
    /* One stratum, balanced arms: Sato's variance is the Wald variance. */
    CHECK_EQ_INT(p[0].method[1], ST_METHOD_MH);
    /* Same numbers straight through the meta-analysis. */
    st_meta m;
    CHECK_EQ_INT(st_meta_random(p[0].y, p[0].v, 3, 0.95, 1, &m), 0);
    CHECK_NEAR(p[0].meta.pooled.est, m.pooled.est, 1e-12);
    CHECK(p[0].meta.tau2 > 0); /* -0.2 and -0.0125 disagree beyond chance */
    CHECK(p[0].meta.i2 > 0.5);
    CHECK(p[0].meta.hartung_knapp);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    st_report_write_pooled(f, ST_REPORT_TEXT, p, 1);
    fclose(f);
    CHECK(strstr(buf, "calm-warm: 3 cities") && strstr(buf, "Leeds") && strstr(buf, "I^2"));
    free(buf);

    /* Priors: settled / not settled summed over imports (and local when asked). */
    st_exp_params xp;
    st_exp_params_default(&xp);
    xp.policy = ST_EXP_POLICY_THOMPSON;
    xp.seed = 1;
    xp.prior_weight = 1000;
    xp.narms = 1;
    snprintf(xp.arms[0].name, sizeof(xp.arms[0].name), "calm-warm");
    snprintf(xp.arms[0].actions, sizeof(xp.arms[0].actions), "scene:calm-warm");
    st_experiment *x = st_experiment_new(&xp);
    CHECK_EQ_INT(st_report_seed_priors(db, x, 0), 2);
    double al, be;
    st_experiment_posterior(x, 1, &al, &be);
    CHECK_NEAR(al, 1 + 40 + 35, 1e-9);
    CHECK_NEAR(be, 1 + 60 + 45, 1e-9);
    CHECK_EQ_INT(st_report_seed_priors(db, x, 1), 2);
    st_experiment_posterior(x, 0, &al, &be);
    CHECK_NEAR(al, 1 + 20 + 30 + 10, 1e-9);
    st_experiment_free(x);
    free(p);
    st_store_free(s);
}

int main(void)
{
    RUN(test_local_cells);
    RUN(test_compare_small);
    RUN(test_pool);
    RUN(test_pool_strata);
    return TEST_END("evidence/report");
}
