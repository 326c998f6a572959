/* Zone fusion and the escalation state machine (hysteresis, hold, dwell), with traces. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/window.h"
#include "stratum/zone.h"

/* Spans of the level windows: the three configured ones plus one minute for
 * the per-minute level that feeds the hourly baselines. */
enum { SP_SHORT = 0, SP_MID, SP_LONG, SP_MINUTE };

/* Bucket width of every window: LAeq records are 1 s equivalent levels
 * (IEC 61672-1 integration over 1 s), so finer buckets would buy nothing. */
#define BUCKET_S 1.0

struct st_zone {
    st_zone_def def;
    st_zone_params p;
    double horizon_s;  /* longest span: older observations are refused */
    st_window *laeq;   /* energy 10^(L/10) of LAeq records, as measured */
    st_window *capped; /* the same, each level capped at baseline + noise_span_db */
    st_window *events; /* 1 per raucous event at or above event_min_conf */
    st_window *babble; /* crowd babble 0..1, fallback for the crowd term */
    double people;     /* latest occupancy, or the running peopleIn - peopleOut count */
    int have_people;
    double occ_t;    /* time of the newest occupancy record, -INFINITY if none */
    double last_obs; /* newest observation used, 0 if none */
    double base[24]; /* LAeq baseline per local hour, dB */
    int hour;        /* local hour of the latest evaluation */
    double minute;   /* minute number (floor(t/60)) of the last baseline update */
    int started;
    st_state state;
    double since;
    /* Start of the current continuous run of score >= enter[s] (above) and
     * score < exit[s] (below), NAN when the condition does not hold. They do not
     * depend on the state, so a hold can run through the dwell of a state. */
    double above_since[ST_STATE__COUNT], below_since[ST_STATE__COUNT];
    st_trace last; /* inputs and terms of the latest evaluation (from/to/rule unused) */
    int stale;
};

static const char *const state_names[ST_STATE__COUNT] = {"calm", "lively", "tense", "escalating",
                                                         "incident"};

const char *st_state_name(st_state s)
{
    return (unsigned)s < ST_STATE__COUNT ? state_names[s] : "unknown";
}

int st_state_parse(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < ST_STATE__COUNT; i++)
        if (!strcmp(s, state_names[i])) return i;
    return -1;
}

static int finite_in(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

static int params_ok(const st_zone_params *p)
{
    if (!finite_in(p->win_short_s, BUCKET_S, 86400) || !finite_in(p->win_mid_s, BUCKET_S, 86400) ||
        !finite_in(p->win_long_s, BUCKET_S, 86400))
        return 0;
    if (!finite_in(p->w_crowd, 0, 1) || !finite_in(p->w_noise, 0, 1) ||
        !finite_in(p->w_events, 0, 1) || !finite_in(p->w_trend, 0, 1))
        return 0;
    if (!finite_in(p->noise_span_db, 1e-6, 1e3) || !finite_in(p->event_rate_span, 1e-6, 1e6) ||
        !finite_in(p->trend_span_db, 1e-6, 1e3))
        return 0;
    if (!isfinite(p->event_min_conf) || !finite_in(p->baseline_db, -50, 200) ||
        !finite_in(p->baseline_alpha, 0, 1))
        return 0;
    for (int s = 0; s < ST_STATE__COUNT; s++)
        if (!isfinite(p->enter[s]) || !isfinite(p->exit[s]) || !finite_in(p->dwell_s[s], 0, 1e7))
            return 0;
    return finite_in(p->hold_s, 0, 1e7) && finite_in(p->stale_s, 1e-3, 1e7);
}

st_zone *st_zone_new(const st_zone_def *def, const st_zone_params *p)
{
    st_zone *z = NULL;
    if (!def || !p || !def->id[0] || !memchr(def->id, 0, sizeof(def->id)) ||
        !finite_in(def->capacity, 0, 1e9) || !params_ok(p)) {
        errno = EINVAL;
        return NULL;
    }
    z = calloc(1, sizeof(*z));
    if (!z) goto fail;
    z->def = *def;
    z->def.title[sizeof(z->def.title) - 1] = 0;
    z->p = *p;
    const double spans[] = {p->win_short_s, p->win_mid_s, p->win_long_s, 60};
    z->horizon_s = 60;
    for (size_t i = 0; i < 3; i++)
        if (spans[i] > z->horizon_s) z->horizon_s = spans[i];
    z->laeq = st_window_new(BUCKET_S, spans, 3);
    if (!z->laeq) goto fail;
    z->capped = st_window_new(BUCKET_S, spans, 4);
    if (!z->capped) goto fail;
    z->events = st_window_new(BUCKET_S, &p->win_mid_s, 1);
    if (!z->events) goto fail;
    z->babble = st_window_new(BUCKET_S, &p->win_mid_s, 1);
    if (!z->babble) goto fail;
    z->occ_t = -INFINITY;
    for (int h = 0; h < 24; h++) z->base[h] = p->baseline_db;
    z->state = ST_CALM;
    for (int s = 0; s < ST_STATE__COUNT; s++) z->above_since[s] = z->below_since[s] = NAN;
    z->last.occupancy = z->last.laeq_short = z->last.laeq_mid = z->last.laeq_long = NAN;
    z->last.baseline_db = p->baseline_db;
    z->stale = 1;
    return z;
fail: /* errno set by the allocator or st_window_new */
    st_zone_free(z);
    return NULL;
}

void st_zone_free(st_zone *z)
{
    if (!z) return;
    st_window_free(z->laeq);
    st_window_free(z->capped);
    st_window_free(z->events);
    st_window_free(z->babble);
    free(z);
}

const st_zone_def *st_zone_def_get(const st_zone *z)
{
    return &z->def;
}

int st_zone_push(st_zone *z, const st_obs *o)
{
    int rc = 0;
    if (!isfinite(o->t) || !isfinite(o->v)) return -EINVAL;
    if (z->last_obs > 0 && o->t < z->last_obs - z->horizon_s) return -EINVAL;
    switch (o->qty) {
    case ST_Q_LAEQ:
        /* Energy, not dB, is what averages: LAeq over T is 10 log10 of the mean
         * of 10^(L/10) (IEC 61672-1, 3.9). The range guard keeps pow() finite. */
        if (o->v < -50 || o->v > 200) return -EINVAL;
        rc = st_window_push(z->laeq, o->t, pow(10.0, o->v / 10.0));
        if (rc == 0) {
            /* The score sees each second capped where the noise term saturates:
             * one 95 dB shout in a 55 dB minute lifts the energy mean by 22 dB
             * but the capped mean by under 2 dB, while a sustained rise up to
             * the cap counts in full. */
            double cap = z->base[z->hour] + z->p.noise_span_db;
            rc = st_window_push(z->capped, o->t, pow(10.0, (o->v < cap ? o->v : cap) / 10.0));
        }
        break;
    case ST_Q_EVENT:
        if (o->v >= z->p.event_min_conf) rc = st_window_push(z->events, o->t, 1.0);
        break;
    case ST_Q_CROWD:
        rc = st_window_push(z->babble, o->t, o->v < 0 ? 0 : o->v > 1 ? 1 : o->v);
        break;
    case ST_Q_OCCUPANCY:
        if (o->t >= z->occ_t) { /* an older count never overwrites a newer one */
            z->people = o->v < 0 ? 0 : o->v;
            z->occ_t = o->t;
            z->have_people = 1;
        }
        break;
    case ST_Q_PEOPLE_IN:
    case ST_Q_PEOPLE_OUT:
        /* A fresh occupancy count is authoritative; flows only maintain the
         * count for zones whose counters send no occupancy. */
        if (o->t - z->occ_t > z->p.stale_s) {
            z->people += o->qty == ST_Q_PEOPLE_IN ? o->v : -o->v;
            if (z->people < 0) z->people = 0;
            z->have_people = 1;
        }
        break;
    default:
        return 0; /* a quantity fusion does not use */
    }
    if (rc < 0) return rc;
    if (o->t > z->last_obs) z->last_obs = o->t;
    return 0;
}

static double clamp01(double v)
{
    return v > 0 ? (v < 1 ? v : 1) : 0; /* NaN gives 0 */
}

static double laeq_of(const st_window *w, size_t span)
{
    double sum, n;
    st_window_get(w, span, &sum, &n);
    return n > 0 && sum > 0 ? 10.0 * log10(sum / n) : NAN;
}

/* Fill z->last with inputs, terms and score at time now. */
static void fuse(st_zone *z, double now, int hour)
{
    const st_zone_params *p = &z->p;
    st_trace *c = &z->last;
    double sum, n;

    st_window_advance(z->laeq, now);
    st_window_advance(z->capped, now);
    st_window_advance(z->events, now);
    st_window_advance(z->babble, now);

    /* Baseline: one EWMA step per minute from that minute's LAeq, only while
     * calm or lively, so that an escalation does not raise its own yardstick. */
    double minute = floor(now / 60.0);
    if (minute > z->minute) {
        double l60 = laeq_of(z->capped, SP_MINUTE); /* spikes barely move it */
        if (z->state <= ST_LIVELY && isfinite(l60))
            z->base[hour] += p->baseline_alpha * (l60 - z->base[hour]);
        z->minute = minute;
    }

    c->t = now;
    c->laeq_short = laeq_of(z->laeq, SP_SHORT);
    c->laeq_mid = laeq_of(z->laeq, SP_MID);
    c->laeq_long = laeq_of(z->laeq, SP_LONG);
    c->baseline_db = z->base[hour];
    st_window_get(z->events, 0, &sum, &n);
    c->event_rate = sum * 60.0 / st_window_span_s(z->events, 0);
    c->occupancy = z->have_people ? z->people : NAN;

    double crowd = 0;
    if (z->have_people) {
        crowd = z->def.capacity > 0 ? z->people / z->def.capacity : 0;
    } else {
        st_window_get(z->babble, 0, &sum, &n);
        crowd = n > 0 ? sum / n : 0; /* no counter here: audio babble stands in */
    }
    z->stale = z->last_obs <= 0 || now - z->last_obs > p->stale_s;
    if (z->stale) {
        /* No evidence is no escalation: the score falls to 0, so the zone walks
         * back to calm through the ordinary exit, hold and dwell rules. */
        c->term_crowd = c->term_noise = c->term_events = c->term_trend = 0;
    } else {
        c->term_crowd = p->w_crowd * clamp01(crowd);
        double mid = laeq_of(z->capped, SP_MID), lshort = laeq_of(z->capped, SP_SHORT),
               llong = laeq_of(z->capped, SP_LONG);
        c->term_noise = p->w_noise * clamp01((mid - c->baseline_db) / p->noise_span_db);
        c->term_events = p->w_events * clamp01(c->event_rate / p->event_rate_span);
        c->term_trend = p->w_trend * clamp01((lshort - llong) / p->trend_span_db);
    }
    c->score = clamp01(c->term_crowd + c->term_noise + c->term_events + c->term_trend);
}

static void track(double *since, int holds, double now)
{
    if (!holds)
        *since = NAN;
    else if (isnan(*since))
        *since = now;
}

int st_zone_eval(st_zone *z, double now, int hour_of_night, st_trace *tr)
{
    const st_zone_params *p = &z->p;
    if (!isfinite(now)) return 0;
    int hour = ((hour_of_night % 24) + 24) % 24;
    z->hour = hour;
    if (!z->started) {
        z->started = 1;
        z->since = now;
        z->minute = floor(now / 60.0);
    }
    fuse(z, now, hour);
    const double score = z->last.score;
    for (int s = ST_LIVELY; s < ST_STATE__COUNT; s++) {
        track(&z->above_since[s], score >= p->enter[s], now);
        track(&z->below_since[s], score < p->exit[s], now);
    }

    const st_state cur = z->state;
    const double dwell = now - z->since;
    if (dwell < p->dwell_s[cur]) return 0;

    int to = -1;
    double threshold = 0, held = 0;
    if (!z->stale) {
        for (int s = ST_STATE__COUNT - 1; s > (int)cur; s--) {
            if (!isnan(z->above_since[s]) && now - z->above_since[s] >= p->hold_s) {
                to = s;
                threshold = p->enter[s];
                held = now - z->above_since[s];
                break;
            }
        }
    }
    if (to < 0 && cur > ST_CALM && !isnan(z->below_since[cur]) &&
        now - z->below_since[cur] >= p->hold_s) {
        /* Land in the highest lower state the score would not leave: the one
         * whose exit threshold it still meets (calm always qualifies). */
        to = ST_CALM;
        for (int s = (int)cur - 1; s > ST_CALM; s--) {
            if (score >= p->exit[s]) {
                to = s;
                break;
            }
        }
        threshold = p->exit[cur];
        held = now - z->below_since[cur];
    }
    if (to < 0) return 0;

    if (tr) {
        *tr = z->last;
        tr->from = cur;
        tr->to = (st_state)to;
        tr->threshold = threshold;
        tr->held_s = held;
        tr->dwell_s = dwell;
        int k = 0;
        if (z->stale)
            k = snprintf(tr->rule, sizeof(tr->rule),
                         "inputs stale (none for %.0f s > %.0f s), score 0; ",
                         z->last_obs > 0 ? now - z->last_obs : INFINITY, p->stale_s);
        if (k < 0 || (size_t)k >= sizeof(tr->rule)) k = 0;
        if (to > (int)cur)
            snprintf(tr->rule + k, sizeof(tr->rule) - (size_t)k,
                     "score %.2f >= enter[%s] %.2f held %.0f s; dwell in %s %.0f s >= %.0f s",
                     score, st_state_name((st_state)to), threshold, held, st_state_name(cur), dwell,
                     p->dwell_s[cur]);
        else
            snprintf(tr->rule + k, sizeof(tr->rule) - (size_t)k,
                     "score %.2f < exit[%s] %.2f held %.0f s; dwell in %s %.0f s >= %.0f s; "
                     "down to %s",
                     score, st_state_name(cur), threshold, held, st_state_name(cur), dwell,
                     p->dwell_s[cur], st_state_name((st_state)to));
    }
    z->state = (st_state)to;
    z->since = now;
    return 1;
}

void st_zone_status_get(const st_zone *z, double now, st_zone_status *out)
{
    out->state = z->state;
    out->since = z->started ? z->since : 0;
    out->score = z->last.score;
    out->occupancy = z->last.occupancy;
    out->laeq_mid = z->last.laeq_mid;
    out->event_rate = z->last.event_rate;
    out->last_obs = z->last_obs;
    out->stale = z->last_obs <= 0 || now - z->last_obs > z->p.stale_s;
}

/* Append helpers for st_trace_to_json: track the length even past cap so the
 * caller can report -ENOSPC once at the end. */
typedef struct jbuf {
    char *p;
    size_t cap, len;
} jbuf;

static void jput(jbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, b->len++)
        if (b->len + 1 < b->cap) b->p[b->len] = s[i];
}

static void jstr(jbuf *b, const char *s)
{
    jput(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            jput(b, esc, 2);
        } else if (ch < 0x20) { /* RFC 8259 section 7: control characters escaped */
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
            jput(b, esc, 6);
        } else {
            jput(b, s, 1);
        }
    }
    jput(b, "\"", 1);
}

static void jnum(jbuf *b, const char *key, double v, const char *fmt)
{
    char tmp[48];
    int n;
    jput(b, ",\"", 2);
    jput(b, key, strlen(key));
    jput(b, "\":", 2);
    if (!isfinite(v)) /* JSON has no NaN or infinity */
        n = snprintf(tmp, sizeof(tmp), "null");
    else
        n = snprintf(tmp, sizeof(tmp), fmt, v);
    jput(b, tmp, (size_t)n);
}

int st_trace_to_json(const st_trace *tr, const char *zone, char *buf, size_t cap)
{
    jbuf b = {buf, cap, 0};
    jput(&b, "{\"zone\":", 8);
    jstr(&b, zone ? zone : "");
    jnum(&b, "t", tr->t, "%.3f");
    jput(&b, ",\"from\":", 8);
    jstr(&b, st_state_name(tr->from));
    jput(&b, ",\"to\":", 6);
    jstr(&b, st_state_name(tr->to));
    jnum(&b, "score", tr->score, "%.6g");
    jnum(&b, "occupancy", tr->occupancy, "%.6g");
    jnum(&b, "laeq_short", tr->laeq_short, "%.6g");
    jnum(&b, "laeq_mid", tr->laeq_mid, "%.6g");
    jnum(&b, "laeq_long", tr->laeq_long, "%.6g");
    jnum(&b, "baseline_db", tr->baseline_db, "%.6g");
    jnum(&b, "event_rate", tr->event_rate, "%.6g");
    jnum(&b, "term_crowd", tr->term_crowd, "%.6g");
    jnum(&b, "term_noise", tr->term_noise, "%.6g");
    jnum(&b, "term_events", tr->term_events, "%.6g");
    jnum(&b, "term_trend", tr->term_trend, "%.6g");
    jnum(&b, "threshold", tr->threshold, "%.6g");
    jnum(&b, "held_s", tr->held_s, "%.6g");
    jnum(&b, "dwell_s", tr->dwell_s, "%.6g");
    jput(&b, ",\"rule\":", 8);
    char rule[sizeof(tr->rule) + 1];
    memcpy(rule, tr->rule, sizeof(tr->rule));
    rule[sizeof(tr->rule)] = 0; /* tolerate an unterminated rule */
    jstr(&b, rule);
    jput(&b, "}", 1);
    if (b.len + 1 > cap) {
        if (cap) buf[0] = 0;
        return -ENOSPC;
    }
    buf[b.len] = 0;
    return (int)b.len;
}
