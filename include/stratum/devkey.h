/* Device identity: Ed25519 key pair and broker password, kept in a mode-0600 key file. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_DEVKEY_H
#define STRATUM_DEVKEY_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/obs.h"

/* Plain data holding secrets: wipe with st_devkey_wipe when done.
 * Key file (text, docs/wire.md):
 *   # comment lines
 *   device = NAME
 *   zone = ZONE
 *   seed = 64 hex digits (RFC 8032 private key; the public key derives from it)
 *   mqtt_password = 32 hex digits (the broker login; only its hash is stored) */
typedef struct st_devkey {
    char id[ST_ID_MAX];
    char zone[ST_ID_MAX];
    uint8_t seed[32];
    uint8_t pk[32];
    uint8_t sk[64]; /* libsodium form: seed followed by pk */
    char mqtt_password[33];
} st_devkey;

/* Fill k for id and zone (copied; [A-Za-z0-9_-]{1,31}) with a fresh random key
 * pair and password. 0 or -EINVAL. */
int st_devkey_generate(st_devkey *k, const char *id, const char *zone);

/* Derive the key pair from a 32-byte seed (test vectors, reproducible benches). */
int st_devkey_from_seed(st_devkey *k, const char *id, const char *zone, const uint8_t seed[32]);

/* Write k to path atomically (temporary file + rename) with mode 0600.
 * 0 or -errno. */
int st_devkey_save(const st_devkey *k, const char *path);

/* Read path into k. Refuses files that group or others may read (-EPERM),
 * like ssh does. 0 or negative errno, with one line in err (may be NULL). */
int st_devkey_load(st_devkey *k, const char *path, char *err, size_t errcap);

/* Overwrite every secret byte (sodium_memzero). */
void st_devkey_wipe(st_devkey *k);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void st_devkey_hex(const uint8_t *b, size_t n, char *out);

#endif
