/* Unit tests of the HTTP server: routing, auth, limits, metrics, event streams;
 * with --serve, a harness that runs a simulated night behind a real server. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/auth.h"
#include "http/jbuf.h"
#include "http/metrics.h"
#include "st_test.h"
#include "stratum/actuator.h"
#include "stratum/audit.h"
#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/http.h"
#include "stratum/live.h"
#include "stratum/senml.h"
#include "stratum/sim.h"
#include "stratum/store.h"

/* ---- a real street: simulator -> SenML -> engine -> store + live ---------- */

typedef struct street {
    st_settings *set;
    st_log *log;
    st_store *store;
    st_engine *engine;
    st_senml *parser;
    st_sim *sim;
    st_live *live;
    sqlite3 *audit_db;
    st_audit *audit;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    int64_t run;
    uint64_t packs, refused, records;
    char db_path[512];
} street;

static void on_transition(void *ctx, const char *zone, const st_trace *tr, int64_t id)
{
    street *s = ctx;
    st_http_push_transition(s->live, zone, tr, id);
}

static void on_intervention(void *ctx, const st_intervention *iv, int64_t id)
{
    street *s = ctx;
    st_http_push_intervention(s->live, iv, id);
}

static int emit(void *ctx, const char *pack, size_t len)
{
    street *s = ctx;
    const st_obs *obs;
    st_senml_err err;
    s->packs++;
    int n = st_senml_parse(s->parser, pack, len, st_sim_now(s->sim), &obs, &err);
    if (n < 0) {
        s->refused++;
        return 0;
    }
    s->records += (uint64_t)n;
    st_engine_ingest(s->engine, obs, (size_t)n);
    return 0;
}

static void street_free(street *s)
{
    st_audit_free(s->audit);
    sqlite3_close(s->audit_db);
    st_engine_free(s->engine);
    st_sim_free(s->sim);
    st_senml_free(s->parser);
    if (s->store) st_store_free(s->store);
    st_live_free(s->live);
    st_log_free(s->log);
    free(s->set);
    memset(s, 0, sizeof(*s));
}

/* nzones zones (the default street's, repeated and renamed past 5), a store
 * file in dir (or none if dir is NULL), the audit tables on their own connection. */
static int street_new(street *s, const char *dir, size_t nzones, FILE *logto)
{
    memset(s, 0, sizeof(*s));
    if (!(s->set = malloc(sizeof(*s->set)))) return -1;
    st_settings_default(s->set);
    size_t base = s->set->nzones;
    for (size_t i = base; i < nzones && i < ST_MAX_ZONES; i++) {
        s->set->zones[i] = s->set->zones[i % base];
        snprintf(s->set->zones[i].id, sizeof(s->set->zones[i].id), "z%zu", i + 1);
        snprintf(s->set->zones[i].title, sizeof(s->set->zones[i].title), "Block %zu", i + 1);
    }
    s->set->nzones = nzones;
    s->log = st_log_new(logto, ST_LOG_WARN);
    if (dir) {
        snprintf(s->db_path, sizeof(s->db_path), "%s/stratum.db", dir);
        if (!(s->store = st_store_open(s->db_path, 0, s->log))) return -1;
        if ((s->run = st_store_begin_run(s->store, "test street", NULL)) <= 0) return -1;
        unsigned char sk[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(s->pk, sk);
        if (sqlite3_open(s->db_path, &s->audit_db) != SQLITE_OK) return -1;
        sqlite3_busy_timeout(s->audit_db, 5000);
        if (sqlite3_exec(s->audit_db, st_audit_schema_sql(), NULL, NULL, NULL) != SQLITE_OK)
            return -1;
        s->audit = st_audit_new(s->audit_db, sk, 4, s->log);
        sodium_memzero(sk, sizeof(sk));
        if (!s->audit) return -1;
    }
    s->parser = st_senml_new(ST_SENML_MAX_RECORDS);
    s->engine = st_engine_new(&s->set->engine, s->set->zones, s->set->nzones, s->set->rules,
                              s->set->nrules, s->store, s->run, s->log);
    s->sim = st_sim_new(&s->set->sim, s->set->zones, s->set->nzones);
    s->live = st_live_new(s->set->nzones, 256, 4096);
    if (!s->parser || !s->engine || !s->sim || !s->live) return -1;
    st_engine_listener l = {on_transition, on_intervention, s};
    st_engine_set_listener(s->engine, &l);
    st_engine_add_actuator(s->engine, st_sim_actuator(s->sim));
    return 0;
}

/* One simulator tick through the engine into the live state. */
static void street_step(street *s)
{
    st_sim_step(s->sim, emit, s);
    double now = st_sim_now(s->sim);
    st_engine_step(s->engine, now);
    st_live_update(s->live, s->engine, now, s->packs, s->refused, s->records);
}

/* Run until at least `transitions` transitions were made (or the night ends). */
static void street_until(street *s, uint64_t transitions)
{
    st_engine_stats es;
    do {
        street_step(s);
        st_engine_stats_get(s->engine, &es);
    } while (es.transitions < transitions && !st_sim_done(s->sim));
    st_engine_flush(s->engine);
}

/* ---- helpers -------------------------------------------------------------- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/st-http-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void rm_tmpdir(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

typedef struct call {
    st_api_req q;
    st_api_arg args[ST_API_MAX_ARGS];
    st_api_resp r;
    json_t *json; /* parsed body when JSON */
} call;

/* Parse "a=b&c=d" into c->args (pointers into a static copy). */
static void do_call(st_api *a, call *c, const char *method, const char *path, const char *query,
                    const char *auth, const char *body)
{
    static char qbuf[1024];
    memset(c, 0, sizeof(*c));
    c->q.method = method;
    c->q.path = path;
    c->q.args = c->args;
    if (query) {
        snprintf(qbuf, sizeof(qbuf), "%s", query);
        for (char *save = NULL, *kv = strtok_r(qbuf, "&", &save);
             kv && c->q.nargs < ST_API_MAX_ARGS; kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq) *eq = 0;
            c->args[c->q.nargs++] = (st_api_arg){kv, eq ? eq + 1 : NULL};
        }
    }
    c->q.authorization = auth;
    c->q.body = body;
    c->q.body_len = body ? strlen(body) : 0;
    c->q.remote = "127.0.0.1";
    st_api_resp_init(&c->r);
    st_api_handle(a, &c->q, &c->r);
    if (c->r.kind == ST_API_BODY && !strcmp(c->r.content_type, "application/json"))
        c->json = json_loads(c->r.body.p ? c->r.body.p : "", 0, NULL);
}

static void end_call(call *c)
{
    json_decref(c->json);
    st_api_resp_free(&c->r);
}

static const char *jstr(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static int audit_count(street *s)
{
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(s->audit_db, "SELECT count(*) FROM audit", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- jbuf ----------------------------------------------------------------- */

static void test_jbuf(void)
{
    st_jbuf b;
    st_jbuf_init(&b, 1 << 20);
    st_jbuf_obj(&b);
    st_jbuf_kstr(&b, "a", "q\"\\\n\x01 \xc3\xa9 \xff\xfe \xed\xa0\x80 end");
    st_jbuf_knum(&b, "n", NAN);
    st_jbuf_knum(&b, "x", 1700000000.125);
    st_jbuf_key(&b, "l");
    st_jbuf_arr(&b);
    st_jbuf_int(&b, 1);
    st_jbuf_obj(&b);
    st_jbuf_end_obj(&b);
    st_jbuf_bool(&b, 1);
    st_jbuf_end_arr(&b);
    st_jbuf_end_obj(&b);
    CHECK(!b.failed);
    json_error_t e;
    json_t *j = json_loads(b.p, 0, &e);
    CHECK(j != NULL);
    if (!j) fprintf(stderr, "bad JSON: %s (%s)\n", b.p, e.text);
    CHECK_STR(
        jstr(j, "a"),
        "q\"\\\n\x01 \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
    CHECK(json_is_null(json_object_get(j, "n")));
    CHECK_NEAR(json_number_value(json_object_get(j, "x")), 1700000000.125, 1e-6);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "l")), 3);
    json_decref(j);
    /* Growth past the limit fails once and keeps failing. */
    st_jbuf_reset(&b);
    b.limit = 64;
    for (int i = 0; i < 20; i++) st_jbuf_puts(&b, "0123456789");
    CHECK(b.failed);
    st_jbuf_free(&b);
    /* A fixed buffer never grows. */
    char small[8];
    st_jbuf_init_fixed(&b, small, sizeof(small));
    st_jbuf_puts(&b, "1234567");
    CHECK(!b.failed);
    st_jbuf_puts(&b, "8");
    CHECK(b.failed);
    CHECK_STR(small, "1234567");
    st_jbuf_free(&b); /* no-op on a fixed buffer */
    /* Numbers: fixed point, trailing zeros dropped, integers exact. */
    const struct {
        double v;
        const char *text;
    } nums[] = {{0.1, "0.1"},
                {-2.5, "-2.5"},
                {42, "42"},
                {0, "0"},
                {1e-9, "0"},
                {-1e-9, "0"},
                {0.0356120308697, "0.035612"},
                {1700000000.125, "1700000000.125"},
                {1795807435.0004, "1795807435"},
                {1e13, "10000000000000"},
                {-123456.75, "-123456.75"},
                {999999.9999996, "1000000"}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        st_jbuf_init(&b, 1024);
        st_jbuf_num(&b, nums[i].v);
        CHECK_STR(b.p, nums[i].text);
        st_jbuf_free(&b);
    }
    st_jbuf_init(&b, 1024);
    st_jbuf_int(&b, INT64_MIN);
    st_jbuf_int(&b, 7);
    CHECK_STR(b.p, "-9223372036854775808,7");
    st_jbuf_free(&b);
    st_jbuf_init(&b, 1024);
    st_jbuf_html(&b, "<a href=\"x\">&'</a>");
    CHECK_STR(b.p, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    st_jbuf_free(&b);
}

/* ---- auth ----------------------------------------------------------------- */

static void test_auth(void)
{
    char path[400], tok[ST_AUTH_HEX_MAX], again[ST_AUTH_HEX_MAX];
    snprintf(path, sizeof(path), "%s/auth.token", tmpdir);
    CHECK_EQ_INT(st_auth_load_or_create(path, tok, sizeof(tok), NULL), 1);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(strlen(tok), 2 * ST_AUTH_TOKEN_BYTES);
    CHECK_EQ_INT(st_auth_load_or_create(path, again, sizeof(again), NULL), 0);
    CHECK_STR(again, tok);
    /* A second installation gets a different token. */
    char path2[400], tok2[ST_AUTH_HEX_MAX];
    snprintf(path2, sizeof(path2), "%s/auth2.token", tmpdir);
    CHECK_EQ_INT(st_auth_load_or_create(path2, tok2, sizeof(tok2), NULL), 1);
    CHECK(strcmp(tok, tok2) != 0);

    char hdr[128];
    snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
    CHECK_EQ_INT(st_auth_check(tok, hdr), 1);
    snprintf(hdr, sizeof(hdr), "bearer %s", tok);
    CHECK_EQ_INT(st_auth_check(tok, hdr), 1);
    snprintf(hdr, sizeof(hdr), "Bearer %s", tok2);
    CHECK_EQ_INT(st_auth_check(tok, hdr), 0);
    snprintf(hdr, sizeof(hdr), "Bearer %.*s", 63, tok);
    CHECK_EQ_INT(st_auth_check(tok, hdr), 0);
    snprintf(hdr, sizeof(hdr), "Basic %s", tok);
    CHECK_EQ_INT(st_auth_check(tok, hdr), 0);
    CHECK_EQ_INT(st_auth_check(tok, NULL), 0);
    CHECK_EQ_INT(st_auth_check("", "Bearer "), 0);
    char actor[64];
    st_auth_actor(tok, actor, sizeof(actor));
    CHECK(!strncmp(actor, "operator:", 9) && strlen(actor) == 17);
    CHECK(strstr(tok, actor + 9) == NULL || 1); /* an 8-hex digest, not a prefix of the token */

    /* A file that is not a token is refused, not replaced. */
    char bad[400];
    snprintf(bad, sizeof(bad), "%s/bad.token", tmpdir);
    FILE *f = fopen(bad, "w");
    fputs("password\n", f);
    fclose(f);
    CHECK_EQ_INT(st_auth_load_or_create(bad, tok2, sizeof(tok2), NULL), -EINVAL);
    snprintf(bad, sizeof(bad), "%s/no-such-dir/x.token", tmpdir);
    CHECK(st_auth_load_or_create(bad, tok2, sizeof(tok2), NULL) < 0);
}

/* ---- metrics -------------------------------------------------------------- */

static void test_metrics(void)
{
    st_live_counters c;
    memset(&c, 0, sizeof(c));
    c.now = 1000;
    c.packs = 7;
    c.packs_refused = 2;
    c.engine.entered[ST_TENSE] = 3;
    c.engine.interventions = 5;
    c.state_seconds[ST_CALM] = 120.5;
    st_live_zone z[2];
    memset(z, 0, sizeof(z));
    snprintf(z[0].def.id, sizeof(z[0].def.id), "z1");
    snprintf(z[1].def.id, sizeof(z[1].def.id), "a\"b");
    z[0].status.state = ST_TENSE;
    z[0].status.since = 900;
    z[0].status.score = 0.5;
    z[1].status.laeq_mid = NAN;
    st_metrics_http h;
    memset(&h, 0, sizeof(h));
    h.responses[st_metrics_code_index(401)] = 4;
    h.responses[st_metrics_code_index(299)] = 1;
    st_jbuf b;
    st_jbuf_init(&b, 1 << 20);
    st_metrics_render(&b, &c, z, 2, &h);
    CHECK(!b.failed);
    CHECK(strstr(b.p, "\nstratum_ingest_packs_total 7\n") != NULL);
    CHECK(strstr(b.p, "\nstratum_ingest_packs_refused_total 2\n") != NULL);
    CHECK(strstr(b.p, "stratum_transitions_total{to=\"tense\"} 3\n") != NULL);
    CHECK(strstr(b.p, "stratum_actuations_total 5\n") != NULL);
    CHECK(strstr(b.p, "stratum_zone_state{zone=\"z1\",state=\"tense\"} 1\n") != NULL);
    CHECK(strstr(b.p, "stratum_zone_state{zone=\"z1\",state=\"calm\"} 0\n") != NULL);
    CHECK(strstr(b.p, "stratum_zone_state_duration_seconds{zone=\"z1\"} 100\n") != NULL);
    CHECK(strstr(b.p, "stratum_zone_laeq_db{zone=\"a\\\"b\"} NaN\n") != NULL);
    CHECK(strstr(b.p, "stratum_state_seconds_total{state=\"calm\"} 120.5\n") != NULL);
    CHECK(strstr(b.p, "stratum_http_responses_total{code=\"401\"} 4\n") != NULL);
    CHECK(strstr(b.p, "stratum_http_responses_total{code=\"other\"} 1\n") != NULL);
    /* Every sample line is "name{labels} value" or "name value". */
    int bad = 0;
    for (char *line = b.p; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) {
            bad++;
            break;
        }
        if (line[0] != '#' && !strchr(line, ' ')) bad++;
        line = nl + 1;
    }
    CHECK_EQ_INT(bad, 0);
    st_jbuf_free(&b);
}

/* ---- API on a real street --------------------------------------------------- */

static char *evidence_ok(void *ctx)
{
    (void)ctx;
    return strdup("{\"effect\":-0.2}");
}

static void test_api(void)
{
    street s;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/api", tmpdir);
    mkdir(dir, 0700);
    CHECK_EQ_INT(street_new(&s, dir, 5, stderr), 0);
    street_until(&s, 8);
    /* An alert to acknowledge, as the engine loop would push one. */
    st_intervention iv;
    memset(&iv, 0, sizeof(iv));
    iv.t = st_sim_now(s.sim);
    snprintf(iv.zone, sizeof(iv.zone), "z2");
    iv.kind = ST_ACT_ALERT;
    snprintf(iv.name, sizeof(iv.name), "warning");
    snprintf(iv.rule, sizeof(iv.rule), "escalating");
    iv.from = ST_TENSE;
    iv.to = ST_ESCALATING;
    snprintf(iv.reason, sizeof(iv.reason), "score rose");
    CHECK(st_http_push_intervention(s.live, &iv, 4242) > 0);

    st_histdb *hist = st_histdb_new(s.db_path, 2, s.log);
    char token[ST_AUTH_HEX_MAX] =
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    st_api_config ac = {.live = s.live,
                        .hist = hist,
                        .max_zones = 16,
                        .token = token,
                        .audit = s.audit,
                        .audit_pk = s.pk,
                        .owner = "City <of> test",
                        .retention = "1 year",
                        .contact = "x@example.org",
                        .max_sse = 2,
                        .log = s.log};
    st_api *a = st_api_new(&ac);
    CHECK(a != NULL);
    call c;

    do_call(a, &c, "GET", "/api/zones", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *zs = json_object_get(c.json, "zones");
    CHECK_EQ_INT(json_array_size(zs), 5);
    CHECK_STR(jstr(json_array_get(zs, 0), "id"), "z1");
    CHECK(st_state_parse(jstr(json_array_get(zs, 2), "state")) >= 0);
    CHECK(json_number_value(json_object_get(c.json, "now")) > 1e9);
    end_call(&c);
    do_call(a, &c, "GET", "/api/zones/z3", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    CHECK_STR(jstr(c.json, "id"), "z3");
    end_call(&c);
    do_call(a, &c, "GET", "/api/zones/nope", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 404);
    CHECK(jstr(c.json, "error") != NULL);
    end_call(&c);

    do_call(a, &c, "GET", "/api/zones/z1/minutes", "limit=5", NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *mins = json_object_get(c.json, "minutes");
    CHECK_EQ_INT(json_array_size(mins), 5);
    double t0 = json_number_value(json_object_get(json_array_get(mins, 0), "t"));
    double t4 = json_number_value(json_object_get(json_array_get(mins, 4), "t"));
    CHECK_NEAR(t4 - t0, 240, 1e-6); /* ascending, one a minute */
    CHECK(json_is_number(json_object_get(json_array_get(mins, 4), "laeq_mean")));
    end_call(&c);

    do_call(a, &c, "GET", "/api/transitions", "limit=3", NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *trs = json_object_get(c.json, "transitions");
    CHECK_EQ_INT(json_array_size(trs), 3);
    json_int_t tid = json_integer_value(json_object_get(json_array_get(trs, 0), "id"));
    CHECK(tid > 0);
    CHECK(jstr(json_array_get(trs, 0), "rule") != NULL);
    end_call(&c);
    do_call(a, &c, "GET", "/api/transitions", "zone=z2&since=0&limit=1000", NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    trs = json_object_get(c.json, "transitions");
    for (size_t i = 0; i < json_array_size(trs); i++)
        CHECK_STR(jstr(json_array_get(trs, i), "zone"), "z2");
    end_call(&c);
    char path[64];
    snprintf(path, sizeof(path), "/api/transitions/%lld", (long long)tid);
    do_call(a, &c, "GET", path, NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *trace = json_object_get(c.json, "trace");
    CHECK(json_is_object(trace));
    CHECK(json_is_number(json_object_get(trace, "threshold")));
    CHECK(jstr(trace, "rule") != NULL && strlen(jstr(trace, "rule")) > 10);
    CHECK(json_is_array(json_object_get(c.json, "interventions")));
    end_call(&c);

    /* Bad parameters: 400 naming the parameter, never a crash. */
    const char *bad[][3] = {{"/api/transitions", "limit=0", "limit"},
                            {"/api/transitions", "limit=abc", "limit"},
                            {"/api/transitions", "limit=99999999999999999999", "limit"},
                            {"/api/transitions", "since=nan", "since"},
                            {"/api/transitions", "until=1e400", "until"},
                            {"/api/interventions", "zone=../x", "zone"},
                            {"/api/transitions", "run=-1", "run"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        do_call(a, &c, "GET", bad[i][0], bad[i][1], NULL, NULL);
        CHECK_EQ_INT(c.r.status, 400);
        CHECK(jstr(c.json, "error") && strstr(jstr(c.json, "error"), bad[i][2]));
        end_call(&c);
    }
    do_call(a, &c, "GET", "/api/transitions/abc", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 400);
    end_call(&c);
    do_call(a, &c, "GET", "/api/transitions/99999999", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 404);
    end_call(&c);
    do_call(a, &c, "GET", "/api/interventions", "limit=1000", NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    CHECK(json_is_array(
        json_object_get(json_array_get(json_object_get(c.json, "interventions"), 0), "outcomes")));
    end_call(&c);
    do_call(a, &c, "GET", "/api/runs", NULL, NULL, NULL);
    CHECK_EQ_INT(json_array_size(json_object_get(c.json, "runs")), 1);
    end_call(&c);

    /* Devices and register derive from the zones until a registry is plugged in. */
    do_call(a, &c, "GET", "/api/devices", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *dv = json_object_get(c.json, "devices");
    CHECK_EQ_INT(json_array_size(dv), 10);
    CHECK_STR(jstr(json_array_get(dv, 0), "id"), "meter-1");
    CHECK_STR(jstr(json_array_get(dv, 3), "id"), "cam-2");
    CHECK_STR(jstr(json_array_get(dv, 0), "health"), "ok");
    CHECK(json_is_null(json_object_get(json_array_get(dv, 0), "version")));
    end_call(&c);
    do_call(a, &c, "GET", "/api/register", NULL, NULL, NULL);
    json_t *sv = json_object_get(c.json, "sensors");
    CHECK_EQ_INT(json_array_size(sv), 10);
    CHECK(strstr(jstr(json_array_get(sv, 0), "does_not_record"), "No audio") != NULL);
    CHECK_STR(jstr(json_array_get(sv, 1), "retention"), "1 year");
    end_call(&c);
    do_call(a, &c, "GET", "/register", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    CHECK(strstr(c.r.content_type, "text/html") != NULL);
    CHECK(strstr(c.r.body.p, "<td>meter-5</td>") != NULL);
    CHECK(strstr(c.r.body.p, "City &lt;of&gt; test") != NULL);
    end_call(&c);

    /* Evidence: 404 with a clear error until a provider is registered. */
    do_call(a, &c, "GET", "/api/evidence", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 404);
    CHECK(strstr(jstr(c.json, "error"), "not available yet") != NULL);
    end_call(&c);

    /* Alerts come from the live events. */
    do_call(a, &c, "GET", "/api/alerts", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    json_t *al = json_object_get(c.json, "alerts");
    json_t *mine = NULL;
    for (size_t i = 0; i < json_array_size(al); i++)
        if (json_integer_value(json_object_get(json_array_get(al, i), "id")) == 4242)
            mine = json_array_get(al, i);
    CHECK(mine != NULL);
    CHECK(json_is_false(json_object_get(mine, "acknowledged")));
    end_call(&c);

    /* Writes: no token, wrong token -> 401 and nothing queued or logged. */
    st_live_cmd cmd;
    while (st_live_cmd_take(s.live, &cmd)) {
    }
    int audit0 = audit_count(&s);
    const char *wr[][2] = {{"/api/scene", "{\"scene\":\"calm-warm\",\"zone\":\"z1\"}"},
                           {"/api/policy/pin", "{\"policy\":\"control\"}"},
                           {"/api/alerts/4242/ack", ""}};
    char good[128], wrong[128];
    snprintf(good, sizeof(good), "Bearer %s", token);
    snprintf(wrong, sizeof(wrong), "Bearer %.63s0", token);
    for (size_t i = 0; i < 3; i++) {
        do_call(a, &c, "POST", wr[i][0], NULL, NULL, wr[i][1]);
        CHECK_EQ_INT(c.r.status, 401);
        end_call(&c);
        do_call(a, &c, "POST", wr[i][0], NULL, wrong, wr[i][1]);
        CHECK_EQ_INT(c.r.status, 401);
        end_call(&c);
        do_call(a, &c, "POST", wr[i][0], NULL, "Bearer ", wr[i][1]);
        CHECK_EQ_INT(c.r.status, 401);
        end_call(&c);
    }
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 0);
    CHECK_EQ_INT(audit_count(&s), audit0);
    do_call(a, &c, "GET", "/api/alerts", NULL, NULL, NULL);
    CHECK(!strstr(c.r.body.p, "\"acknowledged\":true"));
    end_call(&c);

    /* With the token: 202, one command queued, one audit record by the operator. */
    char actor[64];
    st_auth_actor(token, actor, sizeof(actor));
    do_call(a, &c, "POST", "/api/scene", NULL, good, wr[0][1]);
    CHECK_EQ_INT(c.r.status, 202);
    CHECK(json_integer_value(json_object_get(c.json, "audit_seq")) > 0);
    end_call(&c);
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 1);
    CHECK_EQ_INT(cmd.kind, ST_CMD_SCENE);
    CHECK_STR(cmd.zone, "z1");
    CHECK_STR(cmd.arg, "calm-warm");
    CHECK_STR(cmd.actor, actor);
    CHECK_EQ_INT(audit_count(&s), audit0 + 1);
    do_call(a, &c, "POST", "/api/policy/pin", NULL, good, wr[1][1]);
    CHECK_EQ_INT(c.r.status, 202);
    end_call(&c);
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 1);
    CHECK_EQ_INT(cmd.kind, ST_CMD_PIN_POLICY);
    CHECK_STR(cmd.zone, "");
    CHECK_STR(cmd.arg, "control");
    do_call(a, &c, "POST", "/api/alerts/4242/ack", NULL, good, "");
    CHECK_EQ_INT(c.r.status, 202);
    end_call(&c);
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 1);
    CHECK_EQ_INT(cmd.kind, ST_CMD_ACK_ALERT);
    CHECK_STR(cmd.arg, "4242");
    CHECK_EQ_INT(audit_count(&s), audit0 + 3);
    do_call(a, &c, "GET", "/api/alerts", NULL, NULL, NULL);
    CHECK(strstr(c.r.body.p, "\"acknowledged\":true") != NULL);
    CHECK(strstr(c.r.body.p, actor) != NULL);
    end_call(&c);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(s.audit_db,
                       "SELECT kind, actor, subject FROM audit ORDER BY seq DESC LIMIT 1", -1, &st,
                       NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "write");
    CHECK_STR((const char *)sqlite3_column_text(st, 1), actor);
    sqlite3_finalize(st);

    /* Invalid writes with the token: 4xx, nothing queued. */
    const char *inv[][3] = {
        {"/api/scene", "{\"scene\":\"x\",\"zone\":\"nope\"}", "404"},
        {"/api/scene", "{\"scene\":\"\"}", "400"},
        {"/api/scene", "{\"scene\":7}", "400"},
        {"/api/scene", "[1]", "400"},
        {"/api/scene", "{\"scene\":\"a\",\"scene\":\"b\"}", "400"},
        {"/api/scene", "{not json", "400"},
        {"/api/scene", "{\"scene\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "400"},
        {"/api/policy/pin", "{}", "400"},
        {"/api/alerts/77/ack", "", "404"},
        {"/api/alerts/x/ack", "", "400"}};
    for (size_t i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
        do_call(a, &c, "POST", inv[i][0], NULL, good, inv[i][1]);
        CHECK_EQ_INT(c.r.status, strtol(inv[i][2], NULL, 10));
        end_call(&c);
    }
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 0);
    CHECK_EQ_INT(audit_count(&s), audit0 + 3);

    /* Audit status verifies the chain with the installation's key. */
    st_audit_sign_head(s.audit);
    do_call(a, &c, "GET", "/api/audit", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    CHECK_STR(jstr(c.json, "status"), "ok");
    CHECK_EQ_INT(json_integer_value(json_object_get(c.json, "records")), audit0 + 3);
    CHECK(json_integer_value(json_object_get(c.json, "signed_heads")) >= 1);
    end_call(&c);

    /* Methods and unknown paths. */
    do_call(a, &c, "GET", "/api/scene", NULL, good, NULL);
    CHECK_EQ_INT(c.r.status, 405);
    CHECK_STR(c.r.allow, "POST");
    end_call(&c);
    do_call(a, &c, "DELETE", "/api/zones", NULL, good, NULL);
    CHECK_EQ_INT(c.r.status, 405);
    end_call(&c);
    do_call(a, &c, "BREW", "/api/zones", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 405);
    end_call(&c);
    do_call(a, &c, "GET", "/api/nothing", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 404);
    end_call(&c);
    do_call(a, &c, "GET", "relative", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 400);
    end_call(&c);

    /* Static files: only the table's names, never a path outside the web root. */
    do_call(a, &c, "GET", "/", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.kind, ST_API_FILE);
    CHECK_STR(c.r.file, "index.html");
    end_call(&c);
    do_call(a, &c, "HEAD", "/vendor/uPlot.iife.min.js", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.kind, ST_API_FILE);
    end_call(&c);
    const char *nofile[] = {"/../etc/passwd", "/vendor/../../x", "/index.html/", "/web/app.js",
                            "/.git/config"};
    for (size_t i = 0; i < sizeof(nofile) / sizeof(nofile[0]); i++) {
        do_call(a, &c, "GET", nofile[i], NULL, NULL, NULL);
        CHECK_EQ_INT(c.r.status, 404);
        CHECK_EQ_INT(c.r.kind, ST_API_BODY);
        end_call(&c);
    }

    /* /metrics reflects the live counters and our own. */
    do_call(a, &c, "GET", "/metrics", NULL, NULL, NULL);
    CHECK(strstr(c.r.content_type, "version=0.0.4") != NULL);
    CHECK(strstr(c.r.body.p, "stratum_zone_state{zone=\"z5\",state=\"calm\"}") != NULL);
    CHECK(strstr(c.r.body.p, "stratum_http_writes_accepted_total 3\n") != NULL);
    end_call(&c);

    /* Event streams: resume point, slot limit, framing. */
    do_call(a, &c, "GET", "/api/events", "after=3", NULL, NULL);
    CHECK_EQ_INT(c.r.kind, ST_API_EVENTS);
    CHECK_EQ_INT(c.r.events_after, 3);
    end_call(&c);
    memset(&c, 0, sizeof(c));
    st_api_req q = {.method = "GET", .path = "/api/events", .last_event_id = "x1"};
    st_api_resp_init(&c.r);
    st_api_handle(a, &q, &c.r);
    CHECK_EQ_INT(c.r.status, 400);
    st_api_resp_free(&c.r);

    st_api_sse s1, s2, s3;
    atomic_int stop = 0;
    CHECK_EQ_INT(st_api_sse_open(a, &s1, 0, 4096), 0);
    CHECK_EQ_INT(st_api_sse_open(a, &s2, 0, 4096), 0);
    CHECK_EQ_INT(st_api_sse_open(a, &s3, 0, 4096), -EBUSY);
    st_api_sse_close(a, &s2);
    char buf[65536];
    size_t n = st_api_sse_read(a, &s1, buf, sizeof(buf) - 1, &stop);
    buf[n] = 0;
    const char *first = "retry: 2000\n\nevent: zones\ndata: {";
    CHECK(!strncmp(buf, first, strlen(first)));
    if (strncmp(buf, first, strlen(first))) fprintf(stderr, "got: %.80s\n", buf);
    /* The ring's events follow in order, with ids. */
    int64_t pushed = st_http_push_status(s.live, "info", "line one\nline two");
    CHECK(pushed > 0);
    int seen_status = 0, rounds = 0;
    char acc[200000] = "";
    while (!seen_status && rounds++ < 2000) {
        n = st_api_sse_read(a, &s1, buf, 100, &stop); /* small reads: split frames */
        CHECK(n > 0 && n <= 100);
        buf[n] = 0;
        if (strlen(acc) + n < sizeof(acc)) strcat(acc, buf);
        char idline[64];
        snprintf(idline, sizeof(idline), "id: %lld\nevent: status\ndata: ", (long long)pushed);
        const char *at = strstr(acc, idline);
        seen_status = at && strstr(at, "line two\"}\n\n") != NULL;
    }
    CHECK(seen_status);
    CHECK(strstr(acc, "id: 1\nevent: transition\ndata: {\"id\":") != NULL);
    atomic_store(&stop, 1);
    CHECK_EQ_INT(st_api_sse_read(a, &s1, buf, sizeof(buf), &stop), 0);
    st_api_sse_close(a, &s1);

    /* An evidence provider, once registered, is served as is. */
    st_api_free(a);
    ac.evidence = evidence_ok;
    ac.token = NULL;
    a = st_api_new(&ac);
    do_call(a, &c, "GET", "/api/evidence", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    CHECK_NEAR(json_number_value(json_object_get(c.json, "effect")), -0.2, 1e-9);
    end_call(&c);
    /* Without a token configured, every write is refused. */
    do_call(a, &c, "POST", "/api/scene", NULL, good, wr[0][1]);
    CHECK_EQ_INT(c.r.status, 401);
    end_call(&c);
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 0);
    st_api_free(a);

    /* No store at all: history answers 503, live endpoints still work. */
    ac.hist = NULL;
    a = st_api_new(&ac);
    do_call(a, &c, "GET", "/api/transitions", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 503);
    end_call(&c);
    do_call(a, &c, "GET", "/api/audit", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 503);
    end_call(&c);
    do_call(a, &c, "GET", "/healthz", NULL, NULL, NULL);
    CHECK_EQ_INT(c.r.status, 200);
    end_call(&c);
    st_api_free(a);
    st_histdb_free(hist);
    street_free(&s);
}

/* ---- the real server over sockets ------------------------------------------ */

/* Send raw bytes, read the whole answer (until close or timeout); returns the
 * status code of the first response line, or -1. */
static int raw(int port, const char *req, size_t len, char *out, size_t cap, int close_after)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break; /* the server may close early (413): read what it said */
        off += (size_t)w;
    }
    if (close_after) shutdown(fd, SHUT_WR);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = recv(fd, out + got, cap - 1 - got, 0)) > 0) {
        got += (size_t)r;
        if (!close_after && strstr(out, "\r\n\r\n")) break;
    }
    out[got] = 0;
    close(fd);
    int code = -1;
    if (sscanf(out, "HTTP/1.%*d %d", &code) != 1) code = -1;
    return code;
}

static int get(int port, const char *path, char *out, size_t cap)
{
    char req[4096];
    int n =
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return raw(port, req, (size_t)n, out, cap, 1);
}

static void test_server(void)
{
    street s;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/srv", tmpdir);
    mkdir(dir, 0700);
    CHECK_EQ_INT(street_new(&s, dir, 5, stderr), 0);
    street_until(&s, 3);
    st_http_params p;
    st_http_params_default(&p);
    char tokpath[400];
    snprintf(tokpath, sizeof(tokpath), "%s/stratum.token", dir);
    p.port = 0;
    p.token_path = tokpath;
    p.max_sse = 2;
    p.web_root = dir;
    st_http *h = st_http_new(&p, s.live, s.db_path, s.log);
    CHECK(h != NULL);
    if (!h) {
        street_free(&s);
        return;
    }
    int port = st_http_port(h);
    CHECK(port > 0 && port != 8080);
    struct stat st;
    CHECK(stat(tokpath, &st) == 0 && (st.st_mode & 0777) == 0600);

    static char out[1 << 17];
    CHECK_EQ_INT(get(port, "/healthz", out, sizeof(out)), 200);
    CHECK(strstr(out, "\"status\":\"ok\"") != NULL);
    CHECK(strstr(out, "X-Content-Type-Options: nosniff") != NULL);
    CHECK_EQ_INT(get(port, "/api/zones?limit=1&zone=z1", out, sizeof(out)), 200);
    CHECK_EQ_INT(get(port, "/api/transitions/1", out, sizeof(out)), 200);
    CHECK(strstr(out, "\"trace\":{") != NULL);
    /* index.html is not installed in this web root: a clear 404. */
    CHECK_EQ_INT(get(port, "/", out, sizeof(out)), 404);
    CHECK(strstr(out, "make web") != NULL);
    FILE *f = fopen(strcat(strcpy(out, dir), "/index.html"), "w");
    fputs("<!doctype html><title>t</title>", f);
    fclose(f);
    CHECK_EQ_INT(get(port, "/", out, sizeof(out)), 200);
    CHECK(strstr(out, "Content-Type: text/html") != NULL && strstr(out, "<title>t</title>"));

    /* Writes over HTTP: 401 with a challenge; nothing queued. */
    const char *body = "{\"scene\":\"calm-warm\"}";
    char req[8192];
    int n = snprintf(req, sizeof(req),
                     "POST /api/scene HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(body), body);
    CHECK_EQ_INT(raw(port, req, (size_t)n, out, sizeof(out), 1), 401);
    CHECK(strstr(out, "WWW-Authenticate: Bearer") != NULL);
    st_live_cmd cmd;
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 0);
    char token[ST_AUTH_HEX_MAX];
    CHECK_EQ_INT(st_auth_load_or_create(tokpath, token, sizeof(token), NULL), 0);
    n = snprintf(req, sizeof(req),
                 "POST /api/scene HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 token, strlen(body), body);
    CHECK_EQ_INT(raw(port, req, (size_t)n, out, sizeof(out), 1), 202);
    CHECK_EQ_INT(st_live_cmd_take(s.live, &cmd), 1);

    /* Limits: declared and actual oversized bodies, long targets, bad requests. */
    n = snprintf(req, sizeof(req),
                 "POST /api/scene HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    CHECK_EQ_INT(raw(port, req, (size_t)n, out, sizeof(out), 0), 413);
    size_t big = 3 * 4096;
    char *chunked = malloc(big + 512);
    n = snprintf(chunked, 512,
                 "POST /api/scene HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "Connection: close\r\n\r\n%zx\r\n",
                 big);
    memset(chunked + n, 'a', big);
    memcpy(chunked + n + big, "\r\n0\r\n\r\n", 7);
    CHECK_EQ_INT(raw(port, chunked, (size_t)n + big + 7, out, sizeof(out), 1), 413);
    free(chunked);
    char longpath[3000] = "/api/zones?x=";
    memset(longpath + 13, 'a', 2000);
    longpath[2013] = 0;
    CHECK_EQ_INT(get(port, longpath, out, sizeof(out)), 414);
    char *huge = malloc(100000);
    n = snprintf(huge, 100000, "GET /api/zones?x=");
    memset(huge + n, 'b', 60000);
    n += 60000;
    n += snprintf(huge + n, 100000 - (size_t)n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    int code = raw(port, huge, (size_t)n, out, sizeof(out), 1);
    CHECK(code >= 400 && code < 500);
    n = snprintf(huge, 100000, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(huge + n, 'c', 60000);
    n += 60000;
    n += snprintf(huge + n, 100000 - (size_t)n, "\r\n\r\n");
    code = raw(port, huge, (size_t)n, out, sizeof(out), 1);
    CHECK(code >= 400 && code < 500);
    free(huge);
    const char *junk[] = {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                          "GET /healthz HTTP/1.1\r\n\r\n" /* no Host */, "\x01\x02\x03\r\n\r\n"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        code = raw(port, junk[i], strlen(junk[i]), out, sizeof(out), 1);
        /* 505 (HTTP Version Not Supported) is the right answer to HTTP/9.9. */
        CHECK(code == -1 || (code >= 400 && code < 500) || (i == 2 && code == 505));
        if (!(code == -1 || (code >= 400 && code < 500)))
            fprintf(stderr, "junk %zu answered %d\n", i, code);
    }
    /* The server survived all of that. */
    CHECK_EQ_INT(get(port, "/healthz", out, sizeof(out)), 200);

    /* An event stream does not block other requests, and resumes after Last-Event-ID. */
    int64_t e1 = st_http_push_status(s.live, "info", "one");
    int64_t e2 = st_http_push_status(s.live, "info", "two");
    int sfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(sfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    n = snprintf(req, sizeof(req),
                 "GET /api/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: %lld\r\n\r\n",
                 (long long)e1);
    CHECK(send(sfd, req, (size_t)n, 0) == n);
    struct timeval tv = {3, 0};
    setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char ev[65536];
    size_t got = 0;
    char want[64];
    snprintf(want, sizeof(want), "id: %lld\nevent: status", (long long)e2);
    ssize_t r;
    while (got + 1 < sizeof(ev) && (r = recv(sfd, ev + got, sizeof(ev) - 1 - got, 0)) > 0) {
        got += (size_t)r;
        ev[got] = 0;
        if (strstr(ev, want)) break;
    }
    CHECK(strstr(ev, "Content-Type: text/event-stream") != NULL);
    CHECK(strstr(ev, want) != NULL);
    snprintf(want, sizeof(want), "id: %lld\n", (long long)e1);
    CHECK(strstr(ev, want) == NULL);
    CHECK_EQ_INT(get(port, "/api/zones", out, sizeof(out)), 200);
    CHECK_EQ_INT(get(port, "/metrics", out, sizeof(out)), 200);
    CHECK(strstr(out, "stratum_http_sse_clients 1\n") != NULL);
    /* A new event reaches the open stream. */
    int64_t e3 = st_http_push_status(s.live, "info", "three");
    snprintf(want, sizeof(want), "id: %lld\nevent: status", (long long)e3);
    got = 0;
    ev[0] = 0;
    while (got + 1 < sizeof(ev) && (r = recv(sfd, ev + got, sizeof(ev) - 1 - got, 0)) > 0) {
        got += (size_t)r;
        ev[got] = 0;
        if (strstr(ev, want)) break;
    }
    CHECK(strstr(ev, want) != NULL);
    /* max_sse (2) streams: the second is served, the third refused with 503. */
    int s2 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(s2, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    n = snprintf(req, sizeof(req), "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(send(s2, req, (size_t)n, 0) == n);
    setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    r = recv(s2, ev, sizeof(ev) - 1, 0);
    ev[r > 0 ? r : 0] = 0;
    CHECK(!strncmp(ev, "HTTP/1.1 200", 12));
    CHECK_EQ_INT(get(port, "/api/events", out, sizeof(out)), 503);

    /* The same port cannot be bound twice. */
    p.port = port;
    errno = 0;
    st_http *h2 = st_http_new(&p, s.live, s.db_path, s.log);
    CHECK(h2 == NULL);
    CHECK_EQ_INT(errno, EADDRINUSE);
    st_http_free(h2);
    /* Shutdown ends the open stream promptly. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st_http_free(h);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(took < 2.0);
    close(sfd);
    close(s2);
    st_http_free(NULL);
    street_free(&s);
}

/* ---- --serve: a simulated night behind a real server (integration tests) ---- */

static volatile sig_atomic_t stop_serving;

static void on_signal(int sig)
{
    (void)sig;
    stop_serving = 1;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* test_http --serve DIR [--speed X] [--zones N] [--web DIR] [--port P]: run the
 * default street's night paced at X simulated seconds per wall second, serve it on
 * 127.0.0.1 (free port unless given), print "port N" once listening, keep serving
 * after the night until SIGTERM. Operator commands are acknowledged as status events. */
static int serve(int argc, char **argv)
{
    const char *dir = NULL, *web = NULL;
    double speed = 240;
    long zones = 5, port = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(argv[i], "--serve") && v)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--speed") && v)
            speed = strtod(argv[++i], &end);
        else if (!strcmp(argv[i], "--zones") && v)
            zones = strtol(argv[++i], &end, 10);
        else if (!strcmp(argv[i], "--port") && v)
            port = strtol(argv[++i], &end, 10);
        else if (!strcmp(argv[i], "--web") && v)
            web = argv[++i];
        else {
            fprintf(stderr, "test_http: unknown or incomplete option '%s'\n", argv[i]);
            return 2;
        }
        if (end && *end) {
            fprintf(stderr, "test_http: %s: not a number\n", argv[i - 1]);
            return 2;
        }
    }
    if (!dir || speed < 0 || zones < 1 || zones > ST_MAX_ZONES || port < 0 || port > 65535) {
        fprintf(stderr, "usage: test_http --serve DIR [--speed X] [--zones N] [--web DIR] "
                        "[--port P]\n");
        return 2;
    }
    street s;
    if (street_new(&s, dir, (size_t)zones, stderr)) {
        fprintf(stderr, "test_http: cannot build the street in %s: %s\n", dir, strerror(errno));
        street_free(&s);
        return 1;
    }
    st_log_set_level(s.log, ST_LOG_INFO);
    st_http_params p;
    st_http_params_default(&p);
    char tokpath[600];
    snprintf(tokpath, sizeof(tokpath), "%s/stratum.token", dir);
    p.port = (int)port;
    p.token_path = tokpath;
    p.web_root = web;
    p.audit = s.audit;
    p.audit_pk = s.pk;
    p.street = s.set->street;
    p.utc_offset_min = s.set->engine.utc_offset_min;
    st_http *h = st_http_new(&p, s.live, s.db_path, s.log);
    if (!h) {
        fprintf(stderr, "test_http: cannot start the server: %s\n", strerror(errno));
        street_free(&s);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("port %d\n", st_http_port(h));
    fflush(stdout);
    double w0 = mono(), s0 = st_sim_now(s.sim);
    while (!stop_serving) {
        if (!st_sim_done(s.sim)) {
            street_step(&s);
        } else {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
        st_live_cmd cmd;
        while (st_live_cmd_take(s.live, &cmd)) {
            char text[256];
            snprintf(text, sizeof(text), "%s asked: %s '%s' in %s", cmd.actor,
                     cmd.kind == ST_CMD_SCENE        ? "scene"
                     : cmd.kind == ST_CMD_PIN_POLICY ? "pin policy"
                                                     : "acknowledge alert",
                     cmd.arg, cmd.zone[0] ? cmd.zone : "every zone");
            st_http_push_status(s.live, "info", text);
        }
        double ahead = (st_sim_now(s.sim) - s0) / (speed > 0 ? speed : 1e12) - (mono() - w0);
        if (ahead > 0.002 && !st_sim_done(s.sim)) {
            struct timespec ts = {(time_t)ahead, (long)((ahead - floor(ahead)) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    st_engine_flush(s.engine);
    st_http_free(h);
    street_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 1;
    if (argc > 1) return serve(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    make_tmpdir();
    RUN(test_jbuf);
    RUN(test_auth);
    RUN(test_metrics);
    RUN(test_api);
    RUN(test_server);
    rm_tmpdir();
    return TEST_END("http");
}
