/* libFuzzer target: the signed-envelope (sigenv) parser and verifier on arbitrary bytes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stratum/sigenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Public key of the docs/wire.md test vector (seed 00..1f): inputs built from
 * the corpus seeds keep reaching the signature check. */
static const uint8_t pk[32] = {0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd,
                               0x18, 0xe7, 0x4b, 0xc0, 0x99, 0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5,
                               0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64, 0x12, 0x55, 0x31, 0xb8};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_sigenv_view v;
    if (st_sigenv_parse(data, size, &v) != 0) return 0;
    /* Every view field must lie inside the input. */
    const uint8_t *end = data + size;
    if ((const uint8_t *)v.id < data || (const uint8_t *)v.id + v.id_len > end) __builtin_trap();
    if ((const uint8_t *)v.version + v.version_len > end) __builtin_trap();
    if ((const uint8_t *)v.payload + v.payload_len > end) __builtin_trap();
    if (v.sig + ST_SIGENV_SIG_LEN != end || v.signed_len + ST_SIGENV_SIG_LEN != size)
        __builtin_trap();
    if (!st_sigenv_id_ok(v.id, v.id_len) || v.counter == 0) __builtin_trap();
    (void)st_sigenv_verify(&v, pk);
    return 0;
}
