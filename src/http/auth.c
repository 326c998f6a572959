/* Operator bearer token: created at install, checked in constant time. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/auth.h"

static int create_token(const char *path, char *out, size_t cap, st_log *log)
{
    unsigned char raw[ST_AUTH_TOKEN_BYTES];
    char hex[ST_AUTH_HEX_MAX];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    size_t len = strlen(hex);
    char line[ST_AUTH_HEX_MAX + 1];
    memcpy(line, hex, len);
    line[len] = '\n';
    ssize_t w = write(fd, line, len + 1);
    int err = w == (ssize_t)(len + 1) ? 0 : (w < 0 ? errno : EIO);
    if (!err && fsync(fd) < 0) err = errno;
    close(fd);
    if (err) {
        unlink(path);
        st_error(log, "http", "cannot write the token file %s: %s", path, strerror(err));
        return -err;
    }
    snprintf(out, cap, "%s", hex);
    sodium_memzero(hex, sizeof(hex));
    st_info(log, "http",
            "created the operator token in %s (mode 0600); write actions need "
            "'Authorization: Bearer <its contents>'",
            path);
    return 1;
}

int st_auth_load_or_create(const char *path, char *out, size_t cap, st_log *log)
{
    if (!path || !*path || cap < ST_AUTH_HEX_MAX) return -EINVAL;
    if (sodium_init() < 0) return -ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        int rc = create_token(path, out, cap, log);
        if (rc != -EEXIST) return rc;
        fd = open(path, O_RDONLY | O_CLOEXEC); /* another process made it first */
    }
    if (fd < 0) {
        int err = errno;
        st_error(log, "http", "cannot read the token file %s: %s", path, strerror(err));
        return -err;
    }
    struct stat st;
    char buf[256];
    ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    close(fd);
    if (n < 0) {
        st_error(log, "http", "cannot read the token file %s: %s", path, strerror(errno));
        return -EIO;
    }
    buf[n] = 0;
    while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = 0;
    size_t len = (size_t)n;
    int hex = len >= 32 && len < cap;
    for (size_t i = 0; hex && i < len; i++) hex = isxdigit((unsigned char)buf[i]) != 0;
    if (!hex) {
        st_error(log, "http",
                 "token file %s: expected one line of 32 to %zu hex digits; delete it to "
                 "have a new token created",
                 path, cap - 1);
        sodium_memzero(buf, sizeof(buf));
        return -EINVAL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        st_warn(log, "http",
                "token file %s is accessible by group or others (mode %03o); "
                "chmod 600 it",
                path, (unsigned)(st.st_mode & 0777));
    memcpy(out, buf, len + 1);
    sodium_memzero(buf, sizeof(buf));
    return 0;
}

int st_auth_check(const char *token, const char *header)
{
    if (!token || !*token || !header) return 0;
    if (strncasecmp(header, "Bearer ", 7) != 0) return 0;
    const char *given = header + 7;
    while (*given == ' ') given++;
    size_t lt = strlen(token), lg = strlen(given);
    /* Length is not secret (every token has the same length); contents are. */
    if (lt != lg) return 0;
    return sodium_memcmp(token, given, lt) == 0;
}

void st_auth_actor(const char *token, char *out, size_t cap)
{
    unsigned char h[crypto_generichash_BYTES_MIN];
    char hex[2 * sizeof(h) + 1];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, 4);
    snprintf(out, cap, "operator:%s", hex);
}
