/* stratum audit: verify the tamper-evident audit chain and page through its records. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "cli.h"
#include "stratum/audit.h"
#include "stratum/instkey.h"
#include "stratum/store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stratum audit verify [--db PATH] [--key FILE | --public-key HEX]\n"
            "       stratum audit show [--db PATH] [--from SEQ] [--limit N] [--kind KIND] "
            "[--json]\n\n"
            "The audit chain holds one record per actuation, episode assignment, rule or\n"
            "config change, device change and evidence import, each hashed (SHA-256) with\n"
            "the one before; chain heads are signed with the installation's Ed25519 key.\n\n"
            "  verify    walk the chain and check every signed head; on any modification,\n"
            "            deletion, reordering, truncation or forged head, say at which\n"
            "            record and exit 1\n"
            "  show      print records in order, --limit at a time (default 50); the last\n"
            "            line says how to see the next page\n\n"
            "options:\n"
            "      --db PATH          evidence store (default stratum.db)\n"
            "      --key FILE         installation key whose public half checks the heads\n"
            "                         (default installation.key)\n"
            "      --public-key HEX   check heads with this public key instead\n"
            "      --from SEQ         first record to show (default 1)\n"
            "      --limit N          records per page, 1..10000 (default 50)\n"
            "      --kind KIND        only records of this kind (actuation, assignment,\n"
            "                         config, device, evidence-import)\n"
            "      --json             one JSON object per line\n"
            "  -h, --help             this help\n\n"
            "Exit status: 0 chain intact / shown, 1 tampering found or failure, 2 bad usage.\n");
}

static st_store *open_existing(const char *db, st_log *log)
{
    struct stat st;
    if (stat(db, &st) != 0) {
        fprintf(stderr, "stratum audit: %s: %s\n", db, strerror(errno));
        return NULL;
    }
    st_store *s = st_store_open(db, 0, log);
    if (!s) fprintf(stderr, "stratum audit: cannot open the store %s (see above)\n", db);
    return s;
}

static int do_verify(sqlite3 *db, const unsigned char *pk)
{
    st_audit_report r;
    int rc = st_audit_verify(db, pk, &r);
    if (rc < 0) {
        fprintf(stderr, "stratum audit: cannot read the audit tables: %s\n", strerror(-rc));
        return 1;
    }
    if (r.ok) {
        printf("audit: OK: %s\n", r.problem);
        if (r.records > r.last_signed)
            printf("audit: note: records %lld..%lld follow the newest signed head (signed at "
                   "the next head or at shutdown)\n",
                   (long long)r.last_signed + 1, (long long)r.records);
        return 0;
    }
    printf("audit: TAMPERED at record %lld: %s\n", (long long)r.bad_seq, r.problem);
    return 1;
}

/* JSON string of untrusted text: escape quotes, backslashes and control bytes. */
static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int do_show(sqlite3 *db, long from, long limit, const char *kind, int json)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, t, kind, actor, subject, detail FROM audit"
                           " WHERE seq >= ?1 AND (?2 IS NULL OR kind = ?2)"
                           " ORDER BY seq LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "stratum audit: cannot read the audit table: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_bind_int64(st, 1, from);
    if (kind)
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, limit + 1); /* one more tells whether a next page exists */
    long shown = 0;
    int64_t last = from - 1, next = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        if (shown == limit) {
            next = seq;
            break;
        }
        double t = sqlite3_column_double(st, 1);
        if (json) {
            printf("{\"seq\":%lld,\"t\":%.3f,\"kind\":", (long long)seq, t);
            json_str(col(st, 2));
            printf(",\"actor\":");
            json_str(col(st, 3));
            printf(",\"subject\":");
            json_str(col(st, 4));
            /* detail is the JSON text that was hashed; show it as a string, unchanged. */
            printf(",\"detail\":");
            json_str(col(st, 5));
            printf("}\n");
        } else {
            char when[32] = "?";
            time_t s = (time_t)floor(t);
            struct tm tm;
            if (isfinite(t) && gmtime_r(&s, &tm))
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
            printf("%6lld %s %-15s %-10s %-12s %s\n", (long long)seq, when, col(st, 2), col(st, 3),
                   col(st, 4), col(st, 5));
        }
        last = seq;
        shown++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fprintf(stderr, "stratum audit: read failed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    if (!json) {
        if (shown == 0)
            printf("(no records from %ld%s%s)\n", from, kind ? " of kind " : "", kind ? kind : "");
        else if (next)
            printf("-- records %ld..%lld shown; next page: --from %lld\n", from, (long long)last,
                   (long long)next);
        else
            printf("-- end of the chain (%ld shown)\n", shown);
    }
    return 0;
}

int st_cmd_audit(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_KEY, OPT_PK, OPT_FROM, OPT_LIMIT, OPT_KIND, OPT_JSON };
    static const struct option longopts[] = {{"db", required_argument, 0, OPT_DB},
                                             {"key", required_argument, 0, OPT_KEY},
                                             {"public-key", required_argument, 0, OPT_PK},
                                             {"from", required_argument, 0, OPT_FROM},
                                             {"limit", required_argument, 0, OPT_LIMIT},
                                             {"kind", required_argument, 0, OPT_KIND},
                                             {"json", no_argument, 0, OPT_JSON},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *dbp = "stratum.db", *key = "installation.key", *pkhex = NULL, *kind = NULL;
    long from = 1, limit = 50;
    int json = 0, ch;
    int vs = st_cli_verb_stage(argc, argv, usage);
    if (vs >= 0) return vs;
    const char *sub = argv[1];
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            dbp = optarg;
            break;
        case OPT_KEY:
            key = optarg;
            break;
        case OPT_PK:
            pkhex = optarg;
            break;
        case OPT_FROM:
            if (st_cli_parse_long("audit", "--from", optarg, 1, INT64_MAX / 2, &from)) return 2;
            break;
        case OPT_LIMIT:
            if (st_cli_parse_long("audit", "--limit", optarg, 1, 10000, &limit)) return 2;
            break;
        case OPT_KIND:
            kind = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr,
                    "stratum audit: unknown or incomplete option '%s'; see 'stratum audit "
                    "--help'\n",
                    argv[optind]);
            return 2;
        }
    }
    if (optind != argc - 1 || (strcmp(sub, "verify") && strcmp(sub, "show"))) {
        fprintf(stderr, "stratum audit: expected 'verify' or 'show'; see 'stratum audit --help'\n");
        return 2;
    }
    unsigned char pk[32];
    int verify = !strcmp(sub, "verify");
    if (verify) {
        if (pkhex) {
            if (st_instkey_pk_parse(pkhex, pk) < 0) {
                fprintf(stderr, "stratum audit: --public-key: 64 hex digits expected\n");
                return 2;
            }
        } else {
            st_instkey k;
            char err[512];
            if (st_instkey_open(key, 0, &k, NULL, err, sizeof(err)) < 0) {
                fprintf(stderr,
                        "stratum audit: %s (heads are checked with the installation key; give "
                        "--key FILE or --public-key HEX)\n",
                        err);
                return 1;
            }
            memcpy(pk, k.pk, sizeof(pk));
            st_instkey_wipe(&k);
        }
    }
    st_log *log = st_log_new(stderr, ST_LOG_WARN);
    st_store *s = open_existing(dbp, log);
    int rc = 1;
    if (s)
        rc = verify ? do_verify(st_store_db(s), pk)
                    : do_show(st_store_db(s), from, limit, kind, json);
    st_store_free(s);
    st_log_free(log);
    return rc;
}
