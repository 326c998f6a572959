/* bench/ingest: SenML parse + zone fusion + decision throughput, and resident memory. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generates a SenML stream from 1,000 devices in 100 zones (sound meters with 8
 * records a pack, counting cameras with 3), then measures, median of 5 runs:
 *   - baseline: jansson's json_loadb + json_decref of every pack (a well-kept
 *     general JSON parser doing only the parsing step),
 *   - stratum: st_senml_parse + st_engine_ingest + st_engine_step (parse, fuse,
 *     decide: zone scores, state machine, rules), on one core.
 * and prints records/s for both and their ratio. Memory: peak resident set
 * (VmHWM) of a process that ran the engine for 100 zones / 1,000 devices over
 * 10 simulated minutes, measured before the big stream buffer is allocated.
 * Target (issue 2): >= 1,000,000 records/s; <= 32 MB resident.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "stratum/config.h"
#include "stratum/engine.h"
#include "stratum/senml.h"
#include "stratum/senml_writer.h"

#define NZONES   100
#define NDEVICES 1000
#define RUNS     5

typedef struct stream {
    char *text; /* packs separated by NUL */
    size_t len, cap;
    size_t *off; /* pack offsets */
    size_t npacks, cap_packs;
    size_t *round_end; /* index of the first pack of the next second */
    size_t nrounds;
    uint64_t records;
} stream;

static long vm_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, field, n)) kb = strtol(line + n + 1, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* Writes device d's pack for second `sec` into buf; returns length and adds records. */
static int make_pack(char *buf, size_t cap, int d, double t0, int sec, uint64_t *records)
{
    char zone[16], dev[24];
    int z = d % NZONES;
    snprintf(zone, sizeof(zone), "z%d", z);
    /* A rising then falling level so zones move through states. */
    double phase = sin((sec + z * 7) / 90.0);
    double laeq = 62 + 14 * phase * phase + (d % 3);
    st_senml_writer w;
    if (d % 2 == 0) {
        snprintf(dev, sizeof(dev), "meter-%d", d);
        st_senml_writer_init(&w, buf, cap, zone, dev, t0 + sec);
        st_senml_writer_add(&w, "LAeq", "dB", laeq, 0);
        st_senml_writer_add(&w, "LAFmax", "dB", laeq + 4, 0);
        st_senml_writer_add(&w, "LCpeak", "dB", laeq + 12, 0);
        st_senml_writer_add(&w, "crowd", "/", 0.3 + 0.5 * phase * phase, 0);
        st_senml_writer_add(&w, "band:500", "dB", laeq - 6, 0);
        st_senml_writer_add(&w, "band:1000", "dB", laeq - 5, 0);
        st_senml_writer_add(&w, "band:2000", "dB", laeq - 7, 0);
        st_senml_writer_add(&w, (sec + d) % 17 == 0 ? "event:shout" : "band:4000",
                            (sec + d) % 17 == 0 ? "/" : "dB", (sec + d) % 17 == 0 ? 0.8 : laeq - 10,
                            0);
        *records += 8;
    } else {
        snprintf(dev, sizeof(dev), "cam-%d", d);
        st_senml_writer_init(&w, buf, cap, zone, dev, t0 + sec);
        st_senml_writer_add(&w, "peopleIn", "count", 2 + (sec % 3), 0);
        st_senml_writer_add(&w, "peopleOut", "count", 2 + ((sec + 1) % 3), 0);
        st_senml_writer_add(&w, "occupancy", "count", 150 + 200 * phase * phase, 0);
        *records += 3;
    }
    return st_senml_writer_finish(&w);
}

static int stream_build(stream *s, double t0, int seconds)
{
    memset(s, 0, sizeof(*s));
    s->cap = (size_t)seconds * NDEVICES * 400;
    s->cap_packs = (size_t)seconds * NDEVICES;
    s->text = malloc(s->cap);
    s->off = malloc(s->cap_packs * sizeof(size_t));
    s->round_end = malloc((size_t)seconds * sizeof(size_t));
    if (!s->text || !s->off || !s->round_end) return -ENOMEM;
    for (int sec = 0; sec < seconds; sec++) {
        for (int d = 0; d < NDEVICES; d++) {
            int n = make_pack(s->text + s->len, s->cap - s->len, d, t0, sec, &s->records);
            if (n < 0) return n;
            s->off[s->npacks++] = s->len;
            s->len += (size_t)n + 1;
            s->text[s->len - 1] = 0;
        }
        s->round_end[s->nrounds++] = s->npacks;
    }
    return 0;
}

static void zones_make(st_zone_def *zones)
{
    for (int i = 0; i < NZONES; i++) {
        memset(&zones[i], 0, sizeof(zones[i]));
        snprintf(zones[i].id, sizeof(zones[i].id), "z%d", i);
        snprintf(zones[i].title, sizeof(zones[i].title), "zone %d", i);
        zones[i].capacity = 400;
        zones[i].lamps = 4;
    }
}

/* One pass of parse + fuse + decide over the stream; returns seconds. */
static double run_stratum(const stream *s, const st_settings *set, const st_zone_def *zones,
                          uint64_t *transitions)
{
    st_senml *p = st_senml_new(ST_SENML_MAX_RECORDS);
    st_engine *e =
        st_engine_new(&set->engine, zones, NZONES, set->rules, set->nrules, NULL, 0, NULL);
    if (!p || !e) {
        fprintf(stderr, "bench/ingest: cannot create parser or engine: %s\n", strerror(errno));
        exit(1);
    }
    double start = bench_now();
    size_t k = 0;
    for (size_t r = 0; r < s->nrounds; r++) {
        double t = 0;
        for (; k < s->round_end[r]; k++) {
            const char *pack = s->text + s->off[k];
            size_t len = (k + 1 < s->npacks ? s->off[k + 1] : s->len) - s->off[k] - 1;
            const st_obs *obs;
            int n = st_senml_parse(p, pack, len, 0, &obs, NULL);
            if (n > 0) {
                st_engine_ingest(e, obs, (size_t)n);
                t = obs[0].t;
            }
        }
        st_engine_step(e, t);
    }
    double el = bench_now() - start;
    st_engine_stats es;
    st_engine_stats_get(e, &es);
    *transitions = es.transitions;
    st_engine_free(e);
    st_senml_free(p);
    return el;
}

static double run_jansson(const stream *s)
{
    double start = bench_now();
    for (size_t k = 0; k < s->npacks; k++) {
        const char *pack = s->text + s->off[k];
        size_t len = (k + 1 < s->npacks ? s->off[k + 1] : s->len) - s->off[k] - 1;
        json_error_t err;
        json_t *j = json_loadb(pack, len, 0, &err);
        if (!j) {
            fprintf(stderr, "bench/ingest: jansson refused pack %zu: %s\n", k, err.text);
            exit(1);
        }
        json_decref(j);
    }
    return bench_now() - start;
}

/* Peak RSS with the engine running 10 minutes of traffic generated on the fly. */
static long memory_phase(const st_settings *set, const st_zone_def *zones, double t0)
{
    st_senml *p = st_senml_new(ST_SENML_MAX_RECORDS);
    st_engine *e =
        st_engine_new(&set->engine, zones, NZONES, set->rules, set->nrules, NULL, 0, NULL);
    char buf[2048];
    uint64_t rec = 0;
    for (int sec = 0; sec < 600; sec++) {
        for (int d = 0; d < NDEVICES; d++) {
            int n = make_pack(buf, sizeof(buf), d, t0, sec, &rec);
            const st_obs *obs;
            int m = n > 0 ? st_senml_parse(p, buf, (size_t)n, 0, &obs, NULL) : -1;
            if (m > 0) st_engine_ingest(e, obs, (size_t)m);
        }
        st_engine_step(e, t0 + sec);
    }
    long hwm = vm_kb("VmHWM:");
    st_engine_free(e);
    st_senml_free(p);
    return hwm;
}

int main(int argc, char **argv)
{
    int seconds = 60;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: bench/ingest [SECONDS]\nSimulated seconds of traffic from %d devices in "
               "%d zones (default 60).\n",
               NDEVICES, NZONES);
        return 0;
    }
    if (argc > 1) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*end || v < 1 || v > 3600) {
            fprintf(stderr, "bench/ingest: SECONDS must be 1..3600\n");
            return 2;
        }
        seconds = (int)v;
    }
    st_settings *set = malloc(sizeof(*set));
    st_zone_def *zones = calloc(NZONES, sizeof(*zones));
    if (!set || !zones) return 1;
    st_settings_default(set);
    zones_make(zones);
    double t0 = 1795809600.0; /* 2026-11-27T20:00Z */

    long rss_kb = memory_phase(set, zones, t0);
    printf("memory: peak resident %.1f MB with %d devices, %d zones, 10 simulated minutes "
           "(target <= 32 MB)\n",
           rss_kb / 1024.0, NDEVICES, NZONES);

    stream s;
    if (stream_build(&s, t0, seconds) < 0) {
        fprintf(stderr, "bench/ingest: cannot build the stream\n");
        return 1;
    }
    printf("stream: %zu packs, %llu records, %.1f MB, %d simulated s\n", s.npacks,
           (unsigned long long)s.records, s.len / 1e6, seconds);
    double ts[RUNS], tj[RUNS];
    uint64_t transitions = 0;
    for (int i = 0; i < RUNS; i++) {
        tj[i] = run_jansson(&s);
        ts[i] = run_stratum(&s, set, zones, &transitions);
    }
    qsort(ts, RUNS, sizeof(double), bench_cmp_double);
    qsort(tj, RUNS, sizeof(double), bench_cmp_double);
    double rs = s.records / ts[RUNS / 2], rj = s.records / tj[RUNS / 2];
    printf("baseline jansson parse only:         median %.3f s  %10.0f records/s\n", tj[RUNS / 2],
           rj);
    printf("stratum parse + fuse + decide:       median %.3f s  %10.0f records/s "
           "(%llu transitions)\n",
           ts[RUNS / 2], rs, (unsigned long long)transitions);
    printf("ratio stratum/baseline: %.2f   target >= 1000000 records/s: %s\n", rs / rj,
           rs >= 1e6 ? "met" : "NOT met");
    free(s.text);
    free(s.off);
    free(s.round_end);
    free(zones);
    free(set);
    return 0;
}
