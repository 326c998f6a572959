/* Helpers shared by the subcommands: strict number options and settings loading. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "stratum/config.h"

int st_cli_parse_double(const char *cmd, const char *opt, const char *s, double min, double max,
                        double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v != v) {
        fprintf(stderr, "stratum %s: %s: '%s' is not a number\n", cmd, opt, s);
        return -1;
    }
    if (v < min || v > max) {
        fprintf(stderr, "stratum %s: %s: %s is outside %g..%g\n", cmd, opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int st_cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max,
                      long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "stratum %s: %s: '%s' is not a whole number\n", cmd, opt, s);
        return -1;
    }
    if (v < min || v > max) {
        fprintf(stderr, "stratum %s: %s: %s is outside %ld..%ld\n", cmd, opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int st_cli_set_kv(const char *cmd, struct st_settings *s, const char *kv)
{
    char key[512], err[512];
    const char *eq = strchr(kv, '=');
    if (!eq || (size_t)(eq - kv) >= sizeof(key)) {
        fprintf(stderr, "stratum %s: --set %s: expected KEY=VALUE\n", cmd, kv);
        return 2;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = 0;
    if (st_config_set(s, key, eq + 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum %s: --set %s: %s\n", cmd, kv, err);
        return 2;
    }
    return 0;
}

int st_cli_settings(const char *cmd, struct st_settings *s, const char *config, char *const *sets,
                    size_t nsets)
{
    char err[512];
    st_settings_default(s);
    if (config && st_config_load(s, config, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum %s: %s\n", cmd, err);
        return 2;
    }
    for (size_t i = 0; i < nsets; i++)
        if (st_cli_set_kv(cmd, s, sets[i])) return 2;
    if (st_config_validate(s, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum %s: %s%s\n", cmd, config ? "" : "configuration: ", err);
        return 2;
    }
    return 0;
}

int st_cli_first_pass(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, void (*usage)(FILE *), const char **config)
{
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (ch == 'c') *config = optarg;
        if (ch == 'h') {
            usage(stdout);
            return 1;
        }
        if (ch == '?') {
            fprintf(stderr,
                    "stratum %s: unknown or incomplete option '%s'; see 'stratum %s --help'\n", cmd,
                    argv[optind - 1], cmd);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "stratum %s: unexpected argument '%s'; see 'stratum %s --help'\n", cmd,
                argv[optind], cmd);
        return 2;
    }
    optind = 1; /* ready for the caller's second pass */
    return 0;
}

void st_cli_pace(double sim_elapsed, double wall_elapsed, double speed)
{
    if (speed <= 0) return;
    double ahead = sim_elapsed / speed - wall_elapsed;
    if (ahead > 0.002) {
        struct timespec ts = {(time_t)ahead, (long)((ahead - floor(ahead)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

int st_cli_verb_stage(int argc, char **argv, void (*usage)(FILE *))
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    return -1;
}
