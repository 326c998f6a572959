/* Seeded pseudo-random numbers: xoshiro256** seeded through splitmix64. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>

#include "stratum/rng.h"

uint64_t st_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void st_rng_seed(st_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = st_splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t st_rng_next(st_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double st_rng_unif(st_rng *r)
{
    return (double)(st_rng_next(r) >> 11) * 0x1.0p-53;
}

double st_rng_gauss(st_rng *r)
{
    double u = 1.0 - st_rng_unif(r), v = st_rng_unif(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
