/* Subcommands of the stratum program; each lives in src/cli/cmd_<name>.c. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_CLI_H
#define STRATUM_CLI_H

#include <stdio.h>

#include <stddef.h>

/* Each subcommand gets argv with argv[0] = its own name, prints its own
 * --help, and returns the process exit status (0 ok, 1 failure, 2 usage or
 * configuration error). */
typedef struct st_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} st_cli_cmd;

int st_cmd_run(int argc, char **argv);
int st_cmd_obs(int argc, char **argv);
int st_cmd_sim(int argc, char **argv);
int st_cmd_light(int argc, char **argv);
int st_cmd_music(int argc, char **argv);
int st_cmd_device(int argc, char **argv);
int st_cmd_broker_config(int argc, char **argv);
int st_cmd_listen(int argc, char **argv);
int st_cmd_map(int argc, char **argv);
int st_cmd_narrate(int argc, char **argv);
int st_cmd_evidence(int argc, char **argv);
int st_cmd_audit(int argc, char **argv);

/* Shared option helpers: strict number parsing for command-line values.
 * Return 0, or -1 after printing "stratum CMD: OPTION: why" to stderr. */
int st_cli_parse_double(const char *cmd, const char *opt, const char *s, double min, double max,
                        double *out);
int st_cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max,
                      long *out);

/* The verb stage of a command with sub-commands ("stratum light scene ..."):
 * no verb prints usage(stderr) and gives 2; "--help", "-h" or "help" as the
 * verb prints usage(stdout) and gives 0. -1: argv[1] is a verb to dispatch. */
int st_cli_verb_stage(int argc, char **argv, void (*usage)(FILE *));

struct option;

/* First pass over a command's arguments: remember --config FILE (-c) so the
 * file loads before any --set wherever they stand, answer --help (-h) with
 * usage(stdout), and refuse unknown options and stray arguments with one line.
 * 0 to go on, 1 when help was printed, 2 on a usage error. */
int st_cli_first_pass(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, void (*usage)(FILE *), const char **config);

/* Keep a simulated clock at `speed` simulated seconds per wall second: sleep
 * while the simulation (sim_elapsed seconds in) is ahead of the wall clock
 * (wall_elapsed seconds since the start). speed <= 0 never sleeps. */
void st_cli_pace(double sim_elapsed, double wall_elapsed, double speed);

struct st_settings;
/* Apply one --set KEY=VALUE (kv borrowed) through the configuration table.
 * 0, or 2 after one line "stratum CMD: --set KV: what is wrong" on stderr. */
int st_cli_set_kv(const char *cmd, struct st_settings *s, const char *kv);

/* Settings as `stratum run` reads them: defaults, --config FILE (NULL: none),
 * each --set KEY=VALUE in order, then validation. 0, or 2 after one line
 * "stratum CMD: what is wrong" on stderr. */
int st_cli_settings(const char *cmd, struct st_settings *s, const char *config, char *const *sets,
                    size_t nsets);

#endif
