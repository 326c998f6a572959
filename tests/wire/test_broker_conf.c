/* Unit tests of broker hardening: PBKDF2-SHA512, mosquitto hash format, conf/ACL files. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/broker_conf.h"
#include "stratum/devkey.h"

static char dir[64];

static void test_pbkdf2_vectors(void)
{
    uint8_t out[64];
    char hex[129];
    /* PBKDF2-HMAC-SHA512, P "password", S "salt" (as in RFC 6070, with SHA-512;
     * values from Python hashlib.pbkdf2_hmac / OpenSSL). */
    st_broker_conf_pbkdf2_sha512((const uint8_t *)"password", 8, (const uint8_t *)"salt", 4, 1, out,
                                 64);
    st_devkey_hex(out, 64, hex);
    CHECK_STR(hex, "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a"
                   "285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
    st_broker_conf_pbkdf2_sha512((const uint8_t *)"password", 8, (const uint8_t *)"salt", 4, 2, out,
                                 64);
    st_devkey_hex(out, 64, hex);
    CHECK_STR(hex, "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab28"
                   "68a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e");
}

/* "$7$101$salt$hash": decode and recompute with the password. */
static void test_mosquitto_hash(void)
{
    char h[ST_MQTT_HASH_MAX];
    CHECK_EQ_INT(st_broker_conf_hash("secret", h, sizeof(h)), 0);
    CHECK(!strncmp(h, "$7$101$", 7));
    char *salt64 = h + 7, *hash64 = strchr(salt64, '$');
    CHECK(hash64 != NULL);
    if (!hash64) return;
    *hash64++ = 0;
    uint8_t salt[32], hash[80], want[64];
    size_t sl = 0, hl = 0;
    CHECK_EQ_INT(sodium_base642bin(salt, sizeof(salt), salt64, strlen(salt64), NULL, &sl, NULL,
                                   sodium_base64_VARIANT_ORIGINAL),
                 0);
    CHECK_EQ_INT(sodium_base642bin(hash, sizeof(hash), hash64, strlen(hash64), NULL, &hl, NULL,
                                   sodium_base64_VARIANT_ORIGINAL),
                 0);
    CHECK_EQ_INT(sl, 12);
    CHECK_EQ_INT(hl, 64);
    st_broker_conf_pbkdf2_sha512((const uint8_t *)"secret", 6, salt, sl, 101, want, 64);
    CHECK(!memcmp(want, hash, 64));
    CHECK_EQ_INT(st_broker_conf_hash("", h, sizeof(h)), -EINVAL);
    CHECK_EQ_INT(st_broker_conf_hash("x", h, 20), -ENOSPC);
}

static char *slurp(const char *name)
{
    static char buf[8192];
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    return buf;
}

static int mode_of(const char *name)
{
    char p[128];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_write(void)
{
    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    st_registry *r = st_registry_new(db, 8, NULL);
    const char *ids[] = {"meter-1", "cam-1", "old-1"};
    for (int i = 0; i < 3; i++) {
        st_device d;
        memset(&d, 0, sizeof(d));
        snprintf(d.id, sizeof(d.id), "%s", ids[i]);
        snprintf(d.zone, sizeof(d.zone), "z%d", i + 1);
        snprintf(d.type, sizeof(d.type), "t");
        snprintf(d.mqtt_hash, sizeof(d.mqtt_hash), "$7$101$S%d$H%d", i, i);
        CHECK_EQ_INT(st_registry_add(r, &d, 1), 0);
    }
    CHECK_EQ_INT(st_registry_revoke(r, "old-1", 2), 0);
    st_broker_conf_params p = {.dir = dir, .street = "main-st", .port = 18830, .persistence = 1};
    /* As root the files go to the run_as account: use our own, which exists. */
    if (geteuid() == 0) p.run_as = "root";
    char err[300] = "";
    CHECK_EQ_INT(st_broker_conf_write(&p, r, err, sizeof(err)), 0);
    char *conf = slurp("mosquitto.conf");
    CHECK(strstr(conf, "allow_anonymous false\n") != NULL);
    CHECK(strstr(conf, "listener 18830 127.0.0.1\n") != NULL);
    CHECK(strstr(conf, "persistence true\n") != NULL);
    if (geteuid() == 0) CHECK(strstr(conf, "user root\n") != NULL);
    CHECK(strstr(conf, "/passwd\n") != NULL && strstr(conf, "acl_file /") != NULL);
    char *acl = slurp("acl");
    CHECK(strstr(acl, "user stratum-engine\ntopic read stratum/main-st/+/+/obs\n") != NULL);
    CHECK(strstr(acl, "user meter-1\ntopic write stratum/main-st/z1/meter-1/obs\n") != NULL);
    CHECK(strstr(acl, "user cam-1\ntopic write stratum/main-st/z2/cam-1/obs\n") != NULL);
    CHECK(strstr(acl, "old-1") == NULL);
    CHECK(strstr(acl, "readwrite") == NULL);
    char *pw = slurp("passwd");
    CHECK(strstr(pw, "meter-1:$7$101$S0$H0\n") != NULL);
    CHECK(strstr(pw, "stratum-engine:$7$101$") != NULL);
    CHECK(strstr(pw, "old-1") == NULL);
    CHECK_EQ_INT(mode_of("passwd"), 0600);
    CHECK_EQ_INT(mode_of("engine.cred"), 0600);
    char cred[128], user[64], pass[96];
    snprintf(cred, sizeof(cred), "%s/engine.cred", dir);
    CHECK_EQ_INT(st_broker_conf_load_cred(cred, user, sizeof(user), pass, sizeof(pass)), 0);
    CHECK_STR(user, "stratum-engine");
    CHECK_EQ_INT(strlen(pass), 48);
    /* A second run keeps the engine password. */
    char pass2[96];
    CHECK_EQ_INT(st_broker_conf_write(&p, r, err, sizeof(err)), 0);
    CHECK_EQ_INT(st_broker_conf_load_cred(cred, user, sizeof(user), pass2, sizeof(pass2)), 0);
    CHECK_STR(pass2, pass);
    p.street = "bad street";
    CHECK_EQ_INT(st_broker_conf_write(&p, r, err, sizeof(err)), -EINVAL);
    char topic[64];
    CHECK_EQ_INT(st_broker_topic("s", "z", "d", topic, sizeof(topic)), 17);
    CHECK_STR(topic, "stratum/s/z/d/obs");
    CHECK_EQ_INT(st_broker_topic("s", "z/x", "d", topic, sizeof(topic)), -EINVAL);
    st_registry_free(r);
    sqlite3_close(db);
    const char *files[] = {"mosquitto.conf", "acl", "passwd", "engine.cred"};
    for (int i = 0; i < 4; i++) {
        char q[128];
        snprintf(q, sizeof(q), "%s/%s", dir, files[i]);
        unlink(q);
    }
    rmdir(dir);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_broker_conf.%ld", (long)getpid());
    RUN(test_pbkdf2_vectors);
    RUN(test_mosquitto_hash);
    RUN(test_write);
    return TEST_END("broker_conf");
}
