/* Network export for `stratum map`: GEXF 1.3 (static/dynamic), GraphML, CSV node/edge lists. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_EXPORT_H
#define STRATUM_MAP_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stratum/map_graph.h"

typedef struct st_map_export_opts {
    /* GEXF: mode="dynamic" with one time representation, intervals: every
     * node and edge that has a time gets start/end = first/last seen (ISO
     * 8601 UTC, timeformat="dateTime"); no spells, no timestamps. */
    int dynamic;
    int with_community;      /* write the community attribute / column */
    int with_measures;       /* write degree, weighted degree, betweenness */
    const char *description; /* free text for GEXF <meta> (borrowed, may be NULL) */
} st_map_export_opts;

/* Each writer writes the whole network to f (borrowed) and returns 0, or
 * -EIO when a write failed. Every edge carries its weight. Text is escaped;
 * invalid UTF-8 and characters XML 1.0 forbids become U+FFFD or a space. */
int st_map_export_gexf(st_map_graph *g, FILE *f, const st_map_export_opts *o);
int st_map_export_graphml(st_map_graph *g, FILE *f, const st_map_export_opts *o);
/* CSV (RFC 4180) with the column names Gephi's spreadsheet import expects:
 * nodes "Id,Label,kind,count,first_seen,last_seen[,actor][,community][,degree,
 * weighted_degree,betweenness]"; edges "Source,Target,Type,Weight,first_seen,
 * last_seen". */
int st_map_export_csv_nodes(st_map_graph *g, FILE *f, const st_map_export_opts *o);
int st_map_export_csv_edges(st_map_graph *g, FILE *f, const st_map_export_opts *o);

/* n bytes of str (borrowed) as XML 1.0 character data or attribute value:
 * & < > " escaped, control characters as spaces, invalid UTF-8 and
 * U+FFFE/U+FFFF as U+FFFD. */
void st_map_export_xml(FILE *f, const char *str, size_t n);

/* t (s since the epoch) as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void st_map_export_time(int64_t t, char *out, size_t cap);

#endif
