/* SenML (RFC 8428) JSON packs: parsing into st_obs records, and writing them. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_SENML_H
#define STRATUM_SENML_H

#include <stddef.h>
#include "stratum/obs.h"

/* Largest pack accepted, in bytes, and most records per pack. */
#define ST_SENML_MAX_BYTES   65536
#define ST_SENML_MAX_RECORDS 256

/* Why a pack was refused: which record (0-based, -1 for the pack itself),
 * which field ("bn", "v", ... or "" for syntax), and a sentence. */
typedef struct st_senml_err {
    int record;
    char field[8];
    char msg[120];
} st_senml_err;

typedef struct st_senml st_senml; /* opaque parser; owns its token and record buffers */

/* New parser with room for max_records records (<= ST_SENML_MAX_RECORDS).
 * Returns NULL and sets errno on failure. Caller frees with st_senml_free(). */
st_senml *st_senml_new(size_t max_records);
void st_senml_free(st_senml *p);

/* Parse one pack (a JSON array of records). Base fields (bn, bt, bu, bv, bver)
 * carry to later records per RFC 8428 section 4.6; relative times (|t| < 2^28)
 * are relative to `now` (epoch seconds). Names must resolve to
 * "<zone>/<device>/<quantity>" with a known quantity, its unit and its range.
 * A pack is all-or-nothing: on any error nothing is returned.
 * On success returns the number of records and sets *out to the parser's own
 * array (borrowed: valid until the next call or st_senml_free). On failure
 * returns -EINVAL (bad content), -E2BIG (too large, too many records or too
 * many JSON tokens), sets *out to NULL and fills *err (out and err may be NULL).
 * Allocates nothing. */
int st_senml_parse(st_senml *p, const char *buf, size_t len, double now, const st_obs **out,
                   st_senml_err *err);

/* Format err as "record N field F: msg" into buf (always NUL-terminated);
 * "record N: msg" when the field is empty, and only the sentence when the
 * error concerns the pack itself (record -1, no field). */
void st_senml_err_format(const st_senml_err *err, char *buf, size_t cap);

#endif
