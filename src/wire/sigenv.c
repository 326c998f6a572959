/* Signed envelope: canonical encoding, bounds-checked parsing, Ed25519 sign and verify. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/sigenv.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

static int id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int ver_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '+' || c == '-';
}

int st_sigenv_id_ok(const char *s, size_t len)
{
    if (!s || len < 1 || len > ST_SIGENV_ID_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (!id_char((unsigned char)s[i])) return 0;
    return 1;
}

int st_sigenv_version_ok(const char *s, size_t len)
{
    if (!s || len < 1 || len > ST_SIGENV_VER_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (!ver_char((unsigned char)s[i])) return 0;
    return 1;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

size_t st_sigenv_size(size_t id_len, size_t version_len, size_t payload_len)
{
    return ST_SIGENV_OVERHEAD + id_len + version_len + payload_len;
}

int st_sigenv_parse(const uint8_t *buf, size_t len, st_sigenv_view *v)
{
    /* Every read below is preceded by a check that the bytes are there; pos
     * never exceeds len, and len - pos cannot underflow. */
    size_t pos = 0;
    if (!buf || !v || len < ST_SIGENV_OVERHEAD + 2) return -EINVAL;
    if (memcmp(buf, ST_SIGENV_MAGIC, 4) != 0) return -EINVAL;
    if (buf[4] != 0) return -EINVAL;
    size_t n = buf[5];
    pos = 6;
    if (n < 1 || n > ST_SIGENV_ID_MAX || len - pos < n) return -EINVAL;
    if (!st_sigenv_id_ok((const char *)buf + pos, n)) return -EINVAL;
    v->id = (const char *)buf + pos;
    v->id_len = n;
    pos += n;
    if (len - pos < 8 + 8 + 1) return -EINVAL;
    v->counter = get_u64(buf + pos);
    pos += 8;
    v->t_us = (int64_t)get_u64(buf + pos);
    pos += 8;
    if (v->counter == 0) return -EINVAL;
    size_t m = buf[pos++];
    if (m < 1 || m > ST_SIGENV_VER_MAX || len - pos < m) return -EINVAL;
    if (!st_sigenv_version_ok((const char *)buf + pos, m)) return -EINVAL;
    v->version = (const char *)buf + pos;
    v->version_len = m;
    pos += m;
    if (len - pos < 4) return -EINVAL;
    uint32_t p = (uint32_t)buf[pos] << 24 | (uint32_t)buf[pos + 1] << 16 |
                 (uint32_t)buf[pos + 2] << 8 | (uint32_t)buf[pos + 3];
    pos += 4;
    if (p < 1) return -EINVAL;
    if (p > ST_SIGENV_MAX_PAYLOAD) return -E2BIG;
    /* Exactly payload + signature must remain: no trailing bytes (canonical). */
    if (len - pos < ST_SIGENV_SIG_LEN || len - pos - ST_SIGENV_SIG_LEN != p) return -EINVAL;
    v->payload = (const char *)buf + pos;
    v->payload_len = p;
    pos += p;
    v->signed_part = buf;
    v->signed_len = pos;
    v->sig = buf + pos;
    return 0;
}

int st_sigenv_verify(const st_sigenv_view *v, const uint8_t pk[32])
{
    /* libsodium refuses non-canonical S and small-order keys (RFC 8032 5.1.7
     * with the stricter checks of libsodium >= 1.0.16). */
    if (crypto_sign_verify_detached(v->sig, v->signed_part, v->signed_len, pk) != 0)
        return -EBADMSG;
    return 0;
}

int st_sigenv_encode(const st_sigenv_fields *f, const uint8_t sk[64], uint8_t *out, size_t cap)
{
    if (!f || !f->id || !f->version || !f->payload || !sk || !out) return -EINVAL;
    size_t n = strlen(f->id), m = strlen(f->version), p = f->payload_len;
    if (!st_sigenv_id_ok(f->id, n) || !st_sigenv_version_ok(f->version, m)) return -EINVAL;
    if (f->counter == 0 || p < 1 || p > ST_SIGENV_MAX_PAYLOAD) return -EINVAL;
    size_t total = st_sigenv_size(n, m, p);
    if (total > cap) return -ENOSPC;
    size_t pos = 0;
    memcpy(out, ST_SIGENV_MAGIC, 4);
    out[4] = 0;
    out[5] = (uint8_t)n;
    pos = 6;
    memcpy(out + pos, f->id, n);
    pos += n;
    put_u64(out + pos, f->counter);
    pos += 8;
    put_u64(out + pos, (uint64_t)f->t_us);
    pos += 8;
    out[pos++] = (uint8_t)m;
    memcpy(out + pos, f->version, m);
    pos += m;
    out[pos++] = (uint8_t)(p >> 24);
    out[pos++] = (uint8_t)(p >> 16);
    out[pos++] = (uint8_t)(p >> 8);
    out[pos++] = (uint8_t)p;
    memcpy(out + pos, f->payload, p);
    pos += p;
    if (crypto_sign_detached(out + pos, NULL, out, pos, sk) != 0) return -EINVAL;
    return (int)total;
}
