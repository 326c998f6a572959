/* Subcommands of the stratum program; each lives in src/cli/cmd_<name>.c. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_CLI_H
#define STRATUM_CLI_H

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

/* Shared option helpers: strict number parsing for command-line values.
 * Return 0, or -1 after printing "stratum CMD: OPTION: why" to stderr. */
int st_cli_parse_double(const char *cmd, const char *opt, const char *s, double min, double max,
                        double *out);
int st_cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max,
                      long *out);

#endif
