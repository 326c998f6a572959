/* Unit tests for the audit hash chain: every kind of tampering is found and located. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "st_test.h"
#include "stratum/audit.h"

static unsigned char pk[32], sk[64];

/* A fresh in-memory chain of n records, heads signed every 5. */
static sqlite3 *make_chain(int n)
{
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, st_audit_schema_sql(), NULL, NULL, NULL);
    st_audit *a = st_audit_new(db, sk, 5, NULL);
    for (int i = 1; i <= n; i++) {
        char detail[64];
        snprintf(detail, sizeof(detail), "{\"scene\":\"calm-warm\",\"i\":%d}", i);
        int64_t seq = st_audit_append(a, 1795809600.0 + i, "actuation", "engine", "z1", detail);
        CHECK_EQ_INT(seq, i);
    }
    st_audit_free(a); /* signs the final head */
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql failed: %s: %s\n", sql, err);
        sqlite3_free(err);
    }
}

static void test_intact(void)
{
    sqlite3 *db = make_chain(22);
    st_audit_report r;
    CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
    CHECK(r.ok);
    CHECK_EQ_INT(r.records, 22);
    CHECK_EQ_INT(r.heads, 5); /* at 5, 10, 15, 20 and the final 22 */
    CHECK_EQ_INT(r.last_signed, 22);
    /* Reopening continues the chain. */
    st_audit *a = st_audit_new(db, sk, 0, NULL);
    CHECK_EQ_INT(st_audit_append(a, 1795809700.0, "config", "operator", "engine.hold_s", "{}"), 23);
    st_audit_free(a);
    CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
    CHECK(r.ok);
    CHECK_EQ_INT(r.records, 23);
    CHECK_EQ_INT(r.last_signed, 23);
    sqlite3_close(db);
}

static void test_modified_byte(void)
{
    sqlite3 *db = make_chain(20);
    /* One character of record 7's detail changes. */
    exec(db, "UPDATE audit SET detail=replace(detail,'calm-warm','calm-wars') WHERE seq=7");
    st_audit_report r;
    CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 7);
    CHECK(strstr(r.problem, "record 7") != NULL);
    sqlite3_close(db);
    /* The time is covered too. */
    db = make_chain(20);
    exec(db, "UPDATE audit SET t=t+1 WHERE seq=12");
    CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 12);
    sqlite3_close(db);
}

static void test_deleted(void)
{
    sqlite3 *db = make_chain(20);
    exec(db, "DELETE FROM audit WHERE seq=9");
    st_audit_report r;
    st_audit_verify(db, pk, &r);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 9);
    CHECK(strstr(r.problem, "deleted") != NULL);
    sqlite3_close(db);
}

static void test_swapped(void)
{
    sqlite3 *db = make_chain(20);
    /* Swap records 3 and 4 (contents change places; sequence numbers stay). */
    exec(db, "UPDATE audit SET seq=-3 WHERE seq=3; UPDATE audit SET seq=3 WHERE seq=4;"
             "UPDATE audit SET seq=4 WHERE seq=-3;");
    st_audit_report r;
    st_audit_verify(db, pk, &r);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 3);
    sqlite3_close(db);
}

static void test_truncated(void)
{
    sqlite3 *db = make_chain(20);
    exec(db, "DELETE FROM audit WHERE seq>13");
    st_audit_report r;
    st_audit_verify(db, pk, &r);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 14);
    CHECK(strstr(r.problem, "truncated after record 13") != NULL);
    sqlite3_close(db);
}

static void test_forged_head(void)
{
    sqlite3 *db = make_chain(20);
    /* Rewrite the chain's last record and re-hash it properly would need the key for
     * the head; an attacker who edits the head's hash without the key is caught. */
    exec(db, "UPDATE audit_heads SET sig=zeroblob(64) WHERE id=2");
    st_audit_report r;
    st_audit_verify(db, pk, &r);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 2);
    CHECK(strstr(r.problem, "invalid signature") != NULL);
    sqlite3_close(db);
    /* A head signed by another key. */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    db = make_chain(10);
    CHECK_EQ_INT(st_audit_verify(db, pk2, &r), 0);
    CHECK(!r.ok);
    CHECK_EQ_INT(r.bad_seq, 1);
    sqlite3_close(db);
}

static void test_args(void)
{
    CHECK(st_audit_new(NULL, sk, 0, NULL) == NULL && errno == EINVAL);
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    /* No tables: a clear failure, not a crash. */
    CHECK(st_audit_new(db, sk, 0, NULL) == NULL);
    sqlite3_close(db);
    st_audit_free(NULL);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    crypto_sign_keypair(pk, sk);
    RUN(test_intact);
    RUN(test_modified_byte);
    RUN(test_deleted);
    RUN(test_swapped);
    RUN(test_truncated);
    RUN(test_forged_head);
    RUN(test_args);
    return TEST_END("evidence/audit");
}
