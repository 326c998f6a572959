/* Operator bearer token: created at install, checked in constant time. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_HTTP_AUTH_H
#define STRATUM_HTTP_AUTH_H

#include <stddef.h>
#include "stratum/log.h"

#define ST_AUTH_TOKEN_BYTES 32                            /* random bytes in a new token */
#define ST_AUTH_HEX_MAX     (2 * ST_AUTH_TOKEN_BYTES + 1) /* hex digits + NUL */

/* Read the token from path; if the file does not exist, create it (mode 0600,
 * O_EXCL so two starts cannot race) with ST_AUTH_TOKEN_BYTES from libsodium's
 * randombytes_buf, hex-encoded, and log where it is. The token is written into
 * out (cap >= ST_AUTH_HEX_MAX). A file that is unreadable, empty, not hex or
 * shorter than 32 hex digits is refused (-EINVAL) with one log line; a file
 * readable by group or others is used with a warning. 1 if created, 0 if read,
 * negative errno on failure. */
int st_auth_load_or_create(const char *path, char *out, size_t cap, st_log *log);

/* 1 if header is exactly "Bearer <token>" (RFC 6750 section 2.1; the scheme is
 * case-insensitive) and token is non-empty, compared in constant time; else 0.
 * header may be NULL. */
int st_auth_check(const char *token, const char *header);

/* The actor name written to the audit log for this token, "operator:<8 hex>",
 * the first 4 bytes of BLAKE2b(token): says which token acted without revealing it. */
void st_auth_actor(const char *token, char *out, size_t cap);

#endif
