/* Edge audio analyser: levels, bands, features and events per second from a sample stream. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_ANALYSER_H
#define STRATUM_AUDIO_ANALYSER_H

#include <stddef.h>
#include "stratum/audio_bands.h"
#include "stratum/audio_detect.h"
#include "stratum/audio_level.h"

/* Settings (plain data). */
typedef struct st_analyser_config {
    double fs;     /* input sample rate, 16000..384000 Hz */
    double cal_db; /* calibration offset (see st_level_result) for this microphone */
    double ring_s; /* ring buffer length in seconds (0.05..2); the only place samples live */
    st_detect_params detect;
    const st_detect_model *model; /* trained event classifier (borrowed, must outlive the
                                   * analyser); NULL uses the hand-written rules */
} st_analyser_config;

/* Defaults: cal_db 100 (a full-scale square wave reads 100 dB), ring 0.25 s,
 * no model (rules). */
void st_analyser_config_default(st_analyser_config *c, double fs);

/* Results of one second of input (the last may be shorter). Plain data. */
typedef struct st_audio_second {
    double t;                        /* start, seconds from the start of the stream */
    st_level_result level;           /* LAeq, LAFmax, LCpeak... and clipping/silence flags */
    double band_db[ST_BANDS_N];      /* 1/3-octave band levels; NAN where not available */
    double crowd;                    /* crowd babble level 0..1 */
    double event_conf[ST_EV__COUNT]; /* highest confidence of events closed this second */
} st_audio_second;

typedef struct st_analyser st_analyser; /* opaque */

/* NULL + errno (EINVAL for a bad config, ENOMEM). All buffers are sized here. */
st_analyser *st_analyser_new(const st_analyser_config *c);
void st_analyser_free(st_analyser *a);

/* Largest sample magnitude analysed (+80 dB re full scale); beyond it samples
 * are limited to it (and flagged as clipped, like any sample at full scale). */
#define ST_ANALYSER_MAX_ABS 1.0e4f

/* Copy n mono samples (borrowed, nominal range -1..1) into the ring buffer and
 * analyse whatever fills a block. Non-finite samples are treated as 0 and
 * counted (st_analyser_bad_samples); finite ones beyond +-ST_ANALYSER_MAX_ABS
 * are limited to it. Returns 0; allocates nothing. Results
 * queue up; read them with st_analyser_next_second / _next_event after every
 * push (the queues hold 8 seconds and 32 events; older entries are dropped
 * and counted if not read). */
int st_analyser_push(st_analyser *a, const float *x, size_t n);

/* End of stream: analyse what is left in the ring, close the partial second
 * and any open event segment. */
int st_analyser_flush(st_analyser *a);

/* Pop the next finished second / event. Return 1 if one was copied, else 0. */
int st_analyser_next_second(st_analyser *a, st_audio_second *out);
int st_analyser_next_event(st_analyser *a, st_audio_event *out);

/* Optional observer of every closed segment (for evaluation and tuning); the
 * pointer is borrowed for the duration of the call. */
typedef void (*st_analyser_segment_fn)(void *ctx, const st_detect_segment *s);
void st_analyser_set_segment_observer(st_analyser *a, st_analyser_segment_fn fn, void *ctx);

/* Counters: samples that were NaN/inf, and queue entries dropped. */
long st_analyser_bad_samples(const st_analyser *a);
long st_analyser_dropped(const st_analyser *a);

/* Analysis rates chosen for this input (spectral features and pitch). */
void st_analyser_rates(const st_analyser *a, double *fa, double *fp);

#endif
