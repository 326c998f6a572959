/* Effect report: episode counts per arm and stratum, each intervention arm
 * against control (incident risk difference and ratio with 95 % intervals,
 * time to calm), and random-effects pooling across cities. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_REPORT_H
#define STRATUM_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "stratum/experiment.h"
#include "stratum/stats.h"
#include "stratum/store.h"

struct sqlite3;

/* Below these, a comparison is flagged "too few to conclude": fewer than
 * ST_REPORT_MIN_EPISODES episodes in either arm, or fewer than
 * ST_REPORT_MIN_EVENTS incidents in both arms together. */
#define ST_REPORT_MIN_EPISODES 30
#define ST_REPORT_MIN_EVENTS   10

/* Analyse as randomised: the arms were balanced within the randomisation
 * strata (time of night x crowd), so once each arm has at least
 * ST_REPORT_MIN_EPISODES episodes the differences are stratified by them
 * (Mantel-Haenszel weights); the crude intervals over-cover when the strata
 * predict the outcome. A risk difference takes Sato's variance when each arm
 * has ST_REPORT_MIN_STRAT_EVENTS outcomes and as many non-outcomes, else the
 * stratified Miettinen-Nurminen score interval, which keeps its coverage with
 * few or no outcomes where a Wald-type interval does not. Below
 * ST_REPORT_MIN_EPISODES the crude Newcombe and Welch intervals are used.
 * docs/evidence.md gives the coverage measured for each. */
#define ST_REPORT_MIN_STRAT_EVENTS 5

typedef enum st_report_method {
    ST_METHOD_NEWCOMBE = 0, /* crude risk difference, Newcombe hybrid score */
    ST_METHOD_MH,           /* stratified risk difference, Mantel-Haenszel with Sato's variance */
    ST_METHOD_WELCH,        /* crude difference of means, Welch t */
    ST_METHOD_STRATIFIED,   /* stratified difference of means, normal */
    ST_METHOD_MN,           /* stratified risk difference, Miettinen-Nurminen score */
    ST_METHOD_WALD          /* crude risk difference, Wald variance (a city in a pooled report) */
} st_report_method;

/* "newcombe", "mantel-haenszel", "welch", "stratified", "miettinen-nurminen", "wald". */
const char *st_report_method_name(st_report_method m);

/* Load this installation's finished episodes, summed per (arm, stratum), into
 * cells[0..cap) (caller-owned). Only randomised episodes (policy "random") when
 * randomised_only, else all (pinned, Thompson and rules episodes are not
 * randomised comparisons: observational). *window_s receives the outcome
 * window (-EINVAL if episodes with different windows are mixed). db is borrowed.
 * Returns the number of cells or a negative errno (-ENOSPC if cap is short). */
long st_report_local_cells(struct sqlite3 *db, int randomised_only, st_evidence_cell *cells,
                           size_t cap, double *window_s);

/* The same for imported bundle `import_id`. */
long st_report_import_cells(struct sqlite3 *db, int64_t import_id, st_evidence_cell *cells,
                            size_t cap);

/* Totals of one arm over all strata. */
void st_report_arm_total(const st_evidence_cell *cells, size_t n, const char *arm,
                         st_evidence_cell *out);

/* One intervention arm against control. Plain data. */
typedef struct st_report_row {
    st_evidence_cell arm, control; /* totals (stratum "all") */
    st_estimate inc_arm, inc_ctl;  /* incident rates, Wilson 95 % */
    st_estimate rd;                /* incident risk difference arm - control, 95 % (rd_method) */
    st_estimate rr;                /* incident risk ratio, Katz 95 % */
    st_estimate settled_rd;        /* settled-within-window difference, 95 % (settled_method) */
    st_estimate tc_arm, tc_ctl;    /* restricted mean time to calm (min(T, window)), s */
    st_estimate tc_diff;           /* its difference arm - control, s, 95 % (tc_method) */
    st_report_method rd_method, settled_method, tc_method; /* how each interval was made */
    int too_small;                                         /* see ST_REPORT_MIN_* */
    int significant;                                       /* rd interval excludes 0 */
} st_report_row;

/* Compare every arm found in cells (other than "control") with control.
 * rows[0..cap) caller-owned. Returns the number of rows, or -ENOENT when
 * there is no control episode, -ENOSPC if cap is short. */
long st_report_compare(const st_evidence_cell *cells, size_t n, double window_s,
                       st_report_row *rows, size_t cap);

typedef enum st_report_format {
    ST_REPORT_TEXT = 0,
    ST_REPORT_JSON,
    ST_REPORT_CSV
} st_report_format;

/* Write rows (and a too-small warning per row) to out. 0 or -EIO. */
int st_report_write(FILE *out, st_report_format f, const st_report_row *rows, size_t n,
                    double window_s, const char *scope);

/* One arm's pooled estimate across cities. Plain data. */
#define ST_REPORT_MAX_CITIES 64
typedef struct st_report_pooled {
    char arm[ST_ID_MAX];
    size_t k;                                                /* cities with both arms */
    char city[ST_REPORT_MAX_CITIES][64];                     /* "local" or the bundle's city */
    double y[ST_REPORT_MAX_CITIES], v[ST_REPORT_MAX_CITIES]; /* each city's RD and variance */
    st_report_method method[ST_REPORT_MAX_CITIES];           /* ST_METHOD_MH or ST_METHOD_WALD */
    long n_arm[ST_REPORT_MAX_CITIES], n_ctl[ST_REPORT_MAX_CITIES];
    st_meta meta; /* DerSimonian-Laird with the Hartung-Knapp-Sidik-Jonkman interval */
} st_report_pooled;

/* Pool the incident risk difference of each arm against control over this
 * installation (randomised episodes) and every imported bundle. Each city's
 * difference is stratified as in st_report_compare when its arms are large
 * enough for Sato's variance, else crude with the Wald variance. out[0..cap)
 * caller-owned. Returns the number of arms pooled or a negative errno. */
long st_report_pool(struct sqlite3 *db, st_report_pooled *out, size_t cap);

int st_report_write_pooled(FILE *out, st_report_format f, const st_report_pooled *p, size_t n);

/* Seed x's Thompson priors with the settled / not settled counts of every arm
 * it knows, summed over imported bundles (and, if include_local, this
 * installation's randomised episodes). Returns the number of arms seeded or a
 * negative errno. */
long st_report_seed_priors(struct sqlite3 *db, st_experiment *x, int include_local);

#endif
