/* Evidence bundle: a signed file of aggregate counts per arm and stratum
 * (no observations, no device ids, nothing personal) that cities exchange to
 * pool their evidence. Format: docs/evidence.md. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_BUNDLE_H
#define STRATUM_BUNDLE_H

#include <stddef.h>
#include "stratum/instkey.h"
#include "stratum/store.h"

#define ST_BUNDLE_FORMAT    "stratum-evidence-bundle"
#define ST_BUNDLE_SCHEMA    "stratum-evidence-bundle/1"
#define ST_BUNDLE_MAX_CELLS 512       /* 9 strata x (8 arms + control), with room */
#define ST_BUNDLE_MAX_COUNT 10000000L /* episodes in one cell, far beyond any city */

/* A bundle's content. Plain data (~70 KB: allocate it). */
typedef struct st_bundle {
    char city[64];   /* [A-Za-z0-9 _.,'-], 1-63 bytes */
    double created;  /* epoch seconds */
    double window_s; /* outcome window of every episode counted */
    size_t ncells;
    st_evidence_cell cells[ST_BUNDLE_MAX_CELLS];
    /* Set by st_bundle_parse: */
    unsigned char pk[32]; /* key that signed it */
    char pk_hex[65];
    char sha256_hex[65]; /* SHA-256 of the signed body: the bundle's identity */
} st_bundle;

/* Sign b with key k and write the bundle text into *out (caller frees with
 * free()). 0 or negative errno (-EINVAL if a cell is impossible: the checks
 * of st_bundle_parse apply to what we write too). */
int st_bundle_write(const st_bundle *b, const st_instkey *k, char **out);

/* Parse and check bundle text (borrowed): format, signature (Ed25519 over a
 * domain tag and the body), schema (keys, types, names, strata), and counts
 * (no impossible cell: incidents, calm or settled above episodes, settled
 * above episodes - incidents, time sums outside what the window allows,
 * duplicates). Fills *b only on success; otherwise returns -EINVAL (-EBADMSG
 * for a bad signature) with one line in err saying what and where. */
int st_bundle_parse(const char *text, size_t len, st_bundle *b, char *err, size_t errcap);

#endif
