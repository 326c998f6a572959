/* Effect report: per-arm counts from the store, comparisons with control, pooling across cities. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/report.h"

#define LEVEL 0.95

static void text_col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static long read_cells(sqlite3_stmt *st, st_evidence_cell *cells, size_t cap, double *wmin,
                       double *wmax)
{
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)n == cap) return -ENOSPC;
        st_evidence_cell *c = &cells[n++];
        memset(c, 0, sizeof(*c));
        text_col(st, 0, c->arm, sizeof(c->arm));
        text_col(st, 1, c->stratum, sizeof(c->stratum));
        c->episodes = (long)sqlite3_column_int64(st, 2);
        c->incidents = (long)sqlite3_column_int64(st, 3);
        c->settled = (long)sqlite3_column_int64(st, 4);
        c->calm = (long)sqlite3_column_int64(st, 5);
        c->tc_sum = sqlite3_column_double(st, 6);
        c->tc_sumsq = sqlite3_column_double(st, 7);
        if (wmin) {
            double a = sqlite3_column_double(st, 8), b = sqlite3_column_double(st, 9);
            if (a < *wmin) *wmin = a;
            if (b > *wmax) *wmax = b;
        }
    }
    return rc == SQLITE_DONE ? n : -EIO;
}

long st_report_local_cells(sqlite3 *db, int randomised_only, st_evidence_cell *cells, size_t cap,
                           double *window_s)
{
    /* Time to calm is restricted to the window: an episode not calm by then
     * counts the whole window (a restricted mean, defined without censoring
     * assumptions). */
    static const char sql[] =
        "SELECT e.arm, e.stratum, count(*), sum(o.incident),"
        " sum(o.incident = 0 AND o.calm_after_s IS NOT NULL), sum(o.calm_after_s IS NOT NULL),"
        " sum(min(coalesce(o.calm_after_s, e.window_s), e.window_s)),"
        " sum(min(coalesce(o.calm_after_s, e.window_s), e.window_s) *"
        "     min(coalesce(o.calm_after_s, e.window_s), e.window_s)),"
        " min(e.window_s), max(e.window_s)"
        " FROM episodes e JOIN episode_outcomes o ON o.episode_id = e.id"
        " WHERE (?1 = 0 OR e.policy = 'random')"
        " GROUP BY e.arm, e.stratum ORDER BY e.arm, e.stratum";
    sqlite3_stmt *st = NULL;
    if (!db || !cells) return -EINVAL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -EIO;
    sqlite3_bind_int(st, 1, randomised_only ? 1 : 0);
    double wmin = INFINITY, wmax = -INFINITY;
    long n = read_cells(st, cells, cap, &wmin, &wmax);
    sqlite3_finalize(st);
    if (n < 0) return n;
    if (n > 0 && wmin != wmax) return -EINVAL;
    if (window_s) *window_s = n > 0 ? wmin : NAN;
    return n;
}

long st_report_import_cells(sqlite3 *db, int64_t import_id, st_evidence_cell *cells, size_t cap)
{
    sqlite3_stmt *st = NULL;
    if (!db || !cells) return -EINVAL;
    if (sqlite3_prepare_v2(db,
                           "SELECT arm, stratum, episodes, incidents, settled, calm, tc_sum,"
                           " tc_sumsq FROM evidence_counts WHERE import_id = ?1"
                           " ORDER BY arm, stratum",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_int64(st, 1, import_id);
    long n = read_cells(st, cells, cap, NULL, NULL);
    sqlite3_finalize(st);
    return n;
}

void st_report_arm_total(const st_evidence_cell *cells, size_t n, const char *arm,
                         st_evidence_cell *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->arm, sizeof(out->arm), "%s", arm);
    snprintf(out->stratum, sizeof(out->stratum), "all");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cells[i].arm, arm)) continue;
        out->episodes += cells[i].episodes;
        out->incidents += cells[i].incidents;
        out->settled += cells[i].settled;
        out->calm += cells[i].calm;
        out->tc_sum += cells[i].tc_sum;
        out->tc_sumsq += cells[i].tc_sumsq;
    }
}

const char *st_report_method_name(st_report_method m)
{
    switch (m) {
    case ST_METHOD_NEWCOMBE:
        return "newcombe";
    case ST_METHOD_MH:
        return "mantel-haenszel";
    case ST_METHOD_WELCH:
        return "welch";
    case ST_METHOD_STRATIFIED:
        return "stratified";
    case ST_METHOD_MN:
        return "miettinen-nurminen";
    case ST_METHOD_WALD:
        return "wald";
    }
    return "?";
}

/* One arm's counts per randomisation stratum; cells of an unknown stratum
 * share the last slot. */
#define NSLOTS (ST_EXP_STRATA + 1)
typedef struct strata {
    long n[NSLOTS], inc[NSLOTS], settled[NSLOTS];
    double tc[NSLOTS], tc2[NSLOTS];
} strata;

static void arm_strata(const st_evidence_cell *cells, size_t n, const char *arm, strata *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cells[i].arm, arm)) continue;
        int k = st_experiment_stratum_parse(cells[i].stratum);
        if (k < 0) k = ST_EXP_STRATA;
        out->n[k] += cells[i].episodes;
        out->inc[k] += cells[i].incidents;
        out->settled[k] += cells[i].settled;
        out->tc[k] += cells[i].tc_sum;
        out->tc2[k] += cells[i].tc_sumsq;
    }
}

/* Enough outcomes and non-outcomes in both arms (xt of nt, yt of mt) for
 * Sato's Wald-type variance. */
static int sato_ok(long xt, long nt, long yt, long mt)
{
    return xt >= ST_REPORT_MIN_STRAT_EVENTS && nt - xt >= ST_REPORT_MIN_STRAT_EVENTS &&
           yt >= ST_REPORT_MIN_STRAT_EVENTS && mt - yt >= ST_REPORT_MIN_STRAT_EVENTS;
}

/* A risk difference of x[] of n[] (arm) against y[] of m[] (control):
 * stratified when both arms are large enough, else crude (see report.h). */
static st_estimate risk_difference(const long *x, const long *n, long xt, long nt, const long *y,
                                   const long *m, long yt, long mt, st_report_method *how)
{
    if (nt >= ST_REPORT_MIN_EPISODES && mt >= ST_REPORT_MIN_EPISODES) {
        int events = sato_ok(xt, nt, yt, mt);
        st_estimate e = events ? st_risk_difference_mh(x, n, y, m, NSLOTS, LEVEL, NULL)
                               : st_risk_difference_mn(x, n, y, m, NSLOTS, LEVEL);
        if (isfinite(e.est) && e.hi > e.lo) {
            *how = events ? ST_METHOD_MH : ST_METHOD_MN;
            return e;
        }
    }
    *how = ST_METHOD_NEWCOMBE;
    return st_risk_difference(xt, nt, yt, mt, LEVEL);
}

/* Restricted mean time to calm with its normal 95 % interval. */
static st_estimate tc_mean(const st_evidence_cell *c)
{
    st_estimate r = {NAN, NAN, NAN};
    if (c->episodes <= 0) return r;
    double n = (double)c->episodes, m = c->tc_sum / n;
    double s2 = n > 1 ? fmax(0, (c->tc_sumsq - n * m * m) / (n - 1)) : NAN;
    double h = st_norm_quantile(0.5 + LEVEL / 2) * sqrt(s2 / n);
    r.est = m;
    r.lo = m - h;
    r.hi = m + h;
    return r;
}

long st_report_compare(const st_evidence_cell *cells, size_t n, double window_s,
                       st_report_row *rows, size_t cap)
{
    st_evidence_cell ctl;
    (void)window_s;
    st_report_arm_total(cells, n, "control", &ctl);
    if (ctl.episodes == 0) return -ENOENT;
    strata sc;
    arm_strata(cells, n, "control", &sc);
    long nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(cells[i].arm, "control")) continue;
        int seen = 0;
        for (long j = 0; j < nr && !seen; j++) seen = !strcmp(rows[j].arm.arm, cells[i].arm);
        if (seen) continue;
        if ((size_t)nr == cap) return -ENOSPC;
        st_report_row *r = &rows[nr++];
        memset(r, 0, sizeof(*r));
        st_report_arm_total(cells, n, cells[i].arm, &r->arm);
        r->control = ctl;
        const st_evidence_cell *a = &r->arm;
        r->inc_arm = st_wilson(a->incidents, a->episodes, LEVEL);
        r->inc_ctl = st_wilson(ctl.incidents, ctl.episodes, LEVEL);
        strata sa;
        arm_strata(cells, n, a->arm, &sa);
        r->rd = risk_difference(sa.inc, sa.n, a->incidents, a->episodes, sc.inc, sc.n,
                                ctl.incidents, ctl.episodes, &r->rd_method);
        r->rr = st_risk_ratio(a->incidents, a->episodes, ctl.incidents, ctl.episodes, LEVEL);
        r->settled_rd = risk_difference(sa.settled, sa.n, a->settled, a->episodes, sc.settled, sc.n,
                                        ctl.settled, ctl.episodes, &r->settled_method);
        r->tc_arm = tc_mean(a);
        r->tc_ctl = tc_mean(&ctl);
        /* Welch's t: small arms are common. */
        r->tc_diff = st_mean_difference_welch(a->tc_sum, a->tc_sumsq, a->episodes, ctl.tc_sum,
                                              ctl.tc_sumsq, ctl.episodes, LEVEL);
        r->tc_method = ST_METHOD_WELCH;
        if (a->episodes >= ST_REPORT_MIN_EPISODES && ctl.episodes >= ST_REPORT_MIN_EPISODES) {
            st_estimate e =
                st_mean_difference_strat(sa.tc, sa.tc2, sa.n, sc.tc, sc.tc2, sc.n, NSLOTS, LEVEL);
            if (isfinite(e.est) && e.hi > e.lo) {
                r->tc_diff = e;
                r->tc_method = ST_METHOD_STRATIFIED;
            }
        }
        r->too_small = a->episodes < ST_REPORT_MIN_EPISODES ||
                       ctl.episodes < ST_REPORT_MIN_EPISODES ||
                       a->incidents + ctl.incidents < ST_REPORT_MIN_EVENTS;
        r->significant = r->rd.lo > 0 || r->rd.hi < 0;
    }
    return nr;
}

/* JSON numbers: non-finite values (no data) become null. */
static void jnum(FILE *f, const char *key, double v, int comma)
{
    if (isfinite(v))
        fprintf(f, "\"%s\":%.6g%s", key, v, comma ? "," : "");
    else
        fprintf(f, "\"%s\":null%s", key, comma ? "," : "");
}

static void jest(FILE *f, const char *key, st_estimate e, int comma)
{
    fprintf(f, "\"%s\":{", key);
    jnum(f, "est", e.est, 1);
    jnum(f, "lo", e.lo, 1);
    jnum(f, "hi", e.hi, 0);
    fprintf(f, "}%s", comma ? "," : "");
}

static void warn_line(FILE *f, const st_report_row *r)
{
    fprintf(f,
            "  WARNING %s vs control: too few to conclude anything (%ld and %ld episodes, %ld "
            "incidents; need >= %d per arm and >= %d incidents)\n",
            r->arm.arm, r->arm.episodes, r->control.episodes,
            r->arm.incidents + r->control.incidents, ST_REPORT_MIN_EPISODES, ST_REPORT_MIN_EVENTS);
}

int st_report_write(FILE *out, st_report_format f, const st_report_row *rows, size_t n,
                    double window_s, const char *scope)
{
    if (f == ST_REPORT_CSV) {
        fprintf(out, "arm,episodes,incidents,control_episodes,control_incidents,rate,rate_control,"
                     "rd,rd_lo,rd_hi,rr,rr_lo,rr_hi,settled_rd,settled_rd_lo,settled_rd_hi,"
                     "tc_mean_s,tc_control_s,tc_diff_s,tc_diff_lo,tc_diff_hi,too_small,rd_method,"
                     "settled_method,tc_method\n");
        for (size_t i = 0; i < n; i++) {
            const st_report_row *r = &rows[i];
            fprintf(out,
                    "%s,%ld,%ld,%ld,%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,"
                    "%.6g,%.6g,%.6g,%.6g,%.6g,%d,%s,%s,%s\n",
                    r->arm.arm, r->arm.episodes, r->arm.incidents, r->control.episodes,
                    r->control.incidents, r->inc_arm.est, r->inc_ctl.est, r->rd.est, r->rd.lo,
                    r->rd.hi, r->rr.est, r->rr.lo, r->rr.hi, r->settled_rd.est, r->settled_rd.lo,
                    r->settled_rd.hi, r->tc_arm.est, r->tc_ctl.est, r->tc_diff.est, r->tc_diff.lo,
                    r->tc_diff.hi, r->too_small, st_report_method_name(r->rd_method),
                    st_report_method_name(r->settled_method), st_report_method_name(r->tc_method));
        }
    } else if (f == ST_REPORT_JSON) {
        fprintf(out, "{\"scope\":\"%s\",", scope ? scope : "");
        jnum(out, "window_s", window_s, 1);
        fprintf(out, "\"level\":0.95,\"comparisons\":[");
        for (size_t i = 0; i < n; i++) {
            const st_report_row *r = &rows[i];
            fprintf(out,
                    "%s{\"arm\":\"%s\",\"episodes\":%ld,\"incidents\":%ld,\"settled\":%ld,"
                    "\"control_episodes\":%ld,\"control_incidents\":%ld,\"control_settled\":%ld,",
                    i ? "," : "", r->arm.arm, r->arm.episodes, r->arm.incidents, r->arm.settled,
                    r->control.episodes, r->control.incidents, r->control.settled);
            jest(out, "incident_rate", r->inc_arm, 1);
            jest(out, "incident_rate_control", r->inc_ctl, 1);
            jest(out, "risk_difference", r->rd, 1);
            jest(out, "risk_ratio", r->rr, 1);
            jest(out, "settled_difference", r->settled_rd, 1);
            jest(out, "time_to_calm_s", r->tc_arm, 1);
            jest(out, "time_to_calm_control_s", r->tc_ctl, 1);
            jest(out, "time_to_calm_difference_s", r->tc_diff, 1);
            fprintf(out,
                    "\"methods\":{\"risk_difference\":\"%s\",\"settled_difference\":\"%s\","
                    "\"time_to_calm_difference_s\":\"%s\"},",
                    st_report_method_name(r->rd_method), st_report_method_name(r->settled_method),
                    st_report_method_name(r->tc_method));
            fprintf(out, "\"significant\":%s,\"too_small\":%s}", r->significant ? "true" : "false",
                    r->too_small ? "true" : "false");
        }
        fprintf(out, "]}\n");
    } else {
        fprintf(out,
                "evidence: %s; outcome window %.0f s; 95 %% intervals (Wilson, Katz; "
                "differences stratified by time of night and crowd when both arms have >= %d "
                "episodes, else crude: Newcombe, Welch)\n",
                scope ? scope : "", window_s, ST_REPORT_MIN_EPISODES);
        if (n == 0) fprintf(out, "  no intervention arm has episodes with an outcome yet\n");
        for (size_t i = 0; i < n; i++) {
            const st_report_row *r = &rows[i];
            fprintf(out,
                    "\n%-14s episodes %5ld  incidents %4ld  rate %5.1f%% [%4.1f, %4.1f]\n"
                    "%-14s episodes %5ld  incidents %4ld  rate %5.1f%% [%4.1f, %4.1f]\n",
                    r->arm.arm, r->arm.episodes, r->arm.incidents, 100 * r->inc_arm.est,
                    100 * r->inc_arm.lo, 100 * r->inc_arm.hi, "control", r->control.episodes,
                    r->control.incidents, 100 * r->inc_ctl.est, 100 * r->inc_ctl.lo,
                    100 * r->inc_ctl.hi);
            fprintf(out,
                    "  risk difference %+.3f [%+.3f, %+.3f] (%s)%s   risk ratio %.2f [%.2f, %.2f]\n"
                    "  settled within window: difference %+.3f [%+.3f, %+.3f] (%s)\n"
                    "  time to calm (restricted mean): %.0f s vs %.0f s, difference %+.0f s "
                    "[%+.0f, %+.0f] (%s)\n",
                    r->rd.est, r->rd.lo, r->rd.hi, st_report_method_name(r->rd_method),
                    r->significant ? " (interval excludes 0)" : "", r->rr.est, r->rr.lo, r->rr.hi,
                    r->settled_rd.est, r->settled_rd.lo, r->settled_rd.hi,
                    st_report_method_name(r->settled_method), r->tc_arm.est, r->tc_ctl.est,
                    r->tc_diff.est, r->tc_diff.lo, r->tc_diff.hi,
                    st_report_method_name(r->tc_method));
            if (r->too_small) warn_line(out, r);
        }
    }
    return ferror(out) ? -EIO : 0;
}

#define MAX_CELLS 1024

/* One city's incident risk difference and its variance, analysed as
 * randomised like st_report_compare: the Mantel-Haenszel estimate with Sato's
 * variance when both arms are large enough for it, else the crude difference
 * with the Wald variance, 0.5 added to every cell when one is empty (as in
 * st_risk_ratio) so that it stays positive. */
static int city_rd(const strata *sa, const strata *sc, double *y, double *v, st_report_method *how)
{
    long xa = 0, na = 0, xc = 0, nc = 0;
    for (int k = 0; k < NSLOTS; k++)
        xa += sa->inc[k], na += sa->n[k], xc += sc->inc[k], nc += sc->n[k];
    if (na <= 0 || nc <= 0) return 0;
    if (na >= ST_REPORT_MIN_EPISODES && nc >= ST_REPORT_MIN_EPISODES && sato_ok(xa, na, xc, nc)) {
        double var;
        st_estimate e = st_risk_difference_mh(sa->inc, sa->n, sc->inc, sc->n, NSLOTS, LEVEL, &var);
        if (isfinite(e.est) && var > 0) {
            *y = e.est;
            *v = var;
            *how = ST_METHOD_MH;
            return 1;
        }
    }
    double a = (double)xa, m = (double)na, c = (double)xc, n = (double)nc;
    if (xa == 0 || xa == na || xc == 0 || xc == nc) a += 0.5, m += 1, c += 0.5, n += 1;
    double pa = a / m, pc = c / n;
    *y = (double)xa / (double)na - (double)xc / (double)nc;
    *v = pa * (1 - pa) / m + pc * (1 - pc) / n;
    *how = ST_METHOD_WALD;
    return 1;
}

static void pool_add(st_report_pooled *out, size_t cap, long *narms, const st_evidence_cell *cells,
                     size_t n, const char *city)
{
    strata sc;
    arm_strata(cells, n, "control", &sc);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(cells[i].arm, "control")) continue;
        int first = 1; /* one entry per arm and city: its first cell stands for all */
        for (size_t m = 0; m < i && first; m++) first = strcmp(cells[m].arm, cells[i].arm) != 0;
        if (!first) continue;
        long j = 0;
        while (j < *narms && strcmp(out[j].arm, cells[i].arm)) j++;
        if (j == *narms) {
            if ((size_t)*narms == cap) continue;
            memset(&out[j], 0, sizeof(out[j]));
            snprintf(out[j].arm, sizeof(out[j].arm), "%s", cells[i].arm);
            (*narms)++;
        }
        st_report_pooled *p = &out[j];
        if (p->k == ST_REPORT_MAX_CITIES) continue;
        strata sa;
        arm_strata(cells, n, cells[i].arm, &sa);
        if (!city_rd(&sa, &sc, &p->y[p->k], &p->v[p->k], &p->method[p->k])) continue;
        snprintf(p->city[p->k], sizeof(p->city[0]), "%s", city);
        p->n_arm[p->k] = p->n_ctl[p->k] = 0;
        for (int k = 0; k < NSLOTS; k++) p->n_arm[p->k] += sa.n[k], p->n_ctl[p->k] += sc.n[k];
        p->k++;
    }
}

long st_report_pool(sqlite3 *db, st_report_pooled *out, size_t cap)
{
    st_evidence_cell *cells = calloc(MAX_CELLS, sizeof(*cells));
    sqlite3_stmt *st = NULL;
    long narms = 0, rc = 0;
    if (!cells) return -ENOMEM;
    rc = st_report_local_cells(db, 1, cells, MAX_CELLS, NULL);
    if (rc >= 0) pool_add(out, cap, &narms, cells, (size_t)rc, "local");
    if (rc >= 0 && sqlite3_prepare_v2(db, "SELECT id, city FROM evidence_imports ORDER BY id", -1,
                                      &st, NULL) != SQLITE_OK)
        rc = -EIO;
    while (rc >= 0 && sqlite3_step(st) == SQLITE_ROW) {
        char city[64];
        text_col(st, 1, city, sizeof(city));
        rc = st_report_import_cells(db, sqlite3_column_int64(st, 0), cells, MAX_CELLS);
        if (rc >= 0) pool_add(out, cap, &narms, cells, (size_t)rc, city);
    }
    sqlite3_finalize(st);
    free(cells);
    if (rc < 0) return rc;
    for (long j = 0; j < narms; j++)
        if (out[j].k) st_meta_random(out[j].y, out[j].v, out[j].k, LEVEL, 1, &out[j].meta);
    return narms;
}

int st_report_write_pooled(FILE *out, st_report_format f, const st_report_pooled *p, size_t n)
{
    if (f == ST_REPORT_JSON) {
        fprintf(out, "{\"pooled\":[");
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "%s{\"arm\":\"%s\",\"cities\":%zu,", i ? "," : "", p[i].arm, p[i].k);
            jest(out, "risk_difference", p[i].meta.pooled, 1);
            jest(out, "fixed_effect", p[i].meta.fixed, 1);
            jnum(out, "tau2", p[i].meta.tau2, 1);
            jnum(out, "i2", p[i].meta.i2, 1);
            jnum(out, "q", p[i].meta.q, 1);
            fprintf(out, "\"hartung_knapp\":%s,\"by_city\":[",
                    p[i].meta.hartung_knapp ? "true" : "false");
            for (size_t c = 0; c < p[i].k; c++) {
                fprintf(out, "%s{\"city\":\"%s\",\"episodes\":%ld,\"control_episodes\":%ld,",
                        c ? "," : "", p[i].city[c], p[i].n_arm[c], p[i].n_ctl[c]);
                jnum(out, "rd", p[i].y[c], 1);
                jnum(out, "variance", p[i].v[c], 1);
                fprintf(out, "\"method\":\"%s\"", st_report_method_name(p[i].method[c]));
                fprintf(out, "}");
            }
            fprintf(out, "]}");
        }
        fprintf(out, "]}\n");
    } else if (f == ST_REPORT_CSV) {
        fprintf(out, "arm,cities,rd,rd_lo,rd_hi,tau2,i2,q\n");
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%s,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", p[i].arm, p[i].k,
                    p[i].meta.pooled.est, p[i].meta.pooled.lo, p[i].meta.pooled.hi, p[i].meta.tau2,
                    p[i].meta.i2, p[i].meta.q);
    } else {
        fprintf(out, "pooled evidence: incident risk difference vs control, random effects "
                     "(DerSimonian-Laird tau^2, Hartung-Knapp-Sidik-Jonkman 95 %% interval)\n");
        if (n == 0) fprintf(out, "  no arm has both arm and control episodes anywhere yet\n");
        for (size_t i = 0; i < n; i++) {
            const st_report_pooled *q = &p[i];
            fprintf(out, "\n%s: %zu %s\n", q->arm, q->k, q->k == 1 ? "city" : "cities");
            for (size_t c = 0; c < q->k; c++)
                fprintf(out, "  %-24s %+.3f (se %.3f, %s)  episodes %ld vs control %ld\n",
                        q->city[c], q->y[c], sqrt(q->v[c]), st_report_method_name(q->method[c]),
                        q->n_arm[c], q->n_ctl[c]);
            if (q->k == 0) continue;
            fprintf(out, "  pooled %+.3f [%+.3f, %+.3f]   tau^2 %.4g   I^2 %.0f%%   Q %.2f\n",
                    q->meta.pooled.est, q->meta.pooled.lo, q->meta.pooled.hi, q->meta.tau2,
                    100 * q->meta.i2, q->meta.q);
            if (q->k < 2)
                fprintf(out,
                        "  WARNING %s: one city only, nothing to pool (no heterogeneity "
                        "estimate)\n",
                        q->arm);
        }
    }
    return ferror(out) ? -EIO : 0;
}

long st_report_seed_priors(sqlite3 *db, st_experiment *x, int include_local)
{
    double s[ST_EXP_MAX_ARMS + 1] = {0}, fl[ST_EXP_MAX_ARMS + 1] = {0};
    st_evidence_cell *cells = calloc(MAX_CELLS, sizeof(*cells));
    sqlite3_stmt *st = NULL;
    long rc = 0, seeded = 0;
    if (!cells) return -ENOMEM;
    if (sqlite3_prepare_v2(db, "SELECT id FROM evidence_imports ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        rc = -EIO;
    /* Pass i == 0 reads local cells, then one pass per import. */
    for (int first = 1; rc >= 0; first = 0) {
        if (first) {
            rc = include_local ? st_report_local_cells(db, 1, cells, MAX_CELLS, NULL) : 0;
        } else {
            if (sqlite3_step(st) != SQLITE_ROW) break;
            rc = st_report_import_cells(db, sqlite3_column_int64(st, 0), cells, MAX_CELLS);
        }
        for (long i = 0; i < rc; i++) {
            int arm = st_experiment_arm_find(x, cells[i].arm);
            if (arm < 0) continue;
            s[arm] += (double)cells[i].settled;
            fl[arm] += (double)(cells[i].episodes - cells[i].settled);
        }
    }
    sqlite3_finalize(st);
    free(cells);
    if (rc < 0) return rc;
    for (size_t a = 0; a < st_experiment_arm_count(x); a++)
        if (s[a] + fl[a] > 0 && st_experiment_set_prior(x, (int)a, s[a], fl[a]) == 0) seeded++;
    return seeded;
}
