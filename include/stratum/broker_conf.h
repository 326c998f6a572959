/* Mosquitto hardening: configuration, password file and ACL written from the device registry. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_BROKER_CONF_H
#define STRATUM_BROKER_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/registry.h"

/* Topic layout (docs/wire.md): stratum/<street>/<zone>/<device>/obs.
 * Writes into buf; returns the length or -ENOSPC / -EINVAL (bad id). */
int st_broker_topic(const char *street, const char *zone, const char *device, char *buf,
                    size_t cap);

typedef struct st_broker_conf_params {
    const char *dir;         /* output folder (created if missing); absolute paths are written */
    const char *street;      /* topic level 2 */
    const char *bind;        /* listener address, default "127.0.0.1" */
    int port;                /* 1..65535, default 1883 (8883 with TLS) */
    const char *engine_user; /* default "stratum-engine" */
    int persistence;         /* 1: persistent sessions and queued QoS 1 messages survive restarts */
    int autosave_s;          /* persistence autosave interval, default 1 s */
    const char *tls_ca;      /* all three set: the listener is TLS (mqtts) and requires */
    const char *tls_cert;    /*   a client certificate signed by tls_ca */
    const char *tls_key;
    const char *run_as; /* mosquitto's "user": the account it drops to when started as
                         * root (default "mosquitto"); when this process is root the
                         * folder and files are given to that account, which must read
                         * passwd and write the persistence file */
} st_broker_conf_params;

/* Write, in p->dir: mosquitto.conf, passwd (mode 0600; every active device's
 * hash from the registry plus the engine's), acl (each device may publish
 * only to its own topic; only the engine may subscribe, read-only; anonymous
 * clients refused) and engine.cred (mode 0600: the engine's user name and a
 * fresh random password; kept if it exists). Revoked devices are left out of
 * passwd and acl. 0 or negative errno, with one line in err. */
int st_broker_conf_write(const st_broker_conf_params *p, const st_registry *reg, char *err,
                         size_t errcap);

/* Mosquitto 2.0 password hash "$7$101$<salt b64>$<hash b64>": PBKDF2 (RFC
 * 8018) with HMAC-SHA-512, 101 iterations, 12-byte random salt, 64-byte key,
 * exactly as mosquitto_passwd writes it. 0, -EINVAL, -ENOSPC. */
int st_broker_conf_hash(const char *password, char *out, size_t cap);

/* PBKDF2-HMAC-SHA-512 (RFC 8018 section 5.2). 0 or -EINVAL. */
int st_broker_conf_pbkdf2_sha512(const uint8_t *pw, size_t pwlen, const uint8_t *salt,
                                 size_t saltlen, unsigned iterations, uint8_t *out, size_t outlen);

/* Read an engine.cred file ("username = U", "password = P"). 0 or negative errno. */
int st_broker_conf_load_cred(const char *path, char *user, size_t ucap, char *pass, size_t pcap);

#endif
