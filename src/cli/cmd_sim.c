/* stratum sim: the simulated street as a sensor source (SenML to stdout, or signed over MQTT). */
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
#include "stratum/config.h"
#include "stratum/devkey.h"
#include "stratum/mqtt_pub.h"
#include "stratum/senml.h"
#include "stratum/sim.h"

#define MAX_DEVICES (2 * ST_MAX_ZONES)

/* Set by the signal handler only (STYLE.md item 8). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct sim_opts {
    const char *config, *publish, *keys, *street, *version, *ca, *cert, *certkey;
    long protocol;
    int speed_given;
} sim_opts;

typedef struct sim_dev {
    char id[ST_ID_MAX];
    st_mqtt_pub *pub;
} sim_dev;

typedef struct sim_ctx {
    st_sim *sim;
    st_senml *parser;
    sim_dev devs[MAX_DEVICES];
    size_t ndevs;
    double clock_offset; /* wall time - simulated time, when publishing live */
    uint64_t packs, failed;
} sim_ctx;

static void usage(FILE *out)
{
    fprintf(out, "usage: stratum sim [OPTIONS]\n\n"
                 "The embedded simulated street as a sensor source. Without --publish it writes\n"
                 "every sensor's SenML packs to standard output, one per line (pipe it into\n"
                 "'stratum run --replay -' or 'stratum obs check -'). With --publish each\n"
                 "device (meter-<i>, cam-<i>) signs its packs with its own key and publishes\n"
                 "them over MQTT, in real time from now, as real sensors would.\n\n"
                 "options:\n"
                 "  -c, --config FILE     settings (zones, [sim]); see docs/config.md\n"
                 "  -s, --set KEY=VALUE   override one setting, e.g. --set sim.night_hours=0.1\n"
                 "      --speed X         simulated seconds per wall second (stdout only;\n"
                 "                        default 0 = as fast as possible)\n"
                 "      --seed N          simulator seed\n"
                 "      --publish URL     sign and publish: mqtt://HOST[:PORT] or mqtts://...\n"
                 "      --keys DIR        device key files DIR/<device>.key (default .), made by\n"
                 "                        'stratum device add NAME --zone Z --type T'\n"
                 "      --street S        topic street (default: street.name)\n"
                 "      --version V       software version the devices report (default 1.0.0)\n"
                 "      --protocol 4|5    MQTT 3.1.1 or 5 (default 5)\n"
                 "      --ca FILE, --cert FILE, --certkey FILE   TLS for mqtts://\n"
                 "  -h, --help            this help\n\n"
                 "Exit status: 0 done, 1 failure, 2 bad usage or configuration.\n");
}

static int emit_stdout(void *ctx, const char *pack, size_t len)
{
    sim_ctx *c = ctx;
    c->packs++;
    fwrite(pack, 1, len, stdout);
    return putchar('\n') == EOF ? -EIO : 0;
}

/* Publish a pack with the key of the device it names. */
static int emit_publish(void *ctx, const char *pack, size_t len)
{
    sim_ctx *c = ctx;
    const st_obs *obs;
    st_senml_err err;
    c->packs++;
    if (st_senml_parse(c->parser, pack, len, st_sim_now(c->sim), &obs, &err) <= 0) {
        c->failed++;
        return 0;
    }
    for (size_t i = 0; i < c->ndevs; i++)
        if (!strcmp(c->devs[i].id, obs[0].device)) {
            if (st_mqtt_pub_send(c->devs[i].pub, pack, len, st_sim_now(c->sim)) < 0) c->failed++;
            return 0;
        }
    c->failed++;
    return 0;
}

static int open_publishers(sim_ctx *c, const st_settings *set, const sim_opts *o, st_log *log)
{
    for (size_t z = 0; z < set->nzones; z++) {
        for (int kind = 0; kind < 2; kind++) {
            sim_dev *d = &c->devs[c->ndevs];
            snprintf(d->id, sizeof(d->id), "%s-%zu", kind ? "cam" : "meter", z + 1);
            char path[ST_PATH_MAX + ST_ID_MAX + 8], err[300];
            snprintf(path, sizeof(path), "%s/%s.key", o->keys ? o->keys : ".", d->id);
            st_devkey k;
            if (st_devkey_load(&k, path, err, sizeof(err)) < 0) {
                fprintf(stderr,
                        "stratum sim: device %s: %s\n  (create it with: stratum device add %s "
                        "--zone %s --type %s --keys %s)\n",
                        d->id, err, d->id, set->zones[z].id, kind ? "counter" : "sound-meter",
                        o->keys ? o->keys : ".");
                return -1;
            }
            st_mqtt_pub_params p;
            st_mqtt_pub_params_default(&p, o->publish);
            snprintf(p.street, sizeof(p.street), "%s", o->street ? o->street : set->street);
            if (o->version) snprintf(p.sw_version, sizeof(p.sw_version), "%s", o->version);
            if (o->protocol) p.conn.protocol = (int)o->protocol;
            char terr[300];
            if (st_mqtt_conn_set_tls(&p.conn, o->ca, o->cert, o->certkey, terr, sizeof(terr)) < 0) {
                fprintf(stderr, "stratum sim: %s\n", terr);
                st_devkey_wipe(&k);
                return -1;
            }
            d->pub = st_mqtt_pub_new(&p, &k, log);
            st_devkey_wipe(&k);
            if (!d->pub) {
                fprintf(stderr, "stratum sim: device %s: cannot start its MQTT client\n", d->id);
                return -1;
            }
            c->ndevs++;
        }
    }
    return 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_args(int argc, char **argv, st_settings *set, sim_opts *o)
{
    enum {
        OPT_SPEED = 256,
        OPT_SEED,
        OPT_PUBLISH,
        OPT_KEYS,
        OPT_STREET,
        OPT_VERSION,
        OPT_PROTOCOL,
        OPT_CA,
        OPT_CERT,
        OPT_CERTKEY
    };
    static const struct option longopts[] = {{"config", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},
                                             {"speed", required_argument, 0, OPT_SPEED},
                                             {"seed", required_argument, 0, OPT_SEED},
                                             {"publish", required_argument, 0, OPT_PUBLISH},
                                             {"keys", required_argument, 0, OPT_KEYS},
                                             {"street", required_argument, 0, OPT_STREET},
                                             {"version", required_argument, 0, OPT_VERSION},
                                             {"protocol", required_argument, 0, OPT_PROTOCOL},
                                             {"ca", required_argument, 0, OPT_CA},
                                             {"cert", required_argument, 0, OPT_CERT},
                                             {"certkey", required_argument, 0, OPT_CERTKEY},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    char err[512];
    int ch, first = st_cli_first_pass("sim", argc, argv, "c:s:h", longopts, usage, &o->config);
    if (first) return first;
    if (o->config && st_config_load(set, o->config, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    set->run_speed = 0;
    while ((ch = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
        const char *key = NULL;
        switch (ch) {
        case 's':
            if (st_cli_set_kv("sim", set, optarg)) return 2;
            break;
        case OPT_SPEED:
            key = "run.speed";
            o->speed_given = 1;
            break;
        case OPT_SEED:
            key = "sim.seed";
            break;
        case OPT_PUBLISH:
            o->publish = optarg;
            break;
        case OPT_KEYS:
            o->keys = optarg;
            break;
        case OPT_STREET:
            o->street = optarg;
            break;
        case OPT_VERSION:
            o->version = optarg;
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
        case OPT_PROTOCOL:
            if (strcmp(optarg, "4") && strcmp(optarg, "5")) {
                fprintf(stderr, "stratum sim: --protocol: '%s' is not 4 (MQTT 3.1.1) or 5\n",
                        optarg);
                return 2;
            }
            o->protocol = optarg[0] - '0';
            break;
        default:
            break;
        }
        if (key && st_config_set(set, key, optarg, err, sizeof(err)) < 0) {
            fprintf(stderr, "stratum sim: %s\n", err);
            return 2;
        }
    }
    if (o->publish && o->speed_given && set->run_speed != 1) {
        fprintf(stderr, "stratum sim: --publish runs in real time (signed observations carry "
                        "the time they are sent); drop --speed\n");
        return 2;
    }
    if (st_config_validate(set, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum sim: %s\n", err);
        return 2;
    }
    return 0;
}

int st_cmd_sim(int argc, char **argv)
{
    st_settings *set = malloc(sizeof(*set));
    sim_ctx *c = calloc(1, sizeof(*c));
    sim_opts o = {0};
    st_log *log = NULL;
    int rc = 1;
    if (!set || !c) {
        fprintf(stderr, "stratum sim: out of memory\n");
        goto out;
    }
    st_settings_default(set);
    int prc = parse_args(argc, argv, set, &o);
    if (prc) {
        rc = prc == 1 ? 0 : prc;
        goto out;
    }
    log = st_log_new(stderr, set->log_level);
    if (o.publish) {
        /* Live: the night starts now, so signed timestamps are current. */
        set->sim.start_epoch = floor(wall_now());
        set->run_speed = 1;
    }
    c->sim = st_sim_new(&set->sim, set->zones, set->nzones);
    c->parser = st_senml_new(ST_SENML_MAX_RECORDS);
    if (!c->sim || !c->parser) {
        fprintf(stderr, "stratum sim: cannot start the simulator: %s\n", strerror(errno));
        goto out;
    }
    if (o.publish && open_publishers(c, set, &o, log) < 0) goto out;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double sim0 = st_sim_now(c->sim), speed = set->run_speed;
    rc = 0;
    while (!st_sim_done(c->sim) && !stop_requested) {
        if (st_sim_step(c->sim, o.publish ? emit_publish : emit_stdout, c) != 0) {
            rc = ferror(stdout) ? 0 : 1; /* a closed pipe ends the stream quietly */
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        st_cli_pace(st_sim_now(c->sim) - sim0,
                    (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) * 1e-9, speed);
    }
    fflush(stdout);
    if (o.publish) {
        uint64_t acked = 0, refused = 0;
        for (size_t i = 0; i < c->ndevs; i++) {
            st_mqtt_pub_flush(c->devs[i].pub, 10);
            st_mqtt_pub_stats s;
            st_mqtt_pub_stats_get(c->devs[i].pub, &s);
            acked += s.acked;
            refused += s.refused;
        }
        fprintf(stderr,
                "stratum sim: %llu packs from %zu devices, %llu acknowledged, %llu "
                "refused by the broker, %llu not sent\n",
                (unsigned long long)c->packs, c->ndevs, (unsigned long long)acked,
                (unsigned long long)refused, (unsigned long long)c->failed);
        if (refused || c->failed) rc = 1;
    }
out:
    if (c) {
        for (size_t i = 0; i < c->ndevs; i++) st_mqtt_pub_free(c->devs[i].pub);
        st_senml_free(c->parser);
        st_sim_free(c->sim);
    }
    st_log_free(log);
    free(c);
    free(set);
    return rc;
}
