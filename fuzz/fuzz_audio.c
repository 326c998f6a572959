/* libFuzzer target: arbitrary bytes as an audio file (libsndfile virtual I/O) through the analyser.
 */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties checked on every input (abort() on violation):
 *   - st_source_open_memory either fails with a non-empty error line or gives
 *     a source with a rate in 16000..384000 and 1..64 channels;
 *   - reading never returns more frames than asked, and the analyser fed with
 *     whatever decodes (NaN and infinities included) yields seconds whose
 *     levels are finite or the -999 dB floor, and events with finite times,
 *     start <= end, and confidence in 0..1.
 * At most 20 s of decoded audio is analysed per input, to keep runs short.
 * Run: make fuzz && build-fuzz/fuzz_audio -runs=100000 NEW_DIR fuzz/corpus/audio
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_analyser.h"
#include "stratum/audio_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_second(const st_audio_second *s)
{
    const double v[] = {s->level.laeq, s->level.lafmax, s->level.lcpeak, s->crowd};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        if (!isfinite(v[i]) || v[i] < -999.0) abort();
    if (s->crowd < 0 || s->crowd > 1) abort();
    for (int b = 0; b < ST_BANDS_N; b++)
        if (!isnan(s->band_db[b]) && (!isfinite(s->band_db[b]) || s->band_db[b] < -999.0)) abort();
}

static void check_event(const st_audio_event *e)
{
    if (!isfinite(e->start) || !isfinite(e->end) || e->start > e->end + 1e-9) abort();
    if (!(e->confidence >= 0 && e->confidence <= 1)) abort();
    if (e->kind <= ST_EV_NONE || e->kind >= ST_EV__COUNT) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    st_source *src = st_source_open_memory(data, size, -1, err, sizeof(err));
    if (!src) {
        if (!err[0]) abort();
        return 0;
    }
    int rate = st_source_rate(src), ch = st_source_channels(src);
    if (rate < ST_SOURCE_MIN_RATE || rate > ST_SOURCE_MAX_RATE || ch < 1 || ch > 64) abort();
    st_analyser_config c;
    st_analyser_config_default(&c, rate);
    st_analyser *a = st_analyser_new(&c);
    if (!a) abort();
    static float x[4096];
    long total = 0, limit = 20L * rate;
    st_audio_second s;
    st_audio_event e;
    for (;;) {
        long got = st_source_read(src, x, 1024);
        if (got > 1024) abort();
        if (got <= 0) break;
        st_analyser_push(a, x, (size_t)got);
        while (st_analyser_next_second(a, &s)) check_second(&s);
        while (st_analyser_next_event(a, &e)) check_event(&e);
        if ((total += got) > limit) break;
    }
    st_analyser_flush(a);
    while (st_analyser_next_second(a, &s)) check_second(&s);
    while (st_analyser_next_event(a, &e)) check_event(&e);
    st_analyser_free(a);
    st_source_free(src);
    return 0;
}
