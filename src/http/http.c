/* The daemon's HTTP server on libmicrohttpd: limits, static files, event
 * streams and the glue between sockets and the API router (api.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/auth.h"
#include "http/histdb.h"
#include "http/jbuf.h"
#include "stratum/http.h"
#include "stratum/registry.h"

#define HIST_CONNS    4     /* read-only store connections shared by request threads */
#define SSE_EVENT_CAP 16384 /* largest live event relayed on a stream, bytes */
#define SSE_BLOCK     32768 /* stream write block */

struct st_http {
    struct MHD_Daemon *d;
    st_api *api;
    st_histdb *hist;
    st_log *log;
    char *web_root;
    size_t max_body, max_url;
    int port;
    atomic_int stopping;
};

/* Per-request state, made by the URI callback before the headers are parsed. */
typedef struct req_ctx {
    size_t uri_len;
    char *body;
    size_t body_len;
    int too_big;
    int headers_seen;
    int status; /* the status queued */
} req_ctx;

typedef struct sse_ctx {
    st_http *h;
    st_api_sse s;
} sse_ctx;

void st_http_params_default(st_http_params *p)
{
    memset(p, 0, sizeof(*p));
    p->bind_addr = "127.0.0.1";
    p->port = 8080;
    p->max_connections = 64;
    p->max_sse = 16;
    p->max_body = 4096;
    p->max_url = 1024;
    p->max_zones = 256;
    p->token_path = "stratum.token";
    p->owner = "the municipality operating this street";
    p->retention = "per-minute aggregates and decisions: 1 year; no raw data is kept";
    p->contact = "see the street's signage";
    p->street = "";
}

/* ---- sensors ------------------------------------------------------------ */

/* What a sensor of this kind measures and does not record, in the register's
 * words: counters (people) or sound meters; anything else as registered. */
static void describe(st_http_sensor *s, const char *type)
{
    int counter = strstr(type, "count") || strstr(type, "cam");
    int sound = strstr(type, "sound") || strstr(type, "meter") || strstr(type, "mic");
    snprintf(s->kind, sizeof(s->kind), "%s",
             counter ? "people-counter"
             : sound ? "sound-meter"
                     : type);
    if (sound && !counter) {
        snprintf(s->measures, sizeof(s->measures),
                 "A-weighted sound levels (LAeq, LAFmax; IEC 61672), 1/3-octave band "
                 "levels (IEC 61260) and labels of sound events (shout, glass, bang...)");
        snprintf(s->not_recorded, sizeof(s->not_recorded),
                 "No audio: sound is analysed in the meter's memory and discarded. No "
                 "recordings, no speech content, no identifiers.");
    } else if (counter) {
        snprintf(s->measures, sizeof(s->measures),
                 "The number of people present in the zone (a count)");
        snprintf(s->not_recorded, sizeof(s->not_recorded),
                 "No images or video leave the counter. No faces, no tracking, no "
                 "identifiers (phones, MAC addresses).");
    } else {
        snprintf(s->measures, sizeof(s->measures), "Aggregate observations (SenML), as registered");
        snprintf(s->not_recorded, sizeof(s->not_recorded),
                 "No audio, no images, no identifiers: only aggregates are accepted.");
    }
}

size_t st_http_sensors_from_zones(void *ctx, const st_live_zone *zones, size_t nzones,
                                  st_http_sensor *out, size_t max)
{
    (void)ctx;
    size_t n = 0;
    for (size_t i = 0; i < nzones; i++)
        for (int k = 0; k < 2; k++, n++) {
            if (n >= max) continue;
            st_http_sensor *s = &out[n];
            memset(s, 0, sizeof(*s));
            snprintf(s->id, sizeof(s->id), "%s-%zu", k ? "cam" : "meter", i + 1);
            snprintf(s->zone, sizeof(s->zone), "%s", zones[i].def.id);
            describe(s, k ? "counter" : "sound-meter");
            s->last_seen = zones[i].status.last_obs;
            s->quarantined = -1;
            s->health_from_zone = 1;
        }
    return n;
}

size_t st_http_sensors_from_registry(void *ctx, const st_live_zone *zones, size_t nzones,
                                     st_http_sensor *out, size_t max)
{
    const char *path = ctx;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    size_t n = 0;
    double now = (double)time(NULL);
    if (!path || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT d.id, d.zone, d.type, coalesce(d.sw_version, ''), d.revoked, "
                           "p.min_version, p.end_of_support FROM devices d LEFT JOIN "
                           "device_policies p ON p.type = d.type ORDER BY d.zone, d.id",
                           -1, &q, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return st_http_sensors_from_zones(NULL, zones, nzones, out, max);
    }
    sqlite3_busy_timeout(db, 1000);
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n < max) {
            st_http_sensor *s = &out[n];
            memset(s, 0, sizeof(*s));
            snprintf(s->id, sizeof(s->id), "%s", (const char *)sqlite3_column_text(q, 0));
            snprintf(s->zone, sizeof(s->zone), "%s", (const char *)sqlite3_column_text(q, 1));
            describe(s, (const char *)sqlite3_column_text(q, 2));
            const char *ver = (const char *)sqlite3_column_text(q, 3);
            snprintf(s->version, sizeof(s->version), "%s", ver);
            /* Quarantine as the verifier decides it (st_registry_policy_check):
             * below the type's minimum version, or past its end of support. */
            const char *min = (const char *)sqlite3_column_text(q, 5);
            double eos = sqlite3_column_double(q, 6);
            int below =
                min && ver[0] && st_registry_version_cmp(ver, strlen(ver), min, strlen(min)) < 0;
            s->quarantined =
                sqlite3_column_type(q, 4) != SQLITE_NULL || below || (eos > 0 && now > eos);
            for (size_t z = 0; z < nzones; z++)
                if (!strcmp(zones[z].def.id, s->zone)) s->last_seen = zones[z].status.last_obs;
            s->health_from_zone = 1;
        }
        n++;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n ? n : st_http_sensors_from_zones(NULL, zones, nzones, out, max);
}

/* ---- event helpers for the engine loop ----------------------------------- */

int64_t st_http_push_transition(st_live *l, const char *zone, const st_trace *tr, int64_t id)
{
    char trace[2048], buf[4096];
    if (st_trace_to_json(tr, zone, trace, sizeof(trace)) < 0) return -ENOSPC;
    st_jbuf b;
    st_jbuf_init_fixed(&b, buf, sizeof(buf));
    st_jbuf_obj(&b);
    st_jbuf_kint(&b, "id", id);
    st_jbuf_kstr(&b, "zone", zone);
    st_jbuf_knum(&b, "t", tr->t);
    st_jbuf_kstr(&b, "from", st_state_name(tr->from));
    st_jbuf_kstr(&b, "to", st_state_name(tr->to));
    st_jbuf_knum(&b, "score", tr->score);
    st_jbuf_kstr(&b, "rule", tr->rule);
    st_jbuf_key(&b, "trace");
    st_jbuf_raw(&b, trace);
    st_jbuf_end_obj(&b);
    if (b.failed) return -ENOSPC;
    return st_live_push(l, "transition", buf);
}

int64_t st_http_push_intervention(st_live *l, const st_intervention *iv, int64_t id)
{
    char buf[1024];
    st_jbuf b;
    st_jbuf_init_fixed(&b, buf, sizeof(buf));
    st_jbuf_obj(&b);
    st_jbuf_kint(&b, "id", id);
    st_jbuf_kstr(&b, "zone", iv->zone);
    st_jbuf_knum(&b, "t", iv->t);
    st_jbuf_kstr(&b, "kind", st_act_kind_name(iv->kind));
    st_jbuf_kstr(&b, "name", iv->name);
    st_jbuf_kstr(&b, "rule", iv->rule);
    st_jbuf_kint(&b, "transition_id", iv->transition_id);
    st_jbuf_kstr(&b, "from", st_state_name(iv->from));
    st_jbuf_kstr(&b, "to", st_state_name(iv->to));
    st_jbuf_kstr(&b, "reason", iv->reason);
    st_jbuf_end_obj(&b);
    if (b.failed) return -ENOSPC;
    int64_t ev = st_live_push(l, "intervention", buf);
    if (ev < 0 || iv->kind != ST_ACT_ALERT) return ev;
    st_jbuf_init_fixed(&b, buf, sizeof(buf));
    st_jbuf_obj(&b);
    st_jbuf_kint(&b, "id", id);
    st_jbuf_kstr(&b, "zone", iv->zone);
    st_jbuf_knum(&b, "t", iv->t);
    st_jbuf_kstr(&b, "severity", iv->name);
    st_jbuf_kstr(&b, "rule", iv->rule);
    st_jbuf_kint(&b, "transition_id", iv->transition_id);
    st_jbuf_kstr(&b, "state", st_state_name(iv->to));
    st_jbuf_kstr(&b, "reason", iv->reason);
    st_jbuf_end_obj(&b);
    if (b.failed) return -ENOSPC;
    int64_t al = st_live_push(l, "alert", buf);
    return al < 0 ? al : ev;
}

int64_t st_http_push_status(st_live *l, const char *level, const char *text)
{
    char buf[1024];
    st_jbuf b;
    st_jbuf_init_fixed(&b, buf, sizeof(buf));
    st_jbuf_obj(&b);
    st_jbuf_kstr(&b, "level", level);
    st_jbuf_kstr(&b, "text", text);
    st_jbuf_end_obj(&b);
    if (b.failed) return -ENOSPC;
    return st_live_push(l, "status", buf);
}

/* ---- socket layer -------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = 0;
    /* MHD reports each client's protocol errors here: debug level, or any
     * client could fill the log. Failures that matter are logged by us. */
    st_debug(((st_http *)cls)->log, "http", "%s", msg);
}

/* Called with the raw request target before anything else: its return value
 * becomes the request's context (*con_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    req_ctx *rc = calloc(1, sizeof(*rc));
    if (rc) rc->uri_len = strlen(uri);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_ctx *rc = *con_cls;
    if (!rc) return;
    free(rc->body);
    free(rc);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    (void)socket_ctx;
    st_http *h = cls;
    st_api_conn(h->api, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

typedef struct args_acc {
    st_api_arg a[ST_API_MAX_ARGS];
    size_t n;
} args_acc;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    args_acc *acc = cls;
    if (acc->n < ST_API_MAX_ARGS) acc->a[acc->n++] = (st_api_arg){key, value};
    return MHD_YES;
}

static void common_headers(struct MHD_Response *r, const st_api_resp *ar)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ar->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, ar->cache ? ar->cache : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* Everything the page loads is served here: no CDN, no inline script. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data:; frame-ancestors 'none'");
    if (ar->allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ar->allow);
    if (ar->status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"stratum\"");
}

static enum MHD_Result queue(st_http *h, struct MHD_Connection *c, req_ctx *rc, st_api_resp *ar)
{
    struct MHD_Response *r = NULL;
    if (ar->body.failed) st_api_error(ar, 500, "response too large or out of memory");
    size_t len = ar->body.len;
    char *p = ar->body.p;
    r = MHD_create_response_from_buffer(len, p ? p : (char *)"",
                                        p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    ar->body.p = NULL; /* now MHD's, freed with free() */
    ar->body.len = ar->body.cap = 0;
    common_headers(r, ar);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)ar->status, r);
    MHD_destroy_response(r);
    if (rc) rc->status = ar->status;
    st_api_count(h->api, ar->status);
    return ok;
}

static enum MHD_Result queue_error(st_http *h, struct MHD_Connection *c, req_ctx *rc, int status,
                                   const char *msg)
{
    st_api_resp ar;
    st_api_resp_init(&ar);
    st_api_error(&ar, status, msg);
    enum MHD_Result ok = queue(h, c, rc, &ar);
    st_api_resp_free(&ar);
    return ok;
}

static enum MHD_Result queue_file(st_http *h, struct MHD_Connection *c, req_ctx *rc,
                                  st_api_resp *ar)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", h->web_root, ar->file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return queue_error(h, c, rc, 404,
                           "dashboard file not installed in the web root (build it with "
                           "'make web')");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    common_headers(r, ar);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    rc->status = 200;
    st_api_count(h->api, 200);
    return ok;
}

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse_ctx *sc = cls;
    size_t n = st_api_sse_read(sc->h->api, &sc->s, buf, max, &sc->h->stopping);
    return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void sse_free(void *cls)
{
    sse_ctx *sc = cls;
    st_api_sse_close(sc->h->api, &sc->s);
    free(sc);
}

static enum MHD_Result queue_events(st_http *h, struct MHD_Connection *c, req_ctx *rc,
                                    st_api_resp *ar)
{
    sse_ctx *sc = calloc(1, sizeof(*sc));
    if (!sc) return queue_error(h, c, rc, 500, "out of memory");
    sc->h = h;
    int err = st_api_sse_open(h->api, &sc->s, ar->events_after, SSE_EVENT_CAP);
    if (err) {
        free(sc);
        return queue_error(h, c, rc, 503,
                           err == -EBUSY ? "too many event streams open" : "out of memory");
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_reader, sc, sse_free);
    if (!r) {
        sse_free(sc);
        return MHD_NO;
    }
    ar->cache = "no-cache";
    common_headers(r, ar);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    rc->status = 200;
    st_api_count(h->api, 200);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    st_http *h = cls;
    req_ctx *rc = *con_cls;
    if (!rc) return MHD_NO; /* the URI callback could not allocate: drop the connection */
    if (rc->uri_len > h->max_url) return queue_error(h, c, rc, 414, "request target too long");
    if (!rc->headers_seen) {
        /* First call: headers only. Refuse a declared oversized body before reading it. */
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno || end == cl || *end || v > h->max_body)
                return queue_error(h, c, rc, 413, "request body too large");
        }
        rc->headers_seen = 1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rc->too_big || rc->body_len + n > h->max_body) {
            rc->too_big = 1;
            return MHD_YES; /* discard the rest; answer 413 at the end */
        }
        char *p = realloc(rc->body, rc->body_len + n + 1);
        if (!p) return MHD_NO;
        memcpy(p + rc->body_len, upload_data, n);
        rc->body = p;
        rc->body_len += n;
        p[rc->body_len] = 0;
        return MHD_YES;
    }
    if (rc->too_big) return queue_error(h, c, rc, 413, "request body too large");

    args_acc acc = {.n = 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &acc);
    char remote[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, remote,
                      sizeof(remote));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, remote,
                      sizeof(remote));
    }
    st_api_req q = {
        .method = method,
        .path = url,
        .args = acc.a,
        .nargs = acc.n,
        .authorization =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .last_event_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"),
        .body = rc->body,
        .body_len = rc->body_len,
        .remote = remote,
    };
    st_api_resp ar;
    st_api_resp_init(&ar);
    st_api_handle(h->api, &q, &ar);
    enum MHD_Result ok;
    if (ar.kind == ST_API_FILE)
        ok = queue_file(h, c, rc, &ar);
    else if (ar.kind == ST_API_EVENTS)
        ok = queue_events(h, c, rc, &ar);
    else
        ok = queue(h, c, rc, &ar);
    st_api_resp_free(&ar);
    return ok;
}

/* ---- lifecycle ------------------------------------------------------------ */

int st_http_port(const st_http *h)
{
    return h->port;
}

void st_http_free(st_http *h)
{
    if (!h) return;
    atomic_store(&h->stopping, 1); /* event streams end within their next 250 ms wait */
    if (h->d) MHD_stop_daemon(h->d);
    st_api_free(h->api);
    st_histdb_free(h->hist);
    free(h->web_root);
    free(h);
}

/* "<folder of the running executable>/web", or "web" if it cannot be found. */
static char *default_web_root(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return strdup("web");
    exe[n] = 0;
    char out[4200];
    snprintf(out, sizeof(out), "%s/web", dirname(exe));
    return strdup(out);
}

st_http *st_http_new(const st_http_params *p, st_live *live, const char *db_path, st_log *log)
{
    st_http *h = NULL;
    int err = EINVAL;
    char token[ST_AUTH_HEX_MAX] = "";
    if (!p || !live || !p->bind_addr || p->port < 0 || p->port > 65535 || !p->max_connections ||
        !p->max_body || !p->max_url || !p->max_zones)
        goto fail;
    err = ENOMEM;
    if (!(h = calloc(1, sizeof(*h)))) goto fail;
    h->log = log;
    h->max_body = p->max_body;
    h->max_url = p->max_url;
    if (!(h->web_root = p->web_root ? strdup(p->web_root) : default_web_root())) goto fail;
    if (p->token_path) {
        int rc = st_auth_load_or_create(p->token_path, token, sizeof(token), log);
        if (rc < 0) {
            err = -rc == ENOENT ? EACCES : -rc;
            goto fail;
        }
    } else {
        st_warn(log, "http", "no token file configured: every write action is refused");
    }
    if (db_path && !(h->hist = st_histdb_new(db_path, HIST_CONNS, log))) goto fail;
    st_api_config ac = {
        .live = live,
        .hist = h->hist,
        .max_zones = p->max_zones,
        .token = token,
        .audit = p->audit,
        .audit_pk = p->audit_pk,
        .owner = p->owner,
        .retention = p->retention,
        .contact = p->contact,
        .street = p->street,
        .utc_offset_min = p->utc_offset_min,
        .sensors = p->sensors,
        .sensors_ctx = p->sensors_ctx,
        .evidence = p->evidence,
        .evidence_ctx = p->evidence_ctx,
        .max_sse = p->max_sse ? p->max_sse : 1,
        .log = log,
    };
    h->api = st_api_new(&ac);
    sodium_memzero(token, sizeof(token));
    if (!h->api) goto fail;

    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    err = EINVAL;
    if (inet_pton(AF_INET, p->bind_addr, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)p->port);
        sa = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, p->bind_addr, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)p->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        st_error(log, "http", "bind address '%s' is not an IPv4 or IPv6 address", p->bind_addr);
        goto fail;
    }
    errno = 0;
    h->d = MHD_start_daemon(
        flags, (uint16_t)p->port, NULL, NULL, on_request, h,
        /* The logger must come first to catch messages about the other options. */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_CONNECTION_LIMIT, p->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        /* One thread per connection: 512 KiB of stack is ample for the handlers and
         * SQLite, and keeps 64 connections' reservations small. */
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
        /* Refuse what RFC 9112 says a server must refuse (e.g. HTTP/1.1 without Host). */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
    if (!h->d) {
        err = errno ? errno : EADDRINUSE;
        st_error(log, "http", "cannot listen on %s:%d: %s", p->bind_addr, p->port, strerror(err));
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : p->port;
    st_info(log, "http", "dashboard and API on http://%s%s%s:%d/ (register: /register)",
            sa->sa_family == AF_INET6 ? "[" : "", p->bind_addr,
            sa->sa_family == AF_INET6 ? "]" : "", h->port);
    return h;
fail:
    sodium_memzero(token, sizeof(token));
    st_http_free(h);
    errno = err;
    return NULL;
}
