/* Request routing and handlers of the HTTP API, independent of the socket layer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/api.h"
#include "http/auth.h"
#include "stratum/audit.h"

#define ACK_SLOTS 256 /* acknowledged alerts remembered (newest kept) */

typedef struct ack {
    int64_t id;
    double t;
    char actor[64];
} ack;

struct st_api {
    st_live *live;
    st_histdb *hist;
    size_t max_zones;
    char token[ST_AUTH_HEX_MAX];
    char actor[64];
    st_audit *audit;
    const unsigned char *audit_pk;
    char *owner, *retention, *contact, *street;
    int utc_offset_min;
    st_http_sensors_fn sensors;
    void *sensors_ctx;
    st_http_evidence_fn evidence;
    void *evidence_ctx;
    unsigned max_sse;
    st_log *log;
    pthread_mutex_t mu; /* guards audit appends and the ack table */
    int mu_ok;
    ack acks[ACK_SLOTS];
    size_t nacks;
    _Atomic uint64_t responses[ST_METRICS_NCODES];
    _Atomic uint64_t writes_accepted, writes_refused, sse_events, sse_clients, connections;
};

/* Query slots in each pooled connection (histdb.h). */
enum {
    Q_LATEST_RUN,
    Q_RUNS,
    Q_MINUTES,
    Q_TR_LIST,
    Q_TR_LIST_ZONE,
    Q_TR_ONE,
    Q_TR_IVS,
    Q_IV_LIST,
    Q_IV_LIST_ZONE,
    Q_AUDIT_TABLES,
    Q_ALERT_IN_STORE
};

static const char *const SQL[] = {
    [Q_LATEST_RUN] = "SELECT max(id) FROM runs",
    [Q_RUNS] = "SELECT id,started,label,ended,summary FROM runs ORDER BY id DESC LIMIT ?1",
    [Q_MINUTES] = "SELECT t,n_obs,laeq_mean,laeq_max,occupancy,events,score_mean,score_max,state "
                  "FROM (SELECT * FROM minutes WHERE run=?1 AND zone=?2 AND t>=?3 AND t<?4 "
                  "ORDER BY t DESC LIMIT ?5) ORDER BY t",
    [Q_TR_LIST] = "SELECT id,run,zone,t,from_state,to_state,score,json_extract(trace,'$.rule') "
                  "FROM transitions WHERE run=?1 AND t>=?3 AND t<?4 ORDER BY t DESC, id DESC "
                  "LIMIT ?5",
    [Q_TR_LIST_ZONE] = "SELECT id,run,zone,t,from_state,to_state,score,"
                       "json_extract(trace,'$.rule') FROM transitions WHERE zone=?2 AND t>=?3 "
                       "AND t<?4 AND run=?1 ORDER BY t DESC, id DESC LIMIT ?5",
    [Q_TR_ONE] = "SELECT id,run,zone,t,from_state,to_state,score,"
                 "CASE WHEN json_valid(trace) THEN trace END FROM transitions WHERE id=?1",
    [Q_TR_IVS] = "SELECT id,t,kind,name,rule,reason FROM interventions WHERE transition_id=?1 "
                 "ORDER BY id",
    [Q_IV_LIST] = "SELECT i.id,i.run,i.t,i.zone,i.kind,i.name,i.rule,i.transition_id,"
                  "i.from_state,i.to_state,i.reason,(SELECT json_group_array(json_object("
                  "'after_s',o.after_s,'t',o.t,'state',o.state)) FROM outcomes o WHERE "
                  "o.intervention_id=i.id) FROM interventions i WHERE i.run=?1 AND i.t>=?3 AND "
                  "i.t<?4 ORDER BY i.t DESC, i.id DESC LIMIT ?5",
    [Q_IV_LIST_ZONE] = "SELECT i.id,i.run,i.t,i.zone,i.kind,i.name,i.rule,i.transition_id,"
                       "i.from_state,i.to_state,i.reason,(SELECT json_group_array(json_object("
                       "'after_s',o.after_s,'t',o.t,'state',o.state)) FROM outcomes o WHERE "
                       "o.intervention_id=i.id) FROM interventions i WHERE i.zone=?2 AND "
                       "i.t>=?3 AND i.t<?4 AND i.run=?1 ORDER BY i.t DESC, i.id DESC LIMIT ?5",
    [Q_AUDIT_TABLES] = "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                       "('audit','audit_heads')",
    [Q_ALERT_IN_STORE] = "SELECT 1 FROM interventions WHERE id=?1 AND kind='alert'",
};

static const struct {
    const char *name, *type;
} FILES[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"app.js", "text/javascript; charset=utf-8"},
    {"style.css", "text/css; charset=utf-8"},
    {"favicon.svg", "image/svg+xml"},
    {"vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
    {"vendor/uPlot.min.css", "text/css; charset=utf-8"},
};

static const char JSON_TYPE[] = "application/json";

/* ---- lifecycle ---------------------------------------------------------- */

void st_api_free(st_api *a)
{
    if (!a) return;
    free(a->owner);
    free(a->retention);
    free(a->contact);
    free(a->street);
    if (a->mu_ok) pthread_mutex_destroy(&a->mu);
    sodium_memzero(a->token, sizeof(a->token));
    free(a);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

st_api *st_api_new(const st_api_config *c)
{
    st_api *a = NULL;
    int err = EINVAL;
    if (!c || !c->live || !c->max_zones) goto fail;
    if (c->token && strlen(c->token) >= sizeof(a->token)) goto fail;
    err = ENOMEM;
    if (!(a = calloc(1, sizeof(*a)))) goto fail;
    a->live = c->live;
    a->hist = c->hist;
    a->max_zones = c->max_zones;
    if (c->token && *c->token) {
        snprintf(a->token, sizeof(a->token), "%s", c->token);
        st_auth_actor(a->token, a->actor, sizeof(a->actor));
    }
    a->audit = c->audit;
    a->audit_pk = c->audit_pk;
    a->sensors = c->sensors ? c->sensors : st_http_sensors_from_zones;
    a->sensors_ctx = c->sensors_ctx;
    a->evidence = c->evidence;
    a->evidence_ctx = c->evidence_ctx;
    a->max_sse = c->max_sse;
    a->utc_offset_min = c->utc_offset_min;
    a->log = c->log;
    if (!(a->owner = dup_or_empty(c->owner)) || !(a->retention = dup_or_empty(c->retention)) ||
        !(a->contact = dup_or_empty(c->contact)) || !(a->street = dup_or_empty(c->street)))
        goto fail;
    if (pthread_mutex_init(&a->mu, NULL)) goto fail;
    a->mu_ok = 1;
    return a;
fail:
    st_api_free(a);
    errno = err;
    return NULL;
}

void st_api_resp_init(st_api_resp *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    r->content_type = JSON_TYPE;
    r->cache = "no-store";
    st_jbuf_init(&r->body, ST_API_BODY_LIMIT);
}

void st_api_resp_free(st_api_resp *r)
{
    st_jbuf_free(&r->body);
}

/* ---- counters ----------------------------------------------------------- */

void st_api_count(st_api *a, int status)
{
    atomic_fetch_add(&a->responses[st_metrics_code_index(status)], 1);
}

void st_api_conn(st_api *a, int delta)
{
    if (delta > 0)
        atomic_fetch_add(&a->connections, 1);
    else
        atomic_fetch_sub(&a->connections, 1);
}

void st_api_stats(st_api *a, st_metrics_http *out)
{
    for (size_t i = 0; i < ST_METRICS_NCODES; i++)
        out->responses[i] = atomic_load(&a->responses[i]);
    out->writes_accepted = atomic_load(&a->writes_accepted);
    out->writes_refused = atomic_load(&a->writes_refused);
    out->sse_events = atomic_load(&a->sse_events);
    out->sse_clients = atomic_load(&a->sse_clients);
    out->connections = atomic_load(&a->connections);
}

/* ---- helpers ------------------------------------------------------------ */

void st_api_error(st_api_resp *r, int status, const char *msg)
{
    r->status = status;
    r->kind = ST_API_BODY;
    r->content_type = JSON_TYPE;
    st_jbuf_reset(&r->body);
    st_jbuf_obj(&r->body);
    st_jbuf_kstr(&r->body, "error", msg);
    st_jbuf_kint(&r->body, "status", status);
    st_jbuf_end_obj(&r->body);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *arg(const st_api_req *q, const char *key)
{
    for (size_t i = 0; i < q->nargs && i < ST_API_MAX_ARGS; i++)
        if (q->args[i].key && !strcmp(q->args[i].key, key))
            return q->args[i].value ? q->args[i].value : "";
    return NULL;
}

/* Whole number in [min, max] from argument key (def if absent). 0 or -1 with a 400. */
static int arg_long(const st_api_req *q, st_api_resp *r, const char *key, long min, long max,
                    long def, long *out)
{
    const char *s = arg(q, key);
    *out = def;
    if (!s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        char msg[160];
        snprintf(msg, sizeof(msg), "parameter '%s' must be a whole number from %ld to %ld", key,
                 min, max);
        st_api_error(r, 400, msg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Finite number (epoch seconds) from argument key. 0 or -1 with a 400. */
static int arg_time(const st_api_req *q, st_api_resp *r, const char *key, double def, double *out)
{
    const char *s = arg(q, key);
    *out = def;
    if (!s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e11) {
        char msg[160];
        snprintf(msg, sizeof(msg), "parameter '%s' must be a time in epoch seconds", key);
        st_api_error(r, 400, msg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Ids of zones, devices, scenes, policies: 1..max-1 characters of [A-Za-z0-9_.:-]. */
static int valid_name(const char *s, size_t max)
{
    size_t n = 0;
    if (!s) return 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr("_.:-", s[n])) return 0;
    return n > 0 && n < max;
}

/* Optional zone argument: NULL if absent; sets a 400 and returns -1 if malformed. */
static int arg_zone(const st_api_req *q, st_api_resp *r, const char **zone)
{
    *zone = arg(q, "zone");
    if (*zone && !**zone) *zone = NULL;
    if (*zone && !valid_name(*zone, ST_ID_MAX)) {
        st_api_error(r, 400, "parameter 'zone' is not a zone id");
        return -1;
    }
    return 0;
}

/* Path segment after prefix (e.g. "/api/zones/"), copied into out up to the
 * next "/" (rest points after it, or to ""). 0, or -1 if empty or too long. */
static int segment(const char *path, const char *prefix, char *out, size_t cap, const char **rest)
{
    size_t pl = strlen(prefix);
    if (strncmp(path, prefix, pl)) return -1;
    const char *s = path + pl, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (!n || n >= cap) return -1;
    memcpy(out, s, n);
    out[n] = 0;
    *rest = e ? e : "";
    return 0;
}

static int parse_id(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || !isdigit((unsigned char)s[0])) return -1;
    *out = v;
    return 0;
}

/* Column i as a JSON value (NULL -> null). */
static void col_num(st_jbuf *b, sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        st_jbuf_null(b);
    else
        st_jbuf_num(b, sqlite3_column_double(s, i));
}

static void col_int(st_jbuf *b, sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        st_jbuf_null(b);
    else
        st_jbuf_int(b, sqlite3_column_int64(s, i));
}

static void col_str(st_jbuf *b, sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        st_jbuf_null(b);
    else
        st_jbuf_strn(b, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

/* Raw JSON column (already checked valid by SQLite), or fallback. */
static void col_json(st_jbuf *b, sqlite3_stmt *s, int i, const char *fallback)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    st_jbuf_raw(b, t ? (const char *)t : fallback);
}

/* Copy of the live zones (caller frees); NULL on ENOMEM. */
static st_live_zone *zones_copy(st_api *a, size_t *n)
{
    st_live_zone *z = malloc(a->max_zones * sizeof(*z));
    if (!z) return NULL;
    size_t total = st_live_zones(a->live, z, a->max_zones);
    *n = total < a->max_zones ? total : a->max_zones;
    return z;
}

static void zone_json(st_jbuf *b, const st_live_zone *z, size_t index)
{
    st_jbuf_obj(b);
    st_jbuf_kstr(b, "id", z->def.id);
    st_jbuf_kstr(b, "title", z->def.title);
    st_jbuf_kint(b, "index", (int64_t)index);
    st_jbuf_knum(b, "capacity", z->def.capacity);
    st_jbuf_kint(b, "lamps", z->def.lamps);
    st_jbuf_kstr(b, "state", st_state_name(z->status.state));
    st_jbuf_knum(b, "since", z->status.since);
    st_jbuf_knum(b, "score", z->status.score);
    st_jbuf_knum(b, "occupancy", z->status.occupancy);
    st_jbuf_knum(b, "laeq_mid", z->status.laeq_mid);
    st_jbuf_knum(b, "event_rate", z->status.event_rate);
    st_jbuf_knum(b, "last_obs", z->status.last_obs > 0 ? z->status.last_obs : NAN);
    st_jbuf_kbool(b, "stale", z->status.stale);
    st_jbuf_end_obj(b);
}

static void states_json(st_jbuf *b)
{
    st_jbuf_key(b, "states");
    st_jbuf_arr(b);
    for (int s = 0; s < ST_STATE__COUNT; s++) st_jbuf_str(b, st_state_name((st_state)s));
    st_jbuf_end_arr(b);
}

/* ---- read endpoints ----------------------------------------------------- */

static void h_healthz(st_api *a, st_api_resp *r)
{
    st_live_counters c;
    st_live_counters_get(a->live, &c);
    st_jbuf_obj(&r->body);
    st_jbuf_kstr(&r->body, "status", "ok");
    st_jbuf_knum(&r->body, "engine_time", c.now > 0 ? c.now : NAN);
    st_jbuf_kbool(&r->body, "history", a->hist != NULL);
    st_jbuf_end_obj(&r->body);
}

static void h_metrics(st_api *a, st_api_resp *r)
{
    size_t n;
    st_live_zone *z = zones_copy(a, &n);
    if (!z) {
        st_api_error(r, 500, "out of memory");
        return;
    }
    st_live_counters c;
    st_metrics_http h;
    st_live_counters_get(a->live, &c);
    st_api_stats(a, &h);
    h.command_queue = st_live_cmd_pending(a->live);
    st_metrics_render(&r->body, &c, z, n, &h);
    free(z);
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void h_zones(st_api *a, st_api_resp *r, const char *one)
{
    size_t n;
    st_live_zone *z = zones_copy(a, &n);
    if (!z) {
        st_api_error(r, 500, "out of memory");
        return;
    }
    st_live_counters c;
    st_live_counters_get(a->live, &c);
    st_jbuf *b = &r->body;
    if (one) {
        size_t i = 0;
        while (i < n && strcmp(z[i].def.id, one)) i++;
        if (i == n)
            st_api_error(r, 404, "no such zone");
        else
            zone_json(b, &z[i], i);
        free(z);
        return;
    }
    st_jbuf_obj(b);
    st_jbuf_kstr(b, "street", a->street);
    st_jbuf_knum(b, "now", c.now > 0 ? c.now : NAN);
    st_jbuf_kint(b, "utc_offset_min", a->utc_offset_min);
    states_json(b);
    st_jbuf_key(b, "zones");
    st_jbuf_arr(b);
    for (size_t i = 0; i < n; i++) zone_json(b, &z[i], i);
    st_jbuf_end_arr(b);
    st_jbuf_end_obj(b);
    free(z);
}

/* Borrow a history connection or answer 503. */
static st_histconn *hist_get(st_api *a, st_api_resp *r)
{
    st_histconn *c = a->hist ? st_histdb_get(a->hist) : NULL;
    if (!c)
        st_api_error(r, 503,
                     a->hist ? "the evidence store cannot be read right now"
                             : "this server has no evidence store");
    return c;
}

static sqlite3_stmt *stmt(st_api_resp *r, st_histconn *c, int q)
{
    sqlite3_stmt *s = st_histconn_stmt(c, q, SQL[q]);
    if (!s) st_api_error(r, 503, "the evidence store has no such table yet");
    return s;
}

/* The run to show: ?run=N, else the newest. 0 = no run yet; -1 = error answered. */
static int64_t pick_run(const st_api_req *q, st_api_resp *r, st_histconn *c)
{
    long run;
    if (arg_long(q, r, "run", 1, 1L << 40, 0, &run)) return -1;
    if (run) return run;
    sqlite3_stmt *s = stmt(r, c, Q_LATEST_RUN);
    if (!s) return -1;
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

/* Bind the common list parameters: ?1 run, ?2 zone, ?3 since, ?4 until, ?5 limit. */
static int list_params(const st_api_req *q, st_api_resp *r, const char **zone, double *since,
                       double *until, long *limit, long def_limit, long max_limit)
{
    if (arg_zone(q, r, zone) || arg_time(q, r, "since", 0, since) ||
        arg_time(q, r, "until", 1e11, until) ||
        arg_long(q, r, "limit", 1, max_limit, def_limit, limit))
        return -1;
    return 0;
}

static void bind_list(sqlite3_stmt *s, int64_t run, const char *zone, double since, double until,
                      long limit)
{
    sqlite3_bind_int64(s, 1, run);
    if (zone) sqlite3_bind_text(s, 2, zone, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, since);
    sqlite3_bind_double(s, 4, until);
    sqlite3_bind_int64(s, 5, limit);
}

static void h_runs(st_api *a, const st_api_req *q, st_api_resp *r)
{
    long limit;
    if (arg_long(q, r, "limit", 1, 1000, 20, &limit)) return;
    st_histconn *c = hist_get(a, r);
    if (!c) return;
    sqlite3_stmt *s = stmt(r, c, Q_RUNS);
    if (s) {
        sqlite3_bind_int64(s, 1, limit);
        st_jbuf *b = &r->body;
        st_jbuf_obj(b);
        st_jbuf_key(b, "runs");
        st_jbuf_arr(b);
        while (sqlite3_step(s) == SQLITE_ROW) {
            st_jbuf_obj(b);
            st_jbuf_key(b, "id"), col_int(b, s, 0);
            st_jbuf_key(b, "started"), col_num(b, s, 1);
            st_jbuf_key(b, "label"), col_str(b, s, 2);
            st_jbuf_key(b, "ended"), col_num(b, s, 3);
            st_jbuf_end_obj(b);
        }
        st_jbuf_end_arr(b);
        st_jbuf_end_obj(b);
    }
    st_histdb_put(a->hist, c);
}

static void h_minutes(st_api *a, const st_api_req *q, st_api_resp *r, const char *zone)
{
    double since, until;
    long limit;
    const char *unused;
    if (list_params(q, r, &unused, &since, &until, &limit, 240, 20000)) return;
    st_histconn *c = hist_get(a, r);
    if (!c) return;
    int64_t run = pick_run(q, r, c);
    sqlite3_stmt *s = run >= 0 ? stmt(r, c, Q_MINUTES) : NULL;
    if (s) {
        bind_list(s, run, zone, since, until, limit);
        st_jbuf *b = &r->body;
        st_jbuf_obj(b);
        st_jbuf_kstr(b, "zone", zone);
        st_jbuf_key(b, "run");
        if (run)
            st_jbuf_int(b, run);
        else
            st_jbuf_null(b);
        st_jbuf_key(b, "minutes");
        st_jbuf_arr(b);
        while (sqlite3_step(s) == SQLITE_ROW) {
            static const char *const names[] = {"t",         "n_obs",  "laeq_mean",  "laeq_max",
                                                "occupancy", "events", "score_mean", "score_max"};
            st_jbuf_obj(b);
            for (int i = 0; i < 8; i++) {
                st_jbuf_key(b, names[i]);
                col_num(b, s, i);
            }
            st_jbuf_key(b, "state"), col_str(b, s, 8);
            st_jbuf_end_obj(b);
        }
        st_jbuf_end_arr(b);
        st_jbuf_end_obj(b);
    }
    st_histdb_put(a->hist, c);
}

/* The shared start of the transition and intervention lists: parameters, a
 * history connection (*c, to give back with st_histdb_put even on NULL), the
 * run, the statement (zone-filtered when ?zone= is given) bound, and the JSON
 * opened as {"run": N|null, "<key>": [ . Returns the statement to step, or
 * NULL when the response already says what was wrong. */
static sqlite3_stmt *list_begin(st_api *a, const st_api_req *q, st_api_resp *r, int q_all,
                                int q_zone, const char *key, st_histconn **c)
{
    const char *zone;
    double since, until;
    long limit;
    if (list_params(q, r, &zone, &since, &until, &limit, 100, 1000)) return NULL;
    if (!(*c = hist_get(a, r))) return NULL;
    int64_t run = pick_run(q, r, *c);
    sqlite3_stmt *s = run >= 0 ? stmt(r, *c, zone ? q_zone : q_all) : NULL;
    if (!s) return NULL;
    bind_list(s, run, zone, since, until, limit);
    st_jbuf *b = &r->body;
    st_jbuf_obj(b);
    st_jbuf_key(b, "run");
    if (run)
        st_jbuf_int(b, run);
    else
        st_jbuf_null(b);
    st_jbuf_key(b, key);
    st_jbuf_arr(b);
    return s;
}

/* The fields a transition has in the list and alone: columns 0-6 of
 * Q_TR_LIST, Q_TR_LIST_ZONE and Q_TR_ONE. */
static void transition_fields(st_jbuf *b, sqlite3_stmt *s)
{
    st_jbuf_key(b, "id"), col_int(b, s, 0);
    st_jbuf_key(b, "run"), col_int(b, s, 1);
    st_jbuf_key(b, "zone"), col_str(b, s, 2);
    st_jbuf_key(b, "t"), col_num(b, s, 3);
    st_jbuf_key(b, "from"), col_str(b, s, 4);
    st_jbuf_key(b, "to"), col_str(b, s, 5);
    st_jbuf_key(b, "score"), col_num(b, s, 6);
}

static void h_transitions(st_api *a, const st_api_req *q, st_api_resp *r)
{
    st_histconn *c = NULL;
    sqlite3_stmt *s = list_begin(a, q, r, Q_TR_LIST, Q_TR_LIST_ZONE, "transitions", &c);
    if (s) {
        st_jbuf *b = &r->body;
        while (sqlite3_step(s) == SQLITE_ROW) {
            st_jbuf_obj(b);
            transition_fields(b, s);
            st_jbuf_key(b, "rule"), col_str(b, s, 7);
            st_jbuf_end_obj(b);
        }
        st_jbuf_end_arr(b);
        st_jbuf_end_obj(b);
    }
    st_histdb_put(a->hist, c);
}

static void h_transition(st_api *a, st_api_resp *r, const char *idtext)
{
    int64_t id;
    if (parse_id(idtext, &id)) {
        st_api_error(r, 400, "a transition id is a whole number > 0");
        return;
    }
    st_histconn *c = hist_get(a, r);
    if (!c) return;
    sqlite3_stmt *s = stmt(r, c, Q_TR_ONE), *iv = s ? stmt(r, c, Q_TR_IVS) : NULL;
    if (iv) {
        sqlite3_bind_int64(s, 1, id);
        st_jbuf *b = &r->body;
        if (sqlite3_step(s) != SQLITE_ROW) {
            st_api_error(r, 404, "no such transition");
        } else {
            st_jbuf_obj(b);
            transition_fields(b, s);
            st_jbuf_key(b, "trace"), col_json(b, s, 7, "null");
            sqlite3_bind_int64(iv, 1, id);
            st_jbuf_key(b, "interventions");
            st_jbuf_arr(b);
            while (sqlite3_step(iv) == SQLITE_ROW) {
                st_jbuf_obj(b);
                st_jbuf_key(b, "id"), col_int(b, iv, 0);
                st_jbuf_key(b, "t"), col_num(b, iv, 1);
                st_jbuf_key(b, "kind"), col_str(b, iv, 2);
                st_jbuf_key(b, "name"), col_str(b, iv, 3);
                st_jbuf_key(b, "rule"), col_str(b, iv, 4);
                st_jbuf_key(b, "reason"), col_str(b, iv, 5);
                st_jbuf_end_obj(b);
            }
            st_jbuf_end_arr(b);
            st_jbuf_end_obj(b);
        }
    }
    st_histdb_put(a->hist, c);
}

static void h_interventions(st_api *a, const st_api_req *q, st_api_resp *r)
{
    st_histconn *c = NULL;
    sqlite3_stmt *s = list_begin(a, q, r, Q_IV_LIST, Q_IV_LIST_ZONE, "interventions", &c);
    if (s) {
        st_jbuf *b = &r->body;
        while (sqlite3_step(s) == SQLITE_ROW) {
            static const char *const names[] = {"id",   "run",  "t",     "zone",
                                                "kind", "name", "rule",  "transition_id",
                                                "from", "to",   "reason"};
            st_jbuf_obj(b);
            for (int i = 0; i < 11; i++) {
                st_jbuf_key(b, names[i]);
                if (i == 0 || i == 1 || i == 7)
                    col_int(b, s, i);
                else if (i == 2)
                    col_num(b, s, i);
                else
                    col_str(b, s, i);
            }
            st_jbuf_key(b, "outcomes"), col_json(b, s, 11, "[]");
            st_jbuf_end_obj(b);
        }
        st_jbuf_end_arr(b);
        st_jbuf_end_obj(b);
    }
    st_histdb_put(a->hist, c);
}

/* Acknowledgement of alert id, copied into *out; 1 if found. Lock held by caller. */
static int ack_find(const st_api *a, int64_t id, ack *out)
{
    size_t n = a->nacks < ACK_SLOTS ? a->nacks : ACK_SLOTS;
    for (size_t i = 0; i < n; i++)
        if (a->acks[i].id == id) {
            *out = a->acks[i];
            return 1;
        }
    return 0;
}

/* Walk the events ring from its oldest event; fn returns nonzero to stop. */
static int ring_walk(st_api *a,
                     int (*fn)(void *ctx, int64_t id, const char *type, const char *json),
                     void *ctx, char *json, size_t cap)
{
    char type[16];
    int64_t after = 0, id;
    while ((id = st_live_next(a->live, after, 0, type, sizeof(type), json, cap)) > 0) {
        after = id;
        if (fn(ctx, id, type, json)) return 1;
    }
    return 0;
}

typedef struct alerts_ctx {
    st_api *a;
    st_jbuf *b;
    int64_t want; /* find mode: the alert id looked for */
    int found;
} alerts_ctx;

static int alert_add(void *vctx, int64_t ev_id, const char *type, const char *json)
{
    alerts_ctx *x = vctx;
    if (strcmp(type, "alert")) return 0;
    json_t *j = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    json_t *jid = json_object_get(j, "id");
    if (!json_is_object(j) || !json_is_integer(jid)) {
        json_decref(j);
        return 0; /* not ours: skip rather than show half an alert */
    }
    int64_t id = json_integer_value(jid);
    if (x->want) {
        json_decref(j);
        x->found = id == x->want;
        return x->found;
    }
    ack k;
    pthread_mutex_lock(&x->a->mu);
    int acked = ack_find(x->a, id, &k);
    pthread_mutex_unlock(&x->a->mu);
    json_object_set_new(j, "event_id", json_integer(ev_id));
    json_object_set_new(j, "acknowledged", json_boolean(acked));
    if (acked) {
        json_object_set_new(j, "acknowledged_by", json_string(k.actor));
        json_object_set_new(j, "acknowledged_at", json_real(k.t));
    }
    char *text = json_dumps(j, JSON_COMPACT);
    if (text) st_jbuf_raw(x->b, text);
    free(text);
    json_decref(j);
    return 0;
}

static void h_alerts(st_api *a, st_api_resp *r)
{
    char *json = malloc(65536);
    if (!json) {
        st_api_error(r, 500, "out of memory");
        return;
    }
    st_jbuf *b = &r->body;
    alerts_ctx x = {a, b, 0, 0};
    st_jbuf_obj(b);
    st_jbuf_kstr(b, "source", "live events (since the daemon started)");
    st_jbuf_key(b, "alerts");
    st_jbuf_arr(b);
    ring_walk(a, alert_add, &x, json, 65536);
    st_jbuf_end_arr(b);
    st_jbuf_end_obj(b);
    free(json);
}

static void h_devices(st_api *a, st_api_resp *r, int reg)
{
    size_t n;
    st_live_zone *z = zones_copy(a, &n);
    size_t cap = 4 * a->max_zones + 16;
    st_http_sensor *sv = malloc(cap * sizeof(*sv));
    if (!z || !sv) {
        free(z);
        free(sv);
        st_api_error(r, 500, "out of memory");
        return;
    }
    size_t ns = a->sensors(a->sensors_ctx, z, n, sv, cap);
    if (ns > cap) ns = cap;
    st_live_counters c;
    st_live_counters_get(a->live, &c);
    st_jbuf *b = &r->body;
    st_jbuf_obj(b);
    if (reg) {
        st_jbuf_kstr(b, "owner", a->owner);
        st_jbuf_kstr(b, "retention", a->retention);
        st_jbuf_kstr(b, "contact", a->contact);
        st_jbuf_kstr(b, "principle",
                     "Sensors report levels, counts and event labels only. No audio, no images "
                     "and no identifiers (faces, phones, MAC addresses) are recorded, sent or "
                     "stored.");
    } else {
        st_jbuf_knum(b, "now", c.now > 0 ? c.now : NAN);
        st_jbuf_knum(b, "stale_after_s", ST_API_DEVICE_STALE_S);
    }
    st_jbuf_key(b, reg ? "sensors" : "devices");
    st_jbuf_arr(b);
    for (size_t i = 0; i < ns; i++) {
        const st_http_sensor *s = &sv[i];
        st_jbuf_obj(b);
        st_jbuf_kstr(b, "id", s->id);
        st_jbuf_kstr(b, "zone", s->zone);
        st_jbuf_kstr(b, "kind", s->kind);
        if (reg) {
            st_jbuf_kstr(b, "measures", s->measures);
            st_jbuf_kstr(b, "does_not_record", s->not_recorded);
            st_jbuf_kstr(b, "owner", a->owner);
            st_jbuf_kstr(b, "retention", a->retention);
        } else {
            st_jbuf_kstr(b, "version", s->version[0] ? s->version : NULL);
            st_jbuf_knum(b, "last_seen", s->last_seen > 0 ? s->last_seen : NAN);
            double age = s->last_seen > 0 && c.now > 0 ? c.now - s->last_seen : NAN;
            st_jbuf_knum(b, "age_s", age);
            int zone_stale = 0;
            for (size_t k = 0; k < n; k++)
                if (!strcmp(z[k].def.id, s->zone)) zone_stale = z[k].status.stale;
            const char *health =
                s->last_seen <= 0                                                    ? "never-seen"
                : (s->health_from_zone && zone_stale) || age > ST_API_DEVICE_STALE_S ? "stale"
                                                                                     : "ok";
            st_jbuf_kstr(b, "health", health);
            st_jbuf_key(b, "quarantined");
            if (s->quarantined < 0)
                st_jbuf_null(b);
            else
                st_jbuf_bool(b, s->quarantined);
            st_jbuf_kstr(b, "health_source", s->health_from_zone ? "zone" : "device");
        }
        st_jbuf_end_obj(b);
    }
    st_jbuf_end_arr(b);
    st_jbuf_end_obj(b);
    free(z);
    free(sv);
}

static void h_register_html(st_api *a, st_api_resp *r)
{
    size_t n;
    st_live_zone *z = zones_copy(a, &n);
    size_t cap = 4 * a->max_zones + 16;
    st_http_sensor *sv = malloc(cap * sizeof(*sv));
    if (!z || !sv) {
        free(z);
        free(sv);
        st_api_error(r, 500, "out of memory");
        return;
    }
    size_t ns = a->sensors(a->sensors_ctx, z, n, sv, cap);
    if (ns > cap) ns = cap;
    st_jbuf *b = &r->body;
    r->content_type = "text/html; charset=utf-8";
    st_jbuf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                    "<title>Sensor register</title><link rel=\"stylesheet\" href=\"/style.css\">"
                    "</head><body class=\"register\"><header><h1>Sensor register</h1>"
                    "<p>Every sensor on this street, what it measures and what it does "
                    "<strong>not</strong> record. Sensors report levels, counts and event labels "
                    "only: no audio, no images and no identifiers are recorded, sent or stored. "
                    "Machine-readable: <a href=\"/api/register\">/api/register</a>.</p>");
    st_jbuf_puts(b, "<dl><dt>Owner</dt><dd>");
    st_jbuf_html(b, a->owner);
    st_jbuf_puts(b, "</dd><dt>Retention</dt><dd>");
    st_jbuf_html(b, a->retention);
    st_jbuf_puts(b, "</dd><dt>Contact</dt><dd>");
    st_jbuf_html(b, a->contact);
    st_jbuf_printf(b,
                   "</dd><dt>Sensors</dt><dd>%zu</dd></dl></header><main><table>"
                   "<thead><tr><th>Sensor</th><th>Zone</th><th>Kind</th><th>Measures</th>"
                   "<th>Does not record</th></tr></thead><tbody>\n",
                   ns);
    for (size_t i = 0; i < ns; i++) {
        const char *cells[] = {sv[i].id, sv[i].zone, sv[i].kind, sv[i].measures,
                               sv[i].not_recorded};
        st_jbuf_puts(b, "<tr>");
        for (size_t k = 0; k < 5; k++) {
            st_jbuf_puts(b, "<td>");
            st_jbuf_html(b, cells[k]);
            st_jbuf_puts(b, "</td>");
        }
        st_jbuf_puts(b, "</tr>\n");
    }
    st_jbuf_puts(b, "</tbody></table></main></body></html>\n");
    free(z);
    free(sv);
}

static void h_evidence(st_api *a, st_api_resp *r)
{
    if (!a->evidence) {
        st_api_error(r, 404,
                     "evidence report not available yet: no evidence provider is "
                     "registered in this daemon");
        return;
    }
    errno = 0;
    char *text = a->evidence(a->evidence_ctx);
    if (!text) {
        if (errno == ENOENT)
            st_api_error(r, 404, "no evidence report has been computed yet");
        else
            st_api_error(r, 500, "the evidence report could not be computed");
        return;
    }
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        st_api_error(r, 500, "the evidence provider returned invalid JSON");
    else
        st_jbuf_puts(&r->body, text);
    json_decref(j);
    free(text);
}

static void h_audit(st_api *a, st_api_resp *r)
{
    st_histconn *c = hist_get(a, r);
    if (!c) return;
    sqlite3_stmt *s = stmt(r, c, Q_AUDIT_TABLES);
    if (s) {
        int tables = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
        sqlite3_reset(s);
        st_jbuf *b = &r->body;
        st_audit_report rep;
        if (tables < 2) {
            st_jbuf_obj(b);
            st_jbuf_kstr(b, "status", "none");
            st_jbuf_kstr(b, "message", "no audit records");
            st_jbuf_end_obj(b);
        } else if (st_audit_verify(st_histconn_db(c), a->audit_pk, &rep) < 0) {
            st_api_error(r, 503, "the audit chain cannot be read right now");
        } else {
            st_jbuf_obj(b);
            st_jbuf_kstr(b, "status", rep.records == 0 ? "empty" : rep.ok ? "ok" : "broken");
            st_jbuf_kbool(b, "ok", rep.ok);
            st_jbuf_kint(b, "records", rep.records);
            st_jbuf_kint(b, "signed_heads", rep.heads);
            st_jbuf_kint(b, "last_signed", rep.last_signed);
            st_jbuf_key(b, "bad_seq");
            if (rep.ok)
                st_jbuf_null(b);
            else
                st_jbuf_int(b, rep.bad_seq);
            st_jbuf_kstr(b, "problem", rep.problem);
            st_jbuf_kbool(b, "key_configured", a->audit_pk != NULL);
            st_jbuf_end_obj(b);
        }
    }
    st_histdb_put(a->hist, c);
}

static void h_index(st_api_resp *r)
{
    static const char *const eps[][2] = {
        {"GET /healthz", "liveness"},
        {"GET /metrics", "Prometheus text format"},
        {"GET /api/zones", "zones, states and live status"},
        {"GET /api/zones/{id}", "one zone"},
        {"GET /api/zones/{id}/minutes", "per-minute observations (run, since, until, limit)"},
        {"GET /api/runs", "runs (nights), newest first"},
        {"GET /api/transitions", "transitions (zone, run, since, until, limit)"},
        {"GET /api/transitions/{id}", "one transition with its decision trace"},
        {"GET /api/interventions", "interventions with outcomes (zone, run, since, until, limit)"},
        {"GET /api/alerts", "alerts since the daemon started"},
        {"GET /api/devices", "devices and their health"},
        {"GET /api/evidence", "the evidence report"},
        {"GET /api/audit", "audit chain status"},
        {"GET /api/events", "server-sent events"},
        {"GET /api/register", "public sensor register (also /register)"},
        {"POST /api/alerts/{id}/ack", "acknowledge an alert (token)"},
        {"POST /api/policy/pin", "pin a policy {policy, zone?} (token)"},
        {"POST /api/scene", "switch a scene by hand {scene, zone?} (token)"},
    };
    st_jbuf *b = &r->body;
    st_jbuf_obj(b);
    st_jbuf_key(b, "endpoints");
    st_jbuf_arr(b);
    for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
        st_jbuf_obj(b);
        st_jbuf_kstr(b, "endpoint", eps[i][0]);
        st_jbuf_kstr(b, "what", eps[i][1]);
        st_jbuf_end_obj(b);
    }
    st_jbuf_end_arr(b);
    st_jbuf_end_obj(b);
}

/* ---- write endpoints ---------------------------------------------------- */

static int zone_exists(st_api *a, const char *zone)
{
    size_t n;
    st_live_zone *z = zones_copy(a, &n);
    int found = 0;
    for (size_t i = 0; z && i < n && !found; i++) found = !strcmp(z[i].def.id, zone);
    free(z);
    return found;
}

static int alert_exists(st_api *a, int64_t id)
{
    char *json = malloc(65536);
    alerts_ctx x = {a, NULL, id, 0};
    if (json) ring_walk(a, alert_add, &x, json, 65536);
    free(json);
    if (x.found || !a->hist) return x.found;
    st_histconn *c = st_histdb_get(a->hist);
    if (!c) return 0;
    sqlite3_stmt *s = st_histconn_stmt(c, Q_ALERT_IN_STORE, SQL[Q_ALERT_IN_STORE]);
    int found = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        found = sqlite3_step(s) == SQLITE_ROW;
    }
    st_histdb_put(a->hist, c);
    return found;
}

static const char *cmd_name(st_live_cmd_kind k)
{
    return k == ST_CMD_SCENE ? "scene" : k == ST_CMD_PIN_POLICY ? "pin-policy" : "ack-alert";
}

/* The audit record's detail for a write; 0 or -1 if it does not fit. */
static int write_detail(const st_api_req *q, const st_live_cmd *cmd, const char *result, char *out,
                        size_t cap)
{
    st_jbuf d;
    st_jbuf_init_fixed(&d, out, cap);
    st_jbuf_obj(&d);
    st_jbuf_kstr(&d, "command", cmd_name(cmd->kind));
    st_jbuf_kstr(&d, "zone", cmd->zone);
    st_jbuf_kstr(&d, "arg", cmd->arg);
    st_jbuf_kstr(&d, "remote", q->remote ? q->remote : "");
    st_jbuf_kstr(&d, "result", result);
    st_jbuf_end_obj(&d);
    return d.failed ? -1 : 0;
}

/* Audit (when configured), then queue the command; fills the response. */
static void do_write(st_api *a, const st_api_req *q, st_api_resp *r, const st_live_cmd *cmd)
{
    int64_t seq = 0;
    char detail[512];
    const char *subject = cmd->zone[0] ? cmd->zone : "street";
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    if (a->audit) {
        if (write_detail(q, cmd, "queued", detail, sizeof(detail)) == 0)
            seq = st_audit_append(a->audit, wall_now(), "write", cmd->actor, subject, detail);
        if (seq <= 0) rc = -EIO;
    }
    if (!rc) rc = st_live_cmd_post(a->live, cmd);
    if (rc == -EAGAIN && a->audit &&
        write_detail(q, cmd, "dropped: command queue full", detail, sizeof(detail)) == 0)
        /* Logged as queued but the engine never got it: the chain says so too. */
        st_audit_append(a->audit, wall_now(), "write", cmd->actor, subject, detail);
    if (rc == 0 && cmd->kind == ST_CMD_ACK_ALERT) {
        ack *k = &a->acks[a->nacks++ % ACK_SLOTS];
        k->id = strtoll(cmd->arg, NULL, 10);
        k->t = wall_now();
        snprintf(k->actor, sizeof(k->actor), "%s", cmd->actor);
    }
    pthread_mutex_unlock(&a->mu);
    if (rc == -EIO) {
        atomic_fetch_add(&a->writes_refused, 1);
        st_error(a->log, "http", "write %s refused: the audit log could not be appended",
                 cmd_name(cmd->kind));
        st_api_error(r, 500, "the audit log could not be written; nothing was done");
        return;
    }
    if (rc == -EAGAIN) {
        atomic_fetch_add(&a->writes_refused, 1);
        st_api_error(r, 503, "the engine's command queue is full; try again");
        return;
    }
    atomic_fetch_add(&a->writes_accepted, 1);
    st_info(a->log, "http", "write by %s: %s zone '%s' arg '%s' (audit record %lld)", cmd->actor,
            cmd_name(cmd->kind), cmd->zone, cmd->arg, (long long)seq);
    r->status = 202;
    st_jbuf *b = &r->body;
    st_jbuf_obj(b);
    st_jbuf_kbool(b, "accepted", 1);
    st_jbuf_kstr(b, "command", cmd_name(cmd->kind));
    st_jbuf_kstr(b, "zone", cmd->zone);
    st_jbuf_kstr(b, "arg", cmd->arg);
    st_jbuf_kstr(b, "actor", cmd->actor);
    st_jbuf_key(b, "audit_seq");
    if (seq > 0)
        st_jbuf_int(b, seq);
    else
        st_jbuf_null(b);
    st_jbuf_end_obj(b);
}

/* The request body as a JSON object (empty body = {}); NULL after a 400. */
static json_t *body_object(const st_api_req *q, st_api_resp *r)
{
    if (!q->body_len) return json_object();
    json_error_t e;
    json_t *j = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(j)) {
        json_decref(j);
        st_api_error(r, 400, "the request body must be a JSON object");
        return NULL;
    }
    return j;
}

/* String member key of j (NULL if absent); -1 after a 400 if not a string. */
static int member(json_t *j, const char *key, const char **out, st_api_resp *r)
{
    json_t *v = json_object_get(j, key);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "'%s' must be a string", key);
        st_api_error(r, 400, msg);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static void h_write(st_api *a, const st_api_req *q, st_api_resp *r, st_live_cmd_kind kind,
                    const char *alert_id)
{
    if (!st_auth_check(a->token, q->authorization)) {
        atomic_fetch_add(&a->writes_refused, 1);
        st_api_error(r, 401,
                     a->token[0] ? "a valid operator token is required "
                                   "(Authorization: Bearer <token>)"
                                 : "write actions are disabled: no operator token is "
                                   "configured");
        return;
    }
    st_live_cmd cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.kind = kind;
    snprintf(cmd.actor, sizeof(cmd.actor), "%s", a->actor);
    json_t *j = body_object(q, r);
    const char *zone = NULL, *name = NULL;
    if (!j) goto refused;
    if (member(j, "zone", &zone, r)) goto refused;
    if (zone && *zone) {
        if (!valid_name(zone, sizeof(cmd.zone))) {
            st_api_error(r, 400, "'zone' is not a zone id");
            goto refused;
        }
        if (!zone_exists(a, zone)) {
            st_api_error(r, 404, "no such zone");
            goto refused;
        }
        snprintf(cmd.zone, sizeof(cmd.zone), "%s", zone);
    }
    if (kind == ST_CMD_ACK_ALERT) {
        int64_t id;
        if (parse_id(alert_id, &id)) {
            st_api_error(r, 400, "an alert id is a whole number > 0");
            goto refused;
        }
        if (!alert_exists(a, id)) {
            st_api_error(r, 404, "no such alert");
            goto refused;
        }
        snprintf(cmd.arg, sizeof(cmd.arg), "%lld", (long long)id);
    } else {
        const char *key = kind == ST_CMD_SCENE ? "scene" : "policy";
        size_t max = kind == ST_CMD_SCENE ? ST_ACTION_MAX : sizeof(cmd.arg);
        if (member(j, key, &name, r)) goto refused;
        if (!valid_name(name, max)) {
            char msg[160];
            snprintf(msg, sizeof(msg), "'%s' must be a name of 1 to %zu characters [A-Za-z0-9_.:-]",
                     key, max - 1);
            st_api_error(r, 400, msg);
            goto refused;
        }
        snprintf(cmd.arg, sizeof(cmd.arg), "%s", name);
    }
    json_decref(j);
    do_write(a, q, r, &cmd);
    return;
refused:
    json_decref(j);
    atomic_fetch_add(&a->writes_refused, 1);
}

/* ---- static files ------------------------------------------------------- */

const char *st_api_file_type(const char *name)
{
    for (size_t i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++)
        if (!strcmp(FILES[i].name, name)) return FILES[i].type;
    return NULL;
}

/* ---- router ------------------------------------------------------------- */

static int is_get(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

static void not_allowed(st_api_resp *r, const char *allow)
{
    st_api_error(r, 405, "method not allowed");
    r->allow = allow;
}

void st_api_handle(st_api *a, const st_api_req *q, st_api_resp *r)
{
    const char *p = q->path, *rest;
    char seg[64];
    if (!q->method || !p || p[0] != '/') {
        st_api_error(r, 400, "malformed request");
        return;
    }
    int get = is_get(q->method), post = !strcmp(q->method, "POST");
    /* Writes first: each has exactly one route. */
    if (!strcmp(p, "/api/scene") || !strcmp(p, "/api/policy/pin") ||
        (!segment(p, "/api/alerts/", seg, sizeof(seg), &rest) && !strcmp(rest, "/ack"))) {
        if (!post) return not_allowed(r, "POST");
        if (!strcmp(p, "/api/scene")) return h_write(a, q, r, ST_CMD_SCENE, NULL);
        if (!strcmp(p, "/api/policy/pin")) return h_write(a, q, r, ST_CMD_PIN_POLICY, NULL);
        return h_write(a, q, r, ST_CMD_ACK_ALERT, seg);
    }
    if (!get) {
        /* Everything else is read-only; an unknown method gets the same 405
         * (a 4xx: the client sent something this server never accepts). */
        not_allowed(r, "GET, HEAD");
        return;
    }
    if (!strcmp(p, "/healthz")) return h_healthz(a, r);
    if (!strcmp(p, "/metrics")) return h_metrics(a, r);
    if (!strcmp(p, "/api") || !strcmp(p, "/api/")) return h_index(r);
    if (!strcmp(p, "/api/zones")) return h_zones(a, r, NULL);
    if (!segment(p, "/api/zones/", seg, sizeof(seg), &rest)) {
        if (!valid_name(seg, ST_ID_MAX)) {
            st_api_error(r, 404, "no such zone");
            return;
        }
        if (!*rest) return h_zones(a, r, seg);
        if (!strcmp(rest, "/minutes")) {
            if (!zone_exists(a, seg)) {
                st_api_error(r, 404, "no such zone");
                return;
            }
            return h_minutes(a, q, r, seg);
        }
    }
    if (!strcmp(p, "/api/runs")) return h_runs(a, q, r);
    if (!strcmp(p, "/api/transitions")) return h_transitions(a, q, r);
    if (!segment(p, "/api/transitions/", seg, sizeof(seg), &rest) && !*rest)
        return h_transition(a, r, seg);
    if (!strcmp(p, "/api/interventions")) return h_interventions(a, q, r);
    if (!strcmp(p, "/api/alerts")) return h_alerts(a, r);
    if (!strcmp(p, "/api/devices")) return h_devices(a, r, 0);
    if (!strcmp(p, "/api/register")) return h_devices(a, r, 1);
    if (!strcmp(p, "/register")) return h_register_html(a, r);
    if (!strcmp(p, "/api/evidence")) return h_evidence(a, r);
    if (!strcmp(p, "/api/audit")) return h_audit(a, r);
    if (!strcmp(p, "/api/events")) {
        /* Resume after the Last-Event-ID the browser sends on reconnection
         * (W3C Server-Sent Events), or ?after=N; default: the oldest event kept. */
        const char *last = q->last_event_id ? q->last_event_id : arg(q, "after");
        int64_t after = 0;
        if (last && *last && parse_id(last, &after) && strcmp(last, "0")) {
            st_api_error(r, 400, "Last-Event-ID must be an event id");
            return;
        }
        r->kind = ST_API_EVENTS;
        r->events_after = after;
        r->content_type = "text/event-stream";
        return;
    }
    if (!strncmp(p, "/api/", 5)) {
        st_api_error(r, 404, "no such endpoint; see /api");
        return;
    }
    const char *name = !strcmp(p, "/") ? "index.html" : p + 1;
    const char *type = st_api_file_type(name);
    if (!type) {
        st_api_error(r, 404, "not found");
        return;
    }
    r->kind = ST_API_FILE;
    r->content_type = type;
    r->cache = "no-cache";
    snprintf(r->file, sizeof(r->file), "%s", name);
}

/* ---- event streams ------------------------------------------------------ */

int st_api_sse_open(st_api *a, st_api_sse *s, int64_t after, size_t event_cap)
{
    memset(s, 0, sizeof(*s));
    uint64_t n = atomic_fetch_add(&a->sse_clients, 1);
    if (n >= a->max_sse) {
        atomic_fetch_sub(&a->sse_clients, 1);
        return -EBUSY;
    }
    s->after = after;
    s->json_cap = event_cap;
    st_jbuf_init(&s->out, ST_API_BODY_LIMIT);
    s->json = malloc(event_cap);
    s->zones = malloc(a->max_zones * sizeof(*s->zones));
    if (!s->json || !s->zones) {
        free(s->json);
        free(s->zones);
        s->json = NULL;
        s->zones = NULL;
        atomic_fetch_sub(&a->sse_clients, 1);
        return -ENOMEM;
    }
    return 0;
}

void st_api_sse_close(st_api *a, st_api_sse *s)
{
    if (!s->json) return;
    free(s->json);
    free(s->zones);
    st_jbuf_free(&s->out);
    s->json = NULL;
    atomic_fetch_sub(&a->sse_clients, 1);
}

static void sse_zones(st_api *a, st_api_sse *s)
{
    st_live_counters c;
    st_live_counters_get(a->live, &c);
    size_t total = st_live_zones(a->live, s->zones, a->max_zones);
    size_t n = total < a->max_zones ? total : a->max_zones;
    st_jbuf *b = &s->out;
    st_jbuf_puts(b, "event: zones\ndata: ");
    st_jbuf_obj(b);
    st_jbuf_knum(b, "now", c.now > 0 ? c.now : NAN);
    st_jbuf_key(b, "zones");
    st_jbuf_arr(b);
    for (size_t i = 0; i < n; i++) {
        const st_live_zone *z = &s->zones[i];
        st_jbuf_obj(b);
        st_jbuf_kstr(b, "id", z->def.id);
        st_jbuf_kstr(b, "state", st_state_name(z->status.state));
        st_jbuf_knum(b, "since", z->status.since);
        st_jbuf_knum(b, "score", z->status.score);
        st_jbuf_knum(b, "occupancy", z->status.occupancy);
        st_jbuf_knum(b, "laeq_mid", z->status.laeq_mid);
        st_jbuf_knum(b, "event_rate", z->status.event_rate);
        st_jbuf_kbool(b, "stale", z->status.stale);
        st_jbuf_end_obj(b);
    }
    st_jbuf_end_arr(b);
    st_jbuf_end_obj(b);
    st_jbuf_puts(b, "\n\n");
}

/* One event: "id:", "event:" and one "data:" line per line of the JSON. */
static void sse_event(st_jbuf *b, int64_t id, const char *type, const char *json)
{
    st_jbuf_printf(b, "id: %lld\nevent: ", (long long)id);
    for (const char *t = type; *t; t++)
        st_jbuf_put(b, isalnum((unsigned char)*t) || *t == '-' || *t == '_' ? t : "_", 1);
    st_jbuf_puts(b, "\ndata: ");
    for (const char *j = json; *j; j++) {
        if (*j == '\r') continue;
        st_jbuf_put(b, j, 1);
        if (*j == '\n') st_jbuf_puts(b, "data: ");
    }
    st_jbuf_puts(b, "\n\n");
}

size_t st_api_sse_read(st_api *a, st_api_sse *s, char *buf, size_t max, const atomic_int *stop)
{
    for (;;) {
        if (s->out.failed) return 0;
        if (s->off < s->out.len) {
            size_t n = s->out.len - s->off < max ? s->out.len - s->off : max;
            memcpy(buf, s->out.p + s->off, n);
            s->off += n;
            if (s->off == s->out.len) {
                st_jbuf_reset(&s->out);
                s->off = 0;
            }
            return n;
        }
        if (atomic_load(stop)) return 0;
        double now = mono_now();
        if (!s->started) {
            s->started = 1;
            st_jbuf_puts(&s->out, "retry: 2000\n\n");
            sse_zones(a, s);
            s->next_zones = now + 1;
            s->next_ping = now + 5;
            continue;
        }
        int64_t id =
            st_live_next(a->live, s->after, 250, s->type, sizeof(s->type), s->json, s->json_cap);
        if (id < 0) return 0; /* the live state was closed: end of stream */
        now = mono_now();
        if (id > 0) {
            s->after = id;
            sse_event(&s->out, id, s->type, s->json);
            atomic_fetch_add(&a->sse_events, 1);
        }
        if (now >= s->next_zones) {
            sse_zones(a, s);
            s->next_zones = now + 1;
            s->next_ping = now + 5;
        } else if (now >= s->next_ping && s->out.len == 0) {
            st_jbuf_puts(&s->out, ": keep-alive\n\n");
            s->next_ping = now + 5;
        }
    }
}
