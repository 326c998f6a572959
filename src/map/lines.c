/* Line reader for JSON Lines input: one buffer sized in _new, memchr for line ends. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes read per fread beyond the longest line. */
#define CHUNK 65536

struct st_map_lines {
    int fd;
    size_t max_line, cap;
    size_t start, end, scan; /* unread data is buf[start, end); no '\n' in [start, scan) */
    int eof, skipping;
    long lineno;
    char *buf;
};

st_map_lines *st_map_lines_new(int fd, size_t max_line)
{
    if (fd < 0 || max_line == 0 || max_line > ((size_t)1 << 30)) {
        errno = EINVAL;
        return NULL;
    }
    st_map_lines *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->fd = fd;
    r->max_line = max_line;
    r->cap = max_line + 2 + CHUNK; /* a whole line, its "\r\n", and a read */
    r->buf = malloc(r->cap);
    if (!r->buf) goto fail;
    return r;
fail:
    st_map_lines_free(r);
    return NULL;
}

void st_map_lines_free(st_map_lines *r)
{
    if (!r) return;
    free(r->buf);
    free(r);
}

long st_map_lines_lineno(const st_map_lines *r)
{
    return r ? r->lineno : 0;
}

int st_map_lines_next(st_map_lines *r, const char **line, size_t *len)
{
    for (;;) {
        char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        if (nl) {
            size_t at = (size_t)(nl - r->buf);
            size_t s = r->start;
            r->start = r->scan = at + 1;
            r->lineno++;
            if (r->skipping) {
                r->skipping = 0;
                return -E2BIG;
            }
            size_t n = at - s;
            if (n && r->buf[s + n - 1] == '\r') n--;
            if (n > r->max_line) return -E2BIG;
            *line = r->buf + s;
            *len = n;
            return 1;
        }
        r->scan = r->end;
        if (r->eof) {
            if (r->start == r->end) {
                if (r->skipping) {
                    r->skipping = 0;
                    r->lineno++;
                    return -E2BIG;
                }
                return 0;
            }
            size_t s = r->start, n = r->end - s;
            r->start = r->scan = r->end;
            r->lineno++;
            if (r->skipping) {
                r->skipping = 0;
                return -E2BIG;
            }
            if (n && r->buf[s + n - 1] == '\r') n--;
            if (n > r->max_line) return -E2BIG;
            *line = r->buf + s;
            *len = n;
            return 1;
        }
        if (r->end - r->start > r->max_line + 1) {
            /* Longer than any line we accept: drop what we have and skip to
             * the next '\n' without buffering it. */
            r->skipping = 1;
            r->start = r->end = r->scan = 0;
        } else if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->scan -= r->start;
            r->start = 0;
        }
        ssize_t got;
        do got = read(r->fd, r->buf + r->end, r->cap - r->end);
        while (got < 0 && errno == EINTR);
        if (got < 0) return -EIO;
        if (got == 0) r->eof = 1;
        r->end += (size_t)got;
    }
}
