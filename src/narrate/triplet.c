/* Subject-action-object proposals from link-grammar linkages (narrate_triplet.h). Link names
 * follow the link-grammar English dictionary 5.x: S (subject-verb), I/PP/Pg/Pv/TO (verb chains),
 * O (object), MV/J (prepositional modifiers), A/AN/G (noun pre-modifiers), SJ/VJ (coordination). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <link-grammar/link-includes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stratum/narrate_code.h"
#include "stratum/narrate_output.h"
#include "stratum/narrate_triplet.h"

#define MAX_OUT 16

struct st_triplets {
    Dictionary dict;
    Parse_Options po;
    st_triplet_opts o;
};

static void quiet(lg_errinfo *ei, void *data)
{
    (void)ei;
    (void)data; /* link-grammar's notes go nowhere; failures surface as return codes */
}

void st_triplets_free(st_triplets *t)
{
    if (!t) return;
    if (t->po) parse_options_delete(t->po);
    if (t->dict) dictionary_delete(t->dict);
    free(t);
}

st_triplets *st_triplets_new(const st_triplet_opts *opts)
{
    st_triplets *t = calloc(1, sizeof(*t));
    int e = ENOMEM;
    if (!t) goto fail;
    st_triplet_opts def = {4, 30, 1, 1, 0};
    t->o = opts ? *opts : def;
    if (t->o.min_words <= 0) t->o.min_words = def.min_words;
    if (t->o.max_words <= 0) t->o.max_words = def.max_words;
    if (t->o.max_seconds <= 0) t->o.max_seconds = def.max_seconds;
    if (t->o.max_nulls < 0) t->o.max_nulls = 0;
    lg_error_set_handler(quiet, NULL);
    t->dict = dictionary_create_lang("en");
    if (!t->dict) {
        e = ENOENT;
        goto fail;
    }
    t->po = parse_options_create();
    if (!t->po) goto fail;
    parse_options_set_verbosity(t->po, 0);
    parse_options_set_max_parse_time(t->po, t->o.max_seconds);
    parse_options_set_linkage_limit(t->po, 100);
    parse_options_set_repeatable_rand(t->po, 1); /* same input, same linkage order */
    parse_options_set_islands_ok(t->po, 0);
    parse_options_set_spell_guess(t->po, 0);
    return t;
fail:
    st_triplets_free(t);
    errno = e;
    return NULL;
}

const char *st_triplets_parser_version(void)
{
    return linkgrammar_get_version();
}

/* ---- linkage helpers ------------------------------------------------- */

typedef struct lkg {
    Linkage l;
    const char *text;
    int nw, nl;
} lkg;

static int prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

/* The word as written in the sentence. */
static size_t surface(const lkg *k, int w, char *buf, size_t cap)
{
    int a = linkage_get_word_byte_start(k->l, w), b = linkage_get_word_byte_end(k->l, w);
    size_t n = b > a ? (size_t)(b - a) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(buf, k->text + a, n);
    buf[n] = '\0';
    return n;
}

static int word_is(const lkg *k, int w, const char *s)
{
    char buf[64];
    surface(k, w, buf, sizeof(buf));
    return !strcasecmp(buf, s);
}

static int is_conj(const lkg *k, int w)
{
    const char *s = linkage_get_word(k->l, w);
    return prefix(s, "and.j") || prefix(s, "or.j") || prefix(s, "but.j") || prefix(s, "nor.j");
}

/* Copy the sentence bytes of [a, b) words' span into out (<= cap). */
static void span_text(const lkg *k, int wa, int wb, char *out, size_t cap)
{
    int a = linkage_get_word_byte_start(k->l, wa), b = linkage_get_word_byte_end(k->l, wb);
    size_t n = b > a ? (size_t)(b - a) : 0;
    if (n >= cap) n = cap - 1;
    /* Do not cut a UTF-8 sequence. */
    while (n && n < (size_t)(b - a) && ((unsigned char)k->text[a + n] & 0xC0) == 0x80) n--;
    memcpy(out, k->text + a, n);
    out[n] = '\0';
}

/* Leftmost word of the noun phrase headed by h: pre-modifiers (A, AN, G, GN,
 * NM, and determiners D except articles), recursively. */
static int np_left(const lkg *k, int h, int depth)
{
    int left = h;
    if (depth > 6) return left;
    for (int i = 0; i < k->nl; i++) {
        if (linkage_get_link_rword(k->l, i) != (WordIdx)h) continue;
        const char *lab = linkage_get_link_label(k->l, i);
        int lw = (int)linkage_get_link_lword(k->l, i);
        if (lw <= 0 || lw >= h) continue;
        int ok = (lab[0] == 'A' &&
                  (lab[1] == 'N' || lab[1] == '\0' || (lab[1] >= 'a' && lab[1] <= 'z'))) ||
                 (lab[0] == 'G' &&
                  (lab[1] == 'N' || lab[1] == '\0' || (lab[1] >= 'a' && lab[1] <= 'z'))) ||
                 prefix(lab, "NM") || prefix(lab, "YS") || prefix(lab, "YP") || prefix(lab, "EA");
        if (lab[0] == 'D' &&
            !(word_is(k, lw, "the") || word_is(k, lw, "a") || word_is(k, lw, "an")))
            ok = 1;
        if (!ok) continue;
        int l2 = np_left(k, lw, depth + 1);
        if (l2 < left) left = l2;
    }
    return left;
}

/* Word linked to w by a label with prefix p, w on the left (right = 1) or
 * right (right = 0) side; -1 if none. */
static int linked(const lkg *k, int w, const char *p, int right)
{
    for (int i = 0; i < k->nl; i++) {
        int lw = (int)linkage_get_link_lword(k->l, i), rw = (int)linkage_get_link_rword(k->l, i);
        const char *lab = linkage_get_link_label(k->l, i);
        if (!prefix(lab, p)) continue;
        if (right && lw == w) return rw;
        if (!right && rw == w) return lw;
    }
    return -1;
}

/* The noun phrase of head h as text, with one "of" complement. Returns the
 * last word of the phrase. */
static int np_text(const lkg *k, int h, char *out, size_t cap)
{
    int a = np_left(k, h, 0), b = h;
    int of = -1;
    for (int i = 0; i < k->nl; i++) {
        if ((int)linkage_get_link_lword(k->l, i) != h) continue;
        const char *lab = linkage_get_link_label(k->l, i);
        int rw = (int)linkage_get_link_rword(k->l, i);
        if (prefix(lab, "Mp") && word_is(k, rw, "of")) of = rw;
    }
    if (of > 0) {
        int j = linked(k, of, "J", 1);
        if (j > of) b = j;
    }
    span_text(k, a, b, out, cap);
    return b;
}

static int is_timeword(const char *s)
{
    static const char *const w[] = {
        "january",   "february", "march",    "april",    "may",      "june",   "july",   "august",
        "september", "october",  "november", "december", "year",     "years",  "month",  "months",
        "decade",    "decades",  "century",  "today",    "now",      "future", "period", "day",
        "days",      "week",     "weeks",    "time",     "annually", "date",   "past",   "term",
        "times",     "era",      "spring",   "summer",   "autumn",   "winter"};
    size_t n = strlen(s);
    for (size_t i = 0; i + 4 <= n; i++)
        if ((s[i] == '1' && s[i + 1] == '9') || (s[i] == '2' && s[i + 1] == '0')) {
            int y = 1;
            for (int q = 2; q < 4; q++) y &= s[i + q] >= '0' && s[i + q] <= '9';
            if (y && (i + 4 == n || !(s[i + 4] >= '0' && s[i + 4] <= '9')) &&
                (i == 0 || !(s[i - 1] >= '0' && s[i - 1] <= '9')))
                return 1;
        }
    char buf[ST_TRIPLET_FIELD];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *tok = strtok(buf, " ,;"); tok; tok = strtok(NULL, " ,;"))
        for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
            if (!strcasecmp(tok, w[i])) return 1;
    return 0;
}

static int is_placeword(const char *head)
{
    static const char *const w[] = {
        "city",       "cities",   "country", "countries", "region",    "regions",     "world",
        "cyberspace", "internet", "nation",  "nations",   "territory", "area",        "areas",
        "border",     "borders",  "street",  "streets",   "community", "communities", "europe",
        "africa",     "asia",     "online",  "abroad",    "home",      "overseas",    "place",
        "places",     "state",    "states",  "domain",    "sea",       "space",       "continent"};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        if (!strcasecmp(head, w[i])) return 1;
    return 0;
}

static void append(char *dst, const char *s)
{
    size_t n = strlen(dst);
    if (n && n + 2 < ST_TRIPLET_FIELD) {
        strcat(dst, "; ");
        n += 2;
    }
    snprintf(dst + n, ST_TRIPLET_FIELD - n, "%s", s);
}

/* Fill time, place and modifiers from the verb chain's prepositional phrases
 * and adverbs; the "by" of a passive agent is skipped. */
static void modifiers(const lkg *k, const int *chain, int nchain, int skip_by, st_triplet *t)
{
    for (int i = 0; i < k->nl; i++) {
        int lw = (int)linkage_get_link_lword(k->l, i), rw = (int)linkage_get_link_rword(k->l, i);
        const char *lab = linkage_get_link_label(k->l, i);
        int mine = 0;
        for (int c = 0; c < nchain; c++) mine |= chain[c] == lw;
        if (!mine || !prefix(lab, "MV")) continue;
        if (rw == skip_by) continue;
        char phrase[2 * ST_TRIPLET_FIELD], np[ST_TRIPLET_FIELD], head[64];
        int j = linked(k, rw, "J", 1);
        if (j < 0) j = linked(k, rw, "IN", 1);
        if (j > rw) {
            char prep[64];
            surface(k, rw, prep, sizeof(prep));
            np_text(k, j, np, sizeof(np));
            snprintf(phrase, sizeof(phrase), "%s %s", prep, np);
            surface(k, j, head, sizeof(head));
            int cap = head[0] >= 'A' && head[0] <= 'Z';
            if (is_timeword(np))
                append(t->time, phrase);
            else if (is_placeword(head) || (cap && (word_is(k, rw, "in") || word_is(k, rw, "at") ||
                                                    word_is(k, rw, "across"))))
                append(t->place, phrase);
            else
                append(t->modifiers, phrase);
        } else if (prefix(lab, "MVa")) {
            surface(k, rw, phrase, sizeof(phrase));
            append(t->modifiers, phrase);
        }
    }
}

static double confidence(const lkg *k, int nulls, const st_triplet *t)
{
    double c = 1.0 - 0.3 * nulls;
    double dc = linkage_disjunct_cost(k->l);
    if (dc > 1.0) c -= 0.1 * (dc - 1.0);
    static const char *const pron[] = {"it",    "they", "this", "these", "that", "which", "who",
                                       "those", "he",   "she",  "there", "its",  "such"};
    for (size_t i = 0; i < sizeof(pron) / sizeof(pron[0]); i++)
        if (!strcasecmp(t->subject, pron[i]) || !strcasecmp(t->object, pron[i])) c -= 0.2;
    if (!t->object[0] && !t->passive) c -= 0.2;
    if (!t->subject[0]) c -= 0.2;
    for (int w = 1; w < k->nw; w++) {
        const char *s = linkage_get_word(k->l, w);
        if (strstr(s, "[?]") || strstr(s, "[~]")) c -= 0.1;
    }
    if (c < 0.05) c = 0.05;
    if (c > 1) c = 1;
    return c;
}

/* Triplets of one subject-verb link. */
static int from_s_link(const lkg *k, int subj, int verb, int nulls, st_triplet *out, int cap)
{
    int subjs[8], ns = 0, verbs[8], nv = 0, n = 0;
    if (is_conj(k, subj)) {
        for (int i = 0; i < k->nl && ns < 8; i++)
            if ((int)linkage_get_link_rword(k->l, i) == subj &&
                prefix(linkage_get_link_label(k->l, i), "SJl"))
                subjs[ns++] = (int)linkage_get_link_lword(k->l, i);
            else if ((int)linkage_get_link_lword(k->l, i) == subj &&
                     prefix(linkage_get_link_label(k->l, i), "SJr"))
                subjs[ns++] = (int)linkage_get_link_rword(k->l, i);
    } else {
        subjs[ns++] = subj;
    }
    if (is_conj(k, verb)) {
        for (int i = 0; i < k->nl && nv < 8; i++)
            if ((int)linkage_get_link_rword(k->l, i) == verb &&
                prefix(linkage_get_link_label(k->l, i), "VJl"))
                verbs[nv++] = (int)linkage_get_link_lword(k->l, i);
            else if ((int)linkage_get_link_lword(k->l, i) == verb &&
                     prefix(linkage_get_link_label(k->l, i), "VJr"))
                verbs[nv++] = (int)linkage_get_link_rword(k->l, i);
    } else {
        verbs[nv++] = verb;
    }
    for (int vi = 0; vi < nv; vi++) {
        /* Follow the verb chain: modal/auxiliary -> main verb. "TO" is followed
         * only when the verb has no object ("seeks to protect", not "use
         * media to recruit", whose "to" clause is a purpose). */
        int chain[12], nc = 0, cur = verbs[vi], passive = 0, adj = -1;
        chain[nc++] = cur;
        for (int step = 0; step < 10 && !is_conj(k, cur); step++) {
            int nx = -1;
            static const char *const labs[] = {"I", "PP", "Pg", "Pv", "TO"};
            for (size_t q = 0; q < 5 && nx < 0; q++) {
                if (q == 4 && linked(k, cur, "O", 1) > cur) break;
                int r = linked(k, cur, labs[q], 1);
                if (r > cur) {
                    nx = r;
                    if (q == 3) passive = 1;
                }
            }
            if (nx < 0) {
                int pa = linked(k, cur, "Pa", 1);
                if (pa > cur) adj = pa;
                break;
            }
            cur = nx;
            if (nc < 12) chain[nc++] = cur;
        }
        /* A coordination inside the chain ("will detect and disrupt"): one
         * main verb per conjunct, sharing the auxiliaries before it. */
        int mains[8], nm = 0, conj = -1;
        if (is_conj(k, cur) && cur != verbs[vi]) {
            conj = cur;
            for (int i = 0; i < k->nl && nm < 8; i++)
                if ((int)linkage_get_link_rword(k->l, i) == conj &&
                    prefix(linkage_get_link_label(k->l, i), "VJl"))
                    mains[nm++] = (int)linkage_get_link_lword(k->l, i);
                else if ((int)linkage_get_link_lword(k->l, i) == conj &&
                         prefix(linkage_get_link_label(k->l, i), "VJr"))
                    mains[nm++] = (int)linkage_get_link_rword(k->l, i);
        }
        if (nm == 0) mains[nm++] = cur;
        for (int mi = 0; mi < nm; mi++) {
            int main_v = mains[mi];
            int last = adj > 0 ? adj : main_v;
            if (nc < 12) chain[nc] = main_v;
            int nchain = nc < 12 ? nc + 1 : nc;
            int objs[8], no = 0;
            int o = linked(k, main_v, "O", 1);
            if (o < 0 && conj > 0) o = linked(k, conj, "O", 1);
            if (o > 0 && is_conj(k, o)) {
                for (int i = 0; i < k->nl && no < 8; i++)
                    if ((int)linkage_get_link_rword(k->l, i) == o &&
                        (prefix(linkage_get_link_label(k->l, i), "MJl") ||
                         prefix(linkage_get_link_label(k->l, i), "SJl")))
                        objs[no++] = (int)linkage_get_link_lword(k->l, i);
                    else if ((int)linkage_get_link_lword(k->l, i) == o &&
                             (prefix(linkage_get_link_label(k->l, i), "MJr") ||
                              prefix(linkage_get_link_label(k->l, i), "SJr")))
                        objs[no++] = (int)linkage_get_link_rword(k->l, i);
            } else if (o > 0) {
                objs[no++] = o;
            }
            if (no == 0) objs[no++] = -1;
            int by = -1, agent = -1;
            if (passive) {
                for (int i = 0; i < k->nl; i++)
                    if ((int)linkage_get_link_lword(k->l, i) == main_v &&
                        prefix(linkage_get_link_label(k->l, i), "MV")) {
                        int rw = (int)linkage_get_link_rword(k->l, i);
                        if (word_is(k, rw, "by")) {
                            int j = linked(k, rw, "J", 1);
                            if (j > rw) {
                                by = rw;
                                agent = j;
                            }
                        }
                    }
            }
            for (int si = 0; si < ns; si++)
                for (int oi = 0; oi < no && n < cap; oi++) {
                    st_triplet *t = &out[n];
                    memset(t, 0, sizeof(*t));
                    int first = verbs[vi];
                    /* The action is the verb group as written ("will not protect"). */
                    if (conj > 0) {
                        char aux[ST_TRIPLET_FIELD] = "", mv[ST_TRIPLET_FIELD];
                        if (nc >= 2) span_text(k, first, chain[nc - 2], aux, sizeof(aux));
                        surface(k, last, mv, sizeof(mv));
                        snprintf(t->action, sizeof(t->action), "%.120s%s%.120s", aux,
                                 aux[0] ? " " : "", mv);
                    } else if (linkage_get_word_byte_end(k->l, last) -
                                   linkage_get_word_byte_start(k->l, first) <
                               ST_TRIPLET_FIELD - 1) {
                        span_text(k, first, last, t->action, sizeof(t->action));
                    } else {
                        surface(k, last, t->action, sizeof(t->action));
                    }
                    char sub[ST_TRIPLET_FIELD], obj[ST_TRIPLET_FIELD] = "";
                    np_text(k, subjs[si], sub, sizeof(sub));
                    if (objs[oi] > 0) np_text(k, objs[oi], obj, sizeof(obj));
                    t->passive = passive;
                    if (passive) {
                        if (agent > 0) np_text(k, agent, t->subject, sizeof(t->subject));
                        snprintf(t->object, sizeof(t->object), "%s", sub);
                        if (obj[0]) append(t->modifiers, obj);
                    } else {
                        snprintf(t->subject, sizeof(t->subject), "%s", sub);
                        snprintf(t->object, sizeof(t->object), "%s", obj);
                    }
                    modifiers(k, chain, nchain, by, t);
                    for (int i = 0; i < k->nl; i++) { /* adverbs before the verb: E links */
                        if ((int)linkage_get_link_rword(k->l, i) != chain[0] ||
                            !prefix(linkage_get_link_label(k->l, i), "E"))
                            continue;
                        char adv[64];
                        surface(k, (int)linkage_get_link_lword(k->l, i), adv, sizeof(adv));
                        if (linkage_get_link_lword(k->l, i) < (WordIdx)first)
                            append(t->modifiers, adv);
                    }
                    if (passive) append(t->modifiers, "passive");
                    t->confidence = confidence(k, nulls, t);
                    n++;
                }
        }
    }
    return n;
}

int st_triplets_sentence(st_triplets *t, const char *sentence, st_triplet *out, int cap)
{
    Sentence s = sentence_create(sentence, t->dict);
    if (!s) return -ENOMEM;
    int nl = -1, nulls = 0;
    for (nulls = 0; nulls <= t->o.max_nulls; nulls++) {
        parse_options_set_min_null_count(t->po, nulls);
        parse_options_set_max_null_count(t->po, nulls);
        nl = sentence_parse(s, t->po);
        if (parse_options_timer_expired(t->po) || parse_options_resources_exhausted(t->po)) {
            sentence_delete(s);
            return -ETIME;
        }
        if (nl > 0) break;
    }
    if (nl <= 0) {
        sentence_delete(s);
        return -ENODATA;
    }
    Linkage l = linkage_create(0, s, t->po);
    if (!l) {
        sentence_delete(s);
        return -ENODATA;
    }
    lkg k = {l, sentence, (int)linkage_get_num_words(l), (int)linkage_get_num_links(l)};
    int n = 0;
    for (int i = 0; i < k.nl && n < cap; i++) {
        const char *lab = linkage_get_link_label(l, i);
        if (lab[0] != 'S' || lab[1] == 'J' || lab[1] == 'F') continue;
        int lw = (int)linkage_get_link_lword(l, i), rw = (int)linkage_get_link_rword(l, i);
        int inverted = lab[1] == 'I' || lab[1] == 'X'; /* "SI": verb before subject */
        if (!inverted && !(lab[1] == '\0' || (lab[1] >= 'a' && lab[1] <= 'z') || lab[1] == '*'))
            continue;
        int subj = inverted ? rw : lw, verb = inverted ? lw : rw;
        if (subj <= 0 || verb <= 0) continue;
        n += from_s_link(&k, subj, verb, nulls, out + n, cap - n);
    }
    linkage_delete(l);
    sentence_delete(s);
    return n;
}

/* ---- corpus driver ---------------------------------------------------- */

typedef struct sent_hits {
    size_t *tok;
    size_t *entry;
    size_t n, cap;
    int oom;
} sent_hits;

static void on_hit(void *arg, size_t tok, size_t ntok, size_t entry)
{
    (void)ntok;
    sent_hits *h = arg;
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 64;
        size_t *a = realloc(h->tok, nc * sizeof(size_t));
        if (!a) {
            h->oom = 1;
            return;
        }
        h->tok = a;
        size_t *b = realloc(h->entry, nc * sizeof(size_t));
        if (!b) {
            h->oom = 1;
            return;
        }
        h->entry = b;
        h->cap = nc;
    }
    h->tok[h->n] = tok;
    h->entry[h->n++] = entry;
}

static void field(FILE *f, const char *s)
{
    st_nout_field(f, s, strlen(s));
}

int st_triplets_corpus(st_triplets *t, const st_corpus *c, const st_dict *d, FILE *out,
                       st_triplet_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    st_vocab *v = st_vocab_new(1 << 16);
    st_coder *cd = v ? st_coder_new(d, v) : NULL;
    sent_hits h = {0};
    char *text = NULL;
    unsigned char *catset = calloc(st_dict_ncat(d) + 1, 1);
    int rc = -ENOMEM;
    st_triplet tr[MAX_OUT];
    if (!cd || !catset) goto done;
    fprintf(out,
            "id\tfile\tsentence_no\tsentence\tsubject\taction\tobject\ttime\tplace\tmodifiers\t"
            "categories\tconfidence\tstatus\n");
    for (size_t i = 0; i < st_corpus_size(c); i++) {
        const char *lang = st_corpus_field(c, i, "language");
        if (lang && strcmp(lang, "en")) continue;
        const st_corpus_doc *doc = st_corpus_doc_at(c, i);
        st_doc_tokens dt;
        if (st_doc_tokenise(doc->text, doc->len, &dt) < 0) goto done;
        h.n = 0;
        if (st_coder_doc(cd, dt.toks, dt.n, dt.norm, dt.types, NULL, NULL, on_hit, &h) < 0 ||
            h.oom) {
            st_doc_tokens_free(&dt);
            goto done;
        }
        size_t hi = 0, sent_no = 0;
        for (size_t a = 0; a < dt.n;) {
            size_t b = a + 1;
            while (b < dt.n && !(dt.toks[b].flags & ST_TOK_SENT)) b++;
            sent_no++;
            memset(catset, 0, st_dict_ncat(d));
            int any = 0;
            while (hi < h.n && h.tok[hi] < b) {
                if (h.tok[hi] >= a) {
                    catset[st_dict_entry_at(d, h.entry[hi])->cat] = 1;
                    any = 1;
                }
                hi++;
            }
            size_t s0 = a, s1 = b;
            a = b;
            if (!any) continue;
            stats->candidates++;
            if (t->o.max_sentences &&
                stats->parsed + stats->unparsed + stats->timeouts >= t->o.max_sentences)
                continue;
            /* Drop leading bullets and marks; judge the rest as prose. */
            while (s0 < s1 && dt.toks[s0].kind == ST_TOK_PUNCT) s0++;
            int words = 0, alpha = 0, caps = 0;
            for (size_t q = s0; q < s1; q++) {
                words += st_tok_is_word(&dt.toks[q]);
                alpha += dt.toks[q].kind == ST_TOK_WORD;
                if (dt.toks[q].kind == ST_TOK_WORD && dt.toks[q].len > 1) {
                    const char *w = doc->text + dt.toks[q].off;
                    caps += w[0] >= 'A' && w[0] <= 'Z' && w[1] >= 'A' && w[1] <= 'Z';
                }
            }
            if (words < t->o.min_words || words > t->o.max_words || alpha * 10 < words * 8 ||
                caps * 2 > alpha) {
                stats->skipped++;
                continue;
            }
            size_t off = dt.toks[s0].off, len = dt.toks[s1 - 1].off + dt.toks[s1 - 1].len - off;
            char *nt = realloc(text, len + 1);
            if (!nt) {
                st_doc_tokens_free(&dt);
                goto done;
            }
            text = nt;
            /* One line, single spaces. */
            size_t w = 0;
            for (size_t q = 0; q < len; q++) {
                unsigned char ch = (unsigned char)doc->text[off + q];
                if (ch < 0x20 || ch == ' ') {
                    if (w && text[w - 1] != ' ') text[w++] = ' ';
                } else {
                    text[w++] = (char)ch;
                }
            }
            text[w] = '\0';
            int n = st_triplets_sentence(t, text, tr, MAX_OUT);
            if (n == -ETIME) {
                stats->timeouts++;
                continue;
            }
            if (n == -ENODATA) {
                stats->unparsed++;
                continue;
            }
            if (n < 0) {
                st_doc_tokens_free(&dt);
                rc = n;
                goto done;
            }
            stats->parsed++;
            for (int k = 0; k < n; k++) {
                fprintf(out, "%s#%zu.%d\t%s\t%zu\t", doc->name, sent_no, k + 1, doc->name, sent_no);
                field(out, text);
                fputc('\t', out);
                field(out, tr[k].subject);
                fputc('\t', out);
                field(out, tr[k].action);
                fputc('\t', out);
                field(out, tr[k].object);
                fputc('\t', out);
                field(out, tr[k].time);
                fputc('\t', out);
                field(out, tr[k].place);
                fputc('\t', out);
                field(out, tr[k].modifiers);
                fputc('\t', out);
                int first = 1;
                for (size_t q = 0; q < st_dict_ncat(d); q++)
                    if (catset[q]) {
                        fprintf(out, "%s%s", first ? "" : ",", st_dict_cat(d, q));
                        first = 0;
                    }
                fprintf(out, "\t%.2f\tproposed\n", tr[k].confidence);
                stats->triplets++;
            }
        }
        st_doc_tokens_free(&dt);
    }
    rc = 0;
done:
    free(text);
    free(catset);
    free(h.tok);
    free(h.entry);
    st_coder_free(cd);
    st_vocab_free(v);
    return rc;
}
