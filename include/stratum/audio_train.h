/* Fitting the audio event classifier that st_detect_model_parse reads: boosted trees, softmax. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIO_TRAIN_H
#define STRATUM_AUDIO_TRAIN_H

#include <stddef.h>
#include <stdio.h>

#include "stratum/audio_detect.h"

/* How a model is fitted (plain data; st_train_opts_default fills it). */
typedef struct st_train_opts {
    int trees;        /* boosting rounds, 0..2000 (0: logistic regression only) */
    int depth;        /* tree depth, 1..5 */
    int min_leaf;     /* fewest training segments in a leaf, >= 1 */
    double shrink;    /* boosting shrinkage, (0, 1] */
    double subsample; /* share of the segments each tree is grown on, (0, 1] (1: all) */
    int bags;         /* boosted models averaged, 1..8, each on subsamples of its own (> 1
                         needs subsample < 1); trees x 5 classes x bags <= 4000 */
    double l2;        /* ridge penalty of the logistic regression, >= 0 */
    double balance;   /* class weights (n / (classes n_c))^balance, >= 0 */
    unsigned char feat_off[ST_DETECT_NFEAT]; /* non-zero: a feature the model never sees */
} st_train_opts;

/* 100 rounds of depth 3, min leaf 5, shrinkage 0.1, every segment, one model,
 * l2 0.01, balance 0.5, every feature: the shipped model's settings
 * (docs/audio.md). */
void st_train_opts_default(st_train_opts *o);

/* A fitted classifier. Opaque. */
typedef struct st_train_model st_train_model;

/* Fit a five-class (none, shout, scream, glass, bang) classifier to n
 * segments: x holds n rows of ST_DETECT_NFEAT features, label n classes
 * 0..ST_DETECT_NCLASS-1 (0: none), o the options; all borrowed. The features
 * are standardised; with trees > 0 the model is gradient-boosted regression
 * trees for the softmax loss (Friedman, Ann. Stat. 29(5) 2001; Newton leaf
 * values -G / (H + 1), Chen & Guestrin, KDD 2016), else a logistic regression
 * fitted by full-batch gradient descent with Nesterov momentum. Deterministic:
 * the same inputs give the same model. Returns a model the caller frees with
 * st_train_model_free, or NULL + errno: EINVAL (n 0, a label or option out of
 * range, a non-finite feature), ENOMEM. */
st_train_model *st_train_fit(const double *x, const int *label, size_t n, const st_train_opts *o);

/* Free a model; NULL does nothing. */
void st_train_model_free(st_train_model *m);

/* Number of segments m (borrowed) was fitted to. */
size_t st_train_model_segments(const st_train_model *m);

/* Write m in the text format of st_detect_model_parse (docs/audio.md) to f:
 * thr holds the probability thresholds of the ST_DETECT_NCLASS - 1 event
 * classes (shout, scream, glass, bang), how one line on how the model was made
 * (NULL: none). All borrowed. 0, or -EIO when f reports a write error. */
int st_train_model_write(const st_train_model *m, FILE *f, const double *thr, const char *how);

/* The detector's model for m with thresholds thr (as st_train_model_write),
 * read back through st_detect_model_parse so that it is exactly what a written
 * file would give. Caller frees with st_detect_model_free. NULL + errno
 * (ENOMEM, EINVAL for a threshold outside (0, 1]). */
st_detect_model *st_train_model_detector(const st_train_model *m, const double *thr);

#endif
