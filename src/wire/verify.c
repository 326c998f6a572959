/* Ingest checks for signed envelopes in a fixed order, cheapest first, each one counted. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/verify.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/ratelimit.h"
#include "stratum/senml.h"
#include "stratum/sigenv.h"

#define MOD "ingest"

struct st_verify {
    st_verify_params p;
    st_registry *reg;
    st_log *log;
    st_ratelimit *rl;
    st_senml *senml;
    _Atomic uint64_t count[ST_V__COUNT];
    _Atomic uint64_t records;
    double guard_until; /* restart guard: timestamps at or before are refused */
    double next_save, next_stats, next_reload;
    uint64_t logged_total; /* messages counted at the last stats line */
    double *alerted;       /* last quarantine alert per registry index */
    size_t nalerted;
    st_verify_alert_fn alert;
    void *alert_ctx;
};

static const char *const verdict_names[ST_V__COUNT] = {
    "accepted", "rate-limited", "malformed",   "unknown-device", "revoked", "bad-signature",
    "replayed", "stale",        "quarantined", "bad-payload",    "dropped",
};

const char *st_verdict_name(st_verdict v)
{
    return (unsigned)v < ST_V__COUNT ? verdict_names[v] : "?";
}

void st_verify_params_default(st_verify_params *p)
{
    memset(p, 0, sizeof(*p));
    p->rate = 20;
    p->burst = 40;
    p->max_age_s = 120;
    p->max_future_s = 5;
    p->save_every_s = 1;
    p->stats_every_s = 60;
    p->alert_every_s = 600;
    p->max_devices = 8192;
    p->max_records = ST_SENML_MAX_RECORDS;
}

st_verify *st_verify_new(const st_verify_params *p, st_registry *reg, st_log *log)
{
    st_verify *v = NULL;
    int err = EINVAL;
    if (!p || !reg || !(p->rate > 0) || !(p->burst >= 1) || !(p->max_age_s > 0) ||
        !(p->max_future_s >= 0) || !(p->save_every_s > 0) || !(p->stats_every_s >= 0) ||
        !(p->alert_every_s >= 0) || p->max_devices == 0 || p->max_records == 0 ||
        p->max_records > ST_SENML_MAX_RECORDS)
        goto fail;
    err = EIO;
    if (sodium_init() < 0) goto fail;
    err = ENOMEM;
    v = calloc(1, sizeof(*v));
    if (!v) goto fail;
    v->p = *p;
    v->reg = reg;
    v->log = log;
    v->rl = st_ratelimit_new(p->max_devices, p->rate, p->burst);
    v->senml = st_senml_new(p->max_records);
    v->nalerted = p->max_devices;
    v->alerted = calloc(v->nalerted, sizeof(*v->alerted));
    if (!v->rl || !v->senml || !v->alerted) goto fail;
    int rc = st_registry_counters_restore(reg, p->save_every_s, p->max_future_s, &v->guard_until);
    if (rc) {
        err = -rc;
        goto fail;
    }
    return v;
fail:
    st_verify_free(v);
    errno = err;
    return NULL;
}

void st_verify_free(st_verify *v)
{
    if (!v) return;
    if (v->reg && v->rl && v->senml) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (st_registry_counters_save(v->reg, ts.tv_sec + ts.tv_nsec * 1e-9, 1) != 0)
            st_error(v->log, MOD, "could not save replay counters at shutdown");
    }
    st_ratelimit_free(v->rl);
    st_senml_free(v->senml);
    free(v->alerted);
    free(v);
}

void st_verify_set_alert(st_verify *v, st_verify_alert_fn fn, void *ctx)
{
    v->alert = fn;
    v->alert_ctx = ctx;
}

void st_verify_count(st_verify *v, st_verdict verdict)
{
    if ((unsigned)verdict < ST_V__COUNT)
        atomic_fetch_add_explicit(&v->count[verdict], 1, memory_order_relaxed);
}

st_verdict st_verify_admit(st_verify *v, const char *id, size_t len, double mono)
{
    if (st_ratelimit_allow(v->rl, id, len, mono)) return ST_V_ACCEPTED;
    st_verify_count(v, ST_V_RATE_LIMITED);
    return ST_V_RATE_LIMITED;
}

static st_verdict done(st_verify *v, st_verdict verdict, st_verify_info *info, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static st_verdict done(st_verify *v, st_verdict verdict, st_verify_info *info, const char *fmt, ...)
{
    st_verify_count(v, verdict);
    if (info && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(info->why, sizeof(info->why), fmt, ap);
        va_end(ap);
    }
    return verdict;
}

static void quarantine_alert(st_verify *v, size_t i, const char *id, const char *why, double now)
{
    if (i < v->nalerted && v->alerted[i] > 0 && now - v->alerted[i] < v->p.alert_every_s) return;
    if (i < v->nalerted) v->alerted[i] = now;
    st_warn(v->log, MOD, "device %s quarantined: %s", id, why);
    if (v->alert) v->alert(v->alert_ctx, id, why);
}

/* Sets pre's verdict and reason; counts nothing (st_verify_finish counts). */
static void pre_fail(st_verify_pre *pre, st_verdict verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pre_fail(st_verify_pre *pre, st_verdict verdict, const char *fmt, ...)
{
    va_list ap;
    pre->verdict = verdict;
    va_start(ap, fmt);
    vsnprintf(pre->why, sizeof(pre->why), fmt, ap);
    va_end(ap);
}

void st_verify_precheck(const st_verify *v, const char *topic_device, const uint8_t *buf,
                        size_t len, st_verify_pre *pre)
{
    st_sigenv_view *e = &pre->env;
    pre->verdict = ST_V_ACCEPTED;
    pre->parsed = 0;
    pre->index = -1;
    pre->why[0] = 0;
    int rc = st_sigenv_parse(buf, len, e);
    if (rc) {
        pre_fail(pre, ST_V_MALFORMED, "not a signed envelope (%s)", strerror(-rc));
        return;
    }
    pre->parsed = 1;
    if (topic_device &&
        (strlen(topic_device) != e->id_len || memcmp(topic_device, e->id, e->id_len) != 0)) {
        pre_fail(pre, ST_V_MALFORMED, "topic names device %s, envelope %.*s", topic_device,
                 (int)e->id_len, e->id);
        return;
    }
    long i = st_registry_find(v->reg, e->id, e->id_len);
    if (i < 0) {
        pre_fail(pre, ST_V_UNKNOWN, "device not registered");
        return;
    }
    pre->index = i;
    const st_device *d = st_registry_device(v->reg, (size_t)i);
    if (d->revoked > 0) {
        pre_fail(pre, ST_V_REVOKED, "device revoked");
        return;
    }
    if (st_sigenv_verify(e, d->pk) != 0)
        pre_fail(pre, ST_V_BAD_SIGNATURE, "signature does not verify with key %d", d->key_version);
}

st_verdict st_verify_finish(st_verify *v, const st_verify_pre *pre, double now, const st_obs **obs,
                            size_t *n, st_verify_info *info)
{
    const st_sigenv_view *e = &pre->env;
    *n = 0;
    *obs = NULL;
    if (info) memset(info, 0, sizeof(*info));
    if (info && pre->parsed) {
        snprintf(info->device, sizeof(info->device), "%.*s", (int)e->id_len, e->id);
        snprintf(info->version, sizeof(info->version), "%.*s", (int)e->version_len, e->version);
        info->counter = e->counter;
        info->t = (double)e->t_us * 1e-6;
    }
    if (pre->verdict != ST_V_ACCEPTED) return done(v, pre->verdict, info, "%s", pre->why);
    size_t i = (size_t)pre->index;
    const st_device *d = st_registry_device(v->reg, i);
    st_replay_verdict rv = st_replay_accept(st_registry_window(v->reg, i), e->counter);
    if (rv != ST_REPLAY_OK)
        return done(v, ST_V_REPLAYED, info, "counter %llu %s", (unsigned long long)e->counter,
                    st_replay_verdict_name(rv));
    double t = (double)e->t_us * 1e-6;
    if (t <= v->guard_until)
        return done(v, ST_V_REPLAYED, info,
                    "stamped before the restart guard (unclean shutdown of the last ingest)");
    if (!(t >= now - v->p.max_age_s) || !(t <= now + v->p.max_future_s))
        return done(v, ST_V_STALE, info, "timestamp %.3f is %.3f s from now", t, t - now);
    if (st_registry_note_version(v->reg, i, e->version, e->version_len) != 0)
        st_warn(v->log, MOD, "device %s: could not record version", d->id);
    char why[128];
    if (st_registry_policy_check(v->reg, i, e->version, e->version_len, now, why, sizeof(why))) {
        if (st_registry_keep_quarantined(v->reg, i, e->counter, t, e->version, e->version_len, why,
                                         e->payload, e->payload_len, now))
            st_error(v->log, MOD, "device %s: quarantined message could not be kept", d->id);
        quarantine_alert(v, i, d->id, why, now);
        return done(v, ST_V_QUARANTINED, info, "%s", why);
    }
    const st_obs *o;
    st_senml_err serr;
    int k = st_senml_parse(v->senml, e->payload, e->payload_len, t, &o, &serr);
    if (k < 0) {
        char msg[200];
        st_senml_err_format(&serr, msg, sizeof(msg));
        return done(v, ST_V_BAD_PAYLOAD, info, "SenML: %s", msg);
    }
    /* The signature proves who sent the pack, not what it claims: every record
     * must be about this device, in the zone it is registered in. */
    for (int j = 0; j < k; j++)
        if (strcmp(o[j].device, d->id) != 0 || strcmp(o[j].zone, d->zone) != 0)
            return done(v, ST_V_BAD_PAYLOAD, info,
                        "record %d is %s/%s, device is registered as %s/%s", j, o[j].zone,
                        o[j].device, d->zone, d->id);
    *obs = o;
    *n = (size_t)k;
    atomic_fetch_add_explicit(&v->records, (uint64_t)k, memory_order_relaxed);
    return done(v, ST_V_ACCEPTED, NULL, NULL);
}

st_verdict st_verify_message(st_verify *v, const char *topic_device, const uint8_t *buf, size_t len,
                             double now, const st_obs **obs, size_t *n, st_verify_info *info)
{
    st_verify_pre pre;
    st_verify_precheck(v, topic_device, buf, len, &pre);
    return st_verify_finish(v, &pre, now, obs, n, info);
}

void st_verify_stats_get(const st_verify *v, st_verify_stats *out)
{
    for (int i = 0; i < ST_V__COUNT; i++)
        out->count[i] = atomic_load_explicit(&v->count[i], memory_order_relaxed);
    out->records = atomic_load_explicit(&v->records, memory_order_relaxed);
}

void st_verify_stats_format(const st_verify_stats *s, char *buf, size_t cap)
{
    size_t off = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < ST_V__COUNT && off < cap; i++) {
        int w = snprintf(buf + off, cap - off, "%s%s %llu", i ? ", " : "", verdict_names[i],
                         (unsigned long long)s->count[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
    if (off < cap) snprintf(buf + off, cap - off, "; records %llu", (unsigned long long)s->records);
}

int st_verify_tick(st_verify *v, double now)
{
    int err = 0;
    if (now >= v->next_save) {
        v->next_save = now + v->p.save_every_s;
        err = st_registry_counters_save(v->reg, now, 0);
    }
    if (now >= v->next_reload) {
        v->next_reload = now + 1.0;
        int rc = st_registry_reload(v->reg);
        if (rc == 1) {
            st_info(v->log, MOD, "device registry changed: %zu devices reloaded",
                    st_registry_count(v->reg));
            memset(v->alerted, 0, v->nalerted * sizeof(*v->alerted));
        } else if (rc < 0 && !err) {
            err = rc;
        }
    }
    if (v->p.stats_every_s > 0 && now >= v->next_stats) {
        st_verify_stats s;
        st_verify_stats_get(v, &s);
        uint64_t total = 0;
        for (int i = 0; i < ST_V__COUNT; i++) total += s.count[i];
        if (v->next_stats > 0 && total != v->logged_total) {
            char line[512];
            st_verify_stats_format(&s, line, sizeof(line));
            st_info(v->log, MOD, "%s", line);
        }
        v->logged_total = total;
        v->next_stats = now + v->p.stats_every_s;
    }
    return err;
}
