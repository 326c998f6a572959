/* stratum device: device keys (add, list, revoke, rotate), policies, send and monitor. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
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
#include "stratum/broker_conf.h"
#include "stratum/devkey.h"
#include "stratum/mqtt_ingest.h"
#include "stratum/mqtt_pub.h"
#include "stratum/registry.h"
#include "stratum/sigenv.h"
#include "stratum/store.h"

/* Set by the signal handler only (STYLE.md item 8). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stratum device COMMAND [OPTIONS]\n\n"
            "Device trust (docs/wire.md): every device signs its observations with its own\n"
            "Ed25519 key; the registry in the store holds only public keys.\n\n"
            "commands:\n"
            "  add NAME --zone Z --type T   create a key pair: private key file DIR/NAME.key\n"
            "                               (mode 0600), public key into the registry\n"
            "  list                         devices, zones, types, key versions, status\n"
            "  revoke NAME                  refuse the device from now on\n"
            "  rotate NAME                  new key pair (and broker password) for NAME\n"
            "  policy TYPE [--min-version V] [--end-of-support DATE]\n"
            "                               quarantine devices of TYPE below V or after DATE\n"
            "                               (YYYY-MM-DD, UTC); without options: show policies\n"
            "  send --key FILE --broker URL [FILE|-]\n"
            "                               sign SenML packs (one per line) and publish them\n"
            "  monitor --broker URL         verify incoming traffic as the engine would and\n"
            "                               print accepted observations (JSON lines)\n\n"
            "options:\n"
            "      --db PATH          evidence store holding the registry (default stratum.db)\n"
            "      --keys DIR         folder for key files (default .)\n"
            "  send/monitor:\n"
            "      --street S         topic street (default stratumseind)\n"
            "      --protocol 4|5     MQTT 3.1.1 or 5 (default 5)\n"
            "      --ca FILE, --cert FILE, --certkey FILE   TLS for mqtts://\n"
            "  send:\n"
            "      --version V        software version reported (default 1.0.0)\n"
            "      --counter N        first counter (default: wall clock in microseconds)\n"
            "      --topic T          publish on T instead of the device's own topic\n"
            "      --interval S       seconds between packs (default 0)\n"
            "      --save-last FILE   write the last envelope sent (for replay tests)\n"
            "  monitor:\n"
            "      --cred FILE        engine login written by broker-config (engine.cred)\n"
            "      --client-id ID     persistent session id (default stratum-monitor)\n"
            "      --seconds S        stop after S seconds (default: until SIGINT/SIGTERM)\n"
            "      --count N          stop after N accepted messages\n"
            "      --rate R --burst B per-device rate limit (default 20/s, 40)\n\n"
            "Exit status: 0 done, 1 failure, 2 bad usage.\n");
}

typedef struct dev_opts {
    const char *db, *keys, *zone, *type, *min_version, *eos, *key, *broker, *street, *ca, *cert,
        *certkey, *version, *topic, *save_last, *cred, *client_id;
    long protocol, count;
    double interval, seconds, rate, burst;
    unsigned long long counter;
    int have_eos;
} dev_opts;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_opts(int argc, char **argv, dev_opts *o)
{
    enum {
        O_DB = 256,
        O_KEYS,
        O_ZONE,
        O_TYPE,
        O_MINV,
        O_EOS,
        O_KEY,
        O_BROKER,
        O_STREET,
        O_PROTO,
        O_CA,
        O_CERT,
        O_CERTKEY,
        O_VERSION,
        O_COUNTER,
        O_TOPIC,
        O_INTERVAL,
        O_SAVE,
        O_CRED,
        O_CLIENT,
        O_SECONDS,
        O_COUNT,
        O_RATE,
        O_BURST
    };
    static const struct option longopts[] = {
        {"db", required_argument, 0, O_DB},
        {"keys", required_argument, 0, O_KEYS},
        {"zone", required_argument, 0, O_ZONE},
        {"type", required_argument, 0, O_TYPE},
        {"min-version", required_argument, 0, O_MINV},
        {"end-of-support", required_argument, 0, O_EOS},
        {"key", required_argument, 0, O_KEY},
        {"broker", required_argument, 0, O_BROKER},
        {"street", required_argument, 0, O_STREET},
        {"protocol", required_argument, 0, O_PROTO},
        {"ca", required_argument, 0, O_CA},
        {"cert", required_argument, 0, O_CERT},
        {"certkey", required_argument, 0, O_CERTKEY},
        {"version", required_argument, 0, O_VERSION},
        {"counter", required_argument, 0, O_COUNTER},
        {"topic", required_argument, 0, O_TOPIC},
        {"interval", required_argument, 0, O_INTERVAL},
        {"save-last", required_argument, 0, O_SAVE},
        {"cred", required_argument, 0, O_CRED},
        {"client-id", required_argument, 0, O_CLIENT},
        {"seconds", required_argument, 0, O_SECONDS},
        {"count", required_argument, 0, O_COUNT},
        {"rate", required_argument, 0, O_RATE},
        {"burst", required_argument, 0, O_BURST},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *c = "device";
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DB:
            o->db = optarg;
            break;
        case O_KEYS:
            o->keys = optarg;
            break;
        case O_ZONE:
            o->zone = optarg;
            break;
        case O_TYPE:
            o->type = optarg;
            break;
        case O_MINV:
            o->min_version = optarg;
            break;
        case O_EOS:
            o->eos = optarg;
            break;
        case O_KEY:
            o->key = optarg;
            break;
        case O_BROKER:
            o->broker = optarg;
            break;
        case O_STREET:
            o->street = optarg;
            break;
        case O_PROTO:
            if (st_cli_parse_long(c, "--protocol", optarg, 4, 5, &o->protocol)) return -1;
            break;
        case O_CA:
            o->ca = optarg;
            break;
        case O_CERT:
            o->cert = optarg;
            break;
        case O_CERTKEY:
            o->certkey = optarg;
            break;
        case O_VERSION:
            o->version = optarg;
            break;
        case O_COUNTER: {
            char *end;
            errno = 0;
            o->counter = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || o->counter == 0 || optarg[0] == '-') {
                fprintf(stderr, "stratum device: --counter: '%s' is not a counter >= 1\n", optarg);
                return -1;
            }
            break;
        }
        case O_TOPIC:
            o->topic = optarg;
            break;
        case O_INTERVAL:
            if (st_cli_parse_double(c, "--interval", optarg, 0, 3600, &o->interval)) return -1;
            break;
        case O_SAVE:
            o->save_last = optarg;
            break;
        case O_CRED:
            o->cred = optarg;
            break;
        case O_CLIENT:
            o->client_id = optarg;
            break;
        case O_SECONDS:
            if (st_cli_parse_double(c, "--seconds", optarg, 0, 1e9, &o->seconds)) return -1;
            break;
        case O_COUNT:
            if (st_cli_parse_long(c, "--count", optarg, 1, 1000000000, &o->count)) return -1;
            break;
        case O_RATE:
            if (st_cli_parse_double(c, "--rate", optarg, 0.001, 1e6, &o->rate)) return -1;
            break;
        case O_BURST:
            if (st_cli_parse_double(c, "--burst", optarg, 1, 1e6, &o->burst)) return -1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            return -1;
        }
    }
    return 0;
}

static int check_id(const char *what, const char *s)
{
    if (s && st_sigenv_id_ok(s, strlen(s))) return 0;
    fprintf(stderr, "stratum device: %s '%s' must match [A-Za-z0-9_-]{1,31}\n", what, s ? s : "");
    return -1;
}

/* Open the store (and so the registry) at o->db. */
static int open_registry(const dev_opts *o, st_log *log, st_store **store, st_registry **reg)
{
    *store = st_store_open(o->db, 0, log);
    if (!*store) return -1;
    *reg = st_registry_new(st_store_db(*store), 65536, log);
    if (!*reg) {
        fprintf(stderr, "stratum device: %s: cannot open the device registry: %s\n", o->db,
                strerror(errno));
        st_store_free(*store);
        return -1;
    }
    return 0;
}

static int key_path(const dev_opts *o, const char *name, char *buf, size_t cap)
{
    if (snprintf(buf, cap, "%s/%s.key", o->keys, name) >= (int)cap) {
        fprintf(stderr, "stratum device: --keys %s: path too long\n", o->keys);
        return -1;
    }
    return 0;
}

static int cmd_add(const dev_opts *o, const char *name, st_registry *reg)
{
    if (check_id("NAME", name) || check_id("--zone", o->zone) || check_id("--type", o->type))
        return 2;
    if (st_registry_find(reg, name, strlen(name)) >= 0) {
        fprintf(stderr, "stratum device add: %s is already registered (use rotate)\n", name);
        return 1;
    }
    char path[4096];
    if (key_path(o, name, path, sizeof(path))) return 2;
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "stratum device add: %s exists; not overwriting a key file\n", path);
        return 1;
    }
    st_devkey k;
    st_device d;
    memset(&d, 0, sizeof(d));
    int rc = st_devkey_generate(&k, name, o->zone);
    if (!rc) rc = st_broker_conf_hash(k.mqtt_password, d.mqtt_hash, sizeof(d.mqtt_hash));
    if (!rc) rc = st_devkey_save(&k, path);
    if (rc) {
        fprintf(stderr, "stratum device add: %s: %s\n", path, strerror(-rc));
        st_devkey_wipe(&k);
        return 1;
    }
    snprintf(d.id, sizeof(d.id), "%s", name);
    snprintf(d.zone, sizeof(d.zone), "%s", o->zone);
    snprintf(d.type, sizeof(d.type), "%s", o->type);
    memcpy(d.pk, k.pk, 32);
    st_devkey_wipe(&k);
    rc = st_registry_add(reg, &d, wall_now());
    if (rc) {
        fprintf(stderr, "stratum device add: %s: %s\n", name, strerror(-rc));
        unlink(path);
        return 1;
    }
    char hex[65];
    st_devkey_hex(d.pk, 32, hex);
    printf("added %s (zone %s, type %s), public key %s\nprivate key: %s (mode 0600; install it "
           "on the device, keep no other copy)\n",
           name, o->zone, o->type, hex, path);
    return 0;
}

static int cmd_list(st_registry *reg)
{
    printf("%-20s %-10s %-14s %-4s %-10s %-9s %s\n", "device", "zone", "type", "key", "version",
           "status", "public key");
    for (size_t i = 0; i < st_registry_count(reg); i++) {
        const st_device *d = st_registry_device(reg, i);
        char hex[65];
        st_devkey_hex(d->pk, 32, hex);
        printf("%-20s %-10s %-14s v%-3d %-10s %-9s %s\n", d->id, d->zone, d->type, d->key_version,
               d->sw_version[0] ? d->sw_version : "-", d->revoked > 0 ? "revoked" : "active", hex);
    }
    return 0;
}

static int cmd_rotate(const dev_opts *o, const char *name, st_registry *reg)
{
    long i = name ? st_registry_find(reg, name, strlen(name)) : -1;
    if (i < 0) {
        fprintf(stderr, "stratum device rotate: %s is not registered\n", name ? name : "");
        return 1;
    }
    const st_device *d = st_registry_device(reg, (size_t)i);
    if (d->revoked > 0) {
        fprintf(stderr, "stratum device rotate: %s is revoked\n", name);
        return 1;
    }
    char path[4096], hash[ST_MQTT_HASH_MAX];
    if (key_path(o, name, path, sizeof(path))) return 2;
    st_devkey k;
    int rc = st_devkey_generate(&k, name, d->zone);
    if (!rc) rc = st_broker_conf_hash(k.mqtt_password, hash, sizeof(hash));
    /* Registry first: if the file cannot be written the old file still
     * matches nothing, and rotate can simply be run again. */
    if (!rc) rc = st_registry_rotate(reg, name, k.pk, hash);
    if (!rc) rc = st_devkey_save(&k, path);
    st_devkey_wipe(&k);
    if (rc) {
        fprintf(stderr, "stratum device rotate: %s: %s\n", name, strerror(-rc));
        return 1;
    }
    printf("rotated %s to key v%d; new private key %s (re-run broker-config for the new broker "
           "password)\n",
           name, st_registry_device(reg, (size_t)i)->key_version, path);
    return 0;
}

/* "YYYY-MM-DD" (UTC midnight) or epoch seconds. */
static int parse_date(const char *s, double *out)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
        if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
        *out = (double)timegm(&tm);
        return 0;
    }
    return st_cli_parse_double("device policy", "--end-of-support", s, 0, 7258118400.0, out);
}

static int cmd_policy(const dev_opts *o, const char *type, st_registry *reg)
{
    if (!o->min_version && !o->eos) {
        printf("%-14s %-12s %s\n", "type", "min version", "end of support (UTC)");
        for (size_t i = 0; i < st_registry_policy_count(reg); i++) {
            const st_device_policy *p = st_registry_policy_at(reg, i);
            char date[32] = "-";
            if (p->end_of_support > 0) {
                time_t t = (time_t)p->end_of_support;
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
            }
            printf("%-14s %-12s %s\n", p->type, p->min_version[0] ? p->min_version : "-", date);
        }
        return 0;
    }
    if (check_id("TYPE", type)) return 2;
    st_device_policy p;
    memset(&p, 0, sizeof(p));
    if (st_registry_policy(reg, type, &p) != 0) snprintf(p.type, sizeof(p.type), "%s", type);
    if (o->min_version) {
        if (strlen(o->min_version) >= sizeof(p.min_version) ||
            (o->min_version[0] && !st_sigenv_version_ok(o->min_version, strlen(o->min_version)))) {
            fprintf(stderr, "stratum device policy: --min-version '%s' is not a version\n",
                    o->min_version);
            return 2;
        }
        snprintf(p.min_version, sizeof(p.min_version), "%s", o->min_version);
    }
    if (o->eos && parse_date(o->eos, &p.end_of_support)) {
        fprintf(stderr, "stratum device policy: --end-of-support '%s': expected YYYY-MM-DD\n",
                o->eos);
        return 2;
    }
    int rc = st_registry_set_policy(reg, &p);
    if (rc) {
        fprintf(stderr, "stratum device policy: %s: %s\n", type, strerror(-rc));
        return 1;
    }
    printf("policy %s: minimum version %s, end of support %.0f\n", p.type,
           p.min_version[0] ? p.min_version : "none", p.end_of_support);
    return 0;
}

/* The connection options of the command line into c: protocol and TLS
 * files. 0, or -1 after saying why (what: "send", "monitor"). */
static int conn_tls(const dev_opts *o, st_mqtt_conn *c, const char *what)
{
    char err[300];
    if (o->protocol) c->protocol = (int)o->protocol;
    if (st_mqtt_conn_set_tls(c, o->ca, o->cert, o->certkey, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum device %s: %s\n", what, err);
        return -1;
    }
    return 0;
}

static int cmd_send(const dev_opts *o, const char *input, st_log *log)
{
    if (!o->key || !o->broker) {
        fprintf(stderr, "stratum device send: --key FILE and --broker URL are required\n");
        return 2;
    }
    char err[300];
    st_devkey k;
    int rc = st_devkey_load(&k, o->key, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "stratum device send: %s\n", err);
        return 1;
    }
    st_mqtt_pub_params p;
    st_mqtt_pub_params_default(&p, o->broker);
    if (conn_tls(o, &p.conn, "send") < 0) {
        st_devkey_wipe(&k);
        return 2;
    }
    if (o->street) snprintf(p.street, sizeof(p.street), "%s", o->street);
    if (o->version) snprintf(p.sw_version, sizeof(p.sw_version), "%s", o->version);
    p.counter_start = o->counter;
    st_mqtt_pub *pub = st_mqtt_pub_new(&p, &k, log);
    st_devkey_wipe(&k);
    if (!pub) return 1;
    FILE *in = !input || !strcmp(input, "-") ? stdin : fopen(input, "r");
    if (!in) {
        fprintf(stderr, "stratum device send: %s: %s\n", input, strerror(errno));
        st_mqtt_pub_free(pub);
        return 1;
    }
    uint8_t *env = malloc(ST_SIGENV_MAX_BYTES);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int status = 0, envlen = 0;
    long lineno = 0;
    while (env && !stop_requested && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) continue;
        envlen = st_mqtt_pub_seal(pub, line, (size_t)len, -1, env, ST_SIGENV_MAX_BYTES);
        rc = envlen < 0 ? envlen
                        : st_mqtt_pub_send_raw(pub, o->topic ? o->topic : st_mqtt_pub_topic(pub),
                                               env, (size_t)envlen);
        if (rc) {
            fprintf(stderr, "stratum device send: line %ld: %s\n", lineno, strerror(-rc));
            status = 1;
            break;
        }
        if (o->interval > 0) {
            struct timespec ts = {(time_t)o->interval,
                                  (long)((o->interval - floor(o->interval)) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    free(line);
    if (in != stdin) fclose(in);
    if (o->save_last && envlen > 0) {
        FILE *f = fopen(o->save_last, "wb");
        if (!f || fwrite(env, 1, (size_t)envlen, f) != (size_t)envlen) status = 1;
        if (f) fclose(f);
    }
    free(env);
    if (st_mqtt_pub_flush(pub, 60) != 0) {
        fprintf(stderr, "stratum device send: not every message was acknowledged in 60 s\n");
        status = 1;
    }
    st_mqtt_pub_stats s;
    st_mqtt_pub_stats_get(pub, &s);
    printf("sent %llu, acked %llu, refused %llu (last reason %d), last counter %llu\n",
           (unsigned long long)s.sent, (unsigned long long)s.acked, (unsigned long long)s.refused,
           s.last_reason, (unsigned long long)s.counter);
    if (s.refused) status = 1;
    st_mqtt_pub_free(pub);
    return status;
}

typedef struct monitor_ctx {
    long accepted;
} monitor_ctx;

static void on_obs(void *ctx, const st_obs *obs, size_t n, const st_verify_info *info)
{
    monitor_ctx *m = ctx;
    m->accepted++;
    printf("{\"device\":\"%s\",\"counter\":%llu,\"version\":\"%s\",\"records\":%zu}\n",
           info->device, (unsigned long long)info->counter, info->version, n);
    char buf[512];
    for (size_t i = 0; i < n; i++)
        if (st_obs_to_json(&obs[i], buf, sizeof(buf)) > 0) printf("  %s\n", buf);
    fflush(stdout);
}

static void on_alert(void *ctx, const char *device, const char *reason)
{
    (void)ctx;
    printf("{\"alert\":\"quarantine\",\"device\":\"%s\",\"reason\":\"%s\"}\n", device, reason);
    fflush(stdout);
}

static int cmd_monitor(const dev_opts *o, st_registry *reg, st_log *log)
{
    if (!o->broker) {
        fprintf(stderr, "stratum device monitor: --broker URL is required\n");
        return 2;
    }
    st_mqtt_ingest_params p;
    st_mqtt_ingest_params_default(&p, o->broker);
    if (conn_tls(o, &p.conn, "monitor") < 0) return 2;
    snprintf(p.conn.client_id, sizeof(p.conn.client_id), "%s",
             o->client_id ? o->client_id : "stratum-monitor");
    if (o->street) snprintf(p.street, sizeof(p.street), "%s", o->street);
    if (o->rate > 0) p.verify.rate = o->rate;
    if (o->burst > 0) p.verify.burst = o->burst;
    p.verify.stats_every_s = 10;
    if (o->cred) {
        int rc = st_broker_conf_load_cred(o->cred, p.conn.username, sizeof(p.conn.username),
                                          p.conn.password, sizeof(p.conn.password));
        if (rc) {
            fprintf(stderr, "stratum device monitor: --cred %s: %s\n", o->cred, strerror(-rc));
            return 1;
        }
    }
    st_mqtt_ingest *m = st_mqtt_ingest_new(&p, reg, log);
    if (!m) return 1;
    st_verify_set_alert(st_mqtt_ingest_verifier(m), on_alert, NULL);
    monitor_ctx mc = {0};
    double end = o->seconds > 0 ? wall_now() + o->seconds : 0;
    while (!stop_requested && (!end || wall_now() < end) && (!o->count || mc.accepted < o->count))
        st_mqtt_ingest_poll(m, 100, on_obs, &mc);
    st_mqtt_ingest_stop(m);
    while (st_mqtt_ingest_poll(m, 0, on_obs, &mc) > 0) continue;
    st_mqtt_ingest_stats s;
    st_mqtt_ingest_stats_get(m, &s);
    char line[512];
    st_verify_stats_format(&s.verify, line, sizeof(line));
    printf("ingest: received %llu; %s; queue high %zu\n", (unsigned long long)s.received, line,
           s.queue_high);
    st_mqtt_ingest_free(m);
    return 0;
}

int st_cmd_device(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    const char *verb = argv[1];
    dev_opts o = {.db = "stratum.db", .keys = "."};
    int rc = parse_opts(argc - 1, argv + 1, &o);
    if (rc) return rc > 0 ? 0 : 2;
    const char *arg = optind < argc - 1 ? argv[1 + optind] : NULL;
    st_log *log = st_log_new(stderr, ST_LOG_INFO);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int status;
    if (!strcmp(verb, "send")) {
        status = cmd_send(&o, arg, log);
        st_log_free(log);
        return status;
    }
    static const char *const verbs[] = {"add", "list", "revoke", "rotate", "policy", "monitor"};
    int known = 0;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) known |= !strcmp(verb, verbs[i]);
    if (!known) {
        fprintf(stderr, "stratum device: '%s' is not a device command; see --help\n", verb);
        st_log_free(log);
        return 2;
    }
    if (!arg && (!strcmp(verb, "add") || !strcmp(verb, "revoke") || !strcmp(verb, "rotate"))) {
        fprintf(stderr, "stratum device %s: NAME is required\n", verb);
        st_log_free(log);
        return 2;
    }
    st_store *store;
    st_registry *reg;
    if (open_registry(&o, log, &store, &reg)) {
        st_log_free(log);
        return 1;
    }
    if (!strcmp(verb, "add")) {
        status = cmd_add(&o, arg, reg);
    } else if (!strcmp(verb, "list")) {
        status = cmd_list(reg);
    } else if (!strcmp(verb, "revoke")) {
        rc = st_registry_revoke(reg, arg, wall_now());
        if (rc)
            fprintf(stderr, "stratum device revoke: %s: %s\n", arg, strerror(-rc));
        else
            printf("revoked %s\n", arg);
        status = rc ? 1 : 0;
    } else if (!strcmp(verb, "rotate")) {
        status = cmd_rotate(&o, arg, reg);
    } else if (!strcmp(verb, "policy")) {
        status = cmd_policy(&o, arg, reg);
    } else {
        status = cmd_monitor(&o, reg, log);
    }
    st_registry_free(reg);
    st_store_free(store);
    st_log_free(log);
    return status;
}
