/* Device identity: Ed25519 key generation (libsodium), key files with mode 0600. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/devkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratum/sigenv.h"

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

void st_devkey_hex(const uint8_t *b, size_t n, char *out)
{
    static const char dig[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = dig[b[i] >> 4];
        out[2 * i + 1] = dig[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n) return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(d << 4);
        else
            out[i / 2] |= (uint8_t)d;
    }
    return 0;
}

static int set_names(st_devkey *k, const char *id, const char *zone)
{
    if (!id || !zone || !st_sigenv_id_ok(id, strlen(id)) || !st_sigenv_id_ok(zone, strlen(zone)))
        return -EINVAL;
    snprintf(k->id, sizeof(k->id), "%s", id);
    snprintf(k->zone, sizeof(k->zone), "%s", zone);
    return 0;
}

int st_devkey_from_seed(st_devkey *k, const char *id, const char *zone, const uint8_t seed[32])
{
    memset(k, 0, sizeof(*k));
    if (sodium_init() < 0) return -EIO;
    if (set_names(k, id, zone)) return -EINVAL;
    memcpy(k->seed, seed, 32);
    if (crypto_sign_seed_keypair(k->pk, k->sk, k->seed) != 0) return -EINVAL;
    /* The broker password is derived from the seed with a keyed BLAKE2b
     * (domain-separated), so a seed reproduces the whole identity. */
    uint8_t pw[16];
    crypto_generichash(pw, sizeof(pw), (const uint8_t *)"stratum mqtt password v1", 24, k->seed,
                       32);
    st_devkey_hex(pw, sizeof(pw), k->mqtt_password);
    sodium_memzero(pw, sizeof(pw));
    return 0;
}

int st_devkey_generate(st_devkey *k, const char *id, const char *zone)
{
    uint8_t seed[32];
    if (sodium_init() < 0) return -EIO;
    randombytes_buf(seed, sizeof(seed));
    int rc = st_devkey_from_seed(k, id, zone, seed);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

int st_devkey_save(const st_devkey *k, const char *path)
{
    char tmp[4096], seed[65];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return -e;
    }
    st_devkey_hex(k->seed, 32, seed);
    int bad = fprintf(f,
                      "# Stratum device key: secret, keep mode 0600 (docs/wire.md)\n"
                      "device = %s\nzone = %s\nseed = %s\nmqtt_password = %s\n",
                      k->id, k->zone, seed, k->mqtt_password) < 0;
    sodium_memzero(seed, sizeof(seed));
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        if (!bad) e = errno;
        unlink(tmp);
        return -(e ? e : EIO);
    }
    return 0;
}

static size_t trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return n;
}

int st_devkey_load(st_devkey *k, const char *path, char *err, size_t errcap)
{
    memset(k, 0, sizeof(*k));
    if (sodium_init() < 0) return -EIO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        set_err(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        set_err(err, errcap, "%s: key file readable by group or others (chmod 600 it)", path);
        return -EPERM;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    char line[256], id[ST_ID_MAX] = "", zone[ST_ID_MAX] = "";
    uint8_t seed[32];
    int have_seed = 0, have_pw = 0, lineno = 0, rc = 0;
    char pw[33] = "";
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        trim(line);
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            set_err(err, errcap, "%s:%d: expected KEY = VALUE", path, lineno);
            rc = -EINVAL;
            break;
        }
        char *ke = eq;
        while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
        *ke = 0;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vl = strlen(v);
        if (!strcmp(s, "device") || !strcmp(s, "zone")) {
            if (!st_sigenv_id_ok(v, vl)) {
                set_err(err, errcap, "%s:%d: %s: not an id ([A-Za-z0-9_-]{1,31})", path, lineno, s);
                rc = -EINVAL;
                break;
            }
            snprintf(!strcmp(s, "device") ? id : zone, ST_ID_MAX, "%s", v);
        } else if (!strcmp(s, "seed")) {
            if (unhex(v, vl, seed, 32)) {
                set_err(err, errcap, "%s:%d: seed: expected 64 hex digits", path, lineno);
                rc = -EINVAL;
                break;
            }
            have_seed = 1;
        } else if (!strcmp(s, "mqtt_password")) {
            if (vl != 32 || strspn(v, "0123456789abcdef") != 32) {
                set_err(err, errcap, "%s:%d: mqtt_password: expected 32 hex digits", path, lineno);
                rc = -EINVAL;
                break;
            }
            memcpy(pw, v, 33);
            have_pw = 1;
        } else {
            set_err(err, errcap, "%s:%d: unknown key '%s'", path, lineno, s);
            rc = -EINVAL;
            break;
        }
    }
    sodium_memzero(line, sizeof(line));
    fclose(f);
    if (rc == 0 && (!*id || !*zone || !have_seed)) {
        set_err(err, errcap, "%s: missing %s", path, !*id ? "device" : !*zone ? "zone" : "seed");
        rc = -EINVAL;
    }
    if (rc == 0) rc = st_devkey_from_seed(k, id, zone, seed);
    if (rc == 0 && have_pw) memcpy(k->mqtt_password, pw, 33);
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(pw, sizeof(pw));
    if (rc) st_devkey_wipe(k);
    return rc;
}

void st_devkey_wipe(st_devkey *k)
{
    if (k) sodium_memzero(k, sizeof(*k));
}
