/* Quantitative Narrative Analysis data set from reviewed triplets: counts by actor and action and
 * the actor network (subject -> object, labelled by action) as GEXF 1.3 and CSV. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_QNA_H
#define STRATUM_NARRATE_QNA_H

#include <stddef.h>

/* What st_qna_build read and wrote. Plain data. */
typedef struct st_qna_stats {
    long rows, accepted, rejected, proposed; /* accepted counts "accepted" and "edited" */
    long actors, actions, edges;
} st_qna_stats;

/* Read a reviewed triplet TSV (the header of st_triplets_corpus; lines that
 * start with '#' are comments; a status column value of "accepted" or
 * "edited" selects the row, "rejected" and "proposed" do not, anything else
 * is an error) and write into the directory outdir (which must exist):
 *   actors.tsv   actor, as_subject, as_object, total
 *   actions.tsv  action, count
 *   edges.csv    source,target,action,weight   (RFC 4180 quoting)
 *   nodes.csv    id,label,as_subject,as_object
 *   network.gexf GEXF 1.3 directed graph, one edge per (source, target,
 *                action) with weight and an action attribute
 * Actors and actions are compared case-folded (ASCII) with runs of spaces
 * collapsed; rows sort by count, then name. A row without subject or object
 * counts for actors and actions but adds no edge. Every file is written to a
 * temporary name and renamed, and a provenance header is written to
 * README-like "# " comment lines of the TSV files. Returns 0 or a negative
 * errno with "FILE:LINE: why" in err. */
int st_qna_build(const char *tsv, const char *outdir, st_qna_stats *stats, char *err,
                 size_t errlen);

#endif
