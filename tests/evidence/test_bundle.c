/* Unit tests for evidence bundles: round trip, and refusal of bad signatures, schemas and counts.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/bundle.h"

static st_instkey key;

/* An envelope around any body text, signed like st_bundle_write does. */
static char *envelope(const char *body, const unsigned char *sk, const unsigned char *pk)
{
    size_t n = strlen(body);
    unsigned char *msg = malloc(20 + n), sig[64];
    memcpy(msg, "stratum-evidence-v1", 20);
    memcpy(msg + 20, body, n);
    crypto_sign_detached(sig, NULL, msg, 20 + n, sk);
    free(msg);
    char sig_hex[129], pk_hex[65];
    sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, 64);
    sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, 32);
    /* The body is JSON-escaped: it only holds quotes that need a backslash. */
    size_t cap = 2 * n + 512;
    char *out = malloc(cap), *p = out;
    p += sprintf(p, "{\"format\":\"stratum-evidence-bundle\",\"body\":\"");
    for (size_t i = 0; i < n; i++) {
        if (body[i] == '"') *p++ = '\\';
        *p++ = body[i];
    }
    sprintf(p, "\",\"public_key\":\"%s\",\"signature\":\"%s\"}", pk_hex, sig_hex);
    return out;
}

static const char good_body[] =
    "{\"cells\":[{\"arm\":\"calm-warm\",\"calm\":20,\"episodes\":40,\"incidents\":2,\"settled\":20,"
    "\"stratum\":\"peak/high\",\"tc_sum\":18000.0,\"tc_sumsq\":9000000.0},{\"arm\":\"control\","
    "\"calm\":10,\"episodes\":40,\"incidents\":8,\"settled\":10,\"stratum\":\"peak/high\","
    "\"tc_sum\":21000.0,\"tc_sumsq\":11700000.0}],\"city\":\"Eindhoven\",\"created\":1795809600,"
    "\"schema\":\"stratum-evidence-bundle/1\",\"window_s\":600}";

static int parse(const char *text, st_bundle *b, char *err)
{
    return st_bundle_parse(text, strlen(text), b, err, 256);
}

static void test_roundtrip(void)
{
    st_bundle *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
    char err[256] = "", *text = NULL;
    snprintf(b->city, sizeof(b->city), "'s-Hertogenbosch");
    b->created = 1795809600;
    b->window_s = 600;
    b->ncells = 2;
    b->cells[0] = (st_evidence_cell){"control",
                                     "late/mid",
                                     30,
                                     3,
                                     10,
                                     12,
                                     12 * 250 + 18 * 600.0,
                                     12 * 250.0 * 250 + 18 * 600.0 * 600};
    b->cells[1] = (st_evidence_cell){"calm-warm",
                                     "late/mid",
                                     28,
                                     1,
                                     15,
                                     15,
                                     15 * 123.456 + 13 * 600.0,
                                     15 * 123.456 * 123.456 + 13 * 600.0 * 600};
    CHECK_EQ_INT(st_bundle_write(b, &key, &text), 0);
    CHECK(text && !strstr(text, "z1") && !strstr(text, "meter")); /* no zones, no devices */
    CHECK_EQ_INT(parse(text, c, err), 0);
    CHECK_STR(c->city, "'s-Hertogenbosch");
    CHECK_EQ_INT(c->ncells, 2);
    CHECK_STR(c->cells[1].arm, "calm-warm");
    CHECK_EQ_INT(c->cells[0].episodes, 30);
    CHECK(c->cells[1].tc_sum == b->cells[1].tc_sum); /* exact: 17 significant digits */
    CHECK(c->cells[1].tc_sumsq == b->cells[1].tc_sumsq);
    CHECK(!memcmp(c->pk, key.pk, 32));
    CHECK_EQ_INT(strlen(c->sha256_hex), 64);
    free(text);

    /* The writer refuses what the reader would. */
    b->cells[1].incidents = 29;
    CHECK_EQ_INT(st_bundle_write(b, &key, &text), -EINVAL);
    free(b);
    free(c);
}

static void test_bad_signature(void)
{
    st_bundle *b = calloc(1, sizeof(*b));
    char err[256] = "";
    char *text = envelope(good_body, key.sk, key.pk);
    CHECK_EQ_INT(parse(text, b, err), 0);
    /* One changed digit in the body. */
    char *p = strstr(text, "\\\"incidents\\\":8");
    CHECK(p != NULL);
    if (p) p[strlen("\\\"incidents\\\":")] = '1';
    memset(b, 0, sizeof(*b));
    CHECK_EQ_INT(parse(text, b, err), -EBADMSG);
    CHECK(strstr(err, "bad signature") != NULL);
    CHECK_EQ_INT(b->ncells, 0); /* nothing filled */
    free(text);
    /* Signed by another key but naming ours. */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    text = envelope(good_body, sk2, key.pk);
    CHECK_EQ_INT(parse(text, b, err), -EBADMSG);
    free(text);
    /* Malformed envelopes. */
    CHECK_EQ_INT(parse("not json", b, err), -EINVAL);
    CHECK(strstr(err, "not a bundle") != NULL);
    CHECK_EQ_INT(parse("{\"format\":\"other\"}", b, err), -EINVAL);
    CHECK(strstr(err, "schema") != NULL);
    CHECK_EQ_INT(parse("{\"format\":\"stratum-evidence-bundle\",\"body\":\"{}\",\"public_key\":"
                       "\"zz\",\"signature\":\"00\"}",
                       b, err),
                 -EINVAL);
    free(b);
}

/* A correctly signed body that breaks the schema or the counts. */
static void expect_refused(const char *from, const char *to, const char *msg)
{
    char body[2048], err[256] = "";
    const char *p = strstr(good_body, from);
    CHECK(p != NULL);
    if (!p) return;
    snprintf(body, sizeof(body), "%.*s%s%s", (int)(p - good_body), good_body, to, p + strlen(from));
    char *text = envelope(body, key.sk, key.pk);
    st_bundle *b = calloc(1, sizeof(*b));
    int rc = parse(text, b, err);
    CHECK_EQ_INT(rc, -EINVAL);
    if (!strstr(err, msg)) fprintf(stderr, "  got \"%s\", expected \"%s\"\n", err, msg);
    CHECK(strstr(err, msg) != NULL);
    free(b);
    free(text);
}

static void test_schema_and_counts(void)
{
    expect_refused("stratum-evidence-bundle/1", "stratum-evidence-bundle/2", "schema");
    expect_refused("\"window_s\":600", "\"window_s\":600,\"zones\":[\"z1\"]",
                   "unknown key \"zones\"");
    expect_refused("\"calm\":20,", "\"calm\":20,\"device\":\"meter-1\",", "unknown key device");
    expect_refused("\"episodes\":40,\"incidents\":2", "\"episodes\":\"40\",\"incidents\":2",
                   "schema: cell 0");
    expect_refused("\"peak/high\",\"tc_sum\":18000.0", "\"noon/high\",\"tc_sum\":18000.0",
                   "unknown stratum");
    expect_refused("\"arm\":\"calm-warm\"", "\"arm\":\"calm warm\"", "invalid arm name");
    expect_refused("\"episodes\":40,\"incidents\":2", "\"episodes\":40,\"incidents\":41",
                   "impossible counts");
    expect_refused("\"episodes\":40,\"incidents\":2", "\"episodes\":-1,\"incidents\":2",
                   "negative");
    expect_refused("\"calm\":20,\"episodes\":40,\"incidents\":2,\"settled\":20",
                   "\"calm\":20,\"episodes\":40,\"incidents\":30,\"settled\":20",
                   "episodes without incident");
    expect_refused("\"tc_sum\":18000.0", "\"tc_sum\":99000.0", "impossible time-to-calm");
    expect_refused("\"tc_sumsq\":9000000.0", "\"tc_sumsq\":1.0", "impossible time-to-calm");
    expect_refused("\"window_s\":600", "\"window_s\":0", "window_s");
    expect_refused("\"city\":\"Eindhoven\"", "\"city\":\"<script>\"", "city");
    expect_refused("\"arm\":\"control\"", "\"arm\":\"calm-warm\"", "repeats cell 0");
    expect_refused("\"cells\":[{", "\"cells\":[],\"x\":[{", "unknown key");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    crypto_sign_keypair(key.pk, key.sk);
    RUN(test_roundtrip);
    RUN(test_bad_signature);
    RUN(test_schema_and_counts);
    return TEST_END("evidence/bundle");
}
