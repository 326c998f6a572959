/* bench/senml: SenML pack parsing throughput (records/s), median of 5 runs, against baselines. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generates 20,000 typical sound-meter packs (bn "z<k>/meter-<d>/", bt, 6
 * records: LAeq, LAFmax, LCpeak, band:1000, event:shout, crowd) and measures,
 * median of 5 runs over all packs:
 *   - baseline 1: jsmn tokenizing only (the floor: no checks, no numbers),
 *   - baseline 2: jansson json_loadb + json_decref (a general JSON parser),
 *   - stratum: st_senml_parse (tokenize, validate, resolve, range-check).
 * Prints records/s for each and the ratios. Target: >= 3,000,000 records/s.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "bench.h"

#include "stratum/senml.h"

#define NPACKS  20000
#define RECS    6
#define RUNS    5
#define PACKMAX 512

int main(void)
{
    char *packs = malloc((size_t)NPACKS * PACKMAX);
    size_t *lens = malloc(NPACKS * sizeof(*lens));
    st_senml *p = st_senml_new(ST_SENML_MAX_RECORDS);
    jsmntok_t *tok = malloc(4096 * sizeof(*tok));
    if (!packs || !lens || !p || !tok) {
        fprintf(stderr, "bench/senml: out of memory\n");
        return 1;
    }
    for (int i = 0; i < NPACKS; i++) {
        double laeq = 55 + (i % 300) / 10.0;
        int n = snprintf(packs + (size_t)i * PACKMAX, PACKMAX,
                         "[{\"bn\":\"z%d/meter-%d/\",\"bt\":%d,\"n\":\"LAeq\",\"u\":\"dB\","
                         "\"v\":%.1f},{\"n\":\"LAFmax\",\"u\":\"dB\",\"v\":%.1f},"
                         "{\"n\":\"LCpeak\",\"u\":\"dB\",\"v\":%.1f},"
                         "{\"n\":\"band:1000\",\"u\":\"dB\",\"v\":%.1f},"
                         "{\"n\":\"event:shout\",\"u\":\"/\",\"v\":%.2f},"
                         "{\"n\":\"crowd\",\"u\":\"/\",\"v\":%.2f}]",
                         i % 100, i % 1000, 1764270000 + i / 1000, laeq, laeq + 4.2, laeq + 12.5,
                         laeq - 5.3, (i % 100) / 100.0, (i % 50) / 50.0);
        lens[i] = (size_t)n;
    }
    /* Check once that every pack parses, so the timing measures success. */
    for (int i = 0; i < NPACKS; i++) {
        const st_obs *o;
        st_senml_err err;
        if (st_senml_parse(p, packs + (size_t)i * PACKMAX, lens[i], 1764270000, &o, &err) != RECS) {
            char msg[200];
            st_senml_err_format(&err, msg, sizeof(msg));
            fprintf(stderr, "bench/senml: pack %d refused: %s\n", i, msg);
            return 1;
        }
    }
    double t_jsmn[RUNS], t_jansson[RUNS], t_st[RUNS];
    volatile long sink = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now();
        for (int i = 0; i < NPACKS; i++) {
            jsmn_parser jp;
            jsmn_init(&jp);
            sink += jsmn_parse(&jp, packs + (size_t)i * PACKMAX, lens[i], tok, 4096);
        }
        double t1 = bench_now();
        for (int i = 0; i < NPACKS; i++) {
            json_t *j = json_loadb(packs + (size_t)i * PACKMAX, lens[i], 0, NULL);
            sink += j != NULL;
            json_decref(j);
        }
        double t2 = bench_now();
        for (int i = 0; i < NPACKS; i++) {
            const st_obs *o;
            sink += st_senml_parse(p, packs + (size_t)i * PACKMAX, lens[i], 1764270000, &o, NULL);
        }
        double t3 = bench_now();
        t_jsmn[r] = t1 - t0;
        t_jansson[r] = t2 - t1;
        t_st[r] = t3 - t2;
    }
    double recs = (double)NPACKS * RECS;
    double r_jsmn = recs / bench_median(t_jsmn, RUNS),
           r_jansson = recs / bench_median(t_jansson, RUNS);
    double r_st = recs / bench_median(t_st, RUNS);
    printf("senml parse, %d packs x %d records, median of %d runs:\n", NPACKS, RECS, RUNS);
    printf("  baseline jsmn tokenize only   %12.0f records/s\n", r_jsmn);
    printf("  baseline jansson json_loadb   %12.0f records/s\n", r_jansson);
    printf("  st_senml_parse                %12.0f records/s  (%.2fx jansson, %.2fx of jsmn)\n",
           r_st, r_st / r_jansson, r_st / r_jsmn);
    printf("  target                         3000000 records/s: %s\n",
           r_st >= 3e6 ? "met" : "NOT met");
    free(packs);
    free(lens);
    free(tok);
    st_senml_free(p);
    return sink == 42 ? 1 : 0;
}
