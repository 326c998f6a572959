/* Street music through MPD: programmes, hard volume cap, reconnect with back-off. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <mpd/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/music.h"

struct st_music {
    st_music_params p;
    st_log *log;
    struct mpd_connection *conn;
    double next_try, backoff, last_check;
    unsigned failures;
    int pending; /* programme index waiting for MPD, -1 if none */
    char pending_zone[ST_ID_MAX];
    double pending_t;
    char current[ST_ACTION_MAX]; /* last programme applied */
    st_music_record last;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void add_prog(st_music_params *p, const char *name, const char *pl, int vol, int xf)
{
    st_music_programme *g = &p->programmes[p->nprogrammes++];
    snprintf(g->name, sizeof(g->name), "%s", name);
    snprintf(g->playlist, sizeof(g->playlist), "%s", pl);
    g->volume = vol;
    g->crossfade_s = xf;
}

void st_music_params_default(st_music_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->host, sizeof(p->host), "127.0.0.1");
    p->port = 6600;
    p->timeout_ms = 1000;
    p->volume_cap = 60;
    p->backoff_min_s = 1;
    p->backoff_max_s = 30;
    add_prog(p, "calm", "calm", 35, 5);
    add_prog(p, "ambient", "ambient", 25, 5);
    add_prog(p, "off", "", 0, 0);
}

int st_music_params_check(const st_music_params *p, char *err, size_t cap)
{
    const char *why = NULL;
    char buf[160];
    if (!p->host[0])
        why = "music: host is empty";
    else if (p->port < 1 || p->port > 65535)
        why = "music: port outside 1..65535";
    else if (p->timeout_ms < 50 || p->timeout_ms > 30000)
        why = "music: timeout_ms outside 50..30000";
    else if (p->volume_cap < 0 || p->volume_cap > 100)
        why = "music: volume_cap outside 0..100";
    else if (!(p->backoff_min_s > 0 && p->backoff_max_s >= p->backoff_min_s))
        why = "music: need 0 < backoff_min_s <= backoff_max_s";
    else if (p->nprogrammes > ST_MUSIC_MAX_PROGRAMMES)
        why = "music: too many programmes";
    for (size_t i = 0; !why && i < p->nprogrammes; i++) {
        const st_music_programme *g = &p->programmes[i];
        if (!g->name[0] || g->volume < 0 || g->volume > 100 || g->crossfade_s < 0 ||
            g->crossfade_s > 30) {
            snprintf(buf, sizeof(buf),
                     "music: programme %zu (%s): name empty, volume outside 0..100 or "
                     "crossfade_s outside 0..30",
                     i + 1, g->name);
            why = buf;
        }
    }
    if (!why) return 0;
    if (err && cap) snprintf(err, cap, "%s", why);
    return -EINVAL;
}

st_music *st_music_new(const st_music_params *p, st_log *log)
{
    char why[200];
    if (!p || st_music_params_check(p, why, sizeof(why))) {
        if (p) st_error(log, "music", "%s", why);
        errno = EINVAL;
        return NULL;
    }
    st_music *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->p = *p;
    m->log = log;
    m->backoff = p->backoff_min_s;
    m->pending = -1;
    return m;
}

void st_music_free(st_music *m)
{
    if (!m) return;
    if (m->conn) mpd_connection_free(m->conn);
    free(m);
}

static void drop(st_music *m, const char *what, double now)
{
    if (m->conn) {
        st_error(m->log, "music", "mpd %s:%d: %s: %s; reconnecting in %.0f s", m->p.host, m->p.port,
                 what, mpd_connection_get_error_message(m->conn), m->backoff);
        mpd_connection_free(m->conn);
        m->conn = NULL;
    }
    m->failures++;
    m->next_try = now + m->backoff;
    m->backoff = m->backoff * 2 > m->p.backoff_max_s ? m->p.backoff_max_s : m->backoff * 2;
}

/* 0 when connected; -EAGAIN while backing off; -ECONNREFUSED on failure. */
static int ensure(st_music *m, double now)
{
    if (m->conn) return 0;
    if (now < m->next_try) return -EAGAIN;
    m->conn = mpd_connection_new(m->p.host, (unsigned)m->p.port, (unsigned)m->p.timeout_ms);
    if (!m->conn) {
        st_error(m->log, "music", "mpd %s:%d: out of memory", m->p.host, m->p.port);
        drop(m, "connect", now);
        return -ENOMEM;
    }
    if (mpd_connection_get_error(m->conn) != MPD_ERROR_SUCCESS) {
        drop(m, "connect", now);
        return -ECONNREFUSED;
    }
    m->backoff = m->p.backoff_min_s;
    m->failures = 0;
    st_info(m->log, "music", "connected to mpd %s:%d", m->p.host, m->p.port);
    return 0;
}

/* After a command: 0, -EIO for a refused command (connection kept), or
 * -ECONNRESET after dropping a broken connection. */
static int check(st_music *m, const char *what, double now)
{
    enum mpd_error e = mpd_connection_get_error(m->conn);
    if (e == MPD_ERROR_SUCCESS) return 0;
    if (e == MPD_ERROR_SERVER || e == MPD_ERROR_ARGUMENT) {
        st_error(m->log, "music", "mpd refused %s: %s", what,
                 mpd_connection_get_error_message(m->conn));
        if (mpd_connection_clear_error(m->conn)) return -EIO;
    }
    drop(m, what, now);
    return -ECONNRESET;
}

static void read_status(st_music *m, st_music_status *out, double now)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->state, sizeof(out->state), "?");
    out->volume = -1;
    snprintf(out->programme, sizeof(out->programme), "%s", m->current);
    struct mpd_status *st = mpd_run_status(m->conn);
    if (!st) {
        check(m, "status", now);
        return;
    }
    out->connected = 1;
    switch (mpd_status_get_state(st)) {
    case MPD_STATE_PLAY:
        snprintf(out->state, sizeof(out->state), "play");
        break;
    case MPD_STATE_PAUSE:
        snprintf(out->state, sizeof(out->state), "pause");
        break;
    case MPD_STATE_STOP:
        snprintf(out->state, sizeof(out->state), "stop");
        break;
    default:
        break;
    }
    out->volume = mpd_status_get_volume(st);
    out->crossfade_s = (int)mpd_status_get_crossfade(st);
    out->queue_length = mpd_status_get_queue_length(st);
    mpd_status_free(st);
    struct mpd_song *song = mpd_run_current_song(m->conn);
    if (song) {
        const char *artist = mpd_song_get_tag(song, MPD_TAG_ARTIST, 0);
        const char *title = mpd_song_get_tag(song, MPD_TAG_TITLE, 0);
        if (title)
            snprintf(out->song, sizeof(out->song), "%s%s%s", artist ? artist : "",
                     artist ? " - " : "", title);
        else
            snprintf(out->song, sizeof(out->song), "%s", mpd_song_get_uri(song));
        mpd_song_free(song);
    } else if (check(m, "currentsong", now)) {
        out->connected = 0;
    }
}

int st_music_status_get(st_music *m, st_music_status *out)
{
    if (!m || !out) return -EINVAL;
    double now = mono();
    memset(out, 0, sizeof(*out));
    m->next_try = m->conn ? m->next_try : 0; /* an explicit query tries at once */
    int rc = ensure(m, now);
    if (rc) {
        snprintf(out->state, sizeof(out->state), "?");
        out->volume = -1;
        return rc;
    }
    read_status(m, out, now);
    return out->connected ? 0 : -ECONNRESET;
}

static int find_prog(const st_music *m, const char *name)
{
    for (size_t i = 0; name && i < m->p.nprogrammes; i++)
        if (!strcmp(m->p.programmes[i].name, name)) return (int)i;
    return -1;
}

/* Apply programme gi on a live connection. */
static int apply(st_music *m, int gi, double now)
{
    const st_music_programme *g = &m->p.programmes[gi];
    st_music_status was;
    read_status(m, &was, now);
    if (!m->conn) return -ECONNRESET;
    snprintf(m->last.was, sizeof(m->last.was), "%s%s%.100s @%d", was.state, was.song[0] ? " " : "",
             was.song, was.volume);
    if (!g->playlist[0]) {
        if (!mpd_run_stop(m->conn)) return check(m, "stop", now);
    } else {
        int vol = g->volume > m->p.volume_cap ? m->p.volume_cap : g->volume;
        if (vol < g->volume)
            st_warn(m->log, "music", "programme %s volume %d capped to %d", g->name, g->volume,
                    vol);
        int rc;
        if (!mpd_run_clear(m->conn) && (rc = check(m, "clear", now))) return rc;
        if (!mpd_run_load(m->conn, g->playlist) && (rc = check(m, "load playlist", now))) return rc;
        if (!mpd_run_crossfade(m->conn, (unsigned)g->crossfade_s) &&
            (rc = check(m, "crossfade", now)))
            return rc;
        if (!mpd_run_repeat(m->conn, true) && (rc = check(m, "repeat", now))) return rc;
        /* An MPD without a mixer cannot set volume: logged, and the music still plays. */
        if (!mpd_run_set_volume(m->conn, (unsigned)vol) && check(m, "setvol", now) == -ECONNRESET)
            return -ECONNRESET;
        if (!mpd_run_play(m->conn) && (rc = check(m, "play", now))) return rc;
    }
    snprintf(m->current, sizeof(m->current), "%s", g->name);
    return 0;
}

int st_music_play(st_music *m, const char *programme, const char *zone, double t)
{
    if (!m) return -EINVAL;
    int gi = find_prog(m, programme);
    if (gi < 0) {
        st_error(m->log, "music", "programme '%s' is not defined", programme ? programme : "");
        return -ENOENT;
    }
    double now = mono();
    memset(&m->last, 0, sizeof(m->last));
    m->last.t = t;
    snprintf(m->last.zone, sizeof(m->last.zone), "%s", zone ? zone : "");
    snprintf(m->last.programme, sizeof(m->last.programme), "%s", programme);
    snprintf(m->last.was, sizeof(m->last.was), "unknown (mpd unreachable)");
    int rc = ensure(m, now);
    if (!rc) rc = apply(m, gi, now);
    if (rc == -ECONNRESET) { /* one immediate retry on a fresh connection */
        m->next_try = 0;
        if (!(rc = ensure(m, now))) rc = apply(m, gi, now);
    }
    if (rc && rc != -EIO) {
        m->pending = gi;
        snprintf(m->pending_zone, sizeof(m->pending_zone), "%s", m->last.zone);
        m->pending_t = t;
        st_warn(m->log, "music", "programme %s for %s pending: mpd unreachable (retry in %.0f s)",
                programme, m->last.zone, m->next_try - now > 0 ? m->next_try - now : 0);
        return rc == -EAGAIN ? -ECONNREFUSED : rc;
    }
    m->pending = -1;
    m->last.ok = rc == 0;
    if (!rc)
        st_info(m->log, "music", "programme %s for %s (was: %s)", programme, m->last.zone,
                m->last.was);
    return rc;
}

int st_music_tick(st_music *m, double now)
{
    if (!m) return -EINVAL;
    (void)now;
    double t = mono();
    if (m->pending >= 0) {
        if (t < m->next_try) return 0;
        int gi = m->pending;
        return st_music_play(m, m->p.programmes[gi].name, m->pending_zone, m->pending_t);
    }
    if (!m->conn || t - m->last_check < 1.0) return 0;
    m->last_check = t;
    /* The cap holds against every client, not only our programmes. */
    struct mpd_status *st = mpd_run_status(m->conn);
    if (!st) return check(m, "status", t);
    int vol = mpd_status_get_volume(st);
    mpd_status_free(st);
    if (vol > m->p.volume_cap) {
        st_warn(m->log, "music", "volume %d above the cap %d (set by another client): capped", vol,
                m->p.volume_cap);
        if (!mpd_run_set_volume(m->conn, (unsigned)m->p.volume_cap)) return check(m, "setvol", t);
    }
    return 0;
}

const st_music_record *st_music_last(const st_music *m)
{
    return m ? &m->last : NULL;
}

void st_music_retry_info(const st_music *m, unsigned *failures, double *next_in_s)
{
    double d = m && !m->conn ? m->next_try - mono() : 0;
    if (failures) *failures = m ? m->failures : 0;
    if (next_in_s) *next_in_s = d > 0 ? d : 0;
}

static int act_apply(void *self, const st_intervention *iv)
{
    if (iv->kind != ST_ACT_MUSIC) return 0;
    /* Unreachable MPD: logged, pending and retried by tick; the engine counts it. */
    return st_music_play(self, iv->name, iv->zone, iv->t);
}

static int act_tick(void *self, double now)
{
    return st_music_tick(self, now);
}

static void act_free(void *self)
{
    st_music_free(self);
}

static const st_actuator_ops music_ops = {
    .name = "music", .apply = act_apply, .tick = act_tick, .free = act_free};

st_actuator st_music_actuator(st_music *m)
{
    st_actuator a = {.ops = &music_ops, .self = m};
    return a;
}
