/* stratum narrate: Quantitative Narrative Analysis of official documents (corpus, code, kwic,
 * colloc, keyness, triplets, build); thin wiring over src/narrate. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stratum/narrate_code.h"
#include "stratum/narrate_corpus.h"
#include "stratum/narrate_dict.h"
#include "stratum/narrate_keyness.h"
#include "stratum/narrate_kwic.h"
#include "stratum/narrate_output.h"
#include "stratum/narrate_qna.h"
#include "stratum/narrate_triplet.h"

#define CMD     "narrate"
#define MAX_OPT 32

static const char *const help_main =
    "usage: stratum narrate SUBCOMMAND [OPTIONS] CORPUS\n"
    "\n"
    "Semi-automated Quantitative Narrative Analysis (Franzosi) of official documents.\n"
    "CORPUS is a folder with MANIFEST.tsv (a 'file' column plus metadata), a folder of\n"
    "*.txt, a manifest file, or a list file of paths. Texts must be UTF-8; damage from\n"
    "PDF extraction is repaired and counted (see 'corpus').\n"
    "\n"
    "subcommands:\n"
    "  corpus    read, check and repair a corpus; report repairs per document\n"
    "  code      dictionary counts per document and category, rates per 10,000 words\n"
    "  kwic      concordance of a category or term\n"
    "  colloc    collocations of a category or term (window, log-likelihood G2)\n"
    "  keyness   words or categories key in one group of documents against another\n"
    "  triplets  propose subject-action-object triplets with link-grammar, for review\n"
    "  build     reviewed triplets -> counts by actor and action, actor network\n"
    "\n"
    "'stratum narrate SUBCOMMAND --help' describes each; docs/narrate.md walks through them.\n"
    "Every output starts with '# ' lines naming corpus, dictionary and options; outputs\n"
    "are written to a temporary file and renamed when complete.\n";

static const char *const help_common =
    "  --where COND     keep documents whose manifest fields meet COND (repeatable, all must\n"
    "                   hold): FIELD=V1|V2, FIELD!=V, FIELD>=N, FIELD<=N, FIELD>N, FIELD<N\n"
    "  --no-repair      use the texts as read (no repair of extraction damage)\n"
    "  -o, --output F   write to F (default: standard output); F appears only when complete\n"
    "  -h, --help       show this help\n";

static const char *const exit_status =
    "EXIT STATUS\n  0 done, 1 unreadable or invalid input (file and line are named), 2 usage "
    "error\n";

static void help(const char *sub)
{
    if (!strcmp(sub, "corpus"))
        printf("NAME\n  stratum narrate corpus - read, check and repair a corpus\n\n"
               "SYNOPSIS\n  stratum narrate corpus [--where COND]... [--no-repair] [-o F] "
               "CORPUS\n  stratum narrate corpus --text NAME CORPUS\n\n"
               "DESCRIPTION\n  Reads every selected document, checks it is UTF-8 (an error "
               "names file:line:column)\n  and repairs PDF-extraction damage: BOM, CR/CRLF, form "
               "feeds, soft hyphens, ligatures,\n  private-use bullets, zero-width and control "
               "characters, dot leaders, letter-spaced\n  words, fake-bold doubled letters, "
               "double-spaced lines, words hyphenated across line\n  ends and split words "
               "(the last two tested against word frequencies of the corpus).\n  Prints one TSV "
               "row per document (file, bytes, words, sentences, one column per\n  repair) and "
               "a TOTAL row. --text NAME prints the repaired text of the document\n  whose file "
               "name contains NAME instead.\n\nOPTIONS\n  --text NAME      print one "
               "repaired text\n%s\n%s",
               help_common, exit_status);
    else if (!strcmp(sub, "code"))
        printf("NAME\n  stratum narrate code - dictionary counts per document and category\n\n"
               "SYNOPSIS\n  stratum narrate code --dict FILE [--format long|wide|rate|summary|"
               "entries]\n                       [--fields F1,F2] [--where COND]... [-o F] "
               "CORPUS\n\n"
               "DESCRIPTION\n  Tokenises each document, codes it with the dictionary "
               "(docs/narrate.md: format)\n  and counts matches per category. Every category "
               "appears for every document, with 0\n  when it was not found: absence is a "
               "finding. Rates are per 10,000 words (WORD\n  and NUM tokens).\n\n"
               "FORMATS\n  long     file, fields, words, category, count, per_10k (default)\n"
               "  wide     file, fields, words, then one count column per category\n"
               "  rate     as wide, with rates per 10,000 words\n"
               "  summary  category, documents, documents_with_hits, hits, words, per_10k\n"
               "  entries  file, category, entry, count (entries with hits only)\n\n"
               "OPTIONS\n  --dict FILE      the dictionary (required)\n"
               "  --format NAME    table layout (above)\n"
               "  --fields LIST    manifest fields after 'file' (default: country,year,"
               "language when present)\n%s\n%s",
               help_common, exit_status);
    else if (!strcmp(sub, "kwic") || !strcmp(sub, "colloc"))
        printf("NAME\n  stratum narrate %s - %s\n\nSYNOPSIS\n  stratum narrate %s (--dict FILE "
               "[--category NAME] | --term TEXT) %s\n                       [--where COND]... "
               "[-o F] CORPUS\n\nDESCRIPTION\n%s\n"
               "OPTIONS\n  --dict FILE      dictionary; with --category one category, else "
               "all\n  --term TEXT      one entry in dictionary syntax, e.g. 'smart cit*' or "
               "'cyber attack*'\n%s%s\n%s",
               sub,
               !strcmp(sub, "kwic") ? "concordance (key word in context)"
                                    : "collocations (log-likelihood G2)",
               sub,
               !strcmp(sub, "kwic") ? "[--width N] [--format tsv|text]"
                                    : "[--window N] [--min N] [--top N]",
               !strcmp(sub, "kwic")
                   ? "  One line per counted match, in corpus order: file, sentence number, "
                     "token\n  index, category, entry, left context, match, right context.\n"
                   : "  Word types within N words left and right of each match (each corpus "
                     "position\n  counted once, matches excluded), tested against their corpus "
                     "frequency with\n  Dunning's log-likelihood G2; only attracted words "
                     "(observed > expected) with at\n  least --min occurrences, sorted by G2. "
                     "Columns: word, o11, e11, freq, g2.\n",
               !strcmp(sub, "kwic") ? "  --width N        words of context each side "
                                      "(default 8)\n  --format F       tsv (default) or text "
                                      "(aligned)\n"
                                    : "  --window N       words each side (default 5)\n"
                                      "  --min N          minimum co-occurrences (default 3)\n"
                                      "  --top N          rows to print (default 50, 0 all)\n",
               help_common, exit_status);
    else if (!strcmp(sub, "keyness"))
        printf("NAME\n  stratum narrate keyness - what one group of documents says more\n\n"
               "SYNOPSIS\n  stratum narrate keyness --group COND [--group COND]... [--ref "
               "COND]...\n                       [--dict FILE] [--min N] [--top N] [--where "
               "COND]... [-o F] CORPUS\n\n"
               "DESCRIPTION\n  Compares the target group (documents meeting every --group "
               "condition) with the\n  reference (every --ref condition; default: all other "
               "documents). Features are\n  word types, or the dictionary's categories with "
               "--dict (then every category is\n  listed, zeros included). For each: raw counts "
               "a (target) and b (reference), word\n  totals c and d, log-likelihood G2 "
               "(Rayson & Garside 2000; negative when the\n  feature is rarer in the target), "
               "its p value (chi-squared, 1 df), log ratio\n  (Hardie 2014; zero counts taken "
               "as 0.5) and %%DIFF (Gabrielatos & Marchi 2012;\n  NA when b is 0). Sorted by "
               "G2, overused first.\n\nOPTIONS\n  --group COND     target condition "
               "(repeatable)\n  --ref COND       reference condition (repeatable)\n"
               "  --dict FILE      use categories instead of words\n  --min N          "
               "words only: a+b at least N (default 10)\n  --top N          words only: rows "
               "from each end (default 40, 0 all)\n%s\n%s",
               help_common, exit_status);
    else if (!strcmp(sub, "triplets"))
        printf("NAME\n  stratum narrate triplets - propose story-grammar triplets for review\n\n"
               "SYNOPSIS\n  stratum narrate triplets --dict FILE [--max-words N] "
               "[--max-seconds N]\n                       [--max-nulls N] [--limit N] "
               "[--where COND]... [-o F] CORPUS\n\n"
               "DESCRIPTION\n  Parses each English sentence that has a dictionary match with "
               "link-grammar and\n  proposes subject-action-object triplets with time, place "
               "and other modifiers\n  (passives with a 'by' agent are turned round: agent = "
               "subject). One TSV row per\n  proposal: id, file, sentence_no, sentence, subject, "
               "action, object, time, place,\n  modifiers, categories, confidence (a ranking "
               "heuristic), status ('proposed').\n  Review by editing the file: set status to "
               "accepted, edited (after correcting\n  fields) or rejected, then run 'stratum "
               "narrate build'. Sentences outside the word\n  bounds are skipped; parsing stops "
               "at the time limit (counted on stderr; a timed-\n  out sentence gives no rows, "
               "which can differ between machines).\n\nOPTIONS\n"
               "  --dict FILE      dictionary selecting the sentences (required)\n"
               "  --min-words N    shortest sentence parsed (default 4)\n"
               "  --max-words N    longest sentence parsed (default 30)\n"
               "  --max-seconds N  parse time limit per sentence (default 1)\n"
               "  --max-nulls N    words the parser may skip (default 1)\n"
               "  --limit N        parse at most N sentences (default 0: all)\n%s\n%s",
               help_common, exit_status);
    else if (!strcmp(sub, "build"))
        printf("NAME\n  stratum narrate build - QNA data set from reviewed triplets\n\n"
               "SYNOPSIS\n  stratum narrate build -o DIR TRIPLETS.tsv\n\n"
               "DESCRIPTION\n  Reads rows whose status is 'accepted' or 'edited' and writes to "
               "DIR: actors.tsv\n  (actor, as_subject, as_object, total), actions.tsv (action, "
               "count), nodes.csv,\n  edges.csv (source,target,action,weight) and network.gexf "
               "(GEXF 1.3, directed,\n  edges labelled by action). A status other than "
               "proposed/accepted/edited/rejected\n  is an error naming file and line.\n\n"
               "OPTIONS\n  -o, --output DIR an existing folder (required)\n  -h, --help       "
               "show this help\n\n%s",
               exit_status);
}

typedef struct opts {
    const char *sub, *corpus, *dict, *output, *format, *fields, *category, *term, *text;
    const char *where[MAX_OPT], *group[MAX_OPT], *ref[MAX_OPT];
    size_t nwhere, ngroup, nref;
    long width, window, min, top, max_words, min_words, max_seconds, max_nulls, limit;
    int repair;
    char optstr[2048];
} opts;

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->sub = argv[0];
    o->repair = 1;
    o->width = 8;
    o->window = 5;
    o->min = -1;
    o->top = -1;
    o->max_words = 30;
    o->min_words = 4;
    o->max_seconds = 1;
    o->max_nulls = 1;
    size_t ol = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(o->sub);
            return 1;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (o->corpus) {
                fprintf(stderr, "stratum %s %s: more than one input ('%s', '%s')\n", CMD, o->sub,
                        o->corpus, a);
                return -1;
            }
            o->corpus = a;
            continue;
        }
        if (!strcmp(a, "--no-repair")) {
            o->repair = 0;
            ol += (size_t)snprintf(o->optstr + ol,
                                   ol < sizeof(o->optstr) ? sizeof(o->optstr) - ol : 0, "%s%s",
                                   ol ? " " : "", a);
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "stratum %s %s: %s needs a value\n", CMD, o->sub, a);
            return -1;
        }
        const char *v = argv[++i];
        long *num = NULL;
        long lo = 0, hi = 0;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            o->output = v;
            continue; /* the output path is not an option of the result */
        } else if (!strcmp(a, "--dict"))
            o->dict = v;
        else if (!strcmp(a, "--format"))
            o->format = v;
        else if (!strcmp(a, "--fields"))
            o->fields = v;
        else if (!strcmp(a, "--category"))
            o->category = v;
        else if (!strcmp(a, "--term"))
            o->term = v;
        else if (!strcmp(a, "--text"))
            o->text = v;
        else if (!strcmp(a, "--where") || !strcmp(a, "--group") || !strcmp(a, "--ref")) {
            const char **arr = a[2] == 'w' ? o->where : a[2] == 'g' ? o->group : o->ref;
            size_t *n = a[2] == 'w' ? &o->nwhere : a[2] == 'g' ? &o->ngroup : &o->nref;
            if (*n == MAX_OPT) {
                fprintf(stderr, "stratum %s %s: at most %d %s options\n", CMD, o->sub, MAX_OPT, a);
                return -1;
            }
            arr[(*n)++] = v;
        } else if (!strcmp(a, "--width"))
            num = &o->width, lo = 0, hi = 100;
        else if (!strcmp(a, "--window"))
            num = &o->window, lo = 1, hi = 50;
        else if (!strcmp(a, "--min"))
            num = &o->min, lo = 0, hi = 1000000000;
        else if (!strcmp(a, "--top"))
            num = &o->top, lo = 0, hi = 1000000000;
        else if (!strcmp(a, "--max-words"))
            num = &o->max_words, lo = 2, hi = 200;
        else if (!strcmp(a, "--min-words"))
            num = &o->min_words, lo = 1, hi = 200;
        else if (!strcmp(a, "--max-seconds"))
            num = &o->max_seconds, lo = 1, hi = 600;
        else if (!strcmp(a, "--max-nulls"))
            num = &o->max_nulls, lo = 0, hi = 10;
        else if (!strcmp(a, "--limit"))
            num = &o->limit, lo = 0, hi = 100000000;
        else {
            fprintf(stderr, "stratum %s %s: unknown option '%s'; see --help\n", CMD, o->sub, a);
            return -1;
        }
        if (num) {
            char optname[64];
            snprintf(optname, sizeof(optname), "%s %s", o->sub, a);
            if (st_cli_parse_long(CMD, optname, v, lo, hi, num) < 0) return -1;
        }
        if (ol < sizeof(o->optstr))
            ol += (size_t)snprintf(o->optstr + ol, sizeof(o->optstr) - ol, "%s%s %s", ol ? " " : "",
                                   a, v);
    }
    if (!o->corpus) {
        fprintf(stderr, "stratum %s %s: no %s given; see --help\n", CMD, o->sub,
                strcmp(o->sub, "build") ? "CORPUS" : "TRIPLETS file");
        return -1;
    }
    return 0;
}

static st_corpus *open_corpus(const opts *o)
{
    char err[1024] = "";
    st_corpus_opts co = {o->where, o->nwhere, o->repair};
    st_corpus *c = st_corpus_open(o->corpus, &co, err, sizeof(err));
    if (!c) fprintf(stderr, "stratum %s %s: %s\n", CMD, o->sub, err);
    return c;
}

static st_dict *open_dict(const opts *o, int required)
{
    char err[1024] = "";
    st_dict *d = NULL;
    if (o->term && o->dict) {
        fprintf(stderr, "stratum %s %s: give --dict or --term, not both\n", CMD, o->sub);
        return NULL;
    }
    if (o->term) {
        char buf[ST_DICT_MAX_LINE + 16];
        int n = snprintf(buf, sizeof(buf), "[term]\n%s\n", o->term);
        if (n < 0 || (size_t)n >= sizeof(buf) || strchr(o->term, '\n')) {
            fprintf(stderr, "stratum %s %s: --term: too long or more than one line\n", CMD, o->sub);
            return NULL;
        }
        d = st_dict_parse(buf, (size_t)n, "--term", err, sizeof(err));
    } else if (o->dict) {
        d = st_dict_load(o->dict, err, sizeof(err));
    } else {
        if (required)
            fprintf(stderr, "stratum %s %s: --dict FILE%s is required\n", CMD, o->sub,
                    strcmp(o->sub, "kwic") && strcmp(o->sub, "colloc") ? "" : " or --term TEXT");
        return NULL;
    }
    if (!d) fprintf(stderr, "stratum %s %s: %s\n", CMD, o->sub, err);
    return d;
}

static st_nout *open_out(const opts *o)
{
    char err[1024] = "";
    st_nout *out = st_nout_open(o->output ? o->output : "-", err, sizeof(err));
    if (!out) fprintf(stderr, "stratum %s %s: %s\n", CMD, o->sub, err);
    return out;
}

static int finish(const opts *o, st_nout *out)
{
    char err[1024] = "";
    if (st_nout_commit(out, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum %s %s: %s\n", CMD, o->sub, err);
        return 1;
    }
    return 0;
}

static void provenance(FILE *f, const opts *o, const st_corpus *c, const st_dict *d)
{
    st_nout_provenance(f, o->sub, c, o->where, o->nwhere, o->repair, d, o->optstr);
}

/* ---- corpus ----------------------------------------------------------- */

static int run_corpus(const opts *o)
{
    st_corpus *c = open_corpus(o);
    if (!c) return 1;
    st_nout *out = open_out(o);
    if (!out) {
        st_corpus_free(c);
        return 1;
    }
    FILE *f = st_nout_file(out);
    int found = 0;
    if (o->text) {
        for (size_t i = 0; i < st_corpus_size(c); i++) {
            const st_corpus_doc *d = st_corpus_doc_at(c, i);
            if (strstr(d->name, o->text)) {
                fwrite(d->text, 1, d->len, f);
                found = 1;
                break;
            }
        }
        st_corpus_free(c);
        if (!found) {
            fprintf(stderr, "stratum %s %s: no document name contains '%s'\n", CMD, o->sub,
                    o->text);
            st_nout_abort(out);
            return 1;
        }
        return finish(o, out);
    }
    provenance(f, o, c, NULL);
    fprintf(f, "file\tbytes\twords\tsentences");
    for (int k = 0; k < ST_REPAIRS_N; k++) fprintf(f, "\t%s", st_repairs_name(k));
    fprintf(f, "\n");
    long tw = 0, ts = 0, tb = 0;
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        const st_corpus_doc *d = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if (st_doc_tokenise(d->text, d->len, &dt) < 0) {
            fprintf(stderr, "stratum %s %s: out of memory\n", CMD, o->sub);
            st_nout_abort(out);
            st_corpus_free(c);
            return 1;
        }
        long w = 0, s = 0;
        for (size_t k = 0; k < dt.n; k++) {
            w += st_tok_is_word(&dt.toks[k]);
            s += (dt.toks[k].flags & ST_TOK_SENT) != 0;
        }
        st_doc_tokens_free(&dt);
        fprintf(f, "%s\t%zu\t%ld\t%ld", d->name, d->raw_bytes, w, s);
        for (int k = 0; k < ST_REPAIRS_N; k++) fprintf(f, "\t%ld", st_repairs_get(&d->rep, k));
        fprintf(f, "\n");
        tw += w;
        ts += s;
        tb += (long)d->raw_bytes;
    }
    st_repairs t = st_corpus_repairs_total(c);
    fprintf(f, "TOTAL\t%ld\t%ld\t%ld", tb, tw, ts);
    for (int k = 0; k < ST_REPAIRS_N; k++) fprintf(f, "\t%ld", st_repairs_get(&t, k));
    fprintf(f, "\n");
    st_corpus_free(c);
    return finish(o, out);
}

/* ---- code ------------------------------------------------------------- */

/* Manifest fields to print after "file". */
static size_t pick_fields(const opts *o, const st_corpus *c, char names[][64], size_t cap)
{
    size_t n = 0;
    const char *list = o->fields ? o->fields : "country,year,language";
    const char *p = list;
    while (*p && n < cap) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l && l < 64) {
            snprintf(names[n], 64, "%.*s", (int)l, p);
            if (st_corpus_field(c, 0, names[n]))
                n++;
            else if (o->fields)
                fprintf(stderr, "stratum %s %s: note: the manifest has no field '%s'\n", CMD,
                        o->sub, names[n]);
        }
        p = e ? e + 1 : p + l;
    }
    return n;
}

static int run_code(const opts *o)
{
    const char *fmt = o->format ? o->format : "long";
    if (strcmp(fmt, "long") && strcmp(fmt, "wide") && strcmp(fmt, "rate") &&
        strcmp(fmt, "summary") && strcmp(fmt, "entries")) {
        fprintf(stderr,
                "stratum %s code: --format: '%s' is not long, wide, rate, summary or "
                "entries\n",
                CMD, fmt);
        return 2;
    }
    st_dict *d = open_dict(o, 1);
    if (!d) return o->dict ? 1 : 2;
    st_corpus *c = open_corpus(o);
    st_vocab *v = st_vocab_new(1 << 16);
    st_code_result r = {0};
    st_nout *out = NULL;
    int rc = 1;
    if (!c || !v) goto done;
    if (st_code_corpus(c, d, v, &r) < 0) {
        fprintf(stderr, "stratum %s code: out of memory\n", CMD);
        goto done;
    }
    if (!(out = open_out(o))) goto done;
    FILE *f = st_nout_file(out);
    provenance(f, o, c, d);
    char fl[16][64];
    size_t nf = pick_fields(o, c, fl, 16);
    if (!strcmp(fmt, "summary")) {
        fprintf(f, "# documents_with_hits counts documents with at least one match; 0 is a "
                   "finding\n");
        fprintf(f, "category\tdocuments\tdocuments_with_hits\thits\twords\tper_10k\n");
        long words = 0;
        for (size_t i = 0; i < r.ndoc; i++) words += r.words[i];
        for (size_t k = 0; k < r.ncat; k++) {
            long hits = 0, docs = 0;
            for (size_t i = 0; i < r.ndoc; i++) {
                hits += r.counts[i * r.ncat + k];
                docs += r.counts[i * r.ncat + k] > 0;
            }
            fprintf(f, "%s\t%zu\t%ld\t%ld\t%ld\t%.3f\n", st_dict_cat(d, k), r.ndoc, docs, hits,
                    words, st_code_rate(hits, words));
        }
    } else if (!strcmp(fmt, "entries")) {
        fprintf(f, "file\tcategory\tentry\tcount\n");
        for (size_t i = 0; i < r.ndoc; i++)
            for (size_t e = 0; e < r.nentries; e++) {
                long n = r.entry_counts[i * r.nentries + e];
                const st_dict_entry *en = st_dict_entry_at(d, e);
                if (n > 0)
                    fprintf(f, "%s\t%s\t%s\t%ld\n", st_corpus_doc_at(c, i)->name,
                            st_dict_cat(d, en->cat), en->text, n);
            }
    } else {
        int lng = !strcmp(fmt, "long"), rate = !strcmp(fmt, "rate");
        fprintf(f, "file");
        for (size_t k = 0; k < nf; k++) fprintf(f, "\t%s", fl[k]);
        fprintf(f, "\twords");
        if (lng)
            fprintf(f, "\tcategory\tcount\tper_10k\n");
        else {
            for (size_t k = 0; k < r.ncat; k++) fprintf(f, "\t%s", st_dict_cat(d, k));
            fprintf(f, "\n");
        }
        for (size_t i = 0; i < r.ndoc; i++) {
            char pre[2048];
            int pl = snprintf(pre, sizeof(pre), "%s", st_corpus_doc_at(c, i)->name);
            for (size_t k = 0; k < nf && pl < (int)sizeof(pre); k++)
                pl += snprintf(pre + pl, sizeof(pre) - (size_t)pl, "\t%s",
                               st_corpus_field(c, i, fl[k]));
            if (lng) {
                for (size_t k = 0; k < r.ncat; k++) {
                    long n = r.counts[i * r.ncat + k];
                    fprintf(f, "%s\t%ld\t%s\t%ld\t%.3f\n", pre, r.words[i], st_dict_cat(d, k), n,
                            st_code_rate(n, r.words[i]));
                }
            } else {
                fprintf(f, "%s\t%ld", pre, r.words[i]);
                for (size_t k = 0; k < r.ncat; k++) {
                    long n = r.counts[i * r.ncat + k];
                    if (rate)
                        fprintf(f, "\t%.3f", st_code_rate(n, r.words[i]));
                    else
                        fprintf(f, "\t%ld", n);
                }
                fprintf(f, "\n");
            }
        }
    }
    rc = finish(o, out);
    out = NULL;
done:
    st_nout_abort(out);
    st_code_result_free(&r);
    st_vocab_free(v);
    st_corpus_free(c);
    st_dict_free(d);
    return rc;
}

/* ---- kwic and colloc ---------------------------------------------------- */

static int run_kwic(const opts *o, int colloc)
{
    int fmt = ST_KWIC_TSV;
    if (o->format && !strcmp(o->format, "text"))
        fmt = ST_KWIC_TEXT;
    else if (o->format && strcmp(o->format, "tsv")) {
        fprintf(stderr, "stratum %s %s: --format: '%s' is not tsv or text\n", CMD, o->sub,
                o->format);
        return 2;
    }
    st_dict *d = open_dict(o, 1);
    if (!d) return (o->dict || o->term) ? 1 : 2;
    long cat = -1;
    if (o->category) {
        cat = st_dict_cat_find(d, o->category);
        if (cat < 0) {
            fprintf(stderr, "stratum %s %s: %s has no category [%s]\n", CMD, o->sub,
                    st_dict_name(d), o->category);
            st_dict_free(d);
            return 1;
        }
    }
    st_corpus *c = open_corpus(o);
    st_nout *out = NULL;
    st_vocab *v = NULL;
    st_colloc *cl = NULL;
    int rc = 1;
    if (!c || !(out = open_out(o))) goto done;
    FILE *f = st_nout_file(out);
    provenance(f, o, c, d);
    if (!colloc) {
        if (st_kwic_write(f, c, d, cat, (size_t)o->width, fmt) < 0) {
            fprintf(stderr, "stratum %s %s: out of memory\n", CMD, o->sub);
            goto done;
        }
    } else {
        size_t n;
        long nodes, slots, total;
        long min = o->min >= 0 ? o->min : 3, top = o->top >= 0 ? o->top : 50;
        if (!(v = st_vocab_new(1 << 16)) ||
            st_colloc_compute(c, d, cat, (size_t)o->window, min, v, &cl, &n, &nodes, &slots,
                              &total) < 0) {
            fprintf(stderr, "stratum %s %s: out of memory\n", CMD, o->sub);
            goto done;
        }
        fprintf(f, "# nodes %ld, window slots (R1) %ld, corpus words (N) %ld\n", nodes, slots,
                total);
        fprintf(f, "word\to11\te11\tfreq\tg2\n");
        for (size_t i = 0; i < n && (top == 0 || (long)i < top); i++)
            fprintf(f, "%s\t%ld\t%.2f\t%ld\t%.2f\n", cl[i].word, cl[i].o11, cl[i].e11, cl[i].freq,
                    cl[i].g2);
    }
    rc = finish(o, out);
    out = NULL;
done:
    st_nout_abort(out);
    free(cl);
    st_vocab_free(v);
    st_corpus_free(c);
    st_dict_free(d);
    return rc;
}

/* ---- keyness ------------------------------------------------------------ */

typedef struct krow {
    const char *name;
    long a, b;
    st_keyness k;
} krow;

static int cmp_krow(const void *pa, const void *pb)
{
    const krow *x = pa, *y = pb;
    if (x->k.g2 != y->k.g2) return x->k.g2 < y->k.g2 ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void print_krow(FILE *f, const krow *r, long c, long d)
{
    fprintf(f, "%s\t%ld\t%ld\t%ld\t%ld\t%.3f\t%.3g\t%.3f\t", r->name, r->a, r->b, c, d, r->k.g2,
            r->k.p, r->k.log_ratio);
    if (isnan(r->k.pct_diff))
        fprintf(f, "NA\n");
    else
        fprintf(f, "%.1f\n", r->k.pct_diff);
}

static int run_keyness(const opts *o)
{
    if (!o->ngroup) {
        fprintf(stderr, "stratum %s keyness: --group COND is required\n", CMD);
        return 2;
    }
    st_dict *d = NULL;
    if (o->dict && !(d = open_dict(o, 1))) return 1;
    st_corpus *c = open_corpus(o);
    int *group = NULL, rc = 1;
    st_vocab *v = NULL;
    st_nout *out = NULL;
    krow *rows = NULL;
    st_keyness_freqs kf = {0};
    st_code_result r = {0};
    if (!c) goto done;
    size_t nd = st_corpus_size(c);
    group = calloc(nd, sizeof(int));
    if (!group) goto done;
    char err[1024];
    for (size_t i = 0; i < nd; i++) {
        int g = 1;
        for (size_t k = 0; k < o->ngroup && g; k++) {
            int m = st_corpus_cond(c, i, o->group[k], err, sizeof(err));
            if (m < 0) {
                fprintf(stderr, "stratum %s keyness: --group: %s\n", CMD, err);
                goto done;
            }
            g = m;
        }
        if (g) {
            group[i] = 1;
            continue;
        }
        int rf = 1;
        for (size_t k = 0; k < o->nref && rf; k++) {
            int m = st_corpus_cond(c, i, o->ref[k], err, sizeof(err));
            if (m < 0) {
                fprintf(stderr, "stratum %s keyness: --ref: %s\n", CMD, err);
                goto done;
            }
            rf = m;
        }
        group[i] = rf ? 2 : 0;
    }
    size_t ng = 0, nr = 0;
    for (size_t i = 0; i < nd; i++) ng += group[i] == 1, nr += group[i] == 2;
    if (!ng || !nr) {
        fprintf(stderr,
                "stratum %s keyness: the %s group is empty (%zu target, %zu reference "
                "documents)\n",
                CMD, ng ? "reference" : "target", ng, nr);
        goto done;
    }
    if (!(v = st_vocab_new(1 << 16))) goto done;
    long tc = 0, rcw = 0;
    size_t nrows = 0;
    if (d) {
        if (st_code_corpus(c, d, v, &r) < 0) goto done;
        rows = calloc(r.ncat, sizeof(krow));
        if (!rows) goto done;
        for (size_t i = 0; i < nd; i++) {
            if (group[i] == 1) tc += r.words[i];
            if (group[i] == 2) rcw += r.words[i];
        }
        for (size_t k = 0; k < r.ncat; k++) {
            rows[k].name = st_dict_cat(d, k);
            for (size_t i = 0; i < nd; i++) {
                if (group[i] == 1) rows[k].a += r.counts[i * r.ncat + k];
                if (group[i] == 2) rows[k].b += r.counts[i * r.ncat + k];
            }
        }
        nrows = r.ncat;
    } else {
        if (st_keyness_count(c, group, v, &kf) < 0) goto done;
        tc = kf.target_words;
        rcw = kf.ref_words;
        rows = calloc(kf.ntypes ? kf.ntypes : 1, sizeof(krow));
        if (!rows) goto done;
        long min = o->min >= 0 ? o->min : 10;
        for (size_t t = 0; t < kf.ntypes; t++) {
            if (kf.target[t] + kf.ref[t] < min || kf.target[t] + kf.ref[t] == 0) continue;
            rows[nrows].name = st_vocab_str(v, t, NULL);
            rows[nrows].a = kf.target[t];
            rows[nrows].b = kf.ref[t];
            nrows++;
        }
    }
    for (size_t i = 0; i < nrows; i++) rows[i].k = st_keyness_calc(rows[i].a, tc, rows[i].b, rcw);
    qsort(rows, nrows, sizeof(krow), cmp_krow);
    if (!(out = open_out(o))) goto done;
    FILE *f = st_nout_file(out);
    provenance(f, o, c, d);
    fprintf(f, "# target: %zu documents, %ld words; reference: %zu documents, %ld words\n", ng, tc,
            nr, rcw);
    fprintf(f, "# g2 > 0: relatively more frequent in the target; p from chi-squared(1)\n");
    fprintf(f, "feature\ta_target\tb_reference\tc_target_words\td_reference_words\tg2\tp\t"
               "log_ratio\tpct_diff\n");
    long top = d ? 0 : (o->top >= 0 ? o->top : 40);
    for (size_t i = 0; i < nrows; i++) {
        int head = top == 0 || (long)i<top, tail = top> 0 && (long)(nrows - i) <= top;
        if (head || tail) print_krow(f, &rows[i], tc, rcw);
    }
    rc = finish(o, out);
    out = NULL;
done:
    st_nout_abort(out);
    free(rows);
    free(group);
    st_keyness_freqs_free(&kf);
    st_code_result_free(&r);
    st_vocab_free(v);
    st_corpus_free(c);
    st_dict_free(d);
    return rc;
}

/* ---- triplets and build ------------------------------------------------- */

static int run_triplets(const opts *o)
{
    st_dict *d = open_dict(o, 1);
    if (!d) return o->dict ? 1 : 2;
    st_corpus *c = open_corpus(o);
    st_triplet_opts to = {(int)o->min_words, (int)o->max_words, (int)o->max_seconds,
                          (int)o->max_nulls, o->limit};
    st_triplets *t = NULL;
    st_nout *out = NULL;
    int rc = 1;
    if (!c) goto done;
    if (!(t = st_triplets_new(&to))) {
        fprintf(stderr,
                "stratum %s triplets: cannot load the link-grammar English dictionary: "
                "%s\n",
                CMD, strerror(errno));
        goto done;
    }
    if (!(out = open_out(o))) goto done;
    FILE *f = st_nout_file(out);
    provenance(f, o, c, d);
    fprintf(f,
            "# parser: link-grammar %s (English dictionary); min-words %ld, max-words %ld, "
            "max-seconds %ld, max-nulls %ld\n",
            st_triplets_parser_version(), o->min_words, o->max_words, o->max_seconds, o->max_nulls);
    fprintf(f, "# review: set status to accepted, edited or rejected; then stratum narrate "
               "build\n");
    st_triplet_stats s;
    int e = st_triplets_corpus(t, c, d, f, &s);
    if (e < 0) {
        fprintf(stderr, "stratum %s triplets: %s\n", CMD, strerror(-e));
        goto done;
    }
    fprintf(stderr,
            "stratum %s triplets: %ld candidate sentences, %ld skipped (length/prose), %ld "
            "parsed, %ld unparsed, %ld timed out; %ld triplets\n",
            CMD, s.candidates, s.skipped, s.parsed, s.unparsed, s.timeouts, s.triplets);
    rc = finish(o, out);
    out = NULL;
done:
    st_nout_abort(out);
    st_triplets_free(t);
    st_corpus_free(c);
    st_dict_free(d);
    return rc;
}

static int run_build(const opts *o)
{
    if (!o->output) {
        fprintf(stderr, "stratum %s build: -o DIR is required\n", CMD);
        return 2;
    }
    char err[1024] = "";
    st_qna_stats s;
    if (st_qna_build(o->corpus, o->output, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "stratum %s build: %s\n", CMD, err);
        return 1;
    }
    fprintf(stderr,
            "stratum %s build: %ld rows: %ld accepted or edited, %ld rejected, %ld still "
            "proposed; %ld actors, %ld actions, %ld edges -> %s\n",
            CMD, s.rows, s.accepted, s.rejected, s.proposed, s.actors, s.actions, s.edges,
            o->output);
    return 0;
}

static void usage_main(FILE *f)
{
    fputs(help_main, f);
}

int st_cmd_narrate(int argc, char **argv)
{
    int vs = st_cli_verb_stage(argc, argv, usage_main);
    if (vs >= 0) return vs;
    static const char *const subs[] = {"corpus",  "code",     "kwic", "colloc",
                                       "keyness", "triplets", "build"};
    int known = 0;
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) known |= !strcmp(argv[1], subs[i]);
    if (!known) {
        fprintf(stderr, "stratum %s: '%s' is not a subcommand; see 'stratum narrate --help'\n", CMD,
                argv[1]);
        return 2;
    }
    opts *o = malloc(sizeof(*o));
    if (!o) return 1;
    int p = parse(argc - 1, argv + 1, o);
    int rc;
    if (p != 0)
        rc = p > 0 ? 0 : 2;
    else if (!strcmp(o->sub, "corpus"))
        rc = run_corpus(o);
    else if (!strcmp(o->sub, "code"))
        rc = run_code(o);
    else if (!strcmp(o->sub, "kwic"))
        rc = run_kwic(o, 0);
    else if (!strcmp(o->sub, "colloc"))
        rc = run_kwic(o, 1);
    else if (!strcmp(o->sub, "keyness"))
        rc = run_keyness(o);
    else if (!strcmp(o->sub, "triplets"))
        rc = run_triplets(o);
    else
        rc = run_build(o);
    free(o);
    return rc;
}
