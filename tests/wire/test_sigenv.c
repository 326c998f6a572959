/* Unit tests of the signed envelope: the docs/wire.md test vector, round trips, every refusal. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/devkey.h"
#include "stratum/sigenv.h"

/* docs/wire.md, "Test vector": seed 00 01 .. 1f, device meter-1, counter 1,
 * time 1700000000 s, version 1.2.0. Checked against an independent Ed25519
 * implementation (Python cryptography) when written. */
#define VEC_PK "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define VEC_PACK                                                                                   \
    "[{\"bn\":\"z1/meter-1/\",\"bt\":1700000000,\"n\":\"LAeq\",\"u\":\"dB\",\"v\":62.5}]"
#define VEC_ENV                                                                                    \
    "5354763100076d657465722d31000000000000000100060a24181e400005312e322e30000000435b7b22626e22"   \
    "3a227a312f6d657465722d312f222c226274223a313730303030303030302c226e223a224c416571222c227522"   \
    "3a226442222c2276223a36322e357d5ddb2e2af6da6d21054a2772d462d1d66d82e4c7d9ca1d9d68da4ada03cf"   \
    "3a3680e9296da3a6ab7a0b00052d89db24c1a1f4d2965cc7a1c9b0b919aa884de43101"

static st_devkey key;
static uint8_t env[512];
static int envlen;

static void make_vector(void)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
    CHECK_EQ_INT(st_devkey_from_seed(&key, "meter-1", "z1", seed), 0);
    st_sigenv_fields f = {.id = "meter-1",
                          .counter = 1,
                          .t_us = 1700000000000000LL,
                          .version = "1.2.0",
                          .payload = VEC_PACK,
                          .payload_len = strlen(VEC_PACK)};
    envlen = st_sigenv_encode(&f, key.sk, env, sizeof(env));
}

static void test_vector(void)
{
    char hex[1024];
    st_devkey_hex(key.pk, 32, hex);
    CHECK_STR(hex, VEC_PK);
    CHECK_EQ_INT(envlen, 170);
    CHECK_EQ_INT((size_t)envlen, st_sigenv_size(7, 5, strlen(VEC_PACK)));
    st_devkey_hex(env, (size_t)envlen, hex);
    CHECK_STR(hex, VEC_ENV);
}

static void test_parse_and_verify(void)
{
    st_sigenv_view v;
    CHECK_EQ_INT(st_sigenv_parse(env, (size_t)envlen, &v), 0);
    CHECK_EQ_INT(v.id_len, 7);
    CHECK(!memcmp(v.id, "meter-1", 7));
    CHECK_EQ_INT(v.counter, 1);
    CHECK_EQ_INT(v.t_us, 1700000000000000LL);
    CHECK_EQ_INT(v.version_len, 5);
    CHECK(!memcmp(v.version, "1.2.0", 5));
    CHECK_EQ_INT(v.payload_len, strlen(VEC_PACK));
    CHECK(!memcmp(v.payload, VEC_PACK, v.payload_len));
    CHECK_EQ_INT(v.signed_len, (size_t)envlen - 64);
    CHECK_EQ_INT(st_sigenv_verify(&v, key.pk), 0);
    /* Any other key refuses it. */
    st_devkey other;
    CHECK_EQ_INT(st_devkey_generate(&other, "meter-1", "z1"), 0);
    CHECK_EQ_INT(st_sigenv_verify(&v, other.pk), -EBADMSG);
}

/* Flipping any single bit either makes the envelope unparseable or breaks the
 * signature: every byte is covered. */
static void test_every_bit_covered(void)
{
    int undetected = 0;
    for (int i = 0; i < envlen; i++)
        for (int b = 0; b < 8; b++) {
            uint8_t m[512];
            memcpy(m, env, (size_t)envlen);
            m[i] ^= (uint8_t)(1 << b);
            st_sigenv_view v;
            if (st_sigenv_parse(m, (size_t)envlen, &v) == 0 && st_sigenv_verify(&v, key.pk) == 0)
                undetected++;
        }
    CHECK_EQ_INT(undetected, 0);
}

static void test_refusals(void)
{
    st_sigenv_view v;
    uint8_t m[512];
    /* Every truncation and one extra byte. */
    int bad = 0;
    for (int n = 0; n < envlen; n++)
        if (st_sigenv_parse(env, (size_t)n, &v) == 0) bad++;
    CHECK_EQ_INT(bad, 0);
    memcpy(m, env, (size_t)envlen);
    m[envlen] = 0;
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen + 1, &v), -EINVAL);
    /* Magic, flags, id length 0 and 32, bad id character, counter 0. */
    memcpy(m, env, (size_t)envlen);
    m[0] = 'X';
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    memcpy(m, env, (size_t)envlen);
    m[4] = 1;
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    memcpy(m, env, (size_t)envlen);
    m[5] = 0;
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    m[5] = 32;
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    memcpy(m, env, (size_t)envlen);
    m[8] = '/';
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    memcpy(m, env, (size_t)envlen);
    memset(m + 13, 0, 8);
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -EINVAL);
    /* Payload length larger than the maximum. */
    memcpy(m, env, (size_t)envlen);
    size_t pl = 6 + 7 + 16 + 1 + 5;
    m[pl] = 0x7f;
    CHECK_EQ_INT(st_sigenv_parse(m, (size_t)envlen, &v), -E2BIG);
    CHECK_EQ_INT(st_sigenv_parse(NULL, 10, &v), -EINVAL);
}

static void test_encode_limits(void)
{
    uint8_t out[256];
    st_sigenv_fields f = {.id = "meter-1",
                          .counter = 5,
                          .t_us = 1,
                          .version = "1.0",
                          .payload = "[]",
                          .payload_len = 2};
    CHECK(st_sigenv_encode(&f, key.sk, out, sizeof(out)) > 0);
    CHECK_EQ_INT(st_sigenv_encode(&f, key.sk, out, 10), -ENOSPC);
    f.counter = 0;
    CHECK_EQ_INT(st_sigenv_encode(&f, key.sk, out, sizeof(out)), -EINVAL);
    f.counter = 1;
    f.id = "has space";
    CHECK_EQ_INT(st_sigenv_encode(&f, key.sk, out, sizeof(out)), -EINVAL);
    f.id = "ok";
    f.version = "1.0 beta";
    CHECK_EQ_INT(st_sigenv_encode(&f, key.sk, out, sizeof(out)), -EINVAL);
    f.version = "1.0.0-rc1+b7";
    f.t_us = -5; /* before 1970: representable, refused later by the time window */
    int n = st_sigenv_encode(&f, key.sk, out, sizeof(out));
    st_sigenv_view v;
    CHECK(n > 0 && st_sigenv_parse(out, (size_t)n, &v) == 0);
    CHECK_EQ_INT(v.t_us, -5);
    CHECK(st_sigenv_id_ok("a_b-C9", 6));
    CHECK(!st_sigenv_id_ok("", 0));
    CHECK(!st_sigenv_id_ok("abcdefghijabcdefghijabcdefghijab", 32));
}

int main(void)
{
    RUN(make_vector);
    RUN(test_vector);
    RUN(test_parse_and_verify);
    RUN(test_every_bit_covered);
    RUN(test_refusals);
    RUN(test_encode_limits);
    return TEST_END("sigenv");
}
