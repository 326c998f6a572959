/* libFuzzer target: the HTTP API's request handling (router, parameter parsing,
 * handlers, write validation, JSON writer) on arbitrary method/path/query/body. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/api.h"
#include "http/histdb.h"
#include "http/jbuf.h"
#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/live.h"
#include "stratum/senml.h"
#include "stratum/sim.h"
#include "stratum/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: fields separated by '\n': method, path, query ("a=b&c"), authorization,
 * last-event-id, then the body (the rest, newlines included). An authorization
 * field of exactly "T" is replaced by the real bearer token so that inputs get
 * past authentication into the write handlers. */

#define TOKEN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* One real street for the whole run: simulator -> engine -> store + live. */
typedef struct world {
    st_settings *set;
    st_store *store;
    st_engine *engine;
    st_senml *parser;
    st_sim *sim;
    st_live *live;
    st_histdb *hist;
    st_api *api;
    char dir[64];
} world;

static world W;

static int emit(void *ctx, const char *pack, size_t len)
{
    (void)ctx;
    const st_obs *obs;
    st_senml_err err;
    int n = st_senml_parse(W.parser, pack, len, st_sim_now(W.sim), &obs, &err);
    if (n > 0) st_engine_ingest(W.engine, obs, (size_t)n);
    return 0;
}

static void on_transition(void *ctx, const char *zone, const st_trace *tr, int64_t id)
{
    (void)ctx;
    st_http_push_transition(W.live, zone, tr, id);
}

static void on_intervention(void *ctx, const st_intervention *iv, int64_t id)
{
    (void)ctx;
    st_http_push_intervention(W.live, iv, id);
}

static void remove_world(void)
{
    static const char *const files[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", W.dir, files[i]);
        unlink(path);
    }
    rmdir(W.dir);
}

static void build_world(void)
{
    snprintf(W.dir, sizeof(W.dir), "/tmp/fuzz-http-XXXXXX");
    if (!mkdtemp(W.dir)) abort();
    atexit(remove_world);
    char db[128];
    snprintf(db, sizeof(db), "%s/fuzz.db", W.dir);
    W.set = malloc(sizeof(*W.set));
    st_settings_default(W.set);
    W.store = st_store_open(db, 0, NULL);
    int64_t run = W.store ? st_store_begin_run(W.store, "fuzz", NULL) : -1;
    W.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    W.engine = st_engine_new(&W.set->engine, W.set->zones, W.set->nzones, W.set->rules,
                             W.set->nrules, W.store, run, NULL);
    W.sim = st_sim_new(&W.set->sim, W.set->zones, W.set->nzones);
    W.live = st_live_new(W.set->nzones, 64, 4096);
    if (run <= 0 || !W.parser || !W.engine || !W.sim || !W.live) abort();
    st_engine_listener l = {on_transition, on_intervention, NULL};
    st_engine_set_listener(W.engine, &l);
    /* Four simulated hours: transitions, interventions and minutes to read. */
    for (int i = 0; i < 4 * 3600; i++) {
        st_sim_step(W.sim, emit, NULL);
        st_engine_step(W.engine, st_sim_now(W.sim));
    }
    st_engine_flush(W.engine);
    st_live_update(W.live, W.engine, st_sim_now(W.sim), 1, 0, 1);
    W.hist = st_histdb_new(db, 1, NULL);
    st_api_config ac = {.live = W.live,
                        .hist = W.hist,
                        .max_zones = 16,
                        .token = TOKEN,
                        .owner = "o",
                        .retention = "r",
                        .contact = "c",
                        .street = "s",
                        .max_sse = 4};
    W.api = st_api_new(&ac);
    if (!W.hist || !W.api) abort();
}

/* Next '\n'-terminated field of [*p, end) as a NUL-terminated copy in out. */
static const char *field(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (*p < end && **p != '\n') {
        if (n + 1 < cap) out[n++] = (char)**p;
        (*p)++;
    }
    if (*p < end) (*p)++;
    out[n] = 0;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!W.api) build_world();
    const uint8_t *p = data, *end = data + size;
    char method[32], path[512], query[512], auth[160], lei[64];
    field(&p, end, method, sizeof(method));
    field(&p, end, path, sizeof(path));
    field(&p, end, query, sizeof(query));
    field(&p, end, auth, sizeof(auth));
    field(&p, end, lei, sizeof(lei));
    st_api_arg args[ST_API_MAX_ARGS];
    size_t nargs = 0;
    for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv && nargs < ST_API_MAX_ARGS;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) *eq = 0;
        args[nargs++] = (st_api_arg){kv, eq ? eq + 1 : NULL};
    }
    st_api_req q = {
        .method = method,
        .path = path,
        .args = args,
        .nargs = nargs,
        .authorization = !strcmp(auth, "T") ? "Bearer " TOKEN
                         : auth[0]          ? auth
                                            : NULL,
        .last_event_id = lei[0] ? lei : NULL,
        .body = (const char *)p,
        .body_len = (size_t)(end - p),
        .remote = "127.0.0.1",
    };
    st_api_resp r;
    st_api_resp_init(&r);
    st_api_handle(W.api, &q, &r);
    /* Invariants: a status a client can act on, valid JSON bodies, only table files. */
    if (r.status < 200 || r.status > 599) __builtin_trap();
    if (r.kind == ST_API_BODY && !strcmp(r.content_type, "application/json")) {
        json_error_t e;
        json_t *j = json_loadb(r.body.p ? r.body.p : "", r.body.len, JSON_ALLOW_NUL, &e);
        if (!j) {
            fprintf(stderr, "invalid JSON (%s): %.300s\n", e.text, r.body.p ? r.body.p : "");
            __builtin_trap();
        }
        json_decref(j);
    }
    if (r.kind == ST_API_FILE && (!st_api_file_type(r.file) || strstr(r.file, "..")))
        __builtin_trap();
    if (r.kind == ST_API_EVENTS && r.events_after < 0) __builtin_trap();
    if (r.status == 401 && !strcmp(method, "POST") && q.authorization &&
        !strcmp(q.authorization, "Bearer " TOKEN))
        __builtin_trap(); /* the right token is never refused as unauthorised */
    st_api_resp_free(&r);
    /* Accepted writes queue a command: drain so the queue never fills. */
    st_live_cmd cmd;
    while (st_live_cmd_take(W.live, &cmd)) {
    }
    /* The JSON string writer on the raw body: always valid JSON. */
    st_jbuf b;
    st_jbuf_init(&b, 1 << 20);
    st_jbuf_strn(&b, q.body, q.body_len);
    json_t *j = json_loadb(b.p ? b.p : "", b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!b.failed && !json_is_string(j)) __builtin_trap();
    json_decref(j);
    st_jbuf_free(&b);
    return 0;
}
