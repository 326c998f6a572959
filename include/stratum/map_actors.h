/* Actor-type table for `stratum map`: web domains tagged media, academia, NGO, government... */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_ACTORS_H
#define STRATUM_MAP_ACTORS_H

#include <stddef.h>

typedef struct st_map_actors st_map_actors;

/* Load a tab-separated list, one "URL-or-domain<TAB>actor type" per line
 * ('#' starts a comment line; blank lines are ignored), the form of a
 * document list tagged by actor type (Poletti & Michieli). The URL's host is
 * what counts ("https://www.bbc.co.uk/news" tags bbc.co.uk). path is borrowed.
 * On failure returns NULL and writes "FILE:LINE: why" into err (cap bytes). */
st_map_actors *st_map_actors_load(const char *path, char *err, size_t cap);
void st_map_actors_free(st_map_actors *a);

/* Number of entries. */
size_t st_map_actors_count(const st_map_actors *a);

/* Actor type of a domain (lower-case, no "www."), matching the longest listed
 * domain that equals it or is a parent of it ("news.bbc.co.uk" matches
 * "bbc.co.uk"). Returns a string owned by the table, or NULL. */
const char *st_map_actors_lookup(const st_map_actors *a, const char *domain, size_t n);

/* The host of url [url, url + n) (borrowed), lower-cased, without a leading
 * "www.", port or user info, into out (cap bytes, NUL-terminated). Returns its
 * length, or -EINVAL when there is no host (or it does not fit). */
int st_map_actors_domain(const char *url, size_t n, char *out, size_t cap);

#endif
