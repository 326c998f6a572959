/* stratum evidence: effect report, signed export and import of aggregate counts, pooled report. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli.h"
#include "stratum/audit.h"
#include "stratum/audit_hook.h"
#include "stratum/bundle.h"
#include "stratum/instkey.h"
#include "stratum/report.h"
#include "stratum/store.h"

#define MAX_CELLS 1024
#define MAX_ROWS  (ST_EXP_MAX_ARMS + 8)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stratum evidence report [--db PATH] [--json|--csv] [--all] [--pooled]\n"
            "       stratum evidence export --city NAME [--db PATH] [--key FILE] [-o FILE]\n"
            "       stratum evidence import FILE [--db PATH] [--key FILE] [--expect-key HEX]\n\n"
            "Effect of each intervention arm against control, from the escalation episodes in\n"
            "the store (docs/evidence.md).\n\n"
            "  report    per arm: episodes, incident rates, risk difference and ratio with 95%%\n"
            "            intervals, time to calm; randomised episodes only unless --all\n"
            "            (--all adds pinned, Thompson and rules episodes: observational).\n"
            "            --pooled: random-effects meta-analysis over this installation and\n"
            "            every imported bundle (tau^2, I^2)\n"
            "  export    write a signed bundle of aggregate counts per arm and stratum\n"
            "            (no observations, no device ids) to FILE or stdout\n"
            "  import    check a bundle's signature, schema and counts and add it; a bundle\n"
            "            that fails any check changes nothing\n\n"
            "options:\n"
            "      --db PATH         evidence store (default stratum.db)\n"
            "      --key FILE        installation key (default installation.key; created\n"
            "                        with mode 0600 at first use)\n"
            "      --expect-key HEX  import only a bundle signed by this public key\n"
            "  -h, --help            this help\n\n"
            "Exit status: 0 done, 1 failure or refused bundle, 2 bad usage.\n");
}

typedef struct ev_opts {
    const char *db, *key, *city, *out, *expect;
    st_report_format fmt;
    int all, pooled;
} ev_opts;

/* The store must exist for reading commands: opening would create an empty one. */
static st_store *open_store(const char *db, int must_exist, st_log *log)
{
    struct stat st;
    if (must_exist && strcmp(db, ":memory:") && stat(db, &st) != 0) {
        fprintf(stderr, "stratum evidence: %s: %s\n", db, strerror(errno));
        return NULL;
    }
    st_store *s = st_store_open(db, 0, log);
    if (!s) fprintf(stderr, "stratum evidence: cannot open the store %s (see above)\n", db);
    return s;
}

static int cmd_report(const ev_opts *o, st_store *s)
{
    sqlite3 *db = st_store_db(s);
    if (o->pooled) {
        st_report_pooled *p = calloc(MAX_ROWS, sizeof(*p));
        if (!p) return 1;
        long n = st_report_pool(db, p, MAX_ROWS);
        int rc = 1;
        if (n < 0)
            fprintf(stderr, "stratum evidence: pooled report: %s\n", strerror((int)-n));
        else
            rc = st_report_write_pooled(stdout, o->fmt, p, (size_t)n) < 0;
        free(p);
        return rc;
    }
    st_evidence_cell *cells = calloc(MAX_CELLS, sizeof(*cells));
    st_report_row rows[MAX_ROWS];
    double window = 0;
    if (!cells) return 1;
    long n = st_report_local_cells(db, !o->all, cells, MAX_CELLS, &window);
    int rc = 1;
    if (n == -EINVAL) {
        fprintf(stderr, "stratum evidence: episodes with different outcome windows are mixed; "
                        "report them from separate stores\n");
    } else if (n < 0) {
        fprintf(stderr, "stratum evidence: cannot read episodes: %s\n", strerror((int)-n));
    } else {
        long nr = st_report_compare(cells, (size_t)n, window, rows, MAX_ROWS);
        const char *scope = o->all ? "all episodes (includes non-randomised: observational)"
                                   : "randomised episodes";
        if (nr == -ENOENT) {
            if (o->fmt == ST_REPORT_TEXT)
                printf("evidence: %s: no control episode with an outcome yet, nothing to compare "
                       "(%ld cells)\n",
                       scope, n);
            else
                st_report_write(stdout, o->fmt, rows, 0, window, scope);
            rc = 0;
        } else if (nr < 0) {
            fprintf(stderr, "stratum evidence: %s\n", strerror((int)-nr));
        } else {
            rc = st_report_write(stdout, o->fmt, rows, (size_t)nr, window, scope) < 0;
        }
    }
    free(cells);
    return rc;
}

static int cmd_export(const ev_opts *o, st_store *s)
{
    char err[512];
    st_instkey k;
    int created = 0, rc = 1;
    if (!o->city) {
        fprintf(stderr, "stratum evidence export: --city NAME is required\n");
        return 2;
    }
    st_bundle *b = calloc(1, sizeof(*b));
    if (!b) return 1;
    if (st_instkey_open(o->key, 1, &k, &created, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum evidence export: %s\n", err);
        free(b);
        return 1;
    }
    if (created) fprintf(stderr, "stratum evidence: created installation key %s\n", o->key);
    long n = st_report_local_cells(st_store_db(s), 1, b->cells, ST_BUNDLE_MAX_CELLS, &b->window_s);
    char *text = NULL;
    if (n <= 0) {
        fprintf(stderr, "stratum evidence export: %s\n",
                n == 0 ? "no randomised episode with an outcome: nothing to export"
                       : strerror((int)-n));
        goto out;
    }
    b->ncells = (size_t)n;
    snprintf(b->city, sizeof(b->city), "%s", o->city);
    b->created = (double)time(NULL);
    int wrc = st_bundle_write(b, &k, &text);
    if (wrc < 0) {
        fprintf(stderr, "stratum evidence export: %s\n",
                wrc == -EINVAL ? "city name (1-63 letters, digits, spaces, _.,'-) or counts invalid"
                               : strerror(-wrc));
        goto out;
    }
    FILE *f = o->out ? fopen(o->out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "stratum evidence export: %s: %s\n", o->out, strerror(errno));
        goto out;
    }
    int bad = fprintf(f, "%s\n", text) < 0;
    if (f != stdout) bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "stratum evidence export: write failed\n");
        goto out;
    }
    long eps = 0;
    char hex[65];
    for (size_t i = 0; i < b->ncells; i++) eps += b->cells[i].episodes;
    st_instkey_pk_hex(&k, hex);
    fprintf(stderr, "stratum evidence: exported %zu cells (%ld episodes), signed by key %s\n",
            b->ncells, eps, hex);
    rc = 0;
out:
    st_instkey_wipe(&k);
    free(text);
    free(b);
    return rc;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        if (cap >= (64u << 20)) { /* 64 MiB: no bundle is that big */
            free(buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

static int cmd_import(const ev_opts *o, st_store *s, const char *file)
{
    char err[512];
    size_t len = 0;
    int rc = 1;
    st_instkey k;
    memset(&k, 0, sizeof(k));
    char *text = read_all(file, &len);
    st_bundle *b = calloc(1, sizeof(*b));
    st_audit *audit = NULL;
    if (!text || !b) {
        fprintf(stderr, "stratum evidence import: %s: %s\n", file, strerror(errno));
        goto out;
    }
    int prc = st_bundle_parse(text, len, b, err, sizeof(err));
    if (prc < 0) {
        fprintf(stderr, "stratum evidence import: %s: refused: %s; nothing imported\n", file, err);
        goto out;
    }
    if (o->expect && strcmp(o->expect, b->pk_hex)) {
        fprintf(stderr,
                "stratum evidence import: %s: refused: signed by %s, not by the expected key; "
                "nothing imported\n",
                file, b->pk_hex);
        goto out;
    }
    int created = 0;
    if (st_instkey_open(o->key, 1, &k, &created, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum evidence import: %s; nothing imported\n", err);
        goto out;
    }
    if (!memcmp(k.pk, b->pk, sizeof(k.pk))) {
        fprintf(stderr,
                "stratum evidence import: %s: refused: signed by this installation's own key; "
                "its episodes are already the local evidence; nothing imported\n",
                file);
        goto out;
    }
    long eps = 0;
    for (size_t i = 0; i < b->ncells; i++) eps += b->cells[i].episodes;
    int64_t id = st_store_add_evidence_import(s, b->city, b->pk_hex, b->sha256_hex, b->created,
                                              b->window_s, b->cells, b->ncells);
    if (id == -EEXIST) {
        fprintf(stderr,
                "stratum evidence import: %s: refused: this bundle (sha256 %.16s...) was "
                "imported before; nothing imported\n",
                file, b->sha256_hex);
        goto out;
    }
    if (id < 0) {
        fprintf(stderr, "stratum evidence import: %s: store error (%s); nothing imported\n", file,
                strerror((int)-id));
        goto out;
    }
    audit = st_audit_new(st_store_db(s), k.sk, 0, NULL);
    int64_t seq = audit ? st_audit_hook_import(audit, (double)time(NULL), "operator", file, b->city,
                                               b->pk_hex, b->sha256_hex, (long)b->ncells, eps)
                        : -EIO;
    if (seq < 0)
        fprintf(stderr, "stratum evidence import: warning: audit record not written (%s)\n",
                strerror((int)-seq));
    printf("imported %s: city %s, %zu cells, %ld episodes, window %.0f s, key %.16s..., "
           "import %lld\n",
           file, b->city, b->ncells, eps, b->window_s, b->pk_hex, (long long)id);
    rc = 0;
out:
    st_audit_free(audit); /* signs the head */
    st_instkey_wipe(&k);
    free(text);
    free(b);
    return rc;
}

int st_cmd_evidence(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_KEY, OPT_CITY, OPT_JSON, OPT_CSV, OPT_ALL, OPT_POOLED, OPT_EXPECT };
    static const struct option longopts[] = {{"db", required_argument, 0, OPT_DB},
                                             {"key", required_argument, 0, OPT_KEY},
                                             {"city", required_argument, 0, OPT_CITY},
                                             {"json", no_argument, 0, OPT_JSON},
                                             {"csv", no_argument, 0, OPT_CSV},
                                             {"all", no_argument, 0, OPT_ALL},
                                             {"pooled", no_argument, 0, OPT_POOLED},
                                             {"expect-key", required_argument, 0, OPT_EXPECT},
                                             {"output", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    ev_opts o = {"stratum.db", "installation.key", NULL, NULL, NULL, ST_REPORT_TEXT, 0, 0};
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    const char *sub = argv[1];
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc - 1, argv + 1, "o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            o.db = optarg;
            break;
        case OPT_KEY:
            o.key = optarg;
            break;
        case OPT_CITY:
            o.city = optarg;
            break;
        case OPT_JSON:
            o.fmt = ST_REPORT_JSON;
            break;
        case OPT_CSV:
            o.fmt = ST_REPORT_CSV;
            break;
        case OPT_ALL:
            o.all = 1;
            break;
        case OPT_POOLED:
            o.pooled = 1;
            break;
        case OPT_EXPECT:
            o.expect = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr,
                    "stratum evidence: unknown or incomplete option '%s'; see 'stratum "
                    "evidence --help'\n",
                    argv[optind > 0 ? optind : 1]);
            return 2;
        }
    }
    char **rest = argv + 1 + optind;
    int nrest = argc - 1 - optind;
    int is_import = !strcmp(sub, "import");
    if ((is_import && nrest != 1) || (!is_import && nrest != 0) ||
        (strcmp(sub, "report") && strcmp(sub, "export") && !is_import)) {
        fprintf(stderr, "stratum evidence: expected 'report', 'export' or 'import FILE'; see "
                        "'stratum evidence --help'\n");
        return 2;
    }
    if (o.expect) {
        unsigned char pk[32];
        if (st_instkey_pk_parse(o.expect, pk) < 0) {
            fprintf(stderr, "stratum evidence: --expect-key: 64 hex digits expected\n");
            return 2;
        }
    }
    st_log *log = st_log_new(stderr, ST_LOG_WARN);
    st_store *s = open_store(o.db, !is_import, log);
    int rc = 1;
    if (s) {
        if (!strcmp(sub, "report"))
            rc = cmd_report(&o, s);
        else if (!strcmp(sub, "export"))
            rc = cmd_export(&o, s);
        else
            rc = cmd_import(&o, s, rest[0]);
    }
    st_store_free(s);
    st_log_free(log);
    return rc;
}
