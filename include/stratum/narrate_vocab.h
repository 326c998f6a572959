/* Interned word types for narrative analysis: string -> dense id, with counts. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_VOCAB_H
#define STRATUM_NARRATE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

/* Longest type kept, in bytes; the tokeniser never produces longer tokens. */
#define ST_VOCAB_MAX_LEN 255

typedef struct st_vocab st_vocab; /* opaque */

/* 64-bit FNV-1a (Fowler, Noll, Vo; IETF draft-eastlake-fnv) over len bytes;
 * the tokeniser computes the same value incrementally. */
uint64_t st_vocab_hash(const char *s, size_t len);

/* A vocabulary sized for about cap types (it grows by doubling past that, so
 * interning a type not seen before may allocate; looking up never does).
 * Returns NULL and sets errno (ENOMEM) on failure. Caller frees. */
st_vocab *st_vocab_new(size_t cap);
void st_vocab_free(st_vocab *v);

/* Id of the type s[0..len) whose st_vocab_hash is hash, adding it with count 0
 * if new (s is copied). Returns the id (>= 0) or -ENOMEM, -EINVAL if len is 0
 * or above ST_VOCAB_MAX_LEN. */
long st_vocab_intern(st_vocab *v, const char *s, size_t len, uint64_t hash);

/* Id of s[0..len) or -1 if absent. */
long st_vocab_find(const st_vocab *v, const char *s, size_t len, uint64_t hash);

/* Number of types; ids are 0..size-1 in order of first interning. */
size_t st_vocab_size(const st_vocab *v);

/* The type's text (borrowed, NUL-terminated, valid until st_vocab_free) and
 * its length through len (may be NULL). id must be < size. */
const char *st_vocab_str(const st_vocab *v, size_t id, size_t *len);

/* The count attached to a type: st_vocab_add adds n, st_vocab_count reads. */
void st_vocab_add(st_vocab *v, size_t id, long n);
long st_vocab_count(const st_vocab *v, size_t id);

#endif
