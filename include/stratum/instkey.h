/* Installation key: the Ed25519 key pair that signs audit chain heads and
 * evidence bundles, kept in a mode-0600 key file created at first use. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_INSTKEY_H
#define STRATUM_INSTKEY_H

#include <stddef.h>

/* Plain data holding a secret: wipe with st_instkey_wipe when done. */
typedef struct st_instkey {
    unsigned char pk[32]; /* RFC 8032 public key */
    unsigned char sk[64]; /* libsodium secret key: seed followed by pk */
} st_instkey;

/* Load the key file at path (the device key format of docs/wire.md, device
 * "installation", through st_devkey_load: group- or world-readable files are
 * refused). If it does not exist and create != 0, generate a fresh key pair
 * and write it with mode 0600 first (*created = 1). 0 or negative errno with
 * one line in err ("PATH: why"). */
int st_instkey_open(const char *path, int create, st_instkey *k, int *created, char *err,
                    size_t errcap);

/* Lower-case hex of the public key into out (65 bytes). */
void st_instkey_pk_hex(const st_instkey *k, char out[65]);

/* Parse 64 hex digits into pk. 0 or -EINVAL. */
int st_instkey_pk_parse(const char *hex, unsigned char pk[32]);

void st_instkey_wipe(st_instkey *k);

#endif
