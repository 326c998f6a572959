/* Audit hooks: canonical JSON details for each kind of audited event. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stratum/audit_hook.h"

#define DETAIL_MAX 2048

/* A JSON builder over a fixed buffer; overflow sticks and is reported once. */
typedef struct jb {
    char *buf;
    size_t cap, len;
    int over;
} jb;

static void jb_raw(jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_raw(jb *b, const char *fmt, ...)
{
    if (b->over) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->over = 1;
    else
        b->len += (size_t)n;
}

/* A JSON string (RFC 8259 section 7): quotes, backslashes and control bytes escaped. */
static void jb_str(jb *b, const char *s, size_t max)
{
    jb_raw(b, "\"");
    for (size_t i = 0; s && i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            jb_raw(b, "\\%c", c);
        else if (c < 0x20)
            jb_raw(b, "\\u%04x", c);
        else
            jb_raw(b, "%c", c);
    }
    jb_raw(b, "\"");
}

static void jb_kv(jb *b, const char *k, const char *v, size_t max)
{
    jb_raw(b, "%s\"%s\":", b->len > 1 ? "," : "", k);
    if (v)
        jb_str(b, v, max);
    else
        jb_raw(b, "null");
}

static void jb_ki(jb *b, const char *k, long long v)
{
    jb_raw(b, "%s\"%s\":%lld", b->len > 1 ? "," : "", k, v);
}

static int64_t finish(st_audit *a, jb *b, double t, const char *kind, const char *actor,
                      const char *subject)
{
    jb_raw(b, "}");
    if (b->over) return -ENOSPC;
    return st_audit_append(a, t, kind, actor, subject, b->buf);
}

int64_t st_audit_hook_actuation(st_audit *a, const st_intervention *iv, int64_t id, const char *arm)
{
    if (!a) return 0;
    if (!iv) return -EINVAL;
    char buf[DETAIL_MAX], zone[ST_ID_MAX + 1];
    jb b = {buf, sizeof(buf), 0, 0};
    jb_raw(&b, "{");
    jb_ki(&b, "intervention", id);
    jb_kv(&b, "kind", st_act_kind_name(iv->kind), 16);
    jb_kv(&b, "name", iv->name, sizeof(iv->name));
    jb_kv(&b, "rule", iv->rule, sizeof(iv->rule));
    jb_kv(&b, "from", st_state_name(iv->from), 16);
    jb_kv(&b, "to", st_state_name(iv->to), 16);
    jb_ki(&b, "transition", iv->transition_id);
    jb_kv(&b, "arm", arm, ST_ID_MAX);
    jb_kv(&b, "reason", iv->reason, sizeof(iv->reason));
    snprintf(zone, sizeof(zone), "%.*s", ST_ID_MAX, iv->zone);
    return finish(a, &b, iv->t, "actuation", "engine", zone);
}

int64_t st_audit_hook_assignment(st_audit *a, double t, const char *zone, int64_t episode_id,
                                 const char *stratum, const char *policy, const char *arm,
                                 uint64_t seed, int64_t draw)
{
    if (!a) return 0;
    if (!zone || !arm || !policy) return -EINVAL;
    char buf[DETAIL_MAX];
    jb b = {buf, sizeof(buf), 0, 0};
    jb_raw(&b, "{");
    jb_ki(&b, "episode", episode_id);
    jb_kv(&b, "stratum", stratum, 32);
    jb_kv(&b, "policy", policy, 32);
    jb_kv(&b, "arm", arm, ST_ID_MAX);
    /* Seeds are unsigned 64-bit: a string keeps them exact in every JSON reader. */
    char sd[24];
    snprintf(sd, sizeof(sd), "%" PRIu64, seed);
    jb_kv(&b, "seed", sd, sizeof(sd));
    jb_ki(&b, "draw", draw);
    return finish(a, &b, t, "assignment", "engine", zone);
}

int64_t st_audit_hook_config(st_audit *a, double t, const char *actor, const char *key,
                             const char *old_value, const char *new_value)
{
    if (!a) return 0;
    if (!actor || !key) return -EINVAL;
    char buf[DETAIL_MAX];
    jb b = {buf, sizeof(buf), 0, 0};
    jb_raw(&b, "{");
    jb_kv(&b, "old", old_value, 512);
    jb_kv(&b, "new", new_value, 512);
    return finish(a, &b, t, "config", actor, key);
}

int64_t st_audit_hook_device(st_audit *a, double t, const char *actor, const char *device,
                             const char *action, const char *note)
{
    if (!a) return 0;
    if (!actor || !device || !action) return -EINVAL;
    char buf[DETAIL_MAX];
    jb b = {buf, sizeof(buf), 0, 0};
    jb_raw(&b, "{");
    jb_kv(&b, "action", action, 64);
    jb_kv(&b, "note", note, 1024);
    return finish(a, &b, t, "device", actor, device);
}

int64_t st_audit_hook_import(st_audit *a, double t, const char *actor, const char *file,
                             const char *city, const char *pk_hex, const char *sha256_hex,
                             long cells, long episodes)
{
    if (!a) return 0;
    if (!actor || !file || !city || !pk_hex || !sha256_hex) return -EINVAL;
    char buf[DETAIL_MAX];
    jb b = {buf, sizeof(buf), 0, 0};
    jb_raw(&b, "{");
    jb_kv(&b, "city", city, 128);
    jb_kv(&b, "key", pk_hex, 128);
    jb_kv(&b, "sha256", sha256_hex, 128);
    jb_ki(&b, "cells", cells);
    jb_ki(&b, "episodes", episodes);
    return finish(a, &b, t, "evidence-import", actor, file);
}
