/* Tamper-evident audit log: a SHA-256 hash chain of records in the store, with
 * chain heads signed by the installation's Ed25519 key. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIT_H
#define STRATUM_AUDIT_H

#include <stdint.h>
#include "stratum/log.h"

struct sqlite3;

#define ST_AUDIT_PK_BYTES 32 /* crypto_sign_PUBLICKEYBYTES */
#define ST_AUDIT_SK_BYTES 64 /* crypto_sign_SECRETKEYBYTES */

/* The SQL that creates the audit tables (audit, audit_heads); the store's
 * migrations run it. Static string. */
const char *st_audit_schema_sql(void);

typedef struct st_audit st_audit; /* opaque; append and sign_head are thread-safe */

/* Append records to the chain kept in db (borrowed; tables must exist). Give it
 * a connection of its own, not the store's: the store batches writes in open
 * transactions that an audit record must not wait for or join.
 * sk (copied) signs heads; NULL disables signing. Every sign_every appends a
 * head is signed (0 = only on st_audit_sign_head and st_audit_free).
 * Returns NULL with errno on failure. */
st_audit *st_audit_new(struct sqlite3 *db, const unsigned char *sk, int sign_every, st_log *log);
/* Signs the current head (if a key was given and records were added) and frees. */
void st_audit_free(st_audit *a);

/* Append one record: kind ("actuation", "config", "device", "evidence-import",
 * "write"...), actor (who: "engine", "operator:token-1"...), subject (zone,
 * device, file...) and detail (a JSON text); strings are borrowed. The record is
 * committed when this returns its sequence number (> 0); negative errno on
 * failure. */
int64_t st_audit_append(st_audit *a, double t, const char *kind, const char *actor,
                        const char *subject, const char *detail);

/* Sign the current head now (at shutdown, periodically). 0 or negative errno. */
int st_audit_sign_head(st_audit *a);

/* Result of verifying a chain. */
typedef struct st_audit_report {
    int ok;              /* 1 if the chain and every signed head check out */
    int64_t records;     /* records read */
    int64_t heads;       /* signed heads checked */
    int64_t last_signed; /* sequence number covered by the newest valid head */
    int64_t bad_seq;     /* first record (or head id for head problems) at fault */
    char problem[256];   /* what is wrong, in one sentence */
} st_audit_report;

/* Walk the chain in db: sequence numbers must run 1, 2, 3... without gaps; each
 * record's hash must equal SHA-256(previous hash || canonical encoding); every
 * head must carry a valid signature by pk (32 bytes) over (seq, hash) and match
 * the record it names; a head naming a record beyond the end means the tail was
 * truncated. Detects modification, deletion, reordering, truncation before the
 * newest signed head, and forged heads. Returns 0 (see out->ok) or negative errno
 * when the database cannot be read. */
int st_audit_verify(struct sqlite3 *db, const unsigned char *pk, st_audit_report *out);

#endif
