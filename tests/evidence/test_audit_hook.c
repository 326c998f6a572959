/* Unit tests for the audit hooks: one record per event, canonical JSON, escaping. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "st_test.h"
#include "stratum/audit_hook.h"

static char got_kind[64], got_actor[64], got_subject[128], got_detail[4096];

static void fetch(sqlite3 *db, int64_t seq)
{
    sqlite3_stmt *st = NULL;
    got_kind[0] = got_actor[0] = got_subject[0] = got_detail[0] = 0;
    sqlite3_prepare_v2(db,
                       "SELECT kind, actor, subject, detail, json_valid(detail) FROM audit "
                       "WHERE seq = ?",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, seq);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(got_kind, sizeof(got_kind), "%s", sqlite3_column_text(st, 0));
        snprintf(got_actor, sizeof(got_actor), "%s", sqlite3_column_text(st, 1));
        snprintf(got_subject, sizeof(got_subject), "%s", sqlite3_column_text(st, 2));
        snprintf(got_detail, sizeof(got_detail), "%s", sqlite3_column_text(st, 3));
        CHECK_EQ_INT(sqlite3_column_int(st, 4), 1); /* valid JSON */
    }
    sqlite3_finalize(st);
}

static void test_hooks(void)
{
    unsigned char pk[32], sk[64];
    sqlite3 *db;
    crypto_sign_keypair(pk, sk);
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, st_audit_schema_sql(), NULL, NULL, NULL);
    st_audit *a = st_audit_new(db, sk, 0, NULL);

    st_intervention iv;
    memset(&iv, 0, sizeof(iv));
    iv.t = 1795809600.5;
    snprintf(iv.zone, sizeof(iv.zone), "z3");
    iv.kind = ST_ACT_SCENE;
    snprintf(iv.name, sizeof(iv.name), "calm-warm");
    snprintf(iv.rule, sizeof(iv.rule), "tense");
    iv.from = ST_LIVELY;
    iv.to = ST_TENSE;
    iv.transition_id = 41;
    snprintf(iv.reason, sizeof(iv.reason), "z3 \"quoted\"\\ and\ttab");
    CHECK_EQ_INT(st_audit_hook_actuation(a, &iv, 77, "calm-warm"), 1);
    fetch(db, 1);
    CHECK_STR(got_kind, "actuation");
    CHECK_STR(got_actor, "engine");
    CHECK_STR(got_subject, "z3");
    CHECK_STR(got_detail, "{\"intervention\":77,\"kind\":\"scene\",\"name\":\"calm-warm\","
                          "\"rule\":\"tense\",\"from\":\"lively\",\"to\":\"tense\","
                          "\"transition\":41,\"arm\":\"calm-warm\",\"reason\":\"z3 "
                          "\\\"quoted\\\"\\\\ and\\u0009tab\"}");
    CHECK_EQ_INT(st_audit_hook_actuation(a, &iv, 78, NULL), 2);
    fetch(db, 2);
    CHECK(strstr(got_detail, "\"arm\":null") != NULL);

    CHECK_EQ_INT(st_audit_hook_assignment(a, 1795809601, "z1", 9, "peak/high", "random", "control",
                                          18446744073709551615ULL, 4),
                 3);
    fetch(db, 3);
    CHECK_STR(got_kind, "assignment");
    CHECK_STR(got_detail, "{\"episode\":9,\"stratum\":\"peak/high\",\"policy\":\"random\","
                          "\"arm\":\"control\",\"seed\":\"18446744073709551615\",\"draw\":4}");

    CHECK_EQ_INT(st_audit_hook_config(a, 1795809602, "operator", "engine.hold_s", "15", "20"), 4);
    fetch(db, 4);
    CHECK_STR(got_kind, "config");
    CHECK_STR(got_actor, "operator");
    CHECK_STR(got_subject, "engine.hold_s");
    CHECK_STR(got_detail, "{\"old\":\"15\",\"new\":\"20\"}");
    CHECK_EQ_INT(st_audit_hook_config(a, 1795809603, "operator", "rule.quiet", NULL, "added"), 5);
    fetch(db, 5);
    CHECK_STR(got_detail, "{\"old\":null,\"new\":\"added\"}");

    CHECK_EQ_INT(st_audit_hook_device(a, 1795809604, "operator", "meter-1", "revoke", "lost"), 6);
    fetch(db, 6);
    CHECK_STR(got_kind, "device");
    CHECK_STR(got_detail, "{\"action\":\"revoke\",\"note\":\"lost\"}");

    CHECK_EQ_INT(st_audit_hook_import(a, 1795809605, "operator", "leeds.bundle", "Leeds", "ab",
                                      "cd", 18, 412),
                 7);
    fetch(db, 7);
    CHECK_STR(got_kind, "evidence-import");
    CHECK_STR(
        got_detail,
        "{\"city\":\"Leeds\",\"key\":\"ab\",\"sha256\":\"cd\",\"cells\":18,\"episodes\":412}");

    /* Errors and the NULL chain. */
    CHECK_EQ_INT(st_audit_hook_config(NULL, 0, "operator", "k", "a", "b"), 0);
    CHECK_EQ_INT(st_audit_hook_device(a, 0, "operator", NULL, "add", NULL), -EINVAL);
    /* 500 control bytes escape to 3000: more than a detail may hold, refused whole. */
    char big[501];
    memset(big, 1, sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CHECK_EQ_INT(st_audit_hook_config(a, 0, "operator", "k", big, "x"), -ENOSPC);
    st_audit_free(a);
    st_audit_report r;
    CHECK_EQ_INT(st_audit_verify(db, pk, &r), 0);
    CHECK(r.ok);
    CHECK_EQ_INT(r.records, 7);
    sqlite3_close(db);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    RUN(test_hooks);
    return TEST_END("evidence/audit_hook");
}
