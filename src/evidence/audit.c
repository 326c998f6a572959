/* Tamper-evident audit log: SHA-256 hash chain with Ed25519-signed heads. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratum/audit.h"

#define HASH_BYTES crypto_hash_sha256_BYTES

struct st_audit {
    pthread_mutex_t mu; /* appends come from the engine loop and HTTP threads */
    int mu_ok;
    sqlite3 *db;
    st_log *log;
    sqlite3_stmt *ins, *ins_head;
    unsigned char sk[ST_AUDIT_SK_BYTES];
    int has_key;
    int sign_every, since_signed;
    int64_t seq;                    /* last sequence number */
    unsigned char head[HASH_BYTES]; /* hash of record seq (zeros before the first) */
};

const char *st_audit_schema_sql(void)
{
    return "CREATE TABLE IF NOT EXISTS audit ("
           " seq INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL,"
           " actor TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,"
           " hash BLOB NOT NULL);"
           "CREATE TABLE IF NOT EXISTS audit_heads ("
           " id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
           " t REAL NOT NULL, sig BLOB NOT NULL);";
}

/* Canonical encoding, hashed after the previous hash: every field is
 * length-prefixed (u32 big-endian) so no two records encode alike; the sequence
 * number is 8 bytes big-endian; the time is its IEEE-754 bits, big-endian. */
static void put_u32(crypto_hash_sha256_state *h, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    crypto_hash_sha256_update(h, b, 4);
}

static void put_u64(crypto_hash_sha256_state *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (56 - 8 * i));
    crypto_hash_sha256_update(h, b, 8);
}

static void put_str(crypto_hash_sha256_state *h, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(h, (uint32_t)n);
    if (n) crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

static void record_hash(const unsigned char prev[HASH_BYTES], int64_t seq, double t,
                        const char *kind, const char *actor, const char *subject,
                        const char *detail, unsigned char out[HASH_BYTES])
{
    crypto_hash_sha256_state h;
    uint64_t tbits;
    memcpy(&tbits, &t, sizeof(tbits));
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)"stratum-audit-v1", 16);
    crypto_hash_sha256_update(&h, prev, HASH_BYTES);
    put_u64(&h, (uint64_t)seq);
    put_u64(&h, tbits);
    put_str(&h, kind);
    put_str(&h, actor);
    put_str(&h, subject);
    put_str(&h, detail);
    crypto_hash_sha256_final(&h, out);
}

/* What a head signature covers: a domain tag, the sequence number and the hash. */
static void head_message(int64_t seq, const unsigned char hash[HASH_BYTES],
                         unsigned char msg[16 + 8 + HASH_BYTES])
{
    memcpy(msg, "stratum-head-v1\0", 16);
    for (int i = 0; i < 8; i++) msg[16 + i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
    memcpy(msg + 24, hash, HASH_BYTES);
}

void st_audit_free(st_audit *a)
{
    if (!a) return;
    if (a->has_key && a->since_signed > 0 && a->mu_ok) st_audit_sign_head(a);
    sqlite3_finalize(a->ins);
    sqlite3_finalize(a->ins_head);
    sodium_memzero(a->sk, sizeof(a->sk));
    if (a->mu_ok) pthread_mutex_destroy(&a->mu);
    free(a);
}

st_audit *st_audit_new(sqlite3 *db, const unsigned char *sk, int sign_every, st_log *log)
{
    st_audit *a = NULL;
    sqlite3_stmt *last = NULL;
    int err = EINVAL;
    if (!db || sign_every < 0) goto fail;
    err = ENOMEM;
    if (sodium_init() < 0 || !(a = calloc(1, sizeof(*a)))) goto fail;
    if (pthread_mutex_init(&a->mu, NULL)) goto fail;
    a->mu_ok = 1;
    a->db = db;
    a->log = log;
    a->sign_every = sign_every;
    if (sk) {
        memcpy(a->sk, sk, ST_AUDIT_SK_BYTES);
        a->has_key = 1;
    }
    err = EIO;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO audit(seq,t,kind,actor,subject,detail,hash) "
                           "VALUES(?,?,?,?,?,?,?)",
                           -1, &a->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO audit_heads(seq,hash,t,sig) VALUES(?,?,?,?)", -1,
                           &a->ins_head, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1, &last,
                           NULL) != SQLITE_OK) {
        st_error(log, "audit", "cannot prepare statements: %s", sqlite3_errmsg(db));
        goto fail;
    }
    /* Continue the chain where it ends. */
    if (sqlite3_step(last) == SQLITE_ROW) {
        a->seq = sqlite3_column_int64(last, 0);
        if (sqlite3_column_bytes(last, 1) == HASH_BYTES)
            memcpy(a->head, sqlite3_column_blob(last, 1), HASH_BYTES);
    }
    sqlite3_finalize(last);
    return a;
fail:
    sqlite3_finalize(last);
    st_audit_free(a);
    errno = err;
    return NULL;
}

static int sign_head_locked(st_audit *a);
static int64_t append_locked(st_audit *a, double t, const char *kind, const char *actor,
                             const char *subject, const char *detail);

int64_t st_audit_append(st_audit *a, double t, const char *kind, const char *actor,
                        const char *subject, const char *detail)
{
    if (!a || !kind || !actor) return -EINVAL;
    pthread_mutex_lock(&a->mu);
    int64_t rc = append_locked(a, t, kind, actor, subject, detail);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int st_audit_sign_head(st_audit *a)
{
    if (!a || !a->has_key) return -EINVAL;
    pthread_mutex_lock(&a->mu);
    int rc = sign_head_locked(a);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static int64_t append_locked(st_audit *a, double t, const char *kind, const char *actor,
                             const char *subject, const char *detail)
{
    subject = subject ? subject : "";
    detail = detail ? detail : "{}";
    unsigned char h[HASH_BYTES];
    int64_t seq = a->seq + 1;
    record_hash(a->head, seq, t, kind, actor, subject, detail, h);
    sqlite3_stmt *s = a->ins;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_double(s, 2, t);
    sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 7, h, HASH_BYTES, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        st_error(a->log, "audit", "append %s record %lld: %s", kind, (long long)seq,
                 sqlite3_errmsg(a->db));
        sqlite3_reset(s);
        return -EIO;
    }
    sqlite3_reset(s);
    a->seq = seq;
    memcpy(a->head, h, HASH_BYTES);
    a->since_signed++;
    if (a->has_key && a->sign_every > 0 && a->since_signed >= a->sign_every) sign_head_locked(a);
    return seq;
}

static int sign_head_locked(st_audit *a)
{
    if (a->seq == 0) return 0;
    unsigned char msg[16 + 8 + HASH_BYTES], sig[crypto_sign_BYTES];
    head_message(a->seq, a->head, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof(msg), a->sk);
    sqlite3_stmt *s = a->ins_head;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, a->seq);
    sqlite3_bind_blob(s, 2, a->head, HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, (double)time(NULL));
    sqlite3_bind_blob(s, 4, sig, sizeof(sig), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        st_error(a->log, "audit", "store signed head at %lld: %s", (long long)a->seq,
                 sqlite3_errmsg(a->db));
        return -EIO;
    }
    a->since_signed = 0;
    return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

int st_audit_verify(sqlite3 *db, const unsigned char *pk, st_audit_report *out)
{
    sqlite3_stmt *rec = NULL, *heads = NULL;
    memset(out, 0, sizeof(*out));
    if (sodium_init() < 0) return -ENOMEM;
    if (sqlite3_prepare_v2(db,
                           "SELECT seq,t,kind,actor,subject,detail,hash FROM audit ORDER BY "
                           "rowid",
                           -1, &rec, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT id,seq,hash,sig FROM audit_heads ORDER BY id", -1, &heads,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(rec);
        return -EIO;
    }
    /* Pass 1: the chain, in storage order (rowid): a reordering shows as a
     * sequence number out of place or a hash that no longer follows. */
    unsigned char prev[HASH_BYTES] = {0}, h[HASH_BYTES];
    int64_t expect = 1;
    int rc;
    out->ok = 1;
    while ((rc = sqlite3_step(rec)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(rec, 0);
        out->records++;
        if (seq != expect) {
            out->ok = 0;
            out->bad_seq = expect;
            snprintf(out->problem, sizeof(out->problem),
                     seq > expect ? "record %lld is missing (found %lld next): deleted"
                                  : "record %lld expected but %lld found: reordered or "
                                    "duplicated",
                     (long long)expect, (long long)seq);
            break;
        }
        record_hash(prev, seq, sqlite3_column_double(rec, 1), col_text(rec, 2), col_text(rec, 3),
                    col_text(rec, 4), col_text(rec, 5), h);
        if (sqlite3_column_bytes(rec, 6) != HASH_BYTES ||
            memcmp(h, sqlite3_column_blob(rec, 6), HASH_BYTES)) {
            out->ok = 0;
            out->bad_seq = seq;
            snprintf(out->problem, sizeof(out->problem),
                     "record %lld does not match its hash: modified, or records moved",
                     (long long)seq);
            break;
        }
        memcpy(prev, h, HASH_BYTES);
        expect++;
    }
    int64_t last = expect - 1;
    if (out->ok && rc != SQLITE_DONE) {
        sqlite3_finalize(rec);
        sqlite3_finalize(heads);
        return -EIO;
    }
    sqlite3_finalize(rec);
    if (!out->ok) {
        sqlite3_finalize(heads);
        return 0;
    }
    /* Pass 2: every head is signed by the installation and names a record whose
     * hash it carries; a head beyond the last record means a truncated tail. */
    sqlite3_stmt *find = NULL;
    if (sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq=?", -1, &find, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize(heads);
        return -EIO;
    }
    while (out->ok && sqlite3_step(heads) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(heads, 0), seq = sqlite3_column_int64(heads, 1);
        out->heads++;
        unsigned char msg[16 + 8 + HASH_BYTES];
        if (sqlite3_column_bytes(heads, 2) != HASH_BYTES ||
            sqlite3_column_bytes(heads, 3) != crypto_sign_BYTES) {
            out->ok = 0;
            out->bad_seq = id;
            snprintf(out->problem, sizeof(out->problem), "signed head %lld is malformed",
                     (long long)id);
            break;
        }
        head_message(seq, sqlite3_column_blob(heads, 2), msg);
        if (!pk ||
            crypto_sign_verify_detached(sqlite3_column_blob(heads, 3), msg, sizeof(msg), pk) != 0) {
            out->ok = 0;
            out->bad_seq = id;
            snprintf(out->problem, sizeof(out->problem),
                     "signed head %lld (record %lld) has an invalid signature: forged or "
                     "signed by another key",
                     (long long)id, (long long)seq);
            break;
        }
        if (seq > last) {
            out->ok = 0;
            out->bad_seq = last + 1;
            snprintf(out->problem, sizeof(out->problem),
                     "signed head %lld covers record %lld but the chain ends at %lld: "
                     "truncated after record %lld",
                     (long long)id, (long long)seq, (long long)last, (long long)last);
            break;
        }
        sqlite3_reset(find);
        sqlite3_bind_int64(find, 1, seq);
        if (sqlite3_step(find) != SQLITE_ROW || sqlite3_column_bytes(find, 0) != HASH_BYTES ||
            memcmp(sqlite3_column_blob(find, 0), sqlite3_column_blob(heads, 2), HASH_BYTES)) {
            out->ok = 0;
            out->bad_seq = seq;
            snprintf(out->problem, sizeof(out->problem),
                     "signed head %lld does not match record %lld: the chain was rewritten",
                     (long long)id, (long long)seq);
            break;
        }
        if (seq > out->last_signed) out->last_signed = seq;
    }
    sqlite3_finalize(find);
    sqlite3_finalize(heads);
    if (out->ok)
        snprintf(out->problem, sizeof(out->problem),
                 "chain intact: %lld records, %lld signed heads, newest covers record %lld",
                 (long long)out->records, (long long)out->heads, (long long)out->last_signed);
    return 0;
}
