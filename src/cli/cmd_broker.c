/* stratum broker-config: write a hardened Mosquitto configuration from the device registry. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stratum/broker_conf.h"
#include "stratum/registry.h"
#include "stratum/store.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: stratum broker-config --dir DIR [OPTIONS]\n\n"
        "Write DIR/mosquitto.conf, DIR/passwd, DIR/acl and DIR/engine.cred for the\n"
        "devices in the registry: no anonymous access, each device may publish only to\n"
        "stratum/<street>/<zone>/<device>/obs, only the engine may subscribe. Revoked\n"
        "devices are left out. Run mosquitto -c DIR/mosquitto.conf. Re-run after device\n"
        "add, revoke or rotate (and send mosquitto SIGHUP).\n\n"
        "options:\n"
        "      --dir DIR          output folder (created, mode 0700)\n"
        "      --db PATH          evidence store holding the registry (default stratum.db)\n"
        "      --street S         topic street (default stratumseind)\n"
        "      --port N           listener port (default 1883, 8883 with TLS)\n"
        "      --bind ADDR        listener address (default 127.0.0.1)\n"
        "      --engine-user U    engine login (default stratum-engine)\n"
        "      --no-persistence   do not keep sessions and messages across restarts\n"
        "      --run-as USER      account mosquitto drops to when started as root\n"
        "                         (default mosquitto; the files are given to it)\n"
        "      --tls-ca F --tls-cert F --tls-key F   TLS listener requiring client certificates\n"
        "  -h, --help             this help\n\n"
        "Exit status: 0 written, 1 failure, 2 bad usage.\n");
}

int st_cmd_broker_config(int argc, char **argv)
{
    enum {
        O_DIR = 256,
        O_DB,
        O_STREET,
        O_PORT,
        O_BIND,
        O_USER,
        O_NOPERS,
        O_CA,
        O_CERT,
        O_KEY,
        O_RUNAS
    };
    static const struct option longopts[] = {
        {"dir", required_argument, 0, O_DIR},
        {"db", required_argument, 0, O_DB},
        {"street", required_argument, 0, O_STREET},
        {"port", required_argument, 0, O_PORT},
        {"bind", required_argument, 0, O_BIND},
        {"engine-user", required_argument, 0, O_USER},
        {"no-persistence", no_argument, 0, O_NOPERS},
        {"tls-ca", required_argument, 0, O_CA},
        {"tls-cert", required_argument, 0, O_CERT},
        {"tls-key", required_argument, 0, O_KEY},
        {"run-as", required_argument, 0, O_RUNAS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    st_broker_conf_params p = {.street = "stratumseind", .persistence = 1};
    const char *db = "stratum.db";
    long port = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DIR:
            p.dir = optarg;
            break;
        case O_DB:
            db = optarg;
            break;
        case O_STREET:
            p.street = optarg;
            break;
        case O_PORT:
            if (st_cli_parse_long("broker-config", "--port", optarg, 1, 65535, &port)) return 2;
            p.port = (int)port;
            break;
        case O_BIND:
            p.bind = optarg;
            break;
        case O_USER:
            p.engine_user = optarg;
            break;
        case O_NOPERS:
            p.persistence = 0;
            break;
        case O_CA:
            p.tls_ca = optarg;
            break;
        case O_CERT:
            p.tls_cert = optarg;
            break;
        case O_KEY:
            p.tls_key = optarg;
            break;
        case O_RUNAS:
            p.run_as = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!p.dir) {
        fprintf(stderr, "stratum broker-config: --dir DIR is required\n");
        return 2;
    }
    if ((p.tls_ca || p.tls_cert || p.tls_key) && !(p.tls_ca && p.tls_cert && p.tls_key)) {
        fprintf(stderr, "stratum broker-config: TLS needs --tls-ca, --tls-cert and --tls-key\n");
        return 2;
    }
    st_log *log = st_log_new(stderr, ST_LOG_INFO);
    st_store *store = st_store_open(db, 0, log);
    st_registry *reg = store ? st_registry_new(st_store_db(store), 65536, log) : NULL;
    int status = 1;
    if (store && !reg)
        fprintf(stderr, "stratum broker-config: %s: cannot open the device registry: %s\n", db,
                strerror(errno));
    if (reg) {
        char err[400];
        if (st_broker_conf_write(&p, reg, err, sizeof(err)) != 0) {
            fprintf(stderr, "stratum %s\n", err);
        } else {
            size_t active = 0;
            for (size_t i = 0; i < st_registry_count(reg); i++)
                active += st_registry_device(reg, i)->revoked == 0;
            printf("wrote %s/mosquitto.conf, passwd, acl, engine.cred: %zu devices, street %s\n",
                   p.dir, active, p.street);
            status = 0;
        }
    }
    st_registry_free(reg);
    st_store_free(store);
    st_log_free(log);
    return status;
}
