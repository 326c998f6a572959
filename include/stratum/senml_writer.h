/* SenML (RFC 8428) JSON pack writer into a caller-owned buffer; allocates nothing. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_SENML_WRITER_H
#define STRATUM_SENML_WRITER_H

#include <stddef.h>
#include "stratum/obs.h"

/* Incremental writer of one pack into a caller buffer (borrowed). Records that share
 * zone/device share one base name. Functions return 0, -ENOSPC, or -EINVAL for
 * a non-finite value (JSON has no NaN); the pack is then unusable. */
typedef struct st_senml_writer {
    char *buf;
    size_t cap, len;
    int nrec;
    int failed;
    double bt; /* base time of the pack */
    char bn[2 * ST_ID_MAX + 2];
} st_senml_writer;

void st_senml_writer_init(st_senml_writer *w, char *buf, size_t cap, const char *zone,
                          const char *device, double bt);
/* Append a numeric record: quantity name, unit, value, time offset from bt. */
int st_senml_writer_add(st_senml_writer *w, const char *name, const char *unit, double v,
                        double dt);
/* Append a string record (swVersion). */
int st_senml_writer_add_str(st_senml_writer *w, const char *name, const char *vs, double dt);
/* Close the array; returns the pack length or -ENOSPC. */
int st_senml_writer_finish(st_senml_writer *w);

#endif
