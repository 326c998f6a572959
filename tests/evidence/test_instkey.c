/* Unit tests for the installation key: created once with mode 0600, reloaded, lax modes refused. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/instkey.h"

static void test_create_load(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256], path[300], err[256] = "";
    snprintf(dir, sizeof(dir), "%s/stratum-instkey-XXXXXX", tmp);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/installation.key", dir);
    st_instkey a, b;
    int created = -1;
    CHECK_EQ_INT(st_instkey_open(path, 0, &a, &created, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, path) != NULL);
    CHECK_EQ_INT(st_instkey_open(path, 1, &a, &created, err, sizeof(err)), 0);
    CHECK_EQ_INT(created, 1);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(st_instkey_open(path, 1, &b, &created, err, sizeof(err)), 0);
    CHECK_EQ_INT(created, 0); /* the same key, not a new one */
    CHECK(!memcmp(a.pk, b.pk, 32) && !memcmp(a.sk, b.sk, 64));
    char hex[65];
    unsigned char pk[32];
    st_instkey_pk_hex(&a, hex);
    CHECK_EQ_INT(strlen(hex), 64);
    CHECK_EQ_INT(st_instkey_pk_parse(hex, pk), 0);
    CHECK(!memcmp(pk, a.pk, 32));
    CHECK_EQ_INT(st_instkey_pk_parse("abc", pk), -EINVAL);
    hex[5] = 'g';
    CHECK_EQ_INT(st_instkey_pk_parse(hex, pk), -EINVAL);
    /* Readable by others: refused, like ssh does. */
    chmod(path, 0644);
    CHECK_EQ_INT(st_instkey_open(path, 1, &b, &created, err, sizeof(err)), -EPERM);
    st_instkey_wipe(&a);
    unsigned char zero[64] = {0};
    CHECK(!memcmp(a.sk, zero, 64));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_create_load);
    return TEST_END("evidence/instkey");
}
