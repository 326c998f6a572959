/* Prometheus text exposition (format 0.0.4) of the engine's and server's counters. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <math.h>

#include "http/metrics.h"

static const int codes[] = ST_METRICS_CODES;

size_t st_metrics_code_index(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == code) return i;
    return ST_METRICS_NCODES - 1;
}

/* Label value escaping: https://prometheus.io/docs/instrumenting/exposition_formats/ */
static void label(st_jbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            st_jbuf_puts(b, "\\\\");
        else if (*s == '"')
            st_jbuf_puts(b, "\\\"");
        else if (*s == '\n')
            st_jbuf_puts(b, "\\n");
        else
            st_jbuf_put(b, s, 1);
    }
}

static void head(st_jbuf *b, const char *name, const char *type, const char *help)
{
    st_jbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(st_jbuf *b, const char *name, const char *help, uint64_t v)
{
    head(b, name, "counter", help);
    st_jbuf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void value(st_jbuf *b, double v)
{
    if (isnan(v)) {
        st_jbuf_puts(b, " NaN\n"); /* the text format allows NaN */
        return;
    }
    st_jbuf_puts(b, " ");
    st_jbuf_num(b, v);
    st_jbuf_puts(b, "\n");
}

void st_metrics_render(st_jbuf *b, const st_live_counters *c, const st_live_zone *zones,
                       size_t nzones, const st_metrics_http *h)
{
    const st_engine_stats *e = &c->engine;
    counter(b, "stratum_ingest_packs_total", "SenML packs received.", c->packs);
    counter(b, "stratum_ingest_packs_refused_total",
            "SenML packs refused (malformed, unsigned, replayed, over limits).", c->packs_refused);
    counter(b, "stratum_ingest_records_total", "SenML records accepted.", c->records);
    head(b, "stratum_observations_total", "counter",
         "Observations offered to the engine, by result.");
    st_jbuf_printf(b, "stratum_observations_total{result=\"used\"} %" PRIu64 "\n", e->obs_used);
    st_jbuf_printf(b, "stratum_observations_total{result=\"unknown_zone\"} %" PRIu64 "\n",
                   e->obs_unknown_zone);
    st_jbuf_printf(b, "stratum_observations_total{result=\"rejected\"} %" PRIu64 "\n",
                   e->obs_rejected);
    head(b, "stratum_transitions_total", "counter", "Zone state transitions, by state entered.");
    for (int s = 0; s < ST_STATE__COUNT; s++)
        st_jbuf_printf(b, "stratum_transitions_total{to=\"%s\"} %" PRIu64 "\n",
                       st_state_name((st_state)s), e->entered[s]);
    counter(b, "stratum_actuations_total", "Interventions asked of the actuators.",
            e->interventions);
    counter(b, "stratum_actuator_errors_total", "Actuator failures.", e->actuator_errors);
    counter(b, "stratum_store_errors_total", "Evidence-store write failures.", e->store_errors);
    head(b, "stratum_state_seconds_total", "counter",
         "Zone-seconds spent in each state (engine time).");
    for (int s = 0; s < ST_STATE__COUNT; s++) {
        st_jbuf_printf(b, "stratum_state_seconds_total{state=\"%s\"}", st_state_name((st_state)s));
        value(b, c->state_seconds[s]);
    }
    head(b, "stratum_engine_time_seconds", "gauge", "Engine (observation) time, epoch seconds.");
    st_jbuf_puts(b, "stratum_engine_time_seconds");
    value(b, c->now);

    head(b, "stratum_zone_state", "gauge", "1 for the state each zone is in, else 0.");
    for (size_t i = 0; i < nzones; i++)
        for (int s = 0; s < ST_STATE__COUNT; s++) {
            st_jbuf_puts(b, "stratum_zone_state{zone=\"");
            label(b, zones[i].def.id);
            st_jbuf_printf(b, "\",state=\"%s\"} %d\n", st_state_name((st_state)s),
                           zones[i].status.state == (st_state)s);
        }
    head(b, "stratum_zone_state_duration_seconds", "gauge",
         "Time each zone has been in its current state (engine time).");
    for (size_t i = 0; i < nzones; i++) {
        st_jbuf_puts(b, "stratum_zone_state_duration_seconds{zone=\"");
        label(b, zones[i].def.id);
        st_jbuf_puts(b, "\"}");
        double d = c->now - zones[i].status.since;
        value(b, d > 0 ? d : 0);
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } gauges[] = {
        {"stratum_zone_score", "Escalation score (0-1).", offsetof(st_zone_status, score)},
        {"stratum_zone_occupancy", "People present (a count; nobody is identified).",
         offsetof(st_zone_status, occupancy)},
        {"stratum_zone_laeq_db", "LAeq over the mid window, dB (IEC 61672 A-weighting).",
         offsetof(st_zone_status, laeq_mid)},
        {"stratum_zone_event_rate", "Raucous sound events per minute.",
         offsetof(st_zone_status, event_rate)},
    };
    for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
        head(b, gauges[g].name, "gauge", gauges[g].help);
        for (size_t i = 0; i < nzones; i++) {
            st_jbuf_printf(b, "%s{zone=\"", gauges[g].name);
            label(b, zones[i].def.id);
            st_jbuf_puts(b, "\"}");
            value(b, *(const double *)((const char *)&zones[i].status + gauges[g].off));
        }
    }
    head(b, "stratum_zone_stale", "gauge", "1 if the zone's inputs are stale.");
    for (size_t i = 0; i < nzones; i++) {
        st_jbuf_puts(b, "stratum_zone_stale{zone=\"");
        label(b, zones[i].def.id);
        st_jbuf_printf(b, "\"} %d\n", zones[i].status.stale != 0);
    }

    head(b, "stratum_http_responses_total", "counter", "HTTP responses, by status code.");
    for (size_t i = 0; i < ST_METRICS_NCODES; i++) {
        if (i + 1 < ST_METRICS_NCODES)
            st_jbuf_printf(b, "stratum_http_responses_total{code=\"%d\"}", codes[i]);
        else
            st_jbuf_puts(b, "stratum_http_responses_total{code=\"other\"}");
        st_jbuf_printf(b, " %" PRIu64 "\n", h->responses[i]);
    }
    counter(b, "stratum_http_writes_accepted_total", "Operator write actions accepted.",
            h->writes_accepted);
    counter(b, "stratum_http_writes_refused_total",
            "Operator write actions refused (no or wrong token, invalid, queue full).",
            h->writes_refused);
    counter(b, "stratum_http_sse_events_total", "Events sent on event streams.", h->sse_events);
    head(b, "stratum_http_sse_clients", "gauge", "Open event streams.");
    st_jbuf_printf(b, "stratum_http_sse_clients %" PRIu64 "\n", h->sse_clients);
    head(b, "stratum_http_connections", "gauge", "Open HTTP connections.");
    st_jbuf_printf(b, "stratum_http_connections %" PRIu64 "\n", h->connections);
    head(b, "stratum_command_queue_depth", "gauge",
         "Operator commands posted and not yet run by the engine loop.");
    st_jbuf_printf(b, "stratum_command_queue_depth %" PRIu64 "\n", h->command_queue);
}
