/* Post parser for `stratum map`: a JSON Lines post to a flat record via a field-path table. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_POST_H
#define STRATUM_MAP_POST_H

#include <stddef.h>
#include <stdint.h>

/* A byte slice, not NUL-terminated. It points into the parsed line or into the
 * parser's scratch buffer (borrowed): valid until the next st_map_post_parse. */
typedef struct st_map_str {
    const char *s;
    size_t len;
} st_map_str;

/* Single-valued fields. A string is decoded (escapes resolved, UTF-8); a
 * number, true or false is its JSON text; an object or array is its raw JSON
 * text; null counts as absent. */
typedef enum st_map_sfield {
    ST_MAP_ID = 0,     /* post id ("id_str" first: ids exceed 2^53) */
    ST_MAP_TIME,       /* creation time, parsed into rec.t */
    ST_MAP_AUTHOR,     /* author's handle */
    ST_MAP_TEXT,       /* post text */
    ST_MAP_LANG,       /* language code */
    ST_MAP_REPLY_TO,   /* handle the post replies to */
    ST_MAP_RETWEET_OF, /* id of the reposted post; present = the post is a repost */
    ST_MAP_S__COUNT
} st_map_sfield;

/* Multi-valued fields: every value a path reaches is collected, in order. */
typedef enum st_map_lfield {
    ST_MAP_HASHTAGS = 0, /* hashtag texts, without '#' */
    ST_MAP_MENTIONS,     /* mentioned handles */
    ST_MAP_URLS,         /* linked URLs (expanded) */
    ST_MAP_L__COUNT
} st_map_lfield;

/* Values kept per list field per post; further values are counted in
 * rec.dropped (a tweet holds at most about 50 hashtags in 280 characters). */
#define ST_MAP_LIST_MAX 64
/* Nesting depth accepted in a post (a Twitter v1.1 object nests about 6 deep;
 * retweets of quotes about 12). */
#define ST_MAP_DEPTH_MAX 64
/* Paths in a parser's table, and segments per path. */
#define ST_MAP_PATHS_MAX 48
#define ST_MAP_SEGS_MAX  8

/* One post. Plain data; slices are borrowed from the parser (see st_map_str). */
typedef struct st_map_post_rec {
    st_map_str s[ST_MAP_S__COUNT]; /* len 0 and s NULL when absent */
    int has[ST_MAP_S__COUNT];      /* 1 when the field was present and not null */
    st_map_str l[ST_MAP_L__COUNT][ST_MAP_LIST_MAX];
    int n[ST_MAP_L__COUNT];
    int dropped;  /* list values beyond ST_MAP_LIST_MAX */
    int64_t t;    /* creation time, s since the Unix epoch (UTC), valid if has_t */
    int has_t;    /* 1 when the time field parsed */
    int bad_time; /* 1 when a time field was present but not understood */
} st_map_post_rec;

/* Where and why a line was refused. */
typedef struct st_map_post_err {
    size_t pos;      /* byte offset in the line (0-based) */
    const char *why; /* static text, e.g. "expected ',' or '}'" */
} st_map_post_err;

typedef struct st_map_post st_map_post;

/* A parser with the default field table (docs/map.md lists it): Twitter API
 * v1.1 and v2 objects. max_line bounds the line length the parser accepts and
 * sizes its scratch buffer. NULL + errno (EINVAL, ENOMEM). */
st_map_post *st_map_post_new(size_t max_line);
void st_map_post_free(st_map_post *p);

/* Field names as used by --map: "id", "time", "author", "text", "lang",
 * "reply_to", "retweet_of", "hashtags", "mentions", "urls". Returns 0 and sets
 * *is_list / *idx, or -ENOENT. */
int st_map_post_field(const char *name, int *is_list, int *idx);

/* Replace the paths of one field by a comma-separated list, e.g.
 * "tags[].name" or "account.acct,author_id". A path is dot-separated object
 * keys; "key[]" means "each element of the array under key". For a
 * single-valued field the first path present wins. spec is borrowed. Returns 0,
 * -EINVAL (bad path: empty key, more than ST_MAP_SEGS_MAX segments, key longer
 * than 47 bytes) or -E2BIG (table full). An empty spec removes the field. */
int st_map_post_set_paths(st_map_post *p, int is_list, int idx, const char *spec);

/* Parse one line (borrowed; need not be NUL-terminated) into *rec. The line
 * must be one JSON object (RFC 8259; surrounding whitespace allowed). Returns
 * 0, or -EINVAL with *err filled (malformed JSON, not an object, too deep),
 * or -E2BIG for a line longer than max_line. Allocates nothing. */
int st_map_post_parse(st_map_post *p, const char *line, size_t len, st_map_post_rec *rec,
                      st_map_post_err *err);

/* Time text to seconds since the epoch (UTC): Twitter v1.1 "Wed Jan 07
 * 11:18:01 +0000 2015", ISO 8601 / RFC 3339 "2015-01-07T11:18:01.000Z" or
 * "+01:00", or a number of seconds (values above 1e11 are read as
 * milliseconds). Returns 0 or -EINVAL. */
int st_map_post_time(const char *s, size_t len, int64_t *out);

/* Post selection applied before any counting, so that nodes and edges of every
 * network see the same posts. since/until are inclusive/exclusive bounds in s
 * (ignored when has_since/has_until is 0; posts without a time are then left
 * out). keyword (borrowed, may be NULL) matches, ignoring ASCII case, inside
 * the text or equal to a hashtag (a leading '#' in keyword is ignored). */
typedef struct st_map_select {
    int has_since, has_until;
    int64_t since, until;
    const char *keyword;
} st_map_select;

/* 1 if rec passes sel, else 0. */
int st_map_post_selected(const st_map_post_rec *rec, const st_map_select *sel);

#endif
