/* Rule policy: (state entered, hour of night) -> interventions, with per-zone cool-downs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/policy.h"

struct st_policy {
    st_rule *rules;
    size_t nrules, nzones;
    double *last_fired; /* [rule * nzones + zone], NAN if never */
};

static const char *const kind_names[] = {"scene", "music", "alert"};

const char *st_act_kind_name(st_act_kind k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "unknown";
}

static int rule_ok(const st_rule *r)
{
    return memchr(r->name, 0, sizeof(r->name)) && memchr(r->scene, 0, sizeof(r->scene)) &&
           memchr(r->music, 0, sizeof(r->music)) && memchr(r->alert, 0, sizeof(r->alert)) &&
           r->hour_from >= 0 && r->hour_from <= 23 && r->hour_to >= 0 && r->hour_to <= 24 &&
           isfinite(r->cooldown_s) && r->cooldown_s >= 0;
}

st_policy *st_policy_new(const st_rule *rules, size_t nrules, size_t nzones)
{
    st_policy *p = NULL;
    if ((nrules && !rules) || nrules > 4096 || nzones > 65536) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < nrules; i++) {
        if (!rule_ok(&rules[i])) {
            errno = EINVAL;
            return NULL;
        }
    }
    p = calloc(1, sizeof(*p));
    if (!p) goto fail;
    p->nrules = nrules;
    p->nzones = nzones;
    /* One extra element keeps calloc away from the implementation-defined size 0. */
    p->rules = calloc(nrules + 1, sizeof(*p->rules));
    p->last_fired = calloc(nrules * nzones + 1, sizeof(*p->last_fired));
    if (!p->rules || !p->last_fired) goto fail;
    if (nrules) memcpy(p->rules, rules, nrules * sizeof(*rules));
    for (size_t i = 0; i < nrules * nzones; i++) p->last_fired[i] = NAN;
    return p;
fail: /* errno set by the allocator */
    st_policy_free(p);
    return NULL;
}

void st_policy_free(st_policy *p)
{
    if (!p) return;
    free(p->rules);
    free(p->last_fired);
    free(p);
}

/* [from, to) in local hours, wrapping past midnight; from == to is all night. */
static int hour_matches(const st_rule *r, int h)
{
    if (r->hour_from == r->hour_to) return 1;
    if (r->hour_from < r->hour_to) return h >= r->hour_from && h < r->hour_to;
    return h >= r->hour_from || h < r->hour_to;
}

/* "noise +9.8 dB over baseline" etc.; NaN inputs are said to be unknown. */
static void describe(char *buf, size_t cap, const char *zone, const st_trace *tr)
{
    char noise[48], occ[32];
    if (isfinite(tr->laeq_mid))
        snprintf(noise, sizeof(noise), "noise %+.1f dB over baseline",
                 tr->laeq_mid - tr->baseline_db);
    else
        snprintf(noise, sizeof(noise), "no noise level");
    if (isfinite(tr->occupancy))
        snprintf(occ, sizeof(occ), "occupancy %.0f", tr->occupancy);
    else
        snprintf(occ, sizeof(occ), "occupancy unknown");
    snprintf(buf, cap, "%s %s->%s (score %.2f: %s, %.1f events/min, %s)", zone,
             st_state_name(tr->from), st_state_name(tr->to), tr->score, noise, tr->event_rate, occ);
}

size_t st_policy_decide(st_policy *p, size_t zone_idx, const char *zone, const st_trace *tr,
                        int hour_of_night, int64_t transition_id, st_intervention *out, size_t max)
{
    size_t n = 0;
    char why[200];
    if (!p || !tr || !zone || zone_idx >= p->nzones || (unsigned)tr->to >= ST_STATE__COUNT)
        return 0;
    int hour = ((hour_of_night % 24) + 24) % 24;
    describe(why, sizeof(why), zone, tr);
    for (size_t r = 0; r < p->nrules && n < max; r++) {
        const st_rule *rule = &p->rules[r];
        double *last = &p->last_fired[r * p->nzones + zone_idx];
        if (!(rule->states & (1u << tr->to)) || !hour_matches(rule, hour)) continue;
        if (!isnan(*last) && tr->t - *last < rule->cooldown_s) continue;
        const char *actions[] = {rule->scene, rule->music, rule->alert};
        size_t fired = 0;
        for (int k = ST_ACT_SCENE; k <= ST_ACT_ALERT && n < max; k++) {
            if (!actions[k][0]) continue;
            st_intervention *iv = &out[n++];
            memset(iv, 0, sizeof(*iv));
            iv->t = tr->t;
            snprintf(iv->zone, sizeof(iv->zone), "%s", zone);
            iv->kind = (st_act_kind)k;
            snprintf(iv->name, sizeof(iv->name), "%s", actions[k]);
            snprintf(iv->rule, sizeof(iv->rule), "%s", rule->name);
            iv->from = tr->from;
            iv->to = tr->to;
            iv->transition_id = transition_id;
            /* A reason longer than the field is cut, never overflowed. */
            if (snprintf(iv->reason, sizeof(iv->reason), "%s matched rule %s: %s %s", why,
                         rule->name, st_act_kind_name(iv->kind), iv->name) < 0)
                iv->reason[0] = 0;
            fired++;
        }
        if (fired) *last = tr->t;
    }
    return n;
}
