#!/usr/bin/env bash
# stratum map on the shared Charlie Hebdo posts: co-hashtag and user-mention GEXF
# files valid against the GEXF 1.3 schema with a weight on every edge, weights
# equal to an independent count (python), a community table reproducible from a
# seed, GraphML/CSV, a timeline (CSV + SVG) and per-zone signals without names.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "$STRATUM not built (make first)"
POSTS="$SHARED/data/text/posts"
SCHEMA="$SHARED/data/schemas/gexf-1.3/gexf.xsd"
[ -f "$POSTS/MANIFEST.tsv" ] || skip "no shared posts at ../shared/data/text/posts"
[ -f "$SCHEMA" ] || skip "no GEXF 1.3 schema at ../shared/data/schemas/gexf-1.3"
command -v xmllint >/dev/null || skip "xmllint missing (Debian: libxml2-utils)"
command -v python3 >/dev/null || skip "python3 missing"

# The post files, as the manifest lists them (part of the data is held out, so names are read, not assumed).
files=()
while IFS=$'\t' read -r file _; do
    case $file in *.jsonl) files+=("$POSTS/$file") ;; esac
done <"$POSTS/MANIFEST.tsv"
[ ${#files[@]} -gt 0 ] || fail "MANIFEST.tsv lists no .jsonl file"
ok "${#files[@]} post files"

valid_gexf() { # FILE: schema-valid, and every edge has a weight
    xmllint --noout --schema "$SCHEMA" "$1" 2>"$TMP/xmllint.err" ||
        { cat "$TMP/xmllint.err"; fail "$1 does not validate against GEXF 1.3"; }
    local edges weights
    edges=$(grep -c '<edge ' "$1" || true)
    weights=$(grep -c '<edge [^>]* weight="[0-9.e+]*"' "$1" || true)
    [ "$edges" -eq "$weights" ] || fail "$1: $edges edges but $weights weights"
    echo "$edges"
}

"$STRATUM" map network --net cohashtag --community louvain --seed 11 --table "$TMP/comm1.csv" \
    -o "$TMP/cohashtag.gexf" "${files[@]}" >"$TMP/comm1.out" 2>"$TMP/err"
grep -q "posts used, 0 malformed" "$TMP/err" || { cat "$TMP/err"; fail "posts not all read"; }
e1=$(valid_gexf "$TMP/cohashtag.gexf")
[ "$e1" -gt 0 ] || fail "co-hashtag network has no edges"
ok "co-hashtag GEXF valid, $e1 edges, all weighted"

"$STRATUM" map network --net mention --dynamic -o "$TMP/mention.gexf" "${files[@]}" 2>"$TMP/err"
e2=$(valid_gexf "$TMP/mention.gexf")
[ "$e2" -gt 0 ] || fail "mention network has no edges"
grep -q 'mode="dynamic" timeformat="dateTime" timerepresentation="interval"' "$TMP/mention.gexf" ||
    fail "dynamic GEXF lacks its time representation"
! grep -q -e 'timestamp=' -e '<spell' "$TMP/mention.gexf" || fail "more than one time representation"
ok "user-mention GEXF (dynamic) valid, $e2 edges, all weighted"

for net in user-hashtag codomain courl; do
    "$STRATUM" map network --net "$net" --top 30 -o "$TMP/$net.gexf" "${files[@]}" 2>/dev/null
    valid_gexf "$TMP/$net.gexf" >/dev/null
done
ok "user-hashtag, co-domain, co-URL GEXF valid"

# Weights against an independent count: distinct case-folded hashtags per post, pairs.
"$STRATUM" map network --format csv -o "$TMP/co" "${files[@]}" 2>/dev/null
python3 - "$TMP/co" "${files[@]}" <<'PY' || fail "co-hashtag weights differ from the independent count"
import csv, itertools, json, sys
prefix, files = sys.argv[1], sys.argv[2:]
FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
want = {}
for f in files:
    for line in open(f, encoding="utf-8"):
        if not line.strip():
            continue
        # ASCII case folding, as documented (docs/map.md)
        tags = sorted({h["text"].translate(FOLD) for h in (json.loads(line).get("entities") or {}).get("hashtags", [])})
        for a, b in itertools.combinations(tags, 2):
            want[(a, b)] = want.get((a, b), 0) + 1
names = {r["Id"]: r["Label"] for r in csv.DictReader(open(prefix + ".nodes.csv", encoding="utf-8"))}
got = {}
for r in csv.DictReader(open(prefix + ".edges.csv", encoding="utf-8")):
    a, b = sorted((names[r["Source"]], names[r["Target"]]))
    got[(a, b)] = float(r["Weight"])
assert got == want, (len(got), len(want), sorted(set(got.items()) ^ set(want.items()))[:5])
print(f"ok: {len(got)} co-hashtag edges match, total weight {sum(got.values()):.0f}")
PY

# Same seed, same table and same file; N seeds give a stability line.
"$STRATUM" map network --community louvain --seed 11 --table "$TMP/comm2.csv" \
    -o "$TMP/cohashtag2.gexf" "${files[@]}" >"$TMP/comm2.out" 2>/dev/null
cmp -s "$TMP/comm1.csv" "$TMP/comm2.csv" || fail "community table differs between runs with one seed"
cmp -s "$TMP/cohashtag.gexf" "$TMP/cohashtag2.gexf" || fail "GEXF differs between runs with one seed"
grep -q '^louvain seed 11: [0-9]* communities, modularity 0\.[0-9]*$' "$TMP/comm1.out" ||
    fail "no modularity line: $(cat "$TMP/comm1.out")"
head -1 "$TMP/comm1.csv" | has '^community,size,posts,weighted_degree,top_nodes' || fail "table header"
"$STRATUM" map network --community leiden --seed 3 --runs 4 -o "$TMP/l.gexf" "${files[@]}" \
    >"$TMP/runs.out" 2>/dev/null
[ "$(grep -c '^leiden seed' "$TMP/runs.out")" -eq 4 ] || fail "expected 4 runs"
grep -q '^stability over 4 seeds: mean pairwise NMI [01]\.[0-9]*, mean pairwise ARI' "$TMP/runs.out" ||
    fail "no stability line"
ok "community table reproducible from a seed; stability over seeds"

"$STRATUM" map network --net mention --community leiden -o "$TMP/mention.graphml" "${files[@]}" \
    >/dev/null 2>&1
xmllint --noout "$TMP/mention.graphml" || fail "GraphML not well-formed"
ok "GraphML well-formed"

"$STRATUM" map timeline --by hashtag --interval 1h --top 5 --csv "$TMP/tl.csv" --svg "$TMP/tl.svg" \
    "${files[@]}" 2>/dev/null
xmllint --noout "$TMP/tl.svg" || fail "timeline SVG not well-formed"
grep -q '<polyline' "$TMP/tl.svg" || fail "timeline SVG has no line"
head -1 "$TMP/tl.csv" | has '^interval_start,series,posts' || fail "timeline CSV header"
python3 - "$TMP/tl.csv" "${files[@]}" <<'PY' || fail "timeline total differs"
import csv, json, sys
FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
top = rows[0]["series"]
want = 0
for f in sys.argv[2:]:
    for line in open(f, encoding="utf-8"):
        if line.strip():
            tags = {h["text"].translate(FOLD) for h in (json.loads(line).get("entities") or {}).get("hashtags", [])}
            want += top in tags
got = sum(int(r["posts"]) for r in rows if r["series"] == top)
assert got == want, (top, got, want)
print(f"ok: #{top}: {got} posts over the timeline")
PY
"$STRATUM" map timeline --by community --interval 6h --svg "$TMP/tlc.svg" "${files[@]}" >/dev/null 2>&1
xmllint --noout "$TMP/tlc.svg" || fail "community timeline SVG"
ok "timelines (CSV, SVG)"

# Street link: zones named after places in the data, aggressive terms; aggregates only.
printf 'paris\tParis\ndammartin\tDammartin;Dammartin-en-Goele\n' >"$TMP/zones.tsv"
printf 'kill\nshooting\nattack\n' >"$TMP/terms.txt"
"$STRATUM" map signals --zones "$TMP/zones.tsv" --terms "$TMP/terms.txt" "${files[@]}" \
    >"$TMP/sig.jsonl" 2>"$TMP/err"
python3 - "$TMP/sig.jsonl" <<'PY' || fail "signals output"
import json, sys
posts = 0
for line in open(sys.argv[1]):
    pack = json.loads(line)
    assert pack[0]["bn"] in ("paris/social/", "dammartin/social/"), pack
    for rec in pack:
        assert set(rec) <= {"bn", "bt", "n", "u", "v"}, rec
        assert rec["n"] in ("socialPosts", "socialAggressiveShare"), rec
        if rec["n"] == "socialAggressiveShare":
            assert 0 <= rec["v"] <= 1
        else:
            posts += rec["v"]
assert posts > 0
print(f"ok: {posts} zone mentions in per-minute packs")
PY
# No user name from the data appears in the output.
python3 - "$TMP/sig.jsonl" "${files[@]}" <<'PY' || fail "a user name left the signals command"
import json, sys
out = open(sys.argv[1]).read()
for f in sys.argv[2:]:
    for line in open(f, encoding="utf-8"):
        if line.strip():
            name = (json.loads(line).get("user") or {}).get("screen_name")
            assert not name or len(name) < 4 or f'"{name}' not in out, name
PY
# The engine's own parser accepts every pack (the quantities are registered).
"$STRATUM" obs check "$TMP/sig.jsonl" >"$TMP/sig.check" 2>"$TMP/sig.check.err" ||
    fail "stratum obs check refused signals: $(tail -2 "$TMP/sig.check.err")"
ok "signals: SenML packs per zone and minute, no names"
