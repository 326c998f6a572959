#!/usr/bin/env bash
# stratum map on generated bad input: malformed JSON, missing fields, a corpus of
# one post, an empty corpus and usage errors give clear messages, never a crash.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "$STRATUM not built (make first)"

in="$TMP/posts.jsonl"
{
    echo '{"id_str":"1","created_at":"Wed Jan 07 11:06:08 +0000 2015","user":{"screen_name":"a"},"entities":{"hashtags":[{"text":"X"},{"text":"y"}],"user_mentions":[{"screen_name":"b"}]}}'
    echo '{"id_str":"2","entities":{"hashtags":[{"text":"x"}' # truncated
    echo ''
    echo '{"id_str":"3" "text":"no comma"}'
    echo '[1,2,3]'
    echo '{}'                                                   # every field missing
    echo '{"id_str":"4","created_at":"last tuesday","entities":{"hashtags":[{"text":"x"},{"text":"Z"}]}}'
    printf '{"id_str":"5","text":"tab\there"}\n'                # raw control character
    printf '{"id_str":"6","entities":{"hashtags":[{"text":"y"},{"text":"z"}]}}' # no final newline
} >"$in"

set +e
"$STRATUM" map network -o "$TMP/g.gexf" "$in" >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
cat "$TMP/err"
[ $rc -eq 0 ] || fail "exit $rc: malformed lines must be skipped, not fatal"
expect_err() { grep -qF -- "$1" "$TMP/err" || fail "stderr lacks: $1"; }
expect_err "posts.jsonl:2: skipped: invalid JSON at byte 51: expected ',' or ']'"
expect_err "posts.jsonl:4: skipped: invalid JSON at byte 15: expected ',' or '}'"
expect_err "posts.jsonl:5: skipped: invalid JSON at byte 1: not a JSON object"
expect_err "posts.jsonl:8: skipped: invalid JSON at byte 26: control character inside a string"
expect_err "read 9 lines from 1 file: 4 posts used, 4 malformed skipped, 1 blank"
expect_err "1 post has a time field that is not a known format (first at"
expect_err "2 posts have no time field"
expect_err "1 of 4 posts had no hashtag and added nothing to the cohashtag network"
expect_err "cohashtag network: 3 nodes, 3 edges"
ok "malformed lines reported with line, byte and reason; the rest used"

# Edge weights by hand: x-y {1}, x-z {4}, y-z {6}
"$STRATUM" map network --format csv -o "$TMP/c" "$in" 2>/dev/null
cat >"$TMP/want" <<'W'
Source,Target,Type,Weight,first_seen,last_seen
n0,n1,Undirected,1,2015-01-07T11:06:08Z,2015-01-07T11:06:08Z
n0,n2,Undirected,1,,
n1,n2,Undirected,1,,
W
tr -d '\r' <"$TMP/c.edges.csv" | diff -u "$TMP/want" - || fail "edge list"
ok "edge weights equal the hand count"

# One post: a network with one edge, a valid file; communities still run.
head -1 "$in" >"$TMP/one.jsonl"
"$STRATUM" map network --net mention --community louvain --table "$TMP/t.csv" -o "$TMP/one.gexf" \
    "$TMP/one.jsonl" >"$TMP/out" 2>"$TMP/err" || fail "one-post corpus failed: $(cat "$TMP/err")"
grep -q "mention network: 2 nodes, 1 edges" "$TMP/err" || fail "one post: $(cat "$TMP/err")"
grep -q "louvain seed 1: 1 communities" "$TMP/out" || fail "one post communities: $(cat "$TMP/out")"
# One post with one hashtag: no edges, said so; modularity undefined, said so.
echo '{"id_str":"1","entities":{"hashtags":[{"text":"solo"}]}}' >"$TMP/solo.jsonl"
"$STRATUM" map network --community leiden -o "$TMP/solo.gexf" "$TMP/solo.jsonl" >"$TMP/out" 2>"$TMP/err"
grep -q "note: the network has no edges" "$TMP/err" || fail "no-edge note missing"
grep -q "modularity undefined (no edges)" "$TMP/out" || fail "undefined modularity not said"
"$STRATUM" map timeline --csv "$TMP/tl.csv" --svg "$TMP/tl.svg" "$TMP/solo.jsonl" 2>"$TMP/err"
grep -q "no post had both a time and a hashtag" "$TMP/err" || fail "timeline without times: $(cat "$TMP/err")"
ok "one-post corpora"

# Nothing usable: exit 1 with a reason.
printf 'not json\n\n' >"$TMP/bad.jsonl"
set +e
"$STRATUM" map network -o "$TMP/x.gexf" "$TMP/bad.jsonl" 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "empty corpus: exit $rc"
grep -q "no posts to map (2 lines read)" "$TMP/err" || fail "empty corpus: $(cat "$TMP/err")"
: >"$TMP/empty.jsonl"
set +e
"$STRATUM" map stats "$TMP/empty.jsonl" >/dev/null 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "no posts (0 lines read)" "$TMP/err" || fail "empty file: $(cat "$TMP/err")"
ok "empty corpora"

# Usage errors: exit 2, one line naming the problem.
usage_err() { # expected-text, args...
    local want=$1; shift
    set +e
    "$STRATUM" map "$@" >/dev/null 2>"$TMP/err"; local rc=$?
    set -e
    [ $rc -eq 2 ] || fail "map $*: exit $rc, expected 2"
    grep -qF -- "$want" "$TMP/err" || fail "map $*: stderr lacks '$want': $(cat "$TMP/err")"
}
usage_err "--net: 'bogus' is not one of" network --net bogus -o x "$in"
usage_err "-o OUT is required" network "$in"
usage_err "--map 'hashtags': expected FIELD=PATH" network --map hashtags -o x "$in"
usage_err "--map hashtags=a..b: bad path" network --map hashtags=a..b -o x "$in"
usage_err "--since: 'tomorrow' is not a time" network --since tomorrow -o x "$in"
usage_err "--interval: '0m' is not a duration" timeline --interval 0m --csv x "$in"
usage_err "'frobnicate' is not a map command" frobnicate "$in"
usage_err "no input FILE" network -o x
usage_err "--zones FILE is required" signals "$in"
usage_err "--by community reads the input twice" timeline --by community --csv x -
ok "usage errors"

# A mapping for another platform's export (Mastodon-style statuses).
printf '%s\n' '{"id":"1","created_at":"2024-05-01T20:00:00.000Z","account":{"acct":"a@x"},"tags":[{"name":"Nacht"},{"name":"Stratumseind"}],"mentions":[{"acct":"b@y"}]}' \
    '{"id":"2","created_at":"2024-05-01T20:05:00.000Z","account":{"acct":"b@y"},"tags":[{"name":"nacht"},{"name":"stratumseind"}]}' >"$TMP/masto.jsonl"
"$STRATUM" map network --map hashtags='tags[].name' --map author=account.acct --map mentions='mentions[].acct' \
    --format csv -o "$TMP/m" "$TMP/masto.jsonl" 2>/dev/null
grep -q '^n0,n1,Undirected,2,2024-05-01T20:00:00Z,2024-05-01T20:05:00Z' "$TMP/m.edges.csv" ||
    fail "mapped export: $(cat "$TMP/m.edges.csv")"
ok "field mapping for another platform"
