/* stratum obs: check SenML observation packs (JSON Lines, or one multi-line pack) as the engine
 * reads them. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stratum/senml.h"

#define CMD "obs"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stratum obs check [--now EPOCH] FILE|-\n"
            "\n"
            "Check SenML (RFC 8428) observation packs the way the engine reads them.\n"
            "FILE holds one pack per line (JSON Lines); '-' reads standard input. Blank\n"
            "lines are skipped. If the first line opens a JSON array it does not close,\n"
            "the whole input is read as one multi-line pack (at most %d bytes).\n"
            "\n"
            "Each record of a valid pack is printed on standard output as one JSON line:\n"
            "  {\"pack\":1,\"n\":\"z1/meter-1/LAeq\",\"zone\":\"z1\",\"device\":\"meter-1\","
            "\"u\":\"dB\",\"v\":62.5,\"t\":1764270000}\n"
            "Each refused pack gets one line on standard error saying why, e.g.\n"
            "  pack 2 (line 2): record 0 field \"u\": unit \"dBA\" is not \"dB\", the unit of "
            "LAeq\n"
            "then a summary line. Names, units and ranges: docs/observations.md.\n"
            "\n"
            "options:\n"
            "  --now EPOCH  time that relative SenML times (|t| < 2^28 s) count from, in\n"
            "               seconds since 1970 (default: the current time)\n"
            "  -h, --help   show this help\n"
            "\n"
            "exit status: 0 every pack valid, 1 a pack refused or a read error, 2 usage error\n",
            ST_SENML_MAX_BYTES);
}

/* A line reader over a file descriptor with a fixed buffer: lines longer than
 * ST_SENML_MAX_BYTES are skipped to their newline (reported, not stored), so
 * one huge line never desynchronises the next. read(2) returns what is
 * available, so packs arriving on a pipe are checked as they come. */
typedef struct reader {
    int fd;
    char *buf;
    size_t cap, start, end;
    int eof, err;
    long lineno;
} reader;

/* Longest line kept: a pack plus an optional '\r'. */
#define LINE_MAX_KEPT (ST_SENML_MAX_BYTES + 1)

static int fill(reader *r)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    ssize_t n;
    do n = read(r->fd, r->buf + r->end, r->cap - r->end);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        r->err = errno;
        return -1;
    }
    if (n == 0) r->eof = 1;
    r->end += (size_t)n;
    return 0;
}

/* Next line without its "\n" / "\r\n". Returns 1 and sets *line, *len, or
 * sets *too_long (then *line is NULL and *len the length seen); 0 at the end;
 * -1 on a read error. */
static int next_line(reader *r, const char **line, size_t *len, int *too_long)
{
    size_t scanned = 0, dropped = 0; /* scanned: bytes after start with no '\n' */
    *too_long = 0;
    *line = NULL;
    for (;;) {
        char *nl = memchr(r->buf + r->start + scanned, '\n', r->end - r->start - scanned);
        size_t l;
        if (nl) {
            l = (size_t)(nl - (r->buf + r->start));
            const char *s = r->buf + r->start;
            r->start += l + 1;
            r->lineno++;
            if (!*too_long && l > 0 && s[l - 1] == '\r') l--;
            if (*too_long || l > ST_SENML_MAX_BYTES) {
                *too_long = 1;
                *len = dropped + l;
                return 1;
            }
            *line = s;
            *len = l;
            return 1;
        }
        l = r->end - r->start;
        if (r->eof) {
            if (l == 0 && !*too_long) return 0;
            const char *s = r->buf + r->start;
            r->start = r->end;
            r->lineno++;
            if (!*too_long && l > 0 && s[l - 1] == '\r') l--;
            if (*too_long || l > ST_SENML_MAX_BYTES) {
                *too_long = 1;
                *len = dropped + l;
                return 1;
            }
            *line = s;
            *len = l;
            return 1;
        }
        if (l > LINE_MAX_KEPT) { /* drop what we have, keep looking for the newline */
            *too_long = 1;
            dropped += l;
            r->start = r->end = 0;
            l = 0;
        }
        scanned = l;
        if (fill(r)) return -1;
    }
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* Depth of [ and { left open at the end of s, outside strings. */
static int open_depth(const char *s, size_t n)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            depth++;
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return depth;
}

typedef struct tally {
    long packs, valid, refused, records;
} tally;

/* Checks one pack and prints its records or its error. */
static void check_pack(st_senml *p, const char *buf, size_t len, double now, const char *where,
                       tally *t)
{
    const st_obs *obs;
    st_senml_err err;
    char line[1024];
    t->packs++;
    int n = st_senml_parse(p, buf, len, now, &obs, &err);
    if (n < 0) {
        char msg[300];
        st_senml_err_format(&err, msg, sizeof(msg));
        fprintf(stderr, "pack %ld (%s): %s\n", t->packs, where, msg);
        t->refused++;
        return;
    }
    for (int i = 0; i < n; i++) {
        int k = snprintf(line, sizeof(line), "{\"pack\":%ld,", t->packs);
        /* st_obs_to_json writes "{...}"; its "{" is replaced by ours. */
        int m = st_obs_to_json(&obs[i], line + k - 1, sizeof(line) - (size_t)k);
        if (m < 0) {
            fprintf(stderr, "pack %ld (%s): record %d could not be printed\n", t->packs, where, i);
            continue;
        }
        line[k - 1] = ',';
        line[k - 1 + m] = '\n';
        fwrite(line, 1, (size_t)(k + m), stdout);
    }
    t->valid++;
    t->records += n;
}

static int cmd_check(const char *path, double now)
{
    int fd = 0;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "stratum obs: cannot open %s: %s\n", path, strerror(errno));
            return 2;
        }
    }
    int rc = 0;
    reader r = {fd, NULL, 2 * (LINE_MAX_KEPT + 1), 0, 0, 0, 0, 0};
    char *whole = NULL;
    st_senml *p = st_senml_new(ST_SENML_MAX_RECORDS);
    r.buf = malloc(r.cap);
    if (!p || !r.buf) {
        fprintf(stderr, "stratum obs: out of memory\n");
        rc = 1;
        goto done;
    }
    tally t = {0, 0, 0, 0};
    int first = 1;
    const char *line;
    size_t len;
    int too_long, got;
    char where[64];
    while ((got = next_line(&r, &line, &len, &too_long)) > 0) {
        if (!too_long && blank(line, len)) continue;
        snprintf(where, sizeof(where), "line %ld", r.lineno);
        if (too_long) {
            t.packs++;
            t.refused++;
            fprintf(stderr,
                    "pack %ld (%s): line is %zu bytes, longer than the %d a pack may have\n",
                    t.packs, where, len, ST_SENML_MAX_BYTES);
            first = 0;
            continue;
        }
        if (first && open_depth(line, len) > 0) {
            /* One pack over several lines: gather it all. */
            long from = r.lineno;
            size_t n = 0;
            int over = 0;
            whole = malloc(ST_SENML_MAX_BYTES + 1);
            if (!whole) {
                fprintf(stderr, "stratum obs: out of memory\n");
                rc = 1;
                goto done;
            }
            do {
                if (too_long || n + len + 1 > ST_SENML_MAX_BYTES + 1) {
                    over = 1;
                    continue;
                }
                memcpy(whole + n, line, len);
                n += len;
                whole[n++] = '\n';
            } while ((got = next_line(&r, &line, &len, &too_long)) > 0);
            if (got < 0) break;
            snprintf(where, sizeof(where), "lines %ld-%ld", from, r.lineno);
            if (over) {
                t.packs++;
                t.refused++;
                fprintf(stderr, "pack 1 (%s): a multi-line pack longer than %d bytes\n", where,
                        ST_SENML_MAX_BYTES);
            } else {
                check_pack(p, whole, n, now, where, &t);
            }
            break;
        }
        first = 0;
        check_pack(p, line, len, now, where, &t);
    }
    fflush(stdout);
    if (got < 0) {
        fprintf(stderr, "stratum obs: reading %s: %s\n", strcmp(path, "-") ? path : "stdin",
                strerror(r.err));
        rc = 1;
    }
    fprintf(stderr, "%ld pack%s: %ld valid (%ld record%s), %ld refused\n", t.packs,
            t.packs == 1 ? "" : "s", t.valid, t.records, t.records == 1 ? "" : "s", t.refused);
    if (t.refused) rc = 1;
done:
    free(whole);
    free(r.buf);
    st_senml_free(p);
    if (fd != 0) close(fd);
    return rc;
}

int st_cmd_obs(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stratum obs check [--now EPOCH] FILE|-  (see --help)\n");
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "stratum obs: '%s' is not an obs command; see 'stratum obs --help'\n",
                argv[1]);
        return 2;
    }
    const char *path = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    int only_files = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!only_files && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            usage(stdout);
            return 0;
        }
        if (!only_files && !strcmp(a, "--")) {
            only_files = 1;
            continue;
        }
        if (!only_files && !strncmp(a, "--now", 5) && (a[5] == '\0' || a[5] == '=')) {
            const char *val = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) {
                fprintf(stderr, "stratum obs: --now needs a value (seconds since 1970)\n");
                return 2;
            }
            /* 2^28 s (1978) .. 2100-01-01, the absolute times a pack may carry. */
            if (st_cli_parse_double(CMD, "--now", val, 268435456.0, 4102444800.0, &now)) return 2;
            continue;
        }
        if (!only_files && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "stratum obs: unknown option '%s'; see 'stratum obs --help'\n", a);
            return 2;
        }
        if (path) {
            fprintf(stderr, "stratum obs: one FILE only ('%s' and '%s' given)\n", path, a);
            return 2;
        }
        path = a;
    }
    if (!path) {
        fprintf(stderr, "stratum obs: check needs a FILE (or '-' for standard input)\n"
                        "usage: stratum obs check [--now EPOCH] FILE|-\n");
        return 2;
    }
    return cmd_check(path, now);
}
