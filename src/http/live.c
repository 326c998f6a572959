/* Live street state shared between the engine loop and the HTTP server. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/live.h"

#define CMD_SLOTS 64

typedef struct live_event {
    int64_t id;
    char type[16];
    size_t len;
    char *json; /* event_bytes, allocated in _new */
} live_event;

struct st_live {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mu_ok, cv_ok, closed;
    size_t nzones, cap_zones;
    st_live_zone *zones;
    st_live_counters counters;
    double last_update;
    live_event *ring;
    size_t ring_cap, event_bytes;
    int64_t next_id; /* id of the next event pushed */
    st_live_cmd cmds[CMD_SLOTS];
    size_t cmd_head, cmd_len;
};

void st_live_free(st_live *l)
{
    if (!l) return;
    if (l->ring)
        for (size_t i = 0; i < l->ring_cap; i++) free(l->ring[i].json);
    free(l->ring);
    free(l->zones);
    if (l->cv_ok) pthread_cond_destroy(&l->cv);
    if (l->mu_ok) pthread_mutex_destroy(&l->mu);
    free(l);
}

st_live *st_live_new(size_t nzones, size_t ring_events, size_t event_bytes)
{
    st_live *l = NULL;
    int err = EINVAL;
    if (!ring_events || event_bytes < 16) goto fail;
    err = ENOMEM;
    if (!(l = calloc(1, sizeof(*l)))) goto fail;
    l->cap_zones = nzones;
    l->ring_cap = ring_events;
    l->event_bytes = event_bytes;
    l->next_id = 1;
    if ((nzones && !(l->zones = calloc(nzones, sizeof(*l->zones)))) ||
        !(l->ring = calloc(ring_events, sizeof(*l->ring))))
        goto fail;
    for (size_t i = 0; i < ring_events; i++)
        if (!(l->ring[i].json = malloc(event_bytes))) goto fail;
    if (pthread_mutex_init(&l->mu, NULL)) goto fail;
    l->mu_ok = 1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) goto fail;
    l->cv_ok = 1;
    return l;
fail:
    st_live_free(l);
    errno = err;
    return NULL;
}

void st_live_update(st_live *l, const st_engine *e, double now, uint64_t packs,
                    uint64_t packs_refused, uint64_t records)
{
    size_t nz = st_engine_zone_count(e);
    if (nz > l->cap_zones) nz = l->cap_zones;
    pthread_mutex_lock(&l->mu);
    double dt = l->last_update > 0 && now > l->last_update ? now - l->last_update : 0;
    for (size_t i = 0; i < nz; i++) {
        const st_zone *z = st_engine_zone(e, i);
        l->zones[i].def = *st_zone_def_get(z);
        st_zone_status_get(z, now, &l->zones[i].status);
        st_state s = l->zones[i].status.state;
        if ((unsigned)s < ST_STATE__COUNT) l->counters.state_seconds[s] += dt;
    }
    l->nzones = nz;
    l->last_update = now;
    l->counters.now = now;
    l->counters.packs = packs;
    l->counters.packs_refused = packs_refused;
    l->counters.records = records;
    st_engine_stats_get(e, &l->counters.engine);
    pthread_mutex_unlock(&l->mu);
}

int64_t st_live_push(st_live *l, const char *type, const char *json)
{
    size_t len = strlen(json);
    if (len + 1 > l->event_bytes) return -E2BIG;
    pthread_mutex_lock(&l->mu);
    int64_t id = l->next_id++;
    live_event *ev = &l->ring[(size_t)id % l->ring_cap];
    ev->id = id;
    strncpy(ev->type, type, sizeof(ev->type) - 1);
    ev->type[sizeof(ev->type) - 1] = 0;
    memcpy(ev->json, json, len + 1);
    ev->len = len;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return id;
}

size_t st_live_zones(st_live *l, st_live_zone *out, size_t max)
{
    pthread_mutex_lock(&l->mu);
    size_t n = l->nzones < max ? l->nzones : max;
    memcpy(out, l->zones, n * sizeof(*out));
    size_t total = l->nzones;
    pthread_mutex_unlock(&l->mu);
    return total;
}

void st_live_counters_get(st_live *l, st_live_counters *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->counters;
    pthread_mutex_unlock(&l->mu);
}

/* Lock held. The first event with id > after still in the ring, or NULL. */
static const live_event *first_after(const st_live *l, int64_t after)
{
    int64_t newest = l->next_id - 1;
    if (after >= newest) return NULL;
    int64_t oldest = newest - (int64_t)l->ring_cap + 1;
    if (oldest < 1) oldest = 1;
    int64_t id = after + 1 < oldest ? oldest : after + 1;
    return &l->ring[(size_t)id % l->ring_cap];
}

int64_t st_live_next(st_live *l, int64_t after, int timeout_ms, char *type, size_t type_cap,
                     char *json, size_t json_cap)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&l->mu);
    const live_event *ev;
    while (!(ev = first_after(l, after)) && !l->closed)
        if (pthread_cond_timedwait(&l->cv, &l->mu, &until) == ETIMEDOUT) break;
    int64_t id = 0;
    if (l->closed) {
        id = -ESHUTDOWN;
    } else if (ev) {
        id = ev->id;
        snprintf(type, type_cap, "%s", ev->type);
        snprintf(json, json_cap, "%s", ev->json);
    }
    pthread_mutex_unlock(&l->mu);
    return id;
}

int st_live_cmd_post(st_live *l, const st_live_cmd *c)
{
    int rc = -EAGAIN;
    pthread_mutex_lock(&l->mu);
    if (l->cmd_len < CMD_SLOTS) {
        l->cmds[(l->cmd_head + l->cmd_len) % CMD_SLOTS] = *c;
        l->cmd_len++;
        rc = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int st_live_cmd_take(st_live *l, st_live_cmd *out)
{
    int got = 0;
    pthread_mutex_lock(&l->mu);
    if (l->cmd_len) {
        *out = l->cmds[l->cmd_head];
        l->cmd_head = (l->cmd_head + 1) % CMD_SLOTS;
        l->cmd_len--;
        got = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return got;
}

size_t st_live_cmd_pending(st_live *l)
{
    pthread_mutex_lock(&l->mu);
    size_t n = l->cmd_len;
    pthread_mutex_unlock(&l->mu);
    return n;
}

void st_live_close(st_live *l)
{
    pthread_mutex_lock(&l->mu);
    l->closed = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}
