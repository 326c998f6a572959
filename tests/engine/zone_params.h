/* Test fixture: the zone parameters documented in docs/engine.md (baseline 60 dB). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ST_TEST_ZONE_PARAMS_H
#define ST_TEST_ZONE_PARAMS_H

#include "stratum/zone.h"

static inline st_zone_params test_zone_params(void)
{
    st_zone_params p = {
        .win_short_s = 10,
        .win_mid_s = 60,
        .win_long_s = 300,
        .w_crowd = 0.25,
        .w_noise = 0.35,
        .w_events = 0.3,
        .w_trend = 0.1,
        .noise_span_db = 15,
        .event_rate_span = 6,
        .trend_span_db = 10,
        .event_min_conf = 0.5,
        .baseline_db = 60,
        .baseline_alpha = 0.05,
        .enter = {0, 0.25, 0.5, 0.75, 0.9},
        .exit = {0, 0.15, 0.38, 0.6, 0.78},
        .dwell_s = {0, 60, 90, 120, 180},
        .hold_s = 15,
        .stale_s = 30,
    };
    return p;
}

#endif
