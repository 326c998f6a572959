/* Request routing and handlers of the HTTP API, independent of the socket layer
 * (so unit tests and the fuzzer call them directly). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_API_H
#define STRATUM_HTTP_API_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include "http/histdb.h"
#include "http/jbuf.h"
#include "http/metrics.h"
#include "stratum/http.h"
#include "stratum/live.h"

#define ST_API_MAX_ARGS       16         /* query arguments looked at; more are ignored */
#define ST_API_BODY_LIMIT     (8u << 20) /* largest response body built (8 MiB) */
#define ST_API_DEVICE_STALE_S 60.0       /* a device silent this long is "stale" */

typedef struct st_api_arg {
    const char *key, *value; /* decoded; value may be NULL ("?flag") */
} st_api_arg;

/* One request; every pointer is borrowed for the call. */
typedef struct st_api_req {
    const char *method; /* "GET", "HEAD", "POST", ... */
    const char *path;   /* decoded path without the query, e.g. "/api/zones" */
    const st_api_arg *args;
    size_t nargs;
    const char *authorization; /* Authorization header or NULL */
    const char *last_event_id; /* Last-Event-ID header or NULL */
    const char *body;          /* request body (need not be NUL-terminated) */
    size_t body_len;
    const char *remote; /* client address for the audit log, or NULL */
} st_api_req;

typedef enum st_api_kind {
    ST_API_BODY = 0, /* send body */
    ST_API_FILE,     /* send the static file `file` (relative to the web root) */
    ST_API_EVENTS    /* start an event stream after event id events_after */
} st_api_kind;

typedef struct st_api_resp {
    int status;
    st_api_kind kind;
    const char *content_type; /* static */
    const char *allow;        /* static, for 405; else NULL */
    const char *cache;        /* Cache-Control value, static */
    st_jbuf body;
    char file[64];        /* ST_API_FILE: a name from the static-file table */
    int64_t events_after; /* ST_API_EVENTS */
} st_api_resp;

/* What the API serves from. Strings are copied by st_api_new; everything else
 * is borrowed and must outlive the st_api. */
typedef struct st_api_config {
    st_live *live;
    st_histdb *hist; /* may be NULL: history endpoints answer 503 */
    size_t max_zones;
    const char *token; /* hex bearer token; NULL or "" = every write is refused */
    st_audit *audit;   /* may be NULL */
    const unsigned char *audit_pk;
    const char *owner, *retention, *contact, *street;
    int utc_offset_min;
    st_http_sensors_fn sensors;
    void *sensors_ctx;
    st_http_evidence_fn evidence;
    void *evidence_ctx;
    unsigned max_sse;
    st_log *log;
} st_api_config;

typedef struct st_api st_api; /* opaque; st_api_handle may run on many threads at once */

st_api *st_api_new(const st_api_config *c); /* NULL + errno */
void st_api_free(st_api *a);

void st_api_resp_init(st_api_resp *r);
void st_api_resp_free(st_api_resp *r);

/* Route req and fill resp (which must be st_api_resp_init'ed). Never fails:
 * errors are responses (400, 401, 404, 405, 413, 500, 503) with a JSON body
 * {"error": "...", "status": N}. Thread-safe. */
void st_api_handle(st_api *a, const st_api_req *req, st_api_resp *resp);

/* Fill resp with a JSON error. */
void st_api_error(st_api_resp *resp, int status, const char *msg);

/* Count a response sent with this status (the socket layer calls it for every
 * response, its own 4xx included). */
void st_api_count(st_api *a, int status);
void st_api_conn(st_api *a, int delta); /* open connections gauge */
void st_api_stats(st_api *a, st_metrics_http *out);

/* Content type of a static file name from the table ("index.html" ...), or
 * NULL if the name is not served. */
const char *st_api_file_type(const char *name);

/* One event stream. */
typedef struct st_api_sse {
    int64_t after;     /* last event id sent */
    double next_zones; /* monotonic time of the next zones snapshot */
    double next_ping;
    int started;
    st_jbuf out; /* formatted, not yet sent */
    size_t off;
    char type[16];
    char *json; /* event_cap bytes */
    size_t json_cap;
    st_live_zone *zones;
} st_api_sse;

/* Claim an event-stream slot (-EBUSY when max_sse are open) and set s up to
 * resume after event id `after`. 0 or negative errno. */
int st_api_sse_open(st_api *a, st_api_sse *s, int64_t after, size_t event_cap);
void st_api_sse_close(st_api *a, st_api_sse *s); /* releases the slot */

/* Copy up to max bytes of the stream into buf, waiting (in steps of at most
 * 250 ms, checking *stop) until there is something to send: the next live
 * event ("id:", "event:", "data:" lines; W3C Server-Sent Events), a "zones"
 * snapshot (once a second, without an id) or a keep-alive
 * comment (every 5 s). Returns bytes (> 0), or 0 at the end (stop set or the
 * live state closed). Never returns 0 otherwise: the socket layer must not spin. */
size_t st_api_sse_read(st_api *a, st_api_sse *s, char *buf, size_t max, const atomic_int *stop);

#endif
