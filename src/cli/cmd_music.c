/* stratum music: what the street's MPD plays, and switching programmes by hand. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/config.h"
#include "stratum/music.h"

#define MAX_SETS 64

static void usage(FILE *out)
{
    fprintf(out, "usage: stratum music status [--host H] [--port N] [CONFIG]\n"
                 "       stratum music play PROGRAMME [--host H] [--port N] [--volume-cap N]\n"
                 "                                    [--wait S] [CONFIG]\n\n"
                 "status: the state, volume, crossfade, queue and song of the street's MPD.\n"
                 "play: switch to a programme (playlist, volume, crossfade), with the volume\n"
                 "  held under the hard cap; --wait retries an unreachable MPD for S seconds\n"
                 "  with the actuator's back-off. Programmes: the configuration's [programme]\n"
                 "  sections (default calm, ambient, off).\n\n"
                 "  --host H        MPD host (default $MPD_HOST, else music.host, else 127.0.0.1)\n"
                 "  --port N        MPD port (default $MPD_PORT, else music.port, 6600)\n"
                 "  --volume-cap N  hard volume cap 0..100 (default music.volume_cap, 60)\n"
                 "CONFIG: --config FILE and --set KEY=VALUE, as for 'stratum run'.\n");
}

/* Options over the configuration: p comes from --config/--set (music.*), then
 * $MPD_HOST/$MPD_PORT, then --host/--port/--volume-cap. 0, or 2 after a message. */
static int parse(int argc, char **argv, int first, st_music_params *p, double *wait_s)
{
    const char *config = NULL, *host = NULL;
    char *sets[MAX_SETS];
    size_t nsets = 0;
    long v, port = 0, cap = -1;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            fprintf(stderr, "stratum music: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--host")) {
            host = val;
        } else if (!strcmp(a, "--port")) {
            if (st_cli_parse_long("music", a, val, 1, 65535, &port)) return 2;
        } else if (!strcmp(a, "--config")) {
            config = val;
        } else if (!strcmp(a, "--set")) {
            if (nsets == MAX_SETS) {
                fprintf(stderr, "stratum music: more than %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[nsets++] = argv[i + 1];
        } else if (!strcmp(a, "--volume-cap") && wait_s) {
            if (st_cli_parse_long("music", a, val, 0, 100, &cap)) return 2;
        } else if (!strcmp(a, "--wait") && wait_s) {
            if (st_cli_parse_double("music", a, val, 0, 3600, wait_s)) return 2;
        } else {
            fprintf(stderr, "stratum music: unknown option '%s'; see 'stratum music --help'\n", a);
            return 2;
        }
        i++;
    }
    st_settings *s = calloc(1, sizeof(*s));
    if (!s) return 2;
    int rc = st_cli_settings("music", s, config, sets, nsets);
    if (rc == 0) *p = s->music;
    free(s);
    if (rc) return rc;
    /* The embedded street has no MPD (music.host empty); by hand, ask the usual one. */
    if (!p->host[0]) snprintf(p->host, sizeof(p->host), "127.0.0.1");
    const char *env_host = getenv("MPD_HOST"), *env_port = getenv("MPD_PORT");
    if (env_host && env_host[0]) snprintf(p->host, sizeof(p->host), "%s", env_host);
    if (env_port && env_port[0]) {
        if (st_cli_parse_long("music", "MPD_PORT", env_port, 1, 65535, &v)) return 2;
        p->port = (int)v;
    }
    if (host) snprintf(p->host, sizeof(p->host), "%s", host);
    if (port) p->port = (int)port;
    if (cap >= 0) p->volume_cap = (int)cap;
    return 0;
}

static int cmd_status(int argc, char **argv)
{
    st_music_params p;
    int prc = parse(argc, argv, 2, &p, NULL);
    if (prc) return prc;
    st_log *log = st_log_new(stderr, ST_LOG_ERROR);
    st_music *m = st_music_new(&p, log);
    if (!m) {
        st_log_free(log);
        return 2;
    }
    st_music_status s;
    int rc = st_music_status_get(m, &s);
    if (rc) {
        fprintf(stderr, "stratum music status: cannot reach mpd at %s:%d\n", p.host, p.port);
    } else {
        printf("mpd %s:%d: connected\nstate: %s\n", p.host, p.port, s.state);
        if (s.volume >= 0)
            printf("volume: %d (cap %d)\n", s.volume, p.volume_cap);
        else
            printf("volume: n/a (no mixer)\n");
        printf("crossfade: %d s\nqueue: %u songs\nsong: %s\n", s.crossfade_s, s.queue_length,
               s.song[0] ? s.song : "-");
    }
    st_music_free(m);
    st_log_free(log);
    return rc ? 1 : 0;
}

static int cmd_play(int argc, char **argv)
{
    if (argc < 3 || argv[2][0] == '-') {
        fprintf(stderr, "stratum music play: PROGRAMME is missing; see 'stratum music --help'\n");
        return 2;
    }
    st_music_params p;
    double wait_s = 0;
    int prc = parse(argc, argv, 3, &p, &wait_s);
    if (prc) return prc;
    st_log *log = st_log_new(stderr, ST_LOG_INFO);
    st_music *m = st_music_new(&p, log);
    if (!m) {
        st_log_free(log);
        return 2;
    }
    int rc = st_music_play(m, argv[2], "operator", (double)time(NULL));
    struct timespec ts = {0, 100 * 1000 * 1000};
    for (double waited = 0; rc && rc != -ENOENT && rc != -EIO && waited < wait_s; waited += 0.1) {
        nanosleep(&ts, NULL);
        if (st_music_tick(m, 0) == 0 && st_music_last(m)->ok) rc = 0;
    }
    if (!rc) printf("programme %s (was: %s)\n", argv[2], st_music_last(m)->was);
    st_music_free(m);
    st_log_free(log);
    return rc == -ENOENT ? 2 : rc ? 1 : 0;
}

int st_cmd_music(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "status")) return cmd_status(argc, argv);
    if (!strcmp(argv[1], "play")) return cmd_play(argc, argv);
    fprintf(stderr, "stratum music: '%s' is not a music command (status, play)\n", argv[1]);
    return 2;
}
