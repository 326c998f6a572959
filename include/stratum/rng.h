/* Seeded pseudo-random numbers for the simulator and the experiment: xoshiro256**. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_RNG_H
#define STRATUM_RNG_H

#include <stdint.h>

/* Generator state; plain data, so each owner (a zone of the simulator, an
 * experiment's stratum) keeps its own stream. Not for cryptography. */
typedef struct st_rng {
    uint64_t s[4];
} st_rng;

/* splitmix64 (Steele, Lea & Flood 2014): advances *x and returns the next
 * value; used to seed xoshiro and to derive independent seeds. */
uint64_t st_splitmix64(uint64_t *x);

/* Seed r from one 64-bit value through splitmix64 (every seed, 0 included,
 * gives a valid state). */
void st_rng_seed(st_rng *r, uint64_t seed);

/* Next 64 bits of xoshiro256** (Blackman & Vigna 2018). */
uint64_t st_rng_next(st_rng *r);

/* Uniform in [0, 1) with 53 random bits. */
double st_rng_unif(st_rng *r);

/* Standard normal (Box-Muller, one value per call so the number of draws per
 * call is fixed: streams stay aligned whatever the values). */
double st_rng_gauss(st_rng *r);

#endif
