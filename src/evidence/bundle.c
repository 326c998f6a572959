/* Evidence bundle: signed aggregate counts, written and checked (signature, schema, counts). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/bundle.h"
#include "stratum/experiment.h"

/* What the signature covers: a domain tag (so no other Stratum signature can
 * be replayed as a bundle), then the body text exactly as carried. */
#define SIG_TAG     "stratum-evidence-v1"
#define SIG_TAG_LEN 20 /* with its NUL */

static int fail(char *err, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, int rc, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int city_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(" _.,'-", c)))
            return 0;
    }
    return 1;
}

static int arm_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ST_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-_+.", c)))
            return 0;
    }
    return 1;
}

/* The count checks, shared by writer and reader. 0 or -EINVAL with err. */
static int cell_check(const st_evidence_cell *c, double w, size_t i, char *err, size_t cap)
{
    const double eps = 1e-6 * (1 + w * w * (double)c->episodes);
    const char *a = c->arm;
    if (c->episodes < 0 || c->incidents < 0 || c->settled < 0 || c->calm < 0 ||
        c->episodes > ST_BUNDLE_MAX_COUNT)
        return fail(err, cap, -EINVAL, "cell %zu (%s, %s): negative or absurd count", i, a,
                    c->stratum);
    if (c->incidents > c->episodes || c->calm > c->episodes || c->settled > c->episodes)
        return fail(err, cap, -EINVAL,
                    "cell %zu (%s, %s): impossible counts: %ld episodes but %ld incidents, %ld "
                    "calm, %ld settled",
                    i, a, c->stratum, c->episodes, c->incidents, c->calm, c->settled);
    if (c->settled > c->calm || c->settled > c->episodes - c->incidents)
        return fail(err, cap, -EINVAL,
                    "cell %zu (%s, %s): impossible counts: %ld settled exceeds calm (%ld) or "
                    "episodes without incident (%ld)",
                    i, a, c->stratum, c->settled, c->calm, c->episodes - c->incidents);
    double n = (double)c->episodes;
    /* Each episode adds min(time to calm, window) in [0, w]; those never calm add w. */
    if (!isfinite(c->tc_sum) || !isfinite(c->tc_sumsq) || c->tc_sum < -eps ||
        c->tc_sum > n * w + eps || c->tc_sum < (n - (double)c->calm) * w - eps ||
        c->tc_sumsq < -eps || c->tc_sumsq > n * w * w + eps ||
        (n > 0 && c->tc_sumsq < c->tc_sum * c->tc_sum / n - eps))
        return fail(err, cap, -EINVAL,
                    "cell %zu (%s, %s): impossible time-to-calm sums %g and %g for %ld episodes "
                    "in a %g s window",
                    i, a, c->stratum, c->tc_sum, c->tc_sumsq, c->episodes, w);
    return 0;
}

static int check_all(const st_bundle *b, char *err, size_t cap)
{
    if (!city_ok(b->city))
        return fail(err, cap, -EINVAL, "city \"%.63s\": 1-63 letters, digits, spaces or _.,'-",
                    b->city);
    if (!(b->window_s > 0 && b->window_s <= 86400))
        return fail(err, cap, -EINVAL, "window_s %g: must be in (0, 86400]", b->window_s);
    if (!isfinite(b->created) || b->created < 0)
        return fail(err, cap, -EINVAL, "created: not a time");
    if (b->ncells == 0 || b->ncells > ST_BUNDLE_MAX_CELLS)
        return fail(err, cap, -EINVAL, "cells: %zu cells (1..%d allowed)", b->ncells,
                    ST_BUNDLE_MAX_CELLS);
    for (size_t i = 0; i < b->ncells; i++) {
        const st_evidence_cell *c = &b->cells[i];
        if (!memchr(c->arm, 0, sizeof(c->arm)) || !arm_ok(c->arm))
            return fail(err, cap, -EINVAL, "cell %zu: invalid arm name", i);
        if (!memchr(c->stratum, 0, sizeof(c->stratum)) ||
            st_experiment_stratum_parse(c->stratum) < 0)
            return fail(err, cap, -EINVAL, "cell %zu (%s): unknown stratum \"%.15s\"", i, c->arm,
                        c->stratum);
        int rc = cell_check(c, b->window_s, i, err, cap);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(b->cells[j].arm, c->arm) && !strcmp(b->cells[j].stratum, c->stratum))
                return fail(err, cap, -EINVAL, "cell %zu (%s, %s) repeats cell %zu", i, c->arm,
                            c->stratum, j);
    }
    return 0;
}

int st_bundle_write(const st_bundle *b, const st_instkey *k, char **out)
{
    char err[256];
    json_t *body = NULL, *cells = NULL, *env = NULL;
    char *text = NULL, *res = NULL;
    unsigned char *msg = NULL;
    int rc = -ENOMEM;
    *out = NULL;
    if (!b || !k || check_all(b, err, sizeof(err)) < 0) return -EINVAL;
    if (sodium_init() < 0) return -EIO;
    cells = json_array();
    for (size_t i = 0; cells && i < b->ncells; i++) {
        const st_evidence_cell *c = &b->cells[i];
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "arm", c->arm, "stratum",
                              c->stratum, "episodes", (json_int_t)c->episodes, "incidents",
                              (json_int_t)c->incidents, "settled", (json_int_t)c->settled, "calm",
                              (json_int_t)c->calm, "tc_sum", c->tc_sum, "tc_sumsq", c->tc_sumsq);
        if (!o || json_array_append_new(cells, o)) goto out;
    }
    if (!cells) goto out;
    body = json_pack("{s:s, s:s, s:f, s:f, s:O}", "schema", ST_BUNDLE_SCHEMA, "city", b->city,
                     "created", b->created, "window_s", b->window_s, "cells", cells);
    if (!body) goto out;
    text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    if (!text) goto out;
    size_t n = strlen(text);
    msg = malloc(SIG_TAG_LEN + n);
    if (!msg) goto out;
    memcpy(msg, SIG_TAG, SIG_TAG_LEN);
    memcpy(msg + SIG_TAG_LEN, text, n);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, msg, SIG_TAG_LEN + n, k->sk);
    char sig_hex[2 * crypto_sign_BYTES + 1], pk_hex[65];
    sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
    sodium_bin2hex(pk_hex, sizeof(pk_hex), k->pk, 32);
    /* The body travels as a string so its bytes, which the signature covers,
     * survive any JSON tool that re-formats the envelope. */
    env = json_pack("{s:s, s:s, s:s, s:s}", "format", ST_BUNDLE_FORMAT, "body", text, "public_key",
                    pk_hex, "signature", sig_hex);
    if (!env) goto out;
    res = json_dumps(env, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!res) goto out;
    *out = res;
    rc = 0;
out:
    json_decref(cells);
    json_decref(body);
    json_decref(env);
    free(text);
    free(msg);
    return rc;
}

static int get_long(json_t *o, const char *k, long *v)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_integer(x)) return -1;
    json_int_t i = json_integer_value(x);
    if (i < -ST_BUNDLE_MAX_COUNT || i > ST_BUNDLE_MAX_COUNT) return -1;
    *v = (long)i;
    return 0;
}

static int get_num(json_t *o, const char *k, double *v)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_number(x)) return -1;
    *v = json_number_value(x);
    return isfinite(*v) ? 0 : -1;
}

/* Only the listed keys may appear: an unknown key is a schema this build does not know. */
static const char *unknown_key(json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int known = 0;
        for (size_t i = 0; keys[i] && !known; i++) known = !strcmp(k, keys[i]);
        if (!known) return k;
    }
    return NULL;
}

static int parse_body(const char *text, st_bundle *b, char *err, size_t cap)
{
    static const char *const body_keys[] = {"schema", "city", "created", "window_s", "cells", NULL};
    static const char *const cell_keys[] = {"arm",  "stratum", "episodes", "incidents", "settled",
                                            "calm", "tc_sum",  "tc_sumsq", NULL};
    json_error_t je;
    json_t *body = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    int rc = -EINVAL;
    if (!json_is_object(body)) {
        fail(err, cap, rc, "schema: body is not a JSON object (%s)", body ? "" : je.text);
        goto out;
    }
    json_t *schema = json_object_get(body, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), ST_BUNDLE_SCHEMA)) {
        fail(err, cap, rc, "schema: \"%.60s\" is not %s",
             json_is_string(schema) ? json_string_value(schema) : "(missing)", ST_BUNDLE_SCHEMA);
        goto out;
    }
    const char *bad = unknown_key(body, body_keys);
    if (bad) {
        fail(err, cap, rc, "schema: unknown key \"%.60s\" in the body", bad);
        goto out;
    }
    json_t *city = json_object_get(body, "city"), *cells = json_object_get(body, "cells");
    if (!json_is_string(city) || strlen(json_string_value(city)) >= sizeof(b->city) ||
        get_num(body, "created", &b->created) || get_num(body, "window_s", &b->window_s) ||
        !json_is_array(cells)) {
        fail(err, cap, rc,
             "schema: city (string), created, window_s (numbers) and cells (array) "
             "are required");
        goto out;
    }
    snprintf(b->city, sizeof(b->city), "%s", json_string_value(city));
    if (json_array_size(cells) > ST_BUNDLE_MAX_CELLS) {
        fail(err, cap, rc, "schema: %zu cells, at most %d", json_array_size(cells),
             ST_BUNDLE_MAX_CELLS);
        goto out;
    }
    b->ncells = json_array_size(cells);
    for (size_t i = 0; i < b->ncells; i++) {
        json_t *c = json_array_get(cells, i);
        st_evidence_cell *e = &b->cells[i];
        memset(e, 0, sizeof(*e));
        json_t *arm = json_object_get(c, "arm"), *st = json_object_get(c, "stratum");
        if (!json_is_object(c) || (bad = unknown_key(c, cell_keys)) != NULL ||
            !json_is_string(arm) || !json_is_string(st) ||
            strlen(json_string_value(arm)) >= sizeof(e->arm) ||
            strlen(json_string_value(st)) >= sizeof(e->stratum) ||
            get_long(c, "episodes", &e->episodes) || get_long(c, "incidents", &e->incidents) ||
            get_long(c, "settled", &e->settled) || get_long(c, "calm", &e->calm) ||
            get_num(c, "tc_sum", &e->tc_sum) || get_num(c, "tc_sumsq", &e->tc_sumsq)) {
            fail(err, cap, rc,
                 "schema: cell %zu needs exactly arm, stratum (strings), episodes, incidents, "
                 "settled, calm (integers), tc_sum, tc_sumsq (numbers)%s%.40s",
                 i, bad ? "; unknown key " : "", bad ? bad : "");
            goto out;
        }
        snprintf(e->arm, sizeof(e->arm), "%s", json_string_value(arm));
        snprintf(e->stratum, sizeof(e->stratum), "%s", json_string_value(st));
    }
    rc = check_all(b, err, cap);
out:
    json_decref(body);
    return rc;
}

int st_bundle_parse(const char *text, size_t len, st_bundle *out, char *err, size_t cap)
{
    json_error_t je;
    json_t *env = NULL;
    st_bundle *b = NULL;
    unsigned char *msg = NULL;
    int rc = -EINVAL;
    if (!text || !out) return -EINVAL;
    if (sodium_init() < 0) return -EIO;
    env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(env)) {
        rc = fail(err, cap, -EINVAL, "not a bundle: line %d: %s", je.line,
                  env ? "not a JSON object" : je.text);
        goto out;
    }
    json_t *fmt = json_object_get(env, "format"), *body = json_object_get(env, "body"),
           *pk = json_object_get(env, "public_key"), *sig = json_object_get(env, "signature");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), ST_BUNDLE_FORMAT)) {
        rc = fail(err, cap, -EINVAL, "schema: format is not \"%s\"", ST_BUNDLE_FORMAT);
        goto out;
    }
    if (!json_is_string(body) || !json_is_string(pk) || !json_is_string(sig)) {
        rc = fail(err, cap, -EINVAL,
                  "schema: body, public_key and signature (strings) are required");
        goto out;
    }
    b = calloc(1, sizeof(*b));
    if (!b) {
        rc = -ENOMEM;
        goto out;
    }
    unsigned char s[crypto_sign_BYTES];
    size_t bin = 0;
    if (st_instkey_pk_parse(json_string_value(pk), b->pk) < 0 ||
        strlen(json_string_value(sig)) != 2 * crypto_sign_BYTES ||
        sodium_hex2bin(s, sizeof(s), json_string_value(sig), 2 * crypto_sign_BYTES, NULL, &bin,
                       NULL) != 0 ||
        bin != sizeof(s)) {
        rc = fail(err, cap, -EINVAL, "schema: public_key must be 64 and signature 128 hex digits");
        goto out;
    }
    /* Signature first: nothing unsigned is interpreted further. */
    size_t n = json_string_length(body);
    msg = malloc(SIG_TAG_LEN + n);
    if (!msg) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(msg, SIG_TAG, SIG_TAG_LEN);
    memcpy(msg + SIG_TAG_LEN, json_string_value(body), n);
    if (crypto_sign_verify_detached(s, msg, SIG_TAG_LEN + n, b->pk) != 0) {
        rc = fail(err, cap, -EBADMSG,
                  "bad signature: the body was changed after signing, or the signature is not "
                  "by key %.16s...",
                  json_string_value(pk));
        goto out;
    }
    if (memchr(json_string_value(body), 0, n)) {
        rc = fail(err, cap, -EINVAL, "schema: body contains a NUL byte");
        goto out;
    }
    rc = parse_body(json_string_value(body), b, err, cap);
    if (rc) goto out;
    snprintf(b->pk_hex, sizeof(b->pk_hex), "%s", json_string_value(pk));
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)json_string_value(body), n);
    sodium_bin2hex(b->sha256_hex, sizeof(b->sha256_hex), h, sizeof(h));
    memcpy(out, b, sizeof(*b));
out:
    json_decref(env);
    free(b);
    free(msg);
    return rc;
}
