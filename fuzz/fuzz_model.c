/* libFuzzer target: arbitrary text as the analyser's trained event model (data/audio-model.txt). */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A model file comes from outside the program (--model FILE, or the file
 * shipped beside it), so its parser is fuzzed like any other. Properties
 * checked on every input (abort() on violation):
 *   - st_detect_model_parse either fails with a non-empty "line N: ..." error
 *     or gives a model;
 *   - a parsed model classifies segments whose features are finite (zeros,
 *     large, negative, and values taken from the input's bytes) without
 *     looping or reading outside its trees, returning a valid class with a
 *     probability in 0..1 and class probabilities that are each in 0..1.
 * Run: make fuzz && build-fuzz/fuzz_model -runs=100000 NEW_DIR fuzz/corpus/model
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/audio_detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    char err[256] = "";
    st_detect_model *m = st_detect_model_parse(text, err, sizeof(err));
    free(text);
    if (!m) {
        if (!err[0]) abort();
        return 0;
    }
    st_detect_params p;
    st_detect_params_default(&p);
    static const double fills[] = {0.0, 1.0, -1.0, 1e3, -1e3, 0.5};
    for (size_t k = 0; k < sizeof(fills) / sizeof(fills[0]) + 2; k++) {
        st_detect_segment s;
        memset(&s, 0, sizeof(s));
        s.start = 1.0;
        s.duration = 0.5 * (p.min_event_s + p.max_event_s); /* inside the gate */
        s.end = s.start + s.duration;
        for (size_t i = 0; i < ST_DETECT_NFEAT; i++) {
            if (k < sizeof(fills) / sizeof(fills[0]))
                s.feat[i] = fills[k] * (i % 2 ? 1 : -1);
            else /* features from the input's bytes, -8..8 */
                s.feat[i] = size ? ((double)data[(i * 7 + k) % size] - 128.0) / 16.0 : 0.0;
        }
        double conf = -1, prob[ST_DETECT_NCLASS];
        st_event_kind kind = st_detect_model_classify(m, &p, &s, &conf, prob);
        if (kind < ST_EV_NONE || kind >= ST_EV__COUNT) abort();
        if (!(conf >= 0 && conf <= 1)) abort();
        for (int c = 0; c < ST_DETECT_NCLASS; c++)
            if (!(prob[c] >= 0 && prob[c] <= 1)) abort();
    }
    st_detect_model_free(m);
    return 0;
}
