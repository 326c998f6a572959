/* Output files for narrative analysis: written to a temporary file and renamed into place, with a
 * provenance header stating corpus, dictionary and options. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_NARRATE_OUTPUT_H
#define STRATUM_NARRATE_OUTPUT_H

#include <stdio.h>

#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"

typedef struct st_nout st_nout; /* opaque */

/* Open path for writing through "path.tmp.PID" (renamed by st_nout_commit, so
 * a reader never sees a partial file as if complete); "-" is standard output.
 * NULL with errno and err set on failure. */
st_nout *st_nout_open(const char *path, char *err, size_t errlen);
/* The stream to write to (borrowed). */
FILE *st_nout_file(st_nout *o);
/* Flush, close and rename into place; frees o. Returns 0, or a negative errno
 * with err set (the temporary file is removed). */
int st_nout_commit(st_nout *o, char *err, size_t errlen);
/* Close and remove the temporary file; frees o. NULL is a no-op. */
void st_nout_abort(st_nout *o);

/* Write "# " header lines: the tool and subcommand, the corpus (path,
 * document count, fingerprint, conditions, repair), the dictionary (path,
 * SHA-256, %name and %version) when d is not NULL, and the options string.
 * Nothing time- or machine-dependent, so identical input gives identical
 * output. c and d are borrowed; where[] may be NULL. */
void st_nout_provenance(FILE *f, const char *what, const st_corpus *c, const char *const *where,
                        size_t nwhere, int repair, const st_dict *d, const char *options);

/* Write s to f with tabs, line ends and other control characters made
 * single spaces and runs of spaces collapsed (a TSV-safe field). */
void st_nout_field(FILE *f, const char *s, size_t n);

#endif
