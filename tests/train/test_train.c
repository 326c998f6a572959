/* Unit tests for src/train: fitting the audio event classifier, writing it, reading it back. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_test.h"
#include "stratum/audio_train.h"

#define NF  ST_DETECT_NFEAT
#define NTR 600

/* Rows (caller frees) and labels of a made-up task on features 3 and 10
 * (the rest noise): none where f3 < 0, else shout where f10 < 0 and bang
 * otherwise. Trees learn it; a linear model cannot (the bang / shout border
 * depends on f3's side). */
static double *new_task(int *lab, size_t n, unsigned seed)
{
    double *x = malloc(n * NF * sizeof(double));
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < NF; j++) x[i * NF + j] = 10.0 * rand() / RAND_MAX - 5.0;
        double f3 = x[i * NF + 3], f10 = x[i * NF + 10];
        lab[i] = f3 < 0 ? 0 : f10 < 0 ? 1 : 4;
    }
    return x;
}

/* Default options with `trees` boosting rounds. */
static st_train_opts opts_trees(int trees)
{
    st_train_opts o;
    st_train_opts_default(&o);
    o.trees = trees;
    return o;
}

/* Lines of text that start with prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        n += !strncmp(l, prefix, strlen(prefix));
    return n;
}

/* The detector's class for one row of features (a segment of 1 s). */
static st_event_kind classify_row(const st_detect_model *dm, const double *row)
{
    st_detect_params p;
    st_detect_params_default(&p);
    st_detect_segment s;
    memset(&s, 0, sizeof(s));
    s.duration = 1.0;
    memcpy(s.feat, row, sizeof(s.feat));
    double c;
    return st_detect_model_classify(dm, &p, &s, &c, NULL);
}

/* Share of rows the model classifies as labelled. */
static double accuracy(const st_detect_model *dm, const double *x, const int *lab, size_t n)
{
    static const st_event_kind kinds[ST_DETECT_NCLASS] = {ST_EV_NONE, ST_EV_SHOUT, ST_EV_SCREAM,
                                                          ST_EV_GLASS, ST_EV_BANG};
    size_t right = 0;
    for (size_t i = 0; i < n; i++) right += classify_row(dm, x + i * NF) == kinds[lab[i]];
    return (double)right / (double)n;
}

static char *written(const st_train_model *m, const double *thr)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    CHECK_EQ_INT(st_train_model_write(m, f, thr, "test_train"), 0);
    fclose(f);
    return buf;
}

static const double half[4] = {0.5, 0.5, 0.5, 0.5};

static void test_trees_learn_and_generalise(void)
{
    int lab[2 * NTR];
    double *x = new_task(lab, 2 * NTR, 7);
    st_train_opts o = opts_trees(30);
    st_train_model *m = st_train_fit(x, lab, NTR, &o); /* first half: training */
    CHECK(m != NULL);
    CHECK_EQ_INT((int)st_train_model_segments(m), NTR);
    st_detect_model *dm = st_train_model_detector(m, half);
    CHECK(dm != NULL);
    double fit = accuracy(dm, x, lab, NTR), held = accuracy(dm, x + NTR * NF, lab + NTR, NTR);
    CHECK(fit > 0.97);
    CHECK(held > 0.93); /* the second half was never seen */
    st_detect_model_free(dm);
    /* the same inputs give the same file, byte for byte */
    st_train_model *m2 = st_train_fit(x, lab, NTR, &o);
    char *a = written(m, half), *b = written(m2, half);
    CHECK_STR(a, b);
    CHECK(strstr(a, "# Trained by test_train on 600 segments, class balance 0.5.\n") != NULL);
    CHECK(strstr(a, "# Gradient-boosted trees: 30 rounds x 5 classes, depth 3") != NULL);
    free(a), free(b);
    st_train_model_free(m2);
    st_train_model_free(m);
    free(x);
}

static void test_linear_model(void)
{
    int lab[NTR];
    double *x = new_task(lab, NTR, 11);
    for (size_t i = 0; i < NTR; i++) lab[i] = x[i * NF + 3] < 0 ? 0 : 2; /* linear: scream */
    st_train_opts o = opts_trees(0);
    st_train_model *m = st_train_fit(x, lab, NTR, &o);
    CHECK(m != NULL);
    st_detect_model *dm = st_train_model_detector(m, half);
    CHECK(dm != NULL);
    CHECK(accuracy(dm, x, lab, NTR) > 0.97);
    char *t = written(m, half);
    CHECK(strstr(t, "# Logistic regression, l2 0.01.\n") != NULL);
    CHECK_EQ_INT(count_lines(t, "tree "), 0);
    free(t);
    st_detect_model_free(dm);
    st_train_model_free(m);
    free(x);
}

/* A feature left out is never split on, and the task then cannot be learnt
 * (beyond what the trees memorise of the noise). */
static void test_features_left_out(void)
{
    int lab[2 * NTR];
    double *x = new_task(lab, 2 * NTR, 13);
    st_train_opts o = opts_trees(20);
    o.feat_off[3] = 1;
    st_train_model *m = st_train_fit(x, lab, NTR, &o);
    CHECK(m != NULL);
    char *t = written(m, half);
    CHECK(count_lines(t, "node ") > count_lines(t, "node -1 ")); /* it splits */
    CHECK_EQ_INT(count_lines(t, "node 3 "), 0);
    st_detect_model *dm = st_train_model_detector(m, half);
    CHECK(accuracy(dm, x + NTR * NF, lab + NTR, NTR) < 0.7); /* held out; with it, > 0.93 */
    st_detect_model_free(dm);
    free(t);
    st_train_model_free(m);
    free(x);
}

/* Bagged boosting: K models on subsamples of their own, averaged. */
static void test_bags(void)
{
    int lab[2 * NTR];
    double *x = new_task(lab, 2 * NTR, 19);
    st_train_opts o = opts_trees(20);
    o.subsample = 0.5;
    st_train_model *one = st_train_fit(x, lab, NTR, &o);
    o.bags = 3;
    st_train_model *three = st_train_fit(x, lab, NTR, &o);
    CHECK(one != NULL && three != NULL);
    char *a = written(one, half), *b = written(three, half);
    CHECK_EQ_INT(count_lines(a, "tree "), 20 * ST_DETECT_NCLASS);
    CHECK_EQ_INT(count_lines(b, "tree "), 3 * 20 * ST_DETECT_NCLASS);
    CHECK(strstr(b, "; the mean of 3 such models, each on subsamples of 0.5.\n") != NULL);
    /* the first bag is the single model, its leaves divided by 3: compare the
     * first leaf of the first tree */
    double va = 0, vb = 0;
    CHECK(sscanf(strstr(a, "\nnode -1 "), "\nnode -1 0 0 0 %lf", &va) == 1);
    CHECK(sscanf(strstr(b, "\nnode -1 "), "\nnode -1 0 0 0 %lf", &vb) == 1);
    CHECK_NEAR(vb, va / 3, 1e-5 * fabs(va) + 1e-9);
    st_detect_model *dm = st_train_model_detector(three, half);
    CHECK(accuracy(dm, x + NTR * NF, lab + NTR, NTR) > 0.93);
    st_detect_model_free(dm);
    free(a), free(b);
    st_train_model_free(one);
    st_train_model_free(three);
    free(x);
}

/* Per-class thresholds are written and used: a threshold of 1 silences a class. */
static void test_thresholds(void)
{
    int lab[NTR];
    double *x = new_task(lab, NTR, 17);
    st_train_opts o = opts_trees(20);
    st_train_model *m = st_train_fit(x, lab, NTR, &o);
    const double thr[4] = {0.25, 0.5, 0.75, 1.0};
    char *t = written(m, thr);
    CHECK(strstr(t, "\nthreshold shout 0.25\nthreshold scream 0.5\nthreshold glass 0.75\n"
                    "threshold bang 1\n") != NULL);
    free(t);
    st_detect_model *dm = st_train_model_detector(m, thr);
    int bangs = 0;
    for (size_t i = 0; i < NTR; i++) bangs += classify_row(dm, x + i * NF) == ST_EV_BANG;
    CHECK_EQ_INT(bangs, 0);
    st_detect_model_free(dm);
    const double bad[4] = {0.5, 0.5, 0.5, 1.5};
    errno = 0;
    CHECK(st_train_model_detector(m, bad) == NULL);
    CHECK_EQ_INT(errno, EINVAL);
    st_train_model_free(m);
    free(x);
}

static void test_errors(void)
{
    double x[2 * NF] = {0};
    int lab[2] = {0, 1};
    st_train_opts o;
    st_train_opts_default(&o);
    errno = 0;
    CHECK(st_train_fit(x, lab, 0, &o) == NULL && errno == EINVAL);
    lab[1] = ST_DETECT_NCLASS;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    lab[1] = -1;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    lab[1] = 1;
    x[NF + 5] = NAN;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    x[NF + 5] = 0;
    o.depth = 6;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    st_train_opts_default(&o);
    o.bags = 2; /* bags need subsamples of their own */
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    o.subsample = 0.5, o.bags = 9;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    o.trees = 1000, o.bags = 2; /* more trees than a model file may hold */
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    st_train_opts_default(&o);
    o.subsample = 0;
    errno = 0;
    CHECK(st_train_fit(x, lab, 2, &o) == NULL && errno == EINVAL);
    /* two segments are too few to split (min leaf 5), yet make a model */
    st_train_opts_default(&o);
    st_train_model *m = st_train_fit(x, lab, 2, &o);
    CHECK(m != NULL);
    st_detect_model *dm = st_train_model_detector(m, half);
    CHECK(dm != NULL);
    st_detect_model_free(dm);
    st_train_model_free(m);
    st_train_model_free(NULL);
}

int main(void)
{
    RUN(test_trees_learn_and_generalise);
    RUN(test_linear_model);
    RUN(test_features_left_out);
    RUN(test_bags);
    RUN(test_thresholds);
    RUN(test_errors);
    return TEST_END("audio/train");
}
