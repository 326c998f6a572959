/* The embedded default street: crowds, latent tension, sound and counts as SenML packs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/senml_writer.h"
#include "stratum/rng.h"

/* Model constants that are not configuration (docs/simulator.md explains each). */
#define SIM_MAX_ACTIVE    8      /* concurrent interventions remembered per zone */
#define SIM_PACK_CAP      1024   /* one pack: a meter pack with SIM_MAX_EVENTS fits */
#define SIM_MAX_EVENTS    6      /* raucous events reported per device per tick */
#define SIM_STAY_S        1800.0 /* mean time a visitor stays in a zone */
#define SIM_ATTRACT_SD    0.15   /* sd of the slow log-multiplier on a zone's crowd */
#define SIM_ATTRACT_TAU_S 1800.0 /* its correlation time */
#define SIM_BABBLE_PEOPLE 20.0   /* people whose babble equals the ambient power */
#define SIM_TENSION_DB    15.0   /* LAeq rise at tension 1 */
#define SIM_NOISE_SD_DB   1.5    /* sd of the 1 s LAeq fluctuation */
#define SIM_NOISE_AR      0.6    /* its lag-1 autocorrelation at 1 s */
#define SIM_FALSE_PER_MIN 0.05   /* raucous-event false alarms per minute at peak crowd */
#define SIM_TENSE_PER_MIN 6.0    /* events per minute at tension 1 (times T^3) */
#define SIM_INCIDENT_T    0.5    /* incidents only above this tension */
#define SIM_INCIDENT_KEEP 0.4    /* fraction of tension left after an incident */
#define SIM_EPISODE_END_T 0.05   /* an episode closes when tension is back below this */
#define SIM_INCIDENT_S    60.0   /* an incident is heard this long by default: */
#define SIM_INCIDENT_DB   6.0    /* ... this much louder */
#define SIM_INCIDENT_EV   12.0   /* ... with this many extra events per minute */
#define SIM_ONSET_MIN_S   300.0  /* onset duration is uniform in [min, max] */
#define SIM_ONSET_MAX_S   1200.0
#define SIM_CALM_KEEP_MIN 0.05 /* 1 - E shortening an onset counts at least this (20x) */
#define SIM_SW_EVERY_S    60.0
#define SIM_SW_VERSION    "1.0.0"

/* Poisson count with mean lam: Knuth's product method for small means (the
 * usual case, a fraction of a person or event per second), a rounded normal
 * approximation for large ones. */
static int rng_poisson(st_rng *r, double lam)
{
    if (!(lam > 0)) return 0;
    if (lam > 30) {
        double x = floor(lam + sqrt(lam) * st_rng_gauss(r) + 0.5);
        return x < 0 ? 0 : (int)x;
    }
    double limit = exp(-lam), prod = st_rng_unif(r);
    int k = 0;
    while (prod > limit) {
        k++;
        prod *= st_rng_unif(r);
    }
    return k;
}

typedef struct sim_active {
    double until;
    double effect;
} sim_active;

typedef struct sim_zone {
    st_zone_def def;
    char meter[ST_ID_MAX], cam[ST_ID_MAX];
    /* Separate streams, so that what the engine does to tension never changes
     * the crowd, and runs that differ only in effects stay comparable. */
    st_rng r_crowd, r_tension, r_sound;
    int occ;        /* people present */
    double attract; /* slow log-multiplier on the crowd target (OU process) */
    double tension; /* latent tension T in [0, 1] */
    int in_onset;
    double onset_end;
    double incident_until; /* end of the current incident's noise */
    int episode_open, episode_treated;
    double noise_db; /* AR(1) state of the LAeq fluctuation */
    double next_sw;  /* next swVersion report */
    sim_active active[SIM_MAX_ACTIVE];
    char scene[ST_ACTION_MAX]; /* current lighting scene ("" = street default) */
} sim_zone;

struct st_sim {
    st_sim_params p;
    size_t nzones;
    uint64_t ticks;
    double now, end;
    st_sim_stats st;
    char pack[SIM_PACK_CAP];
    sim_zone zones[];
};

/* Crowd inflow profile over the night, 0.1..1 by hours h since 20:00: a
 * raised-cosine rise to the peak at 00:00, a plateau to 01:30, a raised-cosine
 * fall to 04:00; quiet outside the night. */
static double crowd_profile(double h)
{
    const double low = 0.1, pi = 3.141592653589793;
    if (h <= 0 || h >= 8) return low;
    if (h < 4) return low + (1 - low) * 0.5 * (1 - cos(pi * h / 4));
    if (h <= 5.5) return 1;
    return low + (1 - low) * 0.5 * (1 + cos(pi * (h - 5.5) / 2.5));
}

st_sim *st_sim_new(const st_sim_params *p, const st_zone_def *zones, size_t nzones)
{
    st_sim *s = NULL;
    if (!p || (!zones && nzones) || nzones > 4096 || !(p->tick_s > 0) || !(p->night_hours > 0) ||
        !(p->crowd_peak >= 0) || !(p->onset_per_hour >= 0) || !(p->tension_drift >= 0) ||
        !(p->tension_decay >= 0) || !(p->incident_hazard >= 0) || !(p->incident_s >= 0) ||
        p->incident_s > 86400 || !isfinite(p->start_epoch) || !isfinite(p->base_laeq_db) ||
        p->neffects > ST_SIM_MAX_EFFECTS) {
        errno = EINVAL;
        goto fail;
    }
    s = calloc(1, sizeof *s + nzones * sizeof s->zones[0]);
    if (!s) goto fail;
    s->p = *p;
    s->nzones = nzones;
    s->now = p->start_epoch;
    s->end = p->start_epoch + p->night_hours * 3600.0;
    for (size_t i = 0; i < nzones; i++) {
        sim_zone *z = &s->zones[i];
        z->def = zones[i];
        z->def.id[ST_ID_MAX - 1] = '\0';
        if (!(z->def.capacity > 0) || z->def.lamps < 0) {
            errno = EINVAL;
            goto fail;
        }
        snprintf(z->meter, sizeof z->meter, "meter-%zu", i + 1);
        snprintf(z->cam, sizeof z->cam, "cam-%zu", i + 1);
        /* One seed per zone and stream, derived from the run's seed. */
        uint64_t base = p->seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(i + 1));
        st_rng_seed(&z->r_crowd, base ^ 0x1);
        st_rng_seed(&z->r_tension, base ^ 0x2);
        st_rng_seed(&z->r_sound, base ^ 0x3);
        z->attract = SIM_ATTRACT_SD * st_rng_gauss(&z->r_crowd);
        z->occ =
            (int)floor(p->crowd_peak * z->def.capacity * crowd_profile(0) * exp(z->attract) + 0.5);
        z->next_sw = p->start_epoch;
        s->st.lamps += z->def.lamps;
    }
    return s;
fail:
    st_sim_free(s);
    return NULL;
}

void st_sim_free(st_sim *s)
{
    free(s);
}

double st_sim_now(const st_sim *s)
{
    return s->now;
}

int st_sim_done(const st_sim *s)
{
    return s->now >= s->end - 1e-6;
}

void st_sim_stats_get(const st_sim *s, st_sim_stats *out)
{
    *out = s->st;
}

/* Occupancy as a birth-death process whose mean tracks the profile: inflow
 * Poisson(target/stay + d profile/dt), each person leaving at rate 1/stay.
 * Only the smooth profile's slope enters the inflow: the slope of the noisy
 * multiplier would be clipped at 0 and inflate the crowd. */
static void step_crowd(st_sim *s, sim_zone *z, double dt, int *in, int *out)
{
    double h = (s->now - s->p.start_epoch) / 3600.0;
    double a = dt / SIM_ATTRACT_TAU_S;
    z->attract += -a * z->attract + SIM_ATTRACT_SD * sqrt(2 * a) * st_rng_gauss(&z->r_crowd);
    double scale = s->p.crowd_peak * z->def.capacity * exp(z->attract);
    double prof = crowd_profile(h), slope = (prof - crowd_profile(h - dt / 3600.0)) / dt;
    double rate = scale * (prof / SIM_STAY_S + slope);
    if (rate < 0) rate = 0;
    *in = rng_poisson(&z->r_crowd, rate * dt);
    int leave = rng_poisson(&z->r_crowd, z->occ * dt / SIM_STAY_S);
    *out = leave > z->occ ? z->occ : leave;
    z->occ += *in - *out;
}

/* Combined effect 1 - prod(1 - e_i) of the interventions still active. */
static double active_effect(sim_zone *z, double now)
{
    double keep = 1;
    for (int i = 0; i < SIM_MAX_ACTIVE; i++) {
        if (z->active[i].until <= now) continue;
        keep *= 1 - z->active[i].effect;
    }
    return 1 - keep;
}

static void step_tension(st_sim *s, sim_zone *z, double dt)
{
    const st_sim_params *p = &s->p;
    double peak = p->crowd_peak * z->def.capacity;
    double level = peak > 0 ? z->occ / peak : 0;
    if (level > 1.5) level = 1.5;
    /* Fixed draws per tick (onset, incident) keep the stream aligned. */
    double u_onset = st_rng_unif(&z->r_tension), u_incident = st_rng_unif(&z->r_tension);
    if (!z->in_onset && u_onset < p->onset_per_hour * level * dt / 3600.0) {
        z->in_onset = 1;
        z->onset_end = s->now + SIM_ONSET_MIN_S +
                       (SIM_ONSET_MAX_S - SIM_ONSET_MIN_S) * st_rng_unif(&z->r_tension);
        z->episode_open = 1;
        z->episode_treated = 0;
        s->st.episodes++;
    }
    /* The interventions' combined effect slows tension's growth and, as
     * much, the hazard of a fight: calmer light, music and stewards in
     * sight make both less likely. */
    double keep = 1 - active_effect(z, s->now);
    if (z->in_onset) {
        z->tension += p->tension_drift * keep * dt / 60.0;
        /* Calming resolves the escalation's cause too: the onset's remaining
         * time runs out 1 / (1 - E) times as fast. */
        double k = keep < SIM_CALM_KEEP_MIN ? SIM_CALM_KEEP_MIN : keep;
        z->onset_end -= dt * (1 / k - 1);
        if (s->now >= z->onset_end) z->in_onset = 0;
    } else {
        z->tension -= p->tension_decay * dt / 60.0;
    }
    if (z->tension > 1) z->tension = 1;
    if (z->tension < 0) z->tension = 0;
    if (z->tension > SIM_INCIDENT_T &&
        u_incident < p->incident_hazard * keep * z->tension * z->tension * dt / 60.0) {
        /* Counted as treated only if an intervention came before it: one
         * after the incident cannot have prevented it. */
        if (z->episode_treated)
            s->st.incidents_treated++;
        else
            s->st.incidents_untreated++;
        z->in_onset = 0;
        z->tension *= SIM_INCIDENT_KEEP;
        z->incident_until = s->now + (p->incident_s > 0 ? p->incident_s : SIM_INCIDENT_S);
    }
    if (z->episode_open && !z->in_onset && z->tension < SIM_EPISODE_END_T) z->episode_open = 0;
}

static double round_to(double v, double q)
{
    return floor(v / q + 0.5) * q;
}

static int emit_pack(st_sim *s, st_senml_writer *w, st_sim_emit_fn emit, void *ctx)
{
    int len = st_senml_writer_finish(w);
    if (len < 0) return len;
    s->st.packs++;
    s->st.records += (uint64_t)w->nrec;
    return emit ? emit(ctx, s->pack, (size_t)len) : 0;
}

static int emit_camera(st_sim *s, sim_zone *z, int in, int out, int sw, st_sim_emit_fn emit,
                       void *ctx)
{
    st_senml_writer w;
    st_senml_writer_init(&w, s->pack, sizeof s->pack, z->def.id, z->cam, s->now);
    st_senml_writer_add(&w, "peopleIn", "count", in, 0);
    st_senml_writer_add(&w, "peopleOut", "count", out, 0);
    st_senml_writer_add(&w, "occupancy", "count", z->occ, 0);
    if (sw) st_senml_writer_add_str(&w, "swVersion", SIM_SW_VERSION, 0);
    return emit_pack(s, &w, emit, ctx);
}

/* Event kinds when calm (mostly false alarms: cheering, dropped glasses) and
 * when tense; mixed linearly by T. Order: shout, scream, glass, bang. */
static const double mix_calm[4] = {0.45, 0.10, 0.30, 0.15};
static const double mix_tense[4] = {0.55, 0.25, 0.12, 0.08};
static const char *const event_names[4] = {"event:shout", "event:scream", "event:glass",
                                           "event:bang"};

static int emit_meter(st_sim *s, sim_zone *z, int sw, st_sim_emit_fn emit, void *ctx)
{
    const st_sim_params *p = &s->p;
    double dt = p->tick_s, T = z->tension;
    /* A fight sounds like the height of tension, whatever T fell back to. */
    int incident = s->now <= z->incident_until;
    if (incident) T = 1;
    /* Power sum of ambient and babble (each SIM_BABBLE_PEOPLE people add one
     * ambient's power), then tension raising it by up to SIM_TENSION_DB. */
    double babble_db = 10 * log10(1 + z->occ / SIM_BABBLE_PEOPLE);
    double level = p->base_laeq_db + babble_db + SIM_TENSION_DB * T;
    if (incident) level += SIM_INCIDENT_DB;
    double ar = pow(SIM_NOISE_AR, dt);
    z->noise_db =
        ar * z->noise_db + sqrt(1 - ar * ar) * SIM_NOISE_SD_DB * st_rng_gauss(&z->r_sound);
    double laeq = level + z->noise_db;
    /* Fast max over the second sits 3-6 dB over LAeq, more with shouting. */
    double lafmax = laeq + 3 + 1.5 * fabs(st_rng_gauss(&z->r_sound)) + 4 * T;
    double crowd = babble_db / SIM_TENSION_DB + 0.03 * st_rng_gauss(&z->r_sound);
    crowd = crowd < 0 ? 0 : crowd > 1 ? 1 : crowd;
    double peak = p->crowd_peak * z->def.capacity;
    double busy = peak > 0 ? z->occ / peak : 0;
    if (busy > 1.5) busy = 1.5;
    double per_min = SIM_FALSE_PER_MIN * (0.2 + busy) + SIM_TENSE_PER_MIN * T * T * T;
    if (incident) per_min += SIM_INCIDENT_EV;
    int nev = rng_poisson(&z->r_sound, per_min * dt / 60.0);
    if (nev > SIM_MAX_EVENTS) nev = SIM_MAX_EVENTS;

    st_senml_writer w;
    st_senml_writer_init(&w, s->pack, sizeof s->pack, z->def.id, z->meter, s->now);
    st_senml_writer_add(&w, "LAeq", "dB", round_to(laeq, 0.1), 0);
    st_senml_writer_add(&w, "LAFmax", "dB", round_to(lafmax, 0.1), 0);
    st_senml_writer_add(&w, "crowd", "/", round_to(crowd, 0.01), 0);
    for (int e = 0; e < nev; e++) {
        double u = st_rng_unif(&z->r_sound), acc = 0;
        int k = 0;
        for (; k < 3; k++) {
            acc += (1 - T) * mix_calm[k] + T * mix_tense[k];
            if (u < acc) break;
        }
        /* False alarms are mostly low-confidence; true ones spread to 1. */
        double conf = 0.5 + 0.5 * pow(st_rng_unif(&z->r_sound), 1 + 2 * (1 - T));
        /* Somewhere in the tick just ended, to the millisecond. */
        double off = -round_to(st_rng_unif(&z->r_sound) * dt, 0.001);
        st_senml_writer_add(&w, event_names[k], "/", round_to(conf, 0.01), off);
    }
    if (sw) st_senml_writer_add_str(&w, "swVersion", SIM_SW_VERSION, 0);
    return emit_pack(s, &w, emit, ctx);
}

int st_sim_step(st_sim *s, st_sim_emit_fn emit, void *ctx)
{
    if (st_sim_done(s)) return 0;
    double dt = s->p.tick_s;
    s->ticks++;
    /* Multiplying, not accumulating, keeps tick times exact over a night. */
    s->now = s->p.start_epoch + (double)s->ticks * dt;
    s->st.sim_seconds = (double)s->ticks * dt;
    for (size_t i = 0; i < s->nzones; i++) {
        sim_zone *z = &s->zones[i];
        int in, out;
        step_crowd(s, z, dt, &in, &out);
        step_tension(s, z, dt);
        int sw = 0;
        if (s->now >= z->next_sw) {
            sw = 1;
            while (z->next_sw <= s->now) z->next_sw += SIM_SW_EVERY_S;
        }
        int rc = emit_meter(s, z, sw, emit, ctx);
        if (!rc) rc = emit_camera(s, z, in, out, sw, emit, ctx);
        if (rc) return rc;
    }
    return 0;
}

static const st_sim_effect *find_effect(const st_sim *s, const char *action)
{
    for (size_t i = 0; i < s->p.neffects; i++)
        if (!strcmp(s->p.effects[i].action, action)) return &s->p.effects[i];
    return NULL;
}

/* The street's response: remember the intervention, start its hidden effect
 * (unknown actions have none), mark the episode treated. */
static int sim_apply(void *self, const st_intervention *iv)
{
    st_sim *s = self;
    sim_zone *z = NULL;
    for (size_t i = 0; i < s->nzones && !z; i++)
        if (!strncmp(s->zones[i].def.id, iv->zone, ST_ID_MAX)) z = &s->zones[i];
    if (!z) return -ENOENT;
    s->st.interventions++;
    if (z->episode_open && !z->episode_treated) {
        z->episode_treated = 1;
        s->st.episodes_treated++;
    }
    if (iv->kind == ST_ACT_SCENE)
        snprintf(z->scene, sizeof z->scene, "%.*s", ST_ACTION_MAX - 1, iv->name);
    char action[2 * ST_ACTION_MAX];
    const char *kind = st_act_kind_name(iv->kind);
    snprintf(action, sizeof action, "%s:%.*s", kind ? kind : "?", ST_ACTION_MAX - 1, iv->name);
    const st_sim_effect *e = find_effect(s, action);
    if (!e || !(e->effect > 0) || !(e->duration_s > 0)) return 0;
    /* A free (expired) slot, else the one ending soonest. */
    int slot = 0;
    for (int i = 1; i < SIM_MAX_ACTIVE; i++)
        if (z->active[i].until < z->active[slot].until) slot = i;
    z->active[slot].until = s->now + e->duration_s;
    z->active[slot].effect = e->effect > 1 ? 1 : e->effect;
    return 0;
}

static const st_actuator_ops sim_ops = {
    .name = "sim",
    .apply = sim_apply,
    .tick = NULL,
    .free = NULL, /* self is the simulator, owned by its creator */
};

st_actuator st_sim_actuator(st_sim *s)
{
    st_actuator a = {&sim_ops, s};
    return a;
}
