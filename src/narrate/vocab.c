/* Interned word types: open-addressing hash table over a string arena. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/narrate_vocab.h"

typedef struct vtype {
    uint64_t hash;
    size_t off; /* into the arena */
    uint32_t len;
    long count;
} vtype;

struct st_vocab {
    vtype *types;
    size_t n, types_cap;
    uint32_t *slots; /* id + 1, 0 = empty; power-of-two size, load <= 1/2 */
    size_t mask;
    char *arena;
    size_t arena_len, arena_cap;
};

uint64_t st_vocab_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

st_vocab *st_vocab_new(size_t cap)
{
    st_vocab *v = calloc(1, sizeof(*v));
    if (!v) goto fail;
    if (cap < 16) cap = 16;
    size_t slots = 32;
    while (slots < cap * 2) slots <<= 1;
    v->types_cap = cap;
    v->types = malloc(cap * sizeof(vtype));
    v->slots = calloc(slots, sizeof(uint32_t));
    v->mask = slots - 1;
    v->arena_cap = cap * 12;
    v->arena = malloc(v->arena_cap);
    if (!v->types || !v->slots || !v->arena) goto fail;
    return v;
fail:
    st_vocab_free(v);
    errno = ENOMEM;
    return NULL;
}

void st_vocab_free(st_vocab *v)
{
    if (!v) return;
    free(v->types);
    free(v->slots);
    free(v->arena);
    free(v);
}

static long find_slot(const st_vocab *v, const char *s, size_t len, uint64_t hash, size_t *slot)
{
    size_t i = (size_t)hash & v->mask;
    for (;;) {
        uint32_t e = v->slots[i];
        if (!e) {
            *slot = i;
            return -1;
        }
        const vtype *t = &v->types[e - 1];
        if (t->hash == hash && t->len == len && !memcmp(v->arena + t->off, s, len)) return e - 1;
        i = (i + 1) & v->mask;
    }
}

static int grow_slots(st_vocab *v)
{
    size_t n = (v->mask + 1) * 2;
    uint32_t *s = calloc(n, sizeof(uint32_t));
    if (!s) return -ENOMEM;
    for (size_t id = 0; id < v->n; id++) {
        size_t i = (size_t)v->types[id].hash & (n - 1);
        while (s[i]) i = (i + 1) & (n - 1);
        s[i] = (uint32_t)(id + 1);
    }
    free(v->slots);
    v->slots = s;
    v->mask = n - 1;
    return 0;
}

long st_vocab_intern(st_vocab *v, const char *s, size_t len, uint64_t hash)
{
    if (len == 0 || len > ST_VOCAB_MAX_LEN) return -EINVAL;
    size_t slot;
    long id = find_slot(v, s, len, hash, &slot);
    if (id >= 0) return id;
    if (v->n >= UINT32_MAX - 1) return -ENOMEM;
    if (v->n == v->types_cap) {
        vtype *t = realloc(v->types, v->types_cap * 2 * sizeof(vtype));
        if (!t) return -ENOMEM;
        v->types = t;
        v->types_cap *= 2;
    }
    if (v->arena_len + len + 1 > v->arena_cap) {
        size_t c = v->arena_cap * 2 + len + 1;
        char *a = realloc(v->arena, c);
        if (!a) return -ENOMEM;
        v->arena = a;
        v->arena_cap = c;
    }
    vtype *t = &v->types[v->n];
    t->hash = hash;
    t->off = v->arena_len;
    t->len = (uint32_t)len;
    t->count = 0;
    memcpy(v->arena + v->arena_len, s, len);
    v->arena[v->arena_len + len] = '\0';
    v->arena_len += len + 1;
    id = (long)v->n++;
    if (v->n * 2 > v->mask + 1) {
        if (grow_slots(v) < 0) {
            v->n--; /* keep the table consistent: the type was not added */
            v->arena_len -= len + 1;
            return -ENOMEM;
        }
    } else {
        v->slots[slot] = (uint32_t)(id + 1);
    }
    return id;
}

long st_vocab_find(const st_vocab *v, const char *s, size_t len, uint64_t hash)
{
    size_t slot;
    return find_slot(v, s, len, hash, &slot);
}

size_t st_vocab_size(const st_vocab *v)
{
    return v->n;
}

const char *st_vocab_str(const st_vocab *v, size_t id, size_t *len)
{
    if (len) *len = v->types[id].len;
    return v->arena + v->types[id].off;
}

void st_vocab_add(st_vocab *v, size_t id, long n)
{
    v->types[id].count += n;
}

long st_vocab_count(const st_vocab *v, size_t id)
{
    return v->types[id].count;
}
