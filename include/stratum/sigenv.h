/* Signed envelope: a device's SenML pack bound to id, counter, time and version (Ed25519). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_SIGENV_H
#define STRATUM_SIGENV_H

#include <stddef.h>
#include <stdint.h>

/* Binary layout, version 1 (docs/wire.md, with test vectors). All integers are
 * big-endian (network byte order):
 *
 *   0   4  magic "STv1"
 *   4   1  flags, 0 (reserved; anything else is refused)
 *   5   1  n = length of the device id, 1..31
 *   6   n  device id, [A-Za-z0-9_-]
 *       8  counter, unsigned, >= 1, strictly new per device (replay window)
 *       8  timestamp, signed, microseconds since the Unix epoch (UTC)
 *       1  m = length of the software version, 1..31
 *       m  software version, [0-9A-Za-z.+-] (SemVer 2.0.0 spelling)
 *       4  p = payload length, 1..ST_SIGENV_MAX_PAYLOAD
 *       p  payload: one SenML JSON pack (RFC 8428)
 *      64  Ed25519 signature (RFC 8032, libsodium crypto_sign_detached) over
 *          every byte before it.
 *
 * The encoding is canonical: fixed-width integers, length-prefixed strings and
 * no trailing bytes, so each field set has exactly one byte string and the
 * signature covers exactly what the parser reads. */
#define ST_SIGENV_MAGIC       "STv1"
#define ST_SIGENV_ID_MAX      31
#define ST_SIGENV_VER_MAX     31
#define ST_SIGENV_MAX_PAYLOAD 65536
#define ST_SIGENV_SIG_LEN     64
/* Fixed bytes: magic, flags, two length bytes, counter, time, payload length, signature. */
#define ST_SIGENV_OVERHEAD (4 + 1 + 1 + 8 + 8 + 1 + 4 + ST_SIGENV_SIG_LEN)
/* Largest envelope: overhead + id + version + payload. */
#define ST_SIGENV_MAX_BYTES                                                                        \
    (ST_SIGENV_OVERHEAD + ST_SIGENV_ID_MAX + ST_SIGENV_VER_MAX + ST_SIGENV_MAX_PAYLOAD)

/* A parsed envelope: every pointer points into the caller's buffer (borrowed;
 * valid while that buffer is). Strings are NOT NUL-terminated: use the lengths. */
typedef struct st_sigenv_view {
    const char *id;
    size_t id_len;
    uint64_t counter;
    int64_t t_us;
    const char *version;
    size_t version_len;
    const char *payload;
    size_t payload_len;
    const uint8_t *signed_part; /* bytes the signature covers: buf[0 .. signed_len) */
    size_t signed_len;
    const uint8_t *sig; /* ST_SIGENV_SIG_LEN bytes */
} st_sigenv_view;

/* Fields of an envelope to build. Strings are borrowed, NUL-terminated. */
typedef struct st_sigenv_fields {
    const char *id;
    uint64_t counter;
    int64_t t_us;
    const char *version;
    const char *payload;
    size_t payload_len;
} st_sigenv_fields;

/* Parse buf[0..len) (borrowed) into *v. Checks every length and character
 * class; does not verify the signature. Allocates nothing.
 * 0, or -EINVAL (malformed: bad magic, flags, lengths, characters, counter 0,
 * trailing bytes) or -E2BIG (payload larger than ST_SIGENV_MAX_PAYLOAD). */
int st_sigenv_parse(const uint8_t *buf, size_t len, st_sigenv_view *v);

/* 0 if v's signature is valid for the Ed25519 public key pk (32 bytes), else -EBADMSG. */
int st_sigenv_verify(const st_sigenv_view *v, const uint8_t pk[32]);

/* Encode f and sign it with the 64-byte libsodium secret key sk into out
 * (caller's buffer of cap bytes). Returns the envelope length, -EINVAL for a
 * field outside the format, or -ENOSPC if cap is too small. Allocates nothing. */
int st_sigenv_encode(const st_sigenv_fields *f, const uint8_t sk[64], uint8_t *out, size_t cap);

/* Size an envelope with these id/version/payload lengths takes. */
size_t st_sigenv_size(size_t id_len, size_t version_len, size_t payload_len);

/* 1 if s[0..len) is a valid device id ([A-Za-z0-9_-]{1,31}), else 0. */
int st_sigenv_id_ok(const char *s, size_t len);
/* 1 if s[0..len) is a valid version string ([0-9A-Za-z.+-]{1,31}), else 0. */
int st_sigenv_version_ok(const char *s, size_t len);

#endif
