/* stratum: one program, many subcommands; this file only dispatches. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef STRATUM_VERSION
#define STRATUM_VERSION "0.1.0"
#endif

/* The command table; add a line per subcommand. */
static const st_cli_cmd commands[] = {
    {"run", "run the engine (default: the embedded simulated street)", st_cmd_run},
    {"obs", "check SenML observation packs (obs check FILE|-)", st_cmd_obs},
    {"sim", "the simulated street as a sensor source (stdout, or signed over MQTT)", st_cmd_sim},
    {"light", "drive the lights by hand (scene NAME, patch-check)", st_cmd_light},
    {"music", "the street's MPD (music status, music play PROGRAMME)", st_cmd_music},
    {"device", "device keys and trust (add, list, revoke, rotate, policy...)", st_cmd_device},
    {"broker-config", "write a hardened mosquitto.conf, passwd and ACL", st_cmd_broker_config},
    {"listen", "edge audio analyser: levels, bands, events as SenML", st_cmd_listen},
    {"map", "controversy mapping of posts: networks, communities, timelines, signals", st_cmd_map},
    {"narrate", "narrative analysis of documents: code, kwic, keyness, triplets", st_cmd_narrate},
    {"evidence", "effect of interventions: report, export, import", st_cmd_evidence},
    {"audit", "tamper-evident audit chain: verify, show", st_cmd_audit},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: stratum [--version] [--help] COMMAND [ARGS]\n\n"
                 "Sense and calm night-time streets: sensors report over MQTT, the engine\n"
                 "judges each zone, lights, music and stewards respond, and every decision\n"
                 "is explained and its effect measured.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`stratum COMMAND --help` describes each command; see also stratum(1).\n");
}

int main(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    if (!strcmp(argv[1], "--version")) {
        printf("stratum %s\n", STRATUM_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "stratum: '%s' is not a command; see 'stratum --help'\n", argv[1]);
    return 2;
}
