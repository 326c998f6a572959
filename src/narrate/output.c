/* Output files with provenance headers, written atomically (narrate_output.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stratum/narrate_output.h"

#ifndef STRATUM_VERSION
#define STRATUM_VERSION "0.1.0"
#endif

struct st_nout {
    FILE *f;
    char *path, *tmp; /* tmp NULL for stdout */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

st_nout *st_nout_open(const char *path, char *err, size_t errlen)
{
    st_nout *o = calloc(1, sizeof(*o));
    if (!o) goto nomem;
    if (!strcmp(path, "-")) {
        o->f = stdout;
        return o;
    }
    size_t n = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) goto nomem;
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        int e = errno;
        seterr(err, errlen, "%s: cannot create: %s", o->tmp, strerror(e));
        free(o->path);
        free(o->tmp);
        free(o);
        errno = e;
        return NULL;
    }
    return o;
nomem:
    if (o) {
        free(o->path);
        free(o->tmp);
        free(o);
    }
    seterr(err, errlen, "out of memory");
    errno = ENOMEM;
    return NULL;
}

FILE *st_nout_file(st_nout *o)
{
    return o->f;
}

int st_nout_commit(st_nout *o, char *err, size_t errlen)
{
    int rc = 0;
    if (!o->tmp) {
        if (fflush(o->f) != 0) {
            rc = -errno;
            seterr(err, errlen, "standard output: %s", strerror(errno));
        }
        free(o);
        return rc;
    }
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad) {
        rc = bad ? -EIO : -errno;
        seterr(err, errlen, "%s: write error", o->tmp);
        unlink(o->tmp);
    } else if (rename(o->tmp, o->path) != 0) {
        rc = -errno;
        seterr(err, errlen, "%s: cannot rename to %s: %s", o->tmp, o->path, strerror(errno));
        unlink(o->tmp);
    }
    free(o->path);
    free(o->tmp);
    free(o);
    return rc;
}

void st_nout_abort(st_nout *o)
{
    if (!o) return;
    if (o->tmp) {
        fclose(o->f);
        unlink(o->tmp);
    }
    free(o->path);
    free(o->tmp);
    free(o);
}

void st_nout_provenance(FILE *f, const char *what, const st_corpus *c, const char *const *where,
                        size_t nwhere, int repair, const st_dict *d, const char *options)
{
    fprintf(f, "# stratum %s narrate %s\n", STRATUM_VERSION, what);
    if (c) {
        fprintf(f, "# corpus: %s (%zu documents, fingerprint %s, repair %s", st_corpus_path(c),
                st_corpus_size(c), st_corpus_fingerprint(c), repair ? "on" : "off");
        for (size_t i = 0; i < nwhere; i++) fprintf(f, "%s%s", i ? " and " : ", where ", where[i]);
        fprintf(f, ")\n");
    }
    if (d) {
        const char *nm = st_dict_meta(d, "name"), *ver = st_dict_meta(d, "version");
        fprintf(f, "# dictionary: %s (sha256 %s", st_dict_name(d), st_dict_sha256(d));
        if (nm) fprintf(f, ", name %s", nm);
        if (ver) fprintf(f, ", version %s", ver);
        fprintf(f, ", %zu categories, %zu entries)\n", st_dict_ncat(d), st_dict_nentries(d));
    }
    if (options) fprintf(f, "# options: %s\n", options);
}

void st_nout_field(FILE *f, const char *s, size_t n)
{
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F || ch == ' ') {
            if (!sp) fputc(' ', f);
            sp = 1;
        } else {
            fputc(ch, f);
            sp = 0;
        }
    }
}
