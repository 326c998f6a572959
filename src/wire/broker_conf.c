/* Mosquitto hardening: mosquitto.conf, PBKDF2-SHA512 password file and per-device ACL. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/broker_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratum/sigenv.h"

/* mosquitto 2.0 src/password_mosq.c: SALT_LEN 12, PW_DEFAULT_ITERATIONS 101. */
#define PW_SALT_LEN   12
#define PW_ITERATIONS 101
#define PW_HASH_LEN   64

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

int st_broker_topic(const char *street, const char *zone, const char *device, char *buf, size_t cap)
{
    if (!street || !zone || !device || !st_sigenv_id_ok(street, strlen(street)) ||
        !st_sigenv_id_ok(zone, strlen(zone)) || !st_sigenv_id_ok(device, strlen(device)))
        return -EINVAL;
    int n = snprintf(buf, cap, "stratum/%s/%s/%s/obs", street, zone, device);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int st_broker_conf_pbkdf2_sha512(const uint8_t *pw, size_t pwlen, const uint8_t *salt,
                                 size_t saltlen, unsigned iterations, uint8_t *out, size_t outlen)
{
    if (!iterations || !outlen || saltlen > 64) return -EINVAL;
    uint8_t block[64 + 4], u[64], t[64];
    memcpy(block, salt, saltlen);
    for (uint32_t i = 1; outlen > 0; i++) {
        block[saltlen] = (uint8_t)(i >> 24);
        block[saltlen + 1] = (uint8_t)(i >> 16);
        block[saltlen + 2] = (uint8_t)(i >> 8);
        block[saltlen + 3] = (uint8_t)i;
        /* U1 = PRF(P, S || INT(i)); Uj = PRF(P, Uj-1); T = U1 ^ ... ^ Uc. */
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, pw, pwlen);
        crypto_auth_hmacsha512_update(&st, block, saltlen + 4);
        crypto_auth_hmacsha512_final(&st, u);
        memcpy(t, u, 64);
        for (unsigned j = 1; j < iterations; j++) {
            crypto_auth_hmacsha512_init(&st, pw, pwlen);
            crypto_auth_hmacsha512_update(&st, u, 64);
            crypto_auth_hmacsha512_final(&st, u);
            for (int k = 0; k < 64; k++) t[k] ^= u[k];
        }
        size_t n = outlen < 64 ? outlen : 64;
        memcpy(out, t, n);
        out += n;
        outlen -= n;
    }
    sodium_memzero(u, sizeof(u));
    sodium_memzero(t, sizeof(t));
    return 0;
}

int st_broker_conf_hash(const char *password, char *out, size_t cap)
{
    if (!password || !*password) return -EINVAL;
    if (sodium_init() < 0) return -EIO;
    uint8_t salt[PW_SALT_LEN], hash[PW_HASH_LEN];
    char salt64[64], hash64[128];
    randombytes_buf(salt, sizeof(salt));
    st_broker_conf_pbkdf2_sha512((const uint8_t *)password, strlen(password), salt, sizeof(salt),
                                 PW_ITERATIONS, hash, sizeof(hash));
    sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt), sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(hash64, sizeof(hash64), hash, sizeof(hash), sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(out, cap, "$7$%d$%s$%s", PW_ITERATIONS, salt64, hash64);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* Open path for writing with mode, replacing it atomically at close_file. */
typedef struct outfile {
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    FILE *f;
    uid_t uid; /* owner to give the file, (uid_t)-1 = keep */
    gid_t gid;
} outfile;

static int open_file(outfile *o, const char *dir, const char *name, mode_t mode)
{
    if (snprintf(o->path, sizeof(o->path), "%s/%s", dir, name) >= (int)sizeof(o->path))
        return -ENAMETOOLONG;
    snprintf(o->tmp, sizeof(o->tmp), "%s.tmp%ld", o->path, (long)getpid());
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -errno;
    if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        return -e;
    }
    return 0;
}

static int close_file(outfile *o, int ok)
{
    int bad = !ok || ferror(o->f) || fflush(o->f) != 0;
    if (o->uid != (uid_t)-1) bad |= fchown(fileno(o->f), o->uid, o->gid) != 0;
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (bad || rename(o->tmp, o->path) != 0) {
        unlink(o->tmp);
        return -EIO;
    }
    return 0;
}

int st_broker_conf_load_cred(const char *path, char *user, size_t ucap, char *pass, size_t pcap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -errno;
    char line[256];
    int have_u = 0, have_p = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *v;
        if (!strncmp(line, "username = ", 11)) {
            v = line + 11;
            if (strlen(v) >= ucap) break;
            snprintf(user, ucap, "%s", v);
            have_u = 1;
        } else if (!strncmp(line, "password = ", 11)) {
            v = line + 11;
            if (strlen(v) >= pcap) break;
            snprintf(pass, pcap, "%s", v);
            have_p = 1;
        }
    }
    sodium_memzero(line, sizeof(line));
    fclose(f);
    return have_u && have_p ? 0 : -EINVAL;
}

int st_broker_conf_write(const st_broker_conf_params *p, const st_registry *reg, char *err,
                         size_t errcap)
{
    const char *bind = p->bind && *p->bind ? p->bind : "127.0.0.1";
    const char *euser = p->engine_user && *p->engine_user ? p->engine_user : "stratum-engine";
    int tls = p->tls_ca && p->tls_cert && p->tls_key;
    int port = p->port ? p->port : tls ? 8883 : 1883;
    char dir[PATH_MAX], user[64], pass[80], hash[ST_MQTT_HASH_MAX], topic[160];
    outfile o = {.uid = (uid_t)-1, .gid = (gid_t)-1};
    const char *run_as = p->run_as && *p->run_as ? p->run_as : "mosquitto";
    int rc;
    if (!p->dir || !p->street || !st_sigenv_id_ok(p->street, strlen(p->street)) ||
        !st_sigenv_id_ok(euser, strlen(euser)) || port < 1 || port > 65535 ||
        strpbrk(bind, " \t\n#") || strpbrk(run_as, " \t\n#")) {
        set_err(err, errcap, "broker-config: bad street, engine user, address or port");
        return -EINVAL;
    }
    if (mkdir(p->dir, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
        set_err(err, errcap, "%s: %s", p->dir, strerror(-rc));
        return rc;
    }
    if (!realpath(p->dir, dir)) {
        rc = -errno;
        set_err(err, errcap, "%s: %s", p->dir, strerror(-rc));
        return rc;
    }
    if (sodium_init() < 0) return -EIO;
    if (geteuid() == 0) {
        /* Started as root, mosquitto drops to run_as before it reads passwd
         * and writes its persistence file: hand it the folder and files. */
        struct passwd *pw = getpwnam(run_as);
        if (!pw) {
            set_err(err, errcap, "broker-config: no user account '%s' for mosquitto to run as",
                    run_as);
            return -EINVAL;
        }
        o.uid = pw->pw_uid;
        o.gid = pw->pw_gid;
        if (chown(dir, o.uid, o.gid) != 0) {
            rc = -errno;
            set_err(err, errcap, "%s: %s", dir, strerror(-rc));
            return rc;
        }
    }

    /* Engine credentials: reused when present so a running engine keeps working. */
    char credpath[PATH_MAX + 16];
    snprintf(credpath, sizeof(credpath), "%s/engine.cred", dir);
    if (st_broker_conf_load_cred(credpath, user, sizeof(user), pass, sizeof(pass)) != 0 ||
        strcmp(user, euser) != 0) {
        uint8_t rnd[24];
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(pass, sizeof(pass), rnd, sizeof(rnd));
        snprintf(user, sizeof(user), "%s", euser);
        if ((rc = open_file(&o, dir, "engine.cred", 0600)) != 0) goto io_fail;
        fprintf(o.f,
                "# Stratum engine broker login (secret, mode 0600)\nusername = %s\n"
                "password = %s\n",
                user, pass);
        /* The engine's secret stays with the account running this command. */
        uid_t keep_uid = o.uid;
        o.uid = (uid_t)-1;
        rc = close_file(&o, 1);
        o.uid = keep_uid;
        if (rc != 0) goto io_fail;
    }
    if ((rc = st_broker_conf_hash(pass, hash, sizeof(hash))) != 0) goto io_fail;
    sodium_memzero(pass, sizeof(pass));

    if ((rc = open_file(&o, dir, "passwd", 0600)) != 0) goto io_fail;
    fprintf(o.f, "%s:%s\n", user, hash);
    for (size_t i = 0; i < st_registry_count(reg); i++) {
        const st_device *d = st_registry_device(reg, i);
        if (d->revoked > 0) continue;
        fprintf(o.f, "%s:%s\n", d->id, d->mqtt_hash);
    }
    if ((rc = close_file(&o, 1)) != 0) goto io_fail;

    if ((rc = open_file(&o, dir, "acl", 0600)) != 0) goto io_fail;
    fprintf(o.f,
            "# Written by stratum broker-config (docs/wire.md). Each device may publish\n"
            "# only to its own topic; only the engine may subscribe. Re-run after\n"
            "# device add, revoke or rotate.\n\nuser %s\ntopic read stratum/%s/+/+/obs\n",
            user, p->street);
    for (size_t i = 0; i < st_registry_count(reg); i++) {
        const st_device *d = st_registry_device(reg, i);
        if (d->revoked > 0) continue;
        if (st_broker_topic(p->street, d->zone, d->id, topic, sizeof(topic)) < 0) continue;
        fprintf(o.f, "\nuser %s\ntopic write %s\n", d->id, topic);
    }
    if ((rc = close_file(&o, 1)) != 0) goto io_fail;

    if ((rc = open_file(&o, dir, "mosquitto.conf", 0644)) != 0) goto io_fail;
    fprintf(o.f,
            "# Mosquitto configuration written by stratum broker-config (docs/wire.md).\n"
            "# Street %s: topics stratum/%s/<zone>/<device>/obs.\n"
            "per_listener_settings false\n"
            "allow_anonymous false\n"
            "password_file %s/passwd\n"
            "acl_file %s/acl\n"
            "# Latency: no Nagle delay on client sockets.\n"
            "set_tcp_nodelay true\n"
            "# QoS 1 messages queued for the engine while it is away (per client).\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n",
            p->street, p->street, dir, dir);
    if (p->persistence)
        fprintf(o.f,
                "# Sessions and accepted QoS 1 messages survive a broker restart.\n"
                "persistence true\n"
                "persistence_location %s/\n"
                "persistence_file mosquitto.db\n"
                "autosave_interval %d\n",
                dir, p->autosave_s > 0 ? p->autosave_s : 1);
    if (p->run_as && *p->run_as) fprintf(o.f, "user %s\n", run_as);
    fprintf(o.f, "listener %d %s\n", port, bind);
    if (tls)
        fprintf(o.f, "cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n", p->tls_ca,
                p->tls_cert, p->tls_key);
    if ((rc = close_file(&o, 1)) != 0) goto io_fail;
    return 0;
io_fail:
    if (o.f) (void)close_file(&o, 0);
    sodium_memzero(pass, sizeof(pass));
    set_err(err, errcap, "broker-config: writing %s: %s", o.path[0] ? o.path : dir, strerror(-rc));
    return rc;
}
