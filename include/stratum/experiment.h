/* Experiment: which arm an escalation episode gets (stratified permuted-block
 * randomisation, Thompson sampling, or a pinned policy) and which interventions
 * that arm allows. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_EXPERIMENT_H
#define STRATUM_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/policy.h"

#define ST_EXP_MAX_ARMS   8    /* intervention arms, besides the control arm */
#define ST_EXP_ACTIONS    160  /* "scene:calm-warm,music:calm" */
#define ST_EXP_MAX_ACTION 8    /* actions per arm */
#define ST_EXP_STRATA     9    /* 3 time-of-night bands x 3 crowd bands */
#define ST_EXP_CONTROL    0    /* arm index of the control arm */
#define ST_EXP_RULES      (-1) /* "arm" of episodes under the plain rule policy */

/* How episodes get their arm. RULES: no experiment, the rules apply as
 * configured (episodes are still recorded, as observational data). FIXED: one
 * pinned arm. CONTROL: always the control arm. RANDOM: stratified permuted-block
 * randomisation. THOMPSON: Beta-Bernoulli Thompson sampling on "settled within
 * the window". */
typedef enum st_exp_policy {
    ST_EXP_POLICY_RULES = 0,
    ST_EXP_POLICY_FIXED,
    ST_EXP_POLICY_CONTROL,
    ST_EXP_POLICY_RANDOM,
    ST_EXP_POLICY_THOMPSON
} st_exp_policy;

/* "rules", "fixed", "control", "random", "thompson" (static); parse gives -1 if unknown. */
const char *st_exp_policy_name(st_exp_policy p);
int st_exp_policy_parse(const char *s);

/* One intervention arm ([arm NAME] section): the actions, "kind:name" joined by
 * commas, that the rules may apply in an episode of this arm. */
typedef struct st_exp_arm {
    char name[ST_ID_MAX];
    char actions[ST_EXP_ACTIONS];
} st_exp_arm;

/* Experiment parameters ([experiment] section). All-zero is valid and means
 * "rules, window 600 s, default bands": engines built from older settings keep
 * their behaviour. */
typedef struct st_exp_params {
    st_exp_policy policy;
    char fixed_arm[ST_ID_MAX]; /* policy fixed: arm name ("control" allowed) */
    uint64_t seed;             /* randomisation seed; 0 = draw one at start */
    double window_s;           /* outcome window; <= 0 means 600 */
    double washout_s; /* a zone must have been below tense this long before a new episode opens
                         there (st_episodes_starts); 0 = no washout */
    int block_size;   /* permuted block per stratum; <= 0: 2 x arms */
    char control_scene[ST_ACTION_MAX]; /* control applies this scene at episode start; "" = nothing
                                        */
    int peak_from, late_from;     /* local hours: early < peak_from <= peak < late_from <= late;
                                     equal (e.g. both 0) means 23 and 2 */
    double crowd_low, crowd_high; /* occupancy / capacity band edges; both 0: 0.4, 0.8 */
    double prior_weight;          /* Thompson: pooled evidence counts as at most this many
                                     episodes per arm (st_experiment_set_prior) */
    int prior_from_pooled;        /* Thompson: the run loop seeds the priors from imported
                                     evidence at start (st_report_seed_priors); the
                                     experiment itself does not read it */
    st_exp_arm arms[ST_EXP_MAX_ARMS];
    size_t narms;
} st_exp_params;

/* Fill p with the documented defaults (rules, 600 s, blocks of 2 x arms, bands
 * 23/2 h and 0.4/0.8, prior weight 20, no arms). */
void st_exp_params_default(st_exp_params *p);

/* The assignment of one episode. Plain data. */
typedef struct st_exp_assignment {
    int arm;              /* 0 = control, 1..narms, or ST_EXP_RULES */
    int stratum;          /* 0..ST_EXP_STRATA-1 */
    st_exp_policy policy; /* the policy that chose it */
    uint64_t seed;        /* RANDOM: the seed of the stratum's block (the permutation
                             is recomputed from it); THOMPSON: the experiment seed */
    int64_t draw;         /* RANDOM: position in the stratum's sequence; THOMPSON:
                             decision number; else 0 */
} st_exp_assignment;

typedef struct st_experiment st_experiment; /* opaque */

/* p is copied. NULL + errno: EINVAL for an arm without a valid name or with
 * unparsable actions, a duplicate arm name, a pinned arm that does not exist,
 * or a randomised policy with no arms. Allocates once; nothing after. */
st_experiment *st_experiment_new(const st_exp_params *p);
void st_experiment_free(st_experiment *x);

st_exp_policy st_experiment_policy(const st_experiment *x);
uint64_t st_experiment_seed(const st_experiment *x);  /* the seed in use (drawn if p->seed was 0) */
double st_experiment_window(const st_experiment *x);  /* outcome window, s */
double st_experiment_washout(const st_experiment *x); /* washout before an episode, s */
size_t st_experiment_arm_count(const st_experiment *x); /* arms including control */
/* "control", an arm's name, or "rules" for ST_EXP_RULES; NULL if out of range. Borrowed. */
const char *st_experiment_arm_name(const st_experiment *x, int arm);
/* Arm index by name, -1 if unknown ("control" is 0). */
int st_experiment_arm_find(const st_experiment *x, const char *name);

/* Stratum of an episode that starts at local hour `hour` with occupancy /
 * capacity `crowd` (NAN = unknown: counted as the middle band). */
int st_experiment_stratum(const st_experiment *x, int hour, double crowd);
/* "early/low", "peak/high"... (static); NULL if out of range. */
const char *st_experiment_stratum_name(int stratum);
int st_experiment_stratum_parse(const char *s); /* -1 if unknown */

/* Choose the arm of a new episode in `stratum`. Allocates nothing. 0 or -EINVAL. */
int st_experiment_assign(st_experiment *x, int stratum, st_exp_assignment *out);

/* Validation only (bench/evidence-coverage's per-episode counterfactual
 * truth): after each assignment of an arm (control included), fn(ctx, arm, k)
 * may return another arm in 0..k-1 (k = arms including control) to use
 * instead; any other value keeps the assigned one. NULL removes the hook;
 * ctx is borrowed. Production code never sets it. */
typedef int (*st_experiment_hook_fn)(void *ctx, int arm, size_t k);
void st_experiment_set_hook(st_experiment *x, st_experiment_hook_fn fn, void *ctx);

/* 1 if an episode of `arm` may apply action (kind, name), else 0. Rules
 * allows everything; control allows nothing (its scene is applied by the engine
 * at episode start). */
int st_experiment_allows(const st_experiment *x, int arm, st_act_kind kind, const char *name);

/* Record an episode's result ("settled": back below tense within the window,
 * without an incident) for Thompson sampling. Ignored for other arms. */
void st_experiment_outcome(st_experiment *x, int arm, int settled);

/* Seed arm's Beta prior from pooled counts: successes s and failures f are
 * scaled down so that s + f is at most prior_weight, then added to Beta(1, 1).
 * 0 or -EINVAL. */
int st_experiment_set_prior(st_experiment *x, int arm, double s, double f);
/* Current Beta(alpha, beta) of arm. */
void st_experiment_posterior(const st_experiment *x, int arm, double *alpha, double *beta);
/* An operator pins the policy for the episodes that open from now on: a
 * policy name (rules, control, random, thompson) or an arm's name (the policy
 * becomes fixed on that arm). Open episodes keep their arm. 0, -ENOENT for an
 * unknown name, -EINVAL ("fixed" without an arm, randomising without arms). */
int st_experiment_pin(st_experiment *x, const char *what);

/* Arm with the highest posterior mean (ties: the lower index). */
int st_experiment_best_arm(const st_experiment *x);

#endif
