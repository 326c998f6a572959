/* Token-bucket rate limits per device id in a fixed open-addressing table. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ID_CAP 32 /* ids longer than 31 bytes share the overflow bucket */

typedef struct bucket {
    char id[ID_CAP];
    unsigned char used;
    double tokens, last;
} bucket;

struct st_ratelimit {
    double rate, burst;
    size_t cap, nslots, used;
    bucket *slot;
    bucket overflow;
};

st_ratelimit *st_ratelimit_new(size_t capacity, double rate, double burst)
{
    if (capacity == 0 || capacity > (1u << 24) || !(rate > 0) || !(burst >= 1)) {
        errno = EINVAL;
        return NULL;
    }
    st_ratelimit *r = calloc(1, sizeof(*r));
    if (!r) goto fail;
    r->rate = rate;
    r->burst = burst;
    r->cap = capacity;
    /* Load factor <= 1/2 keeps probes short. */
    r->nslots = 16;
    while (r->nslots < 2 * capacity) r->nslots *= 2;
    r->slot = calloc(r->nslots, sizeof(*r->slot));
    if (!r->slot) goto fail;
    r->overflow.tokens = burst;
    r->overflow.last = -1;
    return r;
fail:
    st_ratelimit_free(r);
    errno = ENOMEM;
    return NULL;
}

void st_ratelimit_free(st_ratelimit *r)
{
    if (!r) return;
    free(r->slot);
    free(r);
}

/* FNV-1a, 64-bit. */
static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bucket *find(st_ratelimit *r, const char *id, size_t len)
{
    if (len == 0 || len >= ID_CAP) return &r->overflow;
    size_t mask = r->nslots - 1, i = (size_t)hash(id, len) & mask;
    for (;;) {
        bucket *b = &r->slot[i];
        if (!b->used) {
            if (r->used >= r->cap) return &r->overflow;
            b->used = 1;
            memcpy(b->id, id, len);
            b->id[len] = 0;
            b->tokens = r->burst;
            b->last = -1;
            r->used++;
            return b;
        }
        if (!memcmp(b->id, id, len) && b->id[len] == 0) return b;
        i = (i + 1) & mask;
    }
}

int st_ratelimit_allow(st_ratelimit *r, const char *id, size_t len, double now)
{
    bucket *b = find(r, id, len);
    if (b->last >= 0 && now > b->last) {
        b->tokens += (now - b->last) * r->rate;
        if (b->tokens > r->burst) b->tokens = r->burst;
    }
    if (b->last < 0 || now > b->last) b->last = now;
    if (b->tokens < 1) return 0;
    b->tokens -= 1;
    return 1;
}

size_t st_ratelimit_size(const st_ratelimit *r)
{
    return r->used;
}
