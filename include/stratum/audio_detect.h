/* Raucous-event detection (shout, scream, glass, bang) and crowd babble from frame features. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_DETECT_H
#define STRATUM_AUDIO_DETECT_H

#include <stddef.h>
#include "stratum/audio_features.h"
#include "stratum/obs.h"

/* Decision thresholds (docs/audio.md explains each rule). Plain data; set with
 * st_detect_params_default and override with st_detect_params_set. */
typedef struct st_detect_params {
    double bg_up_s;             /* background tracker rise time constant (s) */
    double bg_down_s;           /* background tracker fall time constant (s) */
    double active_db;           /* frame is active when level >= background + active_db */
    double gap_s;               /* inactive time that closes a segment */
    double min_event_s;         /* shorter segments (one or two frames) are blips */
    double max_event_s;         /* longer segments are sustained sound, not events */
    double merge_s;             /* events of one kind closer than this merge into one */
    double impulse_onset_db;    /* attack: 4 ms energy rise over the previous 40 ms */
    double impulse_decay_db;    /* level drop from the peak to the following 0.1-0.6 s */
    double impulse_min_prom_db; /* impulsive: peak at least this above the background */
    double impulse_max_voiced;  /* impulsive segments are mostly unvoiced */
    double bang_min_flatness;   /* bang: noise-like spectrum (spectral flatness at least this) */
    double glass_hf_db;         /* glass: power above 1 kHz exceeds power below by this */
    double glass_centroid_hz;   /* glass: spectral centroid at least this */
    double voice_thr;           /* frame is voiced when YIN voicing >= this */
    double min_voiced_frac;     /* shout/scream: voiced share of active frames */
    double min_voiced_run_s;    /* shout/scream: longest continuous voiced run */
    double scream_f0_hz;        /* scream: median F0 at least this */
    double scream_run_s;        /* scream: longest voiced run at least this (a held vowel) */
    double shout_f0_hz;         /* shout: median F0 at least this (raised vocal effort) */
    double shout_hf_db;         /* shout: hf_ratio at least this (flatter spectral tilt) */
    double
        max_pitch_stability; /* voice, not horn/siren/instrument: share of steady-F0 frame pairs */
    double min_confidence;   /* events below this confidence are dropped */
    double onset_within_db;  /* a segment starts at its first frame within this of its peak */
} st_detect_params;

void st_detect_params_default(st_detect_params *p);

/* Set one parameter by name ("scream_f0_hz", ...) from text (strtod, range
 * checked). 0, or -EINVAL (unknown key or bad value) / -ERANGE. */
int st_detect_params_set(st_detect_params *p, const char *key, const char *value);

/* Name of parameter i (0-based) and its value, for listing; NULL past the end. */
const char *st_detect_params_name(size_t i, const st_detect_params *p, double *value);

/* A detected event, times in seconds from the start of the stream. */
typedef struct st_audio_event {
    st_event_kind kind;
    double start, end;
    double confidence; /* 0..1 */
} st_audio_event;

/* Number of entries of the per-segment feature vector (st_detect_segment.feat)
 * that the trained classifier sees; st_detect_feature_name names them. */
#define ST_DETECT_NFEAT 72

/* Per-segment summary, exposed for evaluation, training and docs (plain data). */
typedef struct st_detect_segment {
    double start, end, duration;
    double peak_prominence_db, attack_db, decay_db;
    double voiced_frac, voiced_run_s, median_f0, pitch_stability;
    double hf_ratio_db, centroid_hz, flatness;
    double rise_s;                /* onset to loudest frame */
    size_t n_peaks;               /* level peaks (6 dB hysteresis) from the onset */
    double feat[ST_DETECT_NFEAT]; /* statistics over the segment's frames, see docs/audio.md */
} st_detect_segment;

/* Name of feature i of st_detect_segment.feat ("log_duration", ...); NULL past the end. */
const char *st_detect_feature_name(size_t i);

/* A trained segment classifier: multinomial logistic regression over the
 * standardised feature vector, classes none/shout/scream/glass/bang, one
 * probability threshold per event class. Opaque; read from the text format
 * documented in docs/audio.md (data/audio-model.txt in the repository). */
typedef struct st_detect_model st_detect_model;

/* Parse a model from text (borrowed, NUL-terminated). NULL + errno (EINVAL,
 * ENOMEM) on failure, with one line "line N: why" in err (errcap bytes). The
 * feature names must be exactly those of this library, in order. */
st_detect_model *st_detect_model_parse(const char *text, char *err, size_t errcap);
/* Read and parse a model file (path borrowed); as st_detect_model_parse, and
 * the error line starts with the path. */
st_detect_model *st_detect_model_load(const char *path, char *err, size_t errcap);
void st_detect_model_free(st_detect_model *m);

/* Classify one segment summary with model m (both borrowed): the most
 * probable class if it is an event class whose probability reaches its
 * threshold, else ST_EV_NONE; the probability goes to *conf. If prob is not
 * NULL it receives the ST_DETECT_NCLASS class probabilities (none, shout,
 * scream, glass, bang). Segments outside min_event_s..max_event_s of p are
 * ST_EV_NONE. Allocates nothing. */
#define ST_DETECT_NCLASS 5
st_event_kind st_detect_model_classify(const st_detect_model *m, const st_detect_params *p,
                                       const st_detect_segment *s, double *conf, double *prob);

typedef struct st_detect st_detect; /* opaque */

/* Detector for frames of frame_s seconds with parameters p (copied) and an
 * optional trained model (borrowed, must outlive the detector; NULL uses the
 * hand-written rules of st_detect_classify). NULL + errno (EINVAL, ENOMEM). */
st_detect *st_detect_new(const st_detect_params *p, double frame_s);
st_detect *st_detect_new_with_model(const st_detect_params *p, double frame_s,
                                    const st_detect_model *model);
void st_detect_free(st_detect *d);

/* Feed one frame's features (borrowed) ending at time t (s). If seg is not
 * NULL it receives the summary of a segment that closed in this call (event or
 * not) and *closed is set to 1 (else 0). Events of one kind closer than
 * merge_s are merged, so an event is released up to merge_s after it ends;
 * collect released events with st_detect_next_event after each call.
 * Allocates nothing. */
void st_detect_push(st_detect *d, const st_frame_features *f, double t, st_detect_segment *seg,
                    int *closed);

/* End of stream: close an open segment and release the pending event. */
void st_detect_flush(st_detect *d, st_detect_segment *seg, int *closed);

/* Pop the next released event into *ev: 1 if one was copied, else 0. */
int st_detect_next_event(st_detect *d, st_audio_event *ev);

/* Crowd babble level 0..1 over the frames since the last call (share of
 * babble-like frames), and reset. 0 if no frame was pushed. */
double st_detect_take_crowd(st_detect *d);

/* Classify a closed segment summary with parameters p: returns the kind
 * (ST_EV_NONE for none) and the confidence in *conf. */
st_event_kind st_detect_classify(const st_detect_params *p, const st_detect_segment *s,
                                 double *conf);

#endif
