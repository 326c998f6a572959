/* stratum run: wire config, store, engine, actuators and a source (simulator or replay). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/actuator.h"
#include "stratum/audit.h"
#include "stratum/audit_hook.h"
#include "stratum/experiment.h"
#include "stratum/instkey.h"
#include "stratum/report.h"
#include "stratum/alert.h"
#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/failsafe.h"
#include "stratum/http.h"
#include "stratum/live.h"
#include "stratum/light.h"
#include "stratum/mqtt_ingest.h"
#include "stratum/music.h"
#include "stratum/registry.h"
#include "stratum/broker_conf.h"
#include "stratum/senml.h"
#include "stratum/sim.h"
#include "stratum/store.h"

/* Set by the signal handler only; the loops poll it (STYLE.md item 8). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct run_opts {
    const char *config_path;
    const char *replay_path;
    const char *broker, *broker_cred, *ca, *cert, *certkey; /* --broker mode */
    int mqtt_protocol;
    int verify_threads; /* --verify-threads; -1 = one per further processor, at most 3 */
    const char *db_path;
    int dump_config;
    int quiet;
} run_opts;

/* Everything one run needs; lives on main's stack, passed by pointer. */
typedef struct run_ctx {
    st_settings *set;
    st_log *log;
    st_store *store;
    st_engine *engine;
    st_senml *parser;
    st_sim *sim;
    st_failsafe *lights; /* the lighting watchdog; owned by the engine once added */
    int lights_added;
    st_music *music;       /* borrowed from the engine's music actuator, NULL if none */
    st_live *live;         /* shared with the dashboard's threads */
    st_http *http;         /* NULL when http.port = 0 or the port could not be bound */
    st_registry *registry; /* --broker: device keys and policies, in the store */
    st_alert *alert;       /* borrowed from the engine's alert actuator (acknowledgements) */
    sqlite3 *audit_db;     /* the audit chain's own connection to the store file */
    st_audit *audit;
    unsigned char install_pk[32]; /* verifies the chain's heads (dashboard) */
    st_mqtt_ingest *mqtt;         /* --broker: verified observations from the street */
    int64_t run;
    int quiet;
    uint64_t packs, packs_refused, records;
    double latest; /* newest observation time seen (drives the engine in replays) */
    double next_status;
    /* Per-run tallies for the summary. */
    uint64_t by_action[3];
} run_ctx;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: stratum run [OPTIONS]\n\n"
        "Run the engine. With no options: the embedded simulated street (5 zones, 5 sound\n"
        "meters, 5 counting cameras, 22 lamp posts, one night 20:00-04:00 compressed in\n"
        "time), writing to the SQLite store and printing a status line per zone. The\n"
        "lamps are real: sACN (E1.31) packets to 127.0.0.1 from a fail-safe watchdog\n"
        "that returns them to the safe scene on exit, SIGINT/SIGTERM or kill -9\n"
        "(--set light.protocol=off: none). Alerts are logged; music plays when\n"
        "music.host names an MPD. See docs/actuation.md.\n\n"
        "options:\n"
        "  -c, --config FILE     load settings from FILE (see docs/config.md)\n"
        "  -s, --set KEY=VALUE   override one setting, e.g. --set engine.hold_s=20\n"
        "      --dump-config     print the effective configuration and exit\n"
        "      --speed X         simulated seconds per wall second (0 = as fast as possible)\n"
        "      --seed N          simulator seed\n"
        "      --db PATH         evidence store (default: store.path, stratum.db)\n"
        "      --replay FILE|-   read SenML packs (one per line) instead of simulating\n"
        "      --broker URL      a real street: verified, signed observations from an MQTT\n"
        "                        broker, mqtt://HOST[:PORT] or mqtts://HOST[:PORT]\n"
        "                        (docs/wire.md); devices come from 'stratum device add'\n"
        "      --broker-cred F   engine login written by 'stratum broker-config' (engine.cred)\n"
        "      --mqtt-protocol 4|5   MQTT 3.1.1 or 5 (default 5)\n"
        "      --verify-threads N    helper threads checking signatures beside the\n"
        "                        receiving thread, 0-16 (default: one per further\n"
        "                        processor, at most 3)\n"
        "      --ca F, --cert F, --certkey F   TLS for mqtts://\n"
        "  -q, --quiet           no status lines, only the summary\n"
        "  -h, --help            this help\n\n"
        "Exit status: 0 done, 1 runtime failure, 2 bad usage or configuration.\n");
}

static void fmt_clock(double t, int utc_offset_min, char *buf, size_t cap)
{
    time_t s = (time_t)floor(t + utc_offset_min * 60.0);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, "%H:%M", &tm);
}

static void print_status(run_ctx *c, double now)
{
    char clock[16];
    fmt_clock(now, c->set->engine.utc_offset_min, clock, sizeof(clock));
    size_t nz = st_engine_zone_count(c->engine);
    for (size_t i = 0; i < nz; i++) {
        const st_zone *z = st_engine_zone(c->engine, i);
        st_zone_status zs;
        st_zone_status_get(z, now, &zs);
        char laeq[16] = "    -", people[16] = "   -";
        if (isfinite(zs.laeq_mid)) snprintf(laeq, sizeof(laeq), "%5.1f", zs.laeq_mid);
        if (isfinite(zs.occupancy)) snprintf(people, sizeof(people), "%4.0f", zs.occupancy);
        printf("%s %-4s %-10s score %.2f  LAeq %s dB  people %s  events %4.1f/min%s\n", clock,
               st_zone_def_get(z)->id, st_state_name(zs.state), zs.score, laeq, people,
               zs.event_rate, zs.stale ? "  (stale)" : "");
    }
    fflush(stdout);
}

static void on_transition(void *ctx, const char *zone, const st_trace *tr, int64_t id)
{
    run_ctx *c = ctx;
    if (c->live) st_http_push_transition(c->live, zone, tr, id);
    if (c->quiet) return;
    char clock[16];
    fmt_clock(tr->t, c->set->engine.utc_offset_min, clock, sizeof(clock));
    printf("%s %-4s %s -> %s (score %.2f) [transition %lld written]\n", clock, zone,
           st_state_name(tr->from), st_state_name(tr->to), tr->score, (long long)id);
}

/* What music was playing when iv was applied (the actuators have run): for a
 * music intervention, what it replaced; otherwise the programme last set.
 * Nothing is stored before the first programme: it is not known. */
static void record_playing(run_ctx *c, const st_intervention *iv, int64_t id)
{
    const st_music_record *r = st_music_last(c->music);
    char text[ST_MUSIC_TEXT + ST_ACTION_MAX + 40];
    if (!r || r->t <= 0 || id <= 0) return;
    if (iv->kind == ST_ACT_MUSIC && r->t == iv->t && !strcmp(r->zone, iv->zone) &&
        !strcmp(r->programme, iv->name))
        snprintf(text, sizeof(text), "%s", r->was);
    else
        snprintf(text, sizeof(text), "programme %s%s", r->programme,
                 r->ok ? "" : " (pending: mpd unreachable)");
    int rc = st_store_set_playing(c->store, id, text);
    if (rc < 0)
        st_warn(c->log, "run", "intervention %lld: music record not stored (%s)", (long long)id,
                strerror(-rc));
}

static void on_intervention(void *ctx, const st_intervention *iv, int64_t id)
{
    run_ctx *c = ctx;
    if (c->music) record_playing(c, iv, id);
    if (c->live) st_http_push_intervention(c->live, iv, id);
    if ((unsigned)iv->kind < 3) c->by_action[iv->kind]++;
    if (c->quiet) return;
    char clock[16];
    fmt_clock(iv->t, c->set->engine.utc_offset_min, clock, sizeof(clock));
    printf("%s %-4s %s %s (rule %s) [intervention %lld written]\n", clock, iv->zone,
           st_act_kind_name(iv->kind), iv->name, iv->rule, (long long)id);
}

/* Parse one pack and feed the engine; refused packs are reported and skipped. */
static int feed_pack(run_ctx *c, const char *pack, size_t len, double now, long lineno)
{
    const st_obs *obs;
    st_senml_err err;
    c->packs++;
    int n = st_senml_parse(c->parser, pack, len, now, &obs, &err);
    if (n < 0) {
        char msg[200];
        c->packs_refused++;
        st_senml_err_format(&err, msg, sizeof(msg));
        if (lineno > 0)
            st_warn(c->log, "run", "pack refused (line %ld): %s", lineno, msg);
        else
            st_warn(c->log, "run", "pack refused: %s", msg);
        return 0;
    }
    c->records += (uint64_t)n;
    for (int i = 0; i < n; i++)
        if (obs[i].t > c->latest) c->latest = obs[i].t;
    st_engine_ingest(c->engine, obs, (size_t)n);
    return 0;
}

static int sim_emit(void *ctx, const char *pack, size_t len)
{
    run_ctx *c = ctx;
    return feed_pack(c, pack, len, st_sim_now(c->sim), 0);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Hand the dashboard the engine's view; cheap (a copy under a lock). */
/* One operator command from the dashboard (its HTTP handler checked the
 * token and audited the request); the engine loop runs it, here. */
static void run_command(run_ctx *c, const st_live_cmd *cmd, double now)
{
    char msg[256];
    if (cmd->kind == ST_CMD_SCENE) {
        int found = 0;
        for (size_t i = 0; i < c->set->light.nscenes; i++)
            if (!strcmp(c->set->light.scenes[i].name, cmd->arg)) found = 1;
        if (!found) {
            snprintf(msg, sizeof(msg), "scene %s: no such scene; nothing changed", cmd->arg);
            st_http_push_status(c->live, "error", msg);
            return;
        }
        int done = 0;
        for (size_t z = 0; z < c->set->nzones; z++) {
            if (cmd->zone[0] && strcmp(cmd->zone, c->set->zones[z].id)) continue;
            st_intervention iv;
            memset(&iv, 0, sizeof(iv));
            iv.t = now;
            snprintf(iv.zone, sizeof(iv.zone), "%s", c->set->zones[z].id);
            iv.kind = ST_ACT_SCENE;
            snprintf(iv.name, sizeof(iv.name), "%.*s", (int)sizeof(iv.name) - 1, cmd->arg);
            snprintf(iv.rule, sizeof(iv.rule), "operator");
            snprintf(iv.reason, sizeof(iv.reason),
                     "scene %s set by hand by %s from the dashboard (the safety envelope applies)",
                     cmd->arg, cmd->actor[0] ? cmd->actor : "an operator");
            if (st_engine_manual(c->engine, &iv) == 0) done++;
        }
        snprintf(msg, sizeof(msg), "scene %s set in %d zone%s by %s", cmd->arg, done,
                 done == 1 ? "" : "s", cmd->actor);
        st_http_push_status(c->live, done ? "info" : "error", done ? msg : "no such zone");
    } else if (cmd->kind == ST_CMD_PIN_POLICY) {
        int rc = st_experiment_pin(st_engine_experiment(c->engine), cmd->arg);
        if (rc == 0)
            snprintf(msg, sizeof(msg), "policy pinned to %s by %s for new episodes", cmd->arg,
                     cmd->actor);
        else
            snprintf(msg, sizeof(msg), "policy %s: %s; nothing changed", cmd->arg,
                     rc == -ENOENT ? "no such policy or arm" : "not possible with these arms");
        st_http_push_status(c->live, rc ? "error" : "info", msg);
        st_info(c->log, "run", "%s", msg);
    } else if (cmd->kind == ST_CMD_ACK_ALERT) {
        char *end;
        long long id = strtoll(cmd->arg, &end, 10);
        int rc =
            *end || id <= 0 || !c->alert ? -ENOENT : st_alert_ack(c->alert, id, cmd->actor, now);
        snprintf(msg, sizeof(msg),
                 rc ? "alert %s: not found; nothing acknowledged" : "alert %s acknowledged by %s",
                 cmd->arg, cmd->actor);
        st_http_push_status(c->live, rc ? "error" : "info", msg);
    }
}

/* Hand the dashboard the engine's view (a copy under a lock) and run the
 * commands it has queued. */
static void publish_live(run_ctx *c, double now)
{
    if (!c->live) return;
    st_live_update(c->live, c->engine, now, c->packs, c->packs_refused, c->records);
    st_live_cmd cmd;
    while (st_live_cmd_take(c->live, &cmd)) run_command(c, &cmd, now);
}

static void maybe_status(run_ctx *c, double now)
{
    if (c->quiet || c->set->status_every_s <= 0) return;
    if (now >= c->next_status) {
        print_status(c, now);
        c->next_status = now + c->set->status_every_s;
    }
}

static int run_sim(run_ctx *c)
{
    st_settings *s = c->set;
    double speed = s->run_speed;
    double wall0 = wall_now(), sim0 = st_sim_now(c->sim);
    c->next_status = sim0;
    while (!st_sim_done(c->sim) && !stop_requested) {
        st_sim_step(c->sim, sim_emit, c);
        double now = st_sim_now(c->sim);
        st_engine_step(c->engine, now);
        publish_live(c, now);
        maybe_status(c, now);
        st_cli_pace(now - sim0, wall_now() - wall0, speed);
    }
    return 0;
}

static int run_replay(run_ctx *c, const char *path)
{
    FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!in) {
        fprintf(stderr, "stratum run: --replay %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    while (!stop_requested && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        feed_pack(c, line, (size_t)len, ts.tv_sec + ts.tv_nsec * 1e-9, lineno);
        /* Engine time follows the newest observation seen (replays are not paced). */
        if (c->latest > 0) {
            st_engine_step(c->engine, c->latest);
            publish_live(c, c->latest);
            maybe_status(c, c->latest);
        }
    }
    free(line);
    if (in != stdin) fclose(in);
    return 0;
}

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Observations that passed every check (rate, device, signature, replay, time). */
static void on_verified(void *ctx, const st_obs *obs, size_t n, const st_verify_info *info)
{
    run_ctx *c = ctx;
    (void)info;
    c->packs++;
    c->records += n;
    st_engine_ingest(c->engine, obs, n);
}

/* A real street: the engine's clock is the wall clock, observations arrive
 * verified from the broker; runs until SIGINT/SIGTERM. */
static int run_broker(run_ctx *c)
{
    c->next_status = real_now();
    while (!stop_requested) {
        st_mqtt_ingest_poll(c->mqtt, 100, on_verified, c);
        double now = real_now();
        st_engine_step(c->engine, now);
        st_mqtt_ingest_stats ms;
        st_mqtt_ingest_stats_get(c->mqtt, &ms);
        c->packs_refused = 0;
        for (int v = 0; v < ST_V__COUNT; v++)
            if (v != ST_V_ACCEPTED) c->packs_refused += ms.verify.count[v];
        publish_live(c, now);
        maybe_status(c, now);
    }
    /* Take what the broker already delivered before stopping. */
    st_mqtt_ingest_stop(c->mqtt);
    while (st_mqtt_ingest_poll(c->mqtt, 0, on_verified, c) > 0) continue;
    st_engine_step(c->engine, real_now());
    return 0;
}

static int start_broker(run_ctx *c, const run_opts *o)
{
    c->registry = st_registry_new(st_store_db(c->store), 65536, c->log);
    if (!c->registry) {
        fprintf(stderr, "stratum run: cannot open the device registry: %s\n", strerror(errno));
        return 1;
    }
    st_mqtt_ingest_params ip;
    st_mqtt_ingest_params_default(&ip, o->broker);
    snprintf(ip.street, sizeof(ip.street), "%s", c->set->street);
    if (o->mqtt_protocol) ip.conn.protocol = o->mqtt_protocol;
    if (o->verify_threads >= 0) ip.verify_threads = (size_t)o->verify_threads;
    char err[300];
    if (st_mqtt_conn_set_tls(&ip.conn, o->ca, o->cert, o->certkey, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum run: %s\n", err);
        return 1;
    }
    if (o->broker_cred &&
        st_broker_conf_load_cred(o->broker_cred, ip.conn.username, sizeof(ip.conn.username),
                                 ip.conn.password, sizeof(ip.conn.password)) < 0) {
        fprintf(stderr, "stratum run: --broker-cred %s: cannot read the engine login\n",
                o->broker_cred);
        return 1;
    }
    c->mqtt = st_mqtt_ingest_new(&ip, c->registry, c->log);
    if (!c->mqtt) {
        fprintf(stderr, "stratum run: cannot start MQTT ingest from %s (see above)\n", o->broker);
        return 1;
    }
    return 0;
}

static void print_broker_summary(run_ctx *c)
{
    if (!c->mqtt) return;
    st_mqtt_ingest_stats ms;
    st_mqtt_ingest_stats_get(c->mqtt, &ms);
    printf("  broker: %llu messages received;", (unsigned long long)ms.received);
    for (int v = 0; v < ST_V__COUNT; v++)
        if (ms.verify.count[v])
            printf(" %s %llu", st_verdict_name((st_verdict)v),
                   (unsigned long long)ms.verify.count[v]);
    printf("\n");
}

/* Each arm against control over every randomised episode in the store so far
 * (this night and earlier ones): `stratum evidence report` has the details. */
static void print_evidence(run_ctx *c)
{
    st_evidence_cell *cells = calloc(512, sizeof(*cells));
    st_report_row rows[ST_EXP_MAX_ARMS + 1];
    double window = 0;
    long n = cells ? st_report_local_cells(st_store_db(c->store), 1, cells, 512, &window) : -1;
    long r = n > 0 ? st_report_compare(cells, (size_t)n, window, rows, ST_EXP_MAX_ARMS + 1) : -1;
    for (long i = 0; i < r; i++) {
        const st_report_row *w = &rows[i];
        printf("  evidence %s vs control: %ld vs %ld episodes, settled within %.0f min %+.2f "
               "[%+.2f, %+.2f]%s\n",
               w->arm.arm, w->arm.episodes, w->control.episodes, window / 60, w->settled_rd.est,
               w->settled_rd.lo, w->settled_rd.hi, w->too_small ? " (too few to conclude)" : "");
    }
    if (r > 0)
        printf("  (stratum evidence report --db %s for the full table)\n", c->set->store_path);
    free(cells);
}

static void print_summary(run_ctx *c, double wall_s)
{
    st_engine_stats es;
    st_engine_stats_get(c->engine, &es);
    printf("\nsummary of run %lld (%s):\n", (long long)c->run,
           c->sim    ? "simulated street"
           : c->mqtt ? "street via broker"
                     : "replay");
    printf("  packs %llu (%llu refused), records %llu, observations used %llu, wall %.1f s\n",
           (unsigned long long)c->packs, (unsigned long long)c->packs_refused,
           (unsigned long long)c->records, (unsigned long long)es.obs_used, wall_s);
    printf("  transitions %llu: into lively %llu, tense %llu, escalating %llu, incident %llu, "
           "calm %llu\n",
           (unsigned long long)es.transitions, (unsigned long long)es.entered[ST_LIVELY],
           (unsigned long long)es.entered[ST_TENSE], (unsigned long long)es.entered[ST_ESCALATING],
           (unsigned long long)es.entered[ST_INCIDENT], (unsigned long long)es.entered[ST_CALM]);
    printf("  interventions %llu: scenes %llu, music %llu, alerts %llu (actuator errors %llu)\n",
           (unsigned long long)es.interventions, (unsigned long long)c->by_action[ST_ACT_SCENE],
           (unsigned long long)c->by_action[ST_ACT_MUSIC],
           (unsigned long long)c->by_action[ST_ACT_ALERT], (unsigned long long)es.actuator_errors);
    if (c->sim) {
        st_sim_stats ss;
        st_sim_stats_get(c->sim, &ss);
        int untreated = ss.episodes - ss.episodes_treated;
        printf("  street (simulator ground truth): %d escalation episodes, %d treated, %d "
               "untreated; %d lamp posts\n",
               ss.episodes, ss.episodes_treated, untreated, ss.lamps);
        printf("  incidents: %d in treated episodes (%.0f%%), %d in untreated episodes (%.0f%%)\n",
               ss.incidents_treated,
               ss.episodes_treated ? 100.0 * ss.incidents_treated / ss.episodes_treated : 0.0,
               ss.incidents_untreated,
               untreated ? 100.0 * ss.incidents_untreated / untreated : 0.0);
    }
    print_broker_summary(c);
    print_evidence(c);
    printf("  store: %s\n", c->set->store_path);
}

static int parse_args(int argc, char **argv, st_settings *set, run_opts *o)
{
    enum {
        OPT_DUMP = 256,
        OPT_SPEED,
        OPT_SEED,
        OPT_DB,
        OPT_REPLAY,
        OPT_BROKER,
        OPT_CRED,
        OPT_PROTO,
        OPT_CA,
        OPT_CERT,
        OPT_CERTKEY,
        OPT_VERIFY
    };
    static const struct option longopts[] = {{"config", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},
                                             {"dump-config", no_argument, 0, OPT_DUMP},
                                             {"speed", required_argument, 0, OPT_SPEED},
                                             {"seed", required_argument, 0, OPT_SEED},
                                             {"db", required_argument, 0, OPT_DB},
                                             {"replay", required_argument, 0, OPT_REPLAY},
                                             {"broker", required_argument, 0, OPT_BROKER},
                                             {"broker-cred", required_argument, 0, OPT_CRED},
                                             {"mqtt-protocol", required_argument, 0, OPT_PROTO},
                                             {"ca", required_argument, 0, OPT_CA},
                                             {"cert", required_argument, 0, OPT_CERT},
                                             {"certkey", required_argument, 0, OPT_CERTKEY},
                                             {"verify-threads", required_argument, 0, OPT_VERIFY},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    char err[512];
    int ch,
        first = st_cli_first_pass("run", argc, argv, "c:s:qh", longopts, usage, &o->config_path);
    if (first) return first;
    if (o->config_path && st_config_load(set, o->config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    while ((ch = getopt_long(argc, argv, "c:s:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (st_cli_set_kv("run", set, optarg)) return 2;
            break;
        case OPT_DUMP:
            o->dump_config = 1;
            break;
        /* These options are shorthands for table keys: same ranges, same messages. */
        case OPT_SPEED:
        case OPT_SEED:
        case OPT_DB: {
            const char *key = ch == OPT_SPEED  ? "run.speed"
                              : ch == OPT_SEED ? "sim.seed"
                                               : "store.path";
            /* A seeded night is reproducible as a whole: the street and the
             * experiment's randomisation take the same seed. */
            if (ch == OPT_SEED &&
                st_config_set(set, "experiment.seed", optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "stratum run: --seed: %s\n", err);
                return 2;
            }
            if (st_config_set(set, key, optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "stratum run: --%s: %s\n",
                        ch == OPT_SPEED  ? "speed"
                        : ch == OPT_SEED ? "seed"
                                         : "db",
                        err);
                return 2;
            }
            break;
        }
        case OPT_REPLAY:
            o->replay_path = optarg;
            break;
        case OPT_BROKER:
            o->broker = optarg;
            break;
        case OPT_CRED:
            o->broker_cred = optarg;
            break;
        case OPT_CA:
            o->ca = optarg;
            break;
        case OPT_CERT:
            o->cert = optarg;
            break;
        case OPT_CERTKEY:
            o->certkey = optarg;
            break;
        case OPT_PROTO:
            if (strcmp(optarg, "4") && strcmp(optarg, "5")) {
                fprintf(stderr, "stratum run: --mqtt-protocol: '%s' is not 4 (MQTT 3.1.1) or 5\n",
                        optarg);
                return 2;
            }
            o->mqtt_protocol = optarg[0] - '0';
            break;
        case OPT_VERIFY: {
            char *end = NULL;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 0 || v > ST_MQTT_VERIFY_THREADS_MAX) {
                fprintf(stderr,
                        "stratum run: --verify-threads: '%s' is not a whole number from 0 to %d\n",
                        optarg, ST_MQTT_VERIFY_THREADS_MAX);
                return 2;
            }
            o->verify_threads = (int)v;
            break;
        }
        case 'q':
            o->quiet = 1;
            break;
        default:
            break;
        }
    }
    if (o->verify_threads >= 0 && !o->broker) {
        fprintf(stderr, "stratum run: --verify-threads applies to --broker only\n");
        return 2;
    }
    if (o->broker && o->replay_path) {
        fprintf(stderr, "stratum run: --broker and --replay are two different sources; pick one\n");
        return 2;
    }
    if (st_config_validate(set, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum run: %s%s\n", o->config_path ? "" : "configuration: ", err);
        return 2;
    }
    return 0;
}

/* Start the lighting output: the fail-safe watchdog process, forked before
 * the store is opened and before any thread exists (docs/actuation.md).
 * 0 (also when light.protocol = off), or the exit status after a message. */
static int start_lights(run_ctx *c)
{
    st_settings *s = c->set;
    if (s->light_protocol == ST_LIGHT_PROTO_OFF) return 0;
    st_light_params *lp = malloc(sizeof(*lp));
    st_failsafe_params fp;
    char err[512];
    if (!lp) {
        fprintf(stderr, "stratum run: out of memory\n");
        return 1;
    }
    if (st_config_light(s, lp, &fp, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum run: %s\n", err);
        free(lp);
        return 2;
    }
    /* The state folder (CID, lock) may be a fresh one named by light.state_dir. */
    char dir[ST_PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", (int)(strlen(fp.lock_path) - strlen("/light.lock")),
             fp.lock_path);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "stratum run: light.state_dir %s: %s\n", dir, strerror(errno));
        free(lp);
        return 1;
    }
    c->lights = st_failsafe_new(lp, &fp, c->log);
    if (!c->lights) {
        int e = errno;
        if (e == EBUSY)
            fprintf(stderr,
                    "stratum run: the lights are driven by another process (see above); stop it, "
                    "or run with --set light.protocol=off\n");
        else
            fprintf(stderr, "stratum run: cannot start the lighting output: %s\n", strerror(e));
        free(lp);
        return 1;
    }
    if (!c->quiet) {
        const char *proto = s->light_protocol == ST_LIGHT_PROTO_SACN     ? "sACN (E1.31)"
                            : s->light_protocol == ST_LIGHT_PROTO_ARTNET ? "Art-Net"
                                                                         : "sACN + Art-Net";
        printf("lights: %s to %s, %zu lamps, safe scene %s (watchdog pid %ld)\n", proto,
               s->light_dest, lp->nlamps, lp->safe_scene, (long)st_failsafe_pid(c->lights));
    }
    free(lp);
    return 0;
}

/* Music when music.host is set; alerts always (recorded in the log, delivered
 * when a webhook or broker is configured). Failures to construct are fatal:
 * the configuration was validated, so they mean no memory or no libraries. */
static int add_actuators(run_ctx *c)
{
    st_settings *s = c->set;
    if (c->lights) {
        st_engine_add_actuator(c->engine, st_failsafe_actuator(c->lights));
        c->lights_added = 1;
    }
    if (s->music.host[0]) {
        st_music *m = st_music_new(&s->music, c->log);
        if (!m) {
            fprintf(stderr, "stratum run: cannot start the music output: %s\n", strerror(errno));
            return 1;
        }
        if (st_engine_add_actuator(c->engine, st_music_actuator(m)) == 0) c->music = m;
    }
    st_alert_params ap;
    st_config_alert(s, &ap);
    st_alert *a = st_alert_new(&ap, c->log);
    if (!a) {
        fprintf(stderr, "stratum run: cannot start the alert output: %s\n", strerror(errno));
        return 1;
    }
    if (st_engine_add_actuator(c->engine, st_alert_actuator(a)) == 0) c->alert = a;
    return 0;
}

/* path if set, else NAME in the store's folder: one folder holds an
 * installation (store, token, keys, the lights' state). */
static void beside_store(const st_settings *s, const char *path, const char *name, char *out,
                         size_t cap)
{
    const char *slash = strrchr(s->store_path, '/');
    if (path[0])
        snprintf(out, cap, "%s", path);
    else if (slash)
        snprintf(out, cap, "%.*s/%s", (int)(slash - s->store_path), s->store_path, name);
    else
        snprintf(out, cap, "%s", name);
}

/* The tamper-evident audit chain (docs/evidence.md): the installation key
 * (created mode 0600 on first start) signs its heads; it writes through a
 * connection of its own, since the dashboard's threads append to it too. The
 * configuration in force is its first record of the run. 0 or exit status. */
static int start_audit(run_ctx *c)
{
    st_settings *s = c->set;
    char path[ST_PATH_MAX + 32], err[512];
    beside_store(s, s->audit_key, "installation.key", path, sizeof(path));
    st_instkey k;
    int created = 0;
    if (st_instkey_open(path, 1, &k, &created, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum run: installation key: %s\n", err);
        return 1;
    }
    memcpy(c->install_pk, k.pk, sizeof(c->install_pk));
    if (created) st_info(c->log, "run", "created the installation key %s (mode 0600)", path);
    sqlite3 *db = st_store_db(c->store);
    if (strcmp(s->store_path, ":memory:")) {
        if (sqlite3_open_v2(s->store_path, &c->audit_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
            fprintf(stderr, "stratum run: audit chain: cannot open %s: %s\n", s->store_path,
                    c->audit_db ? sqlite3_errmsg(c->audit_db) : "out of memory");
            st_instkey_wipe(&k);
            return 1;
        }
        sqlite3_busy_timeout(c->audit_db, 5000);
        db = c->audit_db;
    }
    c->audit = st_audit_new(db, k.sk, s->audit_sign_every, c->log);
    st_instkey_wipe(&k);
    if (!c->audit) {
        fprintf(stderr, "stratum run: cannot start the audit chain: %s\n", strerror(errno));
        return 1;
    }
    st_engine_set_audit(c->engine, c->audit);
    /* The whole configuration, by its SHA-256: any change between runs shows. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        st_config_dump(s, f);
        fclose(f);
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 8] = "sha256:";
        crypto_hash_sha256(h, (const unsigned char *)text, len);
        sodium_bin2hex(hex + 7, sizeof(hex) - 7, h, sizeof(h));
        st_audit_hook_config(c->audit, real_now(), "run", "configuration", NULL, hex);
    }
    free(text);
    if (s->engine.experiment.policy == ST_EXP_POLICY_THOMPSON &&
        s->engine.experiment.prior_from_pooled) {
        long n = st_report_seed_priors(st_store_db(c->store), st_engine_experiment(c->engine), 1);
        if (n < 0)
            st_warn(c->log, "run", "Thompson priors not seeded from pooled evidence (%s)",
                    strerror((int)-n));
    }
    return 0;
}

/* The dashboard's evidence table: this installation's randomised episodes,
 * each arm against control, as JSON. Runs on HTTP threads, so it opens its
 * own read-only connection. Caller frees; NULL + errno (ENOENT: no episode). */
static char *evidence_json(void *ctx)
{
    const char *path = ctx;
    sqlite3 *db = NULL;
    char *buf = NULL;
    size_t len = 0;
    st_evidence_cell *cells = calloc(512, sizeof(*cells));
    st_report_row *rows = calloc(ST_EXP_MAX_ARMS + 1, sizeof(*rows));
    int err = ENOMEM;
    double window = 0;
    if (!cells || !rows) goto out;
    err = EIO;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) goto out;
    sqlite3_busy_timeout(db, 2000);
    long n = st_report_local_cells(db, 1, cells, 512, &window);
    long r =
        n > 0 ? st_report_compare(cells, (size_t)n, window, rows, ST_EXP_MAX_ARMS + 1) : -ENOENT;
    err = ENOENT;
    if (r < 0) goto out;
    FILE *f = open_memstream(&buf, &len);
    if (!f) goto out;
    st_report_write(f, ST_REPORT_JSON, rows, (size_t)r, window, "this street, randomised episodes");
    fclose(f);
    err = 0;
out:
    sqlite3_close(db);
    free(cells);
    free(rows);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    return buf;
}

/* Start the dashboard and API (docs/dashboard.md). A port that cannot be
 * bound is reported and the street runs on without it: the dashboard must
 * never be the reason the lights or the store stop. */
static void start_http(run_ctx *c)
{
    st_settings *s = c->set;
    if (s->http_port == 0) return;
    c->live = st_live_new(s->nzones, 1024, 4096);
    if (!c->live) {
        fprintf(stderr, "stratum run: dashboard not started: %s\n", strerror(errno));
        return;
    }
    char token[ST_PATH_MAX + 16];
    beside_store(s, s->http_token, "stratum.token", token, sizeof(token));
    st_http_params hp;
    st_http_params_default(&hp);
    hp.bind_addr = s->http_bind;
    hp.port = s->http_port;
    hp.token_path = token;
    hp.web_root = s->http_web_root[0] ? s->http_web_root : NULL;
    hp.street = s->street;
    hp.utc_offset_min = s->engine.utc_offset_min;
    hp.owner = s->reg_owner;
    hp.retention = s->reg_retention;
    hp.contact = s->reg_contact;
    hp.audit = c->audit;
    hp.audit_pk = c->audit ? c->install_pk : NULL;
    hp.sensors = st_http_sensors_from_registry;
    hp.sensors_ctx = s->store_path;
    hp.evidence = evidence_json;
    hp.evidence_ctx = s->store_path;
    c->http = st_http_new(&hp, c->live, s->store_path, c->log);
    if (!c->http) {
        fprintf(stderr,
                "stratum run: dashboard not started on %s:%d: %s (set http.port to "
                "another port, or 0 for none); the street runs on without it\n",
                s->http_bind, s->http_port, strerror(errno));
        return;
    }
    if (!c->quiet)
        printf("dashboard: http://%s:%d/  (write token in %s)\n", s->http_bind,
               st_http_port(c->http), token);
}

/* After the night: keep the dashboard up until Ctrl-C when asked to (or, by
 * default, when a person is watching the terminal). */
static void linger(run_ctx *c)
{
    int on = c->set->run_linger == 1 || (c->set->run_linger == 0 && isatty(STDOUT_FILENO));
    if (!c->http || !on || stop_requested) return;
    printf("night over: the dashboard stays at http://%s:%d/ until Ctrl-C\n", c->set->http_bind,
           st_http_port(c->http));
    fflush(stdout);
    while (!stop_requested) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Bring the street back to the safe scene and end the streams before
 * returning (the watchdog fades, then exits). */
static void finish_lights(run_ctx *c)
{
    if (!c->lights) return;
    double t0 = wall_now();
    int rc = st_failsafe_finish(c->lights);
    if (!c->quiet)
        printf("lights: back at the safe scene, streams terminated (%.1f s)%s\n", wall_now() - t0,
               rc ? " - the watchdog had to be killed" : "");
    if (!c->lights_added) st_failsafe_free(c->lights);
    c->lights = NULL;
}

int st_cmd_run(int argc, char **argv)
{
    st_settings *set = malloc(sizeof(*set));
    run_opts o = {0};
    o.verify_threads = -1;
    run_ctx c = {0};
    int rc = 1;
    if (!set) {
        fprintf(stderr, "stratum run: out of memory\n");
        return 1;
    }
    st_settings_default(set);
    int prc = parse_args(argc, argv, set, &o);
    if (prc) {
        free(set);
        return prc == 1 ? 0 : prc;
    }
    if (o.dump_config) {
        rc = st_config_dump(set, stdout) < 0 ? 1 : 0;
        free(set);
        return rc;
    }
    c.set = set;
    c.quiet = o.quiet;
    c.log = st_log_new(stderr, set->log_level);
    rc = start_lights(&c);
    if (rc) goto out;
    rc = 1;
    c.store = st_store_open(set->store_path, set->store_sync_full, c.log);
    if (!c.store) {
        fprintf(stderr, "stratum run: cannot open the store '%s' (see the line above)\n",
                set->store_path);
        goto out;
    }
    char label[96];
    snprintf(label, sizeof(label), "%s %s", set->street,
             o.broker        ? "broker"
             : o.replay_path ? "replay"
                             : "simulation");
    c.run = st_store_begin_run(c.store, label, NULL);
    if (c.run < 0) goto out;
    c.parser = st_senml_new(ST_SENML_MAX_RECORDS);
    c.engine = st_engine_new(&set->engine, set->zones, set->nzones, set->rules, set->nrules,
                             c.store, c.run, c.log);
    if (!c.parser || !c.engine) {
        fprintf(stderr, "stratum run: cannot start the engine: %s\n", strerror(errno));
        goto out;
    }
    st_engine_listener l = {on_transition, on_intervention, &c};
    st_engine_set_listener(c.engine, &l);
    st_engine_add_actuator(c.engine, st_act_log_new(c.log));
    if (add_actuators(&c)) goto out;
    if (start_audit(&c)) goto out;
    if (o.broker) {
        if (start_broker(&c, &o)) goto out;
    } else if (!o.replay_path) {
        c.sim = st_sim_new(&set->sim, set->zones, set->nzones);
        if (!c.sim) {
            fprintf(stderr, "stratum run: cannot start the simulator: %s\n", strerror(errno));
            goto out;
        }
        st_engine_add_actuator(c.engine, st_sim_actuator(c.sim));
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    start_http(&c);

    if (!c.quiet)
        printf("stratum: street '%s', %zu zones, store %s, %s\n", set->street, set->nzones,
               set->store_path,
               o.broker        ? "verified observations from the broker"
               : o.replay_path ? "replaying SenML"
                               : (set->run_speed > 0 ? "simulated night"
                                                     : "simulated night, "
                                                       "full speed"));
    double w0 = wall_now();
    rc = o.broker ? run_broker(&c) : o.replay_path ? run_replay(&c, o.replay_path) : run_sim(&c);
    st_engine_flush(c.engine);
    if (stop_requested) fprintf(stderr, "stratum run: stopped by signal; store flushed\n");
    double wall = wall_now() - w0;
    finish_lights(&c);
    print_summary(&c, wall);
    char summary[256];
    st_engine_stats es;
    st_engine_stats_get(c.engine, &es);
    snprintf(summary, sizeof(summary),
             "{\"packs\":%llu,\"refused\":%llu,\"transitions\":%llu,\"interventions\":%llu}",
             (unsigned long long)c.packs, (unsigned long long)c.packs_refused,
             (unsigned long long)es.transitions, (unsigned long long)es.interventions);
    st_store_end_run(c.store, c.run, summary);
    linger(&c);
out:
    st_mqtt_ingest_free(c.mqtt);  /* saves the replay counters into the registry */
    st_registry_free(c.registry); /* before the store it lives in */
    st_http_free(c.http);         /* before the live state it reads */
    st_live_free(c.live);
    finish_lights(&c);        /* an early failure: the street still ends safe */
    st_engine_free(c.engine); /* frees the actuators, including the sim's (a no-op) */
    st_audit_free(c.audit);   /* signs the chain's head */
    sqlite3_close(c.audit_db);
    st_sim_free(c.sim);
    st_senml_free(c.parser);
    st_store_free(c.store);
    st_log_free(c.log);
    free(set);
    return rc;
}
