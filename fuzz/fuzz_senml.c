/* libFuzzer target: arbitrary bytes into st_senml_parse; every accepted record must print and read
 * back the same. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties checked on every input (abort() on violation, so libFuzzer
 * reports a crash):
 *   - st_senml_parse returns a record count in 1..ST_SENML_MAX_RECORDS, or
 *     -EINVAL / -E2BIG with a NUL-terminated, printable error sentence;
 *   - every resolved record has NUL-terminated ids, a known quantity, its
 *     table unit, a value inside the table range and a time in 1978..2100;
 *   - st_obs_to_json of each record, wrapped in [ ], parses back (with a
 *     second parser) to the identical record: the writer and the reader agree.
 * Run: make fuzz && build-fuzz/fuzz_senml -runs=1000000 NEW_DIR fuzz/corpus/senml
 * (new inputs go to the first directory; keep it outside the source tree).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/senml.h"

#define NOW 1764270000.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const st_obs *o)
{
    fprintf(stderr, "fuzz_senml: %s (record %s/%s/%s v=%.17g t=%.17g)\n", what, o ? o->zone : "",
            o ? o->device : "", o ? o->name : "", o ? o->v : 0, o ? o->t : 0);
    abort();
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_record(const st_obs *o)
{
    if (!terminated(o->zone, sizeof(o->zone)) || !terminated(o->device, sizeof(o->device)) ||
        !terminated(o->name, sizeof(o->name)) || !terminated(o->unit, sizeof(o->unit)) ||
        !terminated(o->vs, sizeof(o->vs)))
        die("unterminated string field", NULL);
    if (!o->zone[0] || !o->device[0] || !o->name[0]) die("empty id", o);
    const st_qty_info *qi = st_qty_info_get(o->qty);
    if (!qi || o->qty == ST_Q_UNKNOWN) die("unknown quantity accepted", o);
    int sub = -1;
    if (st_qty_parse(o->name, strlen(o->name), &sub) != o->qty || sub != o->sub)
        die("name does not parse back to qty/sub", o);
    if (strcmp(o->unit, qi->unit) != 0) die("unit differs from the table", o);
    if (o->qty != ST_Q_SW_VERSION && !(o->v >= qi->min && o->v <= qi->max))
        die("value outside the quantity's range", o);
    if (!(o->t >= 268435456.0 && o->t <= 4102444800.0)) die("time outside 1978..2100", o);
    if (!(o->ut >= 0) || !isfinite(o->ut)) die("bad update time", o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Made once per process; the harness keeps them for the whole run. */
    static st_senml *p, *q;
    if (!p) p = st_senml_new(ST_SENML_MAX_RECORDS);
    if (!q) q = st_senml_new(1);
    if (!p || !q) die("st_senml_new failed", NULL);

    const st_obs *out = NULL;
    st_senml_err err;
    memset(&err, 0x55, sizeof(err));
    int n = st_senml_parse(p, (const char *)data, size, NOW, &out, &err);
    if (n < 0) {
        if (n != -EINVAL && n != -E2BIG) die("unexpected error code", NULL);
        if (out) die("out set on failure", NULL);
        if (!terminated(err.msg, sizeof(err.msg)) || !terminated(err.field, sizeof(err.field)))
            die("unterminated error", NULL);
        char msg[300];
        st_senml_err_format(&err, msg, sizeof(msg));
        for (const char *m = msg; *m; m++)
            if ((unsigned char)*m < 0x20 || (unsigned char)*m >= 0x7f)
                die("unprintable byte in error message", NULL);
        return 0;
    }
    if (n < 1 || n > ST_SENML_MAX_RECORDS || !out) die("bad record count", NULL);
    for (int i = 0; i < n; i++) {
        const st_obs *o = &out[i];
        check_record(o);
        char json[1024];
        int m = st_obs_to_json(o, json + 1, sizeof(json) - 2);
        if (m < 0) die("st_obs_to_json failed", o);
        json[0] = '[';
        json[m + 1] = ']';
        const st_obs *back;
        st_senml_err err2;
        if (st_senml_parse(q, json, (size_t)m + 2, NOW, &back, &err2) != 1) {
            char msg[300];
            st_senml_err_format(&err2, msg, sizeof(msg));
            fprintf(stderr, "fuzz_senml: %.*s: %s\n", m + 2, json, msg);
            die("printed record does not parse back", o);
        }
        if (strcmp(back->zone, o->zone) || strcmp(back->device, o->device) ||
            strcmp(back->name, o->name) || strcmp(back->unit, o->unit) || strcmp(back->vs, o->vs) ||
            back->qty != o->qty || back->sub != o->sub || back->v != o->v || back->t != o->t)
            die("printed record reads back different", o);
    }
    return 0;
}
