/* Rolling time windows: bucketed sums, counts and maxima over observation time. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ENGINE_WINDOW_H
#define STRATUM_ENGINE_WINDOW_H

/* Private to src/engine (not installed). A window keeps a ring of fixed-width
 * buckets indexed by absolute bucket number floor(t / bucket_s), sized for the
 * longest of up to ST_WINDOW_SPANS registered spans. For each span it keeps a
 * running sum and count, so a push and a query are O(1) whatever the span;
 * running sums are recomputed exactly once per ring turn so that
 * floating-point add/subtract drift stays bounded (amortised O(1)).
 *
 * Time is observation time only (never the wall clock): replays and fast
 * simulation give the same results as real time. A span of W seconds covers
 * the buckets (head - n, head] with n = ceil(W / bucket_s), head being the
 * bucket of the newest time seen (by a push or an advance); it therefore
 * includes the current, partly filled bucket. */

#include <stddef.h>
#include <stdint.h>

#define ST_WINDOW_SPANS 4

typedef struct st_window st_window; /* opaque */

/* New window with buckets of bucket_s seconds and spans_s[0..nspans) (each
 * > 0, at most 1 day; nspans 1..ST_WINDOW_SPANS; spans_s is copied). Returns
 * NULL with errno EINVAL or ENOMEM. */
st_window *st_window_new(double bucket_s, const double *spans_s, size_t nspans);
void st_window_free(st_window *w);

/* Add value x observed at time t (x is summed, counted once and maxed).
 * Moves the window forward if t is newer than anything seen. Returns 0, or
 * -EINVAL if t or x is not finite or t falls before the longest span. */
int st_window_push(st_window *w, double t, double x);

/* Move the end of the window to time now (no-op if now is not newer than the
 * newest time seen). Buckets that fall out of a span leave its sums. */
void st_window_advance(st_window *w, double now);

/* Sum and count of span i (0-based, as registered) at the current end. O(1).
 * Unknown i gives 0 and 0. */
void st_window_get(const st_window *w, size_t span, double *sum, double *count);

/* Length in seconds actually covered by span i (n buckets * bucket_s). */
double st_window_span_s(const st_window *w, size_t span);

/* Largest value pushed within span i, or -INFINITY if none. O(span/bucket):
 * meant for occasional reads, not the per-observation path. */
double st_window_max(const st_window *w, size_t span);

#endif
