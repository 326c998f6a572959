/* Timelines for `stratum map`: posts per interval per series, as CSV and as an SVG plot. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_TIMELINE_H
#define STRATUM_MAP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct st_map_timeline st_map_timeline;

/* Empty timeline with bins of `interval` seconds aligned to the Unix epoch
 * (1 h bins start on the hour, UTC). NULL + errno (EINVAL, ENOMEM). */
st_map_timeline *st_map_timeline_new(int64_t interval);
void st_map_timeline_free(st_map_timeline *tl);

/* Count one post at time t in the series named [name, name + len) (borrowed,
 * copied; case kept). Returns 0, -EINVAL or -ENOMEM. */
int st_map_timeline_add(st_map_timeline *tl, const char *name, size_t len, int64_t t);

/* Posts counted, series, and the count of one series in the bin holding t
 * (0 when unknown). */
int64_t st_map_timeline_total(const st_map_timeline *tl);
size_t st_map_timeline_nseries(const st_map_timeline *tl);
int64_t st_map_timeline_get(const st_map_timeline *tl, const char *name, size_t len, int64_t t);

/* Long-form CSV (RFC 4180) "interval_start,series,posts", one row per bin
 * from the first to the last bin with posts (zeros included) for each of the
 * `top` series with most posts (0 = all; ties by name), series in that
 * order. Returns 0 or -EIO / -ENOMEM. */
int st_map_timeline_write_csv(const st_map_timeline *tl, FILE *f, size_t top);

/* The same series as a line plot in SVG 1.1 (our own writer: axes in UTC,
 * a legend, one colour per series; at most 10 series are drawn). title is
 * borrowed, may be NULL. Returns 0, -EIO or -ENOMEM. */
int st_map_timeline_write_svg(const st_map_timeline *tl, FILE *f, size_t top, const char *title);

#endif
