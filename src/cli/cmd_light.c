/* stratum light: set a scene by hand, or walk every patched lamp through a test pattern. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/config.h"
#include "stratum/failsafe.h"
#include "stratum/light.h"

#define MAX_SETS 64

typedef struct light_opts {
    const char *config, *state_dir, *protocol, *dest, *zone, *lamp;
    char *sets[MAX_SETS]; /* --set KEY=VALUE, in order */
    size_t nsets;
    long port;
    double hold_s, fade_s;
    int takeover, static_only, fade_set;
} light_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: stratum light scene NAME [--zone Z] [--hold S] [--fade S] [OUTPUT]\n"
                 "       stratum light patch-check [--zone Z] [--lamp ID] [--static] [OUTPUT]\n\n"
                 "scene: drive the street's lamps (through the fail-safe watchdog) to scene\n"
                 "  NAME in zone Z (default: every zone), hold it for S seconds (default 0:\n"
                 "  until SIGINT/SIGTERM), then fade back to the safe scene and end the\n"
                 "  streams. NAME 'safe' is the configured safe scene. Refuses while another\n"
                 "  process (the engine) drives the lights.\n"
                 "patch-check: print and check the patch (channel ranges, overlaps,\n"
                 "  duplicates), then raise each lamp in turn above the safe scene and back,\n"
                 "  within the safety envelope, so a person in the street can confirm it.\n"
                 "  --static only checks.\n\n"
                 "OUTPUT options (defaults from the configuration, as 'stratum run' reads it:\n"
                 "patch, scenes, envelope, [light] and [failsafe]; docs/config.md):\n"
                 "  --config FILE      load settings from FILE (default: the embedded street)\n"
                 "  --set KEY=VALUE    override one setting, e.g. --set light.dest=10.0.0.9\n"
                 "  --protocol P       sacn | artnet | both (default light.protocol)\n"
                 "  --dest IP          destination (default light.dest, 127.0.0.1); 'multicast'\n"
                 "                     sends sACN to 239.255.hi.lo\n"
                 "  --port N           UDP port (default light.port: 5568 sACN, 6454 Art-Net)\n"
                 "  --state-dir DIR    CID and lock files (default $STRATUM_STATE_DIR, else\n"
                 "                     light.state_dir, else the folder of store.path: the same\n"
                 "                     lock as 'stratum run' in this folder)\n"
                 "  --takeover         replace an orphaned watchdog left by a killed engine\n"
                 "  --fade S           override every scene's fade time\n");
}

static int parse_opts(int argc, char **argv, int first, light_opts *o)
{
    const char *cmd = "light";
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--takeover")) {
            o->takeover = 1, takes = 0;
        } else if (!strcmp(a, "--static")) {
            o->static_only = 1, takes = 0;
        } else if (!v &&
                   (!strcmp(a, "--zone") || !strcmp(a, "--lamp") || !strcmp(a, "--hold") ||
                    !strcmp(a, "--fade") || !strcmp(a, "--config") || !strcmp(a, "--protocol") ||
                    !strcmp(a, "--dest") || !strcmp(a, "--port") || !strcmp(a, "--state-dir") ||
                    !strcmp(a, "--set"))) {
            fprintf(stderr, "stratum light: %s needs a value\n", a);
            return -1;
        } else if (!strcmp(a, "--set")) {
            if (o->nsets == MAX_SETS) {
                fprintf(stderr, "stratum light: more than %d --set options\n", MAX_SETS);
                return -1;
            }
            o->sets[o->nsets++] = argv[i + 1];
        } else if (!strcmp(a, "--zone")) {
            o->zone = v;
        } else if (!strcmp(a, "--lamp")) {
            o->lamp = v;
        } else if (!strcmp(a, "--config")) {
            o->config = v;
        } else if (!strcmp(a, "--protocol")) {
            if (strcmp(v, "sacn") && strcmp(v, "artnet") && strcmp(v, "both")) {
                fprintf(stderr, "stratum light: --protocol: '%s' is not sacn, artnet or both\n", v);
                return -1;
            }
            o->protocol = v;
        } else if (!strcmp(a, "--dest")) {
            o->dest = v;
        } else if (!strcmp(a, "--state-dir")) {
            o->state_dir = v;
        } else if (!strcmp(a, "--port")) {
            if (st_cli_parse_long(cmd, a, v, 1, 65535, &o->port)) return -1;
        } else if (!strcmp(a, "--hold")) {
            if (st_cli_parse_double(cmd, a, v, 0, 1e7, &o->hold_s)) return -1;
        } else if (!strcmp(a, "--fade")) {
            if (st_cli_parse_double(cmd, a, v, 0, 3600, &o->fade_s)) return -1;
            o->fade_set = 1;
        } else {
            fprintf(stderr, "stratum light: unknown option '%s'; see 'stratum light --help'\n", a);
            return -1;
        }
        i += takes;
    }
    return 0;
}

/* Fill lp and fp from the configuration (--config, --set) and the options,
 * and create the state folder. 0, or the exit status (2) after a message. */
static int build_params(const light_opts *o, st_light_params *lp, st_failsafe_params *fp)
{
    st_settings *s = calloc(1, sizeof(*s));
    char err[300];
    if (!s) return 2;
    int rc = st_cli_settings("light", s, o->config, o->sets, o->nsets);
    if (rc == 0 && st_config_light(s, lp, fp, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum light: %s\n", err);
        rc = 2;
    }
    int off = s->light_protocol == ST_LIGHT_PROTO_OFF;
    free(s);
    if (rc) return rc;
    if (off && !o->protocol) {
        fprintf(stderr, "stratum light: light.protocol is off; give --protocol to drive the "
                        "lamps anyway\n");
        return 2;
    }
    if (o->protocol) {
        lp->use_sacn = strcmp(o->protocol, "artnet") != 0;
        lp->use_artnet = strcmp(o->protocol, "sacn") != 0;
    }
    if (o->dest) {
        int mc = !strcmp(o->dest, "multicast");
        snprintf(lp->sacn.dest, sizeof(lp->sacn.dest), "%s", mc ? "" : o->dest);
        if (!mc) snprintf(lp->artnet.dest, sizeof(lp->artnet.dest), "%s", o->dest);
    }
    if (o->port) {
        if (lp->use_sacn) lp->sacn.port = (int)o->port;
        if (lp->use_artnet) lp->artnet.port = (int)o->port;
    }
    if (o->fade_set)
        for (size_t i = 0; i < lp->nscenes; i++) lp->scenes[i].fade_s = o->fade_s;
    /* An operator takes over an orphaned watchdog only when asked to. */
    fp->takeover = o->takeover;
    const char *dir = o->state_dir ? o->state_dir : getenv("STRATUM_STATE_DIR");
    if (dir && dir[0]) {
        if (strlen(dir) > 200) {
            fprintf(stderr, "stratum light: state dir path too long\n");
            return 2;
        }
        snprintf(lp->sacn.cid_path, sizeof(lp->sacn.cid_path), "%s/sacn.cid", dir);
        snprintf(fp->lock_path, sizeof(fp->lock_path), "%s/light.lock", dir);
    }
    char state[ST_PATH_MAX];
    snprintf(state, sizeof(state), "%.*s", (int)(strlen(fp->lock_path) - strlen("/light.lock")),
             fp->lock_path);
    if (mkdir(state, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "stratum light: state dir %s: %s\n", state, strerror(errno));
        return 2;
    }
    if (st_light_params_check(lp, err, sizeof(err))) {
        fprintf(stderr, "stratum light: %s\n", err);
        return 2;
    }
    return 0;
}

/* Wait up to secs for SIGINT/SIGTERM (blocked by the caller); 1 if one came. */
static int wait_signal(const sigset_t *set, double secs)
{
    struct timespec ts = {.tv_sec = (time_t)secs,
                          .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
    return sigtimedwait(set, NULL, &ts) > 0;
}

static int cmd_scene(int argc, char **argv)
{
    if (argc < 3 || argv[2][0] == '-') {
        fprintf(stderr, "stratum light scene: NAME is missing; see 'stratum light --help'\n");
        return 2;
    }
    const char *name = argv[2];
    light_opts o = {0};
    if (parse_opts(argc, argv, 3, &o)) return 2;
    static st_light_params lp;
    st_failsafe_params fp;
    int brc = build_params(&o, &lp, &fp);
    if (brc) return brc;
    int known = !strcmp(name, ST_LIGHT_SAFE);
    for (size_t i = 0; i < lp.nscenes; i++) known |= !strcmp(lp.scenes[i].name, name);
    if (!known) {
        fprintf(stderr, "stratum light scene: '%s' is not a scene (scenes:", name);
        for (size_t i = 0; i < lp.nscenes; i++) fprintf(stderr, " %s", lp.scenes[i].name);
        fprintf(stderr, ", safe)\n");
        return 2;
    }
    int zone_ok = !o.zone || !strcmp(o.zone, "*");
    for (size_t i = 0; i < lp.nlamps && !zone_ok; i++) zone_ok = !strcmp(lp.lamps[i].zone, o.zone);
    if (!zone_ok) {
        fprintf(stderr, "stratum light scene: zone '%s' has no lamps\n", o.zone);
        return 2;
    }
    st_log *log = st_log_new(stderr, ST_LOG_INFO);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    st_failsafe *f = st_failsafe_new(&lp, &fp, log);
    if (!f) {
        int busy = errno == EBUSY;
        st_log_free(log);
        return busy ? 1 : 2;
    }
    int rc = st_failsafe_scene(f, name, o.zone);
    printf("scene %s in %s (watchdog pid %ld); %s\n", name, o.zone ? o.zone : "every zone",
           (long)st_failsafe_pid(f), o.hold_s > 0 ? "holding" : "holding until SIGINT/SIGTERM");
    fflush(stdout);
    double end = st_light_now() + o.hold_s;
    while (rc == 0 && (o.hold_s <= 0 || st_light_now() < end)) {
        st_failsafe_tick(f);
        if (wait_signal(&set, 0.1)) break;
    }
    st_failsafe_stop(f, 1); /* fade to the safe scene, terminate the streams */
    st_log_free(log);
    return rc ? 1 : 0;
}

static int cmd_patch_check(int argc, char **argv)
{
    light_opts o = {0};
    if (parse_opts(argc, argv, 2, &o)) return 2;
    static st_light_params lp;
    st_failsafe_params fp;
    int brc = build_params(&o, &lp, &fp);
    if (brc) return brc;
    printf("%-10s %-6s %8s %9s  %s\n", "lamp", "zone", "universe", "channels", "layout");
    int matched = 0;
    for (size_t i = 0; i < lp.nlamps; i++) {
        const st_lamp *a = &lp.lamps[i];
        printf("%-10s %-6s %8d %4d-%-4d  %s\n", a->id, a->zone, a->universe, a->channel,
               a->channel + (int)a->layout - 1, st_light_layout_name(a->layout));
        matched += (!o.zone || !strcmp(o.zone, a->zone)) && (!o.lamp || !strcmp(o.lamp, a->id));
    }
    printf("patch: %zu lamps, no overlaps, channels within 1..512, safe scene %s\n", lp.nlamps,
           lp.safe_scene);
    if (!matched) {
        fprintf(stderr, "stratum light patch-check: no lamp matches --zone/--lamp\n");
        return 2;
    }
    if (o.static_only) return 0;

    /* The walk drives the output in this process: hold the same lock the watchdog takes. */
    const char *lock = fp.lock_path;
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "stratum light patch-check: lights are driven by another process (%s)\n",
                lock);
        if (lfd >= 0) close(lfd);
        return 1;
    }
    st_log *log = st_log_new(stderr, ST_LOG_WARN);
    st_light *l = st_light_new(&lp, log);
    if (!l) {
        close(lfd);
        st_log_free(log);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    const st_scene_def *safe = NULL;
    for (size_t i = 0; i < lp.nscenes; i++)
        if (!strcmp(lp.scenes[i].name, lp.safe_scene)) safe = &lp.scenes[i];
    /* Pattern: up by 0.3 of full output (or to the cap), hold, back; the
     * envelope's rate sets the pace. */
    double up = safe->level + 0.3 > lp.env.max_level ? lp.env.max_level : safe->level + 0.3;
    if (up - safe->level < 0.1)
        up = safe->level - 0.3 < lp.env.min_level ? lp.env.min_level : safe->level - 0.3;
    int stop = 0;
    for (size_t i = 0; i < lp.nlamps && !stop; i++) {
        const st_lamp *a = &lp.lamps[i];
        if ((o.zone && strcmp(o.zone, a->zone)) || (o.lamp && strcmp(o.lamp, a->id))) continue;
        printf("%-10s universe %d channel %d: %.2f -> %.2f -> %.2f\n", a->id, a->universe,
               a->channel, safe->level, up, safe->level);
        fflush(stdout);
        double now = st_light_now();
        st_light_lamp(l, i, up, safe->kelvin, 0, now);
        for (int phase = 0; phase < 2 && !stop; phase++) {
            double end = st_light_now() + 0.5;
            while (!stop && (!st_light_settled(l) || st_light_now() < end)) {
                st_light_tick(l, st_light_now());
                stop = wait_signal(&set, 1.0 / lp.frame_hz);
            }
            if (phase == 0) st_light_lamp(l, i, safe->level, safe->kelvin, 0, st_light_now());
        }
    }
    st_light_scene(l, ST_LIGHT_SAFE, NULL, st_light_now());
    while (!st_light_settled(l)) {
        st_light_tick(l, st_light_now());
        wait_signal(&set, 1.0 / lp.frame_hz);
    }
    st_light_terminate(l);
    uint64_t pk, er;
    st_light_counts(l, &pk, &er);
    printf("patch-check: %s, %llu packets, %llu send errors\n", stop ? "interrupted" : "done",
           (unsigned long long)pk, (unsigned long long)er);
    st_light_free(l);
    st_log_free(log);
    close(lfd);
    return er || stop ? 1 : 0;
}

int st_cmd_light(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "scene")) return cmd_scene(argc, argv);
    if (!strcmp(argv[1], "patch-check")) return cmd_patch_check(argc, argv);
    fprintf(stderr, "stratum light: '%s' is not a light command (scene, patch-check)\n", argv[1]);
    return 2;
}
