/* Unit tests of device key files: round trip, mode 0600, refusals. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/devkey.h"

static char path[64];

static void test_round_trip(void)
{
    st_devkey k, l;
    CHECK_EQ_INT(st_devkey_generate(&k, "meter-1", "z1"), 0);
    CHECK_EQ_INT(st_devkey_save(&k, path), 0);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    char err[200] = "";
    CHECK_EQ_INT(st_devkey_load(&l, path, err, sizeof(err)), 0);
    CHECK_STR(l.id, "meter-1");
    CHECK_STR(l.zone, "z1");
    CHECK(!memcmp(k.pk, l.pk, 32) && !memcmp(k.sk, l.sk, 64));
    CHECK_STR(l.mqtt_password, k.mqtt_password);
    /* Two generated keys differ. */
    st_devkey m;
    CHECK_EQ_INT(st_devkey_generate(&m, "meter-1", "z1"), 0);
    CHECK(memcmp(k.pk, m.pk, 32) != 0);
    st_devkey_wipe(&m);
    CHECK(m.sk[0] == 0 && m.sk[63] == 0 && m.id[0] == 0);
}

static void test_refusals(void)
{
    st_devkey k;
    char err[200] = "";
    CHECK_EQ_INT(chmod(path, 0644), 0);
    CHECK_EQ_INT(st_devkey_load(&k, path, err, sizeof(err)), -EPERM);
    CHECK(strstr(err, "chmod 600") != NULL);
    CHECK_EQ_INT(st_devkey_load(&k, "/nonexistent/key", err, sizeof(err)), -ENOENT);
    FILE *f = fopen(path, "w");
    fprintf(f, "device = a\nzone = z\nseed = 00ff\n");
    fclose(f);
    chmod(path, 0600);
    CHECK_EQ_INT(st_devkey_load(&k, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, ":3: seed") != NULL);
    f = fopen(path, "w");
    fprintf(f, "device = a\nseed = %064d\n", 0);
    fclose(f);
    CHECK_EQ_INT(st_devkey_load(&k, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "missing zone") != NULL);
    f = fopen(path, "w");
    fprintf(f, "device = a b\n");
    fclose(f);
    CHECK_EQ_INT(st_devkey_load(&k, path, err, sizeof(err)), -EINVAL);
    CHECK_EQ_INT(st_devkey_generate(&k, "bad/id", "z"), -EINVAL);
}

static void test_seed_is_identity(void)
{
    uint8_t seed[32] = {0};
    st_devkey a, b;
    CHECK_EQ_INT(st_devkey_from_seed(&a, "d", "z", seed), 0);
    CHECK_EQ_INT(st_devkey_from_seed(&b, "d", "z", seed), 0);
    CHECK(!memcmp(a.pk, b.pk, 32));
    CHECK_STR(a.mqtt_password, b.mqtt_password);
    CHECK_EQ_INT(strlen(a.mqtt_password), 32);
    char hex[65];
    st_devkey_hex(a.pk, 32, hex);
    /* RFC 8032 derivation of the all-zero seed. */
    CHECK_STR(hex, "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29");
}

int main(void)
{
    snprintf(path, sizeof(path), "/tmp/test_devkey.%ld.key", (long)getpid());
    RUN(test_round_trip);
    RUN(test_refusals);
    RUN(test_seed_is_identity);
    unlink(path);
    return TEST_END("devkey");
}
