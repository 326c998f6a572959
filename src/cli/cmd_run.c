/* stratum run: wire config, store, engine, actuators and a source (simulator or replay). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stratum/actuator.h"
#include "stratum/config.h"
#include "stratum/engine.h"
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
    fprintf(out,
            "usage: stratum run [OPTIONS]\n\n"
            "Run the engine. With no options: the embedded simulated street (5 zones, 5 sound\n"
            "meters, 5 counting cameras, 22 lamp posts, one night 20:00-04:00 compressed in\n"
            "time), writing to the SQLite store and printing a status line per zone.\n\n"
            "options:\n"
            "  -c, --config FILE     load settings from FILE (see docs/config.md)\n"
            "  -s, --set KEY=VALUE   override one setting, e.g. --set engine.hold_s=20\n"
            "      --dump-config     print the effective configuration and exit\n"
            "      --speed X         simulated seconds per wall second (0 = as fast as possible)\n"
            "      --seed N          simulator seed\n"
            "      --db PATH         evidence store (default: store.path, stratum.db)\n"
            "      --replay FILE|-   read SenML packs (one per line) instead of simulating\n"
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
    if (c->quiet) return;
    char clock[16];
    fmt_clock(tr->t, c->set->engine.utc_offset_min, clock, sizeof(clock));
    printf("%s %-4s %s -> %s (score %.2f) [transition %lld written]\n", clock, zone,
           st_state_name(tr->from), st_state_name(tr->to), tr->score, (long long)id);
}

static void on_intervention(void *ctx, const st_intervention *iv, int64_t id)
{
    run_ctx *c = ctx;
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
        maybe_status(c, now);
        if (speed > 0) {
            double ahead = (now - sim0) / speed - (wall_now() - wall0);
            if (ahead > 0.002) {
                struct timespec ts = {(time_t)ahead, (long)((ahead - floor(ahead)) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
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
            maybe_status(c, c->latest);
        }
    }
    free(line);
    if (in != stdin) fclose(in);
    return 0;
}

static void print_summary(run_ctx *c, double wall_s)
{
    st_engine_stats es;
    st_engine_stats_get(c->engine, &es);
    printf("\nsummary of run %lld (%s):\n", (long long)c->run,
           c->sim ? "simulated street" : "replay");
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
    printf("  store: %s\n", c->set->store_path);
}

static int parse_args(int argc, char **argv, st_settings *set, run_opts *o)
{
    enum { OPT_DUMP = 256, OPT_SPEED, OPT_SEED, OPT_DB, OPT_REPLAY };
    static const struct option longopts[] = {{"config", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},
                                             {"dump-config", no_argument, 0, OPT_DUMP},
                                             {"speed", required_argument, 0, OPT_SPEED},
                                             {"seed", required_argument, 0, OPT_SEED},
                                             {"db", required_argument, 0, OPT_DB},
                                             {"replay", required_argument, 0, OPT_REPLAY},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    char err[512];
    /* First pass: the config file, so --set and options override it wherever they stand. */
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:s:qh", longopts, NULL)) != -1) {
        if (ch == 'c') o->config_path = optarg;
        if (ch == 'h') {
            usage(stdout);
            return 1;
        }
        if (ch == '?') {
            fprintf(stderr,
                    "stratum run: unknown or incomplete option '%s'; see 'stratum run "
                    "--help'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stratum run: unexpected argument '%s'; see 'stratum run --help'\n",
                argv[optind]);
        return 2;
    }
    if (o->config_path && st_config_load(set, o->config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:s:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': {
            char kv[512];
            snprintf(kv, sizeof(kv), "%s", optarg);
            char *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "stratum run: --set %s: expected KEY=VALUE\n", optarg);
                return 2;
            }
            *eq = 0;
            if (st_config_set(set, kv, eq + 1, err, sizeof(err)) < 0) {
                fprintf(stderr, "stratum run: --set %s: %s\n", optarg, err);
                return 2;
            }
            break;
        }
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
        case 'q':
            o->quiet = 1;
            break;
        default:
            break;
        }
    }
    if (st_config_validate(set, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum run: %s%s\n", o->config_path ? "" : "configuration: ", err);
        return 2;
    }
    return 0;
}

int st_cmd_run(int argc, char **argv)
{
    st_settings *set = malloc(sizeof(*set));
    run_opts o = {0};
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
    c.store = st_store_open(set->store_path, set->store_sync_full, c.log);
    if (!c.store) {
        fprintf(stderr, "stratum run: cannot open the store '%s' (see the line above)\n",
                set->store_path);
        goto out;
    }
    char label[96];
    snprintf(label, sizeof(label), "%s %s", set->street, o.replay_path ? "replay" : "simulation");
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
    if (!o.replay_path) {
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

    if (!c.quiet)
        printf("stratum: street '%s', %zu zones, store %s, %s\n", set->street, set->nzones,
               set->store_path,
               o.replay_path ? "replaying SenML"
                             : (set->run_speed > 0 ? "simulated night"
                                                   : "simulated night, "
                                                     "full speed"));
    double w0 = wall_now();
    rc = o.replay_path ? run_replay(&c, o.replay_path) : run_sim(&c);
    st_engine_flush(c.engine);
    if (stop_requested) fprintf(stderr, "stratum run: stopped by signal; store flushed\n");
    print_summary(&c, wall_now() - w0);
    char summary[256];
    st_engine_stats es;
    st_engine_stats_get(c.engine, &es);
    snprintf(summary, sizeof(summary),
             "{\"packs\":%llu,\"refused\":%llu,\"transitions\":%llu,\"interventions\":%llu}",
             (unsigned long long)c.packs, (unsigned long long)c.packs_refused,
             (unsigned long long)es.transitions, (unsigned long long)es.interventions);
    st_store_end_run(c.store, c.run, summary);
out:
    st_engine_free(c.engine); /* frees the actuators, including the sim's (a no-op) */
    st_sim_free(c.sim);
    st_senml_free(c.parser);
    st_store_free(c.store);
    st_log_free(c.log);
    free(set);
    return rc;
}
