/* Street lighting: patch, scenes, fades, the safety envelope and sACN / Art-Net output. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/light.h"

typedef struct lamp_rt {
    double from_l, from_k, to_l, to_k; /* the fade in progress */
    double t0, dur;
    double out_l, out_k; /* last output, after the envelope */
    int uidx;            /* index into universes */
    int scene;           /* index of the scene last asked for, -1 for a lamp command */
    int moving;          /* fading, or still held back by the envelope */
} lamp_rt;

typedef struct universe_rt {
    int universe;
    uint8_t frame[ST_SACN_SLOTS_MAX];
    size_t nslots; /* highest patched channel */
    double last_send;
    int dirty;  /* frame changed since the last send */
    int moving; /* some lamp in it is changing */
    int force;  /* send on the next tick regardless of timing */
} universe_rt;

struct st_light {
    st_light_params p;
    st_log *log;
    st_sacn *sacn;
    st_artnet *artnet;
    st_envelope *env;
    int safe_idx;
    double last_t; /* time of the last computed frame */
    uint64_t packets, errors, errors_logged;
    double last_err_log;
    size_t nu;
    universe_rt u[ST_LIGHT_MAX_UNIVERSES];
    lamp_rt lamps[ST_LIGHT_MAX_LAMPS];
};

const char *st_light_layout_name(st_light_layout l)
{
    switch (l) {
    case ST_LIGHT_DIM:
        return "dim";
    case ST_LIGHT_CCT:
        return "dim+cct";
    case ST_LIGHT_RGB:
        return "dim+cct+rgb";
    }
    return "?";
}

st_light_layout st_light_layout_parse(const char *s)
{
    if (!s) return 0;
    if (!strcmp(s, "dim")) return ST_LIGHT_DIM;
    if (!strcmp(s, "dim+cct")) return ST_LIGHT_CCT;
    if (!strcmp(s, "dim+cct+rgb")) return ST_LIGHT_RGB;
    return 0;
}

static void add_scene(st_light_params *p, const char *name, double level, double k, double fade)
{
    if (p->nscenes >= ST_LIGHT_MAX_SCENES) return;
    st_scene_def *s = &p->scenes[p->nscenes++];
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->level = level;
    s->kelvin = k;
    s->fade_s = fade;
}

void st_light_params_default(st_light_params *p, const st_zone_def *zones, size_t nzones)
{
    memset(p, 0, sizeof(*p));
    for (size_t z = 0; z < nzones && z < ST_LIGHT_MAX_UNIVERSES; z++) {
        for (int i = 0; i < zones[z].lamps && p->nlamps < ST_LIGHT_MAX_LAMPS; i++) {
            st_lamp *l = &p->lamps[p->nlamps++];
            snprintf(l->id, sizeof(l->id), "%.24s-%d", zones[z].id, (i + 1) % 1000);
            snprintf(l->zone, sizeof(l->zone), "%s", zones[z].id);
            l->universe = (int)z + 1;
            l->channel = 1 + 3 * i;
            l->layout = ST_LIGHT_CCT;
        }
    }
    /* Street scenes (docs/actuation.md): the everyday look, a brighter neutral
     * light that lets people see each other, and a warmer, dimmer calming look. */
    add_scene(p, "normal", 0.8, 3000, 5);
    add_scene(p, "bright-neutral", 1.0, 4000, 3);
    add_scene(p, "calm-warm", 0.6, 2700, 10);
    snprintf(p->safe_scene, sizeof(p->safe_scene), "normal");
    p->warm_k = 2700;
    p->cool_k = 6500;
    p->frame_hz = 40;
    p->keepalive_s = 0.5;
    p->use_sacn = 1;
    st_sacn_params_default(&p->sacn);
    snprintf(p->sacn.dest, sizeof(p->sacn.dest), "127.0.0.1");
    st_artnet_params_default(&p->artnet);
    st_envelope_params_default(&p->env);
}

static int find_scene(const st_light_params *p, const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, ST_LIGHT_SAFE)) name = p->safe_scene;
    for (size_t i = 0; i < p->nscenes; i++)
        if (!strcmp(p->scenes[i].name, name)) return (int)i;
    return -1;
}

int st_light_params_check(const st_light_params *p, char *err, size_t cap)
{
#define BAD(...)                                                                                   \
    do {                                                                                           \
        if (err && cap) snprintf(err, cap, __VA_ARGS__);                                           \
        return -EINVAL;                                                                            \
    } while (0)
    if (p->nlamps == 0 || p->nlamps > ST_LIGHT_MAX_LAMPS) BAD("light: no lamps patched");
    if (p->nscenes > ST_LIGHT_MAX_SCENES) BAD("light: too many scenes");
    int nuniv = 0, univs[ST_LIGHT_MAX_UNIVERSES];
    for (size_t i = 0; i < p->nlamps; i++) {
        const st_lamp *a = &p->lamps[i];
        if (!a->id[0]) BAD("light: lamp %zu has no id", i + 1);
        if (a->layout != ST_LIGHT_DIM && a->layout != ST_LIGHT_CCT && a->layout != ST_LIGHT_RGB)
            BAD("light: lamp %s: unknown channel layout", a->id);
        if (a->universe < ST_SACN_UNIVERSE_MIN || a->universe > ST_SACN_UNIVERSE_MAX)
            BAD("light: lamp %s: universe %d outside 1..63999", a->id, a->universe);
        if (p->use_artnet && a->universe - 1 > ST_ARTNET_ADDR_MAX)
            BAD("light: lamp %s: universe %d has no Art-Net Port-Address", a->id, a->universe);
        if (a->channel < 1 || a->channel + (int)a->layout - 1 > ST_SACN_SLOTS_MAX)
            BAD("light: lamp %s: channels %d..%d outside 1..512", a->id, a->channel,
                a->channel + (int)a->layout - 1);
        int known = 0;
        for (int u = 0; u < nuniv; u++) known |= univs[u] == a->universe;
        if (!known) {
            if (nuniv == ST_LIGHT_MAX_UNIVERSES)
                BAD("light: more than %d universes", ST_LIGHT_MAX_UNIVERSES);
            univs[nuniv++] = a->universe;
        }
        for (size_t j = 0; j < i; j++) {
            const st_lamp *b = &p->lamps[j];
            if (!strcmp(a->id, b->id)) BAD("light: lamp id %s patched twice", a->id);
            if (a->universe == b->universe && a->channel < b->channel + (int)b->layout &&
                b->channel < a->channel + (int)a->layout)
                BAD("light: lamp %s (universe %d, channel %d) overlaps lamp %s (channel %d)", a->id,
                    a->universe, a->channel, b->id, b->channel);
        }
    }
    for (size_t i = 0; i < p->nscenes; i++) {
        const st_scene_def *s = &p->scenes[i];
        if (!s->name[0] || !strcmp(s->name, ST_LIGHT_SAFE))
            BAD("light: scene %zu: name empty or reserved ('%s')", i + 1, ST_LIGHT_SAFE);
        if (!(s->level >= 0 && s->level <= 1))
            BAD("light: scene %s: level %g outside 0..1", s->name, s->level);
        if (!(s->kelvin >= 1000 && s->kelvin <= 20000))
            BAD("light: scene %s: kelvin %g outside 1000..20000", s->name, s->kelvin);
        if (!(s->fade_s >= 0 && s->fade_s <= 3600))
            BAD("light: scene %s: fade_s %g outside 0..3600", s->name, s->fade_s);
    }
    if (find_scene(p, p->safe_scene) < 0)
        BAD("light: safe scene '%s' is not defined", p->safe_scene);
    if (!(p->warm_k >= 1000 && p->cool_k > p->warm_k && p->cool_k <= 20000))
        BAD("light: warm_k/cool_k must satisfy 1000 <= warm < cool <= 20000");
    /* E1.31 and DMX receivers expect a refresh while values change; 30/s is
     * the floor asked for, 44/s the DMX512 maximum for 512 slots. */
    if (!(p->frame_hz >= 30 && p->frame_hz <= 44)) BAD("light: frame_hz must be within 30..44");
    /* E1.31 6.7.1: receivers declare a source lost after 2.5 s without data. */
    if (!(p->keepalive_s >= 0.1 && p->keepalive_s <= 1.0))
        BAD("light: keepalive_s must be within 0.1..1 s");
    if (!p->use_sacn && !p->use_artnet) BAD("light: neither sACN nor Art-Net is enabled");
    return st_envelope_params_check(&p->env, err, cap);
#undef BAD
}

void st_light_mix(double kelvin, double warm_k, double cool_k, double *warm, double *cool)
{
    double mw = 1e6 / warm_k, mc = 1e6 / cool_k, m = 1e6 / kelvin;
    double c = (mw - m) / (mw - mc);
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    *cool = c;
    *warm = 1 - c;
}

/* Approximate sRGB of a black body (T. Helland's fit to M. Charity's blackbody
 * table), for lamps with RGB emitters; 0..255 each. */
static void kelvin_rgb(double k, double rgb[3])
{
    double t = k / 100;
    rgb[0] = t <= 66 ? 255 : 329.698727446 * pow(t - 60, -0.1332047592);
    rgb[1] = t <= 66 ? 99.4708025861 * log(t) - 161.1195681661
                     : 288.1221695283 * pow(t - 60, -0.0755148492);
    rgb[2] = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * log(t - 10) - 305.0447927307;
    for (int i = 0; i < 3; i++) rgb[i] = rgb[i] < 0 ? 0 : rgb[i] > 255 ? 255 : rgb[i];
}

static uint8_t dmx(double frac)
{
    double v = floor(frac * 255 + 0.5);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void on_clamp(void *ctx, const st_envelope_clamp *c)
{
    st_light *l = ctx;
    int k = c->cause == ST_ENV_CCT_RANGE || c->cause == ST_ENV_CCT_RATE;
    st_warn(l->log, "light", "envelope clamped lamp %s (%s): asked %.*f%s, allowed %.*f%s",
            l->p.lamps[c->lamp].id, st_envelope_cause_name(c->cause), k ? 0 : 3, c->requested,
            k ? " K" : "", k ? 0 : 3, c->allowed, k ? " K" : "");
}

double st_light_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

st_light *st_light_new(const st_light_params *p, st_log *log)
{
    int err = EINVAL;
    st_light *l = NULL;
    char why[200];
    if (!p) goto fail;
    if (st_light_params_check(p, why, sizeof(why))) {
        st_error(log, "light", "%s", why);
        goto fail;
    }
    err = ENOMEM;
    l = calloc(1, sizeof(*l));
    if (!l) goto fail;
    l->p = *p;
    l->log = log;
    l->safe_idx = find_scene(p, p->safe_scene);
    l->env = st_envelope_new(&p->env, p->nlamps, on_clamp, l);
    if (!l->env) {
        err = errno;
        goto fail;
    }
    if (p->use_sacn && !(l->sacn = st_sacn_new(&p->sacn, log))) {
        err = errno;
        goto fail;
    }
    if (p->use_artnet && !(l->artnet = st_artnet_new(&p->artnet, log))) {
        err = errno;
        goto fail;
    }
    double now = st_light_now();
    const st_scene_def *safe = &p->scenes[l->safe_idx];
    for (size_t i = 0; i < p->nlamps; i++) {
        const st_lamp *a = &p->lamps[i];
        size_t u = 0;
        while (u < l->nu && l->u[u].universe != a->universe) u++;
        if (u == l->nu) {
            l->u[u].universe = a->universe;
            l->u[u].force = 1;
            l->nu++;
        }
        size_t top = (size_t)(a->channel + (int)a->layout - 1);
        if (top > l->u[u].nslots) l->u[u].nslots = top;
        lamp_rt *r = &l->lamps[i];
        r->uidx = (int)u;
        r->scene = l->safe_idx;
        /* Receivers' state is unknown at start: begin at the safe scene. */
        st_envelope_reset(l->env, i, safe->level, safe->kelvin, now);
        double lv = safe->level, k = safe->kelvin;
        st_envelope_apply(l->env, i, now, &lv, &k);
        r->from_l = r->to_l = r->out_l = lv;
        r->from_k = r->to_k = r->out_k = k;
        r->t0 = now;
    }
    l->last_t = now;
    st_info(log, "light", "%zu lamps in %zu universes, safe scene %s, %s%s%s", p->nlamps, l->nu,
            p->safe_scene, p->use_sacn ? "sACN" : "", p->use_sacn && p->use_artnet ? " + " : "",
            p->use_artnet ? "Art-Net" : "");
    return l;
fail:
    st_light_free(l);
    errno = err;
    return NULL;
}

void st_light_free(st_light *l)
{
    if (!l) return;
    st_sacn_free(l->sacn);
    st_artnet_free(l->artnet);
    st_envelope_free(l->env);
    free(l);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Start a fade of lamp i to (lv, k). The duration is stretched so that a
 * well-formed fade never needs the envelope's rate clamp; the start is put
 * back by the time one step may bank, so the first packet already moves. */
static void start_fade(st_light *l, size_t i, double lv, double k, double fade_s, double now)
{
    const st_envelope_params *e = &l->p.env;
    lamp_rt *r = &l->lamps[i];
    double tl = clampd(lv, e->min_level, e->max_level), tk = clampd(k, e->cct_min_k, e->cct_max_k);
    double need = fmax(fabs(tl - r->out_l) / e->max_rate, fabs(tk - r->out_k) / e->cct_max_rate_k);
    double back = clampd(now - l->last_t, 0, e->step_dt_max);
    r->from_l = r->out_l;
    r->from_k = r->out_k;
    r->to_l = lv;
    r->to_k = k;
    r->dur = fmax(fade_s, need * 1.02 + back);
    r->t0 = now - back;
    if (fabs(tl - r->out_l) < 1e-9 && fabs(tk - r->out_k) < 1e-6) { /* already there */
        r->dur = 0;
        return;
    }
    r->moving = 1;
    l->u[r->uidx].moving = 1;
    l->u[r->uidx].force = 1;
}

static int zone_match(const char *zone, const st_lamp *a)
{
    return !zone || !zone[0] || !strcmp(zone, "*") || !strcmp(zone, a->zone);
}

int st_light_scene(st_light *l, const char *name, const char *zone, double now)
{
    if (!l) return -EINVAL;
    int s = find_scene(&l->p, name);
    if (s < 0) {
        st_error(l->log, "light", "scene '%s' is not defined", name ? name : "(null)");
        return -ENOENT;
    }
    const st_scene_def *sc = &l->p.scenes[s];
    int n = 0;
    for (size_t i = 0; i < l->p.nlamps; i++) {
        if (!zone_match(zone, &l->p.lamps[i])) continue;
        start_fade(l, i, sc->level, sc->kelvin, sc->fade_s, now);
        l->lamps[i].scene = s;
        n++;
    }
    if (!n) {
        st_error(l->log, "light", "zone '%s' has no lamps", zone);
        return -ENOENT;
    }
    st_info(l->log, "light", "scene %s in %s: level %.2f, %.0f K, fade %.1f s (%d lamps)", sc->name,
            zone && zone[0] ? zone : "*", sc->level, sc->kelvin, sc->fade_s, n);
    st_light_tick(l, now);
    return 0;
}

int st_light_lamp(st_light *l, size_t lamp, double level, double kelvin, double fade_s, double now)
{
    if (!l || lamp >= l->p.nlamps || isnan(level) || isnan(kelvin) || !(fade_s >= 0))
        return -EINVAL;
    start_fade(l, lamp, level, kelvin, fade_s, now);
    l->lamps[lamp].scene = -1;
    st_light_tick(l, now);
    return 0;
}

static void write_lamp(st_light *l, size_t i)
{
    const st_lamp *a = &l->p.lamps[i];
    lamp_rt *r = &l->lamps[i];
    universe_rt *u = &l->u[r->uidx];
    uint8_t ch[6];
    double w, c;
    ch[0] = dmx(r->out_l);
    st_light_mix(r->out_k, l->p.warm_k, l->p.cool_k, &w, &c);
    ch[1] = dmx(w);
    ch[2] = dmx(c);
    if (a->layout == ST_LIGHT_RGB) {
        double rgb[3];
        kelvin_rgb(r->out_k, rgb);
        for (int k = 0; k < 3; k++) ch[3 + k] = dmx(rgb[k] / 255);
    }
    uint8_t *dst = u->frame + a->channel - 1;
    if (memcmp(dst, ch, (size_t)a->layout)) {
        memcpy(dst, ch, (size_t)a->layout);
        u->dirty = 1;
    }
}

static void send_error(st_light *l, int universe, int rc, double now)
{
    l->errors++;
    /* One line per 10 s at most: the output retries every frame. */
    if (l->errors_logged && now - l->last_err_log < 10) return;
    st_error(l->log, "light", "send universe %d: %s (%llu send errors so far; retrying)", universe,
             strerror(-rc), (unsigned long long)l->errors);
    l->errors_logged++;
    l->last_err_log = now;
}

int st_light_tick(st_light *l, double now)
{
    if (!l) return -EINVAL;
    const unsigned slow = (1u << ST_ENV_RATE) | (1u << ST_ENV_CCT_RATE) | (1u << ST_ENV_FLASH);
    for (size_t u = 0; u < l->nu; u++) l->u[u].moving = 0;
    for (size_t i = 0; i < l->p.nlamps; i++) {
        lamp_rt *r = &l->lamps[i];
        double lv = r->to_l, k = r->to_k;
        int fading = r->dur > 0 && now < r->t0 + r->dur;
        if (fading) {
            double f = (now - r->t0) / r->dur;
            f = clampd(f, 0, 1);
            lv = r->from_l + (r->to_l - r->from_l) * f;
            k = r->from_k + (r->to_k - r->from_k) * f;
        }
        int m = st_envelope_apply(l->env, i, now, &lv, &k);
        r->out_l = lv;
        r->out_k = k;
        r->moving = fading || (m > 0 && (m & (int)slow));
        if (r->moving) l->u[r->uidx].moving = 1;
        write_lamp(l, i);
    }
    l->last_t = now;
    int sent = 0;
    double period = 1.0 / l->p.frame_hz;
    for (size_t i = 0; i < l->nu; i++) {
        universe_rt *u = &l->u[i];
        double since = now - u->last_send;
        /* Small tolerance so a caller ticking at exactly frame_hz is not skipped. */
        int due = u->force || since >= l->p.keepalive_s ||
                  ((u->moving || u->dirty) && since >= period * 0.9);
        if (!due) continue;
        if (l->sacn) {
            int rc = st_sacn_send(l->sacn, (uint16_t)u->universe, u->frame, u->nslots);
            if (rc)
                send_error(l, u->universe, rc, now);
            else
                sent++;
        }
        if (l->artnet) {
            int rc = st_artnet_send(l->artnet, (uint16_t)(u->universe - 1), u->frame, u->nslots);
            if (rc)
                send_error(l, u->universe, rc, now);
            else
                sent++;
        }
        u->last_send = now;
        u->force = u->dirty = 0;
    }
    if (sent) {
        /* One sync after the frame's universes, so synchronised receivers switch together. */
        if (l->sacn) st_sacn_sync(l->sacn);
        if (l->artnet) st_artnet_sync(l->artnet);
    }
    l->packets += (uint64_t)sent;
    return sent;
}

int st_light_settled(const st_light *l)
{
    if (!l) return 1;
    for (size_t i = 0; i < l->p.nlamps; i++)
        if (l->lamps[i].moving) return 0;
    return 1;
}

void st_light_terminate(st_light *l)
{
    if (!l || !l->sacn) return;
    for (size_t i = 0; i < l->nu; i++)
        st_sacn_terminate(l->sacn, (uint16_t)l->u[i].universe, l->u[i].frame, l->u[i].nslots);
}

int st_light_output(const st_light *l, size_t i, double *level, double *kelvin)
{
    if (!l || i >= l->p.nlamps) return -EINVAL;
    if (level) *level = l->lamps[i].out_l;
    if (kelvin) *kelvin = l->lamps[i].out_k;
    return 0;
}

const uint8_t *st_light_frame(const st_light *l, int universe)
{
    if (!l) return NULL;
    for (size_t i = 0; i < l->nu; i++)
        if (l->u[i].universe == universe) return l->u[i].frame;
    return NULL;
}

const char *st_light_zone_scene(const st_light *l, const char *zone)
{
    if (!l || !zone) return "";
    for (size_t i = 0; i < l->p.nlamps; i++)
        if (!strcmp(l->p.lamps[i].zone, zone))
            return l->lamps[i].scene >= 0 ? l->p.scenes[l->lamps[i].scene].name : "";
    return "";
}

const st_light_params *st_light_params_get(const st_light *l)
{
    return l ? &l->p : NULL;
}

const st_envelope *st_light_envelope(const st_light *l)
{
    return l ? l->env : NULL;
}

void st_light_counts(const st_light *l, uint64_t *packets, uint64_t *errors)
{
    if (packets) *packets = l ? l->packets : 0;
    if (errors) *errors = l ? l->errors : 0;
}

/* The in-process actuator. */
static int act_apply(void *self, const st_intervention *iv)
{
    if (iv->kind != ST_ACT_SCENE) return 0;
    return st_light_scene(self, iv->name, iv->zone, st_light_now());
}

static int act_tick(void *self, double now)
{
    (void)now; /* engine time may be accelerated; light runs in wall time */
    int n = st_light_tick(self, st_light_now());
    return n < 0 ? n : 0;
}

static void act_free(void *self)
{
    st_light_terminate(self);
    st_light_free(self);
}

static const st_actuator_ops light_ops = {
    .name = "light", .apply = act_apply, .tick = act_tick, .free = act_free};

st_actuator st_light_actuator(st_light *l)
{
    st_actuator a = {.ops = &light_ops, .self = l};
    return a;
}
